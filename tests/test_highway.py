"""Highway scenarios (issue 16, requirements 3 and 4): deficits from the performance model, rear
impacts from the grid at those deficits, the >20 km/h list, bands, the exposure option and the
command's function. Small vehicle sets and few samples keep this file quick."""

from __future__ import annotations

import json
import math
from statistics import NormalDist

import click
import numpy as np
import pytest

from crashcompat.physics import performance as perf
from crashcompat.runs.exposure import DeficitSeverity, Severity, load_exposure, speed_bin_weights
from crashcompat.runs.highway import HighwayError, HighwaySpec, load_highway_data, run_highway
from crashcompat.units import KPH, MPH

KEI = "kei/suzuki-carry"
REF = "us-car/toyota-corolla"
STRIKERS = ("us-truck/ford-f-150", "us-car/honda-civic")
SMALL = dict(subjects=(KEI,), references=(REF,), partners=STRIKERS,
             grades_pct=(0.0, 4.0, 8.0))


@pytest.fixture(scope="module")
def catalog():
    from crashcompat.catalog.loading import load_catalog

    return load_catalog()


@pytest.fixture(scope="module")
def small(catalog):
    return run_highway(SMALL, catalog=catalog)


@pytest.fixture(scope="module")
def small_mc(catalog):
    return run_highway(SMALL, catalog=catalog, samples=16, seed=3)


def test_traffic_speeds_are_the_quantiles_of_the_cited_normal():
    data = load_highway_data()
    spec = HighwaySpec().resolved(data)
    t = data["traffic"]
    n = NormalDist(t["mean_mph"] * MPH / KPH, t["sd_mph"] * MPH / KPH)
    want = [n.inv_cdf(q) for q in t["quantiles"]["levels"]]
    np.testing.assert_allclose(spec.traffic_speeds_kph, want, rtol=1e-12)
    # the data file's own checks of its derivation (Kentucky p85 75.9 mph; Florida p15 >= 60 mph)
    assert NormalDist(t["mean_mph"], t["sd_mph"]).inv_cdf(0.85) == pytest.approx(75.9, abs=0.05)
    assert NormalDist(t["mean_mph"], t["sd_mph"]).inv_cdf(0.15) >= 60.0
    assert sum(t["quantiles"]["weights"]) == pytest.approx(1.0, abs=1e-12)


def test_deficits_are_traffic_minus_the_performance_model(small, catalog):
    spec = small.spec
    for c in small.cells():
        v = catalog[c["vehicle"]]
        if c["mode"] == "hold":
            own = perf.sustained_speed_kph(v, c["grade_pct"])
        else:
            own = perf.speed_after_distance_kph(v, spec.ramp_speed_kph, spec.merge_distance_m,
                                                c["grade_pct"])
        assert c["vehicle_speed_kph"] == pytest.approx(own, rel=1e-12)
        assert c["deficit_kph"] == pytest.approx(c["traffic_kph"] - own, rel=1e-12, abs=1e-9)


def test_deficit_grows_with_grade(small):
    sp = small.speeds
    for d in (sp.deficit_hold_kph, sp.deficit_merge_kph):
        assert np.all(np.diff(d, axis=1) > 0)


