"""The kei-highway scenarios on the command line: ``crashcompat grid --preset kei-highway``.

The grid command hands the preset to :func:`run_highway_command`, a thin layer over
:func:`crashcompat.runs.highway.run_highway`: the headline (or the cells as CSV or JSON) on
stdout, the per-partner table with ``-o FILE`` (.csv with FILE.meta.json, .json, .parquet),
notes on stderr. docs/highway.md describes the scenario.
"""

from __future__ import annotations

import csv
import io
import json
import logging

import click

from crashcompat.cli.options import LOGGER
from crashcompat.errors import CrashCompatError

__all__ = ["run_highway_command", "DEFAULT_SAMPLES", "HIGHWAY_OPTIONS"]

#: Monte Carlo samples when --samples is not given (as the grid's headline: the whole preset,
#: 13 vehicles x 50 strikers x up to 50 deficits, takes a few seconds warm on 2 cores).
DEFAULT_SAMPLES = 200
#: The grid options the highway preset uses; every other grid option is refused with it.
HIGHWAY_OPTIONS = ("--preset", "--samples", "--seed", "-o/--output", "--overwrite", "--threads",
                   "--format", "--vehicles-dir", "-q/--quiet", "-v/--verbose")

_log = logging.getLogger(LOGGER + ".cli")


def run_highway_command(preset: str = "kei-highway", *, samples: int | None = None,
                        seed: int = 0, output=None, overwrite: bool = False,
                        threads: int | None = None, fmt: str = "table", quiet: bool = False,
                        catalog=None) -> int:
    """Run a highway preset and print it: ``table`` (the headline), ``csv`` or ``json`` (the
    per-cell table). ``output`` writes the per-partner table. Expected errors become a
    :class:`click.ClickException` (one sentence, exit 1). Returns 0."""
    from crashcompat.runs.highway import run_highway

    if samples is None:
        samples = DEFAULT_SAMPLES
    if fmt not in ("table", "csv", "json"):
        raise click.UsageError(f"--format {fmt} is not one of table, csv, json")
    try:
        if output is not None:  # refuse early, before any computing
            from pathlib import Path

            from crashcompat.runs.writers import check_destination

            if Path(output).suffix.lower() not in (".csv", ".json", ".parquet"):
                raise CrashCompatError(f"-o {output}: the {preset} tables are written as .csv, "
                                       ".json or .parquet; give one of those extensions")
            check_destination(Path(output), overwrite)
        run = run_highway(preset, catalog=catalog, samples=samples, seed=seed, threads=threads)
        if output is not None:
            run.write(output, overwrite=overwrite)
            _log.info("wrote %s", output)
        if not quiet:
            if fmt == "table":
                click.echo(run.to_text())
            elif fmt == "json":
                click.echo(json.dumps({"cells": run.cells(), "kei_class": run.class_cells(),
                                       "metadata": run.metadata()}, indent=1))
            else:
                rows = run.cells()
                buf = io.StringIO()
                w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
                w.writeheader()
                for r in rows:
                    w.writerow({k: "" if v is None else v for k, v in r.items()})
                click.echo(buf.getvalue(), nl=False)
    except CrashCompatError as exc:
        raise click.ClickException(str(exc)) from None
    return 0
