"""Lyapunov spectra against published values and exact identities.

References: Lorenz (10, 28, 8/3) spectrum (0.9056, 0, -14.5723) (Sprott, "Chaos and
Time-Series Analysis", 2003, table A.1, and Wolf et al. 1985); the Hénon map (1.4, 0.3):
(0.419, -1.623) (Sprott, same table). Exact identities: the sum of a flow's exponents is the
time average of the Jacobian's trace (constant -(sigma + 1 + beta) for Lorenz), and the Hénon
map's Jacobian determinant is -b everywhere, so its exponents sum to ln b.
"""
import math

import numpy as np
import pytest

from benchmarks.kernels import lorenz, lorenz_jac
from solvers import MapSystem, ODESystem
from neurodyn.analysis.lyapunov import kaplan_yorke, lyapunov_spectrum


def henon(k, x, p, out):
    out[0] = 1.0 - p[0] * x[0] * x[0] + x[1]
    out[1] = p[1] * x[0]


def henon_jac(k, x, p, J):
    J[0, 0] = -2.0 * p[0] * x[0]
    J[0, 1] = 1.0
    J[1, 0] = p[1]


def rate(t, x, p, dxdt):
    # dx/dt = -x + J tanh(x); column by column so tanh is evaluated n times, not n^2
    J = p[0]
    n = x.size
    for i in range(n):
        dxdt[i] = -x[i]
    for j in range(n):
        th = math.tanh(x[j])
        for i in range(n):
            dxdt[i] += J[i, j] * th


def rate_jac(t, x, p, out):
    J = p[0]
    n = x.size
    for j in range(n):
        d = 1.0 - math.tanh(x[j]) ** 2
        for i in range(n):
            out[i, j] = J[i, j] * d
    for i in range(n):
        out[i, i] -= 1.0


SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
LORENZ = ODESystem(lorenz, 3, (SIGMA, RHO, BETA), jac=lorenz_jac)


@pytest.fixture(scope="module")
def lorenz_spectrum():
    return lyapunov_spectrum(LORENZ, [1.0, 1.0, 1.0], t_total=500.0, t_transient=50.0,
                             dt=0.01)


def test_lorenz_spectrum_matches_published(lorenz_spectrum):
    lam = lorenz_spectrum.exponents
    assert lam.shape == (3,)
    assert abs(lam[0] - 0.9056) < 0.05
    assert abs(lam[1]) < 0.05
    assert abs(lam[2] + 14.5723) < 0.1


def test_lorenz_sum_is_the_trace(lorenz_spectrum):
    # The trace is -(sigma + 1 + beta) everywhere, so the sum is exact up to RK4's O(dt^4)
    # error on the tangents (about 1e-4 at dt = 0.01).
    assert abs(lorenz_spectrum.sum + (SIGMA + 1 + BETA)) < 1e-3


def test_lorenz_kaplan_yorke_and_history(lorenz_spectrum):
    lam = lorenz_spectrum.exponents
    assert lorenz_spectrum.kaplan_yorke == pytest.approx(2 + (lam[0] + lam[1]) / abs(lam[2]))
    assert 2.05 < lorenz_spectrum.kaplan_yorke < 2.07      # published 2.062
    h = lorenz_spectrum.history
    assert h.shape[1] == 3 and h.shape[0] == lorenz_spectrum.history_t.size
    assert np.allclose(np.sort(h[-1])[::-1], lam)


def test_lorenz_largest_only_agrees_with_full():
    r1 = lyapunov_spectrum(LORENZ, [1.0, 1.0, 1.0], t_total=300.0, t_transient=20.0, k=1)
    assert r1.exponents.shape == (1,)
    assert abs(r1.exponents[0] - 0.9056) < 0.06


def test_henon_map_spectrum():
    a, b = 1.4, 0.3
    r = lyapunov_spectrum(MapSystem(henon, 2, (a, b), jac=henon_jac), [0.1, 0.1],
                          n_steps=200_000, n_transient=1000)
    assert abs(r.exponents[0] - 0.419) < 0.005
    assert abs(r.exponents[1] + 1.623) < 0.005
    assert r.sum == pytest.approx(math.log(b), abs=1e-10)
    assert r.kaplan_yorke == pytest.approx(1 + r.exponents[0] / abs(r.exponents[1]))


