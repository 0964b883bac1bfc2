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
                                        GEO_R1Y, GEO_R2X, GEO_R2Y, GEO_RATIO, GEO_SEAT1X,
                                        GEO_SEAT1Y, GEO_SEAT2X, GEO_SEAT2Y, GEO_SHP, GEO_SHS,
                                        GEO_TMODEL,
                                        R_DW1, R_DW2, R_E, R_LOSS, R_STATUS, R_V1, R_V2, R_VCN,
                                        V_DV, V_DV_LAT, V_DV_LONG, V_EES, V_ENERGY, V_FX, V_FY,
                                        V_OCC, V_PDOF)
from crashcompat.kernels.formulas import (added_load_sf, crush_demand_sf, ees_sf,
                                          energy_share_sf, restitution_sf, risk_sf, seat_dv_sf,
                                          to_global_frame_sf, to_vehicle_frame_sf)
from crashcompat.kernels.sampling import (N_VARS, V_E_HI, V_E_LO, V_FRICTION, V_GEOMETRY, V_IZZ1,
                                          V_IZZ2, V_K1, V_K2, V_LOAD1, V_LOAD2, V_SEAT1X,
                                          V_SEAT1Y, V_SEAT2X, V_SEAT2Y, V_SPACE1,
                                          hist_finish_sf, hist_fill_sf,
                                          uniform_sf, variable_sf)
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
    "energy_share_subject_mean", "subject_crush_exhausted_share",
)
N_STATS = len(SUMMARY_STATS)
#: One count per status code of the status table.
N_STATUS = N_CODES
#: Rows per block of the summary's vectorised impact loop, and the rows of its scratch buffer
#: (a flat array indexed ``row * _QMAX + q``): 0-7 the impact's raw outputs, 8 the restitution,
#: 9-17 the geometry the impact reads, 18-19 the subject's mass and yaw inertia, 20-21 the
#: tangential model and impulse ratio. A block holds
#: the geometry rows (angle x overlap x position) of every subject and reference car in one
#: crash, so the loop is long even when each group has few rows. One buffer with compile-time
#: row offsets lets LLVM prove that the loop's loads and stores do not overlap, so it
#: vectorises with no runtime alias checks (measured 238 M impacts/s on one core here, against
#: 37 M/s with the geometry read from the table and the results stored in a separate 2-D
#: scratch array).
_QMAX = 512
_B_DV1X, _B_DV1Y, _B_DV2X, _B_DV2Y, _B_DW1, _B_DW2, _B_LOSS, _B_STATUS = range(8)
_B_E, _B_CHS, _B_SHS, _B_CHP, _B_SHP, _B_NORMAL, _B_R1X, _B_R1Y, _B_R2X, _B_R2Y = range(8, 18)
_B_M1, _B_I1 = 18, 19
_B_TMODEL, _B_RATIO = 20, 21  # the geometry row's tangential model and impulse ratio
_B_ROWS = 22

#: Results of :func:`_crash_sf` per group (row ``isub`` of a small float array, in this
#: order): the means over the group's cases with a result, the maxima, the crush-exhausted
#: share, the number of cases with a result, the index (within the group) of the case with the
#: largest subject occupant delta-v and that case's CG delta-v and partner occupant delta-v.
(G_OCC_MEAN, G_OCC_MAX, G_DV_MEAN, G_POCC_MEAN, G_POCC_MAX, G_EES_MEAN, G_SHARE_MEAN, G_CRUSH,
 G_NOK, G_ARGMAX, G_WORST_DV, G_WORST_POCC) = range(12)
N_G = 12
# running sums of _crash_sf per group (columns of its accumulator scratch)
_A_OCC, _A_MOCC, _A_AOCC, _A_WDV, _A_WPOCC, _A_DV, _A_POCC, _A_PMOCC, _A_EES, _A_SHARE, \
    _A_CRUSH, _A_NOK = range(12)
_A_COLS = 12


