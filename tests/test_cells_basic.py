"""The basic cells of neurodyn.cells (IndRNN, Jordan, MTRNN, second-order) and discretize.

References are independent of the compiled kernels: direct NumPy transcriptions of each paper's
update written here, exact solutions of linear cases, central finite differences of the kernels
run as plain Python, and the torch modules themselves.
"""
import pickle

import networkx as nx
import numpy as np
import pytest

import solvers
from neurodyn import ESN, Sinusoid
from neurodyn.analysis import fixed_points, jacobian
from neurodyn.cells.indrnn import ContinuousIndRNN, IndRNN
from neurodyn.cells.jordan import Jordan
from neurodyn.cells.mtrnn import MTRNN
from neurodyn.cells.second_order import ContinuousSecondOrderRNN, SecondOrderRNN
from neurodyn.discretize import discretize
from solvers._checks import InvalidTypeError

ACT = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
       "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "identity": lambda z: z}
N, M, H, T = 4, 2, 3, 7


def _rng(seed=0):
    return np.random.default_rng(seed)


def _indrnn(activation="tanh", seed=0, **kw):
    r = _rng(seed)
    return IndRNN(r.normal(0, 1, (N, M)), r.uniform(-0.9, 0.9, N), r.normal(0, 0.3, N),
                  activation=activation, **kw)


def _second(activation="sigmoid", seed=1, **kw):
    r = _rng(seed)
    return SecondOrderRNN(r.normal(0, 1, (N, M, N)), r.normal(0, 0.3, N),
                          activation=activation, **kw)


def _jordan(seed=2, **kw):
    r = _rng(seed)
    kw.setdefault("alpha", r.uniform(0.1, 0.8, N))
    kw.setdefault("activation", "tanh")
    kw.setdefault("output_activation", "sigmoid")
    return Jordan(r.normal(0, 1, (H, M)), r.normal(0, 1, (H, N)), r.normal(0, 0.3, H),
                  r.normal(0, 1, (N, H)), r.normal(0, 0.3, N), **kw)


def _mtrnn(seed=3, **kw):
    r = _rng(seed)
    kw.setdefault("groups", ["io", "io", "fast", "slow"])
    kw.setdefault("tau", {"io": 2.0, "fast": 5.0, "slow": 70.0})
    return MTRNN(r.normal(0, 1.5, (N, N)), bias=r.normal(0, 0.5, N),
                 W_in=r.normal(0, 1, (N, M)), **kw)


