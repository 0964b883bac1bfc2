"""How fast a vehicle can go and how quickly it gets there: the library face of the performance
model (the formulas live in :mod:`crashcompat.kernels.performance`; docs/performance.md has the
equations, sources and validation).

Speeds at this layer are km/h (``*_kph``), grades percent rise over run (``grade_pct``); the
kernel boundary is SI. A vehicle is anything with the catalog's performance attributes
(``mass_kg``, ``power_kw``, ``drag_area_m2``, ``rolling_resistance``, ``driven_wheels``,
``drive_axle_load_fraction``, ``transmission``, ``speed_limiter_kph``, ``top_speed_kph``), or a
:class:`PerformanceParams`. A figure a vehicle lacks can be passed as a keyword override
(``top_speed_kph(v, power_kw=47)``); a figure that is neither raises :class:`PerformanceError`
naming it.

Scalar functions return ``nan`` where the vehicle cannot reach or hold the speed on that grade
(that is an answer, not an error); the ``*_grid`` functions return values with a status array.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from crashcompat.errors import CrashCompatError
from crashcompat.units import G0, KPH

__all__ = [
    "PerformanceError",
    "PerformanceParams",
    "AIR_DENSITY_KG_M3",
    "TYRE_ROAD_FRICTION",
    "DRIVETRAIN_EFFICIENCY",
    "CONTINUOUS_MASS_FACTOR",
    "STEPPED_MASS_FACTOR",
    "TRANSMISSIONS",
    "performance_params",
    "top_speed_kph",
    "sustained_speed_kph",
    "sustained_speed_grid_kph",
    "accel_time_s",
    "accel_time_grid_s",
    "speed_after_distance_kph",
    "speed_after_distance_grid_kph",
    "acceleration_mps2",
    "highway_speeds",
    "HighwaySpeeds",
    "PerformanceGrid",
    "validate_performance",
    "PerformanceValidation",
    "VALIDATION_FILE",
]


class PerformanceError(CrashCompatError, ValueError):
    """A performance figure is missing or out of range, or a request cannot be evaluated."""


# --- model parameters (docs/performance.md, "Parameters", has the sources) -----------------------

#: Air density, kg/m^3: dry air at 20 degC and 101.325 kPa is 1.204 (ideal gas); the ISA sea-level
#: value (15 degC) is 1.225 (ISO 2533:1975). 1.2 is a warm sea-level day.
AIR_DENSITY_KG_M3 = 1.2
#: Peak tyre-road friction on dry asphalt or concrete: 0.8-0.9 (Wong, Theory of Ground Vehicles,
#: table of average road-adhesion coefficients); the middle of the range.
TYRE_ROAD_FRICTION = 0.85
#: Drivetrain efficiency, wheel power over rated power (assumption): a belt CVT is about 0.88
#: and flywheel-to-wheel losses are put at 10-15 % for front-drive cars; 0.85 for every drive
#: (docs/performance.md, "Parameters").
DRIVETRAIN_EFFICIENCY = 0.85
#: Rotating-mass factor delta (effective mass m (1 + delta)) for continuous drives: CVT, e-CVT
#: hybrids, single-speed EVs (assumption): Wong's and Gillespie's mass factor
#: 1.04 + 0.0025 xi^2 (xi the overall gear ratio) is 1.08 at xi = 4 and about 1.5 in first gear;
#: one constant for the whole run, that of xi close to 5.
CONTINUOUS_MASS_FACTOR = 0.10
#: Effective mass factor for stepped gearboxes (manual, automatic, automated manual, dual clutch):
#: **fitted** by :func:`validate_performance` on the fit half of the validation set. Besides the
#: rotating inertia of the low gears it carries what the constant-power model leaves out of a
#: run through the gears: the engine below its peak power after each upshift, and the shifts
#: themselves. It lengthens acceleration times and distances only; sustained speeds do not
#: depend on it (docs/performance.md, "Fit").
STEPPED_MASS_FACTOR = 0.40
#: Transmission kinds the model knows, and whether each holds the engine at its power peak.
TRANSMISSIONS = {
    "cvt": "continuous", "e-cvt": "continuous", "single-speed": "continuous",
    "manual": "stepped", "automatic": "stepped", "amt": "stepped", "dct": "stepped",
}
_MASS_FACTOR_BY_KIND = {"continuous": CONTINUOUS_MASS_FACTOR, "stepped": STEPPED_MASS_FACTOR}
#: Driven wheels the model knows; all-wheel and four-wheel drive put the whole weight on them.
DRIVEN_WHEELS = ("fwd", "rwd", "awd", "4wd")
#: Gauss-Legendre panels on each side of the traction/power hand-over (kernel docstring). The
#: rule is of order 6 in the step; with 64 panels the quadrature error is below 1e-10 relative
#: even for runs ending at 99.9 % of the sustained speed (tests/test_performance.py).
N_PANELS = 64
#: Bisection tolerance for speeds found from a distance, m/s.
TOL_MPS = 1e-9
#: Rollout that US magazine tests exclude from acceleration times: one foot, m.
US_ROLLOUT_M = 0.3048

_OVERRIDES = ("mass_kg", "power_kw", "drag_area_m2", "rolling_resistance", "driven_wheels",
              "drive_axle_load_fraction", "transmission", "drivetrain_efficiency",
              "speed_limiter_kph", "top_speed_kph", "tyre_road_friction", "rotating_mass_factor",
              "air_density_kg_m3", "g_mps2")


@dataclass(frozen=True)
class PerformanceParams:
    """One vehicle as the performance model sees it; SI, unit in every name.

    Build one with :meth:`from_vehicle` (or :func:`performance_params`), which takes each number
    from the vehicle's own figures, a keyword override, or the model defaults above.
    ``speed_cap_mps`` is the speed limiter, or the published top speed when no limiter is known
    (``inf`` when neither is). ``rotating_mass_factor`` is ``None`` when the transmission is
    unknown: sustained speeds do not need it, acceleration times and distances do.
    """

    vehicle_id: str
    mass_kg: float
    power_w: float
    drag_area_m2: float
    rolling_resistance: float
    drive_axle_load_fraction: float
    rotating_mass_factor: float | None
    drivetrain_efficiency: float = DRIVETRAIN_EFFICIENCY
    tyre_road_friction: float = TYRE_ROAD_FRICTION
    air_density_kg_m3: float = AIR_DENSITY_KG_M3
    g_mps2: float = G0
    speed_cap_mps: float = math.inf

    def __post_init__(self):
        vid = self.vehicle_id
        for f in fields(self):
            if f.name == "vehicle_id":
                continue
            x = getattr(self, f.name)
            if x is None and f.name == "rotating_mass_factor":
                continue
            if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)):
                raise PerformanceError(f"vehicle {vid}: {f.name} must be a number, got {x!r}")
            x = float(x)
            object.__setattr__(self, f.name, x)
            if math.isnan(x) or (math.isinf(x) and f.name != "speed_cap_mps"):
                raise PerformanceError(f"vehicle {vid}: {f.name} must be finite, got {x}")
        delta = self.rotating_mass_factor
        checks = (
            ("mass_kg", self.mass_kg > 0, "> 0"),
            ("power_w", self.power_w > 0, "> 0"),
            ("drivetrain_efficiency", 0 < self.drivetrain_efficiency <= 1, "in (0, 1]"),
            ("drag_area_m2", self.drag_area_m2 > 0, "> 0"),
            ("rolling_resistance", self.rolling_resistance >= 0, ">= 0"),
            ("drive_axle_load_fraction", 0 < self.drive_axle_load_fraction <= 1, "in (0, 1]"),
            ("rotating_mass_factor", delta is None or delta >= 0, ">= 0"),
            ("tyre_road_friction", self.tyre_road_friction > 0, "> 0"),
            ("air_density_kg_m3", self.air_density_kg_m3 > 0, "> 0"),
            ("g_mps2", self.g_mps2 > 0, "> 0"),
            ("speed_cap_mps", self.speed_cap_mps > 0, "> 0"),
        )
        for name, ok, rule in checks:
            if not ok:
                raise PerformanceError(
                    f"vehicle {vid}: {name} must be {rule}, got {getattr(self, name)}")

    @classmethod
    def from_vehicle(cls, vehicle, **overrides) -> "PerformanceParams":
        """Parameters for a catalog :class:`~crashcompat.Vehicle` (or any object with its
        performance attributes), with keyword overrides in the catalog's units (``power_kw``,
        ``speed_limiter_kph``, ...). ``None`` for a cap figure removes that cap."""
        unknown = sorted(set(overrides) - set(_OVERRIDES))
        if unknown:
            raise PerformanceError(
                f"unknown performance override {', '.join(unknown)}; accepted: "
                f"{', '.join(_OVERRIDES)}")
        vid = getattr(vehicle, "id", None) or getattr(vehicle, "vehicle_id", "?")

        def figure(name):
            if name in overrides:
                return overrides[name]
            return getattr(vehicle, name, None)

        def required(name):
            x = figure(name)
            if x is None:
                raise PerformanceError(
                    f"vehicle {vid} has no {name}; add it to its file or pass {name}=...")
            return x

        mass = required("mass_kg")
        power_kw = required("power_kw")
        cda = required("drag_area_m2")
        crr = required("rolling_resistance")
        fdrive = figure("drive_axle_load_fraction")
        if fdrive is None:
            wheels = figure("driven_wheels")
            if wheels is None:
                raise PerformanceError(
                    f"vehicle {vid} has neither drive_axle_load_fraction nor driven_wheels; add "
                    f"one to its file or pass drive_axle_load_fraction=...")
            wheels = str(wheels).lower()
            if wheels not in DRIVEN_WHEELS:
                raise PerformanceError(
                    f"vehicle {vid}: driven_wheels must be one of {', '.join(DRIVEN_WHEELS)}, "
                    f"got {wheels!r}")
            if wheels not in ("awd", "4wd"):
                raise PerformanceError(
                    f"vehicle {vid} has no drive_axle_load_fraction (driven_wheels {wheels!r} "
                    f"carry only part of the weight); add it to its file or pass "
                    f"drive_axle_load_fraction=...")
            fdrive = 1.0
        delta = figure("rotating_mass_factor")
        if delta is None and figure("transmission") is not None:
            delta = mass_factor(figure("transmission"), vid)
        caps = [x for x in (figure("speed_limiter_kph"), figure("top_speed_kph")) if x is not None]
        cap = min(float(x) for x in caps) * KPH if caps else math.inf
        kw = {k: overrides[k] for k in ("drivetrain_efficiency", "tyre_road_friction",
                                        "air_density_kg_m3", "g_mps2") if k in overrides}
        return cls(vehicle_id=str(vid), mass_kg=mass, power_w=float(power_kw) * 1e3,
                   drag_area_m2=cda, rolling_resistance=crr, drive_axle_load_fraction=fdrive,
                   rotating_mass_factor=delta, speed_cap_mps=cap, **kw)

    def row(self, transient: bool = True) -> np.ndarray:
        """The kernel's parameter row (``crashcompat.kernels.performance.P_*`` columns). With
        ``transient`` (accelerations, times, distances) the mass factor must be known; sustained
        speeds do not use it."""
        delta = self.rotating_mass_factor
        if delta is None:
            if transient:
                raise PerformanceError(
                    f"vehicle {self.vehicle_id} has no transmission, which sets its rotating-mass "
                    f"factor; add it to its file or pass transmission=... "
                    f"({', '.join(TRANSMISSIONS)}) or rotating_mass_factor=...")
            delta = 0.0
        return np.array([self.mass_kg, self.power_w, self.drivetrain_efficiency,
                         self.drag_area_m2, self.rolling_resistance, self.tyre_road_friction,
                         self.drive_axle_load_fraction, delta, self.air_density_kg_m3,
                         self.g_mps2, self.speed_cap_mps])


def mass_factor(transmission: str, vehicle_id: str = "?") -> float:
    """The model's rotating-mass factor for a transmission kind (:data:`TRANSMISSIONS`)."""
    kind = TRANSMISSIONS.get(str(transmission).lower())
    if kind is None:
        raise PerformanceError(
            f"vehicle {vehicle_id}: transmission must be one of {', '.join(TRANSMISSIONS)}, got "
            f"{transmission!r}")
    return _MASS_FACTOR_BY_KIND[kind]