@scalar_call
def _block_phase1(B, nb, vs, vp, m2, i2, mu, rel_tol):
    # One planar impact per row q < nb of the block, inputs and raw outputs in B.
    for q in range(nb):
        r = impact_parts_sf(B[_B_M1 * _QMAX + q], B[_B_I1 * _QMAX + q], m2, i2, vs, vp,
                            B[_B_CHS * _QMAX + q], B[_B_SHS * _QMAX + q],
                            B[_B_CHP * _QMAX + q], B[_B_SHP * _QMAX + q], B[_B_R1X * _QMAX + q],
                            B[_B_R1Y * _QMAX + q], B[_B_R2X * _QMAX + q], B[_B_R2Y * _QMAX + q],
                            B[_B_NORMAL * _QMAX + q], B[_B_E * _QMAX + q], mu,
                            B[_B_TMODEL * _QMAX + q], B[_B_RATIO * _QMAX + q], rel_tol)
        B[_B_DV1X * _QMAX + q] = r[0]
        B[_B_DV1Y * _QMAX + q] = r[1]
        B[_B_DV2X * _QMAX + q] = r[2]
        B[_B_DV2Y * _QMAX + q] = r[3]
        B[_B_DW1 * _QMAX + q] = r[4]
        B[_B_DW2 * _QMAX + q] = r[5]
        B[_B_LOSS * _QMAX + q] = r[8]
        B[_B_STATUS * _QMAX + q] = 1.0 * r[9]


@scalar_call
def _crash_scratch(n_rows, n_curves):
    """Scratch of one thread's :func:`_crash_sf` calls: the group buffers ``B`` and ``A``, the
    per-row results ``res``, risks ``rk`` and status counts ``cts``."""
    return (np.empty(_B_ROWS * _QMAX), np.empty((n_rows, _A_COLS)), np.empty((n_rows, N_G)),
            np.empty((n_rows, n_curves, 2)), np.empty((n_rows, N_STATUS), dtype=np.int64))


