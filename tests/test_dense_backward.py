"""Dense output (``sol.sol``), backward integration, empty spans, max_step / first_step, and
the high-order pairs dop853 and vern7, against exact solutions and SciPy.

``dense_output=True`` gives ``sol.sol``: each method's own interpolant over the whole span,
``sol.sol(t)`` of shape (n,) for a scalar t and (m, n) for m times (time-major, like ``y``).
A span with t1 < t0 runs backward (``dt`` of the fixed-step methods stays a positive magnitude,
``t_eval`` must decrease). The expected numbers were checked against ``scipy.integrate``.
"""
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from solvers import ODESystem, solve

ADAPTIVE = ["dopri5", "tsit5", "bs32", "dop853", "vern7"]
FIXED = ["euler", "heun", "rk4"]
STIFF = ["rodas5p", "radau5", "radau", "bdf", "lsoda"]


# ---------------------------------------------------------------- kernels
def decay(t, y, p, dydt):
    # y' = -y: y = exp(-t) through (1, exp(-1))
    dydt[0] = -y[0]


def exp_sin(t, y, p, dydt):
    # y' = w cos(w t) y, y(0) = 1: y = exp(sin(w t)); non-autonomous, so wrong stage times show
    w = p[0]
    dydt[0] = w * math.cos(w * t) * y[0]


def damped(t, y, p, dydt):
    # y'' + c y' + y = 0
    dydt[0] = y[1]
    dydt[1] = -y[0] - p[0] * y[1]


