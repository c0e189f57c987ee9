"""Trained-network analysis: the Elman RNN map against torch.nn.RNN, linearize / slow_modes /
slow_manifold on systems whose answers are known exactly, and the 3-bit flip-flop example
(Sussillo & Barak 2013): eight stable fixed points, one per output corner, and saddles."""
import importlib.util
import pathlib
import pickle

import numpy as np
import pytest

import solvers
from neurodyn import analysis
from neurodyn.analysis import linearize, slow_manifold, slow_modes
from neurodyn.cells.rnn import RNN


# --------------------------------------------------------------- kernels with known answers

def linear_step(k, x, p, out):
    """x -> A x."""
    A = p[0]
    for i in range(x.shape[0]):
        s = 0.0
        for j in range(x.shape[0]):
            s += A[i, j] * x[j]
        out[i] = s


def linear_jac(k, x, p, J):
    A = p[0]
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            J[i, j] = A[i, j]


# The engine compiles each kernel on its own (it imports just that name), so the flow's
# kernels repeat the map's loops rather than call them.
def linear_rhs(t, y, p, dydt):
    """dy/dt = A y."""
    A = p[0]
    for i in range(y.shape[0]):
        s = 0.0
        for j in range(y.shape[0]):
            s += A[i, j] * y[j]
        dydt[i] = s


def linear_rhs_jac(t, y, p, J):
    A = p[0]
    for i in range(y.shape[0]):
        for j in range(y.shape[0]):
            J[i, j] = A[i, j]


def ring_rhs(t, y, p, dydt):
    """dr/dt = r (1 - r^2), dtheta/dt = 0 in Cartesian coordinates: every point of the unit
    circle is a fixed point."""
    g = 1.0 - y[0] * y[0] - y[1] * y[1]
    dydt[0] = y[0] * g
    dydt[1] = y[1] * g


def linear_map(A):
    return solvers.MapSystem(linear_step, len(A), params=(np.asarray(A, float),),
                             jac=linear_jac)


def linear_flow(A):
    return solvers.ODESystem(linear_rhs, len(A), params=(np.asarray(A, float),),
                             jac=linear_rhs_jac)


RING = solvers.ODESystem(ring_rhs, 2)


def with_spectrum(eigenvalues, seed=0):
    """A real matrix V diag(lambda) V^-1 (complex pairs as 2x2 rotation-scaling blocks) and
    V, whose columns are the eigenvectors of the real eigenvalues."""
    rng = np.random.default_rng(seed)
    n = len(eigenvalues)
    V = rng.normal(size=(n, n)) + 2 * np.eye(n)
    return V @ np.diag(eigenvalues) @ np.linalg.inv(V), V


# ---------------------------------------------------------------------------- linearize

def test_linearize_map_with_a_known_spectrum():
    lam = np.array([0.5, 1.2, -0.25, 1.0])
    A, V = with_spectrum(lam)
    x = np.array([0.3, -1.0, 2.0, 0.5])      # a linear map has the same Jacobian everywhere
    lin = linearize(linear_map(A), x)
    assert lin.is_map and np.array_equal(lin.x, x)
    np.testing.assert_allclose(lin.jacobian, A, rtol=0, atol=1e-14)
    order = [1, 3, 0, 2]                      # by decreasing modulus
    np.testing.assert_allclose(lin.eigenvalues, lam[order], atol=1e-12)
    for i, col in enumerate(order):           # right eigenvectors: V's columns, unit norm
        v = V[:, col] / np.linalg.norm(V[:, col])
        assert abs(abs(lin.right[:, i] @ v) - 1.0) < 1e-10
    np.testing.assert_allclose(lin.left @ lin.right, np.eye(4), atol=1e-10)
    np.testing.assert_allclose(lin.left @ A, np.diag(lin.eigenvalues) @ lin.left, atol=1e-10)
    keep = [0, 2, 3]
    np.testing.assert_allclose(lin.time_constants[keep], -1.0 / np.log(np.abs(lam[order][keep])),
                               rtol=1e-10)
    assert abs(lin.time_constants[1]) > 1e10  # |lambda| = 1 to rounding: marginal
    assert lin.time_constants[0] < 0          # 1.2 grows
    assert "Linearization(map" in repr(lin) and len(repr(lin)) < 200


