"""Estimators: each method against a hand computation, and its response to its inputs."""

from __future__ import annotations

import math

import pytest

from crashcompat.catalog import estimators as est
from crashcompat.units import KPH


def test_standard_load_is_one_75_kg_driver():
    assert est.standard_load() == 75.0
    assert est.standard_load(2) == 150.0


def test_track_from_width():
    assert est.track_from_width(1.475) == pytest.approx(0.87 * 1.475)


@pytest.mark.parametrize(
    "layout, body, share", [("front-engine", "car", 0.50), ("cab-over", "pickup", 0.30),
                            ("front-engine", "pickup", 0.43), ("ev-floor", "suv", 0.50)])
def test_front_overhang_split(layout, body, share):
    assert est.front_overhang_split(3.395, 2.52, layout, body) == pytest.approx(share * 0.875)


def test_cg_from_axle_load_is_statics():
    # 60 % on the front axle of a 2.5 m wheelbase: a = 0.4 * 2.5 = 1.0 m.
    assert est.cg_from_axle_load(2.5, 0.6) == pytest.approx(1.0)


@pytest.mark.parametrize("layout, fraction", sorted(est.CG_FRACTION_BY_LAYOUT.items()))
def test_cg_from_layout(layout, fraction):
    assert est.cg_from_layout(2.5, layout) == pytest.approx(fraction * 2.5)
    assert est.cg_from_layout(2.5, layout, fraction=0.5) == pytest.approx(1.25)


def test_cg_from_layout_unknown_layout_says_which():
    with pytest.raises(ValueError, match="mid-engine"):
        est.cg_from_layout(2.5, "mid-engine")


def test_cg_to_front():
    assert est.cg_to_front(0.44, 1.06) == pytest.approx(1.50)


def test_yaw_inertia_hand_computation():
    # N-BOX-like: m 1025 kg, a 1.0584 m, b 1.4616 m, DI 1 -> 1025 * 1.0584 * 1.4616.
    assert est.yaw_inertia_dynamic_index(1025.0, 1.0584, 1.4616) == pytest.approx(1585.62, rel=1e-4)


def test_yaw_inertia_scales_with_mass_and_dynamic_index():
    base = est.yaw_inertia_dynamic_index(1000.0, 1.0, 1.5)
    assert est.yaw_inertia_dynamic_index(2000.0, 1.0, 1.5) == pytest.approx(2 * base)
    assert est.yaw_inertia_dynamic_index(1000.0, 1.0, 1.5, dynamic_index=1.2) == pytest.approx(1.2 * base)


def test_seat_x_hand_computation_and_cg_dependence():
    # a = 0.42 * 2.52, H-point 0.34 * 2.52 behind the front axle: x = 0.08 * 2.52 = 0.2016 m.
    a = 0.42 * 2.52
    assert est.seat_x(2.52, a, "front-engine") == pytest.approx(0.2016)
    # Moving the CG 0.1 m back moves the seat 0.1 m further ahead of it.
    assert est.seat_x(2.52, a + 0.1, "front-engine") == pytest.approx(0.3016)
    # Cab-over: the driver sits over the front axle, far ahead of the CG.
    assert est.seat_x(1.905, 0.45 * 1.905, "cab-over") == pytest.approx(0.43 * 1.905)


def test_seat_y_side_follows_drive_side():
    right = est.seat_y(1.475, "right", "driver")
    assert right == pytest.approx(-0.47 * 1.475 / 2)  # RHD driver on the right: y < 0
    assert right == pytest.approx(-0.3466, abs=1e-4)  # the 0.35 m the fraction is set for
    assert est.seat_y(1.475, "right", "passenger") == pytest.approx(-right)
    assert est.seat_y(2.0, "left", "driver") == pytest.approx(0.47)
    assert est.seat_y(2.0, "left", "passenger") == pytest.approx(-0.47)
    with pytest.raises(ValueError):
        est.seat_y(2.0, "middle", "driver")


def test_frontal_stiffness_hand_computation():
    # 1000 kg stopped from 56 km/h in 0.5 m by a linear spring: k = m V^2 / C^2.
    v = 56 * KPH
    assert est.frontal_stiffness(1000.0, 0.5) == pytest.approx(1000.0 * v**2 / 0.25)
    # Energy check: k C^2 / 2 = m V^2 / 2.
    k = est.frontal_stiffness(1234.0, 0.6)
    assert 0.5 * k * 0.6**2 == pytest.approx(0.5 * 1234.0 * v**2)
    assert est.frontal_stiffness(2000.0, 0.5) == pytest.approx(2 * est.frontal_stiffness(1000.0, 0.5))


