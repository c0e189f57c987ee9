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

from . import _sparse_lu, _tiers, tableaus
from ._checks import (InvalidTypeError, check_allocation, count, first_bad_time,
                      first_non_finite, real_array, real_number)
from ._codegen import _cacheable, cache_dir, jit_kernel, loops_for
from .events import event_specs
from .solution import (FAILED, INTERRUPTED, KERNEL_ERROR, MAX_STEPS, NON_FINITE,
                       STATUS_MESSAGES, STEP_UNDERFLOW, SUCCESS, TERMINATED, DenseOutput,
                       Interrupted, Solution)
from .system import MapSystem, match_params

__all__ = ["solve", "iterate", "compiled_loop", "METHODS"]

STIFF = ("radau", "bdf", "lsoda")
COMPILED_STIFF = tuple(tableaus.STIFF_COMPILED)
METHODS = tuple(tableaus.FIXED) + tuple(tableaus.ADAPTIVE) + COMPILED_STIFF + STIFF

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
_EVENT_STOP = 3
# Indices of the resumable state arrays (the same as in _ode_loops.py / _map_loops.py).
_SF_T, _SF_H, _SF_ERR, _SF_DIR = 0, 1, 2, 3
_SI_STATUS, _SI_NOUT, _SI_NFEV, _SI_NACC, _SI_NREJ = 0, 1, 2, 3, 4
_SI_NEV, _SI_NDENSE = 7, 8
_SF_SIZE, _SI_SIZE = 4, 10
_MAP_K, _MAP_DONE, _MAP_NOUT = 1, 2, 3

# The native float64 dtype: `a.dtype is _F64` is the cheap exact-type test of the fast paths
# (`a.dtype == np.float64` converts its right side each time).
_F64 = np.dtype(np.float64)
# Outputs up to this many values are allocated without asking how much memory is free.
_SMALL_OUTPUT = 1 << 20

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


_METHOD_SET = frozenset(METHODS)


def _method(method):
    if type(method) is str and method in _METHOD_SET:
        return method  # already one of the names (a set lookup: ~0.2 us less a solve)
    if not isinstance(method, str):
        raise InvalidTypeError(f"method must be a string (one of {', '.join(METHODS)}), got "
                               f"{method!r}")
    m = method.lower()
    if m not in METHODS:
        raise ValueError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    return m


def _state_vector(y0, n, system, what="y0"):
    # A copy in every case: the compiled loops advance this vector in place.
    if type(y0) is np.ndarray and y0.dtype is _F64 and y0.ndim == 1:
        y = y0.copy()  # the common case, without the generic checks (~1 us a solve)
    else:
        y = np.array(real_array(what, y0, ndim=1, finite=False, per=f"one value per state "
                                f"of {_name(system)}"), dtype=np.float64)
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
    if type(t_span) is tuple and len(t_span) == 2:
        a, b = t_span
        if type(a) is float and type(b) is float and a - a == 0.0 and b - b == 0.0:
            return a, b  # two finite floats, the common case
    if isinstance(t_span, (str, bytes)) or not hasattr(t_span, "__len__") or len(t_span) != 2:
        raise InvalidTypeError(f"t_span must be a pair (t0, t1) of numbers, got {t_span!r}")
    t0 = real_number("t_span[0]", t_span[0])
    t1 = real_number("t_span[1]", t_span[1])
    return t0, t1


def _t_eval(t_eval, t0, t1):
    if t_eval is None:
        return None
    if type(t_eval) is np.ndarray and t_eval.dtype is _F64 and t_eval.ndim == 1:
        te = t_eval  # the common case, without the generic checks
    else:
        te = real_array("t_eval", t_eval, ndim=1, finite=False)
    if te.size == 0:
        raise ValueError("t_eval is empty")
    if not (te.flags.c_contiguous and te.flags.writeable):
        te = np.array(te)  # one array layout reaches compiled code: one signature
    backward = t1 < t0
    k = first_bad_time(-te, -t0, -t1) if backward else first_bad_time(te, t0, t1)
    if k >= 0:
        v = te[k]
        if not math.isfinite(v):
            raise ValueError(f"t_eval[{k}] is {v}: output times must be finite")
        if v < min(t0, t1) or v > max(t0, t1):
            raise ValueError(f"t_eval must lie within t_span ({t0}, {t1}); t_eval[{k}] = {v}")
        if backward:
            raise ValueError(f"t_eval must be sorted in the direction of integration "
                             f"(decreasing for t_span ({t0}, {t1})): t_eval[{k - 1}] = "
                             f"{te[k - 1]} < t_eval[{k}] = {v}")
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


def _drive(loop, args, budget, grow=None, twin=None, restore=()):
    """Run ``loop(*args(budget))`` chunk after chunk until it returns a final status.

    ``twin`` is the loop's interpreted twin (see ``solvers._tiers``) when the loop is not
    compiled yet: the run starts in it while the loop compiles in the background, and moves
    to the compiled loop at the first chunk boundary after that (same state arrays, same
    numbers). If the interpreted tier raises, the arrays in ``restore`` (the run's state) are
    put back as they were and the whole run is redone in compiled code.

    Returns ``(status, exception)``: the loop's status, or INTERRUPTED, or KERNEL_ERROR with the
    exception the kernel raised. A NumbaError (the kernel does not compile) propagates.
    """
    flag = None
    if twin is not None:
        flag = _SigintFlag()  # before any Python step: Ctrl-C must never land mid-step
        try:
            outcome = _interpreted_start(loop, args, twin, restore, grow, flag)
        except BaseException:
            flag.restore()
            raise
        if outcome is not None:
            flag.restore()
            return outcome
    try:
        while True:
            start = time.perf_counter()
            status = loop(*args(budget))
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


