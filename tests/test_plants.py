"""Plants (neurodyn.plants) against references that do not use their kernels' equations:
conservation laws of the Lagrangian mechanics they model (energy and horizontal momentum from
centre-of-mass kinematics written here), power balances with friction, a Newton-Euler solve of
the cart-pole with friction, closed-form linearisations, and a transcription of Stanley's NEAT
``CartPole::step`` for the double pole.
"""
import math
import pickle

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from neurodyn.plants import (CartPole, DoublePole, LinearPlant, Pendulum, Plant, cartpole_rhs,
                             double_pole_rhs, linear_rhs, pendulum_rhs, plant_system)
from solvers import solve
from solvers._checks import InvalidTypeError


def f(plant, x, u=None):
    """The kernel, uncompiled, as a function returning dx/dt."""
    out = np.empty(plant.n)
    uu = np.zeros(plant.n_inputs) if u is None else np.atleast_1d(np.asarray(u, float))
    plant.rhs(0.0, np.asarray(x, float), plant.params, uu, out)
    return out


def trajectory(plant, x0, t1, u=None):
    sol = solve_ivp(lambda t, x: f(plant, x, u), (0.0, t1), np.asarray(x0, float),
                    method="DOP853", rtol=1e-11, atol=1e-12, dense_output=False,
                    t_eval=np.linspace(0.0, t1, 201))
    assert sol.success
    return sol.y.T


def numerical_jacobian(plant, x, h=1e-6):
    x = np.asarray(x, float)
    J = np.empty((plant.n, plant.n))
    for j in range(plant.n):
        e = np.zeros(plant.n)
        e[j] = h
        J[:, j] = (f(plant, x + e) - f(plant, x - e)) / (2 * h)
    return J


def sorted_eigs(a):
    a = np.asarray(a, complex)
    return a[np.lexsort((np.round(a.imag, 6), np.round(a.real, 6)))]


# ---- Independent mechanics: a uniform rod of half length l hinged on the cart at height 0,
# angle th from the upward vertical, leaning towards +x for th > 0: centre of mass at
# (x + l sin th, l cos th), moment of inertia m l^2 / 3 about it.

def rod_energy(xd, th, thd, m, l, g):
    vx = xd + l * np.cos(th) * thd
    vy = -l * np.sin(th) * thd
    return 0.5 * m * (vx ** 2 + vy ** 2) + 0.5 * (m * l ** 2 / 3) * thd ** 2 + m * g * l * np.cos(th)


def rod_momentum(xd, th, thd, m, l):
    return m * (xd + l * np.cos(th) * thd)


def cartpole_energy(x, M, m, l, g):
    return 0.5 * M * x[..., 1] ** 2 + rod_energy(x[..., 1], x[..., 2], x[..., 3], m, l, g)


def double_energy(x, M, ms, ls, g):
    e = 0.5 * M * x[..., 1] ** 2
    for i in range(2):
        e = e + rod_energy(x[..., 1], x[..., 2 + 2 * i], x[..., 3 + 2 * i], ms[i], ls[i], g)
    return e


# --------------------------------------------------------------------------- conservation

def test_pendulum_energy_is_conserved_without_damping_or_torque():
    pend = Pendulum(length=0.8, mass=1.3, gravity=9.81)
    y = trajectory(pend, [2.0, 0.5], 10.0)
    # point mass at (l sin th, -l cos th)
    e = 0.5 * 1.3 * (0.8 * y[:, 1]) ** 2 - 1.3 * 9.81 * 0.8 * np.cos(y[:, 0])
    np.testing.assert_allclose(e, e[0], rtol=1e-8, atol=0)
    # energy() is this energy measured from the bottom (-m g l)
    np.testing.assert_allclose(pend.energy(y), e + 1.3 * 9.81 * 0.8, rtol=1e-12)
    assert np.ptp(y[:, 0]) > 3.0  # a large swing, not a small-angle check


