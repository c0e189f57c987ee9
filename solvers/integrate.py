"""``solve`` and ``iterate``: validate at the boundary, then hand over to compiled loops."""
from __future__ import annotations

import math
import numbers

import numpy as np
from numba.core.errors import NumbaError

from . import tableaus
from ._checks import first_bad_time, first_non_finite
from ._codegen import loops_for
from .solution import FAILED, MAX_STEPS, NON_FINITE, STATUS_MESSAGES, SUCCESS, Solution
from .system import MapSystem, normalize_params

__all__ = ["solve", "iterate", "compiled_loop", "METHODS"]

STIFF = ("radau", "bdf", "lsoda")
METHODS = tuple(tableaus.FIXED) + tuple(tableaus.ADAPTIVE) + STIFF

# Step-size controller: safety factor and bounds on the change of h per step as in Hairer's
# DOPRI5 and SciPy. The PI controller's weight of the previous error is beta = 0.1/k
# (k = embedded order + 1), half of DOPRI5's 0.04 for k = 5: measured on W1 and W2 it keeps the
# rejections of a PI controller (1-2 instead of 7 for a pure I controller on W1) while growing
# h as fast as SciPy's I controller on smooth stretches (W2: 230 RHS evaluations for dopri5,
# 248 with beta = 0.04, 224 for SciPy's RK45).
PI_BETA_K = 0.1
SAFETY = 0.9
FACMIN = 0.2
FACMAX = 10.0
DEFAULT_MAX_STEPS = 100_000
_RTOL_MIN = 100 * np.finfo(float).eps


def _name(system):
    return getattr(system, "name", type(system).__name__)


def _check_system(system, what="solve"):
    for attr in ("rhs", "params", "n_states"):
        if not hasattr(system, attr):
            if isinstance(system, MapSystem):
                raise TypeError(f"{what}() integrates continuous-time systems; "
                                f"{system!r} is a map: use solvers.iterate")
            raise TypeError(f"{what}() needs a system with .rhs, .params and .n_states "
                            f"(an ODESystem or a neurodyn model); {type(system).__name__} has "
                            f"no .{attr}")


def _positive(name, value, allow_inf=False):
    if type(value) is float and 0.0 < value < math.inf:
        return value
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (v > 0) or (math.isinf(v) and not allow_inf) or math.isnan(v):
        raise ValueError(f"{name} must be a positive {'' if allow_inf else 'finite '}number, "
                         f"got {value!r}")
    return v


def _state_vector(y0, n, system, what="y0"):
    y = np.array(y0, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"{what} must be a 1-D vector of length {n} for {_name(system)}, got "
                         f"shape {y.shape}")
    if y.size != n:
        raise ValueError(f"{what} has length {y.size}, but {_name(system)} has {n} states")
    k = first_non_finite(y)
    if k >= 0:
        raise ValueError(f"{what}[{k}] is {y[k]}: initial states must be finite")
    return y


def _time_span(t_span):
    try:
        t0, t1 = (float(v) for v in t_span)
    except (TypeError, ValueError):
        raise ValueError(f"t_span must be a pair (t0, t1) of numbers, got {t_span!r}") from None
    if not (math.isfinite(t0) and math.isfinite(t1)):
        raise ValueError(f"t_span must be finite, got {t_span!r}")
    if t1 == t0:
        raise ValueError(f"t_span {t_span!r} is empty: t1 must be greater than t0")
    if t1 < t0:
        raise ValueError(f"t_span {t_span!r} is reversed: t1 must be greater than t0 "
                         "(backward integration is not supported)")
    return t0, t1


def _t_eval(t_eval, t0, t1):
    if t_eval is None:
        return None
    te = np.ascontiguousarray(t_eval, dtype=np.float64)
    if te.ndim != 1:
        raise ValueError(f"t_eval must be 1-D, got shape {te.shape}")
    if te.size == 0:
        raise ValueError("t_eval is empty")
    k = first_bad_time(te, t0, t1)
    if k >= 0:
        v = te[k]
        if not math.isfinite(v):
            raise ValueError(f"t_eval[{k}] is {v}: output times must be finite")
        if v < t0 or v > t1:
            raise ValueError(f"t_eval must lie within t_span ({t0}, {t1}); t_eval[{k}] = {v}")
        raise ValueError(f"t_eval must be sorted: t_eval[{k - 1}] = {te[k - 1]} > "
                         f"t_eval[{k}] = {v}")
    return te


