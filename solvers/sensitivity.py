"""Forward sensitivities (real-time recurrent learning): dy/dtheta integrated alongside y.

For ``dy/dt = f(t, y; theta)`` the sensitivity matrix ``S = dy/dtheta`` (n x q) obeys

    dS/dt = J(t, y) S + df/dtheta(t, y),    S(t0) = dy0/dtheta,

with ``J = df/dy`` the model's analytic Jacobian (its ``jac`` kernel) and ``df/dtheta`` its
*parameter-Jacobian* kernel ``pjac(t, y, p, Jp)``. A system that offers sensitivities has,
beside the ODESystem protocol,

* ``pjac``: a kernel filling ``Jp`` (n x q_all, zeroed by the engine before each call, so it
  writes only the nonzero entries) with ``df_i/dtheta_c``;
* ``param_shapes``: a mapping, name -> shape, of the parameter blocks whose columns ``Jp``
  holds, in that order (a block of shape (n, n) is row-major: entry [a, b] is column a n + b
  of the block).

``wrt`` picks blocks by name, and ``"y0"`` the initial state (S(t0) has the identity there;
no ``pjac`` is needed for it). The augmented system [y, S] is an ordinary kernel, generated
once per model kernel (``_sens_kernel.py``, cached on disk like the loops), so every compiled
method of :func:`solvers.solve` integrates it with the loops ``solvers._codegen`` builds for it:
one compiled loop per (model kernel, method). For fixed-step methods S is then exactly the
derivative of the discrete scheme (an explicit Runge-Kutta step of the augmented system is the
forward-mode derivative of the step), so a gradient from ``method="euler"`` equals automatic
differentiation through the Euler-discretized network.

The cost is that of RTRL: the J S product is O(n^2 q) per evaluation, and q = n^2 for all the
weights of an n-neuron network.
"""
from __future__ import annotations

import hashlib
import sys
import types
from collections.abc import Mapping
from pathlib import Path

import numba
import numpy as np

from ._checks import InvalidTypeError, check_allocation, real_array
from ._codegen import _cacheable, _import_generated, _py_func, cache_dir, jit_kernel
from .integrate import STIFF, _check_system, _domain_check, _method, _name, _state_vector, solve
from .solution import Interrupted, Solution

__all__ = ["sensitivities", "SensitivitySolution"]

_TEMPLATE = Path(__file__).resolve().parent / "_sens_kernel.py"
_kernels: dict = {}


def _sens_kernel(rhs, jac, pjac, boundscheck):
    """The augmented kernel ``sens_rhs`` for one model kernel triple (one per process, and one
    generated file per triple and versions in the code cache)."""
    key = (rhs, jac, pjac, boundscheck)
    k = _kernels.get(key)
    if k is not None:
        return k
    template = _TEMPLATE.read_text()
    srcs = [_cacheable(f) for f in (rhs, jac, pjac)]
    directory = cache_dir()
    cache = directory is not None and all(s is not None for s in srcs)
    glb = {"rhs": jit_kernel(rhs, cache=cache, boundscheck=boundscheck),
           "jac": jit_kernel(jac, cache=cache, boundscheck=boundscheck),
           "pjac": None if pjac is None else jit_kernel(pjac, cache=cache,
                                                          boundscheck=boundscheck),
           "CACHE": cache, "BOUNDSCHECK": boundscheck}
    f = _py_func(rhs)
    label = "".join(ch if ch.isalnum() else "_" for ch in f"{f.__module__}_{f.__qualname__}")
    tag = "checked_" if boundscheck else ""
    if not cache:
        mod = types.ModuleType(f"_neurodyn_sens_{tag}{label}")
        mod.__dict__.update(glb)
        exec(compile(template, f"<neurodyn sensitivities of {f.__qualname__}>", "exec"),
             mod.__dict__)
    else:
        h = hashlib.sha256()
        names = [f"{_py_func(g).__module__}.{_py_func(g).__qualname__}"
                 for g in (rhs, jac, pjac) if g is not None]
        for part in (template, *srcs, *names, numba.__version__, sys.version,
                     repr(boundscheck), repr(pjac is None)):
            h.update(part.encode())
            h.update(b"\0")
        mod = _import_generated(directory, f"_ndsens_{tag}{label[-60:]}_{h.hexdigest()[:16]}",
                                template, glb)
    _kernels[key] = mod.sens_rhs
    return mod.sens_rhs


