"""Scenario layer: from two vehicles and an impact description to the planar kernel and back.

:func:`collide` builds the inputs of :func:`crashcompat.planar_impact` from the vehicles' geometry
for four configurations, runs the kernel and returns, for both vehicles, the CG and occupant
delta-v, yaw-rate change, PDOF, energy split and EES.

Geometry (global frame, z up, docs/model.md, Conventions). Each vehicle is a rectangle of its length and
width with the CG on the centre line ``cg_to_front_m`` behind the front face. The impulse acts at
one point (the centre of the engaged area) on the struck face:

``frontal``
    Front to front. The subject heads along +x, the partner along ``180 + angle_deg``. ``overlap``
    is the engaged fraction of the subject's front width, taken on ``overlap_side`` of both
    vehicles (default ``left``: the driver's side of a left-hand-drive car in US traffic, where
    offset head-on crashes put the two left fronts together). The engaged width is
    ``min(overlap * W_subject, W_partner)``. The contact plane bisects the two front faces
    (assumption), so the normal pushing the subject points along ``180 + angle_deg / 2``.
``side``
    The partner's front, centred at ``impact_position_m`` ahead of the subject's CG (default: the
    driver's seat), strikes the subject's ``struck_side`` (default ``driver``: the near side for
    the driver). The engaged area is the partner's front width clipped to the subject's length,
    and the impulse acts at its centre. ``angle_deg = 0`` is a perpendicular impact; a positive
    angle turns the partner's heading counter-clockwise. The normal is the side surface's.
``rear``
    The partner's front strikes the subject's rear; both head along +x (the partner turned by
    ``angle_deg``), the partner must be faster. Overlap as for ``frontal``.
``side-struck-by-subject``
    The subject's front, centred at ``impact_position_m`` ahead of the partner's CG (default: the
    partner's driver's seat), strikes the partner's ``struck_side``; engaged area as for ``side``.

Speeds are along each vehicle's own heading (km/h, >= 0). Restitution is a number in [0, 1] or the
speed-dependent model of docs/model.md, Restitution (``"model"``, the default), evaluated at the normal
closing speed of the contact points. Friction defaults to 0.5 (docs/model.md, Planar impact, assumption).

Partial impacts (docs/model.md, Partial impacts): ``tangential_model`` is ``auto`` (the default:
:data:`crashcompat.physics.geometry.DEFAULT_AUTO` picks ``sliding`` on a turned contact plane for
frontal overlaps below 0.4, common velocity otherwise), ``common-velocity``, ``impulse-ratio``
(with ``impulse_ratio``) or ``sliding``; ``contact_plane_deg`` turns the contact plane
(:func:`crashcompat.physics.geometry.impact_geometry`). The model used is in the result.

What this model cannot say (docs/model.md, What the model cannot say): impulse-momentum gives delta-v and energy, not
structural collapse, override or intrusion. The energy split by stiffness and the EES are
indicators, and every result carries that sentence in ``limits``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from crashcompat.catalog.vehicle import Vehicle
from crashcompat.errors import STATUS_NAMES, GeometryError, Status, has_result, status_sentence
from crashcompat.kernels.case import collide_one
from crashcompat.kernels.layout import (GEO_CHP, GEO_CHS, GEO_R1X, GEO_R1Y, GEO_R2X, GEO_R2Y,
                                        GEO_SHP, GEO_SHS, N_RECORD, R_DV1X, R_DV1Y, R_DV2X,
                                        R_DV2Y, R_DW1, R_DW2, R_E, R_LOSS, R_PN, R_PT, R_STATUS,
                                        R_V1, R_V2, R_VCN, V_DV, V_DV_LAT, V_DV_LONG, V_EES,
                                        V_ENERGY, V_OCC, V_OCC_X, V_OCC_Y, V_PASS, V_PDOF)
from crashcompat.physics.geometry import (CONFIGURATIONS, DEFAULT_AUTO, AutoTangential,
                                          drive_side_of, engaged_fraction, geometry_row,
                                          impact_geometry,
                                          resolve_tangential, with_drive_side)
from crashcompat.physics.impact import ENERGY_REL_TOL
from crashcompat.physics.restitution import DEFAULT_RESTITUTION_MODEL, SpeedDependentRestitution
from crashcompat.severity.measures import PULSE_FIGURES_NOTE
from crashcompat.severity.risk import curve_table
from crashcompat.units import KPH

__all__ = ["collide", "impact_geometry", "CollisionResult", "VehicleOutcome", "CONFIGURATIONS",
           "LIMITS", "pdof_clock"]
DEFAULT_FRICTION = 0.5  # inter-vehicle friction, docs/model.md, Planar impact (assumption; Brach, PC-Crash 0.4-0.6)

#: The model's limits, in every output (summaries, metadata, headline, report); they end with
#: which pulse figures are absolute and which are only for ranking (PULSE_FIGURES_NOTE).
LIMITS = (
    "Rigid-body impulse-momentum model (docs/model.md, Planar impact): it gives delta-v and "
    "energy, not structural collapse, override or intrusion; the energy split by stiffness and "
    "EES are indicators, and the contact is a single point with restitution and friction as "
    "stated parameters. " + PULSE_FIGURES_NOTE
)


@dataclass(frozen=True)
class VehicleOutcome:
    """What one vehicle experiences. Vehicle-frame components: x forward, y left."""

    vehicle_id: str
    mass_kg: float
    face: str
    dv_x_mps: float
    dv_y_mps: float
    dv_mps: float
    dv_kph: float
    dv_global_x_mps: float
    dv_global_y_mps: float
    occupant_dv_x_mps: float
    occupant_dv_y_mps: float
    occupant_dv_mps: float
    occupant_dv_kph: float
    passenger_dv_mps: float
    passenger_dv_kph: float
    yaw_rate_change_rad_s: float
    pdof_deg: float
    pdof_clock: int
    energy_absorbed_j: float
    energy_share: float
    engaged_stiffness_n_per_m: float
    ees_mps: float
    ees_kph: float
    #: curve name -> probability at this occupant's delta-v and PDOF (measures "risk")
    risk: dict = field(default_factory=dict)
    #: pulse and occupant measures (measures "pulse"): see crashcompat.severity.measures.PULSE_COLUMNS
    pulse: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CollisionResult:
    """Result of :func:`collide`. ``subject`` is vehicle 1 of the kernel, ``partner`` vehicle 2."""

    configuration: str
    status: int
    status_name: str
    status_sentence: str
    subject: VehicleOutcome
    partner: VehicleOutcome
    closing_speed_mps: float
    restitution: float
    friction: float
    energy_loss_j: float
    normal_impulse_ns: float
    tangential_impulse_ns: float
    kernel_inputs: dict
    measures: tuple = ("dv",)
    #: the subject's seat side used ("left" or "right") and the setting that chose it
    drive_side: str = "left"
    drive_side_setting: str = "left"
    #: curve name -> {"outcome", "source"} for every risk figure reported
    risk_curves: dict = field(default_factory=dict)
    #: the tangential model used (after ``auto``), the setting that chose it, the impulse ratio
    #: it read (impulse-ratio only) and the contact-plane turn (degrees; docs/model.md, Partial
    #: impacts)
    tangential_model: str = "common-velocity"
    tangential_setting: str = "auto"
    impulse_ratio: float | None = None
    contact_plane_deg: float = 0.0
    limits: str = LIMITS

    def to_dict(self) -> dict:
        return asdict(self)


def collide(subject: Vehicle | str, partner: Vehicle | str, configuration: str = "frontal", *,
            subject_speed_kph: float = 50.0, partner_speed_kph: float = 50.0,
            angle_deg: float = 0.0, overlap: float = 1.0, impact_position_m: float | None = None,
            restitution: float | str | SpeedDependentRestitution = "model",
            friction: float = DEFAULT_FRICTION, load_kg: float = 0.0,
            struck_side: str = "driver", overlap_side: str = "left",
            drive_side: str = "left",
            measures=("dv", "risk"), risk_curves=None,
            pulse_model: str = "crash3", compartment_factor: float | None = None,
            tangential_model: str = "auto",
            impulse_ratio: float | None = None, contact_plane_deg: float | None = None,
            partial_impact: AutoTangential = DEFAULT_AUTO) -> CollisionResult:
    """Collide ``subject`` (vehicle 1) with ``partner`` (vehicle 2) and return both outcomes.

    See the module docstring for the geometry of each ``configuration``. Speeds in km/h along each
    vehicle's heading; ``angle_deg`` in degrees; ``overlap`` a fraction in (0, 1];
    ``impact_position_m`` in metres ahead of the struck vehicle's CG. ``restitution`` is a number
    in [0, 1], ``"model"`` for the default speed-dependent curve, or a
    :class:`~crashcompat.physics.restitution.SpeedDependentRestitution`.

    ``measures`` chooses the severity families beyond delta-v (``risk``, ``pulse``; see
    :mod:`crashcompat.severity.measures`); ``risk_curves`` names the curves (default
    :data:`crashcompat.severity.measures.DEFAULT_RISK_CURVES`), ``pulse_model`` is ``crash3`` or
    ``linear``, and ``compartment_factor`` (>= 1; None: the default
    :data:`crashcompat.severity.pulse.DEFAULT_COMPARTMENT_FACTOR`) is the stiffness of the occupant
    compartment past the crush space over the crush zone's (docs/model.md, Energy split and crush).

    ``subject`` and ``partner`` are :class:`~crashcompat.Vehicle` objects or ids of the bundled
    catalog (``"kei/honda-n-box"``). ``drive_side`` sets the subject's seat side: ``left`` (the
    default: a US-market build, so that a kei car and its reference car are compared with the
    driver on the same side), ``right`` (a 25-year-rule import) or ``as-catalog``; the
    partner keeps its catalog seats (:func:`crashcompat.physics.geometry.with_drive_side`).
    ``load_kg`` is mass added to the subject at its CG
    (occupants, cargo) at a constant radius of gyration, as the grid's ``load_kg`` axis.

    ``tangential_model`` (``auto``, ``common-velocity``, ``impulse-ratio``, ``sliding``),
    ``impulse_ratio`` (>= 0, read by ``impulse-ratio``; default 0.5) and ``contact_plane_deg``
    (degrees inside +-90; default: ``auto``'s turn for a partial impact, else 0) choose the
    tangential model (docs/model.md, Partial impacts); ``partial_impact`` is the ``auto`` rule
    (:class:`~crashcompat.physics.geometry.AutoTangential`).

    Raises :class:`~crashcompat.errors.GeometryError` (a ``ValueError``) with a sentence when the
    vehicles cannot touch: zero overlap, an impact position off the struck side, or speeds that do
    not close (a partner slower than the subject in a rear impact). Invalid numbers (negative
    speed, restitution outside [0, 1], negative friction) raise ``ValueError``.
    """
    subject = with_drive_side(_as_vehicle(subject, "subject"), drive_side)
    partner = _as_vehicle(partner, "partner")
    for name, val in (("subject_speed_kph", subject_speed_kph),
                      ("partner_speed_kph", partner_speed_kph), ("angle_deg", angle_deg),
                      ("friction", friction), ("load_kg", load_kg)):
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
            raise ValueError(f"{name} must be a finite number, got {val!r}")
    if subject_speed_kph < 0 or partner_speed_kph < 0:
        raise ValueError("speeds must be >= 0 km/h; reverse the configuration instead")
    if friction < 0:
        raise ValueError(f"friction must be >= 0, got {friction}")
    if load_kg < 0:
        raise ValueError(f"load_kg must be >= 0 kg (mass added to the subject), got {load_kg}")
    if not -90.0 < angle_deg < 90.0:
        raise GeometryError(f"angle_deg must lie strictly between -90 and 90, got {angle_deg}")
    fams = _parse_measures(measures)
    e, rmod = _restitution_inputs(restitution)
    if not isinstance(partial_impact, AutoTangential):
        raise ValueError(f"partial_impact must be a crashcompat.physics.geometry.AutoTangential, "
                         f"got {type(partial_impact).__name__}")
    tang = resolve_tangential(configuration, engaged_fraction(subject, partner, overlap),
                              tangential_model, impulse_ratio, contact_plane_deg, partial_impact)

    hs, hp, s_local, p_local, normal, faces, (k1, k2), engaged_w = impact_geometry(
        subject, partner, configuration, float(angle_deg), overlap, impact_position_m,
        struck_side, overlap_side, tang.contact_plane_deg)
    geo = np.array([geometry_row(subject, partner, hs, hp, s_local, p_local, normal, k1, k2,
                                 tang.code, tang.impulse_ratio)])
    curves = _curves(risk_curves) if "risk" in fams else ()
    table = curve_table(curves)
    out = np.empty(N_RECORD)
    risk = np.empty((len(curves), 2))
    vs, vp = subject_speed_kph * KPH, partner_speed_kph * KPH
    collide_one(geo, subject.mass_kg, subject.yaw_inertia_kgm2, float(load_kg), partner.mass_kg,
                partner.yaw_inertia_kgm2, vs, vp, e, float(friction), rmod, ENERGY_REL_TOL,
                table, out, risk)
    status = int(out[R_STATUS])
    if status == Status.NO_CONTACT:
        raise GeometryError(
            f"in this {configuration} configuration the vehicles are not closing "
            f"(normal closing speed {out[R_VCN] / KPH:.3g} km/h): check the speeds and angle")
    if not has_result(status):  # every input was checked above; never return NaN silently
        raise GeometryError(status_sentence(status))
    m1 = subject.mass_kg + float(load_kg)
    subj = _outcome(subject, m1, faces[0], out, R_V1, out[R_DV1X], out[R_DV1Y], out[R_DW1],
                    k1, k2 / (k1 + k2))
    part = _outcome(partner, partner.mass_kg, faces[1], out, R_V2, out[R_DV2X], out[R_DV2Y],
                    out[R_DW2], k2, k1 / (k1 + k2))
    curves_info = {}
    for kc, c in enumerate(curves):
        subj.risk[c.name] = float(risk[kc, 0])
        part.risk[c.name] = float(risk[kc, 1])
        curves_info[c.name] = {"outcome": c.outcome, "source": c.source}
    e_used = float(out[R_E])
    if "pulse" in fams:
        _add_pulse(subject, partner, subj, part, configuration, geo[0], faces, (k1, k2),
                   engaged_w, m1, float(load_kg), e_used, pulse_model, compartment_factor)
    r1x, r1y, r2x, r2y = geo[0, GEO_R1X], geo[0, GEO_R1Y], geo[0, GEO_R2X], geo[0, GEO_R2Y]
    inputs = dict(
        m1=m1, izz1=subject.yaw_inertia_kgm2 * (m1 / subject.mass_kg), v1x=vs * geo[0, GEO_CHS],
        v1y=vs * geo[0, GEO_SHS], w1=0.0, r1x=r1x, r1y=r1y, m2=partner.mass_kg,
        izz2=partner.yaw_inertia_kgm2, v2x=vp * geo[0, GEO_CHP], v2y=vp * geo[0, GEO_SHP], w2=0.0,
        r2x=r2x, r2y=r2y, normal_deg=normal, restitution=e_used, friction=float(friction),
        tangential_model=tang.model, impulse_ratio=tang.impulse_ratio,
    )
    return CollisionResult(
        configuration=configuration, status=status, status_name=STATUS_NAMES[status],
        status_sentence=status_sentence(status), subject=subj, partner=part,
        closing_speed_mps=float(out[R_VCN]), restitution=e_used, friction=float(friction),
        energy_loss_j=float(out[R_LOSS]), normal_impulse_ns=float(out[R_PN]),
        tangential_impulse_ns=float(out[R_PT]), kernel_inputs=inputs, measures=fams,
        drive_side=drive_side_of(subject), drive_side_setting=drive_side,
        risk_curves=curves_info, tangential_model=tang.model,
        tangential_setting=str(tangential_model),
        impulse_ratio=tang.impulse_ratio if tang.model == "impulse-ratio" else None,
        contact_plane_deg=tang.contact_plane_deg,
    )


def _as_vehicle(v, who):
    """A Vehicle, or a catalog id looked up in the bundled catalog."""
    if isinstance(v, Vehicle):
        return v
    if isinstance(v, str):
        from crashcompat.catalog.loading import default_catalog

        return default_catalog()[v]
    raise TypeError(f"{who} must be a crashcompat.Vehicle or a catalog id such as "
                    f"'kei/honda-n-box', got {type(v).__name__}")


@functools.lru_cache(maxsize=64)
def _parse_measures_cached(measures):
    from crashcompat.severity import measures as ms

    return ms.parse_measures(measures)


def _parse_measures(measures):
    if isinstance(measures, list):
        measures = tuple(measures)
    try:
        return _parse_measures_cached(measures)
    except TypeError:  # unhashable: let the parser say what is wrong
        from crashcompat.severity import measures as ms

        return ms.parse_measures(measures)


def _curves(risk_curves):
    from crashcompat.severity import measures as ms

    specs = risk_curves or ms.DEFAULT_RISK_CURVES
    if isinstance(specs, str):
        specs = (specs,)
    key = tuple(specs) if all(isinstance(s, str) for s in specs) else None
    if key is not None:
        return _curves_by_name(key)
    return tuple(ms.resolve_curves(specs))


@functools.lru_cache(maxsize=64)
def _curves_by_name(names):
    from crashcompat.severity import measures as ms

    return tuple(ms.resolve_curves(names))


def _restitution_inputs(restitution):
    """(e, rmod) for the kernel: e NaN selects the speed-dependent model rmod."""
    model = DEFAULT_RESTITUTION_MODEL
    if isinstance(restitution, str):
        if restitution != "model":
            raise ValueError(f"restitution must be a number in [0, 1] or 'model', got "
                             f"{restitution!r}")
        e = math.nan
    elif isinstance(restitution, SpeedDependentRestitution):
        model, e = restitution, math.nan
    elif isinstance(restitution, (int, float)) and not isinstance(restitution, bool):
        e = float(restitution)
        if not 0.0 <= e <= 1.0:
            raise ValueError(f"restitution must be in [0, 1], got {e}")
    else:
        raise ValueError(f"restitution must be a number in [0, 1], 'model' or a "
                         f"SpeedDependentRestitution, got {restitution!r}")
    return e, model.as_array()


def _outcome(v: Vehicle, mass, face, out, base, dvx, dvy, dw, k_eng, share) -> VehicleOutcome:
    pdof = float(out[base + V_PDOF])
    ees = float(out[base + V_EES])
    return VehicleOutcome(
        vehicle_id=v.id, mass_kg=mass, face=face,
        dv_x_mps=float(out[base + V_DV_LONG]), dv_y_mps=float(out[base + V_DV_LAT]),
        dv_mps=float(out[base + V_DV]), dv_kph=float(out[base + V_DV]) / KPH,
        dv_global_x_mps=float(dvx), dv_global_y_mps=float(dvy),
        occupant_dv_x_mps=float(out[base + V_OCC_X]), occupant_dv_y_mps=float(out[base + V_OCC_Y]),
        occupant_dv_mps=float(out[base + V_OCC]), occupant_dv_kph=float(out[base + V_OCC]) / KPH,
        passenger_dv_mps=float(out[base + V_PASS]),
        passenger_dv_kph=float(out[base + V_PASS]) / KPH,
        yaw_rate_change_rad_s=float(dw), pdof_deg=pdof, pdof_clock=pdof_clock(pdof),
        energy_absorbed_j=float(out[base + V_ENERGY]), energy_share=share,
        engaged_stiffness_n_per_m=k_eng, ees_mps=ees, ees_kph=ees / KPH,
    )


def pdof_clock(pdof_deg: float) -> int:
    """Clock direction 1..12 of a PDOF in degrees (12 frontal, 3 right side), nearest hour,
    halves rounded up."""
    c = math.floor(pdof_deg / 30.0 + 0.5) % 12
    return 12 if c == 0 else int(c)


def _add_pulse(subject, partner, subj, part, configuration, g, faces, k, engaged_w, m1, load,
               e, pulse_model, compartment_factor):
    from crashcompat.severity import measures as ms

    f1, f2 = faces
    g1, g2 = (ms.height_engagement(subject.structure_height_low_m,
                                   subject.structure_height_high_m,
                                   partner.structure_height_low_m,
                                   partner.structure_height_high_m)
              if configuration == "frontal" else (1.0, 1.0))
    px, py = subj.dv_global_x_mps * m1, subj.dv_global_y_mps * m1
    pres, _, _ = ms.pulse_for_impacts(
        m1=m1, m2=partner.mass_kg, izz1=subject.yaw_inertia_kgm2 * (m1 / subject.mass_kg),
        izz2=partner.yaw_inertia_kgm2, r1x=g[GEO_R1X], r1y=g[GEO_R1Y], r2x=g[GEO_R2X],
        r2y=g[GEO_R2Y], px=px, py=py, e=e,
        a1=getattr(subject, f"crash3_a_{f1}_n_per_m"),
        b1=getattr(subject, f"crash3_b_{f1}_n_per_m2"),
        a2=getattr(partner, f"crash3_a_{f2}_n_per_m"),
        b2=getattr(partner, f"crash3_b_{f2}_n_per_m2"),
        w1=engaged_w, w2=engaged_w, cs1=subject.crush_space_m(f1),
        cs2=partner.crush_space_m(f2), g1=float(g1), g2=float(g2),
        theta1_rad=math.radians(subj.pdof_deg), theta2_rad=math.radians(part.pdof_deg),
        model=pulse_model, k1=k[0], k2=k[1], compartment_factor=compartment_factor)
    for who, o, prefix in ((1, subj, "subject"), (2, part, "partner")):
        cols = ms.pulse_columns(pres, who, prefix)
        o.pulse.update({key.removeprefix(prefix + "_"): float(v) for key, v in cols.items()})
        o.pulse["status"] = int(pres.status)
        o.pulse["engagement"] = float(g1 if who == 1 else g2)
