"""Kernels of the basic cells: IndRNN, Jordan, second-order RNN (a map and a flow each) and
the MTRNN map, in plain restricted Python that the engine compiles once per function.

As for the CTRNN kernels (``neurodyn._kernels_ctrnn``): the activation is a runtime integer in
the parameters, and so is the kind of the input, so every network of one architecture, whatever
its size, weights, activation or input, shares one compiled specialisation per kernel. Nothing
is allocated per call (ensembles share one params tuple between threads, so a scratch buffer in
the params would be a data race), and no NumPy call is made: the kernels also compile as CUDA
device functions.

**Inputs.** A cell reads an ``m``-channel input ``x(t)``, encoded by ``neurodyn.inputs.encode``
for ``m`` channels (constant, sampled with zero-order hold or linear interpolation, sinusoid).
A flow reads it at its time ``t``; a map reads ``x_k = x(k dt)`` at iteration ``k`` (``dt`` is
in the params), which is where forward Euler with step ``dt`` from ``t = 0`` evaluates it.
Input block (7 entries, written ``IN`` below): ``kind, off, amp, omega, phase, ts, vals``.

**Leaky maps.** A map's update is ``h' = decay * h + leak * g(h, x)``: ``leak = 1`` and
``decay = 0`` is the published cell (``0 * h + g`` is ``g`` exactly), and forward Euler of the
flow ``tau dh/dt = -h + g`` with step ``dt`` is ``leak = dt / tau``, ``decay = 1 - leak``.

Parameter layouts:

  indrnn map        WT (m, n), u (n,), b (n,), decay (n,), leak (n,), act, dt, IN
  indrnn flow       WT (m, n), u (n,), b (n,), rate (n,), act, IN
  second-order map  Wt (m, n, n), b (n,), decay (n,), leak (n,), act, dt, IN
  second-order flow Wt (m, n, n), b (n,), rate (n,), act, IN
  jordan map        Wx (H, m), Wc (H, n), b (H,), WyT (H, n), by (n,), alpha (n,), beta (n,),
                    act, act_out, dt, IN
  jordan flow       Wx (H, m), Wc (H, n), b (H,), WyT (H, n), by (n,), rate (n,), act,
                    act_out, IN
  mtrnn map         (dt, the CTRNN's own params tuple)

``WT[j, i] = W[i, j]`` (input ``j`` to neuron ``i``) and ``WyT[h, i] = W_out[i, h]``: the loops
scatter one source along a contiguous row. ``Wt[j, i, k] = W[i, j, k]`` of the second-order
cell, so that one input channel is one contiguous ``n x n`` block. ``rate = 1 / tau`` (0 for
an infinite tau, Jordan's pure integrator).

Kernels trust their inputs: the model classes validate everything at construction.
"""
import math

from numba.core.extending import register_jitable

from .. import _kernels_ctrnn as _kc
from .._kernels_ctrnn import _input_at, _sample_position

__all__ = ["ACTIVATIONS", "indrnn_step", "indrnn_step_jac", "indrnn_rhs", "indrnn_jac",
           "second_order_step", "second_order_step_jac", "second_order_rhs",
           "second_order_jac", "jordan_step", "jordan_step_jac", "jordan_rhs", "jordan_jac",
           "mtrnn_dense_step", "mtrnn_blas_step", "mtrnn_sparse_step", "mtrnn_dense_step_jac",
           "mtrnn_sparse_step_jac", "mtrnn_map_kernels"]

# Codes 0 and 1 are the CTRNN's (neurodyn._kernels_ctrnn), so names mean the same everywhere.
ACT_SIGMOID = 0
ACT_TANH = 1
ACT_RELU = 2
ACT_IDENTITY = 3
ACTIVATIONS = {"sigmoid": ACT_SIGMOID, "tanh": ACT_TANH, "relu": ACT_RELU,
               "identity": ACT_IDENTITY}


@register_jitable
def _act(code, x):
    if code == ACT_TANH:
        return math.tanh(x)
    if code == ACT_SIGMOID:
        # Clamped as in the CTRNN kernels: exp stays finite when the kernel runs as Python.
        return 1.0 / (1.0 + math.exp(min(-x, 700.0)))
    if code == ACT_RELU:
        # NaN passes through (as in torch.relu) instead of becoming 0.
        return 0.0 if x < 0.0 else x
    return x


@register_jitable
def _dact(code, x):
    """Derivative of the activation at x; ReLU's is 0 at 0 (torch's convention)."""
    if code == ACT_TANH:
        th = math.tanh(x)
        return 1.0 - th * th
    if code == ACT_SIGMOID:
        s = 1.0 / (1.0 + math.exp(min(-x, 700.0)))
        return s * (1.0 - s)
    if code == ACT_RELU:
        return 1.0 if x > 0.0 else 0.0
    return 1.0


