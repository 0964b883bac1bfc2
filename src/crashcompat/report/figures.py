"""Figures of a grid run, one function per kind, each returning a matplotlib ``Figure``.

Every figure carries its numbers as ``fig.crashcompat_data`` (a dict of NumPy arrays and
labels: what is drawn, exactly), so that tests and users compare data, not pixels; axes carry
units, and a footer names the grid (preset or spec name), the risk curve, the crashcompat
version and the catalog's hash. Needs matplotlib (``pip install 'crashcompat[plot]'``; a
:class:`crashcompat.errors.MissingExtraError`, an ``ImportError``, names it). The figures use
matplotlib's object API only (no ``pyplot``): nothing global changes, no window opens.

Kinds (:data:`KINDS`, ``crashcompat plot KIND``):

- ``dv``: :func:`dv_by_partner_class`, occupant delta-v against closing speed, one panel per
  partner class, with a band.
- ``risk-ratio``: :func:`risk_ratio_heatmap`, kei vehicle x partner heat maps of the risk
  relative to the reference cars, one per configuration.
- ``crush``: :func:`crush_demand`, crush demand against crush space (needs the pulse measures).
- ``validation``: :func:`validation_scatter`, predicted against measured delta-v from the
  validation suite.
- ``headline``: :func:`headline_ratios`, the exposure-weighted risk ratios with their bands
  (needs ``GridRun.headline()``).

Bands: from the summary's ``X_p05``/``X_p95`` columns when the run was made with Monte Carlo
samples; otherwise the range across the class's vehicles and partners, and the legend says
which.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from crashcompat._version import __version__
from crashcompat.errors import require_extra
from crashcompat.report.data import (NotAvailableError, band_columns, curve_of, footer,
                                     has_band, headline_of, short_name, short_names,
                                     speed_axis, summary_rows, validation_of, vehicle_class)
from crashcompat.report.output import atomic_write, figure_format

__all__ = ["KINDS", "plot", "save_figure", "dv_by_partner_class", "risk_ratio_heatmap",
           "crush_demand", "validation_scatter", "headline_ratios"]

#: colours: the subject (kei) class stands out; reference cars in calm blues/greys
_SUBJECT_COLOURS = ("#c0392b", "#d35400", "#8e44ad", "#16a085")
_REFERENCE_COLOURS = ("#1f4e79", "#5b8db8", "#4d4d4d", "#7f7f7f", "#2e7d32")


def _figure_class():
    return require_extra("matplotlib.figure", "drawing figures", "plot").Figure


def _new_figure(width_in: float, height_in: float, footer_text: str):
    """A figure with constrained layout and room at the bottom for the footer."""
    Figure = _figure_class()
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    chars = max(40, int(width_in * 15))
    text = textwrap.fill(footer_text, chars)
    lines = text.count("\n") + 1
    foot_in = 0.08 + 0.13 * lines
    fig.get_layout_engine().set(rect=(0.0, foot_in / height_in, 1.0, 1.0 - foot_in / height_in))
    fig.text(0.01, 0.02 / height_in, text, ha="left", va="bottom", fontsize=7, color="0.3")
    fig.crashcompat_footer = footer_text
    return fig


def _nan(x) -> float:
    return np.nan if x is None else float(x)


def _grid_shape(n: int, max_cols: int = 3) -> tuple[int, int]:
    cols = min(n, max_cols)
    return int(math.ceil(n / cols)), cols


def _plain_log_ticks(bar, lo: float, hi: float) -> None:
    """Colour-bar ticks of a log scale as plain numbers (0.5, 1, 2), not powers of ten."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ticks = [t for t in (0.1, 0.2, 0.25, 0.5, 0.67, 1, 1.5, 2, 3, 4, 5, 10, 20, 50, 100)
             if lo <= t <= hi]
    bar.ax.yaxis.set_major_locator(FixedLocator(ticks))
    bar.ax.yaxis.set_minor_locator(NullLocator())
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def _vehicle_labels(run) -> dict:
    """Catalog id -> short name ("Honda N-BOX", :func:`~crashcompat.report.data.short_names`)
    for the run's vehicles; other labels ("kei (class)") are not in it and stay as they are."""
    if run is None:
        return {}
    ids = list(run.axes["subject"]) + list(run.partner_ids)
    return dict(zip(ids, short_names(run, ids)))


