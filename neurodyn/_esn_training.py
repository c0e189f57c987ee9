"""Readout training of echo-state networks beyond one series and one ridge solve: fits over
several sequences (one Gram matrix, never the concatenated states), online readouts trained by
recursive least squares or least mean squares, and FORCE learning of an ESN with output
feedback (Sussillo & Abbott 2009). :class:`neurodyn.esn.ESN` (``fit``, ``train_force``) and
:class:`neurodyn.lsm.Readout` (``fit``) call in here; the functions trust the ESN they are
given and validate everything else.

Several sequences, ridge: each sequence runs (from ``x0`` or zero, or carried on from the
previous one) straight into a column-major block ``Z_i = [X_i - c | Y_i - d | 1]`` (washout
rows never stored), and ``G += Z_i^T Z_i`` by one BLAS ``dsyrk`` per sequence. The shift
``(c, d)`` is the first kept state and target of the first sequence, shared by all blocks, so
``G`` holds exactly the sums of the concatenated problem; :func:`neurodyn.esn._ridge_from_gram`
then solves it as it does for one series. Memory: one block of the longest sequence.

Online (RLS, LMS, FORCE): one compiled loop (``online_loop``) does a reservoir step and the
readout update together, with every buffer allocated once by the caller. The readout acts on
``r = [x, 1]``: the bias is a weight on a constant feature and is regularised like the others.
RLS starts at ``w = 0``, ``P = I / alpha``; after a pass over the samples ``w`` is exactly the
ridge solution ``(R^T R + alpha I)^{-1} R^T Y`` on those ``r`` (the Sherman-Morrison recursion
of the normal equations), whatever their order. LMS is ``w <- w - rate r e^T``.
"""
from __future__ import annotations

import numbers

import numpy as np
from numba import njit

from solvers._checks import InvalidTypeError, check_allocation, count, real_number

from . import _kernels_esn as _k
from .train._rls import lms_update, rls_update

__all__ = ["is_sequences", "fit_sequences", "fit_online", "ridge_fit_sequences"]

METHODS = ("ridge", "rls", "lms")
_RLS, _LMS = 1, 2
# The compiled loop returns to Python after this many steps (interruption, progress).
_CHUNK = 8192


def is_sequences(v):
    """True for a list or tuple of NumPy arrays: a set of sequences (not one series written
    as nested lists, which stays one series)."""
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(
        isinstance(e, np.ndarray) for e in v)


def _washouts(washout, lengths, what="sequence"):
    """One washout per sequence (an int for all, or a list), each in [0, length - 1]."""
    n = len(lengths)
    if isinstance(washout, (list, tuple, np.ndarray)):
        ws = list(washout)
        if len(ws) != n:
            raise ValueError(f"washout has {len(ws)} entries but there are {n} {what}s")
        names = [f"washout[{i}]" for i in range(n)]
    else:
        ws = [washout] * n
        names = ["washout"] * n
    out = []
    for i, (w, name, T) in enumerate(zip(ws, names, lengths)):
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral):
            raise InvalidTypeError(f"{name} must be an integer, got {w!r} "
                                   f"({type(w).__name__})")
        w = int(w)
        if not 0 <= w < T:
            raise ValueError(f"{name} = {w} must be in [0, {T - 1}]: {what} {i} has {T} "
                             f"steps (at least one must be kept)")
        out.append(w)
    return out


def _pairs(u, y, what_u, what_y, series, n_u, n_y):
    """Validate two lists of sequences of equal count and equal lengths pairwise."""
    if not (is_sequences(u) and is_sequences(y)):
        bad = what_y if is_sequences(u) else what_u
        raise ValueError(f"{what_u} and {what_y} must both be lists of arrays (several "
                         f"sequences) or both single arrays; {bad} is not a list of arrays")
    if len(u) != len(y):
        raise ValueError(f"{what_u} has {len(u)} sequences but {what_y} has {len(y)}")
    Us, Ys = [], []
    for i, (a, b) in enumerate(zip(u, y)):
        A = series(a, f"{what_u}[{i}]", n_u)
        B = series(b, f"{what_y}[{i}]", n_y)
        if A.shape[0] != B.shape[0]:
            raise ValueError(f"{what_u}[{i}] has {A.shape[0]} steps but {what_y}[{i}] has "
                             f"{B.shape[0]}")
        Us.append(A)
        Ys.append(B)
    return Us, Ys


