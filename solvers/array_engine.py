"""The array engine: one large network integrated with array operations (NumPy or CuPy).

The compiled engine (``_ode_loops.py``) runs a whole step in one Numba function, element by
element. For one very large network that is the wrong shape: the work of a step is a few
matrix-vector products (the right-hand side) plus vector updates, which BLAS, cuBLAS and
cuSPARSE do best. This engine keeps the state and the stage vectors in arrays of an array
module ``xp`` (``numpy`` on the CPU, ``cupy`` on a GPU), allocated once per run, and drives the
step from Python: per stage one call of the model's *array form* (one GEMV or SpMV plus
elementwise work, in-place ufunc calls, not fused into one kernel) and one small GEMV
``A[s, :s] @ K[:s]`` for the stage sum. Its floor is
``nfev`` times one GEMV of the network.

The algorithm is the compiled engine's, operation for operation: the same tableaus
(:mod:`solvers.tableaus`), SciPy's RMS error norm scaled by ``atol + rtol max(|y|, |y_new|)``,
the PI controller and its constants (``SAFETY``, ``FACMIN``, ``FACMAX``, ``PI_BETA_K`` of
:mod:`solvers.integrate`), Hairer's first-step heuristic, the step stretched by up to 1 % to
land on ``t1``, step-underflow and non-finite handling, ``max_steps``, and output at ``t_eval``
from each method's own interpolant (the cubic Hermite between steps for fixed-step methods).
So a run takes the same steps as :func:`solvers.solve` on the same problem, up to rounding (the
stage sums and the network's product are BLAS products here, sequential loops there). Rounding
can still tip a decision where the error estimate is mostly rounding noise (a tiny first step)
or swings with the step's position (a right-hand side with kinks or jumps in ``t``, e.g. a
sampled input): the two engines then take different, equally valid, step sequences.

Where the host waits for the device
-----------------------------------
An adaptive step must decide on the host whether it is accepted and how long the next one is,
so each step brings **one scalar** to the host: the squared error norm, reduced on the device
(two, fetched together, for DOP853's two estimates). Everything else stays on the device; the
times (``t``, ``h``, the output times) live on the host and reach the array operations as
plain scalars, which CuPy passes as kernel arguments without a transfer. Moving the step
control onto the device as well would make every stage depend on device-resident ``t`` and
``h`` and the input lookups (sampled inputs search their sample times on the host) impossible
without further transfers. For a network large enough to want a GPU a dopri5 or tsit5 step is
six GEMVs of the n x n network (FSAL: six new stages a step) besides seven small products and
the vector updates, so one scalar synchronisation per step is a small part of it.
Fixed-step methods need no decision per step: they check for non-finite values on the device
and synchronise once every ``_CHECK_EVERY`` steps; a chunk that met one is rerun from its
start step by step, checked after each, so the run stops at the same step as the compiled
engine. (No GPU timings are given here: they belong in ``benchmarks/``, measured.)

The array form
--------------
A system offers ``array_form(xp, dtype)``, which returns a callable ``f(t, y, out)`` that writes
``dy/dt`` at the Python float ``t`` into ``out`` using only operations of ``xp`` (``y`` and
``out`` are ``xp`` arrays of shape ``(n,)`` and that dtype). Parameters are moved to the device
when the form is built, once per run; an :class:`ArrayForm` built beforehand can be passed in
place of the system to reuse them. ``neurodyn``'s CTRNN (dense and sparse), ContinuousHopfield
(and HopfieldTank) and ContinuousESN have one.
"""
from __future__ import annotations

import math

import numpy as np

from . import tableaus
from ._checks import InvalidTypeError, check_allocation, warn_float32_tolerance
from .integrate import (DEFAULT_MAX_STEPS, FACMAX, FACMIN, PI_BETA_K, SAFETY, STIFF,
                        COMPILED_STIFF, _SigintFlag, _domain_check, _finish, _fixed_steps,
                        _message, _method, _name, _no_step_advances, _state_vector,
                        _step_options, _time_span)
