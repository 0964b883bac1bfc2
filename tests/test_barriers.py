"""Test objects (issue 10 requirement 3): rigid wall, rigid pole and moving deformable barriers in
the catalog, usable in collide() and as grid partners, reproducing NCAP, IIHS and FMVSS
configurations.

The expected values are closed forms of the impulse-momentum model (docs/model.md): a rigid,
infinitely heavy wall gives delta-v = (1 + e) v; a frictionless impact on a body of mass M gives
the collinear (1 + e) M / (m + M) v, reduced by CRASH3's effective-mass factor k^2/(k^2 + h^2) when
the impulse acts at a lever arm h. Published figures of the test objects are checked against the
figures as published (lb, mph converted exactly).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import crashcompat as cc
from crashcompat.catalog import loading
from crashcompat.physics.restitution import DEFAULT_RESTITUTION_MODEL
from crashcompat.units import KPH
from crashcompat.validation.protocols import PROTOCOLS, run_protocol

LB = 0.45359237
BARRIERS = ("barrier/rigid-wall", "barrier/rigid-pole", "barrier/fmvss-214-mdb",
            "barrier/iihs-side-mdb", "barrier/iihs-side-mdb-2", "barrier/euro-ncap-mpdb")


@pytest.fixture(scope="module")
def cat():
    return cc.load_catalog()


@pytest.fixture(scope="module")
def vehicles(cat):
    return [cat[v] for v in cat if cat[v].vehicle_class not in loading.TEST_OBJECT_CLASSES]


def _grown(barrier, factor):
    """The barrier with mass, yaw inertia and every stiffness figure multiplied by ``factor``."""
    scaled = {f: getattr(barrier, f) * factor for f in (
        "mass_kg", "yaw_inertia_kgm2", "stiffness_front_n_per_m", "stiffness_side_n_per_m",
        "stiffness_rear_n_per_m", "crash3_a_front_n_per_m", "crash3_b_front_n_per_m2",
        "crash3_a_side_n_per_m", "crash3_b_side_n_per_m2", "crash3_a_rear_n_per_m",
        "crash3_b_rear_n_per_m2")}
    return dataclasses.replace(barrier, **scaled)


# --- the catalog objects ----------------------------------------------------------------------


def test_barriers_are_catalog_test_objects(cat):
    assert set(BARRIERS) <= set(cat.ids("barrier"))
    assert cat.select("barrier/*") == cat.ids("barrier") == cat.select("barrier")
    for vid in cat.ids("barrier"):
        rec = cat.record(vid)
        v = cat[vid]
        assert rec["body"] == "barrier" and v.vehicle_class == "barrier"
        assert "drive_side" not in rec and "layout" not in rec
        # road-vehicle figures do not apply: no performance figures, no estimate for them
        assert v.power_kw is None and v.drag_area_m2 is None and v.drive_axle_load_fraction is None
        assert not set(loading.TEST_OBJECT_NOT_APPLICABLE) & set(rec["fields"])
        assert rec["fields"]["standard_load_kg"]["value"] == 0.0
        # its 'occupant' is its CG
        assert (v.driver_seat_x_m, v.driver_seat_y_m) == (0.0, 0.0)
    # the bundled test objects pass strict validation with the rest of the catalog
    assert [p for p in loading.validate_catalog(strict=True) if "barrier" in p.file] == []


def test_published_masses_and_sizes(cat):
    assert cat["barrier/iihs-side-mdb"].mass_kg == pytest.approx(3300 * LB, abs=0.05)
    assert cat["barrier/iihs-side-mdb"].mass_kg == pytest.approx(1500, rel=0.003)  # metric figure
    assert cat["barrier/iihs-side-mdb-2"].mass_kg == pytest.approx(4200 * LB, abs=0.05)
    assert cat["barrier/iihs-side-mdb-2"].mass_kg == pytest.approx(1900, rel=0.003)
    assert cat["barrier/euro-ncap-mpdb"].mass_kg == 1400.0
    assert cat["barrier/fmvss-214-mdb"].mass_kg == 1368.0  # 3,015 lb, commonly quoted
    assert cat["barrier/fmvss-214-mdb"].width_m == pytest.approx(1.676)
    pole = cat["barrier/rigid-pole"]
    assert pole.width_m == pole.length_m == pytest.approx(0.254)  # 10 in diameter
    wall = cat["barrier/rigid-wall"]
    # far beyond 49 CFR 587.18's 7 x 10^4 kg, and wider than any vehicle
    assert wall.mass_kg >= 1e3 * 7e4 and wall.width_m > max(v.width_m for v in cat.values()
                                                            if v.vehicle_class != "barrier")
    prov = cat.record("barrier/iihs-side-mdb")["fields"]["curb_mass_kg"]
    assert prov["kind"] == "spec" and "3,300" in prov["source"] and prov["ref"].startswith("http")
    assert cat.record("barrier/fmvss-214-mdb")["fields"]["curb_mass_kg"]["kind"] == "estimate"


def test_a_barrier_file_must_give_every_figure_and_no_vehicle_keys(tmp_path):
    good = (loading.bundled_root() / "barrier" / "rigid-wall.toml").read_text()
    folder = tmp_path / "barrier"
    folder.mkdir()
    text = good.replace('id = "barrier/rigid-wall"', 'id = "barrier/my-wall"')
    text = "\n".join(line for line in text.splitlines()
                     if not line.startswith("crush_space_rear_m"))
    text += ('\ndrive_side = "left"\n'
             'track_front_m = { value = 2.0, kind = "estimate", method = "x" }\n')
    (folder / "my-wall.toml").write_text(text)
    problems = [str(p) for p in loading.validate_catalog([tmp_path])]
    assert any("crush_space_rear_m' is missing: a test object" in p for p in problems), problems
    assert any("'drive_side' describes a road vehicle" in p for p in problems), problems
    assert any("'track_front_m' describes a road vehicle" in p for p in problems), problems
    # a barrier body needs the barrier class, and a barrier's mass is not range-limited to cars'
    kei = (loading.bundled_root() / "kei" / "honda-n-box.toml").read_text()
    (tmp_path / "kei").mkdir()
    (tmp_path / "kei" / "n-box-as-barrier.toml").write_text(
        kei.replace('id = "kei/honda-n-box"', 'id = "kei/n-box-as-barrier"')
        .replace('body = "car"', 'body = "barrier"'))
    problems = [str(p) for p in loading.validate_catalog([tmp_path / "kei"])]
    assert any("body = \"barrier\" needs class = \"barrier\"" in p for p in problems), problems


# --- physics: the rigid limit -----------------------------------------------------------------


@pytest.mark.parametrize("e", [0.0, 0.1, 0.2])
def test_full_frontal_rigid_wall_gives_one_plus_e_times_v_for_every_vehicle(vehicles, cat, e):
    wall = cat["barrier/rigid-wall"]
    v_kph = 56.0  # the NCAP speed
    for v in vehicles:
        r = cc.collide(v, wall, "frontal", subject_speed_kph=v_kph, partner_speed_kph=0.0,
                       restitution=e, measures=("dv",))
        # the wall's finite mass (m/M < 1e-4) is the only departure from (1 + e) v
        assert r.subject.dv_kph == pytest.approx((1 + e) * v_kph, rel=1e-4), v.id
        # central, full overlap: no yaw (the wall's own 10^-6 rad/s turn, from its contact
        # point lying off its centre line, is the only coupling)
        assert abs(r.subject.yaw_rate_change_rad_s) < 1e-4, v.id
        assert r.subject.occupant_dv_kph == pytest.approx(r.subject.dv_kph, rel=1e-4), v.id
        assert r.partner.dv_kph < 1e-4 * r.subject.dv_kph  # the wall does not move
        assert r.subject.energy_share > 1 - 1e-4  # the vehicle absorbs the energy


def test_model_restitution_against_the_wall_is_the_curve_at_the_test_speed(cat):
    r = run_protocol("us-car/toyota-camry", "ncap-full-frontal", restitution="model",
                     measures=("dv",))
    e = float(DEFAULT_RESTITUTION_MODEL(56.0 * KPH))
    assert r.restitution == pytest.approx(e, rel=1e-9)
    assert r.subject.dv_kph == pytest.approx((1 + e) * 56.0, rel=1e-4)


CONVERGENCE_CASES = [
    ("barrier/rigid-wall", "ncap-full-frontal", {}),
    ("barrier/rigid-wall", "iihs-small-overlap", {}),
    ("barrier/rigid-wall", "ncap-full-frontal", {"angle_deg": 30.0, "overlap": 0.5}),
    ("barrier/rigid-pole", "fmvss-214-pole", {}),
    ("barrier/rigid-pole", "pole-perpendicular", {}),
]


@pytest.mark.parametrize("vid", ["kei/honda-n-box", "us-truck/ford-f-150"])
@pytest.mark.parametrize("barrier_id,protocol,extra", CONVERGENCE_CASES)
def test_rigid_objects_have_converged(cat, vid, barrier_id, protocol, extra):
    """Ten times the mass, yaw inertia and stiffness changes delta-v, yaw-rate change and the
    pulse by less than 0.1 %: the objects are in the rigid limit (issue 10 requirement 3)."""
    base = cat[barrier_id]
    p = PROTOCOLS[protocol]
    kw = dict(subject_speed_kph=p.subject_speed_kph, partner_speed_kph=p.partner_speed_kph,
              overlap=p.overlap, restitution=0.1, measures=("dv", "pulse"))
    if p.configuration == "side":
        kw["angle_deg"] = -p.oblique_deg  # the driver side of a left-hand-drive build
    kw.update(extra)
    results = [cc.collide(cat[vid], b, p.configuration, **kw) for b in (base, _grown(base, 10.0))]
    a, b = (r.subject for r in results)
    assert b.dv_kph == pytest.approx(a.dv_kph, rel=1e-3)
    assert b.occupant_dv_kph == pytest.approx(a.occupant_dv_kph, rel=1e-3)
    assert b.yaw_rate_change_rad_s == pytest.approx(a.yaw_rate_change_rad_s, rel=1e-3, abs=1e-4)
    for key in ("pulse_duration_s", "peak_accel_g", "max_crush_m"):
        assert b.pulse[key] == pytest.approx(a.pulse[key], rel=1e-3), key
    assert results[0].partner.pulse["max_crush_m"] < 1e-6  # a rigid object does not crush


# --- physics: the pole ------------------------------------------------------------------------


@pytest.mark.parametrize("vid", ["kei/honda-n-box", "kei/suzuki-every", "us-car/toyota-camry"])
def test_pole_side_impact_closed_forms(cat, vid):
    v, pole = cat[vid], cat["barrier/rigid-pole"]
    e, speed = 0.1, 32.0
    # the pole at the CG, frictionless: the collinear rigid-barrier result
    r = cc.collide(v, pole, "side", subject_speed_kph=0, partner_speed_kph=speed, restitution=e,
                   friction=0.0, impact_position_m=0.0, measures=("dv",))
    assert r.subject.dv_kph == pytest.approx((1 + e) * speed, rel=1e-4)
    assert abs(r.subject.dv_x_mps) < 1e-9
    # at the driver's seat the impulse has a lever arm h = |seat x| about the CG: the vehicle
    # responds with its CRASH3 effective mass, delta-v = (1 + e) v k^2 / (k^2 + h^2)
    h = v.driver_seat_x_m  # the seat's x does not depend on the drive side
    k2 = v.yaw_inertia_kgm2 / v.mass_kg
    r = cc.collide(v, pole, "side", subject_speed_kph=0, partner_speed_kph=speed, restitution=e,
                   friction=0.0, measures=("dv",))
    assert r.subject.dv_kph == pytest.approx((1 + e) * speed * k2 / (k2 + h * h), rel=1e-4)
    assert abs(r.subject.yaw_rate_change_rad_s) > 0.1  # an eccentric blow turns the vehicle


def test_pole_test_is_galilean_invariant(cat):
    """The FMVSS 214 pole test moves the car sideways into the fixed pole; collide() moves the
    pole into the stationary car. Shifting every velocity by the pole's gives the same impulse
    (the array API takes global velocities, so the car-moving frame can be run directly)."""
    r = run_protocol("kei/honda-n-box", "fmvss-214-pole", restitution=0.1, measures=("dv",))
    k = r.kernel_inputs
    shifted = cc.planar_impact(k["m1"], k["izz1"], k["v1x"] - k["v2x"], k["v1y"] - k["v2y"],
                               0.0, k["r1x"], k["r1y"], k["m2"], k["izz2"], 0.0, 0.0, 0.0,
                               k["r2x"], k["r2y"], k["normal_deg"], k["restitution"],
                               k["friction"])
    dv = math.hypot(shifted.dv1x, shifted.dv1y) / KPH
    assert dv == pytest.approx(r.subject.dv_kph, rel=1e-12)
    assert shifted.dw1 == pytest.approx(r.subject.yaw_rate_change_rad_s, rel=1e-12)
    # the car moves at 32 km/h at 75 degrees to its own axis (forward component 32 cos 75)
    car_speed = math.hypot(k["v1x"] - k["v2x"], k["v1y"] - k["v2y"]) / KPH
    assert car_speed == pytest.approx(32.0, rel=1e-12)
    assert (k["v1x"] - k["v2x"]) / KPH == pytest.approx(32.0 * math.cos(math.radians(75.0)))
    assert r.subject.dv_kph < 32.0 * 1.1  # at the seat, not the CG: effective mass below m


# --- physics: moving deformable barriers --------------------------------------------------------


@pytest.mark.parametrize("protocol", ["iihs-side", "iihs-side-2"])
@pytest.mark.parametrize("vid", ["kei/honda-n-box", "us-car/toyota-camry", "us-suv/honda-cr-v"])
def test_side_mdb_delta_v_follows_momentum(cat, protocol, vid):
    p = PROTOCOLS[protocol]
    v, mdb = cat[vid], cat[p.partner]
    e = 0.1
    # central and frictionless: the collinear formula (1 + e) M / (m + M) v
    r = cc.collide(v, mdb, "side", subject_speed_kph=0, partner_speed_kph=p.partner_speed_kph,
                   restitution=e, friction=0.0, impact_position_m=0.0, measures=("dv",))
    expected = (1 + e) * mdb.mass_kg / (v.mass_kg + mdb.mass_kg) * p.partner_speed_kph
    assert r.subject.dv_kph == pytest.approx(expected, rel=1e-9)
    assert r.partner.dv_kph == pytest.approx(expected * v.mass_kg / mdb.mass_kg, rel=1e-9)
    # the protocol (at the driver's seat, with friction): linear momentum is conserved
    r = run_protocol(v, protocol, restitution=e, measures=("dv",))
    s, q = r.subject, r.partner
    for ax in ("dv_global_x_mps", "dv_global_y_mps"):
        momentum = s.mass_kg * getattr(s, ax) + q.mass_kg * getattr(q, ax)
        assert momentum == pytest.approx(0, abs=1e-6)
    assert 0 < s.dv_kph <= expected * (1 + 1e-9)  # eccentric: effective mass below m


def test_iihs_side_2_is_more_severe_and_lighter_cars_take_more(cat):
    dv = {(vid, p): run_protocol(vid, p, restitution=0.1, measures=("dv",)).subject.dv_kph
          for vid in ("kei/honda-n-box", "us-car/toyota-camry")
          for p in ("iihs-side", "iihs-side-2")}
    for vid in ("kei/honda-n-box", "us-car/toyota-camry"):
        assert dv[(vid, "iihs-side-2")] > 1.15 * dv[(vid, "iihs-side")]
    for p in ("iihs-side", "iihs-side-2"):
        assert dv[("kei/honda-n-box", p)] > dv[("us-car/toyota-camry", p)]


def test_fmvss_214_crabbed_barrier(cat):
    """The crabbed barrier's relative motion: 54 km/h at 27 degrees from its axis towards the car's
    rear; collide() runs it as the car moving forward under a crossing barrier. Shifting to the
    car's frame (car stationary, barrier moving at 54 km/h crabbed) gives the same impulse."""
    r = run_protocol("us-car/toyota-camry", "fmvss-214-mdb", restitution=0.1, measures=("dv",))
    k = r.kernel_inputs
    rel = np.array([k["v2x"] - k["v1x"], k["v2y"] - k["v1y"]]) / KPH
    assert np.hypot(*rel) == pytest.approx(54.0, rel=1e-12)
    # the barrier's axis is the car's y axis; its motion leans 27 degrees towards -x (the rear)
    assert math.degrees(math.atan2(-rel[0], abs(rel[1]))) == pytest.approx(27.0, abs=1e-9)
    shifted = cc.planar_impact(k["m1"], k["izz1"], 0.0, 0.0, 0.0, k["r1x"], k["r1y"], k["m2"],
                               k["izz2"], rel[0] * KPH, rel[1] * KPH, 0.0, k["r2x"], k["r2y"],
                               k["normal_deg"], k["restitution"], k["friction"])
    dv = math.hypot(shifted.dv1x, shifted.dv1y) / KPH
    assert dv == pytest.approx(r.subject.dv_kph, rel=1e-12)
    # the lateral delta-v is bounded by the collinear value of the crossing component
    m, big_m = k["m1"], k["m2"]
    lateral_bound = 1.1 * big_m / (m + big_m) * 54.0 * math.cos(math.radians(27.0))
    assert abs(r.subject.dv_y_mps) / KPH <= lateral_bound * (1 + 1e-9)
    assert r.status_name in ("ok-sticking", "ok-sliding")


