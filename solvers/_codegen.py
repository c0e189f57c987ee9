"""Compile-once machinery: one generated loop module per (kernel, method), cached on disk.

Numba's ``cache=True`` is only hit when a module-level function in a real ``.py`` file reaches
its kernel as a *global*; a kernel passed as an argument or captured in a closure is recompiled
in every new process (measured, see DESIGN.md). So for each kernel we write a copy of a loop
template (``_ode_loops.py`` or ``_map_loops.py``) into the code cache, import it with the kernel
injected as a global and the method's tableau as constants, and let Numba cache its functions
beside it. The file name carries a hash of the template, the kernel's own code (bytecode and
constants) with the helpers it calls and the global constants it reads (not its whole file: an unrelated edit of a
user's script recompiles nothing), the tableau and the Numba/Python versions, so an edited
kernel gets a new module instead of stale machine code.

Kernels that have no source file or close over variables (lambdas typed at a prompt, kernels
built by factories) cannot be cached safely — Numba freezes closure values into the machine code —
so they are compiled in memory, once per process.
"""
from __future__ import annotations

import dis
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
import types
from pathlib import Path

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

__all__ = ["cache_dir", "loops_for", "ensemble_loops_for", "jit_kernel"]

_HERE = Path(__file__).resolve().parent
_TEMPLATES = {"ode": (_HERE / "_ode_loops.py", "rhs"), "map": (_HERE / "_map_loops.py", "step")}
# Compiled helpers the templates import; Numba compiles them into the cached loops, so their
# source is part of every loop module's cache key.
_TEMPLATE_HELPERS = (_HERE / "_variational.py",)
_ENSEMBLE_TEMPLATE = _HERE / "_ensemble_loops.py"
# The compiled stiff methods' loops, appended to the ODE template for those methods only (they
# use its output, dense-output and event helpers).
_STIFF_TEMPLATES = (_HERE / "_stiff_loops.py", _HERE / "_complex_lu.py",
                    _HERE / "_radau_loops.py")
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


# Functions of these packages are part of the installed library versions (hashed as the
# Numba and Python versions); their source is not followed into the cache key.
_LIBRARY_ROOTS = ("numba", "numpy", "llvmlite", "scipy", "math", "cmath", "builtins")


def _global_names(code):
    """Every global name a code object (and the code objects nested in it) may read."""
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return names


