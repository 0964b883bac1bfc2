"""Grid specifications: which vehicles meet in which crashes, axis by axis.

A grid spec (:class:`GridSpec`) names the vehicles and the values of every axis; the grid is
their Cartesian product (:mod:`crashcompat.runs.grid` runs it). Specs come from TOML files, dicts
or CLI options, and are validated here with a sentence that names the key: nothing downstream
sees an unchecked value. Values must be finite; values outside the plausible ranges of
:data:`PLAUSIBLE` are refused unless ``allow_implausible`` is set. :func:`grid_size` and
:func:`check_size` say how large a run is before any table is built. The meaning of each axis is
documented in :mod:`crashcompat.runs.grid` and docs/cli.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from crashcompat.catalog.loading import FIELDS as _CATALOG_FIELDS
from crashcompat.errors import CrashCompatError
from crashcompat.kernels.layout import GEO_COLS
from crashcompat.physics.geometry import (CONFIGURATIONS, DEFAULT_AUTO, TANGENTIAL_MODELS,
                                          AutoTangential)
from crashcompat.physics.impact import DEFAULT_IMPULSE_RATIO
from crashcompat.physics.restitution import DEFAULT_RESTITUTION_MODEL
from crashcompat.severity.pulse import DEFAULT_COMPARTMENT_FACTOR
from crashcompat.severity.measures import (DEFAULT_RISK_CURVES, MEASURE_FAMILIES,
                                           parse_measures, resolve_curves)

__all__ = ["GridSpec", "GridSpecError", "GridSizeError", "GridSize", "PRESETS", "PLAUSIBLE",
           "MAX_AXIS_VALUES", "MEMORY_BUDGET_BYTES", "parse_range", "load_spec",
           "spec_from_dict", "spec_from_toml", "grid_size", "check_size", "DEFAULT_REFERENCES",
           "validated", "US_PARTNER_CLASSES"]

#: Reference cars that take the subject's place by default: a US small (compact) and a
#: mid-size sedan.
DEFAULT_REFERENCES = ("us-car/toyota-corolla", "us-car/toyota-camry")
#: The US partner classes of the catalog, every class the bundled exposure model weights.
US_PARTNER_CLASSES = ("us-truck", "us-suv", "us-car", "us-van")

#: At most this many values on one axis: a longer axis is almost always a step typed too small,
#: and a million floats already take ~32 MB as a Python list while the spec is parsed.
MAX_AXIS_VALUES = 1_000_000

#: Memory a prepared run may hold before it computes anything: its per-run tables (one
#: geometry row per subject x partner x configuration x angle x overlap x position) and one
#: chunk's buffers. 1 GiB keeps a run, and a test suite beside it, inside an 8 GB laptop.
MEMORY_BUDGET_BYTES = 1 << 30

#: Plausible ranges: a value outside is refused unless ``allow_implausible`` is set (the CLI's
#: ``--allow-implausible``). key -> (low, high, unit, why).
PLAUSIBLE = {
    # the catalog's own bound for a vehicle's load in the crash (occupants and cargo): the
    # payload class of a full-size pickup
    "load_kg": (0.0, _CATALOG_FIELDS["standard_load_kg"].high, "kg",
                "the catalog's range for occupants and cargo, a full-size pickup's payload"),
    # assumption: inter-vehicle friction is 0.4-0.6 in practice (Brach; PC-Crash practice,
    # docs/model.md); above 1.5 no pair of structures grips, so the value is a typo
    "friction": (0.0, 1.5, "", "inter-vehicle friction is typically 0.4-0.6"),
    # assumption: above 300 km/h closing speed no road crash of these vehicles happens (their
    # top speeds are 140-250 km/h and crash tests run at up to 130 km/h)
    "closing_speed_kph": (0.0, 300.0, "km/h", "road crashes of these vehicles"),
    "subject_speed_kph": (0.0, 300.0, "km/h", "road crashes of these vehicles"),
    "partner_speed_kph": (0.0, 300.0, "km/h", "road crashes of these vehicles"),
}

_HOW_TO_ALLOW = "pass --allow-implausible (allow_implausible = true in a spec) to run it anyway"


class GridSpecError(CrashCompatError, ValueError):
    """A grid specification that cannot be run; the message says which key and why."""


class GridSizeError(GridSpecError):
    """A grid too large to prepare or run (case count or memory), found before any table is
    built; the message names the axes that multiply it."""


def _finite(x: float, key: str, text) -> float:
    if not math.isfinite(x):
        raise GridSpecError(f"{key}: {text!r} is not a finite number; every axis value must be "
                            "finite")
    return x


def _round_step(x: float) -> float:
    """``start + k*step`` to 12 significant digits, so ``0:1:0.1`` gives 0.3, not
    0.30000000000000004 (axis labels select as typed); far below any physical resolution."""
    return float(f"{x:.12g}")


def parse_range(text, key: str, max_values: int = MAX_AXIS_VALUES) -> list[float]:
    """Parse an axis written as a number, a list of numbers, or ``start:stop:step``.

    The stop is included when it lies on the grid (``10:120:10`` gives 10, 20, ..., 120). Values
    must be finite, and an axis may hold at most ``max_values`` values: the count is checked
    before the list is built.
    """
    if isinstance(text, bool):
        raise GridSpecError(f"{key}: expected a number, a list or 'start:stop:step', got {text!r}")
    if isinstance(text, (int, float)):
        return [_finite(float(text), key, text)]
    if isinstance(text, (list, tuple)):
        out = []
        for item in text:
            out += parse_range(item, key, max_values - len(out))
        if not out:
            raise GridSpecError(f"{key}: the axis is empty; give at least one value")
        return out
    if not isinstance(text, str):
        raise GridSpecError(f"{key}: expected a number, a list or 'start:stop:step', got {text!r}")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > 1:
        return parse_range(parts, key, max_values)
    if not parts:
        raise GridSpecError(f"{key}: the axis is empty; give at least one value")
    t = parts[0]
    if ":" not in t:
        try:
            x = float(t)
        except ValueError:
            raise GridSpecError(f"{key}: {t!r} is not a number") from None
        return [_finite(x, key, t)]
    bits = t.split(":")
    if len(bits) != 3:
        raise GridSpecError(f"{key}: write a range as start:stop:step, got {t!r}")
    try:
        start, stop, step = (float(b) for b in bits)
    except ValueError:
        raise GridSpecError(f"{key}: {t!r} has a part that is not a number") from None
    if not all(math.isfinite(x) for x in (start, stop, step)):
        raise GridSpecError(f"{key}: the range {t!r} has a part that is not a finite number")
    if not step > 0:
        raise GridSpecError(f"{key}: the step of {t!r} must be > 0")
    if stop < start:
        raise GridSpecError(f"{key}: the range {t!r} is empty (stop below start)")
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    if n > max_values:
        raise GridSizeError(
            f"{key}: the range {t!r} has {n:,} values, more than the {MAX_AXIS_VALUES:,} one "
            "axis may hold; use a larger step")
    return [_round_step(start + k * step) for k in range(n)]


def _labels(values, key, allowed_words) -> list[str]:
    """Axis values that are numbers or one of ``allowed_words``, as canonical string labels.

    Accepts the spec form (``["model", 0.1, "0.2:0.4:0.1"]``) and the CLI form
    (``"model,0.05:0.65:0.05"``) alike."""
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    elif isinstance(values, (int, float)) and not isinstance(values, bool):
        values = [values]
    elif not isinstance(values, (list, tuple)):
        words = "".join(f"'{w}', " for w in allowed_words)
        raise GridSpecError(f"{key}: expected {words}numbers or 'start:stop:step' ranges, "
                            f"got {values!r}")
    out = []
    for v in values:
        if isinstance(v, str) and v.strip() in allowed_words:
            out.append(v.strip())
        elif isinstance(v, str) and "," in v:
            out += _labels(v, key, allowed_words)
        else:
            out += [_fmt(x) for x in parse_range(v, key)]
    if not out:
        raise GridSpecError(f"{key}: the axis is empty; give at least one value")
    return out


def _fmt(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(x)) if abs(x) < 1e15 else repr(x)


@dataclass(frozen=True)
class GridSpec:
    """Everything that defines a grid run. Axis values are lists; speeds in km/h.

    See the module docstring for the meaning of each axis and ``vehicles/README.md`` for ids.
    """

    subjects: tuple[str, ...] = ("kei",)
    partners: tuple[str, ...] = ("us-truck", "us-suv")
    references: tuple[str, ...] = DEFAULT_REFERENCES
    configurations: tuple[str, ...] = CONFIGURATIONS
    closing_speed_kph: tuple[float, ...] | None = tuple(float(v) for v in range(10, 121, 10))
    split: float = 0.5
    subject_speed_kph: tuple[float, ...] | None = None
    partner_speed_kph: tuple[float, ...] | None = None
    angle_deg: tuple[float, ...] = (0.0,)
    overlap: tuple[float, ...] = (1.0,)
    impact_position: tuple[str, ...] = ("driver-seat",)
    restitution: tuple[str, ...] = ("model",)
    friction: tuple[float, ...] = (0.5,)
    #: tangential model axes (docs/model.md, Partial impacts): ``auto``, ``common-velocity``,
    #: ``impulse-ratio`` or ``sliding``; the impulse ratio the ``impulse-ratio`` model reads;
    #: the contact-plane turn in degrees or ``auto`` (the model's default)
    tangential_model: tuple[str, ...] = ("auto",)
    impulse_ratio: tuple[float, ...] = (DEFAULT_IMPULSE_RATIO,)
    contact_plane_deg: tuple[str, ...] = ("auto",)
    #: the ``auto`` rule: {overlap_below, model, contact_plane_deg}
    #: (:class:`crashcompat.physics.geometry.AutoTangential`)
    partial_impact: dict = dataclasses.field(default_factory=lambda: DEFAULT_AUTO.to_dict())
    load_kg: tuple[float, ...] = (0.0,)
    struck_side: str = "driver"
    overlap_side: str = "left"
    #: seat side of the subjects and references: left (US-market builds, the default), right
    #: (25-year-rule imports) or as-catalog (docs/model.md, Impact geometry)
    drive_side: str = "left"
    restitution_model: tuple[float, float, float] = (
        DEFAULT_RESTITUTION_MODEL.e_lo, DEFAULT_RESTITUTION_MODEL.e_hi,
        DEFAULT_RESTITUTION_MODEL.v_ref_mps)
    measures: tuple[str, ...] = ("dv", "risk")
    risk_curves: tuple = DEFAULT_RISK_CURVES
    pulse_model: str = "crash3"
    #: stiffness of the occupant compartment past the crush space, as a multiple of the crush
    #: zone's (docs/model.md, Energy split and crush; an assumption)
    compartment_factor: float = DEFAULT_COMPARTMENT_FACTOR
    name: str = "custom"
    #: run values outside :data:`PLAUSIBLE` (recorded in every output's metadata)
    allow_implausible: bool = False

    def partial_impact_rule(self) -> AutoTangential:
        """The ``auto`` rule of this spec."""
        return AutoTangential(**self.partial_impact)

    @property
    def speed_mode(self) -> str:
        return "explicit" if self.subject_speed_kph is not None else "closing"

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    def replace(self, **kw) -> "GridSpec":
        return validated(dataclasses.replace(self, **kw))


PRESETS = {
    # every kei x every US truck/SUV, the reference cars for comparison, all configurations,
    # closing speeds 10-120 km/h, head-on and 30-degree oblique, full and 50 % overlap.
    "kei-vs-us": dict(
        name="kei-vs-us", subjects=("kei",), partners=("us-truck", "us-suv"),
        references=DEFAULT_REFERENCES, configurations=CONFIGURATIONS,
        closing_speed_kph=tuple(float(v) for v in range(10, 121, 10)), angle_deg=(0.0, 30.0),
        overlap=(1.0, 0.5),
    ),
}
#: kei-vs-us against every US vehicle a car meets in traffic: pickups, SUVs, cars and vans, the
#: classes the `us` exposure model weights. `crashcompat grid` with no arguments runs it with
#: that exposure model (the headline), as does run_grid(exposure=...) without a spec.
PRESETS["kei-in-us-traffic"] = dict(PRESETS["kei-vs-us"], name="kei-in-us-traffic",
                                    partners=US_PARTNER_CLASSES)

_SPEC_KEYS = {f.name for f in dataclasses.fields(GridSpec)} | {"preset"}


def _strs(value, key) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise GridSpecError(f"{key}: expected a list of strings, got {value!r}")
    return tuple(value)


def _word(value, key, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise GridSpecError(f"{key}: must be {_one_of(allowed)}, got {value!r}")
    return value


def _one_of(words) -> str:
    words = list(words)
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def _number(value, key) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GridSpecError(f"{key}: expected a number, got {value!r}")
    return float(value)


def _measures(value) -> tuple[str, ...]:
    ok = isinstance(value, str) or (isinstance(value, (list, tuple))
                                    and all(isinstance(v, str) for v in value))
    if not ok:
        raise GridSpecError(f"measures: expected a comma-separated string or a list of names "
                            f"from {', '.join(MEASURE_FAMILIES)}, got {value!r}")
    try:
        return parse_measures(value)
    except CrashCompatError as exc:
        raise GridSpecError(str(exc)) from None


_CURVE_TABLE_KEYS = {"name": str, "a0": float, "a1_per_mph": float, "source": str,
                     "outcome": str}


def _risk_curves(value) -> tuple:
    """Curve names, or tables ``{name, a0, a1_per_mph, source[, outcome]}``, type-checked before
    the curves are built, so a wrong type is a sentence rather than a TypeError."""
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise GridSpecError(f"risk_curves: expected a list of curve names or tables "
                            f"{{name, a0, a1_per_mph, source}}, got {value!r}")
    if len(value) == 1 and isinstance(value[0], str):
        value = [c.strip() for c in value[0].split(",") if c.strip()]
    for item in value:
        if isinstance(item, str):
            continue
        if not isinstance(item, dict):
            raise GridSpecError(f"risk_curves: each entry must be a curve name or a table "
                                f"{{name, a0, a1_per_mph, source}}, got {item!r}")
        for k, v in item.items():
            want = _CURVE_TABLE_KEYS.get(k)
            if want is None:
                raise GridSpecError(f"risk_curves: unknown key {k!r} in a curve table; use "
                                    f"{', '.join(_CURVE_TABLE_KEYS)}")
            if want is float:
                _finite(_number(v, f"risk_curves: {k}"), f"risk_curves: {k}", v)
            elif not isinstance(v, str):
                raise GridSpecError(f"risk_curves: {k} must be a string, got {v!r}")
    try:
        resolve_curves(value)
    except CrashCompatError as exc:
        raise GridSpecError(f"risk_curves: {exc}") from None
    return tuple(value)


def _restitution_model(value) -> tuple[float, float, float]:
    """``[e_lo, e_hi, v_ref_mps]`` (or a table with those keys) -> three checked floats."""
    how = ("restitution_model: give [e_lo, e_hi, v_ref_mps], three numbers with e_lo and e_hi "
           "in [0, 1] and v_ref_mps > 0")
    if hasattr(value, "as_array"):  # a SpeedDependentRestitution
        value = list(value.as_array())
    if isinstance(value, dict):
        if set(value) != {"e_lo", "e_hi", "v_ref_mps"}:
            raise GridSpecError(f"{how}, got the keys {sorted(value)}")
        value = [value["e_lo"], value["e_hi"], value["v_ref_mps"]]
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise GridSpecError(f"{how}, got {value!r}")
    try:
        rm = tuple(_number(x, "restitution_model") for x in value)
    except GridSpecError:
        raise GridSpecError(f"{how}, got {list(value)!r}") from None
    if not (0 <= rm[0] <= 1 and 0 <= rm[1] <= 1 and rm[2] > 0 and math.isfinite(rm[2])):
        raise GridSpecError(f"{how}, got {list(rm)!r}")
    return rm


def _tangential_models(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not value:
        raise GridSpecError(f"tangential_model: expected a list of {_one_of(TANGENTIAL_MODELS)}, "
                            f"got {value!r}")
    for v in value:
        if not isinstance(v, str) or v not in TANGENTIAL_MODELS:
            close = difflib.get_close_matches(str(v), TANGENTIAL_MODELS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise GridSpecError(f"tangential_model: {v!r} is not one of "
                                f"{', '.join(TANGENTIAL_MODELS)}{hint}")
    return tuple(value)


def _partial_impact(value) -> dict:
    """The ``auto`` rule as a checked table {overlap_below, model, contact_plane_deg}; missing
    keys keep the shipped rule's values."""
    if isinstance(value, AutoTangential):
        value = value.to_dict()
    keys = tuple(DEFAULT_AUTO.to_dict())
    if not isinstance(value, dict) or set(value) - set(keys):
        raise GridSpecError(f"partial_impact: give a table with the keys {', '.join(keys)}, got "
                            f"{value!r}")
    rule = dict(DEFAULT_AUTO.to_dict(), **value)
    try:
        return AutoTangential(**rule).to_dict()
    except CrashCompatError as exc:
        raise GridSpecError(f"partial_impact: {exc}") from None


