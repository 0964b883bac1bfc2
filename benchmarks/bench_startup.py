"""Start-up costs: cold import, `crashcompat --help`, and the first call's compile time with and
without numba's on-disk cache (fresh processes, timed from outside)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import pytest

FIRST_CALL = ("import crashcompat as cc; cc.planar_impact(900, 1300, 14, 0, 0, 1.6, 0.3, 2300, "
              "5500, -14, 0, 0, -2.7, 0.3, 180, 0.1, 0.5)")


def _time(cmd, env=None, rounds=3):
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        best = min(best, time.perf_counter() - t)
    return best


def _report(benchmark, name, seconds):
    benchmark.extra_info[name + "_s"] = seconds
    print(f"\n{name}: {seconds:.3f} s")


def test_cold_import(benchmark):
    t = _time([sys.executable, "-c", "import crashcompat"])
    benchmark.pedantic(lambda: None, rounds=1)
    _report(benchmark, "import_crashcompat", t)


def test_cli_help(benchmark):
    t = _time([sys.executable, "-m", "crashcompat", "--help"])
    benchmark.pedantic(lambda: None, rounds=1)
    _report(benchmark, "cli_help", t)


@pytest.mark.parametrize("cache", ["cold-cache", "warm-cache"])
def test_first_call_compile(benchmark, cache):
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        if cache == "warm-cache":
            subprocess.run([sys.executable, "-c", FIRST_CALL], check=True, env=env)
            t = _time([sys.executable, "-c", FIRST_CALL], env=env)
        else:
            t = _time([sys.executable, "-c", FIRST_CALL], env=env, rounds=1)
    benchmark.pedantic(lambda: None, rounds=1)
    _report(benchmark, f"first_planar_call_{cache}", t)
