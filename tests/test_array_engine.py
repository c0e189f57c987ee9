"""The array engine (solvers.solve_array, solve(..., backend="numpy"/"cuda")) run with NumPy as
its array module: the code a GPU runs with CuPy. Checked against the compiled engine on the
same problems (same steps, trajectories equal to rounding), against exact solutions (expm), and
for its error contract (partial trajectories, statuses, refusals)."""
import doctest
import importlib
import importlib.util
import math
import signal
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import expm

from neurodyn import CTRNN, ESN, ContinuousESN, ContinuousHopfield, Sampled, Sinusoid
from solvers import ArrayForm, Interrupted, ODESystem, solve, solve_array
from solvers import _tiers
from solvers.array_engine import array_namespace


# ---------------------------------------------------------------- small systems of the tests
def linear(t, y, p, dydt):
    A = p[0]
    n = y.size
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += A[i, j] * y[j]
        dydt[i] = acc


def square(t, y, p, dydt):
    for i in range(y.size):
        dydt[i] = y[i] * y[i]


class Linear(ODESystem):
    """dy/dt = A y: a compiled kernel and an array form (one GEMV)."""

    def __init__(self, A):
        super().__init__(linear, A.shape[0], (np.asarray(A, dtype=float),), name="Linear")

    def array_form(self, xp, dtype):
        A = xp.asarray(self.params[0], dtype=dtype)

        def f(t, y, out):
            xp.matmul(A, y, out=out)
        return f


class Square(ODESystem):
    """dy/dt = y^2 (y0 = 1 blows up at t = 1), as a kernel and as an array form."""

    def __init__(self, n=3):
        super().__init__(square, n, (), name="Square")

    def array_form(self, xp, dtype):
        def f(t, y, out):
            xp.multiply(y, y, out=out)
        return f


class Failing(Linear):
    """The linear system whose array form raises (or is interrupted) at its k-th call."""

    def __init__(self, A, k, exc):
        super().__init__(A)
        self.k, self.exc = k, exc

    def array_form(self, xp, dtype):
        inner = Linear.array_form(self, xp, dtype)
        calls = [0]

        def f(t, y, out):
            calls[0] += 1
            if calls[0] == self.k:
                raise self.exc
            inner(t, y, out)
        return f


RNG = np.random.default_rng(7)


def _ctrnn(n, activation="sigmoid", sparse=False, input=0.0, seed=1):
    rng = np.random.default_rng(seed)
    if sparse:
        W = sp.random(n, n, density=0.05, random_state=seed, format="csr",
                      data_rvs=lambda k: rng.normal(0.0, 3.0, k))
    else:
        W = rng.normal(0.0, 1.5 / math.sqrt(n), (n, n))
    return CTRNN(W, tau=rng.uniform(0.5, 2.0, n), bias=rng.normal(0.0, 1.0, n),
                 gain=rng.uniform(0.5, 2.0, n), activation=activation, input=input)


def _same_run(a, b, tol=1e-10):
    """The array engine's run ``b`` took the compiled run ``a``'s steps, to rounding."""
    assert b.status == a.status == 0, b.message
    assert (b.nfev, b.naccepted, b.nrejected) == (a.nfev, a.naccepted, a.nrejected)
    # t_eval, or the step ends to rounding (the first steps' error estimates are mostly
    # rounding noise: BLAS sums the stages in another order than the compiled loops)
    np.testing.assert_allclose(b.t, a.t, rtol=1e-7, atol=0)
    assert np.abs(b.y - a.y).max() < tol
    assert np.abs(b.y_final - a.y_final).max() < tol


TE = np.linspace(0.0, 8.0, 33)


def interpreted(*args, **kw):
    """solve() on the compiled engine's interpreted twin: the same arithmetic, bit for bit
    (solvers._tiers), without compiling a loop per kernel and method for these small
    references. (A run whose interpreter meets an overflow is redone compiled.)"""
    with _tiers.interpreting_only():
        return solve(*args, **kw)


