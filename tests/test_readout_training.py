"""Readout training of reservoirs: ridge over several sequences (one Gram matrix), online RLS
and LMS readouts, FORCE learning of an ESN with output feedback, LSM.Readout over runs.

References are NumPy transcriptions: the leaky ESN equation stepped in NumPy for the states,
the ridge normal equations solved by NumPy for the readouts, the published RLS recursion
(Sussillo & Abbott 2009) with NumPy outer products for FORCE.
"""
import numpy as np
import pytest

from neurodyn.esn import ESN, ridge_fit
from neurodyn.lsm import Readout
from solvers._checks import InvalidTypeError


def np_states(esn, U, x0, teacher=None, y0=None):
    """x[t] = (1 - a) x[t-1] + a tanh(W x[t-1] + Win u[t] + b + Wfb y[t-1]) in NumPy."""
    W = esn.W.toarray() if hasattr(esn.W, "toarray") else np.asarray(esn.W)
    a = esn.leak_rate
    x = np.array(x0, dtype=float)
    yfb = np.zeros(esn.n_outputs) if y0 is None else y0
    X = np.empty((len(U), esn.n_reservoir))
    for t, u in enumerate(U):
        pre = W @ x + esn.Win @ u + esn.bias
        if esn.Wfb is not None:
            pre = pre + esn.Wfb @ (yfb if t == 0 else teacher[t - 1])
        x = (1 - a) * x + a * (np.tanh(pre) if esn.activation == "tanh" else pre)
        X[t] = x
    return X


def np_ridge(X, Y, ridge):
    """Unregularised bias: centre, solve (Xc^T Xc + ridge I) W = Xc^T Yc."""
    mx, my = X.mean(0), Y.mean(0)
    Xc, Yc = X - mx, Y - my
    W = np.linalg.solve(Xc.T @ Xc + ridge * np.eye(X.shape[1]), Xc.T @ Yc)
    return W, my - mx @ W


def np_ridge_aug(X, Y, alpha):
    """Ridge on [X, 1] with the penalty alpha on every weight, bias included."""
    R = np.hstack([X, np.ones((len(X), 1))])
    w = np.linalg.solve(R.T @ R + alpha * np.eye(R.shape[1]), R.T @ Y)
    return w[:-1], w[-1]


def rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(b).max(), 1e-300)


@pytest.fixture(scope="module")
def runs():
    rng = np.random.default_rng(1)
    lengths = (150, 220, 120)
    us = [rng.uniform(-1, 1, size=(T, 2)) for T in lengths]
    ys = [np.stack([np.sin(np.cumsum(u[:, 0])), u[:, 1] ** 2], axis=1) for u in us]
    return us, ys


def make_esn(**kw):
    args = dict(n_reservoir=40, spectral_radius=0.9, leak_rate=0.6, n_inputs=2, n_outputs=2,
                bias_scaling=0.2, density=0.2, seed=3)
    args.update(kw)
    return ESN(**args)


# --------------------------------------------------------------------------- ridge, lists

def test_multisequence_ridge_equals_concatenated(runs):
    us, ys = runs
    washouts = [10, 25, 5]
    esn = make_esn()
    esn.fit(us, ys, washout=washouts, ridge=1e-3)
    X = np.vstack([np_states(esn, u, np.zeros(40))[w:] for u, w in zip(us, washouts)])
    Y = np.vstack([y[w:] for y, w in zip(ys, washouts)])
    W_ref, b_ref = ridge_fit(X, Y, 1e-3)
    assert rel(esn.Wout, W_ref) < 1e-10 and rel(esn.bias_out, b_ref) < 1e-10
    W_np, b_np = np_ridge(X, Y, 1e-3)
    assert rel(esn.Wout, W_np) < 1e-8 and rel(esn.bias_out, b_np) < 1e-8
    # the state is left at the end of the last sequence
    assert np.allclose(esn.state, np_states(esn, us[-1], np.zeros(40))[-1], atol=1e-12)


def test_multisequence_carry_and_feedback(runs):
    """carry=True continues each sequence from the previous one's end; with output feedback
    the teacher is fed back within a sequence and carried across."""
    us, ys = runs
    esn = make_esn(feedback_scaling=0.3)
    esn.fit(us, ys, washout=7, ridge=1e-3, carry=True, reset=True)
    x, y0, blocks = np.zeros(40), np.zeros(2), []
    for u, y in zip(us, ys):
        X = np_states(esn, u, x, teacher=y, y0=y0)
        blocks.append(X[7:])
        x, y0 = X[-1], y[-1]
    W_ref, b_ref = ridge_fit(np.vstack(blocks), np.vstack([y[7:] for y in ys]), 1e-3)
    assert rel(esn.Wout, W_ref) < 1e-10 and rel(esn.bias_out, b_ref) < 1e-10


