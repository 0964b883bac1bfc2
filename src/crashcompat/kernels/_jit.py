"""Every numba option in one place.

- ``cache=True`` so a CLI run does not pay compile time twice.
- ``error_model="numpy"``: division by zero gives inf/NaN instead of raising, as in NumPy.
- fastmath is limited to flags that keep NaN and inf semantics (no ``nnan``/``ninf``), so the
  invalid-input checks inside kernels cannot be optimised away. ``contract`` allows fused
  multiply-add, ``arcp``/``reassoc`` are left out so results stay reproducible to rounding.
"""

from __future__ import annotations

import types

import numba
import numba.extending

FASTMATH = {"contract"}

#: Options for scalar helpers (``*_sf``), inlined into the drivers by LLVM.
SCALAR = dict(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH)
#: Scalar helpers are inlined at numba IR level so the drivers see one loop body to vectorise.
INLINE = dict(SCALAR, inline="always")
#: Options for parallel drivers (``*_grid``).
PARALLEL = dict(SCALAR, parallel=True)
#: Options for serial drivers (used for benchmarks and small inputs).
SERIAL = dict(SCALAR)

njit = numba.njit
prange = numba.prange


def at(x, j):
    """``x[j]`` for an array input, ``x`` itself for a scalar: lets one driver take every mix of
    scalar and array arguments. numba compiles one specialisation per mix (cached on disk), in
    which scalars are loop invariants and arrays unit-stride loads, so the loop still
    vectorises and no broadcast copy of a scalar is ever made."""
    raise NotImplementedError("at() is for compiled code only")


@numba.extending.overload(at, inline="always")
def _at_overload(x, j):
    if isinstance(x, numba.types.Number):
        return lambda x, j: x
    return lambda x, j: x[j]


def scalar(fn):
    """Scalar helper inlined into its callers at numba IR level (``*_sf``)."""
    return numba.njit(**INLINE)(fn)


def scalar_call(fn):
    """Scalar helper left to LLVM to inline; for large bodies whose IR inlining trips numba's
    parfor array analysis inside ``prange`` loops."""
    return numba.njit(**SCALAR)(fn)


def _renamed(fn, suffix):
    # numba's on-disk cache is keyed by the function's qualified name, not by its options: a
    # parallel and a serial build of one Python function would overwrite each other's entries.
    # Give each build its own copy of the function under its own name.
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + suffix,
                              fn.__defaults__, fn.__closure__)
    copy.__qualname__ = fn.__qualname__ + suffix
    copy.__doc__ = fn.__doc__
    copy.__module__ = fn.__module__
    return copy


def parallel(fn):
    """Parallel driver (``prange`` runs on all numba threads)."""
    return numba.njit(**PARALLEL)(_renamed(fn, "_parallel"))


def serial(fn):
    """Serial driver of the same loop (``prange`` runs as ``range``)."""
    return numba.njit(**SERIAL)(_renamed(fn, "_serial"))


def set_threads(n: int | None) -> int:
    """Limit the threads parallel kernels use; ``None`` keeps the current setting. Returns it."""
    if n is not None:
        numba.set_num_threads(int(n))
    return numba.get_num_threads()
