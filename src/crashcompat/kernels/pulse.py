"""Crash-pulse kernel: two struck faces as springs in series along the impulse line.

docs/model.md, Energy split and crush; Crash pulse.

Relative coordinate: total crush ``C = C1 + C2`` and closing speed ``w = dC/dt``; the faces share
one contact force F, so ``mu * dw/dt = -F`` with the reduced mass ``mu = m1*m2/(m1+m2)``.

Force-crush law of one face i (both models): it carries no crush until the common force exceeds
its threshold ``f_i``, then crushes at the slope ``b_i`` (N/m) up to its crush space ``cs_i``, and
beyond it at the slope ``r_i*b_i``: the **occupant-compartment stage** (docs/model.md, Energy split and
crush; **assumption**, ``r_i = 1 + xc_i`` with ``xc_i`` the input row ``I_XC*``, 0 = no stage).
The force is continuous at the knee ``C_i = cs_i``; only its slope steps up. In series the law is
continuous and piecewise linear in the total crush with at most four segments (knees where the
stronger face starts to crush and where each face reaches its crush space), held as
``F(C) = f0 + s0*C + sum_j (s_j - s_{j-1})*max(0, C - c_j)`` (:func:`series_law_sf`).

- ``MODEL_LINEAR`` (0): face i is a linear spring, ``f_i = 0``, ``b_i = g_i*k_i``. Each segment
  of the loading is a piece of a sine about the segment's own equilibrium and is evaluated **in
  closed form**, segment after segment (:func:`linear_loading_sf`); without a knee the loading is
  the quarter sine of ``omega = sqrt(k/mu)``: loading time ``(pi/2)/omega``, maximum crush
  ``vc/omega``, peak force ``vc*sqrt(mu*k)``.
- ``MODEL_CRASH3`` (1): face i follows CRASH3 ``F = g_i*w_i*(A_i + B_i*C_i)`` for ``0 < C_i <=
  cs_i`` (McHenry; NHTSA DOT-HS-805-732): ``f_i = g_i*w_i*A_i``, ``b_i = g_i*w_i*B_i``; past the
  crush space B steps up to ``r_i*B_i``. The loading phase is integrated with **velocity Verlet**
  (Stormer-Verlet) at the fixed step ``dt``: global error O(dt^2) in the crush, the times and the
  velocities (tested in ``tests/test_pulse.py``). The force is continuous at every knee, so the
  one step that straddles a knee carries a local error O(dt^2) (a jump in dF/dC, not in F) and the
  global order stays 2 without splitting the step; the step that passes maximum crush is split at
  the event (the zero of a quadratic-in-time velocity model) so that the order is kept.

Engagement: ``g_i`` in (0, 1] scales face i's whole force-crush law (k, or A and B). **(assumption,
docs/model.md, Energy split and crush)** pass the vertical overlap fraction of the two structures'
height bands for the lower vehicle and 1 for the other.

Unloading (both models): from maximum crush ``Cm`` at force ``Fm`` with absorbed energy ``E``, each
face unloads linearly at the slope ``ku_i = Fm^2 / (2 e^2 E_i)``, which returns ``e^2`` of its
absorbed energy; in series ``ku = Fm^2/(2 e^2 E)``. Unloading is a linear spring in every model, so
it is evaluated in closed form (a quarter sine of ``sqrt(ku/mu)``): that keeps the stiff unloading
branch (``e -> 0``) free of any step-size limit. Separation speed is ``e*sqrt(2E/mu)`` (``= e*vc``
exactly when ``E = mu vc^2/2``), so ``dv1 = (1+e)*m2/(m1+m2)*vc``. With ``e = 0`` the vehicles
separate (common velocity) at maximum crush.

Per case outputs (rows of ``out``, SI, NaN when status != 0): see the ``O_*`` indices. Energies are
the energies *dissipated* in each face, ``(1 - e^2)`` times the face's loading energy; they sum to
the collinear loss ``mu vc^2 (1 - e^2)/2``. ``EES_i = sqrt(2 E_i / m_i)``. The crush ratio is the
maximum dynamic crush over the crush space: an **intrusion indicator**, not a prediction
(docs/model.md); with the compartment stage a ratio above 1 means the compartment itself was
loaded.

Occupant measures per vehicle (``kernels/occupant.py``) use the vehicle's deceleration along the
impulse line projected on its x axis (``|cos theta_i|``) and y axis (``|sin theta_i|``), where
``theta_i`` is the angle between the impulse line and the vehicle's forward axis (0 for a frontal
impact). After separation the vehicles are taken to be in free flight (no braking), the tail the
measures are extrapolated on.

Status codes (int8): 0 ok; 3 no contact (closing speed <= 0, same meaning as ``Status.NO_CONTACT``);
4 invalid input (``Status.INVALID_INPUT``); 5 ``STATUS_NOT_SEPARATED``: the pulse needs more than
``max_steps`` steps of ``dt``.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import parallel, prange, scalar, serial
from .occupant import LANES, TW, belt2_lanes_sf, belt2_sf, flail_sf, olc_sf, reach_time_sf

MODEL_LINEAR = 0
MODEL_CRASH3 = 1

STATUS_OK = 0
STATUS_NO_CONTACT = 3
STATUS_INVALID = 4
#: The faces had not separated after ``max_steps`` steps of ``dt``; outputs are NaN.
STATUS_NOT_SEPARATED = 5

# Rows of the input matrix ``P`` (shape (N_IN, n), float64, SI).
I_M1, I_M2, I_VC, I_E = 0, 1, 2, 3
I_K1, I_K2 = 4, 5  # linear stiffness of the whole face, N/m
I_A1, I_B1, I_A2, I_B2 = 6, 7, 8, 9  # CRASH3 A (N/m), B (N/m^2)
I_W1, I_W2 = 10, 11  # engaged widths, m
I_G1, I_G2 = 12, 13  # engagement factors (0, 1]
I_CS1, I_CS2 = 14, 15  # crush spaces, m
I_TH1, I_TH2 = 16, 17  # angle between impulse line and vehicle forward axis, rad
# Compartment stage: past its crush space face i's slope is (1 + xc_i) times its crush-zone slope;
# xc_i >= 0, and 0 (a zero-filled row) is the single-stage law.
I_XC1, I_XC2 = 18, 19
N_IN = 20
IN_NAMES = ("m1", "m2", "vc", "e", "k1", "k2", "a1", "b1", "a2", "b2", "w1", "w2",
            "engage1", "engage2", "cs1", "cs2", "theta1", "theta2", "xc1", "xc2")

# Rows of the output matrix ``out`` (shape (N_OUT, n), float64, SI).
O_DURATION = 0  # contact duration, s (common to both vehicles)
O_DV1, O_DV2 = 1, 2  # velocity change, m/s
O_APEAK1, O_APEAK2 = 3, 4  # peak deceleration, m/s^2
O_AMEAN1, O_AMEAN2 = 5, 6  # mean deceleration dv/duration, m/s^2
O_CRUSH1, O_CRUSH2 = 7, 8  # maximum dynamic crush, m
O_CRATIO1, O_CRATIO2 = 9, 10  # crush / crush space (intrusion indicator)
O_E1, O_E2 = 11, 12  # energy dissipated in the face, J
O_EES1, O_EES2 = 13, 14  # energy-equivalent speed, m/s
O_OLC1, O_OLC2 = 15, 16  # OLC, m/s^2
O_OIVX1, O_OIVY1, O_OIVX2, O_OIVY2 = 17, 18, 19, 20  # OIV components, m/s
O_ORAX1, O_ORAY1, O_ORAX2, O_ORAY2 = 21, 22, 23, 24  # ORA components, m/s^2
O_TFLAIL1, O_TFLAIL2 = 25, 26  # flail time, s
O_OCC1, O_OCC2 = 27, 28  # belted occupant peak deceleration, m/s^2
O_TMAX = 29  # time of maximum crush, s
N_OUT = 30
OUT_NAMES = ("duration", "dv1", "dv2", "apeak1", "apeak2", "amean1", "amean2", "crush1", "crush2",
             "crush_ratio1", "crush_ratio2", "energy1", "energy2", "ees1", "ees2", "olc1", "olc2",
             "oiv_x1", "oiv_y1", "oiv_x2", "oiv_y2", "ora_x1", "ora_y1", "ora_x2", "ora_y2",
             "t_flail1", "t_flail2", "occ1", "occ2", "t_max_crush")

# Rows of the occupant-parameter vector ``occ`` (float64, SI).
Q_OLC_FREE, Q_OLC_DECEL, Q_FLAIL_X, Q_FLAIL_Y, Q_ORA_WINDOW, Q_SLACK, Q_KAPPA = 0, 1, 2, 3, 4, 5, 6
N_OCC = 7


@scalar
def face_crush_sf(f, fo, b, cs, r):
    """Crush (m) of one face carrying the force f (N): threshold fo (N), crush-zone slope b (N/m)
    up to the crush space cs (m), slope r*b past it (compartment stage)."""
    if f <= fo:
        return 0.0
    fs = fo + b * cs
    if f <= fs:
        return (f - fo) / b
    return cs + (f - fs) / (r * b)


@scalar
def face_energy_sf(c, fo, b, cs, r):
    """Loading energy (J) of one face crushed by c (m): the integral of its force-crush law."""
    if c <= cs:
        return fo * c + 0.5 * b * c * c
    d = c - cs
    return fo * cs + 0.5 * b * cs * cs + (fo + b * cs) * d + 0.5 * r * b * d * d


@scalar
def face_split_sf(model, fm, eload, f1, b1, cs1, r1, f2, b2, cs2, r2):
    """Each face's crush and loading energy at the maximum force ``fm``: ``(c1, c2, e1, e2)``.
    The linear model's faces share the exact loading energy ``eload`` (their sum equals it up to
    rounding); CRASH3 keeps each face's own energy."""
    cr1 = face_crush_sf(fm, f1, b1, cs1, r1)
    cr2 = face_crush_sf(fm, f2, b2, cs2, r2)
    e1 = face_energy_sf(cr1, f1, b1, cs1, r1)
    e2 = face_energy_sf(cr2, f2, b2, cs2, r2)
    if model == MODEL_LINEAR:
        sh = eload / (e1 + e2)
        e1 *= sh
        e2 *= sh
    return cr1, cr2, e1, e2


