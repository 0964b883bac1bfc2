"""`crashcompat grid` CLI: exit codes, messages, summary formats, outputs."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
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


OUT = [*SMALL, "--summary", "none", "-q"]


@pytest.mark.parametrize("ext", ["csv", "parquet", "zarr"])
def test_output_files_have_every_case_and_metadata(tmp_path, ext):
    pytest.importorskip("pyarrow")
    pytest.importorskip("zarr")
    from crashcompat.runs.writers import read_metadata

    path = tmp_path / f"out.{ext}"
    r = run([*OUT, "-o", str(path)])
    assert r.exit_code == 0, r.output
    meta = read_metadata(path)
    assert meta["n_cases"] == 32 and meta["crashcompat_version"]
    assert meta["grid_spec"]["subjects"] == ["kei/honda-n-box", "kei/nissan-sakura"]
    assert len(meta["catalog_sha256"]) == 64 and "restitution_model" in meta["models"]
    if ext == "csv":
        import pandas as pd

        df = pd.read_csv(path, comment="#")
    elif ext == "parquet":
        import pyarrow.parquet as pq

        df = pq.read_table(path).to_pandas()
    else:
        xr = pytest.importorskip("xarray")
        ds = xr.open_zarr(path)
        assert ds["subject_occupant_dv_kph"].dims[:3] == ("subject", "partner", "configuration")
        assert ds["subject_occupant_dv_kph"].size == 32
        df = ds.to_dataframe().reset_index()
    assert len(df) == 32
    assert {"subject", "partner", "closing_speed_kph", "subject_occupant_dv_kph",
            "status"} <= set(df.columns)
    # the same numbers as the library
    from crashcompat.runs.grid import run_grid

    want = run_grid({"subjects": ["kei/honda-n-box", "kei/nissan-sakura"],
                     "partners": ["us-truck/ford-f-150"], "closing_speed_kph": [30, 60],
                     "angle_deg": [0], "overlap": [1]}).to_pandas()
    key = ["subject", "partner", "configuration", "closing_speed_kph"]
    merged = df.astype({"subject": str, "partner": str, "configuration": str}).merge(
        want.astype({"subject": str, "partner": str, "configuration": str}), on=key)
    assert len(merged) == 32
    np.testing.assert_allclose(merged["subject_occupant_dv_kph_x"],
                               merged["subject_occupant_dv_kph_y"], rtol=1e-12)


def test_existing_output_is_kept_unless_overwrite(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("precious\n")
    r = run([*OUT, "-o", str(path)])
    assert r.exit_code == 1 and "--overwrite" in r.stderr
    assert path.read_text() == "precious\n"
    r = run([*OUT, "-o", str(path), "--overwrite"])
    assert r.exit_code == 0 and path.read_text().startswith("# crashcompat-metadata")


def test_unwritable_output_and_unknown_extension(tmp_path):
    r = run([*OUT, "-o", str(tmp_path / "missing-dir" / "out.csv")])
    assert r.exit_code == 1 and "missing-dir" in r.stderr
    r = run([*OUT, "-o", str(tmp_path / "out.xlsx")])
    assert r.exit_code == 1 and "--format" in r.stderr
    r = run([*OUT, "-o", str(tmp_path / "out.xlsx"), "--format", "csv"])
    assert r.exit_code == 0


def test_interrupted_run_leaves_no_file(tmp_path, monkeypatch):
    from crashcompat.runs import grid as grid_mod

    real = grid_mod.GridRun.chunks

    def interrupted(self, *a, **kw):
        for n, item in enumerate(real(self, *a, **kw)):
            if n == 1:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(grid_mod.GridRun, "chunks", interrupted)
    path = tmp_path / "out.parquet"
    r = run([*OUT, "-o", str(path), "--chunk-size", "1000", "--closing-speed", "1:100:1"])
    assert r.exit_code == 130
    assert "interrupted" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_kill_leaves_no_file(tmp_path, signame):
    """kill (SIGTERM) and Ctrl-C (SIGINT) mid-run: the temporary file is removed, nothing is
    published, exit 130 (also when the signal lands while numba compiles)."""
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("pyarrow")
    out = tmp_path / "big.parquet"
    cmd = [sys.executable, "-m", "crashcompat", "grid", "-o", str(out), "--summary", "none",
           "--closing-speed", "0.5:120:0.5", "--angle", "-45:45:5", "--overlap", "0.2:1:0.2"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    # wait until the temporary file exists, then kill
    while time.time() < deadline and not any(tmp_path.iterdir()):
        time.sleep(0.05)
    assert any(tmp_path.iterdir()), "the run never started writing"
    assert not out.exists()
    p.send_signal(getattr(signal, signame))
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_to_xarray_matches_chunks():
    xr = pytest.importorskip("xarray")
    from crashcompat.runs.grid import run_grid

    run = run_grid({"subjects": ["kei/honda-n-box"], "partners": ["us-suv/toyota-rav4"],
                    "closing_speed_kph": [30, 50], "angle_deg": [0, 15], "overlap": [1.0]})
    ds = run.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds["subject_occupant_dv_kph"].dims == tuple(run.axes)
    flat = np.concatenate([t["subject_occupant_dv_kph"] for _, t in run.chunks()])
    np.testing.assert_array_equal(ds["subject_occupant_dv_kph"].values.ravel(), flat)
    sel = ds["subject_occupant_dv_kph"].sel(subject="kei/honda-n-box", configuration="frontal",
                                           closing_speed_kph=50.0, angle_deg=0.0)
    assert float(sel.squeeze()) == pytest.approx(
        float(flat.reshape(run.shape)[0, 0, 0, 1, 0].squeeze()))


def test_summary_too_large_is_an_error_not_a_memory_blowup(monkeypatch):
    from crashcompat.runs.grid import GridRun

    monkeypatch.setattr(GridRun, "MAX_SUMMARY_GROUPS", 10)
    r = run(SMALL)
    assert r.exit_code == 1 and "the summary would have 32 rows" in r.stderr
    assert "--summary none" in r.stderr
