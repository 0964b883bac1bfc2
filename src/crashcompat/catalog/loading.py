"""The vehicle catalog: TOML files with provenance, validated and turned into `Vehicle` objects.

One TOML file per vehicle (``vehicles/<class>/<slug>.toml``, format in ``vehicles/README.md``).
Every numeric field is an inline table that says whether the figure is a manufacturer spec (with
its source) or an estimate (with its method); estimates without a value name a method of
`crashcompat.catalog.estimators` and are computed from the spec fields when the file loads.

Published figures (``kind = "spec"``) name their ``source`` and, for a reader to follow it, a
``ref`` (a URL or a document id) and the date it was ``accessed``; `scan_catalog` with
``strict=True`` (``crashcompat vehicles validate --strict``) turns a missing or unfollowable
reference into a problem, and otherwise reports it in `ScanResult.provenance`.

`load_catalog` merges the bundled catalog with user folders (``CRASHCOMPAT_VEHICLES``, then the
``paths`` argument); a user file whose id is already loaded replaces it, with a
`CatalogOverrideWarning` and an entry in `Catalog.overrides`. Every problem in every file is
collected and raised as one `CatalogError`; no file is skipped silently.

This module imports no numba, so the CLI's ``vehicles`` commands start fast.
"""

from __future__ import annotations

import copy
import datetime
import difflib
import fnmatch
import hashlib
import importlib.resources
import os
import re
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from crashcompat.catalog import estimators
from crashcompat.errors import CrashCompatError
from crashcompat.catalog.vehicle import DRIVEN_WHEELS, PERFORMANCE_FIELDS, TRANSMISSIONS, Vehicle

__all__ = [
    "SCHEMA_VERSION",
    "CLASSES",
    "TEST_OBJECT_CLASSES",
    "TEST_OBJECT_RANGES",
    "TEST_OBJECT_NOT_APPLICABLE",
    "KEI_LIMITS",
    "FIELDS",
    "IDENTITY_KEYS",
    "ENTRY_KEYS",
    "ENV_VAR",
    "is_followable_ref",
    "Problem",
    "CatalogError",
    "UnknownVehicleError",
    "CatalogOverrideWarning",
    "Override",
    "Catalog",
    "ScanResult",
    "bundled_root",
    "load_catalog",
    "validate_catalog",
    "scan_catalog",
]

SCHEMA_VERSION = 1
ENV_VAR = "CRASHCOMPAT_VEHICLES"

#: Vehicle classes, in display order. The id's folder part must equal the class.
#: ``us-van``: minivans (Sienna, Odyssey, Pacifica, Carnival). ``barrier``: crash-test objects
#: (rigid wall, rigid pole, fixed and moving deformable barriers), see `TEST_OBJECT_CLASSES`.
CLASSES = ("kei", "us-truck", "us-suv", "us-van", "us-car", "barrier")

#: Classes of crash-test objects rather than road vehicles. A test object's file (body
#: ``"barrier"``) gives every figure that applies to it, because no class estimate exists for a
#: barrier; the road-vehicle figures in `TEST_OBJECT_NOT_APPLICABLE` and the identity keys
#: ``drive_side``, ``layout`` and ``powertrain`` do not apply and must be absent; its numeric
#: ranges are `TEST_OBJECT_RANGES` (a rigid wall is 10^8 kg, a pole 0.254 m wide). Its seat
#: fields name the point whose velocity change is reported as the object's "occupant" delta-v
#: (the CG: a barrier carries no occupant).
TEST_OBJECT_CLASSES = ("barrier",)

#: Kei-car limits in force since October 1998 (Japan's Road Transport Vehicle Act enforcement
#: regulations, as commonly quoted [M]; the catalog's 1990s kei trucks and vans were built to the
#: earlier 3.30 x 1.40 m limits and fit inside these): field -> (maximum, unit, name).
KEI_LIMITS = {
    "length_m": (3.40, "m", "kei length limit"),
    "width_m": (1.48, "m", "kei width limit"),
    "height_m": (2.00, "m", "kei height limit"),
    "displacement_cc": (660.0, "cc", "kei displacement limit"),
}


@dataclass(frozen=True)
class FieldSpec:
    """One numeric field: unit, valid range, whether a file must give it, default method."""

    name: str
    unit: str
    low: float
    high: float
    description: str
    required: bool = False
    default_method: str | None = None
    in_file: bool = True


def _f(*args, **kw) -> FieldSpec:
    return FieldSpec(*args, **kw)


