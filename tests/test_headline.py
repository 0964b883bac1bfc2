"""The exposure-weighted headline: its fields, its numbers against an independent reduction of
the per-case data, the direction it moves when the partner mix gets heavier, and the short
answer `crashcompat grid` prints."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner

from crashcompat.errors import CrashCompatError, has_result
from crashcompat.runs.exposure import BUNDLED, load_exposure, speed_bin_weights
from crashcompat.runs.grid import run_grid

SPEC = {"subjects": ["kei/honda-n-box", "kei/suzuki-alto"],
        "references": ["us-car/toyota-corolla", "us-car/toyota-camry"],
        "partners": ["us-truck/ford-f-150", "us-suv/toyota-rav4", "us-car/honda-civic",
                     "us-van/honda-odyssey"],
        "closing_speed_kph": [20, 40, 60, 80], "angle_deg": [0, 20], "overlap": [1, 0.5]}
FATAL = "subject_risk_malliaris_one_fatal"
MAIS3 = "subject_risk_malliaris_one_mais3"


@pytest.fixture(scope="module")
def run():
    return run_grid(SPEC, samples=20, seed=3, exposure="us")


@pytest.fixture(scope="module")
def headline(run):
    return run.headline()


def test_fields_follow_the_contract(headline):
    keys = {"vehicle", "role", "outcome", "curve", "p", "p_p05", "p_p95", "ratio", "ratio_p05",
            "ratio_p95", "evans_ratio", "crush_exhausted_share", "crush_exhausted_share_p05",
            "crush_exhausted_share_p95"}
    assert all(keys <= set(r) for r in headline.rows)
    assert {(r["vehicle"], r["role"]) for r in headline.rows} == {
        ("kei (class)", "kei-class"), ("kei/honda-n-box", "kei"), ("kei/suzuki-alto", "kei"),
        ("us-car/toyota-corolla", "reference"), ("us-car/toyota-camry", "reference")}
    assert {r["outcome"] for r in headline.rows} == {"MAIS3+", "fatal"}
    assert {r["curve"] for r in headline.rows} == {"malliaris-one-mais3", "malliaris-one-fatal"}
    assert all(r["ratio"] is None for r in headline.rows if r["role"] == "reference")
    assert all(r["evans_ratio"] is None for r in headline.rows if r["outcome"] == "MAIS3+")
    pk = {"vehicle", "partner_class", "configuration", "outcome", "p", "p_p05", "p_p95", "ratio",
          "ratio_p05", "ratio_p95"}
    assert all(pk <= set(r) for r in headline.by_partner_class)
    assert {r["partner_class"] for r in headline.by_partner_class} == {"car", "pickup", "suv",
                                                                      "van", "all"}
    assert {r["configuration"] for r in headline.by_partner_class} == {
        "frontal", "side-struck-by-subject", "side-near", "side-far", "rear", "all"}
    assert headline.exposure_name == "us" and headline.samples == 20 and headline.seed == 3
    assert set(headline.curves) == {"malliaris-one-mais3", "malliaris-one-fatal"}
    assert all("SAE 970393" in src for src in headline.curves.values())
    assert any("Experian" in a for a in headline.assumptions)
    assert any("Evans" in a for a in headline.assumptions)
    assert "not structural collapse" in headline.limits
    json.dumps(headline.to_dict())  # JSON-able: None, not NaN
    df = headline.to_pandas()
    assert len(df) == len(headline.rows) and df.attrs["exposure"] == "us"
    assert repr(headline).startswith("<Headline exposure 'us' (20 samples, seed 3)")
    for r in headline.rows:
        for key in ("p", "ratio", "crush_exhausted_share", "dv_kph"):
            if r.get(key) is not None and r.get(f"{key}_p05") is not None:
                assert r[f"{key}_p05"] <= r[f"{key}_p50"] <= r[f"{key}_p95"]


def _group_means(df, col):
    ok = has_result(df["status"].to_numpy())
    d = df[ok].astype({"subject": str, "partner": str, "configuration": str})
    return d.groupby(["subject", "partner", "configuration", "closing_speed_kph"])[col].mean()


def _independent_p(run, col):
    """Exposure-weighted mean of a per-case column over the main run and its far-side run,
    from the case-by-case outputs (the chunk kernel, not the summary kernel) and weights built
    here from the exposure file's figures."""
    exp = load_exposure("us")
    cat = run.catalog
    classes = [cat[p].vehicle_class for p in run.partner_ids]
    by_cls = {c.catalog_class: c.share for c in exp.partner_classes}
    speeds = list(run.axes["closing_speed_kph"])
    out = {}
    for r, side in ((run, "side-near"), (run.far_side_run(), "side-far")):
        g = _group_means(r.to_pandas(), col)
        for (s, p, conf, v), x in g.items():
            cfg = side if conf == "side" else conf
            w = (by_cls[cat[p].vehicle_class] / classes.count(cat[p].vehicle_class)
                 * exp.configuration[cfg]
                 * speed_bin_weights(speeds, exp.severity[
                     "frontal" if cfg in ("frontal", "side-struck-by-subject") else
                     "side" if cfg.startswith("side") else "rear"])[speeds.index(v)])
            a, b = out.get(s, (0.0, 0.0))
            out[s] = (a + w * x, b + w)
    return {s: a / b for s, (a, b) in out.items()}


