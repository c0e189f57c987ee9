"""Ensembles: many trajectories of one kernel in one call, on every CPU core.

Each member runs the very compiled loop that :func:`solvers.solve` (or :func:`solvers.iterate`)
runs for one trajectory, with its own step size, step count and status: no lock-step, and a
member is bit-for-bit the ``solve`` of that member whatever the thread count or the order.
Members are handed out in chunks to worker threads (the compiled loops release the GIL), so
members of unequal cost balance themselves; between chunks the driver is back in Python, which
is where progress is reported and Ctrl-C is honoured.

``backend="cuda"`` runs the members one per GPU thread (:mod:`solvers.cuda_ensemble`), the same
algorithm per member; ``"auto"`` (the default) picks it for large ensembles when a GPU is
present and the CPU otherwise. Dask sweeps (``neurodyn.sweep``) run chunks of members as tasks
on top of the CPU backend.
"""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
from numba.core.errors import NumbaError

from . import _sparse_lu, tableaus
from ._checks import (InvalidTypeError, check_allocation, count, real_array,
                      warn_float32_tolerance)
from ._codegen import ensemble_loops_for
from .integrate import (COMPILED_STIFF, DEFAULT_MAX_STEPS, FACMAX, FACMIN, PI_BETA_K, SAFETY,
                        STIFF, _SF_STIFF_SIZE, _SI_NJEV, _SI_NLU, _SI_STIFF_SIZE,
                        _SigintFlag, _check_system, _compile_error, _debug_flag,
                        _domain_check, _fixed_end, _fixed_steps, _kernel_error_detail,
                        _map_message, _message, _method, _name, _stiff_message, _stiff_scratch,
                        _step_options, _time_span, solve)
from .solution import (FAILED, INTERRUPTED, KERNEL_ERROR, MAX_STEPS, SUCCESS, Interrupted,
                       Solution)
from .system import MapSystem, match_params

__all__ = ["solve_ensemble", "iterate_ensemble", "EnsembleSolution"]

BACKENDS = ("auto", "cpu", "cuda")
_NOT_RUN = 99  # SI status of a member not run yet (every loop overwrites it when it ends)
_SI_STATUS, _SI_NOUT, _SI_NFEV, _SI_NACC, _SI_NREJ = 0, 1, 2, 3, 4
_SF_SIZE, _SI_SIZE = 4, 10  # as solvers.integrate
_MAP_K, _MAP_DONE, _MAP_NOUT = 1, 2, 3
# A chunk of members is sized to take about this long: long enough that the Python between
# chunks costs nothing (~20 us a chunk), short enough for a prompt Ctrl-C and a smooth bar.
_CHUNK_SECONDS = 0.02


def _available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_STATUS_CODES = ("0 success, 1 terminal event, -1 step limit, -2 step-size underflow, "
                 "-3 non-finite state, -4 solver failure, -5 left the model's domain, "
                 "-6 kernel raised, -7 interrupted")


