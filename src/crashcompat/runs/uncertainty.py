"""The Monte Carlo's assumed inputs: one table of distributions, each with its source or its
reasoning. docs/uncertainty.md and every output's metadata are generated from this table
(:func:`markdown_table`, :meth:`Uncertainty.to_dict`); the kernels read it as numbers
(:meth:`Uncertainty.table`, :mod:`crashcompat.kernels.sampling`).

Every variable perturbs a nominal input of the deterministic model: an **offset** is added to it,
a **scale** multiplies it, an **added** mass is put on top of the catalog's, a **jitter** moves a
grid axis value. Each has a zero-width form (offset 0, scale 1, nothing added, no jitter), and
with every variable at its zero width the Monte Carlo reproduces the deterministic grid bit for
bit. ``run_grid(..., uncertainty={"friction_scale": {"low": 1.0, "high": 1.0}})`` narrows one
variable; ``uncertainty="none"`` sets them all to zero width.

Sampling design (docs/uncertainty.md): draws come from a counter-based generator keyed by
(seed, crash, sample, variable) (:mod:`crashcompat.kernels.sampling`). What is not known about
the model (restitution, friction, stiffness, inertia, seat and crush-space rules) is drawn once
per sample for the whole run (scope ``run``): each sample is one consistent world, so the band of
a sum over many crashes is not averaged away. What varies between crashes (occupant load,
angle, offset, impact position) is drawn per crash (scope ``crash``). The vehicle in the
subject's place (a kei car or a reference car) gets the same draws in the same crash and sample
(common random numbers), the partner its own. The angle, offset and impact-position jitter move
the impact geometry, which is built in Python (:mod:`crashcompat.physics.geometry`, its only
owner): the run builds ``GEOMETRY_VARIANTS`` jittered copies of its geometry table, a stratified
(Latin-hypercube) set of the three jitter distributions, and each sample picks one copy.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from crashcompat.errors import CrashCompatError
from crashcompat.kernels import sampling as ks

__all__ = ["Assumption", "ASSUMPTIONS", "JITTER", "GEOMETRY_VARIANTS", "Uncertainty",
           "resolve_uncertainty", "markdown_table", "UncertaintyError"]

#: Jittered copies of the geometry table a Monte Carlo run builds (one is drawn per sample).
GEOMETRY_VARIANTS = 8


class UncertaintyError(CrashCompatError, ValueError):
    """An uncertainty override that cannot be used; the message names the variable and key."""


@dataclass(frozen=True)
class Assumption:
    """One assumed input and its distribution.

    ``kind``: ``uniform`` (``low``, ``high``), ``power`` (``(U(low, high))**power``) or
    ``discrete`` (``values`` with ``probabilities``). ``applies``: ``offset``, ``scale``,
    ``added`` or ``jitter`` (see the module docstring); ``nominal`` says what it perturbs and its
    deterministic value. ``source`` is the published source, or the reasoning of an assumption
    (``assumption`` true)."""

    name: str
    input: str
    applies: str
    unit: str
    kind: str
    params: dict
    nominal: str
    source: str
    assumption: bool
    side: str = "subject"  # subject (shared by subject and reference), partner, crash
    #: ``run``: one draw per sample for the whole run (what is not known about the model, the
    #: same in every crash of the sample); ``crash``: one draw per crash and sample (what varies
    #: from one crash to the next)
    scope: str = "run"

    def zero_width(self) -> "Assumption":
        z = {"offset": 0.0, "added": 0.0, "jitter": 0.0, "scale": 1.0}[self.applies]
        if self.kind == "discrete":
            return dataclasses.replace(self, params={"values": [z], "probabilities": [1.0]})
        if self.kind == "power":
            return dataclasses.replace(self, params={"low": 1.0, "high": 1.0,
                                                     "power": self.params["power"]})
        return dataclasses.replace(self, params={"low": z, "high": z})

    @property
    def is_zero_width(self) -> bool:
        p = self.params
        if self.kind == "discrete":
            return len(p["values"]) == 1
        return p["low"] == p["high"]

    def describe(self) -> str:
        """The distribution in words: ``uniform 0.8-1.2``."""
        p = self.params
        u = f" {self.unit}" if self.unit else ""
        if self.kind == "uniform":
            return f"uniform {_g(p['low'])} to {_g(p['high'])}{u}"
        if self.kind == "power":
            return f"(uniform {_g(p['low'])} to {_g(p['high'])})^{_g(p['power'])}{u}"
        vals = ", ".join(f"{_g(v)}{u} ({_g(q)})" for v, q in zip(p["values"],
                                                                  p["probabilities"]))
        return f"discrete: {vals}"

    def quantile(self, q: float) -> float:
        """The inverse CDF at ``q`` (Python; the kernels use :func:`~crashcompat.kernels.
        sampling.draw_sf` on :meth:`Uncertainty.table`'s rows, the same formula)."""
        p = self.params
        if self.kind == "uniform":
            return p["low"] + q * (p["high"] - p["low"])
        if self.kind == "power":
            return (p["low"] + q * (p["high"] - p["low"])) ** p["power"]
        cum = np.cumsum(p["probabilities"])
        for v, c in zip(p["values"], cum):
            if q < c:
                return v
        return p["values"][-1]

    def row(self) -> np.ndarray:
        r = np.zeros(ks.D_COLS)
        r[ks.D_SCOPE] = ks.SCOPE_CRASH if self.scope == "crash" else ks.SCOPE_RUN
        p = self.params
        if self.kind == "uniform":
            r[ks.D_KIND], r[ks.D_A], r[ks.D_B] = ks.KIND_UNIFORM, p["low"], p["high"]
        elif self.kind == "power":
            r[ks.D_KIND], r[ks.D_A], r[ks.D_B], r[ks.D_C] = (ks.KIND_POWER, p["low"], p["high"],
                                                            p["power"])
        else:
            r[ks.D_KIND] = ks.KIND_DISCRETE
            vals, probs = list(p["values"]), list(p["probabilities"])
            cum = np.cumsum(probs)
            cum[-1] = 1.0
            for j in range(ks.D_NMAX):
                jj = min(j, len(vals) - 1)
                r[ks.D_V0 + j] = vals[jj]
                r[ks.D_P0 + j] = cum[jj] if j < len(vals) else 1.0
        return r


def _g(x) -> str:
    return f"{x:g}"


_HOWARD = ("Howard, R. P. et al. (1993), SAE 931842: e of 0.2-0.4 in low-speed (2-5 mph "
           "delta-v) vehicle impacts")
_NCAP = ("full-frontal rigid-barrier tests of modern cars show e of about 0.1-0.2 at 56 km/h "
         "(Monson & Germane, SAE 1999-01-0097); the nominal 0.15 is fitted to one measured "
         "point, NHTSA test 10146 (2018 Toyota Camry, 57.09 km/h, e = 0.157 from its "
         "accelerometer trace; docs/validation.md), which fixes no spread between vehicles. At "
         "a normal closing speed of 15.6 m/s the model's e is within 0.01 of e_hi")

#: The Monte Carlo variables, in the kernels' order (``crashcompat.kernels.sampling.V_*``).
ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("restitution_e_lo", "restitution model, low-speed value e_lo", "offset", "",
               "uniform", {"low": -0.10, "high": 0.10}, "e_lo = 0.3 (docs/model.md)",
               _HOWARD + "; the offset spans that range around the nominal 0.3", False,
               "crash"),
    Assumption("restitution_e_hi", "restitution model, high-speed value e_hi", "offset", "",
               "uniform", {"low": -0.05, "high": 0.05}, "e_hi = 0.15 (docs/model.md)",
               _NCAP + "; the offset spans the published 0.10-0.20 around the nominal 0.15",
               False, "crash"),
    Assumption("friction_scale", "inter-vehicle friction", "scale", "", "uniform",
               {"low": 0.8, "high": 1.2}, "the friction axis (default 0.5)",
               "0.4-0.6 is the usual range in reconstruction practice (Brach & Brach, Vehicle "
               "Accident Analysis and Reconstruction Methods; PC-Crash practice): 0.8-1.2 times "
               "the default 0.5", False, "crash"),
    Assumption("subject_stiffness_scale", "subject's engaged stiffness (energy split, crush)",
               "scale", "", "power", {"low": 0.8, "high": 1.2, "power": -2.0},
               "catalog stiffness k = m (V/C)^2 from a 56 km/h class dynamic crush C",
               "assumption: k scales as C^-2, and the class crush depths the catalog uses "
               "(kei 0.40 m, cars, SUVs and vans 0.75 m, pickups 0.69 m, calibrated on one "
               "Camry test; docs/catalog.md) are taken as right to +-20 %, so k is 0.69-1.56 "
               "times the catalog's", True),
    Assumption("partner_stiffness_scale", "partner's engaged stiffness", "scale", "", "power",
               {"low": 0.8, "high": 1.2, "power": -2.0}, "as for the subject",
               "as for the subject, drawn independently", True, "partner"),
    Assumption("subject_yaw_inertia_scale", "subject's yaw inertia", "scale", "", "uniform",
               {"low": 0.8, "high": 1.2}, "catalog I_z = DI m a b with dynamic index DI = 1",
               "the dynamic index of passenger cars is 0.8-1.2 in NHTSA's measured inertial "
               "parameters (Garrott et al., SAE 881767; Heydinger et al., SAE 1999-01-1336; "
               "catalog/estimators.py, yaw_inertia_dynamic_index)", False),
    Assumption("partner_yaw_inertia_scale", "partner's yaw inertia", "scale", "", "uniform",
               {"low": 0.8, "high": 1.2}, "as for the subject",
               "as for the subject, drawn independently", False, "partner"),
    Assumption("subject_seat_dx_m", "subject's driver seat, fore-aft", "offset", "m",
               "uniform", {"low": -0.05, "high": 0.05}, "catalog seat x (layout rule)",
               "assumption: the catalog places the seat by a wheelbase fraction per layout; "
               "seat-track position and that rule are taken as right to a few cm", True),
    Assumption("subject_seat_dy_m", "subject's driver seat, lateral", "offset", "m", "uniform",
               {"low": -0.03, "high": 0.03}, "catalog seat y (0.47 of the half width)",
               "assumption: as for fore-aft, a few cm", True),
    Assumption("partner_seat_dx_m", "partner's driver seat, fore-aft", "offset", "m",
               "uniform", {"low": -0.05, "high": 0.05}, "as for the subject",
               "as for the subject, drawn independently", True, "partner"),
    Assumption("partner_seat_dy_m", "partner's driver seat, lateral", "offset", "m", "uniform",
               {"low": -0.03, "high": 0.03}, "as for the subject",
               "as for the subject, drawn independently", True, "partner"),
    Assumption("subject_added_load_kg", "occupants besides the driver, subject", "added", "kg",
               "discrete", {"values": [0.0, 75.0, 150.0, 225.0],
                            "probabilities": [0.62, 0.25, 0.09, 0.04]},
               "the catalog's mass includes one 75 kg driver; the load axis adds to it",
               "assumption shaped to the mean: 0.55 extra 75 kg occupants, i.e. 1.55 persons per "
               "car, the average car occupancy of the 2017 National Household Travel Survey "
               "(1.54 persons per car; FHWA NHTS 2017, as reported by the Antiplanner, "
               "2018-04-24); the split over 1-3 passengers is an assumption", True,
               scope="crash"),
    Assumption("partner_added_load_kg", "occupants besides the driver, partner", "added", "kg",
               "discrete", {"values": [0.0, 75.0, 150.0, 225.0],
                            "probabilities": [0.55, 0.28, 0.12, 0.05]}, "as for the subject",
               "assumption shaped to the mean: 0.67 extra occupants, i.e. 1.67 persons per "
               "light vehicle, NHTS 2017's average light-vehicle occupancy (FHWA, as reported "
               "by Green Car Congress, 2018-07-31)", True, "partner", scope="crash"),
    Assumption("subject_crush_space_scale", "subject's crush space (crush-exhausted indicator "
               "only)", "scale", "", "uniform", {"low": 0.8, "high": 1.2},
               "catalog crush space (0.75 of front overhang + firewall depth, door-to-occupant "
               "gap, share of rear overhang; docs/catalog.md)",
               "assumption: the catalog's crush depths are layout rules, taken as right to "
               "+-20 %", True),
)