def _atol_vector(atol, n):
    if isinstance(atol, numbers.Real):
        a = float(atol)
        if not (0 <= a < math.inf):
            raise ValueError(f"atol must be finite and >= 0, got {atol!r}")
        v = np.empty(n)
        v.fill(a)
        return v
    a = np.asarray(atol, dtype=np.float64)
    if a.ndim == 0:
        return _atol_vector(float(a), n)
    if a.shape != (n,):
        raise ValueError(f"atol must be a number or a vector of length {n}, got shape {a.shape}")
    a = np.ascontiguousarray(a)
    if not (np.all(np.isfinite(a)) and np.all(a >= 0)):
        raise ValueError("atol must be finite and >= 0")
    return a


def _compile_error(system, err):
    first = str(err).strip().splitlines()
    brief = "\n".join(first[:12])
    return TypeError(
        f"the kernel of {_name(system)} could not be compiled by Numba. Kernels must be plain "
        f"restricted Python (loops, math, array indexing) with the signature "
        f"rhs(t, y, p, dydt); p is the system's params tuple {tuple(type(v).__name__ for v in system.params)}.\n"
        f"Numba said:\n{brief}")


def _message(status, t, h=float("nan"), max_steps=0, detail=""):
    if status == SUCCESS:
        return STATUS_MESSAGES[SUCCESS]
    return STATUS_MESSAGES[status].format(t=t, h=h, max_steps=max_steps, detail=detail)


def solve(system, t_span, y0, *, method="dopri5", t_eval=None, rtol=1e-6, atol=1e-9, dt=None,
          first_step=None, max_step=np.inf, max_steps=None, params=None):
    """Integrate ``dy/dt = f(t, y)`` over ``t_span`` from ``y0``.

    Parameters
    ----------
    system : ODESystem or model
        Anything with ``.rhs`` (kernel), ``.params``, ``.n_states`` and optionally ``.jac``.
    t_span : (t0, t1)
        With ``t1 > t0``.
    y0 : array_like, shape (n,)
    method : str
        Fixed step: ``"euler"``, ``"heun"``, ``"rk4"`` (need ``dt``). Adaptive, compiled:
        ``"bs32"`` (Bogacki–Shampine 3(2)), ``"dopri5"`` (Dormand–Prince 5(4)), ``"tsit5"``
        (Tsitouras 5(4)). Stiff, SciPy's implicit solvers fed the compiled RHS and Jacobian:
        ``"radau"``, ``"bdf"``, ``"lsoda"``.
    t_eval : array_like, optional
        Sorted output times inside ``t_span``, filled by each method's own interpolant
        (Shampine's for dopri5, Tsitouras' for tsit5, cubic Hermite for bs32 and fixed steps).
        Default: every step.
    rtol, atol : float (atol may be a length-n vector)
        Error per step is the RMS over components of ``err_i / (atol_i + rtol max(|y_i|,
        |y_new_i|))``, and a step is accepted when it is <= 1 (SciPy's norm).
    dt : float
        Step of the fixed-step methods; the last step is shortened to end at ``t1``.
    first_step : float, optional
        Initial step of adaptive methods; default is Hairer's heuristic.
    max_step : float
        Upper bound on the step size of adaptive methods.
    max_steps : int, optional
        Limit on the number of steps (accepted plus rejected); default 100,000 for adaptive and
        stiff methods, unlimited for fixed-step ones. Reaching it returns the partial solution
        with ``status = -1``.
    params : tuple, optional
        Parameters to use instead of ``system.params`` (same layout; nothing is recompiled).

    Returns
    -------
    Solution
        ``t``, ``y`` (shape ``(k, n)``), ``success``, ``status``, ``message`` and statistics.
        A run that meets a non-finite state, a step-size underflow or the step limit stops there
        and returns what it computed, with ``success = False``.

    Example
    -------
    >>> import numpy as np
    >>> from solvers import ODESystem, solve
    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -p[0] * y[0]
    >>> sol = solve(ODESystem(decay, 1, (2.0,)), (0.0, 1.0), [1.0], t_eval=[0.5, 1.0],
    ...             rtol=1e-10, atol=1e-12)
    >>> bool(abs(sol.y[-1, 0] - np.exp(-2.0)) < 1e-9)
    True
    """
    _check_system(system)
    method = str(method).lower()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    n = int(system.n_states)
    t0, t1 = _time_span(t_span)
    y = _state_vector(y0, n, system)
    rtol = _positive("rtol", rtol)
    if rtol < _RTOL_MIN:
        raise ValueError(f"rtol = {rtol!r} is below 100 machine epsilons ({_RTOL_MIN:.1e}); "
                         "no step can meet it")
    atol_v = _atol_vector(atol, n)
    te = _t_eval(t_eval, t0, t1)
    p = system.params if params is None else normalize_params(params, owner=_name(system))
    max_step = _positive("max_step", max_step, allow_inf=True)
    if max_steps is not None:
        if not isinstance(max_steps, numbers.Integral) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
    if first_step is not None:
        first_step = _positive("first_step", first_step)
        if first_step > t1 - t0:
            raise ValueError(f"first_step = {first_step} exceeds the interval length {t1 - t0}")

    if dt is not None and method not in tableaus.FIXED:
        raise ValueError(f"dt is the step of the fixed-step methods; {method!r} is adaptive "
                         "(use first_step and max_step to steer it)")
    jac = getattr(system, "jac", None)
    if method in STIFF:
        mod = loops_for("ode", system.rhs, jac)
        return _solve_scipy(system, mod, method, t0, t1, y, te, rtol, atol_v, first_step,
                            max_step, max_steps or DEFAULT_MAX_STEPS, p)
    tab = tableaus.get(method)
    mod = loops_for("ode", system.rhs, jac, tab)
    use_te = te is not None
    te_arr = te if use_te else np.empty(0)
    if method in tableaus.FIXED:
        if dt is None:
            raise ValueError(f"method {method!r} is fixed-step: give dt")
        dt = _positive("dt", dt)
        n_steps = max(1, int(math.ceil((t1 - t0) / dt * (1 - 1e-12))))
        lim = n_steps if max_steps is None else int(max_steps)
        try:
            status, t, yf, n_out, out_t, out_y, nfev, nsteps = mod.rk_fixed(
                t0, t1, y, dt, n_steps, te_arr, use_te, lim, p)
        except NumbaError as err:
            raise _compile_error(system, err) from None
        msg = _message(status, t, max_steps=lim)
        return Solution(out_t[:n_out], out_y[:n_out], status, msg, t_final=t, y_final=yf,
                        nfev=nfev, nsteps=nsteps, naccepted=nsteps, method=method)
    lim = DEFAULT_MAX_STEPS if max_steps is None else int(max_steps)
    h0 = 0.0 if first_step is None else first_step
    beta = PI_BETA_K / (tab.error_order + 1)
    try:
        status, t, yf, h, n_out, out_t, out_y, nfev, nacc, nrej = mod.rk_adaptive(
            t0, t1, y, te_arr, use_te, rtol, atol_v, h0, max_step, lim, p, tab.error_order,
            SAFETY, FACMIN, FACMAX, beta)
    except NumbaError as err:
        raise _compile_error(system, err) from None
    msg = _message(status, t, h=h, max_steps=lim)
    return Solution(out_t[:n_out], out_y[:n_out], status, msg, t_final=t, y_final=yf,
                    nfev=nfev, nsteps=nacc + nrej, naccepted=nacc, nrejected=nrej,
                    method=method)


