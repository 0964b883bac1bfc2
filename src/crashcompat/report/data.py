"""The numbers behind the figures and the report, taken from a grid run and nothing else.

A run (:class:`crashcompat.runs.grid.GridRun`) gives its summary rows, its metadata (version,
catalog hash, spec, models, curves and their sources, limits) and, when it was made with an
exposure, its headline (``run.headline()``). The validation suite
(:func:`crashcompat.validation.run_validation`) gives the predicted-vs-measured cases. Where one
of them is not available this module raises :class:`NotAvailableError` with one sentence that
says what is missing, so a figure can refuse clearly and the report can leave the section out
with a note.

Monte Carlo bands: a summary made with samples has ``X_p05`` and ``X_p95`` beside every column
``X`` that varies with the draws (:func:`band_columns`); without them the figures show the
spread across vehicles instead and say so.
"""

from __future__ import annotations

import json
import math
import tomllib
import weakref

import numpy as np

from crashcompat._version import __version__
from crashcompat.errors import CrashCompatError

__all__ = ["NotAvailableError", "summary_rows", "band_columns", "has_band", "short_name",
           "short_names", "vehicle_class", "grid_name", "headline_of", "validation_of",
           "curve_of", "footer", "spec_to_toml", "assumptions", "limits", "provenance",
           "speed_axis"]


class NotAvailableError(CrashCompatError):
    """A figure or report section needs data this run or this installation does not have (no
    headline without an exposure, no validation suite yet, no pulse measures); the message says
    what to do."""


#: summary -> its rows, built once: every figure reads them, and building the row dicts of a
#: large summary takes seconds
_ROWS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def summary_rows(run) -> list[dict]:
    """The run's summary comparison rows (the summary is computed once by the run, its rows
    once here)."""
    summary = run.summary()
    try:
        return _ROWS[summary]
    except (KeyError, TypeError):
        pass
    rows = summary.rows
    try:
        _ROWS[summary] = rows
    except TypeError:  # not weak-referenceable: not cached
        pass
    return rows


def band_columns(column: str) -> tuple[str, str]:
    """Names of the 5th and 95th percentile columns of ``column`` in a summary with samples."""
    return f"{column}_p05", f"{column}_p95"


def has_band(rows, column: str) -> bool:
    """True when the summary rows carry Monte Carlo percentiles of ``column``."""
    lo, hi = band_columns(column)
    return bool(rows) and lo in rows[0] and hi in rows[0]


def short_name(run, vehicle_id: str) -> str:
    """A vehicle's make and model without the generation ("Honda N-BOX"), for labels; the id
    when the catalog has no name."""
    name = run.catalog[vehicle_id].name or vehicle_id
    return name.split(" (")[0].strip() or vehicle_id


def short_names(run, ids) -> list[str]:
    """:func:`short_name` of each id, with the id itself where two short names would read
    the same (two generations of one model)."""
    names = [short_name(run, i) for i in ids]
    seen: dict[str, int] = {}
    for n in names:
        seen[n.lower()] = seen.get(n.lower(), 0) + 1
    return [i if seen[n.lower()] > 1 else n for n, i in zip(names, ids)]


def vehicle_class(run, vehicle_id: str) -> str:
    return run.catalog[vehicle_id].vehicle_class or "unclassified"


def speed_axis(run) -> str:
    """The run's closing-speed axis name, or a :class:`NotAvailableError` for a run with explicit
    subject and partner speeds (the figures draw against closing speed)."""
    if "closing_speed_kph" not in run.axes:
        raise NotAvailableError(
            "this figure is drawn against closing speed, but the run has explicit subject and "
            "partner speeds; give closing_speed_kph in the grid spec instead")
    return "closing_speed_kph"