def _interpreted_start(loop, args, twin, restore, grow, flag):
    """The interpreted tier of :func:`_drive`: run ``twin`` in chunks of ~20 ms until the run
    ends (its outcome), or the compiled loop is ready, or this call has interpreted for
    ``_tiers.MAX_INTERPRETED`` s (None: go on compiled)."""
    saved = [a.copy() for a in restore]
    stats = _tiers.stats
    stats["runs"] += 1
    force = _tiers.FORCE
    job = None
    budget = 2
    spent = 0.0
    while True:
        if job is not None and (job.done.is_set() or spent > _tiers.MAX_INTERPRETED):
            stats["switches"] += 1
            break
        start = time.perf_counter()
        try:
            with np.errstate(all="raise", under="ignore"):
                status = twin(*args(budget))
        except NumbaError:
            raise
        except KeyboardInterrupt:
            # Only where no flag could be installed (not the main thread, a handler of the
            # user's): the step it cut may be half done, so the run restarts from its start.
            for a, s in zip(restore, saved):
                a[...] = s
            return INTERRUPTED, None
        except Exception:
            # Python met what compiled code lets through (a NaN, an overflow) or the kernel
            # raised: redo the run in compiled code, which reports faults its own way.
            for a, s in zip(restore, saved):
                a[...] = s
            stats["redone"] += 1
            job = _tiers.submit(loop, args(budget))
            break
        stats["chunks"] += 1
        elapsed = time.perf_counter() - start
        if job is None and not force:
            # The kernel is compiled by now (the first chunk called it, and that compilation
            # is not interpreting time): the loop next.
            job = _tiers.submit(loop, args(budget))
        else:
            spent += elapsed
        if status == _RUNNING:
            if flag.fired:
                return INTERRUPTED, None
            budget = max(1, int(budget * min(4.0, max(0.25, _tiers.CHUNK_SECONDS
                                                      / max(elapsed, 1e-6)))))
        elif status == _NEED_SPACE:
            grow()
        else:
            return status, None
    if not _tiers.wait(job, lambda: flag.fired):
        return INTERRUPTED, None
    return None


def _twin(mod, name, debug):
    """The interpreted twin of ``mod.<name>`` when a run should start in it: the loop is not
    compiled in this process, nor in the on-disk cache (and background compilation is on;
    never in debug mode, whose point is the compiled bounds checks)."""
    loop = getattr(mod, name)
    if debug or not (_tiers.ENABLED or _tiers.FORCE):
        return None
    # overloads, not signatures: that property rebuilds a list of types (~10 us a solve)
    if not _tiers.FORCE and (loop.overloads or _tiers.on_disk(loop)):
        return None
    return _tiers.interpreted(mod)[name]


