"""Fixed points, slow points and Jacobians against independent references (NumPy/SciPy
nullclines, closed forms, finite differences written here)."""
import numpy as np
import pytest
from scipy.optimize import brentq

from neurodyn import CTRNN
from neurodyn.analysis.fixed_points import classify, fixed_points, slow_points
from neurodyn.analysis.jacobian import jacobian
from solvers import MapSystem, ODESystem


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def ctrnn_rhs_np(W, theta, tau, y):
    return (-y + W @ sig(y + theta)) / tau


def ctrnn_jac_np(W, theta, tau, y):
    s = sig(y + theta)
    return (-np.eye(len(y)) + W * (s * (1 - s))[None, :]) / tau[:, None]


def nullcline_crossings(W, theta):
    """Fixed points of a 2-neuron CTRNN from its nullclines, with brentq.

    Neuron 1's nullcline solved for y2: sigma(y2 + theta2) = (y1 - w11 sigma(y1 + theta1)) / w12;
    on it, neuron 2's right-hand side is a function of y1 alone, whose roots are the crossings.
    """
    (w11, w12), (w21, w22) = W
    t1, t2 = theta

    def u(y1):
        return (y1 - w11 * sig(y1 + t1)) / w12

    def H(y1):
        uu = u(y1)
        y2 = np.log(uu / (1 - uu)) - t2
        return -y2 + w21 * sig(y1 + t1) + w22 * uu

    R = abs(w11) + abs(w12) + 1
    grid = np.linspace(-R, R, 200001)
    uu = u(grid)
    valid = (uu > 0) & (uu < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = H(grid)
    roots = []
    for i in np.flatnonzero(valid[:-1] & valid[1:] & (np.sign(h[:-1]) != np.sign(h[1:]))):
        y1 = brentq(H, grid[i], grid[i + 1], xtol=1e-14)
        uu1 = u(y1)
        roots.append([y1, np.log(uu1 / (1 - uu1)) - t2])
    return np.array(roots)


@pytest.mark.parametrize("W, theta", [
    (np.array([[6.0, 1.0], [1.0, 6.0]]), np.array([-3.4, -3.6])),    # up to 9 points
    (np.array([[4.5, -1.0], [1.0, 4.5]]), np.array([-2.75, -1.75])),  # transposed oscillator
    (np.array([[4.5, 1.0], [-1.0, 4.5]]), np.array([-2.75, -1.75])),  # Beer's oscillator
])
def test_two_neuron_fixed_points_match_nullcline_crossings(W, theta):
    tau = np.array([1.0, 2.0])
    net = CTRNN(W, tau=tau, bias=theta)
    ref = nullcline_crossings(W, theta)
    assert len(ref) >= 1
    fps = fixed_points(net, n_starts=200, seed=3)
    X = np.array([p.x for p in fps])
    assert X.shape == ref.shape, (X, ref)
    ref = ref[np.lexsort(ref.T[::-1])]
    np.testing.assert_allclose(X, ref, atol=1e-8)
    for p in fps:
        assert p.residual <= 1e-8
        np.testing.assert_allclose(np.abs(ctrnn_rhs_np(W, theta, tau, p.x)), 0, atol=1e-8)
        # Classification agrees with the eigenvalues of a Jacobian written here.
        lam = np.linalg.eigvals(ctrnn_jac_np(W, theta, tau, p.x))
        re, cplx = lam.real, np.any(np.abs(lam.imag) > 1e-9)
        if np.all(re < 0):
            expect = "stable focus" if cplx else "stable node"
        elif np.all(re > 0):
            expect = "unstable focus" if cplx else "unstable node"
        else:
            expect = "saddle"
        assert p.stability == expect
        np.testing.assert_allclose(np.sort_complex(p.eigenvalues), np.sort_complex(lam),
                                   atol=1e-10)


def test_nine_fixed_points_are_four_saddles_four_stable_one_unstable():
    # Two self-exciting, weakly coupled neurons: each alone is bistable, so the pair has 3 x 3
    # fixed points (lower/middle/upper per neuron) and their types follow from the product.
    net = CTRNN([[6.0, 0.2], [0.2, 6.0]], bias=[-3.0, -3.0])
    fps = fixed_points(net, n_starts=200, seed=0)
    kinds = sorted(p.stability for p in fps)
    assert kinds == ["saddle"] * 4 + ["stable node"] * 4 + ["unstable node"]


def test_center_crossing_fixed_point_is_minus_theta():
    # Beer (1995): with theta_i = -sum_j w_ij / 2 every neuron's activation range is centred on
    # its nullcline; at y = -theta each sigma(y_j + theta_j) = 1/2, so
    # -y_i + sum_j w_ij / 2 = theta_i + sum_j w_ij / 2 = 0: a fixed point, with Jacobian
    # (-I + W sigma'(0)) / tau = (-I + W / 4) / tau.
    rng = np.random.default_rng(7)
    W = rng.normal(0, 3, (4, 4))
    theta = -W.sum(axis=1) / 2
    tau = rng.uniform(0.5, 2.0, 4)
    net = CTRNN(W, tau=tau, bias=theta)
    fps = fixed_points(net, n_starts=100, seed=1)
    hits = [p for p in fps if np.max(np.abs(p.x + theta)) < 1e-8]
    assert len(hits) == 1
    lam = np.linalg.eigvals((-np.eye(4) + W / 4) / tau[:, None])
    np.testing.assert_allclose(np.sort_complex(hits[0].eigenvalues), np.sort_complex(lam),
                               atol=1e-10)


def test_jacobian_analytic_and_finite_difference_paths_agree_with_reference():
    rng = np.random.default_rng(2)
    W = rng.normal(0, 1, (5, 5))
    theta = rng.normal(0, 1, 5)
    tau = rng.uniform(0.5, 2, 5)
    net = CTRNN(W, tau=tau, bias=theta)
    y = rng.normal(0, 2, 5)
    J_ref = ctrnn_jac_np(W, theta, tau, y)
    np.testing.assert_allclose(jacobian(net, y), J_ref, atol=1e-13)
    # Without a Jacobian kernel: central differences, ~eps^(2/3) accurate.
    bare = ODESystem(net.rhs, 5, net.params)
    np.testing.assert_allclose(jacobian(bare, y), J_ref, atol=1e-9)
    # And an independent central difference of a NumPy RHS agrees with both.
    h = 1e-6
    J_fd = np.column_stack([(ctrnn_rhs_np(W, theta, tau, y + h * e)
                             - ctrnn_rhs_np(W, theta, tau, y - h * e)) / (2 * h)
                            for e in np.eye(5)])
    np.testing.assert_allclose(jacobian(net, y), J_fd, atol=1e-8)


def henon(k, x, p, out):
    out[0] = 1.0 - p[0] * x[0] * x[0] + x[1]
    out[1] = p[1] * x[0]


def henon_jac(k, x, p, J):
    J[0, 0] = -2.0 * p[0] * x[0]
    J[0, 1] = 1.0
    J[1, 0] = p[1]
    J[1, 1] = 0.0


@pytest.mark.parametrize("a, b, kinds", [(1.4, 0.3, ["saddle", "saddle"]),
                                         (0.2, 0.3, ["saddle", "stable"])])
@pytest.mark.parametrize("with_jac", [True, False])
def test_henon_fixed_points_closed_form_and_map_classification(a, b, kinds, with_jac):
    m = MapSystem(henon, 2, (a, b), jac=henon_jac if with_jac else None)
    fps = fixed_points(m, box=5.0, n_starts=50, seed=0)
    xs = (-(1 - b) + np.array([-1, 1]) * np.sqrt((1 - b) ** 2 + 4 * a)) / (2 * a)
    ref = np.column_stack([xs, b * xs])
    np.testing.assert_allclose([p.x for p in fps], ref, atol=1e-9)
    assert [p.stability for p in fps] == kinds
    for p, x in zip(fps, xs):
        lam = np.linalg.eigvals(np.array([[-2 * a * x, 1.0], [b, 0.0]]))
        np.testing.assert_allclose(np.sort(np.abs(p.eigenvalues)), np.sort(np.abs(lam)),
                                   atol=1e-7)
        np.testing.assert_allclose(jacobian(m, p.x), [[-2 * a * x, 1.0], [b, 0.0]], atol=1e-8)


def test_classify_flows_and_maps():
    assert classify([-1.0, -2.0]) == "stable node"
    assert classify([1.0 + 1j, 1.0 - 1j]) == "unstable focus"
    assert classify([1.0, 2.0]) == "unstable node"
    assert classify([-1.0, 2.0]) == "saddle"
    assert classify([0.0, -1.0]) == "non-hyperbolic"
    assert classify([1j, -1j]) == "non-hyperbolic"
    assert classify([0.5, -0.9], is_map=True) == "stable"
    assert classify([1.5, -2.0], is_map=True) == "unstable"
    assert classify([-1.0, 0.2], is_map=True) == "non-hyperbolic"


def test_deterministic_for_a_seed():
    net = CTRNN([[6.0, 1.0], [1.0, 6.0]], bias=[-3.4, -3.6])
    a = fixed_points(net, seed=5)
    b = fixed_points(net, seed=5)
    assert [p.x.tolist() for p in a] == [p.x.tolist() for p in b]


def test_slow_points_find_fixed_points_and_a_ghost():
    net = CTRNN([[6.0, 1.0], [1.0, 6.0]], bias=[-3.4, -3.6])
    fps = fixed_points(net, n_starts=200, seed=3)
    sps = slow_points(net, n_starts=200, seed=3, q_max=1e-12)
    # Every minimum with q ~ 0 is a fixed point, and the stable ones are all found (descent
    # from trajectory states reaches the attractors at least).
    for s in sps:
        assert min(np.max(np.abs(s.x - p.x)) for p in fps) < 1e-4
    for p in fps:
        if p.stability.startswith("stable"):
            assert min(np.max(np.abs(s.x - p.x)) for s in sps) < 1e-4

    # Just past a saddle-node of dy/dt = -y + 8 sigma(y + theta) the fixed points are gone,
    # but the flow is slowest at the ghost near the fold: a local minimum of q with q > 0.
    s = (1 - np.sqrt(0.5)) / 2
    theta_fold = np.log(s / (1 - s)) - 8 * s
    ghost = slow_points(CTRNN([[8.0]], bias=theta_fold + 0.01), box=(0.0, 8.0),
                        include_trajectories=False, n_starts=30)
    minima = [g for g in ghost if g.q > 1e-8]
    assert len(minima) == 1
    y = minima[0].x[0]
    assert abs(y - 8 * s) < 0.1
    f = -y + 8 * sig(y + theta_fold + 0.01)
    assert minima[0].q == pytest.approx(0.5 * f * f, rel=1e-6)


def test_validation_names_the_culprit():
    net = CTRNN([[1.0]])
    with pytest.raises(ValueError, match="n_starts"):
        fixed_points(net, n_starts=0)
    with pytest.raises(ValueError, match="box"):
        fixed_points(net, box=-1.0)
    with pytest.raises(ValueError, match="box coordinate 0"):
        fixed_points(net, box=(1.0, 0.0))
    with pytest.raises(ValueError, match="length 1"):
        jacobian(net, [0.0, 1.0])
    with pytest.raises(TypeError, match="has no .params"):
        jacobian(object(), [0.0])
