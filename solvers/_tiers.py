"""Interpreted start: a loop runs as plain Python while Numba compiles it in the background.

Compiling a generated loop module takes seconds (the adaptive loop of W1: ~4-5 s cold), which
is most of the time a small first solve waits. The loops are resumable functions of plain
restricted Python (``_ode_loops.py``, ``_map_loops.py``), so the very same source also runs
under CPython. When a process first asks for a loop that is not compiled yet:

* the kernel itself is compiled (standalone, well under a second), and the *interpreted twin*
  of the loop -- the module's source executed by Python, calling the compiled kernel -- runs
  the solve in short chunks;
* meanwhile one background thread compiles (or loads from the on-disk cache) the loop;
* at the first chunk boundary after it is ready the run continues in compiled code, from the
  same state arrays. A solve that is still interpreting after ``MAX_INTERPRETED`` seconds
  stops interpreting and waits for the compiler.

The interpreted twin is the same arithmetic on the same IEEE doubles in the same order
(Numba does not contract or reassociate floating-point operations, and the kernel is the
compiled one), so a run gives the same numbers bit for bit whichever tier computed it (tested
for every method). Python raises where compiled code quietly produces inf or NaN (NumPy's
scalar warnings are made errors here): any exception in the interpreted tier restores the run's
initial state and redoes it in compiled code, so faults are always reported as compiled code
reports them.

``NEURODYN_BACKGROUND_COMPILE=0`` in the environment turns this off (every loop is compiled
before its first run, as with plain Numba). ``NEURODYN_BACKGROUND_COMPILE=demand`` keeps the
interpreted start but compiles a loop only when a run waits for it (one that interprets past
``MAX_INTERPRETED``, is redone in compiled code, or asks through ``wait_for``): a loop whose
runs all finish interpreted is never compiled. That suits a process of many short solves of
many kernels that ends soon -- a test suite -- where compiling every loop it touched would be
most of its time; the default compiles them all, so the process's later runs and the next
process find them compiled.
"""
from __future__ import annotations

import atexit
import builtins
import collections
import contextlib
import os
import threading
import types

import numba

__all__ = ["ENABLED", "interpreted", "on_disk", "submit", "wait", "wait_for", "Job"]

_MODE = os.environ.get("NEURODYN_BACKGROUND_COMPILE", "1").strip().lower()
ENABLED = _MODE not in ("0", "false", "no", "off")
# Compile only the jobs some run waits for (see the module's docstring).
ON_DEMAND = _MODE in ("demand", "on-demand", "on_demand")
# A solve interprets for at most this long (wall time, this call) before waiting for the
# compiler: a big problem gains nothing from the interpreter and would slow the compiler down
# (both need the GIL).
MAX_INTERPRETED = 0.5
# Interpreted chunks are sized to take about this long, so that a compiled loop that becomes
# ready (and a Ctrl-C) is noticed promptly.
CHUNK_SECONDS = 0.02
# What the tiers did in this process (runs started interpreted, chunks run interpreted, runs
# that moved on to compiled code, runs redone in compiled code after the interpreter raised).
stats = {"runs": 0, "chunks": 0, "switches": 0, "redone": 0}
# Tests only: run every loop interpreted from start to end (see interpreting_only).
FORCE = False


@contextlib.contextmanager
def interpreting_only():
    """Every run in this block starts interpreted and stays so (tests: the interpreted twin
    must give the compiled loop's numbers bit for bit). A run whose interpreter raises is
    still redone in compiled code."""
    global FORCE
    old, FORCE = FORCE, True
    try:
        yield
    finally:
        FORCE = old