def curve_of(run, curve: str | None = None):
    """The risk curve object named ``curve`` among the run's curves (the first by default)."""
    curves = list(getattr(run, "curves", []))
    if not curves:
        raise NotAvailableError(
            "this figure needs risk columns, but the run was made without the risk measures; "
            "add risk to measures (--measures dv,risk)")
    if curve is None:
        return curves[0]
    for c in curves:
        if c.name == curve:
            return c
    raise NotAvailableError(f"risk curve {curve!r} is not in this run; it has "
                            f"{', '.join(c.name for c in curves)} (choose one, or add it with "
                            "--risk-curve)")


def headline_of(run):
    """``run.headline()``, or :class:`NotAvailableError` when this crashcompat or this run has
    no exposure-weighted headline (no exposure given to run_grid)."""
    if run is None or not callable(getattr(run, "headline", None)):
        raise NotAvailableError(
            "the exposure-weighted headline needs GridRun.headline(), which this crashcompat "
            "version does not have yet")
    try:
        return run.headline()
    except NotAvailableError:
        raise
    except (CrashCompatError, ImportError) as exc:
        raise NotAvailableError(f"the exposure-weighted headline is not available for this "
                                f"run: {_sentence(exc)}") from None


def validation_of():
    """The validation suite's result (``crashcompat.validation.run_validation()``), or
    :class:`NotAvailableError` when the suite is not installed in this version."""
    try:
        from crashcompat.validation import run_validation
    except ImportError:
        raise NotAvailableError(
            "the validation suite (crashcompat.validation) is not in this crashcompat version "
            "yet") from None
    try:
        return run_validation()
    except CrashCompatError as exc:
        raise NotAvailableError(f"the validation suite could not run: {_sentence(exc)}") from None


def _sentence(exc) -> str:
    return str(exc).strip().rstrip(".")


def footer(run=None, curve: str | None = None, extra: str | None = None) -> str:
    """The line under every figure: the grid (preset or spec name), the risk curve, the
    crashcompat version and the catalog's hash."""
    parts = []
    if run is not None:
        parts.append(grid_name(run.spec))
    if curve:
        parts.append(f"risk curve {curve}" if "," not in curve else f"risk curves {curve}")
    if extra:
        parts.append(extra)
    parts.append(f"crashcompat {__version__}")
    if run is not None:
        parts.append(f"catalog sha256 {run.catalog.content_hash()[:12]}")
    return " · ".join(parts)


def grid_name(spec) -> str:
    """``preset 'kei-vs-us'`` when the spec is a preset as it stands, ``grid 'NAME'`` otherwise
    (with "preset with changes" where it started from a preset)."""
    from crashcompat.runs.spec import PRESETS, GridSpec

    if spec.name in PRESETS:
        if GridSpec(**PRESETS[spec.name]).to_dict() == spec.to_dict():
            return f"preset {spec.name!r}"
        return f"preset {spec.name!r} with changes"
    return f"grid spec {spec.name!r}"


# -- the spec, written back as TOML ----------------------------------------------------------

def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not math.isfinite(x):
            raise ValueError(f"{x} has no TOML spelling in a grid spec")
        return repr(x)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()
                                if x is not None) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def spec_to_toml(spec) -> str:
    """The grid spec as a TOML grid-spec file: ``crashcompat grid FILE`` (or
    :func:`crashcompat.runs.grid.load_spec`) gives back the same spec. Keys whose value is None
    (the speed axes of the other speed mode) are left out."""
    lines = []
    for key, value in spec.to_dict().items():
        if value is None:
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # never hand out a spec that does not parse
    return text


# -- what the report says about the model ----------------------------------------------------

