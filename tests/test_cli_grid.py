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
    r = run([*SMALL, "--format", "json", "-q"])
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
    r = run([*SMALL, "--format", "csv"])
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
    r = run(["--format", "yaml"])
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


def test_huge_grid_needs_yes(tmp_path):
    r = run(["--closing-speed", "0:200:0.001", "--angle", "-80:80:1", "--no-summary",
             "-o", str(tmp_path / "out.parquet")])
    assert r.exit_code == 1 and "pass --yes" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_options_override_the_spec_file(tmp_path):
    p = tmp_path / "spec.toml"
    p.write_text('subjects = ["kei/honda-n-box"]\npartners = ["us-suv/toyota-rav4"]\n'
                 'closing_speed_kph = [40]\nangle_deg = [0]\noverlap = [1]\n'
                 'configurations = ["frontal"]\n')
    rows = json.loads(run([str(p), "--closing-speed", "50", "--format", "json", "-q"]).stdout)
    assert {x["closing_speed_kph"] for x in rows} == {50.0}
    assert {x["partner"] for x in rows} == {"us-suv/toyota-rav4"}


OUT = [*SMALL, "--no-summary", "-q"]


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

        df = pd.read_csv(path)  # no options: the metadata is in the sidecar
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
    assert r.exit_code == 0 and path.read_text().startswith("subject,partner,")


def test_unwritable_output_and_unknown_extension(tmp_path):
    r = run([*OUT, "-o", str(tmp_path / "missing-dir" / "out.csv")])
    assert r.exit_code == 1 and "missing-dir" in r.stderr
    r = run([*OUT, "-o", str(tmp_path / "out.xlsx")])
    assert r.exit_code == 2 and "--data-format" in r.stderr
    r = run([*OUT, "-o", str(tmp_path / "out.xlsx"), "--data-format", "csv"])
    assert r.exit_code == 0
    # the old spelling still works, with a note
    r = run([*SMALL, "--no-summary", "-o", str(tmp_path / "old.xlsx"), "--format", "csv"])
    assert r.exit_code == 0 and "--format csv for the data file is deprecated" in r.stderr


def test_interrupted_run_leaves_no_file(tmp_path, monkeypatch):
    from crashcompat.runs import grid as grid_mod

    # the case tables every output path draws its chunks from (chunks() and write())
    real = grid_mod.GridRun._case_tables

    def interrupted(self, *a, **kw):
        for n, item in enumerate(real(self, *a, **kw)):
            if n == 1:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(grid_mod.GridRun, "_case_tables", interrupted)
    path = tmp_path / "out.parquet"
    r = run([*OUT, "-o", str(path), "--chunk-size", "1000", "--closing-speed", "1:100:1"])
    assert r.exit_code == 130
    assert "interrupted" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cache", ["warm", "cold"])
