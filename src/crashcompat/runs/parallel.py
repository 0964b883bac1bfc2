"""Threads for the serial grid kernels.

The grid kernels are serial numba functions that release the GIL and fill disjoint ranges of
preallocated outputs; this module runs those ranges on a small thread pool. Compared with numba
``prange`` loops this halves the first-run compile time (no parfor passes) and keeps every number
independent of the thread count (each case or group is computed by the same code, whichever
thread runs it). The thread count is numba's (``crashcompat.set_threads``, ``NUMBA_NUM_THREADS``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

__all__ = ["run_ranges", "run_slots", "split_ranges", "n_slots"]

_POOLS: dict[int, ThreadPoolExecutor] = {}


def _threads() -> int:
    import numba

    return max(1, int(numba.get_num_threads()))


def split_ranges(n: int, parts: int, align: int = 1) -> list[tuple[int, int]]:
    """``parts`` contiguous ranges covering ``0 .. n``, boundaries on multiples of ``align``
    where that leaves every range non-empty (the kernels' whole-group fast path)."""
    if n <= 0:
        return []
    align = max(1, int(align))
    units = max(1, n // align) if n % align == 0 else 0
    if units:
        parts = max(1, min(parts, units))
        cuts = [units * k // parts * align for k in range(parts + 1)]
    else:
        parts = max(1, min(parts, n))
        cuts = [n * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def run_ranges(fn, n: int, align: int = 1, *, offset: int = 0) -> None:
    """Call ``fn(a, b)`` for ranges covering ``offset .. offset + n``, on the thread pool; the
    first exception raised in a worker is re-raised here."""
    k = _threads()
    ranges = [(offset + a, offset + b) for a, b in split_ranges(n, k, align)]
    if len(ranges) <= 1:
        for a, b in ranges:
            fn(a, b)
        return
    pool = _POOLS.get(k)
    if pool is None:
        pool = _POOLS[k] = ThreadPoolExecutor(max_workers=k, thread_name_prefix="crashcompat")
    for f in [pool.submit(fn, a, b) for a, b in ranges]:
        f.result()


def n_slots() -> int:
    """How many ranges :func:`run_slots` uses at most: the thread count."""
    return _threads()


def run_slots(fn, n: int, align: int = 1, *, offset: int = 0) -> None:
    """As :func:`run_ranges`, calling ``fn(slot, a, b)``: range number ``slot`` (below
    :func:`n_slots`) of this call, so that each concurrent range can own a scratch buffer. A
    reduction over the slots' buffers must not depend on how the work was split (the Monte
    Carlo kernel sums integers)."""
    k = _threads()
    ranges = [(offset + a, offset + b) for a, b in split_ranges(n, k, align)]
    if len(ranges) <= 1:
        for a, b in ranges:
            fn(0, a, b)
        return
    pool = _POOLS.get(k)
    if pool is None:
        pool = _POOLS[k] = ThreadPoolExecutor(max_workers=k, thread_name_prefix="crashcompat")
    for f in [pool.submit(fn, slot, a, b) for slot, (a, b) in enumerate(ranges)]:
        f.result()