def performance_params(vehicle, **overrides) -> PerformanceParams:
    """:class:`PerformanceParams` for a vehicle; a :class:`PerformanceParams` passes through,
    with overrides named by its own (SI) fields."""
    if isinstance(vehicle, PerformanceParams):
        if not overrides:
            return vehicle
        names = {f.name for f in fields(PerformanceParams)} - {"vehicle_id"}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise PerformanceError(
                f"unknown PerformanceParams field {', '.join(unknown)}; accepted: "
                f"{', '.join(sorted(names))}")
        return replace(vehicle, **overrides)
    return PerformanceParams.from_vehicle(vehicle, **overrides)


# --- kernel plumbing ---------------------------------------------------------------------------

def _kernels():
    from crashcompat.kernels import performance as k  # numba compiles on first use
    return k


def _params_matrix(vehicles, overrides, transient=True):
    ps = [performance_params(v, **overrides) for v in vehicles]
    if not ps:
        raise PerformanceError("no vehicles given")
    return ps, np.ascontiguousarray(np.stack([p.row(transient) for p in ps]))


def _vector(x, name, unit):
    a = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if a.ndim != 1 or a.size == 0:
        raise PerformanceError(f"{name} must be a number or a 1-D sequence of numbers ({unit})")
    if not np.all(np.isfinite(a)):
        raise PerformanceError(f"{name} must be finite ({unit}), got {a[~np.isfinite(a)][0]}")
    return np.ascontiguousarray(a)


