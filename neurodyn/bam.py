"""Bidirectional associative memory (Kosko 1988): discrete recall and a continuous-time BAM.

A BAM couples a layer ``x`` of ``n`` bipolar neurons with a layer ``y`` of ``m`` through one
matrix ``W`` (``n x m``): ``y`` listens to ``x`` through ``W^T``, ``x`` to ``y`` through ``W``.
Pairs ``(x_k, y_k)`` are stored by correlation, ``W = sum_k x_k y_k^T = X^T Y``, and recalled
by bouncing between the layers,

    y <- sign(W^T x),   x <- sign(W y),

until neither layer changes. Each half-step can only lower the energy ``E(x, y) = -x^T W y``
(a bit flips only where its field has the opposite sign: ``Delta E = -2 |field|``), and a
finite state space then forces a stable pair: recall always converges, without cycles.

The continuous-time BAM (:class:`ContinuousBAM`, Kosko 1987/1988)

    dx/dt = -a x + W S(y) + Ix,     dy/dt = -b y + W^T S(x) + Iy,     S(z_k) = g(gain_k z_k)

is the continuous Hopfield network with block weights ``T = [[0, W], [W^T, 0]]``, ``C = 1``
and ``R = 1/a`` (``1/b``); its Lyapunov function is therefore Hopfield's energy

    E = -S(x)^T W S(y) - Ix^T S(x) - Iy^T S(y)
        + sum_i a_i Phi_i(x_i) + sum_j b_j Phi_j(y_j),
    Phi_k(z) = integral_0^z s d S_k(s) = integral_{g(0)}^{S_k(z)} S_k^{-1}(v) dv,

with ``dE/dt = -sum_k S_k'(z_k) (dz_k/dt)^2 <= 0`` for gains > 0 (closed forms of ``Phi`` in
:mod:`neurodyn.continuous_hopfield`).

References: B. Kosko, "Bidirectional associative memories", IEEE Trans. Systems, Man, and
Cybernetics 18(1), 49-60 (1988); "Adaptive bidirectional associative memories", Applied Optics
26(23), 4947-4960 (1987).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers import ODESystem
from solvers._checks import InvalidTypeError, check_allocation, real_array

from . import _kernels_assoc as _k
from .continuous_hopfield import (ContinuousHopfield, _activation_code, _as_bipolar,
                                  _integral_term, _output)
from ._model import FrozenModel, edge_weight, num, state_batch
from .ctrnn import _frozen, _vector

__all__ = ["BAM", "BAMRecall", "ContinuousBAM"]

# Integer-valued W with all |fields| below this are summed exactly in float64, whatever the
# order of summation (BLAS blocking, batch size): then ties (a field of exactly 0) are exact.
_EXACT_LIMIT = 2.0 ** 52


def _layer_of(value):
    """'x' or 'y' for an accepted ``layer`` attribute value, else None."""
    if isinstance(value, str):
        return value if value in ("x", "y") else None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return {0: "x", 1: "y"}.get(int(value))
    return None


def _layer_names(names, size, layer):
    if names is None:
        return [(layer, i) for i in range(size)]
    names = list(names)
    if len(names) != size:
        raise ValueError(f"{layer}_nodes has {len(names)} names, expected {size}")
    return names


def _room(shape, what, copies=1):
    """Refuse, before allocating, ``copies`` float64 arrays of ``shape`` that cannot fit."""
    check_allocation(f"BAM: {what}", ((copies,) if copies > 1 else ()) + tuple(shape), 8)


def _check_W(W):
    arr = real_array("W", W, finite=False)
    if arr.ndim != 2:
        raise ValueError(f"W must be 2-D, shape (n, m) (x layer by y layer), got {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"W is empty (shape {arr.shape}): both layers need neurons")
    _room(arr.shape, f"W of {arr.shape[0]} x {arr.shape[1]} weights and the model's copies",
          copies=3)
    return np.array(arr, dtype=np.float64)


def _check_names(W, x_nodes, y_nodes):
    x_nodes = _layer_names(x_nodes, W.shape[0], "x")
    y_nodes = _layer_names(y_nodes, W.shape[1], "y")
    seen = set()
    for v in x_nodes + y_nodes:
        if v in seen:
            raise ValueError(f"duplicate node name {v!r} (names must be distinct across both "
                             "layers)")
        seen.add(v)
    bad = ~np.isfinite(W)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise ValueError(f"W[{i}, {j}] = {float(W[i, j])!r} is not finite (edge "
                         f"{x_nodes[i]!r} - {y_nodes[j]!r})")
    return x_nodes, y_nodes


def _tie_tolerances(W):
    """Per-neuron bound on the rounding of a field, below which the field counts as zero.

    Zero for integer-valued W (sums of +-W_ij are then exact); otherwise n eps sum|W_ij|, a
    bound on the rounding error of any order of summation, so that batched and single-probe
    recall agree and a tie in exact arithmetic is a tie here too.
    """
    A = np.abs(W)
    if np.array_equal(W, np.round(W)) and A.sum(axis=0).max() < _EXACT_LIMIT \
            and A.sum(axis=1).max() < _EXACT_LIMIT:
        return np.zeros(W.shape[1]), np.zeros(W.shape[0])
    eps = np.finfo(np.float64).eps
    return W.shape[0] * eps * A.sum(axis=0), W.shape[1] * eps * A.sum(axis=1)


def _threshold(field, tol, current):
    """sign(field), keeping the current bit where |field| <= tol (a tie)."""
    return np.where(field > tol, 1.0, np.where(field < -tol, -1.0, current))


@dataclass(frozen=True)
class BAMRecall:
    """What :meth:`BAM.recall_info` found.

    Attributes
    ----------
    x, y : ndarray
        The final pair, float64 +-1, shape ``(n,)``/``(m,)`` (or ``(K, n)``/``(K, m)`` for a
        batch of ``K`` probes).
    converged : bool or ndarray of bool, shape (K,)
        Whether the pair was stable (a full round changed no bit) within ``max_iter`` rounds.
    iterations : int or ndarray of int, shape (K,)
        Rounds run; a round is a half-step into the other layer and one back, and the last
        round counted is the first whose half-step back changed no bit (1 for a stored pair).
    energies : ndarray or None
        With ``trace=True``: ``E = -x^T W y`` before recall (the other layer at its initial
        all +1) and after every half-step, shape ``(1 + 2 R,)`` or ``(K, 1 + 2 R)`` with ``R``
        the most rounds any probe ran; a probe that stopped earlier repeats its final energy.

    It prints as a summary:

    >>> bam = BAM.from_pairs([[1, -1, 1, -1]], [[1, 1, -1]])
    >>> bam.recall_info(x=[1, -1, 1, 1], trace=True)
    BAMRecall(x: 4 units, y: 3 units; converged after 2 rounds; energy -2 -> -12)
    >>> bam.recall_info(x=[[1, -1, 1, 1], [-1, 1, -1, 1]])
    BAMRecall(2 probes, x: 4 units, y: 3 units; 2 converged, rounds 1 .. 2)
    """

    x: np.ndarray
    y: np.ndarray
    converged: object
    iterations: object
    energies: object = None

    def __repr__(self):
        x, y = np.asarray(self.x), np.asarray(self.y)
        sizes = f"x: {x.shape[-1]} units, y: {y.shape[-1]} units"
        if x.ndim <= 1:
            how = "converged" if self.converged else "not converged"
            e = ""
            if self.energies is not None and np.size(self.energies):
                en = np.asarray(self.energies, dtype=np.float64)
                e = f"; energy {num(en[0])} -> {num(en[-1])}"
            r = int(self.iterations)
            return f"BAMRecall({sizes}; {how} after {r} round{'s' if r != 1 else ''}{e})"
        it = np.asarray(self.iterations)
        e = "; energies recorded" if self.energies is not None else ""
        return (f"BAMRecall({x.shape[0]} probes, {sizes}; {int(np.sum(self.converged))} "
                f"converged, rounds {int(it.min())} .. {int(it.max())}{e})")


class BAM(FrozenModel):
    """Kosko's discrete bidirectional associative memory.

    Parameters
    ----------
    W : array_like, shape (n, m)
        ``W[i, j]`` couples ``x_i`` and ``y_j`` (both ways). An integer-valued ``W`` (as from
        :meth:`from_pairs`) is kept exactly, and ties in recall are then exact.
    x_nodes, y_nodes : list, optional
        Neuron names (default ``("x", i)`` and ``("y", j)``), distinct across the layers; used
        in messages and by :meth:`to_graph`.

    Attributes
    ----------
    W : ndarray, shape (n, m), read-only (also as ``weights``)
    n, m : int
        Sizes of the x and y layers.
    x_nodes, y_nodes : list

    Example
    -------
    >>> X = [[1, 1, -1, -1, 1, -1], [1, -1, 1, -1, -1, 1]]
    >>> Y = [[1, -1, 1, -1], [1, 1, -1, -1]]
    >>> bam = BAM.from_pairs(X, Y)
    >>> x, y = bam.recall(x=[1, 1, -1, -1, 1, 1])      # the first x, one bit flipped
    >>> y.astype(int), x.astype(int)
    (array([ 1, -1,  1, -1]), array([ 1,  1, -1, -1,  1, -1]))
    >>> x, y = bam.recall(y=[1, 1, -1, -1])             # from the other side
    >>> x.astype(int)
    array([ 1, -1,  1, -1, -1,  1])
    >>> float(bam.energy(x, y))
    -24.0
    """

    _ctor_args = ("W", "x_nodes", "y_nodes")

    def __init__(self, W, x_nodes=None, y_nodes=None):
        W = _check_W(W)
        x_nodes, y_nodes = _check_names(W, x_nodes, y_nodes)
        self.W = _frozen(W)
        self.n, self.m = W.shape
        self.x_nodes = x_nodes
        self.y_nodes = y_nodes
        tol_y, tol_x = _tie_tolerances(self.W)
        self._tol_y = _frozen(tol_y)
        self._tol_x = _frozen(tol_x)
        self._WT = _frozen(W.T)  # contiguous for the x half-step's product
        self._freeze()


    @property
    def weights(self):
        """Alias of ``W``."""
        return self.W

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_pairs(cls, X, Y, x_nodes=None, y_nodes=None):
        """Store pairs ``(X[k], Y[k])`` by correlation: ``W = X^T Y``, shape ``(n, m)``.

        Parameters
        ----------
        X : array_like, shape (p, n) or (n,)
        Y : array_like, shape (p, m) or (m,)
            Bipolar +-1; binary 0/1 is accepted and converted (0 -> -1, 1 -> +1), each array
            as a whole (an array holding only +1 reads the same either way). ``W`` is then
            integer-valued and stored exactly.

        Example
        -------
        >>> BAM.from_pairs([0, 1, 1], [1, 0]).W       # binary: read as [-1, 1, 1], [1, -1]
        array([[-1.,  1.],
               [ 1., -1.],
               [ 1., -1.]])
        """
        X = _as_bipolar(X, "X")
        Y = _as_bipolar(Y, "Y")
        if X.ndim == 1:
            X = X[None, :]
        if Y.ndim == 1:
            Y = Y[None, :]
        if X.shape[0] != Y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} patterns but Y has {Y.shape[0]}: pairs "
                             "need one row of each")
        _room((X.shape[1], Y.shape[1]), "the correlation weights W = X^T Y")
        return cls(X.T @ Y, x_nodes=x_nodes, y_nodes=y_nodes)

    @classmethod
    def from_graph(cls, G, *, weight="weight", layer="layer", default_weight=None):
        """Build a BAM from a bipartite, undirected networkx graph.

        Every node has the attribute ``layer``: ``"x"`` or ``"y"`` (``0`` and ``1`` are read
        as ``"x"`` and ``"y"``, so ``layer="bipartite"`` reads networkx's bipartite
        convention). An edge ``u - v`` between the layers with weight ``w`` sets
        ``W[x, y] = w``; an edge inside a layer is an error. Layer order is the order of
        ``list(G.nodes)``, kept in ``.x_nodes`` and ``.y_nodes``; missing edges are zero.

        >>> import networkx as nx
        >>> G = nx.Graph()
        >>> G.add_nodes_from(["a", "b"], layer="x")
        >>> G.add_node("c", layer="y")
        >>> G.add_edge("c", "b", weight=2.0)
        >>> bam = BAM.from_graph(G)
        >>> bam.x_nodes, bam.y_nodes, bam.W
        (['a', 'b'], ['c'], array([[0.],
               [2.]]))
        """
        if G.is_multigraph():
            raise ValueError("multigraphs are not supported: combine parallel edges into one "
                             "weighted edge first")
        if G.is_directed():
            raise ValueError("a BAM graph must be undirected (each weight couples both "
                             "layers both ways); use G.to_undirected()")
        side = {}
        for v, lab in G.nodes(data=layer):
            key = _layer_of(lab)
            if key is None:
                if lab is None:
                    raise ValueError(f"node {v!r} has no {layer!r} attribute; every node of a "
                                     "BAM graph needs one, 'x' or 'y'")
                raise ValueError(f"node {v!r} has {layer!r} = {lab!r}; accepted values are "
                                 "'x' or 'y' (or 0 for x, 1 for y)")
            side[v] = key
        x_nodes = [v for v in G.nodes if side[v] == "x"]
        y_nodes = [v for v in G.nodes if side[v] == "y"]
        if not x_nodes or not y_nodes:
            empty = "x" if not x_nodes else "y"
            raise ValueError(f"the graph has no node in layer {empty!r}; a BAM needs both")
        ix = {v: i for i, v in enumerate(x_nodes)}
        iy = {v: j for j, v in enumerate(y_nodes)}
        _room((len(x_nodes), len(y_nodes)), "W from the graph")
        W = np.zeros((len(x_nodes), len(y_nodes)))
        for u, v, data in G.edges(data=True):
            if side[u] == side[v]:
                raise ValueError(f"edge {u!r} - {v!r} joins two nodes of layer {side[u]!r}; "
                                 "BAM edges must go between the x and y layers")
            w = edge_weight(data, weight, default_weight, u, v, "-")
            if side[u] == "y":
                u, v = v, u
            W[ix[u], iy[v]] = w
        return cls(W, x_nodes=x_nodes, y_nodes=y_nodes)

    def to_graph(self, weight="weight", layer="layer"):
        """The BAM as an undirected bipartite ``nx.Graph`` that :meth:`from_graph` reads back.

        x nodes first (``layer="x"``), then y nodes (``layer="y"``); one edge per nonzero
        ``W[i, j]``.

        >>> g = BAM([[1.0, 0.0]], x_nodes=["p"], y_nodes=["q", "r"]).to_graph()
        >>> dict(g.nodes(data="layer")), list(g.edges(data="weight"))
        ({'p': 'x', 'q': 'y', 'r': 'y'}, [('p', 'q', 1.0)])
        """
        import networkx as nx

        G = nx.Graph()
        G.add_nodes_from(self.x_nodes, **{layer: "x"})
        G.add_nodes_from(self.y_nodes, **{layer: "y"})
        rows, cols = np.nonzero(self.W)
        G.add_edges_from((self.x_nodes[i], self.y_nodes[j], {weight: float(self.W[i, j])})
                         for i, j in zip(rows.tolist(), cols.tolist()))
        return G

    # ------------------------------------------------------------ recall and energy

    def _probe(self, value, name):
        a = _as_bipolar(value, name)
        width = self.n if name == "x" else self.m
        if a.shape[-1] != width:
            raise ValueError(f"{name} has width {a.shape[-1]}, but the {name} layer has "
                             f"{width} neurons (expected shape ({width},) or (K, {width}))")
        return a

    def recall(self, x=None, y=None, *, max_iter=100):
        """Recall the stable pair from a probe of one layer: returns ``(x, y)``.

        Give exactly one of ``x`` (shape ``(n,)`` or a batch ``(K, n)``) or ``y``
        (``(m,)`` or ``(K, m)``), bipolar +-1 or binary 0/1 (converted). From ``x``, each
        round computes ``y <- sign(W^T x)`` and then ``x <- sign(W y)`` (from ``y``: the
        other way round). A field of exactly zero keeps the neuron's current bit; the layer
        that is not given starts at all +1, so a tie on the first half-step gives +1.
        Rounds stop as soon as the half-step back into the probed layer changes no bit (the
        pair is then stable both ways) or after ``max_iter`` rounds. The pair comes back as float64 +-1 arrays shaped like the probe
        batch. For ``converged``, ``iterations`` and the energy trace use
        :meth:`recall_info`.

        >>> bam = BAM.from_pairs([[1, -1, 1, -1]], [[1, 1, -1]])
        >>> x, y = bam.recall(x=[[1, -1, 1, 1], [-1, 1, -1, 1]])   # a batch of two probes
        >>> y.astype(int)
        array([[ 1,  1, -1],
               [-1, -1,  1]])
        """
        r = self.recall_info(x=x, y=y, max_iter=max_iter)
        return r.x, r.y

    def recall_info(self, x=None, y=None, *, max_iter=100, trace=False):
        """As :meth:`recall`, returning a :class:`BAMRecall` (pair, ``converged``,
        ``iterations`` and, with ``trace=True``, the energy after every half-step).

        >>> bam = BAM.from_pairs([[1, -1, 1, -1]], [[1, 1, -1]])
        >>> r = bam.recall_info(x=[1, -1, 1, 1], trace=True)   # last bit wrong
        >>> r.x.astype(int), r.converged, r.iterations       # fixed in round 1, confirmed in 2
        (array([ 1, -1,  1, -1]), True, 2)
        >>> r.energies                                       # start, then every half-step
        array([ -2.,  -6., -12., -12., -12.])
        """
        if (x is None) == (y is None):
            got = "both" if x is not None else "neither"
            raise ValueError(f"give exactly one probe, x= or y= (got {got})")
        if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter,
                                                                  (int, np.integer)):
            raise InvalidTypeError(f"max_iter must be a positive integer, got {max_iter!r} "
                                   f"({type(max_iter).__name__})")
        if max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
        from_x = x is not None
        probe = self._probe(x, "x") if from_x else self._probe(y, "y")
        single = probe.ndim == 1
        A = np.array(probe.reshape(-1, probe.shape[-1]))  # the given layer
        K = A.shape[0]
        if from_x:
            fwd, tol_fwd, back, tol_back = self.W, self._tol_y, self._WT, self._tol_x
        else:
            fwd, tol_fwd, back, tol_back = self._WT, self._tol_x, self.W, self._tol_y
        B = np.ones((K, fwd.shape[1]))  # the other layer: all +1 until first computed

        def energies():
            return 0.0 - np.einsum("ki,ki->k", A @ fwd, B)

        trace_rows = [energies()] if trace else None
        iterations = np.zeros(K, dtype=np.int64)
        converged = np.zeros(K, dtype=bool)
        active = np.arange(K)
        for it in range(1, max_iter + 1):
            a = A[active]
            # Two BLAS products per round over the probes still running: with integer W and
            # +-1 states every sum is exact, so ties do not depend on the batch.
            b = _threshold(a @ fwd, tol_fwd, B[active])
            B[active] = b
            if trace:
                trace_rows.append(energies())
            a_new = _threshold(b @ back, tol_back, a)
            stable = np.all(a_new == a, axis=1)
            A[active] = a_new
            if trace:
                trace_rows.append(energies())
            iterations[active] = it
            converged[active[stable]] = True
            active = active[~stable]
            if active.size == 0:
                break
        xs, ys = (A, B) if from_x else (B, A)
        E = np.stack(trace_rows, axis=1) if trace else None
        if single:
            return BAMRecall(xs[0], ys[0], bool(converged[0]), int(iterations[0]),
                             None if E is None else E[0])
        return BAMRecall(xs, ys, converged, iterations, E)

    def energy(self, x, y):
        """Kosko's energy ``E = -x^T W y`` of pairs (shapes ``(n,)``/``(m,)`` or batches
        ``(K, n)``/``(K, m)``, broadcast against each other; binary 0/1 is converted).

        >>> bam = BAM([[1.0, -2.0], [0.0, 3.0]])
        >>> bam.energy([[1, 1], [1, -1]], [1, -1])
        array([ 0., -6.])
        """
        xs = self._probe(x, "x")
        ys = self._probe(y, "y")
        return 0.0 - np.sum((xs @ self.W) * ys, axis=-1)  # 0.0 - : no -0.0

    def continuous(self, a=1.0, b=1.0, activation="tanh", gain=1.0, Ix=0.0, Iy=0.0):
        """The continuous-time BAM on these weights (a :class:`ContinuousBAM`).

        >>> import solvers
        >>> bam = BAM.from_pairs([[1, -1, 1]], [[1, 1]])
        >>> net = bam.continuous(gain=3.0)
        >>> z = solvers.solve(net, (0.0, 20.0), [0.1, 0.0, 0.0, 0.0, 0.0]).y[-1]
        >>> np.sign(net.output(z)).astype(int)       # x layer, then y layer
        array([ 1, -1,  1,  1,  1])
        """
        return ContinuousBAM(self.W, a=a, b=b, activation=activation, gain=gain, Ix=Ix,
                             Iy=Iy, x_nodes=self.x_nodes, y_nodes=self.y_nodes)

    def __repr__(self):
        return f"BAM(n={self.n}, m={self.m})"


_CBAM_ARGS = ("W", "a", "b", "activation", "gain", "Ix", "Iy", "x_nodes", "y_nodes")


class ContinuousBAM(FrozenModel, ODESystem):
    """Continuous-time BAM, ready for ``solvers.solve``; state ``z = [x (n), y (m)]``.

    ``dx/dt = -a x + W S(y) + Ix``, ``dy/dt = -b y + W^T S(x) + Iy``, ``S(z_k) = g(gain_k
    z_k)`` with ``g`` = tanh or the logistic sigmoid. The same system as the continuous
    Hopfield network :meth:`as_hopfield` (``T = [[0, W], [W^T, 0]]``, ``C = 1``,
    ``R = 1/a, 1/b``), with a kernel that touches ``W`` once per layer instead of a
    half-empty ``(n+m)^2`` matrix.

    Parameters
    ----------
    W : array_like, shape (n, m)
    a, b : float or array_like, shapes (n,) and (m,)
        Decay rates of the x and y layers, positive.
    activation : {"tanh", "sigmoid"}
    gain : float or array_like, shape (n + m,)
        Positive gains, x layer first.
    Ix, Iy : float or array_like, shapes (n,) and (m,)
        Constant inputs.
    x_nodes, y_nodes : list, optional

    Attributes
    ----------
    W, a, b, gain, Ix, Iy : ndarray, read-only
    n, m : int
    activation : str
    x_nodes, y_nodes, nodes : list (``nodes = x_nodes + y_nodes``, the state order)
    rhs, jac, params, n_states, name : the :class:`solvers.ODESystem` protocol, with the
        analytic Jacobian ``[[-diag(a), W diag(S'(y))], [W^T diag(S'(x)), -diag(b)]]``.

    Example
    -------
    >>> import solvers
    >>> net = ContinuousBAM([[1.0], [-1.0]], gain=2.0)
    >>> sol = solvers.solve(net, (0.0, 10.0), [0.3, -0.1, 0.0], t_eval=[0.0, 5.0, 10.0])
    >>> x, y = net.split(sol.y[-1])
    >>> np.sign(x).astype(int), np.sign(y).astype(int)
    (array([ 1, -1]), array([1]))
    >>> E = net.energy(sol.y)
    >>> bool(E[2] <= E[1] <= E[0])
    True
    """

    _ctor_args = _CBAM_ARGS

    def __init__(self, W, a=1.0, b=1.0, activation="tanh", gain=1.0, Ix=0.0, Iy=0.0,
                 x_nodes=None, y_nodes=None):
        W = _check_W(W)
        x_nodes, y_nodes = _check_names(W, x_nodes, y_nodes)
        n, m = W.shape
        act = _activation_code(activation)
        a = _vector(a, n, "a", x_nodes, positive=True)
        b = _vector(b, m, "b", y_nodes, positive=True)
        Ix = _vector(Ix, n, "Ix", x_nodes)
        Iy = _vector(Iy, m, "Iy", y_nodes)
        gain = _vector(gain, n + m, "gain", x_nodes + y_nodes, positive=True)
        Wf = _frozen(W)
        params = (a, b, Ix, Iy, gain, act, Wf, _frozen(W.T))
        super().__init__(_k.bam_rhs, n + m, params=params, jac=_k.bam_jac,
                         name="ContinuousBAM")
        self.W = Wf
        self.a, self.b, self.Ix, self.Iy, self.gain = a, b, Ix, Iy, gain
        self.activation = activation
        self.n, self.m = n, m
        self.x_nodes, self.y_nodes = x_nodes, y_nodes
        self.nodes = x_nodes + y_nodes
        self._freeze()


    def _states(self, z):
        return state_batch(z, self.n_states, "z", f"[x ({self.n}), y ({self.m})]")

    def split(self, z):
        """``(x, y)`` views of states ``z`` of shape ``(..., n + m)``.

        >>> ContinuousBAM(np.ones((2, 1))).split([1.0, 2.0, 3.0])
        (array([1., 2.]), array([3.]))
        """
        z = self._states(z)
        return z[..., :self.n], z[..., self.n:]

    def output(self, z):
        """``S(z) = g(gain * z)`` for both layers, shape ``(..., n + m)``."""
        return _output(self._states(z), self.gain, self.activation)

    def energy(self, z):
        """The Lyapunov function (module docstring) of states ``z``, shape ``(..., n + m)``.

        >>> net = ContinuousBAM([[2.0]], Ix=0.5)
        >>> net.energy(np.zeros((2, 2)))
        array([0., 0.])
        """
        z = self._states(z)
        n = self.n
        S = _output(z, self.gain, self.activation)
        Sx, Sy = S[..., :n], S[..., n:]
        coupling = np.einsum("...i,...i->...", Sx @ self.W, Sy)
        decay = np.concatenate([self.a, self.b])
        return (-coupling - Sx @ self.Ix - Sy @ self.Iy
                + _integral_term(z, self.gain, self.activation) @ decay)

    def as_hopfield(self):
        """The same system as a :class:`~neurodyn.continuous_hopfield.ContinuousHopfield`.

        >>> net = ContinuousBAM([[2.0]], a=4.0)
        >>> h = net.as_hopfield()
        >>> h.T, h.R
        (array([[0., 2.],
               [2., 0.]]), array([0.25, 1.  ]))
        """
        n, m = self.n, self.m
        _room((n + m, n + m), "the block weights T of the equivalent continuous Hopfield "
              "network")
        T = np.zeros((n + m, n + m))
        T[:n, n:] = self.W
        T[n:, :n] = self.W.T
        return ContinuousHopfield(T, C=1.0, R=1.0 / np.concatenate([self.a, self.b]),
                                  I=np.concatenate([self.Ix, self.Iy]), gain=self.gain,
                                  activation=self.activation, nodes=self.nodes)

    def __repr__(self):
        return f"ContinuousBAM(n={self.n}, m={self.m}, activation={self.activation!r})"