def _block(buf, k, cols):
    """A column-major (k, cols) view on the front of the flat buffer ``buf``."""
    return buf[:k * cols].reshape((k, cols), order="F")


def _gram_add(G, Z):
    from scipy.linalg.blas import dsyrk

    # beta = 1 with c = G accumulates in place (overwrite_c): no (n + m + 1)^2 temporary
    return dsyrk(1.0, Z, beta=1.0, c=G, trans=1, lower=0, overwrite_c=1)


# --------------------------------------------------------------------------- ridge

def fit_sequences(esn, u, y, *, washout, ridge, x0, reset, carry):
    """``ESN.fit`` over several sequences by ridge regression (see the module notes)."""
    from .esn import _ridge_from_gram, _series

    Us, Ys = _pairs(u, y, "u", "y", _series, esn.n_inputs, esn.n_outputs)
    ws = _washouts(washout, [U.shape[0] for U in Us])
    n, m = esn.n_reservoir, esn.n_outputs
    cols = n + m + 1
    kmax = max(U.shape[0] - w for U, w in zip(Us, ws))
    check_allocation("ESN.fit: the states of the longest sequence and the Gram matrix",
                     (kmax * cols + 2 * cols * cols,),
                     hint="split long sequences or raise the washout")
    buf = np.empty(kmax * cols)
    G = np.zeros((cols, cols), order="F")
    c = np.zeros(n)
    d = Ys[0][ws[0]].copy()
    teacher_fb = esn.Wfb is not None
    x, yprev = esn._start(x0, reset or not carry)
    k_total = 0
    for i, (U, Y, w) in enumerate(zip(Us, Ys, ws)):
        if i and not carry:
            x, yprev = esn._start(x0, True)
        T = U.shape[0]
        k = T - w
        Z = _block(buf, k, cols)
        # the first kept state of the first sequence is the shift c of every block
        esn._loop(U, T, x, yprev, teacher=Y if teacher_fb else None, X=Z[:, :n],
                  save_from=w, shift=c, capture=i == 0)
        np.subtract(Y[w:], d, out=Z[:, n:n + m])
        Z[:, n + m] = 1.0
        G = _gram_add(G, Z)
        k_total += k
    esn.Wout, esn.bias_out = _ridge_from_gram(G, k_total, n, c, d, ridge)
    esn.state = x
    esn.last_output = Ys[-1][-1].copy()
    return esn