def _grades(grade_pct):
    return _vector(grade_pct, "grade_pct", "percent rise over run") / 100.0


def _serial(vehicles):
    # tiny inputs: the serial driver saves the thread pool's start-up
    return len(vehicles) <= 1


@dataclass(frozen=True)
class PerformanceGrid:
    """Values of one performance quantity over vehicles x grades (x speed pairs).

    ``values`` in ``unit``, NaN where ``status`` is nonzero (``crashcompat.Status``); axis 0 the
    vehicles (``vehicle_ids``), axis 1 the grades (``grades_pct``), axis 2 (when present) the
    speed pairs or distances in the order given.
    """

    values: np.ndarray
    status: np.ndarray
    vehicle_ids: tuple
    grades_pct: np.ndarray
    unit: str


def sustained_speed_grid_kph(vehicles, grades_pct, **overrides) -> PerformanceGrid:
    """Sustained (top) speed, km/h, of each vehicle on each grade: where full power (or traction)
    balances the road load, capped by the speed limiter or published top speed."""
    k = _kernels()
    ps, params = _params_matrix(vehicles, overrides, transient=False)
    grades = _grades(grades_pct)
    out = np.empty((len(ps), grades.size))
    status = np.empty(out.shape, dtype=np.int8)
    fn = k.sustained_speed_serial if _serial(ps) else k.sustained_speed_grid
    fn(params, grades, out, status)
    return PerformanceGrid(out / KPH, status, tuple(p.vehicle_id for p in ps), grades * 100.0,
                           "km/h")