def _value_identity(value):
    """Text that identifies a global value a kernel reads (Numba freezes such values into the
    machine code, so they belong in the cache key), or None when it cannot be identified."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value)
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return f"{type(value).__name__}({value!r})"
    if isinstance(value, np.ndarray):
        return (f"ndarray({value.dtype}, {value.shape}, "
                f"{hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()})")
    if isinstance(value, tuple):
        parts = [_value_identity(v) for v in value]
        return None if any(x is None for x in parts) else "(" + ", ".join(parts) + ")"
    return None


def _is_library(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0] in _LIBRARY_ROOTS


def _const_text(c):
    if isinstance(c, types.CodeType):
        return "<code " + _code_text(c) + ">"
    if isinstance(c, frozenset):  # its repr's order follows string hashing, random per process
        return "frozenset(" + ", ".join(sorted(_const_text(x) for x in c)) + ")"
    if isinstance(c, tuple):
        return "(" + ", ".join(_const_text(x) for x in c) + ")"
    return repr(c)


def _code_text(code):
    """What a function's code object does, as text: its bytecode, constants, names and flags,
    but not its line numbers or its file, so that an edit elsewhere in the file leaves it the
    same. Cheaper than its source (reading and tokenizing the file cost ~15 ms of a warm
    process's first solve) and blind to comments."""
    return "|".join((code.co_code.hex(), ";".join(_const_text(c) for c in code.co_consts),
                     ",".join(code.co_names), ",".join(code.co_varnames),
                     ",".join(code.co_freevars), ",".join(code.co_cellvars),
                     str(code.co_flags), str(code.co_argcount),
                     str(code.co_posonlyargcount), str(code.co_kwonlyargcount)))


def _cacheable(fn):
    """Text that identifies a kernel's code for the on-disk cache, or None if it can't be cached.

    The kernel's own code (bytecode and constants, see :func:`_code_text`), the code of every
    function it really calls (followed through the globals its code reads, also as attributes
    of modules it reads, transitively), and the values of the global constants it reads — not
    the whole file: editing an unrelated line of a user's script must not recompile the kernel
    (6 s per edit, measured), while an edited helper or constant must never bring back stale
    machine code.
    """
    if fn is None:
        return ""
    root = _py_func(fn)
    if not isinstance(root, types.FunctionType):
        return None
    parts, seen, todo = [], set(), [root]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        if f.__closure__:
            return None  # Numba freezes closure values into the machine code: not cacheable
        if not os.path.isfile(f.__code__.co_filename):
            return None  # typed at a prompt or in a doctest: Numba has nowhere to cache it
        defaults = _value_identity(f.__defaults__)
        if defaults is None:
            return None  # default values Numba would freeze but we cannot identify
        parts.append(f"def {f.__module__}.{f.__qualname__}\n{_code_text(f.__code__)}"
                     f"\ndefaults {defaults}")
        names = _global_names(f.__code__)
        glb = f.__globals__
        for name in sorted(names):
            if name not in glb:
                continue  # a builtin, or an attribute name (resolved below)
            value = glb[name]
            if isinstance(value, types.ModuleType):
                parts.append(f"{name} = module {value.__name__}")
                if value.__name__.split(".")[0] in _LIBRARY_ROOTS:
                    continue
                # module.attr: follow the attributes of the module that the code names
                for attr in sorted(names):
                    sub = getattr(value, attr, None)
                    sub_f = _py_func(sub)
                    if isinstance(sub_f, types.FunctionType) and not _is_library(sub_f):
                        todo.append(sub_f)
                    elif sub is not None and not callable(sub) \
                            and not isinstance(sub, types.ModuleType):
                        ident = _value_identity(sub)
                        if ident is not None:
                            parts.append(f"{name}.{attr} = {ident}")
                continue
            f2 = _py_func(value)
            if isinstance(f2, types.FunctionType):
                if _is_library(f2):
                    parts.append(f"{name} = {f2.__module__}.{f2.__qualname__}")
                else:
                    todo.append(f2)
                continue
            if callable(value):
                parts.append(f"{name} = {getattr(value, '__module__', '?')}."
                             f"{getattr(value, '__qualname__', type(value).__name__)}")
                continue
            ident = _value_identity(value)
            if ident is None:
                return None  # a global Numba would freeze but we cannot identify
            parts.append(f"{name} = {ident}")
    return "\0".join(parts)


def jit_kernel(fn, cache=True, boundscheck=False):
    """The Numba dispatcher for a plain-Python kernel (created once per function and flags).

    The loops inline kernels at Numba-IR level, so this dispatcher's own machine code is not
    what runs inside them; it is what Numba inlines from.

    >>> def k(t, y, p, out):
    ...     out[0] = -y[0]
    >>> jit_kernel(k, cache=False) is jit_kernel(k, cache=False)
    True
    """
    if isinstance(fn, CPUDispatcher):
        if boundscheck:
            fn = fn.py_func  # a user's own njit kernel, rebuilt with checks for debug mode
        else:
            return fn
    with _lock:
        d = _jitted.get((fn, boundscheck))
        if d is None:
            d = numba.njit(cache=cache, boundscheck=boundscheck, **_KERNEL_JIT)(fn)
            _jitted[(fn, boundscheck)] = d
        return d


def loops_for(kind, kernel, jac=None, tableau=None, boundscheck=False, events=(), full=False):
    """The compiled loop module for ``kernel`` (and its Jacobian kernel ``jac``).

    ``kind`` is ``"ode"`` (kernel ``rhs(t, y, p, dydt)``) or ``"map"`` (``step(k, x, p, out)``).
    ``tableau`` (a :class:`solvers.tableaus.Tableau`) is baked into the module as constants:
    with a known stage count and known zero coefficients the compiler unrolls the stage loops
    (measured 14 % faster on W1 than the tableau as runtime arrays). Every system sharing these
    kernels and this method shares the module, so nothing is compiled twice. ``boundscheck``
    builds a separate module whose loops and inlined kernels check every array index
    (``solve(..., debug=True)``). ``events``, a tuple of event kernels ``g(t, y, p) ->
    float``, are compiled into the module as ``eval_event(e, t, y, p)`` (a module per kernel,
    method and tuple of event kernels; without events the event code is pruned before typing).
    ``full`` builds loops that can store dense-output segments (``dense_output=True``; always
    with events); a plain solve's loops have that code pruned, which keeps their cold
    compilation short.
    """
    boundscheck = bool(boundscheck)
    events = tuple(events)
    full = bool(full) or bool(events)
    key = (kind, kernel, jac, None if tableau is None else tableau.name, boundscheck, events,
           full)
    mod = _modules.get(key)  # built modules are never replaced: no lock needed to find one
    if mod is not None:
        return mod
    with _lock:
        mod = _modules.get(key)
        if mod is None:
            mod = _build(kind, kernel, jac, tableau, boundscheck, events, full)
            _modules[key] = mod
        return mod


PLANE = "plane"  # an event that is a hyperplane section, its data in the run's event state


def _events_source(events):
    """``eval_event(e, t, y, p, evf)`` and ``eval_events(t, y, p, evf)`` for the event
    kernels injected as ev0, ev1, ... (a PLANE entry calls the template's ``_plane_g``)."""
    lines = ["", "", "@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, "
             "inline=\"always\")",
             "def eval_event(e, t, y, p, evf):"]
    for k, g in enumerate(events):
        lines.append(f"    if e == {k}:")
        if isinstance(g, str) and g == PLANE:
            lines.append("        return _plane_g(e, y, evf)")
        else:
            lines.append(f"        return float(ev{k}(t, y, p))")
    lines.append("    return 0.0")
    # Every event of a step, unrolled and inlined: a call boundary passes the params tuple by
    # value with a reference-count update of every array in it (three cheap events cost 30 %
    # of W1), and a runtime loop over eval_event's branches kept LLVM from optimising the
    # inlined kernels (18 % instead of ~5 %; measured).
    lines += ["", "", "@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, "
              "inline=\"always\")", "def eval_events(t, y, p, evf):"]
    for k, g in enumerate(events):
        if isinstance(g, str) and g == PLANE:
            lines.append(f"    evf[EVF_GNEW, {k}] = _plane_g({k}, y, evf)")
        else:
            lines.append(f"    evf[EVF_GNEW, {k}] = float(ev{k}(t, y, p))")
    return "\n".join(lines) + "\n"


def _sparse_min_n():
    """The smallest system the compiled stiff loops factor with SuperLU when its Jacobian is
    sparse (``$NEURODYN_SPARSE_LU_MIN_N``, default 500; a huge value turns the path off)."""
    v = os.environ.get("NEURODYN_SPARSE_LU_MIN_N", "").strip()
    try:
        return max(1, int(v)) if v else 500
    except ValueError:
        raise ValueError(f"NEURODYN_SPARSE_LU_MIN_N must be an integer, got {v!r}") from None


def _reads_time(kernel):
    """Whether an ODE kernel ``rhs(t, y, p, dydt)`` may depend on t: False only when its code
    provably never reads its first argument (no load of it, not captured by an inner
    function). Rodas5P skips its df/dt difference for kernels that do not."""
    code = getattr(_py_func(kernel), "__code__", None)
    if code is None or code.co_argcount < 1:
        return True
    name = code.co_varnames[0]
    if name in code.co_cellvars:
        return True
    for ins in dis.get_instructions(code):
        if ins.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "DELETE_FAST",
                                  "STORE_FAST")):
            val = ins.argval
            if val == name or (isinstance(val, tuple) and name in val):
                return True
        elif ins.opname == "LOAD_NAME" or ins.opname.startswith("LOAD_LOCALS"):
            return True
    return False


