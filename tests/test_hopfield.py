"""Discrete Hopfield networks and the capacity experiment, checked against independent
references: plain-NumPy recall with exact integer fields, the energy formula, the literal
Storkey rule, the textbook projection P^T (P P^T)^-1 P, Glauber's acceptance probability,
and the published capacity behaviour of the Hebbian rule."""
import doctest
import math

import networkx as nx
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurodyn.capacity
import neurodyn.hopfield
from neurodyn.capacity import capacity_curve
from neurodyn.hopfield import Hopfield

RULES = ("hebbian", "storkey", "pseudoinverse")


def patterns(p, n, seed):
    return 2 * np.random.default_rng(seed).integers(0, 2, size=(p, n)) - 1


def flipped(P, frac, seed):
    """Each row with exactly round(frac * N) distinct bits flipped (as in W6)."""
    rng = np.random.default_rng(seed)
    out = P.copy()
    for k in range(out.shape[0]):
        out[k, rng.choice(P.shape[1], size=round(frac * P.shape[1]), replace=False)] *= -1
    return out


def numpy_sync(W, b, probes, max_sweeps=100, tol=0.0):
    """Synchronous recall, one probe at a time, a full product W s per sweep (no incremental
    fields), the rules of WORKLOADS.md W6 plus 2-cycle detection. With integer W and b in
    int64 every field is exact."""
    S, conv, sweeps, cyc = [], [], [], []
    for s in np.atleast_2d(probes):
        s = s.copy()
        prev_flips, done, is_cycle = None, False, False
        for t in range(1, max_sweeps + 1):
            h = W @ s - b
            new = np.where(h > tol, 1, np.where(h < -tol, -1, s))
            flips = np.flatnonzero(new != s)
            if flips.size == 0:
                done = True
                break
            s = new
            if prev_flips is not None and np.array_equal(flips, prev_flips):
                is_cycle = True
                break
            prev_flips = flips
        S.append(s)
        conv.append(done)
        sweeps.append(t)
        cyc.append(is_cycle)
    return np.array(S), np.array(conv), np.array(sweeps), np.array(cyc)


def hebbian_int(P):
    C = P.T.astype(np.int64) @ P.astype(np.int64)
    np.fill_diagonal(C, 0)
    return C


def is_fixed_point(W, b, s, tol):
    h = W @ s - b
    return bool(np.all((np.abs(h) <= tol) | (np.sign(h) == s)))


# ------------------------------------------------------------------ energy

def test_energy_matches_formula_single_and_batch():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(9, 9))
    W = np.triu(A, 1) + np.triu(A, 1).T
    b = rng.normal(size=9)
    net = Hopfield(W, bias=b)
    S = 2 * rng.integers(0, 2, size=(5, 9)) - 1
    ref = np.array([-0.5 * s @ W @ s + b @ s for s in S])
    np.testing.assert_allclose(net.energy(S), ref, rtol=1e-13, atol=1e-13)
    assert isinstance(net.energy(S[0]), float)
    assert net.energy(S[0]) == pytest.approx(ref[0], rel=1e-13)
    # 0/1 states are converted like probes
    assert net.energy((S[0] + 1) // 2) == pytest.approx(ref[0], rel=1e-13)


def test_hebbian_energy_is_exact_and_in_real_units():
    P = patterns(3, 50, 1)
    net = Hopfield.from_patterns(P)
    C = hebbian_int(P)
    S = patterns(4, 50, 2)
    exact = np.array([-(s @ C @ s) / 2 for s in S]) / 50  # integers, then one division
    np.testing.assert_array_equal(net.energy(S), exact)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 30), seed=st.integers(0, 2 ** 32 - 1), integer=st.booleans(),
       with_bias=st.booleans())