from .solution import (INTERRUPTED, KERNEL_ERROR, MAX_STEPS, NON_FINITE, STATUS_MESSAGES,
                       STEP_UNDERFLOW, SUCCESS, Solution)

__all__ = ["solve_array", "ArrayForm", "array_namespace", "ARRAY_METHODS", "BACKENDS"]

# The explicit methods; DOP853 and Vern7 with their extra dense-output stages (evaluated only
# in steps with an output time inside them, as in the compiled engine) and DOP853's second
# error estimate.
ARRAY_METHODS = tuple(tableaus.FIXED) + tuple(tableaus.ADAPTIVE)
BACKENDS = ("cpu", "numpy", "cuda")
MODELS_WITH_ARRAY_FORM = ("neurodyn.CTRNN (dense and sparse W)", "neurodyn.ContinuousHopfield "
                          "(and circuits.HopfieldTank)", "neurodyn.ContinuousESN")

_EPS = np.finfo(np.float64).eps
# Fixed-step runs synchronise once per this many steps (see the module docstring).
_CHECK_EVERY = 64
_GPU_HINT = ('backend="cuda" needs CuPy and a CUDA GPU with its driver: pip install '
             '"neurodyn[gpu]" (CuPy for CUDA 12) on a machine with an NVIDIA GPU')


class ArrayForm:
    """Base class of array forms: a right-hand side evaluated with the operations of ``xp``.

    Subclasses implement ``__call__(t, y, out)``: write ``dy/dt`` at the Python float ``t``
    into ``out``, with ``y`` and ``out`` arrays of ``xp`` of shape ``(n,)`` (or ``(batch, n)``
    where the form says so) and dtype ``dtype``. Only ``xp`` operations: no conversion of device
    values to host numbers, which would synchronise a GPU at every stage.

    Parameters
    ----------
    n_states : int
    xp : module
        ``numpy`` or ``cupy``.
    dtype : numpy.dtype
        ``float64`` or ``float32``.
    name : str
        Shown in messages.

    Example
    -------
    >>> import numpy as np
    >>> class Decay(ArrayForm):
    ...     def __call__(self, t, y, out):
    ...         self.xp.negative(y, out=out)
    >>> f = Decay(2, np, np.float64, "decay")
    >>> out = np.empty(2)
    >>> f(0.0, np.array([1.0, 2.0]), out)
    >>> out
    array([-1., -2.])
    """

    def __init__(self, n_states, xp, dtype, name):
        self.n_states = int(n_states)
        self.xp = xp
        self.dtype = np.dtype(dtype)
        self.name = name

    def __call__(self, t, y, out):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        return (f"{type(self).__name__}({self.name}, n_states={self.n_states}, "
                f"xp={getattr(self.xp, '__name__', self.xp)}, dtype={self.dtype})")


def array_namespace(backend):
    """The array module of a backend of :func:`solvers.solve`: ``numpy`` for ``"numpy"``,
    ``cupy`` for ``"cuda"`` (imported here, and checked to see a GPU).

    Raises
    ------
    ImportError
        ``"cuda"`` without CuPy installed (the message says ``pip install "neurodyn[gpu]"``).
    RuntimeError
        ``"cuda"`` with CuPy but no usable GPU or driver.

    >>> array_namespace("numpy").__name__
    'numpy'
    """
    if backend == "numpy":
        return np
    if backend != "cuda":
        raise ValueError(f"unknown array backend {backend!r}; known: 'numpy', 'cuda'")
    try:
        import cupy
    except ImportError as err:
        raise ImportError(f"{_GPU_HINT}; CuPy is not installed ({err})") from None
    try:
        devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # CUDARuntimeError: no driver, no device, a broken install
        raise RuntimeError(f"{_GPU_HINT}; CuPy is installed but found no usable GPU "
                           f"({type(err).__name__}: {err})") from None
    if devices < 1:
        raise RuntimeError(f"{_GPU_HINT}; CuPy is installed but sees no GPU")
    return cupy


def _dtype(dtype):
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise InvalidTypeError(f"dtype must be float64 or float32, got {dtype!r}") from None
    if d not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype must be float64 or float32, got {d}")
    return d


