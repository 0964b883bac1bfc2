"""Grid runs on a Dask cluster: the same compiled kernels in tasks of crash ranges, merged exactly.

``run_grid(spec, client=dask.distributed.Client(...))`` (or ``crashcompat grid --dask ADDRESS``,
``--dask local:N``) sends the run's inputs (spec, catalog, samples, seed, uncertainty, exposure,
random stream) to the workers once; each worker rebuilds the :class:`GridRun` from them and
keeps it for the run's later tasks. A task computes one range of crashes (partner x
configuration x speeds, every subject and reference row, all samples) with the same units of
work as a run in one process (:meth:`GridRun._fill_summary`, ``_fill_means``, ``_fill_mc``) and
returns that range's slices of the per-group arrays (:meth:`CrashResults.block`). The client
places each block where it belongs and adds the int64 exposure sums: placement of disjoint
slices and integer addition are exact and do not depend on the order, so the summary, the
Monte Carlo bands and the headline are bit-identical to the single-process run's for any number
of workers and any task size (``tests/test_dask.py`` checks it with ``np.array_equal``).

Outputs: ``-o NAME.parquet`` becomes a partitioned dataset directory (one ``part-NNNNN.parquet``
per task, each a contiguous range of rows, plus ``_common_metadata`` and ``_metadata``), and
``-o NAME.zarr`` a store whose regions (whole chunks) the tasks write in parallel; either is
built under the hidden partial name and renamed into place once every part is written
(:class:`crashcompat.runs.writers.DatasetWriter`). The workers must see the output's directory
(one machine, or a shared filesystem). CSV, one ordered file, is written by the client.

Faults: a worker that dies has its tasks re-run by Dask (and its held results recomputed);
blocks are pure functions of the inputs and their range, and a re-written Parquet part replaces
the first copy atomically, so the result is complete and identical. An error or Ctrl-C cancels
the remaining tasks and removes the partial output.

Dask is imported here, inside functions, and this module only when a client is given: the
single-machine path never imports it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from pathlib import Path

import numpy as np

from crashcompat.errors import CrashCompatError, MissingExtraError

__all__ = ["open_client", "check_client", "compute_results", "write_dataset", "task_blocks",
           "MISSING"]

_log = logging.getLogger(__name__)

#: What a run with a Dask option says when dask.distributed is not installed.
MISSING = ("--dask (run_grid(client=...)) needs dask.distributed; install it with "
           "pip install 'crashcompat[dask]'")
#: Tasks per worker thread when the task size is not given: enough to balance uneven crashes
#: and to lose little to a killed worker, few enough that the per-task overhead stays small.
TASKS_PER_THREAD = 4
#: Most case evaluations (cases x (1 + samples)) in one task when the size is not given, so
#: that progress and a re-run after a fault come in steps of a few seconds of one core.
MAX_TASK_WORK = 1 << 24
#: How often the client looks up from waiting on tasks (progress callbacks, Ctrl-C).
POLL_S = 0.2
#: Runs a worker keeps built (a run and its far-side companion).
_KEEP_RUNS = 2


def _distributed():
    try:
        import distributed
    except ImportError:
        raise MissingExtraError(MISSING, name="distributed") from None
    return distributed


def check_client(client) -> None:
    """Refuse something that is not a ``dask.distributed.Client`` with one sentence."""
    _distributed()
    if not (hasattr(client, "submit") and hasattr(client, "nthreads")):
        raise CrashCompatError(f"client: expected a dask.distributed.Client, got "
                               f"{type(client).__name__}")


def open_client(address: str):
    """A ``dask.distributed.Client`` for ``--dask ADDRESS``: a scheduler address
    (``tcp://host:8786``) or ``local:N``, a local cluster of N worker processes of one thread
    each. Returns ``(client, close)``; ``close()`` shuts down what was started here."""
    distributed = _distributed()
    text = str(address).strip()
    if text.lower().startswith("local:"):
        try:
            n = int(text.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise CrashCompatError(f"--dask: {address!r} is not local:N with N a whole number "
                                   "of workers >= 1 (e.g. local:2)")
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=":0",
                                           silence_logs=logging.ERROR)
        client = distributed.Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client, close
    try:
        client = distributed.Client(text, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise CrashCompatError(f"--dask: could not reach a Dask scheduler at {text!r} ({exc}); "
                               "start one with `dask scheduler` and workers with `dask worker "
                               "ADDRESS`, or use --dask local:N") from None
    return client, client.close


# -- what the workers rebuild ---------------------------------------------------------------

def _recipe(run) -> dict:
    """Picklable inputs from which a worker rebuilds ``run``: the arguments of the run (its
    owner's for a far-side companion, rebuilt with ``far_side_run()``), a token naming it and
    the crashcompat version."""
    from crashcompat._version import __version__

    owner = getattr(run, "_weights_from", None)
    src = owner if owner is not None else run
    if getattr(src, "_dask_token", None) is None:
        src._dask_token = uuid.uuid4().hex
    args = dict(src._recipe_args)
    args["exposure"] = src.exposure  # loaded here: a path may not exist on a worker
    return {"token": src._dask_token, "far": owner is not None, "args": args,
            "version": __version__}


_RUNS: OrderedDict = OrderedDict()
_RUNS_LOCK = threading.Lock()


class _Entry:
    """A worker's copy of a run: the GridRun, full-size result buffers that its tasks fill in
    disjoint slices, and per-thread Monte Carlo scratch."""

    def __init__(self, recipe: dict):
        from crashcompat._version import __version__
        from crashcompat.runs.grid import GridRun

        if recipe["version"] != __version__:
            raise CrashCompatError(f"a Dask worker runs crashcompat {__version__} but the "
                                   f"client {recipe['version']}; install the same version on "
                                   "every worker")
        run = GridRun(**recipe["args"])
        if recipe["far"]:
            run = run.far_side_run()
        self.run = run
        self.lock = threading.Lock()
        self._res = None
        self._local = threading.local()

    def results(self):
        from crashcompat.runs.grid import CrashResults

        with self.lock:
            if self._res is None:
                self._res = CrashResults(self.run, mc=self.run.samples > 0)
            return self._res

    def scratch(self) -> list:
        sc = getattr(self._local, "scratch", None)
        if sc is None:
            sc = self._local.scratch = self.run._mc_scratch(1)
        return sc


def _entry(recipe: dict) -> _Entry:
    key = (recipe["token"], recipe["far"])
    with _RUNS_LOCK:
        entry = _RUNS.get(key)
        if entry is not None:
            _RUNS.move_to_end(key)
            return entry
    entry = _Entry(recipe)  # built outside the lock: another run's tasks need not wait
    with _RUNS_LOCK:
        entry = _RUNS.setdefault(key, entry)
        while len(_RUNS) > _KEEP_RUNS:
            _RUNS.popitem(last=False)
    return entry


def _serial():
    # Dask's worker threads are the parallelism: each task runs its kernels on one thread
    # (numba's thread count is per thread)
    from crashcompat.kernels._jit import set_threads

    set_threads(1)


def _block_task(recipe: dict, c0: int, c1: int) -> dict:
    """On a worker: every result of the crashes ``c0 .. c1 - 1``, as a block."""
    _serial()
    entry = _entry(recipe)
    run, res = entry.run, entry.results()
    run._fill_summary(res, c0, c1)
    run._fill_means(res, c0, c1)
    acc = None
    if run.samples:
        scratch = entry.scratch()
        for sl in scratch:
            sl[0][...] = 0
        run._fill_mc(res, c0, c1, scratch)
        if res.acc is not None:
            acc = scratch[0][0].copy()
    return res.block(c0, c1, acc)


def _write_task(recipe: dict, target, index: int, start: int, stop: int, float32: bool):
    """On a worker: write rows ``start .. stop - 1`` as part ``index`` of a dataset."""
    from crashcompat.runs.writers import open_part

    _serial()
    run = _entry(recipe).run
    cols = {k: np.dtype(v) for k, v in target.columns.items()}
    with open_part(target, index, start, stop) as w:
        for a, table in run._case_tables(start, stop, axis_columns=False):
            w.write(a, run._output_table(table, cols, float32))
    return index, start, stop


# -- the client side ------------------------------------------------------------------------

def _threads(client) -> int:
    return max(1, sum(client.nthreads().values()))


def task_blocks(run, threads: int) -> list[tuple[int, int]]:
    """Crash ranges of the tasks: ``run.task_crashes`` crashes each, or about
    :data:`TASKS_PER_THREAD` tasks per worker thread of at most :data:`MAX_TASK_WORK` case
    evaluations."""
    n = run.n_crashes
    step = run.task_crashes
    if step is None:
        per_crash = int(run.kernel_shape[0]) * run.inner * (1 + run.samples)
        step = min(-(-n // (TASKS_PER_THREAD * threads)), max(1, MAX_TASK_WORK // per_crash))
    step = max(1, int(step))
    return [(c0, min(n, c0 + step)) for c0 in range(0, n, step)]


def _gather(client, futures: dict, on_result, progress) -> None:
    """Wait on ``futures`` (future -> cases of work), handing each result to ``on_result`` as
    it comes; ``progress(n)`` after each and ``progress(0)`` every :data:`POLL_S` (a CLI stops
    by raising from it). Any exception cancels the tasks left and is raised here."""
    distributed = _distributed()
    pending = set(futures)
    try:
        while pending:
            try:
                with client.as_current():  # wait() asks for the default client otherwise
                    done = distributed.wait(list(pending), timeout=POLL_S,
                                            return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = ()
            for f in done:
                pending.discard(f)
                on_result(f.result())
                if progress is not None:
                    progress(futures[f])
            if not done and progress is not None:
                progress(0)
    except distributed.KilledWorker as exc:
        raise CrashCompatError(
            f"Dask workers died running task {exc.args[0]!r} more often than the scheduler "
            "allows (distributed.scheduler.allowed-failures); see the workers' logs, or give "
            "them more memory") from None
    finally:
        if pending:
            client.cancel(list(pending))


def _submit_recipe(client, run):
    recipe = _recipe(run)
    # a task holding the inputs, not scattered data: if every worker holding it dies, the
    # scheduler runs it again
    return recipe, client.submit(_identity, recipe, key=f"crashcompat-inputs-"
                                 f"{recipe['token']}-{int(recipe['far'])}", pure=False)


def _identity(x):
    return x


def compute_results(run, progress=None):
    """Every crash of ``run`` on ``run.client``'s workers, merged into one
    :class:`crashcompat.runs.grid.CrashResults` (summary, pulse means and, with samples, the
    Monte Carlo): bit-identical to the single-process run's."""
    from crashcompat.runs.grid import CrashResults

    client = run.client
    recipe, inputs = _submit_recipe(client, run)
    res = CrashResults(run, mc=run.samples > 0)
    per_crash = int(run.kernel_shape[0]) * run.inner * (1 + run.samples)
    futures = {}
    try:
        for c0, c1 in task_blocks(run, _threads(client)):
            f = client.submit(_block_task, inputs, c0, c1, pure=False,
                              key=f"crashcompat-block-{recipe['token']}-{int(recipe['far'])}-"
                                  f"{c0}-{uuid.uuid4().hex[:8]}")
            futures[f] = (c1 - c0) * per_crash
        _gather(client, futures, res.place, progress)
    finally:
        client.cancel([inputs])
    return res


def write_dataset(run, path, fmt: str, *, overwrite: bool = False, progress=None,
                  columns=None, float32: bool = False) -> Path:
    """:meth:`GridRun.write` on ``run.client``'s workers: a partitioned Parquet dataset or a
    Zarr store written in parallel, published under ``path`` once every part is in."""
    from crashcompat.runs.writers import open_dataset

    client = run.client
    _, cols, meta = run._output_plan(columns, float32)
    threads = _threads(client)
    with open_dataset(path, fmt, axes=run.axes, columns=cols, metadata=meta,
                      overwrite=overwrite,
                      coords=run.labelled_coords() if fmt == "zarr" else None) as ds:
        parts = max(-(-run.n_cases // run.chunk_cases), TASKS_PER_THREAD * threads)
        ranges = ds.part_ranges(min(parts, max(1, run.n_cases // max(run.inner, 1))),
                                align=run.inner)
        recipe, inputs = _submit_recipe(client, run)
        target = ds.target()
        futures = {}
        try:
            for k, (a, b) in enumerate(ranges):
                f = client.submit(_write_task, inputs, target, k, a, b, float32, pure=False,
                                  key=f"crashcompat-part-{recipe['token']}-{k}-"
                                      f"{uuid.uuid4().hex[:8]}")
                futures[f] = b - a
            _gather(client, futures, lambda r: ds.part_done(*r), progress)
        finally:
            client.cancel([inputs])
    return Path(path)