def lorenz(t, y, p, dydt):
    dydt[0] = 10.0 * (y[1] - y[0])
    dydt[1] = y[0] * (28.0 - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - 8.0 / 3.0 * y[2]


def rational(t, y, p, dydt):
    # SciPy's fun_rational (test_ivp.py); exact solution sol_rational below
    dydt[0] = y[1] / t
    dydt[1] = y[1] * (y[0] + 2.0 * y[1] - 1.0) / (t * (y[0] - 1.0))


def arenstorf(t, y, p, dydt):
    # the restricted three-body problem (Hairer, Norsett & Wanner I, II.0)
    mu = p[0]
    mup = 1.0 - mu
    d1 = ((y[0] + mu) ** 2 + y[1] ** 2) ** 1.5
    d2 = ((y[0] - mup) ** 2 + y[1] ** 2) ** 1.5
    dydt[0] = y[2]
    dydt[1] = y[3]
    dydt[2] = y[0] + 2.0 * y[3] - mup * (y[0] + mu) / d1 - mu * (y[0] - mup) / d2
    dydt[3] = y[1] - 2.0 * y[2] - mup * y[1] / d1 - mu * y[1] / d2


def pleiades(t, y, p, dydt):
    # Hairer's PLEI: 7 bodies in the plane, masses m_i = i; y = [x(7), y(7), x'(7), y'(7)]
    m = p[0]
    for i in range(7):
        dydt[i] = y[14 + i]
        dydt[7 + i] = y[21 + i]
        ax = 0.0
        ay = 0.0
        for j in range(7):
            if j != i:
                dx = y[j] - y[i]
                dy = y[7 + j] - y[7 + i]
                r2 = dx * dx + dy * dy
                r3 = r2 * math.sqrt(r2)
                ax += m[j] * dx / r3
                ay += m[j] * dy / r3
        dydt[14 + i] = ax
        dydt[21 + i] = ay


DECAY = ODESystem(decay, 1)
EXP_SIN = ODESystem(exp_sin, 1, (1.0,))
DAMPED = ODESystem(damped, 2, (0.1,))
LORENZ = ODESystem(lorenz, 3)
RATIONAL = ODESystem(rational, 2)
MU = 0.012277471
ARENSTORF = ODESystem(arenstorf, 4, (MU,))
ARENSTORF_Y0 = [0.994, 0.0, 0.0, -2.00158510637908252240537862224]
ARENSTORF_T = 17.0652165601579625588917206249   # one period: y(T) = y0
PLEIADES = ODESystem(pleiades, 28, (np.arange(1.0, 8.0),))
PLEIADES_Y0 = [3, 3, -1, -3, 2, -2, 2,
               3, -3, 2, 0, 0, -4, 4,
               0, 0, 0, 0, 0, 1.75, -1.5,
               0, 0, 0, -1.25, 1, 0, 0]
# y(3) from solve_ivp(DOP853, rtol=1e-14, atol=1e-17); agrees with the published reference of
# the Bari test set for IVP solvers (PLEI) to ~1e-12
PLEIADES_Y3 = np.array([
    0.37061391439652, 3.2372840920572856, -3.22255903241853, 0.6597091455776218,
    0.3425581707156591, 1.5621721014006402, -0.7003092922211628, -3.94343758551702,
    -3.2713809739724358, 5.225081843455805, -2.590612434977484, 1.1982136933925356,
    -0.24296823449363059, 1.0914492404290768, 3.417003806313565, 1.354584501625534,
    -2.590065597810703, 2.0250537347144317, -1.1558151001605796, -0.8072988170222285,
    0.5952396354208594, -3.74124496123424, 0.37734596857519453, 0.9386858869544765,
    0.3667922227201555, -0.3474046353805112, 2.3449154481808474, -1.9470204342632433])


# How closely sol(t) must reproduce y at the steps' ends. SciPy's own interpolants do it to
# 1e-15; Verner's published vern7 interpolant is a polynomial in theta with coefficients up to
# ~1.2e3, so its value at theta = 1 carries ~1e3 eps |h f| of rounding (1.5e-13 measured here on
# the damped oscillator, 3e-14 for dop853): an interpolant that is off would be off by far more.
NODE_ATOL = 1e-12


def fixed_dt(method, dt=0.05):
    return dict(dt=dt) if method in FIXED else {}


def sol_rational(t):
    return np.asarray((t / (t + 10), 10 * t / (t + 10) ** 2))


def compute_error(y, y_true, rtol, atol):
    e = (y - y_true) / (atol + rtol * np.abs(y_true))
    return np.linalg.norm(e, axis=0) / np.sqrt(e.shape[0])


def arenstorf_np(t, y):
    mup = 1 - MU
    d1 = ((y[0] + MU) ** 2 + y[1] ** 2) ** 1.5
    d2 = ((y[0] - mup) ** 2 + y[1] ** 2) ** 1.5
    return [y[2], y[3], y[0] + 2 * y[3] - mup * (y[0] + MU) / d1 - MU * (y[0] - mup) / d2,
            y[1] - 2 * y[2] - mup * y[1] / d1 - MU * y[1] / d2]


def pleiades_np(t, u):
    m = np.arange(1.0, 8.0)
    dx = u[None, :7] - u[:7, None]
    dy = u[None, 7:14] - u[7:14, None]
    r3 = (dx ** 2 + dy ** 2) ** 1.5
    np.fill_diagonal(r3, np.inf)
    return np.concatenate([u[14:21], u[21:28], (m * dx / r3).sum(1), (m * dy / r3).sum(1)])


# ---------------------------------------------------------------- 1. sol.sol vs t_eval
@pytest.mark.parametrize("method", ADAPTIVE + ["rk4"] + STIFF)
def test_dense_output_equals_t_eval_output(method):
    kw = fixed_dt(method)
    te = np.linspace(0.1, 9.9, 37)   # inside steps (a step's end is checked below, NODE_ATOL)
    dense = solve(DAMPED, (0.0, 10.0), [1.0, 0.0], method=method, dense_output=True, **kw)
    at_te = solve(DAMPED, (0.0, 10.0), [1.0, 0.0], method=method, t_eval=te, **kw)
    assert dense.success and at_te.success
    assert at_te.sol is None and callable(dense.sol)
    assert dense.sol(2.5).shape == (2,)
    assert dense.sol(te).shape == (te.size, 2)
    np.testing.assert_allclose(dense.sol(te), at_te.y, rtol=0, atol=1e-13)
    # the interpolant passes through the steps
    np.testing.assert_allclose(dense.sol(dense.t), dense.y, rtol=0, atol=NODE_ATOL)
    np.testing.assert_allclose(dense.sol(2.5), dense.sol(np.array([2.5]))[0], rtol=0, atol=0)
    # asking for dense output changes neither the steps nor the t_eval output (SciPy's
    # test_t_eval_dense_output)
    both = solve(DAMPED, (0.0, 10.0), [1.0, 0.0], method=method, t_eval=te, dense_output=True,
                 **kw)
    np.testing.assert_array_equal(both.t, at_te.t)
    np.testing.assert_allclose(both.y, at_te.y, rtol=1e-15, atol=1e-15)
    assert both.naccepted == at_te.naccepted
    np.testing.assert_allclose(both.sol(te), at_te.y, rtol=0, atol=1e-13)
    # and it is accurate: y = exp(-c t / 2) (cos wt + c / (2w) sin wt), w = sqrt(1 - c^2 / 4)
    w = math.sqrt(1 - 0.1 ** 2 / 4)
    exact = np.exp(-0.05 * te) * (np.cos(w * te) + 0.05 / w * np.sin(w * te))
    assert np.abs(dense.sol(te)[:, 0] - exact).max() < 1e-3


# ---------------------------------------------------------------- 2. interpolant order
# Steps of exactly h (first_step = max_step = h, tolerances so loose that every step is
# accepted, checked): the largest error of sol.sol at points inside the steps shrinks like
# h^min(p, q + 1), p the method's order and q its interpolant's (local interpolation error
# h^(q+1) on top of the global error h^p). Expected: dopri5 and tsit5 (q = 4, p = 5): 5;
# dop853 (q = 7, p = 8): 8; vern7 (q = 7, p = 7): 7; rk4 with its cubic Hermite (q = 3, p = 4):
# 4. Measured with SciPy's RK45 / DOP853 and a NumPy Vern7: 4.96, 7.9 and 6.95. A lower-order
# interpolant (a cubic Hermite for dopri5, q = 5 for dop853 or vern7) fails by a full order.
@pytest.mark.parametrize("method,expected,hs", [
    ("dopri5", 5, [0.5, 0.25, 0.125, 0.0625]),
    ("tsit5", 5, [0.5, 0.25, 0.125, 0.0625]),
    ("dop853", 8, [0.5, 0.25, 0.125]),            # h = 1/16 reaches rounding (8e-15)
    ("vern7", 7, [0.5, 0.25, 0.125, 0.0625]),
    ("rk4", 4, [0.5, 0.25, 0.125, 0.0625]),
])
def test_dense_output_order(method, expected, hs):
    errs = []
    for h in hs:
        if method == "rk4":
            kw = dict(dt=h)
        else:
            kw = dict(first_step=h, max_step=h, rtol=1e3, atol=1e3)
        sol = solve(EXP_SIN, (0.0, 2.0), [1.0], method=method, dense_output=True, **kw)
        assert sol.success and sol.nrejected == 0
        assert len(sol.t) == round(2.0 / h) + 1
        np.testing.assert_allclose(np.diff(sol.t), h, rtol=1e-12)
        tm = np.concatenate([sol.t[:-1] + th * h for th in (0.37, 0.5, 0.81)])
        errs.append(np.abs(sol.sol(tm)[:, 0] - np.exp(np.sin(tm))).max())
    observed = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert observed > expected - 0.5, (observed, errs)


# ---------------------------------------------------------------- 3-4. backward
def test_backward_dense_output():
    sol = solve(DECAY, (1.0, 0.0), [math.exp(-1.0)], rtol=1e-9, atol=1e-12, dense_output=True)
    assert sol.success and sol.status == 0
    assert sol.t[0] == 1.0 and sol.t[-1] == 0.0 and sol.t_final == 0.0
    assert np.all(np.diff(sol.t) < 0)
    assert abs(sol.sol(0.5)[0] - math.exp(-0.5)) < 1e-7
    assert sol.sol(0.5).shape == (1,)
    ts = np.array([0.9, 0.5, 0.1])
    np.testing.assert_allclose(sol.sol(ts)[:, 0], np.exp(-ts), rtol=0, atol=1e-7)
    assert abs(sol.y[-1, 0] - 1.0) < 1e-7
    np.testing.assert_allclose(sol.sol(sol.t), sol.y, rtol=0, atol=NODE_ATOL)


BACKWARD_TOL = {"euler": 1e-3, "heun": 1e-4, "rk4": 1e-8, "bdf": 1e-6, "lsoda": 1e-6}
BACKWARD_DT = {"euler": 1e-3, "heun": 1e-2, "rk4": 1e-2}


@pytest.mark.parametrize("method", ADAPTIVE + FIXED + STIFF)
def test_backward_exponential(method):
    # y = exp(-t) from t = 1 down to 0; solve_ivp at rtol 1e-8, atol 1e-10 is within 1.6e-7
    # (BDF), 1.5e-8 (RK23), 1e-8 (LSODA) of it. Euler's error with dt = 1e-3 is ~5e-4.
    tol = BACKWARD_TOL.get(method, 1e-7)
    kw = dict(dt=BACKWARD_DT[method]) if method in FIXED else dict(rtol=1e-8, atol=1e-10)
    y1 = [math.exp(-1.0)]
    sol = solve(DECAY, (1.0, 0.0), y1, method=method, **kw)
    assert sol.success and sol.status == 0, sol.message
    assert sol.t[0] == 1.0 and sol.t[-1] == 0.0 and sol.t_final == 0.0
    assert np.all(np.diff(sol.t) < 0)
    np.testing.assert_allclose(sol.y[:, 0], np.exp(-sol.t), rtol=0, atol=tol)
    assert abs(sol.y_final[0] - 1.0) < tol
    if method in FIXED:
        # the step magnitude is dt, the last one shortened to end at 0
        assert len(sol.t) == round(1.0 / kw["dt"]) + 1
        np.testing.assert_allclose(np.diff(sol.t)[:-1], -kw["dt"], rtol=1e-9)

    te = np.array([1.0, 0.75, 0.5, 0.25, 0.0])
    sol = solve(DECAY, (1.0, 0.0), y1, method=method, t_eval=te, **kw)
    assert sol.success
    np.testing.assert_array_equal(sol.t, te)   # returned in the order asked, decreasing
    np.testing.assert_allclose(sol.y[:, 0], np.exp(-te), rtol=0, atol=tol)

    with pytest.raises(ValueError, match="t_eval"):
        solve(DECAY, (1.0, 0.0), y1, method=method, t_eval=te[::-1], **kw)


@pytest.mark.parametrize("method", ["dopri5", "dop853", "vern7"])
def test_forward_then_backward_returns_to_y0(method):
    # solve_ivp's RK45 / DOP853 at rtol 1e-10: back within 2.4e-10 (damped oscillator over
    # [0, 10]) and 1e-6 / 5e-8 (Lorenz over [0, 0.5], which amplifies backward errors ~1e3)
    for system, y0, T, tol in [(DAMPED, [1.0, 0.0], 10.0, 1e-8),
                               (LORENZ, [1.0, 1.0, 1.0], 0.5, 1e-5)]:
        fwd = solve(system, (0.0, T), y0, method=method, rtol=1e-10, atol=1e-12)
        back = solve(system, (T, 0.0), fwd.y_final, method=method, rtol=1e-10, atol=1e-12)
        assert fwd.success and back.success
        assert back.t_final == 0.0 and back.t[-1] == 0.0
        np.testing.assert_allclose(back.y_final, y0, rtol=0, atol=tol)


@pytest.mark.parametrize("t_span,t_eval", [
    ((5.0, 9.0), np.linspace(5.0, 9.0, 10)),
    ((5.0, 1.0), np.linspace(5.0, 1.0, 10)),
    ((5.0, 9.0), [5, 5.01, 7, 8, 8.01, 9]),
    ((5.0, 1.0), [5, 4.99, 3, 1.5, 1.1, 1.01, 1]),
    ((5.0, 9.0), [5.01, 7, 8, 8.01]),
    ((5.0, 1.0), [4.99, 3, 1.5, 1.1, 1.01]),
])
def test_scipy_t_eval(t_span, t_eval):
    # SciPy's test_t_eval (its default method RK45 is our dopri5)
    rtol, atol = 1e-3, 1e-6
    res = solve(RATIONAL, t_span, [1 / 3, 2 / 9], rtol=rtol, atol=atol, t_eval=t_eval)
    assert res.success and res.status == 0
    np.testing.assert_array_equal(res.t, t_eval)
    assert res.t_events is None
    assert np.all(compute_error(res.y.T, sol_rational(res.t), rtol, atol) < 5)
    with pytest.raises(ValueError, match="t_eval"):
        solve(RATIONAL, t_span, [1 / 3, 2 / 9], rtol=rtol, atol=atol, t_eval=[4, 6])


# ---------------------------------------------------------------- 6. empty span
@pytest.mark.parametrize("method", ["dopri5", "dop853", "vern7", "rk4", "radau", "lsoda"])
def test_zero_length_span_returns_y0(method):
    kw = fixed_dt(method)
    y0 = np.array([2.0, 3.0])
    sol = solve(DAMPED, (4.0, 4.0), y0, method=method, **kw)
    assert sol.success and sol.status == 0
    np.testing.assert_array_equal(sol.t, [4.0])
    np.testing.assert_array_equal(sol.y, [y0])
    assert sol.t_final == 4.0
    np.testing.assert_array_equal(sol.y_final, y0)
    sol = solve(DAMPED, (4.0, 4.0), y0, method=method, t_eval=[4.0], **kw)
    assert sol.success and sol.status == 0
    np.testing.assert_array_equal(sol.t, [4.0])
    np.testing.assert_array_equal(sol.y, [y0])
    # dense output of an empty span is the constant y0 (SciPy's ConstantDenseOutput)
    sol = solve(DAMPED, (4.0, 4.0), y0, method=method, dense_output=True, **kw)
    np.testing.assert_array_equal(sol.sol(4.0), y0)
    with pytest.raises(ValueError, match="t_eval"):
        solve(DAMPED, (4.0, 4.0), y0, method=method, t_eval=[4.0, 4.5], **kw)


# ---------------------------------------------------------------- 7. max_step, first_step
MAX_STEP_METHODS = ADAPTIVE + STIFF


@pytest.mark.parametrize("method", MAX_STEP_METHODS)
@pytest.mark.parametrize("t_span", [(5.0, 9.0), (5.0, 1.0), (5.0, 9.003)])
def test_max_step(method, t_span):
    # SciPy's test_max_step, plus a span (5, 9.003) whose last step a "stretch the step to hit
    # t1" rule would make 0.503 > max_step
    rtol, atol = 1e-3, 1e-6
    res = solve(RATIONAL, t_span, [1 / 3, 2 / 9], method=method, rtol=rtol, atol=atol,
                max_step=0.5, dense_output=True)
    assert res.success and res.status == 0
    assert res.t[0] == t_span[0] and res.t[-1] == t_span[1]
    assert np.all(np.abs(np.diff(res.t)) <= 0.5 + 1e-12), np.abs(np.diff(res.t)).max()
    assert res.t_events is None
    assert np.all(compute_error(res.y.T, sol_rational(res.t), rtol, atol) < 5)
    tc = np.linspace(*t_span)
    assert np.all(compute_error(res.sol(tc).T, sol_rational(tc), rtol, atol) < 5)
    np.testing.assert_allclose(res.sol(res.t), res.y, rtol=0, atol=NODE_ATOL)


@pytest.mark.parametrize("method", MAX_STEP_METHODS)
@pytest.mark.parametrize("t_span", [(5.0, 9.0), (5.0, 1.0)])
def test_first_step(method, t_span):
    # SciPy's test_first_step: the first step taken is first_step (accepted here, as in SciPy)
    rtol, atol = 1e-3, 1e-6
    res = solve(RATIONAL, t_span, [1 / 3, 2 / 9], method=method, rtol=rtol, atol=atol,
                max_step=0.5, first_step=0.1, dense_output=True)
    assert res.success and res.status == 0
    assert res.t[0] == t_span[0] and res.t[-1] == t_span[1]
    np.testing.assert_allclose(abs(res.t[1] - res.t[0]), 0.1, rtol=1e-12)
    assert np.all(compute_error(res.y.T, sol_rational(res.t), rtol, atol) < 5)
    tc = np.linspace(*t_span)
    assert np.all(compute_error(res.sol(tc).T, sol_rational(tc), rtol, atol) < 5)
    with pytest.raises(ValueError, match="first_step"):
        solve(RATIONAL, t_span, [1 / 3, 2 / 9], method=method, first_step=-1.0)
    with pytest.raises(ValueError, match="first_step"):
        solve(RATIONAL, t_span, [1 / 3, 2 / 9], method=method, first_step=5.0)


# ---------------------------------------------------------------- 8. dop853 and vern7
@pytest.mark.parametrize("method,order,hs", [
    ("dop853", 8, [1 / 8, 1 / 16, 1 / 32]),     # h = 1/64 is at rounding level
    ("vern7", 7, [1 / 16, 1 / 32, 1 / 64]),
])
def test_high_order_convergence(method, order, hs):
    # y = exp(sin 4t) over [0, 2], steps of exactly h (binary fractions: no short last step).
    # SciPy's DOP853 run the same way: errors 1.3e-8, 1.5e-11, 2.8e-14 (slopes 9.8, 9.0); a
    # NumPy Vern7: 4.1e-9, 3.5e-11, 2.8e-13 (slopes 6.9, 7.0).
    system = EXP_SIN.with_params((4.0,))
    errs = []
    for h in hs:
        sol = solve(system, (0.0, 2.0), [1.0], method=method, first_step=h, max_step=h,
                    rtol=1e3, atol=1e3)
        assert sol.success and sol.nrejected == 0
        assert sol.naccepted == round(2.0 / h)
        errs.append(abs(sol.y_final[0] - math.exp(math.sin(8.0))))
    observed = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert observed > order - 0.5, (observed, errs)


def _rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / np.abs(np.asarray(b)).max()


@pytest.mark.parametrize("name", ["arenstorf", "pleiades"])
def test_dop853_and_vern7_agree_with_scipy_dop853(name):
    # At rtol 1e-12, atol 1e-14 solve_ivp's DOP853 ends 1.6e-9 (Arenstorf) and 3e-11 (Pleiades)
    # from the reference, in 360 and 435 steps; a NumPy Vern7 with the same norm and controller
    # 4e-10 and 5e-12.
    if name == "arenstorf":
        system, fun, y0, span, exact = (ARENSTORF, arenstorf_np, ARENSTORF_Y0,
                                        (0.0, ARENSTORF_T), ARENSTORF_Y0)   # a closed orbit
    else:
        system, fun, y0, span, exact = PLEIADES, pleiades_np, PLEIADES_Y0, (0.0, 3.0), PLEIADES_Y3
    ref = solve_ivp(fun, span, y0, method="DOP853", rtol=1e-12, atol=1e-14)
    assert ref.success
    assert _rel(ref.y[:, -1], exact) < 1e-8
    for method in ("dop853", "vern7"):
        sol = solve(system, span, y0, method=method, rtol=1e-12, atol=1e-14)
        assert sol.success, sol.message
        assert _rel(sol.y_final, ref.y[:, -1]) < 1e-8, (method, _rel(sol.y_final, ref.y[:, -1]))
        assert _rel(sol.y_final, exact) < 1e-8, (method, _rel(sol.y_final, exact))
        if method == "dop853":
            ours, theirs = len(sol.t) - 1, len(ref.t) - 1
            assert sol.naccepted == ours
            assert abs(ours - theirs) <= 0.1 * theirs, (ours, theirs)
