"""Grid kernels: cases generated from grid indices inside compiled code.

A grid is the Cartesian product of these axes, in this order (C order, the last varies fastest)::

    subject, partner, configuration, speed_a, speed_b, angle, overlap, position,
    restitution, friction, load

``speed_a``/``speed_b`` are (closing speed, 1) in closing-speed mode and (subject speed, partner
speed) in explicit mode. Nothing the size of the grid is ever built: each case is decoded from its
flat index and built from small tables made once per run in Python:

``veh``  (n_vehicles, 2): mass (kg), yaw inertia (kg m^2) of each subject/partner vehicle.
``geo``  (n_geometry, GEO_COLS): one row per (subject, partner, configuration, angle, overlap,
         position), columns as in :mod:`crashcompat.kernels.case`.
``spd``  (n_configuration, n_speed_a, n_speed_b, 2): subject and partner speed (m/s).
``ax``   per-axis value arrays: restitution (NaN = the speed-dependent model), friction,
         load (kg added to the subject at its CG, constant radius of gyration).
``rmod`` (3,): e_lo, e_hi, v_ref (m/s) of the speed-dependent restitution model.
``curves`` (n_curves, CURVE_COLS): the risk curves (:mod:`crashcompat.kernels.formulas`).

The per-case physics is :mod:`crashcompat.kernels.case`; every formula is in
:mod:`crashcompat.kernels.formulas`.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import scalar, scalar_call, serial
from crashcompat.kernels.case import closing_sf, impact_parts_sf, impact_sf, record_sf
from crashcompat.kernels.layout import (GEO_CHP, GEO_CHS, GEO_K1, GEO_K2, GEO_NORMAL, GEO_R1X,
                                        GEO_R1Y, GEO_R2X, GEO_R2Y, GEO_SEAT1X,
                                        GEO_SEAT1Y, GEO_SEAT2X, GEO_SEAT2Y, GEO_SHP, GEO_SHS,
                                        R_DW1, R_DW2, R_E, R_LOSS, R_STATUS, R_V1, R_V2, R_VCN,
                                        V_DV, V_DV_LAT, V_DV_LONG, V_EES, V_ENERGY, V_FX, V_FY,
                                        V_OCC, V_PDOF)
from crashcompat.kernels.formulas import (added_load_sf, ees_sf, energy_share_sf,
                                          restitution_sf, risk_sf, seat_dv_sf,
                                          to_vehicle_frame_sf)
from crashcompat.kernels.status import N_CODES, RESULT_MASK
from crashcompat.units import MPS_TO_KPH

NAN = np.nan

#: Per-case result columns of :func:`grid_chunk` (all float64), in order; status is separate.
#: Risk columns follow them, two per curve (subject, partner).
CASE_COLUMNS = (
    "subject_dv_kph", "subject_occupant_dv_kph", "subject_dv_long_kph", "subject_dv_lat_kph",
    "subject_yaw_rate_change_rad_s", "subject_pdof_deg", "subject_energy_j", "subject_ees_kph",
    "partner_dv_kph", "partner_occupant_dv_kph", "partner_dv_long_kph", "partner_dv_lat_kph",
    "partner_yaw_rate_change_rad_s", "partner_pdof_deg", "partner_energy_j", "partner_ees_kph",
    "energy_loss_j", "restitution_used", "normal_closing_speed_kph",
)
N_CASE = len(CASE_COLUMNS)


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
def _write_case(j, isub, ip, ic, isa, isb, ian, iov, ipos, ie, imu, il, shape, veh, geo,
                   spd, e_ax, mu_ax, load_ax, rmod, rel_tol, curves, out, status, idx):
    """Compute the case with these axis indices and write it to column ``j`` of the outputs."""
    iv2 = shape[0] + ip  # partners follow the subjects in the vehicle table
    m1, i1 = added_load_sf(veh[isub, 0], veh[isub, 1], load_ax[il])
    m2 = veh[iv2, 0]
    g = geo_row_sf(isub, ip, ic, ian, iov, ipos, shape)
    c = impact_sf(geo, g, m1, i1, m2, veh[iv2, 1], spd[ic, isa, isb, 0], spd[ic, isa, isb, 1],
                  e_ax[ie], mu_ax[imu], rmod, rel_tol)
    r = record_sf(geo, g, m1, m2, c)
    out[0, j] = r[R_V1 + V_DV] * MPS_TO_KPH
    out[1, j] = r[R_V1 + V_OCC] * MPS_TO_KPH
    out[2, j] = r[R_V1 + V_DV_LONG] * MPS_TO_KPH
    out[3, j] = r[R_V1 + V_DV_LAT] * MPS_TO_KPH
    out[4, j] = r[R_DW1]
    out[5, j] = r[R_V1 + V_PDOF]
    out[6, j] = r[R_V1 + V_ENERGY]
    out[7, j] = r[R_V1 + V_EES] * MPS_TO_KPH
    out[8, j] = r[R_V2 + V_DV] * MPS_TO_KPH
    out[9, j] = r[R_V2 + V_OCC] * MPS_TO_KPH
    out[10, j] = r[R_V2 + V_DV_LONG] * MPS_TO_KPH
    out[11, j] = r[R_V2 + V_DV_LAT] * MPS_TO_KPH
    out[12, j] = r[R_DW2]
    out[13, j] = r[R_V2 + V_PDOF]
    out[14, j] = r[R_V2 + V_ENERGY]
    out[15, j] = r[R_V2 + V_EES] * MPS_TO_KPH
    out[16, j] = r[R_LOSS]
    out[17, j] = r[R_E]
    out[18, j] = r[R_VCN] * MPS_TO_KPH
    for k in range(curves.shape[0]):
        out[N_CASE + 2 * k, j] = risk_sf(curves, k, r[R_V1 + V_OCC], r[R_V1 + V_FX],
                                         r[R_V1 + V_FY])
        out[N_CASE + 2 * k + 1, j] = risk_sf(curves, k, r[R_V2 + V_OCC], r[R_V2 + V_FX],
                                             r[R_V2 + V_FY])
    status[j] = np.int8(r[R_STATUS])
    _store_idx(idx, j, isub, ip, ic, isa, isb, ian, iov, ipos, ie, imu, il)


def _grid_chunk(start, j0, j1, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol,
                curves, out, status, idx):
    # Columns j0 .. j1 - 1 of the chunk that starts at case ``start``: case start + j goes to
    # column j of out (N_CASE + 2 n_curves, m), status (m,) and idx (11, m) int32 (its index
    # along each of the 11 kernel axes). Serial: the caller runs disjoint column ranges on
    # threads (the kernel releases the GIL), which compiles in half the time of a prange loop
    # and gives the same numbers for any thread count. When the range is made of whole groups,
    # the inner axes are iterated in nested loops (no per-case index decoding).
    inner = shape[5] * shape[6] * shape[7] * shape[8] * shape[9] * shape[10]
    if (start + j0) % inner == 0 and (j1 - j0) % inner == 0:
        g0 = (start + j0) // inner
        for gi in range((j1 - j0) // inner):
            isub, ip, ic, isa, isb = group_sf(g0 + gi, shape)
            j = j0 + gi * inner
            for ian in range(shape[5]):
                for iov in range(shape[6]):
                    for ipos in range(shape[7]):
                        for ie in range(shape[8]):
                            for imu in range(shape[9]):
                                for il in range(shape[10]):
                                    _write_case(j, isub, ip, ic, isa, isb, ian, iov, ipos, ie,
                                                imu, il, shape, veh, geo, spd, e_ax, mu_ax,
                                                load_ax, rmod, rel_tol, curves, out, status, idx)
                                    j += 1
    else:
        for j in range(j0, j1):
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
            _write_case(j, isub, ip, ic, isa, isb, ian, iov, ipos, ie, imu, il, shape, veh, geo,
                        spd, e_ax, mu_ax, load_ax, rmod, rel_tol, curves, out, status, idx)


#: Summary statistics per group (subject, partner, configuration, speed_a, speed_b), in order.
SUMMARY_STATS = (
    "subject_occupant_dv_mean_kph", "subject_occupant_dv_max_kph", "subject_dv_mean_kph",
    "partner_occupant_dv_mean_kph", "partner_occupant_dv_max_kph", "subject_ees_mean_kph",
    "energy_share_subject_mean",
)
N_STATS = len(SUMMARY_STATS)
#: One count per status code of the status table.
N_STATUS = N_CODES
#: Geometry rows per block of the summary's vectorised loop, and the rows of its scratch
#: buffer (a flat array indexed ``row * _QMAX + q``): 0-7 the impact's raw outputs, 8 the
#: restitution, 9-17 the geometry the impact reads. One buffer with compile-time row offsets lets
#: LLVM prove that the loop's loads and stores do not overlap, so it vectorises with no runtime
#: alias checks (measured 238 M impacts/s on one core here, against 37 M/s with the geometry
#: read from the table and the results stored in a separate 2-D scratch array).
_QMAX = 512
_B_DV1X, _B_DV1Y, _B_DV2X, _B_DV2Y, _B_DW1, _B_DW2, _B_LOSS, _B_STATUS = range(8)
_B_E, _B_CHS, _B_SHS, _B_CHP, _B_SHP, _B_NORMAL, _B_R1X, _B_R1Y, _B_R2X, _B_R2Y = range(8, 18)
_B_ROWS = 18


@scalar_call
def _summary_phase1(B, nb, vs, vp, m1, i1, m2, i2, mu, rel_tol):
    # One planar impact per geometry row q < nb of the block, inputs and raw outputs in B.
    for q in range(nb):
        r = impact_parts_sf(m1, i1, m2, i2, vs, vp, B[_B_CHS * _QMAX + q], B[_B_SHS * _QMAX + q],
                            B[_B_CHP * _QMAX + q], B[_B_SHP * _QMAX + q], B[_B_R1X * _QMAX + q],
                            B[_B_R1Y * _QMAX + q], B[_B_R2X * _QMAX + q], B[_B_R2Y * _QMAX + q],
                            B[_B_NORMAL * _QMAX + q], B[_B_E * _QMAX + q], mu, rel_tol)
        B[_B_DV1X * _QMAX + q] = r[0]
        B[_B_DV1Y * _QMAX + q] = r[1]
        B[_B_DV2X * _QMAX + q] = r[2]
        B[_B_DV2Y * _QMAX + q] = r[3]
        B[_B_DW1 * _QMAX + q] = r[4]
        B[_B_DW2 * _QMAX + q] = r[5]
        B[_B_LOSS * _QMAX + q] = r[8]
        B[_B_STATUS * _QMAX + q] = 1.0 * r[9]


def _grid_summary(g0, gi0, gi1, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol,
                  curves, stats, argmax, counts, worst, risk):
    # Rows gi0 .. gi1 - 1 of the outputs, for the groups g0 + gi; each group is a contiguous
    # block of `inner` cases, reduced in compiled code: nothing per case leaves the kernel.
    # Within a group the loop over its geometry rows (angle x overlap x position) is innermost
    # and vectorised (_summary_phase1); the reductions follow in a scalar pass. Serial: the
    # caller runs disjoint row ranges on threads (see _grid_chunk).
    nq = shape[5] * shape[6] * shape[7]
    npar = shape[8] * shape[9] * shape[10]
    inner = nq * npar
    n_curves = curves.shape[0]
    B = np.empty(_B_ROWS * _QMAX)
    for gi in range(gi0, gi1):
        isub, ip, ic, isa, isb = group_sf(g0 + gi, shape)
        gbase = geo_row_sf(isub, ip, ic, 0, 0, 0, shape)
        iv2 = shape[0] + ip
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
        for k in range(N_STATUS):
            counts[gi, k] = 0
        for kc in range(n_curves):
            risk[gi, kc, 0] = 0.0
            risk[gi, kc, 1] = 0.0
        for b0 in range(0, nq, _QMAX):
            nb = min(_QMAX, nq - b0)
            for q in range(nb):
                g = gbase + b0 + q
                B[_B_CHS * _QMAX + q] = geo[g, GEO_CHS]
                B[_B_SHS * _QMAX + q] = geo[g, GEO_SHS]
                B[_B_CHP * _QMAX + q] = geo[g, GEO_CHP]
                B[_B_SHP * _QMAX + q] = geo[g, GEO_SHP]
                B[_B_NORMAL * _QMAX + q] = geo[g, GEO_NORMAL]
                B[_B_R1X * _QMAX + q] = geo[g, GEO_R1X]
                B[_B_R1Y * _QMAX + q] = geo[g, GEO_R1Y]
                B[_B_R2X * _QMAX + q] = geo[g, GEO_R2X]
                B[_B_R2Y * _QMAX + q] = geo[g, GEO_R2Y]
            for ie in range(shape[8]):
                e = e_ax[ie]
                for q in range(nb):
                    B[_B_E * _QMAX + q] = restitution_sf(
                        e, closing_sf(geo, gbase + b0 + q, vs, vp), rmod[0], rmod[1], rmod[2])
                for imu in range(shape[9]):
                    for il in range(shape[10]):
                        m1, i1 = added_load_sf(veh[isub, 0], veh[isub, 1], load_ax[il])
                        _summary_phase1(B, nb, vs, vp, m1, i1, m2, i2, mu_ax[imu], rel_tol)
                        jp = (ie * shape[9] + imu) * shape[10] + il
                        for qb in range(nb):
                            st = int(B[_B_STATUS * _QMAX + qb])
                            counts[gi, st] += 1
                            if RESULT_MASK[st] == 0:
                                continue
                            q = b0 + qb
                            g = gbase + q
                            dv1x = B[_B_DV1X * _QMAX + qb]
                            dv1y = B[_B_DV1Y * _QMAX + qb]
                            ox, oy = seat_dv_sf(dv1x, dv1y, B[_B_DW1 * _QMAX + qb],
                                                geo[g, GEO_SEAT1X], geo[g, GEO_SEAT1Y])
                            qx, qy = seat_dv_sf(B[_B_DV2X * _QMAX + qb], B[_B_DV2Y * _QMAX + qb],
                                                B[_B_DW2 * _QMAX + qb], geo[g, GEO_SEAT2X],
                                                geo[g, GEO_SEAT2Y])
                            share, _share2 = energy_share_sf(geo[g, GEO_K1], geo[g, GEO_K2])
                            occ = math.sqrt(ox * ox + oy * oy) * MPS_TO_KPH
                            dv = math.sqrt(dv1x * dv1x + dv1y * dv1y) * MPS_TO_KPH
                            pocc = math.sqrt(qx * qx + qy * qy) * MPS_TO_KPH
                            n_ok += 1
                            s_occ += occ
                            s_dv += dv
                            p_occ += pocc
                            pm_occ = max(pm_occ, pocc)
                            s_ees += ees_sf(B[_B_LOSS * _QMAX + qb] * share, m1) * MPS_TO_KPH
                            s_share += share
                            j = q * npar + jp  # the case's index within its group (C order)
                            if occ > m_occ or (occ == m_occ and j < a_occ):
                                m_occ = occ
                                a_occ = j
                                w_dv = dv
                                w_pocc = pocc
                            if n_curves > 0:
                                # the impulse on each vehicle in its own frame (risk sectors)
                                f1x, f1y = to_vehicle_frame_sf(geo[g, GEO_CHS], geo[g, GEO_SHS],
                                                               dv1x * m1, dv1y * m1)
                                f2x, f2y = to_vehicle_frame_sf(geo[g, GEO_CHP], geo[g, GEO_SHP],
                                                               -dv1x * m1, -dv1y * m1)
                                for kc in range(n_curves):
                                    risk[gi, kc, 0] += risk_sf(curves, kc, occ / MPS_TO_KPH,
                                                               f1x, f1y)
                                    risk[gi, kc, 1] += risk_sf(curves, kc, pocc / MPS_TO_KPH,
                                                               f2x, f2y)
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


#: ``grid_chunk(start, j0, j1, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, curves,
#: out, status, idx)``; serial, releases the GIL (run ranges on threads).
grid_chunk = serial(_grid_chunk)
#: ``grid_summary(g0, gi0, gi1, shape, veh, geo, ..., curves, stats, argmax, counts, worst,
#: risk)``; serial, releases the GIL.
grid_summary = serial(_grid_summary)
