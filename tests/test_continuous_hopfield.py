"""ContinuousHopfield: kernels, energy and recall, checked against independent references."""
import doctest
import functools
import importlib
import math
import pickle

import networkx as nx
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.integrate import quad, solve_ivp
from scipy.special import expit

import solvers
from neurodyn import _kernels_assoc as K
from neurodyn.continuous_hopfield import ContinuousHopfield


@functools.cache
def jitted(fn):
    # Compiled by us, not through the engine, so these tests also guard "the kernels compile".
    return numba.njit(fn)


def eval_rhs(model, u):
    out = np.empty(model.n_states)
    jitted(model.rhs)(0.0, np.asarray(u, dtype=float), model.params, out)
    return out


def eval_jac(model, u):
    J = np.full((model.n_states, model.n_states), np.nan)  # the kernel must fill all of it
    jitted(model.jac)(0.0, np.asarray(u, dtype=float), model.params, J)
    return J


def g_ref(activation, x):
    return np.tanh(x) if activation == "tanh" else expit(x)


def reference_rhs(T, C, R, I, gain, activation, u):
    """Hopfield 1984's equation in plain NumPy, written independently of the kernels."""
    return (-u / R + T @ g_ref(activation, gain * u) + I) / C


def random_net(n, activation, seed, *, symmetric=True):
    rng = np.random.default_rng(seed)
    A = rng.normal(0.0, 1.5, (n, n))
    T = (A + A.T) / 2 if symmetric else A
    kw = dict(C=rng.uniform(0.5, 2.0, n), R=rng.uniform(0.5, 2.0, n),
              I=rng.normal(0.0, 0.5, n), gain=rng.uniform(0.5, 4.0, n))
    return ContinuousHopfield(T, activation=activation, allow_asymmetric=not symmetric,
                              **kw), T, kw


ACTS = ["tanh", "sigmoid"]


# ---------------------------------------------------------------- kernels vs references

@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("symmetric", [True, False])
def test_rhs_matches_numpy_formula(activation, symmetric):
    net, T, kw = random_net(9, activation, 1, symmetric=symmetric)
    rng = np.random.default_rng(2)
    for _ in range(3):
        u = rng.normal(0.0, 2.0, 9)
        ref = reference_rhs(T, kw["C"], kw["R"], kw["I"], kw["gain"], activation, u)
        np.testing.assert_allclose(eval_rhs(net, u), ref, rtol=1e-13, atol=1e-14)
    d = np.empty(9)
    net.rhs(0.0, u, net.params, d)  # the kernel also runs uncompiled
    np.testing.assert_allclose(d, eval_rhs(net, u), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("symmetric", [True, False])
def test_jacobian_matches_central_differences(activation, symmetric):
    net, _, _ = random_net(7, activation, 3, symmetric=symmetric)
    rng = np.random.default_rng(4)
    for _ in range(3):
        u = rng.normal(0.0, 1.0, 7)
        J = eval_jac(net, u)
        fd = np.empty_like(J)
        for j in range(7):
            h = 1e-6 * (1.0 + abs(u[j]))
            e = np.zeros(7)
            e[j] = h
            fd[:, j] = (eval_rhs(net, u + e) - eval_rhs(net, u - e)) / (2 * h)
        assert np.max(np.abs(J - fd)) <= 1e-7 * np.max(np.abs(J))


@pytest.mark.parametrize("activation", ACTS)
def test_trajectory_matches_scipy(activation):
    net, T, kw = random_net(8, activation, 5)
    u0 = np.random.default_rng(6).normal(0.0, 1.0, 8)
    t = np.linspace(0.0, 20.0, 41)
    f = lambda _, u: reference_rhs(T, kw["C"], kw["R"], kw["I"], kw["gain"], activation, u)
    ref = solve_ivp(f, (0.0, 20.0), u0, method="DOP853", rtol=1e-12, atol=1e-14, t_eval=t).y.T
    sol = solvers.solve(net, (0.0, 20.0), u0, t_eval=t, rtol=1e-10, atol=1e-12)
    assert sol.success, sol.message
    np.testing.assert_allclose(sol.y, ref, rtol=1e-8, atol=1e-9)
    stiff = solvers.solve(net, (0.0, 20.0), u0, method="radau", t_eval=t, rtol=1e-10,
                          atol=1e-12)
    assert stiff.success and stiff.njev > 0  # Radau is fed the analytic Jacobian
    np.testing.assert_allclose(stiff.y, ref, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- energy

@pytest.mark.parametrize("activation", ACTS)
def test_energy_is_non_increasing_along_a_solver_trajectory(activation):
    net, _, _ = random_net(10, activation, 7)
    u0 = np.random.default_rng(8).normal(0.0, 2.0, 10)
    t = np.linspace(0.0, 30.0, 601)
    sol = solvers.solve(net, (0.0, 30.0), u0, method="dopri5", t_eval=t, rtol=1e-11,
                        atol=1e-13)
    assert sol.success, sol.message
    E = net.energy(sol.y)
    assert E.shape == (601,)
    np.testing.assert_allclose(E, [net.energy(u) for u in sol.y], rtol=1e-14, atol=1e-14)
    assert np.diff(E).max() <= 1e-11 * (1.0 + np.abs(E).max())
    assert E[0] - E[-1] > 0.1  # it really fell, not just stayed flat


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), activation=st.sampled_from(ACTS))
def test_energy_never_increases_property(seed, n, activation):
    net, _, _ = random_net(n, activation, seed)
    u0 = np.random.default_rng(seed + 1).normal(0.0, 3.0, n)
    sol = solvers.solve(net, (0.0, 15.0), u0, t_eval=np.linspace(0.0, 15.0, 151),
                        rtol=1e-11, atol=1e-13)
    assert sol.success, sol.message
    E = net.energy(sol.y)
    assert np.diff(E).max() <= 1e-11 * (1.0 + np.abs(E).max())