def _same(a, b):
    """Equal params tuples (arrays compared exactly, nested tuples recursively)."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return a == b


def _X(seed=9, T=T):
    return _rng(seed).normal(0, 1, (T, M))


# ------------------------------------------------------------------ the published updates

@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_indrnn_is_li_et_al(activation):
    cell = _indrnn(activation)
    X, h = _X(), _rng(5).normal(0, 1, N)
    out = cell.run(X, h0=h)
    for k, x in enumerate(X):          # h_t = act(W x_t + u * h_{t-1} + b), Li et al. eq. 2
        h = ACT[activation](cell.W @ x + cell.u * h + cell.b)
        np.testing.assert_allclose(out[k], h, rtol=0, atol=1e-12)


def test_second_order_is_giles_et_al():
    rnn = _second()
    X, h = _X(), _rng(5).uniform(0, 1, N)
    out = rnn.run(X, h0=h)
    W = np.asarray(rnn.W)
    for k, x in enumerate(X):
        z = np.array([sum(W[i, j, q] * x[j] * h[q] for j in range(M) for q in range(N))
                      for i in range(N)]) + rnn.b
        h = ACT["sigmoid"](z)
        np.testing.assert_allclose(out[k], h, rtol=0, atol=1e-12)


def test_jordan_is_jordan_1986():
    net = _jordan()
    X, c = _X(), _rng(5).normal(0, 1, N)
    C, Y = net.run(X, h0=c), net.outputs(X, c0=c)
    for k, x in enumerate(X):
        a = np.tanh(net.W_x @ x + net.W_c @ c + net.b)
        y = 1.0 / (1.0 + np.exp(-(net.W_y @ a + net.b_y)))
        c = net.alpha * c + y
        np.testing.assert_allclose(Y[k], y, rtol=0, atol=1e-12)
        np.testing.assert_allclose(C[k], c, rtol=0, atol=1e-12)


def test_mtrnn_is_yamashita_tani():
    net = _mtrnn()
    np.testing.assert_array_equal(net.tau, [2.0, 2.0, 5.0, 70.0])
    X, u = _X(), _rng(5).normal(0, 1, N)
    out = net.run(X, h0=u)
    for k, x in enumerate(X):        # u_{t+1} = (1 - 1/tau) u_t + (1/tau)(W y_t + I_t)
        y = 1.0 / (1.0 + np.exp(-(u + net.bias)))
        u = (1.0 - 1.0 / net.tau) * u + (1.0 / net.tau) * (net.W @ y + net.W_in @ x)
        np.testing.assert_allclose(out[k], u, rtol=0, atol=1e-12)


def test_mtrnn_from_graph_groups_and_edges():
    G = nx.DiGraph()
    for v, g in (("x", "io"), ("f", "fast"), ("s", "slow")):
        G.add_node(v, group=g)
    G.nodes["f"]["bias"] = 0.5
    G.add_weighted_edges_from([("x", "f", 1.5), ("f", "s", -2.0), ("s", "x", 0.25)])
    net = MTRNN.from_graph(G, tau={"io": 2, "fast": 5, "slow": 70})
    assert net.nodes == ["x", "f", "s"] and net.groups == ["io", "fast", "slow"]
    np.testing.assert_array_equal(net.tau, [2.0, 5.0, 70.0])
    np.testing.assert_array_equal(net.bias, [0.0, 0.5, 0.0])
    W = np.zeros((3, 3))
    W[1, 0], W[2, 1], W[0, 2] = 1.5, -2.0, 0.25        # u -> v is W[v, u]
    np.testing.assert_array_equal(net.W, W)
    G.add_node("lost")
    with pytest.raises(ValueError, match="node 'lost' has no 'group' attribute"):
        MTRNN.from_graph(G, tau={"io": 2, "fast": 5, "slow": 70})
    G.nodes["lost"]["group"] = "medium"
    with pytest.raises(ValueError, match="neuron 'lost' is in group 'medium'"):
        MTRNN.from_graph(G, tau={"io": 2, "fast": 5, "slow": 70})


# --------------------------------------------------------------- continuous <-> discrete

def _euler_pair(name):
    """(map, flow, x0, dt): the flow's Euler step dt is the map, by the stated relation."""
    x0 = _rng(6).normal(0, 0.5, N)
    X = _X()
    if name == "indrnn":
        cell = _indrnn(input=X)                       # published: leak 1, dt 1 -> tau = 1
        return cell, cell.continuous(), x0, 1.0
    if name == "indrnn-leaky":
        flow = ContinuousIndRNN(*_arrays_of(_indrnn()), tau=[0.5, 1.0, 2.0, 4.0],
                                activation="relu",
                                input=Sinusoid([1.0, 0.5], [0.3, 0.7], phase=0.2))
        return discretize(flow, 0.2), flow, x0, 0.2
    if name == "second-order":
        rnn = _second(input=X)
        return rnn, rnn.continuous(), x0, 1.0
    if name == "jordan":
        net = _jordan(input=X)                        # beta 1, dt 1 -> tau = 1 / (1 - alpha)
        return net, net.continuous(), x0, 1.0
    if name == "jordan-leaky":
        flow = _jordan().continuous().replace(input=Sinusoid(1.0, 0.4), tau=np.inf)
        return flow.discrete(0.3), flow, x0, 0.3
    net = _mtrnn(input=X, dt=0.5)
    return net, net.continuous(), x0, 0.5


def _arrays_of(cell):
    return np.asarray(cell.W), cell.u, cell.b


PAIRS = ["indrnn", "indrnn-leaky", "second-order", "jordan", "jordan-leaky", "mtrnn"]


@pytest.mark.parametrize("name", PAIRS)
def test_euler_step_of_the_flow_is_the_map(name):
    m, flow, x0, dt = _euler_pair(name)
    steps = T + 2                                     # past the sequence: its last row held
    orbit = solvers.iterate(m, x0, steps)
    sol = solvers.solve(flow, (0.0, steps * dt), x0, method="euler", dt=dt)
    assert orbit.success and sol.success and sol.y.shape == orbit.y.shape
    np.testing.assert_allclose(sol.y, orbit.y, rtol=0, atol=1e-12)


