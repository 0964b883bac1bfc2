"""The report as one self-contained HTML page.

Self-contained: figures are base64 PNG data URIs, the CSS is inline, there is no script, no
web font and no link that loads anything, so the file opens offline, in a mail attachment or
from a USB stick exactly as it was written. Readable on a phone (viewport meta, one fluid
column, wide tables scroll inside their own box) and printable (print CSS: no navigation,
figures and tables not split across pages).
"""

from __future__ import annotations

from html import escape

from crashcompat._version import __version__
from crashcompat.report import tables as T
from crashcompat.report.document import EMBED_DPI

__all__ = ["render_html", "CSS", "WIDE_FIGURE_IN"]

#: Figures wider than this (inches; 110 px each) would shrink below ~60 % in the page's
#: 64rem column and their labels below reading size: they are shown at full size in a box that
#: scrolls sideways (the page itself never does).
WIDE_FIGURE_IN = 15.5

CSS = """
:root { color-scheme: light; --fg: #1b1b1b; --muted: #595959; --rule: #d9d9d9;
        --accent: #b03a2e; --code: #f4f4f4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 64rem; padding: 1rem 1.25rem 3rem; color: var(--fg);
       background: #fff; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto,
       "Noto Sans", "DejaVu Sans", Arial, sans-serif; overflow-wrap: break-word; }
h1 { font-size: 1.65rem; line-height: 1.25; margin: .5rem 0 .75rem; }
h2 { font-size: 1.25rem; margin: 2.25rem 0 .5rem; padding-top: .5rem;
     border-top: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
p.lede { font-size: 1.05rem; color: var(--muted); }
nav ol { margin: .25rem 0; padding-left: 1.25rem; columns: 2 12rem; }
a { color: #1f4e79; }
figure { margin: 1.5rem 0; }
figure img { display: block; width: auto; max-width: 100%; height: auto;
             border: 1px solid var(--rule); }
.scroll { overflow-x: auto; max-width: 100%; }
figure img.wide { max-width: none; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .4rem; }
figcaption b { color: var(--fg); }
.note { border-left: 3px solid var(--accent); padding: .4rem .75rem; background: #fbf3f2;
        font-size: .92rem; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; }
th { background: #f7f7f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: minmax(8rem, max-content) 1fr;
           gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
code.hash { word-break: break-all; }
pre { background: var(--code); padding: .75rem; font-size: .8rem; white-space: pre-wrap;
      word-break: break-word; overflow-x: auto; }
ul.limits li, ul.notes li { margin-bottom: .35rem; }
ul.notes { font-size: .9rem; }
footer { margin-top: 3rem; font-size: .85rem; color: var(--muted); }
@media (max-width: 40rem) {
  body { font-size: 15px; padding: .75rem .8rem 2rem; }
  h1 { font-size: 1.35rem; }
  table { font-size: .8rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
  nav ol { columns: 1; }
}
@media print {
  @page { margin: 15mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, table, pre, .note, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  figure img { border: 0; max-height: 23cm; width: auto; max-width: 100%; }
  .table-wrap, .scroll { overflow: visible; }
  figure img.wide { max-width: 100%; }
}
"""