@scalar
def _slope_sf(p, f1, b1, fs1, r1, f2, b2, fs2, r2):
    """Series slope dF/dC (N/m) on the force interval that starts at the breakpoint p."""
    comp = 0.0
    if f1 <= p:
        comp += 1.0 / b1 if p < fs1 else 1.0 / (r1 * b1)
    if f2 <= p:
        comp += 1.0 / b2 if p < fs2 else 1.0 / (r2 * b2)
    return 1.0 / comp


@scalar
def series_law_sf(f1, b1, cs1, r1, f2, b2, cs2, r2):
    """The series force-crush law of two faces as (f0, c1, c2, c3, s0, s1, s2, s3): force f0 at
    zero crush, knees c1 <= c2 <= c3 (m) and the slopes s0..s3 (N/m) of the four segments, so that
    ``F(C) = f0 + s0*C + sum_j (s_j - s_{j-1})*max(0, C - c_j)`` (:func:`law_force_sf`).

    The knees are the total crush at the force breakpoints: the stronger face's threshold and the
    two forces at which a face reaches its crush space; segments may have zero length."""
    fs1 = f1 + b1 * cs1
    fs2 = f2 + b2 * cs2
    f0 = min(f1, f2)
    p1 = max(f1, f2)
    p2 = fs1
    p3 = fs2
    if p1 > p2:
        p1, p2 = p2, p1
    if p2 > p3:
        p2, p3 = p3, p2
    if p1 > p2:
        p1, p2 = p2, p1
    c1 = face_crush_sf(p1, f1, b1, cs1, r1) + face_crush_sf(p1, f2, b2, cs2, r2)
    c2 = face_crush_sf(p2, f1, b1, cs1, r1) + face_crush_sf(p2, f2, b2, cs2, r2)
    c3 = face_crush_sf(p3, f1, b1, cs1, r1) + face_crush_sf(p3, f2, b2, cs2, r2)
    s0 = _slope_sf(f0, f1, b1, fs1, r1, f2, b2, fs2, r2)
    s1 = _slope_sf(p1, f1, b1, fs1, r1, f2, b2, fs2, r2)
    s2 = _slope_sf(p2, f1, b1, fs1, r1, f2, b2, fs2, r2)
    s3 = _slope_sf(p3, f1, b1, fs1, r1, f2, b2, fs2, r2)
    return f0, c1, c2, c3, s0, s1, s2, s3


