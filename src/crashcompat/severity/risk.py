"""Injury and fatality risk curves as named, cited models (docs/model.md, Risk).

Every curve maps Δv (m/s at the API; converted to mph inside the kernels) and optionally the
PDOF (degrees clockwise from the vehicle's forward axis, docs/model.md, Conventions) to a probability clipped to
[0, 1]. They come from 1980s-2000s US field data with mixed belt use: comparators, not predictions
for one person. Report the curve's ``name`` and ``source`` with every figure; no bias correction for
the ~19 % physics-vs-NASS Δv difference (Funk, Cormier & Gabler, AAAM 2008) is applied here.

The Evans laws are *risk ratios*, not Δv curves; they live in :data:`RATIOS`, not :data:`CURVES`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


__all__ = ["JokschCurve", "MalliarisZero", "MalliarisOne", "LogisticCurve", "EvansMassRatio",
           "EvansFrickSide", "CURVES", "RATIOS", "register_curve", "pdof_sector", "curve_table"]

_MALLIARIS_SRC = ("Malliaris, Digges & DeBlois 1997, 'Relationships between crash casualties and "
                  "crash attributes', SAE 970393 (NASS-CDS)")
_EVANS_SRC = ("Evans & Frick 1993, 'Mass ratio and relative driver fatality risk in two-vehicle "
              "crashes', Accid. Anal. Prev. 25(2)")


def pdof_sector(pdof_deg):
    """(side, rear) indicator arrays for a PDOF in degrees (Malliaris DOFS, DOFB).

    Side: 45 <= PDOF <= 135 or 225 <= PDOF <= 315 (boundaries count as side); rear: 135 < PDOF <
    225; everything else is frontal. Angles are taken modulo 360. The rule is the kernels'
    (:func:`crashcompat.kernels.formulas.sector_sf`); NaN in, NaN out.
    """
    from crashcompat.kernels.arrays import sector_array

    p = np.asarray(pdof_deg, dtype=np.float64)
    flat = np.ascontiguousarray(p).reshape(-1)
    side, rear = np.empty(flat.shape), np.empty(flat.shape)
    sector_array(flat, side, rear)
    return side.reshape(p.shape), rear.reshape(p.shape)


def _probability(curve, dv_mps, pdof_deg):
    """A curve's probability through the kernels' risk formula (one owner for every path)."""
    from crashcompat.kernels.arrays import risk_array

    dv = np.asarray(dv_mps, dtype=np.float64)
    if pdof_deg is None:
        shape = dv.shape
        pd = np.zeros(1)
        dv_b = dv
    else:
        pd_in = np.asarray(pdof_deg, dtype=np.float64)
        dv_b, pd_b = np.broadcast_arrays(dv, pd_in)
        shape = dv_b.shape
        pd = np.ascontiguousarray(pd_b).reshape(-1)
    flat = np.ascontiguousarray(dv_b, dtype=np.float64).reshape(-1)
    out = np.empty(flat.shape)
    table = np.array([curve.row()], dtype=np.float64)
    risk_array(table, 0, flat, pd if pdof_deg is not None else np.zeros(flat.shape),
               pdof_deg is not None, out)
    out = out.reshape(shape)
    return out[()] if out.ndim == 0 else out


def curve_table(curves) -> np.ndarray:
    """The curves as rows of the kernels' curve table (``crashcompat.kernels.formulas.CURVE_*``).
    """
    from crashcompat.kernels.layout import CURVE_COLS

    rows = []
    for c in curves:
        row = getattr(c, "row", None)
        if row is None:
            raise ValueError(f"risk curve {c.name!r} has no compiled form (a row() method); "
                             "use a logistic or power-law curve")
        rows.append(row())
    return np.array(rows, dtype=np.float64).reshape(len(rows), CURVE_COLS)


@dataclass(frozen=True)
class LogisticCurve:
    """User-defined logistic curve ``p = 1/(1 + exp(-(a0 + a1_per_mph * dv_mph)))``."""

    name: str
    a0: float
    a1_per_mph: float
    source: str
    outcome: str = "user-defined"

    def row(self):
        return (0.0, self.a0, self.a1_per_mph, 0.0, 0.0, 1.0, 1.0)

    def probability(self, dv_mps, pdof_deg=None):
        return _probability(self, dv_mps, pdof_deg)


@dataclass(frozen=True)
class MalliarisZero(LogisticCurve):
    """Malliaris "Zero" model: logistic in Δv (mph) only, all impact directions together."""


@dataclass(frozen=True)
class MalliarisOne:
    """Malliaris "One" model: logistic in Δv (mph) plus side (DOFS) and rear (DOFB) indicators.

    ``logit = a0 + a1*dv_mph + a_side*DOFS + a_rear*DOFB``; without a PDOF the impact is frontal.
    """

    name: str
    a0: float
    a1_per_mph: float
    a_side: float
    a_rear: float
    outcome: str
    source: str = _MALLIARIS_SRC

    def row(self):
        return (0.0, self.a0, self.a1_per_mph, self.a_side, self.a_rear, 1.0, 1.0)

    def probability(self, dv_mps, pdof_deg=None):
        return _probability(self, dv_mps, pdof_deg)


@dataclass(frozen=True)
class JokschCurve:
    """Joksch's rule of thumb: P(driver death) = (Δv / 71 mph)^4, capped at 1."""

    name: str = "joksch-fatal"
    dv_ref_mph: float = 71.0
    power: float = 4.0
    outcome: str = "driver fatality"
    source: str = ("Joksch 1993, 'Velocity change and fatality risk in a crash - a rule of thumb', "
                   "Accid. Anal. Prev. 25(1)")

    def row(self):
        return (1.0, 0.0, 0.0, 0.0, 0.0, self.dv_ref_mph, self.power)

    def probability(self, dv_mps, pdof_deg=None):
        return _probability(self, dv_mps, pdof_deg)


