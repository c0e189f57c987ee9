"""neurodyn.lsm: the LIF liquid against closed-form LIF solutions and a hand-written brian2
network, reproducibility, the readout's filter and ridge regression against direct
computations, graph round trips, connection statistics, and pattern separation.

All runs use brian2's numpy target and small liquids (the cython target is exercised by
benchmarks/bench_w5.py, where it must compile for tens of seconds)."""
import math
import os

import networkx as nx
import numpy as np
import pytest

from neurodyn.lsm import (LSM, MAASS_W, AnalogInput, LiquidRun, PoissonInput, Readout,
                          SpikeInput, filtered_spikes)

DT = 0.1


# --------------------------------------------------------------------------- closed-form LIF

def _exact_lif(inputs, w, tau, v_rest, v_th, v_reset, t_ref, dt=DT):
    """Spike times of one LIF neuron under voltage jumps ``w`` at ``inputs`` (ms), from the
    exact solution v(t) = v_rest + (v(t0) - v_rest) exp(-(t - t0) / tau) between events.

    An input at t changes v at the end of step t; the threshold is checked one step later
    (brian2's schedule), so a jump that carries v over threshold gives a spike at t + dt.
    Returns the spike times and the smallest distance to threshold at a check (to show the
    design keeps clear of rounding)."""
    v, t_last, spikes, margin, ref_until = v_rest, 0.0, [], np.inf, -1.0
    for t in inputs:
        assert t >= ref_until, "test design: no input during the refractory period"
        v = v_rest + (v - v_rest) * math.exp(-(t - t_last) / tau) + w
        v_check = v_rest + (v - v_rest) * math.exp(-dt / tau)
        margin = min(margin, abs(v_check - v_th))
        t_last = t + dt
        if v_check > v_th:
            spikes.append(t + dt)
            v, ref_until = v_reset, t + dt + t_ref
            t_last = ref_until  # v is held at v_reset until the refractory period ends
        else:
            v = v_check
    return np.array(spikes), margin


def test_unconnected_lif_fires_at_the_closed_form_times():
    rng = np.random.default_rng(3)
    tau, v_rest, v_th, v_reset, t_ref = 20.0, -65.0, -50.0, -70.0, 2.0
    weights = [5.0, 7.0, 9.0, 16.0]
    times, idx = [], []
    for c in range(len(weights)):
        # inputs on the grid, at least 2.5 ms apart (never inside a refractory period)
        t = np.cumsum(rng.integers(25, 120, size=40)) * DT
        t = np.round(t[t < 480.0], 1)
        times.append(t)
        idx.append(np.full(t.size, c))
    net = LSM(["exc"] * 4, pre=[], post=[], weight=[], n_inputs=4, in_pre=[0, 1, 2, 3],
              in_post=[0, 1, 2, 3], in_weight=weights, tau_m=tau, v_rest=v_rest, v_th=v_th,
              v_reset=v_reset, t_ref=t_ref, v_init=v_rest)
    run = net.run(SpikeInput(np.concatenate(times), np.concatenate(idx)), duration=500.0,
                  seed=0)
    total = 0
    for c, w in enumerate(weights):
        ref, margin = _exact_lif(times[c], w, tau, v_rest, v_th, v_reset, t_ref)
        assert margin > 0.02  # the reference is not decided by rounding
        got = run.times[run.indices == c]
        np.testing.assert_allclose(got, ref, atol=1e-9)
        total += ref.size
    assert run.num_spikes == total and total > 20
    # stronger jumps, more spikes; none fires at every input (temporal summation matters)
    counts = [np.sum(run.indices == c) for c in range(4)]
    assert 0 < counts[0] < counts[1] < counts[2] < counts[3] < times[3].size


