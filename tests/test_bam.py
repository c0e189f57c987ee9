"""BAM: discrete recall, energy, graphs and the continuous-time BAM, against references."""
import doctest
import functools
import importlib
import pickle

import networkx as nx
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.integrate import solve_ivp
from scipy.linalg import hadamard
from scipy.special import expit

import solvers
from neurodyn import _kernels_assoc as K
from neurodyn.bam import BAM, BAMRecall, ContinuousBAM


def reference_recall(W, probe, from_x, max_iter=100):
    """Kosko's recall written plainly: one probe, integer arithmetic, neuron by neuron."""
    W = [[int(w) for w in row] for row in W]
    n, m = len(W), len(W[0])
    a = [int(v) for v in probe]
    b = [1] * (m if from_x else n)

    def field_b(k):  # field of neuron k of the layer being computed from a
        return sum(W[i][k] * a[i] for i in range(n)) if from_x else \
            sum(W[k][j] * a[j] for j in range(m))

    def field_a(k):
        return sum(W[k][j] * b[j] for j in range(m)) if from_x else \
            sum(W[i][k] * b[i] for i in range(n))

    for it in range(1, max_iter + 1):
        b = [1 if field_b(k) > 0 else -1 if field_b(k) < 0 else b[k] for k in range(len(b))]
        new = [1 if field_a(k) > 0 else -1 if field_a(k) < 0 else a[k] for k in range(len(a))]
        if new == a:
            return (a, b, True, it) if from_x else (b, a, True, it)
        a = new
    return (a, b, False, max_iter) if from_x else (b, a, False, max_iter)


def flip(v, k, rng):
    out = v.copy()
    out[rng.choice(v.shape[-1], k, replace=False)] *= -1
    return out


def hadamard_pairs(p, n, m):
    return hadamard(n)[1:p + 1].astype(float), hadamard(m)[1:p + 1].astype(float)


# ---------------------------------------------------------------- storage

def test_from_pairs_is_the_correlation_matrix_kept_integer():
    rng = np.random.default_rng(0)
    X = rng.choice([-1, 1], size=(5, 12))
    Y = rng.choice([-1, 1], size=(5, 7))
    bam = BAM.from_pairs(X, Y)
    assert bam.W.shape == (12, 7) and (bam.n, bam.m) == (12, 7)
    np.testing.assert_array_equal(bam.W, sum(np.outer(x, y) for x, y in zip(X, Y)))
    assert bam.W.dtype == np.float64 and np.array_equal(bam.W, np.round(bam.W))
    assert bam.weights is bam.W
    binary = BAM.from_pairs((X + 1) // 2, (Y + 1) // 2)
    np.testing.assert_array_equal(binary.W, bam.W)
    one = BAM.from_pairs(X[0], Y[0])  # a single pair as 1-D vectors
    np.testing.assert_array_equal(one.W, np.outer(X[0], Y[0]))


# ---------------------------------------------------------------- recall

def test_recalls_stored_pairs_from_either_side():
    X, Y = hadamard_pairs(4, 32, 16)
    bam = BAM.from_pairs(X, Y)
    x, y = bam.recall(x=X)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(y, Y)
    x, y = bam.recall(y=Y)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(y, Y)
    for k in range(4):  # one probe at a time: 1-D in, 1-D out
        x, y = bam.recall(x=X[k])
        assert x.shape == (32,) and y.shape == (16,)
        np.testing.assert_array_equal(y, Y[k])
        x, y = bam.recall(y=Y[k])
        np.testing.assert_array_equal(x, X[k])
    r = bam.recall_info(x=X)
    assert np.all(r.converged) and np.all(r.iterations == 1)  # stored pairs: stable at once


def test_random_pairs_at_low_load_are_recalled():
    rng = np.random.default_rng(1)
    X = rng.choice([-1.0, 1.0], size=(3, 100))
    Y = rng.choice([-1.0, 1.0], size=(3, 80))
    bam = BAM.from_pairs(X, Y)
    for probe, side in ((X, "x"), (Y, "y")):
        x, y = bam.recall(**{side: probe})
        np.testing.assert_array_equal(x, X)
        np.testing.assert_array_equal(y, Y)


def test_noisy_x_recovers_the_pair():
    rng = np.random.default_rng(2)
    X = rng.choice([-1.0, 1.0], size=(4, 100))
    Y = rng.choice([-1.0, 1.0], size=(4, 60))
    bam = BAM.from_pairs(X, Y)
    probes = np.array([flip(X[k % 4], 10, rng) for k in range(20)])  # 10 % of bits wrong
    r = bam.recall_info(x=probes)
    np.testing.assert_array_equal(r.x, X[np.arange(20) % 4])
    np.testing.assert_array_equal(r.y, Y[np.arange(20) % 4])
    assert np.all(r.converged) and np.all(r.iterations == 2)
    x, y = bam.recall(y=np.array([flip(Y[k], 6, rng) for k in range(4)]))
    np.testing.assert_array_equal(x, X)


def test_binary_probes_are_converted():
    X, Y = hadamard_pairs(2, 8, 4)
    bam = BAM.from_pairs(X, Y)
    x, y = bam.recall(x=(X[1] + 1) / 2)
    np.testing.assert_array_equal(y, Y[1])
    assert set(np.unique(x)) <= {-1.0, 1.0}


def test_ties_keep_the_current_bit_and_start_at_plus_one():
    # x = [1, 1]: the field of y_0 is 1 - 1 = 0 on the first half-step (y starts at +1, so
    # y_0 = +1); the field of y_1 is 2 -> +1. Back: x_0 = sign(1*1 + 0*1) = 1,
    # x_1 = sign(-1*1 + 1*1) = 0 -> keeps x_1 = 1.
    bam = BAM([[1.0, 1.0], [-1.0, 1.0]])
    r = bam.recall_info(x=[1, 1])
    np.testing.assert_array_equal(r.y, [1.0, 1.0])
    np.testing.assert_array_equal(r.x, [1.0, 1.0])
    assert r.converged and r.iterations == 1
    r = bam.recall_info(x=[-1, -1])  # y_0 tie -> +1 again; y_1 = -1
    np.testing.assert_array_equal(r.y, [1.0, -1.0])
    np.testing.assert_array_equal(r.x, [-1.0, -1.0])  # x_1: -1 - 1 = -2 -> -1; x_0 tie -> -1


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 9), m=st.integers(1, 9),
       from_x=st.booleans())
