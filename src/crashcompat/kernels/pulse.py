"""Crash-pulse kernel: two struck faces as springs in series along the impulse line.

docs/model.md, Energy split and crush; Crash pulse.

Relative coordinate: total crush ``C = C1 + C2`` and closing speed ``w = dC/dt``; the faces share
one contact force F, so ``mu * dw/dt = -F`` with the reduced mass ``mu = m1*m2/(m1+m2)``.

Force-crush laws (``model``):

- ``MODEL_LINEAR`` (0): face i is a linear spring ``F = g_i*k_i*C_i``; in series ``k =
  k1'k2'/(k1'+k2')``. The loading is a quarter sine of ``omega = sqrt(k/mu)`` and is evaluated **in
  closed form**: loading time ``(pi/2)/omega``, maximum crush ``vc/omega``, peak force
  ``vc*sqrt(mu*k)``.
- ``MODEL_CRASH3`` (1): face i follows CRASH3 ``F = g_i*w_i*(A_i + B_i*C_i)`` for ``C_i > 0``
  (McHenry; NHTSA DOT-HS-805-732). A face carries no crush until the common force exceeds its
  threshold ``g_i*w_i*A_i``, so the series law is piecewise linear with a force offset: the weaker
  face crushes alone up to the knee where the force reaches the stronger face's threshold, both
  crush beyond it. The loading phase is integrated with **velocity Verlet** (Stormer-Verlet) at the
  fixed step ``dt``: global error O(dt^2) in the crush, the times and the velocities (tested in
  ``tests/test_pulse.py``). The step that passes maximum crush is split at the event (the zero of a
  quadratic-in-time velocity model) so that the order is kept.

Engagement: ``g_i`` in (0, 1] scales face i's whole force-crush law (k, or A and B). **(assumption,
docs/model.md, Energy split and crush)** pass the vertical overlap fraction of the two structures' height bands for the lower
vehicle and 1 for the other.

Unloading (both models): from maximum crush ``Cm`` at force ``Fm`` with absorbed energy ``E``, each
face unloads linearly at the slope ``ku_i = Fm^2 / (2 e^2 E_i)``, which returns ``e^2`` of its
absorbed energy; in series ``ku = Fm^2/(2 e^2 E)``. Unloading is a linear spring in every model, so
it is evaluated in closed form (a quarter sine of ``sqrt(ku/mu) = omega/e`` for the linear model):
that keeps the stiff unloading branch (``e -> 0``) free of any step-size limit. Separation speed is
``e*sqrt(2E/mu)`` (``= e*vc`` exactly when ``E = mu vc^2/2``), so ``dv1 = (1+e)*m2/(m1+m2)*vc``.
With ``e = 0`` the vehicles separate (common velocity) at maximum crush.

Per case outputs (rows of ``out``, SI, NaN when status != 0): see the ``O_*`` indices. Energies are
the energies *dissipated* in each face, ``(1 - e^2)`` times the face's loading energy; they sum to
the collinear loss ``mu vc^2 (1 - e^2)/2``. ``EES_i = sqrt(2 E_i / m_i)``. The crush ratio is the
maximum dynamic crush over the crush space: an **intrusion indicator**, not a prediction (docs/model.md
7).

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
N_IN = 18
IN_NAMES = ("m1", "m2", "vc", "e", "k1", "k2", "a1", "b1", "a2", "b2", "w1", "w2",
            "engage1", "engage2", "cs1", "cs2", "theta1", "theta2")

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
def crash3_force_sf(c, flo, blo, fhi, ks, knee):
    """Series CRASH3 loading force at total crush c > 0 (N)."""
    if c <= knee:
        return flo + blo * c
    return fhi + ks * (c - knee)


@scalar
def crash3_energy_sf(c, flo, blo, fhi, ks, knee):
    """Loading energy absorbed up to total crush c (J): integral of the series force."""
    if c <= knee:
        return flo * c + 0.5 * blo * c * c
    d = c - knee
    return flo * knee + 0.5 * blo * knee * knee + fhi * d + 0.5 * ks * d * d


@scalar
def _fin(x):
    return x - x == 0.0


@scalar
def _nan_out(out, i):
    for r in range(N_OUT):
        out[r, i] = math.nan


# Decorated ``serial`` (not the IR-inlining ``scalar``): this body is large, and inlining it into
# both
# drivers at numba IR level doubles the compile time; LLVM still sees it from both drivers.
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
    g1 = P[I_G1, i]
    g2 = P[I_G2, i]
    cs1 = P[I_CS1, i]
    cs2 = P[I_CS2, i]
    th1 = P[I_TH1, i]
    th2 = P[I_TH2, i]
    ok = (_fin(m1) and _fin(m2) and _fin(vc) and _fin(e) and _fin(g1) and _fin(g2) and _fin(cs1)
          and _fin(cs2) and _fin(th1) and _fin(th2) and m1 > 0.0 and m2 > 0.0 and e >= 0.0
          and e <= 1.0 and g1 > 0.0 and g1 <= 1.0 and g2 > 0.0 and g2 <= 1.0 and cs1 > 0.0
          and cs2 > 0.0 and dt > 0.0 and _fin(dt) and max_steps >= 1)
    if model == MODEL_LINEAR:
        k1 = P[I_K1, i] * g1
        k2 = P[I_K2, i] * g2
        ok = ok and _fin(k1) and _fin(k2) and k1 > 0.0 and k2 > 0.0
        flo = blo = fhi = ks = knee = 0.0
        b1 = b2 = f1 = f2 = 0.0
    else:
        f1 = g1 * P[I_W1, i] * P[I_A1, i]
        b1 = g1 * P[I_W1, i] * P[I_B1, i]
        f2 = g2 * P[I_W2, i] * P[I_A2, i]
        b2 = g2 * P[I_W2, i] * P[I_B2, i]
        ok = (ok and model == MODEL_CRASH3 and _fin(f1) and _fin(b1) and _fin(f2) and _fin(b2)
              and P[I_W1, i] > 0.0 and P[I_W2, i] > 0.0 and P[I_A1, i] >= 0.0
              and P[I_A2, i] >= 0.0 and b1 > 0.0 and b2 > 0.0)
        k1 = k2 = 0.0
        if f1 <= f2:
            flo, blo, fhi = f1, b1, f2
        else:
            flo, blo, fhi = f2, b2, f1
        ks = b1 * b2 / (b1 + b2)
        knee = (fhi - flo) / blo
    if not ok:
        _nan_out(out, i)
        return STATUS_INVALID, 0
    if not (vc > 0.0):
        _nan_out(out, i)
        return STATUS_NO_CONTACT, 0

    msum = m1 + m2
    mu = m1 * m2 / msum
    nmax = max_steps + 1  # samples t_0 .. t_max_steps
    if model == MODEL_LINEAR:
        k = k1 * k2 / (k1 + k2)
        om = math.sqrt(k / mu)
        tm = 0.5 * math.pi / om
        cm = vc / om
        fm = k * cm
        eload = 0.5 * mu * vc * vc
        cr1 = cm * k2 / (k1 + k2)
        cr2 = cm * k1 / (k1 + k2)
        e1 = eload * k2 / (k1 + k2)
        e2 = eload * k1 / (k1 + k2)
        # Loading samples (quarter sine), by rotation: one sin/cos per case, not per step.
        cd = math.cos(om * dt)
        sd = math.sin(om * dt)
        c = 1.0
        s = 0.0
        nl = 0
        while True:
            t = nl * dt
            if t >= tm:
                break
            if nl >= nmax:
                _nan_out(out, i)
                return STATUS_NOT_SEPARATED, 0
            tb[nl] = t
            Wb[nl] = vc * (1.0 - c)
            Xb[nl] = vc * t - cm * s
            Ab[nl] = fm * s / mu
            c, s = c * cd - s * sd, s * cd + c * sd
            nl += 1
        cmax = cm
    else:
        # Velocity Verlet on the loading branch: x = C, v = w, a = -F(C)/mu.
        x = 0.0
        v = vc
        a = -flo / mu
        imu = 1.0 / mu
        # Per-step force without a branch: the series law is continuous and concave (ks < blo,
        # knee >= 0), so it is the smaller of its two lines. The step's dependency chain is
        # x1 -> F -> a1 -> v1; multiplying by 1/mu instead of dividing shortens it.
        f2line = fhi - ks * knee
        nl = 0
        tm = math.nan
        cmax = math.nan
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
            a1 = -min(flo + blo * x1, f2line + ks * x1) * imu
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
                cmax = x + v * tau + 0.5 * a * tau * tau + q * tau * tau * tau / 6.0
                tm = t + tau
                break
            x = x1
            v = v1
            a = a1
        cm = cmax
        fm = crash3_force_sf(cm, flo, blo, fhi, ks, knee)
        eload = crash3_energy_sf(cm, flo, blo, fhi, ks, knee)
        cr1 = (fm - f1) / b1 if fm > f1 else 0.0
        cr2 = (fm - f2) / b2 if fm > f2 else 0.0
        e1 = f1 * cr1 + 0.5 * b1 * cr1 * cr1
        e2 = f2 * cr2 + 0.5 * b2 * cr2 * cr2

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
(S_OK, S_VC, S_MU, S_IMU, S_FLO, S_BLO, S_F2L, S_KS, S_X, S_V, S_A, S_A1, S_V1, S_CNT, S_TM, S_CM,
 S_FM, S_CD, S_SD, S_C, S_S, S_N, S_K0, S_SA, S_SB, S_PA, S_PB) = range(27)
S_BELT = 27  # rows S_BELT .. S_BELT + 9: scratch of belt2_lanes_sf
N_S = 37


# ``serial`` like pulse_case_sf: a large body, left to LLVM to inline.
@serial
def pulse_lanes_sf(model, P, lo, nl_, occ, dt, max_steps, T, S, out, status):
    """Cases lo .. lo+nl_-1 (nl_ <= LANES) stepped together; same results as
    :func:`pulse_case_sf` case by case.

    ``T`` holds the lane traces (``(max_steps + 2) * TW``; lane l's t, W, X, A at sample k are
    ``T[k*TW + r*LANES + l]``, r = 0..3), ``S`` a ``N_S * LANES`` scratch (row-major, per lane);
    flat arrays with compile-time offsets, so that the compiler sees the rows do not overlap. The loading trace (both models) and the belted occupants are stepped in
    lockstep over the lanes, branch-free (selects), so that the lane loop vectorises; each lane
    executes the same operations as in :func:`pulse_case_sf`. Lanes that finished (or are invalid)
    keep their state; the samples they write past their own end are overwritten by the unloading
    branch, evaluated per lane afterwards with the occupant measures.
    """
    # LANES, read at run time: with a constant trip count LLVM unrolls the lane loops fully and
    # does not pack the unrolled lanes into vectors. Indices into S and T keep the constant LANES
    # (rows at compile-time offsets, so no run-time alias checks between rows).
    L = S.shape[0] // N_S
    nmax = max_steps + 1
    # --- per lane: inputs, validity, loading parameters
    for l in range(L):
        S[S_OK * LANES + l] = 0.0
        # benign parameters for lanes that do not step (invalid, no contact, past nl_)
        S[S_VC * LANES + l] = 0.0
        S[S_MU * LANES + l] = 1.0
        S[S_IMU * LANES + l] = 1.0
        S[S_FLO * LANES + l] = 1.0
        S[S_BLO * LANES + l] = 1.0
        S[S_F2L * LANES + l] = 1.0
        S[S_KS * LANES + l] = 1.0
        S[S_TM * LANES + l] = -1.0
        S[S_CM * LANES + l] = 0.0
        S[S_FM * LANES + l] = 0.0
        S[S_CD * LANES + l] = 1.0
        S[S_SD * LANES + l] = 0.0
        if l >= nl_:
            continue
        i = lo + l
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
        ok = (_fin(m1) and _fin(m2) and _fin(vc) and _fin(e) and _fin(g1) and _fin(g2)
              and _fin(cs1) and _fin(cs2) and _fin(th1) and _fin(th2) and m1 > 0.0 and m2 > 0.0
              and e >= 0.0 and e <= 1.0 and g1 > 0.0 and g1 <= 1.0 and g2 > 0.0 and g2 <= 1.0
              and cs1 > 0.0 and cs2 > 0.0 and dt > 0.0 and _fin(dt) and max_steps >= 1)
        if model == MODEL_LINEAR:
            k1 = P[I_K1, i] * g1
            k2 = P[I_K2, i] * g2
            ok = ok and _fin(k1) and _fin(k2) and k1 > 0.0 and k2 > 0.0
            flo = blo = fhi = ks = knee = 0.0
        else:
            f1 = g1 * P[I_W1, i] * P[I_A1, i]
            b1 = g1 * P[I_W1, i] * P[I_B1, i]
            f2 = g2 * P[I_W2, i] * P[I_A2, i]
            b2 = g2 * P[I_W2, i] * P[I_B2, i]
            ok = (ok and model == MODEL_CRASH3 and _fin(f1) and _fin(b1) and _fin(f2)
                  and _fin(b2) and P[I_W1, i] > 0.0 and P[I_W2, i] > 0.0 and P[I_A1, i] >= 0.0
                  and P[I_A2, i] >= 0.0 and b1 > 0.0 and b2 > 0.0)
            k1 = k2 = 0.0
            if f1 <= f2:
                flo, blo, fhi = f1, b1, f2
            else:
                flo, blo, fhi = f2, b2, f1
            ks = b1 * b2 / (b1 + b2)
            knee = (fhi - flo) / blo
        if not ok:
            _nan_out(out, i)
            status[i] = STATUS_INVALID
            continue
        if not (vc > 0.0):
            _nan_out(out, i)
            status[i] = STATUS_NO_CONTACT
            continue
        S[S_OK * LANES + l] = 1.0
        msum = m1 + m2
        mu = m1 * m2 / msum
        S[S_VC * LANES + l] = vc
        S[S_MU * LANES + l] = mu
        if model == MODEL_LINEAR:
            k = k1 * k2 / (k1 + k2)
            om = math.sqrt(k / mu)
            tm = 0.5 * math.pi / om
            cm = vc / om
            S[S_TM * LANES + l] = tm
            S[S_CM * LANES + l] = cm
            S[S_FM * LANES + l] = k * cm
            S[S_CD * LANES + l] = math.cos(om * dt)
            S[S_SD * LANES + l] = math.sin(om * dt)
        else:
            S[S_IMU * LANES + l] = 1.0 / mu
            S[S_FLO * LANES + l] = flo
            S[S_BLO * LANES + l] = blo
            S[S_F2L * LANES + l] = fhi - ks * knee
            S[S_KS * LANES + l] = ks
    # --- loading, all lanes in lockstep
    if model == MODEL_LINEAR:
        tmx = -1.0
        for l in range(L):
            S[S_C * LANES + l] = 1.0
            S[S_S * LANES + l] = 0.0
            S[S_CNT * LANES + l] = 0.0
            tmx = max(tmx, S[S_TM * LANES + l])
        for step in range(nmax):
            t = step * dt
            if not (t < tmx):
                break
            # A view per sample: its indices are provably >= 0, so no negative-index wraparound
            # (which would turn the stores into scatters) is left in the lane loop.
            Ts = T[step * TW:(step + 1) * TW]
            for l in range(L):
                vc = S[S_VC * LANES + l]
                c = S[S_C * LANES + l]
                s = S[S_S * LANES + l]
                Ts[0 * LANES + l] = t
                Ts[1 * LANES + l] = vc * (1.0 - c)
                Ts[2 * LANES + l] = vc * t - S[S_CM * LANES + l] * s
                Ts[3 * LANES + l] = S[S_FM * LANES + l] * s / S[S_MU * LANES + l]
                cd = S[S_CD * LANES + l]
                sd = S[S_SD * LANES + l]
                S[S_C * LANES + l] = c * cd - s * sd
                S[S_S * LANES + l] = s * cd + c * sd
                S[S_CNT * LANES + l] += 1.0 if t < S[S_TM * LANES + l] else 0.0
    else:
        for l in range(L):
            S[S_X * LANES + l] = 0.0
            S[S_V * LANES + l] = S[S_VC * LANES + l]
            S[S_A * LANES + l] = -S[S_FLO * LANES + l] / S[S_MU * LANES + l]
            S[S_CNT * LANES + l] = 0.0
        for step in range(nmax):
            t = step * dt
            nact = 0
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
                a1 = -min(S[S_FLO * LANES + l] + S[S_BLO * LANES + l] * x1, S[S_F2L * LANES + l] + S[S_KS * LANES + l] * x1) * S[S_IMU * LANES + l]
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
        g1 = P[I_G1, i]
        g2 = P[I_G2, i]
        th1 = P[I_TH1, i]
        th2 = P[I_TH2, i]
        msum = m1 + m2
        mu = S[S_MU * LANES + l]
        cnt = int(S[S_CNT * LANES + l])
        if model == MODEL_LINEAR:
            k1 = P[I_K1, i] * g1
            k2 = P[I_K2, i] * g2
            tm = S[S_TM * LANES + l]
            cm = S[S_CM * LANES + l]
            fm = S[S_FM * LANES + l]
            if cnt >= nmax and nmax * dt < tm:
                _nan_out(out, i)
                status[i] = STATUS_NOT_SEPARATED
                S[S_OK * LANES + l] = 0.0
                continue
            nl = cnt
            eload = 0.5 * mu * vc * vc
            cr1 = cm * k2 / (k1 + k2)
            cr2 = cm * k1 / (k1 + k2)
            e1 = eload * k2 / (k1 + k2)
            e2 = eload * k1 / (k1 + k2)
        else:
            if cnt >= nmax:
                _nan_out(out, i)
                status[i] = STATUS_NOT_SEPARATED
                S[S_OK * LANES + l] = 0.0
                continue
            f1 = g1 * P[I_W1, i] * P[I_A1, i]
            b1 = g1 * P[I_W1, i] * P[I_B1, i]
            f2 = g2 * P[I_W2, i] * P[I_A2, i]
            b2 = g2 * P[I_W2, i] * P[I_B2, i]
            if f1 <= f2:
                flo, blo, fhi = f1, b1, f2
            else:
                flo, blo, fhi = f2, b2, f1
            ks = b1 * b2 / (b1 + b2)
            knee = (fhi - flo) / blo
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
            fm = crash3_force_sf(cm, flo, blo, fhi, ks, knee)
            eload = crash3_energy_sf(cm, flo, blo, fhi, ks, knee)
            cr1 = (fm - f1) / b1 if fm > f1 else 0.0
            cr2 = (fm - f2) / b2 if fm > f2 else 0.0
            e1 = f1 * cr1 + 0.5 * b1 * cr1 * cr1
            e2 = f2 * cr2 + 0.5 * b2 * cr2 * cr2
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
        cs1 = P[I_CS1, i]
        cs2 = P[I_CS2, i]
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
