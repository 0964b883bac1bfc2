"""``crashcompat vehicles``: list, show and validate the vehicle catalog.

A thin layer over `crashcompat.catalog.loading` (no numba import). Data goes to stdout; override notes
go to stderr. Expected errors are ``click.ClickException`` (exit 1) with one sentence per problem.
"""

from __future__ import annotations

import csv
import io
import json
import warnings

import click

from crashcompat.catalog import loading as _catalog

_LIST_COLUMNS = (
    "id", "class", "make", "model", "generation", "model_years", "trim", "curb_mass_kg", "mass_kg",
    "length_m", "width_m", "height_m", "wheelbase_m", "stiffness_front_n_per_m",
    "stiffness_front_source",
)
_IDENTITY_COLUMNS = _LIST_COLUMNS[:7]
_FIELD_COLUMNS = _LIST_COLUMNS[7:-1]

vehicles_dir_option = click.option(
    "--vehicles-dir", "vehicles_dirs", multiple=True, metavar="DIR",
    type=click.Path(file_okay=True, dir_okay=True, path_type=str),
    help="Extra catalog folder (repeatable); its files override bundled ones with the same id. "
    f"${_catalog.ENV_VAR} adds folders too (separated by the OS path separator).",
)


def load_vehicles(vehicles_dirs) -> _catalog.Catalog:
    """Load the catalog; problems become a ClickException, overrides a note on stderr each."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _catalog.CatalogOverrideWarning)
            cat = _catalog.load_catalog(list(vehicles_dirs) or None)
    except _catalog.CatalogError as exc:
        if len(exc.problems) == 1:
            raise click.ClickException(str(exc.problems[0])) from None
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"the vehicle catalog has {len(exc.problems)} problems (listed above); "
            "run 'crashcompat vehicles validate' to check it") from None
    for override in cat.overrides:
        click.echo(f"note: {override}", err=True)
    return cat


def _row(cat: _catalog.Catalog, vid: str) -> dict:
    rec = cat.record(vid)
    row = {k: rec.get(k) for k in _IDENTITY_COLUMNS}
    for key in _FIELD_COLUMNS:
        row[key] = rec["fields"][key]["value"]
    row["stiffness_front_source"] = "measured" if cat.stiffness_measured(vid) else "class estimate"
    return row


@click.group("vehicles")
def vehicles():
    """List, show and validate the vehicle catalog."""


@vehicles.command("list")
@click.option("--class", "vehicle_class", type=click.Choice(_catalog.CLASSES), default=None,
              help="Only this class.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@vehicles_dir_option
def list_cmd(vehicle_class, fmt, vehicles_dirs):
    """List the vehicles: id, class, make and model, curb mass and the mass the physics uses
    (curb + standard load), size, and whether the frontal stiffness is measured."""
    cat = load_vehicles(vehicles_dirs)
    rows = [_row(cat, vid) for vid in cat.ids(vehicle_class)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(_LIST_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        header = ("id", "class", "make / model", "curb kg", "crash kg", "length m", "width m",
                  "height m", "front stiffness")
        table = [header] + [
            (r["id"], r["class"], f"{r['make']} {r['model']}", f"{r['curb_mass_kg']:.0f}",
             f"{r['mass_kg']:.0f}", f"{r['length_m']:.3f}", f"{r['width_m']:.3f}",
             f"{r['height_m']:.3f}", r["stiffness_front_source"])
            for r in rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        for line in table:
            click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        n_measured = sum(r["stiffness_front_source"] == "measured" for r in rows)
        click.echo(f"{len(rows)} vehicles ({n_measured} with measured frontal stiffness); crash kg "
                   "= curb mass + standard load, the mass the physics uses", err=True)


def _format_value(value: float, unit: str) -> str:
    text = f"{value:.4g}" if abs(value) < 1e4 else f"{value:.4e}"
    return text if unit == "1" else f"{text} {unit}"


def _provenance(f: dict) -> str:
    """How one field was obtained: source, ref, accessed and trim, or the method."""
    if f["kind"] == "spec" or f.get("source"):
        parts = [f"source: {f['source']}" if f.get("source") else None]
    else:
        parts = []
    if f.get("method_summary"):
        how = f"method {f['method']}: {f['method_summary']}"
        if f.get("params"):
            how += " (params: " + ", ".join(f"{k}={v}" for k, v in f["params"].items()) + ")"
        if f.get("inputs"):
            how += "; from " + ", ".join(f["inputs"])
        parts.append(how)
    elif f.get("method"):
        parts.append(f"method: {f['method']}")
    parts.append(f"ref: {f['ref']}" if f.get("ref") else ("ref: none" if f["kind"] == "spec" else None))
    if f.get("accessed"):
        parts.append(f"accessed: {f['accessed']}")
    if f.get("trim_differs"):
        parts.append(f"trim: {f['trim']} (differs from the file's)")
    elif f.get("trim") and (f["kind"] == "spec" or f.get("ref")):
        parts.append(f"trim: {f['trim']}")
    if f.get("note"):
        parts.append(f"note: {f['note']}")
    return "; ".join(p for p in parts if p)


@vehicles.command("show")
@click.argument("vehicle_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@vehicles_dir_option
def show_cmd(vehicle_id, fmt, vehicles_dirs):
    """Show every field of one vehicle: value, unit, kind and provenance (source, ref, accessed
    and trim for a published figure; the method for an estimate)."""
    cat = load_vehicles(vehicles_dirs)
    try:
        rec = cat.record(vehicle_id)
    except _catalog.UnknownVehicleError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(rec, indent=2))
        return
    click.echo(f"{rec['id']}: {rec['name']}")
    for key in ("class", "model_years", "trim", "market", "drive_side", "body", "layout",
                "powertrain", "driven_wheels", "transmission", "file", "notes"):
        if rec.get(key) is not None:
            click.echo(f"  {key}: {rec[key]}")
    f = rec["fields"]
    click.echo(f"  mass the physics uses: {f['mass_kg']['value']:.0f} kg (curb "
               f"{f['curb_mass_kg']['value']:.0f} kg + standard load "
               f"{f['standard_load_kg']['value']:.0f} kg)")
    click.echo("fields (value, unit, kind; source, ref, accessed, trim, or method):")
    width = max(len(k) for k in rec["fields"])
    for key, f in rec["fields"].items():
        tag = f" [{f['tag']}]" if f.get("tag") else ""
        click.echo(f"  {key.ljust(width)}  {_format_value(f['value'], f['unit'])}  "
                   f"{f['kind']}{tag}; {_provenance(f)}")


@vehicles.command("validate")
@click.option("--strict", is_flag=True, default=False,
              help="Also fail on provenance gaps: a published figure without a followable ref "
              "(URL or document id) or without accessed, a bundled file without trim.")
@vehicles_dir_option
def validate_cmd(strict, vehicles_dirs):
    """Check every catalog file and report every problem (exit 1 if any). Without --strict,
    provenance gaps are warnings on stderr."""
    result = _catalog.scan_catalog(list(vehicles_dirs) or None, strict=strict)
    for problem in result.problems:
        click.echo(str(problem))
    if not strict and result.provenance:
        for gap in result.provenance:
            click.echo(f"warning: {gap}", err=True)
        click.echo(f"warning: {len(result.provenance)} provenance gap"
                   f"{'s' if len(result.provenance) != 1 else ''} (--strict makes them errors)",
                   err=True)
    if result.problems:
        files = {p.file for p in result.problems}
        raise click.ClickException(
            f"{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''} in "
            f"{len(files)} file{'s' if len(files) != 1 else ''}")
    for override in result.overrides:
        click.echo(f"note: {override}", err=True)
    click.echo(f"{result.n_files} files, {len(result.loaded)} vehicles, no problems")