def test_rear_impact_is_the_grid_at_the_same_closing_speed(small, catalog):
    """The per-partner delta-v is the grid's at that closing speed, and collide() with both cars
    moving (the car at its own speed, the striker at traffic speed) gives the same: the impulse
    model depends on the relative velocity only. Momentum: m_s dv_s = m_p dv_p at the CGs."""
    from crashcompat.physics.collide import collide
    from crashcompat.runs.grid import run_grid

    rows = [r for r in small.rows() if r["partner"] and r["vehicle"] == KEI]
    assert rows
    r = max(rows, key=lambda r: r["deficit_kph"])
    vc = r["deficit_kph"]
    g = run_grid(dict(subjects=[KEI], partners=[r["partner"]], references=[],
                      configurations=["rear"], closing_speed_kph=[vc], angle_deg=[0.0],
                      overlap=[1.0]), catalog=catalog)
    row = next(g.summary().iter_rows())
    assert r["subject_occupant_dv_kph"] == pytest.approx(row["subject_occupant_dv_kph"],
                                                         rel=1e-12)
    res = collide(catalog[KEI], catalog[r["partner"]], "rear",
                  subject_speed_kph=r["vehicle_speed_kph"], partner_speed_kph=r["traffic_kph"])
    # 1e-9: the only difference is vc formed as a difference of two speeds (rounding)
    assert res.subject.occupant_dv_kph == pytest.approx(r["subject_occupant_dv_kph"], rel=1e-9)
    assert res.partner.occupant_dv_kph == pytest.approx(r["partner_occupant_dv_kph"], rel=1e-9)
    ms, mp = catalog[KEI].mass_kg, catalog[r["partner"]].mass_kg
    assert ms * res.subject.dv_kph == pytest.approx(mp * res.partner.dv_kph, rel=1e-9)
    # the struck kei car takes more than half the closing speed from a heavier striker
    if mp > ms:
        assert r["subject_occupant_dv_kph"] > 0.5 * vc


def test_cells_without_a_deficit_say_why(small):
    cells = small.cells()
    kept_up = [c for c in cells if c["deficit_kph"] is not None and c["deficit_kph"] <= 0]
    assert kept_up, "the reference car should keep up somewhere"
    for c in kept_up:
        assert c["reason"] == "keeps-up"
        assert c["subject_occupant_dv_kph"] is None
    for c in cells:
        if c["subject_occupant_dv_kph"] is None:
            assert c["reason"], c
        else:
            assert c["reason"] == "" and c["deficit_kph"] > 0


def test_exceeding_matches_a_direct_computation(small, catalog):
    spec = small.spec
    want = set()
    for vid in (KEI, REF):
        v = catalog[vid]
        for g in spec.grades_pct:
            hold = perf.sustained_speed_kph(v, g)
            merge = perf.speed_after_distance_kph(v, spec.ramp_speed_kph,
                                                  spec.merge_distance_m, g)
            for t in spec.traffic_speeds_kph:
                for mode, own in (("hold", hold), ("merge", merge)):
                    if t - own > 20.0:
                        want.add((vid, g, round(float(t), 9), mode))
    got = {(v, g, round(t, 9), m) for v, g, t, m, _ in small.exceeding()}
    assert got == want
    assert any(v == KEI for v, *_ in got)
    text = small.to_text()
    assert text.splitlines()[0].startswith("kei-highway")
    assert "kei (class)" in text and REF in text


def test_bands_are_ordered_and_bracket_the_sampled_median(small_mc):
    n = 0
    for r in small_mc.rows():
        if not r["partner"]:
            continue
        for col in ("subject_occupant_dv_kph", "subject_risk_malliaris_one_mais3"):
            lo, mid, hi = r[f"{col}_p05"], r[f"{col}_p50"], r[f"{col}_p95"]
            assert lo <= mid <= hi, (r, col)
            n += 1
    assert n > 0
    # the nominal run and the Monte Carlo run share the deterministic values
    text = small_mc.to_text()
    assert "[5-95 % band, 16 samples]" in text


def test_weighted_cells_are_the_partner_weighted_mean(small):
    w = small.partner_weights
    assert sum(w.values()) == pytest.approx(1.0)
    c = next(c for c in small.cells() if not c["reason"])
    rows = [r for r in small.rows() if r["partner"] and all(
        r[k] == c[k] for k in ("vehicle", "grade_pct", "traffic_kph", "mode"))]
    want = sum(w[r["partner"]] * r["subject_occupant_dv_kph"] for r in rows)
    assert c["subject_occupant_dv_kph"] == pytest.approx(want, rel=1e-12)


def test_spec_errors_are_sentences():
    with pytest.raises(HighwayError, match="traffic_weights"):
        HighwaySpec(traffic_weights=(0.5, 0.6, 0.0, 0.0, 0.0)).resolved()
    with pytest.raises(HighwayError, match="unknown highway preset"):
        run_highway("kei-autobahn")


# -- requirement 4: the exposure option ---------------------------------------------------------

def test_exposure_default_is_unchanged():
    e = load_exposure("us")
    assert isinstance(e.severity["rear"], Severity)
    assert e.raw["severity"]["rear_highway"]["use"] is False