@dataclass(frozen=True)
class EvansMassRatio:
    """Evans mass-ratio law: driver-fatality ratio lighter/heavier = (m_heavy/m_light)^u.

    ``u`` = 3.5 by default; Evans & Frick give 2.7-4.3 as its range (pass ``u`` to vary it).
    """

    name: str = "evans-mass-ratio"
    u: float = 3.5
    outcome: str = "driver fatality risk ratio (lighter/heavier car)"
    source: str = _EVANS_SRC

    def ratio(self, m_heavy_kg, m_light_kg, u=None):
        u = self.u if u is None else u
        return (np.asarray(m_heavy_kg, dtype=np.float64)
                / np.asarray(m_light_kg, dtype=np.float64)) ** u


@dataclass(frozen=True)
class EvansFrickSide:
    """Evans & Frick side factor: struck-side vs striking driver's fatality risk at equal mass.

    The struck driver's risk is 4.5 times the striking driver's when struck on the right and 10.1
    times when struck on the left.

    Those are US left-hand-drive drivers, so left = near side. For a right-hand-drive kei car pass
    ``driver_side="right"`` to map near/far side instead of left/right (an **assumption**: the study
    did not cover RHD cars). Frontal PDOF gives 1 (equal-mass symmetry); rear gives NaN (not
    covered).
    """

    name: str = "evans-frick-side"
    right: float = 4.5
    left: float = 10.1
    outcome: str = "driver fatality risk ratio (struck/striking, equal mass)"
    source: str = _EVANS_SRC

    def ratio(self, pdof_deg, driver_side="left"):
        if driver_side not in ("left", "right"):
            raise ValueError(f"driver_side must be 'left' or 'right', got {driver_side!r}.")
        p = np.mod(np.asarray(pdof_deg, dtype=np.float64), 360.0)
        side, rear = pdof_sector(p)
        struck_right = (p >= 45.0) & (p <= 135.0)
        near, far = (self.left, self.right)
        if driver_side == "left":
            val = np.where(struck_right, far, near)
        else:
            val = np.where(struck_right, near, far)
        return np.where(side > 0, val, np.where(rear > 0, np.nan, 1.0))


CURVES = {}


def register_curve(curve):
    """Add a curve (anything with name, source, outcome and probability) to :data:`CURVES`."""
    for attr in ("name", "source", "outcome", "probability"):
        if not hasattr(curve, attr):
            raise ValueError(f"curve has no {attr!r}; a curve needs name, source, outcome and "
                             f"probability().")
    CURVES[curve.name] = curve
    return curve


for _c in (
    JokschCurve(),
    MalliarisZero("malliaris-zero-fatal", -8.252, 0.177, _MALLIARIS_SRC, "fatal"),
    MalliarisZero("malliaris-zero-mais3", -5.450, 0.178, _MALLIARIS_SRC, "MAIS3+"),
    MalliarisZero("malliaris-zero-mais2", -3.761, 0.136, _MALLIARIS_SRC, "MAIS2+"),
    MalliarisOne("malliaris-one-fatal", -9.032, 0.198, 1.462, -1.921, "fatal"),
    MalliarisOne("malliaris-one-mais3", -5.820, 0.202, 0.556, -2.170, "MAIS3+"),
    MalliarisOne("malliaris-one-mais2", -4.029, 0.155, 0.465, -1.177, "MAIS2+"),
):
    register_curve(_c)

RATIOS = {r.name: r for r in (EvansMassRatio(), EvansFrickSide())}