def _tableau_globals(tab):
    empty1, empty2 = np.zeros(1), np.zeros((1, 1))
    if getattr(tab, "ros", None) is not None:
        return dict(tab.ros)
    if tab is None or getattr(tab, "stiff", False):
        return {"TA": empty2, "TC": empty1, "TB": empty1, "TE": empty1, "TP": empty2,
                "TE3": empty1, "NX": 0, "HAS_E3": False}
    return {"TA": tab.A, "TC": tab.C, "TB": tab.B,
            "TE": tab.E if tab.E is not None else empty1, "TP": tab.P,
            "TE3": tab.E3 if tab.E3 is not None else empty1, "NX": int(tab.n_extra),
            "HAS_E3": tab.E3 is not None}


def _build(kind, kernel, jac, tableau, boundscheck, events=(), full=False):
    template_path, kname = _TEMPLATES[kind]
    template = template_path.read_text()
    stiff = getattr(tableau, "stiff", False)
    if stiff:
        template += "".join("\n\n" + path.read_text() for path in _STIFF_TEMPLATES)
    src_k, src_j = _cacheable(kernel), _cacheable(jac)
    src_ev = [g if isinstance(g, str) else _cacheable(g) for g in events]
    directory = cache_dir()
    cache = (src_k is not None and src_j is not None and directory is not None
             and all(x is not None for x in src_ev))
    glb = {kname: jit_kernel(kernel, cache=cache, boundscheck=boundscheck),
           "jac": None if jac is None else jit_kernel(jac, cache=cache, boundscheck=boundscheck),
           "CACHE": cache, "BOUNDSCHECK": boundscheck}
    consts = _tableau_globals(tableau)
    glb.update(consts)
    if stiff:
        from . import _sparse_lu

        # a property of the kernel's code, which is in the module's name (hash) already
        glb["AUTONOMOUS"] = kind == "ode" and not _reads_time(kernel)
        glb["sparse_lu_factor"] = _sparse_lu.factor
        glb["sparse_lu_solve"] = _sparse_lu.solve
        glb["sparse_lu_csolve"] = _sparse_lu.csolve
        consts["SPARSE_MIN_N"] = np.int64(_sparse_min_n())
        glb["SPARSE_MIN_N"] = int(consts["SPARSE_MIN_N"])
    glb["FULL"] = full
    if events:
        glb["NEV"] = len(events)
        for k, g in enumerate(events):
            if not isinstance(g, str):
                glb[f"ev{k}"] = jit_kernel(g, cache=cache, boundscheck=boundscheck)
        template = template + _events_source(events)
    f = _py_func(kernel)
    label = "".join(ch if ch.isalnum() else "_" for ch in f"{f.__module__}_{f.__qualname__}")
    method = "base" if tableau is None else tableau.name
    if boundscheck:
        method += "_checked"
    if events:
        method += f"_ev{len(events)}"
    elif full:
        method += "_dense"
    if not cache:
        mod = types.ModuleType(f"_neurodyn_loops_{kind}_{method}_{label}")
        mod.__dict__.update(glb)
        code = compile(template, f"<neurodyn {kind} {method} loops for {f.__qualname__}>",
                       "exec")
        exec(code, mod.__dict__)
        _keep_source(mod, template, glb)
        return mod
    h = hashlib.sha256()
    helpers = "\0".join(path.read_text() for path in _TEMPLATE_HELPERS)
    for part in (template, helpers, src_k, src_j, _py_func(kernel).__module__, f.__qualname__,
                 "" if jac is None else _py_func(jac).__qualname__, numba.__version__,
                 sys.version, method, repr(sorted(_KERNEL_JIT.items())), repr(boundscheck),
                 *src_ev, *(g if isinstance(g, str) else
                            f"{_py_func(g).__module__}.{_py_func(g).__qualname__}"
                            for g in events)):
        h.update(part.encode())
        h.update(b"\0")
    for name in sorted(consts):
        h.update(np.ascontiguousarray(consts[name]).tobytes())
    digest = h.hexdigest()[:16]
    mod = _import_generated(directory, f"_ndgen_{kind}_{method}_{label[-60:]}_{digest}",
                            template, glb)
    _keep_source(mod, template, glb)
    return mod


