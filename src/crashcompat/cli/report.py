"""``crashcompat report [SPEC] -o report.html``: the readable answer of a grid run as one
self-contained HTML file (or Markdown, ``-o report.md``; ``-o -`` prints Markdown); a thin
layer over :func:`crashcompat.report.build_report`.

The grid is SPEC and the options over the ``kei-vs-us`` preset, as for ``crashcompat grid``,
with the risk and pulse measures added (the figures need them). The file is written atomically
and an existing one is kept unless ``--overwrite``. Expected errors are one sentence, exit 1.
"""

from __future__ import annotations

import logging
import sys

import click

from crashcompat.cli.options import LOGGER
from crashcompat.cli.plot import build_run, grid_options, one_sentence, overrides_from

_log = logging.getLogger(LOGGER + ".cli")


@click.command("report")
@click.argument("spec_file", required=False, metavar="[SPEC]",
                type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("-o", "--output", required=True, metavar="FILE",
              help="report.html (one self-contained page) or report.md (Markdown); '-' "
              "prints Markdown on stdout.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@click.option("--embed-figures", is_flag=True,
              help="Markdown: embed the figures as data-URI images.")
@click.option("--no-validation", is_flag=True, help="Leave the validation suite out.")
@grid_options
def report(spec_file, output, overwrite, embed_figures, no_validation, preset, subjects,
           partners, references, configurations, closing_speed, angle, overlap, measures,
           risk_curves, samples, seed, exposure, vehicles_dirs):
    """Write the report of a grid run: headline, figures, validation, assumptions and their
    sources, limits and provenance.

    The HTML file embeds its figures and styles and loads nothing from the network; it reads on
    a phone and prints. The Markdown variant is for pasting into notes. The grid is SPEC and
    the options over the kei-vs-us preset, as for 'crashcompat grid'. Needs matplotlib: pip
    install 'crashcompat[plot]'.
    """
    from crashcompat.errors import CrashCompatError
    from crashcompat.report import build_report
    from crashcompat.report import figures as F
    from crashcompat.report.output import check_destination, report_format

    to_stdout = output == "-"
    try:
        if not to_stdout:
            report_format(output)
            check_destination(output, overwrite)
        F._figure_class()
    except CrashCompatError as exc:
        raise one_sentence(exc) from None
    run = build_run(spec_file, overrides_from(preset, subjects, partners, references,
                                              configurations, closing_speed, angle, overlap,
                                              measures, risk_curves),
                    vehicles_dirs, samples=samples, seed=seed, exposure=exposure,
                    need_measures=("risk", "pulse"), default_exposure="us")
    try:
        _log.info("computing %s cases and the report's figures", f"{run.n_cases:,}")
        doc = build_report(run, validation=None if no_validation else "auto")
        for key, note in doc.notes.items():
            _log.info("note: %s left out: %s", key, note)
        if to_stdout:
            click.echo(doc.to_markdown(embed_figures=embed_figures), nl=False)
            return
        path = doc.write(output, overwrite=overwrite, embed_figures=embed_figures)
    except CrashCompatError as exc:
        raise one_sentence(exc) from None
    except KeyboardInterrupt:
        click.echo("crashcompat report: interrupted; no file was written", err=True)
        sys.exit(130)
    _log.info("wrote %s (%d figures)", path, len(doc.figures))


__all__ = ["report"]
