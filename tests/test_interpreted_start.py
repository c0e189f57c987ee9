"""The interpreted start (solvers._tiers): a loop not compiled yet runs as plain Python (same
source, compiled kernel) while Numba compiles it in the background.

It is only worth having if it changes nothing but the waiting: the interpreted twin must give
the compiled loop's numbers bit for bit (same process, same machine), for every method and
feature, faults included; a run must move on to compiled code mid-way without a trace; and a
cold process must leave the compiled loop in the on-disk cache for the next one.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import solvers
from benchmarks.kernels import lorenz, vdp_rhs
from solvers import MapSystem, ODESystem, _tiers, iterate, solve

LORENZ = ODESystem(lorenz, 3, (10.0, 28.0, 8.0 / 3.0))
Y0 = [1.0, 1.0, 1.0]


def z_up(t, y, p):
    return y[2] - 25.0


def x_zero(t, y, p):
    return y[0]


x_zero.direction = -1.0


def logistic(k, x, p, out):
    out[0] = p[0] * x[0] * (1.0 - x[0])


def blow_up(t, y, p, dydt):
    dydt[0] = y[0] * y[0]


def raises_late(t, y, p, dydt):
    if t > 0.6:
        raise ValueError("no data beyond t = 0.6")
    dydt[0] = -y[0]


def nan_late(t, y, p, dydt):
    dydt[0] = -y[0] if t < 0.7 else np.nan


def divides_late(t, y, p, dydt):
    dydt[0] = -y[0] + (1.0 / p[0] if t > 0.5 else 0.0)


def _twice(run):
    """(the run interpreted from start to end, the run compiled), and how many chunks ran
    interpreted in the first."""
    before = dict(_tiers.stats)
    with _tiers.interpreting_only():
        a = run()
    chunks = _tiers.stats["chunks"] - before["chunks"]
    redone = _tiers.stats["redone"] - before["redone"]
    enabled, _tiers.ENABLED = _tiers.ENABLED, False
    try:
        b = run()  # compiled (or loaded) before it runs, and run compiled
    finally:
        _tiers.ENABLED = enabled
    return a, b, chunks, redone


def _assert_same(a, b):
    assert a.status == b.status and a.message == b.message
    assert (a.nfev, a.nsteps, a.naccepted, a.nrejected) == (b.nfev, b.nsteps, b.naccepted,
                                                            b.nrejected)
    np.testing.assert_array_equal(a.t, b.t)  # one process: bit for bit
    np.testing.assert_array_equal(a.y, b.y)
    assert a.t_final == b.t_final
    np.testing.assert_array_equal(a.y_final, b.y_final)


# Every compiled method, so that each method's loop is compiled and run at least once in the
# suite, which otherwise compiles a loop only when a run waits for it (tests/conftest.py).
@pytest.mark.parametrize("method", ["dopri5", "tsit5", "bs32", "dop853", "vern7", "rodas5p",
                                    "rodas4", "radau5"])
def test_interpreted_adaptive_runs_equal_compiled_runs_bit_for_bit(method):
    def run():
        return solve(LORENZ, (0.0, 5.0), Y0, method=method, rtol=1e-8, atol=1e-10,
                     t_eval=np.linspace(0.0, 5.0, 101))

    a, b, chunks, redone = _twice(run)
    assert chunks >= 1 and redone == 0
    assert a.success and a.nsteps > 100
    _assert_same(a, b)


@pytest.mark.parametrize("method", ["euler", "heun", "rk4"])
def test_interpreted_fixed_step_runs_equal_compiled_runs_bit_for_bit(method):
    def run():
        return solve(LORENZ, (0.0, 2.0), Y0, method=method, dt=1e-3,
                     t_eval=np.linspace(0.0, 2.0, 41))

    a, b, chunks, redone = _twice(run)
    assert chunks >= 1 and redone == 0
    assert a.success and a.nsteps == 2000
    _assert_same(a, b)


# One method per loop template and per kind of dense output (dop853 and vern7 add stages
# for theirs): events, dense output and backward runs compiled and run in each.
@pytest.mark.parametrize("method", ["dopri5", "dop853", "vern7", "rodas5p", "radau5"])
def test_interpreted_events_dense_output_and_backward_runs_equal_compiled_runs(method):
    # Back from the state the forward run reaches at t = 3, to t = 1 only: backwards, Lorenz
    # expands volumes like e^(13.7 t), and a longer span would run into max_steps.
    y3 = solve(LORENZ, (0.0, 3.0), Y0, rtol=1e-12, atol=1e-12).y_final

    def run():
        return solve(LORENZ, (3.0, 1.0), y3, method=method, rtol=1e-9, atol=1e-11,
                     events=[z_up, x_zero, solvers.Event.plane([0.0, 1.0, 0.0], 2.0)],
                     dense_output=True)

    a, b, chunks, redone = _twice(run)
    assert chunks >= 1 and redone == 0
    assert a.success and a.status == 0
    _assert_same(a, b)
    assert sum(len(t) for t in a.t_events) >= 4
    for ta, tb, ya, yb in zip(a.t_events, b.t_events, a.y_events, b.y_events):
        np.testing.assert_array_equal(ta, tb)
        np.testing.assert_array_equal(ya, yb)
    t = np.linspace(3.0, 1.0, 777)
    np.testing.assert_array_equal(a.sol(t), b.sol(t))


def test_interpreted_terminal_event_with_fixed_steps_equals_compiled():
    stop = solvers.Event(z_up, terminal=2, direction=1.0)

    def run():
        return solve(LORENZ, (0.0, 10.0), Y0, method="rk4", dt=1e-3, events=stop,
                     t_eval=np.linspace(0.0, 10.0, 51))

    a, b, chunks, redone = _twice(run)
    assert chunks >= 1 and redone == 0
    assert a.status == 1 and len(a.t_events[0]) == 2
    _assert_same(a, b)
    np.testing.assert_array_equal(a.t_events[0], b.t_events[0])


def test_interpreted_iteration_of_a_map_equals_compiled():
    def run():
        return iterate(MapSystem(logistic, 1, (3.9,)), [0.2], 5000, transient=100,
                       save_every=7)

    a, b, chunks, redone = _twice(run)
    assert chunks >= 1 and redone == 0
    _assert_same(a, b)


@pytest.mark.parametrize("kernel, params, t1, redone", [
    (raises_late, (), 1.0, 1),     # the kernel raises (ValueError): redone compiled
    (divides_late, (0.0,), 1.0, 1),  # ZeroDivisionError in the compiled kernel: redone
    (nan_late, (), 1.0, None),     # NaN from the kernel: quiet NaNs raise nothing in Python
    (blow_up, (), 2.0, None),      # y' = y^2 from 1 blows up at t = 1
])
def test_a_fault_met_while_interpreting_is_reported_as_compiled_code_reports_it(
        kernel, params, t1, redone):
    def run():
        return solve(ODESystem(kernel, 1, params), (0.0, t1), [1.0], method="dopri5",
                     t_eval=np.linspace(0.0, t1, 11))

    a, b, chunks, n_redone = _twice(run)
    if redone is not None:
        assert n_redone == redone  # the interpreter's run was dropped, redone compiled
    assert a.status < 0 and not a.success and a.t_final < t1
    _assert_same(a, b)
    assert type(a.exception) is type(b.exception)


_COLD = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import solvers
    from solvers import _tiers
    sys.path.insert(0, {root!r})
    from benchmarks.kernels import lorenz
    system = solvers.ODESystem(lorenz, 3, (10.0, 28.0, 8.0 / 3.0))
    args = dict(method="tsit5", rtol=1e-10, atol=1e-12, t_eval=np.linspace(0.0, 60.0, 601))
    t0 = time.perf_counter()
    first = solvers.solve(system, (0.0, 60.0), [1.0, 1.0, 1.0], **args)
    first_s = time.perf_counter() - t0
    stats = dict(_tiers.stats)
    loop = solvers.compiled_loop(system, "tsit5")   # waits for the background compiler
    again = solvers.solve(system, (0.0, 60.0), [1.0, 1.0, 1.0], **args)
    print(json.dumps(dict(stats=stats, same=bool(np.array_equal(first.y, again.y)
                                                 and first.nfev == again.nfev),
                          success=bool(first.success), nsteps=int(first.nsteps),
                          signatures=len(loop.signatures),
                          hits=sum(loop.stats.cache_hits.values()))))
""")


