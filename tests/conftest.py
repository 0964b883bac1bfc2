"""Shared fixtures. Vehicles here are hand-made test objects with round, plausible figures; the
catalog's cited vehicles are tested in the catalog tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from _factories import make_vehicle

# numba compiles on first call: no deadline; the first example may be slow.
settings.register_profile(
    "crashcompat", deadline=None, max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("crashcompat")


@pytest.fixture(scope="session")
def kei():
    return make_vehicle("test/kei", mass_kg=900.0)


@pytest.fixture(scope="session")
def pickup():
    return make_vehicle("test/pickup", mass_kg=2300.0, length_m=5.9, width_m=2.03,
                        wheelbase_m=3.68, k_front=1.6e6, driver_seat_y_m=0.4,
                        passenger_seat_y_m=-0.4, driver_seat_x_m=0.2, passenger_seat_x_m=0.2,
                        structure_height_low_m=0.55, structure_height_high_m=0.65)
settings.register_profile(
    "thorough", deadline=None, max_examples=5000,
    suppress_health_check=[HealthCheck.too_slow],
)
