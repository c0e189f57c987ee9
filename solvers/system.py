"""Problem descriptions the engine integrates: continuous-time systems and discrete-time maps.

A system is a *kernel* (a plain, restricted-Python function that Numba can compile for the CPU
and, kept free of NumPy calls, for a CUDA device) plus the runtime parameters it reads. The
kernel is compiled once per kernel function; parameters are arguments, so two systems that
share a kernel share all compiled code.
"""
from __future__ import annotations

import numbers

import numpy as np

from ._checks import count, refuse_quantity

__all__ = ["ODESystem", "MapSystem", "normalize_params", "match_params"]


def _frozen(a):
    """A read-only view of ``a``: the models' own arrays are read-only, and Numba types a
    read-only array differently from a writeable one, so one layout for all keeps one compiled
    specialisation whichever way the arrays reached us."""
    if not a.flags.writeable:
        return a
    v = a.view()
    v.flags.writeable = False
    return v


def normalize_params(params, *, owner="system"):
    """Return ``params`` as a tuple Numba types the same way on every call.

    Arrays become read-only C-contiguous float64 (int64 if integer, kept bool if boolean),
    Python and NumPy scalars become ``float``, ``int`` or ``bool``. A model that always builds
    its tuple from the same kinds of values therefore always hits the same compiled
    specialisation, whether its arrays are its own (read-only), a user's (writeable) or came
    back from a pickle. Kernels must treat ``p`` as read-only.

    >>> normalize_params((np.eye(2), 3, 0.5))[1:]
    (3, 0.5)
    >>> normalize_params((np.zeros(2),))[0].flags.writeable
    False
    """
    if not isinstance(params, tuple):
        if isinstance(params, list):
            params = tuple(params)
        else:
            raise TypeError(f"{owner}: params must be a tuple, got {type(params).__name__}")
    out = []
    for k, p in enumerate(params):
        tp = type(p)
        if tp is float or tp is int or (tp is np.ndarray and p.dtype == np.float64
                                        and not p.flags.writeable and p.flags.c_contiguous):
            out.append(p)  # already in the one layout (a model's own arrays, plain numbers)
        elif isinstance(p, np.ndarray):
            refuse_quantity(f"{owner}: params[{k}]", p)  # an ndarray subclass: units would go
            if p.dtype.kind in "iu":
                out.append(_frozen(np.ascontiguousarray(p, dtype=np.int64)))
            elif p.dtype.kind == "b":
                out.append(_frozen(np.ascontiguousarray(p)))
            elif p.dtype.kind in "f":
                out.append(_frozen(np.ascontiguousarray(p, dtype=np.float64)))
            else:
                raise TypeError(f"{owner}: params[{k}] has unsupported dtype {p.dtype} (kernels "
                                "take real, integer or boolean arrays)")
        elif isinstance(p, (bool, np.bool_)):
            out.append(bool(p))
        elif isinstance(p, numbers.Integral):
            out.append(int(p))
        elif isinstance(p, numbers.Real):
            out.append(float(p))
        elif isinstance(p, tuple):
            out.append(normalize_params(p, owner=f"{owner} params[{k}]"))
        else:
            raise TypeError(
                f"{owner}: params[{k}] is a {type(p).__name__}; kernels accept arrays, "
                "numbers and tuples of them"
            )
    return tuple(out)


def _kind(v):
    if isinstance(v, np.ndarray):
        return f"{v.dtype} array of shape {v.shape}"
    if isinstance(v, tuple):
        return f"tuple of {len(v)}"
    return type(v).__name__


def _match(ref, got, where):
    if isinstance(ref, tuple):
        if not isinstance(got, tuple) or len(got) != len(ref):
            raise ValueError(f"{where} must be a tuple of {len(ref)} entries like the "
                             f"system's, got {_kind(got)}")
        return tuple(_match(r, g, f"{where}[{k}]") for k, (r, g) in enumerate(zip(ref, got)))
    if isinstance(ref, np.ndarray):
        if not isinstance(got, np.ndarray) or got.dtype != ref.dtype or got.shape != ref.shape:
            raise ValueError(f"{where} must be a {ref.dtype} array of shape {ref.shape} like "
                             f"the system's, got {_kind(got)}: params= takes parameters of the "
                             "same layout (build another system for another size)")
        return got
    if isinstance(ref, bool):
        if not isinstance(got, bool):
            raise ValueError(f"{where} must be a bool like the system's, got {_kind(got)}")
        return got
    if isinstance(ref, int):
        if not isinstance(got, int) or isinstance(got, bool):
            raise ValueError(f"{where} must be an integer like the system's, got "
                             f"{got!r} ({_kind(got)})")
        return got
    if isinstance(ref, float):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            raise ValueError(f"{where} must be a number like the system's, got {_kind(got)}")
        return float(got)  # an int where the system has a float would be a new signature
    return got  # pragma: no cover - normalize_params admits nothing else


