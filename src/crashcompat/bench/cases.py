"""Input generators shared by the benchmarks, ``crashcompat bench`` and the baseline tests.

Plausible passenger-vehicle impacts (masses 600-4100 kg, radii of gyration 1.0-1.6 m, lever arms
within a car's outline, speeds up to 40 m/s), deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np


def collinear_inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(600, 1100, n), rng.uniform(1800, 4100, n), rng.uniform(5, 35, n),
            rng.uniform(-35, 0, n), rng.uniform(0.05, 0.3, n)]


def planar_inputs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    m1 = rng.uniform(600, 1100, n)
    m2 = rng.uniform(1800, 4100, n)
    return [
        m1, m1 * rng.uniform(1.0, 1.6, n) ** 2, rng.uniform(5, 35, n), rng.uniform(-3, 3, n),
        np.zeros(n), rng.uniform(1.2, 1.8, n), rng.uniform(-0.7, 0.7, n),
        m2, m2 * rng.uniform(1.2, 1.8, n) ** 2, rng.uniform(-35, 0, n), rng.uniform(-3, 3, n),
        np.zeros(n), rng.uniform(-2.9, -2.2, n), rng.uniform(-1.0, 1.0, n),
        rng.uniform(160, 200, n), rng.uniform(0.05, 0.3, n), rng.uniform(0.3, 0.7, n),
    ]


def pulse_inputs(n: int, seed: int = 1):
    """Packed pulse-kernel inputs (kernels.pulse layout): kei car (650-1100 kg) against pickups/SUVs (1500-4200 kg), 5-40 m/s closing speed."""
    from crashcompat.kernels import pulse as kp

    rng = np.random.default_rng(seed)
    P = np.zeros((kp.N_IN, n))
    P[kp.I_M1] = rng.uniform(650, 1100, n)
    P[kp.I_M2] = rng.uniform(1500, 4200, n)
    P[kp.I_VC] = rng.uniform(5, 40, n)
    P[kp.I_E] = rng.uniform(0.0, 0.3, n)
    P[kp.I_K1] = rng.uniform(4e5, 1.2e6, n)
    P[kp.I_K2] = rng.uniform(8e5, 3e6, n)
    P[kp.I_A1] = rng.uniform(3e4, 8e4, n)
    P[kp.I_B1] = rng.uniform(3e5, 9e5, n)
    P[kp.I_A2] = rng.uniform(5e4, 1.2e5, n)
    P[kp.I_B2] = rng.uniform(8e5, 2e6, n)
    P[kp.I_W1] = 1.4
    P[kp.I_W2] = 1.8
    P[kp.I_G1] = rng.uniform(0.5, 1.0, n)
    P[kp.I_G2] = 1.0
    P[kp.I_CS1] = 0.6
    P[kp.I_CS2] = 0.9
    P[kp.I_TH1] = rng.uniform(-0.5, 0.5, n)
    P[kp.I_TH2] = rng.uniform(-0.5, 0.5, n)
    return P
