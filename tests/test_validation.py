"""Validation suite (issue 10 requirement 7): the bundled published tests, the figures derived from
their traces, the runner's wiring, the restitution fit, the held-out split and the CLI.

The CI tolerances (check_tolerances) are those of docs/validation.md, "Tolerances": the source's
own precision (the NHTSA rebound to +-0.3 km/h, the staged impact's GPS-judged speed to +-9 %), not
the model's current error.
"""

from __future__ import annotations

import json
import math
import shutil
import tomllib

import pytest
from click.testing import CliRunner

from crashcompat.cli import main
from crashcompat.physics.restitution import DEFAULT_RESTITUTION_MODEL
from crashcompat.units import KPH
from crashcompat.validation import (CASES_FILE, TARGET_TESTS, check_tolerances, fit_restitution,
                                    load_cases, restitution_fit, run_validation)
from crashcompat.validation.calibration import RestitutionPoint
from crashcompat.validation.traces import TRACES_DIR, derive, load_trace


@pytest.fixture(scope="module")
def result():
    return run_validation()


@pytest.fixture(scope="module")
def data():
    return load_cases()


def _row(result, rid):
    return next(r for r in result.cases if r["id"] == rid)


# --- the data ---------------------------------------------------------------------------------


def test_every_case_and_figure_has_a_source(data):
    for name, src in data["sources"].items():
        assert src["source"] and src["url"].startswith("https://") and src["accessed"], name
    for c in data["case"]:
        assert c["source"] in data["sources"]
        assert c["split"] in ("calibration", "held-out")
        for role, quantities in c["measured"].items():
            for q, m in quantities.items():
                assert m["kind"] in ("published", "derived"), (c["id"], role, q)
                assert m["method"], (c["id"], role, q)
                if m["kind"] == "derived" and q != "static_crush_m":
                    assert m["uncertainty"] > 0, (c["id"], role, q)
                if m.get("use", True) is False:
                    assert m["reason"], (c["id"], role, q)
        for key in ("subject_vehicle", "partner_vehicle"):
            for name, entry in c.get(key, {}).items():
                if isinstance(entry, dict) and entry.get("kind") == "spec":
                    assert entry["source"] and entry["ref"] and entry["accessed"], (c["id"], name)


def test_traces_match_their_headers_and_sources():
    # each trace names the public repository it was read from and the test's owner
    stored_in = {"nhtsa-": ("joe-cormier/pycrash", "NHTSA"),
                 "iihs-": ("1jamescaldwell/CrashPulseGeneration", "IIHS")}
    for path in sorted(TRACES_DIR.glob("*.txt")):
        tr = load_trace(path.stem)  # raises if the sample count differs from the header
        (repo, owner), = [v for k, v in stored_in.items() if path.stem.startswith(k)]
        assert repo in tr.header and owner in tr.header
        assert tr.dt_s in (1e-4, 8e-5)
    # the transcription ends where the headers say
    assert load_trace("nhtsa-10146-ch093").t_s[-1] == pytest.approx(0.1148)
    assert load_trace("nhtsa-07292-ch149").t_s[-1] == pytest.approx(0.1796)
    assert load_trace("nhtsa-07292-ch275").t_s[-1] == pytest.approx(0.18376)
    assert load_trace("iihs-cep1705-acxd").t_s[-1] == pytest.approx(0.1912)