@register_jitable
def _add_input(WT, kind, t, off, amp, omega, phase, ts, vals, out):
    """out[i] += sum_j W[i, j] x_j(t), W given as WT; each channel evaluated once."""
    kp, frac = _sample_position(kind, ts, t)
    for j in range(WT.shape[0]):
        xj = _input_at(kind, j, t, off, amp, omega, phase, vals, kp, frac)
        for i in range(WT.shape[1]):
            out[i] += WT[j, i] * xj


@register_jitable
def _zero(J):
    for i in range(J.shape[0]):
        for j in range(J.shape[1]):
            J[i, j] = 0.0


# ------------------------------------------------------------------------------- IndRNN

def indrnn_step(k, h, p, out):
    """h' = decay h + leak act(W x_k + u * h + b)."""
    (WT, u, b, decay, leak, act, dt, kind, off, amp, omega, phase, ts, vals) = p
    n = h.shape[0]
    for i in range(n):
        out[i] = b[i] + u[i] * h[i]
    _add_input(WT, kind, k * dt, off, amp, omega, phase, ts, vals, out)
    for i in range(n):
        out[i] = decay[i] * h[i] + leak[i] * _act(act, out[i])


def indrnn_step_jac(k, h, p, J):
    """Diagonal: J[i, i] = decay_i + leak_i act'(z_i) u_i."""
    (WT, u, b, decay, leak, act, dt, kind, off, amp, omega, phase, ts, vals) = p
    n = h.shape[0]
    _zero(J)
    # The pre-activations z_i accumulate on the diagonal (no scratch vector).
    kp, frac = _sample_position(kind, ts, k * dt)
    for i in range(n):
        J[i, i] = b[i] + u[i] * h[i]
    for j in range(WT.shape[0]):
        xj = _input_at(kind, j, k * dt, off, amp, omega, phase, vals, kp, frac)
        for i in range(n):
            J[i, i] += WT[j, i] * xj
    for i in range(n):
        J[i, i] = decay[i] + leak[i] * _dact(act, J[i, i]) * u[i]


def indrnn_rhs(t, h, p, dydt):
    """tau dh/dt = -h + act(W x(t) + u * h + b)."""
    (WT, u, b, rate, act, kind, off, amp, omega, phase, ts, vals) = p
    n = h.shape[0]
    for i in range(n):
        dydt[i] = b[i] + u[i] * h[i]
    _add_input(WT, kind, t, off, amp, omega, phase, ts, vals, dydt)
    for i in range(n):
        dydt[i] = rate[i] * (_act(act, dydt[i]) - h[i])


def indrnn_jac(t, h, p, J):
    """Diagonal: J[i, i] = (act'(z_i) u_i - 1) / tau_i."""
    (WT, u, b, rate, act, kind, off, amp, omega, phase, ts, vals) = p
    n = h.shape[0]
    _zero(J)
    kp, frac = _sample_position(kind, ts, t)
    for i in range(n):
        J[i, i] = b[i] + u[i] * h[i]
    for j in range(WT.shape[0]):
        xj = _input_at(kind, j, t, off, amp, omega, phase, vals, kp, frac)
        for i in range(n):
            J[i, i] += WT[j, i] * xj
    for i in range(n):
        J[i, i] = rate[i] * (_dact(act, J[i, i]) * u[i] - 1.0)


# ---------------------------------------------------------------------- second-order RNN

@register_jitable
def _second_order_z(Wt, b, kind, t, off, amp, omega, phase, ts, vals, h, out):
    """out[i] = b_i + sum_j x_j(t) sum_k W[i, j, k] h_k."""
    n = h.shape[0]
    for i in range(n):
        out[i] = b[i]
    kp, frac = _sample_position(kind, ts, t)
    for j in range(Wt.shape[0]):
        xj = _input_at(kind, j, t, off, amp, omega, phase, vals, kp, frac)
        for i in range(n):
            s = 0.0
            for q in range(n):
                s += Wt[j, i, q] * h[q]
            out[i] += xj * s


@register_jitable
def _second_order_rows(Wt, b, kind, t, off, amp, omega, phase, ts, vals, h, J):
    """J[i, k] = sum_j W[i, j, k] x_j(t); returns nothing, the caller scales the rows."""
    n = h.shape[0]
    _zero(J)
    kp, frac = _sample_position(kind, ts, t)
    for j in range(Wt.shape[0]):
        xj = _input_at(kind, j, t, off, amp, omega, phase, vals, kp, frac)
        for i in range(n):
            for q in range(n):
                J[i, q] += Wt[j, i, q] * xj


