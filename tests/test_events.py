"""Events with solve_ivp's meaning: crossings located on the step's interpolant, terminal runs
(a count, as SciPy >= 1.11), directions, several events at once, ensembles, SciPy's own tests.

An event is a plain kernel ``g(t, y, p) -> float`` (compiled like the right-hand side; ``p`` is
the system's params tuple), with optional attributes ``terminal`` / ``direction``, or wrapped in
``solvers.Event(g, terminal=..., direction=...)``. A crossing is a sign change of g between two
consecutive steps (SciPy's rule: g_old <= 0 <= g_new counts as rising, g_old >= 0 >= g_new as
falling); ``direction = +1`` keeps only the rising ones, ``-1`` only the falling ones, where
rising/falling is along the run (a backward run included). The expected numbers below are closed
forms (checked against ``scipy.integrate.solve_ivp`` when this file was written) or SciPy's own.

Kernels are module-level (Numba caches compiled code per function) and shared between tests so
that each (system, events, method) combination is compiled once.
"""
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from solvers import Event, ODESystem, solve, solve_ensemble

EXPLICIT = ["dopri5", "tsit5", "bs32", "dop853", "vern7"]
STIFF = ["rodas5p", "radau5", "radau", "bdf", "lsoda"]


# ---------------------------------------------------------------- kernels
def fall(t, y, p, dydt):
    # y' = -1: y = y0 - t
    dydt[0] = -1.0


def height(t, y, p):
    return y[0]


def harmonic(t, y, p, dydt):
    # y1'' = -y1: from (sin t0, cos t0), y1 = sin t
    dydt[0] = y[1]
    dydt[1] = -y[0]


def first(t, y, p):
    return y[0]


def past_time(t, y, p):
    # crosses zero (rising) at t = p[0]: the event reads the system's params
    return t - p[0]


def never(t, y, p):
    # |y1| <= 1 on the harmonic orbits used here: never crosses
    return 2.0 + y[0]


def ball(t, y, p, dydt):
    # height'' = -g
    dydt[0] = y[1]
    dydt[1] = -p[0]


def hit_ground(t, y, p):
    return y[0]


# the attribute form, exactly as with SciPy
hit_ground.terminal = True
hit_ground.direction = -1


def rational(t, y, p, dydt):
    # SciPy's fun_rational; exact solution sol_rational below
    dydt[0] = y[1] / t
    dydt[1] = y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0))


def event_rational_1(t, y, p):
    return y[0] - y[1] ** 0.7


def event_rational_2(t, y, p):
    return y[1] ** 0.6 - y[0]


def event_rational_3(t, y, p):
    return t - 7.4


# kernels that are wrong, for the bad-input tests (plain_event gets bad attributes there)
def plain_event(t, y, p):
    return y[0]


def tuple_event(t, y, p):
    return (y[0], 1.0)


def uncompilable_event(t, y, p):
    return {"a": 1}["a"] + object()


def two_argument_event(t, y):
    return y[0]


FALL = ODESystem(fall, 1)
SIN = ODESystem(harmonic, 2, (7.0,))
BALL = ODESystem(ball, 2, (9.81,))
RATIONAL = ODESystem(rational, 2)

T0_SIN = 0.5  # start past sin's zero at 0 (a zero exactly at t0 is a separate test below)
Y0_SIN = [math.sin(T0_SIN), math.cos(T0_SIN)]
TIGHT = dict(rtol=1e-10, atol=1e-12)


def method_options(method):
    """Options that make each method accurate to ~1e-9 on the harmonic problem."""
    if method == "rk4":
        return dict(dt=1e-2)
    return dict(TIGHT)


# ---------------------------------------------------------------- 1. y' = -1
def test_linear_descent_crosses_zero_at_one():
    sol = solve(FALL, (0.0, 2.0), [1.0], events=height)
    assert sol.status == 0 and sol.success
    assert isinstance(sol.t_events, list) and len(sol.t_events) == 1
    assert len(sol.y_events) == 1
    assert sol.t_events[0].shape == (1,)
    assert abs(sol.t_events[0][0] - 1.0) < 1e-12
    assert sol.y_events[0].shape == (1, 1)
    assert abs(sol.y_events[0][0, 0]) < 1e-12
    # non-terminal: the run goes on to t1
    assert sol.t[-1] == 2.0 and sol.t_final == 2.0
    assert abs(sol.y[-1, 0] + 1.0) < 1e-12


