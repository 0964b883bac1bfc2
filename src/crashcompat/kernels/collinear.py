"""Collinear (central) impact with restitution, PHYSICS.md section 1.

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

from crashcompat.kernels._jit import parallel, prange, scalar, serial

NAN = np.nan


@scalar
def collinear_sf(m1, m2, v1, v2, e):
    """One case. Returns (dv1, dv2, energy_loss, status)."""
    valid = (
        math.isfinite(m1)
        and math.isfinite(m2)
        and math.isfinite(v1)
        and math.isfinite(v2)
        and m1 > 0.0
        and m2 > 0.0
        and e >= 0.0
        and e <= 1.0
    )
    if not valid:
        return NAN, NAN, NAN, np.int8(4)
    vc = v1 - v2
    if not vc > 0.0:
        return NAN, NAN, NAN, np.int8(3)
    msum = m1 + m2
    j = (1.0 + e) * vc / msum  # impulse per unit (m1*m2): P = m1*m2*j
    dv1 = -m2 * j
    dv2 = m1 * j
    loss = 0.5 * (m1 * m2 / msum) * vc * vc * (1.0 - e * e)
    return dv1, dv2, loss, np.int8(0)


def _collinear_loop(m1, m2, v1, v2, e, s, dv1, dv2, loss, status):
    # s[k] is 1 when input k has one value per case and 0 when it is one value for all cases.
    for i in prange(dv1.shape[0]):
        a, b, c, d = collinear_sf(m1[i * s[0]], m2[i * s[1]], v1[i * s[2]], v2[i * s[3]], e[i * s[4]])
        dv1[i] = a
        dv2[i] = b
        loss[i] = c
        status[i] = d


#: Parallel driver: fills ``dv1, dv2, loss, status`` (length n) from inputs of length n or 1.
collinear_grid = parallel(_collinear_loop)
#: Serial driver with the same signature (benchmarks, tiny inputs).
collinear_serial = serial(_collinear_loop)