_FIELD_LIST = [
    _f("curb_mass_kg", "kg", 400.0, 6000.0, "curb mass (fluids, no occupants)", required=True),
    _f("standard_load_kg", "kg", 0.0, 1500.0, "load in the crash (occupants, cargo)",
       default_method="standard_driver"),
    _f("mass_kg", "kg", 400.0, 7500.0, "mass in the crash: curb mass + standard load",
       default_method="crash_mass", in_file=False),
    _f("length_m", "m", 2.0, 7.5, "overall length", required=True),
    _f("width_m", "m", 1.2, 2.7, "overall width without mirrors", required=True),
    _f("height_m", "m", 1.0, 3.0, "overall height", required=True),
    _f("wheelbase_m", "m", 1.5, 5.0, "wheelbase", required=True),
    _f("track_front_m", "m", 1.0, 2.4, "front track (tread)", default_method="track_width_ratio"),
    _f("track_rear_m", "m", 1.0, 2.4, "rear track (tread)", default_method="track_width_ratio"),
    _f("displacement_cc", "cc", 50.0, 9000.0, "engine displacement (none for EVs)"),
    _f("front_axle_load_fraction", "1", 0.30, 0.75, "share of the curb mass on the front axle"),
    _f("front_overhang_m", "m", 0.15, 1.8, "front face to front axle", default_method="overhang_split"),
    _f("cg_to_front_axle_m", "m", 0.3, 3.5, "CG behind the front axle (a)", default_method="cg_position"),
    _f("cg_to_front_m", "m", 0.5, 4.5, "front face back to the CG", default_method="cg_to_front"),
    _f("yaw_inertia_kgm2", "kg m^2", 200.0, 40000.0, "yaw moment of inertia about the CG",
       default_method="izz_dynamic_index"),
    _f("driver_seat_x_m", "m", -3.0, 3.0, "driver H-point ahead of the CG", default_method="seat_layout"),
    _f("driver_seat_y_m", "m", -1.2, 1.2, "driver H-point left of the CG", default_method="seat_layout"),
    _f("passenger_seat_x_m", "m", -3.0, 3.0, "front passenger H-point ahead of the CG",
       default_method="seat_layout"),
    _f("passenger_seat_y_m", "m", -1.2, 1.2, "front passenger H-point left of the CG",
       default_method="seat_layout"),
]
for _face in ("front", "side", "rear"):
    _ratio_method = "stiffness_ncap_crush" if _face == "front" else "stiffness_face_ratio"
    _FIELD_LIST += [
        _f(f"stiffness_{_face}_n_per_m", "N/m", 5.0e4, 2.0e7, f"linear stiffness of the {_face}",
           default_method=_ratio_method),
        _f(f"crash3_a_{_face}_n_per_m", "N/m", -2.0e5, 1.0e6, f"CRASH3 A coefficient, {_face}",
           default_method="crash3_barrier_fit"),
        _f(f"crash3_b_{_face}_n_per_m2", "N/m^2", 1.0e3, 1.0e8, f"CRASH3 B coefficient, {_face}",
           default_method="crash3_barrier_fit"),
    ]
_FIELD_LIST += [
    _f("crush_space_front_m", "m", 0.02, 2.5, "crush space, bumper to firewall",
       default_method="crush_front_depth"),
    _f("crush_space_side_m", "m", 0.02, 1.0, "crush space, door skin to occupant",
       default_method="crush_side_door"),
    _f("crush_space_rear_m", "m", 0.02, 3.0, "crush space, rear bumper to occupant compartment",
       default_method="crush_rear_overhang"),
    _f("structure_height_low_m", "m", 0.1, 1.5, "front structure (bumper beam/rails), lower edge",
       default_method="structure_class_band"),
    _f("structure_height_high_m", "m", 0.1, 1.5, "front structure (bumper beam/rails), upper edge",
       default_method="structure_class_band"),
    # performance: optional published figures, then the estimated aerodynamic and tyre terms
    _f("power_kw", "kW", 5.0, 1500.0, "rated (peak) power of the engine or motors"),
    _f("torque_nm", "N m", 20.0, 3000.0, "peak torque of the engine or motors (not at the wheel)"),
    _f("top_speed_kph", "km/h", 40.0, 420.0, "published top speed not stated to be governed"),
    _f("speed_limiter_kph", "km/h", 40.0, 420.0, "governed (limited) top speed"),
    _f("accel_0_100_kph_s", "s", 1.5, 60.0, "0-100 km/h time"),
    _f("accel_0_60_mph_s", "s", 1.5, 60.0, "0-60 mph time"),
    _f("drag_coefficient", "1", 0.15, 0.9, "aerodynamic drag coefficient Cd",
       default_method="cd_body_shape"),
    _f("frontal_area_m2", "m^2", 0.8, 8.0, "frontal area A", default_method="frontal_area_bowling"),
    _f("drag_area_m2", "m^2", 0.1, 6.0, "drag area Cd * A", default_method="drag_area",
       in_file=False),
    _f("rolling_resistance", "1", 0.004, 0.03, "rolling-resistance coefficient of the tyres",
       default_method="rolling_resistance_trb"),
    _f("drive_axle_load_fraction", "1", 0.2, 1.0, "static share of the weight on the driven axle(s)",
       default_method="drive_axle_static"),
]

#: Every numeric field, in display order.
FIELDS: dict[str, FieldSpec] = {f.name: f for f in _FIELD_LIST}

#: Road-vehicle figures that do not apply to a test object (class in `TEST_OBJECT_CLASSES`): a
#: barrier file must not give them and they are not estimated (the `Vehicle`'s performance
#: fields are None).
TEST_OBJECT_NOT_APPLICABLE = (
    "track_front_m", "track_rear_m", "displacement_cc", "front_axle_load_fraction",
    "front_overhang_m", "cg_to_front_axle_m", "power_kw", "torque_nm", "top_speed_kph",
    "speed_limiter_kph", "accel_0_100_kph_s", "accel_0_60_mph_s", "drag_coefficient",
    "frontal_area_m2", "drag_area_m2", "rolling_resistance", "drive_axle_load_fraction",
)

#: Valid ranges of a test object's figures where they differ from a road vehicle's: field ->
#: (low, high). A rigid wall or pole is modelled as a body of 10^8 kg and 10^10 kg m^2 with a
#: face 10^5 times stiffer than a car's (the rigid limit, vehicles/README.md); a pole is 0.254 m
#: wide; a barrier face's lower edge may sit at ground level.
TEST_OBJECT_RANGES = {
    "curb_mass_kg": (100.0, 1.0e9),
    "mass_kg": (100.0, 1.0e9),
    "length_m": (0.05, 50.0),
    "width_m": (0.05, 50.0),
    "height_m": (0.1, 10.0),
    "wheelbase_m": (0.01, 50.0),
    "cg_to_front_m": (0.01, 50.0),
    "yaw_inertia_kgm2": (10.0, 1.0e13),
    "driver_seat_x_m": (-50.0, 50.0),
    "driver_seat_y_m": (-50.0, 50.0),
    "passenger_seat_x_m": (-50.0, 50.0),
    "passenger_seat_y_m": (-50.0, 50.0),
    **{f"stiffness_{face}_n_per_m": (1.0e4, 1.0e13) for face in ("front", "side", "rear")},
    **{f"crash3_a_{face}_n_per_m": (-2.0e5, 1.0e11) for face in ("front", "side", "rear")},
    **{f"crash3_b_{face}_n_per_m2": (1.0e3, 1.0e14) for face in ("front", "side", "rear")},
    "crush_space_front_m": (0.001, 2.5),
    "crush_space_side_m": (0.001, 2.5),
    "crush_space_rear_m": (0.001, 2.5),
    "structure_height_low_m": (0.01, 5.0),
    "structure_height_high_m": (0.01, 5.0),
}

