"""``solve`` and ``iterate``: validate at the boundary, then hand over to compiled loops.

The compiled loops are resumable (see ``_ode_loops.py``): every call advances a run by a step
budget sized to take about 0.1 s, then returns here. That is where a Ctrl-C is honoured (the
run stops within a chunk and :class:`solvers.Interrupted` carries the partial solution), and
where a kernel's exception is caught with the state of the last accepted step still intact.
"""
from __future__ import annotations

import math
import os
import signal
import threading
import time

import numpy as np
from numba.core.errors import NumbaError

from . import tableaus
from ._checks import (InvalidTypeError, check_allocation, count, first_bad_time,
                      first_non_finite, real_array, real_number)
from ._codegen import loops_for
from .solution import (FAILED, INTERRUPTED, KERNEL_ERROR, MAX_STEPS, NON_FINITE,
                       STATUS_MESSAGES, STEP_UNDERFLOW, SUCCESS, Interrupted, Solution)
from .system import MapSystem, match_params

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

# Chunks of compiled work between returns to Python. The first call gets a budget of about
# _FIRST_WORK stage evaluations times states (W1 and most small problems finish inside it, so
# they pay nothing for chunking); later budgets are scaled from the measured time to take
# about _CHUNK_SECONDS, which bounds how long a Ctrl-C waits.
_FIRST_WORK = 200_000
_CHUNK_SECONDS = 0.1
_RUNNING = 1
_NEED_SPACE = 2
# Indices of the resumable state arrays (the same as in _ode_loops.py / _map_loops.py).
_SF_T, _SF_H, _SF_ERR = 0, 1, 2
_SI_STATUS, _SI_NOUT, _SI_NFEV, _SI_NACC, _SI_NREJ = 0, 1, 2, 3, 4
_MAP_K, _MAP_DONE, _MAP_NOUT = 1, 2, 3

# Read once: NEURODYN_DEBUG=1 is meant for a whole run (set it before starting Python).
_ENV_DEBUG = os.environ.get("NEURODYN_DEBUG", "") not in ("", "0")
_DEBUG_HINT = ("a kernel that reads or writes outside its arrays corrupts memory silently; "
               "solve(..., debug=True) (or NEURODYN_DEBUG=1) checks every index and names it")


def _name(system):
    return getattr(system, "name", type(system).__name__)


def _check_system(system, what="solve"):
    for attr in ("rhs", "params", "n_states"):
        if not hasattr(system, attr):
            if isinstance(system, MapSystem) or hasattr(system, "step"):
                raise TypeError(f"{what}() integrates continuous-time systems; "
                                f"{system!r} is a map: use solvers.iterate")
            raise TypeError(f"{what}() needs a system with .rhs, .params and .n_states "
                            f"(an ODESystem or a neurodyn model); {type(system).__name__} has "
                            f"no .{attr}")


def _method(method):
    if not isinstance(method, str):
        raise InvalidTypeError(f"method must be a string (one of {', '.join(METHODS)}), got "
                               f"{method!r}")
    m = method.lower()
    if m not in METHODS:
        raise ValueError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    return m


def _state_vector(y0, n, system, what="y0"):
    # np.array copies: the compiled loops advance this vector in place.
    y = np.array(real_array(what, y0, ndim=1, finite=False, per=f"one value per state of "
                            f"{_name(system)}"), dtype=np.float64)
    if y.size != n:
        raise ValueError(f"{what} has length {y.size}, but {_name(system)} has {n} states")
    k = first_non_finite(y)
    if k >= 0:
        raise ValueError(f"{what}[{k}] is {y[k]}: initial states must be finite")
    return y


def _domain_check(system, y):
    """A system may say which initial states it admits (``check_initial_state(y0)``, e.g. a
    memristor's x in [0, 1]), so a bad start is refused naming the device instead of ending
    at t0 as a non-finite state."""
    hook = getattr(system, "check_initial_state", None)
    if hook is not None:
        hook(y)