def test_derived_figures_recompute_from_the_traces(data):
    """Every 'derived' figure of the NHTSA cases, recomputed from the bundled transcription, to
    the rounding of the recorded value."""
    cases = {c["id"]: c for c in data["case"]}
    camry = cases["nhtsa-10146-camry-ncap"]["measured"]["subject"]
    d = derive(load_trace("nhtsa-10146-ch093"), 57.09)
    assert d["dv_kph"] == pytest.approx(camry["dv_kph"]["value"], abs=0.05)
    assert d["restitution"] == pytest.approx(camry["restitution"]["value"], abs=0.0005)
    assert d["pulse_duration_ms"] == pytest.approx(camry["pulse_duration_ms"]["value"], abs=0.5)
    assert d["time_to_max_crush_ms"] == pytest.approx(camry["time_to_max_crush_ms"]["value"],
                                                      abs=0.05)
    assert d["mean_accel_g"] == pytest.approx(camry["mean_accel_g"]["value"], abs=0.05)
    assert d["peak_accel_g"] == pytest.approx(camry["peak_accel_g"]["value"], abs=0.05)
    assert d["max_dynamic_crush_m"] == pytest.approx(camry["max_dynamic_crush_m"]["value"],
                                                     abs=0.005)
    # the stated uncertainty covers the residual acceleration at the end of the window
    assert abs(d["tail_mean_g"]) * 9.80665 * 0.02 / KPH < camry["dv_kph"]["uncertainty"]
    taurus = cases["nhtsa-07292-taurus-into-taurus"]["measured"]
    d1 = derive(load_trace("nhtsa-07292-ch149"), 113.4)
    d2 = derive(load_trace("nhtsa-07292-ch275"), 0.0)
    assert d1["dv_kph"] == pytest.approx(taurus["subject"]["dv_kph"]["value"], abs=0.05)
    assert d2["dv_kph"] == pytest.approx(taurus["partner"]["dv_kph"]["value"], abs=0.05)
    # the pre-trigger offset that bounds vehicle 1's uncertainty: its effect over the window
    # is within the stated +-2 km/h
    assert abs(d1["pre_trigger_mean_g"]) * 9.80665 * 0.1796 / KPH <= taurus["subject"]["dv_kph"][
        "uncertainty"]
    assert abs(d2["pre_trigger_mean_g"]) < 0.1  # a quiet channel before the impact
    # why vehicle 2's X integral is not its delta-v: it fails momentum balance with vehicle 1
    m1, m2 = 1735.0, 1730.0
    assert m1 * d1["dv_kph"] > 1.5 * m2 * d2["dv_kph"]
    assert taurus["partner"]["dv_kph"]["use"] is False
    # IIHS CEP1705 (small overlap): the x velocity change, and the car still moving forward
    accord = cases["iihs-cep1705-accord-small-overlap-passenger"]
    d3 = derive(load_trace("iihs-cep1705-acxd"), accord["subject_speed_kph"])
    m3 = accord["measured"]["subject"]
    assert d3["dv_kph"] == pytest.approx(m3["dv_kph"]["value"], abs=0.05)
    assert d3["peak_accel_g"] == pytest.approx(m3["peak_accel_g"]["value"], abs=0.05)
    assert d3["final_speed_kph"] > 10  # it glanced off: no rebound, so no restitution point
    assert "restitution" not in d3
    # the end value's spread (largest change against the settled one) is within the uncertainty
    assert d3["max_dv_kph"] - d3["dv_kph"] < m3["dv_kph"]["uncertainty"]


def test_the_set_says_how_small_it_is(result):
    assert result.n_tests == len(load_cases()["case"]) == 4 < TARGET_TESTS
    assert any(f"{result.n_tests} published tests" in n and str(TARGET_TESTS) in n
               for n in result.notes)
    assert str(TARGET_TESTS) in result.table() and str(TARGET_TESTS) in result.to_markdown()


# --- the runner -------------------------------------------------------------------------------


