"""Exception tree, and the public view of the status-code table.

Kernels never raise inside their parallel loops; they write an ``int8`` status per case. The codes
and their sentences are defined once, in :mod:`crashcompat.kernels.status`; everything here is
derived from that table.
"""

from __future__ import annotations

import importlib

import numpy as np

from crashcompat.kernels import status as _status

__all__ = [
    "CrashCompatError",
    "GeometryError",
    "MissingExtraError",
    "require_extra",
    "Status",
    "STATUS_NAMES",
    "STATUS_SENTENCES",
    "has_result",
    "status_sentence",
    "status_counts",
]


class CrashCompatError(Exception):
    """Base of every expected error crashcompat raises; the CLI prints it as one sentence."""


class GeometryError(CrashCompatError, ValueError):
    """The requested impact geometry cannot happen (for example, zero overlap)."""


class MissingExtraError(CrashCompatError, ImportError):
    """An optional dependency is not installed. The message names the ``pip install`` command
    (``pip install 'crashcompat[parquet]'``); it is an ``ImportError`` too, so code that guards an
    optional import with ``except ImportError`` keeps working."""


def require_extra(module: str, what: str, extra: str):
    """Import ``module`` for ``what`` (``"writing Parquet"``) or raise :class:`MissingExtraError`
    naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtraError(f"{what} needs {top}: pip install 'crashcompat[{extra}]'",
                                name=top) from None


class Status:
    """Per-case status codes (``int8``), one attribute per entry of the status table
    (:data:`crashcompat.kernels.status.TABLE`). Codes whose ``has_result`` is false carry NaN
    outputs."""

    TABLE = _status.TABLE


for _s in _status.TABLE:
    setattr(Status, _s.constant, _s.code)

#: code -> output label, and code -> sentence (derived from the table)
STATUS_NAMES = _status.names()
STATUS_SENTENCES = _status.sentences()
has_result = _status.has_result


def status_sentence(code: int) -> str:
    """The sentence for one status code."""
    try:
        return STATUS_SENTENCES[int(code)]
    except KeyError:
        raise ValueError(f"unknown status code {code}") from None


def status_counts(status) -> dict[str, int]:
    """Count cases by status label (every label present, zero counts included)."""
    status = np.asarray(status)
    counts = np.bincount(status.ravel().astype(np.int64), minlength=_status.N_CODES)
    return {STATUS_NAMES[k]: int(counts[k]) for k in sorted(STATUS_NAMES)}
