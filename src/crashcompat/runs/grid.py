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
``model`` (the speed-dependent model of docs/model.md, "Restitution", evaluated per case).
``load_kg`` is mass added to the subject at its CG (occupants, cargo) with a constant radius of
gyration.

The run never builds arrays the size of the grid: :mod:`crashcompat.kernels.grid` decodes each case
from its flat index and small per-axis tables, chunk by chunk, in parallel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from crashcompat._version import __version__
from crashcompat.errors import STATUS_NAMES, CrashCompatError, has_result, require_extra
from crashcompat.physics.collide import LIMITS
from crashcompat.runs.spec import (DEFAULT_REFERENCES, MEMORY_BUDGET_BYTES, PRESETS, GridSizeError,
                                   GridSpec, GridSpecError, check_size, grid_size, load_spec,
                                   parse_range, spec_from_dict, validated)
from crashcompat.runs.parallel import run_ranges
from crashcompat.runs.summary import Summary, _r
from crashcompat.runs.tables import build_tables
from crashcompat.severity.measures import resolve_curves
from crashcompat.severity.risk import curve_table

__all__ = ["GridSpec", "GridRun", "run_grid", "PRESETS", "parse_range", "load_spec",
           "spec_from_dict", "GridSpecError", "GridSizeError", "DEFAULT_REFERENCES",
           "DEFAULT_CHUNK"]

#: Target number of cases per compiled chunk (bounded memory: ~20 float64 columns per case).
DEFAULT_CHUNK = 1 << 19


