"""neurodyn.analysis refuses bad input, naming the culprit, and never coerces it.

Each case is a user's probe: a negative or NaN tolerance, a time too short for one step, an
empty spectrum, a NaN eigenvalue, a discrete-time network handed to a flow-only analysis, a
float where a count goes, a bad seed, a bool where a number goes. A wrong kind of value is a
``solvers.InvalidTypeError`` (a ``TypeError``), a wrong value a ``ValueError``; the message
names the parameter (or the entry) at fault. Every refusal happens before anything is
integrated, so the file runs in seconds once the kernels are cached.
"""
import math

import numpy as np
import pytest

from neurodyn import CTRNN, Hopfield
from neurodyn.analysis import (basins, classify, continuation, energy_along, fixed_points,
                               jacobian, kaplan_yorke, limit_cycle, lyapunov_spectrum,
                               section_crossings, slow_points)
from neurodyn.discretize import DiscreteRNN
from solvers import InvalidTypeError, MapSystem, ODESystem


def halving(k, x, p, out):
    out[0] = 0.5 * x[0]


def blow_up(t, y, p, dydt):
    dydt[0] = y[0] * y[0]


NET = CTRNN([[1.0]])                                        # one neuron, a flow
BEER = CTRNN(W=[[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75])  # has a limit cycle
MAP = MapSystem(halving, 1)
HOPFIELD = Hopfield([[0, 1], [1, 0]])
DISCRETE_RNN = DiscreteRNN(0.5 * np.eye(2))
NAN = math.nan

BAD_SEEDS = [(-1, ValueError), (1.5, TypeError), ("a", TypeError), (True, TypeError)]


def _raises(error, match, fn, *args, **kwargs):
    with pytest.raises(error, match=match):
        fn(*args, **kwargs)


# ---- fixed_points / slow_points / jacobian ---------------------------------------------------

@pytest.mark.parametrize("kwargs,error,match", [
    (dict(tol=-1), ValueError, r"^tol must be a non-negative number"),
    (dict(tol=True), TypeError, r"^tol must be a real number, got True"),
    (dict(tol="1e-10"), TypeError, r"^tol must be a real number"),
    (dict(max_residual=NAN), ValueError, r"^max_residual must be a number, got nan"),
    (dict(max_residual=-1.0), ValueError, r"^max_residual must be a non-negative"),
    (dict(dedup_tol=-1), ValueError, r"^dedup_tol must be a non-negative number"),
    (dict(dedup_tol=1j), TypeError, r"^dedup_tol must be a real number"),
    (dict(t_traj=-5), ValueError, r"^t_traj must be a positive number"),
    (dict(t_traj="20"), TypeError, r"^t_traj must be a real number"),
    (dict(t_traj=NAN), ValueError, r"^t_traj must be a number, got nan"),
    (dict(n_starts=2.7), TypeError, r"^n_starts must be an integer, got 2.7"),
    (dict(n_starts=True), TypeError, r"^n_starts must be an integer, got True"),
    (dict(include_trajectories="no"), TypeError, r"^include_trajectories must be True or False"),
    (dict(include_trajectories=1), TypeError, r"^include_trajectories must be True or False"),
    (dict(box=True), TypeError, r"^box must be a real number, got True"),
    (dict(box=NAN), ValueError, r"^box must be a number, got nan"),
    (dict(box=(0.0, "1")), TypeError, r"^box\[1\] \(high\) must be"),
    (dict(box=([True], [2.0])), TypeError, r"^box\[0\] \(low\) must hold real numbers"),
    (dict(t="0"), TypeError, r"^t must be a real number"),
    (dict(t=NAN), ValueError, r"^t must be a number, got nan"),
])
def test_fixed_points_options(kwargs, error, match):
    _raises(error, match, fixed_points, NET, **kwargs)


@pytest.mark.parametrize("seed,error", BAD_SEEDS)
@pytest.mark.parametrize("fn", [fixed_points, slow_points])
def test_fixed_and_slow_points_seed(fn, seed, error):
    _raises(error, r"^seed must be None, a non-negative integer", fn, NET, seed=seed)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(t_traj=2.5), ValueError, r"^t_traj counts iterations for a map: .*whole number"),
    (dict(t_traj=0.5), ValueError, r"^t_traj counts iterations"),
    (dict(t=0.5), ValueError, r"^t counts iterations for a map"),
])
def test_fixed_points_of_a_map_take_whole_iterations(kwargs, error, match):
    _raises(error, match, fixed_points, MAP, **kwargs)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(q_max=NAN), ValueError, r"^q_max must be a number, got nan"),
    (dict(gtol=-1.0), ValueError, r"^gtol must be a non-negative number"),
    (dict(maxiter=0), ValueError, r"^maxiter must be an integer >= 1"),
    (dict(maxiter=10.0), TypeError, r"^maxiter must be an integer"),
    (dict(dedup_tol=NAN), ValueError, r"^dedup_tol must be a number, got nan"),
    (dict(t_traj=-1.0), ValueError, r"^t_traj must be a positive number"),
])
def test_slow_points_options(kwargs, error, match):
    _raises(error, match, slow_points, NET, **kwargs)


