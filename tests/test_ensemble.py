"""solve_ensemble / iterate_ensemble: every member is the single-trajectory run of that member.

Members are compared with `solve` (or `iterate`) of the same member bit for bit: both run the
same compiled loop with the same arguments, whatever the thread count and the order.
"""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from neurodyn import CTRNN
from solvers import (EnsembleSolution, InvalidTypeError, MapSystem, ODESystem,
                     compiled_loop, iterate, iterate_ensemble, solve, solve_ensemble)
from solvers.ensemble import _run_members


def decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def blowup(t, y, p, dydt):
    # y' = p y^2: y(t) = y0 / (1 - p y0 t) blows up at t = 1 / (p y0)
    dydt[0] = p[0] * y[0] * y[0]


def raises_above(t, y, p, dydt):
    if y[0] > p[0]:
        raise ValueError("state above the threshold")
    dydt[0] = 1.0


def lorenz(t, y, p, dydt):
    s, r, b = p
    dydt[0] = s * (y[1] - y[0])
    dydt[1] = y[0] * (r - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - b * y[2]


def henon(k, x, p, out):
    a, b = p
    out[0] = 1.0 - a * x[0] * x[0] + x[1]
    out[1] = b * x[0]


def logistic(k, x, p, out):
    out[0] = p[0] * x[0] * (1.0 - x[0])


@pytest.fixture(scope="module")
def net():
    rng = np.random.default_rng(0)
    return CTRNN(rng.normal(0, 5 / np.sqrt(6), (6, 6)), tau=rng.uniform(1, 5, 6),
                 bias=rng.normal(0, 1, 6), input=0.5)


@pytest.fixture(scope="module")
def Y0():
    return np.random.default_rng(1).normal(0.0, 1.0, size=(40, 6))


def assert_member_is_solve(ens, i, sol):
    m = ens[i]
    assert m.status == sol.status
    assert m.nfev == sol.nfev and m.naccepted == sol.naccepted
    assert m.nrejected == sol.nrejected
    np.testing.assert_array_equal(m.t, sol.t)
    np.testing.assert_array_equal(m.y, sol.y)
    np.testing.assert_array_equal(m.y_final, sol.y_final)
    assert m.t_final == sol.t_final
    assert m.message == sol.message


@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bs32"])
def test_initial_condition_members_equal_solve(net, Y0, method):
    te = np.linspace(0.0, 20.0, 41)
    ens = solve_ensemble(net, (0.0, 20.0), Y0, method=method, t_eval=te)
    assert isinstance(ens, EnsembleSolution) and len(ens) == 40
    assert ens.y.shape == (40, 41, 6) and ens.t.shape == (41,)
    assert ens.success.all()
    for i in (0, 7, 39):
        assert_member_is_solve(ens, i, solve(net, (0.0, 20.0), Y0[i], method=method, t_eval=te))
    # members really differ (not one trajectory copied)
    assert np.abs(ens.y[0, 5] - ens.y[1, 5]).max() > 1e-3


@pytest.mark.parametrize("method", ["euler", "heun", "rk4"])
def test_fixed_step_members_equal_solve_with_and_without_t_eval(net, Y0, method):
    ens = solve_ensemble(net, (0.0, 5.0), Y0[:5], method=method, dt=0.05)
    sol = solve(net, (0.0, 5.0), Y0[3], method=method, dt=0.05)
    np.testing.assert_array_equal(ens.t, sol.t)
    assert_member_is_solve(ens, 3, sol)
    te = np.linspace(0.0, 5.0, 7)
    ens = solve_ensemble(net, (0.0, 5.0), Y0[:5], method=method, dt=0.05, t_eval=te)
    assert_member_is_solve(ens, 4, solve(net, (0.0, 5.0), Y0[4], method=method, dt=0.05,
                                          t_eval=te))


@pytest.mark.parametrize("method", ["dopri5", "rk4"])
def test_save_final_keeps_the_last_state_of_solve(net, Y0, method):
    kw = {"dt": 0.1} if method == "rk4" else {}
    ens = solve_ensemble(net, (0.0, 10.0), Y0, method=method, save="final", **kw)
    assert ens.y is None and ens.y_final.shape == (40, 6)
    for i in (0, 21):
        sol = solve(net, (0.0, 10.0), Y0[i], method=method, **kw)
        np.testing.assert_array_equal(ens.y_final[i], sol.y_final)
        assert ens.nfev[i] == sol.nfev
        np.testing.assert_array_equal(ens[i].y, sol.y_final[None, :])


def test_parameter_ensemble_from_replaced_models(net):
    biases = np.linspace(-2.0, 2.0, 9)
    members = [net.replace(bias=np.full(6, b)) for b in biases]
    te = np.linspace(0.0, 15.0, 16)
    ens = solve_ensemble(members, (0.0, 15.0), np.zeros(6), t_eval=te)
    for k in (0, 4, 8):
        assert_member_is_solve(ens, k, solve(members[k], (0.0, 15.0), np.zeros(6), t_eval=te))
    # the raw form: a list of params tuples (ints taken for floats, lists for arrays), and
    # y0 per member
    ints = solve_ensemble(ODESystem(decay, 1, (1.0,)), (0.0, 1.0), [1.0],
                          params=[(1,), (np.float64(2.0),), (3.0,)], save="final")
    np.testing.assert_allclose(ints.y_final[:, 0], np.exp(-np.arange(1.0, 4.0)), rtol=1e-5)
    Y0 = np.tile(np.linspace(-1, 1, 6), (9, 1))
    raw = solve_ensemble(net, (0.0, 15.0), Y0, params=[m.params for m in members], t_eval=te)
    np.testing.assert_array_equal(raw.y[3], solve(members[3], (0.0, 15.0), Y0[3],
                                                   t_eval=te).y)


def test_exact_solutions_of_a_parameter_ensemble():
    ks = np.linspace(0.1, 3.0, 30)
    base = ODESystem(decay, 1, (1.0,))
    ens = solve_ensemble(base, (0.0, 2.0), [1.5], params=[(k,) for k in ks],
                         t_eval=[1.0, 2.0], rtol=1e-10, atol=1e-13)
    exact = 1.5 * np.exp(-np.outer(ks, [1.0, 2.0]))
    np.testing.assert_allclose(ens.y[:, :, 0], exact, rtol=2e-9)


def test_shared_params_are_not_copied_and_varying_ones_are_stacked(net):
    from solvers.ensemble import _stack
    members = [net.replace(bias=np.full(6, b)) for b in (0.0, 1.0, 2.0)]
    P, layout = _stack(members[0].params, [m.params for m in members])
    k_bias = 1  # (rate, theta, gain, act, ...): the bias is theta
    assert layout[k_bias] == "v" and P[k_bias].shape == (3, 6)
    assert layout[0] == "s" and P[0] is members[0].params[0]
    assert not P[k_bias].flags.writeable


def test_same_result_for_any_thread_count_and_member_order(net, Y0):
    te = np.linspace(0.0, 10.0, 11)
    one = solve_ensemble(net, (0.0, 10.0), Y0, t_eval=te, n_threads=1)
    two = solve_ensemble(net, (0.0, 10.0), Y0, t_eval=te, n_threads=2)
    np.testing.assert_array_equal(one.y, two.y)
    np.testing.assert_array_equal(one.nfev, two.nfev)
    perm = np.random.default_rng(3).permutation(len(Y0))
    shuffled = solve_ensemble(net, (0.0, 10.0), Y0[perm], t_eval=te, n_threads=2)
    np.testing.assert_array_equal(shuffled.y, one.y[perm])


def test_a_blowing_up_member_fails_alone_with_its_partial_trajectory():
    ps = [0.5, 1.0, 4.0, 0.25]  # y0 = 1: blow-up at t = 1/p, inside [0, 0.5] only for p = 4
    base = ODESystem(blowup, 1, (1.0,))
    te = np.linspace(0.0, 0.5, 11)
    ens = solve_ensemble(base, (0.0, 0.5), [1.0], params=[(p,) for p in ps], t_eval=te)
    assert list(ens.failed) == [2]
    assert ens.success[[0, 1, 3]].all()
    sol = solve(base, (0.0, 0.5), [1.0], params=(4.0,), t_eval=te)
    assert ens.status[2] == sol.status < 0
    assert_member_is_solve(ens, 2, sol)
    # partial trajectory up to the blow-up at t = 0.25: exact before it, NaN after
    m = ens[2]
    assert m.t[-1] <= 0.25 and abs(m.t_final - 0.25) < 1e-5
    before = m.t <= 0.2
    np.testing.assert_allclose(m.y[before, 0], 1.0 / (1.0 - 4.0 * m.t[before]), rtol=1e-5)
    assert np.isnan(ens.y[2, len(m.t):]).all()
    np.testing.assert_allclose(ens.y[0, :, 0], 1.0 / (1.0 - 0.5 * te), rtol=1e-5)


def test_a_raising_member_is_reported_and_the_others_finish():
    base = ODESystem(raises_above, 1, (10.0,))
    thresholds = [10.0, 0.5, 10.0, 10.0, 0.7]
    ens = solve_ensemble(base, (0.0, 1.0), [0.0], params=[(th,) for th in thresholds],
                         save="final", n_threads=2)
    assert list(ens.failed) == [1, 4]
    assert (ens.status[[1, 4]] == -6).all()
    assert isinstance(ens.exceptions[1], ValueError)
    assert "state above the threshold" in ens.message(1)
    assert ens[4].exception is ens.exceptions[4]
    np.testing.assert_allclose(ens.y_final[[0, 2, 3], 0], 1.0, rtol=1e-12)
    # the raising member kept its last accepted state, just below the threshold
    assert ens.y_final[1, 0] <= 0.5
    assert ens.t_final[1] == pytest.approx(ens.y_final[1, 0], rel=1e-12)
    sol = solve(base, (0.0, 1.0), [0.0], params=(0.5,))
    assert sol.status == -6 and sol.message == ens.message(1)
    np.testing.assert_array_equal(sol.y_final, ens.y_final[1])


def test_step_limit_per_member():
    base = ODESystem(lorenz, 3, (10.0, 28.0, 8.0 / 3.0))
    ens = solve_ensemble(base, (0.0, 50.0), [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]],
                         save="final", max_steps=200)
    # the origin is a fixed point: that member needs no resolution, the other runs out of steps
    assert ens.status[0] == -1 and ens.status[1] == 0
    assert ens.nsteps[0] == 200
    assert "Step limit" in ens.message(0)