def test_constant_drive_fires_with_the_closed_form_period():
    # v relaxes from v_reset towards v_inf = v_rest + v_bias > v_th and crosses after
    # T = tau ln((v_inf - v_reset) / (v_inf - v_th)); then t_ref of rest, and again. brian2
    # records a spike at the start of the step in which v crosses, i.e. at the crossing time
    # rounded down to the grid: spikes at floor(T/dt) dt + k floor((T + t_ref)/dt) dt.
    tau, v_rest, v_th, v_reset, t_ref = np.array([10.0, 30.0]), -70.0, -54.0, -60.0, 3.0
    v_bias = np.array([20.0, 25.0])
    net = LSM(["exc", "inh"], pre=[], post=[], weight=[], tau_m=tau, v_rest=v_rest,
              v_th=v_th, v_reset=v_reset, t_ref=t_ref, v_bias=v_bias, v_init=v_reset)
    run = net.run(None, duration=1000.0, seed=0)
    v_inf = v_rest + v_bias
    T = tau * np.log((v_inf - v_reset) / (v_inf - v_th))
    for i in range(2):
        first, period = np.floor(T[i] / DT) * DT, np.floor((T[i] + t_ref) / DT) * DT
        # the design keeps T/dt and (T + t_ref)/dt away from integers (rounding)
        assert min((T[i] / DT) % 1, ((T[i] + t_ref) / DT) % 1) > 0.05
        expected = first + period * np.arange(int((1000.0 - first) / period) + 1)
        expected = expected[expected < 1000.0 - 1e-9]
        np.testing.assert_allclose(run.times[run.indices == i], expected, atol=1e-6)


def test_delays_shift_the_response_by_the_delay():
    G = nx.DiGraph()
    G.add_node("x", kind="input")
    G.add_node("a")
    G.add_node("b", kind="inh")
    G.add_node("c")
    G.add_edge("x", "a", weight=20.0)
    G.add_edge("a", "b", weight=20.0, delay=1.5)
    G.add_edge("a", "c", weight=20.0, delay=4.0)
    G.add_edge("b", "c", weight=-3.0)
    net = LSM.from_graph(G, v_init=-65.0)
    run = net.run(SpikeInput([10.0], [0]), duration=30.0)
    t = {net.nodes[i]: run.times[run.indices == i].tolist() for i in range(3)}
    assert t["a"] == pytest.approx([10.1])
    assert t["b"] == pytest.approx([10.1 + 1.5 + DT])
    # c gets -3 mV at 11.8 ms, decayed by 14.2 ms to -3 exp(-2.3/20); +20 mV still crosses
    assert t["c"] == pytest.approx([10.1 + 4.0 + DT])


# --------------------------------------------------------------------------- brian2 itself

def test_equals_a_hand_written_brian2_network():
    """The W5 script in miniature (its own connect(p), rand() voltages, PoissonGroup), then our
    LSM built from what that script drew: identical spike trains."""
    import brian2 as b2
    from brian2 import Hz, mV, ms

    old = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    try:
        b2.seed(5)
        clock = b2.Clock(0.1 * ms, name="t_clock")
        G = b2.NeuronGroup(100, "dv/dt = (v_rest - v) / tau_m : volt (unless refractory)",
                           threshold="v > v_th", reset="v = v_rest", refractory=2 * ms,
                           method="exact", clock=clock, name="t_neurons",
                           namespace={"v_rest": -65 * mV, "tau_m": 20 * ms, "v_th": -50 * mV})
        G.v = "v_rest + rand() * (v_th - v_rest)"
        Se = b2.Synapses(G[:80], G, on_pre="v_post += 1.5*mV", clock=clock, name="t_exc")
        Se.connect(p=0.1)
        Si = b2.Synapses(G[80:], G, on_pre="v_post += -4*mV", clock=clock, name="t_inh")
        Si.connect(p=0.1)
        P = b2.PoissonGroup(20, 40 * Hz, clock=clock, name="t_input")
        Sp = b2.Synapses(P, G, on_pre="v_post += 6*mV", clock=clock, name="t_in_syn")
        Sp.connect(p=0.2)
        M, Mi = b2.SpikeMonitor(G, name="t_spikes"), b2.SpikeMonitor(P, name="t_in_spikes")
        v0 = np.asarray(G.v[:] / mV)
        net = b2.Network(G, Se, Si, P, Sp, M, Mi)
        net.run(300 * ms, namespace={})
    finally:
        b2.prefs.codegen.target = old
    pre = np.concatenate([np.asarray(Se.i[:]), np.asarray(Si.i[:]) + 80])
    post = np.concatenate([np.asarray(Se.j[:]), np.asarray(Si.j[:])])
    w = np.where(pre < 80, 1.5, -4.0)
    liquid = LSM(["exc"] * 80 + ["inh"] * 20, pre, post, w, n_inputs=20,
                 in_pre=np.asarray(Sp.i[:]), in_post=np.asarray(Sp.j[:]), in_weight=6.0)
    inp = SpikeInput(np.round(np.asarray(Mi.t[:] / ms), 1), np.asarray(Mi.i[:]), n=20)
    run = liquid.run(inp, duration=300.0, v0=v0)
    hi, ht = np.asarray(M.i[:]), np.round(np.asarray(M.t[:] / ms), 1)
    order = np.lexsort((hi, ht))
    assert hi.size > 200  # an active network, so the comparison means something
    np.testing.assert_array_equal(run.indices, hi[order])
    np.testing.assert_allclose(run.times, ht[order], atol=1e-9)


