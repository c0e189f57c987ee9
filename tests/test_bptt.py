"""neurodyn.train.bptt and the leaky discrete RNN in torch (DiscreteRNN.to_torch for a < 1).

References: a plain NumPy transcription of the leaky update, DiscreteRNN.run (compiled),
solvers.solve with Euler at the same dt, and the trained torch modules themselves (their
outputs recomputed here from their own weights). The loss history is checked against the
NumPy mean squared error of the returned network, so the returned CTRNN is the one the loss
was computed for.
"""
import pickle
import sys

import numpy as np
import pytest
import scipy.sparse as sp

torch = pytest.importorskip("torch")

import solvers  # noqa: E402
from neurodyn import CTRNN, Sampled  # noqa: E402
from neurodyn.discretize import DiscreteRNN, discretize  # noqa: E402
from neurodyn.train.bptt import bptt  # noqa: E402

DT, T, N = 0.25, 80, 10
TIMES = DT * np.arange(1, T + 1)
SINE = np.sin(2 * np.pi * TIMES / 10.0)[:, None]   # target of h[k+1], read at t = (k+1) dt
CONST = np.ones((T, 1))                               # a constant input channel


def _ctrnn(n=N, seed=1, **kw):
    rng = np.random.default_rng(seed)
    return CTRNN(rng.normal(scale=1 / np.sqrt(n), size=(n, n)), **{"tau": 1.0,
                                                                    "activation": "tanh", **kw})


def _numpy_leaky(rnn, X, h0):
    """h' = decay h + leak (W sigma(g (h + theta)) + U x + b), transcribed."""
    W = rnn.W.toarray() if rnn.sparse else np.asarray(rnn.W)
    U = np.eye(rnn.n_states) if rnn.U is None else np.asarray(rnn.U)
    h, out = np.array(h0, dtype=float), []
    for x in X:
        z = rnn.gain * (h + rnn.theta)
        s = np.tanh(z) if rnn.activation == "tanh" else 1 / (1 + np.exp(-z))
        h = rnn.decay * h + rnn.leak * (W @ s + U @ x + rnn.b)
        out.append(h)
    return np.array(out)


def _torch_readout(res, X):
    """The trained torch network's output for one input sequence (T, m), from its module."""
    mod, C, d = res.module, *res.readout
    Xt = torch.from_numpy(X)
    with torch.no_grad():
        if res.form == "leaky":
            H = mod(Xt, torch.from_numpy(res.h0))[0].numpy()
        else:
            r0 = torch.tanh(torch.from_numpy(res.h0))[None]
            R = mod(Xt, r0)[0].numpy()
            R_prev = np.vstack([r0.numpy(), R[:-1]])
            w = {k: v.numpy() for k, v in mod.state_dict().items()}
            H = (R_prev @ w["weight_hh_l0"].T + X @ w["weight_ih_l0"].T + w["bias_ih_l0"]
                 + w["bias_hh_l0"])
    return H @ C.T + d, H


@pytest.fixture(scope="module")
def trained():
    """A 10-neuron tanh CTRNN (tau = 1, dt = 0.25: leak 0.25) learning a sine from a constant
    input; trained once for the module."""
    return bptt(_ctrnn(), CONST, SINE, dt=DT, epochs=60, lr=0.05, seed=0)


# --- the leaky torch module and the inverse maps ----------------------------------------------

