"""The compiled stiff methods rodas5p and radau5: against the published reference values of
the Bari test set (Hairer & Wanner's problems), SciPy's Radau at tight tolerance, exact
solutions; through solve_ensemble (bit for bit the same members); failure reporting.
(Events, dense output, backward integration and faults of these methods are in
test_events.py, test_dense_backward.py and test_faults.py; radau5's own checks in
test_radau5.py.) The problems share one kernel (tests/_stiff_problems.py), so each method
compiles one loop for all of them (and one for finite-difference Jacobians)."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from solvers import solve, solve_ensemble

sys.path.insert(0, str(Path(__file__).parent))
import _stiff_problems as sp  # noqa: E402

METHODS = ["rodas5p", "rodas4", "radau5"]


def _rel_err(y, ref, floor=1e-200):
    mask = np.abs(ref) > floor
    return float(np.max(np.abs(y[mask] - ref[mask]) / np.abs(ref[mask])))


# Bari test set problems at rtol 1e-8 (atol small against each problem's scale): relative
# errors at the end point within 25 rtol (measured: at most 9.5 rtol for rodas5p, 3.5 for
# radau5).
BARI_ATOL = {"rober_1e11": 1e-14, "vdpol": 1e-8, "hires": 1e-12, "orego": 1e-12}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(BARI_ATOL))
def test_bari_reference_values(method, name):
    _, _, y0, t_end, ref, _ = sp.PROBLEMS[name]
    rtol = 1e-8
    sol = solve(sp.system(name), (0.0, t_end), y0, method=method, rtol=rtol,
                atol=BARI_ATOL[name])
    assert sol.success, sol.message
    assert _rel_err(sol.y_final, ref) < 25 * rtol


def test_bari_vdpol_reference_lies_on_the_slow_manifold():
    # Independent of any solver: at t = 2 the solution sits on the slow manifold
    # y2 = y1 / (1 - y1^2) + O(eps), which fixes the sign and size of the published y2.
    y1, y2 = sp.PROBLEMS["vdpol"][4]
    assert abs(y2 - y1 / (1 - y1 * y1)) < 1e-5


def test_e5_radau5_against_the_test_set():
    # E5 to t = 1e13 with atol 1e-30: y2 and y3 are ~1e-22 at the end.
    _, _, y0, t_end, ref, _ = sp.PROBLEMS["e5"]
    rtol = 1e-8
    sol = solve(sp.system("e5"), (0.0, t_end), y0, method="radau5", rtol=rtol, atol=1e-30)
    assert sol.success
    y = sol.y_final
    # y2 + y3 carries the answer: within a small multiple of rtol of the test set's.
    assert abs((y[1] + y[2]) - (ref[1] + ref[2])) < 50 * rtol * (ref[1] + ref[2])
    # Their split does not: y2 - y3 - y4 is invariant (0 from y0) and y4 ~ 0 at the end, so
    # y2 - y3 is what rounding early in the run (few ulps of y1 ~ 1e-3) left, ~1e-25 in any
    # double-precision code (the test set's own values differ by 1.3e-25, SciPy's Radau at
    # rtol 1e-10 by -1.1e-25): 2e-3 of the values.
    assert abs(y[1] - y[2]) < 2e-3 * (y[1] + y[2])
    np.testing.assert_allclose(y[1:3], ref[1:3], rtol=2e-3)
    # y1 (~1e-290) and y4 (0) sit at the floating-point floor
    assert abs(y[0]) < 1e-200 and abs(y[3]) < 1e-200


@pytest.mark.parametrize("method", METHODS)
def test_w7_van_der_pol_mu_1000_against_scipy_radau(method):
    mu = 1000.0
    ref = solve_ivp(lambda t, y: [y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]], (0, 3000),
                    [2.0, 0.0], method="Radau", rtol=1e-12, atol=1e-14,
                    jac=lambda t, y: [[0, 1], [-2 * mu * y[0] * y[1] - 1, mu * (1 - y[0] ** 2)]])
    sol = solve(sp.system(sp.VDP_MU, mu, jac=True), (0.0, 3000.0), [2.0, 0.0], method=method,
                rtol=1e-6, atol=1e-9)
    assert sol.success
    assert abs(sol.y_final[0] - ref.y[0, -1]) < 5e-6
    assert sol.njev > 0 and sol.nlu >= sol.njev and sol.nfev > sol.naccepted


@pytest.fixture(scope="module")
def rober_ref_1e5():
    k = (0.04, 1e4, 3e7)
    return solve_ivp(lambda t, y: [-k[0] * y[0] + k[1] * y[1] * y[2],
                                   k[0] * y[0] - k[1] * y[1] * y[2] - k[2] * y[1] ** 2,
                                   k[2] * y[1] ** 2], (0, 1e5), [1.0, 0, 0], method="Radau",
                     rtol=1e-12, atol=1e-14, dense_output=True)


@pytest.mark.parametrize("method", METHODS)
def test_rober_1e5_analytic_and_finite_difference_jacobians(method, rober_ref_1e5):
    te = np.array([1e-3, 1.0, 40.0, 1e3, 1e5])
    ref = rober_ref_1e5.sol(te).T
    out = {}
    for jac in (True, False):
        sol = solve(sp.system(sp.ROBER, 0.04, 1e4, 3e7, jac=jac), (0.0, 1e5), [1.0, 0.0, 0.0],
                    method=method, rtol=1e-8, atol=1e-12, t_eval=te)
        assert sol.success
        assert _rel_err(sol.y.ravel(), ref.ravel()) < 50 * 1e-8
        out[jac] = sol
    # the two Jacobians give the same solution to the tolerance (not the same bits)
    assert _rel_err(out[True].y.ravel(), out[False].y.ravel()) < 50 * 1e-8
    assert out[False].nfev > out[True].nfev  # the differences cost evaluations


@pytest.mark.parametrize("method", METHODS)
def test_ensemble_members_equal_single_solves_bit_for_bit(method):
    base = sp.system(sp.ROBER, 0.04, 1e4, 3e7, jac=True)
    k3 = 3e7 * np.logspace(-1, 1, 7)
    members = [base.with_params(sp.params(sp.ROBER, 0.04, 1e4, k)) for k in k3]
    te = np.array([1.0, 100.0, 1e5])
    ens = solve_ensemble(members, (0.0, 1e5), [1.0, 0.0, 0.0], method=method, rtol=1e-8,
                         atol=1e-10, t_eval=te, n_threads=2)
    final = solve_ensemble(members[::-1], (0.0, 1e5), [1.0, 0.0, 0.0], method=method,
                           rtol=1e-8, atol=1e-10, save="final", n_threads=1)
    for i, m in enumerate(members):
        sol = solve(m, (0.0, 1e5), [1.0, 0.0, 0.0], method=method, rtol=1e-8, atol=1e-10,
                    t_eval=te)
        assert np.array_equal(ens.y[i], sol.y)
        assert np.array_equal(final.y_final[len(members) - 1 - i], sol.y_final)
        one = ens[i]
        assert (one.nfev, one.njev, one.nlu, one.naccepted, one.nrejected) == \
            (sol.nfev, sol.njev, sol.nlu, sol.naccepted, sol.nrejected)
    # and the members differ (k3 matters): y2 at t = 1e5 falls as k3 grows
    assert ens.y[0, -1, 1] > 3 * ens.y[-1, -1, 1]


@pytest.mark.parametrize("method, order", [("rodas5p", 5), ("rodas4", 4)])
def test_rosenbrock_observed_order(method, order):
    # A smooth non-stiff problem on a fixed step sequence (first_step = max_step = h and a
    # tolerance every step meets): the error ratio of halved steps is 2^order. (radau5's
    # order, whose Newton tolerance follows rtol, is checked in test_radau5.py.)
    ref = solve_ivp(lambda t, y: [-y[1] + 0.1 * y[0] * y[1], y[0] - 0.2 * y[1] ** 2], (0, 3),
                    [1.0, 0.5], method="DOP853", rtol=1e-13, atol=1e-14).y[:, -1]
    errs = []
    for h in (0.2, 0.1, 0.05):
        sol = solve(sp.system(sp.SMOOTH), (0.0, 3.0), [1.0, 0.5], method=method,
                    rtol=1e3, atol=1e3, first_step=h, max_step=h)
        errs.append(np.max(np.abs(sol.y_final - ref)))
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(2)]
    assert min(orders) > order - 0.3, orders


@pytest.mark.parametrize("method", METHODS)
def test_dense_output_against_the_exact_solution(method):
    # each method's own interpolant (Rodas5P's 4th-degree, Rodas4's 3rd, the collocation
    # polynomial) over the whole span, against y = cos t
    sol = solve(sp.system(sp.PROTHERO, -1.0), (0.0, 10.0), [1.0], method=method, rtol=1e-8,
                atol=1e-11, dense_output=True)
    t = np.linspace(0.0, 10.0, 1001)
    np.testing.assert_allclose(sol.sol(t)[:, 0], np.cos(t), rtol=0, atol=1e-7)
    # and the segments join the steps: at the step times the interpolant is the step value
    np.testing.assert_allclose(sol.sol(sol.t)[:, 0], sol.y[:, 0], rtol=0, atol=1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_non_autonomous_stiff_problem_against_the_exact_solution(method):
    # Prothero-Robinson y' = lam (y - cos t) - sin t, y = cos t: df/dt enters Rodas5P's stages.
    # Mildly stiff: the interpolant at t_eval too; very stiff: the steps themselves (few and
    # long, where a low-degree interpolant of cos t is not accurate; SciPy's Radau: 6e-5).
    sol = solve(sp.system(sp.PROTHERO, -1.0), (0.0, 10.0), [1.0], method=method, rtol=1e-9,
                atol=1e-12, t_eval=np.linspace(0, 10, 11))
    assert sol.success
    np.testing.assert_allclose(sol.y[:, 0], np.cos(sol.t), rtol=0, atol=1e-8)
    sol = solve(sp.system(sp.PROTHERO, -1e6), (0.0, 10.0), [1.0], method=method, rtol=1e-9,
                atol=1e-12)
    assert sol.success
    np.testing.assert_allclose(sol.y[:, 0], np.cos(sol.t), rtol=0, atol=5e-7)


@pytest.mark.parametrize("method", METHODS)
def test_a_singular_iteration_matrix_stops_with_the_partial_solution(method):
    # a Jacobian that is infinite from the start: no step can be taken
    bad = sp.system(sp.DECAY, 0.0, jac=True)
    sol = solve(bad, (0.0, 2.0), [3.0], method=method, rtol=1e-8, atol=1e-10)
    assert sol.status == -4 and not sol.success and "Singular" in sol.message
    assert sol.t_final == 0.0 and sol.y_final[0] == 3.0 and sol.y.shape == (1, 1)
    ens = solve_ensemble([bad, sp.system(sp.DECAY, 10.0, jac=True)], (0.0, 2.0), [3.0],
                         method=method, rtol=1e-8, atol=1e-10, save="final")
    assert list(ens.status) == [-4, 0] and "Singular" in ens.message(0)
    np.testing.assert_allclose(ens.y_final[1], 3 * np.exp(-2.0), rtol=1e-7)


@pytest.mark.parametrize("method", ["rodas5p", "rodas4"])
def test_rosenbrock_singular_midway_keeps_the_trajectory(method):
    # infinite from t = 0.5 on: rodas5p forms J at every step, so the first step starting
    # past 0.5 fails (radau5 may keep its last Jacobian and finish)
    sol = solve(sp.system(sp.DECAY, 0.5, jac=True), (0.0, 2.0), [1.0], method=method,
                rtol=1e-8, atol=1e-10, max_step=0.05)
    assert sol.status == -4
    assert 0.5 <= sol.t_final <= 0.55 + 1e-12
    np.testing.assert_allclose(sol.y[:, 0], np.exp(-sol.t), rtol=1e-7)


def _autonomous(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = 5.0 * (1.0 - y[0] * y[0]) * y[1] - y[0]


def test_autonomous_kernels_skip_the_time_derivative():
    from solvers import ODESystem
    from solvers._codegen import _reads_time

    def reads_t(t, y, p, dydt):
        dydt[0] = t

    def inner(t, y, p, dydt):
        dydt[0] = (lambda: t)()

    assert _reads_time(sp.stiff) and _reads_time(reads_t) and _reads_time(inner)
    assert not _reads_time(_autonomous)

    def expected(sol, per_jac):
        # f(t0, y0) and the first-step trial, 7 new stages per attempt, f(t, y) at the start
        # of every step after the first, and per Jacobian its cost in evaluations
        return 2 + 7 * sol.nsteps + (sol.naccepted - 1) + per_jac * sol.njev

    # never reads t: a finite-difference Jacobian (2 evaluations), no df/dt
    a = solve(ODESystem(_autonomous, 2), (0.0, 2.0), [2.0, 0.0], method="rodas5p", rtol=1e-6,
              atol=1e-8)
    assert a.success and a.nfev == expected(a, 2) and a.njev == a.naccepted
    # reads t (PROTHERO's branch): an analytic Jacobian and a df/dt difference per step
    b = solve(sp.system(sp.VDP_MU, 5.0, jac=True), (0.0, 2.0), [2.0, 0.0], method="rodas5p",
              rtol=1e-6, atol=1e-8)
    assert b.success and b.nfev == expected(b, 1)
    np.testing.assert_allclose(a.y_final, b.y_final, rtol=1e-5)


def test_explicit_methods_say_when_a_problem_looks_stiff():
    # (no Jacobian kernel, as for the run below: one compiled module for both; the hint then
    # forms J by differences)
    stiff = solve(sp.system(sp.VDP_MU, 1000.0, jac=False), (0.0, 3000.0), [2.0, 0.0],
                  method="dopri5", rtol=1e-6, atol=1e-9, max_steps=6000)
    assert stiff.status == -1
    assert "looks stiff" in stiff.message and "rodas5p" in stiff.message
    # a long run that is long because of its tolerance, not stability: no hint
    smooth = solve(sp.system(sp.SMOOTH), (0.0, 300.0), [1.0, 0.5], method="dopri5",
                   rtol=1e-10, atol=1e-12)
    assert smooth.success and smooth.nsteps >= 5000
    assert "stiff" not in smooth.message


@pytest.mark.parametrize("method", METHODS)
def test_large_sparse_jacobians_are_factored_with_superlu(method):
    # A stiff reaction-diffusion chain of 600 states (tridiagonal Jacobian, above the sparse
    # path's 500-state threshold): SuperLU factors it, and the solution is SciPy's BDF's
    # (given the sparsity) at tight tolerance.
    from scipy.sparse import diags_array

    from solvers import _sparse_lu
    n, d = 600, 1e3
    x = np.linspace(0.0, 1.0, n)
    y0 = np.cos(3 * np.pi * x) * 0.9

    def f(t, y):
        left = np.concatenate([[y[1]], y[:-1]])
        right = np.concatenate([y[1:], [y[-2]]])
        return d * (left - 2 * y + right) + y - y ** 3

    pattern = diags_array([np.ones(n - 1), np.ones(n), np.ones(n - 1)], offsets=[-1, 0, 1],
                          shape=(n, n))
    ref = solve_ivp(f, (0.0, 0.5), y0, method="BDF", rtol=1e-10, atol=1e-12,
                    jac_sparsity=pattern).y[:, -1]
    before = _sparse_lu.stats["factor"]
    sol = solve(sp.system(sp.CHAIN, d, jac=True, n_states=n), (0.0, 0.5), y0,
                method=method, rtol=1e-7, atol=1e-9)
    assert sol.success
    # every factorisation was SuperLU's (radau5 factors a real and a complex matrix each time)
    assert _sparse_lu.stats["factor"] - before == sol.nlu * (2 if method == "radau5" else 1)
    assert not _sparse_lu._factors  # released with the run
    np.testing.assert_allclose(sol.y_final, ref, rtol=0, atol=1e-6)
