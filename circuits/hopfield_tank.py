"""The analog Hopfield–Tank circuit (Hopfield & Tank 1985) and its travelling-salesman network.

The circuit: amplifier ``i`` has input voltage ``u_i`` on a capacitance ``C_i`` leaking through
``R_i``, output ``V_i = g(u_i)``, and receives currents ``T_ij V_j`` through conductances and
a bias current ``I_i``:

    C_i du_i/dt = sum_j T_ij V_j - u_i / R_i + I_i,        V_i = g(u_i) = (1 + tanh(u_i/u0_i)) / 2.

Since ``(1 + tanh(x)) / 2 = 1 / (1 + e^{-2x})``, ``g`` is the logistic sigmoid with gain
``2 / u0``: :class:`HopfieldTank` is a :class:`neurodyn.ContinuousHopfield` with
``activation="sigmoid"`` and ``gain = 2 / u0`` and shares its compiled kernels (no new
compilation), its analytic Jacobian and its energy

    E = -1/2 V^T T V - I^T V + sum_i (1/R_i) integral_{1/2}^{V_i} g_i^{-1}(v) dv,

which never increases for a symmetric ``T`` (``dE/dt = -sum_i C_i (dV_i/dt)(du_i/dt) <= 0``).
``T`` may have a nonzero diagonal (the TSP network does: ``T_{Xi,Xi} = -C``).

The TSP network (Hopfield & Tank 1985, section "The TSP")
---------------------------------------------------------
For ``n`` cities, neuron ``(X, i)`` (index ``X * n + i``) is on when city ``X`` is visited at
position ``i`` of the tour; a valid tour is a permutation matrix ``V[X, i]``. The energy

    E = A/2 sum_X sum_i sum_{j != i} V_Xi V_Xj            (one position per city)
      + B/2 sum_i sum_X sum_{Y != X} V_Xi V_Yi            (one city per position)
      + C/2 (sum_X sum_i V_Xi - n_bar)^2                  (n cities on in all)
      + D/2 sum_X sum_{Y != X} sum_i d_XY V_Xi (V_{Y,i+1} + V_{Y,i-1})   (tour length)

(positions modulo n) equals ``-1/2 V^T T V - I^T V + C n_bar^2 / 2`` with

    T_{Xi,Yj} = -A delta_XY (1 - delta_ij) - B delta_ij (1 - delta_XY) - C
                - D d_XY (delta_{j,i+1} + delta_{j,i-1}),
    I_Xi      = C n_bar,

the paper's equations (10)-(11). The paper's values for n = 10: ``A = B = 500``, ``C = 200``,
``D = 500``, ``n_bar = 15``, ``u0 = 0.02``, ``tau = R C = 1``; its start is ``u = u00 + du``
with ``u00`` such that ``sum V = n`` (every ``V = 1/n``: ``u00 = -(u0/2) ln(n - 1)``) and
``du`` uniform in ``[-0.1 u0, 0.1 u0]``.

The network is a heuristic: it often ends in a valid short tour, sometimes in an invalid
matrix (Wilson & Pawley 1988 found the latter common for other cities and parameters).
:func:`decode_tour` says which; :func:`shortest_tour` gives the optimum for comparison.

References: J. J. Hopfield & D. W. Tank, "'Neural' computation of decisions in optimization
problems", Biol. Cybern. 52, 141-152 (1985); J. J. Hopfield, PNAS 81, 3088 (1984);
G. V. Wilson & G. S. Pawley, Biol. Cybern. 58, 63-70 (1988).
"""
from __future__ import annotations

import math

import numpy as np

from neurodyn._model import FrozenModel, check_node_names, node_values, physical
from solvers._checks import check_allocation, count, real_array, real_number, rng_from_seed
from neurodyn.continuous_hopfield import ContinuousHopfield
from neurodyn.ctrnn import _vector

__all__ = ["HopfieldTank", "decode_tour", "tour_length", "shortest_tour", "tsp_weights",
           "tsp_start"]

_CTOR_ARGS = ("T", "C", "R", "I", "u0", "allow_asymmetric", "nodes")


def _positive_number(value, name):
    x = real_number(name, value)
    if not x > 0.0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return x


def _number(value, name):
    return real_number(name, value)


