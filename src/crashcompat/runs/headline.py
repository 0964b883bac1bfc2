"""The headline: what a two-vehicle crash in traffic means for a kei car's driver, with its band.

:func:`build_headline` combines a grid run's groups (subject x partner x configuration x closing
speed) with an exposure model's weights (:mod:`crashcompat.runs.exposure`): the probability of
an outcome per two-vehicle crash is the weighted mean over the groups of each group's mean
probability (every case of a group, angle x overlap x position x restitution x friction x load,
weighs the same). The near side comes from the run, the far side from its companion run of side
impacts on the other side (:meth:`crashcompat.runs.grid.GridRun.far_side_run`). With a Monte
Carlo the same sums are formed for every sample inside the kernel (common random numbers: a kei
car and the reference cars share each sample's draws), and the bands are the 5th and 95th
percentiles over the samples of the per-sample probabilities and of the per-sample ratios
kei / reference mean (inverted-CDF sample quantiles, exact: the per-sample values are kept).

The nominal figures (``p``, ``ratio``, ...) use the nominal inputs, the deterministic model. The
Evans mass-ratio law gives an independent ratio from the masses alone.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.runs.exposure import CONFIGURATIONS

__all__ = ["Headline", "build_headline", "OUTCOMES"]

#: The outcomes reported, and how a curve's outcome maps to them.
OUTCOMES = ("MAIS3+", "fatal")
KEI_CLASS = "kei (class)"
_PCT = (5.0, 50.0, 95.0)


def _outcome(curve) -> str | None:
    o = str(getattr(curve, "outcome", "")).lower()
    if "mais3" in o:
        return "MAIS3+"
    if "fatal" in o:
        return "fatal"
    return None


class Headline:
    """Exposure-weighted outcomes per two-vehicle crash (see the module docstring).

    ``rows``: one dict per vehicle (each subject vehicle, ``"kei (class)"``, each reference car)
    and outcome, keys ``vehicle``, ``role`` (``kei``, ``kei-class``, ``subject``, ``reference``),
    ``outcome``, ``curve``, ``p`` (probability per crash) with ``p_p05``, ``p_p50``, ``p_p95``;
    ``ratio`` (to the reference cars' mean; None for references) with its bands;
    ``evans_ratio`` (Evans mass-ratio law, fatal rows); ``crush_exhausted_share`` with bands;
    ``dv_kph`` (exposure-weighted mean occupant delta-v) and ``dv_ratio`` with bands.
    ``by_partner_class``: the same per partner class and configuration (``"all"`` summed over
    the other). Bands are None without samples.
    """

    def __init__(self, *, rows, by_partner_class, assumptions, limits, exposure_name, samples,
                 seed, curves, configuration_shares, class_shares, notes,
                 short_assumptions=""):
        self.rows = rows
        self.by_partner_class = by_partner_class
        self.assumptions = assumptions
        self.limits = limits
        self.exposure_name = exposure_name
        self.samples = samples
        self.seed = seed
        self.curves = curves
        self.configuration_shares = configuration_shares
        self.class_shares = class_shares
        self.notes = notes
        #: the assumptions in one sentence, for the command line's headline
        self.short_assumptions = short_assumptions

    def to_dict(self) -> dict:
        return {"exposure": self.exposure_name, "samples": self.samples, "seed": self.seed,
                "curves": dict(self.curves), "class_shares": dict(self.class_shares),
                "configuration_shares": dict(self.configuration_shares),
                "rows": self.rows, "by_partner_class": self.by_partner_class,
                "assumptions": list(self.assumptions), "limits": self.limits,
                "notes": list(self.notes)}

    def to_pandas(self):
        """The rows as a ``pandas.DataFrame`` (the rest in ``df.attrs``). Needs pandas."""
        from crashcompat.errors import require_extra

        pd = require_extra("pandas", "Headline.to_pandas()", "pandas")
        df = pd.DataFrame.from_records(self.rows)
        attrs = self.to_dict()
        attrs.pop("rows")
        df.attrs.update(attrs)
        return df

    def row(self, vehicle: str, outcome: str) -> dict:
        for r in self.rows:
            if r["vehicle"] == vehicle and r["outcome"] == outcome:
                return r
        raise KeyError((vehicle, outcome))

    def __repr__(self) -> str:
        parts = []
        for outcome in OUTCOMES:
            try:
                r = self.row(KEI_CLASS, outcome)
            except KeyError:
                continue
            parts.append(f"{outcome} x{_f(_mid(r, 'ratio'))}{_band(r, 'ratio')}")
        band = f"{self.samples} samples, seed {self.seed}" if self.samples else "no samples"
        return (f"<Headline exposure {self.exposure_name!r} ({band}): kei class vs reference "
                f"cars per two-vehicle crash: {', '.join(parts) or 'no kei subjects'}; .rows, "
                ".by_partner_class, .assumptions, .limits, .to_dict(), .to_pandas()>")

    # -- text for the command line ----------------------------------------------------------
    def text(self) -> str:
        """The headline in at most about 40 lines: one line per vehicle (occupant delta-v, MAIS3+
        and fatal probability per crash, the share of crashes that use up the crush space), the
        ratio to the reference cars with its 5-95 % band for the kei cars and the value's band
        for the references, the ratio by partner class, the Evans check, the limits."""
        lines = []
        band = (f"{self.samples} Monte Carlo samples, seed {self.seed}: medians [5-95 %]"
                if self.samples else "nominal inputs, no bands (--samples N adds them)")
        mid = _mid if self.samples else (lambda r, k: r.get(k))
        shares = ", ".join(f"{k} {v:.0%}" for k, v in self.class_shares.items())
        lines.append(f"Kei cars in US two-vehicle crashes: exposure {self.exposure_name!r} "
                     f"({shares}); {band}.")
        lines.append("Per crash, weighted over partner class, configuration and closing speed; "
                     "x = ratio to the reference cars' mean in the same crashes.")
        cur = " | ".join(f"{o} = {self.curves_by_outcome.get(o, '-')}" for o in OUTCOMES)
        lines.append(f"Risk curves: {cur}.")
        by = {}
        for r in self.rows:
            by.setdefault(r["vehicle"], {})[r["outcome"]] = r
        wv = max([len("vehicle")] + [len(v) + 6 for v in by])
        cols = ("occupant dv km/h", "MAIS3+ %", "fatal %")
        lines.append(f"{'vehicle':<{wv}} " + " ".join(f"{c:>23}" for c in cols)
                     + f" {'crush used up %':>17}")

        def cell(r, key, pct):
            v = mid(r, key)
            txt = _pct(v) if pct else _f(v)
            rk = "ratio" if key == "p" else "dv_ratio"
            if r.get(rk) is not None:
                return f"{txt} x{_f(mid(r, rk))}{_band(r, rk)}"
            return f"{txt}{_band(r, key, pct=pct)}"

        for vehicle, outs in by.items():
            any_r = next(iter(outs.values()))
            tag = " (ref)" if any_r["role"] == "reference" else ""
            cells = [cell(any_r, "dv_kph", False)]
            cells += [cell(outs[o], "p", True) if o in outs else "-" for o in OUTCOMES]
            crush = (f"{_pct(mid(any_r, 'crush_exhausted_share'))}"
                     f"{_band(any_r, 'crush_exhausted_share', pct=True)}")
            lines.append(f"{vehicle + tag:<{wv}} " + " ".join(f"{c:>23}" for c in cells)
                         + f" {crush:>17}")
        kc = [r for r in self.by_partner_class if r["vehicle"] == KEI_CLASS
              and r["configuration"] == "all" and r["partner_class"] != "all"]
        for o in OUTCOMES:
            cells = [f"{r['partner_class']} x{_f(mid(r, 'ratio'))}{_band(r, 'ratio')}" for r in kc
                     if r["outcome"] == o and r["ratio"] is not None]
            if cells:
                lines.append(f"Kei class {o} ratio by partner class: " + ", ".join(cells) + ".")
        for r in self.rows:
            if r["vehicle"] == KEI_CLASS and r["outcome"] == "fatal" and r.get("evans_ratio"):
                lines.append(f"Independent check, Evans mass-ratio law (u = 3.5, masses only): "
                             f"kei class fatal x{_f(r['evans_ratio'])} against the physics' "
                             f"x{_f(mid(r, 'ratio'))}.")
        lines.append("Crush used up: the share of crashes in which the kei's crush demand "
                     "sqrt(2E/k) exceeds its crush space, an intrusion indicator, not a "
                     "prediction.")
        lines.append(f"Assumptions: {self.short_assumptions}")
        lines.append(f"Limits: {self.limits}")
        lines.append("Sources and every assumption: docs/uncertainty.md, and .assumptions "
                     "(--format json); the per-group table: --summary full.")
        return "\n".join(lines)

    @property
    def curves_by_outcome(self) -> dict:
        out = {}
        for r in self.rows:
            out.setdefault(r["outcome"], r["curve"])
        return out


def _mid(r, key):
    """The Monte Carlo median where there is one, else the nominal value."""
    v = r.get(f"{key}_p50")
    return r.get(key) if v is None else v


def _f(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}g}"


def _pct(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    v = 100.0 * x
    return f"{v:.2g}" if v < 1 else f"{v:.3g}"


def _band(r, key, digits=3, pct=False) -> str:
    lo, hi = r.get(f"{key}_p05"), r.get(f"{key}_p95")
    if lo is None or hi is None:
        return ""
    if pct:
        return f" [{_pct(lo)}-{_pct(hi)}]"
    return f" [{_f(lo, digits)}-{_f(hi, digits)}]"


# -- computing it ---------------------------------------------------------------------------

def _q(x):
    """5th, 50th, 95th percentiles over the last axis (inverted-CDF sample quantiles)."""
    with np.errstate(invalid="ignore"):
        if np.all(np.isnan(x)):
            return (None, None, None)
        q = np.nanpercentile(x, _PCT, method="inverted_cdf")
    return tuple(_v(v) for v in q)


def _v(x):
    x = float(x)
    return None if math.isnan(x) else x


def build_headline(run, far, progress=None) -> Headline:
    from crashcompat.physics.collide import LIMITS
    from crashcompat.severity.risk import RATIOS

    exp = run.exposure
    w = run.exposure_weights()
    runs = [r for r in (run, far) if r is not None]
    for r in runs:
        r.summary(progress=progress)
    nc = len(run.curves)
    n_rows = int(run.kernel_shape[0])
    n_subj = len(run.subject_ids)
    n_cls = len(w.class_names)
    n_cfg = len(CONFIGURATIONS)
    S = run.samples
    nom = np.zeros((n_rows, n_cls, n_cfg, 3 + nc))
    mc = np.zeros((n_rows, n_cls, n_cfg, S, 3 + nc)) if S else None
    for r in runs:
        ni = r._nominal_sums()
        acc = r.monte_carlo().acc if S else None
        for ic, name in enumerate(r._exposure_configurations()):
            k = CONFIGURATIONS.index(name)
            nom[:, :, k] += ni[:, :, ic]
            if S:
                mc[:, :, k] += acc[:, :, ic]
    from crashcompat.runs.grid import HEADLINE_SCALE

    scale = np.array(HEADLINE_SCALE[:3] + (HEADLINE_SCALE[3],) * nc)
    nom = nom / scale
    if S:
        mc = mc / scale

    outcome_curve = {}
    for kc, c in enumerate(run.curves):
        o = _outcome(c)
        if o is not None and o not in outcome_curve:
            outcome_curve[o] = kc
    vehicles = list(run.axes["subject"])
    kei_rows = [i for i in range(n_subj) if run.catalog[vehicles[i]].vehicle_class == "kei"]
    ref_rows = list(range(n_subj, n_rows))

    def reduce(arr, cls_sel, cfg_sel):
        """(rows[, samples], stats) weighted means over the selected cells."""
        a = arr[:, cls_sel][:, :, cfg_sel]
        tot = a.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return tot[..., 1:] / tot[..., :1]   # dv, crush, risks

    def entries(cls_sel, cfg_sel):
        """Per vehicle (incl. the kei class): nominal and per-sample dv, crush, risks."""
        n = reduce(nom, cls_sel, cfg_sel)          # (rows, 2 + nc)
        m = reduce(mc, cls_sel, cfg_sel) if S else None   # (rows, S, 2 + nc)
        out = {}
        if kei_rows:
            out[KEI_CLASS] = (n[kei_rows].mean(axis=0),
                              m[kei_rows].mean(axis=0) if S else None)
        for i in range(n_rows):
            out[vehicles[i]] = (n[i], m[i] if S else None)
        ref = ((n[ref_rows].mean(axis=0), m[ref_rows].mean(axis=0) if S else None)
               if ref_rows else None)
        return out, ref

    masses = {v: run.catalog[v].mass_kg for v in vehicles}
    evans = RATIOS["evans-mass-ratio"]
    pmass = np.array([run.catalog[p].mass_kg for p in run.partner_ids])

    def evans_share(m):
        rr = evans.ratio(pmass, m)
        return float(np.sum(w.partner * rr / (1.0 + rr)))

    ev = {v: evans_share(m) for v, m in masses.items()}
    ev_ref = np.mean([ev[vehicles[i]] for i in ref_rows]) if ref_rows else None
    if kei_rows:
        ev[KEI_CLASS] = float(np.mean([ev[vehicles[i]] for i in kei_rows]))

    def role(v):
        if v == KEI_CLASS:
            return "kei-class"
        if v in vehicles and vehicles.index(v) >= n_subj:
            return "reference"
        return "kei" if run.catalog[v].vehicle_class == "kei" else "subject"

    def make(v, vals, ref, outcome, kc, extra):
        n, m = vals
        d = dict(extra)
        d.update(vehicle=v, role=role(v), outcome=outcome, curve=run.curves[kc].name)
        ki = 2 + kc
        is_ref = role(v) == "reference"

        def put(key, nv, mv, rn=None, rm=None):
            d[key] = _v(nv)
            q = _q(mv) if mv is not None else (None, None, None)
            d[f"{key}_p05"], d[f"{key}_p50"], d[f"{key}_p95"] = q
            if rn is not None:
                rkey = "ratio" if key == "p" else f"{key.removesuffix('_kph')}_ratio"
                if is_ref or ref is None:
                    d[rkey] = None
                    d[f"{rkey}_p05"] = d[f"{rkey}_p50"] = d[f"{rkey}_p95"] = None
                else:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        d[rkey] = _v(nv / rn)
                        q = _q(mv / rm) if mv is not None else (None, None, None)
                    d[f"{rkey}_p05"], d[f"{rkey}_p50"], d[f"{rkey}_p95"] = q

        rn = ref[0] if ref is not None else None
        rm = ref[1] if ref is not None else None
        put("p", n[ki], m[:, ki] if m is not None else None,
            rn[ki] if rn is not None else None, rm[:, ki] if rm is not None else None)
        put("dv_kph", n[0], m[:, 0] if m is not None else None,
            rn[0] if rn is not None else None, rm[:, 0] if rm is not None else None)
        put("crush_exhausted_share", n[1], m[:, 1] if m is not None else None)
        return d

    rows = []
    all_cls = list(range(n_cls))
    all_cfg = list(range(n_cfg))
    ent, ref = entries(all_cls, all_cfg)
    for v, vals in ent.items():
        for outcome in OUTCOMES:
            if outcome not in outcome_curve:
                continue
            kc = outcome_curve[outcome]
            evr = None
            if outcome == "fatal" and ev_ref and role(v) != "reference":
                evr = ev[v] / ev_ref
            extra = {"mass_kg": masses.get(v), "evans_ratio": evr}
            rows.append(make(v, vals, ref, outcome, kc, extra))
    present_cls = [k for k in range(n_cls) if np.any(w.cls == k)]
    present_cfg = [k for k, c in enumerate(CONFIGURATIONS) if c in w.configuration]
    by = []
    for cl in present_cls + [None]:
        for cf in present_cfg + [None]:
            if cl is None and cf is None:
                continue
            ent_c, ref_c = entries([cl] if cl is not None else all_cls,
                                   [cf] if cf is not None else all_cfg)
            for v, vals in ent_c.items():
                for outcome in OUTCOMES:
                    if outcome not in outcome_curve:
                        continue
                    extra = {"partner_class": w.class_names[cl] if cl is not None else "all",
                             "configuration": CONFIGURATIONS[cf] if cf is not None else "all"}
                    by.append(make(v, vals, ref_c, outcome, outcome_curve[outcome], extra))
    assumptions = _assumptions(run, exp, w, outcome_curve, S)
    limits = (LIMITS + " The exposure is a fleet-based proxy for the partner mix, 2014 crash "
              "types and 1997-2002 towaway delta-v (NASS-CDS); probabilities are per crash of "
              "that severity population and the curves are comparators, not predictions for "
              "one person.")
    return Headline(rows=rows, by_partner_class=by, assumptions=assumptions, limits=limits,
                    exposure_name=exp.name, samples=S, seed=run.seed,
                    curves={run.curves[k].name: run.curves[k].source
                            for k in outcome_curve.values()},
                    configuration_shares=dict(w.configuration),
                    class_shares=dict(w.class_shares), notes=list(w.notes),
                    short_assumptions=_short(exp, w))


def _short(exp, w) -> str:
    pc = exp.raw.get("partner_class", {})
    mix = ("partner mix a fleet-in-operation proxy, not crash partners"
           if isinstance(pc, dict) and pc.get("method") == "fleet_proxy"
           else "partner mix as the exposure file gives it")
    src = exp.configuration_source
    src = f" ({src[:60]}{'...' if len(src) > 60 else ''})" if src else ""
    c = w.configuration
    near, far = c.get("side-near", 0.0), c.get("side-far", 0.0)
    side = (f", near/far side {near / (near + far):.0%}/{far / (near + far):.0%}"
            if near + far > 0 else "")
    sev = exp.severity.get("frontal")
    conv = (f" = {exp.closing_speed_per_delta_v:g} x delta-v (equal masses)"
            if sev is not None and sev.median_dv_kph else "")
    sev_txt = (f"; severity lognormal, frontal median {sev.median_closing_speed_kph:.0f} km/h "
               f"closing{conv}" if sev is not None else "")
    notes = " Renormalised: " + "; ".join(w.notes) + "." if w.notes else ""
    return (f"{mix}; configurations from {exp.configuration_method.replace('_', '-')}{src}"
            f"{side}{sev_txt}; every case of a group weighs the same." + notes)


def _assumptions(run, exp, w, outcome_curve, samples) -> list[str]:
    out = []
    cls = "; ".join(f"{c.name} ({c.catalog_class}) {c.share:g}"
                    + (" [derived]" if c.derived else "") + (" [placeholder]" if c.placeholder
                                                             else "")
                    + f": {c.source}" for c in exp.partner_classes)
    out.append(f"Partner classes, a fleet-in-operation proxy for the partner in a car's "
               f"two-vehicle crash, not a crash-partner tabulation: {cls}.")
    out.append("Within a class every catalog vehicle of that class in the grid is equally "
               "likely (assumption: no registration shares by model were used).")
    conf = ", ".join(f"{k} {v:.3f}" for k, v in w.configuration.items())
    out.append(f"Configurations ({exp.configuration_method}; {exp.configuration_source}): "
               f"{conf}. Near/far side split 50/50 (assumption, no source found); a rear-end "
               "striker is counted as a front-to-front impact at the same closing speed "
               "(approximation: the same collinear delta-v, the partner's front instead of its "
               "rear absorbing energy).")
    sev = "; ".join(f"{k}: closing speed lognormal, median {s.median_closing_speed_kph:.1f} km/h"
                    + (f" (delta-v {s.median_dv_kph:g} km/h x {exp.closing_speed_per_delta_v:g})"
                       if s.median_dv_kph else "")
                    + f", sigma_ln {s.sigma_ln:g}" + (" [placeholder]" if s.placeholder else "")
                    for k, s in exp.severity.items())
    out.append(f"Severity: {sev}. Delta-v from the NASS-CDS 1997-2002 towaway extract (DAAG "
               "nassCDS), converted to closing speed as a collinear impact of equal masses "
               "(assumption; the exposure file's derivation); each grid speed stands for the "
               "closing speeds up to halfway to "
               "its neighbours. NASS frontal delta-v runs about 19 % below EDR values (Funk, "
               "Cormier & Gabler 2008); no correction is applied.")
    out.append("Every case of a group (angle x overlap x impact position x restitution x "
               "friction x load of the grid) weighs the same.")
    if samples:
        out.append(f"Monte Carlo: {samples} samples, seed {run.seed}, over the distributions of "
                   "docs/uncertainty.md (restitution, friction, stiffness, yaw inertia, seat, "
                   "occupant load, crush space, angle/offset/position jitter); a kei car and the "
                   "reference cars share each sample's draws (common random numbers), so the "
                   "ratio's band is the band of paired ratios.")
    for o, kc in outcome_curve.items():
        c = run.curves[kc]
        out.append(f"{o}: curve {c.name} ({c.source}), at the driver-seat occupant delta-v and "
                   "PDOF; US field data of the 1980s-2000s with mixed belt use.")
    out.append("Evans mass-ratio law (Evans & Frick 1993, Accid. Anal. Prev. 25(2)): the lighter "
               "driver's fatality risk is (m_heavy / m_light)^u times the heavier's, u = 3.5 "
               "(2.7-4.3); here each vehicle's share of its pair's risk R / (1 + R) is weighted "
               "over the partner mix, assuming the pair's total risk is the same whichever car "
               "meets the partner (assumption); masses are curb mass plus the standard load.")
    out.append("Crush used up: crush demand of the struck face as a linear spring, "
               "C = sqrt(2E/k), against the catalog's crush space: an intrusion indicator, not "
               "a prediction.")
    out.extend(w.notes)
    return out
