"""Template of the agent kernel for a dense CTRNN with a constant input (the usual evolved
controller): the same system as ``_agent_template.py`` (see its docstring for the parameter
layout), with the CTRNN written out here so that every neuron's output is computed once per
call and serves both the recurrent sum and the motors (the generic template calls the
CTRNN's own kernel and computes the outputs a second time for the motors: twice the
exponentials, measured 1.6x slower on a 3-neuron double-pole agent).

neurodyn.agent writes a copy per plant kernel, with the import line that binds ``plant``.
"""
import numpy as np

from neurodyn._kernels_ctrnn import _act


def agent_rhs(t, z, p, dz):
    """dz/dt of the joined system, dense CTRNN controller with constant input."""
    cp, pp, S, s_off, Mo, m_off, lo, hi, lim, sp = p
    rate = cp[0]
    theta = cp[1]
    gain = cp[2]
    act = cp[3]
    off = cp[5]
    M = cp[11]       # WT (M[j, i] = W[i, j]) or, with use_blas, W itself
    use_blas = cp[12]
    n = S.shape[0]
    r = S.shape[1]
    m = lim.shape[0]
    q = Mo.shape[0]
    # Outputs, motor commands and sensor features in one small allocation (a scratch array in
    # the params would be shared by the threads of an ensemble: a data race).
    buf = np.empty(n + q + r)
    if HAS_SENSE:  # noqa: F821 - a constant of the generated module
        feat = buf[n + q:]
        sense(t, z[n:n + m], sp, feat)  # noqa: F821 - bound by the generated import line
    else:
        feat = z[n:n + m]
    for j in range(n):
        buf[j] = _act(act, gain[j] * (z[j] + theta[j]))
    for i in range(n):
        s = off[i] - z[i] + s_off[i]
        for k in range(r):
            s += S[i, k] * feat[k]
        if use_blas:
            for j in range(n):
                s += M[i, j] * buf[j]
        else:
            for j in range(n):
                s += M[j, i] * buf[j]
        dz[i] = rate[i] * s
    for r in range(q):
        v = m_off[r]
        for j in range(n):
            v += Mo[r, j] * buf[j]
        if v < lo[r]:
            v = lo[r]
        elif v > hi[r]:
            v = hi[r]
        buf[n + r] = v
    plant(t, z[n:n + m], pp, buf[n:n + q], dz[n:n + m])  # noqa: F821 - the generated import
