"""Compile-once machinery: one generated loop module per (kernel, method), cached on disk.

Numba's ``cache=True`` is only hit when a module-level function in a real ``.py`` file reaches
its kernel as a *global*; a kernel passed as an argument or captured in a closure is recompiled
in every new process (measured, see DESIGN.md). So for each kernel we write a copy of a loop
template (``_ode_loops.py`` or ``_map_loops.py``) into the code cache, import it with the kernel
injected as a global and the method's tableau as constants, and let Numba cache its functions
beside it. The file name carries a hash of the template, the kernel's source file, the tableau
and the Numba/Python versions, so an edited kernel gets a new module instead of stale machine
code.

Kernels that have no source file or close over variables (lambdas typed at a prompt, kernels
built by factories) cannot be cached safely — Numba freezes closure values into the machine code —
so they are compiled in memory, once per process.
"""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
import threading
import types
from pathlib import Path

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

__all__ = ["cache_dir", "loops_for", "jit_kernel"]

_HERE = Path(__file__).resolve().parent
_TEMPLATES = {"ode": (_HERE / "_ode_loops.py", "rhs"), "map": (_HERE / "_map_loops.py", "step")}
# Compiled helpers the templates import; Numba compiles them into the cached loops, so their
# source is part of every loop module's cache key.
_TEMPLATE_HELPERS = (_HERE / "_variational.py",)
# Kernels are inlined into the loops at Numba-IR level: LLVM alone declined to inline the CTRNN
# kernel, and the call boundary cost 11 % of a W1 solve (measured).
_KERNEL_JIT = {"nogil": True, "inline": "always"}
_lock = threading.RLock()
_modules: dict = {}
_jitted: dict = {}
_cache_dir: Path | None = None


def cache_dir() -> Path | None:
    """Directory of generated loop modules (None when no writable place was found).

    ``$NEURODYN_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/neurodyn`` or ``~/.cache/neurodyn``,
    with a sub-folder per Python and Numba version.

    >>> d = cache_dir()
    >>> d is None or d.is_dir()
    True
    """
    global _cache_dir
    if _cache_dir is not None:
        return _cache_dir
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}-numba{numba.__version__}"
    env = os.environ.get("NEURODYN_CACHE_DIR")
    if env:
        candidates = [Path(env)]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg else Path.home() / ".cache"
        candidates = [base / "neurodyn",
                      Path(tempfile.gettempdir()) / f"neurodyn-cache-{os.getuid()}"]
    for c in candidates:
        d = c / tag
        try:
            d.mkdir(parents=True, exist_ok=True)
            probe = d / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError:
            continue
        _cache_dir = d
        return d
    return None


def _py_func(fn):
    return fn.py_func if isinstance(fn, CPUDispatcher) else fn


def _source_file(obj):
    f = _py_func(obj)
    try:
        src = inspect.getsourcefile(f)
    except TypeError:
        return None
    return src if src and os.path.exists(src) else None


def _helper_files(f, home):
    """Source files of the functions that ``f``'s module reaches through its globals, following
    them module to module, within the kernel's own top-level package (``home``)."""
    seen, todo = set(), [f]
    while todo:
        g = todo.pop()
        for value in list(getattr(g, "__globals__", {}).values()):
            value = _py_func(value)
            if not isinstance(value, types.FunctionType):
                continue
            if (value.__module__ or "").split(".")[0] != home:
                continue
            src = _source_file(value)
            if src is not None and src not in seen:
                seen.add(src)
                todo.append(value)
    return seen


def _cacheable(fn):
    """Text that identifies a kernel's code for the on-disk cache, or None if it can't be cached.

    The whole source *file* is hashed, not only the kernel: kernels call helpers of their module
    (``register_jitable`` functions, other kernels) that Numba compiles into them, and an edit to
    a helper must not bring back stale machine code. Helpers imported from other files of the
    same top-level package (a circuit kernel calling a shared source evaluator, say) are found
    through the module globals and their files hashed too.
    """
    if fn is None:
        return ""
    f = _py_func(fn)
    if getattr(f, "__closure__", None):
        return None
    try:
        src_file = _source_file(f)
        if src_file is None:
            return None
        home = (f.__module__ or "").split(".")[0]
        files = [src_file] + sorted(_helper_files(f, home) - {src_file})
        return "\0".join(Path(x).read_text() for x in files)
    except (OSError, TypeError, UnicodeDecodeError):
        return None