def test_contract_interface(result):
    """CONTRACT item 3: .cases (id, type, vehicle, source, measured_dv_kph, predicted_dv_kph,
    error_pct, optional pulse_duration_ms / peak_accel_g), .summary (by type: n, bias_pct,
    spread_pct), to_dict() JSON-able."""
    for r in result.cases:
        for key in ("id", "type", "vehicle", "source", "measured_dv_kph", "predicted_dv_kph",
                    "error_pct"):
            assert key in r, key
        assert r["error_pct"] == pytest.approx(100 * (r["predicted_dv_kph"] / r["measured_dv_kph"]
                                                      - 1), rel=1e-12)
    camry = _row(result, "nhtsa-10146-camry-ncap:subject")
    assert camry["measured_pulse_duration_ms"] == 108.0 and camry["measured_peak_accel_g"] == 41.1
    assert camry["predicted_pulse_duration_ms"] > 0 and camry["predicted_peak_accel_g"] > 0
    types = {r["type"] for r in result.cases}
    assert types | {"all"} == set(result.summary)
    for s in result.summary.values():
        assert {"n", "bias_pct", "spread_pct", "bias_pct_fitted", "n_held_out"} <= set(s)
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert {"cases", "summary"} <= set(d) and len(d["cases"]) == len(result.cases)
    assert json.loads(result.to_json())["summary"]["all"]["n"] == result.summary["all"]["n"]


def test_test_vehicles_carry_the_test_masses(result):
    masses = {r["id"]: r for r in result.cases}
    from crashcompat.validation.runner import _test_catalog
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        cat = _test_catalog(load_cases()["case"], Path(tmp))
    assert cat["us-car/test-nhtsa-10146-camry"].mass_kg == 1719.0
    assert cat["us-car/test-nhtsa-07292-taurus-2007"].mass_kg == 1735.0
    assert cat["us-car/test-nhtsa-07292-taurus-2006"].mass_kg == 1730.0
    assert cat["us-car/test-gbb-polo"].mass_kg == 770.0
    assert cat["us-car/test-gbb-fiesta"].mass_kg == 950.0
    camry = cat["us-car/test-nhtsa-10146-camry"]
    assert camry.wheelbase_m == 2.825 and camry.width_m == 1.837
    assert masses["nhtsa-10146-camry-ncap:subject"]["vehicle_id"] == camry.id


def test_barrier_prediction_is_one_plus_e_times_v(result):
    """The full-frontal rigid-barrier row against the closed form, independently of the runner."""
    row = _row(result, "nhtsa-10146-camry-ncap:subject")
    e = float(DEFAULT_RESTITUTION_MODEL(57.09 * KPH))
    assert row["restitution_default"] == pytest.approx(e, rel=1e-9)
    assert row["predicted_dv_kph"] == pytest.approx((1 + e) * 57.09, rel=1e-4)
    fit = restitution_fit()
    assert row["predicted_dv_fitted_kph"] == pytest.approx(
        (1 + float(fit.model(57.09 * KPH))) * 57.09, rel=1e-4)


def test_staged_rear_impact_prediction_is_the_collinear_formula(result):
    v = 8.851392
    e = float(DEFAULT_RESTITUTION_MODEL(v * KPH))
    polo, fiesta = 770.0, 950.0
    target = _row(result, "gbb-fiesta-into-polo-rear-5p5mph:subject")
    bullet = _row(result, "gbb-fiesta-into-polo-rear-5p5mph:partner")
    # the cars' widths differ (1.66 and 1.72 m), so the engaged centre sits 3 cm off the bullet's
    # centre line: a slight eccentricity, hence 1e-3 and not rounding
    assert target["predicted_dv_kph"] == pytest.approx((1 + e) * fiesta / (polo + fiesta) * v,
                                                       rel=1e-3)
    assert bullet["predicted_dv_kph"] == pytest.approx((1 + e) * polo / (polo + fiesta) * v,
                                                       rel=1e-3)


