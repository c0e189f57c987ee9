"""Physical units: brian2 quantities are converted where a parameter has a unit (the LSM in
mV, ms and Hz; circuits in SI) and refused, naming the argument, where the model has none (the
rate models and solvers.solve).

A converted run is compared with the same run typed in plain numbers (the reference, written by
hand: 3 nm is typed 3e-9, not computed from brian2), exactly: both run in this process. A wrong
dimension must name the parameter and the dimension expected. brian2 is imported here (the
tests need quantities); that ``import neurodyn`` does not import it is checked in a child
process.
"""
import os
import re
import subprocess
import sys

import brian2
import numpy as np
import pytest
from brian2 import (Hz, Quantity, amp, farad, kHz, kohm, metre, msiemens, mV, ms, nF, nmetre,
                    ohm, second, siemens, uA, uS, us, volt)

import solvers
from circuits import (VTEAM, Constant, Crossbar, HopfieldTank, HPMemristor, MemristiveNetwork,
                      Pulses, Sampled, Sine, Triangle, drive)
from circuits.crossbar import grid_matrix
from neurodyn import (BAM, CTRNN, ContinuousBAM, ContinuousHopfield, DiscreteRNN, Hopfield,
                      discretize)
from neurodyn._model import physical
from neurodyn.lsm import LSM, AnalogInput, PoissonInput, SpikeInput, filtered_spikes
from solvers import InvalidTypeError, ODESystem
from solvers._checks import is_quantity, real_array, real_number

MOBILITY = metre ** 2 / (second * volt)


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


# --------------------------------------------------------------------------- detection

