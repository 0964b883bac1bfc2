"""Highway scenarios: the speed a car can hold on a grade or reach at the end of a merge, its
deficit against US freeway traffic, and the rear impact when traffic closes on it at that
deficit (issue 16, requirement 3; docs/highway.md).

Nothing here is new physics. The speeds come from the performance model
(:func:`crashcompat.physics.performance.highway_speeds`), the rear impacts from the grid
(:func:`crashcompat.runs.grid.run_grid` with ``configurations=("rear",)``), their bands from the
grid's Monte Carlo (docs/uncertainty.md). The scenario's inputs, the traffic speeds, the ramp
speed and the acceleration-lane length, are read from
``crashcompat/data/highway/us_freeway_speeds.toml`` with their sources.

A rear impact at closing speed ``vc`` gives the struck car the same delta-v whether it stands
still and the striker runs at ``vc`` (the grid's convention) or it drives at ``v`` and the
striker at ``v + vc``: the impulse model depends on the relative velocity only. The grid's
closing speed is therefore the deficit itself.

One grid is run per vehicle, with that vehicle's own deficits as the closing-speed axis, so
every delta-v and risk is computed at the exact deficit (no rounding to a shared axis). The
grids are small (partners x deficits, about 50 x 50 groups) and the run-wide Monte Carlo draws
depend only on the seed and the sample, so every grid of a run sees the same sampled world.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np

from crashcompat._version import __version__
from crashcompat.errors import CrashCompatError
from crashcompat.units import KPH, MPH

__all__ = ["HighwaySpec", "HighwayRun", "HighwayError", "run_highway", "HIGHWAY_PRESETS",
           "DATA_FILE", "load_highway_data", "THRESHOLD_KPH", "MODES"]

#: The scenario inputs with their sources.
DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "highway" / "us_freeway_speeds.toml"
#: The deficit the summary reports against (issue 16: "more than 20 km/h behind traffic").
THRESHOLD_KPH = 20.0
#: hold: the sustained speed on the grade; merge: the speed at the end of the acceleration lane.
MODES = ("hold", "merge")
_MPH_TO_KPH = MPH / KPH

#: Why a cell has no rear-impact result (``reason`` column); an empty reason means it has one.
REASONS = {
    "keeps-up": "the car keeps up with this traffic speed (deficit <= 0): no speed-deficit crash",
    "no-speed": "the performance model finds no speed the car can hold or reach here (status "
                "nonzero): no deficit is computed",
}

LIMITS = ("Deficit crashes only: the rear impacts here are those of traffic closing on a slow "
          "car at the speed difference, at full striker speed (no braking before impact), a "
          "worst case of that scenario; they are a part of rear crashes, not all of them. The "
          "impulse model gives delta-v, not structural collapse or intrusion; the risk curves "
          "are 1980s-2000s US field data (comparators, not predictions). Speeds assume full "
          "power, a warm sea-level day and no wind (docs/performance.md).")


class HighwayError(CrashCompatError, ValueError):
    """A highway scenario that cannot be run; the message names the field and what to do."""


def load_highway_data(path=None) -> dict:
    """The scenario data file (:data:`DATA_FILE` by default) as a dict."""
    p = Path(path or DATA_FILE)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HighwayError(f"highway data file {p} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise HighwayError(f"highway data file {p} is not valid TOML: {exc}") from None


def _data_defaults(data: dict) -> dict:
    t = data["traffic"]
    q = t["quantiles"]
    return dict(
        grades_pct=tuple(float(g) for g in data["grades"]["grades_pct"]),
        traffic_mean_kph=float(t["mean_mph"]) * _MPH_TO_KPH,
        traffic_sd_kph=float(t["sd_mph"]) * _MPH_TO_KPH,
        traffic_levels=tuple(float(x) for x in q["levels"]),
        traffic_weights=tuple(float(x) for x in q["weights"]),
        ramp_speed_kph=float(data["ramp"]["speed_kph"]),
        merge_distance_m=float(data["merge"]["distance_m"]),
    )


_FROM_DATA = ("grades_pct", "traffic_mean_kph", "traffic_sd_kph", "traffic_levels",
              "traffic_weights", "ramp_speed_kph", "merge_distance_m")


def _kei_vs_us(key):
    from crashcompat.runs.spec import PRESETS

    return tuple(PRESETS["kei-vs-us"][key])


@dataclass(frozen=True)
class HighwaySpec:
    """A highway scenario. Fields left ``None`` take the data file's values
    (:data:`DATA_FILE`): grades (percent), the traffic-speed distribution (normal, mean and sd in
    km/h) and the quantile levels that stand for it with their probability weights, the ramp
    speed (km/h) at the start of the acceleration lane and the lane's length (m). Subjects and
    references default to the kei-vs-us preset's, partners (the striking vehicles) to the US
    partner classes of the catalog."""

    subjects: tuple = None
    references: tuple = None
    partners: tuple = None
    grades_pct: tuple = None
    traffic_mean_kph: float = None
    traffic_sd_kph: float = None
    traffic_levels: tuple = None
    traffic_weights: tuple = None
    ramp_speed_kph: float = None
    merge_distance_m: float = None
    threshold_kph: float = THRESHOLD_KPH
    overlap: float = 1.0
    drive_side: str = "left"
    risk_curves: tuple = None
    name: str = "kei-highway"

    def resolved(self, data: dict | None = None) -> "HighwaySpec":
        """Every ``None`` filled in (data file, presets) and every field checked."""
        from crashcompat.runs.spec import US_PARTNER_CLASSES
        from crashcompat.severity.measures import DEFAULT_RISK_CURVES

        kw = {}
        if any(getattr(self, k) is None for k in _FROM_DATA):
            defaults = _data_defaults(data or load_highway_data())
            kw.update({k: v for k, v in defaults.items() if getattr(self, k) is None})
        if self.subjects is None:
            kw["subjects"] = _kei_vs_us("subjects")
        if self.references is None:
            kw["references"] = _kei_vs_us("references")
        if self.partners is None:
            kw["partners"] = tuple(US_PARTNER_CLASSES)
        if self.risk_curves is None:
            kw["risk_curves"] = tuple(DEFAULT_RISK_CURVES)
        spec = dataclasses.replace(self, **kw)
        spec._check()
        return spec

    def _check(self):
        for key in ("subjects", "references", "partners", "grades_pct", "traffic_levels",
                    "traffic_weights", "risk_curves"):
            v = getattr(self, key)
            if isinstance(v, str):
                v = tuple(x.strip() for x in v.split(",") if x.strip())
            if not isinstance(v, (tuple, list)):
                raise HighwayError(f"{key}: expected a list, got {v!r}")
            object.__setattr__(self, key, tuple(v))
        if not self.subjects:
            raise HighwayError("subjects: name at least one vehicle, glob or class")
        if not self.partners:
            raise HighwayError("partners: name at least one striking vehicle, glob or class")
        g = np.asarray(self.grades_pct, dtype=float)
        if g.size == 0 or not np.all(np.isfinite(g)) or np.any(g < 0) or np.any(g > 30):
            raise HighwayError(f"grades_pct: give upgrades in percent, 0 to 30, got "
                               f"{list(self.grades_pct)}")
        lv, w = np.asarray(self.traffic_levels, float), np.asarray(self.traffic_weights, float)
        if lv.size == 0 or lv.size != w.size:
            raise HighwayError("traffic_levels and traffic_weights must be lists of the same, "
                               "non-zero length")
        if np.any(lv <= 0) or np.any(lv >= 1) or np.any(np.diff(lv) <= 0):
            raise HighwayError("traffic_levels: quantile levels must rise strictly inside (0, 1)")
        if np.any(w < 0) or abs(w.sum() - 1.0) > 1e-9:
            raise HighwayError(f"traffic_weights: must be >= 0 and sum to 1, sum {w.sum():.6g}")
        for key, lo in (("traffic_mean_kph", 0.0), ("traffic_sd_kph", -1e-300),
                        ("ramp_speed_kph", -1e-300), ("merge_distance_m", -1e-300),
                        ("threshold_kph", -math.inf)):
            x = getattr(self, key)
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) \
                    or not x > lo:
                raise HighwayError(f"{key}: expected a finite number > {max(lo, 0):g}, got {x!r}")
        if not 0 < self.overlap <= 1:
            raise HighwayError(f"overlap: a fraction in (0, 1], got {self.overlap!r}")

    @property
    def traffic_speeds_kph(self) -> np.ndarray:
        """The traffic speeds: the normal distribution's quantiles at ``traffic_levels``."""
        n = NormalDist(self.traffic_mean_kph, self.traffic_sd_kph)
        return np.array([n.inv_cdf(q) for q in self.traffic_levels])

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}


