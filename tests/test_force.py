"""neurodyn.train.force against independent references: a plain NumPy transcription of
Sussillo & Abbott's algorithm, ridge regression by the normal equations, solvers.solve on the
returned CTRNN, lyapunov_spectrum on the untrained network, the published setup (W10).

Cost (2-core AMD EPYC, warm cache): the two runs of the published setup (N = 1000, 28,800
steps, 7,200 RLS updates of a 1000 x 1000 P) take ~13 s of CPU each and the Lyapunov exponent
of the N = 1000 network ~8.5 s; everything else ~2 s. The second seed doubles the cost of the
file; it stays because one seed alone could pass by luck.
"""
import importlib

import numpy as np
import pytest
import scipy.sparse as sp

import solvers
from neurodyn import CTRNN
from neurodyn.analysis import lyapunov_spectrum
from neurodyn.train.force import ForceResult, force, force_target
from solvers._checks import InvalidTypeError

DT = 0.1
N_TRAIN = N_TEST = 14400                 # 1440 time units each, as published
T_ALL = DT * np.arange(1, N_TRAIN + N_TEST + 1)


def numpy_force(J, w_f, x0, F, n_train, alpha, dt, learn_every):
    """Sussillo & Abbott's loop (their MATLAB demo) in NumPy: Euler step, readout, then an RLS
    step every ``learn_every`` steps from the readout before the update; at the end of
    training the fed-back readout is recomputed with the trained w."""
    N, m = w_f.shape
    x = x0.copy()
    r = np.tanh(x)
    w = np.zeros((N, m))
    z = np.zeros(m)
    P = np.eye(N) / alpha
    zs, dws = [], []
    for k in range(len(F)):
        if k == n_train:
            z = w.T @ r
        x = x + dt * (-x + J @ r + w_f @ z)
        r = np.tanh(x)
        z = w.T @ r
        zs.append(z)
        if k < n_train and (k + 1) % learn_every == 0:
            Pr = P @ r
            c = 1.0 / (1.0 + r @ Pr)
            P -= c * np.outer(Pr, Pr)
            dw = c * np.outer(Pr, z - F[k])
            w -= dw
            dws.append(np.linalg.norm(dw))
    return np.array(zs), w, np.array(dws), x


# --------------------------------------------------------------------------- published setup

@pytest.fixture(scope="module")
def published():
    return force(force_target(T_ALL), N_TRAIN, seed=0)


def test_target_is_the_published_function():
    t = np.array([0.0, 7.5, 33.0, 100.0])
    w = np.pi * t / 60
    ref = 1.3 / 1.5 * (np.sin(w) + np.sin(2 * w) / 2 + np.sin(3 * w) / 6 + np.sin(4 * w) / 3)
    np.testing.assert_allclose(force_target(t), ref, rtol=0, atol=1e-15)
    assert 1.2 < force_target(T_ALL).max() < 1.3                         # amplitude ~1.3
    np.testing.assert_allclose(force_target(T_ALL[:1200] + 120.0), force_target(T_ALL[:1200]),
                               atol=1e-12)                             # period 120


def _check_published(res, seed):
    assert isinstance(res, ForceResult) and res.success, res.message
    assert res.J.shape == (1000, 1000)
    density = res.J.nnz / 1000 ** 2
    assert abs(density - 0.1) < 0.005
    # entries N(0, g^2 / (p N)): variance 1.5^2 / 100
    assert res.J.data.var() == pytest.approx(2.25 / 100, rel=0.05)
    assert len(res.t) == N_TRAIN + N_TEST and len(res.dw) == N_TRAIN // 2
    assert res.t[-1] == pytest.approx(2880.0)
    assert res.test_mae < 0.05, (seed, res.test_mae)
    assert res.train_mae < 0.05, (seed, res.train_mae)
    # right after training the readout follows the target closely; later a slow phase drift
    # (a period slightly off 120) makes the error grow linearly (to ~0.2-0.3 at t = 2880)
    assert res.error[N_TRAIN:N_TRAIN + 1000].max() < 0.1, (seed, res.error[N_TRAIN:].max())
    # the weight changes shrink as training proceeds (~3-10x from the first to the last tenth)
    assert res.dw[-720:].mean() < 0.5 * res.dw[:720].mean()
    np.testing.assert_allclose(res.error, np.abs(res.z - force_target(res.t)[:, None]),
                               atol=1e-15)


