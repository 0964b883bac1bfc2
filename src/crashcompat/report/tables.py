"""The report's tables as plain strings (header, rows), shared by the HTML and Markdown
renderers so that both say the same numbers. Display rounding only: three significant digits
for ratios and delta-v, probabilities as percentages."""

from __future__ import annotations

import math

__all__ = ["number", "percent", "with_band", "headline_table", "validation_cases_table",
           "validation_case_notes",
           "validation_summary_table", "provenance_items", "status_text"]


def _f(x):
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def number(x, digits: int = 3) -> str:
    x = _f(x)
    if x is None:
        return "-"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def percent(x, digits: int = 2) -> str:
    """A probability or share (0-1) as a percentage."""
    x = _f(x)
    return "-" if x is None else f"{100 * x:.{digits}g} %"


def with_band(x, lo, hi, fmt=number) -> str:
    """``1.85 (1.61-2.12)``; the band left out where it is missing."""
    text = fmt(x)
    if _f(lo) is None or _f(hi) is None or text == "-":
        return text
    if fmt is percent:  # "25 % (26-28 %)"
        return f"{text} ({fmt(lo).removesuffix(' %')}-{fmt(hi)})"
    return f"{text} ({fmt(lo)}-{fmt(hi)})"


def headline_table(headline, label=str) -> tuple[list[str], list[list[str]]]:
    """The headline's rows; ``label`` turns a vehicle id into what the reader sees."""
    header = ["vehicle", "outcome", "risk per crash (5-95 %)",
              "relative to reference cars (5-95 %)", "Evans mass-ratio law",
              "crush space used up (5-95 %)"]
    rows = []
    for r in headline.rows:
        rows.append([
            label(str(r.get("vehicle"))), str(r.get("outcome")),
            with_band(r.get("p"), r.get("p_p05"), r.get("p_p95"), percent),
            with_band(r.get("ratio"), r.get("ratio_p05"), r.get("ratio_p95")),
            number(r.get("evans_ratio")),
            with_band(r.get("crush_exhausted_share"), r.get("crush_exhausted_share_p05"),
                      r.get("crush_exhausted_share_p95"), percent),
        ])
    return header, rows


#: optional measured/predicted pairs of a validation case (CONTRACT item 3), shown when a case
#: has them: (measured key, predicted key, column title)
_PULSE_PAIRS = (("measured_pulse_duration_ms", "predicted_pulse_duration_ms",
                 "pulse duration, measured / predicted (ms)"),
                ("measured_peak_accel_g", "predicted_peak_accel_g",
                 "peak acceleration, measured / predicted (g)"))


def validation_cases_table(validation) -> tuple[list[str], list[list[str]]]:
    """The numbers of each case; its vehicle, notes and source are in
    :func:`validation_case_notes` (long text, a list rather than table cells)."""
    cases = list(validation.cases)
    pairs = [p for p in _PULSE_PAIRS if any(_f(c.get(p[0])) is not None for c in cases)]
    header = ["case", "type", "measured delta-v (km/h)", "predicted delta-v (km/h)", "error",
              *(p[2] for p in pairs)]
    rows = []
    for c in cases:
        err = _f(c.get("error_pct"))
        rows.append([str(c.get("id")) + ("" if c.get("used", True) else " *"),
                     str(c.get("type")),
                     number(c.get("measured_dv_kph")), number(c.get("predicted_dv_kph")),
                     "-" if err is None else f"{err:+.1f} %",
                     *(f"{number(c.get(m))} / {number(c.get(pr))}" for m, pr, _ in pairs)])
    return header, rows


def validation_case_notes(validation) -> list[tuple[str, str]]:
    """(case id, sentence): the vehicle, whether the case is in the statistics (``*`` in the
    table when not) and why, its known gap, and its source."""
    out = []
    for c in validation.cases:
        parts = [str(c.get("vehicle", "")).strip()]
        if not c.get("used", True):
            parts.append(f"* not in the statistics: {c.get('reason', '')}".strip())
        if c.get("known_gap"):
            parts.append(f"known gap: {c['known_gap']}")
        if c.get("source"):
            parts.append(f"source: {c['source']}")
        out.append((str(c.get("id")), ". ".join(p.rstrip(".") for p in parts if p) + "."))
    return out


def validation_summary_table(validation) -> tuple[list[str], list[list[str]]]:
    header = ["crash type", "cases", "bias", "spread"]
    rows = []
    for t, s in (getattr(validation, "summary", {}) or {}).items():
        bias, spread = _f(s.get("bias_pct")), _f(s.get("spread_pct"))
        rows.append([str(t), str(s.get("n", "-")),
                     "-" if bias is None else f"{bias:+.1f} %",
                     "-" if spread is None else f"{spread:.1f} %"])
    return header, rows


def status_text(counts: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items() if v) or "no cases"


def provenance_items(prov: dict) -> list[tuple[str, str]]:
    """(label, value) pairs of the provenance, in reading order (the spec itself apart)."""
    items = [("crashcompat version", prov["crashcompat_version"]),
             ("catalog SHA-256", prov["catalog_sha256"]),
             ("grid", prov["grid"]),
             ("cases", f"{prov['n_cases']:,}"),
             ("cases by status", status_text(prov["status_counts"]))]
    for key, label in (("samples", "Monte Carlo samples"), ("seed", "seed"),
                       ("exposure", "exposure"), ("headline_exposure", "headline exposure"),
                       ("headline_samples", "headline samples"), ("headline_seed",
                                                                  "headline seed")):
        if prov.get(key) is not None:
            items.append((label, str(prov[key])))
    return items
