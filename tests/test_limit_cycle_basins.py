"""Limit cycles (period, Floquet multipliers) and basins of attraction.

Independent references: the Van der Pol period for mu = 1, T = 6.6632868593 (Strogatz,
"Nonlinear Dynamics and Chaos"; computed to 10 digits in many places, e.g. Grasman 1987); the
CTRNN period from SciPy's DOP853 at rtol 1e-12 with section crossings located by root finding
on its dense output; the product of the Floquet multipliers of a planar cycle, which Liouville's
formula gives as exp(∮ div f dt), computed by SciPy quadrature along the orbit.
"""
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from solvers import ODESystem
from neurodyn import CTRNN
from neurodyn.analysis.basins import basins
from neurodyn.analysis.fixed_points import fixed_points
from neurodyn.analysis.limit_cycle import limit_cycle, section_crossings


def vdp(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0]


def vdp_jac(t, y, p, J):
    J[0, 0] = 0.0
    J[0, 1] = 1.0
    J[1, 0] = -2.0 * p[0] * y[0] * y[1] - 1.0
    J[1, 1] = p[0] * (1.0 - y[0] * y[0])


def bistable(t, y, p, dydt):
    dydt[0] = y[0] - y[0] ** 3
    dydt[1] = -y[1]


def bistable_jac(t, y, p, J):
    J[0, 0] = 1.0 - 3.0 * y[0] ** 2
    J[1, 1] = -1.0


def ring(t, y, p, dydt):
    # In polar form dr/dt = -r (r - 1)(r - 2), dθ/dt = 1: a stable focus at 0, an unstable
    # cycle r = 1 (the separatrix) and a stable cycle r = 2 of period 2π.
    r = math.sqrt(y[0] * y[0] + y[1] * y[1])
    g = -(r - 1.0) * (r - 2.0)
    dydt[0] = g * y[0] - y[1]
    dydt[1] = g * y[1] + y[0]


VDP_PERIOD = 6.6632868593


def _sigma(x):
    return 1.0 / (1.0 + np.exp(-x))


W_BEER = np.array([[4.5, 1.0], [-1.0, 4.5]])
B_BEER = np.array([-2.75, -1.75])


def _beer_np(t, y):
    return -y + W_BEER @ _sigma(y + B_BEER)


def _beer_reference_period():
    # DOP853 at rtol 1e-12 past the transient, upward crossings of y0 = 3 located by brentq on
    # the dense output; the period is the mean spacing of the last few.
    sol = solve_ivp(_beer_np, (0, 400), [0.0, 0.0], method="DOP853", rtol=1e-12, atol=1e-12,
                    dense_output=True)
    t = np.linspace(200, 400, 40001)
    v = sol.sol(t)[0] - 3.0
    idx = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    tc = np.array([brentq(lambda s: sol.sol(s)[0] - 3.0, t[i], t[i + 1], xtol=1e-14)
                   for i in idx])
    return float(np.mean(np.diff(tc)))


@pytest.fixture(scope="module")
def vdp_cycle():
    return limit_cycle(ODESystem(vdp, 2, (1.0,), jac=vdp_jac), [2.0, 0.0], t_transient=50.0,
                       t_search=60.0)


def test_van_der_pol_period(vdp_cycle):
    assert vdp_cycle.converged, vdp_cycle.message
    assert abs(vdp_cycle.period - VDP_PERIOD) < 1e-8


def test_van_der_pol_floquet(vdp_cycle):
    mu = vdp_cycle.floquet
    assert abs(mu[0] - 1.0) < 1e-6
    assert vdp_cycle.stable and abs(mu[1]) < 1.0
    # Liouville: mu_1 mu_2 = exp(∮ div f dt) with div f = mu (1 - x^2), along the orbit.
    x0 = vdp_cycle.x
    sol = solve_ivp(lambda t, y: [y[1], (1 - y[0] ** 2) * y[1] - y[0], 1 - y[0] ** 2],
                    (0, vdp_cycle.period), [x0[0], x0[1], 0.0], method="DOP853",
                    rtol=1e-12, atol=1e-12)
    assert abs(np.prod(mu).real - math.exp(sol.y[2, -1])) < 1e-6 * math.exp(sol.y[2, -1]) + 1e-9
    # and the shooting point really is on the orbit
    assert np.allclose(sol.y[:2, -1], x0, atol=1e-6)


def test_beer_ctrnn_period_matches_fine_integration():
    lc = limit_cycle(CTRNN(W=W_BEER, bias=B_BEER), [0.0, 0.0])
    assert lc.converged, lc.message
    ref = _beer_reference_period()
    assert abs(ref - 29.0) < 1e-3
    assert abs(lc.period - ref) < 1e-6
    assert abs(lc.floquet[0] - 1.0) < 1e-6
    assert lc.stable


