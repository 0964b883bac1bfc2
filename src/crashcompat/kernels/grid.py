"""Grid kernels: cases generated from grid indices inside compiled code.

A grid is the Cartesian product of these axes, in this order (C order, the last varies fastest)::

    subject, partner, configuration, speed_a, speed_b, angle, overlap, position,
    restitution, friction, load

``speed_a``/``speed_b`` are (closing speed, 1) in closing-speed mode and (subject speed, partner
speed) in explicit mode. Nothing the size of the grid is ever built: each case is decoded from its
flat index and built from small tables made once per run in Python:

``veh``  (n_vehicles, 2): mass (kg), yaw inertia (kg m^2) of each subject/partner vehicle.
``geo``  (n_geometry, 14): one row per (subject, partner, configuration, angle, overlap,
         position): r1x r1y r2x r2y normal_deg, cos/sin of the subject's and the partner's
         heading, engaged stiffness k1 k2 (N/m), subject driver seat (x, y) and partner driver
         seat (x, y) in the global frame of the impact; see ``GEO_*``.
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
GEO_COLS = 15

#: Per-case result columns of :func:`grid_chunk` (all float64), in order; status is separate.
CASE_COLUMNS = (
    "subject_dv_kph", "subject_occupant_dv_kph", "subject_dv_long_kph", "subject_dv_lat_kph",
    "subject_yaw_rate_change_rad_s", "subject_pdof_deg", "subject_energy_j", "subject_ees_kph",
    "partner_dv_kph", "partner_occupant_dv_kph", "partner_dv_long_kph", "partner_dv_lat_kph",
    "partner_yaw_rate_change_rad_s", "partner_pdof_deg", "partner_energy_j", "partner_ees_kph",
    "energy_loss_j", "restitution_used", "closing_speed_kph",
)
N_CASE = len(CASE_COLUMNS)


@scalar
def pdof_sf(c, s, px, py):
    """PDOF (deg clockwise from forward, where the impulse comes from) for heading (c, s)."""
    lx = c * px + s * py
    ly = -s * px + c * py
    ang = -(math.atan2(ly, lx) * RAD2DEG + 180.0)
    return ang - 360.0 * math.floor(ang / 360.0)


@scalar_call
def case_sf(i, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol):
    """Decode flat case ``i`` and compute it. Returns (results tuple of N_CASE floats, status)."""
    # decode the multi-index (last axis fastest)
    n_load = shape[10]
    n_mu = shape[9]
    n_e = shape[8]
    q = i
    il = q % n_load
    q //= n_load
    imu = q % n_mu
    q //= n_mu
    ie = q % n_e
    q //= n_e
    ipos = q % shape[7]
    q //= shape[7]
    iov = q % shape[6]
    q //= shape[6]
    ian = q % shape[5]
    q //= shape[5]
    isb = q % shape[4]
    q //= shape[4]
    isa = q % shape[3]
    q //= shape[3]
    ic = q % shape[2]
    q //= shape[2]
    ip = q % shape[1]
    q //= shape[1]
    isub = q
    g = ((((isub * shape[1] + ip) * shape[2] + ic) * shape[5] + ian) * shape[6] + iov) \
        * shape[7] + ipos
    iv2 = shape[0] + ip  # partners follow the subjects in the vehicle table

    load = load_ax[il]
    m_s = veh[isub, 0]
    m1 = m_s + load
    i1 = veh[isub, 1] * (m1 / m_s)
    m2 = veh[iv2, 0]
    i2 = veh[iv2, 1]
    vs = spd[ic, isa, isb, 0]
    vp = spd[ic, isa, isb, 1]
    chs = geo[g, GEO_CHS]
    shs = geo[g, GEO_SHS]
    chp = geo[g, GEO_CHP]
    shp = geo[g, GEO_SHP]
    v1x = vs * chs
    v1y = vs * shs
    v2x = vp * chp
    v2y = vp * shp
    normal = geo[g, GEO_NORMAL]
    nrad = normal / RAD2DEG
    vcn = -((v1x - v2x) * math.cos(nrad) + (v1y - v2y) * math.sin(nrad))
    e = e_ax[ie]
    e_model = rmod[1] + (rmod[0] - rmod[1]) * math.exp(-abs(vcn) / rmod[2])
    e = min(max(e_model, 0.0), 1.0) if math.isnan(e) else e
    mu = mu_ax[imu]
    r = planar_sf(m1, i1, v1x, v1y, 0.0, geo[g, GEO_R1X], geo[g, GEO_R1Y],
                  m2, i2, v2x, v2y, 0.0, geo[g, GEO_R2X], geo[g, GEO_R2Y],
                  normal, e, mu, rel_tol)
    dv1x, dv1y, dv2x, dv2y, dw1, dw2, loss = r[0], r[1], r[2], r[3], r[4], r[5], r[8]
    status = r[9]
    # occupant (driver seat) velocity change dv + dw z x p, p in the global frame
    o1x = dv1x - dw1 * geo[g, GEO_SEAT1Y]
    o1y = dv1y + dw1 * geo[g, GEO_SEAT1X]
    o2x = dv2x - dw2 * geo[g, GEO_SEAT2Y]
    o2y = dv2y + dw2 * geo[g, GEO_SEAT2X]
    k1 = geo[g, GEO_K1]
    k2 = geo[g, GEO_K2]
    e1 = loss * k2 / (k1 + k2)
    e2 = loss * k1 / (k1 + k2)
    px = dv1x * m1
    py = dv1y * m1
    res = (
        math.hypot(dv1x, dv1y) * MPS2KPH,
        math.hypot(o1x, o1y) * MPS2KPH,
        (chs * dv1x + shs * dv1y) * MPS2KPH,
        (-shs * dv1x + chs * dv1y) * MPS2KPH,
        dw1,
        pdof_sf(chs, shs, px, py) if status <= 2 else NAN,
        e1,
        math.sqrt(2.0 * e1 / m1) * MPS2KPH,
        math.hypot(dv2x, dv2y) * MPS2KPH,
        math.hypot(o2x, o2y) * MPS2KPH,
        (chp * dv2x + shp * dv2y) * MPS2KPH,
        (-shp * dv2x + chp * dv2y) * MPS2KPH,
        dw2,
        pdof_sf(chp, shp, -px, -py) if status <= 2 else NAN,
        e2,
        math.sqrt(2.0 * e2 / m2) * MPS2KPH,
        loss,
        e if status <= 2 else NAN,
        vcn * MPS2KPH,
    )
    return res, status


def _grid_chunk(start, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, out, status):
    # cases start .. start + out.shape[1] - 1; out (N_CASE, m), status (m,)
    for j in prange(out.shape[1]):
        res, st = case_sf(start + j, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol)
        for k in range(N_CASE):
            out[k, j] = res[k]
        status[j] = st


#: Summary statistics per group (subject, partner, configuration, speed_a, speed_b), in order.
SUMMARY_STATS = (
    "subject_occupant_dv_mean_kph", "subject_occupant_dv_max_kph", "subject_dv_mean_kph",
    "partner_occupant_dv_mean_kph", "partner_occupant_dv_max_kph", "subject_ees_mean_kph",
    "energy_share_subject_mean",
)
N_STATS = len(SUMMARY_STATS)
N_STATUS = 5


def _grid_summary(g0, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, stats, argmax,
                  counts):
    # groups g0 .. g0 + stats.shape[0] - 1; each group is a contiguous block of `inner` cases
    inner = shape[5] * shape[6] * shape[7] * shape[8] * shape[9] * shape[10]
    for gi in prange(stats.shape[0]):
        g = g0 + gi
        s_occ = 0.0
        m_occ = -1.0
        a_occ = -1
        s_dv = 0.0
        p_occ = 0.0
        pm_occ = -1.0
        s_ees = 0.0
        s_share = 0.0
        n_ok = 0
        for k in range(N_STATUS):
            counts[gi, k] = 0
        for j in range(inner):
            res, st = case_sf(g * inner + j, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod,
                              rel_tol)
            counts[gi, st] += 1
            if st <= 2:
                n_ok += 1
                s_occ += res[1]
                if res[1] > m_occ:
                    m_occ = res[1]
                    a_occ = j
                s_dv += res[0]
                p_occ += res[9]
                pm_occ = max(pm_occ, res[9])
                s_ees += res[7]
                s_share += res[6] / res[16] if res[16] > 0.0 else 0.5
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
        argmax[gi] = g * inner + a_occ if a_occ >= 0 else -1


grid_chunk = parallel(_grid_chunk)
grid_summary = parallel(_grid_summary)