def test_recall_matches_plain_reference_and_energy_never_increases(seed, n, m, from_x):
    rng = np.random.default_rng(seed)
    W = rng.integers(-2, 3, size=(n, m)).astype(float)  # small integers: plenty of ties
    bam = BAM(W)
    probes = rng.choice([-1.0, 1.0], size=(6, n if from_x else m))
    r = bam.recall_info(**{"x" if from_x else "y": probes}, trace=True)
    for k in range(6):
        x, y, conv, it = reference_recall(W, probes[k], from_x)
        np.testing.assert_array_equal(r.x[k], x)
        np.testing.assert_array_equal(r.y[k], y)
        assert r.converged[k] == conv and r.iterations[k] == it
        assert conv  # a BAM always settles (the energy argument)
        # batched and single-probe recall agree exactly
        one = bam.recall_info(**{"x" if from_x else "y": probes[k]})
        np.testing.assert_array_equal(one.x, r.x[k])
        assert one.iterations == r.iterations[k]
    E = r.energies
    assert E.shape == (6, 1 + 2 * r.iterations.max())
    assert np.all(np.diff(E, axis=1) <= 0.0)  # integer energies: exact
    np.testing.assert_array_equal(E[:, -1], bam.energy(r.x, r.y))


def test_ties_are_exact_for_real_valued_weights():
    # W = X^T Y / 3 is not integer-valued; fields that are zero in exact arithmetic come out
    # as +-1e-17 in floating point. They must still count as ties, the same in any batch.
    rng = np.random.default_rng(3)
    X = rng.choice([-1.0, 1.0], size=(3, 10))
    Y = rng.choice([-1.0, 1.0], size=(3, 6))
    exact = BAM.from_pairs(X, Y)
    scaled = BAM(exact.W / 3.0)
    probes = rng.choice([-1.0, 1.0], size=(300, 10))
    a = exact.recall_info(x=probes)
    b = scaled.recall_info(x=probes)
    ties = np.sum((probes @ exact.W) == 0)
    assert ties > 50  # the test exercises ties
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.iterations, b.iterations)
    for k in range(0, 300, 37):
        one = scaled.recall_info(x=probes[k])
        np.testing.assert_array_equal(one.y, b.y[k])


