"""MemristiveNetwork (CTDV) against graph theory, nodal analysis, closed forms and SciPy."""
import math
import pickle

import networkx as nx
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import solvers
from circuits.network import MemristiveNetwork
from circuits.sources import Sine, Triangle
from neurodyn.analysis.energy import energy_along


def random_multigraph(seed, n=9, m=18):
    """A seeded random multigraph with parallel edges, a self-loop and two components."""
    rng = np.random.default_rng(seed)
    G = nx.MultiGraph()
    G.add_nodes_from(range(n + 3))
    for _ in range(m):
        u, v = (int(a) for a in rng.choice(n, 2, replace=False))
        G.add_edge(u, v)
    G.add_edge(0, 0)                       # a memristor closed on itself
    G.add_edges_from([(n, n + 1), (n + 1, n + 2), (n + 2, n)])  # a separate triangle
    return G


def driven(G, seed, amp=0.4, time_varying=True):
    rng = np.random.default_rng(seed)
    edges = list(G.edges(keys=True)) if G.is_multigraph() else list(G.edges)
    src = {}
    for k in rng.choice(len(edges), max(1, len(edges) // 3), replace=False):
        if time_varying and k % 3 == 0:
            src[edges[k]] = Sine(amp, float(rng.uniform(0.2, 1.0)), phase=float(rng.normal()))
        elif time_varying and k % 3 == 1:
            src[edges[k]] = Triangle(amp, float(rng.uniform(0.2, 1.0)), offset=0.1)
        else:
            src[edges[k]] = float(rng.uniform(-amp, amp))
    return src


def ctdv_z(net, x, t, omega):
    """z = (I - chi Omega X)^{-1} Omega S, the formula of the papers, with a given Omega."""
    E = net.n_edges
    return np.linalg.solve(np.eye(E) - net.chi * omega * x, omega @ net.source_values(t))


def oriented_cycle_basis(G, edges):
    """Loop matrix from networkx's cycle_basis (simple graphs): +1 along an edge's orientation."""
    col = {e: k for k, e in enumerate(edges)}
    rows = []
    for cyc in nx.cycle_basis(G.to_undirected() if G.is_directed() else G):
        row = np.zeros(len(edges))
        for a, b in zip(cyc, cyc[1:] + cyc[:1]):
            if (a, b) in col:
                row[col[(a, b)]] += 1.0
            else:
                row[col[(b, a)]] -= 1.0
        rows.append(row)
    return np.array(rows)


# ----------------------------------------------------------------------------- projector

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_projector_is_the_cycle_space_projector(seed):
    for G in (random_multigraph(seed), nx.gnm_random_graph(14, 30, seed=seed),
              nx.gnm_random_graph(20, 22, seed=seed)):  # the last one has several components
        net = MemristiveNetwork.from_graph(G)
        Om = net.projector
        E, V = G.number_of_edges(), G.number_of_nodes()
        c = nx.number_connected_components(G)
        assert np.abs(Om - Om.T).max() < 1e-12
        assert np.abs(Om @ Om - Om).max() < 1e-12
        assert net.n_loops == E - V + c
        assert abs(np.trace(Om) - (E - V + c)) < 1e-10
        # The range is the cycle space: B Omega = 0, and Omega fixes every loop vector.
        B = net.incidence.toarray()
        A = net.loop_matrix()
        assert A.shape == (E - V + c, E)
        assert np.abs(B @ Om).max() < 1e-12 and np.abs(A @ B.T).max() == 0.0
        assert np.abs(A.T @ np.linalg.solve(A @ A.T, A) - Om).max() < 1e-12
        assert np.linalg.matrix_rank(A) == E - V + c


def test_projector_from_networkx_cycle_basis_and_either_incidence_sign():
    G = nx.gnm_random_graph(12, 25, seed=3)
    edges = list(G.edges)
    net = MemristiveNetwork.from_graph(G)
    A = oriented_cycle_basis(G, edges)
    assert np.abs(A.T @ np.linalg.solve(A @ A.T, A) - net.projector).max() < 1e-12
    # networkx's oriented incidence matrix is -B; Omega does not see the sign.
    N = nx.incidence_matrix(G, nodelist=list(G.nodes), edgelist=edges, oriented=True).toarray()
    B = net.incidence.toarray()
    assert np.array_equal(B, -N)
    u, v = edges[0]
    assert B[list(G.nodes).index(u), 0] == 1.0 and B[list(G.nodes).index(v), 0] == -1.0
    for M in (N, B):
        Om = np.eye(len(edges)) - M.T @ np.linalg.pinv(M @ M.T) @ M
        assert np.abs(Om - net.projector).max() < 1e-12


# ----------------------------------------------------------------------------- currents

@pytest.mark.parametrize("seed", [0, 1])
def test_ctdv_currents_equal_nodal_analysis(seed):
    G = random_multigraph(seed)
    net = MemristiveNetwork.from_graph(G, sources=driven(G, seed), chi=0.85, R_off=3.0)
    rng = np.random.default_rng(seed)
    A = net.loop_matrix()
    omega_loops = A.T @ np.linalg.solve(A @ A.T, A)  # Omega built from loops, not from nodes
    for t in (0.0, 0.37, 2.5):
        x = rng.uniform(0.0, 1.0, net.n_edges)
        i = net.currents(x, t)
        z = ctdv_z(net, x, t, omega_loops)
        assert np.abs(i * net.R_off - z).max() < 1e-10
        # Kirchhoff independently: current law at every node, and R_e i_e = phi_u - phi_v + S_e.
        B = net.incidence.toarray()
        phi = net.voltages(x, t)
        assert np.abs(B @ i).max() < 1e-12
        R = net.R_off * (1.0 - net.chi * x)
        assert np.abs(R * i - (B.T @ phi + net.source_values(t))).max() < 1e-12
        assert all(phi[list(net.nodes).index(g)] == 0.0 for g in net.ground)


def test_series_loop_by_hand_and_source_orientation():
    # Ohm's law around one loop: 3 V over R_off (1 - chi x) summed, u -> v positive.
    net = MemristiveNetwork([("a", "b"), ("b", "c"), ("c", "a")], sources={("b", "c"): 3.0},
                            chi=0.5, R_off=2.0)
    x = np.array([0.0, 1.0, 0.5])
    R = 2.0 * (1.0 - 0.5 * x)
    assert np.allclose(net.currents(x), 3.0 / R.sum(), rtol=1e-14)
    # The same loop with edge (b, c) listed the other way round carries the opposite current.
    flip = MemristiveNetwork([("a", "b"), ("c", "b"), ("c", "a")], sources={("c", "b"): -3.0},
                             chi=0.5, R_off=2.0)
    assert np.allclose(flip.currents(x), np.array([1.0, -1.0, 1.0]) * (3.0 / R.sum()), rtol=1e-14)
    with pytest.raises(ValueError, match="oriented the other way"):
        MemristiveNetwork([("a", "b"), ("c", "b"), ("c", "a")], sources={("b", "c"): 3.0})
    # Batches: k states at k times.
    xs = np.array([x, x * 0.5])
    assert net.currents(xs, [0.0, 1.0]).shape == (2, 3)
    assert net.voltages(xs).shape == (2, 3)


# ----------------------------------------------------------------------------- kernels

def _rhs(net, t, x):
    d = np.empty(net.n_edges)
    net.rhs(t, x, net.params, d)
    return d


def _jac(net, t, x):
    J = np.empty((net.n_edges, net.n_edges))
    net.jac(t, x, net.params, J)
    return J


@pytest.mark.parametrize("window", [None, "joglekar"])
def test_nodal_and_projector_kernels_agree_with_the_formula(window):
    G = random_multigraph(4)
    net = MemristiveNetwork.from_graph(G, sources=driven(G, 4), chi=0.9, alpha=0.6, beta=1.7,
                                       window=window, window_p=2)
    proj = net.replace(form="projector")
    rng = np.random.default_rng(1)
    for t in (0.0, 1.3):
        x = rng.uniform(0.0, 1.0, net.n_edges)
        z = ctdv_z(net, x, t, net.projector)
        F = 1.0 - (2 * x - 1) ** 4 if window else 1.0
        ref = F * z / net.beta - net.alpha * x
        a, b = _rhs(net, t, x), _rhs(proj, t, x)
        assert np.abs(a - ref).max() < 1e-12 and np.abs(b - ref).max() < 1e-12
        assert np.abs(a - b).max() < 1e-12


@pytest.mark.parametrize("form", ["nodal", "projector"])
@pytest.mark.parametrize("window", [None, "joglekar"])
def test_analytic_jacobian_matches_finite_differences(form, window):
    G = random_multigraph(5, n=7, m=14)
    net = MemristiveNetwork.from_graph(G, sources=driven(G, 5, amp=1.0), chi=0.8, alpha=0.9,
                                       beta=0.7, window=window, form=form)
    x = np.random.default_rng(2).uniform(0.05, 0.95, net.n_edges)
    t = 0.8
    J = _jac(net, t, x)
    h = 1e-6
    fd = np.empty_like(J)
    for j in range(net.n_edges):
        e = np.zeros(net.n_edges)
        e[j] = h
        fd[:, j] = (_rhs(net, t, x + e) - _rhs(net, t, x - e)) / (2 * h)
    assert np.abs(J - fd).max() < 1e-7 * max(1.0, np.abs(J).max())
    # The closed form J = (chi/beta) M^{-1} Omega diag(z) - alpha I (no window).
    if window is None:
        Om = net.projector
        M = np.eye(net.n_edges) - net.chi * Om * x
        z = np.linalg.solve(M, Om @ net.source_values(t))
        ref = net.chi / net.beta * np.linalg.solve(M, Om) * z - net.alpha * np.eye(net.n_edges)
        assert np.abs(J - ref).max() < 1e-11


def test_agrees_with_scipy_solve_ivp_on_the_numpy_formula():
    G = random_multigraph(6)
    net = MemristiveNetwork.from_graph(G, sources=driven(G, 6), chi=0.9, alpha=1.0, beta=1.0)
    Om = net.projector
    E = net.n_edges
    x0 = np.random.default_rng(3).uniform(0.1, 0.9, E)
    ts = np.linspace(0.0, 4.0, 9)

    def f(t, x):
        return np.linalg.solve(np.eye(E) - net.chi * Om * x, Om @ net.source_values(t)) - x

    ref = solve_ivp(f, (0.0, 4.0), x0, t_eval=ts, rtol=1e-10, atol=1e-12, method="DOP853")
    for method in ("dopri5", "radau"):
        sol = solvers.solve(net, (0.0, 4.0), x0, t_eval=ts, rtol=1e-10, atol=1e-12,
                            method=method)
        assert sol.success, sol.message
        assert np.abs(sol.y - ref.y.T).max() < 1e-7


# ----------------------------------------------------------------------------- dynamics

def test_conservation_law_without_window_time_varying_sources():
    G = random_multigraph(7)
    net = MemristiveNetwork.from_graph(G, sources=driven(G, 7, amp=0.8), chi=0.7, alpha=0.8,
                                       beta=1.2)
    assert any(isinstance(s, (Sine, Triangle)) for s in net.sources)
    x0 = np.random.default_rng(4).uniform(0.0, 1.0, net.n_edges)
    ts = np.linspace(0.0, 3.0, 13)
    sol = solvers.solve(net, (0.0, 3.0), x0, t_eval=ts, rtol=1e-11, atol=1e-13)
    assert sol.success, sol.message
    P = np.eye(net.n_edges) - net.projector
    lhs = sol.y @ P.T
    rhs = np.exp(-net.alpha * ts)[:, None] * (P @ x0)[None, :]
    assert np.abs(lhs - rhs).max() < 1e-9
    assert np.abs(P @ x0).max() > 0.1                 # the law is not trivially 0 = 0


def test_lyapunov_function_decreases_along_trajectories():
    # One 1 V source; every other edge is oriented from its higher to its lower node potential,
    # so all currents are >= 0 and the memories stay inside (0, 1) without a window.
    G = nx.gnm_random_graph(10, 24, seed=8)
    a, b = next(iter(G.edges))
    probe = MemristiveNetwork.from_graph(G, sources={(a, b): 1.0})
    phi = dict(zip(probe.nodes, probe.voltages(np.full(probe.n_edges, 0.5))))
    edges = [(u, v) if (u, v) == (a, b) or phi[u] >= phi[v] else (v, u) for u, v in G.edges]
    rng = np.random.default_rng(5)
    net = MemristiveNetwork(edges, sources={(a, b): 1.0}, chi=0.9, alpha=1.0, beta=2.0)
    x0 = rng.uniform(0.2, 0.8, net.n_edges)
    ts = np.linspace(0.0, 6.0, 61)
    sol = solvers.solve(net, (0.0, 6.0), x0, t_eval=ts, rtol=1e-10, atol=1e-12)
    assert sol.success and sol.y.min() > 0.0 and sol.y.max() < 1.0   # stays inside (0, 1)
    check = energy_along(net, sol)
    assert check.non_increasing
    assert check.values[0] - check.values[-1] > 1e-3
    # dL/dt = grad L . f (grad by central differences of L) equals the closed form and is <= 0.
    Om = net.projector
    for _ in range(5):
        x = rng.uniform(0.0, 1.0, net.n_edges)
        f = _rhs(net, 0.0, x)
        h = 1e-6
        grad = np.array([(net.energy(x + h * e) - net.energy(x - h * e)) / (2 * h)
                         for e in np.eye(net.n_edges)])
        X = np.diag(x)
        closed = -f @ (X - net.chi * X @ Om @ X) @ f
        assert abs(grad @ f - closed) < 1e-7 * max(1.0, abs(closed))
        assert closed < 0.0


def test_single_memristor_fixed_points_and_saddle_node():
    chi, alpha, beta = 0.8, 1.5, 0.5
    s_c = 1.0 / (4.0 * chi)

    def single(s, **kw):
        # One memristor closed on its own source: Omega = [[1]]; s = S / (alpha beta).
        return MemristiveNetwork([(0, 0)], sources=[s * alpha * beta], chi=chi, alpha=alpha,
                                 beta=beta, **kw)

    s = 0.9 * s_c
    net = single(s)
    assert net.projector.tolist() == [[1.0]]
    root = math.sqrt(1.0 - 4.0 * chi * s)
    lo, hi = (1.0 - root) / (2.0 * chi), (1.0 + root) / (2.0 * chi)
    for xs in (lo, hi):
        assert abs(_rhs(net, 0.0, np.array([xs]))[0]) < 1e-13
    assert _jac(net, 0.0, np.array([lo]))[0, 0] < 0.0 < _jac(net, 0.0, np.array([hi]))[0, 0]
    assert abs(_jac(net, 0.0, np.array([lo]))[0, 0]
               - alpha * (2 * chi * lo - 1) / (1 - chi * lo)) < 1e-12
    # Below s_c: converges to the stable root; just above: no fixed point left.
    below = solvers.solve(single(0.99 * s_c), (0.0, 60.0), [0.0], rtol=1e-10, atol=1e-12)
    r = math.sqrt(1.0 - 4.0 * chi * 0.99 * s_c)
    assert abs(below.y[-1, 0] - (1.0 - r) / (2.0 * chi)) < 1e-6
    above = single(1.01 * s_c)
    xs = np.linspace(0.0, 1.0, 201)
    assert min(_rhs(above, 0.0, np.array([v]))[0] for v in xs) > 0.0
    # Without window x runs into R = 0 (x -> 1/chi): the solver stops and says so.
    free = solvers.solve(above, (0.0, 60.0), [0.0], rtol=1e-8)
    assert not free.success and free.y[-1, 0] > 1.0
    # With the window it is stopped at the boundary instead.
    p, S = 4, 1.01 * s_c * alpha * beta
    win = solvers.solve(single(1.01 * s_c, window="joglekar", window_p=p), (0.0, 60.0), [0.01],
                        rtol=1e-10, atol=1e-12)
    # ... at the equilibrium the window creates near x = 1: F(x) S / (beta (1 - chi x)) = alpha x.
    edge = brentq(lambda v: (1 - (2 * v - 1) ** (2 * p)) * S / (beta * (1 - chi * v)) - alpha * v,
                  1.0 / (2.0 * chi), 1.0)
    assert win.success and edge > 0.9 and abs(win.y[-1, 0] - edge) < 1e-7


def test_window_keeps_states_in_unit_interval_under_strong_drive():
    G = random_multigraph(9)
    src = {e: 20.0 * v if isinstance(v, float) else Sine(20.0, 1.0)
           for e, v in driven(G, 9).items()}
    net = MemristiveNetwork.from_graph(G, sources=src, chi=0.9, window="joglekar")
    x0 = np.random.default_rng(6).uniform(0.01, 0.99, net.n_edges)
    sol = solvers.solve(net, (0.0, 5.0), x0, rtol=1e-8, atol=1e-10)
    assert sol.success, sol.message
    assert sol.y.min() >= 0.0 and sol.y.max() <= 1.0
    assert sol.y.max() > 0.95 and sol.y.min() < 0.05      # the drive did push to both ends
    free = solvers.solve(net.replace(window=None), (0.0, 5.0), x0, rtol=1e-8)
    assert free.y.min() < 0.0 or not free.success         # without it they leave [0, 1]


# ----------------------------------------------------------------------------- model

def test_graph_conventions_and_errors():
    G = nx.MultiDiGraph()
    G.add_edge("p", "q", source=1.0)
    G.add_edge("p", "q")
    G.add_node("lonely")
    net = MemristiveNetwork.from_graph(G, sources={("p", "q", 1): -1.0})
    assert net.edges == (("p", "q", 0), ("p", "q", 1)) and net.nodes == ["p", "q", "lonely"]
    assert net.ground == ["p", "lonely"] and net.n_loops == 1
    assert net.source_values().tolist() == [1.0, -1.0]
    assert np.allclose(net.currents([0.0, 0.0]), [1.0, -1.0])  # 2 V around the loop, 2 R_off
    assert pickle.loads(pickle.dumps(net)).currents([0.1, 0.2]).tolist() == \
        net.currents([0.1, 0.2]).tolist()
    with pytest.raises(ValueError, match="parallel edges"):
        MemristiveNetwork.from_graph(G, sources={("p", "q"): 1.0})
    with pytest.raises(ValueError, match="chi"):
        MemristiveNetwork([(0, 1)], chi=1.0)
    with pytest.raises(ValueError, match="beta"):
        MemristiveNetwork([(0, 1)], beta=0.0)
    with pytest.raises(ValueError, match="appears twice"):
        MemristiveNetwork([(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="expected 2"):
        MemristiveNetwork([(0, 1), (1, 0)], sources=[1.0])
    with pytest.raises(ValueError, match="not an edge"):
        MemristiveNetwork([(0, 1)], sources={(0, 2): 1.0})
    with pytest.raises(TypeError, match="callable"):
        MemristiveNetwork([(0, 1)], sources=[lambda t: t])
    with pytest.raises(ValueError, match="window"):
        MemristiveNetwork([(0, 1)], window="biolek")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        net.currents([0.0])
    with pytest.raises(ValueError, match=r"1/chi"):
        net.currents([2.0, 0.0])
    with pytest.raises(AttributeError, match="immutable"):
        net.chi = 0.5


def test_example_runs_and_shows_what_it_promises():
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    out = subprocess.run([sys.executable, str(root / "examples" / "memristive_network.py")],
                         capture_output=True, text=True, check=True, timeout=300, env=env).stdout
    assert "6 independent loops, trace(Omega) = 6.000000" in out
    assert "L never increases: True" in out
    kirchhoff = next(line for line in out.splitlines() if line.startswith("Kirchhoff"))
    assert all(float(v.split(",")[0]) < 1e-12 for v in kirchhoff.split("=")[1:])
    law = next(line for line in out.splitlines() if line.startswith("sine source"))
    assert float(law.split("=")[-1]) < 1e-9
    rows = [line.split() for line in out.splitlines() if "stable fixed point" in line]
    assert len(rows) == 3 and all(abs(float(r[6]) - float(r[-1])) < 1e-4 for r in rows)
    assert sum("runs to the boundary" in line for line in out.splitlines()) == 2