@pytest.mark.parametrize("fn", [fixed_points, slow_points, jacobian])
@pytest.mark.parametrize("model,name", [(HOPFIELD, "Hopfield"), (DISCRETE_RNN, "DiscreteRNN")])
def test_discrete_networks_are_not_systems(fn, model, name):
    args = (model, [0.0, 0.0]) if fn is jacobian else (model,)
    _raises(InvalidTypeError, rf"^{fn.__name__}\(\) needs an ODESystem, a MapSystem .*got "
            rf"{name}, which has no \.params", fn, *args)


@pytest.mark.parametrize("y,t,error,match", [
    ([True], 0.0, TypeError, r"^y must hold real numbers, got an array of bool"),
    (["1.0"], 0.0, TypeError, r"^y must hold real numbers, got an array of str"),
    ([1j], 0.0, TypeError, r"^y must hold real numbers, got complex"),
    ([0.0], True, TypeError, r"^t must be a real number, got True"),
])
def test_jacobian_state_and_time(y, t, error, match):
    _raises(error, match, jacobian, NET, y, t)


# ---- classify / kaplan_yorke -----------------------------------------------------------------

@pytest.mark.parametrize("args,kwargs,error,match", [
    (([NAN, -1.0],), {}, ValueError, r"^eigenvalues\[0\] = nan is not finite"),
    (([-1.0, complex(-1.0, math.inf)],), {}, ValueError, r"^eigenvalues\[1\] = .* not finite"),
    (([0.5, NAN],), dict(is_map=True), ValueError, r"^eigenvalues\[1\] = nan"),
    (([],), {}, ValueError, r"^eigenvalues is empty"),
    ((["a", "b"],), {}, TypeError, r"^eigenvalues must hold real or complex numbers, got an "
     r"array of str"),
    (([True, False],), {}, TypeError, r"^eigenvalues must hold real or complex numbers"),
    (("-1 -2",), {}, TypeError, r"^eigenvalues must be an array of numbers"),
    (([[-1.0, -2.0]],), {}, ValueError, r"^eigenvalues must be 1-D"),
    (([-1.0, -2.0],), dict(tol=-1.0), ValueError, r"^tol must be a non-negative number"),
    (([-1.0, -2.0],), dict(tol=NAN), ValueError, r"^tol must be a number, got nan"),
    (([-1.0, -2.0],), dict(is_map="yes"), TypeError, r"^is_map must be True or False"),
])
def test_classify(args, kwargs, error, match):
    _raises(error, match, classify, *args, **kwargs)


@pytest.mark.parametrize("exponents,error,match", [
    ([], ValueError, r"^exponents is empty"),
    ([NAN, -1.0], ValueError, r"^exponents\[0\] = nan is not finite"),
    ([0.5, math.inf], ValueError, r"^exponents\[1\] = inf is not finite"),
    ([True, -1.0], TypeError, r"^exponents must hold real numbers, got a bool"),
    ("0.5 -1", TypeError, r"^exponents must be an array of real numbers"),
    ([[0.5, -1.0]], ValueError, r"^exponents must be 1-D"),
])
def test_kaplan_yorke(exponents, error, match):
    _raises(error, match, kaplan_yorke, exponents)