def test_async_recall_never_increases_energy(n, seed, integer, with_bias):
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, size=(n, n)) if integer else rng.normal(size=(n, n))
    W = np.triu(A, 1) + np.triu(A, 1).T
    if with_bias:
        b = rng.integers(-2, 3, size=n) if integer else rng.normal(size=n)
    else:
        b = np.zeros(n)
    net = Hopfield(W, bias=b)
    assert net.exact == integer
    probes = 2 * rng.integers(0, 2, size=(6, n)) - 1
    r = net.recall(probes, mode="async", seed=seed, max_sweeps=1000, return_energy=True)
    scale = float(np.abs(W).sum() + np.abs(b).sum() + 1.0)
    for k, trace in enumerate(r.energy):
        assert trace.shape == (r.sweeps[k] + 1,)
        assert trace[0] == pytest.approx(net.energy(probes[k]), abs=1e-10 * scale)
        assert trace[-1] == pytest.approx(net.energy(r.states[k]), abs=1e-10 * scale)
        assert np.all(np.diff(trace) <= 1e-12 * scale), trace
        if integer:
            assert np.all(np.diff(trace) <= 0.0)  # exact arithmetic: no tolerance at all
    # a symmetric network at zero temperature always settles, at a fixed point
    assert r.converged.all() and not r.cycle.any()
    for s in r.states:
        assert is_fixed_point(W, b, s, net.tie_tol * 1.001)


# ------------------------------------------------------------------ storage and recall

@pytest.mark.parametrize("rule", RULES)
def test_stored_patterns_are_fixed_points_well_below_capacity(rule):
    P = patterns(25, 500, 3)  # alpha = 0.05
    net = Hopfield.from_patterns(P, rule=rule)
    for mode in ("sync", "async"):
        r = net.recall(P, mode=mode, seed=0)
        np.testing.assert_array_equal(r.states, P)
        assert r.converged.all() and (r.sweeps == 1).all()


def test_pseudoinverse_stores_independent_patterns_up_to_p_close_to_n():
    n, p = 100, 90
    P = patterns(p, n, 4)
    assert np.linalg.matrix_rank(P) == p
    net = Hopfield.from_patterns(P, rule="pseudoinverse")
    # the textbook formula, zero diagonal
    Pf = P.astype(float)
    W0 = Pf.T @ np.linalg.solve(Pf @ Pf.T, Pf)
    W = W0 - np.diag(np.diag(W0))
    np.testing.assert_allclose(net.weights, W, atol=1e-12)
    # the field at a pattern is (1 - W0_ii) xi_i: shrunk, but of the right sign
    margin = 1.0 - np.diag(W0)
    assert 0.0 < margin.min() and margin.mean() == pytest.approx(1 - p / n, abs=1e-9)
    np.testing.assert_allclose(P @ net.weights, P * margin, atol=1e-10)
    r = net.recall(P, mode="sync")
    np.testing.assert_array_equal(r.states, P)
    assert (r.sweeps == 1).all()
    # and Hebbian storage fails there: far above its capacity
    assert not (Hopfield.from_patterns(P).recall(P, mode="sync").states == P).all()


def test_pseudoinverse_with_dependent_patterns():
    P = patterns(3, 40, 5)
    Q = np.vstack([P, P[:1], -P[1:2]])  # a repeated and a negated pattern: rank 3
    a = Hopfield.from_patterns(P, rule="pseudoinverse")
    b = Hopfield.from_patterns(Q, rule="pseudoinverse")
    np.testing.assert_allclose(a.weights, b.weights, atol=1e-12)


def storkey_literal(P):
    """Storkey (1997) exactly as printed: h_ij = sum_{k != i, j} w_ik x_k,
    w_ij += (x_i x_j - x_i h_ji - h_ij x_j) / n for i != j, zero diagonal."""
    p, n = P.shape
    w = np.zeros((n, n))
    for x in P:
        h = np.array([[sum(w[i, k] * x[k] for k in range(n) if k != i and k != j)
                       for j in range(n)] for i in range(n)])
        new = w.copy()
        for i in range(n):
            for j in range(n):
                if i != j:
                    new[i, j] = w[i, j] + (x[i] * x[j] - x[i] * h[j, i] - h[i, j] * x[j]) / n
        w = new
    return w


