"""`crashcompat grid` CLI: exit codes, messages, summary formats, outputs."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from crashcompat.cli import main

SMALL = ["--subjects", "kei/honda-n-box,kei/nissan-sakura", "--partners", "us-truck/ford-f-150",
         "--closing-speed", "30:60:30", "--angle", "0", "--overlap", "1"]


def run(args, **kw):
    return CliRunner().invoke(main, ["grid", *args], catch_exceptions=False, **kw)


def test_table_summary_has_rows_worst_cases_status_and_limits():
    r = run(SMALL)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "Occupant delta-v (driver seat" in out
    assert "kei/honda-n-box" in out and "us-car/toyota-corolla" in out
    assert "Worst 10 cases by subject occupant delta-v" in out
    assert "Cases by status (32 in all)" in out  # 4 subjects x 1 x 4 configs x 2 speeds
    assert "Model limits:" in out and "not structural collapse" in out


def test_json_summary_is_an_array_with_the_table_columns():
    r = run([*SMALL, "--summary", "json", "-q"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert isinstance(rows, list) and len(rows) == 2 * 1 * 4 * 2 * 2
    table = run(SMALL).stdout.splitlines()
    header = table[1].split()
    assert list(rows[0]) == header
    frontal = [x for x in rows if x["configuration"] == "frontal"]
    # the kei occupant is hit harder than the Corolla occupant by the same F-150
    assert all(x["ratio"] > 1 for x in frontal if x["reference"] == "us-car/toyota-corolla")


def test_csv_summary_parses_and_status_goes_to_stderr():
    r = run([*SMALL, "--summary", "csv"])
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 32 and "ratio" in rows[0]
    assert "Cases by status" in r.stderr and "Cases by status" not in r.stdout


@pytest.mark.parametrize("args, message", [
    (["--subjects", "kei/honda-nbox"], "kei/honda-n-box"),
    (["--closing-speed", "10:100:0"], "step of '10:100:0' must be > 0"),
    (["--closing-speed", "-10"], "speeds must be >= 0"),
    (["--angle", ""], "the axis is empty"),
    (["--configurations", "fontal"], "did you mean 'frontal'"),
    (["--overlap", "0"], "cannot touch"),
])
def test_expected_errors_are_one_sentence_exit_1(args, message):
    r = run([*SMALL, *args])
    assert r.exit_code == 1, r.output
    assert message in r.stderr
    assert "Traceback" not in r.output
    assert r.stderr.startswith("Error: ") and len(r.stderr.strip().splitlines()) == 1


def test_usage_errors_exit_2():
    r = run(["--summary", "yaml"])
    assert r.exit_code == 2
    r = run(["--threads", "0"])
    assert r.exit_code == 2


def test_bad_spec_file(tmp_path):
    p = tmp_path / "spec.toml"
    p.write_text('subjects = ["kei"]\nspeeds = [1]\n')
    r = run([str(p)])
    assert r.exit_code == 1 and "unknown key 'speeds'" in r.stderr and str(p) in r.stderr
    r = run([str(tmp_path / "missing.toml")])
    assert r.exit_code == 1 and "does not exist" in r.stderr


def test_huge_grid_needs_yes():
    r = run(["--closing-speed", "0:200:0.001", "--angle", "-80:80:1", "--summary", "none"])
    assert r.exit_code == 1 and "pass --yes" in r.stderr


def test_options_override_the_spec_file(tmp_path):
    p = tmp_path / "spec.toml"
    p.write_text('subjects = ["kei/honda-n-box"]\npartners = ["us-suv/toyota-rav4"]\n'
                 'closing_speed_kph = [40]\nangle_deg = [0]\noverlap = [1]\n'
                 'configurations = ["frontal"]\n')
    rows = json.loads(run([str(p), "--closing-speed", "50", "--summary", "json", "-q"]).stdout)
    assert {x["closing_speed_kph"] for x in rows} == {50.0}
    assert {x["partner"] for x in rows} == {"us-suv/toyota-rav4"}
