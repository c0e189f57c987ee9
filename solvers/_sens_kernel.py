# The right-hand side of forward sensitivities for ONE model kernel (rhs, jac, pjac).
#
# This file is a template: solvers.sensitivity reads it as text, writes a copy per model kernel
# into the neurodyn code cache and imports that copy with `rhs`, `jac`, `pjac`, `CACHE` and
# `BOUNDSCHECK` injected, exactly as solvers._codegen does for the loops (Numba's cache is hit
# only by a real file that reaches its kernels as globals). The kernel `sens_rhs` it defines is
# then an ordinary kernel: solvers._codegen builds the integration loops around it, so every
# method, t_eval, partial results and interruption work as for any system.
#
# The augmented state is z = [y, S] with S = dy/dtheta (n x q) stored row-major after y:
#     dy/dt = f(t, y),   dS/dt = J(t, y) S + df/dtheta(t, y)[:, cols]
# p = (model params, cols, J, Jp): cols[c] is the column of the model's parameter Jacobian
# that column c of S follows (-1: an initial-state column, no forcing); J (n, n) and Jp
# (n, q_all) are scratch, owned by one run (never shared between threads).
import numba

rhs = globals().get("rhs")
jac = globals().get("jac")
pjac = globals().get("pjac")
CACHE = globals().get("CACHE", False)
BOUNDSCHECK = globals().get("BOUNDSCHECK", False)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _forcing_pjac(t, y, mp, cols, Jp, dz, n, q):
    # Jp has no columns when only initial states are asked for: pjac is not called at all.
    m = Jp.shape[1]
    if m > 0:
        for i in range(n):
            for c in range(m):
                Jp[i, c] = 0.0
        pjac(t, y, mp, Jp)
    for i in range(n):
        base = n + i * q
        for c in range(q):
            k = cols[c]
            dz[base + c] = Jp[i, k] if k >= 0 else 0.0


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _forcing_none(t, y, mp, cols, Jp, dz, n, q):
    for i in range(n * q):
        dz[n + i] = 0.0


# A module has a parameter-Jacobian kernel or not for good (it is part of the cache key), so
# the forcing is chosen here, not by a branch in the kernel.
_forcing = _forcing_none if pjac is None else _forcing_pjac


def sens_rhs(t, z, p, dz):
    mp, cols, J, Jp = p
    n = J.shape[0]
    q = cols.shape[0]
    y = z[:n]
    rhs(t, y, mp, dz[:n])
    for i in range(n):
        for j in range(n):
            J[i, j] = 0.0
    jac(t, y, mp, J)
    _forcing(t, y, mp, cols, Jp, dz, n, q)
    # dS += J S, skipping J's zeros (a network's Jacobian is as sparse as its weights)
    for i in range(n):
        base = n + i * q
        for j in range(n):
            a = J[i, j]
            if a != 0.0:
                src = n + j * q
                for c in range(q):
                    dz[base + c] += a * z[src + c]