def second_order_step(k, h, p, out):
    """h'_i = decay_i h_i + leak_i act(sum_jk W[i, j, k] x_j h_k + b_i)."""
    (Wt, b, decay, leak, act, dt, kind, off, amp, omega, phase, ts, vals) = p
    _second_order_z(Wt, b, kind, k * dt, off, amp, omega, phase, ts, vals, h, out)
    for i in range(h.shape[0]):
        out[i] = decay[i] * h[i] + leak[i] * _act(act, out[i])


def second_order_step_jac(k, h, p, J):
    """J[i, k] = decay_i delta_ik + leak_i act'(z_i) sum_j W[i, j, k] x_j."""
    (Wt, b, decay, leak, act, dt, kind, off, amp, omega, phase, ts, vals) = p
    n = h.shape[0]
    _second_order_rows(Wt, b, kind, k * dt, off, amp, omega, phase, ts, vals, h, J)
    for i in range(n):
        z = b[i]  # row i of J is M(x) = sum_j W[:, j, :] x_j, so z_i = b_i + (M h)_i
        for q in range(n):
            z += J[i, q] * h[q]
        d = leak[i] * _dact(act, z)
        for q in range(n):
            J[i, q] *= d
        J[i, i] += decay[i]


def second_order_rhs(t, h, p, dydt):
    """tau dh/dt = -h + act(sum_jk W[i, j, k] x_j(t) h_k + b)."""
    (Wt, b, rate, act, kind, off, amp, omega, phase, ts, vals) = p
    _second_order_z(Wt, b, kind, t, off, amp, omega, phase, ts, vals, h, dydt)
    for i in range(h.shape[0]):
        dydt[i] = rate[i] * (_act(act, dydt[i]) - h[i])


def second_order_jac(t, h, p, J):
    """J[i, k] = (act'(z_i) sum_j W[i, j, k] x_j - delta_ik) / tau_i."""
    (Wt, b, rate, act, kind, off, amp, omega, phase, ts, vals) = p
    n = h.shape[0]
    _second_order_rows(Wt, b, kind, t, off, amp, omega, phase, ts, vals, h, J)
    for i in range(n):
        z = b[i]
        for q in range(n):
            z += J[i, q] * h[q]
        d = rate[i] * _dact(act, z)
        for q in range(n):
            J[i, q] *= d
        J[i, i] -= rate[i]


# ------------------------------------------------------------------------------- Jordan

@register_jitable
def _hidden_z(hh, Wx, Wc, b, kind, t, off, amp, omega, phase, vals, kp, frac, c):
    """Pre-activation of hidden unit hh: b + W_in x(t) + W_context c."""
    z = b[hh]
    for j in range(Wx.shape[1]):
        z += Wx[hh, j] * _input_at(kind, j, t, off, amp, omega, phase, vals, kp, frac)
    for q in range(c.shape[0]):
        z += Wc[hh, q] * c[q]
    return z


@register_jitable
def _jordan_out(Wx, Wc, b, WyT, by, act, kind, t, off, amp, omega, phase, ts, vals, c, out):
    """out = W_out act(z) + b_out, the output pre-activations; hidden units one at a time, so
    no hidden-layer buffer is needed."""
    kp, frac = _sample_position(kind, ts, t)
    n = c.shape[0]
    for i in range(n):
        out[i] = by[i]
    for hh in range(b.shape[0]):
        a = _act(act, _hidden_z(hh, Wx, Wc, b, kind, t, off, amp, omega, phase, vals, kp, frac,
                                c))
        for i in range(n):
            out[i] += WyT[hh, i] * a


@register_jitable
def _jordan_jac_rows(Wx, Wc, b, WyT, by, act, act_out, kind, t, off, amp, omega, phase, ts,
                     vals, c, J):
    """J = diag(act_out'(o)) W_out diag(act'(z)) W_context (the output's derivative)."""
    kp, frac = _sample_position(kind, ts, t)
    n = c.shape[0]
    H = b.shape[0]
    _zero(J)
    for hh in range(H):
        g = _dact(act, _hidden_z(hh, Wx, Wc, b, kind, t, off, amp, omega, phase, vals, kp, frac,
                                 c))
        for i in range(n):
            w = WyT[hh, i] * g
            for q in range(n):
                J[i, q] += w * Wc[hh, q]
    # Each row's output pre-activation o_i is recomputed here rather than kept: the n values
    # would need a buffer, and J is full. O(n H (m + n)), the order of the product above.
    for i in range(n):
        o = by[i]
        for hh in range(H):
            o += WyT[hh, i] * _act(act, _hidden_z(hh, Wx, Wc, b, kind, t, off, amp, omega, phase,
                                                  vals, kp, frac, c))
        d = _dact(act_out, o)
        for q in range(n):
            J[i, q] *= d