def _time_span(t_span):
    if isinstance(t_span, (str, bytes)) or not hasattr(t_span, "__len__") or len(t_span) != 2:
        raise InvalidTypeError(f"t_span must be a pair (t0, t1) of numbers, got {t_span!r}")
    t0 = real_number("t_span[0]", t_span[0])
    t1 = real_number("t_span[1]", t_span[1])
    if t1 == t0:
        raise ValueError(f"t_span {t_span!r} is empty: t1 must be greater than t0")
    if t1 < t0:
        raise ValueError(f"t_span {t_span!r} is reversed: t1 must be greater than t0 "
                         "(backward integration is not supported)")
    return t0, t1


def _t_eval(t_eval, t0, t1):
    if t_eval is None:
        return None
    te = real_array("t_eval", t_eval, ndim=1, finite=False)
    if te.size == 0:
        raise ValueError("t_eval is empty")
    if not (te.flags.c_contiguous and te.flags.writeable):
        te = np.array(te)  # one array layout reaches compiled code: one signature
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
    if type(atol) is float and atol >= 0.0 and atol < math.inf:
        return np.full(n, atol)  # the common case, checked in one comparison
    if isinstance(atol, (list, tuple, np.ndarray)) and np.ndim(atol) > 0:
        if np.shape(atol) != (n,):
            raise ValueError(f"atol must be a number or a vector of length {n} (one per state), "
                             f"got shape {np.shape(atol)}")
        a = np.array(real_array("atol", atol, shape=(n,)))
        k = int(np.argmin(a))
        if a[k] < 0:
            raise ValueError(f"atol[{k}] = {float(a[k])!r}: atol must be >= 0")
        return a
    a = real_number("atol", atol if not isinstance(atol, np.ndarray) else atol[()],
                    nonnegative=True)
    v = np.empty(n)
    v.fill(a)
    return v


def _params(system, params):
    if params is None:
        return system.params
    return match_params(system.params, params, owner=_name(system))


def _compile_error(system, err, kernel="rhs(t, y, p, dydt)"):
    first = str(err).strip().splitlines()
    brief = "\n".join(first[:12])
    return TypeError(
        f"the kernel of {_name(system)} could not be compiled by Numba. Kernels must be plain "
        f"restricted Python (loops, math, array indexing; functions they call decorated with "
        f"numba.njit) with the signature {kernel}; p is "
        f"the system's params tuple {tuple(type(v).__name__ for v in system.params)} (read-only "
        f"arrays and numbers); {_DEBUG_HINT}.\nNumba said:\n{brief}")


def _message(status, t, h=float("nan"), max_steps=0, detail=""):
    if status == SUCCESS:
        return STATUS_MESSAGES[SUCCESS]
    return STATUS_MESSAGES[status].format(t=t, h=h, max_steps=max_steps, detail=detail)


def _debug_flag(debug):
    if not isinstance(debug, (bool, np.bool_)):
        raise InvalidTypeError(f"debug must be True or False, got {debug!r}")
    return bool(debug) or _ENV_DEBUG


def _kernel_error_detail(system, err, t, debug, where="the step from t"):
    what = f"{type(err).__name__}: {err}"
    if debug and isinstance(err, IndexError):
        return (f"the kernel of {_name(system)} read or wrote outside an array ({what}) in "
                f"{where} = {t:.17g}; trajectory kept up to there")
    return (f"the kernel of {_name(system)} raised {what} in {where} = {t:.17g}; trajectory "
            f"kept up to there (Solution.exception holds the exception)")


class _SigintFlag:
    """Ctrl-C turned into a flag while compiled chunks run (main thread only).

    With Python's default handler a KeyboardInterrupt raised as a compiled call returns can
    surface as "SystemError: ... returned a result with an exception set" and lose the call's
    result; a handler that only sets a flag never leaves an exception pending, and the driver
    checks the flag between chunks.
    """

    def __init__(self):
        self.fired = False
        self._old = None
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    self._old = signal.signal(signal.SIGINT, self._handler)
            except (ValueError, OSError):  # pragma: no cover - no signals here
                self._old = None

    def _handler(self, signum, frame):
        self.fired = True

    def restore(self):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None