def test_pickup_is_1_5_to_2_5_times_stiffer_than_a_car():
    # The class crushes are chosen so a half-ton pickup comes out 1.6-1.9x stiffer than a car
    # (DYNAMIC_CRUSH_BY_CLASS_M); pickups are commonly described as 1.5-2.5x stiffer.
    car = est.frontal_stiffness(1450.0, est.DYNAMIC_CRUSH_BY_CLASS_M["us-car"])
    pickup = est.frontal_stiffness(2250.0, est.DYNAMIC_CRUSH_BY_CLASS_M["us-truck"])
    assert 1.5 <= pickup / car <= 2.5


def test_face_stiffness():
    assert est.face_stiffness(1.0e6, 0.4) == pytest.approx(4.0e5)


def test_crash3_barrier_fit_hand_computation():
    # Campbell fit V = b0 + b1 C: 15.556 m/s at 0.425 m residual crush, b0 = 2.2 m/s.
    v = 56 * KPH
    b1 = est.barrier_b1(v, 0.425, 2.2)
    assert b1 == pytest.approx((v - 2.2) / 0.425)
    a = est.crash3_a(1025.0, 2.2, b1, 1.475)
    b = est.crash3_b(1025.0, b1, 1.475)
    assert a == pytest.approx(1025.0 * 2.2 * b1 / 1.475)
    assert b == pytest.approx(1025.0 * b1**2 / 1.475)
    # Consistency (CRASH3, DOT HS 805 732): energy per width A C + B C^2 / 2 + G, G = A^2 / (2B), equals
    # the test's kinetic energy per width, m V^2 / (2 L), at the residual crush.
    g = a**2 / (2 * b)
    c = 0.425
    assert (a * c + b * c**2 / 2 + g) * 1.475 == pytest.approx(0.5 * 1025.0 * v**2)


def test_crush_space_front():
    assert est.crush_space_front(0.44, "front-engine") == pytest.approx(0.75 * 0.64)
    assert est.crush_space_front(0.44, "cab-over") == pytest.approx(0.75 * 0.24)
    assert est.crush_space_front(0.10, "cab-over") == pytest.approx(0.05)  # floor
    assert est.crush_space_front(0.54, "front-engine") > est.crush_space_front(0.44, "front-engine")


def test_crush_space_side_uses_width_and_seat():
    y = est.seat_y(1.475, "right", "driver")
    side = est.crush_space_side(1.475, y)
    assert side == pytest.approx(1.475 / 2 - abs(y) - 0.20)
    assert 0.15 <= side <= 0.25  # a small car's door-to-occupant depth (the assumption's aim)
    assert est.crush_space_side(2.0, est.seat_y(2.0, "left", "driver")) > side


def test_crush_space_rear():
    assert est.crush_space_rear(0.44, "car") == pytest.approx(0.8 * 0.44)
    assert est.crush_space_rear(1.2, "pickup") == pytest.approx(1.5 * 1.2)


def test_structure_height_bands():
    assert est.structure_height_band("kei") == (0.40, 0.50)
    assert est.structure_height_band("us-car") == pytest.approx((16 * 0.0254, 20 * 0.0254), abs=1e-3)
    low, high = est.structure_height_band("us-truck-hd")
    assert low > est.structure_height_band("us-truck")[0]
    with pytest.raises(ValueError, match="known"):
        est.structure_height_band("moped")


def _resolver(values):
    def get(name, optional=False):
        if name in values:
            return values[name]
        if optional:
            return None
        raise KeyError(name)
    return get


def test_every_method_has_a_summary_and_fields():
    assert est.METHODS
    for method in est.METHODS.values():
        assert method.summary and method.fields