def _form_of(system, xp, dtype):
    """(the callable f(t, y, out), its name): the system's array form for xp and dtype."""
    if isinstance(system, ArrayForm):
        if system.xp is not xp:
            raise ValueError(f"the array form {system!r} was built for "
                             f"{getattr(system.xp, '__name__', system.xp)}, not "
                             f"{getattr(xp, '__name__', xp)}: build it again with that module")
        if system.dtype != dtype:
            raise ValueError(f"the array form {system!r} was built for {system.dtype}, not "
                             f"{dtype}: build it again with that dtype")
        return system, system.name
    make = getattr(system, "array_form", None)
    if make is None:
        raise TypeError(
            f"{_name(system)} has no array form, so the array engine (solve(..., "
            "backend='numpy' or 'cuda'), solve_array) cannot integrate it. Models with one: "
            f"{', '.join(MODELS_WITH_ARRAY_FORM)}; a system of your own needs a method "
            "array_form(xp, dtype) returning f(t, y, out) (see solvers.array_engine). Use "
            "backend='cpu' (the compiled engine) for this system")
    form = make(xp, dtype)
    if not callable(form):
        raise TypeError(f"{_name(system)}.array_form(xp, dtype) must return a callable "
                        f"f(t, y, out), got {type(form).__name__}")
    return form, _name(system)