def test_exposure_rear_from_deficits(small):
    base = load_exposure("us")
    e = base.with_highway_rear(small)
    sev = e.severity["rear"]
    assert isinstance(sev, DeficitSeverity)
    assert sum(sev.probabilities) == pytest.approx(1.0, abs=1e-12)
    # the weights follow the deficit distribution: each grid speed's bin holds the probability
    # of the deficits nearer to it than to its neighbours (direct computation)
    speeds, probs = small.deficit_distribution()
    axis = np.arange(10.0, 121.0, 10.0)
    w = speed_bin_weights(axis, sev)
    edges = np.concatenate([[0.0], 0.5 * (axis[1:] + axis[:-1]), [np.inf]])
    direct = [probs[(speeds > lo) & (speeds <= hi)].sum() for lo, hi in zip(edges, edges[1:])]
    np.testing.assert_allclose(w, direct, atol=1e-12)
    assert w.sum() == pytest.approx(1.0, abs=1e-12) and np.all(w >= 0)
    # the weights are traffic weight x grade share x mode share over the kei car's deficits
    data = load_highway_data()
    gs = dict(zip(data["grades"]["shares"]["grades_pct"], data["grades"]["shares"]["shares"]))
    raw = [(c["deficit_kph"], c["traffic_weight"] * gs[c["grade_pct"]] * data["modes"][c["mode"]])
           for c in small.cells() if c["vehicle"] == KEI and not c["reason"]]
    tot = sum(x for _, x in raw)
    assert probs.sum() == pytest.approx(1.0)
    assert sorted(speeds) == pytest.approx(sorted(d for d, _ in raw))
    assert max(probs) == pytest.approx(max(x for _, x in raw) / tot)
    # a mixture keeps the file's lognormal for the rest
    half = base.with_highway_rear(small, share=0.5).severity["rear"]
    x = np.array([15.0, 30.0])
    np.testing.assert_allclose(half.cdf(x), 0.5 * sev.cdf(x) + 0.5 * base.severity["rear"].cdf(x))
    assert e.to_dict()["severity"]["rear"]["share"] == 1.0


def test_exposure_option_in_a_grid_run(small, catalog):
    from crashcompat.runs.grid import run_grid

    e = load_exposure("us", rear_severity=small)
    g = run_grid(dict(subjects=[KEI], partners=["us-truck/ford-f-150"], references=[],
                      configurations=["rear"], closing_speed_kph=[10, 20, 30, 40]),
                 catalog=catalog, exposure=e)
    w = g.exposure_weights()
    assert sum(w.speed["rear"]) == pytest.approx(1.0)
    assert isinstance(g.exposure.severity["rear"], DeficitSeverity)


# -- the command's function ---------------------------------------------------------------------

def test_command_function_prints_and_writes(tmp_path, capsys, catalog):
    from crashcompat.cli.highway import run_highway_command

    out = tmp_path / "hw.csv"
    assert run_highway_command("kei-highway", samples=0, output=out, catalog=catalog) == 0
    text = capsys.readouterr().out
    assert text.startswith("kei-highway") and "kei (class)" in text
    assert out.exists() and (tmp_path / "hw.csv.meta.json").exists()
    meta = json.loads((tmp_path / "hw.csv.meta.json").read_text())
    assert "us_freeway_speeds.toml" in meta["sources"]["data_file"]
    with pytest.raises(click.ClickException, match="--overwrite"):
        run_highway_command("kei-highway", samples=0, output=out, catalog=catalog)
    with pytest.raises(click.ClickException, match=r"\.csv, \.json or \.parquet"):
        run_highway_command("kei-highway", samples=0, output=tmp_path / "hw.zarr",
                            catalog=catalog)
    js = tmp_path / "hw.json"
    run_highway_command("kei-highway", samples=0, output=js, fmt="json", catalog=catalog)
    d = json.loads(js.read_text())
    assert {"cells", "rows", "kei_class", "exceeding", "metadata"} <= set(d)
    assert all(math.isfinite(c["deficit_kph"]) for c in d["cells"] if c["deficit_kph"] is not None)