@scalar
def law_force_sf(c, f0, c1, c2, c3, s0, s1, s2, s3):
    """Series loading force (N) at total crush c >= 0 (law of :func:`series_law_sf`)."""
    return (f0 + s0 * c + (s1 - s0) * max(c - c1, 0.0) + (s2 - s1) * max(c - c2, 0.0)
            + (s3 - s2) * max(c - c3, 0.0))


@scalar
def law_energy_sf(c, f0, c1, c2, c3, s0, s1, s2, s3):
    """Loading energy (J) absorbed up to total crush c: the integral of :func:`law_force_sf`."""
    d1 = max(c - c1, 0.0)
    d2 = max(c - c2, 0.0)
    d3 = max(c - c3, 0.0)
    return (f0 * c + 0.5 * (s0 * c * c + (s1 - s0) * d1 * d1 + (s2 - s1) * d2 * d2
                            + (s3 - s2) * d3 * d3))


@scalar
def _fin(x):
    return x - x == 0.0


@scalar
def _nan_out(out, i):
    for r in range(N_OUT):
        out[r, i] = math.nan


@serial
def linear_loading_sf(vc, mu, c1, c2, c3, s0, s1, s2, s3, dt, nmax, tb, Wb, Xb, Ab):
    """Loading branch of the linear model (threshold 0) in closed form, segment by segment.

    In segment j (slope s_j, from knee c_j) the force is ``F = s_j*y`` with ``y = C - off_j``, so
    ``y`` is a sine of ``om_j = sqrt(s_j/mu)`` through the segment's entry state; the segment ends
    at the next knee or, in the last one reached, at maximum crush (``w = 0``). Writes the samples
    ``t = k*dt < tm`` (by rotation within a segment) and returns ``(ok, nl, tm, cm, fm)``; ``ok``
    is False when more than ``nmax`` samples would be needed.
    """
    t0 = 0.0
    cpos = 0.0
    w = vc
    nl = 0
    for j in range(4):
        if j == 0:
            cj, sj, cn = 0.0, s0, c1
        elif j == 1:
            cj, sj, cn = c1, s1, c2
        elif j == 2:
            cj, sj, cn = c2, s2, c3
        else:
            cj, sj, cn = c3, s3, math.inf
        if not (cn > cpos):  # a zero-length segment
            continue
        fj = law_force_sf(cj, 0.0, c1, c2, c3, s0, s1, s2, s3)
        om = math.sqrt(sj / mu)
        off = cj - fj / sj
        y0 = cpos - off
        u0 = w / om
        amp = math.hypot(y0, u0)
        psi = math.atan2(y0, u0)
        last = not (amp > cn - off)
        if last:
            the = 0.5 * math.pi
        else:
            the = math.asin((cn - off) / amp)
        te = t0 + (the - psi) / om
        if nl * dt < te:
            ph = om * (nl * dt - t0) + psi
            c = math.cos(ph)
            s = math.sin(ph)
            cd = math.cos(om * dt)
            sd = math.sin(om * dt)
            aw = amp * om
            while True:
                t = nl * dt
                if t >= te:
                    break
                if nl >= nmax:
                    return False, nl, te, math.nan, math.nan
                tb[nl] = t
                Wb[nl] = vc - aw * c
                Xb[nl] = vc * t - (off + amp * s)
                Ab[nl] = sj * amp * s / mu
                c, s = c * cd - s * sd, s * cd + c * sd
                nl += 1
        if last:
            return True, nl, te, off + amp, sj * amp
        t0 = te
        cpos = cn
        w = amp * om * math.cos(the)
    return True, nl, t0, cpos, law_force_sf(cpos, 0.0, c1, c2, c3, s0, s1, s2, s3)


