"""GRU, LSTM, GRU-ODE and the continuous-time LSTM (neurodyn.cells.gated).

References used here, each independent of the code under test:
* a direct NumPy transcription of the cell equations as torch documents them
  (https://pytorch.org/docs/stable/generated/torch.nn.GRU.html and .../torch.nn.LSTM.html),
  written out below from the formulas, not from the kernels;
* torch itself (GRU, GRUCell, LSTM, LSTMCell) on random weights and inputs;
* central finite differences of the NumPy transcription for the Jacobians.
"""
import numpy as np
import pytest

import solvers
from neurodyn.analysis import fixed_points, jacobian
from neurodyn.cells.gated import GRU, GRUODE, LSTM, LSTMODE
from neurodyn.inputs import Sampled
from solvers import InvalidTypeError

N, M = 4, 3          # hidden size, input channels


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def np_gru(x, h, Wih, Whh, bih, bhh):
    """torch.nn.GRUCell as documented: r, z, n gates; r multiplies (W_hn h + b_hn)."""
    Wir, Wiz, Win = np.split(Wih, 3)
    Whr, Whz, Whn = np.split(Whh, 3)
    bir, biz, bin_ = np.split(bih, 3)
    bhr, bhz, bhn = np.split(bhh, 3)
    r = _sig(Wir @ x + bir + Whr @ h + bhr)
    z = _sig(Wiz @ x + biz + Whz @ h + bhz)
    n = np.tanh(Win @ x + bin_ + r * (Whn @ h + bhn))
    return (1 - z) * n + z * h


def np_lstm(x, h, c, Wih, Whh, bih, bhh):
    """torch.nn.LSTMCell as documented: i, f, g, o gates."""
    a = Wih @ x + bih + Whh @ h + bhh
    ai, af, ag, ao = np.split(a, 4)
    i, f, g, o = _sig(ai), _sig(af), np.tanh(ag), _sig(ao)
    c2 = f * c + i * g
    return o * np.tanh(c2), c2


def _weights(rng, G, n=N, m=M, scale=0.8):
    return (scale * rng.standard_normal((G * n, m)), scale * rng.standard_normal((G * n, n)),
            0.5 * rng.standard_normal(G * n), 0.5 * rng.standard_normal(G * n))


def _fd(f, x, h=1e-6):
    """Central differences of f at x (columns: d f / d x_j)."""
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=1)


# ------------------------------------------------------------------ NumPy transcriptions

def test_gru_map_and_ode_equal_the_equations():
    rng = np.random.default_rng(1)
    Wih, Whh, bih, bhh = _weights(rng, 3)
    X = rng.standard_normal((6, M))
    h0 = rng.uniform(-1, 1, N)
    gru = GRU(Wih, Whh, bih, bhh, input=X)            # row k read at step k
    sol = solvers.iterate(gru, h0, len(X))
    want = [h0]
    for x in X:
        want.append(np_gru(x, want[-1], Wih, Whh, bih, bhh))
    np.testing.assert_allclose(sol.y, np.array(want), rtol=0, atol=1e-12)
    np.testing.assert_allclose(gru.run(X, h0=h0), np.array(want[1:]), rtol=0, atol=1e-12)
    # GRU-ODE: dh/dt = (1 - z)(n - h) (De Brouwer et al. 2019): at a state h, n - h and 1 - z
    # are read off the transcription as (F(h) - h) = (1 - z)(n - h).
    ode = gru.ode()
    assert isinstance(ode, GRUODE)
    flow = solvers.solve(ode, (0.0, float(len(X))), h0, method="euler", dt=1.0,
                         t_eval=np.arange(len(X) + 1.0))
    assert flow.success
    # Euler with dt = 1 is the GRU update, step by step, the input held over each step.
    np.testing.assert_allclose(flow.y, sol.y, rtol=0, atol=1e-12)


def test_lstm_map_and_ode_equal_the_equations():
    rng = np.random.default_rng(2)
    Wih, Whh, bih, bhh = _weights(rng, 4)
    X = rng.standard_normal((5, M))
    h0, c0 = rng.uniform(-1, 1, N), rng.standard_normal(N)
    lstm = LSTM(Wih, Whh, bih, bhh, input=X)
    sol = solvers.iterate(lstm, np.concatenate([h0, c0]), len(X))
    h, c, want = h0, c0, [np.concatenate([h0, c0])]
    for x in X:
        h, c = np_lstm(x, h, c, Wih, Whh, bih, bhh)
        want.append(np.concatenate([h, c]))
    np.testing.assert_allclose(sol.y, np.array(want), rtol=0, atol=1e-12)
    np.testing.assert_allclose(lstm.run(X, h0=h0, c0=c0), np.array(want[1:]), rtol=0,
                               atol=1e-12)
    flow = solvers.solve(lstm.ode(), (0.0, float(len(X))), want[0], method="euler", dt=1.0,
                         t_eval=np.arange(len(X) + 1.0))
    np.testing.assert_allclose(flow.y, sol.y, rtol=0, atol=1e-12)
    # The continuous form itself: dc/dt = c' - c, dh/dt = o tanh(c') - h.
    ode = LSTMODE(Wih, Whh, bih, bhh, input=X[0])
    y = np.concatenate([h0, c0])
    dydt = np.empty(2 * N)
    ode.rhs(0.0, y, ode.params, dydt)
    h1, c1 = np_lstm(X[0], h0, c0, Wih, Whh, bih, bhh)
    np.testing.assert_allclose(dydt, np.concatenate([h1 - h0, c1 - c0]), rtol=0, atol=1e-12)