def _distances(d):
    """A checked (n, n) float64 distance matrix: finite, >= 0, symmetric, zero diagonal."""
    D = np.array(real_array("distances", d, finite=False), dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"distances must be square, shape (n, n); got {D.shape}")
    n = D.shape[0]
    if n < 2:
        raise ValueError(f"a tour needs at least 2 cities, got {n}")
    bad = ~np.isfinite(D) | (D < 0.0)
    if bad.any():
        X, Y = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"distances[{X}, {Y}] = {float(D[X, Y])!r}: distances must be finite "
                         "and >= 0")
    diag = np.flatnonzero(np.diagonal(D))
    if diag.size:
        X = int(diag[0])
        raise ValueError(f"distances[{X}, {X}] = {float(D[X, X])!r}: a city's distance to "
                         "itself must be 0")
    asym = np.abs(D - D.T)
    if asym.max() > 1e-12 * max(float(D.max()), 1e-300):
        X, Y = (int(v) for v in np.unravel_index(np.argmax(asym), asym.shape))
        raise ValueError(f"distances are not symmetric: d[{X}, {Y}] = {float(D[X, Y])!r} but "
                         f"d[{Y}, {X}] = {float(D[Y, X])!r}; the Hopfield–Tank network (and "
                         "its energy) needs d_XY = d_YX")
    return 0.5 * (D + D.T)


def tsp_weights(distances, A=500.0, B=500.0, C=200.0, D=500.0, n_bar=None):
    """Hopfield & Tank's (1985) TSP weights ``T`` (n^2, n^2) and bias currents ``I`` (n^2,).

    Neuron ``(X, i)`` (city X at tour position i) has index ``X * n + i``. Formula in the
    module docstring; ``n_bar`` defaults to ``1.5 n`` (the paper's 15 for 10 cities).

    >>> T, I = tsp_weights([[0, 1, 2], [1, 0, 1], [2, 1, 0]], n_bar=3)
    >>> T.shape, I[:3]
    ((9, 9), array([600., 600., 600.]))
    >>> float(T[0, 0]), float(T[0, 1]), float(T[0, 3]), float(T[0, 4])   # (A,0) with others
    (-200.0, -700.0, -700.0, -700.0)
    """
    d = _distances(distances)
    n = d.shape[0]
    A, B, C, D = (_number(v, k) for v, k in ((A, "A"), (B, "B"), (C, "C"), (D, "D")))
    n_bar = 1.5 * n if n_bar is None else _number(n_bar, "n_bar")
    check_allocation(f"tsp_weights: the weights T of {n} cities ({n * n} neurons) and the "
                     "three einsum terms they are summed from", (4, n * n, n * n),
                     hint="the Hopfield-Tank TSP network has n^2 neurons and n^4 weights")
    eye = np.eye(n)
    # Cyclic neighbours of position i: S[i, j] = delta_{j,i+1} + delta_{j,i-1} (2 for n = 2).
    S = np.roll(eye, 1, axis=1) + np.roll(eye, -1, axis=1)
    # T[(X,i),(Y,j)] as a 4-index array T4[X, i, Y, j], reshaped to (n^2, n^2).
    T4 = (-A * np.einsum("XY,ij->XiYj", eye, 1.0 - eye)
          - B * np.einsum("XY,ij->XiYj", 1.0 - eye, eye)
          - C
          - D * np.einsum("XY,ij->XiYj", d, S))
    T = T4.reshape(n * n, n * n)
    return T, np.full(n * n, C * n_bar)


def _tour_matrix(V):
    a = real_array("V", V, finite=False)
    if a.ndim == 1:
        n = math.isqrt(a.size)
        if n * n != a.size or n < 2:
            raise ValueError(f"V has {a.size} entries, not n^2 for a number of cities n >= 2")
        a = a.reshape(n, n)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"V must be an (n, n) matrix V[city, position] or its n^2 flattening; "
                         f"got shape {a.shape}")
    if not np.isfinite(a).all():
        X, i = (int(v) for v in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"V[{X}, {i}] = {float(a[X, i])!r} is not finite")
    return a


