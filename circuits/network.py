"""Memristive networks: the Caravelli–Traversa–Di Ventra (CTDV) equation on a circuit graph.

Every edge ``e = (u, v)`` of a networkx (multi)graph is a memristor, optionally in series with
a voltage source ``S_e(t)``. Each memristor has a memory ``x_e`` and resistance

    R_e = R_off (1 - chi x_e),     chi = (R_off - R_on) / R_off in [0, 1),

so ``x = 0`` is the high-resistance (off) state and ``x = 1`` the low one (on). The memory obeys

    dx/dt = (1/beta) F(x) * (I - chi Omega X)^{-1} Omega S(t) - alpha x,      X = diag(x),

(F = 1 without a window), the form of Caravelli, Sheldon and Traversa, "Global minimization via
classical tunneling assisted by collective force field formation", Sci. Adv. 7, eabh1542 (2021).
``Omega`` is the orthogonal projector onto the cycle space of the graph, and
``z = (I - chi Omega X)^{-1} Omega S = R_off i`` are the edge currents ``i`` in units of
``1 / R_off``: ``R_off`` only scales :meth:`~MemristiveNetwork.currents`, not the dynamics.

Conventions
-----------
* Orientation. Edge ``(u, v)`` is oriented from ``u`` to ``v``: for a ``DiGraph`` as the arc,
  for an undirected graph as ``G.edges(keys=True)`` lists it (``G.edges`` without keys for a
  simple graph). A positive current flows from ``u`` to ``v`` through the memristor, and a
  positive current raises ``x_e`` (the device's polarity). A positive source ``S_e`` drives
  current from ``u`` to ``v``: the edge's voltage law is ``R_e i_e = phi_u - phi_v + S_e``.
* Incidence matrix: ``B[u, e] = +1``, ``B[v, e] = -1`` (self-loops: a zero column). networkx's
  ``incidence_matrix(G, oriented=True)`` has the opposite sign (``-1`` at the tail ``u``, ``+1``
  at the head ``v``), so ``B = -N``. ``Omega`` does not depend on that sign, the currents do.
* ``Omega = I - B^T (B B^T)^+ B`` (the complement of the cut space), which equals
  ``A^T (A A^T)^{-1} A`` for any loop matrix ``A`` whose rows are a cycle basis
  (:meth:`~MemristiveNetwork.loop_matrix`); ``trace(Omega) = E - V + c`` (independent loops).
* Node voltages: one node per connected component is grounded (potential 0): the first of the
  component in node order (``model.ground``).

Mapping to the other convention (Caravelli, Traversa, Di Ventra, "Complex dynamics of memristive
circuits: analytical results and universal slow relaxation", Phys. Rev. E 95, 022140 (2017)):
there ``R = R_on (1 - w) + R_off w`` (``w = 1`` is *off*) and
``dw/dt = alpha' w - (1/beta') (I + xi Omega W)^{-1} Omega S``, ``xi = (R_off - R_on) / R_on``.
With ``x = 1 - w`` the resistances agree when ``chi = xi / (1 + xi)``, and the current terms agree
when ``beta = (1 + xi) beta'`` (both are the same physical current, scaled by ``R_off`` here and by
``R_on`` there); the decay terms differ in form: ``+alpha' w`` becomes ``alpha' (x - 1)`` in ``x``
(a drift to the off state that starts fastest at ``x = 1``), whereas here ``-alpha x`` relaxes
exponentially to ``x = 0``. With ``alpha = alpha' = 0`` the two equations are the same.

Window
------
``window=None`` integrates the CTDV equation exactly; nothing keeps ``x`` in ``[0, 1]`` and at
``x_e = 1/chi`` the resistance vanishes (the solver then stops with a non-finite state).
``window="joglekar"`` multiplies the current term by ``F(x) = 1 - (2x - 1)^(2p)`` (Joglekar and
Wolf, Eur. J. Phys. 30, 661 (2009)), smooth, ``F(0) = F(1) = 0``: the drift is 0 at ``x_e = 0`` and
``-alpha`` at ``x_e = 1``, so no trajectory starting in ``[0, 1]^E`` leaves it (a memristor started
exactly at 0 stays there, the known limitation of this window). Larger ``p`` flattens ``F`` to 1
in the interior. With a window the Lyapunov function below is no longer guaranteed to decrease
(Barrows, Sheldon, Caravelli, arXiv:2402.16015 (2024), show such networks can lose stable
equilibria).

Lyapunov function
-----------------
For constant sources, without window (Caravelli, "Asymptotic behavior of memristive circuits",
Entropy 21, 789 (2019); written in this convention)

    L(x) = (alpha/3) sum_i x_i^3 - (1/(2 beta)) sum_i x_i^2 (Omega S)_i
           - (alpha chi/4) sum_ij x_i^2 Omega_ij x_j^2.

Multiplying the equation by ``I - chi Omega X`` gives ``(I - chi Omega X) dx/dt = Omega S/beta
- alpha (I - chi Omega X) x``; multiplying by ``(dx/dt)^T X`` shows

    dL/dt = -(dx/dt)^T (X - chi X Omega X) (dx/dt) <= 0

whenever ``X - chi X Omega X`` is positive semidefinite, e.g. for ``0 <= x_i <= 1/chi`` (``Omega``
is a projector, so ``X^{1/2} Omega X^{1/2} <= max(x) I``). It holds for any ``alpha`` and
``beta``; it is constant only at equilibria or where ``dx_i/dt != 0`` only on edges with
``x_i = 0``.

Single memristor with a constant source ``S`` (one loop, ``Omega = [[1]]``):
``dx/dt = S / (beta (1 - chi x)) - alpha x``, whose fixed points solve ``chi x^2 - x + s = 0`` with
``s = S / (alpha beta)``: ``x = (1 +- sqrt(1 - 4 chi s)) / (2 chi)``. The smaller is stable
(``f'(x*) = alpha (2 chi x* - 1) / (1 - chi x*) < 0``), the larger unstable; they merge and vanish
at ``s = 1 / (4 chi)`` (a saddle-node), beyond which ``x`` grows until the window stops it.

Computation
-----------
The default ``form="nodal"`` evaluates ``z`` by nodal analysis, algebraically identical to the
projector form (see :mod:`circuits._kernels_network`): a sparse Cholesky factorisation of the
weighted Laplacian (size ``V - c``) per evaluation, with a minimum-degree ordering and symbolic
pattern computed once here. ``form="projector"`` is the dense ``E x E`` solve of the formula above.
``Omega`` itself is computed only when asked for (:attr:`~MemristiveNetwork.projector`), once.
"""
from __future__ import annotations