#: Jitter of the grid's geometry axes, applied through the geometry variants.
JITTER: tuple[Assumption, ...] = (
    Assumption("angle_jitter_deg", "impact angle", "jitter", "deg", "uniform",
               {"low": -5.0, "high": 5.0}, "the angle_deg axis value",
               "assumption: a grid angle stands for crashes within +-5 degrees of it", True,
               "crash", scope="crash"),
    Assumption("overlap_jitter", "overlap fraction (frontal, rear)", "jitter", "", "uniform",
               {"low": -0.10, "high": 0.10}, "the overlap axis value, kept in [0.05, 1]",
               "assumption: a grid overlap stands for offsets within +-10 % of the width; "
               "at full overlap the upper half of the jitter is clipped to 1", True, "crash",
               scope="crash"),
    Assumption("impact_position_jitter_m", "side-impact position along the struck side",
               "jitter", "m", "uniform", {"low": -0.15, "high": 0.15},
               "the impact_position axis value (default: the driver's seat)",
               "assumption: a side impact aimed at the seat lands within +-0.15 m of it, kept "
               "on the struck side", True, "crash", scope="crash"),
)

_BY_NAME = {a.name: a for a in ASSUMPTIONS + JITTER}
assert len(ASSUMPTIONS) == ks.N_VARS


