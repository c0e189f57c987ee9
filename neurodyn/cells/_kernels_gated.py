"""GRU and LSTM kernels: the discrete maps, their continuous-time forms and the Jacobians of
both, in plain restricted Python that the engine compiles once per function.

Gate conventions are PyTorch's (``torch.nn.GRU`` / ``torch.nn.LSTM``): rows of ``W_ih``,
``W_hh`` and the biases are the gates stacked in torch's order, ``r, z, n`` for the GRU and
``i, f, g, o`` for the LSTM (``G = 3`` or ``4`` blocks of ``n`` rows).

Parameter layout (``p``), the same for all four model types:

    0  Wih      float64 (G n, m)  input weights, torch's weight_ih
    1  Whh      float64 (G n, n)  recurrent weights, torch's weight_hh
    2  cx       float64 (G n,)    b_ih + W_ih @ offset: the input's constant part, projected
    3  bhh      float64 (G n,)    b_hh (kept apart: the GRU's reset gate multiplies it)
    4  in_kind  int               0 constant, 1 zero-order hold, 2 linear, 3 sinusoid
    5  in_amp   float64 (m,)      sinusoid amplitude
    6  in_omega float64 (m,)      sinusoid angular frequency
    7  in_phase float64 (m,)      sinusoid phase
    8  in_ts    float64 (T,)      sample times
    9  in_vals  float64 (T, c)    samples, c = 1 (shared by every channel) or m

The input ``x(t) = offset + v(t)`` (``neurodyn.inputs.encode`` over the ``m`` input channels)
enters through ``W_ih x + b_ih = cx + W_ih v(t)``: a constant input costs nothing per call, and
only a time-varying part ``v`` is evaluated, once per (unit, channel). A map reads its input at
``t = k``, the iteration index, so a sequence ``x[0], x[1], ...`` is ``Sampled(arange(T), X)``.

Each unit's gates are computed row by row from ``h`` (rows of ``W_hh`` are contiguous), so no
kernel needs a scratch vector: nothing is allocated per call, and threads sharing a params
tuple do not race. The maps write ``x_next`` only from ``x``, which the engine never aliases.

Kernels trust their inputs: neurodyn.cells.gated validates everything at construction.
"""
import math

from numba.core.extending import register_jitable

from .._kernels_ctrnn import _sample_position

__all__ = ["gru_step", "gru_step_jac", "gru_ode_rhs", "gru_ode_jac", "lstm_step",
           "lstm_step_jac", "lstm_ode_rhs", "lstm_ode_jac"]


@register_jitable
def _sigmoid(a):
    # The clamp keeps exp finite when the kernel runs as plain Python; it changes the result
    # only where sigmoid(a) < 1e-304.
    return 1.0 / (1.0 + math.exp(min(-a, 700.0)))


@register_jitable
def _varying(kind, q, t, amp, omega, phase, vals, kpos, frac):
    """The time-varying part v_q(t) of input channel q (the offset lives in cx)."""
    if kind == 3:
        return amp[q] * math.sin(omega[q] * t + phase[q])
    c = q if vals.shape[1] > 1 else 0
    if frac == 0.0:
        return vals[kpos, c]
    return vals[kpos, c] + frac * (vals[kpos + 1, c] - vals[kpos, c])


@register_jitable
def _gru_unit(i, t, h, Wih, Whh, cx, bhh, kind, amp, omega, phase, vals, kpos, frac):
    """(r, z, n, W_hn h + b_hn) of unit i."""
    n = Whh.shape[1]
    ar = cx[i]
    az = cx[n + i]
    anx = cx[2 * n + i]
    if kind != 0:
        for q in range(Wih.shape[1]):
            v = _varying(kind, q, t, amp, omega, phase, vals, kpos, frac)
            ar += Wih[i, q] * v
            az += Wih[n + i, q] * v
            anx += Wih[2 * n + i, q] * v
    ar += bhh[i]
    az += bhh[n + i]
    anh = bhh[2 * n + i]
    for j in range(n):
        hj = h[j]
        ar += Whh[i, j] * hj
        az += Whh[n + i, j] * hj
        anh += Whh[2 * n + i, j] * hj
    r = _sigmoid(ar)
    z = _sigmoid(az)
    # torch's convention: the reset gate scales W_hn h + b_hn, not h.
    return r, z, math.tanh(anx + r * anh), anh


@register_jitable
def _lstm_unit(i, t, x, Wih, Whh, cx, bhh, kind, amp, omega, phase, vals, kpos, frac):
    """(i, f, g, o, c') of unit i; x = [h; c]."""
    n = Whh.shape[1]
    ai = cx[i] + bhh[i]
    af = cx[n + i] + bhh[n + i]
    ag = cx[2 * n + i] + bhh[2 * n + i]
    ao = cx[3 * n + i] + bhh[3 * n + i]
    if kind != 0:
        for q in range(Wih.shape[1]):
            v = _varying(kind, q, t, amp, omega, phase, vals, kpos, frac)
            ai += Wih[i, q] * v
            af += Wih[n + i, q] * v
            ag += Wih[2 * n + i, q] * v
            ao += Wih[3 * n + i, q] * v
    for j in range(n):
        hj = x[j]
        ai += Whh[i, j] * hj
        af += Whh[n + i, j] * hj
        ag += Whh[2 * n + i, j] * hj
        ao += Whh[3 * n + i, j] * hj
    ig = _sigmoid(ai)
    fg = _sigmoid(af)
    gg = math.tanh(ag)
    og = _sigmoid(ao)
    return ig, fg, gg, og, fg * x[n + i] + ig * gg


