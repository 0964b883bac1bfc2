"""Estimators for the vehicle figures that manufacturers do not publish.

Every function here is small, pure and SI: it takes spec figures (mass, dimensions, layout) and
returns one estimate. Each docstring gives the formula, its source or "(assumption)", and units.
The catalog (`crashcompat.catalog.loading`) names these methods in its TOML files, so an estimate changes
when an input changes, and a test can check the method by hand.

The bottom of the module holds `METHODS`: the name a catalog file uses for each method, the
fields it can fill, and how it reads its inputs. `vehicles/README.md` documents the same table.

Tags as in the catalog files (vehicles/README.md): [S] seen in the source cited, [M] commonly
quoted and not re-checked, [E] estimate. Numbers marked (assumption) are engineering choices
exposed as parameters, with the reasoning beside them; they are not measurements.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Callable

from crashcompat.units import KPH

__all__ = [
    "STANDARD_DRIVER_KG",
    "NCAP_FULL_WIDTH_SPEED_MPS",
    "LAYOUTS",
    "BODIES",
    "standard_load",
    "track_from_width",
    "front_overhang_split",
    "cg_from_axle_load",
    "cg_from_layout",
    "cg_to_front",
    "yaw_inertia_dynamic_index",
    "seat_x",
    "seat_y",
    "frontal_stiffness",
    "face_stiffness",
    "barrier_b1",
    "crash3_a",
    "crash3_b",
    "crush_space_front",
    "crush_space_side",
    "crush_space_rear",
    "structure_height_band",
    "frontal_area",
    "drag_coefficient_by_shape",
    "aero_shape",
    "drag_area",
    "rolling_resistance",
    "default_driven_wheels",
    "drive_axle_load_fraction",
    "Method",
    "METHODS",
]

#: Standard driver mass, kg: the 75 kg driver of the EU "mass in running order" definition
#: (Regulation (EU) No 1230/2012, Art. 2).
STANDARD_DRIVER_KG = 75.0

#: US NCAP full-width rigid-barrier test speed, 35 mph = 56 km/h [S] (NHTSA NCAP FAQ: "vehicles
#: are crashed into a fixed barrier at 35 miles per hour", archived 2004-10-19 at
#: https://webharvest.gov/peth04/20041019044257/http://www.nhtsa.dot.gov/ncap/info.html).
NCAP_FULL_WIDTH_SPEED_MPS = 56.0 * KPH

#: Engine/drive layouts the estimators know (identity key ``layout``).
#: ``cab-over``: driver over the front axle, engine under the seats (kei vans and trucks).
#: ``ev-floor``: battery electric with the pack in the floor.
LAYOUTS = ("front-engine", "rear-engine", "cab-over", "ev-floor")

#: Body types the estimators know (identity key ``body``). ``barrier``: a crash-test object
#: (rigid wall, pole, moving deformable barrier) of the catalog class ``barrier``; no estimator
#: applies to it, its files give every figure (`crashcompat.catalog.loading`).
BODIES = ("car", "suv", "van", "pickup", "barrier")

# --- tables of stated assumptions -------------------------------------------------------------

#: Track / overall width (assumption): the kei treads published in the catalog give 0.87-0.885
#: (N-WGN 1,305/1,475, Dayz 1,290-1,300/1,475, Hustler 1,285-1,300/1,475; sources in those
#: files); 0.87, the low end, is taken for every vehicle without a published track.
TRACK_WIDTH_RATIO = 0.87

#: Share of the total overhang (length - wheelbase) that lies ahead of the front axle
#: (assumption): cab-over kei vans/trucks put the front axle under the driver, near the nose;
#: pickups carry a long rear overhang behind the bed; other cars split about evenly.
FRONT_OVERHANG_SHARE = {"cab-over": 0.30, "pickup": 0.43, "default": 0.50}

#: CG distance behind the front axle as a fraction of the wheelbase, by layout (assumption):
#: front-engine 0.42 (engine ahead of the cabin: about 58 % of the weight on the front axle);
#: cab-over 0.45 (engine under the seats moves mass back, empty bed keeps the rear light);
#: ev-floor 0.48 (a floor battery pack puts the CG near mid-wheelbase); rear-engine 0.55 (engine
#: behind the rear seat, about 45/55).
CG_FRACTION_BY_LAYOUT = {"front-engine": 0.42, "cab-over": 0.45, "ev-floor": 0.48, "rear-engine": 0.55}

#: Driver H-point behind the front axle as a fraction of the wheelbase, by layout (assumption).
#: 0.34 for front-engine and ev-floor cars puts a kei driver about 0.2 m ahead of the CG;
#: cab-over drivers sit over the front axle (0.02); rear-engine two-seaters sit near
#: mid-wheelbase (0.45).
SEAT_FRACTION_BY_LAYOUT = {"front-engine": 0.34, "ev-floor": 0.34, "cab-over": 0.02, "rear-engine": 0.45}

#: Seat centre-line offset from the vehicle centre line as a fraction of the half width
#: (assumption), set so that a 1.475 m wide kei car puts its driver 0.35 m off the centre line.
SEAT_Y_HALF_WIDTH_FRACTION = 0.47

#: Dynamic (maximum) crush in the 56 km/h full-width rigid-barrier test, by class, m. Calibrated
#: (docs/model.md, "Pulse calibration"; crashcompat.validation.calibration.calibrate_pulse): the
#: one full-frontal barrier test of the validation set with a measured pulse, NHTSA test 10146
#: (2018 Toyota Camry, 1,719 kg at 57.09 km/h), crushed 0.75 m dynamically (double integral of the
#: rear-seat crossmember accelerometer; time to maximum crush 74.2 ms, which a linear spring
#: reaches with a 0.75 m crush, (pi/2) C / V): us-car 0.75. The earlier class values (car, SUV
#: and van 0.60, pickup 0.55, kei 0.50; assumptions) made the Camry's pulse 41 % too short. The
#: other US classes are scaled by the same 0.75/0.60 = 1.25 (assumption: the calibration shows
#: the absolute level, the class ratios stay the stated judgements: SUVs and minivans share the
#: cars' unibody platforms and overhangs; pickups 0.69, 1.25 x 0.55, stiffer fronts, Park et al.,
#: SAE 1999-01-0064, whose figures were not read). kei 0.40 (assumption, no kei test with a
#: measured crush was found): the Camry's measured margin applied to the kei front. The Camry
#: used 0.75 m of its 0.92 m crush space (crush_front_depth), 0.81 of it, with its compartment
#: intact; kei cars take JNCAP's 55 km/h full-width test without a collapsed compartment, so a
#: kei front with the class's ~0.49 m crush space is taken to crush 0.81 x 0.49 = 0.40 m in the
#: 56 km/h barrier test. (The earlier 0.50 m filled a kei car's whole crush space in its own
#: barrier test, crush ratio 1.01-1.05, which contradicts the intact compartment.) The 1990s
#: cab-over kei trucks and vans, built before any frontal crash test, have 0.07-0.19 m of crush
#: space and load their compartment in any such crash whatever this value.
#: Replaced per vehicle by `stiffness_ncap_measured` where an NCAP report gives the crush.
DYNAMIC_CRUSH_BY_CLASS_M = {"kei": 0.40, "us-car": 0.75, "us-suv": 0.75, "us-van": 0.75,
                            "us-truck": 0.69}

#: Ratio of residual (static, measured after the test) to dynamic crush. NHTSA test 10146: the
#: maximum static crush CRHDST 0.518 m against the 0.75 m dynamic crush, 0.69 (the CRASH3 six-point
#: average, 0.472 m, gives 0.63) [derived from the test's EV5 header and its accelerometer trace,
#: src/crashcompat/validation/cases.toml]. The earlier 0.85 (assumption, "10-15 % springs back")
#: under-stated the spring-back of a modern front. Used where a report gives only the residual
#: crush (`stiffness_ncap_measured`).
RESIDUAL_TO_DYNAMIC_CRUSH = 0.69

#: No-damage speed b0 of the CRASH3 barrier fit V = b0 + b1*C, m/s. Front and rear: 5 mph
#: (about 8 km/h, 2.2 m/s), the value commonly used with CRASH3 (Campbell, SAE 740565, 1974;
#: CRASH3 User's Guide, NHTSA DOT-HS-805-732, 1981) [M]; side: 2 mph (0.9 m/s) (assumption:
#: side structures dent at lower speed).
B0_BY_FACE_MPS = {"front": 2.2, "rear": 2.2, "side": 0.9}

#: Stiffness of the side and the rear relative to the front of the same vehicle (assumption):
#: side 0.4 (doors and sills against rails and engine), rear 0.6.
FACE_STIFFNESS_RATIO = {"front": 1.0, "side": 0.40, "rear": 0.60}

#: Distance from the front axle back to the firewall, m, by layout (assumption); negative when
#: the cab's front wall lies ahead of the axle (cab-over).
FIREWALL_BEHIND_AXLE_M = {"front-engine": 0.20, "ev-floor": 0.20, "rear-engine": 0.0, "cab-over": -0.20}

#: Share of the bumper-to-firewall depth that can crush (assumption): the engine block, motor
#: and suspension towers do not.
USABLE_FRONT_DEPTH = 0.75

#: Half the seated hip breadth of an adult occupant, m (assumption: 0.40 m hip breadth).
OCCUPANT_HALF_WIDTH_M = 0.20

#: Rear crush space as a share of the rear overhang (assumption): 0.8 for cars, SUVs and vans
#: (fuel tank, seat backs); 1.5 for pickups, whose bed and frame lie between bumper and cab.
REAR_CRUSH_SHARE = {"pickup": 1.5, "default": 0.8}

#: Height band (low, high) of the front energy-absorbing structure above the ground, m.
#: us-car 0.406-0.508 = the bumper zone of the US bumper standard, 16-20 in (49 CFR Part 581)
#: [M]; kei 0.40-0.50 (assumption: small cars on 12-14 in wheels carry the beam just below the
#: US zone's middle); us-suv 0.45-0.60 (assumption: the industry's 2003 voluntary compatibility
#: commitment has light trucks' primary structure overlap the Part 581 zone, so the band reaches
#: down into it); us-van 0.45-0.60, as us-suv (assumption: minivans are light trucks under the
#: same commitment; their car-based structures sit no higher than a crossover's); us-truck
#: (half-ton pickups) 0.55-0.65 (assumption: frame rails on 17-20 in wheels, overlapping the top
#: of the zone); us-truck-hd 0.62-0.78 (assumption: heavy-duty pickups ride about 0.1 m higher).
STRUCTURE_BANDS_M = {
    "kei": (0.40, 0.50),
    "us-car": (0.406, 0.508),
    "us-suv": (0.45, 0.60),
    "us-van": (0.45, 0.60),
    "us-truck": (0.55, 0.65),
    "us-truck-hd": (0.62, 0.78),
}

#: Frontal area / (overall width x overall height) (Bowling's rule of thumb, as given with an
#: air-drag chart at http://www.bgsoflex.com/airdragchart.html, read 2026-12-01 [S]): 0.85 for
#: cars, 1.00 for trucks. Here "truck" means an open-bed pickup (kei trucks included); vans, SUVs
#: and cars take 0.85. Width without mirrors, so the mirrors' area is left out (crude).
FRONTAL_AREA_FACTOR = {"pickup": 1.00, "default": 0.85}

#: Drag coefficient Cd by body shape (assumption; no Cd of any catalog vehicle was found). A
#: vehicle-technology handbook page gives saloon cars 0.22-0.4 and light vans 0.35-0.5
#: (https://www.civilengineeringhandbook.tk/vehicle-technology/1424drag-coefficient.html, read
#: 2026-12-01); a consumer summary gives SUVs and crossovers about 0.30-0.40 and pickups about
#: 0.35-0.45 (https://kevinsautos.com/faq/what-is-the-drag-coefficient-of-a-normal-car.html,
#: read 2026-12-01). Chosen inside those ranges:
#:   car 0.30 (modern US sedans and hatchbacks, mid-range);
#:   tall-car 0.34 (kei passenger cars: a 1.5-1.8 m box on a 1.48 m width with a short nose, so
#:   higher than a sedan but below a light van);
#:   suv 0.36 (crossovers and SUVs, middle of 0.30-0.40 pulled up for body-on-frame SUVs);
#:   van 0.33 (minivans: a sloped nose and smooth sides, bottom of the light-van range less a
#:   little for their car-like fronts);
#:   cab-over 0.42 (kei vans and trucks: flat vertical front face; middle of the light-van range);
#:   pickup 0.45 (top of the pickup range: open bed, tall grille).
DRAG_COEFFICIENT_BY_SHAPE = {"car": 0.30, "tall-car": 0.34, "suv": 0.36, "van": 0.33,
                             "cab-over": 0.42, "pickup": 0.45}

#: Rolling-resistance coefficient of the tyres, 1: 0.010, the average of the passenger-tyre
#: population in TRB Special Report 286, "Tires and Passenger Vehicle Fuel Economy" (2006),
#: range 0.007-0.017, as quoted at https://ecomodder.com/forum/341665-post2.html (read
#: 2026-12-01) [M]. Taken for cars and light trucks alike (assumption: the same post's single
#: light-truck tyre example, 0.00745, lies inside the passenger range, and no light-truck class
#: average was found).
ROLLING_RESISTANCE = 0.010

#: Driven wheels assumed when a file does not say (assumption): front-engine cars, SUVs and vans
#: drive the front wheels (the base trims of the transverse-engine crossovers and minivans);
#: front-engine pickups, cab-over and rear-engine vehicles the rear; ev-floor vehicles all four
#: (most US battery pickups and SUVs have a motor on each axle).
DEFAULT_DRIVEN_WHEELS = {("front-engine", "pickup"): "rwd", "front-engine": "fwd",
                         "cab-over": "rwd", "rear-engine": "rwd", "ev-floor": "awd"}


def _lookup(table: dict, key: str, what: str):
    try:
        return table[key]
    except KeyError:
        raise ValueError(f"no {what} for {key!r}; known: {', '.join(sorted(table))}") from None


# --- estimators -------------------------------------------------------------------------------


def standard_load(occupants: float = 1.0, occupant_mass_kg: float = STANDARD_DRIVER_KG) -> float:
    """Load carried in the crash, kg: ``occupants * occupant_mass_kg``.

    Default one 75 kg driver (EU mass-in-running-order driver, Reg. (EU) 1230/2012).
    """
    return occupants * occupant_mass_kg


def track_from_width(width_m: float, ratio: float = TRACK_WIDTH_RATIO) -> float:
    """Track (tread), m: ``ratio * width_m``, ratio 0.87 (assumption, see `TRACK_WIDTH_RATIO`)."""
    return ratio * width_m


def front_overhang_split(
    length_m: float, wheelbase_m: float, layout: str, body: str, share: float | None = None
) -> float:
    """Front overhang, m: ``share * (length_m - wheelbase_m)``.

    ``share`` (assumption) is 0.30 for cab-over layouts, 0.43 for pickups and 0.50 otherwise.
    """
    if share is None:
        if layout == "cab-over":
            share = FRONT_OVERHANG_SHARE["cab-over"]
        elif body == "pickup":
            share = FRONT_OVERHANG_SHARE["pickup"]
        else:
            share = FRONT_OVERHANG_SHARE["default"]
    return share * (length_m - wheelbase_m)


def cg_from_axle_load(wheelbase_m: float, front_axle_load_fraction: float) -> float:
    """CG distance behind the front axle, m, from the static axle loads (statics):
    ``a = (1 - front_axle_load_fraction) * wheelbase_m``."""
    return (1.0 - front_axle_load_fraction) * wheelbase_m


def cg_from_layout(wheelbase_m: float, layout: str, fraction: float | None = None) -> float:
    """CG distance behind the front axle, m: ``fraction * wheelbase_m``.

    ``fraction`` by layout (assumption, see `CG_FRACTION_BY_LAYOUT`): front-engine 0.42,
    cab-over 0.45, ev-floor 0.48, rear-engine 0.55.
    """
    if fraction is None:
        fraction = _lookup(CG_FRACTION_BY_LAYOUT, layout, "CG fraction")
    return fraction * wheelbase_m


def cg_to_front(front_overhang_m: float, cg_to_front_axle_m: float) -> float:
    """Distance from the front face back to the CG, m: front overhang + CG-to-front-axle (geometry)."""
    return front_overhang_m + cg_to_front_axle_m


def yaw_inertia_dynamic_index(
    mass_kg: float, a_m: float, b_m: float, dynamic_index: float = 1.0
) -> float:
    """Yaw moment of inertia, kg m^2: ``I_z = DI * m * a * b``.

    a, b: CG to front and rear axle. The dynamic index DI = k^2/(a b) is commonly quoted as close
    to 1 (0.8-1.2) for passenger cars from NHTSA's measured inertial parameters (Garrott et al.,
    SAE 881767; Heydinger et al., SAE 1999-01-1336) [M]; default 1.0.
    """
    return dynamic_index * mass_kg * a_m * b_m


def seat_x(
    wheelbase_m: float, cg_to_front_axle_m: float, layout: str, fraction: float | None = None
) -> float:
    """Seat H-point ahead of the CG, m (vehicle frame, x forward): ``a - fraction * wheelbase_m``.

    The H-point lies ``fraction * wheelbase_m`` behind the front axle; ``fraction`` by layout
    (assumption): front-engine and ev-floor 0.34, cab-over 0.02 (driver over the front axle),
    rear-engine 0.45. Moving the CG back moves the seat forward relative to it.
    """
    if fraction is None:
        fraction = _lookup(SEAT_FRACTION_BY_LAYOUT, layout, "seat fraction")
    return cg_to_front_axle_m - fraction * wheelbase_m


def seat_y(
    width_m: float, drive_side: str, seat: str, fraction: float = SEAT_Y_HALF_WIDTH_FRACTION
) -> float:
    """Seat lateral position from the centre line, m (y to the left): ``+-fraction * width_m / 2``.

    The driver sits on the ``drive_side`` (right-hand drive: y < 0), the front passenger opposite.
    ``fraction`` 0.47 (assumption; a 1.475 m kei car gives 0.35 m).
    """
    if drive_side not in ("left", "right") or seat not in ("driver", "passenger"):
        raise ValueError(f"drive_side must be left/right and seat driver/passenger, got {drive_side!r}, {seat!r}")
    on_right = (drive_side == "right") == (seat == "driver")
    offset = fraction * width_m / 2.0
    return -offset if on_right else offset


def frontal_stiffness(
    mass_kg: float, dynamic_crush_m: float, test_speed_mps: float = NCAP_FULL_WIDTH_SPEED_MPS
) -> float:
    """Linear frontal stiffness, N/m: ``k = m * (V / C)^2``.

    Energy balance of a linear spring stopping mass m from speed V in a crush C:
    ``m V^2 / 2 = k C^2 / 2``. V: US NCAP full-width speed 56 km/h [S]; C: the maximum (dynamic)
    crush, measured (`stiffness_ncap_measured`) or by class (assumption, see
    `DYNAMIC_CRUSH_BY_CLASS_M`).
    """
    return mass_kg * (test_speed_mps / dynamic_crush_m) ** 2


def face_stiffness(front_stiffness_n_per_m: float, ratio: float) -> float:
    """Side or rear linear stiffness, N/m: ``ratio * k_front`` (ratio: assumption, side 0.4, rear 0.6)."""
    return ratio * front_stiffness_n_per_m


def barrier_b1(test_speed_mps: float, residual_crush_m: float, b0_mps: float) -> float:
    """Slope b1 of the CRASH3 barrier fit ``V = b0 + b1 * C``, 1/s: ``(V - b0) / C``
    (Campbell, SAE 740565). C is the residual crush, m."""
    return (test_speed_mps - b0_mps) / residual_crush_m


def crash3_a(mass_kg: float, b0_mps: float, b1_per_s: float, crush_width_m: float) -> float:
    """CRASH3 A coefficient, force per unit width, N/m: ``A = m * b0 * b1 / L`` (Campbell,
    SAE 740565; CRASH3 User's Guide, NHTSA DOT HS 805 732)."""
    return mass_kg * b0_mps * b1_per_s / crush_width_m


def crash3_b(mass_kg: float, b1_per_s: float, crush_width_m: float) -> float:
    """CRASH3 B coefficient, N/m^2: ``B = m * b1^2 / L`` (Campbell, SAE 740565; DOT HS 805 732)."""
    return mass_kg * b1_per_s**2 / crush_width_m


def crush_space_front(
    front_overhang_m: float, layout: str, usable: float = USABLE_FRONT_DEPTH,
    firewall_behind_axle_m: float | None = None,
) -> float:
    """Front crush space, m: ``usable * (front overhang + firewall behind axle)``.

    Bumper-to-firewall depth is the front overhang plus the firewall's distance behind the front
    axle (by layout: front-engine/ev-floor 0.20 m, rear-engine 0.0 m, cab-over -0.20 m); 75 % of
    it can crush (assumptions). Floored at 0.05 m.
    """
    if firewall_behind_axle_m is None:
        firewall_behind_axle_m = _lookup(FIREWALL_BEHIND_AXLE_M, layout, "firewall position")
    return max(0.05, usable * (front_overhang_m + firewall_behind_axle_m))


def crush_space_side(
    width_m: float, seat_y_m: float, occupant_half_width_m: float = OCCUPANT_HALF_WIDTH_M
) -> float:
    """Side crush space, m: door skin to occupant, ``width/2 - |seat_y| - occupant half width``.

    Half hip breadth 0.20 m (assumption); a 1.475 m kei car gives 0.19 m. Floored at 0.05 m.
    """
    return max(0.05, width_m / 2.0 - abs(seat_y_m) - occupant_half_width_m)


def crush_space_rear(rear_overhang_m: float, body: str, share: float | None = None) -> float:
    """Rear crush space, m: ``share * rear overhang``; share 0.8, pickups 1.5 (assumption).
    Floored at 0.05 m."""
    if share is None:
        share = REAR_CRUSH_SHARE["pickup"] if body == "pickup" else REAR_CRUSH_SHARE["default"]
    return max(0.05, share * rear_overhang_m)


def structure_height_band(band: str) -> tuple[float, float]:
    """Height band (low, high) of the front structure above the ground, m, by class band.

    us-car 0.406-0.508 (49 CFR 581 zone), kei 0.40-0.50, us-suv and us-van 0.45-0.60, us-truck
    0.55-0.65, us-truck-hd 0.62-0.78 (assumptions); see `STRUCTURE_BANDS_M`.
    """
    return _lookup(STRUCTURE_BANDS_M, band, "structure height band")


def frontal_area(width_m: float, height_m: float, body: str, factor: float | None = None) -> float:
    """Frontal area, m^2: ``factor * width_m * height_m``.

    Bowling's rule [S, see `FRONTAL_AREA_FACTOR`]: factor 0.85 for cars (and here SUVs and vans),
    1.00 for pickups.
    """
    if factor is None:
        factor = FRONTAL_AREA_FACTOR["pickup" if body == "pickup" else "default"]
    return factor * width_m * height_m


def aero_shape(vehicle_class: str, body: str, layout: str) -> str:
    """The shape key of `DRAG_COEFFICIENT_BY_SHAPE` for a vehicle: cab-over layouts are
    ``cab-over``; otherwise pickups ``pickup``, vans ``van``, SUVs ``suv``; cars are ``tall-car``
    in the kei class and ``car`` elsewhere."""
    if layout == "cab-over":
        return "cab-over"
    if body in ("pickup", "van", "suv"):
        return body
    return "tall-car" if vehicle_class == "kei" else "car"


def drag_coefficient_by_shape(shape: str) -> float:
    """Drag coefficient Cd, 1, by body shape (assumption, see `DRAG_COEFFICIENT_BY_SHAPE`)."""
    return _lookup(DRAG_COEFFICIENT_BY_SHAPE, shape, "drag coefficient")


def drag_area(drag_coefficient: float, frontal_area_m2: float) -> float:
    """Drag area, m^2: ``Cd * A`` (aerodynamic drag force ``rho * Cd * A * v^2 / 2``)."""
    return drag_coefficient * frontal_area_m2


def rolling_resistance(coefficient: float = ROLLING_RESISTANCE) -> float:
    """Rolling-resistance coefficient, 1: 0.010 (TRB Special Report 286, 2006, passenger-tyre
    average [M]; taken for light trucks too, assumption)."""
    return coefficient


def default_driven_wheels(layout: str, body: str) -> str:
    """Driven wheels assumed from the layout and body (see `DEFAULT_DRIVEN_WHEELS`)."""
    if (layout, body) in DEFAULT_DRIVEN_WHEELS:
        return DEFAULT_DRIVEN_WHEELS[(layout, body)]
    return _lookup(DEFAULT_DRIVEN_WHEELS, layout, "driven wheels")


def drive_axle_load_fraction(front_axle_load_fraction: float, driven_wheels: str) -> float:
    """Static share of the weight on the driven axle(s), 1 (statics).

    ``fwd``: the front axle's share; ``rwd``: the rear axle's, ``1 - front``; ``awd`` and ``4wd``
    (engaged): the whole weight, 1. Load transfer under acceleration is not included: it moves
    weight off the front axle, so the static figure overstates a front driver's traction and
    understates a rear driver's.
    """
    if driven_wheels == "fwd":
        return front_axle_load_fraction
    if driven_wheels == "rwd":
        return 1.0 - front_axle_load_fraction
    if driven_wheels in ("awd", "4wd"):
        return 1.0
    raise ValueError(f"driven_wheels must be fwd, rwd, awd or 4wd, got {driven_wheels!r}")


# --- the methods a catalog file can name ------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """A named estimation method as a catalog file refers to it.

    ``compute(field, get, **params)`` returns the estimate of ``field``; ``get(name)`` resolves
    another field or identity key of the same vehicle (so inputs are tracked). ``params`` names
    the keyword parameters a file may set (``params = { ... }`` in the entry), with their types.
    """

    name: str
    fields: tuple[str, ...]
    summary: str
    compute: Callable
    params: dict


def _m_standard_load(field, get, occupants=1.0, occupant_mass_kg=STANDARD_DRIVER_KG):
    return standard_load(occupants, occupant_mass_kg)


def _m_track(field, get, ratio=TRACK_WIDTH_RATIO):
    return track_from_width(get("width_m"), ratio)


def _m_overhang(field, get, share=None):
    return front_overhang_split(get("length_m"), get("wheelbase_m"), get("layout"), get("body"), share)


def _m_cg(field, get, fraction=None):
    fraction_front = get("front_axle_load_fraction", optional=True)
    if fraction_front is not None and fraction is None:
        return cg_from_axle_load(get("wheelbase_m"), fraction_front)
    return cg_from_layout(get("wheelbase_m"), get("layout"), fraction)


def _m_cg_to_front(field, get):
    return cg_to_front(get("front_overhang_m"), get("cg_to_front_axle_m"))


def _m_mass(field, get):
    return get("curb_mass_kg") + get("standard_load_kg")


def _m_izz(field, get, dynamic_index=1.0):
    a = get("cg_to_front_axle_m")
    return yaw_inertia_dynamic_index(get("mass_kg"), a, get("wheelbase_m") - a, dynamic_index)


def _m_seat(field, get, fraction=None, lateral_fraction=SEAT_Y_HALF_WIDTH_FRACTION):
    seat = field.split("_")[0]
    if field.endswith("_x_m"):
        return seat_x(get("wheelbase_m"), get("cg_to_front_axle_m"), get("layout"), fraction)
    return seat_y(get("width_m"), get("drive_side"), seat, lateral_fraction)


def _m_stiffness_front(field, get, dynamic_crush_m=None, test_speed_kph=56.0):
    if dynamic_crush_m is None:
        dynamic_crush_m = _lookup(DYNAMIC_CRUSH_BY_CLASS_M, get("class"), "dynamic crush")
    return frontal_stiffness(get("mass_kg"), dynamic_crush_m, test_speed_kph * KPH)


def _m_stiffness_face(field, get, ratio=None):
    face = field.split("_")[1]
    if ratio is None:
        ratio = FACE_STIFFNESS_RATIO[face]
    return face_stiffness(get("stiffness_front_n_per_m"), ratio)


def _crush_width(face, get):
    """Crush width L, m (assumption): the vehicle width for front and rear, the wheelbase for a side."""
    return get("wheelbase_m") if face == "side" else get("width_m")


def _m_crash3(field, get, b0_mps=None, dynamic_crush_m=None, test_speed_kph=56.0):
    """CRASH3 A, B through the **dynamic** crush of the 56 km/h full-width test: the pulse kernel
    integrates ``F/w = A + B C`` as the loading law of the dynamic crush, so the barrier fit is
    made through the crush at maximum, not the residual one (a residual-crush fit, as CRASH3
    reconstruction uses, makes the loading law stiffer by dynamic/residual and the pulse too
    short; docs/model.md, "Pulse calibration"). The dynamic crush is ``params.dynamic_crush_m``
    when given, else the one the vehicle's own linear frontal stiffness gives at its mass,
    ``C = V sqrt(m / k_front)`` (the energy balance of `frontal_stiffness` solved for C), so that
    a stiffness measured in an NCAP test (`stiffness_ncap_measured`) carries over to A and B."""
    face = field.split("_")[2]
    m = get("mass_kg")
    v_test = test_speed_kph * KPH
    if dynamic_crush_m is None:
        dynamic_crush_m = v_test * math.sqrt(m / get("stiffness_front_n_per_m"))
    b0_front = B0_BY_FACE_MPS["front"]
    b1 = barrier_b1(v_test, dynamic_crush_m, b0_front)
    if face != "front":
        # Same B*L per unit mass as the face's share of frontal stiffness: b1 scales with sqrt(ratio).
        b1 *= math.sqrt(get(f"stiffness_{face}_n_per_m") / get("stiffness_front_n_per_m"))
    b0 = B0_BY_FACE_MPS[face] if b0_mps is None else b0_mps
    width = _crush_width(face, get)
    if field.startswith("crash3_a_"):
        return crash3_a(m, b0, b1, width)
    return crash3_b(m, b1, width)


def _m_crush_front(field, get, usable=USABLE_FRONT_DEPTH, firewall_behind_axle_m=None):
    return crush_space_front(get("front_overhang_m"), get("layout"), usable, firewall_behind_axle_m)


def _m_crush_side(field, get, occupant_half_width_m=OCCUPANT_HALF_WIDTH_M):
    return crush_space_side(get("width_m"), get("driver_seat_y_m"), occupant_half_width_m)


def _m_crush_rear(field, get, share=None):
    rear_overhang = get("length_m") - get("wheelbase_m") - get("front_overhang_m")
    return crush_space_rear(rear_overhang, get("body"), share)


def _m_structure(field, get, band=None):
    low, high = structure_height_band(get("class") if band is None else band)
    return low if field.endswith("_low_m") else high


def _m_stiffness_measured(field, get, test_mass_kg=None, test_speed_kph=None, max_crush_m=None,
                          residual_crush_m=None, residual_ratio=RESIDUAL_TO_DYNAMIC_CRUSH):
    """The energy-balance stiffness of `frontal_stiffness` fed by a measured NCAP test: the test
    mass, the measured speed and the maximum (dynamic) crush; or, when a report gives only the
    residual crush, dynamic = residual / residual_ratio (0.69, NHTSA test 10146; see
    `RESIDUAL_TO_DYNAMIC_CRUSH`)."""
    if test_mass_kg is None or test_speed_kph is None:
        raise ValueError("params test_mass_kg and test_speed_kph are required (from the NCAP report)")
    if (max_crush_m is None) == (residual_crush_m is None):
        raise ValueError("give exactly one of params max_crush_m or residual_crush_m")
    crush = max_crush_m if max_crush_m is not None else residual_crush_m / residual_ratio
    return frontal_stiffness(test_mass_kg, crush, test_speed_kph * KPH)


def _m_frontal_area(field, get, factor=None):
    return frontal_area(get("width_m"), get("height_m"), get("body"), factor)


def _m_cd(field, get, shape=None):
    if shape is None:
        shape = aero_shape(get("class"), get("body"), get("layout"))
    return drag_coefficient_by_shape(shape)


def _m_drag_area(field, get):
    return drag_area(get("drag_coefficient"), get("frontal_area_m2"))


def _m_rolling(field, get, coefficient=ROLLING_RESISTANCE):
    return rolling_resistance(coefficient)


def _m_drive_axle(field, get):
    front = get("front_axle_load_fraction", optional=True)
    if front is None:
        front = 1.0 - get("cg_to_front_axle_m") / get("wheelbase_m")
    wheels = get("driven_wheels", optional=True)
    if wheels is None:
        wheels = default_driven_wheels(get("layout"), get("body"))
    return drive_axle_load_fraction(front, wheels)


def _params(func) -> dict:
    """Keyword parameters of a method function (after ``field, get``) and their types."""
    out = {}
    for name, p in list(inspect.signature(func).parameters.items())[2:]:
        out[name] = str if isinstance(p.default, str) or name in ("band", "shape") else float
    return out


def _method(name, fields, summary, func) -> Method:
    return Method(name, tuple(fields), summary, func, _params(func))


_FACES = ("front", "side", "rear")

#: Every named method, by name. ``summary`` is what ``vehicles show`` prints.
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        _method("standard_driver", ["standard_load_kg"],
                "occupants * 75 kg (one driver unless stated; EU Reg. 1230/2012 driver mass)",
                _m_standard_load),
        _method("crash_mass", ["mass_kg"], "curb mass + standard load", _m_mass),
        _method("track_width_ratio", ["track_front_m", "track_rear_m"],
                "0.87 * width (assumption: low end of the 0.87-0.885 of the kei treads published in "
                "the catalog)", _m_track),
        _method("overhang_split", ["front_overhang_m"],
                "share * (length - wheelbase); share 0.30 cab-over, 0.43 pickup, 0.50 other (assumption)",
                _m_overhang),
        _method("cg_position", ["cg_to_front_axle_m"],
                "(1 - front axle load fraction) * wheelbase when the axle loads are known, else "
                "layout fraction * wheelbase (front-engine 0.42, cab-over 0.45, ev-floor 0.48, "
                "rear-engine 0.55; assumption)", _m_cg),
        _method("cg_to_front", ["cg_to_front_m"], "front overhang + CG to front axle (geometry)",
                _m_cg_to_front),
        _method("izz_dynamic_index", ["yaw_inertia_kgm2"],
                "DI * m * a * b with dynamic index DI = 1 (after NHTSA inertia data: Garrott "
                "et al. SAE 881767, Heydinger et al. SAE 1999-01-1336)",
                _m_izz),
        _method("seat_layout",
                ["driver_seat_x_m", "driver_seat_y_m", "passenger_seat_x_m", "passenger_seat_y_m"],
                "x = a - fraction * wheelbase (front-engine/ev 0.34, cab-over 0.02, rear-engine "
                "0.45), y = +-0.47 * width/2 on the drive side (assumption)", _m_seat),
        _method("stiffness_ncap_crush", ["stiffness_front_n_per_m"],
                "m * (V/C)^2, V = 56 km/h NCAP full width, C = dynamic crush by class "
                "(us-car 0.75 m calibrated on NHTSA test 10146; SUV/van 0.75, truck 0.69 by the "
                "same factor, kei 0.50; assumption)", _m_stiffness_front),
        _method("stiffness_face_ratio", ["stiffness_side_n_per_m", "stiffness_rear_n_per_m"],
                "ratio * frontal stiffness (side 0.4, rear 0.6; assumption)", _m_stiffness_face),
        _method("crash3_barrier_fit",
                [f"crash3_{c}_{f}_n_per_m{'2' if c == 'b' else ''}" for f in _FACES for c in "ab"],
                "V = b0 + b1*C fit of the 56 km/h full-width test through the dynamic crush "
                "C = V*sqrt(m/k_front) (the pulse's loading law; docs/model.md), "
                "A = m*b0*b1/L, B = m*b1^2/L (Campbell SAE 740565); b0 2.2 m/s front/rear (5 mph, "
                "CRASH3 practice), 0.9 m/s side; side/rear b1 scaled by sqrt(stiffness ratio); "
                "L = width (front/rear) or wheelbase (side)", _m_crash3),
        _method("crush_front_depth", ["crush_space_front_m"],
                "0.75 * (front overhang + firewall behind front axle by layout) (assumption)",
                _m_crush_front),
        _method("crush_side_door", ["crush_space_side_m"],
                "width/2 - |driver seat y| - 0.20 m occupant half width (assumption)", _m_crush_side),
        _method("crush_rear_overhang", ["crush_space_rear_m"],
                "share * rear overhang, share 0.8 (pickups 1.5) (assumption)", _m_crush_rear),
        _method("stiffness_ncap_measured", ["stiffness_front_n_per_m"],
                "m_test * (V_test/C)^2 from an NHTSA NCAP full-frontal test report (test mass, "
                "speed, maximum crush C; or residual crush / 0.69, NHTSA test 10146); the report "
                "is cited in the "
                "entry's source and ref", _m_stiffness_measured),
        _method("frontal_area_bowling", ["frontal_area_m2"],
                "factor * width * height, factor 0.85 cars/SUVs/vans, 1.00 pickups (Bowling's "
                "rule, bgsoflex.com air-drag chart)", _m_frontal_area),
        _method("cd_body_shape", ["drag_coefficient"],
                "Cd by shape: car 0.30, kei tall-car 0.34, SUV 0.36, minivan 0.33, cab-over 0.42, "
                "pickup 0.45 (assumption inside published class ranges)", _m_cd),
        _method("drag_area", ["drag_area_m2"], "drag coefficient * frontal area", _m_drag_area),
        _method("rolling_resistance_trb", ["rolling_resistance"],
                "0.010, passenger-tyre average of TRB Special Report 286 (2006); light trucks "
                "alike (assumption)", _m_rolling),
        _method("drive_axle_static", ["drive_axle_load_fraction"],
                "static weight share of the driven axle(s): fwd = front axle share (given, else "
                "1 - a/wheelbase), rwd = 1 - front, awd/4wd = 1; driven wheels from the file, "
                "else by layout (assumption)", _m_drive_axle),
        _method("structure_class_band", ["structure_height_low_m", "structure_height_high_m"],
                "class default height band (us-car 0.406-0.508 = 49 CFR 581 bumper zone; kei "
                "0.40-0.50, us-suv and us-van 0.45-0.60, us-truck 0.55-0.65, us-truck-hd "
                "0.62-0.78: assumption)",
                _m_structure),
    )
}