#: Named highway scenarios (``crashcompat grid --preset kei-highway``): the data file's inputs,
#: the kei-vs-us preset's subjects and references, every US partner class as strikers.
HIGHWAY_PRESETS = {"kei-highway": dict(name="kei-highway")}


def _performance_problem(vehicle) -> str | None:
    """Why the performance model cannot give both speeds of this vehicle, or None."""
    from crashcompat.physics.performance import performance_params

    try:
        performance_params(vehicle).row(transient=True)
    except CrashCompatError as exc:
        return str(exc)
    return None


def _band(row, col):
    return tuple(row.get(f"{col}_{q}") for q in ("p05", "p50", "p95"))


class HighwayRun:
    """The result of :func:`run_highway`.

    - ``speeds``: the :class:`~crashcompat.physics.performance.HighwaySpeeds` of the vehicles
      (subjects, then references) that have every performance figure;
    - ``excluded``: vehicle id -> the sentence saying which figure it lacks;
    - :meth:`cells`: one row per (vehicle, grade, traffic speed, hold|merge): the speeds, the
      deficit, and the partner-weighted rear-impact delta-v and risks (``reason`` says why a
      cell has none);
    - :meth:`rows`: the same per striking partner, with the grid's values and bands;
    - :meth:`summary` / :meth:`to_text`: the headline; :meth:`to_dict`, :meth:`to_pandas`,
      :meth:`write`.
    """

    def __init__(self, spec: HighwaySpec, speeds, roles, excluded, grids, partner_weights,
                 partner_classes, curves, samples, seed, data):
        self.spec = spec
        self.speeds = speeds
        self.roles = roles
        self.excluded = excluded
        self.grids = grids                 # vehicle id -> GridRun (None: no positive deficit)
        self.partner_weights = partner_weights   # partner id -> weight (sum 1)
        self.partner_classes = partner_classes   # partner id -> catalog class
        self.curves = curves                     # (column suffix, curve name, outcome)
        self.samples = samples
        self.seed = seed
        self._data = data
        self._rows = None
        self._cells = None

    # -- tables --------------------------------------------------------------------------------
    def _deficit_cells(self):
        sp = self.speeds
        traffic = sp.traffic_speeds_kph
        for i, vid in enumerate(sp.vehicle_ids):
            for j, g in enumerate(sp.grades_pct):
                for mode in MODES:
                    v = sp.hold_kph[i, j] if mode == "hold" else sp.merge_kph[i, j]
                    st = sp.hold_status[i, j] if mode == "hold" else sp.merge_status[i, j]
                    d = (sp.deficit_hold_kph if mode == "hold" else sp.deficit_merge_kph)[i, j]
                    for k, t in enumerate(traffic):
                        if st != 0 or not math.isfinite(v):
                            reason = "no-speed"
                        elif d[k] <= 0:
                            reason = "keeps-up"
                        else:
                            reason = ""
                        yield dict(vehicle=vid, role=self.roles[vid], grade_pct=float(g),
                                   traffic_level=float(self.spec.traffic_levels[k]),
                                   traffic_kph=float(t),
                                   traffic_weight=float(self.spec.traffic_weights[k]),
                                   mode=mode, vehicle_speed_kph=_num(v),
                                   deficit_kph=_num(d[k]) if reason != "no-speed" else None,
                                   reason=reason)

    def _grid_rows(self, vid):
        """{(partner, closing speed): summary row} of one vehicle's grid."""
        g = self.grids.get(vid)
        if g is None:
            return {}
        return {(r["partner"], r["closing_speed_kph"]): r for r in g.summary().iter_rows()}

    def rows(self) -> list[dict]:
        """One row per (vehicle, grade, traffic speed, mode, partner) with a deficit crash, plus
        one row per cell without one (partner empty, ``reason`` saying why)."""
        if self._rows is None:
            self._build()
        return self._rows

    def cells(self) -> list[dict]:
        """One row per (vehicle, grade, traffic speed, mode): the deficit and the rear-impact
        values averaged over the partners with :attr:`partner_weights` (the ``us`` exposure's
        class shares spread equally over the class's vehicles). With samples, the bands are the
        weighted means of each partner's percentiles (see docs/highway.md, "Bands")."""
        if self._cells is None:
            self._build()
        return self._cells

    def _value_columns(self):
        cols = ["subject_occupant_dv_kph", "partner_occupant_dv_kph"]
        cols += [f"subject_risk_{c}" for c, _, _ in self.curves]
        return cols

    def _build(self):
        rows, cells = [], []
        value_cols = self._value_columns()
        banded = self.samples > 0
        by_vehicle = {}
        for cell in self._deficit_cells():
            vid = cell["vehicle"]
            if vid not in by_vehicle:
                by_vehicle[vid] = self._grid_rows(vid)
            grid_rows = by_vehicle[vid]
            agg = dict(cell)
            if cell["reason"]:
                row = dict(cell, partner="", partner_class="")
                for c in value_cols:
                    row[c] = None
                    if banded:
                        row.update({f"{c}_{q}": None for q in ("p05", "p50", "p95")})
                rows.append(row)
                for c in value_cols:
                    agg[c] = None
                    if banded:
                        agg.update({f"{c}_{q}": None for q in ("p05", "p50", "p95")})
                cells.append(agg)
                continue
            sums = {c: 0.0 for c in value_cols}
            bsums = {(c, q): 0.0 for c in value_cols for q in ("p05", "p50", "p95")}
            wsum = 0.0
            for p, w in self.partner_weights.items():
                gr = grid_rows[(p, cell["deficit_kph"])]
                row = dict(cell, partner=p, partner_class=self.partner_classes[p])
                for c in value_cols:
                    row[c] = gr.get(c)
                    if banded:
                        for q, b in zip(("p05", "p50", "p95"), _band(gr, c)):
                            row[f"{c}_{q}"] = b
                rows.append(row)
                if w > 0 and row["subject_occupant_dv_kph"] is not None:
                    wsum += w
                    for c in value_cols:
                        sums[c] += w * (row[c] or 0.0)
                        if banded:
                            for q in ("p05", "p50", "p95"):
                                bsums[(c, q)] += w * (row[f"{c}_{q}"] or 0.0)
            for c in value_cols:
                agg[c] = sums[c] / wsum if wsum > 0 else None
                if banded:
                    for q in ("p05", "p50", "p95"):
                        agg[f"{c}_{q}"] = bsums[(c, q)] / wsum if wsum > 0 else None
            cells.append(agg)
        self._rows, self._cells = rows, cells

    def exceeding(self, threshold_kph: float | None = None) -> list[tuple]:
        """``(vehicle, grade_pct, traffic_kph, mode, deficit_kph)`` for every cell more than
        ``threshold_kph`` (the spec's, 20 km/h by default) behind traffic."""
        t = self.spec.threshold_kph if threshold_kph is None else threshold_kph
        return self.speeds.exceeding(t)

    # -- headline ------------------------------------------------------------------------------
    def class_cells(self) -> list[dict]:
        """The kei class: per (grade, traffic speed, mode) the mean over the subject vehicles
        (each weighing the same) of the deficit and of the partner-weighted values, over the
        vehicles that have a deficit crash in the cell (``n_vehicles`` of them)."""
        subs = [v for v in self.speeds.vehicle_ids if self.roles[v] == "subject"]
        keyed = {}
        for c in self.cells():
            if c["vehicle"] in subs:
                keyed.setdefault((c["grade_pct"], c["traffic_kph"], c["mode"]), []).append(c)
        out = []
        cols = self._value_columns()
        if self.samples:
            cols = cols + [f"{c}_{q}" for c in cols for q in ("p05", "p50", "p95")]
        for (g, t, mode), cs in keyed.items():
            d = [c["deficit_kph"] for c in cs if c["deficit_kph"] is not None]
            crash = [c for c in cs if not c["reason"]]
            row = dict(vehicle="kei (class)", role="subject", grade_pct=g, traffic_kph=t,
                       traffic_level=cs[0]["traffic_level"],
                       traffic_weight=cs[0]["traffic_weight"], mode=mode,
                       deficit_kph=float(np.mean(d)) if d else None, n_vehicles=len(crash))
            for c in cols:
                vals = [x[c] for x in crash if x[c] is not None]
                row[c] = float(np.mean(vals)) if vals else None
            out.append(row)
        return out

    def summary(self) -> str:
        """The headline, as text (also ``str(run)``)."""
        return self.to_text()

    def to_text(self) -> str:
        spec = self.spec
        tr = spec.traffic_speeds_kph
        th = spec.threshold_kph
        lines = [
            f"{spec.name}: rear impacts from speed deficits on US freeways "
            f"(grades {_list(spec.grades_pct)} %; traffic {tr[0]:.0f}-{tr[-1]:.0f} km/h, the "
            f"{_pct(spec.traffic_levels[0])}-{_pct(spec.traffic_levels[-1])}th percentiles of "
            f"free-flow car speeds on 70 mph rural interstates; merge: {spec.merge_distance_m:g} "
            f"m of acceleration lane from a ramp at {spec.ramp_speed_kph:g} km/h)",
            f"where each car falls more than {th:g} km/h behind traffic ('at 122+' = at traffic "
            f"speeds of 122 km/h and above); worst cell: deficit, struck car's occupant delta-v "
            f"and risk, mean over the US strikers"
            + (f", [5-95 % band, {self.samples} samples]" if self.samples else "") + ":",
        ]
        cls = self.class_cells()
        by_vehicle = {}
        for c in self.cells():
            by_vehicle.setdefault(c["vehicle"], []).append(c)
        order = [v for v in self.speeds.vehicle_ids if self.roles[v] == "subject"]
        groups = [(v, by_vehicle[v]) for v in order]
        if order:
            groups.append(("kei (class)", cls))
        groups += [(v, by_vehicle[v]) for v in self.speeds.vehicle_ids
                   if self.roles[v] == "reference"]
        for vid, cs in groups:
            lines.append(f"  {vid}: {self._where(cs, th)}")
            worst = self._worst(cs)
            if worst is not None:
                lines.append(f"      worst ({worst['mode']}, {worst['grade_pct']:g} %, traffic "
                             f"{worst['traffic_kph']:.0f} km/h): {self._values(worst)}")
        if self.excluded:
            lines.append(f"  not run ({len(self.excluded)}, a performance figure missing): "
                         + ", ".join(sorted(self.excluded)))
        lines.append("  curves: " + "; ".join(f"{name} ({outcome})"
                                              for _, name, outcome in self.curves))
        lines.append("  limits: " + LIMITS)
        return "\n".join(lines)

    def _where(self, cs, th) -> str:
        parts = []
        for mode in MODES:
            grades = {}
            for c in cs:
                if c["mode"] == mode and c["deficit_kph"] is not None and c["deficit_kph"] > th:
                    grades.setdefault(c["grade_pct"], []).append(c["traffic_kph"])
            nospeed = sorted({c["grade_pct"] for c in cs
                              if c["mode"] == mode and c.get("reason") == "no-speed"})
            txt = ", ".join(f"{g:g} % at {min(t):.0f}+" for g, t in sorted(grades.items()))
            if nospeed:
                txt += ("; " if txt else "") + "no speed at " + _list(nospeed) + " %"
            parts.append(f"{mode}: {txt or 'never'}")
        return "; ".join(parts)

    @staticmethod
    def _worst(cs):
        ok = [c for c in cs if c["deficit_kph"] is not None and c["deficit_kph"] > 0
              and c.get("subject_occupant_dv_kph") is not None]
        return max(ok, key=lambda c: c["deficit_kph"]) if ok else None

    def _values(self, c) -> str:
        def band(col, scale, fmt):
            if not self.samples or c.get(f"{col}_p05") is None:
                return ""
            return f" [{c[f'{col}_p05'] * scale:{fmt}}-{c[f'{col}_p95'] * scale:{fmt}}]"

        out = [f"deficit {c['deficit_kph']:.1f} km/h",
               f"dv {c['subject_occupant_dv_kph']:.1f} km/h"
               + band("subject_occupant_dv_kph", 1.0, ".1f")]
        for col, name, outcome in self.curves:
            v = c.get(f"subject_risk_{col}")
            if v is not None:
                out.append(f"{outcome} {100 * v:.2f} %" + band(f"subject_risk_{col}", 100, ".2f"))
        return ", ".join(out)

    def __repr__(self) -> str:
        return self.to_text()

    __str__ = __repr__

    # -- outputs -------------------------------------------------------------------------------
    def metadata(self) -> dict:
        d = self._data
        return {
            "crashcompat_version": __version__,
            "highway_spec": self.spec.to_dict(),
            "traffic_speeds_kph": [float(x) for x in self.spec.traffic_speeds_kph],
            "samples": self.samples, "seed": self.seed,
            "partner_weights": dict(self.partner_weights),
            "excluded": dict(self.excluded),
            "sources": {
                "traffic": [dict(id=s["id"], source=s["source"], url=s["url"], read=s["read"])
                            for s in d["traffic"]["source"]],
                "traffic_derivation": d["traffic"]["derivation"].strip(),
                "ramp": dict(source=d["ramp"]["source"], url=d["ramp"]["url"],
                             derivation=d["ramp"]["derivation"]),
                "merge": dict(assumption=True, reasoning=d["merge"]["reasoning"].strip(),
                              url=d["merge"]["url"]),
                "data_file": "crashcompat/data/highway/us_freeway_speeds.toml",
            },
            "assumptions": [
                "rear impact at closing speed = the deficit: the impulse model depends on the "
                "relative velocity only, so a striker at traffic speed and a car at its own speed "
                "give the grid's case of a car at rest struck at the deficit",
                "the striker does not brake before the impact (worst case of the scenario)",
                "full-width (overlap 1.0) collinear rear impact, driver seat occupant",
                "partner mix: the us exposure's class shares, spread equally over each class's "
                "catalog vehicles",
                "cell bands are weighted means of each partner's percentiles: exact when the "
                "partners' values move together, otherwise wider than the band of the mean",
            ],
            "reasons": dict(REASONS),
            "limits": LIMITS,
            "monte_carlo": (next(iter(g for g in self.grids.values() if g is not None))
                            .metadata().get("monte_carlo") if self.samples
                            and any(g is not None for g in self.grids.values()) else None),
        }

    def to_dict(self) -> dict:
        return {"metadata": self.metadata(), "cells": self.cells(),
                "kei_class": self.class_cells(), "rows": self.rows(),
                "exceeding": [dict(zip(("vehicle", "grade_pct", "traffic_kph", "mode",
                                        "deficit_kph"), e)) for e in self.exceeding()]}

    def to_pandas(self, which: str = "rows"):
        """``rows`` (per partner, default) or ``cells`` as a DataFrame; metadata in
        ``df.attrs``. Needs pandas."""
        from crashcompat.errors import require_extra

        pd = require_extra("pandas", "HighwayRun.to_pandas()", "pandas")
        data = {"rows": self.rows, "cells": self.cells, "kei_class": self.class_cells}
        if which not in data:
            raise HighwayError(f"to_pandas: which must be rows, cells or kei_class, got {which!r}")
        df = pd.DataFrame.from_records(data[which]())
        df.attrs["crashcompat"] = self.metadata()
        return df

    def write(self, path, *, overwrite: bool = False, which: str = "rows") -> Path:
        """Write the ``rows`` (or ``cells``) table: ``.csv`` (metadata beside it in
        ``FILE.meta.json``), ``.json`` (:meth:`to_dict`) or ``.parquet`` (metadata in the file's
        key-value metadata; needs pyarrow). Refuses to replace a file without ``overwrite``."""
        from crashcompat.runs.writers import check_destination, metadata_path

        path = Path(path)
        check_destination(path, overwrite)
        suffix = path.suffix.lower()
        table = {"rows": self.rows, "cells": self.cells}.get(which)
        if table is None:
            raise HighwayError(f"write: which must be rows or cells, got {which!r}")
        if suffix == ".json":
            _atomic_text(path, json.dumps(self.to_dict(), indent=1, default=_json_default))
        elif suffix == ".csv":
            rows = table()
            buf = io.StringIO()
            cols = list(rows[0]) if rows else []
            w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v)
                            for k, v in r.items()})
            _atomic_text(path, buf.getvalue())
            _atomic_text(metadata_path(path), json.dumps(self.metadata(), indent=1,
                                                         default=_json_default))
        elif suffix == ".parquet":
            df = self.to_pandas(which)
            df.attrs = {}
            from crashcompat.errors import require_extra

            pa = require_extra("pyarrow", "writing Parquet", "parquet")
            import pyarrow.parquet as pq

            tab = pa.Table.from_pandas(df, preserve_index=False)
            meta = dict(tab.schema.metadata or {})
            meta[b"crashcompat"] = json.dumps(self.metadata(), default=_json_default).encode()
            tmp = path.with_name(path.name + ".partial")
            pq.write_table(tab.replace_schema_metadata(meta), tmp)
            tmp.replace(path)
        else:
            raise HighwayError(f"cannot write {path}: the highway tables are written as .csv, "
                               ".json or .parquet; give one of those extensions")
        return path

    # -- for the exposure model ------------------------------------------------------------------
    def deficit_distribution(self, grade_shares=None, mode_shares=None, vehicles=None):
        """The closing-speed distribution of deficit rear impacts: ``(speeds_kph, weights)``,
        the positive deficits of ``vehicles`` (default: the subject vehicles, each weighing the
        same) with weight = traffic-quantile weight x grade share x mode share (the data file's
        ``[grades.shares]`` and ``[modes]`` by default, both assumptions), renormalised over
        the cells that have a deficit (conditional on a deficit crash). Raises
        :class:`HighwayError` when no cell has a positive deficit."""
        d = self._data
        if grade_shares is None:
            gs = d["grades"]["shares"]
            grade_shares = dict(zip((float(g) for g in gs["grades_pct"]), gs["shares"]))
        if mode_shares is None:
            mode_shares = {m: float(d["modes"][m]) for m in MODES}
        ids = list(vehicles) if vehicles is not None else [
            v for v in self.speeds.vehicle_ids if self.roles[v] == "subject"]
        if not ids:
            raise HighwayError("deficit_distribution: the run has no subject vehicle with every "
                               "performance figure")
        speeds, weights = [], []
        for c in self.cells():
            if c["vehicle"] not in ids or c["reason"]:
                continue
            w = (c["traffic_weight"] * float(grade_shares.get(c["grade_pct"], 0.0))
                 * float(mode_shares.get(c["mode"], 0.0)) / len(ids))
            if w > 0:
                speeds.append(c["deficit_kph"])
                weights.append(w)
        if not speeds:
            raise HighwayError("deficit_distribution: no vehicle falls behind traffic in any "
                               "cell with a nonzero grade and mode share; there is no deficit "
                               "distribution to use")
        s, w = np.asarray(speeds), np.asarray(weights)
        order = np.argsort(s, kind="stable")
        return s[order], w[order] / w.sum()


