"""`crashcompat bench`: a short benchmark of the kernels on the user's machine.

For each kernel it measures, in the same run, what a user calls (the public ``collinear_impact``
and ``planar_impact`` on arrays, the pulse kernel, a grid summary) and the vectorised NumPy
version of the same equations (:mod:`crashcompat.bench.baselines`), and reports cases/s, the
speed-up, the thread count and the fraction of the machine's memory bandwidth the kernel's input
and output traffic reaches (bandwidth measured by a large array copy in the same run).
``planar-call`` and ``collide-call`` are calls per second of one case per call (Python floats),
the library's per-call speed. The medians of repeated runs are reported; compile time is
excluded (one warm-up call).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

__all__ = ["run_bench", "memory_bandwidth_gbs", "KERNELS", "BYTES_PER_CASE"]

KERNELS = ("collinear", "planar", "pulse", "grid", "planar-call", "collide-call")

#: Bytes each case moves through memory: float64 inputs and outputs plus the int8 status.
BYTES_PER_CASE = {
    "collinear": 8 * (5 + 3) + 1,
    "planar": 8 * (17 + 9) + 1,
    "pulse": 8 * (18 + 30) + 1,
    "grid": 0,  # cases are generated and reduced inside the kernel: compute-bound
    "planar-call": 0,  # per-call overhead, not memory traffic
    "collide-call": 0,
}

#: Default sizes of the short run (cases).
DEFAULT_N = {"collinear": 10**6, "planar": 10**6, "pulse": 10**5, "grid": 10**7,
             "planar-call": 20_000, "collide-call": 5_000}


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def memory_bandwidth_gbs(nbytes: int = 1 << 28, repeats: int = 5) -> float:
    """Copy bandwidth (GB/s, bytes read plus bytes written) of a large float64 array copy."""
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    np.copyto(b, a)  # fault the pages in
    t = _median_time(lambda: np.copyto(b, a), repeats)
    return 2 * a.nbytes / t / 1e9


def _collinear(n, repeats):
    """The public collinear_impact on n-element arrays, against the NumPy version."""
    from crashcompat.bench.baselines import collinear_numpy
    from crashcompat.bench.cases import collinear_inputs
    from crashcompat.physics.impact import collinear_impact

    cols = collinear_inputs(n, seed=2)
    collinear_impact(*cols)  # compile / load from cache outside the timing
    t = _median_time(lambda: collinear_impact(*cols), repeats)
    tn = _median_time(lambda: collinear_numpy(*cols), max(1, repeats // 2))
    return t, tn


def _planar(n, repeats):
    """The public planar_impact on n-element arrays, against the NumPy version."""
    from crashcompat.bench.baselines import planar_numpy
    from crashcompat.bench.cases import planar_inputs
    from crashcompat.physics.impact import ENERGY_REL_TOL, planar_impact

    cols = planar_inputs(n, seed=2)
    planar_impact(*cols)
    t = _median_time(lambda: planar_impact(*cols), repeats)
    tn = _median_time(lambda: planar_numpy(*cols, rel_tol=ENERGY_REL_TOL), max(1, repeats // 2))
    return t, tn


def _per_call(fn, calls, repeats):
    fn()
    return _median_time(lambda: [fn() for _ in range(calls)], repeats)


def _planar_call(n, repeats):
    """planar_impact on Python floats, one case per call (n calls)."""
    from crashcompat.bench.cases import planar_inputs
    from crashcompat.physics.impact import planar_impact

    args = [float(c[0]) for c in planar_inputs(1, seed=2)]
    return _per_call(lambda: planar_impact(*args), n, repeats), None


def _collide_call(n, repeats):
    """collide() of a catalog kei car and pickup, default measures (delta-v and risk)."""
    from crashcompat.catalog.loading import default_catalog
    from crashcompat.physics.collide import collide

    cat = default_catalog()
    kei, truck = cat["kei/honda-n-box"], cat["us-truck/ford-f-150"]
    return _per_call(lambda: collide(kei, truck, "frontal", overlap=0.5), n, repeats), None


def _pulse(n, repeats):
    from crashcompat.bench.cases import pulse_inputs
    from crashcompat.kernels import pulse as kp
    from crashcompat.severity.pulse import DEFAULT_DT_S, DEFAULT_MAX_STEPS, OccupantParams

    P = pulse_inputs(n, seed=2)
    occ = OccupantParams().as_array()
    out = np.empty((kp.N_OUT, n))
    st = np.empty(n, dtype=np.int8)

    def run():
        kp.pulse_grid(kp.MODEL_LINEAR, P, occ, DEFAULT_DT_S, DEFAULT_MAX_STEPS, out, st, 64)

    run()
    t = _median_time(run, repeats)
    try:
        from crashcompat.bench.baselines_pulse import pulse_numpy
    except ImportError:
        return t, None
    m = min(n, 20_000)  # the NumPy version steps in Python-level array ops: keep it short
    Pm = np.ascontiguousarray(P[:, :m])
    tn = _median_time(lambda: pulse_numpy(kp.MODEL_LINEAR, Pm, occ, DEFAULT_DT_S,
                                          DEFAULT_MAX_STEPS), 1)
    return t, tn * n / m


def _grid(n, repeats):
    from crashcompat.bench.baselines import grid_summary_numpy
    from crashcompat.runs.grid import run_grid

    run = run_grid(_grid_spec(n))
    run.summary()
    t = _median_time(lambda: run._compute_summary(None, 0), repeats)
    small = run_grid(_grid_spec(max(n // 20, 10**5)))
    tn = _median_time(lambda: grid_summary_numpy(small), 1)
    return t * 1.0, tn * run.n_cases / small.n_cases, run.n_cases


def _grid_blocks() -> int:
    """Subject x partner x configuration blocks of the kei-vs-us vehicles with the catalog as it
    is (kei cars plus the two reference cars, against US pickups and SUVs, 4 configurations)."""
    from crashcompat.catalog.loading import default_catalog

    cat = default_catalog()
    return (len(cat.ids("kei")) + 2) * (len(cat.ids("us-truck")) + len(cat.ids("us-suv"))) * 4


def _grid_spec(n):
    """The kei-vs-us vehicles and closing speeds from 10 km/h, with about n cases; delta-v only.
    Up to about 200 geometry rows per block the angle and overlap axes are refined (that keeps
    the summary small); beyond, the speed axis grows (that keeps the geometry table, which
    scales with vehicles x configurations x angles x overlaps, within the memory budget)."""
    per_block = max(1, round(n / _grid_blocks()))
    geo_max = 196
    n_speed = 12 if per_block <= 12 * geo_max else max(12, round(per_block / geo_max))
    inner = max(1, round(per_block / n_speed))
    n_over = max(1, int(inner ** 0.5))
    n_ang = max(1, round(inner / n_over))
    angles = [-45 + 90 * k / max(n_ang - 1, 1) for k in range(n_ang)] if n_ang > 1 else [0.0]
    overlaps = [1.0 - 0.8 * k / max(n_over - 1, 1) for k in range(n_over)] if n_over > 1 \
        else [1.0]
    speeds = [10.0 + 110.0 * k / max(n_speed - 1, 1) for k in range(n_speed)]
    return {"closing_speed_kph": speeds, "angle_deg": angles, "overlap": overlaps,
            "measures": ["dv"]}


def run_bench(kernels=KERNELS, n: dict | None = None, repeats: int = 5,
              threads: int | None = None) -> list[dict]:
    """Benchmark ``kernels``; returns one dict per kernel (see the module docstring)."""
    from crashcompat.kernels._jit import set_threads

    nthreads = set_threads(threads)
    sizes = dict(DEFAULT_N, **(n or {}))
    bw = memory_bandwidth_gbs()
    out = []
    for k in kernels:
        if k not in KERNELS:
            raise ValueError(f"unknown kernel {k!r}; choose from {', '.join(KERNELS)}")
        size = sizes[k]
        if k == "grid":
            t, tn, size = _grid(size, repeats)
        else:
            t, tn = {"collinear": _collinear, "planar": _planar, "pulse": _pulse,
                     "planar-call": _planar_call, "collide-call": _collide_call}[k](size,
                                                                                   repeats)
        rate = size / t
        np_rate = size / tn if tn else None
        bpc = BYTES_PER_CASE[k]
        out.append({
            "kernel": k, "n": int(size), "cases_per_s": rate,
            "numpy_cases_per_s": np_rate,
            "speedup_vs_numpy": rate / np_rate if np_rate else None,
            "threads": nthreads,
            "bytes_per_case": bpc,
            "memory_bandwidth_gbs": bw,
            "bandwidth_fraction": rate * bpc / (bw * 1e9) if bpc else None,
        })
    return out