def test_energy_decreases_during_recall_on_real_weights():
    rng = np.random.default_rng(4)
    bam = BAM(rng.normal(size=(30, 20)))
    r = bam.recall_info(y=rng.choice([-1, 1], size=(50, 20)), trace=True)
    assert np.all(r.converged)
    assert np.all(np.diff(r.energies, axis=1) <= 1e-12)
    assert np.all(r.energies[:, -1] < r.energies[:, 0])


def test_max_iter_stops_and_reports():
    rng = np.random.default_rng(5)
    bam = BAM(rng.normal(size=(40, 40)))
    probes = rng.choice([-1, 1], size=(20, 40))
    full = bam.recall_info(x=probes)
    assert full.iterations.max() >= 2
    cut = bam.recall_info(x=probes, max_iter=1)
    np.testing.assert_array_equal(cut.converged, full.iterations == 1)
    assert np.all(cut.iterations == 1)


def test_energy_is_minus_xWy_batched():
    rng = np.random.default_rng(6)
    W = rng.normal(size=(5, 3))
    bam = BAM(W)
    x = rng.choice([-1.0, 1.0], size=(4, 5))
    y = rng.choice([-1.0, 1.0], size=(4, 3))
    want = np.array([-x[k] @ W @ y[k] for k in range(4)])
    np.testing.assert_allclose(bam.energy(x, y), want, rtol=1e-14)
    np.testing.assert_allclose(bam.energy(x, y[0]), [-xk @ W @ y[0] for xk in x], rtol=1e-14)
    assert np.ndim(bam.energy(x[0], y[0])) == 0
    np.testing.assert_allclose(bam.energy((x[0] + 1) / 2, y[0]), want[0], rtol=1e-14)


def test_recall_result_unpacks_as_a_pair():
    bam = BAM.from_pairs([[1, -1]], [[1]])
    pair = bam.recall(x=[1, -1])
    assert isinstance(pair, tuple) and len(pair) == 2
    assert isinstance(bam.recall_info(x=[1, -1]), BAMRecall)


# ---------------------------------------------------------------- graphs

def test_graph_round_trip():
    X, Y = hadamard_pairs(3, 8, 4)
    bam = BAM.from_pairs(X, Y, x_nodes=[f"in{i}" for i in range(8)],
                         y_nodes=[f"out{j}" for j in range(4)])
    G = bam.to_graph()
    assert nx.is_bipartite(G) and G.nodes["in3"]["layer"] == "x"
    assert G.nodes["out0"]["layer"] == "y"
    assert G.edges["in2", "out1"]["weight"] == bam.W[2, 1]
    back = BAM.from_graph(G)
    assert back.x_nodes == bam.x_nodes and back.y_nodes == bam.y_nodes
    np.testing.assert_array_equal(back.W, bam.W)
    x, y = back.recall(x=X)
    np.testing.assert_array_equal(y, Y)


def test_from_graph_node_order_and_networkx_bipartite_convention():
    G = nx.Graph()
    G.add_node("y1", layer="y")
    G.add_node("x1", layer="x")
    G.add_node("y0", layer="y")
    G.add_node("x0", layer="x")
    G.add_edge("y0", "x1", weight=3.0)  # written y first: still W[x, y]
    G.add_edge("x0", "y1", weight=-1.0)
    bam = BAM.from_graph(G)
    assert bam.x_nodes == ["x1", "x0"] and bam.y_nodes == ["y1", "y0"]
    np.testing.assert_array_equal(bam.W, [[0.0, 3.0], [-1.0, 0.0]])
    B = nx.bipartite.random_graph(5, 4, 0.6, seed=7)  # nodes carry bipartite = 0 / 1
    bam = BAM.from_graph(B, layer="bipartite", default_weight=1.0)
    assert (bam.n, bam.m) == (5, 4) and bam.W.sum() == B.number_of_edges()