def _num(x):
    x = float(x)
    return None if math.isnan(x) else x


def _list(xs) -> str:
    return ", ".join(f"{float(x):g}" for x in xs)


def _pct(q) -> str:
    return f"{100 * q:g}"


def _json_default(v):
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def run_highway(spec: HighwaySpec | dict | str | None = None, *, catalog=None, samples: int = 0,
                seed: int = 0, uncertainty=None, threads: int | None = None) -> HighwayRun:
    """Run a highway scenario (a :class:`HighwaySpec`, a dict of its fields, a preset name of
    :data:`HIGHWAY_PRESETS`, or None for ``kei-highway``): speeds, deficits, and the rear
    impacts of every partner at each positive deficit, with 5-95 % bands when ``samples > 0``
    (the grid's Monte Carlo, docs/uncertainty.md; ``uncertainty`` as for run_grid)."""
    from crashcompat.catalog.loading import load_catalog
    from crashcompat.physics.performance import highway_speeds
    from crashcompat.runs.exposure import load_exposure
    from crashcompat.runs.grid import run_grid
    from crashcompat.runs.spec import GridSpec
    from crashcompat.severity.measures import resolve_curves, risk_column

    if spec is None:
        spec = "kei-highway"
    if isinstance(spec, str):
        if spec not in HIGHWAY_PRESETS:
            raise HighwayError(f"unknown highway preset {spec!r}; known: "
                               f"{', '.join(HIGHWAY_PRESETS)}")
        spec = HighwaySpec(**HIGHWAY_PRESETS[spec])
    elif isinstance(spec, dict):
        unknown = sorted(set(spec) - {f.name for f in dataclasses.fields(HighwaySpec)})
        if unknown:
            raise HighwayError(f"unknown highway spec key {', '.join(unknown)}; accepted: "
                               + ", ".join(f.name for f in dataclasses.fields(HighwaySpec)))
        spec = HighwaySpec(**spec)
    elif not isinstance(spec, HighwaySpec):
        raise TypeError(f"run_highway: spec must be a HighwaySpec, a dict or a preset name, got "
                        f"{type(spec).__name__}")
    data = load_highway_data()
    spec = spec.resolved(data)
    if threads is not None:
        from crashcompat.kernels._jit import set_threads

        if threads < 1:
            raise HighwayError("threads must be >= 1")
        set_threads(threads)
    cat = catalog if catalog is not None else load_catalog()
    subjects = cat.select(list(spec.subjects))
    references = [r for r in (cat.select(list(spec.references)) if spec.references else [])
                  if r not in subjects]
    partners = cat.select(list(spec.partners))
    roles, excluded, vehicles = {}, {}, []
    for vid, role in [(s, "subject") for s in subjects] + [(r, "reference") for r in references]:
        problem = _performance_problem(cat[vid])
        if problem:
            excluded[vid] = problem
        else:
            roles[vid] = role
            vehicles.append(cat[vid])
    if not vehicles:
        raise HighwayError("none of the subjects or references has every performance figure "
                           "(power_kw, drag_area_m2, rolling_resistance, driven wheels, "
                           "transmission); see `crashcompat vehicles show ID`")
    speeds = highway_speeds(vehicles, list(spec.grades_pct), spec.traffic_speeds_kph,
                            ramp_speed_kph=spec.ramp_speed_kph,
                            merge_distance_m=spec.merge_distance_m)
    classes = [cat[p].vehicle_class for p in partners]
    w = load_exposure("us").weights(classes, {"rear"}, np.array([10.0])).partner
    partner_weights = dict(zip(partners, (float(x) for x in w / w.sum())))
    curves = [(risk_column("subject", c).removeprefix("subject_risk_"), c.name, c.outcome)
              for c in resolve_curves(spec.risk_curves)]
    grids = {}
    for i, vid in enumerate(speeds.vehicle_ids):
        d = np.concatenate([speeds.deficit_hold_kph[i].ravel(),
                            speeds.deficit_merge_kph[i].ravel()])
        d = np.unique(d[np.isfinite(d) & (d > 0)])
        if d.size == 0:
            grids[vid] = None
            continue
        gspec = GridSpec(subjects=(vid,), partners=tuple(partners), references=(),
                         configurations=("rear",), closing_speed_kph=tuple(float(x) for x in d),
                         angle_deg=(0.0,), overlap=(float(spec.overlap),),
                         measures=("dv", "risk"), risk_curves=tuple(spec.risk_curves),
                         drive_side=spec.drive_side, name=f"{spec.name}:{vid}")
        grids[vid] = run_grid(gspec, catalog=cat, samples=samples, seed=seed,
                              uncertainty=uncertainty)
    return HighwayRun(spec, speeds, roles, excluded, grids, partner_weights,
                      dict(zip(partners, classes)), curves, int(samples), int(seed), data)