#: Identity keys that describe a road vehicle and must be absent from a test object's file.
_TEST_OBJECT_ABSENT_IDENTITY = ("drive_side", "layout", "powertrain", "driven_wheels",
                                "transmission")


def _is_test_object(cls) -> bool:
    return cls in TEST_OBJECT_CLASSES


def _range(name: str, cls) -> tuple[float, float]:
    """Valid (low, high) of field ``name`` for a file of class ``cls``."""
    if _is_test_object(cls) and name in TEST_OBJECT_RANGES:
        return TEST_OBJECT_RANGES[name]
    spec = FIELDS[name]
    return spec.low, spec.high


_RE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9.-]*$")
_RE_YEARS = re.compile(r"^(19|20)\d\d-((19|20)\d\d)?$")
_RE_MARKET = re.compile(r"^[A-Z]{2}$")

#: Identity keys: name -> (required, expected (sentence), check(value) -> bool).
IDENTITY_KEYS = {
    "schema_version": (True, f"the integer {SCHEMA_VERSION}", lambda v: type(v) is int and v == SCHEMA_VERSION),
    "id": (True, "a string '<class>/<slug>' of lower-case letters, digits, '-' and '.'",
           lambda v: isinstance(v, str) and bool(_RE_ID.match(v))),
    "make": (True, "a non-empty string", lambda v: isinstance(v, str) and v.strip() != ""),
    "model": (True, "a non-empty string", lambda v: isinstance(v, str) and v.strip() != ""),
    "generation": (True, "a non-empty string", lambda v: isinstance(v, str) and v.strip() != ""),
    "model_years": (True, "a string like '2023-' or '2019-2024'",
                    lambda v: isinstance(v, str) and bool(_RE_YEARS.match(v))),
    "class": (True, "one of " + ", ".join(CLASSES), lambda v: v in CLASSES),
    "market": (True, "a two-letter upper-case market code such as 'JP' or 'US'",
               lambda v: isinstance(v, str) and bool(_RE_MARKET.match(v))),
    "drive_side": (True, "'left' or 'right' (the driver's side)", lambda v: v in ("left", "right")),
    "body": (True, "one of " + ", ".join(estimators.BODIES), lambda v: v in estimators.BODIES),
    "layout": (True, "one of " + ", ".join(estimators.LAYOUTS), lambda v: v in estimators.LAYOUTS),
    "powertrain": (True, "one of ice, hybrid, ev", lambda v: v in ("ice", "hybrid", "ev")),
    "trim": (False, "a non-empty string naming the trim or configuration the figures belong to",
             lambda v: isinstance(v, str) and v.strip() != ""),
    "driven_wheels": (False, "one of " + ", ".join(DRIVEN_WHEELS),
                      lambda v: v in DRIVEN_WHEELS),
    "transmission": (False, "one of " + ", ".join(TRANSMISSIONS), lambda v: v in TRANSMISSIONS),
    "notes": (False, "a string", lambda v: isinstance(v, str)),
}

#: Keys of a numeric field's table.
ENTRY_KEYS = ("value", "kind", "tag", "source", "ref", "accessed", "trim", "method", "params",
              "note")
_ENTRY_KEYS = ENTRY_KEYS
_KINDS = ("spec", "estimate")
_TAGS = ("S", "M", "E")
_TAG_TEXT = "'S' (seen in the cited source), 'M' (commonly quoted) or 'E' (estimate)"

# Document ids a reader can look up without a URL (documented in vehicles/README.md).
_RE_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_DOCUMENT_IDS = (
    re.compile(r"^NHTSA (NCAP )?test (no\. ?)?\d{3,6}\b"),            # NHTSA crash test number
    re.compile(r"^(NHTSA )?DOT HS \d{3} \d{3}\b"),                     # NHTSA report number
    re.compile(r"^SAE (\d{4}-\d{2}-\d{4}|\d{6})\b"),                  # SAE technical paper
    re.compile(r"^IIHS (test )?[A-Z]{3}\d{4}\b"),                      # IIHS test id
    re.compile(r"^(doi:|DOI )?10\.\d{4,9}/\S+$"),                       # DOI
    re.compile(r"^ISBN[- ]?(97[89][- ]?)?\d[\d -]{8,15}[\dX]\b"),        # book
    re.compile(r"^\d+ CFR (Part )?\d+(\.\d+)?\b"),                      # US regulation
    re.compile(r"^Regulation \((EU|EC)\) No \d+/\d+\b"),                # EU regulation
    re.compile(r"^TRB Special Report \d+\b"),                           # TRB report
)


def is_followable_ref(ref) -> bool:
    """True if every ``;``-separated part of ``ref`` is a URL or a recognised document id
    (NHTSA test number, DOT HS report, SAE paper, IIHS test id, DOI, ISBN, CFR section, EU
    regulation, TRB Special Report)."""
    if not isinstance(ref, str) or not ref.strip():
        return False
    parts = [part.strip() for part in ref.split(";")]
    return all(part and (_RE_URL.match(part) or any(rx.match(part) for rx in _DOCUMENT_IDS))
               for part in parts)