GRAPH_BAD = [
    (lambda: nx.Graph([("a", "b")]), {}, r"node 'a' has no 'layer' attribute"),
    (lambda: _g({"a": "x", "b": "hidden"}, [("a", "b")]), {},
     r"node 'b' has 'layer' = 'hidden'; accepted values are 'x' or 'y'"),
    (lambda: _g({"a": "x", "b": "x", "c": "y"}, [("a", "b"), ("a", "c")]), {},
     r"edge 'a' - 'b' joins two nodes of layer 'x'"),
    (lambda: _g({"a": "x", "c": "y"}, [("a", "c")]), {}, r"edge 'a' - 'c' has no 'weight'"),
    (lambda: _g({"a": "x", "b": "x"}, []), {}, r"no node in layer 'y'"),
    (lambda: nx.DiGraph([("a", "b")]), {}, r"must be undirected"),
    (lambda: _g({"a": "x", "c": "y"}, [("a", "c", np.nan)]), {},
     r"edge 'a' - 'c': 'weight' = nan is not finite"),
]


def _g(layers, edges):
    G = nx.Graph()
    for v, lab in layers.items():
        G.add_node(v, layer=lab)
    for e in edges:
        if len(e) == 3:
            G.add_edge(e[0], e[1], weight=e[2])
        else:
            G.add_edge(*e)
    return G


@pytest.mark.parametrize("make,kw,match", GRAPH_BAD, ids=[m for *_, m in GRAPH_BAD])
def test_bad_graphs_name_the_culprit(make, kw, match):
    with pytest.raises(ValueError, match=match):
        BAM.from_graph(make(), **kw)


# ---------------------------------------------------------------- validation

_bam = BAM.from_pairs([[1, -1, 1]], [[1, -1]])
BAD = [
    (lambda: BAM.from_pairs([[1, 0.5, -1]], [[1, 1]]),
     r"X\[0, 1\] = 0.5: X is neither bipolar \(\+-1\) nor binary \(0/1\)"),
    (lambda: BAM.from_pairs([[1, -1]], [[1, 0, -1]]), r"Y\[0, 1\] = 0.0: Y mixes 0 with -1"),
    (lambda: BAM.from_pairs([[1, np.nan]], [[1]]), r"X\[0, 1\] = nan is not finite"),
    (lambda: BAM.from_pairs([[1, -1], [1, 1]], [[1, 1]]), r"X has 2 patterns but Y has 1"),
    (lambda: BAM.from_pairs(np.ones((2, 2, 2)), [[1]]), r"X must be 1-D or 2-D"),
    (lambda: BAM([[1.0, np.inf]], x_nodes=["a"], y_nodes=["b", "c"]),
     r"W\[0, 1\] = inf is not finite \(edge 'a' - 'c'\)"),
    (lambda: BAM(np.ones(3)), r"W must be 2-D"),
    (lambda: BAM(np.ones((0, 3))), r"W is empty"),
    (lambda: BAM(np.ones((2, 2)), x_nodes=["a", "b"], y_nodes=["b", "c"]),
     r"duplicate node name 'b'"),
    (lambda: BAM(np.ones((2, 2)), x_nodes=["a"]), r"x_nodes has 1 names, expected 2"),
    (lambda: _bam.recall(x=[1, -1, 1], y=[1, 1]), r"exactly one probe.*got both"),
    (lambda: _bam.recall(), r"exactly one probe.*got neither"),
    (lambda: _bam.recall(x=[1, -1]), r"x has width 2, but the x layer has 3 neurons"),
    (lambda: _bam.recall(y=np.ones((4, 3))), r"y has width 3, but the y layer has 2 neurons"),
    (lambda: _bam.recall(x=[1, 2, 1]), r"x\[1\] = 2.0: x is neither bipolar"),
    (lambda: _bam.recall(x=[[1, -1, 1], [1, np.nan, 1]]), r"x\[1, 1\] = nan is not finite"),
    (lambda: _bam.recall(x=[1, -1, 1], max_iter=0), r"max_iter must be a positive integer"),
    (lambda: _bam.energy([1, -1, 1], [1, -1, 1]), r"y has width 3, but the y layer has 2"),
    (lambda: _bam.continuous(a=0.0), r"a of node \('x', 0\) \(index 0\) must be positive"),
    (lambda: _bam.continuous(b=[1.0, -1.0]), r"b of node \('y', 1\) \(index 1\) must be "
     r"positive"),
    (lambda: _bam.continuous(gain=[1.0] * 4 + [0.0]), r"gain of node \('y', 1\) \(index 4\)"),
    (lambda: _bam.continuous(Ix=[1.0, 2.0]), r"Ix has shape \(2,\), expected a scalar or "
     r"shape \(3,\)"),
    (lambda: _bam.continuous(activation="relu"), r"unknown activation 'relu'; known: 'tanh', "
     r"'sigmoid'"),
    (lambda: _bam.continuous().energy(np.zeros(4)), r"z must have shape \(\.\.\., 5\)"),
]


