"""Jacobians of flows and maps: the model's analytic one when it has it, else finite differences.

Also the small evaluator the other analyses share: the residual whose zeros are fixed points
(``f(y)`` for a flow, ``F(x) - x`` for a map) and its Jacobian, both through the compiled kernels.
"""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, real_array, real_number
from solvers._codegen import loops_for

__all__ = ["jacobian"]

# Central differences have truncation error O(h^2) and rounding error O(eps/h); the sum is
# smallest at h ~ eps^(1/3) (Nocedal & Wright, Numerical Optimization, 8.1), scaled by the size
# of the coordinate. Complex-step differentiation would be exact to rounding, but the compiled
# kernels are real (float64 state and output arrays), so it is not available.
_EPS3 = np.finfo(np.float64).eps ** (1.0 / 3.0)


def _is_map(system):
    return hasattr(system, "step") and not hasattr(system, "rhs")


def _system_name(system):
    return getattr(system, "name", None) or type(system).__name__


def _check(system, what, *, maps=True):
    """Refuse (InvalidTypeError, naming ``what`` and what it accepts) anything but a system
    ``what`` can analyse; return True for a map, False for a flow.

    ``maps=False``: only continuous-time systems (flows) are accepted.
    """
    kind = type(system).__name__
    if maps:
        wants = (f"{what}() needs an ODESystem, a MapSystem or a neurodyn model that is one "
                 "(CTRNN, ContinuousHopfield, ContinuousBAM, ...)")
    else:
        wants = (f"{what}() needs a continuous-time system (an ODESystem, or a neurodyn model "
                 "that is one: CTRNN, ContinuousHopfield, ContinuousBAM, ...)")
    if callable(getattr(system, "system", None)) and not hasattr(system, "n_states"):
        hint = "; call its .system(...) to get one as an ODESystem"
    elif (not hasattr(system, "rhs") and not hasattr(system, "step")
          and type(system).__module__.startswith("neurodyn")):
        hint = (f" ({kind} is a discrete-time network that runs its own updates, not a "
                "system)")
    else:
        hint = ""
    for attr in ("params", "n_states"):
        if not hasattr(system, attr):
            raise InvalidTypeError(f"{wants}; got {kind}, which has no .{attr}{hint}")
    if not hasattr(system, "rhs") and not hasattr(system, "step"):
        raise InvalidTypeError(f"{wants}; {kind} has neither a kernel .rhs (a flow) nor .step "
                               f"(a map){hint}")
    is_map = _is_map(system)
    if is_map and not maps:
        raise InvalidTypeError(f"{wants}; got {system!r}, a map (discrete time)")
    return is_map


def _flag(name, value):
    """``value`` as a bool; ints, strings and the like are refused, not read as truth values."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be True or False, got {value!r} "
                               f"({type(value).__name__})")
    return bool(value)


def _time(name, value, is_map, *, positive=False, nonnegative=False, at_least_one=False):
    """A time: a real number for a flow; for a map an iteration count, which must be a whole
    number (a float such as 20.0 is accepted, 2.5 is not truncated)."""
    v = real_number(name, value, positive=positive, nonnegative=nonnegative)
    if is_map:
        if not v.is_integer():
            raise ValueError(f"{name} counts iterations for a map: it must be a whole number, "
                             f"got {value!r}")
        if at_least_one and v < 1:
            raise ValueError(f"{name} counts iterations for a map: it must be >= 1, got "
                             f"{value!r}")
        return int(v)
    return v


def _state(y, n, system, what="y"):
    v = real_array(what, y, finite=False)
    if v.ndim != 1 or v.size != n:
        raise ValueError(f"{what} must be a vector of length {n} for "
                         f"{getattr(system, 'name', type(system).__name__)}, got shape {v.shape}")
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise ValueError(f"{what}[{bad[0]}] is {v[bad[0]]}: states must be finite")
    return v.copy() if v is y else v


class _Evaluator:
    """``F`` (the vector field or the map) and its Jacobian at a fixed time, compiled."""

    def __init__(self, system, t=0.0, what="jacobian"):
        self.is_map = _check(system, what)
        self.system = system
        self.n = int(system.n_states)
        self.p = system.params
        self.has_jac = getattr(system, "jac", None) is not None
        # t: the time a non-autonomous flow is frozen at, or a map's iteration index
        self.t = _time("t", t, self.is_map)
        if self.is_map:
            self.mod = loops_for("map", system.step, system.jac)
        else:
            self.mod = loops_for("ode", system.rhs, system.jac)

    def F(self, y):
        if self.is_map:
            return self.mod.eval_step(self.t, y, self.p)
        out = np.empty(self.n)
        self.mod.rhs_into(self.p, self.t, y, out)
        return out

    def DF(self, y):
        if self.has_jac:
            if self.is_map:
                return self.mod.eval_jac(self.t, y, self.p)
            J = np.zeros((self.n, self.n))
            self.mod.jac_into(self.p, self.t, y, J)
            return J
        return self.fd_jac(y)

    def fd_jac(self, y):
        J = np.empty((self.n, self.n))
        yp = y.copy()
        for i in range(self.n):
            h = _EPS3 * max(1.0, abs(y[i]))
            yp[i] = y[i] + h
            fp = self.F(yp)
            yp[i] = y[i] - h
            fm = self.F(yp)
            # The step actually taken (y + h) - (y - h) may differ from 2h by rounding.
            J[:, i] = (fp - fm) / ((y[i] + h) - (y[i] - h))
            yp[i] = y[i]
        return J

    # Fixed points are zeros of G: f(y) for a flow, F(x) - x for a map.
    def G(self, y):
        return self.F(y) - y if self.is_map else self.F(y)

    def DG(self, y):
        J = self.DF(y)
        if self.is_map:
            J[np.diag_indices(self.n)] -= 1.0
        return J


def jacobian(system, y, t=0.0):
    """The Jacobian ``J[i, j] = dF_i/dy_j`` of a flow ``dy/dt = F(t, y)`` or a map ``F(k, x)``.

    Uses the system's analytic Jacobian kernel (``system.jac``) when it has one, through the
    compiled kernel; otherwise central finite differences with step
    ``h_i = eps^(1/3) max(1, |y_i|)`` (the step that balances truncation against rounding error,
    giving about 10 correct digits). Complex-step differentiation is not offered: the compiled
    kernels work on real arrays.

    Parameters
    ----------
    system : ODESystem, MapSystem or a neurodyn model
    y : array_like, shape (n,)
    t : float
        Time (or, for a map, the iteration index ``k``) at which to evaluate.

    Example
    -------
    >>> import numpy as np
    >>> from solvers import ODESystem
    >>> def pendulum(t, y, p, dydt):
    ...     dydt[0] = y[1]
    ...     dydt[1] = -np.sin(y[0])
    >>> jacobian(ODESystem(pendulum, 2), [0.0, 0.0]).round(8)
    array([[ 0.,  1.],
           [-1.,  0.]])
    """
    ev = _Evaluator(system, t, "jacobian")
    return ev.DF(_state(y, ev.n, system))