def test_quantities_are_detected_without_importing_brian2():
    code = ("import sys, neurodyn, circuits, neurodyn.lsm, neurodyn.analysis, solvers\n"
            "from neurodyn import CTRNN\n"
            "CTRNN([[1.0]], tau=10.0)\n"
            "from solvers._checks import real_array; real_array('x', [1.0, 2.0])\n"
            "print('brian2' in sys.modules)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_is_quantity():
    assert is_quantity(10 * ms) and is_quantity(np.ones(3) * mV) and is_quantity(mV)
    for plain in (0.01, 3, np.float64(2.0), np.zeros(2), [1.0], "ms", None, True):
        assert not is_quantity(plain)
    # A dimensionless quantity is its number: nothing to strip.
    assert not is_quantity(Quantity(0.5))
    assert (10 * ms) / ms == 10.0 and not is_quantity((10 * ms) / ms)


def test_physical_converts_to_si_or_the_unit_given():
    assert physical("R", 3 * kohm, "resistance") == 3000.0
    # SI: the number brian2 holds, the product it computed (as Python computes 3 * 1e-9)
    assert physical("D", 3 * nmetre, "length") == 3 * 1e-9 == 3.0000000000000004e-09
    t = np.linspace(0.0, 1.0, 101)
    np.testing.assert_array_equal(physical("t", t * second, "time"), t)
    # Another unit: divided, then rid of the division's rounding (15.7 ms / ms would be
    # 15.700000000000001): the number typed.
    assert physical("d", 15.7 * ms, "time", unit="ms") == 15.7
    assert physical("dt", 0.1 * ms, "time", unit="ms") == 0.1
    assert physical("v", -65 * mV, "voltage", unit="mV") == -65.0
    np.testing.assert_array_equal(physical("t", [0.1, 0.3] * ms, "time"), [1e-4, 3e-4])
    # Entry by entry: plain entries are already in the documented unit.
    assert physical("t_span", (0, 1 * ms), "time") == [0, 0.001]
    assert physical("x", [1.0, 2.0], "voltage") == [1.0, 2.0]            # unchanged
    a = np.array([1.0, 2.0])
    assert physical("x", a, "voltage") is a


@pytest.mark.parametrize("kind, value, text", [
    ("resistance", 1 * mV, "R must be a resistance (ohm), got 1. mV"),
    ("voltage", 2 * ohm, "R must be a voltage (V), got 2. ohm"),
    ("time", 5 * Hz, "R must be a time (s), got 5. Hz"),
    ("dimensionless", 1 * volt, "R must be dimensionless, got 1. V"),
])
def test_physical_names_the_dimension_expected(kind, value, text):
    with pytest.raises(InvalidTypeError, match="^" + re.escape(text) + "$"):
        physical("R", value, kind)


# --------------------------------------------------------------------------- LSM (mV, ms, Hz)

def _tiny_lsm(u):
    """Three neurons and two input channels; ``u`` = (mV, ms, 1) or plain (1, 1, 1)."""
    v, t, _ = u
    return LSM(["exc", "exc", "inh"], pre=[0, 1, 2], post=[1, 2, 0],
               weight=[6.0 * v, 5.0 * v, -2.0 * v], delay=[1.5 * t, 15.7 * t, 0.0 * t],
               n_inputs=2, in_pre=[0, 1, 1], in_post=[0, 1, 2], in_weight=16.0 * v,
               in_delay=0.3 * t, tau_m=20.0 * t, v_rest=-65.0 * v, v_th=-50.0 * v,
               v_reset=-65.0 * v, t_ref=2.0 * t, v_bias=1.5 * v, v_init=(-65.0 * v, -55.0 * v))


def test_lsm_with_quantities_equals_the_plain_run():
    q, p = _tiny_lsm((mV, ms, 1)), _tiny_lsm((1.0, 1.0, 1))
    for attr in ("weight", "delay", "in_weight", "in_delay", "tau_m", "v_rest", "v_th",
                 "v_reset", "t_ref", "v_bias"):
        np.testing.assert_array_equal(getattr(q, attr), getattr(p, attr), err_msg=attr)
    # the numbers in ms, as typed (15.7 ms / ms alone would give 15.700000000000001)
    assert q.tau_m[0] == 20.0 and q.delay[1] == 15.7
    inputs_q = [SpikeInput([1.0, 4.0, 9.5] * ms, [0, 0, 0], n=1),
                PoissonInput(rates=300.0 * Hz, n=1)]
    inputs_p = [SpikeInput([1.0, 4.0, 9.5], [0, 0, 0], n=1), PoissonInput(rates=300.0, n=1)]
    rq = q.run(inputs_q, duration=30.0 * ms, dt=0.1 * ms, seed=4, v0=[-60.0, -58.0, -62.0] * mV)
    rp = p.run(inputs_p, duration=30.0, dt=0.1, seed=4, v0=[-60.0, -58.0, -62.0])
    assert rp.num_spikes > 0
    np.testing.assert_array_equal(rq.indices, rp.indices)
    np.testing.assert_array_equal(rq.times, rp.times)
    np.testing.assert_array_equal(rq.input_times, rp.input_times)
    assert (rq.duration, rq.dt) == (30.0, 0.1)
    np.testing.assert_array_equal(rq.features([10.0, 20.0] * ms, tau=5.0 * ms),
                                  rp.features([10.0, 20.0], tau=5.0))


def test_lsm_builders_and_inputs_convert_quantities():
    a = LSM.random(n_exc=8, n_inh=2, p=0.3, w_exc=0.5 * mV, w_inh=-2.5 * mV, delay=0.5 * ms,
                   n_inputs=2, w_in=3.0 * mV, seed=1, tau_m=10.0 * ms)
    b = LSM.random(n_exc=8, n_inh=2, p=0.3, w_exc=0.5, w_inh=-2.5, delay=0.5, n_inputs=2,
                   w_in=3.0, seed=1, tau_m=10.0)
    for attr in ("pre", "post", "weight", "delay", "in_weight", "tau_m"):
        np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)
    c = LSM.column(shape=(3, 2, 2), w={"EE": 1.5 * mV, "EI": 0.3 * mV, "IE": -0.95 * mV,
                                       "II": -1.2 * mV}, seed=2)
    d = LSM.column(shape=(3, 2, 2), w={"EE": 1.5, "EI": 0.3, "IE": -0.95, "II": -1.2}, seed=2)
    np.testing.assert_array_equal(c.weight, d.weight)
    enc_q = AnalogInput(np.linspace(0.0, 1.0, 5), dt_signal=10.0 * ms, n_per_dim=3,
                        r_max=200.0 * Hz)
    enc_p = AnalogInput(np.linspace(0.0, 1.0, 5), dt_signal=10.0, n_per_dim=3, r_max=200.0)
    np.testing.assert_array_equal(enc_q.rates([0.0, 15.0] * ms), enc_p.rates([0.0, 15.0]))
    for x, y in zip(enc_q.sample(50.0 * ms, seed=0), enc_p.sample(50.0, seed=0)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(
        filtered_spikes([0, 1], [1.0, 2.0] * ms, 2, [5.0 * ms, 10.0 * ms], tau=3.0 * ms),
        filtered_spikes([0, 1], [1.0, 2.0], 2, [5.0, 10.0], tau=3.0))


@pytest.mark.parametrize("make, text", [
    (lambda: LSM(["exc"], [], [], [], tau_m=20.0 * mV), "tau_m must be a time (ms), got 20. mV"),
    (lambda: LSM(["exc"], [], [], [], v_th=-50.0 * ms), "v_th must be a voltage (mV), got -50. ms"),
    (lambda: LSM(["exc", "exc"], [0], [1], [2.0 * ms]), "weight[0] must be a voltage (mV)"),
    (lambda: PoissonInput(rates=5.0 * ms, n=2), "PoissonInput rates must be a frequency (Hz)"),
    (lambda: SpikeInput([1.0] * mV, [0]), "SpikeInput times must be a time (ms)"),
    (lambda: LSM(["exc"], [], [], []).run(duration=10.0 * mV),
     "duration must be a time (ms), got 10. mV"),
    (lambda: AnalogInput([0.0, 1.0], dt_signal=1.0 * Hz), "dt_signal must be a time (ms)"),
    (lambda: filtered_spikes([0], [1.0], 1, [2.0], tau=3.0 * mV), "tau must be a time (ms)"),
])
def test_lsm_wrong_dimension_names_the_parameter(make, text):
    with pytest.raises(InvalidTypeError, match="^" + re.escape(text)):
        make()


# --------------------------------------------------------------------------- devices, sources

def test_devices_with_quantities_equal_the_plain_si_devices():
    hq = HPMemristor(R_on=100 * ohm, R_off=16 * kohm, D=10 * nmetre, mu_v=1e-14 * MOBILITY,
                     window="joglekar", p=2)
    hp = HPMemristor(R_on=100.0, R_off=16e3, D=10e-9, mu_v=1e-14, window="joglekar", p=2)
    assert hq._params() == hp._params()
    assert (hq.R_on, hq.R_off, hq.D, hq.mu_v) == (100.0, 16000.0, 1e-8, 1e-14)
    np.testing.assert_array_equal(hq.current([0.2, 0.7], [500.0, -250.0] * mV),
                                  hp.current([0.2, 0.7], [0.5, -0.25]))
    vq = VTEAM(R_on=50 * ohm, R_off=1 * kohm, w_on=0 * metre, w_off=10 * nmetre,
               k_on=-10 * metre / second, k_off=5e-4 * metre / second, v_on=-200 * mV,
               v_off=20 * mV)
    vp = VTEAM(R_on=50.0, R_off=1e3, w_on=0.0, w_off=1e-8, k_on=-10.0, k_off=5e-4, v_on=-0.2,
               v_off=0.02)
    assert vq._params() == vp._params()
    np.testing.assert_array_equal(vq.rate([-300.0, 0.0, 40.0] * mV), vp.rate([-0.3, 0.0, 0.04]))


def test_sources_with_quantities_equal_the_plain_si_sources():
    assert Sine(500 * mV, 2 * kHz, offset=100 * mV) == Sine(0.5, 2000.0, offset=0.1)
    assert Triangle(2 * volt, 50 * Hz) == Triangle(2.0, 50.0)
    assert Constant(-1.5 * volt) == Constant(-1.5)
    assert (Pulses(1 * volt, period=1 * ms, width=250 * us, delay=0.1 * ms)
            == Pulses(1.0, period=1e-3, width=2.5e-4, delay=1e-4))
    sq = Sampled([0.0, 1.0, 2.0] * ms, [0.0, 2.0, 0.0] * volt)
    assert sq == Sampled([0.0, 1e-3, 2e-3], [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(sq([0.5, 1.5] * ms), sq([5e-4, 1.5e-3]))


@pytest.mark.parametrize("make, text", [
    (lambda: HPMemristor(R_on=1 * mV), "HPMemristor R_on must be a resistance (ohm), got 1. mV"),
    (lambda: HPMemristor(D=1 * second), "HPMemristor D must be a length (m), got 1. s"),
    (lambda: HPMemristor(mu_v=1 * metre), "HPMemristor mu_v must be a mobility (m^2/(V s))"),
    (lambda: VTEAM(k_off=1 * ohm), "VTEAM k_off must be a velocity (m/s), got 1. ohm"),
    (lambda: VTEAM(v_off=20 * ms), "VTEAM v_off must be a voltage (V), got 20. ms"),
    (lambda: HPMemristor().current(0.5, 1 * amp), "v must be a voltage (V), got 1. A"),
    (lambda: Sine(1 * volt, 1 * ms), "Sine frequency must be a frequency (Hz), got 1. ms"),
    (lambda: Sine(1 * amp, 1 * Hz), "Sine amplitude must be a voltage (V), got 1. A"),
    (lambda: Pulses(1.0, period=1 * mV, width=0.5), "Pulses period must be a time (s)"),
    (lambda: Constant(2 * ohm), "Constant value must be a voltage (V), got 2. ohm"),
    (lambda: Sampled([0.0, 1.0] * mV, [0.0, 1.0]), "Sampled times must be a time (s)"),
])
def test_circuits_wrong_dimension_names_the_parameter(make, text):
    with pytest.raises(InvalidTypeError, match="^" + re.escape(text)):
        make()


# --------------------------------------------------------------------------- drive

def test_drive_with_quantities_equals_the_plain_si_run():
    t_eval = np.linspace(0.0, 1.0, 101)
    rq = drive(HPMemristor(R_on=100 * ohm, window="biolek"), Sine(1 * volt, 1 * Hz),
               (0 * second, 1 * second), 0.1, t_eval=t_eval * second, max_step=10 * ms)
    rp = drive(HPMemristor(R_on=100.0, window="biolek"), Sine(1.0, 1.0), (0.0, 1.0), 0.1,
               t_eval=t_eval, max_step=0.01)
    assert rp.success
    for a in ("t", "v", "i", "x"):
        np.testing.assert_array_equal(getattr(rq, a), getattr(rp, a), err_msg=a)
    assert rq.lobe_areas(period=1 * second) == rp.lobe_areas(period=1.0)
    # a plain 0 beside a quantity is 0 s
    rm = drive(HPMemristor(window="biolek"), Sine(1.0, 1.0), (0, 1 * second), 0.1,
               t_eval=t_eval, max_step=0.01)
    np.testing.assert_array_equal(rm.x, rp.x)


@pytest.mark.parametrize("kw, text", [
    ({"t_span": (0 * mV, 1 * mV)}, "t_span[0] must be a time (s), got 0. V"),
    ({"t_eval": [0.0, 0.5] * volt}, "t_eval must be a time (s)"),
    ({"max_step": 1 * ohm}, "max_step must be a time (s), got 1. ohm"),
])
def test_drive_wrong_dimension(kw, text):
    args = dict(t_span=(0.0, 1.0))
    args.update(kw)
    with pytest.raises(InvalidTypeError, match="^" + re.escape(text)):
        drive(HPMemristor(window="biolek"), Sine(1.0, 1.0), args.pop("t_span"), 0.1, **args)


def test_drive_still_refuses_a_quantity_where_no_unit_belongs():
    # x0 is the device's normalised state: no unit
    with pytest.raises(InvalidTypeError, match=r"x0 is in the model's own units"):
        drive(HPMemristor(), Sine(1.0, 1.0), (0.0, 1.0), 0.1 * volt)


# --------------------------------------------------------------------------- crossbar

def test_crossbar_with_quantities_equals_the_plain_si_crossbar():
    W = np.array([[1.0, -0.6], [0.25, 2.0]])
    xq = Crossbar.from_weights(W, g_min=1 * uS, g_max=0.1 * msiemens, r_wire=2 * ohm,
                               levels=16, variation=0.05, seed=3)
    xp = Crossbar.from_weights(W, g_min=1e-6, g_max=1e-4, r_wire=2.0, levels=16,
                               variation=0.05, seed=3)
    assert (xq.g_min, xq.g_max, xq.r_wire, xq.scale) == (xp.g_min, xp.g_max, xp.r_wire, xp.scale)
    np.testing.assert_array_equal(xq.g_plus, xp.g_plus)
    np.testing.assert_array_equal(xq.matvec([300.0, -200.0] * mV), xp.matvec([0.3, -0.2]))
    for a, b in zip(xq.currents([[1.0, 2.0]] * volt), xp.currents([[1.0, 2.0]])):
        np.testing.assert_array_equal(a, b)
    c = Crossbar([[2.0, 1.0]] * uS, [[1.0, 3.0]] * uS, scale=1 * uS)
    assert c.scale == 1e-6 and c.g_plus.tolist() == [[2e-6, 1e-6]]
    for a, b in zip(grid_matrix([[1.0, 2.0]] * siemens, 0.5 * ohm), grid_matrix([[1.0, 2.0]], 0.5)):
        assert (a != b).nnz == 0


@pytest.mark.parametrize("make, text", [
    (lambda: Crossbar.from_weights([[1.0]], g_max=1 * ohm), "g_max must be a conductance (S)"),
    (lambda: Crossbar.from_weights([[1.0]], r_wire=1 * siemens),
     "r_wire must be a resistance (ohm), got 1. S"),
    (lambda: Crossbar([[1.0]], [[1.0]], scale=1 * volt), "scale must be a conductance (S)"),
    (lambda: Crossbar.from_weights([[1.0]]).matvec([1.0] * amp), "input must be a voltage (V)"),
    (lambda: Crossbar.from_weights([[1.0]] * uS), "W must be dimensionless, got [[1.]] uS"),
])
def test_crossbar_wrong_dimension(make, text):
    with pytest.raises(InvalidTypeError, match="^" + re.escape(text)):
        make()


# --------------------------------------------------------------------------- network, tank

def test_memristive_network_with_quantities_equals_the_plain_si_network():
    edges = [("a", "b"), ("b", "c"), ("c", "a")]
    nq = MemristiveNetwork(edges, sources={("a", "b"): 1.5 * volt,
                                           ("b", "c"): Sine(200 * mV, 2 * Hz)},
                           chi=0.5, alpha=2 * Hz, beta=3 * volt * second, R_off=10 * kohm)
    nplain = MemristiveNetwork(edges, sources={("a", "b"): 1.5, ("b", "c"): Sine(0.2, 2.0)},
                               chi=0.5, alpha=2.0, beta=3.0, R_off=1e4)
    assert (nq.alpha, nq.beta, nq.R_off) == (2.0, 3.0, 1e4)
    x = np.array([0.1, 0.4, 0.2])
    np.testing.assert_array_equal(nq.currents(x, t=125 * ms), nplain.currents(x, t=0.125))
    np.testing.assert_array_equal(nq.source_values(0.1 * second), nplain.source_values(0.1))
    sq = solvers.solve(nq, (0.0, 1.0), x, rtol=1e-9)
    sp = solvers.solve(nplain, (0.0, 1.0), x, rtol=1e-9)
    np.testing.assert_array_equal(sq.y, sp.y)
    with pytest.raises(InvalidTypeError, match=r"^beta must be a flux \(V s\), got 3\. s"):
        MemristiveNetwork(edges, beta=3 * second)
    with pytest.raises(InvalidTypeError, match=r"^alpha must be a frequency \(Hz\)"):
        MemristiveNetwork(edges, alpha=1 * ohm)


def test_hopfield_tank_with_quantities_equals_the_plain_si_circuit():
    T = [[0.0, -2.0], [-2.0, 0.0]]
    tq = HopfieldTank(T * uS, C=10 * nF, R=100 * kohm, I=1 * uA, u0=100 * mV)
    tp = HopfieldTank(np.array([[0.0, -2e-6], [-2e-6, 0.0]]), C=1e-8, R=1e5, I=1e-6, u0=0.1)
    for a in ("T", "C", "R", "I", "u0", "gain"):
        np.testing.assert_array_equal(getattr(tq, a), getattr(tp, a), err_msg=a)
    assert tq.replace(u0=50 * mV).u0.tolist() == [0.05, 0.05]
    with pytest.raises(InvalidTypeError, match=r"^C must be a capacitance \(F\), got 1\. ohm"):
        HopfieldTank(T, C=1 * ohm)
    with pytest.raises(InvalidTypeError, match=r"^u0 must be a voltage \(V\)"):
        HopfieldTank(T, u0=1 * farad)


# --------------------------------------------------------------------------- refused

W2 = np.array([[0.0, 1.0], [-1.0, 0.0]])


@pytest.mark.parametrize("make, name", [
    (lambda: CTRNN(W2, tau=10 * ms), "tau"),
    (lambda: CTRNN(W2 * mV), "W"),
    (lambda: CTRNN(W2, bias=[1 * mV, 2 * mV]), "bias[0]"),
    (lambda: CTRNN(W2, gain=2 * Hz), "gain"),
    (lambda: Hopfield(W2 * mV, allow_asymmetric=True), "W"),
    (lambda: Hopfield(np.zeros((2, 2)), bias=0.5 * mV), "bias"),
    (lambda: BAM(np.ones((2, 3)) * volt), "W"),
    (lambda: ContinuousHopfield(np.zeros((2, 2)), C=1 * nF), "C"),
    (lambda: ContinuousBAM(np.ones((2, 3)), a=1 * Hz), "a"),
    (lambda: DiscreteRNN(W2, leak=0.5 * Hz), "leak"),
    (lambda: discretize(CTRNN(W2), 0.1 * ms), "dt"),
])
def test_rate_models_refuse_quantities_naming_the_parameter(make, name):
    with pytest.raises(InvalidTypeError, match="^" + re.escape(name) + r" is in (model time "
                       r"units|the model's own units) \(dimensionless\); got a brian2 quantity"):
        make()


def test_the_refusal_says_what_to_pass():
    with pytest.raises(InvalidTypeError) as err:
        CTRNN(W2, tau=10 * ms)
    assert str(err.value) == (
        "tau is in model time units (dimensionless); got a brian2 quantity 10. ms — pass a "
        "plain number (e.g. tau=10.0 for 10 ms if your time unit is the ms)")
    with pytest.raises(InvalidTypeError) as err:
        CTRNN(W2 * mV)
    assert "pass plain numbers (e.g. W / mV, the values in mV" in str(err.value)
    # a TypeError and a ValueError: code catching either catches it
    assert issubclass(InvalidTypeError, TypeError) and issubclass(InvalidTypeError, ValueError)


@pytest.mark.parametrize("kw, name", [
    ({"t_span": (0 * ms, 1 * ms)}, "t_span[0]"),
    ({"t_span": [0.0, 1.0] * ms}, "t_span[0]"),
    ({"t_eval": np.linspace(0.0, 1.0, 5) * ms}, "t_eval"),
    ({"y0": [1.0] * mV}, "y0"),
    ({"y0": [1 * mV]}, "y0[0]"),
    ({"rtol": 1e-6 * second}, "rtol"),
    ({"atol": 1e-9 * volt}, "atol"),
    ({"atol": [1e-9] * volt}, "atol"),
    ({"max_step": 1 * ms}, "max_step"),
    ({"method": "rk4", "dt": 0.1 * ms}, "dt"),
])
def test_solve_refuses_quantities_naming_the_argument(kw, name):
    args = dict(t_span=(0.0, 1.0), y0=[1.0])
    args.update(kw)
    system = ODESystem(_decay, 1, (1.0,))
    with pytest.raises(InvalidTypeError, match="^" + re.escape(name) + r" is in "):
        solvers.solve(system, args.pop("t_span"), args.pop("y0"), **args)


def test_solve_refuses_quantity_params():
    system = ODESystem(_decay, 2, (np.ones(2),))
    with pytest.raises(InvalidTypeError, match=r"params"):
        solvers.solve(system, (0.0, 1.0), [1.0, 1.0], params=(np.ones(2) * Hz,))


def test_checkers_refuse_quantities_and_keep_plain_numbers():
    with pytest.raises(InvalidTypeError, match=r"^x is in model time units"):
        real_number("x", 2 * ms)
    with pytest.raises(InvalidTypeError, match=r"^x\[1\]\[0\] is in the model's own units"):
        real_array("x", [[1.0, 2.0], [3 * mV, 4 * mV]])
    assert real_number("x", 2.5) == 2.5
    np.testing.assert_array_equal(real_array("x", [[1, 2]]), [[1.0, 2.0]])
    # a dimensionless quantity is a plain number
    assert real_number("x", Quantity(0.5)) == 0.5


def test_plain_numbers_are_unchanged():
    net = CTRNN(W2, tau=10.0, bias=[0.5, -0.5])
    assert net.tau.tolist() == [10.0, 10.0] and net.bias.tolist() == [0.5, -0.5]
    assert HPMemristor(R_on=100.0).R_on == 100.0
    assert Sine(0.5, 2000.0).frequency == 2000.0
    sol = solvers.solve(ODESystem(_decay, 1, (1.0,)), (0.0, 1.0), [1.0], rtol=1e-10, atol=1e-12)
    assert abs(sol.y[-1, 0] - np.exp(-1.0)) < 1e-8
