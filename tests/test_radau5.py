"""The compiled Radau IIA (order 5) solver, method="radau5" (solvers/_radau_loops.py).

References are independent of it: exact solutions (linear systems through expm, the
Prothero-Robinson problem whose solution is cos t), SciPy's Radau at tight tolerance, and the
Radau IIA coefficients computed here from their definition (collocation at the Radau points).
"""
import math
from pathlib import Path

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

import solvers
from benchmarks.kernels import vdp_jac, vdp_rhs
from solvers import Event, ODESystem, _tiers, solve


def lin_rhs(t, y, p, dydt):
    """y' = A (y - w cos t) - w sin t, NaN from t > t_nan on; p = (A, w, t_nan, jscale).
    w = 0: y' = A y; A = λ I, w = 1, y0 = 1: the Prothero-Robinson problem, y = cos t."""
    A = p[0]
    w = p[1]
    c = math.cos(t)
    s = math.sin(t)
    for i in range(y.size):
        acc = -w[i] * s
        for j in range(y.size):
            acc += A[i, j] * (y[j] - w[j] * c)
        dydt[i] = acc if t <= p[2] else np.nan


def lin_jac(t, y, p, J):
    A = p[0]
    for i in range(y.size):
        for j in range(y.size):
            J[i, j] = A[i, j] * p[3]


def rober_rhs(t, y, p, dydt):
    """Robertson's chemical kinetics; p = (k1, k2, k3)."""
    k1, k2, k3 = p[0], p[1], p[2]
    dydt[0] = -k1 * y[0] + k3 * y[1] * y[2]
    dydt[1] = k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] * y[1]
    dydt[2] = k2 * y[1] * y[1]


def rober_jac(t, y, p, J):
    k1, k2, k3 = p[0], p[1], p[2]
    J[0, 0] = -k1
    J[0, 1] = k3 * y[2]
    J[0, 2] = k3 * y[1]
    J[1, 0] = k1
    J[1, 1] = -k3 * y[2] - 2.0 * k2 * y[1]
    J[1, 2] = -k3 * y[1]
    J[2, 0] = 0.0
    J[2, 1] = 2.0 * k2 * y[1]
    J[2, 2] = 0.0


ROT = np.array([[-0.1, 1.0], [-1.0, -0.1]])


def linear(A, w=None, t_nan=np.inf, jscale=1.0):
    A = np.asarray(A, dtype=float)
    w = np.zeros(A.shape[0]) if w is None else np.asarray(w, dtype=float)
    return ODESystem(lin_rhs, A.shape[0], params=(A, w, t_nan, jscale), jac=lin_jac)


def prothero(lam):
    return linear([[lam]], [1.0])


ROBER_P = (0.04, 3e7, 1e4)
ROBER_T = np.array([1e-3, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5])


def _rober_scipy(t, y):
    return [-0.04 * y[0] + 1e4 * y[1] * y[2],
            0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2, 3e7 * y[1] ** 2]


def _rober_scipy_jac(t, y):
    return [[-0.04, 1e4 * y[2], 1e4 * y[1]],
            [0.04, -1e4 * y[2] - 6e7 * y[1], -1e4 * y[1]],
            [0.0, 6e7 * y[1], 0.0]]


def _vdp_scipy(t, y):
    return np.array([y[1], 1000.0 * (1.0 - y[0] ** 2) * y[1] - y[0]])


def _vdp_scipy_jac(t, y):
    return np.array([[0.0, 1.0], [-2000.0 * y[0] * y[1] - 1.0, 1000.0 * (1.0 - y[0] ** 2)]])


VDP_T = np.linspace(0.0, 3000.0, 61)


@pytest.fixture(scope="module")
def vdp_ref():
    # rtol 1e-10 agrees with rtol 1e-11 to 5e-13 at t = 3000 here, at a third of the cost
    sol = solve_ivp(_vdp_scipy, (0.0, 3000.0), [2.0, 0.0], method="Radau", jac=_vdp_scipy_jac,
                    rtol=1e-10, atol=1e-12, t_eval=VDP_T)
    assert sol.success
    return sol.y.T