def _run_curves(run) -> str:
    """The run's risk curves for the footer of a figure that draws none of them."""
    names = [c.name for c in getattr(run, "curves", [])]
    return (", ".join(names) + " (not drawn here)") if names else "none"


def _first_reference(run) -> str:
    return run.reference_ids[0] if run.reference_ids else ""


# -- delta-v against closing speed ------------------------------------------------------------

def dv_by_partner_class(run, *, configuration: str = "frontal"):
    """Occupant delta-v at the driver's seat against closing speed in ``configuration``
    impacts, one panel per partner class.

    In each panel: the subject vehicles of each class ("kei") as one line, the mean over the
    class's vehicles and the panel's partners, and each reference car as one line, the mean
    over the panel's partners (summary means, i.e. already averaged over angle, overlap and the
    other inner axes). The band is the mean of the summary's 5th and 95th percentiles when the
    run has Monte Carlo samples; without samples it is the range (min to max) across the
    vehicles and partners averaged, and the legend says so.

    ``fig.crashcompat_data``: ``configuration``, ``closing_speed_kph`` (array), ``band``
    (``"monte-carlo"`` or ``"spread"``) and ``series``, a list of dicts with ``partner_class``,
    ``label``, ``role`` (``subject``/``reference``), ``vehicles``, ``partners`` and the arrays
    ``dv_kph``, ``band_low_kph``, ``band_high_kph`` (one value per closing speed).
    """
    speed = speed_axis(run)
    confs = list(run.axes["configuration"])
    if configuration not in confs:
        raise NotAvailableError(f"configuration {configuration!r} is not in this run; it has "
                                f"{', '.join(confs)}")
    rows = [r for r in summary_rows(run) if r["configuration"] == configuration]
    speeds = np.asarray(run.axes[speed], dtype=float)
    col = {float(v): k for k, v in enumerate(speeds)}
    mc = has_band(rows, "subject_occupant_dv_kph")
    first_ref = _first_reference(run)
    classes: list[str] = []
    for p in run.partner_ids:
        if vehicle_class(run, p) not in classes:
            classes.append(vehicle_class(run, p))
    subject_groups: dict[str, list[str]] = {}
    for s in run.subject_ids:
        subject_groups.setdefault(vehicle_class(run, s), []).append(s)

    def collect(key_rows, column):
        """speed index -> list of (value, p05, p95)"""
        lo_c, hi_c = band_columns(column)
        out = [[] for _ in speeds]
        for r in key_rows:
            out[col[float(r[speed])]].append(
                (_nan(r[column]), _nan(r.get(lo_c)), _nan(r.get(hi_c))))
        return out

    def reduce(per_speed):
        mean, lo, hi = (np.full(len(speeds), np.nan) for _ in range(3))
        for k, vals in enumerate(per_speed):
            a = np.array(vals, dtype=float).reshape(-1, 3)
            if not len(a) or np.all(np.isnan(a[:, 0])):
                continue
            mean[k] = np.nanmean(a[:, 0])
            if mc:
                lo[k], hi[k] = np.nanmean(a[:, 1]), np.nanmean(a[:, 2])
            else:
                lo[k], hi[k] = np.nanmin(a[:, 0]), np.nanmax(a[:, 0])
        return mean, lo, hi

    series = []
    for pc in classes:
        partners = [p for p in run.partner_ids if vehicle_class(run, p) == pc]
        in_class = [r for r in rows if r["partner"] in partners]
        for cls, ids in subject_groups.items():
            picked = [r for r in in_class if r["subject"] in ids and r["reference"] == first_ref]
            mean, lo, hi = reduce(collect(picked, "subject_occupant_dv_kph"))
            series.append(dict(partner_class=pc, label=f"{cls} ({len(ids)} vehicles)"
                               if len(ids) > 1 else short_name(run, ids[0]),
                               role="subject", vehicles=list(ids), partners=partners,
                               dv_kph=mean, band_low_kph=lo, band_high_kph=hi))
        first_subject = run.subject_ids[0]
        for ref in run.reference_ids:
            # the reference's value does not depend on the subject: take one subject's rows
            picked = [r for r in in_class
                      if r["reference"] == ref and r["subject"] == first_subject]
            mean, lo, hi = reduce(collect(picked, "reference_occupant_dv_kph"))
            series.append(dict(partner_class=pc, label=short_name(run, ref), role="reference",
                               vehicles=[ref], partners=partners, dv_kph=mean,
                               band_low_kph=lo, band_high_kph=hi))

    n_rows, n_cols = _grid_shape(len(classes))
    fig = _new_figure(4.3 * n_cols + 0.4, 3.6 * n_rows + 0.9, footer(run, _run_curves(run)))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, sharey=True, squeeze=False)).ravel()
    from matplotlib.patches import Patch

    band_text = ("5-95 % of the Monte Carlo draws, mean over vehicles" if mc else
                 "range across vehicles x partners (no Monte Carlo samples)")
    for ax, pc in zip(axes, classes):
        k_s = k_r = 0
        for s in (s for s in series if s["partner_class"] == pc):
            if s["role"] == "subject":
                colour = _SUBJECT_COLOURS[k_s % len(_SUBJECT_COLOURS)]
                k_s += 1
                style = "-"
            else:
                colour = _REFERENCE_COLOURS[k_r % len(_REFERENCE_COLOURS)]
                k_r += 1
                style = "--"
            ax.fill_between(speeds, s["band_low_kph"], s["band_high_kph"], color=colour,
                            alpha=0.18, linewidth=0)
            ax.plot(speeds, s["dv_kph"], style, color=colour, marker="o", markersize=3,
                    linewidth=1.6, label=s["label"])
        n_p = sum(1 for p in run.partner_ids if vehicle_class(run, p) == pc)
        ax.set_title(f"against {pc} ({n_p} {'vehicle' if n_p == 1 else 'vehicles'})",
                     fontsize=10)
        ax.set_xlabel("closing speed (km/h)")
        ax.grid(True, alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        handles.append(Patch(color="0.55", alpha=0.3, linewidth=0))
        labels.append(textwrap.fill(f"shaded: {band_text}", 44))
        ax.legend(handles, labels, fontsize=7, loc="upper left", frameon=False)
        # head room for the legend above the highest line
        top = max(float(np.nanmax(np.r_[s["band_high_kph"], s["dv_kph"]]))
                  for s in series if s["partner_class"] == pc)
        if math.isfinite(top):
            ax.set_ylim(0, top * (1.12 + 0.07 * len(labels)))
    for ax in axes[len(classes):]:
        ax.set_visible(False)
    for ax in axes[::n_cols]:
        ax.set_ylabel("occupant delta-v, driver seat (km/h)")
    fig.suptitle(f"Occupant delta-v against closing speed, {configuration} impacts",
                 fontsize=11)
    fig.crashcompat_data = {"kind": "dv", "configuration": configuration,
                            "closing_speed_kph": speeds, "band": "monte-carlo" if mc else
                            "spread", "band_text": band_text, "series": series}
    return fig


# -- risk ratio heat maps ---------------------------------------------------------------------

def risk_ratio_heatmap(run, *, curve: str | None = None, closing_speed_kph: float | None = None,
                       configurations=None):
    """Risk of each subject (kei) vehicle relative to the reference cars, against each partner,
    one heat map per configuration.

    A cell is the ratio of the subject occupant's mean probability (risk curve ``curve``; the
    run's first by default) over the grid's closing speeds, each speed weighted equally, to the
    mean over the reference cars of theirs in the same crashes; with ``closing_speed_kph`` only
    that speed. 1 means the same risk as in the reference cars; the colour scale is logarithmic
    and centred on 1. Exposure weights are not applied here (they are in the headline).

    ``fig.crashcompat_data``: ``curve``, ``configurations``, ``subjects``, ``partners``,
    ``speeds_kph`` (the speeds averaged over), and arrays (configuration, subject, partner):
    ``ratio``, ``subject_risk``, ``reference_risk`` (the mean probabilities).
    """
    from crashcompat.severity.measures import risk_column

    c = curve_of(run, curve)
    if not run.reference_ids:
        raise NotAvailableError("the risk-ratio figure compares with reference cars, but the "
                                "run has none; give references (--references)")
    col_s, col_r = risk_column("subject", c), risk_column("reference", c)
    rows = summary_rows(run)
    speed_names = [n for n in run.axes if n.endswith("_speed_kph")]
    if closing_speed_kph is not None:
        axis = np.asarray(run.axes[speed_axis(run)], dtype=float)
        hit = np.isclose(axis, float(closing_speed_kph), rtol=0, atol=1e-9)
        if not hit.any():
            raise NotAvailableError(
                f"closing speed {closing_speed_kph:g} km/h is not on this run's axis "
                f"({', '.join(f'{v:g}' for v in axis)} km/h); choose one of them")
        rows = [r for r in rows if math.isclose(r["closing_speed_kph"], float(axis[hit][0]))]
        speeds_used = axis[hit]
    else:
        speeds_used = np.asarray(run.axes[speed_names[0]], dtype=float)
    confs = list(configurations or run.axes["configuration"])
    unknown = [x for x in confs if x not in run.axes["configuration"]]
    if unknown:
        raise NotAvailableError(f"configuration {unknown[0]!r} is not in this run; it has "
                                f"{', '.join(run.axes['configuration'])}")
    subjects, partners = list(run.subject_ids), list(run.partner_ids)
    si = {s: k for k, s in enumerate(subjects)}
    pi = {p: k for k, p in enumerate(partners)}
    ci = {x: k for k, x in enumerate(confs)}
    n_ref = len(run.reference_ids)
    shape = (len(confs), len(subjects), len(partners))
    num, den = np.zeros(shape), np.zeros(shape)
    # per (group), the subject's probability and the mean of the references'
    groups: dict[tuple, list] = {}
    for r in rows:
        if r["configuration"] not in ci:
            continue
        key = (r["configuration"], r["subject"], r["partner"],
               *(r[n] for n in speed_names))
        groups.setdefault(key, [r[col_s], []])[1].append(r[col_r])
    for (conf, s, p, *_), (mine, theirs) in groups.items():
        if mine is None or len(theirs) != n_ref or any(t is None for t in theirs):
            continue
        idx = (ci[conf], si[s], pi[p])
        num[idx] += mine
        den[idx] += sum(theirs) / n_ref
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(den > 0, num / den, np.nan)
        n_speeds = len(speeds_used) * (len(run.axes[speed_names[1]]) if len(speed_names) > 1
                                       else 1)
        subject_mean, reference_mean = num / n_speeds, den / n_speeds

    finite = ratio[np.isfinite(ratio) & (ratio > 0)]
    # a logarithmic scale centred on 1, wide enough for the largest ratio and at least 1/2-2
    span = max(math.log(2.0), float(np.max(np.abs(np.log(finite)))) if finite.size else 0.0)
    from matplotlib.colors import LogNorm

    norm = LogNorm(vmin=math.exp(-span), vmax=math.exp(span))
    ns, npart = len(subjects), len(partners)
    panel_w, panel_h = 1.6 + 0.34 * npart, 1.2 + 0.3 * ns
    n_rows, n_cols = _grid_shape(len(confs), 2 if panel_w > 4 else 3)
    speeds_text = (f"at {speeds_used[0]:g} km/h" if closing_speed_kph is not None else
                   "mean over the grid's closing speeds")
    width = max(6.5, panel_w * n_cols + 1.4)
    fig = _new_figure(width, panel_h * n_rows + 1.3, footer(run, c.name))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, squeeze=False)).ravel()
    image = None
    for k, (ax, conf) in enumerate(zip(axes, confs)):
        image = ax.imshow(ratio[k], cmap="RdBu_r", norm=norm, aspect="auto",
                          interpolation="nearest")
        ax.set_title(conf, fontsize=10)
        ax.set_xticks(range(npart), short_names(run, partners), rotation=60, ha="right",
                      fontsize=7)
        ax.set_yticks(range(ns), short_names(run, subjects), fontsize=7)
        ax.set_xlabel("partner vehicle", fontsize=8)
        if ns * npart <= 160:
            for i in range(ns):
                for j in range(npart):
                    v = ratio[k, i, j]
                    if np.isfinite(v):
                        dark = abs(math.log(v)) > 0.6 * span if v > 0 else False
                        ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=6.5,
                                color="white" if dark else "black")
    for ax in axes[len(confs):]:
        ax.set_visible(False)
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes[:len(confs)]), shrink=0.8)
        bar.set_label(f"risk relative to the reference cars\n(1 = same; {c.outcome})",
                      fontsize=8)
        _plain_log_ticks(bar, norm.vmin, norm.vmax)
    fig.suptitle(textwrap.fill(f"Risk of the subject occupant relative to the reference cars' "
                               f"occupants, {c.name}, {speeds_text}", int(width * 13)),
                 fontsize=10)
    fig.crashcompat_data = {"kind": "risk-ratio", "curve": c.name, "outcome": c.outcome,
                            "configurations": confs, "subjects": subjects,
                            "partners": partners, "speeds_kph": speeds_used, "ratio": ratio,
                            "subject_risk": subject_mean, "reference_risk": reference_mean}
    return fig


