"""Severity measures on top of the impulse-momentum result: crash pulse, occupant loading, risk.

Used by :func:`crashcompat.collide` and the grid, so one case gives the same numbers either way.

Measure families (``--measures`` on the CLI):

- ``dv``: the impulse-momentum results (always computed);
- ``pulse``: crash pulse, crush against crush space, OLC, OIV/ORA and the belted occupant
  (:mod:`crashcompat.kernels.pulse`, docs/model.md, Energy split and crush; Crash pulse);
- ``risk``: injury/fatality probabilities from named curves (:mod:`crashcompat.severity.risk`) at each
  occupant's delta-v and PDOF.

How the pulse is tied to the planar impact (**assumption**, the CRASH3 effective-mass convention,
McHenry): the pulse acts along the line of the planar impulse ``P`` through the contact point. Each
vehicle enters with its effective mass ``M_i = gamma_i m_i``, ``gamma_i = k_i^2/(k_i^2 + h_i^2)``
(``k_i`` yaw radius of gyration, ``h_i`` the impulse line's moment arm about the CG), and the
closing speed is set so that the pulse's impulse equals ``|P|``:
``v = |P| (1/M_1 + 1/M_2) / (1 + e)``. The pulse's delta-v is then the contact point's velocity
change along the impulse line (``|P|/M_i``; the CG's is ``|P|/m_i``), and for frictionless contact
its energy equals the impulse-momentum energy loss exactly. Accelerations, OLC, OIV and ORA are
those of that effective mass. The struck faces' CRASH3 A/B (or linear k) act over the engaged width;
in frontal impacts the lower structure's stiffness is scaled by the vertical overlap of the two
front-structure height bands (docs/model.md, Energy split and crush, assumption); side and rear faces have no height band
in the catalog and are fully engaged.
"""

from __future__ import annotations

import numpy as np

from crashcompat.errors import CrashCompatError

__all__ = ["MEASURE_FAMILIES", "DEFAULT_RISK_CURVES", "parse_measures", "resolve_curves",
           "risk_column", "height_engagement", "pulse_for_impacts", "PULSE_COLUMNS",
           "PULSE_FIGURES_NOTE", "PULSE_ABSOLUTE_COLUMNS", "PULSE_RANKING_COLUMNS"]

MEASURE_FAMILIES = ("dv", "pulse", "risk")
#: Curves reported by default: serious injury with impact direction, and fatality.
DEFAULT_RISK_CURVES = ("malliaris-one-mais3", "malliaris-one-fatal")

#: Pulse outputs kept per vehicle (suffix 1 subject, 2 partner in severity.PulseResult), with the
#: names used in results.
PULSE_COLUMNS = (
    ("pulse_duration_s", "duration_s", None),
    ("peak_accel_g", "peak_accel{}_mps2", "g"),
    ("mean_accel_g", "mean_accel{}_mps2", "g"),
    ("max_crush_m", "crush{}_m", None),
    ("crush_ratio", "crush_ratio{}", None),
    ("olc_g", "olc{}_g", None),
    ("oiv_x_mps", "oiv_x{}_mps", None),
    ("oiv_y_mps", "oiv_y{}_mps", None),
    ("ora_x_g", "ora_x{}_g", None),
    ("ora_y_g", "ora_y{}_g", None),
    ("occupant_peak_g", "occupant_peak{}_g", None),
)


#: Pulse columns (names of :data:`PULSE_COLUMNS`) that may be read as absolute estimates, and
#: those that are only for ranking cases against each other (docs/model.md, Crash pulse and
#: occupant loading, "Which pulse figures are absolute"). Delta-v, energy and EES come from the
#: impulse-momentum result and are absolute in every mode.
PULSE_ABSOLUTE_COLUMNS = ("pulse_duration_s", "mean_accel_g")
PULSE_RANKING_COLUMNS = ("peak_accel_g", "max_crush_m", "crush_ratio", "olc_g", "oiv_x_mps",
                         "oiv_y_mps", "ora_x_g", "ora_y_g", "occupant_peak_g")

#: The sentence every output with pulse figures carries (README, metadata, summaries).
PULSE_FIGURES_NOTE = (
    "Pulse figures: delta-v, energy and EES are absolute (impulse-momentum). Pulse duration and "
    "mean deceleration are calibrated to the full-frontal rigid-barrier test of the validation set "
    "(NHTSA 10146, within 20 %) and are absolute estimates for full-width frontal impacts only, "
    "uncertain by about 20 %. Peak deceleration, maximum crush, crush ratio (and the share of "
    "cases with crush ratio > 1, crush space exhausted), OLC, OIV/ORA and the belted-occupant "
    "peak are model indicators for ranking cases against each other, not predictions of what a "
    "test or a person would record."
)