@dataclass(frozen=True)
class Uncertainty:
    """The resolved distributions of one run (the table above with the run's overrides)."""

    variables: tuple[Assumption, ...]
    jitter: tuple[Assumption, ...]

    def table(self) -> np.ndarray:
        """(N_VARS, D_COLS) distribution rows for the kernels."""
        return np.ascontiguousarray(np.array([a.row() for a in self.variables]))

    @property
    def geometry_jitter(self) -> bool:
        return not all(a.is_zero_width for a in self.jitter)

    def geometry_offsets(self, n: int = GEOMETRY_VARIANTS) -> list[tuple[float, float, float]]:
        """(angle, overlap, position) offsets of the ``n`` geometry variants: a Latin
        hypercube, the centres of ``n`` equal-probability strata of each jitter, paired by
        fixed permutations (k, 3k + 1, 5k + 2 mod n). One variant of zeros without jitter."""
        if not self.geometry_jitter:
            return [(0.0, 0.0, 0.0)]
        a, o, p = self.jitter
        perms = ([k for k in range(n)], [(3 * k + 1) % n for k in range(n)],
                 [(5 * k + 2) % n for k in range(n)])
        return [(a.quantile((perms[0][k] + 0.5) / n), o.quantile((perms[1][k] + 0.5) / n),
                 p.quantile((perms[2][k] + 0.5) / n)) for k in range(n)]

    @property
    def is_zero_width(self) -> bool:
        return all(a.is_zero_width for a in self.variables + self.jitter)

    def to_dict(self) -> dict:
        return {a.name: {"input": a.input, "applies": a.applies, "unit": a.unit,
                         "distribution": a.describe(), "kind": a.kind, "params": a.params,
                         "nominal": a.nominal, "source": a.source,
                         "assumption": a.assumption, "shared_by": _shared(a),
                         "drawn": _scope(a)}
                for a in self.variables + self.jitter}