# -- crush demand against crush space ---------------------------------------------------------

def crush_demand(run, *, configurations=None):
    """Crush demand (the mean maximum dynamic crush of the struck face, m) against that face's
    crush space (catalog, m), per vehicle and closing speed, one panel per configuration.

    Demand = the summary's mean crush ratio (crush / crush space, from the pulse measures) x
    the crush space of the face the configuration strikes (front, side or rear,
    :data:`crashcompat.runs.tables.CONFIGURATION_FACES`); the mean is over the partners and the
    inner axes. Points above the line demand = space use up the structure: an intrusion
    indicator, not a prediction of intrusion (docs/model.md).

    ``fig.crashcompat_data``: flat arrays, one entry per (configuration, vehicle, closing
    speed): ``configuration``, ``vehicle``, ``role``, ``face``, ``closing_speed_kph``,
    ``crush_space_m``, ``crush_ratio``, ``crush_demand_m``.
    """
    from crashcompat.runs.tables import CONFIGURATION_FACES, FACES

    rows = summary_rows(run)
    if not rows or "subject_crush_ratio" not in rows[0]:
        raise NotAvailableError("the crush figure needs the pulse measures, which this run "
                                "does not have; add pulse to measures (--measures dv,risk,pulse)")
    speed = speed_axis(run)
    confs = list(configurations or run.axes["configuration"])
    unknown = [x for x in confs if x not in run.axes["configuration"]]
    if unknown:
        raise NotAvailableError(f"configuration {unknown[0]!r} is not in this run; it has "
                                f"{', '.join(run.axes['configuration'])}")
    first_ref = _first_reference(run)
    first_subject = run.subject_ids[0]
    acc: dict[tuple, list] = {}
    for r in rows:
        if r["configuration"] not in confs:
            continue
        if r["reference"] == first_ref:
            acc.setdefault((r["configuration"], r["subject"], "subject", r[speed]),
                           []).append(r["subject_crush_ratio"])
        if r["reference"] and r["subject"] == first_subject:
            acc.setdefault((r["configuration"], r["reference"], "reference", r[speed]),
                           []).append(r["reference_crush_ratio"])
    out = {k: [] for k in ("configuration", "vehicle", "role", "face", "closing_speed_kph",
                           "crush_space_m", "crush_ratio", "crush_demand_m")}
    for (conf, vid, role, v), ratios in acc.items():
        vals = np.array([_nan(x) for x in ratios])
        ratio = float(np.nanmean(vals)) if np.isfinite(vals).any() else np.nan
        face = FACES[CONFIGURATION_FACES[conf][0]]
        space = float(run.catalog[vid].crush_space_m(face))
        for key, value in zip(out, (conf, vid, role, face, float(v), space, ratio,
                                    ratio * space)):
            out[key].append(value)
    data = {k: np.array(v, dtype=object if k in ("configuration", "vehicle", "role", "face")
                        else float) for k, v in out.items()}

    n_rows, n_cols = _grid_shape(len(confs), 2)
    fig = _new_figure(4.4 * n_cols + 1.2, 3.6 * n_rows + 0.9, footer(run, _run_curves(run)))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, squeeze=False)).ravel()
    speeds = data["closing_speed_kph"]
    vmin, vmax = (float(np.min(speeds)), float(np.max(speeds))) if len(speeds) else (0, 1)
    scatter = None
    for ax, conf in zip(axes, confs):
        here = data["configuration"] == conf
        top = 0.0
        for role, marker, label in (("subject", "o", "subject (kei)"),
                                    ("reference", "s", "reference car")):
            m = here & (data["role"] == role)
            if not m.any():
                continue
            scatter = ax.scatter(data["crush_space_m"][m], data["crush_demand_m"][m],
                                 c=speeds[m], cmap="viridis", vmin=vmin, vmax=vmax, s=22,
                                 marker=marker, edgecolors="black", linewidths=0.3,
                                 label=label)
            top = max(top, float(np.nanmax(np.r_[data["crush_demand_m"][m],
                                                 data["crush_space_m"][m]])))
        lim = 1.08 * top if top > 0 else 1.0
        ax.plot([0, lim], [0, lim], color="0.2", linewidth=1, linestyle="--",
                label="demand = crush space (used up)")
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        face = FACES[CONFIGURATION_FACES[conf][0]]
        ax.set_title(f"{conf} (struck face: {face})", fontsize=10)
        ax.set_xlabel(f"crush space, {face} (m)")
        ax.set_ylabel("crush demand: mean maximum dynamic crush (m)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right", frameon=False)
    for ax in axes[len(confs):]:
        ax.set_visible(False)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=list(axes[:len(confs)]), shrink=0.8)
        bar.set_label("closing speed (km/h)", fontsize=8)
    fig.suptitle("Crush demand against crush space (an intrusion indicator)", fontsize=11)
    fig.crashcompat_data = {"kind": "crush", **data}
    return fig