def _first_budget(n, stages):
    return max(1, _FIRST_WORK // max(1, n * stages))


def _finish(sol):
    """Return ``sol``, or raise :class:`Interrupted` carrying it."""
    if sol.status == INTERRUPTED:
        raise Interrupted(sol)
    return sol


def solve(system, t_span, y0, *, method="dopri5", t_eval=None, rtol=1e-6, atol=1e-9, dt=None,
          first_step=None, max_step=np.inf, max_steps=None, params=None, events=None,
          dense_output=False, debug=False, backend="cpu"):
    """Integrate ``dy/dt = f(t, y)`` over ``t_span`` from ``y0``.

    Parameters
    ----------
    system : ODESystem or model
        Anything with ``.rhs`` (kernel), ``.params``, ``.n_states`` and optionally ``.jac``.
    t_span : (t0, t1)
        ``t1 < t0`` integrates backward in time; ``t1 == t0`` returns ``y0`` (success).
    y0 : array_like, shape (n,)
    method : str
        Fixed step: ``"euler"``, ``"heun"``, ``"rk4"`` (need ``dt``). Adaptive, compiled:
        ``"bs32"`` (Bogacki–Shampine 3(2)), ``"dopri5"`` (Dormand–Prince 5(4)), ``"tsit5"``
        (Tsitouras 5(4)), ``"dop853"`` (Hairer's 8(5,3)), ``"vern7"`` (Verner's 7(6)).
        Stiff, compiled: ``"rodas5p"`` (Steinebach's Rodas5P Rosenbrock method: one LU of
        I/(hγ) − J per step, no Newton iteration), ``"rodas4"`` (Hairer's RODAS, order 4,
        cheaper per step: for loose tolerances) and ``"radau5"`` (Radau IIA of order 5,
        Hairer's RADAU5 design: simplified Newton, one real and one complex LU, Jacobian
        reuse); both use the system's ``jac`` kernel or compiled finite differences, and
        their own interpolants; all three factor a large sparse Jacobian (n >= 500, at most
        10 % nonzeros) with SciPy's SuperLU. Stiff, SciPy's implicit solvers fed the compiled RHS and
        Jacobian: ``"radau"``, ``"bdf"``, ``"lsoda"``. A long explicit run whose steps are
        held by stability rather than accuracy says so in its message.
    t_eval : array_like, optional
        Output times inside ``t_span``, sorted in the direction of integration, filled by each
        method's own interpolant (Shampine's for dopri5, Tsitouras' for tsit5, Hairer's for
        dop853, Verner's for vern7, cubic Hermite for bs32 and fixed steps, the stiffly
        accurate ones of Rodas5P and Rodas4, the collocation polynomial of radau5). Default: every
        step. (On very stiff problems the implicit methods take long steps whose ends are
        accurate but whose interpolant between them is not, as SciPy's Radau: bound
        ``max_step`` where values between steps matter.)
    rtol, atol : float (atol may be a length-n vector)
        Error per step is the RMS over components of ``err_i / (atol_i + rtol max(|y_i|,
        |y_new_i|))``, and a step is accepted when it is <= 1 (SciPy's norm).
    dt : float
        Step of the fixed-step methods (a magnitude, > 0, also when integrating backward);
        the last step is shortened to end at ``t1``.
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
    events : callable, solvers.Event or list of them, optional
        Kernels ``g(t, y, p) -> float`` whose zero crossings are located on each step's own
        interpolant (see :class:`solvers.Event`; ``terminal`` and ``direction`` as in SciPy,
        also read as attributes of a plain function). The crossings are in
        ``Solution.t_events`` / ``y_events``; a terminal event ends the run with status 1.
    dense_output : bool
        Keep every step's interpolant: ``Solution.sol(t)`` evaluates it anywhere in the span.
    debug : bool
        Compile (once, separately) with every array index of the loops and kernels checked:
        a kernel that reads or writes out of bounds then stops the run with status -6 and an
        ``IndexError`` naming it, instead of corrupting memory. Slower; for finding bugs.
        The environment variable ``NEURODYN_DEBUG=1`` turns it on everywhere.
    backend : {"cpu", "numpy", "cuda"}
        ``"cpu"`` (default): the compiled engine described above. ``"numpy"`` and ``"cuda"``:
        the array engine (:func:`solvers.solve_array`) for one large network, with the state
        and the stage vectors in NumPy arrays or, for ``"cuda"``, CuPy arrays on the GPU
        (``pip install "neurodyn[gpu]"``, a CUDA GPU and its driver): per stage one GEMV or
        SpMV of the system's array form. For systems that have one (neurodyn's CTRNN, dense
        or sparse, ContinuousHopfield, ContinuousESN); explicit methods only, and without
        ``params``, ``events``, ``dense_output`` and ``debug``. Same steps as ``"cpu"`` up to
        rounding (which can tip a step's acceptance where the right-hand side has kinks in
        ``t``, e.g. sampled inputs: then another, equally valid, step sequence).

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

    Where does ``y`` fall to 0.5, and what is it at t = 0.1 (from the interpolant)?

    >>> def half(t, y, p):
    ...     return y[0] - 0.5
    >>> sol = solve(ODESystem(decay, 1, (2.0,)), (0.0, 1.0), [1.0], events=half,
    ...             dense_output=True, rtol=1e-10, atol=1e-12)
    >>> round(float(sol.t_events[0][0]), 9), round(float(sol.sol(0.1)[0]), 9)
    (0.34657359, 0.818730753)
    """
    if backend != "cpu":
        return _solve_array_backend(system, t_span, y0, backend, method=method, t_eval=t_eval,
                                    rtol=rtol, atol=atol, dt=dt, first_step=first_step,
                                    max_step=max_step, max_steps=max_steps, params=params,
                                    events=events, dense_output=dense_output, debug=debug)
    try:
        n, rhs = int(system.n_states), system.rhs
        p = system.params if params is None else None
    except AttributeError:
        _check_system(system)  # says what the object lacks
        raise
    method = _method(method)
    t0, t1 = _time_span(t_span)
    y = _state_vector(y0, n, system)
    _domain_check(system, y)
    rtol, atol_v, te, max_step, max_steps, first_step, dt, debug = _step_options(
        method, n, t0, t1, rtol, atol, t_eval, max_step, max_steps, first_step, dt, debug)
    if p is None:
        p = _params(system, params)
    ev = _NO_EVENTS.get(n) if events is None else None
    if ev is None:
        ev = _Events(system, events, t0, y, p, debug)
        if events is None:
            _NO_EVENTS[n] = ev
    if dense_output is not False:
        dense_output = _flag("dense_output", dense_output)
    jac = getattr(system, "jac", None)
    if t1 == t0:
        return _empty_span(method, t0, y, te, ev, dense_output)
    if method not in tableaus.FIXED:
        scale = max(abs(t0), abs(t1))
        if max_step < math.ulp(scale):  # np.spacing(scale), without a ufunc call (1 us)
            return _finish(_no_step_advances(method, t0, t1, y, te, max_step, scale))
    if method in STIFF:
        mod = loops_for("ode", rhs, jac, boundscheck=debug)
        return _finish(_solve_scipy(system, mod, method, t0, t1, y, te, rtol, atol_v,
                                    first_step, max_step, max_steps or DEFAULT_MAX_STEPS, p,
                                    debug, ev, dense_output))
    tab = tableaus.get(method)
    mod = loops_for("ode", rhs, jac, tab, boundscheck=debug, events=ev.kernels,
                    full=dense_output)
    if method in COMPILED_STIFF:
        return _finish(_solve_stiff(system, mod, tab, method, t0, t1, y, te, rtol, atol_v,
                                    first_step, max_step,
                                    DEFAULT_MAX_STEPS if max_steps is None else max_steps, p,
                                    debug, ev, dense_output))
    if method in tableaus.FIXED:
        return _finish(_solve_fixed(system, mod, tab, method, t0, t1, y, te, dt, max_steps, p,
                                    debug, ev, dense_output))
    return _finish(_solve_adaptive(system, mod, tab, method, t0, t1, y, te, rtol, atol_v,
                                   first_step, max_step,
                                   DEFAULT_MAX_STEPS if max_steps is None else max_steps, p,
                                   debug, ev, dense_output))


def _solve_array_backend(system, t_span, y0, backend, *, params, events, dense_output, debug,
                         **options):
    """solve(..., backend="numpy" or "cuda"): the array engine, after refusing what it does
    not do (by name, before any device work)."""
    from . import array_engine

    if not isinstance(backend, str) or backend not in array_engine.BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; known: "
                         f"{', '.join(map(repr, array_engine.BACKENDS))}")
    where = f"backend={backend!r} (the array engine)"
    given = {"params": params is not None, "events": events is not None,
             "dense_output": dense_output is not False, "debug": debug is not False}
    why = {"params": "build the system with those parameters instead",
           "events": "use backend='cpu' for events",
           "dense_output": "pass t_eval, or use backend='cpu'",
           "debug": "it checks the indices of compiled kernels: use backend='cpu'"}
    for name, value in given.items():
        if value:
            raise ValueError(f"{name}= is not supported by {where}; {why[name]}")
    method = _method(options.pop("method"))
    if method in STIFF or method in COMPILED_STIFF:
        raise ValueError(f"method {method!r} (implicit, for stiff problems) is not supported "
                         f"by {where}; its explicit methods: "
                         f"{', '.join(array_engine.ARRAY_METHODS)}")
    xp = array_engine.array_namespace(backend)
    return array_engine.solve_array(system, t_span, y0, xp=xp, method=method, **options)


