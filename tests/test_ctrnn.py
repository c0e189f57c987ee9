"""CTRNN model, its kernels and its inputs, checked against independent references."""
import doctest
import functools
import math

import networkx as nx
import numba
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.integrate import solve_ivp

import neurodyn
from neurodyn import CTRNN, Constant, Sampled, Sinusoid
from neurodyn import _kernels_ctrnn as K

from solvers import solve

# Beer's two-neuron oscillator (Beer 1995): W[to, from], theta; tau = gain = 1.
OSC_W = np.array([[4.5, 1.0], [-1.0, 4.5]])
OSC_BIAS = np.array([-2.75, -1.75])


@functools.cache
def jitted(fn):
    # Compiled by us, not through the engine, so these tests also guard "the kernels compile".
    return numba.njit(fn)


def eval_rhs(model, t, y, params=None):
    out = np.empty(model.n_states)
    jitted(model.rhs)(float(t), np.asarray(y, dtype=float), params or model.params, out)
    return out


def eval_jac(model, t, y):
    J = np.full((model.n_states, model.n_states), np.nan)  # the kernel must fill all of it
    jitted(model.jac)(float(t), np.asarray(y, dtype=float), model.params, J)
    return J


def reference_rhs(W, tau, bias, gain, act, I, y):
    """The CTRNN formula in plain NumPy, written independently of the kernels."""
    x = gain * (y + bias)
    s = 1.0 / (1.0 + np.exp(-x)) if act == "sigmoid" else np.tanh(x)
    Wd = W.toarray() if sp.issparse(W) else np.asarray(W)
    return (-y + Wd @ s + I) / tau


def random_net(n, *, sparse, activation, seed, density=0.3):
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 2.0, (n, n)) * (rng.random((n, n)) < density)
    if sparse:
        W = sp.csr_matrix(W)
    kw = dict(tau=rng.uniform(0.5, 3.0, n), bias=rng.normal(0.0, 1.0, n),
              gain=rng.uniform(-0.5, 2.5, n), input=rng.normal(0.0, 1.0, n))
    return CTRNN(W, activation=activation, **kw), kw


def trajectory(model, t_span, y0, t_eval):
    f = jitted(model.rhs)
    p = model.params

    def fun(t, y):
        d = np.empty_like(y)
        f(t, y, p, d)
        return d

    sol = solve_ivp(fun, t_span, y0, t_eval=t_eval, rtol=1e-10, atol=1e-12, method="DOP853")
    assert sol.success
    return sol.y.T


KINDS = [(False, "sigmoid"), (False, "tanh"), (True, "sigmoid"), (True, "tanh")]


# ---------------------------------------------------------------- kernels vs references

