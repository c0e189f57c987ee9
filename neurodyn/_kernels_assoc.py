"""Kernels of the continuous-time associative memories: plain restricted Python.

The engine compiles each kernel once per function; parameters are runtime arguments whose
types never change, so every continuous Hopfield network (whatever its size, activation or
values) shares one compiled specialisation, and so does every continuous BAM.

Continuous Hopfield network (Hopfield 1984), ``C_i du_i/dt = -u_i/R_i + sum_j T_ij V_j + I_i``,
``V_j = g(gain_j u_j)``. Parameter layout (``p``):

    0  inv_c  float64 (n,)    1 / C
    1  inv_r  float64 (n,)    1 / R
    2  bias   float64 (n,)    I
    3  gain   float64 (n,)
    4  act    int             0 tanh, 1 sigmoid
    5  TT     float64 (n, n)  T transposed, TT[j, i] = T[i, j]

Continuous BAM, state ``z = [x (n), y (m)]``, ``dx/dt = -a x + W S(y) + Ix``,
``dy/dt = -b y + W^T S(x) + Iy``, ``S(z_k) = g(gain_k z_k)``:

    0  a      float64 (n,)    decay rates of the x layer
    1  b      float64 (m,)    decay rates of the y layer
    2  ix     float64 (n,)
    3  iy     float64 (m,)
    4  gain   float64 (n+m,)  gains, x layer first
    5  act    int             0 tanh, 1 sigmoid
    6  W      float64 (n, m)
    7  WT     float64 (m, n)  W transposed (both stored so every inner loop runs along a
                              contiguous row)

Why transposed storage: looping over *sources* j computes each activation once and scatters
it along a contiguous row (``dydt[i] += TT[j, i] * V_j``), with no scratch vector. The kernels
therefore allocate nothing and are safe when several threads integrate one model (ensembles
share a params tuple); see neurodyn._kernels_ctrnn, where this form was measured to run as
fast as single-threaded BLAS gemv up to n = 2000.

Kernels trust their inputs: the model classes validate everything at construction.
"""
import math

from numba.core.extending import register_jitable

__all__ = ["hopfield_rhs", "hopfield_jac", "bam_rhs", "bam_jac", "ACTIVATIONS"]

# Activation codes. tanh first: it is the default of both models.
ACT_TANH = 0
ACT_SIGMOID = 1
ACTIVATIONS = {"tanh": ACT_TANH, "sigmoid": ACT_SIGMOID}


# Helpers are register_jitable so that the kernels also run as plain Python (e.g. in tests
# or under SciPy) and Numba compiles them into whichever kernel calls them.

@register_jitable
def _g(code, x):
    if code == ACT_SIGMOID:
        # The clamp keeps exp finite in plain Python; it changes the result only where
        # sigma(x) < 1e-304.
        return 1.0 / (1.0 + math.exp(min(-x, 700.0)))
    return math.tanh(x)


@register_jitable
def _dg(code, x):
    """Derivative of the activation at x."""
    if code == ACT_SIGMOID:
        s = _g(code, x)
        return s * (1.0 - s)
    th = math.tanh(x)
    return 1.0 - th * th


def hopfield_rhs(t, u, p, dudt):
    """du/dt = (-u / R + T V + I) / C."""
    (inv_c, inv_r, bias, gain, act, TT) = p
    n = u.shape[0]
    for i in range(n):
        dudt[i] = bias[i] - inv_r[i] * u[i]
    for j in range(n):
        v = _g(act, gain[j] * u[j])
        for i in range(n):
            dudt[i] += TT[j, i] * v
    for i in range(n):
        dudt[i] *= inv_c[i]


def hopfield_jac(t, u, p, J):
    """J[i, j] = (T[i, j] gain_j g'(gain_j u_j) - delta_ij / R_i) / C_i."""
    (inv_c, inv_r, bias, gain, act, TT) = p
    n = u.shape[0]
    for j in range(n):
        d = gain[j] * _dg(act, gain[j] * u[j])
        for i in range(n):
            J[i, j] = TT[j, i] * d * inv_c[i]
    for i in range(n):
        J[i, i] -= inv_r[i] * inv_c[i]


def bam_rhs(t, z, p, dzdt):
    """dx/dt = -a x + W S(y) + Ix, dy/dt = -b y + W^T S(x) + Iy, z = [x, y]."""
    (a, b, ix, iy, gain, act, W, WT) = p
    n = W.shape[0]
    m = W.shape[1]
    for i in range(n):
        dzdt[i] = ix[i] - a[i] * z[i]
    for j in range(m):
        dzdt[n + j] = iy[j] - b[j] * z[n + j]
    for j in range(m):
        s = _g(act, gain[n + j] * z[n + j])
        for i in range(n):
            dzdt[i] += WT[j, i] * s
    for i in range(n):
        s = _g(act, gain[i] * z[i])
        for j in range(m):
            dzdt[n + j] += W[i, j] * s


def bam_jac(t, z, p, J):
    """Block Jacobian [[-diag(a), W diag(S'(y))], [W^T diag(S'(x)), -diag(b)]]."""
    (a, b, ix, iy, gain, act, W, WT) = p
    n = W.shape[0]
    m = W.shape[1]
    N = n + m
    for r in range(N):
        for c in range(N):
            J[r, c] = 0.0
    for i in range(n):
        J[i, i] = -a[i]
    for j in range(m):
        J[n + j, n + j] = -b[j]
    for j in range(m):
        d = gain[n + j] * _dg(act, gain[n + j] * z[n + j])
        for i in range(n):
            J[i, n + j] = W[i, j] * d
    for i in range(n):
        d = gain[i] * _dg(act, gain[i] * z[i])
        for j in range(m):
            J[n + j, i] = W[i, j] * d
