"""The engine against exact solutions, SciPy at tight tolerance, and its own error contract."""
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from benchmarks.kernels import lorenz, vdp_jac, vdp_rhs as vdp
import solvers
from solvers import MapSystem, ODESystem, iterate, solve
from solvers import tableaus


# ---------------------------------------------------------------- kernels used below
def linear(t, y, p, dydt):
    A = p[0]
    n = y.size
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += A[i, j] * y[j]
        dydt[i] = acc


def linear_jac(t, y, p, J):
    A = p[0]
    for i in range(y.size):
        for j in range(y.size):
            J[i, j] = A[i, j]


def exp_sin(t, y, p, dydt):
    # y' = cos(t) y, y(0) = 1  =>  y = exp(sin t): non-autonomous, so a wrong stage time shows.
    dydt[0] = math.cos(t) * y[0]


def blowup(t, y, p, dydt):
    dydt[0] = y[0] * y[0]


def henon(k, x, p, out):
    a, b = p
    out[0] = 1.0 - a * x[0] * x[0] + x[1]
    out[1] = b * x[0]


def square_map(k, x, p, out):
    out[0] = x[0] * x[0] + p[0]


LORENZ = ODESystem(lorenz, 3, params=(10.0, 28.0, 8.0 / 3.0))


def lorenz_np(t, y):
    return [10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1], y[0] * y[1] - 8.0 / 3.0 * y[2]]


