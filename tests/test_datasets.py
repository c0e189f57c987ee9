"""neurodyn.datasets against independent references: a method-of-steps SciPy integration of
Mackey-Glass, SciPy for Lorenz, the NARMA recursion written out by hand, WORKLOADS' W4 input."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.datasets import lorenz, mackey_glass, narma


def mackey_glass_reference(t_end, tau=17.0, beta=0.2, gamma=0.1, power=10.0, x0=1.2):
    """Method of steps: on [k tau, (k+1) tau] the delayed term is the (dense, DOP853) solution
    of the previous interval, so every piece is an ODE that solve_ivp integrates to 1e-12."""
    pieces = []

    def delayed(t):
        s = t - tau
        if s <= 0.0:
            return x0
        return pieces[min(int(s // tau), len(pieces) - 1)].sol(s)[0]

    def rhs(t, x):
        xd = delayed(t)
        return [beta * xd / (1.0 + xd ** power) - gamma * x[0]]

    x = x0
    k = 0
    while k * tau < t_end:
        sol = solve_ivp(rhs, (k * tau, (k + 1) * tau), [x], method="DOP853", rtol=1e-12,
                        atol=1e-14, dense_output=True)
        assert sol.success
        pieces.append(sol)
        x = sol.y[0, -1]
        k += 1
    return lambda t: np.array([pieces[min(int(s // tau), len(pieces) - 1)].sol(s)[0]
                               for s in np.atleast_1d(t)])


@pytest.fixture(scope="module")
def mg_reference():
    return mackey_glass_reference(300.0)


def test_mackey_glass_matches_method_of_steps_and_converges_at_second_order(mg_reference):
    # Horizon t <= 300: the tau = 17 attractor's largest Lyapunov exponent is ~0.007 per unit
    # time, so errors grow by ~e^2 at most; agreement there is a meaningful test.
    t = np.arange(300.0)
    ref = mg_reference(t)
    errs = []
    for dt in (0.1, 0.05, 0.025):
        x = mackey_glass(300, dt=dt)
        errs.append(np.max(np.abs(x - ref)))
    assert errs[-1] < 2e-5, errs
    # The half-step delayed value is a linear interpolation: second order overall.
    for e1, e2 in zip(errs, errs[1:]):
        assert 3.0 < e1 / e2 < 5.0, errs
    fine = mackey_glass(300, dt=0.01)
    assert np.max(np.abs(fine - ref)) < 4e-6  # measured 2.0e-6


def test_mackey_glass_defaults_reproduce_the_w4_series(mg_reference):
    """W4's series. Its published fingerprint (b93a91a40c5c9200) hashes 20,000 samples of a
    chaotic system: one ulp of difference in libm's pow on another CPU grows by e^140 over the
    series, so the hash is checked by benchmarks/workloads.py (which must run the exact
    problem), not here. Here: the defaults are W4's definition (the method-of-steps reference
    on the first 300 samples), the range WORKLOADS.md publishes, and bit-for-bit repeatability
    within this machine."""
    x = mackey_glass(20000)
    assert x.shape == (20000,)
    assert np.max(np.abs(x[:300] - mg_reference(np.arange(300.0)))) < 5e-4  # dt = 0.1: 2.0e-4
    assert round(float(x.min()), 3) == 0.418 and round(float(x.max()), 3) == 1.320
    assert np.array_equal(mackey_glass(20000), x)
    # sampling: every 10th RK4 point; a coarser sampling is a subsequence of the same run
    assert np.array_equal(mackey_glass(100, sample_every=2.0), x[:200:2])
    assert np.array_equal(mackey_glass(10, discard=50.0), x[50:60])


def test_mackey_glass_rejects_off_grid_delays_and_bad_arguments():
    with pytest.raises(ValueError, match="tau"):
        mackey_glass(10, tau=17.05)
    with pytest.raises(ValueError, match="sample_every"):
        mackey_glass(10, sample_every=0.15)
    with pytest.raises(ValueError, match="n_samples"):
        mackey_glass(0)
    with pytest.raises(ValueError, match="dt"):
        mackey_glass(10, dt=-0.1)


def test_narma_follows_its_recursion():
    u, y = narma(200, 3, seed=1)
    alpha, beta, gamma, delta = 0.3, 0.05, 1.5, 0.1
    ref = np.zeros(200)
    for t in range(2, 199):
        ref[t + 1] = (alpha * ref[t] + beta * ref[t] * (ref[t] + ref[t - 1] + ref[t - 2])
                      + gamma * u[t - 2] * u[t] + delta)
    np.testing.assert_allclose(y, ref, rtol=1e-14, atol=0)
    assert y[3] == pytest.approx(gamma * u[0] * u[2] + delta, rel=1e-15)
    # same seed, same input; given input is used as is
    u2, y2 = narma(200, 3, seed=1)
    assert np.array_equal(u, u2) and np.array_equal(y, y2)
    u3, y3 = narma(u, 3)
    assert np.array_equal(y3, y)


def test_narma_of_higher_order_and_divergence_is_reported():
    u, y = narma(2000, 20, beta=0.01, seed=0)
    assert np.isfinite(y).all() and y[:20].max() == 0.0
    with pytest.raises(FloatingPointError, match="diverged"):
        narma(np.full(500, 5.0), 10)
    with pytest.raises(ValueError, match="longer than the order"):
        narma(5, 10)
    with pytest.raises(ValueError, match=r"u\[1\]"):
        narma([0.1, np.nan, 0.2, 0.3], 2)


def test_lorenz_matches_scipy():
    s = lorenz(250, dt=0.02, discard=0.0)
    rhs = lambda t, y: [10 * (y[1] - y[0]), y[0] * (28 - y[2]) - y[1], y[0] * y[1] - 8 / 3 * y[2]]
    ref = solve_ivp(rhs, (0, 249 * 0.02), [1.0, 1.0, 1.0], method="DOP853",
                    t_eval=np.arange(250) * 0.02, rtol=1e-12, atol=1e-12).y.T
    # t <= 5: chaos amplifies 1e-10 local errors by at most ~e^(0.9*5)
    assert np.max(np.abs(s - ref)) < 1e-6