def _iso_date(value) -> str | None:
    """``value`` as an ISO date string, or None if it is not a date."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem in one file: the file, the key, what was expected and what was found.

    ``str()`` gives one sentence, ``<file>: <key> must be <expected>, found <found>`` unless a
    more specific ``message`` (the sentence after the file name) is set.
    """

    file: str
    key: str
    expected: str
    found: str
    message: str = ""

    def __str__(self) -> str:
        body = self.message or f"{self.key} must be {self.expected}, found {self.found}"
        return f"{self.file}: {body}"


class CatalogError(CrashCompatError):
    """The catalog has problems; ``problems`` lists every one, across every file."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"the vehicle catalog has {len(self.problems)} problems:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()


class UnknownVehicleError(CrashCompatError, KeyError):
    """No vehicle with this id (or nothing matches this selector); the message suggests ids."""

    def __init__(self, name: str, suggestions=(), what: str = "vehicle id"):
        self.name = name
        self.suggestions = list(suggestions)
        if self.suggestions:
            hint = "did you mean " + ", ".join(f"'{s}'" for s in self.suggestions) + "?"
        else:
            hint = "run 'crashcompat vehicles list' to see the ids"
        self.message = f"unknown {what} '{name}' ({hint})"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class CatalogOverrideWarning(UserWarning):
    """A user file replaced a vehicle that an earlier folder (usually the bundled catalog) defined."""


@dataclass(frozen=True)
class Override:
    """``file`` (a later folder) replaced ``replaced`` for vehicle ``id``."""

    id: str
    file: str
    replaced: str

    def __str__(self) -> str:
        return f"{self.file} overrides vehicle '{self.id}' from {self.replaced}"


# --- locating and reading files ---------------------------------------------------------------


def bundled_root() -> Path:
    """The folder of the bundled catalog.

    Installed from a wheel, the top-level ``vehicles/`` ships as the package resource
    ``crashcompat/_vehicles``. In a source checkout (editable install) the repository's
    ``vehicles/`` is used. The resource is looked up only in the package folder that holds this
    module: an editable install can leave a stale ``_vehicles`` copy elsewhere on the path.
    """
    here = Path(__file__).resolve().parents[1]  # the crashcompat package folder
    resource = importlib.resources.files("crashcompat") / "_vehicles"
    if resource.is_dir():
        resource_path = Path(str(resource)).resolve()
        if resource_path.parent == here:
            return resource_path
    packaged = here / "_vehicles"
    if packaged.is_dir():
        return packaged
    return here.parents[1] / "vehicles"


@dataclass
class _Source:
    """One catalog folder (or file) and where it came from."""

    path: Path
    origin: str  # "bundled", "$CRASHCOMPAT_VEHICLES" or "paths"


def _sources(paths) -> list[_Source]:
    out = [_Source(bundled_root(), "bundled")]
    env = os.environ.get(ENV_VAR, "")
    out += [_Source(Path(p), f"${ENV_VAR}") for p in env.split(os.pathsep) if p.strip()]
    if paths is not None:
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        out += [_Source(Path(p), "paths") for p in paths]
    return out


def _list_files(source: _Source, problems: list[Problem]) -> list[Path]:
    """The .toml files under ``source`` (sorted); anything else that looks like data is a problem."""
    root = source.path
    if root.is_file():
        if root.suffix != ".toml":
            problems.append(Problem(str(root), "(file)", "a .toml vehicle file", repr(root.suffix),
                                    message=f"is not a .toml vehicle file (given via {source.origin})"))
            return []
        return [root]
    if not root.is_dir():
        problems.append(Problem(str(root), "(folder)", "an existing folder", "nothing",
                                message=f"folder does not exist (given via {source.origin})"))
        return []
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix == ".toml":
            files.append(path)
        elif path.suffix.lower() not in (".md", ".txt") and len(rel.parts) > 1:
            problems.append(Problem(str(path), "(file)", "a .toml vehicle file", repr(path.suffix),
                                    message="is not a .toml vehicle file, so it is not loaded "
                                    "(rename it to .toml or move it out of the catalog folder)"))
    return files


# --- parsing one file -------------------------------------------------------------------------


def _describe(value) -> str:
    """How a found value reads in a problem sentence."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _suggest_key(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else " (the known keys are listed in vehicles/README.md)"


@dataclass
class _Parsed:
    file: str
    data: bytes
    identity: dict
    entries: dict  # field name -> validated entry table


