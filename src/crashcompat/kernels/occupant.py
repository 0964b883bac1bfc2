"""Jitted occupant measures on a sampled crash pulse (docs/model.md, Crash pulse and occupant loading).

The pulse kernel (:mod:`crashcompat.kernels.pulse`) hands these helpers one *common* trace per case,
sampled at times ``tb[0..n-1]`` (uniform step, the last step may be shorter):

- ``W``: the closing-speed loss ``vc - w(t)`` (m/s, >= 0, non-decreasing),
- ``X``: ``vc*t - C(t)`` (m), its integral, with ``C`` the total crush,
- ``A``: ``F(t)/mu`` (m/s^2), the derivative of ``W``.

Vehicle i's velocity change, occupant free-flight displacement and deceleration along the impulse
line are exactly ``sc*W``, ``sc*X`` and ``sc*A`` with ``sc = m_j/(m1+m2)`` (times a direction cosine
for a vehicle axis), so every vehicle/axis is a scale of one trace. After the last sample the
vehicles are in free flight: ``W`` is constant, ``X`` grows linearly and ``A`` is zero; the helpers
use that tail in closed form instead of stepping it.

Between samples, ``X`` and ``W`` are evaluated with cubic Hermite interpolation (their derivatives
``W`` and ``A`` are known at the samples), so threshold crossings are located to O(dt^4) locally.

All thresholds are arguments (no tunable globals inside jitted code, STYLE.md).
"""

from __future__ import annotations

import math

from ._jit import scalar

INF = math.inf


@scalar
def hermite_sf(t0, t1, y0, y1, d0, d1, t):
    """Cubic Hermite interpolant on [t0, t1] with values y and slopes d, evaluated at t."""
    h = t1 - t0
    if h <= 0.0:
        return y1
    u = (t - t0) / h
    u2 = u * u
    u3 = u2 * u
    return ((2.0 * u3 - 3.0 * u2 + 1.0) * y0 + (u3 - 2.0 * u2 + u) * h * d0
            + (3.0 * u2 - 2.0 * u3) * y1 + (u3 - u2) * h * d1)


@scalar
def hermite_d_sf(t0, t1, y0, y1, d0, d1, t):
    """Derivative of :func:`hermite_sf` with respect to t."""
    h = t1 - t0
    if h <= 0.0:
        return d1
    u = (t - t0) / h
    u2 = u * u
    return ((6.0 * u2 - 6.0 * u) * (y0 - y1) / h + (3.0 * u2 - 4.0 * u + 1.0) * d0
            + (3.0 * u2 - 2.0 * u) * d1)


@scalar
def interval_sf(tb, n, t):
    """Index k (1 <= k <= n-1) with tb[k-1] <= t <= tb[k]; t inside [tb[0], tb[n-1]]."""
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if tb[mid] < t:
            lo = mid
        else:
            hi = mid
    return hi


@scalar
def xw_at_sf(tb, X, W, A, n, t):
    """(X, W) of the common trace at time t >= 0, with the free-flight tail after tb[n-1]."""
    tl = tb[n - 1]
    if t >= tl:
        return X[n - 1] + W[n - 1] * (t - tl), W[n - 1]
    k = interval_sf(tb, n, t)
    t0 = tb[k - 1]
    t1 = tb[k]
    x = hermite_sf(t0, t1, X[k - 1], X[k], W[k - 1], W[k], t)
    w = hermite_sf(t0, t1, W[k - 1], W[k], A[k - 1], A[k], t)
    return x, w


@scalar
def reach_time_sf(tb, X, W, n, level):
    """First time X(t) reaches ``level`` (X is non-decreasing) and the sample index just after it.

    Returns (t, k) with tb[k-1] <= t <= tb[k], or k = n when t lies in the free-flight tail, or
    (inf, n) when the level is never reached.
    """
    if level <= X[0]:
        return tb[0], 1
    if X[n - 1] < level:
        if W[n - 1] > 0.0:
            return tb[n - 1] + (level - X[n - 1]) / W[n - 1], n
        return INF, n
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if X[mid] < level:
            lo = mid
        else:
            hi = mid
    t0 = tb[lo]
    t1 = tb[hi]
    x0 = X[lo]
    x1 = X[hi]
    w0 = W[lo]
    w1 = W[hi]
    a = t0
    b = t1
    t = t0 + (t1 - t0) * (level - x0) / (x1 - x0)
    # Safeguarded Newton on the Hermite cubic (bracket [a, b] kept, bisection fallback).
    for _ in range(12):
        f = hermite_sf(t0, t1, x0, x1, w0, w1, t) - level
        if f == 0.0:  # exact root: the bracket update below would push t off it (bisection)
            break
        if f < 0.0:
            a = t
        else:
            b = t
        d = hermite_d_sf(t0, t1, x0, x1, w0, w1, t)
        if d > 0.0:
            tn = t - f / d
            # Converged before the bracket test: a step below the tolerance can round onto the
            # bracket end just set to t, and bisecting from there would leave the root.
            if abs(tn - t) <= 1e-14 * (t1 - t0) + 1e-300:
                t = tn
                break
        else:
            tn = 0.5 * (a + b)
        if not (tn > a and tn < b):
            tn = 0.5 * (a + b)
        if abs(tn - t) <= 1e-14 * (t1 - t0) + 1e-300:
            t = tn
            break
        t = tn
    return t, hi


