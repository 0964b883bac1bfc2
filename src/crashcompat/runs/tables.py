"""The small per-run tables the grid kernels read (docs/architecture.md): vehicles, geometry rows,
speeds and per-axis values. Built once per run; nothing here is the size of the grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crashcompat.errors import CrashCompatError, GeometryError
from crashcompat.kernels.layout import GEO_COLS
from crashcompat.physics.geometry import geometry_row, impact_geometry
from crashcompat.severity.measures import height_engagement
from crashcompat.units import KPH

__all__ = ["Tables", "build_tables", "FACES", "CONFIGURATION_FACES"]

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


def build_tables(spec, catalog, subject_ids, partner_ids, sa, sb) -> Tables:
    vehicles = [catalog[v] for v in subject_ids] + [catalog[v] for v in partner_ids]
    veh = np.array([[v.mass_kg, v.yaw_inertia_kgm2] for v in vehicles])
    ns, npart, nc = len(subject_ids), len(partner_ids), len(spec.configurations)
    na, no, npos = len(spec.angle_deg), len(spec.overlap), len(spec.impact_position)
    n_geo = ns * npart * nc * na * no * npos
    geo = np.empty((n_geo, GEO_COLS))
    geo_w = np.empty(n_geo)
    geo_g = np.empty((n_geo, 2))
    g = 0
    for s_id in subject_ids:
        s = catalog[s_id]
        for p_id in partner_ids:
            p = catalog[p_id]
            for conf in spec.configurations:
                eng = (height_engagement(s.structure_height_low_m, s.structure_height_high_m,
                                         p.structure_height_low_m, p.structure_height_high_m)
                       if conf == "frontal" else (1.0, 1.0))
                for ang in spec.angle_deg:
                    for ov in spec.overlap:
                        for pos in spec.impact_position:
                            x = None if pos == "driver-seat" else float(pos)
                            try:
                                hs, hp, sl, pl, normal, _f, (k1, k2), w_eng = impact_geometry(
                                    s, p, conf, ang, ov, x, spec.struck_side, spec.overlap_side)
                            except GeometryError as exc:
                                raise TableError(
                                    f"{s_id} vs {p_id}, {conf}, impact_position {pos}: {exc}"
                                ) from None
                            geo[g] = geometry_row(s, p, hs, hp, sl, pl, normal, k1, k2)
                            geo_w[g] = w_eng
                            geo_g[g] = eng
                            g += 1
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