@scalar_call
def _crash_sf(B, A, geo, shape, ip, ic, vs, vp, veh, e_ax, mu_ax, load_ax, i1s, load1, m2, i2,
              e_lo, e_hi, v_ref, mu_scale, k1s, k2s, s1x, s1y, s2x, s2y, space, space_scale,
              rel_tol, curves, res, risk_out, counts):
    # Every group of one crash (partner ip, configuration ic, speeds vs, vp): for each subject
    # and reference row isub, its geometry rows x the restitution, friction and load axes,
    # reduced to res[isub] (G_* entries), risk_out[isub] (n_curves, 2: mean probabilities of
    # the subject's and the partner's driver) and counts[isub] (one per status code). The same
    # code serves the deterministic summary (every perturbation at its identity: scales 1,
    # offsets 0) and each Monte Carlo sample (drawn): ``i1s`` scales the subject's yaw inertia,
    # ``load1`` kg is added to the load axis value, ``m2``/``i2`` are the partner's mass and
    # inertia with its load, ``mu_scale`` multiplies the friction axis, ``k1s``/``k2s`` the
    # engaged stiffnesses, (s1x, s1y), (s2x, s2y) move the drivers' seats (vehicle frame, m),
    # ``space[isub, ic] * space_scale`` is the subject's crush space (m). The impacts of a block
    # (the geometry rows of many subjects) run in one vectorised loop (_block_phase1); the
    # reductions follow in a scalar pass, each group's in the order (geometry chunk,
    # restitution, friction, load, geometry row) whichever subjects share the block.
    n_rows = shape[0]
    nq = shape[5] * shape[6] * shape[7]
    npar = shape[8] * shape[9] * shape[10]
    n_curves = curves.shape[0]
    for isub in range(n_rows):
        A[isub, _A_OCC] = 0.0
        A[isub, _A_MOCC] = -1.0
        A[isub, _A_AOCC] = -1.0
        A[isub, _A_WDV] = NAN
        A[isub, _A_WPOCC] = NAN
        A[isub, _A_DV] = 0.0
        A[isub, _A_POCC] = 0.0
        A[isub, _A_PMOCC] = -1.0
        A[isub, _A_EES] = 0.0
        A[isub, _A_SHARE] = 0.0
        A[isub, _A_CRUSH] = 0.0
        A[isub, _A_NOK] = 0.0
        for k in range(N_STATUS):
            counts[isub, k] = 0
        for kc in range(n_curves):
            risk_out[isub, kc, 0] = 0.0
            risk_out[isub, kc, 1] = 0.0
    rows_sub = min(nq, _QMAX)  # geometry rows of one subject per block
    subs = _QMAX // rows_sub   # subjects per block
    for q0 in range(0, nq, rows_sub):
        nqb = min(rows_sub, nq - q0)
        for s0 in range(0, n_rows, subs):
            ns_b = min(subs, n_rows - s0)
            nb = ns_b * nqb
            for si in range(ns_b):
                gbase = geo_row_sf(s0 + si, ip, ic, 0, 0, 0, shape) + q0
                for qq in range(nqb):
                    t = si * nqb + qq
                    g = gbase + qq
                    B[_B_CHS * _QMAX + t] = geo[g, GEO_CHS]
                    B[_B_SHS * _QMAX + t] = geo[g, GEO_SHS]
                    B[_B_CHP * _QMAX + t] = geo[g, GEO_CHP]
                    B[_B_SHP * _QMAX + t] = geo[g, GEO_SHP]
                    B[_B_NORMAL * _QMAX + t] = geo[g, GEO_NORMAL]
                    B[_B_R1X * _QMAX + t] = geo[g, GEO_R1X]
                    B[_B_R1Y * _QMAX + t] = geo[g, GEO_R1Y]
                    B[_B_R2X * _QMAX + t] = geo[g, GEO_R2X]
                    B[_B_R2Y * _QMAX + t] = geo[g, GEO_R2Y]
                    B[_B_TMODEL * _QMAX + t] = geo[g, GEO_TMODEL]
                    B[_B_RATIO * _QMAX + t] = geo[g, GEO_RATIO]
            for ie in range(shape[8]):
                e = e_ax[ie]
                for si in range(ns_b):
                    gbase = geo_row_sf(s0 + si, ip, ic, 0, 0, 0, shape) + q0
                    for qq in range(nqb):
                        B[_B_E * _QMAX + si * nqb + qq] = restitution_sf(
                            e, closing_sf(geo, gbase + qq, vs, vp), e_lo, e_hi, v_ref)
                for imu in range(shape[9]):
                    mu = mu_ax[imu] * mu_scale
                    for il in range(shape[10]):
                        for si in range(ns_b):
                            isub = s0 + si
                            m1, i1 = added_load_sf(veh[isub, 0], veh[isub, 1] * i1s,
                                                   load_ax[il] + load1)
                            for qq in range(nqb):
                                B[_B_M1 * _QMAX + si * nqb + qq] = m1
                                B[_B_I1 * _QMAX + si * nqb + qq] = i1
                        _block_phase1(B, nb, vs, vp, m2, i2, mu, rel_tol)
                        jp = (ie * shape[9] + imu) * shape[10] + il
                        for t in range(nb):
                            si = t // nqb
                            isub = s0 + si
                            st = int(B[_B_STATUS * _QMAX + t])
                            counts[isub, st] += 1
                            if RESULT_MASK[st] == 0:
                                continue
                            q = q0 + t - si * nqb
                            g = geo_row_sf(isub, ip, ic, 0, 0, 0, shape) + q
                            m1 = B[_B_M1 * _QMAX + t]
                            dv1x = B[_B_DV1X * _QMAX + t]
                            dv1y = B[_B_DV1Y * _QMAX + t]
                            o1x, o1y = to_global_frame_sf(geo[g, GEO_CHS], geo[g, GEO_SHS], s1x,
                                                          s1y)
                            o2x, o2y = to_global_frame_sf(geo[g, GEO_CHP], geo[g, GEO_SHP], s2x,
                                                          s2y)
                            ox, oy = seat_dv_sf(dv1x, dv1y, B[_B_DW1 * _QMAX + t],
                                                geo[g, GEO_SEAT1X] + o1x,
                                                geo[g, GEO_SEAT1Y] + o1y)
                            qx, qy = seat_dv_sf(B[_B_DV2X * _QMAX + t], B[_B_DV2Y * _QMAX + t],
                                                B[_B_DW2 * _QMAX + t], geo[g, GEO_SEAT2X] + o2x,
                                                geo[g, GEO_SEAT2Y] + o2y)
                            k1 = geo[g, GEO_K1] * k1s
                            share, _share2 = energy_share_sf(k1, geo[g, GEO_K2] * k2s)
                            occ = math.sqrt(ox * ox + oy * oy) * MPS_TO_KPH
                            dv = math.sqrt(dv1x * dv1x + dv1y * dv1y) * MPS_TO_KPH
                            pocc = math.sqrt(qx * qx + qy * qy) * MPS_TO_KPH
                            e1 = B[_B_LOSS * _QMAX + t] * share
                            A[isub, _A_NOK] += 1.0
                            A[isub, _A_OCC] += occ
                            A[isub, _A_DV] += dv
                            A[isub, _A_POCC] += pocc
                            A[isub, _A_PMOCC] = max(A[isub, _A_PMOCC], pocc)
                            A[isub, _A_EES] += ees_sf(e1, m1) * MPS_TO_KPH
                            A[isub, _A_SHARE] += share
                            if crush_demand_sf(e1, k1) > space[isub, ic] * space_scale:
                                A[isub, _A_CRUSH] += 1.0
                            j = q * npar + jp  # the case's index within its group (C order)
                            if occ > A[isub, _A_MOCC] or (occ == A[isub, _A_MOCC]
                                                          and j < A[isub, _A_AOCC]):
                                A[isub, _A_MOCC] = occ
                                A[isub, _A_AOCC] = j
                                A[isub, _A_WDV] = dv
                                A[isub, _A_WPOCC] = pocc
                            if n_curves > 0:
                                # the impulse on each vehicle in its own frame (risk sectors)
                                f1x, f1y = to_vehicle_frame_sf(geo[g, GEO_CHS], geo[g, GEO_SHS],
                                                               dv1x * m1, dv1y * m1)
                                f2x, f2y = to_vehicle_frame_sf(geo[g, GEO_CHP], geo[g, GEO_SHP],
                                                               -dv1x * m1, -dv1y * m1)
                                for kc in range(n_curves):
                                    risk_out[isub, kc, 0] += risk_sf(curves, kc,
                                                                     occ / MPS_TO_KPH, f1x, f1y)
                                    risk_out[isub, kc, 1] += risk_sf(curves, kc,
                                                                     pocc / MPS_TO_KPH, f2x,
                                                                     f2y)
    for isub in range(n_rows):
        n_ok = A[isub, _A_NOK]
        if n_ok > 0:
            res[isub, G_OCC_MEAN] = A[isub, _A_OCC] / n_ok
            res[isub, G_OCC_MAX] = A[isub, _A_MOCC]
            res[isub, G_DV_MEAN] = A[isub, _A_DV] / n_ok
            res[isub, G_POCC_MEAN] = A[isub, _A_POCC] / n_ok
            res[isub, G_POCC_MAX] = A[isub, _A_PMOCC]
            res[isub, G_EES_MEAN] = A[isub, _A_EES] / n_ok
            res[isub, G_SHARE_MEAN] = A[isub, _A_SHARE] / n_ok
            res[isub, G_CRUSH] = A[isub, _A_CRUSH] / n_ok
            for kc in range(n_curves):
                risk_out[isub, kc, 0] = risk_out[isub, kc, 0] / n_ok
                risk_out[isub, kc, 1] = risk_out[isub, kc, 1] / n_ok
        else:
            for k in range(G_NOK):
                res[isub, k] = NAN
            for kc in range(n_curves):
                risk_out[isub, kc, 0] = NAN
                risk_out[isub, kc, 1] = NAN
        res[isub, G_NOK] = n_ok
        res[isub, G_ARGMAX] = A[isub, _A_AOCC]
        res[isub, G_WORST_DV] = A[isub, _A_WDV]
        res[isub, G_WORST_POCC] = A[isub, _A_WPOCC]


