"""``crashcompat grid``: sweep vehicle pairs x impact conditions; a thin layer over run_grid.

Data goes to stdout: the summary (``--format table|csv|json``), or with ``-o -`` the cases as CSV.
Progress, notes and timings go to stderr through the ``crashcompat`` logger (``-v`` more, ``-q``
errors only). With ``--format json`` or ``csv`` stdout holds only the comparison rows (a JSON
array of row objects, or CSV with the same keys); the status counts then go to stderr.

The run is prepared and computed in a worker thread while the main thread waits on it with a
short timeout, so Ctrl-C (exit 130) and SIGTERM (exit 143) are honoured within a fraction of a
second even while numba compiles: the worker stops at its next chunk and removes its partial
output, or, if it is still compiling, the main thread removes the partial output and exits.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import click

from crashcompat.cli.options import (DATA_FORMATS, LOGGER, STDOUT_FORMATS, deprecated,
                                     format_option, verbosity, verbosity_options)
from crashcompat.cli.vehicles import load_vehicles, vehicles_dir_option

#: Grids above this many cases need --yes.
CONFIRM_CASES = 10**9
#: After a signal, how long the worker gets to stop at a chunk boundary and clean up itself.
STOP_GRACE_S = 0.5
#: The same with --dask: cancel the tasks, remove the partial output and shut a local cluster
#: down (about 2 s measured for local:2 on 2 shared cores; doubled, then some).
STOP_GRACE_DASK_S = 10.0
#: Compile time of each grid kernel from a cold numba cache, seconds: measured on 2 shared
#: cores (12.8 s chunk, 7.1 s summary, 11.3 s pulse, numba 0.68), rounded up; the Monte Carlo
#: kernel (mc): 2.1 s measured with the summary's helpers already compiled, rounded up.
COMPILE_ESTIMATE_S = {"chunk": 15, "summary": 10, "pulse": 15, "mc": 5}
#: Monte Carlo samples of a run with an exposure model when --samples is not given: the default
#: job (kei-vs-us, 'us' exposure) takes about 10 s warm on 2 cores with 200 (docs/uncertainty.md).
DEFAULT_SAMPLES = 200

_log = logging.getLogger(LOGGER + ".cli")

#: grid-spec key -> the option that sets it, for messages about options
OPTION_FOR_KEY = {
    "preset": "--preset", "subjects": "--subjects", "partners": "--partners",
    "references": "--references", "configurations": "--configurations",
    "closing_speed_kph": "--closing-speed", "split": "--split",
    "subject_speed_kph": "--subject-speed", "partner_speed_kph": "--partner-speed",
    "angle_deg": "--angle", "overlap": "--overlap", "impact_position": "--impact-position",
    "restitution": "--restitution", "friction": "--friction", "load_kg": "--load",
    "struck_side": "--struck-side", "drive_side": "--drive-side", "measures": "--measures", "risk_curves": "--risk-curve",
    "pulse_model": "--pulse-model", "compartment_factor": "--compartment-factor",
    "tangential_model": "--tangential-model", "impulse_ratio": "--impulse-ratio",
    "contact_plane_deg": "--contact-plane-deg",
}


def _opt(name, *decls, **kw):
    return click.option(name, *decls, default=None, **kw)


@click.command("grid")
@click.argument("spec_file", required=False, metavar="[SPEC]",
                type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("-o", "--output", metavar="FILE", help="Write every case to FILE; the format "
              "from its extension (.csv, .csv.gz, .parquet, .zarr) or --data-format. '-' writes "
              "CSV to stdout (then no summary).")
@click.option("--data-format", "data_fmt", type=click.Choice(DATA_FORMATS, case_sensitive=False),
              help="Format of FILE where its extension does not tell; must agree with it.")
@format_option(what="Summary on stdout", hidden_choices=("parquet", "zarr"))
@click.option("--no-summary", is_flag=True, help="No summary (needs -o FILE).")
@click.option("--summary", "old_summary", metavar="headline|full",
              type=click.Choice(["headline", "full", "table", "csv", "json", "none"]),
              help="What the summary is: 'headline' (the exposure-weighted answer, the default "
              "when an exposure model is used) or 'full' (one row per subject, partner, "
              "configuration and speed).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--columns", "columns", metavar="LIST", default=None,
              help="Result columns to keep in -o FILE, comma-separated (status is always kept; "
              "default: all).")
@click.option("--float32", "float32", is_flag=True,
              help="Store float results in -o FILE as float32 (half the bytes, ~7 digits).")
@click.option("--top", type=click.IntRange(0), default=10, show_default=True,
              help="Number of worst cases in the summary.")
@_opt("--preset", type=click.Choice(["kei-vs-us", "kei-in-us-traffic", "kei-highway"]),
      help="Start from a named preset: kei-vs-us (kei cars against US pickups and SUVs; the "
      "base of every SPEC and option), kei-in-us-traffic (against pickups, SUVs, cars and vans; "
      "what `crashcompat grid` alone runs, with --exposure us), kei-highway (speed deficits on "
      "US freeway grades and merges, and the rear impacts they bring; docs/highway.md).")
@_opt("--subjects", metavar="LIST", help="Subject vehicles: ids, globs (kei/*) or classes, "
      "comma-separated.")
@_opt("--partners", metavar="LIST", help="Partner vehicles, as for --subjects.")
@_opt("--references", metavar="LIST", help="Reference vehicles that take the subject's place "
      "('none' for no comparison).")
@_opt("--configurations", metavar="LIST",
      help="frontal, side, rear, side-struck-by-subject (comma-separated).")
@_opt("--closing-speed", metavar="KPH", help="Closing speeds, km/h: values or start:stop:step.")
@_opt("--split", type=float, help="Subject's share of the closing speed in frontal impacts.")
@_opt("--subject-speed", metavar="KPH", help="Explicit subject speeds, km/h (with --partner-speed).")
@_opt("--partner-speed", metavar="KPH", help="Explicit partner speeds, km/h.")
@_opt("--angle", metavar="DEG", help="Impact angles, degrees.")
@_opt("--overlap", metavar="FRAC", help="Overlap fractions of the subject's width (frontal, rear).")
@_opt("--impact-position", metavar="M", help="Side impact positions: driver-seat or metres ahead "
      "of the struck vehicle's CG.")
@_opt("--restitution", metavar="E", help="Restitution values, ranges or 'model' (the "
      "speed-dependent model, docs/model.md), e.g. model,0.05:0.65:0.05.")
@_opt("--friction", metavar="MU", help="Inter-vehicle friction values (plausible 0-1.5).")
@_opt("--load", metavar="KG", help="Mass added to the subject, kg (plausible 0-1500).")
@click.option("--allow-implausible", is_flag=True, default=None,
              help="Run values outside the plausible ranges (docs/cli.md).")
@_opt("--struck-side", type=click.Choice(["driver", "passenger", "left", "right"]),
      help="Struck side in side impacts (default driver).")
@_opt("--drive-side", type=click.Choice(["left", "right", "as-catalog"]),
      help="Seat side of the subjects and references: left (US-market builds, default), "
      "right (25-year-rule imports) or as-catalog.")
@_opt("--measures", metavar="LIST", help="Measure families: dv (always), risk, pulse "
      "(comma-separated; default dv,risk). dv alone runs at full kernel speed.")
@_opt("--risk-curve", "risk_curves", metavar="LIST",
      help="Risk curves (crashcompat.severity.risk.CURVES names, comma-separated; default "
      "malliaris-one-mais3,malliaris-one-fatal).")
@_opt("--pulse-model", type=click.Choice(["crash3", "linear"]),
      help="Force-crush model of the pulse (default crash3).")
@_opt("--compartment-factor", type=float, metavar="R",
      help="Stiffness of the occupant compartment past the crush space, as a multiple of the "
      "crush zone's (>= 1; default 10, an assumption: docs/model.md).")
@_opt("--tangential-model", metavar="LIST",
      help="Tangential impact models: auto (default: sliding on a turned contact plane below "
      "0.4 frontal overlap, else common-velocity), common-velocity, impulse-ratio, sliding "
      "(comma-separated; docs/model.md, Partial impacts).")
@_opt("--impulse-ratio", metavar="R", help="Impulse ratios Pt/Pn of the impulse-ratio model "
      "(values or ranges; default 0.5).")
@_opt("--contact-plane-deg", metavar="DEG", help="Turns of the contact plane from the "
      "geometry's, degrees inside +-90, or 'auto' (values or ranges).")
@click.option("--samples", type=click.IntRange(0), default=None, metavar="N",
              help=f"Monte Carlo samples over the assumed inputs (docs/uncertainty.md): 5-95 % "
              f"bands on every summary value. Default {DEFAULT_SAMPLES} with an exposure model, "
              "else 0.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Seed of the Monte Carlo: the same numbers for the same seed on any thread "
              "count.")
@click.option("--exposure", metavar="NAME|FILE|none", default=None,
              help="Weight the grid by what a car meets in traffic: 'us' (bundled; "
              "docs/uncertainty.md) or an exposure TOML file. Default 'us' when nothing else is "
              "given (no SPEC, no axis or vehicle options: the kei-in-us-traffic preset), else "
              "none.")
@vehicles_dir_option
@click.option("--threads", type=click.IntRange(1), help="Limit the compute threads.")
@click.option("--dask", "dask_address", metavar="ADDRESS|local:N", default=None,
              help="Run the summary and Parquet/Zarr output on a Dask cluster: a scheduler "
              "address (tcp://host:8786) or local:N worker processes; the same numbers "
              "(docs/distributed.md). Needs crashcompat[dask].")
@click.option("--chunk-size", type=click.IntRange(1000), default=None,
              help="Cases per compiled chunk (memory bound).")
@click.option("--silent", is_flag=True, help="No progress bar.")
@verbosity_options
@click.option("--yes", is_flag=True, help=f"Run grids above {CONFIRM_CASES:,} cases.")
@click.pass_context
def grid(ctx, spec_file, output, data_fmt, fmt, no_summary, old_summary, overwrite, top, preset,
         subjects, partners, references, configurations, closing_speed, split, subject_speed,
         partner_speed, angle, overlap, impact_position, restitution, friction, load,
         allow_implausible, struck_side, drive_side, measures, risk_curves, pulse_model,
         compartment_factor, tangential_model, impulse_ratio, contact_plane_deg, samples,
         seed,
         exposure, vehicles_dirs, threads, chunk_size, silent, yes, columns=None, float32=False,
         dask_address=None):
    """Sweep vehicle pairs x impact conditions and summarise occupant delta-v.

    Without SPEC and options this runs the kei-in-us-traffic preset (every kei car against every
    US pickup, SUV, car and van, with the reference US cars in the same crashes, all
    configurations, 10-120 km/h) weighted by the `us` exposure model with a Monte Carlo over the
    assumptions, and prints the headline: per crash, the kei cars' risk against the reference
    cars', with 5-95 % bands. Options override the SPEC file ('-' reads it from stdin), which
    overrides the kei-vs-us preset (pickups and SUVs), as before. The grid's axes, outputs and
    formats are described in docs/cli.md, the Monte Carlo and the exposure model in
    docs/uncertainty.md.
    """
    if preset == "kei-highway":
        _refuse_for_highway(ctx)
        from crashcompat.cli.highway import run_highway_command

        run_highway_command("kei-highway", samples=samples, seed=seed, output=output,
                            overwrite=overwrite, threads=threads,
                            fmt=fmt if fmt in ("csv", "json") else "table",
                            quiet=verbosity(ctx) < 0, catalog=load_vehicles(vehicles_dirs))
        return
    summary_kind = None
    if old_summary in ("headline", "full"):
        summary_kind, old_summary = old_summary, None
    summary_fmt, data_fmt = _formats(ctx, output, data_fmt, fmt, no_summary, old_summary)
    overrides = {
        "preset": preset, "subjects": subjects, "partners": partners,
        "references": (() if references and references.strip().lower() == "none"
                       else references),
        "configurations": configurations, "closing_speed_kph": closing_speed, "split": split,
        "subject_speed_kph": subject_speed, "partner_speed_kph": partner_speed,
        "angle_deg": angle, "overlap": overlap, "impact_position": impact_position,
        "restitution": restitution, "friction": friction, "load_kg": load,
        "allow_implausible": allow_implausible,
        "struck_side": struck_side, "drive_side": drive_side, "measures": measures,
        "risk_curves": risk_curves, "pulse_model": pulse_model,
        "compartment_factor": compartment_factor, "tangential_model": tangential_model,
        "impulse_ratio": impulse_ratio, "contact_plane_deg": contact_plane_deg,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    spec_text = sys.stdin.read() if spec_file == "-" else None
    quiet = verbosity(ctx) < 0
    as_shipped = (spec_file is None and not {k for k in overrides if k != "preset"}
                  and overrides.get("preset", "kei-in-us-traffic") == "kei-in-us-traffic")
    if as_shipped:
        overrides["preset"] = "kei-in-us-traffic"
    if exposure is None:
        exposure = "us" if as_shipped else None
    elif exposure.strip().lower() == "none":
        exposure = None
    if summary_kind is None:
        summary_kind = "headline" if exposure is not None else "full"
    if summary_kind == "headline" and exposure is None:
        raise click.UsageError("--summary headline needs an exposure model: add --exposure us "
                               "(or an exposure file)")
    if samples is None:
        samples = DEFAULT_SAMPLES if exposure is not None else 0
    job = _Job(spec_file=spec_file, spec_text=spec_text, overrides=overrides,
               vehicles_dirs=vehicles_dirs, chunk_size=chunk_size, threads=threads, yes=yes,
               output=output, data_fmt=data_fmt, overwrite=overwrite, summary_fmt=summary_fmt,
               summary_kind=summary_kind, samples=samples, seed=seed, exposure=exposure,
               top=top, columns=columns, float32=float32, dask=dask_address,
               show_bar=not silent and not quiet and sys.stderr.isatty())
    run, summary = _run_job(job)
    if summary is not None:
        try:
            with _printing_signals():
                if summary_kind == "headline":
                    _print_headline(summary, summary_fmt, quiet)
                else:
                    _print_summary(run, summary, summary_fmt, quiet)
        except BrokenPipeError:  # `crashcompat grid | head`: the reader has gone
            _silence_stdout()
            sys.exit(128 + 13)
    elif output == "-" and not quiet:
        _log.info("%s", _status_line_from_counts(run))


#: the options the kei-highway preset takes; it sets its own vehicles, speeds and outputs
_HIGHWAY_OPTIONS = {"preset", "output", "overwrite", "fmt", "samples", "seed", "threads",
                    "vehicles_dirs", "silent", "verbose", "quiet"}


def _refuse_for_highway(ctx) -> None:
    """A usage error naming every option given that --preset kei-highway does not take."""
    given = []
    for p in ctx.command.params:
        src = ctx.get_parameter_source(p.name)
        if p.name in _HIGHWAY_OPTIONS or src in (None, click.core.ParameterSource.DEFAULT,
                                                 click.core.ParameterSource.DEFAULT_MAP):
            continue
        given.append("SPEC" if p.name == "spec_file" else
                     (p.opts[0] if p.opts else p.name))
    if given:
        raise click.UsageError(f"--preset kei-highway sets its own vehicles, speeds and outputs;"
                               f" drop {', '.join(given)} (docs/highway.md)")


def _formats(ctx, output, data_fmt, fmt, no_summary, old_summary):
    """(summary format or None, data format or None) from the options, old spellings included;
    contradictions are usage errors (exit 2)."""
    from crashcompat.errors import CrashCompatError
    from crashcompat.runs.writers import format_from_path

    fmt_given = ctx.get_parameter_source("fmt") not in (
        click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP, None)
    fmt = fmt.lower()
    if fmt in ("parquet", "zarr") or (fmt == "csv" and fmt_given and output not in (None, "-")
                                      and data_fmt is None and _unknown_extension(output)):
        # the old meaning of --format: the data file's format
        deprecated(f"--format {fmt} for the data file", f"--data-format {fmt}")
        if data_fmt is not None and data_fmt.lower() != fmt:
            raise click.UsageError(f"--format {fmt} and --data-format {data_fmt} disagree")
        data_fmt, fmt, fmt_given = fmt, "table", False
    summary_fmt = fmt
    if old_summary is not None:
        deprecated(f"--summary {old_summary}",
                   "--no-summary" if old_summary == "none" else f"--format {old_summary}")
        if old_summary == "none":
            no_summary = True
        else:
            if fmt_given and fmt != old_summary:
                raise click.UsageError(f"--summary {old_summary} and --format {fmt} disagree")
            summary_fmt = old_summary
    if output == "-":
        if fmt_given or (old_summary not in (None, "none")):
            raise click.UsageError("-o - writes the cases to stdout, so there is no room for a "
                                   "summary there; drop --format, or write the cases to a file")
        no_summary = True
    if no_summary and output is None:
        raise click.UsageError("--no-summary without -o FILE computes nothing; give -o FILE to "
                               "write the cases, or drop --no-summary")
    if output is not None:
        try:
            data_fmt = format_from_path(output, data_fmt)
        except CrashCompatError as exc:
            raise click.UsageError(str(exc)) from None
        if output == "-" and data_fmt != "csv":
            raise click.UsageError(f"-o - writes CSV to stdout; {data_fmt} needs a file name")
    return (None if no_summary else summary_fmt), data_fmt


def _unknown_extension(output) -> bool:
    from crashcompat.errors import CrashCompatError
    from crashcompat.runs.writers import format_from_path

    try:
        format_from_path(output)
    except CrashCompatError:
        return True
    return False


# -- the job, in a worker thread -----------------------------------------------------------------

class _Job:
    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.result = None
        self.error = None
        self.stage = "preparing"


def _run_job(job):
    """Run ``job`` in a worker thread; honour SIGINT/SIGTERM within ~0.1 s plus the grace."""
    _STOP.clear()
    previous = _install_flag_handlers()
    worker = threading.Thread(target=_work, args=(job,), name="crashcompat-grid", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
            if _STOP:
                _stop(job, worker)
    finally:
        _restore_handlers(previous)
    err = job.error
    if err is None:
        return job.result
    from crashcompat.errors import CrashCompatError

    if isinstance(err, KeyboardInterrupt):
        click.echo("crashcompat grid: interrupted; no output file was left behind", err=True)
        sys.exit(130)
    if isinstance(err, CrashCompatError):
        if isinstance(err.__cause__, BrokenPipeError):  # e.g. `-o - | head`
            _silence_stdout()
            sys.exit(128 + 13)  # as a process killed by SIGPIPE
        raise click.ClickException(option_names(str(err))) from None
    raise err


def _stop(job, worker):
    """A signal arrived: let the worker stop at a chunk boundary, or stop the process."""
    signum = _STOP[0]
    code = 128 + int(signum)  # 130 SIGINT, 143 SIGTERM
    worker.join(STOP_GRACE_DASK_S if getattr(job, "dask", None) else STOP_GRACE_S)
    name = signal.Signals(signum).name
    if not worker.is_alive():
        published = job.error is None and job.output not in (None, "-")
        what = (f"{job.output} was complete and is kept" if published
                else "no output file was left behind")
        click.echo(f"crashcompat grid: {name}; {what}", err=True)
        sys.exit(code)
    # still busy (compiling, or inside one long kernel call): clean up here and leave
    if job.output not in (None, "-"):
        _remove_partials(Path(job.output))
    click.echo(f"crashcompat grid: {name} while {job.stage}; no output file was left behind",
               err=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


def _remove_partials(path: Path) -> None:
    from crashcompat.runs.writers import remove_quietly, metadata_path

    names = [path, metadata_path(path)]
    for attempt in range(2):  # twice: the worker may have been creating one
        for p in names:
            remove_quietly(p.with_name(f".{p.name}.partial-{os.getpid()}"))
        if attempt == 0:
            time.sleep(0.05)


def _work(job):
    try:
        job.result = _compute(job)
    except BaseException as exc:  # handed to the main thread
        job.error = exc


def _compute(job):
    from crashcompat.runs.grid import DEFAULT_CHUNK, GridRun, load_spec, spec_from_dict
    from crashcompat.runs.spec import spec_from_toml

    t0 = time.perf_counter()
    if job.spec_text is not None:
        base = spec_from_toml(job.spec_text, "<stdin>")
    else:
        base = load_spec(job.spec_file) if job.spec_file else None
    spec = spec_from_dict(job.overrides, source="options", base=base)
    cat = load_vehicles(job.vehicles_dirs)  # a problem here is a ClickException, handed on as it is
    close = None
    if getattr(job, "dask", None):
        from crashcompat.runs.distributed import open_client

        job.stage = f"starting Dask ({job.dask})"
        client, close = open_client(job.dask)
        _log.debug("dask: %d worker threads", sum(client.nthreads().values()))
    else:
        client = None
    try:
        run = GridRun(spec, catalog=cat, chunk_cases=job.chunk_size or DEFAULT_CHUNK,
                      max_cases=None if job.yes else CONFIRM_CASES,
                      cases_hint="pass --yes to run it", samples=job.samples, seed=job.seed,
                      exposure=job.exposure, client=client)
        return _compute_run(job, run, t0)
    finally:
        if close is not None:
            close()


def _compute_run(job, run, t0):
    if job.summary_fmt is not None and run.n_groups > run.MAX_SUMMARY_GROUPS:
        run.summary()  # raises the summary's size sentence before anything is computed
    if getattr(job, "columns", None) is not None:
        from crashcompat.errors import CrashCompatError

        job.columns = [c.strip() for c in job.columns.split(",") if c.strip()]
        try:
            run._output_columns(job.columns)
        except CrashCompatError as exc:
            raise click.BadParameter(str(exc).removeprefix("columns: "),
                                     param_hint="'--columns'") from None
    if job.threads:
        from crashcompat.kernels._jit import set_threads

        # numba's thread count is per thread: set it in the thread that runs the kernels
        set_threads(min(job.threads, os.cpu_count() or job.threads))
    _log.debug("grid: %s cases, axes %s", f"{run.n_cases:,}",
               " x ".join(f"{k}({n})" for k, n in zip(run.axes, run.shape)))
    cold = _compile_note(run, job)
    first = "compiling the kernels, then " if cold else ""
    work = run.n_cases * int(job.output is not None)
    if job.summary_fmt is not None:
        far = run.far_side_run() if job.summary_kind == "headline" else None
        n = run.n_cases + (far.n_cases if far is not None else 0)
        work += n * (1 + run.samples)
    bar = _checked(_progress(max(work, 1), job.show_bar))
    summary = None
    try:
        if job.output is not None:
            job.stage = first + "writing " + ("stdout" if job.output == "-" else job.output)
            path = run.write(job.output, job.data_fmt, overwrite=job.overwrite,
                             progress=bar.update, columns=getattr(job, "columns", None),
                             float32=getattr(job, "float32", False))
            if job.output != "-":
                _log.info("wrote %s cases to %s", f"{run.n_cases:,}", path)
        if job.summary_fmt is not None:
            job.stage = ("compiling the summary kernel, then computing the summary"
                         if not _cached("summary") else "computing the summary")
            if job.summary_kind == "headline":
                summary = run.headline(progress=bar.update)
            else:
                summary = run.summary(progress=bar.update, top=job.top)
    finally:
        bar.close()
    elapsed = time.perf_counter() - t0
    _log.debug("%s cases in %.2f s (%s cases/s)", f"{run.n_cases:,}", elapsed,
               f"{work / elapsed:,.0f}")
    return run, summary


def _compile_note(run, job):
    """Say so when the kernels this run needs are not in numba's cache yet (a first run)."""
    need = []
    if job.output is not None or "pulse" in run.spec.measures:
        need.append("chunk")
    if job.summary_fmt is not None:
        need.append("summary")
        if run.samples:
            need.append("mc")
    if "pulse" in run.spec.measures:
        need.append("pulse")
    cold = [k for k in need if not _cached(k)]
    if cold:
        seconds = sum(COMPILE_ESTIMATE_S[k] for k in cold)
        _log.info("compiling the grid kernels for this machine (first run with this numba "
                  "cache): about %d s on 2 cores, once; later runs start at once", seconds)
    return bool(cold)


