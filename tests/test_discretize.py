"""Discretization of CTRNNs into leaky / Elman RNNs, and the torch export.

References are independent of the compiled loop: the ODE solution from solvers.solve at tight
tolerance, closed-form exponential decay, a plain NumPy loop, and torch.nn.RNN itself.
"""
import doctest
import importlib

import numpy as np
import pytest
import scipy.sparse as sp

import solvers
from neurodyn import CTRNN, Sampled
from neurodyn.discretize import DiscreteRNN, discretize

try:
    import torch
except ImportError:  # torch is an optional extra; only the torch tests need it
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed (extra 'torch')")


def _net(n=3, seed=0, activation="tanh", tau=None, **kw):
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 1.5, (n, n))
    tau = rng.uniform(0.5, 2.0, n) if tau is None else tau
    return CTRNN(W, tau=tau, bias=rng.normal(0, 0.5, n), gain=rng.uniform(0.5, 1.5, n),
                 activation=activation, **kw)


def _numpy_run(rnn, X, h0):
    """The map in plain NumPy, adding sources in the compiled loop's order."""
    W = rnn.W.toarray() if rnn.sparse else np.asarray(rnn.W)
    U = np.eye(rnn.n_states) if rnn.U is None else np.asarray(rnn.U)
    h = np.array(h0, dtype=float)
    out = []
    for x in X:
        z = rnn.gain * (h + rnn.theta)
        s = np.tanh(z) if rnn.activation == "tanh" else 1.0 / (1.0 + np.exp(-z))
        acc = rnn.b.copy()
        for j in range(rnn.n_states):
            acc = acc + W[:, j] * s[j]
        for q in range(U.shape[1]):
            acc = acc + U[:, q] * x[q]
        h = rnn.decay * h + rnn.leak * acc
        out.append(h)
    return np.array(out)


def test_docstring_examples():
    mod = importlib.import_module("neurodyn.discretize")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_leaks_per_method():
    net = _net()
    dt = 0.1
    assert np.array_equal(discretize(net, dt).leak, dt / net.tau)
    e = discretize(net, dt, method="exponential")
    np.testing.assert_allclose(e.leak, 1 - np.exp(-dt / net.tau), rtol=1e-15)
    np.testing.assert_allclose(e.decay, np.exp(-dt / net.tau), rtol=1e-15)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("with_U", [False, True])
def test_compiled_run_matches_numpy_loop(activation, with_U):
    net = _net(5, seed=1, activation=activation, input=np.linspace(-0.5, 0.5, 5))
    rng = np.random.default_rng(2)
    U = rng.normal(size=(5, 2)) if with_U else None
    rnn = discretize(net, 0.2, input_weights=U)
    X = rng.normal(size=(60, rnn.n_inputs))
    h0 = rng.normal(size=5)
    np.testing.assert_allclose(rnn.run(X, h0=h0), _numpy_run(rnn, X, h0), rtol=0, atol=1e-14)


def test_sparse_matches_dense():
    net = _net(6, seed=3)
    Ws = sp.random(6, 6, density=0.4, random_state=4, format="csr") * 3
    dense = discretize(net.replace(W=Ws.toarray()), 0.3)
    sparse = discretize(net.replace(W=Ws), 0.3)
    assert sparse.sparse and not dense.sparse
    X = np.random.default_rng(5).normal(size=(40, 6))
    np.testing.assert_array_equal(sparse.run(X), dense.run(X))


def _ode_reference(net, U, X, Delta, T):
    """Solve the CTRNN with I(t) = b + U x(t), x held on a grid of spacing Delta."""
    drive = X @ U.T + np.broadcast_to(net.input.value, (net.n_states,))
    times = Delta * np.arange(X.shape[0])
    ode = net.replace(input=Sampled(times, drive, interp="zoh"))
    sol = solvers.solve(ode, (0.0, T), np.zeros(net.n_states), method="dopri5",
                        t_eval=[T], rtol=1e-12, atol=1e-12, max_step=Delta / 4)
    assert sol.success
    return sol.y[-1]


@pytest.mark.parametrize("method", ["euler", "exponential"])
def test_first_order_convergence_to_ode(method):
    # The input changes every Delta = 0.25 and every dt divides Delta, so x[k] is the held
    # input of the ODE exactly; the only error is the step's.
    net = _net(3, seed=6, input=[0.2, -0.1, 0.0])
    rng = np.random.default_rng(7)
    U = rng.normal(size=(3, 2))
    Delta, T = 0.25, 3.0
    X = rng.normal(size=(int(round(T / Delta)), 2))
    ref = _ode_reference(net, U, X, Delta, T)
    dts = Delta / np.array([4, 8, 16, 32])
    errs = []
    for dt in dts:
        rnn = discretize(net, dt, method=method, input_weights=U)
        per = int(round(Delta / dt))
        h = rnn.run(np.repeat(X, per, axis=0))[-1]
        errs.append(np.max(np.abs(h - ref)))
    order = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert 0.9 < order < 1.1, (errs, order)
    assert errs[-1] < 2e-2