import heapq
import math
import numbers

import numpy as np

from neurodyn._model import FrozenModel, physical, state_batch
from solvers import ODESystem
from solvers._checks import InvalidTypeError, real_array

from . import _kernels_network as _k
from .sources import Source, as_source, encode_sources

__all__ = ["MemristiveNetwork"]

_CTOR_ARGS = ("edges", "nodes", "sources", "chi", "alpha", "beta", "R_off", "window",
              "window_p", "form")
_WINDOWS = {None: _k.WINDOW_NONE, "none": _k.WINDOW_NONE, "joglekar": _k.WINDOW_JOGLEKAR}
_FORMS = ("nodal", "projector")


def _real(value, name, kind="dimensionless", *, low=None, high=None, low_open=False,
          high_open=False):
    value = physical(name, value, kind)  # a brian2 quantity of dimension kind, in SI
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a real number, got {value!r} "
                               f"({type(value).__name__})")
    v = float(value)
    bad = not math.isfinite(v)
    if low is not None:
        bad |= v < low or (low_open and v == low)
    if high is not None:
        bad |= v > high or (high_open and v == high)
    if bad:
        lo = "" if low is None else f"{'(' if low_open else '['}{low}"
        hi = "" if high is None else f"{high}{')' if high_open else ']'}"
        where = f" in {lo}, {hi}" if lo and hi else (f" >= {low}" if lo and not low_open else
                                                     f" > {low}" if lo else "")
        raise ValueError(f"{name} must be finite{where}, got {value!r}")
    return v


def _edge_label(edge):
    return f"edge {tuple(edge)!r}"


def _check_edges(edges):
    try:
        edges = [tuple(e) for e in edges]
    except TypeError:
        raise TypeError("edges must be a sequence of (u, v) or (u, v, key) tuples") from None
    if not edges:
        raise ValueError("a memristive network needs at least one edge (memristor)")
    for e in edges:
        if len(e) not in (2, 3):
            raise ValueError(f"{_edge_label(e)} must be (u, v) or (u, v, key)")
    if len(set(edges)) != len(edges):
        seen = set()
        for e in edges:
            if e in seen:
                raise ValueError(f"{_edge_label(e)} appears twice; parallel memristors need "
                                 "distinct keys (u, v, key), as in a networkx MultiGraph")
            seen.add(e)
    return tuple(edges)


