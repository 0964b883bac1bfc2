"""`crashcompat bench` output contract and the README table renderer (no timing asserts)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

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
        assert abs(x["speedup_vs_numpy"] - x["cases_per_s"] / x["numpy_cases_per_s"]) < 1e-9
        assert 0 < x["bandwidth_fraction"]


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
                {"extra_info": {"cli_help_s": 0.08}}]}
    text = mod.render(data)
    assert "CPU X" in text and "| planar | 1,000 | 300,000,000 |" in text
    assert "| 30.0 |" in text and "| 10,000 |" in text and "cli help" in text
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{mod.START}\nold\n{mod.END}\nb\n")
    (tmp_path / "b.json").write_text(json.dumps(data))
    mod.main(["x", str(tmp_path / "b.json"), str(readme)])
    out = readme.read_text()
    assert "old" not in out and out.startswith("a\n") and out.endswith("b\n")
