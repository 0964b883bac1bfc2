"""Pure-Python references for the impact kernels, in a different formulation.

These are the slow, obviously correct truths the compiled kernels are tested against (STYLE.md,
after stumpy's ``tests/naive.py``). They use no numba and handle one case per call.

- Collinear: the momentum balance and Newton's restitution law as a 2x2 linear system solved with
  ``numpy.linalg.solve``; energy from kinetic energies before and after.
- Planar: generalised velocities ``q = (v1x, v1y, w1, v2x, v2y, w2)``, mass matrix ``M``, contact
  Jacobian ``J`` (rows: tangential and normal relative contact velocity) and the 2x2 contact
  compliance ``K = J M^-1 J^T``; impulses from ``numpy.linalg.solve`` on ``K``; energy from
  ``0.5 q^T M q`` before and after.
- Partial impacts: :func:`planar_ratio_reference` (Brach's impulse ratio, the overshoot of the
  slip tested on the final velocity); the sliding model is compared with :func:`planar_routh`.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.errors import Status

_NAN10 = (math.nan,) * 9


def _finite(*xs):
    return all(math.isfinite(float(x)) for x in xs)


def collinear_reference(m1, m2, v1, v2, e):
    """One collinear case: returns (dv1, dv2, energy_loss, status)."""
    if not (_finite(m1, m2, v1, v2, e) and m1 > 0 and m2 > 0 and 0 <= e <= 1):
        return math.nan, math.nan, math.nan, Status.INVALID_INPUT
    if not v1 - v2 > 0:
        return math.nan, math.nan, math.nan, Status.NO_CONTACT
    # momentum: m1 v1' + m2 v2' = m1 v1 + m2 v2 ; restitution: v2' - v1' = e (v1 - v2)
    a = np.array([[m1, m2], [-1.0, 1.0]])
    rhs = np.array([m1 * v1 + m2 * v2, e * (v1 - v2)])
    v1p, v2p = np.linalg.solve(a, rhs)
    ke0 = 0.5 * m1 * v1**2 + 0.5 * m2 * v2**2
    ke1 = 0.5 * m1 * v1p**2 + 0.5 * m2 * v2p**2
    return float(v1p - v1), float(v2p - v2), float(ke0 - ke1), Status.OK_STICKING


def planar_reference(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y,
                     normal_deg, e, mu, rel_tol=1e-9):
    """One planar case: returns (dv1x, dv1y, dv2x, dv2y, dw1, dw2, pn, pt, energy_loss, status)."""
    args = (m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, normal_deg, e, mu)
    if not (_finite(*args) and m1 > 0 and m2 > 0 and i1 > 0 and i2 > 0 and 0 <= e <= 1
            and mu >= 0):
        return (*_NAN10, Status.INVALID_INPUT)
    th = math.radians(normal_deg)
    n = np.array([math.cos(th), math.sin(th)])
    t = np.array([n[1], -n[0]])
    mass = np.diag([m1, m1, i1, m2, m2, i2])
    q0 = np.array([v1x, v1y, w1, v2x, v2y, w2], dtype=float)

    def row(d):
        # d . (u1 - u2), u_i = v_i + w_i (-r_iy, r_ix)
        return [d[0], d[1], -r1y * d[0] + r1x * d[1], -d[0], -d[1], r2y * d[0] - r2x * d[1]]

    jac = np.array([row(t), row(n)])
    w_t, w_n = jac @ q0
    if not w_n < 0:
        return (*_NAN10, Status.NO_CONTACT)
    minv = np.linalg.inv(mass)
    k = jac @ minv @ jac.T

    def apply(p):
        q1 = q0 + minv @ jac.T @ p
        loss = 0.5 * q0 @ mass @ q0 - 0.5 * q1 @ mass @ q1
        return q1, loss

    p_stick = np.linalg.solve(k, np.array([-w_t, -(1 + e) * w_n]))
    # Coulomb: outside the cone (signed normal impulse) the contact slides, friction opposing
    # the initial slip; a sticking impulse along the slip means the slip stops during contact
    slide = p_stick[1] <= 0 or abs(p_stick[0]) > mu * p_stick[1]
    status = Status.OK_STICKING
    p = p_stick
    bad = False
    if slide:
        status = Status.OK_SLIDING
        slipping = abs(w_t) > rel_tol * abs(w_n)  # below that, rounding, not slip
        s = -math.copysign(1.0, w_t) if slipping else math.copysign(1.0, p_stick[0])
        # rates of the normal and tangential relative velocity per unit normal impulse, from
        # the compliance matrix: d(w) = K @ (dPt, dPn)
        a1 = k[1, 0] * s * mu + k[1, 1]
        b1 = k[0, 0] * s * mu + k[0, 1]
        dn = -(1 + e) * w_n
        if not a1 > 0:
            bad = True
        else:
            p = np.array([s * mu * dn / a1, dn / a1])
            reverse = (mu > 0 and slipping
                       and math.copysign(1.0, p_stick[0]) == math.copysign(1.0, w_t))
            p_star = -w_t / b1 if b1 != 0 else -1.0
            if reverse and p_star > 0 and a1 * p_star < dn:
                status = Status.OK_SLIP_REVERSAL
                # after the slip stops: stick if the cone allows the ratio that keeps w_t = 0
                ratio = -k[0, 1] / k[0, 0]
                if abs(ratio) > mu:
                    ratio = math.copysign(mu, ratio)
                a2 = k[1, 0] * ratio + k[1, 1]
                if not a2 > 0:
                    bad = True
                else:
                    pn = p_star + (dn - a1 * p_star) / a2
                    p = np.array([s * mu * p_star + ratio * (pn - p_star), pn])
    if not bad:
        q1, loss = apply(p)
        scale = 0.5 * (abs(p[1] * w_n) + abs(p[0] * w_t))
        bad = not p[1] > 0 or loss < -rel_tol * scale
    if bad:
        status = Status.FALLBACK_FRICTIONLESS
        p = np.array([0.0, -(1 + e) * w_n / k[1, 1]])
    q1, loss = apply(p)
    dq = q1 - q0
    return (float(dq[0]), float(dq[1]), float(dq[3]), float(dq[4]), float(dq[2]), float(dq[5]),
            float(p[1]), float(p[0]), float(max(loss, 0.0)), status)


def _compliance(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, normal_deg):
    """The contact compliance ``K = J M^-1 J^T`` (rows and columns: tangential, normal) and the
    initial relative contact velocity ``(w_t, w_n)``."""
    th = math.radians(normal_deg)
    n = np.array([math.cos(th), math.sin(th)])
    t = np.array([n[1], -n[0]])
    mass = np.diag([m1, m1, i1, m2, m2, i2])

    def row(d):
        return [d[0], d[1], -r1y * d[0] + r1x * d[1], -d[0], -d[1], r2y * d[0] - r2x * d[1]]

    jac = np.array([row(t), row(n)])
    q0 = np.array([v1x, v1y, w1, v2x, v2y, w2], dtype=float)
    w_t, w_n = jac @ q0
    return jac @ np.linalg.inv(mass) @ jac.T, w_t, w_n


def planar_routh(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, normal_deg, e,
                 mu, steps=20000):
    """An independent formulation of the frictional impact: Routh's process integrated
    numerically over the normal impulse. At each step the tangential impulse increment follows
    the state: Coulomb friction against the current slip while it slides; the ratio that keeps
    the slip at zero once it has stopped, if the friction cone allows it, otherwise sliding the
    other way. The impact ends when the normal relative velocity reaches -e times its initial
    value (kinematic restitution). Returns (pt, pn, modes) with the impulse on vehicle 1 and the
    sequence of modes the contact went through ("slide", "stick", "reverse"), or None if the
    contact does not close or no finite impulse ends the impact.
    """
    k, w_t, w_n = _compliance(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y,
                              normal_deg)
    if not w_n < 0:
        return None
    target = -e * w_n
    # the step: a fraction of the frictionless normal impulse (the rates are constant between
    # events, so the step sets only the number of iterations, not the accuracy)
    dp = (target - w_n) / k[1, 1] / steps
    pt = pn = 0.0
    wt, wn = w_t, w_n
    stuck_ratio = -k[0, 1] / k[0, 0]
    modes = []
    tol = 1e-13 * (abs(w_n) + abs(w_t))
    for _ in range(steps * 1000):
        if wn >= target - tol:
            break
        if abs(wt) > 1e-12 * (abs(w_n) + abs(w_t)):
            r = -math.copysign(mu, wt)
            # do not step past the point where the slip stops
            rate_t = k[0, 0] * r + k[0, 1]
            h = dp
            if rate_t * wt < 0 and -wt / rate_t < h:
                h = -wt / rate_t
            mode = "reverse" if "stick" in modes or "reverse" in modes else "slide"
        else:
            r = stuck_ratio if abs(stuck_ratio) <= mu else math.copysign(mu, stuck_ratio)
            h = dp
            mode = "stick" if abs(stuck_ratio) <= mu else "reverse"
        if not modes or modes[-1] != mode:
            modes.append(mode)
        rate_n = k[1, 0] * r + k[1, 1]
        if not rate_n > 0:
            return None  # the normal velocity would not grow: no finite impulse ends the impact
        if wn + rate_n * h > target:
            h = (target - wn) / rate_n
        pt += r * h
        pn += h
        wt = w_t + k[0, 0] * pt + k[0, 1] * pn
        wn = w_n + k[1, 0] * pt + k[1, 1] * pn
    else:
        return None
    return pt, pn, tuple(modes)


def planar_ratio_reference(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y,
                           normal_deg, e, ratio, rel_tol=1e-9):
    """The impulse-ratio model (Brach) in the compliance formulation: ``Pt = k Pn`` with
    ``|k| = ratio`` opposing the initial slip (with no slip, the sticking impulse's direction),
    unless the final tangential relative velocity would then have crossed zero, in which case
    the sticking impulse (from ``numpy.linalg.solve``) is the answer. The crossing is tested on
    the final velocity itself, not through the critical ratio the kernel uses. Returns
    ``(pt, pn, clipped)``, or None without contact or without a compressive solution."""
    k, w_t, w_n = _compliance(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y,
                              normal_deg)
    if not w_n < 0:
        return None
    p_stick = np.linalg.solve(k, np.array([-w_t, -(1 + e) * w_n]))
    slipping = abs(w_t) > rel_tol * abs(w_n)
    s = -math.copysign(1.0, w_t) if slipping else math.copysign(1.0, p_stick[0])
    # Pn from the normal restitution law with Pt = s ratio Pn: (K @ (s r, 1)) Pn = dn in n
    rate_n = k[1, 0] * s * ratio + k[1, 1]
    dn = -(1 + e) * w_n
    if p_stick[1] > 0:
        if not rate_n > 0:
            return float(p_stick[0]), float(p_stick[1]), True
        pn = dn / rate_n
        wt_end = w_t + (k[0, 0] * s * ratio + k[0, 1]) * pn
        # overshoot: the slip ends on the other side of zero from where s says it starts
        if s * wt_end > 0:
            return float(p_stick[0]), float(p_stick[1]), True
        return float(s * ratio * pn), float(pn), False
    if not rate_n > 0:
        return None
    pn = dn / rate_n
    return float(s * ratio * pn), float(pn), False