def assumptions(run, headline=None) -> list[tuple[str, str]]:
    """(topic, sentence with its source) for every model choice and parameter the run's
    metadata records, then the headline's assumptions when there is a headline."""
    meta = run.metadata()
    out = []
    models = meta.get("models", {})
    labels = {"impact": "Impact model", "restitution_model": "Restitution",
              "energy_split": "Energy split", "occupant_dv": "Occupant delta-v",
              "speed_convention": "Speeds"}
    for key, label in labels.items():
        if models.get(key):
            out.append((label, str(models[key])))
    for name, info in meta.get("risk_curves", {}).items():
        out.append((f"Risk curve {name}", f"{info.get('outcome', '')}: {info.get('source', '')}"))
    if meta.get("risk_note"):
        out.append(("Risk", meta["risk_note"]))
    if meta.get("pulse"):
        out.append(("Pulse", meta["pulse"]))
    if meta.get("crush_exhausted"):
        out.append(("Crush space used up", str(meta["crush_exhausted"])))
    # the Monte Carlo's distributions, when the run has them (name -> {input, distribution,
    # source, assumption, ...}, crashcompat.runs.uncertainty.Uncertainty.to_dict)
    mc = meta.get("monte_carlo") or {}
    if mc.get("bands"):
        out.append(("Monte Carlo bands", f"{mc['bands']} ({mc.get('samples')} samples, seed "
                                          f"{mc.get('seed')})"))
    unc = mc.get("distributions") or meta.get("uncertainty")
    if isinstance(unc, dict):
        for name, info in unc.items():
            if isinstance(info, dict) and info.get("source"):
                what = info.get("input") or name
                dist = f" {info['distribution']}" if info.get("distribution") else ""
                flag = " (assumption)" if info.get("assumption") else ""
                out.append((f"Uncertainty: {what}", f"{dist.strip()}{flag}: {info['source']}"
                            if dist else f"{info['source']}{flag}"))
    if headline is not None:
        for sentence in getattr(headline, "assumptions", []) or []:
            out.append(("Headline", str(sentence)))
        for name, source in (getattr(headline, "curves", {}) or {}).items():
            if name not in meta.get("risk_curves", {}):  # the run's curves are listed above
                out.append((f"Headline curve {name}", str(source)))
    return out


def limits(run, headline=None) -> list[str]:
    """The model's limits (the run's metadata), then the headline's, without repeats."""
    base = str(run.metadata().get("limits", ""))
    out = [base]
    extra = getattr(headline, "limits", None) if headline is not None else None
    if isinstance(extra, str):
        extra = [extra]
    for x in extra or []:
        x = str(x).replace(base, "").strip() if base else str(x).strip()  # said once
        if x and x not in out:
            out.append(x)
    return [x for x in out if x]


def provenance(run, headline=None) -> dict:
    """Version, catalog hash, spec (dict and TOML), case count and status counts of the run;
    the headline's exposure, samples and seed when there is one."""
    meta = run.metadata()
    out = {
        "crashcompat_version": meta["crashcompat_version"],
        "catalog_sha256": meta["catalog_sha256"],
        "grid": grid_name(run.spec),
        "n_cases": meta["n_cases"],
        "status_counts": dict(run.summary().status_counts),
        "grid_spec": meta["grid_spec"],
        "grid_spec_toml": spec_to_toml(run.spec),
    }
    for key in ("samples", "seed", "exposure"):
        for where in (meta, meta.get("monte_carlo") or {}):
            if isinstance(where, dict) and where.get(key) is not None:
                value = where[key]
                # an exposure model is recorded as a dict; its name says which
                out[key] = value.get("name", "?") if isinstance(value, dict) else value
                break
    if headline is not None:
        for key, attr in (("exposure", "exposure_name"), ("samples", "samples"),
                          ("seed", "seed")):
            value = getattr(headline, attr, None)
            if value is not None and value != out.get(key):  # said once where they agree
                out[f"headline_{key}"] = value
    # the command that runs the same grid again (the spec file holds everything else)
    opts = [f"--{k} {out[k]}" for k in ("samples", "seed", "exposure") if out.get(k) is not None]
    if out.get("exposure") is None:
        opts.append("--exposure none")
    out["command"] = " ".join(["crashcompat report spec.toml", *opts, "-o report.html"])
    return out