@scalar
def faces_sf(model, P, i):
    """Face laws of case i: (ok, f1, b1, r1, f2, b2, r2) with threshold f (N), crush-zone slope b
    (N/m) and compartment-stage ratio r; ok is False for invalid face inputs."""
    g1 = P[I_G1, i]
    g2 = P[I_G2, i]
    r1 = 1.0 + P[I_XC1, i]
    r2 = 1.0 + P[I_XC2, i]
    ok = _fin(r1) and _fin(r2) and r1 >= 1.0 and r2 >= 1.0
    if model == MODEL_LINEAR:
        f1 = 0.0
        f2 = 0.0
        b1 = P[I_K1, i] * g1
        b2 = P[I_K2, i] * g2
        ok = ok and _fin(b1) and _fin(b2) and b1 > 0.0 and b2 > 0.0
    else:
        f1 = g1 * P[I_W1, i] * P[I_A1, i]
        b1 = g1 * P[I_W1, i] * P[I_B1, i]
        f2 = g2 * P[I_W2, i] * P[I_A2, i]
        b2 = g2 * P[I_W2, i] * P[I_B2, i]
        ok = (ok and model == MODEL_CRASH3 and _fin(f1) and _fin(b1) and _fin(f2) and _fin(b2)
              and P[I_W1, i] > 0.0 and P[I_W2, i] > 0.0 and P[I_A1, i] >= 0.0
              and P[I_A2, i] >= 0.0 and b1 > 0.0 and b2 > 0.0)
    return ok, f1, b1, r1, f2, b2, r2


@scalar
def inputs_ok_sf(P, i, dt, max_steps):
    """Validity of case i's common inputs (masses, speed, restitution, engagement, crush spaces,
    angles) and of the step settings."""
    m1 = P[I_M1, i]
    m2 = P[I_M2, i]
    vc = P[I_VC, i]
    e = P[I_E, i]
    g1 = P[I_G1, i]
    g2 = P[I_G2, i]
    cs1 = P[I_CS1, i]
    cs2 = P[I_CS2, i]
    th1 = P[I_TH1, i]
    th2 = P[I_TH2, i]
    return (_fin(m1) and _fin(m2) and _fin(vc) and _fin(e) and _fin(g1) and _fin(g2)
            and _fin(cs1) and _fin(cs2) and _fin(th1) and _fin(th2) and m1 > 0.0 and m2 > 0.0
            and e >= 0.0 and e <= 1.0 and g1 > 0.0 and g1 <= 1.0 and g2 > 0.0 and g2 <= 1.0
            and cs1 > 0.0 and cs2 > 0.0 and dt > 0.0 and _fin(dt) and max_steps >= 1)


