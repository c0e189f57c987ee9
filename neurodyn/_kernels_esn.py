"""Echo-state network kernels: the compiled reservoir loops, a vectorizable tanh, the
continuous-time ESN right-hand side and Jacobian, and the Mackey-Glass integrator.

Discrete leaky ESN (one step, ``a`` = leak rate, ``f`` = activation):

    x[t] = (1 - a) x[t-1] + a f(W x[t-1] + Win u[t] + b + Wfb y[t-1])

The loops (``esn_loop`` and friends) are ``numba.njit(cache=True, nogil=True)`` functions of
this module: compiled once per machine (cached on disk), shared by every ESN whatever its size.
All reservoir data are arguments. W is either CSR (kept sparse: a gather per row) or dense
(stored transposed so the product is a scatter along contiguous rows, which vectorizes).

Why a tanh of our own: Numba's ``math.tanh`` is a scalar libm call (measured 15 ns per
element here, AMD EPYC with AVX2, numba 0.68 without SVML), and ``np.tanh`` inside Numba is
the same call. For ESN W4 (N = 1000, 20,000 steps) that is 0.3 s, more than the sparse product.
``tanh_inplace`` evaluates Cephes' tanh (rational approximation for |x| <= 0.625, else
``1 - 2 / (exp(2|x|) + 1)``) with an exp built from a Cody-Waite reduction, a degree-13
Taylor polynomial and an exact power of two assembled by selects. Written as two simple loops
(exp first, then the rest) LLVM vectorizes both (one fused loop it refused to vectorize), and it
costs about 5 ns per element; its error against ``np.tanh`` is at most 2 ulp (tested).

The continuous-time kernels (``cesn_rhs``/``cesn_jac``) follow the engine's protocol
(``rhs(t, y, p, dydt)``) and use ``math.tanh``: the adaptive solvers evaluate them far fewer
times per unit of work, and they must stay plain restricted Python.

Kernels trust their inputs: ``neurodyn.esn`` validates everything.
"""
import math

import numpy as np
from numba import njit
from numba.core.extending import register_jitable

from ._kernels_ctrnn import _sample_position

__all__ = ["ACT_TANH", "ACT_IDENTITY", "ACTIVATIONS", "tanh_inplace", "esn_loop",
           "cesn_rhs", "cesn_jac", "mackey_glass_rk4", "narma_loop"]

ACT_TANH = 0
ACT_IDENTITY = 1
ACTIVATIONS = {"tanh": ACT_TANH, "identity": ACT_IDENTITY}

_JIT = dict(cache=True, nogil=True, error_model="numpy")

# Cody-Waite split of ln 2 (the high part has trailing zero bits, so k * LN2_HI is exact).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.44269504088896338700e+00
_ROUND_MAGIC = 6755399441055744.0  # 1.5 * 2^52: adding and subtracting rounds to an integer
# Cephes tanh.c, |x| <= 0.625: tanh x = x + x^3 P(x^2) / Q(x^2); peak relative error 2.5e-16.
_P0 = -9.64399179425052238628e-1
_P1 = -9.92877231001918586564e1
_P2 = -1.61468768441708447952e3
_Q0 = 1.12811678491632931402e2
_Q1 = 2.23548839060100448583e3
_Q2 = 4.84406305325125486048e3
# Above this |x|, tanh(x) rounds to +-1 (1 - tanh 20 = 8.5e-18 < eps/2); clamping here keeps
# exp(2|x|) < 2^58, which the six-bit power of two below covers.
_TANH_CLAMP = 20.0


@register_jitable
def _exp_reduced(y):
    """exp(y) for 0 <= y <= 40, branch-free (selects only) so that loops over it vectorize."""
    # k = round(y / ln 2) by the 1.5 * 2^52 trick: AVX2 has no packed double -> int64
    # conversion, so float(int(.)) kept the loop scalar there (measured 16 % slower).
    k = (y * _LOG2E + _ROUND_MAGIC) - _ROUND_MAGIC
    r = (y - k * _LN2_HI) - k * _LN2_LO        # |r| <= ln2 / 2
    p = 1.0 / 6227020800.0                     # Taylor to r^13: truncation < 1e-17
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # 2^k, 0 <= k <= 58, as a product of exact powers of two chosen by the bits of k.
    c = k >= 32.0
    m = 4294967296.0 if c else 1.0
    k = k - 32.0 if c else k
    c = k >= 16.0
    m = m * 65536.0 if c else m
    k = k - 16.0 if c else k
    c = k >= 8.0
    m = m * 256.0 if c else m
    k = k - 8.0 if c else k
    c = k >= 4.0
    m = m * 16.0 if c else m
    k = k - 4.0 if c else k
    c = k >= 2.0
    m = m * 4.0 if c else m
    k = k - 2.0 if c else k
    m = m * 2.0 if k >= 1.0 else m
    return p * m


