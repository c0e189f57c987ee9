"""Faults are reported, and what was computed before them is kept.

A kernel that raises, a right-hand side that turns non-finite, a step that no longer advances
t, Ctrl-C in the middle of a compiled loop, an out-of-bounds kernel in debug mode, an output
that would not fit in memory: each ends the run with a status and a message naming what
happened and where, and the trajectory up to there is checked against the exact solution.
"""
import math
import re
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import solvers
from solvers import MapSystem, ODESystem, iterate, solve

ALL_METHODS = ["euler", "heun", "rk4", "bs32", "dopri5", "tsit5", "rodas5p", "radau5", "radau", "bdf",
               "lsoda"]
FIXED = {"euler", "heun", "rk4"}


def _kw(method):
    return dict(dt=1e-3) if method in FIXED else {}


def grow_then_raise(t, y, p, dydt):
    if t > 0.5:
        raise ValueError("the user's kernel gave up")
    dydt[0] = y[0]


def grow_then_nan(t, y, p, dydt):
    dydt[0] = y[0]
    if t > 0.5:
        dydt[0] = np.nan


def blow_up(t, y, p, dydt):
    dydt[0] = y[0] * y[0]


def raise_at_start(t, y, p, dydt):
    raise ZeroDivisionError("division by zero in the user's kernel")