def test_stiff_methods_run_member_by_member(net, Y0):
    te = np.linspace(0.0, 5.0, 6)
    ens = solve_ensemble(net, (0.0, 5.0), Y0[:4], method="radau", t_eval=te)
    sol = solve(net, (0.0, 5.0), Y0[2], method="radau", t_eval=te)
    np.testing.assert_array_equal(ens.y[2], sol.y)
    assert ens.status[2] == sol.status and ens.nfev[2] == sol.nfev


def test_one_compiled_loop_for_ten_thousand_parameter_sets():
    base = ODESystem(decay, 1, (1.0,))
    solve(base, (0.0, 1.0), [1.0])
    before = len(compiled_loop(base).signatures)
    small = solve_ensemble(base, (0.0, 1.0), [1.0], params=[(1.0 + k,) for k in range(3)],
                           save="final")
    from solvers._codegen import ensemble_loops_for
    mod = ensemble_loops_for("ode", decay, tableau=__import__("solvers").tableaus.get("dopri5"),
                             layout=("v",))
    n_ens = len(mod.ens_adaptive.signatures)
    big = solve_ensemble(base, (0.0, 1.0), [1.0],
                         params=[(k,) for k in np.linspace(0.1, 5.0, 10_000)], save="final")
    assert big.success.all() and small.success.all()
    assert len(compiled_loop(base).signatures) == before == 1
    assert len(mod.ens_adaptive.signatures) == n_ens == 1
    np.testing.assert_allclose(big.y_final[:, 0], np.exp(-np.linspace(0.1, 5.0, 10_000)),
                               rtol=1e-5)