class _Augmented:
    """The system [y, S] as solve sees it (params are used as given: two of them are the
    run's scratch arrays, which must stay writeable)."""

    def __init__(self, rhs, n_states, params, name):
        self.rhs = rhs
        self.jac = None
        self.n_states = n_states
        self.params = params
        self.name = name


def _blocks(system):
    """The system's parameter blocks as a list of (name, shape, size)."""
    shapes = getattr(system, "param_shapes", None)
    if shapes is None:
        return []
    items = shapes.items() if isinstance(shapes, Mapping) else shapes
    out = []
    for name, shape in items:
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if not isinstance(name, str) or name == "y0" or any(
                isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0
                for d in shape):
            raise ValueError(f"{_name(system)}.param_shapes must map names (not 'y0') to "
                             f"shapes, got {name!r}: {shape!r}")
        out.append((name, tuple(int(d) for d in shape), int(np.prod(shape, dtype=np.int64))))
    return out


def _selection(system, wrt, n):
    """(names in S's column order, {name: slice}, {name: shape}, cols, width of Jp)."""
    if isinstance(wrt, str):
        wrt = (wrt,)
    if not isinstance(wrt, (tuple, list)):
        raise InvalidTypeError(f"wrt must be a parameter name or a tuple of names, got "
                               f"{wrt!r} ({type(wrt).__name__})")
    blocks = _blocks(system)
    known = [b[0] for b in blocks] + ["y0"]
    asked = []
    for w in wrt:
        if not isinstance(w, str):
            raise InvalidTypeError(f"wrt entries must be names (str), got {w!r} "
                                   f"({type(w).__name__}); known: {', '.join(known)}")
        if w not in known:
            raise ValueError(f"wrt names {w!r}, which {_name(system)} does not have; known: "
                             f"{', '.join(repr(k) for k in known)}")
        if w in asked:
            raise ValueError(f"wrt names {w!r} twice")
        asked.append(w)
    if not asked:
        raise ValueError(f"wrt is empty: name at least one of {', '.join(known)}")
    # S's columns follow the system's block order (then y0), whatever order wrt lists them in
    names, columns, shapes, cols = [], {}, {}, []
    start = 0
    for name, shape, size in blocks + [("y0", (n,), n)]:
        if name not in asked:
            start += size if name != "y0" else 0
            continue
        q0 = len(cols)
        cols.extend(range(start, start + size) if name != "y0" else [-1] * n)
        names.append(name)
        columns[name] = slice(q0, len(cols))
        shapes[name] = shape
        if name != "y0":
            start += size
    width = sum(b[2] for b in blocks)
    return names, columns, shapes, np.asarray(cols, dtype=np.int64), width


