"""Compiled kernels of single memristive devices driven by a voltage source (one state ``x``).

One kernel pair (``rhs``, ``jac``) per device type; window, parameters and the source are all in
the params tuple, so every window, every parameter set and every waveform share one compiled
loop. The equations and their references are in :mod:`circuits.devices`.

``x`` is the normalised state, ``x = 1`` the low-resistance (ON) end, ``x = 0`` the OFF end.
Window-free models have no meaning outside ``[0, 1]``: there the kernels return NaN, which
makes an adaptive solver shrink its step onto the boundary and stop with a non-finite status
(an event of leaving the physical range, located to the resolution of ``t``).
"""
import math

from numba.core.extending import register_jitable

from ._kernels_sources import source_value

WIN_NONE = 0
WIN_JOGLEKAR = 1
WIN_BIOLEK = 2
WIN_PRODROMAKIS = 3

RES_LINEAR = 0
RES_EXPONENTIAL = 1


@register_jitable
def window(code, x, d, p, j):
    """Window ``f(x)``; ``d`` is the direction of motion (``d > 0``: x rising), read by Biolek's
    window only. ``p`` is integer-valued for Joglekar and Biolek, so ``z ** (2 p)`` is exact
    for negative ``z`` too."""
    if code == WIN_JOGLEKAR:
        z = 2.0 * x - 1.0
        return 1.0 - z ** (2.0 * p)
    if code == WIN_BIOLEK:
        # stp(-i) = 1 for i <= 0 (Biolek et al. 2009)
        s = 0.0 if d > 0.0 else 1.0
        z = x - s
        return 1.0 - z ** (2.0 * p)
    if code == WIN_PRODROMAKIS:
        z = x - 0.5
        return j * (1.0 - (z * z + 0.75) ** p)
    return 1.0


@register_jitable
def window_dx(code, x, d, p, j):
    """``d f / d x`` at fixed direction ``d``."""
    if code == WIN_JOGLEKAR:
        z = 2.0 * x - 1.0
        return -4.0 * p * z ** (2.0 * p - 1.0)
    if code == WIN_BIOLEK:
        s = 0.0 if d > 0.0 else 1.0
        z = x - s
        return -2.0 * p * z ** (2.0 * p - 1.0)
    if code == WIN_PRODROMAKIS:
        z = x - 0.5
        return -2.0 * j * p * z * (z * z + 0.75) ** (p - 1.0)
    return 0.0


# ------------------------------------------------------------------ HP linear ion drift
# params: (R_on, R_off, k0, win, p, j, kind, par, ptr, ts, vs),  k0 = mu_v R_on / D^2

def hp_rhs(t, y, P, dydt):
    R_on, R_off, k0, win, p, j, kind, par, ptr, ts, vs = P
    x = y[0]
    if win == WIN_NONE and not (0.0 <= x <= 1.0):
        dydt[0] = math.nan
        return
    M = R_on * x + R_off * (1.0 - x)
    if not M > 0.0:
        dydt[0] = math.nan
        return
    i = source_value(0, t, kind, par, ptr, ts, vs) / M
    dydt[0] = k0 * i * window(win, x, i, p, j)


def hp_jac(t, y, P, J):
    R_on, R_off, k0, win, p, j, kind, par, ptr, ts, vs = P
    x = y[0]
    if win == WIN_NONE and not (0.0 <= x <= 1.0):
        J[0, 0] = math.nan
        return
    M = R_on * x + R_off * (1.0 - x)
    if not M > 0.0:
        J[0, 0] = math.nan
        return
    i = source_value(0, t, kind, par, ptr, ts, vs) / M
    di = i * (R_off - R_on) / M  # d i / d x at fixed v
    J[0, 0] = k0 * (di * window(win, x, i, p, j) + i * window_dx(win, x, i, p, j))


# ------------------------------------------------------------------ VTEAM
# params: (c_on, c_off, a_on, a_off, v_on, v_off, win, p, j, kind, par, ptr, ts, vs) with
# c_on = -k_on / (w_off - w_on) > 0 and c_off = k_off / (w_off - w_on) > 0

@register_jitable
def _vteam_rate(v, c_on, c_off, a_on, a_off, v_on, v_off):
    """``g(v)`` of ``dx/dt = g(v) f(x)``: zero between the thresholds (exactly)."""
    if v > v_off:
        return -c_off * (v / v_off - 1.0) ** a_off
    if v < v_on:
        return c_on * (v / v_on - 1.0) ** a_on
    return 0.0


def vteam_rhs(t, y, P, dydt):
    c_on, c_off, a_on, a_off, v_on, v_off, win, p, j, kind, par, ptr, ts, vs = P
    x = y[0]
    if win == WIN_NONE and not (0.0 <= x <= 1.0):
        dydt[0] = math.nan
        return
    v = source_value(0, t, kind, par, ptr, ts, vs)
    g = _vteam_rate(v, c_on, c_off, a_on, a_off, v_on, v_off)
    if g == 0.0:
        dydt[0] = 0.0
        return
    dydt[0] = g * window(win, x, g, p, j)


def vteam_jac(t, y, P, J):
    c_on, c_off, a_on, a_off, v_on, v_off, win, p, j, kind, par, ptr, ts, vs = P
    x = y[0]
    if win == WIN_NONE and not (0.0 <= x <= 1.0):
        J[0, 0] = math.nan
        return
    v = source_value(0, t, kind, par, ptr, ts, vs)
    g = _vteam_rate(v, c_on, c_off, a_on, a_off, v_on, v_off)
    if g == 0.0:
        J[0, 0] = 0.0
        return
    J[0, 0] = g * window_dx(win, x, g, p, j)
