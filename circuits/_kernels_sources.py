"""Compiled evaluation of voltage sources (see :mod:`circuits.sources` for the encoding).

A block of ``m`` sources is five arrays ``(kind, par, ptr, ts, vs)``: ``kind[k]`` selects the
waveform of source ``k``, ``par[k]`` holds its numbers, and a sampled source ``k`` owns
``ts[ptr[k]:ptr[k+1]]`` / ``vs[ptr[k]:ptr[k+1]]``. Every circuit kernel reads sources through
:func:`source_value`, so one compiled circuit serves every waveform.
"""
import math

from numba.core.extending import register_jitable

CONSTANT = 0
SINE = 1
TRIANGLE = 2
PULSES = 3
SAMPLED_ZOH = 4
SAMPLED_LINEAR = 5

# par columns: 0 offset, 1 amplitude, 2 angular frequency (sine) / frequency (triangle) /
# period (pulses), 3 phase (radians) / delay (pulses), 4 pulse width
N_PAR = 5


@register_jitable
def _sample(t, ts, vs, lo, hi, linear):
    if not t > ts[lo]:  # before the first sample, or at it: hold the first value
        return vs[lo]
    if t >= ts[hi - 1]:
        return vs[hi - 1]
    a = lo  # invariant: ts[a] <= t < ts[b]
    b = hi - 1
    while b - a > 1:
        mid = (a + b) // 2
        if ts[mid] <= t:
            a = mid
        else:
            b = mid
    if not linear:
        return vs[a]
    return vs[a] + (t - ts[a]) / (ts[b] - ts[a]) * (vs[b] - vs[a])


@register_jitable
def source_value(k, t, kind, par, ptr, ts, vs):
    """Voltage of source ``k`` at time ``t``."""
    kd = kind[k]
    off = par[k, 0]
    if kd == CONSTANT:
        return off
    if kd == SINE:
        return off + par[k, 1] * math.sin(par[k, 2] * t + par[k, 3])
    if kd == TRIANGLE:
        # phase-aligned with the sine: 0 at t = 0, rising, peak at a quarter period
        s = par[k, 2] * t + 0.25 + par[k, 3] / (2.0 * math.pi)
        s -= math.floor(s)
        return off + par[k, 1] * (1.0 - 4.0 * abs(s - 0.5))
    if kd == PULSES:
        tau = t - par[k, 3]
        if tau < 0.0:
            return off
        period = par[k, 2]
        ph = tau - period * math.floor(tau / period)
        if ph < par[k, 4]:
            return off + par[k, 1]
        return off
    return off + _sample(t, ts, vs, ptr[k], ptr[k + 1], kd == SAMPLED_LINEAR)


@register_jitable
def sources_into(t, kind, par, ptr, ts, vs, out):
    """``out[k]`` = voltage of every source at time ``t``."""
    for k in range(out.shape[0]):
        out[k] = source_value(k, t, kind, par, ptr, ts, vs)
