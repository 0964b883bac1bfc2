"""Streaming writers for grid results: CSV, Parquet and Zarr.

A grid is the Cartesian product of named axes; case ``i`` is the flat C-order index over the axes'
shape. The grid code computes results chunk by chunk (consecutive ranges of case indices) and hands
each chunk to :meth:`Writer.write`, so memory stays bounded by one chunk whatever the grid's size.

- **CSV**: one row per case, axes then results, a header line and nothing else, so
  ``pandas.read_csv(path)`` and ``polars.read_csv(path)`` read it with their defaults. The
  metadata (and each column's units) is in a sidecar ``FILE.meta.json`` beside it
  (``out.csv.meta.json``), found by :func:`read_metadata`. Floats are written with Python's
  shortest round-trip ``repr`` (``float(text)`` gives the same double back); NaN is written as
  ``NaN`` and infinities as ``inf``/``-inf``, which both pandas and polars parse as floats. Fields
  holding ``,``, ``"``, a newline or ``#`` are quoted. A name ending in ``.gz`` is
  gzip-compressed (level 1). The path ``-`` writes the rows to stdout (no sidecar: the metadata
  cannot go with it). Formatting floats costs ~0.4 us each in Python, so CSV runs at ~2e5 rows/s
  for six float results; Parquet and Zarr write millions of rows per second and are the formats
  for large grids.
- **Parquet** (pyarrow): one row per case, categorical axes dictionary-encoded (int32 codes),
  ``status`` columns dictionary-encoded with the labels of the status table (int8 codes equal to
  the status codes, so pandas reads a categorical ``ok-sticking``, ...), lz4 compression
  (faster than zstd at about 20 % more bytes; dictionaries only on string axes and status), row
  groups of 2^16 to 2^20 rows (small chunks are buffered, large ones split). Every column is
  declared required (non-nullable: a grid has a value in every cell, NaN being a value), and
  column statistics are written for the numeric axes, subject and partner only. Each field carries
  ``units`` and ``long_name`` in its field metadata; the run's metadata is the JSON under the
  schema metadata key ``b"crashcompat"``.
- **Zarr** (zarr >= 3, format 3 store): a group with one N-d array per result, dimension names set
  to the axes, one 1-D coordinate array per axis (strings for categorical axes; the labelled
  coordinates of ``GridRun.labelled_coords`` where given) and consolidated metadata, so ``xarray.open_zarr(path)`` opens it as a labelled Dataset without options. Every
  array carries CF ``units`` and ``long_name`` attributes, status arrays CF ``flag_values`` and
  ``flag_meanings``. Chunks span whole trailing axes, up to 4 MiB of float64, compressed with
  zstd level 1; rows are held until they fill whole chunks, so no chunk is read back and
  rewritten. The metadata is the
  group attribute ``crashcompat`` (a JSON object, ``ds.attrs["crashcompat"]`` in xarray). The fill
  value is NaN for floats and the most negative value for signed integers, but a finished store
  has every cell set.

Units come from the unit suffix of a column's name (:func:`column_attrs`: ``_kph`` km/h, ``_deg``
degree, ``_j`` J, ``_g`` standard gravities, ...); names without one are ratios (units ``1``).

Each writer writes to a hidden ``.{name}.partial-{pid}`` beside the final path, flushes it to disk
and renames it into place (``os.replace``) only when every row has been written, so nothing appears
at the final name before the output is complete. An exception (Ctrl-C included) removes the partial
output; a process killed outright (SIGKILL, power loss) leaves only the hidden partial file, and the
next writer in that directory removes every partial file whose process is gone, saying so through
the ``crashcompat`` logger. The default SIGTERM handler also kills without cleanup, so a CLI that
wants cleanup on ``kill`` must turn SIGTERM into an exception.
"""

from __future__ import annotations

import errno
import gzip
import json
import logging
import math
import os
import re
import shutil
import sys
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np

from crashcompat.errors import CrashCompatError, MissingExtraError, require_extra
from crashcompat.kernels import status as _status

__all__ = [
    "FORMATS",
    "Categorical",
    "DatasetWriter",
    "PartTarget",
    "Writer",
    "column_attrs",
    "format_from_path",
    "metadata_path",
    "remove_stale_partials",
    "hyperslabs",
    "open_dataset",
    "open_part",
    "open_writer",
    "part_name",
    "read_metadata",
    "zarr_boundaries",
    "zarr_chunks",
]

FORMATS = ("csv", "parquet", "zarr")

# Longest suffix first so that ".csv.gz" wins over ".gz".
_EXTENSIONS = (
    (".csv.gz", "csv"),
    (".csv", "csv"),
    (".parquet", "parquet"),
    (".pq", "parquet"),
    (".zarr", "zarr"),
)

_log = logging.getLogger(__name__)

_METADATA_KEY = "crashcompat"
# Files written before the sidecar existed carry the metadata on a first comment line.
_CSV_METADATA_PREFIX = "# crashcompat-metadata: "
_SIDECAR_SUFFIX = ".meta.json"
#: hidden names of unfinished outputs: ``.{name}.partial-{pid}`` and ``.{name}.replaced-{pid}``
_PARTIAL_RE = re.compile(
    r"^\.(?P<name>.+(?:\.csv|\.csv\.gz|\.parquet|\.pq|\.zarr|\.meta\.json))"
    r"\.(?:partial|replaced)-(?P<pid>\d+)$", re.IGNORECASE)
