"""Monte Carlo over the assumed inputs: the counter-based generator, the inverse-CDF draws, the
histogram quantiles against NumPy, the collapse onto the deterministic grid at zero width, the
same numbers for any thread count and chunking, common random numbers, and bands that follow
the deterministic model where one input varies alone."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from crashcompat.kernels import sampling as ks
from crashcompat.runs.grid import run_grid
from crashcompat.runs.uncertainty import (ASSUMPTIONS, JITTER, UncertaintyError, markdown_table,
                                          resolve_uncertainty)

MASK = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    # Steele, Lea & Flood (2014), SplitMix64's finaliser, in Python integers
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def _uniform(seed, stream, crash, sample, var) -> float:
    h = _splitmix64(seed)
    for k in (stream, crash, sample, var):
        h = _splitmix64(h ^ k)
    return ((h >> 11) + 0.5) * 2.0 ** -53


@numba.njit
def _uniforms(seed, stream, crash, n, var):
    out = np.empty(n)
    for s in range(n):
        out[s] = ks.uniform_sf(seed, stream, crash, s, var)
    return out


@numba.njit
def _draws(dist, k, u):
    out = np.empty(u.shape[0])
    for i in range(u.shape[0]):
        out[i] = ks.draw_sf(dist, k, u[i])
    return out


@numba.njit
def _hist_quantiles(samples, qs):
    # samples (n_samples, n_hist): one hist_fill_sf call per sample, as in the kernel
    nh = samples.shape[1]
    counts = np.zeros((nh, ks.HIST_BINS), dtype=np.int32)
    lo = np.full(nh, ks.HIST_BINS)
    hi = np.full(nh, -1)
    n = np.zeros(nh, dtype=np.int64)
    mn = np.full(nh, np.inf)
    mx = np.full(nh, -np.inf)
    for s in range(samples.shape[0]):
        ks.hist_fill_sf(samples[s], counts, lo, hi, n, mn, mx)
    out = np.empty((nh, qs.shape[0]))
    ks.hist_finish_sf(qs, out, counts, lo, hi, n, mn, mx)
    return out, counts.sum(), hi.max()


def test_uniform_is_the_splitmix64_chain_bit_for_bit():
    keys = [(0, 0, 0, 0, 0), (1, 0, 7, 3, 2), (2**40, 1, 123456, 999, 14), (17, 3, 2**40, 5, 1)]
    for key in keys:
        got = _uniforms(key[0], key[1], key[2], key[3] + 1, key[4])[key[3]]
        assert got == _uniform(*key), key
        assert 0.0 < got < 1.0


def test_uniform_draws_are_uniform_and_independent():
    n = 100_000
    a = _uniforms(5, 0, 11, n, 0)
    b = _uniforms(5, 0, 11, n, 1)
    c = _uniforms(5, 0, 12, n, 0)
    d = _uniforms(6, 0, 11, n, 0)
    # Kolmogorov-Smirnov distance to U(0, 1): 1.63 / sqrt(n) is the 1 % critical value
    for x in (a, b, c, d):
        xs = np.sort(x)
        ks_d = np.max(np.abs(xs - (np.arange(1, n + 1) - 0.5) / n))
        assert ks_d < 1.63 / math.sqrt(n)
    # different variables, crashes and seeds give uncorrelated streams (4 standard errors)
    for x, y in ((a, b), (a, c), (a, d)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 4 / math.sqrt(n)


def test_draws_invert_each_distribution():
    unc = resolve_uncertainty()
    dist = unc.table()
    u = np.linspace(0.0005, 0.9995, 400)
    for k, a in enumerate(unc.variables):
        got = _draws(dist, k, u)
        want = np.array([a.quantile(q) for q in u])
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15, err_msg=a.name)
    # the stiffness scale is (U(0.8, 1.2))^-2: 0.694 to 1.5625, median 1
    k1 = [a.name for a in unc.variables].index("subject_stiffness_scale")
    assert _draws(dist, k1, np.array([1e-12, 0.5, 1 - 1e-12])) == pytest.approx(
        [1 / 0.8 ** 2, 1.0, 1 / 1.2 ** 2], rel=1e-9)
    # the discrete load reproduces its probabilities
    k2 = [a.name for a in unc.variables].index("subject_added_load_kg")
    vals = _draws(dist, k2, _uniforms(1, 0, 0, 200_000, 0))
    shares = [np.mean(vals == v) for v in (0.0, 75.0, 150.0, 225.0)]
    assert shares == pytest.approx([0.62, 0.25, 0.09, 0.04], abs=0.005)


@pytest.mark.parametrize("n", [1, 7, 200, 1000])
def test_histogram_quantiles_against_numpy(n):
    rng = np.random.default_rng(n)
    cols = [
        rng.lognormal(3.0, 0.2, n),                     # delta-v like, km/h
        rng.lognormal(-7.0, 0.5, n),                    # a small probability
        np.where(rng.random(n) < 0.4, 0.0, rng.random(n)),  # a share with many zeros
        rng.uniform(0.9, 1.1, n),                       # a ratio
        np.full(n, 27.123456789),                       # every sample equal
        rng.lognormal(-40.0, 1.0, n),                   # below 2^-44: the underflow bin
    ]
    samples = np.ascontiguousarray(np.column_stack(cols))
    qs = np.array([0.05, 0.5, 0.95])
    got, total, _ = _hist_quantiles(samples, qs)
    assert total == 0  # hist_finish_sf leaves the scratch empty for the next crash
    for j, x in enumerate(cols):
        want = np.percentile(x, 100 * qs, method="inverted_cdf")
        if j == 5:  # no error bound below 2^-44: within [min, 2^-44]
            assert np.all(got[j] >= x.min()) and np.all(got[j] <= 2.0 ** -44)
            continue
        # the stated bound: half a sub-bin, at most HIST_REL_ERROR of the value
        np.testing.assert_array_less(np.abs(got[j] - want), ks.HIST_REL_ERROR * want + 1e-300)
    assert np.all(got[4] == 27.123456789)  # exact when every sample is equal
    assert ks.HIST_REL_ERROR == pytest.approx(1 / 512)


def test_histogram_error_is_the_bin_not_less():
    # the bound is tight: values spread inside one sub-bin come back as its midpoint
    x = np.linspace(1.0, 1.0 + 0.99 / ks.HIST_SUB, 101)
    got, _, _ = _hist_quantiles(np.ascontiguousarray(x[:, None]), np.array([0.5]))
    assert got[0, 0] == pytest.approx(1.0 + 0.5 / ks.HIST_SUB, rel=1e-15)


def test_histogram_of_nothing_is_nan():
    got, _, _ = _hist_quantiles(np.full((5, 1), np.nan), np.array([0.05, 0.95]))
    assert np.isnan(got).all()


SPEC = {"subjects": ["kei/honda-n-box", "kei/suzuki-alto"],
        "references": ["us-car/toyota-corolla"],
        "partners": ["us-truck/ford-f-150", "us-car/honda-civic"],
        "configurations": ["frontal", "side", "rear", "side-struck-by-subject"],
        "closing_speed_kph": [30, 70], "angle_deg": [0, 20], "overlap": [1, 0.5],
        "restitution": ["model", 0.3], "load_kg": [0, 100]}


def _band_cells(rows):
    for row in rows:
        for k, v in row.items():
            if k.endswith(("_p05", "_p50", "_p95")):
                yield row, k, v, row[k[:-4]]


def test_zero_width_collapses_onto_the_deterministic_grid_bit_for_bit():
    run = run_grid(SPEC, samples=5, seed=9, exposure="us", uncertainty="none")
    det = run_grid(SPEC).summary()
    rows = run.summary().rows
    assert len(rows) == len(det.rows)
    n = 0
    for row, key, band, x in _band_cells(rows):
        assert band == x, (key, band, x, row)  # bit-identical, not to rounding
        n += 1
    assert n > 1000
    # the Monte Carlo run's nominal columns are the deterministic run's
    for a, b in zip(rows, det.rows):
        for k, v in b.items():
            assert a[k] == v, k
    h = run.headline()
    for r in h.rows + h.by_partner_class:
        for key in ("p", "ratio", "dv_kph", "dv_ratio", "crush_exhausted_share"):
            if r.get(key) is None:
                continue
            for q in ("_p05", "_p50", "_p95"):
                assert r[key + q] == r[key], (r["vehicle"], key + q)


def _numbers(run):
    h = run.headline()
    return [tuple(sorted(r.items())) for r in run.summary().rows], h.to_dict()["rows"]


def test_same_seed_same_numbers_for_threads_and_chunks():
    n_threads = numba.get_num_threads()
    try:
        one = _numbers(run_grid(SPEC, samples=6, seed=4, exposure="us", threads=1))
        two = _numbers(run_grid(SPEC, samples=6, seed=4, exposure="us", threads=2,
                                chunk_cases=1000))
        other = _numbers(run_grid(SPEC, samples=6, seed=5, exposure="us", threads=2))
    finally:
        numba.set_num_threads(n_threads)
    assert one == two
    assert one != other  # the seed matters


def test_bands_follow_the_deterministic_model_when_one_input_varies():
    # only e_hi varies, uniform 0.10-0.20 (the nominal 0.15 -+ 0.05): a frontal group's
    # occupant delta-v rises with e, so its 5th and 95th percentiles must lie between
    # deterministic runs at e_hi 0.10 and 0.20, and bracket the runs at the 10th and 90th
    # percentiles of e_hi
    spec = dict(SPEC, configurations=["frontal"], closing_speed_kph=[90], angle_deg=[0],
                overlap=[1], restitution=["model"], load_kg=[0])
    unc = {a.name: {"width": 0} for a in ASSUMPTIONS + JITTER}
    unc["restitution_e_hi"] = {"low": -0.05, "high": 0.05}
    s = run_grid(spec, samples=400, seed=1, uncertainty=unc).summary().rows

    def det(e_hi):
        return run_grid(dict(spec, restitution_model=[0.3, e_hi, 5.0])).summary().rows

    lo, hi, q10, q90 = det(0.10), det(0.20), det(0.11), det(0.19)
    tol = 1 + ks.HIST_REL_ERROR
    for row, a, b, c, d in zip(s, lo, hi, q10, q90):
        for key in ("subject_occupant_dv_kph", "reference_occupant_dv_kph"):
            assert a[key] / tol <= row[f"{key}_p05"] <= c[key] * tol, (key, row)
            assert d[key] / tol <= row[f"{key}_p95"] <= b[key] * tol, (key, row)
            assert row[f"{key}_p95"] > 1.02 * row[f"{key}_p05"]  # a real band


def test_common_random_numbers_pair_the_subject_and_its_reference():
    # head-on, full overlap, only e_hi drawn: every impulse scales with (1 + e) and both cars
    # see the same closing speed, so with the same draw in both cars the delta-v ratio is the
    # same in every sample: its band collapses although each car's band does not
    spec = dict(SPEC, configurations=["frontal"], closing_speed_kph=[90], angle_deg=[0],
                overlap=[1], restitution=["model"], load_kg=[0], partners=["us-truck/ford-f-150"])
    unc = {a.name: {"width": 0} for a in ASSUMPTIONS + JITTER}
    unc["restitution_e_hi"] = {"low": -0.05, "high": 0.05}
    for row in run_grid(spec, samples=200, seed=2, uncertainty=unc).summary().rows:
        assert row["subject_occupant_dv_kph_p95"] > 1.02 * row["subject_occupant_dv_kph_p05"]
        assert row["ratio_p95"] <= row["ratio_p05"] * (1 + 2 * ks.HIST_REL_ERROR)
        assert row["ratio_p50"] == pytest.approx(row["ratio"], rel=2 * ks.HIST_REL_ERROR)


def test_samples_zero_has_no_band_columns_and_samples_add_them():
    plain = run_grid(SPEC).summary()
    assert not any(c.endswith(("_p05", "_p50", "_p95")) for c in plain.columns)
    mc = run_grid(SPEC, samples=3).summary()
    banded = {c[:-4] for c in mc.columns if c.endswith("_p05")}
    assert {"subject_occupant_dv_kph", "partner_occupant_dv_kph", "reference_occupant_dv_kph",
            "ratio", "subject_crush_exhausted_share", "subject_risk_malliaris_one_fatal",
            "relative_risk_malliaris_one_mais3"} <= banded
    df = mc.to_pandas()
    assert list(df.columns) == list(mc.columns)
    ok = df.dropna(subset=["ratio_p05", "ratio_p95"])
    assert len(ok) > 0 and (ok["ratio_p05"] <= ok["ratio_p50"]).all()
    assert (ok["ratio_p50"] <= ok["ratio_p95"]).all()
    meta = run_grid(SPEC, samples=3).metadata()["monte_carlo"]
    assert meta["samples"] == 3 and "0.195%" in meta["quantile_error"]
    assert set(meta["distributions"]) == {a.name for a in ASSUMPTIONS + JITTER}


@pytest.mark.parametrize("overrides, match", [
    ("all", "expected 'none'"),
    ({"frction_scale": {"low": 1, "high": 1}}, "did you mean 'friction_scale'"),
    ({"friction_scale": {"low": 1.2, "high": 0.8}}, "must not exceed high"),
    ({"friction_scale": {"lo": 1}}, "give high, low"),
    ({"subject_added_load_kg": {"values": [0, 75], "probabilities": [0.5, 0.4]}}, "sum to 1"),
    ({"subject_stiffness_scale": {"low": 0.0, "high": 1.0}}, "low must be > 0"),
])
def test_bad_uncertainty_overrides_name_the_variable(overrides, match):
    with pytest.raises(UncertaintyError, match=match):
        resolve_uncertainty(overrides)


@pytest.mark.parametrize("kw, match", [
    ({"samples": -1}, "samples: expected a whole number"),
    ({"samples": 2.5}, "samples: expected a whole number"),
    ({"seed": -3}, "seed: expected a whole number"),
])
def test_bad_samples_or_seed_is_a_sentence(kw, match):
    from crashcompat.runs.spec import GridSpecError

    with pytest.raises(GridSpecError, match=match):
        run_grid(SPEC, **kw)


def test_docs_table_is_generated_from_the_code():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "uncertainty.md").read_text()
    start, end = "<!-- uncertainty-table:start -->", "<!-- uncertainty-table:end -->"
    body = page.split(start)[1].split(end)[0].strip()
    assert body == markdown_table()


def test_a_monte_carlo_too_large_for_memory_is_refused_before_it_runs():
    from crashcompat.runs.spec import GridSizeError

    with pytest.raises(GridSizeError, match="samples: a Monte Carlo of 1,000,000 samples"):
        run_grid(SPEC, samples=1_000_000, exposure="us")