def _keep_source(mod, source, glb):
    # What solvers._tiers needs to run the module's loops interpreted while they compile
    # (and which of the injected kernels are dispatchers made here, from plain functions).
    mod._nd_source = source
    mod._nd_globals = dict(glb)
    made = {id(d) for d in _jitted.values()}
    mod._nd_ours = {id(v) for v in glb.values() if id(v) in made}


def _import_generated(directory, name, source, glb):
    """Import ``source`` as the module file ``directory/name.py`` with ``glb`` injected."""
    path = directory / f"{name}.py"
    if not path.exists():
        # Written once, atomically: concurrent processes write identical bytes, and Numba's
        # cache is keyed on the file's timestamp, so it must never be rewritten.
        tmp = directory / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    # Numba's cache loader re-imports the module by name when it resolves globals.
    sys.modules[name] = mod
    mod.__dict__.update(glb)
    spec.loader.exec_module(mod)
    return mod


def _member_expr(layout, ref):
    """Source of member i's params built from the stacked tuple ``ref`` (see
    :func:`ensemble_loops_for`)."""
    items = []
    for k, entry in enumerate(layout):
        if isinstance(entry, tuple):
            items.append(_member_expr(entry, f"{ref}[{k}]"))
        elif entry == "v":
            items.append(f"{ref}[{k}][i]")
        else:
            items.append(f"{ref}[{k}]")
    return "(" + "".join(x + ", " for x in items) + ")"