# ---------------------------------------------------------------- the models, against solve
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_dense_ctrnn_takes_the_compiled_engines_steps(activation):
    net = _ctrnn(120, activation)
    y0 = RNG.normal(0.0, 1.0, 120)
    a = interpreted(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-6, atol=1e-9)
    b = solve(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-6, atol=1e-9, backend="numpy")
    _same_run(a, b)
    # and both are the solution: a tight reference
    ref = interpreted(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-12, atol=1e-14)
    assert np.abs(b.y - ref.y).max() < 1e-4


def test_sparse_ctrnn_takes_the_compiled_engines_steps():
    net = _ctrnn(300, sparse=True)
    assert net.sparse
    y0 = RNG.normal(0.0, 1.0, 300)
    a = interpreted(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-6)
    b = solve(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-6, backend="numpy")
    _same_run(a, b)


def test_ctrnn_driven_by_a_sinusoid():
    net = _ctrnn(60, "tanh", input=Sinusoid(amplitude=0.8, frequency=0.3, phase=0.2,
                                               offset=0.1))
    y0 = RNG.normal(0.0, 1.0, 60)
    a = interpreted(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-7)
    b = solve(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-7, backend="numpy")
    _same_run(a, b)


def _close_runs(model, y0, rtol=1e-8, bound=1e-5):
    """For a right-hand side with kinks or jumps in t (sampled inputs): steps that straddle
    one have error estimates that swing with the step's position, so rounding-level
    differences (stage sums in another order) grow into other, equally valid, step
    sequences; both engines are then checked against a tight reference."""
    ref = interpreted(model, (0.0, 8.0), y0, t_eval=TE, rtol=1e-11, atol=1e-13)
    a = interpreted(model, (0.0, 8.0), y0, t_eval=TE, rtol=rtol)
    b = solve(model, (0.0, 8.0), y0, t_eval=TE, rtol=rtol, backend="numpy")
    assert b.success and abs(b.nfev - a.nfev) <= 0.1 * a.nfev
    err_a, err_b = np.abs(a.y - ref.y).max(), np.abs(b.y - ref.y).max()
    assert err_b < bound and err_b < 10 * max(err_a, 1e-9)


@pytest.mark.parametrize("interp", ["linear", "zoh"])
def test_ctrnn_driven_by_samples(interp):
    inp = Sampled(np.linspace(0.0, 8.0, 17), np.sin(np.arange(17.0)), interp=interp)
    _close_runs(_ctrnn(60, "tanh", input=inp), RNG.normal(0.0, 1.0, 60))


def test_continuous_hopfield():
    rng = np.random.default_rng(3)
    A = rng.normal(0.0, 1.0, (100, 100))
    net = ContinuousHopfield((A + A.T) / 20.0, C=rng.uniform(0.5, 2.0, 100), I=0.1, gain=3.0,
                             activation="sigmoid")
    u0 = rng.normal(0.0, 0.5, 100)
    a = interpreted(net, (0.0, 8.0), u0, t_eval=TE, rtol=1e-8, atol=1e-10)
    b = solve(net, (0.0, 8.0), u0, t_eval=TE, rtol=1e-8, atol=1e-10, backend="numpy")
    _same_run(a, b)
    assert np.all(np.diff(net.energy(b.y)) <= 1e-12)  # its Lyapunov function, on our output


@pytest.mark.parametrize("sparse,interp", [(False, "zoh"), (True, "linear")])
def test_continuous_esn(sparse, interp):
    esn = ESN(80, density=0.1, bias_scaling=0.2, n_inputs=2, seed=4, sparse=sparse)
    assert esn.sparse == sparse
    u = np.stack([np.sin(np.arange(9) * 0.9), np.cos(np.arange(9) * 0.4)], axis=1)
    ct = esn.continuous(u, dt=1.0, tau=0.5, interp=interp)
    _close_runs(ct, np.zeros(80))


def test_continuous_esn_with_a_smooth_drive_takes_the_same_steps():
    # a single sample: u(t) constant, so no kinks, and the runs take the same steps
    esn = ESN(150, density=0.05, bias_scaling=0.2, seed=4, sparse=True)
    ct = esn.continuous(np.array([0.7]), dt=1.0, tau=0.5)
    x0 = RNG.normal(0.0, 0.5, 150)
    a = interpreted(ct, (0.0, 8.0), x0, t_eval=TE, rtol=1e-7)
    b = solve(ct, (0.0, 8.0), x0, t_eval=TE, rtol=1e-7, backend="numpy")
    _same_run(a, b)


