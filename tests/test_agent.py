"""neurodyn.Agent (a CTRNN coupled to a plant) against independent references: closed forms on a
linear plant, a hand-written NumPy right-hand side of the whole agent under SciPy, the
individual solves of an ensemble's members, and the plant's failure bounds."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import solvers
from neurodyn import CTRNN, Agent, couple
from neurodyn.plants import CartPole, DoublePole, LinearPlant


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_sensor_drives_a_neuron_as_an_input_current():
    # x' = -x (no motor), tau y' = -y + s x: x = x0 e^-t, y = s x0 t e^-t (tau = 1, W = 0).
    s, x0 = 1.7, 0.8
    a = Agent(CTRNN(np.zeros((1, 1))), LinearPlant([[-1.0]], [[0.0]]), sensors=[[s]],
              motors=[[0.0]])
    t = np.linspace(0.0, 6.0, 61)
    sol = solvers.solve(a, (0.0, 6.0), a.initial_state([x0]), t_eval=t, rtol=1e-11,
                        atol=1e-13)
    np.testing.assert_allclose(a.body(sol.y)[:, 0], x0 * np.exp(-t), rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.neurons(sol.y)[:, 0], s * x0 * t * np.exp(-t), rtol=0,
                               atol=1e-10)


def test_sensor_input_scales_with_the_time_constant():
    # tau y' = -y + s x with x constant (A = 0, no motor): y = s x0 (1 - e^{-t/tau}).
    tau, s, x0 = 2.5, -0.6, 1.3
    a = Agent(CTRNN(np.zeros((1, 1)), tau=tau), LinearPlant([[0.0]], [[0.0]]),
              sensors=[[s]], motors=[[0.0]], sensor_offset=[0.25])
    sol = solvers.solve(a, (0.0, 5.0), a.initial_state([x0]), t_eval=[5.0], rtol=1e-11,
                        atol=1e-13)
    assert sol.y[-1, 0] == pytest.approx((s * x0 + 0.25) * (1 - np.exp(-5.0 / tau)), abs=1e-10)


def test_motors_drive_the_plant_with_the_neuron_outputs_and_are_clipped():
    # Neurons with W = 0 and no sensors stay at y = 0: outputs o_i = sigma(g_i theta_i).
    # x' = -x + u, u = M o + m_off  ->  x = u (1 - e^-t).
    theta, gain = np.array([0.3, -1.2]), np.array([1.0, 2.0])
    o = sig(gain * theta)
    M, m_off = np.array([[2.0, -1.0]]), np.array([0.4])
    body = LinearPlant([[-1.0]], [[1.0]])
    a = Agent(CTRNN(np.zeros((2, 2)), bias=theta, gain=gain), body,
              sensors=np.zeros((2, 1)), motors=M, motor_offset=m_off)
    u = float((M @ o + m_off)[0])
    sol = solvers.solve(a, (0.0, 3.0), a.initial_state([0.0]), t_eval=[3.0], rtol=1e-11,
                        atol=1e-13)
    assert sol.y[-1, 2] == pytest.approx(u * (1 - np.exp(-3.0)), abs=1e-10)
    # the same with the plant's input range [-0.1, 0.1]: u is clipped to 0.1
    clipped = LinearPlant([[-1.0]], [[1.0]], input_low=[-0.1], input_high=[0.1])
    b = a.replace(plant=clipped)
    sol = solvers.solve(b, (0.0, 3.0), b.initial_state([0.0]), t_eval=[3.0], rtol=1e-11,
                        atol=1e-13)
    assert u > 0.1 and sol.y[-1, 2] == pytest.approx(0.1 * (1 - np.exp(-3.0)), abs=1e-10)


def _cartpole_agent(seed=0):
    rng = np.random.default_rng(seed)
    net = CTRNN(rng.normal(0, 3, (3, 3)), tau=rng.uniform(0.2, 1.0, 3),
                bias=rng.normal(0, 1, 3), blas=False)
    return Agent(net, CartPole(), sensors=rng.normal(0, 1, (3, 4)),
                 motors=rng.normal(0, 15, (1, 3)), motor_offset=[-3.0])


def _hand_rhs(agent):
    """The whole agent written out in NumPy: the CTRNN, the sensors, the motors and Florian's
    cart-pole equations (frictionless), independently of the kernels."""
    net, pl = agent.controller, agent.plant
    W, tau, th, g = net.W, net.tau, net.bias, net.gain
    S, M = agent.sensors, agent.motors
    mc, mp, l, grav = 1.0, 0.1, 0.5, 9.8  # CartPole() defaults, checked below
    assert (pl.cart_mass, pl.pole_mass, pl.half_length, pl.gravity) == (mc, mp, l, grav)

    def f(t, z):
        y, x = z[:3], z[3:]
        o = sig(g * (y + th))
        dy = (-y + W @ o + S @ x) / tau
        F = float(np.clip(M @ o + agent.motor_offset, -10.0, 10.0)[0])
        _, xd, q, qd = x
        # Barto et al. (1983) with Florian's (2007) correction (no friction)
        tmp = (F + mp * l * qd ** 2 * np.sin(q)) / (mc + mp)
        qdd = (grav * np.sin(q) - np.cos(q) * tmp) / (l * (4.0 / 3.0 - mp * np.cos(q) ** 2
                                                            / (mc + mp)))
        xdd = tmp - mp * l * qdd * np.cos(q) / (mc + mp)
        return np.concatenate([dy, [xd, xdd, qd, qdd]])

    return f


# The cart-pole agents run RK4 at dt = 1e-4: one compiled loop per kernel that the other tests
# share, where an adaptive method with t_eval would compile a larger loop of its own for every
# kernel. (The clipped motor makes the right-hand side only piecewise smooth, which costs RK4
# its order at the kinks: at dt = 1e-3 it was 1e-6 off the reference, at 1e-4 inside 1e-8.)
RK4 = dict(method="rk4", dt=1e-4)
EVERY = 1000  # rows of the RK4 run at t = 0, 0.1, ..., 2


def _rk4_rows(agent, z0):
    sol = solvers.solve(agent, (0.0, 2.0), z0, **RK4)
    assert sol.success and len(sol.t) == 20001
    return sol.y[::EVERY]


def test_agent_equals_a_hand_written_kernel_of_the_same_agent():
    a = _cartpole_agent()
    z0 = a.initial_state([0.1, 0.0, 0.05, -0.1], neurons=[0.2, -0.1, 0.0])
    t = np.linspace(0.0, 2.0, 21)
    ref = solve_ivp(_hand_rhs(a), (0.0, 2.0), z0, method="DOP853", t_eval=t, rtol=1e-12,
                    atol=1e-12)
    assert ref.success
    np.testing.assert_allclose(_rk4_rows(a, z0), ref.y.T, rtol=0, atol=1e-8)


@pytest.mark.parametrize("storage", ["sparse", "blas", "driven"])
def test_every_controller_storage_gives_the_same_agent(storage):
    # Dense controllers with a constant input have their own template (outputs computed once);
    # sparse, BLAS and time-varying-input controllers go through the CTRNN's own kernel.
    import scipy.sparse as sp
    from neurodyn import Sinusoid

    a = _cartpole_agent()
    net = a.controller
    if storage == "sparse":
        other = a.replace(controller=CTRNN(sp.csr_matrix(net.W), tau=net.tau, bias=net.bias))
    elif storage == "blas":
        other = a.replace(controller=net.replace(blas=True))
    else:  # a sinusoid of amplitude 0 is a constant input through the driven kernel
        other = a.replace(controller=net.replace(input=Sinusoid(0.0, 1.0, offset=0.0)))
    assert other.rhs is not a.rhs or storage == "blas"
    z0 = a.initial_state([0.1, 0.0, 0.05, -0.1], neurons=[0.2, -0.1, 0.0])
    np.testing.assert_allclose(_rk4_rows(other, z0), _rk4_rows(a, z0), rtol=0, atol=1e-12)


def test_one_kernel_per_controller_and_plant_type():
    a, b = _cartpole_agent(0), _cartpole_agent(1)
    assert a.rhs is b.rhs
    c = Agent(CTRNN(np.zeros((3, 3)), blas=False), DoublePole(),
              sensors=np.zeros((3, 6)), motors=np.zeros((1, 3)))
    assert c.rhs is not a.rhs


def test_a_population_is_one_ensemble_call_and_equals_its_solves():
    agents = [_cartpole_agent(s) for s in range(6)]
    z0 = agents[0].initial_state([0.0, 0.0, 0.05, 0.0])
    kw = dict(method="rk4", dt=0.01)
    ens = solvers.solve_ensemble(agents, (0.0, 2.0), z0, save="final", **kw)
    for i, a in enumerate(agents):
        one = solvers.solve(a, (0.0, 2.0), z0, **kw)
        np.testing.assert_array_equal(ens.y_final[i], one.y[-1])


def test_failure_event_stops_where_the_pole_leaves_its_bounds():
    # No force (motors zero): the upright pole falls; the run stops at |theta| = 12 degrees.
    a = Agent(CTRNN(np.zeros((1, 1))), CartPole(), sensors=np.zeros((1, 4)),
              motors=np.zeros((1, 1)))
    z0 = a.initial_state([0.0, 0.0, 0.01, 0.0])
    sol = solvers.solve(a, (0.0, 10.0), z0, events=[a.failure_event()], rtol=1e-10,
                        atol=1e-12)
    assert sol.status == 1 and 0.5 < sol.t[-1] < 10.0
    assert abs(sol.y[-1, 3]) == pytest.approx(np.deg2rad(12.0), abs=1e-8)
    assert a.plant.failed(a.body(sol.y[-1]) * 1.0001) and not a.plant.failed(a.body(sol.y[-2]))


def test_bad_input_names_what_is_wrong():
    net, body = CTRNN(np.zeros((2, 2))), CartPole()
    with pytest.raises(ValueError, match="sensors"):
        Agent(net, body, sensors=np.zeros((2, 3)), motors=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="motors"):
        Agent(net, body, sensors=np.zeros((2, 4)), motors=np.zeros((2, 2)))
    with pytest.raises(TypeError, match="sensors"):
        Agent(net, body, sensors=np.zeros((2, 4), bool), motors=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="motor_offset"):
        Agent(net, body, sensors=np.zeros((2, 4)), motors=np.zeros((1, 2)),
              motor_offset=[np.nan])
    with pytest.raises(TypeError, match="controller"):
        Agent("net", body, sensors=np.zeros((2, 4)), motors=np.zeros((1, 2)))
    with pytest.raises(TypeError, match="plant"):
        Agent(net, object(), sensors=np.zeros((2, 4)), motors=np.zeros((1, 2)))
    a = couple(net, body, sensors=np.zeros((2, 4)), motors=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="body"):
        a.initial_state([0.0, 0.0])


# ------------------------------------------------------------------ saving, genomes, evolution

def test_an_agent_saves_and_loads_with_its_controller_and_body(tmp_path):
    import neurodyn

    a = _cartpole_agent(3)
    neurodyn.save(a, tmp_path / "agent.npz")
    b = neurodyn.load(tmp_path / "agent.npz")
    z0 = a.initial_state([0.0, 0.0, 0.05, 0.0])
    ya = solvers.solve(a, (0.0, 1.0), z0, method="rk4", dt=0.01).y
    yb = solvers.solve(b, (0.0, 1.0), z0, method="rk4", dt=0.01).y
    np.testing.assert_array_equal(ya, yb)  # same process: bit for bit
    assert b.rhs is a.rhs and repr(b.plant) == repr(a.plant)  # one kernel, the same body
    np.testing.assert_array_equal(b.sensors, a.sensors)


def _dpv_template(n=3):
    return Agent(CTRNN(np.zeros((n, n)), blas=False), DoublePole(), sensors=np.zeros((n, 6)),
                 motors=np.zeros((1, n)))


def test_agent_genome_maps_genes_as_written_out_by_hand():
    from neurodyn.train import AgentGenome, CTRNNGenome

    tmpl = _dpv_template(2)
    g = AgentGenome(tmpl, CTRNNGenome(2, weight=(-4.0, 4.0), bias="center", tau=None),
                    sensors=(-2.0, 2.0), motors=(-10.0, 30.0),
                    sensor_mask=np.eye(2, 6, dtype=bool))
    assert g.size == 4 + 2 + 2
    assert g.names[4:] == ["sensors[0,0]", "sensors[1,1]", "motors[0,0]", "motors[0,1]"]
    genes = np.array([0.0, 0.25, 0.5, 1.0, 0.75, 0.5, 0.25, 1.0])
    a = g.decode(genes)
    W = np.array([[-4.0, -2.0], [0.0, 4.0]])
    np.testing.assert_array_equal(a.controller.W, W)
    np.testing.assert_array_equal(a.controller.bias, -0.5 * W.sum(axis=1))  # center-crossing
    S = np.zeros((2, 6))
    S[0, 0], S[1, 1] = 1.0, 0.0
    np.testing.assert_array_equal(a.sensors, S)
    np.testing.assert_array_equal(a.motors, [[0.0, 30.0]])
    np.testing.assert_array_equal(a.motor_offset, [-15.0])  # at rest at outputs 1/2
    many = g.decode_many(np.vstack([genes, genes]))
    np.testing.assert_array_equal(many[1].sensors, S)
    with pytest.raises(ValueError, match="motors"):
        g.decode(np.r_[genes[:-1], 1.5])
    with pytest.raises(ValueError, match="shape"):
        g.decode(genes[:-1])
    with pytest.raises(ValueError, match="neurons"):
        AgentGenome(tmpl, CTRNNGenome(3))
    with pytest.raises(ValueError, match="sensor_mask"):
        AgentGenome(tmpl, CTRNNGenome(2), sensor_mask=np.ones((2, 5), bool))


def test_cmaes_balances_the_double_pole_with_velocities():
    """Issue 16's benchmark task, one seed: CMA-ES evolves a 3-neuron CTRNN that keeps both
    poles up for 100,000 RK4 steps (1000 s) from the long pole at 4.5 degrees; the champion is
    then checked by a solve of its own, whose trajectory stays inside every bound."""
    pytest.importorskip("cma")
    from neurodyn.train import AgentGenome, CTRNNGenome, evolve

    tmpl = _dpv_template()
    genome = AgentGenome(tmpl, CTRNNGenome(3, weight=(-5.0, 5.0), bias="center",
                                           tau=(0.05, 1.0)), sensors=(-5.0, 5.0),
                         motors=(-20.0, 20.0))
    z0 = tmpl.initial_state([0.0, 0.0, np.deg2rad(4.5), 0.0, 0.0, 0.0])
    T = 1000.0
    ev = tmpl.failure_event()

    def fitness(agents):
        return solvers.solve_ensemble(agents, (0.0, T), z0, method="rk4", dt=0.01, events=[ev],
                                      save="final").t_final

    res = evolve(genome, fitness, method="cmaes", generations=400, seed=1, target=T,
                 restarts=9)
    assert res.status == 1 and res.best_fitness == T and res.evaluations <= 5000
    best = res.best_model
    sol = solvers.solve(best, (0.0, T), z0, method="rk4", dt=0.01)
    x = best.body(sol.y)
    assert sol.success and sol.t[-1] == pytest.approx(T) and len(sol.t) == 100_001
    assert np.all(np.abs(x[:, 0]) <= 2.4)
    assert np.all(np.abs(x[:, [2, 4]]) <= np.deg2rad(36.0))
    assert not np.any(best.plant.failed(x))


def test_analysis_takes_an_agent_as_any_system():
    # Neuron y driven by the body x (sensor s), body x' = -x + M sigma(y + theta): the
    # equilibria solve x = M sigma(s x + theta) (y = s x). One equilibrium for this choice
    # (the map's slope |M s sigma'| < 1), found by fixed_points; its residual and its
    # eigenvalues checked against the hand-written Jacobian.
    from scipy.optimize import brentq

    from neurodyn.analysis import fixed_points

    s, th, M = 0.8, -0.3, 1.5
    a = Agent(CTRNN(np.zeros((1, 1)), bias=th), LinearPlant([[-1.0]], [[1.0]]),
              sensors=[[s]], motors=[[M]])
    x_star = brentq(lambda x: M * sig(s * x + th) - x, -10.0, 10.0, xtol=1e-14)
    fps = fixed_points(a, box=(-5.0, 5.0))
    assert len(fps) == 1 and fps[0].stability == "stable node"
    np.testing.assert_allclose(fps[0].x, [s * x_star, x_star], atol=1e-9)
    d = sig(s * x_star + th) * (1 - sig(s * x_star + th))
    J = np.array([[-1.0, s], [M * d, -1.0]])
    np.testing.assert_allclose(np.sort(fps[0].eigenvalues.real), np.sort(np.linalg.eigvals(J).real),
                               atol=1e-6)


def angle_features(t, x, p, out):
    """Sensor stage of the test: (sin theta, cos theta, scaled theta')."""
    out[0] = np.sin(x[2])
    out[1] = np.cos(x[2])
    out[2] = p[0] * x[3]


def test_a_sensor_function_feeds_the_sensors_its_features():
    a = _cartpole_agent()
    rng = np.random.default_rng(5)
    S3 = rng.normal(0.0, 1.0, (3, 3))
    b = a.replace(sensors=S3, sensor_function=angle_features, sensor_params=(0.5,))
    assert b.rhs is not a.rhs
    f = _hand_rhs(a)

    def hand(t, z):  # the same agent, the features in place of the body state in S @ x
        dz = f(t, z)
        x = z[3:]
        feats = np.array([np.sin(x[2]), np.cos(x[2]), 0.5 * x[3]])
        dz[:3] += (S3 @ feats - a.sensors @ x) / a.controller.tau
        return dz

    z0 = a.initial_state([0.1, 0.0, 0.05, -0.1], neurons=[0.2, -0.1, 0.0])
    t = np.linspace(0.0, 2.0, 21)
    ref = solve_ivp(hand, (0.0, 2.0), z0, method="DOP853", t_eval=t, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_rk4_rows(b, z0), ref.y.T, rtol=0, atol=1e-8)
    import scipy.sparse as sp
    c = b.replace(controller=CTRNN(sp.csr_matrix(a.controller.W), tau=a.controller.tau,
                                   bias=a.controller.bias))  # the generic template
    np.testing.assert_allclose(_rk4_rows(c, z0), ref.y.T, rtol=0, atol=1e-8)
    with pytest.raises(ValueError, match="sensors"):
        a.replace(sensors=np.zeros((2, 3)), sensor_function=angle_features)
    with pytest.raises(TypeError, match="sensor_function"):
        a.replace(sensor_function="sin")
