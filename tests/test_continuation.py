"""Continuation of fixed points: folds of a bistable neuron at their closed-form biases, Hopf
points of the normal form and of a 2-neuron CTRNN, the three ways to name the parameter."""
import numpy as np
import pytest

from neurodyn import CTRNN
from neurodyn.analysis.continuation import continuation
from solvers import ODESystem


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def fold_biases(w):
    # Fixed points of dy/dt = -y + w sigma(y + theta) fold where w sigma'(y + theta) = 1, i.e.
    # s (1 - s) = 1/w with s = sigma(y + theta): s = (1 +- sqrt(1 - 4/w)) / 2, y = w s (the
    # fixed point condition) and theta = logit(s) - y.
    s = (1 + np.array([1.0, -1.0]) * np.sqrt(1 - 4 / w)) / 2
    y = w * s
    return np.log(s / (1 - s)) - y, y


@pytest.mark.parametrize("w", [8.0, 5.0])
def test_bistable_neuron_saddle_nodes_at_closed_form_biases(w):
    theta_f, y_f = fold_biases(w)
    # Sanity of the reference itself: a fixed point, and the derivative of the RHS vanishes.
    np.testing.assert_allclose(-y_f + w * sig(y_f + theta_f), 0, atol=1e-12)
    s = sig(y_f + theta_f)
    np.testing.assert_allclose(-1 + w * s * (1 - s), 0, atol=1e-12)

    br = continuation(CTRNN([[w]]), "bias", -w, 0.0, [0.0])
    assert br.status == 0 and br.param[-1] == 0.0
    sn = br.saddle_nodes
    assert len(sn) == 2 and len(br.bifurcations) == 2
    # The branch is an S: up the lower branch to the fold at the larger bias, back along the
    # middle (unstable) branch to the other fold, then up the upper branch.
    order = np.argsort(-theta_f)
    np.testing.assert_allclose([b.param for b in sn], theta_f[order], atol=1e-9)
    np.testing.assert_allclose([b.x[0] for b in sn], y_f[order], atol=1e-6)
    for b in sn:
        assert abs(b.eigenvalues[0]) < 1e-6
    # Every branch point is a fixed point, classified by its eigenvalue's sign.
    for mu, x, lam, kind in zip(br.param, br.x, br.eigenvalues, br.stability):
        assert abs(-x[0] + w * sig(x[0] + mu)) < 1e-9
        if abs(lam[0]) > 1e-6:
            assert kind == ("stable node" if lam[0].real < 0 else "unstable node")
    mid = (br.x[:, 0] > y_f.min() + 0.1) & (br.x[:, 0] < y_f.max() - 0.1)
    assert mid.any() and all(br.stability[i] == "unstable node" for i in np.flatnonzero(mid))


def test_continuation_in_reverse_direction_finds_the_same_folds():
    theta_f, _ = fold_biases(8.0)
    br = continuation(CTRNN([[8.0]]), "bias", 0.0, -8.0, [8.0])
    np.testing.assert_allclose(sorted(b.param for b in br.saddle_nodes), sorted(theta_f),
                               atol=1e-9)


def hopf_normal_form(t, y, p, dydt):
    r2 = y[0] * y[0] + y[1] * y[1]
    dydt[0] = p[0] * y[0] - p[1] * y[1] - y[0] * r2
    dydt[1] = p[1] * y[0] + p[0] * y[1] - y[1] * r2


def test_hopf_normal_form():
    sys = ODESystem(hopf_normal_form, 2, (-1.0, 2.0))
    br = continuation(sys, 0, -1.0, 1.0, [0.2, -0.1])
    assert [b.kind for b in br.bifurcations] == ["hopf"]
    h = br.hopf_points[0]
    assert abs(h.param) < 1e-8 and h.frequency == pytest.approx(2.0, abs=1e-8)
    assert br.stability[0] == "stable focus" and br.stability[-1] == "unstable focus"


def test_hopf_of_a_two_neuron_ctrnn_matches_numpy_eigenvalues():
    # Beer's oscillator with both biases shifted by mu: at mu = 0 the fixed point is an unstable
    # focus (the network oscillates); shifting the biases far down saturates the neurons and
    # stabilises it, so a Hopf point lies between.
    W = np.array([[4.5, 1.0], [-1.0, 4.5]])
    base = np.array([-2.75, -1.75])
    net = CTRNN(W, bias=base)
    br = continuation(net, lambda s, mu: s.replace(bias=base + mu), 0.0, -6.0, [2.75, 1.75])
    assert br.status == 0
    assert br.stability[0] == "unstable focus"
    assert br.stability[-1].startswith("stable")
    assert len(br.hopf_points) >= 1
    for h in br.hopf_points:
        theta = base + h.param
        s = sig(h.x + theta)
        np.testing.assert_allclose(-h.x + W @ s, 0, atol=1e-9)
        J = -np.eye(2) + W * (s * (1 - s))[None, :]
        lam = np.linalg.eigvals(J)
        assert np.max(np.abs(lam.real)) < 1e-7 and np.all(np.abs(lam.imag) > 1e-3)


