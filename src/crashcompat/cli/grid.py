"""``crashcompat grid``: sweep vehicle pairs x impact conditions; a thin layer over run_grid.

Data (the summary) goes to stdout; progress, notes and timings to stderr. With ``--summary json``
or ``csv``, stdout holds only the comparison rows (a JSON array of row objects, or CSV with the
same keys); the worst cases and status counts then go to stderr unless ``-q``.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sys
import time

import click

from crashcompat.cli.vehicles import _load, vehicles_dir_option

#: Grids above this many cases need --yes.
CONFIRM_CASES = 10**9


def _opt(name, *decls, **kw):
    return click.option(name, *decls, default=None, **kw)


@click.command("grid")
@click.argument("spec_file", required=False, metavar="[SPEC]",
                type=click.Path(dir_okay=False, path_type=str))
@click.option("-o", "--output", metavar="FILE", help="Write every case to FILE (.csv, .parquet, "
              ".zarr; or --format).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "zarr"]),
              help="Output format (default: from the extension of FILE).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--summary", "summary_fmt", type=click.Choice(["table", "csv", "json", "none"]),
              default="table", show_default=True, help="Summary on stdout.")
@click.option("--top", type=click.IntRange(0), default=10, show_default=True,
              help="Number of worst cases in the summary.")
@_opt("--preset", type=click.Choice(["kei-vs-us"]),
      help="Start from a named preset (default kei-vs-us when no SPEC is given).")
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
@_opt("--restitution", metavar="E", help="Restitution values or 'model' (PHYSICS.md 3).")
@_opt("--friction", metavar="MU", help="Inter-vehicle friction values.")
@_opt("--load", metavar="KG", help="Mass added to the subject, kg.")
@_opt("--struck-side", type=click.Choice(["driver", "passenger", "left", "right"]),
      help="Struck side in side impacts (default driver).")
@_opt("--measures", metavar="LIST", help="Measure families: dv (always), risk, pulse "
      "(comma-separated; default dv,risk). dv alone runs at full kernel speed.")
@_opt("--risk-curve", "risk_curves", metavar="LIST",
      help="Risk curves (crashcompat.severity.risk.CURVES names, comma-separated; default "
      "malliaris-one-mais3,malliaris-one-fatal).")
@_opt("--pulse-model", type=click.Choice(["crash3", "linear"]),
      help="Force-crush model of the pulse (default crash3).")
@vehicles_dir_option
@click.option("--threads", type=click.IntRange(1), help="Limit the compute threads.")
@click.option("--chunk-size", type=click.IntRange(1000), default=None,
              help="Cases per compiled chunk (memory bound).")
@click.option("--silent", is_flag=True, help="No progress bar.")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (timings, metadata).")
@click.option("-q", "--quiet", is_flag=True, help="Only data on stdout; errors on stderr.")
@click.option("--yes", is_flag=True, help=f"Run grids above {CONFIRM_CASES:,} cases.")
def grid(spec_file, output, fmt, overwrite, summary_fmt, top, preset, subjects, partners,
         references, configurations, closing_speed, split, subject_speed, partner_speed, angle,
         overlap, impact_position, restitution, friction, load, struck_side, measures,
         risk_curves, pulse_model, vehicles_dirs, threads, chunk_size, silent, verbose, quiet,
         yes):
    """Sweep vehicle pairs x impact conditions and summarise occupant delta-v.

    Without SPEC and options this runs the kei-vs-us preset: every kei car against every US truck
    and SUV, with the reference US cars in the same crashes, all configurations, 10-120 km/h.
    Options override the SPEC file, which overrides the preset.
    """
    from crashcompat.errors import CrashCompatError
    from crashcompat.runs.grid import DEFAULT_CHUNK, GridRun, load_spec, spec_from_dict

    def note(msg, level=0):
        if not quiet and verbose >= level:
            click.echo(msg, err=True)

    overrides = {
        "preset": preset, "subjects": subjects, "partners": partners,
        "references": (() if references and references.strip().lower() == "none"
                       else references),
        "configurations": configurations, "closing_speed_kph": closing_speed, "split": split,
        "subject_speed_kph": subject_speed, "partner_speed_kph": partner_speed,
        "angle_deg": angle, "overlap": overlap, "impact_position": impact_position,
        "restitution": restitution, "friction": friction, "load_kg": load,
        "struck_side": struck_side, "measures": measures, "risk_curves": risk_curves,
        "pulse_model": pulse_model,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    t0 = time.perf_counter()
    try:
        base = load_spec(spec_file) if spec_file else None
        spec = spec_from_dict(overrides, source="options", base=base)
        cat = _load(vehicles_dirs)
        run = GridRun(spec, catalog=cat, chunk_cases=chunk_size or DEFAULT_CHUNK)
    except CrashCompatError as exc:
        raise click.ClickException(str(exc)) from None
    if threads:
        from crashcompat.kernels._jit import set_threads

        set_threads(min(threads, os.cpu_count() or threads))
    if run.n_cases > CONFIRM_CASES and not yes:
        raise click.ClickException(
            f"this grid has {run.n_cases:,} cases (over {CONFIRM_CASES:,}); pass --yes to run it")
    note(f"grid: {run.n_cases:,} cases, axes "
         + " x ".join(f"{k}({n})" for k, n in zip(run.axes, run.shape)), 1)

    show_bar = not silent and not quiet and sys.stderr.isatty()
    jobs = int(output is not None) + int(summary_fmt != "none")
    bar = _checked(_progress(run.n_cases * max(jobs, 1), show_bar))
    _TERMINATED.clear()
    previous = _install_sigterm()
    try:
        if output is not None:
            try:
                path = run.write(output, fmt, overwrite=overwrite, progress=bar.update)
            except CrashCompatError as exc:
                raise click.ClickException(str(exc)) from None
            note(f"wrote {run.n_cases:,} cases to {path}", 0)
        try:
            summary = (run.summary(progress=bar.update, top=top) if summary_fmt != "none"
                       else None)
        except CrashCompatError as exc:
            raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        bar.close()
        click.echo("crashcompat grid: interrupted; no output file was left behind", err=True)
        sys.exit(130)
    finally:
        bar.close()
        _restore_sigterm(previous)
    elapsed = time.perf_counter() - t0
    work = run.n_cases * max(jobs, 1)
    note(f"{run.n_cases:,} cases in {elapsed:.2f} s ({work / elapsed:,.0f} cases/s)", 1)
    if summary is not None:
        _print_summary(run, summary, summary_fmt, quiet)


class _checked:
    """Progress callback wrapper that turns a swallowed SIGTERM into KeyboardInterrupt."""

    def __init__(self, bar):
        self._bar = bar

    def update(self, n):
        if _TERMINATED:
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


_TERMINATED = []


_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _install_sigterm():
    # kill (SIGTERM) and Ctrl-C (SIGINT) stop the run cleanly: the writer removes its temporary
    # file. The handler only sets a flag: an exception raised from it could land inside a C
    # callback (numba compiling), where it is swallowed and the run would go on, or the process
    # die by SIGINT later. The flag is checked after every chunk (see _checked), before
    # anything is published; chunks take well under a second.
    def handler(signum, frame):
        _TERMINATED.append(signum)

    try:
        return {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    except ValueError:  # not in the main thread (e.g. under a test runner's thread)
        return None


def _restore_sigterm(previous):
    for sig, old in (previous or {}).items():
        try:
            signal.signal(sig, old)
        except ValueError:
            pass


def _cell(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:.4g}"
    return str(v)


def _widths(run, columns) -> list[int]:
    """Column widths known before the rows are generated (ids from the axes, numbers fixed)."""
    ids = {"subject": run.subject_ids, "partner": run.partner_ids,
           "configuration": list(run.axes["configuration"]), "reference": run.reference_ids}
    return [max([len(c)] + [len(x) for x in ids.get(c, [])] + [8]) for c in columns]


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
        # streamed: one row object per line inside the array
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


def _status_line(summary) -> str:
    parts = ", ".join(f"{k} {v:,}" for k, v in summary.status_counts.items())
    return f"Cases by status ({summary.n_cases:,} in all): {parts}"