def random_stable_matrix(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(0, 1, (n, n)) / np.sqrt(n)
    return A - 1.5 * np.eye(n)


# ---------------------------------------------------------------- fixed-step order
@pytest.mark.parametrize("method,order", [("euler", 1), ("heun", 2), ("rk4", 4)])
def test_fixed_step_convergence_order(method, order):
    sys_ = ODESystem(exp_sin, 1)
    exact = math.exp(math.sin(2.0))
    dts = [0.04, 0.02, 0.01, 0.005]
    errs = [abs(solve(sys_, (0.0, 2.0), [1.0], method=method, dt=dt).y[-1, 0] - exact)
            for dt in dts]
    observed = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert abs(observed - order) < 0.15, (observed, errs)


def test_fixed_step_grid_and_dense_output():
    sys_ = ODESystem(exp_sin, 1)
    sol = solve(sys_, (0.0, 1.0), [1.0], method="rk4", dt=0.3)
    # steps at 0, .3, .6, .9 and a shortened last one ending exactly at t1
    np.testing.assert_allclose(sol.t, [0.0, 0.3, 0.6, 0.9, 1.0], rtol=0, atol=1e-15)
    te = np.linspace(0, 1, 7)
    dense = solve(sys_, (0.0, 1.0), [1.0], method="rk4", dt=0.01, t_eval=te)
    np.testing.assert_allclose(dense.y[:, 0], np.exp(np.sin(te)), rtol=1e-8)
    assert dense.nfev == 4 * 100 + 1


# ---------------------------------------------------------------- adaptive vs references
@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bs32"])
def test_adaptive_linear_system_matches_expm(method):
    A = random_stable_matrix(6, 1)
    y0 = np.linspace(-1, 1, 6)
    te = np.linspace(0, 3, 31)
    sol = solve(ODESystem(linear, 6, (A,)), (0, 3), y0, method=method, t_eval=te,
                rtol=1e-10, atol=1e-12)
    assert sol.success
    exact = np.array([expm(A * t) @ y0 for t in te])
    # the outputs between steps come from each method's interpolant
    assert np.abs(sol.y - exact).max() < 1e-8


@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bs32"])
def test_adaptive_lorenz_matches_scipy(method):
    te = np.linspace(0, 2, 41)
    ref = solve_ivp(lorenz_np, (0, 2), [1.0, 1.0, 1.0], method="DOP853", rtol=1e-10,
                    atol=1e-12, t_eval=te)
    for rtol in (1e-6, 1e-9):
        sol = solve(LORENZ, (0, 2), [1.0, 1.0, 1.0], method=method, t_eval=te, rtol=rtol,
                    atol=rtol * 1e-2)
        err = np.abs(sol.y - ref.y.T).max() / np.abs(ref.y).max()
        # Lorenz amplifies local errors (largest Lyapunov exponent ~0.9) over the horizon.
        assert err < 300 * rtol, (method, rtol, err)


def test_dopri5_steps_like_scipy_rk45():
    # Same pair, same norm, same first-step heuristic: the step counts must be close.
    ours = solve(LORENZ, (0, 2), [1.0, 1.0, 1.0], method="dopri5", rtol=1e-6, atol=1e-9)
    theirs = solve_ivp(lorenz_np, (0, 2), [1.0, 1.0, 1.0], method="RK45", rtol=1e-6, atol=1e-9)
    assert abs(ours.nfev - theirs.nfev) <= 0.15 * theirs.nfev


@pytest.mark.parametrize("method,order", [("dopri5", 4), ("tsit5", 4), ("bs32", 3)])
def test_dense_output_order(method, order):
    # One step of size h accepted regardless of error: the interpolant at the step's middle
    # must be accurate to O(h^(order+1)) (local error of an order-`order` interpolant).
    sys_ = ODESystem(exp_sin, 1)
    errs = []
    hs = [0.4, 0.2, 0.1]
    for h in hs:
        sol = solve(sys_, (0.0, h), [1.0], method=method, t_eval=[0.37 * h], first_step=h,
                    rtol=1e-1, atol=1e-1)
        assert sol.naccepted == 1
        errs.append(abs(sol.y[0, 0] - math.exp(math.sin(0.37 * h))))
    observed = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert observed > order + 0.7, (observed, errs)


def test_tableaus_are_consistent():
    for tab in list(tableaus.ADAPTIVE.values()) + list(tableaus.FIXED.values()):
        np.testing.assert_allclose(tab.A.sum(axis=1), tab.C, atol=1e-14)
        assert abs(tab.B.sum() - 1) < 1e-14
        if tab.E is not None:
            # FSAL (the last main stage is f(t + h, y_new)), the interpolant ends on the
            # solution (extra dense-output stages carry no weight at theta = 1), and the
            # embedded weights sum to 1.
            S = tab.stages
            np.testing.assert_allclose(tab.A[S - 1, :S - 1], tab.B[:S - 1], atol=1e-14)
            assert tab.B[S - 1] == 0 and tab.C[S - 1] == 1
            b_ext = np.concatenate([tab.B, np.zeros(tab.n_extra)])
            np.testing.assert_allclose(tab.P.sum(axis=1), b_ext, atol=2e-13)
            assert abs(tab.E.sum()) < 1e-14


# ---------------------------------------------------------------- stiff
@pytest.mark.parametrize("method,scipy_name", [("radau", "Radau"), ("bdf", "BDF"),
                                               ("lsoda", "LSODA")])
def test_stiff_van_der_pol_matches_scipy(method, scipy_name):
    mu = 1000.0
    sys_ = ODESystem(vdp, 2, params=(mu,), jac=vdp_jac)
    te = np.linspace(0, 3000, 7)
    ours = solve(sys_, (0, 3000), [2.0, 0.0], method=method, t_eval=te, rtol=1e-6, atol=1e-9)
    jac_np = lambda t, y: [[0.0, 1.0], [-2 * mu * y[0] * y[1] - 1.0, mu * (1 - y[0] ** 2)]]
    theirs = solve_ivp(lambda t, y: [y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]], (0, 3000),
                       [2.0, 0.0], method=scipy_name, t_eval=te, rtol=1e-6, atol=1e-9,
                       jac=jac_np)
    assert ours.success, ours.message
    # Same algorithm fed the same function: (nearly) the same steps and the same answer; BDF's
    # Newton iteration counts react to last-bit differences in the compiled RHS, hence not exact.
    np.testing.assert_allclose(ours.y, theirs.y.T, rtol=1e-4, atol=1e-5)
    assert abs(ours.nfev - theirs.nfev) <= 0.1 * theirs.nfev
    ref = solve_ivp(lambda t, y: [y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]], (0, 3000),
                    [2.0, 0.0], method="Radau", t_eval=te, rtol=1e-10, atol=1e-12, jac=jac_np)
    assert abs(ours.y[-1, 0] - ref.y[0, -1]) < 1e-3


# ---------------------------------------------------------------- failure is reported
@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bs32", "euler", "rk4", "radau"])
def test_blowup_returns_partial_trajectory(method):
    kw = {"dt": 1e-3} if method in ("euler", "rk4") else {}
    sol = solve(ODESystem(blowup, 1), (0.0, 2.0), [1.0], method=method, **kw)
    assert not sol.success
    assert sol.status in (-2, -3, -4)
    assert "t = " in sol.message
    # y = 1/(1-t) blows up at t = 1 (a numerical solution lags by its global error, euler's
    # most): the run got close to it and kept what it computed
    assert 0.9 < sol.t[-1] < 1.05
    assert len(sol.t) > 10 and np.all(np.isfinite(sol.y))
    assert sol.y[-1, 0] > 10