@pytest.mark.parametrize("activation", ACTS)
def test_energy_rate_is_minus_sum_C_dVdt_dudt(activation):
    # dE/dt = grad E . du/dt (central difference along the flow) against Hopfield's formula.
    net, _, kw = random_net(9, activation, 9)
    rng = np.random.default_rng(10)
    for _ in range(4):
        u = rng.normal(0.0, 1.5, 9)
        dudt = eval_rhs(net, u)
        h = 1e-5
        rate = (net.energy(u + h * dudt) - net.energy(u - h * dudt)) / (2 * h)
        x = kw["gain"] * u
        dg = 1 - np.tanh(x) ** 2 if activation == "tanh" else expit(x) * (1 - expit(x))
        dVdt = kw["gain"] * dg * dudt
        want = -np.sum(kw["C"] * dVdt * dudt)
        assert want < 0
        assert abs(rate - want) <= 1e-7 * abs(want)


def test_asymmetric_network_energy_carries_no_guarantee():
    # Antisymmetric coupling: a limit cycle, along which the energy rises and falls.
    net = ContinuousHopfield([[1.0, -4.0], [4.0, 1.0]], gain=2.0, allow_asymmetric=True)
    t = np.linspace(0.0, 40.0, 2001)
    sol = solvers.solve(net, (0.0, 40.0), [0.1, 0.0], t_eval=t, rtol=1e-10, atol=1e-12)
    assert sol.success
    E = net.energy(sol.y[1000:])
    assert np.diff(E).max() > 1e-3 and np.diff(E).min() < -1e-3
    assert np.ptp(sol.y[1000:, 0]) > 1.0  # still oscillating


@pytest.mark.parametrize("activation,V0", [("tanh", 0.0), ("sigmoid", 0.5)])
@pytest.mark.parametrize("gain", [0.5, 1.0, 3.0])
def test_integral_term_closed_form_matches_quadrature(activation, V0, gain):
    # One neuron, T = 0, I = 0: the energy is (1/R) * integral_{V0}^{V} g^{-1}(v) dv.
    inv = (lambda v: math.atanh(v) / gain) if activation == "tanh" \
        else (lambda v: math.log(v / (1.0 - v)) / gain)
    Vs = [-0.999, -0.9, -0.3, 0.2, 0.7, 0.99, 0.999999] if activation == "tanh" \
        else [1e-6, 0.01, 0.2, 0.45, 0.6, 0.9, 0.999]
    R = 2.0
    net = ContinuousHopfield([[0.0]], R=R, gain=gain, activation=activation)
    for V in Vs:
        want = quad(inv, V0, V, epsabs=1e-14, epsrel=1e-12, limit=200)[0] / R
        u = inv(V)
        assert abs(float(net.output([u])[0]) - V) < 1e-12
        got = float(net.energy([u]))
        assert got == pytest.approx(want, rel=1e-9, abs=1e-13)
        # The closed forms in V stated in the module docstring.
        if activation == "tanh":
            closed = (V * math.atanh(V) + 0.5 * math.log(1 - V * V)) / gain
        else:
            closed = (V * math.log(V) + (1 - V) * math.log(1 - V) + math.log(2.0)) / gain
        assert closed / R == pytest.approx(want, rel=1e-8, abs=1e-13)


