"""Memristive-network kernels (Caravelli–Traversa–Di Ventra dynamics), compiled once per form.

State ``x`` (one memory value per edge), resistance ``R_e = R_off (1 - chi x_e)``, sources
``S_e(t)`` in series with each memristor. With ``z = R_off * i`` (the edge currents in units of
``V / R_off``) the drift is

    dx_e/dt = F(x_e) z_e / beta - alpha x_e,      z = (I - chi Omega X)^{-1} Omega S(t),

and ``F = 1`` without window. Two algebraically identical forms of ``z``:

* projector form (``mem_proj_rhs``): a dense ``E x E`` solve with the cycle-space projector
  ``Omega`` — the CTDV equation as written in the papers, kept as the reference;
* nodal form (``mem_nodal_rhs``): nodal analysis. With ``g_e = 1 / (1 - chi x_e)`` (conductance
  in units of ``1 / R_off``), node potentials ``phi`` (one grounded node per component) solve
  ``(B_r G B_r^T) phi = -B_r G S`` and ``z = G (B_r^T phi + S)``. Kirchhoff's current law is
  ``B z = 0`` and the voltage law ``R z / R_off - S = B^T phi``, which is the defining property of
  the CTDV ``z`` (``z = Omega z`` and ``Omega ((I - chi X) z - S) = 0``), so both forms agree.
  By Woodbury, this replaces the ``E x E`` solve by a Cholesky factorisation of the weighted
  Laplacian of size ``V - c``; it is done here as a sparse left-looking Cholesky whose
  fill-reducing (minimum-degree) ordering and symbolic pattern are computed once per network
  in Python (:mod:`circuits.network`), so a right-hand side costs ``O(nnz(L) + flops(L))``.

Jacobian: ``dz/dx_j = chi z_j T e_j`` with ``T = (I - chi Omega X)^{-1} Omega
= G - G B_r^T L^{-1} B_r G`` (the source-to-current transfer matrix at the present state), so

    J = diag(F(x) / beta) chi T diag(z) + diag(F'(x) z / beta - alpha).

Window (``wcode``): 0 none; 1 Joglekar ``F(x) = 1 - (2x - 1)^(2p)``, applied to the current term
only, so ``x_e = 0`` and ``x_e = 1`` cannot be crossed (drift 0 at 0, ``-alpha`` at 1).

Parameter layout (``p``), shared prefix:

    0  chi       float          1 - R_on / R_off, in [0, 1)
    1  alpha     float          decay rate
    2  beta      float          inverse coupling to the current
    3  wcode     int            0 none, 1 Joglekar
    4  wp        int            Joglekar exponent p >= 1
    5..9 kind, par, ptr, ts, vs  sources (circuits._kernels_sources), one per driven edge
    10 src_edge  int64 (m,)     the edge each source drives
  projector form:
    11 omega     float64 (E, E) the projector onto the cycle space
  nodal form (reduced nodes numbered in elimination order; -1 = ground):
    11 tail      int64 (E,)     reduced index of u of edge (u, v)
    12 head      int64 (E,)     reduced index of v
    13 Lp        int64 (n+1,)   CSC column pointers of the Cholesky factor L (diagonal first)
    14 Li        int64 (nnz,)   row indices, ascending within a column
    15 Rp        int64 (n+1,)   CSR pointers of the strict lower pattern of L by rows
    16 Rk        int64 (.,)     their columns k < j
    17 Rpos      int64 (.,)     position in Li/Lx of L[j, k]
    18 offA      int64 (E,)     position in Lx of the Laplacian entry of edge e (-1: none)

Kernels trust their inputs (validated by :class:`circuits.network.MemristiveNetwork`), and keep
no scratch space in ``p``, so parallel ensembles may share one parameter tuple.
"""
import math

import numpy as np
from numba.core.extending import register_jitable

from ._kernels_sources import source_value

WINDOW_NONE = 0
WINDOW_JOGLEKAR = 1


@register_jitable
def _window(code, wp, x):
    if code == WINDOW_NONE:
        return 1.0
    return 1.0 - (2.0 * x - 1.0) ** (2 * wp)


@register_jitable
def _dwindow(code, wp, x):
    if code == WINDOW_NONE:
        return 0.0
    return -4.0 * wp * (2.0 * x - 1.0) ** (2 * wp - 1)


@register_jitable
def _sources(t, p, E):
    S = np.zeros(E)
    src = p[10]
    for k in range(src.shape[0]):
        S[src[k]] += source_value(k, t, p[5], p[6], p[7], p[8], p[9])
    return S


@register_jitable
def _drift(y, p, z, dydt):
    alpha = p[1]
    beta = p[2]
    for e in range(y.shape[0]):
        dydt[e] = _window(p[3], p[4], y[e]) * z[e] / beta - alpha * y[e]


@register_jitable
def _jac_from_T(y, p, z, T, J):
    """J = diag(F / beta) chi T diag(z) + diag(F' z / beta - alpha); T may alias J."""
    chi = p[0]
    alpha = p[1]
    beta = p[2]
    E = y.shape[0]
    for e in range(E):
        fe = _window(p[3], p[4], y[e]) * chi / beta
        for j in range(E):
            J[e, j] = fe * T[e, j] * z[j]
    for e in range(E):
        J[e, e] += _dwindow(p[3], p[4], y[e]) * z[e] / beta - alpha


