"""Problem descriptions the engine integrates: continuous-time systems and discrete-time maps.

A system is a *kernel* (a plain, restricted-Python function that Numba can compile for the CPU
and, kept free of NumPy calls, for a CUDA device) plus the runtime parameters it reads. The
kernel is compiled once per kernel function; parameters are arguments, so two systems that
share a kernel share all compiled code.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["ODESystem", "MapSystem", "normalize_params"]


def normalize_params(params, *, owner="system"):
    """Return ``params`` as a tuple Numba types the same way on every call.

    Arrays become C-contiguous (float64 unless integer or boolean), Python and NumPy scalars
    become ``float`` or ``int``. A model that always builds its tuple from the same kinds of
    values therefore always hits the same compiled specialisation.

    >>> normalize_params((np.eye(2), 3, 0.5))[1:]
    (3, 0.5)
    """
    if not isinstance(params, tuple):
        if isinstance(params, list):
            params = tuple(params)
        else:
            raise TypeError(f"{owner}: params must be a tuple, got {type(params).__name__}")
    out = []
    for k, p in enumerate(params):
        if isinstance(p, np.ndarray):
            if p.dtype.kind in "iu":
                out.append(np.ascontiguousarray(p, dtype=np.int64))
            elif p.dtype.kind == "b":
                out.append(np.ascontiguousarray(p))
            elif p.dtype.kind in "f":
                out.append(np.ascontiguousarray(p, dtype=np.float64))
            else:
                raise TypeError(f"{owner}: params[{k}] has unsupported dtype {p.dtype}")
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

    def __init__(self, rhs, n_states, params=(), jac=None, name=None):
        self.rhs = _check_kernel(rhs, "rhs")
        if rhs is None:
            raise TypeError("rhs is required")
        self.jac = _check_kernel(jac, "jac")
        n = int(n_states)
        if n != n_states or n < 1:
            raise ValueError(f"n_states must be a positive integer, got {n_states!r}")
        self.n_states = n
        self.params = normalize_params(params, owner=name or getattr(rhs, "__name__", "system"))
        self.name = name or getattr(rhs, "__name__", "ODESystem")

    def with_params(self, params):
        """Return a copy of this system with other parameters (same kernel, no recompilation).

        >>> def decay(t, y, p, dydt):
        ...     dydt[0] = -p[0] * y[0]
        >>> ODESystem(decay, 1, (1.0,)).with_params((2.0,)).params
        (2.0,)
        """
        return ODESystem(self.rhs, self.n_states, params, self.jac, self.name)

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
        n = int(n_states)
        if n != n_states or n < 1:
            raise ValueError(f"n_states must be a positive integer, got {n_states!r}")
        self.n_states = n
        self.params = normalize_params(params, owner=name or getattr(step, "__name__", "map"))
        self.name = name or getattr(step, "__name__", "MapSystem")

    def with_params(self, params):
        """Return a copy with other parameters (same kernel, no recompilation)."""
        return MapSystem(self.step, self.n_states, params, self.jac, self.name)

    def __repr__(self):
        return f"MapSystem({self.name}, n_states={self.n_states})"