def test_energy_stays_finite_where_outputs_saturate():
    net = ContinuousHopfield([[0.0, 1.0], [1.0, 0.0]], gain=50.0)
    u = np.array([[40.0, -40.0], [800.0, 800.0]])  # V rounds to +-1 exactly
    E = net.energy(u)
    assert np.all(np.isfinite(E))
    # integral -> V u - (|x| - ln 2)/gain = ln 2 / gain per neuron when |V| = 1
    np.testing.assert_allclose(E, [1.0 + 2 * math.log(2) / 50, -1.0 + 2 * math.log(2) / 50],
                               rtol=1e-12)
    sig = ContinuousHopfield([[0.0]], activation="sigmoid", gain=3.0)
    assert np.all(np.isfinite(sig.energy([[-800.0], [800.0]])))


def test_energy_and_output_are_vectorised():
    net, _, _ = random_net(5, "sigmoid", 11)
    U = np.random.default_rng(12).normal(size=(2, 3, 5))
    E = net.energy(U)
    assert E.shape == (2, 3)
    assert E[1, 2] == pytest.approx(float(net.energy(U[1, 2])), rel=1e-14)
    np.testing.assert_allclose(net.output(U), expit(net.gain * U), rtol=1e-15)
    with pytest.raises(ValueError, match=r"u must have shape \(\.\.\., 5\).*got \(3, 4\)"):
        net.energy(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"u\[1\] = nan is not finite"):
        net.output([0.0, np.nan, 0.0, 0.0, 0.0])


# ---------------------------------------------------------------- patterns and recall

def noisy(pattern, frac, rng):
    p = pattern.copy()
    idx = rng.choice(p.size, int(round(frac * p.size)), replace=False)
    p[idx] *= -1
    return p