def sustained_speed_kph(vehicle, grade_pct, **overrides) -> float:
    """Speed (km/h) the vehicle can hold on a grade (percent), NaN if it cannot climb it."""
    return float(sustained_speed_grid_kph([vehicle], [grade_pct], **overrides).values[0, 0])


def top_speed_kph(vehicle, grade_pct=0.0, **overrides) -> float:
    """Top speed (km/h) on a grade (percent; level by default): the sustained speed, capped by
    the speed limiter or published top speed. NaN if the vehicle cannot climb the grade."""
    return sustained_speed_kph(vehicle, grade_pct, **overrides)


def _pairs(a, b, name_a, name_b, unit_a, unit_b):
    a = _vector(a, name_a, unit_a)
    b = _vector(b, name_b, unit_b)
    if a.size != b.size:
        if a.size == 1:
            a = np.full(b.size, a[0])
        elif b.size == 1:
            b = np.full(a.size, b[0])
        else:
            raise PerformanceError(f"{name_a} and {name_b} must have the same length "
                                   f"({a.size} and {b.size}) or one of them a single number")
    return a, b


def accel_time_grid_s(vehicles, from_kph, to_kph, grades_pct, *, rollout_m=0.0,
                      n_panels=N_PANELS, **overrides) -> PerformanceGrid:
    """Full-power acceleration time, s, for each vehicle, grade and speed pair
    ``(from_kph[k], to_kph[k])``. NaN with a status where the vehicle cannot reach ``to_kph`` on
    that grade; ``rollout_m`` starts the clock after that distance (US tests: 0.3048 m)."""
    k = _kernels()
    ps, params = _params_matrix(vehicles, overrides)
    grades = _grades(grades_pct)
    v0, v1 = _pairs(from_kph, to_kph, "from_kph", "to_kph", "km/h", "km/h")
    if np.any(v0 < 0) or np.any(v1 < v0):
        raise PerformanceError("from_kph must be >= 0 and to_kph >= from_kph (the model covers "
                               "acceleration, not braking)")
    if not (math.isfinite(rollout_m) and rollout_m >= 0):
        raise PerformanceError(f"rollout_m must be a distance >= 0 in metres, got {rollout_m}")
    if int(n_panels) < 1:
        raise PerformanceError(f"n_panels must be >= 1, got {n_panels}")
    out = np.empty((len(ps), grades.size, v0.size))
    status = np.empty(out.shape, dtype=np.int8)
    fn = k.accel_time_serial if _serial(ps) else k.accel_time_grid
    fn(params, grades, v0 * KPH, v1 * KPH, float(rollout_m), int(n_panels), TOL_MPS, out, status)
    return PerformanceGrid(out, status, tuple(p.vehicle_id for p in ps), grades * 100.0, "s")


