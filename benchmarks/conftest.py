"""Benchmark helpers: cases/s per kernel and implementation, and ratios measured in the same run.

Each benchmark calls ``record(kind, impl, n)`` after ``benchmark(...)``; at the end of the run a
table of median cases/s and the ratio of the numba kernel to the NumPy baseline and to the
pure-Python reference is printed. With ``--benchmark-disable`` (CI smoke runs) nothing is timed
and no table is printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the pure-Python references live with the tests (tests/reference), not in the package
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

_RESULTS: dict[tuple[str, str, int], float] = {}


@pytest.fixture
def record(benchmark):
    def _record(kernel: str, impl: str, n: int):
        stats = getattr(benchmark, "stats", None)
        if stats is None or benchmark.disabled:
            return
        median = stats.stats.median
        rate = n / median
        benchmark.extra_info.update(kernel=kernel, impl=impl, n=n, cases_per_s=rate)
        _RESULTS[(kernel, impl, n)] = rate

    return _record


def pytest_terminal_summary(terminalreporter):
    if not _RESULTS:
        return
    tr = terminalreporter
    tr.section("crashcompat cases/s (median) and ratios, same run")
    for (kernel, impl, n), rate in sorted(_RESULTS.items()):
        line = f"{kernel:12s} {impl:16s} n={n:>10,d} {rate:14,.0f} cases/s"
        if impl.startswith("numba"):
            np_rate = _RESULTS.get((kernel, "numpy", n))
            ref = [r for (k, i, _), r in _RESULTS.items() if k == kernel and i == "reference"]
            peer = [r for (k, i, _), r in _RESULTS.items() if k == kernel and i == "peer-pycrash"]
            if np_rate:
                line += f"   x{rate / np_rate:6.1f} vs numpy"
            if ref:
                line += f"   x{rate / ref[0]:9.0f} vs reference"
            if peer:
                line += f"   x{rate / peer[0]:6.1f} vs pycrash"
        if impl.startswith("crashcompat"):  # the writers (bench_writers.py)
            old = _RESULTS.get((kernel, "issue-time", n))
            kern = _RESULTS.get(("grid-chunks", "numba-parallel", n))
            if old:
                line += f"   x{rate / old:6.2f} vs the issue-time writer"
            if kern:
                line += f"   {rate / kern:5.0%} of the kernel's rows/s"
        tr.write_line(line)
