"""Public array API over the impact kernels: ``collinear_impact`` and ``planar_impact``.

Both accept scalars or broadcastable NumPy arrays in SI units and return a result object whose
arrays have the broadcast shape (NumPy scalars for scalar input). Nothing here raises for a bad
case: each case carries an ``int8`` status (see :class:`crashcompat.errors.Status`) and NaN
outputs when it is invalid or has no contact. Shapes that do not broadcast raise ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from crashcompat.errors import has_result

__all__ = ["collinear_impact", "planar_impact", "CollinearResult", "PlanarResult"]

#: Relative tolerance on the energy balance in the planar kernel: a loss more negative than
#: ``-ENERGY_REL_TOL * |P . w|`` counts as energy gain (docs/model.md, Planar impact, step 7); smaller is rounding.
ENERGY_REL_TOL = 1e-9


class _Result:
    def to_dict(self) -> dict:
        """The outputs as a dict of arrays (or scalars), keyed by attribute name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def ok(self):
        """True where the case produced a result (sticking, sliding or frictionless fallback)."""
        return has_result(self.status)


@dataclass(frozen=True)
class CollinearResult(_Result):
    """Result of :func:`collinear_impact`. Velocities in m/s, signed along the line; energy in J."""

    dv1: np.ndarray
    dv2: np.ndarray
    energy_loss: np.ndarray
    status: np.ndarray


@dataclass(frozen=True)
class PlanarResult(_Result):
    """Result of :func:`planar_impact`.

    ``dv1x..dv2y`` CG velocity changes (m/s, global frame), ``dw1, dw2`` yaw-rate changes (rad/s,
    counter-clockwise positive), ``pn, pt`` normal and tangential impulse on vehicle 1 (N s; the
    tangent is the normal turned 90 degrees clockwise), ``energy_loss`` (J), ``status`` (int8).
    """

    dv1x: np.ndarray
    dv1y: np.ndarray
    dv2x: np.ndarray
    dv2y: np.ndarray
    dw1: np.ndarray
    dw2: np.ndarray
    pn: np.ndarray
    pt: np.ndarray
    energy_loss: np.ndarray
    status: np.ndarray


#: Below this many cases the serial drivers run: waking the thread pool costs more than it
#: saves, and a serial call is not slowed by another busy process on the cores.
SERIAL_BELOW = 4096

_PY_SCALARS = (float, int)


