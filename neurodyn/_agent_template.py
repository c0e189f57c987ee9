"""Template of the agent kernel: a CTRNN controller and a plant joined into one right-hand side.

neurodyn.agent writes a copy of this file per (controller kernel, plant kernel), with two import
lines in front that bind ``controller`` and ``plant`` to those kernels by name, so the engine
sees a module-level kernel in a real file whose callees are globals: its loops are cached on
disk (a closure over the two kernels would be recompiled in every process; DESIGN.md).

State ``z = [y (n neurons); x (m body states)]``. Parameter layout (``p``):

    0 cp     the controller's params tuple (CTRNN layout: rate, theta, gain, act, ...)
    1 pp     the plant's params tuple
    2 S      float64 (n, m)   sensors: neuron i receives sum_k S[i, k] x_k + s_off[i] as input
    3 s_off  float64 (n,)
    4 Mo     float64 (q, n)   motors: u_j = clip(sum_i Mo[j, i] o_i + m_off[j], lo_j, hi_j),
    5 m_off  float64 (q,)              o_i = sigma(g_i (y_i + theta_i)) the neuron's output
    6 lo     float64 (q,)
    7 hi     float64 (q,)
    8 lim    float64 (m,)     failure bounds |x_k| <= lim[k] (inf: none), for the event
    9 sp     the sensor function's params tuple ((0.0,) without one)

With a sensor function ``sense(t, x, sp, out)`` (HAS_SENSE), the sensors read its ``r``
features instead of the body state: S is then (n, r).

The sensor input enters as the CTRNN's input current does, tau_i dy_i/dt = ... + I_i, hence
the factor rate_i = 1 / tau_i.
"""
import numpy as np

from neurodyn._kernels_ctrnn import _act


def agent_rhs(t, z, p, dz):
    """dz/dt of the joined system (see the module docstring)."""
    cp, pp, S, s_off, Mo, m_off, lo, hi, lim, sp = p
    n = S.shape[0]
    r = S.shape[1]
    m = lim.shape[0]
    q = Mo.shape[0]
    y = z[:n]
    x = z[n:n + m]
    # A few floats per call (motor commands, sensor features); a scratch array in the params
    # would be shared by the threads of an ensemble (a data race), so it is allocated here.
    buf = np.empty(q + r)
    u = buf[:q]
    if HAS_SENSE:  # noqa: F821 - a constant of the generated module
        feat = buf[q:]
        sense(t, x, sp, feat)  # noqa: F821 - bound by the generated import line
    else:
        feat = x
    controller(t, y, cp, dz[:n])  # noqa: F821 - bound by the generated import line
    rate = cp[0]
    theta = cp[1]
    gain = cp[2]
    act = cp[3]
    for i in range(n):
        s = s_off[i]
        for k in range(r):
            s += S[i, k] * feat[k]
        dz[i] += rate[i] * s
    for j in range(q):
        u[j] = m_off[j]
    for i in range(n):
        o = _act(act, gain[i] * (y[i] + theta[i]))
        for j in range(q):
            u[j] += Mo[j, i] * o
    for j in range(q):
        if u[j] < lo[j]:
            u[j] = lo[j]
        elif u[j] > hi[j]:
            u[j] = hi[j]
    plant(t, x, pp, u, dz[n:n + m])  # noqa: F821 - bound by the generated import line