def ridge_fit_sequences(Xs, Ys, washout, ridge):
    """``ridge_fit`` over the row-blocks ``Xs[i][washout_i:]`` / ``Ys[i][washout_i:]`` as if
    concatenated, accumulated block by block (``LSM.Readout.fit`` with lists)."""
    from .esn import _ridge_from_gram
    from solvers._checks import real_array

    if not (is_sequences(Xs) and is_sequences(Ys)):
        raise ValueError("X and Y must both be lists of arrays (several sequences) or both "
                         "single arrays")
    if len(Xs) != len(Ys):
        raise ValueError(f"X has {len(Xs)} sequences but Y has {len(Ys)}")
    XX, YY = [], []
    for i, (a, b) in enumerate(zip(Xs, Ys)):
        A = real_array(f"X[{i}]", a)
        B = real_array(f"Y[{i}]", b)
        if A.ndim != 2:
            raise ValueError(f"X[{i}] must be 2-D (samples, features), got shape {A.shape}")
        if B.ndim == 1:
            B = B[:, None]
        if B.ndim != 2 or B.shape[0] != A.shape[0]:
            raise ValueError(f"Y[{i}] must have shape ({A.shape[0]},) or ({A.shape[0]}, m) "
                             f"to match X[{i}] {A.shape}, got {np.shape(b)}")
        if i and (A.shape[1] != XX[0].shape[1] or B.shape[1] != YY[0].shape[1]):
            raise ValueError(f"X[{i}], Y[{i}] have {A.shape[1]} features and {B.shape[1]} "
                             f"outputs; X[0], Y[0] have {XX[0].shape[1]} and "
                             f"{YY[0].shape[1]}")
        XX.append(A)
        YY.append(B)
    ws = _washouts(washout, [A.shape[0] for A in XX])
    n, m = XX[0].shape[1], YY[0].shape[1]
    cols = n + m + 1
    kmax = max(A.shape[0] - w for A, w in zip(XX, ws))
    check_allocation("Readout.fit: one shifted block and the Gram matrix",
                     (kmax * cols + 2 * cols * cols,))
    buf = np.empty(kmax * cols)
    G = np.zeros((cols, cols), order="F")
    c = XX[0][ws[0]].copy()
    d = YY[0][ws[0]].copy()
    k_total = 0
    for A, B, w in zip(XX, YY, ws):
        Z = _block(buf, A.shape[0] - w, cols)
        np.subtract(A[w:], c, out=Z[:, :n])
        np.subtract(B[w:], d, out=Z[:, n:n + m])
        Z[:, n + m] = 1.0
        G = _gram_add(G, Z)
        k_total += A.shape[0] - w
    return _ridge_from_gram(G, k_total, n, c, d, ridge)


# --------------------------------------------------------------------------- online

@njit(cache=True, nogil=True, error_model="numpy")
def online_loop(sparse, indptr, indices, data, WT, WinT, bias, WfbT, a, act, U, Yt, t0, t1,
                washout, fb_own, method, every, rate, P, w, x, yprev, r, Pr, z, e, pre,
                scratch, uvec, yfb, E):
    """Steps ``t0 <= t < t1`` of a reservoir whose readout ``z = w^T [x, 1]`` learns online.

    Feedback (when ``WfbT`` has rows): the teacher ``Yt[t - 1]`` or, with ``fb_own``
    (FORCE), the previous a-priori output ``z``; ``yprev`` is the value fed back at step
    ``t0`` and is updated in place. At every step ``t >= washout`` the a-priori error
    ``e = z - Yt[t]`` goes to ``E[t - washout]``, and every ``every``-th such step updates
    the readout (``method`` 1: RLS on ``P``, 2: LMS with ``rate``). Returns ``t1``, or the
    step at which the state became non-finite.
    """
    n = x.shape[0]
    n_out = yprev.shape[0]
    n_fb = yfb.shape[0]
    one_minus = 1.0 - a
    check = act != _k.ACT_TANH or fb_own
    r[n] = 1.0
    for t in range(t0, t1):
        for k in range(uvec.shape[0]):
            uvec[k] = U[t, k]
        if n_fb > 0:
            if fb_own or t == 0:
                for k in range(n_fb):
                    yfb[k] = yprev[k]
            else:
                for k in range(n_fb):
                    yfb[k] = Yt[t - 1, k]
        _k._preact(sparse, indptr, indices, data, WT, WinT, bias, uvec, WfbT, yfb, x, pre)
        if act == _k.ACT_TANH:
            _k._tanh_vec(pre, scratch, n)
        for i in range(n):
            x[i] = one_minus * x[i] + a * pre[i]
        if check:
            bad = 0
            for i in range(n):
                bad |= not (abs(x[i]) <= 1.0e300)
            if bad:
                return t
        for i in range(n):
            r[i] = x[i]
        for o in range(n_out):
            acc = 0.0
            for i in range(n + 1):
                acc += w[i, o] * r[i]
            z[o] = acc
            e[o] = acc - Yt[t, o]
        if t >= washout:
            s = t - washout
            for o in range(n_out):
                E[s, o] = e[o]
            if s % every == 0:
                if method == 1:
                    rls_update(P, r, e, w, Pr)
                else:
                    lms_update(w, r, e, rate)
        for o in range(n_out):
            yprev[o] = z[o] if fb_own else Yt[t, o]
    return t1