# ---- lyapunov_spectrum -----------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,error,match", [
    (dict(t_total=0.01, dt=1), ValueError,
     r"^t_total = 0\.01 is shorter than one step dt = 1\.0"),
    (dict(t_total="10"), TypeError, r"^t_total must be a real number, got '10'"),
    (dict(t_total=True), TypeError, r"^t_total must be a real number, got True"),
    (dict(t_total=NAN), ValueError, r"^t_total must be a number, got nan"),
    (dict(t_total=1.0, dt=NAN), ValueError, r"^dt must be a number, got nan"),
    (dict(t_total=1.0, dt="0.01"), TypeError, r"^dt must be a real number"),
    (dict(t_total=1.0, t_transient=True), TypeError, r"^t_transient must be a real number"),
    (dict(t_total=1.0, renorm_every=2.5), TypeError, r"^renorm_every must be an integer"),
    (dict(t_total=1.0, k=1.5), TypeError, r"^k must be an integer, got 1\.5"),
    (dict(t_total=1.0, k=True), TypeError, r"^k must be an integer, got True"),
    (dict(t_total=1.0, n_transient=5), ValueError, r"is a flow: .*not n_steps or n_transient"),
    (dict(t_total=1e10, dt=1e-10), ValueError, r"^t_total / dt = 1e\+20 RK4 steps"),
])
def test_lyapunov_flow_options(kwargs, error, match):
    _raises(error, match, lyapunov_spectrum, NET, [0.1], **kwargs)


@pytest.mark.parametrize("y0,error,match", [
    ([NAN], ValueError, r"^y0\[0\] = nan is not finite"),
    ([True], TypeError, r"^y0 must hold real numbers"),
    ([1j], TypeError, r"^y0 must hold real numbers, got complex"),
])
def test_lyapunov_initial_state(y0, error, match):
    _raises(error, match, lyapunov_spectrum, NET, y0, t_total=1.0)


@pytest.mark.parametrize("seed,error", BAD_SEEDS)
def test_lyapunov_seed(seed, error):
    _raises(error, r"^seed must be None, a non-negative integer", lyapunov_spectrum, NET, [0.1],
            t_total=1.0, seed=seed)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(n_steps=2.5), TypeError, r"^n_steps must be an integer, got 2\.5"),
    (dict(n_steps=10, n_transient=1.5), TypeError, r"^n_transient must be an integer, got 1\.5"),
    (dict(n_steps=10, t_transient=5.0), ValueError, r"is a map: t_transient is for flows"),
    (dict(n_steps=10, dt=0.1), ValueError, r"is a map: dt is for flows"),
    (dict(n_steps=10, renorm_every=3), ValueError, r"is a map: renorm_every is for flows"),
    (dict(n_steps=10, seed=-1), ValueError, r"^seed must be"),
])
def test_lyapunov_map_options(kwargs, error, match):
    _raises(error, match, lyapunov_spectrum, MAP, [0.1], **kwargs)


@pytest.mark.parametrize("model,name", [(HOPFIELD, "Hopfield"), (DISCRETE_RNN, "DiscreteRNN")])
def test_lyapunov_refuses_discrete_networks(model, name):
    _raises(InvalidTypeError, rf"^lyapunov_spectrum\(\) needs an ODESystem, a MapSystem .*got "
            rf"{name}", lyapunov_spectrum, model, [1.0, 1.0], n_steps=10)


# ---- limit_cycle / section_crossings ---------------------------------------------------------

@pytest.mark.parametrize("model,what", [(MAP, r"a map \(discrete time\)"),
                                        (HOPFIELD, r"Hopfield, which has no \.params"),
                                        (DISCRETE_RNN, r"DiscreteRNN, which has no \.params")])