@scalar
def _crash_index_sf(c, shape):
    """(partner, configuration, speed_a, speed_b) of crash ``c``."""
    isb = c % shape[4]
    q = c // shape[4]
    isa = q % shape[3]
    q //= shape[3]
    ic = q % shape[2]
    return q // shape[2], ic, isa, isb


def _grid_summary(c0, c1, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, curves,
                  space, stats, argmax, counts, worst, risk):
    # The groups of crashes c0 .. c1 - 1 (a crash: partner x configuration x speeds, index
    # ((ip * nc + ic) * nsa + isa) * nsb + isb; its group for subject row isub is
    # isub * n_crash + c), each a contiguous block of `inner` cases, reduced in compiled code
    # with the nominal inputs (_crash_sf): nothing per case leaves the kernel. ``space``
    # (n_subjects, n_configurations) is each subject's crush space on the face it is struck on.
    # Serial: the caller runs disjoint crash ranges on threads (see _grid_chunk).
    n_rows = shape[0]
    n_crash = shape[1] * shape[2] * shape[3] * shape[4]
    inner = shape[5] * shape[6] * shape[7] * shape[8] * shape[9] * shape[10]
    n_curves = curves.shape[0]
    B, A, res, rk, cts = _crash_scratch(n_rows, n_curves)
    for c in range(c0, c1):
        ip, ic, isa, isb = _crash_index_sf(c, shape)
        iv2 = n_rows + ip
        _crash_sf(B, A, geo, shape, ip, ic, spd[ic, isa, isb, 0], spd[ic, isa, isb, 1], veh,
                  e_ax, mu_ax, load_ax, 1.0, 0.0, veh[iv2, 0], veh[iv2, 1], rmod[0], rmod[1],
                  rmod[2], 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, space, 1.0, rel_tol, curves, res,
                  rk, cts)
        for isub in range(n_rows):
            gi = isub * n_crash + c
            for k in range(N_STATS):
                stats[gi, k] = res[isub, k]
            for k in range(N_STATUS):
                counts[gi, k] = cts[isub, k]
            for kc in range(n_curves):
                risk[gi, kc, 0] = rk[isub, kc, 0]
                risk[gi, kc, 1] = rk[isub, kc, 1]
            a_occ = int(res[isub, G_ARGMAX])
            argmax[gi] = gi * inner + a_occ if a_occ >= 0 else -1
            worst[gi, 0] = res[isub, G_OCC_MAX] if a_occ >= 0 else NAN
            worst[gi, 1] = res[isub, G_WORST_DV]
            worst[gi, 2] = res[isub, G_WORST_POCC]


