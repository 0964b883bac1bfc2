"""Crash pulse + occupant measures: numba kernel (parallel, serial), the vectorised NumPy baseline
(``crashcompat.bench.baselines_pulse``) and the pure-Python reference, both force-crush models.

``pytest benchmarks/bench_pulse.py --benchmark-only`` prints cases/s and the ratios to the NumPy
baseline and the reference measured in the same run (table from ``benchmarks/conftest.py``; kernel
names ``pulse`` for the linear model, ``pulse-crash3`` for CRASH3); add ``-m "slow or not slow"``
(or no ``-m``) for the 10^7 parallel and 10^5 NumPy sizes. CI runs it as a smoke test with
``--benchmark-disable`` (each body once). Every implementation is timed with the occupant measures
included (OLC, OIV/ORA, belted occupant, both vehicles) at the default step
``severity.DEFAULT_DT_S``.
"""

from __future__ import annotations

import numpy as np
import pytest

from crashcompat.bench.baselines_pulse import pulse_numpy
from crashcompat.bench.cases import pulse_inputs
from crashcompat.kernels import pulse as kp
from reference.pulse import reference_pulse
from crashcompat.severity.pulse import DEFAULT_DT_S, DEFAULT_MAX_STEPS, OccupantParams, crash_pulse

SLOW = pytest.mark.slow
N_PARALLEL = [10**3, 10**5, 10**6, pytest.param(10**7, marks=SLOW)]
N_SERIAL = [10**3, 10**5, 10**6]
# NumPy takes about 0.1 ms a case (10 s at 10^5): 10^5 is slow-marked so that the smoke run stays
# short, and 10^6 (about 100 s a round) is left out.
N_NUMPY = [10**3, 10**4, pytest.param(10**5, marks=SLOW)]
N_REF = 3


MODELS = {"pulse": kp.MODEL_LINEAR, "pulse-crash3": kp.MODEL_CRASH3}

_INPUTS: dict[int, np.ndarray] = {}


def packed(n):
    """Inputs of size n, generated once per session (10^7 cases: 1.4 GB)."""
    if n not in _INPUTS:
        _INPUTS.clear()  # keep one size at a time in memory
        _INPUTS[n] = pulse_inputs(n)
    return _INPUTS[n]


def _time(benchmark, run):
    if not benchmark.disabled:
        run()  # compile / load from cache outside the timing
    benchmark.pedantic(run, rounds=3, iterations=1)


def _numba(benchmark, record, kernel, n, impl):
    P = packed(n)
    occ = OccupantParams().as_array()
    out = np.empty((kp.N_OUT, n))
    status = np.empty(n, np.int8)
    model = MODELS[kernel]
    if impl == "numba-parallel":
        def run():
            kp.pulse_grid(model, P, occ, DEFAULT_DT_S, DEFAULT_MAX_STEPS, out, status, 64)
    else:
        def run():
            kp.pulse_serial(model, P, occ, DEFAULT_DT_S, DEFAULT_MAX_STEPS, out, status)
    _time(benchmark, run)
    assert np.all(status == 0)
    record(kernel, impl, n)


@pytest.mark.parametrize("kernel", list(MODELS))
@pytest.mark.parametrize("n", N_PARALLEL)
def test_pulse_parallel(benchmark, record, kernel, n):
    _numba(benchmark, record, kernel, n, "numba-parallel")


@pytest.mark.parametrize("kernel", list(MODELS))
@pytest.mark.parametrize("n", N_SERIAL)
def test_pulse_serial(benchmark, record, kernel, n):
    _numba(benchmark, record, kernel, n, "numba-serial")


@pytest.mark.parametrize("kernel", list(MODELS))
@pytest.mark.parametrize("n", N_NUMPY)
def test_pulse_numpy(benchmark, record, kernel, n):
    P = packed(n)
    occ = OccupantParams().as_array()
    model = MODELS[kernel]
    res = benchmark.pedantic(lambda: pulse_numpy(model, P, occ, DEFAULT_DT_S, DEFAULT_MAX_STEPS),
                             rounds=3 if n <= 10**5 else 1, iterations=1)
    if res is not None:
        assert np.all(res[1] == 0)
    record(kernel, "numpy", n)


def test_pulse_api(benchmark, record):
    """Through the Python wrapper (broadcast, pack, allocate, unit conversion)."""
    n = 10**5
    P = packed(n)
    kw = dict(k1_n_per_m=P[kp.I_K1], k2_n_per_m=P[kp.I_K2], engage1=P[kp.I_G1],
              crush_space1_m=0.6, crush_space2_m=0.9, theta1_rad=P[kp.I_TH1],
              theta2_rad=P[kp.I_TH2])
    args = (P[kp.I_M1], P[kp.I_M2], P[kp.I_VC], P[kp.I_E])
    crash_pulse(*(a[:10] for a in args), **{k: (v[:10] if np.ndim(v) else v)
                                            for k, v in kw.items()})
    res = benchmark.pedantic(lambda: crash_pulse(*args, **kw), rounds=3, iterations=1)
    if res is not None:
        assert np.all(res.status == 0)
    record("pulse", "numba-api", n)


@pytest.mark.parametrize("kernel", list(MODELS))
def test_pulse_reference(benchmark, record, kernel):
    P = pulse_inputs(N_REF, seed=2)

    def run():
        res = []
        for i in range(N_REF):
            c = P[:, i]
            if kernel == "pulse":
                faces = dict(model="linear", k1=c[kp.I_K1], k2=c[kp.I_K2])
            else:
                faces = dict(model="crash3", a1=c[kp.I_A1], b1=c[kp.I_B1], a2=c[kp.I_A2],
                             b2=c[kp.I_B2], w1=c[kp.I_W1], w2=c[kp.I_W2])
            res.append(reference_pulse(c[kp.I_M1], c[kp.I_M2], c[kp.I_VC], c[kp.I_E],
                                       engage1=c[kp.I_G1], cs1=0.6, cs2=0.9,
                                       theta1=c[kp.I_TH1], theta2=c[kp.I_TH2], **faces))
        return res

    benchmark.pedantic(run, rounds=1, iterations=1)
    record(kernel, "reference", N_REF)
