"""Every ``int8`` status code crashcompat writes, in one table.

Kernels write these codes instead of raising inside their parallel loops (a NaN output always has
a code that says why). This module is the only place a code is defined: the kernels use the named
constants below, and the public :class:`crashcompat.Status`, the per-status counts of a grid, the
output metadata and the documentation are all derived from :data:`TABLE`, so adding a code is one
edit here. It imports no numba, so the API can read it without compiling anything.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["StatusCode", "TABLE", "N_CODES", "RESULT_MASK", "has_result", "by_name",
           "names", "sentences"]


class StatusCode(NamedTuple):
    code: int
    #: constant name (``OK_STICKING``) and the label used in outputs (``ok-sticking``)
    constant: str
    label: str
    #: True when the case has numeric results (outputs are NaN otherwise)
    has_result: bool
    sentence: str


TABLE = (
    StatusCode(0, "OK_STICKING", "ok-sticking", True,
               "The contact sticks: the contact points reach a common velocity."),
    StatusCode(1, "OK_SLIDING", "ok-sliding", True,
               "The contact slides: the tangential impulse is capped by friction (Coulomb), "
               "opposing the initial slip."),
    StatusCode(2, "FALLBACK_FRICTIONLESS", "fallback-frictionless", True,
               "Friction with this restitution would create energy or the sliding solution is "
               "singular; the frictionless impulse was used instead (docs/model.md, planar "
               "impact, step 7)."),
    StatusCode(3, "NO_CONTACT", "no-contact", False,
               "The vehicles are separating at the contact point, so there is no impact."),
    StatusCode(4, "INVALID_INPUT", "invalid-input", False,
               "Invalid input: a value is NaN or infinite, a mass, inertia, stiffness or width "
               "is not positive, the restitution is outside [0, 1] or the friction is negative."),
    StatusCode(5, "PULSE_NOT_SEPARATED", "pulse-not-separated", False,
               "The crash pulse had not ended within its step budget (max_steps steps of dt); "
               "raise max_steps or dt."),
    StatusCode(6, "OK_SLIP_REVERSAL", "ok-slip-reversal", True,
               "The slip stops during contact (strong rotational coupling: sticking would need "
               "friction along the slip); the impulse is integrated in two phases, sliding and "
               "then sticking or reverse sliding (Routh's method, docs/model.md)."),
    StatusCode(7, "SPEED_UNREACHABLE", "speed-unreachable", False,
               "The vehicle cannot reach or hold the requested speed on this grade: it is at or "
               "above the speed it can sustain there, above its speed limiter, or it cannot "
               "climb the grade at all."),
)

OK_STICKING = 0
OK_SLIDING = 1
FALLBACK_FRICTIONLESS = 2
NO_CONTACT = 3
INVALID_INPUT = 4
PULSE_NOT_SEPARATED = 5
OK_SLIP_REVERSAL = 6
SPEED_UNREACHABLE = 7

N_CODES = len(TABLE)
#: ``RESULT_MASK[code]`` is 1 where a case with that code has numeric results. Kernels read it
#: as a compile-time constant (numba freezes global arrays).
RESULT_MASK = np.array([1 if s.has_result else 0 for s in TABLE], dtype=np.int8)


def _check_table():
    for k, s in enumerate(TABLE):
        if s.code != k:
            raise AssertionError(f"status table: entry {k} has code {s.code}")
        if globals().get(s.constant) != s.code:
            raise AssertionError(f"status table: constant {s.constant} is not {s.code}")


_check_table()


def has_result(status):
    """True where a status code means the case has numeric results (array or scalar)."""
    return RESULT_MASK[np.asarray(status, dtype=np.int64)].astype(bool)


def by_name(label: str) -> StatusCode:
    for s in TABLE:
        if s.label == label or s.constant == label:
            return s
    raise KeyError(label)


def names() -> dict[int, str]:
    """code -> output label, for every code."""
    return {s.code: s.label for s in TABLE}


def sentences() -> dict[int, str]:
    """code -> sentence, for every code."""
    return {s.code: s.sentence for s in TABLE}
