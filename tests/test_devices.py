"""circuits.devices and circuits.drive: memristor models against closed forms, SciPy at tight
tolerance, quadrature of the loop area and finite differences of the Jacobians."""
import math
import pickle

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

import solvers
from circuits import _kernels_devices as K
from circuits.devices import VTEAM, HPMemristor
from circuits.drive import OUT_OF_RANGE, drive
from circuits.sources import Constant, Pulses, Sampled, Sine, Triangle

# Strukov et al.'s values, written out here rather than read from the class defaults
R_ON, R_OFF, D, MU_V = 100.0, 16e3, 10e-9, 1e-14
K0 = MU_V * R_ON / D**2                      # dx/dt = K0 i f
KK = (R_OFF - R_ON) * K0                     # the k of the closed form
TIGHT = dict(rtol=1e-10, atol=1e-14)


def hp_closed_form(t, V0, w, M0):
    """Current and memristance of the window-free HP device under V0 sin(w t)."""
    M = np.sqrt(M0**2 - 2.0 * KK * V0 * (1.0 - np.cos(w * t)) / w)
    return V0 * np.sin(w * t) / M, M


# ----------------------------------------------------------------- HP, no window
@pytest.mark.parametrize("V0, f, x0, method", [(1.0, 1.0, 0.1, "dopri5"), (1.5, 3.0, 0.4, "dopri5"),
                                                (1.0, 1.0, 0.1, "radau")])