def fit_online(esn, u, y, *, method, washout, alpha=1.0, rate=None, x0=None, reset=False,
               carry=True, fb_own=False, every=1):
    """Train ``esn``'s readout online on one series or a list (RLS or LMS; FORCE with
    ``fb_own``). Sets ``Wout``, ``bias_out``, ``state``, ``last_output``; returns the a-priori
    errors (one array, or a list of arrays for a list of sequences)."""
    from .esn import _series

    if method not in ("rls", "lms"):
        raise ValueError(f"online method must be 'rls' or 'lms', got {method!r}")
    code = _RLS if method == "rls" else _LMS
    if code == _RLS:
        alpha = real_number("alpha" if fb_own else "ridge", alpha, positive=True)
        rate = 0.0
    else:
        if rate is None:
            raise ValueError("method='lms' needs a learning rate: pass rate=... (> 0; stable "
                             "below 2 / the largest eigenvalue of the states' correlation)")
        rate = real_number("rate", rate, positive=True)
    every = count("update_every", every, low=1)
    multi = is_sequences(u) or is_sequences(y)
    if multi:
        Us, Ys = _pairs(u, y, "u", "y", _series, esn.n_inputs, esn.n_outputs)
    else:
        Us = [_series(u, "u", esn.n_inputs)]
        Ys = [_series(y, "y", esn.n_outputs)]
        if Us[0].shape[0] != Ys[0].shape[0]:
            raise ValueError(f"u has {Us[0].shape[0]} steps but y has {Ys[0].shape[0]}")
    ws = _washouts(washout, [U.shape[0] for U in Us])
    n, m = esn.n_reservoir, esn.n_outputs
    if code == _RLS:
        check_allocation("ESN RLS training: the matrix P", (n + 1, n + 1),
                         hint="use method='lms' or a smaller reservoir")
        P = np.eye(n + 1) / alpha
    else:
        P = np.empty((0, 0))
    w = np.zeros((n + 1, m))
    r, Pr, pre, scratch = np.empty(n + 1), np.empty(n + 1), np.empty(n), np.empty(n)
    z, e = np.empty(m), np.empty(m)
    uvec = np.empty(esn.n_inputs)
    yfb = np.empty(esn._WfbT.shape[0])
    indptr, indices, data = esn._csr
    act = _k.ACTIVATIONS[esn.activation]
    errors = []
    x, yprev = esn._start(x0, reset or (multi and not carry))
    for i, (U, Y, wo) in enumerate(zip(Us, Ys, ws)):
        if i and not carry:
            x, yprev = esn._start(x0, True)
        T = U.shape[0]
        E = np.empty((T - wo, m))
        for t0 in range(0, T, _CHUNK):
            t1 = min(T, t0 + _CHUNK)
            done = online_loop(esn.sparse, indptr, indices, data, esn._WT, esn._WinT, esn.bias,
                               esn._WfbT, esn.leak_rate, act, U, Y, t0, t1, wo, fb_own, code,
                               every, rate, P, w, x, yprev, r, Pr, z, e, pre, scratch, uvec,
                               yfb, E)
            if done < t1:
                raise FloatingPointError(
                    f"the reservoir state became non-finite at step {done}"
                    + (f" of sequence {i}" if multi else "")
                    + ("; with FORCE, lower alpha's inverse (raise alpha) or the feedback "
                       "scaling" if fb_own else "; check the input scaling and the weights"))
        errors.append(E)
    if not np.isfinite(w).all():
        raise FloatingPointError(f"the {method.upper()} readout diverged (non-finite weights)"
                                 + ("; lower rate" if code == _LMS else "; raise alpha"))
    esn.Wout = np.ascontiguousarray(w[:n])
    esn.bias_out = w[n].copy()
    esn.state = x
    esn.last_output = yprev.copy()
    return errors if multi else errors[0]