class SensitivitySolution(Solution):
    """A :class:`Solution` of the state and its sensitivities ``S = dy/dtheta``.

    Besides :class:`Solution`'s ``t``, ``y``, ``status``, ``message``, ...:

    Attributes
    ----------
    S : ndarray, shape (k, n, q)
        ``S[k, i, c] = dy_i(t_k) / dtheta_c``.
    S_final : ndarray, shape (n, q)
        At ``t_final``.
    wrt : tuple of str
        The parameter blocks of S's columns, in column order.
    columns : dict
        Block name -> slice of S's columns.
    shapes : dict
        Block name -> the parameter's shape (``unpack`` reshapes to it).

    Example
    -------
    >>> s = SensitivitySolution(np.zeros(1), np.ones((1, 2)), np.zeros((1, 2, 2)), 0, "ok",
    ...                         wrt=("y0",), columns={"y0": slice(0, 2)},
    ...                         shapes={"y0": (2,)})
    >>> s.gradient(np.ones((1, 2))).shape
    (2,)
    """

    __slots__ = ("S", "S_final", "wrt", "columns", "shapes")

    def __init__(self, t, y, S, status, message, *, wrt, columns, shapes, S_final=None, **kw):
        super().__init__(t, y, status, message, **kw)
        self.S = S
        self.S_final = S[-1] if S_final is None and len(t) else S_final
        self.wrt = tuple(wrt)
        self.columns = dict(columns)
        self.shapes = dict(shapes)

    def gradient(self, dl_dy):
        """The gradient of a loss on the trajectory, as a vector over S's columns.

        ``dl_dy`` of shape ``(k, n)`` is ``dl/dy`` at the output times ``t`` (a loss
        ``L = sum_k l_k(y(t_k))``): ``dL/dtheta = sum_k dl_dy[k] @ S[k]``. Of shape ``(n,)``
        it is ``dl/dy`` at ``t_final`` (a loss on the final state): ``dl_dy @ S_final``.
        :meth:`unpack` splits the result per parameter.

        >>> s = SensitivitySolution(np.array([0.0, 1.0]), np.zeros((2, 1)),
        ...                         np.array([[[0.0]], [[2.0]]]), 0, "ok", wrt=("k",),
        ...                         columns={"k": slice(0, 1)}, shapes={"k": ()})
        >>> s.gradient([[1.0], [3.0]])
        array([6.])
        """
        k, n, q = self.S.shape
        g = np.asarray(real_array("dl_dy", dl_dy))
        if g.shape == (n,) and self.S_final is not None:
            return g @ self.S_final
        if g.shape != (k, n):
            raise ValueError(f"dl_dy must have shape ({k}, {n}) (dl/dy at the {k} output "
                             f"times) or ({n},) (at t_final), got {g.shape}")
        return np.einsum("ki,kiq->q", g, self.S)

    def unpack(self, v):
        """A vector over S's columns (e.g. :meth:`gradient`'s) as a dict name -> array of the
        parameter's shape.

        >>> s = SensitivitySolution(np.zeros(1), np.zeros((1, 1)), np.zeros((1, 1, 3)), 0,
        ...                         "ok", wrt=("W", "y0"),
        ...                         columns={"W": slice(0, 2), "y0": slice(2, 3)},
        ...                         shapes={"W": (1, 2), "y0": (1,)})
        >>> s.unpack(np.arange(3.0))["W"]
        array([[0., 1.]])
        """
        q = self.S.shape[2]
        v = np.asarray(real_array("v", v, shape=(q,)))
        return {name: v[self.columns[name]].reshape(self.shapes[name]) for name in self.wrt}

    def __repr__(self):
        k, n, q = self.S.shape
        return (f"SensitivitySolution(status={self.status}, t: {k} points, n={n}, q={q}, "
                f"wrt={self.wrt})")


def _split(sol, n, q, names, columns, shapes):
    k = sol.t.size
    Z = sol.y
    S = Z[:, n:].reshape(k, n, q)
    zf = sol.y_final
    return SensitivitySolution(
        sol.t, Z[:, :n], S, sol.status, sol.message, wrt=names, columns=columns,
        shapes=shapes, S_final=None if zf is None else zf[n:].reshape(n, q),
        t_final=sol.t_final, y_final=None if zf is None else zf[:n], nfev=sol.nfev,
        njev=sol.njev, nlu=sol.nlu, nsteps=sol.nsteps, naccepted=sol.naccepted,
        nrejected=sol.nrejected, method=sol.method, exception=sol.exception)