def test_published_cases_within_their_tolerances(result):
    """The CI check (docs/validation.md, Tolerances)."""
    assert check_tolerances(result) == []
    camry = _row(result, "nhtsa-10146-camry-ncap:subject")
    # the default restitution is the fit to this test (e_hi 0.15, docs/model.md); the former
    # default, e_hi 0.1, was 4.3 % low here (issue 10: about 5 % low)
    assert abs(camry["error_pct"]) < 0.7 and abs(camry["error_fitted_pct"]) < 0.7
    # the partial-impact default (sliding on a turned contact plane below 0.4 overlap) is
    # calibrated on the small-overlap Accord; the held-out Taurus test, a no-rail-overlap
    # car-to-car crash, over-predicted by +50 % with the common-velocity impulse
    taurus = _row(result, "nhtsa-07292-taurus-into-taurus:subject")
    assert not taurus["known_gap"] and abs(taurus["error_pct"]) < 20
    accord = _row(result, "iihs-cep1705-accord-small-overlap-passenger:subject")
    assert not accord["known_gap"] and abs(accord["error_pct"]) < 10


def test_calibrated_pulse_meets_the_issue_target(result):
    """With the calibration case's own dynamic crush, pulse duration and mean deceleration come
    within 20 % (issue 10 requirement 5's target; the measured duration is good to +-5 ms)."""
    pulse = {q: items[0] for q, items in result.pulse.items() if items}
    assert abs(pulse["pulse_duration_ms"]["error_fitted_pct"]) <= 20
    assert abs(pulse["mean_accel_g"]["error_fitted_pct"]) <= 20
    assert abs(pulse["max_dynamic_crush_m"]["error_fitted_pct"]) <= 10  # fitted to it


# --- restitution fit and the held-out split -----------------------------------------------------


def test_restitution_fit_closed_form():
    fit = restitution_fit()
    x = math.exp(-57.09 * KPH / DEFAULT_RESTITUTION_MODEL.v_ref_mps)
    e_lo = DEFAULT_RESTITUTION_MODEL.e_lo
    assert fit.e_hi == pytest.approx((0.157 - e_lo * x) / (1 - x), rel=1e-12)
    assert fit.e_hi_spread == pytest.approx(0.006 / (1 - x), rel=1e-12)
    assert not fit.fitted_e_lo and fit.e_lo == e_lo and fit.n_points == 1
    assert float(fit.model(57.09 * KPH)) == pytest.approx(0.157, abs=1e-12)
    assert fit.fitted == (True, False)  # the staged impact is held out
    # the held-out low-speed point as a check: the fitted model's e there, against 0.2 +- 0.1
    assert abs(fit.residuals[1]) < 0.1
    json.dumps(fit.to_dict())


def test_restitution_fit_recovers_a_known_model():
    """Points on a known curve give it back, e_lo included once a low-speed point is fitted."""
    from crashcompat.physics.restitution import SpeedDependentRestitution

    truth = SpeedDependentRestitution(e_lo=0.25, e_hi=0.14, v_ref_mps=5.0)
    pts = [RestitutionPoint(f"p{i}", v, float(truth(v * KPH)), 0.01, "derived", "synthetic",
                            "calibration") for i, v in enumerate((5.0, 10.0, 56.0, 64.0))]
    fit = fit_restitution(pts)
    assert fit.fitted_e_lo
    assert fit.e_hi == pytest.approx(0.14, abs=1e-9) and fit.e_lo == pytest.approx(0.25, abs=1e-9)
    assert fit.e_hi_spread == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="no calibration point"):
        fit_restitution([dataclass_replace(p, split="held-out") for p in pts])


def dataclass_replace(p, **kw):
    import dataclasses

    return dataclasses.replace(p, **kw)


def test_held_out_cases_never_enter_a_fit(tmp_path, result):
    """Change the held-out cases' measured figures and restitution point wildly: the fit and the
    predictions do not move, only the held-out errors do."""
    text = CASES_FILE.read_text(encoding="utf-8")
    text = text.replace("restitution = 0.2\nuncertainty = 0.1",
                        "restitution = 0.9\nuncertainty = 0.001")
    text = text.replace('dv_kph = { value = 5.632704,', 'dv_kph = { value = 9.0,')
    changed = tmp_path / "cases.toml"
    changed.write_text(text, encoding="utf-8")
    shutil.copytree(TRACES_DIR, tmp_path / "traces")
    other = run_validation(changed)
    assert other.restitution_fit.e_hi == result.restitution_fit.e_hi
    for a, b in zip(result.cases, other.cases):
        assert a["predicted_dv_fitted_kph"] == b["predicted_dv_fitted_kph"], a["id"]
    assert _row(other, "gbb-fiesta-into-polo-rear-5p5mph:subject")["measured_dv_kph"] == 9.0


