"""Validation against published crash tests, the test-object protocols, and the restitution fit.

- :func:`run_validation` predicts every test of the bundled set (``cases.toml``: published tests
  with measured results, each with its source) and returns a :class:`ValidationResult` with the
  per-vehicle rows (``.cases``), the bias and spread by crash type (``.summary``), the pulse
  comparison and the restitution fit; ``crashcompat validate`` is its command line.
- :func:`restitution_fit` is the fit of the speed-dependent restitution model to the set's
  calibration points (``.model`` is a
  :class:`~crashcompat.physics.restitution.SpeedDependentRestitution` that can be adopted as the
  default).
- :data:`PROTOCOLS` and :func:`run_protocol` reproduce NCAP, IIHS and FMVSS test configurations
  with the catalog's test objects (``barrier/*``).

docs/validation.md documents the data, the method, the tolerances and the results.
"""

from __future__ import annotations

from .calibration import RestitutionFit, RestitutionPoint, fit_restitution
from .protocols import PROTOCOLS, Protocol, run_protocol
from .runner import (CASES_FILE, TARGET_TESTS, ValidationResult, check_tolerances, load_cases,
                     run_validation)

__all__ = ["run_validation", "ValidationResult", "check_tolerances", "load_cases", "CASES_FILE",
           "TARGET_TESTS", "restitution_fit", "fit_restitution", "RestitutionFit",
           "RestitutionPoint", "PROTOCOLS", "Protocol", "run_protocol"]


def restitution_fit(path=None) -> RestitutionFit:
    """The restitution model fitted to the calibration points of the validation set
    (``cases.toml`` unless ``path``); see :mod:`crashcompat.validation.calibration`."""
    data = load_cases(path)
    split_of = {c["id"]: c["split"] for c in data["case"]}
    return fit_restitution(
        RestitutionPoint(p["case"], p["closing_speed_kph"], p["restitution"], p["uncertainty"],
                         p["kind"], p["method"], split_of.get(p["case"], "held-out"))
        for p in data.get("restitution_point", []))
