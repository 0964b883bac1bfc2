"""Counter-based random numbers, inverse-CDF draws and fixed-bin quantile histograms for the
Monte Carlo grid kernel. The distributions themselves, with their sources, are a table in
:mod:`crashcompat.runs.uncertainty`; this module only evaluates them.

**Random numbers.** A draw is a pure function of its coordinates,
``u = H(seed, stream, crash, sample, variable)`` (``stream`` 0 and ``crash`` :data:`RUN_KEY` for a
variable drawn once per sample for the whole run), where ``H`` chains the splitmix64 finaliser
(Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; the
``SplitMix64`` generator of Java 8 and of Vigna's xoshiro seeding) over the five integers. No
generator state is carried from one draw to the next, so a case gets the same draws whichever
thread, chunk or order computes it, and every vehicle in the same crash (same partner,
configuration, speeds and sample) gets the same draws: common random numbers, so a subject and
its reference car are compared under the same assumptions. ``u`` has 53 random bits and lies in
(0, 1) (the centre of its 2^-53 cell), never 0 or 1.

**Draws** (:func:`draw_sf`) invert a distribution row of the table ``dist`` (``D_*`` columns):
uniform on [a, b]; a power of a uniform, ``(a + u (b - a))^c`` (the stiffness scale implied by
a uniform crush-depth error: k ~ C^-2); or a discrete distribution of up to ``D_NMAX`` values
with cumulative probabilities. With a zero-width row (a = b, or one value) the draw is that
value exactly, so the Monte Carlo collapses onto the nominal inputs bit for bit.

**Histograms** (:func:`hist_fill_sf`, :func:`hist_finish_sf`): fixed bins on a log-linear
("floating-point", HDR-histogram-like) scale. Zero has its own bin; a positive value
``x = f 2^e`` (``f`` in [0.5, 1)) falls in octave ``e`` between ``2^HIST_EMIN`` and
``2^HIST_EMAX``, split into ``HIST_SUB`` equal sub-bins. A sub-bin is at most ``x / HIST_SUB``
wide, so the bin's midpoint is within ``x / (2 HIST_SUB)`` (0.2 %) of any value in it. A
quantile is the midpoint of the bin that holds the order statistic of rank ``ceil(q n)`` (the
"inverted CDF" sample quantile, ``numpy.percentile(..., method="inverted_cdf")``), clamped to the
exact minimum and maximum of the values added, so the stated error is **at most 0.2 % of the
value** (for values in [2^-44, 2^12], 5.7e-14 to 4096; outside, the estimate is the exact
minimum or maximum side of the under/overflow bin), and **exact** when every value is equal.
Each histogram tracks the range of non-zero bins it has touched, so a reset and a quantile scan
cost that range, not the whole array.
"""

from __future__ import annotations

import math

import numpy as np

from crashcompat.kernels._jit import scalar, scalar_call

