"""Exposure models: what a car meets in two-vehicle crashes, as weights over a grid's groups.

An exposure file (TOML; the bundled ``us`` model is ``crashcompat/data/exposure/us.toml``) gives
three independent distributions (docs/uncertainty.md, "Exposure"):

- ``[partner_class.<name>]``: the share of crashes with a partner of each class, with the
  catalog class its vehicles come from (``catalog_class``);
- ``[configuration]``: how the car is struck, either as ``crash_types`` counts (``head_on``,
  ``rear_end``, ``angle``, ``sideswipe``) with ``near_share_of_side``, mapped to the grid's
  configurations by fixed rules (:data:`CRASH_TYPE_RULES`), or as ``[configuration.shares]`` of
  the exposure configurations :data:`CONFIGURATIONS`;
- ``[severity.frontal|side|rear]``: a lognormal distribution of delta-v (``median_dv_kph``,
  ``sigma_ln``; converted to closing speed by ``[severity] closing_speed_per_delta_v``) or of
  closing speed (``median_closing_speed_kph``).

:meth:`Exposure.weights` turns them into a weight per (partner vehicle, exposure configuration,
closing speed) of a grid: the class share spread equally over the class's partner vehicles in
the grid, times the configuration share, times the probability of the closing-speed bin around
each grid speed (bins end halfway between neighbouring speeds; the first starts at 0 and the
last is open, so the weights sum to 1). Classes or configurations the grid does not have are
left out and the rest renormalised, and the result says so.

Option (issue 16, requirement 4): the rear severity can instead come from the highway scenarios'
speed-deficit distribution (:mod:`crashcompat.runs.highway`): ``load_exposure("us",
rear_severity="highway")``, :meth:`Exposure.with_highway_rear`, or ``use = true`` in an exposure
file's ``[severity.rear_highway]`` table. The default is unchanged (docs/highway.md, "Exposure
option", has the assumptions).

Every other key in the file is provenance (sources, quotes, derivations): kept, and reported in
the run's metadata. A file is validated when it is loaded; every problem is one sentence naming
the file and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from crashcompat.errors import CrashCompatError

__all__ = ["Exposure", "ExposureError", "ExposureWeights", "load_exposure", "BUNDLED",
           "CONFIGURATIONS", "CRASH_TYPE_RULES", "SEVERITY_OF", "lognormal_cdf",
           "DeficitSeverity", "highway_rear_severity"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "exposure"
#: Bundled exposure models by name.
BUNDLED = {"us": DATA_DIR / "us.toml"}

#: The exposure configurations, the subject's impact plane and how it maps to the grid:
#: side-near and side-far are the grid's ``side`` with the struck side the driver's and the
#: other one.
CONFIGURATIONS = ("frontal", "side-struck-by-subject", "side-near", "side-far", "rear")
#: Grid configuration of each exposure configuration.
GRID_CONFIGURATION = {"frontal": "frontal", "side-struck-by-subject": "side-struck-by-subject",
                      "side-near": "side", "side-far": "side", "rear": "rear"}
#: Which severity distribution each exposure configuration uses (the subject's impact plane).
SEVERITY_OF = {"frontal": "frontal", "side-struck-by-subject": "frontal", "side-near": "side",
               "side-far": "side", "rear": "rear"}
#: How the vehicles of one crash of each type are counted (per vehicle, the subject's view):
#: crash type -> {exposure configuration: vehicles per crash}; sides go to side-near and
#: side-far by ``near_share_of_side``. A rear-end striker's front hits the other's rear: the grid
#: has no such configuration, and it is counted as a front-to-front impact at the same closing
#: speed (the same collinear delta-v; docs/uncertainty.md).
CRASH_TYPE_RULES = {
    "head_on": {"frontal": 2.0},
    "rear_end": {"frontal": 1.0, "rear": 1.0},
    "angle": {"side-struck-by-subject": 1.0, "side": 1.0},
    "sideswipe": {"side": 2.0},
}
#: Impact plane of each exposure configuration (the published marginals).
PLANE_OF = {"frontal": "frontal", "side-struck-by-subject": "frontal", "side-near": "side",
            "side-far": "side", "rear": "rear"}

_TOP_KEYS = {"schema_version", "name", "description", "compiled", "partner_class",
             "configuration", "severity", "partner_class_alt_1990s", "configuration_variants",
             "fleet_share", "cross_check", "notes"}


class ExposureError(CrashCompatError, ValueError):
    """An exposure file with problems; ``problems`` lists every one (one sentence each)."""

    def __init__(self, problems):
        self.problems = list(problems)
        text = (self.problems[0] if len(self.problems) == 1 else
                f"the exposure file has {len(self.problems)} problems: "
                + "; ".join(self.problems))
        super().__init__(text)


def lognormal_cdf(x, median, sigma):
    """P(X <= x) of a lognormal with this median and log standard deviation (x >= 0)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        z = (np.log(np.maximum(x, 0.0)) - math.log(median)) / (sigma * math.sqrt(2.0))
    return 0.5 * _erfc(-z)


