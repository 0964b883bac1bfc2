"""`crashcompat bench` output contract and the README table renderer (no timing asserts)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from crashcompat.cli import main

KEYS = {"kernel", "n", "cases_per_s", "numpy_cases_per_s", "speedup_vs_numpy", "threads"}


def test_bench_json_keys():
    r = CliRunner().invoke(main, ["bench", "--kernel", "collinear", "--kernel", "planar",
                                  "-n", "2000", "--repeats", "1", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["kernel"] for x in rows] == ["collinear", "planar"]
    for x in rows:
        assert KEYS <= set(x)
        assert x["n"] == 2000 and x["threads"] >= 1 and x["cases_per_s"] > 0
        assert 0 < x["bandwidth_fraction"]


def test_bench_times_the_numpy_baseline_on_the_same_inputs(monkeypatch):
    # the NumPy rate must come from running the NumPy version of the same equations on the same
    # n cases (tests/test_baselines.py checks that it computes what the kernel computes)
    from crashcompat.bench import baselines, runner
    from crashcompat.physics import impact

    seen = {"numpy": [], "api": []}
    real_np, real_api = baselines.planar_numpy, impact.planar_impact

    def spy_np(*cols, **kw):
        seen["numpy"].append([np.asarray(c).copy() for c in cols])
        return real_np(*cols, **kw)

    def spy_api(*cols):
        seen["api"].append([np.asarray(c).copy() for c in cols])
        return real_api(*cols)

    monkeypatch.setattr(baselines, "planar_numpy", spy_np)
    monkeypatch.setattr(impact, "planar_impact", spy_api)
    row, = runner.run_bench(["planar"], n={"planar": 3000}, repeats=2)
    assert seen["numpy"] and seen["api"]
    for a, b in zip(seen["numpy"][0], seen["api"][0]):
        np.testing.assert_array_equal(a, b)
        assert a.shape == (3000,)
    assert row["n"] == 3000 and row["numpy_cases_per_s"] > 0


def test_bench_per_call_kernels_report_calls_per_second():
    rows = __import__("crashcompat.bench.runner", fromlist=["run_bench"]).run_bench(
        ["planar-call", "collide-call"], n={"planar-call": 50, "collide-call": 20}, repeats=1)
    assert [r["kernel"] for r in rows] == ["planar-call", "collide-call"]
    for r in rows:
        assert r["cases_per_s"] > 0 and r["numpy_cases_per_s"] is None


def test_bench_table_and_bad_kernel():
    r = CliRunner().invoke(main, ["bench", "--kernel", "collinear", "-n", "2000",
                                  "--repeats", "1"])
    assert r.exit_code == 0 and "memory copy bandwidth" in r.stdout
    r = CliRunner().invoke(main, ["bench", "--kernel", "fft"])
    assert r.exit_code == 2


def test_readme_table_renders_from_benchmark_json(tmp_path):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "render_readme.py"
    spec = importlib.util.spec_from_file_location("render_readme", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    data = {"datetime": "2026-11-21T06:00:00", "machine_info": {"cpu": {"brand_raw": "CPU X",
                                                                       "count": 2},
                                                              "python_version": "3.11.7"},
            "benchmarks": [
                {"extra_info": {"kernel": "planar", "impl": "numba-parallel", "n": 1000,
                                "cases_per_s": 3e8}},
                {"extra_info": {"kernel": "planar", "impl": "numpy", "n": 1000,
                                "cases_per_s": 1e7}},
                {"extra_info": {"kernel": "planar", "impl": "reference", "n": 50,
                                "cases_per_s": 3e4}},
                {"extra_info": {"kernel": "planar", "impl": "numba-api", "n": 1000,
                                "cases_per_s": 2e8}},
                {"extra_info": {"kernel": "planar-call", "impl": "numba-api", "n": 2000,
                                "cases_per_s": 2.4e5}},
                {"extra_info": {"kernel": "planar-call", "impl": "peer-pycrash", "n": 500,
                                "cases_per_s": 6e4}},
                {"extra_info": {"cli_help_s": 0.08}}]}
    text = mod.render(data)
    assert "CPU X" in text and "| planar | 1,000 | 300,000,000 |" in text
    assert "| 30.0 |" in text and "| 10,000 |" in text and "cli help" in text
    assert "| 200,000,000 | 20.0 |" in text  # the public call and its ratio to NumPy
    assert "| planar_impact (Python floats) | 240,000 | 60,000 | 4.0 |" in text
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{mod.START}\nold\n{mod.END}\nb\n")
    (tmp_path / "b.json").write_text(json.dumps(data))
    mod.main(["x", str(tmp_path / "b.json"), str(readme)])
    out = readme.read_text()
    assert "old" not in out and out.startswith("a\n") and out.endswith("b\n")
