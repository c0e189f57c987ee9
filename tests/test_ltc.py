"""Liquid time-constant networks (neurodyn.cells.ltc).

References, each independent of the code under test:
* NumPy transcriptions, written here from the paper (Hasani et al., "Liquid Time-constant
  Networks", AAAI 2021): the ODE in its eq. 1 form ``dx/dt = -[1/tau + f] x + f A`` (with
  ncps's per-synapse reversal potentials and leak) and the fused semi-implicit step of its
  eq. 3 ``x <- (x + h f A) / (1 + h (1/tau + f))``. These run without ncps.
* the ncps library's own ``LTCCell`` / ``LTC`` (test-only dependency, skipped without it);
* SciPy's ``solve_ivp`` at tight tolerance for the adaptive solver on the ODE.
"""
import numpy as np
import pytest

import solvers
from neurodyn.analysis import jacobian
from neurodyn.cells.ltc import LTC
from neurodyn.inputs import Sinusoid
from solvers import InvalidTypeError

N, M = 5, 2


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _params(seed, n=N, m=M, sparse=True):
    """Random ncps-like parameters (ncps's initial ranges), some synapses absent."""
    rng = np.random.default_rng(seed)
    p = dict(gleak=rng.uniform(0.001, 1, n), vleak=rng.uniform(-0.2, 0.2, n),
             cm=rng.uniform(0.4, 0.6, n), w=rng.uniform(0.001, 1, (n, n)),
             sigma=rng.uniform(3, 8, (n, n)), mu=rng.uniform(0.3, 0.8, (n, n)),
             erev=rng.choice([-1.0, 1.0], (n, n)), sensory_w=rng.uniform(0.001, 1, (m, n)),
             sensory_sigma=rng.uniform(3, 8, (m, n)), sensory_mu=rng.uniform(0.3, 0.8, (m, n)),
             sensory_erev=rng.choice([-1.0, 1.0], (m, n)), input_w=rng.uniform(0.5, 1.5, m),
             input_b=rng.uniform(-0.2, 0.2, m))
    if sparse:
        p["w"] = p["w"] * (rng.random((n, n)) < 0.6)
        p["sensory_w"] = p["sensory_w"] * (rng.random((m, n)) < 0.7)
    return p


def _conductances(p, v, u):
    """(sum_j a_ji, sum_j a_ji E_ji) per target i: synaptic plus sensory, a = w s(sigma(.-mu))."""
    a = p["w"] * _sig(p["sigma"] * (v[:, None] - p["mu"]))
    s = p["sensory_w"] * _sig(p["sensory_sigma"] * (u[:, None] - p["sensory_mu"]))
    return a.sum(0) + s.sum(0), (a * p["erev"]).sum(0) + (s * p["sensory_erev"]).sum(0)


def np_ltc_rhs(p, v, inp):
    """Eq. 1: dx/dt = -[1/tau + f] x + f A, here with 1/tau = gleak/cm, f = (sum a)/cm and
    f A = (gleak vleak + sum a E)/cm (the leak has its own reversal potential)."""
    u = p["input_w"] * inp + p["input_b"]
    g, gE = _conductances(p, v, u)
    return -(p["gleak"] / p["cm"] + g / p["cm"]) * v + (p["gleak"] * p["vleak"] + gE) / p["cm"]


def np_fused(p, X, elapsed, unfolds, eps, v0):
    """Eq. 3, unfolds sub-steps of h = elapsed / unfolds per input row (input held):
    x <- (x + h f A) / (1 + h (1/tau + f)); ncps adds epsilon to its denominator written in
    units of cm / h, which is h epsilon / cm here."""
    v, out = v0.copy(), []
    for x, dt in zip(X, elapsed):
        h = dt / unfolds
        u = p["input_w"] * x + p["input_b"]
        for _ in range(unfolds):
            g, gE = _conductances(p, v, u)
            fA = (p["gleak"] * p["vleak"] + gE) / p["cm"]
            v = (v + h * fA) / (1 + h * (p["gleak"] + g) / p["cm"] + h * eps / p["cm"])
        out.append(v)
    return np.array(out)


def test_fused_step_equals_the_published_step():
    p = _params(0)
    rng = np.random.default_rng(1)
    X, el, v0 = rng.standard_normal((7, M)), rng.uniform(0.5, 2, 7), rng.uniform(-1, 1, N)
    ltc = LTC(**p, ode_unfolds=4, epsilon=1e-3)
    np.testing.assert_allclose(ltc.run(X, v0=v0, timespans=el),
                               np_fused(p, X, el, 4, 1e-3, v0), rtol=0, atol=1e-12)
    # timespans default to 1, a scalar is every step's
    np.testing.assert_allclose(ltc.run(X, timespans=2.0),
                               np_fused(p, X, np.full(7, 2.0), 4, 1e-3, np.zeros(N)), rtol=0,
                               atol=1e-12)