def compiled_loop(system, method="dopri5"):
    """The Numba dispatcher that runs ``method`` for ``system``'s kernel.

    Useful to check that nothing is recompiled: its ``signatures`` list grows only when a new
    type of argument is seen, and its ``stats`` count on-disk cache hits and misses.

    >>> from solvers import ODESystem, solve
    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -p[0] * y[0]
    >>> _ = solve(ODESystem(decay, 1, (1.0,)), (0, 1), [1.0])
    >>> _ = solve(ODESystem(decay, 1, (5.0,)), (0, 1), [2.0])
    >>> len(compiled_loop(ODESystem(decay, 1)).signatures)
    1
    """
    method = str(method).lower()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    jac = getattr(system, "jac", None)
    if method in STIFF:
        return loops_for("ode", system.rhs, jac).rhs_into
    tab = tableaus.get(method)
    mod = loops_for("ode", system.rhs, jac, tab)
    return mod.rk_fixed if method in tableaus.FIXED else mod.rk_adaptive


def _solve_scipy(system, mod, method, t0, t1, y0, te, rtol, atol, first_step, max_step,
                 max_steps, p):
    from scipy.integrate import BDF, LSODA, Radau

    n = y0.size
    rhs_into = mod.rhs_into
    try:
        rhs_into(p, t0, y0, np.empty(n))
    except NumbaError as err:
        raise _compile_error(system, err) from None

    # Called by SciPy once per evaluation: one Python frame, a NumPy-allocated result.
    def fun(t, y, _empty=np.empty):
        out = _empty(n)
        rhs_into(p, t, y, out)
        return out

    jac = None
    if getattr(system, "jac", None) is not None:
        jac_into = mod.jac_into

        def jac(t, y, _zeros=np.zeros):
            J = _zeros((n, n))
            jac_into(p, t, y, J)
            return J

    cls = {"radau": Radau, "bdf": BDF, "lsoda": LSODA}[method]
    kw = dict(rtol=rtol, atol=atol, max_step=max_step, jac=jac)
    if first_step is not None:
        kw["first_step"] = first_step
    solver = cls(fun, t0, y0, t1, **kw)
    step = solver.step
    if te is None:
        ts, ys = [t0], [y0]
        k = 0
    else:
        k = int(np.searchsorted(te, t0, side="right"))
        ts, ys = [te[:k]], [np.repeat(y0[None, :], k, axis=0)]
    status, detail, steps = SUCCESS, "", 0
    while solver.status == "running":
        if steps >= max_steps:
            status = MAX_STEPS
            break
        msg = step()
        steps += 1
        if solver.status == "failed":
            status = FAILED
            detail = f"{cls.__name__} failed at t = {solver.t:.17g}: {msg}"
            break
        t = solver.t
        if te is None:
            ts.append(t)
            ys.append(solver.y.copy())
        elif k < te.size and te[k] <= t:
            j = int(np.searchsorted(te, t, side="right"))
            ts.append(te[k:j])
            ys.append(solver.dense_output()(te[k:j]).T)
            k = j
    if te is None:
        t_arr = np.array(ts)
        y_arr = np.array(ys)
    else:
        t_arr = np.concatenate(ts)
        y_arr = np.concatenate(ys, axis=0)
    t_final, y_final = solver.t, solver.y.copy()
    # Checked once at the end rather than per step (a per-step check cost a third of W7's
    # LSODA time): a non-finite state ends the trajectory at the last finite row.
    if not np.isfinite(y_arr).all() or not np.isfinite(y_final).all():
        bad = np.flatnonzero(~np.isfinite(y_arr).all(axis=1))
        keep = bad[0] if bad.size else len(t_arr)
        t_arr, y_arr = t_arr[:keep], y_arr[:keep]
        status = NON_FINITE
        t_final = t_arr[-1] if keep else t0
        y_final = y_arr[-1] if keep else y0
    msg = _message(status, t_final, max_steps=max_steps, detail=detail)
    return Solution(t_arr, y_arr, status, msg, t_final=t_final, y_final=y_final,
                    nfev=solver.nfev, njev=solver.njev, nlu=solver.nlu, nsteps=steps,
                    naccepted=steps, method=method)