def _erfc(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.array([math.erfc(v) if math.isfinite(v) else (0.0 if v > 0 else 2.0)
                    for v in z.ravel()]).reshape(z.shape)
    return out[()] if out.ndim == 0 else out


@dataclass(frozen=True)
class PartnerClass:
    name: str
    catalog_class: str
    share: float
    source: str
    derived: bool
    placeholder: bool


@dataclass(frozen=True)
class Severity:
    """A closing-speed distribution (lognormal), from a delta-v or closing-speed table."""

    plane: str
    median_closing_speed_kph: float
    sigma_ln: float
    quantity: str
    median_dv_kph: float | None
    population: str
    placeholder: bool

    def cdf(self, v_kph):
        return lognormal_cdf(v_kph, self.median_closing_speed_kph, self.sigma_ln)


@dataclass(frozen=True)
class DeficitSeverity:
    """A rear closing-speed distribution from the highway scenarios' speed deficits
    (:meth:`crashcompat.runs.highway.HighwayRun.deficit_distribution`): point masses
    ``probabilities`` at ``speeds_kph``, mixed with the file's own rear distribution ``base``
    as ``share * deficits + (1 - share) * base`` (``share`` 1: the deficits alone)."""

    plane: str
    speeds_kph: tuple
    probabilities: tuple
    share: float
    base: Severity | None
    population: str
    placeholder: bool = False
    quantity: str = "closing-speed (highway speed deficit)"
    sigma_ln: float | None = None
    median_dv_kph: float | None = None

    @property
    def median_closing_speed_kph(self) -> float:
        """The weighted median of the deficit points (the deficit part only)."""
        c = np.cumsum(self.probabilities)
        return float(np.asarray(self.speeds_kph)[int(np.searchsorted(c, 0.5))])

    def cdf(self, v_kph):
        v = np.asarray(v_kph, dtype=np.float64)
        pts = np.asarray(self.speeds_kph)
        cum = np.concatenate([[0.0], np.cumsum(self.probabilities)])
        cum /= cum[-1]  # exactly 1 at the top, so no bin gets a negative rounding remainder
        step = cum[np.searchsorted(pts, v, side="right")]
        if self.share >= 1.0 or self.base is None:
            return step
        return self.share * step + (1.0 - self.share) * self.base.cdf(v)


def highway_rear_severity(exposure: "Exposure", run=None, share: float = 1.0,
                          grade_shares=None, mode_shares=None) -> DeficitSeverity:
    """The rear severity of :meth:`Exposure.with_highway_rear`: the deficit distribution of
    ``run`` (a :class:`crashcompat.runs.highway.HighwayRun`; None runs the kei-highway preset
    without samples), weighted by traffic-speed quantile x grade share x mode share."""
    from crashcompat.runs.highway import run_highway

    if isinstance(share, bool) or not _is_number(share) or not 0.0 < share <= 1.0:
        raise ExposureError([f"exposure {exposure.name!r}: the highway rear share must be a "
                             f"number in (0, 1], got {share!r}"])
    if run is None:
        run = run_highway()
    speeds, probs = run.deficit_distribution(grade_shares, mode_shares)
    return DeficitSeverity(
        plane="rear", speeds_kph=tuple(float(x) for x in speeds),
        probabilities=tuple(float(x) for x in probs), share=float(share),
        base=exposure.severity.get("rear"),
        population=(f"speed deficits of the highway scenario {run.spec.name!r} (the kei "
                    f"subjects, each weighing the same; traffic quantile x grade share x "
                    f"hold/merge share, conditional on a deficit), share {share:g} of rear "
                    f"impacts; the rest from the file's rear distribution"
                    if share < 1 else
                    f"speed deficits of the highway scenario {run.spec.name!r} (the kei "
                    "subjects, each weighing the same; traffic quantile x grade share x "
                    "hold/merge share, conditional on a deficit), all rear impacts"))


@dataclass(frozen=True)
class ExposureWeights:
    """Weights of one grid: ``partner`` (n_partners,) the class share over the class's partners
    in the grid (0 for a partner of no exposure class), ``cls`` (n_partners,) its class index
    (-1 for none), ``class_names``, ``configuration`` {exposure configuration: share} over the
    configurations present, ``speed`` {exposure configuration: (n_speeds,) bin probabilities},
    and ``notes`` (sentences on what was renormalised or left out)."""

    partner: np.ndarray
    cls: np.ndarray
    class_names: tuple[str, ...]
    class_shares: dict
    configuration: dict
    speed: dict
    notes: tuple[str, ...]

    def grid(self, configurations) -> np.ndarray:
        """(n_partners, n_configurations, n_speeds, 1) weights of a run whose grid
        configurations stand for these exposure configurations (None: weight 0)."""
        n_s = len(next(iter(self.speed.values()))) if self.speed else 0
        out = np.zeros((len(self.partner), len(configurations), n_s, 1))
        for ic, name in enumerate(configurations):
            if name is None or name not in self.configuration:
                continue
            out[:, ic, :, 0] = (self.partner[:, None] * self.configuration[name]
                                * self.speed[name][None, :])
        return out


@dataclass(frozen=True)
class Exposure:
    """A loaded, validated exposure model (see the module docstring)."""

    name: str
    path: str
    description: str
    partner_classes: tuple[PartnerClass, ...]
    configuration: dict          # exposure configuration -> share (sums to 1)
    configuration_method: str
    configuration_source: str
    severity: dict               # plane -> Severity
    closing_speed_per_delta_v: float | None
    raw: dict = field(repr=False)

    @property
    def plane_shares(self) -> dict:
        """Shares by impact plane (frontal, side, rear): the published marginals."""
        out = {"frontal": 0.0, "side": 0.0, "rear": 0.0}
        for k, v in self.configuration.items():
            out[PLANE_OF[k]] += v
        return out

    def weights(self, partner_classes, configurations, speeds_kph) -> ExposureWeights:
        """Weights for a grid with partners of these catalog classes, these exposure
        configurations present (names of :data:`CONFIGURATIONS`) and these closing speeds."""
        notes = []
        by_cat = {c.catalog_class: k for k, c in enumerate(self.partner_classes)}
        cls = np.array([by_cat.get(c, -1) for c in partner_classes], dtype=np.int64)
        present = {k for k in cls if k >= 0}
        missing = [c for k, c in enumerate(self.partner_classes) if k not in present
                   and c.share > 0]
        if not present:
            raise ExposureError([
                f"exposure {self.name!r}: none of the grid's partners is of a class the model "
                f"weights ({', '.join(c.catalog_class for c in self.partner_classes)}); add "
                "partners of those classes"])
        total = sum(self.partner_classes[k].share for k in present)
        if missing:
            notes.append("the grid has no partner of class " + ", ".join(
                f"{c.catalog_class} (share {c.share:g})" for c in missing)
                + f": the other classes' shares are renormalised to sum to 1 (x {1 / total:.3g})")
        others = sorted({c for c, k in zip(partner_classes, cls) if k < 0})
        if others:
            notes.append(f"partners of class {', '.join(others)} have no share in exposure "
                         f"{self.name!r} and get weight 0")
        class_shares = {self.partner_classes[k].name: self.partner_classes[k].share / total
                        for k in sorted(present)}
        counts = np.bincount(cls[cls >= 0], minlength=len(self.partner_classes))
        partner = np.array([self.partner_classes[k].share / total / counts[k] if k >= 0 else 0.0
                            for k in cls])
        conf = {k: v for k, v in self.configuration.items() if k in set(configurations)
                and v > 0}
        if not conf:
            raise ExposureError([
                f"exposure {self.name!r}: the grid has none of the configurations the model "
                f"weights ({', '.join(CONFIGURATIONS)})"])
        ctot = sum(conf.values())
        lost = [k for k, v in self.configuration.items() if v > 0 and k not in conf]
        if lost:
            notes.append("the grid has no " + ", ".join(
                f"{k} impacts (share {self.configuration[k]:.3g})" for k in lost)
                + f": the other configurations' shares are renormalised (x {1 / ctot:.3g})")
        conf = {k: v / ctot for k, v in conf.items()}
        speed = {k: speed_bin_weights(speeds_kph, self.severity[SEVERITY_OF[k]])
                 for k in conf}
        return ExposureWeights(partner=partner, cls=cls,
                               class_names=tuple(c.name for c in self.partner_classes),
                               class_shares=class_shares, configuration=conf, speed=speed,
                               notes=tuple(notes))

    def with_highway_rear(self, run=None, share: float = 1.0, grade_shares=None,
                          mode_shares=None) -> "Exposure":
        """This exposure with its rear severity from the highway scenarios' speed deficits
        (:func:`highway_rear_severity`; docs/highway.md, "Exposure option")."""
        sev = dict(self.severity)
        sev["rear"] = highway_rear_severity(self, run, share, grade_shares, mode_shares)
        return dataclasses.replace(self, severity=sev)

    def to_dict(self) -> dict:
        """What the run's metadata records: the figures used and where they come from."""
        return {
            "name": self.name, "file": self.path, "description": self.description.strip(),
            "partner_class": {c.name: {"catalog_class": c.catalog_class, "share": c.share,
                                       "source": c.source, "derived": c.derived,
                                       "placeholder": c.placeholder}
                              for c in self.partner_classes},
            "configuration": dict(self.configuration),
            "configuration_method": self.configuration_method,
            "configuration_source": self.configuration_source,
            "severity": {k: {"median_closing_speed_kph": s.median_closing_speed_kph,
                             "sigma_ln": s.sigma_ln, "quantity": s.quantity,
                             "median_dv_kph": s.median_dv_kph, "population": s.population,
                             "placeholder": s.placeholder,
                             **({"speeds_kph": list(s.speeds_kph),
                                 "probabilities": list(s.probabilities), "share": s.share}
                                if isinstance(s, DeficitSeverity) else {})}
                         for k, s in self.severity.items()},
            "closing_speed_per_delta_v": self.closing_speed_per_delta_v,
        }


def speed_bin_weights(speeds_kph, severity: Severity) -> np.ndarray:
    """Probability of the closing-speed bin around each grid speed: bins end halfway between
    neighbouring (distinct) speeds, the first starts at 0 and the last is open, so the weights
    sum to 1; a speed listed twice shares its bin's probability equally."""
    v = np.asarray(speeds_kph, dtype=np.float64)
    u = np.unique(v)
    edges = np.concatenate([[0.0], 0.5 * (u[1:] + u[:-1]), [np.inf]])
    cdf = np.where(np.isinf(edges), 1.0, severity.cdf(np.where(np.isinf(edges), 1.0, edges)))
    cdf[0] = 0.0
    p = np.diff(cdf)
    out = np.empty(len(v))
    for k, x in enumerate(u):
        idx = np.flatnonzero(v == x)
        out[idx] = p[k] / len(idx)
    return out


# -- loading and validation -------------------------------------------------------------------

def load_exposure(which, rear_severity=None) -> Exposure:
    """An exposure model: a bundled name (``"us"``), a path to a TOML file, or an
    :class:`Exposure` (returned as it is). Raises :class:`ExposureError` listing every
    problem, one sentence each naming the file and key.

    ``rear_severity="highway"`` (or a :class:`crashcompat.runs.highway.HighwayRun`) takes the
    rear closing-speed distribution from the highway scenarios' speed deficits instead of the
    file's (:meth:`Exposure.with_highway_rear`); so does ``use = true`` in the file's
    ``[severity.rear_highway]`` table (with its optional ``share``). None keeps the file's."""
    if isinstance(which, Exposure) and rear_severity is None:
        return which
    exp = _load_exposure(which)
    table = exp.raw.get("severity", {}).get("rear_highway") if isinstance(exp.raw, dict) else None
    if rear_severity is None and isinstance(table, dict) and table.get("use") is True:
        rear_severity = "highway"
    if rear_severity is None:
        return exp
    share = table.get("share", 1.0) if isinstance(table, dict) else 1.0
    if isinstance(rear_severity, str):
        if rear_severity != "highway":
            raise ExposureError([f"exposure: rear_severity must be 'highway' or a HighwayRun, "
                                 f"got {rear_severity!r}"])
        return exp.with_highway_rear(None, share)
    from crashcompat.runs.highway import HighwayRun

    if isinstance(rear_severity, HighwayRun):
        return exp.with_highway_rear(rear_severity, share)
    raise ExposureError([f"exposure: rear_severity must be 'highway' or a HighwayRun, got "
                         f"{rear_severity!r}"])


def _load_exposure(which) -> Exposure:
    if isinstance(which, Exposure):
        return which
    if isinstance(which, str) and which in BUNDLED:
        path = BUNDLED[which]
    elif isinstance(which, (str, Path)):
        path = Path(which)
        if not path.suffix and not path.exists():
            raise ExposureError([f"exposure {str(which)!r} is neither a bundled model "
                                 f"({', '.join(BUNDLED)}) nor a file"])
    else:
        raise ExposureError([f"exposure: expected a bundled name ({', '.join(BUNDLED)}) or the "
                             f"path of a TOML file, got {which!r}"])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExposureError([f"exposure file {path} does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExposureError([f"could not read exposure file {path}: {exc}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExposureError([f"exposure file {path} is not valid TOML: {exc}"]) from None
    return parse_exposure(data, str(path))


def parse_exposure(data: dict, source: str) -> Exposure:
    """Validate the content of an exposure file; every problem is one sentence."""
    problems: list[str] = []

    def bad(key, what):
        problems.append(f"{source}: {key} {what}")

    for key in data:
        if key not in _TOP_KEYS:
            close = difflib.get_close_matches(key, sorted(_TOP_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            bad(key, f"is not a key of an exposure file{hint}")
    if data.get("schema_version") != 1:
        bad("schema_version", f"must be 1, found {data.get('schema_version')!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        bad("name", f"must be a non-empty string, found {name!r}")
        name = "?"
    classes = _partner_classes(data.get("partner_class"), bad)
    conf, method, conf_src = _configuration(data.get("configuration"), bad)
    severity, factor = _severity(data.get("severity"), bad)
    if problems:
        raise ExposureError(problems)
    return Exposure(name=name, path=source, description=str(data.get("description", "")),
                    partner_classes=classes, configuration=conf, configuration_method=method,
                    configuration_source=conf_src, severity=severity,
                    closing_speed_per_delta_v=factor, raw=data)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _share(v) -> bool:
    return _is_number(v) and 0.0 <= v <= 1.0


def _partner_classes(table, bad) -> tuple:
    if not isinstance(table, dict):
        bad("partner_class", "must be a table of partner classes ([partner_class.<name>] with "
            "catalog_class and share)")
        return ()
    out = []
    for name, entry in table.items():
        if not isinstance(entry, dict):
            continue  # provenance (method, derivation, ...)
        key = f"partner_class.{name}"
        cat = entry.get("catalog_class")
        share = entry.get("share")
        ok = True
        if not isinstance(cat, str) or not cat:
            bad(f"{key}.catalog_class", f"must name the catalog class of the partners (us-car, "
                f"us-truck, us-suv, us-van), found {cat!r}")
            ok = False
        if not _share(share):
            bad(f"{key}.share", f"must be a number in [0, 1], found {share!r}")
            ok = False
        if ok:
            out.append(PartnerClass(name, cat, float(share), str(entry.get("source", "")),
                                    bool(entry.get("derived", False)),
                                    bool(entry.get("placeholder", False))))
    if not out and isinstance(table, dict):
        bad("partner_class", "has no class table ([partner_class.<name>] with catalog_class and "
            "share)")
    cats = [c.catalog_class for c in out]
    for c in sorted({c for c in cats if cats.count(c) > 1}):
        bad("partner_class", f"names the catalog class {c!r} more than once")
    if out and len(out) == len([e for e in table.values() if isinstance(e, dict)]):
        total = sum(c.share for c in out)
        if abs(total - 1.0) > 1e-3:
            bad("partner_class", f"shares must sum to 1 (within 0.001), found {total:.4g}")
    return tuple(out)


def _configuration(table, bad):
    if not isinstance(table, dict):
        bad("configuration", "must be a table with crash_types counts or shares")
        return {}, "", ""
    src = str(table.get("source", ""))
    if "shares" in table:
        shares = table["shares"]
        if not isinstance(shares, dict):
            bad("configuration.shares", "must be a table of shares by configuration")
            return {}, "", src
        out = {}
        for k, v in shares.items():
            if k not in CONFIGURATIONS:
                close = difflib.get_close_matches(k, CONFIGURATIONS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                bad(f"configuration.shares.{k}", f"is not one of {', '.join(CONFIGURATIONS)}"
                    f"{hint}")
            elif not _share(v):
                bad(f"configuration.shares.{k}", f"must be a number in [0, 1], found {v!r}")
            else:
                out[k] = float(v)
        if out and abs(sum(out.values()) - 1.0) > 1e-3:
            bad("configuration.shares", f"must sum to 1 (within 0.001), found "
                f"{sum(out.values()):.4g}")
        return {k: out.get(k, 0.0) for k in CONFIGURATIONS}, "shares", src
    counts = table.get("crash_types")
    if not isinstance(counts, dict):
        bad("configuration", "needs crash_types (counts of head_on, rear_end, angle and "
            "sideswipe crashes) or shares (by configuration)")
        return {}, "", src
    near = table.get("near_share_of_side")
    if not _share(near):
        bad("configuration.near_share_of_side", f"must be a number in [0, 1], found {near!r}")
        return {}, "", src
    veh = {k: 0.0 for k in CONFIGURATIONS}
    for k, v in counts.items():
        if k == "other_unknown":
            if not (_is_number(v) and v >= 0):
                bad(f"configuration.crash_types.{k}", f"must be a count >= 0, found {v!r}")
            continue  # dropped: no impact plane
        if k not in CRASH_TYPE_RULES:
            close = difflib.get_close_matches(k, list(CRASH_TYPE_RULES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            bad(f"configuration.crash_types.{k}", f"is not one of "
                f"{', '.join(CRASH_TYPE_RULES)} or other_unknown{hint}")
            continue
        if not (_is_number(v) and v >= 0):
            bad(f"configuration.crash_types.{k}", f"must be a count >= 0, found {v!r}")
            continue
        for target, per_crash in CRASH_TYPE_RULES[k].items():
            if target == "side":
                veh["side-near"] += per_crash * v * near
                veh["side-far"] += per_crash * v * (1.0 - near)
            else:
                veh[target] += per_crash * v
    total = sum(veh.values())
    if total <= 0:
        bad("configuration.crash_types", "must have at least one crash of a known type")
        return {}, "", src
    return {k: v / total for k, v in veh.items()}, "crash_types", src


def _severity(table, bad):
    if not isinstance(table, dict):
        bad("severity", "must be a table with [severity.frontal], [severity.side] and "
            "[severity.rear] distributions")
        return {}, None
    factor = table.get("closing_speed_per_delta_v")
    if factor is not None and not (_is_number(factor) and factor > 0):
        bad("severity.closing_speed_per_delta_v", f"must be a number > 0, found {factor!r}")
        factor = None
    out = {}
    for plane in ("frontal", "side", "rear"):
        key = f"severity.{plane}"
        e = table.get(plane)
        if not isinstance(e, dict):
            bad(key, "is missing (a lognormal distribution of delta-v or closing speed)")
            continue
        if e.get("distribution") != "lognormal":
            bad(f"{key}.distribution", f"must be 'lognormal', found {e.get('distribution')!r}")
            continue
        sigma = e.get("sigma_ln")
        if not (_is_number(sigma) and sigma > 0):
            bad(f"{key}.sigma_ln", f"must be a number > 0, found {sigma!r}")
            continue
        quantity = str(e.get("quantity", ""))
        if quantity.startswith("delta-v"):
            med = e.get("median_dv_kph")
            if not (_is_number(med) and med > 0):
                bad(f"{key}.median_dv_kph", f"must be a number > 0 km/h, found {med!r}")
                continue
            if factor is None:
                bad("severity.closing_speed_per_delta_v", "is needed to turn the delta-v "
                    f"distribution of {key} into closing speed")
                continue
            vc, dv = float(med) * factor, float(med)
        elif quantity.startswith("closing-speed"):
            med = e.get("median_closing_speed_kph")
            if not (_is_number(med) and med > 0):
                bad(f"{key}.median_closing_speed_kph", f"must be a number > 0 km/h, found "
                    f"{med!r}")
                continue
            vc, dv = float(med), None
        else:
            bad(f"{key}.quantity", f"must start with 'delta-v' or 'closing-speed', found "
                f"{quantity!r}")
            continue
        out[plane] = Severity(plane, vc, float(sigma), quantity, dv,
                              str(e.get("population", "")), bool(e.get("placeholder", False)))
    return out, (float(factor) if factor is not None else None)