def test_cartpole_energy_and_momentum_are_conserved_without_friction_or_force():
    M, m, l, g = 1.0, 0.1, 0.5, 9.8
    cp = CartPole()
    y = trajectory(cp, [0.3, -0.2, 0.5, 0.4], 5.0)
    e = cartpole_energy(y, M, m, l, g)
    scale = abs(e[0]) + m * g * l
    np.testing.assert_allclose(e - e[0], 0.0, atol=1e-8 * scale)
    p = M * y[:, 1] + rod_momentum(y[:, 1], y[:, 2], y[:, 3], m, l)
    np.testing.assert_allclose(p - p[0], 0.0, atol=1e-8 * (abs(p[0]) + m * l))
    np.testing.assert_allclose(cp.energy(y), e, rtol=1e-12)
    assert np.ptp(y[:, 2]) > 3.0  # the pole falls over and swings through the bottom


def test_double_pole_energy_and_momentum_are_conserved_without_friction_or_force():
    M, ms, ls, g = 1.0, (0.1, 0.01), (0.5, 0.05), 9.8
    dp = DoublePole(cart_friction=0.0, pole_friction=0.0)
    y = trajectory(dp, [0.0, 0.1, 0.3, -0.2, -0.4, 1.0], 3.0)
    e = double_energy(y, M, ms, ls, g)
    np.testing.assert_allclose(e - e[0], 0.0, atol=1e-8 * (abs(e[0]) + 0.5))
    p = M * y[:, 1] + sum(rod_momentum(y[:, 1], y[:, 2 + 2 * i], y[:, 3 + 2 * i], ms[i], ls[i])
                          for i in range(2))
    np.testing.assert_allclose(p - p[0], 0.0, atol=1e-8 * (abs(p[0]) + 0.05))
    np.testing.assert_allclose(dp.energy(y), e, rtol=1e-12)


def test_friction_and_force_change_energy_by_their_power():
    # dE/dt along the flow = F x' - mu_c |x'| - mu_p sum theta_i'^2 (Coulomb cart friction,
    # viscous hinges) for Wieland's model; F u - b omega^2 for the pendulum. dE/dt is taken as
    # the directional derivative of the independent energy along the kernel's f.
    rng = np.random.default_rng(3)
    dp = DoublePole(cart_friction=0.3, pole_friction=0.02)
    E = lambda x: double_energy(x, 1.0, (0.1, 0.01), (0.5, 0.05), 9.8)  # noqa: E731
    h = 1e-6
    for _ in range(5):
        x = rng.uniform(-0.5, 0.5, 6)
        F = rng.uniform(-10, 10)
        v = f(dp, x, F)
        dE = (E(x + h * v) - E(x - h * v)) / (2 * h)
        want = F * x[1] - 0.3 * abs(x[1]) - 0.02 * (x[3] ** 2 + x[5] ** 2)
        assert dE == pytest.approx(want, abs=1e-7)
    pend = Pendulum(damping=0.4)
    Ep = lambda x: 0.5 * x[1] ** 2 - 9.81 * np.cos(x[0])  # noqa: E731
    x = np.array([1.0, -2.0])
    v = f(pend, x, 3.0)
    dE = (Ep(x + h * v) - Ep(x - h * v)) / (2 * h)
    assert dE == pytest.approx(3.0 * x[1] - 0.4 * x[1] ** 2, abs=1e-7)


# --------------------------------------------------------------------------- friction, N-E

def newton_euler_cartpole(x, F, M, m, l, g, muc, mup):
    """Newton-Euler for cart and rod with the hinge force (H, V) on the rod and the track's
    normal force N on the cart as unknowns, Coulomb friction -muc N sgn(N x') on the cart and
    a viscous hinge torque -mup theta' on the rod. Unknowns z = (x'', th'', H, V, N); the sign
    S = sgn(N x') is guessed, the linear system solved, and the guess checked."""
    _, xd, th, thd = x
    s, c = math.sin(th), math.cos(th)
    I = m * l * l / 3
    for S in (np.sign(xd), -np.sign(xd)):
        A = np.zeros((5, 5))
        b = np.zeros(5)
        # rod x: m (x'' + l (th'' c - thd^2 s)) = H
        A[0] = [m, m * l * c, -1, 0, 0]
        b[0] = m * l * thd ** 2 * s
        # rod y: m (-l (th'' s + thd^2 c)) = V - m g
        A[1] = [0, -m * l * s, 0, -1, 0]
        b[1] = m * l * thd ** 2 * c - m * g
        # rod rotation (clockwise positive), about the centre of mass: hinge at
        # (-l s, -l c) from it: I th'' = l s V - l c H - mup thd
        A[2] = [0, I, l * c, -l * s, 0]
        b[2] = -mup * thd
        # cart x: M x'' = F - H - muc S N
        A[3] = [M, 0, 1, 0, muc * S]
        b[3] = F
        # cart y: N - M g - V = 0
        A[4] = [0, 0, 0, -1, 1]
        b[4] = M * g
        z = np.linalg.solve(A, b)
        if np.sign(z[4] * xd) == S:
            return z
    raise AssertionError("no consistent friction sign")  # pragma: no cover