def test_discretize_dispatches_to_the_hook():
    flow = ContinuousSecondOrderRNN(np.asarray(_second().W), tau=[1.0, 2.0, 3.0, 4.0],
                                    activation="tanh", input=[0.5, -1.0])
    for method in ("euler", "exponential"):
        a, b = discretize(flow, 0.25, method), flow.discrete(0.25, method)
        assert type(a) is SecondOrderRNN and np.array_equal(a.params[2], b.params[2])
    np.testing.assert_array_equal(discretize(flow, 0.25).leak, 0.25 / flow.tau)
    with pytest.raises(ValueError, match="dt"):
        discretize(flow, -1.0)
    with pytest.raises(ValueError, match="input_weights"):
        discretize(flow, 0.1, input_weights=np.eye(4))
    with pytest.raises(TypeError, match="CTRNN"):
        discretize(_second(), 0.1)                    # a map has no discrete form


def test_exponential_euler_is_exact_for_linear_cells():
    # IndRNN, identity activation, u = 0, constant input: tau dh/dt = -h + g has
    # h(t) = g + (h0 - g) exp(-t / tau), which exponential Euler steps exactly.
    r = _rng(4)
    W, b, tau, x = r.normal(0, 1, (N, M)), r.normal(0, 1, N), r.uniform(0.5, 3, N), [0.3, -1]
    flow = ContinuousIndRNN(W, 0.0, b, tau=tau, activation="identity", input=x)
    g, h0, dt = W @ x + b, r.normal(0, 1, N), 0.7
    orbit = solvers.iterate(discretize(flow, dt, "exponential"), h0, 5)
    t = np.arange(6)[:, None] * dt
    np.testing.assert_allclose(orbit.y, g + (h0 - g) * np.exp(-t / tau), rtol=0, atol=1e-12)
    # Jordan, W_c = 0: y is constant, dc/dt = -c / tau + y gives c = tau y + (c0 - tau y) e^-t/tau
    net = _jordan(input=x[:M]).replace(W_c=np.zeros((H, N)))
    tau = np.array([0.5, 1.0, 2.0, np.inf])
    flow = net.continuous().replace(tau=tau)
    y = flow.output(np.zeros(N), np.asarray(x))
    orbit = solvers.iterate(flow.discrete(dt, "exponential"), h0, 5)
    with np.errstate(invalid="ignore"):
        exact = np.where(np.isinf(tau), h0 + y * t, tau * y + (h0 - tau * y) * np.exp(-t / tau))
    np.testing.assert_allclose(orbit.y, exact, rtol=0, atol=1e-12)


def test_maps_and_flows_convert_both_ways():
    cell = _indrnn(leak=0.25, dt=0.5)
    flow = cell.continuous()
    np.testing.assert_allclose(flow.tau, 2.0, rtol=1e-15)
    back = flow.discrete(0.5)
    np.testing.assert_allclose(back.leak, cell.leak, rtol=1e-15)
    np.testing.assert_allclose(cell.continuous("exponential").discrete(0.5, "exponential").leak,
                               cell.leak, rtol=1e-14)
    net = _jordan(alpha=[0.5, 1.0, 0.0, 0.25])
    np.testing.assert_array_equal(net.continuous().tau, [2.0, np.inf, 1.0, 4.0 / 3.0])
    ctrnn = _mtrnn().continuous()
    assert _same(MTRNN.from_ctrnn(ctrnn, dt=0.5).continuous().params, ctrnn.params)


# -------------------------------------------------------------------------------- torch

def _outputs(model, X):
    """What the torch module returns as outputs, computed from our run."""
    if isinstance(model, Jordan):
        return model.outputs(X)
    return model.run(X)


@pytest.mark.parametrize("make", [_indrnn, _second, _jordan, _mtrnn],
                         ids=["indrnn", "second-order", "jordan", "mtrnn"])