def jordan_step(k, c, p, out):
    """c' = alpha c + beta y, y = act_out(W_out act(W_in x_k + W_context c + b) + b_out)."""
    (Wx, Wc, b, WyT, by, alpha, beta, act, act_out, dt,
     kind, off, amp, omega, phase, ts, vals) = p
    _jordan_out(Wx, Wc, b, WyT, by, act, kind, k * dt, off, amp, omega, phase, ts, vals, c, out)
    for i in range(c.shape[0]):
        out[i] = alpha[i] * c[i] + beta[i] * _act(act_out, out[i])


def jordan_step_jac(k, c, p, J):
    """J = diag(alpha) + diag(beta) dy/dc."""
    (Wx, Wc, b, WyT, by, alpha, beta, act, act_out, dt,
     kind, off, amp, omega, phase, ts, vals) = p
    _jordan_jac_rows(Wx, Wc, b, WyT, by, act, act_out, kind, k * dt, off, amp, omega, phase, ts,
                     vals, c, J)
    for i in range(c.shape[0]):
        for q in range(c.shape[0]):
            J[i, q] *= beta[i]
        J[i, i] += alpha[i]


def jordan_rhs(t, c, p, dydt):
    """dc/dt = -c / tau + y(c, x(t))."""
    (Wx, Wc, b, WyT, by, rate, act, act_out, kind, off, amp, omega, phase, ts, vals) = p
    _jordan_out(Wx, Wc, b, WyT, by, act, kind, t, off, amp, omega, phase, ts, vals, c, dydt)
    for i in range(c.shape[0]):
        dydt[i] = _act(act_out, dydt[i]) - rate[i] * c[i]


def jordan_jac(t, c, p, J):
    """J = dy/dc - diag(1 / tau)."""
    (Wx, Wc, b, WyT, by, rate, act, act_out, kind, off, amp, omega, phase, ts, vals) = p
    _jordan_jac_rows(Wx, Wc, b, WyT, by, act, act_out, kind, t, off, amp, omega, phase, ts,
                     vals, c, J)
    for i in range(c.shape[0]):
        J[i, i] -= rate[i]


# -------------------------------------------------------------------------------- MTRNN
#
# The MTRNN map is forward Euler of its CTRNN, so it calls the CTRNN's own kernels rather than
# restating them: one kernel for the flow, whatever the form. register_jitable makes them
# callable from compiled code (it returns them unchanged; the engine still compiles the CTRNN's
# rhs as itself).

_ctrnn_dense = register_jitable(_kc.ctrnn_dense_driven_rhs)
_ctrnn_blas = register_jitable(_kc.ctrnn_blas_driven_rhs)
_ctrnn_sparse = register_jitable(_kc.ctrnn_sparse_driven_rhs)
_ctrnn_dense_jac = register_jitable(_kc.ctrnn_dense_jac)
_ctrnn_sparse_jac = register_jitable(_kc.ctrnn_sparse_jac)


def mtrnn_dense_step(k, u, p, out):
    """u' = u + dt f(k dt, u), f the CTRNN's right-hand side (dense W, compiled loops)."""
    dt = p[0]
    _ctrnn_dense(k * dt, u, p[1], out)
    for i in range(u.shape[0]):
        out[i] = u[i] + dt * out[i]


def mtrnn_blas_step(k, u, p, out):
    """As mtrnn_dense_step with W @ s through BLAS (CPU only)."""
    dt = p[0]
    _ctrnn_blas(k * dt, u, p[1], out)
    for i in range(u.shape[0]):
        out[i] = u[i] + dt * out[i]


def mtrnn_sparse_step(k, u, p, out):
    """As mtrnn_dense_step, sparse W."""
    dt = p[0]
    _ctrnn_sparse(k * dt, u, p[1], out)
    for i in range(u.shape[0]):
        out[i] = u[i] + dt * out[i]


def mtrnn_dense_step_jac(k, u, p, J):
    """I + dt J_f (dense or BLAS storage: the CTRNN Jacobian reads either)."""
    dt = p[0]
    _ctrnn_dense_jac(k * dt, u, p[1], J)
    for i in range(u.shape[0]):
        for j in range(u.shape[0]):
            J[i, j] *= dt
        J[i, i] += 1.0


def mtrnn_sparse_step_jac(k, u, p, J):
    """I + dt J_f, sparse W."""
    dt = p[0]
    _ctrnn_sparse_jac(k * dt, u, p[1], J)
    for i in range(u.shape[0]):
        for j in range(u.shape[0]):
            J[i, j] *= dt
        J[i, i] += 1.0


def mtrnn_map_kernels(sparse, blas):
    """(step, jac) of the MTRNN map for a CTRNN storage type."""
    if sparse:
        return mtrnn_sparse_step, mtrnn_sparse_step_jac
    return (mtrnn_blas_step if blas else mtrnn_dense_step), mtrnn_dense_step_jac
