"""CTRNN kernels: plain restricted Python that the engine compiles once per function.

    tau_i dy_i/dt = -y_i + sum_j W[i, j] * sigma(g_j * (y_j + theta_j)) + I_i(t)

One right-hand side per *model type* — storage (dense loops, dense BLAS, sparse) times input
(constant or time-varying) — and one Jacobian per storage; the activation and the kind of a
time-varying input are runtime integers in the parameters, so every CTRNN of a model type —
whatever its size, weights, activation or input values — shares one compiled specialisation.

Parameter layout (``p``), shared prefix of 11 entries, then the storage-specific tail:

    0  rate     float64 (n,)    1 / tau (a multiply per node instead of a divide per evaluation)
    1  theta    float64 (n,)    biases
    2  gain     float64 (n,)    gains
    3  act      int             0 sigmoid, 1 tanh
    4  in_kind  int             0 constant, 1 zero-order hold, 2 linear, 3 sinusoid
    5  in_off   float64 (n,)    added to the input of every kind
    6  in_amp   float64 (n,)    sinusoid amplitude
    7  in_omega float64 (n,)    sinusoid angular frequency 2 pi f
    8  in_phase float64 (n,)    sinusoid phase
    9  in_ts    float64 (m,)    sample times (strictly increasing)
    10 in_vals  float64 (m, c)  samples, c = 1 (shared by all nodes) or n
  dense:
    11 M        float64 (n, n)  use_blas = 0: WT, WT[j, i] = W[i, j] (row j holds the outgoing
                                weights of node j); use_blas = 1: W itself, C-contiguous
    12 use_blas int             1: W @ s through BLAS (np.dot), 0: compiled loops
  sparse (W stored column-compressed, i.e. CSR of W.T):
    11 indptr   int64 (n+1,)    entries of source j are indptr[j]:indptr[j+1]
    12 indices  int64 (nnz,)    their targets i
    13 data     float64 (nnz,)  their weights W[i, j]

Why the transposed storage: looping over *sources* j, each sigma_j is computed once and then
scattered as ``dydt[i] += W[i, j] * sigma_j`` along a contiguous row of WT. That needs no
scratch vector at all, so the loop kernels allocate nothing and are safe when several threads
integrate the same model at once (ensembles share one params tuple). A scratch buffer in the
params would be a data race there. The loop form is also SIMD-friendly (independent ``i``):
measured here (numba 0.68, OpenBLAS 0.3.30, 1 thread) it runs as fast as BLAS gemv up to
n = 2000, whereas the row-wise dot loop was 3-5x slower. BLAS only wins through its own
threads on large n (1.6x at n = 1000, 1.9x at n = 2000 on 2 idle cores), so the dense kernel
uses np.dot when use_blas is set (CTRNN's default for n >= DENSE_BLAS_MIN_N), at the cost of
two length-n allocations per call, which the O(n^2) product makes negligible. Those BLAS
threads are fragile: on a 2-core machine with another busy process the np.dot branch took
7-8 ms per call at n = 1000 where the loops took 0.17 ms, so parallel ensembles should use
the loop branch (CTRNN(..., blas=False)) or one BLAS thread. The np.dot branch is CPU-only; a
CUDA kernel must use the loop branch.

Kernels trust their inputs: neurodyn.ctrnn.CTRNN validates everything at construction.
"""
import math

import numpy as np
from numba.core.extending import register_jitable

__all__ = ["ctrnn_dense_rhs", "ctrnn_dense_driven_rhs", "ctrnn_blas_rhs",
           "ctrnn_blas_driven_rhs", "ctrnn_sparse_rhs", "ctrnn_sparse_driven_rhs",
           "ctrnn_dense_jac", "ctrnn_sparse_jac", "ctrnn_dense_pjac", "rhs_for", "ACTIVATIONS",
           "DENSE_BLAS_MIN_N", "PJAC_BLOCKS"]

# Activation codes (p[3]).
ACT_SIGMOID = 0
ACT_TANH = 1
ACTIVATIONS = {"sigmoid": ACT_SIGMOID, "tanh": ACT_TANH}

# Dense networks of at least this many nodes use BLAS for W @ sigma (see the module docstring).
DENSE_BLAS_MIN_N = 512


# The helpers below are plain Python too (the kernels also run uncompiled, e.g. under SciPy);
# register_jitable lets Numba compile them into whichever kernel calls them.

@register_jitable
def _act(code, x):
    if code == ACT_SIGMOID:
        # Branch-free (a data-dependent sign branch mispredicts: measured 20 % slower on W1);
        # the clamp keeps exp finite so the kernel also runs as plain Python, and changes the
        # result only where sigma(x) < 1e-304.
        return 1.0 / (1.0 + math.exp(min(-x, 700.0)))
    return math.tanh(x)


@register_jitable
def _dact(code, x):
    """Derivative of the activation at x."""
    if code == ACT_SIGMOID:
        s = _act(code, x)
        return s * (1.0 - s)
    th = math.tanh(x)
    return 1.0 - th * th


