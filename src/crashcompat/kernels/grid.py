"""Grid kernels: cases generated from grid indices inside compiled code.

A grid is the Cartesian product of these axes, in this order (C order, the last varies fastest)::

    subject, partner, configuration, speed_a, speed_b, angle, overlap, position,
    restitution, friction, load

``speed_a``/``speed_b`` are (closing speed, 1) in closing-speed mode and (subject speed, partner
speed) in explicit mode. Nothing the size of the grid is ever built: each case is decoded from its
flat index and built from small tables made once per run in Python:

``veh``  (n_vehicles, 2): mass (kg), yaw inertia (kg m^2) of each subject/partner vehicle.
``geo``  (n_geometry, 17): one row per (subject, partner, configuration, angle, overlap,
         position): r1x r1y r2x r2y normal_deg, cos/sin of the subject's and the partner's
         heading, engaged stiffness k1 k2 (N/m), subject driver seat (x, y) and partner driver
         seat (x, y) in the global frame of the impact, and the normal's (cos, sin); see
         ``GEO_*``.
``spd``  (n_configuration, n_speed_a, n_speed_b, 2): subject and partner speed (m/s).
``ax``   per-axis value arrays: restitution (NaN = the speed-dependent model), friction,
         load (kg added to the subject at its CG, constant radius of gyration).
``rmod`` (3,): e_lo, e_hi, v_ref (m/s) of the speed-dependent restitution model.

The per-case physics is :func:`crashcompat.kernels.planar.planar_sf`.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import parallel, prange, scalar, scalar_call
from crashcompat.kernels.planar import planar_sf

NAN = np.nan
RAD2DEG = 180.0 / math.pi
MPS2KPH = 3.6  # 1 m/s = 3.6 km/h exactly

GEO_R1X, GEO_R1Y, GEO_R2X, GEO_R2Y, GEO_NORMAL = 0, 1, 2, 3, 4
GEO_CHS, GEO_SHS, GEO_CHP, GEO_SHP = 5, 6, 7, 8
GEO_K1, GEO_K2 = 9, 10
GEO_SEAT1X, GEO_SEAT1Y, GEO_SEAT2X, GEO_SEAT2Y = 11, 12, 13, 14
GEO_NX, GEO_NY = 15, 16
GEO_COLS = 17

#: Per-case result columns of :func:`grid_chunk` (all float64), in order; status is separate.
CASE_COLUMNS = (
    "subject_dv_kph", "subject_occupant_dv_kph", "subject_dv_long_kph", "subject_dv_lat_kph",
    "subject_yaw_rate_change_rad_s", "subject_pdof_deg", "subject_energy_j", "subject_ees_kph",
    "partner_dv_kph", "partner_occupant_dv_kph", "partner_dv_long_kph", "partner_dv_lat_kph",
    "partner_yaw_rate_change_rad_s", "partner_pdof_deg", "partner_energy_j", "partner_ees_kph",
    "energy_loss_j", "restitution_used", "normal_closing_speed_kph",
)
N_CASE = len(CASE_COLUMNS)


@scalar
def pdof_sf(c, s, px, py):
    """PDOF (deg clockwise from forward, where the impulse comes from) for heading (c, s)."""
    lx = c * px + s * py
    ly = -s * px + c * py
    ang = -(math.atan2(ly, lx) * RAD2DEG + 180.0)
    return ang - 360.0 * math.floor(ang / 360.0)


@scalar
def core_sf(geo, g, m1, i1, m2, i2, vs, vp, e, mu, rmod, rel_tol):
    """One impact from the geometry row ``g``, masses, speeds, restitution (NaN: model), friction.

    Returns ``(dv1x, dv1y, dv2x, dv2y, dw1, dw2, loss, e_used, closing_normal_mps, status)``.
    """
    v1x = vs * geo[g, GEO_CHS]
    v1y = vs * geo[g, GEO_SHS]
    v2x = vp * geo[g, GEO_CHP]
    v2y = vp * geo[g, GEO_SHP]
    vcn = -((v1x - v2x) * geo[g, GEO_NX] + (v1y - v2y) * geo[g, GEO_NY])
    e_used = e
    if math.isnan(e):  # the speed-dependent model (PHYSICS.md 3), clipped to [0, 1]
        e_used = min(max(rmod[1] + (rmod[0] - rmod[1]) * math.exp(-abs(vcn) / rmod[2]), 0.0),
                     1.0)
    r = planar_sf(m1, i1, v1x, v1y, 0.0, geo[g, GEO_R1X], geo[g, GEO_R1Y],
                  m2, i2, v2x, v2y, 0.0, geo[g, GEO_R2X], geo[g, GEO_R2Y],
                  geo[g, GEO_NORMAL], e_used, mu, rel_tol)
    return r[0], r[1], r[2], r[3], r[4], r[5], r[8], e_used, vcn, r[9]


@scalar
def restitution_sf(geoT, g, vs, vp, e, rmod):
    """The speed-dependent restitution (PHYSICS.md 3, clipped to [0, 1]) for geometry row g of
    the transposed table, or ``e`` when it is a number."""
    vcn = -((vs * geoT[GEO_CHS, g] - vp * geoT[GEO_CHP, g]) * geoT[GEO_NX, g]
            + (vs * geoT[GEO_SHS, g] - vp * geoT[GEO_SHP, g]) * geoT[GEO_NY, g])
    if math.isnan(e):
        return min(max(rmod[1] + (rmod[0] - rmod[1]) * math.exp(-abs(vcn) / rmod[2]), 0.0), 1.0)
    return e


@scalar
def columns_sf(geo, g, m1, m2, c):
    """The CASE_COLUMNS values of one impact ``c`` (the tuple from :func:`core_sf`)."""
    dv1x, dv1y, dv2x, dv2y, dw1, dw2, loss, e_used, vcn, status = c
    ok = status <= 2
    o1x = dv1x - dw1 * geo[g, GEO_SEAT1Y]
    o1y = dv1y + dw1 * geo[g, GEO_SEAT1X]
    o2x = dv2x - dw2 * geo[g, GEO_SEAT2Y]
    o2y = dv2y + dw2 * geo[g, GEO_SEAT2X]
    k1 = geo[g, GEO_K1]
    k2 = geo[g, GEO_K2]
    e1 = loss * k2 / (k1 + k2)
    e2 = loss * k1 / (k1 + k2)
    chs = geo[g, GEO_CHS]
    shs = geo[g, GEO_SHS]
    chp = geo[g, GEO_CHP]
    shp = geo[g, GEO_SHP]
    px = dv1x * m1
    py = dv1y * m1
    return (
        math.sqrt(dv1x * dv1x + dv1y * dv1y) * MPS2KPH,
        math.sqrt(o1x * o1x + o1y * o1y) * MPS2KPH,
        (chs * dv1x + shs * dv1y) * MPS2KPH,
        (-shs * dv1x + chs * dv1y) * MPS2KPH,
        dw1,
        pdof_sf(chs, shs, px, py) if ok else NAN,
        e1,
        math.sqrt(2.0 * e1 / m1) * MPS2KPH,
        math.sqrt(dv2x * dv2x + dv2y * dv2y) * MPS2KPH,
        math.sqrt(o2x * o2x + o2y * o2y) * MPS2KPH,
        (chp * dv2x + shp * dv2y) * MPS2KPH,
        (-shp * dv2x + chp * dv2y) * MPS2KPH,
        dw2,
        pdof_sf(chp, shp, -px, -py) if ok else NAN,
        e2,
        math.sqrt(2.0 * e2 / m2) * MPS2KPH,
        loss,
        e_used if ok else NAN,
        vcn * MPS2KPH,
    )


@scalar
def group_sf(gg, shape):
    """Indices (subject, partner, configuration, speed_a, speed_b) of group ``gg``."""
    q = gg
    isb = q % shape[4]
    q //= shape[4]
    isa = q % shape[3]
    q //= shape[3]
    ic = q % shape[2]
    q //= shape[2]
    ip = q % shape[1]
    isub = q // shape[1]
    return isub, ip, ic, isa, isb


@scalar
def geo_row_sf(isub, ip, ic, ian, iov, ipos, shape):
    return ((((isub * shape[1] + ip) * shape[2] + ic) * shape[5] + ian) * shape[6] + iov) \
        * shape[7] + ipos


@scalar
def _store_idx(idx, j, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10):
    idx[0, j] = a0
    idx[1, j] = a1
    idx[2, j] = a2
    idx[3, j] = a3
    idx[4, j] = a4
    idx[5, j] = a5
    idx[6, j] = a6
    idx[7, j] = a7
    idx[8, j] = a8
    idx[9, j] = a9
    idx[10, j] = a10


@scalar
def _write_case_sf(j, isub, ip, ic, isa, isb, ian, iov, ipos, ie, imu, il, shape, veh, geo,
                   spd, e_ax, mu_ax, load_ax, rmod, rel_tol, out, status, idx):
    """Compute the case with these axis indices and write it to column ``j`` of the outputs."""
    iv2 = shape[0] + ip  # partners follow the subjects in the vehicle table
    m_s = veh[isub, 0]
    m1 = m_s + load_ax[il]
    i1 = veh[isub, 1] * (m1 / m_s)
    g = geo_row_sf(isub, ip, ic, ian, iov, ipos, shape)
    c = core_sf(geo, g, m1, i1, veh[iv2, 0], veh[iv2, 1], spd[ic, isa, isb, 0],
                spd[ic, isa, isb, 1], e_ax[ie], mu_ax[imu], rmod, rel_tol)
    res = columns_sf(geo, g, m1, veh[iv2, 0], c)
    for k in range(N_CASE):
        out[k, j] = res[k]
    status[j] = c[9]
    _store_idx(idx, j, isub, ip, ic, isa, isb, ian, iov, ipos, ie, imu, il)


def _grid_chunk(start, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, out, status,
                idx):
    # cases start .. start + m - 1 (m = out.shape[1]); out (N_CASE, m), status (m,), and the
    # index of every case along each of the 11 kernel axes, idx (11, m) int32.
    # When the chunk is made of whole groups (the grid code aligns it so), iterate the inner axes
    # in nested loops: no per-case index decoding. Otherwise decode each case.
    m = out.shape[1]
    inner = shape[5] * shape[6] * shape[7] * shape[8] * shape[9] * shape[10]
    if start % inner == 0 and m % inner == 0:
        g0 = start // inner
        for gi in prange(m // inner):
            isub, ip, ic, isa, isb = group_sf(g0 + gi, shape)
            j = gi * inner
            for ian in range(shape[5]):
                for iov in range(shape[6]):
                    for ipos in range(shape[7]):
                        for ie in range(shape[8]):
                            for imu in range(shape[9]):
                                for il in range(shape[10]):
                                    _write_case_sf(j, isub, ip, ic, isa, isb, ian, iov, ipos,
                                                   ie, imu, il, shape, veh, geo, spd, e_ax,
                                                   mu_ax, load_ax, rmod, rel_tol, out, status,
                                                   idx)
                                    j += 1
    else:
        for j in prange(m):
            q = start + j
            il = q % shape[10]
            q //= shape[10]
            imu = q % shape[9]
            q //= shape[9]
            ie = q % shape[8]
            q //= shape[8]
            ipos = q % shape[7]
            q //= shape[7]
            iov = q % shape[6]
            q //= shape[6]
            ian = q % shape[5]
            q //= shape[5]
            isub, ip, ic, isa, isb = group_sf(q, shape)
            _write_case_sf(j, isub, ip, ic, isa, isb, ian, iov, ipos, ie, imu, il, shape, veh,
                           geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, out, status, idx)


#: Summary statistics per group (subject, partner, configuration, speed_a, speed_b), in order.
SUMMARY_STATS = (
    "subject_occupant_dv_mean_kph", "subject_occupant_dv_max_kph", "subject_dv_mean_kph",
    "partner_occupant_dv_mean_kph", "partner_occupant_dv_max_kph", "subject_ees_mean_kph",
    "energy_share_subject_mean",
)
N_STATS = len(SUMMARY_STATS)
N_STATUS = 5


#: Risk-curve table columns for the summary kernel (one row per curve): kind (0 logistic in mph
#: with side/rear terms, 1 power law (dv/dv_ref)^power), a0, a1 per mph, a_side, a_rear,
#: dv_ref (mph), power.
CURVE_KIND, CURVE_A0, CURVE_A1, CURVE_SIDE, CURVE_REAR, CURVE_DVREF, CURVE_POWER = range(7)
MPS2MPH = 3600.0 / 1609.344


@scalar_call
def risk_sf(curves, k, dv_mps, fx, fy):
    """Probability from curve row ``k`` at delta-v (m/s), as crashcompat.severity.risk, for an impulse
    (fx, fy) in the vehicle's frame. The Malliaris sectors need no angle: a PDOF in 45-135 or
    225-315 degrees (side, boundaries included) is |fy| >= |fx|; rear (135-225) is a force
    pointing forward, fx > |fy|."""
    dv_mph = dv_mps * MPS2MPH
    if curves[k, CURVE_KIND] == 1.0:
        x = max(dv_mph, 0.0) / curves[k, CURVE_DVREF]
        return min(x ** curves[k, CURVE_POWER], 1.0)
    side = abs(fy) >= abs(fx)
    rear = fx > abs(fy)
    z = curves[k, CURVE_A0] + curves[k, CURVE_A1] * dv_mph
    if side:
        z += curves[k, CURVE_SIDE]
    if rear:
        z += curves[k, CURVE_REAR]
    return 1.0 / (1.0 + math.exp(-z))


@scalar
def _summary_phase1(geoT, gbase, nq, vs, vp, m1, i1, m2, i2, e, mu, rel_tol, S):
    # One impact per geometry row q of the group (contiguous columns of geoT): element-wise,
    # branch-free, unit-stride loads, so LLVM vectorises it. Row 11 of S holds the restitution
    # per q where the model applies (e is NaN).
    for q in range(nq):
        g = gbase + q
        chs = geoT[GEO_CHS, g]
        shs = geoT[GEO_SHS, g]
        chp = geoT[GEO_CHP, g]
        shp = geoT[GEO_SHP, g]
        eq = S[11, q] if math.isnan(e) else e
        r = planar_sf(m1, i1, vs * chs, vs * shs, 0.0, geoT[GEO_R1X, g], geoT[GEO_R1Y, g],
                      m2, i2, vp * chp, vp * shp, 0.0, geoT[GEO_R2X, g], geoT[GEO_R2Y, g],
                      geoT[GEO_NORMAL, g], eq, mu, rel_tol)
        dv1x = r[0]
        dv1y = r[1]
        dw1 = r[4]
        dw2 = r[5]
        ox = dv1x - dw1 * geoT[GEO_SEAT1Y, g]
        oy = dv1y + dw1 * geoT[GEO_SEAT1X, g]
        qx = r[2] - dw2 * geoT[GEO_SEAT2Y, g]
        qy = r[3] + dw2 * geoT[GEO_SEAT2X, g]
        share = geoT[GEO_K2, g] / (geoT[GEO_K1, g] + geoT[GEO_K2, g])
        S[0, q] = math.sqrt(ox * ox + oy * oy) * MPS2KPH
        S[1, q] = math.sqrt(dv1x * dv1x + dv1y * dv1y) * MPS2KPH
        S[2, q] = math.sqrt(qx * qx + qy * qy) * MPS2KPH
        S[3, q] = math.sqrt(2.0 * r[8] * share / m1) * MPS2KPH
        S[4, q] = share
        S[5, q] = 1.0 * r[9]
        # the impulse in each vehicle's frame, for the Malliaris sectors of the risk curves
        S[6, q] = chs * dv1x + shs * dv1y
        S[7, q] = -shs * dv1x + chs * dv1y
        S[8, q] = -(chp * dv1x + shp * dv1y)
        S[9, q] = -(-shp * dv1x + chp * dv1y)


def _grid_summary(g0, shape, veh, geoT, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, stats,
                  argmax, counts, worst, curves, risk):
    # groups g0 .. g0 + stats.shape[0] - 1; each group is a contiguous block of `inner` cases,
    # reduced in compiled code: nothing per case leaves the kernel. Within a group the loop over
    # its geometry rows (angle x overlap x position) is innermost and vectorised
    # (_summary_phase1); the reductions follow in a scalar pass. Groups are split into one
    # block per task so the scratch array is allocated once per block, not per group.
    nq = shape[5] * shape[6] * shape[7]
    npar = shape[8] * shape[9] * shape[10]
    inner = nq * npar
    ng = stats.shape[0]
    n_curves = curves.shape[0]
    n_blocks = min(ng, 64)
    for blk in prange(n_blocks):
        S = np.empty((12, nq))
        for gi in range(blk * ng // n_blocks, (blk + 1) * ng // n_blocks):
            isub, ip, ic, isa, isb = group_sf(g0 + gi, shape)
            gbase = geo_row_sf(isub, ip, ic, 0, 0, 0, shape)
            iv2 = shape[0] + ip
            m_s = veh[isub, 0]
            m2 = veh[iv2, 0]
            i2 = veh[iv2, 1]
            vs = spd[ic, isa, isb, 0]
            vp = spd[ic, isa, isb, 1]
            s_occ = 0.0
            m_occ = -1.0
            a_occ = -1
            w_dv = NAN
            w_pocc = NAN
            s_dv = 0.0
            p_occ = 0.0
            pm_occ = -1.0
            s_ees = 0.0
            s_share = 0.0
            n_ok = 0
            c0 = 0
            c1 = 0
            c2 = 0
            c3 = 0
            c4 = 0
            for kc in range(n_curves):
                risk[gi, kc, 0] = 0.0
                risk[gi, kc, 1] = 0.0
            for ie in range(shape[8]):
                e = e_ax[ie]
                if math.isnan(e):
                    for q in range(nq):
                        S[11, q] = restitution_sf(geoT, gbase + q, vs, vp, e, rmod)
                for imu in range(shape[9]):
                    for il in range(shape[10]):
                        m1 = m_s + load_ax[il]
                        i1 = veh[isub, 1] * (m1 / m_s)
                        _summary_phase1(geoT, gbase, nq, vs, vp, m1, i1, m2, i2, e,
                                        mu_ax[imu], rel_tol, S)
                        jp = (ie * shape[9] + imu) * shape[10] + il
                        for q in range(nq):
                            st = S[5, q]
                            c0 += st == 0.0
                            c1 += st == 1.0
                            c2 += st == 2.0
                            c3 += st == 3.0
                            c4 += st == 4.0
                            if st <= 2.0:
                                n_ok += 1
                                occ = S[0, q]
                                s_occ += occ
                                s_dv += S[1, q]
                                p_occ += S[2, q]
                                pm_occ = max(pm_occ, S[2, q])
                                s_ees += S[3, q]
                                s_share += S[4, q]
                                j = q * npar + jp  # the case's index within its group (C order)
                                if occ > m_occ or (occ == m_occ and j < a_occ):
                                    m_occ = occ
                                    a_occ = j
                                    w_dv = S[1, q]
                                    w_pocc = S[2, q]
                                for kc in range(n_curves):
                                    risk[gi, kc, 0] += risk_sf(curves, kc, occ / MPS2KPH,
                                                               S[6, q], S[7, q])
                                    risk[gi, kc, 1] += risk_sf(curves, kc, S[2, q] / MPS2KPH,
                                                               S[8, q], S[9, q])
            counts[gi, 0] = c0
            counts[gi, 1] = c1
            counts[gi, 2] = c2
            counts[gi, 3] = c3
            counts[gi, 4] = c4
            if n_ok > 0:
                stats[gi, 0] = s_occ / n_ok
                stats[gi, 1] = m_occ
                stats[gi, 2] = s_dv / n_ok
                stats[gi, 3] = p_occ / n_ok
                stats[gi, 4] = pm_occ
                stats[gi, 5] = s_ees / n_ok
                stats[gi, 6] = s_share / n_ok
            else:
                for k in range(N_STATS):
                    stats[gi, k] = NAN
            for kc in range(n_curves):
                risk[gi, kc, 0] = risk[gi, kc, 0] / n_ok if n_ok > 0 else NAN
                risk[gi, kc, 1] = risk[gi, kc, 1] / n_ok if n_ok > 0 else NAN
            argmax[gi] = (g0 + gi) * inner + a_occ if a_occ >= 0 else -1
            worst[gi, 0] = m_occ if a_occ >= 0 else NAN
            worst[gi, 1] = w_dv
            worst[gi, 2] = w_pocc


grid_chunk = parallel(_grid_chunk)
grid_summary = parallel(_grid_summary)