def match_params(reference, params, *, owner="system", where="params"):
    """``params`` normalized and checked against the layout of the system's own ``reference``
    params: same structure, array dtypes and shapes, scalar kinds (an int is taken for a float).

    A params tuple of another layout (say, from a smaller network) would make the compiled
    kernel read out of bounds, so it is refused, naming the first entry that differs
    (``where`` names the params tuple in that message).

    >>> match_params((np.zeros(2), 1.0), (np.ones(2), 3))[1]
    3.0
    >>> match_params((np.zeros(2), 1.0), (np.ones(3), 3))
    Traceback (most recent call last):
    ...
    ValueError: params[0] must be a float64 array of shape (2,) like the system's, got float64 array of shape (3,): params= takes parameters of the same layout (build another system for another size)
    """
    got = normalize_params(params, owner=owner)
    return _match(reference, got, where)


def _check_kernel(fn, what):
    if fn is None:
        return None
    if not callable(fn):
        raise TypeError(f"{what} must be a function, got {type(fn).__name__}")
    return fn


class ODESystem:
    """A continuous-time system ``dy/dt = f(t, y; p)`` given by a compiled-ready kernel.

    Parameters
    ----------
    rhs : function ``rhs(t, y, p, dydt)``
        Fills ``dydt`` in place. Plain restricted Python (loops, ``math``, array indexing);
        it is compiled with Numba by the engine, once per function.
    n_states : int
        Length of the state vector.
    params : tuple
        Runtime parameters passed as ``p`` (arrays, numbers, nested tuples).
    jac : function ``jac(t, y, p, J)``, optional
        Fills the ``(n, n)`` Jacobian ``J[i, j] = d f_i / d y_j`` in place.
    name : str, optional
        Shown in messages.
    pjac : function ``pjac(t, y, p, Jp)``, optional
        The parameter Jacobian for :func:`solvers.sensitivities`: fills ``Jp[i, c]``, the
        derivative of ``f_i`` by parameter column ``c`` (``Jp`` is zeroed before each call).
    param_shapes : mapping name -> shape, optional
        The parameter blocks whose columns ``pjac`` fills, in order (required with ``pjac``).

    Example
    -------
    >>> def lorenz(t, y, p, dydt):
    ...     s, r, b = p
    ...     dydt[0] = s * (y[1] - y[0])
    ...     dydt[1] = y[0] * (r - y[2]) - y[1]
    ...     dydt[2] = y[0] * y[1] - b * y[2]
    >>> sys = ODESystem(lorenz, 3, params=(10.0, 28.0, 8.0 / 3.0))
    >>> sys.n_states
    3
    """

    def __init__(self, rhs, n_states, params=(), jac=None, name=None, *, pjac=None,
                 param_shapes=None):
        self.rhs = _check_kernel(rhs, "rhs")
        if rhs is None:
            raise TypeError("rhs is required")
        self.jac = _check_kernel(jac, "jac")
        self.n_states = count("n_states", n_states, low=1)
        self.params = normalize_params(params, owner=name or getattr(rhs, "__name__", "system"))
        self.name = name or getattr(rhs, "__name__", "ODESystem")
        if pjac is not None or param_shapes is not None:
            # Only set when given: models (CTRNN) define these as their own attributes.
            if pjac is None or param_shapes is None:
                raise TypeError("pjac and param_shapes go together (the shapes name the "
                                "columns pjac fills)")
            self.pjac = _check_kernel(pjac, "pjac")
            self.param_shapes = dict(param_shapes)

    def with_params(self, params):
        """Return a copy of this system with other parameters (same kernel, no recompilation).

        >>> def decay(t, y, p, dydt):
        ...     dydt[0] = -p[0] * y[0]
        >>> ODESystem(decay, 1, (1.0,)).with_params((2.0,)).params
        (2.0,)
        """
        pjac = getattr(self, "pjac", None)
        return ODESystem(self.rhs, self.n_states, params, self.jac, self.name, pjac=pjac,
                         param_shapes=None if pjac is None else self.param_shapes)

    def __repr__(self):
        return f"ODESystem({self.name}, n_states={self.n_states})"


class MapSystem:
    """A discrete-time map ``x[k+1] = F(k, x[k]; p)`` given by a kernel ``step(k, x, p, x_next)``.

    Parameters
    ----------
    step : function ``step(k, x, p, x_next)``
        Fills ``x_next`` in place from ``x`` at iteration ``k`` (an integer).
    n_states : int
    params : tuple
    jac : function ``jac(k, x, p, J)``, optional
        Fills ``J[i, j] = d F_i / d x_j``.

    Example
    -------
    >>> def henon(k, x, p, out):
    ...     a, b = p
    ...     out[0] = 1.0 - a * x[0] * x[0] + x[1]
    ...     out[1] = b * x[0]
    >>> MapSystem(henon, 2, params=(1.4, 0.3)).n_states
    2
    """

    def __init__(self, step, n_states, params=(), jac=None, name=None):
        self.step = _check_kernel(step, "step")
        if step is None:
            raise TypeError("step is required")
        self.jac = _check_kernel(jac, "jac")
        self.n_states = count("n_states", n_states, low=1)
        self.params = normalize_params(params, owner=name or getattr(step, "__name__", "map"))
        self.name = name or getattr(step, "__name__", "MapSystem")

    def with_params(self, params):
        """Return a copy with other parameters (same kernel, no recompilation)."""
        return MapSystem(self.step, self.n_states, params, self.jac, self.name)

    def __repr__(self):
        return f"MapSystem({self.name}, n_states={self.n_states})"
