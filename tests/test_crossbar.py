"""Crossbar: the conductance mapping, each non-ideality, IR drop against hand-derived closed forms
and an independent resistor-network solve, and recall against neurodyn.Hopfield."""
import importlib.util
import pathlib

import numpy as np
import pytest

from circuits.crossbar import Crossbar, crossbar_recall, grid_matrix
from neurodyn.hopfield import Hopfield

G_MIN, G_MAX = 1e-6, 1e-4


def rand_w(shape, seed):
    return np.random.default_rng(seed).normal(0.0, 1.0, shape)


# --------------------------------------------------------------------- mapping, ideal devices


def test_ideal_crossbar_computes_W_v_and_offsets_cancel():
    W = rand_w((5, 7), 0)
    xb = Crossbar.from_weights(W, g_min=G_MIN, g_max=G_MAX)
    scale = (G_MAX - G_MIN) / np.abs(W).max()
    assert xb.scale == pytest.approx(scale, rel=1e-15)
    # The documented mapping, entry by entry.
    np.testing.assert_allclose(xb.g_plus, G_MIN + scale * np.maximum(W, 0), rtol=1e-15)
    np.testing.assert_allclose(xb.g_minus, G_MIN + scale * np.maximum(-W, 0), rtol=1e-15)
    assert xb.g_plus.min() >= G_MIN and max(xb.g_plus.max(), xb.g_minus.max()) <= G_MAX
    V = np.random.default_rng(1).normal(size=(4, 7))
    np.testing.assert_allclose(xb.matvec(V), V @ W.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xb.matvec(V[0]), W @ V[0], rtol=1e-12, atol=1e-12)
    # Raw currents are Ohm's law on each array; each carries the g_min offset sum(v) g_min.
    Ip, Im = xb.currents(V[0])
    np.testing.assert_allclose(Ip, xb.g_plus @ V[0], rtol=1e-14)
    np.testing.assert_allclose(Ip - Im, scale * (W @ V[0]), rtol=1e-10, atol=1e-18)


