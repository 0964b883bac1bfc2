"""Risk curves: the published curves' worked values (reference cases C) and the valid-domain properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crashcompat.severity.risk import CURVES, RATIOS, LogisticCurve, pdof_sector, register_curve
from crashcompat.units import MPH


def test_c1_joksch():
    """CASES C1: Joksch at 71 mph gives 1.0, at 35.5 mph 0.0625; capped at 1 above."""
    c = CURVES["joksch-fatal"]
    assert c.probability(71 * MPH) == pytest.approx(1.0, abs=1e-12)
    assert c.probability(35.5 * MPH) == pytest.approx(0.0625, abs=1e-12)
    assert c.probability(120 * MPH) == 1.0


def test_c2_malliaris_zero_mais3_30mph():
    """CASES C2: logit -5.450 + 0.178*30 = -0.11 -> p = 0.4725."""
    p = CURVES["malliaris-zero-mais3"].probability(30 * MPH)
    assert p == pytest.approx(1 / (1 + np.exp(0.11)), rel=1e-12)
    assert round(float(p), 4) == 0.4725


def test_c3_malliaris_one_fatal_side_30mph():
    """CASES C3: logit -9.032 + 0.198*30 + 1.462 = -1.63 -> p = 0.1638 (side: PDOF 90 or 270)."""
    c = CURVES["malliaris-one-fatal"]
    for pdof in (90.0, 270.0, 45.0, 315.0):
        p = c.probability(30 * MPH, pdof)
        assert p == pytest.approx(1 / (1 + np.exp(1.63)), rel=1e-12)
        assert round(float(p), 4) == 0.1638
    # frontal (no PDOF) and rear use no side term
    assert c.probability(30 * MPH) == pytest.approx(1 / (1 + np.exp(3.092)), rel=1e-12)
    assert c.probability(30 * MPH, 180.0) == pytest.approx(1 / (1 + np.exp(5.013)), rel=1e-12)


def test_c5_evans_mass_ratio():
    """CASES C5: mass ratio 2.5, u = 3.5 -> risk ratio 24.7."""
    ev = RATIOS["evans-mass-ratio"]
    assert round(float(ev.ratio(2500.0, 1000.0)), 1) == 24.7
    assert ev.ratio(2.5, 1.0, u=2.7) == pytest.approx(2.5**2.7)


def test_evans_frick_side_factors():
    s = RATIOS["evans-frick-side"]
    assert s.ratio(90.0) == 4.5 and s.ratio(270.0) == 10.1  # US LHD: left is near side
    assert s.ratio(90.0, driver_side="right") == 10.1
    assert s.ratio(0.0) == 1.0 and np.isnan(s.ratio(180.0))


def test_pdof_sectors():
    side, rear = pdof_sector([0, 44.9, 45, 135, 135.1, 224.9, 225, 315, 315.1, 360 + 90])
    assert side.tolist() == [0, 0, 1, 1, 0, 0, 1, 1, 0, 1]
    assert rear.tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]


def test_registry_entries_and_user_curve():
    for name, c in CURVES.items():
        assert c.name == name and c.source and c.outcome
    user = LogisticCurve("user-test", -4.0, 0.1, "test fixture")
    assert user.probability(40 * MPH) == pytest.approx(0.5)
    register_curve(user)
    assert CURVES.pop("user-test") is user
    with pytest.raises(ValueError, match="probability"):
        register_curve(object())


@settings(deadline=None, max_examples=200)
@given(dv=st.floats(0.0, 1e6, allow_nan=False), pdof=st.floats(-720, 720, allow_nan=False))
def test_probabilities_finite_in_unit_interval(dv, pdof):
    for c in CURVES.values():
        for p in (c.probability(dv), c.probability(dv, pdof),
                  c.probability(np.array([dv, 0.0]), np.array([pdof, 0.0]))):
            p = np.asarray(p)
            assert np.all(np.isfinite(p)) and np.all(p >= 0.0) and np.all(p <= 1.0)


def test_probability_is_monotone_in_dv():
    dv = np.linspace(0, 60, 601)
    for c in CURVES.values():
        assert np.all(np.diff(c.probability(dv)) >= 0)