@register_jitable
def _sample_position(kind, ts, t):
    """Return (k, frac): the input at t is vals[k] + frac * (vals[k+1] - vals[k]).

    Binary search per call rather than a cached index: adaptive solvers step back and forth
    in time, and a cached index would be shared mutable state between threads.
    """
    if kind != 1 and kind != 2:
        return 0, 0.0
    m = ts.shape[0]
    if not t > ts[0]:  # before the first sample (or at it): hold the first value
        return 0, 0.0
    if t >= ts[m - 1]:
        return m - 1, 0.0
    lo = 0  # invariant: ts[lo] <= t < ts[hi]
    hi = m - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ts[mid] <= t:
            lo = mid
        else:
            hi = mid
    if kind == 1:
        return lo, 0.0
    return lo, (t - ts[lo]) / (ts[lo + 1] - ts[lo])


@register_jitable
def _input_at(kind, i, t, off, amp, omega, phase, vals, k, frac):
    v = off[i]
    if kind == 0:
        return v
    if kind == 3:
        return v + amp[i] * math.sin(omega[i] * t + phase[i])
    c = i if vals.shape[1] > 1 else 0
    if frac == 0.0:
        return v + vals[k, c]
    return v + (vals[k, c] + frac * (vals[k + 1, c] - vals[k, c]))


@register_jitable
def _drive(kind, t, y, off, amp, omega, phase, ts, vals, out):
    """out[i] = I_i(t) - y_i for a time-varying input."""
    k, frac = _sample_position(kind, ts, t)
    for i in range(y.shape[0]):
        out[i] = _input_at(kind, i, t, off, amp, omega, phase, vals, k, frac) - y[i]


@register_jitable
def _add_dense_loops(act, gain, theta, rate, WT, y, dydt):
    """dydt = (dydt + W @ sigma) * rate, W given as WT; allocates nothing."""
    n = y.shape[0]
    # Four sources per sweep: dydt is loaded and stored once per four rows of WT instead of
    # once per row (1.6x faster at n = 2000). The sum keeps the one-source-at-a-time order, so
    # the result equals the sparse kernel's bit for bit.
    j = 0
    while j + 4 <= n:
        s0 = _act(act, gain[j] * (y[j] + theta[j]))
        s1 = _act(act, gain[j + 1] * (y[j + 1] + theta[j + 1]))
        s2 = _act(act, gain[j + 2] * (y[j + 2] + theta[j + 2]))
        s3 = _act(act, gain[j + 3] * (y[j + 3] + theta[j + 3]))
        for i in range(n):
            dydt[i] = (((dydt[i] + WT[j, i] * s0) + WT[j + 1, i] * s1) + WT[j + 2, i] * s2) \
                + WT[j + 3, i] * s3
        j += 4
    while j < n:
        s0 = _act(act, gain[j] * (y[j] + theta[j]))
        for i in range(n):
            dydt[i] += WT[j, i] * s0
        j += 1
    for i in range(n):
        dydt[i] *= rate[i]


@register_jitable
def _add_dense_blas(act, gain, theta, rate, W, y, dydt):
    """dydt = (dydt + W @ sigma) * rate through BLAS (W row-major)."""
    n = y.shape[0]
    s = np.empty(n)
    for j in range(n):
        s[j] = _act(act, gain[j] * (y[j] + theta[j]))
    # np.dot allocates its result rather than writing into dydt: Numba's np.dot(a, b, out)
    # only compiles for a contiguous out, and the engine may hand us a strided view.
    ws = np.dot(W, s)
    for i in range(n):
        dydt[i] = (dydt[i] + ws[i]) * rate[i]


@register_jitable
def _add_sparse(act, gain, theta, rate, indptr, indices, data, y, dydt):
    """dydt = (dydt + W @ sigma) * rate, W column-compressed."""
    n = y.shape[0]
    for j in range(n):
        a = indptr[j]
        b = indptr[j + 1]
        if a == b:
            continue  # a node that drives nobody: skip its exp
        s = _act(act, gain[j] * (y[j] + theta[j]))
        for q in range(a, b):
            dydt[indices[q]] += data[q] * s
    for i in range(n):
        dydt[i] *= rate[i]


# One right-hand side per (storage, constant or time-varying input). Splitting them is a
# measured choice: a kernel whose hot path sits beside a branch it never takes (the BLAS call,
# the sampled-input lookup) compiled 10 % slower on W1 than the same kernel without it.

def ctrnn_dense_rhs(t, y, p, dydt):
    """dy/dt, dense W as WT in compiled loops, constant input."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, M, use_blas) = p
    for i in range(y.shape[0]):
        dydt[i] = off[i] - y[i]
    _add_dense_loops(act, gain, theta, rate, M, y, dydt)


def ctrnn_dense_driven_rhs(t, y, p, dydt):
    """dy/dt, dense W as WT in compiled loops, time-varying input."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, M, use_blas) = p
    _drive(kind, t, y, off, amp, omega, phase, ts, vals, dydt)
    _add_dense_loops(act, gain, theta, rate, M, y, dydt)


