"""The NumPy baselines compute the same thing as the kernels (so speed ratios compare equal work)."""

from __future__ import annotations

import numpy as np

from crashcompat.baselines import collinear_numpy, planar_numpy
from crashcompat.benchcases import collinear_inputs, planar_inputs
from crashcompat.impact import ENERGY_REL_TOL
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