# -- validation scatter -----------------------------------------------------------------------

def validation_scatter(run=None, *, validation=None):
    """Predicted against measured delta-v of the validation suite's cases, one colour per
    crash type, with the 1:1 line and each type's bias and spread.

    ``validation`` is a result of :func:`crashcompat.validation.run_validation` (run here when
    not given); ``run`` is not needed. ``fig.crashcompat_data``: ``id``, ``type``,
    ``measured_dv_kph``, ``predicted_dv_kph``, ``error_pct`` (arrays) and ``summary`` (by type:
    n, bias_pct, spread_pct).
    """
    v = validation if validation is not None else validation_of()
    cases = list(v.cases)
    if not cases:
        raise NotAvailableError("the validation suite returned no cases to draw")
    data = {
        "id": np.array([c["id"] for c in cases], dtype=object),
        "type": np.array([c["type"] for c in cases], dtype=object),
        "measured_dv_kph": np.array([_nan(c["measured_dv_kph"]) for c in cases]),
        "predicted_dv_kph": np.array([_nan(c["predicted_dv_kph"]) for c in cases]),
        "error_pct": np.array([_nan(c.get("error_pct")) for c in cases]),
        # a case the suite keeps out of its statistics (a known gap) is drawn hollow
        "used": np.array([bool(c.get("used", True)) for c in cases]),
    }
    summary = dict(getattr(v, "summary", {}) or {})
    fig = _new_figure(6.0, 5.4, footer(None, extra=f"validation suite, {len(cases)} cases "
                                       "(no grid and no risk curve)"))
    ax = fig.subplots()
    types = list(dict.fromkeys(data["type"]))

    def pct(x, signed=False):
        x = _nan(x)
        return "-" if not math.isfinite(x) else (f"{x:+.0f} %" if signed else f"{x:.0f} %")

    for k, t in enumerate(types):
        m = data["type"] == t
        s = summary.get(t, {})
        label = t if not s else (f"{t}: n={s.get('n')}, bias {pct(s.get('bias_pct'), True)}, "
                                 f"spread {pct(s.get('spread_pct'))}")
        colour = (_REFERENCE_COLOURS + _SUBJECT_COLOURS)[k % 9]
        for used, face in ((True, colour), (False, "none")):
            mm = m & (data["used"] == used)
            if mm.any():
                ax.scatter(data["measured_dv_kph"][mm], data["predicted_dv_kph"][mm], s=26,
                           color=face, edgecolors=colour if not used else "black",
                           linewidths=0.3 if used else 1.0,
                           label=label if used else f"{t}: not in the statistics")
    both = np.r_[data["measured_dv_kph"], data["predicted_dv_kph"]]
    top = 1.08 * float(np.nanmax(both)) if np.isfinite(both).any() else 1.0
    ax.plot([0, top], [0, top], "--", color="0.2", linewidth=1, label="predicted = measured")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_aspect("equal")
    ax.set_xlabel("measured delta-v (km/h)")
    ax.set_ylabel("predicted delta-v (km/h)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    fig.suptitle("Validation: predicted against measured delta-v", fontsize=11)
    fig.crashcompat_data = {"kind": "validation", **data, "summary": summary}
    return fig


# -- the exposure-weighted headline -----------------------------------------------------------

def headline_ratios(run=None, *, headline=None):
    """The exposure-weighted headline: each kei vehicle's and the kei class's risk relative to
    the reference cars, with its 5-95 % band, one panel per outcome, and the Evans mass-ratio
    law's ratio for the same exposure beside it.

    ``headline`` is ``run.headline()`` (computed when not given). ``fig.crashcompat_data``:
    flat arrays over the drawn rows: ``outcome``, ``vehicle``, ``role``, ``curve``, ``ratio``,
    ``ratio_p05``, ``ratio_p95``, ``evans_ratio``, ``p``, ``p_p05``, ``p_p95``.
    """
    h = headline if headline is not None else headline_of(run)
    rows = [r for r in h.rows if r.get("role") != "reference" and r.get("ratio") is not None]
    if not rows:
        raise NotAvailableError("the headline has no kei rows with a ratio to draw")
    keys = ("outcome", "vehicle", "role", "curve", "ratio", "ratio_p05", "ratio_p95",
            "evans_ratio", "p", "p_p05", "p_p95")
    outcomes = list(dict.fromkeys(r["outcome"] for r in rows))

    def order(r):  # the class first, then vehicles from the highest ratio down
        return (r["role"] != "kei-class", -_nan(r["ratio"]))

    rows = sorted(rows, key=lambda r: (outcomes.index(r["outcome"]), *order(r)))
    data = {k: np.array([(r.get(k) if k in ("outcome", "vehicle", "role", "curve")
                          else _nan(r.get(k))) for r in rows],
                        dtype=object if k in ("outcome", "vehicle", "role", "curve") else float)
            for k in keys}
    n_v = max(sum(1 for r in rows if r["outcome"] == o) for o in outcomes)
    curves = ", ".join(dict.fromkeys(str(r.get("curve")) for r in rows))
    extra = (f"exposure {getattr(h, 'exposure_name', '?')}, {getattr(h, 'samples', '?')} "
             f"samples, seed {getattr(h, 'seed', '?')}")
    n_rows, n_cols = _grid_shape(len(outcomes), 2)
    fig = _new_figure(4.6 * n_cols + 1.0, (1.0 + 0.26 * n_v) * n_rows + 1.3,
                      footer(run, curves, extra))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, squeeze=False)).ravel()
    labels = _vehicle_labels(run)
    for ax, outcome in zip(axes, outcomes):
        m = data["outcome"] == outcome
        y = np.arange(int(m.sum()))[::-1]
        ratio = data["ratio"][m]
        lo, hi = data["ratio_p05"][m], data["ratio_p95"][m]
        colours = [_SUBJECT_COLOURS[0] if role == "kei-class" else "#555555"
                   for role in data["role"][m]]
        # the band as a bar of its own: the nominal point need not lie inside the 5-95 % range
        # of the draws when the assumed inputs are skewed
        banded = np.isfinite(lo) & np.isfinite(hi)
        if banded.any():
            ax.hlines(y[banded], lo[banded], hi[banded], color="0.45", linewidth=3, alpha=0.55,
                      label="5-95 % of the Monte Carlo draws")
        ax.scatter(ratio, y, color=colours, zorder=3, s=24,
                   label="nominal inputs (exposure-weighted)")
        ev = data["evans_ratio"][m]
        if np.isfinite(ev).any():
            ax.scatter(ev, y, marker="D", facecolors="none", edgecolors="#1f4e79", s=20,
                       zorder=3, label="Evans mass-ratio law")
        ax.axvline(1.0, color="0.2", linewidth=1, linestyle="--",
                   label="reference cars (mean) = 1")
        ax.set_yticks(y, [labels.get(v, v) for v in data["vehicle"][m]], fontsize=7)
        ax.set_xlabel(f"{outcome} risk relative to the reference cars (ratio, 1 = same)")
        ax.set_title(f"{outcome} ({', '.join(dict.fromkeys(data['curve'][m]))})", fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
        ax.margins(y=0.12)
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    # legends below the panels, where they cover no point
    for ax in axes[:len(outcomes)]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=2, fontsize=7,
                  frameon=False)
    fig.suptitle("Exposure-weighted risk per two-vehicle crash, relative to the reference cars",
                 fontsize=11)
    fig.crashcompat_data = {"kind": "headline", **data,
                            "exposure": getattr(h, "exposure_name", None),
                            "samples": getattr(h, "samples", None),
                            "seed": getattr(h, "seed", None)}
    return fig


