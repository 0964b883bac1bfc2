"""Planar rigid-body impulse-momentum impact with yaw (docs/model.md, Planar impact).

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
Coulomb sliding: the contact slides when the sticking impulse is outside the friction cone,
``|Pt_s| > mu*Pn_s`` with ``Pn_s`` signed (a tensile sticking solution always slides), with
friction opposing the initial slip, ``s = -sign(w_t)``: ``Pt = s*mu*Pn``,
``Pn = -(1+e)*w_n/(An - s*mu*B)``. Where the sticking impulse points along the slip, the slip
stops during contact: the impulse is then integrated in two phases (Routh), sliding until the
slip stops, then sticking or sliding the other way, and the case is flagged ``ok-slip-reversal``.
If the impulse would gain energy or a sliding denominator is not positive, the frictionless
impulse ``Pt = 0, Pn = -(1+e)*w_n/An`` is used and the case is flagged
(``fallback-frictionless``). Every choice is made with selects, not branches, so LLVM can
vectorise the loop.

Tangential models (docs/model.md, Partial impacts), chosen per case by a code
(:data:`crashcompat.kernels.layout.TM_NAMES`):

0. ``common-velocity``: the model above (sticking unless outside the friction cone, Coulomb
   sliding with slip reversal).
1. ``impulse-ratio`` (Brach): ``Pt = k*Pn`` with ``|k|`` the given ratio, opposing the initial
   slip, clipped at the critical ratio ``Pt_s/Pn_s`` so that the tangential relative velocity
   does not overshoot zero (clipped, the result is the sticking impulse). Restitution as above.
2. ``sliding``: Coulomb friction against the initial slip throughout, ``Pt = s*mu*Pn``, whatever
   the sticking impulse; if the slip stops before the impact ends, Routh's second phase (stick,
   or slide the other way). It is Routh's process for Coulomb friction with kinematic
   restitution, and differs from common velocity only where the contact cannot stay stuck once
   the slip has stopped (``|B| > mu*At``). The contact plane (the normal ``theta``) is the
   user's: a partial impact is modelled by turning it (:mod:`crashcompat.physics.geometry`).

Status codes as in :mod:`crashcompat.kernels.status`.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import at, parallel, prange, scalar, serial
from crashcompat.kernels._trig import cos_sin_deg_sf
from crashcompat.kernels.status import (FALLBACK_FRICTIONLESS, INVALID_INPUT, NO_CONTACT,
                                        OK_SLIDING, OK_SLIP_REVERSAL, OK_STICKING)

NAN = np.nan


@scalar
def planar_sf(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, theta_deg, e, mu,
              rel_tol):
    """One case with the common-velocity tangential model (:func:`planar_model_sf` with model
    ``TM_COMMON_VELOCITY``): returns its tuple."""
    return planar_model_sf(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y,
                           theta_deg, e, mu, 0.0, 0.0, rel_tol)


@scalar
def planar_model_sf(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, theta_deg,
                    e, mu, model, ratio, rel_tol):
    """One case, without branches (every quantity is computed, then selected).

    ``model`` is the tangential model's code (:data:`crashcompat.kernels.layout.TM_NAMES`): 0
    common velocity (sticking unless outside the friction cone ``mu``), 1 impulse ratio
    (``Pt = k Pn``, ``|k| = ratio`` opposing the initial slip, clipped at Brach's critical ratio),
    2 sliding (Coulomb ``Pt = s mu Pn`` until the slip stops, then Routh's second phase).
    ``ratio`` (>= 0) is read by model 1 only.

    Returns ``(dv1x, dv1y, dv2x, dv2y, dw1, dw2, pn, pt, energy_loss, status)``. ``rel_tol`` is
    the relative tolerance on the energy balance below which a tiny negative loss is taken as
    rounding rather than energy gain.
    """
    # invalid input: the sum of all inputs is finite only if every one is (no overflow at the
    # magnitudes of this domain; an overflowing sum is invalid input too)
    total = (m1 + i1 + v1x + v1y + w1 + r1x + r1y + m2 + i2 + v2x + v2y + w2 + r2x + r2y
             + theta_deg + e + mu + model + ratio)
    valid = ((abs(total) < math.inf) & (m1 > 0.0) & (m2 > 0.0) & (i1 > 0.0) & (i2 > 0.0)
             & (e >= 0.0) & (e <= 1.0) & (mu >= 0.0) & (ratio >= 0.0)
             & ((model == 0.0) | (model == 1.0) | (model == 2.0)))
    is_ratio = model == 1.0
    is_slide = model == 2.0
    nx, ny = cos_sin_deg_sf(theta_deg)
    tx = ny
    ty = -nx

    # contact-point velocities u = v + w z x r, z x r = (-r_y, r_x)
    wx = (v1x - w1 * r1y) - (v2x - w2 * r2y)
    wy = (v1y + w1 * r1x) - (v2y + w2 * r2x)
    wn = wx * nx + wy * ny
    wt = wx * tx + wy * ty
    contact = wn < 0.0

    r1n = r1x * nx + r1y * ny
    r1t = r1x * tx + r1y * ty
    r2n = r2x * nx + r2y * ny
    r2t = r2x * tx + r2y * ty
    inv_m = 1.0 / m1 + 1.0 / m2
    ii1 = 1.0 / i1
    ii2 = 1.0 / i2
    an = inv_m + r1t * r1t * ii1 + r2t * r2t * ii2
    at = inv_m + r1n * r1n * ii1 + r2n * r2n * ii2
    b = r1t * r1n * ii1 + r2t * r2n * ii2
    ep = 1.0 + e

    # sticking: An*Pn - B*Pt = -(1+e) wn ; -B*Pn + At*Pt = -wt
    inv_det = 1.0 / (an * at - b * b)
    pn_stick = (-ep * wn * at - b * wt) * inv_det
    pt_stick = (-an * wt - ep * b * wn) * inv_det

    # Coulomb sliding (docs/model.md, planar impact, step 5): the contact slides when the
    # sticking impulse lies outside the friction cone, with Pn signed, so a tensile sticking
    # solution (Pn <= 0) always slides; friction opposes the initial slip, s = -sign(w_t) (with
    # no initial slip, the direction the sticking impulse needs).
    # A slip speed below rel_tol * |w_n| is rounding (e.g. a central impact), not slip.
    slipping = abs(wt) > rel_tol * abs(wn)
    slide = (pn_stick <= 0.0) | (abs(pt_stick) > mu * pn_stick)
    sw = math.copysign(1.0, wt)
    s = -sw if slipping else math.copysign(1.0, pt_stick)
    a1 = an - s * mu * b  # d(w_n)/dPn while sliding with friction s * mu
    b1 = s * mu * at - b  # d(w_t)/dPn while sliding
    dn = -ep * wn  # the change of normal velocity the restitution law asks for (> 0)
    pn_slide = dn / a1
    # Slip reversal: the sticking impulse points along the slip (strong rotational coupling),
    # so the slip stops after the normal impulse p_star = -w_t / b1. If the impact is not over
    # by then, the contact sticks (|B| <= mu At: dPt/dPn = B/At keeps w_t = 0) or slides the
    # other way (dPt/dPn = mu sign(B)); restitution still sets the total normal impulse
    # (Routh's graphical method with kinematic restitution).
    reverse = slide & (mu > 0.0) & slipping & (math.copysign(1.0, pt_stick) == sw)
    p_star = -wt / b1
    phase2 = reverse & (p_star > 0.0) & (a1 * p_star < dn)
    r2 = b / at if abs(b) <= mu * at else mu * math.copysign(1.0, b)
    a2 = an - b * r2
    pn_rev = p_star + (dn - a1 * p_star) / a2
    pt_rev = s * mu * p_star + r2 * (pn_rev - p_star)

    # Common velocity (model 0) and sliding (model 2) share one selection: sliding is Coulomb
    # friction against the initial slip whatever the sticking impulse, until the slip stops
    # (p_star inside the impact), then Routh's second phase; with no initial slip Routh's
    # process starts in that second phase, which is the common-velocity result, so that result
    # is kept. The flags are combined with bitwise operators before one chain of selects (a
    # second chain of selects per model stops LLVM from vectorising the loop).
    slide_on = is_slide & slipping
    phase2_sl = (mu > 0.0) & (p_star > 0.0) & (a1 * p_star < dn)
    use_rev = (slide_on & phase2_sl) | (~slide_on & phase2)
    use_slide = slide_on | slide
    pn_cv = pn_rev if use_rev else (pn_slide if use_slide else pn_stick)
    pt_cv = pt_rev if use_rev else (s * mu * pn_slide if use_slide else pt_stick)
    sing_cv = use_slide & ((a1 <= 0.0) | (use_rev & (a2 <= 0.0)))
    code_cv = OK_SLIP_REVERSAL if use_rev else (OK_SLIDING if use_slide else OK_STICKING)
    # impulse ratio (model 1, Brach): Pt = k Pn with |k| = ratio opposing the initial slip,
    # clipped at the critical ratio Pt_s / Pn_s (the sticking impulse's), beyond which the
    # tangential relative velocity would overshoot zero. d(w_t') / dk > 0 while the normal
    # impulse is compressive, so along s the clip is min(ratio, s Pt_s / Pn_s); a tensile
    # sticking solution has no critical ratio. Clipped, the result is the sticking impulse.
    clipped = (pn_stick > 0.0) & (s * pt_stick < ratio * pn_stick)
    k_ir = s * ratio
    a_ir = an - b * k_ir
    pn_ir = pn_stick if clipped else dn / a_ir
    pt_ir = pt_stick if clipped else k_ir * pn_ir
    sing_ir = (~clipped) & (a_ir <= 0.0)
    code_ir = OK_STICKING if clipped else OK_SLIDING

    pn = pn_ir if is_ratio else pn_cv
    pt = pt_ir if is_ratio else pt_cv
    # booleans combined bitwise: a select between them stops LLVM from vectorising the loop
    singular = (is_ratio & sing_ir) | (~is_ratio & sing_cv)
    # dw_n = An*Pn - B*Pt, dw_t = At*Pt - B*Pn; loss = -0.5 P.(w + w')
    dwn = an * pn - b * pt
    dwt = at * pt - b * pn
    loss = -0.5 * (pn * (2.0 * wn + dwn) + pt * (2.0 * wt + dwt))
    scale = 0.5 * (abs(pn * wn) + abs(pt * wt))
    bad = singular | (pn <= 0.0) | (loss < -rel_tol * scale)
    pn_ff = -ep * wn / an
    loss_ff = 0.5 * (1.0 - e * e) * wn * wn / an
    pn = pn_ff if bad else pn
    pt = 0.0 if bad else pt
    loss = loss_ff if bad else max(loss, 0.0)

    px = pt * tx + pn * nx
    py = pt * ty + pn * ny
    ok = valid & contact
    nan = NAN
    code = code_ir if is_ratio else code_cv
    code = FALLBACK_FRICTIONLESS if bad else code
    code = code if contact else NO_CONTACT
    code = code if valid else INVALID_INPUT
    return (
        px / m1 if ok else nan,
        py / m1 if ok else nan,
        -px / m2 if ok else nan,
        -py / m2 if ok else nan,
        (r1x * py - r1y * px) * ii1 if ok else nan,
        -(r2x * py - r2y * px) * ii2 if ok else nan,
        pn if ok else nan,
        pt if ok else nan,
        loss if ok else nan,
        np.int8(code),
    )


def _planar_loop(x, rel_tol, y, status):
    # x: (17, n) inputs in the order of planar_sf's arguments; y: (9, n) outputs; status: (n,).
    # Two 2-D arrays instead of 26 separate ones keep LLVM's runtime alias checks few enough
    # for the loop to be vectorised (the benchmarks' packed-kernel figure).
    for i in prange(x.shape[1]):
        r = planar_sf(x[0, i], x[1, i], x[2, i], x[3, i], x[4, i], x[5, i], x[6, i], x[7, i],
                      x[8, i], x[9, i], x[10, i], x[11, i], x[12, i], x[13, i], x[14, i],
                      x[15, i], x[16, i], rel_tol)
        _store(y, status, i, r)


@scalar
def _store(y, status, i, r):
    y[0, i] = r[0]
    y[1, i] = r[1]
    y[2, i] = r[2]
    y[3, i] = r[3]
    y[4, i] = r[4]
    y[5, i] = r[5]
    y[6, i] = r[6]
    y[7, i] = r[7]
    y[8, i] = r[8]
    status[i] = r[9]


def _planar_mixed(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, th, e, mu,
                  model, ratio, rel_tol, y, status):
    # Each of the 19 inputs is a float64 scalar or a 1-D array of length n (the broadcast size);
    # y (9, n), status (n,). One compiled specialisation per mix of scalars and arrays (see
    # _jit.at): no packed copy of the inputs, scalars stay in registers.
    for j in prange(y.shape[1]):
        r = planar_model_sf(at(m1, j), at(i1, j), at(v1x, j), at(v1y, j), at(w1, j), at(r1x, j),
                            at(r1y, j), at(m2, j), at(i2, j), at(v2x, j), at(v2y, j), at(w2, j),
                            at(r2x, j), at(r2y, j), at(th, j), at(e, j), at(mu, j),
                            at(model, j), at(ratio, j), rel_tol)
        _store(y, status, j, r)


def _planar_one(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, th, e, mu,
                model, ratio, rel_tol):
    return planar_model_sf(m1, i1, v1x, v1y, w1, r1x, r1y, m2, i2, v2x, v2y, w2, r2x, r2y, th, e,
                           mu, model, ratio, rel_tol)


#: Number of inputs of the packed drivers (common-velocity model) and of the model drivers, and
#: of float outputs per case.
N_IN = 17
N_IN_MODEL = 19
N_OUT = 9
#: Parallel driver over packed inputs, common-velocity model: ``planar_grid(x, rel_tol, y,
#: status)`` with x (17, n), y (9, n), status (n,).
planar_grid = parallel(_planar_loop)
#: Serial driver with the same signature.
planar_serial = serial(_planar_loop)
#: Drivers over separate inputs (planar_model_sf's 19, then rel_tol, y, status), each a scalar
#: or a 1-D array (see ``_planar_mixed``): parallel for large inputs, serial for small ones (no
#: thread pool woken).
planar_mixed = parallel(_planar_mixed)
planar_mixed_serial = serial(_planar_mixed)
#: One case from scalars (planar_model_sf's arguments), returns its tuple (the per-call path of
#: the API).
planar_one = serial(_planar_one)