# Rows formatted at a time: Python str objects cost ~60 bytes each, so a whole 10^6-row chunk of
# ten columns would need ~600 MB of them; blocks of 2^16 rows keep that near 40 MB.
_CSV_BLOCK_ROWS = 1 << 16
_CSV_SPECIAL = frozenset(',"\r\n#')
# Measured on 4e6 rows of random results: level 1 adds no time to a CSV write and gives 269 MB
# (from 688 MB); level 6 takes twice as long for 249 MB, level 9 three times for 247 MB.
_GZIP_LEVEL = 1
# Tiny row groups make Parquet slow to read; huge ones make readers hold much in memory.
_PARQUET_MIN_ROW_GROUP = 1 << 16
_PARQUET_MAX_ROW_GROUP = 1 << 20
# LZ4 (raw): measured on 10^6 rows of a kei-vs-us grid's 24 columns on the project's 2 cores,
# pyarrow writes 4.3e6 rows/s at 158 B/row with it, against 2.7e6 rows/s at 128 B/row with zstd
# (level 1) and 4.5e6 rows/s at 186 B/row uncompressed. Dictionary encoding is asked only for the
# axes and status columns: tried on float results it costs ~20 % of the write time and gives them
# nothing, since results rarely repeat.
_PARQUET_COMPRESSION = "lz4"
# Rows encoded per batch (pyarrow's default is 1,024). Together with columns declared required
# (a grid has a value in every cell: NaN is a value, not a null, so no definition levels are
# written) and statistics kept for the axes and status only, this took the encoder from 5.1e6 to
# 7.5e6 rows/s of CPU time on 3.4e6 rows of a kei-vs-us grid (benchmarks/bench_writers.py).
_PARQUET_WRITE_BATCH = 1 << 16
# Dictionary encoding only where the column is dictionary-typed already (string axes, status:
# their codes are written as they are); numeric axes are plain-encoded, their runs of equal values
# compressed away by lz4 to the same bytes, at 10 % less encoding time than hashing every value
# into a dictionary. Column statistics (row-group min/max, which readers use to skip row groups)
# for the numeric axes and the two vehicle axes only. Measured in CPU time on 5x10^6 rows of a
# kei-vs-us grid: against no statistics at all, the numeric axes alone cost 3 % of the encoding
# time, subject, partner and configuration alone 5 %, every axis 8 % and every axis with status
# 12 %.
_PARQUET_STAT_AXES = frozenset({"subject", "partner"})
# Chunks of ~4 MiB (float64): big enough for compression and few files, small enough for dask.
_ZARR_CHUNK_BYTES = 4 << 20
# zstd level 1: measured on 10^6 rows of 24 columns written in whole chunks, 3.8e6 rows/s at
# 112 B/row against 3.0e6 rows/s at 114 B/row for zarr's default (zstd level 0, i.e. 3).
_ZARR_ZSTD_LEVEL = 1


@dataclass(frozen=True)
class Categorical:
    """A column of integer ``codes`` into a tuple of string ``categories`` (vehicle ids, names)."""

    codes: np.ndarray
    categories: tuple[str, ...]

    def __post_init__(self):
        codes = np.asarray(self.codes)
        if codes.ndim != 1 or codes.dtype.kind not in "iu":
            raise TypeError("Categorical codes must be a 1-D integer array")
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "categories", tuple(str(c) for c in self.categories))

    def __len__(self) -> int:
        return len(self.codes)

    def values(self) -> np.ndarray:
        """The column as an object array of strings."""
        return np.array(self.categories, dtype=object)[self.codes]


#: Unit suffix of a column name -> CF/UDUNITS units, longest suffix first. ``_g`` is written as
#: ``9.80665 m s-2`` because the bare ``g`` reads as grams in UDUNITS.
_UNIT_SUFFIXES = (
    ("_rad_s", "rad/s", "rad/s"),
    ("_mps2", "m/s2", "m/s^2"),
    ("_kph", "km/h", "km/h"),
    ("_mps", "m/s", "m/s"),
    ("_deg", "degree", "deg"),
    ("_kg", "kg", "kg"),
    ("_j", "J", "J"),
    ("_g", "9.80665 m s-2", "g"),
    ("_m", "m", "m"),
    ("_s", "s", "s"),
)
# words spelled out in long names
_LONG_WORDS = {"dv": "delta-v", "pdof": "PDOF (direction of force, clockwise from the nose)",
               "ees": "energy-equivalent speed", "olc": "occupant load criterion",
               "oiv": "occupant impact velocity", "ora": "occupant ridedown acceleration",
               "long": "longitudinal", "lat": "lateral", "accel": "acceleration"}
_CATEGORICAL_AXES = {"subject", "partner", "configuration", "reference"}


def _is_status(name: str) -> bool:
    return name == "status" or name.endswith("_status")


def column_attrs(name: str) -> dict:
    """CF-style attributes of a grid column or axis: ``units`` from the name's unit suffix
    (``_kph`` km/h, ``_deg`` degree, ``_j`` J, ``_rad_s`` rad/s, ``_g`` standard gravities,
    ``_m`` m, ``_s`` s, ``_mps`` m/s, ``_kg`` kg; ``1`` for ratios) and a ``long_name``; status
    columns get ``flag_values`` and ``flag_meanings`` from the status table instead of units,
    and the string axes no units at all."""
    if _is_status(name):
        return {"long_name": name.replace("_", " ") + " (crashcompat.kernels.status.TABLE)",
                "flag_values": [s.code for s in _status.TABLE],
                "flag_meanings": " ".join(s.label for s in _status.TABLE)}
    if name in _CATEGORICAL_AXES or name == "impact_position":
        return {"long_name": name.replace("_", " ")}
    units, shown, stem = "1", "", name
    for suffix, cf, label in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            units, shown, stem = cf, label, name[: -len(suffix)]
            break
    words = " ".join(_LONG_WORDS.get(w, w) for w in stem.split("_"))
    return {"units": units, "long_name": f"{words} ({shown})" if shown == "g" else words}


def format_from_path(path, fmt: str | None = None) -> str:
    """The output format for ``path``: from its extension, or ``fmt`` where the extension does
    not tell (``-``, stdout, is CSV unless ``fmt`` says otherwise). A ``fmt`` that contradicts a
    known extension is an error, so a ``.csv`` file never holds Parquet."""
    name = Path(str(path)).name.lower() if str(path) != "-" else "-"
    from_ext = next((fmt_name for suffix, fmt_name in _EXTENSIONS
                     if name.endswith(suffix) and len(name) > len(suffix)), None)
    if fmt is not None:
        fmt_name = str(fmt).lower()
        if fmt_name not in FORMATS:
            raise CrashCompatError(
                f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}."
            )
        if from_ext is not None and from_ext != fmt_name:
            raise CrashCompatError(
                f"{path} names a {from_ext} file but the format asked for is {fmt_name}; "
                f"name the file with a .{fmt_name} extension or drop the format."
            )
        return fmt_name
    if from_ext is not None:
        return from_ext
    if str(path) == "-":
        return "csv"
    known = ", ".join(suffix for suffix, _ in _EXTENSIONS)
    suffix = Path(path).suffix
    what = f"the extension {suffix!r} of {path}" if suffix else f"{path}, which has no extension"
    raise CrashCompatError(
        f"cannot tell the output format from {what}; name the file with one of {known}, "
        f"or give the format (--data-format {'|'.join(FORMATS)})."
    )


def metadata_path(path) -> Path:
    """The metadata sidecar of a CSV output: ``FILE.meta.json`` beside ``FILE``."""
    path = Path(path)
    return path.with_name(path.name + _SIDECAR_SUFFIX)


