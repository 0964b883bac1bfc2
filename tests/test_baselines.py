"""The NumPy baselines compute the same thing as the kernels (so speed ratios compare equal work)."""

from __future__ import annotations

import numpy as np

from crashcompat.bench.baselines import collinear_numpy, planar_numpy
from crashcompat.bench.cases import collinear_inputs, planar_inputs
from crashcompat.physics.impact import ENERGY_REL_TOL
from crashcompat.kernels.collinear import collinear_grid
from crashcompat.kernels.planar import planar_grid


def _with_bad_rows(cols):
    cols = [c.copy() for c in cols]
    cols[0][::37] = np.nan  # invalid
    cols[2][5::41] *= -1.0  # some separating
    return cols


def test_planar_numpy_matches_kernel():
    n = 5000
    cols = _with_bad_rows(planar_inputs(n, seed=5))
    out = np.empty((9, n))
    st = np.empty(n, dtype=np.int8)
    planar_grid(np.array(cols), ENERGY_REL_TOL, out, st)
    ref = planar_numpy(*cols, rel_tol=ENERGY_REL_TOL)
    np.testing.assert_array_equal(ref[9], st)
    for a, b in zip(out, ref[:9]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True)
    assert {0, 1, 3, 4} <= set(np.unique(st))


def test_collinear_numpy_matches_kernel():
    n = 5000
    cols = _with_bad_rows(collinear_inputs(n, seed=6))
    out = np.empty((3, n))
    st = np.empty(n, dtype=np.int8)
    collinear_grid(np.array(cols), out, st)
    ref = collinear_numpy(*cols)
    np.testing.assert_array_equal(ref[3], st)
    for a, b in zip(out, ref[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True)


def test_grid_numpy_summary_matches_kernel():
    from crashcompat.bench.baselines import grid_summary_numpy
    from crashcompat.runs.grid import run_grid
    from crashcompat.kernels.grid import SUMMARY_STATS

    run = run_grid({"subjects": ["kei/honda-n-box", "kei/suzuki-alto"],
                    "partners": ["us-truck/ford-f-150", "us-suv/toyota-rav4"],
                    "closing_speed_kph": "10:100:10", "angle_deg": [-20, 0, 20],
                    "overlap": [1, 0.5], "friction": [0.2, 0.6], "measures": ["dv"],
                    "restitution": ["model", "0.3"]})
    summ = run.summary()
    stats = summ._stats.reshape(-1, len(SUMMARY_STATS))
    mean, mx, counts = grid_summary_numpy(run, chunk_cases=1000)
    np.testing.assert_allclose(stats[:, 0], mean, rtol=1e-12)
    np.testing.assert_allclose(stats[:, 1], mx, rtol=1e-12)
    assert counts.tolist() == list(summ.status_counts.values())