def _interrupt_in(err):
    """Whether ``err`` is (or wraps) a KeyboardInterrupt."""
    seen = 0
    while err is not None and seen < 5:
        if isinstance(err, KeyboardInterrupt):
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False


def _drive(chunk, budget, grow=None):
    """Call ``chunk(budget)`` until it returns a final status.

    Returns ``(status, exception)``: the loop's status, or INTERRUPTED, or KERNEL_ERROR with the
    exception the kernel raised. A NumbaError (the kernel does not compile) propagates.
    """
    flag = None
    try:
        while True:
            start = time.perf_counter()
            status = chunk(budget)
            if status == _RUNNING:
                if flag is None:
                    flag = _SigintFlag()
                if flag.fired:
                    return INTERRUPTED, None
                elapsed = time.perf_counter() - start
                scale = _CHUNK_SECONDS / max(elapsed, 1e-6)
                budget = max(1, int(budget * min(16.0, max(0.25, scale))))
            elif status == _NEED_SPACE:
                grow()
            else:
                return status, None
    except NumbaError:
        raise
    except KeyboardInterrupt:
        return INTERRUPTED, None
    except SystemError as err:
        if _interrupt_in(err):
            return INTERRUPTED, None
        return KERNEL_ERROR, err
    except Exception as err:  # a kernel raised: the state arrays hold the last accepted step
        return KERNEL_ERROR, err
    finally:
        if flag is not None:
            flag.restore()