def _template_constants():
    # The loop template's module-level constants (it is a continuation of _ode_loops.py: run
    # only its header, whose constants need nothing but math, numpy and numba).
    text = (Path(solvers.__file__).parent / "_radau_loops.py").read_text()
    ns = {"math": math, "np": np, "numba": numba, "CACHE": False, "BOUNDSCHECK": False}
    exec(compile(text, "_radau_loops.py", "exec"), ns)
    return ns


def test_transformation_matches_radau_iia_matrix():
    k = _template_constants()
    sq6 = math.sqrt(6.0)
    c = np.array([(4.0 - sq6) / 10.0, (4.0 + sq6) / 10.0, 1.0])
    # collocation: sum_j A_ij c_j^(q-1) = c_i^q / q, q = 1..3
    V = np.array([[cj ** (q - 1) for q in (1, 2, 3)] for cj in c])
    A = np.array([[ci ** q / q for q in (1, 2, 3)] for ci in c]) @ np.linalg.inv(V)
    np.testing.assert_allclose(A[2], [(16 - sq6) / 36, (16 + sq6) / 36, 1 / 9], rtol=1e-14)
    T, TI = k["RADAU_T"], k["RADAU_TI"]
    np.testing.assert_allclose(TI @ T, np.eye(3), atol=1e-15)
    g, a, b = k["RADAU_GAMMA"], k["RADAU_ALPHA"], k["RADAU_BETA"]
    block = np.array([[g, 0.0, 0.0], [0.0, a, -b], [0.0, b, a]])
    np.testing.assert_allclose(TI @ np.linalg.inv(A) @ T, block, atol=1e-13)
    ev = np.linalg.eigvals(np.linalg.inv(A))
    np.testing.assert_allclose(sorted(ev.real), sorted([g, a, a]), rtol=1e-13)
    np.testing.assert_allclose(sorted(abs(ev.imag)), [0.0, b, b], atol=1e-13)
    np.testing.assert_allclose([k["RADAU_C1"], k["RADAU_C2"]], c[:2], rtol=1e-15)
    # The error estimate f0 + (dd . z)/h (z_i = integral of f over [0, c_i h]) vanishes when f
    # is a polynomial of degree <= 2 in t (an embedded formula of order 3): dd . c^(k+1) is
    # -1 for k = 0 (cancelling f0) and 0 for k = 1, 2.
    dd = np.array([k["RADAU_DD1"], k["RADAU_DD2"], k["RADAU_DD3"]])
    np.testing.assert_allclose([dd @ c, dd @ c ** 2, dd @ c ** 3], [-1.0, 0.0, 0.0],
                               atol=1e-13)
    assert abs(dd @ c ** 4) > 0.01  # ... and not for degree 3
    # dense output: Q = V^-1 z maps the stage values to u(θ) - y = sum θ^(d+1) Q[d]
    Vd = np.array([[ci, ci ** 2, ci ** 3] for ci in c])
    np.testing.assert_allclose(k["RADAU_V_INV"] @ Vd, np.eye(3), atol=1e-13)


def test_decay_exact_and_t_eval():
    t_eval = np.linspace(0.0, 5.0, 11)
    sol = solve(linear([[-1.0]]), (0.0, 5.0), [1.0], method="radau5", rtol=1e-8, atol=1e-12,
                t_eval=t_eval)
    assert sol.success and sol.status == 0
    np.testing.assert_allclose(sol.t, t_eval)
    np.testing.assert_allclose(sol.y[:, 0], np.exp(-t_eval), rtol=2e-7, atol=1e-12)
    assert sol.njev >= 1 and sol.nlu >= 1 and sol.nfev > 3 * sol.naccepted