# --------------------------------------------------------------------------- reproducibility

def small_liquid(seed=0):
    return LSM.random(n_exc=80, n_inh=20, p=0.1, w_exc=1.5, w_inh=-4.0, n_inputs=20,
                      p_in=0.2, w_in=6.0, seed=seed)


def test_same_seed_same_spikes_other_seed_other_spikes():
    net = small_liquid()
    inp = PoissonInput(40.0, n=20)
    a = net.run(inp, duration=200.0, seed=11)
    b = small_liquid().run(inp, duration=200.0, seed=11)
    c = net.run(inp, duration=200.0, seed=12)
    d = small_liquid(seed=1).run(inp, duration=200.0, seed=11)
    assert a.num_spikes > 100
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.times, b.times)
    assert a.seed == 11
    for other in (c, d):
        assert not (other.num_spikes == a.num_spikes and np.array_equal(other.times, a.times))
    # seed=None draws a seed and reports it, so the run can be repeated
    e = net.run(inp, duration=200.0)
    f = net.run(inp, duration=200.0, seed=e.seed)
    np.testing.assert_array_equal(e.times, f.times)


def test_run_trials_equal_single_runs_with_child_seeds():
    net = small_liquid()
    inputs = [PoissonInput(40.0, n=20), PoissonInput(np.linspace(0, 80, 20)),
              SpikeInput([1.0, 2.0], [3, 4], n=20)]
    runs = net.run_trials(inputs, duration=120.0, seed=4)
    children = np.random.SeedSequence(4).spawn(3)
    for k in range(3):
        single = net.run(inputs[k], duration=120.0, seed=children[k])
        np.testing.assert_array_equal(runs[k].indices, single.indices)
        np.testing.assert_array_equal(runs[k].times, single.times)
        np.testing.assert_array_equal(runs[k].input_times, single.input_times)
    assert runs[0].num_spikes > 50


# --------------------------------------------------------------------------- inputs

def test_poisson_input_counts_and_grid():
    inp = PoissonInput([10.0, 200.0], n=2)
    idx, t = inp.sample(20000.0, dt=0.1, seed=0)
    for c, rate in enumerate((10.0, 200.0)):
        k = np.sum(idx == c)
        lam = rate * 20.0
        assert abs(k - lam) < 5 * math.sqrt(lam)
    np.testing.assert_allclose(t, np.round(t / 0.1) * 0.1, atol=1e-9)
    assert np.all(np.diff(t) >= 0) and t.max() < 20000.0
    i2, t2 = inp.sample(20000.0, dt=0.1, seed=0)
    np.testing.assert_array_equal(t, t2)


