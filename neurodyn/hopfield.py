"""Discrete (binary) Hopfield networks (Hopfield 1982): storage, recall, energy.

Neurons hold bipolar states ``s_i = +-1``. The local field of neuron ``i`` is

    h_i = sum_j W[i, j] s_j - b_i

and an update sets ``s_i <- sign(h_i)``, keeping the current bit when ``h_i == 0`` (a *tie*).
The bias ``b`` acts as a threshold, which is the sign convention that makes

    E(s) = -1/2 s^T W s + b^T s

fall by ``2 |h_i|`` at every flip: for a symmetric ``W`` with zero diagonal, asynchronous
updates (one neuron at a time) never increase ``E`` and end at a fixed point. Synchronous
updates (all neurons at once) may instead end in a 2-cycle; :meth:`Hopfield.recall` detects
it and stops.

Exact ties. Hebbian weights ``P^T P / N`` are integers divided by N; computed in floating
point, a field that is exactly zero in exact arithmetic comes out as +-1e-17, so the tie rule
(and whether a batch and a single probe agree) would depend on rounding. The model therefore
keeps the integer sums ``P^T P`` internally (``weights`` divides by N only for the user) and
computes fields in integers held exactly in floating point. A weight matrix given directly is
used exactly when it is integer-valued; other weights (Storkey, pseudoinverse, a user's real
matrix) use a documented tie tolerance, see :class:`Hopfield`.

References: J. J. Hopfield, PNAS 79, 2554 (1982); A. Storkey, ICANN 1997, 451-456;
L. Personnaz, I. Guyon & G. Dreyfus, J. Physique Lett. 46, L359 (1985) (projection rule);
D. J. Amit, H. Gutfreund & H. Sompolinsky, PRL 55, 1530 (1985) (capacity 0.138 N).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers._checks import check_allocation, count, real_array, real_number, seed_value

from . import _kernels_hopfield as _k
from ._model import check_node_names, edge_weight, graph_nodes, node_values, num, summary
from .ctrnn import _frozen, _node_label, _vector

__all__ = ["Hopfield", "RecallResult", "RULES"]

RULES = ("hebbian", "storkey", "pseudoinverse")

# Integer-valued fields are exact in float32 while every partial sum stays below 2^24 in
# magnitude; float32 halves the memory traffic of the recall loops (and a SIMD register
# holds twice as many). Above that bound float64 is exact up to 2^53.
_F32_EXACT = 2.0 ** 24
_F64_EXACT = 2.0 ** 53

# Default tie tolerance for non-integer weights, relative to the largest possible field
# max_i (sum_j |W_ij| + |b_i|). Rounding of a field computed in float64 (a sum of N terms,
# then one update per flip) stays orders of magnitude below it (N * 2^-53 ~ 1e-13 for
# N = 1000), while a genuine field this close to zero is not something random weights produce.
TIE_RTOL = 1e-9

# Relative asymmetry below which a non-integer W counts as symmetric (and is symmetrised):
# P.T @ P / N or a projection matrix computed by the user can differ from its transpose by
# rounding.
_SYM_RTOL = 1e-12

# Hebbian recall computes its initial fields from the patterns (2 p N operations per probe)
# rather than from W (N^2) up to this load p / N.
_HEBB_FIELDS_MAX_LOAD = 0.5

_NO_PATTERNS = np.zeros((0, 1), np.int8)  # "compute the initial fields from W"
# Read-only like the stored patterns: Numba types read-only and writeable arrays apart, and
# a second type would compile every recall kernel twice.
_NO_PATTERNS.flags.writeable = False


# --------------------------------------------------------------------------- validation

def _bipolar(values, what, n=None):
    """``values`` as a C-contiguous int8 array of +-1, shape (N,) or (K, N).

    All-binary input (every value 0 or 1) is converted with 0 -> -1; otherwise every value
    must be -1 or +1. ``what`` is "pattern" or "probe" (or "state"), used in the messages.
    """
    try:
        arr = np.asarray(values)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{what}s must be an array of +-1 (or 0/1) values: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise ValueError(f"{what}s must be numbers +-1 (or 0/1), got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{what}s must be real numbers +-1 (or 0/1), got dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"{what}s must have shape (N,) or (K, N), got shape {arr.shape}")
    width = arr.shape[-1]
    if n is not None and width != n:
        raise ValueError(f"{what}s have width {width}, but the network has {n} neurons "
                         f"(expected shape ({n},) or (K, {n}), got {arr.shape})")
    if arr.size == 0:
        raise ValueError(f"{what}s are empty (shape {arr.shape})")
    if arr.dtype == np.bool_:
        return np.where(arr, 1, -1).astype(np.int8)
    is_one = arr == 1
    if np.all(is_one | (arr == 0)):
        # Binary 0/1 throughout: the usual alternative encoding, converted 0 -> -1.
        return np.where(is_one, 1, -1).astype(np.int8)
    bad = ~(is_one | (arr == -1))
    if bad.any():
        pos = np.argwhere(bad)[0]
        v = arr[tuple(pos)].item()
        where = (f"{what} {pos[0]}, index {pos[1]}" if arr.ndim == 2 else f"index {pos[0]}")
        raise ValueError(f"{what}s must be bipolar (+1/-1) or binary (0/1 throughout): "
                         f"{where} has value {v!r}")
    return np.ascontiguousarray(arr, dtype=np.int8)


def _weights_array(W):
    arr = real_array("W", W, finite=False)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"W must be square: expected shape (N, N), got {arr.shape}")
    if arr.shape[0] < 1:
        raise ValueError("W is empty: a Hopfield network needs at least one neuron")
    _room(arr.shape[0], "W", copies=2)
    return np.array(arr, dtype=np.float64, order="C", copy=True)


def _room(n, what, copies=1, itemsize=8):
    """Refuse, before allocating, ``copies`` N x N arrays that cannot fit in memory."""
    check_allocation(f"Hopfield network of N = {n} neurons: {what}",
                     (n, n) if copies == 1 else (copies, n, n), itemsize,
                     hint="the weights of a Hopfield network are a dense N x N matrix")


def _pair_label(nodes, i, j):
    if nodes[i] == i and nodes[j] == j:
        return ""
    return f" (nodes {nodes[i]!r} and {nodes[j]!r})"


def _check_finite(W, nodes):
    bad = ~np.isfinite(W)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise ValueError(f"W[{i}, {j}] = {float(W[i, j])!r} is not finite"
                         f"{_pair_label(nodes, i, j)}")


def _check_diagonal(W, nodes):
    d = np.flatnonzero(np.diagonal(W))
    if d.size:
        i = int(d[0])
        raise ValueError(f"W[{i}, {i}] = {float(W[i, i])!r}: a Hopfield network has no "
                         f"self-connections, the diagonal must be zero ({_node_label(nodes, i)})"
                         "; np.fill_diagonal(W, 0) removes them")


def _check_symmetric(W, nodes, integer, allow_asymmetric):
    """Return (W, symmetric). Non-integer W within _SYM_RTOL of symmetric is symmetrised."""
    if np.array_equal(W, W.T):
        return W, True
    diff = np.abs(W - W.T)
    if not integer:
        scale = float(np.max(np.abs(W)))
        if float(diff.max()) <= _SYM_RTOL * scale:
            W = 0.5 * (W + W.T)  # exactly symmetric (a + b == b + a in floating point)
            return W, True
    if allow_asymmetric:
        return W, False
    i, j = (int(x) for x in np.unravel_index(int(np.argmax(diff)), diff.shape))
    raise ValueError(f"W is not symmetric: W[{i}, {j}] = {float(W[i, j])!r} but W[{j}, {i}] = "
                     f"{float(W[j, i])!r}{_pair_label(nodes, i, j)}. Hopfield weights must be "
                     "symmetric; pass allow_asymmetric=True to use W anyway (energy no longer "
                     "decreases, recall may not converge)")


def _is_integer_valued(a):
    return bool(np.all(a == np.rint(a)))


def _seed_value(seed):
    """A uint64 from None (fresh OS entropy), a non-negative int (below 2**64), a sequence of
    them, a SeedSequence or a numpy Generator; other seeds are refused naming ``seed``."""
    seed = seed_value("seed", seed)
    if seed is None:
        return np.uint64(np.random.SeedSequence().generate_state(1, np.uint64)[0])
    if isinstance(seed, np.random.Generator):
        return np.uint64(seed.integers(0, 2 ** 63))
    if isinstance(seed, int):
        if seed >= 2 ** 64:
            raise ValueError(f"seed must be a non-negative integer below 2**64, got {seed}")
        return np.uint64(seed)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.uint64(ss.generate_state(1, np.uint64)[0])


# --------------------------------------------------------------------------- result

@dataclass(frozen=True)
class RecallResult:
    """What :meth:`Hopfield.recall` returns.

    For a batch of K probes: ``states`` (K, N) int8 of +-1, ``converged``, ``cycle`` (K,) bool
    and ``sweeps`` (K,) int; ``energy`` is None unless asked for, else a list of K arrays, the
    energy of the initial state and after each sweep (length ``sweeps[k] + 1``). For a single
    probe of shape (N,) the same fields without the batch axis: ``states`` (N,), Python
    ``bool``/``int`` scalars, ``energy`` one array.

    ``converged``: the last sweep flipped no bit (it is counted in ``sweeps``).
    ``cycle``: synchronous, zero temperature only — the state alternates between two states
    (``s(t+1) == s(t-1) != s(t)``); recall stopped there and ``states`` is the last state
    computed; ``converged`` is False. ``seed`` is the seed actually used (drawn from the OS
    when ``seed=None`` was given), so a run can be repeated.

    It prints as a summary, not the states:

    >>> net = Hopfield.from_patterns([[1, -1, 1, -1, 1, -1]])
    >>> net.recall([[1, -1, 1, -1, 1, 1], [1, 1, 1, 1, 1, 1]], mode="sync")
    RecallResult(sync, 2 probes of N = 6: 1 converged, 1 in a 2-cycle, sweeps 2 .. 2)
    >>> net.recall([1, -1, 1, -1, 1, 1], mode="async", seed=3, return_energy=True)
    RecallResult(async, N = 6: converged after 2 sweeps, energy -0.8333 -> -2.5, seed 3)
    """

    states: np.ndarray
    converged: np.ndarray
    sweeps: np.ndarray
    cycle: np.ndarray
    energy: list | np.ndarray | None
    mode: str
    temperature: float
    seed: int | None

    def __repr__(self):
        states = np.asarray(self.states)
        n = states.shape[-1] if states.ndim else 0
        temp = f", T = {num(self.temperature)}" if self.temperature else ""
        seed = f", seed {self.seed}" if self.seed is not None else ""
        if states.ndim <= 1:
            how = ("converged" if self.converged else
                   "stopped in a 2-cycle" if self.cycle else "not converged")
            energy = ""
            if self.energy is not None and np.size(self.energy):
                e = np.asarray(self.energy, dtype=np.float64)
                energy = f", energy {num(e[0])} -> {num(e[-1])}"
            sw = int(self.sweeps)
            return (f"RecallResult({self.mode}{temp}, N = {n}: {how} after {sw} "
                    f"sweep{'s' if sw != 1 else ''}{energy}{seed})")
        k = states.shape[0]
        sw = np.asarray(self.sweeps)
        sweeps = f", sweeps {int(sw.min())} .. {int(sw.max())}" if sw.size else ""
        energy = ", energies recorded" if self.energy is not None else ""
        return (f"RecallResult({self.mode}{temp}, {k} probes of N = {n}: "
                f"{int(np.sum(self.converged))} converged, {int(np.sum(self.cycle))} in a "
                f"2-cycle{sweeps}{energy}{seed})")

    def overlaps(self, patterns):
        """Overlap ``m = (1/N) xi . s`` of each final state with the pattern ``xi`` in the
        same row of ``patterns`` (shape like ``states``; 0/1 patterns are converted).

        >>> net = Hopfield.from_patterns([[1, -1, 1, -1, 1, -1]])
        >>> float(net.recall([1, -1, 1, -1, 1, 1], mode="sync").overlaps([1, -1, 1, -1, 1, -1]))
        1.0
        """
        P = _bipolar(patterns, "pattern", self.states.shape[-1])
        if P.shape != self.states.shape:
            raise ValueError(f"patterns have shape {P.shape}, expected {self.states.shape} "
                             "(one pattern per final state)")
        return (P.astype(np.int64) * self.states).sum(axis=-1) / self.states.shape[-1]


# --------------------------------------------------------------------------- the model

class Hopfield:
    """A discrete Hopfield network: symmetric weights, zero diagonal, states +-1.

    ``h_i = sum_j W[i, j] s_j - b_i``; an update sets ``s_i = sign(h_i)`` and keeps the current
    bit on a tie; ``E(s) = -1/2 s^T W s + b^T s`` (module docstring).

    Build one from patterns (:meth:`from_patterns`), from an undirected graph
    (:meth:`from_graph`) or from a weight matrix (this constructor).

    Parameters
    ----------
    W : array_like, shape (N, N)
        Weights. Checked: finite, zero diagonal and symmetric (a non-integer ``W`` that is
        symmetric up to relative rounding 1e-12 is symmetrised by averaging). An integer-valued
        ``W`` is used exactly (see ``tie_tol``).
    bias : float or array_like (N,)
        Thresholds ``b`` (default 0).
    allow_asymmetric : bool
        Accept an asymmetric ``W``. Then ``symmetric`` is False and none of the energy
        guarantees hold: the energy may rise during asynchronous recall, which may never
        converge (it stops after ``max_sweeps``). No warning is issued; check ``symmetric``.
    nodes : list, optional
        Neuron names (default ``range(N)``), used in messages and by :meth:`to_graph`.
    tie_tol : float or None
        A field with ``|h_i| <= tie_tol`` is a tie (the bit is kept). ``None`` (default): 0 —
        exact ties — when the weights and biases are integers stored exactly (Hebbian
        patterns, an integer ``W``); otherwise ``1e-9 * max_i(sum_j |W_ij| + |b_i|)``, far
        above the rounding of fields kept in float64 (so a field that is zero in exact
        arithmetic counts as zero) and far below any field that random weights produce.

    Attributes
    ----------
    weights : ndarray (N, N), read-only
        The real-valued ``W`` (for Hebbian storage ``P^T P / N`` with zero diagonal).
    bias : ndarray (N,), read-only
    n : int
    nodes : list
    symmetric : bool
        False only for an explicitly allowed asymmetric ``W`` (no energy guarantees).
    exact : bool
        Whether fields are computed exactly (integer weights stored exactly): ties are then
        exact zeros and the results do not depend on rounding at all.
    tie_tol : float
    rule : str or None
        The learning rule when built by :meth:`from_patterns`.
    patterns : ndarray (p, N) int8 or None
        The stored patterns (bipolar) when built by :meth:`from_patterns`.

    Example
    -------
    >>> net = Hopfield([[0, 1, -1], [1, 0, -1], [-1, -1, 0]])
    >>> net.energy([1, 1, -1])
    -3.0
    >>> r = net.recall([1, -1, -1], mode="async", seed=0)
    >>> r.states, r.converged, net.energy(r.states)
    (array([ 1,  1, -1], dtype=int8), True, -3.0)
    """

    def __init__(self, W, bias=0.0, *, allow_asymmetric=False, nodes=None, tie_tol=None):
        W = _weights_array(W)
        n = W.shape[0]
        nodes = check_node_names(nodes, n, per="neuron")
        _check_finite(W, nodes)
        _check_diagonal(W, nodes)
        bias = _vector(bias, n, "bias", nodes)
        integer = _is_integer_valued(W) and _is_integer_valued(bias)
        W, symmetric = _check_symmetric(W, nodes, integer, bool(allow_asymmetric))
        self._setup(W, 1.0, bias, nodes, symmetric, integer, tie_tol, None, None)

    def _setup(self, Wi, scale, bias, nodes, symmetric, integer, tie_tol, rule, patterns,
               bound=None):
        """Store the internal representation: private weights ``Wi = scale * W`` (integers
        when ``integer``; frozen here, possibly used as they are) and what derives from them.
        ``bound``: an upper bound of max_i (sum_j |Wi_ij| + |b_i scale|) when the caller
        knows one (Hebbian: (N - 1) p), else it is computed."""
        bias_i = bias * scale
        if bound is None:
            bound = float((np.abs(Wi).sum(axis=1, dtype=np.float64) + np.abs(bias_i)).max())
        exact = integer and bound < _F64_EXACT
        dtype = np.float32 if exact and bound < _F32_EXACT else np.float64
        # The kernels read column i of W as the contiguous row WT[i] (see _kernels_hopfield).
        WT = np.ascontiguousarray(Wi if symmetric else Wi.T, dtype=dtype)
        WT.flags.writeable = False
        if tie_tol is None:
            tie_tol = 0.0 if exact else TIE_RTOL * bound / scale
        else:
            tie_tol = real_number("tie_tol", tie_tol, nonnegative=True)
        self._WT = WT
        self._scale = float(scale)
        self._bias = bias
        self._bias_i = _frozen(bias_i)
        self._nodes = nodes
        self._symmetric = bool(symmetric)
        self._exact = bool(exact)
        self._tie_tol = tie_tol
        self._rule = rule
        self._patterns = patterns
        self._weights = None
        self._hebb_P = None

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_patterns(cls, P, rule="hebbian", *, nodes=None):
        """Store patterns with a learning rule.

        Parameters
        ----------
        P : array_like, shape (p, N) (or (N,) for one pattern)
            Bipolar +-1 patterns. Binary 0/1 patterns are accepted and converted (0 -> -1)
            when *every* value is 0 or 1; any other value raises ValueError naming the
            pattern, the index and the value.
        rule : {"hebbian", "storkey", "pseudoinverse"}
            * ``"hebbian"``: ``W = P^T P / N``, zero diagonal. Kept internally as the integer
              matrix ``P^T P``, so fields and ties are exact. Capacity about 0.138 N random
              patterns (Amit, Gutfreund & Sompolinsky 1985).
            * ``"storkey"``: Storkey's (1997) incremental rule,
              ``w_ij += (x_i x_j - x_i h_ji - h_ij x_j) / N`` with
              ``h_ij = sum_{k != i,j} w_ik x_k``, pattern by pattern (compiled, O(p N^2));
              local, incremental and of higher capacity than Hebbian.
            * ``"pseudoinverse"`` (projection rule, Personnaz et al. 1985): the orthogonal
              projection onto the span of the patterns, ``P^T (P P^T)^-1 P`` for linearly
              independent patterns, computed stably from the SVD of ``P`` (the pseudoinverse,
              so dependent patterns are fine), then its diagonal is set to zero. The
              projection maps every pattern exactly onto itself, but it has self-connections
              ``W0_ii`` (about p/N); zeroing them is what makes it a Hopfield network (an
              energy that falls under asynchronous updates), and it costs exactness: the
              field at a pattern becomes ``h_i = (1 - W0_ii) xi_i``, still of the sign of
              ``xi_i`` — every pattern stays a fixed point — as long as ``W0_ii < 1``, which
              holds for linearly independent patterns up to ``p`` close to ``N``, while the
              margin ``1 - W0_ii`` (and with it the basins of attraction) shrinks as ``p``
              approaches ``N``.

            Storkey and pseudoinverse weights are not integers: ties use the tolerance of
            the constructor (``tie_tol``).
        nodes : list, optional
            Neuron names.

        Example
        -------
        >>> P = [[1, 1, 1, -1, -1, -1], [1, -1, 1, -1, 1, -1]]
        >>> net = Hopfield.from_patterns(P)
        >>> net.weights[0] * 6                       # P^T P / N, zero diagonal
        array([ 0.,  0.,  2., -2.,  0., -2.])
        >>> net.recall(P, mode="sync").converged        # both patterns are fixed points
        array([ True,  True])
        >>> Hopfield.from_patterns([[0, 1, 1, 0]]).patterns   # binary input is converted
        array([[-1,  1,  1, -1]], dtype=int8)
        """
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; known: {', '.join(map(repr, RULES))}")
        X = _bipolar(P, "pattern")
        if X.ndim == 1:
            X = X[None, :]
        p, n = X.shape
        nodes = check_node_names(nodes, n, per="neuron")
        _room(n, f"the {rule} weights", copies=1 if rule == "hebbian" else 3,
              itemsize=4 if rule == "hebbian" and p < _F32_EXACT else 8)
        X.flags.writeable = False
        self = cls.__new__(cls)
        zero_bias = _frozen(np.zeros(n))
        if rule == "hebbian":
            # Integer sums: exact in float32 sgemm while every partial sum, bounded by p, is
            # below 2^24, and the sum over a row, bounded by (N - 1) p, decides the storage.
            dtype = np.float32 if p < _F32_EXACT else np.float64
            Xf = X.astype(dtype)
            C = Xf.T @ Xf
            np.fill_diagonal(C, 0)
            # _setup stores C as float32 if the fields, bounded by (N - 1) p, are exact there.
            self._setup(C, float(n), zero_bias, nodes, True, True, None, rule, X,
                        bound=float((n - 1) * p))
            # Recall computes initial fields from the patterns (2 p N operations per probe,
            # see _kernels_hopfield._initial_fields) where that is cheaper than from C and
            # its partial sums, bounded by p (N + 1), stay exact.
            limit = _F32_EXACT if self._WT.dtype == np.float32 else _F64_EXACT
            if p <= n * _HEBB_FIELDS_MAX_LOAD and p * (n + 1) < limit:
                self._hebb_P = X
        elif rule == "storkey":
            W = _k.storkey_weights(X)
            self._setup(W, 1.0, zero_bias, nodes, True, False, None, rule, X)
        else:
            W = _projection(X)
            self._setup(W, 1.0, zero_bias, nodes, True, False, None, rule, X)
        return self

    @classmethod
    def _restore(cls, W, rule, patterns, nodes):
        """A network learned by :meth:`from_patterns` with a floating-point rule (Storkey,
        pseudoinverse), rebuilt from its stored weights for ``neurodyn.load``: learning again
        would reproduce them only up to the last bits of another machine's BLAS."""
        if rule not in ("storkey", "pseudoinverse"):
            raise ValueError(f"only Storkey and pseudoinverse networks are restored from their "
                             f"weights, got rule {rule!r}")
        X = _bipolar(patterns, "pattern")
        if X.ndim == 1:
            X = X[None, :]
        n = X.shape[1]
        W = real_array("W", W, shape=(n, n))
        if not np.array_equal(W, W.T):
            raise ValueError(f"the stored {rule} weights are not symmetric")
        nodes = check_node_names(nodes, n, per="neuron")
        X.flags.writeable = False
        self = cls.__new__(cls)
        self._setup(_frozen(W), 1.0, _frozen(np.zeros(n)), nodes, True, False, None, rule, X)
        return self

    @classmethod
    def from_graph(cls, G, *, weight="weight", default_weight=None, bias=0.0, tie_tol=None):
        """Build a network from an undirected networkx graph.

        Node order is ``list(G.nodes)`` (kept in ``.nodes``); an edge ``u - v`` with
        attribute ``weight`` sets ``W[u, v] = W[v, u]``; node attribute ``bias`` is the
        threshold ``b`` (default ``bias``, 0). Self-loops (self-connections), directed graphs
        and multigraphs are refused.

        Example
        -------
        >>> import networkx as nx
        >>> G = nx.Graph()
        >>> G.add_node("x", bias=0.5)
        >>> G.add_edge("x", "y", weight=-1.0)
        >>> net = Hopfield.from_graph(G)
        >>> net.nodes, net.weights.tolist(), net.bias.tolist()
        (['x', 'y'], [[0.0, -1.0], [-1.0, 0.0]], [0.5, 0.0])
        """
        if G.is_directed():
            raise ValueError("a Hopfield network is undirected (symmetric weights): got a "
                             "directed graph; pass G.to_undirected() if that is what you mean")
        nodes, index = graph_nodes(G)
        n = len(nodes)
        _room(n, "W from the graph and the model's copy", copies=3)
        W = np.zeros((n, n))
        for u, v, data in G.edges(data=True):
            if u == v:
                raise ValueError(f"self-loop on node {u!r}: a Hopfield network has no "
                                 "self-connections (zero diagonal)")
            w = edge_weight(data, weight, default_weight, u, v, "-")
            W[index[u], index[v]] = W[index[v], index[u]] = w
        b = node_values(G, nodes, "bias", bias)
        return cls(W, bias=b, nodes=nodes, tie_tol=tie_tol)

    def to_graph(self, weight="weight"):
        """The network as an undirected ``networkx.Graph`` (nodes carry ``bias``; an edge per
        nonzero weight) that :meth:`from_graph` turns back into it.

        >>> Hopfield([[0, 2], [2, 0]], nodes=["a", "b"]).to_graph().edges(data=True)
        EdgeDataView([('a', 'b', {'weight': 2.0})])
        """
        import networkx as nx

        if not self._symmetric:
            raise ValueError("an asymmetric network has no undirected graph")
        G = nx.Graph()
        for v, b in zip(self._nodes, self._bias.tolist()):
            G.add_node(v, bias=b)
        W = self.weights
        rows, cols = np.nonzero(np.triu(W, 1))
        G.add_edges_from((self._nodes[i], self._nodes[j], {weight: float(W[i, j])})
                         for i, j in zip(rows.tolist(), cols.tolist()))
        return G

    def __setstate__(self, state):
        # Unpickled arrays come back writeable; Numba would compile the recall kernels again
        # for that type (and the model's arrays are meant to be read-only).
        self.__dict__.update(state)
        for value in state.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    # ------------------------------------------------------------------ attributes

    @property
    def n(self):
        """Number of neurons."""
        return self._WT.shape[0]

    @property
    def nodes(self):
        return list(self._nodes)

    @property
    def bias(self):
        return self._bias

    @property
    def weights(self):
        """The real-valued weights ``W`` (read-only; for Hebbian storage ``P^T P / N``)."""
        if self._weights is None:
            W = self._WT if self._symmetric else self._WT.T
            if self._scale != 1.0 or W.dtype != np.float64:
                W = np.asarray(W, dtype=np.float64) / self._scale
                W.flags.writeable = False
            self._weights = W
        return self._weights

    @property
    def symmetric(self):
        return self._symmetric

    @property
    def exact(self):
        return self._exact

    @property
    def tie_tol(self):
        return self._tie_tol

    @property
    def rule(self):
        return self._rule

    @property
    def patterns(self):
        return self._patterns

    def __repr__(self):
        how = f"rule={self._rule!r}, p={self._patterns.shape[0]}" if self._rule else "from W"
        sym = "" if self._symmetric else ", asymmetric"
        return f"Hopfield(n={self.n}, {how}{sym}, exact={self._exact})"

    # ------------------------------------------------------------------ energy and recall

    def energy(self, states):
        """``E(s) = -1/2 s^T W s + b^T s`` of one state (N,) -> float, or of a batch (K, N)
        -> array (K,). States are +-1 (0/1 converted as for probes).

        >>> net = Hopfield.from_patterns([[1, -1, 1, -1]])
        >>> net.energy([[1, -1, 1, -1], [-1, -1, 1, -1]])
        array([-1.5,  0. ])
        """
        S = _bipolar(states, "state", self.n)
        single = S.ndim == 1
        S2 = S.reshape(1, -1) if single else S
        # scale * W s in the storage type (exact for integer weights), then float64 sums.
        WS = (S2.astype(self._WT.dtype) @ self._WT).astype(np.float64)
        Sf = S2.astype(np.float64)
        e = (-0.5 * np.einsum("ki,ki->k", Sf, WS) + Sf @ self._bias_i) / self._scale
        return float(e[0]) if single else e

    def recall(self, probes, mode="async", max_sweeps=100, seed=None, temperature=0.0,
               return_energy=False):
        """Let each probe evolve until it stops changing; all probes in compiled code, in
        parallel over probes.

        Parameters
        ----------
        probes : array_like, shape (K, N) or (N,)
            Initial states, +-1 (0/1 converted as for patterns).
        mode : {"async", "sync"}
            * ``"async"``: a sweep visits all N neurons once in a random order (a fresh
              permutation per sweep) and updates each from the current state. At zero
              temperature with symmetric weights the energy never increases and recall ends
              at a fixed point.
            * ``"sync"``: a sweep updates all neurons at once from the previous state,
              ``s <- sign(W s - b)``. It may end in a 2-cycle, ``s(t+1) == s(t-1) != s(t)``,
              which is detected: recall stops, ``cycle`` is True and ``converged`` False.
        max_sweeps : int
            Upper bound on sweeps per probe. A sweep that flips no bit ends recall
            (``converged``) and counts.
        seed : None, int or numpy.random.Generator
            Seeds the random order (async) and the noise (temperature > 0). Probe k draws
            from splitmix64 seeded with (seed, k), so a seed gives the same result whatever
            the number of threads, and probe k the same numbers in a batch of any size.
            ``None`` draws a seed from the OS (reported in the result's ``seed``).
        temperature : float
            0 (default): deterministic updates, ties keep the current bit. ``T > 0``:
            Glauber dynamics, ``s_i = +1`` with probability ``1 / (1 + exp(-2 h_i / T))``
            (``h`` from the real-valued weights); ``converged`` then means a sweep without a
            flip, which need not happen — check it.
        return_energy : bool
            Also return the energy of the initial state and after every sweep (computed from
            the fields the kernel keeps anyway; the buffer holds K x (max_sweeps + 1)
            floats).

        Returns
        -------
        RecallResult

        Example
        -------
        A 2-cycle under synchronous updates: two neurons that each want to disagree with the
        other, started in agreement, both flip at every sweep, (1, 1) -> (-1, -1) -> (1, 1).
        The second sweep repeats the flips of the first; recall stops there.

        >>> net = Hopfield([[0, -1], [-1, 0]])
        >>> r = net.recall([1, 1], mode="sync")
        >>> r.states, r.cycle, r.converged, r.sweeps
        (array([1, 1], dtype=int8), True, False, 2)
        >>> net.recall([1, 1], mode="async", seed=0).states   # async settles
        array([-1,  1], dtype=int8)
        """
        if mode not in ("async", "sync"):
            raise ValueError(f"mode must be 'async' or 'sync', got {mode!r}")
        max_sweeps = count("max_sweeps", max_sweeps, low=1)
        T = real_number("temperature", temperature, nonnegative=True)
        S = _bipolar(probes, "probe", self.n)
        single = S.ndim == 1
        S = np.array(S.reshape(1, -1) if single else S, dtype=np.int8, order="C", copy=True)
        uses_rng = mode == "async" or T > 0.0
        seed_u = _seed_value(seed) if uses_rng else np.uint64(0)
        K = S.shape[0]
        H = np.empty(S.shape, self._WT.dtype)  # the kernel computes the fields (see there)
        P = self._hebb_P if self._hebb_P is not None else _NO_PATTERNS
        beta = -1.0 if T == 0.0 else 1.0 / (T * self._scale)
        tol = self._tie_tol * self._scale
        record = bool(return_energy)
        if record:
            check_allocation("recall(return_energy=True): the energy trace", (K, max_sweeps + 1),
                             hint="lower max_sweeps or recall fewer probes at a time")
        energy = np.zeros((K, max_sweeps + 1) if record else (1, 1))
        converged = np.zeros(K, np.bool_)
        sweeps = np.zeros(K, np.int64)
        cycle = np.zeros(K, np.bool_)
        args = (self._WT, P, self._bias_i, H, S, tol, beta, 1.0 / self._scale, seed_u,
                int(max_sweeps), record, energy, converged, sweeps)
        if mode == "sync":
            _k.recall_sync(*args, cycle)
        else:
            _k.recall_async(*args)
        trace = None
        if record:
            trace = [energy[k, :sweeps[k] + 1].copy() for k in range(K)]
        used_seed = int(seed_u) if uses_rng else None
        if single:
            return RecallResult(S[0], bool(converged[0]), int(sweeps[0]), bool(cycle[0]),
                                trace[0] if record else None, mode, T, used_seed)
        return RecallResult(S, converged, sweeps, cycle, trace, mode, T, used_seed)


def _projection(X):
    """Projection onto the row space of X (p, N), zero diagonal, exactly symmetric."""
    Xf = X.astype(np.float64)
    _, sv, Vt = np.linalg.svd(Xf, full_matrices=False)
    # Numerical rank as in np.linalg.matrix_rank: dependent patterns add nothing to the span.
    r = int(np.sum(sv > sv[0] * max(Xf.shape) * np.finfo(np.float64).eps)) if sv.size else 0
    V = Vt[:r]
    W = V.T @ V
    W = 0.5 * (W + W.T)
    np.fill_diagonal(W, 0.0)
    return W