def _first_budget(n, stages):
    return max(1, _FIRST_WORK // max(1, n * stages))


def _finish(sol):
    """Return ``sol``, or raise :class:`Interrupted` carrying it."""
    if sol.status == INTERRUPTED:
        raise Interrupted(sol)
    return sol


def solve(system, t_span, y0, *, method="dopri5", t_eval=None, rtol=1e-6, atol=1e-9, dt=None,
          first_step=None, max_step=np.inf, max_steps=None, params=None, debug=False):
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
        Parameters to use instead of ``system.params``: the same layout (entries, array dtypes
        and shapes), checked, so nothing is recompiled and nothing is read out of bounds.
    debug : bool
        Compile (once, separately) with every array index of the loops and kernels checked:
        a kernel that reads or writes out of bounds then stops the run with status -6 and an
        ``IndexError`` naming it, instead of corrupting memory. Slower; for finding bugs.
        The environment variable ``NEURODYN_DEBUG=1`` turns it on everywhere.

    Returns
    -------
    Solution
        ``t``, ``y`` (shape ``(k, n)``), ``success``, ``status``, ``message`` and statistics.
        Nothing computed is lost: a run that meets a non-finite state (-3), a step-size
        underflow (-2), the step limit (-1) or a kernel that raises (-6, the exception in
        ``Solution.exception``) stops there and returns the trajectory up to its last
        accepted step, with ``success = False``.

    Raises
    ------
    solvers.Interrupted
        On Ctrl-C (within about 0.1 s, also inside compiled code): a ``KeyboardInterrupt``
        whose ``solution`` is the partial trajectory (status -7).

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
    method = _method(method)
    n = int(system.n_states)
    t0, t1 = _time_span(t_span)
    y = _state_vector(y0, n, system)
    _domain_check(system, y)
    rtol, atol_v, te, max_step, max_steps, first_step, dt, debug = _step_options(
        method, n, t0, t1, rtol, atol, t_eval, max_step, max_steps, first_step, dt, debug)
    p = _params(system, params)
    jac = getattr(system, "jac", None)
    if method not in tableaus.FIXED:
        scale = max(abs(t0), abs(t1))
        if max_step < np.spacing(scale):
            return _finish(_no_step_advances(method, t0, t1, y, te, max_step, scale))
    if method in STIFF:
        mod = loops_for("ode", system.rhs, jac, boundscheck=debug)
        return _finish(_solve_scipy(system, mod, method, t0, t1, y, te, rtol, atol_v,
                                    first_step, max_step, max_steps or DEFAULT_MAX_STEPS, p,
                                    debug))
    tab = tableaus.get(method)
    mod = loops_for("ode", system.rhs, jac, tab, boundscheck=debug)
    if method in tableaus.FIXED:
        return _finish(_solve_fixed(system, mod, tab, method, t0, t1, y, te, dt, max_steps, p,
                                    debug))
    return _finish(_solve_adaptive(system, mod, tab, method, t0, t1, y, te, rtol, atol_v,
                                   first_step, max_step,
                                   DEFAULT_MAX_STEPS if max_steps is None else max_steps, p,
                                   debug))


def _step_options(method, n, t0, t1, rtol, atol, t_eval, max_step, max_steps, first_step, dt,
                  debug):
    """The options solve and solve_ensemble share, checked: (rtol, atol vector, t_eval or
    None, max_step, max_steps or None, first_step or None, dt (fixed-step methods) or None,
    debug)."""
    rtol = real_number("rtol", rtol, positive=True)
    if rtol < _RTOL_MIN:
        raise ValueError(f"rtol = {rtol!r} is below 100 machine epsilons ({_RTOL_MIN:.1e}); "
                         "no step can meet it")
    atol_v = _atol_vector(atol, n)
    te = _t_eval(t_eval, t0, t1)
    max_step = real_number("max_step", max_step, positive=True, finite=False)
    if max_steps is not None:
        max_steps = count("max_steps", max_steps, low=1)
    if first_step is not None:
        first_step = real_number("first_step", first_step, positive=True)
        if first_step > t1 - t0:
            raise ValueError(f"first_step = {first_step} exceeds the interval length {t1 - t0}")
    debug = _debug_flag(debug)
    if method in tableaus.FIXED:
        if dt is None:
            raise ValueError(f"method {method!r} is fixed-step: give dt")
        dt = real_number("dt", dt, positive=True)
    elif dt is not None:
        raise ValueError(f"dt is the step of the fixed-step methods; {method!r} is adaptive "
                         "(use first_step and max_step to steer it)")
    return rtol, atol_v, te, max_step, max_steps, first_step, dt, debug


def _no_step_advances(method, t0, t1, y, te, max_step, scale):
    """The run that cannot move: near t1, t + max_step == t in floating point. Stepping would
    burn the whole step limit with t frozen (LSODA did), so it stops before the first step."""
    if te is None:
        t_out = np.array([t0])
    else:
        t_out = te[te <= t0].copy()
    msg = (f"Step size underflow at t = {t0:.17g}: max_step = {max_step!r} is below the "
           f"floating-point spacing of t near {scale:.6g} ({np.spacing(scale):.3g}), so steps "
           "that small stop advancing t before t1; no step was taken (raise max_step).")
    return Solution(t_out, np.repeat(y[None, :], t_out.size, axis=0), STEP_UNDERFLOW, msg,
                    t_final=t0, y_final=y.copy(), method=method)


def _output_buffers(te, rows, n, what):
    if te is not None:
        check_allocation("the output at t_eval", (te.size, n))
        return te.copy(), np.empty((te.size, n))
    check_allocation(what, (rows, n + 1),
                     hint="pass t_eval (output only where you need it) or a larger step")
    return np.empty(rows), np.empty((rows, n))


def _solve_adaptive(system, mod, tab, method, t0, t1, y, te, rtol, atol, first_step, max_step,
                    max_steps, p, debug):
    n = y.size
    S = tab.C.size
    use_te = te is not None
    te_arr = te if use_te else np.empty(0)
    bufs = list(_output_buffers(te, 64, n, "the output of every step"))
    sf = np.array([t0, 0.0 if first_step is None else first_step, 1e-4])
    si = np.zeros(8, dtype=np.int64)
    K = np.empty((S, n))
    W = np.empty((tab.P.shape[1] + 3, n))
    beta = PI_BETA_K / (tab.error_order + 1)
    loop = mod.rk_adaptive

    def chunk(budget):
        return loop(t1, te_arr, use_te, rtol, atol, max_step, max_steps, p, tab.error_order,
                    SAFETY, FACMIN, FACMAX, beta, sf, si, y, K, W, bufs[0], bufs[1], budget)

    def grow():
        rows = 2 * bufs[0].size
        check_allocation("the output of every step", (rows, n + 1),
                         hint="pass t_eval (output only where you need it)")
        t_new, y_new = np.empty(rows), np.empty((rows, n))
        t_new[:bufs[0].size] = bufs[0]
        y_new[:bufs[0].size] = bufs[1]
        bufs[0], bufs[1] = t_new, y_new

    try:
        status, err = _drive(chunk, _first_budget(n, S), grow)
    except NumbaError as e:
        raise _compile_error(system, e) from None
    t, h, n_out = float(sf[_SF_T]), float(sf[_SF_H]), int(si[_SI_NOUT])
    if status == KERNEL_ERROR:
        msg = _message(status, t, detail=_kernel_error_detail(system, err, t, debug))
    else:
        msg = _message(status, t, h=h, max_steps=max_steps)
    nacc, nrej = int(si[_SI_NACC]), int(si[_SI_NREJ])
    return Solution(bufs[0][:n_out], bufs[1][:n_out], status, msg, t_final=t, y_final=y, nfev=int(si[_SI_NFEV]),
                    nsteps=nacc + nrej, naccepted=nacc, nrejected=nrej, method=method,
                    exception=err)


def _fixed_steps(t0, t1, dt, max_steps):
    """(steps dt needs over [t0, t1], steps to take within max_steps); the last step is
    shortened to end at t1."""
    ratio = (t1 - t0) / dt
    if not ratio < 2.0 ** 62:
        raise ValueError(f"dt = {dt!r} over t_span ({t0}, {t1}) would take {ratio:.3g} steps; "
                         "use a larger dt")
    n_steps = max(1, int(math.ceil(ratio * (1 - 1e-12))))
    return n_steps, (n_steps if max_steps is None else min(n_steps, max_steps))


def _solve_fixed(system, mod, tab, method, t0, t1, y, te, dt, max_steps, p, debug):
    n = y.size
    n_steps, steps = _fixed_steps(t0, t1, dt, max_steps)
    use_te = te is not None
    te_arr = te if use_te else np.empty(0)
    out_t, out_y = _output_buffers(te, steps + 1, n,
                                   f"the output of every step ({steps} steps of dt = {dt!r})")
    sf = np.array([t0, dt, 0.0])
    si = np.zeros(8, dtype=np.int64)
    K = np.empty((tab.C.size, n))
    W = np.empty((3, n))
    loop = mod.rk_fixed

    def chunk(budget):
        return loop(t0, t1, dt, steps, te_arr, use_te, p, sf, si, y, K, W, out_t, out_y,
                    budget)

    try:
        status, err = _drive(chunk, _first_budget(n, tab.C.size + 1))
    except NumbaError as e:
        raise _compile_error(system, e) from None
    t, n_out, k = float(sf[_SF_T]), int(si[_SI_NOUT]), int(si[_SI_NACC])
    if status == SUCCESS and k < n_steps:
        status = MAX_STEPS
    if status == KERNEL_ERROR:
        msg = _message(status, t, detail=_kernel_error_detail(system, err, t, debug))
    else:
        msg = _message(status, t, max_steps=steps)
    return Solution(out_t[:n_out], out_y[:n_out], status, msg, t_final=t, y_final=y,
                    nfev=int(si[_SI_NFEV]), nsteps=k, naccepted=k, method=method, exception=err)


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
    method = _method(method)
    jac = getattr(system, "jac", None)
    if method in STIFF:
        return loops_for("ode", system.rhs, jac).rhs_into
    tab = tableaus.get(method)
    mod = loops_for("ode", system.rhs, jac, tab)
    return mod.rk_fixed if method in tableaus.FIXED else mod.rk_adaptive


class _NonFiniteRHS(Exception):
    pass


def _solve_scipy(system, mod, method, t0, t1, y0, te, rtol, atol, first_step, max_step,
                 max_steps, p, debug):
    from scipy.integrate import BDF, LSODA, Radau

    n = y0.size
    rhs_into = mod.rhs_into
    try:
        rhs_into(p, t0, y0, np.empty(n))
    except NumbaError as err:
        raise _compile_error(system, err) from None
    except Exception:
        pass  # a kernel that raises at t0: reported below, through the solver, like any other

    # Where a non-finite value came out of the kernels: SciPy's solvers either shrink the step
    # and recover, or fail in their own words (BDF: "array must not contain infs or NaNs",
    # Radau: a step-size message); either way the run is reported as non-finite at that t.
    nonfinite = [None]

    # Called by SciPy once per evaluation: one Python frame, a NumPy-allocated result.
    def fun(t, y, _empty=np.empty):
        out = _empty(n)
        if not rhs_into(p, t, y, out):
            nonfinite[0] = t
        return out

    jac = None
    if getattr(system, "jac", None) is not None:
        jac_into = mod.jac_into

        def jac(t, y, _zeros=np.zeros):
            J = _zeros((n, n))
            if not jac_into(p, t, y, J):
                nonfinite[0] = t
            return J

    cls = {"radau": Radau, "bdf": BDF, "lsoda": LSODA}[method]
    kw = dict(rtol=rtol, atol=atol, max_step=max_step, jac=jac)
    if first_step is not None:
        kw["first_step"] = first_step
    if te is None:
        ts, ys = [t0], [y0]
        k = 0
    else:
        k = int(np.searchsorted(te, t0, side="right"))
        ts, ys = [te[:k]], [np.repeat(y0[None, :], k, axis=0)]
    status, detail, steps, error = SUCCESS, "", 0, None
    t_done, y_done = t0, y0
    solver = None
    try:
        solver = cls(fun, t0, y0, t1, **kw)
        step = solver.step
        while solver.status == "running":
            if steps >= max_steps:
                status = MAX_STEPS
                break
            t_prev = solver.t
            msg = step()
            steps += 1
            if solver.status == "failed":
                status = FAILED
                detail = f"{cls.__name__} failed at t = {solver.t:.17g}: {msg}"
                if "step size is less than spacing" in (msg or ""):
                    status = STEP_UNDERFLOW  # SciPy's own underflow test, in its words
                break
            t = solver.t
            if not t > t_prev:
                # LSODA with a tiny max_step or near a blow-up "succeeds" with t frozen and
                # would burn the whole step limit there.
                status = STEP_UNDERFLOW
                break
            if te is None:
                ys.append(solver.y.copy())
                ts.append(t)
            elif k < te.size and te[k] <= t:
                j = int(np.searchsorted(te, t, side="right"))
                block = solver.dense_output()(te[k:j]).T
                ys.append(block)
                ts.append(te[k:j])
                k = j
            t_done, y_done = t, solver.y
    except KeyboardInterrupt:
        status = INTERRUPTED
    except Exception as err:
        if nonfinite[0] is not None:
            status = NON_FINITE
        else:
            status, error = KERNEL_ERROR, err
            detail = _kernel_error_detail(system, err, t_done, debug)
    if status in (FAILED, STEP_UNDERFLOW) and nonfinite[0] is not None:
        status = NON_FINITE
    m = min(len(ts), len(ys))  # an interrupt may fall between the two appends
    ts, ys = ts[:m], ys[:m]
    if te is None:
        t_arr = np.array(ts, dtype=float)
        y_arr = np.array(ys, dtype=float).reshape(len(ts), n)
    else:
        t_arr = np.concatenate(ts)
        y_arr = np.concatenate(ys, axis=0)
        if len(t_arr) > len(y_arr):  # pragma: no cover - guarded by the min above
            t_arr = t_arr[:len(y_arr)]
    t_final, y_final = t_done, np.array(y_done, dtype=float)
    # Checked once at the end rather than per step (a per-step check cost a third of W7's
    # LSODA time): a non-finite state ends the trajectory at the last finite row.
    if not np.isfinite(y_arr).all() or not np.isfinite(y_final).all():
        bad = np.flatnonzero(~np.isfinite(y_arr).all(axis=1))
        keep = bad[0] if bad.size else len(t_arr)
        t_arr, y_arr = t_arr[:keep], y_arr[:keep]
        status = NON_FINITE
        t_final = t_arr[-1] if keep else t0
        y_final = y_arr[-1] if keep else y0
    if status == NON_FINITE and nonfinite[0] is not None:
        msg = (f"Non-finite value (NaN or inf) from the right-hand side or Jacobian at "
               f"t = {nonfinite[0]:.17g}; trajectory kept up to t = {t_final:.17g}.")
    elif status == STEP_UNDERFLOW and detail:
        msg = (f"Step size underflow at t = {t_final:.17g}: {detail}; trajectory kept up to "
               "there (the problem may be stiff, singular or blowing up).")
    elif status == STEP_UNDERFLOW:
        msg = (f"Step size underflow at t = {t_final:.17g}: {cls.__name__}'s step no longer "
               "advances t (h below the floating-point resolution of t, e.g. a blow-up or a "
               "max_step too small); trajectory kept up to there.")
    else:
        msg = _message(status, t_final, max_steps=max_steps, detail=detail)
    stats = solver if solver is not None else None
    return Solution(t_arr, y_arr, status, msg, t_final=t_final, y_final=y_final,
                    nfev=getattr(stats, "nfev", 0), njev=getattr(stats, "njev", 0),
                    nlu=getattr(stats, "nlu", 0), nsteps=steps, naccepted=steps, method=method,
                    exception=error)


def _map_message(status, k, n_steps, transient):
    """What happened to an iteration that ended at iteration k (not for kernel errors)."""
    if status == SUCCESS:
        return f"Iterated {n_steps} steps after a transient of {transient}."
    if status == NON_FINITE:
        return (f"Non-finite state at iteration {k + 1}: the map diverged; states kept up to "
                f"iteration {k}.")
    return f"Interrupted (KeyboardInterrupt) at iteration {k}; states kept up to there."


def iterate(map_system, x0, n_steps, *, params=None, transient=0, save_every=1, k0=0,
            debug=False):
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
    params : tuple, optional
        Parameters of the same layout as ``map_system.params``.
    debug : bool
        Check every array index (see :func:`solve`).

    Returns
    -------
    Solution
        ``t`` holds the iteration indices, ``y`` the states, shape ``(k, n)``. A non-finite
        state stops the iteration with ``status = -3`` and keeps what came before; a kernel
        that raises stops it with ``status = -6``. Ctrl-C raises :class:`solvers.Interrupted`.

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
        if hasattr(map_system, "rhs"):
            raise TypeError(f"iterate() iterates discrete-time maps; {_name(map_system)} is a "
                            "continuous-time system: use solvers.solve")
        raise TypeError(f"iterate() needs a MapSystem, got {type(map_system).__name__}")
    n = int(map_system.n_states)
    x = _state_vector(x0, n, map_system, what="x0")
    n_steps = count("n_steps", n_steps, low=0)
    transient = count("transient", transient, low=0)
    save_every = count("save_every", save_every, low=1)
    k0 = count("k0", k0, low=-(2 ** 62))
    debug = _debug_flag(debug)
    p = _params(map_system, params)
    mod = loops_for("map", map_system.step, getattr(map_system, "jac", None), boundscheck=debug)
    m = n_steps // save_every + 1
    check_allocation("the iterates kept", (m, n + 1), hint="use save_every to keep fewer")
    out_k, out_x = np.empty(m, np.int64), np.empty((m, n))
    si = np.zeros(4, dtype=np.int64)
    si[_MAP_K] = k0
    loop = mod.iterate_loop

    def chunk(budget):
        return loop(x, si, n_steps, transient, save_every, p, out_k, out_x, budget)

    try:
        status, err = _drive(chunk, _first_budget(n, 1))
    except NumbaError as e:
        raise _compile_error(map_system, e, kernel="step(k, x, p, x_next)") from None
    k, n_out = int(si[_MAP_K]), int(si[_MAP_NOUT])
    if status == KERNEL_ERROR:
        msg = _kernel_error_detail(map_system, err, k, debug, where="the iteration from k")
    else:
        msg = _map_message(status, k, n_steps, transient)
    done = int(si[_MAP_DONE])
    return _finish(Solution(out_k[:n_out], out_x[:n_out], status, msg, t_final=k, y_final=x,
                            nfev=done, nsteps=done, method="iterate", exception=err))
