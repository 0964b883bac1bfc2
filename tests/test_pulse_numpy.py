"""The vectorised NumPy baseline of the pulse kernel (crashcompat.bench.baselines_pulse) against the
kernel: same statuses, same NaN rows, same values to rounding.

Tolerance: ``rtol=1e-9, atol=1e-9`` (SI units). The baseline replicates the kernel's stepping
(Verlet loading of CRASH3 with the same event split, the belt's Verlet over the same samples, the
same Newton / Illinois iterations), so the only differences are rounding: ``cos``/``sin`` per sample
where the kernel rotates (about 1e-13 relative after 10^3 samples), and fused multiply-adds placed
by LLVM. Measured worst case on these inputs: 2e-13 relative on the large outputs; the absolute
floor covers window averages (ORA) of near-zero deceleration, which are differences of two equal
velocities over 10 ms (1e-13 m/s^2 absolute).
"""

from __future__ import annotations

import numpy as np
import pytest

from crashcompat.bench.baselines_pulse import pulse_numpy
from crashcompat.kernels import pulse as kp
from crashcompat.severity.pulse import OccupantParams

from test_pulse import _random_inputs

RTOL = ATOL = 1e-9


def _kernel(model, P, occ, dt, max_steps):
    out = np.empty((kp.N_OUT, P.shape[1]))
    status = np.empty(P.shape[1], np.int8)
    kp.pulse_serial(model, P, occ, dt, max_steps, out, status)
    return out, status


def _assert_equal_to_kernel(model, P, occ, dt=2e-4, max_steps=5000, chunk=4096):
    out_k, st_k = _kernel(model, P, occ, dt, max_steps)
    out_n, st_n = pulse_numpy(model, P, occ, dt, max_steps, chunk=chunk)
    np.testing.assert_array_equal(st_n, st_k)
    assert st_n.dtype == np.int8 and out_n.shape == out_k.shape
    for r, name in enumerate(kp.OUT_NAMES):
        np.testing.assert_allclose(out_n[r], out_k[r], rtol=RTOL, atol=ATOL, err_msg=name)
    return out_n, st_n


@pytest.mark.parametrize("model", [kp.MODEL_LINEAR, kp.MODEL_CRASH3])
@pytest.mark.parametrize("dt", [2e-4, 7e-5])
def test_numpy_baseline_equals_kernel(model, dt):
    P = _random_inputs(600, 11, model)
    occ = OccupantParams().as_array()
    # small chunks: several chunks, each with its own number of samples
    out, st = _assert_equal_to_kernel(model, P, occ, dt=dt, chunk=128)
    assert st[3] == kp.STATUS_INVALID and st[5] == kp.STATUS_INVALID
    assert st[7] == kp.STATUS_NO_CONTACT and st[9] == kp.STATUS_OK
    assert np.isnan(out[:, st != 0]).all() and np.isfinite(out[:, st == 0]).all()


@pytest.mark.parametrize("model", [kp.MODEL_LINEAR, kp.MODEL_CRASH3])
def test_numpy_baseline_other_occupant_parameters(model):
    """ORA window not a whole number of steps (interpolated window ends), zero slack, and
    no belt (kappa = 0 is outside OccupantParams' range but the kernel accepts it)."""
    P = _random_inputs(300, 12, model)
    occ = OccupantParams(ora_window_s=0.0107, belt_slack_m=0.0, flail_y_m=0.2).as_array()
    _assert_equal_to_kernel(model, P, occ)
    occ[kp.Q_KAPPA] = 0.0
    _assert_equal_to_kernel(model, P, occ)


@pytest.mark.parametrize("model", [kp.MODEL_LINEAR, kp.MODEL_CRASH3])
def test_numpy_baseline_invalid_inputs_and_step_budget(model):
    P = _random_inputs(40, 13, model)
    P[kp.I_G1, 0] = 0.0
    P[kp.I_CS2, 1] = -1.0
    P[kp.I_TH2, 2] = np.inf
    P[kp.I_M2, 4] = 0.0
    if model == kp.MODEL_LINEAR:
        P[kp.I_K1, 6] = np.nan
    else:
        P[kp.I_A1, 6] = -1.0
        P[kp.I_W2, 8] = 0.0
    occ = OccupantParams().as_array()
    out, st = _assert_equal_to_kernel(model, P, occ)
    bad = [0, 1, 2, 3, 4, 5, 6] + ([8] if model == kp.MODEL_CRASH3 else [])
    assert (st[bad] == kp.STATUS_INVALID).all() and np.isnan(out[:, bad]).all()
    # a step budget too small for every case: status 5 and NaN (the valid ones)
    out, st = _assert_equal_to_kernel(model, P, occ, max_steps=10)
    assert (st[st != 4][1:] == kp.STATUS_NOT_SEPARATED).all()
    # an unknown model number is invalid for every case (as in the kernel)
    if model == kp.MODEL_CRASH3:
        _, st = _assert_equal_to_kernel(7, P, occ)
        assert (st == kp.STATUS_INVALID).all()


def test_numpy_baseline_mixed_budget():
    """Some cases separate within the budget, some do not, in one chunk."""
    P = _random_inputs(200, 14, kp.MODEL_CRASH3)
    occ = OccupantParams().as_array()
    for model in (kp.MODEL_LINEAR, kp.MODEL_CRASH3):
        _, st = _assert_equal_to_kernel(model, P, occ, max_steps=400)
        assert (st == kp.STATUS_NOT_SEPARATED).any() and (st == kp.STATUS_OK).any()
