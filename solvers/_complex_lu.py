# Complex LU with partial pivoting for radau5's second iteration matrix ((α + iβ)/h I - J).
#
# A template continuation (see the note at the top of _stiff_loops.py): solvers._codegen
# appends it after _stiff_loops.py and before _radau_loops.py. The arithmetic is written out
# on (real, imaginary) pairs of doubles, never with Python complex operators: the interpreted
# twin (solvers._tiers) must give the compiled loop's numbers bit for bit, and complex
# division and abs are implemented differently in CPython and Numba.


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _crecip(pr, pi):
    # 1 / (pr + i pi) by Smith's scaling: no overflow of pr^2 + pi^2 (γ/h reaches 1e300)
    if abs(pr) >= abs(pi):
        r = pi / pr
        d = pr + pi * r
        return 1.0 / d, -r / d
    r = pr / pi
    d = pi + pr * r
    return r / d, -1.0 / d


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _clu_factor(A, piv):
    """A (complex128) factored in place by LU with partial pivoting (|re| + |im| as the
    pivot's size), the complex twin of _lu_factor. False if a pivot is zero or not finite."""
    n = A.shape[0]
    for k in range(n):
        r = k
        v = A[k, k]
        amax = abs(v.real) + abs(v.imag)
        for i in range(k + 1, n):
            v = A[i, k]
            a = abs(v.real) + abs(v.imag)
            if a > amax:
                amax = a
                r = i
        piv[k] = r
        if not (amax > 0.0 and amax < np.inf):
            return False
        if r != k:
            for j in range(n):
                tmp = A[k, j]
                A[k, j] = A[r, j]
                A[r, j] = tmp
        ir, ii = _crecip(A[k, k].real, A[k, k].imag)
        for i in range(k + 1, n):
            ar = A[i, k].real
            ai = A[i, k].imag
            lr = ar * ir - ai * ii
            li = ar * ii + ai * ir
            A[i, k] = complex(lr, li)
            if lr != 0.0 or li != 0.0:
                for j in range(k + 1, n):
                    br = A[k, j].real
                    bi = A[k, j].imag
                    cr = A[i, j].real - (lr * br - li * bi)
                    ci = A[i, j].imag - (lr * bi + li * br)
                    A[i, j] = complex(cr, ci)
    return True


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _clu_solve(A, piv, br, bi):
    """(br + i bi) = A^-1 (br + i bi) for A factored by _clu_factor."""
    n = A.shape[0]
    for k in range(n):
        r = piv[k]
        if r != k:
            tmp = br[k]
            br[k] = br[r]
            br[r] = tmp
            tmp = bi[k]
            bi[k] = bi[r]
            bi[r] = tmp
    for i in range(n):
        sr = br[i]
        si_ = bi[i]
        for j in range(i):
            ar = A[i, j].real
            ai = A[i, j].imag
            sr -= ar * br[j] - ai * bi[j]
            si_ -= ar * bi[j] + ai * br[j]
        br[i] = sr
        bi[i] = si_
    for i in range(n - 1, -1, -1):
        sr = br[i]
        si_ = bi[i]
        for j in range(i + 1, n):
            ar = A[i, j].real
            ai = A[i, j].imag
            sr -= ar * br[j] - ai * bi[j]
            si_ -= ar * bi[j] + ai * br[j]
        ir, ii = _crecip(A[i, i].real, A[i, i].imag)
        br[i] = sr * ir - si_ * ii
        bi[i] = sr * ii + si_ * ir