class _NumbaShim(types.ModuleType):
    """``numba`` as the interpreted twin sees it: ``njit`` leaves functions as they are."""

    def njit(self, *args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda fn: fn

    def objmode(self, *args, **kwargs):
        # an object-mode block is plain Python already
        return contextlib.nullcontext()


_SHIM = _NumbaShim("numba")


def _import(name, *args, **kwargs):
    if name == "numba":
        return _SHIM
    return builtins.__import__(name, *args, **kwargs)


_BUILTINS = dict(builtins.__dict__, __import__=_import)
_twins: dict = {}
_twins_lock = threading.Lock()
_standalone_kernels: dict = {}
# The kernels a loop module may hold, by the names the templates give them.
_KERNEL_NAMES = ("rhs", "step", "jac")


def _standalone(dispatcher, ours):
    """The kernel as the interpreted twin calls it: compiled on its own, in memory.

    Not the dispatcher the loops inline from: called from Python, that one would compile
    itself into Numba's on-disk cache, which Numba keys on the kernel's file alone -- a helper
    edited in another file would then be served stale in the next process (the loop modules'
    own keys follow helpers across files; see solvers._codegen). A user's own ``@njit`` kernel
    (``ours`` False) is called as the user compiled it.
    """
    if dispatcher is None or not ours:
        return dispatcher
    twin = _standalone_kernels.get(dispatcher)
    if twin is None:
        opts = {k: v for k, v in dispatcher.targetoptions.items()
                if k not in ("cache", "inline", "nopython")}
        twin = _standalone_kernels[dispatcher] = numba.njit(**opts)(dispatcher.py_func)
    return twin


def interpreted(mod):
    """The interpreted twin of a generated loop module: a namespace in which the module's
    source ran with ``numba.njit`` as the identity, and the same injected globals (the
    kernels stay compiled Numba dispatchers).

    >>> from solvers._codegen import loops_for
    >>> from solvers import tableaus
    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -y[0]
    >>> twin = interpreted(loops_for("ode", decay, tableau=tableaus.get("rk4")))
    >>> type(twin["rk_fixed"]).__name__
    'function'
    """
    key = id(mod)
    with _twins_lock:
        ns = _twins.get(key)
        if ns is None:
            ns = {"__builtins__": _BUILTINS, "__name__": f"{mod.__name__}__interpreted"}
            ns.update(mod._nd_globals)
            ours = mod._nd_ours
            for name in list(ns):
                if name in _KERNEL_NAMES or (name.startswith("ev") and name[2:].isdigit()):
                    ns[name] = _standalone(ns[name], id(ns[name]) in ours)
            exec(compile(mod._nd_source, f"<interpreted {mod.__name__}>", "exec"), ns)
            _twins[key] = (mod, ns)  # mod kept alive so its id is never reused
        else:
            ns = ns[1]
        return ns


def on_disk(dispatcher):
    """Whether Numba's on-disk cache holds machine code of ``dispatcher`` (its index file
    exists): then loading it (~0.1 s) beats starting interpreted."""
    try:
        return os.path.exists(dispatcher._cache._cache_file._index_path)
    except AttributeError:  # no cache for this function (or another Numba's internals)
        return False


class Job:
    """One loop signature being compiled (or loaded from the cache) in the background."""

    __slots__ = ("dispatcher", "sig", "done", "error", "started", "wanted")

    def __init__(self, dispatcher, sig):
        self.dispatcher = dispatcher
        self.sig = sig
        self.done = threading.Event()
        self.error = None
        self.started = False
        self.wanted = False  # a run waits for it (the only jobs compiled when ON_DEMAND)


class _Compiler:
    """One daemon thread compiling queued jobs in order (Numba compiles one function at a time
    anyway: its compiler holds a global lock)."""

    def __init__(self):
        self._reset()

    def _reset(self):
        self._cv = threading.Condition()
        self._queue = collections.deque()
        self._jobs = {}
        self._thread = None
        self._current = None
        self._paused = False

    # A fork while the thread compiles would leave the child with Numba's compiler lock held
    # by a thread that does not exist there (its first compilation would hang): the parent
    # lets the compilation under way finish and starts no other until the fork is done; the
    # child starts with no thread and no jobs (it compiles what it needs itself).
    def before_fork(self):
        with self._cv:
            self._paused = True
            while self._current is not None:
                self._cv.wait()

    def after_fork_in_parent(self):
        with self._cv:
            self._paused = False
            self._cv.notify_all()

    def after_fork_in_child(self):
        self._reset()

    def submit(self, dispatcher, args):
        sig = tuple(dispatcher.typeof_pyval(a) for a in args)
        key = (id(dispatcher), sig)
        with self._cv:
            job = self._jobs.get(key)
            if job is not None:
                return job
            job = self._jobs[key] = Job(dispatcher, sig)
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="neurodyn-compiler",
                                                daemon=True)
                self._thread.start()
            self._cv.notify()
            return job

    def promote(self, job):
        """Compile ``job`` next (someone waits for it)."""
        with self._cv:
            job.wanted = True
            if not job.started and job in self._queue:
                self._queue.remove(job)
                self._queue.appendleft(job)
            self._cv.notify_all()

    def _next_ready(self):
        # promote() puts wanted jobs first, so on demand only the head needs a look
        if self._paused or not self._queue:
            return False
        return not ON_DEMAND or self._queue[0].wanted

    def _run(self):
        while True:
            with self._cv:
                while not self._next_ready():
                    self._cv.wait()
                job = self._queue.popleft()
                job.started = True
                self._current = job
            try:
                job.dispatcher.compile(job.sig)
            except BaseException as err:  # reported when a run switches to the compiled loop
                job.error = err
            finally:
                with self._cv:
                    self._current = None
                    self._cv.notify_all()
                job.done.set()

    def pending(self, dispatcher=None):
        with self._cv:
            return [j for j in self._jobs.values() if not j.done.is_set()
                    and (dispatcher is None or j.dispatcher is dispatcher)]

    def current(self):
        with self._cv:
            return self._current


_compiler = _Compiler()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_compiler.before_fork,
                        after_in_parent=_compiler.after_fork_in_parent,
                        after_in_child=_compiler.after_fork_in_child)


def submit(dispatcher, args):
    """Queue the compilation of ``dispatcher`` for the types of ``args``; the :class:`Job`."""
    return _compiler.submit(dispatcher, args)


def wait(job, should_stop=None, poll=0.02):
    """Wait until ``job`` is compiled; False if ``should_stop()`` became true first."""
    _compiler.promote(job)
    while not job.done.wait(poll):
        if should_stop is not None and should_stop():
            return False
    return True


def wait_for(dispatcher=None):
    """Wait for every queued compilation (of ``dispatcher`` only, if given)."""
    for job in _compiler.pending(dispatcher):
        wait(job)


@atexit.register
def _finish_current():
    # The job being compiled when the program ends is finished, so its machine code reaches
    # the on-disk cache and the next process starts warm; queued ones are dropped.
    job = _compiler.current()
    if job is not None:
        job.done.wait(120.0)
