"""Continuous-time recurrent neural networks (Beer 1995).

    tau_i dy_i/dt = -y_i + sum_j W[i, j] * sigma(g_j * (y_j + theta_j)) + I_i(t)

``W[i, j]`` is the weight of the connection from node ``j`` to node ``i`` (graph convention:
an edge ``u -> v`` with weight ``w`` means *u drives v*, ``W[v, u] = w``). ``theta`` is the
``bias``, ``g`` the ``gain``, ``sigma`` the logistic sigmoid ``1 / (1 + exp(-x))`` or ``tanh``.

Reference: R. D. Beer, "On the dynamics of small continuous-time recurrent neural networks",
Adaptive Behavior 3(4), 469-509 (1995).
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from solvers import ODESystem
from solvers._checks import InvalidTypeError, check_allocation, real_array

from . import _kernels_ctrnn as _k
from ._model import (FrozenModel, check_node_names, edge_weight, graph_nodes, node_number,
                     node_values)
from .inputs import Constant, Input, as_input, encode

__all__ = ["CTRNN"]

_SPARSE_MAX_DENSITY = 0.1
_SPARSE_MIN_NODES = 200
_CTOR_ARGS = ("W", "tau", "bias", "gain", "input", "activation", "nodes", "blas")
_VECTOR_ARGS = frozenset(("tau", "bias", "gain"))


def _frozen(a, dtype=np.float64):
    # Always a private copy: freezing the caller's own array would change *their* flags.
    out = np.array(a, dtype=dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


def _node_label(nodes, i):
    return f"node {nodes[i]!r} (index {i})" if nodes[i] != i else f"node {i}"


def _edge_label(nodes, i, j):
    # W[i, j] is the edge j -> i.
    return f"edge {nodes[j]!r} -> {nodes[i]!r}"


def _vector(value, n, name, nodes, *, positive=False):
    """A frozen (n,) float64 array from a real scalar or a length-n vector; errors name the
    node. Booleans, strings and complex values are refused (``InvalidTypeError``)."""
    arr = real_array(name, value, finite=False)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}, expected a scalar or shape ({n},) "
                         "(one value per node)")
    bad = ~np.isfinite(arr)
    if positive:
        bad |= ~(arr > 0.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        need = "positive and finite" if positive else "finite"
        raise ValueError(f"{name} of {_node_label(nodes, i)} must be {need}, got {float(arr[i])!r}")
    return _frozen(arr)


def _check_sparse_dtype(W, name="W"):
    if W.dtype.kind not in "fiu":
        what = "complex values" if W.dtype.kind == "c" else f"dtype {W.dtype}"
        raise InvalidTypeError(f"{name} must hold real numbers, got {what}")


def _check_weights(W):
    """Return (dense W or None, CSR W or None, n) after checking shape and values."""
    if sp.issparse(W):
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise ValueError(f"W must be square: expected shape (n, n), got {W.shape}")
        _check_sparse_dtype(W)
        csr = sp.csr_matrix(W, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        return None, csr, W.shape[0]
    arr = real_array("W", W, finite=False)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"W must be square: expected shape (n, n), got {arr.shape}")
    return arr, None, arr.shape[0]


def _dense_room(n, what, copies=1, hint=""):
    """Refuse, before allocating, ``copies`` dense n x n float64 arrays that cannot fit."""
    shape = (n, n) if copies == 1 else (copies, n, n)
    check_allocation(what, shape, 8, hint=hint)


class CTRNN(FrozenModel, ODESystem):
    """Beer's continuous-time recurrent neural network, ready for ``solvers.solve``.

    ``tau_i dy_i/dt = -y_i + sum_j W[i, j] sigma(g_j (y_j + theta_j)) + I_i(t)``.

    Parameters
    ----------
    W : array_like, shape (n, n), or scipy.sparse matrix
        ``W[i, j]`` is the weight from node ``j`` to node ``i``. A dense array uses the dense
        kernel; a sparse matrix is kept as CSR (duplicates summed, explicit zeros dropped) and
        uses the sparse kernel.
    tau, bias, gain : float or array_like, shape (n,)
        Time constants (positive), biases ``theta`` and gains ``g``.
    input : float, array_like (n,), or :class:`~neurodyn.inputs.Input`
        External input ``I(t)``: a constant, a constant per node, or a
        :class:`~neurodyn.Constant`, :class:`~neurodyn.Sampled` or :class:`~neurodyn.Sinusoid`.
    activation : {"sigmoid", "tanh"}
    nodes : list, optional
        Node names (default ``range(n)``); used in messages and by :meth:`to_graph`.
    blas : bool or None
        Dense storage only: compute ``W @ sigma`` with BLAS (``np.dot``) instead of compiled
        loops. ``None`` (default) uses BLAS from ``n >= 512`` nodes. Single-threaded, both are
        equally fast; BLAS wins only through its own threads (1.6-1.9x at n = 1000-2000 on two
        idle cores) and can become far slower when those threads compete for cores with other
        work, e.g. ensembles integrated in parallel (measured 50x slower on a loaded 2-core
        machine). Pass ``blas=False`` there, or limit BLAS to one thread
        (``OPENBLAS_NUM_THREADS=1`` or threadpoolctl).

    Attributes
    ----------
    W : ndarray (read-only) or scipy.sparse.csr_matrix
    tau, bias, gain : ndarray, shape (n,), read-only
    activation : str
    input : Input
    nodes : list
    sparse : bool
    blas : bool
        Whether the dense kernel uses BLAS.
    rhs, jac, params, n_states, name : the :class:`solvers.ODESystem` protocol.
    pjac, param_shapes : the parameter Jacobian for :func:`solvers.sensitivities`, w.r.t.
        ``"W"`` (row-major), ``"bias"``, ``"tau"`` and ``"gain"`` in that column order
        (dense ``W`` only; ``pjac`` is None for a sparse ``W``).

    The parameter tuple has one layout per storage type (documented in
    ``neurodyn._kernels_ctrnn``), so every dense CTRNN shares one compiled kernel and every
    sparse CTRNN another, whatever their size, activation or input.

    Example
    -------
    Beer's two-neuron oscillator:

    >>> net = CTRNN([[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75])
    >>> net.n_states, net.activation, net.sparse
    (2, 'sigmoid', False)
    >>> dydt = np.empty(2)
    >>> net.rhs(0.0, np.zeros(2), net.params, dydt)   # kernels also run uncompiled
    >>> dydt.round(6)
    array([0.418437, 0.606126])
    """

    _ctor_args = _CTOR_ARGS

    def __init__(self, W, tau=1.0, bias=0.0, gain=1.0, input=0.0, activation="sigmoid",
                 nodes=None, blas=None):
        dense, csr, n = _check_weights(W)
        if n < 1:
            raise ValueError("W is empty: a CTRNN needs at least one node")
        nodes = check_node_names(nodes, n, per="row of W")
        if activation not in _k.ACTIVATIONS:
            known = ", ".join(repr(a) for a in _k.ACTIVATIONS)
            raise ValueError(f"unknown activation {activation!r}; known: {known}")

        if blas and dense is None:
            raise ValueError("blas=True needs a dense W; the sparse kernel has no BLAS branch")
        if dense is not None:
            bad = ~np.isfinite(dense)
            if bad.any():
                i, j = (int(x) for x in np.argwhere(bad)[0])
                raise ValueError(f"W[{i}, {j}] = {float(dense[i, j])!r} is not finite "
                                 f"({_edge_label(nodes, i, j)})")
        else:
            bad = np.flatnonzero(~np.isfinite(csr.data))
            if bad.size:
                q = int(bad[0])
                i = int(np.searchsorted(csr.indptr, q, side="right") - 1)
                j = int(csr.indices[q])
                raise ValueError(f"W[{i}, {j}] = {float(csr.data[q])!r} is not finite "
                                 f"({_edge_label(nodes, i, j)})")

        tau = _vector(tau, n, "tau", nodes, positive=True)
        bias = _vector(bias, n, "bias", nodes)
        gain = _vector(gain, n, "gain", nodes)
        if not (input is None or isinstance(input, Input) or callable(input)):
            # A number or a per-node vector: name the node whose drive is not finite.
            arr = real_array("input", input, finite=False)
            if arr.shape == (n,) and not np.isfinite(arr).all():
                i = int(np.flatnonzero(~np.isfinite(arr))[0])
                raise ValueError(f"input of {_node_label(nodes, i)} must be finite, got "
                                 f"{float(arr[i])!r}")
        try:
            inp = as_input(input)
            in_block = encode(inp, n)
        except ValueError as exc:
            raise type(exc)(f"input: {exc}") from None

        prefix = (_frozen(1.0 / tau), bias, gain, _k.ACTIVATIONS[activation]) + in_block
        constant = in_block[0] == 0  # input kind 0: constant in time
        if dense is not None:
            _dense_room(n, f"CTRNN: the private copy of the dense weights W ({n} nodes)",
                        hint="pass W as a scipy.sparse matrix")
            if blas is None:
                blas = n >= _k.DENSE_BLAS_MIN_N
            # The loop kernel reads W column by column (see _kernels_ctrnn), so it stores W.T
            # contiguously; BLAS is fastest on W itself. .W is a view either way, not a copy.
            if blas:
                M = _frozen(dense)
                self.W = M
            else:
                M = _frozen(dense.T)
                self.W = M.T
            params = prefix + (M, int(bool(blas)))
            rhs, jac = _k.rhs_for(False, blas, constant), _k.ctrnn_dense_jac
        else:
            csr.eliminate_zeros()
            csr.sort_indices()
            for a in (csr.data, csr.indices, csr.indptr):
                a.flags.writeable = False
            self.W = csr
            csc = csr.tocsc()
            csc.sort_indices()
            params = prefix + (_frozen(csc.indptr, np.int64), _frozen(csc.indices, np.int64),
                               _frozen(csc.data))
            rhs, jac = _k.rhs_for(True, False, constant), _k.ctrnn_sparse_jac
        super().__init__(rhs, n, params=params, jac=jac, name="CTRNN")
        # The parameter Jacobian for solvers.sensitivities (dense storage only: a sparse W's
        # parameters would be its stored entries, whose order the kernel's CSC copy changes).
        self.pjac = None if dense is None else _k.ctrnn_dense_pjac
        self.param_shapes = dict(zip(_k.PJAC_BLOCKS, ((n, n), (n,), (n,), (n,))))
        self.tau = tau
        self.bias = bias
        self.gain = gain
        self.activation = activation
        self.input = inp
        self.nodes = nodes
        self.sparse = dense is None
        self.blas = bool(blas)
        self._freeze()

    def array_form(self, xp=None, dtype=np.float64):
        """This network's right-hand side for the array engine (``solvers.solve(...,
        backend="numpy" or "cuda")``, :func:`solvers.solve_array`).

        A callable ``f(t, y, out)`` writing ``dy/dt`` into ``out`` with operations of ``xp``:
        one GEMV (dense ``W``) or SpMV (sparse ``W``, as ``scipy.sparse`` or
        ``cupyx.scipy.sparse`` CSR) plus elementwise work; every input kind (constant,
        sinusoid, sampled) is evaluated as the compiled kernel does. The parameters are
        copied to ``xp`` (the GPU, for CuPy) once, here; ``y`` may be a state ``(n,)`` or a
        batch ``(B, n)``.

        Parameters
        ----------
        xp : module, optional
            ``numpy`` (default) or ``cupy``.
        dtype : float64 or float32

        Example
        -------
        >>> net = CTRNN([[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75])
        >>> f = net.array_form(np)
        >>> out = np.empty(2)
        >>> f(0.0, np.zeros(2), out)
        >>> out.round(6)                  # the kernel's value (see the class example)
        array([0.418437, 0.606126])
        """
        from ._array_forms import CTRNNArrayForm

        return CTRNNArrayForm(self, np if xp is None else xp, dtype)

    def _replaced_kwargs(self, kwargs, changes):
        if "W" in changes and "blas" not in changes:
            kwargs["blas"] = None  # a new W may change size or storage: choose again
        kwargs.update(changes)
        return kwargs

    def replace(self, **changes):
        """A copy with some constructor arguments changed (validated again; no recompilation).

        >>> net = CTRNN(np.zeros((3, 3)))
        >>> net.replace(tau=2.0, activation="tanh").tau
        array([2., 2., 2.])
        """
        if changes and type(self) is CTRNN and _VECTOR_ARGS.issuperset(changes):
            return self._replace_vectors(changes)
        return FrozenModel.replace(self, **changes)

    def _replace_vectors(self, changes):
        # replace() of tau, bias or gain only, the common sweep: W, the input block and the
        # kernels are this network's (validated and frozen already), so only the changed
        # vectors are checked again. 4x faster than the constructor at N = 10 (118 -> ~25 us),
        # and no copy of W at any N; the result equals the constructor's (tests/test_ctrnn.py).
        n = self.n_states
        d = dict(self.__dict__)
        d.pop("_locked", None)
        for k in ("tau", "bias", "gain"):
            if k in changes:
                d[k] = _vector(changes[k], n, k, self.nodes, positive=(k == "tau"))
        p = self.params
        d["params"] = (_frozen(1.0 / d["tau"]) if "tau" in changes else p[0], d["bias"],
                       d["gain"]) + p[3:]
        new = object.__new__(CTRNN)
        new.__dict__.update(d)
        new._freeze()
        return new

    def _replace_batch(self, changes):
        """The params tuples of B copies with ``tau``/``bias``/``gain`` changed, checked in one
        go (``neurodyn.sweep`` with ``base=``): ``changes`` maps each name to an array of
        shape (B, n) or (B,); the rest of the params (W, the input) are this network's, shared.
        Equal to ``[self.replace(**member_changes).params ...]`` (tests/test_sweep.py)."""
        if type(self) is not CTRNN or not changes or not _VECTOR_ARGS.issuperset(changes):
            raise NotImplementedError
        n = self.n_states
        rows = {}
        B = None
        for k, v in changes.items():
            a = real_array(k, v, finite=False)
            if a.ndim == 1:
                a = np.repeat(a[:, None], n, axis=1)
            if a.ndim != 2 or a.shape[1] != n or (B is not None and a.shape[0] != B):
                raise ValueError(f"{k} has shape {a.shape} over the members; expected "
                                 f"({B if B is not None else 'members'}, {n}) or one value "
                                 "per member")
            B = a.shape[0]
            bad = ~np.isfinite(a)
            if k == "tau":
                bad |= ~(a > 0.0)
            if bad.any():
                m, i = (int(x) for x in np.argwhere(bad)[0])
                need = "positive and finite" if k == "tau" else "finite"
                err = ValueError(f"member {m}: {k} of {_node_label(self.nodes, i)} must be "
                                 f"{need}, got {float(a[m, i])!r}")
                err.member = m  # for the caller to name the member its own way
                raise err
            rows[k] = a
        p = self.params
        rate = _frozen(1.0 / rows["tau"]) if "tau" in rows else None
        bias = _frozen(rows["bias"]) if "bias" in rows else None
        gain = _frozen(rows["gain"]) if "gain" in rows else None
        rest = p[3:]
        return [(p[0] if rate is None else rate[m], p[1] if bias is None else bias[m],
                 p[2] if gain is None else gain[m]) + rest for m in range(B)]

    @classmethod
    def from_graph(cls, G, *, weight="weight", tau=1.0, bias=0.0, gain=1.0, input=None,
                   activation=None, default_weight=None, sparse=None, blas=None):
        """Build a CTRNN from a networkx graph.

        Node order is ``list(G.nodes)`` and is kept in ``.nodes``. A directed edge ``u -> v``
        with weight ``w`` means *u drives v* (``W[v, u] = w``); in an undirected ``nx.Graph``
        every edge drives both ways with the same weight (a self-loop once).

        Parameters
        ----------
        G : networkx.DiGraph or networkx.Graph (not a multigraph)
        weight : str
            Edge attribute holding the weight.
        tau, bias, gain : float or None
            Defaults for nodes without the node attribute of that name. ``None`` makes the
            attribute required: a node lacking it raises ValueError.
        input : None, float or Input
            ``None``: each node's constant input is its ``input`` attribute (0 where absent),
            unless ``G.graph["input"]`` holds an :class:`~neurodyn.inputs.Input` (as written by
            :meth:`to_graph`), which is used. A number: the default for nodes without an
            ``input`` attribute. An ``Input`` (e.g. :class:`~neurodyn.Sampled`): the drive of
            the whole network; nodes must then not have ``input`` attributes.
        activation : str or None
            ``None``: ``G.graph["activation"]`` if present, else ``"sigmoid"``.
        default_weight : float or None
            Weight of edges lacking the ``weight`` attribute; ``None`` makes it required.
        sparse : bool or None
            Storage of ``W``. ``None`` picks CSR when the graph has at least 200 nodes and
            fewer than 10 % of the ``n * n`` possible edges, dense otherwise.
        blas : bool or None
            As for the constructor (dense storage only).

        Example
        -------
        >>> import networkx as nx
        >>> G = nx.DiGraph()
        >>> G.add_node("b", bias=-1.75)
        >>> G.add_node("a", bias=-2.75)
        >>> G.add_weighted_edges_from([("a", "a", 4.5), ("b", "a", 1.0),
        ...                            ("a", "b", -1.0), ("b", "b", 4.5)])
        >>> net = CTRNN.from_graph(G)
        >>> net.nodes
        ['b', 'a']
        >>> net.W
        array([[ 4.5, -1. ],
               [ 1. ,  4.5]])
        """
        nodes, index = graph_nodes(G)
        n = len(nodes)

        per_node = {}
        for attr, default in (("tau", tau), ("bias", bias), ("gain", gain)):
            per_node[attr] = node_values(G, nodes, attr, default)

        graph_input = G.graph.get("input")
        if input is None and isinstance(graph_input, Input):
            input = graph_input
        if isinstance(input, Input):
            for v in nodes:
                if "input" in G.nodes[v]:
                    raise ValueError(f"node {v!r} has an 'input' attribute but input= is a "
                                     f"{type(input).__name__} for the whole network; give one "
                                     "or the other")
            inp = input
        else:
            default_in = 0.0 if input is None else input
            if isinstance(default_in, (bool, np.bool_)) or not isinstance(default_in,
                                                                         numbers.Real):
                raise InvalidTypeError(f"input must be None, a number or a neurodyn Input, "
                                       f"got {input!r} ({type(input).__name__})")
            inp = Constant([node_number(G.nodes[v].get("input", default_in), v, "input")
                            for v in nodes])

        if activation is None:
            activation = G.graph.get("activation", "sigmoid")

        rows, cols, ws = [], [], []
        directed = G.is_directed()
        for u, v, data in G.edges(data=True):
            w = edge_weight(data, weight, default_weight, u, v)
            rows.append(index[v])
            cols.append(index[u])
            ws.append(w)
            if not directed and u != v:
                rows.append(index[u])
                cols.append(index[v])
                ws.append(w)
        if sparse is None:
            sparse = n >= _SPARSE_MIN_NODES and len(ws) < _SPARSE_MAX_DENSITY * n * n
        if sparse:
            ij = (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))
            W = sp.csr_matrix((np.asarray(ws, dtype=np.float64), ij), shape=(n, n))
        else:
            _dense_room(n, f"CTRNN.from_graph: dense weights for {n} nodes (W and the model's "
                        "copy)", copies=2, hint="pass sparse=True to store W as CSR")
            W = np.zeros((n, n))
            if ws:
                W[np.asarray(rows), np.asarray(cols)] = ws
        return cls(W, tau=per_node["tau"], bias=per_node["bias"], gain=per_node["gain"],
                   input=inp, activation=activation, nodes=nodes, blas=blas)

    @classmethod
    def from_elman(cls, W_ih, W_hh=None, b_ih=None, b_hh=None, *, tau=1.0, nodes=None,
                   blas=None):
        """The CTRNN whose Euler discretization with ``dt = tau`` is a given Elman network.

        The Elman network ``r' = tanh(W_hh r + W_ih x + b_ih + b_hh)`` (NumPy arrays, or a
        one-layer tanh ``torch.nn.RNN`` passed alone as ``W_ih``) becomes
        ``tau dh/dt = -h + W_hh tanh(h) + (b_ih + b_hh)`` (tanh, gain 1, bias 0, constant
        input ``b_ih + b_hh``). A CTRNN has no input matrix: ``W_ih`` is checked and handed
        back through ``neurodyn.discretize(net, tau, input_weights=W_ih)``, whose
        ``to_torch()`` is the Elman network again (``r = tanh(h)``; the two biases come back
        summed in ``b_ih``).

        Example
        -------
        >>> net = CTRNN.from_elman(np.ones((2, 1)), [[0.0, 1.0], [-1.0, 0.0]], [0.5, 0.0])
        >>> net.activation, float(net.W[0, 1]), net.input
        ('tanh', 1.0, Constant([0.5, 0.0]))
        """
        from .discretize import _ctrnn_from_elman_kwargs

        kwargs, _ = _ctrnn_from_elman_kwargs(W_ih, W_hh, b_ih, b_hh, tau=tau)
        return cls(**kwargs, nodes=nodes, blas=blas)

    def to_graph(self, weight="weight"):
        """The network as a ``networkx.DiGraph`` that :meth:`from_graph` turns back into it.

        Nodes (in order) carry ``tau``, ``bias``, ``gain`` and, for a constant input, ``input``;
        every nonzero ``W[v, u]`` becomes an edge ``u -> v``. ``G.graph`` holds
        ``activation`` and, for a time-varying input, ``input`` (the Input object).

        >>> net = CTRNN([[0.0, 2.0], [0.0, 0.0]], nodes=["x", "y"])
        >>> list(net.to_graph().edges(data="weight"))
        [('y', 'x', 2.0)]
        """
        import networkx as nx

        G = nx.DiGraph(activation=self.activation)
        n = self.n_states
        const = None
        if isinstance(self.input, Constant):
            const = np.broadcast_to(self.input.value, (n,))
        else:
            G.graph["input"] = self.input
        for i, v in enumerate(self.nodes):
            attrs = {"tau": float(self.tau[i]), "bias": float(self.bias[i]),
                     "gain": float(self.gain[i])}
            if const is not None:
                attrs["input"] = float(const[i])
            G.add_node(v, **attrs)
        if self.sparse:
            coo = self.W.tocoo()
            rows, cols, vals = coo.row, coo.col, coo.data
        else:
            rows, cols = np.nonzero(self.W)
            vals = self.W[rows, cols]
        G.add_edges_from((self.nodes[j], self.nodes[i], {weight: float(w)})
                         for i, j, w in zip(rows.tolist(), cols.tolist(), vals.tolist()))
        return G

    def __repr__(self):
        kind = "sparse" if self.sparse else "dense"
        return (f"CTRNN(n={self.n_states}, {kind}, activation={self.activation!r}, "
                f"input={self.input!r})")