class EnsembleSolution:
    """The members of an ensemble: arrays over members, and ``ens[i]`` as a plain Solution.

    Attributes
    ----------
    t : ndarray, shape (k,)
        Output times shared by the members (``t_eval``, the fixed-step grid, or the map's
        iteration indices); with ``save="final"`` the end of ``t_span``.
    y : ndarray, shape (B, k, n), or None with ``save="final"``
        Member i's states at ``t``. Rows a member did not reach (it failed first) are NaN;
        ``n_out[i]`` says how many it wrote.
    y_final : ndarray, shape (B, n)
        Each member's last state (at ``t_final[i]``; the last accepted step of a failed one).
    t_final : ndarray, shape (B,)
    status : ndarray of int, shape (B,)
        Per member, the codes of :class:`Solution` (0 success, -1 step limit, -2 step-size
        underflow, -3 non-finite, -6 kernel raised, -7 not finished because of Ctrl-C).
    success : ndarray of bool, shape (B,)
    nfev, nsteps, naccepted, nrejected, n_out : ndarray of int, shape (B,)
    failed : ndarray of int
        Indices of the members that did not succeed.
    exceptions : dict
        Member index -> the exception its kernel raised (status -6).
    t_events, y_events : list or None
        With ``events``: per member, that member's ``Solution.t_events`` / ``y_events``
        (also in ``ens[i]``).
    method : str

    ``message(i)`` is member i's message (``messages`` all of them); ``len(ens)`` the number
    of members.

    Example
    -------
    >>> import numpy as np
    >>> from solvers import ODESystem, solve_ensemble
    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -p[0] * y[0]
    >>> ens = solve_ensemble(ODESystem(decay, 1, (1.0,)), (0.0, 1.0), [[1.0], [2.0]],
    ...                      save="final")
    >>> ens.y_final.shape, bool(ens.success.all())
    ((2, 1), True)
    >>> ens[1].y_final.round(6)
    array([0.735759])
    """

    def __init__(self, t, y, y_final, t_final, status, nfev, nsteps, naccepted, nrejected, n_out,
                 method, *, h_final=None, max_steps=0, details=None, exceptions=None,
                 map_=None, t_events=None, y_events=None, njev=None, nlu=None):
        self.t = t
        self.y = y
        self.y_final = y_final
        self.t_final = t_final
        self.status = status
        self.nfev = nfev
        self.nsteps = nsteps
        self.naccepted = naccepted
        self.nrejected = nrejected
        self.n_out = n_out
        self.method = method
        self.exceptions = dict(exceptions or {})
        self._h = h_final
        self._max_steps = max_steps
        self._details = dict(details or {})
        self._map = map_
        self.t_events = t_events
        self.y_events = y_events
        zeros = np.zeros_like(nfev)
        self.njev = zeros if njev is None else njev
        self.nlu = zeros if nlu is None else nlu

    @property
    def success(self):
        return self.status >= SUCCESS

    @property
    def failed(self):
        return np.flatnonzero(self.status < SUCCESS)

    def __len__(self):
        return int(self.status.size)

    def message(self, i):
        """What happened to member ``i``, in the words ``solve`` would use."""
        i = self._index(i)
        s = int(self.status[i])
        if i in self._details:
            return self._details[i]
        t = float(self.t_final[i])
        if self._map:
            if s == INTERRUPTED:
                return "Not finished: the ensemble was interrupted (Ctrl-C) before this member ran."
            return _map_message(s, int(t), *self._map)
        if s == INTERRUPTED and self.nfev[i] == 0:
            return ("Not run: the ensemble was interrupted (Ctrl-C) before this member "
                    "started.")
        h = float(self._h[i]) if self._h is not None else float("nan")
        return _message(s, t, h=h, max_steps=self._max_steps)

    @property
    def messages(self):
        return [self.message(i) for i in range(len(self))]

    def _index(self, i):
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise InvalidTypeError(f"ensemble members are indexed by an integer, got {i!r}")
        B = len(self)
        j = int(i) + B if i < 0 else int(i)
        if not 0 <= j < B:
            raise IndexError(f"member {i} of an ensemble of {B}")
        return j

    def __getitem__(self, i):
        i = self._index(i)
        k = int(self.n_out[i])
        if self.y is None:
            t = np.array([self.t_final[i]])
            y = self.y_final[i][None, :].copy()
        else:
            t = self.t[:k].copy()
            y = self.y[i, :k].copy()
        return Solution(t, y, int(self.status[i]), self.message(i),
                        t_final=int(self.t_final[i]) if self._map else float(self.t_final[i]),
                        y_final=self.y_final[i].copy(), nfev=int(self.nfev[i]),
                        njev=int(self.njev[i]), nlu=int(self.nlu[i]), nsteps=int(self.nsteps[i]), naccepted=int(self.naccepted[i]),
                        nrejected=int(self.nrejected[i]), method=self.method,
                        exception=self.exceptions.get(i),
                        t_events=None if self.t_events is None else self.t_events[i],
                        y_events=None if self.y_events is None else self.y_events[i])

    def to_xarray(self, names=None):
        """The ensemble as an ``xarray.Dataset`` (needs ``pip install 'neurodyn[io]'``).

        Dimensions ``member`` (coordinate ``0 .. B-1``), ``time`` (coordinate ``t``) and
        ``state`` (coordinate ``names``, default ``0 .. n-1``); variables ``y`` (member, time,
        state; absent with ``save="final"``), ``y_final`` (member, state), and per member
        ``t_final``, ``status`` (its ``description`` says the codes), ``success``, ``nfev``,
        ``nsteps``, ``naccepted``, ``nrejected`` and ``n_out``. Attributes: ``method``,
        ``n_succeeded``, ``n_failed``, ``neurodyn_version``. Messages (``ens.message(i)``,
        formatted on demand: they would outweigh the states of a large ensemble), events and
        exceptions are left out (see ``ens[i]``).

        >>> from solvers import ODESystem, solve_ensemble
        >>> def decay(t, y, p, dydt):
        ...     dydt[0] = -p[0] * y[0]
        >>> ens = solve_ensemble(ODESystem(decay, 1, (1.0,)), (0.0, 1.0), [[1.0], [2.0]],
        ...                      t_eval=[0.0, 1.0])
        >>> ds = ens.to_xarray(names=["v"])
        >>> dict(ds.sizes), ds["y"].sel(state="v", time=1.0).values.round(6)
        ({'member': 2, 'time': 2, 'state': 1}, array([0.367879, 0.735759]))
        >>> ds["status"].values, ds.attrs["n_failed"]
        (array([0, 0]), 0)
        """
        from .solution import _version_attr, _xarray, state_names

        xr = _xarray("EnsembleSolution.to_xarray")
        m = ("member",)
        data = {}
        if self.y is not None:
            data["y"] = (("member", "time", "state"), self.y)
        data["y_final"] = (("member", "state"), self.y_final)
        for k in ("t_final", "status", "success", "nfev", "nsteps", "naccepted", "nrejected",
                  "n_out"):
            data[k] = (m, np.asarray(getattr(self, k)))
        data["status"] += ({"description": _STATUS_CODES},)
        ok = int(self.success.sum())
        attrs = {"method": self.method, "n_succeeded": ok, "n_failed": len(self) - ok,
                 **_version_attr()}
        coords = {"member": np.arange(len(self)), "time": np.asarray(self.t),
                  "state": state_names(names, self.y_final.shape[1])}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def __repr__(self):
        B = len(self)
        ok = int(self.success.sum())
        n = self.y_final.shape[1] if np.ndim(self.y_final) == 2 else "?"
        codes, counts = np.unique(self.status[self.status < SUCCESS], return_counts=True)
        why = ", ".join(f"status {int(c)}: {int(k)}" for c, k in zip(codes[:3], counts[:3]))
        why = f" ({why}{', ...' if codes.size > 3 else ''})" if codes.size else ""
        span = ""
        if B:
            lo, hi = float(np.min(self.t_final)), float(np.max(self.t_final))
            span = f", t_final={lo:.6g}" if lo == hi else f", t_final in [{lo:.6g}, {hi:.6g}]"
        nfev = int(np.sum(self.nfev)) if B else 0
        return (f"EnsembleSolution(method={self.method!r}, members={B}, n_states={n}, "
                f"len(t)={len(self.t)}, succeeded={ok}, failed={B - ok}{why}{span}, "
                f"nfev={nfev})")


# ---------------------------------------------------------------- members and their params


def _is_system_sequence(system):
    return isinstance(system, (list, tuple)) and not hasattr(system, "rhs") \
        and not hasattr(system, "step")


def _kernel_of(s, kind):
    return s.rhs if kind == "ode" else s.step