def ensemble_loops_for(kind, kernel, jac=None, tableau=None, layout=(), boundscheck=False):
    """The compiled ensemble loops for ``kernel`` (see ``_ensemble_loops.py``).

    ``layout`` mirrors the params tuple: ``"v"`` for an entry that varies over the members (it
    carries a leading member axis), ``"s"`` for one they share, a nested tuple for a nested
    params tuple. The module depends on the kernel, the method and the layout only: ensembles
    of any size, and any values, run the same machine code.

    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -p[0] * y[0]
    >>> mod = ensemble_loops_for("ode", decay, layout=("v",))
    >>> callable(mod.ens_adaptive)
    True
    """
    boundscheck = bool(boundscheck)
    key = ("ensemble", kind, kernel, jac, None if tableau is None else tableau.name, layout,
           boundscheck)
    with _lock:
        mod = _modules.get(key)
        if mod is not None:
            return mod
        base = loops_for(kind, kernel, jac, tableau, boundscheck)
        glb = {"rk_adaptive": getattr(base, "rk_adaptive", None),
               "rk_fixed": getattr(base, "rk_fixed", None),
               "iterate_loop": getattr(base, "iterate_loop", None),
               "ros_adaptive": getattr(base, "ros_adaptive", None),
               "radau_adaptive": getattr(base, "radau_adaptive", None),
               "CACHE": base.CACHE, "BOUNDSCHECK": boundscheck}
        source = (_ENSEMBLE_TEMPLATE.read_text()
                  + "\n\n@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, "
                  "inline=\"always\")\n"
                  f"def member_params(P, i):\n    return {_member_expr(layout, 'P')}\n")
        if not base.CACHE:
            mod = types.ModuleType(f"{base.__name__}_ensemble")
            mod.__dict__.update(glb)
            exec(compile(source, f"<neurodyn ensemble loops for {base.__name__}>", "exec"),
                 mod.__dict__)
        else:
            # The base module's name carries the hash of the kernel, its helpers, the method
            # and the versions; the layout and this template complete the key.
            h = hashlib.sha256(f"{base.__name__}\0{source}".encode()).hexdigest()[:16]
            mod = _import_generated(cache_dir(), f"{base.__name__}_ens_{h}", source, glb)
        _modules[key] = mod
        return mod