@scalar
def _olc_h_sf(tb, X, W, A, n, t, t1, x1, l2):
    x, w = xw_at_sf(tb, X, W, A, n, t)
    return x - x1 - 0.5 * w * (t - t1) - l2


@scalar
def olc_sf(tb, X, W, A, n, sc, l1, l2):
    """Occupant load criterion (Euro NCAP TB 027) of the trace scaled by ``sc``, in m/s^2.

    Virtual occupant: free flight until its displacement relative to the vehicle is ``l1`` (t1),
    then constant deceleration that matches the vehicle speed at t2 after a further ``l2``. ``OLC =
    dv(t2)/(t2 - t1)``. With relative displacement s = sc*X and dv = sc*W, t2 solves ``h(t) = X(t) -
    X(t1) - W(t)*(t - t1)/2 - l2/sc = 0`` (first crossing from below).
    """
    if not (sc > 0.0):
        return 0.0
    x1 = l1 / sc
    lev2 = l2 / sc
    t1, k = reach_time_sf(tb, X, W, n, x1)
    if not (t1 < INF):
        return 0.0
    tp = t1
    hp = -lev2
    t2 = INF
    for j in range(k, n):
        hj = X[j] - x1 - 0.5 * W[j] * (tb[j] - t1) - lev2
        if hj >= 0.0:
            # Illinois regula falsi on the Hermite-interpolated h in [tp, tb[j]].
            a = tp
            fa = hp
            b = tb[j]
            fb = hj
            side = 0
            t = b
            for _ in range(60):
                t = (a * fb - b * fa) / (fb - fa)
                ft = _olc_h_sf(tb, X, W, A, n, t, t1, x1, lev2)
                if ft >= 0.0:
                    b = t
                    fb = ft
                    if side == -1:
                        fa *= 0.5
                    side = -1
                else:
                    a = t
                    fa = ft
                    if side == 1:
                        fb *= 0.5
                    side = 1
                if b - a <= 1e-13 * (tb[j] - tp) + 1e-300 or ft == 0.0:
                    break
            t2 = t
            break
        tp = tb[j]
        hp = hj
    if not (t2 < INF):
        # Free-flight tail: h is linear, h = c0 + W_T*t/2.
        tl = tb[n - 1]
        wt = W[n - 1]
        if not (wt > 0.0):
            return 0.0
        c0 = X[n - 1] - wt * tl - x1 + 0.5 * wt * t1 - lev2
        t2 = -c0 / (0.5 * wt)
        if t2 < tp:
            t2 = tp
    x2, w2 = xw_at_sf(tb, X, W, A, n, t2)
    if not (t2 > t1):
        return 0.0
    return sc * w2 / (t2 - t1)


@scalar
def flail_sf(tb, X, W, A, n, sc, dist, window, dt):
    """Flail-space model (NCHRP 350 / MASH) along one line, trace scaled by ``sc``.

    Returns (t_flail, oiv, ora): the time the free occupant has moved ``dist`` relative to the
    vehicle, the relative speed then (m/s), and the highest ``window``-average vehicle deceleration
    over windows starting at or after t_flail (m/s^2; window starts are t_flail, every later sample
    and the start of the window that ends at separation). ``dt`` is the uniform sample step (all
    samples but the last are ``tb[k] = k*dt``); when the window is a whole number of steps, window
    ends on the grid are read directly instead of interpolated.
    """
    if not (sc > 0.0) or not (dist < INF):
        return INF, 0.0, 0.0
    tf, k = reach_time_sf(tb, X, W, n, dist / sc)
    if not (tf < INF):
        return INF, 0.0, 0.0
    xf, wf = xw_at_sf(tb, X, W, A, n, tf)
    tl = tb[n - 1]
    best = 0.0
    if tf < tl:
        # Window averages (W(tau+h) - W(tau))/h for tau = tf, tb[k], tb[k+1], ... < tl.
        tau = tf
        w0 = wf
        j = k
        i = k
        r = window / dt
        m = int(r + 0.5)
        if abs(r - m) > 1e-9 * r:
            m = -1
        while True:
            te = tau + window
            if m > 0 and i > k and i - 1 + m <= n - 2:
                we = W[i - 1 + m]
            elif te >= tl:
                we = W[n - 1]
            else:
                while tb[j] < te:
                    j += 1
                we = hermite_sf(tb[j - 1], tb[j], W[j - 1], W[j], A[j - 1], A[j], te)
            avg = (we - w0) / window
            if avg > best:
                best = avg
            if i >= n - 1:
                break
            tau = tb[i]
            w0 = W[i]
            i += 1
        # The window that ends at separation: the force may drop there (e = 0), so the largest
        # average can sit exactly at this start, which lies between samples.
        tau = tl - window
        if tau > tf:
            k2 = interval_sf(tb, n, tau)
            w0 = hermite_sf(tb[k2 - 1], tb[k2], W[k2 - 1], W[k2], A[k2 - 1], A[k2], tau)
            avg = (W[n - 1] - w0) / window
            if avg > best:
                best = avg
    return tf, sc * wf, sc * best


