# Compiled iteration of ONE discrete-time map kernel.
#
# A template, like _ode_loops.py: solvers._codegen writes a copy per kernel into the code cache
# and imports it with the globals `step`, `jac` and `CACHE` injected.
import math

import numba
import numpy as np

# Injected by solvers._codegen before this module body runs; the defaults only let the file be
# read (or imported) on its own.
step = globals().get("step")
jac = globals().get("jac")
CACHE = globals().get("CACHE", False)

SUCCESS = 0
NON_FINITE = -3


@numba.njit(cache=CACHE, nogil=True)
def eval_step(k, x, p):
    out = np.empty_like(x)
    step(k, x, p, out)
    return out


@numba.njit(cache=CACHE, nogil=True)
def eval_jac(k, x, p):
    J = np.zeros((x.size, x.size))
    jac(k, x, p, J)
    return J


@numba.njit(cache=CACHE, nogil=True)
def iterate_loop(x0, k0, n_steps, transient, every, p):
    """Iterate n_steps times after `transient` unsaved ones, saving every `every`-th state.

    Returns (status, k, x, n_out, out_k, out_x): k is the index of the last state reached.
    """
    n = x0.size
    x = x0.copy()
    xn = np.empty(n)
    k = k0
    for _ in range(transient):
        step(k, x, p, xn)
        for i in range(n):
            if not math.isfinite(xn[i]):
                return NON_FINITE, k, x, 0, np.empty(0, np.int64), np.empty((0, n))
            x[i] = xn[i]
        k += 1
    m = n_steps // every + 1
    out_k = np.empty(m, np.int64)
    out_x = np.empty((m, n))
    out_k[0] = k
    out_x[0, :] = x
    n_out = 1
    for j in range(1, n_steps + 1):
        step(k, x, p, xn)
        for i in range(n):
            if not math.isfinite(xn[i]):
                return NON_FINITE, k, x, n_out, out_k, out_x
        for i in range(n):
            x[i] = xn[i]
        k += 1
        if j % every == 0:
            out_k[n_out] = k
            out_x[n_out, :] = x
            n_out += 1
    return SUCCESS, k, x, n_out, out_k, out_x


@numba.njit(cache=CACHE, nogil=True)
def map_variational(x0, k0, Q0, n_steps, p):
    """Iterate x and its n x k tangent matrix V (V <- J(k, x) V), re-orthonormalising V by
    Gram-Schmidt after every step (Benettin's method) and accumulating log R_ii.

    With k = 0 only x is iterated (a transient).
    Returns (status, k, x, V, logsum).
    """
    n = x0.size
    kk = Q0.shape[1]
    x = x0.copy()
    xn = np.empty(n)
    V = Q0.copy()
    W = np.empty((n, kk))
    J = np.empty((n, n))
    logsum = np.zeros(kk)
    it = k0
    for _s in range(n_steps):
        step(it, x, p, xn)
        if kk > 0:
            for i in range(n):
                for j in range(n):
                    J[i, j] = 0.0
            jac(it, x, p, J)
            for i in range(n):
                for c in range(kk):
                    acc = 0.0
                    for j in range(n):
                        acc += J[i, j] * V[j, c]
                    W[i, c] = acc
            # modified Gram-Schmidt, twice; R_ii > 0 by construction
            for c in range(kk):
                for rep in range(2):
                    for d in range(c):
                        dot = 0.0
                        for i in range(n):
                            dot += W[i, d] * W[i, c]
                        for i in range(n):
                            W[i, c] -= dot * W[i, d]
                    nrm = 0.0
                    for i in range(n):
                        nrm += W[i, c] * W[i, c]
                    nrm = math.sqrt(nrm)
                    if nrm > 0.0:
                        logsum[c] += math.log(nrm)
                        for i in range(n):
                            W[i, c] /= nrm
                    elif rep == 0:
                        logsum[c] = -np.inf
            for i in range(n):
                for c in range(kk):
                    V[i, c] = W[i, c]
        for i in range(n):
            if not math.isfinite(xn[i]):
                return NON_FINITE, it, x, V, logsum
            x[i] = xn[i]
        it += 1
    return SUCCESS, it, x, V, logsum


@numba.njit(cache=CACHE, nogil=True)
def map_variational_fd(x0, k0, Q0, n_steps, p):
    """map_variational for a map without a Jacobian kernel: J V by central directional
    differences (F(x + h v) - F(x - h v)) / 2h, 2k extra map evaluations per iteration.
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
    logsum = np.zeros(kk)
    it = k0
    for _s in range(n_steps):
        step(it, x, p, xn)
        if kk > 0:
            xnorm = 0.0
            for i in range(n):
                xnorm = max(xnorm, abs(x[i]))
            for c in range(kk):
                # V's columns are orthonormal here, so h needs no scaling by |v|
                h = 6e-6 * max(1.0, xnorm)
                for i in range(n):
                    xp[i] = x[i] + h * V[i, c]
                step(it, xp, p, fp)
                for i in range(n):
                    xp[i] = x[i] - h * V[i, c]
                step(it, xp, p, fm)
                for i in range(n):
                    W[i, c] = (fp[i] - fm[i]) / (2.0 * h)
            for c in range(kk):
                for rep in range(2):
                    for d in range(c):
                        dot = 0.0
                        for i in range(n):
                            dot += W[i, d] * W[i, c]
                        for i in range(n):
                            W[i, c] -= dot * W[i, d]
                    nrm = 0.0
                    for i in range(n):
                        nrm += W[i, c] * W[i, c]
                    nrm = math.sqrt(nrm)
                    if nrm > 0.0:
                        logsum[c] += math.log(nrm)
                        for i in range(n):
                            W[i, c] /= nrm
                    elif rep == 0:
                        logsum[c] = -np.inf
            for i in range(n):
                for c in range(kk):
                    V[i, c] = W[i, c]
        for i in range(n):
            if not math.isfinite(xn[i]):
                return NON_FINITE, it, x, V, logsum
            x[i] = xn[i]
        it += 1
    return SUCCESS, it, x, V, logsum