def test_hebbian_weights():
    P = np.array([[1, -1, 1, 1], [0, 0, 1, 1]])  # mixed codes: refused
    with pytest.raises(ValueError, match=r"P\[1, 0\] = 0.0: P mixes 0 with -1"):
        ContinuousHopfield.from_patterns(P)
    P = np.array([[1, -1, 1, 1], [-1, -1, 1, -1]])
    net = ContinuousHopfield.from_patterns(P)
    want = P.T @ P / 4.0
    np.fill_diagonal(want, 0.0)
    np.testing.assert_array_equal(net.T, want)
    binary = ContinuousHopfield.from_patterns((P + 1) // 2)
    np.testing.assert_array_equal(binary.T, net.T)
    assert np.all(net.gain == 10.0)


def test_high_gain_network_recalls_stored_patterns_from_noisy_starts():
    rng = np.random.default_rng(13)
    N, p = 64, 3
    P = rng.choice([-1.0, 1.0], size=(p, N))
    net = ContinuousHopfield.from_patterns(P, gain=50.0)
    for k in range(p):
        probe = noisy(P[k], 0.1, rng)
        sol = solvers.solve(net, (0.0, 20.0), 0.01 * probe, rtol=1e-8, atol=1e-10)
        assert sol.success
        V = net.output(sol.y[-1])
        np.testing.assert_array_equal(np.sign(V), P[k])
        assert np.all(np.abs(V) > 0.999)
        # Saturated, the energy is the discrete one, -1/2 s^T T s, plus the integral term's
        # ln 2 / gain per neuron, which vanishes in the high-gain limit.
        want = -0.5 * P[k] @ net.T @ P[k] + N * math.log(2.0) / 50.0
        assert float(net.energy(sol.y[-1])) == pytest.approx(want, rel=1e-9)


def test_sigmoid_patterns_recall_binary_states_and_match_tanh_dynamics():
    rng = np.random.default_rng(14)
    P = rng.choice([-1.0, 1.0], size=(2, 40))
    tanh_net = ContinuousHopfield.from_patterns(P, gain=10.0)
    sig_net = ContinuousHopfield.from_patterns(P, gain=20.0, activation="sigmoid")
    probe = noisy(P[1], 0.1, rng)
    t = np.linspace(0.0, 15.0, 31)
    a = solvers.solve(tanh_net, (0.0, 15.0), 0.05 * probe, t_eval=t, rtol=1e-11, atol=1e-13)
    b = solvers.solve(sig_net, (0.0, 15.0), 0.05 * probe, t_eval=t, rtol=1e-11, atol=1e-13)
    # tanh(x) = 2 sigmoid(2x) - 1: the same u(t) (module docstring of from_patterns).
    np.testing.assert_allclose(b.y, a.y, rtol=1e-8, atol=1e-9)
    V = sig_net.output(b.y[-1])
    np.testing.assert_array_equal(V > 0.5, P[1] > 0)
    E = sig_net.energy(b.y)
    assert np.diff(E).max() <= 1e-11 * (1 + np.abs(E).max())


# ---------------------------------------------------------------- graphs

def test_from_graph_node_order_attributes_and_defaults():
    G = nx.Graph()
    G.add_node("z", C=2.0, gain=3.0)
    G.add_node("a", R=0.5, I=-1.0)
    G.add_node("m")
    G.add_edge("z", "a", weight=1.5)
    G.add_edge("m", "m", weight=-0.5)
    net = ContinuousHopfield.from_graph(G, R=4.0)
    assert net.nodes == ["z", "a", "m"]
    np.testing.assert_array_equal(net.T, [[0, 1.5, 0], [1.5, 0, 0], [0, 0, -0.5]])
    np.testing.assert_array_equal(net.C, [2.0, 1.0, 1.0])
    np.testing.assert_array_equal(net.R, [4.0, 0.5, 4.0])
    np.testing.assert_array_equal(net.I, [0.0, -1.0, 0.0])
    np.testing.assert_array_equal(net.gain, [3.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"node 'a' has no 'C' attribute"):
        ContinuousHopfield.from_graph(G, C=None)
    G.add_edge("a", "m")
    with pytest.raises(ValueError, match=r"edge 'a' - 'm' has no 'weight' attribute"):
        ContinuousHopfield.from_graph(G)
    assert ContinuousHopfield.from_graph(G, default_weight=0.25).T[1, 2] == 0.25


def test_directed_graph_edge_means_drives():
    D = nx.DiGraph([("u", "v", {"weight": 2.0})])
    with pytest.raises(ValueError, match=r"T is not symmetric: T\[0, 1\] = 0.0 but "
                                         r"T\[1, 0\] = 2.0.*allow_asymmetric=True"):
        ContinuousHopfield.from_graph(D)
    net = ContinuousHopfield.from_graph(D, allow_asymmetric=True)
    assert net.T[1, 0] == 2.0 and net.T[0, 1] == 0.0  # u drives v
    back = ContinuousHopfield.from_graph(net.to_graph(), allow_asymmetric=True)
    np.testing.assert_array_equal(back.T, net.T)
    D.add_edge("v", "u", weight=2.0)
    assert ContinuousHopfield.from_graph(D).T[0, 1] == 2.0


@pytest.mark.parametrize("activation", ACTS)
def test_to_graph_round_trip(activation):
    net, _, _ = random_net(6, activation, 15)
    net = net.replace(nodes=list("fedcba"))
    G = net.to_graph()
    assert not G.is_directed() and G.number_of_edges() == 21  # 15 pairs + 6 self-loops
    back = ContinuousHopfield.from_graph(G)
    assert back.nodes == net.nodes and back.activation == activation
    for attr in ("T", "C", "R", "I", "gain"):
        np.testing.assert_array_equal(getattr(back, attr), getattr(net, attr))


# ---------------------------------------------------------------- validation

BAD = [
    (lambda: ContinuousHopfield(np.zeros((2, 3))), r"T must be square.*got \(2, 3\)"),
    (lambda: ContinuousHopfield(np.zeros((0, 0))), r"T is empty"),
    (lambda: ContinuousHopfield([[0.0, np.nan], [np.nan, 0.0]]),
     r"T\[0, 1\] = nan is not finite \(weight from node 1 to node 0\)"),
    (lambda: ContinuousHopfield([[0.0, 1.0], [0.5, 0.0]], nodes=["p", "q"]),
     r"T is not symmetric: T\[0, 1\] = 1.0 but T\[1, 0\] = 0.5 \(node 'p' \(index 0\), "
     r"node 'q' \(index 1\)\).*allow_asymmetric=True"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), C=[1.0, 0.0]),
     r"C of node 1 must be positive and finite, got 0.0"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), R=-1.0), r"R of node 0 must be positive"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), gain=[2.0, -3.0], nodes="ab"),
     r"gain of node 'b' \(index 1\) must be positive and finite, got -3.0"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), I=[1.0, np.inf]), r"I of node 1 must be "
     r"finite"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), I=[1.0, 2.0, 3.0]),
     r"I has shape \(3,\), expected a scalar or shape \(2,\)"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), activation="relu"),
     r"unknown activation 'relu'; known: 'tanh', 'sigmoid'"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), nodes=["a", "a"]), r"duplicate node name"),
    (lambda: ContinuousHopfield.from_patterns([[1, -1, 0.5]]),
     r"P\[0, 2\] = 0.5: P is neither bipolar \(\+-1\) nor binary \(0/1\)"),
    (lambda: ContinuousHopfield.from_patterns([[1, np.nan]]), r"P\[0, 1\] = nan is not finite"),
    (lambda: ContinuousHopfield.from_graph(nx.Graph()), r"the graph has no nodes"),
    (lambda: ContinuousHopfield.from_graph(nx.Graph([("a", "b", {"weight": "x"})])),
     r"edge 'a' - 'b': 'weight' must be a number"),
    (lambda: ContinuousHopfield.from_graph(nx.Graph([("a", "b", {"weight": np.inf})])),
     r"edge 'a' - 'b': 'weight' = inf is not finite"),
    (lambda: ContinuousHopfield.from_graph(nx.MultiGraph([(0, 1)])), r"multigraphs"),
]


