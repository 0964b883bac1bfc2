"""Collinear (central) impact with restitution, docs/model.md, Collinear impact.

Two masses on one line; velocities are signed along that line. Vehicle 1 closes on vehicle 2 when
``v1 - v2 > 0``. Newtonian restitution gives (McHenry, "The Algorithms of CRASH"; any mechanics text):

    vc  = v1 - v2                         closing speed, > 0 for an impact
    dv1 = -(1 + e) * m2 / (m1 + m2) * vc
    dv2 = +(1 + e) * m1 / (m1 + m2) * vc
    E   = 0.5 * m1*m2/(m1 + m2) * vc**2 * (1 - e**2)

Status codes as in :class:`crashcompat.errors.Status`: 0 ok, 3 no contact, 4 invalid input.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import at, parallel, prange, scalar, serial

NAN = np.nan


@scalar
def collinear_sf(m1, m2, v1, v2, e):
    """One case, without branches. Returns (dv1, dv2, energy_loss, status)."""
    valid = ((abs(m1 + m2 + v1 + v2 + e) < math.inf) & (m1 > 0.0) & (m2 > 0.0) & (e >= 0.0)
             & (e <= 1.0))
    vc = v1 - v2
    contact = vc > 0.0
    msum = m1 + m2
    j = (1.0 + e) * vc / msum  # impulse per unit (m1*m2): P = m1*m2*j
    loss = 0.5 * (m1 * m2 / msum) * vc * vc * (1.0 - e * e)
    ok = valid & contact
    code = 0 if contact else 3
    code = code if valid else 4
    return (-m2 * j if ok else NAN, m1 * j if ok else NAN, loss if ok else NAN, np.int8(code))


def _collinear_loop(x, y, status):
    # x: (5, n) inputs (m1, m2, v1, v2, e); y: (3, n) outputs (dv1, dv2, loss); status: (n,)
    for i in prange(x.shape[1]):
        a, b, c, d = collinear_sf(x[0, i], x[1, i], x[2, i], x[3, i], x[4, i])
        y[0, i] = a
        y[1, i] = b
        y[2, i] = c
        status[i] = d


def _collinear_mixed(m1, m2, v1, v2, e, y, status):
    # each input a float64 scalar or a 1-D array of length n (see _jit.at); y (3, n)
    for j in prange(y.shape[1]):
        p, q, r, u = collinear_sf(at(m1, j), at(m2, j), at(v1, j), at(v2, j), at(e, j))
        y[0, j] = p
        y[1, j] = q
        y[2, j] = r
        status[j] = u


def _collinear_one(m1, m2, v1, v2, e):
    return collinear_sf(m1, m2, v1, v2, e)


N_IN = 5
N_OUT = 3
#: Parallel driver: ``collinear_grid(x, y, status)`` with x (5, n), y (3, n), status (n,).
collinear_grid = parallel(_collinear_loop)
#: Serial driver with the same signature (benchmarks, tiny inputs).
collinear_serial = serial(_collinear_loop)
#: Drivers over separate inputs, each a scalar or a 1-D array, parallel and serial.
collinear_mixed = parallel(_collinear_mixed)
collinear_mixed_serial = serial(_collinear_mixed)
#: One case from scalars (the per-call path of the API).
collinear_one = serial(_collinear_one)