def _members(system, params, kind, what):
    """(reference system, list of member params or None) from the two ways of giving them."""
    if _is_system_sequence(system):
        systems = list(system)
        if not systems:
            raise ValueError(f"{what}: the sequence of systems is empty")
        if params is not None:
            raise ValueError(f"{what}: give a sequence of systems or params=, not both")
        ref = systems[0]
        _check_kind(ref, kind, what, "systems[0]")
        kern, jac, n = _kernel_of(ref, kind), getattr(ref, "jac", None), int(ref.n_states)
        plist = []
        for k, s in enumerate(systems):
            if k:
                _check_kind(s, kind, what, f"systems[{k}]")
                if _kernel_of(s, kind) is not kern or getattr(s, "jac", None) is not jac:
                    raise ValueError(
                        f"{what}: systems[{k}] ({_name(s)}) has another kernel than systems[0] "
                        f"({_name(ref)}); an ensemble runs one kernel (build the members with "
                        "replace() or with_params() of one model)")
                if int(s.n_states) != n:
                    raise ValueError(f"{what}: systems[{k}] has {int(s.n_states)} states, "
                                     f"systems[0] has {n}")
            plist.append(s.params)
        # Their layouts are checked column by column in _stack (a per-member _match cost
        # 15 us a member, more than many a member's whole integration).
        return ref, _Members(plist, "systems[{}].params")
    _check_kind(system, kind, what, "system")
    if params is None:
        return system, None
    if isinstance(params, tuple):
        # One params tuple for every member (an initial-condition ensemble with other values).
        return _Params(system, match_params(system.params, params, owner=_name(system))), None
    if not isinstance(params, list):
        raise InvalidTypeError(f"{what}: params must be a list of params tuples (one per "
                               f"member) or one tuple for all, got {type(params).__name__}")
    if not params:
        raise ValueError(f"{what}: params is an empty list: the ensemble has no members")
    for k, p in enumerate(params):
        if not isinstance(p, tuple):
            raise InvalidTypeError(f"{what}: params[{k}] must be a params tuple like the "
                                   f"system's, got {type(p).__name__}")
    return system, _Members(list(params), "params[{}]")


class _Members(list):
    """Members' params tuples, not yet checked against the reference layout (_stack does it,
    column by column, and names the first member that differs); ``where`` formats a member's
    name."""

    def __init__(self, items, where):
        super().__init__(items)
        self.where = where


class _Params:
    """A system stand-in carrying other params (only what the drivers read)."""

    def __init__(self, system, params):
        self._system = system
        self.params = params

    def __getattr__(self, name):
        return getattr(self._system, name)



def _check_kind(s, kind, what, where):
    if kind == "ode":
        if not (hasattr(s, "rhs") and hasattr(s, "params") and hasattr(s, "n_states")):
            if isinstance(s, MapSystem) or hasattr(s, "step"):
                raise TypeError(f"{what}() integrates continuous-time systems; {where} is a "
                                "map: use solvers.iterate_ensemble")
            _check_system(s, what)
    elif not (hasattr(s, "step") and hasattr(s, "params") and hasattr(s, "n_states")):
        if hasattr(s, "rhs"):
            raise TypeError(f"{what}() iterates discrete-time maps; {where} ({_name(s)}) is a "
                            "continuous-time system: use solvers.solve_ensemble")
        raise TypeError(f"{what}() needs a MapSystem, got {type(s).__name__} as {where}")


def _checked_member(ref, plist, k):
    """Member k's params normalised and matched against ``ref`` (raises naming it)."""
    where = plist.where.format(k) if isinstance(plist, _Members) else f"params[{k}]"
    return match_params(ref, plist[k], owner=where, where=where)


def _column_ok(r, col):
    """Whether every entry of a params column has the layout of the reference entry ``r``
    exactly as normalize_params leaves it (arrays: same dtype and shape; scalars: same type)."""
    if isinstance(r, np.ndarray):
        dt, sh = r.dtype, r.shape
        return all(type(c) is np.ndarray and c.dtype == dt and c.shape == sh for c in col)
    tr = type(r)
    return all(type(c) is tr for c in col)


# Up to this many bytes an array column is stacked first and compared with its first row in
# one vectorised pass; above it (large arrays, few members) members are compared one by one so
# that a shared 1000 x 1000 W is never copied per member.
_STACK_FIRST_BYTES = 1 << 26


def _frozen(a):
    a.flags.writeable = False
    return a


def _layout_ok(ref, rows):
    """Whether every member's params already have the reference layout, exactly as
    normalize_params leaves it (the common case: members built by one model's replace())."""
    if not all(type(p) is tuple and len(p) == len(ref) for p in rows):
        return False
    for k, r in enumerate(ref):
        col = [p[k] for p in rows]
        if not (_layout_ok(r, col) if isinstance(r, tuple) else _column_ok(r, col)):
            return False
    return True


def _stack(ref, plist):
    """The ensemble's params tuple and its layout (see ``_codegen.ensemble_loops_for``):
    entries equal in every member are shared as they are (a 1000 x 1000 W is not copied per
    member), the others stacked along a new leading member axis. Members' layouts are checked
    against ``ref`` column by column; when one differs, every member is normalised and matched
    one by one, which names the first that cannot be."""
    if not _layout_ok(ref, plist):
        plist = [_checked_member(ref, plist, k) for k in range(len(plist))]
    return _stack_checked(ref, plist, "params")


def _stack_checked(ref, plist, where):
    B = len(plist)
    out, layout = [], []
    for k, r in enumerate(ref):
        col = [p[k] for p in plist]
        if isinstance(r, tuple):
            sub, lay = _stack_checked(r, col, f"{where}[{k}]")
            out.append(sub)
            layout.append(lay)
            continue
        if isinstance(r, np.ndarray):
            if all(c is r for c in col):
                out.append(r)
                layout.append("s")
                continue
            if r.nbytes * B <= _STACK_FIRST_BYTES:
                st = np.stack(col)
                shared = bool((st == r).all())
            else:
                shared = all(c is r or np.array_equal(c, r) for c in col)
                if not shared:
                    check_allocation(f"the stacked {where}[{k}] of {B} members",
                                     (B,) + r.shape, r.dtype.itemsize)
                    st = np.stack(col)
            if shared:
                out.append(r)
                layout.append("s")
                continue
            if r.ndim == 0:
                raise ValueError(f"{where}[{k}] is a 0-d array that differs between members; "
                                 "make it a number or a 1-element array")
            out.append(_frozen(st))
        else:
            if all(c == r for c in col):
                out.append(r)
                layout.append("s")
                continue
            dtype = {bool: np.bool_, int: np.int64, float: np.float64}[type(r)]
            out.append(_frozen(np.array(col, dtype=dtype)))
        layout.append("v")
    return tuple(out), tuple(layout)


