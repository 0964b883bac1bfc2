"""Pure-Python references for the performance kernel, in a different formulation.

- Sustained speed: the roots of the cubic ``a2 v^3 + a0 v - eta P`` from ``numpy.roots`` (the
  eigenvalues of its companion matrix), each polished by Newton steps, the largest real one
  taken; then the traction limit found by scanning the road load directly, and the cap.
- Runs: the equation of motion integrated in *time* with ``scipy.integrate.solve_ivp`` (DOP853,
  tight tolerances), state ``(v, x)``, with terminal events at the target speed or distance and
  a restart where traction hands over to power (the force law's kink), where the kernel
  integrates ``dv / a`` and ``v dv / a`` in speed by Gauss-Legendre quadrature; the hand-over
  speeds from ``numpy.roots`` where the kernel has the trigonometric closed form.

One vehicle per call, plain floats, no numba. Parameters are keyword arguments named as in the
physics: ``m`` (kg), ``power`` (W), ``eta``, ``cda`` (m^2), ``crr``, ``mu``, ``fd`` (driven-axle
weight share), ``delta`` (rotating-mass factor), ``rho`` (kg/m^3), ``g`` (m/s^2), ``vcap`` (m/s)
and ``grade`` (rise / run).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp


def _forces(m, power, eta, cda, crr, mu, fd, rho, g, grade):
    th = math.atan(grade)
    a0 = m * g * (crr * math.cos(th) + math.sin(th))
    a2 = 0.5 * rho * cda
    f_trac = mu * m * g * math.cos(th) * fd
    return eta * power, a0, a2, f_trac


def acceleration(v, *, m, power, eta, cda, crr, mu, fd, delta, rho, g, grade, **_):
    """Acceleration (m/s^2) at speed v (m/s), written out from the physics: the lesser of the
    traction-limited (F_trac - F_road) / m and the power-limited
    (eta P / v - F_road) / (m (1 + delta))."""
    p, a0, a2, f_trac = _forces(m, power, eta, cda, crr, mu, fd, rho, g, grade)
    road = a0 + a2 * v * v
    a_trac = (f_trac - road) / m
    if v * f_trac * 1e6 <= p:  # at rest, or power a million times the traction force
        return a_trac
    return min(a_trac, (p / v - road) / (m * (1.0 + delta)))


def handover_speeds(*, m, power, eta, cda, crr, mu, fd, delta, rho, g, grade, **_):
    """Positive speeds where the traction- and power-limited accelerations are equal, from
    ``numpy.roots`` of ``delta a2 v^3 - ((1 + delta) F_trac - delta a0) v + eta P``."""
    p, a0, a2, f_trac = _forces(m, power, eta, cda, crr, mu, fd, rho, g, grade)
    if delta == 0.0 or a2 == 0.0:
        b = (1.0 + delta) * f_trac - delta * a0
        return [p / b] if b > 0 else []
    roots = np.roots([delta * a2, 0.0, -((1.0 + delta) * f_trac - delta * a0), p])
    return sorted(r.real for r in roots if abs(r.imag) <= 1e-9 * abs(r) and r.real > 0)


def cubic_root(p, a0, a2):
    """Largest real root of ``a2 v^3 + a0 v - p`` by ``numpy.roots``, Newton-polished."""
    roots = np.roots([a2, 0.0, a0, -p])
    real = [r.real for r in roots if abs(r.imag) <= 1e-7 * max(1.0, abs(r))]
    v = max(real)
    for _ in range(4):
        f = a2 * v**3 + a0 * v - p
        df = 3.0 * a2 * v * v + a0
        if df <= 0.0:
            break
        v -= f / df
    return v


def sustained_speed(*, m, power, eta, cda, crr, mu, fd, rho, g, grade, vcap=math.inf, **_):
    """Sustained speed (m/s), or NaN when the vehicle cannot hold any speed on the grade."""
    p, a0, a2, f_trac = _forces(m, power, eta, cda, crr, mu, fd, rho, g, grade)
    v_power = cubic_root(p, a0, a2)
    # traction: the road load reaches the traction limit where a0 + a2 v^2 = f_trac
    v_trac = math.sqrt((f_trac - a0) / a2) if f_trac > a0 else 0.0
    v = min(v_power, v_trac)
    if not v > 0.0:
        return math.nan
    return min(v, vcap)


def _rhs(pars):
    def f(t, y):
        return [acceleration(y[0], **pars), y[0]]
    return f


def _run(pars, v0, stop):
    """Integrate from (t, v, x) = (0, v0, 0) until ``stop(t, y)`` crosses zero upwards. The
    integration restarts at each speed where the force law changes (traction hands over to
    power), so that the integrator never steps across a kink. Returns (t, v, x) at the stop, or
    None when it is never reached."""
    rhs = _rhs(pars)
    stop.terminal = True
    stop.direction = 1
    t0, y0 = 0.0, [v0, 0.0]
    rising = acceleration(v0, **pars) >= 0.0
    kinks = handover_speeds(**pars)
    kinks = [v for v in kinks if v > v0] if rising else [v for v in reversed(kinks) if v < v0]
    for vk in kinks + [None]:
        events = [stop]
        if vk is not None:
            def kink(t, y, vk=vk):
                return y[0] - vk
            kink.terminal = True
            kink.direction = 1 if rising else -1
            events.append(kink)
        sol = solve_ivp(rhs, (t0, t0 + 1e5), y0, method="DOP853", rtol=1e-12, atol=1e-12,
                        events=events)
        if len(sol.t_events[0]):
            return float(sol.t_events[0][0]), *map(float, sol.y_events[0][0])
        if vk is None or not len(sol.t_events[1]):
            return None
        t0, y0 = float(sol.t_events[1][0]), [vk, float(sol.y_events[1][0][1])]
    return None


def accel_time(v0, v1, *, rollout=0.0, **pars):
    """Time (s) from v0 to v1 (m/s) at full power, the clock started after ``rollout`` metres;
    NaN where v1 is not reached."""
    vcap = pars.get("vcap", math.inf)
    v_sus = sustained_speed(**dict(pars, vcap=math.inf))
    if not (v1 < v_sus and v1 <= vcap):
        return math.nan
    if v1 == v0:
        return 0.0
    t1, _, x1 = _run(pars, v0, lambda t, y: y[0] - v1)
    if rollout > 0.0:
        if x1 <= rollout:
            return 0.0
        tr, _, _ = _run(pars, v0, lambda t, y: y[1] - rollout)
        return t1 - tr
    return t1


def speed_after_distance(v0, x, **pars):
    """Speed (m/s) after ``x`` metres at full power from v0, holding the cap once reached."""
    vcap = pars.get("vcap", math.inf)
    if x == 0.0:
        return v0
    if math.isfinite(vcap):
        at_cap = _run(pars, v0, lambda t, y: y[0] - vcap)
        if at_cap is not None and at_cap[2] <= x:
            return vcap
    return _run(pars, v0, lambda t, y: y[1] - x)[1]
