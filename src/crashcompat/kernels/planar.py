"""Planar rigid-body impulse-momentum impact with yaw, PHYSICS.md section 2.

The model of Brach's planar impact mechanics and of the Kudlich-Slibar "full impact" (Brach 1983,
Accid. Anal. Prev.; Brach & Brach, Vehicle Accident Analysis and Reconstruction Methods, SAE;
Steffan & Moser, SAE 960886).

Global frame, z up, yaw rates counter-clockwise positive. The unit normal ``n`` points in the
direction the normal impulse pushes vehicle 1 (angle ``theta`` counter-clockwise from +x); the
tangent is ``t = (n_y, -n_x)`` so that ``t x n = z``. ``r_i`` is the vector from vehicle i's CG to
the point where the impulse acts. Impulse on vehicle 1: ``P = Pt t + Pn n``; vehicle 2 gets ``-P``.

With the relative contact velocity ``w = u1 - u2`` (``u_i = v_i + w_i z x r_i``) in contact
components (w_t, w_n), the change of relative velocity is linear in the impulse::

    d(w_n) = An*Pn - B*Pt,   d(w_t) = At*Pt - B*Pn
    An = 1/m1 + 1/m2 + r1t^2/I1 + r2t^2/I2
    At = 1/m1 + 1/m2 + r1n^2/I1 + r2n^2/I2
    B  = r1t*r1n/I1 + r2t*r2n/I2

Restitution acts on the normal (``w_n' = -e*w_n``). The sticking impulse ends the tangential
relative velocity at zero (closed-form solution of the 2x2 system, determinant ``An*At - B^2 > 0``).
If its impulse ratio ``|Pt/Pn|`` exceeds the friction ``mu``, the contact slides:
``Pt = s*mu*Pn``, ``Pn = -(1+e)*w_n/(An - s*mu*B)``. If the chosen impulse would gain energy,
has a non-positive sliding denominator, or a non-positive normal impulse (a tensile contact), the
frictionless impulse ``Pt = 0, Pn = -(1+e)*w_n/An`` is used and the case is flagged (PHYSICS.md
2.7). The sticking/sliding/fallback choice is made with selects, not branches, so LLVM can
vectorise the loop.

Status codes as in :class:`crashcompat.errors.Status`.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import parallel, prange, scalar, serial

NAN = np.nan
DEG = math.pi / 180.0


@scalar
def planar_sf(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, theta_deg, e, mu,
              rel_tol):
    """One case.

    Returns ``(dv1x, dv1y, dv2x, dv2y, dw1, dw2, pn, pt, energy_loss, status)``. ``rel_tol`` is
    the relative tolerance on the energy balance below which a tiny negative loss is taken as
    rounding rather than energy gain.
    """
    finite = (
        math.isfinite(m1) and math.isfinite(i1) and math.isfinite(v1x) and math.isfinite(v1y)
        and math.isfinite(w1) and math.isfinite(r1x) and math.isfinite(r1y)
        and math.isfinite(m2) and math.isfinite(i2) and math.isfinite(v2x) and math.isfinite(v2y)
        and math.isfinite(w2) and math.isfinite(r2x) and math.isfinite(r2y)
        and math.isfinite(theta_deg) and math.isfinite(e) and math.isfinite(mu)
    )
    if not (finite and m1 > 0.0 and m2 > 0.0 and i1 > 0.0 and i2 > 0.0
            and e >= 0.0 and e <= 1.0 and mu >= 0.0):
        return NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, np.int8(4)

    th = theta_deg * DEG
    nx = math.cos(th)
    ny = math.sin(th)
    tx = ny
    ty = -nx

    # contact-point velocities u = v + w z x r, z x r = (-r_y, r_x)
    wx = (v1x - w1 * r1y) - (v2x - w2 * r2y)
    wy = (v1y + w1 * r1x) - (v2y + w2 * r2x)
    wn = wx * nx + wy * ny
    wt = wx * tx + wy * ty
    if not wn < 0.0:
        return NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, np.int8(3)

    r1n = r1x * nx + r1y * ny
    r1t = r1x * tx + r1y * ty
    r2n = r2x * nx + r2y * ny
    r2t = r2x * tx + r2y * ty
    inv_m = 1.0 / m1 + 1.0 / m2
    an = inv_m + r1t * r1t / i1 + r2t * r2t / i2
    at = inv_m + r1n * r1n / i1 + r2n * r2n / i2
    b = r1t * r1n / i1 + r2t * r2n / i2
    ep = 1.0 + e

    # sticking: An*Pn - B*Pt = -(1+e) wn ; -B*Pn + At*Pt = -wt
    det = an * at - b * b
    pn_stick = (-ep * wn * at - b * wt) / det
    pt_stick = (-an * wt - ep * b * wn) / det

    # sliding, tangential impulse opposing the sticking direction's sign, capped by mu
    s = 1.0 if pt_stick * pn_stick >= 0.0 else -1.0
    den_slide = an - s * mu * b
    pn_slide = -ep * wn / den_slide
    pt_slide = s * mu * pn_slide

    slide = abs(pt_stick) > mu * abs(pn_stick)
    pn = pn_slide if slide else pn_stick
    pt = pt_slide if slide else pt_stick
    # dw_n = An Pn - B Pt, dw_t = At Pt - B Pn; loss = -0.5 P.(w + w')
    dwn = an * pn - b * pt
    dwt = at * pt - b * pn
    loss = -0.5 * (pn * (2.0 * wn + dwn) + pt * (2.0 * wt + dwt))
    scale = 0.5 * (abs(pn * wn) + abs(pt * wt))
    bad = (
        (slide and not den_slide > 0.0)
        or not pn > 0.0
        or loss < -rel_tol * scale
    )
    pn_ff = -ep * wn / an
    loss_ff = 0.5 * (1.0 - e * e) * wn * wn / an
    pn = pn_ff if bad else pn
    pt = 0.0 if bad else pt
    loss = loss_ff if bad else max(loss, 0.0)
    status = np.int8(2) if bad else (np.int8(1) if slide else np.int8(0))

    px = pt * tx + pn * nx
    py = pt * ty + pn * ny
    dw1 = (r1x * py - r1y * px) / i1
    dw2 = -(r2x * py - r2y * px) / i2
    return px / m1, py / m1, -px / m2, -py / m2, dw1, dw2, pn, pt, loss, status


def _planar_loop(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, theta_deg, e,
                 mu, s, rel_tol, dv1x, dv1y, dv2x, dv2y, dw1, dw2, pn, pt, loss, status):
    # s[k] is 1 when input k has one value per case and 0 when it is one value for all cases.
    for i in prange(dv1x.shape[0]):
        r = planar_sf(
            m1[i * s[0]], i1[i * s[1]], v1x[i * s[2]], v1y[i * s[3]], w1[i * s[4]],
            r1x[i * s[5]], r1y[i * s[6]], m2[i * s[7]], i2[i * s[8]], v2x[i * s[9]],
            v2y[i * s[10]], w2[i * s[11]], r2x[i * s[12]], r2y[i * s[13]], theta_deg[i * s[14]],
            e[i * s[15]], mu[i * s[16]], rel_tol,
        )
        dv1x[i] = r[0]
        dv1y[i] = r[1]
        dv2x[i] = r[2]
        dv2y[i] = r[3]
        dw1[i] = r[4]
        dw2[i] = r[5]
        pn[i] = r[6]
        pt[i] = r[7]
        loss[i] = r[8]
        status[i] = r[9]


#: Parallel driver over cases; inputs of length n or 1 (see ``s``), outputs of length n.
planar_grid = parallel(_planar_loop)
#: Serial driver with the same signature.
planar_serial = serial(_planar_loop)