def _parse(file: str, data: bytes, problems: list[Problem]) -> _Parsed | None:
    """Parse and check one file; append every problem found. None when it cannot be used."""
    n_before = len(problems)
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, "(file)", "valid UTF-8 TOML", str(exc),
                                message=f"is not valid TOML ({exc})"))
        return None

    identity, entries = {}, {}
    known = list(IDENTITY_KEYS) + [f.name for f in FIELDS.values() if f.in_file]
    cls_given = doc.get("class")
    test_object = _is_test_object(cls_given)
    for key, value in doc.items():
        if test_object and (key in _TEST_OBJECT_ABSENT_IDENTITY
                            or key in TEST_OBJECT_NOT_APPLICABLE):
            problems.append(Problem(
                file, key, "absent for a test object", _describe(value),
                message=f"key '{key}' describes a road vehicle and does not apply to a test "
                f"object (class = \"{cls_given}\"); remove it"))
        elif key in IDENTITY_KEYS:
            _, expected, check = IDENTITY_KEYS[key]
            if check(value):
                identity[key] = value
            else:
                problems.append(Problem(file, key, expected, _describe(value)))
        elif key in FIELDS and FIELDS[key].in_file:
            entry = _parse_entry(file, key, value, problems, cls_given)
            if entry is not None:
                entries[key] = entry
        elif key in FIELDS:
            problems.append(Problem(
                file, key, "not set in a file", _describe(value),
                message=f"key '{key}' is computed ({FIELDS[key].description}) and cannot be set; "
                "set curb_mass_kg and standard_load_kg instead"))
        else:
            problems.append(Problem(file, key, "a known key", key,
                                    message=f"key '{key}' is not a known key{_suggest_key(key, known)}"))

    for key, (required, expected, _) in IDENTITY_KEYS.items():
        if test_object and key in _TEST_OBJECT_ABSENT_IDENTITY:
            continue
        if required and key not in doc:
            problems.append(Problem(file, key, expected, "nothing",
                                    message=f"required key '{key}' is missing (expected {expected})"))
    for spec in FIELDS.values():
        if test_object and spec.in_file and spec.name not in TEST_OBJECT_NOT_APPLICABLE \
                and spec.name not in doc:
            # no class estimate exists for a test object: its file gives every figure
            problems.append(Problem(
                file, spec.name, f"{spec.description} in {spec.unit}", "nothing",
                message=f"key '{spec.name}' is missing: a test object (class = "
                f"\"{cls_given}\") gives every figure that applies to it ({spec.description} "
                f"in {spec.unit}), since no class estimate exists for it"))
        elif spec.required and spec.name not in doc and not test_object:
            problems.append(Problem(
                file, spec.name, f"{spec.description} in {spec.unit}", "nothing",
                message=f"required key '{spec.name}' is missing (expected a table with the "
                f"{spec.description} in {spec.unit}, its kind and its source)"))
    body = identity.get("body")
    if test_object and "body" in identity and body != "barrier":
        problems.append(Problem(file, "body", "'barrier' for a test object", _describe(body)))
    elif not test_object and body == "barrier" and cls_given in CLASSES:
        problems.append(Problem(file, "body", f"a road-vehicle body for class '{cls_given}' "
                                "(body = \"barrier\" needs class = \"barrier\")", _describe(body)))

    cls = identity.get("class")
    if "id" in identity and cls is not None and identity["id"].split("/")[0] != cls:
        problems.append(Problem(file, "id", f"to start with the class folder '{cls}/'",
                                repr(identity["id"])))
    _check_cross_fields(file, identity, entries, problems)
    if len(problems) > n_before:
        return None
    return _Parsed(file, data, identity, entries)


def _parse_entry(file: str, key: str, value, problems: list[Problem], cls=None) -> dict | None:
    spec = FIELDS[key]
    low, high = _range(key, cls)
    form = (f"a table like {{ value = ..., kind = \"spec\", source = \"...\" }} with the "
            f"{spec.description} in {spec.unit}")
    if not isinstance(value, dict):
        problems.append(Problem(file, key, form, _describe(value)))
        return None
    n_before = len(problems)
    for sub in value:
        if sub not in _ENTRY_KEYS:
            problems.append(Problem(file, f"{key}.{sub}", "a known key", sub,
                                    message=f"key '{key}.{sub}' is not a known key"
                                    f"{_suggest_key(sub, _ENTRY_KEYS)}"))
    kind = value.get("kind")
    if kind not in _KINDS:
        found = "nothing" if kind is None else _describe(kind)
        problems.append(Problem(file, f"{key}.kind", "'spec' or 'estimate'", found))
    for sub in ("source", "method", "note", "ref", "trim"):
        if sub in value and not (isinstance(value[sub], str) and value[sub].strip()):
            problems.append(Problem(file, f"{key}.{sub}", "a non-empty string", _describe(value[sub])))
    if "accessed" in value and _iso_date(value["accessed"]) is None:
        problems.append(Problem(file, f"{key}.accessed", "the date the source was read, as an ISO "
                                "date such as \"2026-12-01\"", _describe(value["accessed"])))
    if "tag" in value and value["tag"] not in _TAGS:
        problems.append(Problem(file, f"{key}.tag", _TAG_TEXT, _describe(value["tag"])))
    if kind == "spec" and value.get("tag") == "E":
        problems.append(Problem(file, f"{key}.tag", "'S' or 'M' for a spec (an [E] figure is "
                                "kind = \"estimate\")", "'E'"))
    if "value" in value:
        v = value["value"]
        if not _is_number(v):
            problems.append(Problem(file, f"{key}.value", f"a number in {spec.unit}", _describe(v)))
        elif not low <= v <= high:
            problems.append(Problem(file, key, f"between {low:g} and {high:g} {spec.unit}",
                                    f"{v:g}"))
    if kind == "spec":
        if "value" not in value:
            problems.append(Problem(file, f"{key}.value", f"a number in {spec.unit} (a spec needs a value)",
                                    "nothing"))
        if "source" not in value:
            problems.append(Problem(file, f"{key}.source", "the source of the spec (document, year)",
                                    "nothing"))
        for sub in ("method", "params"):
            if sub in value:
                problems.append(Problem(file, f"{key}.{sub}", "absent for a spec (use kind = \"estimate\")",
                                        _describe(value[sub])))
    elif kind == "estimate":
        method = value.get("method")
        if "method" not in value:
            problems.append(Problem(file, f"{key}.method", "the estimation method (a sentence, or the "
                                    "name of a method in crashcompat.catalog.estimators)", "nothing"))
        elif "value" not in value and isinstance(method, str):
            _check_method(file, key, method, value.get("params"), problems)
        elif "params" in value:
            problems.append(Problem(file, f"{key}.params", "absent when the value is given",
                                    _describe(value["params"])))
    if len(problems) > n_before:
        return None
    return value