def test_esn_euler_is_the_discrete_esn():
    # Independent of the compiled engine: Euler with step dt and zero-order hold is the
    # discrete leaky ESN (neurodyn.esn's module notes), whose loop is separate code.
    esn = ESN(40, leak_rate=0.25, seed=0)
    u = np.sin(np.arange(40) * 0.3)
    ct = esn.continuous(u, dt=0.5)
    sol = solve(ct, (0.0, 20.0), np.zeros(40), method="euler", dt=0.5,
                t_eval=np.arange(1, 41) * 0.5, backend="numpy")
    assert np.abs(sol.y - esn.run(u, reset=True)).max() < 1e-12


@pytest.mark.parametrize("form", ["dense", "sparse", "hopfield", "esn", "driven"])
def test_array_forms_equal_their_kernels_for_a_batch(form):
    if form == "hopfield":
        model = ContinuousHopfield(np.eye(30)[::-1] * 0.5, gain=2.0)
    elif form == "esn":
        model = ESN(30, n_inputs=1, seed=2, sparse=True).continuous(np.arange(5.0), dt=0.5,
                                                                   interp="linear")
    else:
        model = _ctrnn(30, sparse=form == "sparse",
                       input=Sinusoid(1.0, 0.5) if form == "driven" else 0.3)
    Y = RNG.normal(0.0, 1.0, (4, 30))
    f = model.array_form(np)
    out = np.empty((4, 30))
    f(1.3, Y, out)
    one = np.empty(30)
    for r in range(4):
        ref = np.empty(30)
        model.rhs(1.3, Y[r], model.params, ref)  # the kernel, run as plain Python
        assert np.abs(out[r] - ref).max() < 1e-13 * max(1.0, np.abs(ref).max())
        f(1.3, Y[r], one)  # one state (a GEMV) and a batch (a GEMM) alike
        assert np.abs(one - ref).max() < 1e-13 * max(1.0, np.abs(ref).max())


# ---------------------------------------------------------------- methods, fixed steps, exact
@pytest.mark.parametrize("method", ["bs32", "tsit5", "dop853", "vern7"])
def test_every_explicit_pair(method):
    net = _ctrnn(20, "tanh", seed=5)
    y0 = RNG.normal(0.0, 1.0, 20)
    a = interpreted(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-7, method=method)
    b = solve(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-7, method=method, backend="numpy")
    _same_run(a, b)


@pytest.mark.parametrize("method", ["euler", "heun", "rk4"])
def test_fixed_steps_equal_solve(method):
    net = _ctrnn(20, seed=6)
    y0 = RNG.normal(0.0, 1.0, 20)
    te = np.sort(RNG.uniform(0.0, 3.0, 20))  # between steps: the Hermite interpolant
    for kw in (dict(t_eval=te), {}):
        a = interpreted(net, (0.0, 3.0), y0, method=method, dt=0.013, **kw)
        b = solve(net, (0.0, 3.0), y0, method=method, dt=0.013, backend="numpy", **kw)
        assert b.status == 0 and b.nfev == a.nfev and b.naccepted == a.naccepted
        np.testing.assert_allclose(b.t, a.t, rtol=0, atol=1e-15)
        assert np.abs(b.y - a.y).max() < 1e-12


def test_linear_system_against_expm_forward_and_backward():
    rng = np.random.default_rng(11)
    A = rng.normal(0.0, 1.0, (30, 30)) / math.sqrt(30) - 0.5 * np.eye(30)
    sys = Linear(A)
    y0 = rng.normal(0.0, 1.0, 30)
    te = np.linspace(0.0, 3.0, 13)
    exact = np.array([expm(A * t) @ y0 for t in te])
    for method in ("dopri5", "dop853"):
        sol = solve_array(sys, (0.0, 3.0), y0, t_eval=te, rtol=1e-10, atol=1e-12,
                          method=method)
        assert sol.success and np.abs(sol.y - exact).max() < 1e-8
    back = solve_array(sys, (3.0, 0.0), exact[-1], t_eval=te[::-1], rtol=1e-10, atol=1e-12)
    assert back.success and np.abs(back.y - exact[::-1]).max() < 1e-7
    rk4 = solve_array(sys, (0.0, 3.0), y0, method="rk4", dt=1e-3)
    assert rk4.t.size == 3001 and np.abs(rk4.y[-1] - exact[-1]).max() < 1e-10


