"""The `Vehicle` type: the SI figures the physics needs about one vehicle.

A `Vehicle` is frozen and holds plain floats with the unit in every name: SI for everything the
impact models read; the optional performance figures keep the unit they are published in
(``power_kw``, ``top_speed_kph``), with SI properties beside them (``power_w``,
``top_speed_mps``). It carries no
provenance: the catalog (`crashcompat.catalog.loading`) records where every figure came from and builds
`Vehicle` objects from its TOML files. Users may also build one by hand for their own analyses.

Frames and conventions: vehicle frame x forward, y left, z up (the ISO 8855 axes). Seat
positions are measured from the centre of gravity (CG) in that frame, so a right-hand-drive
kei car has a negative ``driver_seat_y_m``. The CG is assumed to lie on the vehicle's centre line
(y = 0); its longitudinal place is given by ``cg_to_front_m``, the distance from the CG back
from the front face (bumper) of the vehicle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from crashcompat.units import KPH

__all__ = ["Vehicle", "FACES", "DRIVEN_WHEELS", "TRANSMISSIONS", "PERFORMANCE_FIELDS"]

#: The faces a vehicle can be struck on or strike with.
FACES = ("front", "side", "rear")

#: Driven wheels: front, rear, all (permanent or automatic) or part-time four-wheel drive.
DRIVEN_WHEELS = ("fwd", "rwd", "awd", "4wd")

#: Transmission kinds: stepped (manual, automatic, automated manual, dual-clutch) or continuous
#: (belt CVT, a hybrid's power-split e-CVT, an EV's single-speed reduction gear).
TRANSMISSIONS = ("manual", "automatic", "amt", "dct", "cvt", "e-cvt", "single-speed")

#: The optional performance attributes (None when the catalog has no figure or estimate).
PERFORMANCE_FIELDS = (
    "power_kw", "torque_nm", "top_speed_kph", "speed_limiter_kph", "accel_0_100_kph_s",
    "accel_0_60_mph_s", "drag_coefficient", "frontal_area_m2", "drag_area_m2",
    "rolling_resistance", "drive_axle_load_fraction",
)


@dataclass(frozen=True)
class Vehicle:
    """One vehicle as the impact models see it. All fields SI, unit in the name.

    Attributes
    ----------
    id : catalog id, for example ``"kei/honda-n-box-2023"``.
    mass_kg : mass in the crash (curb mass plus load), kg.
    yaw_inertia_kgm2 : yaw moment of inertia about the CG, kg m^2.
    length_m, width_m, wheelbase_m : overall length and width, wheelbase, m.
    cg_to_front_m : distance from the CG to the front face, m (0 < cg_to_front_m < length_m).
    driver_seat_x_m, driver_seat_y_m : driver seat (H-point) relative to the CG, vehicle frame, m.
    passenger_seat_x_m, passenger_seat_y_m : front passenger seat relative to the CG, m.
    stiffness_{front,side,rear}_n_per_m : linear stiffness of the whole face, N/m
        (see `crashcompat.catalog.estimators.frontal_stiffness`).
    crash3_a_{front,side,rear}_n_per_m : CRASH3 A coefficient, force per unit width, N/m.
    crash3_b_{front,side,rear}_n_per_m2 : CRASH3 B coefficient, N/m^2.
    crush_space_{front,side,rear}_m : crush space before the occupant compartment, m.
    structure_height_low_m, structure_height_high_m : height band of the front energy-absorbing
        structure (bumper beam / rails) above the ground, m.
    name : human-readable name (make model generation).
    vehicle_class : ``kei``, ``us-truck``, ``us-suv``, ``us-van``, ``us-car`` or a user class.

    Performance (optional; None when unknown). The names follow the published unit; the SI
    values are the properties ``power_w``, ``top_speed_mps``, ``speed_limiter_mps``:

    power_kw : rated (peak) power, kW.
    torque_nm : peak torque, N m.
    top_speed_kph : published top speed not stated to be governed, km/h.
    speed_limiter_kph : governed (limited) top speed, km/h.
    accel_0_100_kph_s, accel_0_60_mph_s : published acceleration times, s.
    drag_coefficient : aerodynamic drag coefficient Cd, 1.
    frontal_area_m2 : frontal area A, m^2.
    drag_area_m2 : Cd * A, m^2 (the catalog computes it; give it with the other two when
        building a Vehicle by hand).
    rolling_resistance : rolling-resistance coefficient of the tyres, 1.
    driven_wheels : ``fwd``, ``rwd``, ``awd`` or ``4wd``.
    transmission : one of `TRANSMISSIONS`.
    drive_axle_load_fraction : static share of the weight on the driven axle(s), 1 (0 < f <= 1).
    """

    id: str
    mass_kg: float
    yaw_inertia_kgm2: float
    length_m: float
    width_m: float
    wheelbase_m: float
    cg_to_front_m: float
    driver_seat_x_m: float
    driver_seat_y_m: float
    passenger_seat_x_m: float
    passenger_seat_y_m: float
    stiffness_front_n_per_m: float
    stiffness_side_n_per_m: float
    stiffness_rear_n_per_m: float
    crash3_a_front_n_per_m: float
    crash3_b_front_n_per_m2: float
    crash3_a_side_n_per_m: float
    crash3_b_side_n_per_m2: float
    crash3_a_rear_n_per_m: float
    crash3_b_rear_n_per_m2: float
    crush_space_front_m: float
    crush_space_side_m: float
    crush_space_rear_m: float
    structure_height_low_m: float
    structure_height_high_m: float
    name: str = ""
    vehicle_class: str = ""
    power_kw: float | None = None
    torque_nm: float | None = None
    top_speed_kph: float | None = None
    speed_limiter_kph: float | None = None
    accel_0_100_kph_s: float | None = None
    accel_0_60_mph_s: float | None = None
    drag_coefficient: float | None = None
    frontal_area_m2: float | None = None
    drag_area_m2: float | None = None
    rolling_resistance: float | None = None
    driven_wheels: str | None = None
    drive_axle_load_fraction: float | None = None
    transmission: str | None = None

    def __post_init__(self):
        for f in fields(self):
            if f.name in ("id", "name", "vehicle_class"):
                if not isinstance(getattr(self, f.name), str):
                    raise TypeError(f"Vehicle.{f.name} must be a string")
                continue
            if f.name in ("driven_wheels", "transmission"):
                allowed = DRIVEN_WHEELS if f.name == "driven_wheels" else TRANSMISSIONS
                value = getattr(self, f.name)
                if value is not None and value not in allowed:
                    raise ValueError(f"Vehicle {self.id!r}: {f.name} must be one of "
                                     f"{', '.join(allowed)} or None, got {value!r}")
                continue
            value = getattr(self, f.name)
            if value is None and f.name in PERFORMANCE_FIELDS:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(
                    f"Vehicle {self.id!r}: {f.name} must be a number, got {type(value).__name__}"
                )
            value = float(value)
            object.__setattr__(self, f.name, value)
            if not math.isfinite(value):
                raise ValueError(f"Vehicle {self.id!r}: {f.name} must be finite, got {value}")
            must_be_positive = not (
                f.name.endswith("_seat_x_m")
                or f.name.endswith("_seat_y_m")
                or f.name.startswith("crash3_a_")
            )
            if must_be_positive and value <= 0.0:
                raise ValueError(f"Vehicle {self.id!r}: {f.name} must be > 0, got {value}")
        if not self.cg_to_front_m < self.length_m:
            raise ValueError(
                f"Vehicle {self.id!r}: cg_to_front_m ({self.cg_to_front_m}) must be less than "
                f"length_m ({self.length_m})"
            )
        if not self.structure_height_low_m < self.structure_height_high_m:
            raise ValueError(
                f"Vehicle {self.id!r}: structure_height_low_m must be below structure_height_high_m"
            )
        for seat in ("driver", "passenger"):
            x = getattr(self, f"{seat}_seat_x_m")
            y = getattr(self, f"{seat}_seat_y_m")
            if not (-self.length_m + self.cg_to_front_m < x < self.cg_to_front_m) or not (
                abs(y) < self.width_m / 2
            ):
                raise ValueError(
                    f"Vehicle {self.id!r}: the {seat} seat ({x}, {y}) m lies outside the body"
                )
        if self.drive_axle_load_fraction is not None and self.drive_axle_load_fraction > 1.0:
            raise ValueError(f"Vehicle {self.id!r}: drive_axle_load_fraction must be at most 1, "
                             f"got {self.drive_axle_load_fraction}")
        if None not in (self.drag_coefficient, self.frontal_area_m2, self.drag_area_m2) and not (
                math.isclose(self.drag_area_m2, self.drag_coefficient * self.frontal_area_m2,
                             rel_tol=1e-9)):
            raise ValueError(f"Vehicle {self.id!r}: drag_area_m2 ({self.drag_area_m2}) must equal "
                             "drag_coefficient * frontal_area_m2")

    @property
    def power_w(self) -> float | None:
        """Rated power, W (None when unknown)."""
        return None if self.power_kw is None else self.power_kw * 1000.0

    @property
    def top_speed_mps(self) -> float | None:
        """Published (ungoverned) top speed, m/s (None when unknown)."""
        return None if self.top_speed_kph is None else self.top_speed_kph * KPH

    @property
    def speed_limiter_mps(self) -> float | None:
        """Governed top speed, m/s (None when no limiter is recorded)."""
        return None if self.speed_limiter_kph is None else self.speed_limiter_kph * KPH

    @property
    def cg_to_rear_m(self) -> float:
        """Distance from the CG back to the rear face, m."""
        return self.length_m - self.cg_to_front_m

    @property
    def radius_of_gyration_m(self) -> float:
        """Yaw radius of gyration k = sqrt(I/m), m."""
        return math.sqrt(self.yaw_inertia_kgm2 / self.mass_kg)

    def stiffness_n_per_m(self, face: str) -> float:
        """Linear stiffness of ``face`` (``front``, ``side`` or ``rear``), N/m."""
        if face not in FACES:
            raise ValueError(f"face must be one of {', '.join(FACES)}, got {face!r}")
        return getattr(self, f"stiffness_{face}_n_per_m")

    def crush_space_m(self, face: str) -> float:
        """Crush space of ``face``, m."""
        if face not in FACES:
            raise ValueError(f"face must be one of {', '.join(FACES)}, got {face!r}")
        return getattr(self, f"crush_space_{face}_m")

    def with_load(self, added_mass_kg: float, *, scale_inertia: bool = True) -> "Vehicle":
        """Return a copy with ``added_mass_kg`` more mass (occupants, cargo).

        The added mass is assumed to sit at the CG; with ``scale_inertia`` the yaw inertia scales
        with mass (constant radius of gyration), the usual assumption when the load's place is
        unknown.
        """
        from dataclasses import replace

        m = self.mass_kg + added_mass_kg
        izz = self.yaw_inertia_kgm2 * (m / self.mass_kg) if scale_inertia else self.yaw_inertia_kgm2
        return replace(self, mass_kg=m, yaw_inertia_kgm2=izz)