def remove_stale_partials(directory) -> list[Path]:
    """Remove the hidden partial outputs in ``directory`` whose writing process is gone.

    A killed run (SIGKILL, power loss) leaves ``.{name}.partial-{pid}``; this finds every such
    name of a crashcompat output format and removes those whose process no longer runs, logging
    each (``crashcompat`` logger, warning). Files of a running process are left alone. Where the
    process table cannot be asked (not POSIX), the files are named with the command to remove
    them, not removed. Returns the paths removed."""
    directory = Path(directory)
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        m = _PARTIAL_RE.match(entry.name)
        if m is None:
            continue
        pid = int(m.group("pid"))
        alive = _process_alive(pid)
        path = Path(entry.path)
        if alive is None:
            _log.warning("%s looks like a partial output left by a killed run (process %d); "
                         "remove it with: rm -r %s", path, pid, _shell_quote(path))
            continue
        if alive:
            continue
        size = _tree_size(path)
        remove_quietly(path)
        if not os.path.lexists(path):
            removed.append(path)
            _log.warning("removed %s, a partial output (%s) left by process %d, which is no "
                         "longer running", path, _size_text(size), pid)
    return removed


def _process_alive(pid: int) -> bool | None:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return None
    return True


def _tree_size(path: Path) -> int:
    try:
        if path.is_dir() and not path.is_symlink():
            return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        return path.lstat().st_size
    except OSError:
        return 0