@pytest.mark.parametrize("fn", [limit_cycle, basins])
def test_flow_only_analyses_refuse_discrete_systems(fn, model, what):
    arg = [1.0] if model is MAP else [1.0, 1.0]
    arg = [arg] if fn is basins else arg
    _raises(InvalidTypeError, rf"^{fn.__name__}\(\) needs a continuous-time system .*{what}",
            fn, model, arg)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(n_samples=0), ValueError, r"^n_samples must be an integer >= 3, got 0"),
    (dict(n_samples=2.7), TypeError, r"^n_samples must be an integer, got 2\.7"),
    (dict(steps_per_period=0), ValueError, r"^steps_per_period must be an integer >= 1"),
    (dict(steps_per_period=4000.0), TypeError, r"^steps_per_period must be an integer"),
    (dict(max_iter=0), ValueError, r"^max_iter must be an integer >= 1, got 0"),
    (dict(max_iter=True), TypeError, r"^max_iter must be an integer, got True"),
    (dict(tol=NAN), ValueError, r"^tol must be a number, got nan"),
    (dict(tol=-1.0), ValueError, r"^tol must be a non-negative number"),
    (dict(t_search="200"), TypeError, r"^t_search must be a real number"),
    (dict(t_search=0.0), ValueError, r"^t_search must be a positive number"),
    (dict(t_transient=True), TypeError, r"^t_transient must be a real number, got True"),
    (dict(t_transient=-1.0), ValueError, r"^t_transient must be a non-negative number"),
])
def test_limit_cycle_options(kwargs, error, match):
    _raises(error, match, limit_cycle, BEER, [0.0, 0.0], **kwargs)


@pytest.mark.parametrize("y0,error,match", [
    ([NAN, 0.0], ValueError, r"^y0\[0\] = nan is not finite"),
    ([1j, 0.0], TypeError, r"^y0 must hold real numbers, got complex"),
    ([True, False], TypeError, r"^y0 must hold real numbers"),
])
def test_limit_cycle_initial_state(y0, error, match):
    _raises(error, match, limit_cycle, BEER, y0)


T3 = np.linspace(0.0, 2.0, 3)
Y3 = np.column_stack([np.sin(T3), np.cos(T3)])


@pytest.mark.parametrize("t,y,component,level,error,match", [
    (T3, Y3, 5, 0.0, ValueError, r"^component = 5 is out of range: y has 2 components"),
    (T3, Y3, -1, 0.0, ValueError, r"^component = -1 is out of range"),
    (T3, Y3, 1.0, 0.0, TypeError, r"^component must be an integer, got 1\.0"),
    (T3, Y3, True, 0.0, TypeError, r"^component must be an integer, got True"),
    (T3, Y3, "0", 0.0, TypeError, r"^component must be an integer, got '0'"),
    (np.linspace(0.0, 2.0, 4), Y3, 0, 0.0, ValueError,
     r"^y must have one row per time: t has 4 samples, y has shape \(3, 2\)"),
    (T3, Y3[:, 0], 0, 0.0, ValueError, r"^y must be 2-D"),
    (T3, Y3, 0, NAN, ValueError, r"^level must be a number, got nan"),
    (T3, Y3, 0, "0", TypeError, r"^level must be a real number"),
    (T3[::-1], Y3, 0, 0.0, ValueError, r"^t must be non-decreasing: t\[1\]"),
    (T3, np.where(Y3 > 0.9, NAN, Y3), 0, 0.0, ValueError, r"^y\[0, 1\] = nan is not finite"),
])
def test_section_crossings(t, y, component, level, error, match):
    _raises(error, match, section_crossings, t, y, component, level)


# ---- basins ----------------------------------------------------------------------------------

