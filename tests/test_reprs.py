"""Result objects print as a few informative lines: sizes and key numbers (rounded), never
their arrays, however big the result.

Each test builds a result (big where that is cheap), checks that its repr is short, that
``print`` shows the same text, and that the numbers it reports are the result's own (formatted
here from the fields, as the repr promises: 4 significant digits) and, where one is known
independently, the right one.
"""
import numpy as np
import pytest

import solvers
from circuits import HPMemristor, Sine, crossbar_recall, drive
from neurodyn import BAM, CTRNN, ContinuousHopfield, Hopfield, capacity_curve
from neurodyn._model import num, summary
from neurodyn.analysis import (Attractor, Basins, basins, continuation, energy_along,
                               fixed_points, limit_cycle, lyapunov_spectrum, poincare_section,
                               slow_points)
from neurodyn.analysis._examples import van_der_pol
from neurodyn.analysis.fixed_points import FixedPoints
from neurodyn.lsm import LiquidRun, Readout
from solvers import MapSystem, ODESystem

LIMIT = 600


def _short(obj, lines=6):
    text = repr(obj)
    assert len(text) < LIMIT, f"{len(text)} characters:\n{text}"
    assert text.count("\n") < lines, text
    assert str(obj) == text
    assert "array(" not in text  # no array dumped
    return text


def _g(x):
    return f"{float(x):.4g}"


def test_helpers_round_and_summarise():
    assert num(2.0 / 3.0) == "0.6667" and num(-1 + 2j) == "-1+2j"
    assert summary(np.arange(1000.0)) == "[0, 1, 2, 3, ...] (1000 values in [0, 999])"
    assert summary(np.ones((500, 7))) == "shape (500, 7), values in [1, 1]"
    assert len(summary(np.linspace(-1e9, 1e9, 10 ** 6))) < 80


def test_branch_of_a_big_network_is_short_and_names_the_folds():
    # The bistable neuron dy/dt = -y + 8 sigma(y + theta) beside 19 uncoupled monostable ones
    # (self-weight 1): a branch of 20 states, folds where sigma (1 - sigma) = 1/8, i.e.
    # theta = -4 -+ (2 sqrt 2 - 2 ln(1 + sqrt 2)) (Beer 1995).
    n = 20
    br = continuation(CTRNN(np.diag([8.0] + [1.0] * (n - 1))), "bias", -8.0, 0.0, np.zeros(n))
    text = _short(br, lines=4)
    assert f"Branch: {br.param.size} points" in text and f"{n} states" in text
    assert f"status {br.status}" in text
    folds = sorted(-4.0 + s * (2 * np.sqrt(2) - 2 * np.log(1 + np.sqrt(2))) for s in (-1, 1))
    found = sorted(b.param for b in br.saddle_nodes)
    np.testing.assert_allclose(found, folds, atol=1e-6)
    for f in folds:
        assert f"saddle-node at param = {_g(f)}" in text
    assert f"stable node x{br.stability.count('stable node')}" in text
    b = br.bifurcations[0]
    assert f"param = {float(b.param):.6g}" in repr(b) and f"after point {b.index}" in repr(b)


def test_fixed_points_list_prints_a_summary():
    # two uncoupled bistable neurons: 3 x 3 = 9 fixed points (4 stable nodes, 4 saddles, 1
    # unstable node)
    net = CTRNN(8.0 * np.eye(2), bias=[-4.0, -4.0])
    fps = fixed_points(net, n_starts=200, seed=1, box=(-2.0, 10.0))
    assert isinstance(fps, list) and isinstance(fps, FixedPoints) and len(fps) == 9
    text = _short(fps)
    assert text.startswith("9 fixed points: ")
    assert "stable node x4" in text and "saddle x4" in text and "unstable node x1" in text
    assert "(+6 more)" in text
    one = _short(fps[0], lines=1)
    assert fps[0].stability in one and f"residual {float(fps[0].residual):.3g}" in one
    assert repr(FixedPoints()) == "no fixed points found"


def test_slow_points_list():
    def ghost(t, y, p, dydt):
        dydt[0] = y[0] * y[0] + p[0]
    sp = slow_points(ODESystem(ghost, 1, (0.01,)), box=1.0, include_trajectories=False)
    text = _short(sp)
    assert text.startswith("1 slow point: ") and "q = 5e-05" in text


def test_limit_cycle():
    lc = limit_cycle(CTRNN(W=[[4.5, 1], [-1, 4.5]], bias=[-2.75, -1.75]), [0.0, 0.0])
    text = _short(lc, lines=3)
    assert f"period {_g(lc.period)}" in text and "stable" in text and "converged" in text
    assert f"{lc.iterations} iterations" in text


def test_lyapunov_result_of_henon():
    def henon(k, x, p, out):
        out[0] = 1.0 - p[0] * x[0] ** 2 + x[1]
        out[1] = p[1] * x[0]
    r = lyapunov_spectrum(MapSystem(henon, 2, (1.4, 0.3)), [0.1, 0.1], n_steps=5000,
                          n_transient=100)
    text = _short(r, lines=2)
    assert abs(r.sum - np.log(0.3)) < 1e-9          # the sum is ln |det J| = ln 0.3
    assert f"sum {_g(np.log(0.3))}" in text
    assert f"Kaplan-Yorke dimension {_g(r.kaplan_yorke)}" in text
    assert f"[{_g(r.exponents[0])}, {_g(r.exponents[1])}]" in text


