"""Hand-made test vehicles with round, plausible figures (the catalog's cited vehicles are tested
in the catalog tests). A module of its own, not conftest, so that `from _factories import ...`
cannot pick up the benchmarks' conftest."""

from __future__ import annotations

from crashcompat.catalog.vehicle import Vehicle


def make_vehicle(id="test/car", mass_kg=1000.0, length_m=3.4, width_m=1.475, wheelbase_m=2.5,
                 cg_to_front_m=None, k_front=8.0e5, **kw) -> Vehicle:
    """A test vehicle: I = m*a*b (dynamic index 1), CG 40 % of the wheelbase behind the front
    axle, driver 0.35 m to the right (right-hand drive) and 0.3 m ahead of the CG."""
    overhang = (length_m - wheelbase_m) / 2
    a = 0.4 * wheelbase_m
    b = wheelbase_m - a
    cg = overhang + a if cg_to_front_m is None else cg_to_front_m
    fields = dict(
        id=id, mass_kg=mass_kg, yaw_inertia_kgm2=mass_kg * a * b, length_m=length_m,
        width_m=width_m, wheelbase_m=wheelbase_m, cg_to_front_m=cg,
        driver_seat_x_m=0.3, driver_seat_y_m=-0.35, passenger_seat_x_m=0.3,
        passenger_seat_y_m=0.35,
        stiffness_front_n_per_m=k_front, stiffness_side_n_per_m=0.3 * k_front,
        stiffness_rear_n_per_m=0.6 * k_front,
        crash3_a_front_n_per_m=4.0e4, crash3_b_front_n_per_m2=5.0e5,
        crash3_a_side_n_per_m=1.5e4, crash3_b_side_n_per_m2=2.0e5,
        crash3_a_rear_n_per_m=3.0e4, crash3_b_rear_n_per_m2=3.0e5,
        crush_space_front_m=0.5, crush_space_side_m=0.2, crush_space_rear_m=0.4,
        structure_height_low_m=0.40, structure_height_high_m=0.50,
        name="test car", vehicle_class="test",
    )
    fields.update(kw)
    return Vehicle(**fields)