def test_storkey_matches_the_literal_rule():
    P = patterns(5, 11, 6)
    net = Hopfield.from_patterns(P, rule="storkey")
    np.testing.assert_allclose(net.weights, storkey_literal(P), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(net.weights, net.weights.T)  # exactly symmetric
    assert not net.exact and net.tie_tol > 0
    # one pattern: the Hebbian weights
    np.testing.assert_allclose(Hopfield.from_patterns(P[:1], rule="storkey").weights,
                               Hopfield.from_patterns(P[:1]).weights, atol=1e-15)


def test_storkey_stays_exactly_symmetric_at_scale():
    net = Hopfield.from_patterns(patterns(60, 300, 7), rule="storkey")
    np.testing.assert_array_equal(net.weights, net.weights.T)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_probe_with_ten_percent_noise_returns_to_its_pattern(rule, mode):
    P = patterns(15, 500, 8)  # alpha = 0.03
    net = Hopfield.from_patterns(P, rule=rule)
    probes = flipped(P, 0.1, 9)
    r = net.recall(probes, mode=mode, seed=1)
    np.testing.assert_array_equal(r.states, P)
    assert r.converged.all()
    np.testing.assert_array_equal(r.overlaps(P), np.ones(15))
    np.testing.assert_allclose((P * probes).mean(axis=1), 0.8)


def test_hebbian_weights_and_storage():
    P = patterns(7, 40, 10)
    net = Hopfield.from_patterns(P)
    np.testing.assert_array_equal(net.weights, hebbian_int(P) / 40)
    assert net.exact and net.tie_tol == 0.0 and net.rule == "hebbian"
    assert net._WT.dtype == np.float32  # fields bounded by 39 * 7 < 2^24
    assert not net.weights.flags.writeable and not net.patterns.flags.writeable
    np.testing.assert_array_equal(net.patterns, P)
    # binary 0/1 patterns are the same patterns
    np.testing.assert_array_equal(Hopfield.from_patterns((P + 1) // 2).weights, net.weights)
    with pytest.raises(AttributeError):
        net.weights = None


def test_integer_weights_storage_choice():
    W = np.array([[0, 3], [3, 0]])
    assert Hopfield(W).exact and Hopfield(W)._WT.dtype == np.float32
    big = np.array([[0, 2.0 ** 30], [2.0 ** 30, 0]])  # fields beyond 2^24: float64, exact
    assert Hopfield(big).exact and Hopfield(big)._WT.dtype == np.float64
    huge = np.array([[0, 2.0 ** 60], [2.0 ** 60, 0]])  # beyond 2^53: not exact any more
    assert not Hopfield(huge).exact and Hopfield(huge).tie_tol > 0
    assert not Hopfield(W, bias=[0.5, 0]).exact


# ------------------------------------------------------------------ synchronous dynamics

def test_sync_detects_a_hand_built_two_cycle():
    # W = [[0, -1], [-1, 0]]: each neuron's field is minus the other's state. From (1, 1)
    # both fields are -1, so a synchronous sweep gives (-1, -1); there both fields are +1,
    # giving (1, 1) again: s(2) == s(0) != s(1), a 2-cycle, detected at sweep 2.
    net = Hopfield([[0, -1], [-1, 0]])
    r = net.recall([[1, 1], [-1, -1], [1, -1]], mode="sync", return_energy=True)
    np.testing.assert_array_equal(r.states, [[1, 1], [-1, -1], [1, -1]])
    np.testing.assert_array_equal(r.cycle, [True, True, False])
    np.testing.assert_array_equal(r.converged, [False, False, True])
    np.testing.assert_array_equal(r.sweeps, [2, 2, 1])
    # E = s0 s1: +1 on the cycle (which sync does not minimise), -1 at the fixed point
    np.testing.assert_array_equal(r.energy[0], [1, 1, 1])
    np.testing.assert_array_equal(r.energy[2], [-1, -1])
    # one sweep cannot show a cycle
    r1 = net.recall([1, 1], mode="sync", max_sweeps=1)
    assert (r1.sweeps, r1.converged, r1.cycle) == (1, False, False)
    np.testing.assert_array_equal(r1.states, [-1, -1])
    # asynchronous recall of the same network settles where the energy is lowest
    ra = net.recall(np.ones((20, 2)), mode="async", seed=3)
    assert ra.converged.all() and not ra.cycle.any()
    np.testing.assert_array_equal(ra.states.sum(axis=1), 0)


def test_sync_matches_numpy_reference_bit_for_bit():
    # W6 in miniature (N = 200, p = 20, 10 % flips) and an overloaded network whose probes
    # wander, hit 2-cycles and sweep limits.
    cases = []
    P = patterns(20, 200, 11)
    cases.append((P, flipped(P, 0.1, 12), 100))
    P = patterns(40, 100, 13)
    cases.append((P, patterns(60, 100, 14), 100))
    cases.append((P, patterns(60, 100, 14), 3))
    seen_cycle = False
    for P, probes, max_sweeps in cases:
        net = Hopfield.from_patterns(P)
        r = net.recall(probes, mode="sync", max_sweeps=max_sweeps)
        ref = numpy_sync(hebbian_int(P), 0, probes, max_sweeps)
        for got, want in zip((r.states, r.converged, r.sweeps, r.cycle), ref):
            np.testing.assert_array_equal(got, want)
        seen_cycle |= bool(r.cycle.any())
    assert seen_cycle


@pytest.mark.parametrize("rule", ["storkey", "pseudoinverse"])
def test_sync_matches_numpy_reference_for_real_weights(rule):
    P = patterns(30, 120, 15)
    net = Hopfield.from_patterns(P, rule=rule)
    probes = np.vstack([flipped(P, 0.2, 16), patterns(30, 120, 17)])
    r = net.recall(probes, mode="sync")
    ref = numpy_sync(net.weights, 0.0, probes, tol=net.tie_tol)
    for got, want in zip((r.states, r.converged, r.sweeps, r.cycle), ref):
        np.testing.assert_array_equal(got, want)


def test_asymmetric_weights_when_allowed():
    rng = np.random.default_rng(18)
    W = rng.integers(-3, 4, size=(30, 30))
    np.fill_diagonal(W, 0)
    b = rng.integers(-2, 3, size=30)
    net = Hopfield(W, bias=b, allow_asymmetric=True)
    assert not net.symmetric and net.exact
    np.testing.assert_array_equal(net.weights, W)
    probes = 2 * rng.integers(0, 2, size=(20, 30)) - 1
    r = net.recall(probes, mode="sync")
    for got, want in zip((r.states, r.converged, r.sweeps, r.cycle),
                         numpy_sync(W, b, probes)):
        np.testing.assert_array_equal(got, want)
    ref_e = np.array([-0.5 * s @ W @ s + b @ s for s in probes])
    np.testing.assert_allclose(net.energy(probes), ref_e)
    ra = net.recall(probes, mode="async", seed=0, max_sweeps=50)  # runs; nothing promised
    assert ra.states.shape == probes.shape


# ------------------------------------------------------------------ exact ties

def tie_heavy_case():
    # p = 4 patterns on N = 61: random probes meet hundreds of fields that are exactly
    # zero, and computed from the real weights P^T P / N in floating point most of them
    # come out as +-1e-17 instead (the bug the issue reports).
    P = patterns(4, 61, 19)
    probes = patterns(200, 61, 20)
    fields = probes @ hebbian_int(P)
    naive = probes @ (hebbian_int(P) / 61)
    assert np.sum(fields == 0) > 300 and np.sum((fields == 0) & (naive != 0)) > 300
    return P, probes


def test_batched_recall_equals_per_probe_recall_exactly():
    P, probes = tie_heavy_case()
    for rule in RULES:
        net = Hopfield.from_patterns(P, rule=rule)
        batch = net.recall(probes, mode="sync")
        for k in range(0, 200, 7):
            one = net.recall(probes[k], mode="sync")
            np.testing.assert_array_equal(one.states, batch.states[k])
            assert (one.sweeps, one.converged, one.cycle) == \
                (batch.sweeps[k], batch.converged[k], batch.cycle[k])
        # async: probe k draws the stream (seed, k) whatever the batch size
        full = net.recall(probes, mode="async", seed=5)
        part = net.recall(probes[:37], mode="async", seed=5)
        np.testing.assert_array_equal(part.states, full.states[:37])
        np.testing.assert_array_equal(part.sweeps, full.sweeps[:37])
        np.testing.assert_array_equal(net.recall(probes[0], mode="async", seed=5).states,
                                      full.states[0])


def test_ties_keep_the_bit_exactly():
    P, probes = tie_heavy_case()
    net = Hopfield.from_patterns(P)
    ref = numpy_sync(hebbian_int(P), 0, probes)
    np.testing.assert_array_equal(net.recall(probes, mode="sync").states, ref[0])
    # the same network from its real weights P^T P / N (not integers: the tie tolerance)
    real = Hopfield(net.weights)
    assert not real.exact and 0 < real.tie_tol < 1e-6
    np.testing.assert_array_equal(real.recall(probes, mode="sync").states, ref[0])
    # one synchronous step: a zero field keeps the bit, every other field sets its sign
    step = net.recall(probes, mode="sync", max_sweeps=1).states
    fields = probes @ hebbian_int(P)
    np.testing.assert_array_equal(step, np.where(fields == 0, probes, np.sign(fields)))


# ------------------------------------------------------------------ randomness and threads

def test_async_seeded_reproducible_and_thread_independent():
    P = patterns(30, 200, 21)
    net = Hopfield.from_patterns(P)
    probes = flipped(P, 0.3, 22)
    before = numba.get_num_threads()
    try:
        out = {}
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            for T in (0.0, 0.05):
                out[threads, T] = net.recall(probes, mode="async", seed=123, temperature=T,
                                             max_sweeps=20)
    finally:
        numba.set_num_threads(before)
    for T in (0.0, 0.05):
        a, b = out[1, T], out[max(k for k, _ in out), T]
        np.testing.assert_array_equal(a.states, b.states)
        np.testing.assert_array_equal(a.sweeps, b.sweeps)
    again = net.recall(probes, mode="async", seed=123)
    np.testing.assert_array_equal(again.states, out[1, 0.0].states)
    other = net.recall(probes, mode="async", seed=124, temperature=0.05, max_sweeps=20)
    assert not np.array_equal(other.states, out[1, 0.05].states)
    # seed=None draws one and reports it, so the run can be repeated
    r = net.recall(probes, mode="async")
    np.testing.assert_array_equal(net.recall(probes, mode="async", seed=r.seed).states,
                                  r.states)
    # a numpy Generator is accepted as a seed source
    g1 = net.recall(probes, seed=np.random.default_rng(1)).states
    g2 = net.recall(probes, seed=np.random.default_rng(1)).states
    np.testing.assert_array_equal(g1, g2)


def test_glauber_acceptance_probability():
    # No couplings: every field is -b_i whatever the state, so after one sweep each bit is
    # +1 with probability 1 / (1 + exp(-2 h / T)), independently.
    K, T = 20000, 1.0
    b = np.array([0.3, -0.5, 0.0])
    net = Hopfield(np.zeros((3, 3)), bias=b)
    want = 1.0 / (1.0 + np.exp(-2.0 * (-b) / T))
    for mode in ("sync", "async"):
        r = net.recall(-np.ones((K, 3)), mode=mode, max_sweeps=1, seed=7, temperature=T)
        freq = (r.states == 1).mean(axis=0)
        sigma = np.sqrt(want * (1 - want) / K)
        assert np.all(np.abs(freq - want) < 5 * sigma), (mode, freq, want)
    # Hebbian storage (fields kept times N inside): the real-valued field counts.
    # One pattern xi on N = 3: at s = xi, h_0 = (2/3) xi_0.
    xi = np.array([1, -1, 1])
    net = Hopfield.from_patterns([xi])
    r = net.recall(np.tile(xi, (K, 1)), mode="sync", max_sweeps=1, seed=8, temperature=0.5)
    p_keep = 1.0 / (1.0 + math.exp(-2.0 * (2.0 / 3.0) / 0.5))
    freq = (r.states[:, 0] == xi[0]).mean()
    assert abs(freq - p_keep) < 5 * math.sqrt(p_keep * (1 - p_keep) / K)


def test_high_temperature_does_not_settle_and_says_so():
    P = patterns(5, 100, 23)
    r = Hopfield.from_patterns(P).recall(P, mode="async", seed=0, temperature=10.0,
                                         max_sweeps=5)
    assert not r.converged.any() and (r.sweeps == 5).all()
    assert np.abs(r.overlaps(P)).mean() < 0.4


# ------------------------------------------------------------------ graphs

def test_from_graph_equals_from_patterns():
    P = patterns(6, 30, 24)
    by_p = Hopfield.from_patterns(P)
    names = [f"n{i}" for i in range(30)]
    # the graph of the real weights, back into a network: same weights, same recall
    G = by_p.to_graph()
    assert sorted(G.nodes) == sorted(range(30)) and all(d["bias"] == 0 for _, d in
                                                           G.nodes(data=True))
    by_g = Hopfield.from_graph(G)
    np.testing.assert_array_equal(by_g.weights, by_p.weights)
    probes = patterns(40, 30, 25)
    for mode in ("sync", "async"):
        np.testing.assert_array_equal(by_g.recall(probes, mode=mode, seed=2).states,
                                      by_p.recall(probes, mode=mode, seed=2).states)
    # a graph of the integer sums, nodes named and inserted in a scrambled order
    C = hebbian_int(P)
    order = np.random.default_rng(26).permutation(30)
    H = nx.Graph()
    H.add_nodes_from(names[i] for i in order)
    H.add_weighted_edges_from((names[i], names[j], int(C[i, j]))
                              for i in range(30) for j in range(i + 1, 30) if C[i, j])
    net = Hopfield.from_graph(H)
    assert net.nodes == [names[i] for i in order] and net.exact
    np.testing.assert_array_equal(net.weights, C[np.ix_(order, order)])
    np.testing.assert_array_equal(net.recall(probes[:, order], mode="sync").states,
                                  by_p.recall(probes, mode="sync").states[:, order])
    assert net.energy(P[:, order]) == pytest.approx(30 * by_p.energy(P))


def test_graph_bias_round_trip():
    G = nx.Graph()
    G.add_node("a", bias=1.5)
    G.add_node("b")
    G.add_node("c", bias=-2)
    G.add_edge("a", "b", weight=0.5)
    G.add_edge("b", "c", weight=-1.0)
    net = Hopfield.from_graph(G)
    assert net.nodes == ["a", "b", "c"]
    np.testing.assert_array_equal(net.bias, [1.5, 0.0, -2.0])
    back = Hopfield.from_graph(net.to_graph())
    np.testing.assert_array_equal(back.weights, net.weights)
    np.testing.assert_array_equal(back.bias, net.bias)


# ------------------------------------------------------------------ bad input

NET6 = Hopfield.from_patterns([[1, -1, 1, -1, 1, -1]])
W_NAN = np.array([[0.0, np.nan], [np.nan, 0.0]])
W_ASYM = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
W_DIAG = np.array([[0.0, 1.0], [1.0, 2.0]])
DIGRAPH = nx.DiGraph([("a", "b")])
LOOP = nx.Graph()
LOOP.add_edge("a", "a", weight=1.0)
NOWEIGHT = nx.Graph([("a", "b")])


@pytest.mark.parametrize("call, match", [
    (lambda: Hopfield.from_patterns([[1, -1, 2], [1, 1, 1]]),
     r"pattern 0, index 2 has value 2"),
    (lambda: Hopfield.from_patterns([[1, 1, 1], [1, 0, -1]]),
     r"bipolar.*pattern 1, index 1 has value 0"),
    (lambda: Hopfield.from_patterns([[1, -1, np.nan]]), r"index 2 has value nan"),
    (lambda: Hopfield.from_patterns([["a", "b"]]), r"dtype"),
    (lambda: Hopfield.from_patterns([[1, -1]], rule="oja"), r"unknown rule 'oja'"),
    (lambda: NET6.recall(np.ones(7)), r"width 7.*6 neurons"),
    (lambda: NET6.recall(np.ones((3, 5))), r"width 5.*6 neurons"),
    (lambda: NET6.recall([1, -1, 0.5, 1, 1, 1]), r"index 2 has value 0.5"),
    (lambda: NET6.recall([[1, -1, 1, 1, 1, 1], [1, -1, 3, 1, 1, 1]]),
     r"probe 1, index 2 has value 3"),
    (lambda: NET6.recall(np.ones((2, 2, 6))), r"shape \(N,\) or \(K, N\)"),
    (lambda: NET6.energy(np.ones(4)), r"width 4"),
    (lambda: NET6.recall(np.ones(6), mode="parallel"), r"mode must be"),
    (lambda: NET6.recall(np.ones(6), max_sweeps=0), r"max_sweeps"),
    (lambda: NET6.recall(np.ones(6), temperature=-1.0), r"temperature"),
    (lambda: NET6.recall(np.ones(6), temperature=np.nan), r"temperature"),
    (lambda: NET6.recall(np.ones(6), seed=-1), r"seed"),
    (lambda: NET6.recall(np.ones(6), seed="x"), r"seed"),
    (lambda: Hopfield(W_NAN), r"W\[0, 1\] = nan is not finite"),
    (lambda: Hopfield(W_ASYM), r"not symmetric: W\[0, 1\] = 1.0 but W\[1, 0\] = 2.0"
                               r".*allow_asymmetric=True"),
    (lambda: Hopfield(W_DIAG), r"W\[1, 1\] = 2.0.*diagonal must be zero"),
    (lambda: Hopfield(W_DIAG, allow_asymmetric=True), r"W\[1, 1\] = 2.0"),
    (lambda: Hopfield(np.zeros((2, 3))), r"square.*\(2, 3\)"),
    (lambda: Hopfield(np.zeros((2, 2)), bias=[1, 2, 3]), r"bias"),
    (lambda: Hopfield(np.zeros((2, 2)), bias=[1, np.inf]), r"bias of node 1"),
    (lambda: Hopfield(np.zeros((2, 2)), nodes=["a"]), r"nodes"),
    (lambda: Hopfield(np.zeros((2, 2)), tie_tol=-1), r"tie_tol"),
    (lambda: Hopfield.from_graph(DIGRAPH), r"undirected"),
    (lambda: Hopfield.from_graph(LOOP), r"self-loop on node 'a'"),
    (lambda: Hopfield.from_graph(NOWEIGHT), r"edge 'a' - 'b' has no 'weight'"),
    (lambda: Hopfield.from_graph(nx.Graph()), r"no nodes"),
    (lambda: capacity_curve(100, [0.1, -0.1]), r"alphas\[1\]"),
    (lambda: capacity_curve(100, [0.1], rule="x"), r"unknown rule"),
    (lambda: capacity_curve(100, [0.1], noise=0.7), r"noise"),
    (lambda: capacity_curve(1, [0.1]), r"N must be"),
    (lambda: capacity_curve(100, [0.1], n_trials=0), r"n_trials"),
    (lambda: capacity_curve(100, [0.1], mode="x"), r"mode"),
])
def test_bad_input_names_the_problem(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_nearly_symmetric_real_weights_are_symmetrised():
    P = patterns(5, 40, 27).astype(float)
    W = P.T @ P / 40
    np.fill_diagonal(W, 0.0)
    W[0, 1] += 1e-15  # rounding-sized asymmetry, as a user's own computation may leave
    net = Hopfield(W)
    assert net.symmetric
    np.testing.assert_array_equal(net.weights, net.weights.T)


# ------------------------------------------------------------------ result shapes

def test_single_probe_returns_unbatched_fields():
    P = patterns(2, 50, 28)
    net = Hopfield.from_patterns(P)
    r = net.recall(flipped(P, 0.1, 29)[0], mode="async", seed=0, return_energy=True)
    assert r.states.shape == (50,) and r.states.dtype == np.int8
    assert isinstance(r.converged, bool) and isinstance(r.sweeps, int)
    assert isinstance(r.cycle, bool) and r.energy.shape == (r.sweeps + 1,)
    assert r.overlaps(P[0]) == 1.0
    rb = net.recall(P, mode="sync")
    assert rb.states.shape == (2, 50) and rb.converged.shape == (2,) and rb.energy is None
    assert rb.seed is None  # deterministic: no seed used


def test_one_compiled_kernel_per_float_type_and_pickling():
    import pickle

    from neurodyn import _kernels_hopfield as K

    nets = [Hopfield.from_patterns(patterns(3, 20, 30)),            # float32, from patterns
            Hopfield.from_patterns(patterns(15, 20, 30)),           # float32, from W
            Hopfield(np.zeros((4, 4)), bias=[1, 0, 0, 2]),          # float32 with bias
            Hopfield.from_patterns(patterns(3, 20, 31), rule="storkey")]  # float64
    for net in nets:
        net.recall(np.ones(net.n), mode="sync")
        net.recall(np.ones(net.n), mode="async", seed=0)
    counts = (len(K.recall_sync.signatures), len(K.recall_async.signatures))
    for net in nets:
        back = pickle.loads(pickle.dumps(net))
        assert not back.weights.flags.writeable
        probes = patterns(5, net.n, 32)
        np.testing.assert_array_equal(back.recall(probes, seed=1).states,
                                      net.recall(probes, seed=1).states)
        back.recall(probes, mode="sync")
    assert (len(K.recall_sync.signatures), len(K.recall_async.signatures)) == counts
    assert counts[0] <= 2 and counts[1] <= 2


# ------------------------------------------------------------------ capacity

@pytest.mark.parametrize("rule", RULES)
def test_capacity_all_rules_store_at_low_load(rule):
    c = capacity_curve(500, [0.05], rule=rule)
    assert c.p.tolist() == [25]
    assert c.stable[0] == 1.0 and c.overlap[0] == 1.0 and c.recalled[0] == 1.0


def test_hebbian_capacity_drops_between_0_1_and_0_2():
    # Amit, Gutfreund & Sompolinsky: retrieval is lost at alpha_c ~ 0.138 (large N).
    c = capacity_curve(500, [0.05, 0.25], rule="hebbian", noise=0.0, n_trials=2, seed=1)
    assert c.overlap[0] > 0.95 and c.overlap[1] < 0.8
    assert c.stable[0] > 0.95 and c.stable[1] < 0.05
    ca = capacity_curve(300, [0.05, 0.25], mode="async", seed=2)
    assert ca.overlap[0] > 0.95 and ca.overlap[1] < 0.8


def test_capacity_is_seeded_and_rules_rank_as_known():
    a = capacity_curve(200, [0.2], noise=0.1, n_trials=2, seed=3)
    b = capacity_curve(200, [0.2], noise=0.1, n_trials=2, seed=3)
    c = capacity_curve(200, [0.2], noise=0.1, n_trials=2, seed=4)
    np.testing.assert_array_equal(a.overlap, b.overlap)
    assert a.overlap[0] != c.overlap[0]
    # at alpha = 0.2 Hebbian storage has failed; Storkey and the projection rule have not
    s = capacity_curve(200, [0.2], rule="storkey", noise=0.1, n_trials=2, seed=3)
    pi = capacity_curve(200, [0.2], rule="pseudoinverse", noise=0.1, n_trials=2, seed=3)
    assert a.overlap[0] < 0.9 < s.overlap[0] and pi.overlap[0] > 0.9
    assert "alpha" in a.table()


# ------------------------------------------------------------------ docs

@pytest.mark.parametrize("module", [neurodyn.hopfield, neurodyn.capacity])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ examples

def run_example(name, *args):
    import pathlib
    import subprocess
    import sys

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / name
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True,
                          check=True, timeout=300).stdout


def test_letters_example(tmp_path):
    out = run_example("hopfield_letters.py", "--out", str(tmp_path / "letters.png"))
    assert "pseudoinverse: 7 of 7 letters are fixed points; recalled exactly: 7 of 7" in out
    assert "hebbian:" in out and (tmp_path / "letters.png").stat().st_size > 10000


def test_capacity_example(tmp_path):
    out = run_example("hopfield_capacity.py", "--trials", "1", "--out",
                      str(tmp_path / "capacity.png"))
    best = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()
            if line.startswith("  ") and len(line.split()) == 2}
    assert 0.1 <= best["hebbian"] <= 0.15
    assert best["storkey"] >= 0.3 and best["pseudoinverse"] >= 0.4
    assert (tmp_path / "capacity.png").stat().st_size > 10000
