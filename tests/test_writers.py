"""Streaming grid writers: round trips through the readers users would use (pandas, polars,
pyarrow, xarray) with their defaults, units and status labels carried in each format, the
atomic-rename contract (nothing at the final path unless complete, stale partial files of killed
runs removed) and the error sentences."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crashcompat
from crashcompat.errors import CrashCompatError, MissingExtraError
from crashcompat.kernels.status import TABLE as STATUS_TABLE
from crashcompat.runs.writers import (
    FORMATS,
    Categorical,
    column_attrs,
    format_from_path,
    hyperslabs,
    metadata_path,
    open_writer,
    read_metadata,
    remove_stale_partials,
    zarr_chunks,
)

# Categories with a comma, a quote and pandas' comment character exercise CSV quoting.
AXES = {
    "subject": ("kei/daihatsu-mira", "truck,ford-f150", 'suv "x" #2'),
    "closing_speed_kph": np.array([30.0, 50.0, 64.4, 80.0]),
    "restitution": np.array([0.0, 0.1]),
}
COLUMNS = {"delta_v_kph": np.dtype("float64"), "ees_kph": np.dtype("float64"),
           "status": np.dtype("int8")}
SHAPE = (3, 4, 2)
N = 24
# Uneven chunks; 5 and 13 cross the 8-row boundary of the trailing (speed, restitution) block.
CHUNKS = [5, 3, 8, 1, 7]
METADATA = {
    "version": crashcompat.__version__,
    "spec": {"closing_speed_kph": np.array([30.0, 50.0, 64.4, 80.0]), "partner": "self"},
    "catalog_sha256": "0" * 64,
    "models": {"impact": "planar", "friction": np.float64(0.3)},
}
EXPECTED_METADATA = json.loads(json.dumps(
    {**METADATA, "spec": {"closing_speed_kph": [30.0, 50.0, 64.4, 80.0], "partner": "self"},
     "models": {"impact": "planar", "friction": 0.3}}
))
SUFFIX = {"csv": "out.csv", "parquet": "out.parquet", "zarr": "out.zarr"}


def expected_results():
    """Per flat case: values that need all 17 digits, NaN and infinities at chosen rows."""
    i = np.arange(N)
    delta_v = (i + 1) / 3.0 + 1e-9 * i
    delta_v[[2, 11]] = np.nan
    ees = np.sqrt(i + 0.5) * 7.123456789012345
    ees[5] = np.inf
    ees[17] = -np.inf
    status = (i % 5).astype(np.int8)
    status[[2, 11]] = 4
    return {"delta_v_kph": delta_v, "ees_kph": ees, "status": status}


def expected_axis_columns():
    idx = np.unravel_index(np.arange(N), SHAPE)
    return {
        "subject": np.array(AXES["subject"], dtype=object)[idx[0]],
        "closing_speed_kph": AXES["closing_speed_kph"][idx[1]],
        "restitution": AXES["restitution"][idx[2]],
    }


def chunk_table(start, stop, with_axes=True):
    results = expected_results()
    table = {name: col[start:stop].copy() for name, col in results.items()}
    if with_axes:
        idx = np.unravel_index(np.arange(start, stop), SHAPE)
        table["subject"] = Categorical(idx[0].astype(np.int16), AXES["subject"])
        table["closing_speed_kph"] = AXES["closing_speed_kph"][idx[1]]
        table["restitution"] = AXES["restitution"][idx[2]]
    return table


def write_grid(path, fmt=None, chunks=CHUNKS, with_axes=True, overwrite=False):
    with open_writer(path, fmt, axes=AXES, columns=COLUMNS, metadata=METADATA,
                     overwrite=overwrite) as writer:
        start = 0
        for size in chunks:
            writer.write(start, chunk_table(start, start + size, with_axes))
            start += size
    assert writer.rows_written == N
    return writer


def need(fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    if fmt == "zarr":
        pytest.importorskip("zarr")


def outputs(name):
    """The files one output consists of: a CSV file has its metadata sidecar beside it."""
    csv = name.lower().endswith((".csv", ".csv.gz"))
    return sorted([name, name + ".meta.json"] if csv else [name])


def only_final(tmp_path, name):
    """The directory holds the final output and nothing else (no partial or aside file)."""
    return sorted(os.listdir(tmp_path)) == outputs(name)


STATUS_LABELS = [s.label for s in STATUS_TABLE]


# -- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz"])
@pytest.mark.parametrize("with_axes", [True, False])
def test_csv_round_trip(tmp_path, name, with_axes):
    pd = pytest.importorskip("pandas")
    path = tmp_path / name
    write_grid(path, with_axes=with_axes)
    assert only_final(tmp_path, name)

    frame = pd.read_csv(path)  # pandas' defaults: no comment character, no options
    assert list(frame.columns) == [*AXES, *COLUMNS]
    for col_name, want in {**expected_axis_columns(), **expected_results()}.items():
        got = frame[col_name].to_numpy()
        if want.dtype.kind == "O":
            assert got.tolist() == want.tolist(), col_name
        else:
            assert got.dtype.kind == want.dtype.kind, col_name
            np.testing.assert_array_equal(got, want, err_msg=col_name)  # NaN == NaN here
    assert read_metadata(path) == EXPECTED_METADATA


def test_csv_reads_with_polars_defaults(tmp_path):
    pl = pytest.importorskip("polars")
    path = tmp_path / "out.csv"
    write_grid(path)
    frame = pl.read_csv(path)
    assert frame.columns == [*AXES, *COLUMNS]
    assert frame.schema["delta_v_kph"] == pl.Float64 and frame.schema["ees_kph"] == pl.Float64
    for col_name, want in expected_results().items():
        np.testing.assert_array_equal(frame[col_name].to_numpy(), want, err_msg=col_name)
    assert frame["subject"].to_list() == expected_axis_columns()["subject"].tolist()


def test_csv_sidecar_carries_metadata_and_units(tmp_path):
    path = tmp_path / "out.csv.gz"
    write_grid(path)
    sidecar = json.loads(metadata_path(path).read_text(encoding="utf-8"))
    assert metadata_path(path).name == "out.csv.gz.meta.json"
    assert sidecar["crashcompat"] == EXPECTED_METADATA
    assert sidecar["columns"]["closing_speed_kph"]["units"] == "km/h"
    assert sidecar["columns"]["restitution"]["units"] == "1"
    assert sidecar["columns"]["status"]["flag_meanings"].split() == STATUS_LABELS

def test_csv_text_layout(tmp_path):
    path = tmp_path / "out.csv"
    write_grid(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    # the header first: no comment line for readers to skip
    assert lines[0] == "subject,closing_speed_kph,restitution,delta_v_kph,ees_kph,status"
    ees_0 = float(np.sqrt(0.5)) * 7.123456789012345
    assert lines[1] == f"kei/daihatsu-mira,30.0,0.0,{1 / 3!r},{ees_0!r},0"
    assert lines[3].split(",")[3] == "NaN"  # case 2
    assert lines[6].split(",")[4] == "inf"  # case 5
    assert lines[18].split(",")[4] == "-inf"  # case 17
    assert lines[9].startswith('"truck,ford-f150",30.0,0.0,')
    assert lines[17].startswith('"suv ""x"" #2",30.0,0.0,')
    assert len(lines) == 1 + N


def test_csv_written_before_the_sidecar_still_reads(tmp_path):
    """Files from crashcompat 0.1 carry the metadata on a first comment line."""
    path = tmp_path / "old.csv"
    path.write_text("# crashcompat-metadata: " + json.dumps(EXPECTED_METADATA) + "\nx\n1\n")
    assert read_metadata(path) == EXPECTED_METADATA
    (tmp_path / "bare.csv").write_text("x\n1\n")
    with pytest.raises(CrashCompatError, match="bare.csv carries no crashcompat metadata: its "
                                               "sidecar bare.csv.meta.json is missing"):
        read_metadata(tmp_path / "bare.csv")


def test_csv_to_stdout(capsys):
    write_grid("-")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "subject,closing_speed_kph,restitution,delta_v_kph,ees_kph,status"
    assert len(out) == 1 + N
    with pytest.raises(CrashCompatError, match="Parquet cannot be written to stdout"):
        open_writer("-", "parquet", axes=AXES, columns=COLUMNS, metadata=METADATA)


def test_parquet_round_trip(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "out.parquet"
    write_grid(path)
    assert only_final(tmp_path, "out.parquet")

    table = pq.read_table(path)
    assert table.schema.names == [*AXES, *COLUMNS]
    assert table.schema.field("subject").type == pa.dictionary(pa.int32(), pa.string())
    assert table.schema.field("closing_speed_kph").type == pa.float64()
    # status: int8 codes labelled by the status table, code k -> label k
    assert table.schema.field("status").type == pa.dictionary(pa.int8(), pa.string())
    status = table.column("status").combine_chunks()
    assert status.dictionary.to_pylist() == STATUS_LABELS
    np.testing.assert_array_equal(status.indices.to_numpy(), expected_results()["status"])
    assert pq.read_table(path).to_pandas()["status"].astype(str).tolist() == [
        STATUS_LABELS[k] for k in expected_results()["status"]]
    # units per field
    meta = table.schema.field("closing_speed_kph").metadata
    assert meta[b"units"] == b"km/h" and meta[b"long_name"] == b"closing speed"
    assert table.schema.field("delta_v_kph").metadata[b"units"] == b"km/h"
    assert table.column("subject").to_pylist() == expected_axis_columns()["subject"].tolist()
    for col_name, want in {**expected_axis_columns(), **expected_results()}.items():
        if col_name in ("subject", "status"):
            continue
        got = table.column(col_name).to_numpy()
        assert got.dtype == want.dtype, col_name
        np.testing.assert_array_equal(got, want, err_msg=col_name)
    assert json.loads(table.schema.metadata[b"crashcompat"]) == EXPECTED_METADATA
    assert read_metadata(path) == EXPECTED_METADATA
    # Small chunks are buffered into one row group rather than five tiny ones.
    assert pq.ParquetFile(path).metadata.num_row_groups == 1


def test_zarr_round_trip(tmp_path):
    pytest.importorskip("zarr")
    xr = pytest.importorskip("xarray")
    path = tmp_path / "out.zarr"
    write_grid(path, with_axes=False)  # the Zarr writer needs only the result columns
    assert only_final(tmp_path, "out.zarr")

    # As a user would open it: consolidated metadata lets xarray read it in one go, no options.
    ds = xr.open_zarr(path)
    assert tuple(ds.sizes) == tuple(AXES)
    assert tuple(ds.sizes.values()) == SHAPE
    assert ds["subject"].values.tolist() == list(AXES["subject"])
    np.testing.assert_array_equal(ds["closing_speed_kph"].values, AXES["closing_speed_kph"])
    np.testing.assert_array_equal(ds["restitution"].values, AXES["restitution"])
    for col_name, want in expected_results().items():
        var = ds[col_name]
        assert var.dims == tuple(AXES), col_name
        assert var.dtype == want.dtype, col_name
        np.testing.assert_array_equal(var.values, want.reshape(SHAPE), err_msg=col_name)
    assert ds.attrs["crashcompat"] == EXPECTED_METADATA
    assert read_metadata(path) == EXPECTED_METADATA
    # CF attributes: units and long names, status flags
    assert ds["closing_speed_kph"].attrs["units"] == "km/h"
    assert ds["delta_v_kph"].attrs["units"] == "km/h"
    assert ds["restitution"].attrs["units"] == "1"
    assert list(ds["status"].attrs["flag_values"]) == list(range(len(STATUS_LABELS)))
    assert ds["status"].attrs["flag_meanings"].split() == STATUS_LABELS
    # Labelled access works on the string coordinate.
    sel = ds["delta_v_kph"].sel(subject="truck,ford-f150", closing_speed_kph=64.4, restitution=0.1)
    assert float(sel) == expected_results()["delta_v_kph"][1 * 8 + 2 * 2 + 1]


def test_zarr_region_writes_across_small_store_chunks(tmp_path, monkeypatch):
    zarr = pytest.importorskip("zarr")
    import crashcompat.runs.writers as writers

    monkeypatch.setattr(writers, "_ZARR_CHUNK_BYTES", 3 * 8)  # store chunks of (1, 1, 2)
    path = tmp_path / "out.zarr"
    write_grid(path, chunks=[3, 6, 1, 9, 5])
    group = zarr.open_group(path, mode="r")
    assert group["delta_v_kph"].chunks == (1, 1, 2)
    for col_name, want in expected_results().items():
        np.testing.assert_array_equal(group[col_name][...], want.reshape(SHAPE))


def test_zarr_chunks_are_whole_trailing_axes_up_to_the_cap():
    assert zarr_chunks((3, 4, 2)) == (3, 4, 2)  # a small grid is one chunk
    cap = 8 * 200_000
    assert zarr_chunks((10, 100, 1000), itemsize=8, target_bytes=cap) == (2, 100, 1000)
    assert zarr_chunks((10, 1000, 1000), itemsize=8, target_bytes=cap) == (1, 200, 1000)
    assert zarr_chunks((5, 0)) == (5, 1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_chunk_and_row_by_row_give_the_same_file_contents(tmp_path, fmt):
    need(fmt)
    write_grid(tmp_path / ("a" + SUFFIX[fmt][3:]), chunks=[N])
    write_grid(tmp_path / ("b" + SUFFIX[fmt][3:]), chunks=[1] * N)
    if fmt == "csv":
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        a, b = pq.read_table(tmp_path / "a.parquet"), pq.read_table(tmp_path / "b.parquet")
        assert a.schema.equals(b.schema, check_metadata=True)
        for name in a.column_names:  # column by column: Table.equals counts NaN != NaN
            np.testing.assert_array_equal(a.column(name).to_numpy(), b.column(name).to_numpy())
    else:
        import zarr

        a, b = zarr.open_group(tmp_path / "a.zarr", mode="r"), zarr.open_group(
            tmp_path / "b.zarr", mode="r")
        for name in COLUMNS:
            np.testing.assert_array_equal(a[name][...], b[name][...])


@pytest.mark.parametrize("fmt", FORMATS)
def test_caller_may_reuse_its_arrays_after_write(tmp_path, fmt):
    """The grid code refills preallocated outputs per chunk: writers must not keep references."""
    need(fmt)
    path = tmp_path / SUFFIX[fmt]
    buffers = {name: np.empty(8, dtype) for name, dtype in COLUMNS.items()}
    with open_writer(path, None, axes=AXES, columns=COLUMNS, metadata=METADATA) as writer:
        for start in range(0, N, 8):
            for name, col in expected_results().items():
                buffers[name][:] = col[start:start + 8]
            writer.write(start, buffers)
            for buf in buffers.values():
                buf[:] = -1
    if fmt == "parquet":
        import pyarrow.parquet as pq

        got = pq.read_table(path).column("delta_v_kph").to_numpy()
    elif fmt == "zarr":
        import zarr

        got = zarr.open_group(path, mode="r")["delta_v_kph"][...].ravel()
    else:
        got = np.array([float(line.split(",")[-3]) for line in path.read_text().splitlines()[1:]])
    np.testing.assert_array_equal(got, expected_results()["delta_v_kph"])


# -- the atomic-output contract -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_output_is_kept_without_overwrite(tmp_path, fmt):
    need(fmt)
    path = tmp_path / SUFFIX[fmt]
    path.write_text("precious")
    with pytest.raises(CrashCompatError, match=r"out\.\w+ exists; pass --overwrite to replace it"):
        write_grid(path)
    assert path.read_text() == "precious"
    assert os.listdir(tmp_path) == [path.name]  # nothing written beside it either


@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_output_is_replaced_with_overwrite(tmp_path, fmt):
    need(fmt)
    path = tmp_path / SUFFIX[fmt]
    write_grid(path)
    # Replace a finished output of the same format, then a stray file, and read the result back.
    write_grid(path, chunks=[N], overwrite=True)
    assert read_metadata(path) == EXPECTED_METADATA
    assert only_final(tmp_path, path.name)


def test_overwrite_replaces_a_directory_with_a_file(tmp_path):
    path = tmp_path / "out.csv"
    path.mkdir()
    (path / "old").write_text("x")
    write_grid(path, overwrite=True)
    assert path.is_file()
    assert only_final(tmp_path, "out.csv")


@pytest.mark.parametrize("fmt", FORMATS)
def test_exception_inside_with_leaves_nothing(tmp_path, fmt):
    need(fmt)
    path = tmp_path / SUFFIX[fmt]
    with pytest.raises(KeyboardInterrupt):
        with open_writer(path, None, axes=AXES, columns=COLUMNS, metadata=METADATA) as writer:
            writer.write(0, chunk_table(0, 10))
            assert sorted(os.listdir(tmp_path)) == sorted(
                f".{name}.partial-{os.getpid()}" for name in outputs(path.name))
            raise KeyboardInterrupt  # Ctrl-C mid-run
    assert os.listdir(tmp_path) == []
    writer.abort()  # idempotent


@pytest.mark.parametrize("fmt", FORMATS)
def test_incomplete_close_raises_and_leaves_nothing(tmp_path, fmt):
    need(fmt)
    path = tmp_path / SUFFIX[fmt]
    writer = open_writer(path, None, axes=AXES, columns=COLUMNS, metadata=METADATA)
    writer.write(0, chunk_table(0, 10))
    with pytest.raises(CrashCompatError, match=r"^incomplete: 10 of 24 rows written, so .*out\."):
        writer.close()
    assert os.listdir(tmp_path) == []


def test_incomplete_with_block_raises(tmp_path):
    with pytest.raises(CrashCompatError, match="incomplete: 0 of 24 rows"):
        with open_writer(tmp_path / "out.csv", None, axes=AXES, columns=COLUMNS,
                         metadata=METADATA):
            pass
    assert os.listdir(tmp_path) == []


def test_abandoned_writer_removes_its_partial_file(tmp_path):
    writer = open_writer(tmp_path / "out.csv", None, axes=AXES, columns=COLUMNS, metadata=METADATA)
    writer.write(0, chunk_table(0, 3))
    writer._discard()  # close the handle as garbage collection would
    del writer
    assert os.listdir(tmp_path) == []


def _kill_a_writer(tmp_path) -> int:
    """Start a CSV writer in a child process, SIGKILL it mid-run; return its pid."""
    script = (
        "import sys, time, numpy as np\n"
        "from crashcompat.runs.writers import open_writer\n"
        "w = open_writer(sys.argv[1], None, axes={'x': np.arange(10.0)},\n"
        "                columns={'y_m': np.float64}, metadata={})\n"
        "w.write(0, {'y_m': np.ones(5)})\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "out.csv")],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return proc.pid


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_process_leaves_only_a_hidden_partial_file(tmp_path):
    pid = _kill_a_writer(tmp_path)
    left = sorted(os.listdir(tmp_path))
    assert left == [f".out.csv.meta.json.partial-{pid}", f".out.csv.partial-{pid}"]


@pytest.mark.skipif(os.name != "posix" or not hasattr(signal, "SIGKILL"),
                    reason="needs SIGKILL and the POSIX process table")
def test_a_later_writer_removes_stale_partial_files_and_says_so(tmp_path, caplog):
    pid = _kill_a_writer(tmp_path)
    (tmp_path / f".other.zarr.partial-{pid}").mkdir()  # a killed Zarr run elsewhere in the dir
    (tmp_path / f".other.zarr.partial-{pid}" / "zarr.json").write_text("{}")
    live = tmp_path / f".busy.parquet.partial-{os.getppid()}"  # a running process's file
    live.write_text("x")
    unrelated = tmp_path / ".notes.txt.partial-1"
    unrelated.write_text("x")
    with caplog.at_level(logging.WARNING, logger="crashcompat"):
        write_grid(tmp_path / "new.csv")
    assert sorted(os.listdir(tmp_path)) == sorted(
        [live.name, unrelated.name, *outputs("new.csv")])
    said = [r.getMessage() for r in caplog.records if r.name.startswith("crashcompat")]
    assert len(said) == 3, said
    assert all("partial output" in m and f"process {pid}, which is no longer running" in m
               for m in said)
    assert remove_stale_partials(tmp_path) == []  # nothing left to remove


class _FullDisk:
    """A file object whose writes fail as on a full disk."""

    def __init__(self, real):
        self.real = real

    def write(self, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self):
        self.real.close()


def _fail_writes(monkeypatch, fmt, writer):
    if fmt == "csv":
        writer._file = _FullDisk(writer._file)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        def write_table(self, *args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(pq.ParquetWriter, "write_table", write_table)
    else:
        import zarr

        async def set_(self, key, value, *args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(zarr.storage.LocalStore, "set", set_)


@pytest.mark.parametrize("fmt", FORMATS)
def test_full_disk_aborts_with_a_sentence(tmp_path, monkeypatch, fmt):
    need(fmt)
    path = tmp_path / SUFFIX[fmt]
    with pytest.raises(CrashCompatError) as info:
        with open_writer(path, None, axes=AXES, columns=COLUMNS, metadata=METADATA) as writer:
            _fail_writes(monkeypatch, fmt, writer)
            start = 0
            for size in CHUNKS:  # Parquet buffers small chunks, so it fails at close()
                writer.write(start, chunk_table(start, start + size))
                start += size
    assert str(info.value) == f"could not write {path}: No space left on device"
    assert isinstance(info.value.__cause__, OSError)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_missing_directory(tmp_path):
    path = tmp_path / "nowhere" / "out.csv"
    with pytest.raises(CrashCompatError, match="the directory .*nowhere does not exist"):
        open_writer(path, None, axes=AXES, columns=COLUMNS, metadata=METADATA)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_directory(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(CrashCompatError, match="is not writable"):
            open_writer(tmp_path / "out.csv", None, axes=AXES, columns=COLUMNS, metadata=METADATA)
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.parametrize(("module", "fmt", "sentence"), [
    ("pyarrow", "parquet", "writing Parquet needs pyarrow: pip install 'crashcompat[parquet]'"),
    ("zarr", "zarr", "writing Zarr needs zarr 3 or later: pip install 'crashcompat[zarr]'"),
])
def test_missing_library_is_a_sentence(tmp_path, monkeypatch, module, fmt, sentence):
    for name in list(sys.modules):
        if name == module or name.startswith(module + "."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError) as info:  # an ImportError and a CrashCompatError
        open_writer(tmp_path / SUFFIX[fmt], None, axes=AXES, columns=COLUMNS, metadata=METADATA)
    assert isinstance(info.value, MissingExtraError) and isinstance(info.value, CrashCompatError)
    assert str(info.value) == sentence
    assert os.listdir(tmp_path) == []


# -- programming errors ---------------------------------------------------------------------------


def test_chunks_must_arrive_in_order(tmp_path):
    with open_writer(tmp_path / "out.csv", None, axes=AXES, columns=COLUMNS,
                     metadata=METADATA) as writer:
        writer.write(0, chunk_table(0, 5))
        with pytest.raises(ValueError, match="chunk starts at row 6 but 5 rows"):
            writer.write(6, chunk_table(6, 8))
        writer.abort()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_axis_columns_must_match_the_grid(tmp_path, fmt):
    need(fmt)
    table = chunk_table(0, 8)
    table["closing_speed_kph"] = table["closing_speed_kph"][::-1]
    with pytest.raises(ValueError, match="axis column 'closing_speed_kph'"):
        with open_writer(tmp_path / SUFFIX[fmt], None, axes=AXES, columns=COLUMNS,
                         metadata=METADATA) as writer:
            writer.write(0, table)
    assert os.listdir(tmp_path) == []


def test_result_dtype_must_cast_safely(tmp_path):
    table = chunk_table(0, 4)
    table["status"] = np.zeros(4)  # float where int8 was declared
    with pytest.raises(TypeError, match="'status' must be a 1-D array of int8"):
        with open_writer(tmp_path / "out.csv", None, axes=AXES, columns=COLUMNS,
                         metadata=METADATA) as writer:
            writer.write(0, table)


# -- format selection -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [
    ("grid.csv", "csv"), ("GRID.CSV", "csv"), ("grid.csv.gz", "csv"), ("grid.parquet", "parquet"),
    ("grid.pq", "parquet"), ("grid.zarr", "zarr"), ("dir/grid.zarr/", "zarr"),
])
def test_format_from_extension(name, fmt):
    assert format_from_path(name) == fmt


def test_unknown_extension_names_the_format_option():
    with pytest.raises(CrashCompatError) as info:
        format_from_path("results.xlsx")
    assert str(info.value) == (
        "cannot tell the output format from the extension '.xlsx' of results.xlsx; name the file "
        "with one of .csv.gz, .csv, .parquet, .pq, .zarr, or give the format "
        "(--data-format csv|parquet|zarr)."
    )
    with pytest.raises(CrashCompatError, match="results, which has no extension.*--data-format"):
        format_from_path("results")


def test_format_names_what_the_extension_cannot(tmp_path):
    assert format_from_path("results.xlsx", "parquet") == "parquet"
    assert format_from_path("results.csv", "CSV") == "csv"
    assert format_from_path("-") == "csv"
    with pytest.raises(CrashCompatError, match="unknown output format 'hdf5'; choose one of csv"):
        format_from_path("results.h5", "hdf5")
    path = tmp_path / "results.txt"
    write_grid(path, fmt="csv")
    assert path.read_text().startswith("subject,closing_speed_kph,")
    assert read_metadata(path, "csv") == EXPECTED_METADATA


@pytest.mark.parametrize(("name", "fmt"), [("results.csv", "parquet"), ("r.parquet", "zarr"),
                                           ("r.zarr", "csv"), ("r.csv.gz", "zarr")])
def test_format_contradicting_the_extension_is_an_error(tmp_path, name, fmt):
    with pytest.raises(CrashCompatError, match=f"names a .* file but the format asked for is "
                                               f"{fmt}; name the file with a .{fmt} extension"):
        open_writer(tmp_path / name, fmt, axes=AXES, columns=COLUMNS, metadata=METADATA)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("name", "units"), [
    ("subject_occupant_dv_kph", "km/h"), ("subject_pdof_deg", "degree"), ("energy_loss_j", "J"),
    ("subject_yaw_rate_change_rad_s", "rad/s"), ("subject_olc_g", "9.80665 m s-2"),
    ("subject_max_crush_m", "m"), ("pulse_duration_s", "s"), ("subject_oiv_x_mps", "m/s"),
    ("load_kg", "kg"), ("overlap", "1"), ("friction", "1"), ("restitution_used", "1"),
    ("subject_crush_ratio", "1"), ("subject_risk_malliaris_one_mais3", "1"),
])
def test_units_come_from_the_name_suffix(name, units):
    attrs = column_attrs(name)
    assert attrs["units"] == units and attrs["long_name"]
    assert "units" not in column_attrs("subject")
    assert column_attrs("pulse_status")["flag_meanings"].split() == STATUS_LABELS


# -- flat range -> N-d boxes ----------------------------------------------------------------------


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), data=st.data())
def test_hyperslabs_cover_the_range_in_order(shape, data):
    shape = tuple(shape)
    total = int(np.prod(shape))
    start = data.draw(st.integers(0, total - 1))
    stop = data.draw(st.integers(start + 1, total))
    flat = np.arange(total).reshape(shape)
    expected_offset = start
    boxes = list(hyperslabs(start, stop, shape))
    for offset, region in boxes:
        assert offset == expected_offset
        values = flat[region].ravel()
        np.testing.assert_array_equal(values, np.arange(offset, offset + values.size))
        expected_offset += values.size
    assert expected_offset == stop
    assert len(boxes) <= 2 * len(shape) - 1


def test_aligned_range_is_one_box():
    assert list(hyperslabs(8, 24, (3, 4, 2))) == [(8, (slice(1, 3), slice(0, 4), slice(0, 2)))]
    assert len(list(hyperslabs(0, 24, (3, 4, 2)))) == 1


def test_zarr_chunks_smaller_than_the_grid_are_written_whole(tmp_path, monkeypatch):
    """Rows are held until they fill whole Zarr chunks; with chunks of 2 speeds (4 rows) and the
    uneven write chunks of CHUNKS every value still lands at its own grid position."""
    need("zarr")
    import zarr

    import crashcompat.runs.writers as writers

    monkeypatch.setattr(writers, "_ZARR_CHUNK_BYTES", 4 * 8)  # 4 float64: (1, 2, 2) of (3, 4, 2)
    path = tmp_path / "out.zarr"
    write_grid(path)
    group = zarr.open_group(str(path), mode="r")
    assert group["delta_v_kph"].chunks == (1, 2, 2)
    for name, want in expected_results().items():
        np.testing.assert_array_equal(group[name][...], want.reshape(SHAPE), err_msg=name)


GRID_SMALL = {"subjects": ["kei/honda-n-box", "kei/nissan-sakura"],
              "partners": ["us-truck/ford-f-150"], "closing_speed_kph": [30, 60],
              "angle_deg": [0, 15], "overlap": [1]}
COMPACT = ["partner_occupant_dv_kph", "subject_occupant_dv_kph"]


@pytest.mark.parametrize("fmt", ["parquet", "zarr"])
def test_grid_columns_and_float32_round_trip(tmp_path, fmt):
    """write(columns=..., float32=True) keeps the chosen results (grid order) and status, as
    float32 equal to the float64 results rounded once, with units and metadata intact."""
    need(fmt)
    from crashcompat.runs.grid import run_grid

    run = run_grid(GRID_SMALL, chunk_cases=1000)
    full = {k: np.concatenate([t[k] for _, t in run.chunks(axis_columns=False)])
            for k in run.result_columns}
    path = tmp_path / f"out.{fmt}"
    run.write(path, columns=COMPACT, float32=True)
    keep = [c for c in run.result_columns if c in COMPACT] + ["status"]
    if fmt == "parquet":
        pq = pytest.importorskip("pyarrow.parquet")
        table = pq.read_table(path)
        assert table.schema.names == [*run.axes, *keep]
        got = {c: table.column(c).to_numpy() for c in COMPACT}
        got["status"] = table.column("status").combine_chunks().indices.to_numpy()
        assert table.schema.field(COMPACT[0]).metadata[b"units"] == b"km/h"
    else:
        import zarr

        group = zarr.open_group(str(path), mode="r")
        assert sorted(k for k in group.array_keys() if k in run.result_columns) == sorted(keep)
        got = {c: group[c][...].reshape(-1) for c in keep}
        assert group[COMPACT[0]].attrs["units"] == "km/h"
    for c in COMPACT:
        assert got[c].dtype == np.float32, c
        np.testing.assert_array_equal(got[c], full[c].astype(np.float32), err_msg=c)
    np.testing.assert_array_equal(got["status"], full["status"])
    meta = read_metadata(path)
    assert meta["result_dtype"] == "float32" and meta["columns"] == keep
    assert meta["n_cases"] == run.n_cases == len(full["status"])


def test_grid_unknown_columns_are_one_sentence(tmp_path):
    from crashcompat.runs.grid import run_grid

    run = run_grid(GRID_SMALL)
    with pytest.raises(CrashCompatError) as err:
        run.write(tmp_path / "out.parquet", columns=["subject_occupant_dv_kph", "dv_kph"])
    msg = str(err.value)
    assert msg.startswith("columns: 'dv_kph' is not a result column of this grid; choose from ")
    assert "subject_occupant_dv_kph" in msg and msg.count(". ") == 0 and msg.endswith(".")
    assert not (tmp_path / "out.parquet").exists()
