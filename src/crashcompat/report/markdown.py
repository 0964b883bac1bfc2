"""The report as Markdown, for pasting into notes: the same sections and numbers as the HTML
page (:mod:`crashcompat.report.tables`), GitHub-style pipe tables, the grid spec as a TOML
block. Figures are data-URI images with ``embed_figures`` (Obsidian, Typora, VS Code and
Jupyter show them; GitHub does not), otherwise a list of their titles pointing to the HTML
report."""

from __future__ import annotations

from crashcompat._version import __version__
from crashcompat.report import tables as T

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header, rows) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report, *, embed_figures: bool = False) -> str:
    prov = report.provenance
    out = [f"# {report.title}", "", report.lede, "", "## Headline", ""]
    if report.headline is not None:
        header, rows = T.headline_table(report.headline, report.vehicle_label)
        h = report.headline
        out += [_table(header, rows), "",
                f"Exposure: {getattr(h, 'exposure_name', '-')}; {getattr(h, 'samples', '-')} "
                f"Monte Carlo samples, seed {getattr(h, 'seed', '-')}.", ""]
    else:
        out += ["> No exposure-weighted headline in this report: "
                + report.notes.get("headline", "it was not asked for") + ".", ""]

    out += ["## Figures", ""]
    for k, f in enumerate(report.figures, 1):
        if embed_figures:
            out += [f"![Figure {k}: {f.title}]({f.data_uri()})", ""]
        out += [f"**Figure {k}. {f.title}.** {f.caption}", ""]
    if report.figures and not embed_figures:
        out += ["(The figures are in the HTML report: `crashcompat report ... -o "
                "report.html`, or embed them here with `--embed-figures`.)", ""]
    for key, text in report.notes.items():
        if key.startswith("figure "):
            out += [f"> A figure is left out: {text}.", ""]

    out += ["## Validation", ""]
    if report.validation is not None:
        header, rows = T.validation_summary_table(report.validation)
        out += [_table(header, rows), "", "### Cases", ""]
        header, rows = T.validation_cases_table(report.validation)
        out += [_table(header, rows), "", "### Vehicles, notes and sources", ""]
        out += [f"- **{cid}**: {text}" for cid, text in T.validation_case_notes(
            report.validation)] + [""]
    else:
        out += ["> No validation table in this report: "
                + report.notes.get("validation", "it was not asked for") + ".", ""]

    out += ["## Assumptions and their sources", "",
            _table(["topic", "assumption or model, with its source"],
                   [[a, b] for a, b in report.assumptions]), ""]
    out += ["## Limits", ""] + [f"- {x}" for x in report.limits] + [""]
    out += ["## Provenance", ""]
    out += [f"- {label}: `{value}`" if label == "catalog SHA-256" else f"- {label}: {value}"
            for label, value in T.provenance_items(prov)]
    out += ["", f"Grid spec (save as `spec.toml`; `{prov['command']}` runs the same grid "
            "again with the same catalog):", "", "```toml",
            prov["grid_spec_toml"].rstrip("\n"), "```", "",
            f"Written by crashcompat {__version__}.", ""]
    return "\n".join(out)
