"""The exposure model: the bundled `us` file reproduces its sources' figures, its weights over a
grid sum to 1 with the sources' marginals, and a user's file is validated key by key."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner

from crashcompat.runs.exposure import (BUNDLED, CONFIGURATIONS, ExposureError, load_exposure,
                                       lognormal_cdf, speed_bin_weights)
from crashcompat.runs.grid import run_grid

US = load_exposure("us")
RAW = tomllib.loads(BUNDLED["us"].read_text(encoding="utf-8"))


def test_partner_shares_are_the_cited_figures_and_sum_to_one():
    shares = {c.name: c.share for c in US.partner_classes}
    # Experian Q1 2019 VIO (cars), Experian 2008 VIO (pickups), the remainder (SUVs), IIHS
    # late-1990s minivans: the figures of the research notes, unchanged
    assert shares == {"car": 0.44, "pickup": 0.205, "suv": 0.305, "van": 0.05}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert {c.catalog_class for c in US.partner_classes} == {"us-car", "us-truck", "us-suv",
                                                             "us-van"}
    assert all(c.source for c in US.partner_classes)
    van = next(c for c in US.partner_classes if c.name == "van")
    assert van.placeholder and van.derived


def test_configuration_shares_reproduce_the_published_marginals():
    # the source's 2014 injury-crash counts, each crash two vehicles: head-on two frontal,
    # rear-end one frontal and one rear, angle one frontal and one side, sideswipe two side
    angle, rear_end, sideswipe, head_on = 438e3, 522e3, 100e3, 62e3
    total = 2 * (angle + rear_end + sideswipe + head_on)
    want = {"frontal": (2 * head_on + rear_end + angle) / total,
            "side": (angle + 2 * sideswipe) / total, "rear": rear_end / total}
    planes = US.plane_shares
    published = RAW["configuration"]["published_shares"]
    for k in ("frontal", "side", "rear"):
        assert planes[k] == pytest.approx(want[k], abs=1e-12)
        assert planes[k] == pytest.approx(published[k], abs=5e-4)  # the notes' 3 decimals
    c = US.configuration
    assert c["side-near"] == pytest.approx(published["side_near"], abs=5e-4)
    assert c["side-far"] == pytest.approx(published["side_far"], abs=5e-4)
    assert c["side-struck-by-subject"] == pytest.approx(angle / total, abs=1e-12)
    assert sum(c.values()) == pytest.approx(1.0, abs=1e-12)
    assert set(c) == set(CONFIGURATIONS)


@pytest.mark.parametrize("plane", ["frontal", "side"])
def test_severity_fits_reproduce_their_binned_shares(plane):
    e = RAW["severity"][plane]
    s = US.severity[plane]
    # the lognormal was fitted to the binned NASS-CDS shares: within 0.03 at every bin edge
    cdf = lognormal_cdf(np.array(e["binned_cum_upper_kph"], dtype=float), e["median_dv_kph"],
                        e["sigma_ln"])
    np.testing.assert_allclose(cdf, e["binned_cum"], atol=0.03)
    # and its stated 90th percentile: median * exp(1.2816 sigma)
    assert e["median_dv_kph"] * math.exp(1.2815516 * e["sigma_ln"]) == pytest.approx(
        e["p90_dv_kph"], abs=0.5)
    factor = RAW["severity"]["closing_speed_per_delta_v"]
    assert factor == pytest.approx(2 / 1.15, abs=5e-4)  # equal masses, e = 0.15
    assert s.median_closing_speed_kph == pytest.approx(e["median_dv_kph"] * factor, rel=1e-12)
    assert US.severity["rear"].placeholder


def test_speed_bins_sum_to_one_and_follow_the_distribution():
    s = US.severity["frontal"]
    v = np.arange(10.0, 121.0, 10.0)
    w = speed_bin_weights(v, s)
    assert w.sum() == pytest.approx(1.0, abs=1e-12) and (w > 0).all()
    # everything below the midpoint between two grid speeds belongs to the lower ones
    edges = 0.5 * (v[1:] + v[:-1])
    np.testing.assert_allclose(np.cumsum(w)[:-1], s.cdf(edges), rtol=1e-12)
    # a speed listed twice shares its bin; unsorted axes give the same bins
    w2 = speed_bin_weights([30.0, 10.0, 30.0, 20.0], s)
    w3 = speed_bin_weights([10.0, 20.0, 30.0], s)
    assert w2 == pytest.approx([w3[2] / 2, w3[0], w3[2] / 2, w3[1]], rel=1e-12)


SPEC = {"subjects": ["kei/honda-n-box"], "references": ["us-car/toyota-corolla"],
        "partners": ["us-truck/ford-f-150", "us-truck/toyota-tacoma", "us-suv/toyota-rav4",
                     "us-car/honda-civic", "us-van/honda-odyssey"],
        "closing_speed_kph": [20, 40, 60, 80], "angle_deg": [0], "overlap": [1]}


def test_grid_weights_sum_to_one_with_the_sources_marginals():
    run = run_grid(SPEC, exposure="us")
    far = run.far_side_run()
    wm, cls, _ = run._grid_weights()
    wf, _, _ = far._grid_weights()
    assert wm.sum() + wf.sum() == pytest.approx(1.0, abs=1e-12)
    by_class = {c.name: 0.0 for c in US.partner_classes}
    for ip, k in enumerate(cls):
        by_class[US.partner_classes[k].name] += wm[ip].sum() + wf[ip].sum()
    assert by_class == pytest.approx({c.name: c.share for c in US.partner_classes}, abs=1e-12)
    # the two pickups split the pickup share
    assert wm[0].sum() + wf[0].sum() == pytest.approx(0.205 / 2, abs=1e-12)
    by_conf = dict(zip(run._exposure_configurations(), wm.sum(axis=(0, 2, 3))))
    by_conf["side-far"] = wf.sum()
    assert by_conf == pytest.approx(US.configuration, abs=1e-12)


def test_missing_classes_and_configurations_are_renormalised_and_said():
    spec = dict(SPEC, partners=["us-truck/ford-f-150", "kei/suzuki-alto"],
                configurations=["frontal", "rear"])
    run = run_grid(spec, exposure="us")
    assert run.far_side_run() is None
    w = run.exposure_weights()
    assert w.partner.tolist() == [1.0, 0.0]
    assert any("no partner of class us-car" in n for n in w.notes)
    assert any("class kei have no share" in n for n in w.notes)
    assert any("no side-struck-by-subject impacts" in n for n in w.notes)
    wm, _, _ = run._grid_weights()
    assert wm.sum() == pytest.approx(1.0, abs=1e-12)
    frontal = US.configuration["frontal"]
    assert wm[:, 0].sum() == pytest.approx(frontal / (frontal + US.configuration["rear"]))


def test_exposure_needs_closing_speeds_and_a_driver_or_passenger_side():
    from crashcompat.runs.spec import GridSpecError

    with pytest.raises(GridSpecError, match="give closing_speed_kph"):
        run_grid(dict(SPEC, closing_speed_kph=None, subject_speed_kph=[10],
                      partner_speed_kph=[30]), exposure="us")
    with pytest.raises(GridSpecError, match="struck_side = driver"):
        run_grid(dict(SPEC, struck_side="left"), exposure="us")


def _write(tmp_path, text, name="mine.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """
schema_version = 1
name = "mine"
[partner_class.car]
catalog_class = "us-car"
share = 0.5
source = "my own count"
[partner_class.pickup]
catalog_class = "us-truck"
share = 0.5
[configuration.shares]
frontal = 0.5
side-near = 0.25
side-far = 0.25
[severity]
closing_speed_per_delta_v = 2.0
[severity.frontal]
distribution = "lognormal"
quantity = "closing-speed"
median_closing_speed_kph = 40.0
sigma_ln = 0.4
[severity.side]
distribution = "lognormal"
quantity = "delta-v"
median_dv_kph = 15.0
sigma_ln = 0.5
[severity.rear]
distribution = "lognormal"
quantity = "delta-v"
median_dv_kph = 10.0
sigma_ln = 0.5
"""


def test_a_users_file_with_shares_is_used(tmp_path):
    e = load_exposure(_write(tmp_path, GOOD))
    assert e.name == "mine" and e.configuration_method == "shares"
    assert e.configuration["frontal"] == 0.5 and e.configuration["rear"] == 0.0
    assert e.severity["side"].median_closing_speed_kph == 30.0  # 15 km/h of delta-v x 2
    run = run_grid(SPEC, exposure=_write(tmp_path, GOOD))
    w = run.exposure_weights()
    assert set(w.configuration) == {"frontal", "side-near", "side-far"}
    assert w.class_shares == {"car": 0.5, "pickup": 0.5}


@pytest.mark.parametrize("edit, message", [
    (('share = 0.5\nsource = "my own count"', 'share = "half"'),
     "partner_class.car.share must be a number in [0, 1], found 'half'"),
    (('catalog_class = "us-truck"\n', ''), "partner_class.pickup.catalog_class must name"),
    (('share = 0.5\n[configuration', 'share = 0.4\n[configuration'),
     "partner_class shares must sum to 1 (within 0.001), found 0.9"),
    (('schema_version = 1', 'schema_version = 1\npartner_clas = 3'),
     "partner_clas is not a key of an exposure file (did you mean 'partner_class'?)"),
    (('distribution = "lognormal"\nquantity = "closing-speed"',
      'distribution = "weibull"\nquantity = "closing-speed"'),
     "severity.frontal.distribution must be 'lognormal', found 'weibull'"),
    (('side-near = 0.25', 'side_near = 0.25'),
     "configuration.shares.side_near is not one of"),
    (('median_dv_kph = 15.0', 'median_dv_kph = -1.0'),
     "severity.side.median_dv_kph must be a number > 0 km/h"),
    (('schema_version = 1', 'schema_version = 2'), "schema_version must be 1, found 2"),
])
def test_bad_files_name_the_key_in_one_sentence(tmp_path, edit, message):
    old, new = edit
    assert old in GOOD
    with pytest.raises(ExposureError) as info:
        load_exposure(_write(tmp_path, GOOD.replace(old, new, 1)))
    assert message in str(info.value)
    assert all(p.startswith(str(tmp_path)) for p in info.value.problems)


def test_every_problem_is_listed(tmp_path):
    text = (GOOD.replace('share = 0.5\nsource', 'share = 2\nsource', 1)
            .replace('sigma_ln = 0.4', 'sigma_ln = 0'))
    with pytest.raises(ExposureError) as info:
        load_exposure(_write(tmp_path, text))
    assert len(info.value.problems) == 2
    assert "has 2 problems" in str(info.value)


def test_crash_type_counts_are_checked(tmp_path):
    text = GOOD.replace("[configuration.shares]\nfrontal = 0.5\nside-near = 0.25\n"
                        "side-far = 0.25\n",
                        "[configuration]\nnear_share_of_side = 0.5\n[configuration.crash_types]"
                        "\nhead-on = 5\n")
    with pytest.raises(ExposureError, match="did you mean 'head_on'"):
        load_exposure(_write(tmp_path, text))


def test_unknown_name_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ExposureError, match="neither a bundled model"):
        load_exposure("mars")
    with pytest.raises(ExposureError, match="does not exist"):
        load_exposure(tmp_path / "none.toml")
    with pytest.raises(ExposureError, match="is not valid TOML"):
        load_exposure(_write(tmp_path, "name = [\n"))


def test_cli_reports_a_bad_exposure_file_in_one_line(tmp_path):
    from crashcompat.cli import main

    bad = _write(tmp_path, GOOD.replace("sigma_ln = 0.4", "sigma_ln = -2"))
    r = CliRunner().invoke(main, ["grid", "--subjects", "kei/honda-n-box", "--partners",
                                  "us-truck/ford-f-150", "--closing-speed", "40", "--exposure",
                                  str(bad)], catch_exceptions=False)
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: ") and len(r.stderr.strip().splitlines()) == 1
    assert "severity.frontal.sigma_ln must be a number > 0" in r.stderr
