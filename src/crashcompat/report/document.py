"""The report of one grid run: what it holds, independent of how it is written (HTML or
Markdown, :mod:`crashcompat.report.html` and :mod:`crashcompat.report.markdown`).

:func:`build_report` gathers the headline (when the run has one), the figures, the validation
table (when the validation suite is there), the assumptions with their sources, the limits and
the provenance. A section whose data is not available is left out with a one-sentence note
saying why, never with a made-up number.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

from crashcompat._version import __version__
from crashcompat.report.data import (NotAvailableError, assumptions, headline_of, limits,
                                     provenance, validation_of)

__all__ = ["Report", "ReportFigure", "build_report"]

#: resolution of the figures embedded in the report (PNG): sharp on a phone, ~100 kB each
EMBED_DPI = 110
#: above this many partners the report draws one risk-ratio heat map per configuration (a 2 x 2
#: grid of heat maps of more partners would need zooming to read its labels)
SPLIT_HEATMAP_PARTNERS = 12


@dataclass
class ReportFigure:
    """One figure of the report: its kind, title, caption and the matplotlib figure (whose
    ``crashcompat_data`` holds the plotted numbers)."""

    kind: str
    title: str
    caption: str
    figure: object
    _png: bytes | None = field(default=None, repr=False)

    def png(self) -> bytes:
        """The figure as PNG bytes (rendered once)."""
        if self._png is None:
            buf = io.BytesIO()
            self.figure.savefig(buf, format="png", dpi=EMBED_DPI,
                                metadata={"Software": f"crashcompat {__version__}"})
            self._png = buf.getvalue()
        return self._png

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png()).decode("ascii")

    @property
    def data(self) -> dict:
        return self.figure.crashcompat_data


@dataclass
class Report:
    """Everything the report says. ``headline``/``validation`` are None where not available,
    with the reason in ``notes``; ``figures`` are :class:`ReportFigure`; ``assumptions`` are
    (topic, sentence) pairs; ``limits`` sentences; ``provenance`` a dict
    (:func:`crashcompat.report.data.provenance`)."""

    title: str
    lede: str
    run: object
    headline: object | None
    validation: object | None
    figures: list
    notes: dict
    assumptions: list
    limits: list
    provenance: dict

    def to_html(self) -> str:
        """One self-contained HTML page (figures as base64 PNG, inline CSS, no script)."""
        from crashcompat.report.html import render_html

        return render_html(self)

    def to_markdown(self, *, embed_figures: bool = False) -> str:
        """Markdown for pasting into notes; figures as data-URI images with
        ``embed_figures``, otherwise a line pointing to the HTML report."""
        from crashcompat.report.markdown import render_markdown

        return render_markdown(self, embed_figures=embed_figures)

    def write(self, path, *, overwrite: bool = False, embed_figures: bool = False) -> Path:
        """Write the report to ``path``: HTML for .html/.htm, Markdown for .md/.markdown;
        atomically, refusing an existing file unless ``overwrite``."""
        from crashcompat.report.output import atomic_write, report_format

        fmt = report_format(path)
        text = self.to_html() if fmt == "html" else self.to_markdown(embed_figures=embed_figures)

        def write(temp):
            with open(temp, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)

        return atomic_write(path, write, overwrite=overwrite)

    def vehicle_label(self, vehicle: str) -> str:
        """A catalog id as its make and model (two generations of one model keep their ids);
        other labels ("kei (class)") as they are."""
        from crashcompat.report.data import short_names

        if not hasattr(self, "_labels"):
            ids = [i for i in (list(self.run.axes["subject"]) + list(self.run.partner_ids))]
            self._labels = dict(zip(ids, short_names(self.run, ids)))
        return self._labels.get(vehicle, vehicle)

    def __repr__(self) -> str:
        kinds = ", ".join(f.kind for f in self.figures) or "none"
        missing = "; ".join(f"{k}: {v}" for k, v in self.notes.items())
        return (f"<Report {self.title!r}: figures {kinds}"
                + (f"; left out: {missing}" if missing else "") + ">")


def _listing(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _describe(run) -> tuple[str, str]:
    """Title and a one-paragraph description of what the grid holds."""
    from crashcompat.report.data import grid_name, short_name, vehicle_class

    subj = list(dict.fromkeys(vehicle_class(run, s) for s in run.subject_ids))
    part = list(dict.fromkeys(vehicle_class(run, p) for p in run.partner_ids))
    title = f"Crash compatibility: {_listing(subj)} against {_listing(part)}"
    speed_names = [n for n in run.axes if n.endswith("_speed_kph")]
    speeds = run.axes[speed_names[0]]
    what = ("closing speeds" if speed_names[0] == "closing_speed_kph" else "subject speeds")
    refs = (f", each compared with {_listing([short_name(run, r) for r in run.reference_ids])}"
            " in the same crashes" if run.reference_ids else "")
    lede = (f"{len(run.subject_ids)} {_listing(subj)} "
            f"{'vehicle' if len(run.subject_ids) == 1 else 'vehicles'} against "
            f"{len(run.partner_ids)} {_listing(part)} "
            f"{'vehicle' if len(run.partner_ids) == 1 else 'vehicles'} in "
            f"{_listing(run.axes['configuration'])} impacts at {what} of "
            f"{min(speeds):g}-{max(speeds):g} km/h{refs}: {run.n_cases:,} cases of the "
            f"{grid_name(run.spec)}, computed by crashcompat {__version__}. The numbers are "
            "model estimates for comparison, not predictions for one crash; the limits are "
            "below.")
    return title, lede


_CAPTIONS = {
    "headline": "Each kei vehicle's and the kei class's risk per two-vehicle crash, weighted by "
                "how often each partner class and crash type occur in US traffic, relative to "
                "the reference cars (1 = the same). Points use the nominal inputs; grey bars are "
                "the 5-95 % range of the Monte Carlo draws, which need not contain the point "
                "when the assumed inputs are skewed; open diamonds are the Evans mass-ratio law "
                "for the same exposure.",
    "dv": "Occupant delta-v at the driver's seat against closing speed, {conf} impacts: the "
          "subject class (mean over its vehicles and the panel's partners) and each reference "
          "car in the same crashes. Shaded: {band}.",
    "risk-ratio": "Risk of each subject vehicle's occupant relative to the reference cars' "
                  "occupants in the same crashes ({curve}), mean over the grid's closing "
                  "speeds with equal weights (no exposure weighting); red is worse than the "
                  "reference cars, blue better.",
    "crush": "Crush demand (mean maximum dynamic crush of the struck face, from the crash "
             "pulse) against the crush space in the catalog; points above the dashed line use "
             "up the structure. An intrusion indicator, not a prediction of intrusion.",
    "validation": "Predicted against measured delta-v for the validation suite's published "
                  "crashes; the dashed line is perfect agreement, the legend gives each crash "
                  "type's bias and spread.",
}


def build_report(run, *, headline="auto", validation="auto", kinds=None,
                 configurations=None) -> Report:
    """The report of ``run`` (a :class:`crashcompat.runs.grid.GridRun`).

    ``headline``: ``"auto"`` (``run.headline()`` when it is available), None (leave it out) or
    a headline object. ``validation``: ``"auto"`` (run the validation suite when installed),
    None, or a validation result. ``kinds``: the figure kinds to include
    (:data:`crashcompat.report.FIGURE_KINDS` by default; a kind without data is left out with a
    note). ``configurations``: the configurations that get a delta-v figure (every one of the
    run's by default). Needs matplotlib (the ``[plot]`` extra).
    """
    from crashcompat.report import FIGURE_KINDS
    from crashcompat.report import figures as F

    F._figure_class()  # the extra's message before any work
    notes: dict[str, str] = {}
    if headline == "auto":
        try:
            headline = headline_of(run)
        except NotAvailableError as exc:
            headline, notes["headline"] = None, str(exc)
    if validation == "auto":
        try:
            validation = validation_of()
        except NotAvailableError as exc:
            validation, notes["validation"] = None, str(exc)
    kinds = list(kinds or FIGURE_KINDS)
    figures = []

    def add(kind, title, caption, make):
        try:
            figures.append(ReportFigure(kind, title, caption, make()))
        except NotAvailableError as exc:
            notes[f"figure {kind}"] = str(exc)

    for kind in kinds:
        if kind == "headline":
            if headline is not None:
                caption = _CAPTIONS[kind]
                if not getattr(headline, "samples", 0):
                    caption += " This run has no Monte Carlo samples, so no bands."
                add(kind, "Exposure-weighted risk relative to the reference cars",
                    caption, lambda: F.headline_ratios(run, headline=headline))
        elif kind == "dv":
            for conf in (configurations or run.axes["configuration"]):
                try:
                    fig = F.dv_by_partner_class(run, configuration=conf)
                except NotAvailableError as exc:
                    notes[f"figure {kind}"] = str(exc)
                    break
                band = fig.crashcompat_data["band_text"]
                figures.append(ReportFigure(kind, f"Occupant delta-v, {conf} impacts",
                                            _CAPTIONS[kind].format(conf=conf, band=band), fig))
        elif kind == "risk-ratio":
            curve = run.curves[0].name if getattr(run, "curves", None) else "no curve"
            caption = _CAPTIONS[kind].format(curve=curve)
            if len(run.partner_ids) <= SPLIT_HEATMAP_PARTNERS:
                add(kind, "Risk relative to the reference cars, by partner", caption,
                    lambda: F.risk_ratio_heatmap(run))
            else:  # one heat map per configuration, each wide enough to read
                for conf in (configurations or run.axes["configuration"]):
                    add(kind, f"Risk relative to the reference cars, by partner, {conf} impacts",
                        caption, lambda conf=conf: F.risk_ratio_heatmap(
                            run, configurations=[conf]))
        elif kind == "crush":
            add(kind, "Crush demand against crush space", _CAPTIONS[kind],
                lambda: F.crush_demand(run))
        elif kind == "validation":
            if validation is not None:
                add(kind, "Validation: predicted against measured", _CAPTIONS[kind],
                    lambda: F.validation_scatter(validation=validation))
        else:
            raise NotAvailableError(f"unknown figure kind {kind!r}; choose among "
                                    f"{', '.join(FIGURE_KINDS)}")
    title, lede = _describe(run)
    return Report(title=title, lede=lede, run=run, headline=headline, validation=validation,
                  figures=figures, notes=notes, assumptions=assumptions(run, headline),
                  limits=limits(run, headline), provenance=provenance(run, headline))