def accel_time_s(vehicle, from_kph, to_kph, grade_pct=0.0, *, rollout_m=0.0, n_panels=N_PANELS,
                 **overrides) -> float:
    """Seconds to accelerate from ``from_kph`` to ``to_kph`` at full power on a grade (percent);
    NaN where the vehicle cannot reach ``to_kph`` there (at or above its sustained speed, or
    above its speed limiter)."""
    g = accel_time_grid_s([vehicle], [from_kph], [to_kph], [grade_pct], rollout_m=rollout_m,
                          n_panels=n_panels, **overrides)
    return float(g.values[0, 0, 0])


def speed_after_distance_grid_kph(vehicles, from_kph, distance_m, grades_pct, *,
                                  n_panels=N_PANELS, **overrides) -> PerformanceGrid:
    """Speed (km/h) after ``distance_m[k]`` metres at full power from ``from_kph[k]``, for each
    vehicle and grade (a merge: the speed at the end of an acceleration lane). A vehicle above
    its sustained speed slows towards it; one that reaches its limiter holds it."""
    k = _kernels()
    ps, params = _params_matrix(vehicles, overrides)
    grades = _grades(grades_pct)
    v0, x = _pairs(from_kph, distance_m, "from_kph", "distance_m", "km/h", "m")
    if np.any(v0 < 0) or np.any(x < 0):
        raise PerformanceError("from_kph and distance_m must be >= 0")
    out = np.empty((len(ps), grades.size, v0.size))
    status = np.empty(out.shape, dtype=np.int8)
    fn = k.speed_after_distance_serial if _serial(ps) else k.speed_after_distance_grid
    fn(params, grades, v0 * KPH, x, int(n_panels), TOL_MPS, out, status)
    return PerformanceGrid(out / KPH, status, tuple(p.vehicle_id for p in ps), grades * 100.0,
                           "km/h")


