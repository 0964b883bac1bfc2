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
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from crashcompat._version import __version__
from crashcompat.errors import STATUS_NAMES, CrashCompatError, has_result, require_extra
from crashcompat.physics.collide import LIMITS
from crashcompat.runs.spec import (DEFAULT_REFERENCES, MEMORY_BUDGET_BYTES, PRESETS, GridSizeError,
                                   GridSpec, GridSpecError, check_size, grid_size, load_spec,
                                   parse_range, spec_from_dict, validated)
from crashcompat.runs.exposure import load_exposure
from crashcompat.runs.parallel import run_ranges
from crashcompat.runs.summary import Summary, value_or_none
from crashcompat.runs.tables import (KERNEL_AXIS, build_tables, nested_axis_index,
                                     partial_impact_metadata, tangential_axes,
                                     tangential_combos)
from crashcompat.runs.uncertainty import resolve_uncertainty
from crashcompat.severity.measures import resolve_curves
from crashcompat.severity.risk import curve_table

__all__ = ["GridSpec", "GridRun", "run_grid", "PRESETS", "parse_range", "load_spec",
           "spec_from_dict", "GridSpecError", "GridSizeError", "DEFAULT_REFERENCES",
           "DEFAULT_CHUNK", "QUANTILES", "CRUSH_NOTE"]

#: Target number of cases per compiled chunk (bounded memory: ~20 float64 columns per case).
DEFAULT_CHUNK = 1 << 19
#: Most Monte Carlo samples a run takes (the memory check usually binds first).
MAX_SAMPLES = 1_000_000
#: The quantiles of the Monte Carlo bands: X_p05, X_p50, X_p95.
QUANTILES = (0.05, 0.5, 0.95)
#: Fixed-point scales of the exposure-weighted sums (weight, occupant delta-v in km/h,
#: crush-exhausted share, each risk): integer sums do not depend on the order of the terms, so
#: the headline is the same on any thread count. A term is rounded down to a multiple of
#: 1/scale: at most 1.4e-17 (2^-56) per term for the probabilities and shares, 5.7e-14 km/h
#: (2^-44) for delta-v.
HEADLINE_SCALE = (2.0 ** 56, 2.0 ** 44, 2.0 ** 56, 2.0 ** 56)
#: What the crush-exhausted share is, said with every output that carries it.
CRUSH_NOTE = ("subject_crush_exhausted_share: the share of cases in which the crush the "
              "subject's struck face needs for the energy it absorbs, as a linear spring "
              "(C = sqrt(2 E / k), E its share of the energy dissipated, k its engaged stiffness), "
              "exceeds the crush space of that face: an intrusion indicator, not a prediction "
              "of intrusion")


class DriveSideView(Mapping):
    """A catalog in which the vehicles ``ids`` are built for ``side`` (seats mirrored with
    :func:`crashcompat.physics.geometry.with_drive_side`); everything else is the catalog's."""

    def __init__(self, catalog, ids, side):
        self._catalog = catalog
        self._ids = frozenset(ids)
        self.drive_side = side

    def __getitem__(self, vid):
        from crashcompat.physics.geometry import with_drive_side

        v = self._catalog[vid]
        return with_drive_side(v, self.drive_side) if vid in self._ids else v

    def __iter__(self):
        return iter(self._catalog)

    def __len__(self):
        return len(self._catalog)

    def __getattr__(self, name):  # record(), select(), ids(), content_hash(), ...
        return getattr(self._catalog, name)