def _dict_sources(sources, edges):
    """``{edge position: Source or None}`` from a dict keyed by (u, v) or (u, v, key)."""
    index = {e: k for k, e in enumerate(edges)}
    pairs = {}
    for k, e in enumerate(edges):
        pairs.setdefault(e[:2], []).append(k)
    out = {}
    for key, value in sources.items():
        try:
            key = tuple(key)
        except TypeError:
            raise TypeError(f"sources: key {key!r} is not an edge (u, v) or (u, v, key)") from None
        rev = (key[1], key[0]) + key[2:] if len(key) >= 2 else key
        if key in index:
            k = index[key]
        elif len(key) == 2 and key in pairs:
            if len(pairs[key]) > 1:
                raise ValueError(f"sources: {key!r} names {len(pairs[key])} parallel edges; "
                                 "give the key: (u, v, key)")
            k = pairs[key][0]
        elif rev in index or (len(key) == 2 and rev in pairs):
            raise ValueError(
                f"sources: edge {key!r} is oriented the other way, as {rev!r} (the order "
                "G.edges lists it); a source drives current from the edge's first node to its "
                "second, so give it under that key with the sign it should have")
        else:
            raise ValueError(f"sources: {key!r} is not an edge of the network")
        out[k] = _source(value, edges[k])
    return out


def _edge_sources(sources, edges):
    """A tuple with one Source or None (undriven) per edge."""
    E = len(edges)
    out = [None] * E
    if sources is None:
        return tuple(out)
    if isinstance(sources, dict):
        for k, s in _dict_sources(sources, edges).items():
            out[k] = s
        return tuple(out)
    if isinstance(sources, (Source, numbers.Real)) and not isinstance(sources, (bool, np.bool_)):
        raise TypeError("sources must be one entry per edge (a sequence or array of length "
                        f"{E}) or a dict {{edge: source}}, got a single {type(sources).__name__}")
    sources = physical("sources", sources, "voltage")
    if isinstance(sources, np.ndarray) and sources.dtype != object:
        if sources.shape != (E,):
            raise ValueError(f"sources has shape {sources.shape}, expected ({E},) (one per edge)")
        seq = real_array("sources", sources, finite=False).tolist()
    else:
        try:
            seq = list(sources)
        except TypeError:
            raise TypeError("sources must be a dict {edge: source} or one entry per edge, got "
                            f"{type(sources).__name__}") from None
    if len(seq) != E:
        raise ValueError(f"sources has {len(seq)} entries, expected {E} (one per edge)")
    return tuple(_source(v, e) for v, e in zip(seq, edges))


def _source(value, edge):
    if value is None:
        return None
    value = physical(f"source of {_edge_label(edge)}", value, "voltage")
    s = as_source(value, f"source of {_edge_label(edge)}")  # names the edge of a bad value
    if isinstance(value, numbers.Real) and not isinstance(value, Source):
        if float(value) == 0.0:
            return None
    return s


def _structure(nodes, edges):
    """Components, ground nodes and the reduced node numbering in elimination order."""
    index = {v: i for i, v in enumerate(nodes)}
    V = len(nodes)
    parent = list(range(V))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    tree = []
    for k, e in enumerate(edges):
        a, b = find(index[e[0]]), find(index[e[1]])
        if a != b:
            parent[max(a, b)] = min(a, b)
            tree.append(k)
    roots = [find(i) for i in range(V)]
    ground = sorted(set(roots))  # the smallest index of each component (union by min)
    return index, roots, ground, tree


def _min_degree(n, adj):
    """Minimum-degree elimination of an n-node graph (adjacency sets, modified in place).

    Returns (order, columns): ``order[j]`` is the node eliminated j-th, ``columns[j]`` its
    neighbours at that moment (the pattern of column j of the Cholesky factor). Ties go to the
    smaller node index, so the ordering is deterministic.
    """
    heap = [(len(adj[v]), v) for v in range(n)]
    heapq.heapify(heap)
    done = [False] * n
    order, columns = [], []
    while heap:
        d, v = heapq.heappop(heap)
        if done[v] or d != len(adj[v]):
            continue
        done[v] = True
        nb = adj[v]
        order.append(v)
        columns.append(nb)
        for a in nb:
            s = adj[a]
            s.discard(v)
            s |= nb
            s.discard(a)
            heapq.heappush(heap, (len(s), a))
        adj[v] = set()
    return order, columns


