"""Every numba option in one place.

- ``cache=True`` so a CLI run does not pay compile time twice.
- ``error_model="numpy"``: division by zero gives inf/NaN instead of raising, as in NumPy.
- fastmath is limited to flags that keep NaN and inf semantics (no ``nnan``/``ninf``), so the
  invalid-input checks inside kernels cannot be optimised away. ``contract`` allows fused
  multiply-add, ``arcp``/``reassoc`` are left out so results stay reproducible to rounding.
"""

from __future__ import annotations

import numba

FASTMATH = {"contract"}

#: Options for scalar helpers (``*_sf``), inlined into the drivers by LLVM.
SCALAR = dict(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH)
#: Options for parallel drivers (``*_grid``).
PARALLEL = dict(SCALAR, parallel=True)
#: Options for serial drivers (used for benchmarks and small inputs).
SERIAL = dict(SCALAR)

njit = numba.njit
prange = numba.prange


def scalar(fn):
    return numba.njit(**SCALAR)(fn)


def parallel(fn):
    return numba.njit(**PARALLEL)(fn)


def serial(fn):
    return numba.njit(**SERIAL)(fn)


def set_threads(n: int | None) -> int:
    """Limit the threads parallel kernels use; ``None`` keeps the current setting. Returns it."""
    if n is not None:
        numba.set_num_threads(int(n))
    return numba.get_num_threads()
