"""Scenario layer: from two vehicles and an impact description to the planar kernel and back.

:func:`collide` builds the inputs of :func:`crashcompat.planar_impact` from the vehicles' geometry
for four configurations, runs the kernel and returns, for both vehicles, the CG and occupant
delta-v, yaw-rate change, PDOF, energy split and EES.

Geometry (global frame, z up, PHYSICS.md section 0). Each vehicle is a rectangle of its length and
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
speed-dependent model of PHYSICS.md section 3 (``"model"``, the default), evaluated at the normal
closing speed of the contact points. Friction defaults to 0.5 (PHYSICS.md 2, assumption).

What this model cannot say (PHYSICS.md section 7): impulse-momentum gives delta-v and energy, not
structural collapse, override or intrusion. The energy split by stiffness and the EES are
indicators, and every result carries that sentence in ``limits``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from crashcompat.errors import STATUS_NAMES, GeometryError, Status, status_sentence
from crashcompat.physics.restitution import DEFAULT_RESTITUTION_MODEL, SpeedDependentRestitution
from crashcompat.units import KPH
from crashcompat.catalog.vehicle import Vehicle

__all__ = ["collide", "impact_geometry", "CollisionResult", "VehicleOutcome", "CONFIGURATIONS", "LIMITS"]

CONFIGURATIONS = ("frontal", "side", "rear", "side-struck-by-subject")
DEFAULT_FRICTION = 0.5  # inter-vehicle friction, PHYSICS.md 2 (assumption; Brach, PC-Crash 0.4-0.6)

LIMITS = (
    "Rigid-body impulse-momentum model (PHYSICS.md 2): it gives delta-v and energy, not structural "
    "collapse, override or intrusion; the energy split by stiffness and EES are indicators, and the "
    "contact is a single point with restitution and friction as stated parameters."
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
    #: curve name -> {"outcome", "source"} for every risk figure reported
    risk_curves: dict = field(default_factory=dict)
    limits: str = LIMITS

    def to_dict(self) -> dict:
        return asdict(self)


def cos_sin_deg(a_deg):
    """(cos, sin) of an angle in degrees, exact at multiples of 90 degrees (the quadrant is
    reduced exactly first, as in the kernels), so perpendicular impacts have no rounding-level
    closing or separating speed."""
    k = math.floor(a_deg / 90.0 + 0.5)
    r = math.radians(a_deg - 90.0 * k)
    c, s = math.cos(r), math.sin(r)
    q = k % 4
    return ((c, s), (-s, c), (-c, -s), (s, -c))[q]


def _rot(h_deg, x, y):
    c, s = cos_sin_deg(h_deg)
    return c * x - s * y, s * x + c * y


def _side_sign(vehicle: Vehicle, struck_side: str) -> float:
    """+1 for the left side, -1 for the right side of ``vehicle``."""
    if struck_side == "left":
        return 1.0
    if struck_side == "right":
        return -1.0
    driver_left = 1.0 if vehicle.driver_seat_y_m > 0 else -1.0
    if struck_side == "driver":
        return driver_left
    if struck_side == "passenger":
        return -driver_left
    raise GeometryError(
        f"struck_side must be 'driver', 'passenger', 'left' or 'right', got {struck_side!r}"
    )


def _check_overlap(overlap):
    if not (isinstance(overlap, (int, float)) and 0.0 < overlap <= 1.0):
        raise GeometryError(
            f"overlap must be a fraction of the subject's width in (0, 1], got {overlap!r}: "
            "with no overlap the vehicles cannot touch"
        )


def _check_position(vehicle: Vehicle, x: float, who: str):
    if not (-vehicle.cg_to_rear_m < x < vehicle.cg_to_front_m):
        raise GeometryError(
            f"impact_position_m = {x:g} m is not on the {who}'s side: it must lie between "
            f"{-vehicle.cg_to_rear_m:g} and {vehicle.cg_to_front_m:g} m from the {who}'s CG"
        )


def _engaged_interval(x, striker_width, struck: Vehicle):
    """The part of the struck side (metres ahead of its CG) that the striker's front covers,
    when the striker's front is centred at ``x``: the striker's width clipped to the side."""
    lo = max(x - striker_width / 2, -struck.cg_to_rear_m)
    hi = min(x + striker_width / 2, struck.cg_to_front_m)
    return lo, hi


def impact_geometry(subject, partner, configuration, angle_deg, overlap, impact_position_m,
                              struck_side="driver", overlap_side="left"):
    """Geometry of one impact (see the module docstring), shared by collide() and the grid.

    Returns ``(heading_subject_deg, heading_partner_deg, contact_subject_local,
    contact_partner_local, normal_deg, (face_subject, face_partner), (k1, k2), engaged_width_m)``
    where the contact
    points are in each vehicle's own frame (m), the normal pushes the subject, and ``k1, k2`` are
    the engaged linear stiffnesses (N/m): the face stiffness times the engaged fraction of the
    face's width. Raises GeometryError when the vehicles cannot touch.
    """
    ws, wp = subject.width_m, partner.width_m
    if overlap_side not in ("left", "right"):
        raise GeometryError(f"overlap_side must be 'left' or 'right', got {overlap_side!r}")
    osgn = 1.0 if overlap_side == "left" else -1.0
    if configuration in ("frontal", "rear"):
        _check_overlap(overlap)
        ow = min(overlap * ws, wp)
        p_local = (partner.cg_to_front_m, osgn * (wp - ow) / 2)
        if configuration == "frontal":
            hs, hp = 0.0, 180.0 + angle_deg
            s_local = (subject.cg_to_front_m, osgn * (ws - ow) / 2)
            normal = 180.0 + angle_deg / 2
            faces = ("front", "front")
        else:
            hs, hp = 0.0, angle_deg
            s_local = (-subject.cg_to_rear_m, osgn * (ws - ow) / 2)
            normal = angle_deg / 2
            faces = ("rear", "front")
        widths = (ws, wp)
        engaged = (ow, ow)
    elif configuration == "side":
        sgn = _side_sign(subject, struck_side)
        x = subject.driver_seat_x_m if impact_position_m is None else float(impact_position_m)
        _check_position(subject, x, "subject")
        lo, hi = _engaged_interval(x, wp, subject)
        mid = 0.5 * (lo + hi)
        hs, hp = 0.0, -sgn * 90.0 + angle_deg
        s_local = (mid, sgn * ws / 2)
        p_local = (partner.cg_to_front_m, sgn * (mid - x))
        normal = -sgn * 90.0
        faces = ("side", "front")
        widths = (subject.length_m, wp)
        engaged = (hi - lo, hi - lo)
    elif configuration == "side-struck-by-subject":
        sgn = _side_sign(partner, struck_side)
        x = partner.driver_seat_x_m if impact_position_m is None else float(impact_position_m)
        _check_position(partner, x, "partner")
        lo, hi = _engaged_interval(x, ws, partner)
        mid = 0.5 * (lo + hi)
        hs, hp = -sgn * 90.0 + angle_deg, 0.0
        s_local = (subject.cg_to_front_m, sgn * (mid - x))
        p_local = (mid, sgn * wp / 2)
        normal = sgn * 90.0
        faces = ("front", "side")
        widths = (ws, partner.length_m)
        engaged = (hi - lo, hi - lo)
    else:
        raise GeometryError(
            f"configuration must be one of {', '.join(CONFIGURATIONS)}, got {configuration!r}"
        )
    k = tuple(
        v.stiffness_n_per_m(face) * e / w
        for v, face, e, w in zip((subject, partner), faces, engaged, widths)
    )
    return hs, hp, s_local, p_local, normal, faces, k, engaged[0]


def _pdof(h_deg, px, py):
    """PDOF (deg clockwise from forward, where the force comes from) and clock direction."""
    lx, ly = _rot(-h_deg, px, py)
    if lx == 0.0 and ly == 0.0:
        return math.nan, 0
    pdof = (-(math.degrees(math.atan2(ly, lx)) + 180.0)) % 360.0
    clock = int(round(pdof / 30.0)) % 12
    return pdof, 12 if clock == 0 else clock


def _outcome(v: Vehicle, h, face, dvx, dvy, dw, px, py, energy, share, k_eng) -> VehicleOutcome:
    lx, ly = _rot(-h, dvx, dvy)
    seats = []
    for sx, sy in ((v.driver_seat_x_m, v.driver_seat_y_m),
                   (v.passenger_seat_x_m, v.passenger_seat_y_m)):
        gx, gy = _rot(h, sx, sy)
        ox, oy = dvx - dw * gy, dvy + dw * gx  # dv_occ = dv_cg + dw z x p
        seats.append(_rot(-h, ox, oy))
    (odx, ody), (pdx, pdy) = seats
    pdof, clock = _pdof(h, px, py)
    e_i = energy * share
    ees = math.sqrt(2.0 * e_i / v.mass_kg)
    dv = math.hypot(dvx, dvy)
    odv = math.hypot(odx, ody)
    pdv = math.hypot(pdx, pdy)
    return VehicleOutcome(
        vehicle_id=v.id, mass_kg=v.mass_kg, face=face,
        dv_x_mps=lx, dv_y_mps=ly, dv_mps=dv, dv_kph=dv / KPH,
        dv_global_x_mps=dvx, dv_global_y_mps=dvy,
        occupant_dv_x_mps=odx, occupant_dv_y_mps=ody, occupant_dv_mps=odv,
        occupant_dv_kph=odv / KPH, passenger_dv_mps=pdv, passenger_dv_kph=pdv / KPH,
        yaw_rate_change_rad_s=dw, pdof_deg=pdof, pdof_clock=clock,
        energy_absorbed_j=e_i, energy_share=share, engaged_stiffness_n_per_m=k_eng,
        ees_mps=ees, ees_kph=ees / KPH,
    )


def collide(subject: Vehicle, partner: Vehicle, configuration: str = "frontal", *,
            subject_speed_kph: float = 50.0, partner_speed_kph: float = 50.0,
            angle_deg: float = 0.0, overlap: float = 1.0, impact_position_m: float | None = None,
            restitution: float | str | SpeedDependentRestitution = "model",
            friction: float = DEFAULT_FRICTION, struck_side: str = "driver",
            overlap_side: str = "left", measures=("dv", "risk"), risk_curves=None,
            pulse_model: str = "crash3") -> CollisionResult:
    """Collide ``subject`` (vehicle 1) with ``partner`` (vehicle 2) and return both outcomes.

    See the module docstring for the geometry of each ``configuration``. Speeds in km/h along each
    vehicle's heading; ``angle_deg`` in degrees; ``overlap`` a fraction in (0, 1];
    ``impact_position_m`` in metres ahead of the struck vehicle's CG. ``restitution`` is a number
    in [0, 1], ``"model"`` for the default speed-dependent curve, or a
    :class:`~crashcompat.physics.restitution.SpeedDependentRestitution`.

    ``measures`` chooses the severity families beyond delta-v (``risk``, ``pulse``; see
    :mod:`crashcompat.severity.measures`); ``risk_curves`` names the curves (default
    :data:`crashcompat.severity.measures.DEFAULT_RISK_CURVES`), ``pulse_model`` is ``crash3`` or ``linear``.

    Raises :class:`~crashcompat.errors.GeometryError` (a ``ValueError``) with a sentence when the
    vehicles cannot touch: zero overlap, an impact position off the struck side, or speeds that do
    not close (a partner slower than the subject in a rear impact). Invalid numbers (negative
    speed, restitution outside [0, 1], negative friction) raise ``ValueError``.
    """
    from crashcompat.physics.impact import planar_impact

    for name, val in (("subject_speed_kph", subject_speed_kph),
                      ("partner_speed_kph", partner_speed_kph), ("angle_deg", angle_deg),
                      ("friction", friction)):
        if not isinstance(val, (int, float)) or not math.isfinite(val):
            raise ValueError(f"{name} must be a finite number, got {val!r}")
    if subject_speed_kph < 0 or partner_speed_kph < 0:
        raise ValueError("speeds must be >= 0 km/h; reverse the configuration instead")
    if friction < 0:
        raise ValueError(f"friction must be >= 0, got {friction}")
    if not -90.0 < angle_deg < 90.0:
        raise GeometryError(f"angle_deg must lie strictly between -90 and 90, got {angle_deg}")

    hs, hp, s_local, p_local, normal, faces, k, engaged_w = impact_geometry(
        subject, partner, configuration, float(angle_deg), overlap, impact_position_m,
        struck_side, overlap_side)
    r1 = _rot(hs, *s_local)
    r2 = _rot(hp, *p_local)
    v1 = _rot(hs, subject_speed_kph * KPH, 0.0)
    v2 = _rot(hp, partner_speed_kph * KPH, 0.0)

    # normal closing speed of the contact points (no initial yaw rates)
    nx, ny = cos_sin_deg(normal)
    closing = -((v1[0] - v2[0]) * nx + (v1[1] - v2[1]) * ny)
    if not closing > 0.0:
        raise GeometryError(
            f"in this {configuration} configuration the vehicles are not closing "
            f"(normal closing speed {closing / KPH:.3g} km/h): check the speeds and angle"
        )
    if isinstance(restitution, str):
        if restitution != "model":
            raise ValueError(f"restitution must be a number in [0, 1] or 'model', got {restitution!r}")
        restitution = DEFAULT_RESTITUTION_MODEL
    if isinstance(restitution, SpeedDependentRestitution):
        e = float(restitution(closing))
    else:
        e = float(restitution)
        if not 0.0 <= e <= 1.0:
            raise ValueError(f"restitution must be in [0, 1], got {e}")

    inputs = dict(
        m1=subject.mass_kg, izz1=subject.yaw_inertia_kgm2, v1x=v1[0], v1y=v1[1], w1=0.0,
        r1x=r1[0], r1y=r1[1],
        m2=partner.mass_kg, izz2=partner.yaw_inertia_kgm2, v2x=v2[0], v2y=v2[1], w2=0.0,
        r2x=r2[0], r2y=r2[1], normal_deg=normal, restitution=e, friction=float(friction),
    )
    res = planar_impact(**inputs)
    status = int(res.status)
    if status >= Status.NO_CONTACT:  # cannot happen after the checks above; never return NaN
        raise GeometryError(status_sentence(status))
    energy = float(res.energy_loss)
    k1, k2 = k
    px, py = float(res.dv1x) * subject.mass_kg, float(res.dv1y) * subject.mass_kg
    subj = _outcome(subject, hs, faces[0], float(res.dv1x), float(res.dv1y), float(res.dw1),
                    px, py, energy, k2 / (k1 + k2), k1)
    part = _outcome(partner, hp, faces[1], float(res.dv2x), float(res.dv2y), float(res.dw2),
                    -px, -py, energy, k1 / (k1 + k2), k2)
    from crashcompat.severity import measures as ms

    fams = ms.parse_measures(measures)
    curves_info = {}
    if "risk" in fams:
        curves = ms.resolve_curves(risk_curves or ms.DEFAULT_RISK_CURVES)
        for o in (subj, part):
            o.risk.update({c.name: float(c.probability(o.occupant_dv_mps, o.pdof_deg))
                           for c in curves})
        curves_info = {c.name: {"outcome": c.outcome, "source": c.source} for c in curves}
    if "pulse" in fams:
        f1, f2 = faces
        g1, g2 = (ms.height_engagement(subject.structure_height_low_m,
                                       subject.structure_height_high_m,
                                       partner.structure_height_low_m,
                                       partner.structure_height_high_m)
                  if configuration == "frontal" else (1.0, 1.0))
        pres, _, _ = ms.pulse_for_impacts(
            m1=subject.mass_kg, m2=partner.mass_kg, izz1=subject.yaw_inertia_kgm2,
            izz2=partner.yaw_inertia_kgm2, r1x=r1[0], r1y=r1[1], r2x=r2[0], r2y=r2[1],
            px=px, py=py, e=e,
            a1=getattr(subject, f"crash3_a_{f1}_n_per_m"),
            b1=getattr(subject, f"crash3_b_{f1}_n_per_m2"),
            a2=getattr(partner, f"crash3_a_{f2}_n_per_m"),
            b2=getattr(partner, f"crash3_b_{f2}_n_per_m2"),
            w1=engaged_w, w2=engaged_w, cs1=subject.crush_space_m(f1),
            cs2=partner.crush_space_m(f2), g1=float(g1), g2=float(g2),
            theta1_rad=math.radians(subj.pdof_deg), theta2_rad=math.radians(part.pdof_deg),
            model=pulse_model, k1=k1, k2=k2)
        for who, o, prefix in ((1, subj, "subject"), (2, part, "partner")):
            cols = ms.pulse_columns(pres, who, prefix)
            o.pulse.update({k.removeprefix(prefix + "_"): float(v) for k, v in cols.items()})
            o.pulse["status"] = int(pres.status)
            o.pulse["engagement"] = float(g1 if who == 1 else g2)
    return CollisionResult(
        configuration=configuration, status=status, status_name=STATUS_NAMES[status],
        status_sentence=status_sentence(status), subject=subj, partner=part,
        closing_speed_mps=closing, restitution=e, friction=float(friction),
        energy_loss_j=energy, normal_impulse_ns=float(res.pn),
        tangential_impulse_ns=float(res.pt), kernel_inputs=inputs, measures=fams,
        risk_curves=curves_info,
    )
