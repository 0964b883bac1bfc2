"""Longitudinal performance: road load, power- and traction-limited acceleration, sustained speed.

The one owner of the performance formulas (docs/performance.md has the sources). A vehicle is a
row of :data:`N_PARAMS` SI floats (column indices ``P_*`` below); the road grade is ``rise / run``
(``0.05`` for 5 %), the slope angle ``theta = atan(grade)``.

- Road load (Gillespie 1992, ch. 2; Wong 2001, ch. 3):
  ``F_road(v) = m g (Crr cos(theta) + sin(theta)) + 0.5 rho CdA v^2 = a0 + a2 v^2``.
- Tractive force: power-limited ``eta P / v`` (constant power, a simplification) and bounded by
  the traction limit of the driven axle ``F_trac = mu m g cos(theta) f_drive`` (static load share).
- Acceleration, the lesser of the traction- and the power-limited one:
  ``a(v) = min((F_trac - F_road) / m, (eta P / v - F_road) / (m (1 + delta)))``. ``delta`` is the
  rotating-mass factor (Wong's mass factor minus one); it belongs to the power-limited case only:
  at the grip limit the tyre force is fixed by friction and the engine's spare torque, not the
  tyre force, spins up the rotating parts.
- Sustained speed: the speed where ``a(v) = 0``. In the power-limited range it is the positive
  root of the cubic ``a2 v^3 + a0 v - eta P = 0``, solved in closed form (trigonometric /
  hyperbolic form of Cardano's solution); where traction binds it is
  ``sqrt((F_trac - a0) / a2)``; the speed cap (limiter) bounds both.
- Acceleration time ``t = int dv / a(v)`` and distance ``x = int v dv / a(v)`` by composite
  3-point Gauss-Legendre quadrature (order 6: halving the step divides the error by 64 on a
  smooth integrand), with a fixed step in ``u = -ln|v - v_eq|`` (``v_eq`` the speed where
  ``a = 0``): ``1 / a`` has a logarithmic singularity at ``v_eq``, the integrand in ``u`` does
  not, so runs that end close to the sustained speed keep the same accuracy. ``a(v)`` has a kink
  wherever traction hands over to power (or back): where ``eta P / v = (1 + delta) F_trac -
  delta F_road(v)``, a depressed cubic with none or two positive roots (:func:`handover_speeds_sf`);
  the interval is split there so that each panel sees a smooth integrand.

Status codes (``crashcompat.kernels.status``): 0 ok, ``INVALID_INPUT`` for bad inputs, and
:data:`UNREACHABLE` where the vehicle cannot reach or hold the speed on that grade (the speed is at
or above what it can sustain, above its speed cap, or traction cannot hold it on the grade). Every
NaN output has a nonzero status.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels import status as _status
from crashcompat.kernels._jit import parallel, prange, scalar, scalar_call, serial

NAN = np.nan
INF = np.inf

OK = 0
INVALID = _status.INVALID_INPUT
#: The vehicle cannot reach or hold the requested speed on that grade (status table code
#: ``SPEED_UNREACHABLE``).
UNREACHABLE = _status.SPEED_UNREACHABLE

#: Parameter-row columns (SI). ``P_VCAP`` is the speed cap (limiter), ``inf`` for none.
P_MASS = 0          # kg, mass as driven (curb + load)
P_POWER = 1         # W, rated power
P_ETA = 2           # drivetrain efficiency, (0, 1]
P_CDA = 3           # m^2, drag area Cd * A
P_CRR = 4           # rolling-resistance coefficient
P_MU = 5            # tyre-road friction coefficient (traction limit)
P_FDRIVE = 6        # share of the weight on the driven wheels, (0, 1]
P_DELTA = 7         # rotating-mass factor (effective mass m (1 + delta))
P_RHO = 8           # kg/m^3, air density
P_G = 9             # m/s^2, gravitational acceleration
P_VCAP = 10         # m/s, speed cap; inf for none
N_PARAMS = 11

# 3-point Gauss-Legendre rule on [-1, 1]: nodes 0, +-sqrt(3/5); weights 8/9, 5/9
GL3_X = math.sqrt(0.6)
GL3_W0 = 8.0 / 9.0
GL3_W1 = 5.0 / 9.0

#: Integrand selectors for :func:`integral_sf`.
TIME = 0
DISTANCE = 1


# --- the formulas ------------------------------------------------------------------------------

@scalar
def slope_sf(grade):
    """``(sin(theta), cos(theta))`` of a grade ``rise / run``, ``theta = atan(grade)``."""
    h = math.sqrt(1.0 + grade * grade)
    return grade / h, 1.0 / h


@scalar
def road_load_coeffs_sf(m, g, crr, sin_t, cos_t, rho, cda):
    """Road-load coefficients ``(a0, a2)`` with ``F_road(v) = a0 + a2 v^2`` (N, N s^2/m^2):
    ``a0 = m g (Crr cos(theta) + sin(theta))`` (rolling resistance and grade),
    ``a2 = 0.5 rho CdA`` (aerodynamic drag)."""
    return m * g * (crr * cos_t + sin_t), 0.5 * rho * cda


@scalar
def road_load_sf(a0, a2, v):
    """Road load ``a0 + a2 v^2`` (N) at speed ``v`` (m/s)."""
    return a0 + a2 * v * v


@scalar
def traction_limit_sf(mu, m, g, cos_t, f_drive):
    """Largest tractive force the driven wheels can carry, ``mu m g cos(theta) f_drive`` (N)."""
    return mu * m * g * cos_t * f_drive


@scalar
def accel_sf(p, f_trac, m, m_eff, a0, a2, v):
    """Acceleration (m/s^2) at speed ``v`` for wheel power ``p = eta P`` (W): the lesser of the
    traction-limited ``(f_trac - F_road) / m`` and the power-limited
    ``(p / v - F_road) / m_eff``, ``m_eff = m (1 + delta)``; traction-limited at rest."""
    road = road_load_sf(a0, a2, v)
    a_trac = (f_trac - road) / m
    if v <= 0.0:
        return a_trac
    return min(a_trac, (p / v - road) / m_eff)


@scalar
def power_limited_speed_sf(p, a0, a2):
    """The positive root of ``a2 v^3 + a0 v - p = 0`` (m/s), the speed where wheel power ``p``
    balances the road load, in closed form.

    With ``P = a0 / a2`` and ``Q = -p / a2`` the depressed cubic is ``v^3 + P v + Q = 0``
    (``Q <= 0``). For ``P > 0`` it has one real root, ``-2 r sinh(asinh(3Q / (2 P r)) / 3)`` with
    ``r = sqrt(P / 3)``; for ``P < 0`` (downhill steeper than the rolling resistance) the largest
    root is ``2 r cos(acos(z) / 3)`` when ``z = 3Q / (2 P r) <= 1`` (three real roots) and
    ``2 r cosh(acosh(z) / 3)`` otherwise, ``r = sqrt(-P / 3)`` (the trigonometric and hyperbolic
    forms of Cardano's solution, free of its cancellation). Without drag (``a2 = 0``) the speed is
    ``p / a0``, or unbounded when nothing opposes the motion.
    """
    if a2 == 0.0:
        if a0 > 0.0:
            return p / a0
        return INF
    pp = a0 / a2
    q = -p / a2
    if pp == 0.0:
        return (-q) ** (1.0 / 3.0)
    if pp > 0.0:
        r = math.sqrt(pp / 3.0)
        return -2.0 * r * math.sinh(math.asinh(1.5 * q / (pp * r)) / 3.0)
    r = math.sqrt(-pp / 3.0)
    z = 1.5 * q / (pp * r)
    if z <= 1.0:
        return 2.0 * r * math.cos(math.acos(z) / 3.0)
    return 2.0 * r * math.cosh(math.acosh(z) / 3.0)


@scalar
def traction_limited_speed_sf(f_trac, a0, a2):
    """Highest speed at which the traction limit still exceeds the road load,
    ``sqrt((f_trac - a0) / a2)`` (m/s); 0 when traction cannot overcome grade and rolling
    resistance at all, unbounded without drag."""
    if f_trac <= a0:
        return 0.0
    if a2 == 0.0:
        return INF
    return math.sqrt((f_trac - a0) / a2)


@scalar
def handover_speeds_sf(p, f_trac, m, m_eff, a0, a2):
    """The speeds (m/s) where traction- and power-limited acceleration are equal, ``(v1, v2)``
    with ``v1 <= v2``, ``inf`` for a speed that does not exist. Below ``v1`` (and above ``v2``)
    traction limits, between them power. Equal accelerations means
    ``p / v = g F_trac - (g - 1) F_road(v)``, ``g = m_eff / m``, i.e. the depressed cubic
    ``(g - 1) a2 v^3 - (g F_trac - (g - 1) a0) v + p = 0``, solved by the trigonometric form when
    it has two positive roots (none otherwise: traction limits at every speed)."""
    gam = m_eff / m
    dg = gam - 1.0
    b = gam * f_trac - dg * a0
    if not b > 0.0:
        return INF, INF
    if dg <= 1e-9 or a2 == 0.0:
        # no (or a negligible) mass factor, or no drag: the hand-over is where
        # p / v = g F_trac - (g - 1) a0; the second root lies beyond any speed (as 1 / sqrt(dg))
        return p / b, INF
    pp = -b / (dg * a2)           # v^3 + pp v + q = 0, pp < 0 < q
    q = p / (dg * a2)
    r = math.sqrt(-pp / 3.0)
    z = 1.5 * q / (pp * r)        # in [-1, 0) when there are three real roots
    if z < -1.0:
        return INF, INF
    th = math.acos(z) / 3.0
    t_hi = 2.0 * r * math.cos(th)                         # the larger positive root
    t_neg = 2.0 * r * math.cos(th + 2.0 * math.pi / 3.0)  # the negative one
    # the smaller positive root from the product of the roots, -q: the cosine form loses
    # digits to cancellation when dg is small
    return -q / (t_hi * t_neg), t_hi


@scalar
def equilibrium_speed_sf(p, f_trac, a0, a2):
    """The speed where the acceleration falls to zero, without a speed cap (m/s): the lower of the
    power-limited and the traction-limited speeds (``a(v)`` decreases with ``v``, so below this
    speed the vehicle accelerates and above it it slows)."""
    return min(power_limited_speed_sf(p, a0, a2), traction_limited_speed_sf(f_trac, a0, a2))


@scalar
def valid_params_sf(m, power, eta, cda, crr, mu, f_drive, delta, rho, g, vcap):
    """True for a physically meaningful parameter row (``vcap`` may be infinite)."""
    finite = abs(m + power + eta + cda + crr + mu + f_drive + delta + rho + g) < INF
    return (finite and m > 0.0 and power >= 0.0 and eta > 0.0 and eta <= 1.0 and cda >= 0.0
            and crr >= 0.0 and mu > 0.0 and f_drive > 0.0 and f_drive <= 1.0 and delta >= 0.0
            and rho > 0.0 and g > 0.0 and vcap > 0.0 and not math.isnan(vcap))


@scalar
def vehicle_on_grade_sf(params, i, grade):
    """The quantities every performance formula needs for vehicle row ``i`` on ``grade``:
    ``(valid, p, f_trac, m, m_eff, a0, a2, vcap)`` with ``p = eta P`` the wheel power."""
    m = params[i, P_MASS]
    power = params[i, P_POWER]
    eta = params[i, P_ETA]
    cda = params[i, P_CDA]
    crr = params[i, P_CRR]
    mu = params[i, P_MU]
    f_drive = params[i, P_FDRIVE]
    delta = params[i, P_DELTA]
    rho = params[i, P_RHO]
    g = params[i, P_G]
    vcap = params[i, P_VCAP]
    valid = valid_params_sf(m, power, eta, cda, crr, mu, f_drive, delta, rho, g, vcap) and (
        abs(grade) < INF)
    sin_t, cos_t = slope_sf(grade)
    a0, a2 = road_load_coeffs_sf(m, g, crr, sin_t, cos_t, rho, cda)
    f_trac = traction_limit_sf(mu, m, g, cos_t, f_drive)
    return valid, eta * power, f_trac, m, m * (1.0 + delta), a0, a2, vcap


@scalar
def sustained_speed_sf(p, f_trac, a0, a2, vcap):
    """Sustained speed on the grade (m/s) and status: the equilibrium speed capped by ``vcap``;
    NaN with :data:`UNREACHABLE` where the vehicle cannot hold any speed (traction or power below
    grade and rolling resistance)."""
    v = equilibrium_speed_sf(p, f_trac, a0, a2)
    if not v > 0.0:
        return NAN, UNREACHABLE
    return min(v, vcap), OK


@scalar_call
def _panels_sf(p, f_trac, m, m_eff, a0, a2, v_eq, va, vb, n, what):
    # composite 3-point Gauss-Legendre rule from va to vb for the integrand 1 / a(v)
    # (what == TIME) or v / a(v) (what == DISTANCE), a smooth and of one sign there. With a
    # finite equilibrium speed v_eq the variable is u = -ln|v - v_eq|: near v_eq, a(v) is close
    # to a'(v_eq) (v - v_eq), so the integrand in u, f(v) |v - v_eq|, stays smooth and bounded
    # where f itself has a logarithmic singularity; far from v_eq it is a smooth change of
    # variable. Without one (no drag, nothing opposing) the variable is v itself.
    mapped = v_eq < INF
    if mapped:
        sigma = 1.0 if va > v_eq else -1.0
        ua = -math.log(abs(va - v_eq))
        ub = -math.log(abs(vb - v_eq))
    else:
        sigma = 0.0
        ua = va
        ub = vb
    h = (ub - ua) / n
    d = 0.5 * h * GL3_X
    s = 0.0
    for k in range(n):
        um = ua + (k + 0.5) * h
        for node in range(3):
            if node == 0:
                u = um
                w = GL3_W0
            elif node == 1:
                u = um - d
                w = GL3_W1
            else:
                u = um + d
                w = GL3_W1
            if mapped:
                dist = math.exp(-u)            # |v - v_eq|
                v = v_eq + sigma * dist
                jac = -sigma * dist            # dv/du
            else:
                v = u
                jac = 1.0
            f = jac / accel_sf(p, f_trac, m, m_eff, a0, a2, v)
            if what == DISTANCE:
                f *= v
            s += w * f
    return 0.5 * h * s


@scalar_call
def integral_sf(p, f_trac, m, m_eff, a0, a2, v_eq, va, vb, n, what):
    """Time (``what == TIME``, s) or distance (``DISTANCE``, m) to change speed from ``va`` to
    ``vb`` (m/s), ``int dv / a`` or ``int v dv / a``: ``n`` Gauss-Legendre panels on each piece
    between the traction/power hand-over speeds (:func:`handover_speeds_sf`), uniform in
    ``u = -ln|v - v_eq|`` (``v_eq`` the equilibrium speed, :func:`equilibrium_speed_sf`). Both
    ends must lie on one side of ``v_eq`` and differ from it (the callers make sure of it)."""
    k1, k2 = handover_speeds_sf(p, f_trac, m, m_eff, a0, a2)
    lo = min(va, vb)
    hi = max(va, vb)
    sgn = 1.0 if vb >= va else -1.0
    # the pieces in the direction of travel: lo .. k1 .. k2 .. hi, keeping the kinks inside
    c1 = k1 if lo < k1 < hi else NAN
    c2 = k2 if lo < k2 < hi else NAN
    total = 0.0
    start = va
    for k in range(3):
        if k == 0:
            stop = c1 if sgn > 0.0 else c2
        elif k == 1:
            stop = c2 if sgn > 0.0 else c1
        else:
            stop = vb
        if math.isnan(stop):
            continue
        total += _panels_sf(p, f_trac, m, m_eff, a0, a2, v_eq, start, stop, n, what)
        start = stop
    return total


@scalar_call
def speed_at_distance_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, v_end, x_target, n, tol):
    """The speed between ``v0`` and ``v_end`` (m/s) at which the distance covered from ``v0``
    reaches ``x_target`` (m), by bisection on ``x(v)`` (monotone in ``|v - v0|``) until the
    bracket is below ``tol`` m/s. ``v_end`` may be the equilibrium speed itself, which the vehicle
    only approaches (the distance to it is unbounded)."""
    lo = v0
    hi = v_end
    for _ in range(200):
        if abs(hi - lo) <= tol:
            break
        mid = 0.5 * (lo + hi)
        if integral_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, mid, n, DISTANCE) < x_target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@scalar_call
def accel_time_sf(p, f_trac, m, m_eff, a0, a2, vcap, v0, v1, rollout, n, tol):
    """Time (s) to accelerate from ``v0`` to ``v1`` (m/s), and status.

    With ``rollout > 0`` (m) the clock starts once the vehicle has covered that distance (US test
    practice excludes the first foot, 0.3048 m; docs/performance.md). NaN with
    :data:`UNREACHABLE` when ``v1`` is at or above the equilibrium speed or above the cap;
    ``INVALID_INPUT`` for ``v1 < v0``, a negative speed or rollout, or ``n < 1``.
    """
    if not (v0 >= 0.0 and v1 >= v0 and v1 < INF and rollout >= 0.0 and rollout < INF
            and n >= 1 and tol > 0.0):
        return NAN, INVALID
    v_eq = equilibrium_speed_sf(p, f_trac, a0, a2)
    if not (v1 < v_eq and v1 <= vcap):
        return NAN, UNREACHABLE
    if v1 == v0:
        return 0.0, OK
    t = integral_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, v1, n, TIME)
    if rollout > 0.0:
        if integral_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, v1, n, DISTANCE) <= rollout:
            return 0.0, OK
        vr = speed_at_distance_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, v1, rollout, n, tol)
        t -= integral_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, vr, n, TIME)
    return t, OK


@scalar_call
def speed_after_distance_sf(p, f_trac, m, m_eff, a0, a2, vcap, v0, x, n, tol):
    """Speed (m/s) after driving ``x`` m at full power from ``v0``, and status: the vehicle
    accelerates towards (or, above it, slows to) its equilibrium speed, and holds its cap once it
    reaches it. NaN with :data:`UNREACHABLE` where it cannot hold any speed on the grade;
    ``INVALID_INPUT`` for a negative speed or distance, ``v0`` above the cap, or a vehicle with
    neither drag nor a cap (no speed bounds it)."""
    if not (v0 >= 0.0 and v0 < INF and x >= 0.0 and x < INF and v0 <= vcap and n >= 1
            and tol > 0.0):
        return NAN, INVALID
    v_eq = equilibrium_speed_sf(p, f_trac, a0, a2)
    if not v_eq > 0.0:
        return NAN, UNREACHABLE
    if not min(v_eq, vcap) < INF:
        return NAN, INVALID
    if x == 0.0 or v0 == v_eq:
        return v0, OK
    if v0 < v_eq and vcap < v_eq:
        if v0 == vcap or integral_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, vcap, n,
                                     DISTANCE) <= x:
            return vcap, OK
        return speed_at_distance_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, vcap, x, n, tol), OK
    return speed_at_distance_sf(p, f_trac, m, m_eff, a0, a2, v_eq, v0, v_eq, x, n, tol), OK


# --- drivers -------------------------------------------------------------------------------------
# params: (n_vehicles, N_PARAMS); grades: (n_grades,). Each prange iteration writes its own cell.

@scalar
def cell_sf(c, ng, nk):
    """(vehicle, grade, pair) indices of flat cell ``c`` of an (n_vehicles, ng, nk) grid."""
    i = c // (ng * nk)
    r = c - i * ng * nk
    j = r // nk
    return i, j, r - j * nk


def _sustained_loop(params, grades, out, status):
    # out, status: (n_vehicles, n_grades)
    ng = grades.shape[0]
    for c in prange(params.shape[0] * ng):
        i = c // ng
        j = c - i * ng
        valid, p, f_trac, m, m_eff, a0, a2, vcap = vehicle_on_grade_sf(params, i, grades[j])
        if valid:
            v, code = sustained_speed_sf(p, f_trac, a0, a2, vcap)
        else:
            v, code = NAN, INVALID
        out[i, j] = v
        status[i, j] = code


def _accel_time_loop(params, grades, v0, v1, rollout, n, tol, out, status):
    # v0, v1: (n_pairs,) start and end speeds, m/s; out, status: (n_vehicles, n_grades, n_pairs)
    ng = grades.shape[0]
    nk = v0.shape[0]
    for c in prange(params.shape[0] * ng * nk):
        i, j, k = cell_sf(c, ng, nk)
        valid, p, f_trac, m, m_eff, a0, a2, vcap = vehicle_on_grade_sf(params, i, grades[j])
        if valid:
            t, code = accel_time_sf(p, f_trac, m, m_eff, a0, a2, vcap, v0[k], v1[k], rollout, n,
                                    tol)
        else:
            t, code = NAN, INVALID
        out[i, j, k] = t
        status[i, j, k] = code


def _speed_after_distance_loop(params, grades, v0, x, n, tol, out, status):
    # v0 (m/s), x (m): (n_pairs,); out, status: (n_vehicles, n_grades, n_pairs)
    ng = grades.shape[0]
    nk = v0.shape[0]
    for c in prange(params.shape[0] * ng * nk):
        i, j, k = cell_sf(c, ng, nk)
        valid, p, f_trac, m, m_eff, a0, a2, vcap = vehicle_on_grade_sf(params, i, grades[j])
        if valid:
            v, code = speed_after_distance_sf(p, f_trac, m, m_eff, a0, a2, vcap, v0[k], x[k], n,
                                              tol)
        else:
            v, code = NAN, INVALID
        out[i, j, k] = v
        status[i, j, k] = code


def _accel_loop(params, grades, speeds, out, status):
    # acceleration a(v), m/s^2, at speeds (n_speeds,) m/s; out, status: (n_v, n_g, n_speeds).
    # No speed cap here: a(v) is the physics; the cap applies to the speeds a run can reach.
    ng = grades.shape[0]
    nk = speeds.shape[0]
    for c in prange(params.shape[0] * ng * nk):
        i, j, k = cell_sf(c, ng, nk)
        valid, p, f_trac, m, m_eff, a0, a2, vcap = vehicle_on_grade_sf(params, i, grades[j])
        v = speeds[k]
        if valid and v >= 0.0 and v < INF:
            out[i, j, k] = accel_sf(p, f_trac, m, m_eff, a0, a2, v)
            status[i, j, k] = OK
        else:
            out[i, j, k] = NAN
            status[i, j, k] = INVALID


#: ``sustained_speed_grid(params, grades, out, status)``: sustained speed, m/s.
sustained_speed_grid = parallel(_sustained_loop)
sustained_speed_serial = serial(_sustained_loop)
#: ``accel_time_grid(params, grades, v0, v1, rollout_m, n_panels, tol_mps, out, status)``: s.
accel_time_grid = parallel(_accel_time_loop)
accel_time_serial = serial(_accel_time_loop)
#: ``speed_after_distance_grid(params, grades, v0, x, n_panels, tol_mps, out, status)``: m/s.
speed_after_distance_grid = parallel(_speed_after_distance_loop)
speed_after_distance_serial = serial(_speed_after_distance_loop)
#: ``accel_grid(params, grades, speeds, out, status)``: acceleration a(v), m/s^2.
accel_grid = parallel(_accel_loop)
accel_serial = serial(_accel_loop)