__all__ = ["splitmix64_sf", "uniform_sf", "draw_sf", "variable_sf", "RUN_KEY", "SCOPE_RUN",
           "SCOPE_CRASH", "D_SCOPE", "hist_bin_sf", "hist_mid_sf",
           "hist_fill_sf", "hist_finish_sf", "D_COLS", "D_NMAX",
           "KIND_UNIFORM", "KIND_POWER", "KIND_DISCRETE", "HIST_SUB", "HIST_EMIN", "HIST_EMAX",
           "HIST_BINS", "HIST_REL_ERROR", "N_VARS", "V_GEOMETRY"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 2.0 ** -53

#: Distribution kinds (column ``D_KIND`` of a distribution row).
KIND_UNIFORM, KIND_POWER, KIND_DISCRETE = 0.0, 1.0, 2.0
#: Distribution row columns: kind, a, b, c, scope, then up to D_NMAX values and their
#: cumulative probabilities (discrete only; the last used cumulative probability is 1). Scope 0:
#: one draw per sample for the whole run (what is not known about the model: every crash of the
#: sample, and the far-side companion run, get the same value); scope 1: one draw per crash
#: and sample (what varies from crash to crash).
D_KIND, D_A, D_B, D_C, D_SCOPE = 0, 1, 2, 3, 4
D_NMAX = 6
D_V0 = 5
SCOPE_RUN, SCOPE_CRASH = 0.0, 1.0
#: The crash coordinate of run-wide draws (no crash index reaches it).
RUN_KEY = 1 << 40
D_P0 = D_V0 + D_NMAX
D_COLS = D_P0 + D_NMAX

#: Histogram layout: bin 0 holds zeros (and anything <= 0), bin 1 values below 2^HIST_EMIN,
#: bins 2 .. 2 + octaves * HIST_SUB - 1 the octaves, the last bin values of 2^HIST_EMAX and above.
HIST_SUB = 256
HIST_EMIN = -44
HIST_EMAX = 12
HIST_BINS = 3 + (HIST_EMAX - HIST_EMIN) * HIST_SUB
#: Largest error of a quantile as a fraction of the value (half a sub-bin of an octave's start).
HIST_REL_ERROR = 0.5 / HIST_SUB

#: Monte Carlo variables, the rows of the distribution table in this order
#: (:data:`crashcompat.runs.uncertainty.ASSUMPTIONS` describes each). Subject-side variables are
#: shared by every subject and reference vehicle in a crash; partner-side ones by nobody else.
(V_E_LO, V_E_HI, V_FRICTION, V_K1, V_K2, V_IZZ1, V_IZZ2, V_SEAT1X, V_SEAT1Y, V_SEAT2X, V_SEAT2Y,
 V_LOAD1, V_LOAD2, V_SPACE1) = range(14)
N_VARS = 14
#: The draw that picks one of the run's geometry variants (angle/offset jitter), a plain uniform.
V_GEOMETRY = N_VARS


@scalar
def splitmix64_sf(x):
    """The splitmix64 finaliser of the uint64 ``x + golden gamma`` (Steele, Lea & Flood 2014)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@scalar
def uniform_sf(seed, stream, crash, sample, var):
    """The uniform draw in (0, 1) at (seed, stream, crash, sample, variable), non-negative
    integers: a chain of splitmix64 over the five, 53 bits, the centre of its cell."""
    h = splitmix64_sf(np.uint64(seed))
    h = splitmix64_sf(h ^ np.uint64(stream))
    h = splitmix64_sf(h ^ np.uint64(crash))
    h = splitmix64_sf(h ^ np.uint64(sample))
    h = splitmix64_sf(h ^ np.uint64(var))
    return (np.float64(h >> _S11) + 0.5) * _TWO_M53


@scalar
def variable_sf(dist, k, seed, stream, crash, sample):
    """The draw of variable ``k`` (row ``k`` of ``dist``) in this crash and sample: its scope
    says whether the crash (and the stream) enter the key (:data:`D_SCOPE`)."""
    if dist[k, D_SCOPE] == SCOPE_CRASH:
        return draw_sf(dist, k, uniform_sf(seed, stream, crash, sample, k))
    return draw_sf(dist, k, uniform_sf(seed, 0, RUN_KEY, sample, k))


@scalar
def draw_sf(dist, k, u):
    """The value of distribution row ``k`` of ``dist`` at the uniform ``u`` (inverse CDF)."""
    kind = dist[k, D_KIND]
    a = dist[k, D_A]
    b = dist[k, D_B]
    if kind == KIND_UNIFORM:
        return a + u * (b - a)
    if kind == KIND_POWER:
        return (a + u * (b - a)) ** dist[k, D_C]
    for j in range(D_NMAX - 1):
        if u < dist[k, D_P0 + j]:
            return dist[k, D_V0 + j]
    return dist[k, D_V0 + D_NMAX - 1]


@scalar
def hist_bin_sf(x):
    """Bin of ``x`` (not NaN) in the log-linear layout described in the module docstring."""
    if not x > 0.0:
        return 0
    f, e = math.frexp(x)
    if e <= HIST_EMIN:
        return 1
    if e > HIST_EMAX:
        return HIST_BINS - 1
    j = int((f - 0.5) * (2 * HIST_SUB))
    return 2 + (e - HIST_EMIN - 1) * HIST_SUB + min(j, HIST_SUB - 1)


@scalar
def hist_mid_sf(b):
    """A representative value of bin ``b``: the midpoint of an octave sub-bin; 0 for the zero
    bin; the edges 2^HIST_EMIN and 2^HIST_EMAX for the under- and overflow bins (the caller
    clamps to the exact minimum and maximum)."""
    if b == 0:
        return 0.0
    if b == 1:
        return math.ldexp(1.0, HIST_EMIN)
    if b == HIST_BINS - 1:
        return math.ldexp(1.0, HIST_EMAX)
    o = (b - 2) // HIST_SUB
    j = (b - 2) - o * HIST_SUB
    return math.ldexp(1.0 + (j + 0.5) / HIST_SUB, HIST_EMIN + o)


@scalar_call
def hist_fill_sf(values, counts, lo, hi, n, mn, mx):
    """Add ``values[h]`` to histogram ``h`` for every ``h`` (one sample's value of every
    statistic); NaN is not counted. One call per sample: the arrays cross one call boundary,
    not one per value (each array argument costs a reference-count update per call)."""
    for h in range(values.shape[0]):
        x = values[h]
        if not math.isnan(x):
            b = hist_bin_sf(x)
            counts[h, b] += 1
            if b > 0:  # the touched range leaves the zero bin out: zeros and small values
                lo[h] = min(lo[h], b)  # would otherwise span thousands of empty bins
                hi[h] = max(hi[h], b)
            n[h] += 1
            mn[h] = min(mn[h], x)
            mx[h] = max(mx[h], x)


@scalar_call
def hist_finish_sf(qs, out, counts, lo, hi, n, mn, mx):
    """Quantiles ``qs`` (increasing, in (0, 1]) of every histogram ``h`` into ``out[h, :]``,
    then empty it (only the bins it touched are cleared). A quantile is the midpoint of the bin
    holding the order statistic of rank ``ceil(q n)``, clamped to the exact minimum and maximum;
    NaN for an empty histogram."""
    nq = qs.shape[0]
    for h in range(counts.shape[0]):
        nn = n[h]
        if nn == 0:
            for k in range(nq):
                out[h, k] = np.nan
        else:
            k = 0
            rank = max(1, int(math.ceil(qs[0] * nn)))
            cum = counts[h, 0]
            while k < nq and cum >= rank:  # quantiles in the zero bin
                out[h, k] = min(max(0.0, mn[h]), mx[h])
                k += 1
                if k < nq:
                    rank = max(1, int(math.ceil(qs[k] * nn)))
            for b in range(lo[h], hi[h] + 1):
                if k == nq:
                    break
                cum += counts[h, b]
                while k < nq and cum >= rank:
                    out[h, k] = min(max(hist_mid_sf(b), mn[h]), mx[h])
                    k += 1
                    if k < nq:
                        rank = max(1, int(math.ceil(qs[k] * nn)))
            while k < nq:  # rounding of q * n above n: the maximum
                out[h, k] = mx[h]
                k += 1
        counts[h, 0] = 0
        for b in range(lo[h], hi[h] + 1):
            counts[h, b] = 0
        lo[h] = HIST_BINS
        hi[h] = -1
        n[h] = 0
        mn[h] = np.inf
        mx[h] = -np.inf