def test_param_as_name_index_or_function_give_the_same_branch():
    net = CTRNN([[8.0]], bias=-6.0)
    a = continuation(net, "bias", -6.0, -1.0, [0.0])
    b = continuation(ODESystem(net.rhs, 1, net.params, jac=net.jac),
                     lambda s, mu: ODESystem(s.rhs, 1, CTRNN([[8.0]], bias=mu).params, s.jac),
                     -6.0, -1.0, [0.0])
    np.testing.assert_allclose(a.param, b.param, atol=1e-12)
    np.testing.assert_allclose(a.x, b.x, atol=1e-10)
    sys = ODESystem(hopf_normal_form, 2, (-1.0, 2.0))
    c = continuation(sys, 0, -1.0, 1.0, [0.0, 0.0])
    d = continuation(sys, lambda s, mu: s.with_params((mu, 2.0)), -1.0, 1.0, [0.0, 0.0])
    np.testing.assert_allclose(c.param, d.param)


def ghost(t, y, p, dydt):
    dydt[0] = y[0] * y[0] + p[0]


def test_validation_names_the_culprit():
    net = CTRNN([[8.0]])
    with pytest.raises(ValueError, match="x0 is not near a fixed point"):
        continuation(ODESystem(ghost, 1, (1.0,)), 0, 1.0, 2.0, [0.5])
    with pytest.raises(ValueError, match="x0 must be a vector of length 1"):
        continuation(net, "bias", -8.0, 0.0, [0.0, 0.0])
    with pytest.raises(ValueError, match="start and stop"):
        continuation(net, "bias", 1.0, 1.0, [0.0])
    with pytest.raises(TypeError, match="unexpected argument 'nope'"):
        continuation(net, "nope", -8.0, 0.0, [0.0])
    with pytest.raises(ValueError, match=r"params\[0\] is a ndarray"):
        continuation(ODESystem(net.rhs, 1, net.params), 0, 0.0, 1.0, [0.0])
    with pytest.raises(ValueError, match="out of range"):
        continuation(ODESystem(hopf_normal_form, 2, (1.0, 2.0)), 5, 0.0, 1.0, [0.0, 0.0])
    with pytest.raises(ValueError, match="ds must be"):
        continuation(net, "bias", -8.0, 0.0, [0.0], ds=-1.0)


def pitchfork(t, y, p, dydt):
    dydt[0] = p[0] * y[0] - y[0] * y[0] * y[0]


def test_pitchfork_on_the_trivial_branch_is_a_branch_point_not_a_fold():
    # dx/dt = mu x - x^3: the eigenvalue mu of x = 0 crosses 0 at mu = 0, but the branch x = 0
    # does not turn back, so it is flagged as a branch point, not a saddle-node.
    br = continuation(ODESystem(pitchfork, 1, (-1.0,)), 0, -1.0, 1.0, [0.0])
    assert [b.kind for b in br.bifurcations] == ["branch point"]
    assert abs(br.bifurcations[0].param) < 1e-9
    assert br.stability[0] == "stable node" and br.stability[-1] == "unstable node"


def fold_map(k, x, p, out):
    out[0] = x[0] + p[0] - x[0] * x[0]


def test_map_fold_at_closed_form():
    # Fixed points of x -> x + mu - x^2 are x = +-sqrt(mu), meeting in a fold at mu = 0; the
    # multiplier of x = sqrt(mu) is 1 - 2 sqrt(mu) (stable for 0 < mu < 1), of -sqrt(mu) above 1.
    from solvers import MapSystem

    br = continuation(MapSystem(fold_map, 1, (0.5,)), 0, 0.5, -1.0, [np.sqrt(0.5)])
    assert [b.kind for b in br.saddle_nodes] == ["saddle-node"]
    assert abs(br.saddle_nodes[0].param) < 1e-9 and abs(br.saddle_nodes[0].x[0]) < 1e-4
    assert br.status == 1  # after the fold the branch runs back up through mu = 0.5
    np.testing.assert_allclose(br.x[:, 0] ** 2, br.param, atol=1e-9)
    for x, kind in zip(br.x[:, 0], br.stability):
        mult = abs(1 - 2 * x)
        if abs(mult - 1) > 1e-6:
            assert kind == ("stable" if mult < 1 else "unstable")