# ------------------------------------------------------------------------------------- GRU

def gru_step(k, x, p, x_next):
    """h[k+1] = (1 - z) n + z h[k] (torch.nn.GRUCell), input read at t = k."""
    (Wih, Whh, cx, bhh, kind, amp, omega, phase, ts, vals) = p
    t = float(k)
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(x.shape[0]):
        r, z, nn, anh = _gru_unit(i, t, x, Wih, Whh, cx, bhh, kind, amp, omega, phase, vals,
                                  kpos, frac)
        x_next[i] = (1.0 - z) * nn + z * x[i]


def gru_ode_rhs(t, y, p, dydt):
    """dh/dt = (1 - z) (n - h), GRU-ODE (De Brouwer et al. 2019)."""
    (Wih, Whh, cx, bhh, kind, amp, omega, phase, ts, vals) = p
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(y.shape[0]):
        r, z, nn, anh = _gru_unit(i, t, y, Wih, Whh, cx, bhh, kind, amp, omega, phase, vals,
                                  kpos, frac)
        dydt[i] = (1.0 - z) * (nn - y[i])


@register_jitable
def _gru_jac(t, h, p, J, diag):
    (Wih, Whh, cx, bhh, kind, amp, omega, phase, ts, vals) = p
    n = h.shape[0]
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(n):
        r, z, nn, anh = _gru_unit(i, t, h, Wih, Whh, cx, bhh, kind, amp, omega, phase, vals,
                                  kpos, frac)
        a = (h[i] - nn) * z * (1.0 - z)          # d/dz of the update, times dz/da_z
        b = (1.0 - z) * (1.0 - nn * nn)          # d/dn, times dn/da_n
        c = b * anh * r * (1.0 - r)              # through the reset gate
        for j in range(n):
            J[i, j] = a * Whh[n + i, j] + b * r * Whh[2 * n + i, j] + c * Whh[i, j]
        J[i, i] += z + diag


def gru_step_jac(k, x, p, J):
    """J[i, j] = d h_i[k+1] / d h_j[k]."""
    _gru_jac(float(k), x, p, J, 0.0)


def gru_ode_jac(t, y, p, J):
    """Jacobian of the GRU-ODE: that of the map minus the identity."""
    _gru_jac(t, y, p, J, -1.0)


# ------------------------------------------------------------------------------------ LSTM

def lstm_step(k, x, p, x_next):
    """[h; c] -> [o tanh(c'); c'], c' = f c + i g (torch.nn.LSTMCell), input at t = k."""
    (Wih, Whh, cx, bhh, kind, amp, omega, phase, ts, vals) = p
    t = float(k)
    n = Whh.shape[1]
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(n):
        ig, fg, gg, og, cn = _lstm_unit(i, t, x, Wih, Whh, cx, bhh, kind, amp, omega, phase,
                                        vals, kpos, frac)
        x_next[i] = og * math.tanh(cn)
        x_next[n + i] = cn


def lstm_ode_rhs(t, y, p, dydt):
    """dh/dt = o tanh(c') - h, dc/dt = c' - c with c' = f c + i g (gates from x(t), h)."""
    (Wih, Whh, cx, bhh, kind, amp, omega, phase, ts, vals) = p
    n = Whh.shape[1]
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(n):
        ig, fg, gg, og, cn = _lstm_unit(i, t, y, Wih, Whh, cx, bhh, kind, amp, omega, phase,
                                        vals, kpos, frac)
        dydt[i] = og * math.tanh(cn) - y[i]
        dydt[n + i] = cn - y[n + i]


@register_jitable
def _lstm_jac(t, x, p, J, diag):
    (Wih, Whh, cx, bhh, kind, amp, omega, phase, ts, vals) = p
    n = Whh.shape[1]
    kpos, frac = _sample_position(kind, ts, t)
    for i in range(n):
        ig, fg, gg, og, cn = _lstm_unit(i, t, x, Wih, Whh, cx, bhh, kind, amp, omega, phase,
                                        vals, kpos, frac)
        tc = math.tanh(cn)
        dc_hi = gg * ig * (1.0 - ig)             # dc'/da_i
        dc_hf = x[n + i] * fg * (1.0 - fg)       # dc'/da_f
        dc_hg = ig * (1.0 - gg * gg)             # dc'/da_g
        dh_c = og * (1.0 - tc * tc)              # dh'/dc'
        dh_o = tc * og * (1.0 - og)              # dh'/da_o
        for j in range(n):
            dc = dc_hi * Whh[i, j] + dc_hf * Whh[n + i, j] + dc_hg * Whh[2 * n + i, j]
            J[n + i, j] = dc
            J[i, j] = dh_o * Whh[3 * n + i, j] + dh_c * dc
        for j in range(n):
            J[i, n + j] = 0.0
            J[n + i, n + j] = 0.0
        J[i, n + i] = dh_c * fg
        J[n + i, n + i] = fg
        J[i, i] += diag
        J[n + i, n + i] += diag


def lstm_step_jac(k, x, p, J):
    """Jacobian of the LSTM map on [h; c]."""
    _lstm_jac(float(k), x, p, J, 0.0)


def lstm_ode_jac(t, y, p, J):
    """Jacobian of the LSTM ODE: that of the map minus the identity."""
    _lstm_jac(t, y, p, J, -1.0)