def _layout_shared(ref):
    return tuple(_layout_shared(r) if isinstance(r, tuple) else "s" for r in ref)


def _initial_states(y0, n, B, sysname, what="y0"):
    """y0 as a C-contiguous (B, n) array (a copy: the loops advance it in place)."""
    a = real_array(what, y0, finite=False)
    if a.ndim == 1:
        if B is None:
            raise ValueError(f"{what} has shape {a.shape}: an initial-condition ensemble needs "
                             f"{what} of shape (B, {n}), one row per member (or give several "
                             "systems or params for a parameter ensemble)")
        if a.size != n:
            raise ValueError(f"{what} has length {a.size}, but {sysname} has {n} states")
        Y = np.empty((B, n))
        Y[:] = a
    elif a.ndim == 2:
        if a.shape[1] != n:
            raise ValueError(f"{what} must have shape (B, {n}) (one row per member, one column "
                             f"per state of {sysname}), got {a.shape}")
        if B is not None and a.shape[0] != B:
            raise ValueError(f"{what} has {a.shape[0]} rows but the ensemble has {B} members")
        Y = np.array(a, dtype=np.float64, order="C")
    else:
        raise ValueError(f"{what} must have shape (B, {n}) or ({n},), got {a.shape}")
    if Y.shape[0] == 0:
        raise ValueError(f"{what} has no rows: the ensemble is empty")
    bad = ~np.isfinite(Y)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"{what}[{i}, {j}] is {Y[i, j]}: initial states must be finite")
    return Y


def _save_mode(save):
    if save not in ("all", "final"):
        raise ValueError(f"save must be 'all' or 'final', got {save!r}")
    return save


def _threads(n_threads, B):
    if n_threads is None:
        return max(1, min(_available_cores(), B))
    return count("n_threads", n_threads, low=1)


def _backend(backend):
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; known: {', '.join(map(repr, BACKENDS))}")
    return backend