def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


_EVENT_KERNELS: dict = {}
_CHECKED_EVENTS: set = set()


def _event_kernel(g, debug=False):
    """The dispatcher of event kernel g, cached on disk where Numba can cache it (the same
    one the loop module inlines from). Looked up once per kernel: reading its source for the
    cache decision cost more than a small solve."""
    d = _EVENT_KERNELS.get((g, debug))
    if d is None:
        d = jit_kernel(g, cache=_cacheable(g) is not None and cache_dir() is not None,
                       boundscheck=debug)
        _EVENT_KERNELS[(g, debug)] = d
    return d


class _Events:
    """The events of one run: their compiled kernels, options, state and recorded crossings.

    The state arrays are what the compiled loops read and write (see ``_ode_loops.py``:
    evf, evi, ev_t, ev_i, ev_y); without events they are empty arrays of the same types, so
    the loops keep one signature.
    """

    def __init__(self, system, events, t0, y, p, debug):
        self.kernels, directions, terminal, self.planes = event_specs(events)
        k = len(self.kernels)
        n = y.size
        self.evf = np.zeros((5 + n, k))
        self.evf[0] = directions
        for e, (normal, offset) in self.planes.items():
            if normal.size != n:
                raise ValueError(f"event {e}: the plane's normal has {normal.size} entries, "
                                 f"but {_name(system)} has {n} states")
            self.evf[4, e] = offset
            self.evf[5:, e] = normal
        self.evi = np.zeros((3, k), dtype=np.int64)
        self.evi[0] = terminal
        cap = 16 * k
        self.ev_t = np.empty(cap)
        self.ev_i = np.empty(cap, dtype=np.int64)
        self.ev_y = np.empty((cap, n))
        self.n = n
        # Each kernel is called once from Python the first time it is seen (an error then
        # names the event); g at t0 itself is evaluated by the compiled loop: a dispatcher
        # call from Python types the whole params tuple, ~10 us per event and solve.
        for e, g in enumerate(self.kernels):
            if (g, debug) not in _CHECKED_EVENTS and e not in self.planes:
                self.value(system, e, g, t0, y, p, debug)
                _CHECKED_EVENTS.add((g, debug))

    def value(self, system, e, g, t, y, p, debug=False):
        """g_e(t, y) from Python: compiles the kernel (an error here names the event) and
        checks that it returns a real number."""
        if e in self.planes:
            normal, offset = self.planes[e]
            return float(normal @ y - offset)
        try:
            v = _event_kernel(g, debug)(t, y, p)
        except (NumbaError, TypeError) as err:
            brief = "\n".join(str(err).strip().splitlines()[:12])
            raise TypeError(f"event {e} ({getattr(g, '__name__', g)!r}) of {_name(system)} "
                            f"could not be compiled by Numba: an event is a kernel g(t, y, p) "
                            f"-> float in plain restricted Python.\nNumba said:\n{brief}") \
                from None
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                                  np.floating)):
            raise InvalidTypeError(f"event {e} ({getattr(g, '__name__', g)!r}) must return a "
                                   f"real number, got {v!r}")
        return float(v)

    def __bool__(self):
        return bool(self.kernels)

    def args(self):
        return self.evf, self.evi, self.ev_t, self.ev_i, self.ev_y

    def grow(self, si):
        k = len(self.kernels)
        if k and self.ev_t.size - int(si[_SI_NEV]) < k:
            cap = 2 * self.ev_t.size
            check_allocation("the event crossings", (cap, self.n + 2))
            for name in ("ev_t", "ev_i", "ev_y"):
                old = getattr(self, name)
                new = np.empty((cap,) + old.shape[1:], dtype=old.dtype)
                new[:old.shape[0]] = old
                setattr(self, name, new)

    def results(self, count):
        """(t_events, y_events) lists, or (None, None) without events."""
        if not self.kernels:
            return None, None
        if count == 0:
            k, n = len(self.kernels), self.n
            return [np.empty(0) for _ in range(k)], [np.empty((0, n)) for _ in range(k)]
        idx = self.ev_i[:count]
        t_ev, y_ev = [], []
        for e in range(len(self.kernels)):
            sel = np.flatnonzero(idx == e)
            t_ev.append(self.ev_t[sel].copy())
            y_ev.append(self.ev_y[sel].copy())
        return t_ev, y_ev


# Runs without events (or dense output) share zero-size state arrays per state count: the loops
# never write them, and building them per call cost a few microseconds of every small solve.
_NO_EVENTS: dict = {}
_NO_DENSE: dict = {}


def _dense_buffers(enabled, D, n):
    if enabled:
        return _Dense(True, D, n)
    d = _NO_DENSE.get((D, n))
    if d is None:
        d = _NO_DENSE[(D, n)] = _Dense(False, D, n)
    return d