def _check_method(file, key, method, params, problems) -> None:
    allowed = [m.name for m in estimators.METHODS.values() if key in m.fields]
    if not allowed:
        problems.append(Problem(file, f"{key}.value", f"a number in {FIELDS[key].unit} (no method "
                                f"estimates {key})", "nothing"))
        return
    if method not in allowed:
        problems.append(Problem(file, f"{key}.method", "one of " + ", ".join(allowed) +
                                " (or give a value with a sentence describing the method)",
                                repr(method)))
        return
    if params is None:
        return
    if not isinstance(params, dict):
        problems.append(Problem(file, f"{key}.params", "a table of method parameters", _describe(params)))
        return
    types = estimators.METHODS[method].params
    for name, v in params.items():
        if name not in types:
            known = ", ".join(types) or "none"
            problems.append(Problem(file, f"{key}.params.{name}", f"a parameter of {method} ({known})",
                                    repr(name)))
        elif types[name] is float and not _is_number(v):
            problems.append(Problem(file, f"{key}.params.{name}", "a number", _describe(v)))
        elif types[name] is str and not isinstance(v, str):
            problems.append(Problem(file, f"{key}.params.{name}", "a string", _describe(v)))


def _given(entries, key):
    entry = entries.get(key)
    return entry.get("value") if entry else None


def _check_cross_fields(file, identity, entries, problems) -> None:
    length, wheelbase = _given(entries, "length_m"), _given(entries, "wheelbase_m")
    if length is not None and wheelbase is not None and not wheelbase < length:
        problems.append(Problem(file, "wheelbase_m", f"less than length_m ({length:g} m)",
                                f"{wheelbase:g} m"))
    powertrain = identity.get("powertrain")
    if identity.get("class") == "kei":
        for key, (limit, unit, name) in KEI_LIMITS.items():
            v = _given(entries, key)
            if v is not None and v > limit + 1e-9:
                problems.append(Problem(file, key, f"at most {limit:.2f} {unit} ({name})",
                                        f"{v:g} {unit}"))
        if powertrain in ("ice", "hybrid") and "displacement_cc" not in entries:
            problems.append(Problem(
                file, "displacement_cc", "the engine displacement in cc (the kei limit is 660 cc)",
                "nothing", message="required key 'displacement_cc' is missing (a kei car with an "
                "engine must record its displacement; the kei limit is 660 cc)"))
    if powertrain == "ev" and "displacement_cc" in entries:
        problems.append(Problem(file, "displacement_cc", "absent for an EV (powertrain = \"ev\")",
                                f"{_given(entries, 'displacement_cc')} cc"))


def _provenance_problems(parsed: _Parsed, bundled: bool) -> list[Problem]:
    """What strict validation asks beyond a loadable file: every published figure is re-checked
    (not tagged M) and cites a ref a reader can follow and the date it was read; every ref given
    is followable; a bundled file names its trim."""
    out = []
    file = parsed.file
    if bundled and "trim" not in parsed.identity:
        out.append(Problem(file, "trim", "the trim or configuration the figures belong to", "nothing",
                           message="key 'trim' is missing (a bundled file names the trim or "
                           "configuration its figures belong to)"))
    for key, entry in parsed.entries.items():
        ref = entry.get("ref")
        if entry["kind"] == "spec":
            if ref is None:
                out.append(Problem(file, f"{key}.ref", "a URL or document id", "nothing",
                                   message=f"{key} is a published figure without a ref (give a URL "
                                   "or a document id a reader can open, or make it kind = "
                                   "\"estimate\" with its method)"))
            if "accessed" not in entry:
                out.append(Problem(file, f"{key}.accessed", "the date the source was read", "nothing",
                                   message=f"{key} is a published figure without accessed (the ISO "
                                   "date its source was read)"))
            if entry.get("tag") == "M":
                out.append(Problem(file, f"{key}.tag", "'S' for a re-checked published figure", "'M'",
                                   message=f"{key} is a published figure tagged M (not re-checked): "
                                   "re-check it and tag it S, or make it kind = \"estimate\" with "
                                   "its method"))
        if ref is not None and not is_followable_ref(ref):
            out.append(Problem(file, f"{key}.ref", "a URL or a recognised document id", repr(ref),
                               message=f"{key}.ref {ref!r} is not a URL or a recognised document "
                               "id (vehicles/README.md lists the forms)"))
    return out


# --- resolving estimates and building the Vehicle ---------------------------------------------


class _ResolveError(Exception):
    def __init__(self, key, message, expected="", found=""):
        super().__init__(message)
        self.key = key
        self.expected = expected
        self.found = found