@pytest.mark.parametrize("sparse,activation", KINDS)
def test_rhs_matches_numpy_formula(sparse, activation):
    net, kw = random_net(9, sparse=sparse, activation=activation, seed=1)
    rng = np.random.default_rng(2)
    for _ in range(3):
        y = rng.normal(0.0, 3.0, 9)
        ref = reference_rhs(net.W, kw["tau"], kw["bias"], kw["gain"], activation, kw["input"], y)
        np.testing.assert_allclose(eval_rhs(net, 0.7, y), ref, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_dense_blas_branch_matches_loop_branch(activation):
    loops, kw = random_net(11, sparse=False, activation=activation, seed=3, density=1.0)
    blas = CTRNN(loops.W, activation=activation, blas=True, **kw)
    assert not loops.blas and loops.params[-1] == 0  # small n: loops by default
    assert blas.blas and blas.params[-1] == 1
    y = np.random.default_rng(4).normal(size=11)
    ref = reference_rhs(loops.W, kw["tau"], kw["bias"], kw["gain"], activation, kw["input"], y)
    np.testing.assert_allclose(eval_rhs(blas, 0.0, y), ref, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(eval_rhs(blas, 0.0, y), eval_rhs(loops, 0.0, y), rtol=1e-13,
                               atol=1e-14)
    n = K.DENSE_BLAS_MIN_N
    assert CTRNN(np.zeros((n, n))).blas and not CTRNN(np.zeros((n - 1, n - 1))).blas
    assert not CTRNN(np.zeros((n, n)), blas=False).blas
    with pytest.raises(ValueError, match="blas=True needs a dense W"):
        CTRNN(sp.csr_matrix((3, 3)), blas=True)


def test_dense_and_sparse_kernels_agree_exactly():
    dense, kw = random_net(13, sparse=False, activation="tanh", seed=5)
    sparse = CTRNN(sp.csr_matrix(dense.W), activation="tanh", **kw)
    assert sparse.sparse and not dense.sparse
    rng = np.random.default_rng(6)
    for _ in range(3):
        y = rng.normal(0.0, 2.0, 13)
        np.testing.assert_array_equal(eval_rhs(dense, 1.0, y), eval_rhs(sparse, 1.0, y))
        np.testing.assert_array_equal(eval_jac(dense, 1.0, y), eval_jac(sparse, 1.0, y))


@pytest.mark.parametrize("sparse,activation", KINDS)
def test_jacobian_matches_central_differences(sparse, activation):
    net, _ = random_net(8, sparse=sparse, activation=activation, seed=7, density=0.5)
    assert np.any(net.gain != 1.0)
    rng = np.random.default_rng(8)
    for _ in range(3):
        y = rng.normal(0.0, 1.5, 8)
        J = eval_jac(net, 0.3, y)
        fd = np.empty_like(J)
        for j in range(8):
            h = 1e-6 * (1.0 + abs(y[j]))
            e = np.zeros(8)
            e[j] = h
            fd[:, j] = (eval_rhs(net, 0.3, y + e) - eval_rhs(net, 0.3, y - e)) / (2 * h)
        assert np.max(np.abs(J - fd)) <= 1e-7 * np.max(np.abs(J))


def test_kernels_run_uncompiled_too():
    net, _ = random_net(6, sparse=True, activation="sigmoid", seed=9)
    y = np.array([-1e3, -40.0, 0.0, 40.0, 1e3, 5.0])  # math.exp(1e3) raises in plain Python
    d = np.empty(6)
    net.rhs(0.0, y, net.params, d)
    np.testing.assert_allclose(d, eval_rhs(net, 0.0, y), rtol=1e-15)


# ---------------------------------------------------------------- graphs

def oscillator_graph(W=OSC_W):
    """Beer's oscillator on nodes inserted in the order n1, n0 (not sorted)."""
    G = nx.DiGraph()
    G.add_node("n1", bias=OSC_BIAS[1])
    G.add_node("n0", bias=OSC_BIAS[0])
    name = ["n0", "n1"]
    for i in range(2):          # W[to, from]: edge from -> to
        for j in range(2):
            G.add_edge(name[j], name[i], weight=W[i, j])
    return G


def test_graph_node_order_and_edge_direction():
    net = CTRNN.from_graph(oscillator_graph())
    assert net.nodes == ["n1", "n0"]
    a, b = net.nodes.index("n0"), net.nodes.index("n1")
    assert net.W[a, a] == 4.5 and net.W[b, b] == 4.5
    assert net.W[a, b] == 1.0    # edge n1 -> n0
    assert net.W[b, a] == -1.0   # edge n0 -> n1
    np.testing.assert_array_equal(net.bias, [-1.75, -2.75])


def test_graph_built_and_array_built_give_the_same_trajectory():
    by_graph = CTRNN.from_graph(oscillator_graph())
    by_array = CTRNN(OSC_W, bias=OSC_BIAS)
    t = np.linspace(0.0, 60.0, 61)
    ya = trajectory(by_array, (0.0, 60.0), [0.1, -0.2], t)
    yg = trajectory(by_graph, (0.0, 60.0), [-0.2, 0.1], t)  # node order n1, n0
    np.testing.assert_allclose(yg[:, ::-1], ya, rtol=1e-12, atol=1e-12)


def test_beer_oscillator_period_and_transposed_fixed_point():
    net = CTRNN(OSC_W, bias=OSC_BIAS)
    t = np.linspace(200.0, 320.0, 120001)
    y0 = trajectory(net, (0.0, 320.0), [0.0, 0.0], t)[:, 0]
    mid = 0.5 * (y0.max() + y0.min())
    up = np.flatnonzero((y0[:-1] < mid) & (y0[1:] >= mid))
    assert y0.max() - y0.min() > 2.5 and len(up) >= 3
    assert np.allclose(np.diff(t[up]), 29.0, atol=0.01)
    # Its transpose has a stable fixed point: no oscillation left after the transient.
    yT = trajectory(CTRNN(OSC_W.T, bias=OSC_BIAS), (0.0, 320.0), [0.0, 0.0], t)
    assert np.ptp(yT, axis=0).max() < 1e-6
    np.testing.assert_allclose(eval_rhs(CTRNN(OSC_W.T, bias=OSC_BIAS), 0.0, yT[-1]), 0.0,
                               atol=1e-8)


def test_undirected_graph_drives_both_ways():
    G = nx.Graph()
    G.add_edge("a", "b", weight=2.0)
    G.add_edge("b", "b", weight=-1.0)
    net = CTRNN.from_graph(G)
    np.testing.assert_array_equal(net.W, [[0.0, 2.0], [2.0, -1.0]])


def test_graph_defaults_and_required_attributes():
    G = nx.DiGraph()
    G.add_node(0, tau=2.0, input=0.5)
    G.add_node(1)
    G.add_edge(0, 1)
    net = CTRNN.from_graph(G, tau=3.0, default_weight=0.25, input=-1.0)
    np.testing.assert_array_equal(net.tau, [2.0, 3.0])
    np.testing.assert_array_equal(net.input.value, [0.5, -1.0])
    assert net.W[1, 0] == 0.25
    with pytest.raises(ValueError, match=r"node 1 has no 'tau' attribute"):
        CTRNN.from_graph(G, tau=None, default_weight=0.25)
    with pytest.raises(ValueError, match=r"edge 0 -> 1 has no 'weight'"):
        CTRNN.from_graph(G)


def test_sparse_storage_choice():
    ring = nx.cycle_graph(200, create_using=nx.DiGraph)
    nx.set_edge_attributes(ring, 1.0, "weight")
    assert CTRNN.from_graph(ring).sparse                       # n = 200, density 0.005
    assert not CTRNN.from_graph(ring, sparse=False).sparse
    small = nx.cycle_graph(199, create_using=nx.DiGraph)
    nx.set_edge_attributes(small, 1.0, "weight")
    assert not CTRNN.from_graph(small).sparse                  # too few nodes
    assert CTRNN.from_graph(small, sparse=True).sparse
    dense = nx.complete_graph(200, create_using=nx.DiGraph)
    nx.set_edge_attributes(dense, 1.0, "weight")
    assert not CTRNN.from_graph(dense).sparse                  # too many edges
    a, b = CTRNN.from_graph(ring), CTRNN.from_graph(ring, sparse=False)
    y = np.random.default_rng(10).normal(size=200)
    np.testing.assert_array_equal(eval_rhs(a, 0.0, y), eval_rhs(b, 0.0, y))


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("inp", [Constant([0.5, -1.0, 2.0]),
                                 Sampled([0.0, 1.0], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])])
def test_to_graph_round_trip(sparse, inp):
    W = np.array([[0.0, 1.5, 0.0], [-2.0, 0.0, 0.5], [0.0, 0.0, 3.0]])
    net = CTRNN(sp.csr_matrix(W) if sparse else W, tau=[1.0, 2.0, 3.0], bias=[0.1, 0.2, 0.3],
                gain=[1.0, 0.5, 2.0], input=inp, activation="tanh", nodes=["z", "x", "y"])
    G = net.to_graph()
    assert list(G.nodes) == ["z", "x", "y"]
    assert G.edges["x", "z"]["weight"] == 1.5  # W[0, 1]: x drives z
    back = CTRNN.from_graph(G, sparse=sparse)
    assert back.nodes == net.nodes and back.activation == "tanh" and back.sparse == sparse
    for attr in ("tau", "bias", "gain"):
        np.testing.assert_array_equal(getattr(back, attr), getattr(net, attr))
    Wb = back.W.toarray() if sparse else back.W
    np.testing.assert_array_equal(Wb, W)
    for t in (-1.0, 0.0, 0.5, 1.0, 2.0):
        y = np.array([0.3, -0.1, 0.2])
        np.testing.assert_array_equal(eval_rhs(back, t, y), eval_rhs(net, t, y))


# ---------------------------------------------------------------- inputs in the kernels

def input_seen_by_kernel(inp, n, t, sparse=False):
    # W = 0, tau = 1, y = 0: dy/dt is exactly I(t).
    W = sp.csr_matrix((n, n)) if sparse else np.zeros((n, n))
    return eval_rhs(CTRNN(W, input=inp), t, np.zeros(n))


@pytest.mark.parametrize("sparse", [False, True])
def test_constant_input(sparse):
    assert np.all(input_seen_by_kernel(2.5, 3, 1.0, sparse) == 2.5)
    np.testing.assert_array_equal(input_seen_by_kernel([1.0, -2.0, 3.0], 3, 7.0, sparse),
                                  [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(input_seen_by_kernel(Constant([4.0, 5.0]), 2, 0.0, sparse),
                                  [4.0, 5.0])


@pytest.mark.parametrize("sparse", [False, True])
def test_sampled_input_zoh_and_linear(sparse):
    ts = np.array([0.0, 1.0, 2.5, 4.0])
    vals = np.array([[1.0, 10.0], [2.0, 20.0], [-3.0, 30.0], [5.0, 40.0]])
    zoh, lin = Sampled(ts, vals), Sampled(ts, vals, interp="linear")
    cases = {  # t: (zoh, linear), computed by hand
        -5.0: (vals[0], vals[0]),
        0.0: (vals[0], vals[0]),
        0.25: (vals[0], [1.25, 12.5]),
        1.0: (vals[1], vals[1]),
        np.nextafter(1.0, 0.0): (vals[0], vals[1]),
        2.0: (vals[1], [2.0 - 5.0 / 1.5, 20.0 + 10.0 / 1.5]),
        2.5: (vals[2], vals[2]),
        3.25: (vals[2], [1.0, 35.0]),
        4.0: (vals[3], vals[3]),
        9.0: (vals[3], vals[3]),
    }
    for t, (want_zoh, want_lin) in cases.items():
        np.testing.assert_array_equal(input_seen_by_kernel(zoh, 2, t, sparse), want_zoh)
        np.testing.assert_allclose(input_seen_by_kernel(lin, 2, t, sparse), want_lin,
                                   rtol=1e-14, atol=1e-14)
    # A 1-d signal drives every node; a single sample is a constant.
    shared = Sampled(ts, vals[:, 0], interp="linear")
    np.testing.assert_allclose(input_seen_by_kernel(shared, 3, 0.25, sparse), [1.25] * 3)
    np.testing.assert_array_equal(input_seen_by_kernel(Sampled([1.0], [7.0]), 2, 5.0), [7, 7])


@pytest.mark.parametrize("sparse", [False, True])
def test_sinusoid_input(sparse):
    amp, f, ph, off = np.array([1.0, 2.0]), np.array([0.5, 3.0]), np.array([0.0, 1.0]), 0.25
    inp = Sinusoid(amp, f, phase=ph, offset=off)
    for t in (0.0, 0.3, 1.7, 12.0):
        want = off + amp * np.sin(2 * np.pi * f * t + ph)
        np.testing.assert_allclose(input_seen_by_kernel(inp, 2, t, sparse), want,
                                   rtol=1e-12, atol=1e-13)


def test_sampled_input_drives_the_trajectory():
    # dy/dt = -y + I(t) with I a step at t = 1: y(t) = 1 - exp(-(t - 1)) after the step.
    net = CTRNN(np.zeros((1, 1)), input=Sampled([0.0, 1.0], [0.0, 1.0]))
    t = np.array([0.5, 2.0, 3.0])
    y = trajectory(net, (0.0, 3.0), [0.0], t)[:, 0]
    np.testing.assert_allclose(y, [0.0, 1 - math.exp(-1.0), 1 - math.exp(-2.0)], atol=1e-7)


# ---------------------------------------------------------------- validation

BAD = [
    (lambda: CTRNN(np.zeros((2, 3))), r"expected shape \(n, n\), got \(2, 3\)"),
    (lambda: CTRNN(sp.csr_matrix((2, 3))), r"expected shape \(n, n\), got \(2, 3\)"),
    (lambda: CTRNN([[0.0, np.nan], [0.0, 0.0]]), r"W\[0, 1\] = nan.*edge 1 -> 0"),
    (lambda: CTRNN(sp.csr_matrix([[0.0, 0.0], [np.inf, 0.0]])), r"W\[1, 0\] = inf.*edge 0 -> 1"),
    (lambda: CTRNN(np.zeros((2, 2)), tau=[1.0, -0.5]), r"tau of node 1 .*got -0.5"),
    (lambda: CTRNN(np.zeros((2, 2)), tau=[1.0, np.inf], nodes="ab"),
     r"tau of node 'b' \(index 1\).*inf"),
    (lambda: CTRNN(np.zeros((2, 2)), tau=0.0), r"tau of node 0 must be positive"),
    (lambda: CTRNN(np.zeros((2, 2)), bias=[1.0, 2.0, 3.0]), r"bias has shape \(3,\), expected"
     r" a scalar or shape \(2,\)"),
    (lambda: CTRNN(np.zeros((2, 2)), gain=np.ones(1)), r"gain has shape \(1,\).*\(2,\)"),
    (lambda: CTRNN(np.zeros((2, 2)), gain=[1.0, np.nan]), r"gain of node 1 must be finite"),
    (lambda: CTRNN(np.zeros((2, 2)), activation="relu"), r"unknown activation 'relu'; known: "
     r"'sigmoid', 'tanh'"),
    (lambda: CTRNN(np.zeros((2, 2)), input=[1.0, 2.0, 3.0]), r"input: Constant value has "
     r"shape \(3,\)"),
    (lambda: CTRNN(np.zeros((2, 2)), nodes=["a"]), r"nodes has 1 names, expected 2"),
    (lambda: CTRNN(np.zeros((2, 2)), nodes=["a", "a"]), r"duplicate node name 'a'"),
    (lambda: Sampled([0.0, 1.0, 1.0], [1.0, 2.0, 3.0]), r"times\[2\] = 1.0 <= times\[1\] = 1.0"),
    (lambda: Sampled([0.0, 1.0], [1.0, 2.0, 3.0]), r"values have shape \(3,\), expected \(2,\)"),
    (lambda: Sampled([0.0, 1.0], [1.0, 2.0], interp="cubic"), r"interp must be 'zoh' or 'linear'"),
    (lambda: Sampled([0.0, np.nan], [1.0, 2.0]), r"Sampled times\[1\] = nan is not finite"),
    (lambda: CTRNN(np.zeros((2, 2)), input=Sampled([0.0], [[1.0, 2.0, 3.0]])),
     r"Sampled values have 3 columns, expected 2"),
    (lambda: CTRNN(np.zeros((3, 3)), input=Sinusoid([1.0, 2.0], 1.0)),
     r"Sinusoid amplitude has shape \(2,\), expected a scalar or shape \(3,\)"),
    (lambda: CTRNN.from_graph(nx.DiGraph([("u", "v", {"weight": np.nan})])),
     r"edge 'u' -> 'v': 'weight' = nan is not finite"),
    (lambda: CTRNN.from_graph(nx.DiGraph([("u", "v", {"weight": "heavy"})])),
     r"edge 'u' -> 'v': 'weight' must be a number"),
    (lambda: CTRNN.from_graph(nx.DiGraph([("u", "v", {"w": 1.0})]), weight="w", bias=None),
     r"node 'u' has no 'bias' attribute"),
]


@pytest.mark.parametrize("make,match", BAD, ids=[m for _, m in BAD])
def test_bad_input_names_the_culprit(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_python_callable_input_is_refused():
    with pytest.raises(TypeError, match="callable"):
        CTRNN(np.zeros((2, 2)), input=lambda t: t)


# ---------------------------------------------------------------- compile once, immutability

def test_params_have_one_numba_type_per_storage():
    rng = np.random.default_rng(11)
    dense = [CTRNN(rng.normal(size=(2, 2))),
             CTRNN(rng.normal(size=(7, 7)), tau=rng.uniform(1, 2, 7), activation="tanh",
                   input=Sampled([0.0, 1.0], rng.normal(size=(2, 7)), interp="linear")),
             CTRNN(np.eye(K.DENSE_BLAS_MIN_N), input=Sinusoid(1.0, 2.0)),
             CTRNN.from_graph(oscillator_graph())]
    sparse = [CTRNN(sp.random(5, 5, density=0.4, random_state=1, format="csr")),
              CTRNN(sp.csr_matrix((300, 300)), activation="tanh", input=Sampled([0.0], [1.0])),
              CTRNN.from_graph(oscillator_graph(), sparse=True, input=Sinusoid([1, 2], 0.5))]
    for group in (dense, sparse):
        types = {numba.typeof(m.params) for m in group}
        assert len(types) == 1, types
        assert {m.jac for m in group} == {group[0].jac}
    assert numba.typeof(dense[0].params) != numba.typeof(sparse[0].params)
    # The kernel is chosen by model type: storage (loops / BLAS / sparse) x input (constant /
    # time-varying), whatever the size, weights, activation or input values.
    assert dense[0].rhs is dense[3].rhs is K.ctrnn_dense_rhs
    assert dense[1].rhs is K.ctrnn_dense_driven_rhs
    assert dense[2].rhs is K.ctrnn_blas_driven_rhs
    assert sparse[0].rhs is K.ctrnn_sparse_rhs
    assert sparse[1].rhs is sparse[2].rhs is K.ctrnn_sparse_driven_rhs
    # One compiled specialisation per kernel serves all of its models.
    compiled = {}
    for m in dense + sparse:
        f = compiled.setdefault(m.rhs, jitted(m.rhs))
        f(0.0, np.zeros(m.n_states), m.params, np.empty(m.n_states))
    assert len(compiled) == 5
    assert all(len(f.signatures) == 1 for f in compiled.values())


def test_model_is_immutable_and_does_not_alias_user_arrays():
    W = np.array([[0.0, 1.0], [2.0, 0.0]])
    tau = np.array([1.0, 2.0])
    net = CTRNN(W, tau=tau)
    W[0, 1] = 99.0
    tau[0] = 99.0
    assert W.flags.writeable and tau.flags.writeable
    assert net.W[0, 1] == 1.0 and net.tau[0] == 1.0
    for arr in (net.W, net.tau, net.bias, net.gain):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 5.0
    for a in net.params:
        if isinstance(a, np.ndarray):
            assert not a.flags.writeable
    s = CTRNN(sp.csr_matrix(W))
    with pytest.raises(ValueError, match="read-only"):
        s.W.data[0] = 5.0
    with pytest.raises(AttributeError, match=r"replace\(tau=...\)"):
        net.tau = np.ones(2)


@pytest.mark.parametrize("sparse", [False, True])
def test_pickle_round_trip_keeps_params_type(sparse):
    # Ensembles over processes pickle models: the copy must share the compiled specialisation.
    import pickle
    W = sp.csr_matrix(OSC_W) if sparse else OSC_W
    net = CTRNN(W, bias=OSC_BIAS, input=Sampled([0.0, 1.0], [0.0, 1.0], interp="linear"),
                nodes=["p", "q"])
    back = pickle.loads(pickle.dumps(net))
    assert numba.typeof(back.params) == numba.typeof(net.params)
    assert back.nodes == ["p", "q"] and back.rhs is net.rhs and back.input.interp == "linear"
    y = np.array([0.2, -0.4])
    np.testing.assert_array_equal(eval_rhs(back, 0.5, y), eval_rhs(net, 0.5, y))


def test_replace_keeps_the_rest():
    net = CTRNN(OSC_W, bias=OSC_BIAS, nodes=["p", "q"])
    other = net.replace(activation="tanh", gain=2.0)
    assert other.activation == "tanh" and np.all(other.gain == 2.0)
    assert other.nodes == ["p", "q"] and np.array_equal(other.bias, OSC_BIAS)
    assert net.activation == "sigmoid" and np.all(net.gain == 1.0)
    with pytest.raises(TypeError, match="unexpected argument 'weight'"):
        net.replace(weight=1.0)


# ---------------------------------------------------------------- the engine

@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bs32"])
@pytest.mark.parametrize("storage", ["loops", "blas", "sparse"])
def test_adaptive_methods_match_scipy_on_a_random_ctrnn(method, storage):
    # W1's construction (N = 10, g = 5), against SciPy's DOP853 at rtol 1e-10 on the formula
    # written independently with NumPy.
    rng = np.random.default_rng(0)
    n = 10
    W = rng.normal(0.0, 1.0 / np.sqrt(n), (n, n)) * 5
    tau = rng.uniform(1.0, 5.0, n)
    theta = rng.normal(0.0, 1.0, n)
    Wm = sp.csr_matrix(W) if storage == "sparse" else W
    net = CTRNN(Wm, tau=tau, bias=theta, input=0.5, blas=(storage == "blas") or None)
    t = np.linspace(0.0, 50.0, 101)
    f = lambda _, y: (-y + W @ (1.0 / (1.0 + np.exp(-(y + theta)))) + 0.5) / tau
    ref = solve_ivp(f, (0, 50), np.zeros(n), method="DOP853", rtol=1e-10, atol=1e-12,
                    t_eval=t).y.T
    for rtol, bound in ((1e-6, 1e-4), (1e-9, 1e-7)):
        sol = solve(net, (0.0, 50.0), np.zeros(n), method=method, t_eval=t, rtol=rtol,
                    atol=rtol * 1e-3)
        assert sol.success
        assert np.abs(sol.y - ref).max() < bound, (method, storage, rtol)


@pytest.mark.parametrize("sparse", [False, True])
def test_engine_solves_the_oscillator_like_scipy(sparse):
    W = sp.csr_matrix(OSC_W) if sparse else OSC_W
    net = CTRNN(W, bias=OSC_BIAS, input=Sinusoid(0.3, 0.05))
    t = np.linspace(0.0, 60.0, 13)
    ref = trajectory(net, (0.0, 60.0), [0.0, 0.0], t)
    sol = solve(net, (0.0, 60.0), [0.0, 0.0], t_eval=t, rtol=1e-10, atol=1e-12)
    assert sol.success, sol.message
    np.testing.assert_allclose(sol.y, ref, rtol=1e-6, atol=1e-7)


def test_engine_stiff_solver_uses_the_jacobian():
    net = CTRNN(OSC_W.T, bias=OSC_BIAS, tau=[1.0, 1e-3])  # fast second neuron: stiff
    sol = solve(net, (0.0, 50.0), [0.0, 0.0], method="radau", rtol=1e-8, atol=1e-10)
    assert sol.success, sol.message
    assert sol.njev > 0
    np.testing.assert_allclose(eval_rhs(net, 0.0, sol.y[-1]), 0.0, atol=1e-6)


# ---------------------------------------------------------------- docs

@pytest.mark.parametrize("module", ["neurodyn.ctrnn", "neurodyn.inputs"])
def test_docstring_examples_run(module):
    import importlib
    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0


def test_public_api():
    assert {"CTRNN", "Constant", "Sampled", "Sinusoid"} <= set(neurodyn.__all__)


def _same_model(a, b):
    assert sorted(a.__dict__) == sorted(b.__dict__)
    assert len(a.params) == len(b.params)
    for x, y in zip(a.params, b.params):
        assert type(x) is type(y)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.flags.writeable == y.flags.writeable
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y
    for k in ("tau", "bias", "gain", "nodes", "sparse", "blas", "activation"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


@pytest.mark.parametrize("storage", ["dense", "sparse", "blas"])
def test_replace_of_vectors_equals_the_constructor(storage):
    """replace(tau=, bias=, gain=) takes a shortcut past W's checks; its result must be the
    model the constructor builds from the same arguments."""
    import scipy.sparse as sp

    from neurodyn._model import FrozenModel

    rng = np.random.default_rng(3)
    W = rng.normal(size=(6, 6))
    if storage == "sparse":
        W = sp.csr_matrix(np.where(rng.random((6, 6)) < 0.4, W, 0.0))
    net = CTRNN(W, tau=rng.uniform(0.5, 2, 6), bias=rng.normal(size=6), gain=1.5,
                input=Sinusoid(amplitude=0.3, frequency=0.5), activation="tanh",
                nodes=list("abcdef"), blas=True if storage == "blas" else None)
    for changes in ({"bias": rng.normal(size=6)}, {"tau": 2.0}, {"gain": rng.uniform(1, 2, 6)},
                    {"tau": rng.uniform(1, 3, 6), "bias": 0.5, "gain": 3.0}):
        fast = net.replace(**changes)
        _same_model(fast, FrozenModel.replace(net, **changes))
        y = solve(fast, (0.0, 3.0), np.linspace(-1, 1, 6), rtol=1e-10, atol=1e-12)
        ref = solve(FrozenModel.replace(net, **changes), (0.0, 3.0), np.linspace(-1, 1, 6),
                    rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(y.y, ref.y)
    with pytest.raises(AttributeError, match="immutable"):
        fast.bias = np.zeros(6)
    with pytest.raises(ValueError, match="tau of node 'c' \\(index 2\\) must be positive"):
        net.replace(tau=[1.0, 1.0, -1.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="bias has shape"):
        net.replace(bias=np.zeros(5))
    with pytest.raises(TypeError):
        net.replace(bias=[True] * 6)
    assert net.replace(bias=0.0).params[1].flags.writeable is False