def test_maps_members_equal_iterate():
    base = MapSystem(henon, 2, (1.4, 0.3))
    X0 = np.random.default_rng(2).uniform(-0.1, 0.1, (6, 2))
    ens = iterate_ensemble(base, X0, 50, transient=10, save_every=5)
    assert ens.y.shape == (6, 11, 2)
    sol = iterate(base, X0[4], 50, transient=10, save_every=5)
    np.testing.assert_array_equal(ens.t, sol.t)
    np.testing.assert_array_equal(ens.y[4], sol.y)
    assert ens.message(4) == sol.message
    rs = np.linspace(2.5, 3.9, 50)
    orbit = iterate_ensemble(MapSystem(logistic, 1, (3.0,)), [0.2], 64, transient=500,
                             params=[(r,) for r in rs], n_threads=2)
    one = iterate(MapSystem(logistic, 1, (3.0,)), [0.2], 64, transient=500, params=(rs[37],))
    np.testing.assert_array_equal(orbit.y[37], one.y)
    # r < 3: the fixed point 1 - 1/r
    np.testing.assert_allclose(orbit.y[rs < 2.95, -1, 0], 1 - 1 / rs[rs < 2.95], atol=1e-6)
    fin = iterate_ensemble(MapSystem(logistic, 1, (3.0,)), [0.2], 64, transient=500,
                           params=[(r,) for r in rs], save="final")
    np.testing.assert_array_equal(fin.y_final, orbit.y[:, -1])