def test_exponential_euler_exact_for_linear_part():
    # W = 0: tau dh/dt = -h + b + x held over each step has the exact solution that
    # exponential Euler reproduces, whatever dt.
    n, dt = 3, 0.7
    tau = np.array([0.3, 1.0, 4.0])
    b = np.array([1.0, -2.0, 0.5])
    net = CTRNN(np.zeros((n, n)), tau=tau, input=b)
    rnn = discretize(net, dt, method="exponential")
    h0 = np.array([2.0, 1.0, -1.0])
    k = np.arange(1, 21)[:, None]
    exact = b + (h0 - b) * np.exp(-k * dt / tau)
    np.testing.assert_allclose(rnn.run(np.zeros((20, n)), h0=h0), exact, rtol=1e-13,
                               atol=1e-14)
    # Euler is not exact there: that is what distinguishes the two.
    assert np.abs(discretize(net, dt).run(np.zeros((20, n)), h0=h0) - exact).max() > 1e-3


def test_bad_inputs_name_the_problem():
    net = _net()
    for dt in (0.0, -1.0, float("nan"), float("inf"), "x"):
        with pytest.raises(ValueError, match="dt"):
            discretize(net, dt)
    with pytest.raises(ValueError, match="method"):
        discretize(net, 0.1, method="rk4")
    with pytest.raises(ValueError, match=r"U \(input weights\) has shape \(2, 2\)"):
        discretize(net, 0.1, input_weights=np.eye(2))
    with pytest.raises(TypeError, match="CTRNN"):
        discretize(object(), 0.1)
    with pytest.raises(ValueError, match="varies in time"):
        discretize(net.replace(input=Sampled([0.0, 1.0], [0.0, 1.0])), 0.1)
    rnn = discretize(net, 0.1)
    with pytest.raises(ValueError, match=r"inputs has shape \(5, 2\), expected \(T, 3\)"):
        rnn.run(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"inputs has shape \(3,\)"):
        rnn.run(np.zeros(3))
    with pytest.raises(ValueError, match=r"inputs\[1, 2\]"):
        rnn.run([[0, 0, 0], [0, 0, np.nan]])
    with pytest.raises(ValueError, match=r"h0 has shape \(2,\), expected \(3,\)"):
        rnn.run(np.zeros((5, 3)), h0=[0.0, 0.0])
    with pytest.raises(ValueError, match="leak"):
        DiscreteRNN(np.eye(2), leak=[1.0, 0.0])
    with pytest.raises(AttributeError, match="immutable"):
        rnn.leak = 1.0


def test_elman_form_without_torch():
    # a = 1: the map in r = tanh(g (h + theta)) is r' = tanh(W_hh r + W_ih x + b_ih + b_hh).
    for activation in ("tanh", "sigmoid"):
        net = _net(4, seed=8, activation=activation, tau=0.5, input=0.3)
        U = np.random.default_rng(9).normal(size=(4, 2))
        rnn = discretize(net, 0.5, input_weights=U)
        W_ih, W_hh, b_ih, b_hh = rnn.elman_weights()
        X = np.random.default_rng(10).normal(size=(30, 2))
        h0 = np.random.default_rng(11).normal(size=4)
        r = rnn.elman_state(h0)
        rs = []
        for x in X:
            r = np.tanh(W_hh @ r + W_ih @ x + b_ih + b_hh)
            rs.append(r)
        np.testing.assert_allclose(rnn.elman_state(rnn.run(X, h0)), rs, atol=1e-12)


