"""crashcompat: crash-compatibility estimates for kei cars against US trucks and SUVs.

Public API (SI units throughout; see the README and docs/model.md):

- :func:`collinear_impact`, :func:`planar_impact`: array kernels' front ends.
- :class:`Vehicle`, :func:`collide`: scenario layer from vehicle geometry.
- :func:`load_catalog`: the bundled, cited vehicle catalog merged with user folders.

numba is imported only when a kernel is first used, so ``import crashcompat`` stays light.
Messages go through the ``crashcompat`` logger (silent unless the application configures
logging; the CLI sends them to stderr).
"""

from __future__ import annotations

import importlib
import logging

from crashcompat._version import __version__
from crashcompat.errors import CrashCompatError, GeometryError, Status
from crashcompat.catalog.vehicle import Vehicle

_LAZY = {
    "collinear_impact": "crashcompat.physics.impact",
    "planar_impact": "crashcompat.physics.impact",
    "CollinearResult": "crashcompat.physics.impact",
    "PlanarResult": "crashcompat.physics.impact",
    "collide": "crashcompat.physics.collide",
    "CollisionResult": "crashcompat.physics.collide",
    "CONFIGURATIONS": "crashcompat.physics.collide",
    "run_grid": "crashcompat.runs.grid",
    "run_highway": "crashcompat.runs.highway",
    "GridSpec": "crashcompat.runs.grid",
    "load_catalog": "crashcompat.catalog.loading",
    "olc": "crashcompat.severity.occupant",
    "oiv_ora": "crashcompat.severity.occupant",
    "cfc_filter": "crashcompat.severity.occupant",
    "crash_pulse": "crashcompat.severity.pulse",
    "CURVES": "crashcompat.severity.risk",
    "Catalog": "crashcompat.catalog.loading",
    "set_threads": "crashcompat.kernels._jit",
    "top_speed_kph": "crashcompat.physics.performance",
    "accel_time_s": "crashcompat.physics.performance",
    "sustained_speed_kph": "crashcompat.physics.performance",
    "highway_speeds": "crashcompat.physics.performance",
    "PerformanceParams": "crashcompat.physics.performance",
    "run_validation": "crashcompat.validation",
    "load_exposure": "crashcompat.runs.exposure",
    "Headline": "crashcompat.runs.headline",
}

logging.getLogger(__name__).addHandler(logging.NullHandler())

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
