"""``crashcompat validate``: the model against the bundled published crash tests.

A thin layer over :func:`crashcompat.validation.run_validation` (docs/validation.md). The table, or
``--format json|csv``, goes to stdout; ``-o FILE.json`` or ``-o FILE.md`` writes the full result
(JSON: an object with ``cases`` and ``summary``; Markdown: the tables), refusing to replace a file
without ``--overwrite``. ``--check`` exits 1 when a case breaks its stated tolerance.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click

from crashcompat.cli.options import format_option, verbosity_options

_CSV_COLUMNS = ("id", "type", "split", "vehicle", "source", "measured_dv_kph", "predicted_dv_kph",
                "error_pct", "predicted_dv_fitted_kph", "error_fitted_pct",
                "predicted_dv_catalog_kph", "predicted_yaw_rate_change_deg_s", "tolerance_pct",
                "used")


def _write(path: Path, text: str, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise click.ClickException(f"{path} exists; pass --overwrite to replace it")
    if not path.parent.is_dir():
        raise click.ClickException(f"{path.parent} is not a folder; create it or choose another "
                                   "output path")
    temp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()


@click.command("validate")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE.{json,md}",
              help="Also write the full result: JSON (cases, summary, pulse, restitution fit) or "
              "Markdown tables, by the file's extension.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--cases", "cases_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A validation file of your own (the format of the bundled "
              "src/crashcompat/validation/cases.toml).")
@click.option("--check", is_flag=True,
              help="Exit with status 1 if a case's delta-v error breaks its stated tolerance.")
@format_option(what="Output on stdout (json: the full result; csv: one row per vehicle)")
@verbosity_options
def validate(output, overwrite, cases_file, check, fmt):
    """Predict the bundled published crash tests (NHTSA, staged collisions) with collide() and
    compare: delta-v, yaw-rate change and, where measured, the pulse, with the default and the
    fitted parameters; bias and spread by crash type; the restitution fit.

    The set is small (it says how small in its notes); docs/validation.md gives the sources,
    the method and the tolerances.
    """
    from crashcompat.errors import CrashCompatError
    from crashcompat.validation import check_tolerances, run_validation

    fmt = fmt.lower()
    if output is not None and output.suffix.lower() not in (".json", ".md"):
        raise click.UsageError(f"-o {output}: the file must end in .json or .md")
    try:
        result = run_validation(cases_file)
    except CrashCompatError as exc:
        raise click.ClickException(str(exc)) from None
    if output is not None:
        text = result.to_json() if output.suffix.lower() == ".json" else result.to_markdown()
        _write(output, text, overwrite)
    if fmt == "json":
        click.echo(result.to_json())
    elif fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=_CSV_COLUMNS, extrasaction="ignore",
                           lineterminator="\n")
        w.writeheader()
        w.writerows(result.cases)
    else:
        click.echo(result.table())
    if output is not None:
        click.echo(f"wrote {output}", err=True)
    if check:
        problems = check_tolerances(result)
        for p in problems:
            click.echo(f"tolerance: {p}", err=True)
        if problems:
            raise click.ClickException(f"{len(problems)} case(s) outside their tolerance "
                                       "(docs/validation.md, Tolerances)")
