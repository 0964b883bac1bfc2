"""Occupant measures on measured (or simulated) vehicle acceleration traces. NumPy/SciPy, no numba.

Sign convention (crash tests): ``a`` is the vehicle's acceleration along its own axis in m/s^2,
negative while a frontal impact slows the vehicle. Results in g use ``units.G0``.

- :func:`olc`: occupant load criterion, Euro NCAP MPDB protocol (TB 027); docs/model.md, Crash pulse and occupant loading.
- :func:`oiv_ora`: flail-space OIV and ORA, NCHRP Report 350 / AASHTO MASH; docs/model.md, Crash pulse and occupant loading.
- :func:`cfc_filter`: SAE J211-1 channel-frequency-class filter, Appendix C design equations.

These are an independent formulation from the jitted helpers in :mod:`crashcompat.kernels.occupant`
(cumulative trapezoid sums and linear interpolation on samples, instead of Hermite interpolation of
exact kinematics), and serve as their slow reference in the tests. A free-flight occupant that has
not yet reached its distance when the trace ends raises ``ValueError`` (pad the trace if the
vehicle is known to be in free flight afterwards); ``short="nan"`` returns NaN instead, for batch
use where such traces are expected.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import signal
from scipy.integrate import cumulative_trapezoid

from crashcompat.units import G0

__all__ = ["olc", "oiv_ora", "OivOra", "cfc_filter", "SAMPLING_JITTER_TOL", "CFC_CLASSES"]

#: Largest accepted relative deviation of a sampling interval from the median interval.
SAMPLING_JITTER_TOL = 1e-3
#: Channel frequency classes supported by :func:`cfc_filter`.
CFC_CLASSES = (60, 180, 600, 1000)


def _check_trace(t, a, name="a", min_len=3):
    t = np.asarray(t, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError("t must be a one-dimensional array of sample times in seconds.")
    if a.shape != t.shape:
        raise ValueError(f"{name} must have the same shape as t, got {a.shape} and {t.shape}.")
    if t.size < min_len:
        raise ValueError(f"t is too short: {t.size} samples given, at least {min_len} needed.")
    if not np.all(np.isfinite(t)):
        raise ValueError("t contains NaN or infinite values.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    dt = np.diff(t)
    med = float(np.median(dt))
    if not med > 0.0 or np.any(dt <= 0.0):
        raise ValueError("t must be strictly increasing.")
    jitter = float(np.max(np.abs(dt - med))) / med
    if jitter > SAMPLING_JITTER_TOL:
        raise ValueError(f"t is unevenly sampled: relative jitter {jitter:.3g} exceeds "
                         f"{SAMPLING_JITTER_TOL:g}.")
    return t, a


def _first_crossing(t, y, level):
    """First time the sampled y reaches level (linear interpolation); NaN if never.
    """
    idx = np.flatnonzero(y >= level)
    if idx.size == 0:
        return np.nan
    k = int(idx[0])
    if k == 0:
        return float(t[0])
    y0, y1 = y[k - 1], y[k]
    return float(t[k - 1] + (t[k] - t[k - 1]) * (level - y0) / (y1 - y0))


def _short(short, what):
    if short == "nan":
        return np.nan
    raise ValueError(f"the trace ends before {what}; extend or pad the trace (or pass "
                     "short='nan' to get NaN)")


def olc(t, a, *, free_m=0.065, decel_m=0.235, short="raise"):
    """Occupant load criterion in g (Euro NCAP MPDB, TB 027).

    The vehicle velocity change ``dv(t) = -integral(a)`` (trapezoid) and the free occupant's
    displacement relative to the vehicle ``s(t) = integral(dv)`` are formed on the samples. t1 is
    where s reaches ``free_m``; from t1 the virtual occupant decelerates uniformly to the vehicle
    speed at t2 after a further ``decel_m``, i.e. t2 is the first time with ``s(t2) - s(t1) -
    dv(t2)*(t2 - t1)/2 = decel_m``. ``OLC = dv(t2)/(t2 - t1)/g``. A trace that ends before t2
    raises ValueError (``short="nan"``: returns NaN).
    """
    if short not in ("raise", "nan"):
        raise ValueError(f"short must be 'raise' or 'nan', got {short!r}")
    t, a = _check_trace(t, a)
    dv = -cumulative_trapezoid(a, t, initial=0.0)
    s = cumulative_trapezoid(dv, t, initial=0.0)
    t1 = _first_crossing(t, s, free_m)
    if not np.isfinite(t1):
        return _short(short, f'the free-flying occupant travels {free_m} m (t1)')
    s1 = free_m
    after = t > t1
    if not np.any(after):
        return _short(short, 'the virtual occupant completes its travel (t2)')
    ta = np.concatenate(([t1], t[after]))
    dva = np.concatenate(([np.interp(t1, t, dv)], dv[after]))
    sa = np.concatenate(([s1], s[after]))
    h = sa - s1 - 0.5 * dva * (ta - t1) - decel_m
    idx = np.flatnonzero(h >= 0.0)
    if idx.size == 0:
        return _short(short, 'the virtual occupant completes its travel (t2)')
    k = int(idx[0])
    t2 = ta[k - 1] + (ta[k] - ta[k - 1]) * (0.0 - h[k - 1]) / (h[k] - h[k - 1])
    dv2 = np.interp(t2, ta, dva)
    return float(dv2 / (t2 - t1) / G0)


class OivOra(NamedTuple):
    """Flail-space results: OIV components and magnitude (m/s), ORA components (g), flail time (s).
    """

    oiv_x: float
    oiv_y: float
    oiv: float
    ora_x: float
    ora_y: float
    t_flail: float


def oiv_ora(t, ax, ay=None, *, flail_x_m=0.6, flail_y_m=0.3, window_s=0.010, short="raise"):
    """Occupant impact velocity and ridedown acceleration (NCHRP Report 350 / AASHTO MASH).

    The unrestrained occupant flies free until it has moved ``flail_x_m`` longitudinally or
    ``flail_y_m`` laterally relative to the vehicle, whichever comes first (t_flail). OIV components
    are the relative speeds then; ORA components are the largest ``window_s`` moving averages of the
    vehicle acceleration (magnitude, g) over windows starting at or after t_flail. A trace that
    ends before the occupant reaches a surface raises ValueError (``short="nan"``: NaN results).
    """
    if short not in ("raise", "nan"):
        raise ValueError(f"short must be 'raise' or 'nan', got {short!r}")
    t, ax = _check_trace(t, ax, "ax")
    if ay is None:
        ay = np.zeros_like(ax)
    else:
        _, ay = _check_trace(t, ay, "ay")
    vx = cumulative_trapezoid(ax, t, initial=0.0)
    vy = cumulative_trapezoid(ay, t, initial=0.0)
    sx = np.abs(cumulative_trapezoid(vx, t, initial=0.0))
    sy = np.abs(cumulative_trapezoid(vy, t, initial=0.0))
    tx = _first_crossing(t, sx, flail_x_m)
    ty = _first_crossing(t, sy, flail_y_m)
    tf = np.nanmin([tx, ty]) if np.isfinite(tx) or np.isfinite(ty) else np.nan
    if not np.isfinite(tf):
        _short(short, "the flail-space occupant reaches a surface")
        return OivOra(np.nan, np.nan, np.nan, np.nan, np.nan, np.nan)
    oiv_x = abs(float(np.interp(tf, t, vx)))
    oiv_y = abs(float(np.interp(tf, t, vy)))
    # Window averages from the cumulative velocity: (v(tau + h) - v(tau))/h.
    starts = np.concatenate(([tf], t[(t > tf) & (t + window_s <= t[-1] + 1e-12)]))
    if starts.size == 0 or starts[0] + window_s > t[-1] + 1e-12:
        ora_x = ora_y = np.nan
    else:
        ends = np.minimum(starts + window_s, t[-1])
        ora_x = float(np.max(np.abs(np.interp(ends, t, vx) - np.interp(starts, t, vx)))
                      / window_s / G0)
        ora_y = float(np.max(np.abs(np.interp(ends, t, vy) - np.interp(starts, t, vy)))
                      / window_s / G0)
    return OivOra(oiv_x, oiv_y, float(np.hypot(oiv_x, oiv_y)), ora_x, ora_y, float(tf))


def cfc_coefficients(cfc, dt):
    """SAE J211-1 (Appendix C) 2-pole Butterworth coefficients (b, a) for scipy.signal.lfilter.

    ``wd = 2*pi*CFC*2.0775``, ``wa = tan(wd*T/2)``; ``a0 = wa^2/(1 + sqrt2*wa + wa^2)``, ``a1 =
    2*a0``, ``a2 = a0``, ``b1 = -2*(wa^2 - 1)/(1 + sqrt2*wa + wa^2)``, ``b2 = (-1 + sqrt2*wa -
    wa^2)/(1 + sqrt2*wa + wa^2)``, in J211's recursion ``Y[t] = a0 X[t] + a1 X[t-1] + a2 X[t-2] + b1
    Y[t-1] + b2 Y[t-2]``.
    """
    wd = 2.0 * np.pi * cfc * 2.0775
    wa = np.sin(wd * dt / 2.0) / np.cos(wd * dt / 2.0)
    r2 = np.sqrt(2.0)
    den = 1.0 + r2 * wa + wa * wa
    a0 = wa * wa / den
    b1 = -2.0 * (wa * wa - 1.0) / den
    b2 = (-1.0 + r2 * wa - wa * wa) / den
    return np.array([a0, 2.0 * a0, a0]), np.array([1.0, -b1, -b2])


def cfc_filter(t, a, cfc):
    """Filter a trace with an SAE J211-1 channel frequency class (60, 180, 600 or 1000).

    The 2-pole Butterworth of J211 Appendix C is run forward and then backward (zero phase, 4 poles
    in effect). Each pass starts in the steady state of its first sample (an assumption: J211 asks
    for pre-event data instead, which a synthetic trace may lack).
    """
    t, a = _check_trace(t, a)
    if cfc not in CFC_CLASSES:
        raise ValueError(f"cfc must be one of {CFC_CLASSES}, got {cfc!r}.")
    dt = float(np.median(np.diff(t)))
    if not 2.0775 * cfc * dt < 0.5:
        raise ValueError(f"t is sampled too coarsely for CFC {cfc}: the sampling rate must exceed "
                         f"{2 * 2.0775 * cfc:.0f} Hz.")
    b, den = cfc_coefficients(cfc, dt)
    zi = signal.lfilter_zi(b, den)
    y, _ = signal.lfilter(b, den, a, zi=zi * a[0])
    y = y[::-1]
    y, _ = signal.lfilter(b, den, y, zi=zi * y[0])
    return y[::-1]