def out_of_bounds(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = -y[7]  # a typo: the system has two states


def doubling_then_raise(k, x, p, x_next):
    if k >= 10:
        raise ValueError("the map gave up")
    x_next[0] = 2.0 * x[0]


def _exact_growth_prefix(sol, t_stop=0.5):
    """The rows kept are e^t (the exact solution of y' = y, y(0) = 1) up to ``t_stop``."""
    assert sol.t.size >= 2
    # Euler's last trusted state is one step past the last finite derivative
    assert sol.t[-1] <= t_stop + 1.001e-3
    assert np.all(np.isfinite(sol.y))
    err = np.abs(sol.y[:, 0] - np.exp(sol.t)) / np.exp(sol.t)
    assert err.max() < 1e-2


@pytest.mark.parametrize("method", ALL_METHODS)
def test_a_raising_kernel_returns_the_partial_trajectory_and_the_exception(method):
    sol = solve(ODESystem(grow_then_raise, 1), (0.0, 1.0), [1.0], method=method, **_kw(method))
    assert sol.status == -6 and not sol.success
    assert isinstance(sol.exception, ValueError)
    assert "the user's kernel gave up" in str(sol.exception)
    assert "grow_then_raise" in sol.message and "raised ValueError" in sol.message
    _exact_growth_prefix(sol)
    # t_final / y_final are the last state the run trusted, one step before the kernel raised
    # (rodas5p's steps here are ~0.14 long)
    assert 0.2 < sol.t_final <= 0.5 + 1.001e-3
    assert sol.y_final[0] == pytest.approx(math.exp(sol.t_final), rel=1e-2)


@pytest.mark.parametrize("method", ["dopri5", "rk4", "bdf"])
def test_a_kernel_raising_at_t0_keeps_the_initial_state(method):
    sol = solve(ODESystem(raise_at_start, 1), (0.0, 1.0), [3.0], method=method, **_kw(method))
    assert sol.status == -6
    assert isinstance(sol.exception, ZeroDivisionError)
    assert sol.t_final == 0.0 and sol.y_final[0] == 3.0
    assert sol.t.size <= 1 and (sol.t.size == 0 or sol.y[0, 0] == 3.0)


@pytest.mark.parametrize("method", ALL_METHODS)
def test_a_non_finite_right_hand_side_is_status_minus_3_with_its_time(method):
    sol = solve(ODESystem(grow_then_nan, 1), (0.0, 1.0), [1.0], method=method, **_kw(method))
    assert sol.status == -3, sol.message
    t_named = float(re.search(r"at t = ([0-9.e+-]+)", sol.message).group(1))
    if method in {"radau", "bdf", "lsoda"}:
        # SciPy's solvers probe ahead of the last accepted step; the message names where the
        # non-finite value came out and where the kept trajectory ends
        assert 0.5 < t_named <= 1.0 and f"up to t = {sol.t_final:.17g}" in sol.message
    else:
        assert abs(t_named - 0.5) <= 1.001e-3, sol.message
    _exact_growth_prefix(sol)


@pytest.mark.parametrize("method", ALL_METHODS)
def test_a_non_finite_rhs_with_t_eval_keeps_the_rows_before_it(method):
    te = np.linspace(0.0, 1.0, 21)
    sol = solve(ODESystem(grow_then_nan, 1), (0.0, 1.0), [1.0], method=method, t_eval=te,
                **_kw(method))
    assert sol.status == -3
    assert 2 <= sol.t.size <= 11  # rows at t <= 0.5 only
    np.testing.assert_array_equal(sol.t, te[:sol.t.size])
    np.testing.assert_allclose(sol.y[:, 0], np.exp(sol.t), rtol=1e-2)


@pytest.mark.parametrize("method", ["lsoda", "bdf", "radau", "dopri5"])
def test_a_blow_up_stops_promptly_and_never_reports_success(method):
    # y' = y^2, y(0) = 1 has y = 1 / (1 - t): it leaves every float before t = 1.
    sol = solve(ODESystem(blow_up, 1), (0.0, 2.0), [1.0], method=method)
    assert sol.status in (-2, -3), sol.message
    assert sol.t_final < 1.0 + 1e-6
    assert sol.nsteps < 20_000  # it stopped where t froze, not at the step limit
    ok = sol.t < 0.9
    np.testing.assert_allclose(sol.y[ok, 0], 1.0 / (1.0 - sol.t[ok]), rtol=1e-3)


def test_lsoda_with_a_step_too_small_to_advance_t_is_status_minus_2():
    sol = solve(ODESystem(blow_up, 1), (0.0, 1.0), [0.5], method="lsoda", max_step=1e-20)
    assert sol.status == -2, sol.message
    assert "max_step = 1e-20" in sol.message and "stop advancing t" in sol.message
    assert sol.nsteps < 100
    assert sol.t_final == 0.0 and sol.y_final[0] == 0.5


@pytest.mark.parametrize("method", ["dopri5", "bdf"])
def test_a_max_step_below_the_resolution_of_t_is_status_minus_2(method):
    sol = solve(ODESystem(blow_up, 1), (1e6, 1e6 + 1.0), [0.5], method=method, max_step=1e-12)
    assert sol.status == -2 and "max_step" in sol.message


def test_iterate_with_a_raising_map_keeps_the_iterates_before_it():
    sol = iterate(MapSystem(doubling_then_raise, 1), [1.0], 50)
    assert sol.status == -6 and isinstance(sol.exception, ValueError)
    assert "doubling_then_raise" in sol.message
    np.testing.assert_array_equal(sol.t, np.arange(11))
    np.testing.assert_array_equal(sol.y[:, 0], 2.0 ** np.arange(11))


def test_debug_mode_turns_an_out_of_bounds_kernel_into_a_clear_error():
    sol = solve(ODESystem(out_of_bounds, 2), (0.0, 1.0), [1.0, 1.0], debug=True)
    assert sol.status == -6
    assert isinstance(sol.exception, IndexError)
    assert "out_of_bounds" in sol.message
    assert "read or wrote outside an array" in sol.message
    assert sol.t_final == 0.0


def test_debug_mode_can_be_switched_on_by_the_environment(tmp_path):
    script = tmp_path / "oob.py"
    script.write_text(textwrap.dedent("""
        from solvers import ODESystem, solve
        def oob(t, y, p, dydt):
            dydt[0] = -y[3]
        sol = solve(ODESystem(oob, 1), (0.0, 1.0), [1.0])
        print(sol.status, type(sol.exception).__name__)
    """))
    env = dict(os.environ, NEURODYN_DEBUG="1")
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                         text=True, timeout=600, check=True).stdout
    assert out.split() == ["-6", "IndexError"]


def test_debug_must_be_a_bool():
    with pytest.raises(TypeError, match="debug must be True or False"):
        solve(ODESystem(blow_up, 1), (0.0, 0.1), [0.1], debug="yes")


