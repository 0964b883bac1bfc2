"""The summary of a grid run: per (subject, partner, configuration, speeds) the statistics
reduced in the summary kernel, compared with each reference car, streamed row by row.

Values are full-precision floats (None where a group has no result); rounding is for display
only, in the CLI."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Summary"]


class Summary:
    """Grid summary: comparison rows, worst cases and counts by status.

    The per-group statistics stay in arrays; :meth:`iter_rows` generates the comparison rows one
    at a time (their number grows with subjects x partners x configurations x speeds x
    references), so printing or saving a summary of any grid stays in bounded memory. ``rows``
    builds the whole list and :meth:`to_pandas` a DataFrame, for small grids and interactive
    use. Values are unrounded; None (NaN in :meth:`to_pandas`) where a group has no result.
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
                            base["subject_occupant_dv_kph"] = _value(v[k_mean])
                            base["subject_occupant_dv_max_kph"] = _value(v[k_max])
                            base["partner_occupant_dv_kph"] = _value(v[k_part])
                            base["subject_energy_share"] = _value(v[k_share])
                            for r_k, r_id in enumerate(refs):
                                row = dict(base)
                                row["reference"] = r_id or ""
                                if r_id is None:
                                    row["reference_occupant_dv_kph"] = None
                                    row["ratio"] = None
                                else:
                                    ref = st[ns + r_k, j, c, a, b][k_mean]
                                    row["reference_occupant_dv_kph"] = _value(ref)
                                    row["ratio"] = _value(v[k_mean] / ref) if ref > 0 else None
                                for key in extra_keys:
                                    ex = self._extra[key]
                                    mine = ex[i, j, c, a, b]
                                    theirs = ex[ns + r_k, j, c, a, b] if r_id else np.nan
                                    if key.startswith("subject_risk_"):
                                        curve = key.removeprefix("subject_risk_")
                                        part = self._extra[f"partner_risk_{curve}"][i, j, c, a, b]
                                        row[key] = _value(mine)
                                        row[f"partner_risk_{curve}"] = _value(part)
                                        row[f"reference_risk_{curve}"] = _value(theirs)
                                        row[f"relative_risk_{curve}"] = (
                                            _value(mine / theirs) if theirs > 0 else None)
                                    else:
                                        row[key] = _value(mine)
                                        row["reference_" + key.removeprefix("subject_")] = \
                                            _value(theirs)
                                yield row

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
        lines.append("  .rows, .iter_rows(), .worst, .status_counts, .to_pandas()>")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "worst": self.worst, "status_counts": self.status_counts,
                "n_cases": self.n_cases}



def _value(x) -> float | None:
    """A float, unrounded, or None for NaN (JSON has no NaN)."""
    x = float(x)
    return None if math.isnan(x) else x


def _r(x, nd=None) -> float | None:
    """Kept for callers in :mod:`crashcompat.runs.grid`: the same as :func:`_value`; ``nd`` is
    ignored, because the library no longer rounds (the CLI rounds for display)."""
    return _value(x)
