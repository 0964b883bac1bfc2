"""The Dask backend (crashcompat.runs.distributed): a run on a LocalCluster gives the
single-process run's summary, Monte Carlo and headline bit for bit (np.array_equal, NaN
positions included) for any worker count and task size; partitioned Parquet and parallel Zarr
outputs hold the same rows and appear only when complete; a killed worker changes nothing; a
Ctrl-C leaves nothing under the final name; without Dask the message says what to install, and
the single-machine path never imports Dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from crashcompat.runs.grid import run_grid

#: a small run with an exposure (so the headline and its far-side companion run), 20 samples
TRAFFIC = {"subjects": ["kei/honda-n-box", "kei/suzuki-alto"],
           "references": ["us-car/toyota-corolla"],
           "partners": ["us-truck/ford-f-150", "us-suv/toyota-rav4", "us-car/honda-civic"],
           "closing_speed_kph": [20, 40, 60], "angle_deg": [0, 20], "overlap": [1, 0.5]}
#: pulse measures with 64 cases per group and chunks of 40 cases, so that groups straddle chunk
#: boundaries and the pulse means are sums over pieces
PULSE = {"subjects": ["kei/honda-n-box"], "references": ["us-car/toyota-corolla"],
         "partners": ["us-truck/ford-f-150", "us-suv/toyota-rav4"],
         "configurations": ["frontal", "side"], "closing_speed_kph": [30, 60],
         "angle_deg": [0, 20], "overlap": [1, 0.5], "impact_position": ["driver-seat", "0.5"],
         "restitution": ["model", "0.2"], "friction": [0.0, 0.6], "load_kg": [0.0, 150.0],
         "measures": ["dv", "risk", "pulse"]}


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each (what `--dask local:2` starts)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as c, distributed.Client(c) as client:
        yield c, client


@pytest.fixture(scope="module")
def threaded():
    """One in-process worker of two threads: tasks share the worker's buffers concurrently."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as c, distributed.Client(c) as client:
        yield client


@pytest.fixture(scope="module")
def traffic_single():
    run = run_grid(TRAFFIC, samples=20, seed=3, exposure="us")
    run.headline()
    return run


def _arrays(run) -> dict:
    """Every per-group and Monte Carlo array of a finished run (and its far-side companion)."""
    out = {}
    for tag, r in (("", run), ("far:", run.far_side_run())):
        if r is None or (tag and r._group is None):  # the companion runs with a headline
            continue
        r.summary()
        out[tag + "stats"], out[tag + "risk"] = r._group
        for k, v in r.summary()._extra.items():
            out[tag + k] = v
        if r.samples:
            mc = r.monte_carlo()
            out[tag + "bands_g"], out[tag + "bands_p"] = mc.bands_g, mc.bands_p
            if mc.acc is not None:
                out[tag + "acc"] = mc.acc
    return out


def _assert_identical(a, b):
    ea, eb = _arrays(a), _arrays(b)
    assert set(ea) == set(eb)
    for k in ea:
        assert ea[k].dtype == eb[k].dtype and ea[k].shape == eb[k].shape, k
        assert np.array_equal(ea[k], eb[k], equal_nan=ea[k].dtype.kind == "f"), k
    sa, sb = a.summary(), b.summary()
    assert sa.status_counts == sb.status_counts
    assert sa.worst == sb.worst


@pytest.mark.parametrize("task_crashes", [1, 7, None])
def test_headline_run_is_bit_identical_on_two_workers(cluster, traffic_single, task_crashes):
    _, client = cluster
    run = run_grid(TRAFFIC, samples=20, seed=3, exposure="us", client=client,
                   task_crashes=task_crashes)
    h = run.headline()
    _assert_identical(traffic_single, run)
    assert h.rows == traffic_single.headline().rows
    assert h.by_partner_class == traffic_single.headline().by_partner_class


def test_one_worker_of_two_threads_is_bit_identical(threaded, traffic_single):
    run = run_grid(TRAFFIC, samples=20, seed=3, exposure="us", client=threaded,
                   task_crashes=2)
    assert run.headline().rows == traffic_single.headline().rows
    _assert_identical(traffic_single, run)


def test_pulse_means_over_split_groups_are_bit_identical(cluster):
    _, client = cluster
    single = run_grid(PULSE, chunk_cases=40, samples=4, seed=1)
    single.summary()
    for task_crashes in (1, 3):
        run = run_grid(PULSE, chunk_cases=40, samples=4, seed=1, client=client,
                       task_crashes=task_crashes)
        _assert_identical(single, run)
    assert "subject_olc_g" in _arrays(single)