def _table(header, rows, numeric=()) -> str:
    head = "".join(f"<th scope=\"col\">{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f"<td class=\"num\">{escape(c)}</td>" if k in numeric
                        else f"<td>{escape(c)}</td>" for k, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return (f"<div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")


def _note(text: str) -> str:
    return f"<p class=\"note\">{escape(text)}</p>"


def render_html(report) -> str:
    """The report as an HTML5 document (a str)."""
    prov = report.provenance
    sections = []  # (id, title, html)

    # headline
    if report.headline is not None:
        header, rows = T.headline_table(report.headline, report.vehicle_label)
        body = [_table(header, rows, numeric=(2, 3, 4, 5))]
        h = report.headline
        body.append(f"<p>Exposure: {escape(str(getattr(h, 'exposure_name', '-')))}; "
                    f"{escape(str(getattr(h, 'samples', '-')))} Monte Carlo samples, seed "
                    f"{escape(str(getattr(h, 'seed', '-')))}.</p>")
        sections.append(("headline", "Headline", "".join(body)))
    else:
        sections.append(("headline", "Headline", _note(
            "No exposure-weighted headline in this report: "
            + report.notes.get("headline", "it was not asked for") + ".")))

    # figures
    figs = []
    for k, f in enumerate(report.figures, 1):
        width_in = f.figure.get_figwidth()
        img = (f"<img src=\"{f.data_uri()}\" alt=\"Figure {k}: "
               f"{escape(f.title, quote=True)}\" width=\"{round(width_in * EMBED_DPI)}\" "
               f"height=\"{round(f.figure.get_figheight() * EMBED_DPI)}\"")
        if width_in > WIDE_FIGURE_IN:  # full size in a box of its own that scrolls sideways
            img = f"<div class=\"scroll\">{img} class=\"wide\"></div>"
        else:
            img += ">"
        figs.append(f"<figure id=\"figure-{k}\">{img}<figcaption><b>Figure {k}. "
                    f"{escape(f.title)}.</b> {escape(f.caption)}</figcaption></figure>")
    left_out = [v for k, v in report.notes.items() if k.startswith("figure ")]
    for text in left_out:
        figs.append(_note("A figure is left out: " + text + "."))
    sections.append(("figures", "Figures", "".join(figs) or _note("No figures.")))

    # validation
    if report.validation is not None:
        header, rows = T.validation_summary_table(report.validation)
        body = [_table(header, rows, numeric=(1, 2, 3))]
        header, rows = T.validation_cases_table(report.validation)
        body.append("<h3>Cases</h3>" + _table(header, rows,
                                              numeric=tuple(range(2, len(header)))))
        notes = "".join(f"<li><b>{escape(cid)}</b>: {escape(text)}</li>"
                        for cid, text in T.validation_case_notes(report.validation))
        body.append(f"<h3>Vehicles, notes and sources</h3><ul class=\"notes\">{notes}</ul>")
        sections.append(("validation", "Validation", "".join(body)))
    else:
        sections.append(("validation", "Validation", _note(
            "No validation table in this report: "
            + report.notes.get("validation", "it was not asked for") + ".")))

    # assumptions
    rows = [[topic, text] for topic, text in report.assumptions]
    sections.append(("assumptions", "Assumptions and their sources",
                     _table(["topic", "assumption or model, with its source"], rows)))

    # limits
    items = "".join(f"<li>{escape(x)}</li>" for x in report.limits)
    sections.append(("limits", "Limits", f"<ul class=\"limits\">{items}</ul>"))

    # provenance
    facts = []
    for label, value in T.provenance_items(prov):
        cls = " class=\"hash\"" if label == "catalog SHA-256" else ""
        facts.append(f"<dt>{escape(label)}</dt><dd><code{cls}>{escape(value)}</code></dd>"
                     if cls else f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>")
    body = (f"<dl class=\"facts\">{''.join(facts)}</dl>"
            "<h3>Grid spec</h3><p>Save this as <code>spec.toml</code> and run "
            f"<code>{escape(prov['command'])}</code> to run the same grid again with the same "
            "catalog.</p>"
            f"<pre>{escape(prov['grid_spec_toml'])}</pre>")
    sections.append(("provenance", "Provenance", body))

    nav = "".join(f"<li><a href=\"#{sid}\">{escape(title)}</a></li>"
                  for sid, title, _ in sections)
    main = "".join(f"<section id=\"{sid}\"><h2>{escape(title)}</h2>{html}</section>"
                   for sid, title, html in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"crashcompat {escape(__version__)}\">\n"
        f"<title>{escape(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(report.title)}</h1>"
        f"<p class=\"lede\">{escape(report.lede)}</p></header>\n"
        f"<nav aria-label=\"Contents\"><ol>{nav}</ol></nav>\n<main>\n{main}\n</main>\n"
        f"<footer>Written by crashcompat {escape(__version__)} from the "
        f"{escape(prov['grid'])}; catalog SHA-256 <code class=\"hash\">"
        f"{escape(prov['catalog_sha256'])}</code>.</footer>\n</body>\n</html>\n")
