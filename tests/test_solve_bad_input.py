"""solve() and iterate() refuse junk, naming it, and never coerce it.

The probes a user's mistakes produce (a bool where a number goes, a numeric string, a complex
state, params of another network), and a hypothesis search over junk keyword arguments: a call
either raises a clear ValueError/TypeError/MemoryError or returns a Solution whose successful
output is finite — never a success built on junk, never an internal error.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import neurodyn
import solvers
from solvers import MapSystem, ODESystem, Solution, iterate, solve


def decay3(t, y, p, dydt):
    for i in range(3):
        dydt[i] = -(i + 1.0) * y[i]


def doubling(k, x, p, x_next):
    x_next[0] = 0.5 * x[0]


DECAY = ODESystem(decay3, 3)
HALVING = MapSystem(doubling, 1)
Y0 = [1.0, 1.0, 1.0]


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(y0=[True, False, True]), TypeError, "y0 must hold real numbers, got an array of bool"),
    (dict(y0=np.array([1 + 1j, 1.0, 1.0])), TypeError, "y0 must hold real numbers, got complex"),
    (dict(y0=[1 + 0j, 1.0, 1.0]), TypeError, "y0 must hold real numbers, got complex"),
    (dict(y0="1 2 3"), TypeError, "y0 must be an array of real numbers"),
    (dict(y0=[[1.0, 1.0, 1.0]]), ValueError, "y0 must be 1-D"),
    (dict(y0=[1.0, math.inf, 1.0]), ValueError, r"y0\[1\] is inf"),
    (dict(rtol=True), TypeError, "rtol must be a real number, got True"),
    (dict(rtol="1e-6"), TypeError, "rtol must be a real number, got '1e-6'"),
    (dict(rtol=1e-20), ValueError, "rtol = 1e-20 is below 100 machine epsilons"),
    (dict(rtol=math.nan), ValueError, "rtol must be a number, got nan"),
    (dict(atol=True), TypeError, "atol must be a real number, got True"),
    (dict(atol=[1e-9, True, 1e-9]), TypeError, "atol must hold real numbers, got a bool"),
    (dict(y0=[1.0, True, 1.0]), TypeError, "y0 must hold real numbers, got a bool among"),
    (dict(atol=[1e-9, -1.0, 1e-9]), ValueError, r"atol\[1\] = -1.0"),
    (dict(max_steps=True), TypeError, "max_steps must be an integer, got True"),
    (dict(max_steps=2.5), TypeError, "max_steps must be an integer, got 2.5"),
    (dict(max_steps=-3), ValueError, "max_steps must be an integer >= 1"),
    (dict(method="rk4", dt="0.1"), TypeError, "dt must be a real number, got '0.1'"),
    (dict(method="rk4", dt=True), TypeError, "dt must be a real number, got True"),
    (dict(method="rk4", dt=math.inf), ValueError, "dt must be finite"),
    (dict(method="rk4", dt=1e-300), ValueError, "would take 1e\\+300 steps"),
    (dict(method=3), TypeError, "method must be"),
    (dict(method="DOPRI5 "), ValueError, "unknown method"),
    (dict(t_span=("0", "1")), TypeError, r"t_span\[0\] must be a real number"),
    (dict(t_span=(0.0, math.nan)), ValueError, r"t_span\[1\] must be a number, got nan"),
    (dict(t_span=(0.0, math.inf)), ValueError, r"t_span\[1\] must be finite"),
    (dict(t_span=1.0), TypeError, "t_span must be a pair"),
    (dict(t_span=(0.0, 1.0, 2.0)), TypeError, "t_span must be a pair"),
    (dict(t_eval=[True, False]), TypeError, "t_eval must hold real numbers"),
    (dict(t_eval=[0.5 + 0j]), TypeError, "t_eval must hold real numbers, got complex"),
    (dict(t_eval=[]), ValueError, "t_eval is empty"),
    (dict(first_step=True), TypeError, "first_step must be a real number"),
    (dict(first_step=5.0), ValueError, "first_step = 5.0 exceeds the interval length"),
    (dict(max_step=-1.0), ValueError, "max_step must be a positive number"),
    (dict(max_step="inf"), TypeError, "max_step must be a real number"),
    (dict(debug=1), TypeError, "debug must be True or False"),
    (dict(params=(1.0,)), ValueError, "params must be a tuple of 0 entries"),
])
def test_solve_refuses_junk_naming_it(kwargs, error, match):
    args = dict(t_span=(0.0, 1.0), y0=Y0)
    args.update(kwargs)
    t_span, y0 = args.pop("t_span"), args.pop("y0")
    with pytest.raises(error, match=match):
        solve(DECAY, t_span, y0, **args)


@pytest.mark.parametrize("good, bad", [
    (dict(rtol=1), dict(rtol=True)),            # True == 1 and hash(True) == hash(1)
    (dict(atol=0), dict(atol=False)),
    (dict(max_steps=1000), dict(max_steps=1000.0)),
    (dict(method="rk4", dt=1), dict(method="rk4", dt=True)),
    (dict(debug=False), dict(debug=0)),
])
def test_options_checked_once_are_not_taken_for_equal_junk(good, bad):
    # solve remembers options it has checked (a sweep passes the same ones thousands of
    # times); junk that compares equal to them must still be refused.
    for _ in range(2):
        solve(DECAY, (0.0, 1.0), Y0, **good)
        with pytest.raises(TypeError):
            solve(DECAY, (0.0, 1.0), Y0, **bad)


def test_type_errors_are_also_value_errors_for_code_that_catches_either():
    with pytest.raises(ValueError):
        solve(DECAY, (0.0, 1.0), Y0, rtol=True)
    assert issubclass(solvers.InvalidTypeError, TypeError)


def test_params_of_a_smaller_ctrnn_are_refused_before_reading_out_of_bounds():
    rng = np.random.default_rng(0)
    small = neurodyn.CTRNN(rng.normal(size=(3, 3)))
    big = neurodyn.CTRNN(rng.normal(size=(6, 6)))
    with pytest.raises(ValueError, match=r"params\[0\] must be a float64 array of shape \(6,\) "
                                         r"like the system's, got float64 array of shape \(3,\)"):
        solve(big, (0.0, 1.0), np.zeros(6), params=small.params)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(n_steps=True), TypeError, "n_steps must be an integer, got True"),
    (dict(n_steps=2.5), TypeError, "n_steps must be an integer, got 2.5"),
    (dict(n_steps=-1), ValueError, "n_steps must be an integer >= 0"),
    (dict(save_every=0), ValueError, "save_every must be an integer >= 1"),
    (dict(transient=-1), ValueError, "transient must be an integer >= 0"),
    (dict(x0=[True]), TypeError, "x0 must hold real numbers"),
    (dict(x0=[1j]), TypeError, "x0 must hold real numbers, got complex"),
    (dict(x0=[1.0, 2.0]), ValueError, "x0 has length 2"),
    (dict(n_steps=10 ** 13), MemoryError, "the iterates kept needs .* float64 values"),
])
def test_iterate_refuses_junk_naming_it(kwargs, error, match):
    args = dict(x0=[1.0], n_steps=10)
    args.update(kwargs)
    x0, n_steps = args.pop("x0"), args.pop("n_steps")
    with pytest.raises(error, match=match):
        iterate(HALVING, x0, n_steps, **args)


def test_passing_a_system_of_the_other_kind_says_which_function_fits():
    with pytest.raises(TypeError, match="use solvers.iterate"):
        solve(HALVING, (0.0, 1.0), [1.0])
    with pytest.raises(TypeError, match="use solvers.solve"):
        iterate(DECAY, Y0, 10)


# --- junk, searched ---------------------------------------------------------------------------

JUNK = st.sampled_from([None, True, False, 0, 1, -1, 3, 2.5, 0.0, -0.0, 1e-3, 0.5, 1e-300,
                        1e300, -1.0, math.nan, math.inf, -math.inf, "0.1", "rk4", b"1", 1j,
                        1 + 0j, [1e-9] * 3, [1e-9] * 2, [True] * 3, (), [], np.float32(0.1),
                        np.int64(2), np.array(0.1), np.array([0.1, 0.2]), np.bool_(True)])
METHOD = st.sampled_from(["euler", "heun", "rk4", "bs32", "dopri5", "tsit5", "radau", "bdf",
                          "lsoda", "rk45", "", 4, None])
KWARGS = ["rtol", "atol", "dt", "first_step", "max_step", "max_steps", "t_eval"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=METHOD, picks=st.dictionaries(st.sampled_from(KWARGS), JUNK, max_size=4))
def test_junk_keyword_arguments_never_give_a_success_with_non_finite_output(method, picks):
    try:
        sol = solve(DECAY, (0.0, 1.0), Y0, method=method, **picks)
    except (ValueError, TypeError, MemoryError) as err:
        assert str(err)  # a message, naming something
        return
    assert isinstance(sol, Solution)
    if sol.success:
        assert sol.t.size >= 1 and np.all(np.isfinite(sol.y)) and np.all(np.isfinite(sol.t))
        assert np.all(np.isfinite(sol.y_final)) and sol.t_final == 1.0
    else:
        assert sol.status < 0 and sol.message