def decode_tour(V, threshold=0.5, strict=True):
    """The tour encoded by outputs ``V[X, i]`` (city X at position i), or why there is none.

    A neuron is *on* when ``V > threshold``. The matrix of on-neurons must be a permutation
    matrix (exactly one per row and per column); then ``tour[i]`` is the city at position i.

    Parameters
    ----------
    V : array_like, shape (n, n) or (n * n,)
        Outputs, e.g. ``net.output(u)`` of a :meth:`HopfieldTank.tsp` network.
    threshold : float
    strict : bool
        Invalid matrix: raise ValueError saying which city or position is wrong (default), or
        return None.

    >>> decode_tour([[0, 1, 0], [0, 0, 1], [1, 0, 0]])   # city 0 second, city 1 third, ...
    [2, 0, 1]
    >>> decode_tour([[1, 1, 0], [0, 0, 1], [0, 0, 0]])
    Traceback (most recent call last):
    ...
    ValueError: not a valid tour: city 0 is on at 2 positions [0, 1]; city 2 is on at no position
    >>> decode_tour(np.full((3, 3), 0.4), strict=False) is None
    True
    """
    a = _tour_matrix(V)
    on = a > float(threshold)
    n = a.shape[0]
    problems = []
    for X in range(n):
        pos = np.flatnonzero(on[X]).tolist()
        if len(pos) != 1:
            problems.append(f"city {X} is on at " + (f"{len(pos)} positions {pos}" if pos
                                                    else "no position"))
    for i in range(n):
        cities = np.flatnonzero(on[:, i]).tolist()
        if len(cities) != 1:
            problems.append(f"position {i} holds " + (f"{len(cities)} cities {cities}"
                                                      if cities else "no city"))
    if problems:
        if strict:
            raise ValueError("not a valid tour: " + "; ".join(problems))
        return None
    return [int(np.flatnonzero(on[:, i])[0]) for i in range(n)]


def tour_length(tour, distances):
    """Length of the closed tour ``tour`` (cities in visiting order, back to the start).

    >>> tour_length([0, 2, 1], [[0, 1, 2], [1, 0, 1], [2, 1, 0]])
    4.0
    """
    d = _distances(distances)
    t = list(tour)
    n = d.shape[0]
    if sorted(t) != list(range(n)):
        raise ValueError(f"tour {t} must visit each of the {n} cities 0..{n - 1} exactly once")
    return float(sum(d[t[k], t[(k + 1) % n]] for k in range(n)))


def shortest_tour(distances):
    """An optimal tour and its length, by Held–Karp dynamic programming, O(2^n n^2).

    Exact, for comparison with what the network finds; practical up to about 15 cities.
    The tour starts at city 0 and, of its two directions, is the one whose second city has
    the smaller index.

    >>> shortest_tour([[0, 1, 2, 1], [1, 0, 1, 2], [2, 1, 0, 1], [1, 2, 1, 0]])
    ([0, 1, 2, 3], 4.0)
    """
    d = _distances(distances)
    n = d.shape[0]
    if n > 20:
        raise ValueError(f"shortest_tour is exponential in n; {n} cities is too many (max 20)")
    m = n - 1  # cities 1..n-1, bit k-1 for city k
    full = 1 << m
    cost = np.full((full, m), np.inf)
    parent = np.full((full, m), -1, dtype=np.int64)
    for k in range(m):
        cost[1 << k, k] = d[0, k + 1]
    # Subsets in increasing order: every subset's predecessors (fewer bits) come first.
    for S in range(1, full):
        members = [k for k in range(m) if S >> k & 1]
        if len(members) < 2:
            continue
        for k in members:
            prev = S & ~(1 << k)
            cand = [cost[prev, j] + d[j + 1, k + 1] for j in members if j != k]
            js = [j for j in members if j != k]
            best = int(np.argmin(cand))
            cost[S, k] = cand[best]
            parent[S, k] = js[best]
    closing = cost[full - 1] + d[1:, 0]
    k = int(np.argmin(closing))
    length = float(closing[k])
    tour, S = [], full - 1
    while k >= 0:
        tour.append(k + 1)
        S, k = S & ~(1 << k), int(parent[S, k])
    tour = [0] + tour[::-1]
    if n > 2 and tour[1] > tour[-1]:
        tour = [0] + tour[:0:-1]  # of the two directions, the one with the smaller 2nd city
    return tour, length