def test_analog_input_follows_its_tuning_curves():
    enc = AnalogInput(np.array([0.0, 1.0]), dt_signal=5000.0, n_per_dim=3, r_max=150.0)
    idx, t = enc.sample(10000.0, seed=2)
    r = enc.rates(np.array([0.0, 6000.0]))
    # centres 0, 0.5, 1 and width 0.5: rates r_max * exp(-z^2/2) with z = 0, 1, 2
    np.testing.assert_allclose(r[0], 150 * np.exp(-0.5 * np.array([0, 1, 4])))
    for c in range(3):
        for half, row in ((t < 5000.0, 0), (t >= 5000.0, 1)):
            k = np.sum((idx == c) & half)
            lam = r[row, c] * 5.0
            assert abs(k - lam) < 5 * math.sqrt(lam) + 1


def test_input_errors_name_the_problem():
    net = small_liquid()
    with pytest.raises(ValueError, match="inputs have 3 channels, the liquid has 20"):
        net.run(PoissonInput(10.0, n=3), duration=10.0)
    with pytest.raises(ValueError, match="channel 2 fires twice in one step"):
        net.run(SpikeInput([1.0, 1.0, 1.02], [2, 3, 2], n=20), duration=10.0)
    with pytest.raises(ValueError, match="target must be one of"):
        net.run(None, duration=10.0, target="cpp")
    with pytest.raises(TypeError, match="inputs\\[0\\] is a list"):
        net.run([[1.0]], duration=10.0)
    with pytest.raises(ValueError, match="rate of channel 1"):
        PoissonInput([1.0, -2.0])


# --------------------------------------------------------------------------- readout

def test_filtered_spikes_equal_the_direct_sum():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 5, size=300)
    t = np.round(rng.uniform(0, 500, size=300), 1)
    ts = np.sort(rng.uniform(0, 520, size=40))
    ts[5] = t[0]  # a sample exactly at a spike counts that spike with weight 1
    tau = 30.0
    direct = np.zeros((ts.size, 5))
    for s, tsv in enumerate(ts):
        for i, tk in zip(idx, t):
            if tk <= tsv:
                direct[s, i] += math.exp(-(tsv - tk) / tau)
    np.testing.assert_allclose(filtered_spikes(idx, t, 5, ts, tau), direct, rtol=1e-12,
                               atol=1e-300)
    shuffled = rng.permutation(ts.size)
    np.testing.assert_allclose(filtered_spikes(idx, t, 5, ts[shuffled], tau),
                               direct[shuffled], rtol=1e-12)
    # a long run cannot overflow: spikes 100 s in, tau 1 ms
    far = filtered_spikes([0], [1e5], 1, [1e5, 1e5 + 1], tau=1.0)
    np.testing.assert_allclose(far.ravel(), [1.0, math.exp(-1.0)])


def test_readout_separates_two_input_spike_patterns():
    # Two fixed Poisson templates (10 channels, 20 Hz, 200 ms); every trial jitters each
    # spike by N(0, 3 ms) and drops 10 % of them. Half the trials train the readout.
    rng = np.random.default_rng(0)
    templates = [PoissonInput(20.0, n=10).sample(200.0, seed=s) for s in (100, 101)]
    inputs, labels = [], []
    for trial in range(40):
        lab = trial % 2
        idx, t = templates[lab]
        keep = rng.random(t.size) > 0.1
        tj = np.clip(np.round(t[keep] + rng.normal(0, 3.0, keep.sum()), 1), 0, 199.9)
        # one spike per channel and step: drop the rare collisions
        _, first = np.unique(idx[keep] * 10000 + np.round(tj * 10), return_index=True)
        inputs.append(SpikeInput(tj[first], idx[keep][first], n=10))
        labels.append(lab)
    # half the default jumps: a liquid at ~100 Hz instead of a saturated one at ~200 Hz
    net = LSM.column(seed=0, n_inputs=10, w_in=2.0, w={k: 0.5 * v for k, v in MAASS_W.items()})
    runs = net.run_trials(inputs, duration=200.0, seed=0)
    assert 20 < np.mean([r.rates().mean() for r in runs]) < 180
    X = np.array([r.features([50.0, 100.0, 150.0, 200.0], tau=30.0).ravel() for r in runs])
    labels = np.array(labels)
    ro = Readout(ridge=1.0).fit_labels(X[:20], labels[:20])
    acc = ro.accuracy(X[20:], labels[20:])
    assert acc >= 0.9, acc
    # the same readout on features of an empty liquid (no spikes) cannot beat chance
    assert Readout(ridge=1.0).fit_labels(np.zeros((20, 3)), labels[:20]).accuracy(
        np.zeros((20, 3)), labels[20:]) == 0.5