# ------------------------------------------------------------------ projector form

@register_jitable
def _proj_matrix(y, p):
    omega = p[11]
    E = y.shape[0]
    chi = p[0]
    M = np.empty((E, E))
    for i in range(E):
        for j in range(E):
            M[i, j] = -chi * omega[i, j] * y[j]
        M[i, i] += 1.0
    return M


def mem_proj_rhs(t, y, p, dydt):
    E = y.shape[0]
    S = _sources(t, p, E)
    z = np.linalg.solve(_proj_matrix(y, p), p[11] @ S)
    _drift(y, p, z, dydt)


def mem_proj_jac(t, y, p, J):
    E = y.shape[0]
    S = _sources(t, p, E)
    M = _proj_matrix(y, p)
    z = np.linalg.solve(M, p[11] @ S)
    T = np.linalg.solve(M, p[11])
    _jac_from_T(y, p, z, T, J)


# ------------------------------------------------------------------ nodal form

@register_jitable
def _factor(y, p):
    """Numeric Cholesky of the weighted reduced Laplacian; returns (Lx, g)."""
    chi = p[0]
    tail = p[11]
    head = p[12]
    Lp = p[13]
    Li = p[14]
    Rp = p[15]
    Rpos = p[17]
    offA = p[18]
    n = Lp.shape[0] - 1
    E = y.shape[0]
    g = np.empty(E)
    Lx = np.zeros(Li.shape[0])
    for e in range(E):
        den = 1.0 - chi * y[e]
        # Compiled division by zero raises; a vanishing resistance must give a non-finite
        # state the solver reports instead.
        ge = 1.0 / den if den != 0.0 else math.inf
        g[e] = ge
        a = tail[e]
        b = head[e]
        if a >= 0:
            Lx[Lp[a]] += ge
        if b >= 0:
            Lx[Lp[b]] += ge
        if offA[e] >= 0:
            Lx[offA[e]] -= ge
    w = np.zeros(n)
    for j in range(n):
        for q in range(Lp[j], Lp[j + 1]):
            w[Li[q]] = Lx[q]
        for r in range(Rp[j], Rp[j + 1]):
            pos = Rpos[r]
            ljk = Lx[pos]
            end = Lp[p[16][r] + 1]
            for q in range(pos, end):
                w[Li[q]] -= Lx[q] * ljk
        # Not positive: some resistance is <= 0 (x >= 1/chi) or not finite; NaN propagates.
        d = math.sqrt(w[j]) if w[j] > 0.0 else math.nan
        Lx[Lp[j]] = d
        for q in range(Lp[j] + 1, Lp[j + 1]):
            Lx[q] = w[Li[q]] / d
    return Lx, g


@register_jitable
def _cho_solve(Lp, Li, Lx, b):
    """Overwrite b with (L L^T)^{-1} b."""
    n = Lp.shape[0] - 1
    for j in range(n):
        bj = b[j] / Lx[Lp[j]]
        b[j] = bj
        for q in range(Lp[j] + 1, Lp[j + 1]):
            b[Li[q]] -= Lx[q] * bj
    for j in range(n - 1, -1, -1):
        s = b[j]
        for q in range(Lp[j] + 1, Lp[j + 1]):
            s -= Lx[q] * b[Li[q]]
        b[j] = s / Lx[Lp[j]]


@register_jitable
def _nodal_z(t, y, p):
    """(z, phi, Lx, g) at state y and time t."""
    tail = p[11]
    head = p[12]
    E = y.shape[0]
    n = p[13].shape[0] - 1
    S = _sources(t, p, E)
    Lx, g = _factor(y, p)
    phi = np.zeros(n)
    for e in range(E):
        gs = g[e] * S[e]
        if tail[e] >= 0:
            phi[tail[e]] -= gs
        if head[e] >= 0:
            phi[head[e]] += gs
    _cho_solve(p[13], p[14], Lx, phi)
    z = np.empty(E)
    for e in range(E):
        v = S[e]
        if tail[e] >= 0:
            v += phi[tail[e]]
        if head[e] >= 0:
            v -= phi[head[e]]
        z[e] = g[e] * v
    return z, phi, Lx, g


def mem_nodal_rhs(t, y, p, dydt):
    z, phi, Lx, g = _nodal_z(t, y, p)
    _drift(y, p, z, dydt)


def mem_nodal_jac(t, y, p, J):
    tail = p[11]
    head = p[12]
    E = y.shape[0]
    n = p[13].shape[0] - 1
    z, phi, Lx, g = _nodal_z(t, y, p)
    col = np.empty(n)
    # Column j of T: the edge currents (units 1/R_off) driven by a unit source on edge j.
    for j in range(E):
        for k in range(n):
            col[k] = 0.0
        a = tail[j]
        b = head[j]
        if a >= 0:
            col[a] -= g[j]
        if b >= 0:
            col[b] += g[j]
        _cho_solve(p[13], p[14], Lx, col)
        for e in range(E):
            v = 0.0
            if tail[e] >= 0:
                v += col[tail[e]]
            if head[e] >= 0:
                v -= col[head[e]]
            J[e, j] = g[e] * v
        J[j, j] += g[j]
    _jac_from_T(y, p, z, J, J)