def _fresh_process_env(tmp_path, **env):
    """The environment of a script run in a fresh process with empty caches under tmp_path,
    in the default compile mode unless ``env`` names another (tests/conftest.py runs the
    suite on demand)."""
    return dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"),
                NEURODYN_CACHE_DIR=str(tmp_path / "nd"),
                **{"NEURODYN_BACKGROUND_COMPILE": "1", **env})


def _cold_run(tmp_path, source=_COLD, **env):
    from benchmarks.common import ROOT
    script = tmp_path / "cold.py"
    script.write_text(source.format(root=str(ROOT)))
    out = subprocess.run([sys.executable, str(script)], env=_fresh_process_env(tmp_path, **env),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_cold_process_starts_interpreted_switches_mid_run_and_leaves_the_cache_warm(
        tmp_path):
    cold = _cold_run(tmp_path)
    # Lorenz to t = 60 at rtol 1e-10 is tens of thousands of steps: far more than the
    # interpreter does before the compiled loop is ready, so the run switched mid-way.
    assert cold["stats"]["runs"] == 1 and cold["stats"]["chunks"] >= 1
    assert cold["stats"]["switches"] == 1 and cold["stats"]["redone"] == 0
    assert cold["success"] and cold["nsteps"] > 10_000
    assert cold["same"]  # begun interpreted, ended compiled: the all-compiled numbers
    assert cold["signatures"] == 1
    warm = _cold_run(tmp_path)  # same caches: the loop is on disk, nothing is interpreted
    assert warm["stats"]["runs"] == 0 and warm["same"] and warm["hits"] >= 1


def test_background_compilation_can_be_switched_off(tmp_path):
    off = _cold_run(tmp_path, NEURODYN_BACKGROUND_COMPILE="0")
    assert off["stats"] == {"runs": 0, "chunks": 0, "switches": 0, "redone": 0}
    assert off["same"] and off["signatures"] == 1


_ON_DEMAND = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import solvers
    from solvers import _codegen, _tiers, tableaus
    sys.path.insert(0, {root!r})
    from benchmarks.kernels import lorenz
    system = solvers.ODESystem(lorenz, 3, (10.0, 28.0, 8.0 / 3.0))
    short = solvers.solve(system, (0.0, 0.5), [1.0, 1.0, 1.0], method="tsit5")
    time.sleep(1.0)  # by default the compiler thread would be compiling this loop by now
    mod = _codegen.loops_for("ode", system.rhs, tableau=tableaus.get("tsit5"))
    before = len(mod.rk_adaptive.signatures)
    pending = [job.started for job in _tiers._compiler.pending()]
    stats = dict(_tiers.stats)
    args = dict(method="tsit5", rtol=1e-10, atol=1e-12, t_eval=np.linspace(0.0, 60.0, 601))
    long = solvers.solve(system, (0.0, 60.0), [1.0, 1.0, 1.0], **args)
    after = len(mod.rk_adaptive.signatures)
    again = solvers.solve(system, (0.0, 60.0), [1.0, 1.0, 1.0], **args)
    print(json.dumps(dict(on_demand=_tiers.ON_DEMAND, before=before, pending=pending,
                          after=after, short_ok=bool(short.success), stats=stats,
                          long_stats=dict(_tiers.stats),
                          same=bool(np.array_equal(long.y, again.y)))))
""")


def test_on_demand_compiles_only_the_loops_a_run_waits_for(tmp_path):
    out = _cold_run(tmp_path, _ON_DEMAND, NEURODYN_BACKGROUND_COMPILE="demand")
    assert out["on_demand"] and out["short_ok"]
    # the short run finished interpreted and its loop was left uncompiled, though queued
    assert out["stats"]["runs"] == 1 and out["stats"]["switches"] == 0
    assert out["before"] == 0 and out["pending"] == [False]
    # the long run interpreted past the budget, waited for the compiler and went on compiled
    assert out["long_stats"]["runs"] == 2 and out["long_stats"]["switches"] == 1
    assert out["after"] == 1 and out["same"]


_FORK = textwrap.dedent("""
    import multiprocessing, sys
    import numpy as np
    import solvers
    from solvers import _tiers
    sys.path.insert(0, {root!r})
    from benchmarks.kernels import lorenz, vdp_rhs

    def child(q):
        # a kernel of its own, compiled in the child: Numba's compiler lock must be free here
        sol = solvers.solve(solvers.ODESystem(vdp_rhs, 2, (1.0,)), (0.0, 1.0), [2.0, 0.0])
        q.put((bool(sol.success), float(sol.y[-1, 0])))

    first = solvers.solve(solvers.ODESystem(lorenz, 3, (10.0, 28.0, 8.0 / 3.0)), (0.0, 1.0),
                          [1.0, 1.0, 1.0])
    assert _tiers.stats["runs"] == 1  # started interpreted: the loop compiles in the background
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,), daemon=True)  # a hung child must not hang us
    p.start()                          # while the compiler thread is (or was just) busy
    ok, y = q.get(timeout=300)
    p.join(60)
    print(ok, repr(y), p.exitcode)
""")


def test_a_fork_while_compiling_in_the_background_leaves_a_child_that_can_compile(tmp_path):
    from benchmarks.common import ROOT
    script = tmp_path / "fork.py"
    script.write_text(_FORK.format(root=str(ROOT)))
    out = subprocess.run([sys.executable, str(script)], env=_fresh_process_env(tmp_path),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    ok, y, code = out.stdout.split()
    ref = solve(ODESystem(vdp_rhs, 2, (1.0,)), (0.0, 1.0), [2.0, 0.0])
    assert ok == "True" and code == "0" and float(y) == ref.y[-1, 0]
