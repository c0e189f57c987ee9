"""Input checks compiled once (cached): validating a 1000-point t_eval with NumPy calls cost
more than integrating a small network, so the checks that scan arrays run in compiled code."""
import math

import numba


@numba.njit(cache=True, nogil=True)
def first_bad_time(te, t0, t1):
    """Index of the first entry of te that is non-finite, outside [t0, t1] or smaller than its
    predecessor; -1 when te is a valid sorted grid."""
    prev = t0
    for k in range(te.size):
        v = te[k]
        if not (v >= prev and v <= t1):  # also false for NaN
            return k
        prev = v
    return -1


@numba.njit(cache=True, nogil=True)
def first_non_finite(y):
    """Index of the first non-finite entry of y, or -1."""
    for k in range(y.size):
        if not math.isfinite(y[k]):
            return k
    return -1