def test_w_max_and_bad_input_are_named():
    W = np.array([[0.5, -2.0]])
    xb = Crossbar.from_weights(W, w_max=4.0)
    assert xb.g_minus[0, 1] == pytest.approx(G_MIN + 0.5 * (G_MAX - G_MIN))
    with pytest.raises(ValueError, match=r"W\[0, 1\] = -2.0 exceeds w_max"):
        Crossbar.from_weights(W, w_max=1.0)
    with pytest.raises(ValueError, match=r"W\[0, 0\] = nan"):
        Crossbar.from_weights([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="g_max must exceed g_min"):
        Crossbar.from_weights(W, g_min=1e-4, g_max=1e-6)
    with pytest.raises(ValueError, match="levels must be an integer >= 2"):
        Crossbar.from_weights(W, levels=1)
    with pytest.raises(ValueError, match="stuck_off must be in"):
        Crossbar.from_weights(W, stuck_off=1.5)
    with pytest.raises(ValueError, match="exceeds 1"):
        Crossbar.from_weights(W, stuck_off=0.6, stuck_on=0.6)
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(K, 2\)"):
        xb.matvec([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"g_minus\[0, 0\] = -1.0"):
        Crossbar([[1.0]], [[-1.0]], 1.0)
    with pytest.raises(ValueError, match="2-D"):
        Crossbar.from_weights([1.0, 2.0])


# --------------------------------------------------------------------- programming non-idealities


@pytest.mark.parametrize("levels", [2, 3, 5, 16])
def test_quantised_conductances_are_on_the_grid_and_nearest(levels):
    W = rand_w((6, 9), 2)
    xb = Crossbar.from_weights(W, levels=levels)
    step = (G_MAX - G_MIN) / (levels - 1)
    for G, target in ((xb.g_plus, xb.target_plus), (xb.g_minus, xb.target_minus)):
        k = (G - G_MIN) / step
        np.testing.assert_allclose(k, np.rint(k), atol=1e-9)       # on a level
        assert k.min() > -1e-9 and k.max() < levels - 1 + 1e-9       # inside the range
        assert np.abs(G - target).max() <= step / 2 * (1 + 1e-9)  # the nearest level


def test_many_levels_converge_to_the_ideal_product():
    W = rand_w((6, 9), 3)
    v = np.random.default_rng(4).normal(size=9)
    errs = []
    for levels in (3, 17, 257, 65537):
        xb = Crossbar.from_weights(W, levels=levels)
        err = np.abs(xb.weights() - W).max()
        # Each of G+ and G- is off by at most half a step, so W by one step in weight units.
        assert err <= np.abs(W).max() / (levels - 1) * (1 + 1e-9)
        errs.append(np.abs(xb.matvec(v) - W @ v).max())
    assert errs[-1] < 1e-4 * np.abs(W @ v).max() and errs == sorted(errs, reverse=True)


def test_stuck_at_fractions_are_exact_counts_and_values():
    W = rand_w((20, 30), 5)
    xb = Crossbar.from_weights(W, stuck_off=0.1, stuck_on=0.05, seed=6)
    n_dev = 2 * 20 * 30
    assert xb.faults.shape == (2, 20, 30)
    assert (xb.faults == -1).sum() == round(0.1 * n_dev)
    assert (xb.faults == 1).sum() == round(0.05 * n_dev)
    G = np.stack([xb.g_plus, xb.g_minus])
    assert np.all(G[xb.faults == -1] == G_MIN) and np.all(G[xb.faults == 1] == G_MAX)
    ok = xb.faults == 0
    T = np.stack([xb.target_plus, xb.target_minus])
    np.testing.assert_array_equal(G[ok], T[ok])
    # Faults land on both arrays, roughly in proportion (1200 devices, 180 faults).
    assert 40 < (xb.faults[0] != 0).sum() < 140


def test_variation_is_lognormal_with_the_requested_spread():
    W = rand_w((100, 100), 7)
    sigma = 0.3
    xb = Crossbar.from_weights(W, variation=sigma, seed=8)
    r = np.log(np.concatenate([(xb.g_plus / xb.target_plus).ravel(),
                               (xb.g_minus / xb.target_minus).ravel()]))
    n = r.size  # 20000 devices
    assert abs(r.mean()) < 5 * sigma / np.sqrt(n)
    assert abs(r.std() / sigma - 1) < 5 / np.sqrt(2 * n)
    # Gaussian in the log: about 68.3 % within one sigma.
    assert abs(np.mean(np.abs(r) < sigma) - 0.6827) < 5 * np.sqrt(0.68 * 0.32 / n)


def test_read_noise_has_the_documented_mean_and_variance():
    W = rand_w((3, 4), 9)
    s = 0.2
    xb = Crossbar.from_weights(W, read_noise=s, seed=10)
    v = np.array([0.3, -0.2, 0.5, 0.1])
    K = 40000
    Ip, Im = xb.currents(np.tile(v, (K, 1)))  # K reads, each with fresh noise
    for I, G in ((Ip, xb.g_plus), (Im, xb.g_minus)):
        mean, sd = G @ v, s * np.sqrt((G * G) @ (v * v))
        assert np.all(np.abs(I.mean(axis=0) - mean) < 5 * sd / np.sqrt(K))
        assert np.all(np.abs(I.std(axis=0) / sd - 1) < 5 / np.sqrt(2 * K))
    # Successive reads differ; a passed Generator makes a read reproducible.
    assert not np.array_equal(xb.matvec(v), xb.matvec(v))
    a = xb.matvec(v, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, xb.matvec(v, rng=np.random.default_rng(1)))


def test_same_seed_same_crossbar_and_reads_and_independent_streams():
    W = rand_w((8, 8), 11)
    kw = dict(levels=8, variation=0.2, stuck_off=0.05, stuck_on=0.05, read_noise=0.1)
    a, b = Crossbar.from_weights(W, seed=12, **kw), Crossbar.from_weights(W, seed=12, **kw)
    for name in ("g_plus", "g_minus", "faults"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    v = np.ones(8)
    for _ in range(3):
        np.testing.assert_array_equal(a.matvec(v), b.matvec(v))
    c = Crossbar.from_weights(W, seed=13, **kw)
    assert not np.array_equal(a.g_plus, c.g_plus)
    # Changing one strength leaves the other non-idealities' draws unchanged.
    d = Crossbar.from_weights(W, seed=12, **{**kw, "variation": 0.4})
    np.testing.assert_array_equal(d.faults, a.faults)


# --------------------------------------------------------------------- wire resistance (IR drop)


def test_one_input_two_outputs_matches_closed_form():
    """n_in = 1, n_out = 2 (W of shape (2, 1)), segment resistance r.

    The source v drives the input line through one segment to node a (cell 0), then one more
    segment to node b (cell 1), where the line ends. Cell i's device G_i joins the input line
    to output line i, whose node reaches virtual ground through one segment (n_in = 1).
    Branch from a through cell 0 to ground: G_0 in series with r, conductance
    g_0 = 1 / (1/G_0 + r). Branch from a to b and through cell 1: r + 1/G_1 + r, conductance
    g_1 = 1 / (2 r + 1/G_1). With G_a = g_0 + g_1, the divider source - r - G_a gives
    V_a = v / (1 + r G_a); the sensed currents are I_0 = g_0 V_a and I_1 = g_1 V_a.
    """
    G0, G1, r, v = 3e-4, 7e-4, 50.0, 0.8
    A, B, S = grid_matrix([[G0], [G1]], r)
    x = np.linalg.solve(A.toarray(), B.toarray() @ [v])
    I = S @ x
    g0, g1 = 1 / (1 / G0 + r), 1 / (2 * r + 1 / G1)
    Va = v / (1 + r * (g0 + g1))
    np.testing.assert_allclose(I, [g0 * Va, g1 * Va], rtol=1e-12)
    # The same through the Crossbar (plus array only; minus holds zero conductance).
    xb = Crossbar([[G0], [G1]], [[0.0], [0.0]], 1.0, r_wire=r)
    np.testing.assert_allclose(xb.currents([v])[0], [g0 * Va, g1 * Va], rtol=1e-12)
    # Input-line nodes: a at V_a, b lower by the drop r I_1 across the segment between them.
    np.testing.assert_allclose(xb.node_voltages([v])[0][0, 0], [Va, Va - r * g1 * Va],
                               rtol=1e-12)


def test_two_inputs_one_output_matches_closed_form():
    """n_in = 2, n_out = 1 (W of shape (1, 2)).

    Input j: source v_j - segment r - device G_j - output-line node c_j. The output line runs
    c_0 - r - c_1 - r - virtual ground; c_0 is its open end. So the path v_0 - r - G_0 - c_0 -
    r - c_1 is one series branch of conductance k_0 = 1 / (2 r + 1/G_0) into c_1, and
    v_1 - r - G_1 - c_1 one of h_1 = 1 / (r + 1/G_1). KCL at c_1:
    k_0 (v_0 - c_1) + h_1 (v_1 - c_1) = c_1 / r, so c_1 = (k_0 v_0 + h_1 v_1) / (k_0 + h_1 + 1/r),
    and the sensed current is I = c_1 / r.
    """
    G0, G1, r = 4e-4, 9e-4, 120.0
    v = np.array([0.7, -0.3])
    k0, h1 = 1 / (2 * r + 1 / G0), 1 / (r + 1 / G1)
    c1 = (k0 * v[0] + h1 * v[1]) / (k0 + h1 + 1 / r)
    xb = Crossbar([[G0, G1]], [[0.0, 0.0]], 1.0, r_wire=r)
    np.testing.assert_allclose(xb.currents(v)[0], [c1 / r], rtol=1e-12)


def independent_grid_currents(G, r, v):
    """The same circuit built as an explicit list of named resistors and solved densely:
    an implementation that shares nothing with grid_matrix."""
    n_out, n_in = G.shape
    nodes = [("row", j, i) for j in range(n_in) for i in range(n_out)] + \
            [("col", j, i) for j in range(n_in) for i in range(n_out)]
    index = {name: k for k, name in enumerate(nodes)}
    resistors = []  # (node a, node b or a fixed voltage, conductance)
    for j in range(n_in):
        resistors.append((("row", j, 0), ("src", v[j]), 1 / r))
        for i in range(n_out - 1):
            resistors.append((("row", j, i), ("row", j, i + 1), 1 / r))
    for i in range(n_out):
        for j in range(n_in - 1):
            resistors.append((("col", j, i), ("col", j + 1, i), 1 / r))
        resistors.append((("col", n_in - 1, i), ("src", 0.0), 1 / r))
    for j in range(n_in):
        for i in range(n_out):
            resistors.append((("row", j, i), ("col", j, i), G[i, j]))
    M = np.zeros((len(nodes), len(nodes)))
    rhs = np.zeros(len(nodes))
    for a, b, g in resistors:
        ia = index[a]
        M[ia, ia] += g
        if b[0] == "src":
            rhs[ia] += g * b[1]
        else:
            ib = index[b]
            M[ib, ib] += g
            M[ia, ib] -= g
            M[ib, ia] -= g
    x = np.linalg.solve(M, rhs)
    return np.array([x[index[("col", n_in - 1, i)]] / r for i in range(n_out)]), x, index


def test_grid_matches_an_independent_nodal_solve_and_kcl_holds():
    W = rand_w((3, 4), 14)
    r = 25.0
    xb = Crossbar.from_weights(W, r_wire=r)
    v = np.array([0.2, -0.4, 0.1, 0.3])
    Ip, Im = xb.currents(v)
    ref_p, x_ref, index = independent_grid_currents(np.asarray(xb.g_plus), r, v)
    ref_m, _, _ = independent_grid_currents(np.asarray(xb.g_minus), r, v)
    np.testing.assert_allclose(Ip, ref_p, rtol=1e-10)
    np.testing.assert_allclose(Im, ref_m, rtol=1e-10)
    # KCL for the whole array: what the sources push in leaves through the sense amplifiers.
    x = xb.node_voltages(v)[0]
    source_currents = (v - x[0, :, 0]) / r
    assert source_currents.sum() == pytest.approx(Ip.sum(), rel=1e-10)
    # KCL at every cell: the device current leaving the input line equals what the output
    # line carries on, and the node voltages agree with the independent solve.
    np.testing.assert_allclose(x[0, 2, 1], x_ref[index[("row", 2, 1)]], rtol=1e-10)
    dev = np.asarray(xb.g_plus).T * (x[0] - x[1])         # (j, i): current through each device
    col_flow = np.vstack([np.zeros((1, 3)), -np.diff(x[1], axis=0) / r])  # into (j,i) from above
    out_flow = np.vstack([-np.diff(x[1], axis=0) / r, x[1][-1:] / r])     # leaving downwards
    np.testing.assert_allclose(dev + col_flow, out_flow, rtol=1e-9, atol=1e-15)


def test_ir_drop_converges_to_the_ideal_product_as_r_wire_vanishes():
    W = rand_w((6, 5), 15)
    v = np.random.default_rng(16).normal(size=5)
    ideal = W @ v
    errs = []
    for r in (100.0, 10.0, 1.0, 0.1, 0.01):
        errs.append(np.abs(Crossbar.from_weights(W, r_wire=r).matvec(v) - ideal).max())
    assert errs == sorted(errs, reverse=True)
    # First order in r: each tenfold smaller r gives a tenfold smaller error.
    ratios = np.array(errs[1:]) / np.array(errs[:-1])
    np.testing.assert_allclose(ratios[1:], 0.1, rtol=0.05)
    assert errs[-1] < 1e-4 * np.abs(ideal).max()


def test_batch_reads_with_wires_equal_single_reads():
    W = rand_w((4, 6), 17)
    xb = Crossbar.from_weights(W, r_wire=30.0)
    V = np.random.default_rng(18).normal(size=(5, 6))
    batch = xb.matvec(V)
    for k in range(5):
        np.testing.assert_allclose(batch[k], xb.matvec(V[k]), rtol=1e-13, atol=1e-15)
        x = xb.node_voltages(V[k])
        Ip = x[0][1, -1, :] / 30.0
        np.testing.assert_allclose(Ip, xb.currents(V[k])[0], rtol=1e-10)


# --------------------------------------------------------------------- Hopfield recall


def probes_for(P, n_probes, flip, seed):
    rng = np.random.default_rng(seed)
    S = P[np.arange(n_probes) % P.shape[0]].copy()
    for row in S:
        row[rng.choice(S.shape[1], int(flip * S.shape[1]), replace=False)] *= -1
    return S


@pytest.mark.parametrize("p", [4, 12])
def test_ideal_crossbar_recall_equals_hopfield_sync_recall(p):
    N = 60
    P = np.random.default_rng(19).choice(np.array([-1, 1], np.int8), (p, N))
    net = Hopfield.from_patterns(P)
    S = probes_for(P, 80, 0.25, 20)
    ref = net.recall(S, mode="sync", max_sweeps=50)
    res, xb = crossbar_recall(net, S, max_sweeps=50)
    np.testing.assert_array_equal(res.states, ref.states)
    np.testing.assert_array_equal(res.converged, ref.converged)
    np.testing.assert_array_equal(res.cycle, ref.cycle)
    np.testing.assert_array_equal(res.sweeps, ref.sweeps)
    if p == 12:
        assert ref.cycle.any() and (~ref.converged).any()  # the 2-cycle rule is exercised


def test_recall_with_bias_and_real_weights_equals_hopfield():
    rng = np.random.default_rng(21)
    A = rng.normal(size=(12, 12))
    W = A + A.T
    np.fill_diagonal(W, 0.0)
    b = rng.normal(0.0, 0.5, 12)
    net = Hopfield(W, bias=b)
    S = rng.choice(np.array([-1, 1]), (30, 12))
    ref = net.recall(S, mode="sync")
    res, _ = crossbar_recall(net, S)
    np.testing.assert_array_equal(res.states, ref.states)
    np.testing.assert_array_equal(res.sweeps, ref.sweeps)


def test_strong_faults_degrade_recall_and_seeded_recall_repeats():
    N, p = 60, 6
    P = np.random.default_rng(22).choice(np.array([-1, 1], np.int8), (p, N))
    net = Hopfield.from_patterns(P)
    S = probes_for(P, 60, 0.2, 23)
    target = P[np.arange(60) % p]
    digital = net.recall(S, mode="sync").overlaps(target).mean()
    ideal = crossbar_recall(net, S)[0].overlaps(target).mean()
    faulty = crossbar_recall(net, S, stuck_on=0.3, seed=1)[0].overlaps(target).mean()
    assert ideal == digital > 0.95 and faulty < ideal - 0.2
    a = crossbar_recall(net, S, read_noise=0.5, variation=0.3, seed=5)[0]
    b = crossbar_recall(net, S, read_noise=0.5, variation=0.3, seed=5)[0]
    np.testing.assert_array_equal(a.states, b.states)


def test_recall_input_errors():
    xb = Crossbar.from_weights(rand_w((3, 4), 0))
    with pytest.raises(ValueError, match="square weight matrix"):
        xb.recall([1, -1, 1, 1])
    net = Hopfield.from_patterns([[1, -1, 1, -1]])
    with pytest.raises(ValueError, match="width 3"):
        crossbar_recall(net, [1, -1, 1])
    with pytest.raises(TypeError, match="Hopfield"):
        crossbar_recall(np.eye(2), [1, 1])


def test_degradation_example_runs_small():
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "crossbar_recall.py"
    spec = importlib.util.spec_from_file_location("crossbar_recall_example", path)
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    rows = ex.degradation_table(N=40, p=3, n_probes=12, flip=0.1, n_arrays=1,
                                sweeps=[("levels", [None, 2]), ("stuck_on", [0.0, 0.4])])
    assert [r[:2] for r in rows] == [("levels", None), ("levels", 2), ("stuck_on", 0.0),
                                     ("stuck_on", 0.4)]
    assert rows[0][2] == rows[0][4]  # the ideal crossbar is the digital network
    assert rows[3][2] < rows[2][2]   # 40 % of devices stuck on ruins recall