def test_a_diverging_map_member_stops_alone():
    base = MapSystem(logistic, 1, (3.0,))
    ens = iterate_ensemble(base, [0.5], 100, params=[(2.0,), (-50.0,), (3.2,)])
    sol = iterate(base, [0.5], 100, params=(-50.0,))
    assert list(ens.failed) == [1] and ens.status[1] == sol.status == -3
    np.testing.assert_array_equal(ens[1].y, sol.y)


@pytest.mark.parametrize("call, exc, match", [
    (lambda net: solve_ensemble([net, CTRNN(np.zeros((6, 6)), activation="tanh"),
                                 ODESystem(decay, 1)], (0, 1), np.zeros(6), save="final"),
     ValueError, r"systems\[2\].*another kernel"),
    (lambda net: solve_ensemble([net, CTRNN(np.zeros((7, 7)))], (0, 1), np.zeros(6),
                                save="final"), ValueError, r"systems\[1\]"),
    (lambda net: solve_ensemble([ODESystem(decay, 1, (1.0,)), ODESystem(decay, 1, (2.0,)),
                                 ODESystem(decay, 1, (np.zeros(2),))], (0, 1), [1.0],
                                save="final"), ValueError, r"systems\[2\]\.params\[0\]"),
    (lambda net: solve_ensemble(ODESystem(decay, 1, (1.0,)), (0, 1), [1.0],
                                params=[(1.0,), (True,)], save="final"), ValueError,
     r"params\[1\]\[0\]"),
    (lambda net: solve_ensemble([], (0, 1), np.zeros(6)), ValueError, "empty"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((0, 6)), save="final"), ValueError,
     "empty"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros(6), save="final"), ValueError,
     r"\(B, 6\)"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((3, 5)), save="final"), ValueError,
     r"\(B, 6\)"),
    (lambda net: solve_ensemble([net, net], (0, 1), np.zeros((3, 6)), save="final"),
     ValueError, "3 rows but the ensemble has 2"),
    (lambda net: solve_ensemble(net, (0, 1), [[0.0] * 5 + [np.nan]], save="final"),
     ValueError, r"y0\[0, 5\]"),
    (lambda net: solve_ensemble(net, (0, 1), [[True] * 6], save="final"), InvalidTypeError,
     "y0"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((2, 6))), ValueError, "t_eval"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((2, 6)), save="last"), ValueError,
     "save"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((2, 6)), save="final", n_threads=0),
     ValueError, "n_threads"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((2, 6)), save="final", n_threads=1.5),
     InvalidTypeError, "n_threads"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((2, 6)), save="final",
                                backend="tpu"), ValueError, "backend"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros(6), params=[net.params, (1.0,)],
                                save="final"), ValueError, r"params\[1\]"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros(6), params=[], save="final"),
     ValueError, "empty"),
    (lambda net: solve_ensemble([net, net], (0, 1), np.zeros(6), params=[net.params] * 2),
     ValueError, "not both"),
    (lambda net: solve_ensemble(MapSystem(henon, 2, (1.4, 0.3)), (0, 1), np.zeros((2, 2))),
     TypeError, "iterate_ensemble"),
    (lambda net: iterate_ensemble(net, np.zeros((2, 6)), 3), TypeError, "solve_ensemble"),
    (lambda net: iterate_ensemble(MapSystem(henon, 2, (1.4, 0.3)), np.zeros((2, 2)), 2.5),
     InvalidTypeError, "n_steps"),
    (lambda net: solve_ensemble(net, (0, 1), np.zeros((2, 6)), save="final",
                                progress="yes"), InvalidTypeError, "progress"),
])
def test_bad_ensembles_are_refused_with_the_culprit_named(net, call, exc, match):
    with pytest.raises(exc, match=match):
        call(net)