def speed_after_distance_kph(vehicle, from_kph, distance_m, grade_pct=0.0, *, n_panels=N_PANELS,
                             **overrides) -> float:
    """Speed (km/h) after ``distance_m`` at full power from ``from_kph`` on a grade (percent)."""
    g = speed_after_distance_grid_kph([vehicle], [from_kph], [distance_m], [grade_pct],
                                      n_panels=n_panels, **overrides)
    return float(g.values[0, 0, 0])


def acceleration_mps2(vehicle, speed_kph, grade_pct=0.0, **overrides) -> np.ndarray:
    """Full-power acceleration a(v), m/s^2, at each speed (km/h) on one grade (percent)."""
    k = _kernels()
    ps, params = _params_matrix([vehicle], overrides)
    v = _vector(speed_kph, "speed_kph", "km/h")
    out = np.empty((1, 1, v.size))
    status = np.empty(out.shape, dtype=np.int8)
    k.accel_serial(params, _grades(grade_pct), v * KPH, out, status)
    return out[0, 0]


# --- highway scenario building block (issue 16, requirement 3) ---------------------------------

@dataclass(frozen=True)
class HighwaySpeeds:
    """What each vehicle can do on each grade against traffic speeds.

    ``hold_kph`` (vehicles x grades): sustained speed; ``merge_kph``: speed at the end of the
    merge (``merge_distance_m`` from ``ramp_speed_kph``); ``deficit_hold_kph`` and
    ``deficit_merge_kph`` (vehicles x grades x traffic speeds): traffic speed minus the vehicle's,
    positive when the vehicle is slower (NaN where the vehicle's speed is NaN).
    """

    vehicle_ids: tuple
    grades_pct: np.ndarray
    traffic_speeds_kph: np.ndarray
    ramp_speed_kph: float
    merge_distance_m: float
    hold_kph: np.ndarray
    hold_status: np.ndarray
    merge_kph: np.ndarray
    merge_status: np.ndarray
    deficit_hold_kph: np.ndarray = field(repr=False)
    deficit_merge_kph: np.ndarray = field(repr=False)

    def exceeding(self, threshold_kph: float = 20.0) -> list[tuple]:
        """``(vehicle_id, grade_pct, traffic_kph, "hold" | "merge", deficit_kph)`` for every
        cell where the vehicle falls more than ``threshold_kph`` behind traffic."""
        rows = []
        for what, d in (("hold", self.deficit_hold_kph), ("merge", self.deficit_merge_kph)):
            for i, j, k in zip(*np.nonzero(d > threshold_kph)):
                rows.append((self.vehicle_ids[i], float(self.grades_pct[j]),
                             float(self.traffic_speeds_kph[k]), what, float(d[i, j, k])))
        return rows


def highway_speeds(vehicles, grades_pct, traffic_speeds_kph, *, ramp_speed_kph: float,
                   merge_distance_m: float, n_panels=N_PANELS, **overrides) -> HighwaySpeeds:
    """Sustained and merge speeds of each vehicle on each grade, and their deficits against each
    traffic speed. The ramp speed, merge length and traffic speeds are the scenario's cited
    inputs; this function holds none of its own."""
    traffic = _vector(traffic_speeds_kph, "traffic_speeds_kph", "km/h")
    hold = sustained_speed_grid_kph(vehicles, grades_pct, **overrides)
    merge = speed_after_distance_grid_kph(vehicles, [ramp_speed_kph], [merge_distance_m],
                                          grades_pct, n_panels=n_panels, **overrides)
    m = merge.values[:, :, 0]
    return HighwaySpeeds(
        vehicle_ids=hold.vehicle_ids, grades_pct=hold.grades_pct, traffic_speeds_kph=traffic,
        ramp_speed_kph=float(ramp_speed_kph), merge_distance_m=float(merge_distance_m),
        hold_kph=hold.values, hold_status=hold.status, merge_kph=m,
        merge_status=merge.status[:, :, 0],
        deficit_hold_kph=traffic[None, None, :] - hold.values[:, :, None],
        deficit_merge_kph=traffic[None, None, :] - m[:, :, None])


