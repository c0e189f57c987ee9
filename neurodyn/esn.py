"""Echo-state networks (Jaeger 2001): a fixed random recurrent reservoir and a trained linear
readout.

Discrete-time leaky ESN, leak rate ``a``, activation ``f`` (tanh or identity)::

    x[t] = (1 - a) x[t-1] + a f(W x[t-1] + Win u[t] + b + Wfb y[t-1])
    y[t] = Wout^T x[t] + bias_out

Continuous-time ESN (:class:`ContinuousESN`, integrated by ``solvers.solve``)::

    tau dx/dt = -x + f(W x + Win u(t) + b)

How the two relate: one forward-Euler step of length ``dt`` of the continuous ESN, with the
input held constant over the step (zero-order hold of the samples ``u[t]`` at times
``t dt``), is ``x <- x + (dt/tau)(-x + f(W x + Win u[t] + b))``, i.e. exactly the discrete
leaky ESN with ``a = dt / tau``: the discrete state ``x[t]`` is the continuous state at time
``(t + 1) dt`` and ``x[-1] = x(0)``. Smaller leak rates are finer time steps of the same flow.

``W[i, j]`` is the weight from reservoir unit ``j`` to unit ``i`` (graph convention of the
package: an edge ``u -> v`` with weight ``w`` is ``W[v, u] = w``).

References: H. Jaeger, "The 'echo state' approach to analysing and training recurrent neural
networks", GMD Report 148 (2001); H. Jaeger, "Short term memory in echo state networks", GMD
Report 152 (2001); M. Lukosevicius, "A practical guide to applying echo state networks" (2012).
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from solvers import ODESystem
from solvers._checks import (InvalidTypeError, check_allocation, count, probability, real_array,
                             real_number, rng_from_seed)

from . import _kernels_esn as _k
from ._model import FrozenModel, check_node_names, edge_weight, graph_nodes

__all__ = ["ESN", "ContinuousESN", "ridge_fit", "spectral_radius", "memory_capacity",
           "linear_memory_capacity"]

_TOPOLOGIES = ("erdos_renyi", "small_world")
# Reservoirs with more than this fraction of nonzero weights are stored dense.
_SPARSE_MAX_DENSITY = 0.2
# Below this size ARPACK is pointless (and needs k < n - 1): dense eigenvalues.
_DENSE_EIG_MAX_N = 64


# --------------------------------------------------------------------------- helpers

def _frozen(a, dtype=np.float64):
    out = np.array(a, dtype=dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


def _positive_int(v, name):
    return count(name, v, low=1)


def _real(v, name, *, lo=None, hi=None, lo_open=False, allow_none=False):
    if v is None and allow_none:
        return None
    x = real_number(name, v)
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {v!r}")
    if hi is not None and x > hi:
        raise ValueError(f"{name} must be <= {hi}, got {v!r}")
    return x


def _finite_matrix(a, name):
    bad = np.argwhere(~np.isfinite(a))
    if bad.size:
        idx = ", ".join(str(int(i)) for i in bad[0])
        raise ValueError(f"{name}[{idx}] = {a[tuple(bad[0])]!r} is not finite")


def _series(u, name, n_cols=None):
    """u as a C-contiguous float64 (T, n_cols) array; 1-D means one column."""
    a = real_array(name, u, finite=False)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (T,) or (T, d), got {a.shape}")
    if a.shape[0] < 1:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    if n_cols is not None and a.shape[1] != n_cols:
        raise ValueError(f"{name} has {a.shape[1]} column(s) (shape {a.shape}), expected "
                         f"{n_cols}")
    _finite_matrix(a, name)
    return np.ascontiguousarray(a)


# Peak bytes per nonzero weight while a sparse reservoir is built and stored: the drawn flat
# indices (and their concatenation), the values, the COO rows and columns, then the CSR arrays
# and the model's private copies.
_BYTES_PER_NONZERO = 48


def _reservoir_room(n, nnz, how):
    """Refuse, before drawing or copying, a reservoir that cannot fit in memory."""
    check_allocation(f"ESN(n_reservoir={n}): the {how} reservoir's ~{nnz:.3g} nonzero weights "
                     f"(~{_BYTES_PER_NONZERO} bytes each while built)", (int(nnz),),
                     _BYTES_PER_NONZERO, hint="lower n_reservoir or density")


def _dense_room(n, what):
    check_allocation(f"ESN(n_reservoir={n}): {what}", (2, n, n), 8,
                     hint="store the reservoir sparse (sparse=None or True, lower density)")


def spectral_radius(W, *, tol=1e-10, maxiter=None):
    """Largest modulus of the eigenvalues of a square (dense or sparse) matrix.

    ARPACK (``scipy.sparse.linalg.eigs``, ``k=1``, ``which="LM"``, start vector of ones, so the
    result is deterministic). When ARPACK does not converge it is retried with a larger Krylov
    space, then the dense eigenvalues are computed; matrices of at most 64 rows go straight to
    the dense eigenvalues.

    >>> round(spectral_radius(np.array([[0.0, 2.0], [-2.0, 0.0]])), 12)
    2.0
    >>> import scipy.sparse as sp
    >>> round(spectral_radius(sp.diags(np.arange(1.0, 101.0))), 10)
    100.0
    """
    from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, eigs

    n = W.shape[0]
    if W.ndim != 2 or W.shape[1] != n:
        raise ValueError(f"spectral_radius needs a square matrix, got shape {W.shape}")

    def dense():
        M = W.toarray() if sp.issparse(W) else np.asarray(W, dtype=np.float64)
        return float(np.max(np.abs(np.linalg.eigvals(M)))) if n else 0.0

    if n <= _DENSE_EIG_MAX_N:
        return dense()
    v0 = np.ones(n)
    try:
        ev = eigs(W, k=1, which="LM", v0=v0, tol=tol, maxiter=maxiter,
                  return_eigenvectors=False)
        return float(np.abs(ev[0]))
    except (ArpackNoConvergence, ArpackError):
        pass
    try:
        ncv = min(n - 1, 64)
        ev = eigs(W, k=1, which="LM", v0=v0, tol=tol, ncv=ncv,
                  maxiter=None if maxiter is None else 20 * maxiter,
                  return_eigenvectors=False)
        return float(np.abs(ev[0]))
    except (ArpackNoConvergence, ArpackError):
        return dense()


def ridge_fit(X, Y, ridge=1e-6):
    """Ridge regression with an unregularised bias: ``(Wout, bias)`` minimising
    ``|X Wout + bias - Y|^2 + ridge |Wout|^2``.

    Closed form on centred data (``Xc``, ``Yc``):
    ``Wout = solve(Xc^T Xc + ridge I, Xc^T Yc)``, ``bias = mean(Y) - mean(X) @ Wout`` (the
    ReservoirPy 0.4 ``Ridge`` formulation). Numerics: ``X`` and ``Y`` are shifted by their
    first rows (so no catastrophic cancellation when the mean is large against the spread)
    into one column-major array ``[X - c | Y - d | 1]`` whose Gram matrix, a single symmetric
    rank-k update (BLAS ``dsyrk``, half the work of ``X^T X``), holds every sum needed; the
    shift is removed exactly afterwards, and the system is solved by Cholesky, never by an
    inverse (least squares if ``ridge = 0`` leaves it singular to working precision). With more
    features than samples and ``ridge > 0`` the equivalent ``k x k`` (dual) system is solved.

    Parameters
    ----------
    X : array_like, shape (k, n)
        Features (e.g. reservoir states), one row per sample. Column-major (Fortran) storage
        is fastest.
    Y : array_like, shape (k,) or (k, m)
        Targets.
    ridge : float >= 0

    Returns
    -------
    Wout : ndarray, shape (n, m)
    bias : ndarray, shape (m,)

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 3.0
    >>> Wout, b = ridge_fit(X, Y, ridge=0.0)
    >>> Wout.ravel().round(10), b.round(10)
    (array([ 1. , -2. ,  0.5]), array([3.]))
    """
    ridge = _real(ridge, "ridge", lo=0.0)
    X = real_array("X", X, finite=False)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features), got shape {X.shape}")
    Y = real_array("Y", Y, finite=False)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have shape ({X.shape[0]},) or ({X.shape[0]}, m) to match X "
                         f"{X.shape}, got {Y.shape}")
    k, n = X.shape
    m = Y.shape[1]
    if k < 1 or n < 1 or m < 1:
        raise ValueError(f"X and Y must not be empty (shapes {X.shape}, {Y.shape})")
    if n > k and ridge > 0:
        return _ridge_dual(X, Y, ridge)
    c = X[0].copy()
    d = Y[0].copy()
    check_allocation("ridge_fit: the shifted features and targets", (k, n + m + 1))
    Z = np.empty((k, n + m + 1), order="F")
    np.subtract(X, c, out=Z[:, :n])
    np.subtract(Y, d, out=Z[:, n:n + m])
    Z[:, n + m] = 1.0
    return _ridge_from_z(Z, n, c, d, ridge, X=X, Y=Y)


def _ridge_dual(X, Y, ridge):
    """More features than samples (a spiking liquid read at few times, say): the same solution
    from the k x k system, ``Wout = Xc^T solve(Xc Xc^T + ridge I, Yc)``
    (push-through identity), at O(k^2 n) instead of O(k n^2)."""
    for name, A in (("X", X), ("Y", Y)):
        if not np.isfinite(A).all():
            i, j = (int(v) for v in np.argwhere(~np.isfinite(A))[0])
            raise ValueError(f"{name}[{i}, {j}] = {A[i, j]!r} is not finite")
    mx, my = X.mean(axis=0), Y.mean(axis=0)
    Xc = X - mx
    K = Xc @ Xc.T
    K[np.diag_indices_from(K)] += ridge
    cf = sla.cho_factor(K, lower=False, overwrite_a=True, check_finite=False)
    Wout = Xc.T @ sla.cho_solve(cf, Y - my, check_finite=False)
    return Wout, my - mx @ Wout


def _ridge_from_z(Z, n, c, d, ridge, X=None, Y=None):
    """Ridge solution from Z = [X - c | Y - d | 1] (k rows, column-major).

    One symmetric rank-k update G = Z^T Z (upper triangle) holds S = (X-c)^T (X-c),
    (X-c)^T (Y-d), the column sums of X - c and of Y - d; centring is then exact algebra:
    Xc^T Xc = S - k (mx - c)(mx - c)^T, with the shift c (the first row) keeping the
    subtraction free of cancellation when the mean is large against the spread.
    """
    from scipy.linalg.blas import dsyrk

    G = dsyrk(1.0, Z, trans=1, lower=0)
    return _ridge_from_gram(G, Z.shape[0], n, c, d, ridge, X=X, Y=Y)


def _ridge_from_gram(G, k, n, c, d, ridge, X=None, Y=None):
    """Ridge solution from the upper triangle of G = Z^T Z, Z = [X - c | Y - d | 1] with k
    rows (also a sum of such Gram matrices over several sequences sharing c and d)."""
    m = G.shape[0] - n - 1
    diag = np.diagonal(G)
    if not np.isfinite(diag).all():
        # A non-finite entry poisons its column's diagonal; find it to name it.
        for name, A in (("X", X), ("Y", Y)):
            if A is not None and not np.isfinite(A).all():
                i, j = (int(v) for v in np.argwhere(~np.isfinite(A))[0])
                raise ValueError(f"{name}[{i}, {j}] = {A[i, j]!r} is not finite")
        raise ValueError("the features or targets are not finite (or overflow when squared)")
    sx = G[:n, n + m] / k             # mean(X) - c
    sy = G[n:n + m, n + m] / k        # mean(Y) - d
    A = G[:n, :n]
    A -= k * np.outer(sx, sx)         # only the upper triangle is read below
    Cxy = G[:n, n:n + m] - k * np.outer(sx, sy)
    if ridge:
        A[np.diag_indices(n)] += ridge
    try:
        cf = sla.cho_factor(A, lower=False, overwrite_a=True, check_finite=False)
        Wout = sla.cho_solve(cf, Cxy, check_finite=False)
    except np.linalg.LinAlgError:
        # ridge = 0 with collinear features: least squares on the symmetric matrix
        sym = np.triu(A) + np.triu(A, 1).T
        Wout = sla.lstsq(sym, Cxy, check_finite=False)[0]
    bias = (d + sy) - (c + sx) @ Wout
    return Wout, bias


def _t():
    # imported on first use: the training module imports this one
    from . import _esn_training

    return _esn_training


def _rng(seed):
    return rng_from_seed("seed", seed)


def _erdos_renyi(n, density, rng):
    """The W4 draw: mask = rng.random(n*n) < density (row-major), then normal weights.

    Drawn in blocks of rows (the same stream as one rng.random(n*n) call) so that memory stays
    O(n * block); time is O(n^2).
    """
    idx = []
    rows = max(1, (1 << 22) // n)
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        m = rng.random((r1 - r0) * n) < density
        idx.append(np.flatnonzero(m) + r0 * n)
    idx = np.concatenate(idx)
    vals = rng.normal(0.0, 1.0, size=idx.size)
    return sp.csr_matrix((vals, (idx // n, idx % n)), shape=(n, n))


def _graph_matrix(G, weight, rng, nodes=None):
    """CSR W from a graph: edge u -> v is W[v, u]; edges without weights get N(0, 1) draws
    (an undirected edge gives two independent weights, one per direction)."""
    if nodes is None:
        nodes, index = graph_nodes(G)
    else:
        index = {v: i for i, v in enumerate(nodes)}
    rows, cols, ws, missing = [], [], [], []
    pairs = []
    for u, v, data in G.edges(data=True):
        pairs.append((u, v, data))
        if not G.is_directed() and u != v:
            pairs.append((v, u, data))
    arrow = "->" if G.is_directed() else "-"
    for u, v, data in pairs:
        rows.append(index[v])
        cols.append(index[u])
        if weight in data:
            ws.append(edge_weight(data, weight, None, u, v, arrow))  # finite, or named
        else:
            missing.append(len(ws))
            ws.append(0.0)
    ws = np.asarray(ws, dtype=np.float64)
    if missing:
        ws[np.asarray(missing)] = rng.normal(0.0, 1.0, size=len(missing))
    n = len(nodes)
    W = sp.csr_matrix((ws, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
                      shape=(n, n))
    W.sum_duplicates()
    return W, nodes


def _check_W(W, nodes=None):
    if sp.issparse(W):
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise ValueError(f"W must be square: expected shape (n, n), got {W.shape}")
        if W.dtype.kind not in "fiu":
            what = "complex values" if W.dtype.kind == "c" else f"dtype {W.dtype}"
            raise InvalidTypeError(f"W must hold real numbers, got {what}")
        _reservoir_room(W.shape[0], W.nnz, "given sparse")
        csr = sp.csr_matrix(W, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        bad = np.flatnonzero(~np.isfinite(csr.data))
        if bad.size:
            q = int(bad[0])
            i = int(np.searchsorted(csr.indptr, q, side="right") - 1)
            raise ValueError(f"W[{i}, {int(csr.indices[q])}] = {float(csr.data[q])!r} is not "
                             "finite")
        return csr
    if isinstance(W, (str, bytes)):
        raise InvalidTypeError(f"W must be a square array, a scipy.sparse matrix or a networkx "
                               f"graph, got {W!r} (str)")
    a = real_array("W", W, finite=False)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"W must be square: expected shape (n, n), got {a.shape}")
    _dense_room(a.shape[0], "the given dense W and the model's copy")
    a = np.array(a, dtype=np.float64)
    _finite_matrix(a, "W")
    return a


# --------------------------------------------------------------------------- the ESN

class ESN:
    """Leaky echo-state network with a ridge-regression readout.

    ``x[t] = (1 - a) x[t-1] + a f(W x[t-1] + Win u[t] + b + Wfb y[t-1])``,
    ``y[t] = x[t] @ Wout + bias_out``.

    Parameters
    ----------
    n_reservoir : int, optional
        Number of reservoir units (inferred from ``W`` when that is given).
    spectral_radius : float or None
        ``W`` is rescaled so that its spectral radius (ARPACK, see :func:`spectral_radius`)
        equals this; ``None`` keeps ``W`` as drawn or given.
    leak_rate : float in (0, 1]
    input_scaling : float or array_like (n_inputs,)
        ``Win`` is drawn uniform in [-1, 1] and multiplied by this (per input column).
    density : float in (0, 1]
        Fraction of nonzero recurrent weights of a generated reservoir.
    bias_scaling : float
        ``b`` uniform in [-bias_scaling, bias_scaling] (0: no bias).
    ridge : float
        Default regularisation of :meth:`fit`.
    feedback_scaling : float
        Output feedback ``Wfb`` uniform in [-feedback_scaling, feedback_scaling] (0: none).
    n_inputs, n_outputs : int
        Input and output dimensions (``n_outputs`` matters at construction only for feedback).
    activation : {"tanh", "identity"}
        ``"identity"`` makes a linear reservoir (memory-capacity studies).
    topology : "erdos_renyi", "small_world" or callable
        Generated reservoir graph. ``"erdos_renyi"``: each of the ``n^2`` weights is nonzero
        with probability ``density`` (self-loops allowed), N(0, 1) values; drawn exactly as
        WORKLOADS.md W4 (mask ``rng.random(n*n) < density`` row-major, then the normal values,
        then ``Win``, then ``b``, then ``Wfb``). ``"small_world"``: Watts-Strogatz with
        ``k = max(2, round(density * n))`` neighbours and rewiring probability 0.1, each
        direction of each edge an independent N(0, 1) weight. A callable is called as
        ``topology(n, seed=s)`` and must return a networkx graph on ``n`` nodes (e.g.
        ``functools.partial(nx.barabasi_albert_graph, m=3)``); edges without a ``weight``
        get N(0, 1) weights.
    W : array_like (n, n), scipy.sparse matrix or networkx graph, optional
        A given reservoir instead of a generated one (graph: edge ``u -> v`` is ``W[v, u]``;
        undirected edges act both ways).
    Win, bias, Wfb : array_like, optional
        Given input weights ``(n, n_inputs)``, bias ``(n,)``, feedback ``(n, n_outputs)``
        (not rescaled).
    seed : int, numpy.random.Generator or None
        Same seed, same reservoir.
    sparse : bool or None
        Storage of ``W``: CSR (the compiled loop gathers along rows and never densifies) or
        dense. ``None``: CSR when at most 20 % of the weights are nonzero.
    nodes : list, optional
        Names of the reservoir units (default ``range(n)``; a graph's node order).

    State and training
    ------------------
    The reservoir arrays are read-only. Training and running keep two things on the
    object: the readout (``Wout`` of shape ``(n, n_outputs)``, ``bias_out``; set by
    :meth:`fit`) and the current state ``state`` (with the last output ``last_output``, used
    by feedback and :meth:`generate`). :meth:`run`, :meth:`fit`, :meth:`predict` and
    :meth:`generate` continue from ``state`` (zero initially) unless given ``x0`` or
    ``reset=True``, and leave the final state there, so ``fit`` on a series and ``predict`` on
    its continuation is one uninterrupted run. :meth:`reset` sets the state to zero. Only
    these four attributes can change; the reservoir's parameters are fixed at construction
    (setting one raises AttributeError: build a new ESN instead).

    Example
    -------
    One-step prediction of a sine wave:

    >>> t = np.arange(2000) * 0.1
    >>> u = np.sin(t)
    >>> esn = ESN(100, spectral_radius=0.9, leak_rate=0.5, density=0.1, seed=0)
    >>> _ = esn.fit(u[:1499], u[1:1500], washout=100)
    >>> y = esn.predict(u[1499:-1])
    >>> bool(np.sqrt(np.mean((y[:, 0] - u[1500:]) ** 2)) < 1e-4)
    True
    """

    def __init__(self, n_reservoir=None, *, spectral_radius=0.9, leak_rate=1.0,
                 input_scaling=1.0, density=0.1, bias_scaling=0.0, ridge=1e-6,
                 feedback_scaling=0.0, n_inputs=1, n_outputs=1, activation="tanh",
                 topology="erdos_renyi", W=None, Win=None, bias=None, Wfb=None, seed=None,
                 sparse=None, nodes=None):
        if activation not in _k.ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: "
                             f"{', '.join(map(repr, _k.ACTIVATIONS))}")
        self.leak_rate = _real(leak_rate, "leak_rate", lo=0.0, hi=1.0, lo_open=True)
        self.ridge = _real(ridge, "ridge", lo=0.0)
        self.bias_scaling = _real(bias_scaling, "bias_scaling", lo=0.0)
        self.feedback_scaling = _real(feedback_scaling, "feedback_scaling", lo=0.0)
        self.density = _real(density, "density", lo=0.0, hi=1.0, lo_open=True)
        self.n_inputs = _positive_int(n_inputs, "n_inputs")
        self.n_outputs = _positive_int(n_outputs, "n_outputs")
        self.activation = activation
        self.topology = topology
        self.seed = seed
        rng = _rng(seed)

        # ---- recurrent weights
        if W is not None:
            if hasattr(W, "edges") and hasattr(W, "nodes"):
                if W.is_multigraph():
                    raise ValueError("multigraphs are not supported: combine parallel edges "
                                     "into one weighted edge first")
                Wm, nodes = _graph_matrix(W, "weight", rng)
            else:
                Wm = _check_W(W)
            n = Wm.shape[0]
            if n_reservoir is not None and _positive_int(n_reservoir, "n_reservoir") != n:
                raise ValueError(f"n_reservoir = {n_reservoir} but W has shape {Wm.shape}")
        else:
            if n_reservoir is None:
                raise ValueError("give n_reservoir (to generate a reservoir) or W")
            n = _positive_int(n_reservoir, "n_reservoir")
            if sparse is False or (sparse is None and self.density > _SPARSE_MAX_DENSITY):
                _dense_room(n, "the dense reservoir W and its transposed copy")
            if topology == "erdos_renyi":
                _reservoir_room(n, self.density * n * n, "erdos_renyi")
                Wm = _erdos_renyi(n, self.density, rng)
            elif topology == "small_world":
                import networkx as nx

                kk = max(2, int(round(self.density * n)))
                if kk >= n:
                    raise ValueError(f"small_world: density {density} gives {kk} neighbours "
                                     f"per node, but n_reservoir is {n}")
                _reservoir_room(n, n * kk, "small_world")
                G = nx.watts_strogatz_graph(n, kk, 0.1, seed=int(rng.integers(2**31)))
                Wm, _ = _graph_matrix(G, "weight", rng, nodes=list(range(n)))
            elif callable(topology):
                G = topology(n, seed=int(rng.integers(2**31)))
                if not (hasattr(G, "edges") and hasattr(G, "nodes")):
                    raise TypeError(f"topology callable must return a networkx graph, got "
                                    f"{type(G).__name__}")
                if G.number_of_nodes() != n:
                    raise ValueError(f"topology callable returned a graph with "
                                     f"{G.number_of_nodes()} nodes, expected {n}")
                Wm, _ = _graph_matrix(G, "weight", rng)
            else:
                raise ValueError(f"unknown topology {topology!r}; known: "
                                 f"{', '.join(map(repr, _TOPOLOGIES))} or a callable")
        self.nodes = check_node_names(nodes, n, per="reservoir unit")
        self.n_reservoir = n

        if spectral_radius is not None:
            target = _real(spectral_radius, "spectral_radius", lo=0.0)
            rho = globals()["spectral_radius"](Wm)
            if rho == 0.0:
                raise ValueError("W has spectral radius 0 (e.g. no cycles, or no weights): it "
                                 "cannot be rescaled; pass spectral_radius=None")
            Wm = Wm * (target / rho)
        self.spectral_radius = None if spectral_radius is None else float(spectral_radius)

        nnz = Wm.nnz if sp.issparse(Wm) else int(np.count_nonzero(Wm))
        if sparse is None:
            sparse = nnz <= _SPARSE_MAX_DENSITY * n * n
        self.sparse = bool(sparse)
        if self.sparse:
            csr = sp.csr_matrix(Wm, dtype=np.float64, copy=True)
            csr.sort_indices()
            for a in (csr.data, csr.indices, csr.indptr):
                a.flags.writeable = False
            self.W = csr
            # placeholders read-only like the real arrays: Numba types read-only and
            # writable arrays apart, and the loops would compile once for each storage
            self._WT = _frozen(np.empty((0, 0)))
            # Unsigned column indices: Numba then drops its negative-index wraparound select
            # from the gather (measured 15-25 % faster on W4's product); uint32 also halves
            # their memory traffic.
            self._csr = (_frozen(csr.indptr, np.int64), _frozen(csr.indices, np.uint32),
                         _frozen(csr.data))
        else:
            if sp.issparse(Wm):
                _dense_room(n, "the dense reservoir W and its transposed copy")
            dense = Wm.toarray() if sp.issparse(Wm) else np.asarray(Wm)
            self._WT = _frozen(dense.T)
            self.W = self._WT.T
            self._csr = (_frozen(np.zeros(1), np.int64), _frozen(np.zeros(0), np.uint32),
                         _frozen(np.zeros(0)))

        # ---- input, bias, feedback (drawn in this order, each drawn even when given, so
        # that giving one does not change the others)
        scale = real_array("input_scaling", input_scaling, finite=False)
        if scale.ndim == 0:
            scale = np.full(self.n_inputs, float(scale))
        if scale.shape != (self.n_inputs,) or not np.isfinite(scale).all():
            raise ValueError(f"input_scaling must be a finite number or {self.n_inputs} "
                             f"numbers (one per input), got {input_scaling!r}")
        self.input_scaling = scale
        drawn = rng.uniform(-1.0, 1.0, size=(n, self.n_inputs)) * scale
        self.Win = _frozen(drawn if Win is None else self._given(Win, (n, self.n_inputs),
                                                                 "Win"))
        drawn = rng.uniform(-1.0, 1.0, size=n) * self.bias_scaling
        self.bias = _frozen(drawn if bias is None else self._given(bias, (n,), "bias"))
        if Wfb is not None:
            Wfb = self._given(Wfb, (n, self.n_outputs), "Wfb")
        elif self.feedback_scaling > 0:
            Wfb = rng.uniform(-1.0, 1.0, size=(n, self.n_outputs)) * self.feedback_scaling
        self.Wfb = None if Wfb is None else _frozen(Wfb)
        self._WinT = _frozen(self.Win.T)
        self._WfbT = _frozen(np.zeros((0, n)) if Wfb is None else self.Wfb.T)

        self.Wout = None
        self.bias_out = None
        self.state = np.zeros(n)
        self.last_output = np.zeros(self.n_outputs)
        object.__setattr__(self, "_locked", True)

    _MUTABLE = frozenset(("state", "last_output", "Wout", "bias_out"))

    def __setattr__(self, name, value):
        # The compiled loop reads private copies (transposed, CSR arrays) made here; a
        # rebound W or leak_rate would silently disagree with them.
        if getattr(self, "_locked", False) and name not in self._MUTABLE:
            raise AttributeError(f"ESN.{name} is fixed at construction; build a new ESN "
                                 "(only state, last_output, Wout and bias_out change)")
        object.__setattr__(self, name, value)

    @staticmethod
    def _given(a, shape, name):
        arr = real_array(name, a, finite=False)
        if arr.ndim == 1 and len(shape) == 2 and shape[1] == 1 and arr.shape == (shape[0],):
            arr = arr[:, None]
        if arr.shape != shape:
            raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
        _finite_matrix(arr, name)
        return arr

    @classmethod
    def from_graph(cls, G, **kwargs):
        """An ESN whose reservoir is the networkx graph ``G`` (edge ``u -> v`` with weight
        ``w`` is ``W[v, u] = w``; edges without a weight get N(0, 1) draws; node order
        ``list(G.nodes)`` is kept in ``.nodes``). Other arguments as for the constructor;
        ``spectral_radius=None`` keeps the weights as they are.

        >>> import networkx as nx
        >>> G = nx.DiGraph([("a", "b", {"weight": 0.5}), ("b", "a", {"weight": 2.0})])
        >>> esn = ESN.from_graph(G, spectral_radius=None, seed=0)
        >>> esn.nodes, esn.W
        (['a', 'b'], array([[0. , 2. ],
               [0.5, 0. ]]))
        """
        return cls(W=G, **kwargs)

    def to_graph(self, weight="weight"):
        """The reservoir as a ``networkx.DiGraph`` (every nonzero ``W[v, u]`` is an edge
        ``u -> v``); :meth:`from_graph` with ``spectral_radius=None`` gives it back.

        >>> esn = ESN(W=[[0.0, 1.0], [0.0, 0.0]], spectral_radius=None, seed=0)
        >>> list(esn.to_graph().edges(data="weight"))
        [(1, 0, 1.0)]
        """
        import networkx as nx

        G = nx.DiGraph()
        G.add_nodes_from(self.nodes)
        coo = sp.coo_matrix(self.W)
        G.add_edges_from((self.nodes[j], self.nodes[i], {weight: float(w)})
                         for i, j, w in zip(coo.row.tolist(), coo.col.tolist(),
                                            coo.data.tolist()) if w != 0.0)
        return G

    # ------------------------------------------------------------------ running

    def reset(self):
        """Set the state and the last output to zero (the readout is kept).

        >>> esn = ESN(10, seed=0)
        >>> _ = esn.run(np.ones(5))
        >>> float(np.abs(esn.reset().state).max())
        0.0
        """
        self.state = np.zeros(self.n_reservoir)
        self.last_output = np.zeros(self.n_outputs)
        return self

    def _start(self, x0, reset):
        if x0 is not None:
            x = np.array(real_array("x0", x0, finite=False), dtype=np.float64)
            if x.shape != (self.n_reservoir,):
                raise ValueError(f"x0 has shape {x.shape}, expected ({self.n_reservoir},)")
            _finite_matrix(x, "x0")
            return x, np.zeros(self.n_outputs)
        if reset:
            return np.zeros(self.n_reservoir), np.zeros(self.n_outputs)
        return self.state.copy(), self.last_output.copy()

    def _loop(self, U, n_steps, x, yprev, *, closed=False, teacher=None, fb_own=False,
              X=None, save_from=0, Yout=None, shift=None, capture=None):
        n = self.n_reservoir
        if X is None:
            X = np.empty((0, n))
            save_from = n_steps  # nothing to save (the kernel trusts its arguments)
        if Yout is None:
            Yout = np.empty((0, self.n_outputs))
        if teacher is None:
            if self.Wfb is not None and not fb_own:
                # The kernel feeds back teacher rows after step 0; without them (run,
                # memory_capacity) it read past an empty array. Feed back yprev throughout.
                teacher = np.tile(yprev, (n_steps, 1))
            else:
                teacher = np.empty((0, self.n_outputs))
        if capture is None:
            capture = shift is not None
        if shift is None:
            shift = np.zeros(n)
        WoutT = (np.empty((self.n_outputs, n)) if self.Wout is None
                 else np.ascontiguousarray(self.Wout.T))
        bout = np.zeros(self.n_outputs) if self.bias_out is None else self.bias_out
        indptr, indices, data = self._csr
        done = _k.esn_loop(self.sparse, indptr, indices, data, self._WT, self._WinT, self.bias,
                           self._WfbT, self.leak_rate, _k.ACTIVATIONS[self.activation],
                           U, n_steps, closed, teacher, fb_own, WoutT, bout, x, yprev, X,
                           save_from, shift, capture, Yout)
        if done < n_steps:
            raise FloatingPointError(f"the reservoir state became non-finite at step {done}; "
                                     "check the input scaling and the weights")

    def run(self, u, *, x0=None, reset=False, return_last=False, order="C"):
        """Drive the reservoir with ``u`` (shape ``(T,)`` or ``(T, n_inputs)``) and return the
        states, shape ``(T, n_reservoir)`` (row ``t`` is ``x[t]``, after input ``u[t]``).

        Starts from ``x0``, from zero with ``reset=True``, else from ``state``; leaves the last
        state in ``state``. Output feedback, if any, uses the last output (``last_output``)
        for every step: use :meth:`fit` (teacher forcing) or :meth:`predict` instead.
        ``return_last=True`` returns only the final state. ``order="F"`` stores the states
        column-major (what :func:`ridge_fit` reads fastest).

        >>> esn = ESN(50, seed=1)
        >>> esn.run(np.zeros((20, 1)), reset=True).shape
        (20, 50)
        """
        U = _series(u, "u", self.n_inputs)
        x, yprev = self._start(x0, reset)
        T = U.shape[0]
        if return_last:
            self._loop(U, T, x, yprev)
            out = x.copy()
        else:
            check_allocation("ESN.run: the states", (T, self.n_reservoir),
                             hint="run in shorter pieces (the state carries over) or pass "
                                  "return_last=True")
            X = np.empty((T, self.n_reservoir), order=order)
            self._loop(U, T, x, yprev, X=X)
            out = X
        self.state = x
        return out

    def fit(self, u, y, *, washout=0, ridge=None, x0=None, reset=False, method="ridge",
            carry=False, rate=None):
        """Train the readout to map the states driven by ``u`` to the targets ``y``.

        Runs the reservoir on ``u`` (with output feedback, the teacher ``y[t-1]`` is fed back
        at step ``t``), drops the first ``washout`` states, and solves the ridge problem of
        :func:`ridge_fit` (unregularised bias). Sets ``Wout`` (n, n_outputs), ``bias_out`` and
        leaves ``state`` / ``last_output`` at the end of ``u`` / ``y``. Returns ``self``.

        Several sequences: ``u`` and ``y`` lists (or tuples) of arrays, pairwise of equal
        length; ``washout`` an int for every sequence or one per sequence. Each sequence
        starts from ``x0`` (zero if not given, output feedback from zero), or, with
        ``carry=True``, where the previous one ended (the first one as for a single series:
        ``x0``, ``reset`` or ``state``). The ridge readout is the one over the concatenated
        states with the washouts removed, accumulated into one Gram matrix sequence by
        sequence (the state matrices are never concatenated).

        ``method``: ``"ridge"`` (above), or an online readout updated at every kept step
        while the reservoir runs (compiled), on the features ``[x, 1]`` (the bias is a weight
        of a constant feature, regularised like the others), from zero weights:
        ``"rls"`` (recursive least squares with ``P(0) = I / ridge``; after the pass this is
        exactly ridge regression with penalty ``ridge`` on weights and bias) or ``"lms"``
        (least mean squares, ``w <- w - rate [x, 1] e^T`` with the a-priori error ``e``).

        >>> u = np.sin(np.arange(500) * 0.2)
        >>> esn = ESN(30, seed=0).fit(u[:-1], u[1:], washout=50)
        >>> esn.Wout.shape, esn.bias_out.shape
        ((30, 1), (1,))
        >>> runs = [np.sin(np.arange(300) * 0.2 + p) for p in (0.0, 1.0, 2.0)]
        >>> _ = esn.fit([r[:-1] for r in runs], [r[1:] for r in runs], washout=50)
        >>> bool(np.abs(esn.predict(runs[0][:-1], reset=True)[50:, 0] - runs[0][51:]).max()
        ...      < 1e-3)
        True
        """
        if method not in ("ridge", "rls", "lms"):
            raise ValueError(f"method must be 'ridge', 'rls' or 'lms', got {method!r}")
        if not isinstance(carry, (bool, np.bool_)):
            raise InvalidTypeError(f"carry must be True or False, got {carry!r}")
        ridge = self.ridge if ridge is None else _real(ridge, "ridge", lo=0.0)
        if method != "ridge" or _t().is_sequences(u) or _t().is_sequences(y):
            if method == "ridge":
                return _t().fit_sequences(self, u, y, washout=washout, ridge=ridge, x0=x0,
                                          reset=reset, carry=carry)
            _t().fit_online(self, u, y, method=method, washout=washout, alpha=ridge,
                            rate=rate, x0=x0, reset=reset, carry=carry)
            return self
        U = _series(u, "u", self.n_inputs)
        Y = _series(y, "y", self.n_outputs)
        if Y.shape[0] != U.shape[0]:
            raise ValueError(f"u has {U.shape[0]} steps but y has {Y.shape[0]}")
        T = U.shape[0]
        if isinstance(washout, bool) or not isinstance(washout, numbers.Integral) \
                or not 0 <= washout < T:
            raise ValueError(f"washout must be an integer in [0, {T - 1}] (u has {T} steps), "
                             f"got {washout!r}")
        x, yprev = self._start(x0, reset)
        n, m, k = self.n_reservoir, self.n_outputs, T - washout
        # The reservoir writes its states, shifted by the first kept state c, straight into
        # the first n columns of Z = [X - c | Y - d | 1] (column-major): one dsyrk of Z then
        # gives every sum the ridge solution needs, without copying X.
        check_allocation("ESN.fit: the states and targets", (k, n + m + 1),
                         hint="fit on a shorter series or a larger washout")
        Z = np.empty((k, n + m + 1), order="F")
        c = np.zeros(n)
        teacher = Y if self.Wfb is not None else None
        self._loop(U, T, x, yprev, teacher=teacher, X=Z[:, :n], save_from=washout, shift=c)
        d = Y[washout].copy()
        np.subtract(Y[washout:], d, out=Z[:, n:n + m])
        Z[:, n + m] = 1.0
        self.Wout, self.bias_out = _ridge_from_z(Z, n, c, d, ridge)
        self.state = x
        self.last_output = Y[-1].copy()
        return self

    def train_force(self, y, u=None, *, alpha=1.0, washout=0, update_every=1, x0=None,
                    reset=False, carry=False):
        """FORCE learning (Sussillo & Abbott 2009): the readout ``z = Wout^T x + bias_out`` is
        fed back (``Wfb``, so the ESN needs output feedback) while it learns the target ``y``
        by recursive least squares, online, in closed loop with its own output.

        At each step the reservoir is driven by ``u[t]`` (zero input when ``u`` is None) and
        by its previous output ``z[t-1]``; the a-priori error ``e = z[t] - y[t]`` then updates
        ``[Wout; bias_out]`` and ``P`` (from zero weights and ``P(0) = I / alpha``) every
        ``update_every`` steps after ``washout``, with :func:`neurodyn.train._rls.rls_update`
        in the compiled loop. Afterwards :meth:`predict` (with the same kind of input) runs
        the network with learning off, feeding its own outputs back. ``y`` (and ``u``) may be
        lists of sequences (``carry`` as in :meth:`fit`).

        Returns the a-priori errors, shape ``(T - washout, n_outputs)`` (a list for lists).

        >>> t = np.arange(4000)
        >>> esn = ESN(200, spectral_radius=1.2, leak_rate=0.3, feedback_scaling=1.0,
        ...           density=0.2, seed=0)
        >>> err = esn.train_force(np.sin(2 * np.pi * t / 50), washout=100)
        >>> z = esn.predict(np.zeros(500))          # learning off, its own output fed back
        >>> bool(np.abs(z[:, 0] - np.sin(2 * np.pi * np.arange(4000, 4500) / 50)).max() < 0.05)
        True
        """
        if self.Wfb is None:
            raise ValueError("train_force needs output feedback: build the ESN with "
                             "feedback_scaling > 0 or a given Wfb")
        if not isinstance(carry, (bool, np.bool_)):
            raise InvalidTypeError(f"carry must be True or False, got {carry!r}")
        if u is None:
            t = _t()
            if t.is_sequences(y):
                u = [np.zeros((np.shape(s)[0], self.n_inputs)) for s in y]
            else:
                u = np.zeros((_series(y, "y", self.n_outputs).shape[0], self.n_inputs))
        return _t().fit_online(self, u, y, method="rls", washout=washout, alpha=alpha,
                               x0=x0, reset=reset, carry=carry, fb_own=True,
                               every=update_every)

    def _need_readout(self):
        if self.Wout is None:
            raise RuntimeError("the readout is not trained: call fit() first")

    def predict(self, u, *, x0=None, reset=False):
        """Outputs ``y[t] = x[t] @ Wout + bias_out`` for the input ``u``, shape
        ``(T, n_outputs)``; continues from ``state`` (see the class notes). With output
        feedback, each output is fed back at the next step.

        >>> u = np.sin(np.arange(600) * 0.2)
        >>> esn = ESN(30, seed=0).fit(u[:399], u[1:400], washout=50)
        >>> y = esn.predict(u[399:-1])
        >>> y.shape, bool(np.abs(y[:, 0] - u[400:]).max() < 1e-3)
        ((200, 1), True)
        """
        self._need_readout()
        U = _series(u, "u", self.n_inputs)
        x, yprev = self._start(x0, reset)
        T = U.shape[0]
        if self.Wfb is not None:
            Yout = np.empty((T, self.n_outputs))
            self._loop(U, T, x, yprev, fb_own=True, Yout=Yout)
        else:
            check_allocation("ESN.predict: the states", (T, self.n_reservoir),
                             hint="predict in shorter pieces (the state carries over)")
            X = np.empty((T, self.n_reservoir))
            self._loop(U, T, x, yprev, X=X)
            Yout = X @ self.Wout + self.bias_out
        self.state = x
        self.last_output = Yout[-1].copy()
        return Yout

    def generate(self, n_steps, *, warmup=None, x0=None, reset=False):
        """Run closed-loop (autonomously): each output is the next input, for ``n_steps``
        steps; returns the outputs, shape ``(n_steps, n_outputs)``. Needs
        ``n_outputs == n_inputs`` and a trained readout.

        Without ``warmup``, generation starts from ``state`` and the first input is
        ``last_output`` (after :meth:`fit`, the last target, i.e. the next input of the
        training series), so the outputs estimate the values after it. ``warmup`` (inputs of
        shape ``(T, n_inputs)``, e.g. the latest observed values) is first run through
        :meth:`predict`, driven by the true inputs; the outputs then continue it: the first
        is the one-step prediction of the value after ``warmup[-1]`` and each later one feeds
        on the previous.

        >>> t = np.arange(3000) * 0.1
        >>> u = np.sin(t)
        >>> esn = ESN(100, leak_rate=0.5, seed=0).fit(u[:2000], u[1:2001], washout=100)
        >>> y = esn.generate(100)
        >>> bool(np.abs(y[:, 0] - u[2001:2101]).max() < 1e-2)
        True
        """
        self._need_readout()
        if self.n_outputs != self.n_inputs:
            raise ValueError(f"generate feeds outputs back as inputs: needs n_outputs == "
                             f"n_inputs, got {self.n_outputs} and {self.n_inputs}")
        n_steps = _positive_int(n_steps, "n_steps")
        check_allocation("ESN.generate: the outputs", (n_steps, self.n_outputs))
        Yout = np.empty((n_steps, self.n_outputs))
        if warmup is not None:
            y = self.predict(warmup, x0=x0, reset=reset)
            x, yprev = self.state.copy(), y[-1].copy()
            Yout[0] = yprev
            if n_steps > 1:
                self._loop(np.empty((0, self.n_inputs)), n_steps - 1, x, yprev, closed=True,
                           fb_own=True, Yout=Yout[1:])
        else:
            x, yprev = self._start(x0, reset)
            self._loop(np.empty((0, self.n_inputs)), n_steps, x, yprev, closed=True,
                       fb_own=True, Yout=Yout)
        self.state = x
        self.last_output = yprev.copy()
        return Yout

    def continuous(self, u, *, dt=1.0, tau=None, times=None, interp="zoh"):
        """The continuous-time ESN ``tau dx/dt = -x + f(W x + Win u(t) + b)`` with this
        reservoir, driven by the samples ``u`` (at ``times``, default ``k * dt``).

        ``tau`` defaults to ``dt / leak_rate``: forward Euler with step ``dt`` then reproduces
        this discrete ESN (see the module notes). Output feedback is not carried over.

        >>> esn = ESN(20, leak_rate=0.25, seed=0)
        >>> float(esn.continuous(np.zeros(10), dt=0.5).tau[0])
        2.0
        """
        if tau is None:
            tau = _real(dt, "dt", lo=0.0, lo_open=True) / self.leak_rate
        return ContinuousESN(self.W, self.Win, u, dt=dt, times=times, tau=tau, bias=self.bias,
                             activation=self.activation, interp=interp, nodes=self.nodes)

    def __repr__(self):
        kind = "sparse" if self.sparse else "dense"
        trained = "trained" if self.Wout is not None else "untrained"
        return (f"ESN(n_reservoir={self.n_reservoir}, {kind}, leak_rate={self.leak_rate}, "
                f"activation={self.activation!r}, {trained})")


# --------------------------------------------------------------------------- continuous

def _per_unit(value, n, name):
    """A real scalar or one value per reservoir unit, as a float64 (n,) array."""
    a = real_array(name, value, finite=False)
    try:
        return np.broadcast_to(a, (n,)).copy()
    except ValueError:
        raise ValueError(f"{name} has shape {a.shape}, expected a scalar or shape ({n},) (one "
                         "value per reservoir unit)") from None


class ContinuousESN(FrozenModel, ODESystem):
    """Continuous-time ESN ``tau_i dx_i/dt = -x_i + f(sum_j W_ij x_j + (Win u(t))_i + b_i)``,
    ready for ``solvers.solve`` (compiled kernel, sparse ``W`` kept CSR, analytic Jacobian).

    Parameters
    ----------
    W : array_like (n, n) or scipy.sparse matrix
    Win : array_like (n, n_inputs)
    u : array_like (m,) or (m, n_inputs)
        Input samples.
    dt : float
        Sample spacing when ``times`` is not given (samples at ``k * dt``).
    times : array_like (m,), optional
        Strictly increasing sample times.
    tau : float or array_like (n,)
    bias : float or array_like (n,)
    activation : {"tanh", "identity"}
    interp : {"zoh", "linear"}
        Zero-order hold (``u(t) = u[k]`` on ``[t_k, t_{k+1})``) or linear interpolation;
        held flat outside the samples.

    With forward Euler of step ``dt`` and zero-order hold, the state at ``(t + 1) dt`` equals
    the discrete leaky ESN's ``x[t]`` with leak rate ``a = dt / tau`` (see the module notes).

    Example
    -------
    >>> import solvers
    >>> esn = ESN(20, leak_rate=0.25, seed=0)
    >>> u = np.sin(np.arange(40) * 0.3)
    >>> ct = esn.continuous(u, dt=0.5)             # tau = dt / leak_rate = 2
    >>> sol = solvers.solve(ct, (0.0, 20.0), np.zeros(20), method="euler", dt=0.5,
    ...                     t_eval=np.arange(1, 41) * 0.5)
    >>> X = esn.run(u, reset=True)
    >>> bool(np.abs(sol.y - X).max() < 1e-12)
    True
    """

    _ctor_args = ("W", "Win", "u", "dt", "times", "tau", "bias", "activation", "interp",
                  "nodes")

    def __init__(self, W, Win, u, *, dt=1.0, times=None, tau=1.0, bias=0.0,
                 activation="tanh", interp="zoh", nodes=None):
        Wm = _check_W(W)
        n = Wm.shape[0]
        nodes = check_node_names(nodes, n, per="reservoir unit")
        if activation not in _k.ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: "
                             f"{', '.join(map(repr, _k.ACTIVATIONS))}")
        if interp not in ("zoh", "linear"):
            raise ValueError(f"interp must be 'zoh' or 'linear', got {interp!r}")
        Win_a = real_array("Win", Win, finite=False)
        if Win_a.ndim == 1:
            Win_a = Win_a[:, None]
        if Win_a.ndim != 2 or Win_a.shape[0] != n:
            raise ValueError(f"Win has shape {Win_a.shape}, expected ({n}, n_inputs)")
        _finite_matrix(Win_a, "Win")
        U = _series(u, "u", Win_a.shape[1])
        m = U.shape[0]
        if times is None:
            dt_ = _real(dt, "dt", lo=0.0, lo_open=True)
            ts = np.arange(m) * dt_
        else:
            ts = real_array("times", times, finite=False)
            if ts.shape != (m,):
                raise ValueError(f"times has shape {ts.shape}, expected ({m},) to match u")
            _finite_matrix(ts, "times")
            steps = np.flatnonzero(np.diff(ts) <= 0)
            if steps.size:
                k = int(steps[0]) + 1
                raise ValueError(f"times must be strictly increasing: times[{k}] = "
                                 f"{float(ts[k])!r} <= times[{k - 1}] = {float(ts[k - 1])!r}")
        tau_v = _per_unit(tau, n, "tau")
        bad = np.flatnonzero(~(np.isfinite(tau_v) & (tau_v > 0)))
        if bad.size:
            raise ValueError(f"tau of unit {nodes[int(bad[0])]!r} must be positive and finite, "
                             f"got {float(tau_v[bad[0]])!r}")
        bias_v = _per_unit(bias, n, "bias")
        _finite_matrix(bias_v, "bias")
        if sp.issparse(Wm):
            Wm.sort_indices()
            csr = (_frozen(Wm.indptr, np.int64), _frozen(Wm.indices, np.int64),
                   _frozen(Wm.data))
            Wd = np.empty((0, 0))
            sparse = 1
        else:
            e = np.zeros(1, dtype=np.int64)
            csr = (e, e, np.zeros(0))
            Wd = _frozen(Wm)
            sparse = 0
        kind = 1 if interp == "zoh" else 2
        params = (_frozen(1.0 / tau_v), _frozen(bias_v), _k.ACTIVATIONS[activation], kind,
                  _frozen(ts), _frozen(U), _frozen(Win_a), sparse) + csr + (Wd,)
        super().__init__(_k.cesn_rhs, n, params=params, jac=_k.cesn_jac, name="ContinuousESN")
        self.W = Wm if sp.issparse(Wm) else Wd
        self.Win = params[6]
        self.u = params[5]
        self.times = params[4]
        self.dt = dt
        self.tau = _frozen(tau_v)
        self.bias = params[1]
        self.activation = activation
        self.interp = interp
        self.nodes = nodes
        self._freeze()

    def array_form(self, xp=None, dtype=np.float64):
        """This reservoir's right-hand side for the array engine (``solvers.solve(...,
        backend="numpy" or "cuda")``, :func:`solvers.solve_array`): a callable
        ``f(t, x, out)`` writing ``dx/dt`` into ``out`` with operations of ``xp`` (one GEMV, or
        SpMV for a sparse ``W``, plus the input term), the input held or interpolated as the
        kernel does; the parameters are copied to ``xp`` once, here.

        Parameters
        ----------
        xp : module, optional
            ``numpy`` (default) or ``cupy``.
        dtype : float64 or float32

        Example
        -------
        >>> ct = ESN(20, seed=0).continuous(np.sin(np.arange(40) * 0.3), dt=0.5)
        >>> x = np.full(20, 0.1)
        >>> out, ref = np.empty(20), np.empty(20)
        >>> ct.array_form(np)(3.2, x, out)
        >>> ct.rhs(3.2, x, ct.params, ref)                        # the kernel
        >>> bool(np.allclose(out, ref, rtol=1e-13, atol=1e-15))
        True
        """
        from ._array_forms import ESNArrayForm

        return ESNArrayForm(self, np if xp is None else xp, dtype)

    def __repr__(self):
        return f"ContinuousESN(n={self.n_states}, {self.u.shape[0]} input samples)"


# --------------------------------------------------------------------------- memory

def memory_capacity(esn, *, max_delay=None, n_steps=4000, washout=200, test_fraction=0.5,
                    ridge=1e-10, seed=0):
    """Jaeger's short-term memory capacity ``MC = sum_{k >= 1} r^2(u[t-k], y_k[t])``.

    The reservoir (from zero) is driven by i.i.d. uniform input on [-1, 1]; for each delay
    ``k = 1 .. max_delay`` a ridge readout ``y_k`` is trained to recall ``u[t-k]`` on the
    first part of the run and ``r^2`` (squared correlation) is measured on the held-out rest.
    ``esn`` must have one input; its state and readout are left untouched.

    Parameters
    ----------
    esn : ESN
    max_delay : int, optional
        Default ``2 * n_reservoir``.
    n_steps, washout : int
        Length of the run and the initial states discarded.
    test_fraction : float in (0, 1)
    ridge : float
    seed : int or Generator
        Seed of the input.

    Returns
    -------
    total : float
    per_delay : ndarray, shape (max_delay,)
        ``r^2`` for delays 1 .. max_delay.

    Example
    -------
    >>> esn = ESN(20, spectral_radius=0.9, activation="identity", input_scaling=0.1, seed=0)
    >>> mc, curve = memory_capacity(esn, max_delay=40)
    >>> bool(10 < mc <= 20), curve.shape
    (True, (40,))
    """
    if esn.n_inputs != 1:
        raise ValueError(f"memory_capacity needs an ESN with one input, got {esn.n_inputs}")
    n = esn.n_reservoir
    K = 2 * n if max_delay is None else _positive_int(max_delay, "max_delay")
    n_steps = _positive_int(n_steps, "n_steps")
    washout = count("washout", washout, low=0)
    tf = probability("test_fraction", test_fraction, open_low=True, open_high=True)
    ridge = _real(ridge, "ridge", lo=0.0)
    rng = _rng(seed)
    if washout < K:
        washout = K  # every target u[t - k] must exist
    n_used = n_steps - washout
    n_test = int(round(tf * n_used))
    if n_used - n_test < 2 or n_test < 2:
        raise ValueError(f"n_steps = {n_steps} leaves {max(n_used, 0)} samples after the "
                         f"washout ({washout}; at least max_delay = {K}); test_fraction = "
                         f"{tf!r} splits them into {max(n_used - n_test, 0)} for training and "
                         f"{max(n_test, 0)} for testing, and each needs at least 2: increase "
                         "n_steps")
    check_allocation("memory_capacity: the states", (n_used, n + K),
                     hint="lower n_steps or max_delay")
    u = rng.uniform(-1.0, 1.0, size=n_steps)
    x = np.zeros(n)
    X = np.empty((n_used, n), order="F")
    saved = (esn.state, esn.last_output)
    esn._loop(u[:, None], n_steps, x, np.zeros(esn.n_outputs), X=X, save_from=washout)
    esn.state, esn.last_output = saved
    t = np.arange(washout, n_steps)
    Y = np.stack([u[t - k] for k in range(1, K + 1)], axis=1)
    split = n_used - n_test
    Wout, b = ridge_fit(X[:split], Y[:split], ridge)
    P = X[split:] @ Wout + b
    Yt = Y[split:]
    Pc = P - P.mean(axis=0)
    Yc = Yt - Yt.mean(axis=0)
    r2 = (Pc * Yc).sum(0) ** 2 / ((Pc * Pc).sum(0) * (Yc * Yc).sum(0))
    return float(r2.sum()), r2


def linear_memory_capacity(esn, max_delay):
    """The exact memory curve of a *linear* ESN (``activation="identity"``, one input) driven
    by i.i.d. input, in the limit of infinite data: with ``A = (1 - a) I + a W``,
    ``v_k = A^k (a Win)`` and ``C = sum_k v_k v_k^T`` (a discrete Lyapunov equation),
    ``r_k^2 = v_k^T C^{-1} v_k``. Over all delays ``k >= 0`` the ``r_k^2`` sum to ``n``
    (for a full-rank ``C``), so Jaeger's MC (``k >= 1``) is ``n - r_0^2 <= n``.

    Returns the ``r_k^2`` for ``k = 1 .. max_delay``. ``C`` is a Krylov sum and can be
    very ill-conditioned (random reservoirs with small spectral radius: eigenvalues decaying
    geometrically); the result is then only as accurate as ``C^{-1}`` (computed by ``eigh``).
    Near-orthogonal reservoirs with spectral radius near 1 are well conditioned and have
    MC close to ``n``.

    >>> Q = np.linalg.qr(np.random.default_rng(0).normal(size=(10, 10)))[0]
    >>> esn = ESN(W=0.95 * Q, spectral_radius=None, activation="identity", seed=0)
    >>> curve = linear_memory_capacity(esn, 2000)
    >>> bool(9.0 < curve.sum() < 10.0)
    True
    """
    if esn.activation != "identity":
        raise ValueError("linear_memory_capacity is exact only for activation='identity'")
    if esn.n_inputs != 1:
        raise ValueError(f"needs an ESN with one input, got {esn.n_inputs}")
    K = _positive_int(max_delay, "max_delay")
    a = esn.leak_rate
    check_allocation(f"linear_memory_capacity: the dense {esn.n_reservoir} x "
                     f"{esn.n_reservoir} matrices (W, A, the Lyapunov solution and its "
                     "eigenvectors)", (6, esn.n_reservoir, esn.n_reservoir))
    W = esn.W.toarray() if sp.issparse(esn.W) else np.asarray(esn.W)
    n = W.shape[0]
    A = (1.0 - a) * np.eye(n) + a * W
    if np.max(np.abs(np.linalg.eigvals(A))) >= 1.0:
        raise ValueError("the linear reservoir is not stable (spectral radius of "
                         "(1-a) I + a W >= 1): its memory capacity is undefined")
    v = a * esn.Win[:, 0]
    C = sla.solve_discrete_lyapunov(A, np.outer(v, v))
    lam, U = np.linalg.eigh(0.5 * (C + C.T))
    if lam[0] <= 0.0:
        raise ValueError("the state covariance is singular (the input does not reach every "
                         "direction of the reservoir): its memory capacity is below n and "
                         "r_k^2 needs a pseudo-inverse; not computed")
    out = np.empty(K)
    vk = v.copy()
    for k in range(1, K + 1):
        vk = A @ vk
        z = U.T @ vk
        out[k - 1] = z @ (z / lam)
    return out