def test_terminal_event_ends_the_run_at_the_crossing():
    sol = solve(FALL, (0.0, 2.0), [1.0], events=Event(height, terminal=True))
    assert sol.status == 1          # SciPy's code for "a termination event occurred"
    assert sol.success              # success means status >= 0
    assert "event" in sol.message.lower()
    assert abs(sol.t_final - 1.0) < 1e-12
    assert abs(sol.y_final[0]) < 1e-12
    # without t_eval the last output row is the event (as SciPy)
    assert sol.t[-1] == sol.t_final
    np.testing.assert_array_equal(sol.y[-1], sol.y_final)
    assert sol.t_events[0].shape == (1,) and sol.t_events[0][0] == sol.t_final
    np.testing.assert_array_equal(sol.y_events[0][0], sol.y_final)


def test_terminal_event_with_t_eval_keeps_the_points_before_it():
    te = np.linspace(0.0, 2.0, 8)  # 0, 2/7, 4/7, 6/7 before the event at 1; none equal to 1
    sol = solve(FALL, (0.0, 2.0), [1.0], t_eval=te, events=Event(height, terminal=True))
    assert sol.status == 1 and sol.success
    np.testing.assert_array_equal(sol.t, te[:4])
    assert sol.y.shape == (4, 1)
    np.testing.assert_allclose(sol.y[:, 0], 1.0 - te[:4], rtol=0, atol=1e-12)
    assert abs(sol.t_final - 1.0) < 1e-12
    # SciPy's test_t_eval_early_event: every t_eval point after the event -> no output rows
    late = solve(FALL, (0.0, 2.0), [1.0], t_eval=[1.5, 2.0], events=Event(height, terminal=True))
    assert late.status == 1 and late.success
    assert late.t.shape == (0,) and late.y.shape == (0, 1)
    assert abs(late.t_events[0][0] - 1.0) < 1e-12


# ---------------------------------------------------------------- 2. sin t, directions
@pytest.mark.parametrize("method", EXPLICIT + ["rk4"] + STIFF)
def test_sine_zero_crossings_and_directions(method):
    kw = method_options(method)
    k_pi = np.pi * np.arange(1, 4)
    sol = solve(SIN, (T0_SIN, 10.0), Y0_SIN, method=method, events=[first], **kw)
    assert sol.status == 0 and sol.success, sol.message
    np.testing.assert_allclose(sol.t_events[0], k_pi, rtol=0, atol=1e-8)
    ye = sol.y_events[0]
    assert ye.shape == (3, 2)
    np.testing.assert_allclose(ye[:, 0], 0.0, atol=1e-10)
    np.testing.assert_allclose(ye[:, 1], [-1.0, 1.0, -1.0], atol=1e-8)

    up = solve(SIN, (T0_SIN, 10.0), Y0_SIN, method=method, events=[Event(first, direction=1)],
               **kw)
    np.testing.assert_allclose(up.t_events[0], [2 * np.pi], rtol=0, atol=1e-8)
    assert up.y_events[0].shape == (1, 2)
    down = solve(SIN, (T0_SIN, 10.0), Y0_SIN, method=method,
                 events=[Event(first, direction=-1)], **kw)
    np.testing.assert_allclose(down.t_events[0], [np.pi, 3 * np.pi], rtol=0, atol=1e-8)
    np.testing.assert_allclose(down.y_events[0][:, 1], [-1.0, -1.0], atol=1e-8)
    # events do not change the trajectory
    np.testing.assert_array_equal(up.y, sol.y)