@pytest.mark.parametrize("make,match", BAD, ids=[m for _, m in BAD])
def test_bad_input_names_the_problem(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_immutable_and_pickles():
    W = np.array([[1.0, -1.0]])
    bam = BAM(W)
    W[0, 0] = 7.0
    assert bam.W[0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        bam.W[0, 0] = 2.0
    with pytest.raises(AttributeError, match="immutable"):
        bam.W = W
    back = pickle.loads(pickle.dumps(bam))
    np.testing.assert_array_equal(back.W, bam.W)
    assert back.x_nodes == bam.x_nodes
    net = bam.continuous(a=2.0, activation="sigmoid")
    again = pickle.loads(pickle.dumps(net))
    assert numba.typeof(again.params) == numba.typeof(net.params)
    assert again.activation == "sigmoid" and np.all(again.a == 2.0)


# ---------------------------------------------------------------- continuous-time BAM

@functools.cache
def jitted(fn):
    return numba.njit(fn)


def eval_rhs(net, z):
    out = np.empty(net.n_states)
    jitted(net.rhs)(0.0, np.asarray(z, dtype=float), net.params, out)
    return out


def eval_jac(net, z):
    J = np.full((net.n_states, net.n_states), np.nan)
    jitted(net.jac)(0.0, np.asarray(z, dtype=float), net.params, J)
    return J


def reference_cbam(W, a, b, Ix, Iy, gain, activation, z):
    """Kosko's continuous BAM in plain NumPy, written independently of the kernel."""
    n = W.shape[0]
    S = np.tanh(gain * z) if activation == "tanh" else expit(gain * z)
    return np.concatenate([-a * z[:n] + W @ S[n:] + Ix, -b * z[n:] + W.T @ S[:n] + Iy])


def random_cbam(n, m, activation, seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 1.0, (n, m))
    kw = dict(a=rng.uniform(0.5, 2.0, n), b=rng.uniform(0.5, 2.0, m),
              gain=rng.uniform(0.5, 3.0, n + m), Ix=rng.normal(0.0, 0.5, n),
              Iy=rng.normal(0.0, 0.5, m))
    return BAM(W).continuous(activation=activation, **kw), W, kw


ACTS = ["tanh", "sigmoid"]


@pytest.mark.parametrize("activation", ACTS)
def test_continuous_rhs_and_jacobian(activation):
    net, W, kw = random_cbam(6, 4, activation, 8)
    assert net.n_states == 10 and net.rhs is K.bam_rhs and net.jac is K.bam_jac
    rng = np.random.default_rng(9)
    for _ in range(3):
        z = rng.normal(0.0, 1.5, 10)
        ref = reference_cbam(W, kw["a"], kw["b"], kw["Ix"], kw["Iy"], kw["gain"], activation, z)
        np.testing.assert_allclose(eval_rhs(net, z), ref, rtol=1e-13, atol=1e-14)
        J = eval_jac(net, z)
        fd = np.empty_like(J)
        for j in range(10):
            h = 1e-6 * (1.0 + abs(z[j]))
            e = np.zeros(10)
            e[j] = h
            fd[:, j] = (eval_rhs(net, z + e) - eval_rhs(net, z - e)) / (2 * h)
        assert np.max(np.abs(J - fd)) <= 1e-7 * np.max(np.abs(J))
    d = np.empty(10)
    net.rhs(0.0, z, net.params, d)  # also runs uncompiled
    np.testing.assert_allclose(d, eval_rhs(net, z), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("activation", ACTS)
def test_continuous_energy_non_increasing_along_a_solver_trajectory(activation):
    net, W, kw = random_cbam(7, 5, activation, 10)
    z0 = np.random.default_rng(11).normal(0.0, 2.0, 12)
    t = np.linspace(0.0, 25.0, 501)
    sol = solvers.solve(net, (0.0, 25.0), z0, method="dopri5", t_eval=t, rtol=1e-11,
                        atol=1e-13)
    assert sol.success, sol.message
    E = net.energy(sol.y)
    assert np.diff(E).max() <= 1e-11 * (1.0 + np.abs(E).max())
    assert E[0] - E[-1] > 0.1
    # The trajectory itself, against SciPy on the independent formula.
    f = lambda _, z: reference_cbam(W, kw["a"], kw["b"], kw["Ix"], kw["Iy"], kw["gain"],
                                    activation, z)
    ref = solve_ivp(f, (0.0, 25.0), z0, method="DOP853", rtol=1e-12, atol=1e-14, t_eval=t).y.T
    np.testing.assert_allclose(sol.y, ref, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("activation", ACTS)
def test_continuous_energy_rate_formula(activation):
    # dE/dt (central difference along the flow) = -sum_k S_k'(z_k) (dz_k/dt)^2.
    net, _, kw = random_cbam(5, 4, activation, 12)
    rng = np.random.default_rng(13)
    for _ in range(3):
        z = rng.normal(0.0, 1.5, 9)
        dz = eval_rhs(net, z)
        h = 1e-5
        rate = (net.energy(z + h * dz) - net.energy(z - h * dz)) / (2 * h)
        x = kw["gain"] * z
        dS = kw["gain"] * (1 - np.tanh(x) ** 2 if activation == "tanh"
                           else expit(x) * (1 - expit(x)))
        want = -np.sum(dS * dz * dz)
        assert abs(rate - want) <= 1e-7 * abs(want)


@pytest.mark.parametrize("activation", ACTS)
def test_continuous_bam_is_the_block_hopfield_network(activation):
    net, _, _ = random_cbam(4, 3, activation, 14)
    hop = net.as_hopfield()
    z = np.random.default_rng(15).normal(size=(5, 7))
    np.testing.assert_allclose(net.energy(z), hop.energy(z), rtol=1e-13, atol=1e-13)
    for zk in z:
        np.testing.assert_allclose(eval_rhs(net, zk), eval_rhs(hop, zk), rtol=1e-13,
                                   atol=1e-14)
    assert hop.nodes == net.x_nodes + net.y_nodes == net.nodes


def test_continuous_bam_settles_on_a_stored_pair():
    rng = np.random.default_rng(16)
    X = rng.choice([-1.0, 1.0], size=(2, 40))
    Y = rng.choice([-1.0, 1.0], size=(2, 30))
    net = BAM.from_pairs(X, Y).continuous(a=40.0, b=40.0, gain=2.0)
    z0 = np.concatenate([0.05 * flip(X[0], 4, rng), np.zeros(30)])
    sol = solvers.solve(net, (0.0, 5.0), z0, rtol=1e-8, atol=1e-10)
    assert sol.success
    x, y = net.split(sol.y[-1])
    np.testing.assert_array_equal(np.sign(x), X[0])
    np.testing.assert_array_equal(np.sign(y), Y[0])


def test_continuous_bams_share_one_compiled_specialisation():
    nets = [random_cbam(3, 2, "tanh", 17)[0], random_cbam(6, 9, "sigmoid", 18)[0],
            BAM.from_pairs([[1, -1]], [[1]]).continuous()]
    assert len({numba.typeof(n.params) for n in nets}) == 1
    for net in nets:
        assert solvers.solve(net, (0.0, 1.0), np.full(net.n_states, 0.2)).success
    assert len(solvers.compiled_loop(nets[0], "dopri5").signatures) == 1


def test_docstring_examples_run():
    res = doctest.testmod(importlib.import_module("neurodyn.bam"), optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


def test_example_runs_and_keeps_its_promises():
    import pathlib
    import subprocess
    import sys
    script = pathlib.Path(__file__).resolve().parents[1] / "examples" / "bam_pairs.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True, timeout=300).stdout
    assert "-> letter H; converged=True" in out and "energy never increased" in out
    rates = {int(f): int(k) for f, k in (line.split() for line in out.splitlines()
                                         if line.strip()[:1].isdigit())}
    assert rates[0] == rates[2] == 100 and rates[4] >= 90
    assert "monotone: True; sign(y) -> letter H, sign(x) is its bitmap: True" in out