def _check_plausible(kw: dict, allow: bool) -> None:
    if allow:
        return
    for key, (lo, hi, unit, why) in PLAUSIBLE.items():
        vals = kw.get(key)
        if not vals:
            continue
        bad = max(vals)
        if bad > hi:
            u = f" {unit}" if unit else ""
            raise GridSpecError(
                f"{key}: {bad:g}{u} is outside the plausible range {lo:g}-{hi:g}{u} ({why}); "
                f"{_HOW_TO_ALLOW}")


def validated(spec: GridSpec) -> GridSpec:
    """Check and normalise every field; raise GridSpecError naming the key."""
    kw = {}
    for key in ("subjects", "partners", "references"):
        kw[key] = _strs(getattr(spec, key), key)
    if not kw["subjects"]:
        raise GridSpecError("subjects: the axis is empty; name at least one vehicle, glob or class")
    if not kw["partners"]:
        raise GridSpecError("partners: the axis is empty; name at least one vehicle, glob or class")
    confs = _strs(spec.configurations, "configurations")
    for c in confs:
        if c not in CONFIGURATIONS:
            close = difflib.get_close_matches(c, CONFIGURATIONS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise GridSpecError(
                f"configurations: {c!r} is not one of {', '.join(CONFIGURATIONS)}{hint}")
    if not confs:
        raise GridSpecError("configurations: the axis is empty; give at least one")
    kw["configurations"] = confs
    explicit = spec.subject_speed_kph is not None or spec.partner_speed_kph is not None
    if explicit:
        if spec.subject_speed_kph is None or spec.partner_speed_kph is None:
            raise GridSpecError(
                "give both subject_speed_kph and partner_speed_kph, or closing_speed_kph alone")
        kw["closing_speed_kph"] = None
        for key in ("subject_speed_kph", "partner_speed_kph"):
            kw[key] = tuple(parse_range(getattr(spec, key), key))
    else:
        if spec.closing_speed_kph is None:
            raise GridSpecError("closing_speed_kph: give closing speeds or both explicit speeds")
        kw["closing_speed_kph"] = tuple(parse_range(spec.closing_speed_kph, "closing_speed_kph"))
        kw["subject_speed_kph"] = kw["partner_speed_kph"] = None
    for key in ("closing_speed_kph", "subject_speed_kph", "partner_speed_kph"):
        vals = kw[key]
        if vals is not None and min(vals) < 0:
            raise GridSpecError(f"{key}: speeds must be >= 0 km/h, found {min(vals):g}")
    split = spec.split
    if isinstance(split, bool) or not (isinstance(split, (int, float)) and 0.0 <= split <= 1.0):
        raise GridSpecError(f"split: the subject's share of the closing speed must be a number "
                            f"in [0, 1], got {split!r}")
    kw["split"] = float(split)
    kw["angle_deg"] = tuple(parse_range(spec.angle_deg, "angle_deg"))
    if any(not -90 < a < 90 for a in kw["angle_deg"]):
        raise GridSpecError("angle_deg: angles must lie strictly between -90 and 90 degrees")
    kw["overlap"] = tuple(parse_range(spec.overlap, "overlap"))
    if any(not 0 < o <= 1 for o in kw["overlap"]):
        raise GridSpecError("overlap: each value must be a fraction in (0, 1]; with no overlap "
                            "the vehicles cannot touch")
    kw["impact_position"] = tuple(_labels(spec.impact_position, "impact_position",
                                          ("driver-seat",)))
    kw["restitution"] = tuple(_labels(spec.restitution, "restitution", ("model",)))
    for lab in kw["restitution"]:
        if lab != "model" and not 0 <= float(lab) <= 1:
            raise GridSpecError(f"restitution: {lab} is outside [0, 1]")
    kw["friction"] = tuple(parse_range(spec.friction, "friction"))
    if min(kw["friction"]) < 0:
        raise GridSpecError("friction: values must be >= 0")
    kw["tangential_model"] = _tangential_models(spec.tangential_model)
    kw["impulse_ratio"] = tuple(parse_range(spec.impulse_ratio, "impulse_ratio"))
    if min(kw["impulse_ratio"]) < 0:
        raise GridSpecError("impulse_ratio: values must be >= 0 (the sign is set to oppose the "
                            "slip)")
    kw["contact_plane_deg"] = tuple(_labels(spec.contact_plane_deg, "contact_plane_deg",
                                            ("auto",)))
    if any(lab != "auto" and not -90 < float(lab) < 90 for lab in kw["contact_plane_deg"]):
        raise GridSpecError("contact_plane_deg: angles must lie strictly between -90 and 90 "
                            "degrees (or say 'auto')")
    kw["partial_impact"] = _partial_impact(spec.partial_impact)
    kw["load_kg"] = tuple(parse_range(spec.load_kg, "load_kg"))
    if min(kw["load_kg"]) < 0:
        raise GridSpecError("load_kg: the added mass must be >= 0 kg")
    if not isinstance(spec.allow_implausible, bool):
        raise GridSpecError(f"allow_implausible: expected true or false, got "
                            f"{spec.allow_implausible!r}")
    _check_plausible(kw, spec.allow_implausible)
    _word(spec.struck_side, "struck_side", ("driver", "passenger", "left", "right"))
    _word(spec.overlap_side, "overlap_side", ("left", "right"))
    _word(spec.drive_side, "drive_side", ("left", "right", "as-catalog"))
    kw["restitution_model"] = _restitution_model(spec.restitution_model)
    kw["measures"] = _measures(spec.measures)
    kw["risk_curves"] = _risk_curves(spec.risk_curves)
    if "risk" in kw["measures"] and not kw["risk_curves"]:
        raise GridSpecError("risk_curves: the list is empty; name at least one curve or drop "
                            "'risk' from measures")
    _word(spec.pulse_model, "pulse_model", ("crash3", "linear"))
    cf = _number(spec.compartment_factor, "compartment_factor")
    if not (math.isfinite(cf) and cf >= 1.0):
        raise GridSpecError(f"compartment_factor: must be a number >= 1 (the compartment's "
                            f"stiffness over the crush zone's), got {cf!r}")
    kw["compartment_factor"] = cf
    if not isinstance(spec.name, str):
        raise GridSpecError(f"name: expected a string, got {spec.name!r}")
    return dataclasses.replace(spec, **kw)


def spec_from_dict(data: dict, source: str = "the grid spec", base: GridSpec | None = None
                   ) -> GridSpec:
    """Build a validated spec from a mapping (a TOML file's content or CLI options)."""
    if not isinstance(data, dict):
        raise GridSpecError(f"{source}: expected a table of grid-spec keys, got {data!r}")
    kw = {}
    for key, value in data.items():
        if key not in _SPEC_KEYS:
            close = difflib.get_close_matches(str(key), sorted(_SPEC_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise GridSpecError(f"{source}: unknown key {key!r}{hint}")
        kw[key] = value
    preset = kw.pop("preset", None)
    if preset is not None:
        if not isinstance(preset, str) or preset not in PRESETS:
            raise GridSpecError(f"{source}: unknown preset {preset!r}; known: {', '.join(PRESETS)}")
        base = GridSpec(**PRESETS[preset])
    base = base or GridSpec(**PRESETS["kei-vs-us"])
    if "closing_speed_kph" in kw:
        kw.setdefault("subject_speed_kph", None)
        kw.setdefault("partner_speed_kph", None)
    elif "subject_speed_kph" in kw or "partner_speed_kph" in kw:
        kw.setdefault("closing_speed_kph", None)
    try:
        return validated(dataclasses.replace(base, **kw))
    except GridSizeError as exc:
        raise GridSizeError(f"{source}: {exc}") from None
    except GridSpecError as exc:
        raise GridSpecError(f"{source}: {exc}") from None


def spec_from_toml(text: str, source: str) -> GridSpec:
    """A validated spec from TOML text (``source`` names it in messages: a path, ``<stdin>``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GridSpecError(f"grid spec {source} is not valid TOML: {exc}") from None
    return spec_from_dict(data, source=source)


def load_spec(path) -> GridSpec:
    """Read a grid spec from a TOML file (keys as in :class:`GridSpec`, plus ``preset``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GridSpecError(f"grid spec {p} does not exist") from None
    except IsADirectoryError:
        raise GridSpecError(f"grid spec {p} is a directory; give a TOML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GridSpecError(f"could not read grid spec {p}: {exc}") from None
    return spec_from_toml(text, str(p))


# -- size, before anything is built ----------------------------------------------------------

@dataclass(frozen=True)
class GridSize:
    """How large a run is, from its axis lengths alone (nothing is built to find out).

    ``geometry_axes`` are the (name, length) factors of the geometry table; ``memory_bytes``
    estimates what the prepared run holds: the geometry table in both memory orders with its
    engaged width and height factors, the speed table, and one chunk's output buffers (results
    and their per-chunk copies, grid indices, axis columns)."""

    n_cases: int
    n_groups: int
    n_geometry: int
    geometry_axes: tuple
    table_bytes: int
    chunk_bytes: int

    @property
    def memory_bytes(self) -> int:
        return self.table_bytes + self.chunk_bytes


def grid_size(spec: GridSpec, n_subjects: int, n_partners: int, n_columns: int,
              chunk_cases: int) -> GridSize:
    """The size of ``spec`` with ``n_subjects`` (subjects and references) and ``n_partners``
    vehicles and ``n_columns`` float64 result columns per case."""
    na = len(spec.closing_speed_kph) if spec.speed_mode == "closing" else len(
        spec.subject_speed_kph)
    n_tang = len(spec.tangential_model) * len(spec.impulse_ratio) * len(spec.contact_plane_deg)
    nb = 1 if spec.speed_mode == "closing" else len(spec.partner_speed_kph)
    nc = len(spec.configurations)
    geo_axes = (("subject", n_subjects), ("partner", n_partners), ("configuration", nc),
                ("angle_deg", len(spec.angle_deg)), ("overlap", len(spec.overlap)),
                ("impact_position", len(spec.impact_position)),
                ("tangential settings", n_tang))
    n_geo = math.prod(n for _, n in geo_axes)
    n_groups = n_subjects * n_partners * nc * na * nb
    inner = (len(spec.angle_deg) * len(spec.overlap) * len(spec.impact_position) * n_tang
             * len(spec.restitution) * len(spec.friction) * len(spec.load_kg))
    n_cases = n_groups * inner
    table = 8 * (n_geo * (2 * GEO_COLS + 3) + nc * na * nb * 2)
    chunk = min(int(chunk_cases), n_cases) * (2 * 8 * n_columns + 11 * 4 + 1 + 11 * 8)
    return GridSize(n_cases=n_cases, n_groups=n_groups, n_geometry=n_geo,
                    geometry_axes=geo_axes, table_bytes=table, chunk_bytes=chunk)


def check_size(size: GridSize, *, max_cases: int | None = None,
               memory_budget_bytes: int | None = MEMORY_BUDGET_BYTES,
               cases_hint: str = "raise max_cases to run it") -> None:
    """Raise :class:`GridSizeError` when the run has more than ``max_cases`` cases or would
    hold more than ``memory_budget_bytes`` before computing (None: no limit)."""
    if max_cases is not None and size.n_cases > max_cases:
        raise GridSizeError(
            f"this grid has {size.n_cases:,} cases (over {max_cases:,}); {cases_hint}")
    if memory_budget_bytes is not None and size.memory_bytes > memory_budget_bytes:
        factors = " x ".join(f"{n:,}" for _, n in size.geometry_axes)
        names = " x ".join(name for name, _ in size.geometry_axes)
        raise GridSizeError(
            f"this grid would need about {_bytes(size.memory_bytes)} before computing "
            f"(a geometry table of {size.n_geometry:,} rows, {names} = {factors}), over the "
            f"{_bytes(memory_budget_bytes)} budget; use fewer angle_deg, overlap, "
            "impact_position or tangential values or fewer vehicles, or split the run into "
            "several grids")


def _bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