# ---------------------------------------------------------------- 3. terminal count
@pytest.mark.parametrize("form", ["Event", "attribute"])
def test_terminal_count_stops_at_the_second_crossing(form, monkeypatch):
    if form == "Event":
        ev = Event(first, terminal=2)
    else:
        monkeypatch.setattr(first, "terminal", 2, raising=False)
        ev = first
    sol = solve(SIN, (T0_SIN, 10.0), Y0_SIN, events=[ev], **TIGHT)
    assert sol.status == 1 and sol.success
    assert sol.t_events[0].shape == (2,)
    np.testing.assert_allclose(sol.t_events[0], [np.pi, 2 * np.pi], rtol=0, atol=1e-8)
    assert abs(sol.t_final - 2 * np.pi) < 1e-8
    assert sol.t[-1] == sol.t_final
    assert abs(sol.y_final[0]) < 1e-10


# ---------------------------------------------------------------- 4. bouncing ball
def test_bouncing_ball_impacts_match_the_closed_form():
    g, restitution, n_impacts = 9.81, 0.9, 6   # the drop, then 5 bounces
    t_drop = math.sqrt(2 * 10.0 / g)
    v_impact = g * t_drop
    exact_t = [t_drop]
    exact_v = [v_impact]
    for k in range(1, n_impacts):
        v_k = restitution ** k * v_impact
        exact_t.append(exact_t[-1] + 2 * v_k / g)
        exact_v.append(v_k)

    t0, state = 0.0, np.array([10.0, 0.0])
    impacts, speeds = [], []
    for k in range(n_impacts):
        # Each run restarts from the event state, where g = height is ~0 (|h| ~ 1e-15, either
        # sign). SciPy's active-event rule needs g_old >= 0 >= g_new for a falling crossing; the
        # ball moves up, so g rises and the direction -1 event must NOT fire again at t0: the
        # only event of each run is the next impact.
        sol = solve(BALL, (t0, t0 + 10.0), state, events=hit_ground, **TIGHT)
        assert sol.status == 1 and sol.success, sol.message
        assert sol.t_events[0].shape == (1,), (k, sol.t_events)
        assert sol.t_events[0][0] > t0 + 0.1
        assert sol.t_final == sol.t_events[0][0] == sol.t[-1]
        np.testing.assert_array_equal(sol.y_events[0][0], sol.y_final)
        assert abs(sol.y_final[0]) < 1e-9
        impacts.append(sol.t_final)
        speeds.append(-sol.y_final[1])
        t0 = sol.t_final
        state = np.array([sol.y_final[0], -restitution * sol.y_final[1]])
    np.testing.assert_allclose(impacts, exact_t, rtol=0, atol=1e-9)
    np.testing.assert_allclose(speeds, exact_v, rtol=1e-9)


@pytest.mark.parametrize("direction,expected", [
    (-1, [2 * 5.0 / 9.81]),       # moving away from the falling crossing: only the landing
    (0, [0.0, 2 * 5.0 / 9.81]),   # g_old = 0 <= g_new: SciPy reports the start as a crossing
    (1, [0.0]),
])
def test_zero_at_start_follows_scipys_active_event_rule(direction, expected):
    # Launched upwards from height exactly 0: g(t0) = 0. solve_ivp's rule (rising: g_old <= 0
    # and g_new >= 0) counts the start as a rising crossing, located at t0; a falling-only
    # event does not fire there. Checked against solve_ivp(..., events=h) with h.direction set.
    sol = solve(BALL, (0.0, 1.5), [0.0, 5.0], events=[Event(height, direction=direction)],
                **TIGHT)
    assert sol.status == 0
    np.testing.assert_allclose(sol.t_events[0], expected, rtol=0, atol=1e-12)

    def h(t, y):
        return y[0]

    h.direction = direction
    ref = solve_ivp(lambda t, y: [y[1], -9.81], (0.0, 1.5), [0.0, 5.0], events=h, **TIGHT)
    np.testing.assert_allclose(sol.t_events[0], ref.t_events[0], rtol=0, atol=1e-9)


# ---------------------------------------------------------------- 5. ensembles
def _phases():
    amp = 0.5 + 0.1 * np.arange(8)
    phi = 0.3 + 0.35 * np.arange(8)  # y1 = A sin(t + phi): zeros at k pi - phi, none at t = 0
    return amp, phi, np.column_stack([amp * np.sin(phi), amp * np.cos(phi)])


