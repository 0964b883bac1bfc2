"""``crashcompat plot KIND [SPEC] -o FILE.{png,svg,pdf}``: one figure of a grid run; a thin
layer over :mod:`crashcompat.report.figures`.

The grid comes from SPEC (a TOML grid spec, ``-`` for stdin) and the options below, over the
``kei-vs-us`` preset, as in ``crashcompat grid``. The file is written atomically and an existing
one is kept unless ``--overwrite``. Expected errors (a spec problem, a kind whose data this run
or this installation lacks, matplotlib missing) are one sentence, exit 1.
"""

from __future__ import annotations

import inspect
import logging
import sys

import click

from crashcompat.cli.options import LOGGER
from crashcompat.cli.vehicles import vehicles_dir_option

#: figure kinds (:data:`crashcompat.report.figures.KINDS`; literal so --help imports nothing)
KINDS = ("dv", "risk-ratio", "crush", "validation", "headline")

_log = logging.getLogger(LOGGER + ".cli")


def _opt(name, *decls, **kw):
    return click.option(name, *decls, default=None, **kw)


def grid_options(f):
    """The grid-spec options shared by ``plot`` and ``report`` (a subset of ``grid``'s, with
    the same names and meanings; docs/cli.md)."""
    opts = [
        _opt("--preset", type=click.Choice(["kei-vs-us"]),
             help="Start from a named preset (default kei-vs-us when no SPEC is given)."),
        _opt("--subjects", metavar="LIST", help="Subject vehicles: ids, globs (kei/*) or "
             "classes, comma-separated."),
        _opt("--partners", metavar="LIST", help="Partner vehicles, as for --subjects."),
        _opt("--references", metavar="LIST", help="Reference vehicles that take the subject's "
             "place ('none' for no comparison)."),
        _opt("--configurations", metavar="LIST",
             help="frontal, side, rear, side-struck-by-subject (comma-separated)."),
        _opt("--closing-speed", metavar="KPH", help="Closing speeds, km/h: values or "
             "start:stop:step."),
        _opt("--angle", metavar="DEG", help="Impact angles, degrees."),
        _opt("--overlap", metavar="FRAC", help="Overlap fractions (frontal, rear)."),
        _opt("--measures", metavar="LIST", help="Measure families: dv, risk, pulse (the "
             "figures that need risk or pulse add them)."),
        _opt("--risk-curve", "risk_curves", metavar="LIST", help="Risk curves "
             "(crashcompat.severity.risk.CURVES names, comma-separated)."),
        _opt("--samples", type=click.IntRange(0), help="Monte Carlo samples for the bands "
             "(default as for 'crashcompat grid': its default with an exposure model, else 0)."),
        _opt("--seed", type=int, help="Seed of the Monte Carlo draws."),
        _opt("--exposure", metavar="NAME|FILE|none", help="Exposure model for the headline "
             "(default us for the report and the headline figure; none for no headline)."),
        vehicles_dir_option,
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def build_run(spec_file, overrides: dict, vehicles_dirs, *, samples=None, seed=None,
              exposure=None, need_measures=(), default_exposure=None):
    """The prepared grid run for SPEC and the options (nothing computed yet).

    Measure families a figure needs (``need_measures``) are added, with a note on stderr.
    ``default_exposure`` is the exposure when ``--exposure`` is not given (the headline needs
    one; ``--exposure none`` goes without); with an exposure and no ``--samples`` the run
    draws as many Monte Carlo samples as ``crashcompat grid`` does by default, so the report's
    bands are the grid's."""
    from crashcompat.cli import grid as grid_cli
    from crashcompat.cli.vehicles import load_vehicles
    from crashcompat.errors import CrashCompatError
    from crashcompat.runs.grid import load_spec, run_grid, spec_from_dict
    from crashcompat.runs.spec import spec_from_toml

    names = grid_cli.option_names
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(overrides.get("references"), str) and \
            overrides["references"].strip().lower() == "none":
        overrides["references"] = ()
    try:
        if spec_file == "-":
            base = spec_from_toml(sys.stdin.read(), "<stdin>")
        else:
            base = load_spec(spec_file) if spec_file else None
        spec = spec_from_dict(overrides, source="options", base=base)
        missing = [m for m in need_measures if m not in spec.measures]
        if missing:
            _log.info("adding the %s measures this output needs", " and ".join(missing))
            spec = spec.replace(measures=tuple(spec.measures) + tuple(missing))
    except CrashCompatError as exc:
        raise click.ClickException(names(str(exc))) from None
    cat = load_vehicles(vehicles_dirs)
    params = inspect.signature(run_grid).parameters
    if exposure is not None and exposure.strip().lower() == "none":
        exposure, default_exposure = None, None
    extra = {}
    for name, value in (("samples", samples), ("seed", seed), ("exposure", exposure)):
        if value is None:
            continue
        if name not in params:
            raise click.ClickException(
                f"--{name} needs the Monte Carlo and exposure support, which this crashcompat "
                f"version does not have yet; drop --{name}")
        extra[name] = value
    if exposure is None and default_exposure and "exposure" in params:
        extra["exposure"] = default_exposure
    if samples is None and extra.get("exposure") is not None and "samples" in params:
        extra["samples"] = getattr(grid_cli, "DEFAULT_SAMPLES", 0)
    try:
        return run_grid(spec, catalog=cat, **extra)
    except CrashCompatError as exc:
        raise click.ClickException(names(str(exc))) from None


def overrides_from(preset, subjects, partners, references, configurations, closing_speed,
                   angle, overlap, measures, risk_curves) -> dict:
    return {"preset": preset, "subjects": subjects, "partners": partners,
            "references": references, "configurations": configurations,
            "closing_speed_kph": closing_speed, "angle_deg": angle, "overlap": overlap,
            "measures": measures, "risk_curves": risk_curves}


def one_sentence(exc) -> click.ClickException:
    return click.ClickException(str(exc).strip())


@click.command("plot")
@click.argument("kind", type=click.Choice(KINDS), metavar="KIND")
@click.argument("spec_file", required=False, metavar="[SPEC]",
                type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("-o", "--output", required=True, metavar="FILE",
              help="The figure file: .png, .svg or .pdf (from the extension).")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@click.option("--configuration", default="frontal", show_default=True,
              help="dv: the configuration drawn.")
@click.option("--curve", metavar="NAME", help="risk-ratio: the risk curve (default the run's "
              "first).")
@click.option("--at-speed", "at_speed", type=float, metavar="KPH",
              help="risk-ratio: one closing speed instead of the mean over the grid's.")
@click.option("--dpi", type=click.IntRange(50, 600), default=150, show_default=True,
              help="Resolution of a PNG.")
@grid_options
def plot(kind, spec_file, output, overwrite, configuration, curve, at_speed, dpi, preset,
         subjects, partners, references, configurations, closing_speed, angle, overlap,
         measures, risk_curves, samples, seed, exposure, vehicles_dirs):
    """Draw one figure of a grid run to FILE (.png, .svg or .pdf).

    \b
    KIND:
      dv          occupant delta-v against closing speed per partner class, with bands
      risk-ratio  kei vehicle x partner heat maps of the risk relative to the reference cars
      crush       crush demand against crush space (adds the pulse measures)
      validation  the validation suite: predicted against measured delta-v
      headline    the exposure-weighted headline's risk ratios with their bands

    The grid is SPEC and the options over the kei-vs-us preset, as for 'crashcompat grid'.
    Every figure's footer names the grid, the risk curve, the version and the catalog hash.
    Needs matplotlib: pip install 'crashcompat[plot]'.
    """
    from crashcompat.errors import CrashCompatError
    from crashcompat.report import figures as F
    from crashcompat.report.output import check_destination, figure_format

    try:
        figure_format(output)
        check_destination(output, overwrite)
        F._figure_class()  # the missing extra's sentence before any computing
    except CrashCompatError as exc:
        raise one_sentence(exc) from None
    options = {"dv": {"configuration": configuration},
               "risk-ratio": {"curve": curve, "closing_speed_kph": at_speed}}.get(kind, {})
    need = {"crush": ("pulse",), "risk-ratio": ("risk",), "headline": ("risk",)}.get(kind, ())
    try:
        if kind == "validation":
            run = None
            if spec_file or any(v is not None for v in (preset, subjects, partners, references,
                                                        configurations, closing_speed)):
                _log.info("the validation figure draws the validation suite's crashes, not a "
                          "grid: SPEC and the grid options are not used")
        else:
            run = build_run(spec_file, overrides_from(preset, subjects, partners, references,
                                                      configurations, closing_speed, angle,
                                                      overlap, measures, risk_curves),
                            vehicles_dirs, samples=samples, seed=seed, exposure=exposure,
                            need_measures=need,
                            default_exposure="us" if kind == "headline" else None)
            _log.info("computing %s cases", f"{run.n_cases:,}")
        fig = F.plot(kind, run, **options)
        path = F.save_figure(fig, output, overwrite=overwrite, dpi=dpi)
    except CrashCompatError as exc:
        raise one_sentence(exc) from None
    except KeyboardInterrupt:
        click.echo("crashcompat plot: interrupted; no file was written", err=True)
        sys.exit(130)
    _log.info("wrote %s", path)


__all__ = ["plot", "KINDS", "grid_options", "build_run", "overrides_from"]