class _Dense:
    """Buffers of the dense-output segments the loops store (``dense=False``: empty)."""

    def __init__(self, enabled, D, n):
        self.enabled = enabled
        cap = 64 if enabled else 0
        self.t = np.empty(cap)
        self.h = np.empty(cap)
        self.c = np.empty((cap, D + 1, n))

    def args(self):
        return self.enabled, self.t, self.h, self.c

    def grow(self, si):
        if self.enabled and int(si[_SI_NDENSE]) == self.t.size:
            cap = 2 * self.t.size
            check_allocation("the dense output", (cap, self.c.shape[1] * self.c.shape[2] + 2))
            for name in ("t", "h", "c"):
                old = getattr(self, name)
                new = np.empty((cap,) + old.shape[1:])
                new[:old.shape[0]] = old
                setattr(self, name, new)

    def result(self, count):
        if not self.enabled:
            return None
        return DenseOutput(self.t[:count].copy(), self.h[:count].copy(), self.c[:count].copy())


def _empty_span(method, t0, y, te, ev, dense_output):
    """t_span (t0, t0): nothing to integrate; y0 is the answer (as SciPy)."""
    t_out = np.array([t0]) if te is None else te.copy()
    sol = None
    if dense_output:
        sol = DenseOutput(np.array([t0]), np.array([1.0]), y.reshape(1, 1, -1).copy())
    t_ev, y_ev = ev.results(0)
    return Solution(t_out, np.repeat(y[None, :], t_out.size, axis=0), SUCCESS,
                    STATUS_MESSAGES[SUCCESS], t_final=t0, y_final=y.copy(), method=method,
                    t_events=t_ev, y_events=y_ev, sol=sol)


# Checked options by their values (and types: True must never pass for a cached 1). A sweep
# passes the same options thousands of times; checking them again cost ~4 us of every small
# solve. t_eval and the span-dependent checks are done on every call.
_OPTIONS_MEMO: dict = {}
_OPTIONS_MEMO_SIZE = 256


def _step_options(method, n, t0, t1, rtol, atol, t_eval, max_step, max_steps, first_step, dt,
                  debug):
    """The options solve and solve_ensemble share, checked: (rtol, atol vector, t_eval or
    None, max_step, max_steps or None, first_step or None, dt (fixed-step methods) or None,
    debug). The atol vector may be shared between calls: it is never written."""
    try:
        key = (method, n, rtol, type(rtol), atol, type(atol), max_step, type(max_step),
               max_steps, type(max_steps), first_step, type(first_step), dt, type(dt), debug,
               type(debug))
        hit = _OPTIONS_MEMO.get(key)
    except TypeError:  # an unhashable option (an atol array): checked every time
        key = hit = None
    if hit is None:
        hit = _scalar_options(method, n, rtol, atol, max_step, max_steps, first_step, dt,
                              debug)
        if key is not None:
            if len(_OPTIONS_MEMO) >= _OPTIONS_MEMO_SIZE:
                _OPTIONS_MEMO.clear()
            _OPTIONS_MEMO[key] = hit
    rtol, atol_v, max_step, max_steps, first_step, dt, debug = hit
    te = _t_eval(t_eval, t0, t1)
    if first_step is not None and first_step > abs(t1 - t0) and t1 != t0:
        raise ValueError(f"first_step = {first_step} exceeds the interval length "
                         f"{abs(t1 - t0)}")
    return rtol, atol_v, te, max_step, max_steps, first_step, dt, debug


def _scalar_options(method, n, rtol, atol, max_step, max_steps, first_step, dt, debug):
    rtol = real_number("rtol", rtol, positive=True)
    if rtol < _RTOL_MIN:
        raise ValueError(f"rtol = {rtol!r} is below 100 machine epsilons ({_RTOL_MIN:.1e}); "
                         "no step can meet it")
    atol_v = _atol_vector(atol, n)
    max_step = real_number("max_step", max_step, positive=True, finite=False)
    if max_steps is not None:
        max_steps = count("max_steps", max_steps, low=1)
    if first_step is not None:
        first_step = real_number("first_step", first_step, positive=True)
    debug = _debug_flag(debug)
    if method in tableaus.FIXED:
        if dt is None:
            raise ValueError(f"method {method!r} is fixed-step: give dt")
        dt = real_number("dt", dt, positive=True)
    elif dt is not None:
        raise ValueError(f"dt is the step of the fixed-step methods; {method!r} is adaptive "
                         "(use first_step and max_step to steer it)")
    return rtol, atol_v, max_step, max_steps, first_step, dt, debug


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
        if te.size * n > _SMALL_OUTPUT:
            check_allocation("the output at t_eval", (te.size, n))
        return te.copy(), np.empty((te.size, n))
    check_allocation(what, (rows, n + 1),
                     hint="pass t_eval (output only where you need it) or a larger step")
    return np.empty(rows), np.empty((rows, n))


def _grow_outputs(bufs, si, use_te, dense, ev):
    """An adaptive loop's NEED_SPACE: grow the dense segments and the event records if full,
    and double the every-step output ``bufs = [t, y]`` (no t_eval) when it is full."""
    dense.grow(si)
    ev.grow(si)
    if use_te or int(si[_SI_NOUT]) < bufs[0].size:
        return
    rows, n = 2 * bufs[0].size, bufs[1].shape[1]
    check_allocation("the output of every step", (rows, n + 1),
                     hint="pass t_eval (output only where you need it)")
    t_new, y_new = np.empty(rows), np.empty((rows, n))
    t_new[:bufs[0].size] = bufs[0]
    y_new[:bufs[0].size] = bufs[1]
    bufs[0], bufs[1] = t_new, y_new