def test_probabilities_equal_an_independent_reduction_of_the_cases(run, headline):
    for outcome, col in (("fatal", FATAL), ("MAIS3+", MAIS3)):
        want = _independent_p(run, col)
        for v, p in want.items():
            assert headline.row(v, outcome)["p"] == pytest.approx(p, rel=1e-9), (v, outcome)
        kei = np.mean([want["kei/honda-n-box"], want["kei/suzuki-alto"]])
        ref = np.mean([want["us-car/toyota-corolla"], want["us-car/toyota-camry"]])
        r = headline.row("kei (class)", outcome)
        assert r["p"] == pytest.approx(kei, rel=1e-9)
        assert r["ratio"] == pytest.approx(kei / ref, rel=1e-9)
    dv = _independent_p(run, "subject_occupant_dv_kph")
    assert headline.row("kei/suzuki-alto", "fatal")["dv_kph"] == pytest.approx(
        dv["kei/suzuki-alto"], rel=1e-9)


def test_evans_ratio_is_the_mass_law_over_the_partner_mix(run, headline):
    cat = run.catalog
    w = run.exposure_weights().partner

    def share(m):
        r = (np.array([cat[p].mass_kg for p in run.partner_ids]) / m) ** 3.5
        return float(np.sum(w * r / (1 + r)))

    ref = np.mean([share(cat[v].mass_kg) for v in SPEC["references"]])
    got = headline.row("kei/honda-n-box", "fatal")["evans_ratio"]
    assert got == pytest.approx(share(cat["kei/honda-n-box"].mass_kg) / ref, rel=1e-12)
    assert got > 1  # the lighter car's share of its pairs' deaths is larger


def _mix(tmp_path, car, pickup, suv, van, name):
    text = BUNDLED["us"].read_text(encoding="utf-8")
    for cls, old, new in (("us-car", 0.44, car), ("us-truck", 0.205, pickup),
                          ("us-suv", 0.305, suv), ("us-van", 0.05, van)):
        line = f'catalog_class = "{cls}"\nshare = {old}\n'
        assert text.count(line) == 1
        text = text.replace(line, f'catalog_class = "{cls}"\nshare = {new}\n')
    p = tmp_path / f"{name}.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_heavier_partner_mix_raises_every_risk_and_brings_the_ratio_towards_one(tmp_path):
    # Heavier partners raise every car's delta-v and risk, the lighter car's most in absolute
    # terms; but the delta-v ratio (m_ref + m_p) / (m_kei + m_p) falls towards 1 as m_p grows,
    # and so does Evans's ratio: both ways of reckoning agree on the direction.
    light = run_grid(SPEC, samples=10, seed=1,
                     exposure=_mix(tmp_path, 0.85, 0.05, 0.05, 0.05, "light")).headline()
    heavy = run_grid(SPEC, samples=10, seed=1,
                     exposure=_mix(tmp_path, 0.05, 0.85, 0.05, 0.05, "heavy")).headline()
    for outcome in ("fatal", "MAIS3+"):
        lk, hk = light.row("kei (class)", outcome), heavy.row("kei (class)", outcome)
        lr = light.row("us-car/toyota-corolla", outcome)
        hr = heavy.row("us-car/toyota-corolla", outcome)
        assert hk["p"] > lk["p"] and hr["p"] > lr["p"]
        assert hk["p"] - hr["p"] > lk["p"] - lr["p"]
        assert 1 < hk["ratio"] < lk["ratio"]
        assert hk["ratio_p95"] < lk["ratio_p05"]  # beyond the Monte Carlo bands
    assert heavy.row("kei (class)", "fatal")["evans_ratio"] < light.row(
        "kei (class)", "fatal")["evans_ratio"]


