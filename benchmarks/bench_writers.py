"""Grid outputs: Parquet and Zarr rows/s of ``GridRun.write`` against the writer as it was when
issue 15 was filed, and the grid kernel's own rows/s, all in the same run.

The issue-time writer is re-implemented here (``issue_time_parquet``, ``issue_time_zarr``) from
what the project's writers did then, so that the ratio is measured on the same machine, on the
same day, on the same rows:

- Parquet: pyarrow's defaults of the time (zstd, dictionary encoding tried on every column,
  statistics on every column, nullable columns, batches of 1,024 rows); every chunk's columns
  copied out of the kernel's buffers; each axis index computed by a division per row; the chunk
  written after it was computed, never while the next one is computed.
- Zarr: one array per result with the chunks of ``zarr_chunks`` and zarr's default compressor,
  each chunk of rows written as it came (regions that cut Zarr chunks, which zarr reads back,
  decompresses and rewrites).

``grid-chunks`` is the kernel alone: the rows/s that drawing the chunks reaches with no writing.
Each benchmark records the file's bytes per row (``extra_info["bytes_per_row"]``). The compact
form keeps the two occupant delta-v, the two MAIS3+ risks and status, as float32
(``--columns ... --float32``).

At 10^5 cases (the default, a smoke test in CI with ``--benchmark-disable``) the fixed costs
dominate; the measurement is the 5x10^6-case size, marked slow:
``python -m pytest benchmarks/bench_writers.py -m "slow or not slow" --benchmark-only``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import warnings

import numpy as np
import pytest

from crashcompat.runs.grid import run_grid

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
zarr = pytest.importorskip("zarr")

COMPACT = ["subject_occupant_dv_kph", "partner_occupant_dv_kph",
           "subject_risk_malliaris_one_mais3", "partner_risk_malliaris_one_mais3"]


def _spec(n: int) -> dict:
    """A kei-vs-us grid (delta-v and risk) of about ``n`` cases, by the number of speeds."""
    base = {"preset": "kei-vs-us", "angle_deg": [-30, -15, 0, 15, 30],
            "overlap": [0.25, 0.5, 0.75, 1.0], "closing_speed_kph": [50]}
    per_speed = run_grid(base).n_cases
    k = max(1, round(n / per_speed))
    base["closing_speed_kph"] = [10 + 110 * i / max(k - 1, 1) for i in range(k)]
    return base


SIZES = [10**5, pytest.param(5 * 10**6, marks=pytest.mark.slow)]


def _size(path) -> int:
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
    return os.path.getsize(path)


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


# -- the writers as they were when issue 15 was filed ---------------------------------------------

def _strides(shape):
    return [math.prod(shape[k + 1:]) for k in range(len(shape))]


def issue_time_parquet(run, path) -> None:
    """Every case to ``path`` as the Parquet writer did when issue 15 was filed."""
    from crashcompat.kernels import status as status_table

    axes = run.axes
    shape = tuple(len(v) for v in axes.values())
    strides = _strides(shape)
    fields, dicts = [], {}
    for name, values in axes.items():
        if isinstance(values, tuple):
            fields.append(pa.field(name, pa.dictionary(pa.int32(), pa.string())))
            dicts[name] = pa.array(values, type=pa.string())
        else:
            fields.append(pa.field(name, pa.from_numpy_dtype(np.asarray(values).dtype)))
    cols = run.result_columns
    labels = pa.array([s.label for s in status_table.TABLE], type=pa.string())
    for c in cols:
        fields.append(pa.field(c, pa.dictionary(pa.int8(), pa.string()) if c == "status"
                               else pa.float64()))
    schema = pa.schema(fields, metadata={b"crashcompat": json.dumps(run.metadata(),
                                                                    default=str)})
    buffer, buffered = [], 0
    with pq.ParquetWriter(path, schema, compression="zstd") as w:
        for start, table in run.chunks(axis_columns=False):
            m = len(table["status"])
            flat = np.arange(start, start + m, dtype=np.int64)
            arrays = []
            for (name, values), stride, size in zip(axes.items(), strides, shape):
                idx = (flat // stride) % size
                if isinstance(values, tuple):
                    arrays.append(pa.DictionaryArray.from_arrays(
                        pa.array(idx.astype(np.int32)), dicts[name]))
                else:
                    arrays.append(pa.array(np.asarray(values)[idx]))
            for c in cols:
                if c == "status":
                    arrays.append(pa.DictionaryArray.from_arrays(pa.array(table[c]), labels))
                else:
                    arrays.append(pa.array(table[c]))
            buffer.append(pa.Table.from_arrays(arrays, schema=schema))
            buffered += m
            if buffered >= 1 << 16:
                w.write_table(pa.concat_tables(buffer), row_group_size=1 << 20)
                buffer, buffered = [], 0
        if buffer:
            w.write_table(pa.concat_tables(buffer), row_group_size=1 << 20)


def issue_time_zarr(run, path) -> None:
    """Every case to ``path`` as the Zarr writer did when issue 15 was filed."""
    from crashcompat.runs.writers import hyperslabs, zarr_chunks

    axes = run.axes
    shape = tuple(len(v) for v in axes.values())
    group = zarr.open_group(zarr.storage.LocalStore(path), mode="w-", zarr_format=3)
    group.attrs["crashcompat"] = json.loads(json.dumps(run.metadata(), default=str))
    for name, values in axes.items():
        vals = np.array(values, dtype=object) if isinstance(values, tuple) else values
        coord = group.create_array(name, shape=(len(values),),
                                   dtype=str if isinstance(values, tuple) else vals.dtype,
                                   dimension_names=(name,))
        coord[:] = vals
    chunks = zarr_chunks(shape)
    arrays = {c: group.create_array(c, shape=shape, chunks=chunks,
                                    dtype=np.int8 if c == "status" else np.float64,
                                    dimension_names=tuple(axes))
              for c in run.result_columns}
    for start, table in run.chunks(axis_columns=False):
        stop = start + len(table["status"])
        slabs = list(hyperslabs(start, stop, shape))
        for c, arr in arrays.items():
            col = table[c]
            for offset, region in slabs:
                box = tuple(s.stop - s.start for s in region)
                lo = offset - start
                arr[region] = col[lo:lo + math.prod(box)].reshape(box)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata")
        zarr.consolidate_metadata(str(path))


# -- the benchmarks -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs():
    cache = {}

    def get(n):
        if n not in cache:
            run = run_grid(_spec(n))
            for _ in run.chunks(axis_columns=False):  # compile / load the kernels
                break
            cache[n] = run
        return cache[n]

    return get


@pytest.mark.parametrize("n", SIZES)
def test_grid_chunks(benchmark, record, runs, n):
    run = runs(n)

    def draw():
        return sum(len(t["status"]) for _, t in run.chunks(axis_columns=False))

    assert benchmark.pedantic(draw, rounds=3, iterations=1) == run.n_cases
    record("grid-chunks", "numba-parallel", run.n_cases)


def _bench_write(benchmark, record, tmp_path, run, fmt, impl, fn):
    path = str(tmp_path / f"out.{fmt}")

    def once():
        _remove(path)
        fn(path)

    benchmark.pedantic(once, rounds=3, iterations=1)
    benchmark.extra_info["bytes_per_row"] = _size(path) / run.n_cases
    record(f"write-{fmt}", impl, run.n_cases)
    return path


@pytest.mark.parametrize("fmt", ["parquet", "zarr"])
@pytest.mark.parametrize("n", SIZES)
def test_write(benchmark, record, runs, tmp_path, n, fmt):
    run = runs(n)
    path = _bench_write(benchmark, record, tmp_path, run, fmt, "crashcompat",
                        lambda p: run.write(p))
    from crashcompat.runs.writers import read_metadata

    assert read_metadata(path)["n_cases"] == run.n_cases


@pytest.mark.parametrize("fmt", ["parquet", "zarr"])
@pytest.mark.parametrize("n", SIZES)
def test_write_compact(benchmark, record, runs, tmp_path, n, fmt):
    run = runs(n)
    _bench_write(benchmark, record, tmp_path, run, fmt, "crashcompat-compact",
                 lambda p: run.write(p, columns=COMPACT, float32=True))


@pytest.mark.parametrize("fmt", ["parquet", "zarr"])
@pytest.mark.parametrize("n", SIZES)
def test_write_issue_time(benchmark, record, runs, tmp_path, n, fmt):
    run = runs(n)
    fn = issue_time_parquet if fmt == "parquet" else issue_time_zarr
    path = _bench_write(benchmark, record, tmp_path, run, fmt, "issue-time",
                        lambda p: fn(run, p))
    # the baseline writes the same rows as the writer it is compared with
    if fmt == "parquet":
        assert pq.ParquetFile(path).metadata.num_rows == run.n_cases
    else:
        assert zarr.open_group(path, mode="r")["status"].shape == tuple(
            len(v) for v in run.axes.values())
