"""Array drivers of the shared formulas, for the public Python API (restitution model, risk
curves and their sector rule at a given PDOF). Serial loops: these are called on arrays of any
size from Python, and a serial loop never wakes the thread pool for a handful of values."""

from __future__ import annotations

from crashcompat.kernels._jit import serial
from crashcompat.kernels.formulas import (added_load_sf, force_from_pdof_sf, restitution_sf,
                                          risk_sf, sector_sf)

NAN = float("nan")


def _restitution_array(vc, rmod, out):
    # vc (n,) closing speeds, m/s; rmod (e_lo, e_hi, v_ref); out (n,)
    for i in range(vc.shape[0]):
        out[i] = restitution_sf(NAN, vc[i], rmod[0], rmod[1], rmod[2])


def _risk_array(curves, k, dv, pdof, with_pdof, out):
    # probability of curve row k at delta-v dv (m/s) and PDOF (deg); with_pdof 0: frontal
    for i in range(dv.shape[0]):
        fx, fy = force_from_pdof_sf(pdof[i] if with_pdof else 0.0)
        out[i] = risk_sf(curves, k, dv[i], fx, fy)


def _sector_array(pdof, side, rear):
    for i in range(pdof.shape[0]):
        fx, fy = force_from_pdof_sf(pdof[i])
        s, r = sector_sf(fx, fy)
        side[i] = s if pdof[i] == pdof[i] else NAN
        rear[i] = r if pdof[i] == pdof[i] else NAN


restitution_array = serial(_restitution_array)
risk_array = serial(_risk_array)
sector_array = serial(_sector_array)


def _added_load_array(m, izz, load, m_out, izz_out):
    for i in range(m.shape[0]):
        m_out[i], izz_out[i] = added_load_sf(m[i], izz[i], load[i])


added_load_array = serial(_added_load_array)