#: Per-sample statistics of a group whose Monte Carlo bands the summary reports, in order,
#: followed by one subject-driver risk per curve and one partner-driver risk per curve.
MC_GROUP_STATS = ("subject_occupant_dv_kph", "subject_occupant_dv_max_kph",
                  "partner_occupant_dv_kph", "subject_energy_share",
                  "subject_crush_exhausted_share")
#: Per-sample statistics of a (subject, reference) pair: the delta-v ratio, then one relative
#: risk per curve.
MC_PAIR_STATS = ("ratio",)
#: Exposure-weighted sums per (subject, partner class, configuration, sample), in order: the
#: weight of the groups with a result, then the weighted occupant delta-v, the crush-exhausted
#: share, and one subject-driver risk per curve.
MC_HEADLINE_STATS = ("weight", "subject_occupant_dv_kph", "subject_crush_exhausted_share")


def _grid_mc(c0, c1, shape, veh, geo_var, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, curves,
             space, dist, seed, stream, n_samples, n_subj, wts, cls, hscale, qs, bands_g,
             bands_p, acc, hc, hlo, hhi, hn, hmn, hmx):
    # Monte Carlo over the crashes c0 .. c1 - 1 (indexed as in _grid_summary). For each sample
    # the crash's draws are made once (kernels/sampling.py: a pure function of seed, stream,
    # crash, sample and variable; run-wide variables leave the crash and stream out, so every
    # crash of a sample shares them) and every subject and reference row is computed with them
    # (common random numbers) by the summary's own reduction (_crash_sf). Per crash,
    # histograms (hc ... hmx: one per statistic, per-thread scratch, left empty) give the
    # quantiles ``qs`` of each group statistic (bands_g: n_rows, n_crash, n_group_stats, n_q)
    # and of each (subject, reference) ratio (bands_p: n_subj, n_ref, n_crash, n_pair_stats,
    # n_q). With a weight wts[ip, ic, isa, isb] > 0 and a partner class cls[ip] >= 0, the
    # weighted statistics are added to acc[row, class, ic, sample, stat] (this thread's own
    # buffer) in fixed point (hscale: each term rounded down to a multiple of 1/hscale), so
    # that the sum over crashes does not depend on their order.
    n_rows = shape[0]
    n_ref = n_rows - n_subj
    n_curves = curves.shape[0]
    ngs = 5 + 2 * n_curves
    nps = 1 + n_curves
    nk = qs.shape[0]
    n_var = geo_var.shape[0]
    B, A, res, rk, cts = _crash_scratch(n_rows, n_curves)
    hp0 = n_rows * ngs
    vals = np.empty(hp0 + n_subj * n_ref * nps)  # one sample's value of every statistic
    qv = np.empty((vals.shape[0], nk))
    x = np.empty(N_VARS)
    for c in range(c0, c1):
        ip, ic, isa, isb = _crash_index_sf(c, shape)
        iv2 = n_rows + ip
        w = wts[ip, ic, isa, isb]
        kcls = cls[ip]
        for s in range(n_samples):
            for v in range(N_VARS):
                x[v] = variable_sf(dist, v, seed, stream, c, s)
            kv = int(uniform_sf(seed, stream, c, s, V_GEOMETRY) * n_var)
            m2, i2 = added_load_sf(veh[iv2, 0], veh[iv2, 1] * x[V_IZZ2], x[V_LOAD2])
            _crash_sf(B, A, geo_var[min(kv, n_var - 1)], shape, ip, ic, spd[ic, isa, isb, 0],
                      spd[ic, isa, isb, 1], veh, e_ax, mu_ax, load_ax, x[V_IZZ1], x[V_LOAD1],
                      m2, i2, rmod[0] + x[V_E_LO], rmod[1] + x[V_E_HI], rmod[2], x[V_FRICTION],
                      x[V_K1], x[V_K2], x[V_SEAT1X], x[V_SEAT1Y], x[V_SEAT2X], x[V_SEAT2Y],
                      space, x[V_SPACE1], rel_tol, curves, res, rk, cts)
            for isub in range(n_rows):
                h0 = isub * ngs
                vals[h0] = res[isub, G_OCC_MEAN]
                vals[h0 + 1] = res[isub, G_OCC_MAX]
                vals[h0 + 2] = res[isub, G_POCC_MEAN]
                vals[h0 + 3] = res[isub, G_SHARE_MEAN]
                vals[h0 + 4] = res[isub, G_CRUSH]
                for kc in range(n_curves):
                    vals[h0 + 5 + kc] = rk[isub, kc, 0]
                    vals[h0 + 5 + n_curves + kc] = rk[isub, kc, 1]
                if w > 0.0 and kcls >= 0 and res[isub, G_NOK] > 0:
                    acc[isub, kcls, ic, s, 0] += np.int64(math.floor(w * hscale[0]))
                    acc[isub, kcls, ic, s, 1] += np.int64(math.floor(w * vals[h0]
                                                                     * hscale[1]))
                    acc[isub, kcls, ic, s, 2] += np.int64(math.floor(w * vals[h0 + 4]
                                                                     * hscale[2]))
                    for kc in range(n_curves):
                        acc[isub, kcls, ic, s, 3 + kc] += np.int64(
                            math.floor(w * vals[h0 + 5 + kc] * hscale[3 + kc]))
            for i in range(n_subj):
                for r in range(n_ref):
                    h = hp0 + (i * n_ref + r) * nps
                    ref = vals[(n_subj + r) * ngs]
                    vals[h] = vals[i * ngs] / ref if ref > 0 else NAN
                    for kc in range(n_curves):
                        ref = vals[(n_subj + r) * ngs + 5 + kc]
                        vals[h + 1 + kc] = vals[i * ngs + 5 + kc] / ref if ref > 0 else NAN
            hist_fill_sf(vals, hc, hlo, hhi, hn, hmn, hmx)
        hist_finish_sf(qs, qv, hc, hlo, hhi, hn, hmn, hmx)
        for isub in range(n_rows):
            for k in range(ngs):
                for kq in range(nk):
                    bands_g[isub, c, k, kq] = qv[isub * ngs + k, kq]
        for i in range(n_subj):
            for r in range(n_ref):
                for k in range(nps):
                    for kq in range(nk):
                        bands_p[i, r, c, k, kq] = qv[hp0 + (i * n_ref + r) * nps + k, kq]