def sensitivities(system, t_span, y0, wrt, *, method="dopri5", t_eval=None, rtol=1e-6,
                  atol=1e-9, dt=None, first_step=None, max_step=np.inf, max_steps=None,
                  debug=False):
    """Integrate ``y`` and its sensitivities ``S = dy/dtheta`` over ``t_span`` (forward mode).

    Parameters
    ----------
    system : ODESystem or model
        With an analytic Jacobian kernel ``jac`` and, for model parameters, a parameter-Jacobian
        kernel ``pjac(t, y, p, Jp)`` and ``param_shapes`` (see :mod:`solvers.sensitivity`;
        e.g. :class:`neurodyn.CTRNN` with dense ``W`` offers ``"W"``, ``"bias"``, ``"tau"``
        and ``"gain"``).
    t_span, y0 :
        As for :func:`solvers.solve`.
    wrt : str or tuple of str
        The parameter blocks to differentiate with respect to; ``"y0"`` is the initial state.
        S's columns follow the system's block order (CTRNN: ``W`` row-major, then ``bias``,
        ``tau``, ``gain``), with ``y0`` last, whatever order ``wrt`` lists them in
        (``columns`` says where each block is).
    method : str
        A compiled method of :func:`solvers.solve`: fixed step ``"euler"``, ``"heun"``,
        ``"rk4"`` (with ``dt``; S is then the exact derivative of the discrete scheme), or
        adaptive ``"bs32"``, ``"dopri5"``, ``"tsit5"``, ``"dop853"``, ``"vern7"``. The stiff
        SciPy methods are refused (they would difference the augmented system's Jacobian).
    t_eval, dt, first_step, max_step, max_steps, debug :
        As for :func:`solvers.solve`.
    rtol, atol : float
        The adaptive methods' error norm runs over y *and* S (as CVODES with its default
        ``errconS``): a step is accepted only when both are accurate. ``atol`` is a number
        or a vector of length ``n (1 + q)`` (y, then S row-major).

    Returns
    -------
    SensitivitySolution
        ``t``, ``y`` (k, n), ``S`` (k, n, q), ``status``, ``message`` and the statistics of
        :class:`Solution`; ``gradient(dl_dy)`` turns ``dl/dy`` at the output times into the
        gradient of the loss, ``unpack`` splits it per parameter. A run that fails returns
        what it computed up to there, as :func:`solvers.solve` does.

    Example
    -------
    ``dy/dt = -k y``: ``y = y0 exp(-k t)``, ``dy/dk = -t y``, ``dy/dy0 = exp(-k t)``.

    >>> import math
    >>> import numpy as np
    >>> from solvers import ODESystem, sensitivities
    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -p[0] * y[0]
    >>> def decay_jac(t, y, p, J):
    ...     J[0, 0] = -p[0]
    >>> def decay_pjac(t, y, p, Jp):
    ...     Jp[0, 0] = -y[0]
    >>> system = ODESystem(decay, 1, (2.0,), jac=decay_jac, pjac=decay_pjac,
    ...                    param_shapes={"k": ()})
    >>> sol = sensitivities(system, (0.0, 1.0), [1.0], ("k", "y0"), method="rk4", dt=0.01)
    >>> np.round(sol.S_final, 6), round(-math.exp(-2.0), 6), round(math.exp(-2.0), 6)
    (array([[-0.135335,  0.135335]]), -0.135335, 0.135335)
    >>> sol.gradient(2.0 * sol.y_final).round(6)    # d(y(1)^2)/d(k, y0)
    array([-0.036631,  0.036631])
    """
    try:
        n, rhs = int(system.n_states), system.rhs
        params = system.params
    except AttributeError:
        _check_system(system, "sensitivities")
        raise
    method = _method(method)
    if method in STIFF:
        raise ValueError(f"sensitivities integrates with the compiled explicit methods; "
                         f"method={method!r} is one of SciPy's stiff solvers ({', '.join(STIFF)})"
                         f": use 'dopri5', 'tsit5', 'dop853', 'vern7', 'bs32' or a fixed step")
    jac = getattr(system, "jac", None)
    if jac is None:
        raise TypeError(f"sensitivities need the analytic Jacobian of {_name(system)}: it has "
                        "no jac kernel (jac(t, y, p, J))")
    names, columns, shapes, cols, width = _selection(system, wrt, n)
    pjac = getattr(system, "pjac", None)
    uses_p = any(nm != "y0" for nm in names)
    if pjac is None and uses_p:
        raise TypeError(f"sensitivities w.r.t. {', '.join(nm for nm in names if nm != 'y0')} "
                        f"need a parameter-Jacobian kernel, and {system!r} has none "
                        "(pjac is None); only wrt='y0' works without one")
    if pjac is not None and not callable(pjac):
        raise TypeError(f"{_name(system)}.pjac must be a kernel pjac(t, y, p, Jp), got "
                        f"{type(pjac).__name__}")
    y = _state_vector(y0, n, system)
    _domain_check(system, y)
    q = cols.size
    check_allocation(f"the sensitivities of {_name(system)} ({n} states x {q} parameters)",
                     (8, n * (1 + q)))
    scratch_J = np.zeros((n, n))
    scratch_Jp = np.zeros((n, width if uses_p else 0))
    z0 = np.zeros(n * (1 + q))
    z0[:n] = y
    if "y0" in columns:
        c0 = columns["y0"].start
        for i in range(n):
            z0[n + i * q + c0 + i] = 1.0
    kernel = _sens_kernel(rhs, jac, pjac, bool(debug))
    aug = _Augmented(kernel, n * (1 + q), (params, cols, scratch_J, scratch_Jp),
                     f"the sensitivities of {_name(system)}")
    try:
        sol = solve(aug, t_span, z0, method=method, t_eval=t_eval, rtol=rtol, atol=atol,
                    dt=dt, first_step=first_step, max_step=max_step, max_steps=max_steps,
                    debug=debug)
    except Interrupted as err:
        raise Interrupted(_split(err.solution, n, q, names, columns, shapes)) from None
    return _split(sol, n, q, names, columns, shapes)
