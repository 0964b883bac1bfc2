"""``crashcompat bench``: a short benchmark on this machine (a thin layer over crashcompat.bench.runner)."""

from __future__ import annotations

import csv
import json
import logging
import sys

import click

from crashcompat.cli.options import LOGGER, deprecated, format_option, verbosity_options

_log = logging.getLogger(LOGGER + ".cli")

_CSV_COLUMNS = ("kernel", "n", "cases_per_s", "numpy_cases_per_s", "speedup_vs_numpy", "threads",
                "memory_bandwidth_gbs", "bandwidth_fraction")


@click.command("bench")
@click.option("--kernel", "kernels", multiple=True,
              type=click.Choice(["collinear", "planar", "pulse", "grid"]),
              help="Kernel to measure (repeatable; default all).")
@click.option("-n", "--cases", type=click.IntRange(1000), default=None,
              help="Cases per kernel (default: 1e6 collinear/planar, 1e5 pulse, 1e7 grid).")
@click.option("--repeats", type=click.IntRange(1), default=5, show_default=True,
              help="Timed repetitions; the median is reported.")
@click.option("--threads", type=click.IntRange(1), default=None, help="Limit the threads.")
@format_option(what="Output on stdout (json: one array of row objects)")
@click.option("--json", "as_json", is_flag=True, hidden=True)
@verbosity_options
def bench(kernels, cases, repeats, threads, fmt, as_json):
    """Measure the kernels' cases/s against the NumPy baseline, in the same run.

    Also prints the thread count and the fraction of this machine's memory bandwidth (measured
    by a large array copy in the same run) that each kernel's memory traffic reaches.
    """
    from crashcompat.bench.runner import KERNELS, run_bench

    fmt = fmt.lower()
    if as_json:
        deprecated("--json", "--format json")
        fmt = "json"
    chosen = kernels or KERNELS
    sizes = {k: cases for k in chosen} if cases else None
    _log.info("measuring (compile time excluded; medians of repeated runs)...")
    rows = run_bench(chosen, n=sizes, repeats=repeats, threads=threads)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1))
        return
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=[c for c in _CSV_COLUMNS if c in rows[0]]
                           + [c for c in rows[0] if c not in _CSV_COLUMNS],
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return
    click.echo(f"threads: {rows[0]['threads']}, memory copy bandwidth: "
               f"{rows[0]['memory_bandwidth_gbs']:.1f} GB/s (read + write)")
    head = f"{'kernel':10s} {'cases':>12s} {'cases/s':>16s} {'numpy cases/s':>16s} " \
           f"{'x numpy':>8s} {'bandwidth':>10s}"
    click.echo(head)
    click.echo("-" * len(head))
    for r in rows:
        np_rate = f"{r['numpy_cases_per_s']:,.0f}" if r["numpy_cases_per_s"] else "-"
        sp = f"{r['speedup_vs_numpy']:.1f}" if r["speedup_vs_numpy"] else "-"
        bwf = (f"{100 * r['bandwidth_fraction']:.0f} %" if r["bandwidth_fraction"] is not None
               else "compute")
        click.echo(f"{r['kernel']:10s} {r['n']:>12,d} {r['cases_per_s']:>16,.0f} {np_rate:>16s} "
                   f"{sp:>8s} {bwf:>10s}")