def test_stiff_prothero_robinson_exact():
    # Every-step output: the step ends are on the exact solution cos t.
    full = solve(prothero(-1e4), (0.0, 10.0), [1.0], method="radau5", rtol=1e-8, atol=1e-12)
    assert full.success and full.t[-1] == 10.0
    assert full.naccepted < 100  # stiff: the steps follow cos t, not 1/|λ|
    np.testing.assert_allclose(full.y[:, 0], np.cos(full.t), rtol=0, atol=50e-8)
    # In the stiff limit the error estimate sees only the step ends (|λ h| >> 1 damps the
    # rest): steps grow to O(1) and the interpolant between them is only O(h^4) accurate, as
    # in RADAU5 and SciPy's Radau. With the step bounded, t_eval values are accurate too.
    t_eval = np.linspace(0.0, 10.0, 41)
    sol = solve(prothero(-1e4), (0.0, 10.0), [1.0], method="radau5", rtol=1e-6, atol=1e-12,
                t_eval=t_eval, max_step=0.5)
    assert sol.success
    np.testing.assert_allclose(sol.y[:, 0], np.cos(t_eval), rtol=0, atol=50e-6)


def test_backward_in_time_linear():
    y2 = expm(2.0 * ROT) @ np.array([1.0, 0.5])
    t_eval = np.linspace(2.0, 0.0, 9)
    sol = solve(linear(ROT), (2.0, 0.0), y2, method="radau5", rtol=1e-9, atol=1e-12,
                t_eval=t_eval)
    assert sol.success
    exact = np.array([expm((t - 2.0) * ROT) @ y2 for t in t_eval])
    np.testing.assert_allclose(sol.y, exact, rtol=0, atol=20e-9)
    assert sol.t_final == 0.0


def test_observed_order_five():
    # Forced equal steps (first_step = max_step = h, loose tolerance) on a linear problem, for
    # which one Newton iteration is exact: the end-point error is the method's own.
    y0 = np.array([1.0, 0.5])
    exact = expm(2.0 * ROT) @ y0
    errs, hs = [], []
    for N in (8, 16, 32):
        h = 2.0 / N
        sol = solve(linear(ROT), (0.0, 2.0), y0, method="radau5", rtol=1e-3, atol=1e-6,
                    first_step=h, max_step=h)
        assert sol.success and sol.nrejected == 0 and sol.naccepted in (N, N + 1)
        errs.append(np.max(np.abs(sol.y[-1] - exact)))
        hs.append(h)
    slopes = np.diff(np.log(errs)) / np.diff(np.log(hs))
    assert np.all(slopes > 4.5), (errs, slopes)


def test_van_der_pol_against_scipy(vdp_ref):
    system = ODESystem(vdp_rhs, 2, params=(1000.0,), jac=vdp_jac)
    sol = solve(system, (0.0, 3000.0), [2.0, 0.0], method="radau5", rtol=1e-6, atol=1e-9,
                t_eval=VDP_T)
    assert sol.success
    assert abs(sol.y[-1, 0] - vdp_ref[-1, 0]) < 20e-6 * abs(vdp_ref[-1, 0])
    # the Jacobian is reused across steps and h held (RADAU5's THET, QUOT1/QUOT2)
    assert sol.njev < sol.naccepted and sol.nlu < sol.nsteps
    # away from the fast jumps (|y1'| small) the whole curve agrees
    slow = np.abs(vdp_ref[:, 1]) < 1e-2
    assert slow.sum() > 40
    np.testing.assert_allclose(sol.y[slow, 0], vdp_ref[slow, 0], rtol=2e-5)


@pytest.fixture(scope="module")
def rober_ref():
    sol = solve_ivp(_rober_scipy, (0.0, 1e5), [1.0, 0.0, 0.0], method="Radau",
                    jac=_rober_scipy_jac, rtol=1e-12, atol=1e-14, t_eval=ROBER_T)
    assert sol.success
    return sol.y.T