def _symbolic(V, index, ground_set, edges):
    """Elimination order and the pattern of the Cholesky factor of the reduced Laplacian."""
    red = [i for i in range(V) if i not in ground_set]
    rid = {i: r for r, i in enumerate(red)}
    n = len(red)
    adj = [set() for _ in range(n)]
    ends = []
    for e in edges:
        a, b = index[e[0]], index[e[1]]
        ra = rid.get(a, -1) if a != b else -1
        rb = rid.get(b, -1) if a != b else -1
        ends.append((ra, rb))
        if ra >= 0 and rb >= 0:
            adj[ra].add(rb)
            adj[rb].add(ra)
    order, columns = _min_degree(n, adj)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    Lp = np.zeros(n + 1, dtype=np.int64)
    Li_parts = []
    for j, v in enumerate(order):
        rows = np.sort(pos[list(columns[j])]) if columns[j] else np.empty(0, dtype=np.int64)
        Li_parts.append(np.concatenate(([j], rows)).astype(np.int64))
        Lp[j + 1] = Lp[j] + 1 + rows.size
    Li = np.concatenate(Li_parts) if Li_parts else np.empty(0, dtype=np.int64)
    # Row patterns: for each row j the columns k < j with L[j, k] != 0 and where L[j, k] is.
    col_of = np.repeat(np.arange(n), np.diff(Lp))
    off = np.ones(Li.size, dtype=bool)
    off[Lp[:-1]] = False
    q = np.flatnonzero(off)
    rows, cols = Li[q], col_of[q]
    by_row = np.lexsort((cols, rows))
    q, rows, cols = q[by_row], rows[by_row], cols[by_row]
    Rp = np.zeros(n + 1, dtype=np.int64)
    np.add.at(Rp, rows + 1, 1)
    Rp = np.cumsum(Rp)
    lookup = {(int(r), int(c)): int(p) for r, c, p in zip(rows, cols, q)}
    tail = np.array([pos[a] if a >= 0 else -1 for a, _ in ends], dtype=np.int64)
    head = np.array([pos[b] if b >= 0 else -1 for _, b in ends], dtype=np.int64)
    offA = np.full(len(edges), -1, dtype=np.int64)
    for k in range(len(edges)):
        a, b = int(tail[k]), int(head[k])
        if a >= 0 and b >= 0:
            offA[k] = lookup[(max(a, b), min(a, b))]
    perm = np.array([red[v] for v in order], dtype=np.int64)  # reduced position -> node index
    return dict(tail=tail, head=head, Lp=Lp, Li=Li, Rp=Rp, Rk=cols.astype(np.int64),
                Rpos=q.astype(np.int64), offA=offA, perm=perm)


def _ro(a):
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