def _solve_adaptive(system, mod, tab, method, t0, t1, y, te, rtol, atol, first_step, max_step,
                    max_steps, p, debug, ev, dense_output):
    n = y.size
    S = tab.C.size
    D = tab.P.shape[1]
    use_te = te is not None
    te_arr = te if use_te else np.empty(0)
    bufs = list(_output_buffers(te, 64, n, "the output of every step"))
    sf = np.array([t0, 0.0 if first_step is None else first_step, 1e-4,
                   1.0 if t1 > t0 else -1.0])
    si = np.zeros(_SI_SIZE, dtype=np.int64)
    K = np.empty((S, n))
    W = np.empty((D + 4, n))
    beta = PI_BETA_K / (tab.error_order + 1)
    loop = mod.rk_adaptive
    dense = _dense_buffers(dense_output, D, n)

    def args(budget):
        return (t1, te_arr, use_te, rtol, atol, max_step, max_steps, p, tab.error_order,
                SAFETY, FACMIN, FACMAX, beta, sf, si, y, K, W, bufs[0], bufs[1], budget,
                *dense.args(), *ev.args())

    def grow():
        _grow_outputs(bufs, si, use_te, dense, ev)

    try:
        status, err = _drive(loop, args, _first_budget(n, S), grow,
                             _twin(mod, "rk_adaptive", debug), (sf, si, y, ev.evf, ev.evi))
    except NumbaError as e:
        raise _compile_error(system, e) from None
    sfl, sil = sf.tolist(), si.tolist()  # Python numbers at once (one call, not eight)
    t, h, n_out = sfl[_SF_T], sfl[_SF_H], sil[_SI_NOUT]
    if status == _EVENT_STOP:
        status = TERMINATED
    if status == KERNEL_ERROR:
        msg = _message(status, t, detail=_kernel_error_detail(system, err, t, debug))
    else:
        msg = _message(status, t, h=h, max_steps=max_steps)
    nacc, nrej = sil[_SI_NACC], sil[_SI_NREJ]
    if nacc + nrej >= _STIFF_CHECK_STEPS and status != KERNEL_ERROR:
        msg += _stiffness_hint(mod, method, t, y, h, p, nacc + nrej)
    t_ev, y_ev = ev.results(sil[_SI_NEV])
    return Solution(bufs[0][:n_out], bufs[1][:n_out], status, msg, t_final=t, y_final=y,
                    nfev=sil[_SI_NFEV], nsteps=nacc + nrej, naccepted=nacc, nrejected=nrej,
                    method=method, exception=err, t_events=t_ev, y_events=y_ev,
                    sol=dense.result(sil[_SI_NDENSE]))


# An explicit run of this many steps is checked for stiffness (see _stiffness_hint).
_STIFF_CHECK_STEPS = 5000
_STIFF_CHECK_MAX_N = 400
# Where each explicit pair's stability region meets the negative real axis (|h lambda|).
_STABILITY_BOUNDARY = {"bs32": 2.5, "dopri5": 3.3, "tsit5": 3.5, "dop853": 6.0, "vern7": 5.0}


def _stiffness_hint(mod, method, t, y, h, p, steps):
    """A sentence for the message of a long explicit run whose step size is held by stability,
    not accuracy: h times the spectral radius of the Jacobian at the run's end is near the
    method's stability boundary (Hairer's test for DOPRI5, done once, after the run).
    Empty when that is not so, or the system is too large to check cheaply."""
    n = y.size
    if n > _STIFF_CHECK_MAX_N or not (h > 0.0 and np.all(np.isfinite(y))):
        return ""
    try:
        f0 = mod.eval_rhs(t, y, p)
        if getattr(mod, "jac", None) is not None:
            J = mod.eval_jac(t, y, p)
        else:
            J = np.empty((n, n))
            for j in range(n):
                d = math.sqrt(np.finfo(float).eps * max(1e-5, abs(y[j])))
                yp = y.copy()
                yp[j] += d
                J[:, j] = (mod.eval_rhs(t, yp, p) - f0) / (yp[j] - y[j])
        if not np.all(np.isfinite(J)):
            return ""
        rho = float(np.max(np.abs(np.linalg.eigvals(J))))
    except Exception:  # a kernel that fails here said nothing about stiffness
        return ""
    bound = _STABILITY_BOUNDARY.get(method, 3.0)
    if not h * rho > 0.5 * bound:
        return ""
    return (f" The problem looks stiff: after {steps} steps the step size h = {h:.3g} is held "
            f"by {method}'s stability (h times the Jacobian's spectral radius {rho:.3g} is "
            f"{h * rho:.3g}, its stability limit ~{bound}), not by the tolerance; try "
            "method='rodas5p' or 'radau5' (compiled stiff solvers).")


# The compiled stiff loops' longer run state (see _stiff_loops.py)
_SF_HACC, _SF_STIFF_SIZE = 4, 8
_SI_NJEV, _SI_NLU, _SI_STIFF_SIZE = 10, 11, 14


def _stiff_message(status, t, h, max_steps, system, err, debug):
    if status == KERNEL_ERROR:
        return _message(status, t, detail=_kernel_error_detail(system, err, t, debug))
    if status == FAILED:
        return _message(status, t, detail=(
            f"Singular iteration matrix at t = {t:.17g}: the method's matrix c/h I - J could "
            f"not be factored even after halving the step 6 times (h = {h:.3g}); the "
            "Jacobian may be non-finite or singular there."))
    return _message(status, t, h=h, max_steps=max_steps)


def _stiff_scratch(tab, n):
    """The compiled stiff loops' per-run work arrays: K, W, J, E (and for radau5 the complex
    matrix), pivots."""
    if tab.name == "radau5":
        return (np.empty((tab.stages, n)), np.empty((tab.work_rows, n)), np.empty((n, n)),
                np.empty((n, n)), np.empty((n, n), dtype=np.complex128),
                np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))
    return (np.empty((tab.stages, n)), np.empty((tab.work_rows, n)), np.empty((n, n)),
            np.empty((n, n)), np.empty(n, dtype=np.int64))