def test_torch_both_ways(make):
    torch = pytest.importorskip("torch")
    model = make()
    X = _X()
    mod = model.to_torch()
    assert next(mod.parameters()).dtype == torch.float64   # random weights: not float32-exact
    back = type(model).from_torch(mod)
    for key in model._ctor_args:
        if key not in ("input", "nodes", "groups"):
            assert np.array_equal(getattr(back, key), getattr(model, key)), key
    back_sd = type(model).from_torch(mod.state_dict())
    np.testing.assert_array_equal(back_sd.run(X), model.run(X))
    with torch.no_grad():
        y, hT = mod(torch.as_tensor(X))
    np.testing.assert_allclose(y.numpy(), _outputs(model, X), rtol=0, atol=1e-12)
    np.testing.assert_allclose(hT.numpy(), model.run(X)[-1], rtol=0, atol=1e-12)
    # float32: the torch module to float32 rounding; a batch of two sequences at once
    X2 = np.stack([X, _X(10)], axis=1)
    with torch.no_grad():
        y32, _ = model.to_torch(torch.float32)(torch.as_tensor(X2, dtype=torch.float32))
    for b in range(2):
        np.testing.assert_allclose(y32[:, b].double().numpy(), _outputs(model, X2[:, b]),
                                   rtol=0, atol=1e-6 * 4)


def test_torch_float32_weights_round_trip_exactly():
    torch = pytest.importorskip("torch")
    cell = _indrnn()
    cell32 = cell.replace(W=cell.W.astype(np.float32), u=cell.u.astype(np.float32),
                          b=cell.b.astype(np.float32))
    mod = cell32.to_torch()
    assert mod.weight_ih.dtype == torch.float32
    back = IndRNN.from_torch(mod)
    assert np.array_equal(back.W, cell32.W) and np.array_equal(back.u, cell32.u)
    assert pickle.loads(pickle.dumps(mod)).weight_hh.tolist() == mod.weight_hh.tolist()


def test_from_torch_refuses_other_things():
    torch = pytest.importorskip("torch")
    with pytest.raises(InvalidTypeError, match="IndRNN.from_torch needs a torch module"):
        IndRNN.from_torch(3.0)
    with pytest.raises(ValueError, match="'weight_hh'"):
        IndRNN.from_torch(torch.nn.Linear(2, 3))


# ---------------------------------------------------------- Jacobians, fixed points, ensembles

def _systems():
    X = _X()
    # Leaky maps (decay, leak, beta != the published 0, 1, 1), so every term of the
    # Jacobians counts.
    cell, rnn = _indrnn(input=X, leak=0.6), _second(input=X, leak=0.6)
    net, mt = _jordan(input=X, beta=0.7, dt=0.7), _mtrnn(input=X, dt=0.5)
    return [cell, cell.continuous(), rnn, rnn.continuous(), net, net.continuous(), mt,
            mt.continuous()]


def _fd(system, y, t, h=1e-6):
    """Central differences of the kernel run as plain Python (not the jac kernel)."""
    f = system.step if hasattr(system, "step") else system.rhs
    n = y.size
    J = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        hi, lo = np.empty(n), np.empty(n)
        f(t, y + e, system.params, hi)
        f(t, y - e, system.params, lo)
        J[:, j] = (hi - lo) / (2 * h)
    return J


@pytest.mark.parametrize("k", range(8))
def test_analytic_jacobians_match_finite_differences(k):
    system = _systems()[k]
    y = _rng(k).normal(0, 0.7, N)
    t = 3 if hasattr(system, "step") else 3.0
    J = jacobian(system, y, t)
    np.testing.assert_allclose(J, _fd(system, y, t), rtol=1e-7, atol=1e-8)


def test_indrnn_fixed_point_of_the_linear_cell():
    r = _rng(7)
    W, u, b, x = r.normal(0, 1, (N, M)), r.uniform(-0.9, 0.9, N), r.normal(0, 1, N), [1, -0.5]
    exact = (W @ x + b) / (1.0 - u)                  # h = W x + u h + b
    cell = IndRNN(W, u, b, activation="identity", input=x)
    for system in (cell, cell.continuous()):
        fps = fixed_points(system, n_starts=4, seed=0)
        assert len(fps) == 1
        np.testing.assert_allclose(fps[0].x, exact, rtol=1e-10, atol=1e-12)
        assert fps[0].stability.startswith("stable")


