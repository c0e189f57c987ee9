# Compiled iteration of ONE discrete-time map kernel.
#
# A template, like _ode_loops.py: solvers._codegen writes a copy per kernel into the code cache
# and imports it with the globals `step`, `jac`, `CACHE` and `BOUNDSCHECK` injected. No slice
# assignment: see _ode_loops.py.
import math

import numba
import numpy as np

from solvers._variational import gram_schmidt

# Injected by solvers._codegen before this module body runs; the defaults only let the file be
# read (or imported) on its own.
step = globals().get("step")
jac = globals().get("jac")
CACHE = globals().get("CACHE", False)
BOUNDSCHECK = globals().get("BOUNDSCHECK", False)

SUCCESS = 0
NON_FINITE = -3


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def eval_step(k, x, p):
    out = np.empty_like(x)
    step(k, x, p, out)
    return out


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def eval_jac(k, x, p):
    J = np.zeros((x.size, x.size))
    jac(k, x, p, J)
    return J


# Resumable like the ODE loops (see _ode_loops.py): si holds SI_STATUS, SI_K (index of the
# current state), SI_DONE (iterations done, transient included), SI_NOUT (rows written); the
# state x and the output rows are the caller's. Each call does at most `budget` iterations.
RUNNING = 1
SI_STATUS = 0
SI_K = 1
SI_DONE = 2
SI_NOUT = 3


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def iterate_loop(x, si, n_steps, transient, every, p, out_k, out_x, budget):
    """Iterate n_steps times after `transient` unsaved ones, saving the state after the
    transient and every `every`-th state after it. Returns the status (also in si)."""
    n = x.size
    xn = np.empty(n)
    k = si[SI_K]
    done = si[SI_DONE]
    n_out = si[SI_NOUT]
    total = transient + n_steps
    status = SUCCESS
    if done == transient and n_out == 0:
        out_k[0] = k
        for i in range(n):
            out_x[0, i] = x[i]
        n_out = 1
        si[SI_NOUT] = 1
    taken = 0
    while done < total:
        if taken >= budget:
            status = RUNNING
            break
        taken += 1
        step(k, x, p, xn)
        finite = True
        for i in range(n):
            if not math.isfinite(xn[i]):
                finite = False
        if not finite:
            status = NON_FINITE
            break
        for i in range(n):
            x[i] = xn[i]
        k += 1
        done += 1
        if done == transient and n_out == 0:
            out_k[0] = k
            for i in range(n):
                out_x[0, i] = x[i]
            n_out = 1
        elif done > transient and (done - transient) % every == 0:
            out_k[n_out] = k
            for i in range(n):
                out_x[n_out, i] = x[i]
            n_out += 1
        si[SI_K] = k
        si[SI_DONE] = done
        si[SI_NOUT] = n_out
    si[SI_STATUS] = status
    return status


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _tangent_jac(k, x, V, p, J, xp, fp, fm, W):
    # W = J(k, x) @ V
    n = x.size
    for i in range(n):
        for j in range(n):
            J[i, j] = 0.0
    jac(k, x, p, J)
    for i in range(n):
        for c in range(V.shape[1]):
            acc = 0.0
            for j in range(n):
                acc += J[i, j] * V[j, c]
            W[i, c] = acc


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _tangent_fd(k, x, V, p, J, xp, fp, fm, W):
    # Without a Jacobian kernel: W[:, c] = (F(x + h v) - F(x - h v)) / 2h, v = V[:, c]
    # (2 extra map evaluations per column).
    n = x.size
    xnorm = 0.0
    for i in range(n):
        xnorm = max(xnorm, abs(x[i]))
    for c in range(V.shape[1]):
        # V's columns are orthonormal here, so h needs no scaling by |v|
        h = 6e-6 * max(1.0, xnorm)
        for i in range(n):
            xp[i] = x[i] + h * V[i, c]
        step(k, xp, p, fp)
        for i in range(n):
            xp[i] = x[i] - h * V[i, c]
        step(k, xp, p, fm)
        for i in range(n):
            W[i, c] = (fp[i] - fm[i]) / (2.0 * h)


# A generated module has a Jacobian kernel or not for good (that is part of its cache key), so
# the tangent map is chosen once here, not by a branch inside the loop.
_HAS_JAC = jac is not None
_tangent = _tangent_jac if _HAS_JAC else _tangent_fd


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def map_variational(x0, k0, Q0, n_steps, p):
    """Iterate x and its n x k tangent matrix V (V <- J(k, x) V), re-orthonormalising V by
    Gram-Schmidt after every step (Benettin's method) and accumulating log R_ii.

    J V comes from the Jacobian kernel, or without one from central directional differences.
    With k = 0 only x is iterated (a transient).
    Returns (status, k, x, V, logsum).
    """
    n = x0.size
    kk = Q0.shape[1]
    x = x0.copy()
    xn = np.empty(n)
    xp = np.empty(n)
    fp = np.empty(n)
    fm = np.empty(n)
    V = Q0.copy()
    W = np.empty((n, kk))
    nj = n if _HAS_JAC else 0
    J = np.empty((nj, nj))
    logsum = np.zeros(kk)
    it = k0
    for _s in range(n_steps):
        step(it, x, p, xn)
        if kk > 0:
            _tangent(it, x, V, p, J, xp, fp, fm, W)
            gram_schmidt(W, logsum)
            for i in range(n):
                for c in range(kk):
                    V[i, c] = W[i, c]
        for i in range(n):
            if not math.isfinite(xn[i]):
                return NON_FINITE, it, x, V, logsum
            x[i] = xn[i]
        it += 1
    return SUCCESS, it, x, V, logsum
