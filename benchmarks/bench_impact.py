"""Collinear and planar: the public API and the kernels (numba parallel and serial) against the
NumPy version of the same equations and the pure-Python reference; per-call speed of
``planar_impact`` on Python floats and of ``collide()``; and the peer pycrash's one-case-per-call
impulse-momentum solver (``pycrash.impc.impc_calcs``), all in the same run.

Measured on demand with ``python -m pytest benchmarks/ --benchmark-only -m "slow or not slow"``.
The README's test command runs the small sizes once as smoke tests (``--benchmark-disable``,
``-m "not slow"``); sizes of 10^6 and more are marked slow so the test suite stays within a
laptop's memory. pycrash is GPL and is not a dependency: install it in the benchmark
environment only (``pip install pycrash``); its benchmark is skipped when it is missing.
"""

from __future__ import annotations

import contextlib
import io
import types

import numpy as np
import pytest

from crashcompat.bench.baselines import collinear_numpy, planar_numpy
from crashcompat.bench.cases import collinear_inputs, planar_inputs
from crashcompat.errors import has_result
from crashcompat.kernels.collinear import collinear_grid, collinear_serial
from crashcompat.kernels.planar import planar_grid, planar_serial
from crashcompat.physics.impact import ENERGY_REL_TOL, collinear_impact, planar_impact
from reference.impact import collinear_reference, planar_reference

SLOW = pytest.mark.slow
N_FAST = [10**3, 10**5, pytest.param(10**6, marks=SLOW), pytest.param(10**7, marks=SLOW)]
N_REF = 2000
CALLS = 2000


@pytest.fixture(scope="module")
def planar_cols():
    return {}


def _cols(cache, n, make):
    if n not in cache:
        cache.clear()  # one size at a time: bounded memory
        cache[n] = make(n, seed=1)
    return cache[n]


def _outputs(n, k):
    return np.empty((k, n)), np.empty(n, dtype=np.int8)


@pytest.mark.parametrize("n", N_FAST)
@pytest.mark.parametrize("impl", ["numba-parallel", "numba-serial"])
def test_planar_kernel(benchmark, record, planar_cols, n, impl):
    """The kernel alone on one packed (17, n) input block, outputs preallocated."""
    x = np.array(_cols(planar_cols, n, planar_inputs))
    out, st = _outputs(n, 9)
    fn = planar_grid if impl == "numba-parallel" else planar_serial
    fn(x, ENERGY_REL_TOL, out, st)  # compile / load from cache outside the timing
    benchmark(fn, x, ENERGY_REL_TOL, out, st)
    assert has_result(st).all()
    record("planar", impl, n)


@pytest.mark.parametrize("n", N_FAST)
def test_planar_api(benchmark, record, planar_cols, n):
    """The public planar_impact on 17 separate arrays, outputs allocated per call (what a user
    calls; no packed copy of the inputs)."""
    cols = _cols(planar_cols, n, planar_inputs)
    res = benchmark(planar_impact, *cols)
    assert has_result(res.status).all()
    record("planar", "numba-api", n)


@pytest.mark.parametrize("n", N_FAST)
def test_planar_numpy(benchmark, record, planar_cols, n):
    res = benchmark(planar_numpy, *_cols(planar_cols, n, planar_inputs), rel_tol=ENERGY_REL_TOL)
    assert has_result(res[9]).all()
    record("planar", "numpy", n)


def test_planar_reference(benchmark, record):
    rows = list(zip(*planar_inputs(N_REF, seed=1)))
    res = benchmark.pedantic(lambda: [planar_reference(*r, rel_tol=ENERGY_REL_TOL) for r in rows],
                             rounds=3, iterations=1)
    assert all(has_result(r[-1]) for r in res)
    record("planar", "reference", N_REF)


def _floats():
    return [float(c[0]) for c in planar_inputs(1, seed=3)]