def test_step_limit_returns_partial_trajectory():
    sol = solve(LORENZ, (0, 50), [1.0, 1.0, 1.0], max_steps=25)
    assert sol.status == -1 and not sol.success
    assert "25 steps" in sol.message
    assert sol.nsteps == 25 and len(sol.t) == sol.naccepted + 1
    assert 0 < sol.t[-1] < 50
    ref = solve_ivp(lorenz_np, (0, sol.t[-1]), [1, 1, 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol.y[-1], ref.y[:, -1], rtol=1e-3, atol=1e-3)


def test_non_finite_rhs_at_start():
    sol = solve(ODESystem(blowup, 1), (0.0, 1.0), [1e200], method="dopri5")
    assert sol.status == -3 and sol.t_final == 0.0 and len(sol.t) == 1


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,match", [
    (dict(method="rk45"), "unknown method 'rk45'.*dopri5.*tsit5"),
    (dict(t_span=(1.0, 0.0), t_eval=[0.0, 0.5]), "decreasing for t_span"),
    (dict(t_span=(1.0, 0.0), t_eval=[0.5, 1.5]), "within t_span"),
    (dict(t_span=(0.0, 0.0), first_step=2.0, t_eval=[0.0, 1.0]), "within t_span"),
    (dict(y0=[1.0, 2.0]), "y0 has length 2.*3 states"),
    (dict(y0=[1.0, np.nan, 0.0]), r"y0\[1\] is nan"),
    (dict(rtol=0.0), "rtol"),
    (dict(rtol=-1e-3), "rtol"),
    (dict(atol=-1.0), "atol"),
    (dict(atol=[1e-9, 1e-9]), "atol must be a number or a vector of length 3"),
    (dict(t_eval=[0.0, 0.8, 0.5]), "t_eval must be sorted"),
    (dict(t_eval=[0.0, np.nan]), r"t_eval\[1\] is nan"),
    (dict(t_eval=[0.0, 5.0]), "within t_span"),
    (dict(method="rk4"), "fixed-step: give dt"),
    (dict(method="rk4", dt=-0.1), "dt must be a positive"),
    (dict(max_steps=0), "max_steps"),
    (dict(method="tsit5", dt=0.1), "dt is the step of the fixed-step methods"),
])
def test_bad_input_names_the_culprit(kwargs, match):
    args = dict(t_span=(0.0, 1.0), y0=[1.0, 1.0, 1.0])
    args.update(kwargs)
    t_span, y0 = args.pop("t_span"), args.pop("y0")
    with pytest.raises(ValueError, match=match):
        solve(LORENZ, t_span, y0, **args)


def test_map_passed_to_solve_is_refused():
    with pytest.raises(TypeError, match="iterate"):
        solve(MapSystem(henon, 2, (1.4, 0.3)), (0, 1), [0.0, 0.0])


def test_uncompilable_kernel_says_so():
    def bad(t, y, p, dydt):
        dydt[0] = {"a": 1}["a"] + object()

    with pytest.raises(TypeError, match="could not be compiled by Numba"):
        solve(ODESystem(bad, 1), (0, 1), [0.0])


# ---------------------------------------------------------------- maps
def test_iterate_henon_matches_python_loop():
    sol = iterate(MapSystem(henon, 2, (1.4, 0.3)), [0.1, 0.1], 500, transient=10)
    x = np.array([0.1, 0.1])
    xs = []
    for k in range(510):
        x = np.array([1.0 - 1.4 * x[0] * x[0] + x[1], 0.3 * x[0]])  # same operation order
        xs.append(x)
    np.testing.assert_array_equal(sol.y[1:], np.array(xs[10:]))
    assert sol.t[0] == 10 and sol.t[-1] == 510 and sol.success


def test_iterate_divergence_is_reported():
    sol = iterate(MapSystem(square_map, 1, (2.0,)), [1.0], 100)
    assert sol.status == -3 and not sol.success
    assert np.all(np.isfinite(sol.y)) and len(sol.t) >= 8
    assert "iteration" in sol.message


def test_iterate_save_every():
    sol = iterate(MapSystem(henon, 2, (1.4, 0.3)), [0.1, 0.1], 100, save_every=10)
    full = iterate(MapSystem(henon, 2, (1.4, 0.3)), [0.1, 0.1], 100)
    np.testing.assert_array_equal(sol.y, full.y[::10])


# ---------------------------------------------------------------- compile once
def test_other_parameters_compile_nothing():
    A1, A2 = random_stable_matrix(3, 2), random_stable_matrix(5, 3)
    solve(ODESystem(linear, 3, (A1,)), (0, 1), np.ones(3))
    loop = solvers.compiled_loop(ODESystem(linear, 3, (A1,)), "dopri5")
    before = len(loop.signatures)
    solve(ODESystem(linear, 5, (A2,)), (0, 1), np.ones(5))
    solve(ODESystem(linear, 3, (A1,)), (0, 1), np.ones(3), params=(A2[:3, :3].copy(),),
          t_eval=[0.5, 1.0])
    assert len(loop.signatures) == before == 1