# --------------------------------------------------------------------------- construction

def test_graph_round_trip_and_units():
    import brian2 as b2

    net = LSM.column(shape=(4, 3, 2), seed=2, n_inputs=3)
    back = LSM.from_graph(net.to_graph())
    for attr in ("pre", "post", "weight", "delay", "in_pre", "in_post", "in_weight",
                 "in_delay", "tau_m", "t_ref", "v_bias", "positions"):
        np.testing.assert_array_equal(getattr(back, attr), getattr(net, attr), err_msg=attr)
    assert back.kind == net.kind and back.nodes == net.nodes
    for a, b in zip(back.v_init, net.v_init):  # the column's (13.5, 15) mV, not the default
        np.testing.assert_array_equal(a, b)
    assert net.v_init[0][0] == 13.5
    G = nx.DiGraph()
    G.add_edge("a", "b", weight=0.002 * b2.volt, delay=1 * b2.ms)
    G.add_edge("b", "a", weight=2.0, delay=1.0)
    q = LSM.from_graph(G)
    np.testing.assert_allclose(q.weight, [2.0, 2.0])
    np.testing.assert_allclose(q.delay, [1.0, 1.0])


def test_construction_errors_name_the_culprit():
    with pytest.raises(ValueError, match="synapse 1 -> 0: weight 2.0 mV from an inhibitory"):
        LSM(["exc", "inh"], pre=[1], post=[0], weight=[2.0])
    with pytest.raises(ValueError, match="duplicate synapse 0 -> 1"):
        LSM(["exc", "exc"], pre=[0, 0], post=[1, 1], weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="post\\[0\\] = 5 is out of range"):
        LSM(["exc", "exc"], pre=[0], post=[5], weight=[1.0])
    with pytest.raises(ValueError, match="kind of neuron 1 must be"):
        LSM(["exc", "glia"], pre=[], post=[], weight=[])
    with pytest.raises(ValueError, match="tau_m of neuron 0 must be positive"):
        LSM(["exc"], pre=[], post=[], weight=[], tau_m=[-1.0])
    G = nx.DiGraph()
    G.add_node("x", kind="input")
    G.add_edge("a", "x", weight=1.0)
    with pytest.raises(ValueError, match="edge 'a' -> 'x' ends at an input node"):
        LSM.from_graph(G)
    G = nx.DiGraph()
    G.add_edge("a", "b")
    with pytest.raises(ValueError, match="edge 'a' -> 'b' has no 'weight'"):
        LSM.from_graph(G)
    with pytest.raises(AttributeError, match="immutable"):
        LSM(["exc"], pre=[], post=[], weight=[]).tau_m = 3