def test_named_methods_follow_their_inputs():
    base = {"curb_mass_kg": 900.0, "standard_load_kg": 75.0, "mass_kg": 975.0, "length_m": 3.395,
            "width_m": 1.475, "wheelbase_m": 2.52, "layout": "front-engine", "body": "car",
            "class": "kei", "drive_side": "right", "cg_to_front_axle_m": 1.0584}
    izz = est.METHODS["izz_dynamic_index"].compute
    one = izz("yaw_inertia_kgm2", _resolver(base))
    assert one == pytest.approx(975.0 * 1.0584 * (2.52 - 1.0584))
    doubled = izz("yaw_inertia_kgm2", _resolver({**base, "mass_kg": 1950.0}))
    assert doubled == pytest.approx(2 * one)
    assert izz("yaw_inertia_kgm2", _resolver(base), dynamic_index=0.9) == pytest.approx(0.9 * one)

    cg = est.METHODS["cg_position"].compute
    assert cg("cg_to_front_axle_m", _resolver(base)) == pytest.approx(0.42 * 2.52)
    with_axle = cg("cg_to_front_axle_m", _resolver({**base, "front_axle_load_fraction": 0.62}))
    assert with_axle == pytest.approx(0.38 * 2.52)

    seat = est.METHODS["seat_layout"].compute
    x0 = seat("driver_seat_x_m", _resolver(base))
    x1 = seat("driver_seat_x_m", _resolver({**base, "cg_to_front_axle_m": 1.2}))
    assert x1 - x0 == pytest.approx(1.2 - 1.0584)
    assert seat("driver_seat_y_m", _resolver(base)) < 0 < seat("passenger_seat_y_m", _resolver(base))

    crash3 = est.METHODS["crash3_barrier_fit"].compute
    kb = {**base, "stiffness_front_n_per_m": 1.0e6, "stiffness_side_n_per_m": 4.0e5}
    b_front = crash3("crash3_b_front_n_per_m2", _resolver(kb))
    b_side = crash3("crash3_b_side_n_per_m2", _resolver(kb))
    # Same B*L per unit mass as the stiffness ratio: B_side * WB = 0.4 * B_front * W.
    assert b_side * 2.52 == pytest.approx(0.4 * b_front * 1.475)
    assert crash3("crash3_a_side_n_per_m", _resolver(kb)) > 0
    # A and B are fitted through the dynamic crush the linear stiffness gives, C = V sqrt(m/k):
    # a class stiffness scales with mass (k = m (V/C)^2), and then B doubles with the mass
    assert math.isclose(crash3("crash3_b_front_n_per_m2",
                               _resolver({**kb, "mass_kg": 1950.0,
                                          "stiffness_front_n_per_m": 2.0e6})), 2 * b_front)
    # ... and the CRASH3 energy A C + B C^2/2 + G over the width at that crush is the test's
    # kinetic energy (Campbell's fit through (C, V), DOT HS 805 732)
    v = 56 * KPH
    c_dyn = v * math.sqrt(975.0 / 1.0e6)
    a_front = crash3("crash3_a_front_n_per_m", _resolver(kb))
    energy = (a_front * c_dyn + b_front * c_dyn**2 / 2 + a_front**2 / (2 * b_front)) * 1.475
    assert energy == pytest.approx(0.5 * 975.0 * v**2, rel=1e-12)
    # an explicit dynamic crush overrides the one implied by the stiffness
    b_given = crash3("crash3_b_front_n_per_m2", _resolver(kb), dynamic_crush_m=0.6)
    assert b_given == pytest.approx(975.0 * ((v - 2.2) / 0.6) ** 2 / 1.475)


# --- us-van, aerodynamics, tyres, driven axle, measured stiffness ---------------------------


def test_us_van_constants_are_defined_for_every_class_table():
    # minivans as cars and crossovers (calibrated us-car value, NHTSA test 10146)
    assert est.DYNAMIC_CRUSH_BY_CLASS_M["us-van"] == est.DYNAMIC_CRUSH_BY_CLASS_M["us-car"] == 0.75
    assert est.structure_height_band("us-van") == est.structure_height_band("us-suv")
    from crashcompat.catalog.loading import CLASSES, TEST_OBJECT_CLASSES

    for cls in CLASSES:  # every road class has a crush and a band, so no class default can fail
        if cls in TEST_OBJECT_CLASSES:
            continue  # test objects must give every figure; no class defaults apply
        assert cls in est.DYNAMIC_CRUSH_BY_CLASS_M and cls in est.STRUCTURE_BANDS_M


def test_frontal_area_bowling_rule():
    # width x height x 0.85 for cars, x 1.00 for trucks (Bowling's rule)
    assert est.frontal_area(1.475, 1.79, "car") == pytest.approx(0.85 * 1.475 * 1.79)
    assert est.frontal_area(1.475, 1.78, "van") == pytest.approx(0.85 * 1.475 * 1.78)
    assert est.frontal_area(2.03, 1.95, "pickup") == pytest.approx(2.03 * 1.95)
    assert est.frontal_area(2.0, 1.5, "car", factor=0.8) == pytest.approx(2.4)