def _flat_inputs(names, values):
    """Broadcast the inputs without building the broadcast arrays.

    Returns ``(shape, inputs)``: each input either as a Python float (a scalar or size-1 input)
    or as a 1-D float64 array of the broadcast size (a view when the input already has the full
    shape and is C-contiguous). Only an input that must be expanded along some axes (an
    outer-product broadcast such as (n, 1) against (1, m)) is materialised, and only that one.
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        desc = ", ".join(f"{n}{a.shape}" for n, a in zip(names, arrays) if a.ndim)
        raise ValueError(f"the shapes of {desc} do not broadcast together") from None
    flat = []
    for a in arrays:
        if a.size == 1:
            flat.append(float(a.reshape(())))
        elif a.shape == shape:
            flat.append(np.ascontiguousarray(a).reshape(-1))
        else:
            flat.append(np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1))
    return shape, flat


def _shape_out(arr, shape):
    arr = arr.reshape(shape)
    return arr[()] if shape == () else arr


def collinear_impact(m1, m2, v1, v2, restitution) -> CollinearResult:
    """Central collinear impact with restitution (docs/model.md, Collinear impact).

    Parameters (scalars or broadcastable arrays, SI)
    -------------------------------------------------
    m1, m2 : masses, kg.
    v1, v2 : velocities along the line before impact, m/s; vehicle 1 closes when ``v1 > v2``.
    restitution : coefficient of restitution e in [0, 1].

    Returns
    -------
    CollinearResult with ``dv1, dv2`` (m/s, signed), ``energy_loss`` (J) and ``status``.
    """
    from crashcompat.kernels import collinear as kc

    args = (m1, m2, v1, v2, restitution)
    if all(type(a) in _PY_SCALARS for a in args):
        r = kc.collinear_one(float(m1), float(m2), float(v1), float(v2), float(restitution))
        return CollinearResult(np.float64(r[0]), np.float64(r[1]), np.float64(r[2]),
                               np.int8(r[3]))
    names = ("m1", "m2", "v1", "v2", "restitution")
    shape, inputs = _flat_inputs(names, args)
    n = int(np.prod(shape, dtype=np.int64))
    y = np.empty((3, n))
    status = np.empty(n, dtype=np.int8)
    driver = kc.collinear_mixed if n >= SERIAL_BELOW else kc.collinear_mixed_serial
    driver(*inputs, y, status)
    return CollinearResult(*(_shape_out(a, shape) for a in (*y, status)))


PLANAR_ARGS = (
    "m1", "izz1", "v1x", "v1y", "w1", "r1x", "r1y",
    "m2", "izz2", "v2x", "v2y", "w2", "r2x", "r2y",
    "normal_deg", "restitution", "friction", "tangential_model", "impulse_ratio",
)

#: Impulse ratio of the ``impulse-ratio`` model when none is given (**assumption**: the default
#: inter-vehicle friction, 0.5, so that the ratio model caps the tangential impulse where the
#: Coulomb models would; Brach identifies the ratio per test; docs/model.md, Partial impacts).
DEFAULT_IMPULSE_RATIO = 0.5


def tangential_codes(model):
    """Kernel codes (float64) of tangential model names (:data:`crashcompat.kernels.layout.TM_NAMES`)
    or integer codes: a float for one model, an array for an array of them. ``auto`` needs a
    configuration and is resolved by :func:`crashcompat.physics.geometry.resolve_tangential`,
    not here."""
    from crashcompat.kernels.layout import TM_NAMES

    how = (f"tangential_model must be one of {', '.join(TM_NAMES)} or its code 0-"
           f"{len(TM_NAMES) - 1}")
    if isinstance(model, str):
        if model not in TM_NAMES:
            raise ValueError(f"{how}, got {model!r}")
        return float(TM_NAMES.index(model))
    a = np.asarray(model)
    if a.dtype.kind in "US":
        bad = sorted(set(a.ravel().tolist()) - set(TM_NAMES))
        if bad:
            raise ValueError(f"{how}, got {bad[0]!r}")
        codes = np.zeros(a.shape)
        for k, name in enumerate(TM_NAMES):
            codes[a == name] = k
        return codes if a.ndim else float(codes)
    if a.dtype.kind not in "iuf" or a.dtype == bool:
        raise ValueError(f"{how}, got {model!r}")
    ok = np.isin(a, np.arange(len(TM_NAMES)))
    if not np.all(ok):
        raise ValueError(f"{how}, got {a[~ok].ravel()[0]!r}")
    return a.astype(np.float64) if a.ndim else float(a)


def planar_impact(m1, izz1, v1x, v1y, w1, r1x, r1y,
                  m2, izz2, v2x, v2y, w2, r2x, r2y,
                  normal_deg, restitution, friction, tangential_model="common-velocity",
                  impulse_ratio=DEFAULT_IMPULSE_RATIO, contact_plane_deg=0.0) -> PlanarResult:
    """Planar impulse-momentum impact of two rigid vehicles with yaw (docs/model.md, Planar impact).

    Parameters (scalars or broadcastable arrays, SI, global frame, z up)
    ---------------------------------------------------------------------
    m1, m2 : masses, kg.  izz1, izz2 : yaw inertias about the CGs, kg m^2.
    v1x, v1y, v2x, v2y : CG velocities before impact, m/s.
    w1, w2 : yaw rates before impact, rad/s, counter-clockwise positive.
    r1x, r1y, r2x, r2y : vector from each vehicle's CG to the point where the impulse acts, m.
    normal_deg : direction, degrees counter-clockwise from +x, in which the normal impulse pushes
        vehicle 1.
    restitution : e in [0, 1], applied to the normal relative velocity at the contact point.
    friction : available inter-vehicle friction (>= 0); a very large value means the contact
        always sticks (common velocity).
    tangential_model : ``common-velocity`` (the default), ``impulse-ratio`` or ``sliding``
        (docs/model.md, Partial impacts), a name or an array of names or codes 0-2.
    impulse_ratio : ``|Pt / Pn|`` of the ``impulse-ratio`` model (>= 0; its sign opposes the
        initial slip, and it is clipped at the critical ratio); the other models ignore it.
    contact_plane_deg : degrees added to ``normal_deg`` (counter-clockwise): the contact plane
        turned from the one given; 0 keeps ``normal_deg``.

    Returns
    -------
    PlanarResult. Invalid cases (status 4) and cases whose contact points are separating
    (status 3) have NaN outputs. With the defaults of the last three parameters the result is
    the common-velocity model's, bit for bit.
    """
    from crashcompat.kernels import planar as kp

    model = tangential_codes(tangential_model)
    if not (type(contact_plane_deg) in _PY_SCALARS and contact_plane_deg == 0):
        normal_deg = np.add(normal_deg, contact_plane_deg)
    args = (m1, izz1, v1x, v1y, w1, r1x, r1y, m2, izz2, v2x, v2y, w2, r2x, r2y,
            normal_deg, restitution, friction, model, impulse_ratio)
    if all(type(a) in _PY_SCALARS for a in args):
        r = kp.planar_one(*(float(a) for a in args), ENERGY_REL_TOL)
        return PlanarResult(*(np.float64(v) for v in r[:9]), np.int8(r[9]))
    shape, inputs = _flat_inputs(PLANAR_ARGS, args)
    n = int(np.prod(shape, dtype=np.int64))
    y = np.empty((9, n))
    status = np.empty(n, dtype=np.int8)
    driver = kp.planar_mixed if n >= SERIAL_BELOW else kp.planar_mixed_serial
    driver(*inputs, ENERGY_REL_TOL, y, status)
    return PlanarResult(*(_shape_out(a, shape) for a in (*y, status)))
