"""Liquid time-constant (LTC) kernels: the ODE and its Jacobian (plain restricted Python the
engine compiles), and ncps's fused semi-implicit step over a sequence (a compiled loop).

    cm_i dv_i/dt = gleak_i (vleak_i - v_i)
                   + sum_j w[j, i] s(sigma[j, i] (v_j - mu[j, i])) (erev[j, i] - v_i)
                   + sum_k sw[k, i] s(ssigma[k, i] (u_k - smu[k, i])) (serev[k, i] - v_i)

with ``s`` the logistic sigmoid and ``u = input_w * I(t) + input_b`` the mapped input. Synapse
matrices are indexed ``[source, target]`` as ncps stores them, so the kernels loop over
sources and scatter along contiguous rows; a zero weight (a synapse the wiring leaves out) is
skipped, which saves its exp.

Parameter layout (``p``):

    0  gleak  float64 (n,)     leak conductances (>= 0)
    1  vleak  float64 (n,)     leak reversal potentials
    2  cm     float64 (n,)     membrane capacitances (> 0)
    3  w      float64 (n, n)   synaptic conductances (>= 0; wiring mask applied)
    4  mu     float64 (n, n)   sigmoid centres
    5  sigma  float64 (n, n)   sigmoid slopes
    6  erev   float64 (n, n)   synaptic reversal potentials
    7-10 sw, smu, ssigma, serev  float64 (m, n)  the same for sensory synapses
    11 in_w   float64 (m,)     input mapping u = in_w * I + in_b
    12 in_b   float64 (m,)
    13 in_kind int; 14 in_off, 15 in_amp, 16 in_omega, 17 in_phase float64 (m,);
    18 in_ts float64 (T,); 19 in_vals float64 (T, c): the input I(t) (neurodyn.inputs.encode)

Kernels trust their inputs: neurodyn.cells.ltc.LTC validates everything at construction.
"""
import numpy as np
from numba import njit

from .._kernels_ctrnn import _input_at, _sample_position
from ._kernels_gated import _sigmoid

__all__ = ["ltc_rhs", "ltc_jac", "ltc_fused_run"]


def ltc_rhs(t, v, p, dvdt):
    """dv/dt of the LTC network."""
    (gleak, vleak, cm, w, mu, sigma, erev, sw, smu, ssigma, serev, in_w, in_b,
     kind, off, amp, omega, phase, ts, vals) = p
    n = v.shape[0]
    for i in range(n):
        dvdt[i] = gleak[i] * (vleak[i] - v[i])
    for j in range(n):
        vj = v[j]
        for i in range(n):
            wji = w[j, i]
            if wji != 0.0:
                dvdt[i] += wji * _sigmoid(sigma[j, i] * (vj - mu[j, i])) * (erev[j, i] - v[i])
    kpos, frac = _sample_position(kind, ts, t)
    for q in range(sw.shape[0]):
        u = in_w[q] * _input_at(kind, q, t, off, amp, omega, phase, vals, kpos, frac) + in_b[q]
        for i in range(n):
            s = sw[q, i]
            if s != 0.0:
                dvdt[i] += s * _sigmoid(ssigma[q, i] * (u - smu[q, i])) * (serev[q, i] - v[i])
    for i in range(n):
        dvdt[i] /= cm[i]


def ltc_jac(t, v, p, J):
    """J[i, l] = d(dv_i/dt)/dv_l."""
    (gleak, vleak, cm, w, mu, sigma, erev, sw, smu, ssigma, serev, in_w, in_b,
     kind, off, amp, omega, phase, ts, vals) = p
    n = v.shape[0]
    for i in range(n):
        for j in range(n):
            J[i, j] = 0.0
        J[i, i] = -gleak[i]
    for j in range(n):
        for i in range(n):
            wji = w[j, i]
            if wji != 0.0:
                s = _sigmoid(sigma[j, i] * (v[j] - mu[j, i]))
                J[i, i] -= wji * s
                J[i, j] += wji * s * (1.0 - s) * sigma[j, i] * (erev[j, i] - v[i])
    kpos, frac = _sample_position(kind, ts, t)
    for q in range(sw.shape[0]):
        u = in_w[q] * _input_at(kind, q, t, off, amp, omega, phase, vals, kpos, frac) + in_b[q]
        for i in range(n):
            s = sw[q, i]
            if s != 0.0:
                J[i, i] -= s * _sigmoid(ssigma[q, i] * (u - smu[q, i]))
    for i in range(n):
        for j in range(n):
            J[i, j] /= cm[i]


@njit(cache=True)
def ltc_fused_run(gleak, vleak, cm, w, mu, sigma, erev, sw, smu, ssigma, serev, in_w, in_b,
                  X, elapsed, unfolds, eps, v0, out):
    """ncps's LTCCell step over a sequence: out[k] is the state after reading X[k] over the
    time elapsed[k], in ``unfolds`` semi-implicit Euler sub-steps.

    Per sub-step of length h the conductances are taken at the old state and the v_i they
    multiply at the new one:
    v <- (cm/h v + gleak vleak + sum a E) / (cm/h + gleak + sum a + eps).
    The sensory conductances are computed once per step (the input is held over it). Sums are
    grouped as ncps groups them (recurrent, then + sensory; numerator and denominator terms
    left to right) so that float64 runs agree with ncps in float64 to rounding.
    """
    n = v0.shape[0]
    v = v0.copy()
    vn = np.empty(n)
    num_s = np.empty(n)
    den_s = np.empty(n)
    num = np.empty(n)
    den = np.empty(n)
    for k in range(X.shape[0]):
        for i in range(n):
            num_s[i] = 0.0
            den_s[i] = 0.0
        for q in range(X.shape[1]):
            u = X[k, q] * in_w[q] + in_b[q]
            for i in range(n):
                s = sw[q, i]
                if s != 0.0:
                    a = s * _sigmoid(ssigma[q, i] * (u - smu[q, i]))
                    num_s[i] += a * serev[q, i]
                    den_s[i] += a
        h = elapsed[k] / unfolds
        for _ in range(unfolds):
            for i in range(n):
                num[i] = 0.0
                den[i] = 0.0
            for j in range(n):
                vj = v[j]
                for i in range(n):
                    wji = w[j, i]
                    if wji != 0.0:
                        a = wji * _sigmoid(sigma[j, i] * (vj - mu[j, i]))
                        num[i] += a * erev[j, i]
                        den[i] += a
            for i in range(n):
                cm_t = cm[i] / h
                vn[i] = ((cm_t * v[i] + gleak[i] * vleak[i]) + (num[i] + num_s[i])) \
                    / (((cm_t + gleak[i]) + (den[i] + den_s[i])) + eps)
            for i in range(n):
                v[i] = vn[i]
        for i in range(n):
            out[k, i] = v[i]