def test_a_bad_validation_file_is_one_sentence(tmp_path):
    from crashcompat.validation.runner import ValidationDataError

    bad = tmp_path / "cases.toml"
    bad.write_text(CASES_FILE.read_text(encoding="utf-8").replace('split = "held-out"',
                                                                  'split = "test"', 1))
    with pytest.raises(ValidationDataError, match="split must be 'calibration' or 'held-out'"):
        load_cases(bad)
    bad.write_text("x = 1\n")
    with pytest.raises(ValidationDataError, match="no \\[\\[case\\]\\] tables"):
        load_cases(bad)
    doc = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))
    assert doc["schema_version"] == 1


# --- the command line -------------------------------------------------------------------------


def run_cli(*args):
    return CliRunner().invoke(main, ["validate", *args])


def test_cli_table_json_markdown(tmp_path):
    r = run_cli("-q")
    assert r.exit_code == 0, r.output
    assert "nhtsa-10146-camry-ncap:subject" in r.stdout and "bias %" in r.stdout
    out = tmp_path / "v.json"
    r = run_cli("-o", str(out), "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("id,type,split,vehicle,source,measured_dv_kph")
    d = json.loads(out.read_text())
    assert {"cases", "summary"} <= set(d) and d["summary"]["all"]["n"] >= 3
    md = tmp_path / "v.md"
    assert run_cli("-o", str(md)).exit_code == 0
    assert md.read_text().startswith("# crashcompat validation") and "| case |" in md.read_text()


def test_cli_refuses_to_overwrite_and_bad_extensions(tmp_path):
    out = tmp_path / "v.json"
    out.write_text("keep")
    r = run_cli("-o", str(out))
    assert r.exit_code == 1 and "exists; pass --overwrite" in r.output
    assert "Traceback" not in r.output
    assert out.read_text() == "keep"
    assert run_cli("-o", str(out), "--overwrite").exit_code == 0 and out.read_text() != "keep"
    r = run_cli("-o", str(tmp_path / "v.txt"))
    assert r.exit_code == 2 and "must end in .json or .md" in r.output
    assert not list(tmp_path.glob(".*partial*"))


def test_cli_check(tmp_path):
    assert run_cli("--check", "-q").exit_code == 0
    text = CASES_FILE.read_text(encoding="utf-8").replace("tolerance_pct = 5.0",
                                                          "tolerance_pct = 0.05")
    bad = tmp_path / "cases.toml"
    bad.write_text(text, encoding="utf-8")
    shutil.copytree(TRACES_DIR, tmp_path / "traces")
    r = run_cli("--check", "-q", "--cases", str(bad))
    assert r.exit_code == 1
    assert "nhtsa-10146-camry-ncap:subject: error -0.1 % exceeds the tolerance +-0.05 %" in r.output


def test_readme_validation_block_is_generated_from_the_suite(result):
    """The README's validation table is the suite's output (python -m crashcompat.validation
    README.md regenerates it): a change of model or data that moves a figure must be rendered."""
    from pathlib import Path

    from crashcompat.validation.runner import README_END, README_START, readme_block

    readme = Path(__file__).resolve().parents[1] / "README.md"
    if not readme.exists():
        pytest.skip("no README.md beside the tests (installed package)")
    text = readme.read_text(encoding="utf-8")
    block = text[text.index(README_START):text.index(README_END) + len(README_END)]
    assert block == readme_block(result)