def test_without_samples_there_are_no_bands_and_without_exposure_no_headline():
    h = run_grid(SPEC, exposure="us").headline()
    r = h.row("kei (class)", "fatal")
    assert r["p"] > 0 and r["p_p05"] is None and r["ratio_p95"] is None
    with pytest.raises(CrashCompatError, match="pass exposure='us'"):
        run_grid(SPEC).headline()


# -- the command line -----------------------------------------------------------------------

def cli(args, **kw):
    from crashcompat.cli import main

    return CliRunner().invoke(main, ["grid", *args], catch_exceptions=False, **kw)


OPTS = ["--subjects", "kei/honda-n-box,kei/suzuki-alto", "--partners",
        ",".join(SPEC["partners"]), "--closing-speed", "20:80:20", "--angle", "0",
        "--overlap", "1"]


def test_headline_is_a_short_answer():
    r = cli([*OPTS, "--exposure", "us", "--samples", "10"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert len(lines) <= 40
    text = r.stdout
    assert "10 Monte Carlo samples, seed 0" in text
    assert "kei (class)" in text and "us-car/toyota-corolla (ref)" in text
    assert "MAIS3+ = malliaris-one-mais3" in text and "fatal = malliaris-one-fatal" in text
    assert "ratio by partner class: car x" in text and "pickup x" in text
    assert "Evans mass-ratio law" in text
    assert "an intrusion indicator, not a prediction" in text
    assert "Assumptions: partner mix a fleet-in-operation proxy" in text
    assert "near/far side 50%/50%" in text
    assert text.count("Limits:") == 1 and "not structural collapse" in text


def test_headline_as_json_and_csv():
    r = cli([*OPTS, "--exposure", "us", "--samples", "5", "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["samples"] == 5 and d["exposure"] == "us" and d["rows"] and d["by_partner_class"]
    r = cli([*OPTS, "--exposure", "us", "--samples", "5", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 10 and "ratio_p95" in rows[0]  # 5 vehicles x 2 outcomes


def test_full_summary_stays_available_with_bands():
    r = cli([*OPTS, "--exposure", "us", "--samples", "5", "--summary", "full", "--format",
             "json", "-q"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert "ratio_p05" in rows[0] and "subject_crush_exhausted_share" in rows[0]
    r = cli([*OPTS, "--summary", "headline"])
    assert r.exit_code == 2 and "needs an exposure model" in r.stderr
    # options without --exposure give the full table, as before
    r = cli([*OPTS, "--format", "json", "-q"])
    assert "ratio" in json.loads(r.stdout)[0] and "ratio_p05" not in json.loads(r.stdout)[0]


@pytest.fixture
def small_preset(monkeypatch):
    from crashcompat.runs import spec as spec_mod

    small = dict(spec_mod.PRESETS["kei-in-us-traffic"], subjects=("kei/honda-n-box",),
                 partners=("us-truck/ford-f-150", "us-car/honda-civic"),
                 closing_speed_kph=(30.0, 60.0), angle_deg=(0.0,), overlap=(1.0,))
    monkeypatch.setitem(spec_mod.PRESETS, "kei-in-us-traffic", small)


def test_no_arguments_print_the_headline_with_the_default_samples(small_preset):
    from crashcompat.cli.grid import DEFAULT_SAMPLES

    r = cli([])
    assert r.exit_code == 0, r.output
    assert f"{DEFAULT_SAMPLES} Monte Carlo samples" in r.stdout
    assert "exposure 'us'" in r.stdout and len(r.stdout.strip().splitlines()) <= 40
    # naming the kei-vs-us preset, or any option that changes the grid, gives the full table
    for args in (["--preset", "kei-vs-us", "--closing-speed", "50", "--subjects",
                  "kei/honda-n-box"], ["--closing-speed", "50", "--subjects", "kei/honda-n-box"]):
        r = cli([*args, "--format", "json", "-q"])
        assert r.exit_code == 0 and isinstance(json.loads(r.stdout), list)


def test_quick_start_command_writes_the_cases_and_prints_the_headline(small_preset, tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    out = tmp_path / "kei-vs-us.parquet"
    out.write_text("old")
    r = cli(["-o", str(out), "--overwrite", "--samples", "8"])
    assert r.exit_code == 0, r.output
    assert "kei (class)" in r.stdout
    t = pq.read_table(out)
    assert t.num_rows == 3 * 2 * 4 * 2  # (kei + 2 references) x 2 partners x 4 x 2 speeds