def test_new_process_loads_compiled_code_from_cache(tmp_path):
    kern = tmp_path / "mykernels.py"
    kern.write_text(textwrap.dedent('''
        def decay(t, y, p, dydt):
            for i in range(y.size):
                dydt[i] = -p[0] * y[i]
    '''))
    script = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import numpy as np, solvers
        from mykernels import decay
        system = solvers.ODESystem(decay, 2, (1.0,))
        s = solvers.solve(system, (0, 1), np.ones(2))
        assert abs(s.y[-1, 0] - np.exp(-1)) < 1e-6
        st = solvers.compiled_loop(system, "dopri5").stats
        print(sum(st.cache_hits.values()), sum(st.cache_misses.values()))
    ''')
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path / "nd"),
               NUMBA_CACHE_DIR=str(tmp_path / "nb"))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]
    assert runs[0] == ["0", "1"]   # first process compiles
    assert runs[1] == ["1", "0"]   # second one loads the machine code from disk


# ---------------------------------------------------------------- systems
def test_odesystem_validation():
    with pytest.raises(ValueError, match="n_states"):
        ODESystem(lorenz, 0)
    with pytest.raises(TypeError, match="params"):
        ODESystem(lorenz, 3, params=[object()])
    s = LORENZ.with_params((10.0, 28.0, 1.0))
    assert s.rhs is LORENZ.rhs and s.params[2] == 1.0


_HELPER = """
from numba.core.extending import register_jitable

@register_jitable
def rate():
    return {rate}
"""


def _results_after_editing_helper(tmp_path, module, helper_file):
    """y(1) of dy/dt = rate() in a fresh process, before and after ``helper_file`` changes
    ``rate()`` from 1 to 3; the caches persist between the two processes."""
    script = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import solvers
        from {module} import rate_rhs
        s = solvers.solve(solvers.ODESystem(rate_rhs, 1), (0, 1), [0.0], method="euler", dt=0.5)
        print(s.y[-1, 0])
    ''')
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path / "nd"),
               NUMBA_CACHE_DIR=str(tmp_path / "nb"))
    outs = []
    for rate in ("1.0", "3.0"):
        text = _HELPER.format(rate=rate)
        if helper_file.name == "helperkern.py":
            text += "\n\ndef rate_rhs(t, y, p, dydt):\n    dydt[0] = rate()\n"
        helper_file.write_text(text)
        outs.append(float(subprocess.run([sys.executable, "-c", script], env=env, text=True,
                                         capture_output=True, check=True).stdout))
    return outs


def test_edited_helper_is_not_served_from_a_stale_cache(tmp_path):
    # A kernel calling a helper of its module: editing only the helper must change the result
    # in the next process (Numba compiles the helper into the cached loop).
    assert _results_after_editing_helper(tmp_path, "helperkern",
                                         tmp_path / "helperkern.py") == [1.0, 3.0]


def test_edited_helper_in_another_file_is_not_served_from_a_stale_cache(tmp_path):
    # The helper lives in a sibling module of the kernel's package (as circuit kernels share a
    # source evaluator): editing only that file must still change the result in a new process.
    pkg = tmp_path / "hkpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "kern.py").write_text("from hkpkg.helpers import rate\n\n\n"
                                 "def rate_rhs(t, y, p, dydt):\n    dydt[0] = rate()\n")
    assert _results_after_editing_helper(tmp_path, "hkpkg.kern",
                                         pkg / "helpers.py") == [1.0, 3.0]


def test_fixed_step_run_cut_by_max_steps_stops_on_its_grid():
    # Regression: the last step allowed by max_steps used to stretch to t1 (h = 0.8 here),
    # reporting y at t = 1 from one giant step.
    def decay(t, y, p, dydt):
        dydt[0] = -y[0]

    s = solvers.ODESystem(decay, 1, ())
    sol = solvers.solve(s, (0.0, 1.0), [1.0], method="rk4", dt=0.1, max_steps=3)
    assert sol.status == -1 and "3 steps" in sol.message
    assert np.allclose(sol.t, [0.0, 0.1, 0.2, 0.3], rtol=0, atol=1e-15)
    assert abs(sol.t_final - 0.3) < 1e-15
    assert abs(sol.y_final[0] - np.exp(-0.3)) < 1e-6  # RK4's error at h = 0.1
    ens = solvers.solve_ensemble(s, (0.0, 1.0), [[1.0], [2.0]], method="rk4", dt=0.1,
                                 max_steps=3, save="final", backend="cpu")
    assert (ens.status == -1).all()
    assert np.array_equal(ens.y_final[0], sol.y_final) and np.allclose(ens.t_final, 0.3)