def test_published_setup_seed0(published):
    _check_published(published, 0)


def test_published_setup_seed1():
    _check_published(force(force_target(T_ALL), N_TRAIN, seed=1), 1)


def test_network_is_chaotic_before_training(published):
    # lambda_max of this network (N = 1000, g = 1.5) is ~0.03 (a NumPy RK4 tangent over 300 time
    # units gives 0.031); smaller g = 1.5 networks are often not chaotic at all (N = 200 seeds
    # 0-2, N = 600 seed 1 settle on a cycle or a fixed point), so the published size is used.
    net = published.initial_network
    assert isinstance(net, CTRNN) and net.activation == "tanh" and net.sparse
    np.testing.assert_array_equal(net.W.toarray(), published.J.toarray())
    lyap = lyapunov_spectrum(net, published.x0, t_total=100.0, t_transient=20.0, dt=0.2, k=1,
                             seed=0)
    assert lyap.exponents[0] > 0.005, lyap


def test_returned_ctrnn_reproduces_the_closed_loop(published):
    res = published
    net = res.network
    assert isinstance(net, CTRNN) and net.activation == "tanh"
    np.testing.assert_allclose(net.tau, 1.0)
    np.testing.assert_allclose(np.asarray(net.W), res.J.toarray() + res.w_f @ res.w.T,
                               rtol=0, atol=1e-15)
    n = 1000  # 100 time units of the test phase (Euler on a dense N = 1000 W: ~1 ms a step)
    sol = solvers.solve(net, (0.0, n * DT), res.x_trained, method="euler", dt=DT)
    assert sol.success and len(sol.t) == n + 1
    z = res.readout(sol.y[1:])
    np.testing.assert_allclose(z, res.z[N_TRAIN:N_TRAIN + n], rtol=0, atol=1e-10)


# --------------------------------------------------------------------------- small exact checks

