"""Column layouts shared by the per-case kernels and the Python code that builds their tables or
reads their records. Plain constants, no numba, so the API can use them without compiling.

``GEO_*``: one geometry row per (subject, partner, configuration, angle, overlap, position), in
the global frame of the impact: lever arms r1, r2 (m), the impulse normal (degrees), the cos and
sin of the subject's and the partner's heading, engaged stiffnesses k1, k2 (N/m), driver seats
(x, y) of both vehicles relative to their CGs, the normal's (cos, sin), the passenger seats, and
the tangential model's code (``TM_*``) and impulse ratio (the contact-plane angle is already in
the normal).

``R_*`` and ``V_*``: the record of one case (:func:`crashcompat.kernels.case.record_sf`): the
impact quantities, then one block of ``V_COLS`` values per vehicle in its own frame (x forward,
y left): CG delta-v (long, lat, magnitude), driver-seat delta-v (x, y, magnitude),
passenger-seat delta-v (x, y, magnitude), the impulse received (fx, fy), PDOF (deg), energy
absorbed (J) and EES (m/s).
"""

GEO_R1X, GEO_R1Y, GEO_R2X, GEO_R2Y, GEO_NORMAL = 0, 1, 2, 3, 4
GEO_CHS, GEO_SHS, GEO_CHP, GEO_SHP = 5, 6, 7, 8
GEO_K1, GEO_K2 = 9, 10
GEO_SEAT1X, GEO_SEAT1Y, GEO_SEAT2X, GEO_SEAT2Y = 11, 12, 13, 14
GEO_NX, GEO_NY = 15, 16
GEO_PASS1X, GEO_PASS1Y, GEO_PASS2X, GEO_PASS2Y = 17, 18, 19, 20
GEO_TMODEL, GEO_RATIO = 21, 22
GEO_COLS = 23

#: Tangential models of the planar impact (docs/model.md, Partial impacts), by kernel code.
TM_COMMON_VELOCITY, TM_IMPULSE_RATIO, TM_SLIDING = 0, 1, 2
TM_NAMES = ("common-velocity", "impulse-ratio", "sliding")

# Record layout (:func:`record_sf`): impact quantities, then one block per vehicle.
R_DV1X, R_DV1Y, R_DV2X, R_DV2Y, R_DW1, R_DW2, R_PN, R_PT, R_LOSS, R_E, R_VCN, R_STATUS = range(12)
R_V1 = 12  # first column of the subject's block
# offsets inside a vehicle block (vehicle frame: x forward, y left; m/s, J, deg)
V_DV_LONG, V_DV_LAT, V_DV, V_OCC_X, V_OCC_Y, V_OCC, V_PASS_X, V_PASS_Y, V_PASS = range(9)
V_FX, V_FY, V_PDOF, V_ENERGY, V_EES = 9, 10, 11, 12, 13
V_COLS = 14
R_V2 = R_V1 + V_COLS
N_RECORD = R_V2 + V_COLS

#: Risk-curve table columns (one row per curve): kind (0 logistic in mph with side/rear terms,
#: 1 power law (dv/dv_ref)^power), a0, a1 per mph, a_side, a_rear, dv_ref (mph), power.
CURVE_KIND, CURVE_A0, CURVE_A1, CURVE_SIDE, CURVE_REAR, CURVE_DVREF, CURVE_POWER = range(7)
CURVE_COLS = 7
CURVE_LOGISTIC = 0.0
CURVE_POWER_LAW = 1.0
