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
    cat = cc.load_catalog()
    for row in rows:
        assert {"id", "class", "make", "model", "trim", "curb_mass_kg", "mass_kg", "length_m",
                "width_m", "stiffness_front_source"} <= set(row)
        assert row["class"] == "kei" and row["length_m"] <= 3.40
        # the mass the physics uses, beside the curb mass (issue 13 req 5)
        assert row["mass_kg"] == cat[row["id"]].mass_kg == row["curb_mass_kg"] + 75.0
        assert row["stiffness_front_source"] == "class estimate"


def test_list_table_shows_crash_mass_and_measured_stiffness():
    result = run("list", "--vehicles-dir", str(DATA / "measured"), "--class", "us-van")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "class", "make", "/", "model", "curb", "kg", "crash", "kg",
                                "length", "m", "width", "m", "height", "m", "front", "stiffness"]
    row = next(x for x in lines if x.startswith("us-van/test-van "))
    assert row.split()[-5:] == ["2075", "5.150", "2.000", "1.750", "measured"]
    assert "2000" in row.split()
    n = len(cc.load_catalog([DATA / "measured"]).ids("us-van"))
    assert f"{n} vehicles (1 with measured frontal stiffness)" in result.stderr


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


@pytest.mark.parametrize("vid", ["kei/honda-n-wgn", "us-van/kia-carnival", "us-truck/ford-f-150"])
def test_show_prints_unit_and_provenance_for_every_field(vid):
    result = run("show", vid)
    assert result.exit_code == 0, result.output
    out = result.stdout
    rec = cc.load_catalog().record(vid)
    assert f"  trim: {rec['trim']}" in out.splitlines()
    f = rec["fields"]
    assert (f"  mass the physics uses: {f['mass_kg']['value']:.0f} kg (curb "
            f"{f['curb_mass_kg']['value']:.0f} kg + standard load 75 kg)") in out.splitlines()
    for name, f in rec["fields"].items():
        line = next(x for x in out.splitlines() if x.strip().startswith(name + " "))
        assert f["kind"] in line
        if f["unit"] != "1":
            assert f" {f['unit']} " in line
        if f["kind"] == "spec":  # issue 15 req 1: each published figure with its source
            for part in (f"source: {f['source']}", f"ref: {f['ref']}", f"accessed: {f['accessed']}",
                         f"trim: {f['trim']}"):
                assert part in line, (name, part)
        else:
            assert "method" in line
            if f.get("ref"):
                assert f"ref: {f['ref']}" in line
    assert "izz_dynamic_index" in out


def test_show_json():
    result = run("show", "us-truck/gmc-hummer-ev-pickup", "--format", "json")
    assert result.exit_code == 0
    rec = json.loads(result.stdout)
    mass = rec["fields"]["curb_mass_kg"]
    assert mass["kind"] == "spec" and mass["ref"].startswith("https://") and mass["accessed"] == "2026-12-01"
    assert "9,046 lb" in mass["source"]
    assert rec["trim"] == "Edition 1" and rec["driven_wheels"] == "awd"


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


def test_validate_strict_bundled_ok():
    result = run("validate", "--strict")
    assert result.exit_code == 0, result.output
    n = len(cc.load_catalog())
    assert result.stdout.strip() == f"{n} files, {n} vehicles, no problems"
    assert result.stderr == ""


def test_validate_strict_fails_on_a_spec_without_a_followable_ref():
    folder = str(DATA / "provenance")
    gaps = cc.scan_catalog([folder]).provenance
    strict = run("validate", "--strict", "--vehicles-dir", folder)
    assert strict.exit_code == 1
    assert strict.stdout.splitlines() == [str(p) for p in gaps]
    assert any("curb_mass_kg is a published figure without a ref" in line for line in strict.stdout.splitlines())
    assert f"{len(gaps)} problems in 1 file" in strict.stderr
    assert "Traceback" not in strict.output
    # without --strict the same gaps are warnings: exit 0, data on stdout, warnings on stderr
    lax = run("validate", "--vehicles-dir", folder)
    assert lax.exit_code == 0
    n = len(cc.load_catalog([folder]))
    assert lax.stdout.strip() == f"{n} files, {n} vehicles, no problems"
    assert [x for x in lax.stderr.splitlines() if x.startswith("warning: /")] == [
        f"warning: {p}" for p in gaps]
    assert f"warning: {len(gaps)} provenance gaps (--strict makes them errors)" in lax.stderr


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