@pytest.mark.parametrize("analytic", [True, False], ids=["jac", "fd-jac"])
def test_robertson_against_scipy(rober_ref, analytic):
    system = ODESystem(rober_rhs, 3, params=ROBER_P, jac=rober_jac if analytic else None)
    sol = solve(system, (0.0, 1e5), [1.0, 0.0, 0.0], method="radau5", rtol=1e-8, atol=1e-8,
                t_eval=ROBER_T)
    assert sol.success
    assert sol.naccepted < 1000
    scale = 1e-8 + 1e-8 * np.abs(rober_ref)
    assert np.all(np.abs(sol.y - rober_ref) <= 50 * scale), np.max(np.abs(sol.y - rober_ref)
                                                                   / scale)
    if not analytic:
        # the finite-difference Jacobian costs n evaluations of f per Jacobian
        assert sol.nfev >= 3 * sol.njev
    np.testing.assert_allclose(sol.y.sum(axis=1), 1.0, atol=1e-12)  # mass is conserved


# One module with the plane event and dense output (every solve below shares it).
def _with_event(system, t_span, y0, level, terminal, **kw):
    ev = Event.plane([1.0] + [0.0] * (system.n_states - 1), level, terminal=terminal, direction=-1)
    return solve(system, t_span, y0, method="radau5", events=ev, dense_output=True, **kw)


def test_event_located_to_exact_time():
    # y' = -y crosses 1/2 at ln 2
    sol = _with_event(linear([[-1.0]]), (0.0, 3.0), [1.0], 0.5, True, rtol=1e-10, atol=1e-14)
    assert sol.status == 1
    assert abs(sol.t_events[0][0] - math.log(2.0)) < 1e-9
    assert sol.t_final == sol.t_events[0][0] and sol.t[-1] == sol.t_final
    np.testing.assert_allclose(sol.y_events[0][0], [0.5], atol=1e-12)
    np.testing.assert_allclose(sol.y_final, [0.5], atol=1e-12)
    # on the stiff problem (cos t crosses 1/2 at π/3); the step bounded: see
    # test_stiff_prothero_robinson_exact
    sol = _with_event(prothero(-1e4), (0.0, 3.0), [1.0], 0.5, True, rtol=1e-8, atol=1e-12,
                      max_step=0.1)
    assert sol.status == 1
    assert abs(sol.t_events[0][0] - math.pi / 3.0) < 1e-7


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
def test_dense_output_against_exact(backward):
    y0 = np.array([1.0, 0.5])
    t_span = (0.0, 6.0)
    if backward:
        y0 = expm(6.0 * ROT) @ y0
        t_span = (6.0, 0.0)
    t_eval = np.linspace(t_span[0], t_span[1], 13)
    sol = _with_event(linear(ROT), t_span, y0, -0.3, False, rtol=1e-7, atol=1e-10,
                      t_eval=t_eval)
    assert sol.success
    tt = np.linspace(t_span[0], t_span[1], 997)
    exact = np.array([expm((t - t_span[0]) * ROT) @ y0 for t in tt])
    np.testing.assert_allclose(sol.sol(tt), exact, rtol=0, atol=5e-7)
    np.testing.assert_allclose(sol.sol(t_eval), sol.y, rtol=0, atol=1e-12)
    # the (non-terminal) crossings of y1 = -0.3 downwards, on the exact solution
    for te, ye in zip(sol.t_events[0], sol.y_events[0]):
        assert abs(ye[0] + 0.3) < 1e-9
        ex = expm((te - t_span[0]) * ROT) @ y0
        assert abs(ex[0] + 0.3) < 1e-6
    assert len(sol.t_events[0]) == 1