#: the drivers each kind of work calls (their helpers are compiled into them)
_KERNELS = {"chunk": ("crashcompat.kernels.grid", "grid_chunk"),
            "summary": ("crashcompat.kernels.grid", "grid_summary"),
            "mc": ("crashcompat.kernels.grid", "grid_mc"),
            "pulse": ("crashcompat.kernels.pulse", "pulse_grid")}


def _cached(kind: str) -> bool:
    """True when numba's on-disk cache holds an index with the current source stamp (what numba
    itself checks before loading) for this kind's driver kernel; True also when that cannot be
    told (the note is then left out rather than wrong)."""
    import importlib

    module, name = _KERNELS[kind]
    try:
        disp = getattr(importlib.import_module(module), name)
        return bool(disp.signatures) or bool(disp._cache._cache_file._load_index())
    except Exception:
        return True


class _checked:
    """Progress callback wrapper: stops the worker at a chunk boundary once a signal came."""

    def __init__(self, bar):
        self._bar = bar

    def update(self, n):
        if _STOP:
            raise KeyboardInterrupt
        self._bar.update(n)

    def close(self):
        self._bar.close()


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total, show):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    # shown only for runs longer than about a second; rate and time left on stderr
    return tqdm(total=total, unit="case", unit_scale=True, delay=1.0, file=sys.stderr,
                dynamic_ncols=True, leave=False)


