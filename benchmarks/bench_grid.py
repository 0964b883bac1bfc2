"""Grid end-to-end (cases generated from indices, summary reduction in compiled code) vs the
NumPy version of the same equations vs a pure-Python loop over collide().

Sizes 10^3 .. 10^7 (10^8 marked slow). The grid's delta-v summary is measured (``measures =
["dv"]``); ``python benchmarks/grid_scaling.py`` measures peak memory and Parquet output.
"""

from __future__ import annotations

import pytest

from crashcompat.bench.baselines import grid_summary_numpy
from crashcompat.bench.runner import _grid_spec
from crashcompat.runs.grid import run_grid

SIZES = [10**3, 10**5, 10**6, 10**7, pytest.param(10**8, marks=pytest.mark.slow)]


def _small_spec(n):
    # below the 1,848 blocks of the full vehicle set, shrink the vehicle lists instead
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