def test_cartpole_with_friction_matches_newton_euler():
    M, m, l, g, muc, mup = 1.2, 0.3, 0.6, 9.8, 0.2, 0.05
    cp = CartPole(cart_mass=M, pole_mass=m, half_length=l, gravity=g, cart_friction=muc,
                  pole_friction=mup)
    rng = np.random.default_rng(0)
    states = [rng.uniform([-1, -2, -1, -3], [1, 2, 1, 3]) for _ in range(6)]
    states.append(np.array([0.0, 0.5, 0.05, 25.0]))  # fast spin: the cart lifts, N < 0
    for x in states:
        F = rng.uniform(-10, 10)
        z = newton_euler_cartpole(x, F, M, m, l, g, muc, mup)
        d = f(cp, x, F)
        np.testing.assert_allclose(d[[1, 3]], z[:2], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(d[[0, 2]], x[[1, 3]])
    assert newton_euler_cartpole(states[-1], 0.0, M, m, l, g, muc, mup)[4] < 0


# --------------------------------------------------------------------------- linearisation

def test_pendulum_small_angle_frequency():
    pend = Pendulum(length=0.7, mass=2.0, gravity=9.81)
    w = math.sqrt(9.81 / 0.7)
    lam = np.linalg.eigvals(numerical_jacobian(pend, [0.0, 0.0]))
    np.testing.assert_allclose(sorted_eigs(lam), [-1j * w, 1j * w], atol=1e-6)
    lam = np.linalg.eigvals(numerical_jacobian(pend, [math.pi, 0.0]))  # inverted: a saddle
    np.testing.assert_allclose(sorted_eigs(lam), [-w, w], atol=1e-6)


def test_cartpole_upright_eigenvalues():
    # Lagrange's equations of cart + rod linearised at the top (KE of the rod as in
    # rod_energy): (M + m) x'' + m l th'' = F and m l x'' + 4/3 m l^2 th'' = m g l th.
    # Eliminating x'': th'' (4/3 l - m l / (M + m)) = g th, so th ~ exp(+-lam t) with
    # lam^2 = g (M + m) / (l (4/3 M + m/3)); x has a double zero eigenvalue.
    M, m, l, g = 1.3, 0.4, 0.7, 9.8
    cp = CartPole(cart_mass=M, pole_mass=m, half_length=l, gravity=g)
    lam = math.sqrt(g * (M + m) / (l * (4 / 3 * M + m / 3)))
    got = np.linalg.eigvals(numerical_jacobian(cp, np.zeros(4)))
    np.testing.assert_allclose(sorted_eigs(got), [-lam, 0, 0, lam], atol=1e-6)


def test_double_pole_eigenvalues_match_the_lagrangian_linearisation():
    # Lagrangian of cart (M) and two rods hinged at the cart (rod_energy): at q = (x, th1, th2)
    # = 0 the mass matrix is Mq = [[M+m1+m2, m1 l1, m2 l2], [m1 l1, 4/3 m1 l1^2, 0],
    # [m2 l2, 0, 4/3 m2 l2^2]] and the potential sum m_i g l_i cos th_i has Hessian
    # -diag(0, m1 g l1, m2 g l2): q'' = Mq^-1 diag(0, m1 g l1, m2 g l2) q, eigenvalues
    # +-sqrt(mu) for the eigenvalues mu of that matrix.
    M, ms, ls, g = 1.0, (0.1, 0.01), (0.5, 0.05), 9.8
    Mq = np.array([[M + sum(ms), ms[0] * ls[0], ms[1] * ls[1]],
                   [ms[0] * ls[0], 4 / 3 * ms[0] * ls[0] ** 2, 0],
                   [ms[1] * ls[1], 0, 4 / 3 * ms[1] * ls[1] ** 2]])
    K = np.diag([0.0, ms[0] * g * ls[0], ms[1] * g * ls[1]])
    mu = np.linalg.eigvals(np.linalg.solve(Mq, K))
    want = np.concatenate([np.sqrt(mu.astype(complex)), -np.sqrt(mu.astype(complex))])
    dp = DoublePole(cart_friction=0.0, pole_friction=0.0)
    got = np.linalg.eigvals(numerical_jacobian(dp, np.zeros(6), h=1e-7))
    np.testing.assert_allclose(sorted_eigs(got), sorted_eigs(want), atol=1e-5)
    assert max(abs(want)) > 10  # the short pole: fast, the hard part of the benchmark


# --------------------------------------------------------------------------- NEAT transcription

def neat_step(action, st):
    """K. O. Stanley's NEAT 1.2.1 ``CartPole::step`` (after Gomez's code), line by line."""
    FORCE_MAG, GRAVITY, MUP = 10.0, -9.8, 0.000002
    LENGTH_1, LENGTH_2, MASSPOLE_1, MASSPOLE_2, MASSCART = 0.5, 0.05, 0.1, 0.01, 1.0
    derivs = np.zeros(6)
    force = (action - 0.5) * FORCE_MAG * 2
    costheta_1 = math.cos(st[2])
    sintheta_1 = math.sin(st[2])
    gsintheta_1 = GRAVITY * sintheta_1
    costheta_2 = math.cos(st[4])
    sintheta_2 = math.sin(st[4])
    gsintheta_2 = GRAVITY * sintheta_2
    ml_1 = LENGTH_1 * MASSPOLE_1
    ml_2 = LENGTH_2 * MASSPOLE_2
    temp_1 = MUP * st[3] / ml_1
    temp_2 = MUP * st[5] / ml_2
    fi_1 = (ml_1 * st[3] * st[3] * sintheta_1) + (0.75 * MASSPOLE_1 * costheta_1 * (temp_1 + gsintheta_1))
    fi_2 = (ml_2 * st[5] * st[5] * sintheta_2) + (0.75 * MASSPOLE_2 * costheta_2 * (temp_2 + gsintheta_2))
    mi_1 = MASSPOLE_1 * (1 - (0.75 * costheta_1 * costheta_1))
    mi_2 = MASSPOLE_2 * (1 - (0.75 * costheta_2 * costheta_2))
    derivs[1] = (force + fi_1 + fi_2) / (mi_1 + mi_2 + MASSCART)
    derivs[3] = -0.75 * (derivs[1] * costheta_1 + gsintheta_1 + temp_1) / LENGTH_1
    derivs[5] = -0.75 * (derivs[1] * costheta_2 + gsintheta_2 + temp_2) / LENGTH_2
    derivs[0], derivs[2], derivs[4] = st[1], st[3], st[5]
    return derivs, mi_1 + mi_2 + MASSCART


def test_double_pole_matches_stanleys_neat_step():
    # NEAT's step has no cart friction (its MUC is unused); Wieland's adds -mu_c sgn(x') to
    # the numerator of x'', which shows as that term over the effective total mass.
    rng = np.random.default_rng(1)
    no_cart_friction = DoublePole(cart_friction=0.0)
    default = DoublePole()
    for _ in range(8):
        st = rng.uniform([-2, -2, -0.6, -3, -0.6, -10], [2, 2, 0.6, 3, 0.6, 10])
        action = rng.uniform(0, 1)
        ref, mass = neat_step(action, st)
        force = (action - 0.5) * 20
        np.testing.assert_allclose(f(no_cart_friction, st, force), ref, rtol=1e-13, atol=1e-13)
        d = f(default, st, force)
        dxdd = -0.0005 * np.sign(st[1]) / mass
        assert d[1] - ref[1] == pytest.approx(dxdd, rel=1e-6)
        for i, li in ((3, 0.5), (5, 0.05)):
            c = math.cos(st[i - 1])
            assert d[i] - ref[i] == pytest.approx(-0.75 * dxdd * c / li, rel=1e-6)


def test_double_pole_benchmark_rk4_matches_neat_rk4():
    # The benchmark's integration (RK4, dt = 0.01 s) through plant_system and solve against
    # NEAT's rk4 over NEAT's step, 200 steps (2 s) from Gomez's start (theta1 = 0.07 rad).
    action = 0.55
    st = np.array([0.0, 0.0, 0.07, 0.0, 0.0, 0.0])
    ref = [st.copy()]
    tau = 0.01
    for _ in range(200):
        k1 = neat_step(action, st)[0]
        k2 = neat_step(action, st + tau / 2 * k1)[0]
        k3 = neat_step(action, st + tau / 2 * k2)[0]
        k4 = neat_step(action, st + tau * k3)[0]
        st = st + tau / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ref.append(st.copy())
    sys = plant_system(DoublePole(cart_friction=0.0), [(action - 0.5) * 20])
    sol = solve(sys, (0.0, 2.0), ref[0], method="rk4", dt=tau, t_eval=np.arange(201) * tau)
    assert sol.success
    np.testing.assert_allclose(sol.y, np.array(ref), rtol=1e-9, atol=1e-11)
    assert abs(ref[-1][2]) > 0.1  # the pole moved: not a trivial trajectory


# --------------------------------------------------------------------------- plant_system

def test_linear_plant_under_constant_input_matches_expm():
    A = np.array([[-0.5, 2.0, 0.0], [-2.0, -0.5, 1.0], [0.0, 0.3, -1.0]])
    B = np.array([[1.0, 0.0], [0.0, 0.5], [2.0, -1.0]])
    u = np.array([0.7, -1.2])
    x0 = np.array([1.0, -0.5, 0.2])
    lp = LinearPlant(A, B, input_low=-2.0, input_high=[1.0, 2.0])
    t = np.linspace(0.0, 3.0, 7)
    # augmented system d/dt [x; 1] = [[A, B u], [0, 0]] [x; 1]
    aug = np.zeros((4, 4))
    aug[:3, :3] = A
    aug[:3, 3] = B @ u
    exact = np.array([(expm(aug * tk) @ np.append(x0, 1.0))[:3] for tk in t])
    sol = solve(plant_system(lp, u), (0.0, 3.0), x0, t_eval=t, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(sol.y, exact, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(f(lp, x0, u), A @ x0 + B @ u, rtol=1e-14)
    with pytest.raises(ValueError, match=r"u\[0\] \(u0\) = 1.5 is outside"):
        plant_system(lp, [1.5, 0.0])
    with pytest.raises(ValueError, match=r"u must have shape \(2,\)"):
        plant_system(lp, [0.1])
    with pytest.raises(ValueError, match="shipped plants"):
        plant_system(Plant(lambda t, x, p, u, d: None, 1, 0), [])


# --------------------------------------------------------------------------- compiled

@pytest.mark.parametrize("plant", [Pendulum(damping=0.1), CartPole(cart_friction=0.1,
                                                                   pole_friction=0.01),
                                   DoublePole(), LinearPlant(np.eye(3) - 2, np.ones((3, 2)))],
                         ids=lambda p: type(p).__name__)
def test_kernels_compile_and_agree_with_plain_python(plant):
    jitted = numba.njit(plant.rhs)
    rng = np.random.default_rng(2)
    for _ in range(5):
        x = rng.uniform(-1, 1, plant.n)
        u = rng.uniform(-1, 1, plant.n_inputs)
        want = np.empty(plant.n)
        plant.rhs(0.0, x, plant.params, u, want)
        got = np.empty(plant.n)
        jitted(0.0, x, plant.params, u, got)
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


def test_kernels_are_callable_from_compiled_code():
    # How a coupling uses them: a compiled kernel calls the plant kernel by name.
    @numba.njit
    def both(x, p1, p2, u, out):
        cartpole_rhs(0.0, x[:4], p1, u, out[:4])
        pendulum_rhs(0.0, x[4:], p2, u, out[4:])

    cp, pend = CartPole(), Pendulum()
    x = np.array([0.1, 0.2, 0.3, 0.4, 1.0, 2.0])
    out = np.empty(6)
    both(x, cp.params, pend.params, np.array([1.5]), out)
    np.testing.assert_allclose(out[:4], f(cp, x[:4], 1.5), rtol=1e-14)
    np.testing.assert_allclose(out[4:], f(pend, x[4:], 1.5), rtol=1e-14)


# --------------------------------------------------------------------------- description

def test_failed_uses_the_limits():
    cp = CartPole()
    lim = math.radians(12)
    assert not cp.failed([2.4, 100.0, lim, -100.0])  # velocities never fail
    assert cp.failed([-2.4001, 0, 0, 0]) and cp.failed([0, 0, -lim - 1e-9, 0])
    assert cp.failed([0, np.nan, 0, 0])
    traj = np.array([[0, 0, 0, 0], [0, 0, 0.3, 0], [3.0, 0, 0, 0]])
    np.testing.assert_array_equal(cp.failed(traj), [False, True, True])
    dp = DoublePole(angle_limit=0.5, x_limit=1.0)
    assert dp.failed([0, 0, 0, 0, 0.51, 0]) and not dp.failed([0.99, 0, 0.49, 0, -0.49, 0])
    assert not DoublePole().failed([0, 0, math.radians(35.9), 0, -math.radians(35.9), 0])
    assert not Pendulum().failed([1e6, 1e6])
    np.testing.assert_array_equal(cp.limits, [2.4, np.inf, lim, np.inf])
    np.testing.assert_array_equal(DoublePole().input_high, [10.0])
    with pytest.raises(ValueError, match=r"x must have shape \(4,\)"):
        cp.failed([0.0, 0.0])
    with pytest.raises(NotImplementedError, match="LinearPlant"):
        LinearPlant([[1.0]], [[1.0]]).energy([0.0])


@pytest.mark.parametrize("make, match, error", [
    (lambda: CartPole(pole_mass=-0.1), "pole_mass must be a positive", ValueError),
    (lambda: CartPole(cart_mass=True), "cart_mass must be a real number", InvalidTypeError),
    (lambda: Pendulum(length="1.0"), "length must be a real number", InvalidTypeError),
    (lambda: Pendulum(damping=float("nan")), "damping must be a number, got nan", ValueError),
    (lambda: Pendulum(mass=1 + 0j), "mass must be a real number", InvalidTypeError),
    (lambda: DoublePole(pole_masses=(0.1,)), r"pole_masses must have shape \(2,\)", ValueError),
    (lambda: DoublePole(half_lengths=(0.5, 0.0)), r"half_lengths\[1\] must be a positive",
     ValueError),
    (lambda: DoublePole(cart_friction=-1e-3), "cart_friction must be a non-negative",
     ValueError),
    (lambda: CartPole(angle_limit=0.0), "angle_limit must be a positive", ValueError),
    (lambda: LinearPlant([[1.0, 0.0]], [[1.0]]), "A must be square", ValueError),
    (lambda: LinearPlant(np.eye(2), [[1.0]]), r"B must have shape \(2, n_inputs\)", ValueError),
    (lambda: LinearPlant(np.eye(1), [[True]]), "B must hold real numbers", InvalidTypeError),
    (lambda: LinearPlant(np.eye(1), [[1.0]], input_low=1.0, input_high=0.0),
     r"input_low\[0\] = 1.0 is above input_high\[0\]", ValueError),
    (lambda: LinearPlant(np.eye(1), [[1.0]], limits=-1.0), r"limits\[0\] \(state 'x0'\)",
     ValueError),
    (lambda: Plant(linear_rhs, 2, 1, (), state_names=("a",)), "state_names must be 2",
     ValueError),
])
def test_bad_input_names_the_parameter(make, match, error):
    with pytest.raises(error, match=match):
        make()


def test_immutable_pickles_and_replaces():
    dp = DoublePole(pole_masses=(0.2, 0.02))
    with pytest.raises(AttributeError, match="immutable"):
        dp.gravity = 1.0
    back = pickle.loads(pickle.dumps(dp))
    assert back.params == dp.params and back.rhs is double_pole_rhs
    assert repr(back) == repr(dp) and "pole_masses=(0.2, 0.02)" in repr(dp)
    other = dp.replace(gravity=1.62)
    assert other.params[5] == 1.62 and other.pole_masses == (0.2, 0.02)
    lp = pickle.loads(pickle.dumps(LinearPlant(np.eye(2), np.ones((2, 1)), limits=[1.0, 2.0])))
    np.testing.assert_array_equal(lp.limits, [1.0, 2.0])
    assert repr(lp) == "LinearPlant(n=2, n_inputs=1)"
