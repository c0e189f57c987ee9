"""Kernels of the Elman RNN map (``torch.nn.RNN`` / ``RNNCell``) and of its Jacobian, in plain
restricted Python that the engine compiles once per function: the activation and the kind of
input are runtime integers in the parameters, so every RNN, whatever its size, weights,
nonlinearity or input, shares one compiled specialisation per kernel.

Parameter layout (``p``)::

    0  Wih      float64 (n, m)  input weights, torch's weight_ih
    1  Whh      float64 (n, n)  recurrent weights, torch's weight_hh
    2  c        float64 (n,)    b_ih + b_hh + W_ih @ offset: the constant part of the drive
    3  act      int             activation code (neurodyn.cells._kernels_basic: 1 tanh, 2 relu)
    4  in_kind  int             0 constant, 1 zero-order hold, 2 linear, 3 sinusoid
    5  in_amp   float64 (m,)    sinusoid amplitude
    6  in_omega float64 (m,)    sinusoid angular frequency
    7  in_phase float64 (m,)    sinusoid phase
    8  in_ts    float64 (T,)    sample times
    9  in_vals  float64 (T, c)  samples, c = 1 (shared by every channel) or m

As for the gated cells (``_kernels_gated``), the input ``x(t) = offset + v(t)`` enters through
``W_ih x + b_ih + b_hh = c + W_ih v(t)``: a constant input (the autonomous map ``h -> F(h, x*)``
whose fixed points the analysis of trained networks studies) costs nothing per step. A map reads
its input at ``t = k``, the iteration index.

Each unit's pre-activation is accumulated row by row (rows of ``W_hh`` are contiguous), so
nothing is allocated per call and threads sharing one params tuple do not race. Kernels trust
their inputs: :class:`neurodyn.cells.rnn.RNN` validates everything at construction.
"""
import math

from numba.core.extending import register_jitable

from .._kernels_ctrnn import _sample_position
from ._kernels_basic import _act, _dact

__all__ = ["rnn_step", "rnn_step_jac"]


@register_jitable
def _preactivation(i, t, h, Wih, Whh, c, kind, amp, omega, phase, vals, kpos, frac):
    """a_i = c_i + (W_ih v(t))_i + (W_hh h)_i."""
    a = c[i]
    if kind != 0:
        for q in range(Wih.shape[1]):
            if kind == 3:
                v = amp[q] * math.sin(omega[q] * t + phase[q])
            else:
                col = q if vals.shape[1] > 1 else 0
                v = vals[kpos, col]
                if frac != 0.0:
                    v += frac * (vals[kpos + 1, col] - vals[kpos, col])
            a += Wih[i, q] * v
    for j in range(h.shape[0]):
        a += Whh[i, j] * h[j]
    return a


def rnn_step(k, h, p, h_next):
    """h[k+1] = act(W_ih x[k] + b_ih + W_hh h[k] + b_hh) (torch.nn.RNNCell)."""
    (Wih, Whh, c, act, kind, amp, omega, phase, ts, vals) = p
    t = float(k)
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(h.shape[0]):
        h_next[i] = _act(act, _preactivation(i, t, h, Wih, Whh, c, kind, amp, omega, phase,
                                             vals, kpos, frac))


def rnn_step_jac(k, h, p, J):
    """J[i, j] = d h_i[k+1] / d h_j[k] = act'(a_i) W_hh[i, j]."""
    (Wih, Whh, c, act, kind, amp, omega, phase, ts, vals) = p
    t = float(k)
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(h.shape[0]):
        d = _dact(act, _preactivation(i, t, h, Wih, Whh, c, kind, amp, omega, phase, vals,
                                      kpos, frac))
        for j in range(h.shape[0]):
            J[i, j] = d * Whh[i, j]
