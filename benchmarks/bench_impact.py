"""Collinear and planar kernels: numba (parallel and serial) vs NumPy vs pure-Python reference.

Measured on demand with ``pytest benchmarks/ --benchmark-only``; CI runs these as smoke tests with
``--benchmark-disable`` (one call each, no timing).
"""

from __future__ import annotations

import numpy as np
import pytest

from crashcompat.bench.baselines import collinear_numpy, planar_numpy
from crashcompat.bench.cases import collinear_inputs, planar_inputs
from crashcompat.physics.impact import ENERGY_REL_TOL, planar_impact
from crashcompat.kernels.collinear import collinear_grid, collinear_serial
from crashcompat.kernels.planar import planar_grid, planar_serial
from reference.impact import collinear_reference, planar_reference

N_FAST = [10**3, 10**5, 10**6, 10**7]
N_REF = 2000


@pytest.fixture(scope="module")
def planar_cols():
    return {n: planar_inputs(n, seed=1) for n in N_FAST}


@pytest.fixture(scope="module")
def planar_packed(planar_cols):
    return {n: np.array(c) for n, c in planar_cols.items()}


@pytest.fixture(scope="module")
def collinear_cols():
    return {n: collinear_inputs(n, seed=1) for n in N_FAST}


@pytest.fixture(scope="module")
def collinear_packed(collinear_cols):
    return {n: np.array(c) for n, c in collinear_cols.items()}


def _outputs(n, k):
    return np.empty((k, n)), np.empty(n, dtype=np.int8)


@pytest.mark.parametrize("n", N_FAST)
@pytest.mark.parametrize("impl", ["numba-parallel", "numba-serial"])
def test_planar_numba(benchmark, record, planar_packed, n, impl):
    x = planar_packed[n]
    out, st = _outputs(n, 9)  # preallocated once, reused by every round
    fn = planar_grid if impl == "numba-parallel" else planar_serial
    fn(x, ENERGY_REL_TOL, out, st)  # compile / load from cache outside the timing
    benchmark(fn, x, ENERGY_REL_TOL, out, st)
    assert (st <= 2).all()
    record("planar", impl, n)


@pytest.mark.parametrize("n", N_FAST)
def test_planar_api(benchmark, record, planar_cols, n):
    """The public planar_impact call: packing the 17 inputs plus the kernel."""
    res = benchmark(planar_impact, *planar_cols[n])
    assert (res.status <= 2).all()
    record("planar", "numba-api", n)


@pytest.mark.parametrize("n", N_FAST)
def test_planar_numpy(benchmark, record, planar_cols, n):
    res = benchmark(planar_numpy, *planar_cols[n], rel_tol=ENERGY_REL_TOL)
    assert (res[9] <= 2).all()
    record("planar", "numpy", n)


def test_planar_reference(benchmark, record):
    cols = planar_inputs(N_REF, seed=1)
    rows = list(zip(*cols))

    def run():
        return [planar_reference(*r, rel_tol=ENERGY_REL_TOL) for r in rows]

    res = benchmark.pedantic(run, rounds=3, iterations=1)
    assert all(r[-1] <= 2 for r in res)
    record("planar", "reference", N_REF)


@pytest.mark.parametrize("n", N_FAST)
@pytest.mark.parametrize("impl", ["numba-parallel", "numba-serial"])
def test_collinear_numba(benchmark, record, collinear_packed, n, impl):
    x = collinear_packed[n]
    out, st = _outputs(n, 3)
    fn = collinear_grid if impl == "numba-parallel" else collinear_serial
    fn(x, out, st)
    benchmark(fn, x, out, st)
    assert (st == 0).all()
    record("collinear", impl, n)


@pytest.mark.parametrize("n", N_FAST)
def test_collinear_numpy(benchmark, record, collinear_cols, n):
    res = benchmark(collinear_numpy, *collinear_cols[n])
    assert (res[3] == 0).all()
    record("collinear", "numpy", n)


def test_collinear_reference(benchmark, record):
    rows = list(zip(*collinear_inputs(N_REF, seed=1)))
    res = benchmark.pedantic(lambda: [collinear_reference(*r) for r in rows], rounds=3,
                             iterations=1)
    assert all(r[-1] == 0 for r in res)
    record("collinear", "reference", N_REF)
