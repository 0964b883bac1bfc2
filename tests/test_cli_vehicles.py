"""``crashcompat vehicles``: exit codes, formats and messages."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crashcompat.catalog import loading as cc
from crashcompat.cli import main

DATA = Path(__file__).parent / "data" / "catalog"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(cc.ENV_VAR, raising=False)


def run(*args):
    # click >= 8.2 keeps stderr separate from stdout in the result.
    return CliRunner().invoke(main, ["vehicles", *args])


def test_list_table():
    result = run("list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:2] == ["id", "class"]
    assert "kei/honda-n-box" in result.stdout
    assert f"{len(cc.load_catalog())} vehicles" in result.stderr


def test_list_json_has_required_keys():
    result = run("list", "--format", "json", "--class", "kei")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) >= 15
    for row in rows:
        assert {"id", "class", "make", "model", "curb_mass_kg", "length_m", "width_m"} <= set(row)
        assert row["class"] == "kei" and row["length_m"] <= 3.40


def test_list_csv_has_header():
    result = run("list", "--format", "csv", "--class", "us-car")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["class"] == "us-car" for r in rows)
    assert result.stdout.splitlines()[0].startswith("id,class,make,model")


def test_list_bad_class_is_a_usage_error():
    result = run("list", "--class", "moped")
    assert result.exit_code == 2
    assert "moped" in result.output


def test_show_prints_unit_and_provenance_for_every_field():
    result = run("show", "kei/honda-n-box")
    assert result.exit_code == 0, result.output
    out = result.stdout
    rec = cc.load_catalog().record("kei/honda-n-box")
    for name, f in rec["fields"].items():
        line = next(x for x in out.splitlines() if x.strip().startswith(name + " "))
        assert f["kind"] in line
        assert ("source:" in line) if f["kind"] == "spec" else ("method" in line)
        if f["unit"] != "1":
            assert f" {f['unit']} " in line
    assert "900-1,000 kg" in out and "izz_dynamic_index" in out


def test_show_json():
    result = run("show", "us-truck/ford-f-150", "--format", "json")
    assert result.exit_code == 0
    rec = json.loads(result.stdout)
    assert rec["fields"]["curb_mass_kg"]["kind"] == "spec"


def test_show_unknown_id_suggests_close_ids():
    result = run("show", "n-box")
    assert result.exit_code == 1
    assert "unknown vehicle id 'n-box'" in result.output and "kei/honda-n-box" in result.output
    assert "Traceback" not in result.output


def test_validate_bundled_ok():
    result = run("validate")
    assert result.exit_code == 0
    n = len(cc.load_catalog())
    assert result.stdout.strip() == f"{n} files, {n} vehicles, no problems"


def test_validate_reports_every_problem_in_every_file():
    result = run("validate", "--vehicles-dir", str(DATA / "bad"), "--vehicles-dir", str(DATA / "dup"))
    assert result.exit_code == 1
    problems = cc.validate_catalog([DATA / "bad", DATA / "dup"])
    lines = result.stdout.splitlines()
    assert lines == [str(p) for p in problems]
    files = {Path(p.file).name for p in problems}
    assert {"typo.toml", "too-long.toml", "missing-mass.toml", "wrong-type.toml", "heavy.toml",
            "second.toml"} <= files
    assert f"{len(problems)} problems in {len(files)} files" in result.stderr


def test_override_is_reported_on_stderr():
    result = run("show", "kei/honda-n-box", "--vehicles-dir", str(DATA / "override"))
    assert result.exit_code == 0
    assert "N-BOX override" in result.stdout
    assert "overrides vehicle 'kei/honda-n-box'" in result.stderr


def test_env_var_is_honoured(monkeypatch):
    monkeypatch.setenv(cc.ENV_VAR, str(DATA / "good"))
    result = run("list", "--format", "json")
    assert result.exit_code == 0
    assert "kei/test-ok" in {r["id"] for r in json.loads(result.stdout)}


def test_broken_user_folder_is_an_error_not_a_traceback():
    result = run("list", "--vehicles-dir", str(DATA / "bad" / "kei" / "heavy.toml"))
    assert result.exit_code == 1
    assert "curb_mass_kg must be between 400 and 6000 kg, found 12000" in result.output
    result = run("list", "--vehicles-dir", str(DATA / "bad"))
    assert result.exit_code == 1 and "problems" in result.stderr
    assert "Traceback" not in result.output


def test_cli_module_does_not_import_numba():
    import subprocess
    import sys

    code = ("import sys; import crashcompat.cli.vehicles, crashcompat.catalog.loading; "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