def test_linear_flow_gives_its_eigenvalues():
    # dy/dt = A y with A diagonalisable and real eigenvalues: the exponents are exactly them.
    def lin(t, y, p, dydt):
        A = p[0]
        for i in range(y.size):
            acc = 0.0
            for j in range(y.size):
                acc += A[i, j] * y[j]
            dydt[i] = acc

    def lin_jac(t, y, p, J):
        A = p[0]
        for i in range(y.size):
            for j in range(y.size):
                J[i, j] = A[i, j]

    S = np.array([[1.0, 0.3, 0.0], [0.2, 1.0, 0.5], [0.0, -0.4, 1.0]])
    A = S @ np.diag([0.5, -0.2, -1.0]) @ np.linalg.inv(S)
    r = lyapunov_spectrum(ODESystem(lin, 3, (A,), jac=lin_jac), [1.0, 0.0, 0.0],
                          t_total=200.0, dt=0.01)
    assert np.allclose(r.exponents, [0.5, -0.2, -1.0], atol=0.02)


@pytest.mark.parametrize("g, sign", [(0.5, -1), (2.0, 1)])
def test_random_rate_network_chaos_transition(g, sign):
    # Sompolinsky, Crisanti & Sommers (1988): x = 0 is stable for g < 1 (largest exponent
    # about g - 1 < 0), chaos for g > 1 (largest exponent positive) as N grows.
    N = 200
    rng = np.random.default_rng(1)
    J = rng.normal(0.0, g / np.sqrt(N), (N, N))
    r = lyapunov_spectrum(ODESystem(rate, N, (J,), jac=rate_jac), rng.normal(0, 1, N),
                          t_total=150.0, t_transient=50.0, dt=0.1, k=1)
    lam = r.exponents[0]
    if sign < 0:
        assert lam < -0.1
    else:
        assert lam > 0.02


def test_kaplan_yorke_edge_cases():
    assert kaplan_yorke([-0.1, -1.0]) == 0.0
    assert kaplan_yorke([0.5, 0.1]) == 2.0
    assert kaplan_yorke([0.419, -1.623]) == pytest.approx(1.258, abs=1e-3)


def test_errors_name_the_culprit():
    with pytest.raises(ValueError, match="k = 4"):
        lyapunov_spectrum(LORENZ, [1, 1, 1], t_total=1.0, k=4)
    with pytest.raises(ValueError, match="y0"):
        lyapunov_spectrum(LORENZ, [1, 1], t_total=1.0)
    with pytest.raises(ValueError, match="n_steps"):
        lyapunov_spectrum(MapSystem(henon, 2, (1.4, 0.3), jac=henon_jac), [0, 0], t_total=5)
    with pytest.raises(ValueError, match="t_total"):
        lyapunov_spectrum(LORENZ, [1, 1, 1])
    with pytest.raises(ValueError, match="dt"):
        lyapunov_spectrum(LORENZ, [1, 1, 1], t_total=1.0, dt=-0.1)


def test_divergence_is_reported():
    def blow(t, y, p, dydt):
        dydt[0] = y[0] * y[0]

    def blow_jac(t, y, p, J):
        J[0, 0] = 2.0 * y[0]

    with pytest.raises(FloatingPointError, match="non-finite"):
        lyapunov_spectrum(ODESystem(blow, 1, (), jac=blow_jac), [1.0], t_total=5.0, dt=0.01)


@pytest.mark.parametrize("name", ["neurodyn.analysis.lyapunov", "neurodyn.analysis.basins"])
def test_docstring_examples_run(name):
    # basins' example runs here rather than in test_limit_cycle_basins.py to balance the two
    # files' cold (compiling) run times
    import doctest
    import importlib
    res = doctest.testmod(importlib.import_module(name),
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0


def test_without_jacobian_finite_differences_agree_with_analytic():
    # Same run (same seed, dt, renormalisation): only J V differs, by central differences.
    kw = dict(t_total=100.0, t_transient=10.0, dt=0.01)
    exact = lyapunov_spectrum(LORENZ, [1.0, 1.0, 1.0], **kw)
    fd = lyapunov_spectrum(ODESystem(lorenz, 3, (SIGMA, RHO, BETA)), [1.0, 1.0, 1.0], **kw)
    assert np.allclose(fd.exponents, exact.exponents, atol=1e-4)
    assert abs(fd.sum + (SIGMA + 1 + BETA)) < 1e-3


def test_short_run_still_renormalises():
    # fewer steps than renorm_every: one renormalisation at the end, not none
    r = lyapunov_spectrum(LORENZ, [1.0, 1.0, 1.0], t_total=0.05, dt=0.01, renorm_every=100)
    assert np.all(r.exponents != 0.0)
    assert abs(r.sum + (SIGMA + 1 + BETA)) < 1e-3


def test_map_without_jacobian_finite_differences_agree_with_analytic():
    kw = dict(n_steps=20_000, n_transient=100)
    exact = lyapunov_spectrum(MapSystem(henon, 2, (1.4, 0.3), jac=henon_jac), [0.1, 0.1], **kw)
    fd = lyapunov_spectrum(MapSystem(henon, 2, (1.4, 0.3)), [0.1, 0.1], **kw)
    assert np.allclose(fd.exponents, exact.exponents, atol=1e-6)
