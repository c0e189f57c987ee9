"""Recursive least squares, compiled and in place: the update FORCE learning (Sussillo & Abbott
2009) and the online readouts of reservoirs share.

For a readout ``z = w^T r`` with error ``e = z - f`` (computed with ``w`` before the update)::

    k = P r / (1 + r^T P r),    P <- P - k (P r)^T,    w <- w - k e^T

``P`` (``(N, N)``, the running inverse of the regularised correlation matrix of ``r``, started
at ``I / alpha``) stays symmetric, so ``r^T P = (P r)^T``. Nothing is allocated: ``Pr`` is a
caller-owned scratch vector, and the rank-1 update of ``P`` is one pass over the matrix (no
``N x N`` temporary, which is what ``P -= np.outer(k, Pr)`` costs in NumPy).
"""
import numba
import numpy as np  # noqa: F401 (the doctests use it)

__all__ = ["rls_update", "rls_update_parallel", "lms_update"]


@numba.njit(cache=True, fastmath={"reassoc"})
def _row_dot(P, i, r):
    # Reassociation lets LLVM vectorise this sum (a strict left-to-right chain cannot be):
    # 3-4x faster at N = 1000. Each row's sum has one fixed order on a given machine, so the
    # result does not depend on the thread count; across CPUs (vector widths) it may differ
    # in the last bits, as BLAS does.
    s = 0.0
    for j in range(r.shape[0]):
        s += P[i, j] * r[j]
    return s


@numba.njit(cache=True)
def rls_update(P, r, e, w, Pr):
    """One RLS step in place on ``P`` (N, N), ``w`` (N, m) for the error ``e`` (m,) of the
    readout at ``r`` (N,); ``Pr`` (N,) is scratch. Returns ``1 / (1 + r^T P r)``.

    >>> P, w = np.eye(2), np.zeros((2, 1))
    >>> c = rls_update(P, np.array([1.0, 0.0]), np.array([-2.0]), w, np.empty(2))
    >>> c, w.ravel().tolist(), P.ravel().tolist()     # k = (1/2, 0): w moves half the error
    (0.5, [1.0, 0.0], [0.5, 0.0, 0.0, 1.0])
    """
    N = r.shape[0]
    for i in range(N):
        Pr[i] = _row_dot(P, i, r)
    rPr = 0.0
    for i in range(N):
        rPr += r[i] * Pr[i]
    c = 1.0 / (1.0 + rPr)
    for i in range(N):
        ki = c * Pr[i]
        for j in range(N):
            P[i, j] -= ki * Pr[j]
        for o in range(e.shape[0]):
            w[i, o] -= ki * e[o]
    return c


@numba.njit(cache=True, parallel=True)
def rls_update_parallel(P, r, e, w, Pr):
    """:func:`rls_update` with its two passes over ``P`` split by rows over the cores; the
    same result bit for bit, whatever the number of threads (each row is one thread's, and
    ``r^T P r`` is summed in order afterwards).

    >>> P, w = np.eye(2), np.zeros((2, 1))
    >>> rls_update_parallel(P, np.array([1.0, 0.0]), np.array([-2.0]), w, np.empty(2))
    0.5
    """
    N = r.shape[0]
    for i in numba.prange(N):
        Pr[i] = _row_dot(P, i, r)
    rPr = 0.0
    for i in range(N):
        rPr += r[i] * Pr[i]
    c = 1.0 / (1.0 + rPr)
    for i in numba.prange(N):
        ki = c * Pr[i]
        for j in range(N):
            P[i, j] -= ki * Pr[j]
        for o in range(e.shape[0]):
            w[i, o] -= ki * e[o]
    return c


@numba.njit(cache=True)
def lms_update(w, r, e, rate):
    """One least-mean-squares (Widrow-Hoff) step in place: ``w <- w - rate * r e^T``.

    >>> w = np.zeros((2, 1))
    >>> lms_update(w, np.array([1.0, 2.0]), np.array([-1.0]), 0.1)
    >>> w.ravel().tolist()
    [0.1, 0.2]
    """
    for i in range(r.shape[0]):
        for o in range(e.shape[0]):
            w[i, o] -= rate * r[i] * e[o]