@pytest.mark.parametrize("activation,method", [("tanh", "euler"), ("sigmoid", "exponential")])
def test_leaky_module_equals_run(activation, method):
    rng = np.random.default_rng(2)
    net = CTRNN(rng.normal(size=(5, 5)), tau=rng.uniform(0.5, 2, 5), bias=rng.normal(size=5),
                gain=rng.uniform(0.5, 2, 5), input=rng.normal(size=5), activation=activation)
    rnn = discretize(net, 0.3, method=method, input_weights=rng.normal(size=(5, 2)))
    mod = rnn.to_torch()
    assert type(mod).__name__ == "LeakyRNNModule" and mod.weight_hh.dtype == torch.float64
    X, h0 = rng.normal(size=(40, 2)), rng.normal(size=5)
    H = rnn.run(X, h0)
    np.testing.assert_allclose(H, _numpy_leaky(rnn, X, h0), rtol=0, atol=1e-12)
    with torch.no_grad():
        out, hT = mod(torch.from_numpy(X), torch.from_numpy(h0))
        # Batched, time first (as torch.nn.RNN): two copies of the sequence, one h0 each.
        outB, _ = mod(torch.from_numpy(np.stack([X, X], axis=1)),
                      torch.from_numpy(np.stack([h0, h0])))
    np.testing.assert_allclose(out.numpy(), H, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(hT.numpy(), out.numpy()[-1])
    np.testing.assert_allclose(outB.numpy()[:, 1], H, rtol=0, atol=1e-12)


def test_round_trip_discrete_torch_discrete_is_exact():
    rng = np.random.default_rng(3)
    W = sp.random(6, 6, density=0.4, random_state=4, format="csr")
    for U in (None, rng.normal(size=(6, 3))):
        rnn = DiscreteRNN(W, U=U, b=rng.normal(size=6), leak=rng.uniform(0.1, 1, 6),
                          gain=rng.uniform(0.5, 2, 6), theta=rng.normal(size=6),
                          activation="sigmoid", nodes=list("abcdef"))
        for source in (rnn.to_torch(), rnn.to_torch().state_dict()):
            back = DiscreteRNN.from_torch(source, nodes=rnn.nodes)
            np.testing.assert_array_equal(back.W, rnn.W.toarray())
            assert (back.U is None) == (U is None)
            if U is not None:
                np.testing.assert_array_equal(back.U, U)
            for name in ("b", "leak", "decay", "gain", "theta"):
                np.testing.assert_array_equal(getattr(back, name), getattr(rnn, name))
            assert back.activation == "sigmoid" and back.nodes == rnn.nodes
        X = rng.normal(size=(20, rnn.n_inputs))
        np.testing.assert_array_equal(DiscreteRNN.from_torch(rnn.to_torch()).run(X), rnn.run(X))


def test_elman_case_stays_torch_rnn_and_leaky_on_request():
    net = _ctrnn(4, tau=0.5)
    rnn = discretize(net, 0.5)
    assert isinstance(rnn.to_torch(), torch.nn.RNN)           # a = 1: exact Elman form
    leaky = rnn.to_torch(form="leaky")                        # the same map, state h
    X = np.random.default_rng(5).normal(size=(15, 4))
    with torch.no_grad():
        np.testing.assert_allclose(leaky(torch.from_numpy(X))[0].numpy(), rnn.run(X),
                                   rtol=0, atol=1e-12)
    assert isinstance(DiscreteRNN.from_torch(rnn.to_torch()), DiscreteRNN)
    with pytest.raises(ValueError, match="no exact Elman form"):
        discretize(net, 0.25).to_torch(form="elman")
    with pytest.raises(ValueError, match="unknown form 'gru'"):
        rnn.to_torch(form="gru")


@pytest.mark.parametrize("method", ["euler", "exponential"])
def test_continuous_inverts_discretize(method):
    rng = np.random.default_rng(6)
    net = CTRNN(rng.normal(size=(4, 4)), tau=rng.uniform(0.2, 3, 4), bias=rng.normal(size=4),
                gain=rng.uniform(0.5, 2, 4), input=rng.normal(size=4), activation="sigmoid",
                nodes=list("wxyz"))
    back = discretize(net, 0.1, method=method).continuous()
    np.testing.assert_allclose(back.tau, net.tau, rtol=4e-16 if method == "euler" else 1e-14)
    for name in ("W", "bias", "gain"):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name))
    np.testing.assert_array_equal(back.input.value, net.input.value)
    assert back.nodes == net.nodes and back.activation == "sigmoid"
    with pytest.raises(ValueError, match="needs dt"):
        DiscreteRNN([[1.0]], leak=0.5).continuous()
    with pytest.raises(ValueError, match="decay of neuron 0 is 0.25, not 1 - leak"):
        DiscreteRNN([[1.0]], leak=0.5, decay=0.25, dt=1.0).continuous()


# --- bptt ---------------------------------------------------------------------------------

def test_bptt_loss_falls_and_history_is_the_returned_networks(trained):
    res = trained
    assert res.success and res.status == 0 and res.form == "leaky"
    assert res.epochs == 60 and res.loss.shape == (61,)
    assert res.loss[-1] < res.loss[0] / 10
    mse = np.mean((res.predict(CONST) - SINE) ** 2)
    np.testing.assert_allclose(res.loss[-1], mse, rtol=1e-10)
    # Untrained by default: tau, gain and activation come back as they were.
    np.testing.assert_array_equal(res.model.tau, 1.0)
    np.testing.assert_array_equal(res.model.gain, 1.0)
    assert res.model.activation == "tanh" and res.input_weights.shape == (N, 1)


def test_returned_ctrnn_reproduces_torch(trained):
    res = trained
    Z_torch, H_torch = _torch_readout(res, CONST)
    np.testing.assert_allclose(res.predict(CONST), Z_torch, rtol=0, atol=1e-6)
    H = discretize(res.model, DT, input_weights=res.input_weights).run(CONST, res.h0)
    np.testing.assert_allclose(H, H_torch, rtol=0, atol=1e-6)
    # The ODE itself, with its drive U x + b, by Euler at the same dt.
    drive = res.input_weights @ CONST[0] + res.model.input.value
    sol = solvers.solve(res.model.replace(input=drive), (0.0, T * DT), res.h0,
                        method="euler", dt=DT)
    np.testing.assert_allclose(sol.t[1:], TIMES, rtol=1e-13)
    np.testing.assert_allclose(sol.y[1:], H_torch, rtol=0, atol=1e-6)


