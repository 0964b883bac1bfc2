"""The Dask backend: throughput on 1 and 2 local workers in the same run, the per-task overhead,
and a projection for 100 workers.

As a pytest-benchmark file (CI: ``--benchmark-disable``, one call each) it runs a small grid on
an in-process cluster. As a script, ``python benchmarks/bench_dask.py [--samples N]
[--json FILE]``, it measures on local worker processes of one thread each:

- throughput (case evaluations per second: cases x (1 + samples)) of the same run's summary,
  Monte Carlo included, on 1 and 2 workers, and their ratio, next to this process alone on
  one thread (no Dask);
- the per-task overhead: the same tiny run in tasks of one crash, timed per task, minus the
  compute those tasks do;
- the projection for 100 workers (:func:`project`), with its assumptions printed beside it.

The figures of docs/distributed.md come from the script on the project's 2 shared cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import pytest

#: the measured run: kei-vs-us-like, with a Monte Carlo (the work Dask is for)
SPEC = {"subjects": ["kei/*"], "references": ["us-car/toyota-corolla", "us-car/toyota-camry"],
        "partners": ["us-truck/ford-f-150", "us-truck/chevrolet-silverado-1500",
                     "us-suv/toyota-rav4", "us-suv/ford-explorer"],
        "closing_speed_kph": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120],
        "angle_deg": [-15, 0, 15],
        "overlap": [1.0, 0.5], "measures": ["dv", "risk"]}
#: the tiny run of the overhead measurement: one subject, one partner, every crash a task
TINY = {"subjects": ["kei/honda-n-box"], "references": [], "partners": ["us-truck/ford-f-150"],
        "closing_speed_kph": list(range(10, 130, 2)), "angle_deg": [0], "overlap": [1.0],
        "measures": ["dv"]}


def _evaluations(run) -> int:
    return run.n_cases * (1 + run.samples)


def _time_summary(spec, samples, client=None, repeats=3, **kw) -> tuple[float, object]:
    """Best wall time of a fresh run's summary (a new run each time: nothing cached)."""
    from crashcompat.runs.grid import run_grid

    best, run = float("inf"), None
    for _ in range(repeats):
        run = run_grid(spec, samples=samples, seed=1, client=client, **kw)
        t0 = time.perf_counter()
        run.summary(top=0)
        best = min(best, time.perf_counter() - t0)
    return best, run


def measure(samples: int = 200, workers=(1, 2), repeats: int = 3) -> dict:
    """Throughput on each worker count, the per-task overhead, and the projection."""
    import distributed

    from crashcompat.kernels._jit import set_threads

    out = {"spec": SPEC, "samples": samples, "cpu_count": os.cpu_count(), "workers": {},
           "load_average_before": os.getloadavg()[0]}  # other users of the cores
    set_threads(1)
    _time_summary(SPEC, samples, repeats=1)  # compile / load the kernels here
    t, run = _time_summary(SPEC, samples, repeats=repeats)
    out["cases"] = run.n_cases
    out["crashes"] = run.n_crashes
    out["single_process_1_thread"] = {"s": t, "evaluations_per_s": _evaluations(run) / t}
    for n in workers:
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cluster, \
                distributed.Client(cluster) as client:
            _time_summary(SPEC, samples, client=client, repeats=1)  # workers load the kernels
            t, run = _time_summary(SPEC, samples, client=client, repeats=repeats)
            from crashcompat.runs.distributed import task_blocks

            tasks = len(task_blocks(run, n))
            out["workers"][n] = {"s": t, "evaluations_per_s": _evaluations(run) / t,
                                 "tasks": tasks}
            if n == max(workers):
                out["overhead"] = task_overhead(client)
    w = sorted(out["workers"])
    out["ratio"] = out["workers"][w[-1]]["evaluations_per_s"] / \
        out["workers"][w[0]]["evaluations_per_s"]
    out["projection"] = project(out)
    return out


