"""Grid runs: vehicle pairs x impact conditions, computed chunk by chunk in compiled code.

A grid specification (:class:`GridSpec`) names the vehicles and the values of every axis. The
grid is their Cartesian product, in this axis order (the last varies fastest)::

    subject, partner, configuration, <speed axes>, angle_deg, overlap, impact_position,
    restitution, friction, load_kg

The subject axis holds the subject vehicles followed by the reference vehicles, which take the
subject's place in the same crashes for comparison (``subject_role`` tells them apart).

Speeds come in one of two modes:

- closing speed (``closing_speed_kph``, the default): in ``frontal`` impacts the subject drives at
  ``split * vc`` and the partner at ``(1 - split) * vc``; in ``side`` and ``rear`` impacts the
  partner strikes at ``vc`` and the subject stands still; in ``side-struck-by-subject`` the subject
  strikes at ``vc`` and the partner stands still (the crash-test convention of a stationary struck
  vehicle). Speed axes: ``closing_speed_kph``.
- explicit (``subject_speed_kph`` and ``partner_speed_kph``): both axes, each vehicle along its own
  heading, as in :func:`crashcompat.collide`.

``overlap`` applies to ``frontal`` and ``rear``; ``impact_position`` (``driver-seat`` or metres
ahead of the struck vehicle's CG) to ``side`` and ``side-struck-by-subject``. In configurations an
axis does not apply to, its values repeat the same case. ``restitution`` values are numbers or
``model`` (the speed-dependent model of PHYSICS.md 3, evaluated per case). ``load_kg`` is mass added
to the subject at its CG (occupants, cargo) with a constant radius of gyration.

The run never builds arrays the size of the grid: :mod:`crashcompat.kernels.grid` decodes each case
from its flat index and small per-axis tables, chunk by chunk, in parallel.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crashcompat._version import __version__
from crashcompat.errors import STATUS_NAMES, CrashCompatError, GeometryError
from crashcompat.severity.measures import (DEFAULT_RISK_CURVES, height_engagement, parse_measures,
                                  resolve_curves)
from crashcompat.physics.restitution import DEFAULT_RESTITUTION_MODEL
from crashcompat.physics.collide import CONFIGURATIONS, LIMITS, impact_geometry
from crashcompat.units import KPH

__all__ = ["GridSpec", "GridRun", "run_grid", "PRESETS", "parse_range", "load_spec",
           "GridSpecError", "DEFAULT_REFERENCES"]

#: Reference cars that take the subject's place by default: a US small (compact) and a
#: mid-size sedan.
DEFAULT_REFERENCES = ("us-car/toyota-corolla", "us-car/toyota-camry")

#: Target number of cases per compiled chunk (bounded memory: ~20 float64 columns per case).
DEFAULT_CHUNK = 1 << 19


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
        return _validated(dataclasses.replace(self, **kw))


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


def _validated(spec: GridSpec) -> GridSpec:
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
        return _validated(dataclasses.replace(base, **kw))
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


# --------------------------------------------------------------------------------------------

class Summary:
    """Grid summary: comparison rows, worst cases and counts by status.

    The per-group statistics stay in arrays; :meth:`iter_rows` generates the comparison rows one
    at a time (their number grows with subjects x partners x configurations x speeds x
    references), so printing or saving a summary of any grid stays in bounded memory. ``rows``
    builds the whole list, for small grids and interactive use.
    """

    def __init__(self, run: "GridRun", stats, worst, status_counts, extra=None):
        self._run = run
        self._stats = stats  # (subjects+references, partners, configurations, speed_a, speed_b, k)
        self._extra = extra or {}  # column -> per-group mean, same leading shape as stats
        self.worst = worst
        self.status_counts = status_counts
        self.n_cases = run.n_cases
        speed_names = [n for n in run.axes if n.endswith("_speed_kph")]
        self.columns = ("subject", "partner", "configuration", *speed_names,
                        "subject_occupant_dv_kph", "subject_occupant_dv_max_kph",
                        "partner_occupant_dv_kph", "subject_energy_share", "reference",
                        "reference_occupant_dv_kph", "ratio", *self._extra_columns())
        self.worst_columns = tuple(worst[0]) if worst else ()
        self.n_rows = (len(run.subject_ids) * len(run.partner_ids) * len(run.axes["configuration"])
                       * int(np.prod(run._kshape[3:5])) * max(1, len(run.reference_ids)))

    def _extra_columns(self) -> list[str]:
        cols = []
        for k in self._extra:
            if k.startswith("subject_risk_"):
                curve = k.removeprefix("subject_risk_")
                cols += [k, f"partner_risk_{curve}", f"reference_risk_{curve}",
                         f"relative_risk_{curve}"]
            elif k.startswith("subject_") and "_risk_" not in k:
                cols += [k, "reference_" + k.removeprefix("subject_")]
        return cols

    def iter_rows(self):
        """Yield the comparison rows (dicts keyed by :attr:`columns`), in grid order."""
        from crashcompat.kernels.grid import SUMMARY_STATS

        run, st = self._run, self._stats
        col = {name: k for k, name in enumerate(SUMMARY_STATS)}
        k_mean, k_max = col["subject_occupant_dv_mean_kph"], col["subject_occupant_dv_max_kph"]
        k_part, k_share = col["partner_occupant_dv_mean_kph"], col["energy_share_subject_mean"]
        speed_names = [n for n in run.axes if n.endswith("_speed_kph")]
        sa = [float(x) for x in run.axes[speed_names[0]]]
        sb = [float(x) for x in run.axes[speed_names[1]]] if len(speed_names) > 1 else [None]
        ns = len(run.subject_ids)
        refs = run.reference_ids or [None]
        extra_keys = [k for k in self._extra if k.startswith("subject_")]
        for i, s_id in enumerate(run.subject_ids):
            for j, p_id in enumerate(run.partner_ids):
                for c, conf in enumerate(run.axes["configuration"]):
                    for a, va in enumerate(sa):
                        for b, vb in enumerate(sb):
                            v = st[i, j, c, a, b]
                            base = {"subject": s_id, "partner": p_id, "configuration": conf,
                                    speed_names[0]: va}
                            if vb is not None:
                                base[speed_names[1]] = vb
                            base["subject_occupant_dv_kph"] = _r(v[k_mean])
                            base["subject_occupant_dv_max_kph"] = _r(v[k_max])
                            base["partner_occupant_dv_kph"] = _r(v[k_part])
                            base["subject_energy_share"] = _r(v[k_share], 3)
                            for r_k, r_id in enumerate(refs):
                                row = dict(base)
                                row["reference"] = r_id or ""
                                if r_id is None:
                                    row["reference_occupant_dv_kph"] = None
                                    row["ratio"] = None
                                else:
                                    ref = st[ns + r_k, j, c, a, b][k_mean]
                                    row["reference_occupant_dv_kph"] = _r(ref)
                                    row["ratio"] = _r(v[k_mean] / ref, 3) if ref > 0 else None
                                for key in extra_keys:
                                    ex = self._extra[key]
                                    mine = ex[i, j, c, a, b]
                                    theirs = ex[ns + r_k, j, c, a, b] if r_id else np.nan
                                    if key.startswith("subject_risk_"):
                                        curve = key.removeprefix("subject_risk_")
                                        part = self._extra[f"partner_risk_{curve}"][i, j, c, a, b]
                                        row[key] = _r(mine, 4)
                                        row[f"partner_risk_{curve}"] = _r(part, 4)
                                        row[f"reference_risk_{curve}"] = _r(theirs, 4)
                                        row[f"relative_risk_{curve}"] = (
                                            _r(mine / theirs, 3) if theirs > 0 else None)
                                    else:
                                        row[key] = _r(mine)
                                        row["reference_" + key.removeprefix("subject_")] = \
                                            _r(theirs)
                                yield row

    @property
    def rows(self) -> list[dict]:
        return list(self.iter_rows())

    def to_dict(self) -> dict:
        return {"rows": self.rows, "worst": self.worst, "status_counts": self.status_counts,
                "n_cases": self.n_cases}


class GridRun:
    """A prepared grid: axes, tables and compiled kernels; compute by chunks or summarise.

    Build with :func:`run_grid`. Nothing is computed until :meth:`chunks`, :meth:`summary`,
    :meth:`write`, :meth:`to_xarray` or :meth:`to_pandas` is called.
    """

    def __init__(self, spec: GridSpec, catalog=None, chunk_cases: int = DEFAULT_CHUNK):
        from crashcompat.catalog.loading import load_catalog

        self.spec = spec
        self.catalog = catalog if catalog is not None else load_catalog()
        cat = self.catalog
        self.subject_ids = cat.select(list(spec.subjects))
        self.reference_ids = [r for r in (cat.select(list(spec.references))
                                          if spec.references else [])
                              if r not in self.subject_ids]
        self.partner_ids = cat.select(list(spec.partners))
        subj = self.subject_ids + self.reference_ids
        self.roles = ["subject"] * len(self.subject_ids) + ["reference"] * len(self.reference_ids)
        self.chunk_cases = int(chunk_cases)

        axes: dict[str, object] = {
            "subject": tuple(subj),
            "partner": tuple(self.partner_ids),
            "configuration": tuple(spec.configurations),
        }
        if spec.speed_mode == "closing":
            axes["closing_speed_kph"] = np.asarray(spec.closing_speed_kph)
            sa, sb = spec.closing_speed_kph, (0.0,)
        else:
            axes["subject_speed_kph"] = np.asarray(spec.subject_speed_kph)
            axes["partner_speed_kph"] = np.asarray(spec.partner_speed_kph)
            sa, sb = spec.subject_speed_kph, spec.partner_speed_kph
        axes["angle_deg"] = np.asarray(spec.angle_deg)
        axes["overlap"] = np.asarray(spec.overlap)
        axes["impact_position"] = tuple(spec.impact_position)
        axes["restitution"] = tuple(spec.restitution)
        axes["friction"] = np.asarray(spec.friction)
        axes["load_kg"] = np.asarray(spec.load_kg)
        self.axes = axes
        self._kshape = np.array([len(subj), len(self.partner_ids), len(spec.configurations),
                                 len(sa), len(sb), len(spec.angle_deg), len(spec.overlap),
                                 len(spec.impact_position), len(spec.restitution),
                                 len(spec.friction), len(spec.load_kg)], dtype=np.int64)
        self.shape = tuple(len(v) for v in axes.values())
        self.n_cases = int(np.prod(self._kshape))
        self.n_groups = int(np.prod(self._kshape[:5]))
        self.inner = int(np.prod(self._kshape[5:]))
        self._tables(subj, sa, sb)
        self.curves = resolve_curves(spec.risk_curves) if "risk" in spec.measures else []
        self._summary: Summary | None = None

    # -- tables --------------------------------------------------------------------------------
    def _tables(self, subj, sa, sb):
        spec, cat = self.spec, self.catalog
        vehicles = [cat[v] for v in subj] + [cat[v] for v in self.partner_ids]
        self._veh = np.array([[v.mass_kg, v.yaw_inertia_kgm2] for v in vehicles])
        from crashcompat.kernels.grid import GEO_COLS

        ns, npart, nc = len(subj), len(self.partner_ids), len(spec.configurations)
        na, no, npos = len(spec.angle_deg), len(spec.overlap), len(spec.impact_position)
        geo = np.empty((ns * npart * nc * na * no * npos, GEO_COLS))
        geo_w = np.empty(len(geo))  # engaged width, m
        geo_g = np.empty((len(geo), 2))  # structure-height engagement of subject, partner
        g = 0
        for s_id in subj:
            s = cat[s_id]
            for p_id in self.partner_ids:
                p = cat[p_id]
                for conf in spec.configurations:
                    for ang in spec.angle_deg:
                        for ov in spec.overlap:
                            for pos in spec.impact_position:
                                x = None if pos == "driver-seat" else float(pos)
                                try:
                                    hs, hp, sl, pl, normal, _f, (k1, k2), w_eng = impact_geometry(
                                        s, p, conf, ang, ov, x, spec.struck_side,
                                        spec.overlap_side)
                                except GeometryError as exc:
                                    raise GridSpecError(
                                        f"{s_id} vs {p_id}, {conf}, impact_position {pos}: {exc}"
                                    ) from None
                                geo[g] = _geo_row(s, p, hs, hp, sl, pl, normal, k1, k2)
                                geo_w[g] = w_eng
                                geo_g[g] = (height_engagement(
                                    s.structure_height_low_m, s.structure_height_high_m,
                                    p.structure_height_low_m, p.structure_height_high_m)
                                    if conf == "frontal" else (1.0, 1.0))
                                g += 1
        self._geo = geo
        self._geoT = np.ascontiguousarray(geo.T)  # the summary kernel reads it transposed
        self._geo_w = geo_w
        self._geo_g = geo_g
        # per vehicle and face (front, side, rear): CRASH3 A, B, linear k, crush space, and
        # the yaw inertia for the pulse's effective masses
        faces = ("front", "side", "rear")
        self._face = np.array([[[getattr(v, f"crash3_a_{f}_n_per_m"),
                                 getattr(v, f"crash3_b_{f}_n_per_m2"),
                                 v.stiffness_n_per_m(f), v.crush_space_m(f)] for f in faces]
                               for v in vehicles])
        face_of = {"frontal": (0, 0), "side": (1, 0), "rear": (2, 0),
                   "side-struck-by-subject": (0, 1)}
        self._conf_faces = np.array([face_of[c] for c in spec.configurations])
        spd = np.zeros((nc, len(sa), len(sb), 2))
        for ic, conf in enumerate(spec.configurations):
            for ia, a in enumerate(sa):
                for ib, b in enumerate(sb):
                    if spec.speed_mode == "explicit":
                        vs, vp = a, b
                    elif conf == "frontal":
                        vs, vp = spec.split * a, (1.0 - spec.split) * a
                    elif conf == "side-struck-by-subject":
                        vs, vp = a, 0.0
                    else:
                        vs, vp = 0.0, a
                    spd[ic, ia, ib] = (vs * KPH, vp * KPH)
        self._spd = spd
        self._e = np.array([np.nan if e == "model" else float(e) for e in spec.restitution])
        self._mu = np.asarray(spec.friction, dtype=np.float64)
        self._load = np.asarray(spec.load_kg, dtype=np.float64)
        self._rmod = np.asarray(spec.restitution_model, dtype=np.float64)

    def _kargs(self):
        from crashcompat.physics.impact import ENERGY_REL_TOL

        return (self._kshape, self._veh, self._geo, self._spd, self._e, self._mu, self._load,
                self._rmod, ENERGY_REL_TOL)

    # -- description ---------------------------------------------------------------------------
    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns of the severity families chosen in ``spec.measures`` (risk, pulse)."""
        from crashcompat.severity.measures import PULSE_COLUMNS, risk_column

        cols = []
        for c in self.curves:
            cols += [risk_column("subject", c), risk_column("partner", c)]
        if "pulse" in self.spec.measures:
            cols.append("pulse_duration_s")
            for who in ("subject", "partner"):
                cols += [f"{who}_{name}" for name, _, _ in PULSE_COLUMNS[1:]]
                cols.append(f"{who}_pulse_engagement")
            cols.append("pulse_status")
        return tuple(cols)

    @property
    def result_columns(self) -> tuple[str, ...]:
        from crashcompat.kernels.grid import CASE_COLUMNS

        return CASE_COLUMNS + self.extra_columns + ("status",)

    def metadata(self) -> dict:
        """Version, spec, catalog hash, models and parameters: stored with every output."""
        m = self.spec.restitution_model
        return {
            "crashcompat_version": __version__,
            "grid_spec": self.spec.to_dict(),
            "catalog_sha256": self.catalog.content_hash(),
            "n_cases": self.n_cases,
            "axes": list(self.axes),
            "subject_roles": dict(zip(self.axes["subject"], self.roles)),
            "models": {
                "impact": "planar impulse-momentum with restitution and friction (PHYSICS.md 2; "
                          "Brach; Kudlich-Slibar)",
                "restitution_model": f"e(vc) = {m[1]} + ({m[0]} - {m[1]}) * exp(-vc / {m[2]} "
                                     "m/s), clipped to [0, 1] (PHYSICS.md 3, assumption)",
                "energy_split": "by engaged linear stiffness of the struck faces (PHYSICS.md 4)",
                "occupant_dv": "driver seat: dv_cg + dw x p (PHYSICS.md 0)",
                "speed_mode": self.spec.speed_mode,
                "speed_convention": (
                    f"closing speed: frontal split {self.spec.split} subject / "
                    f"{1 - self.spec.split} partner; side and rear: partner strikes, subject "
                    "still; side-struck-by-subject: subject strikes, partner still"
                    if self.spec.speed_mode == "closing" else "explicit speeds"),
            },
            "measures": list(self.spec.measures),
            "risk_curves": {c.name: {"outcome": c.outcome, "source": c.source}
                            for c in self.curves},
            "risk_note": ("probabilities at each occupant's driver-seat delta-v and PDOF; curves "
                          "from 1980s-2000s US field data with mixed belt use, comparators not "
                          "predictions; no bias correction for physics vs NASS delta-v "
                          "(PHYSICS.md 6)"),
            "pulse": ("CRASH3 effective masses along the impulse line, pulse impulse = planar "
                      f"impulse, {self.spec.pulse_model} force-crush, frontal height engagement "
                      "with floor 0.3 (crashcompat.severity.measures; assumptions)"
                      if "pulse" in self.spec.measures else None),
            "status_codes": {str(k): v for k, v in STATUS_NAMES.items()},
            "limits": LIMITS,
        }

    # -- compute -------------------------------------------------------------------------------
    def chunks(self, chunk_cases: int | None = None, progress=None, *, axis_columns: bool = True
               ) -> Iterator[tuple[int, dict]]:
        """Yield ``(start, table)`` for consecutive chunks of cases.

        ``table`` maps every axis name to its per-row values (numeric arrays, or
        :class:`crashcompat.runs.writers.Categorical` codes for string axes) and every result column
        to a 1-D array (``axis_columns=False`` leaves the axes out). Memory is bounded by one
        chunk. ``progress(n_done)`` is called after each.
        """
        from crashcompat.kernels.grid import CASE_COLUMNS, N_CASE, grid_chunk
        from crashcompat.runs.writers import Categorical

        size = int(chunk_cases or self.chunk_cases)
        # align chunks to whole groups where possible (nested loops in the kernel, fast Zarr
        # region writes)
        if self.inner <= size:
            size -= size % self.inner
        out = np.empty((N_CASE, size))
        status = np.empty(size, dtype=np.int8)
        idx = np.empty((11, size), dtype=np.int32)
        kargs = self._kargs()
        # which kernel axis (0..10) each public axis reads its index from
        kaxis = dict(zip(self.axes, self._axis_map()))
        for start in range(0, self.n_cases, size):
            m = min(size, self.n_cases - start)
            grid_chunk(start, *kargs, out[:, :m], status[:m], idx[:, :m])
            table: dict[str, object] = {}
            for name, coords in (self.axes.items() if axis_columns else ()):
                ix = idx[kaxis[name], :m]
                if isinstance(coords, tuple):
                    table[name] = Categorical(ix.copy(), coords)
                else:
                    table[name] = coords[ix]
            for k, col in enumerate(CASE_COLUMNS):
                table[col] = out[k, :m].copy()
            if self.extra_columns:
                table.update(self._extras(table, idx[:, :m], status[:m]))
            table["status"] = status[:m].copy()
            yield start, table
            if progress is not None:
                progress(m)

    def _extras(self, t: dict, idx, status) -> dict:
        """Risk and pulse columns for one chunk, vectorised over its cases."""
        from crashcompat.severity.measures import pulse_columns, pulse_for_impacts, risk_column
        from crashcompat.units import KPH

        out = {}
        for c in self.curves:
            for who in ("subject", "partner"):
                out[risk_column(who, c)] = c.probability(
                    t[f"{who}_occupant_dv_kph"] * KPH, t[f"{who}_pdof_deg"])
        if "pulse" not in self.spec.measures:
            return out
        ks = self._kshape
        isub, ip, ic = idx[0].astype(np.int64), idx[1].astype(np.int64), idx[2].astype(np.int64)
        g = ((((isub * ks[1] + ip) * ks[2] + ic) * ks[5] + idx[5]) * ks[6] + idx[6]) * ks[7] \
            + idx[7]
        iv2 = ks[0] + ip
        load = self._load[idx[10]]
        m_s = self._veh[isub, 0]
        m1 = m_s + load
        izz1 = self._veh[isub, 1] * (m1 / m_s)
        m2, izz2 = self._veh[iv2, 0], self._veh[iv2, 1]
        geo = self._geo[g]
        chs, shs = geo[:, 5], geo[:, 6]
        dl, dt = t["subject_dv_long_kph"] * KPH, t["subject_dv_lat_kph"] * KPH
        px = m1 * (chs * dl - shs * dt)
        py = m1 * (shs * dl + chs * dt)
        f1 = self._conf_faces[ic, 0]
        f2 = self._conf_faces[ic, 1]
        F1 = self._face[isub, f1]
        F2 = self._face[iv2, f2]
        e = np.where(np.isnan(t["restitution_used"]), 0.1, t["restitution_used"])
        res, _, _ = pulse_for_impacts(
            m1=m1, m2=m2, izz1=izz1, izz2=izz2, r1x=geo[:, 0], r1y=geo[:, 1], r2x=geo[:, 2],
            r2y=geo[:, 3], px=px, py=py, e=e, a1=F1[:, 0], b1=F1[:, 1], a2=F2[:, 0],
            b2=F2[:, 1], w1=self._geo_w[g], w2=self._geo_w[g], cs1=F1[:, 3], cs2=F2[:, 3],
            g1=self._geo_g[g, 0], g2=self._geo_g[g, 1],
            theta1_rad=np.radians(np.nan_to_num(t["subject_pdof_deg"])),
            theta2_rad=np.radians(np.nan_to_num(t["partner_pdof_deg"])),
            model=self.spec.pulse_model, k1=F1[:, 2], k2=F2[:, 2])
        ok = status <= 2
        for who, prefix in ((1, "subject"), (2, "partner")):
            for k, v in pulse_columns(res, who, prefix).items():
                out[k] = np.where(ok, v, np.nan)
            out[f"{prefix}_pulse_engagement"] = self._geo_g[g, who - 1]
        # the pulse's own status where the impact happened (0 ok, 5 not separated), else the
        # impact's status
        out["pulse_status"] = np.where(ok, res.status, status).astype(np.int8)
        return {k: out[k] for k in self.extra_columns}

    def _axis_map(self) -> list[int]:
        """Kernel axis number of each public axis (the kernel always has two speed axes)."""
        if self.spec.speed_mode == "closing":
            return [0, 1, 2, 3, 5, 6, 7, 8, 9, 10]
        return [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

    #: The summary keeps about 100 bytes per group (subject x partner x configuration x speeds);
    #: above this many groups it would not fit the 1 GiB memory budget.
    MAX_SUMMARY_GROUPS = 4_000_000

    def summary(self, progress=None, top: int = 10) -> Summary:
        """Summary per (subject, partner, configuration, speeds), against each reference."""
        if self.n_groups > self.MAX_SUMMARY_GROUPS:
            raise CrashCompatError(
                f"the summary would have {self.n_groups:,} rows (subject x partner x "
                f"configuration x speeds; limit {self.MAX_SUMMARY_GROUPS:,}); use fewer speeds "
                "or vehicles, or write the cases with -o and --summary none")
        if self._summary is None:
            self._summary = self._compute_summary(progress, top)
        return self._summary

    def _compute_summary(self, progress, top) -> Summary:
        from crashcompat.kernels.grid import N_STATS, N_STATUS, grid_summary

        ng = self.n_groups
        stats = np.empty((ng, N_STATS))
        argmax = np.empty(ng, dtype=np.int64)
        counts = np.empty((ng, N_STATUS), dtype=np.int64)
        worst_vals = np.empty((ng, 3))
        curves = self._curve_table()
        risk = np.empty((ng, len(curves), 2))
        kargs = self._kargs()
        # the summary kernel reads the geometry table transposed (unit-stride, vectorised)
        kargs = (kargs[0], kargs[1], self._geoT, *kargs[3:])
        step = max(1, self.chunk_cases // max(self.inner, 1))
        for g0 in range(0, ng, step):
            g1 = min(ng, g0 + step)
            grid_summary(g0, *kargs, stats[g0:g1], argmax[g0:g1], counts[g0:g1],
                         worst_vals[g0:g1], curves, risk[g0:g1])
            if progress is not None:
                progress((g1 - g0) * self.inner)
        shape5 = tuple(int(x) for x in self._kshape[:5])
        ns_subj = len(self.subject_ids)
        # worst cases for subjects (not references): the largest occupant delta-v
        subj_groups = np.arange(ng).reshape(shape5)[:ns_subj].ravel()
        mx = stats[subj_groups, 1]
        order = subj_groups[np.argsort(np.where(np.isnan(mx), np.inf, -mx), kind="stable")]
        worst = []
        for g in order[:top]:
            i = int(argmax[g])
            if i < 0:
                continue
            row = self._axis_values(i)
            row["subject_occupant_dv_kph"] = _r(worst_vals[g, 0])
            row["subject_dv_kph"] = _r(worst_vals[g, 1])
            row["partner_occupant_dv_kph"] = _r(worst_vals[g, 2])
            row["case"] = i
            worst.append(row)
        total = counts.sum(axis=0)
        status_counts = {STATUS_NAMES[k]: int(total[k]) for k in range(N_STATUS)}
        from crashcompat.severity.measures import risk_column

        extra = {}
        for k, c in enumerate(self.curves):
            extra[risk_column("subject", c)] = risk[:, k, 0]
            extra[risk_column("partner", c)] = risk[:, k, 1]
        if "pulse" in self.spec.measures:
            extra.update(self._extra_group_means(progress))
        return Summary(self, stats.reshape(*shape5, N_STATS), worst, status_counts,
                       {k: v.reshape(shape5) for k, v in extra.items()})

    #: severity columns averaged per group for the summary (besides every risk column)
    _SUMMARY_PULSE = ("subject_olc_g", "subject_crush_ratio", "subject_occupant_peak_g")

    def _curve_table(self) -> np.ndarray:
        """The risk curves as rows for the summary kernel (see kernels.grid CURVE_*)."""
        from crashcompat.severity.risk import JokschCurve, LogisticCurve, MalliarisOne

        rows = []
        for c in self.curves:
            if isinstance(c, JokschCurve):
                rows.append((1.0, 0, 0, 0, 0, c.dv_ref_mph, c.power))
            elif isinstance(c, MalliarisOne):
                rows.append((0.0, c.a0, c.a1_per_mph, c.a_side, c.a_rear, 1.0, 1.0))
            elif isinstance(c, LogisticCurve):
                rows.append((0.0, c.a0, c.a1_per_mph, 0.0, 0.0, 1.0, 1.0))
            else:
                raise CrashCompatError(f"risk curve {c.name!r} has no compiled form for grids")
        return np.array(rows, dtype=np.float64).reshape(len(rows), 7)

    def _extra_group_means(self, progress) -> dict:
        """Mean of a few pulse columns per group, over the cases with a result, from a streamed
        pass over the chunks (bounded memory)."""
        names = [c for c in self._SUMMARY_PULSE if c in self.extra_columns]
        ng, inner = self.n_groups, self.inner
        sums = {k: np.zeros(ng) for k in names}
        counts = np.zeros(ng)
        for start, t in self.chunks(progress=progress, axis_columns=False):
            m = len(t["status"])
            gid = np.arange(start, start + m, dtype=np.int64) // inner
            g0 = int(gid[0])
            gid -= g0
            n_g = int(gid[-1]) + 1
            ok = t["status"] <= 2
            counts[g0:g0 + n_g] += np.bincount(gid, weights=ok, minlength=n_g)
            for k in names:
                v = np.where(ok, t[k], 0.0)
                sums[k][g0:g0 + n_g] += np.bincount(gid, weights=np.nan_to_num(v), minlength=n_g)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {k: np.where(counts > 0, sums[k] / counts, np.nan) for k in names}

    def case(self, i: int) -> dict:
        """One case by flat index: axis values and results, as a dict (for reports and tests)."""
        from crashcompat.kernels.grid import CASE_COLUMNS, N_CASE, grid_chunk

        out = np.empty((N_CASE, 1))
        status = np.empty(1, dtype=np.int8)
        grid_chunk(int(i), *self._kargs(), out, status, np.empty((11, 1), dtype=np.int32))
        row = self._axis_values(i)
        for k, col in enumerate(CASE_COLUMNS):
            row[col] = _r(out[k, 0], 6)
        row["status"] = STATUS_NAMES[int(status[0])]
        return row

    def _axis_values(self, i: int) -> dict:
        row = {}
        for name, ix in zip(self.axes, np.unravel_index(int(i), self.shape)):
            v = self.axes[name][int(ix)]
            row[name] = v if isinstance(v, str) else float(v)
        return row

    # -- outputs -------------------------------------------------------------------------------
    def write(self, path, fmt: str | None = None, *, overwrite: bool = False, progress=None
              ) -> Path:
        """Stream every case to ``path`` (CSV, Parquet or Zarr), atomically."""
        from crashcompat.runs.writers import format_from_path, open_writer

        fmt = format_from_path(path, fmt)
        columns = {c: np.float64 for c in self.result_columns[:-1]}
        columns["status"] = np.int8
        if "pulse_status" in columns:
            columns["pulse_status"] = np.int8
        with open_writer(path, fmt, axes=self.axes, columns=columns, metadata=self.metadata(),
                         overwrite=overwrite) as w:
            # the writers derive axis values from the row index themselves
            for start, table in self.chunks(progress=progress, axis_columns=False):
                w.write(start, table)
        return Path(path)

    def to_pandas(self, max_cases: int = 20_000_000):
        """All cases as a ``pandas.DataFrame`` (one row per case; categorical string axes)."""
        import pandas as pd

        self._check_size(max_cases, "to_pandas")
        frames = []
        for _, table in self.chunks():
            cols = {}
            for k, v in table.items():
                if hasattr(v, "categories"):
                    cols[k] = pd.Categorical.from_codes(v.codes, categories=list(v.categories))
                else:
                    cols[k] = v
            frames.append(pd.DataFrame(cols))
        df = pd.concat(frames, ignore_index=True)
        df.attrs["crashcompat"] = self.metadata()
        return df

    def to_xarray(self, max_cases: int = 20_000_000):
        """All cases as a labelled ``xarray.Dataset`` with the grid's axes as dimensions."""
        import xarray as xr

        self._check_size(max_cases, "to_xarray")
        data = {c: np.empty(self.n_cases,
                            dtype=np.int8 if c in ("status", "pulse_status") else np.float64)
                for c in self.result_columns}
        for start, table in self.chunks():
            m = len(table["status"])
            for c in self.result_columns:
                data[c][start:start + m] = table[c]
        dims = list(self.axes)
        coords = {k: list(v) if isinstance(v, tuple) else v for k, v in self.axes.items()}
        ds = xr.Dataset({c: (dims, a.reshape(self.shape)) for c, a in data.items()},
                        coords=coords)
        ds.attrs["crashcompat"] = json.dumps(self.metadata())
        return ds

    def _check_size(self, max_cases, what):
        if self.n_cases > max_cases:
            raise CrashCompatError(
                f"{what} would hold {self.n_cases:,} cases in memory (limit {max_cases:,}); "
                "stream with chunks() or write() instead, or raise max_cases")


def _r(x, nd=3):
    x = float(x)
    return None if math.isnan(x) else round(x, nd)


def _geo_row(s, p, hs, hp, s_local, p_local, normal, k1, k2):
    from crashcompat.physics.collide import _rot, cos_sin_deg

    r1 = _rot(hs, *s_local)
    r2 = _rot(hp, *p_local)
    seat1 = _rot(hs, s.driver_seat_x_m, s.driver_seat_y_m)
    seat2 = _rot(hp, p.driver_seat_x_m, p.driver_seat_y_m)
    return (r1[0], r1[1], r2[0], r2[1], normal, *cos_sin_deg(hs), *cos_sin_deg(hp),
            k1, k2, seat1[0], seat1[1], seat2[0], seat2[1], *cos_sin_deg(normal))


def run_grid(spec: GridSpec | dict | str | Path | None = None, *, catalog=None,
             threads: int | None = None, chunk_cases: int = DEFAULT_CHUNK) -> GridRun:
    """Prepare a grid run from a spec (a :class:`GridSpec`, a dict of spec keys, a TOML path, or
    None for the ``kei-vs-us`` preset). Compute with the returned object's methods.
    """
    if spec is None:
        spec = GridSpec(**PRESETS["kei-vs-us"])
    elif isinstance(spec, (str, Path)):
        spec = load_spec(spec)
    elif isinstance(spec, dict):
        spec = spec_from_dict(spec)
    elif isinstance(spec, GridSpec):
        spec = _validated(spec)
    else:
        raise TypeError("spec must be a GridSpec, a dict, a path or None")
    if threads is not None:
        from crashcompat.kernels._jit import set_threads

        if threads < 1:
            raise GridSpecError("threads must be >= 1")
        set_threads(min(threads, _max_threads()))
    return GridRun(spec, catalog=catalog, chunk_cases=chunk_cases)


def _max_threads() -> int:
    import numba

    return numba.config.NUMBA_NUM_THREADS

