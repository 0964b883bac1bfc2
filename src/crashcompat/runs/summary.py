"""The summary of a grid run: per (subject, partner, configuration, speeds) the statistics
reduced in the summary kernel, compared with each reference car, streamed row by row.

Values are full-precision floats (None where a group has no result); rounding is for display
only, in the CLI. With a Monte Carlo (``run_grid(..., samples=N)``) every value X that varies with
the draws has ``X_p05``, ``X_p50`` and ``X_p95`` beside it; X stays the deterministic value."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # for the annotation only; runs.grid imports this module
    from crashcompat.runs.grid import GridRun

__all__ = ["Summary", "band_names"]


class Summary:
    """Grid summary: comparison rows, worst cases and counts by status.

    The per-group statistics stay in arrays; :meth:`iter_rows` generates the comparison rows one
    at a time (their number grows with subjects x partners x configurations x speeds x
    references), so printing or saving a summary of any grid stays in bounded memory. ``rows``
    builds the whole list and :meth:`to_pandas` a DataFrame, for small grids and interactive
    use. Values are unrounded; None (NaN in :meth:`to_pandas`) where a group has no result.

    With a Monte Carlo (``samples > 0``) every column X that varies with the draws (occupant
    delta-v of subject, partner and reference, the energy and crush-exhausted shares, the ratio,
    every risk and relative risk) is followed by ``X_p05``, ``X_p50`` and ``X_p95``, the 5th,
    50th and 95th percentiles over the samples (within 0.2 % of the value,
    docs/uncertainty.md); X itself is the deterministic value with the nominal inputs.
    """

    def __init__(self, run: "GridRun", stats, worst, status_counts, extra=None, bands=None):
        self._run = run
        self._stats = stats  # (subjects+references, partners, configurations, speed_a, speed_b, k)
        self._extra = extra or {}  # column -> per-group mean, same leading shape as stats
        # Monte Carlo percentiles: per group (rows, partners, configurations, speed_a, speed_b,
        # group stat, 3) and per (subject, reference) pair (subjects, references, ..., pair
        # stat, 3); None without samples
        self._bands = bands
        self.samples = run.samples if bands is not None else 0
        self.worst = worst
        self.status_counts = status_counts
        self.n_cases = run.n_cases
        speed_names = [n for n in run.axes if n.endswith("_speed_kph")]
        cols = ["subject", "partner", "configuration", *speed_names,
                "subject_occupant_dv_kph", "subject_occupant_dv_max_kph",
                "partner_occupant_dv_kph", "subject_energy_share",
                "subject_crush_exhausted_share", "reference", "reference_occupant_dv_kph",
                "reference_crush_exhausted_share", "ratio", *self._extra_columns()]
        if bands is not None:
            cols = [x for c in cols for x in ((c, *band_names(c)) if self._banded(c) else (c,))]
        self.columns = tuple(cols)
        self.worst_columns = tuple(worst[0]) if worst else ()
        self.n_rows = (len(run.subject_ids) * len(run.partner_ids) * len(run.axes["configuration"])
                       * int(np.prod(run.kernel_shape[3:5])) * max(1, len(run.reference_ids)))

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

    #: columns whose Monte Carlo bands come from the group statistics (index in the kernel's
    #: per-group statistics, :data:`crashcompat.kernels.grid.MC_GROUP_STATS`)
    _GROUP_BAND = {"subject_occupant_dv_kph": 0, "subject_occupant_dv_max_kph": 1,
                   "partner_occupant_dv_kph": 2, "subject_energy_share": 3,
                   "subject_crush_exhausted_share": 4, "reference_occupant_dv_kph": 0,
                   "reference_crush_exhausted_share": 4}

    def _banded(self, col: str) -> bool:
        return (col in self._GROUP_BAND or col == "ratio"
                or col.startswith(("subject_risk_", "partner_risk_", "reference_risk_",
                                   "relative_risk_")))

    def iter_rows(self):
        """Yield the comparison rows (dicts keyed by :attr:`columns`), in grid order."""
        from crashcompat.kernels.grid import SUMMARY_STATS
        from crashcompat.severity.measures import risk_column

        run, st = self._run, self._stats
        col = {name: k for k, name in enumerate(SUMMARY_STATS)}
        k_mean, k_max = col["subject_occupant_dv_mean_kph"], col["subject_occupant_dv_max_kph"]
        k_part, k_share = col["partner_occupant_dv_mean_kph"], col["energy_share_subject_mean"]
        k_crush = col["subject_crush_exhausted_share"]
        nc = len(run.curves)
        curve_k = {risk_column("subject", c).removeprefix("subject_risk_"): k
                   for k, c in enumerate(run.curves)}
        bg, bp = self._bands if self._bands is not None else (None, None)
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
                            base["subject_occupant_dv_kph"] = value_or_none(v[k_mean])
                            base["subject_occupant_dv_max_kph"] = value_or_none(v[k_max])
                            base["partner_occupant_dv_kph"] = value_or_none(v[k_part])
                            base["subject_energy_share"] = value_or_none(v[k_share])
                            base["subject_crush_exhausted_share"] = value_or_none(v[k_crush])
                            if bg is not None:
                                g = bg[i, j, c, a, b]
                                for name in ("subject_occupant_dv_kph",
                                             "subject_occupant_dv_max_kph",
                                             "partner_occupant_dv_kph", "subject_energy_share",
                                             "subject_crush_exhausted_share"):
                                    _put_bands(base, name, g[self._GROUP_BAND[name]])
                                for curve, kc in curve_k.items():
                                    _put_bands(base, f"subject_risk_{curve}", g[5 + kc])
                                    _put_bands(base, f"partner_risk_{curve}", g[5 + nc + kc])
                            for r_k, r_id in enumerate(refs):
                                row = dict(base)
                                row["reference"] = r_id or ""
                                if r_id is None:
                                    row["reference_occupant_dv_kph"] = None
                                    row["reference_crush_exhausted_share"] = None
                                    row["ratio"] = None
                                else:
                                    rv = st[ns + r_k, j, c, a, b]
                                    ref = rv[k_mean]
                                    row["reference_occupant_dv_kph"] = value_or_none(ref)
                                    row["reference_crush_exhausted_share"] = value_or_none(rv[k_crush])
                                    row["ratio"] = value_or_none(v[k_mean] / ref) if ref > 0 else None
                                if bg is not None:
                                    rg = bg[ns + r_k, j, c, a, b] if r_id else None
                                    pg = bp[i, r_k, j, c, a, b] if r_id else None
                                    for name in ("reference_occupant_dv_kph",
                                                 "reference_crush_exhausted_share"):
                                        _put_bands(row, name, None if rg is None
                                                   else rg[self._GROUP_BAND[name]])
                                    _put_bands(row, "ratio", None if pg is None else pg[0])
                                    for curve, kc in curve_k.items():
                                        _put_bands(row, f"reference_risk_{curve}",
                                                   None if rg is None else rg[5 + kc])
                                        _put_bands(row, f"relative_risk_{curve}",
                                                   None if pg is None else pg[1 + kc])
                                for key in extra_keys:
                                    ex = self._extra[key]
                                    mine = ex[i, j, c, a, b]
                                    theirs = ex[ns + r_k, j, c, a, b] if r_id else np.nan
                                    if key.startswith("subject_risk_"):
                                        curve = key.removeprefix("subject_risk_")
                                        part = self._extra[f"partner_risk_{curve}"][i, j, c, a, b]
                                        row[key] = value_or_none(mine)
                                        row[f"partner_risk_{curve}"] = value_or_none(part)
                                        row[f"reference_risk_{curve}"] = value_or_none(theirs)
                                        row[f"relative_risk_{curve}"] = (
                                            value_or_none(mine / theirs) if theirs > 0 else None)
                                    else:
                                        row[key] = value_or_none(mine)
                                        row["reference_" + key.removeprefix("subject_")] = \
                                            value_or_none(theirs)
                                yield row if bg is None else {k: row.get(k) for k in self.columns}

    @property
    def rows(self) -> list[dict]:
        return list(self.iter_rows())

    def to_pandas(self):
        """The comparison rows as a ``pandas.DataFrame`` (NaN where a value is missing); the
        worst cases and status counts are in ``df.attrs``. Needs pandas
        (``pip install 'crashcompat[pandas]'``)."""
        from crashcompat.errors import require_extra

        pd = require_extra("pandas", "Summary.to_pandas()", "pandas")
        df = pd.DataFrame.from_records(self.iter_rows(), columns=list(self.columns))
        numeric = [c for c in self.columns
                   if c not in ("subject", "partner", "configuration", "reference")]
        df[numeric] = df[numeric].astype("float64")
        df.attrs.update(worst=self.worst, status_counts=self.status_counts,
                        n_cases=self.n_cases)
        return df

    def __repr__(self) -> str:
        run = self._run
        speed = [n for n in run.axes if n.endswith("_speed_kph")]
        by = " x ".join(["subject", "partner", "configuration", *speed]
                        + (["reference"] if run.reference_ids else []))
        counts = ", ".join(f"{k} {v:,}" for k, v in self.status_counts.items() if v)
        lines = [f"<Summary of grid {run.spec.name!r}: {self.n_cases:,} cases, {self.n_rows:,} "
                 f"rows ({by}) x {len(self.columns)} columns",
                 f"  status: {counts or 'no cases'}"]
        if self.worst:
            w = self.worst[0]
            where = ", ".join(f"{k.removesuffix('_kph').replace('_', ' ')} {w[k]:g} km/h"
                              if k.endswith("_kph") else str(w[k])
                              for k in ("subject", "partner", "configuration", *speed) if k in w)
            dv = w.get("subject_occupant_dv_kph")
            lines.append(f"  worst: subject occupant delta-v {dv:.1f} km/h ({where})"
                         if dv is not None else f"  worst: {where}")
        if self.samples:
            lines.append(f"  Monte Carlo: {self.samples:,} samples, seed {run.seed}; X_p05, X_p50, "
                         "X_p95 beside each value X (X itself: the nominal inputs)")
        lines.append("  .rows, .iter_rows(), .worst, .status_counts, .to_pandas()>")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "worst": self.worst, "status_counts": self.status_counts,
                "n_cases": self.n_cases, "samples": self.samples}



def band_names(col: str) -> tuple[str, str, str]:
    """The Monte Carlo band columns of summary column ``col``."""
    return (f"{col}_p05", f"{col}_p50", f"{col}_p95")


def _put_bands(row: dict, col: str, q) -> None:
    for name, k in zip(band_names(col), range(3)):
        row[name] = None if q is None else value_or_none(q[k])


def value_or_none(x) -> float | None:
    """A float, unrounded, or None for NaN (JSON has no NaN)."""
    x = float(x)
    return None if math.isnan(x) else x