def test_mpdb_frontal_offset(cat):
    for vid in ("kei/honda-n-box", "us-car/toyota-camry", "us-truck/ford-f-150"):
        v = cat[vid]
        r = run_protocol(v, "euro-ncap-mpdb", restitution=0.1, measures=("dv",))
        s, q = r.subject, r.partner
        for ax in ("dv_global_x_mps", "dv_global_y_mps"):
            momentum = s.mass_kg * getattr(s, ax) + q.mass_kg * getattr(q, ax)
            assert momentum == pytest.approx(0, abs=1e-6)
        # 100 km/h closing: the collinear bound (central, frictionless) is the largest delta-v
        bound = 1.1 * 1400 / (v.mass_kg + 1400) * 100.0
        assert 0.6 * bound < s.dv_kph <= bound * (1 + 1e-9), vid
    kei = run_protocol("kei/honda-n-box", "euro-ncap-mpdb", restitution=0.1, measures=("dv",))
    f150 = run_protocol("us-truck/ford-f-150", "euro-ncap-mpdb", restitution=0.1, measures=("dv",))
    assert kei.subject.dv_kph > f150.subject.dv_kph and kei.partner.dv_kph < f150.partner.dv_kph


def test_every_protocol_runs_with_pulse(cat):
    for name in PROTOCOLS:
        for vid in ("kei/honda-n-box", "us-truck/ford-f-150"):
            r = run_protocol(vid, name, measures=("dv", "pulse"))
            assert r.subject.dv_kph > 0 and math.isfinite(r.subject.dv_kph), (name, vid)
            assert r.subject.pulse["status"] == 0, (name, vid)
            assert r.subject.pulse["pulse_duration_s"] > 0.01, (name, vid)