def test_list_of_one_equals_single_array(runs):
    us, ys = runs
    a = make_esn().fit(us[1], ys[1], washout=20)
    b = make_esn().fit([us[1]], [ys[1]], washout=20)
    assert np.array_equal(a.Wout, b.Wout) and np.array_equal(a.bias_out, b.bias_out)
    assert np.array_equal(a.state, b.state)
    # carried: a list of one continues from the current state like a single call
    a.fit(us[0], ys[0], washout=3)
    b.fit([us[0]], [ys[0]], washout=[3], carry=True)
    assert np.array_equal(a.Wout, b.Wout) and np.array_equal(a.state, b.state)


def test_lsm_readout_lists():
    rng = np.random.default_rng(2)
    Xs = [rng.normal(size=(T, 5)) for T in (30, 50, 40)]
    Ys = [x @ np.arange(1.0, 6.0) + 0.1 * rng.normal(size=len(x)) for x in Xs]
    ro = Readout(ridge=1e-2).fit(Xs, Ys, washout=[3, 0, 8])
    X = np.vstack([Xs[0][3:], Xs[1], Xs[2][8:]])
    Y = np.concatenate([Ys[0][3:], Ys[1], Ys[2][8:]])
    W_np, b_np = np_ridge(X, Y[:, None], 1e-2)
    assert ro.W.shape == (5,) and isinstance(ro.b, float)
    assert rel(ro.W, W_np[:, 0]) < 1e-10 and abs(ro.b - b_np[0]) < 1e-10
    single = Readout(ridge=1e-2).fit(Xs[2], Ys[2], washout=8)
    W1, b1 = np_ridge(Xs[2][8:], Ys[2][8:, None], 1e-2)
    assert rel(single.W, W1[:, 0]) < 1e-10


# --------------------------------------------------------------------------- online

def identity_esn(d, m=1):
    """x[t] = u[t]: a reservoir that hands its inputs to the readout unchanged."""
    return ESN(W=np.zeros((d, d)), Win=np.eye(d), spectral_radius=None, leak_rate=1.0,
               activation="identity", n_inputs=d, n_outputs=m, seed=0)


def linear_problem(T, d=3, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, d)) + 0.5
    Y = X @ np.array([[1.0, -1.0], [-2.0, 0.5], [0.5, 2.0]])[:d] + np.array([3.0, -1.0])
    return X, Y + noise * rng.normal(size=Y.shape)


def test_rls_equals_ridge_on_a_linear_problem():
    X, Y = linear_problem(400)
    esn = identity_esn(3, 2).fit(X, Y, method="rls", ridge=0.5, washout=20)
    W_ref, b_ref = np_ridge_aug(X[20:], Y[20:], 0.5)
    assert rel(esn.Wout, W_ref) < 1e-10 and rel(esn.bias_out, b_ref) < 1e-10
    # in the limit of a vanishing penalty: least squares with a free bias (ridge_fit)
    esn.fit(X, Y, method="rls", ridge=1e-9, washout=20)
    W0, b0 = np_ridge(X[20:], Y[20:], 0.0)
    assert rel(esn.Wout, W0) < 1e-6 and rel(esn.bias_out, b0) < 1e-6


def test_rls_equals_ridge_on_reservoir_states(runs):
    us, ys = runs
    esn = make_esn()
    esn.fit(us, ys, method="rls", ridge=1e-2, washout=[10, 25, 5])
    X = np.vstack([np_states(esn, u, np.zeros(40))[w:] for u, w in zip(us, (10, 25, 5))])
    Y = np.vstack([y[w:] for y, w in zip(ys, (10, 25, 5))])
    W_ref, b_ref = np_ridge_aug(X, Y, 1e-2)
    assert rel(esn.Wout, W_ref) < 1e-10 and rel(esn.bias_out, b_ref) < 1e-10


def test_lms_converges_to_least_squares():
    X, Y = linear_problem(6000, noise=0.0, seed=4)
    parts = [X[:2000], X[2000:]]
    esn = identity_esn(3, 2).fit(parts, [Y[:2000], Y[2000:]], method="lms", rate=0.02)
    W_ls, b_ls = np_ridge(X, Y, 0.0)   # noise-free: the exact coefficients
    assert np.abs(esn.Wout - W_ls).max() < 1e-3 and np.abs(esn.bias_out - b_ls).max() < 1e-3
    # a step size far past 2 / lambda_max diverges, and says so
    with pytest.raises(FloatingPointError, match="LMS|non-finite"):
        identity_esn(3, 2).fit(X * 100, Y, method="lms", rate=1.0)


# --------------------------------------------------------------------------- FORCE

def target(t):
    return np.sin(2 * np.pi * t / 60) + 0.5 * np.sin(4 * np.pi * t / 60)


