"""Accelerometer traces of the validation tests and the figures derived from them.

The traces in ``traces/*.txt`` are hand transcriptions of NHTSA EV5 channel files (each file's
header names the test, the channel, its source and the transcription). :func:`derive` integrates
one of them the way the validation set's "derived" figures were obtained, so the numbers in
``cases.toml`` can be recomputed (tests/test_validation.py does):

- velocity: ``v(t) = v0 + g * sum(a) * dt`` (rectangle rule on the raw, unfiltered samples from
  t = 0; no offset removed: the pre-trigger mean is reported so its effect can be judged);
- delta-v: ``v0 - v_end``, with ``v_end`` the mean velocity over the last 5 ms of the window;
- restitution: ``-v_end / v0`` where the vehicle rebounds (barrier tests);
- time of maximum crush: the first zero crossing of ``v``; dynamic crush: the double integral up
  to it (it includes compartment deformation and drift: an upper estimate);
- pulse duration: the time after which ``v`` stays within 0.05 m/s of ``v_end``;
- mean deceleration: delta-v / pulse duration; peak: the largest 10 ms moving average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crashcompat.units import G0, KPH

__all__ = ["TRACES_DIR", "Trace", "load_trace", "derive"]

TRACES_DIR = Path(__file__).resolve().parent / "traces"


@dataclass(frozen=True)
class Trace:
    """One channel: acceleration in g at ``t0_s + i * dt_s``, and its header text."""

    name: str
    t0_s: float
    dt_s: float
    accel_g: np.ndarray
    header: str

    @property
    def t_s(self) -> np.ndarray:
        return self.t0_s + self.dt_s * np.arange(self.accel_g.size)


def load_trace(name: str) -> Trace:
    """The trace ``traces/<name>.txt`` (for example ``"nhtsa-10146-ch093"``)."""
    path = TRACES_DIR / f"{name}.txt"
    header, values, meta = [], [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            text = line[1:].strip()
            header.append(text)
            if "=" in text and text.split("=")[0].strip() in ("t0_s", "dt_s", "n"):
                key, val = (s.strip() for s in text.split("=", 1))
                meta[key] = float(val)
        elif line.strip():
            values += [float(x) for x in line.split()]
    a = np.array(values)
    if a.size != int(meta["n"]):
        raise ValueError(f"{path}: header says n = {int(meta['n'])} samples, found {a.size}")
    return Trace(name, meta["t0_s"], meta["dt_s"], a, "\n".join(header))


def derive(trace: Trace, v0_kph: float, *, settle_mps: float = 0.05,
           end_window_s: float = 0.005) -> dict:
    """The derived figures of one longitudinal trace, with initial velocity ``v0_kph`` along the
    channel's axis (positive forward). See the module docstring for the definitions."""
    t = trace.t_s
    pre = trace.accel_g[t < 0]
    a = trace.accel_g[t >= -1e-12]
    t = t[t >= -1e-12]
    dt = trace.dt_s
    v0 = v0_kph * KPH
    v = v0 + np.cumsum(a) * dt * G0
    n_end = max(1, int(round(end_window_s / dt)))
    v_end = float(v[-n_end:].mean())
    out = {"samples": int(a.size), "window_end_ms": float(t[-1] * 1e3),
           "pre_trigger_mean_g": float(pre.mean()) if pre.size else math.nan,
           "dv_kph": (v0 - v_end) / KPH, "final_speed_kph": v_end / KPH,
           "max_dv_kph": (v0 - float(v.min())) / KPH if v0 > 0 else -float(v.min()) / KPH,
           "tail_mean_g": float(a[-int(round(0.02 / dt)):].mean())}
    unsettled = np.nonzero(np.abs(v - v_end) > settle_mps)[0]
    duration = float(t[unsettled[-1]]) if unsettled.size else 0.0
    out["pulse_duration_ms"] = duration * 1e3
    out["mean_accel_g"] = (v0 - v_end) / duration / G0 if duration > 0 else math.nan
    k = int(round(0.010 / dt))
    moving = np.convolve(a, np.ones(k) / k, mode="valid")
    out["peak_accel_g"] = float(-moving.min()) if v0 > 0 else float(np.abs(moving).max())
    if v0 > 0 and v_end < 0:
        out["restitution"] = -v_end / v0
        i0 = int(np.argmax(v <= 0.0))
        out["time_to_max_crush_ms"] = float(t[i0] * 1e3)
        out["max_dynamic_crush_m"] = float(np.sum(v[:i0 + 1]) * dt)
    return out