# --- grid partners ----------------------------------------------------------------------------


def test_barriers_as_grid_partners(cat):
    spec = {"subjects": ["kei/honda-n-box"], "partners": ["barrier/*"], "references": [],
            "configurations": ["frontal", "side"], "subject_speed_kph": [0.0, 56.0],
            "partner_speed_kph": [0.0, 32.0], "angle_deg": [0.0], "overlap": [1.0],
            "restitution": [0.1], "measures": ["dv"]}
    df = cc.run_grid(spec).to_pandas()
    assert set(df["partner"].astype(str)) == set(cat.ids("barrier"))
    wall = df[(df["partner"] == "barrier/rigid-wall") & (df["configuration"] == "frontal")
              & (df["subject_speed_kph"] == 56.0) & (df["partner_speed_kph"] == 0.0)]
    assert len(wall) == 1
    assert float(wall["subject_dv_kph"].iloc[0]) == pytest.approx(1.1 * 56.0, rel=1e-4)
    pole = df[(df["partner"] == "barrier/rigid-pole") & (df["configuration"] == "side")
              & (df["subject_speed_kph"] == 0.0) & (df["partner_speed_kph"] == 32.0)]
    ref = cc.collide("kei/honda-n-box", "barrier/rigid-pole", "side", subject_speed_kph=0.0,
                     partner_speed_kph=32.0, restitution=0.1, measures=("dv",))
    assert float(pole["subject_dv_kph"].iloc[0]) == pytest.approx(ref.subject.dv_kph, rel=1e-9)