def test_connection_counts_match_their_probabilities():
    # random(): every ordered pair (autapses included) with p; in expectation p n^2.
    net = LSM.random(n_exc=160, n_inh=40, p=0.1, n_inputs=30, p_in=0.2, seed=3)
    for count, mean, var in ((net.n_synapses, 0.1 * 200 ** 2, 0.09 * 200 ** 2),
                             (net.in_pre.size, 0.2 * 30 * 200, 0.16 * 30 * 200)):
        assert abs(count - mean) < 5 * math.sqrt(var)
    assert np.all(net.weight[net.pre < 160] == 0.5) and np.all(net.weight[net.pre >= 160] == -2.5)
    # column(): the sum over pairs of C exp(-(D / lambda)^2), per connection type
    col = LSM.column(shape=(10, 6, 4), lambda_=2.0, seed=4)
    inh = ~col.is_exc
    pos = col.positions
    D2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
    Cm = {"EE": 0.3, "EI": 0.2, "IE": 0.4, "II": 0.1}
    for key, (a_inh, b_inh) in {"EE": (0, 0), "EI": (0, 1), "IE": (1, 0), "II": (1, 1)}.items():
        mask = (inh[:, None] == a_inh) & (inh[None, :] == b_inh)
        np.fill_diagonal(mask, False)  # no autapses in the column
        p = Cm[key] * np.exp(-D2[mask] / 4.0)
        got = np.sum((inh[col.pre] == a_inh) & (inh[col.post] == b_inh))
        assert abs(got - p.sum()) < 5 * math.sqrt(np.sum(p * (1 - p))), key
    assert not np.any(col.pre == col.post)
    assert set(np.unique(col.delay)) == {0.8, 1.5}
    assert np.all(col.delay[col.is_exc[col.pre] & col.is_exc[col.post]] == 1.5)


def test_per_type_probabilities_pickling_and_replace():
    import pickle

    P = {"EE": 0.2, "EI": 0.05, "IE": 0.3, "II": 0.0}
    net = LSM.random(n_exc=150, n_inh=50, p=P, autapses=False, seed=5)
    exc = net.is_exc
    for key, (a, b) in {"EE": (1, 1), "EI": (1, 0), "IE": (0, 1), "II": (0, 0)}.items():
        pairs = (exc == a).sum() * (exc == b).sum() - (a == b) * (exc == a).sum()
        got = np.sum((exc[net.pre] == a) & (exc[net.post] == b))
        assert abs(got - P[key] * pairs) <= 5 * math.sqrt(pairs * P[key] * (1 - P[key])), key
    back = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(back.pre, net.pre)
    assert not back.weight.flags.writeable
    slower = net.replace(tau_m=30.0)
    assert slower.tau_m[0] == 30.0 and np.array_equal(slower.post, net.post)


def test_example_classifies_the_two_patterns():
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    # this checkout first on the path, whatever an installed copy points at
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    out = subprocess.run([sys.executable, str(root / "examples" / "lsm_patterns.py"),
                          "--trials", "40"], capture_output=True, text=True, check=True,
                         timeout=300, env=env).stdout
    acc = float(next(ln for ln in out.splitlines() if ln.startswith("accuracy")).split()[1])
    assert acc >= 0.9, out


def test_liquid_run_helpers():
    r = LiquidRun(np.array([0, 1, 1]), np.array([1.0, 2.0, 3.0]), n=3, duration=500.0, dt=0.1)
    np.testing.assert_array_equal(r.counts(), [1, 2, 0])
    np.testing.assert_allclose(r.rates(), [2.0, 4.0, 0.0])


@pytest.mark.skipif(not os.environ.get("NEURODYN_TEST_CYTHON"),
                    reason="compiles brian2's cython extensions (~1 min on a cold cache); "
                           "set NEURODYN_TEST_CYTHON=1")
def test_cython_target_gives_the_numpy_spikes(tmp_path):
    # All randomness is ours, so both code-generation targets see the same network, voltages
    # and inputs; the exact LIF update is the same arithmetic in both.
    import brian2 as b2

    net = LSM.column(shape=(5, 3, 3), seed=1, n_inputs=5, w_in=2.0,
                     w={k: 0.5 * v for k, v in MAASS_W.items()})
    inp = PoissonInput(30.0, n=5)
    old, target = b2.prefs.codegen.runtime.cython.cache_dir, b2.prefs.codegen.target
    b2.prefs.codegen.runtime.cython.cache_dir = str(tmp_path)
    try:
        a = net.run(inp, duration=200.0, seed=3, target="cython")
    finally:
        b2.prefs.codegen.runtime.cython.cache_dir = old
    b = net.run(inp, duration=200.0, seed=3, target="numpy")
    assert b.num_spikes > 100
    assert b2.prefs.codegen.target == target  # the run restored the global preference
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.times, b.times)