def test_force_matches_numpy_transcription():
    """The compiled loop against Sussillo & Abbott's recursion written out in NumPy: z fed
    back, e = z - f, P <- P - P r r^T P / (1 + r^T P r), w <- w - e P r / (1 + r^T P r)."""
    esn = ESN(30, spectral_radius=1.2, leak_rate=0.3, feedback_scaling=1.0, density=0.3,
              bias_scaling=0.1, seed=5)
    f = target(np.arange(300))[:, None]
    err = esn.train_force(f, alpha=2.0, washout=10, update_every=2)
    W = esn.W.toarray() if hasattr(esn.W, "toarray") else esn.W
    x, z = np.zeros(30), np.zeros(1)
    P, w, E = np.eye(31) / 2.0, np.zeros((31, 1)), []
    for t in range(300):
        pre = W @ x + esn.bias + esn.Wfb @ z          # zero input
        x = 0.7 * x + 0.3 * np.tanh(pre)
        r = np.append(x, 1.0)
        z = w.T @ r
        e = z - f[t]
        if t >= 10:
            E.append(e)
            if (t - 10) % 2 == 0:
                Pr = P @ r
                c = 1.0 / (1.0 + r @ Pr)
                P = P - c * np.outer(Pr, Pr)
                w = w - c * np.outer(Pr, e)
    assert rel(err, np.array(E)) < 1e-9
    assert rel(esn.Wout, w[:30]) < 1e-9 and rel(esn.bias_out, w[30]) < 1e-9
    assert np.allclose(esn.state, x, atol=1e-12) and np.allclose(esn.last_output, z)


def test_force_trained_esn_generates():
    t = np.arange(6000)
    esn = ESN(200, spectral_radius=1.2, leak_rate=0.3, feedback_scaling=0.5, density=0.1,
              seed=0)
    err = esn.train_force(target(t), washout=100)
    assert err.shape == (5900, 1)
    assert np.abs(err[-500:]).mean() < 0.05       # the readout tracks while it learns
    wout = esn.Wout.copy()
    z = esn.predict(np.zeros(1200))    # closed loop, learning off
    assert np.array_equal(esn.Wout, wout)
    # amplitude of the target ~1.3; 1200 steps are 20 periods of free generation
    assert np.abs(z[:, 0] - target(np.arange(6000, 7200))).mean() < 0.05


# --------------------------------------------------------------------------- bad input

def test_bad_inputs_named(runs):
    us, ys = runs
    esn = make_esn()
    with pytest.raises(ValueError, match="u has 3 sequences but y has 2"):
        esn.fit(us, ys[:2])
    with pytest.raises(ValueError, match=r"u\[1\] has 220 steps but y\[1\] has 219"):
        esn.fit(us, [ys[0], ys[1][:-1], ys[2]])
    with pytest.raises(ValueError, match=r"washout\[2\] = 120 .*sequence 2 has 120 steps"):
        esn.fit(us, ys, washout=[0, 0, 120])
    with pytest.raises(ValueError, match="washout = 150 .*sequence 0 has 150"):
        esn.fit(us, ys, washout=150)
    with pytest.raises(ValueError, match="washout has 2 entries but there are 3"):
        esn.fit(us, ys, washout=[1, 2])
    with pytest.raises(InvalidTypeError, match=r"washout\[1\] must be an integer, got True"):
        esn.fit(us, ys, washout=[1, True, 2])
    with pytest.raises(ValueError, match="y is not a list of arrays"):
        esn.fit(us, ys[0])
    with pytest.raises(ValueError, match=r"u\[0\] has 1 column"):
        esn.fit([u[:, :1] for u in us], ys)
    with pytest.raises(ValueError, match=r"y\[2\]\[3, 0\] = .*nan.* is not finite"):
        bad = [y.copy() for y in ys]
        bad[2][3, 0] = np.nan
        esn.fit(us, bad)
    with pytest.raises(InvalidTypeError, match=r"u\[1\]"):
        esn.fit([us[0], us[1] > 0, us[2]], ys)
    with pytest.raises(InvalidTypeError, match="ridge must be a real number"):
        esn.fit(us, ys, ridge=True)
    with pytest.raises(InvalidTypeError, match="carry must be True or False"):
        esn.fit(us, ys, carry=1)
    with pytest.raises(ValueError, match="method must be 'ridge', 'rls' or 'lms'"):
        esn.fit(us, ys, method="force")
    with pytest.raises(ValueError, match="needs a learning rate"):
        esn.fit(us, ys, method="lms")
    with pytest.raises(InvalidTypeError, match="rate must be a real number"):
        esn.fit(us, ys, method="lms", rate=True)
    with pytest.raises(ValueError, match="ridge must be a positive number"):
        esn.fit(us, ys, method="rls", ridge=0.0)
    with pytest.raises(ValueError, match="train_force needs output feedback"):
        esn.train_force(np.zeros(10))
    fb = make_esn(feedback_scaling=1.0)
    with pytest.raises(ValueError, match="alpha must be a positive number"):
        fb.train_force(np.zeros((10, 2)), alpha=-1.0)
    with pytest.raises(ValueError, match="update_every"):
        fb.train_force(np.zeros((10, 2)), update_every=0)
    with pytest.raises(ValueError, match="X has 2 sequences but Y has 1"):
        Readout().fit([np.zeros((3, 2))] * 2, [np.zeros(3)])
    with pytest.raises(ValueError, match=r"Y\[0\] must have shape \(3,\)"):
        Readout().fit([np.zeros((3, 2))], [np.zeros(4)])
    with pytest.raises(ValueError, match="washout = 3 must be in"):
        Readout().fit(np.zeros((3, 2)), np.zeros(3), washout=3)
