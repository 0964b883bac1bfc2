"""Straightforward vectorised NumPy versions of the kernels' equations.

These are the baselines the benchmarks measure the compiled kernels against (same equations,
whole-array NumPy operations, temporaries allocated per call, no numba). They are tested to agree
with the kernels so that a speed ratio compares equal work.
"""

from __future__ import annotations

import numpy as np

from crashcompat.errors import Status, has_result
from crashcompat.kernels.status import N_CODES


def collinear_numpy(m1, m2, v1, v2, e):
    """Vectorised docs/model.md, Collinear impact. Returns (dv1, dv2, energy_loss, status)."""
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
    """Vectorised docs/model.md, Planar impact. Returns the kernel's ten outputs as arrays."""
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
        slide = (pn_stick <= 0) | (np.abs(pt_stick) > mu * pn_stick)
        slipping = np.abs(wt) > rel_tol * np.abs(wn)
        s = np.where(slipping, -np.sign(wt), np.where(pt_stick >= 0, 1.0, -1.0))
        a1 = an - s * mu * b
        b1 = s * mu * at - b
        dn = -ep * wn
        pn_slide = dn / a1
        reverse = slide & (mu > 0) & slipping & (np.sign(pt_stick) == np.sign(wt))
        p_star = -wt / b1
        phase2 = reverse & (p_star > 0) & (a1 * p_star < dn)
        r2 = np.where(np.abs(b) <= mu * at, b / at, mu * np.where(b >= 0, 1.0, -1.0))
        a2 = an - b * r2
        pn_rev = p_star + (dn - a1 * p_star) / a2
        pt_rev = s * mu * p_star + r2 * (pn_rev - p_star)
        pn = np.where(phase2, pn_rev, np.where(slide, pn_slide, pn_stick))
        pt = np.where(phase2, pt_rev, np.where(slide, s * mu * pn_slide, pt_stick))
        dwn = an * pn - b * pt
        dwt = at * pt - b * pn
        loss = -0.5 * (pn * (2.0 * wn + dwn) + pt * (2.0 * wt + dwt))
        scale = 0.5 * (np.abs(pn * wn) + np.abs(pt * wt))
        singular = slide & (~(a1 > 0) | (phase2 & ~(a2 > 0)))
        bad = singular | ~(pn > 0) | (loss < -rel_tol * scale)
        pn = np.where(bad, -ep * wn / an, pn)
        pt = np.where(bad, 0.0, pt)
        loss = np.where(bad, 0.5 * (1.0 - e * e) * wn * wn / an, np.maximum(loss, 0.0))
        px = pt * tx + pn * nx
        py = pt * ty + pn * ny
        out = [px / m1, py / m1, -px / m2, -py / m2, (r1x * py - r1y * px) / i1,
               -(r2x * py - r2y * px) / i2, pn, pt, loss]
    status = np.where(bad, Status.FALLBACK_FRICTIONLESS,
                      np.where(phase2, Status.OK_SLIP_REVERSAL,
                               np.where(slide, Status.OK_SLIDING, Status.OK_STICKING)))
    status = np.where(contact, status, Status.NO_CONTACT)
    status = np.where(valid, status, Status.INVALID_INPUT).astype(np.int8)
    ok = has_result(status)
    return (*(np.where(ok, o, np.nan) for o in out), status)


def grid_summary_numpy(run, chunk_cases: int = 1 << 18):
    """Vectorised NumPy version of the grid summary kernel's delta-v part: cases generated from
    flat indices chunk by chunk (``np.unravel_index``), the planar equations of
    :func:`planar_numpy`, and the per-group mean and max of the subject's occupant delta-v plus
    the status counts. Returns ``(mean_kph, max_kph, status_counts)`` per group.
    """
    from crashcompat.kernels.layout import GEO_CHP, GEO_CHS, GEO_NX, GEO_NY, GEO_SHP, GEO_SHS

    tb = run.tables
    ks = tuple(int(x) for x in run.kernel_shape)
    inner = run.inner
    ng = run.n_groups
    s_occ = np.zeros(ng)
    m_occ = np.full(ng, -np.inf)
    n_ok = np.zeros(ng)
    counts = np.zeros(N_CODES, dtype=np.int64)
    lo, hi, vref = tb.rmod
    for start in range(0, run.n_cases, chunk_cases):
        i = np.arange(start, min(start + chunk_cases, run.n_cases), dtype=np.int64)
        isub, ip, ic, isa, isb, ian, iov, ipos, ie, imu, il = np.unravel_index(i, ks)
        g = ((((isub * ks[1] + ip) * ks[2] + ic) * ks[5] + ian) * ks[6] + iov) * ks[7] + ipos
        geo = tb.geo[g]
        iv2 = ks[0] + ip
        m_s = tb.veh[isub, 0]
        m1 = m_s + tb.load[il]
        i1 = tb.veh[isub, 1] * (m1 / m_s)
        vs = tb.spd[ic, isa, isb, 0]
        vp = tb.spd[ic, isa, isb, 1]
        v1x, v1y = vs * geo[:, GEO_CHS], vs * geo[:, GEO_SHS]
        v2x, v2y = vp * geo[:, GEO_CHP], vp * geo[:, GEO_SHP]
        vcn = -((v1x - v2x) * geo[:, GEO_NX] + (v1y - v2y) * geo[:, GEO_NY])
        e = tb.e[ie]
        e = np.where(np.isnan(e), np.clip(hi + (lo - hi) * np.exp(-np.abs(vcn) / vref), 0, 1), e)
        r = planar_numpy(m1, i1, v1x, v1y, 0.0, geo[:, 0], geo[:, 1], tb.veh[iv2, 0],
                         tb.veh[iv2, 1], v2x, v2y, 0.0, geo[:, 2], geo[:, 3], geo[:, 4], e,
                         tb.mu[imu])
        dv1x, dv1y, dw1, st = r[0], r[1], r[4], r[9]
        ox = dv1x - dw1 * geo[:, 12]
        oy = dv1y + dw1 * geo[:, 11]
        occ = np.sqrt(ox * ox + oy * oy) * 3.6
        ok = has_result(st)
        grp = i // inner
        g0 = int(grp[0])
        grp -= g0
        n_g = int(grp[-1]) + 1
        s_occ[g0:g0 + n_g] += np.bincount(grp, weights=np.where(ok, occ, 0.0), minlength=n_g)
        n_ok[g0:g0 + n_g] += np.bincount(grp, weights=ok, minlength=n_g)
        np.maximum.at(m_occ, grp + g0, np.where(ok, occ, -np.inf))
        counts += np.bincount(st, minlength=N_CODES)[:N_CODES]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_ok > 0, s_occ / n_ok, np.nan)
    return mean, np.where(np.isfinite(m_occ), m_occ, np.nan), counts