# -- signals -------------------------------------------------------------------------------------

_STOP: list[int] = []
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _install_flag_handlers():
    # While the worker runs, a signal only sets a flag: the main thread, waiting with a short
    # timeout, sees it at once (an exception raised from a handler could land inside numba's
    # compiler, where it is swallowed).
    def handler(signum, frame):
        _STOP.append(signum)

    try:
        return {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    except ValueError:  # not in the main thread (e.g. under a test runner's thread)
        return None


def _restore_handlers(previous):
    for sig, old in (previous or {}).items():
        try:
            signal.signal(sig, old)
        except ValueError:
            pass


class _printing_signals:
    """While the summary is printed: Ctrl-C exits 130, SIGTERM 143 (nothing to clean up)."""

    def __enter__(self):
        def handler(signum, frame):
            raise SystemExit(128 + int(signum))

        try:
            self._old = {sig: signal.signal(sig, handler) for sig in _SIGNALS}
        except ValueError:
            self._old = None
        return self

    def __exit__(self, *exc):
        _restore_handlers(self._old)
        return False


def _silence_stdout():
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def option_names(msg: str) -> str:
    """``options: closing_speed_kph: ...`` -> ``--closing-speed: ...``."""
    head = "options: "
    if msg.startswith(head):
        rest = msg[len(head):]
        key, sep, tail = rest.partition(": ")
        if sep and key in OPTION_FOR_KEY:
            return f"{OPTION_FOR_KEY[key]}: {tail}"
        return rest
    return msg


# -- display -------------------------------------------------------------------------------------

def _cell(v):
    """Display rounding (the library's values are unrounded): four significant digits, whole
    numbers from 1000 up, so a risk of 0.000412 shows as 0.000412, not 0."""
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != v:
            return "-"
        if abs(v) >= 1000:
            return f"{v:.0f}"
        return f"{v:.4g}"
    return str(v)


def _widths(run, columns) -> list[int]:
    """Column widths known before the rows are generated (ids from the axes, numbers fixed)."""
    ids = {"subject": run.subject_ids, "partner": run.partner_ids,
           "configuration": list(run.axes["configuration"]), "reference": run.reference_ids}
    return [max([len(c)] + [len(x) for x in ids.get(c, [])] + [9]) for c in columns]


def _stream_table(out, rows, columns, widths):
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in rows:
        out.write("  ".join(_cell(r.get(c)).ljust(w) for c, w in zip(columns, widths)).rstrip()
                  + "\n")


def _table(rows, columns) -> str:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _print_summary(run, summary, fmt, quiet):
    from crashcompat.physics.collide import LIMITS

    out = sys.stdout
    if fmt == "json":
        # streamed: one row object per line inside the array; full precision
        out.write("[")
        for n, row in enumerate(summary.iter_rows()):
            out.write(("\n" if n == 0 else ",\n") + json.dumps(row))
        out.write("\n]\n")
    elif fmt == "csv":
        w = csv.DictWriter(out, fieldnames=list(summary.columns), lineterminator="\n")
        w.writeheader()
        for r in summary.iter_rows():
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    if fmt in ("json", "csv"):
        if not quiet:
            click.echo(_status_line(summary), err=True)
        return
    echo = click.echo
    speed = ", ".join(n for n in run.axes if n.endswith("_speed_kph"))
    echo(f"Occupant delta-v (driver seat, km/h; mean over the other axes) by subject, partner, "
         f"configuration and {speed}, with each reference car in the same crash:")
    _stream_table(out, summary.iter_rows(), summary.columns, _widths(run, summary.columns))
    if summary.worst:
        echo("")
        echo(f"Worst {len(summary.worst)} cases by subject occupant delta-v:")
        cols = [c for c in summary.worst_columns if c in (
            "subject", "partner", "configuration", "closing_speed_kph", "subject_speed_kph",
            "partner_speed_kph", "angle_deg", "overlap", "impact_position", "restitution",
            "friction", "load_kg", "subject_occupant_dv_kph", "subject_dv_kph",
            "partner_occupant_dv_kph", "case")]
        echo(_table(summary.worst, cols))
    echo("")
    echo(_status_line(summary))
    echo(f"Model limits: {LIMITS}")


def _print_headline(headline, fmt, quiet):
    """The headline: its text (table), one JSON object (json) or its rows as CSV (csv)."""
    out = sys.stdout
    if fmt == "json":
        out.write(json.dumps(headline.to_dict(), indent=1) + "\n")
        return
    if fmt == "csv":
        rows = headline.rows
        keys = list(dict.fromkeys(k for r in rows for k in r))
        w = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in keys})
        if not quiet:
            click.echo(f"headline of exposure {headline.exposure_name!r}, {headline.samples} "
                       f"samples, seed {headline.seed}; by partner class and the assumptions: "
                       "--format json", err=True)
        return
    click.echo(headline.text())


def _status_line(summary) -> str:
    parts = ", ".join(f"{k} {v:,}" for k, v in summary.status_counts.items())
    return f"Cases by status ({summary.n_cases:,} in all): {parts}"


def _status_line_from_counts(run) -> str:
    return f"wrote {run.n_cases:,} cases to stdout"


__all__ = ["grid", "CONFIRM_CASES", "STDOUT_FORMATS"]