@pytest.mark.parametrize("samples,kwargs,error,match", [
    ([[0.5]], dict(t_final=True), TypeError, r"^t_final must be a real number, got True"),
    ([[0.5]], dict(t_final="100"), TypeError, r"^t_final must be a real number"),
    ([[0.5]], dict(tol=-1.0), ValueError, r"^tol must be a positive number"),
    ([[0.5]], dict(f_tol=NAN), ValueError, r"^f_tol must be a number, got nan"),
    ([[0.5]], dict(t_window=0.0), ValueError, r"^t_window must be a positive number"),
    ([[0.5]], dict(n_window=0), ValueError, r"^n_window must be an integer >= 3"),
    ([[0.5]], dict(n_window=20.5), TypeError, r"^n_window must be an integer"),
    ([[0.5]], dict(tol_cycle=NAN), ValueError, r"^tol_cycle must be a number, got nan"),
    ([[0.5]], dict(fixed_points=[[NAN]]), ValueError,
     r"^fixed_points\[0\]\[0\] = nan is not finite"),
    ([[0.5]], dict(fixed_points=[[True]]), TypeError, r"^fixed_points\[0\] must hold real"),
    (np.empty((0, 1)), {}, ValueError, r"^samples is empty"),
    ([[True]], {}, TypeError, r"^samples must hold real numbers"),
    ([["0.5"]], {}, TypeError, r"^samples must hold real numbers"),
])
def test_basins_options(samples, kwargs, error, match):
    _raises(error, match, basins, NET, samples, **kwargs)


def test_basins_when_every_sample_fails_says_so():
    # dy/dt = y^2 from y > 0 blows up at t = 1/y0 < t_final: no sample reaches the end
    b = basins(ODESystem(blow_up, 1), [[1.0], [2.0]], t_final=5.0)
    assert b.attractors == [] and b.labels.tolist() == [-1, -1]
    assert b.unclassified == 1.0 and b.fractions.size == 0
    assert np.isnan(b.final).all()
    assert b.message.startswith("every sample's integration failed (2 of 2); sample 0:")


# ---- continuation / energy_along -------------------------------------------------------------

@pytest.mark.parametrize("args,kwargs,error,match", [
    (("bias", NAN, 0.0, [0.0]), {}, ValueError, r"^start must be a number, got nan"),
    (("bias", -8.0, "0", [0.0]), {}, TypeError, r"^stop must be a real number"),
    (("bias", -8.0, 0.0, [0.0]), dict(max_steps=0), ValueError,
     r"^max_steps must be an integer >= 1"),
    (("bias", -8.0, 0.0, [0.0]), dict(max_steps=2.5), TypeError, r"^max_steps must be an integer"),
    (("bias", -8.0, 0.0, [0.0]), dict(tol=True), TypeError, r"^tol must be a real number"),
    (("bias", -8.0, 0.0, [0.0]), dict(ds=NAN), ValueError, r"^ds must be a number, got nan"),
    (("bias", -8.0, 0.0, [0.0]), dict(ds_min=1.0, ds_max=0.1), ValueError,
     r"^ds_min = 1\.0 exceeds ds_max = 0\.1"),
    (("bias", -8.0, 0.0, [True]), {}, TypeError, r"^x0 must hold real numbers"),
    (("bias", -8.0, 0.0, [0.0]), dict(t="0"), TypeError, r"^t must be a real number"),
])
def test_continuation_options(args, kwargs, error, match):
    _raises(error, match, continuation, CTRNN([[8.0]]), *args, **kwargs)


def test_continuation_refuses_a_discrete_network_by_index():
    _raises(InvalidTypeError, r"^continuation\(\) needs .*got Hopfield", continuation, HOPFIELD,
            0, 0.0, 1.0, [1.0, 1.0])


@pytest.mark.parametrize("trajectory,kwargs,error,match", [
    ([[0.1, 0.2], [NAN, 0.0]], {}, ValueError, r"^trajectory\[1, 0\] = nan is not finite"),
    ([[True, False], [False, True]], {}, TypeError, r"^trajectory must hold real numbers"),
    ([[0.1, 0.2], [0.0, 0.0]], dict(tol=-1.0), ValueError, r"^tol must be a non-negative"),
    ([[0.1, 0.2], [0.0, 0.0]], dict(tol="0"), TypeError, r"^tol must be a real number"),
])
def test_energy_along(trajectory, kwargs, error, match):
    _raises(error, match, energy_along, HOPFIELD, trajectory, **kwargs)
