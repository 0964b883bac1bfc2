"""Pure-Python references for the impact kernels, in a different formulation.

These are the slow, obviously correct truths the compiled kernels are tested against (STYLE.md,
after stumpy's ``tests/naive.py``). They use no numba and handle one case per call.

- Collinear: the momentum balance and Newton's restitution law as a 2x2 linear system solved with
  ``numpy.linalg.solve``; energy from kinetic energies before and after.
- Planar: generalised velocities ``q = (v1x, v1y, w1, v2x, v2y, w2)``, mass matrix ``M``, contact
  Jacobian ``J`` (rows: tangential and normal relative contact velocity) and the 2x2 contact
  compliance ``K = J M^-1 J^T``; impulses from ``numpy.linalg.solve`` on ``K``; energy from
  ``0.5 q^T M q`` before and after.
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
    slide = abs(p_stick[0]) > mu * abs(p_stick[1])
    status = Status.OK_STICKING
    p = p_stick
    bad = False
    if slide:
        status = Status.OK_SLIDING
        s = 1.0 if p_stick[0] * p_stick[1] >= 0 else -1.0
        den = k[1, 1] + k[1, 0] * s * mu  # K[1,0] = -B
        if den > 0:
            pn = -(1 + e) * w_n / den
            p = np.array([s * mu * pn, pn])
        else:
            bad = True
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
