"""The small per-run tables the grid kernels read (docs/architecture.md): vehicles, geometry rows,
speeds and per-axis values. Built once per run; nothing here is the size of the grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crashcompat.errors import CrashCompatError, GeometryError
from crashcompat.kernels.layout import GEO_COLS
from crashcompat.physics.geometry import (engaged_fraction, geometry_row, impact_geometry,
                                          resolve_tangential)
from crashcompat.severity.measures import height_engagement
from crashcompat.units import KPH

__all__ = ["Tables", "build_tables", "geometry_table", "tangential_combos", "nested_axis_index",
           "NESTED_AXES", "KERNEL_AXIS", "tangential_axes", "partial_impact_metadata", "FACES",
           "CONFIGURATION_FACES"]

FACES = ("front", "side", "rear")
#: (subject face, partner face) struck in each configuration, as indices into FACES
CONFIGURATION_FACES = {"frontal": (0, 0), "side": (1, 0), "rear": (2, 0),
                       "side-struck-by-subject": (0, 1)}


@dataclass(frozen=True)
class Tables:
    """``veh`` (n_vehicles, 2) mass and yaw inertia; ``geo`` (n_geometry, GEO_COLS); ``geo_w`` engaged
    width (m) and ``geo_g`` (n_geometry, 2) structure-height engagement per geometry row;
    ``face`` (n_vehicles, 3, 4) CRASH3 A, B, linear k and crush space per face; ``conf_faces``
    (n_configuration, 2); ``spd`` (n_configuration, n_speed_a, n_speed_b, 2) speeds (m/s);
    ``e`` (NaN = model), ``mu``, ``load`` per-axis values; ``rmod`` the restitution model."""

    veh: np.ndarray
    geo: np.ndarray
    geo_w: np.ndarray
    geo_g: np.ndarray
    face: np.ndarray
    conf_faces: np.ndarray
    spd: np.ndarray
    e: np.ndarray
    mu: np.ndarray
    load: np.ndarray
    rmod: np.ndarray


class TableError(CrashCompatError, ValueError):
    """A geometry that cannot happen for one vehicle pair; the message names the pair."""


def tangential_combos(spec) -> list[tuple]:
    """The (tangential_model, impulse_ratio, contact_plane_deg) settings of a spec, in the order
    the geometry table nests them inside each impact position (the last varies fastest);
    ``contact_plane_deg`` None where the axis says ``auto``."""
    return [(tm, r, None if cp == "auto" else float(cp))
            for tm in spec.tangential_model for r in spec.impulse_ratio
            for cp in spec.contact_plane_deg]


#: Public axes that share the kernels' position axis, outermost first (:func:`geometry_table`).
NESTED_AXES = ("impact_position", "tangential_model", "impulse_ratio", "contact_plane_deg")
#: The kernels' axis (0-10, :mod:`crashcompat.kernels.grid`) each public axis reads its index
#: from.
KERNEL_AXIS = {"subject": 0, "partner": 1, "configuration": 2, "closing_speed_kph": 3,
               "subject_speed_kph": 3, "partner_speed_kph": 4, "angle_deg": 5, "overlap": 6,
               "impact_position": 7, "tangential_model": 7, "impulse_ratio": 7,
               "contact_plane_deg": 7, "restitution": 8, "friction": 9, "load_kg": 10}


def tangential_axes(spec) -> dict:
    """The tangential axes that are output axes: those with more than one value (a single value
    is recorded in the metadata, and outputs keep the columns they had without the axis)."""
    out = {}
    for name in NESTED_AXES[1:]:
        vals = getattr(spec, name)
        if len(vals) > 1:
            out[name] = np.asarray(vals) if name == "impulse_ratio" else tuple(vals)
    return out


def nested_axis_index(spec, name, ix):
    """The index along public axis ``name`` from the kernels' index ``ix`` for it: the same
    for every axis but those of :data:`NESTED_AXES`, which are decoded from the combined
    position index (C order, the last varies fastest)."""
    if name not in NESTED_AXES:
        return ix
    k = NESTED_AXES.index(name)
    inner = 1
    for other in NESTED_AXES[k + 1:]:
        inner *= len(getattr(spec, other))
    return (ix // inner) % len(getattr(spec, name))


def partial_impact_metadata(spec) -> dict:
    """What every grid output records about the tangential model (docs/model.md, Partial
    impacts): the axes' values, the ``auto`` rule in force and what it means."""
    rule = spec.partial_impact_rule()
    return {"tangential_model": list(spec.tangential_model),
            "impulse_ratio": list(spec.impulse_ratio),
            "contact_plane_deg": list(spec.contact_plane_deg),
            "auto_rule": rule.to_dict(), "auto": rule.describe(),
            "models": ("common-velocity: sticking unless outside the friction cone (Coulomb "
                       "sliding with slip reversal); impulse-ratio: Pt = r Pn opposing the slip, "
                       "clipped at the critical ratio (Brach); sliding: Coulomb sliding along "
                       "the contact plane until the slip stops, then Routh's second phase")}