def _solve_stiff(system, mod, tab, method, t0, t1, y, te, rtol, atol, first_step, max_step,
                 max_steps, p, debug, ev, dense_output):
    """rodas5p / radau5: the compiled stiff loops, driven as _solve_adaptive drives rk."""
    n = y.size
    use_te = te is not None
    te_arr = te if use_te else np.empty(0)
    bufs = list(_output_buffers(te, 64, n, "the output of every step"))
    sf = np.zeros(_SF_STIFF_SIZE)
    sf[:4] = (t0, 0.0 if first_step is None else first_step, 1e-4, 1.0 if t1 > t0 else -1.0)
    si = np.zeros(_SI_STIFF_SIZE, dtype=np.int64)
    work = _stiff_scratch(tab, n)
    loop = getattr(mod, tab.loop)
    dense = _dense_buffers(dense_output, tab.dense_rows, n)

    def args(budget):
        return (t1, te_arr, use_te, rtol, atol, max_step, max_steps, p, SAFETY, FACMIN,
                FACMAX, sf, si, y, *work, bufs[0], bufs[1], budget, *dense.args(), *ev.args())

    def grow():
        _grow_outputs(bufs, si, use_te, dense, ev)

    try:
        status, err = _drive(loop, args, _first_budget(n * n, tab.stages), grow,
                             _twin(mod, tab.loop, debug), (sf, si, y, ev.evf, ev.evi))
    except NumbaError as e:
        raise _compile_error(system, e) from None
    finally:
        for a in work[3:]:
            if a.ndim == 2:
                _sparse_lu.release(a)
    sfl, sil = sf.tolist(), si.tolist()
    t, h, n_out = sfl[_SF_T], sfl[_SF_H], sil[_SI_NOUT]
    if status == _EVENT_STOP:
        status = TERMINATED
    msg = _stiff_message(status, t, h, max_steps, system, err, debug)
    nacc, nrej = sil[_SI_NACC], sil[_SI_NREJ]
    t_ev, y_ev = ev.results(sil[_SI_NEV])
    return Solution(bufs[0][:n_out], bufs[1][:n_out], status, msg, t_final=t, y_final=y,
                    nfev=sil[_SI_NFEV], njev=sil[_SI_NJEV], nlu=sil[_SI_NLU],
                    nsteps=nacc + nrej, naccepted=nacc, nrejected=nrej, method=method,
                    exception=err, t_events=t_ev, y_events=y_ev,
                    sol=dense.result(sil[_SI_NDENSE]))


def _fixed_end(t0, t1, sdt, steps, n_steps):
    """Where a fixed-step run's last step ends (the loops land their last step there): t1, or
    t0 + steps sdt when max_steps cut the run short (else that step would stretch to t1)."""
    return t1 if steps == n_steps else t0 + steps * sdt


def _fixed_steps(t0, t1, dt, max_steps):
    """(steps dt needs over [t0, t1], steps to take within max_steps); the last step is
    shortened to end at t1."""
    ratio = abs(t1 - t0) / dt
    if not ratio < 2.0 ** 62:
        raise ValueError(f"dt = {dt!r} over t_span ({t0}, {t1}) would take {ratio:.3g} steps; "
                         "use a larger dt")
    n_steps = max(1, int(math.ceil(ratio * (1 - 1e-12))))
    return n_steps, (n_steps if max_steps is None else min(n_steps, max_steps))


def _solve_fixed(system, mod, tab, method, t0, t1, y, te, dt, max_steps, p, debug, ev,
                 dense_output):
    n = y.size
    n_steps, steps = _fixed_steps(t0, t1, dt, max_steps)
    sdt = dt if t1 > t0 else -dt
    use_te = te is not None
    te_arr = te if use_te else np.empty(0)
    out_t, out_y = _output_buffers(te, steps + 1, n,
                                   f"the output of every step ({steps} steps of dt = {dt!r})")
    sf = np.array([t0, sdt, 0.0, 1.0 if t1 > t0 else -1.0])
    si = np.zeros(_SI_SIZE, dtype=np.int64)
    K = np.empty((tab.C.size, n))
    W = np.empty((6, n))
    loop = mod.rk_fixed
    dense = _dense_buffers(dense_output, 3, n)

    t_last = _fixed_end(t0, t1, sdt, steps, n_steps)

    def args(budget):
        return (t0, t_last, sdt, steps, te_arr, use_te, p, sf, si, y, K, W, out_t, out_y,
                budget, *dense.args(), *ev.args())

    def grow():
        dense.grow(si)
        ev.grow(si)

    try:
        status, err = _drive(loop, args, _first_budget(n, tab.C.size + 1), grow,
                             _twin(mod, "rk_fixed", debug), (sf, si, y, ev.evf, ev.evi))
    except NumbaError as e:
        raise _compile_error(system, e) from None
    t, n_out, k = float(sf[_SF_T]), int(si[_SI_NOUT]), int(si[_SI_NACC])
    if status == _EVENT_STOP:
        status = TERMINATED
    if status == SUCCESS and k < n_steps:
        status = MAX_STEPS
    if status == KERNEL_ERROR:
        msg = _message(status, t, detail=_kernel_error_detail(system, err, t, debug))
    else:
        msg = _message(status, t, max_steps=steps)
    t_ev, y_ev = ev.results(int(si[_SI_NEV]))
    return Solution(out_t[:n_out], out_y[:n_out], status, msg, t_final=t, y_final=y,
                    nfev=int(si[_SI_NFEV]), nsteps=k, naccepted=k, method=method, exception=err,
                    t_events=t_ev, y_events=y_ev, sol=dense.result(int(si[_SI_NDENSE])))


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
    if method in COMPILED_STIFF:
        loop = getattr(mod, tab.loop)
    else:
        loop = mod.rk_fixed if method in tableaus.FIXED else mod.rk_adaptive
    _tiers.wait_for(loop)  # a first solve may have left it compiling in the background
    return loop