# Decorated ``serial`` (not the IR-inlining ``scalar``): this body is large, and inlining it into
# both drivers at numba IR level doubles the compile time; LLVM still sees it from both drivers.
@serial
def pulse_case_sf(model, P, i, occ, dt, max_steps, tb, Wb, Xb, Ab, out):
    """One case: fills out[:, i] from P[:, i]; returns (status, number of pulse samples).

    ``tb, Wb, Xb, Ab`` are scratch buffers of length >= max_steps + 2 (see module docstring of
    :mod:`crashcompat.kernels.occupant` for what they hold).
    """
    m1 = P[I_M1, i]
    m2 = P[I_M2, i]
    vc = P[I_VC, i]
    e = P[I_E, i]
    cs1 = P[I_CS1, i]
    cs2 = P[I_CS2, i]
    th1 = P[I_TH1, i]
    th2 = P[I_TH2, i]
    okf, f1, b1, r1, f2, b2, r2 = faces_sf(model, P, i)
    if not (inputs_ok_sf(P, i, dt, max_steps) and okf):
        _nan_out(out, i)
        return STATUS_INVALID, 0
    if not (vc > 0.0):
        _nan_out(out, i)
        return STATUS_NO_CONTACT, 0
    f0, kn1, kn2, kn3, sl0, sl1, sl2, sl3 = series_law_sf(f1, b1, cs1, r1, f2, b2, cs2, r2)

    msum = m1 + m2
    mu = m1 * m2 / msum
    nmax = max_steps + 1  # samples t_0 .. t_max_steps
    if model == MODEL_LINEAR:
        okl, nl, tm, cm, fm = linear_loading_sf(vc, mu, kn1, kn2, kn3, sl0, sl1, sl2, sl3, dt, nmax,
                                                tb, Wb, Xb, Ab)
        if not okl:
            _nan_out(out, i)
            return STATUS_NOT_SEPARATED, 0
        eload = 0.5 * mu * vc * vc  # exact: the loading stops the relative motion
    else:
        # Velocity Verlet on the loading branch: x = C, v = w, a = -F(C)/mu.
        x = 0.0
        v = vc
        a = -f0 / mu
        imu = 1.0 / mu
        # The step's dependency chain is x1 -> F -> a1 -> v1; multiplying by 1/mu instead of
        # dividing shortens it. The force is the hinge form of the series law (no branch).
        dl1 = sl1 - sl0
        dl2 = sl2 - sl1
        dl3 = sl3 - sl2
        nl = 0
        tm = math.nan
        cm = math.nan
        while True:
            if nl >= nmax:
                _nan_out(out, i)
                return STATUS_NOT_SEPARATED, 0
            t = nl * dt
            tb[nl] = t
            Wb[nl] = vc - v
            Xb[nl] = vc * t - x
            Ab[nl] = -a
            x1 = x + v * dt + 0.5 * a * dt * dt
            a1 = -(f0 + sl0 * x1 + dl1 * max(x1 - kn1, 0.0) + dl2 * max(x1 - kn2, 0.0)
                   + dl3 * max(x1 - kn3, 0.0)) * imu
            v1 = v + 0.5 * (a + a1) * dt
            nl += 1
            if v1 <= 0.0:
                # Event: w = 0 within the step. Model a(t) linear over the step, solve
                # v + a*tau + (a1-a)*tau^2/(2 dt) = 0 by Newton from the linear guess.
                tau = dt * v / (v - v1)
                q = (a1 - a) / dt
                for _ in range(4):
                    fv = v + a * tau + 0.5 * q * tau * tau
                    dfv = a + q * tau
                    if dfv != 0.0:
                        tau -= fv / dfv
                if not (tau >= 0.0 and tau <= dt):
                    tau = dt * v / (v - v1)
                cm = x + v * tau + 0.5 * a * tau * tau + q * tau * tau * tau / 6.0
                tm = t + tau
                break
            x = x1
            v = v1
            a = a1
        fm = law_force_sf(cm, f0, kn1, kn2, kn3, sl0, sl1, sl2, sl3)
        eload = law_energy_sf(cm, f0, kn1, kn2, kn3, sl0, sl1, sl2, sl3)
    cr1, cr2, e1, e2 = face_split_sf(model, fm, eload, f1, b1, cs1, r1, f2, b2, cs2, r2)

    # Unloading branch in closed form, starting at tm from (cm, w = 0, F = fm).
    ku = fm * fm / (2.0 * e * e * eload) if e > 0.0 else math.inf
    if ku < math.inf:  # e so small that e^2 underflows is treated as e = 0
        omu = math.sqrt(ku / mu)
        amp = fm / ku  # cm - residual crush
        tsep = tm + 0.5 * math.pi / omu
        wsep = -amp * omu
        # First grid time at or after tm.
        j = nl
        while j * dt < tm:
            j += 1
        if j * dt < tsep:
            ph = omu * (j * dt - tm)
            c = math.cos(ph)
            s = math.sin(ph)
            cd = math.cos(omu * dt)
            sd = math.sin(omu * dt)
            cres = cm - amp
            while True:
                t = j * dt
                if t >= tsep:
                    break
                if j >= nmax:
                    _nan_out(out, i)
                    return STATUS_NOT_SEPARATED, 0
                tb[j] = t
                Wb[j] = vc + amp * omu * s
                Xb[j] = vc * t - (cres + amp * c)
                Ab[j] = fm * c / mu
                c, s = c * cd - s * sd, s * cd + c * sd
                j += 1
        if j >= nmax + 1:
            _nan_out(out, i)
            return STATUS_NOT_SEPARATED, 0
        tb[j] = tsep
        Wb[j] = vc - wsep
        Xb[j] = vc * tsep - (cm - amp)
        Ab[j] = 0.0
        n = j + 1
    else:
        tsep = tm
        wsep = 0.0
        j = nl
        if j >= nmax + 1:
            _nan_out(out, i)
            return STATUS_NOT_SEPARATED, 0
        tb[j] = tm
        Wb[j] = vc
        Xb[j] = vc * tm - cm
        Ab[j] = fm / mu  # left limit: the force drops to zero at separation
        n = j + 1
    s1 = m2 / msum  # vehicle 1's share of the relative kinematics
    s2 = m1 / msum
    dvrel = vc - wsep
    dv1 = s1 * dvrel
    dv2 = s2 * dvrel
    loss = 1.0 - e * e
    out[O_DURATION, i] = tsep
    out[O_TMAX, i] = tm
    out[O_DV1, i] = dv1
    out[O_DV2, i] = dv2
    out[O_APEAK1, i] = fm / m1
    out[O_APEAK2, i] = fm / m2
    out[O_AMEAN1, i] = dv1 / tsep
    out[O_AMEAN2, i] = dv2 / tsep
    out[O_CRUSH1, i] = cr1
    out[O_CRUSH2, i] = cr2
    out[O_CRATIO1, i] = cr1 / cs1
    out[O_CRATIO2, i] = cr2 / cs2
    out[O_E1, i] = loss * e1
    out[O_E2, i] = loss * e2
    out[O_EES1, i] = math.sqrt(2.0 * loss * e1 / m1)
    out[O_EES2, i] = math.sqrt(2.0 * loss * e2 / m2)

    l1 = occ[Q_OLC_FREE]
    l2 = occ[Q_OLC_DECEL]
    dx = occ[Q_FLAIL_X]
    dy = occ[Q_FLAIL_Y]
    win = occ[Q_ORA_WINDOW]
    slack = occ[Q_SLACK]
    kap = occ[Q_KAPPA]
    for veh in range(2):
        if veh == 0:
            sv = s1
            th = th1
        else:
            sv = s2
            th = th2
        cx = abs(math.cos(th))
        cy = abs(math.sin(th))
        olc = olc_sf(tb, Xb, Wb, Ab, n, sv * cx, l1, l2)
        # Flail: the occupant reaches the x or the y surface first, whichever is nearer along
        # the impulse line.
        dist = math.inf
        if cx > 0.0:
            dist = dx / cx
        if cy > 0.0 and dy / cy < dist:
            dist = dy / cy
        tf, oiv, ora = flail_sf(tb, Xb, Wb, Ab, n, sv, dist, win, dt)
        out[O_OLC1 + veh, i] = olc
        out[O_OIVX1 + 2 * veh, i] = oiv * cx
        out[O_OIVY1 + 2 * veh, i] = oiv * cy
        out[O_ORAX1 + 2 * veh, i] = ora * cx
        out[O_ORAY1 + 2 * veh, i] = ora * cy
        out[O_TFLAIL1 + veh, i] = tf
    occa, occb = belt2_sf(tb, Xb, Wb, Ab, n, s1 * abs(math.cos(th1)), s2 * abs(math.cos(th2)),
                          slack, kap)
    out[O_OCC1, i] = occa
    out[O_OCC2, i] = occb
    return STATUS_OK, n