def test_hp_sine_current_equals_closed_form(V0, f, x0, method):
    hp = HPMemristor()
    t = np.linspace(0.0, 2.0 / f, 801)
    # radau uses the analytic Jacobian kernel
    r = drive(hp, Sine(V0, f), (0.0, t[-1]), x0, t_eval=t, method=method, **TIGHT)
    assert r.success, r.message
    assert method != "radau" or r.solution.njev > 0
    M0 = R_ON * x0 + R_OFF * (1 - x0)
    i_ref, M_ref = hp_closed_form(t, V0, 2 * np.pi * f, M0)
    assert M_ref.min() < 0.8 * M0            # the state really moved (a nonlinear loop)
    np.testing.assert_allclose(r.i, i_ref, rtol=0, atol=1e-9 * np.abs(i_ref).max())
    np.testing.assert_allclose(r.x, (R_OFF - M_ref) / (R_OFF - R_ON), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(r.v, V0 * np.sin(2 * np.pi * f * t))


def test_loop_is_pinched_at_the_origin():
    V0, f, x0 = 1.0, 1.0, 0.1
    w = 2 * np.pi * f
    half = 0.5 / f
    # the zero crossings of v and points just beside them
    t = np.sort(np.r_[np.arange(5) * half, np.arange(4) * half + 1e-7, 4 * half - 1e-7])
    r = drive(HPMemristor(), Sine(V0, f), (0.0, 4 * half), x0, t_eval=t, **TIGHT)
    at_zero = np.isin(t, np.arange(5) * half)
    assert np.all(np.abs(r.i[at_zero]) <= 1e-15 * V0 / R_ON)
    # Slopes di/dv through the origin are 1/M there: 1/M0 on the way out (theta = 0), 1/M(pi)
    # at theta = pi. They differ, so the two lobes cross at the origin (a pinch, no tangency).
    slope = r.i[~at_zero] / r.v[~at_zero]
    M0 = R_ON * x0 + R_OFF * (1 - x0)
    M_pi = math.sqrt(M0**2 - 4 * KK * V0 / w)
    np.testing.assert_allclose(slope[[0, 2]], 1 / M0, rtol=1e-6)
    np.testing.assert_allclose(slope[[1, 3]], 1 / M_pi, rtol=1e-6)
    assert 1 / M_pi > 1.2 / M0


def lobe_area_quad(V0, w, M0):
    """|closed integral of i dv| over the positive half-wave, by quadrature of the closed form."""
    val = quad(lambda th: np.sin(th) * np.cos(th) / np.sqrt(
        M0**2 - 2 * KK * V0 * (1 - np.cos(th)) / w), 0.0, np.pi, epsabs=0, epsrel=1e-10,
        limit=200)[0]
    return V0**2 * abs(val)


def test_lobe_areas_equal_quadrature_and_shrink_like_one_over_omega():
    V0, x0 = 1.0, 0.1
    M0 = R_ON * x0 + R_OFF * (1 - x0)
    freqs = [0.5, 1.0, 2.0, 20.0, 40.0]
    areas = []
    for f in freqs:
        t = np.linspace(0.0, 1.0 / f, 4001)
        r = drive(HPMemristor(), Sine(V0, f), (0.0, t[-1]), x0, t_eval=t, **TIGHT)
        a_pos, a_neg = r.lobe_areas()
        ref = lobe_area_quad(V0, 2 * np.pi * f, M0)
        assert a_pos == pytest.approx(ref, rel=1e-5)
        assert a_neg == pytest.approx(a_pos, rel=1e-9)    # point symmetry of the sine loop
        areas.append(a_pos)
    assert np.all(np.diff(areas) < 0)
    # High frequency: with eps = 2 k V0 / (w M0^2), expanding 1/M = (1 - eps (1 - cos))^(-1/2)
    # / M0 and integrating term by term (c = cos theta: integral_{-1}^{1} c (1 - c)^n dc =
    # 0, -2/3, -4/3, -12/5, -64/15) gives A = (V0^2 / M0) (eps/3 + eps^2/2 + 3 eps^3/4 +
    # 7 eps^4/6 + ...): A w tends to 2 k V0^3 / (3 M0^3).
    w20, w40 = 2 * np.pi * 20.0, 2 * np.pi * 40.0
    assert (areas[4] * w40) / (areas[3] * w20) == pytest.approx(1.0, abs=0.02)
    for A, w in ((areas[3], w20), (areas[4], w40)):
        eps = 2 * KK * V0 / (w * M0**2)
        assert A * w == pytest.approx(2 * KK * V0**3 / (3 * M0**3), rel=2 * eps)
        series = V0**2 / M0 * (eps / 3 + eps**2 / 2 + 3 * eps**3 / 4)
        assert A == pytest.approx(series, rel=4 * eps**3 + 3e-6)


@pytest.mark.parametrize("amplitude, edge", [(5.0, 1.0), (-5.0, 0.0)])
def test_window_free_device_stops_where_x_leaves_its_range(amplitude, edge):
    x0, w = 0.5, 2 * np.pi
    r = drive(HPMemristor(), Sine(amplitude, 1.0), (0.0, 1.0), x0, **TIGHT)
    assert r.status == OUT_OF_RANGE and not r.success
    assert f"x reached {edge:g} at t =" in r.message and "window" in r.message
    assert np.all((r.x >= 0.0) & (r.x <= 1.0))
    # M^2 = M0^2 - 2 k V0 (1 - cos wt) / w reaches R_on^2 (x = 1) or R_off^2 (x = 0) at:
    M0 = R_ON * x0 + R_OFF * (1 - x0)
    M_edge = R_ON if edge else R_OFF
    t_exit = math.acos(1 - (M0**2 - M_edge**2) * w / (2 * KK * amplitude)) / w
    assert r.t[-1] == pytest.approx(t_exit, rel=1e-9)
    assert r.x[-1] == pytest.approx(edge, abs=1e-9)


# ----------------------------------------------------------------- windows against SciPy
def window_ref(name, x, direction, p, j):
    if name is None:
        return 1.0
    if name == "joglekar":
        return 1 - (2 * x - 1) ** (2 * p)
    if name == "biolek":
        stp = 1.0 if -direction >= 0 else 0.0
        return 1 - (x - stp) ** (2 * p)
    return j * (1 - ((x - 0.5) ** 2 + 0.75) ** p)


@pytest.mark.parametrize("window, p, j, x0", [("joglekar", 1, 1.0, 0.2), ("joglekar", 3, 1.0, 0.05),
                                               ("biolek", 1, 1.0, 0.3), ("biolek", 2, 1.0, 0.9),
                                               ("prodromakis", 2.5, 1.5, 0.2)])
def test_windowed_hp_matches_scipy(window, p, j, x0):
    V0, f = 2.0, 1.0
    w = 2 * np.pi * f
    hp = HPMemristor(window=window, p=p, j=j)

    def rhs(t, y):
        x = y[0]
        i = V0 * np.sin(w * t) / (R_ON * x + R_OFF * (1 - x))
        return [K0 * i * window_ref(window, x, i, p, j)]

    t = np.linspace(0.0, 2.0, 401)
    ref = solve_ivp(rhs, (0.0, 2.0), [x0], method="DOP853", t_eval=t, rtol=1e-12, atol=1e-14)
    # Biolek's window jumps when i changes sign; give the adaptive solvers the kinks as steps
    r = drive(hp, Sine(V0, f), (0.0, 2.0), x0, t_eval=t, **TIGHT)
    assert r.success
    np.testing.assert_allclose(r.x, ref.y[0], rtol=0, atol=2e-8)
    assert np.ptp(r.x) > 0.2                 # the window shaped a large excursion
    # inside [0, 1] up to the tolerance (f vanishes at the edge the state moves towards)
    assert r.x.max() <= 1.0 + 1e-9 and r.x.min() >= -1e-9


# ----------------------------------------------------------------- VTEAM thresholds
DW = 3e-9


@pytest.mark.parametrize("source", [Constant(0.019), Constant(-0.19), Sine(0.015, 1e6),
                                    Triangle(0.019, 3e6, offset=-0.001)])
def test_vteam_below_threshold_does_not_move_at_all(source):
    r = drive(VTEAM(), source, (0.0, 2e-6), 0.37, t_eval=np.linspace(0, 2e-6, 51))
    assert r.success
    np.testing.assert_array_equal(r.x, 0.37)


@pytest.mark.parametrize("v, resistance", [(0.05, "linear"), (-0.35, "exponential")])
def test_vteam_constant_drive_rate_equals_closed_form(v, resistance):
    k_on, k_off, a_on, a_off, v_on, v_off = -10.0, 5e-4, 3.0, 2.5, -0.2, 0.02
    dev = VTEAM(alpha_off=a_off, resistance=resistance)
    if v > v_off:  # towards OFF: x = (w_off - w) / dw falls
        rate = -k_off / DW * (v / v_off - 1) ** a_off
    else:
        rate = -k_on / DW * (v / v_on - 1) ** a_on
    x0 = 0.5
    T = 0.4 / abs(rate)
    t = np.linspace(0.0, T, 21)
    r = drive(dev, Constant(v), (0.0, T), x0, t_eval=t, **TIGHT)
    assert r.success
    np.testing.assert_allclose(r.x, x0 + rate * t, rtol=0, atol=1e-12)
    R = (50.0 * r.x + 1e3 * (1 - r.x) if resistance == "linear"
         else 50.0 * np.exp(np.log(20.0) * (1 - r.x)))
    np.testing.assert_allclose(r.i, v / R, rtol=1e-13)
    # with Joglekar's p = 1 window dx/dt = 4 g x (1 - x): the logistic curve
    rj = drive(dev.replace(window="joglekar"), Constant(v), (0.0, T), x0, t_eval=t, **TIGHT)
    logistic = 1 / (1 + (1 - x0) / x0 * np.exp(-4 * rate * t))
    np.testing.assert_allclose(rj.x, logistic, rtol=0, atol=1e-9)


def test_vteam_pulse_train_steps_x_by_rate_times_width():
    # each 5 ns pulse of 0.04 V moves x by -k_off/dw * (0.04/0.02 - 1) * 5 ns; between pulses
    # (0 V, below threshold) it holds. max_step defaults to half a pulse width, so no pulse is
    # stepped over.
    width, period, n = 5e-9, 50e-9, 4
    src = Pulses(0.04, period=period, width=width, delay=10e-9)
    t_end = 10e-9 + (n - 1) * period + 20e-9
    r = drive(VTEAM(), src, (0.0, t_end), 0.9, t_eval=np.linspace(0, t_end, 11), **TIGHT)
    assert r.success
    step = 5e-4 / DW * 1.0 * width
    assert r.x[-1] == pytest.approx(0.9 - n * step, abs=1e-9)


# ----------------------------------------------------------------- Jacobians
def fd_check(system, ts, xs, h=1e-7):
    rhs, jac, P = system.rhs, system.jac, system.params
    out, J = np.empty(1), np.empty((1, 1))
    for t in ts:
        for x in xs:
            rhs(t, np.array([x + h]), P, out)
            up = out[0]
            rhs(t, np.array([x - h]), P, out)
            fd = (up - out[0]) / (2 * h)
            jac(t, np.array([x]), P, J)
            assert J[0, 0] == pytest.approx(fd, rel=1e-6, abs=1e-9 * max(1.0, abs(up))), (t, x)


@pytest.mark.parametrize("window, p", [(None, 1), ("joglekar", 1), ("joglekar", 3), ("biolek", 2),
                                       ("prodromakis", 1.7)])
def test_hp_jacobian_matches_finite_differences(window, p):
    sysm = HPMemristor(window=window, p=p, j=2.0).system(Sine(1.3, 1.0, phase=0.3))
    # times on both signs of v (Biolek's window depends on it), away from its zeros
    fd_check(sysm, [0.1, 0.3, 0.62, 0.9], [0.03, 0.31, 0.5, 0.77, 0.98])


@pytest.mark.parametrize("window, p", [(None, 1), ("joglekar", 2), ("biolek", 1),
                                       ("prodromakis", 3.0)])
def test_vteam_jacobian_matches_finite_differences(window, p):
    sysm = VTEAM(window=window, p=p).system(Sine(0.5, 1e6))
    # v above v_off, between the thresholds, below v_on
    fd_check(sysm, [0.1e-6, 0.49e-6, 0.8e-6], [0.02, 0.4, 0.93])


# ----------------------------------------------------------------- compile once
def test_other_sources_and_parameters_compile_nothing():
    drive(HPMemristor(), Sine(1.0, 1.0), (0.0, 0.2), 0.5)
    loop = solvers.compiled_loop(HPMemristor().system(0.0), "dopri5")
    before = len(loop.signatures)
    for dev, src in [(HPMemristor(R_off=2e4, window="biolek", p=2), Triangle(0.5, 2.0)),
                     (HPMemristor(window="prodromakis", p=1.5), Pulses(1.0, 0.1, 0.02)),
                     (HPMemristor(D=5e-9), Sampled([0.0, 1.0], [0.0, 0.3])),
                     (HPMemristor(window="joglekar"), 0.2)]:
        drive(dev, src, (0.0, 0.2), 0.5)
        assert solvers.compiled_loop(dev.system(src), "dopri5") is loop
    assert len(loop.signatures) == before == 1
    drive(VTEAM(), Sine(0.1, 1e7), (0.0, 1e-7), 0.5)
    vloop = solvers.compiled_loop(VTEAM().system(0.0), "dopri5")
    drive(VTEAM(window="biolek", resistance="exponential", alpha_on=2.0), Pulses(-0.3, 1e-8, 2e-9),
          (0.0, 1e-7), 0.2)
    assert len(vloop.signatures) == 1 and vloop is not loop


# ----------------------------------------------------------------- API and errors
def test_devices_are_immutable_picklable_and_replaceable():
    hp = HPMemristor(window="biolek", p=2)
    assert pickle.loads(pickle.dumps(hp)).p == 2
    assert hp.replace(R_on=200.0).memristance(1.0) == 200.0
    with pytest.raises(AttributeError, match="immutable"):
        hp.R_on = 1.0
    assert HPMemristor().current(np.array([0.0, 1.0]), 1.0).tolist() == [1 / R_OFF, 1 / R_ON]
    assert HPMemristor().k == pytest.approx(K0, rel=1e-15)
    s = VTEAM().system(Sine(1.0, 1.0))
    assert s.n_states == 1 and s.jac is K.vteam_jac


@pytest.mark.parametrize("make, err, match", [
    (lambda: HPMemristor(R_on=2e4), ValueError, "R_off must exceed R_on"),
    (lambda: HPMemristor(D=0.0), ValueError, "HPMemristor D must be positive"),
    (lambda: HPMemristor(window="joglekar", p=1.5), ValueError, "p must be a positive integer"),
    (lambda: HPMemristor(window="biolek", p=0), ValueError, "p must be positive"),
    (lambda: HPMemristor(window="hann"), ValueError, "unknown window 'hann'; allowed: None, "
                                                     "'joglekar', 'biolek', 'prodromakis'"),
    (lambda: HPMemristor(window="prodromakis", j=-1.0), ValueError, "j must be positive"),
    (lambda: HPMemristor(mu_v="fast"), TypeError, "mu_v must be a real number"),
    (lambda: VTEAM(k_on=10.0), ValueError, "k_on must be negative"),
    (lambda: VTEAM(v_on=0.1), ValueError, "v_on must be negative"),
    (lambda: VTEAM(v_off=-0.1), ValueError, "v_off must be positive"),
    (lambda: VTEAM(w_off=-1e-9), ValueError, "w_off must exceed w_on"),
    (lambda: VTEAM(resistance="log"), ValueError, "resistance must be 'linear' or"),
    (lambda: drive(HPMemristor(), Sine(1, 1), (0, 1), 1.2), ValueError, r"x0 must lie in \[0, 1\]"),
    (lambda: drive(HPMemristor(), np.sin, (0, 1), 0.5), TypeError, "a Python callable"),
    (lambda: drive("memristor", Sine(1, 1), (0, 1), 0.5), TypeError, "needs a device"),
    (lambda: drive(HPMemristor(), Constant(1.0), (0, 1e-3), 0.5).lobe_areas(), ValueError,
     "has no period"),
])
def test_bad_input_is_named(make, err, match):
    with pytest.raises(err, match=match):
        make()


# ----------------------------------------------------------------- the example
def test_hysteresis_example_prints_closed_form_areas_and_saves_the_figure(tmp_path):
    import builtins
    import importlib.util
    import io
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "memristor_hysteresis.py"
    spec = importlib.util.spec_from_file_location("memristor_hysteresis", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # The example's print goes to a buffer of the test's own, not through capsys, whose
    # sys.stdout was once swapped back mid-test in a long xdist worker (see test_readme).
    buf = io.StringIO()
    mod.print = lambda *a, **k: builtins.print(*a, **{"file": buf, **k})
    png = tmp_path / "loops.png"
    mod.main(str(png))
    out = buf.getvalue()
    rows = [line.split() for line in out.splitlines() if line.startswith("None")]
    assert len(rows) == 3
    for _, f, a_pos, a_neg, _, ref in rows:
        assert float(a_pos) == pytest.approx(float(ref), rel=1e-4) and a_pos == a_neg
    biolek = [line.split() for line in out.splitlines() if line.startswith("biolek")]
    assert all(float(r[2]) > float(r[3]) for r in biolek)   # Biolek's loop is lopsided
    pytest.importorskip("matplotlib")
    assert png.stat().st_size > 10_000
