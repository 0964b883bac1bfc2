"""crashcompat: crash-compatibility estimates for kei cars against US trucks and SUVs.

Public API (SI units throughout; see README and PHYSICS.md):

- :func:`collinear_impact`, :func:`planar_impact`: array kernels' front ends.
- :class:`Vehicle`, :func:`collide`: scenario layer from vehicle geometry.
- :func:`load_catalog`: the bundled, cited vehicle catalog merged with user folders.

numba is imported only when a kernel is first used, so ``import crashcompat`` stays light.
"""

from __future__ import annotations

import importlib

from crashcompat._version import __version__
from crashcompat.errors import CrashCompatError, GeometryError, Status
from crashcompat.vehicle import Vehicle

_LAZY = {
    "collinear_impact": "crashcompat.impact",
    "planar_impact": "crashcompat.impact",
    "CollinearResult": "crashcompat.impact",
    "PlanarResult": "crashcompat.impact",
    "collide": "crashcompat.scenario",
    "CollisionResult": "crashcompat.scenario",
    "CONFIGURATIONS": "crashcompat.scenario",
    "run_grid": "crashcompat.grid",
    "GridSpec": "crashcompat.grid",
    "load_catalog": "crashcompat.catalog",
    "olc": "crashcompat.occupant",
    "oiv_ora": "crashcompat.occupant",
    "cfc_filter": "crashcompat.occupant",
    "crash_pulse": "crashcompat.severity",
    "CURVES": "crashcompat.risk",
    "Catalog": "crashcompat.catalog",
}

__all__ = ["__version__", "CrashCompatError", "GeometryError", "Status", "Vehicle", *_LAZY]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crashcompat' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