def iterate(map_system, x0, n_steps, *, params=None, transient=0, save_every=1, k0=0):
    """Iterate a discrete-time map ``x[k+1] = F(k, x[k])`` in compiled code.

    Parameters
    ----------
    map_system : MapSystem
    x0 : array_like, shape (n,)
    n_steps : int
        Iterations after the transient.
    transient : int
        Iterations run first and not stored (e.g. to reach an attractor).
    save_every : int
        Store every ``save_every``-th state.
    k0 : int
        Index of the initial state (passed to the kernel as ``k``).

    Returns
    -------
    Solution
        ``t`` holds the iteration indices, ``y`` the states, shape ``(k, n)``. A non-finite
        state stops the iteration with ``status = -3`` and keeps what came before.

    Example
    -------
    >>> from solvers import MapSystem, iterate
    >>> def logistic(k, x, p, out):
    ...     out[0] = p[0] * x[0] * (1.0 - x[0])
    >>> sol = iterate(MapSystem(logistic, 1, (2.5,)), [0.1], 200)
    >>> round(float(sol.y[-1, 0]), 6)   # the fixed point 1 - 1/r
    0.6
    """
    if not isinstance(map_system, MapSystem) and not hasattr(map_system, "step"):
        raise TypeError(f"iterate() needs a MapSystem, got {type(map_system).__name__}")
    n = int(map_system.n_states)
    x = _state_vector(x0, n, map_system, what="x0")
    for name, v, lo in (("n_steps", n_steps, 0), ("transient", transient, 0),
                        ("save_every", save_every, 1)):
        if not isinstance(v, numbers.Integral) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    p = map_system.params if params is None else normalize_params(params)
    mod = loops_for("map", map_system.step, getattr(map_system, "jac", None))
    try:
        status, k, xf, n_out, out_k, out_x = mod.iterate_loop(
            x, int(k0), int(n_steps), int(transient), int(save_every), p)
    except NumbaError as err:
        raise _compile_error(map_system, err) from None
    if status == SUCCESS:
        msg = f"Iterated {n_steps} steps after a transient of {transient}."
    else:
        msg = (f"Non-finite state at iteration {k + 1}: the map diverged; states kept up to "
               f"iteration {k}.")
    return Solution(out_k[:n_out], out_x[:n_out], status, msg, t_final=k, y_final=xf,
                    nfev=n_steps + transient, nsteps=n_steps + transient, method="iterate")

