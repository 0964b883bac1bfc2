"""Crash pulse and occupant measures for many cases at once: the Python face of the pulse kernel.

:func:`crash_pulse` broadcasts SI inputs, packs them for :mod:`crashcompat.kernels.pulse`, runs the
parallel kernel and returns a :class:`PulseResult` with named arrays. Nothing here raises for a bad
*case*: such a case has NaN outputs and a nonzero ``status`` (see ``PULSE_STATUS_SENTENCES``). Bad
*arguments* (both or neither force-crush model given, dt <= 0) raise ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from crashcompat.errors import Status
from crashcompat.units import G0

__all__ = ["OccupantParams", "PulseResult", "crash_pulse", "PULSE_STATUS_SENTENCES",
           "DEFAULT_DT_S", "DEFAULT_MAX_STEPS", "DEFAULT_COMPARTMENT_FACTOR"]

#: Default fixed step, s. Pulses of 50-150 ms get 250-750 samples; the CRASH3 integrator's
#: O(dt^2) error is then about 1e-4 relative in crush and timing (tests/test_pulse.py).
DEFAULT_DT_S = 2e-4
#: Default step cap: 1 s of contact at the default step.
DEFAULT_MAX_STEPS = 5000
#: Occupant-compartment stage (docs/model.md, Energy split and crush; **assumption**): past its
#: crush space a face's force-crush slope (k, or CRASH3 B) is this many times its crush-zone slope,
#: the force staying continuous at the knee. The compartment (firewall, A-pillars, sills, floor
#: tunnel) is built to carry the crush zone's peak force without folding, so it is taken an order
#: of magnitude stiffer; no published force-crush curve of a compartment was found. 1 switches the
#: stage off (the single-stage law). The sensitivity of the crush ratios to it is in docs/model.md.
DEFAULT_COMPARTMENT_FACTOR = 10.0

#: Sentences for the status codes the pulse kernel writes.
PULSE_STATUS_SENTENCES = {
    0: "ok: the faces separated within the step budget.",
    Status.NO_CONTACT: "No contact: the closing speed along the impulse line is not positive.",
    Status.INVALID_INPUT: (
        "Invalid input: a value is NaN or infinite, a mass, stiffness, width, B coefficient or "
        "crush space is not positive, A is negative, the restitution is outside [0, 1], an "
        "engagement factor is outside (0, 1] or a compartment factor is below 1."
    ),
    5: "The faces did not separate within max_steps steps of dt; raise max_steps or dt.",
}


@dataclass(frozen=True)
class OccupantParams:
    """Occupant-model parameters (SI). Defaults and their sources:

    - ``olc_free_m`` 0.065 and ``olc_decel_m`` 0.235: Euro NCAP MPDB (TB 027), OLC virtual occupant.
    - ``flail_x_m`` 0.6, ``flail_y_m`` 0.3: flail-space model, NCHRP Report 350 / AASHTO MASH.
    - ``ora_window_s`` 0.010: ORA averaging window (NCHRP 350 / MASH).
    - ``belt_slack_m`` 0.0: **(assumption, calibrated)** a pretensioned belt: the pretensioner
      takes up the slack before the occupant loads it. The earlier 0.05 m (slack plus seat and
      clothing take-up, no pretensioner) put the belted occupant of the calibration test (NHTSA
      10146, 2018 Camry, 5 stars) at 58 g, above the 48 g a 5-star chest allows; with 0 it is
      46 g (docs/model.md, "Pulse calibration").
    - ``belt_stiffness_per_kg`` 2500 s^-2: **(assumption)** linear belt stiffness per occupant mass,
      a natural frequency of 7.96 Hz (190 kN/m for a 75 kg occupant), inside the 5-10 Hz range
      lumped restraint models use; no load limiter, no airbag, no damping.

    The belted-occupant peak is a **ranking** figure (``PULSE_FIGURES_NOTE`` in
    :mod:`crashcompat.severity.measures`): the model has no load limiter or airbag.
    """

    olc_free_m: float = 0.065
    olc_decel_m: float = 0.235
    flail_x_m: float = 0.6
    flail_y_m: float = 0.3
    ora_window_s: float = 0.010
    belt_slack_m: float = 0.0
    belt_stiffness_per_kg: float = 2500.0

    def __post_init__(self):
        for name in ("olc_free_m", "olc_decel_m", "flail_x_m", "flail_y_m", "ora_window_s",
                     "belt_stiffness_per_kg"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive finite number, got {v!r}.")
        if not (np.isfinite(self.belt_slack_m) and self.belt_slack_m >= 0):
            raise ValueError(f"belt_slack_m must be finite and >= 0, got {self.belt_slack_m!r}.")

    def as_array(self) -> np.ndarray:
        return np.array([self.olc_free_m, self.olc_decel_m, self.flail_x_m, self.flail_y_m,
                         self.ora_window_s, self.belt_slack_m, self.belt_stiffness_per_kg],
                        dtype=np.float64)


#: (attribute name, kernel output row, divide by G0?)
_FIELDS = (
    ("duration_s", "duration", False),
    ("t_max_crush_s", "t_max_crush", False),
    ("dv1_mps", "dv1", False), ("dv2_mps", "dv2", False),
    ("peak_accel1_mps2", "apeak1", False), ("peak_accel2_mps2", "apeak2", False),
    ("mean_accel1_mps2", "amean1", False), ("mean_accel2_mps2", "amean2", False),
    ("crush1_m", "crush1", False), ("crush2_m", "crush2", False),
    ("crush_ratio1", "crush_ratio1", False), ("crush_ratio2", "crush_ratio2", False),
    ("energy1_j", "energy1", False), ("energy2_j", "energy2", False),
    ("ees1_mps", "ees1", False), ("ees2_mps", "ees2", False),
    ("olc1_g", "olc1", True), ("olc2_g", "olc2", True),
    ("oiv_x1_mps", "oiv_x1", False), ("oiv_y1_mps", "oiv_y1", False),
    ("oiv_x2_mps", "oiv_x2", False), ("oiv_y2_mps", "oiv_y2", False),
    ("ora_x1_g", "ora_x1", True), ("ora_y1_g", "ora_y1", True),
    ("ora_x2_g", "ora_x2", True), ("ora_y2_g", "ora_y2", True),
    ("t_flail1_s", "t_flail1", False), ("t_flail2_s", "t_flail2", False),
    ("occupant_peak1_g", "occ1", True), ("occupant_peak2_g", "occ2", True),
)


@dataclass
class PulseResult:
    """Named output arrays (all with the broadcast input shape) plus ``status`` (int8).

    Accelerations are in m/s^2 except the occupant measures OLC, ORA and the belted occupant peak,
    which are in g (``units.G0``) as the criteria are quoted. ``crush_ratio*`` is an intrusion
    **indicator** (maximum dynamic crush / crush space), not a prediction of intrusion.
    """

    model: str
    status: np.ndarray
    arrays: dict = field(repr=False)

    def __getattr__(self, name):
        arrays = self.__dict__.get("arrays")
        if arrays is not None and name in arrays:
            return arrays[name]
        raise AttributeError(name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.arrays))

    def to_dict(self) -> dict:
        """Every named array and ``status``, in a fixed column order."""
        d = dict(self.arrays)
        d["status"] = self.status
        return d


def _pack(shape, cols):
    from crashcompat.kernels import pulse as kp

    P = np.zeros((kp.N_IN, int(np.prod(shape, dtype=np.int64))), dtype=np.float64)
    for row, val in cols.items():
        P[row] = np.broadcast_to(np.asarray(val, dtype=np.float64), shape).ravel()
    return P


def crash_pulse(m1_kg, m2_kg, closing_speed_mps, restitution, *, crush_space1_m, crush_space2_m,
                k1_n_per_m=None, k2_n_per_m=None, a1_n_per_m=None, b1_n_per_m2=None,
                a2_n_per_m=None, b2_n_per_m2=None, width1_m=None, width2_m=None,
                engage1=1.0, engage2=1.0, theta1_rad=0.0, theta2_rad=0.0,
                compartment_factor1=DEFAULT_COMPARTMENT_FACTOR,
                compartment_factor2=DEFAULT_COMPARTMENT_FACTOR, dt_s=DEFAULT_DT_S,
                max_steps=DEFAULT_MAX_STEPS,
                occupant: OccupantParams | None = None, parallel: bool = True,
                block: int = 64) -> PulseResult:
    """Crash pulse along the impulse line for broadcastable arrays of cases (SI in and out).

    Give either the linear stiffnesses ``k1_n_per_m, k2_n_per_m`` (closed-form pulse) or the CRASH3
    coefficients ``a*_n_per_m, b*_n_per_m2`` with the engaged widths ``width*_m`` (integrated
    pulse, force ``w*(A + B*C)``). ``engage*`` in (0, 1] scales a face's force-crush law (structure
    height overlap, docs/model.md, Energy split and crush, assumption). ``theta*_rad`` is the angle between the impulse line
    and each vehicle's forward axis (0: frontal), used to split occupant measures into x and y.
    ``compartment_factor*`` (>= 1) is the occupant-compartment stage: past its crush space
    ``crush_space*_m`` a face's slope is this many times its crush-zone slope (docs/model.md,
    Energy split and crush; assumption, default :data:`DEFAULT_COMPARTMENT_FACTOR`; 1 = no stage).

    Physics, status codes and output definitions: :mod:`crashcompat.kernels.pulse`.
    """
    from crashcompat.kernels import pulse as kp

    linear = k1_n_per_m is not None or k2_n_per_m is not None
    crash3 = any(v is not None for v in (a1_n_per_m, b1_n_per_m2, a2_n_per_m, b2_n_per_m2,
                                         width1_m, width2_m))
    if linear == crash3:
        raise ValueError("Give either k1_n_per_m and k2_n_per_m (linear model) or the CRASH3 "
                         "coefficients a*, b* and widths, not both and not neither.")
    if linear and (k1_n_per_m is None or k2_n_per_m is None):
        raise ValueError("The linear model needs both k1_n_per_m and k2_n_per_m.")
    if crash3 and any(v is None for v in (a1_n_per_m, b1_n_per_m2, a2_n_per_m, b2_n_per_m2,
                                          width1_m, width2_m)):
        raise ValueError("The CRASH3 model needs a1, b1, a2, b2 and width1_m, width2_m.")
    dt_s = float(dt_s)
    if not (np.isfinite(dt_s) and dt_s > 0.0):
        raise ValueError(f"dt_s must be a positive finite time step in seconds, got {dt_s!r}.")
    if int(max_steps) < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps!r}.")
    occ = (occupant or OccupantParams()).as_array()

    cols = {kp.I_M1: m1_kg, kp.I_M2: m2_kg, kp.I_VC: closing_speed_mps, kp.I_E: restitution,
            kp.I_G1: engage1, kp.I_G2: engage2, kp.I_CS1: crush_space1_m,
            kp.I_CS2: crush_space2_m, kp.I_TH1: theta1_rad, kp.I_TH2: theta2_rad,
            kp.I_XC1: np.asarray(compartment_factor1, dtype=np.float64) - 1.0,
            kp.I_XC2: np.asarray(compartment_factor2, dtype=np.float64) - 1.0}
    if linear:
        cols.update({kp.I_K1: k1_n_per_m, kp.I_K2: k2_n_per_m})
        model = kp.MODEL_LINEAR
    else:
        cols.update({kp.I_A1: a1_n_per_m, kp.I_B1: b1_n_per_m2, kp.I_A2: a2_n_per_m,
                     kp.I_B2: b2_n_per_m2, kp.I_W1: width1_m, kp.I_W2: width2_m})
        model = kp.MODEL_CRASH3
    shape = np.broadcast_shapes(*(np.shape(v) for v in cols.values()))
    P = _pack(shape, cols)
    n = P.shape[1]
    out = np.empty((kp.N_OUT, n), dtype=np.float64)
    status = np.empty(n, dtype=np.int8)
    if parallel:
        kp.pulse_grid(model, P, occ, dt_s, int(max_steps), out, status, int(block))
    else:
        kp.pulse_serial(model, P, occ, dt_s, int(max_steps), out, status)
    arrays = {}
    for name, row, in_g in _FIELDS:
        col = out[kp.OUT_NAMES.index(row)]
        arrays[name] = (col / G0 if in_g else col).reshape(shape)
    return PulseResult(model="linear" if linear else "crash3", status=status.reshape(shape),
                       arrays=arrays)