@pytest.mark.parametrize("k", range(8))
def test_ensembles_equal_single_runs(k):
    system = _systems()[k]
    Y0 = _rng(k).normal(0, 0.5, (3, N))
    if hasattr(system, "step"):
        ens = solvers.iterate_ensemble(system, Y0, 6)
        single = [solvers.iterate(system, y0, 6).y for y0 in Y0]
    else:
        ens = solvers.solve_ensemble(system, (0.0, 2.0), Y0, method="rk4", dt=0.25)
        single = [solvers.solve(system, (0.0, 2.0), y0, method="rk4", dt=0.25).y for y0 in Y0]
    np.testing.assert_allclose(ens.y, np.stack(single), rtol=0, atol=1e-12)


def test_indrnn_recurrent_bound_keeps_the_gradient_within_gamma():
    T_, gamma = 20, 4.0
    bound = IndRNN.recurrent_bound(T_, gamma)
    assert bound ** T_ == pytest.approx(gamma, rel=1e-13)
    # ReLU, every unit active: d h_T / d h_0 = diag(u)^T, so |u| <= bound keeps it <= gamma
    cell = IndRNN(np.zeros((N, 1)), [3.0, -3.0, 0.5, 1.01], b=[1.0, 1.0, 1.0, 1.0],
                  activation="relu").clipped(T_, gamma, epsilon=0.5)
    np.testing.assert_allclose(cell.u, [bound, -bound, 0.5 ** (1 / T_), 1.01], rtol=1e-15)
    orbit = solvers.iterate(cell.replace(u=np.abs(cell.u)), np.ones(N), T_).y
    P = np.eye(N)
    for k in range(T_):
        P = jacobian(cell.replace(u=np.abs(cell.u)), orbit[k], k) @ P
    np.testing.assert_allclose(np.diag(P), np.abs(cell.u) ** T_, rtol=1e-12)
    assert np.diag(P).max() <= gamma * (1 + 1e-12)
    with pytest.raises(ValueError, match="epsilon"):
        cell.clipped(T_, gamma=1.0, epsilon=2.0)


# ----------------------------------------------------------------------- ContinuousESN -> ESN

def test_discretize_continuous_esn_is_the_leaky_esn():
    esn = ESN(30, leak_rate=0.3, spectral_radius=0.9, density=0.2, bias_scaling=0.2, seed=4)
    u = np.sin(np.arange(50) * 0.3)
    dt = 0.5
    ct = esn.continuous(u, dt=dt)
    d = discretize(ct, dt)
    assert isinstance(d, ESN) and d.leak_rate == pytest.approx(0.3, rel=1e-15)
    sol = solvers.solve(ct, (0.0, 50 * dt), np.zeros(30), method="euler", dt=dt,
                        t_eval=np.arange(1, 51) * dt)
    np.testing.assert_allclose(d.run(u, reset=True), sol.y, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d.run(u, reset=True), esn.run(u, reset=True), rtol=0, atol=1e-12)
    # exponential Euler: the leak rate 1 - exp(-dt / tau), exact for W = 0 and a held input
    e = discretize(ct, dt, "exponential")
    assert e.leak_rate == pytest.approx(-np.expm1(-0.3), rel=1e-15)


def test_discretize_continuous_esn_refuses_what_is_not_exact():
    esn = ESN(5, leak_rate=0.5, density=1.0, seed=0)
    ct = esn.continuous(np.zeros(4), dt=1.0)
    with pytest.raises(ValueError, match="exceeds 1"):
        discretize(ct, 3.0)
    with pytest.raises(ValueError, match="not at the times k dt"):
        discretize(ct, 0.5)
    with pytest.raises(ValueError, match="one leak rate"):
        discretize(ct.replace(tau=[1.0, 2.0, 2.0, 2.0, 2.0]), 1.0)


# -------------------------------------------------------------------------------- bad input