def test_no_elman_form_when_leaky():
    net = _net(tau=1.0)
    with pytest.raises(ValueError, match=r"leak a = 0\.5.*method='euler' and dt equal"):
        discretize(net, 0.5).elman_weights()
    with pytest.raises(ValueError, match="exponential Euler has a = 1 - exp"):
        discretize(net, 1.0, method="exponential").to_torch(form="elman")
    mixed = _net(tau=[1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="neuron 2 has leak"):
        discretize(mixed, 1.0).to_torch(form="elman")


@needs_torch
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_to_torch_matches_run(activation):
    net = _net(5, seed=12, activation=activation, tau=0.25, input=np.linspace(-1, 1, 5))
    U = np.random.default_rng(13).normal(size=(5, 3))
    rnn = discretize(net, 0.25, input_weights=U)
    trnn = rnn.to_torch()
    assert isinstance(trnn, torch.nn.RNN) and trnn.weight_hh_l0.dtype == torch.float64
    X = np.random.default_rng(14).normal(size=(50, 3))
    h0 = np.random.default_rng(15).normal(size=5)
    H = rnn.run(X, h0=h0)
    with torch.no_grad():
        out, hn = trnn(torch.from_numpy(X), torch.from_numpy(rnn.elman_state(h0))[None])
    out = out.numpy()
    np.testing.assert_allclose(out, rnn.elman_state(H), rtol=0, atol=1e-6)
    np.testing.assert_allclose(hn.numpy()[0], out[-1], rtol=0, atol=0)
    # And back: h[k+1] = W sigma[k] + U x[k] + b from torch's outputs.
    s_prev = np.vstack([rnn.elman_state(h0), out[:-1]])
    sig = s_prev if activation == "tanh" else (1 + s_prev) / 2
    np.testing.assert_allclose(sig @ np.asarray(net.W).T + X @ U.T + 1 * net.input.value,
                               H, atol=1e-6)


@needs_torch
def test_from_elman_round_trip_torch():
    torch.manual_seed(0)
    t1 = torch.nn.RNN(3, 4, nonlinearity="tanh").double()
    net = CTRNN.from_elman(t1, tau=0.5)
    assert net.activation == "tanh" and np.all(net.tau == 0.5)
    W_ih = t1.weight_ih_l0.detach().numpy()
    t2 = discretize(net, 0.5, input_weights=W_ih).to_torch()
    for name in ("weight_ih_l0", "weight_hh_l0"):
        np.testing.assert_array_equal(getattr(t2, name).detach().numpy(),
                                      getattr(t1, name).detach().numpy())
    b1 = (t1.bias_ih_l0 + t1.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose((t2.bias_ih_l0 + t2.bias_hh_l0).detach().numpy(), b1,
                               rtol=0, atol=1e-15)
    X = torch.randn(20, 3, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(t2(X)[0].numpy(), t1(X)[0].numpy(), rtol=0, atol=1e-12)
    d = DiscreteRNN.from_elman(t1)
    np.testing.assert_allclose(np.tanh(d.run(X.numpy())), t1(X)[0].detach().numpy(),
                               atol=1e-12)


@needs_torch
def test_from_elman_refuses_non_elman_torch():
    with pytest.raises(ValueError, match="RNN_RELU"):
        CTRNN.from_elman(torch.nn.RNN(2, 3, nonlinearity="relu"))
    with pytest.raises(ValueError, match="one-layer"):
        CTRNN.from_elman(torch.nn.RNN(2, 3, num_layers=2))
    with pytest.raises(TypeError, match="not both"):
        CTRNN.from_elman(torch.nn.RNN(2, 3), np.eye(3))


def test_from_elman_round_trip_numpy():
    rng = np.random.default_rng(16)
    W_ih, W_hh = rng.normal(size=(4, 2)), rng.normal(size=(4, 4))
    b_ih, b_hh = rng.normal(size=4), rng.normal(size=4)
    net = CTRNN.from_elman(W_ih, W_hh, b_ih, b_hh, tau=2.0, nodes=list("abcd"))
    assert net.nodes == list("abcd")
    back = discretize(net, 2.0, input_weights=W_ih).elman_weights()
    np.testing.assert_array_equal(back[0], W_ih)
    np.testing.assert_array_equal(back[1], W_hh)
    np.testing.assert_allclose(back[2] + back[3], b_ih + b_hh, rtol=0, atol=0)
    # A tanh CTRNN with unit gain and zero bias comes back as itself.
    again = CTRNN.from_elman(*back, tau=2.0)
    np.testing.assert_array_equal(again.W, net.W)
    np.testing.assert_array_equal(again.input.value, net.input.value)
    with pytest.raises(ValueError, match=r"W_ih has shape \(3, 2\), expected \(4, m\)"):
        CTRNN.from_elman(np.zeros((3, 2)), W_hh)
    with pytest.raises(ValueError, match="b_hh has shape"):
        CTRNN.from_elman(W_ih, W_hh, b_ih, np.zeros(3))
    with pytest.raises(ValueError, match="tau"):
        CTRNN.from_elman(W_ih, W_hh, tau=0.0)


def test_missing_torch_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    rnn = discretize(_net(tau=1.0), 1.0)
    with pytest.raises(ImportError, match=r"neurodyn\[torch\]"):
        rnn.to_torch()