def _size_text(n: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _shell_quote(path) -> str:
    import shlex

    return shlex.quote(str(path))


def open_writer(path, fmt: str | None, *, axes: Mapping, columns: Mapping, metadata: Mapping,
                overwrite: bool = False, coords: Mapping | None = None) -> "Writer":
    """Open a streaming writer for a grid of cases.

    ``axes`` maps each axis name, in grid order, to its coordinates: a 1-D numeric array, or a
    tuple of strings for a categorical axis. ``columns`` maps each result name to its numpy dtype.
    ``metadata`` is a JSON-serialisable dict (numpy scalars and arrays are converted) stored in the
    file. ``fmt`` is one of :data:`FORMATS`, or None to choose by the extension of ``path``.

    ``coords`` (Zarr only) maps coordinate names to ``(dimension, values, attrs)``: labelled
    coordinates written instead of an axis's own values where the name is an axis (numeric
    restitution with NaN for ``model``, say) and beside them otherwise (flags, vehicle class and
    mass), as :meth:`crashcompat.runs.grid.GridRun.labelled_coords` gives them.

    ``path`` ``-`` writes CSV rows to stdout (no temporary file, no sidecar). Before the
    temporary file is made, stale partial outputs in the directory are removed
    (:func:`remove_stale_partials`).

    Raises :class:`CrashCompatError` when ``path`` exists and ``overwrite`` is false, when its
    directory is missing or not writable, or when the format's library is not installed
    (:class:`crashcompat.errors.MissingExtraError`, an ImportError too).
    """
    fmt = format_from_path(path, fmt)
    if str(path) == "-" and fmt != "csv":
        raise CrashCompatError(f"{fmt.capitalize()} cannot be written to stdout (-o -); "
                               "give a file name, or write CSV to stdout")
    cls = {"csv": _CsvWriter, "parquet": _ParquetWriter, "zarr": _ZarrWriter}[fmt]
    return cls(path, axes=axes, columns=columns, metadata=metadata, overwrite=overwrite,
               coords=coords)


class Writer:
    """Base of the streaming writers; use :func:`open_writer` and the ``with`` statement.

    ``write(start, table)`` takes the rows ``start .. start + n - 1`` (flat C order over the axes).
    ``table`` maps every result column to a 1-D array of ``n`` values; axis columns (numeric arrays,
    or :class:`Categorical` for categorical axes) may be included, but the writers derive the axis
    values from the row index, and CSV and Parquet check any given ones against them.
    """

    format = ""

    def __init__(self, path, *, axes: Mapping, columns: Mapping, metadata: Mapping,
                 overwrite: bool = False, coords: Mapping | None = None,
                 rows: tuple[int, int] | None = None, in_place: bool = False):
        self.coords = dict(coords or {})
        self.to_stdout = str(path) == "-"
        self.path = Path(path)
        self.overwrite = bool(overwrite)
        self.axes = _normalise_axes(axes)
        self.columns = {str(name): np.dtype(dtype) for name, dtype in columns.items()}
        if not self.columns:
            raise ValueError("a grid output needs at least one result column")
        clash = set(self.axes) & set(self.columns)
        if clash:
            raise ValueError(f"names used both as axis and as result column: {sorted(clash)}")
        self.shape = tuple(len(v) for v in self.axes.values())
        self.total_rows = math.prod(self.shape)
        # Row-major strides in cases: index along axis k = (flat // stride[k]) % shape[k].
        self._strides = tuple(math.prod(self.shape[k + 1:]) for k in range(len(self.shape)))
        self.metadata_json = json.dumps(dict(metadata), default=_json_default)
        self.metadata = json.loads(self.metadata_json)
        # a part of a dataset (DatasetWriter) writes only the rows first_row .. end_row - 1
        self.first_row, self.end_row = (0, self.total_rows) if rows is None else map(int, rows)
        if not 0 <= self.first_row <= self.end_row <= self.total_rows:
            raise ValueError(f"rows {rows} are outside the grid's {self.total_rows} rows")
        self.rows_written = self.first_row
        # in place: write into an existing output (a Zarr store of a DatasetWriter), which
        # its owner publishes
        self._in_place = bool(in_place)
        self._state = "open"
        self._import()
        if self.to_stdout or self._in_place:
            self._temp = None
            self._finalizer = weakref.finalize(self, lambda: None)
            self._open_temp()
            return
        check_destination(self.path, self.overwrite)
        remove_stale_partials(self.path.parent)
        self._temp = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        remove_quietly(self._temp)
        # Removes the partial file if the writer is dropped unclosed; a killed process leaves it.
        self._finalizer = weakref.finalize(self, remove_quietly, self._temp)
        try:
            self._open_temp()
        except OSError as exc:
            self._fail(exc)
        except BaseException:
            self.abort()
            raise

    # -- the public protocol ------------------------------------------------------------------

    def write(self, start: int, table: Mapping) -> None:
        """Write the rows ``start .. start + n - 1``; chunks must arrive in order without gaps."""
        if self._state != "open":
            raise ValueError(f"write() on a writer that is {self._state}")
        if start != self.rows_written:
            raise ValueError(
                f"chunk starts at row {start} but {self.rows_written} rows have been written: "
                "chunks must arrive in increasing order without gaps"
            )
        results = {}
        for name, dtype in self.columns.items():
            if name not in table:
                raise KeyError(f"result column {name!r} is missing from the chunk")
            col = np.asarray(table[name])
            if col.ndim != 1 or not np.can_cast(col.dtype, dtype, casting="same_kind"):
                raise TypeError(
                    f"result column {name!r} must be a 1-D array of {dtype}, not {col.ndim}-D "
                    f"{col.dtype}"
                )
            results[name] = col.astype(dtype, copy=False)
        n = len(next(iter(results.values())))
        if any(len(col) != n for col in results.values()):
            raise ValueError("the result columns of a chunk differ in length")
        stop = start + n
        if stop > self.end_row:
            raise ValueError(f"chunk ends at row {stop} but the output ends at row "
                             f"{self.end_row}")
        if n == 0:
            return
        try:
            self._write_rows(start, stop, table, results)
        except OSError as exc:
            self._fail(exc)
        self.rows_written = stop

    def close(self) -> None:
        """Finish the file and move it to the final path; raise if rows are missing."""
        if self._state == "closed":
            return
        if self._state == "aborted":
            raise CrashCompatError(f"{self.path} was not written: the writer was aborted.")
        if self.rows_written != self.end_row:
            self.abort()
            raise CrashCompatError(
                f"incomplete: {self.rows_written - self.first_row} of "
                f"{self.end_row - self.first_row} rows written, "
                f"so {self.path} was left untouched."
            )
        try:
            self._finish()
            if not self.to_stdout and not self._in_place:
                _fsync_tree(self._temp)
                self._publish()
        except OSError as exc:
            self._fail(exc)
        self._state = "closed"
        self._finalizer.detach()

    def abort(self) -> None:
        """Remove the partial output; safe to call more than once, and a no-op after close()."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self._discard()
        finally:
            if self._temp is not None:
                remove_quietly(self._temp)
            self._finalizer.detach()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
            return False
        if self._state != "aborted":
            self.close()
        return False

    # -- shared helpers -----------------------------------------------------------------------

    def _fail(self, exc: OSError):
        self.abort()
        reason = exc.strerror or str(exc) or type(exc).__name__
        where = "stdout" if self.to_stdout else self.path
        raise CrashCompatError(f"could not write {where}: {reason}") from exc

    def _grid_indices(self, start: int, stop: int) -> list[np.ndarray]:
        """Per axis, the index (int32) of each row ``start .. stop - 1`` along that axis."""
        return [axis_run_indices(start, stop, stride, size)
                for stride, size in zip(self._strides, self.shape)]

    def _check_axis_columns(self, table: Mapping, indices: list[np.ndarray]) -> None:
        """Axis columns given in a chunk must be the coordinates at the rows' grid positions."""
        for (name, values), idx in zip(self.axes.items(), indices):
            if name not in table:
                continue
            given = table[name]
            if isinstance(values, tuple):
                ok = (isinstance(given, Categorical) and given.categories == values
                      and np.array_equal(given.codes, idx))
            else:
                ok = not isinstance(given, Categorical) and np.array_equal(
                    np.asarray(given), values[idx], equal_nan=values.dtype.kind == "f")
            if not ok:
                raise ValueError(
                    f"axis column {name!r} of the chunk at row {int(idx[0]) if len(idx) else 0} "
                    "does not match the grid's coordinates at those rows"
                )

    def _publish(self) -> None:
        """Rename the finished temporary output to the final path."""
        final, temp = self.path, self._temp
        if os.path.lexists(final):
            if not self.overwrite:  # it appeared while we were writing
                self.abort()
                raise CrashCompatError(f"{final} exists; pass --overwrite to replace it")
            if (final.is_dir() and not final.is_symlink()) or temp.is_dir():
                # A directory cannot be replaced in one step: move the old one aside first.
                aside = final.with_name(f".{final.name}.replaced-{os.getpid()}")
                remove_quietly(aside)
                os.replace(final, aside)
                try:
                    os.replace(temp, final)
                except OSError:
                    os.replace(aside, final)
                    raise
                remove_quietly(aside)
                fsync_dir(final.parent)
                return
        os.replace(temp, final)
        fsync_dir(final.parent)

    # -- per format ---------------------------------------------------------------------------

    def _import(self) -> None:
        """Import the format's library, raising CrashCompatError when it is missing."""

    def _open_temp(self) -> None:
        raise NotImplementedError

    def _write_rows(self, start, stop, table, results) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Flush and close the temporary output."""

    def _discard(self) -> None:
        """Release open handles before the temporary output is removed; must not raise."""


class _CsvWriter(Writer):
    format = "csv"

    def _open_temp(self):
        self._sidecar_temp = None
        if self.to_stdout:
            self._file = sys.stdout
        elif self.path.name.lower().endswith(".gz"):
            self._file = gzip.open(self._temp, "wt", compresslevel=_GZIP_LEVEL, encoding="utf-8",
                                   newline="")
        else:
            self._file = open(self._temp, "w", encoding="utf-8", newline="")
        if not self.to_stdout:
            sidecar = metadata_path(self.path)
            self._sidecar_temp = sidecar.with_name(f".{sidecar.name}.partial-{os.getpid()}")
            columns = {name: column_attrs(name) for name in (*self.axes, *self.columns)}
            self._sidecar_temp.write_text(
                json.dumps({_METADATA_KEY: self.metadata, "columns": columns}, indent=1) + "\n",
                encoding="utf-8")
        # The coordinates are few: format each once and index the strings per row.
        self._axis_text = [
            np.array([_csv_quote(c) for c in values] if isinstance(values, tuple)
                     else _format_numbers(values), dtype=object)
            for values in self.axes.values()
        ]
        header = ",".join(_csv_quote(name) for name in (*self.axes, *self.columns))
        self._file.write(f"{header}\n")

    def _write_rows(self, start, stop, table, results):
        for lo in range(start, stop, _CSV_BLOCK_ROWS):
            hi = min(lo + _CSV_BLOCK_ROWS, stop)
            indices = self._grid_indices(lo, hi)
            given = {name: _slice_column(table[name], lo - start, hi - start)
                     for name in self.axes if name in table}
            self._check_axis_columns(given, indices)
            fields = [text[idx].tolist() for text, idx in zip(self._axis_text, indices)]
            fields += [_format_column(col[lo - start:hi - start]) for col in results.values()]
            self._file.write("\n".join(map(",".join, zip(*fields))))
            self._file.write("\n")

    def _finish(self):
        self._file.flush()
        if not self.to_stdout:
            self._file.close()
            _fsync_tree(self._sidecar_temp)

    def _publish(self):
        # the rows first, then their metadata: each rename is atomic
        super()._publish()
        os.replace(self._sidecar_temp, metadata_path(self.path))
        fsync_dir(self.path.parent)

    def _discard(self):
        if self.to_stdout:
            return
        try:
            self._file.close()
        except Exception:
            pass
        if self._sidecar_temp is not None:
            remove_quietly(self._sidecar_temp)


class _ParquetWriter(Writer):
    format = "parquet"

    def _import(self):
        self._pa = require_extra("pyarrow", "writing Parquet", "parquet")
        self._pq = require_extra("pyarrow.parquet", "writing Parquet", "parquet")

    def _open_temp(self):
        pa = self._pa
        fields = []
        self._dictionaries = {}
        for name, values in self.axes.items():
            if isinstance(values, tuple):
                fields.append(pa.field(name, pa.dictionary(pa.int32(), pa.string()),
                                       metadata=_field_metadata(name), nullable=False))
                self._dictionaries[name] = pa.array(values, type=pa.string())
            else:
                fields.append(pa.field(name, pa.from_numpy_dtype(values.dtype),
                                       metadata=_field_metadata(name), nullable=False))
        for name, dtype in self.columns.items():
            if _is_status(name) and dtype.kind == "i":
                # labels in code order: the dictionary index of a row is its status code
                arrow_type = pa.dictionary(pa.from_numpy_dtype(dtype), pa.string())
                self._dictionaries[name] = pa.array([s.label for s in _status.TABLE],
                                                    type=pa.string())
            elif dtype.kind in "UO":
                arrow_type = pa.string()
            else:
                arrow_type = pa.from_numpy_dtype(dtype)
            fields.append(pa.field(name, arrow_type, metadata=_field_metadata(name),
                                   nullable=False))
        self._schema = pa.schema(fields, metadata={_METADATA_KEY: self.metadata_json})
        self._buffer = []
        self._buffered_rows = 0
        self._writer = self._pq.ParquetWriter(
            str(self._temp), self._schema, compression=_PARQUET_COMPRESSION,
            use_dictionary=sorted(self._dictionaries),
            write_statistics=sorted(n for n, v in self.axes.items()
                                    if not isinstance(v, tuple) or n in _PARQUET_STAT_AXES),
            write_batch_size=_PARQUET_WRITE_BATCH,
        )

    def _write_rows(self, start, stop, table, results):
        pa = self._pa
        indices = self._grid_indices(start, stop)
        self._check_axis_columns(table, indices)
        arrays = []
        for (name, values), idx in zip(self.axes.items(), indices):
            if isinstance(values, tuple):
                codes = pa.array(idx)
                arrays.append(pa.DictionaryArray.from_arrays(codes, self._dictionaries[name]))
            else:
                arrays.append(pa.array(values[idx]))
        self._buffered_rows += stop - start
        buffering = self._buffered_rows < _PARQUET_MIN_ROW_GROUP
        for name, col in results.items():
            # pa.array shares a numpy buffer; the caller may refill its arrays after write().
            col = col.copy() if buffering else col
            field_type = self._schema.field(name).type
            if pa.types.is_dictionary(field_type):
                codes = pa.array(col, type=field_type.index_type)
                arrays.append(pa.DictionaryArray.from_arrays(codes, self._dictionaries[name],
                                                             safe=True))
            else:
                arrays.append(pa.array(col, type=field_type))
        self._buffer.append(pa.Table.from_arrays(arrays, schema=self._schema))
        if not buffering:
            self._flush()

    def _flush(self):
        if not self._buffer:
            return
        chunk = self._buffer[0] if len(self._buffer) == 1 else self._pa.concat_tables(self._buffer)
        self._buffer, self._buffered_rows = [], 0
        self._writer.write_table(chunk, row_group_size=_PARQUET_MAX_ROW_GROUP)

    def _finish(self):
        self._flush()
        writer, self._writer = self._writer, None
        writer.close()

    def _discard(self):
        self._buffer = []
        writer, self._writer = getattr(self, "_writer", None), None
        if writer is not None:
            try:
                writer.close()
            except Exception:
                pass


class _ZarrWriter(Writer):
    format = "zarr"

    def _import(self):
        try:
            import zarr
        except ImportError:
            raise MissingExtraError(
                "writing Zarr needs zarr 3 or later: pip install 'crashcompat[zarr]'", name="zarr"
            ) from None
        major = int(zarr.__version__.split(".")[0])
        if major < 3:
            raise CrashCompatError(
                f"writing Zarr needs zarr 3 or later, but zarr {zarr.__version__} is installed: "
                "pip install --upgrade 'crashcompat[zarr]'"
            )
        self._zarr = zarr

    def _open_temp(self):
        if self._in_place:  # a part of a DatasetWriter's store: its arrays exist
            group = self._zarr.open_group(str(self.path), mode="r+")
            self._arrays = {name: group[name] for name in self.columns}
        else:
            self._arrays = _zarr_create(self._zarr, self._temp, self.axes, self.columns,
                                        self.metadata, self.coords)
        # the store's own chunks (a part need not share its creator's settings)
        chunks = next(iter(self._arrays.values())).chunks
        self._chunk_rows, self._super_rows = _zarr_rows(self.shape, chunks)
        self._pending, self._pending_start = [], self.first_row

    def _write_rows(self, start, stop, table, results):
        # Rows are held until they complete whole Zarr chunks: a region that cuts a chunk makes
        # zarr read, decompress and rewrite it (measured: 4.6e5 rows/s end to end with the grid's
        # chunks, against 2e6 and more with whole chunks). Each chunk is a contiguous range of
        # rows (whole trailing axes), so the rows up to the last chunk boundary are written now.
        if not self._pending:
            self._pending_start = start
        self._pending.append(dict(results))
        edge = self._chunk_floor(stop)
        if edge > self._pending_start:
            self._flush_to(edge, stop)
        # what is held back is copied (the caller may refill its arrays after write()); what was
        # written went straight from the caller's arrays
        if self._pending:
            self._pending[-1] = {k: np.array(v, copy=True) for k, v in self._pending[-1].items()}

    def _chunk_floor(self, p: int) -> int:
        """The last chunk boundary at or before flat row ``p`` (the output's end is one)."""
        if p >= self.end_row:
            return self.end_row
        base = (p // self._super_rows) * self._super_rows
        return base + ((p - base) // self._chunk_rows) * self._chunk_rows

    def _flush_to(self, edge: int, stop: int) -> None:
        names = list(self._pending[0])
        cols = {k: (self._pending[0][k] if len(self._pending) == 1
                    else np.concatenate([part[k] for part in self._pending])) for k in names}
        start = self._pending_start
        for offset, region in hyperslabs(start, edge, self.shape):
            box = tuple(s.stop - s.start for s in region)
            lo = offset - start
            for name in names:
                self._arrays[name][region] = cols[name][lo:lo + math.prod(box)].reshape(box)
        cut = edge - start
        self._pending = ([{k: v[cut:] for k, v in cols.items()}] if edge < stop else [])
        self._pending_start = edge

    def _finish(self):
        if self._pending:
            self._flush_to(self.end_row, self.end_row)
        if self._in_place:  # the DatasetWriter consolidates the store once every part is in
            return
        with warnings.catch_warnings():
            # Consolidated metadata is a zarr-python extension to format 3; xarray uses it to
            # open the store in one read, and zarr-python says so in a warning we do not need.
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata")
            self._zarr.consolidate_metadata(str(self._temp))


class DatasetWriter(Writer):
    """A Parquet dataset directory or a Zarr store written in parts, by many processes at once
    (the Dask backend, :mod:`crashcompat.runs.distributed`); use :func:`open_dataset`.

    The output is built under the hidden partial name, as every writer's: a directory of
    ``part-00000.parquet, ...`` (each part one contiguous range of rows, in order, with the
    single-file writer's schema and metadata) plus ``_common_metadata`` (the schema with the
    run's metadata) and ``_metadata`` (every part's row groups), or a Zarr store whose arrays
    and coordinates are made here and whose regions the parts write (:func:`part_ranges` gives
    ranges of whole chunks, so no two parts touch one chunk). Each part is written with
    :func:`open_part` from :meth:`target`, anywhere that sees the same filesystem, and reported
    with :meth:`part_done`; :meth:`close` checks that every row has been written, finishes the
    metadata and renames the whole into place, so nothing appears at the final name before
    every part is written. A part written twice (a task re-run after its worker died) replaces
    its first copy, atomically."""

    def __init__(self, path, fmt: str, **kw):
        if fmt not in ("parquet", "zarr"):
            raise ValueError(f"a partitioned output is Parquet or Zarr, not {fmt!r}")
        self.format = fmt
        self._parts: dict[int, tuple[int, int]] = {}
        super().__init__(path, **kw)

    def _import(self):
        if self.format == "parquet":
            self._pq = require_extra("pyarrow.parquet", "writing Parquet", "parquet")
        else:
            _ZarrWriter._import(self)  # sets self._zarr, or says how to install zarr 3

    def _open_temp(self):
        if self.format == "parquet":
            self._temp.mkdir()
        else:
            arrays = _zarr_create(self._zarr, self._temp, self.axes, self.columns,
                                  self.metadata, self.coords)
            self._zarr_chunks = next(iter(arrays.values())).chunks

    def target(self) -> "PartTarget":
        """What a part writer needs (picklable): where, the grid and its metadata."""
        return PartTarget(self.format, str(self._temp), {k: (v if isinstance(v, tuple)
                                                             else np.asarray(v))
                                                         for k, v in self.axes.items()},
                          {k: v.str for k, v in self.columns.items()}, self.metadata_json)

    def part_ranges(self, parts: int, align: int = 1) -> list[tuple[int, int]]:
        """About ``parts`` contiguous row ranges covering the grid: on multiples of ``align``
        for Parquet (whole groups), on Zarr chunk boundaries for Zarr."""
        if self.format == "parquet":
            from crashcompat.runs.parallel import split_ranges

            return split_ranges(self.total_rows, parts, align)
        edges = zarr_boundaries(self.shape, self._zarr_chunks)
        n = len(edges) - 1
        parts = max(1, min(parts, n))
        cuts = sorted({edges[n * k // parts] for k in range(parts + 1)})
        return list(zip(cuts[:-1], cuts[1:]))

    def part_done(self, index: int, start: int, stop: int) -> None:
        """Record that part ``index`` (rows ``start .. stop - 1``) is written."""
        if self._parts.get(index, (start, stop)) != (start, stop):
            raise ValueError(f"part {index} was rows {self._parts[index]}, not {(start, stop)}")
        self._parts[index] = (int(start), int(stop))
        self.rows_written = sum(b - a for a, b in self._parts.values())

    def write(self, start, table):
        raise TypeError("a DatasetWriter is written in parts: open_part(target(), ...)")

    def _finish(self):
        spans = sorted(self._parts.values())
        if [a for a, _ in spans[1:]] != [b for _, b in spans[:-1]] or \
                (spans and (spans[0][0], spans[-1][1]) != (0, self.total_rows)):
            raise CrashCompatError(f"{self.path} was not written: its parts do not cover the "
                                   "grid once each")
        if self.format == "zarr":
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata")
                self._zarr.consolidate_metadata(str(self._temp))
            return
        pq = self._pq
        collected = []
        for index in sorted(self._parts):
            name = part_name(index)
            if not (self._temp / name).is_file():
                raise CrashCompatError(f"{self.path} was not written: part {name} is missing")
            md = pq.read_metadata(self._temp / name)
            md.set_file_path(name)
            collected.append(md)
        # stray temporaries of parts whose writer died (the part was written again elsewhere)
        for entry in os.scandir(self._temp):
            if entry.name.startswith("."):
                remove_quietly(entry.path)
        schema = pq.read_schema(self._temp / part_name(min(self._parts)))
        pq.write_metadata(schema, self._temp / "_common_metadata")
        pq.write_metadata(schema, self._temp / "_metadata", metadata_collector=collected)


@dataclass(frozen=True)
class PartTarget:
    """Where and what a part of a :class:`DatasetWriter` writes (picklable, for workers)."""

    format: str
    root: str
    axes: dict
    columns: dict
    metadata_json: str


def part_name(index: int) -> str:
    """File name of Parquet part ``index`` of a dataset."""
    return f"part-{index:05d}.parquet"


def open_dataset(path, fmt: str, *, axes: Mapping, columns: Mapping, metadata: Mapping,
                 overwrite: bool = False, coords: Mapping | None = None) -> DatasetWriter:
    """Open a :class:`DatasetWriter`: as :func:`open_writer`, for an output written in parts."""
    fmt = format_from_path(path, fmt)
    if str(path) == "-":
        raise CrashCompatError("a partitioned output cannot be written to stdout (-o -); give "
                               "a name ending in .parquet or .zarr")
    return DatasetWriter(path, fmt, axes=axes, columns=columns, metadata=metadata,
                         overwrite=overwrite, coords=coords if fmt == "zarr" else None)


def open_part(target: PartTarget, index: int, start: int, stop: int) -> Writer:
    """A writer of the rows ``start .. stop - 1`` of a :class:`DatasetWriter`'s output: a
    Parquet file ``part-{index:05d}.parquet`` published atomically in the dataset directory,
    or the regions of the Zarr store (``start`` and ``stop`` on chunk boundaries)."""
    kw = dict(axes=target.axes, columns=target.columns,
              metadata=json.loads(target.metadata_json), rows=(start, stop))
    if target.format == "parquet":
        return _ParquetWriter(Path(target.root) / part_name(index), overwrite=True, **kw)
    return _ZarrWriter(target.root, in_place=True, **kw)


def _zarr_create(zarr, store, axes, columns, metadata, labelled) -> dict:
    """A Zarr format 3 group at ``store`` with the coordinate arrays and one empty N-d array
    per result column (whole-chunk layout of :func:`zarr_chunks`); returns the result arrays."""
    shape = tuple(len(v) for v in axes.values())
    for name in (*axes, *columns):
        if not name or "/" in name or name.startswith("__"):
            raise ValueError(f"{name!r} cannot name a Zarr array")
    group = zarr.open_group(zarr.storage.LocalStore(store), mode="w-", zarr_format=3)
    group.attrs[_METADATA_KEY] = metadata
    for name, values in axes.items():
        attrs = column_attrs(name)
        if name in labelled:  # e.g. restitution as numbers, NaN for 'model'
            _dim, values, attrs = labelled[name]
            values = tuple(values) if isinstance(values, list) else np.asarray(values)
        dtype = str if isinstance(values, tuple) else values.dtype
        coord = group.create_array(name, shape=(len(values),), dtype=dtype,
                                   dimension_names=(name,), attributes=attrs)
        if len(values):
            coord[:] = np.array(values, dtype=object) if isinstance(values, tuple) else values
    coord_names = []
    for name, (dim, values, attrs) in labelled.items():
        if name in axes:
            continue
        if not name or "/" in name or name.startswith("__"):
            raise ValueError(f"{name!r} cannot name a Zarr array")
        values = tuple(values) if isinstance(values, list) else np.asarray(values)
        dtype = str if isinstance(values, tuple) else values.dtype
        arr = group.create_array(name, shape=(len(values),), dtype=dtype,
                                 dimension_names=(dim,), attributes=dict(attrs))
        if len(values):
            arr[:] = np.array(values, dtype=object) if isinstance(values, tuple) else values
        coord_names.append(name)
    chunks = zarr_chunks(shape)
    compressors = [zarr.codecs.ZstdCodec(level=_ZARR_ZSTD_LEVEL)]
    dims = tuple(axes)
    # CF: the data variables name their auxiliary coordinates, so xarray opens them as coords
    extra = {"coordinates": " ".join(coord_names)} if coord_names else {}
    return {
        name: group.create_array(name, shape=shape, chunks=chunks, dtype=dtype,
                                 fill_value=_fill_value(dtype), dimension_names=dims,
                                 compressors=compressors,
                                 attributes={**column_attrs(name), **extra})
        for name, dtype in columns.items()
    }


def _zarr_rows(shape, chunks) -> tuple[int, int]:
    """(rows of one Zarr chunk, rows of one run of chunks along the first axis not taken
    whole) for a grid of ``shape`` in ``chunks``: every chunk is a contiguous range of flat
    rows."""
    if not shape:
        return 1, 1
    lead = next((k for k in range(len(shape))
                 if all(chunks[j] == shape[j] for j in range(k + 1, len(shape)))), 0)
    trailing = math.prod(shape[lead + 1:])
    return max(1, chunks[lead] * trailing), max(1, shape[lead] * trailing)


def zarr_boundaries(shape, chunks=None) -> list[int]:
    """Every flat row at which a Zarr chunk of a grid of ``shape`` starts, and the end: ranges
    between them write whole chunks, so parts that own them never share a chunk. ``chunks``:
    the store's chunk shape (default :func:`zarr_chunks`)."""
    total = math.prod(shape)
    chunk_rows, super_rows = _zarr_rows(shape, chunks or zarr_chunks(shape))
    edges = [base + k for base in range(0, total, super_rows)
             for k in range(0, min(super_rows, total - base), chunk_rows)]
    return edges + [total]


def axis_run_indices(start: int, stop: int, stride: int, size: int) -> np.ndarray:
    """Index along one axis (``(row // stride) % size``, as int32) of the rows ``start .. stop -
    1`` in C order. Built from runs rather than by dividing every row: along an axis of
    ``stride`` the index is constant over runs of ``stride`` rows, so the work is one
    ``np.repeat`` over ``(stop - start) / stride + 2`` runs (the innermost axis, stride 1, is a
    tiled ``arange``)."""
    n = max(stop - start, 0)
    if n == 0:
        return np.empty(0, dtype=np.int32)
    if stride == 1:
        first = start % size
        reps = -(-(first + n) // size)
        return np.tile(np.arange(size, dtype=np.int32), reps)[first:first + n]
    run0 = start // stride
    run1 = (stop - 1) // stride
    runs = np.arange(run0, run1 + 1, dtype=np.int64)
    lengths = np.full(len(runs), stride, dtype=np.int64)
    lengths[0] = min(stop, (run0 + 1) * stride) - start
    if len(runs) > 1:
        lengths[-1] = stop - run1 * stride
    return np.repeat((runs % size).astype(np.int32), lengths)


def hyperslabs(start: int, stop: int, shape: tuple[int, ...]) -> Iterator[tuple[int, tuple]]:
    """Split the flat C-order range ``[start, stop)`` of a grid into boxes, in order.

    Yields ``(offset, region)``: ``region`` is one slice per axis, and the box's elements in C
    order are the flat rows ``offset ..``. Each box is a run along one axis with every later axis
    whole, so an aligned range (a multiple of the trailing axes' product) is a single box and any
    range needs at most ``2 * len(shape) - 1`` boxes.
    """
    ndim = len(shape)
    if ndim == 0:
        if start < stop:
            yield 0, ()
        return
    block = [math.prod(shape[k:]) for k in range(1, ndim + 1)]  # cases in one step of axis k
    p = start
    while p < stop:
        for axis in range(ndim):  # the longest run: the earliest axis the range is aligned to
            if p % block[axis] == 0 and stop - p >= block[axis]:
                break
        step = block[axis]
        at = (p // step) % shape[axis]
        count = min((stop - p) // step, shape[axis] - at)
        lead = tuple(slice(i, i + 1) for i in
                     ((p // block[k]) % shape[k] for k in range(axis)))
        region = lead + (slice(at, at + count),) + tuple(slice(0, n) for n in shape[axis + 1:])
        yield p, region
        p += count * step


def zarr_chunks(shape: tuple[int, ...], itemsize: int = 8,
                target_bytes: int | None = None) -> tuple[int, ...]:
    """Chunk shape: whole trailing axes, leading axes 1, at most ``target_bytes`` per chunk."""
    cap = max(1, (target_bytes or _ZARR_CHUNK_BYTES) // itemsize)
    chunks = [1] * len(shape)
    size = 1
    for k in reversed(range(len(shape))):
        n = max(shape[k], 1)
        if size * n > cap:
            chunks[k] = max(1, cap // size)
            break
        chunks[k] = n
        size *= n
    return tuple(chunks)


def read_metadata(path, fmt: str | None = None) -> dict:
    """The crashcompat metadata stored with an output written by this module: the CSV sidecar
    ``FILE.meta.json`` (or, for files written before the sidecar, a first comment line), the
    Parquet schema key ``crashcompat`` or the Zarr group attribute ``crashcompat``."""
    fmt = format_from_path(path, fmt)
    path = Path(path)
    try:
        if fmt == "csv":
            sidecar = metadata_path(path)
            if sidecar.exists():
                data = json.loads(sidecar.read_text(encoding="utf-8"))
                if isinstance(data, dict) and isinstance(data.get(_METADATA_KEY), dict):
                    return data[_METADATA_KEY]
                raise CrashCompatError(f"{sidecar} is not a crashcompat metadata file.")
            opener = gzip.open if path.name.lower().endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as fh:
                first = fh.readline()
            if first.startswith(_CSV_METADATA_PREFIX):
                return json.loads(first[len(_CSV_METADATA_PREFIX):])
            raise CrashCompatError(
                f"{path} carries no crashcompat metadata: its sidecar {sidecar.name} is missing.")
        elif fmt == "parquet":
            pq = require_extra("pyarrow.parquet", "reading Parquet metadata", "parquet")
            source = path / "_common_metadata" if path.is_dir() else path  # a dataset
            metadata = pq.read_schema(source).metadata or {}
            if _METADATA_KEY.encode() in metadata:
                return json.loads(metadata[_METADATA_KEY.encode()])
        else:
            zarr = require_extra("zarr", "reading Zarr metadata", "zarr")
            attrs = zarr.open_group(str(path), mode="r").attrs
            if _METADATA_KEY in attrs:
                return dict(attrs[_METADATA_KEY])
    except OSError as exc:
        raise CrashCompatError(f"could not read {path}: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CrashCompatError(f"the crashcompat metadata of {path} is not valid JSON: {exc}"
                               ) from exc
    raise CrashCompatError(f"{path} carries no crashcompat metadata.")


# -- helpers ------------------------------------------------------------------------------------


def _normalise_axes(axes: Mapping) -> dict:
    """Axis name -> numeric 1-D array, or tuple of str for a categorical axis."""
    out = {}
    for name, values in axes.items():
        name = str(name)
        if isinstance(values, (tuple, list)) and all(isinstance(v, str) for v in values):
            out[name] = tuple(values)
            continue
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise ValueError(f"axis {name!r} must be one-dimensional")
        if arr.dtype.kind in "UO":
            out[name] = tuple(str(v) for v in arr)
        elif arr.dtype.kind in "iufb":
            out[name] = arr
        else:
            raise TypeError(f"axis {name!r} has unsupported dtype {arr.dtype}")
    return out


def _slice_column(col, lo: int, hi: int):
    if isinstance(col, Categorical):
        return Categorical(col.codes[lo:hi], col.categories)
    return np.asarray(col)[lo:hi]


def _format_numbers(values: np.ndarray) -> list[str]:
    """Text for each number: the shortest repr that reads back to the same value; NaN as
    ``NaN`` (polars reads ``NaN`` and ``inf`` as floats by default, but not ``nan``)."""
    if values.dtype.kind == "f":
        text = list(map(float.__repr__, values.tolist()))
        for i in np.flatnonzero(np.isnan(values)).tolist():
            text[i] = "NaN"
        return text
    return list(map(str, values.tolist()))


def _field_metadata(name: str) -> dict:
    """Parquet field metadata (bytes -> bytes) from :func:`column_attrs`."""
    return {k.encode(): (v if isinstance(v, str) else json.dumps(v)).encode()
            for k, v in column_attrs(name).items()}


def _format_column(col: np.ndarray) -> list[str]:
    if col.dtype.kind in "iufb":
        return _format_numbers(col)
    return [_csv_quote(str(v)) for v in col.tolist()]


def _csv_quote(text: str) -> str:
    """Quote a CSV field when it holds a separator, quote, newline or pandas' comment char."""
    if text and _CSV_SPECIAL.isdisjoint(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def _fill_value(dtype: np.dtype):
    if dtype.kind == "f":
        return np.nan
    if dtype.kind == "i":
        return np.iinfo(dtype).min
    if dtype.kind == "u":
        return np.iinfo(dtype).max
    if dtype.kind == "b":
        return False
    return None


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (Path, os.PathLike)):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"metadata value of type {type(value).__name__} is not JSON-serialisable")


def check_destination(path: Path, overwrite: bool) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise CrashCompatError(f"cannot write {path}: the directory {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CrashCompatError(f"cannot write {path}: the directory {parent} is not writable.")
    if os.path.lexists(path) and not overwrite:
        raise CrashCompatError(f"{path} exists; pass --overwrite to replace it")


def remove_quietly(path) -> None:
    path = Path(path)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _fsync_tree(path: Path) -> None:
    """Flush a file, or every file of a directory tree, to disk before the rename publishes it."""
    paths = [path]
    if path.is_dir():
        paths = [Path(root) / name for root, _, names in os.walk(path) for name in names]
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable; some filesystems cannot fsync directories."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.EISDIR):
            raise
    finally:
        os.close(fd)
