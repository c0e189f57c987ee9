"""HopfieldTank and its TSP network, checked against the paper's formulas written out here,
SciPy at tight tolerance, finite differences and brute force."""
import importlib.util
import itertools
import math
import pathlib
import pickle

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import solvers
from circuits.hopfield_tank import (HopfieldTank, decode_tour, shortest_tour, tour_length,
                                    tsp_start, tsp_weights)
from neurodyn.analysis import jacobian
from neurodyn.analysis.energy import energy_along
from neurodyn.continuous_hopfield import ContinuousHopfield


def g_paper(u, u0):
    """Hopfield & Tank's amplifier, V = (1 + tanh(u / u0)) / 2, as printed."""
    return 0.5 * (1.0 + np.tanh(u / u0))


def reference_rhs(T, C, R, I, u0, u):
    """C du/dt = T V - u / R + I in plain NumPy, independent of the kernels."""
    return (T @ g_paper(u, u0) - u / R + I) / C


def random_net(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(0.0, 1.0, (n, n))
    T = A + A.T  # symmetric, nonzero diagonal
    kw = dict(C=rng.uniform(0.5, 2.0, n), R=rng.uniform(0.5, 2.0, n),
              I=rng.normal(0.0, 0.5, n), u0=rng.uniform(0.2, 1.0, n))
    return HopfieldTank(T, **kw), T, kw


def cities(n, seed):
    xy = np.random.default_rng(seed).uniform(size=(n, 2))
    return np.linalg.norm(xy[:, None] - xy[None], axis=-1)


# --------------------------------------------------------------------- the circuit


def test_output_is_the_papers_amplifier_and_gain_is_two_over_u0():
    net, T, kw = random_net(5, 0)
    u = np.random.default_rng(1).normal(0.0, 1.0, (7, 5))
    np.testing.assert_allclose(net.output(u), g_paper(u, kw["u0"]), rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(net.gain, 2.0 / kw["u0"])
    assert net.activation == "sigmoid" and isinstance(net, ContinuousHopfield)


def test_rhs_matches_the_circuit_equation():
    net, T, kw = random_net(6, 2)
    u = np.random.default_rng(3).normal(0.0, 0.7, 6)
    out = np.empty(6)
    net.rhs(0.0, u, net.params, out)
    np.testing.assert_allclose(out, reference_rhs(T, kw["C"], kw["R"], kw["I"], kw["u0"], u),
                               rtol=1e-12, atol=1e-12)


def test_analytic_jacobian_matches_finite_differences():
    net, T, kw = random_net(6, 4)
    u = np.random.default_rng(5).normal(0.0, 0.5, 6)
    J = jacobian(net, u)  # the analytic kernel
    f = lambda x: reference_rhs(T, kw["C"], kw["R"], kw["I"], kw["u0"], x)  # noqa: E731
    h = 1e-6
    FD = np.column_stack([(f(u + h * e) - f(u - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(J, FD, rtol=1e-7, atol=1e-7)


def test_trajectory_matches_scipy_at_tight_tolerance():
    d = cities(4, 0)
    net = HopfieldTank.tsp(d, n_bar=6)
    u0 = tsp_start(4, seed=3)
    te = np.linspace(0.0, 2.0, 21)
    ours = solvers.solve(net, (0.0, 2.0), u0, t_eval=te, rtol=1e-10, atol=1e-12)
    T, I = tsp_weights(d, n_bar=6)
    ref = solve_ivp(lambda t, u: reference_rhs(T, 1.0, 1.0, I, 0.02, u), (0.0, 2.0), u0,
                    method="Radau", t_eval=te, rtol=1e-10, atol=1e-12,
                    jac=lambda t, u: jacobian(net, u))
    assert ours.success and ref.success
    np.testing.assert_allclose(ours.y, ref.y.T, rtol=1e-6, atol=1e-8)


def test_energy_never_increases_and_its_rate_is_minus_sum_C_dV_du():
    net, T, kw = random_net(5, 6)
    sol = solvers.solve(net, (0.0, 15.0), np.random.default_rng(7).normal(0, 0.5, 5),
                        t_eval=np.linspace(0.0, 15.0, 151), rtol=1e-10, atol=1e-12)
    assert sol.success
    assert energy_along(net, sol).non_increasing
    E = net.energy(sol.y)
    assert E[-1] < E[0] - 1e-3  # it does fall, not merely stay put
    # dE/dt = grad_u E . du/dt, with grad_u E by central differences of the energy, against
    # Hopfield's -sum_i C_i (dV_i/dt)(du_i/dt), dV/dt = g'(u) du/dt.
    for k in (0, 10, 40):
        u = sol.y[k]
        dudt = reference_rhs(T, kw["C"], kw["R"], kw["I"], kw["u0"], u)
        h = 1e-6
        grad = np.array([(net.energy(u + h * e) - net.energy(u - h * e)) / (2 * h)
                         for e in np.eye(5)])
        th = np.tanh(u / kw["u0"])
        dVdu = 0.5 * (1.0 - th ** 2) / kw["u0"]
        expected = -np.sum(kw["C"] * dVdu * dudt * dudt)
        assert grad @ dudt == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_tsp_energy_along_a_trajectory_never_increases():
    d = cities(5, 1)
    net = HopfieldTank.tsp(d)
    sol = solvers.solve(net, (0.0, 5.0), tsp_start(5, seed=0), t_eval=np.linspace(0, 5, 101),
                        rtol=1e-8, atol=1e-10)
    assert sol.success
    check = energy_along(net, sol)
    assert check.non_increasing and check.values[-1] < check.values[0]


def test_replace_and_pickle_keep_u0():
    net, _, kw = random_net(3, 8)
    net2 = net.replace(u0=0.5)
    np.testing.assert_array_equal(net2.gain, np.full(3, 4.0))
    np.testing.assert_array_equal(net2.T, net.T)
    back = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(back.u0, kw["u0"])
    assert type(back) is HopfieldTank and back.params[0].flags.writeable is False


def test_graph_round_trip_and_solver_name():
    net, T, kw = random_net(4, 9)
    back = HopfieldTank.from_graph(net.to_graph())
    for name in ("T", "C", "R", "I", "u0"):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name))
    assert net.name == "HopfieldTank" and net.rhs is ContinuousHopfield(T).rhs  # shared kernel


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="u0 of node 1"):
        HopfieldTank(np.zeros((2, 2)), u0=[1.0, 0.0])
    with pytest.raises(ValueError, match="not symmetric"):
        HopfieldTank([[0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="square"):
        HopfieldTank(np.zeros(3))
    with pytest.raises(ValueError, match="square array"):
        HopfieldTank([[0.0, 1.0], [1.0]])
    with pytest.raises(ValueError, match="nodes has 3 names"):
        HopfieldTank(np.zeros((2, 2)), nodes="abc")
    with pytest.raises(ValueError, match=r"distances\[0, 1\].*symmetric|not symmetric"):
        HopfieldTank.tsp([[0, 1], [2, 0]])
    with pytest.raises(ValueError, match=r"distances\[1, 1\]"):
        HopfieldTank.tsp([[0, 1], [1, 3]])
    with pytest.raises(ValueError, match=r"distances\[0, 1\] = -1"):
        HopfieldTank.tsp([[0, -1], [-1, 0]])
    with pytest.raises(ValueError, match="u0 must be positive"):
        HopfieldTank.tsp([[0, 1], [1, 0]], u0=0.0)


# --------------------------------------------------------------------- the TSP network


def test_tsp_weights_elementwise_against_the_papers_formula():
    """T_{Xi,Yj} = -A d_XY (1 - d_ij) - B d_ij (1 - d_XY) - C - D d_XY (d_j,i+1 + d_j,i-1),
    I_Xi = C n_bar (Hopfield & Tank 1985, eqs. 10-11), written with explicit Kronecker deltas
    over the four indices, positions modulo n."""
    n = 4
    d = cities(n, 9)
    A, B, C, D, n_bar = 3.0, 5.0, 7.0, 11.0, 6.5
    T, I = tsp_weights(d, A=A, B=B, C=C, D=D, n_bar=n_bar)
    delta = lambda a, b: 1.0 if a == b else 0.0  # noqa: E731
    for X, i, Y, j in itertools.product(range(n), repeat=4):
        expected = (-A * delta(X, Y) * (1 - delta(i, j)) - B * delta(i, j) * (1 - delta(X, Y))
                    - C - D * d[X, Y] * (delta(j, (i + 1) % n) + delta(j, (i - 1) % n)))
        assert T[X * n + i, Y * n + j] == pytest.approx(expected, rel=1e-14, abs=1e-14)
    np.testing.assert_array_equal(I, np.full(n * n, C * n_bar))
    net = HopfieldTank.tsp(d, A=A, B=B, C=C, D=D, n_bar=n_bar, u0=0.1, tau=2.0)
    np.testing.assert_array_equal(net.T, T)
    np.testing.assert_array_equal(net.C, np.full(n * n, 2.0))
    assert net.nodes[n + 2] == (1, 2)


def test_tsp_quadratic_form_is_the_papers_energy():
    """-1/2 V T V - I V + C n_bar^2 / 2 equals the four-term energy summed directly."""
    n = 5
    d = cities(n, 10)
    A, B, C, D, n_bar = 2.0, 3.0, 5.0, 7.0, 7.5
    T, I = tsp_weights(d, A=A, B=B, C=C, D=D, n_bar=n_bar)
    V = np.random.default_rng(11).uniform(size=(n, n))
    e_a = sum(V[X, i] * V[X, j] for X in range(n) for i in range(n) for j in range(n) if j != i)
    e_b = sum(V[X, i] * V[Y, i] for i in range(n) for X in range(n) for Y in range(n) if Y != X)
    e_c = (V.sum() - n_bar) ** 2
    e_d = sum(d[X, Y] * V[X, i] * (V[Y, (i + 1) % n] + V[Y, (i - 1) % n])
              for X in range(n) for Y in range(n) if Y != X for i in range(n))
    paper = A / 2 * e_a + B / 2 * e_b + C / 2 * e_c + D / 2 * e_d
    v = V.ravel()
    assert -0.5 * v @ T @ v - I @ v + C * n_bar ** 2 / 2 == pytest.approx(paper, rel=1e-12)


def test_tour_energy_term_is_the_tour_length():
    """At a permutation matrix only the C and D terms remain, and the D term is D x length."""
    n = 6
    d = cities(n, 12)
    tour = [3, 0, 5, 1, 4, 2]
    V = np.zeros((n, n))
    V[tour, np.arange(n)] = 1.0
    T, I = tsp_weights(d, A=1.0, B=1.0, C=0.0, D=1.0)
    v = V.ravel()
    assert -0.5 * v @ T @ v - I @ v == pytest.approx(tour_length(tour, d), rel=1e-12)
    assert decode_tour(V) == tour
    assert decode_tour(v) == tour  # flattened, index X * n + i


def test_decode_tour_rejects_invalid_matrices_clearly():
    with pytest.raises(ValueError, match=r"city 0 is on at 2 positions \[0, 1\]"):
        decode_tour([[1, 1, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match="city 1 is on at no position"):
        decode_tour(np.diag([1.0, 0.0, 1.0]))
    # One position per city, but two cities share position 0 and position 1 is empty.
    with pytest.raises(ValueError, match=r"^not a valid tour: position 0 holds 2 cities \[0, 1\]; "
                       "position 1 holds no city$"):
        decode_tour([[1, 0, 0], [1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="not n"):
        decode_tour(np.ones(8))
    with pytest.raises(ValueError, match="shape"):
        decode_tour(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"V\[0, 1\] = nan"):
        decode_tour([[0, np.nan], [1, 0]])
    assert decode_tour(np.eye(3) * 0.4, strict=False) is None
    assert decode_tour(np.eye(3) * 0.4, threshold=0.3) == [0, 1, 2]


def test_shortest_tour_matches_brute_force():
    n = 7
    d = cities(n, 13)
    tour, length = shortest_tour(d)
    brute = min(tour_length((0,) + p, d) for p in itertools.permutations(range(1, n)))
    assert length == pytest.approx(brute, rel=1e-12)
    assert tour_length(tour, d) == pytest.approx(length, rel=1e-12)
    assert tour[0] == 0 and tour[1] < tour[-1]
    with pytest.raises(ValueError, match="exactly once"):
        tour_length([0, 1, 1], d[:3, :3])


def test_tsp_start_gives_outputs_one_over_n():
    n = 10
    net = HopfieldTank.tsp(cities(n, 0))
    u = tsp_start(n, u0=0.02, noise=0.0)
    np.testing.assert_allclose(net.output(u), np.full(n * n, 1.0 / n), rtol=1e-12)
    assert u[0] == pytest.approx(-0.01 * math.log(9), rel=1e-14)
    a, b = tsp_start(n, seed=4), tsp_start(n, seed=4)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - u).max() <= 0.1 * 0.02


def test_example_runs_and_decodes_its_tours():
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "hopfield_tank_tsp.py"
    spec = importlib.util.spec_from_file_location("hopfield_tank_tsp", path)
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    best, opt, records = ex.run(n=6, city_seed=2, starts=4, t_final=10.0)
    _, d = ex.cities(6, 2)
    assert tour_length(best, d) == pytest.approx(opt)
    for r in records:
        assert r["status"] == 0 and r["energy_falls"] and r["E1"] < r["E0"]
        if r["tour"] is not None:
            assert r["length"] >= opt - 1e-12
