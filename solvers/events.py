"""Events: where a function of the state crosses zero, located inside the compiled loops.

An event is a kernel ``g(t, y, p) -> float`` written like a right-hand side (plain restricted
Python; ``p`` is the system's params tuple) and compiled into the integration loop. A crossing
is a sign change of ``g`` between the ends of an accepted step (SciPy's rule); it is then
located on that step's own interpolant by the Illinois variant of regula falsi to a few ulps
of ``t``. ``terminal`` and ``direction`` mean what they mean in SciPy's ``solve_ivp``, given
as attributes of the function or through :class:`Event`.
"""
from __future__ import annotations

import numbers

import numpy as np

from ._checks import InvalidTypeError, real_array, real_number
from ._codegen import PLANE

__all__ = ["Event"]


class Event:
    """An event kernel with its options.

    Parameters
    ----------
    g : callable
        ``g(t, y, p) -> float``, Numba-compilable (the same rules as an RHS kernel).
    terminal : bool or int
        ``False``: record every crossing. ``True``: stop the run at the first crossing.
        An int k >= 1: stop at the k-th crossing (as SciPy's ``terminal`` count).
    direction : -1, 0 or 1
        ``1``: only crossings where g goes from negative to positive; ``-1``: positive to
        negative; ``0``: both.

    Example
    -------
    >>> import numpy as np
    >>> from solvers import Event, ODESystem, solve
    >>> def fall(t, y, p, dydt):
    ...     dydt[0] = y[1]
    ...     dydt[1] = -9.81
    >>> def ground(t, y, p):
    ...     return y[0]
    >>> sol = solve(ODESystem(fall, 2), (0.0, 10.0), [10.0, 0.0],
    ...             events=Event(ground, terminal=True, direction=-1))
    >>> sol.status, bool(abs(sol.t_events[0][0] - np.sqrt(20 / 9.81)) < 1e-9)
    (1, True)
    """

    __slots__ = ("g", "terminal", "direction", "normal", "offset")

    def __init__(self, g, terminal=False, direction=0):
        normal, offset = None, 0.0
        if isinstance(g, Event):
            g, normal, offset = g.g, g.normal, g.offset
        self.g = g
        self.terminal = terminal
        self.direction = direction
        self.normal = normal
        self.offset = offset

    @classmethod
    def plane(cls, normal, offset=0.0, *, terminal=False, direction=0):
        """The hyperplane section ``normal . y = offset`` as an event (g = normal . y -
        offset). One compiled event serves every plane: its normal and offset are data of
        the run, not constants of the machine code.

        >>> ev = Event.plane([1.0, 0.0], 0.5, direction=1)
        >>> ev.normal.tolist(), ev.offset
        ([1.0, 0.0], 0.5)
        """
        ev = cls(PLANE, terminal=terminal, direction=direction)
        ev.normal = np.array(real_array("plane normal", normal, ndim=1), dtype=float)
        if not np.any(ev.normal != 0):
            raise ValueError("the plane's normal must not be the zero vector")
        ev.offset = real_number("plane offset", offset)
        return ev

    def __repr__(self):
        if self.normal is not None:
            return (f"Event.plane({self.normal.tolist()}, {self.offset!r}, terminal="
                    f"{self.terminal!r}, direction={self.direction!r})")
        name = getattr(self.g, "__name__", repr(self.g))
        return f"Event({name}, terminal={self.terminal!r}, direction={self.direction!r})"


def _terminal_count(k, value):
    if isinstance(value, (bool, np.bool_)):
        return 1 if value else 0
    if isinstance(value, numbers.Integral) and value >= 0:
        return int(value)
    raise InvalidTypeError(f"event {k}: terminal must be True, False or a count >= 1 (stop at "
                           f"that many crossings), got {value!r}")


def _direction(k, value):
    if not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real) \
            and value in (-1, 0, 1):
        return float(value)
    raise InvalidTypeError(f"event {k}: direction must be -1, 0 or 1, got {value!r}")


def event_specs(events):
    """``(kernels, directions, terminal counts, planes)`` for ``solve(events=...)``; planes
    maps an event's index to its ``(normal, offset)``; None -> no events.

    >>> def g(t, y, p):
    ...     return y[0]
    >>> g.terminal = True
    >>> kernels, d, term, planes = event_specs([g, Event(g, direction=-1)])
    >>> d.tolist(), term.tolist(), planes
    ([0.0, -1.0], [1, 0], {})
    """
    if events is None:
        return (), np.zeros(0), np.zeros(0, np.int64), {}
    if callable(events) or isinstance(events, Event):
        events = [events]
    if isinstance(events, (str, bytes)) or not hasattr(events, "__iter__"):
        raise InvalidTypeError(f"events must be an event function g(t, y, p), a solvers.Event "
                               f"or a list of them, got {events!r}")
    kernels, dirs, terms, planes = [], [], [], {}
    for k, ev in enumerate(events):
        if isinstance(ev, Event):
            g, terminal, direction = ev.g, ev.terminal, ev.direction
            if ev.normal is not None:
                planes[k] = (ev.normal, float(ev.offset))
        else:
            g = ev
            terminal = getattr(ev, "terminal", False)
            direction = getattr(ev, "direction", 0)
        if not callable(g) and k not in planes:
            raise InvalidTypeError(f"event {k} must be a function g(t, y, p) -> float, got "
                                   f"{g!r}")
        kernels.append(g)
        dirs.append(_direction(k, direction))
        terms.append(_terminal_count(k, terminal))
    return (tuple(kernels), np.array(dirs, dtype=float), np.array(terms, dtype=np.int64),
            planes)
