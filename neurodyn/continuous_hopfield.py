"""Continuous (graded-response) Hopfield networks (Hopfield 1984).

    C_i du_i/dt = -u_i / R_i + sum_j T_ij V_j + I_i,      V_j = g(gain_j u_j)

with ``g = tanh`` (outputs in (-1, 1)) or the logistic sigmoid (outputs in (0, 1)). ``T_ij``
is the weight from neuron ``j`` to neuron ``i``. For a symmetric ``T`` the energy

    E = -1/2 V^T T V - I^T V + sum_i (1/R_i) integral_{g(0)}^{V_i} g_i^{-1}(v) dv

never increases along trajectories: with ``dE/dV_i = -C_i du_i/dt`` (this needs ``T_ij = T_ji``)

    dE/dt = -sum_i C_i (dV_i/dt)(du_i/dt) = -sum_i C_i gain_i g'(gain_i u_i) (du_i/dt)^2 <= 0,

and it is constant only at equilibria. The integral term in closed form, with ``x = gain u``:

    tanh:     integral_0^V atanh(v)/gain dv         = (V atanh V + 1/2 ln(1 - V^2)) / gain
                                                    = V u - ln(cosh x) / gain
    sigmoid:  integral_{1/2}^V ln(v/(1-v))/gain dv  = (V ln V + (1-V) ln(1-V) + ln 2) / gain
                                                    = V u - (ln(1 + e^x) - ln 2) / gain

(integrate by parts: ``integral g^{-1} dv = V u - integral_0^u g(gain s) ds``). The code uses the
second forms, in ``u``: they stay finite where ``V`` rounds to +-1 (or 0/1) in floating point.

Reference: J. J. Hopfield, "Neurons with graded response have collective computational
properties like those of two-state neurons", PNAS 81, 3088-3092 (1984).
"""
from __future__ import annotations

import math

import numpy as np

from solvers import ODESystem
from solvers._checks import check_allocation, real_array

from . import _kernels_assoc as _k
from ._model import (FrozenModel, check_node_names, edge_weight, graph_nodes, node_values,
                     state_batch)
from .ctrnn import _frozen, _node_label, _vector

__all__ = ["ContinuousHopfield"]

_CTOR_ARGS = ("T", "C", "R", "I", "gain", "activation", "allow_asymmetric", "nodes")
# Relative asymmetry below which T counts as symmetric (and is symmetrised exactly): rounding
# in the user's own arithmetic, e.g. (A + A.T) / 2 computed in another order.
_SYMMETRY_RTOL = 1e-12
_LN2 = math.log(2.0)


def _activation_code(activation):
    if activation not in _k.ACTIVATIONS:
        known = ", ".join(repr(a) for a in _k.ACTIVATIONS)
        raise ValueError(f"unknown activation {activation!r}; known: {known}")
    return _k.ACTIVATIONS[activation]


def _output(u, gain, activation):
    x = gain * u
    if activation == "tanh":
        return np.tanh(x)
    # 1 / (1 + exp(-x)) written so that neither branch overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _integral_term(u, gain, activation):
    """integral_{g(0)}^{g(gain u)} g^{-1}(v) dv, elementwise, in the overflow-free u-form."""
    x = gain * u
    ax = np.abs(x)
    if activation == "tanh":
        # ln cosh x = |x| + ln(1 + e^{-2|x|}) - ln 2
        big = ax + np.log1p(np.exp(-2.0 * ax)) - _LN2
    else:
        # ln(1 + e^x) - ln 2 = max(x, 0) + ln(1 + e^{-|x|}) - ln 2
        big = np.maximum(x, 0.0) + np.log1p(np.exp(-ax)) - _LN2
    return _output(u, gain, activation) * u - big / gain


