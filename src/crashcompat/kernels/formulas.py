"""The physical formulas every path shares, written once as jitted scalar helpers.

``collide()``, the grid's per-case kernel, its summary kernel and the public array functions all
call these; nothing else in crashcompat writes them again (docs/architecture.md, "one owner per
formula"). Each is a plain function of SI floats. Sources are in docs/model.md.

- :func:`restitution_sf`: the speed-dependent restitution model, or a given number.
- :func:`added_load_sf`: mass and yaw inertia with a load added at the CG.
- :func:`seat_dv_sf`: velocity change at a seat, ``dv_cg + dw z x p``.
- :func:`energy_split_sf`, :func:`ees_sf`: the energy split by engaged stiffness and the
  energy-equivalent speed.
- :func:`to_vehicle_frame_sf`, :func:`pdof_sf`, :func:`clock_sf`: vehicle-frame components, PDOF
  and clock direction.
- :func:`sector_sf`, :func:`risk_sf`: the Malliaris side/rear sector rule and every risk curve.
- :func:`to_global_frame_sf`: vehicle-frame components back to the global frame.
- :func:`crush_demand_sf`: the crush a linear spring needs for an energy (intrusion indicator).
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import scalar, scalar_call
from crashcompat.units import MPS_TO_MPH

RAD2DEG = 180.0 / math.pi
NAN = np.nan

from crashcompat.kernels.layout import (CURVE_A0, CURVE_A1, CURVE_DVREF, CURVE_KIND,  # noqa: E402
                                        CURVE_POWER, CURVE_POWER_LAW, CURVE_REAR, CURVE_SIDE)


@scalar
def restitution_sf(e, vcn, e_lo, e_hi, v_ref):
    """Restitution for a normal closing speed ``vcn`` (m/s): ``e`` itself when it is a number,
    the speed-dependent model ``e_hi + (e_lo - e_hi) exp(-|vcn| / v_ref)`` clipped to [0, 1] when
    ``e`` is NaN (docs/model.md, restitution)."""
    if math.isnan(e):
        return min(max(e_hi + (e_lo - e_hi) * math.exp(-abs(vcn) / v_ref), 0.0), 1.0)
    return e


@scalar
def added_load_sf(m, izz, load):
    """Mass and yaw inertia with ``load`` kg added at the CG, at a constant radius of gyration
    (occupants and cargo sit near the CG in plan view: an assumption, docs/model.md)."""
    m1 = m + load
    return m1, izz * (m1 / m)


@scalar
def seat_dv_sf(dvx, dvy, dw, px, py):
    """Velocity change at a seat ``p = (px, py)`` from the CG (global frame): ``dv + dw z x p``."""
    return dvx - dw * py, dvy + dw * px


@scalar
def energy_share_sf(k1, k2):
    """Share of the dissipated energy each structure absorbs: two springs in series share one
    force, so the energy splits in inverse proportion to the engaged stiffness (CRASH3;
    docs/model.md)."""
    return k2 / (k1 + k2), k1 / (k1 + k2)


@scalar
def energy_split_sf(loss, k1, k2):
    """Energy absorbed by each structure (J), by :func:`energy_share_sf`."""
    s1, s2 = energy_share_sf(k1, k2)
    return loss * s1, loss * s2


@scalar
def ees_sf(energy, m):
    """Energy-equivalent speed ``sqrt(2 E / m)`` (m/s)."""
    return math.sqrt(2.0 * energy / m)


@scalar
def to_vehicle_frame_sf(c, s, x, y):
    """Components of a global vector along a vehicle's x (forward) and y (left) axes, for the
    heading (cos, sin) = (c, s)."""
    return c * x + s * y, -s * x + c * y


@scalar
def pdof_sf(fx, fy):
    """PDOF in degrees clockwise from forward, [0, 360): where the force ``(fx, fy)`` (vehicle
    frame) comes from (the reconstruction convention; 0 frontal, 90 right side)."""
    ang = -(math.atan2(fy, fx) * RAD2DEG + 180.0)
    ang = ang - 360.0 * math.floor(ang / 360.0)
    return ang if ang < 360.0 else ang - 360.0  # a tiny negative angle rounds up to 360


@scalar
def clock_sf(pdof):
    """Clock direction 1..12 of a PDOF in degrees (12 = frontal)."""
    c = math.floor(pdof / 30.0 + 0.5)
    c = c - 12.0 * math.floor(c / 12.0)
    return 12.0 if c == 0.0 else c


@scalar
def sector_sf(fx, fy):
    """Malliaris impact-direction indicators (side, rear) for a force ``(fx, fy)`` in the vehicle
    frame: side for a PDOF in 45-135 or 225-315 degrees, boundaries included, which is
    ``|fy| >= |fx|``; rear for a PDOF strictly between 135 and 225 degrees, a force pointing
    forward, ``fx > |fy|``; frontal otherwise."""
    side = 1.0 if abs(fy) >= abs(fx) else 0.0
    rear = 1.0 if fx > abs(fy) else 0.0
    return side, rear


@scalar_call
def risk_sf(curves, k, dv_mps, fx, fy):
    """Probability from curve row ``k`` of ``curves`` at a delta-v (m/s) for a force ``(fx, fy)``
    in the vehicle frame (only its direction matters): the Malliaris logistic with side and rear
    terms (a user logistic has zero terms), or Joksch's power law; clipped to [0, 1]."""
    if math.isnan(dv_mps):
        return NAN
    dv_mph = dv_mps * MPS_TO_MPH
    if curves[k, CURVE_KIND] == CURVE_POWER_LAW:
        x = max(dv_mph, 0.0) / curves[k, CURVE_DVREF]
        return min(x ** curves[k, CURVE_POWER], 1.0)
    side, rear = sector_sf(fx, fy)
    z = (curves[k, CURVE_A0] + curves[k, CURVE_A1] * dv_mph + curves[k, CURVE_SIDE] * side
         + curves[k, CURVE_REAR] * rear)
    return 1.0 / (1.0 + math.exp(-z))


@scalar
def force_from_pdof_sf(pdof):
    """A force direction ``(fx, fy)`` in the vehicle frame that has this PDOF (degrees), exact at
    multiples of 45 degrees so that :func:`sector_sf`'s boundaries hold for PDOF input."""
    p = pdof - 360.0 * math.floor(pdof / 360.0)
    q = p / 45.0
    if q == math.floor(q):  # a multiple of 45 degrees: exact unit components
        j = int(q) % 8
        # PDOF 0 (frontal) is a force pointing backwards: (-1, 0); 90 (right side): (0, 1)
        fx = (-1.0, -1.0, 0.0, 1.0, 1.0, 1.0, 0.0, -1.0)[j]
        fy = (0.0, 1.0, 1.0, 1.0, 0.0, -1.0, -1.0, -1.0)[j]
        return fx, fy
    a = (-p - 180.0) / RAD2DEG
    return math.cos(a), math.sin(a)


@scalar
def to_global_frame_sf(c, s, x, y):
    """Global components of a vector given along a vehicle's x (forward) and y (left) axes, for
    the heading (cos, sin) = (c, s): the inverse of :func:`to_vehicle_frame_sf`."""
    return c * x - s * y, s * x + c * y


@scalar
def crush_demand_sf(energy, k):
    """Crush (m) a linear spring of stiffness ``k`` (N/m) needs to absorb ``energy`` (J):
    ``C = sqrt(2 E / k)``, from ``E = k C^2 / 2``. Compared with the crush space it is an
    intrusion indicator, not a prediction (docs/model.md, energy split and crush)."""
    return math.sqrt(2.0 * energy / k)
