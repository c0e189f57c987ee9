"""Forward sensitivities (solvers.sensitivities) against independent references: central
finite differences of solve, the closed form of a linear system (SciPy's expm_frechet), the
exact derivative of Euler's scheme, and torch autograd through the Euler-discretized CTRNN."""
import functools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import expm_frechet

from neurodyn import CTRNN, Sinusoid
from solvers import ODESystem, SensitivitySolution, sensitivities, solve

# ----------------------------------------------------------------------------- CTRNN setup
# One compiled kernel for every CTRNN test (dense W, time-varying input), so the tau column
# (which carries the input) is exercised; the activation is a runtime integer.
N = 3
T_EVAL = np.linspace(0.0, 3.0, 7)
BLOCKS = ("W", "bias", "tau", "gain", "y0")


def ctrnn_kwargs(seed, activation):
    rng = np.random.default_rng(seed)
    return dict(W=rng.normal(0.0, 1.5, (N, N)), tau=rng.uniform(0.5, 2.0, N),
                bias=rng.normal(0.0, 1.0, N), gain=rng.uniform(0.5, 1.5, N),
                input=Sinusoid(amplitude=rng.normal(0.0, 1.0, N), frequency=0.3,
                               phase=rng.uniform(0.0, 3.0, N), offset=rng.normal(0.0, 0.5, N)),
                activation=activation), rng.normal(0.0, 1.0, N)


def flat_params(kw, y0):
    """The parameters in S's documented column order: W row-major, bias, tau, gain, y0."""
    return np.concatenate([kw["W"].ravel(), kw["bias"], kw["tau"], kw["gain"], y0])


def unflat(kw, theta):
    out = dict(kw)
    out["W"] = theta[:N * N].reshape(N, N)
    k = N * N
    for name in ("bias", "tau", "gain"):
        out[name] = theta[k:k + N]
        k += N
    return out, theta[k:k + N]


TIGHT = dict(rtol=1e-12, atol=1e-12)


def trajectory(kw, y0):
    return solve(CTRNN(**kw), (0.0, 3.0), y0, t_eval=T_EVAL, **TIGHT).y


def target(t):
    return np.stack([np.sin(t), np.cos(2.0 * t), 0.5 * t], axis=1)


def loss(y):
    return 0.5 * np.sum((y - target(T_EVAL)) ** 2)


@functools.cache
def central_differences(seed=0, activation="sigmoid"):
    """dy(t_k)/dtheta and dL/dtheta by central differences of solve, one column a parameter."""
    kw, y0 = ctrnn_kwargs(seed, activation)
    theta = flat_params(kw, y0)
    fd = np.empty((T_EVAL.size, N, theta.size))
    fd_loss = np.empty(theta.size)
    for c in range(theta.size):
        h = 1e-5 * max(1.0, abs(theta[c]))
        tp, tm = theta.copy(), theta.copy()
        tp[c] += h
        tm[c] -= h
        yp, ym = trajectory(*unflat(kw, tp)), trajectory(*unflat(kw, tm))
        fd[:, :, c] = (yp - ym) / (2.0 * h)
        fd_loss[c] = (loss(yp) - loss(ym)) / (2.0 * h)
    return kw, y0, fd, fd_loss


@functools.cache
def ctrnn_sens(seed=0, activation="sigmoid"):
    kw, y0 = ctrnn_kwargs(seed, activation)
    return sensitivities(CTRNN(**kw), (0.0, 3.0), y0, BLOCKS, t_eval=T_EVAL, rtol=1e-11,
                         atol=1e-11)


def test_ctrnn_sensitivities_match_central_differences():
    kw, y0, fd, _ = central_differences()
    sol = ctrnn_sens()
    assert sol.success and isinstance(sol, SensitivitySolution)
    assert sol.S.shape == (T_EVAL.size, N, N * N + 4 * N)
    np.testing.assert_allclose(sol.t, T_EVAL)
    np.testing.assert_allclose(sol.y, trajectory(kw, y0), rtol=1e-9, atol=1e-10)
    # every column (one parameter) to 1e-6 of its own size
    err = np.abs(sol.S - fd).max(axis=(0, 1))
    scale = np.abs(fd).max(axis=(0, 1))
    assert scale.min() > 1e-3  # every parameter moves the trajectory: no vacuous column
    assert np.all(err <= 1e-6 * scale), (err / scale).max()
    # S(0) = dy0/dtheta: zero for the model's parameters, the identity for y0
    np.testing.assert_array_equal(sol.S[0, :, :N * N + 3 * N], 0.0)
    np.testing.assert_array_equal(sol.S[0, :, sol.columns["y0"]], np.eye(N))


def test_gradient_of_trajectory_loss_matches_central_differences():
    _, _, _, fd_loss = central_differences()
    sol = ctrnn_sens()
    g = sol.gradient(sol.y - target(sol.t))
    np.testing.assert_allclose(g, fd_loss, rtol=1e-6, atol=1e-6 * np.abs(fd_loss).max())
    parts = sol.unpack(g)
    assert parts["W"].shape == (N, N) and parts["y0"].shape == (N,)
    np.testing.assert_array_equal(parts["W"].ravel(), g[:N * N])
    # a loss on the final state only: dl/dy at t_final
    y_end = sol.y_final
    np.testing.assert_array_equal(sol.gradient(y_end), y_end @ sol.S[-1])