def parse_measures(value) -> tuple[str, ...]:
    """``"dv,pulse,risk"`` or a list -> validated tuple (``dv`` always included)."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    out = ["dv"]
    for v in value:
        if v not in MEASURE_FAMILIES:
            raise CrashCompatError(
                f"measures: {v!r} is not one of {', '.join(MEASURE_FAMILIES)}")
        if v not in out:
            out.append(v)
    return tuple(out)


def resolve_curves(specs) -> list:
    """Curve names (from :data:`crashcompat.severity.risk.CURVES`) or dicts defining a user logistic curve
    ``{name, a0, a1_per_mph, source}`` -> curve objects."""
    from crashcompat.severity.risk import CURVES, LogisticCurve

    curves = []
    for spec in specs:
        if isinstance(spec, str):
            if spec not in CURVES:
                raise CrashCompatError(
                    f"risk curve {spec!r} is unknown; known: {', '.join(CURVES)}")
            curves.append(CURVES[spec])
        elif isinstance(spec, dict):
            missing = {"name", "a0", "a1_per_mph", "source"} - set(spec)
            if missing:
                raise CrashCompatError(
                    f"a user-defined risk curve needs name, a0, a1_per_mph and source; "
                    f"missing {', '.join(sorted(missing))}")
            curves.append(LogisticCurve(str(spec["name"]), float(spec["a0"]),
                                        float(spec["a1_per_mph"]), str(spec["source"]),
                                        str(spec.get("outcome", "user-defined"))))
        else:
            raise CrashCompatError(f"risk curve: expected a name or a table, got {spec!r}")
    return curves


def risk_column(prefix: str, curve) -> str:
    """Column name of a probability, e.g. ``subject_risk_malliaris_one_mais3``."""
    return f"{prefix}_risk_{curve.name.replace('-', '_')}"


#: Engagement of the lower structure when the two height bands do not overlap at all: the
#: striker's rails then load the struck car's upper structure (hood, wings, A-pillars), which is
#: softer but not absent. **(assumption)**, no published figure; exposed so users can vary it.
MIN_ENGAGEMENT = 0.3


def height_engagement(lo1, hi1, lo2, hi2, min_engagement=MIN_ENGAGEMENT):
    """Engagement factors (g1, g2) for two front structures' height bands (m): the lower one
    (by band centre) is scaled by the overlap length over its own band height, no less than
    ``min_engagement``; the other is 1. (assumption, docs/model.md, Energy split and crush)"""
    lo1, hi1, lo2, hi2 = (np.asarray(x, dtype=np.float64) for x in (lo1, hi1, lo2, hi2))
    overlap = np.clip(np.minimum(hi1, hi2) - np.maximum(lo1, lo2), 0.0, None)
    frac1 = np.maximum(overlap / (hi1 - lo1), min_engagement)
    frac2 = np.maximum(overlap / (hi2 - lo2), min_engagement)
    lower1 = (lo1 + hi1) < (lo2 + hi2)
    return np.where(lower1, np.minimum(frac1, 1.0), 1.0), np.where(lower1, 1.0,
                                                                   np.minimum(frac2, 1.0))


def pulse_for_impacts(*, m1, m2, izz1, izz2, r1x, r1y, r2x, r2y, px, py, e, a1, b1, a2, b2,
                      w1, w2, cs1, cs2, g1, g2, theta1_rad, theta2_rad, model="crash3",
                      k1=None, k2=None, compartment_factor=None):
    """Run the pulse kernel for impacts given by their planar impulse (all arrays, SI, global
    frame; ``P = (px, py)`` on vehicle 1). Returns (PulseResult, gamma1, gamma2).

    ``compartment_factor`` (>= 1, both vehicles; None: the default
    :data:`crashcompat.severity.pulse.DEFAULT_COMPARTMENT_FACTOR`) is the occupant-compartment
    stage of the struck faces past their crush spaces ``cs1``, ``cs2`` (docs/model.md, Energy
    split and crush)."""
    from crashcompat.severity.pulse import DEFAULT_COMPARTMENT_FACTOR, crash_pulse

    if compartment_factor is None:
        compartment_factor = DEFAULT_COMPARTMENT_FACTOR

    p = np.hypot(px, py)
    with np.errstate(invalid="ignore", divide="ignore"):
        ux, uy = px / p, py / p
        h1 = np.abs(r1x * uy - r1y * ux)
        h2 = np.abs(r2x * uy - r2y * ux)
        k1sq = izz1 / m1
        k2sq = izz2 / m2
        gamma1 = k1sq / (k1sq + h1 * h1)
        gamma2 = k2sq / (k2sq + h2 * h2)
        M1, M2 = gamma1 * m1, gamma2 * m2
        v = p * (1.0 / M1 + 1.0 / M2) / (1.0 + e)
    common = dict(crush_space1_m=cs1, crush_space2_m=cs2, engage1=g1, engage2=g2,
                  theta1_rad=theta1_rad, theta2_rad=theta2_rad,
                  compartment_factor1=compartment_factor, compartment_factor2=compartment_factor)
    if model == "crash3":
        res = crash_pulse(M1, M2, v, e, a1_n_per_m=a1, b1_n_per_m2=b1, a2_n_per_m=a2,
                          b2_n_per_m2=b2, width1_m=w1, width2_m=w2, **common)
    elif model == "linear":
        res = crash_pulse(M1, M2, v, e, k1_n_per_m=k1, k2_n_per_m=k2, **common)
    else:
        raise CrashCompatError(f"pulse model must be 'crash3' or 'linear', got {model!r}")
    return res, gamma1, gamma2


def pulse_columns(res, who: int, prefix: str) -> dict:
    """The per-vehicle pulse outputs as named columns (``prefix`` subject/partner)."""
    from crashcompat.units import G0

    out = {}
    for name, field, unit in PULSE_COLUMNS:
        arr = res.arrays[field.format(who)] if "{}" in field else res.arrays[field]
        if unit == "g":
            arr = arr / G0
        key = name if name == "pulse_duration_s" else f"{prefix}_{name}"
        out[key] = arr
    return out