@register_jitable
def _tanh_vec(x, scratch, n):
    """x[:n] = tanh(x[:n]) in place, using scratch[:n]. Two loops, each vectorized by LLVM."""
    for i in range(n):
        scratch[i] = _exp_reduced(2.0 * min(abs(x[i]), _TANH_CLAMP))
    for i in range(n):
        v = x[i]
        z = abs(v)
        s = scratch[i]
        big = 1.0 - 2.0 / (s + 1.0)
        w = z * z
        small = z + z * w * (((_P0 * w + _P1) * w + _P2) / (((w + _Q0) * w + _Q1) * w + _Q2))
        # odd function: evaluate at |v|, then copy the sign (keeps tanh(-0.0) = -0.0)
        x[i] = math.copysign(big if z > 0.625 else small, v)


@njit(**_JIT)
def tanh_inplace(x):
    """x[:] = tanh(x) for a contiguous float64 array (within 2 ulp of np.tanh)."""
    _tanh_vec(x, np.empty(x.shape[0]), x.shape[0])


@register_jitable
def _preact(sparse, indptr, indices, data, WT, WinT, bias, u, WfbT, yfb, x, pre):
    """pre = W x + Win u + b + Wfb yfb."""
    n = x.shape[0]
    n_in = u.shape[0]
    n_fb = yfb.shape[0]
    if n_in == 1:  # the common case: bias and input in one pass
        u0 = u[0]
        for i in range(n):
            pre[i] = bias[i] + WinT[0, i] * u0
    else:
        for i in range(n):
            pre[i] = bias[i]
        for k in range(n_in):
            uk = u[k]
            for i in range(n):
                pre[i] += WinT[k, i] * uk
    for k in range(n_fb):
        yk = yfb[k]
        for i in range(n):
            pre[i] += WfbT[k, i] * yk
    if sparse:
        # CSR gather, one row at a time: measured as fast as a CSC scatter or two interleaved
        # rows (about 1 ns per nonzero here, W4: 10 us per product).
        for i in range(n):
            acc = 0.0
            for q in range(indptr[i], indptr[i + 1]):
                acc += data[q] * x[indices[q]]
            pre[i] += acc
    else:
        for j in range(n):
            xj = x[j]
            for i in range(n):
                pre[i] += WT[j, i] * xj


@njit(**_JIT)
def esn_loop(sparse, indptr, indices, data, WT, WinT, bias, WfbT, a, act,
             U, n_steps, closed, Yteach, fb_own, WoutT, bout, x, yprev, X, save_from, shift,
             capture_shift, Yout):
    """Run ``n_steps`` reservoir updates in place of ``x``; return the number of steps done
    (fewer than n_steps when a state became non-finite).

    Inputs: ``U[t]`` (open loop) or, with ``closed``, the previous output. Feedback (when
    ``WfbT`` has rows): the teacher ``Yteach[t - 1]`` or, with ``fb_own``, the previous output;
    ``yprev`` is the output before step 0 and is updated in place. Rows t >= save_from of the
    states go to ``X[t - save_from]``, minus ``shift`` (with ``capture_shift``, ``shift`` is
    first set to the state at step save_from: the readout fit then accumulates a Gram matrix
    of shifted states, which avoids cancellation). When ``closed`` or ``fb_own``, outputs go
    to ``Yout[t]``. Transposed weights (``WinT (n_in, N)``, ``WfbT``, ``WoutT (n_out, N)``)
    make every product a pass along a contiguous row.
    """
    n = x.shape[0]
    n_out = yprev.shape[0]
    pre = np.empty(n)
    scratch = np.empty(n)
    u = np.empty(WinT.shape[0])
    yfb = np.empty(WfbT.shape[0])
    need_out = closed or fb_own
    one_minus = 1.0 - a
    # A tanh reservoir with finite weights, inputs and x0 stays finite (each step is a convex
    # combination of x and values in [-1, 1]), so only a linear one, or one that feeds its
    # own outputs back, needs the per-step overflow check.
    check = act != ACT_TANH or need_out
    for t in range(n_steps):
        if closed:
            for k in range(u.shape[0]):
                u[k] = yprev[k]
        else:
            for k in range(u.shape[0]):
                u[k] = U[t, k]
        if yfb.shape[0] > 0:
            if fb_own or t == 0:
                for k in range(yfb.shape[0]):
                    yfb[k] = yprev[k]
            else:
                for k in range(yfb.shape[0]):
                    yfb[k] = Yteach[t - 1, k]
        _preact(sparse, indptr, indices, data, WT, WinT, bias, u, WfbT, yfb, x, pre)
        if act == ACT_TANH:
            _tanh_vec(pre, scratch, n)
        for i in range(n):
            x[i] = one_minus * x[i] + a * pre[i]
        if check:
            bad = 0
            for i in range(n):
                bad |= not (abs(x[i]) <= 1.0e300)
            if bad:
                return t
        if t >= save_from:
            r = t - save_from
            if capture_shift and r == 0:
                for i in range(n):
                    shift[i] = x[i]
            for i in range(n):
                X[r, i] = x[i] - shift[i]
        if need_out:
            for k in range(n_out):
                acc = bout[k]
                for i in range(n):
                    acc += WoutT[k, i] * x[i]
                yprev[k] = acc
                Yout[t, k] = acc
        elif yfb.shape[0] > 0:
            for k in range(n_out):
                yprev[k] = Yteach[t, k]
    return n_steps


