"""One impact from a geometry row: the per-case composition shared by collide(), the grid's case
kernel and its summary kernel.

A geometry row (``GEO_*`` columns, built once per run by :mod:`crashcompat.physics.geometry`)
holds, in the global frame of the impact: the lever arms r1, r2 (m), the impulse normal (degrees
and its cos, sin), the cos and sin of each vehicle's heading, the engaged stiffnesses k1, k2 (N/m),
each vehicle's driver and passenger seat positions relative to its CG, and the tangential model
(code and impulse ratio; the contact-plane angle is part of the normal). Friction comes from the
caller (the friction axis). Speeds are along each
vehicle's heading (m/s); initial yaw rates are zero.

:func:`impact_sf` runs the planar impulse (:mod:`.planar`) with the restitution of
:func:`.formulas.restitution_sf`; :func:`record_sf` derives every per-vehicle quantity from it with
the helpers of :mod:`.formulas`. Nothing here is written twice.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import scalar, serial
from crashcompat.kernels.formulas import (added_load_sf, ees_sf, energy_split_sf, pdof_sf,
                                          restitution_sf, risk_sf, seat_dv_sf,
                                          to_vehicle_frame_sf)
from crashcompat.kernels.planar import planar_model_sf
from crashcompat.kernels.status import RESULT_MASK

from crashcompat.kernels.layout import (GEO_CHP, GEO_CHS, GEO_K1, GEO_K2, GEO_NORMAL, GEO_NX,
                                        GEO_NY, GEO_PASS1X, GEO_PASS1Y, GEO_PASS2X, GEO_PASS2Y,
                                        GEO_R1X, GEO_R1Y, GEO_R2X, GEO_R2Y, GEO_SEAT1X,
                                        GEO_SEAT1Y, GEO_SEAT2X, GEO_SEAT2Y, GEO_SHP, GEO_SHS,
                                        GEO_RATIO, GEO_TMODEL, N_RECORD, R_V1, R_V2, V_FX, V_FY, V_OCC)

NAN = np.nan


@scalar
def closing_sf(geo, g, vs, vp):
    """Normal closing speed (m/s) of the contact points of geometry row ``g`` for the speeds
    ``vs``, ``vp`` along the headings (no initial yaw rates)."""
    return -((vs * geo[g, GEO_CHS] - vp * geo[g, GEO_CHP]) * geo[g, GEO_NX]
             + (vs * geo[g, GEO_SHS] - vp * geo[g, GEO_SHP]) * geo[g, GEO_NY])


@scalar
def impact_parts_sf(m1, i1, m2, i2, vs, vp, chs, shs, chp, shp, r1x, r1y, r2x, r2y, normal, e,
                    mu, model, ratio, rel_tol):
    """The planar impact of two vehicles moving at ``vs``, ``vp`` along their headings (cos,
    sin) = (chs, shs), (chp, shp), no initial yaw, lever arms r1, r2 and the impulse normal
    (degrees), with restitution ``e``, friction ``mu`` and the tangential model ``model`` with
    impulse ratio ``ratio``. Returns :func:`crashcompat.kernels.planar.planar_model_sf`'s
    tuple."""
    return planar_model_sf(m1, i1, vs * chs, vs * shs, 0.0, r1x, r1y, m2, i2, vp * chp,
                           vp * shp, 0.0, r2x, r2y, normal, e, mu, model, ratio, rel_tol)


@scalar
def impact_given_e_sf(geo, g, m1, i1, m2, i2, vs, vp, e, mu, rel_tol):
    """The planar impact of geometry row ``g`` of ``geo`` (rows are cases, GEO_* columns) with
    restitution ``e``, friction ``mu`` and the row's tangential model (:func:`impact_parts_sf`)."""
    return impact_parts_sf(m1, i1, m2, i2, vs, vp, geo[g, GEO_CHS], geo[g, GEO_SHS],
                           geo[g, GEO_CHP], geo[g, GEO_SHP], geo[g, GEO_R1X], geo[g, GEO_R1Y],
                           geo[g, GEO_R2X], geo[g, GEO_R2Y], geo[g, GEO_NORMAL], e, mu,
                           geo[g, GEO_TMODEL], geo[g, GEO_RATIO], rel_tol)