def _resolve(parsed: _Parsed, problems: list[Problem]):
    """Compute every field of one parsed file -> (Vehicle, record), or None with problems added."""
    values: dict[str, float] = {}
    fields: dict[str, dict] = {}
    stack: list[str] = []
    identity = parsed.identity
    test_object = _is_test_object(identity.get("class"))

    def get(name, optional=False):
        if name in IDENTITY_KEYS:
            if optional:
                return identity.get(name)
            return identity[name]
        if name in values:
            return values[name]
        spec = FIELDS[name]
        entry = parsed.entries.get(name)
        if entry is None:
            if spec.default_method is None:
                if optional:
                    return None
                raise _ResolveError(name, f"{name} is needed by {stack[-1] if stack else 'the model'} "
                                    "but is not given")
            entry = {"kind": "estimate", "method": spec.default_method}
            implicit = True
        else:
            implicit = False
        if name in stack:
            raise _ResolveError(name, f"estimates depend on each other in a loop: {' -> '.join(stack + [name])}")
        record = {"unit": spec.unit, "kind": entry["kind"], "tag": entry.get("tag"),
                  "source": entry.get("source"), "ref": entry.get("ref"),
                  "accessed": _iso_date(entry["accessed"]) if "accessed" in entry else None,
                  "trim": entry.get("trim", identity.get("trim")),
                  "trim_differs": "trim" in entry,
                  "method": entry.get("method"), "note": entry.get("note")}
        if "value" in entry:
            value = float(entry["value"])
        else:
            method = estimators.METHODS[entry["method"]]
            params = dict(entry.get("params") or {})
            inputs: list[str] = []

            def tracked(n, optional=False):
                value = get(n, optional)
                if value is not None and n not in inputs:
                    inputs.append(n)
                return value

            stack.append(name)
            try:
                value = float(method.compute(name, tracked, **params))
            except (ValueError, ZeroDivisionError) as exc:
                raise _ResolveError(name, f"{name} could not be estimated by {method.name}: {exc}") from None
            finally:
                stack.pop()
            low, high = _range(name, identity.get("class"))
            if not low <= value <= high:
                raise _ResolveError(name, f"{name} estimated by {method.name} must be between "
                                    f"{low:g} and {high:g} {spec.unit}, found {value:g}; check "
                                    f"its inputs ({', '.join(inputs)}) or give a value",
                                    f"between {low:g} and {high:g} {spec.unit}", f"{value:g}")
            record.update(method_summary=method.summary, inputs=inputs, params=params,
                          default=implicit)
        record["value"] = value
        values[name] = value
        fields[name] = record
        return value

    try:
        for name in FIELDS:
            if test_object and name in TEST_OBJECT_NOT_APPLICABLE:
                continue
            get(name, optional=True)
    except _ResolveError as exc:
        problems.append(Problem(parsed.file, exc.key, exc.expected, exc.found, message=str(exc)))
        return None

    vehicle_kw = {f: values[f] for f in (
        "mass_kg", "yaw_inertia_kgm2", "length_m", "width_m", "wheelbase_m", "cg_to_front_m",
        "driver_seat_x_m", "driver_seat_y_m", "passenger_seat_x_m", "passenger_seat_y_m",
        "stiffness_front_n_per_m", "stiffness_side_n_per_m", "stiffness_rear_n_per_m",
        "crash3_a_front_n_per_m", "crash3_b_front_n_per_m2", "crash3_a_side_n_per_m",
        "crash3_b_side_n_per_m2", "crash3_a_rear_n_per_m", "crash3_b_rear_n_per_m2",
        "crush_space_front_m", "crush_space_side_m", "crush_space_rear_m",
        "structure_height_low_m", "structure_height_high_m")}
    name = f"{identity['make']} {identity['model']} ({identity['generation']})"
    if not test_object and values["cg_to_front_axle_m"] >= values["wheelbase_m"]:
        problems.append(Problem(parsed.file, "cg_to_front_axle_m",
                                f"less than wheelbase_m ({values['wheelbase_m']:g} m)",
                                f"{values['cg_to_front_axle_m']:g} m"))
        return None
    try:
        performance = {f: values.get(f) for f in PERFORMANCE_FIELDS}
        vehicle = Vehicle(id=identity["id"], name=name, vehicle_class=identity["class"],
                          driven_wheels=identity.get("driven_wheels"),
                          transmission=identity.get("transmission"), **performance, **vehicle_kw)
    except (TypeError, ValueError) as exc:
        problems.append(Problem(parsed.file, "(vehicle)", "figures that make a valid Vehicle", str(exc),
                                message=f"the figures do not make a valid vehicle: {exc}"))
        return None
    record = {k: identity.get(k) for k in IDENTITY_KEYS if k in identity}
    ordered = {k: fields[k] for k in FIELDS if k in fields}
    record.update(name=name, file=parsed.file, fields=ordered)
    return vehicle, record


# --- scanning folders -------------------------------------------------------------------------


@dataclass
class _Loaded:
    vehicle: Vehicle
    record: dict
    file: str
    data: bytes
    source_index: int


@dataclass
class ScanResult:
    """What a scan of the catalog folders found: vehicles, problems, overrides, file count."""

    loaded: dict = field(default_factory=dict)  # id -> _Loaded
    problems: list = field(default_factory=list)
    overrides: list = field(default_factory=list)
    n_files: int = 0
    provenance: list = field(default_factory=list)  # strict-only problems (warnings otherwise)


