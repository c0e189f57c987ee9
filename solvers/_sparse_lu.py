"""SuperLU (SciPy's ``splu``) for the compiled stiff loops' large sparse iteration matrices.

The loops of ``_stiff_loops.py`` call :func:`factor` and :func:`solve` from ``numba.objmode``
blocks (a few microseconds each, nothing beside an O(n^3) dense LU at the sizes where this
path is taken). A factorisation is kept here under the address of the dense work matrix it was
built from: every run (and every thread of an ensemble) has its own, and the driver releases
it when the run ends.
"""
from __future__ import annotations

import numpy as np

_factors: dict = {}
stats = {"factor": 0, "solve": 0}


def factor(E):
    """Factor the dense matrix ``E`` (as a sparse one, COLAMD ordering); False when it is not
    finite or SuperLU finds it singular."""
    from scipy.sparse import csc_matrix
    from scipy.sparse.linalg import splu

    key = E.ctypes.data
    _factors.pop(key, None)
    if not np.isfinite(E).all():
        return False
    try:
        lu = splu(csc_matrix(E))
    except RuntimeError:  # "Factor is exactly singular"
        return False
    _factors[key] = lu
    stats["factor"] += 1
    return True


def solve(E, b):
    """b = E^-1 b with the factorisation of ``E``."""
    b[:] = _factors[E.ctypes.data].solve(b)
    stats["solve"] += 1


def csolve(E, br, bi):
    """(br + i bi) = E^-1 (br + i bi) with the factorisation of the complex ``E``."""
    x = _factors[E.ctypes.data].solve(br + 1j * bi)
    br[:] = x.real
    bi[:] = x.imag
    stats["solve"] += 1


def release(E):
    """Drop the factorisation kept for ``E`` (if any)."""
    _factors.pop(E.ctypes.data, None)