def test_planar_per_call(benchmark, record):
    """planar_impact on Python floats, one case per call (calls/s)."""
    args = _floats()
    planar_impact(*args)
    res = benchmark(lambda: [planar_impact(*args) for _ in range(CALLS)])
    assert has_result(res[-1].status)
    record("planar-call", "numba-api", CALLS)


def test_collide_per_call(benchmark, record):
    """collide() with the default measures (delta-v and risk), one case per call (calls/s)."""
    from crashcompat import collide, load_catalog

    cat = load_catalog()
    kei, truck = cat["kei/honda-n-box"], cat["us-truck/ford-f-150"]
    collide(kei, truck, "frontal", overlap=0.5)
    res = benchmark(lambda: [collide(kei, truck, "frontal", overlap=0.5)
                             for _ in range(CALLS // 4)])
    assert res[-1].status_name.startswith("ok")
    record("collide-call", "numba-api", CALLS // 4)


def _pycrash_case(impc, args):
    """One planar case in pycrash's units (lb, ft, deg, ft/s) through its solver, stdout muted
    (the solver prints); the same masses, inertias, speeds and lever arms as ``args``."""
    (m1, i1, v1x, v1y, _w1, r1x, r1y, m2, i2, v2x, v2y, _w2, r2x, r2y, th, e, mu) = args
    lb, ft = 0.45359237, 0.3048
    slug_ft2 = 14.5939029 * ft * ft
    v1 = types.SimpleNamespace(weight=m1 / lb, izz=i1 / slug_ft2, head_angle=0.0, omega_z=0.0,
                               pimpact_x=r1x / ft, pimpact_y=r1y / ft, vx_initial=v1x / ft,
                               vy_initial=v1y / ft)
    v2 = types.SimpleNamespace(weight=m2 / lb, izz=i2 / slug_ft2, head_angle=0.0, omega_z=0.0,
                               vx_initial=v2x / ft, vy_initial=v2y / ft)
    with contextlib.redirect_stdout(io.StringIO()):
        return impc.impc_calcs(v1, v2, r2x / ft, r2y / ft,
                               {"cor": e, "cof": mu, "impact_norm_deg": th - 90.0})


def test_peer_pycrash_per_call(benchmark, record):
    """The peer: pycrash's impulse-momentum solver, one case per call (calls/s)."""
    impc = pytest.importorskip("pycrash.impc")
    args = _floats()
    _pycrash_case(impc, args)
    benchmark(lambda: [_pycrash_case(impc, args) for _ in range(CALLS // 4)])
    record("planar-call", "peer-pycrash", CALLS // 4)


@pytest.mark.parametrize("n", N_FAST)
@pytest.mark.parametrize("impl", ["numba-parallel", "numba-serial"])
def test_collinear_kernel(benchmark, record, n, impl):
    x = np.array(collinear_inputs(n, seed=1))
    out, st = _outputs(n, 3)
    fn = collinear_grid if impl == "numba-parallel" else collinear_serial
    fn(x, out, st)
    benchmark(fn, x, out, st)
    assert (st == 0).all()
    record("collinear", impl, n)


@pytest.mark.parametrize("n", N_FAST)
def test_collinear_api(benchmark, record, n):
    cols = collinear_inputs(n, seed=1)
    res = benchmark(collinear_impact, *cols)
    assert (res.status == 0).all()
    record("collinear", "numba-api", n)


@pytest.mark.parametrize("n", N_FAST)
def test_collinear_numpy(benchmark, record, n):
    res = benchmark(collinear_numpy, *collinear_inputs(n, seed=1))
    assert (res[3] == 0).all()
    record("collinear", "numpy", n)


def test_collinear_reference(benchmark, record):
    rows = list(zip(*collinear_inputs(N_REF, seed=1)))
    res = benchmark.pedantic(lambda: [collinear_reference(*r) for r in rows], rounds=3,
                             iterations=1)
    assert all(r[-1] == 0 for r in res)
    record("collinear", "reference", N_REF)