#: ``grid_chunk(start, j0, j1, shape, veh, geo, spd, e_ax, mu_ax, load_ax, rmod, rel_tol, curves,
#: out, status, idx)``; serial, releases the GIL (run ranges on threads).
grid_chunk = serial(_grid_chunk)
#: ``grid_summary(c0, c1, shape, veh, geo, ..., curves, space, stats, argmax, counts, worst,
#: risk)`` over crashes c0 .. c1 - 1 into full-size outputs (one row per group); serial,
#: releases the GIL.
grid_summary = serial(_grid_summary)
#: ``grid_mc(c0, c1, shape, veh, geo_var, spd, ..., curves, space, dist, seed, stream,
#: n_samples, n_subj, wts, cls, hscale, qs, bands_g, bands_p, acc, <histogram scratch>)``;
#: serial, releases the GIL.
grid_mc = serial(_grid_mc)

_F8_1 = "float64[::1]"
_F8_2 = "float64[:, ::1]"
#: Signatures of the two large helpers the summary and Monte Carlo kernels share.
_BLOCK_SIG = f"void({_F8_1}, int64, float64, float64, float64, float64, float64, float64)"
_CRASH_SIG = (f"void({_F8_1}, {_F8_2}, {_F8_2}, int64[::1], int64, int64, float64, float64, "
              f"{_F8_2}, {_F8_1}, {_F8_1}, {_F8_1}, " + ", ".join(["float64"] * 14)
              + f", {_F8_2}, float64, float64, {_F8_2}, {_F8_2}, float64[:, :, ::1], "
              "int64[:, ::1])")


def compile_helpers() -> None:
    """Compile (or load from numba's cache) the shared helpers bottom-up before a driver that
    calls them: compiled from inside the driver's own compilation, numba's IR inliner copies
    their bodies again, and a cold first run takes about 2 s longer on 2 cores."""
    _block_phase1.compile(_BLOCK_SIG)
    _crash_sf.compile(_CRASH_SIG)
