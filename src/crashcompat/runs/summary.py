"""The summary of a grid run: per (subject, partner, configuration, speeds) the statistics
reduced in the summary kernel, compared with each reference car, streamed row by row."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Summary"]


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



def _r(x, nd=3):
    x = float(x)
    return None if math.isnan(x) else round(x, nd)
