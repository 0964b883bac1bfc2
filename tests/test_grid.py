"""Grid runs: compiled case generation agrees with collide(), chunks with the summary kernel,
spec parsing and its errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crashcompat import collide, load_catalog
from crashcompat.catalog.loading import UnknownVehicleError
from crashcompat.runs.grid import GridSpec, GridSpecError, run_grid, parse_range, spec_from_dict
from crashcompat.units import KPH


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


SMALL = {
    "subjects": ["kei/honda-n-box", "kei/suzuki-carry"],
    "partners": ["us-truck/ford-f-150", "us-suv/toyota-rav4"],
    "references": ["us-car/toyota-corolla"],
    "configurations": ["frontal", "side", "rear", "side-struck-by-subject"],
    "subject_speed_kph": [0.0, 30.0],
    "partner_speed_kph": [25.0, 60.0],
    "angle_deg": [-20.0, 0.0, 25.0],
    "overlap": [1.0, 0.4],
    "impact_position": ["driver-seat", "0.5"],
    "restitution": ["model", "0.2"],
    "friction": [0.0, 0.6],
    "load_kg": [0.0, 150.0],
}


@pytest.fixture(scope="module")
def small_run(catalog):
    return run_grid(SMALL, catalog=catalog, chunk_cases=4096)


@pytest.fixture(scope="module")
def small_table(small_run):
    parts = list(small_run.chunks())
    starts = [s for s, _ in parts]
    assert starts == sorted(starts) and starts[0] == 0
    table = {}
    for key in parts[0][1]:
        vals = [t[key] for _, t in parts]
        if hasattr(vals[0], "codes"):
            table[key] = np.concatenate([v.codes for v in vals])
        else:
            table[key] = np.concatenate(vals)
    assert len(table["status"]) == small_run.n_cases
    return table


def test_shape_and_axes(small_run):
    assert small_run.shape == (3, 2, 4, 2, 2, 3, 2, 2, 2, 2, 2)
    assert small_run.n_cases == int(np.prod(small_run.shape))
    assert small_run.axes["subject"] == ("kei/honda-n-box", "kei/suzuki-carry",
                                         "us-car/toyota-corolla")
    assert small_run.roles == ["subject", "subject", "reference"]


def test_grid_cases_equal_collide(small_run, catalog):
    rng = np.random.default_rng(4)
    for i in rng.choice(small_run.n_cases, 300, replace=False):
        case = small_run.case(int(i))
        subject = catalog[case["subject"]].with_load(case["load_kg"])
        pos = case["impact_position"]
        e = case["restitution"]
        try:
            ref = collide(subject, catalog[case["partner"]], case["configuration"],
                          subject_speed_kph=case["subject_speed_kph"],
                          partner_speed_kph=case["partner_speed_kph"],
                          angle_deg=case["angle_deg"], overlap=case["overlap"],
                          impact_position_m=None if pos == "driver-seat" else float(pos),
                          restitution="model" if e == "model" else float(e),
                          friction=case["friction"])
        except ValueError as exc:  # not closing: the grid must say no-contact
            assert "not closing" in str(exc)
            assert case["status"] == "no-contact", case
            assert case["subject_dv_kph"] is None
            continue
        assert case["status"] == ref.status_name, (case, ref)
        s, p = ref.subject, ref.partner
        pairs = [("subject_dv_kph", s.dv_kph), ("subject_occupant_dv_kph", s.occupant_dv_kph),
                 ("subject_dv_long_kph", s.dv_x_mps / KPH), ("subject_dv_lat_kph", s.dv_y_mps / KPH),
                 ("subject_yaw_rate_change_rad_s", s.yaw_rate_change_rad_s),
                 ("subject_pdof_deg", s.pdof_deg), ("subject_energy_j", s.energy_absorbed_j),
                 ("subject_ees_kph", s.ees_kph), ("partner_dv_kph", p.dv_kph),
                 ("partner_occupant_dv_kph", p.occupant_dv_kph),
                 ("partner_pdof_deg", p.pdof_deg), ("partner_energy_j", p.energy_absorbed_j),
                 ("energy_loss_j", ref.energy_loss_j), ("restitution_used", ref.restitution)]
        for key, want in pairs:
            got = case[key]
            # case() rounds to 6 decimals; PDOF near 0/360 compares on the circle
            if key.endswith("pdof_deg"):
                d = abs(got - want) % 360.0
                assert min(d, 360.0 - d) < 1e-5, (key, got, want, case)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=2e-6), (key, got, want, case)


def test_chunk_sizes_do_not_change_results(small_run, small_table, catalog):
    other = run_grid(SMALL, catalog=catalog, chunk_cases=1000)  # not aligned to groups
    parts = list(other.chunks())
    assert len(parts) > 1
    # every result column and every axis, bit for bit, whatever the chunking
    for col in other.result_columns:
        got = np.concatenate([t[col] for _, t in parts])
        np.testing.assert_array_equal(got, small_table[col], err_msg=col)
    for name, coords in other.axes.items():
        got = np.concatenate([t[name].codes if isinstance(coords, tuple) else t[name]
                              for _, t in parts])
        np.testing.assert_array_equal(got, small_table[name], err_msg=name)


def test_axis_columns_follow_c_order(small_run, small_table):
    idx = np.unravel_index(np.arange(small_run.n_cases), small_run.shape)
    for (name, coords), ix in zip(small_run.axes.items(), idx):
        if isinstance(coords, tuple):
            np.testing.assert_array_equal(small_table[name], ix)
        else:
            np.testing.assert_array_equal(small_table[name], coords[ix])


def test_summary_kernel_equals_reduction_of_chunks(small_run, small_table):
    summ = small_run.summary()
    inner = small_run.inner
    occ = small_table["subject_occupant_dv_kph"].reshape(-1, inner)
    st = small_table["status"].reshape(-1, inner)
    ok = st <= 2
    with np.errstate(invalid="ignore"):
        mean = np.where(ok, occ, 0.0).sum(axis=1) / ok.sum(axis=1)
    mx = np.where(ok, occ, -np.inf).max(axis=1)
    groups = np.arange(small_run.n_groups).reshape(small_run.kernel_shape[:5])
    # every summary row's subject value is its group's mean; the reference its group's mean
    ids = list(small_run.axes["subject"])
    parts = list(small_run.axes["partner"])
    confs = list(small_run.axes["configuration"])
    sp_a = list(small_run.axes["subject_speed_kph"])
    sp_b = list(small_run.axes["partner_speed_kph"])
    assert len(summ.rows) == 2 * 2 * 4 * 2 * 2  # subjects x partners x configs x speeds x 1 ref
    for row in summ.rows:
        g = groups[ids.index(row["subject"]), parts.index(row["partner"]),
                   confs.index(row["configuration"]), sp_a.index(row["subject_speed_kph"]),
                   sp_b.index(row["partner_speed_kph"])]
        gr = groups[ids.index(row["reference"]), parts.index(row["partner"]),
                    confs.index(row["configuration"]), sp_a.index(row["subject_speed_kph"]),
                    sp_b.index(row["partner_speed_kph"])]
        if math.isnan(mean[g]):
            assert row["subject_occupant_dv_kph"] is None
            continue
        assert row["subject_occupant_dv_kph"] == pytest.approx(mean[g], abs=6e-4)
        assert row["subject_occupant_dv_max_kph"] == pytest.approx(mx[g], abs=6e-4)
        assert row["reference_occupant_dv_kph"] == pytest.approx(mean[gr], abs=6e-4)
        assert row["ratio"] == pytest.approx(mean[g] / mean[gr], abs=6e-4)
    from crashcompat.kernels.status import N_CODES

    counts = np.bincount(small_table["status"], minlength=N_CODES)
    assert list(summ.status_counts.values()) == counts.tolist()
    assert summ.status_counts["no-contact"] > 0  # rear impacts with the slower partner
    # the worst case is the largest subject (not reference) occupant delta-v anywhere
    subj = np.isin(small_table["subject"], [0, 1]) & (small_table["status"] <= 2)
    assert summ.worst[0]["subject_occupant_dv_kph"] == pytest.approx(
        small_table["subject_occupant_dv_kph"][subj].max(), abs=1e-3)
    for w in summ.worst:
        full = small_run.case(w["case"])
        for key in ("subject", "partner", "configuration", "angle_deg", "overlap", "load_kg",
                    "restitution"):
            assert w[key] == full[key]
        for key in ("subject_occupant_dv_kph", "subject_dv_kph", "partner_occupant_dv_kph"):
            assert w[key] == pytest.approx(full[key], abs=1e-3)
    occ = [w["subject_occupant_dv_kph"] for w in summ.worst]
    assert occ == sorted(occ, reverse=True)


def test_closing_speed_convention(catalog):
    run = run_grid({"subjects": ["kei/honda-n-box"], "partners": ["us-truck/ford-f-150"],
                    "references": [], "closing_speed_kph": [60.0], "split": 0.25,
                    "angle_deg": [0.0], "overlap": [1.0], "restitution": ["0.1"]},
                   catalog=catalog)
    assert run.n_cases == 4
    by_conf = {}
    for i in range(run.n_cases):
        c = run.case(i)
        by_conf[c["configuration"]] = c
    kei, f150 = catalog["kei/honda-n-box"], catalog["us-truck/ford-f-150"]
    expect = {"frontal": (15.0, 45.0), "side": (0.0, 60.0), "rear": (0.0, 60.0),
              "side-struck-by-subject": (60.0, 0.0)}
    for conf, (vs, vp) in expect.items():
        r = collide(kei, f150, conf, subject_speed_kph=vs, partner_speed_kph=vp, restitution=0.1)
        # case() rounds to 6 decimals
        assert by_conf[conf]["subject_occupant_dv_kph"] == pytest.approx(
            r.subject.occupant_dv_kph, abs=1e-6)
        assert by_conf[conf]["normal_closing_speed_kph"] == pytest.approx(
            r.closing_speed_mps / KPH, abs=1e-6)


def test_default_preset_covers_the_catalog(catalog):
    run = run_grid(catalog=catalog)
    assert set(run.axes["subject"]) == set(catalog.ids("kei")) | {
        "us-car/toyota-corolla", "us-car/toyota-camry"}
    assert set(run.axes["partner"]) == set(catalog.ids("us-truck")) | set(catalog.ids("us-suv"))
    assert list(run.axes["closing_speed_kph"]) == [float(v) for v in range(10, 121, 10)]
    assert run.axes["configuration"] == ("frontal", "side", "rear", "side-struck-by-subject")
    meta = run.metadata()
    assert meta["catalog_sha256"] == catalog.content_hash()
    assert meta["grid_spec"]["name"] == "kei-vs-us"
    # with an exposure model and no spec: every class the `us` model weights (pickups, SUVs,
    # cars and vans), the rest as kei-vs-us
    traffic = run_grid(catalog=catalog, exposure="us")
    assert traffic.spec.name == "kei-in-us-traffic"
    assert set(traffic.axes["partner"]) == (set(run.axes["partner"]) | set(catalog.ids("us-car"))
                                            | set(catalog.ids("us-van")))
    assert traffic.axes["subject"] == run.axes["subject"]
    assert traffic.spec.closing_speed_kph == run.spec.closing_speed_kph


@pytest.mark.parametrize("text, want", [
    ("10:120:10", [10.0 * k for k in range(1, 13)]),
    ("0:1:0.25", [0.0, 0.25, 0.5, 0.75, 1.0]),
    ("5", [5.0]), (7, [7.0]), ([1, "2:4:1"], [1.0, 2.0, 3.0, 4.0]), ("1,3", [1.0, 3.0]),
    ("0:1:0.3", [0.0, 0.3, 0.6, 0.8999999999999999]),
])
def test_parse_range(text, want):
    assert parse_range(text, "k") == pytest.approx(want)


def test_parse_range_gives_the_values_as_typed():
    # 12 significant digits: 0.1 * 3 is 0.3 here, so .sel(angle_deg=0.3) finds it
    assert parse_range("0:1:0.1", "k") == [k / 10 for k in range(11)]
    assert parse_range("-45:45:15", "k") == [-45.0, -30.0, -15.0, 0.0, 15.0, 30.0, 45.0]


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", float("nan"), [1, float("inf")],
                                  "0:nan:1", "1,nan"])
def test_parse_range_refuses_non_finite_values(text):
    with pytest.raises(GridSpecError, match="not a finite number"):
        parse_range(text, "k")


def test_parse_range_counts_before_it_builds():
    from crashcompat.runs.spec import MAX_AXIS_VALUES, GridSizeError

    with pytest.raises(GridSizeError, match="has 1,000,000,000,001 values"):
        parse_range("0:1e9:1e-3", "k")
    assert len(parse_range(f"1:{MAX_AXIS_VALUES}:1", "k")) == MAX_AXIS_VALUES


@pytest.mark.parametrize("data, match", [
    ({"closing_speed_kph": "10:100:0"}, "step of '10:100:0' must be > 0"),
    ({"closing_speed_kph": "10:100:-5"}, "must be > 0"),
    ({"closing_speed_kph": "100:10:5"}, "is empty"),
    ({"closing_speed_kph": []}, "the axis is empty"),
    ({"closing_speed_kph": [-10, 20]}, "speeds must be >= 0"),
    ({"subject_speed_kph": [10]}, "give both subject_speed_kph and partner_speed_kph"),
    ({"angle_deg": [95]}, "strictly between -90 and 90"),
    ({"overlap": [0.0]}, "cannot touch"),
    ({"restitution": ["1.5"]}, "outside \\[0, 1\\]"),
    ({"friction": [-1]}, "friction: values must be >= 0"),
    ({"configurations": ["fontal"]}, "did you mean 'frontal'"),
    ({"subjets": ["kei"]}, "unknown key 'subjets' \\(did you mean 'subjects'\\?\\)"),
    ({"preset": "nope"}, "unknown preset"),
    ({"subjects": []}, "subjects: the axis is empty"),
])
def test_spec_errors_name_the_key(data, match):
    with pytest.raises(GridSpecError, match=match):
        spec_from_dict(data, source="spec.toml")


def test_unknown_vehicle_suggests_close_ids(catalog):
    with pytest.raises(UnknownVehicleError, match="kei/honda-n-box"):
        run_grid({"subjects": ["kei/honda-nbox"]}, catalog=catalog)


def test_impact_position_off_the_side_is_an_error(catalog):
    with pytest.raises(GridSpecError, match="impact_position 9"):
        run_grid({"subjects": ["kei/honda-n-box"], "partners": ["us-truck/ford-f-150"],
                  "configurations": ["side"], "impact_position": ["9"]}, catalog=catalog)


def test_spec_roundtrip_through_toml(tmp_path, catalog):
    spec = spec_from_dict(SMALL)
    assert isinstance(spec, GridSpec) and spec.speed_mode == "explicit"
    path = tmp_path / "g.toml"
    path.write_text('subjects = ["kei/honda-n-box"]\npartners = ["us-truck/*"]\n'
                    'closing_speed_kph = "20:40:10"\nrestitution = ["model", 0.1]\n')
    run = run_grid(path, catalog=catalog)
    assert list(run.axes["closing_speed_kph"]) == [20.0, 30.0, 40.0]
    assert run.axes["restitution"] == ("model", "0.1")
    bad = tmp_path / "bad.toml"
    bad.write_text("subjects = [\n")
    with pytest.raises(GridSpecError, match="bad.toml is not valid TOML"):
        run_grid(bad, catalog=catalog)


def test_crush_exhausted_share_is_counted_from_the_cases(catalog):
    # C = sqrt(2 E / k) of the subject's struck face against its crush space, counted here from
    # the per-case energy (the case kernel) and the catalog, against the summary kernel's share
    from crashcompat.kernels.layout import GEO_K1
    from crashcompat.runs.tables import CONFIGURATION_FACES, FACES

    spec = dict(SMALL, angle_deg=[0.0], overlap=[1.0], impact_position=["driver-seat"],
                subject_speed_kph=[0.0, 60.0], partner_speed_kph=[50.0, 110.0])
    run = run_grid(spec, catalog=catalog)
    df = run.to_pandas()
    df = df[df["status"] <= 2].copy()
    subj, part, conf = (df[c].cat.codes.to_numpy() for c in ("subject", "partner",
                                                              "configuration"))
    n_p, n_c = len(run.axes["partner"]), len(run.axes["configuration"])
    k1 = run.tables.geo[(subj * n_p + part) * n_c + conf, GEO_K1]
    space = np.array([catalog[run.axes["subject"][s]].crush_space_m(
        FACES[CONFIGURATION_FACES[run.axes["configuration"][c]][0]]) for s, c in zip(subj, conf)])
    df["used_up"] = np.sqrt(2.0 * df["subject_energy_j"].to_numpy() / k1) > space
    want = df.astype({"subject": str, "partner": str, "configuration": str}).groupby(
        ["subject", "partner", "configuration", "subject_speed_kph", "partner_speed_kph"]
    )["used_up"].mean()
    n, some = 0, 0
    for row in run.summary().rows:
        key = (row["subject"], row["partner"], row["configuration"], row["subject_speed_kph"],
               row["partner_speed_kph"])
        if key not in want.index:
            assert row["subject_crush_exhausted_share"] is None
            continue
        assert row["subject_crush_exhausted_share"] == want[key], key
        ref = want.get((row["reference"],) + key[1:])
        assert row["reference_crush_exhausted_share"] == ref
        n += 1
        some += 0 < want[key]
    assert n > 20 and some > 5