@scalar
def belt2_sf(tb, X, W, A, n, sca, scb, slack, kappa):
    """Peak decelerations (m/s^2) of two belted occupants: slack, then a linear tension-only belt.

    Occupant a rides on the trace scaled by ``sca``, occupant b on ``scb`` (the two vehicles share
    one loop so that their dependency chains overlap). Relative forward excursion q of an occupant:
    ``q'' = sc*A(t) - kappa*max(q - slack, 0)``, q(0) = q'(0) = 0; its deceleration is ``kappa*max(q
    - slack, 0)``. Until q reaches the slack the occupant is in free flight and ``q = sc*X``
    exactly, so stepping (velocity Verlet, second order) starts at the last sample before the
    earlier of the two belt contacts. After the pulse the vehicle is in free flight and the
    remaining peak follows in closed form from the undamped belt's energy.
    """
    ra = sca > 0.0 and kappa > 0.0
    rb = scb > 0.0 and kappa > 0.0
    if not (ra or rb):
        return 0.0, 0.0
    # Sample index just before the earlier belt contact.
    k0 = n - 1
    if ra:
        ta, ka = reach_time_sf(tb, X, W, n, slack / sca)
        if ka - 1 < k0:
            k0 = ka - 1
    if rb:
        tbb, kb = reach_time_sf(tb, X, W, n, slack / scb)
        if kb - 1 < k0:
            k0 = kb - 1
    if k0 < 0:
        k0 = 0
    sa = sca if ra else 0.0
    sb = scb if rb else 0.0
    qa = sa * X[k0]
    ua = sa * W[k0]
    qb = sb * X[k0]
    ub = sb * W[k0]
    ea = qa - slack
    eb = qb - slack
    fa = kappa * ea if ea > 0.0 else 0.0
    fb = kappa * eb if eb > 0.0 else 0.0
    acca = sa * A[k0] - fa
    accb = sb * A[k0] - fb
    pa = fa
    pb = fb
    for k in range(k0 + 1, n):
        h = tb[k] - tb[k - 1]
        hh = 0.5 * h * h
        ak = A[k]
        qa += ua * h + acca * hh
        qb += ub * h + accb * hh
        ea = qa - slack
        eb = qb - slack
        fa = kappa * ea if ea > 0.0 else 0.0
        fb = kappa * eb if eb > 0.0 else 0.0
        ana = sa * ak - fa
        anb = sb * ak - fb
        ua += 0.5 * (acca + ana) * h
        ub += 0.5 * (accb + anb) * h
        acca = ana
        accb = anb
        pa = max(pa, fa)
        pb = max(pb, fb)
    pa = max(pa, _belt_tail_sf(qa - slack, ua, kappa))
    pb = max(pb, _belt_tail_sf(qb - slack, ub, kappa))
    if not ra:
        pa = 0.0
    if not rb:
        pb = 0.0
    return pa, pb


@scalar
def _belt_tail_sf(ext, u, kappa):
    """Largest belt force per mass still to come in free flight (undamped elastic belt)."""
    if ext > 0.0:
        return kappa * math.sqrt(ext * ext + u * u / kappa)
    if u > 0.0:
        return kappa * u / math.sqrt(kappa)
    return 0.0


#: Cases stepped together (:func:`belt2_lanes_sf` and the pulse drivers): two AVX-512 vectors of
#: float64, so that two independent dependency chains hide each other's latency (measured faster
#: than 8 and 32 on Zen 5).
LANES = 16
#: Values per sample of its lane traces: t, W, X, A of every lane.
TW = 4 * LANES


