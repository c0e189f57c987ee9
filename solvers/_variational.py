"""Compiled helpers shared by the variational loops of both templates (_ode_loops, _map_loops).

The generated loop modules import this file; solvers._codegen hashes it into their cache key,
so an edit here cannot bring back stale machine code.
"""
import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def gram_schmidt(V, logs):
    """Orthonormalise V's columns in place; add log(R_ii) to logs (Benettin's method).

    Modified Gram-Schmidt, twice ("twice is enough", Giraud et al. 2005) so the columns stay
    orthonormal even when the tangents have nearly aligned. The diagonal of R is the norm of
    each orthogonalised column, positive by construction; a column that collapsed to zero
    gets log R_ii = -inf.
    """
    n, k = V.shape
    for c in range(k):
        for rep in range(2):
            for d in range(c):
                dot = 0.0
                for i in range(n):
                    dot += V[i, d] * V[i, c]
                for i in range(n):
                    V[i, c] -= dot * V[i, d]
            nrm = 0.0
            for i in range(n):
                nrm += V[i, c] * V[i, c]
            nrm = math.sqrt(nrm)
            if nrm > 0.0:
                logs[c] += math.log(nrm)
                for i in range(n):
                    V[i, c] /= nrm
            elif rep == 0:
                logs[c] = -np.inf
