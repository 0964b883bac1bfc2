"""Every bad input gets one sentence: exit 1 (usage errors 2), no traceback, nothing written.

One test per class of bad input found by the bad-input matrix of issue 13: wrong types in a spec
or in run_grid, non-finite and implausible axis values, grids too large for memory refused
before any table is built, contradicting options, and the conventions that go with them (spec on
stdin, CSV on stdout, stale partial files, -v/-q everywhere)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from crashcompat.cli import COMMANDS, main
from crashcompat.errors import CrashCompatError
from crashcompat.runs.grid import GridSizeError, GridSpecError, run_grid

SMALL = ["--subjects", "kei/honda-n-box", "--partners", "us-truck/ford-f-150",
         "--closing-speed", "30:60:30", "--angle", "0", "--overlap", "1",
         "--configurations", "frontal"]


def grid(args, **kw):
    return CliRunner().invoke(main, ["grid", *args], catch_exceptions=False, **kw)


def one_sentence(r, code=1):
    """Exit ``code``, no traceback, the error on one line of stderr (a usage error, exit 2,
    comes after click's two usage lines)."""
    assert r.exit_code == code, (r.exit_code, r.output)
    assert "Traceback" not in r.output
    lines = [ln for ln in r.stderr.strip().splitlines() if not ln.startswith("warning:")]
    if code == 2:
        assert lines[0].startswith("Usage: ") and lines[1].startswith("Try "), r.stderr
        lines = [ln for ln in lines[2:] if ln]
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    return lines[0]


# -- wrong types, in a spec file and in run_grid -------------------------------------------------

WRONG_TYPES = [
    ("measures = 5", "measures: expected a comma-separated string or a list of names"),
    ("measures = [1, 2]", "measures: expected a comma-separated string or a list of names"),
    ("risk_curves = 5", "risk_curves: expected a list of curve names or tables"),
    ("risk_curves = [5]", "risk_curves: each entry must be a curve name or a table"),
    ('risk_curves = [{name = "mine", a0 = "abc", a1_per_mph = 0.1, source = "me"}]',
     "risk_curves: a0: expected a number, got 'abc'"),
    ('risk_curves = [{name = "mine", a0 = -5.0}]', "missing a1_per_mph, source"),
    ('restitution_model = "fast"', "restitution_model: give [e_lo, e_hi, v_ref_mps], three "
                                   "numbers"),
    ("restitution_model = [0.3, 0.1]", "restitution_model: give [e_lo, e_hi, v_ref_mps]"),
    ('restitution_model = ["a", 0.1, 5.0]', "restitution_model: give [e_lo, e_hi, v_ref_mps]"),
    ("closing_speed_kph = {a = 1}", "closing_speed_kph: expected a number, a list"),
    ('split = "half"', "split: the subject's share of the closing speed must be a number"),
    ("struck_side = 1", "struck_side: must be driver, passenger, left or right, got 1"),
    ("pulse_model = true", "pulse_model: must be crash3 or linear, got True"),
    ('allow_implausible = "yes"', "allow_implausible: expected true or false"),
]


@pytest.mark.parametrize("line, message", WRONG_TYPES)
def test_wrong_types_in_a_spec_file_are_one_sentence(tmp_path, line, message):
    spec = tmp_path / "spec.toml"
    spec.write_text('subjects = ["kei/honda-n-box"]\n' + line + "\n")
    out = tmp_path / "out"
    out.mkdir()
    msg = one_sentence(grid([str(spec), "-o", str(out / "cases.parquet")]))
    assert str(spec) in msg and message in msg
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("key, value, message", [
    ("measures", 5, "measures: expected"),
    ("risk_curves", 5, "risk_curves: expected"),
    ("risk_curves", [{"name": "x", "a0": None, "a1_per_mph": 1.0, "source": "s"}],
     "risk_curves: a0: expected a number"),
    ("restitution_model", 0.2, "restitution_model: give"),
    ("restitution_model", {"e_lo": 0.3}, "restitution_model: give"),
])
def test_wrong_types_in_run_grid_raise_the_spec_error(key, value, message):
    with pytest.raises(GridSpecError, match=message):
        run_grid({"subjects": ["kei/honda-n-box"], key: value})


def test_collide_says_what_it_accepts():
    import crashcompat as cc

    f150 = cc.load_catalog()["us-truck/ford-f-150"]
    with pytest.raises(TypeError, match="must be a crashcompat.Vehicle or a catalog id"):
        cc.collide(1, f150)
    by_id = cc.collide("kei/honda-n-box", f150, subject_speed_kph=50, partner_speed_kph=50)
    by_vehicle = cc.collide(cc.load_catalog()["kei/honda-n-box"], f150, subject_speed_kph=50,
                            partner_speed_kph=50)
    assert by_id.subject.occupant_dv_kph == by_vehicle.subject.occupant_dv_kph


# -- values: non-finite, implausible -------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--closing-speed", "nan"], "--closing-speed: 'nan' is not a finite number"),
    (["--closing-speed", "inf"], "--closing-speed: 'inf' is not a finite number"),
    (["--closing-speed", "10:inf:10"], "--closing-speed: the range '10:inf:10' has a part that "
                                       "is not a finite number"),
    (["--friction", "nan"], "--friction: 'nan' is not a finite number"),
    (["--load", "-inf"], "--load: '-inf' is not a finite number"),
    (["--angle", "0,nan"], "--angle: 'nan' is not a finite number"),
])
def test_non_finite_values_are_refused(tmp_path, args, message):
    msg = one_sentence(grid([*SMALL, *args, "-o", str(tmp_path / "out.csv")]))
    assert message in msg
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["--load", "1e9"], "--load: 1e+09 kg is outside the plausible range 0-1500 kg"),
    (["--friction", "5"], "--friction: 5 is outside the plausible range 0-1.5"),
    (["--closing-speed", "1000"], "--closing-speed: 1000 km/h is outside the plausible range "
                                  "0-300 km/h"),
])
def test_implausible_values_need_the_override(tmp_path, args, message):
    msg = one_sentence(grid([*SMALL, *args, "-o", str(tmp_path / "out.csv")]))
    assert message in msg and "--allow-implausible" in msg
    assert list(tmp_path.iterdir()) == []
    r = grid([*SMALL, *args, "--allow-implausible", "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)


def test_implausible_override_in_a_spec_is_recorded(tmp_path):
    run = run_grid({"subjects": ["kei/honda-n-box"], "partners": ["us-truck/ford-f-150"],
                    "friction": [2.0], "allow_implausible": True})
    assert run.metadata()["grid_spec"]["allow_implausible"] is True
    with pytest.raises(GridSpecError, match="friction: 2 is outside the plausible range"):
        run_grid({"friction": [2.0]})


# -- size: refused before anything is built ------------------------------------------------------

_MEASURED = r"""
import atexit, sys
def _peak():
    # VmHWM: this process's own peak RSS (ru_maxrss would include the forked parent's image)
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(sys.argv[1], "w") as out:
        out.write(str(kb))
atexit.register(_peak)
from crashcompat.cli import main
main(sys.argv[2:], prog_name="crashcompat")
"""


def _refusal(args, tmp_path):
    """Run the CLI in a child process; return (exit code, stderr, seconds, peak RSS in MB)."""
    peak = tmp_path.parent / f"{tmp_path.name}-peak-kb"
    cmd = [sys.executable, "-c", _MEASURED, str(peak), "grid", *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       cwd=tmp_path)
    seconds = time.perf_counter() - t0
    return p.returncode, p.stderr, seconds, int(peak.read_text()) / 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc for peak RSS")
@pytest.mark.parametrize("args, message", [
    # the case: 1,601 angles x the default preset's vehicles: a geometry table of GBs
    (["--angle", "-80:80:0.1"], "this grid would need about"),
    (["--closing-speed", "0:100:0.0000001"], "more than the 1,000,000 one axis may hold"),
    (["--load", "0:1500:0.00001"], "--load: the range '0:1500:0.00001' has"),
    (["--restitution", "model,0:1:0.0000001"], "more than the 1,000,000 one axis may hold"),
    (["--closing-speed", "0:200:0.001", "--friction", "0:1.5:0.0001"], "pass --yes"),
    (["--closing-speed", "50", "--overlap", "0.01:1:0.01", "--impact-position",
      "driver-seat,-1:1:0.1"], "this grid would need about"),
])
def test_huge_grids_are_refused_in_2_s_and_200_mb(tmp_path, args, message):
    code, err, seconds, peak_mb = _refusal([*args, "-o", "out.parquet"], tmp_path)
    assert code == 1, err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert seconds < 2.0 and peak_mb < 200, (seconds, peak_mb)
    assert list(tmp_path.iterdir()) == []


def test_memory_refusal_names_the_axes_and_the_budget():
    with pytest.raises(GridSizeError) as info:
        run_grid({"angle_deg": "-80:80:0.1"})
    msg = str(info.value)
    assert "subject x partner x configuration x angle_deg x overlap x impact_position" in msg
    assert "1,601" in msg and "over the 1.0 GiB budget" in msg


# -- options that contradict each other ----------------------------------------------------------

def test_no_summary_without_output_is_a_usage_error():
    msg = one_sentence(grid([*SMALL, "--no-summary"]), code=2)
    assert "--no-summary without -o FILE computes nothing" in msg
    r = grid([*SMALL, "--summary", "none"])  # the old spelling, same answer
    assert r.exit_code == 2 and "computes nothing" in r.stderr


@pytest.mark.parametrize("args", [["--data-format", "parquet"], ["--format", "parquet"]])
def test_format_contradicting_the_extension_is_an_error(tmp_path, args):
    msg = one_sentence(grid([*SMALL, "-o", str(tmp_path / "out.csv"), *args]), code=2)
    assert "names a csv file but the format asked for is parquet" in msg
    assert list(tmp_path.iterdir()) == []


def test_cli_restitution_range_works_like_the_spec_form(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('restitution = ["model", "0.05:0.65:0.05"]\n')
    from crashcompat.runs.spec import load_spec, spec_from_dict

    want = load_spec(spec).restitution
    got = spec_from_dict({"restitution": "model,0.05:0.65:0.05"}).restitution
    assert got == want and len(got) == 14 and got[:3] == ("model", "0.05", "0.1")
    r = grid([*SMALL, "--restitution", "model,0.05:0.65:0.05", "--format", "json", "-q"])
    assert r.exit_code == 0, r.output


# -- stdin and stdout ----------------------------------------------------------------------------

def test_spec_from_stdin():
    text = ('subjects = ["kei/honda-n-box"]\npartners = ["us-truck/ford-f-150"]\n'
            'closing_speed_kph = [40]\nconfigurations = ["frontal"]\nangle_deg = [0]\n'
            'overlap = [1]\n')
    r = grid(["-", "--format", "json", "-q"], input=text)
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert {x["closing_speed_kph"] for x in rows} == {40.0}
    r = grid(["-"], input="subjects = [\n")
    assert "grid spec <stdin> is not valid TOML" in one_sentence(r)


def test_cases_as_csv_on_stdout():
    import io

    pd = pytest.importorskip("pandas")
    r = grid([*SMALL, "-o", "-", "-q"])
    assert r.exit_code == 0, r.stderr
    df = pd.read_csv(io.StringIO(r.stdout))
    assert len(df) == 3 * 2  # (the subject + 2 reference cars) x 2 speeds
    assert {"subject", "closing_speed_kph", "subject_occupant_dv_kph", "status"} <= set(df)
    msg = one_sentence(grid([*SMALL, "-o", "-", "--format", "json"]), code=2)
    assert "-o - writes the cases to stdout" in msg


# -- faults --------------------------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="needs the POSIX process table")
def test_a_later_run_removes_stale_partial_files(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".big.parquet.partial-{dead.pid}"
    stale.write_bytes(b"x" * 1000)
    r = grid([*SMALL, "-o", str(tmp_path / "out.parquet"), "--no-summary"])
    assert r.exit_code == 0, r.output
    assert not stale.exists()
    assert f"removed {stale}, a partial output (1.0 kB) left by process {dead.pid}" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


# -- conventions ---------------------------------------------------------------------------------

def _all_commands():
    import click

    cmds = []
    for name in COMMANDS:
        cmd = main.get_command(None, name)
        cmds.append(([name], cmd))
        if isinstance(cmd, click.Group):
            cmds += [([name, sub], c) for sub, c in cmd.commands.items()]
    return cmds


@pytest.mark.parametrize("path", [p for p, _ in _all_commands()], ids=" ".join)
def test_every_command_has_verbose_and_quiet(path):
    r = CliRunner().invoke(main, [*path, "--help"])
    assert r.exit_code == 0
    assert "-v, --verbose" in r.output and "-q, --quiet" in r.output


def test_quiet_silences_notes_and_verbose_adds_detail(tmp_path):
    path = tmp_path / "out.csv"
    r = grid([*SMALL, "-o", str(path), "--no-summary"])
    assert r.exit_code == 0 and "wrote 6 cases to" in r.stderr
    r = grid([*SMALL, "-o", str(path), "--no-summary", "--overwrite", "-q"])
    assert r.exit_code == 0 and r.stderr == ""
    r = grid([*SMALL, "-o", str(path), "--no-summary", "--overwrite", "-v"])
    assert "grid: 6 cases, axes" in r.stderr and "cases/s" in r.stderr
    r = CliRunner().invoke(main, ["-q", "grid", *SMALL, "-o", str(path), "--no-summary",
                                  "--overwrite"])
    assert r.exit_code == 0 and r.stderr == ""


def test_old_spellings_still_work_with_a_note():
    r = grid([*SMALL, "--summary", "json"])
    assert r.exit_code == 0
    assert "warning: --summary json is deprecated; use --format json" in r.stderr
    assert json.loads(r.stdout)


def test_library_messages_go_through_logging(tmp_path, caplog):
    import logging

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".x.csv.partial-{dead.pid}").write_text("x")
    run = run_grid({"subjects": ["kei/honda-n-box"], "partners": ["us-truck/ford-f-150"],
                    "closing_speed_kph": [50], "configurations": ["frontal"]})
    with caplog.at_level(logging.WARNING, logger="crashcompat"):
        run.write(tmp_path / "y.csv")
    assert [r.name for r in caplog.records] == ["crashcompat.runs.writers"]


@pytest.mark.parametrize("method, extra", [("to_pandas", "pandas"), ("to_xarray", "zarr")])
def test_missing_extras_name_the_pip_command(monkeypatch, method, extra):
    run = run_grid({"subjects": ["kei/honda-n-box"], "partners": ["us-truck/ford-f-150"],
                    "closing_speed_kph": [50], "configurations": ["frontal"]})
    module = "pandas" if method == "to_pandas" else "xarray"
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=rf"pip install 'crashcompat\[{extra}\]'") as info:
        getattr(run, method)()
    assert isinstance(info.value, CrashCompatError)
    if method == "to_pandas":
        with pytest.raises(ImportError, match=r"pip install 'crashcompat\[pandas\]'"):
            run.summary().to_pandas()