@scalar
def belt2_lanes_sf(T, S, L, rn, rk0, rsa, rsb, rb, rpa, rpb, slack, kappa):
    """:func:`belt2_sf` for ``LANES`` cases stepped together (structure of arrays, a lane a case).

    Flat arrays with compile-time offsets (so that the compiler sees that rows do not overlap and
    vectorises the loop over lanes): the traces are ``T[k*TW + r*LANES + l]`` with r = 0, 1, 2, 3
    for t, W, X, A of lane l at sample k; the per-lane values are ``S[row*LANES + l]`` with rows
    ``rn`` (number of samples), ``rk0`` (the sample the stepping starts from, as in
    :func:`belt2_sf`; negative: lane skipped), ``rsa``/``rsb`` (the two occupants' scales, 0 for
    no belt), ``rb`` .. ``rb + 9`` (scratch), ``rpa``/``rpb`` (outputs: the peaks, free-flight
    tail included, written for lanes with k0 >= 0). Every lane executes the operations of
    :func:`belt2_sf` on its own samples; a lane outside its range ``k0 < k < n`` keeps its state
    (selects instead of branches).
    """
    oqa = (rb + 0) * LANES
    oua = (rb + 1) * LANES
    oqb = (rb + 2) * LANES
    oub = (rb + 3) * LANES
    oaa = (rb + 4) * LANES
    oab = (rb + 5) * LANES
    opa = (rb + 6) * LANES
    opb = (rb + 7) * LANES
    okf = (rb + 8) * LANES
    okl = (rb + 9) * LANES
    osa = rsa * LANES
    osb = rsb * LANES
    kmin = 1 << 62
    kmax = 0
    for l in range(L):
        S[oqa + l] = S[oua + l] = S[oqb + l] = S[oub + l] = 0.0
        S[oaa + l] = S[oab + l] = S[opa + l] = S[opb + l] = 0.0
        S[okf + l] = 1e300
        S[okl + l] = 0.0
        k0 = S[rk0 * LANES + l]
        if k0 >= 0.0:
            k = int(k0)
            s_a = S[osa + l]
            s_b = S[osb + l]
            xk = T[k * TW + 2 * LANES + l]
            wk = T[k * TW + LANES + l]
            ak = T[k * TW + 3 * LANES + l]
            qa = s_a * xk
            qb = s_b * xk
            S[oqa + l] = qa
            S[oua + l] = s_a * wk
            S[oqb + l] = qb
            S[oub + l] = s_b * wk
            ea = qa - slack
            eb = qb - slack
            fa = kappa * ea if ea > 0.0 else 0.0
            fb = kappa * eb if eb > 0.0 else 0.0
            S[oaa + l] = s_a * ak - fa
            S[oab + l] = s_b * ak - fb
            S[opa + l] = fa
            S[opb + l] = fb
            S[okf + l] = k + 1
            nk = S[rn * LANES + l]
            S[okl + l] = nk
            kmin = min(kmin, k + 1)
            kmax = max(kmax, int(nk))
    for k in range(kmin, kmax):
        fk = float(k)
        Tk = T[k * TW:(k + 1) * TW]  # views: indices >= 0, no negative-index wraparound
        Tp = T[(k - 1) * TW:k * TW]
        for l in range(L):
            act = (fk >= S[okf + l]) & (fk < S[okl + l])
            h = Tk[l] - Tp[l]
            hh = 0.5 * h * h
            ak = Tk[3 * LANES + l]
            qa = S[oqa + l]
            qb = S[oqb + l]
            ua = S[oua + l]
            ub = S[oub + l]
            aa = S[oaa + l]
            ab = S[oab + l]
            q_a = qa + ua * h + aa * hh
            q_b = qb + ub * h + ab * hh
            ea = q_a - slack
            eb = q_b - slack
            fa = kappa * ea if ea > 0.0 else 0.0
            fb = kappa * eb if eb > 0.0 else 0.0
            ana = S[osa + l] * ak - fa
            anb = S[osb + l] * ak - fb
            u_a = ua + 0.5 * (aa + ana) * h
            u_b = ub + 0.5 * (ab + anb) * h
            S[oqa + l] = q_a if act else qa
            S[oqb + l] = q_b if act else qb
            S[oua + l] = u_a if act else ua
            S[oub + l] = u_b if act else ub
            S[oaa + l] = ana if act else aa
            S[oab + l] = anb if act else ab
            pa = S[opa + l]
            pb = S[opb + l]
            S[opa + l] = max(pa, fa) if act else pa
            S[opb + l] = max(pb, fb) if act else pb
    for l in range(L):
        if S[rk0 * LANES + l] >= 0.0:
            S[rpa * LANES + l] = max(S[opa + l], _belt_tail_sf(S[oqa + l] - slack, S[oua + l], kappa))
            S[rpb * LANES + l] = max(S[opb + l], _belt_tail_sf(S[oqb + l] - slack, S[oub + l], kappa))
