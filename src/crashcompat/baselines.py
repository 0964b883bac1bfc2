"""Straightforward vectorised NumPy versions of the kernels' equations.

These are the baselines the benchmarks measure the compiled kernels against (same equations,
whole-array NumPy operations, temporaries allocated per call, no numba). They are tested to agree
with the kernels so that a speed ratio compares equal work.
"""

from __future__ import annotations

import numpy as np

from crashcompat.errors import Status


def collinear_numpy(m1, m2, v1, v2, e):
    """Vectorised PHYSICS.md 1. Returns (dv1, dv2, energy_loss, status)."""
    m1, m2, v1, v2, e = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64)
                                              for a in (m1, m2, v1, v2, e)))
    with np.errstate(all="ignore"):
        valid = (np.isfinite(m1) & np.isfinite(m2) & np.isfinite(v1) & np.isfinite(v2)
                 & (m1 > 0) & (m2 > 0) & (e >= 0) & (e <= 1))
        vc = v1 - v2
        contact = vc > 0
        msum = m1 + m2
        j = (1.0 + e) * vc / msum
        dv1 = -m2 * j
        dv2 = m1 * j
        loss = 0.5 * (m1 * m2 / msum) * vc * vc * (1.0 - e * e)
    status = np.where(valid, np.where(contact, Status.OK_STICKING, Status.NO_CONTACT),
                      Status.INVALID_INPUT).astype(np.int8)
    ok = status == Status.OK_STICKING
    return (np.where(ok, dv1, np.nan), np.where(ok, dv2, np.nan), np.where(ok, loss, np.nan),
            status)


def planar_numpy(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, theta_deg, e,
                 mu, rel_tol=1e-9):
    """Vectorised PHYSICS.md 2. Returns the kernel's ten outputs as arrays."""
    a = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in
                              (m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y,
                               theta_deg, e, mu)))
    m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, theta_deg, e, mu = a
    with np.errstate(all="ignore"):
        finite = np.logical_and.reduce([np.isfinite(x) for x in a])
        valid = (finite & (m1 > 0) & (m2 > 0) & (i1 > 0) & (i2 > 0) & (e >= 0) & (e <= 1)
                 & (mu >= 0))
        th = np.deg2rad(theta_deg)
        nx, ny = np.cos(th), np.sin(th)
        tx, ty = ny, -nx
        wx = (v1x - w1 * r1y) - (v2x - w2 * r2y)
        wy = (v1y + w1 * r1x) - (v2y + w2 * r2x)
        wn = wx * nx + wy * ny
        wt = wx * tx + wy * ty
        contact = wn < 0
        r1n = r1x * nx + r1y * ny
        r1t = r1x * tx + r1y * ty
        r2n = r2x * nx + r2y * ny
        r2t = r2x * tx + r2y * ty
        inv_m = 1.0 / m1 + 1.0 / m2
        an = inv_m + r1t * r1t / i1 + r2t * r2t / i2
        at = inv_m + r1n * r1n / i1 + r2n * r2n / i2
        b = r1t * r1n / i1 + r2t * r2n / i2
        ep = 1.0 + e
        det = an * at - b * b
        pn_stick = (-ep * wn * at - b * wt) / det
        pt_stick = (-an * wt - ep * b * wn) / det
        s = np.where(pt_stick * pn_stick >= 0, 1.0, -1.0)
        den = an - s * mu * b
        pn_slide = -ep * wn / den
        pt_slide = s * mu * pn_slide
        slide = np.abs(pt_stick) > mu * np.abs(pn_stick)
        pn = np.where(slide, pn_slide, pn_stick)
        pt = np.where(slide, pt_slide, pt_stick)
        dwn = an * pn - b * pt
        dwt = at * pt - b * pn
        loss = -0.5 * (pn * (2.0 * wn + dwn) + pt * (2.0 * wt + dwt))
        scale = 0.5 * (np.abs(pn * wn) + np.abs(pt * wt))
        bad = (slide & ~(den > 0)) | ~(pn > 0) | (loss < -rel_tol * scale)
        pn = np.where(bad, -ep * wn / an, pn)
        pt = np.where(bad, 0.0, pt)
        loss = np.where(bad, 0.5 * (1.0 - e * e) * wn * wn / an, np.maximum(loss, 0.0))
        px = pt * tx + pn * nx
        py = pt * ty + pn * ny
        out = [px / m1, py / m1, -px / m2, -py / m2, (r1x * py - r1y * px) / i1,
               -(r2x * py - r2y * px) / i2, pn, pt, loss]
    status = np.where(bad, Status.FALLBACK_FRICTIONLESS,
                      np.where(slide, Status.OK_SLIDING, Status.OK_STICKING))
    status = np.where(contact, status, Status.NO_CONTACT)
    status = np.where(valid, status, Status.INVALID_INPUT).astype(np.int8)
    ok = status <= Status.FALLBACK_FRICTIONLESS
    return (*(np.where(ok, o, np.nan) for o in out), status)