def test_bad_inputs_name_the_culprit():
    r = _rng(0)
    with pytest.raises(InvalidTypeError, match="W must hold real numbers"):
        IndRNN(np.ones((2, 1), dtype=bool), [0.5, 0.5])
    with pytest.raises(ValueError, match=r"W has shape \(3,\), expected a non-empty 2-D"):
        IndRNN(np.ones(3), 0.5)
    with pytest.raises(ValueError, match=r"u has shape \(3,\), expected a scalar or shape \(2,\)"):
        IndRNN(np.ones((2, 1)), [0.5, 0.5, 0.5])
    W = np.ones((2, 1))
    W[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"W\[1, 0\] = nan is not finite \(input 0 -> neuron 1"):
        IndRNN(W, 0.5)
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        IndRNN(np.ones((2, 1)), 0.5, activation="softplus")
    with pytest.raises(ValueError, match=r"input has shape \(3,\), expected a number or \(1,\)"):
        IndRNN(np.ones((2, 1)), 0.5, input=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="tau of neuron 'b' .* must be positive"):
        ContinuousIndRNN(np.ones((2, 1)), 0.5, tau=[1.0, -1.0], nodes=["a", "b"])
    with pytest.raises(ValueError, match="a 2-D array is an input sequence"):
        ContinuousIndRNN(np.ones((2, 1)), 0.5, input=np.ones((3, 1)))
    with pytest.raises(ValueError, match="dt"):
        IndRNN(np.ones((2, 1)), 0.5, dt=0.0)
    with pytest.raises(ValueError, match=r"expected \(n, m, n\)"):
        SecondOrderRNN(r.normal(size=(3, 2, 4)))
    with pytest.raises(InvalidTypeError, match="b must hold real numbers"):
        SecondOrderRNN(np.ones((2, 1, 2)), b=[True, False])
    with pytest.raises(ValueError, match=r"W_c has shape \(3, 2\), expected \(3, 4\)"):
        Jordan(np.ones((3, 2)), np.ones((3, 2)), W_y=np.ones((4, 3)))
    with pytest.raises(TypeError, match="W_y"):
        Jordan(np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="unknown output_activation"):
        Jordan(np.ones((1, 1)), np.ones((1, 1)), W_y=np.ones((1, 1)), output_activation="x")
    with pytest.raises(ValueError, match="groups has 3 labels, expected 4"):
        MTRNN(np.zeros((4, 4)), groups=["io", "io", "slow"])
    with pytest.raises(ValueError, match="no groups were given"):
        MTRNN(np.zeros((4, 4)), tau={"io": 2.0})
    with pytest.raises(ValueError, match="unknown activation 'relu'"):
        MTRNN(np.zeros((2, 2)), activation="relu")    # the CTRNN's activations only
    with pytest.raises(ValueError, match="Sinusoid through W_in"):
        MTRNN(np.zeros((2, 2)), W_in=np.ones((2, 1)), input=Sinusoid(1.0, 1.0))
    with pytest.raises(ValueError, match=r"W_in has shape \(3, 1\), expected \(2, any\)"):
        MTRNN(np.zeros((2, 2)), W_in=np.ones((3, 1)))
    with pytest.raises(InvalidTypeError, match="node 'a': attribute .tau of group 'io'."):
        MTRNN(np.zeros((1, 1)), tau={"io": True}, groups=["io"], nodes=["a"])
    with pytest.raises(ValueError, match=r"inputs has shape \(3, 2\), expected \(T, 1\)"):
        _indrnn().replace(W=np.ones((N, 1))).run(np.ones((3, 2)))


def test_maps_without_a_flow_are_refused():
    cell = _indrnn(leak=0.5, decay=0.2)
    with pytest.raises(ValueError, match="no continuous form: decay of neuron 0"):
        cell.continuous()
    with pytest.raises(ValueError, match="no continuous form: beta of context unit 0"):
        _jordan(beta=2.0).continuous()
    with pytest.raises(ValueError, match="alpha of context unit 1 is 1.5"):
        _jordan(alpha=[0.5, 1.5, 0.5, 0.5]).continuous()
    with pytest.raises(ValueError, match="dt = tau, but tau differs"):
        ContinuousIndRNN(np.ones((2, 1)), 0.5, tau=[1.0, 2.0]).discrete()
    with pytest.raises(ValueError, match="unknown method 'rk4'"):
        ContinuousIndRNN(np.ones((2, 1)), 0.5).discrete(0.1, "rk4")


def test_models_are_immutable_and_pickle_through_their_constructor():
    for model in _systems()[:7]:
        with pytest.raises(AttributeError, match="immutable"):
            model.nodes = None
        back = pickle.loads(pickle.dumps(model))
        assert type(back) is type(model) and back.n_states == model.n_states
        assert _same(back.params, model.params)
    cell = _indrnn().replace(leak=0.5)                 # decay follows a new leak
    np.testing.assert_array_equal(cell.decay, 0.5)
    assert repr(_mtrnn()).startswith("MTRNN(n=4, n_inputs=2, dt=1.0, groups=")