# --- validation against published figures --------------------------------------------------------

#: The validation set: inputs and published figures, each with its source.
VALIDATION_FILE = Path(__file__).resolve().parent.parent / "data" / "performance_validation.toml"


@dataclass(frozen=True)
class ValidationRow:
    """One published figure against the model. ``error`` is predicted / published - 1; for a
    ``limiter`` figure ``predicted`` is the capped speed and ``uncapped`` the speed power and
    drag alone allow."""

    vehicle_id: str
    split: str          # "fit" or "held-out"
    kind: str           # one of _KINDS
    transmission: str
    published: float
    predicted: float
    uncapped: float
    unit: str
    error: float
    used: bool
    note: str


@dataclass(frozen=True)
class ErrorStats:
    n: int
    bias: float
    rms: float
    max_abs: float


@dataclass(frozen=True)
class PerformanceValidation:
    """Result of :func:`validate_performance`: every row, the fitted stepped-gearbox mass factor,
    and error statistics per (kind, split) over the rows in use."""

    rows: tuple
    stepped_mass_factor: float
    stats: dict

    def table(self) -> str:
        """A plain-text table of every row and the statistics."""
        lines = ["stepped-gearbox mass factor fitted on the fit half: "
                 f"{self.stepped_mass_factor:.4f}",
                 "",
                 f"{'vehicle':36s} {'split':8s} {'kind':18s} {'tx':12s} {'published':>9s} "
                 f"{'model':>8s} {'uncapped':>8s} {'error':>7s}  note"]
        for r in self.rows:
            mark = "" if r.used else " (not used)"
            lines.append(
                f"{r.vehicle_id:36s} {r.split:8s} {r.kind:18s} {r.transmission:12s} "
                f"{r.published:9.2f} {r.predicted:8.2f} {r.uncapped:8.2f} {100 * r.error:6.1f}%  "
                f"{r.unit}{mark}{'; ' + r.note if r.note else ''}")
        lines.append("")
        for (kind, split), s in sorted(self.stats.items()):
            if s.n == 0:
                continue
            lines.append(f"{kind:18s} {split:8s} n={s.n:2d}  bias {100 * s.bias:6.1f}%  "
                         f"rms {100 * s.rms:5.1f}%  max {100 * s.max_abs:5.1f}%")
        return "\n".join(lines)


def _value(entry):
    return entry["value"] if isinstance(entry, dict) else entry


def _stats(errors) -> ErrorStats:
    e = np.asarray(errors, dtype=float)
    if e.size == 0:
        return ErrorStats(0, math.nan, math.nan, math.nan)
    return ErrorStats(int(e.size), float(e.mean()), float(np.sqrt(np.mean(e * e))),
                      float(np.max(np.abs(e))))


def _validation_params(veh, fig, stepped_mass_factor) -> PerformanceParams:
    inputs = {k: _value(veh[k]) for k in ("mass_kg", "power_kw", "drag_area_m2",
                                          "rolling_resistance", "drive_axle_load_fraction")}
    for k in inputs:  # a figure may state its own input (another generation's mass, ...)
        if k in fig:
            inputs[k] = _value(fig[k])
    stepped = TRANSMISSIONS[veh["transmission"]] == "stepped"
    return PerformanceParams(
        vehicle_id=veh["id"], mass_kg=inputs["mass_kg"], power_w=inputs["power_kw"] * 1e3,
        drag_area_m2=inputs["drag_area_m2"], rolling_resistance=inputs["rolling_resistance"],
        drive_axle_load_fraction=inputs["drive_axle_load_fraction"],
        rotating_mass_factor=stepped_mass_factor if stepped else CONTINUOUS_MASS_FACTOR)


