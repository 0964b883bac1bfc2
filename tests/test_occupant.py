"""Occupant measures: closed forms on synthetic pulses, jitted helpers vs the NumPy functions,
trace validation, and the SAE J211 CFC filter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from crashcompat.severity import occupant as occ
from crashcompat.kernels import occupant as kocc
from reference.pulse import _belt_peak
from crashcompat.units import G0

L1, L2 = 0.065, 0.235


def _const_trace(D, T, dt):
    """Common-trace buffers for a constant deceleration D lasting T (then free flight)."""
    t = np.arange(0.0, T + 0.5 * dt, dt)
    return t, D * t, 0.5 * D * t * t, np.full_like(t, D)


def _halfsine_trace(D, T, dt):
    om = math.pi / T
    t = np.arange(0.0, T + 0.5 * dt, dt)
    t[-1] = T
    W = D / om * (1 - np.cos(om * t))
    X = D / om * (t - np.sin(om * t) / om)
    A = D * np.sin(om * t)
    A[-1] = 0.0
    return t, W, X, A


def _halfsine_olc_exact(D, T):
    """OLC of a half-sine (free flight after T) from its analytic kinematics and scalar roots."""
    om = math.pi / T
    W = lambda t: D / om * (1 - math.cos(om * min(t, T)))  # noqa: E731
    X = lambda t: (D / om * (min(t, T) - math.sin(om * min(t, T)) / om)  # noqa: E731
                   + W(T) * max(t - T, 0.0))
    t1 = brentq(lambda t: X(t) - L1, 0.0, 10.0, xtol=1e-15)
    h = lambda t: X(t) - L1 - 0.5 * W(t) * (t - t1) - L2  # noqa: E731
    a = t1
    while h(a + 1e-4) < 0.0:
        a += 1e-4
    t2 = brentq(h, a, a + 1e-4, xtol=1e-15)
    return W(t2) / (t2 - t1)


@pytest.mark.parametrize("D", [50.0, 200.0, 400.0])
def test_olc_constant_deceleration_closed_form(D):
    """Constant deceleration D: t1 = sqrt(2 L1/D), t2 - t1 = 2 L2/(D t1), OLC = D (1 + L1/L2)."""
    expected = D * (1 + L1 / L2)
    t, W, X, A = _const_trace(D, 1.0, 1e-4)
    assert kocc.olc_sf(t, X, W, A, t.size, 1.0, L1, L2) == pytest.approx(expected, rel=1e-9)
    # the same trace with scale 0.5 is a deceleration D/2
    assert kocc.olc_sf(t, X, W, A, t.size, 0.5, L1, L2) == pytest.approx(expected / 2, rel=1e-9)
    assert occ.olc(t, -A) * G0 == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("D,T", [(300.0, 0.08), (600.0, 0.05), (150.0, 0.12)])
def test_olc_half_sine_matches_exact_and_slow(D, T):
    exact = _halfsine_olc_exact(D, T)
    t, W, X, A = _halfsine_trace(D, T, 2e-4)
    assert kocc.olc_sf(t, X, W, A, t.size, 1.0, L1, L2) == pytest.approx(exact, rel=1e-6)
    tf = np.arange(0.0, 0.6, 1e-5)
    af = np.where(tf <= T, -D * np.sin(math.pi * tf / T), 0.0)
    assert occ.olc(tf, af) * G0 == pytest.approx(exact, rel=1e-4)


@pytest.mark.parametrize("D", [80.0, 250.0])
def test_oiv_ora_constant_deceleration_closed_form(D):
    """Constant D: t_flail = sqrt(2*0.6/D), OIV = sqrt(2*0.6*D), ORA = D."""
    tfl = math.sqrt(1.2 / D)
    t, W, X, A = _const_trace(D, 1.0, 1e-4)
    tf, oiv, ora = kocc.flail_sf(t, X, W, A, t.size, 1.0, 0.6, 0.010, 1e-4)
    assert tf == pytest.approx(tfl, rel=1e-9)
    assert oiv == pytest.approx(math.sqrt(1.2 * D), rel=1e-9)
    assert ora == pytest.approx(D, rel=1e-9)
    r = occ.oiv_ora(t, -A)
    assert r.t_flail == pytest.approx(tfl, rel=1e-4)
    assert r.oiv_x == pytest.approx(math.sqrt(1.2 * D), rel=1e-4)
    assert r.oiv_y == 0.0 and r.oiv == pytest.approx(r.oiv_x)
    assert r.ora_x == pytest.approx(D / G0, rel=1e-6)
    # lateral only: 0.3 m flail
    r = occ.oiv_ora(t, np.zeros_like(A), A)
    assert r.t_flail == pytest.approx(math.sqrt(0.6 / D), rel=1e-4)
    assert r.oiv_y == pytest.approx(math.sqrt(0.6 * D), rel=1e-4) and r.oiv_x == 0.0


@pytest.mark.parametrize("D,T", [(300.0, 0.12), (600.0, 0.09), (150.0, 0.15)])
def test_flail_half_sine_kernel_vs_slow(D, T):
    t, W, X, A = _halfsine_trace(D, T, 2e-4)
    om = math.pi / T
    Xf = lambda s: D / om * (s - math.sin(om * s) / om) - 0.6  # noqa: E731
    tf_exact = brentq(Xf, 0.0, T) if Xf(T) > 0 else None
    tf, oiv, ora = kocc.flail_sf(t, X, W, A, t.size, 1.0, 0.6, 0.010, 2e-4)
    if tf_exact is not None:
        assert tf == pytest.approx(tf_exact, rel=1e-8)
        assert oiv == pytest.approx(D / om * (1 - math.cos(om * tf_exact)), rel=1e-8)
    tt = np.arange(0.0, 1.0, 1e-5)
    a = np.where(tt <= T, -D * np.sin(om * tt), 0.0)
    r = occ.oiv_ora(tt, a)
    assert r.t_flail == pytest.approx(tf, rel=1e-4)
    assert r.oiv_x == pytest.approx(oiv, rel=1e-4)
    assert r.ora_x * G0 == pytest.approx(ora, rel=2e-3, abs=1e-6)


def test_belt_kernel_vs_solve_ivp():
    D, T = 350.0, 0.09
    t, W, X, A = _halfsine_trace(D, T, 1e-4)
    pa, pb = kocc.belt2_sf(t, X, W, A, t.size, 1.0, 0.6, 0.05, 2500.0)
    tt = np.arange(0.0, 0.4, 1e-5)
    a = np.where(tt <= T, D * np.sin(math.pi * tt / T), 0.0)
    assert pa == pytest.approx(_belt_peak(tt, a, 0.05, 2500.0), rel=2e-3)
    assert pb == pytest.approx(_belt_peak(tt, 0.6 * a, 0.05, 2500.0), rel=2e-3)
    # a stiff, slack-free belt follows the vehicle: peak close to D (dynamic factor >= 1)
    pa, _ = kocc.belt2_sf(t, X, W, A, t.size, 1.0, 1.0, 0.0, 1e6)
    assert D <= pa < 1.1 * D


@pytest.mark.parametrize("fn", [occ.olc, lambda t, a: occ.oiv_ora(t, a),
                                lambda t, a: occ.cfc_filter(t, a, 60)])
def test_trace_validation(fn):
    t = np.arange(0.0, 0.2, 1e-4)
    a = -100 * np.ones_like(t)
    with pytest.raises(ValueError, match="too short"):
        fn(t[:2], a[:2])
    bad = a.copy()
    bad[10] = np.nan
    with pytest.raises(ValueError, match="^a|ax"):
        fn(t, bad)
    tj = t.copy()
    tj[50] += 2e-6  # 2 % of the interval
    with pytest.raises(ValueError, match="unevenly sampled"):
        fn(tj, a)
    with pytest.raises(ValueError, match="same shape"):
        fn(t, a[:-1])


def test_trace_too_short_for_the_occupant_is_a_clear_error():
    # The issue asks for a clear ValueError on traces that are too short (no silent NaN); NaN
    # stays available on request for batch use (this test asserted NaN before).
    # at 50 m/s^2 the free-flight gap of 0.065 m closes at t1 = sqrt(2 * 0.065 / 50) = 51 ms:
    # a 20 ms trace ends in free flight, an 80 ms trace during the 0.235 m deceleration phase
    t = np.arange(0.0, 0.02, 1e-4)
    with pytest.raises(ValueError, match=r"trace ends before the free-flying occupant travels "
                                         r"0\.065 m \(t1\)"):
        occ.olc(t, -50 * np.ones_like(t))
    assert math.isnan(occ.olc(t, -50 * np.ones_like(t), short="nan"))
    t_mid = np.arange(0.0, 0.08, 1e-4)
    with pytest.raises(ValueError, match=r"trace ends before the virtual occupant completes its "
                                         r"travel \(t2\)"):
        occ.olc(t_mid, -50 * np.ones_like(t_mid))
    with pytest.raises(ValueError, match="trace ends before the flail-space occupant"):
        occ.oiv_ora(t, -5 * np.ones_like(t))
    assert math.isnan(occ.oiv_ora(t, -5 * np.ones_like(t), short="nan").oiv)


@pytest.mark.parametrize("cfc", occ.CFC_CLASSES)
def test_cfc_filter_gain_and_zero_phase(cfc):
    fs = 20000.0
    t = np.arange(0.0, 2.0, 1.0 / fs)
    low = np.sin(2 * math.pi * 0.05 * cfc * t)
    y = occ.cfc_filter(t, low, cfc)
    core = slice(t.size // 4, 3 * t.size // 4)
    np.testing.assert_allclose(y[core], low[core], atol=5e-3)  # passband, no phase lag
    if 10 * cfc < fs / 2:
        high = np.sin(2 * math.pi * 10 * cfc * t)
        assert np.max(np.abs(occ.cfc_filter(t, high, cfc)[core])) < 0.01
    # J211: the forward-backward filter is about -3 dB near 1.65*CFC
    f3 = 1.65 * cfc
    if f3 < fs / 4:
        s = np.sin(2 * math.pi * f3 * t)
        amp = np.max(np.abs(occ.cfc_filter(t, s, cfc)[core]))
        assert 0.6 < amp < 0.8
    assert occ.cfc_filter(t, np.full_like(t, 3.0), cfc) == pytest.approx(3.0)


def test_cfc_filter_rejects_unknown_class_and_coarse_sampling():
    t = np.arange(0.0, 0.1, 1e-4)
    with pytest.raises(ValueError, match="cfc must be one of"):
        occ.cfc_filter(t, np.zeros_like(t), 100)
    t = np.arange(0.0, 1.0, 1e-3)
    with pytest.raises(ValueError, match="too coarsely"):
        occ.cfc_filter(t, np.zeros_like(t), 1000)