def test_linearize_flow_with_a_complex_pair_and_a_fixed_point_object():
    # a stable focus -1 +- 2i and a slow real mode -0.1
    A = np.array([[-1.0, -2.0, 0.0], [2.0, -1.0, 0.0], [0.0, 0.0, -0.1]])
    flow = linear_flow(A)
    pts = analysis.fixed_points(flow, box=1.0, n_starts=4, include_trajectories=False)
    assert len(pts) == 1
    lin = linearize(flow, pts[0])            # a FixedPoint is taken for its x
    # ties in real part: by imaginary part, as fixed_points sorts them
    np.testing.assert_allclose(lin.eigenvalues, [-0.1, -1 - 2j, -1 + 2j], atol=1e-12)
    np.testing.assert_allclose(lin.time_constants, [10.0, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(lin.jacobian @ lin.right, lin.right * lin.eigenvalues,
                               atol=1e-12)
    np.testing.assert_allclose(lin.left @ lin.right, np.eye(3), atol=1e-12)


def test_linearize_defective_jacobian_has_no_left_basis():
    lin = linearize(linear_map([[0.5, 1.0], [0.0, 0.5]]), [0.0, 0.0])   # a Jordan block
    np.testing.assert_allclose(lin.eigenvalues, [0.5, 0.5])
    assert np.all(np.isnan(lin.left))


def test_linearize_bad_input():
    m = linear_map(np.eye(2))
    with pytest.raises(ValueError, match="length 2"):
        linearize(m, [0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="point"):
        linearize(m, "origin")
    with pytest.raises(ValueError, match="finite"):
        linearize(m, [np.nan, 0.0])
    with pytest.raises(TypeError, match="linearize"):
        linearize(np.eye(2), [0.0, 0.0])
    with pytest.raises(ValueError, match="whole number"):
        linearize(m, [0.0, 0.0], t=0.5)


# --------------------------------------------------------------------------- slow_modes

def test_slow_modes_counts_marginal_eigenvalues():
    assert slow_modes([1.0, -1.0, 0.995j + 0.0, 0.5, 1.5], is_map=True) == 3
    assert slow_modes([1.0, -1.0, 0.995j + 0.0, 0.5, 1.5], is_map=True, tol=1e-3) == 2
    assert slow_modes([0.0, 0.3j, -1e-3 + 1j, -1.0, 2.0], is_map=False) == 3
    lin = linearize(linear_map(np.diag([1.0, 0.2])), [0.0, 0.0])
    assert slow_modes(lin) == 1
    pts = analysis.fixed_points(linear_flow(np.diag([-1.0, -2.0])), box=1.0, n_starts=2,
                                include_trajectories=False)
    assert slow_modes(pts[0], is_map=False) == 0


def test_slow_modes_bad_input():
    with pytest.raises(ValueError, match="is_map"):
        slow_modes([1.0, 0.5])
    with pytest.raises(TypeError, match="is_map"):
        slow_modes([1.0], is_map=1)
    with pytest.raises(ValueError, match="tol"):
        slow_modes([1.0], is_map=True, tol=-1.0)
    with pytest.raises(TypeError, match="eigenvalues"):
        slow_modes("1.0", is_map=True)
    with pytest.raises(ValueError, match="not finite"):
        slow_modes([np.inf], is_map=True)
    lin = linearize(linear_map(np.eye(1)), [0.0])
    with pytest.raises(ValueError, match="contradicts"):
        slow_modes(lin, is_map=False)


# ------------------------------------------------------------------------ slow_manifold

def test_line_attractor_of_a_linear_flow():
    # dx/dt = (A - I) x, A with eigenvalues 1 (along (1, 1)) and 0: a line of fixed points
    A = np.array([[0.5, 0.5], [0.5, 0.5]])
    flow = linear_flow(A - np.eye(2))
    pts = [[s, s] for s in np.linspace(-2.0, 3.0, 7)]
    sm = slow_manifold(flow, pts)
    assert (sm.kind, sm.dimension, sm.pca_dimension, sm.closed) == ("line", 1, 1, False)
    assert np.array_equal(sm.marginal, np.ones(7, int))
    assert abs(abs(sm.axes[0] @ [1, 1]) / np.sqrt(2) - 1) < 1e-12   # along the line
    assert not sm.is_map


def test_line_attractor_of_a_map_and_isolated_points():
    A, _ = with_spectrum([1.0, 0.3, -0.6], seed=1)
    mp = linear_map(A)
    w, V = np.linalg.eig(A)
    v = V[:, np.argmin(abs(w - 1.0))].real
    sm = slow_manifold(mp, np.outer(np.linspace(-1, 1, 5), v))
    assert (sm.kind, sm.dimension, sm.pca_dimension) == ("line", 1, 1) and sm.is_map
    # a contraction's only fixed point, given three times over and as one vector
    for pts in ([np.zeros(3)] * 3, np.zeros(3)):
        sm = slow_manifold(linear_map(0.5 * np.eye(3)), pts)
        assert (sm.kind, sm.dimension, sm.pca_dimension) == ("isolated", 0, 0)
    # a plane attractor: two marginal modes
    sm = slow_manifold(linear_map(np.diag([1.0, 1.0, 0.5])),
                       np.random.default_rng(0).normal(size=(6, 3)) * [1, 1, 0])
    assert (sm.kind, sm.dimension, sm.pca_dimension) == ("manifold", 2, 2)


def test_ring_attractor_and_an_arc_of_it():
    theta = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    circle = np.column_stack([np.cos(theta), np.sin(theta)])
    sm = slow_manifold(RING, circle)
    assert (sm.kind, sm.dimension, sm.pca_dimension, sm.closed) == ("ring", 1, 2, True)
    assert sm.max_gap == pytest.approx(2 * np.pi / 24, rel=1e-9)
    # every point: eigenvalues 0 (along the circle) and -2 (radial)
    lin = linearize(RING, circle[5])
    np.testing.assert_allclose(lin.eigenvalues, [0.0, -2.0], atol=1e-8)   # finite differences
    assert abs(lin.right[:, 0] @ [-np.sin(theta[5]), np.cos(theta[5])]) == pytest.approx(1.0)
    # two thirds of the circle: a curved line (the arc's gap is 120 degrees + a step)
    sm = slow_manifold(RING, circle[:16])
    assert (sm.kind, sm.closed) == ("line", False)
    assert sm.max_gap == pytest.approx(2 * np.pi / 3 + 2 * np.pi / 24, rel=1e-9)
    # the same arc is closed for a gap wider than its own
    assert slow_manifold(RING, circle[:16], gap=2.4).kind == "ring"
    assert "ring" not in repr(sm) and len(repr(sm)) < 200


def test_ring_found_by_slow_points():
    # (many starts end at the unstable node at 0, which is kept once)
    pts = analysis.slow_points(RING, box=1.2, n_starts=100, include_trajectories=False, seed=3)
    on_ring = [p for p in pts if p.q < 1e-16 and np.linalg.norm(p.x) > 0.5]
    assert len(on_ring) >= 30
    np.testing.assert_allclose([np.linalg.norm(p.x) for p in on_ring], 1.0, atol=1e-6)
    sm = slow_manifold(RING, on_ring)
    assert sm.kind == "ring", sm


def test_slow_manifold_bad_input():
    with pytest.raises(ValueError, match="empty"):
        slow_manifold(RING, [])
    with pytest.raises(ValueError, match=r"\(k, 2\)"):
        slow_manifold(RING, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"points\[1\]"):
        slow_manifold(RING, [[1.0, 0.0], [np.nan, 0.0]])
    with pytest.raises(TypeError, match="points"):
        slow_manifold(RING, "ring")
    with pytest.raises(ValueError, match="gap"):
        slow_manifold(RING, [[1.0, 0.0]], gap=4.0)
    with pytest.raises(ValueError, match="variance"):
        slow_manifold(RING, [[1.0, 0.0]], variance=0.0)


# ------------------------------------------------------------------------ RNN vs torch

def test_rnn_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for nonlinearity in ("tanh", "relu"):
        mod = torch.nn.RNN(3, 5, num_layers=2, nonlinearity=nonlinearity).double()
        X = torch.randn(30, 3, dtype=torch.float64)
        h0 = torch.randn(2, 5, dtype=torch.float64)
        out, hT = mod(X, h0)
        layer0 = RNN.from_torch(mod).run(X, h0=h0[0])
        layer1 = RNN.from_torch(mod, layer=1)
        h = layer1.run(layer0, h0=h0[1])
        np.testing.assert_allclose(h, out.detach().numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(h[-1], hT[1].detach().numpy(), rtol=0, atol=1e-6)
        assert layer1.nonlinearity == nonlinearity and layer1.n_inputs == 5

    cell = torch.nn.RNNCell(2, 4)                  # float32, as trained
    x, h = torch.randn(1, 2), torch.randn(1, 4)
    rnn = RNN.from_torch(cell, input=x[0].numpy())
    out = np.empty(4)
    rnn.step(0, h[0].double().numpy(), rnn.params, out)
    np.testing.assert_allclose(out, cell(x, h)[0].detach().numpy(), rtol=0, atol=1e-6)
    back = rnn.to_torch()
    assert isinstance(back, torch.nn.RNNCell) and back.weight_hh.dtype == torch.float32
    assert torch.equal(back.weight_hh, cell.weight_hh) and torch.equal(back.bias_ih,
                                                                       cell.bias_ih)


def test_rnn_jacobian_matches_autograd():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    mod = torch.nn.RNN(2, 4, bias=False).double()
    u = np.array([0.7, -0.3])
    rnn = RNN.from_torch(mod, input=u)
    assert rnn.b_ih is None and rnn.to_torch().bias is False
    h = np.random.default_rng(0).normal(size=4)
    J = torch.autograd.functional.jacobian(
        lambda hh: mod(torch.as_tensor(u)[None], hh[None])[1][0], torch.as_tensor(h))
    np.testing.assert_allclose(analysis.jacobian(rnn, h), J.numpy(), rtol=0, atol=1e-12)


def test_rnn_time_varying_input_and_round_trip():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    mod = torch.nn.RNN(2, 3, nonlinearity="relu")
    X = torch.randn(6, 2)
    seq = RNN.from_torch(mod, input=X.numpy())     # the sequence as the map's input
    sol = solvers.iterate(seq, np.zeros(3), 6)
    np.testing.assert_allclose(sol.y[1:], mod(X)[0].detach().numpy(), rtol=0, atol=1e-6)
    back = RNN.from_torch(seq.to_torch())
    assert back.nonlinearity == "relu" and np.array_equal(back.W_hh, seq.W_hh)
    assert np.array_equal(back.b_hh, seq.b_hh)
    again = pickle.loads(pickle.dumps(seq))      # through the constructor
    np.testing.assert_array_equal(solvers.iterate(again, np.zeros(3), 6).y, sol.y)
    with pytest.raises(AttributeError, match="immutable"):
        seq.nonlinearity = "tanh"


def test_rnn_bad_input():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(np.zeros((2, 1)), np.zeros((2, 2)), nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"W_hh has shape \(2, 3\)"):
        RNN(np.zeros((2, 1)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"W_ih has shape \(3, 1\), expected \(2, m\)"):
        RNN(np.zeros((3, 1)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"W_hh\[0, 1\] = nan.*unit 1 -> unit 0"):
        RNN(np.zeros((2, 1)), [[0.0, np.nan], [0.0, 0.0]])
    with pytest.raises(TypeError, match="W_hh"):
        RNN(np.zeros((2, 1)), [[True, False], [False, True]])
    with pytest.raises(ValueError, match="b_hh"):
        RNN(np.zeros((2, 1)), np.zeros((2, 2)), b_hh=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="input"):
        RNN(np.zeros((2, 1)), np.zeros((2, 2)), input=[1.0, 2.0])
    with pytest.raises(TypeError, match="torch.nn.RNN"):
        RNN.from_torch(torch.nn.GRU(1, 2))
    with pytest.raises(ValueError, match="out of range"):
        RNN.from_torch(torch.nn.RNN(1, 2), layer=1)
    with pytest.raises(ValueError, match="bidirectional"):
        RNN.from_torch(torch.nn.RNN(1, 2, bidirectional=True))
    with pytest.raises(TypeError, match="layer"):
        RNN.from_torch(torch.nn.RNN(1, 2), layer=0.0)
    with pytest.raises(ValueError, match=r"inputs has shape"):
        RNN(np.zeros((2, 1)), np.zeros((2, 2))).run(np.zeros((3, 2)))


# ---------------------------------------------------------------- the 3-bit flip-flop

@pytest.fixture(scope="module")
def flip_flop():
    """The example's network, trained once for this module (seed 0), and its analysis."""
    pytest.importorskip("torch")
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "flip_flop.py"
    spec = importlib.util.spec_from_file_location("flip_flop_example", path)
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    rnn, readout, losses = ex.train(seed=0)
    system, points, outputs, states = ex.analyse(rnn, readout, seed=0)
    return ex, rnn, readout, losses, system, points, outputs


def test_flip_flop_task():
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "flip_flop.py"
    spec = importlib.util.spec_from_file_location("flip_flop_task_only", path)
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    x, y, m = ex.flip_flop_task(5, 40, p_pulse=0.2, seed=1)
    assert x.shape == y.shape == m.shape == (5, 40, 3)
    assert set(np.unique(x)) <= {-1.0, 0.0, 1.0}
    for b in range(5):                       # the target: the sign of the last pulse
        for c in range(3):
            last = 0.0
            for k in range(40):
                last = x[b, k, c] if x[b, k, c] else last
                assert y[b, k, c] == last and m[b, k, c] == (last != 0.0)


def test_flip_flop_has_eight_memories_and_saddles(flip_flop):
    ex, rnn, readout, losses, system, points, outputs = flip_flop
    assert losses[-20:].mean() < 0.05 * losses[0]
    stable = [(p, y) for p, y in zip(points, outputs) if p.stability == "stable"]
    assert len(stable) == 8
    corners = {tuple(np.sign(y).astype(int)) for _, y in stable}
    assert len(corners) == 8                 # one per corner of {-1, 1}^3
    for p, y in stable:
        np.testing.assert_allclose(np.abs(y), 1.0, atol=0.15)
        assert np.max(np.abs(p.eigenvalues)) < 1.0
    saddles = [p for p in points if p.stability == "saddle"]
    assert any(int(np.sum(np.abs(p.eigenvalues) > 1.0)) == 1 for p in saddles)
    assert all(p.residual <= 1e-8 for p in points)


def test_flip_flop_points_are_fixed_points_of_torch(flip_flop):
    torch = pytest.importorskip("torch")
    ex, rnn, readout, losses, system, points, outputs = flip_flop
    with torch.no_grad():
        for p in points[:5]:
            h = torch.as_tensor(p.x, dtype=torch.float32)[None, None]
            out, _ = rnn(torch.zeros(1, 1, 3), h)      # batch_first: (1, 1, 3)
            np.testing.assert_allclose(out[0, 0].numpy(), p.x, rtol=0, atol=1e-5)
            y = readout(torch.as_tensor(p.x, dtype=torch.float32))
            np.testing.assert_allclose(y.numpy(), outputs[points.index(p)], atol=1e-5)


def test_flip_flop_saddle_linearization_and_slow_points(flip_flop):
    ex, rnn, readout, losses, system, points, outputs = flip_flop
    saddle = next(p for p in points if p.stability == "saddle"
                  and int(np.sum(np.abs(p.eigenvalues) > 1.0)) == 1)
    lin = linearize(system, saddle)
    np.testing.assert_allclose(lin.eigenvalues, saddle.eigenvalues, atol=1e-10)
    assert lin.time_constants[0] < 0 < lin.time_constants[1]     # one growing mode
    # A step along the unstable direction grows by lambda, as the nonlinear map does
    v = lin.right[:, 0].real
    eps = 1e-6
    out = np.empty(system.n_states)
    system.step(0, saddle.x + eps * v, system.params, out)
    np.testing.assert_allclose((out - saddle.x) / eps, lin.eigenvalues[0].real * v, atol=1e-4)
    assert slow_manifold(system, points).kind == "isolated"
    lo = np.min([p.x for p in points], axis=0)
    hi = np.max([p.x for p in points], axis=0)
    slow = analysis.slow_points(system, box=(lo, hi), n_starts=24, seed=0,
                                include_trajectories=False)
    assert len(slow) >= 1 and all(s.q >= 0 for s in slow)
    fixed = [s for s in slow if s.q < 1e-16]
    # every slow point with q ~ 0 is one of the fixed points found by Newton
    for s in fixed:
        assert min(np.max(np.abs(s.x - p.x)) for p in points) < 1e-5