class HopfieldTank(ContinuousHopfield):
    """Hopfield & Tank's analog circuit, ready for ``solvers.solve`` (state ``u``, volts).

    ``C_i du_i/dt = sum_j T_ij V_j - u_i / R_i + I_i`` with ``V_i = (1 + tanh(u_i/u0_i)) / 2``,
    i.e. :class:`neurodyn.ContinuousHopfield` with the sigmoid of gain ``2 / u0`` (module
    docstring). Everything of ContinuousHopfield applies: ``output``, ``energy`` (a Lyapunov
    function for symmetric ``T``), the analytic Jacobian, ``to_graph``.

    Parameters
    ----------
    T : array_like, shape (n, n)
        ``T[i, j]``: conductance from amplifier ``j``'s output to ``i``'s input (negative for
        an inverting connection). Symmetric unless ``allow_asymmetric``; any diagonal.
    C, R : float or array_like (n,)
        Capacitances and resistances, positive (``tau = R C``).
    I : float or array_like (n,)
        Bias currents.
    u0 : float or array_like (n,)
        Amplifier gain scale, positive: ``V = (1 + tanh(u/u0)) / 2``.
    allow_asymmetric, nodes : as for ContinuousHopfield.

    Units are SI when the circuit is physical (siemens, farads, ohms, amperes, volts; time in
    seconds): ``T``, ``C``, ``R``, ``I`` and ``u0`` also take brian2 quantities, converted to
    SI after a check of their dimension (a wrong one is an error naming the argument). Plain
    numbers are taken as they are, so the dimensionless networks of the literature (the TSP
    network's ``tau = 1``) need no units. States, times and the solver's options stay plain
    numbers (volts and seconds here).

    Example
    -------
    Two mutually inhibiting amplifiers, biased on: one wins, and the energy never rises.

    >>> import solvers
    >>> net = HopfieldTank([[0.0, -2.0], [-2.0, 0.0]], I=1.0, u0=0.1)
    >>> net.gain                                   # the sigmoid's gain 2 / u0
    array([20., 20.])
    >>> sol = solvers.solve(net, (0.0, 20.0), [0.01, 0.0], t_eval=np.linspace(0, 20, 41),
    ...                     rtol=1e-9, atol=1e-12)
    >>> net.output(sol.y[-1]).round(3)
    array([1., 0.])
    >>> bool(np.all(np.diff(net.energy(sol.y)) <= 1e-12))
    True

    The parameters of a physical circuit may be brian2 quantities (converted to SI):

    >>> from brian2 import kohm, mV, nF, uS
    >>> tank = HopfieldTank([[0.0, -2.0], [-2.0, 0.0]] * uS, C=10 * nF, R=100 * kohm, u0=100 * mV)
    >>> tank.u0, tank.R
    (array([0.1, 0.1]), array([100000., 100000.]))
    """

    _ctor_args = _CTOR_ARGS

    def __init__(self, T, C=1.0, R=1.0, I=0.0, u0=1.0, allow_asymmetric=False, nodes=None):
        # Quantities become SI numbers here: ContinuousHopfield refuses them (it has no units).
        T = physical("T", T, "conductance")
        C = physical("C", C, "capacitance")
        R = physical("R", R, "resistance")
        I = physical("I", I, "current")  # noqa: E741 - the circuit's name for it
        u0 = physical("u0", u0, "voltage")
        try:
            shape = np.shape(T)
        except ValueError as exc:  # ragged nested lists
            raise ValueError(f"T must be a square array of real numbers: {exc}") from None
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"T must be square: expected shape (n, n), got {shape}")
        n = shape[0]
        names = check_node_names(nodes, n, per="row of T")
        u0 = _vector(u0, n, "u0", names, positive=True)
        self.u0 = u0
        super().__init__(T, C=C, R=R, I=I, gain=2.0 / u0, activation="sigmoid",
                         allow_asymmetric=allow_asymmetric, nodes=nodes)
        # The kernels are ContinuousHopfield's; only the name in solver messages differs.
        object.__setattr__(self, "name", "HopfieldTank")

    def replace(self, **changes):
        """A copy with some constructor arguments changed (validated again; no recompilation).

        >>> HopfieldTank(np.zeros((2, 2)), u0=0.5).replace(u0=0.25).gain
        array([8., 8.])
        """
        return FrozenModel.replace(self, **changes)

    @classmethod
    def from_graph(cls, G, *, weight="weight", C=1.0, R=1.0, I=0.0, u0=1.0,
                   default_weight=None, allow_asymmetric=False):
        """Build a circuit from a networkx graph (as :meth:`ContinuousHopfield.from_graph`).

        Node attributes ``C``, ``R``, ``I`` and ``u0`` (defaults as given); edges as for
        ContinuousHopfield (an undirected edge ``u - v`` sets ``T[u, v] = T[v, u]``).

        >>> import networkx as nx
        >>> G = nx.Graph()
        >>> G.add_node("x", u0=0.5)
        >>> G.add_edge("x", "y", weight=-2.0)
        >>> net = HopfieldTank.from_graph(G)
        >>> net.u0, float(net.T[0, 1])
        (array([0.5, 1. ]), -2.0)
        >>> HopfieldTank.from_graph(net.to_graph()).u0          # a round trip
        array([0.5, 1. ])
        """
        C, R = physical("C", C, "capacitance"), physical("R", R, "resistance")
        I, u0 = physical("I", I, "current"), physical("u0", u0, "voltage")  # noqa: E741
        base = ContinuousHopfield.from_graph(
            G, weight=weight, C=C, R=R, I=I, gain=1.0, activation="sigmoid",
            default_weight=default_weight, allow_asymmetric=allow_asymmetric)
        u0 = node_values(G, base.nodes, "u0", u0)
        return cls(base.T, C=base.C, R=base.R, I=base.I, u0=u0,
                   allow_asymmetric=allow_asymmetric, nodes=base.nodes)

    def to_graph(self, weight="weight"):
        """The circuit as a networkx graph; nodes carry ``C``, ``R``, ``I`` and ``u0``.

        >>> HopfieldTank([[0.0, 1.0], [1.0, 0.0]], u0=0.1).to_graph().nodes[0]
        {'C': 1.0, 'R': 1.0, 'I': 0.0, 'u0': 0.1}
        """
        G = ContinuousHopfield.to_graph(self, weight)
        for i, v in enumerate(self.nodes):
            del G.nodes[v]["gain"]
            G.nodes[v]["u0"] = float(self.u0[i])
        return G

    @classmethod
    def tsp(cls, distances, A=500.0, B=500.0, C=200.0, D=500.0, n_bar=None, u0=0.02,
            tau=1.0):
        """Hopfield & Tank's (1985) network for the travelling-salesman problem.

        Neuron ``(X, i)`` (index ``X * n + i``, node name ``(X, i)``) means "city X is at
        position i". Weights and biases from :func:`tsp_weights`; ``R = 1``, ``C = tau``.

        Parameters
        ----------
        distances : array_like (n, n)
            Symmetric, zero diagonal, finite and >= 0.
        A, B, C, D : float
            Penalty weights (module docstring); the paper's ``A = B = 500``, ``C = 200``,
            ``D = 500``.
        n_bar : float, optional
            Target number of active neurons in the C term; default ``1.5 n`` (the paper used
            15 for 10 cities: more than n, to pull the outputs up against the A, B terms).
        u0 : float
            Gain scale; the paper's 0.02.
        tau : float
            Time constant ``R C`` (``R = 1``); the paper's 1.

        Example
        -------
        >>> d = [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
        >>> net = HopfieldTank.tsp(d, n_bar=3)
        >>> net.n_states, net.nodes[:4]
        (9, [(0, 0), (0, 1), (0, 2), (1, 0)])
        >>> u = tsp_start(3, u0=0.02, noise=0.0)          # every V = 1/n: sum V = n
        >>> float(net.output(u).sum())
        3.0...
        """
        dist = _distances(distances)
        n = dist.shape[0]
        T, I = tsp_weights(dist, A=A, B=B, C=C, D=D, n_bar=n_bar)
        tau = _positive_number(tau, "tau")
        nodes = [(X, i) for X in range(n) for i in range(n)]
        return cls(T, C=tau, R=1.0, I=I, u0=_positive_number(u0, "u0"), nodes=nodes)

    def __repr__(self):
        sym = ", asymmetric" if self.allow_asymmetric else ""
        return f"HopfieldTank(n={self.n_states}{sym})"


def tsp_start(n_cities, u0=0.02, noise=0.1, seed=None):
    """Hopfield & Tank's initial state for ``n_cities``: ``u = u00 + du``.

    ``u00 = -(u0/2) ln(n - 1)`` gives every ``V = 1/n`` (so ``sum V = n``); ``du`` is uniform
    in ``[-noise u0, noise u0]`` (the paper: ``noise = 0.1``), drawn from
    ``numpy.random.default_rng(seed)``.

    >>> u = tsp_start(10, seed=1)
    >>> u.shape, round(float(np.median(u)), 3)
    ((100,), -0.022)
    """
    n = count("n_cities", n_cities, low=2)
    u0 = _positive_number(u0, "u0")
    noise = real_number("noise", noise, nonnegative=True)
    rng = rng_from_seed("seed", seed)
    u00 = -0.5 * u0 * math.log(n - 1)
    return u00 + rng.uniform(-noise * u0, noise * u0, n * n)