def scan_catalog(paths=None, strict: bool = False) -> ScanResult:
    """Read, check and resolve every file of the bundled catalog, ``$CRASHCOMPAT_VEHICLES`` and
    ``paths``; collects every problem instead of stopping at the first.

    Provenance gaps (a published figure without a followable ``ref``, without ``accessed`` or
    tagged ``M``; any ``ref`` that is not followable; a bundled file without ``trim``) are listed
    in ``provenance``; with ``strict`` they are problems too.
    """
    result = ScanResult()
    for index, source in enumerate(_sources(paths)):
        files = _list_files(source, result.problems)
        seen_here: dict[str, str] = {}
        for path in files:
            result.n_files += 1
            file = str(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                result.problems.append(Problem(file, "(file)", "a readable file", str(exc),
                                               message=f"cannot be read ({exc})"))
                continue
            parsed = _parse(file, data, result.problems)
            if parsed is None:
                continue
            vid = parsed.identity["id"]
            if vid in seen_here:
                result.problems.append(Problem(
                    file, "id", "an id that no other file in the same catalog folder uses",
                    f"'{vid}', also defined in {seen_here[vid]}"))
                continue
            seen_here[vid] = file
            gaps = _provenance_problems(parsed, bundled=source.origin == "bundled")
            result.provenance += gaps
            if strict:
                result.problems += gaps
            built = _resolve(parsed, result.problems)
            if built is None:
                continue
            vehicle, record = built
            previous = result.loaded.get(vid)
            if previous is not None and previous.source_index != index:
                result.overrides.append(Override(vid, file, previous.file))
            result.loaded[vid] = _Loaded(vehicle, record, file, data, index)
    return result


def validate_catalog(paths=None, strict: bool = False) -> list[Problem]:
    """Every problem in every catalog file (bundled, ``$CRASHCOMPAT_VEHICLES``, ``paths``);
    with ``strict``, provenance gaps too (see `scan_catalog`)."""
    return scan_catalog(paths, strict).problems


def load_catalog(paths=None) -> "Catalog":
    """The bundled catalog merged with ``$CRASHCOMPAT_VEHICLES`` folders, then ``paths``.

    ``paths``: None, or a list of folders (or single .toml files). A later file with an id already
    loaded from an earlier folder replaces it: a `CatalogOverrideWarning` is issued and the
    replacement recorded in `Catalog.overrides`. Raises `CatalogError` listing every problem in
    every file if there is any.
    """
    result = scan_catalog(paths)
    if result.problems:
        raise CatalogError(result.problems)
    for override in result.overrides:
        warnings.warn(str(override), CatalogOverrideWarning, stacklevel=2)
    return Catalog(result.loaded, result.overrides)


_DEFAULT: dict = {}


def default_catalog() -> "Catalog":
    """:func:`load_catalog` with no paths, loaded once per process and per value of
    ``$CRASHCOMPAT_VEHICLES`` (for ``collide("kei/honda-n-box", ...)``)."""
    key = os.environ.get(ENV_VAR, "")
    cat = _DEFAULT.get(key)
    if cat is None:
        cat = _DEFAULT[key] = load_catalog()
    return cat


# --- the catalog ------------------------------------------------------------------------------


def _slug(vid: str) -> str:
    return vid.split("/", 1)[-1]


class Catalog(Mapping):
    """Read-only mapping id -> `Vehicle`, with provenance records and selection helpers."""

    def __init__(self, loaded: dict, overrides=()):
        self._loaded = dict(sorted(loaded.items()))
        self.overrides: tuple[Override, ...] = tuple(overrides)

    # Mapping
    def __getitem__(self, vid: str) -> Vehicle:
        return self.get_vehicle(vid)

    def __iter__(self):
        return iter(self._loaded)

    def __len__(self) -> int:
        return len(self._loaded)

    def __repr__(self) -> str:
        return f"<Catalog of {len(self)} vehicles>"

    # lookups
    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Ids close to ``name``, matching the whole id or only the slug after the class folder."""
        ids = list(self._loaded)
        out = difflib.get_close_matches(name, ids, n=n, cutoff=0.6)
        by_slug: dict[str, list[str]] = {}
        for vid in ids:
            by_slug.setdefault(_slug(vid), []).append(vid)
        for slug in difflib.get_close_matches(_slug(name), list(by_slug), n=n, cutoff=0.6):
            out += by_slug[slug]
        needle = _slug(name).strip("*?[]").lower()
        if len(needle) >= 2:
            out += [vid for vid in ids if needle in vid]
        seen: list[str] = []
        for vid in out:
            if vid not in seen:
                seen.append(vid)
        return seen[:n]

    def get_vehicle(self, vid: str) -> Vehicle:
        """The `Vehicle` with id ``vid``; `UnknownVehicleError` suggests close ids otherwise."""
        try:
            return self._loaded[vid].vehicle
        except (KeyError, TypeError):
            raise UnknownVehicleError(str(vid), self.suggest(str(vid))) from None

    def record(self, vid: str) -> dict:
        """Identity, file and every numeric field of ``vid``: value, unit, kind, tag, source, ref,
        accessed, trim (``trim_differs`` when the figure belongs to another trim than the file's),
        method (with its summary, params and inputs for a named method), note."""
        self.get_vehicle(vid)
        return copy.deepcopy(self._loaded[vid].record)

    def file(self, vid: str) -> str:
        """The file that defined ``vid``."""
        self.get_vehicle(vid)
        return self._loaded[vid].file

    @property
    def classes(self) -> tuple[str, ...]:
        """The classes present, in `CLASSES` order."""
        present = {v.vehicle_class for v in self.values()}
        return tuple(c for c in CLASSES if c in present)

    def stiffness_measured(self, vid: str) -> bool:
        """True if ``vid``'s frontal stiffness comes from a measured NCAP test
        (``stiffness_ncap_measured``), not the class estimate."""
        rec = self.record(vid)["fields"]["stiffness_front_n_per_m"]
        return rec.get("method") == "stiffness_ncap_measured"

    def ids(self, vehicle_class: str | None = None) -> list[str]:
        """Sorted ids, optionally of one class."""
        return [vid for vid, item in self._loaded.items()
                if vehicle_class is None or item.vehicle.vehicle_class == vehicle_class]

    def select(self, selectors) -> list[str]:
        """Ids matching ``selectors`` (exact ids, globs such as ``kei/*``, or class names), in
        order and without duplicates. A selector that matches nothing raises `UnknownVehicleError`."""
        if isinstance(selectors, str):
            selectors = [selectors]
        out: list[str] = []
        for sel in selectors:
            if sel in CLASSES:
                matched = self.ids(sel)
            elif sel in self._loaded:
                matched = [sel]
            elif any(ch in sel for ch in "*?["):
                matched = [vid for vid in self._loaded if fnmatch.fnmatchcase(vid, sel)]
            else:
                matched = []
            if not matched:
                what = "vehicle selector" if any(ch in sel for ch in "*?[") else "vehicle id"
                raise UnknownVehicleError(sel, self.suggest(sel), what=what)
            out += [vid for vid in matched if vid not in out]
        return out

    def content_hash(self) -> str:
        """SHA-256 (hex) of the sorted (id, file bytes) of every file the catalog holds."""
        h = hashlib.sha256()
        for vid in sorted(self._loaded):
            data = self._loaded[vid].data
            h.update(vid.encode("utf-8") + b"\0" + len(data).to_bytes(8, "little") + data)
        return h.hexdigest()