@pytest.mark.parametrize("m, learn_every, n_train", [(1, 2, 300), (2, 3, 250)])
def test_compiled_loop_equals_numpy_transcription(m, learn_every, n_train):
    N, n_steps = 50, 400
    rng = np.random.default_rng(5)
    F = np.column_stack([force_target(DT * np.arange(1, n_steps + 1) * (o + 1))
                         for o in range(m)])
    res = force(F if m > 1 else F[:, 0], n_train, n=N, alpha=0.5, learn_every=learn_every,
                seed=rng)
    zs, w, dws, x = numpy_force(res.J.toarray(), res.w_f, res.x0, F, n_train, 0.5, DT,
                                learn_every)
    assert res.z.shape == (n_steps, m) and res.w.shape == (N, m)
    np.testing.assert_allclose(res.z, zs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.w, w, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.dw, dws, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(res.x_final, x, rtol=0, atol=1e-10)
    assert len(res.t_update) == n_train // learn_every
    np.testing.assert_allclose(res.t_update, DT * learn_every * np.arange(1, len(dws) + 1))
    np.testing.assert_allclose(res.error, np.abs(zs - F), atol=1e-10)
    assert res.test_mae == pytest.approx(np.abs(zs - F)[n_train:].mean(), abs=1e-10)


def test_given_weights_and_state_are_used():
    rng = np.random.default_rng(2)
    N = 40
    J = rng.normal(0, 1.5 / np.sqrt(N), (N, N))
    w_f, x0 = rng.uniform(-1, 1, N), rng.normal(0, 0.5, N)
    F = force_target(DT * np.arange(1, 201))
    dense = force(F, 150, J=J, w_f=w_f, x0=x0)
    sparse = force(F, 150, J=sp.csr_matrix(J), w_f=w_f[:, None], x0=x0, seed=99)
    zs, w, _, _ = numpy_force(J, w_f[:, None], x0, F[:, None], 150, 1.0, DT, 2)
    np.testing.assert_allclose(dense.z, zs, atol=1e-10)
    np.testing.assert_array_equal(dense.z, sparse.z)
    np.testing.assert_array_equal(dense.x0, x0)


def test_rls_with_one_update_per_step_is_ridge():
    # No feedback: the states do not depend on w, and RLS from P(0) = I / alpha, w(0) = 0 is
    # the ridge solution over every state it has seen, with penalty alpha.
    N, n_steps, alpha = 30, 300, 0.3
    rng = np.random.default_rng(7)
    J = rng.normal(0, 1.5 / np.sqrt(N), (N, N))
    x0 = rng.normal(0, 0.5, N)
    f = np.sin(0.05 * np.arange(1, n_steps + 1)) + 0.3
    res = force(f, J=J, w_f=np.zeros(N), x0=x0, alpha=alpha, learn_every=1)
    x, R = x0.copy(), []
    for _ in range(n_steps):
        x = x + DT * (-x + J @ np.tanh(x))
        R.append(np.tanh(x))
    R = np.array(R)
    ridge = np.linalg.solve(R.T @ R + alpha * np.eye(N), R.T @ f)
    np.testing.assert_allclose(res.w[:, 0], ridge, rtol=1e-8, atol=1e-10)


def test_all_to_all_variant():
    res = force(np.zeros(10), n=60, p=1.0, seed=3)
    assert res.J.nnz == 60 * 60
    assert res.J.data.var() == pytest.approx(1.5 ** 2 / 60, rel=0.15)


def test_seeded_and_repeatable():
    F = force_target(DT * np.arange(1, 101))
    a, b = force(F, n=30, seed=4), force(F, n=30, seed=4)
    np.testing.assert_array_equal(a.z, b.z)
    np.testing.assert_array_equal(a.J.toarray(), b.J.toarray())
    c = force(F, n=30, seed=5)
    assert not np.array_equal(a.x0, c.x0)


def test_same_result_on_any_thread_count():
    """The mat-vec and the RLS update run over the cores, row by row: one thread or all give
    the same bits (checked within this process), and the serial RLS step is the parallel one."""
    import numba

    from neurodyn.train._rls import rls_update, rls_update_parallel

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one thread only: nothing to compare")
    t = 0.1 * np.arange(1, 1201)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = force(force_target(t), 600, n=300, seed=3)
        numba.set_num_threads(min(4, numba.config.NUMBA_NUM_THREADS))
        many = force(force_target(t), 600, n=300, seed=3)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.z, many.z)
    np.testing.assert_array_equal(one.w, many.w)
    rng = np.random.default_rng(0)
    P0 = np.eye(50) + 0.01 * rng.standard_normal((50, 50))
    P0 = P0 + P0.T
    r = np.tanh(rng.standard_normal(50))
    out = []
    for update in (rls_update, rls_update_parallel):
        P, w = P0.copy(), np.zeros((50, 2))
        c = update(P, r, np.array([0.3, -0.1]), w, np.empty(50))
        out.append((c, P, w))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[0][1], out[1][1])
    np.testing.assert_array_equal(out[0][2], out[1][2])


def test_ctrl_c_keeps_the_partial_run(monkeypatch):
    """Ctrl-C reaches Python when a compiled chunk returns: the run stops there and keeps
    what it computed, with the network trained so far."""
    mod = importlib.import_module("neurodyn.train.force")  # the attribute is the function

    real, calls = mod._force_steps, []

    def interrupted_after_the_second_chunk(*args):
        done = real(*args)
        calls.append(args[1])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return done

    monkeypatch.setattr(mod, "_CHUNK", 150)
    monkeypatch.setattr(mod, "_force_steps", interrupted_after_the_second_chunk)
    F = force_target(DT * np.arange(1, 1001))
    res = force(F, 600, n=40, seed=2)
    assert res.status == -7 and not res.success and "Interrupted" in res.message
    assert calls == [150, 300] and res.z.shape == (300, 1) and res.t[-1] == pytest.approx(30.0)
    assert res.dw.shape == (150,) and res.x_trained is None
    monkeypatch.setattr(mod, "_force_steps", real)
    full = force(F, 600, n=40, seed=2)          # the same run, not interrupted
    np.testing.assert_array_equal(res.z, full.z[:300])
    # the network is the closed loop with the readout trained so far
    np.testing.assert_allclose(res.network.W, res.J.toarray() + res.w_f @ res.w.T, atol=1e-15)


