"""Impact geometry from two vehicles: where the impulse acts, along which normal, and how much of
each struck face is engaged. Shared by :func:`crashcompat.collide` and the grid's tables, so one
case has one geometry whichever way it is run. The conventions are in
:mod:`crashcompat.physics.collide` and docs/model.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from crashcompat.catalog.vehicle import Vehicle
from crashcompat.errors import GeometryError
from crashcompat.kernels.layout import GEO_COLS, TM_NAMES
from crashcompat.physics.impact import DEFAULT_IMPULSE_RATIO

__all__ = ["CONFIGURATIONS", "DRIVE_SIDES", "cos_sin_deg", "rotate", "impact_geometry",
           "geometry_row", "drive_side_of", "with_drive_side", "TANGENTIAL_MODELS",
           "AutoTangential", "DEFAULT_AUTO", "DEFAULT_IMPULSE_RATIO", "Tangential",
           "resolve_tangential", "engaged_fraction"]

CONFIGURATIONS = ("frontal", "side", "rear", "side-struck-by-subject")

#: Seat side settings for the subject and reference cars: ``left`` (a US-market build, the
#: default, so that a kei car and its US reference car are compared with drivers on the same
#: side), ``right`` (a 25-year-rule import or a Japan-market car) or ``as-catalog``.
DRIVE_SIDES = ("left", "right", "as-catalog")


def drive_side_of(vehicle: Vehicle) -> str:
    """``left`` or ``right``: the side the driver sits on (from the seat position)."""
    return "left" if vehicle.driver_seat_y_m > 0 else "right"


def with_drive_side(vehicle: Vehicle, side: str) -> Vehicle:
    """The vehicle built for ``side``: driver and passenger seats mirrored across the centre line
    when the catalog's drive side differs (a left-hand-drive build of a Japan-market kei car has
    its driver where the right-hand-drive car has its passenger; an assumption: the seat layout
    is otherwise symmetric). ``as-catalog`` returns the vehicle unchanged."""
    if side not in DRIVE_SIDES:
        raise GeometryError(f"drive_side must be one of {', '.join(DRIVE_SIDES)}, got {side!r}")
    if side == "as-catalog" or side == drive_side_of(vehicle):
        return vehicle
    # building a Vehicle re-runs its checks (tens of microseconds): keep the mirrored copies of
    # the last vehicles seen, so a loop of collide() calls pays it once per vehicle
    key = (id(vehicle), side)
    hit = _MIRRORED.get(key)
    if hit is not None and hit[0] is vehicle:
        return hit[1]
    import dataclasses

    mirrored = dataclasses.replace(vehicle, driver_seat_y_m=-vehicle.driver_seat_y_m,
                                   passenger_seat_y_m=-vehicle.passenger_seat_y_m)
    if len(_MIRRORED) >= 512:
        _MIRRORED.clear()
    _MIRRORED[key] = (vehicle, mirrored)
    return mirrored


_MIRRORED: dict = {}


def cos_sin_deg(a_deg):
    """(cos, sin) of an angle in degrees, exact at multiples of 90 degrees (the quadrant is
    reduced exactly first, as in the kernels), so perpendicular impacts have no rounding-level
    closing or separating speed."""
    k = math.floor(a_deg / 90.0 + 0.5)
    r = math.radians(a_deg - 90.0 * k)
    c, s = math.cos(r), math.sin(r)
    q = k % 4
    return ((c, s), (-s, c), (-c, -s), (s, -c))[q]


def rotate(h_deg, x, y):
    """The vector (x, y) turned by h_deg degrees counter-clockwise."""
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
                              struck_side="driver", overlap_side="left", contact_plane_deg=0.0):
    """Geometry of one impact (see the module docstring), shared by collide() and the grid.

    ``contact_plane_deg`` turns the contact plane (the impulse normal) from the configuration's
    default by that many degrees, counter-clockwise seen from above for an overlap (frontal,
    rear) or a struck side (side impacts) on the left, mirrored for the right, so that one value
    means the same crash whichever side it is on. In a frontal offset impact a positive angle
    turns the plane so that the engaged corners push each other outward: the vehicles slide off
    each other (docs/model.md, Partial impacts).

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
    plane_sgn = osgn
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
        plane_sgn = sgn
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
        plane_sgn = sgn
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
    if contact_plane_deg:  # 0 keeps the default normal bit for bit
        normal = normal + plane_sgn * contact_plane_deg
    return hs, hp, s_local, p_local, normal, faces, k, engaged[0]


def geometry_row(subject, partner, hs, hp, s_local, p_local, normal, k1, k2,
                 tangential_code=0, impulse_ratio=0.0) -> tuple:
    """One row of the kernels' geometry table (columns ``GEO_*`` of
    :mod:`crashcompat.kernels.layout`) from the output of :func:`impact_geometry` and the
    tangential model (:attr:`Tangential.code`, :attr:`Tangential.impulse_ratio`)."""
    r1 = rotate(hs, *s_local)
    r2 = rotate(hp, *p_local)
    seat1 = rotate(hs, subject.driver_seat_x_m, subject.driver_seat_y_m)
    seat2 = rotate(hp, partner.driver_seat_x_m, partner.driver_seat_y_m)
    pass1 = rotate(hs, subject.passenger_seat_x_m, subject.passenger_seat_y_m)
    pass2 = rotate(hp, partner.passenger_seat_x_m, partner.passenger_seat_y_m)
    row = (r1[0], r1[1], r2[0], r2[1], normal, *cos_sin_deg(hs), *cos_sin_deg(hp), k1, k2,
           seat1[0], seat1[1], seat2[0], seat2[1], *cos_sin_deg(normal), *pass1, *pass2,
           float(tangential_code), float(impulse_ratio))
    assert len(row) == GEO_COLS
    return row