def test_columns_follow_the_block_order_not_the_order_of_wrt():
    kw, y0 = ctrnn_kwargs(0, "sigmoid")
    sol = sensitivities(CTRNN(**kw), (0.0, 3.0), y0, ("y0", "tau"), t_eval=T_EVAL,
                        rtol=1e-11, atol=1e-11)
    assert sol.wrt == ("tau", "y0")
    assert sol.columns == {"tau": slice(0, N), "y0": slice(N, 2 * N)}
    full = ctrnn_sens()
    # error control over fewer columns takes other steps: equal to the tolerance
    np.testing.assert_allclose(sol.S[:, :, :N], full.S[:, :, full.columns["tau"]],
                               rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(sol.S[:, :, N:], full.S[:, :, full.columns["y0"]],
                               rtol=1e-8, atol=1e-9)


# ------------------------------------------------------------------- linear, exact answer
def linear_rhs(t, y, p, dydt):
    A, b = p
    n = y.shape[0]
    for i in range(n):
        acc = b[i]
        for j in range(n):
            acc += A[i, j] * y[j]
        dydt[i] = acc


def linear_jac(t, y, p, J):
    A, b = p
    n = y.shape[0]
    for i in range(n):
        for j in range(n):
            J[i, j] = A[i, j]


def linear_pjac(t, y, p, Jp):
    # columns: A row-major, then b
    n = y.shape[0]
    for i in range(n):
        for j in range(n):
            Jp[i, i * n + j] = y[j]
        Jp[i, n * n + i] = 1.0


def linear_system(A, b, pjac=True):
    if not pjac:
        return ODESystem(linear_rhs, len(b), (A, b), jac=linear_jac, name="linear")
    n = len(b)
    system = ODESystem(linear_rhs, len(b), (A, b), jac=linear_jac, name="linear",
                       pjac=linear_pjac, param_shapes={"A": (n, n), "b": (n,)})
    # with_params keeps the parameter Jacobian (a sweep of sensitivities compiles nothing new)
    assert system.with_params((2 * A, b)).param_shapes == system.param_shapes
    return system


def exact_linear(A, b, y0, t):
    """y(t) of y' = A y + b and dy/d(A, b, y0), from the matrix exponential of the affine
    system z' = [[A, b], [0, 0]] z, z = [y, 1], and its Frechet derivative (SciPy)."""
    n = len(b)
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = A
    M[:n, n] = b
    z0 = np.append(y0, 1.0)
    cols = []
    for i in range(n):
        for j in range(n):
            E = np.zeros_like(M)
            E[i, j] = t
            cols.append(expm_frechet(M * t, E)[1] @ z0)
    for i in range(n):
        E = np.zeros_like(M)
        E[i, n] = t
        cols.append(expm_frechet(M * t, E)[1] @ z0)
    eMt = expm_frechet(M * t, np.zeros_like(M))[0]
    S = np.concatenate([np.array(cols).T[:n], eMt[:n, :n]], axis=1)
    return (eMt @ z0)[:n], S


LIN_A = np.array([[-0.5, 1.2, 0.0], [-1.0, -0.3, 0.4], [0.2, 0.0, -0.8]])
LIN_B = np.array([0.3, -0.2, 0.5])
LIN_Y0 = np.array([1.0, -0.5, 0.25])


def test_linear_system_matches_its_closed_form():
    te = np.array([0.0, 0.5, 1.7, 4.0])
    sol = sensitivities(linear_system(LIN_A, LIN_B), (0.0, 4.0), LIN_Y0, ("A", "b", "y0"),
                        t_eval=te, rtol=1e-12, atol=1e-12)
    assert sol.success
    for k, t in enumerate(te):
        y, S = exact_linear(LIN_A, LIN_B, LIN_Y0, t)
        np.testing.assert_allclose(sol.y[k], y, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sol.S[k], S, rtol=0, atol=1e-8 * max(1.0, np.abs(S).max()))


def test_partial_result_on_failure_keeps_states_and_sensitivities():
    sol = sensitivities(linear_system(LIN_A, LIN_B), (0.0, 4.0), LIN_Y0, ("b",), rtol=1e-12,
                        atol=1e-12, max_steps=5)
    assert sol.status == -1 and not sol.success and "Step limit" in sol.message
    assert sol.S.shape == (sol.t.size, 3, 3) and sol.t.size > 1
    y, S = exact_linear(LIN_A, LIN_B, LIN_Y0, sol.t_final)
    np.testing.assert_allclose(sol.S_final, S[:, 9:12], atol=1e-9)
    np.testing.assert_allclose(sol.y_final, y, atol=1e-9)


def test_euler_initial_state_sensitivity_is_the_exact_product_without_pjac():
    # A system with no pjac can still be differentiated w.r.t. its initial state. Euler on
    # y' = A y + b: dy_k/dy0 = (I + dt A)^k exactly.
    dt = 0.0625
    sol = sensitivities(linear_system(LIN_A, LIN_B, pjac=False), (0.0, 1.0), LIN_Y0, "y0",
                        method="euler", dt=dt)
    assert sol.success and sol.t.size == 17
    step = np.eye(3) + dt * LIN_A
    for k in range(sol.t.size):
        np.testing.assert_allclose(sol.S[k], np.linalg.matrix_power(step, k), rtol=1e-13,
                                   atol=1e-15)


# ------------------------------------------------------ torch autograd through Euler steps
def test_euler_gradient_equals_torch_autograd_on_the_discretized_network():
    torch = pytest.importorskip("torch")
    kw, y0 = ctrnn_kwargs(3, "tanh")
    dt, n_steps = 0.03125, 32
    sol = sensitivities(CTRNN(**kw), (0.0, n_steps * dt), y0, BLOCKS, method="euler", dt=dt)
    assert sol.success and sol.t.size == n_steps + 1
    tgt = target(sol.t)
    g = sol.gradient(sol.y - tgt)

    inp = kw["input"]
    f64 = dict(dtype=torch.float64)
    W = torch.tensor(kw["W"], requires_grad=True, **f64)
    bias = torch.tensor(kw["bias"], requires_grad=True, **f64)
    tau = torch.tensor(kw["tau"], requires_grad=True, **f64)
    gain = torch.tensor(kw["gain"], requires_grad=True, **f64)
    y = torch.tensor(y0, requires_grad=True, **f64)
    leaves = [W, bias, tau, gain, y]
    amp, off = torch.tensor(inp.amplitude, **f64), torch.tensor(inp.offset, **f64)
    omega = 2.0 * math.pi * float(inp.frequency)
    phase = torch.tensor(inp.phase, **f64)
    tgt_t = torch.tensor(tgt, **f64)
    L = 0.5 * torch.sum((y - tgt_t[0]) ** 2)
    for k in range(n_steps):
        t = k * dt
        drive = off + amp * torch.sin(omega * t + phase)
        y = y + dt * (-y + W @ torch.tanh(gain * (y + bias)) + drive) / tau
        L = L + 0.5 * torch.sum((y - tgt_t[k + 1]) ** 2)
    L.backward()
    g_torch = np.concatenate([v.grad.numpy().ravel() for v in leaves])
    np.testing.assert_allclose(sol.y[-1], y.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(g, g_torch, rtol=1e-10, atol=1e-12 * np.abs(g_torch).max())


# ------------------------------------------------------------------------- bad input
def test_bad_wrt_is_refused_naming_it():
    kw, y0 = ctrnn_kwargs(0, "sigmoid")
    net = CTRNN(**kw)
    with pytest.raises(ValueError, match=r"'weights'.*known: 'W', 'bias', 'tau', 'gain'"):
        sensitivities(net, (0.0, 1.0), y0, ("weights",))
    with pytest.raises(ValueError, match="'tau' twice"):
        sensitivities(net, (0.0, 1.0), y0, ("tau", "tau"))
    with pytest.raises(ValueError, match="wrt is empty"):
        sensitivities(net, (0.0, 1.0), y0, ())
    with pytest.raises(TypeError, match="wrt entries must be names"):
        sensitivities(net, (0.0, 1.0), y0, ("W", True))
    with pytest.raises(TypeError, match="wrt must be a parameter name"):
        sensitivities(net, (0.0, 1.0), y0, 3)
    with pytest.raises(ValueError, match="stiff"):
        sensitivities(net, (0.0, 1.0), y0, "W", method="radau")
    with pytest.raises(ValueError, match="y0 has length 2"):
        sensitivities(net, (0.0, 1.0), [0.0, 1.0], "W")


def test_systems_without_the_kernels_they_need_are_refused():
    sparse_net = CTRNN(sp.csr_matrix(np.eye(4)))
    with pytest.raises(TypeError, match=r"W need a parameter-Jacobian kernel.*sparse.*pjac"):
        sensitivities(sparse_net, (0.0, 1.0), np.zeros(4), ("W",))
    no_pjac = linear_system(LIN_A, LIN_B, pjac=False)
    with pytest.raises(ValueError, match=r"'A'.*does not have; known: 'y0'"):
        sensitivities(no_pjac, (0.0, 1.0), LIN_Y0, "A")
    no_jac = ODESystem(linear_rhs, 3, (LIN_A, LIN_B))
    with pytest.raises(TypeError, match="no jac kernel"):
        sensitivities(no_jac, (0.0, 1.0), LIN_Y0, "y0")
    with pytest.raises(TypeError, match=r"needs a system with \.rhs"):
        sensitivities(object(), (0.0, 1.0), LIN_Y0, "y0")


def test_gradient_refuses_a_wrong_shape():
    sol = ctrnn_sens()
    with pytest.raises(ValueError, match=r"dl_dy must have shape \(7, 3\)"):
        sol.gradient(np.zeros((6, 3)))
    with pytest.raises(TypeError):
        sol.gradient(np.zeros((7, 3), dtype=complex))
