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