def jit_kernel(fn, cache=True):
    """The Numba dispatcher for a plain-Python kernel (created once per function).

    >>> def k(t, y, p, out):
    ...     out[0] = -y[0]
    >>> jit_kernel(k, cache=False) is jit_kernel(k, cache=False)
    True
    """
    if isinstance(fn, CPUDispatcher):
        return fn
    with _lock:
        d = _jitted.get(fn)
        if d is None:
            d = numba.njit(cache=cache, **_KERNEL_JIT)(fn)
            _jitted[fn] = d
        return d


def loops_for(kind, kernel, jac=None, tableau=None):
    """The compiled loop module for ``kernel`` (and its Jacobian kernel ``jac``).

    ``kind`` is ``"ode"`` (kernel ``rhs(t, y, p, dydt)``) or ``"map"`` (``step(k, x, p, out)``).
    ``tableau`` (a :class:`solvers.tableaus.Tableau`) is baked into the module as constants:
    with a known stage count and known zero coefficients the compiler unrolls the stage loops
    (measured 14 % faster on W1 than the tableau as runtime arrays). Every system sharing these
    kernels and this method shares the module, so nothing is compiled twice.
    """
    key = (kind, kernel, jac, None if tableau is None else tableau.name)
    with _lock:
        mod = _modules.get(key)
        if mod is None:
            mod = _build(kind, kernel, jac, tableau)
            _modules[key] = mod
        return mod


def _tableau_globals(tab):
    empty1, empty2 = np.zeros(1), np.zeros((1, 1))
    if tab is None:
        return {"TA": empty2, "TC": empty1, "TB": empty1, "TE": empty1, "TP": empty2}
    return {"TA": tab.A, "TC": tab.C, "TB": tab.B,
            "TE": tab.E if tab.E is not None else empty1, "TP": tab.P}


def _build(kind, kernel, jac, tableau):
    template_path, kname = _TEMPLATES[kind]
    template = template_path.read_text()
    src_k, src_j = _cacheable(kernel), _cacheable(jac)
    directory = cache_dir()
    cache = src_k is not None and src_j is not None and directory is not None
    glb = {kname: jit_kernel(kernel, cache=cache),
           "jac": None if jac is None else jit_kernel(jac, cache=cache),
           "CACHE": cache}
    consts = _tableau_globals(tableau)
    glb.update(consts)
    f = _py_func(kernel)
    label = "".join(ch if ch.isalnum() else "_" for ch in f"{f.__module__}_{f.__qualname__}")
    method = "base" if tableau is None else tableau.name
    if not cache:
        mod = types.ModuleType(f"_neurodyn_loops_{kind}_{method}_{label}")
        mod.__dict__.update(glb)
        code = compile(template, f"<neurodyn {kind} {method} loops for {f.__qualname__}>",
                       "exec")
        exec(code, mod.__dict__)
        return mod
    h = hashlib.sha256()
    helpers = "\0".join(path.read_text() for path in _TEMPLATE_HELPERS)
    for part in (template, helpers, src_k, src_j, _py_func(kernel).__module__, f.__qualname__,
                 "" if jac is None else _py_func(jac).__qualname__, numba.__version__,
                 sys.version, method, repr(sorted(_KERNEL_JIT.items()))):
        h.update(part.encode())
        h.update(b"\0")
    for name in sorted(consts):
        h.update(np.ascontiguousarray(consts[name]).tobytes())
    digest = h.hexdigest()[:16]
    name = f"_ndgen_{kind}_{method}_{label[-60:]}_{digest}"
    path = directory / f"{name}.py"
    if not path.exists():
        # Written once, atomically: concurrent processes write identical bytes, and Numba's
        # cache is keyed on the file's timestamp, so it must never be rewritten.
        tmp = directory / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(template)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    # Numba's cache loader re-imports the module by name when it resolves globals.
    sys.modules[name] = mod
    mod.__dict__.update(glb)
    spec.loader.exec_module(mod)
    return mod