def test_bptt_trains_tau_and_gain_on_a_sparse_net_in_batches():
    rng = np.random.default_rng(7)
    W = sp.random(N, N, density=0.3, random_state=8, format="csr") * 2.0
    net = CTRNN(W, tau=rng.uniform(0.5, 1.5, N), bias=rng.normal(size=N), gain=1.5,
                activation="sigmoid", nodes=[f"n{i}" for i in range(N)])
    X = np.stack([CONST[:40], 0.5 * CONST[:40]])                  # (B, T, m)
    Y = np.stack([SINE[:40], 0.5 * SINE[:40]])
    h0, U0 = rng.normal(size=N), rng.normal(size=(N, 1))
    res = bptt(net, X, Y, dt=DT, method="exponential", epochs=12, lr=0.02, washout=5, h0=h0,
               input_weights=U0, train=("W", "input", "bias", "gain", "tau"), seed=1)
    assert res.form == "leaky" and res.model.sparse and res.model.nodes == net.nodes
    assert res.loss[-1] < res.loss[0]
    W1 = res.model.W.toarray()
    assert np.all(W1[W.toarray() == 0] == 0) and not np.array_equal(W1, W.toarray())
    assert not np.allclose(res.model.tau, net.tau) and not np.allclose(res.model.gain, 1.5)
    np.testing.assert_array_equal(res.input_weights, U0)   # not trained: given back
    # The module's leak is the returned tau's, computed as discretize computes it.
    rnn = res.discrete()
    np.testing.assert_allclose(res.module.leak.numpy(), rnn.leak, rtol=1e-15)
    again = pickle.loads(pickle.dumps(res.module))   # its class is built lazily: pickle finds it
    np.testing.assert_array_equal(again.weight_hh.detach().numpy(), W1)
    for b in range(2):
        Z_torch, _ = _torch_readout(res, X[b])
        np.testing.assert_allclose(res.predict(X)[b], Z_torch, rtol=0, atol=1e-6)
    mse = np.mean((res.predict(X)[:, 5:] - Y[:, 5:]) ** 2)
    np.testing.assert_allclose(res.loss[-1], mse, rtol=1e-10)


def test_bptt_elman_case_trains_torch_rnn():
    net = _ctrnn(tau=DT, activation="sigmoid", gain=2.0, bias=0.3)
    h0 = np.linspace(-1, 1, N)
    # Untrained, the returned network is the same dynamics in from_elman's coordinates:
    # tanh, gain 1, bias 0, state h' = g (h + theta) / 2.
    res0 = bptt(net, CONST, SINE, dt=DT, epochs=0, h0=h0, seed=0)
    assert res0.form == "elman" and isinstance(res0.module, torch.nn.RNN)
    assert res0.model.activation == "tanh" and np.all(res0.model.gain == 1.0)
    np.testing.assert_allclose(res0.h0, 2.0 * (h0 + 0.3) / 2)
    H = discretize(net, DT, input_weights=res0.input_weights).run(CONST, h0)
    H1 = res0.discrete().run(CONST, res0.h0)
    np.testing.assert_allclose(H1, 2.0 * (H + 0.3) / 2, rtol=0, atol=1e-12)

    res = bptt(net, CONST, SINE, dt=DT, epochs=25, lr=0.05, h0=h0, seed=0)
    assert res.loss[-1] < 0.95 * res.loss[0]
    Z_torch, H_torch = _torch_readout(res, CONST)
    np.testing.assert_allclose(res.discrete().run(CONST, res.h0), H_torch, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.predict(CONST), Z_torch, rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.loss[-1], np.mean((Z_torch - SINE) ** 2), rtol=1e-10)


class _StopAt:
    """A loss that behaves as MSE, then raises KeyboardInterrupt / returns NaN at call k."""

    def __init__(self, k, what):
        self.k, self.what, self.calls = k, what, 0

    def __call__(self, z, y):
        self.calls += 1
        if self.calls == self.k:
            if self.what == "interrupt":
                raise KeyboardInterrupt
            return torch.tensor(float("nan"), dtype=torch.float64)
        return torch.mean((z - y) ** 2)


@pytest.mark.parametrize("what,status,at", [("interrupt", -7, 4), ("nan", -3, 4),
                                             ("interrupt", -7, 1)])