@pytest.mark.parametrize("cls, body, layout, shape", [
    ("kei", "car", "front-engine", "tall-car"), ("kei", "van", "cab-over", "cab-over"),
    ("kei", "pickup", "cab-over", "cab-over"), ("us-car", "car", "front-engine", "car"),
    ("us-car", "car", "ev-floor", "car"), ("us-suv", "suv", "front-engine", "suv"),
    ("us-van", "van", "front-engine", "van"), ("us-truck", "pickup", "front-engine", "pickup")])
def test_aero_shape(cls, body, layout, shape):
    assert est.aero_shape(cls, body, layout) == shape


def test_drag_coefficients_lie_in_the_published_class_ranges():
    cd = est.DRAG_COEFFICIENT_BY_SHAPE
    assert 0.22 <= cd["car"] <= 0.40 and 0.22 <= cd["tall-car"] <= 0.40  # saloon cars 0.22-0.4
    assert 0.35 <= cd["cab-over"] <= 0.50  # light vans 0.35-0.5
    assert 0.30 <= cd["suv"] <= 0.40 and 0.35 <= cd["pickup"] <= 0.45
    assert cd["car"] < cd["tall-car"] < cd["cab-over"]  # boxier shapes, more drag
    assert est.drag_area(0.30, 2.2) == pytest.approx(0.66)
    with pytest.raises(ValueError, match="known"):
        est.drag_coefficient_by_shape("boat")


def test_rolling_resistance_is_the_trb_average():
    assert est.rolling_resistance() == 0.010
    assert est.rolling_resistance(0.008) == 0.008


@pytest.mark.parametrize("wheels, expected", [("fwd", 0.6), ("rwd", 0.4), ("awd", 1.0), ("4wd", 1.0)])
def test_drive_axle_load_fraction_is_statics(wheels, expected):
    assert est.drive_axle_load_fraction(0.6, wheels) == pytest.approx(expected)


def test_drive_axle_load_fraction_rejects_unknown_wheels():
    with pytest.raises(ValueError, match="fwd, rwd"):
        est.drive_axle_load_fraction(0.6, "front")


@pytest.mark.parametrize("layout, body, wheels", [
    ("front-engine", "car", "fwd"), ("front-engine", "suv", "fwd"), ("front-engine", "pickup", "rwd"),
    ("cab-over", "pickup", "rwd"), ("cab-over", "van", "rwd"), ("rear-engine", "car", "rwd"),
    ("ev-floor", "suv", "awd")])
def test_default_driven_wheels(layout, body, wheels):
    assert est.default_driven_wheels(layout, body) == wheels


def test_drive_axle_method_uses_the_cg_when_no_axle_load_is_given():
    base = {"wheelbase_m": 2.5, "cg_to_front_axle_m": 1.0, "layout": "front-engine", "body": "car"}
    m = est.METHODS["drive_axle_static"].compute
    # a = 1.0 m of 2.5 m: 60 % of the weight on the front axle
    assert m("drive_axle_load_fraction", _resolver(base)) == pytest.approx(0.6)
    assert m("drive_axle_load_fraction", _resolver({**base, "driven_wheels": "rwd"})) == pytest.approx(0.4)
    given = {**base, "front_axle_load_fraction": 0.55}
    assert m("drive_axle_load_fraction", _resolver(given)) == pytest.approx(0.55)


def test_measured_stiffness_is_the_energy_balance_of_the_test():
    m = est.METHODS["stiffness_ncap_measured"].compute
    k = m("stiffness_front_n_per_m", _resolver({}), test_mass_kg=1600.0, test_speed_kph=56.0,
          max_crush_m=0.55)
    assert 0.5 * k * 0.55**2 == pytest.approx(0.5 * 1600.0 * (56 * KPH) ** 2)
    assert k == pytest.approx(est.frontal_stiffness(1600.0, 0.55))
    # residual crush only: dynamic = residual / 0.69, NHTSA test 10146's static 0.518 m over its
    # dynamic 0.75 m (cases.toml)
    assert est.RESIDUAL_TO_DYNAMIC_CRUSH == pytest.approx(0.518 / 0.75, abs=0.005)
    k_res = m("stiffness_front_n_per_m", _resolver({}), test_mass_kg=1600.0, test_speed_kph=56.0,
              residual_crush_m=0.69 * 0.55)
    assert k_res == pytest.approx(k)
    with pytest.raises(ValueError, match="exactly one"):
        m("stiffness_front_n_per_m", _resolver({}), test_mass_kg=1600.0, test_speed_kph=56.0)
    with pytest.raises(ValueError, match="test_mass_kg"):
        m("stiffness_front_n_per_m", _resolver({}), max_crush_m=0.5)