# -- dispatch and saving ----------------------------------------------------------------------

#: kind -> (function, whether it needs a grid run, one line of help)
KINDS = {
    "dv": (dv_by_partner_class, True,
           "occupant delta-v against closing speed per partner class, with bands"),
    "risk-ratio": (risk_ratio_heatmap, True,
                   "kei vehicle x partner heat maps of the risk relative to the reference cars"),
    "crush": (crush_demand, True, "crush demand against crush space (needs the pulse measures)"),
    "validation": (validation_scatter, False, "validation suite: predicted against measured"),
    "headline": (headline_ratios, True,
                 "the exposure-weighted headline's risk ratios with their bands"),
}


def plot(kind: str, run=None, **options):
    """The figure ``kind`` (a key of :data:`KINDS`) of ``run`` with the kind's options."""
    try:
        func, _, _ = KINDS[kind]
    except KeyError:
        raise NotAvailableError(f"unknown figure kind {kind!r}; choose one of "
                                f"{', '.join(KINDS)}") from None
    return func(run, **options)


def save_figure(fig, path, *, overwrite: bool = False, dpi: int = 150):
    """Write ``fig`` to ``path`` (.png, .svg or .pdf from the extension), atomically; refuses an
    existing file unless ``overwrite``. The file's metadata names crashcompat and the footer;
    SVG and PDF carry no creation date, so the same figure gives the same file."""
    fmt = figure_format(path)
    creator = f"crashcompat {__version__}"
    meta = {"png": {"Software": creator, "Description": fig.crashcompat_footer},
            "svg": {"Creator": creator, "Date": None, "Description": fig.crashcompat_footer},
            "pdf": {"Creator": creator, "CreationDate": None,
                    "Subject": fig.crashcompat_footer}}[fmt]

    def write(temp):
        fig.savefig(temp, format=fmt, dpi=dpi, metadata=meta)

    return atomic_write(path, write, overwrite=overwrite)
