"""FORCE learning (Sussillo & Abbott 2009): a chaotic rate network taught to produce a target
by recursive least squares on its readout, with the readout fed back into the network.

The network, stepped by forward Euler with step ``dt`` (time in units of the neurons' time
constant)::

    x <- x + dt (-x + J r + w_f z),    r = tanh(x),    z = w^T r

``J`` (N x N) is random and sparse: each entry present with probability ``p``, drawn from
N(0, g^2 / (p N)) (``p = 1``: all-to-all); ``w_f`` (N x m) is fixed, uniform in [-1, 1]; the
readout ``w`` (N x m) starts at 0 and, during training, every ``learn_every`` steps is moved
by one RLS step (``neurodyn.train._rls.rls_update``, P(0) = I / alpha) towards the target,
from the error ``e = z - f`` of the readout *before* the update. Testing continues the same
run with learning off. The whole run is one compiled loop (CSR mat-vec, rank-1 update of P in
place, nothing allocated per step) that returns to Python every few thousand steps.

After training the closed loop ``dx/dt = -x + (J + w_f w^T) tanh(x)`` is an ordinary
:class:`neurodyn.CTRNN` (``W = J + w_f w^T``, tanh, tau = 1): :attr:`ForceResult.network`,
for ``solvers.solve``, ``fixed_points``, ``lyapunov_spectrum``.

Reference: D. Sussillo and L. F. Abbott, "Generating coherent patterns of activity from
chaotic neural networks", Neuron 63(4), 544-557 (2009).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from solvers._checks import (InvalidTypeError, check_allocation, count, real_array,
                             real_number, rng_from_seed)

from .._model import num
from ._rls import rls_update_parallel

__all__ = ["force", "force_target", "ForceResult"]

SUCCESS = 0
NON_FINITE = -3     # the code solvers.Solution uses for the same event
INTERRUPTED = -7    # KeyboardInterrupt (Ctrl-C), as solvers.Solution and train.bptt
_CHUNK = 2000       # steps per compiled call: Ctrl-C is seen between chunks


def force_target(t):
    """The published target of Sussillo & Abbott (2009), period 120 time units, amplitude
    about 1.3::

        f(t) = (1.3 / 1.5) [sin(pi t/60) + 1/2 sin(2 pi t/60) + 1/6 sin(3 pi t/60)
                            + 1/3 sin(4 pi t/60)]

    >>> force_target([0.0, 30.0]).round(4).tolist()
    [0.0, 0.7222]
    """
    t = real_array("t", t)
    w = np.pi * t / 60.0
    return (1.3 / 1.5) * (np.sin(w) + np.sin(2.0 * w) / 2.0 + np.sin(3.0 * w) / 6.0
                          + np.sin(4.0 * w) / 3.0)


@numba.njit(cache=True, parallel=True)
def _force_steps(k0, k1, n_train, learn_every, dt, x, x_prev, r, z, indptr, indices, data, wf,
                 w, P, Pr, e, target, z_out, dw_out, reached):
    """Steps ``k0 .. k1 - 1`` in place on ``x, r, z, w, P``. Returns the first step whose
    state, readout or weight update is not finite (``x_prev`` then holds the state before
    it), or ``k1``; ``reached[0]`` gets the same value (a Ctrl-C raised as the call returns
    would lose the return value)."""
    N = x.shape[0]
    m = z.shape[0]
    for k in range(k0, k1):
        # r still holds tanh of the old x, so x can be overwritten row by row.
        xsum = 0.0
        for i in range(N):
            x_prev[i] = x[i]
        # Rows over the cores: each x[i] is one thread's, summed in one order, so the run is
        # the same bit for bit whatever the thread count (xsum only detects non-finite values).
        for i in numba.prange(N):
            s = 0.0
            for q in range(indptr[i], indptr[i + 1]):
                s += data[q] * r[indices[q]]
            for o in range(m):
                s += wf[i, o] * z[o]
            xi = x[i] + dt * (s - x[i])
            x[i] = xi
            xsum += xi
        for i in numba.prange(N):
            r[i] = math.tanh(x[i])
        zsum = 0.0
        for o in range(m):
            s = 0.0
            for i in range(N):
                s += w[i, o] * r[i]
            z[o] = s
            zsum += s
        if not (math.isfinite(xsum) and math.isfinite(zsum)):
            reached[0] = k
            return k
        for o in range(m):
            z_out[k, o] = z[o]
        if k < n_train and (k + 1) % learn_every == 0:
            e2 = 0.0
            for o in range(m):
                e[o] = z[o] - target[k, o]
                e2 += e[o] * e[o]
            c = rls_update_parallel(P, r, e, w, Pr)
            # The update is w -= c (P r) e^T: its Frobenius norm without forming it.
            p2 = 0.0
            for i in range(N):
                p2 += Pr[i] * Pr[i]
            dw = c * math.sqrt(p2 * e2)
            dw_out[(k + 1) // learn_every - 1] = dw
            if not math.isfinite(dw):
                reached[0] = k
                return k
    reached[0] = k1
    return k1


@dataclass(frozen=True, repr=False, eq=False)
class ForceResult:
    """What :func:`force` returns: the trained network and the traces of the run.

    Attributes
    ----------
    network : neurodyn.CTRNN or None
        The trained closed loop ``dx/dt = -x + (J + w_f w^T) tanh(x)`` (dense ``W``, tanh,
        tau = 1), whose readout is :meth:`readout`; None when the run blew up.
    J : scipy.sparse.csr_matrix, shape (N, N)
        The fixed recurrent weights.
    w_f, w : ndarray, shape (N, m)
        Feedback weights and the trained readout.
    x0, x_trained, x_final : ndarray, shape (N,)
        The initial state, the state after the last training step (where testing starts;
        None when the run failed before) and the state after the last step taken.
    t : ndarray, shape (n_steps,)
        Times of the steps, ``t[k] = (k + 1) dt``.
    z, target, error : ndarray, shape (n_steps, m)
        The readout at each step (before that step's weight update, as the paper plots it),
        the target and ``|z - target|``.
    t_update, dw : ndarray, shape (n_updates,)
        Times of the RLS updates and the norm of each change of ``w`` (Frobenius).
    n_train, learn_every : int
    dt, alpha : float
    status : int
        0 success; -3 a state, the readout or a weight update became non-finite (the traces
        and ``x_final`` stop at the last finite step; ``w`` is as the run left it); -7
        interrupted by Ctrl-C (traces, ``x_final`` and ``network`` as far as the run got: the
        compiled loop notices at its next return to Python, every 2000 steps).
    message : str
    success : bool

    Example
    -------
    >>> res = force(force_target(0.1 * np.arange(1, 201)), 100, n=50, seed=0)
    >>> res.success, res.z.shape, res.dw.shape, res.network.n_states, res.network.activation
    (True, (200, 1), (50,), 50, 'tanh')
    >>> print(repr(res).splitlines()[0])
    ForceResult: N = 50, 1 readout, 200 steps of dt = 0.1 (100 training, 50 RLS updates)
    """

    network: object
    J: sp.csr_matrix
    w_f: np.ndarray
    w: np.ndarray
    x0: np.ndarray
    x_trained: np.ndarray
    x_final: np.ndarray
    t: np.ndarray
    z: np.ndarray
    target: np.ndarray
    error: np.ndarray
    t_update: np.ndarray
    dw: np.ndarray
    n_train: int
    learn_every: int
    dt: float
    alpha: float
    status: int
    message: str

    @property
    def success(self):
        return self.status >= 0

    @property
    def train_mae(self):
        """Mean ``|z - target|`` over the training steps taken (NaN if none)."""
        return _mean(self.error[:min(self.n_train, len(self.error))])

    @property
    def test_mae(self):
        """Mean ``|z - target|`` over the testing steps taken (NaN if none)."""
        return _mean(self.error[self.n_train:])

    @property
    def initial_network(self):
        """The network before training, ``dx/dt = -x + J tanh(x)`` (w = 0), as a
        :class:`neurodyn.CTRNN` with the sparse ``W = J``."""
        from ..ctrnn import CTRNN
        return CTRNN(self.J, activation="tanh")

    def readout(self, x):
        """``z = w^T tanh(x)`` for a state (N,) or states (k, N) of :attr:`network`:
        shape (m,) or (k, m)."""
        x = real_array("x", x, finite=False)
        if x.shape[-1:] != (self.w.shape[0],) or x.ndim > 2:
            raise ValueError(f"x must have shape ({self.w.shape[0]},) or (k, "
                             f"{self.w.shape[0]}) (states of the network), got {x.shape}")
        return np.tanh(x) @ self.w

    def __repr__(self):
        N, m = self.w.shape
        steps = len(self.t)
        return (f"ForceResult: N = {N}, {m} readout{'s' if m != 1 else ''}, {steps} steps of "
                f"dt = {num(self.dt)} ({min(self.n_train, steps)} training, {len(self.dw)} RLS "
                f"updates)\n  train MAE {num(self.train_mae)}, test MAE {num(self.test_mae)}; "
                f"{'success' if self.success else self.message}")


def _mean(a):
    return float(np.mean(a)) if a.size else float("nan")


def _recurrent(J, n, g, p, rng):
    """J as CSR (float64, sorted, finite) and N: given, or drawn."""
    if J is None:
        n = 1000 if n is None else count("n", n, low=1)
        g = 1.5 if g is None else real_number("g", g, nonnegative=True)
        p = 0.1 if p is None else real_number("p", p, positive=True, high=1.0)
        # Draw J row by row: the mask and the values of an N x N dense draw would be 2 N^2
        # numbers in memory at once.
        scale = g / math.sqrt(p * n)
        rows = []
        for _ in range(n):
            cols = np.flatnonzero(rng.random(n) < p)
            rows.append((cols, rng.standard_normal(cols.size) * scale))
        indptr = np.zeros(n + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([c.size for c, _ in rows])
        indices = np.concatenate([c for c, _ in rows]).astype(np.int64)
        data = np.concatenate([v for _, v in rows])
        return sp.csr_matrix((data, indices, indptr), shape=(n, n)), n
    for name, v in (("n", n), ("g", g), ("p", p)):
        if v is not None:
            raise ValueError(f"{name} describes the random J that force() draws; it cannot be "
                             "given together with J")
    if sp.issparse(J):
        if J.dtype.kind not in "fiu":
            raise InvalidTypeError(f"J must hold real numbers, got dtype {J.dtype}")
        csr = sp.csr_matrix(J, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        if not np.isfinite(csr.data).all():
            q = int(np.flatnonzero(~np.isfinite(csr.data))[0])
            i = int(np.searchsorted(csr.indptr, q, side="right") - 1)
            raise ValueError(f"J[{i}, {int(csr.indices[q])}] = {float(csr.data[q])!r} is not "
                             "finite")
    else:
        csr = sp.csr_matrix(real_array("J", J, ndim=2))
    if csr.shape[0] != csr.shape[1] or csr.shape[0] < 1:
        raise ValueError(f"J must be square and non-empty, shape (N, N); got {csr.shape}")
    csr.eliminate_zeros()
    csr.sort_indices()
    return csr, csr.shape[0]


def force(target, n_train=None, *, n=None, g=None, p=None, J=None, w_f=None, x0=None,
          alpha=1.0, dt=0.1, learn_every=2, seed=0):
    """Train a rate network by FORCE learning (Sussillo & Abbott 2009), then test it.

    Runs ``len(target)`` Euler steps of ``x <- x + dt (-x + J r + w_f z)``, ``r = tanh(x)``,
    ``z = w^T r``; during the first ``n_train`` an RLS step on ``w`` (P(0) = I / alpha) every
    ``learn_every`` steps, then the closed loop with learning off. Defaults are the published
    setup (WORKLOADS.md W10): N = 1000, g = 1.5, p = 0.1, alpha = 1, dt = 0.1, an update every
    2 steps; with ``target = force_target(dt * np.arange(1, 28801))`` and ``n_train = 14400``
    it is 1440 time units of training and 1440 of testing.

    Parameters
    ----------
    target : array_like, shape (n_steps,) or (n_steps, m)
        The target of the readout after each step: ``target[k]`` is compared with ``z`` at
        ``t = (k + 1) dt``. ``m`` readouts are trained together (one P).
    n_train : int, optional
        Training steps (default: all).
    n, g, p : optional
        Size, gain and connection probability of the random ``J`` (defaults 1000, 1.5, 0.1;
        ``p = 1``: all-to-all); not with ``J``.
    J : array_like or scipy.sparse matrix, shape (N, N), optional
        The recurrent weights, instead of drawing them (``J[i, j]``: from j to i).
    w_f : array_like, shape (N,) or (N, m), optional
        Feedback weights (default uniform in [-1, 1]).
    x0 : array_like, shape (N,), optional
        Initial state (default ``0.5 N(0, 1)``); the readout starts at ``w = 0``.
    alpha : float
        P(0) = I / alpha; with ``learn_every = 1`` on a fixed set of states this is ridge
        regression with penalty ``alpha``.
    dt : float
    learn_every : int
    seed : None, int, sequence, SeedSequence or Generator
        Draws, in order, J, w_f and x0 (those not given).

    Returns
    -------
    ForceResult

    Example
    -------
    A small network, 20 time units of training and 10 of testing (the published setup,
    ``force(force_target(0.1 * np.arange(1, 28801)), 14400)``, takes ~10 s and reaches a
    test error below 0.05; networks this small need far longer training than that):

    >>> res = force(force_target(0.1 * np.arange(1, 301)), 200, n=100, seed=1)
    >>> bool(res.train_mae < 0.1), len(res.dw), res.network.n_states
    (True, 100, 100)
    >>> import solvers     # testing was the closed loop, which is now an ordinary CTRNN
    >>> sol = solvers.solve(res.network, (0.0, 10.0), res.x_trained, method="euler", dt=0.1)
    >>> bool(np.allclose(res.readout(sol.y[1:]), res.z[200:], rtol=0, atol=1e-12))
    True
    """
    from ..ctrnn import CTRNN

    F = real_array("target", target)
    if F.ndim == 1:
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] < 1 or F.shape[1] < 1:
        raise ValueError(f"target must have shape (n_steps,) or (n_steps, m) with n_steps, "
                         f"m >= 1; got {np.shape(target)}")
    F = np.ascontiguousarray(F)
    n_steps, m = F.shape
    n_train = n_steps if n_train is None else count("n_train", n_train, low=0)
    if n_train > n_steps:
        raise ValueError(f"n_train = {n_train} exceeds the number of target steps "
                         f"({n_steps})")
    alpha = real_number("alpha", alpha, positive=True)
    dt = real_number("dt", dt, positive=True)
    learn_every = count("learn_every", learn_every, low=1)
    rng = rng_from_seed("seed", seed)

    Jc, N = _recurrent(J, n, g, p, rng)
    if w_f is None:
        wf = rng.uniform(-1.0, 1.0, size=(N, m))
    else:
        wf = real_array("w_f", w_f)
        if wf.ndim == 1 and m == 1:
            wf = wf[:, None]
        if wf.shape != (N, m):
            raise ValueError(f"w_f must have shape ({N}, {m}) (one column per readout; "
                             f"({N},) for one), got {np.shape(w_f)}")
    wf = np.ascontiguousarray(wf, dtype=np.float64)
    if x0 is None:
        x = 0.5 * rng.standard_normal(N)
    else:
        x = np.array(real_array("x0", x0, shape=(N,), per="one value per neuron"))
    x_start = x.copy()

    # P, then the trained network's dense W (P is freed first): refuse now, not after the run.
    check_allocation(f"force: the RLS matrix P and the trained network's dense W ({N} "
                     "neurons)", (2, N, N), 8)
    P = np.zeros((N, N))
    P[np.diag_indices(N)] = 1.0 / alpha
    w = np.zeros((N, m))
    r = np.tanh(x)
    z = np.zeros(m)
    z_out = np.empty((n_steps, m))
    n_updates = n_train // learn_every
    dw = np.empty(n_updates)
    Pr, e = np.empty(N), np.empty(m)
    indptr = Jc.indptr.astype(np.int64)
    indices = Jc.indices.astype(np.int64)
    x_prev = np.empty(N)
    reached = np.zeros(1, dtype=np.int64)
    x_trained = x.copy() if n_train == 0 else None

    status, k = SUCCESS, 0
    while k < n_steps:
        stop = min(n_steps, k + _CHUNK)
        if k < n_train < stop:
            stop = n_train  # pause where training ends, to keep that state
        reached[0] = -1
        try:
            done = _force_steps(k, stop, n_train, learn_every, dt, x, x_prev, r, z, indptr,
                                indices, Jc.data, wf, w, P, Pr, e, F, z_out, dw, reached)
        except KeyboardInterrupt:
            # Compiled code does not see Ctrl-C: it is raised once the chunk has returned
            # (or before it started), and `reached` says how far the chunk went.
            done = int(reached[0])
            if 0 <= done < stop:
                status, k = NON_FINITE, done
                x = x_prev
            else:
                status, k = INTERRUPTED, (k if done < 0 else done)
                if k == n_train and x_trained is None:
                    x_trained = x.copy()
            break
        if done < stop:
            status, k = NON_FINITE, done
            x = x_prev
            break
        k = stop
        if k == n_train:
            x_trained = x.copy()
            # The last update changed w after z was fed back: with z from the trained w, the
            # test phase is exactly the returned CTRNN started at x_trained.
            z[:] = r @ w

    if status == SUCCESS:
        message = "FORCE run completed."
    elif status == INTERRUPTED:
        message = (f"Interrupted (KeyboardInterrupt) after step {k - 1} (t = {k * dt:.17g}), "
                   f"{'in training' if k < n_train else 'in testing'}: traces, x_final and "
                   "the network trained so far kept.")
    else:
        message = (f"Non-finite state or readout (NaN or inf) at step {k} (t = "
                   f"{(k + 1) * dt:.17g}): the run blew up (alpha too small, dt too large?); "
                   f"traces and x_final kept up to step {k - 1}.")
    z_out, F_seen = z_out[:k], F[:k]
    n_up = min(n_updates, k // learn_every)
    del P
    network = None
    if status != NON_FINITE:
        W = Jc.toarray()
        W += wf @ w.T
        network = CTRNN(W, activation="tanh")
    return ForceResult(
        network=network, J=Jc, w_f=wf, w=w, x0=x_start, x_trained=x_trained, x_final=x,
        t=dt * np.arange(1, k + 1), z=z_out, target=F_seen, error=np.abs(z_out - F_seen),
        t_update=dt * learn_every * np.arange(1, n_up + 1), dw=dw[:n_up], n_train=n_train,
        learn_every=learn_every, dt=dt, alpha=alpha, status=status, message=message)