def _as_bipolar(values, name, *, ndim=(1, 2)):
    """``values`` as float64 +-1, converting binary 0/1; errors name the first bad entry.

    The whole array is one code: only +-1 (bipolar), or only 0/1 (binary, mapped 0 -> -1).
    """
    raw = np.asarray(values) if not isinstance(values, (str, bytes)) else None
    if raw is not None and raw.dtype == np.bool_:
        a = raw.astype(np.float64)  # booleans are binary states: False -> -1, True -> +1
    else:
        a = np.array(real_array(name, values, finite=False), dtype=np.float64)
    if a.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {want}, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    bad = ~np.isfinite(a)
    if bad.any():
        k = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}[{', '.join(map(str, k))}] = {float(a[k])!r} is not finite")
    bipolar = (a == 1.0) | (a == -1.0)
    if bipolar.all():
        return a
    if ((a == 0.0) | (a == 1.0)).all():
        return 2.0 * a - 1.0
    # Name an entry that is neither, else one that mixes the two codes (a 0 beside a -1).
    odd = ~(bipolar | (a == 0.0))
    k = tuple(int(i) for i in np.argwhere(odd if odd.any() else a == 0.0)[0])
    why = ("mixes 0 with -1" if not odd.any()
           else "is neither bipolar (+-1) nor binary (0/1)")
    where = ", ".join(map(str, k))
    raise ValueError(f"{name}[{where}] = {float(a[k])!r}: {name} {why}; states must be all "
                     "+-1 or all 0/1")


def _room(n, what, copies=1):
    """Refuse, before allocating, ``copies`` dense n x n float64 arrays that cannot fit."""
    check_allocation(f"continuous Hopfield network of n = {n} neurons: {what}",
                     (n, n) if copies == 1 else (copies, n, n), 8,
                     hint="its weights T are a dense n x n matrix")


def _check_T(T, nodes, allow_asymmetric):
    arr = real_array("T", T, finite=False)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"T must be square: expected shape (n, n), got {arr.shape}")
    n = arr.shape[0]
    if n < 1:
        raise ValueError("T is empty: a Hopfield network needs at least one neuron")
    _room(n, "T, its symmetry check and the model's copy", copies=3)
    arr = np.array(arr, dtype=np.float64)
    nodes = check_node_names(nodes, n, per="row of T")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise ValueError(f"T[{i}, {j}] = {float(arr[i, j])!r} is not finite "
                         f"(weight from {_node_label(nodes, j)} to {_node_label(nodes, i)})")
    if not allow_asymmetric:
        diff = np.abs(arr - arr.T)
        worst = float(diff.max())
        if worst > _SYMMETRY_RTOL * max(float(np.abs(arr).max()), 1e-300):
            i, j = (int(x) for x in np.unravel_index(np.argmax(diff), diff.shape))
            raise ValueError(
                f"T is not symmetric: T[{i}, {j}] = {float(arr[i, j])!r} but T[{j}, {i}] = "
                f"{float(arr[j, i])!r} ({_node_label(nodes, i)}, {_node_label(nodes, j)}). "
                "The energy is a Lyapunov function only for symmetric T; pass "
                "allow_asymmetric=True to integrate this network anyway (its energy may then "
                "increase)")
        if worst > 0.0:
            arr = 0.5 * (arr + arr.T)  # rounding-level asymmetry: make the guarantee exact
    return arr, nodes