class _Progress:
    """A tqdm bar over ``total`` units (members here; neurodyn.train.evolve counts
    generations), or nothing when ``enabled`` is False."""

    def __init__(self, enabled, total, desc, unit="member", initial=0):
        self.bar = None
        if isinstance(enabled, (bool, np.bool_)):
            enabled = bool(enabled)
        else:
            raise InvalidTypeError(f"progress must be True or False, got {enabled!r}")
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                raise ImportError("progress=True needs tqdm: pip install 'neurodyn[progress]' "
                                  "(or pip install tqdm)") from None
            self.bar = tqdm(total=total, initial=initial, desc=desc, unit=unit)

    def update(self, done, **postfix):
        """Advance to ``done`` units; ``postfix`` shown beside the bar (e.g. the best fitness)."""
        if self.bar is None:
            return
        if postfix:
            self.bar.set_postfix(postfix, refresh=False)
        if done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _run_members(B, n_threads, scratch, run, progress, desc):
    """Run members 0..B-1 (positions in the member order) in chunks on ``n_threads`` threads.

    ``run(a, b, s)`` runs positions [a, b) with the scratch ``s = scratch()`` of its thread and
    returns {member: exception} for members whose kernel raised. Chunks are taken from a shared
    counter (a thread that drew cheap members simply takes more) and sized from the measured
    cost per member to last about _CHUNK_SECONDS. Returns ``(errors, interrupted)``.
    """
    bar = _Progress(progress, B, desc)
    lock = threading.Lock()
    state = {"next": 0, "done": 0}
    errors = {}
    stop = threading.Event()
    first = max(1, min(16, B // (8 * n_threads)))

    def worker(single=False):
        s = scratch()
        size = first
        while not stop.is_set():
            with lock:
                a = state["next"]
                if a >= B:
                    return
                b = min(B, a + size)
                state["next"] = b
            start = time.perf_counter()
            errs = run(a, b, s)
            per = (time.perf_counter() - start) / (b - a)
            with lock:
                errors.update(errs)
                state["done"] += b - a
                left = B - state["next"]
            want = int(_CHUNK_SECONDS / per) if per > 0 else 4 * size
            size = max(1, min(want, 4 * size, max(1, left // n_threads)))
            if single:
                bar.update(state["done"])
                if flag.fired:
                    stop.set()

    flag = _SigintFlag()
    try:
        if n_threads == 1:
            worker(single=True)  # in this thread: Ctrl-C is seen between chunks
        else:
            with ThreadPoolExecutor(n_threads) as pool:
                futures = [pool.submit(worker) for _ in range(n_threads)]
                while wait(futures, timeout=0.05).not_done:
                    bar.update(state["done"])
                    if flag.fired:
                        stop.set()
                for f in futures:
                    f.result()  # an error of the driver itself (not a kernel's) surfaces here
        bar.update(state["done"])
    except KeyboardInterrupt:
        stop.set()
    finally:
        flag.restore()
        bar.close()
    return errors, state["done"] < B


def _unreached_rows_nan(out, n_out):
    if out.shape[1] == 0:
        return
    for i in np.flatnonzero(n_out < out.shape[1]):
        out[i, n_out[i]:] = np.nan


def _chunk_runner(fn, order, fixed_args, extra_args):
    """``run(a, b, s)`` for _run_members: the compiled chunk ``fn`` on positions [a, b) with
    the thread's scratch ``s`` (``s[0]`` the cursor; ``extra_args(s)`` the arguments after
    ``fixed_args``), resumed after a member whose kernel raised: that member's state arrays
    hold its last accepted step, the members before it are done."""

    def run(a, b, s):
        errs = {}
        cursor = s[0]
        tail = extra_args(s)
        while a < b:
            try:
                fn(order, a, b, cursor, *fixed_args, *tail)
                break
            except NumbaError:
                raise
            except Exception as err:
                j = int(cursor[0])
                errs[int(order[j])] = err
                a = j + 1
        return errs

    return run


# ------------------------------------------------------------------------------- solve_ensemble


def solve_ensemble(system, t_span, y0, *, params=None, method="dopri5", t_eval=None, rtol=1e-6,
                   atol=1e-9, dt=None, first_step=None, max_step=np.inf, max_steps=None,
                   save="all", backend="auto", n_threads=None, progress=False, events=None,
                   debug=False, dtype=None, keep_on_device=False):
    """Integrate many trajectories of one kernel: initial conditions, parameters, or both.

    Parameters
    ----------
    system : system, or a sequence of systems
        One system: ``y0`` of shape ``(B, n)`` makes an initial-condition ensemble. A sequence
        of systems that share one kernel (e.g. ``[net.replace(bias=b) for b in biases]``): a
        parameter ensemble; entries of their params that differ are stacked once along a
        member axis, equal ones are shared (not copied). A mix of kernels or sizes is refused,
        naming the first member that differs.
    t_span, method, rtol, atol, dt, first_step, max_step, max_steps, debug
        As :func:`solvers.solve`, the same for every member. Every method of ``solve``: the
        compiled ones (explicit, and the stiff ``rodas5p``, ``rodas4`` and ``radau5`` with a
        Jacobian and LU per member) run in parallel; SciPy's stiff steppers (``radau``, ``bdf``,
        ``lsoda``) run member by member in a thread pool, which their GIL-holding stepping
        leaves about as fast as a loop.
    y0 : array_like, shape (B, n) or (n,)
        ``(n,)`` is broadcast over a parameter ensemble.
    params : list of params tuples, or one tuple, optional
        The raw form of a parameter ensemble: a *list* with one params tuple per member (each
        of ``system.params``' layout). A single *tuple* is one params tuple for all members.
    t_eval : array_like, optional
        Output times shared by all members. With ``save="all"`` the adaptive methods need it
        (their members take different steps); fixed-step methods default to every step.
    save : "all" or "final"
        ``"final"`` keeps only each member's last state (``y`` is None), so 10^6 members fit.
    backend : "auto", "cpu" or "cuda"
        ``"cpu"``: the cores of this machine. ``"cuda"``: one member per GPU thread (the
        ``gpu`` extra and an NVIDIA GPU; methods ``euler``, ``heun``, ``rk4``, ``bs32``,
        ``dopri5``, ``tsit5``; no events), each member with its own step size and controller,
        the CPU's algorithm (float64 results agree with the CPU to rounding). ``"auto"``
        (default): ``"cuda"`` when a GPU is present, the run fits it (method, no events,
        ``debug=False``) and the ensemble has at least
        :func:`solvers.cuda_ensemble.gpu_min_members` members; else ``"cpu"``.
    dtype : numpy.float64 (default) or numpy.float32
        The GPU's precision for states, stages and params (``backend="cuda"`` only; time, step
        size and error norm stay float64). A tolerance below float32's resolution warns.
    keep_on_device : bool
        ``backend="cuda"``: leave ``y`` and ``y_final`` on the GPU as CuPy arrays (views in
        ``(B, k, n)`` order) for work that continues there; per-member statistics come back.
    n_threads : int, optional
        Worker threads (default: the cores this process may use). Results do not depend on it.
    progress : bool
        Show a tqdm progress bar over members (the ``progress`` extra).
    events : as :func:`solvers.solve`, optional
        Located per member; ``ens[i].t_events`` / ``y_events`` are those of ``solve`` of
        member i, and a terminal event ends that member alone (status 1). Members with events
        run one ``solve`` each on the worker threads.

    Returns
    -------
    EnsembleSolution
        Per member: the trajectory, status, message and statistics of ``solve`` of that member
        (bit for bit). A member that fails (blows up, raises, hits the step limit) stops alone
        with its partial trajectory; the others finish.

    Raises
    ------
    solvers.Interrupted
        On Ctrl-C: its ``solution`` is the EnsembleSolution with the finished members; the ones
        not run have status -7.

    Example
    -------
    >>> import numpy as np
    >>> from solvers import ODESystem, solve_ensemble
    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -p[0] * y[0]
    >>> base = ODESystem(decay, 1, (1.0,))
    >>> ens = solve_ensemble([base.with_params((k,)) for k in (1.0, 2.0, 3.0)], (0.0, 1.0),
    ...                      [1.0], t_eval=[0.0, 1.0], rtol=1e-10, atol=1e-12)
    >>> ens.y.shape
    (3, 2, 1)
    >>> bool(np.allclose(ens.y[:, -1, 0], np.exp(-np.array([1.0, 2.0, 3.0])), atol=1e-9))
    True
    """
    what = "solve_ensemble"
    _backend(backend)
    dtype = _dtype(dtype, backend)
    if not isinstance(keep_on_device, (bool, np.bool_)):
        raise InvalidTypeError(f"keep_on_device must be True or False, got {keep_on_device!r}")
    if keep_on_device and backend != "cuda":
        raise ValueError("keep_on_device=True needs backend='cuda' (results of the CPU "
                         "backend are in host memory)")
    ref, plist = _members(system, params, "ode", what)
    method = _method(method)
    n = int(ref.n_states)
    t0, t1 = _time_span(t_span)
    Y = _initial_states(y0, n, None if plist is None else len(plist), _name(ref))
    B = Y.shape[0]
    if getattr(ref, "check_initial_state", None) is not None:
        for i in range(B):
            try:
                _domain_check(ref, Y[i])
            except ValueError as err:
                raise ValueError(f"y0[{i}]: {err}") from None
    rtol, atol_v, te, max_step, max_steps, first_step, dt, debug = _step_options(
        method, n, t0, t1, rtol, atol, t_eval, max_step, max_steps, first_step, dt, debug)
    save = _save_mode(save)
    n_threads = _threads(n_threads, B)
    fixed = method in tableaus.FIXED
    if not fixed and save == "all" and te is None:
        raise ValueError(f"save='all' with the adaptive method {method!r} needs t_eval: each "
                         "member takes its own steps, so they share no output times; pass "
                         "t_eval, or save='final'")
    if backend != "cpu":
        backend = _pick_backend(backend, method, B, events, debug, t0, t1)
    if backend == "cuda":
        stacked = ((ref.params, _layout_shared(ref.params)) if plist is None
                   else _stack(ref.params, plist))
        return _solve_ensemble_cuda(ref, stacked, Y, method, t0, t1, te, save, rtol, atol_v, dt,
                                    first_step, max_step, max_steps, dtype, keep_on_device,
                                    progress)
    if (method in STIFF or events is not None or t1 == t0
            or (not fixed and max_step < np.spacing(max(abs(t0), abs(t1))))):
        kw = dict(rtol=rtol, atol=atol_v, first_step=first_step, max_step=max_step,
                  max_steps=max_steps, debug=debug, events=events)
        if fixed:
            kw["dt"] = dt
        return _ensemble_by_solve(ref, plist, Y, method, (t0, t1), te, save, n_threads, progress,
                                  kw)
    if plist is None:
        P, layout = ref.params, _layout_shared(ref.params)
    else:
        P, layout = _stack(ref.params, plist)
    tab = tableaus.get(method)
    mod = ensemble_loops_for("ode", ref.rhs, getattr(ref, "jac", None), tab, layout,
                             boundscheck=debug)
    stiff = method in COMPILED_STIFF
    S = tab.stages if stiff else tab.C.size
    order = np.arange(B, dtype=np.int64)
    SI = np.zeros((B, _SI_STIFF_SIZE if stiff else _SI_SIZE), dtype=np.int64)
    SI[:, _SI_STATUS] = _NOT_RUN
    SF = np.zeros((B, _SF_STIFF_SIZE if stiff else _SF_SIZE))
    SF[:, 0] = t0
    SF[:, 3] = 1.0 if t1 > t0 else -1.0
    sdt = None
    if fixed:
        n_steps, steps = _fixed_steps(t0, t1, dt, max_steps)
        sdt = dt if t1 > t0 else -dt
        SF[:, 1] = sdt
    else:
        steps = DEFAULT_MAX_STEPS if max_steps is None else max_steps
        SF[:, 1] = 0.0 if first_step is None else first_step
        SF[:, 2] = 1e-4
    # Output rows: none with save="final" (the final state is Y itself), t_eval's, or (fixed
    # steps without t_eval) one per step.
    if save == "final" or te is None:
        te_arr, rows = np.empty(0), (0 if save == "final" else steps + 1)
    else:
        te_arr, rows = te, te.size
    use_te = save == "final" or te is not None
    check_allocation(f"the output of {B} members", (B, rows, n),
                     hint="save='final' keeps only the last state of each member")
    # Not filled here: the members' threads touch their own rows first (a NaN fill up front
    # doubled the memory traffic of a 3001-output sweep); rows a member did not reach are
    # set to NaN afterwards.
    OUT_Y = np.empty((B, rows, n))
    D = 3 if fixed else (tab.dense_rows if stiff else tab.P.shape[1])
    w_rows = 6 if fixed else D + 4  # as solve's scratch W

    made = []  # the stiff scratch matrices, whose sparse factorisations are released at the end

    def scratch():
        cursor = np.zeros(1, dtype=np.int64)
        # out_t.size is the number of output rows the loops write (m): exactly rows. No dense
        # segments, no events: empty arrays of the types solve passes (one signature).
        work = (_stiff_scratch(tab, n) if stiff
                else (np.empty((S, n)), np.empty((w_rows, n))))
        if stiff:
            made.extend(a for a in work[3:] if a.ndim == 2)
        return (cursor, np.empty(rows), *work, False,
                np.empty(0), np.empty(0), np.empty((0, D + 1, n)), np.zeros((4, 0)),
                np.zeros((3, 0), dtype=np.int64), np.empty(0), np.empty(0, dtype=np.int64),
                np.empty((0, n)))

    if stiff:
        before = (t1, te_arr, True, rtol, atol_v, max_step, steps, P, SAFETY, FACMIN, FACMAX,
                  SF, SI, Y, OUT_Y)
        fn = mod.ens_radau if method == "radau5" else mod.ens_rodas
    elif fixed:
        before = (t0, _fixed_end(t0, t1, sdt, steps, n_steps), sdt, steps, te_arr, use_te, P,
                  SF, SI, Y, OUT_Y)
        fn = mod.ens_fixed
    else:
        before = (t1, te_arr, True, rtol, atol_v, max_step, steps, P, tab.error_order, SAFETY,
                  FACMIN, FACMAX, PI_BETA_K / (tab.error_order + 1), SF, SI, Y, OUT_Y)
        fn = mod.ens_adaptive
    run = _chunk_runner(fn, order, before, lambda s: s[1:])
    # Compile (or load) in this thread, before any worker: a kernel Numba cannot compile is
    # reported as by solve, not from inside a thread.
    try:
        s0 = scratch()
        fn(order, 0, 0, s0[0], *before, *s0[1:])
    except NumbaError as e:
        raise _compile_error(ref, e) from None
    try:
        errors, interrupted = _run_members(B, n_threads, scratch, run, progress, what)
    finally:
        for E in made:
            _sparse_lu.release(E)
    _unreached_rows_nan(OUT_Y, SI[:, _SI_NOUT])
    status = SI[:, _SI_STATUS].copy()
    details = {}
    if stiff:
        for i in np.flatnonzero(status == FAILED).tolist():
            details[i] = _stiff_message(FAILED, float(SF[i, 0]), float(SF[i, 1]), steps, ref,
                                        None, debug)
    for i, err in errors.items():
        status[i] = KERNEL_ERROR
        details[i] = _message(KERNEL_ERROR, float(SF[i, 0]),
                              detail=_kernel_error_detail(ref, err, float(SF[i, 0]), debug))
    not_run = status == _NOT_RUN
    status[not_run] = INTERRUPTED
    nacc = SI[:, _SI_NACC].copy()
    nrej = SI[:, _SI_NREJ].copy() if not fixed else np.zeros(B, dtype=np.int64)
    if fixed:
        status[(status == SUCCESS) & (nacc < n_steps)] = MAX_STEPS
    t_out = _output_times(save, te, t0, t1, sdt, rows, steps, n_steps if fixed else 0)
    ens = EnsembleSolution(t_out, OUT_Y if save == "all" else None, Y, SF[:, 0].copy(), status,
                           SI[:, _SI_NFEV].copy(), nacc + nrej, nacc, nrej,
                           SI[:, _SI_NOUT].copy() if save == "all" else np.ones(B, np.int64),
                           method, h_final=SF[:, 1].copy(), max_steps=steps, details=details,
                           exceptions=errors,
                           njev=SI[:, _SI_NJEV].copy() if stiff else None,
                           nlu=SI[:, _SI_NLU].copy() if stiff else None)
    if interrupted:
        raise Interrupted(ens)
    return ens


def _output_times(save, te, t0, t1, sdt, rows, steps, n_steps):
    """The ensemble's output times: t1 alone (save="final"), t_eval, or every fixed step
    (``rows`` of them; the last is t1 when the run was not cut short by max_steps)."""
    if save == "final":
        return np.array([t1])
    if te is not None:
        return te.copy()
    t_out = t0 + sdt * np.arange(rows, dtype=float)
    if rows and steps == n_steps:
        t_out[-1] = t1
    return t_out


def _dtype(dtype, backend):
    if dtype is None:
        return np.dtype(np.float64)
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise InvalidTypeError(f"dtype must be numpy.float64 or numpy.float32, got {dtype!r}") \
            from None
    if d not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype must be numpy.float64 or numpy.float32, got {d}")
    if d == np.float32 and backend != "cuda":
        raise ValueError("dtype=float32 needs backend='cuda' (the CPU backend integrates in "
                         "float64)")
    return d


def _pick_backend(backend, method, B, events, debug, t0, t1):
    """'cuda' or 'cpu' for backend 'auto'; for 'cuda', refuse what the GPU kernels lack."""
    from . import cuda_ensemble

    why = None
    if method not in cuda_ensemble.CUDA_METHODS:
        why = (f"method {method!r} has no GPU kernel (GPU methods: "
               f"{', '.join(cuda_ensemble.CUDA_METHODS)})")
    elif events is not None:
        why = "events are located on the CPU only"
    elif debug:
        why = "debug=True (bounds-checked loops) runs on the CPU only"
    elif t0 == t1:
        why = "t0 == t1 (nothing to integrate)"
    if backend == "cuda":
        if why is not None:
            raise ValueError(f"backend='cuda': {why}; use backend='cpu'")
        return "cuda"
    if why is None and B >= cuda_ensemble.gpu_min_members() and cuda_ensemble.cuda_available():
        return "cuda"
    return "cpu"


def _solve_ensemble_cuda(ref, stacked, Y, method, t0, t1, te, save, rtol, atol_v, dt, first_step,
                         max_step, max_steps, dtype, keep_on_device, progress):
    """The cuda backend; ``stacked`` is the ensemble's (params, layout) as from _stack."""
    from . import cuda_ensemble

    B, n = Y.shape
    tab = tableaus.get(method)
    fixed = method in tableaus.FIXED
    if not fixed:
        warn_float32_tolerance(dtype, rtol, stacklevel=4)
    P, layout = stacked
    if keep_on_device:
        try:
            import cupy  # noqa: F401
        except ImportError:
            raise ImportError("keep_on_device=True returns CuPy arrays: pip install "
                              "'neurodyn[gpu]' (CuPy for CUDA 12)") from None
    if fixed:
        n_steps, steps = _fixed_steps(t0, t1, dt, max_steps)
        if save == "all" and te is None:
            check_allocation(f"the output of {B} members", (B, steps + 1, n))
    else:
        n_steps = 0
        steps = DEFAULT_MAX_STEPS if max_steps is None else max_steps
    bar = _Progress(progress, B, "solve_ensemble (cuda)")
    try:
        r = cuda_ensemble.run(ref, P, layout, Y, tab, t0, t1, te, save, rtol, atol_v, dt,
                              first_step, max_step, steps, n_steps, dtype, keep_on_device,
                              bar if progress else None)
    finally:
        bar.close()
    status = r["status"].astype(np.int64)
    nacc, nrej = r["nacc"].astype(np.int64), r["nrej"].astype(np.int64)
    nfev, nout, t_final = r["nfev"].astype(np.int64), r["nout"].astype(np.int64), r["t_final"]
    # members never launched (Ctrl-C between launches): their device records were not written
    left = slice(r["launched"], None)
    status[left] = INTERRUPTED
    for a in (nacc, nrej, nfev, nout):
        a[left] = 0
    t_final[left] = t0
    r["h"][left] = np.nan
    if isinstance(r["y"], np.ndarray):
        _unreached_rows_nan(r["y"], nout)  # the launched members' kernels wrote theirs
    if fixed:
        status[(status == SUCCESS) & (nacc < n_steps)] = MAX_STEPS
    t_out = _output_times(save, te, t0, t1, (dt if t1 > t0 else -dt) if fixed else None,
                          steps + 1, steps, n_steps)
    ens = EnsembleSolution(t_out, r["y"], r["y_final"], t_final, status, nfev, nacc + nrej,
                           nacc, nrej, nout if save == "all" else np.ones(B, np.int64),
                           method, h_final=r["h"], max_steps=steps)
    if r.get("interrupted"):
        raise Interrupted(ens)
    return ens


def _ensemble_by_solve(ref, plist, Y, method, t_span, te, save, n_threads, progress, kw):
    """Members one ``solve`` each, in a thread pool: the stiff (SciPy) methods, and runs whose
    max_step cannot advance t (solve reports those before stepping)."""
    B, n = Y.shape
    if save == "all" and te is None:
        # fixed steps without t_eval: every step, the same grid for every member
        n_steps, _ = _fixed_steps(t_span[0], t_span[1], kw["dt"], kw.get("max_steps"))
        rows = n_steps + 1
    else:
        rows = 0 if save == "final" else te.size
    check_allocation(f"the output of {B} members", (B, rows, n))
    OUT_Y = np.full((B, rows, n), np.nan)
    out = {}

    def run(a, b, _s):
        for i in range(a, b):
            out[i] = solve(ref, t_span, Y[i], method=method,
                           t_eval=te if save == "all" else None,
                           params=None if plist is None else plist[i], **kw)
        return {}

    errors, interrupted = _run_members(B, n_threads, lambda: None, run, progress,
                                       "solve_ensemble")
    status = np.full(B, INTERRUPTED, dtype=np.int64)
    t_final = np.full(B, t_span[0])
    nfev = np.zeros(B, np.int64)
    nsteps = np.zeros(B, np.int64)
    nout = np.zeros(B, np.int64)
    details, exceptions = {}, {}
    with_events = kw.get("events") is not None
    t_events = [None] * B if with_events else None
    y_events = [None] * B if with_events else None
    for i, sol in out.items():
        if with_events:
            t_events[i], y_events[i] = sol.t_events, sol.y_events
        status[i] = sol.status
        t_final[i] = sol.t_final
        nfev[i] = sol.nfev
        nsteps[i] = sol.nsteps
        Y[i] = sol.y_final
        details[i] = sol.message
        if sol.exception is not None:
            exceptions[i] = sol.exception
        if save == "all":
            k = len(sol.t)
            OUT_Y[i, :k] = sol.y
            nout[i] = k
        else:
            nout[i] = 1
    if save == "final":
        t_out = np.array([t_span[1]])
    elif te is not None:
        t_out = te.copy()
    else:
        longest = max(out.values(), key=lambda sol: len(sol.t), default=None)
        t_out = np.full(rows, np.nan)
        if longest is not None:
            t_out[:len(longest.t)] = longest.t
    ens = EnsembleSolution(t_out, OUT_Y if save == "all" else None, Y, t_final, status, nfev,
                           nsteps, nsteps.copy(), np.zeros(B, np.int64), nout, method,
                           details=details, exceptions=exceptions, t_events=t_events,
                           y_events=y_events)
    if interrupted:
        raise Interrupted(ens)
    return ens


# ------------------------------------------------------------------------------ iterate_ensemble


def iterate_ensemble(map_system, x0, n_steps, *, params=None, transient=0, save_every=1, k0=0,
                     save="all", n_threads=None, progress=False, debug=False):
    """Iterate many members of one discrete-time map (initial states, parameters, or both).

    The ensemble counterpart of :func:`solvers.iterate`, in the same way as
    :func:`solve_ensemble` is that of ``solve``: ``map_system`` is one MapSystem (then ``x0``
    has shape ``(B, n)``) or a sequence of MapSystems sharing one kernel, ``params`` a list of
    params tuples. Orbit diagrams over thousands of parameter values are the typical use.

    Returns an :class:`EnsembleSolution` whose ``t`` are the saved iteration indices and ``y``
    (``(B, k, n)``; None with ``save="final"``) the states.

    Example
    -------
    >>> import numpy as np
    >>> from solvers import MapSystem, iterate_ensemble
    >>> def logistic(k, x, p, out):
    ...     out[0] = p[0] * x[0] * (1.0 - x[0])
    >>> base = MapSystem(logistic, 1, (2.0,))
    >>> ens = iterate_ensemble(base, [0.1], 500, params=[(r,) for r in (2.5, 2.8)],
    ...                        save="final")
    >>> ens.y_final[:, 0].round(6)   # the fixed points 1 - 1/r
    array([0.6     , 0.642857])
    """
    what = "iterate_ensemble"
    ref, plist = _members(map_system, params, "map", what)
    n = int(ref.n_states)
    X = _initial_states(x0, n, None if plist is None else len(plist), _name(ref), what="x0")
    B = X.shape[0]
    n_steps = count("n_steps", n_steps, low=0)
    transient = count("transient", transient, low=0)
    save_every = count("save_every", save_every, low=1)
    k0 = count("k0", k0, low=-(2 ** 62))
    save = _save_mode(save)
    debug = _debug_flag(debug)
    n_threads = _threads(n_threads, B)
    if plist is None:
        P, layout = ref.params, _layout_shared(ref.params)
    else:
        P, layout = _stack(ref.params, plist)
    mod = ensemble_loops_for("map", ref.step, getattr(ref, "jac", None), None, layout,
                             boundscheck=debug)
    m = n_steps // save_every + 1
    keep = save == "all"
    check_allocation(f"the iterates of {B} members", (B, m if keep else 0, n),
                     hint="save='final' keeps only the last state, save_every fewer")
    OUT_X = np.empty((B, m if keep else 0, n))  # unreached rows set to NaN afterwards
    SI = np.zeros((B, 4), dtype=np.int64)
    SI[:, _SI_STATUS] = _NOT_RUN
    SI[:, _MAP_K] = k0
    order = np.arange(B, dtype=np.int64)

    def scratch():
        return (np.zeros(1, dtype=np.int64), np.empty(m, np.int64),
                np.empty((0 if keep else m, n)))

    before = (X, SI, n_steps, transient, save_every, P)

    def after(s):
        return (s[1], OUT_X, keep, s[2] if not keep else np.empty((0, n)))

    runner = _chunk_runner(mod.ens_iterate, order, before, after)
    try:
        s0 = scratch()
        mod.ens_iterate(order, 0, 0, s0[0], *before, *after(s0))
    except NumbaError as e:
        raise _compile_error(ref, e, kernel="step(k, x, p, x_next)") from None
    errors, interrupted = _run_members(B, n_threads, scratch, runner, progress, what)
    _unreached_rows_nan(OUT_X, SI[:, _MAP_NOUT])
    status = SI[:, _SI_STATUS].copy()
    details = {}
    for i, err in errors.items():
        status[i] = KERNEL_ERROR
        details[i] = _kernel_error_detail(ref, err, int(SI[i, _MAP_K]), debug,
                                          where="the iteration from k")
    status[status == _NOT_RUN] = INTERRUPTED
    done = SI[:, _MAP_DONE].copy()
    t_out = k0 + transient + save_every * np.arange(m, dtype=np.int64) if keep \
        else np.array([k0 + transient + n_steps], dtype=np.int64)
    ens = EnsembleSolution(t_out, OUT_X if keep else None, X, SI[:, _MAP_K].copy(), status, done,
                           done, done, np.zeros(B, np.int64),
                           SI[:, _MAP_NOUT].copy() if keep else np.ones(B, np.int64), "iterate",
                           details=details, exceptions=errors, map_=(n_steps, transient))
    if interrupted:
        raise Interrupted(ens)
    return ens
