"""Grid specifications: which vehicles meet in which crashes, axis by axis.

A grid spec (:class:`GridSpec`) names the vehicles and the values of every axis; the grid is
their Cartesian product (:mod:`crashcompat.runs.grid` runs it). Specs come from TOML files, dicts
or CLI options, and are validated here with a sentence that names the key: nothing downstream
sees an unchecked value. The meaning of each axis is documented in :mod:`crashcompat.runs.grid`
and docs/cli.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from crashcompat.errors import CrashCompatError
from crashcompat.physics.geometry import CONFIGURATIONS
from crashcompat.physics.restitution import DEFAULT_RESTITUTION_MODEL
from crashcompat.severity.measures import DEFAULT_RISK_CURVES, parse_measures, resolve_curves

__all__ = ["GridSpec", "GridSpecError", "PRESETS", "parse_range", "load_spec", "spec_from_dict",
           "DEFAULT_REFERENCES", "validated"]

#: Reference cars that take the subject's place by default: a US small (compact) and a
#: mid-size sedan.
DEFAULT_REFERENCES = ("us-car/toyota-corolla", "us-car/toyota-camry")



class GridSpecError(CrashCompatError, ValueError):
    """A grid specification that cannot be run; the message says which key and why."""


def parse_range(text, key: str) -> list[float]:
    """Parse an axis written as a number, a list of numbers, or ``start:stop:step``.

    The stop is included when it lies on the grid (``10:120:10`` gives 10, 20, ..., 120).
    """
    if isinstance(text, bool):
        raise GridSpecError(f"{key}: expected a number, a list or 'start:stop:step', got {text!r}")
    if isinstance(text, (int, float)):
        return [float(text)]
    if isinstance(text, (list, tuple)):
        out = []
        for item in text:
            out += parse_range(item, key)
        if not out:
            raise GridSpecError(f"{key}: the axis is empty; give at least one value")
        return out
    if not isinstance(text, str):
        raise GridSpecError(f"{key}: expected a number, a list or 'start:stop:step', got {text!r}")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > 1:
        return parse_range(parts, key)
    if not parts:
        raise GridSpecError(f"{key}: the axis is empty; give at least one value")
    t = parts[0]
    if ":" not in t:
        try:
            return [float(t)]
        except ValueError:
            raise GridSpecError(f"{key}: {t!r} is not a number") from None
    bits = t.split(":")
    if len(bits) != 3:
        raise GridSpecError(f"{key}: write a range as start:stop:step, got {t!r}")
    try:
        start, stop, step = (float(b) for b in bits)
    except ValueError:
        raise GridSpecError(f"{key}: {t!r} has a part that is not a number") from None
    if not step > 0:
        raise GridSpecError(f"{key}: the step of {t!r} must be > 0")
    if stop < start:
        raise GridSpecError(f"{key}: the range {t!r} is empty (stop below start)")
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return [start + k * step for k in range(n)]


def _labels(values, key, allowed_words) -> list[str]:
    """Axis values that are numbers or one of ``allowed_words``, as canonical string labels."""
    if isinstance(values, (str, int, float)) and not isinstance(values, bool):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, str) and v.strip() in allowed_words:
            out.append(v.strip())
        elif isinstance(v, str) and ":" not in v and "," in v:
            out += _labels(v.split(","), key, allowed_words)
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
    load_kg: tuple[float, ...] = (0.0,)
    struck_side: str = "driver"
    overlap_side: str = "left"
    restitution_model: tuple[float, float, float] = (
        DEFAULT_RESTITUTION_MODEL.e_lo, DEFAULT_RESTITUTION_MODEL.e_hi,
        DEFAULT_RESTITUTION_MODEL.v_ref_mps)
    measures: tuple[str, ...] = ("dv", "risk")
    risk_curves: tuple = DEFAULT_RISK_CURVES
    pulse_model: str = "crash3"
    name: str = "custom"

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

_SPEC_KEYS = {f.name for f in dataclasses.fields(GridSpec)} | {"preset"}


def _strs(value, key) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise GridSpecError(f"{key}: expected a list of strings, got {value!r}")
    return tuple(value)


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
    if not (isinstance(spec.split, (int, float)) and 0.0 <= spec.split <= 1.0):
        raise GridSpecError(f"split: the subject's share of the closing speed must be in [0, 1], "
                            f"got {spec.split!r}")
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
    kw["load_kg"] = tuple(parse_range(spec.load_kg, "load_kg"))
    if min(kw["load_kg"]) < 0:
        raise GridSpecError("load_kg: the added mass must be >= 0 kg")
    if spec.struck_side not in ("driver", "passenger", "left", "right"):
        raise GridSpecError("struck_side: must be driver, passenger, left or right")
    if spec.overlap_side not in ("left", "right"):
        raise GridSpecError("overlap_side: must be left or right")
    rm = tuple(float(x) for x in spec.restitution_model)
    if len(rm) != 3 or not (0 <= rm[0] <= 1 and 0 <= rm[1] <= 1 and rm[2] > 0):
        raise GridSpecError("restitution_model: give [e_lo, e_hi, v_ref_mps] with e in [0, 1] "
                            "and v_ref_mps > 0")
    kw["restitution_model"] = rm
    try:
        kw["measures"] = parse_measures(spec.measures)
        curves = spec.risk_curves
        if isinstance(curves, (str, dict)):
            curves = [curves]
        if isinstance(curves, tuple | list) and len(curves) == 1 and isinstance(curves[0], str):
            curves = [c.strip() for c in curves[0].split(",") if c.strip()]
        resolve_curves(curves)
        kw["risk_curves"] = tuple(curves)
    except CrashCompatError as exc:
        raise GridSpecError(str(exc)) from None
    if "risk" in kw["measures"] and not kw["risk_curves"]:
        raise GridSpecError("risk_curves: the list is empty; name at least one curve or drop "
                            "'risk' from measures")
    if spec.pulse_model not in ("crash3", "linear"):
        raise GridSpecError(f"pulse_model: must be crash3 or linear, got {spec.pulse_model!r}")
    return dataclasses.replace(spec, **kw)


def spec_from_dict(data: dict, source: str = "the grid spec", base: GridSpec | None = None
                   ) -> GridSpec:
    """Build a validated spec from a mapping (a TOML file's content or CLI options)."""
    kw = {}
    for key, value in data.items():
        if key not in _SPEC_KEYS:
            close = difflib.get_close_matches(key, sorted(_SPEC_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise GridSpecError(f"{source}: unknown key {key!r}{hint}")
        kw[key] = value
    preset = kw.pop("preset", None)
    if preset is not None:
        if preset not in PRESETS:
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
    except GridSpecError as exc:
        raise GridSpecError(f"{source}: {exc}") from None


def load_spec(path) -> GridSpec:
    """Read a grid spec from a TOML file (keys as in :class:`GridSpec`, plus ``preset``)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GridSpecError(f"grid spec {p} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GridSpecError(f"could not read grid spec {p}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GridSpecError(f"grid spec {p} is not valid TOML: {exc}") from None
    return spec_from_dict(data, source=str(p))