# --------------------------------------------------------------------------- continuous time

@register_jitable
def _cesn_pre(i, y, k, frac, bias, vals, Win, sparse, indptr, indices, data, Wd):
    """Neuron i's pre-activation (W x + Win u(t) + b)_i, u held or interpolated at (k, frac)."""
    acc = bias[i]
    for c in range(vals.shape[1]):
        uc = vals[k, c]
        if frac != 0.0:
            uc = uc + frac * (vals[k + 1, c] - vals[k, c])
        acc += Win[i, c] * uc
    if sparse:
        for q in range(indptr[i], indptr[i + 1]):
            acc += data[q] * y[indices[q]]
    else:
        for j in range(y.shape[0]):
            acc += Wd[i, j] * y[j]
    return acc


def cesn_rhs(t, y, p, dydt):
    """tau dx/dt = -x + f(W x + Win u(t) + b), u(t) sampled (zero-order hold or linear).

    p = (rate, bias, act, kind, ts, vals, Win, sparse, indptr, indices, data, Wd):
    rate (n,) = 1/tau; act 0 tanh / 1 identity; kind 1 zoh / 2 linear; ts (m,), vals (m, n_in);
    Win (n, n_in); sparse 1: W is CSR (indptr, indices, data), 0: Wd (n, n) dense, row-major.
    """
    rate, bias, act, kind, ts, vals, Win, sparse, indptr, indices, data, Wd = p
    n = y.shape[0]
    k, frac = _sample_position(kind, ts, t)
    for i in range(n):
        acc = _cesn_pre(i, y, k, frac, bias, vals, Win, sparse, indptr, indices, data, Wd)
        if act == ACT_TANH:
            acc = math.tanh(acc)
        dydt[i] = (acc - y[i]) * rate[i]


def cesn_jac(t, y, p, J):
    """J[i, j] = rate_i (f'(pre_i) W[i, j] - delta_ij)."""
    rate, bias, act, kind, ts, vals, Win, sparse, indptr, indices, data, Wd = p
    n = y.shape[0]
    k, frac = _sample_position(kind, ts, t)
    for i in range(n):
        acc = _cesn_pre(i, y, k, frac, bias, vals, Win, sparse, indptr, indices, data, Wd)
        d = 1.0
        if act == ACT_TANH:
            th = math.tanh(acc)
            d = 1.0 - th * th
        for j in range(n):
            J[i, j] = 0.0
        if sparse:
            for q in range(indptr[i], indptr[i + 1]):
                J[i, indices[q]] += d * data[q] * rate[i]
        else:
            for j in range(n):
                J[i, j] = d * Wd[i, j] * rate[i]
        J[i, i] -= rate[i]


# --------------------------------------------------------------------------- datasets

@njit(**_JIT)
def mackey_glass_rk4(n_steps, h, d, x0, beta, gamma, power):
    """Classical RK4 for dx/dt = beta x(t-tau) / (1 + x(t-tau)^power) - gamma x on a grid of
    step h with tau = d h; history x = x0 for t <= 0; the delayed value at a half step is the
    mean of the two neighbouring grid values. Returns x at the n_steps + 1 grid points."""
    x = np.empty(n_steps + 1)
    x[0] = x0
    for m in range(n_steps):
        i0 = m - d
        xd0 = x[i0] if i0 >= 0 else x0
        xd1 = x[i0 + 1] if i0 + 1 >= 0 else x0
        xdh = 0.5 * (xd0 + xd1)
        xm = x[m]
        # x**power with a float power: the W4 fingerprint was made with pow(), keep it.
        k1 = beta * xd0 / (1.0 + xd0 ** power) - gamma * xm
        k2 = beta * xdh / (1.0 + xdh ** power) - gamma * (xm + 0.5 * h * k1)
        k3 = beta * xdh / (1.0 + xdh ** power) - gamma * (xm + 0.5 * h * k2)
        k4 = beta * xd1 / (1.0 + xd1 ** power) - gamma * (xm + h * k3)
        x[m + 1] = xm + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return x


@njit(**_JIT)
def narma_loop(u, order, alpha, beta, gamma, delta):
    """y[t+1] = alpha y[t] + beta y[t] sum_{i<order} y[t-i] + gamma u[t-order+1] u[t] + delta."""
    n = u.shape[0]
    y = np.zeros(n)
    for t in range(order - 1, n - 1):
        s = 0.0
        for i in range(order):
            s += y[t - i]
        y[t + 1] = alpha * y[t] + beta * y[t] * s + gamma * u[t - order + 1] * u[t] + delta
    return y
