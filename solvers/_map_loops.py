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