# Cases stepped together by the drivers: ``LANES`` (16, two AVX-512 vectors of float64); the lane
# traces hold t, W, X, A of every lane at sample k in ``T[k*TW + r*LANES + l]``, r = 0..3.
# Rows of the per-lane scratch ``S`` (shape (N_S, LANES)) of :func:`pulse_lanes_sf`.
(S_OK, S_VC, S_MU, S_IMU, S_F0, S_S0, S_C1, S_D1, S_C2, S_D2, S_C3, S_D3, S_X, S_V, S_A, S_A1,
 S_V1, S_CNT, S_TM, S_CM, S_FM, S_N, S_K0, S_SA, S_SB, S_PA, S_PB) = range(27)
S_BELT = 27  # rows S_BELT .. S_BELT + 9: scratch of belt2_lanes_sf
N_S = 37


# ``serial`` like pulse_case_sf: a large body, left to LLVM to inline.
@serial
def pulse_lanes_sf(model, P, lo, nl_, occ, dt, max_steps, T, S, out, status):
    """Cases lo .. lo+nl_-1 (nl_ <= LANES) stepped together; same results as
    :func:`pulse_case_sf` case by case.

    ``T`` holds the lane traces (``(max_steps + 2) * TW``; lane l's t, W, X, A at sample k are
    ``T[k*TW + r*LANES + l]``, r = 0..3), ``S`` a ``N_S * LANES`` scratch (row-major, per lane);
    flat arrays with compile-time offsets, so that the compiler sees the rows do not overlap. The
    CRASH3 loading trace and the belted occupants are stepped in lockstep over the lanes,
    branch-free (selects), so that the lane loop vectorises; each lane executes the same operations
    as in :func:`pulse_case_sf`. The linear model's closed-form loading is written lane by lane
    (:func:`linear_loading_sf`, as in :func:`pulse_case_sf`). Lanes that finished (or are invalid)
    keep their state; the samples they write past their own end are overwritten by the unloading
    branch, evaluated per lane afterwards with the occupant measures.
    """
    # LANES, read at run time: with a constant trip count LLVM unrolls the lane loops fully and
    # does not pack the unrolled lanes into vectors. Indices into S and T keep the constant LANES
    # (rows at compile-time offsets, so no run-time alias checks between rows).
    L = S.shape[0] // N_S
    nmax = max_steps + 1
    # --- per lane: inputs, validity, loading parameters (linear model: its loading samples)
    for l in range(L):
        S[S_OK * LANES + l] = 0.0
        # benign parameters for lanes that do not step (invalid, no contact, past nl_)
        S[S_VC * LANES + l] = 0.0
        S[S_MU * LANES + l] = 1.0
        S[S_IMU * LANES + l] = 1.0
        S[S_F0 * LANES + l] = 1.0
        S[S_S0 * LANES + l] = 1.0
        S[S_C1 * LANES + l] = 0.0
        S[S_D1 * LANES + l] = 0.0
        S[S_C2 * LANES + l] = 0.0
        S[S_D2 * LANES + l] = 0.0
        S[S_C3 * LANES + l] = 0.0
        S[S_D3 * LANES + l] = 0.0
        S[S_TM * LANES + l] = -1.0
        S[S_CM * LANES + l] = 0.0
        S[S_FM * LANES + l] = 0.0
        if l >= nl_:
            continue
        i = lo + l
        m1 = P[I_M1, i]
        m2 = P[I_M2, i]
        vc = P[I_VC, i]
        okf, f1, b1, r1, f2, b2, r2 = faces_sf(model, P, i)
        if not (inputs_ok_sf(P, i, dt, max_steps) and okf):
            _nan_out(out, i)
            status[i] = STATUS_INVALID
            continue
        if not (vc > 0.0):
            _nan_out(out, i)
            status[i] = STATUS_NO_CONTACT
            continue
        f0, kn1, kn2, kn3, sl0, sl1, sl2, sl3 = series_law_sf(f1, b1, P[I_CS1, i], r1, f2, b2,
                                                              P[I_CS2, i], r2)
        msum = m1 + m2
        mu = m1 * m2 / msum
        if model == MODEL_LINEAR:
            okl, nl, tm, cm, fm = linear_loading_sf(vc, mu, kn1, kn2, kn3, sl0, sl1, sl2, sl3,
                                                    dt, nmax, T[l::TW], T[LANES + l::TW],
                                                    T[2 * LANES + l::TW], T[3 * LANES + l::TW])
            if not okl:
                _nan_out(out, i)
                status[i] = STATUS_NOT_SEPARATED
                continue
            S[S_TM * LANES + l] = tm
            S[S_CM * LANES + l] = cm
            S[S_FM * LANES + l] = fm
            S[S_CNT * LANES + l] = nl
        S[S_OK * LANES + l] = 1.0
        S[S_VC * LANES + l] = vc
        S[S_MU * LANES + l] = mu
        S[S_IMU * LANES + l] = 1.0 / mu
        S[S_F0 * LANES + l] = f0
        S[S_S0 * LANES + l] = sl0
        S[S_C1 * LANES + l] = kn1
        S[S_D1 * LANES + l] = sl1 - sl0
        S[S_C2 * LANES + l] = kn2
        S[S_D2 * LANES + l] = sl2 - sl1
        S[S_C3 * LANES + l] = kn3
        S[S_D3 * LANES + l] = sl3 - sl2
    # --- CRASH3 loading, all lanes in lockstep
    if model != MODEL_LINEAR:
        for l in range(L):
            S[S_X * LANES + l] = 0.0
            S[S_V * LANES + l] = S[S_VC * LANES + l]
            S[S_A * LANES + l] = -S[S_F0 * LANES + l] / S[S_MU * LANES + l]
            S[S_CNT * LANES + l] = 0.0
        for step in range(nmax):
            t = step * dt
            nact = 0
            # A view per sample: its indices are provably >= 0, so no negative-index wraparound
            # (which would turn the stores into scatters) is left in the lane loop.
            Ts = T[step * TW:(step + 1) * TW]
            for l in range(L):
                x = S[S_X * LANES + l]
                v = S[S_V * LANES + l]
                a = S[S_A * LANES + l]
                vc = S[S_VC * LANES + l]
                Ts[0 * LANES + l] = t
                Ts[1 * LANES + l] = vc - v
                Ts[2 * LANES + l] = vc * t - x
                Ts[3 * LANES + l] = -a
                x1 = x + v * dt + 0.5 * a * dt * dt
                a1 = -(S[S_F0 * LANES + l] + S[S_S0 * LANES + l] * x1
                       + S[S_D1 * LANES + l] * max(x1 - S[S_C1 * LANES + l], 0.0)
                       + S[S_D2 * LANES + l] * max(x1 - S[S_C2 * LANES + l], 0.0)
                       + S[S_D3 * LANES + l] * max(x1 - S[S_C3 * LANES + l], 0.0)
                       ) * S[S_IMU * LANES + l]
                v1 = v + 0.5 * (a + a1) * dt
                go = not (v1 <= 0.0)
                S[S_X * LANES + l] = x1 if go else x
                S[S_V * LANES + l] = v1 if go else v
                S[S_A * LANES + l] = a1 if go else a
                S[S_A1 * LANES + l] = a1
                S[S_V1 * LANES + l] = v1
                S[S_CNT * LANES + l] += 1.0 if go else 0.0
                nact += 1 if go else 0
            if nact == 0:
                break
    # --- per lane: event, unloading, outputs, OLC / flail, belt start
    l1 = occ[Q_OLC_FREE]
    l2 = occ[Q_OLC_DECEL]
    dx = occ[Q_FLAIL_X]
    dy = occ[Q_FLAIL_Y]
    win = occ[Q_ORA_WINDOW]
    slack = occ[Q_SLACK]
    kap = occ[Q_KAPPA]
    for l in range(L):
        S[S_K0 * LANES + l] = -1.0
        S[S_N * LANES + l] = 0.0
        S[S_SA * LANES + l] = 0.0
        S[S_SB * LANES + l] = 0.0
        if S[S_OK * LANES + l] == 0.0:
            continue
        i = lo + l
        m1 = P[I_M1, i]
        m2 = P[I_M2, i]
        vc = P[I_VC, i]
        e = P[I_E, i]
        th1 = P[I_TH1, i]
        th2 = P[I_TH2, i]
        cs1 = P[I_CS1, i]
        cs2 = P[I_CS2, i]
        okf, f1, b1, r1, f2, b2, r2 = faces_sf(model, P, i)
        msum = m1 + m2
        mu = S[S_MU * LANES + l]
        cnt = int(S[S_CNT * LANES + l])
        if model == MODEL_LINEAR:
            tm = S[S_TM * LANES + l]
            cm = S[S_CM * LANES + l]
            fm = S[S_FM * LANES + l]
            nl = cnt
            eload = 0.5 * mu * vc * vc
        else:
            if cnt >= nmax:
                _nan_out(out, i)
                status[i] = STATUS_NOT_SEPARATED
                S[S_OK * LANES + l] = 0.0
                continue
            x = S[S_X * LANES + l]
            v = S[S_V * LANES + l]
            a = S[S_A * LANES + l]
            a1 = S[S_A1 * LANES + l]
            v1 = S[S_V1 * LANES + l]
            t = cnt * dt
            nl = cnt + 1
            tau = dt * v / (v - v1)
            q = (a1 - a) / dt
            for _ in range(4):
                fv = v + a * tau + 0.5 * q * tau * tau
                dfv = a + q * tau
                if dfv != 0.0:
                    tau -= fv / dfv
            if not (tau >= 0.0 and tau <= dt):
                tau = dt * v / (v - v1)
            cm = x + v * tau + 0.5 * a * tau * tau + q * tau * tau * tau / 6.0
            tm = t + tau
            f0, kn1, kn2, kn3, sl0, sl1, sl2, sl3 = series_law_sf(f1, b1, cs1, r1, f2, b2, cs2,
                                                                  r2)
            fm = law_force_sf(cm, f0, kn1, kn2, kn3, sl0, sl1, sl2, sl3)
            eload = law_energy_sf(cm, f0, kn1, kn2, kn3, sl0, sl1, sl2, sl3)
        cr1, cr2, e1, e2 = face_split_sf(model, fm, eload, f1, b1, cs1, r1, f2, b2, cs2, r2)
        tbl = T[l::TW]
        Wl = T[LANES + l::TW]
        Xl = T[2 * LANES + l::TW]
        Al = T[3 * LANES + l::TW]
        # Unloading branch in closed form (as in pulse_case_sf).
        failed = False
        ku = fm * fm / (2.0 * e * e * eload) if e > 0.0 else math.inf
        if ku < math.inf:
            omu = math.sqrt(ku / mu)
            amp = fm / ku
            tsep = tm + 0.5 * math.pi / omu
            wsep = -amp * omu
            j = nl
            while j * dt < tm:
                j += 1
            if j * dt < tsep:
                ph = omu * (j * dt - tm)
                c = math.cos(ph)
                s = math.sin(ph)
                cd = math.cos(omu * dt)
                sd = math.sin(omu * dt)
                cres = cm - amp
                while True:
                    t = j * dt
                    if t >= tsep:
                        break
                    if j >= nmax:
                        failed = True
                        break
                    tbl[j] = t
                    Wl[j] = vc + amp * omu * s
                    Xl[j] = vc * t - (cres + amp * c)
                    Al[j] = fm * c / mu
                    c, s = c * cd - s * sd, s * cd + c * sd
                    j += 1
            if failed or j >= nmax + 1:
                _nan_out(out, i)
                status[i] = STATUS_NOT_SEPARATED
                S[S_OK * LANES + l] = 0.0
                continue
            tbl[j] = tsep
            Wl[j] = vc - wsep
            Xl[j] = vc * tsep - (cm - amp)
            Al[j] = 0.0
            n = j + 1
        else:
            tsep = tm
            wsep = 0.0
            j = nl
            if j >= nmax + 1:
                _nan_out(out, i)
                status[i] = STATUS_NOT_SEPARATED
                S[S_OK * LANES + l] = 0.0
                continue
            tbl[j] = tm
            Wl[j] = vc
            Xl[j] = vc * tm - cm
            Al[j] = fm / mu
            n = j + 1
        s1 = m2 / msum
        s2 = m1 / msum
        dvrel = vc - wsep
        dv1 = s1 * dvrel
        dv2 = s2 * dvrel
        loss = 1.0 - e * e
        out[O_DURATION, i] = tsep
        out[O_TMAX, i] = tm
        out[O_DV1, i] = dv1
        out[O_DV2, i] = dv2
        out[O_APEAK1, i] = fm / m1
        out[O_APEAK2, i] = fm / m2
        out[O_AMEAN1, i] = dv1 / tsep
        out[O_AMEAN2, i] = dv2 / tsep
        out[O_CRUSH1, i] = cr1
        out[O_CRUSH2, i] = cr2
        out[O_CRATIO1, i] = cr1 / cs1
        out[O_CRATIO2, i] = cr2 / cs2
        out[O_E1, i] = loss * e1
        out[O_E2, i] = loss * e2
        out[O_EES1, i] = math.sqrt(2.0 * loss * e1 / m1)
        out[O_EES2, i] = math.sqrt(2.0 * loss * e2 / m2)
        for veh in range(2):
            if veh == 0:
                sv = s1
                th = th1
            else:
                sv = s2
                th = th2
            cx = abs(math.cos(th))
            cy = abs(math.sin(th))
            olc = olc_sf(tbl, Xl, Wl, Al, n, sv * cx, l1, l2)
            dist = math.inf
            if cx > 0.0:
                dist = dx / cx
            if cy > 0.0 and dy / cy < dist:
                dist = dy / cy
            tf, oiv, ora = flail_sf(tbl, Xl, Wl, Al, n, sv, dist, win, dt)
            out[O_OLC1 + veh, i] = olc
            out[O_OIVX1 + 2 * veh, i] = oiv * cx
            out[O_OIVY1 + 2 * veh, i] = oiv * cy
            out[O_ORAX1 + 2 * veh, i] = ora * cx
            out[O_ORAY1 + 2 * veh, i] = ora * cy
            out[O_TFLAIL1 + veh, i] = tf
        status[i] = STATUS_OK
        # Belt start (as in belt2_sf): the sample just before the earlier belt contact.
        sca = s1 * abs(math.cos(th1))
        scb = s2 * abs(math.cos(th2))
        ra = sca > 0.0 and kap > 0.0
        rb = scb > 0.0 and kap > 0.0
        S[S_N * LANES + l] = n
        if not (ra or rb):
            continue
        k0 = n - 1
        if ra:
            ta, ka = reach_time_sf(tbl, Xl, Wl, n, slack / sca)
            if ka - 1 < k0:
                k0 = ka - 1
        if rb:
            tbb, kb = reach_time_sf(tbl, Xl, Wl, n, slack / scb)
            if kb - 1 < k0:
                k0 = kb - 1
        if k0 < 0:
            k0 = 0
        S[S_K0 * LANES + l] = k0
        S[S_SA * LANES + l] = sca if ra else 0.0
        S[S_SB * LANES + l] = scb if rb else 0.0
    # --- belted occupants, all lanes in lockstep
    belt2_lanes_sf(T, S, L, S_N, S_K0, S_SA, S_SB, S_BELT, S_PA, S_PB, slack, kap)
    for l in range(nl_):
        if S[S_OK * LANES + l] == 0.0:
            continue
        i = lo + l
        if S[S_K0 * LANES + l] < 0.0:
            out[O_OCC1, i] = 0.0
            out[O_OCC2, i] = 0.0
        else:
            out[O_OCC1, i] = S[S_PA * LANES + l] if S[S_SA * LANES + l] != 0.0 else 0.0
            out[O_OCC2, i] = S[S_PB * LANES + l] if S[S_SB * LANES + l] != 0.0 else 0.0


@parallel
def pulse_grid(model, P, occ, dt, max_steps, out, status, block):
    """Parallel driver: cases in blocks of ``block``, stepped ``LANES`` at a time; each block owns
    its scratch buffers."""
    n = P.shape[1]
    nblocks = (n + block - 1) // block
    for b in prange(nblocks):
        size = max(max_steps, 0) + 2
        T = np.empty(size * TW)
        S = np.empty(N_S * LANES)
        lo = b * block
        hi = min(n, lo + block)
        for g in range(lo, hi, LANES):
            pulse_lanes_sf(model, P, g, min(LANES, hi - g), occ, dt, max_steps, T, S,
                           out, status)


@serial
def pulse_serial(model, P, occ, dt, max_steps, out, status):
    """Serial driver (benchmarks, small inputs); same results as :func:`pulse_grid`."""
    n = P.shape[1]
    size = max(max_steps, 0) + 2
    T = np.empty(size * TW)
    S = np.empty(N_S * LANES)
    for g in range(0, n, LANES):
        pulse_lanes_sf(model, P, g, min(LANES, n - g), occ, dt, max_steps, T, S, out,
                       status)