# -- partial impacts: the tangential model of each case ------------------------------------------

#: Tangential models a case may ask for: ``auto`` picks one per configuration
#: (:class:`AutoTangential`), the others are the kernel's (docs/model.md, Partial impacts).
TANGENTIAL_MODELS = ("auto",) + TM_NAMES



@dataclass(frozen=True)
class AutoTangential:
    """The ``auto`` rule: frontal impacts whose engaged width is less than ``overlap_below`` of
    the narrower front (:func:`engaged_fraction`; symmetric in the two vehicles) are partial
    impacts,
    modelled with ``model`` on a contact plane turned by ``contact_plane_deg`` (the sense of
    :func:`impact_geometry`: the engaged corners slide off each other); every other case uses
    common velocity on the default plane. The figures and their basis are in docs/model.md,
    Partial impacts (fitted by ``crashcompat.validation``'s partial-impact calibration)."""

    overlap_below: float = 0.4
    model: str = "sliding"
    contact_plane_deg: float = 47.5

    def __post_init__(self):
        if self.model not in TM_NAMES:
            raise GeometryError(f"AutoTangential.model must be one of {', '.join(TM_NAMES)}, "
                                f"got {self.model!r}")
        for name in ("overlap_below", "contact_plane_deg"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise GeometryError(f"AutoTangential.{name} must be a finite number, got {v!r}")
        if not 0.0 <= self.overlap_below <= 1.0:
            raise GeometryError(f"AutoTangential.overlap_below must be in [0, 1], got "
                                f"{self.overlap_below!r}")
        if not -90.0 < self.contact_plane_deg < 90.0:
            raise GeometryError(f"AutoTangential.contact_plane_deg must lie strictly between "
                                f"-90 and 90 degrees, got {self.contact_plane_deg!r}")

    def partial(self, configuration: str, overlap: float) -> bool:
        """True where the rule calls the case a partial impact; ``overlap`` is the engaged
        fraction of the narrower front (:func:`engaged_fraction`)."""
        return (configuration == "frontal" and isinstance(overlap, (int, float))
                and overlap < self.overlap_below)

    def describe(self) -> str:
        return (f"auto: frontal, engaged width below {self.overlap_below:g} of the narrower "
                f"front -> {self.model} on a "
                f"contact plane turned {self.contact_plane_deg:g} deg (the vehicles slide off "
                "each other); otherwise common-velocity on the default plane (docs/model.md, "
                "partial impacts)")

    def to_dict(self) -> dict:
        return {"overlap_below": self.overlap_below, "model": self.model,
                "contact_plane_deg": self.contact_plane_deg}


#: The shipped ``auto`` rule (docs/model.md, Partial impacts, gives the basis of each figure).
DEFAULT_AUTO = AutoTangential()


@dataclass(frozen=True)
class Tangential:
    """The tangential model of one case after ``auto`` is resolved: ``model`` (a kernel name),
    its code, the impulse ratio and the contact-plane turn (degrees, :func:`impact_geometry`'s
    sense)."""

    model: str
    code: int
    impulse_ratio: float
    contact_plane_deg: float


def _finite_number(value, name) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GeometryError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def engaged_fraction(subject, partner, overlap) -> float:
    """The engaged width of a frontal or rear impact over the narrower of the two faces' widths:
    ``min(overlap W_subject, W_partner) / min(W_subject, W_partner)``. The same crash seen from
    either vehicle gives the same figure (``overlap`` is a fraction of the subject's width)."""
    if not isinstance(overlap, (int, float)) or isinstance(overlap, bool):
        return overlap  # impact_geometry says what is wrong with it
    ws, wp = subject.width_m, partner.width_m
    return min(overlap * ws, wp) / min(ws, wp)


def resolve_tangential(configuration, overlap, model="auto", impulse_ratio=None,
                       contact_plane_deg=None, auto: AutoTangential = DEFAULT_AUTO) -> Tangential:
    """The :class:`Tangential` of one case (``overlap``: :func:`engaged_fraction`): ``model`` is
    one of :data:`TANGENTIAL_MODELS`;
    ``impulse_ratio`` (>= 0; None: :data:`DEFAULT_IMPULSE_RATIO`) is read by ``impulse-ratio``;
    ``contact_plane_deg`` (degrees, strictly inside +-90) turns the contact plane, None meaning
    the model's default: ``auto``'s turn where ``auto`` finds a partial impact, else 0."""
    if model not in TANGENTIAL_MODELS:
        raise GeometryError(f"tangential_model must be one of {', '.join(TANGENTIAL_MODELS)}, "
                            f"got {model!r}")
    ratio = DEFAULT_IMPULSE_RATIO if impulse_ratio is None else _finite_number(
        impulse_ratio, "impulse_ratio")
    if ratio < 0:
        raise GeometryError(f"impulse_ratio must be >= 0 (its sign is set to oppose the slip), "
                            f"got {ratio:g}")
    plane = None if contact_plane_deg is None else _finite_number(contact_plane_deg,
                                                                  "contact_plane_deg")
    if plane is not None and not -90.0 < plane < 90.0:
        raise GeometryError(f"contact_plane_deg must lie strictly between -90 and 90 degrees, "
                            f"got {plane:g}")
    if model == "auto":
        partial = auto.partial(configuration, overlap)
        model = auto.model if partial else "common-velocity"
        if plane is None:
            plane = auto.contact_plane_deg if partial else 0.0
    return Tangential(model, TM_NAMES.index(model), ratio, 0.0 if plane is None else plane)