def test_partitioned_parquet_holds_the_single_files_rows(cluster, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    from crashcompat.runs.writers import read_metadata

    _, client = cluster
    spec = dict(TRAFFIC, measures=["dv", "risk"])
    one = tmp_path / "one.parquet"
    run_grid(spec, chunk_cases=1000).write(one)
    many = tmp_path / "many.parquet"
    run = run_grid(spec, chunk_cases=1000, client=client)
    run.write(many, columns=["subject_occupant_dv_kph"], float32=True)
    run.write(many, overwrite=True)
    parts = sorted(p.name for p in many.iterdir())
    assert parts[:2] == ["_common_metadata", "_metadata"]
    # about TASKS_PER_THREAD parts per worker thread when the grid is below a chunk per part
    from crashcompat.runs.distributed import TASKS_PER_THREAD

    n = 2 * TASKS_PER_THREAD
    assert parts[2:] == [f"part-{k:05d}.parquet" for k in range(n)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    a, b = pq.read_table(one), pq.read_table(many)
    assert a.num_rows == b.num_rows == run.n_cases
    assert a.schema.names == b.schema.names and a.equals(b.select(a.schema.names))
    assert read_metadata(many) == read_metadata(one)
    assert pq.read_metadata(many / "_metadata").num_rows == run.n_cases


def test_zarr_regions_written_in_parallel_equal_the_single_store(cluster, tmp_path,
                                                                 monkeypatch):
    zarr = pytest.importorskip("zarr")
    pytest.importorskip("xarray")
    import xarray as xr

    from crashcompat.runs import writers

    # chunks of at most 64 float64: 48 cases (a configuration and the axes after it), 9 chunks,
    # so the 2 workers write 8 parts of whole chunks
    monkeypatch.setattr(writers, "_ZARR_CHUNK_BYTES", 512)
    _, client = cluster
    spec = dict(TRAFFIC, measures=["dv", "risk"])
    one, many = tmp_path / "one.zarr", tmp_path / "many.zarr"
    run_grid(spec).write(one)
    run_grid(spec, client=client).write(many)
    chunks = zarr.open_group(str(many), mode="r")["status"].chunks
    assert len(writers.zarr_boundaries(tuple(run_grid(spec).shape), chunks)) > 8
    za, zb = zarr.open_group(str(one), mode="r"), zarr.open_group(str(many), mode="r")
    assert sorted(za.array_keys()) == sorted(zb.array_keys())
    for k in za.array_keys():
        assert np.array_equal(za[k][...], zb[k][...],
                              equal_nan=za[k].dtype.kind == "f"), k
    assert dict(za.attrs) == dict(zb.attrs)
    assert xr.open_zarr(many).identical(xr.open_zarr(one))


def test_missing_dask_says_what_to_install(monkeypatch):
    from click.testing import CliRunner

    from crashcompat.cli import main
    from crashcompat.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'crashcompat\[dask\]'"):
        run_grid(TRAFFIC, client=object())
    r = CliRunner().invoke(main, ["grid", "--subjects", "kei/honda-n-box", "--partners",
                                  "us-truck/ford-f-150", "--dask", "local:2"])
    assert r.exit_code == 1
    assert "--dask" in r.output and "pip install 'crashcompat[dask]'" in r.output
    assert "Traceback" not in r.output


def test_bad_dask_address_is_one_sentence():
    from click.testing import CliRunner

    from crashcompat.cli import main

    r = CliRunner().invoke(main, ["grid", "--subjects", "kei/honda-n-box", "--partners",
                                  "us-truck/ford-f-150", "--dask", "local:zero"])
    assert r.exit_code == 1 and "local:N" in r.output and "Traceback" not in r.output


def test_single_machine_path_imports_no_dask(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        import crashcompat as cc
        run = cc.run_grid({TRAFFIC!r}, samples=2, exposure="us")
        run.headline()
        run.write({str(tmp_path / 'x.parquet')!r})
        bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]
        assert not bad, bad
        print('ok')
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_ctrl_c_leaves_nothing_under_the_final_name(tmp_path):
    pytest.importorskip("pyarrow")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "big.parquet"
    cmd = [sys.executable, "-m", "crashcompat", "grid", "--dask", "local:2", "-o", str(out),
           "--no-summary", "--measures", "dv,risk,pulse", "--closing-speed", "1:120:1",
           "--angle", "-45:45:5", "--overlap", "0.2:1:0.2"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 90
    # the hidden partial dataset exists once the cluster is up and the parts are being written
    while time.time() < deadline and not any(out_dir.iterdir()) and p.poll() is None:
        time.sleep(0.02)
    assert any(out_dir.iterdir()), "the run never started writing"
    time.sleep(0.3)  # some parts in flight
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "no output file was left behind" in err
    assert not out.exists()
    assert list(out_dir.iterdir()) == []


def test_killed_worker_changes_nothing(cluster, traffic_single):
    """SIGKILL one of the two worker processes mid-run: Dask re-runs its tasks (the nanny
    restarts it) and the result is complete and bit-identical."""
    _, client = cluster
    pids = client.run(os.getpid)
    run = run_grid(TRAFFIC, samples=20, seed=3, exposure="us", client=client, task_crashes=1)
    victim = min(pids.values())
    killed = []

    def progress(n):  # at the first block back, the victim holds or runs others
        if n and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(n)

    run.summary(progress=progress)
    assert killed
    run.headline()
    _assert_identical(traffic_single, run)
    client.wait_for_workers(2, timeout=60)
    assert victim not in client.run(os.getpid).values()
