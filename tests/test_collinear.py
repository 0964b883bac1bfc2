"""Collinear kernel: golden cases A1-A3, C4, D; reference; invariants; bad input."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crashcompat import Status, collinear_impact
from crashcompat.kernels.collinear import collinear_grid, collinear_sf
from reference.impact import collinear_reference
from crashcompat.units import KPH

GOLDEN = tomllib.loads((Path(__file__).parent / "data/golden/impact_cases.toml").read_text())

masses = st.floats(300.0, 6000.0)
# speeds in m/s; closing speeds below 1 micrometre per second are no impact of interest and only
# exercise subnormal arithmetic
speeds = st.floats(-60.0, 60.0, allow_subnormal=False)
rest = st.floats(0.0, 1.0)


@pytest.mark.parametrize("case", GOLDEN["collinear"], ids=lambda c: c["id"])
def test_golden_collinear(case):
    r = collinear_impact(case["m1_kg"], case["m2_kg"], case["closing_speed_kph"] * KPH, 0.0,
                         case["restitution"])
    assert r.status == Status.OK_STICKING
    if "dv1_kph" in case:
        got = (-r.dv1 / KPH, r.dv2 / KPH)
        want = (case["dv1_kph"], case["dv2_kph"])
        for g, w in zip(got, want):
            assert abs(g - w) <= case["tolerance_kph"], f"{case['id']} ({case['source']}): {g} vs {w}"
    if "energy_loss_kj" in case:
        mu = case["m1_kg"] * case["m2_kg"] / (case["m1_kg"] + case["m2_kg"])
        assert mu == pytest.approx(case["reduced_mass_kg"], rel=1e-12)
        assert abs(r.energy_loss / 1e3 - case["energy_loss_kj"]) <= case["tolerance_kj"], case


@pytest.mark.parametrize("case", GOLDEN["headline"], ids=lambda c: c["id"])
def test_headline_figures(case):
    vc = (case["speed1_kph"] + case["speed2_kph"]) * KPH
    r = collinear_impact(case["m1_kg"], case["m2_kg"], vc, 0.0, case["restitution"])
    assert abs(-r.dv1 / KPH - case["dv1_kph"]) <= case["tolerance_kph"], case
    assert abs(r.dv2 / KPH - case["dv2_kph"]) <= case["tolerance_kph"], case


@given(masses, masses, st.floats(0.1, 60.0))
def test_a3_plastic_common_velocity_and_elastic_no_loss(m1, m2, vc):
    r0 = collinear_impact(m1, m2, vc, 0.0, 0.0)
    assert math.isclose(vc + r0.dv1, 0.0 + r0.dv2, rel_tol=1e-12, abs_tol=1e-12 * vc)
    r1 = collinear_impact(m1, m2, vc, 0.0, 1.0)
    assert r1.energy_loss == 0.0
    ke0 = 0.5 * m1 * vc**2
    ke1 = 0.5 * m1 * (vc + r1.dv1) ** 2 + 0.5 * m2 * r1.dv2**2
    assert math.isclose(ke0, ke1, rel_tol=1e-12)


@given(masses, masses, speeds, speeds, rest)
def test_c4_dv_ratio_is_inverse_mass_ratio(m1, m2, v1, v2, e):
    r = collinear_impact(m1, m2, v1, v2, e)
    assume(not 0 < v1 - v2 < 1e-6)
    if r.status == Status.NO_CONTACT:
        assert v1 <= v2 and math.isnan(r.dv1)
        return
    assert r.status == Status.OK_STICKING
    assert math.isclose(-r.dv1 / r.dv2, m2 / m1, rel_tol=1e-12)
    # momentum conserved, energy loss non-negative and equal to the kinetic-energy balance
    assert abs(m1 * r.dv1 + m2 * r.dv2) <= 1e-12 * (m1 * abs(r.dv1) + m2 * abs(r.dv2))
    assert r.energy_loss >= 0.0


@given(masses, masses, speeds, speeds, rest)
def test_matches_reference(m1, m2, v1, v2, e):
    assume(not 0 < v1 - v2 < 1e-6)
    r = collinear_impact(m1, m2, v1, v2, e)
    ref = collinear_reference(m1, m2, v1, v2, e)
    assert int(r.status) == ref[3]
    if ref[3] != Status.OK_STICKING:
        return
    scale = abs(v1) + abs(v2)
    assert abs(r.dv1 - ref[0]) <= 1e-12 * scale
    assert abs(r.dv2 - ref[1]) <= 1e-12 * scale
    # the reference's loss is a difference of kinetic energies: rounding of the totals
    ke = 0.5 * (m1 * v1**2 + m2 * v2**2)
    assert abs(r.energy_loss - ref[2]) <= 1e-12 * ke + 1e-12 * r.energy_loss


@pytest.mark.parametrize(
    "args, status",
    [
        ((math.nan, 1000, 10, 0, 0.1), Status.INVALID_INPUT),
        ((1000, math.inf, 10, 0, 0.1), Status.INVALID_INPUT),
        ((1000, 1000, -math.inf, 0, 0.1), Status.INVALID_INPUT),
        ((0.0, 1000, 10, 0, 0.1), Status.INVALID_INPUT),
        ((1000, -5.0, 10, 0, 0.1), Status.INVALID_INPUT),
        ((1000, 1000, 10, 0, -0.01), Status.INVALID_INPUT),
        ((1000, 1000, 10, 0, 1.01), Status.INVALID_INPUT),
        ((1000, 1000, 10, 0, math.nan), Status.INVALID_INPUT),
        ((1000, 1000, 0, 10, 0.1), Status.NO_CONTACT),
        ((1000, 1000, 5, 5, 0.1), Status.NO_CONTACT),
    ],
)
def test_bad_input_status_and_nan(args, status):
    r = collinear_impact(*args)
    assert r.status == status
    assert math.isnan(r.dv1) and math.isnan(r.dv2) and math.isnan(r.energy_loss)


def test_parallel_driver_equals_scalar_loop():
    rng = np.random.default_rng(7)
    n = 2000
    cols = [rng.uniform(-500, 3000, n), rng.uniform(300, 3000, n), rng.uniform(-40, 40, n),
            rng.uniform(-40, 40, n), rng.uniform(-0.2, 1.2, n)]
    cols[0][::97] = np.nan
    x = np.array(cols)
    out = np.empty((3, n))
    status = np.empty(n, dtype=np.int8)
    collinear_grid(x, out, status)
    for i in range(n):
        want = collinear_sf(*x[:, i])
        np.testing.assert_array_equal(out[:, i], want[:3])
        assert status[i] == want[3]
    assert set(np.unique(status)) == {0, 3, 4}


def test_broadcasting_and_shapes():
    m1 = np.linspace(600, 1200, 4)[:, None]
    v = np.linspace(5, 30, 3)[None, :]
    r = collinear_impact(m1, 2000.0, v, 0.0, 0.1)
    assert r.dv1.shape == (4, 3) and r.status.dtype == np.int8
    for i in range(4):
        for j in range(3):
            one = collinear_impact(float(m1[i, 0]), 2000.0, float(v[0, j]), 0.0, 0.1)
            assert r.dv1[i, j] == one.dv1
    assert set(r.to_dict()) == {"dv1", "dv2", "energy_loss", "status"}
    with pytest.raises(ValueError, match=r"m1\(3,\).*v1\(2,\)"):
        collinear_impact(np.ones(3), 1.0, np.ones(2), 0.0, 0.1)