def test_dense_output_stiff_between_steps():
    sol = _with_event(prothero(-1e4), (0.0, 10.0), [1.0], -2.0, False, rtol=1e-8, atol=1e-12,
                      max_step=0.1)
    assert sol.success and sol.t_events[0].size == 0
    tt = np.linspace(0.0, 10.0, 2001)
    np.testing.assert_allclose(sol.sol(tt)[:, 0], np.cos(tt), rtol=0, atol=2e-7)
    np.testing.assert_allclose(sol.sol(sol.t), sol.y, rtol=0, atol=1e-14)


def test_nan_in_rhs_stops_with_partial_trajectory():
    sol = solve(linear(ROT, t_nan=1.0), (0.0, 3.0), [1.0, 0.5], method="radau5", rtol=1e-8,
                atol=1e-10)
    assert sol.status == -3 and not sol.success
    assert 0.5 < sol.t[-1] <= 1.0 and sol.t.size > 5
    assert np.all(np.isfinite(sol.y))
    exact = np.array([expm(t * ROT) @ [1.0, 0.5] for t in sol.t])
    np.testing.assert_allclose(sol.y, exact, rtol=0, atol=1e-7)


def test_max_steps_and_singular_matrix():
    sol = solve(prothero(-1e4), (0.0, 10.0), [1.0], method="radau5", max_steps=7)
    assert sol.status == -1 and sol.nsteps == 7 and sol.t.size == sol.naccepted + 1
    np.testing.assert_allclose(sol.y[:, 0], np.cos(sol.t), atol=1e-5)
    # a non-finite Jacobian: no iteration matrix can be factored
    bad = linear(ROT, jscale=np.nan)
    sol = solve(bad, (0.0, 1.0), [1.0, 0.5], method="radau5")
    assert sol.status == -4 and not sol.success and "Singular" in sol.message
    assert sol.t.size == 1 and sol.t_final == 0.0
    # ... while a tiny step (γ/h ~ 1e300 on the diagonal) is no singular matrix
    sol = solve(linear(ROT), (0.0, 1e-300), [1.0, 0.5], method="radau5")
    assert sol.success and sol.t[-1] == 1e-300
    np.testing.assert_allclose(sol.y[-1], [1.0, 0.5], rtol=1e-15)


def test_bad_input_is_refused():
    system = linear(ROT)
    with pytest.raises((TypeError, ValueError), match="rtol"):
        solve(system, (0.0, 1.0), [1.0, 0.5], method="radau5", rtol="1e-6")
    with pytest.raises((TypeError, ValueError), match="rtol"):
        solve(system, (0.0, 1.0), [1.0, 0.5], method="radau5", rtol=True)
    with pytest.raises(ValueError, match="y0|shape"):
        solve(system, (0.0, 1.0), [1.0, 0.5, 2.0], method="radau5")
    with pytest.raises((TypeError, ValueError), match="y0|complex|real"):
        solve(system, (0.0, 1.0), [1.0 + 1j, 0.5], method="radau5")


def test_interpreted_twin_equals_compiled_bit_for_bit():
    # The loop's plain-Python twin (solvers._tiers) must give the compiled numbers exactly.
    def run():
        return _with_event(linear(ROT), (0.0, 3.0), [1.0, 0.5], -0.3, False, rtol=1e-6,
                           atol=1e-9)

    chunks = _tiers.stats["chunks"]
    with _tiers.interpreting_only():
        a = run()
    assert _tiers.stats["chunks"] - chunks >= 2  # resumed from its state arrays
    enabled, _tiers.ENABLED = _tiers.ENABLED, False
    try:
        b = run()
    finally:
        _tiers.ENABLED = enabled
    assert a.success and a.naccepted > 10
    assert (a.nfev, a.njev, a.nlu, a.naccepted, a.nrejected) == (b.nfev, b.njev, b.nlu,
                                                                 b.naccepted, b.nrejected)
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.t_events[0], b.t_events[0])
    tt = np.linspace(0.0, 3.0, 101)
    np.testing.assert_array_equal(a.sol(tt), b.sol(tt))
