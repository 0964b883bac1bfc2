"""Figures and the self-contained report (docs/report.md): the answer a person can read.

- :mod:`crashcompat.report.figures`: one function per figure kind, each returning a matplotlib
  ``Figure`` with the plotted numbers attached as ``fig.crashcompat_data`` (so tests compare
  data, not pixels). Needs the ``[plot]`` extra (``pip install 'crashcompat[plot]'``).
- :func:`build_report`: headline, figures, validation table, assumptions, limits and provenance
  of one grid run, written as one self-contained HTML file or as Markdown.

Nothing here computes physics: every number comes from the run (its summary, its metadata, its
headline when the run has one) or from the validation suite.
"""

from __future__ import annotations

from crashcompat.report.data import NotAvailableError, spec_to_toml
from crashcompat.report.document import Report, build_report

__all__ = ["NotAvailableError", "Report", "build_report", "spec_to_toml", "FIGURE_KINDS",
           "plot"]

#: the figure kinds, in the order the report shows them (names as in ``crashcompat plot KIND``)
FIGURE_KINDS = ("headline", "dv", "risk-ratio", "crush", "validation")


def plot(kind: str, run=None, **options):
    """The figure ``kind`` (one of :data:`FIGURE_KINDS`) of ``run``; see
    :func:`crashcompat.report.figures.plot`."""
    from crashcompat.report.figures import plot as _plot

    return _plot(kind, run, **options)