def test_an_output_too_large_for_memory_is_refused_up_front_with_its_size():
    with pytest.raises(MemoryError, match=r"10000000001 x 4 float64 values = .*(GiB|TiB)"):
        solve(ODESystem(grow_then_nan, 3), (0.0, 1.0), [1.0, 1.0, 1.0], method="rk4",
              dt=1e-10)


def test_an_absurdly_small_dt_is_refused_with_the_number_of_steps():
    with pytest.raises(ValueError, match=r"dt = 1e-300 .* would take 1e\+300 steps"):
        solve(ODESystem(grow_then_nan, 1), (0.0, 1.0), [1.0], method="rk4", dt=1e-300)


def test_a_huge_step_count_with_t_eval_runs_in_constant_memory():
    # The same tiny dt is fine when only a few outputs are kept.
    sol = solve(ODESystem(blow_up, 1), (0.0, 0.1), [0.5], method="euler", dt=1e-7,
                t_eval=[0.05, 0.1])
    assert sol.success and sol.y.shape == (2, 1)
    np.testing.assert_allclose(sol.y[:, 0], 0.5 / (1 - 0.5 * np.array([0.05, 0.1])), rtol=1e-5)


# --- Ctrl-C ---------------------------------------------------------------------------------

_SIGINT_SCRIPT = """
import sys, time
import numpy as np
import solvers
from solvers import ODESystem, MapSystem, solve, iterate

def lorenz(t, y, p, dydt):
    dydt[0] = 10.0 * (y[1] - y[0])
    dydt[1] = y[0] * (28.0 - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - 8.0 / 3.0 * y[2]

def logistic(k, x, p, x_next):
    x_next[0] = 3.9 * x[0] * (1.0 - x[0])

kind = sys.argv[1]
y0 = [1.0, 1.0, 1.0]
if kind == "iterate":
    run = lambda n: iterate(MapSystem(logistic, 1), [0.3], n, save_every=1000)
    big = 10 ** 12
elif kind == "rk4":
    run = lambda T: solve(ODESystem(lorenz, 3), (0.0, T), y0, method="rk4", dt=1e-3,
                          t_eval=np.linspace(0.0, T, 1001))
    big = 1e9
else:
    run = lambda T: solve(ODESystem(lorenz, 3), (0.0, T), y0, method=kind, rtol=1e-10,
                          atol=1e-12, max_steps=10 ** 12, t_eval=np.linspace(0.0, T, 1001))
    big = 1e9
run(10)  # compile (or load from the cache) before the parent is told to interrupt
print("READY", flush=True)
try:
    run(big)
    print("NOT INTERRUPTED", flush=True)
except solvers.Interrupted as err:
    caught = time.time()
    sol = err.solution
    print("INTERRUPTED", repr(caught), sol.status, sol.t_final, sol.t.size,
          bool(np.isfinite(sol.y).all()), flush=True)
"""


@pytest.mark.parametrize("kind", ["dopri5", "rk4", "lsoda", "iterate"])
def test_sigint_mid_run_returns_promptly_with_the_partial_solution(tmp_path, kind):
    script = tmp_path / "long_run.py"
    script.write_text(_SIGINT_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), kind], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
        time.sleep(1.0)  # well inside the long run
        sent = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    fields = out.split()
    assert fields and fields[0] == "INTERRUPTED", out + err
    caught, status, t_final, rows, finite = float(fields[1]), int(fields[2]), \
        float(fields[3]), int(fields[4]), fields[5]
    assert caught - sent < 1.0  # the bar: the run ends within 1 s of Ctrl-C
    assert status == -7
    assert t_final > (0 if kind != "iterate" else 1000)
    assert rows >= 1 and finite == "True"


def test_interrupted_is_a_keyboard_interrupt_carrying_the_solution():
    assert issubclass(solvers.Interrupted, KeyboardInterrupt)
    sol = solvers.Solution(np.zeros(1), np.zeros((1, 1)), -7, "stopped")
    assert solvers.Interrupted(sol).solution is sol
