"""Standard crash-test configurations with the catalog's test objects (class ``barrier``).

Each protocol is the :func:`crashcompat.collide` call that reproduces a regulatory or consumer
test: the test object, the configuration, both speeds, the angle, overlap and struck side, with
the source of each figure (docs/validation.md, "Test objects"). ``run_protocol(vehicle, name)``
runs it; the test objects themselves are documented in ``vehicles/README.md``.

Two conventions follow from collide()'s geometry:

- A vehicle moving sideways into a fixed pole is, by Galilean invariance, the pole striking the
  stationary vehicle at the same speed: the ``side`` configuration with the pole as the partner.
- The FMVSS 214 barrier moves with its wheels crabbed 27 degrees while its face stays
  perpendicular to the car, so relative to the car it moves sideways at ``v cos 27`` and rearward
  at ``v sin 27``. collide() moves each body along its own heading, so the same relative motion is
  the car moving forward at ``v sin 27`` while the barrier crosses at ``v cos 27``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Protocol", "PROTOCOLS", "run_protocol"]


@dataclass(frozen=True)
class Protocol:
    """One standard test as a collide() call. Speeds in km/h along each body's heading."""

    name: str
    partner: str
    configuration: str
    subject_speed_kph: float
    partner_speed_kph: float
    overlap: float = 1.0
    #: impact angle from the perpendicular (side) or head-on (frontal) direction, degrees; for a
    #: side test, positive turns the striker's relative motion towards the struck car's rear
    oblique_deg: float = 0.0
    source: str = ""

    def closing_speed_kph(self) -> float:
        """The speed of the test object relative to the vehicle, km/h."""
        if self.configuration == "frontal":
            return self.subject_speed_kph + self.partner_speed_kph
        return math.hypot(self.subject_speed_kph, self.partner_speed_kph)


_CRAB_DEG = 27.0
_FMVSS214_KPH = 54.0

#: The protocols, by name.
PROTOCOLS = {p.name: p for p in (
    Protocol("ncap-full-frontal", "barrier/rigid-wall", "frontal", 56.0, 0.0,
             source="US NCAP: 35 mph (56 km/h) into a fixed rigid barrier, full width (NHTSA NCAP "
             "FAQ, archived 2004, the catalog's NCAP_FULL_WIDTH_SPEED_MPS)"),
    Protocol("iihs-small-overlap", "barrier/rigid-wall", "frontal", 64.4, 0.0, overlap=0.25,
             source="IIHS driver-side small overlap: 40 mph (64.4 km/h), 25 % of the width on a "
             "rigid barrier (commonly quoted; the IIHS protocol was not read; the barrier's "
             "rounded edge is not modelled)"),
    Protocol("fmvss-214-mdb", "barrier/fmvss-214-mdb", "side",
             _FMVSS214_KPH * math.sin(math.radians(_CRAB_DEG)),
             _FMVSS214_KPH * math.cos(math.radians(_CRAB_DEG)),
             source="FMVSS 214 MDB: 33.5 mph (54 km/h, commonly quoted), the barrier crabbed 27 "
             "degrees (NHTSA laboratory test procedure, MDB section); the car moves forward at "
             "54 sin 27 = 24.5 km/h and the barrier crosses at 54 cos 27 = 48.1 km/h"),
    Protocol("iihs-side", "barrier/iihs-side-mdb", "side", 0.0, 50.0,
             source="IIHS side test (2003-2021): the 3,300 lb barrier at 31 mph (IIHS news "
             "release 2022-11-10), 50 km/h in the IIHS protocol's metric figures (commonly "
             "quoted), perpendicular to the driver side"),
    Protocol("iihs-side-2", "barrier/iihs-side-mdb-2", "side", 0.0, 60.0,
             source="IIHS side test 2.0 (2021-): the 4,200 lb barrier at 37 mph (IIHS news "
             "release 2022-11-10; 59.5 km/h, 60 km/h in the protocol's metric figures as "
             "commonly quoted), perpendicular to the driver side"),
    Protocol("fmvss-214-pole", "barrier/rigid-pole", "side", 0.0, 32.0, oblique_deg=15.0,
             source="FMVSS 214 pole test: the vehicle at up to 32 km/h (20 mph) into a 254 mm "
             "rigid pole at 75 degrees to its longitudinal axis (15 degrees from perpendicular), "
             "aligned with the driver (commonly quoted; MGA Research: 'an impact at a 15-degree "
             "angle that aligns with the test dummy's head position')"),
    Protocol("pole-perpendicular", "barrier/rigid-pole", "side", 0.0, 32.0,
             source="perpendicular pole impact at 32 km/h at the driver's seat (the FMVSS 214 pole "
             "test without its 15-degree obliquity)"),
    Protocol("euro-ncap-mpdb", "barrier/euro-ncap-mpdb", "frontal", 50.0, 50.0, overlap=0.5,
             source="Euro NCAP MPDB (2020-): car and 1,400 kg trolley each at 50 km/h, 50 % "
             "overlap (Cellbond; Euro NCAP via Paint & Panel)"),
)}


def _driver_on_left(vehicle, drive_side: str) -> bool:
    if drive_side == "as-catalog":
        return vehicle.driver_seat_y_m > 0
    return drive_side == "left"


def run_protocol(vehicle, name: str, *, catalog=None, drive_side: str = "left", **kw):
    """Run protocol ``name`` (a key of :data:`PROTOCOLS`) on ``vehicle`` (a Vehicle or catalog
    id): the test object is the partner, struck side and overlap on the driver's side.
    Keyword arguments (``restitution``, ``friction``, ``measures``, ``impact_position_m``, ...)
    go to :func:`crashcompat.collide`. Returns its :class:`~crashcompat.CollisionResult`."""
    from crashcompat.catalog.loading import default_catalog
    from crashcompat.errors import CrashCompatError
    from crashcompat.physics.collide import collide

    if name not in PROTOCOLS:
        raise CrashCompatError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    p = PROTOCOLS[name]
    cat = catalog if catalog is not None else default_catalog()
    if isinstance(vehicle, str):
        vehicle = cat[vehicle]
    left = _driver_on_left(vehicle, drive_side)
    args = dict(subject_speed_kph=p.subject_speed_kph, partner_speed_kph=p.partner_speed_kph,
                overlap=p.overlap, drive_side=drive_side)
    if p.configuration == "side":
        # the striker's heading is -90 + angle (left side struck) or 90 + angle (right side):
        # turning its motion towards the car's rear needs angle -oblique (left) or +oblique
        args.update(struck_side="driver", angle_deg=-p.oblique_deg if left else p.oblique_deg)
    else:
        args.update(overlap_side="left" if left else "right", angle_deg=p.oblique_deg)
    args.update(kw)
    return collide(vehicle, cat[p.partner], p.configuration, **args)