def test_rhs_and_jacobian_equal_the_ode():
    p = _params(2)
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(M), rng.uniform(-1, 1, N)
    ltc = LTC(**p, input=x)
    dvdt = np.empty(N)
    ltc.rhs(0.0, v, ltc.params, dvdt)
    np.testing.assert_allclose(dvdt, np_ltc_rhs(p, v, x), rtol=0, atol=1e-12)
    h = 1e-6
    fd = np.stack([(np_ltc_rhs(p, v + h * e, x) - np_ltc_rhs(p, v - h * e, x)) / (2 * h)
                   for e in np.eye(N)], axis=1)
    np.testing.assert_allclose(jacobian(ltc, v), fd, rtol=0, atol=1e-7)   # compiled ltc_jac


def test_adaptive_solver_against_scipy_with_a_time_varying_input():
    from scipy.integrate import solve_ivp
    p = _params(4)
    amp, freq, phase = np.array([1.0, 0.5]), np.array([0.3, 0.7]), np.array([0.0, 1.0])
    ltc = LTC(**p, input=Sinusoid(amp, freq, phase))
    v0 = np.linspace(-0.5, 0.5, N)
    t = np.linspace(0.0, 8.0, 9)
    sol = solvers.solve(ltc, (0.0, 8.0), v0, t_eval=t, rtol=1e-10, atol=1e-12)
    assert sol.success
    # Sinusoid: amplitude * sin(2 pi frequency t + phase).
    ref = solve_ivp(lambda s, v: np_ltc_rhs(p, v, amp * np.sin(2 * np.pi * freq * s + phase)),
                    (0.0, 8.0), v0, method="DOP853", t_eval=t, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(sol.y, ref.y.T, rtol=0, atol=1e-8)


def test_fused_step_converges_to_the_ode_at_first_order():
    p = _params(5)
    x = np.array([0.4, -0.3])
    v0 = np.linspace(-0.5, 0.5, N)
    ltc = LTC(**p, input=x, epsilon=0.0)
    exact = solvers.solve(ltc, (0.0, 2.0), v0, rtol=1e-11, atol=1e-13).y[-1]
    errs = [np.abs(ltc.replace(ode_unfolds=k).run(x[None], v0=v0, timespans=2.0)[0]
                   - exact).max() for k in (100, 200, 400)]
    assert errs[2] < 2e-3
    assert 1.8 < errs[0] / errs[1] < 2.2 and 1.8 < errs[1] / errs[2] < 2.2


def test_solve_ensemble_member_equals_solve():
    p = _params(6)
    ltc = LTC(**p, input=np.array([0.2, 0.1]))
    y0 = np.random.default_rng(7).uniform(-1, 1, (3, N))
    t = np.linspace(0, 4, 5)
    ens = solvers.solve_ensemble(ltc, (0.0, 4.0), y0, t_eval=t)
    for i in range(3):
        np.testing.assert_allclose(ens.y[i], solvers.solve(ltc, (0.0, 4.0), y0[i], t_eval=t).y,
                                   rtol=0, atol=1e-12)


def test_bad_parameters_are_named():
    p = _params(8)
    with pytest.raises(ValueError, match=r"w has shape \(5, 4\), expected a non-empty square"):
        LTC(**{**p, "w": p["w"][:, :4]})
    w = p["w"].copy()
    w[1, 3] = -0.5
    with pytest.raises(ValueError, match=r"w\[1, 3\] = -0.5 \(synapse 1 -> 3\) must be "
                                         "nonnegative"):
        LTC(**{**p, "w": w})
    with pytest.raises(ValueError, match=r"cm\[0\] = 0.0 \(neuron 0\) must be positive"):
        LTC(**{**p, "cm": np.zeros(N)})
    with pytest.raises(ValueError, match=r"sensory_w has shape \(2, 4\), expected \(m, 5\)"):
        LTC(**{**p, "sensory_w": p["sensory_w"][:, :4]})
    with pytest.raises(ValueError, match=r"sensory_mu has shape \(3, 5\)"):
        LTC(**{**p, "sensory_mu": np.zeros((3, N))})
    with pytest.raises(TypeError, match="gleak"):
        LTC(**{**p, "gleak": True})
    with pytest.raises(TypeError, match="ode_unfolds"):
        LTC(**p, ode_unfolds=2.5)
    ltc = LTC(**p)
    with pytest.raises(ValueError, match=r"inputs has shape \(3, 3\), expected \(T, 2\)"):
        ltc.run(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"timespans\[1\] = -1.0 must be positive"):
        ltc.run(np.zeros((2, M)), timespans=[1.0, -1.0])
    with pytest.raises(ValueError, match=r"v0 has shape \(2,\), expected \(5,\)"):
        ltc.run(np.zeros((2, M)), v0=[0.0, 0.0])
    with pytest.raises(ValueError, match="fused step"):
        ltc._discretize(1.0, "euler")


# ------------------------------------------------------------------------------ ncps

@pytest.fixture
def ncps():
    pytest.importorskip("torch")
    pytest.importorskip("ncps")
    import ncps.torch
    import ncps.wirings
    return ncps


def _cell_run(torch, cell, X, ts):
    h = torch.zeros(1, cell.state_size, dtype=X.dtype)
    outs, states = [], []
    with torch.no_grad():
        for k in range(len(X)):
            o, h = cell(X[k:k + 1], h, ts[k])
            outs.append(o[0].double().numpy())
            states.append(h[0].double().numpy())
    return np.array(outs), np.array(states)


@pytest.mark.parametrize("implicit", [False, True])
def test_from_ncps_equals_the_ncps_cell(ncps, implicit):
    import torch
    from ncps.wirings import AutoNCP, FullyConnected
    torch.manual_seed(20)
    X = torch.randn(6, 3)
    ts = torch.rand(6) + 0.5
    wiring = FullyConnected(5, 2) if implicit else AutoNCP(8, 3)
    cell = ncps.torch.LTCCell(wiring, in_features=3, implicit_param_constraints=implicit)
    with torch.no_grad():   # affine mappings away from their identity initial values
        cell._params["input_b"].add_(0.1)
        cell._params["output_w"].mul_(1.5)
    outs, states = _cell_run(torch, cell, X, ts)
    ltc = LTC.from_ncps(cell)
    assert ltc.n_outputs == wiring.output_dim
    s = ltc.run(X, timespans=ts)
    np.testing.assert_allclose(s, states, rtol=0, atol=1e-6)             # float32 cell
    np.testing.assert_allclose(ltc.readout(s), outs, rtol=0, atol=1e-6)
    # The same cell in float64: equal to rounding.
    c64 = cell.double()
    _, states64 = _cell_run(torch, c64, X.double(), ts.double())
    np.testing.assert_allclose(LTC.from_ncps(c64).run(X.double(), timespans=ts.double()),
                               states64, rtol=0, atol=1e-12)


def test_from_ncps_sequence_module(ncps):
    import torch
    torch.manual_seed(21)
    net = ncps.torch.LTC(3, ncps.wirings.AutoNCP(7, 2))   # implicit constraints, batch first
    X = torch.randn(1, 5, 3)
    with torch.no_grad():
        y, hn = net(X)
    ltc = LTC.from_ncps(net, input=0.5)
    s = ltc.run(X[0])
    np.testing.assert_allclose(ltc.readout(s), y[0].numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(s[-1], hn[0].numpy(), rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="mixed_memory=True"):
        LTC.from_ncps(ncps.torch.LTC(3, 4, mixed_memory=True))
    with pytest.raises(InvalidTypeError, match="LTCCell or ncps.torch.LTC, got LSTM"):
        LTC.from_ncps(torch.nn.LSTM(3, 4))


def test_to_torch_round_trip(ncps):
    import torch
    p = _params(9)
    ltc = LTC(**p, output_w=np.array([2.0, 0.5]), output_b=np.array([0.1, -0.1]), n_outputs=2,
              ode_unfolds=3, epsilon=1e-6)
    cell = ltc.to_torch()
    assert isinstance(cell, ncps.torch.LTCCell) and cell.state_size == N
    back = LTC.from_ncps(cell)
    for k in LTC._ctor_args:
        if k != "input":
            np.testing.assert_array_equal(getattr(back, k), getattr(ltc, k), err_msg=k)
    X, ts = torch.randn(4, M, dtype=torch.float64), torch.full((4,), 0.7, dtype=torch.float64)
    outs, states = _cell_run(torch, cell, X, ts)
    s = ltc.run(X, timespans=ts)
    np.testing.assert_allclose(s, states, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ltc.readout(s), outs, rtol=0, atol=1e-12)
