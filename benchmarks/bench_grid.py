"""Grid end-to-end (cases generated from indices, summary reduction in compiled code) vs the
NumPy version of the same equations vs a pure-Python loop over collide().

Sizes 10^3 .. 10^7 (10^8 marked slow). The grid's delta-v summary is measured (``measures =
["dv"]``); ``python benchmarks/grid_scaling.py`` measures peak memory and Parquet output.
"""

from __future__ import annotations

import numpy as np
import pytest

from crashcompat.bench.baselines import grid_summary_numpy
from crashcompat.bench.runner import _grid_spec
from crashcompat.runs.grid import run_grid

SIZES = [10**3, 10**5, 10**6, 10**7, pytest.param(10**8, marks=pytest.mark.slow)]


def _small_spec(n):
    # below the blocks of the full vehicle set (bench.runner._grid_blocks), shrink the vehicle
    # lists instead
    if n >= 10**6:
        return _grid_spec(n)
    return {"subjects": ["kei/honda-n-box", "kei/suzuki-alto"], "references": [],
            "partners": ["us-truck/ford-f-150", "us-suv/toyota-rav4"],
            "closing_speed_kph": [10 + 110 * k / 15 for k in range(16)],
            "angle_deg": [-30, 0, 15, 30], "overlap": [1.0], "measures": ["dv"]}


@pytest.mark.parametrize("n", SIZES)
def test_grid_numba(benchmark, record, n):
    run = run_grid(_small_spec(n))
    run.summary()  # compile / load from cache outside the timing
    benchmark(run._compute_summary, None, 0)
    record("grid", "numba-parallel", run.n_cases)


@pytest.mark.parametrize("n", [10**3, 10**5, 10**6])
def test_grid_numpy(benchmark, record, n):
    run = run_grid(_small_spec(n))
    mean, _, counts = benchmark.pedantic(grid_summary_numpy, args=(run,), rounds=3, iterations=1)
    assert counts.sum() == run.n_cases
    record("grid", "numpy", run.n_cases)


def test_grid_reference(benchmark, record):
    """Pure Python: collide() per case over a small grid's cases."""
    from crashcompat import collide, load_catalog

    cat = load_catalog()
    run = run_grid(_small_spec(10**3), catalog=cat)
    cases = [run._axis_values(i) for i in range(200)]

    def loop():
        out = []
        for c in cases:
            vc = c["closing_speed_kph"]
            conf = c["configuration"]
            vs, vp = {"frontal": (vc / 2, vc / 2), "side-struck-by-subject": (vc, 0.0)}.get(
                conf, (0.0, vc))
            r = collide(cat[c["subject"]], cat[c["partner"]], conf, subject_speed_kph=vs,
                        partner_speed_kph=vp, angle_deg=c["angle_deg"], overlap=c["overlap"],
                        measures="dv")
            out.append(r.subject.occupant_dv_kph)
        return out

    res = benchmark.pedantic(loop, rounds=3, iterations=1)
    assert len(res) == 200
    record("grid", "reference", 200)


#: Monte Carlo samples of the benchmark below: enough to amortise the per-run set-up (the
#: jittered geometry tables, built in Python) as a long run does.
MC_SAMPLES = 50
#: A mid-size grid for it (27,648 cases: 6 subject rows x 8 partners x 4 configurations x 12
#: speeds x 12 geometry rows), large enough that the thread pool's start-up does not dominate.
MC_SPEC = {"subjects": ["kei/honda-n-box", "kei/suzuki-alto", "kei/daihatsu-hijet-truck",
                        "kei/nissan-sakura"],
           "references": ["us-car/toyota-corolla", "us-car/toyota-camry"],
           "partners": ["us-truck/ford-f-150", "us-truck/ram-1500", "us-truck/toyota-tacoma",
                        "us-suv/toyota-rav4", "us-suv/chevrolet-tahoe", "us-car/honda-civic",
                        "us-car/honda-accord", "us-van/honda-odyssey"],
           "closing_speed_kph": "10:120:10", "angle_deg": [-30, -10, 10, 30],
           "overlap": [1.0, 0.7, 0.4]}


@pytest.mark.parametrize("measures", [["dv"], ["dv", "risk"]], ids=["dv", "dv-risk"])
def test_grid_montecarlo(benchmark, record, measures):
    """Monte Carlo summary rate, cases x samples per second, against the deterministic summary
    of the same grid measured in the same run (docs/uncertainty.md, "Speed"): the requirement is
    at least half the deterministic rate per sample. The jittered geometry tables, built once per
    run in Python, are built before the timing (their cost is reported in docs/uncertainty.md)."""
    import time

    run = run_grid(dict(MC_SPEC, measures=measures), samples=MC_SAMPLES, seed=0)
    run.summary()  # compile / load from cache, and build the geometry variants, outside the timing
    det = []
    for _ in range(5):
        t = time.perf_counter()
        saved, run.samples = run.samples, 0
        try:
            run._compute_summary(None, 0)
        finally:
            run.samples = saved
        det.append(time.perf_counter() - t)
    benchmark.pedantic(run._run_mc, args=(None,), rounds=3, iterations=1)
    n = run.n_cases * MC_SAMPLES
    record("grid-mc", "numba-parallel", n)
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        det_rate = run.n_cases / float(np.median(det))
        mc_rate = n / stats.stats.median
        benchmark.extra_info.update(deterministic_cases_per_s=det_rate,
                                    ratio_vs_deterministic=mc_rate / det_rate)
        print(f"\nMonte Carlo {measures}: {mc_rate:,.0f} case-samples/s, deterministic "
              f"{det_rate:,.0f} cases/s, ratio {mc_rate / det_rate:.2f}")
