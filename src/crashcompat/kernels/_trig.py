"""Branch-free cosine and sine of an angle in degrees, for vectorised kernels.

numba's llvmlite has no vector math library, so a loop that calls ``math.cos`` cannot be
vectorised. Angles here come in degrees, which allows an exact range reduction: subtract the
nearest multiple of 90 degrees (exact in floating point for the angles of this domain), convert the
remainder in [-45, 45] degrees to radians, and evaluate the Taylor series of sin and cos on
[-pi/4, pi/4] to degree 17 / 16, whose truncation error is below 1e-17. The quadrant is applied
with selects. Accuracy against ``math.cos``/``math.sin`` is tested to 2e-16 absolute.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import scalar

_DEG = math.pi / 180.0
# Taylor coefficients (-1)^k / (2k+1)! and (-1)^k / (2k)!
_S = [(-1.0) ** k / math.factorial(2 * k + 1) for k in range(9)]
_C = [(-1.0) ** k / math.factorial(2 * k) for k in range(9)]
S1, S2, S3, S4, S5, S6, S7, S8 = _S[1:]
C1, C2, C3, C4, C5, C6, C7, C8 = _C[1:]


@scalar
def cos_sin_deg_sf(theta_deg):
    """(cos, sin) of an angle in degrees, without branches."""
    k = np.floor(theta_deg / 90.0 + 0.5)
    x = (theta_deg - 90.0 * k) * _DEG  # |x| <= pi/4
    z = x * x
    s = x + x * z * (S1 + z * (S2 + z * (S3 + z * (S4 + z * (S5 + z * (S6 + z * (S7 + z * S8)))))))
    c = 1.0 + z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * (C6 + z * (C7 + z * C8)))))))
    q = k - 4.0 * np.floor(k * 0.25)  # quadrant 0..3
    cos_ = c if q == 0.0 else (-s if q == 1.0 else (-c if q == 2.0 else s))
    sin_ = s if q == 0.0 else (c if q == 1.0 else (-s if q == 2.0 else -c))
    return cos_, sin_