def test_fixed_point_is_not_a_cycle():
    # The transposed Beer network settles to a fixed point (as the demo shows).
    lc = limit_cycle(CTRNN(W=W_BEER.T, bias=B_BEER), [0.0, 0.0], t_search=50.0)
    assert not lc.converged
    assert "fixed point" in lc.message
    assert math.isnan(lc.period)


def test_limit_cycle_errors():
    with pytest.raises(ValueError, match="y0"):
        limit_cycle(ODESystem(vdp, 2, (1.0,), jac=vdp_jac), [2.0])


def test_section_crossings_of_a_sine():
    t = np.linspace(0, 20, 20001)
    tc, pc = section_crossings(t, np.column_stack([np.sin(t), np.cos(t)]), 0, 0.0)
    assert np.allclose(tc, [2 * np.pi, 4 * np.pi, 6 * np.pi], atol=1e-6)
    assert np.allclose(pc[:, 1], 1.0, atol=1e-6)


def test_basins_of_a_bistable_system_split_at_the_separatrix():
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (300, 2))
    X = X[np.abs(X[:, 0]) > 1e-3]        # off the separatrix x = 0 itself
    system = ODESystem(bistable, 2, jac=bistable_jac)
    fps = fixed_points(system, seed=0)        # (-1, 0) and (1, 0) stable, (0, 0) a saddle
    b = basins(system, X, t_final=40.0, fixed_points=fps)
    assert len(b.attractors) == 2
    assert all(a.kind == "fixed point" for a in b.attractors)
    left = [a for a, at in enumerate(b.attractors) if at.x[0] < 0][0]
    right = 1 - left
    for a, x_expected in ((left, -1.0), (right, 1.0)):
        fp = fps[b.attractors[a].match]
        assert fp.stability.startswith("stable") and fp.x[0] == pytest.approx(x_expected)
    assert np.array_equal(b.labels, np.where(X[:, 0] < 0, left, right))
    assert b.fractions.sum() == pytest.approx(1.0)
    assert b.fractions[left] == pytest.approx(np.mean(X[:, 0] < 0))


def test_basins_of_a_focus_and_a_cycle_split_at_the_unstable_cycle():
    radii = np.concatenate([np.linspace(0.1, 0.9, 9), np.linspace(1.1, 3.0, 11)])
    ang = np.linspace(0, 2 * np.pi, radii.size, endpoint=False)
    X = np.column_stack([radii * np.cos(ang), radii * np.sin(ang)])
    b = basins(ODESystem(ring, 2), X, t_final=40.0, t_window=20.0)
    kinds = [a.kind for a in b.attractors]
    assert kinds == ["fixed point", "cycle"]
    assert np.allclose(b.attractors[0].x, 0.0, atol=1e-6)
    assert abs(b.attractors[1].period - 2 * np.pi) < 0.01
    assert np.allclose(np.linalg.norm(b.attractors[1].orbit, axis=1), 2.0, atol=1e-6)
    assert np.array_equal(b.labels, (radii > 1).astype(int))
    assert np.allclose(b.fractions, [9 / 20, 11 / 20])


def test_basins_errors():
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        basins(ODESystem(bistable, 2), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"samples\[1\]"):
        basins(ODESystem(bistable, 2), [[0.0, 1.0], [np.nan, 0.0]])
    with pytest.raises(ValueError, match=r"fixed_points\[0\]"):
        basins(ODESystem(bistable, 2), [[0.5, 0.0]], fixed_points=[np.zeros(3)])


# basins' docstring example is run in test_lyapunov.py: its kernel, typed in a doctest, is
# compiled afresh in every process, and this file's cold run must stay under 40 s.
@pytest.mark.parametrize("name", ["neurodyn.analysis.limit_cycle"])
def test_docstring_examples_run(name):
    import doctest
    import importlib
    res = doctest.testmod(importlib.import_module(name),
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0



def test_limit_cycle_without_jacobian_uses_finite_differences():
    # The ring system has no jac kernel: the monodromy comes from directional differences.
    # Its stable cycle r = 2 has period 2π and, from dr/dt = G(r) = -r (r - 1)(r - 2) with
    # G'(2) = -2, the nontrivial Floquet multiplier exp(-2 · 2π) exactly.
    lc = limit_cycle(ODESystem(ring, 2), [1.5, 0.0], t_transient=30.0, t_search=30.0)
    assert lc.converged, lc.message
    assert abs(lc.period - 2 * np.pi) < 1e-8
    assert abs(lc.floquet[0] - 1.0) < 1e-6
    assert abs(lc.floquet[1] - math.exp(-4 * np.pi)) < 1e-7
    assert abs(np.hypot(*lc.x) - 2.0) < 1e-8