class _FormRaised(Exception):
    """The array form raised ``error`` (kept apart from errors of the engine itself)."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _host(xp, a):
    """``a`` as a NumPy array of its own (the engine's buffers are reused)."""
    asnumpy = getattr(xp, "asnumpy", None)
    if asnumpy is not None and xp is not np:
        return asnumpy(a)
    return np.array(a)


class _Outputs:
    """The output rows, kept on the device: at ``t_eval`` (one row each) or after every step
    (a buffer doubled when full; the times are host floats)."""

    def __init__(self, xp, dtype, n, te, rows):
        self.xp = xp
        self.te = te
        self.n = n
        if te is not None:
            check_allocation("the output at t_eval", (te.size, n), dtype.itemsize)
            self.y = xp.empty((te.size, n), dtype)
            self.t = None
            self.m = te.size
        else:
            check_allocation("the output of every step", (rows, n + 1), dtype.itemsize,
                             hint="pass t_eval (output only where you need it)")
            self.y = xp.empty((rows, n), dtype)
            self.t = []
            self.m = rows
        self.count = 0

    def initial(self, t, y, dirn):
        # The rows known before any evaluation (t_eval entries at t0, or the first row), as
        # the compiled loops' _initial_rows: a form that fails on its first call still
        # returns them.
        if self.te is None:
            self.push(t, y)
            return
        te = self.te
        while self.count < te.size and dirn * (te[self.count] - t) <= 0.0:
            self.y[self.count] = y
            self.count += 1

    def push(self, t, y):
        """One row of every-step output."""
        if self.count == self.y.shape[0]:
            rows = 2 * self.y.shape[0]
            check_allocation("the output of every step", (rows, self.n + 1),
                             self.y.dtype.itemsize,
                             hint="pass t_eval (output only where you need it)")
            new = self.xp.empty((rows, self.n), self.y.dtype)
            new[:self.count] = self.y[:self.count]
            self.y = new
        self.y[self.count] = y
        del self.t[self.count:]
        self.t.append(t)
        self.count += 1

    def due(self, t_new, dirn):
        """Whether the next t_eval entry lies within the step ending at t_new."""
        return (self.te is not None and self.count < self.m
                and dirn * (self.te[self.count] - t_new) <= 0.0)

    def result(self, count):
        y = _host(self.xp, self.y[:count])
        t = self.te[:count].copy() if self.te is not None else np.array(self.t[:count])
        return t, y


def _interp_into(xp, Q, D, y, th, row):
    # row = y + sum_d th^(d+1) Q[d] by Horner, in the compiled _interp_row's order of
    # operations (so equal Q and y give equal rows).
    xp.multiply(Q[D - 1], 1.0, out=row)
    for d in range(D - 2, -1, -1):
        row *= th
        row += Q[d]
    row *= th
    row += y


def solve_array(system, t_span, y0, *, xp=None, method="dopri5", t_eval=None, rtol=1e-6,
                atol=1e-9, dt=None, first_step=None, max_step=np.inf, max_steps=None,
                dtype=None):
    """Integrate one (large) system with array operations of ``xp`` (NumPy, or CuPy on a GPU).

    The same algorithm as :func:`solvers.solve` (same steps, up to rounding), with the state
    and the stage vectors in ``xp`` arrays and the right-hand side given by the system's array
    form (see the module docstring). :func:`solvers.solve` with ``backend="numpy"`` or
    ``"cuda"`` calls this.

    Parameters
    ----------
    system : model with ``array_form(xp, dtype)``, or an :class:`ArrayForm`
        E.g. ``neurodyn.CTRNN`` (dense or sparse), ``neurodyn.ContinuousHopfield``,
        ``neurodyn.ContinuousESN``. A form built beforehand keeps its parameters on the
        device between runs.
    t_span, y0, t_eval, rtol, atol, dt, first_step, max_step, max_steps :
        As for :func:`solvers.solve` (``t_eval`` and the returned arrays live on the host).
    xp : module, optional
        The array module: ``numpy`` (default; a prebuilt form's own) or ``cupy``.
    method : str
        Explicit methods only: ``"euler"``, ``"heun"``, ``"rk4"`` (with ``dt``), ``"bs32"``,
        ``"dopri5"``, ``"tsit5"``, ``"dop853"``, ``"vern7"``.
    dtype : float64 (default) or float32
        Precision of the state and the stages (times stay float64 on the host). With float32
        an ``rtol`` below 5 float32 epsilons (6e-7) is warned about: the error estimate is
        then made of rounding noise.

    Returns
    -------
    Solution
        Host arrays ``t``, ``y`` (of ``dtype``), ``status``, ``message``, ``nfev``, ``nsteps``,
        ``naccepted``, ``nrejected``. A run that meets a non-finite state (-3), a step-size
        underflow (-2), the step limit (-1) or an array form that raises (-6) keeps its
        trajectory up to the last accepted step.

    Raises
    ------
    TypeError
        The system has no array form.
    solvers.Interrupted
        On Ctrl-C, carrying the partial solution (status -7).

    Example
    -------
    >>> import math
    >>> import numpy as np
    >>> class Decay:                       # dy/dt = -y, written for any array module
    ...     n_states = 2
    ...     def array_form(self, xp, dtype):
    ...         def f(t, y, out):
    ...             xp.negative(y, out=out)
    ...         return f
    >>> sol = solve_array(Decay(), (0.0, 1.0), [1.0, 2.0], rtol=1e-10, atol=1e-12)
    >>> bool(abs(sol.y[-1, 1] - 2 * math.exp(-1)) < 1e-9), sol.status
    (True, 0)
    """
    prebuilt = isinstance(system, ArrayForm)
    if xp is None:
        xp = system.xp if prebuilt else np
    if dtype is None:
        dtype = system.dtype if prebuilt else np.float64
    dtype = _dtype(dtype)
    try:
        n = int(system.n_states)
    except AttributeError:
        raise TypeError(f"solve_array() needs a system with .n_states and .array_form(xp, "
                        f"dtype); {type(system).__name__} has no .n_states") from None
    method = _method(method)
    if method in STIFF or method in COMPILED_STIFF:
        raise ValueError(f"method {method!r} is implicit; the array engine runs the explicit "
                         f"methods {', '.join(ARRAY_METHODS)} (use backend='cpu' for stiff "
                         "problems)")
    t0, t1 = _time_span(t_span)
    y_host = _state_vector(y0, n, system)
    _domain_check(system, y_host)
    rtol, atol_v, te, max_step, max_steps, first_step, dt, _ = _step_options(
        method, n, t0, t1, rtol, atol, t_eval, max_step, max_steps, first_step, dt, False)
    form, name = _form_of(system, xp, dtype)
    if method not in tableaus.FIXED:
        warn_float32_tolerance(dtype, rtol, stacklevel=3)
    if t1 == t0:
        t_out = np.array([t0]) if te is None else te.copy()
        return Solution(t_out, np.repeat(y_host.astype(dtype)[None, :], t_out.size, axis=0),
                        SUCCESS, STATUS_MESSAGES[SUCCESS], t_final=t0,
                        y_final=y_host.astype(dtype), method=method)
    if method not in tableaus.FIXED:
        scale = max(abs(t0), abs(t1))
        if max_step < math.ulp(scale):
            sol = _no_step_advances(method, t0, t1, y_host, te, max_step, scale)
            sol.y, sol.y_final = sol.y.astype(dtype), sol.y_final.astype(dtype)
            return _finish(sol)
    tab = tableaus.get(method)
    run = _Run(form, name, xp, dtype, n, tab, method, t0, t1, y_host, te)
    flag = _SigintFlag()
    try:
        # Overflow to inf is reported as a non-finite state; NumPy's warnings would only
        # repeat it (CuPy does not warn).
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            if method in tableaus.FIXED:
                sol = run.fixed(dt, max_steps, flag)
            else:
                sol = run.adaptive(rtol, atol_v, first_step, max_step,
                                   DEFAULT_MAX_STEPS if max_steps is None else max_steps, flag)
    finally:
        flag.restore()
    return _finish(sol)


class _Run:
    """One run's device buffers and the two drivers (adaptive, fixed) over them."""

    def __init__(self, form, name, xp, dtype, n, tab, method, t0, t1, y_host, te):
        self.form = form
        self.name = name
        self.xp = xp
        self.dtype = dtype
        self.n = n
        self.tab = tab
        self.method = method
        self.t0 = t0
        self.t1 = t1
        self.dirn = 1.0 if t1 > t0 else -1.0
        self.te = te
        self.nfev = 0
        self.y = xp.asarray(y_host, dtype=dtype)
        self.K = xp.empty((tab.C.size, n), dtype)
        self.A = xp.asarray(tab.A, dtype=dtype)
        # The committed state (t, y buffer, output rows, accepted, rejected): written in one
        # assignment after each step, so a KeyboardInterrupt between two bytecodes (where no
        # flag handler could be installed) still finds a consistent step.
        self.state = (t0, self.y, 0, 0, 0)

    def rhs(self, t, y, out):
        self.nfev += 1
        try:
            self.form(t, y, out)
        except Exception as err:
            raise _FormRaised(err) from err

    def stage_input(self, s, hs, y, dst):
        """dst = y + hs * sum_j A[s, j] K[j] (one small GEMV and two elementwise updates)."""
        xp = self.xp
        xp.matmul(self.A[s, :s], self.K[:s], out=dst)
        dst *= hs
        dst += y

    def all_finite(self, a):
        """A device boolean: whether every entry of ``a`` is finite (not fetched here)."""
        return self.xp.isfinite(a).all()

    def solution(self, status, out, t, y, count, nacc, nrej, h=float("nan"), max_steps=0,
                 err=None):
        t_out, y_out = out.result(count)
        if status == KERNEL_ERROR:
            e = err.error
            msg = (f"the array form of {self.name} raised {type(e).__name__}: {e} in the step "
                   f"from t = {t:.17g}; trajectory kept up to there (Solution.exception holds "
                   "the exception)")
            err = e
        else:
            msg = _message(status, t, h=h, max_steps=max_steps)
            err = None
        return Solution(t_out, y_out, status, msg, t_final=t, y_final=_host(self.xp, y),
                        nfev=self.nfev, nsteps=nacc + nrej, naccepted=nacc, nrejected=nrej,
                        method=self.method, exception=err)

    # ----------------------------------------------------------------- adaptive

    def adaptive(self, rtol, atol_host, first_step, hmax, max_steps, flag):
        xp, tab, n, dirn, t1 = self.xp, self.tab, self.n, self.dirn, self.t1
        dtype = self.dtype
        K = self.K
        S = tab.stages
        SX = tab.C.size
        D = tab.P.shape[1]
        C = tab.C
        has_e3 = tab.E3 is not None
        E = xp.asarray(tab.E, dtype=dtype)
        E3 = xp.asarray(tab.E3, dtype=dtype) if has_e3 else None
        PT = xp.asarray(np.ascontiguousarray(tab.P.T), dtype=dtype)
        atol = xp.asarray(atol_host, dtype=dtype)
        ynew = xp.empty(n, dtype)
        ytmp = xp.empty(n, dtype)
        errv = xp.empty(n, dtype)
        errv3 = xp.empty(n, dtype) if has_e3 else None
        sc = xp.empty(n, dtype)
        sc2 = xp.empty(n, dtype)
        Q = xp.empty((D, n), dtype)
        out = _Outputs(xp, dtype, n, self.te, 64)
        t = self.t0
        y = self.y
        out.initial(t, y, dirn)
        self.state = (t, y, out.count, 0, 0)
        eo = tab.error_order
        beta = PI_BETA_K / (eo + 1)
        alpha = 1.0 / (eo + 1) - 0.75 * beta
        h = 0.0 if first_step is None else first_step
        err_old = 1e-4
        nacc = nrej = 0
        rejected_last = last_nonfinite = False
        status = SUCCESS
        error = None

        def scaled_rms(v, yref):
            # Hairer's first-step norm: sqrt(mean((v / (atol + rtol |yref|))^2)), on the host
            # once per run.
            xp.abs(yref, out=sc)
            xp.multiply(sc, rtol, out=sc)
            xp.add(sc, atol, out=sc)
            xp.divide(v, sc, out=sc2)
            return math.sqrt(float(xp.dot(sc2, sc2)) / n)

        try:
            self.rhs(t, y, K[0])
            if not bool(self.all_finite(K[0])):
                return self.solution(NON_FINITE, out, t, y, out.count, 0, 0, h=h)
            if h <= 0.0:
                # Hairer, Norsett & Wanner II.4, as the compiled _first_step_trial/_size.
                d0 = scaled_rms(y, y)
                d1 = scaled_rms(K[0], y)
                h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
                h0 = min(h0, abs(t1 - t))
                xp.multiply(K[0], dirn * h0, out=ytmp)
                ytmp += y
                self.rhs(t + dirn * h0, ytmp, errv)
                errv -= K[0]
                d2 = scaled_rms(errv, y) / h0
                if not (d2 < np.inf):
                    h = h0 * 1e-3
                else:
                    dmax = max(d1, d2)
                    if dmax <= 1e-15:
                        h1 = max(h0 * 1e-3, 1e-6)
                    else:
                        h1 = (0.01 / dmax) ** (1.0 / (eo + 1))
                    h = min(100.0 * h0, h1, abs(t1 - t), hmax)
            while True:
                if not dirn * (t1 - t) > 0.0:
                    break
                if nacc + nrej >= max_steps:
                    status = MAX_STEPS
                    break
                if flag.fired:
                    status = INTERRUPTED
                    break
                if h > hmax:
                    h = hmax
                last = False
                rem = dirn * (t1 - t)
                # Stretch a step by up to 1 % to land on t1, never past max_step.
                if 1.01 * h >= rem and rem <= hmax:
                    h = rem
                    last = True
                elif h >= rem:
                    h = rem
                    last = True
                if h <= 10.0 * _EPS * max(abs(t), 1e-300):
                    status = NON_FINITE if last_nonfinite else STEP_UNDERFLOW
                    break
                hs = dirn * h
                for s in range(1, S):
                    dst = ynew if s == S - 1 else ytmp
                    self.stage_input(s, hs, y, dst)
                    self.rhs(t + C[s] * hs, dst, K[s])
                # The error test: the one value the host needs from this step.
                xp.matmul(E, K[:S], out=errv)
                xp.abs(y, out=sc)
                xp.abs(ynew, out=sc2)
                xp.maximum(sc, sc2, out=sc)
                sc *= rtol
                sc += atol
                errv /= sc
                if has_e3:
                    xp.matmul(E3, K[:S], out=errv3)
                    errv3 /= sc
                    e5, e3 = (float(v) for v in _host(xp, xp.stack(
                        (xp.dot(errv, errv), xp.dot(errv3, errv3)))))
                    if e5 == 0.0 and e3 == 0.0:
                        err = 0.0
                    else:
                        err = h * e5 / math.sqrt((e5 + 0.01 * e3) * n)
                else:
                    err = h * math.sqrt(float(xp.dot(errv, errv)) / n)
                if not (err < np.inf):
                    # A non-finite stage: the step went too far (or the solution blew up).
                    last_nonfinite = True
                    rejected_last = True
                    nrej += 1
                    h *= FACMIN
                    self.state = (t, y, out.count, nacc, nrej)
                    continue
                if err > 1.0:
                    last_nonfinite = False
                    nrej += 1
                    fac = SAFETY * err ** (-1.0 / (eo + 1))
                    h *= max(fac, FACMIN)
                    rejected_last = True
                    self.state = (t, y, out.count, nacc, nrej)
                    continue
                last_nonfinite = False
                t_new = t1 if last else t + hs
                if err == 0.0:
                    fac = FACMAX
                else:
                    fac = min(FACMAX, max(FACMIN, SAFETY * err ** (-alpha) * err_old ** beta))
                if rejected_last and fac > 1.0:
                    fac = 1.0
                err_old = max(err, 1e-4)
                rejected_last = False
                if out.due(t_new, dirn):
                    for s in range(S, SX):
                        # Extra dense-output stages (DOP853, Vern7), only where used.
                        self.stage_input(s, hs, y, ytmp)
                        self.rhs(t + C[s] * hs, ytmp, K[s])
                    xp.matmul(PT, K, out=Q)
                    Q *= hs
                    te = out.te
                    while out.due(t_new, dirn):
                        row = out.y[out.count]
                        if te[out.count] == t_new:
                            row[...] = ynew
                        else:
                            _interp_into(xp, Q, D, y, (te[out.count] - t) / hs, row)
                        out.count += 1
                t = t_new
                y, ynew = ynew, y
                K[0] = K[S - 1]
                nacc += 1
                if out.te is None:
                    out.push(t, y)
                self.state = (t, y, out.count, nacc, nrej)
                h *= fac
        except _FormRaised as err:
            status, error = KERNEL_ERROR, err
        except KeyboardInterrupt:
            status = INTERRUPTED
        t, y, count, nacc, nrej = self.state
        return self.solution(status, out, t, y, count, nacc, nrej, h=h, max_steps=max_steps,
                             err=error)

    # ----------------------------------------------------------------- fixed step

    def fixed(self, dt, max_steps, flag):
        xp, tab, n, dirn = self.xp, self.tab, self.n, self.dirn
        dtype = self.dtype
        t0, t1 = self.t0, self.t1
        K = self.K
        S = tab.C.size
        C = tab.C
        B = xp.asarray(tab.B, dtype=dtype)
        n_steps, steps = _fixed_steps(t0, t1, dt, max_steps)
        sdt = dt if t1 > t0 else -dt
        bufs = [xp.empty(n, dtype) for _ in range(2)]
        ytmp = xp.empty(n, dtype)
        f_new = xp.empty(n, dtype)
        dl = xp.empty(n, dtype)
        w = xp.empty(n, dtype)
        Q = xp.empty((3, n), dtype)
        out = _Outputs(xp, dtype, n, self.te, steps + 1)
        y = self.y
        out.initial(t0, y, dirn)
        self.state = (t0, y, out.count, 0, 0)
        status = SUCCESS
        error = None

        def step(t, k, y, ynew, eager):
            """One step from (t, y) into ynew; returns (t_new, finite, ok): with ``eager``
            the finiteness of y_new and f_new as host booleans (an unfinished step when y_new
            is not finite, as in the compiled loop), else a device boolean ``ok``."""
            t_new = t1 if k == n_steps - 1 else t0 + (k + 1) * sdt
            h = t_new - t
            for s in range(1, S):
                self.stage_input(s, h, y, ytmp)
                self.rhs(t + C[s] * h, ytmp, K[s])
            xp.matmul(B, K[:S], out=ynew)
            ynew *= h
            ynew += y
            if eager and not bool(self.all_finite(ynew)):
                return t_new, False, None
            self.rhs(t_new, ynew, f_new)
            if eager:
                ok = bool(self.all_finite(f_new))
            else:
                ok = self.all_finite(ynew) & self.all_finite(f_new)
            have_q = False
            while out.due(t_new, dirn):
                row = out.y[out.count]
                if out.te[out.count] == t_new:
                    row[...] = ynew
                else:
                    if not have_q:
                        # Cubic Hermite on [t, t_new] in the compiled loop's order of operations.
                        xp.subtract(ynew, y, out=dl)
                        xp.multiply(K[0], h, out=Q[0])
                        xp.multiply(f_new, h, out=w)
                        xp.multiply(dl, 3.0, out=Q[1])
                        Q[1] -= 2.0 * Q[0]
                        Q[1] -= w
                        xp.add(Q[0], w, out=Q[2])
                        Q[2] -= 2.0 * dl
                        have_q = True
                    _interp_into(xp, Q, 3, y, (out.te[out.count] - t) / h, row)
                out.count += 1
            if out.te is None:
                out.push(t_new, ynew)
            K[0] = f_new
            return t_new, True, ok

        def run_steps(t, k, y, end, eager):
            """Steps k .. end - 1 from (t, y): (t, k, y, status, error, ok), ``ok`` the
            device boolean of the unchecked steps (None when eager or none was taken)."""
            ok = None
            try:
                while k < end:
                    if not eager and flag.fired:
                        return t, k, y, INTERRUPTED, None, ok
                    ynew = bufs[0] if bufs[0] is not y else bufs[1]
                    t_new, finite_y, ok_k = step(t, k, y, ynew, eager)
                    if not finite_y:
                        return t, k, y, NON_FINITE, None, ok
                    t, y, k = t_new, ynew, k + 1
                    self.state = (t, y, out.count, k, 0)
                    if eager:
                        if not ok_k:
                            return t, k, y, NON_FINITE, None, ok
                    else:
                        ok = ok_k if ok is None else ok & ok_k
            except _FormRaised as err:
                return t, k, y, KERNEL_ERROR, err, ok
            return t, k, y, SUCCESS, None, ok

        ck = None
        try:
            try:
                self.rhs(t0, y, K[0])
            except _FormRaised as err:
                return self.solution(KERNEL_ERROR, out, t0, y, out.count, 0, 0, err=err)
            if not bool(self.all_finite(K[0])):
                return self.solution(NON_FINITE, out, t0, y, out.count, 0, 0)
            t, k = t0, 0
            while k < steps and status == SUCCESS:
                # A chunk of steps checked once at its end, and the checkpoint to rerun it
                # from, step by step, if it met a non-finite value (or raised, or was
                # interrupted, before its end was checked).
                ck = (t, k, y.copy(), K[0].copy(), out.count, self.nfev)
                end = min(steps, k + _CHECK_EVERY)
                t, k, y, status, error, ok = run_steps(t, k, y, end, False)
                if ok is not None and not bool(ok):
                    t, k, y = ck[0], ck[1], bufs[0]
                    y[...] = ck[2]
                    K[0] = ck[3]
                    out.count, self.nfev = ck[4], ck[5]
                    self.state = (t, y, out.count, k, 0)
                    t, k, y, status, error, _ = run_steps(t, k, y, end, True)
                    if status == SUCCESS and flag.fired:
                        status = INTERRUPTED
            state = self.state
        except KeyboardInterrupt:
            # Where no flag handler could be installed: back to the last checked state.
            status, error = INTERRUPTED, None
            state = self.state if ck is None else (ck[0], ck[2], ck[4], ck[1], 0)
        t, y, count, k, _ = state
        if status == SUCCESS and k < n_steps:
            status = MAX_STEPS
        return self.solution(status, out, t, y, count, k, 0, max_steps=steps, err=error)