def test_gru_ode_against_scipy():
    """GRU-ODE with DOPRI5 at tight tolerance against SciPy's DOP853 on the transcription."""
    from scipy.integrate import solve_ivp
    rng = np.random.default_rng(3)
    Wih, Whh, bih, bhh = _weights(rng, 3)
    x = rng.standard_normal(M)
    h0 = rng.uniform(-1, 1, N)

    def f(t, h):  # F(h) - h = (1 - z)(n - h): the GRU-ODE right-hand side
        return np_gru(x, h, Wih, Whh, bih, bhh) - h

    ref = solve_ivp(f, (0, 5), h0, method="DOP853", rtol=1e-12, atol=1e-12)
    sol = solvers.solve(GRUODE(Wih, Whh, bih, bhh, input=x), (0.0, 5.0), h0, rtol=1e-11,
                        atol=1e-12)
    np.testing.assert_allclose(sol.y[-1], ref.y[:, -1], rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- Jacobians

@pytest.mark.parametrize("cls", [GRU, GRUODE, LSTM, LSTMODE])
def test_jacobians_against_finite_differences(cls):
    rng = np.random.default_rng(4)
    lstm = cls in (LSTM, LSTMODE)
    Wih, Whh, bih, bhh = _weights(rng, 4 if lstm else 3, scale=1.2)
    x = rng.standard_normal(M)
    model = cls(Wih, Whh, bih, bhh, input=x)
    if lstm:
        def F(y):
            return np.concatenate(np_lstm(x, y[:N], y[N:], Wih, Whh, bih, bhh))
        y = np.concatenate([rng.uniform(-1, 1, N), rng.standard_normal(N)])
    else:
        def F(y):
            return np_gru(x, y, Wih, Whh, bih, bhh)
        y = rng.uniform(-1, 1, N)
    want = _fd(F, y)
    if cls in (GRUODE, LSTMODE):   # flows: F(y) - y
        want -= np.eye(y.size)
    np.testing.assert_allclose(jacobian(model, y), want, rtol=0, atol=1e-8)


# ------------------------------------------------------------------------------- torch

@pytest.fixture
def torch():
    """torch, or the test is skipped (the NumPy tests above run without it)."""
    return pytest.importorskip("torch")


def _torch_inputs(torch, seed, T, m=M, dtype=None):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(T, m, generator=g, dtype=dtype or torch.float32)


def test_gru_from_torch_two_layers_and_cell(torch):
    torch.manual_seed(10)
    net = torch.nn.GRU(M, N, num_layers=2)
    X = _torch_inputs(torch, 0, 9)
    h0 = torch.randn(2, 1, N)
    with torch.no_grad():
        out, hn = net(X.unsqueeze(1), h0)
    l0, l1 = GRU.from_torch(net, 0), GRU.from_torch(net, layer=1)
    assert l1.n_inputs == N and l0.torch_class == "GRU"
    s0 = l0.run(X, h0=h0[0, 0])
    s1 = l1.run(s0, h0=h0[1, 0])
    np.testing.assert_allclose(s1, out[:, 0].double().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(s0[-1], hn[0, 0].double().numpy(), rtol=0, atol=1e-6)
    cell = torch.nn.GRUCell(M, N)
    h = torch.randn(1, N)
    with torch.no_grad():
        ref = cell(X[:1], h)
    ours = GRU.from_torch(cell)
    np.testing.assert_allclose(ours.run(X[:1].numpy(), h0=h[0].numpy())[0],
                               ref[0].double().numpy(), rtol=0, atol=1e-6)


def test_lstm_from_torch_two_layers_and_cell(torch):
    torch.manual_seed(11)
    net = torch.nn.LSTM(M, N, num_layers=2)
    X = _torch_inputs(torch, 1, 8)
    h0, c0 = torch.randn(2, 1, N), torch.randn(2, 1, N)
    with torch.no_grad():
        out, (hn, cn) = net(X.unsqueeze(1), (h0, c0))
    l0, l1 = LSTM.from_torch(net), LSTM.from_torch(net, 1)
    s0 = l0.run(X, h0=h0[0, 0], c0=c0[0, 0])
    s1 = l1.run(s0[:, :N], h0=h0[1, 0], c0=c0[1, 0])
    np.testing.assert_allclose(s1[:, :N], out[:, 0].double().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(s1[-1, N:], cn[1, 0].double().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(s0[-1, N:], cn[0, 0].double().numpy(), rtol=0, atol=1e-6)
    cell = torch.nn.LSTMCell(M, N)
    h, c = torch.randn(1, N), torch.randn(1, N)
    with torch.no_grad():
        rh, rc = cell(X[:1], (h, c))
    s = LSTM.from_torch(cell).run(X[:1], h0=h[0], c0=c[0])[0]
    np.testing.assert_allclose(s, np.concatenate([rh[0].numpy(), rc[0].numpy()]), rtol=0,
                               atol=1e-6)


@pytest.mark.parametrize("name,cls", [("GRU", GRU), ("GRUCell", GRU), ("LSTM", LSTM),
                                      ("LSTMCell", LSTMODE), ("GRU", GRUODE)])
@pytest.mark.parametrize("bias", [True, False])
def test_torch_round_trip_is_exact(torch, name, cls, bias):
    torch.manual_seed(12)
    mod = getattr(torch.nn, name)(M, N, bias=bias)
    back = cls.from_torch(mod).to_torch()
    assert type(back) is type(mod) and back.bias == bias
    sd, sd2 = mod.state_dict(), back.state_dict()
    assert sd.keys() == sd2.keys()
    for k in sd:
        assert sd2[k].dtype == torch.float32 and torch.equal(sd[k], sd2[k]), k


def test_to_torch_float64_and_discrete_equal_torch(torch):
    """A model built from float64 numbers gives a float64 module computing the same thing."""
    rng = np.random.default_rng(5)
    Wih, Whh, bih, bhh = _weights(rng, 3)
    gru = GRU(Wih, Whh, bih, bhh, torch_class="GRU")
    mod = gru.to_torch()
    assert mod.weight_hh_l0.dtype == torch.float64
    X = rng.standard_normal((4, M))
    with torch.no_grad():
        out, _ = mod(torch.as_tensor(X).unsqueeze(1))
    np.testing.assert_allclose(gru.run(X), out[:, 0].numpy(), rtol=0, atol=1e-12)
    # GRU-ODE -> its discrete form (Euler, dt = 1) -> torch.
    d = GRUODE(Wih, Whh, bih, bhh)._discretize(1.0, "euler")
    assert isinstance(d, GRU)
    np.testing.assert_array_equal(d.to_torch().weight_ih_l0.detach().numpy(), Wih)


# ----------------------------------------------------------------- analysis, ensembles

def test_fixed_points_of_a_torch_gru_at_a_constant_input(torch):
    torch.manual_seed(13)
    net = torch.nn.GRU(M, N)
    x_star = np.full(M, 0.3)
    gru = GRU.from_torch(net, input=x_star)
    sd = {k: v.double().numpy() for k, v in net.state_dict().items()}
    fps = fixed_points(gru, box=1.0, n_starts=16, seed=0)
    assert len(fps) >= 1
    for fp in fps:
        h = fp.x
        # A fixed point of the map per the transcription (within float rounding).
        F = np_gru(x_star, h, sd["weight_ih_l0"], sd["weight_hh_l0"], sd["bias_ih_l0"],
                   sd["bias_hh_l0"])
        np.testing.assert_allclose(F, h, rtol=0, atol=1e-9)
        # A true fixed point has n = h, so |h| < 1; the eigenvalues are those of the finite
        # difference Jacobian of the transcription.
        assert np.all(np.abs(h) < 1)
        J = _fd(lambda y: np_gru(x_star, y, sd["weight_ih_l0"], sd["weight_hh_l0"],
                                 sd["bias_ih_l0"], sd["bias_hh_l0"]), h)
        np.testing.assert_allclose(np.sort(np.abs(fp.eigenvalues)),
                                   np.sort(np.abs(np.linalg.eigvals(J))), rtol=0, atol=1e-7)
        assert (fp.stability == "stable") == bool(np.all(np.abs(np.linalg.eigvals(J)) < 1))


def test_ensembles_equal_single_runs():
    rng = np.random.default_rng(6)
    gru = GRU(*_weights(rng, 3), input=rng.standard_normal(M))
    x0 = rng.uniform(-1, 1, (3, N))
    ens = solvers.iterate_ensemble(gru, x0, 12)
    for i in range(3):
        np.testing.assert_array_equal(ens.y[i], solvers.iterate(gru, x0[i], 12).y)
    ode = LSTMODE(*_weights(rng, 4), input=rng.standard_normal(M))
    y0 = rng.uniform(-1, 1, (2, 2 * N))
    t = np.linspace(0, 3, 7)
    ens = solvers.solve_ensemble(ode, (0.0, 3.0), y0, t_eval=t)
    for i in range(2):
        np.testing.assert_allclose(ens.y[i], solvers.solve(ode, (0.0, 3.0), y0[i], t_eval=t).y,
                                   rtol=0, atol=1e-12)


# -------------------------------------------------------------------------- bad input

def test_bad_weights_name_the_gate_and_shape():
    rng = np.random.default_rng(7)
    Wih, Whh, bih, bhh = _weights(rng, 3)
    with pytest.raises(ValueError, match=r"W_hh has shape \(12, 3\).*r, z, n"):
        GRU(Wih, Whh[:, :3])
    with pytest.raises(ValueError, match=r"W_ih has shape \(16, 3\), expected \(12, m\)"):
        GRU(np.zeros((16, M)), Whh)
    bad = Wih.copy()
    bad[N + 1, 0] = np.nan
    with pytest.raises(ValueError, match=r"W_ih\[5, 0\] = nan.*gate z, unit 1"):
        GRU(bad, Whh)
    bad = np.zeros(4 * N)
    bad[3 * N + 2] = np.inf
    with pytest.raises(ValueError, match=r"b_hh\[14\] = inf.*gate o, unit 2"):
        LSTM(np.zeros((4 * N, M)), np.zeros((4 * N, N)), b_hh=bad)
    with pytest.raises(ValueError, match=r"b_ih has shape \(11,\)"):
        GRU(Wih, Whh, bih[:-1])
    with pytest.raises(TypeError, match="W_hh"):
        GRU(Wih, Whh.astype(bool))
    with pytest.raises(TypeError, match="input"):
        GRU(Wih, Whh, input="0.5")
    with pytest.raises(ValueError, match=r"input has shape \(2,\), expected .*\(3,\)"):
        GRU(Wih, Whh, input=[0.1, 0.2])
    with pytest.raises(ValueError, match="torch_class"):
        GRU(Wih, Whh, torch_class="LSTM")


def test_bad_runs_and_modules(torch):
    gru = GRU(np.zeros((3 * N, M)), np.zeros((3 * N, N)))
    with pytest.raises(ValueError, match=r"inputs has shape \(5, 2\), expected \(T, 3\)"):
        gru.run(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"h0 has shape \(3,\), expected \(4,\)"):
        gru.run(np.zeros((5, M)), h0=np.zeros(3))
    with pytest.raises(ValueError, match=r"c0\[1\] = nan"):
        LSTM(np.zeros((4 * N, M)), np.zeros((4 * N, N))).run(np.zeros((1, M)),
                                                              c0=[0, np.nan, 0, 0])
    with pytest.raises(ValueError, match="method='euler' with dt=1"):
        gru.ode()._discretize(0.5, "euler")
    with pytest.raises(InvalidTypeError, match="torch.nn.GRU or torch.nn.GRUCell.*LSTM"):
        GRU.from_torch(torch.nn.LSTM(M, N))
    with pytest.raises(ValueError, match=r"layer=2 is out of range.*num_layers=2"):
        GRU.from_torch(torch.nn.GRU(M, N, num_layers=2), layer=2)
    with pytest.raises(ValueError, match="bidirectional=True"):
        LSTM.from_torch(torch.nn.LSTM(M, N, bidirectional=True))
    with pytest.raises(ValueError, match="proj_size=2"):
        LSTM.from_torch(torch.nn.LSTM(M, N, proj_size=2))
    with pytest.raises(ValueError, match="layer=1.*one layer"):
        GRU.from_torch(torch.nn.GRUCell(M, N), layer=1)


def test_sampled_input_and_replace():
    """A Sampled input is read at t = k by the map; replace() rebuilds without surprises."""
    rng = np.random.default_rng(8)
    Wih, Whh, bih, bhh = _weights(rng, 3)
    X = rng.standard_normal((3, M))
    gru = GRU(Wih, Whh, bih, bhh, input=Sampled(np.arange(3.0), X, interp="zoh"))
    h = np.zeros(N)
    for k in range(3):
        h = np_gru(X[k], h, Wih, Whh, bih, bhh)
    np.testing.assert_allclose(solvers.iterate(gru, np.zeros(N), 3).y[-1], h, rtol=0,
                               atol=1e-12)
    const = gru.replace(input=X[0])
    np.testing.assert_allclose(solvers.iterate(const, np.zeros(N), 1).y[-1],
                               np_gru(X[0], np.zeros(N), Wih, Whh, bih, bhh), rtol=0,
                               atol=1e-12)
