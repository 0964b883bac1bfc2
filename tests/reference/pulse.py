"""Slow, plain reference of the crash-pulse kernel (``kernels/pulse.py``) for tests and benchmarks.

A different formulation on purpose: the two vehicles are integrated in absolute coordinates with
``scipy.integrate.solve_ivp`` (adaptive RK45, tight tolerances, events for maximum crush and
separation); the series force at a given total crush is found by root-finding the face compliances
(``brentq``) instead of the kernel's closed-form piecewise inverse; energies come from ``quad``; the
occupant measures come from :mod:`crashcompat.severity.occupant` on a finely resampled trace, and the belted
occupant from its own ``solve_ivp``. Same physics and assumptions as the kernel (see its docstring).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq

from crashcompat.severity import occupant as occ_mod
from crashcompat.units import G0

__all__ = ["reference_pulse"]


def _faces(model, g1, g2, k1=None, k2=None, a1=None, b1=None, a2=None, b2=None, w1=None, w2=None):
    """(threshold, slope) per face: face force = threshold + slope * crush for crush > 0."""
    if model == "linear":
        return (0.0, g1 * k1), (0.0, g2 * k2)
    return (g1 * w1 * a1, g1 * w1 * b1), (g2 * w2 * a2, g2 * w2 * b2)


def _face_crush(face, force):
    f, b = face
    return max(0.0, (force - f) / b)


def _series_force(faces, c):
    """Common force F at total crush c > 0: solve sum_i crush_i(F) = c."""
    if c <= 0.0:
        return min(faces[0][0], faces[1][0])
    lo = min(faces[0][0], faces[1][0])
    hi = lo + c * (faces[0][1] + faces[1][1]) + max(faces[0][0], faces[1][0]) + 1.0
    return brentq(lambda F: _face_crush(faces[0], F) + _face_crush(faces[1], F) - c, lo, hi,
                  xtol=1e-12, rtol=1e-15)


def reference_pulse(m1, m2, vc, e, *, model="linear", k1=None, k2=None, a1=None, b1=None,
                    a2=None, b2=None, w1=None, w2=None, engage1=1.0, engage2=1.0, cs1=1.0,
                    cs2=1.0, theta1=0.0, theta2=0.0, olc_free_m=0.065, olc_decel_m=0.235,
                    flail_x_m=0.6, flail_y_m=0.3, ora_window_s=0.010, belt_slack_m=0.05,
                    belt_stiffness_per_kg=2500.0, sample_dt=2e-5, rtol=1e-11):
    """One case; returns a dict keyed like ``kernels.pulse.OUT_NAMES`` (SI, accelerations m/s^2)."""
    faces = _faces(model, engage1, engage2, k1, k2, a1, b1, a2, b2, w1, w2)

    def load(t, y):  # y = x1, v1, x2, v2; vehicle 1 moves +x into vehicle 2
        c = y[0] - y[2]
        F = _series_force(faces, c) if c > 0 else min(faces[0][0], faces[1][0])
        return [y[1], -F / m1, y[3], F / m2]

    def ev_max(t, y):
        return y[1] - y[3]
    ev_max.terminal = True
    ev_max.direction = -1
    y0 = [0.0, vc, 0.0, 0.0]
    sol1 = solve_ivp(load, (0.0, 5.0), y0, method="RK45", rtol=rtol, atol=1e-13,
                     events=ev_max, dense_output=True)
    tm = float(sol1.t_events[0][0])
    ym = sol1.y_events[0][0]
    cm = ym[0] - ym[2]
    fm = _series_force(faces, cm)
    eload = quad(lambda c: _series_force(faces, c), 0.0, cm, epsabs=1e-10, epsrel=1e-13,
                 limit=200)[0]
    cr = [_face_crush(f, fm) for f in faces]
    ef = [quad(lambda c, f=f: f[0] + f[1] * c, 0.0, ci)[0] for f, ci in zip(faces, cr)]
    segs = [sol1]
    if e > 0.0:
        ku = fm * fm / (2.0 * e * e * eload)

        def unload(t, y):
            F = max(0.0, fm - ku * (cm - (y[0] - y[2])))
            return [y[1], -F / m1, y[3], F / m2]

        def ev_sep(t, y):
            return fm - ku * (cm - (y[0] - y[2]))
        ev_sep.terminal = True
        ev_sep.direction = -1
        sol2 = solve_ivp(unload, (tm, tm + 5.0), ym, method="RK45", rtol=rtol, atol=1e-13,
                         events=ev_sep, dense_output=True)
        tsep = float(sol2.t_events[0][0])
        ysep = sol2.y_events[0][0]
        segs.append(sol2)
    else:
        ku = math.inf
        tsep = tm
        ysep = ym
    dv1 = vc - ysep[1]
    dv2 = ysep[3]

    def force_at(t):
        if t <= tm:
            y = sol1.sol(t)
            c = y[0] - y[2]
            return _series_force(faces, c) if c > 0 else min(faces[0][0], faces[1][0])
        if t <= tsep and e > 0:
            y = segs[1].sol(t)
            return max(0.0, fm - ku * (cm - (y[0] - y[2])))
        return 0.0

    out = {"duration": tsep, "t_max_crush": tm, "dv1": dv1, "dv2": dv2, "apeak1": fm / m1,
           "apeak2": fm / m2, "amean1": dv1 / tsep, "amean2": dv2 / tsep, "crush1": cr[0],
           "crush2": cr[1], "crush_ratio1": cr[0] / cs1, "crush_ratio2": cr[1] / cs2,
           "energy1": (1 - e * e) * ef[0], "energy2": (1 - e * e) * ef[1]}
    out["ees1"] = math.sqrt(2 * out["energy1"] / m1)
    out["ees2"] = math.sqrt(2 * out["energy2"] / m2)

    # Resampled vehicle deceleration along the impulse line, padded with free flight (zeros) long
    # enough for the free occupant to reach every threshold.
    need = 0.0
    for dv, th in ((dv1, theta1), (dv2, theta2)):
        cx = max(abs(math.cos(th)), 0.05)
        need = max(need, 2.0 * (olc_free_m + olc_decel_m) / (dv * cx), 2.0 * flail_x_m / dv)
    t_end = min(tsep + need + 0.05, 5.0)
    t = np.arange(0.0, t_end, sample_dt)
    F = np.array([force_at(ti) for ti in t])
    for veh, (m, th) in enumerate(((m1, theta1), (m2, theta2)), start=1):
        a = F / m
        cx, cy = abs(math.cos(th)), abs(math.sin(th))
        out[f"olc{veh}"] = (occ_mod.olc(t, -a * cx, free_m=olc_free_m, decel_m=olc_decel_m,
                                        short="nan") * G0
                            if cx > 0 else 0.0)
        r = occ_mod.oiv_ora(t, -a * cx, -a * cy, flail_x_m=flail_x_m, flail_y_m=flail_y_m,
                            window_s=ora_window_s, short="nan")
        out[f"oiv_x{veh}"], out[f"oiv_y{veh}"] = r.oiv_x, r.oiv_y
        out[f"ora_x{veh}"], out[f"ora_y{veh}"] = r.ora_x * G0, r.ora_y * G0
        out[f"t_flail{veh}"] = r.t_flail
        out[f"occ{veh}"] = _belt_peak(t, a * cx, belt_slack_m, belt_stiffness_per_kg)
    return out


def _belt_peak(t, a, slack, kappa):
    """Peak belt deceleration (m/s^2) from solve_ivp of q'' = a(t) - kappa*max(q - slack, 0)."""
    def rhs(tt, y):
        ai = np.interp(tt, t, a)
        return [y[1], ai - kappa * max(y[0] - slack, 0.0)]
    sol = solve_ivp(rhs, (t[0], t[-1]), [0.0, 0.0], method="RK45", rtol=1e-10, atol=1e-12,
                    max_step=(t[1] - t[0]) * 5, dense_output=True)
    q = sol.sol(np.linspace(t[0], t[-1], 20 * t.size))[0]
    peak = kappa * max(0.0, float(np.max(q - slack)))
    # After the trace the vehicle is in free flight: the elastic belt keeps its energy.
    qe, ue = sol.y[0, -1] - slack, sol.y[1, -1]
    if qe > 0:
        peak = max(peak, kappa * math.sqrt(qe * qe + ue * ue / kappa))
    elif ue > 0:
        peak = max(peak, math.sqrt(kappa) * ue)
    return peak