def test_lyapunov_result_of_a_flow_with_a_long_history():
    r = lyapunov_spectrum(CTRNN(W=[[4.5, 1], [-1, 4.5]], bias=[-2.75, -1.75]), [0.0, 0.0],
                          t_total=500.0, dt=0.05, renorm_every=1)
    assert r.history_t.size > 5000
    text = _short(r, lines=2)
    assert f"history: {r.history_t.size} estimates" in text


def test_basins_of_many_samples():
    def bistable(t, y, p, dydt):
        dydt[0] = y[0] - y[0] ** 3
    X = np.linspace(-2.0, 2.0, 400)[:, None]
    b = basins(ODESystem(bistable, 1), X, t_final=30.0)
    text = _short(b, lines=4)
    assert "Basins: 400 samples, 2 attractors, 0% unclassified" in text
    assert "[0] 50%: fixed point at x = [-1]" in text and "[1] 50%: fixed point at x = [1]" in text
    many = Basins(np.zeros(10, int), [Attractor("fixed point", np.zeros(50))] * 9,
                  np.full(9, 1 / 9), np.zeros((10, 50)), "x" * 5000)
    text = _short(many, lines=7)
    assert "(+5 more)" in text and "shape (50,)" not in text


def test_poincare_section():
    ps = poincare_section(ODESystem(van_der_pol, 2, (1.0,)), [2.0, 0.0], ([1.0, 0.0], 0.0),
                          n_crossings=6, t_transient=50.0)
    text = _short(ps, lines=3)
    assert "6 crossings" in text
    assert f"mean {_g(ps.return_times.mean())}" in text
    assert abs(ps.return_times.mean() - 6.6633) < 1e-3   # the Van der Pol period at mu = 1


def test_energy_check():
    net = ContinuousHopfield(np.array([[0.0, 1.0], [1.0, 0.0]]), gain=3.0)
    sol = solvers.solve(net, (0, 10), [0.3, -0.1], t_eval=np.linspace(0, 10, 2000))
    chk = energy_along(net, sol)
    text = _short(chk, lines=1)
    assert "non-increasing over 2000 states" in text
    assert f"E {_g(chk.values[0])} -> {_g(chk.values[-1])}" in text


def test_capacity_curve():
    c = capacity_curve(100, np.linspace(0.02, 0.3, 15), n_trials=1)
    text = _short(c, lines=3)
    assert "hebbian, N = 100" in text and "15 loads, alpha 0.02 .. 0.3" in text
    ok = c.alphas[c.recalled >= 0.5]
    assert f"alpha = {_g(ok.max())}" in text


def test_recall_results():
    rng = np.random.default_rng(0)
    P = 2 * rng.integers(0, 2, size=(10, 200)) - 1
    net = Hopfield.from_patterns(P)
    probes = np.repeat(P, 10, axis=0)
    probes[:, :20] *= -1
    r = net.recall(probes, mode="sync")
    text = _short(r, lines=1)
    assert f"100 probes of N = 200: {int(r.converged.sum())} converged" in text
    assert f"sweeps {r.sweeps.min()} .. {r.sweeps.max()}" in text
    one = net.recall(P[0], mode="async", seed=5, return_energy=True)
    text = _short(one, lines=1)
    assert f"after {one.sweeps} sweep" in text and "seed 5" in text
    assert f"energy {_g(one.energy[0])} -> {_g(one.energy[-1])}" in text
    res, _ = crossbar_recall(net, probes[:5], levels=8, seed=0)
    assert "5 probes of N = 200" in _short(res, lines=1)


def test_bam_recall():
    bam = BAM.from_pairs([[1, -1, 1, -1, 1, -1]], [[1, 1, -1, -1]])
    r = bam.recall_info(x=np.tile([1, -1, 1, -1, 1, 1], (50, 1)), trace=True)
    text = _short(r, lines=1)
    assert "50 probes, x: 6 units, y: 4 units; 50 converged" in text


def test_drive_result_of_a_long_run():
    t_eval = np.linspace(0.0, 2.0, 20001)
    r = drive(HPMemristor(window="joglekar"), Sine(1.0, 1.0), (0.0, 2.0), 0.1, t_eval=t_eval)
    text = _short(r, lines=4)
    assert "20001 samples, t = 0 .. 2 s; success (status 0)" in text
    assert f"|i| up to {_g(np.abs(r.i).max())} A" in text
    stopped = drive(HPMemristor(), Sine(5.0, 1.0), (0.0, 1.0), 0.5)
    text = _short(stopped, lines=4)
    assert "status -5" in text and len(stopped.message) > 200 and "..." in text


def test_liquid_run_and_readout():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 500, size=100000)
    run = LiquidRun(idx, np.sort(rng.random(100000) * 1000.0), n=500, duration=1000.0,
                    dt=0.1, v0=rng.random(500), seed=7)
    text = _short(run, lines=2)
    assert "500 neurons, 100000 spikes in 1000 ms" in text
    assert f"mean rate {_g(100000 / 500)} Hz" in text   # spikes per neuron per second
    X = rng.random((40, 300))
    ro = Readout().fit_labels(X, np.arange(40) % 3)
    assert "300 features -> 3 classes" in _short(ro, lines=1)
