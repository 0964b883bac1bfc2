"""Vectorised NumPy baseline of the crash-pulse kernel (:mod:`crashcompat.kernels.pulse`).

The benchmarks measure the compiled kernel against this (docs/model.md, Energy split and crush; Crash pulse): the same equations, the
same packed inputs and outputs, whole-array NumPy operations over the cases, no numba. The
closed-form parts (linear loading, unloading, energies) are array expressions; the integrated parts
step all cases of a chunk together:

- the force-crush law with the occupant-compartment stage: the same four-segment series law as
  the kernel (knees at the stronger face's threshold and where a face reaches its crush space);
- the linear loading: the kernel's closed form segment by segment, evaluated for all cases at once;
- the CRASH3 loading phase: velocity Verlet at the fixed step ``dt`` with the same event split at
  maximum crush as the kernel, one array step per time step for every case still loading;
- the traces ``tb, W, X, A`` of :mod:`crashcompat.kernels.occupant` are (samples, cases) arrays,
  one column per case, padded after its last sample;
- threshold crossings (OLC, flail, belt contact) are the first sample at or above the level over
  the whole column, refined by the kernel's safeguarded Newton / Illinois iterations run on all
  cases at once with a per-case convergence mask;
- ORA window averages are column differences of ``W``; the belted occupants are stepped with
  velocity Verlet over the samples, all cases together, each from its own start sample.

Cases are processed in chunks of ``chunk`` columns to bound memory (a few arrays of
samples x chunk float64). The only per-case difference to the kernel is rounding: the linear pulse
samples use ``cos``/``sin`` per sample where the kernel rotates, and numba may fuse multiply-adds
(``tests/test_pulse_numpy.py`` states the tolerances).
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels.pulse import (
    I_A1, I_A2, I_B1, I_B2, I_CS1, I_CS2, I_E, I_G1, I_G2, I_K1, I_K2, I_M1, I_M2, I_TH1, I_TH2,
    I_VC, I_W1, I_W2, I_XC1, I_XC2, MODEL_CRASH3, MODEL_LINEAR, N_OUT, O_AMEAN1, O_AMEAN2,
    O_APEAK1, O_APEAK2, O_CRATIO1, O_CRATIO2, O_CRUSH1, O_CRUSH2, O_DURATION, O_DV1, O_DV2,
    O_E1, O_E2, O_EES1,
    O_EES2, O_OCC1, O_OCC2, O_OIVX1, O_OIVY1, O_OLC1, O_ORAX1, O_ORAY1, O_TFLAIL1, O_TMAX,
    Q_FLAIL_X, Q_FLAIL_Y, Q_KAPPA, Q_OLC_DECEL, Q_OLC_FREE, Q_ORA_WINDOW, Q_SLACK, STATUS_INVALID,
    STATUS_NO_CONTACT, STATUS_NOT_SEPARATED, STATUS_OK,
)

__all__ = ["pulse_numpy"]

# Benign stand-in parameters for invalid columns, so that every array expression stays finite;
# those columns are set to NaN at the end.
_SAFE = {I_M1: 1000.0, I_M2: 1000.0, I_VC: 10.0, I_E: 0.1, I_K1: 1e6, I_K2: 1e6, I_A1: 1e4,
         I_B1: 1e6, I_A2: 1e4, I_B2: 1e6, I_W1: 1.0, I_W2: 1.0, I_G1: 1.0, I_G2: 1.0,
         I_CS1: 1.0, I_CS2: 1.0, I_TH1: 0.0, I_TH2: 0.0, I_XC1: 0.0, I_XC2: 0.0}


def pulse_numpy(model, P, occ, dt, max_steps, chunk=4096):
    """Vectorised :func:`crashcompat.kernels.pulse.pulse_grid`: returns ``(out, status)``.

    ``P`` is the (N_IN, n) input matrix, ``occ`` the occupant-parameter vector; ``out`` has shape
    (N_OUT, n) (SI, NaN where status != 0) and ``status`` shape (n,), int8, with the kernel's codes.
    """
    P = np.asarray(P, dtype=np.float64)
    occ = np.asarray(occ, dtype=np.float64)
    n = P.shape[1]
    out = np.empty((N_OUT, n))
    status = np.empty(n, dtype=np.int8)
    with np.errstate(all="ignore"):
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            o, s = _chunk(model, P[:, lo:hi], occ, float(dt), int(max_steps))
            out[:, lo:hi] = o
            status[lo:hi] = s
    return out, status


def _fin(*xs):
    return np.logical_and.reduce([np.isfinite(x) for x in xs])


def _chunk(model, P, occ, dt, max_steps):
    m1, m2, vc, e = P[I_M1], P[I_M2], P[I_VC], P[I_E]
    g1, g2, cs1, cs2, th1, th2 = P[I_G1], P[I_G2], P[I_CS1], P[I_CS2], P[I_TH1], P[I_TH2]
    ok = (_fin(m1, m2, vc, e, g1, g2, cs1, cs2, th1, th2) & (m1 > 0) & (m2 > 0) & (e >= 0)
          & (e <= 1) & (g1 > 0) & (g1 <= 1) & (g2 > 0) & (g2 <= 1) & (cs1 > 0) & (cs2 > 0)
          & (dt > 0.0) & math.isfinite(dt) & (max_steps >= 1))
    r1, r2 = 1.0 + P[I_XC1], 1.0 + P[I_XC2]
    ok &= _fin(r1, r2) & (r1 >= 1.0) & (r2 >= 1.0)
    if model == MODEL_LINEAR:
        k1 = P[I_K1] * g1
        k2 = P[I_K2] * g2
        ok &= _fin(k1, k2) & (k1 > 0) & (k2 > 0)
    else:
        f1 = g1 * P[I_W1] * P[I_A1]
        b1 = g1 * P[I_W1] * P[I_B1]
        f2 = g2 * P[I_W2] * P[I_A2]
        b2 = g2 * P[I_W2] * P[I_B2]
        ok &= ((model == MODEL_CRASH3) & _fin(f1, b1, f2, b2) & (P[I_W1] > 0) & (P[I_W2] > 0)
               & (P[I_A1] >= 0) & (P[I_A2] >= 0) & (b1 > 0) & (b2 > 0))
    status = np.where(ok, np.where(vc > 0, STATUS_OK, STATUS_NO_CONTACT), STATUS_INVALID)
    good = status == STATUS_OK
    if not good.all():  # stand-in values so that the arrays below stay finite
        P = P.copy()
        for row, v in _SAFE.items():
            P[row] = np.where(good, P[row], v)
        return _chunk_valid(model, P, occ, dt, max_steps, status.astype(np.int8))
    return _chunk_valid(model, P, occ, dt, max_steps, status.astype(np.int8))


def _first_at_or_after(dt, t, start):
    """Smallest integer j >= start with j*dt >= t (as the kernel's ``while j*dt < t`` loops)."""
    j = np.maximum(np.ceil(t / dt), start).astype(np.int64)
    j = np.where((j - 1 >= start) & ((j - 1) * dt >= t), j - 1, j)
    j = np.where(j * dt < t, j + 1, j)
    return j


def _chunk_valid(model, P, occ, dt, max_steps, status):
    nc = P.shape[1]
    cols = np.arange(nc)
    m1, m2, vc, e = P[I_M1], P[I_M2], P[I_VC], P[I_E]
    g1, g2 = P[I_G1], P[I_G2]
    msum = m1 + m2
    mu = m1 * m2 / msum
    nmax = max_steps + 1
    cs1, cs2 = P[I_CS1], P[I_CS2]
    r1, r2 = 1.0 + P[I_XC1], 1.0 + P[I_XC2]
    if model == MODEL_LINEAR:
        f1 = f2 = np.zeros(nc)
        b1 = P[I_K1] * g1
        b2 = P[I_K2] * g2
    else:
        f1 = g1 * P[I_W1] * P[I_A1]
        b1 = g1 * P[I_W1] * P[I_B1]
        f2 = g2 * P[I_W2] * P[I_A2]
        b2 = g2 * P[I_W2] * P[I_B2]
    law = _law(f1, b1, cs1, r1, f2, b2, cs2, r2)
    if model == MODEL_LINEAR:
        tm, cm, fm, segs = _linear_segments(vc, mu, law)
        eload = 0.5 * mu * vc * vc
        nl = _first_at_or_after(dt, tm, 0)  # loading samples 0 .. nl-1
        bad = nl > nmax
        load_rows = None
    else:
        tm, cm, nl, bad, load_rows = _crash3_loading(vc, mu, law, dt, nmax)
        fm = _law_force(cm, law)
        eload = _law_energy(cm, law)
    cr1 = _face_crush(fm, f1, b1, cs1, r1)
    cr2 = _face_crush(fm, f2, b2, cs2, r2)
    e1 = _face_energy(cr1, f1, b1, cs1, r1)
    e2 = _face_energy(cr2, f2, b2, cs2, r2)
    if model == MODEL_LINEAR:
        sh = eload / (e1 + e2)
        e1 = e1 * sh
        e2 = e2 * sh

    # Unloading in closed form (a quarter sine of omu), as in the kernel.
    ku = np.where(e > 0.0, fm * fm / (2.0 * e * e * eload), np.inf)
    unl = ku < np.inf
    omu = np.sqrt(ku / mu)
    amp = fm / ku
    tsep = np.where(unl, tm + 0.5 * np.pi / omu, tm)
    wsep = np.where(unl, -amp * omu, 0.0)
    j0 = np.where(nl * dt < tm, nl + 1, nl)  # first grid time at or after tm
    ju = np.where(unl, _first_at_or_after(dt, tsep, j0), nl)  # index of the separation sample
    bad |= ju > nmax
    status = np.where((status == STATUS_OK) & bad, STATUS_NOT_SEPARATED, status).astype(np.int8)
    good = status == STATUS_OK
    ju = np.where(good, ju, 1)  # stand-in trace for the others: two samples
    nn = ju + 1
    S = int(nn.max())
    r = np.arange(S)[:, None]
    t = r * dt
    tb = np.full((S, nc), np.inf)
    W = np.zeros((S, nc))
    X = np.zeros((S, nc))
    A = np.zeros((S, nc))
    loading = r < nl
    if model == MODEL_LINEAR:
        for active, ts, te, om_j, amp_j, psi, off, sj in segs:
            seg = loading & active & (t >= ts) & (t < te)
            ph = om_j * (t - ts) + psi
            c = np.cos(ph)
            s = np.sin(ph)
            np.copyto(tb, t, where=seg)
            np.copyto(W, vc - amp_j * om_j * c, where=seg)
            np.copyto(X, vc * t - (off + amp_j * s), where=seg)
            np.copyto(A, sj * amp_j * s / mu, where=seg)
    else:
        Lt, LW, LX, LA = load_rows
        L = min(Lt.shape[0], S)
        sl = loading[:L]
        np.copyto(tb[:L], Lt[:L], where=sl)
        np.copyto(W[:L], LW[:L], where=sl)
        np.copyto(X[:L], LX[:L], where=sl)
        np.copyto(A[:L], LA[:L], where=sl)
    unloading = unl & (r >= j0) & (r < ju)
    ph = omu * (t - tm)
    c = np.cos(ph)
    s = np.sin(ph)
    np.copyto(tb, t, where=unloading)
    np.copyto(W, vc + amp * omu * s, where=unloading)
    np.copyto(X, vc * t - ((cm - amp) + amp * c), where=unloading)
    np.copyto(A, fm * c / mu, where=unloading)
    tb[ju, cols] = tsep
    W[ju, cols] = vc - wsep
    X[ju, cols] = np.where(unl, vc * tsep - (cm - amp), vc * tm - cm)
    A[ju, cols] = np.where(unl, 0.0, fm / mu)
    bg = ~good  # stand-in two-sample trace: X = W = t, A = 1 (finite, increasing)
    tb[:2, bg] = [[0.0], [1.0]]
    W[:2, bg] = [[0.0], [1.0]]
    X[:2, bg] = [[0.0], [1.0]]
    A[:2, bg] = 1.0
    tr = _Trace(tb, X, W, A, nn, dt)

    s1 = m2 / msum
    s2 = m1 / msum
    dvrel = vc - wsep
    dv1 = s1 * dvrel
    dv2 = s2 * dvrel
    loss = 1.0 - e * e
    out = np.empty((N_OUT, nc))
    out[O_DURATION] = tsep
    out[O_TMAX] = tm
    out[O_DV1] = dv1
    out[O_DV2] = dv2
    out[O_APEAK1] = fm / m1
    out[O_APEAK2] = fm / m2
    out[O_AMEAN1] = dv1 / tsep
    out[O_AMEAN2] = dv2 / tsep
    out[O_CRUSH1] = cr1
    out[O_CRUSH2] = cr2
    out[O_CRATIO1] = cr1 / P[I_CS1]
    out[O_CRATIO2] = cr2 / P[I_CS2]
    out[O_E1] = loss * e1
    out[O_E2] = loss * e2
    out[O_EES1] = np.sqrt(2.0 * loss * e1 / m1)
    out[O_EES2] = np.sqrt(2.0 * loss * e2 / m2)

    l1, l2 = occ[Q_OLC_FREE], occ[Q_OLC_DECEL]
    dx, dy = occ[Q_FLAIL_X], occ[Q_FLAIL_Y]
    win, slack, kap = occ[Q_ORA_WINDOW], occ[Q_SLACK], occ[Q_KAPPA]
    cxs = []
    for veh, (sv, th) in enumerate(((s1, P[I_TH1]), (s2, P[I_TH2]))):
        cx = np.abs(np.cos(th))
        cy = np.abs(np.sin(th))
        cxs.append(cx)
        olc = _olc(tr, sv * cx, l1, l2)
        dist = np.where(cx > 0.0, dx / cx, np.inf)
        dist = np.where((cy > 0.0) & (dy / cy < dist), dy / cy, dist)
        tf, oiv, ora = _flail(tr, sv, dist, win)
        out[O_OLC1 + veh] = olc
        out[O_OIVX1 + 2 * veh] = oiv * cx
        out[O_OIVY1 + 2 * veh] = oiv * cy
        out[O_ORAX1 + 2 * veh] = ora * cx
        out[O_ORAY1 + 2 * veh] = ora * cy
        out[O_TFLAIL1 + veh] = tf
    out[O_OCC1], out[O_OCC2] = _belt2(tr, s1 * cxs[0], s2 * cxs[1], slack, kap)
    out[:, ~good] = np.nan
    return out, status


def _face_crush(f, fo, b, cs, r):
    """Crush of one face at force f (kernel: face_crush_sf)."""
    fs = fo + b * cs
    return np.where(f <= fo, 0.0, np.where(f <= fs, (f - fo) / b, cs + (f - fs) / (r * b)))


def _face_energy(c, fo, b, cs, r):
    """Loading energy of one face crushed by c (kernel: face_energy_sf)."""
    d = c - cs
    return np.where(c <= cs, fo * c + 0.5 * b * c * c,
                    fo * cs + 0.5 * b * cs * cs + (fo + b * cs) * d + 0.5 * r * b * d * d)


def _slope(p, f1, b1, fs1, r1, f2, b2, fs2, r2):
    comp = (np.where(f1 <= p, np.where(p < fs1, 1.0 / b1, 1.0 / (r1 * b1)), 0.0)
            + np.where(f2 <= p, np.where(p < fs2, 1.0 / b2, 1.0 / (r2 * b2)), 0.0))
    return 1.0 / comp


def _law(f1, b1, cs1, r1, f2, b2, cs2, r2):
    """The series law (f0, c1, c2, c3, s0, s1, s2, s3) of every case (kernel: series_law_sf)."""
    fs1 = f1 + b1 * cs1
    fs2 = f2 + b2 * cs2
    f0 = np.minimum(f1, f2)
    p = np.sort(np.stack([np.maximum(f1, f2), fs1, fs2]), axis=0)
    cs = [_face_crush(pj, f1, b1, cs1, r1) + _face_crush(pj, f2, b2, cs2, r2) for pj in p]
    sl = [_slope(pj, f1, b1, fs1, r1, f2, b2, fs2, r2) for pj in (f0, p[0], p[1], p[2])]
    return (f0, cs[0], cs[1], cs[2], sl[0], sl[1], sl[2], sl[3])


def _law_force(c, law):
    f0, c1, c2, c3, s0, s1, s2, s3 = law
    return (f0 + s0 * c + (s1 - s0) * np.maximum(c - c1, 0.0) + (s2 - s1) * np.maximum(c - c2, 0.0)
            + (s3 - s2) * np.maximum(c - c3, 0.0))


def _law_energy(c, law):
    f0, c1, c2, c3, s0, s1, s2, s3 = law
    d1, d2, d3 = (np.maximum(c - ck, 0.0) for ck in (c1, c2, c3))
    return f0 * c + 0.5 * (s0 * c * c + (s1 - s0) * d1 * d1 + (s2 - s1) * d2 * d2
                           + (s3 - s2) * d3 * d3)


def _linear_segments(vc, mu, law):
    """The linear model's loading in closed form, segment by segment (kernel: linear_loading_sf),
    for all cases at once: returns tm, cm, fm and per segment (active, t_start, t_end, omega,
    amplitude, phase, offset, slope)."""
    f0, c1, c2, c3, s0, s1, s2, s3 = law
    nc = vc.size
    t0 = np.zeros(nc)
    cpos = np.zeros(nc)
    w = vc.copy()
    done = np.zeros(nc, dtype=bool)
    tm = np.full(nc, np.nan)
    cm = np.full(nc, np.nan)
    fm = np.full(nc, np.nan)
    segs = []
    for cj, sj, cn in ((0.0 * c1, s0, c1), (c1, s1, c2), (c2, s2, c3), (c3, s3, np.inf + 0 * c3)):
        active = ~done & (cn > cpos)
        fj = _law_force(cj, (0.0 * f0, c1, c2, c3, s0, s1, s2, s3))
        om = np.sqrt(sj / mu)
        off = cj - fj / sj
        y0 = cpos - off
        u0 = w / om
        amp = np.hypot(y0, u0)
        psi = np.arctan2(y0, u0)
        last = ~(amp > cn - off)
        the = np.where(last, 0.5 * np.pi, np.arcsin(np.clip((cn - off) / amp, -1.0, 1.0)))
        te = t0 + (the - psi) / om
        segs.append((active, t0.copy(), te, om, amp, psi, off, sj))
        fin = active & last
        tm = np.where(fin, te, tm)
        cm = np.where(fin, off + amp, cm)
        fm = np.where(fin, sj * amp, fm)
        adv = active & ~last
        t0 = np.where(adv, te, t0)
        cpos = np.where(adv, cn, cpos)
        w = np.where(adv, amp * om * np.cos(the), w)
        done |= fin
    return tm, cm, fm, segs


def _crash3_loading(vc, mu, law, dt, nmax):
    """Velocity Verlet on x = C, v = w, a = -F(C)/mu for all cases at once, with the kernel's
    event split at w = 0. Returns tm, cmax, nl (loading samples), not-separated mask and the
    sample rows (t, W, X, A), each (steps, cases)."""
    nc = vc.size
    x = np.zeros(nc)
    v = vc.copy()
    a = -law[0] / mu
    act = np.ones(nc, dtype=bool)
    tm = np.full(nc, np.nan)
    cmax = np.full(nc, np.nan)
    nl = np.zeros(nc, dtype=np.int64)
    rows_t, rows_W, rows_X, rows_A = [], [], [], []
    k = 0
    while act.any() and k < nmax:
        t = k * dt
        rows_t.append(np.full(nc, t))
        rows_W.append(vc - v)
        rows_X.append(vc * t - x)
        rows_A.append(-a)
        x1 = x + v * dt + 0.5 * a * dt * dt
        a1 = -_law_force(x1, law) / mu
        v1 = v + 0.5 * (a + a1) * dt
        ev = act & (v1 <= 0.0)
        if ev.any():
            # v + a*tau + (a1-a)*tau^2/(2 dt) = 0 by Newton from the linear guess.
            tau0 = dt * v / (v - v1)
            q = (a1 - a) / dt
            tau = tau0
            for _ in range(4):
                fv = v + a * tau + 0.5 * q * tau * tau
                dfv = a + q * tau
                tau = np.where(dfv != 0.0, tau - fv / dfv, tau)
            tau = np.where((tau >= 0.0) & (tau <= dt), tau, tau0)
            cm_ev = x + v * tau + 0.5 * a * tau * tau + q * tau * tau * tau / 6.0
            cmax = np.where(ev, cm_ev, cmax)
            tm = np.where(ev, t + tau, tm)
            nl = np.where(ev, k + 1, nl)
            act &= ~ev
        x = np.where(act, x1, x)
        v = np.where(act, v1, v)
        a = np.where(act, a1, a)
        k += 1
    bad = act  # still loading after nmax samples
    nl = np.where(bad, 0, nl)
    stack = [np.array(rows) if rows else np.zeros((0, nc))
             for rows in (rows_t, rows_W, rows_X, rows_A)]
    return tm, cmax, nl, bad, stack


class _Trace:
    """The common traces of all cases of a chunk: (S, nc) arrays and per-case sample counts."""

    def __init__(self, tb, X, W, A, n, dt):
        self.tb, self.X, self.W, self.A, self.n, self.dt = tb, X, W, A, n, dt
        self.cols = np.arange(tb.shape[1])
        self.rows = np.arange(tb.shape[0])[:, None]
        last = n - 1
        self.tl = tb[last, self.cols]
        self.Xl = X[last, self.cols]
        self.Wl = W[last, self.cols]

    def at(self, arr, idx):
        return arr[idx, self.cols]

    def interval(self, t):
        """Index k >= 1 with tb[k-1] < t <= tb[k] (t inside the trace; as ``interval_sf``)."""
        k = np.argmax(self.tb[1:] >= t, axis=0) + 1
        return np.minimum(k, self.n - 1)

    def herm(self, k, t, which):
        """Hermite interpolant of X (slopes W) or W (slopes A) on interval k at t."""
        y, d = (self.X, self.W) if which == "X" else (self.W, self.A)
        return _hermite(self.at(self.tb, k - 1), self.at(self.tb, k), self.at(y, k - 1),
                        self.at(y, k), self.at(d, k - 1), self.at(d, k), t)

    def xw_at(self, t):
        """(X, W) at time t with the free-flight tail after the last sample (``xw_at_sf``)."""
        tail = t >= self.tl
        tt = np.where(tail, self.tl, t)
        k = self.interval(tt)
        x = np.where(tail, self.Xl + self.Wl * (t - self.tl), self.herm(k, tt, "X"))
        w = np.where(tail, self.Wl, self.herm(k, tt, "W"))
        return x, w

    def reach(self, level):
        """First time X reaches ``level`` and the sample index just after it (``reach_time_sf``).
        """
        tb, X = self.tb, self.X
        first = level <= X[0]
        tail = ~first & (self.Xl < level)
        hi = np.argmax(X >= level, axis=0)
        inner = ~first & ~tail
        hi = np.where(inner, np.clip(hi, 1, self.n - 1), 1)
        lo = hi - 1
        t0, t1 = self.at(tb, lo), self.at(tb, hi)
        x0, x1 = self.at(X, lo), self.at(X, hi)
        w0, w1 = self.at(self.W, lo), self.at(self.W, hi)
        a = t0
        b = t1
        t = t0 + (t1 - t0) * (level - x0) / (x1 - x0)
        act = inner.copy()
        for _ in range(12):
            if not act.any():
                break
            f = _hermite(t0, t1, x0, x1, w0, w1, t) - level
            act &= f != 0.0  # exact root: keep t (as reach_time_sf)
            neg = f < 0.0
            a = np.where(act & neg, t, a)
            b = np.where(act & ~neg, t, b)
            d = _hermite_d(t0, t1, x0, x1, w0, w1, t)
            tol = 1e-14 * (t1 - t0) + 1e-300
            tn = np.where(d > 0.0, t - f / d, 0.5 * (a + b))
            small = (d > 0.0) & (np.abs(tn - t) <= tol)
            tn = np.where(small | ((tn > a) & (tn < b)), tn, 0.5 * (a + b))
            conv = np.abs(tn - t) <= tol
            t = np.where(act, tn, t)
            act &= ~conv
        t_tail = np.where(self.Wl > 0.0, self.tl + (level - self.Xl) / self.Wl, np.inf)
        t = np.where(first, tb[0], np.where(tail, t_tail, t))
        k = np.where(first, 1, np.where(tail, self.n, hi))
        return t, k


def _hermite(t0, t1, y0, y1, d0, d1, t):
    h = t1 - t0
    u = (t - t0) / h
    u2 = u * u
    u3 = u2 * u
    y = ((2.0 * u3 - 3.0 * u2 + 1.0) * y0 + (u3 - 2.0 * u2 + u) * h * d0
         + (3.0 * u2 - 2.0 * u3) * y1 + (u3 - u2) * h * d1)
    return np.where(h <= 0.0, y1, y)


def _hermite_d(t0, t1, y0, y1, d0, d1, t):
    h = t1 - t0
    u = (t - t0) / h
    u2 = u * u
    y = ((6.0 * u2 - 6.0 * u) * (y0 - y1) / h + (3.0 * u2 - 4.0 * u + 1.0) * d0
         + (3.0 * u2 - 2.0 * u) * d1)
    return np.where(h <= 0.0, d1, y)


def _olc(tr, sc, l1, l2):
    """``olc_sf`` for all cases: first crossing of h(t) = X - X(t1) - W (t - t1)/2 - l2/sc."""
    pos = sc > 0.0
    x1 = l1 / sc
    lev2 = l2 / sc
    t1, k = tr.reach(np.where(pos, x1, np.inf))
    live = pos & (t1 < np.inf)
    tb, X, W = tr.tb, tr.X, tr.W
    H = X - x1 - 0.5 * W * (tb - t1) - lev2
    span = (tr.rows >= k) & (tr.rows < tr.n)
    hit = span & (H >= 0.0)
    found = live & hit.any(axis=0)
    j = np.where(found, np.argmax(hit, axis=0), 1)
    prev = np.maximum(j - 1, 0)
    after = found & (j > k)
    tp = np.where(after, tr.at(tb, prev), t1)
    hp = np.where(after, tr.at(H, prev), -lev2)
    # Illinois regula falsi on the Hermite-interpolated h in [tp, tb[j]] (all in interval j).
    tj = tr.at(tb, j)
    ja = np.maximum(j, 1)
    a, fa, b, fb = tp.copy(), hp.copy(), tj.copy(), tr.at(H, j)
    side = np.zeros(t1.shape, dtype=np.int8)
    t = b.copy()
    act = found.copy()
    for _ in range(60):
        if not act.any():
            break
        tn = (a * fb - b * fa) / (fb - fa)
        xx = tr.herm(ja, tn, "X")
        ww = tr.herm(ja, tn, "W")
        tl_hit = tn >= tr.tl
        xx = np.where(tl_hit, tr.Xl + tr.Wl * (tn - tr.tl), xx)
        ww = np.where(tl_hit, tr.Wl, ww)
        ft = xx - x1 - 0.5 * ww * (tn - t1) - lev2
        up = ft >= 0.0
        b_new = np.where(up, tn, b)
        fb_new = np.where(up, ft, np.where(side == 1, 0.5 * fb, fb))
        a_new = np.where(up, a, tn)
        fa_new = np.where(up, np.where(side == -1, 0.5 * fa, fa), ft)
        side_new = np.where(up, -1, 1).astype(np.int8)
        a = np.where(act, a_new, a)
        fa = np.where(act, fa_new, fa)
        b = np.where(act, b_new, b)
        fb = np.where(act, fb_new, fb)
        side = np.where(act, side_new, side)
        t = np.where(act, tn, t)
        conv = (b - a <= 1e-13 * (tj - tp) + 1e-300) | (ft == 0.0)
        act &= ~conv
    # Free-flight tail: h linear in t.
    tp_end = np.where(k <= tr.n - 1, tr.tl, t1)
    wt = tr.Wl
    c0 = tr.Xl - wt * tr.tl - x1 + 0.5 * wt * t1 - lev2
    t2_tail = np.maximum(-c0 / (0.5 * wt), tp_end)
    t2 = np.where(found, t, t2_tail)
    _, w2 = tr.xw_at(np.where(live, t2, 0.0))
    res = sc * w2 / (t2 - t1)
    ok = live & (found | (wt > 0.0)) & (t2 > t1)
    return np.where(ok, res, 0.0)


def _flail(tr, sc, dist, window):
    """``flail_sf`` for all cases: (t_flail, OIV, ORA) along one line."""
    live0 = (sc > 0.0) & (dist < np.inf)
    tf, k = tr.reach(np.where(live0, dist / sc, np.inf))
    live = live0 & (tf < np.inf)
    tfs = np.where(live, tf, 0.0)
    _, wf = tr.xw_at(tfs)
    tl, Wl, n, dt = tr.tl, tr.Wl, tr.n, tr.dt
    inside = live & (tf < tl)
    # The window starting at t_flail.
    te = tfs + window
    te_in = np.where(te >= tl, tl, te)
    we = np.where(te >= tl, Wl, tr.herm(tr.interval(te_in), te_in, "W"))
    best = np.maximum(0.0, (we - wf) / window)
    # Windows starting at the samples k .. n-2.
    r = window / dt
    m = int(r + 0.5)
    if abs(r - m) > 1e-9 * r:
        m = -1
    S = tr.tb.shape[0]
    rows = tr.rows
    starts = (rows >= k) & (rows <= n - 2)
    tes = tr.tb + window
    if m > 0:
        idx = np.minimum(rows + m, S - 1)
        we_grid = np.take_along_axis(tr.W, np.broadcast_to(idx, tr.W.shape), axis=0)
        on_grid = rows + m <= n - 2
    else:
        we_grid = np.zeros_like(tr.W)
        on_grid = np.zeros(tr.W.shape, dtype=bool)
    past = tes >= tl
    need = starts & ~on_grid & ~past
    we_all = np.where(on_grid, we_grid, Wl)
    if need.any():
        # Interval of te on the uniform grid (tb[j] = j*dt below the last sample).
        ri, ci = np.nonzero(need)
        tq = tes[ri, ci]
        j = np.ceil(tq / dt).astype(np.int64)
        nq = n[ci]
        j = np.clip(j, 1, nq - 1)
        tbj = tr.tb[j, ci]
        j = np.where((tbj < tq) & (j < nq - 1), j + 1, j)
        j = np.where((j > 1) & (tr.tb[j - 1, ci] >= tq), j - 1, j)
        we_all[ri, ci] = _hermite(tr.tb[j - 1, ci], tr.tb[j, ci], tr.W[j - 1, ci], tr.W[j, ci],
                                  tr.A[j - 1, ci], tr.A[j, ci], tq)
    avg = np.where(starts, (we_all - tr.W) / window, 0.0)
    best = np.maximum(best, avg.max(axis=0, initial=0.0))
    # The window that ends at separation.
    tau = tl - window
    endw = tau > tfs
    tau_s = np.where(endw, tau, tl)
    w0 = tr.herm(tr.interval(tau_s), tau_s, "W")
    best = np.where(endw, np.maximum(best, (Wl - w0) / window), best)
    best = np.where(inside, best, 0.0)
    return (np.where(live, tf, np.inf), np.where(live, sc * wf, 0.0),
            np.where(live, sc * best, 0.0))


def _belt2(tr, sca, scb, slack, kappa):
    """``belt2_sf`` for all cases: velocity Verlet from the sample before the earlier belt
    contact, every case from its own start sample, then the free-flight closed form."""
    ra = (sca > 0.0) & (kappa > 0.0)
    rb = (scb > 0.0) & (kappa > 0.0)
    n = tr.n
    k0 = n - 1
    _, ka = tr.reach(np.where(ra, slack / sca, np.inf))
    k0 = np.where(ra, np.minimum(k0, ka - 1), k0)
    _, kb = tr.reach(np.where(rb, slack / scb, np.inf))
    k0 = np.where(rb, np.minimum(k0, kb - 1), k0)
    k0 = np.maximum(k0, 0)
    sa = np.where(ra, sca, 0.0)
    sb = np.where(rb, scb, 0.0)
    tb, X, W, A = tr.tb, tr.X, tr.W, tr.A
    qa = sa * tr.at(X, k0)
    ua = sa * tr.at(W, k0)
    qb = sb * tr.at(X, k0)
    ub = sb * tr.at(W, k0)
    fa = np.maximum(kappa * (qa - slack), 0.0)
    fb = np.maximum(kappa * (qb - slack), 0.0)
    a0 = tr.at(A, k0)
    acca = sa * a0 - fa
    accb = sb * a0 - fb
    pa = fa.copy()
    pb = fb.copy()
    for k in range(int(k0.min()) + 1, int(n.max())):
        act = (k > k0) & (k < n)
        h = np.where(act, tb[k] - tb[k - 1], 0.0)
        hh = 0.5 * h * h
        ak = A[k]
        qa2 = qa + ua * h + acca * hh
        qb2 = qb + ub * h + accb * hh
        fa2 = np.maximum(kappa * (qa2 - slack), 0.0)
        fb2 = np.maximum(kappa * (qb2 - slack), 0.0)
        ana = sa * ak - fa2
        anb = sb * ak - fb2
        ua = np.where(act, ua + 0.5 * (acca + ana) * h, ua)
        ub = np.where(act, ub + 0.5 * (accb + anb) * h, ub)
        qa = np.where(act, qa2, qa)
        qb = np.where(act, qb2, qb)
        acca = np.where(act, ana, acca)
        accb = np.where(act, anb, accb)
        pa = np.where(act, np.maximum(pa, fa2), pa)
        pb = np.where(act, np.maximum(pb, fb2), pb)
    pa = np.maximum(pa, _belt_tail(qa - slack, ua, kappa))
    pb = np.maximum(pb, _belt_tail(qb - slack, ub, kappa))
    return np.where(ra, pa, 0.0), np.where(rb, pb, 0.0)


def _belt_tail(ext, u, kappa):
    """Largest belt force per mass still to come in free flight (undamped elastic belt)."""
    return np.where(ext > 0.0, kappa * np.sqrt(ext * ext + u * u / kappa),
                    np.where(u > 0.0, kappa * u / math.sqrt(kappa) if kappa > 0 else 0.0, 0.0))