def test_ensemble_of_a_large_output_is_refused_before_allocating(net):
    with pytest.raises(MemoryError, match="save='final'"):
        solve_ensemble(net, (0.0, 1.0), np.zeros((10**6, 6)), t_eval=np.linspace(0, 1, 10**5))


def test_run_members_honours_an_interrupt_between_chunks():
    # The driver itself: a flag raised mid-run stops handing out chunks; done members stay.
    # Python's own SIGINT handler first: another test of this process may have imported
    # brian2, whose handler raises KeyboardInterrupt wherever the signal lands (once inside a
    # gc callback, as an unraisable exception, in CI) instead of letting the driver install
    # its flag.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_between_chunks()
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_between_chunks():
    done = []

    def run(a, b, s):
        done.extend(range(a, b))
        if len(done) >= 5:
            os.kill(os.getpid(), signal.SIGINT)
        return {}

    errors, interrupted = _run_members(1000, 1, lambda: None, run, False, "test")
    assert interrupted and 5 <= len(done) < 1000 and not errors


def test_ctrl_c_returns_the_finished_members(tmp_path):
    script = tmp_path / "ens_sigint.py"
    script.write_text(textwrap.dedent("""
        import os, signal, sys, threading, time
        import numpy as np
        from solvers import ODESystem, Interrupted, solve_ensemble

        def lorenz(t, y, p, dydt):
            dydt[0] = 10.0 * (y[1] - y[0])
            dydt[1] = y[0] * (28.0 - y[2]) - y[1]
            dydt[2] = y[0] * y[1] - 8.0 / 3.0 * y[2]

        sys_ = ODESystem(lorenz, 3)
        Y0 = np.random.default_rng(0).normal(size=(4000, 3)) + 1.0
        solve_ensemble(sys_, (0.0, 1.0), Y0[:2], save="final")   # compile first
        print("ready", flush=True)
        try:
            solve_ensemble(sys_, (0.0, 400.0), Y0, save="final", n_threads=2,
                           max_steps=10**7)
            print("finished")
        except Interrupted as err:
            ens = err.solution
            done = ens.status == 0
            print("interrupted", int(done.sum()), int((ens.status == -7).sum()), flush=True)
    """))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.getcwd()] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout.readline().strip() == "ready"
    import time
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)  # guards against a hang only
    words = out.split()
    assert words[0] == "interrupted", out
    finished, not_run = int(words[1]), int(words[2])
    assert finished > 0 and not_run > 0 and finished + not_run == 4000


def test_progress_bar_counts_every_member(net, Y0, capsys):
    pytest.importorskip("tqdm")
    ens = solve_ensemble(net, (0.0, 2.0), Y0, save="final", progress=True, n_threads=2)
    assert ens.success.all()
    err = capsys.readouterr().err
    assert "40/40" in err


def test_progress_without_tqdm_names_the_extra(net, Y0, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kw):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    with pytest.raises(ImportError, match=r"neurodyn\[progress\]"):
        solve_ensemble(net, (0.0, 2.0), Y0, save="final", progress=True)