class MemristiveNetwork(FrozenModel, ODESystem):
    """A network of memristors with series voltage sources, integrated by the CTDV equation.

    ``dx/dt = (1/beta) F(x) (I - chi Omega X)^{-1} Omega S(t) - alpha x``, one state per edge,
    ``R_e = R_off (1 - chi x_e)``. Conventions (orientation, signs, ground, window, the mapping to
    the PRE 2017 form, the Lyapunov function) are in the module docstring of
    :mod:`circuits.network`.

    Parameters
    ----------
    edges : sequence of (u, v) or (u, v, key)
        The memristors, oriented from ``u`` to ``v``; parallel memristors need distinct keys.
        Self-loops are allowed (a memristor closed on its own source).
    nodes : sequence, optional
        Node order (default: order of first appearance in ``edges``); may add isolated nodes.
    sources : dict, sequence or array, optional
        Series voltage source per edge: ``{edge: source}`` (edge as ``(u, v)`` or
        ``(u, v, key)``, in the edge's own orientation), or one entry per edge. A source is a
        number (constant) or a :class:`circuits.sources.Source` (``Sine``, ``Pulses``, ...);
        ``None`` or 0 means no source.
    chi : float in [0, 1)
        ``(R_off - R_on) / R_off``.
    alpha : float >= 0
        Decay rate of the memory towards ``x = 0`` (off), 1/s.
    beta : float > 0
        Inverse coupling of the memory to the current (in units where currents are
        ``R_off i``), V s: ``dx/dt`` gains ``(R_off i) / beta`` per second.
    R_off : float > 0
        Off resistance (ohms); scales :meth:`currents` only.
    window : None or "joglekar"
        Boundary window on the current term (see the module docstring).
    window_p : int >= 1
        Exponent ``p`` of the Joglekar window.
    form : {"nodal", "projector"}
        Kernel: nodal analysis with a sparse Cholesky (default, fast) or the dense projector
        formula; both give the same right-hand side.

    Attributes
    ----------
    edges, nodes : tuple, list
    sources : tuple of Source or None, one per edge
    chi, alpha, beta, R_off, window, window_p, form
    ground : list
        The grounded node of each connected component.
    n_edges, n_nodes, n_components, n_loops : int
    rhs, jac, params, n_states, name
        The :class:`solvers.ODESystem` protocol (analytic Jacobian in both forms).

    Notes
    -----
    Time is in seconds (that of the sources). ``alpha``, ``beta``, ``R_off``, the sources and
    the times ``t`` of :meth:`currents`, :meth:`voltages`, :meth:`energy` and
    :meth:`source_values` also take brian2 quantities (``alpha=2*Hz``, ``beta=1*volt*second``,
    ``R_off=10*kohm``), converted to SI after a check of their dimension.

    Example
    -------
    Two memristors in a loop, ``a -> b -> a``, one with a 1 V source: one loop current.

    >>> import solvers
    >>> net = MemristiveNetwork([("a", "b"), ("b", "a")], sources={("a", "b"): 1.0},
    ...                         chi=0.5, alpha=1.0, beta=2.0)
    >>> net.projector
    array([[0.5, 0.5],
           [0.5, 0.5]])
    >>> net.currents([0.0, 0.0])          # 1 V over 2 R_off, a -> b -> a
    array([0.5, 0.5])
    >>> sol = solvers.solve(net, (0.0, 20.0), [0.2, 0.0], rtol=1e-8)
    >>> sol.y[-1].round(6)                # x = 1 / (2 beta (2 - x)): x = 1 - 1/sqrt(2)
    array([0.292893, 0.292893])
    """

    _ctor_args = _CTOR_ARGS

    def __init__(self, edges, nodes=None, sources=None, chi=0.9, alpha=1.0, beta=1.0,
                 R_off=1.0, window=None, window_p=1, form="nodal"):
        edges = _check_edges(edges)
        seen = {}
        for e in edges:
            for v in e[:2]:
                seen.setdefault(v, None)
        if nodes is None:
            nodes = list(seen)
        else:
            nodes = list(nodes)
            if len(set(nodes)) != len(nodes):
                dup = next(v for k, v in enumerate(nodes) if v in nodes[:k])
                raise ValueError(f"nodes: duplicate node name {dup!r}")
            known = set(nodes)
            for e in edges:
                for v in e[:2]:
                    if v not in known:
                        raise ValueError(f"{_edge_label(e)}: node {v!r} is not in nodes")
        chi = _real(chi, "chi", low=0.0, high=1.0, high_open=True)
        alpha = _real(alpha, "alpha", "frequency", low=0.0)
        beta = _real(beta, "beta", "flux", low=0.0, low_open=True)
        R_off = _real(R_off, "R_off", "resistance", low=0.0, low_open=True)
        if isinstance(window, str):
            window = window.lower()
        if window not in _WINDOWS:
            raise ValueError(f"unknown window {window!r}; known: None, 'joglekar'")
        window = None if window in (None, "none") else window
        if (isinstance(window_p, (bool, np.bool_)) or not isinstance(window_p, numbers.Integral)
                or window_p < 1):
            raise ValueError(f"window_p must be an integer >= 1, got {window_p!r}")
        window_p = int(window_p)
        if form not in _FORMS:
            raise ValueError(f"unknown form {form!r}; known: 'nodal', 'projector'")
        srcs = _edge_sources(sources, edges)

        index, roots, ground_idx, tree = _structure(nodes, edges)
        driven = [k for k, s in enumerate(srcs) if s is not None]
        enc = encode_sources([srcs[k] for k in driven])
        prefix = (chi, alpha, beta, _WINDOWS[window], window_p) + tuple(enc) + (
            np.array(driven, dtype=np.int64),)
        sym = _symbolic(len(nodes), index, set(ground_idx), edges)
        object.__setattr__(self, "_sym", sym)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_roots", roots)
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "_projector", None)
        self.edges = edges
        self.nodes = nodes
        self.n_edges = len(edges)
        self.n_nodes = len(nodes)
        if form == "nodal":
            params = prefix + tuple(sym[k] for k in ("tail", "head", "Lp", "Li", "Rp", "Rk",
                                                    "Rpos", "offA"))
            rhs, jac = _k.mem_nodal_rhs, _k.mem_nodal_jac
        else:
            params = prefix + (self.projector,)
            rhs, jac = _k.mem_proj_rhs, _k.mem_proj_jac
        super().__init__(rhs, len(edges), params=params, jac=jac, name="MemristiveNetwork")
        self.sources = srcs
        self.chi = chi
        self.alpha = alpha
        self.beta = beta
        self.R_off = R_off
        self.window = window
        self.window_p = window_p
        self.form = form
        self.ground = [nodes[i] for i in ground_idx]
        self.n_components = len(ground_idx)
        self.n_loops = self.n_edges - self.n_nodes + self.n_components
        self._freeze()

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_graph(cls, G, *, sources=None, source="source", chi=0.9, alpha=1.0, beta=1.0,
                   R_off=1.0, window=None, window_p=1, form="nodal"):
        """Build the network of a networkx graph whose edges are memristors.

        Node order is ``list(G.nodes)``; edge order and orientation are
        ``list(G.edges(keys=True))`` for multigraphs and ``list(G.edges)`` otherwise (a
        ``DiGraph`` arc ``u -> v`` is the edge ``(u, v)``; for undirected graphs the listed
        order of the two ends fixes the orientation, see the module docstring).

        Parameters
        ----------
        G : networkx.Graph, DiGraph, MultiGraph or MultiDiGraph
        sources : dict or sequence, optional
            As for the constructor; entries override the edge attribute.
        source : str
            Edge attribute read as the series source of that edge, if present.
        chi, alpha, beta, R_off, window, window_p, form : as for the constructor.

        Example
        -------
        A triangle with a 1 V source on one edge: one loop, current 1 / (3 R_off) everywhere.

        >>> import networkx as nx
        >>> G = nx.DiGraph([(0, 1), (1, 2), (2, 0)])
        >>> G.edges[0, 1]["source"] = 1.0
        >>> net = MemristiveNetwork.from_graph(G, chi=0.5)
        >>> net.n_loops, net.currents(np.zeros(3)).round(6)
        (1, array([0.333333, 0.333333, 0.333333]))
        >>> net.voltages(np.zeros(3)).round(6)       # node 0 is the ground
        array([0.      , 0.666667, 0.333333])
        """
        if G.is_multigraph():
            edges = list(G.edges(keys=True))
            data = [G.edges[e] for e in edges]
        else:
            edges = list(G.edges)
            data = [G.edges[e] for e in edges]
        srcs = [d.get(source) for d in data]
        if isinstance(sources, dict):
            for k, src in _dict_sources(sources, _check_edges(edges)).items():
                srcs[k] = src
        elif sources is not None:
            srcs = sources
        return cls(edges, nodes=list(G.nodes), sources=srcs, chi=chi, alpha=alpha, beta=beta,
                   R_off=R_off, window=window, window_p=window_p, form=form)

    def replace(self, **changes):
        """A copy with some constructor arguments changed (validated again; no recompilation).

        >>> net = MemristiveNetwork([(0, 1), (1, 0, 1)])
        >>> net.replace(form="projector").form
        'projector'
        """
        return FrozenModel.replace(self, **changes)

    # ------------------------------------------------------------ graph matrices

    @property
    def incidence(self):
        """The oriented incidence matrix ``B`` (``V x E``, SciPy CSR): ``B[u, e] = +1``,
        ``B[v, e] = -1`` for edge ``e = (u, v)``; zero column for a self-loop. It is
        ``-networkx.incidence_matrix(G, oriented=True)``.

        >>> MemristiveNetwork([("a", "b")]).incidence.toarray()
        array([[ 1.],
               [-1.]])
        """
        import scipy.sparse as sp

        rows, cols, vals = [], [], []
        for k, e in enumerate(self.edges):
            a, b = self._index[e[0]], self._index[e[1]]
            if a != b:
                rows += [a, b]
                cols += [k, k]
                vals += [1.0, -1.0]
        return sp.csr_array((vals, (rows, cols)), shape=(self.n_nodes, self.n_edges))

    @property
    def projector(self):
        """``Omega = I - B^T (B B^T)^+ B``, the orthogonal projector onto the cycle space
        (``E x E``, read-only), computed on first use and kept.

        >>> MemristiveNetwork([(0, 1), (1, 2), (2, 0)]).projector.round(6)
        array([[0.333333, 0.333333, 0.333333],
               [0.333333, 0.333333, 0.333333],
               [0.333333, 0.333333, 0.333333]])
        """
        if self._projector is None:
            object.__setattr__(self, "_projector", _ro(self._transfer(np.ones(self.n_edges))))
        return self._projector

    def loop_matrix(self):
        """A loop matrix ``A`` (``n_loops x E``): one row per fundamental cycle of a spanning
        forest (tree edges taken greedily in edge order), ``A[l, e] = +1`` where loop ``l``
        runs along edge ``e``'s orientation, ``-1`` against it. ``A B^T = 0`` and
        ``A^T (A A^T)^{-1} A`` equals :attr:`projector`.

        >>> MemristiveNetwork([(0, 1), (1, 2), (0, 2)]).loop_matrix()   # along (0, 2)
        array([[-1., -1.,  1.]])
        """
        tree = set(self._tree)
        V = self.n_nodes
        adj = [[] for _ in range(V)]
        for k in self._tree:
            a, b = self._index[self.edges[k][0]], self._index[self.edges[k][1]]
            adj[a].append((b, k, 1.0))   # walking a -> b follows edge k
            adj[b].append((a, k, -1.0))
        par = [(-1, -1, 0.0)] * V
        depth = [0] * V
        seen = [False] * V
        for r in range(V):
            if seen[r]:
                continue
            seen[r] = True
            stack = [r]
            while stack:
                a = stack.pop()
                for b, k, sgn in adj[a]:
                    if not seen[b]:
                        seen[b] = True
                        par[b] = (a, k, -sgn)  # walking b -> a (towards the root)
                        depth[b] = depth[a] + 1
                        stack.append(b)
        rows = []
        for k, e in enumerate(self.edges):
            if k in tree:
                continue
            row = np.zeros(self.n_edges)
            row[k] += 1.0
            # Close the loop from v back to u through the tree: v -> lca, then lca -> u.
            a, b = self._index[e[1]], self._index[e[0]]
            down = []
            while a != b:
                if depth[a] >= depth[b]:
                    p, kk, sgn = par[a]
                    row[kk] += sgn
                    a = p
                else:
                    p, kk, sgn = par[b]
                    down.append((kk, -sgn))  # walked later in the direction p -> b
                    b = p
            for kk, sgn in down:
                row[kk] += sgn
            rows.append(row)
        return np.array(rows).reshape(len(rows), self.n_edges)

    # ------------------------------------------------------------ circuit quantities

    def check_initial_state(self, x0):
        """``x0`` (one memory value per edge) as a float64 array, each value in ``[0, 1]``;
        otherwise an error naming the edge and the value.

        ``solvers.solve`` integrates whatever it is given: a memory beyond ``1/chi`` makes a
        resistance negative and the run stops at once with a non-finite state. Check a start
        here first (memories in ``(1, 1/chi)`` are finite but past the ON end of the device).

        >>> MemristiveNetwork([(0, 1), (1, 0, 1)]).check_initial_state([0.5, 1.5])
        Traceback (most recent call last):
        ...
        ValueError: x0[1] = 1.5 is outside [0, 1] (edge (1, 0, 1)): a memory must be in [0, 1] (x = 0 off, x = 1 on)
        """
        a = real_array("x0", x0, ndim=1, per="one memory value per edge")
        if a.shape != (self.n_edges,):
            raise ValueError(f"x0 has shape {a.shape}, expected ({self.n_edges},) (one memory "
                             "value per edge)")
        bad = np.flatnonzero((a < 0.0) | (a > 1.0))
        if bad.size:
            k = int(bad[0])
            raise ValueError(f"x0[{k}] = {float(a[k])!r} is outside [0, 1] "
                             f"({_edge_label(self.edges[k])}): a memory must be in [0, 1] "
                             "(x = 0 off, x = 1 on)")
        return np.array(a)

    def _states(self, x, what="x"):
        a = state_batch(x, self.n_edges, what, "one memory value per edge")
        if self.chi > 0.0:
            over = a >= 1.0 / self.chi
            if over.any():
                k = tuple(int(i) for i in np.argwhere(over)[0])
                raise ValueError(f"{what}[{', '.join(map(str, k))}] = {float(a[k])!r}: "
                                 f"resistance R_off (1 - chi x) is not positive for x >= 1/chi "
                                 f"= {1.0 / self.chi!r} ({_edge_label(self.edges[k[-1]])})")
        return a

    def source_values(self, t=0.0):
        """The series source voltage of every edge at time ``t`` (0 where there is none).

        >>> from circuits.sources import Sine
        >>> MemristiveNetwork([(0, 1), (1, 0, 1)], sources=[Sine(1.0, 0.25), 2.0]
        ...                   ).source_values(1.0)
        array([1., 2.])
        """
        t = _real(t, "t", "time")
        S = np.zeros(self.n_edges)
        for k, s in enumerate(self.sources):
            if s is not None:
                S[k] = s(t)
        return S

    def _laplacian(self, g):
        import scipy.sparse as sp

        sym = self._sym
        tail, head = sym["tail"], sym["head"]
        n = sym["perm"].size
        m = (tail >= 0) & (head >= 0)
        ii = np.concatenate([tail[tail >= 0], head[head >= 0], tail[m], head[m]])
        jj = np.concatenate([tail[tail >= 0], head[head >= 0], head[m], tail[m]])
        vv = np.concatenate([g[tail >= 0], g[head >= 0], -g[m], -g[m]])
        return sp.csc_matrix((vv, (ii, jj)), shape=(n, n)), tail, head, n

    def _reduced_B(self):
        import scipy.sparse as sp

        tail, head, n = self._sym["tail"], self._sym["head"], self._sym["perm"].size
        E = self.n_edges
        k = np.arange(E)
        rows = np.concatenate([tail[tail >= 0], head[head >= 0]])
        cols = np.concatenate([k[tail >= 0], k[head >= 0]])
        vals = np.concatenate([np.ones(int((tail >= 0).sum())), -np.ones(int((head >= 0).sum()))])
        return sp.csc_matrix((vals, (rows, cols)), shape=(n, E))

    def _transfer(self, g):
        """``T = G - G B_r^T (B_r G B_r^T)^{-1} B_r G`` (dense), ``Omega`` when g = 1."""
        from scipy.linalg import cho_factor, cho_solve

        Lap, _, _, n = self._laplacian(g)
        T = np.diag(g)
        if n:
            # Dense Cholesky: T is E x E dense anyway and n < E, so this costs no more memory,
            # and it beat SuperLU's many-right-hand-side solve 0.8 s to ~0.02 s at E = 1000.
            BG = self._reduced_B().toarray() * g
            Y = cho_solve(cho_factor(Lap.toarray()), BG)
            T = T - BG.T @ Y
        return 0.5 * (T + T.T)

    def _solve_state(self, x, t):
        from scipy.sparse.linalg import splu

        g = 1.0 / (1.0 - self.chi * x)
        S = self.source_values(t)
        Lap, tail, head, n = self._laplacian(g)
        phi_r = np.zeros(n)
        if n:
            b = np.zeros(n)
            np.add.at(b, tail[tail >= 0], -(g * S)[tail >= 0])
            np.add.at(b, head[head >= 0], (g * S)[head >= 0])
            phi_r = splu(Lap).solve(b)
        ext = np.append(phi_r, 0.0)  # index -1 reads the ground
        z = g * (ext[tail] - ext[head] + S)
        phi = np.zeros(self.n_nodes)
        phi[self._sym["perm"]] = phi_r
        return z, phi

    def _over(self, x, t, fn):
        x = self._states(x)
        t_arr = real_array("t", physical("t", t, "time"), finite=False)
        if x.ndim == 1 and t_arr.ndim == 0:
            return fn(x, float(t_arr))
        flat = x.reshape(-1, self.n_edges)
        ts = np.broadcast_to(t_arr, flat.shape[:1]) if t_arr.ndim == 0 else t_arr.reshape(-1)
        if ts.shape[0] != flat.shape[0]:
            raise ValueError(f"t has {ts.shape[0]} times for {flat.shape[0]} states")
        out = np.array([fn(xi, float(ti)) for xi, ti in zip(flat, ts)])
        return out.reshape(x.shape[:-1] + out.shape[1:])

    def currents(self, x, t=0.0):
        """Edge currents (amperes, positive from ``u`` to ``v``) at memory state(s) ``x``,
        time(s) ``t``, by nodal analysis. ``x`` of shape ``(E,)`` or ``(k, E)`` (then ``t`` a
        scalar or ``k`` times, e.g. ``sol.t``).

        >>> net = MemristiveNetwork([(0, 1), (1, 0, 1)], sources={(0, 1): 2.0}, chi=0.5,
        ...                         R_off=10.0)
        >>> net.currents([1.0, 0.0])      # 2 V over 5 + 10 ohm, 0 -> 1 -> 0
        array([0.13333333, 0.13333333])
        """
        return self._over(x, t, lambda xi, ti: self._solve_state(xi, ti)[0] / self.R_off)

    def voltages(self, x, t=0.0):
        """Node potentials (volts) at state(s) ``x`` and time(s) ``t``, each component's
        ground node (``model.ground``) at 0; shape ``(V,)`` or ``(k, V)`` in node order.

        >>> net = MemristiveNetwork([("g", "a"), ("a", "g", 1)], sources={("g", "a"): 2.0},
        ...                         chi=0.5)
        >>> net.voltages([0.0, 0.0])
        array([0., 1.])
        """
        return self._over(x, t, lambda xi, ti: self._solve_state(xi, ti)[1])

    def energy(self, x, t=0.0):
        """The Lyapunov function ``L(x)`` (module docstring) for the sources at time ``t``.

        Along trajectories of constant sources without window that stay in ``[0, 1/chi)``,
        ``dL/dt = -(dx/dt)^T (X - chi X Omega X) (dx/dt) <= 0``. Shape ``()`` or ``(k,)``.

        >>> net = MemristiveNetwork([(0, 1), (1, 0, 1)], sources={(0, 1): 1.0}, chi=0.5)
        >>> float(net.energy([0.0, 0.0])), round(float(net.energy([0.5, 0.5])), 6)
        (0.0, -0.057292)
        """
        Om = self.projector
        a, b, c = self.alpha, self.beta, self.chi

        def one(xi, ti):
            x2 = xi * xi
            OS = Om @ self.source_values(ti)
            return (a / 3.0) * (x2 @ xi) - (x2 @ OS) / (2.0 * b) - (a * c / 4.0) * (x2 @ Om @ x2)

        return self._over(x, t, one)

    lyapunov = energy

    def __repr__(self):
        w = f", window={self.window!r}" if self.window else ""
        return (f"MemristiveNetwork(edges={self.n_edges}, nodes={self.n_nodes}, "
                f"loops={self.n_loops}, chi={self.chi}, form={self.form!r}{w})")