class MonteCarlo:
    """The Monte Carlo of one run: ``bands_g`` (rows, crashes, group stats, 3), ``bands_p``
    (subjects, references, crashes, pair stats, 3), ``acc`` (rows, classes, configurations,
    samples, stats) int64 exposure-weighted sums or None, their ``hscale``, and the weights
    ``wts``, ``cls`` it used."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class CrashResults:
    """Per-group results of a run's crashes, full size: the deterministic summary's arrays
    (``stats``, ``argmax``, ``counts``, ``worst``, ``risk``, the pulse ``means``) and with
    ``mc`` the Monte Carlo's (``bands_g``, ``bands_p``, ``acc``).

    A crash (partner x configuration x speeds) owns the groups ``row * n_crash + crash`` of
    every subject and reference row and the Monte Carlo bands of that crash, so the crashes
    ``c0 .. c1 - 1`` fill disjoint slices: :meth:`block` copies them out and :meth:`place` puts
    them back, exactly, wherever they were computed. The exposure sums ``acc`` are int64 fixed
    point (:data:`HEADLINE_SCALE`), so adding blocks is exact in any order."""

    def __init__(self, run: "GridRun", *, summary: bool = True, mc: bool = False):
        from crashcompat.kernels.grid import N_STATS, N_STATUS

        ng, nc = run.n_groups, len(run.curves)
        self.n_rows, self.n_crash = int(run.kernel_shape[0]), run.n_crashes
        self.summary, self.mc = summary, mc
        self.acc = None
        if summary:
            self.stats = np.empty((ng, N_STATS))
            self.argmax = np.empty(ng, dtype=np.int64)
            self.counts = np.empty((ng, N_STATUS), dtype=np.int64)
            self.worst = np.empty((ng, 3))
            self.risk = np.empty((ng, nc, 2))
            self.means = {k: np.full(ng, np.nan) for k in run._mean_names}
        if mc:
            _, n_rows, n_subj, n_ref, _, _ = run._mc_layout()
            self.bands_g = np.full((n_rows, run.n_crashes, 5 + 2 * nc, 3), np.nan)
            self.bands_p = np.full((n_subj, n_ref, run.n_crashes, 1 + nc, 3), np.nan)
            acc_shape = run._acc_shape()
            self.acc = np.zeros(acc_shape, dtype=np.int64) if acc_shape is not None else None

    def _views(self):
        """(key, array viewed with a crash axis, that axis)."""
        out = []
        if self.summary:
            for key in ("stats", "argmax", "counts", "worst", "risk"):
                a = getattr(self, key)
                out.append((key, a.reshape(self.n_rows, self.n_crash, *a.shape[1:]), 1))
            for key, a in self.means.items():
                out.append(("mean:" + key, a.reshape(self.n_rows, self.n_crash), 1))
        if self.mc:
            out += [("bands_g", self.bands_g, 1), ("bands_p", self.bands_p, 2)]
        return out

    def block(self, c0: int, c1: int, acc=None) -> dict:
        """The slices of the crashes ``c0 .. c1 - 1`` (copies) and ``acc``, their exposure sums:
        a partial result, picklable."""
        blk = {"c0": int(c0), "c1": int(c1), "acc": acc}
        for key, v, axis in self._views():
            blk[key] = np.ascontiguousarray(v[(slice(None),) * axis + (slice(c0, c1),)])
        return blk

    def place(self, blk: dict) -> None:
        """Put a :meth:`block` back: its slices in place, its exposure sums added."""
        sel = slice(blk["c0"], blk["c1"])
        for key, v, axis in self._views():
            v[(slice(None),) * axis + (sel,)] = blk[key]
        if blk.get("acc") is not None:
            self.acc += blk["acc"]

    def monte_carlo(self, run: "GridRun") -> MonteCarlo:
        wts, cls, _ = run._grid_weights()
        return MonteCarlo(bands_g=self.bands_g, bands_p=self.bands_p, acc=self.acc,
                          hscale=run._hscale(), wts=wts, cls=cls)


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
                 cases_hint: str = "pass max_cases to run it", samples: int = 0,
                 seed: int = 0, exposure=None, uncertainty=None, stream: int = 0,
                 client=None, task_crashes: int | None = None):
        from crashcompat.catalog.loading import load_catalog

        self.spec = spec
        self.samples = _whole(samples, "samples", MAX_SAMPLES)
        self.seed = _whole(seed, "seed", 2**63 - 1)
        self._stream = int(stream)
        self._uncertainty_arg = uncertainty
        try:
            self.uncertainty = resolve_uncertainty(uncertainty)
        except CrashCompatError as exc:
            raise GridSpecError(str(exc)) from None
        self._memory_budget = memory_budget_bytes
        self.catalog = catalog if catalog is not None else load_catalog()
        cat = self.catalog
        #: a dask.distributed Client: summaries and Parquet/Zarr outputs run on its workers
        #: (crashcompat.runs.distributed); None computes here
        self.client = client
        self.task_crashes = task_crashes
        self._recipe_args = dict(spec=spec, catalog=cat, chunk_cases=int(chunk_cases),
                                 memory_budget_bytes=memory_budget_bytes, samples=samples,
                                 seed=seed, exposure=exposure, uncertainty=uncertainty,
                                 stream=int(stream))
        self.subject_ids = cat.select(list(spec.subjects))
        self.reference_ids = [r for r in (cat.select(list(spec.references))
                                          if spec.references else [])
                              if r not in self.subject_ids]
        self.partner_ids = cat.select(list(spec.partners))
        subj = self.subject_ids + self.reference_ids
        self.roles = ["subject"] * len(self.subject_ids) + ["reference"] * len(self.reference_ids)
        self.chunk_cases = int(chunk_cases)
        if spec.drive_side != "as-catalog":
            # subjects and references are built for one seat side (issue 10: a kei car and its
            # reference car compared with drivers on the same side); partners keep theirs
            self.catalog = DriveSideView(self.catalog, subj, spec.drive_side)

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
        # the tangential settings nest inside the kernels' position axis (runs.tables); one
        # with a single value is not an output axis (the metadata records it)
        axes.update(tangential_axes(spec))
        axes["restitution"] = tuple(spec.restitution)
        axes["friction"] = np.asarray(spec.friction)
        axes["load_kg"] = np.asarray(spec.load_kg)
        self.axes = axes
        self.kernel_shape = np.array([len(subj), len(self.partner_ids), len(spec.configurations),
                                 len(sa), len(sb), len(spec.angle_deg), len(spec.overlap),
                                 len(spec.impact_position) * len(tangential_combos(spec)),
                                 len(spec.restitution),
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
        self._mc = None
        self._far = None
        self._headline = None
        self._group = None  # (stats, risk) of the deterministic summary, per group
        self.exposure = None
        if exposure is not None:
            self.exposure = load_exposure(exposure)
            self._exposure_check()
        if self.samples:
            self._check_mc_size()

    # -- tables --------------------------------------------------------------------------------
    def _kargs(self, geo=None):
        from crashcompat.physics.impact import ENERGY_REL_TOL

        tb = self.tables
        return (self.kernel_shape, tb.veh, tb.geo if geo is None else geo, tb.spd, tb.e, tb.mu,
                tb.load, tb.rmod, ENERGY_REL_TOL, self._curve_rows)

    @property
    def _space(self) -> np.ndarray:
        """(subjects and references, configurations) crush space (m) of the face each subject
        is struck on."""
        tb = self.tables
        ns = self.kernel_shape[0]
        return np.ascontiguousarray(tb.face[:ns, tb.conf_faces[:, 0], 3])

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
                "tangential_model": partial_impact_metadata(self.spec),
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
            "drive_side": (f"subjects and references built for {self.spec.drive_side}-hand "
                           "drive (seats mirrored where the catalog differs); partners as in "
                           "the catalog" if self.spec.drive_side != "as-catalog"
                           else "every vehicle as in the catalog"),
            "limits": LIMITS,
            "crush_exhausted": CRUSH_NOTE,
            "monte_carlo": self._mc_metadata(),
            "exposure": self.exposure.to_dict() if self.exposure is not None else None,
        }

    def _mc_metadata(self) -> dict | None:
        from crashcompat.kernels.sampling import HIST_REL_ERROR

        if not self.samples:
            return None
        return {
            "samples": self.samples, "seed": self.seed,
            "generator": "counter-based: splitmix64 chain over (seed, stream, crash, sample, "
                         "variable); the same draws for any thread count or chunking",
            "common_random_numbers": "the subject and its reference cars get the same draws in "
                                     "the same crash (partner, configuration, speeds) and sample",
            "bands": "X_p05, X_p50, X_p95: the 5th, 50th and 95th percentiles over the samples "
                     "(inverted-CDF sample quantiles) of the summary value X; X itself is the "
                     "deterministic value with the nominal inputs",
            "quantile_error": f"fixed-bin log-linear histograms: at most {HIST_REL_ERROR:.3%} "
                              "of the value, exact where every sample is equal",
            "geometry_variants": len(self.uncertainty.geometry_offsets()),
            "distributions": self.uncertainty.to_dict(),
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
        yield from self._case_tables(0, self.n_cases, chunk_cases, progress, axis_columns)

    def _chunk_size(self, chunk_cases: int | None = None) -> int:
        size = int(chunk_cases or self.chunk_cases)
        # align chunks to whole groups where possible (nested loops in the kernel, fast Zarr
        # region writes)
        if self.inner <= size:
            size -= size % self.inner
        return size

    def _case_tables(self, start: int, stop: int, chunk_cases: int | None = None, progress=None,
                     axis_columns: bool = True, buffers: int = 0
                     ) -> Iterator[tuple[int, dict]]:
        """``(start, table)`` for the cases ``start .. stop - 1``, cut at the multiples of the
        chunk size (and at ``start`` and ``stop``): a range is cut where the whole grid's
        chunks are, so per-group sums over its pieces are those of :meth:`chunks`.

        ``buffers`` > 0 (the writer's pipeline): the result columns are views of that many
        rotating buffers instead of copies, valid until ``buffers`` more chunks are drawn."""
        from crashcompat.kernels.grid import CASE_COLUMNS, N_CASE, grid_chunk
        from crashcompat.runs.writers import Categorical

        size = self._chunk_size(chunk_cases)
        n_risk = 2 * len(self.curves)
        n = min(size, max(stop - start, 0))
        bufs = [(np.empty((N_CASE + n_risk, n)), np.empty(n, dtype=np.int8),
                 np.empty((11, n), dtype=np.int32)) for _ in range(max(buffers, 1))]
        keep = (lambda x: x) if buffers else np.copy
        kargs = self._kargs()
        # which kernel axis (0..10) each public axis reads its index from
        kaxis = dict(zip(self.axes, self._axis_map()))
        spec = self.spec
        a = start
        while a < stop:
            m = min(stop, (a // size + 1) * size) - a
            out, status, idx = bufs[0]
            bufs.append(bufs.pop(0))
            run_ranges(lambda j0, j1: grid_chunk(a, j0, j1, *kargs, out, status, idx),
                       m, self.inner)
            table: dict[str, object] = {}
            for name, coords in (self.axes.items() if axis_columns else ()):
                ix = nested_axis_index(spec, name, idx[kaxis[name], :m])
                if isinstance(coords, tuple):
                    table[name] = Categorical(ix.copy(), coords)
                else:
                    table[name] = coords[ix]
            for k, col in enumerate(CASE_COLUMNS + self._risk_columns):
                table[col] = keep(out[k, :m])
            if "pulse" in self.spec.measures:
                table.update(self._pulse_extras(table, idx[:, :m], status[:m]))
            table["status"] = keep(status[:m])
            yield a, table
            if progress is not None:
                progress(m)
            a += m

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
            model=self.spec.pulse_model, k1=F1[:, 2], k2=F2[:, 2],
            compartment_factor=self.spec.compartment_factor)
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
        return [KERNEL_AXIS[name] for name in self.axes]

    #: The summary keeps about 100 bytes per group (subject x partner x configuration x speeds);
    #: above this many groups it would not fit the 1 GiB memory budget.
    MAX_SUMMARY_GROUPS = 4_000_000

    def summary(self, progress=None, top: int = 10) -> Summary:
        """Summary per (subject, partner, configuration, speeds), against each reference; with
        ``samples > 0`` every value X carries its Monte Carlo bands X_p05, X_p50, X_p95
        (:class:`crashcompat.runs.summary.Summary`)."""
        if self.n_groups > self.MAX_SUMMARY_GROUPS:
            raise CrashCompatError(
                f"the summary would have {self.n_groups:,} rows (subject x partner x "
                f"configuration x speeds; limit {self.MAX_SUMMARY_GROUPS:,}); use fewer speeds "
                "or vehicles, or write the cases with -o FILE and --no-summary")
        if self._summary is None:
            self._summary = self._compute_summary(progress, top)
        return self._summary

    def _compute_summary(self, progress, top) -> Summary:
        if self.client is not None:
            # every crash block on the cluster's workers, summary and Monte Carlo in one pass
            from crashcompat.runs.distributed import compute_results

            res = compute_results(self, progress)
            if self.samples:
                self._mc = res.monte_carlo(self)
        else:
            res = CrashResults(self)
            per_crash = int(self.kernel_shape[0]) * self.inner
            step = max(1, self.chunk_cases // max(per_crash, 1))
            for c0 in range(0, self.n_crashes, step):
                c1 = min(self.n_crashes, c0 + step)
                self._fill_summary(res, c0, c1)
                if progress is not None:
                    progress((c1 - c0) * per_crash)
            self._fill_means(res, 0, self.n_crashes, progress)
        return self._summary_from(res, progress, top)

    def _fill_summary(self, res: CrashResults, c0: int, c1: int) -> None:
        """The deterministic summary of the crashes ``c0 .. c1 - 1`` into ``res`` (threads over
        the range): one of the units of work of every summary, local or distributed."""
        from crashcompat.kernels.grid import compile_helpers, grid_summary

        compile_helpers()
        kargs, space = self._kargs(), self._space
        run_ranges(lambda a, b: grid_summary(a, b, *kargs, space, res.stats, res.argmax,
                                             res.counts, res.worst, res.risk), c1 - c0, 1,
                   offset=c0)

    def _summary_from(self, res: CrashResults, progress, top) -> Summary:
        from crashcompat.kernels.grid import N_STATS, N_STATUS
        from crashcompat.severity.measures import risk_column

        stats, argmax, counts, worst_vals, risk = (res.stats, res.argmax, res.counts, res.worst,
                                                   res.risk)
        ng = self.n_groups
        self._group = (stats, risk)
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
            row["subject_occupant_dv_kph"] = value_or_none(worst_vals[g, 0])
            row["subject_dv_kph"] = value_or_none(worst_vals[g, 1])
            row["partner_occupant_dv_kph"] = value_or_none(worst_vals[g, 2])
            row["case"] = i
            worst.append(row)
        total = counts.sum(axis=0)
        status_counts = {STATUS_NAMES[k]: int(total[k]) for k in range(N_STATUS)}
        extra = {}
        for k, c in enumerate(self.curves):
            extra[risk_column("subject", c)] = risk[:, k, 0]
            extra[risk_column("partner", c)] = risk[:, k, 1]
        extra.update(res.means)
        bands = None
        if self.samples:
            mc = self.monte_carlo(progress)
            nc = len(self.curves)
            bands = (mc.bands_g.reshape(shape5[0], *shape5[1:], 5 + 2 * nc, 3),
                     mc.bands_p.reshape(ns_subj, len(self.reference_ids), *shape5[1:], 1 + nc,
                                        3))
        return Summary(self, stats.reshape(*shape5, N_STATS), worst, status_counts,
                       {k: v.reshape(shape5) for k, v in extra.items()}, bands=bands)

    # -- Monte Carlo and headline ------------------------------------------------------------
    @property
    def n_crashes(self) -> int:
        """Crashes (partner x configuration x speeds): the Monte Carlo's unit of work."""
        return int(np.prod(self.kernel_shape[1:5]))

    def _mc_layout(self):
        nc = len(self.curves)
        n_rows = int(self.kernel_shape[0])
        n_subj, n_ref = len(self.subject_ids), len(self.reference_ids)
        n_hist = n_rows * (5 + 2 * nc) + n_subj * n_ref * (1 + nc)
        n_cls = len(self.exposure.partner_classes) if self.exposure is not None else 0
        return nc, n_rows, n_subj, n_ref, n_hist, n_cls

    def _check_mc_size(self):
        """Refuse a Monte Carlo whose buffers would exceed the memory budget, before any is
        built: geometry variants, bands, and per thread a histogram scratch and (with an
        exposure) the per-sample sums."""
        from crashcompat.kernels.layout import GEO_COLS
        from crashcompat.kernels.sampling import HIST_BINS
        from crashcompat.runs.parallel import n_slots

        if self._memory_budget is None:
            return
        nc, n_rows, n_subj, n_ref, n_hist, n_cls = self._mc_layout()
        nv = len(self.uncertainty.geometry_offsets())
        n_geo = self.size.n_geometry
        nb = 8 * 3 * self.n_crashes * (n_rows * (5 + 2 * nc) + n_subj * n_ref * (1 + nc))
        slots = n_slots() * (4 * n_hist * HIST_BINS + 8 * n_rows * max(n_cls, 1)
                             * self.kernel_shape[2] * self.samples * (3 + nc)
                             * (self.exposure is not None))
        need = nv * n_geo * GEO_COLS * 8 + nb + slots + self.size.memory_bytes
        if need > self._memory_budget:
            raise GridSizeError(
                f"samples: a Monte Carlo of {self.samples:,} samples over this grid would need "
                f"about {need / 2**30:.1f} GiB (bands, histograms and per-sample sums), over the "
                f"{self._memory_budget / 2**30:.1f} GiB budget; use fewer samples, vehicles or "
                "speeds")

    def _geometry_variants(self) -> np.ndarray:
        """(variants, n_geometry, GEO_COLS): the nominal table without jitter, else one jittered
        copy per stratified jitter offset (:meth:`Uncertainty.geometry_offsets`)."""
        from crashcompat.runs.tables import geometry_table

        if getattr(self, "_geo_var", None) is not None:
            return self._geo_var
        offsets = self.uncertainty.geometry_offsets()
        if offsets == [(0.0, 0.0, 0.0)]:
            return self.tables.geo[None]
        subj = self.subject_ids + self.reference_ids
        try:
            self._geo_var = np.stack([geometry_table(self.spec, self.catalog, subj,
                                                     self.partner_ids, jitter=o)[0]
                                      for o in offsets])
        except CrashCompatError as exc:
            raise GridSpecError(str(exc)) from None
        return self._geo_var

    def _exposure_configurations(self) -> list:
        """Exposure configuration of each of this run's configurations: ``side`` is the near
        side when the driver's side is struck, else the far side."""
        side = "side-near" if self.spec.struck_side == "driver" else "side-far"
        names = {"frontal": "frontal", "side-struck-by-subject": "side-struck-by-subject",
                 "rear": "rear", "side": side}
        return [names[c] for c in self.spec.configurations]

    def _exposure_check(self):
        if self.spec.speed_mode != "closing":
            raise GridSpecError(
                "exposure: exposure weights are over closing speeds; give closing_speed_kph "
                "instead of explicit subject_speed_kph and partner_speed_kph")
        if self.spec.struck_side not in ("driver", "passenger"):
            raise GridSpecError(
                "exposure: near- and far-side impacts are weighted by the occupant's side; use "
                f"struck_side = driver (or passenger), not {self.spec.struck_side!r}")

    def exposure_weights(self):
        """The exposure's weights over this run and its far-side companion
        (:class:`crashcompat.runs.exposure.ExposureWeights`), or None without an exposure."""
        if self.exposure is None:
            return None
        if getattr(self, "_weights", None) is None:
            present = set(self._exposure_configurations())
            if "side" in self.spec.configurations:
                present.add("side-far" if "side-near" in present else "side-near")
            classes = [self.catalog[p].vehicle_class for p in self.partner_ids]
            self._weights = self.exposure.weights(
                classes, present, np.asarray(self.spec.closing_speed_kph))
        return self._weights

    def far_side_run(self) -> "GridRun | None":
        """The companion run of side impacts on the other side (the exposure's far side when
        ``struck_side`` is the driver's), with the same samples and seed on its own random
        stream; None without an exposure or side impacts."""
        if self.exposure is None or "side" not in self.spec.configurations:
            return None
        if self._far is None:
            other = "passenger" if self.spec.struck_side == "driver" else "driver"
            far_spec = self.spec.replace(configurations=("side",), struck_side=other)
            self._far = GridRun(far_spec, catalog=self.catalog, chunk_cases=self.chunk_cases,
                                memory_budget_bytes=self._memory_budget, samples=self.samples,
                                seed=self.seed, uncertainty=self._uncertainty_arg,
                                stream=self._stream + 1, client=self.client,
                                task_crashes=self.task_crashes)
            self._far._weights_from = self
        return self._far

    def _grid_weights(self):
        """(wts, cls) for the kernels: this run's exposure weights, or zeros."""
        owner = getattr(self, "_weights_from", None)
        src = owner if owner is not None else self
        w = src.exposure_weights()
        n_p = len(self.partner_ids)
        ks = self.kernel_shape
        if w is None:
            return np.zeros((n_p, ks[2], ks[3], ks[4])), np.full(n_p, -1, dtype=np.int64), 0
        confs = self._exposure_configurations()
        return (np.ascontiguousarray(w.grid(confs)), w.cls.copy(), len(w.class_names))

    def monte_carlo(self, progress=None):
        """Run the Monte Carlo (once; cached): per group and per (subject, reference) pair the
        5th, 50th and 95th percentiles of each statistic over the samples, and with an exposure
        the per-sample exposure-weighted sums. Needs ``samples > 0``."""
        if not self.samples:
            raise CrashCompatError("monte_carlo: this run has samples = 0; pass samples=N to "
                                   "run_grid (or --samples N)")
        if self._mc is None:
            self._mc = self._run_mc(progress)
        return self._mc

    def _hscale(self) -> np.ndarray:
        return np.array(HEADLINE_SCALE[:3] + (HEADLINE_SCALE[3],) * len(self.curves))

    def _acc_shape(self) -> tuple | None:
        """Shape of the Monte Carlo's exposure sums (rows, classes, configurations, samples,
        stats), or None without an exposure."""
        nc = len(self.curves)
        n_cls = self._grid_weights()[2]
        if not n_cls:
            return None
        return (int(self.kernel_shape[0]), n_cls, int(self.kernel_shape[2]), self.samples,
                3 + nc)

    def _mc_scratch(self, slots: int) -> list:
        """Per concurrent range: exposure sums and histogram scratch of the Monte Carlo
        kernel."""
        from crashcompat.kernels.sampling import HIST_BINS

        n_hist = self._mc_layout()[4]
        acc_shape = self._acc_shape() or (1, 1, 1, 1, 3 + len(self.curves))
        return [(np.zeros(acc_shape, dtype=np.int64),
                 np.zeros((n_hist, HIST_BINS), dtype=np.int32),
                 np.full(n_hist, HIST_BINS, dtype=np.int64),
                 np.full(n_hist, -1, dtype=np.int64), np.zeros(n_hist, dtype=np.int64),
                 np.full(n_hist, np.inf), np.full(n_hist, -np.inf)) for _ in range(slots)]

    def _mc_inputs(self):
        if getattr(self, "_mc_in", None) is None:
            wts, cls, n_cls = self._grid_weights()
            self._mc_in = (self._kargs(geo=self._geometry_variants()), self._space,
                           self.uncertainty.table(), wts if n_cls else np.zeros_like(wts), cls,
                           self._hscale(), np.array(QUANTILES))
        return self._mc_in

    def _fill_mc(self, res: CrashResults, c0: int, c1: int, scratch: list) -> None:
        """The Monte Carlo of the crashes ``c0 .. c1 - 1``: bands into ``res``, exposure sums
        added to the ``scratch`` slots' own buffers (threads over the range). With
        :meth:`_fill_summary`, the unit of work of every run, local or distributed."""
        from crashcompat.kernels.grid import compile_helpers, grid_mc
        from crashcompat.runs.parallel import run_slots

        compile_helpers()
        kargs, space, dist, wk, cls, hscale, qs = self._mc_inputs()
        n_subj = len(self.subject_ids)

        def work(slot, a, b):
            acc, hc, hlo, hhi, hn, hmn, hmx = scratch[slot]
            grid_mc(a, b, *kargs, space, dist, self.seed, self._stream, self.samples, n_subj,
                    wk, cls, hscale, qs, res.bands_g, res.bands_p, acc, hc, hlo, hhi, hn, hmn,
                    hmx)

        run_slots(work, c1 - c0, 1, offset=c0)

    def _run_mc(self, progress):
        from crashcompat.runs.parallel import n_slots

        if self.client is not None:  # the distributed summary computes the Monte Carlo too
            self._summary = self._compute_summary(progress, 10)
            return self._mc
        res = CrashResults(self, summary=False, mc=True)
        scratch = self._mc_scratch(n_slots())
        n_rows, n_crash = int(self.kernel_shape[0]), self.n_crashes
        per_crash = n_rows * self.inner * self.samples
        step = max(1, min(n_crash, (1 << 22) // max(per_crash, 1)))
        for c0 in range(0, n_crash, step):
            c1 = min(n_crash, c0 + step)
            self._fill_mc(res, c0, c1, scratch)
            if progress is not None:
                progress((c1 - c0) * per_crash)
        if res.acc is not None:
            for sl in scratch:
                res.acc += sl[0]
        return res.monte_carlo(self)

    def _nominal_sums(self):
        """The deterministic counterpart of the Monte Carlo's exposure-weighted sums:
        (rows, classes, configurations, stats) int64, in the same fixed point, from the
        deterministic summary's group values."""
        if self._group is None:
            self.summary()
        stats, risk = self._group
        wts, cls, n_cls = self._grid_weights()
        nc = len(self.curves)
        ks = [int(k) for k in self.kernel_shape[:5]]
        hscale = np.array(HEADLINE_SCALE[:3] + (HEADLINE_SCALE[3],) * nc)
        st = stats.reshape(*ks, -1)
        rk = risk.reshape(*ks, nc, 2)
        out = np.zeros((ks[0], max(n_cls, 1), ks[2], 3 + nc), dtype=np.int64)
        w = wts[None]  # (1, np, nc, nsa, nsb)
        ok = ~np.isnan(st[..., 0]) & (w > 0) & (cls[None, :, None, None, None] >= 0)
        vals = [np.broadcast_to(1.0, st[..., 0].shape), st[..., 0], st[..., 7]] + \
               [rk[..., k, 0] for k in range(nc)]
        for k, x in enumerate(vals):
            if k == 0:
                term = np.floor(w * hscale[0]) * np.ones_like(st[..., 0])
            else:
                term = np.floor(w * x * hscale[k])
            term = np.where(ok, term, 0.0).astype(np.int64)
            for j in range(n_cls):
                sel = cls == j
                out[:, j, :, k] = term[:, sel].sum(axis=(1, 3, 4))
        return out

    def headline(self, progress=None):
        """The exposure-weighted headline (:class:`crashcompat.runs.headline.Headline`):
        per subject vehicle, for the kei class and for each reference car the probability of
        MAIS3+ injury and of death per two-vehicle crash, the ratio to the references, the
        crush-exhausted share, with 5-95 % bands from the Monte Carlo (when ``samples > 0``).
        Needs ``exposure`` (run_grid(..., exposure="us"))."""
        from crashcompat.runs.headline import build_headline

        if self.exposure is None:
            raise CrashCompatError("headline: this run has no exposure model; pass "
                                   "exposure='us' (or a file) to run_grid, or --exposure us")
        if self._headline is None:
            self._headline = build_headline(self, self.far_side_run(), progress)
        return self._headline

    #: severity columns averaged per group for the summary (besides every risk column)
    _SUMMARY_PULSE = ("subject_olc_g", "subject_crush_ratio", "subject_occupant_peak_g")

    @property
    def _mean_names(self) -> list[str]:
        return [c for c in self._SUMMARY_PULSE if c in self.extra_columns]

    def _fill_means(self, res: CrashResults, c0: int, c1: int, progress=None) -> None:
        """Mean of a few pulse columns per group of the crashes ``c0 .. c1 - 1``, over the cases
        with a result, into ``res.means``, from a streamed pass over their cases (bounded
        memory). Each row's groups of a crash range are one range of cases, cut where the
        whole grid's chunks are (:meth:`_case_tables`), so a group's sum is the same however
        the crashes are split."""
        names = self._mean_names
        if not names:
            return
        inner, m = self.inner, c1 - c0
        for row in range(int(self.kernel_shape[0])):
            g_lo = row * self.n_crashes + c0
            sums = {k: np.zeros(m) for k in names}
            counts = np.zeros(m)
            for start, t in self._case_tables(g_lo * inner, (g_lo + m) * inner,
                                              progress=progress, axis_columns=False):
                gid = np.arange(start, start + len(t["status"]), dtype=np.int64) // inner
                g0 = int(gid[0])
                gid -= g0
                n_g = int(gid[-1]) + 1
                g0 -= g_lo
                ok = has_result(t["status"])
                counts[g0:g0 + n_g] += np.bincount(gid, weights=ok, minlength=n_g)
                for k in names:
                    v = np.where(ok, t[k], 0.0)
                    sums[k][g0:g0 + n_g] += np.bincount(gid, weights=np.nan_to_num(v),
                                                        minlength=n_g)
            with np.errstate(invalid="ignore", divide="ignore"):
                for k in names:
                    res.means[k][g_lo:g_lo + m] = np.where(counts > 0, sums[k] / counts, np.nan)

    def case(self, i: int) -> dict:
        """One case by flat index: axis values and results, as a dict (for reports and tests)."""
        from crashcompat.kernels.grid import CASE_COLUMNS, N_CASE, grid_chunk

        out = np.empty((N_CASE + 2 * len(self.curves), 1))
        status = np.empty(1, dtype=np.int8)
        grid_chunk(int(i), 0, 1, *self._kargs(), out, status, np.empty((11, 1), dtype=np.int32))
        row = self._axis_values(i)
        for k, col in enumerate(CASE_COLUMNS + self._risk_columns):
            row[col] = value_or_none(out[k, 0])
        row["status"] = STATUS_NAMES[int(status[0])]
        return row

    def _axis_values(self, i: int) -> dict:
        row = {}
        for name, ix in zip(self.axes, np.unravel_index(int(i), self.shape)):
            v = self.axes[name][int(ix)]
            row[name] = v if isinstance(v, str) else float(v)
        return row

    # -- outputs -------------------------------------------------------------------------------
    def write(self, path, fmt: str | None = None, *, overwrite: bool = False, progress=None,
              columns=None, float32: bool = False) -> Path:
        """Stream every case to ``path`` (CSV, Parquet or Zarr), atomically.

        ``columns`` (names from :attr:`result_columns`; None for all) keeps only those results,
        in the grid's column order; ``status`` is always kept. ``float32`` stores the float
        results as float32 (about 7 significant digits; the metadata says ``"result_dtype":
        "float32"``). The next chunk is computed while the last one is written.

        With a Dask ``client`` (run_grid(..., client=...)), Parquet becomes a partitioned
        dataset directory (one file per task) and Zarr a store whose regions the tasks write in
        parallel, each published under ``path`` only once every part is written
        (docs/distributed.md); CSV, one ordered file, is written here."""
        from concurrent.futures import ThreadPoolExecutor

        from crashcompat.runs.writers import format_from_path, open_writer

        fmt = format_from_path(path, fmt)
        if self.client is not None and fmt in ("parquet", "zarr"):
            from crashcompat.runs.distributed import write_dataset

            return write_dataset(self, path, fmt, overwrite=overwrite, progress=progress,
                                 columns=columns, float32=float32)
        _, cols, meta = self._output_plan(columns, float32)
        with open_writer(path, fmt, axes=self.axes, columns=cols, metadata=meta,
                         overwrite=overwrite,
                         coords=self.labelled_coords() if fmt == "zarr" else None) as w, \
                ThreadPoolExecutor(1, thread_name_prefix="crashcompat-write") as pool:
            pending = None
            try:
                # the writers derive axis values from the row index themselves; two rotating
                # buffers: chunk i + 1 is computed while chunk i is written, and chunk i - 1's
                # write (the same buffer) has finished by then
                for start, table in self._case_tables(0, self.n_cases, None, progress, False,
                                                      buffers=2):
                    chunk = self._output_table(table, cols, float32)
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(w.write, start, chunk)
                if pending is not None:
                    pending, done = None, pending
                    done.result()
            finally:
                if pending is not None:  # an error or Ctrl-C: let the write finish, then abort
                    try:
                        pending.result()
                    except BaseException:
                        pass
        return Path(path)

    def _output_plan(self, columns, float32: bool):
        """(columns kept, their dtypes, the output's metadata) for :meth:`write`."""
        keep = self._output_columns(columns)
        ftype = np.float32 if float32 else np.float64
        cols = {c: (np.int8 if c in ("status", "pulse_status") else ftype) for c in keep}
        meta = self.metadata()
        meta["result_dtype"] = "float32" if float32 else "float64"
        if columns is not None:
            meta["columns"] = list(keep)
        return keep, cols, meta

    @staticmethod
    def _output_table(table: dict, cols: dict, float32: bool) -> dict:
        """The columns ``cols`` of a chunk, floats narrowed to float32 where asked."""
        return {c: (table[c].astype(np.float32) if float32 and cols[c] == np.float32
                    else table[c]) for c in cols}

    def _output_columns(self, columns) -> tuple[str, ...]:
        """The result columns to write: ``columns`` in the grid's order, plus ``status``."""
        if columns is None:
            return self.result_columns
        names = [columns] if isinstance(columns, str) else list(columns)
        valid = self.result_columns
        unknown = [c for c in names if c not in valid]
        if unknown:
            raise CrashCompatError(
                f"columns: {', '.join(map(repr, unknown))} "
                f"{'is not a result column' if len(unknown) == 1 else 'are not result columns'}"
                f" of this grid; choose from {', '.join(valid)}.")
        wanted = set(names) | {"status"}
        return tuple(c for c in valid if c in wanted)

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

    def labelled_coords(self) -> dict:
        """The coordinates of every labelled output (to_xarray and Zarr), as
        ``name -> (dimension, values, attrs)``: numeric axes as numbers; ``restitution`` and
        ``impact_position`` as numbers with NaN where the axis says ``model`` / ``driver-seat``
        and boolean flag coordinates beside them; vehicle class, mass and role."""
        from crashcompat.runs.writers import column_attrs

        words = {"restitution": ("model", "restitution_is_model"),
                 "impact_position": ("driver-seat", "impact_position_is_driver_seat")}
        coords = {}
        for k, v in self.axes.items():
            if k in words:
                word, flag = words[k]
                attrs = dict(column_attrs(k), units="1" if k == "restitution" else "m")
                coords[k] = (k, np.array([np.nan if x == word else float(x) for x in v]), attrs)
                coords[flag] = (k, np.array([x == word for x in v]),
                                {"long_name": f"{k} is {word!r} (the value is NaN)"})
            elif isinstance(v, tuple):
                coords[k] = (k, list(v), column_attrs(k))
            else:
                coords[k] = (k, np.asarray(v), column_attrs(k))
        for who, ids in (("subject", self.axes["subject"]), ("partner", self.axes["partner"])):
            vehicles = [self.catalog[i] for i in ids]
            coords[f"{who}_class"] = (who, [v.vehicle_class for v in vehicles],
                                      {"long_name": f"{who} vehicle class"})
            coords[f"{who}_mass_kg"] = (
                who, np.array([v.mass_kg for v in vehicles]),
                {"units": "kg", "long_name": f"{who} mass in the crash (curb mass + standard "
                                             "load, before load_kg)"})
        coords["subject_role"] = ("subject", list(self.roles),
                                  {"long_name": "subject or reference vehicle"})
        return coords

    def _xarray_coords(self, xr, column_attrs) -> dict:
        return {name: xr.Variable(dim, values, attrs)
                for name, (dim, values, attrs) in self.labelled_coords().items()}

    def _check_size(self, max_cases, what):
        if self.n_cases > max_cases:
            raise CrashCompatError(
                f"{what} would hold {self.n_cases:,} cases in memory (limit {max_cases:,}); "
                "stream with chunks() or write() instead, or raise max_cases")



def run_grid(spec: GridSpec | dict | str | Path | None = None, *, catalog=None,
             threads: int | None = None, chunk_cases: int = DEFAULT_CHUNK,
             max_cases: int | None = None,
             memory_budget_bytes: int | None = MEMORY_BUDGET_BYTES, samples: int = 0,
             seed: int = 0, exposure=None, uncertainty=None, client=None,
             task_crashes: int | None = None) -> GridRun:
    """Prepare a grid run from a spec (a :class:`GridSpec`, a dict of spec keys, a TOML path, or
    None for the ``kei-vs-us`` preset, or ``kei-in-us-traffic`` with an ``exposure``). Compute
    with the returned object's methods.

    The size is checked before any table is built: more than ``max_cases`` cases, or tables and
    buffers above ``memory_budget_bytes`` (1 GiB; None for no limit), raise
    :class:`GridSizeError` naming the axes that multiply it.

    ``samples`` > 0 adds a Monte Carlo over the assumed inputs (docs/uncertainty.md): every
    summary value X gets ``X_p05``, ``X_p50``, ``X_p95``, the same for the same ``seed`` on any
    thread count. ``uncertainty`` narrows the distributions (``"none"``: zero width; a dict by
    variable, :func:`crashcompat.runs.uncertainty.resolve_uncertainty`). ``exposure`` (``"us"``
    or an exposure TOML file) weights the grid by what a car meets in traffic and enables
    :meth:`GridRun.headline`.

    ``client`` (a ``dask.distributed.Client``; needs ``pip install 'crashcompat[dask]'``)
    runs the summary, the Monte Carlo and Parquet/Zarr outputs on its workers, in tasks of
    ``task_crashes`` crashes (partner x configuration x speeds; None: about four tasks per
    worker thread, within the chunk size) whose partial results merge exactly: the summary is
    bit-identical to this process's (docs/distributed.md). None computes here and imports no
    Dask.
    """
    if client is not None:
        from crashcompat.runs.distributed import check_client

        check_client(client)
    if spec is None:
        spec = GridSpec(**PRESETS["kei-in-us-traffic" if exposure is not None else "kei-vs-us"])
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
                   memory_budget_bytes=memory_budget_bytes, samples=samples, seed=seed,
                   exposure=exposure, uncertainty=uncertainty, client=client,
                   task_crashes=task_crashes)


def _whole(x, key: str, high: int) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or not 0 <= x <= high:
        raise GridSpecError(f"{key}: expected a whole number from 0 to {high:,}, got {x!r}")
    return int(x)


def _max_threads() -> int:
    import numba

    return numba.config.NUMBA_NUM_THREADS