def test_ensemble_members_events_equal_solve():
    amp, phi, Y0 = _phases()
    te = np.linspace(0.0, 10.0, 21)
    ens = solve_ensemble(SIN, (0.0, 10.0), Y0, events=[first], t_eval=te, **TIGHT)
    assert ens.success.all()
    for i in range(8):
        member = ens[i]
        sol = solve(SIN, (0.0, 10.0), Y0[i], events=[first], t_eval=te, **TIGHT)
        assert len(member.t_events) == 1
        assert member.t_events[0].shape == sol.t_events[0].shape
        np.testing.assert_allclose(member.t_events[0], sol.t_events[0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(member.y_events[0], sol.y_events[0], rtol=0, atol=1e-12)
        k = np.arange(1, 5)
        exact = k * np.pi - phi[i]
        exact = exact[(exact > 0) & (exact <= 10.0)]
        np.testing.assert_allclose(member.t_events[0], exact, rtol=0, atol=1e-8)
        np.testing.assert_allclose(member.y_events[0][:, 0], 0.0, atol=1e-10)
    # members really differ
    assert ens[0].t_events[0][0] != ens[1].t_events[0][0]


def test_ensemble_terminal_events_stop_each_member_like_solve():
    amp, phi, Y0 = _phases()
    te = np.linspace(0.0, 10.0, 21)
    ev = Event(first, terminal=True)
    ens = solve_ensemble(SIN, (0.0, 10.0), Y0, events=[ev], t_eval=te, **TIGHT)
    for i in range(8):
        member = ens[i]
        sol = solve(SIN, (0.0, 10.0), Y0[i], events=[ev], t_eval=te, **TIGHT)
        assert member.status == sol.status == 1
        assert abs(member.t_final - (np.pi - phi[i])) < 1e-8
        assert member.t_final == sol.t_final
        np.testing.assert_array_equal(member.t, sol.t)
        np.testing.assert_array_equal(member.y, sol.y)
        np.testing.assert_allclose(member.t_events[0], sol.t_events[0], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- 6. several events
def test_terminal_and_non_terminal_events_together():
    # sin t crosses zero at pi, 2pi, 3pi; the terminal time event fires at p[0] = 7
    sol = solve(SIN, (T0_SIN, 10.0), Y0_SIN, events=[first, Event(past_time, terminal=True)],
                **TIGHT)
    assert sol.status == 1 and sol.success
    assert len(sol.t_events) == 2 and len(sol.y_events) == 2
    np.testing.assert_allclose(sol.t_events[0], [np.pi, 2 * np.pi], rtol=0, atol=1e-8)
    np.testing.assert_allclose(sol.t_events[1], [7.0], rtol=0, atol=1e-12)
    assert sol.y_events[0].shape == (2, 2) and sol.y_events[1].shape == (1, 2)
    assert abs(sol.t_final - 7.0) < 1e-12 and sol.t[-1] == sol.t_final
    np.testing.assert_allclose(sol.y_final, [math.sin(7.0), math.cos(7.0)], atol=1e-8)


@pytest.mark.parametrize("offset,zeros", [(1e-3, [np.pi]), (-1e-3, [])])
def test_terminal_event_in_the_same_step_as_another_crossing(offset, zeros):
    # The terminal time is 1e-3 after (or before) the crossing at pi, so both fall inside one
    # step: the crossing before the terminal event is kept, the one after it is not.
    system = SIN.with_params((np.pi + offset,))
    sol = solve(system, (T0_SIN, 10.0), Y0_SIN, events=[first, Event(past_time, terminal=True)],
                **TIGHT)
    assert sol.status == 1
    assert abs(sol.t_final - (np.pi + offset)) < 1e-12
    np.testing.assert_allclose(sol.t_events[0], zeros, rtol=0, atol=1e-8)
    assert sol.t_events[0].shape == (len(zeros),)
    assert sol.y_events[0].shape == (len(zeros), 2)
    np.testing.assert_allclose(sol.t_events[1], [np.pi + offset], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- 7. SciPy's test_events
def sol_rational(t):
    return np.asarray((t / (t + 10), 10 * t / (t + 10) ** 2))


def compute_error(y, y_true, rtol, atol):
    e = (y - y_true) / (atol + rtol * np.abs(y_true))
    return np.linalg.norm(e, axis=0) / np.sqrt(e.shape[0])


def _exact_roots():
    r1 = brentq(lambda t: event_rational_1(t, sol_rational(t), ()), 5.0, 6.5, xtol=1e-15)
    r2 = brentq(lambda t: event_rational_2(t, sol_rational(t), ()), 6.5, 8.0, xtol=1e-15)
    return r1, r2   # 5.550575766240779, 7.548776662466929


SCIPY_DEFAULTS = dict(rtol=1e-3, atol=1e-6)  # solve_ivp's defaults, which SciPy's test uses
SCIPY_TWIN = {"dopri5": "RK45", "dop853": "DOP853", "vern7": "DOP853", "radau": "Radau",
              "rodas5p": "Radau", "radau5": "Radau",
              "bdf": "BDF", "lsoda": "LSODA"}
PORT_METHODS = ["dopri5", "dop853", "vern7"] + STIFF
# The compiled stiff methods' events are checked by the tests above and by test_radau5.py;
# here each new (kernel, events) pair would compile a stiff loop of its own (10-50 s cold).
PORT_METHODS_NO_COMPILED_STIFF = [m for m in PORT_METHODS if m not in ("rodas5p", "radau5")]


@pytest.mark.parametrize("method", PORT_METHODS)
def test_scipy_events_forward(method):
    y0 = [1 / 3, 2 / 9]
    run = lambda events, **kw: solve(RATIONAL, (5.0, 8.0), y0, method=method, events=events,
                                     **SCIPY_DEFAULTS, **kw)
    e1, e2, e3 = event_rational_1, event_rational_2, event_rational_3

    res = run([e1, e2])
    assert res.status == 0
    assert res.t_events[0].size == 1 and res.t_events[1].size == 1
    assert 5.3 < res.t_events[0][0] < 5.7
    assert 7.3 < res.t_events[1][0] < 7.7
    assert res.y_events[0].shape == (1, 2) and res.y_events[1].shape == (1, 2)
    assert np.isclose(e1(res.t_events[0][0], res.y_events[0][0], ()), 0)
    assert np.isclose(e2(res.t_events[1][0], res.y_events[1][0], ()), 0)

    res = run([Event(e1, direction=1), Event(e2, direction=1)])
    assert res.status == 0
    assert res.t_events[0].size == 1 and res.t_events[1].size == 0
    assert 5.3 < res.t_events[0][0] < 5.7
    assert res.y_events[0].shape == (1, 2)
    assert res.y_events[1].shape == (0, 2)   # SciPy: (0,); here always (k_i, n)
    assert np.isclose(e1(res.t_events[0][0], res.y_events[0][0], ()), 0)

    res = run([Event(e1, direction=-1), Event(e2, direction=-1)])
    assert res.status == 0
    assert res.t_events[0].size == 0 and res.t_events[1].size == 1
    assert 7.3 < res.t_events[1][0] < 7.7
    assert res.y_events[0].shape == (0, 2) and res.y_events[1].shape == (1, 2)
    assert np.isclose(e2(res.t_events[1][0], res.y_events[1][0], ()), 0)

    res = run([e1, e2, Event(e3, terminal=True)], dense_output=True)
    assert res.status == 1
    assert res.t_events[0].size == 1 and res.t_events[1].size == 0
    assert res.t_events[2].size == 1
    assert 5.3 < res.t_events[0][0] < 5.7
    assert 7.3 < res.t_events[2][0] < 7.5
    assert res.y_events[0].shape == (1, 2) and res.y_events[1].shape == (0, 2)
    assert res.y_events[2].shape == (1, 2)
    assert np.isclose(e1(res.t_events[0][0], res.y_events[0][0], ()), 0)
    assert np.isclose(e3(res.t_events[2][0], res.y_events[2][0], ()), 0)
    # termination by an event doesn't break the interpolant
    tc = np.linspace(res.t[0], res.t[-1])
    yc = res.sol(tc)
    assert yc.shape == (tc.size, 2)
    assert np.all(compute_error(yc.T, sol_rational(tc), 1e-3, 1e-6) < 5)
    assert np.allclose(sol_rational(res.t_events[0][0]), res.y_events[0][0], rtol=1e-3,
                       atol=1e-6)
    assert np.allclose(sol_rational(res.t_events[2][0]), res.y_events[2][0], rtol=1e-3,
                       atol=1e-6)


@pytest.mark.parametrize("method", PORT_METHODS_NO_COMPILED_STIFF)
def test_scipy_events_backward(method):
    # direction is the sign of g's change along the run: in a backward run e1 falls, e2 rises
    y0 = [4 / 9, 20 / 81]
    run = lambda events, **kw: solve(RATIONAL, (8.0, 5.0), y0, method=method, events=events,
                                     **SCIPY_DEFAULTS, **kw)
    e1, e2, e3 = event_rational_1, event_rational_2, event_rational_3

    res = run([e1, e2])
    assert res.status == 0
    assert res.t_events[0].size == 1 and res.t_events[1].size == 1
    assert 5.3 < res.t_events[0][0] < 5.7
    assert 7.3 < res.t_events[1][0] < 7.7
    assert res.y_events[0].shape == (1, 2) and res.y_events[1].shape == (1, 2)
    assert np.isclose(e1(res.t_events[0][0], res.y_events[0][0], ()), 0)
    assert np.isclose(e2(res.t_events[1][0], res.y_events[1][0], ()), 0)

    res = run([Event(e1, direction=-1), Event(e2, direction=-1)])
    assert res.status == 0
    assert res.t_events[0].size == 1 and res.t_events[1].size == 0
    assert 5.3 < res.t_events[0][0] < 5.7
    assert res.y_events[0].shape == (1, 2) and res.y_events[1].shape == (0, 2)
    assert np.isclose(e1(res.t_events[0][0], res.y_events[0][0], ()), 0)

    res = run([Event(e1, direction=1), Event(e2, direction=1)])
    assert res.status == 0
    assert res.t_events[0].size == 0 and res.t_events[1].size == 1
    assert 7.3 < res.t_events[1][0] < 7.7
    assert res.y_events[0].shape == (0, 2) and res.y_events[1].shape == (1, 2)
    assert np.isclose(e2(res.t_events[1][0], res.y_events[1][0], ()), 0)

    res = run([e1, e2, Event(e3, terminal=True)], dense_output=True)
    assert res.status == 1
    assert res.t_events[0].size == 0 and res.t_events[1].size == 1
    assert res.t_events[2].size == 1
    assert 7.3 < res.t_events[1][0] < 7.7
    assert 7.3 < res.t_events[2][0] < 7.5
    assert res.y_events[0].shape == (0, 2) and res.y_events[1].shape == (1, 2)
    assert res.y_events[2].shape == (1, 2)
    assert np.isclose(e2(res.t_events[1][0], res.y_events[1][0], ()), 0)
    assert np.isclose(e3(res.t_events[2][0], res.y_events[2][0], ()), 0)
    assert res.t[-1] == res.t_final and abs(res.t_final - 7.4) < 1e-12
    tc = np.linspace(res.t[-1], res.t[0])
    yc = res.sol(tc)
    assert np.all(compute_error(yc.T, sol_rational(tc), 1e-3, 1e-6) < 5)
    assert np.allclose(sol_rational(res.t_events[1][0]), res.y_events[1][0], rtol=1e-3,
                       atol=1e-6)
    assert np.allclose(sol_rational(res.t_events[2][0]), res.y_events[2][0], rtol=1e-3,
                       atol=1e-6)


@pytest.mark.parametrize("method", PORT_METHODS_NO_COMPILED_STIFF)
@pytest.mark.parametrize("t_span,y0", [((5.0, 8.0), [1 / 3, 2 / 9]),
                                       ((8.0, 5.0), [4 / 9, 20 / 81])])
def test_scipy_events_at_tight_tolerance(method, t_span, y0):
    # The event times against the exact solution's and against solve_ivp's own (the same
    # algorithm where SciPy has it, DOP853 for vern7). Measured with solve_ivp at these
    # tolerances: explicit methods within 2e-9 of the exact times, BDF within 1.6e-8.
    tol = 1e-8 if method in ("dopri5", "dop853", "vern7") else 1e-7
    r1, r2 = _exact_roots()
    sol = solve(RATIONAL, t_span, y0, method=method, events=[event_rational_1, event_rational_2],
                **TIGHT)
    assert sol.status == 0
    assert sol.t_events[0].shape == (1,) and sol.t_events[1].shape == (1,)
    assert abs(sol.t_events[0][0] - r1) < tol
    assert abs(sol.t_events[1][0] - r2) < tol
    np.testing.assert_allclose(sol.y_events[0][0], sol_rational(r1), rtol=0, atol=tol)
    ref = solve_ivp(lambda t, y: [y[1] / t, y[1] * (y[0] + 2 * y[1] - 1) / (t * (y[0] - 1))],
                    t_span, y0, method=SCIPY_TWIN[method], **TIGHT,
                    events=[lambda t, y: y[0] - y[1] ** 0.7, lambda t, y: y[1] ** 0.6 - y[0]])
    assert abs(sol.t_events[0][0] - ref.t_events[0][0]) < tol
    assert abs(sol.t_events[1][0] - ref.t_events[1][0]) < tol


# ---------------------------------------------------------------- 8. events that never fire
@pytest.mark.parametrize("method", ["dopri5", "dop853", "vern7"])
def test_events_that_never_fire_change_nothing(method):
    plain = solve(SIN, (T0_SIN, 10.0), Y0_SIN, method=method)
    assert plain.t_events is None and plain.y_events is None
    assert plain.sol is None
    watched = solve(SIN, (T0_SIN, 10.0), Y0_SIN, method=method, events=[never])
    assert watched.status == 0
    np.testing.assert_array_equal(watched.t, plain.t)
    np.testing.assert_array_equal(watched.y, plain.y)
    np.testing.assert_array_equal(watched.y_final, plain.y_final)
    assert watched.nfev == plain.nfev
    assert watched.naccepted == plain.naccepted and watched.nrejected == plain.nrejected
    assert len(watched.t_events) == 1
    assert watched.t_events[0].shape == (0,)
    assert watched.y_events[0].shape == (0, 2)


# ---------------------------------------------------------------- 9. bad input
@pytest.mark.parametrize("make_events,error", [
    (lambda: 3.0, TypeError),                              # not callable
    (lambda: [height, "height"], TypeError),
    (lambda: Event(height, direction=2), ValueError),
    (lambda: Event(height, direction=0.5), ValueError),
    (lambda: Event(height, terminal=-1), ValueError),
    (lambda: Event(height, terminal=2.5), ValueError),
    (lambda: Event("height"), TypeError),
], ids=["number", "string-in-list", "direction-2", "direction-0.5", "terminal--1",
        "terminal-2.5", "Event-of-string"])
def test_bad_events_are_refused(make_events, error):
    with pytest.raises(error, match="(?i)event"):
        solve(FALL, (0.0, 2.0), [1.0], events=make_events())


@pytest.mark.parametrize("attr,value", [("direction", 2), ("direction", -3), ("terminal", -1),
                                        ("terminal", 2.5)])
def test_bad_event_attributes_are_refused(attr, value, monkeypatch):
    monkeypatch.setattr(plain_event, attr, value, raising=False)
    with pytest.raises(ValueError, match="(?i)event"):
        solve(FALL, (0.0, 2.0), [1.0], events=[plain_event])


@pytest.mark.parametrize("kernel", [tuple_event, uncompilable_event, two_argument_event])
def test_event_kernel_that_does_not_compile_says_so(kernel):
    with pytest.raises(TypeError, match="(?i)event"):
        solve(FALL, (0.0, 2.0), [1.0], events=[kernel])