class GridRun:
    """A prepared grid: axes, tables and compiled kernels; compute by chunks or summarise.

    Build with :func:`run_grid`. Nothing is computed until :meth:`chunks`, :meth:`summary`,
    :meth:`write`, :meth:`to_xarray` or :meth:`to_pandas` is called. The size is checked from
    the axis lengths before any table is built (:func:`crashcompat.runs.spec.check_size`): more
    than ``max_cases`` cases (None: no limit) or more than ``memory_budget_bytes`` of tables and
    buffers raise :class:`GridSizeError`.
    """

    def __init__(self, spec: GridSpec, catalog=None, chunk_cases: int = DEFAULT_CHUNK, *,
                 max_cases: int | None = None,
                 memory_budget_bytes: int | None = MEMORY_BUDGET_BYTES,
                 cases_hint: str = "pass max_cases to run it"):
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
        self.kernel_shape = np.array([len(subj), len(self.partner_ids), len(spec.configurations),
                                 len(sa), len(sb), len(spec.angle_deg), len(spec.overlap),
                                 len(spec.impact_position), len(spec.restitution),
                                 len(spec.friction), len(spec.load_kg)], dtype=np.int64)
        self.shape = tuple(len(v) for v in axes.values())
        self.n_cases = int(np.prod(self.kernel_shape))
        self.n_groups = int(np.prod(self.kernel_shape[:5]))
        self.inner = int(np.prod(self.kernel_shape[5:]))
        self.curves = resolve_curves(spec.risk_curves) if "risk" in spec.measures else []
        # size first: nothing the size of the grid's geometry is built before this check
        self.size = grid_size(spec, len(subj), len(self.partner_ids), len(self.result_columns),
                              self.chunk_cases)
        check_size(self.size, max_cases=max_cases, memory_budget_bytes=memory_budget_bytes,
                   cases_hint=cases_hint)
        try:
            self.tables = build_tables(spec, self.catalog, subj, self.partner_ids, sa, sb)
        except CrashCompatError as exc:
            raise GridSpecError(str(exc)) from None
        self._curve_rows = curve_table(self.curves)
        self._summary: Summary | None = None

    # -- tables --------------------------------------------------------------------------------
    def _kargs(self, geo=None):
        from crashcompat.physics.impact import ENERGY_REL_TOL

        tb = self.tables
        return (self.kernel_shape, tb.veh, tb.geo if geo is None else geo, tb.spd, tb.e, tb.mu,
                tb.load, tb.rmod, ENERGY_REL_TOL, self._curve_rows)

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
                "impact": "planar impulse-momentum with restitution and friction (docs/model.md, "
                          "planar impact; Brach; Kudlich-Slibar)",
                "restitution_model": f"e(vc) = {m[1]} + ({m[0]} - {m[1]}) * exp(-vc / {m[2]} "
                                     "m/s), clipped to [0, 1] (docs/model.md, restitution; "
                                     "assumption)",
                "energy_split": "by engaged linear stiffness of the struck faces (docs/model.md, "
                                "energy split)",
                "occupant_dv": "driver seat: dv_cg + dw x p (docs/model.md, conventions)",
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
                          "(docs/model.md, risk)"),
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
        n_risk = 2 * len(self.curves)
        out = np.empty((N_CASE + n_risk, size))
        status = np.empty(size, dtype=np.int8)
        idx = np.empty((11, size), dtype=np.int32)
        kargs = self._kargs()
        # which kernel axis (0..10) each public axis reads its index from
        kaxis = dict(zip(self.axes, self._axis_map()))
        for start in range(0, self.n_cases, size):
            m = min(size, self.n_cases - start)
            run_ranges(lambda j0, j1: grid_chunk(start, j0, j1, *kargs, out, status, idx),
                       m, self.inner)
            table: dict[str, object] = {}
            for name, coords in (self.axes.items() if axis_columns else ()):
                ix = idx[kaxis[name], :m]
                if isinstance(coords, tuple):
                    table[name] = Categorical(ix.copy(), coords)
                else:
                    table[name] = coords[ix]
            for k, col in enumerate(CASE_COLUMNS + self._risk_columns):
                table[col] = out[k, :m].copy()
            if "pulse" in self.spec.measures:
                table.update(self._pulse_extras(table, idx[:, :m], status[:m]))
            table["status"] = status[:m].copy()
            yield start, table
            if progress is not None:
                progress(m)

    @property
    def _risk_columns(self) -> tuple[str, ...]:
        """Risk columns in the order the case kernel writes them (subject, partner per curve)."""
        from crashcompat.severity.measures import risk_column

        return tuple(col for c in self.curves
                     for col in (risk_column("subject", c), risk_column("partner", c)))

    def _pulse_extras(self, t: dict, idx, status) -> dict:
        """Pulse columns for one chunk, vectorised over its cases."""
        from crashcompat.kernels.arrays import added_load_array
        from crashcompat.severity.measures import pulse_columns, pulse_for_impacts
        from crashcompat.units import KPH

        out = {}
        tb = self.tables
        ks = self.kernel_shape
        isub, ip, ic = idx[0].astype(np.int64), idx[1].astype(np.int64), idx[2].astype(np.int64)
        g = ((((isub * ks[1] + ip) * ks[2] + ic) * ks[5] + idx[5]) * ks[6] + idx[6]) * ks[7] \
            + idx[7]
        iv2 = ks[0] + ip
        m1, izz1 = np.empty(len(g)), np.empty(len(g))
        added_load_array(tb.veh[isub, 0], tb.veh[isub, 1], tb.load[idx[10]], m1, izz1)
        m2, izz2 = tb.veh[iv2, 0], tb.veh[iv2, 1]
        geo = tb.geo[g]
        chs, shs = geo[:, 5], geo[:, 6]
        dl, dt = t["subject_dv_long_kph"] * KPH, t["subject_dv_lat_kph"] * KPH
        px = m1 * (chs * dl - shs * dt)
        py = m1 * (shs * dl + chs * dt)
        f1 = tb.conf_faces[ic, 0]
        f2 = tb.conf_faces[ic, 1]
        F1 = tb.face[isub, f1]
        F2 = tb.face[iv2, f2]
        e = np.where(np.isnan(t["restitution_used"]), 0.1, t["restitution_used"])
        res, _, _ = pulse_for_impacts(
            m1=m1, m2=m2, izz1=izz1, izz2=izz2, r1x=geo[:, 0], r1y=geo[:, 1], r2x=geo[:, 2],
            r2y=geo[:, 3], px=px, py=py, e=e, a1=F1[:, 0], b1=F1[:, 1], a2=F2[:, 0],
            b2=F2[:, 1], w1=tb.geo_w[g], w2=tb.geo_w[g], cs1=F1[:, 3], cs2=F2[:, 3],
            g1=tb.geo_g[g, 0], g2=tb.geo_g[g, 1],
            theta1_rad=np.radians(np.nan_to_num(t["subject_pdof_deg"])),
            theta2_rad=np.radians(np.nan_to_num(t["partner_pdof_deg"])),
            model=self.spec.pulse_model, k1=F1[:, 2], k2=F2[:, 2])
        ok = has_result(status)
        for who, prefix in ((1, "subject"), (2, "partner")):
            for k, v in pulse_columns(res, who, prefix).items():
                out[k] = np.where(ok, v, np.nan)
            out[f"{prefix}_pulse_engagement"] = tb.geo_g[g, who - 1]
        # the pulse's own status where the impact happened (0 ok, 5 not separated), else the
        # impact's status
        out["pulse_status"] = np.where(ok, res.status, status).astype(np.int8)
        return out

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
                "or vehicles, or write the cases with -o FILE and --no-summary")
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
        risk = np.empty((ng, len(self.curves), 2))
        kargs = self._kargs()
        step = max(1, self.chunk_cases // max(self.inner, 1))
        for g0 in range(0, ng, step):
            g1 = min(ng, g0 + step)
            run_ranges(lambda a, b: grid_summary(0, a, b, *kargs, stats, argmax, counts,
                                                 worst_vals, risk), g1 - g0, 1, offset=g0)
            if progress is not None:
                progress((g1 - g0) * self.inner)
        shape5 = tuple(int(x) for x in self.kernel_shape[:5])
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
            ok = has_result(t["status"])
            counts[g0:g0 + n_g] += np.bincount(gid, weights=ok, minlength=n_g)
            for k in names:
                v = np.where(ok, t[k], 0.0)
                sums[k][g0:g0 + n_g] += np.bincount(gid, weights=np.nan_to_num(v), minlength=n_g)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {k: np.where(counts > 0, sums[k] / counts, np.nan) for k in names}

    def case(self, i: int) -> dict:
        """One case by flat index: axis values and results, as a dict (for reports and tests)."""
        from crashcompat.kernels.grid import CASE_COLUMNS, N_CASE, grid_chunk

        out = np.empty((N_CASE + 2 * len(self.curves), 1))
        status = np.empty(1, dtype=np.int8)
        grid_chunk(int(i), 0, 1, *self._kargs(), out, status, np.empty((11, 1), dtype=np.int32))
        row = self._axis_values(i)
        for k, col in enumerate(CASE_COLUMNS + self._risk_columns):
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
        """All cases as a ``pandas.DataFrame`` (one row per case; categorical string axes).

        Needs pandas (``pip install 'crashcompat[pandas]'``; an ImportError names it)."""
        pd = require_extra("pandas", "to_pandas()", "pandas")

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
        """All cases as a labelled ``xarray.Dataset`` with the grid's axes as dimensions.

        Numeric axes are numeric coordinates. ``restitution`` and ``impact_position`` are
        numbers too, NaN where the axis says ``model`` or ``driver-seat``, with the boolean
        coordinates ``restitution_is_model`` and ``impact_position_is_driver_seat`` beside them.
        Vehicles carry their class and the mass the physics uses (``subject_class``,
        ``subject_mass_kg``, ``subject_role``, ``partner_class``, ``partner_mass_kg``). Every
        variable and coordinate has CF ``units`` and ``long_name`` attributes; ``status`` and
        ``pulse_status`` carry ``flag_values`` and ``flag_meanings``. Needs xarray
        (``pip install 'crashcompat[zarr]'``; an ImportError names it).
        """
        xr = require_extra("xarray", "to_xarray()", "zarr")
        from crashcompat.runs.writers import column_attrs

        self._check_size(max_cases, "to_xarray")
        data = {c: np.empty(self.n_cases,
                            dtype=np.int8 if c in ("status", "pulse_status") else np.float64)
                for c in self.result_columns}
        for start, table in self.chunks():
            m = len(table["status"])
            for c in self.result_columns:
                data[c][start:start + m] = table[c]
        dims = list(self.axes)
        variables = {}
        for c, a in data.items():
            attrs = column_attrs(c)
            if "flag_values" in attrs:  # CF: flag values of the variable's own type
                attrs["flag_values"] = np.array(attrs["flag_values"], dtype=a.dtype)
            variables[c] = xr.Variable(dims, a.reshape(self.shape), attrs)
        ds = xr.Dataset(variables, coords=self._xarray_coords(xr, column_attrs))
        ds.attrs["crashcompat"] = json.dumps(self.metadata())
        return ds

    def _xarray_coords(self, xr, column_attrs) -> dict:
        words = {"restitution": ("model", "restitution_is_model"),
                 "impact_position": ("driver-seat", "impact_position_is_driver_seat")}
        coords = {}
        for k, v in self.axes.items():
            if k in words:
                word, flag = words[k]
                attrs = dict(column_attrs(k), units="1" if k == "restitution" else "m")
                coords[k] = xr.Variable(k, np.array([np.nan if x == word else float(x)
                                                     for x in v]), attrs)
                coords[flag] = xr.Variable(k, np.array([x == word for x in v]),
                                           {"long_name": f"{k} is {word!r} (the value is NaN)"})
            elif isinstance(v, tuple):
                coords[k] = xr.Variable(k, list(v), column_attrs(k))
            else:
                coords[k] = xr.Variable(k, v, column_attrs(k))
        for who, ids in (("subject", self.axes["subject"]), ("partner", self.axes["partner"])):
            vehicles = [self.catalog[i] for i in ids]
            coords[f"{who}_class"] = xr.Variable(who, [v.vehicle_class for v in vehicles],
                                                 {"long_name": f"{who} vehicle class"})
            coords[f"{who}_mass_kg"] = xr.Variable(
                who, np.array([v.mass_kg for v in vehicles]),
                {"units": "kg", "long_name": f"{who} mass in the crash (curb mass + standard "
                                             "load, before load_kg)"})
        coords["subject_role"] = xr.Variable("subject", list(self.roles),
                                             {"long_name": "subject or reference vehicle"})
        return coords

    def _check_size(self, max_cases, what):
        if self.n_cases > max_cases:
            raise CrashCompatError(
                f"{what} would hold {self.n_cases:,} cases in memory (limit {max_cases:,}); "
                "stream with chunks() or write() instead, or raise max_cases")



def run_grid(spec: GridSpec | dict | str | Path | None = None, *, catalog=None,
             threads: int | None = None, chunk_cases: int = DEFAULT_CHUNK,
             max_cases: int | None = None,
             memory_budget_bytes: int | None = MEMORY_BUDGET_BYTES) -> GridRun:
    """Prepare a grid run from a spec (a :class:`GridSpec`, a dict of spec keys, a TOML path, or
    None for the ``kei-vs-us`` preset). Compute with the returned object's methods.

    The size is checked before any table is built: more than ``max_cases`` cases, or tables and
    buffers above ``memory_budget_bytes`` (1 GiB; None for no limit), raise
    :class:`GridSizeError` naming the axes that multiply it.
    """
    if spec is None:
        spec = GridSpec(**PRESETS["kei-vs-us"])
    elif isinstance(spec, (str, Path)):
        spec = load_spec(spec)
    elif isinstance(spec, dict):
        spec = spec_from_dict(spec)
    elif isinstance(spec, GridSpec):
        spec = validated(spec)
    else:
        raise TypeError(f"run_grid: spec must be a GridSpec, a dict of spec keys, a TOML path "
                        f"or None, got {type(spec).__name__}")
    if threads is not None:
        from crashcompat.kernels._jit import set_threads

        if threads < 1:
            raise GridSpecError("threads must be >= 1")
        set_threads(min(threads, _max_threads()))
    return GridRun(spec, catalog=catalog, chunk_cases=chunk_cases, max_cases=max_cases,
                   memory_budget_bytes=memory_budget_bytes)


def _max_threads() -> int:
    import numba

    return numba.config.NUMBA_NUM_THREADS