@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_kill_leaves_no_file(tmp_path, signame, code, cache):
    """kill (SIGTERM, exit 143) and Ctrl-C (SIGINT, exit 130) mid-run: the temporary file is
    removed, nothing is published, and the process is gone within about a second, also when
    the signal lands while numba compiles (a cold cache: the run says it is compiling)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("pyarrow")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "big.parquet"
    env = dict(os.environ)
    if cache == "cold":
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")
    cmd = [sys.executable, "-m", "crashcompat", "grid", "-o", str(out), "--no-summary",
           "--closing-speed", "0.5:120:0.5", "--angle", "-45:45:5", "--overlap", "0.2:1:0.2"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 60
    # wait until the temporary file exists, then signal
    while time.time() < deadline and not any(out_dir.iterdir()):
        time.sleep(0.02)
    assert any(out_dir.iterdir()), "the run never started writing"
    assert not out.exists()
    p.send_signal(getattr(signal, signame))
    t_signal = time.perf_counter()
    _, err = p.communicate(timeout=60)
    waited = time.perf_counter() - t_signal
    assert p.returncode == code, err
    assert waited < 1.5, (waited, err)  # 0.1 s polling + 0.5 s grace + exit
    assert "no output file was left behind" in err
    if cache == "cold":
        assert "compiling the grid kernels" in err
    assert list(out_dir.iterdir()) == []


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
    assert "--no-summary" in r.stderr


def test_summary_too_large_is_refused_before_the_file_is_written(monkeypatch, tmp_path):
    from crashcompat.runs.grid import GridRun

    monkeypatch.setattr(GridRun, "MAX_SUMMARY_GROUPS", 10)
    r = run([*SMALL, "-o", str(tmp_path / "out.parquet")])
    assert r.exit_code == 1 and "the summary would have 32 rows" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_to_xarray_has_numeric_coordinates_units_and_vehicle_facts():
    pytest.importorskip("xarray")
    from crashcompat import load_catalog
    from crashcompat.kernels.status import TABLE
    from crashcompat.runs.grid import run_grid

    run = run_grid({"subjects": ["kei/honda-n-box"], "partners": ["us-truck/ford-f-150"],
                    "closing_speed_kph": [50], "configurations": ["frontal", "side"],
                    "restitution": ["model", 0.1], "impact_position": ["driver-seat", 0.5]})
    ds = run.to_xarray()
    assert ds["restitution"].dtype == np.float64
    assert np.isnan(ds["restitution"].values[0]) and ds["restitution"].values[1] == 0.1
    assert ds["restitution_is_model"].values.tolist() == [True, False]
    assert ds["impact_position_is_driver_seat"].values.tolist() == [True, False]
    assert float(ds["subject_occupant_dv_kph"].sel(restitution=0.1, impact_position=0.5,
                                                   subject="kei/honda-n-box", angle_deg=0.0,
                                                   overlap=1.0, configuration="side").squeeze()
                 ) > 0
    cat = load_catalog()
    assert ds["subject_mass_kg"].sel(subject="kei/honda-n-box") == cat["kei/honda-n-box"].mass_kg
    assert ds["subject_class"].values.tolist() == ["kei", "us-car", "us-car"]
    assert ds["partner_class"].values.tolist() == ["us-truck"]
    assert ds["subject_role"].values.tolist() == ["subject", "reference", "reference"]
    assert ds["subject_occupant_dv_kph"].attrs["units"] == "km/h"
    assert ds["closing_speed_kph"].attrs["units"] == "km/h"
    assert ds["status"].attrs["flag_meanings"].split() == [s.label for s in TABLE]


def test_parquet_status_is_labelled_and_fields_carry_units(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "out.parquet"
    assert run([*OUT, "-o", str(path)]).exit_code == 0
    schema = pq.read_schema(path)
    assert schema.field("status").type == pa.dictionary(pa.int8(), pa.string())
    assert schema.field("subject_occupant_dv_kph").metadata[b"units"] == b"km/h"
    assert schema.field("subject_pdof_deg").metadata[b"units"] == b"degree"
    df = pq.read_table(path).to_pandas()
    assert set(df["status"].astype(str)) <= {"ok-sticking", "ok-sliding"}


def test_summary_is_unrounded_with_a_repr_and_a_dataframe():
    pytest.importorskip("pandas")
    from crashcompat.runs.grid import run_grid

    spec = {"subjects": ["kei/honda-n-box"], "partners": ["us-truck/ford-f-150"],
            "references": ["us-car/toyota-corolla"], "closing_speed_kph": [50],
            "configurations": ["frontal"], "angle_deg": [0, 20], "overlap": [1.0, 0.5]}
    r = run_grid(spec)
    s = r.summary()
    text = repr(s)
    assert text.startswith("<Summary of grid 'kei-vs-us': 8 cases, 1 rows")
    assert "worst: subject occupant delta-v" in text and ".to_pandas()" in text
    row = s.rows[0]
    # the library keeps every digit: the row is the mean of its cases, to rounding
    t = r.to_pandas()
    mine = t[t["subject"] == "kei/honda-n-box"]["subject_occupant_dv_kph"].mean()
    assert row["subject_occupant_dv_kph"] == pytest.approx(mine, rel=1e-12)
    assert row["subject_occupant_dv_kph"] != round(row["subject_occupant_dv_kph"], 3)
    df = s.to_pandas()
    assert list(df.columns) == list(s.columns) and len(df) == 1
    assert df["subject_occupant_dv_kph"].iloc[0] == row["subject_occupant_dv_kph"]


def test_table_rounds_for_display_only_and_keeps_small_risks_visible():
    r = run([*SMALL, "--closing-speed", "10", "--configurations", "frontal", "--references",
             "none"])
    assert r.exit_code == 0, r.output
    rows = json.loads(run([*SMALL, "--closing-speed", "10", "--configurations", "frontal",
                           "--references", "none", "--format", "json", "-q"]).stdout)
    fatal = rows[0]["subject_risk_malliaris_one_fatal"]
    assert 0 < fatal < 1e-3  # a small risk at 10 km/h ...
    assert f"{fatal:.4g}" in r.stdout  # ... shown with its significant digits, not as 0


def test_samples_add_bands_to_the_full_summary_and_the_seed_fixes_them():
    a = json.loads(run([*SMALL, "--samples", "4", "--seed", "7", "--format", "json", "-q"]).stdout)
    b = json.loads(run([*SMALL, "--samples", "4", "--seed", "7", "--format", "json", "-q"]).stdout)
    c = json.loads(run([*SMALL, "--samples", "4", "--seed", "8", "--format", "json", "-q"]).stdout)
    assert a == b and a != c
    assert len(a) == 2 * 1 * 4 * 2 * 2  # still one row per group and reference
    row = a[0]
    for col in ("subject_occupant_dv_kph", "ratio", "subject_risk_malliaris_one_fatal",
                "relative_risk_malliaris_one_mais3", "subject_crush_exhausted_share"):
        assert {f"{col}_p05", f"{col}_p50", f"{col}_p95"} <= set(row)
    table = run([*SMALL, "--samples", "4"]).stdout
    assert "ratio_p05" in table.splitlines()[1]
    r = run([*SMALL, "--samples", "-1"])
    assert r.exit_code == 2


def test_columns_and_float32_reach_the_output(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    from crashcompat.runs.writers import read_metadata

    path = tmp_path / "out.parquet"
    r = run([*OUT, "-o", str(path), "--columns",
             "subject_occupant_dv_kph, partner_occupant_dv_kph", "--float32"])
    assert r.exit_code == 0, r.output
    table = pq.read_table(path)
    keep = ["subject_occupant_dv_kph", "partner_occupant_dv_kph", "status"]
    assert [c for c in table.schema.names if c in keep or c.endswith(("_dv_kph", "_g"))] == keep
    assert str(table.schema.field("subject_occupant_dv_kph").type) == "float"
    assert read_metadata(path)["result_dtype"] == "float32"


def test_unknown_columns_exit_2_with_one_sentence(tmp_path):
    path = tmp_path / "out.parquet"
    r = run([*OUT, "-o", str(path), "--columns", "subject_occupant_dv_kph,dv_kph"])
    assert r.exit_code == 2, r.output
    line = [x for x in r.output.splitlines() if x.startswith("Error:")]
    assert len(line) == 1 and "'dv_kph' is not a result column of this grid" in line[0]
    assert "subject_occupant_dv_kph" in line[0] and "Traceback" not in r.output
    assert not path.exists()


def test_partial_impact_and_compartment_options_reach_the_spec(tmp_path):
    """--tangential-model, --contact-plane-deg, --impulse-ratio and --compartment-factor are
    spec keys: the run's metadata records them, and a sliding model on a turned plane changes the
    delta-v of a small-overlap crash against common velocity."""
    from crashcompat.runs.writers import read_metadata

    path = tmp_path / "tm.parquet"
    args = ["--subjects", "kei/honda-n-box", "--partners", "us-truck/ford-f-150",
            "--references", "none", "--configurations", "frontal", "--closing-speed", "60",
            "--overlap", "0.25", "--tangential-model", "common-velocity,sliding",
            "--contact-plane-deg", "0,40", "--impulse-ratio", "0.3", "--compartment-factor", "4",
            "--measures", "dv,pulse", "--no-summary", "-q", "-o", str(path)]
    r = run(args)
    assert r.exit_code == 0, r.output
    spec = read_metadata(path)["grid_spec"]
    assert list(spec["tangential_model"]) == ["common-velocity", "sliding"]
    assert spec["compartment_factor"] == 4.0
    import pyarrow.parquet as pq

    t = pq.read_table(path).to_pandas()
    t["plane"] = t["contact_plane_deg"].astype(str).str.replace(".0", "", regex=False)
    base = t[(t["tangential_model"] == "common-velocity") & (t["plane"] == "0")]
    turned = t[(t["tangential_model"] == "sliding") & (t["plane"] == "40")]
    assert len(base) == len(turned) > 0
    # the same crashes (all other axes equal, rows in grid order): the contacts slide off each
    # other on the turned plane, so the subject's delta-v is lower
    assert (turned["subject_dv_kph"].to_numpy() < base["subject_dv_kph"].to_numpy()).all()


def test_compartment_factor_below_one_is_one_sentence():
    r = run([*SMALL, "--compartment-factor", "0.5"])
    assert r.exit_code == 1
    assert "--compartment-factor: must be a number >= 1" in r.output
    assert "Traceback" not in r.output


def test_kei_highway_preset_runs_and_refuses_grid_options(tmp_path):
    r = run(["--preset", "kei-highway", "--samples", "0"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("kei-highway")
    assert "kei (class)" in r.stdout and "us-car/toyota-corolla" in r.stdout
    r = run(["--preset", "kei-highway", "--angle", "10", "--subjects", "kei/*"])
    assert r.exit_code == 2
    drop = r.output.split("drop ", 1)[1].split(" (docs/highway.md)")[0]
    assert sorted(drop.split(", ")) == ["--angle", "--subjects"]
