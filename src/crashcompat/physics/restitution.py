"""Coefficient of restitution as a function of closing speed, docs/model.md, Restitution.

Restitution falls as impact speed rises: e of 0.2-0.4 at 2-5 mph (Howard et al., SAE 931842), about
0.1-0.2 at medium and high speed (Monson & Germane, SAE 1999-01-0097; full-frontal barrier tests of
modern cars). The default curve is

    e(vc) = e_hi + (e_lo - e_hi) * exp(-vc / v_ref),   e_lo 0.3, e_hi 0.15, v_ref 5 m/s

with ``e_hi`` fitted to the validation set's calibration point (NHTSA test 10146, 2018 Toyota
Camry into the rigid barrier at 57.09 km/h: e = 0.157 +- 0.006 from its accelerometer trace; fit
0.151 +- 0.006, rounded to 0.15; ``crashcompat.validation.restitution_fit()``, docs/validation.md).
One point fixes no spread between vehicles: the uncertainty analysis draws e_hi over the
published 0.1-0.2 range. ``e_lo`` and ``v_ref`` remain assumptions shaped to Howard et al.

clipped to [0, 1]. The Cipriani et al. (SAE 2002-01-0540) low-speed regression is deliberately not
offered: it turns negative above about 37 mph and must not be extrapolated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SpeedDependentRestitution", "DEFAULT_RESTITUTION_MODEL"]


@dataclass(frozen=True)
class SpeedDependentRestitution:
    """``e(vc) = e_hi + (e_lo - e_hi) * exp(-vc / v_ref)``, clipped to [0, 1] (see the module
    docstring for the source of each default)."""

    e_lo: float = 0.3
    e_hi: float = 0.15
    v_ref_mps: float = 5.0

    def __post_init__(self):
        for name in ("e_lo", "e_hi"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"restitution model: {name} must be in [0, 1], got {v}")
        if not self.v_ref_mps > 0.0:
            raise ValueError(f"restitution model: v_ref_mps must be > 0, got {self.v_ref_mps}")

    def as_array(self) -> np.ndarray:
        """``(e_lo, e_hi, v_ref_mps)``, the form the kernels take."""
        return np.array([self.e_lo, self.e_hi, self.v_ref_mps])

    def __call__(self, closing_speed_mps):
        """e at these closing speeds (m/s; the sign is ignored), by the kernels' formula."""
        from crashcompat.kernels.arrays import restitution_array

        vc = np.asarray(closing_speed_mps, dtype=np.float64)
        out = np.empty(vc.shape)
        restitution_array(np.ascontiguousarray(vc).reshape(-1), self.as_array(),
                          out.reshape(-1))
        return out[()] if out.ndim == 0 else out

    def describe(self) -> str:
        return (
            f"e(vc) = {self.e_hi} + ({self.e_lo} - {self.e_hi}) * exp(-vc / {self.v_ref_mps} m/s), "
            "clipped to [0, 1] (e_hi fitted to NHTSA test 10146; e_lo, v_ref assumptions; "
            "docs/model.md, Restitution)"
        )


DEFAULT_RESTITUTION_MODEL = SpeedDependentRestitution()