def geometry_table(spec, catalog, subject_ids, partner_ids, jitter=None):
    """The geometry table ``(geo, geo_w, geo_g)``: one row per (subject, partner, configuration,
    angle, overlap, position, tangential setting), built by
    :func:`crashcompat.physics.geometry.impact_geometry`; the tangential settings
    (:func:`tangential_combos`) nest inside the position, so the kernels' position axis has
    ``len(impact_position) * len(tangential_combos(spec))`` entries. ``auto`` is resolved per row
    with the spec's ``partial_impact`` rule.

    ``jitter`` = (angle offset deg, overlap offset, impact-position offset m) builds a Monte
    Carlo variant (:mod:`crashcompat.runs.uncertainty`): the angle is kept within +-89 degrees,
    the overlap within [0.05, 1], and a side impact's position (the driver's seat when the axis
    says ``driver-seat``) 0.05 m inside the struck side. ``None`` builds the nominal table."""
    vehicles_s = [catalog[v] for v in subject_ids]
    vehicles_p = [catalog[v] for v in partner_ids]
    ns, npart, nc = len(subject_ids), len(partner_ids), len(spec.configurations)
    na, no, npos = len(spec.angle_deg), len(spec.overlap), len(spec.impact_position)
    combos = tangential_combos(spec)
    auto = spec.partial_impact_rule()
    n_geo = ns * npart * nc * na * no * npos * len(combos)
    geo = np.empty((n_geo, GEO_COLS))
    geo_w = np.empty(n_geo)
    geo_g = np.empty((n_geo, 2))
    da, do, dp = jitter if jitter is not None else (0.0, 0.0, 0.0)
    g = 0
    for s_id, s in zip(subject_ids, vehicles_s):
        for p_id, p in zip(partner_ids, vehicles_p):
            for conf in spec.configurations:
                eng = (height_engagement(s.structure_height_low_m, s.structure_height_high_m,
                                         p.structure_height_low_m, p.structure_height_high_m)
                       if conf == "frontal" else (1.0, 1.0))
                struck = p if conf == "side-struck-by-subject" else s
                for ang in spec.angle_deg:
                    for ov in spec.overlap:
                        for pos in spec.impact_position:
                            x = None if pos == "driver-seat" else float(pos)
                            if jitter is not None:
                                ang_j = min(max(ang + da, -89.0), 89.0)
                                ov_j = min(max(ov + do, 0.05), 1.0)
                                x0 = struck.driver_seat_x_m if x is None else x
                                x_j = min(max(x0 + dp, -struck.cg_to_rear_m + 0.05),
                                          struck.cg_to_front_m - 0.05)
                                x_j = x_j if conf in ("side", "side-struck-by-subject") else x
                            else:
                                ang_j, ov_j, x_j = ang, ov, x
                            for tm, ratio, plane in combos:
                                try:
                                    tg = resolve_tangential(conf, engaged_fraction(s, p, ov_j),
                                                            tm, ratio, plane, auto)
                                    hs, hp, sl, pl, normal, _f, (k1, k2), w_eng = \
                                        impact_geometry(s, p, conf, ang_j, ov_j, x_j,
                                                        spec.struck_side, spec.overlap_side,
                                                        tg.contact_plane_deg)
                                except GeometryError as exc:
                                    raise TableError(
                                        f"{s_id} vs {p_id}, {conf}, impact_position {pos}: {exc}"
                                    ) from None
                                geo[g] = geometry_row(s, p, hs, hp, sl, pl, normal, k1, k2,
                                                      tg.code, tg.impulse_ratio)
                                geo_w[g] = w_eng
                                geo_g[g] = eng
                                g += 1
    return geo, geo_w, geo_g


def build_tables(spec, catalog, subject_ids, partner_ids, sa, sb) -> Tables:
    vehicles = [catalog[v] for v in subject_ids] + [catalog[v] for v in partner_ids]
    veh = np.array([[v.mass_kg, v.yaw_inertia_kgm2] for v in vehicles])
    nc = len(spec.configurations)
    geo, geo_w, geo_g = geometry_table(spec, catalog, subject_ids, partner_ids)
    face = np.array([[[getattr(v, f"crash3_a_{f}_n_per_m"), getattr(v, f"crash3_b_{f}_n_per_m2"),
                       v.stiffness_n_per_m(f), v.crush_space_m(f)] for f in FACES]
                     for v in vehicles])
    conf_faces = np.array([CONFIGURATION_FACES[c] for c in spec.configurations])
    spd = np.zeros((nc, len(sa), len(sb), 2))
    for ic, conf in enumerate(spec.configurations):
        for ia, a in enumerate(sa):
            for ib, b in enumerate(sb):
                if spec.speed_mode == "explicit":
                    vs, vp = a, b
                elif conf == "frontal":
                    vs, vp = spec.split * a, (1.0 - spec.split) * a
                elif conf == "side-struck-by-subject":
                    vs, vp = a, 0.0
                else:
                    vs, vp = 0.0, a
                spd[ic, ia, ib] = (vs * KPH, vp * KPH)
    return Tables(
        veh=veh, geo=geo, geo_w=geo_w, geo_g=geo_g, face=face,
        conf_faces=conf_faces, spd=spd,
        e=np.array([np.nan if e == "model" else float(e) for e in spec.restitution]),
        mu=np.asarray(spec.friction, dtype=np.float64),
        load=np.asarray(spec.load_kg, dtype=np.float64),
        rmod=np.asarray(spec.restitution_model, dtype=np.float64))