@scalar
def impact_sf(geo, g, m1, i1, m2, i2, vs, vp, e, mu, rmod, rel_tol):
    """The planar impact of geometry row ``g``; ``e`` NaN selects the speed-dependent
    restitution model ``rmod = (e_lo, e_hi, v_ref)`` at the normal closing speed.
    Returns ``(dv1x, dv1y, dv2x, dv2y, dw1, dw2, pn, pt, loss, e_used, vcn, status)``.
    """
    vcn = closing_sf(geo, g, vs, vp)
    e_used = restitution_sf(e, vcn, rmod[0], rmod[1], rmod[2])
    r = impact_given_e_sf(geo, g, m1, i1, m2, i2, vs, vp, e_used, mu, rel_tol)
    return r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], e_used, vcn, r[9]


@scalar
def vehicle_sf(c, s, m, dvx, dvy, dw, seat_x, seat_y, pass_x, pass_y, px, py, energy, ok):
    """Per-vehicle quantities in the vehicle's frame (heading (c, s)) from its CG velocity change
    (dvx, dvy), yaw-rate change dw, seat positions and the impulse (px, py) it receives."""
    lx, ly = to_vehicle_frame_sf(c, s, dvx, dvy)
    ox, oy = seat_dv_sf(dvx, dvy, dw, seat_x, seat_y)
    olx, oly = to_vehicle_frame_sf(c, s, ox, oy)
    qx, qy = seat_dv_sf(dvx, dvy, dw, pass_x, pass_y)
    qlx, qly = to_vehicle_frame_sf(c, s, qx, qy)
    fx, fy = to_vehicle_frame_sf(c, s, px, py)
    return (lx, ly, math.sqrt(lx * lx + ly * ly), olx, oly, math.sqrt(olx * olx + oly * oly),
            qlx, qly, math.sqrt(qlx * qlx + qly * qly), fx, fy,
            pdof_sf(fx, fy) if ok else NAN, energy, ees_sf(energy, m))


@scalar
def record_sf(geo, g, m1, m2, c):
    """Every per-case output for the impact ``c`` (the tuple of :func:`impact_sf`), as the flat
    tuple described by the ``R_*`` and ``V_*`` indices."""
    dv1x, dv1y, dv2x, dv2y, dw1, dw2, pn, pt, loss, e_used, vcn, status = c
    ok = RESULT_MASK[status] == 1
    e1, e2 = energy_split_sf(loss, geo[g, GEO_K1], geo[g, GEO_K2])
    px = dv1x * m1
    py = dv1y * m1
    a = vehicle_sf(geo[g, GEO_CHS], geo[g, GEO_SHS], m1, dv1x, dv1y, dw1, geo[g, GEO_SEAT1X],
                   geo[g, GEO_SEAT1Y], geo[g, GEO_PASS1X], geo[g, GEO_PASS1Y], px, py, e1, ok)
    b = vehicle_sf(geo[g, GEO_CHP], geo[g, GEO_SHP], m2, dv2x, dv2y, dw2, geo[g, GEO_SEAT2X],
                   geo[g, GEO_SEAT2Y], geo[g, GEO_PASS2X], geo[g, GEO_PASS2Y], -px, -py, e2, ok)
    return (dv1x, dv1y, dv2x, dv2y, dw1, dw2, pn, pt, loss, e_used if ok else NAN, vcn,
            1.0 * status) + a + b


def _collide_one(geo, m, izz, load, m2, i2, vs, vp, e, mu, rmod, rel_tol, curves, out, risk):
    # One case for collide(): geometry row 0 of ``geo``; ``out`` (N_RECORD,) and ``risk``
    # (n_curves, 2) receive the record and each curve's probability for the driver of each
    # vehicle. Serial and scalar: no thread pool is woken for one case.
    m1, i1 = added_load_sf(m, izz, load)
    c = impact_sf(geo, 0, m1, i1, m2, i2, vs, vp, e, mu, rmod, rel_tol)
    rec = record_sf(geo, 0, m1, m2, c)
    for k in range(N_RECORD):
        out[k] = rec[k]
    for k in range(curves.shape[0]):
        risk[k, 0] = risk_sf(curves, k, out[R_V1 + V_OCC], out[R_V1 + V_FX], out[R_V1 + V_FY])
        risk[k, 1] = risk_sf(curves, k, out[R_V2 + V_OCC], out[R_V2 + V_FX], out[R_V2 + V_FY])


#: ``collide_one(geo, m, izz, load, m2, i2, vs, vp, e, mu, rmod, rel_tol, curves, out, risk)``
collide_one = serial(_collide_one)