class _NonFiniteRHS(Exception):
    pass


class _ScipyDense:
    """SciPy's ``OdeSolution`` in this package's layout: ``sol(t)`` of shape (n,) or (m, n)."""

    __slots__ = ("ode_solution",)

    def __init__(self, ode_solution):
        self.ode_solution = ode_solution

    def __call__(self, t):
        v = self.ode_solution(np.asarray(t, dtype=float))
        return v.T if v.ndim == 2 else v

    def __repr__(self):
        return f"DenseOutput(SciPy {type(self.ode_solution).__name__})"


def _scipy_events(ev, p, sol, t_old, t, g_old, g_new, counts):
    """SciPy's event handling for one step of a SciPy solver: (indices, roots, terminate)."""
    from scipy.optimize import brentq

    active = []
    for e in range(len(ev.kernels)):
        g, gn, d = g_old[e], g_new[e], ev.evf[0, e]
        up = g <= 0 <= gn
        down = g >= 0 >= gn
        if (up and d > 0) or (down and d < 0) or ((up or down) and d == 0):
            active.append(e)
    if not active:
        return [], [], False
    roots = []
    for e in active:
        counts[e] += 1
        if e in ev.planes:
            normal, offset = ev.planes[e]

            def fn(tt, y, p, normal=normal, offset=offset):
                return float(normal @ y - offset)
        else:
            fn = _event_kernel(ev.kernels[e])
        if g_old[e] == 0:
            roots.append(t_old)
        elif g_new[e] == 0:
            roots.append(t)
        else:
            roots.append(brentq(lambda tt: fn(tt, sol(tt), p), t_old, t,
                                xtol=4 * np.finfo(float).eps, rtol=4 * np.finfo(float).eps))
    term = [ev.evi[0, e] > 0 and counts[e] >= ev.evi[0, e] for e in active]
    if not any(term):
        return active, roots, False
    order = np.argsort(roots) if t > t_old else np.argsort(-np.asarray(roots))
    active = [active[i] for i in order]
    roots = [roots[i] for i in order]
    first = next(j for j, e in enumerate(active) if counts[e] >= ev.evi[0, e] > 0)
    return active[:first + 1], roots[:first + 1], True


def _solve_scipy(system, mod, method, t0, t1, y0, te, rtol, atol, first_step, max_step,
                 max_steps, p, debug, ev, dense_output):
    from scipy.integrate import BDF, LSODA, Radau
    from scipy.integrate._ivp.common import OdeSolution

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
    dirn = 1.0 if t1 > t0 else -1.0
    key = None if te is None else dirn * te  # increasing, whatever the direction
    if te is None:
        ts, ys = [t0], [y0]
        k = 0
    else:
        k = int(np.searchsorted(key, dirn * t0, side="right"))
        ts, ys = [te[:k]], [np.repeat(y0[None, :], k, axis=0)]
    status, detail, steps, error = SUCCESS, "", 0, None
    t_done, y_done = t0, y0
    solver = None
    g_old = np.array([ev.value(system, e, g, t0, y0, p) for e, g in enumerate(ev.kernels)])
    counts = np.zeros(len(ev.kernels), dtype=np.int64)
    ev_t, ev_i, ev_y = [], [], []
    seg_t, seg_sol = [t0], []
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
            if not dirn * (t - t_prev) > 0:
                # LSODA with a tiny max_step or near a blow-up "succeeds" with t frozen and
                # would burn the whole step limit there.
                status = STEP_UNDERFLOW
                break
            y_now = solver.y
            step_sol = solver.dense_output() if (dense_output or ev or te is not None) else None
            terminate = False
            if ev:
                g_new = np.array([ev.value(system, e, g, t, y_now, p)
                                  for e, g in enumerate(ev.kernels)])
                idx, roots, terminate = _scipy_events(ev, p, step_sol, t_prev, t, g_old,
                                                      g_new, counts)
                for e, r in zip(idx, roots):
                    ev_t.append(r)
                    ev_i.append(e)
                    ev_y.append(step_sol(r))
                g_old = g_new
                if terminate:
                    t = roots[-1]
                    y_now = step_sol(t)
            if te is None:
                ys.append(np.array(y_now, dtype=float))
                ts.append(t)
            elif k < te.size and key[k] <= dirn * t:
                j = int(np.searchsorted(key, dirn * t, side="right"))
                block = step_sol(te[k:j]).T
                ys.append(block)
                ts.append(te[k:j])
                k = j
            if dense_output:
                seg_t.append(t)
                seg_sol.append(step_sol)
            t_done, y_done = t, y_now
            if terminate:
                status = TERMINATED
                break
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
    t_events = y_events = None
    if ev:
        idx = np.array(ev_i, dtype=np.int64)
        t_all = np.array(ev_t, dtype=float)
        y_all = np.array(ev_y, dtype=float).reshape(len(ev_t), n)
        t_events = [t_all[idx == e] for e in range(len(ev.kernels))]
        y_events = [y_all[idx == e] for e in range(len(ev.kernels))]
    dense = None
    if dense_output and seg_sol:
        dense = _ScipyDense(OdeSolution(np.array(seg_t[:len(seg_sol) + 1]), seg_sol))
    return Solution(t_arr, y_arr, status, msg, t_final=t_final, y_final=y_final,
                    nfev=getattr(stats, "nfev", 0), njev=getattr(stats, "njev", 0),
                    nlu=getattr(stats, "nlu", 0), nsteps=steps, naccepted=steps, method=method,
                    exception=error, t_events=t_events, y_events=y_events, sol=dense)


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

    def args(budget):
        return x, si, n_steps, transient, save_every, p, out_k, out_x, budget

    try:
        status, err = _drive(loop, args, _first_budget(n, 1), None,
                             _twin(mod, "iterate_loop", debug), (x, si))
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