def test_first_step_max_step_and_the_stretch_to_t1():
    sys = Linear(np.array([[-1.0, 2.0], [-2.0, -1.0]]))
    for kw in (dict(first_step=1e-3), dict(max_step=0.05), dict(max_step=0.3, rtol=1e-3)):
        a = interpreted(sys, (0.0, 2.0), [1.0, 0.0], **kw)
        b = solve(sys, (0.0, 2.0), [1.0, 0.0], backend="numpy", **kw)
        # every step's output: steps placed equally to ~1e-9, so y there too
        _same_run(a, b, tol=1e-8)
        assert np.diff(b.t).max() <= kw.get("max_step", np.inf) * (1 + 1e-12)
        assert b.t[1] == kw.get("first_step", b.t[1]) and b.t[-1] == 2.0


# ---------------------------------------------------------------- float32
def test_float32_run_agrees_with_float64():
    net = _ctrnn(100, "tanh", seed=8)
    y0 = RNG.normal(0.0, 1.0, 100)
    ref = interpreted(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-10, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rtol 1e-4 is within float32's reach: no warning
        s32 = solve_array(net, (0.0, 8.0), y0, t_eval=TE, rtol=1e-4, atol=1e-7,
                          dtype=np.float32)
    assert s32.success and s32.y.dtype == np.float32
    assert np.abs(s32.y - ref.y).max() < 1e-3
    tight = solve_array(net, (0.0, 8.0), y0, t_eval=TE, rtol=2e-5, atol=1e-7,
                        dtype=np.float32)
    assert np.abs(tight.y - ref.y).max() < 1e-4
    rk4 = solve_array(net, (0.0, 8.0), y0, t_eval=TE, method="rk4", dt=0.01, dtype="float32")
    assert np.abs(rk4.y - ref.y).max() < 1e-5


def test_float32_warns_below_its_resolution():
    with pytest.warns(RuntimeWarning, match="below float32's resolution"):
        solve_array(Square(1), (0.0, 0.5), [1.0], rtol=1e-7, dtype=np.float32)


# ---------------------------------------------------------------- failures keep the trajectory
@pytest.mark.parametrize("method,kw", [("dopri5", {}), ("rk4", dict(dt=0.01))])
def test_blow_up_stops_where_the_compiled_engine_stops(method, kw):
    # dy/dt = y^2 from 1: infinite at t = 1
    a = solve(Square(), (0.0, 2.0), np.ones(3), method=method, **kw)
    b = solve(Square(), (0.0, 2.0), np.ones(3), method=method, backend="numpy", **kw)
    assert a.status < 0 and b.status == a.status and not b.success
    assert b.t.size == a.t.size and b.nfev == a.nfev and b.nrejected == a.nrejected
    assert b.t_final == pytest.approx(a.t_final, rel=1e-12, abs=0)
    assert np.isfinite(b.y).all() and np.isfinite(b.y_final).all()
    np.testing.assert_allclose(b.y, a.y, rtol=1e-9)
    assert b.message.split(" at t = ")[0] == a.message.split(" at t = ")[0]


def test_fixed_step_blow_up_inside_an_unchecked_chunk():
    # The non-finite step falls mid-chunk (chunks of 64 steps): the chunk is rerun checked.
    a = solve(Square(1), (0.0, 2.0), [1.0], method="rk4", dt=0.007)
    b = solve(Square(1), (0.0, 2.0), [1.0], method="rk4", dt=0.007, backend="numpy")
    assert b.status == a.status == -3 and b.nfev == a.nfev and b.naccepted == a.naccepted
    assert b.naccepted % 64 not in (0, 63)
    np.testing.assert_allclose(b.y, a.y, rtol=1e-12)
    # the exact solution 1 / (1 - t) up to there
    assert abs(b.y[-10, 0] - 1.0 / (1.0 - b.t[-10])) < 1e-3 * b.y[-10, 0]


def test_max_steps():
    sys = Linear(np.array([[0.0, 1.0], [-1.0, 0.0]]))
    a = interpreted(sys, (0.0, 50.0), [1.0, 0.0], max_steps=20)
    b = solve(sys, (0.0, 50.0), [1.0, 0.0], max_steps=20, backend="numpy")
    assert b.status == a.status == -1 and b.nsteps == 20 and "20 steps taken" in b.message
    assert b.t_final == pytest.approx(a.t_final, rel=1e-9) and np.abs(b.y - a.y).max() < 1e-9
    f = solve(sys, (0.0, 50.0), [1.0, 0.0], method="rk4", dt=0.1, max_steps=7, backend="numpy")
    assert f.status == -1 and f.t.size == 8 and f.t_final == pytest.approx(0.7)


@pytest.mark.parametrize("method,kw", [("dopri5", {}), ("rk4", dict(dt=0.01))])
def test_array_form_that_raises_keeps_the_trajectory(method, kw):
    A = np.array([[-1.0, 0.0], [0.0, -2.0]])
    sol = solve(Failing(A, 60, RuntimeError("device lost")), (0.0, 5.0), [1.0, 1.0],
                method=method, backend="numpy", **kw)
    assert sol.status == -6 and isinstance(sol.exception, RuntimeError)
    assert "Linear" in sol.message and "device lost" in sol.message and 0.0 < sol.t_final < 5.0
    exact = np.exp(np.outer(sol.t, np.diag(A)))
    assert np.abs(sol.y - exact).max() < 1e-5


@pytest.mark.parametrize("method,kw", [("dopri5", {}), ("rk4", dict(dt=0.01))])
def test_keyboard_interrupt_carries_the_partial_solution(method, kw):
    A = np.array([[-1.0, 0.0], [0.0, -2.0]])
    with pytest.raises(Interrupted) as info:
        solve(Failing(A, 300, KeyboardInterrupt()), (0.0, 50.0), [1.0, 1.0], method=method,
              backend="numpy", rtol=1e-10, **kw)
    sol = info.value.solution
    assert sol.status == -7 and 0.0 < sol.t_final < 50.0 and sol.t.size > 1
    exact = np.exp(np.outer(sol.t, np.diag(A)))
    assert np.abs(sol.y - exact).max() < 1e-6


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signals reach the main thread only")
def test_sigint_stops_at_a_step_boundary():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    A = np.array([[-1.0, 0.0], [0.0, -2.0]])

    class Signalling(Linear):
        def array_form(self, xp, dtype):
            inner = Linear.array_form(self, xp, dtype)
            calls = [0]

            def f(t, y, out):
                calls[0] += 1
                if calls[0] == 100:
                    signal.raise_signal(signal.SIGINT)
                inner(t, y, out)
            return f
    try:
        with pytest.raises(Interrupted) as info:
            solve(Signalling(A), (0.0, 50.0), [1.0, 1.0], rtol=1e-10, backend="numpy")
    finally:
        signal.signal(signal.SIGINT, previous)
    sol = info.value.solution
    # f(t0), the first-step trial, then 6 a step: call 100 is in step 17, which is finished
    assert sol.status == -7 and sol.nfev == 2 + 6 * 17 and sol.naccepted + sol.nrejected == 17
    assert np.abs(sol.y - np.exp(np.outer(sol.t, np.diag(A)))).max() < 1e-8


def test_empty_span_and_prebuilt_form():
    net = _ctrnn(20)
    y0 = np.linspace(-1.0, 1.0, 20)
    same = solve(net, (1.0, 1.0), y0, backend="numpy")
    assert same.success and same.t.tolist() == [1.0] and np.array_equal(same.y[0], y0)
    form = net.array_form(np)
    assert isinstance(form, ArrayForm) and form.n_states == 20
    a = solve_array(form, (0.0, 2.0), y0)
    b = solve_array(net, (0.0, 2.0), y0)
    np.testing.assert_array_equal(a.y, b.y)
    with pytest.raises(ValueError, match="float64, not float32"):
        solve_array(form, (0.0, 2.0), y0, dtype=np.float32)


# ---------------------------------------------------------------- refusals
def test_cuda_backend_without_cupy_names_the_extra():
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed here")
    with pytest.raises(ImportError, match=r'neurodyn\[gpu\]') as info:
        solve(_ctrnn(10), (0.0, 1.0), np.zeros(10), backend="cuda")
    assert "GPU" in str(info.value)
    with pytest.raises(ImportError, match=r'neurodyn\[gpu\]'):
        array_namespace("cuda")


def test_a_system_without_array_form_is_named():
    sys = ODESystem(square, 1, name="MyDecay")
    with pytest.raises(TypeError, match="MyDecay has no array form") as info:
        solve(sys, (0.0, 1.0), [1.0], backend="numpy")
    assert "CTRNN" in str(info.value) and "ContinuousHopfield" in str(info.value)


@pytest.mark.parametrize("kw,name", [(dict(params=((np.eye(2),))), "params"),
                                     (dict(events=lambda t, y, p: y[0]), "events"),
                                     (dict(dense_output=True), "dense_output"),
                                     (dict(debug=True), "debug"),
                                     (dict(method="radau"), "radau"),
                                     (dict(method="rodas5p"), "rodas5p")])
def test_unsupported_options_are_refused_by_name(kw, name):
    with pytest.raises(ValueError, match=name) as info:
        solve(Linear(-np.eye(2)), (0.0, 1.0), [1.0, 1.0], backend="numpy", **kw)
    assert "backend='numpy'" in str(info.value)


def test_bad_backend_dtype_and_options():
    sys = Linear(-np.eye(2))
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        solve(sys, (0.0, 1.0), [1.0, 1.0], backend="gpu")
    with pytest.raises(ValueError, match="float64 or float32"):
        solve_array(sys, (0.0, 1.0), [1.0, 1.0], dtype=np.float16)
    with pytest.raises(ValueError, match="fixed-step: give dt"):
        solve(sys, (0.0, 1.0), [1.0, 1.0], method="rk4", backend="numpy")
    with pytest.raises(ValueError, match="y0 has length 3"):
        solve(sys, (0.0, 1.0), [1.0, 1.0, 1.0], backend="numpy")
    with pytest.raises(ValueError, match="t_eval must lie within"):
        solve(sys, (0.0, 1.0), [1.0, 1.0], t_eval=[2.0], backend="numpy")


def test_docstring_examples():
    res = doctest.testmod(importlib.import_module("solvers.array_engine"),
                          optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
    globs = {"np": np, "CTRNN": CTRNN, "ESN": ESN, "ContinuousHopfield": ContinuousHopfield}
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    for obj in (CTRNN.array_form, ContinuousHopfield.array_form, ContinuousESN.array_form):
        for test in finder.find(obj, obj.__qualname__, globs=dict(globs)):
            runner.run(test)
    res = runner.summarize(verbose=False)
    assert res.attempted >= 12 and res.failed == 0


# ---------------------------------------------------------------- on a real GPU only
def _gpu():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: no GPU test
        return False


@pytest.mark.skipif(not _gpu(), reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("sparse", [False, True])
def test_real_gpu_matches_the_cpu(sparse):
    rng = np.random.default_rng(5)
    n = 300
    W = rng.normal(scale=1.5 / np.sqrt(n), size=(n, n))
    net = CTRNN(sp.csr_matrix(W * (rng.random((n, n)) < 0.2)) if sparse else W,
                bias=rng.normal(size=n), input=Sinusoid(0.3, 0.2))
    y0 = rng.normal(size=n)
    te = np.linspace(0.0, 5.0, 11)
    cpu = solve(net, (0.0, 5.0), y0, t_eval=te, rtol=1e-8, atol=1e-10)
    gpu = solve(net, (0.0, 5.0), y0, t_eval=te, rtol=1e-8, atol=1e-10, backend="cuda")
    assert gpu.success and isinstance(gpu.y, np.ndarray)
    # other rounding (cuBLAS, fused multiply-adds) may tip a step: agreement to the tolerance
    assert np.abs(gpu.y - cpu.y).max() < 1e-6
