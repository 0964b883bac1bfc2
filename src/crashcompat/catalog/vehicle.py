"""The `Vehicle` type: the SI figures the physics needs about one vehicle.

A `Vehicle` is frozen and holds plain SI floats with the unit in every name. It carries no
provenance: the catalog (`crashcompat.catalog.loading`) records where every figure came from and builds
`Vehicle` objects from its TOML files. Users may also build one by hand for their own analyses.

Frames and conventions (PHYSICS.md section 0): vehicle frame x forward, y left, z up. Seat
positions are measured from the centre of gravity (CG) in that frame, so a right-hand-drive
kei car has a negative ``driver_seat_y_m``. The CG is assumed to lie on the vehicle's centre line
(y = 0); its longitudinal place is given by ``cg_to_front_m``, the distance from the CG back
from the front face (bumper) of the vehicle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

__all__ = ["Vehicle", "FACES"]

#: The faces a vehicle can be struck on or strike with.
FACES = ("front", "side", "rear")


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
    stiffness_{front,side,rear}_n_per_m : linear stiffness of the whole face, N/m (PHYSICS.md 4).
    crash3_a_{front,side,rear}_n_per_m : CRASH3 A coefficient, force per unit width, N/m.
    crash3_b_{front,side,rear}_n_per_m2 : CRASH3 B coefficient, N/m^2.
    crush_space_{front,side,rear}_m : crush space before the occupant compartment, m.
    structure_height_low_m, structure_height_high_m : height band of the front energy-absorbing
        structure (bumper beam / rails) above the ground, m.
    name : human-readable name (make model generation).
    vehicle_class : ``kei``, ``us-truck``, ``us-suv``, ``us-car`` or a user class.
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

    def __post_init__(self):
        for f in fields(self):
            if f.name in ("id", "name", "vehicle_class"):
                if not isinstance(getattr(self, f.name), str):
                    raise TypeError(f"Vehicle.{f.name} must be a string")
                continue
            value = getattr(self, f.name)
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