def _scope(a: Assumption) -> str:
    return ("once per sample, the same in every crash" if a.scope == "run"
            else "per crash and sample")


def _shared(a: Assumption) -> str:
    return {"subject": "the subject and its reference cars (common random numbers)",
            "partner": "the partner only",
            "crash": "every vehicle in the crash"}[a.side]


def resolve_uncertainty(overrides=None) -> Uncertainty:
    """The table with ``overrides``: None (the table as it is), ``"none"`` (every variable at
    zero width), or a dict ``{name: {low, high[, power]} | {values, probabilities}}`` (a
    variable keeps its kind; ``{"width": 0}`` sets it to zero width)."""
    variables = list(ASSUMPTIONS)
    jitter = list(JITTER)
    if overrides is None:
        pass
    elif isinstance(overrides, str):
        if overrides != "none":
            raise UncertaintyError(f"uncertainty: expected 'none' or a table of variables, "
                                   f"got {overrides!r}")
        variables = [a.zero_width() for a in variables]
        jitter = [a.zero_width() for a in jitter]
    elif isinstance(overrides, dict):
        for name, value in overrides.items():
            if name not in _BY_NAME:
                import difflib

                close = difflib.get_close_matches(str(name), list(_BY_NAME), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise UncertaintyError(f"uncertainty: unknown variable {name!r}{hint}; the "
                                       f"variables are in docs/uncertainty.md")
            new = _override(_BY_NAME[name], value)
            for lst in (variables, jitter):
                for i, a in enumerate(lst):
                    if a.name == name:
                        lst[i] = new
    else:
        raise UncertaintyError(f"uncertainty: expected None, 'none' or a table of variables, "
                               f"got {overrides!r}")
    return Uncertainty(tuple(variables), tuple(jitter))


def _override(a: Assumption, value) -> Assumption:
    where = f"uncertainty: {a.name}"
    if not isinstance(value, dict):
        raise UncertaintyError(f"{where}: expected a table of parameters, got {value!r}")
    if value.get("width") == 0 and len(value) == 1:
        return a.zero_width()
    if a.kind == "discrete":
        need = {"values", "probabilities"}
        if set(value) != need:
            raise UncertaintyError(f"{where}: give values and probabilities (a discrete "
                                   f"distribution), got the keys {sorted(value)}")
        vals, probs = value["values"], value["probabilities"]
        if not (isinstance(vals, (list, tuple)) and isinstance(probs, (list, tuple))
                and 1 <= len(vals) == len(probs) <= ks.D_NMAX):
            raise UncertaintyError(f"{where}: values and probabilities must be lists of the "
                                   f"same length, 1 to {ks.D_NMAX} entries")
        vals = [_num(v, f"{where}: values") for v in vals]
        probs = [_num(p, f"{where}: probabilities") for p in probs]
        if any(p < 0 for p in probs) or abs(sum(probs) - 1.0) > 1e-9:
            raise UncertaintyError(f"{where}: probabilities must be >= 0 and sum to 1, got "
                                   f"{probs}")
        return dataclasses.replace(a, params={"values": vals, "probabilities": probs})
    need = {"low", "high"} | ({"power"} if a.kind == "power" else set())
    if not set(value) <= need or not {"low", "high"} <= set(value):
        raise UncertaintyError(f"{where}: give {', '.join(sorted(need))} (a {a.kind} "
                               f"distribution), got the keys {sorted(value)}")
    p = {k: _num(v, f"{where}: {k}") for k, v in value.items()}
    if p["low"] > p["high"]:
        raise UncertaintyError(f"{where}: low ({p['low']:g}) must not exceed high "
                               f"({p['high']:g})")
    if a.kind == "power":
        p.setdefault("power", a.params["power"])
        if p["low"] <= 0:
            raise UncertaintyError(f"{where}: low must be > 0 for a power of a uniform")
    return dataclasses.replace(a, params=p)


def _num(v, where) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise UncertaintyError(f"{where}: expected a finite number, got {v!r}")
    return float(v)


def markdown_table(unc: Uncertainty | None = None) -> str:
    """The table of docs/uncertainty.md (generated, so the page cannot drift from the code)."""
    unc = unc or resolve_uncertainty()
    lines = ["| variable | input | how | distribution | nominal | drawn | shared by | source or "
             "reasoning |", "|---|---|---|---|---|---|---|---|"]
    for a in unc.variables + unc.jitter:
        tag = "**assumption**: " if a.assumption else ""
        src = a.source[len("assumption: "):] if a.source.startswith("assumption: ") else a.source
        lines.append(f"| `{a.name}` | {a.input} | {a.applies} | {a.describe()} | {a.nominal} | "
                     f"{_scope(a)} | {_shared(a)} | {tag}{src} |")
    return "\n".join(lines)