def test_bptt_partial_result(what, status, at):
    res = bptt(_ctrnn(), CONST[:30], SINE[:30], dt=DT, epochs=10, lr=0.05, seed=0,
               loss=_StopAt(at, what))
    assert res.status == status and not res.success
    # Call k (1-based) evaluates the parameters after k - 1 updates; it fails, so the
    # parameters after k - 2 updates (the initial ones when k = 1) come back.
    assert res.epochs == max(at - 2, 0) and res.loss.shape == (res.epochs + 1,)
    assert ("Interrupted" if what == "interrupt" else "non-finite") in res.message
    # The parameters returned are those whose loss is the last one recorded.
    mse = np.mean((res.predict(CONST[:30]) - SINE[:30]) ** 2)
    np.testing.assert_allclose(res.loss[-1], mse, rtol=1e-10)


def test_bptt_states_readout():
    net = _ctrnn(3)
    Y = 0.2 * np.ones((20, 3))
    res = bptt(net, np.ones((20, 3)), Y, dt=DT, epochs=5, readout="states", train=("W",),
               seed=0)
    assert res.readout is None
    np.testing.assert_allclose(res.loss[-1], np.mean((res.predict(np.ones((20, 3))) - Y) ** 2),
                               rtol=1e-10)
    np.testing.assert_array_equal(res.input_weights, np.eye(3))   # m = n: identity, untrained
    np.testing.assert_array_equal(res.model.input.value, net.input.value)


def test_bptt_bad_inputs():
    net = _ctrnn(3)
    X, Y = np.ones((10, 1)), np.zeros((10, 1))
    ok = dict(dt=DT, epochs=1)
    cases = [
        (lambda: bptt(discretize(net, DT), X, Y, **ok), TypeError, "trains a neurodyn CTRNN"),
        (lambda: bptt(net, X, Y, dt=DT, epochs=2.0), TypeError, "epochs must be an integer"),
        (lambda: bptt(net, X, Y, dt=DT, epochs=True), TypeError, "epochs must be an integer"),
        (lambda: bptt(net, X, Y, dt=-1.0, epochs=1), ValueError, "dt must be a positive"),
        (lambda: bptt(net, X, Y, lr=0.0, **ok), ValueError, "lr must be a positive"),
        (lambda: bptt(net, X, Y, train="W", **ok), TypeError, "train must be a sequence"),
        (lambda: bptt(net, X, Y, train=("W", "weights"), **ok), ValueError,
         "unknown parameter 'weights'"),
        (lambda: bptt(net, [[1.0], [np.nan]], Y, **ok), ValueError,
         r"inputs has a non-finite value nan at step 1, channel 0"),
        (lambda: bptt(net, [["a"]], Y, **ok), TypeError, "inputs"),
        (lambda: bptt(net, X, np.zeros((9, 1)), **ok), ValueError,
         r"targets has shape \(9, 1\), expected 1 sequence\(s\) of 10 steps"),
        (lambda: bptt(net, X, Y, readout="states", **ok), ValueError,
         r"targets \(readout='states': one column per neuron, 3\) has shape"),
        (lambda: bptt(net, X, Y, readout="ridge", **ok), ValueError, "unknown readout"),
        (lambda: bptt(net, X, Y, washout=10, **ok), ValueError, "washout must be an integer <= 9"),
        (lambda: bptt(net, X, Y, optimizer="rmsprop", **ok), ValueError, "unknown optimizer"),
        (lambda: bptt(net, X, Y, loss="l1", **ok), ValueError, "loss must be 'mse'"),
        (lambda: bptt(net, X, Y, loss=np.zeros(2), **ok), ValueError, "loss must be 'mse'"),
        (lambda: bptt(net, np.ones((10, 3)), np.ones((10, 3)), readout="states", train=(),
                      **ok), ValueError, "nothing to train"),
        (lambda: bptt(net, X, Y, form="elman", **ok), ValueError, "form='elman' needs a = dt"),
        (lambda: bptt(net, X, Y, input_weights=np.ones((2, 1)), **ok), ValueError,
         r"U \(input weights\) has shape \(2, 1\)"),
        (lambda: bptt(net, X, Y, h0=[0.0, 1.0], **ok), ValueError, r"h0 has shape \(2,\)"),
        (lambda: bptt(net, X, Y, clip=-1.0, **ok), ValueError, "clip must be a positive"),
        (lambda: bptt(net, X, Y, seed=-1, **ok), ValueError, "seed must be None"),
        (lambda: bptt(net.replace(input=Sampled([0.0, 1.0], [0.0, 1.0])), X, Y, **ok),
         ValueError, "varies in time"),
    ]
    for call, exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            call()


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)   # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match=r"neurodyn\[torch\]"):
        bptt(_ctrnn(3), np.ones((5, 1)), np.zeros((5, 1)), dt=DT, epochs=1)
    with pytest.raises(ImportError, match=r"neurodyn\[torch\]"):
        discretize(_ctrnn(3), DT).to_torch()