def _predict(veh, fig, stepped_mass_factor):
    """(predicted, uncapped) for one figure."""
    p = _validation_params(veh, fig, stepped_mass_factor)
    if fig["kind"] == "accel":
        t = accel_time_s(p, fig["from_kph"], fig["to_kph"], 0.0, rollout_m=fig["rollout_m"])
        return t, t
    if fig["kind"] in ("distance_time", "distance_speed"):
        # a standing-start run over distance_m, measured after the rollout: the speed at the
        # line (trap speed, taken as the speed at the end) and the time to it
        v = speed_after_distance_kph(p, 0.0, fig["distance_m"] + fig["rollout_m"])
        if fig["kind"] == "distance_speed":
            return v, v
        t = accel_time_s(p, 0.0, v, 0.0, rollout_m=fig["rollout_m"])
        return t, t
    free = top_speed_kph(p)
    if fig["basis"] == "limiter":
        return min(free, fig["value_kph"]), free
    return free, free


def _split_of(ids):
    """Every other vehicle by sorted id is in the fit half (the first one included)."""
    return {vid: ("fit" if n % 2 == 0 else "held-out") for n, vid in enumerate(sorted(ids))}


_KINDS = ("accel", "distance-time", "distance-speed", "top-speed-ceiling", "top-speed-limiter")


def _figure_kind(fig):
    if fig["kind"] == "top_speed":
        return "top-speed-" + fig["basis"]
    return fig["kind"].replace("_", "-")


def _published(fig):
    return fig["value_s"] if "value_s" in fig else fig["value_kph"]


def validate_performance(path=None, *, fit=True) -> PerformanceValidation:
    """Predicted against published top speeds and acceleration times for the validation set
    (:data:`VALIDATION_FILE`).

    The vehicles are split by sorted id, every other one (starting with the first) in the fit
    half. The one fitted parameter, the stepped-gearbox mass factor, minimises the squared log
    error of the fit half's acceleration and standing-distance times of stepped-gearbox vehicles
    (the only figures it changes, with trap speeds); ``fit=False`` uses
    :data:`STEPPED_MASS_FACTOR` instead. Statistics (bias, RMS and
    largest absolute relative error) are per figure kind and split, over the figures in use. A
    ``top-speed-limiter`` error is zero when the model reaches the limiter and negative by the
    shortfall otherwise.
    """
    from scipy.optimize import minimize_scalar

    data = tomllib.loads(Path(path or VALIDATION_FILE).read_text(encoding="utf-8"))
    vehicles = data["vehicle"]
    split = _split_of([v["id"] for v in vehicles])
    figures = [(v, f) for v in vehicles for f in v["figure"]]

    delta = STEPPED_MASS_FACTOR
    if fit:
        chosen = [(v, f) for v, f in figures
                  if split[v["id"]] == "fit" and f.get("use", True)
                  and _figure_kind(f) in ("accel", "distance-time")
                  and TRANSMISSIONS[v["transmission"]] == "stepped"]

        def loss(x):
            return sum(math.log(_predict(v, f, x)[0] / _published(f)) ** 2 for v, f in chosen)

        delta = float(minimize_scalar(loss, bounds=(0.0, 2.0), method="bounded",
                                      options={"xatol": 1e-6}).x)
    rows = []
    for v, f in figures:
        pred, free = _predict(v, f, delta)
        pub = _published(f)
        rows.append(ValidationRow(
            vehicle_id=v["id"], split=split[v["id"]], kind=_figure_kind(f),
            transmission=v["transmission"], published=pub, predicted=pred, uncapped=free,
            unit="s" if "value_s" in f else "km/h", error=pred / pub - 1.0,
            used=bool(f.get("use", True)), note=f.get("exclude_reason", "")))
    stats = {}
    for kind in _KINDS:
        for s in ("fit", "held-out"):
            stats[(kind, s)] = _stats([r.error for r in rows
                                       if r.kind == kind and r.split == s and r.used])
    return PerformanceValidation(tuple(rows), delta, stats)


if __name__ == "__main__":  # python -m crashcompat.physics.performance
    print(validate_performance().table())