def test_blow_up_keeps_the_partial_run():
    # Euler with dt = 3 on dx/dt = -x + ... multiplies x by about -2 each step: overflow.
    F = force_target(3.0 * np.arange(1, 3001))
    res = force(F, 1000, n=20, dt=3.0, seed=0)
    assert res.status == -3 and not res.success and res.network is None
    assert "Non-finite" in res.message
    k = len(res.z)
    assert 100 < k < 3000 and len(res.t) == k and len(res.error) == k
    assert np.isfinite(res.z).all() and np.isfinite(res.x_final).all()
    assert f"step {k} " in res.message
    assert "Non-finite" in repr(res)


def test_readout_shapes_and_repr(published):
    z = published.readout(np.zeros(1000))
    assert z.shape == (1,) and z[0] == 0.0
    with pytest.raises(ValueError, match=r"x must have shape \(1000,\)"):
        published.readout(np.zeros(3))
    text = repr(published)
    assert text.startswith("ForceResult: N = 1000, 1 readout, 28800 steps")
    assert "7200 RLS updates" in text and "success" in text


# --------------------------------------------------------------------------- bad input

F10 = np.zeros(10)


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(target=[0.0, np.nan]), ValueError, r"target\[1\] = nan"),
    (dict(target=[True, False]), InvalidTypeError, "target"),
    (dict(target=np.zeros((2, 2, 2))), ValueError, "target must have shape"),
    (dict(target=F10, n_train=11), ValueError, "n_train = 11 exceeds"),
    (dict(target=F10, n_train=5.0), InvalidTypeError, "n_train must be an integer"),
    (dict(target=F10, alpha=0.0), ValueError, "alpha must be a positive"),
    (dict(target=F10, dt="0.1"), InvalidTypeError, "dt must be a real number"),
    (dict(target=F10, learn_every=0), ValueError, "learn_every must be an integer >= 1"),
    (dict(target=F10, n=10, p=1.5), ValueError, "p must be <= 1.0"),
    (dict(target=F10, n=10, g=-1.0), ValueError, "g must be a non-negative"),
    (dict(target=F10, n=True), InvalidTypeError, "n must be an integer"),
    (dict(target=F10, J=np.zeros((3, 4))), ValueError, "J must be square"),
    (dict(target=F10, J=np.eye(3), g=1.0), ValueError, "g describes the random J"),
    (dict(target=F10, J=np.eye(3) * 1j), InvalidTypeError, "J must hold real"),
    (dict(target=F10, J=sp.csr_matrix(np.diag([1.0, np.inf]))), ValueError,
     r"J\[1, 1\] = inf"),
    (dict(target=F10, J=np.eye(3), w_f=np.ones(4)), ValueError,
     r"w_f must have shape \(3, 1\)"),
    (dict(target=F10, J=np.eye(3), x0=np.ones(2)), ValueError, r"x0 must have shape \(3,\)"),
    (dict(target=F10, n=5, seed=-1), ValueError, "seed must be"),
])
def test_bad_input_is_named(kwargs, err, match):
    kwargs = dict(kwargs)
    target = kwargs.pop("target")
    with pytest.raises(err, match=match):
        force(target, **kwargs)


def test_too_large_network_is_refused_before_allocating():
    with pytest.raises(MemoryError, match="P"):
        force(F10, J=sp.identity(2_000_000, format="csr"))