class ContinuousHopfield(FrozenModel, ODESystem):
    """Hopfield's graded-response network, ready for ``solvers.solve`` (state ``u``).

    ``C_i du_i/dt = -u_i / R_i + sum_j T_ij g(gain_j u_j) + I_i``.

    Parameters
    ----------
    T : array_like, shape (n, n)
        ``T[i, j]`` is the weight from neuron ``j`` to neuron ``i``. Must be symmetric (up to
        a relative rounding of 1e-12, which is then removed by symmetrising) unless
        ``allow_asymmetric``. A nonzero diagonal (self-coupling) is allowed.
    C, R : float or array_like, shape (n,)
        Capacitances and resistances, positive.
    I : float or array_like, shape (n,)
        Constant input currents.
    gain : float or array_like, shape (n,)
        Gains ``lambda_i`` (positive), ``V_i = g(lambda_i u_i)``.
    activation : {"tanh", "sigmoid"}
        ``tanh``: outputs in (-1, 1), ``g(0) = 0``; ``sigmoid``: ``1 / (1 + e^{-x})``,
        outputs in (0, 1), ``g(0) = 1/2``.
    allow_asymmetric : bool
        Accept a non-symmetric ``T``. The model integrates as usual, but :meth:`energy` is then
        no Lyapunov function: nothing guarantees that it decreases, and trajectories may
        oscillate or wander instead of settling.
    nodes : list, optional
        Neuron names (default ``range(n)``), used in messages and by :meth:`to_graph`.

    Attributes
    ----------
    T, C, R, I, gain : ndarray (read-only)
    activation : str
    allow_asymmetric : bool
    nodes : list
    rhs, jac, params, n_states, name : the :class:`solvers.ODESystem` protocol. The analytic
        Jacobian is ``J_ij = (T_ij gain_j g'(gain_j u_j) - delta_ij / R_i) / C_i``.

    Example
    -------
    Two mutually excitatory neurons settle where both outputs agree, and the energy falls:

    >>> import solvers
    >>> net = ContinuousHopfield([[0.0, 1.0], [1.0, 0.0]], gain=4.0)
    >>> sol = solvers.solve(net, (0.0, 20.0), [0.2, -0.1], t_eval=np.linspace(0, 20, 41),
    ...                     rtol=1e-10, atol=1e-12)
    >>> net.output(sol.y[-1]).round(4)
    array([0.9993, 0.9993])
    >>> E = net.energy(sol.y)
    >>> bool(np.all(np.diff(E) <= 1e-12)), round(float(E[-1]), 4)
    (True, -0.6536)
    """

    _ctor_args = _CTOR_ARGS

    def __init__(self, T, C=1.0, R=1.0, I=0.0, gain=1.0, activation="tanh",
                 allow_asymmetric=False, nodes=None):
        allow_asymmetric = bool(allow_asymmetric)
        T, nodes = _check_T(T, nodes, allow_asymmetric)
        n = T.shape[0]
        act = _activation_code(activation)
        C = _vector(C, n, "C", nodes, positive=True)
        R = _vector(R, n, "R", nodes, positive=True)
        I = _vector(I, n, "I", nodes)
        gain = _vector(gain, n, "gain", nodes, positive=True)
        TT = _frozen(T.T)
        params = (_frozen(1.0 / C), _frozen(1.0 / R), I, gain, act, TT)
        super().__init__(_k.hopfield_rhs, n, params=params, jac=_k.hopfield_jac,
                         name="ContinuousHopfield")
        self.T = TT.T  # a read-only view, no second copy
        self.C = C
        self.R = R
        self.I = I
        self.gain = gain
        self.activation = activation
        self.allow_asymmetric = allow_asymmetric
        self.nodes = nodes
        self._freeze()

    def replace(self, **changes):
        """A copy with some constructor arguments changed (validated again; no recompilation).

        >>> ContinuousHopfield(np.zeros((2, 2))).replace(gain=3.0).gain
        array([3., 3.])
        """
        return FrozenModel.replace(self, **changes)

    def array_form(self, xp=None, dtype=np.float64):
        """This network's right-hand side for the array engine (``solvers.solve(...,
        backend="numpy" or "cuda")``, :func:`solvers.solve_array`): a callable
        ``f(t, u, out)`` writing ``du/dt`` into ``out`` with operations of ``xp`` (one GEMV
        plus elementwise work), the parameters copied to ``xp`` once, here.

        Parameters
        ----------
        xp : module, optional
            ``numpy`` (default) or ``cupy``.
        dtype : float64 or float32

        Example
        -------
        >>> net = ContinuousHopfield([[0.0, 1.0], [1.0, 0.0]], gain=4.0)
        >>> out = np.empty(2)
        >>> net.array_form(np)(0.0, np.array([0.2, -0.1]), out)
        >>> ref = np.empty(2)
        >>> net.rhs(0.0, np.array([0.2, -0.1]), net.params, ref)   # the kernel
        >>> bool(np.allclose(out, ref, rtol=1e-15, atol=0))
        True
        """
        from ._array_forms import HopfieldArrayForm

        return HopfieldArrayForm(self, np if xp is None else xp, dtype)

    # ------------------------------------------------------------ outputs and energy

    def _states(self, u, what="u"):
        return state_batch(u, self.n_states, what, "one value per neuron")

    def output(self, u):
        """Outputs ``V = g(gain * u)`` for states ``u`` of shape ``(..., n)``.

        >>> ContinuousHopfield(np.zeros((2, 2)), activation="sigmoid").output([0.0, 100.0])
        array([0.5, 1. ])
        """
        return _output(self._states(u), self.gain, self.activation)

    def energy(self, u):
        """Hopfield's Lyapunov energy of states ``u`` (shape ``(n,)`` or a batch ``(..., n)``).

        ``E = -1/2 V^T T V - I^T V + sum_i (1/R_i) integral_{g(0)}^{V_i} g_i^{-1}(v) dv`` with
        ``V = g(gain * u)`` (closed forms in the module docstring). For symmetric ``T`` it
        never increases along a trajectory; with ``allow_asymmetric=True`` it is still
        computed (with the ``T`` given) but carries no such guarantee.

        >>> net = ContinuousHopfield([[0.0, 2.0], [2.0, 0.0]], I=[0.5, 0.0])
        >>> net.energy(np.zeros((3, 2)))          # a batch of three states at the origin
        array([0., 0., 0.])
        >>> round(float(net.energy([1.0, 1.0])), 6)
        -0.885222
        """
        u = self._states(u)
        V = _output(u, self.gain, self.activation)
        quad = np.einsum("...i,...i->...", V @ self.T.T, V)
        integral = _integral_term(u, self.gain, self.activation) @ (1.0 / self.R)
        return -0.5 * quad - V @ self.I + integral

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_patterns(cls, P, *, C=1.0, R=1.0, I=0.0, gain=10.0, activation="tanh",
                      nodes=None):
        """Store patterns with the Hebbian rule ``T = P^T P / N``, zero diagonal.

        Parameters
        ----------
        P : array_like, shape (p, N) or (N,)
            Patterns in bipolar +-1; binary 0/1 patterns are accepted and converted
            (0 -> -1, 1 -> +1). The whole array must use one code.
        gain : float or array_like
            Default 10, not 1: Hebbian ``T`` has eigenvalue about ``1 - p/N`` on the stored
            patterns, so with ``R = 1`` a gain near 1 leaves the origin stable and nothing is
            recalled; at gain 10 the stored states are sharp (``|V|`` within 1e-6 of 1).
        activation : {"tanh", "sigmoid"}
            ``tanh``: the stored state of pattern ``xi`` is ``V ~ xi``. ``sigmoid``: outputs
            are in (0, 1), so the weights become ``2 T`` and ``-T 1`` is added to ``I``; then
            ``V ~ (xi + 1) / 2`` (the binary pattern) and ``u`` follows exactly the dynamics of
            the tanh network with half the gain (``tanh(x) = 2 sigmoid(2x) - 1``).
        C, R, I, nodes : as for the constructor.

        Example
        -------
        >>> import solvers
        >>> P = np.array([[1, 1, 1, 1, -1, -1, -1, -1], [1, -1, 1, -1, 1, -1, 1, -1]])
        >>> net = ContinuousHopfield.from_patterns(P)
        >>> probe = P[0].astype(float)
        >>> probe[:2] *= -1                          # two of eight bits wrong
        >>> u = solvers.solve(net, (0.0, 30.0), 0.1 * probe, rtol=1e-8).y[-1]
        >>> np.sign(net.output(u)).astype(int)
        array([ 1,  1,  1,  1, -1, -1, -1, -1])
        """
        P = _as_bipolar(P, "P")
        if P.ndim == 1:
            P = P[None, :]
        N = P.shape[1]
        _room(N, "the Hebbian weights T = P^T P / N")
        T = P.T @ P  # integer-valued: exact, and exactly symmetric
        np.fill_diagonal(T, 0.0)
        T /= N
        act = _activation_code(activation)
        if act == _k.ACT_SIGMOID:
            # V = (s + 1) / 2 turns the field T s into 2T V - T 1.
            names = list(range(N)) if nodes is None else list(nodes)
            I = _vector(I, N, "I", names) - T.sum(axis=1)
            T = 2.0 * T
        return cls(T, C=C, R=R, I=I, gain=gain, activation=activation, nodes=nodes)

    @classmethod
    def from_graph(cls, G, *, weight="weight", C=1.0, R=1.0, I=0.0, gain=1.0,
                   activation=None, default_weight=None, allow_asymmetric=False):
        """Build a network from a networkx graph.

        Node order is ``list(G.nodes)``, kept in ``.nodes``. In an undirected ``nx.Graph``
        an edge ``u - v`` with weight ``w`` sets ``T[u, v] = T[v, u] = w`` (a self-loop sets
        ``T[u, u]``). A ``DiGraph`` edge ``u -> v`` means *u drives v*: ``T[v, u] = w``; it
        must still be symmetric unless ``allow_asymmetric``.

        Parameters
        ----------
        G : networkx.Graph or networkx.DiGraph (not a multigraph)
        weight : str
            Edge attribute holding the weight.
        C, R, I, gain : float or None
            Defaults for nodes without the node attribute of that name (``C``, ``R``, ``I``,
            ``gain``). ``None`` makes the attribute required.
        default_weight : float or None
            Weight of edges lacking the attribute; ``None`` makes it required.
        activation : str or None
            ``None``: ``G.graph["activation"]`` if present (as :meth:`to_graph` writes it),
            else ``"tanh"``.
        allow_asymmetric : as for the constructor.

        Example
        -------
        >>> import networkx as nx
        >>> G = nx.Graph()
        >>> G.add_node("b", I=0.5)
        >>> G.add_node("a", C=2.0)
        >>> G.add_edge("a", "b", weight=-1.0)
        >>> net = ContinuousHopfield.from_graph(G)
        >>> net.nodes, net.C, net.I
        (['b', 'a'], array([1., 2.]), array([0.5, 0. ]))
        >>> net.T
        array([[ 0., -1.],
               [-1.,  0.]])
        """
        nodes, index = graph_nodes(G)
        n = len(nodes)
        per_node = {}
        for attr, default in (("C", C), ("R", R), ("I", I), ("gain", gain)):
            per_node[attr] = node_values(G, nodes, attr, default)
        if activation is None:
            activation = G.graph.get("activation", "tanh")
        _room(n, "T from the graph")
        T = np.zeros((n, n))
        directed = G.is_directed()
        arrow = "->" if directed else "-"
        for u, v, data in G.edges(data=True):
            w = edge_weight(data, weight, default_weight, u, v, arrow)  # finite, or named
            T[index[v], index[u]] = w
            if not directed:
                T[index[u], index[v]] = w
        return cls(T, activation=activation, allow_asymmetric=allow_asymmetric, nodes=nodes,
                   **per_node)

    def to_graph(self, weight="weight"):
        """The network as a networkx graph that :meth:`from_graph` turns back into it.

        An ``nx.Graph`` when ``T`` is symmetric (one edge per nonzero pair), else an
        ``nx.DiGraph`` (edge ``j -> i`` for each nonzero ``T[i, j]``). Nodes carry ``C``,
        ``R``, ``I`` and ``gain``; ``G.graph["activation"]`` records the activation.

        >>> net = ContinuousHopfield([[0.0, 0.5], [0.5, 0.0]], nodes=["p", "q"])
        >>> list(net.to_graph().edges(data="weight"))
        [('p', 'q', 0.5)]
        """
        import networkx as nx

        symmetric = np.array_equal(self.T, self.T.T)
        G = (nx.Graph if symmetric else nx.DiGraph)(activation=self.activation)
        for i, v in enumerate(self.nodes):
            G.add_node(v, C=float(self.C[i]), R=float(self.R[i]), I=float(self.I[i]),
                       gain=float(self.gain[i]))
        rows, cols = np.nonzero(np.triu(self.T) if symmetric else self.T)
        G.add_edges_from((self.nodes[j], self.nodes[i], {weight: float(self.T[i, j])})
                         for i, j in zip(rows.tolist(), cols.tolist()))
        return G

    def __repr__(self):
        sym = ", asymmetric" if self.allow_asymmetric else ""
        return f"ContinuousHopfield(n={self.n_states}, activation={self.activation!r}{sym})"