def ctrnn_blas_rhs(t, y, p, dydt):
    """dy/dt, dense W through BLAS, constant input."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, M, use_blas) = p
    for i in range(y.shape[0]):
        dydt[i] = off[i] - y[i]
    _add_dense_blas(act, gain, theta, rate, M, y, dydt)


def ctrnn_blas_driven_rhs(t, y, p, dydt):
    """dy/dt, dense W through BLAS, time-varying input."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, M, use_blas) = p
    _drive(kind, t, y, off, amp, omega, phase, ts, vals, dydt)
    _add_dense_blas(act, gain, theta, rate, M, y, dydt)


def ctrnn_sparse_rhs(t, y, p, dydt):
    """dy/dt, sparse W, constant input."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, indptr, indices, data) = p
    for i in range(y.shape[0]):
        dydt[i] = off[i] - y[i]
    _add_sparse(act, gain, theta, rate, indptr, indices, data, y, dydt)


def ctrnn_sparse_driven_rhs(t, y, p, dydt):
    """dy/dt, sparse W, time-varying input."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, indptr, indices, data) = p
    _drive(kind, t, y, off, amp, omega, phase, ts, vals, dydt)
    _add_sparse(act, gain, theta, rate, indptr, indices, data, y, dydt)


def rhs_for(sparse, blas, constant_input):
    """The right-hand-side kernel for a storage type and an input kind."""
    if sparse:
        return ctrnn_sparse_rhs if constant_input else ctrnn_sparse_driven_rhs
    if blas:
        return ctrnn_blas_rhs if constant_input else ctrnn_blas_driven_rhs
    return ctrnn_dense_rhs if constant_input else ctrnn_dense_driven_rhs


def ctrnn_dense_jac(t, y, p, J):
    """J[i, j] = (-delta_ij + W[i, j] * g_j * sigma'(g_j (y_j + theta_j))) / tau_i."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, M, use_blas) = p
    n = y.shape[0]
    for j in range(n):
        d = gain[j] * _dact(act, gain[j] * (y[j] + theta[j]))
        if use_blas != 0:
            for i in range(n):
                J[i, j] = M[i, j] * d * rate[i]
        else:
            for i in range(n):
                J[i, j] = M[j, i] * d * rate[i]
    for i in range(n):
        J[i, i] -= rate[i]


def ctrnn_sparse_jac(t, y, p, J):
    """Dense Jacobian of the sparse CTRNN (same formula as ctrnn_dense_jac)."""
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, indptr, indices, data) = p
    n = y.shape[0]
    for i in range(n):
        for j in range(n):
            J[i, j] = 0.0
    for j in range(n):
        a = indptr[j]
        b = indptr[j + 1]
        if a == b:
            continue
        d = gain[j] * _dact(act, gain[j] * (y[j] + theta[j]))
        for q in range(a, b):
            i = indices[q]
            J[i, j] += data[q] * d * rate[i]
    for i in range(n):
        J[i, i] -= rate[i]


# Forward sensitivities (solvers.sensitivities): the parameter Jacobian df/dtheta. Its column
# blocks, in this order: W row-major (W[a, b] is column a * n + b), bias, tau, gain.
PJAC_BLOCKS = ("W", "bias", "tau", "gain")


def ctrnn_dense_pjac(t, y, p, Jp):
    """Jp = df/d(W, bias, tau, gain), dense W, any input kind; Jp arrives zeroed.

    With s_j = sigma(x_j), x_j = g_j (y_j + theta_j) and u_i = -y_i + sum_j W[i, j] s_j + I_i:
    df_i/dW[i, j] = s_j / tau_i, df_i/dtheta_j = W[i, j] g_j sigma'(x_j) / tau_i,
    df_i/dtau_i = -u_i / tau_i^2, df_i/dg_j = W[i, j] (y_j + theta_j) sigma'(x_j) / tau_i.
    One kernel for every input kind (the kind is a runtime integer): unlike the right-hand
    side, nothing here is hot enough for the split to pay.
    """
    (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals, M, use_blas) = p
    n = y.shape[0]
    nn = n * n
    c_bias = nn
    c_tau = nn + n
    c_gain = nn + 2 * n
    k, frac = _sample_position(kind, ts, t)
    # u_i accumulates in its own tau column, scaled at the end
    for i in range(n):
        Jp[i, c_tau + i] = _input_at(kind, i, t, off, amp, omega, phase, vals, k, frac) - y[i]
    for j in range(n):
        yt = y[j] + theta[j]
        x = gain[j] * yt
        s = _act(act, x)
        ds = _dact(act, x)
        for i in range(n):
            w = M[i, j] if use_blas != 0 else M[j, i]
            r = rate[i]
            Jp[i, i * n + j] = r * s
            Jp[i, c_bias + j] = r * w * gain[j] * ds
            Jp[i, c_gain + j] = r * w * yt * ds
            Jp[i, c_tau + i] += w * s
    for i in range(n):
        Jp[i, c_tau + i] *= -rate[i] * rate[i]
