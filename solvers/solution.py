"""The result of an integration or an iteration: what was computed, and how it ended."""
from __future__ import annotations

import numpy as np

__all__ = ["Solution", "STATUS_MESSAGES", "Interrupted", "DenseOutput"]

_REPR_MESSAGE = 160  # characters of a message a repr shows (kernel errors can be long)

# Status codes shared by every method. Negative = the run stopped early; what it computed
# up to that point is still in ``t`` and ``y``.
SUCCESS = 0
TERMINATED = 1       # a terminal event ended the run (SciPy's code); a success
MAX_STEPS = -1
STEP_UNDERFLOW = -2
NON_FINITE = -3
FAILED = -4
OUT_OF_DOMAIN = -5   # the state left the model's domain (circuits.drive: a memristor's x in [0, 1])
KERNEL_ERROR = -6    # a kernel raised; the exception is Solution.exception
INTERRUPTED = -7     # KeyboardInterrupt (Ctrl-C); raised as solvers.Interrupted carrying it

STATUS_MESSAGES = {
    SUCCESS: "The solver successfully reached the end of the integration interval.",
    TERMINATED: "A termination event occurred at t = {t:.17g}.",
    MAX_STEPS: "Step limit reached: {max_steps} steps taken, stopped at t = {t:.17g}.",
    STEP_UNDERFLOW: "Step size underflow at t = {t:.17g}: the step needed (h = {h:.3g}) is "
    "below the floating-point resolution of t; the problem may be stiff or singular there.",
    NON_FINITE: "Non-finite state (NaN or inf) met at t = {t:.17g}: the solution blew up or "
    "the right-hand side returned a non-finite value; trajectory kept up to the last finite state.",
    FAILED: "{detail}",
    KERNEL_ERROR: "{detail}",
    INTERRUPTED: "Interrupted (KeyboardInterrupt) at t = {t:.17g}; trajectory kept up to there.",
}


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: a ``KeyboardInterrupt`` that carries what was computed.

    ``solution`` is the partial :class:`Solution` (status ``-7``), up to the last step taken
    before the interruption. Scripts that do not catch it stop as on any Ctrl-C.

    >>> err = Interrupted(Solution(np.zeros(1), np.zeros((1, 1)), -7, "stopped"))
    >>> isinstance(err, KeyboardInterrupt), err.solution.status
    (True, -7)
    """

    def __init__(self, solution):
        super().__init__(solution.message)
        self.solution = solution


class Solution:
    """Trajectory and statistics of one run.

    Attributes
    ----------
    t : ndarray, shape (k,)
        Output times (the requested ``t_eval`` that were reached, or every accepted step).
    y : ndarray, shape (k, n)
        States at ``t``.
    success : bool
        ``status >= 0`` (the end of the span, or a terminal event).
    status : int
        0 success; 1 a terminal event ended the run; -1 step limit; -2 step-size underflow (or a step that no longer advances
        t); -3 non-finite state; -4 other failure of a SciPy solver; -5 the state left the
        model's domain; -6 a kernel raised (see ``exception``); -7 interrupted (Ctrl-C).
    message : str
        What happened and, on failure, at which time.
    t_final : float
        Time the run reached (equals the end of ``t_span`` on success).
    y_final : ndarray, shape (n,)
        State at ``t_final`` (useful when ``t_eval`` was not reached).
    nfev, njev, nlu, nsteps, naccepted, nrejected : int
        Right-hand-side and Jacobian evaluations, LU decompositions, steps attempted,
        accepted and rejected.
    method : str
    exception : BaseException or None
        With status -6: the exception the kernel raised (its traceback included).
    t_events, y_events : list of ndarray, or None
        With ``events``: per event, the crossing times (shape ``(k,)``) and the states there
        (shape ``(k, n)``), in time order.
    sol : DenseOutput or None
        With ``dense_output=True``: the method's own interpolant over the whole run,
        ``sol(t)`` of shape ``(n,)`` for a scalar ``t`` and ``(m, n)`` for m times.

    Example
    -------
    >>> s = Solution(np.array([0.0, 1.0]), np.zeros((2, 1)), 0, "ok")
    >>> s.success, s.y.shape
    (True, (2, 1))
    """

    __slots__ = ("t", "y", "status", "message", "t_final", "y_final", "nfev", "njev",
                 "nlu", "nsteps", "naccepted", "nrejected", "method", "exception", "t_events",
                 "y_events", "sol")

    def __init__(self, t, y, status, message, *, t_final=None, y_final=None, nfev=0, njev=0,
                 nlu=0, nsteps=0, naccepted=0, nrejected=0, method="", exception=None,
                 t_events=None, y_events=None, sol=None):
        self.t = t
        self.y = y
        self.status = int(status)
        self.message = message
        self.t_final = float(t[-1]) if t_final is None and len(t) else t_final
        self.y_final = y[-1] if y_final is None and len(t) else y_final
        self.nfev = int(nfev)
        self.njev = int(njev)
        self.nlu = int(nlu)
        self.nsteps = int(nsteps)
        self.naccepted = int(naccepted)
        self.nrejected = int(nrejected)
        self.method = method
        self.exception = exception
        self.t_events = t_events
        self.y_events = y_events
        self.sol = sol

    @property
    def success(self):
        return self.status >= SUCCESS

    def to_xarray(self, names=None):
        """The run as an ``xarray.Dataset`` (needs ``pip install 'neurodyn[io]'``).

        Dimensions ``time`` (coordinate ``t``) and ``state`` (coordinate ``names``, default
        ``0 .. n-1``; e.g. a model's ``.nodes``); variables ``y`` (time, state) and
        ``y_final`` (state); with events, ``t_event<k>`` and ``y_event<k>`` per event ``k``
        (dimension ``event<k>``). Attributes: ``method``, ``status``, ``message``, ``success``
        (1 or 0: NetCDF has no booleans), ``t_final``, the counters ``nfev`` ... ``nrejected``
        and ``neurodyn_version`` (of the installed distribution, when known). The arrays are
        shared, not copied; ``exception`` and the dense output are left out.

        >>> s = Solution(np.array([0.0, 1.0]), np.array([[1.0, 0.0], [0.5, 0.5]]), 0, "ok",
        ...              method="rk4")
        >>> ds = s.to_xarray(names=["a", "b"])
        >>> ds["y"].sel(state="b").values, ds.attrs["method"], ds.attrs["success"]
        (array([0. , 0.5]), 'rk4', 1)
        >>> dict(ds.sizes)
        {'time': 2, 'state': 2}
        """
        xr = _xarray("Solution.to_xarray")
        y = np.asarray(self.y)
        n = y.shape[1] if y.ndim == 2 else np.size(self.y_final)
        data = {"y": (("time", "state"), y)}
        if self.y_final is not None:
            data["y_final"] = (("state",), np.asarray(self.y_final))
        for k, te in enumerate(self.t_events or ()):
            data[f"t_event{k}"] = ((f"event{k}",), np.asarray(te))
            data[f"y_event{k}"] = ((f"event{k}", "state"), np.asarray(self.y_events[k]))
        attrs = {"method": self.method, "status": self.status, "message": self.message,
                 "success": int(self.success)}
        if self.t_final is not None:
            attrs["t_final"] = self.t_final
        for k in ("nfev", "njev", "nlu", "nsteps", "naccepted", "nrejected"):
            attrs[k] = getattr(self, k)
        attrs.update(_version_attr())
        return xr.Dataset(data, coords={"time": np.asarray(self.t),
                                        "state": state_names(names, n)}, attrs=attrs)

    def __repr__(self):
        msg = str(self.message)
        if len(msg) > _REPR_MESSAGE:
            msg = msg[:_REPR_MESSAGE - 3] + "..."
        n = self.y.shape[-1] if np.ndim(self.y) == 2 else "?"
        return (f"Solution(method={self.method!r}, success={self.success}, status={self.status}, "
                f"len(t)={len(self.t)}, n_states={n}, nfev={self.nfev}, "
                f"naccepted={self.naccepted}, nrejected={self.nrejected})\n  message: {msg}")


def _xarray(what):
    """xarray, imported on first use: an optional dependency (the ``io`` extra)."""
    try:
        import xarray
    except ImportError:
        raise ImportError(f"{what} needs xarray: pip install 'neurodyn[io]'") from None
    return xarray


def _version_attr():
    # solvers imports nothing of neurodyn's: the version is the installed distribution's
    # (solvers ships in the neurodyn distribution), absent when it is not installed.
    from importlib import metadata

    try:
        return {"neurodyn_version": metadata.version("neurodyn")}
    except metadata.PackageNotFoundError:
        return {}


def state_names(names, n, what="names"):
    """The ``state`` coordinate: ``0 .. n-1``, or ``n`` distinct names (str array when all
    are strings, int64 when all are ints, else an object array, e.g. of tuples).

    >>> state_names(None, 2), state_names(["a", "b"], 2)
    (array([0, 1]), array(['a', 'b'], dtype='<U1'))
    >>> state_names(["a"], 2)
    Traceback (most recent call last):
    ...
    ValueError: names has 1 entries, expected 2 (one per state)
    """
    if names is None:
        return np.arange(n)
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        from ._checks import InvalidTypeError

        raise InvalidTypeError(f"{what} must be a sequence of state names, got {names!r} "
                               f"({type(names).__name__})")
    names = list(names.tolist() if isinstance(names, np.ndarray) else names)
    if len(names) != n:
        raise ValueError(f"{what} has {len(names)} entries, expected {n} (one per state)")
    seen = set()
    for v in names:
        try:
            dup = v in seen
        except TypeError:
            raise TypeError(f"{what}: {v!r} is not hashable, so it cannot name a state") \
                from None
        if dup:
            raise ValueError(f"{what}: duplicate name {v!r}")
        seen.add(v)
    if names and all(isinstance(v, str) for v in names):
        return np.array(names, dtype=str)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
           for v in names):
        return np.array(names, dtype=np.int64)
    out = np.empty(n, dtype=object)
    for i, v in enumerate(names):  # element-wise: tuples must not become a 2-d array
        out[i] = v
    return out


class DenseOutput:
    """A run's interpolant over its whole span: one polynomial segment per step.

    Segment k covers the step from ``t0[k]`` of signed length ``h[k]`` with
    ``y(t0 + θ h) = c[k, 0] + Σ_d θ^(d+1) c[k, d + 1]`` (the method's own interpolant in that
    form: Shampine's for dopri5, Tsitouras' for tsit5, Hairer's for dop853, Verner's for vern7,
    cubic Hermite for bs32 and the fixed-step methods). Times outside the span are
    extrapolated from the nearest segment, as SciPy's ``OdeSolution`` does.

    >>> import numpy as np
    >>> d = DenseOutput(np.array([0.0]), np.array([1.0]), np.array([[[1.0], [2.0]]]))
    >>> d(0.5).tolist(), d([0.0, 1.0]).shape     # y = 1 + 2 t on one segment
    ([2.0], (2, 1))
    """

    __slots__ = ("t0", "h", "c", "_key")

    def __init__(self, t0, h, c):
        self.t0 = np.asarray(t0, dtype=float)
        self.h = np.asarray(h, dtype=float)
        self.c = np.asarray(c, dtype=float)
        backward = self.h.size > 0 and self.h[0] < 0
        # segment starts as an increasing key, whatever the direction of time
        self._key = -self.t0 if backward else self.t0

    @property
    def t_min(self):
        ends = np.concatenate([self.t0, self.t0 + self.h]) if self.t0.size else np.zeros(1)
        return float(ends.min())

    @property
    def t_max(self):
        ends = np.concatenate([self.t0, self.t0 + self.h]) if self.t0.size else np.zeros(1)
        return float(ends.max())

    def __call__(self, t):
        tt = np.asarray(t, dtype=float)
        if tt.dtype.kind != "f" or np.iscomplexobj(t):
            raise TypeError(f"sol(t) needs real times, got {t!r}")
        scalar = tt.ndim == 0
        tt = np.atleast_1d(tt)
        if tt.ndim != 1:
            raise ValueError(f"sol(t) takes a time or a 1-D array of times, got shape "
                             f"{np.shape(t)}")
        if self.t0.size == 0:
            raise ValueError("this run took no step: there is no interpolant")
        backward = self.h[0] < 0
        key = -tt if backward else tt
        k = np.clip(np.searchsorted(self._key, key, side="right") - 1, 0, self.t0.size - 1)
        th = (tt - self.t0[k]) / self.h[k]
        c = self.c[k]                      # (m, D + 1, n)
        D = c.shape[1] - 1
        v = c[:, D].copy()
        for d in range(D - 1, 0, -1):
            v = v * th[:, None] + c[:, d]
        out = c[:, 0] + th[:, None] * v
        return out[0] if scalar else out

    def __repr__(self):
        return (f"DenseOutput({self.t0.size} segments over [{self.t_min:.6g}, "
                f"{self.t_max:.6g}], {self.c.shape[-1] if self.c.ndim == 3 else 0} states)")