@pytest.mark.parametrize("make,match", BAD, ids=[m for _, m in BAD])
def test_bad_input_names_the_culprit(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_rounding_level_asymmetry_is_accepted_and_removed():
    A = np.random.default_rng(16).normal(size=(5, 5))
    T = A + A.T
    T[0, 1] += 1e-15
    net = ContinuousHopfield(T)
    np.testing.assert_array_equal(net.T, net.T.T)
    assert abs(net.T[0, 1] - T[0, 1]) < 1e-15


# ---------------------------------------------------------------- compile once, immutability

def test_one_compiled_specialisation_for_every_network():
    nets = [random_net(3, "tanh", 17)[0], random_net(8, "sigmoid", 18)[0],
            random_net(4, "tanh", 19, symmetric=False)[0],
            ContinuousHopfield.from_patterns([[1, -1, 1, -1]], activation="sigmoid"),
            ContinuousHopfield.from_graph(nx.path_graph(3), default_weight=1.0)]
    assert len({numba.typeof(n.params) for n in nets}) == 1
    assert {n.rhs for n in nets} == {K.hopfield_rhs} and {n.jac for n in nets} == {K.hopfield_jac}
    for net in nets:
        assert solvers.solve(net, (0.0, 1.0), np.full(net.n_states, 0.1)).success
    assert len(solvers.compiled_loop(nets[0], "dopri5").signatures) == 1


def test_immutable_no_aliasing_and_pickles():
    T = np.array([[0.0, 1.0], [1.0, 0.0]])
    C = np.array([1.0, 2.0])
    net = ContinuousHopfield(T, C=C, nodes=["p", "q"])
    T[0, 1] = 5.0
    C[0] = 5.0
    assert net.T[0, 1] == 1.0 and net.C[0] == 1.0 and T.flags.writeable
    for arr in (net.T, net.C, net.R, net.I, net.gain):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 3.0
    with pytest.raises(AttributeError, match=r"replace\(gain=...\)"):
        net.gain = np.ones(2)
    back = pickle.loads(pickle.dumps(net))
    assert numba.typeof(back.params) == numba.typeof(net.params) and back.nodes == ["p", "q"]
    u = np.array([0.3, -0.2])
    np.testing.assert_array_equal(eval_rhs(back, u), eval_rhs(net, u))
    with pytest.raises(TypeError, match="unexpected argument 'W'"):
        net.replace(W=T)


def test_docstring_examples_run():
    res = doctest.testmod(importlib.import_module("neurodyn.continuous_hopfield"),
                          optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
