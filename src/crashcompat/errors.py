"""Exception tree and the status-code table shared by every kernel.

Kernels never raise inside their parallel loops; they write an ``int8`` status per case. The codes
and the sentence for each live here so that the API, the CLI and the output files agree.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CrashCompatError",
    "GeometryError",
    "Status",
    "STATUS_SENTENCES",
    "status_sentence",
    "status_counts",
]


class CrashCompatError(Exception):
    """Base of every expected error crashcompat raises; the CLI prints it as one sentence."""


class GeometryError(CrashCompatError, ValueError):
    """The requested impact geometry cannot happen (for example, zero overlap)."""


class Status:
    """Per-case status codes (``int8``) written by the impact kernels.

    Codes below ``NO_CONTACT`` are results; ``NO_CONTACT`` and above carry NaN outputs.
    """

    OK_STICKING = 0  #: contact point velocities equalise tangentially (common velocity)
    OK_SLIDING = 1  #: tangential impulse capped by friction
    FALLBACK_FRICTIONLESS = 2  #: sticking/sliding would gain energy or be singular; Pt = 0 used
    NO_CONTACT = 3  #: the vehicles are separating at the contact point: no impact
    INVALID_INPUT = 4  #: NaN/inf, mass or inertia <= 0, restitution outside [0, 1], friction < 0


STATUS_NAMES = {
    Status.OK_STICKING: "ok-sticking",
    Status.OK_SLIDING: "ok-sliding",
    Status.FALLBACK_FRICTIONLESS: "fallback-frictionless",
    Status.NO_CONTACT: "no-contact",
    Status.INVALID_INPUT: "invalid-input",
}

STATUS_SENTENCES = {
    Status.OK_STICKING: "The contact sticks: the contact points reach a common velocity.",
    Status.OK_SLIDING: "The contact slides: the tangential impulse is capped by friction.",
    Status.FALLBACK_FRICTIONLESS: (
        "Friction with this restitution would create energy or the sliding solution is singular; "
        "the frictionless impulse was used instead (PHYSICS.md 2.7)."
    ),
    Status.NO_CONTACT: "The vehicles are separating at the contact point, so there is no impact.",
    Status.INVALID_INPUT: (
        "Invalid input: a value is NaN or infinite, a mass or inertia is not positive, the "
        "restitution is outside [0, 1] or the friction is negative."
    ),
}


def status_sentence(code: int) -> str:
    """The sentence for one status code."""
    try:
        return STATUS_SENTENCES[int(code)]
    except KeyError:
        raise ValueError(f"unknown status code {code}") from None


def status_counts(status) -> dict[str, int]:
    """Count cases by status name (every name present, zero counts included)."""
    status = np.asarray(status)
    counts = np.bincount(status.ravel().astype(np.int64), minlength=len(STATUS_NAMES))
    return {STATUS_NAMES[k]: int(counts[k]) for k in sorted(STATUS_NAMES)}