def task_overhead(client, repeats: int = 3) -> dict:
    """Seconds per task: the tiny run in tasks of one crash (60 tasks) on the cluster, minus
    the same crashes computed in this process on one thread, divided by the tasks and
    multiplied by the worker threads (the overhead each task costs one worker thread)."""
    from crashcompat.runs.grid import run_grid

    threads = sum(client.nthreads().values())
    run_grid(TINY, client=client, task_crashes=1).summary(top=0)  # workers build and load
    t_dask, run = _time_summary(TINY, 0, client=client, repeats=repeats, task_crashes=1)
    t_local, _ = _time_summary(TINY, 0, repeats=repeats)
    n = run.n_crashes
    return {"tasks": n, "s_dask": t_dask, "s_local": t_local,
            "s_per_task": max(t_dask - t_local, 0.0) * threads / n}


def project(m: dict, workers: int = 100) -> dict:
    """Time of the measured run on ``workers`` workers, from the measurements, by a two-term
    model: T(W) = T_fixed + n_tasks(W) * overhead / W + T_compute / W, where T_compute is the
    1-worker time less its task overhead and T_fixed what does not shrink with W (client-side
    merge, submitting, the run's set-up), taken as the 2-worker time less half the 1-worker
    compute and half the 2-worker overhead. Assumptions: one core per worker, as measured
    here; the cluster's scheduler handles the tasks' rate (Dask's documented ~1 ms per task
    or less, so for tasks of 0.1 s and more it does); the blocks sent back (bytes per crash x
    rows) are small next to the compute; the grid has at least 4 crashes per worker
    (TASKS_PER_THREAD), else workers idle."""
    from crashcompat.runs.distributed import TASKS_PER_THREAD

    o = m["overhead"]["s_per_task"]
    w1, w2 = m["workers"][1], m["workers"][2]
    compute = max(w1["s"] - w1["tasks"] * o, 0.0)
    fixed = max(w2["s"] - compute / 2 - w2["tasks"] * o / 2, 0.0)
    tasks = min(m["crashes"], TASKS_PER_THREAD * workers)
    t = fixed + tasks * o / workers + compute / workers
    # the grid that keeps 100 workers busy: tasks of at least 100x the overhead
    return {"workers": workers, "s": t, "speedup_vs_1_worker": w1["s"] / t,
            "fixed_s": fixed, "compute_s": compute, "tasks": tasks,
            "min_task_s_for_90pct": 9 * o,
            "assumptions": project.__doc__.split("Assumptions: ", 1)[1].split("\n\n")[0]}


# -- pytest-benchmark smoke (CI: --benchmark-disable) ---------------------------------------

def test_dask_summary_small(benchmark):
    distributed = pytest.importorskip("distributed")
    from crashcompat.runs.grid import run_grid

    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        def go():
            return run_grid(TINY, samples=2, client=client, task_crashes=8).summary(top=0)

        s = benchmark.pedantic(go, rounds=1, iterations=1)
        assert s.n_cases == run_grid(TINY).n_cases


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None, help="write the figures to this file")
    a = ap.parse_args(argv)
    m = measure(a.samples, repeats=a.repeats)
    print(f"run: {m['cases']:,} cases x (1 + {m['samples']} samples), {m['crashes']} crashes; "
          f"{m['cpu_count']} CPUs, load average {m['load_average_before']:.2f} before the run")
    s = m["single_process_1_thread"]
    print(f"  this process, 1 thread, no Dask: {s['s']:.3f} s, "
          f"{s['evaluations_per_s']:,.0f} evaluations/s")
    for n, w in sorted(m["workers"].items()):
        print(f"  {n} worker(s): {w['s']:.3f} s, {w['evaluations_per_s']:,.0f} evaluations/s, "
              f"{w['tasks']} tasks")
    print(f"  ratio 2 workers / 1 worker: {m['ratio']:.2f}")
    o = m["overhead"]
    print(f"per-task overhead: {o['s_per_task'] * 1e3:.1f} ms ({o['tasks']} tasks of one crash: "
          f"{o['s_dask']:.3f} s on the cluster, {o['s_local']:.3f} s here)")
    p = m["projection"]
    print(f"projection, {p['workers']} workers: {p['s']:.3f} s ({p['speedup_vs_1_worker']:.1f}x "
          f"1 worker; fixed {p['fixed_s']:.3f} s, compute {p['compute_s']:.3f} s, "
          f"{p['tasks']} tasks); tasks of >= {p['min_task_s_for_90pct']:.2f} s keep the "
          "overhead under 10 %")
    print("assumptions: " + " ".join(p["assumptions"].split()))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(m, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
