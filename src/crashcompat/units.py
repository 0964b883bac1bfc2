"""The only place with unit conversion factors. Everything inside crashcompat is SI."""

from __future__ import annotations

import math

#: 1 km/h in m/s (exact).
KPH = 1000.0 / 3600.0
#: 1 mph in m/s (exact: 1 mile = 1609.344 m).
MPH = 1609.344 / 3600.0
#: m/s to km/h and to mph, as factors (exact: 3.6 and 3600 / 1609.344), for compiled code that
#: multiplies rather than divides.
MPS_TO_KPH = 3.6
MPS_TO_MPH = 3600.0 / 1609.344
#: 1 lb in kg (exact, international pound).
LB = 0.45359237
#: 1 inch in m (exact).
INCH = 0.0254
#: standard gravity in m/s^2 (exact, CGPM 1901).
G0 = 9.80665


def kph_to_mps(v):
    return v * KPH


def mps_to_kph(v):
    return v / KPH


def mph_to_mps(v):
    return v * MPH


def mps_to_mph(v):
    return v / MPH


def lb_to_kg(m):
    return m * LB


def inch_to_m(x):
    return x * INCH


def deg_to_rad(a):
    return a * (math.pi / 180.0)


def rad_to_deg(a):
    return a * (180.0 / math.pi)
