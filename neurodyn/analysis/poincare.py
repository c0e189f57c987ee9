"""Poincaré sections and orbit diagrams, located by the engine's events.

A section is a hyperplane ``normal . y = offset`` (or any event kernel ``g(t, y, p)``); its
crossings are found inside the compiled integration loop on each step's own interpolant, to a
few ulps of ``t`` — not by interpolating a sampled trajectory afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import solvers
from solvers._checks import InvalidTypeError, count, real_array, real_number

from .._model import clip, num, summary
from .jacobian import _check

__all__ = ["poincare_section", "PoincareSection", "orbit_diagram"]


@dataclass(frozen=True)
class PoincareSection:
    """Crossings of a section: times ``t`` (k,), states ``y`` (k, n), whether the run went
    as asked (``success``: it reached ``n_crossings`` or ``t_max``), ``message``, and the
    section (``plane``: ``(normal, offset)``, or the event kernel).

    It prints as a summary:

    >>> PoincareSection(np.array([1.0, 7.5, 14.0]), np.zeros((3, 2)), True, "done",
    ...                 ([1.0, 0.0], 0.0))
    PoincareSection: 3 crossings, t = 1 .. 14, 2 states, success
      return times: mean 6.5 (min 6.5, max 6.5); section: normal [1, 0], offset 0
      message: done
    """
    t: np.ndarray
    y: np.ndarray
    success: bool
    message: str
    plane: object

    def __repr__(self):
        k = len(self)
        n = int(self.y.shape[1]) if np.ndim(self.y) == 2 else 0
        span = f", t = {num(self.t[0])} .. {num(self.t[-1])}" if k else ""
        rt = self.return_times
        times = (f"return times: mean {num(rt.mean())} (min {num(rt.min())}, max "
                 f"{num(rt.max())})" if rt.size else "no return times")
        if isinstance(self.plane, (tuple, list)) and len(self.plane) == 2:
            sec = f"normal {summary(self.plane[0])}, offset {num(self.plane[1])}"
        else:
            sec = clip(getattr(self.plane, "__name__", repr(self.plane)), 60)
        return "\n".join([
            f"PoincareSection: {k} crossing{'s' if k != 1 else ''}{span}, {n} states, "
            f"{'success' if self.success else 'stopped early'}",
            f"  {times}; section: {sec}",
            f"  message: {clip(self.message, 140)}"])

    @property
    def return_times(self):
        """Times between consecutive crossings (the period of a cycle crossing once)."""
        return np.diff(self.t)

    def __len__(self):
        return int(self.t.size)


def _section_event(plane, n, direction, terminal):
    if callable(plane) and not isinstance(plane, (tuple, list, np.ndarray)):
        return solvers.Event(plane, terminal=terminal, direction=direction)
    if isinstance(plane, solvers.Event):
        return solvers.Event(plane, terminal=terminal, direction=direction)
    if not isinstance(plane, (tuple, list)) or len(plane) != 2:
        raise InvalidTypeError(f"plane must be (normal, offset) or an event kernel g(t, y, p), "
                               f"got {plane!r}")
    normal = real_array("plane normal", plane[0], shape=(n,), per="one entry per state")
    return solvers.Event.plane(normal, plane[1], terminal=terminal, direction=direction)


def poincare_section(system, y0, plane, *, direction=1, n_crossings=None, t_max=None,
                     t_transient=0.0, method="dopri5", rtol=1e-10, atol=1e-12, params=None):
    """The crossings of a trajectory through a section.

    Parameters
    ----------
    system : ODESystem or model
    y0 : array_like, shape (n,)
    plane : (normal, offset) or callable
        The hyperplane ``normal . y = offset``, or an event kernel ``g(t, y, p) -> float``
        (compiled like an RHS) whose zeros are the section.
    direction : -1, 0 or 1
        Which crossings count (1: g from negative to positive, as SciPy's event direction).
    n_crossings : int, optional
        Stop at this many crossings (after the transient).
    t_max : float, optional
        Longest integration after the transient (default 1e4 when ``n_crossings`` is given;
        required otherwise).
    t_transient : float
        Time integrated first and discarded (to reach the attractor).
    method, rtol, atol, params
        As :func:`solvers.solve`.

    Returns
    -------
    PoincareSection

    Example
    -------
    The Van der Pol oscillator (mu = 1): the period is the time between upward crossings of
    x = 0.

    >>> import numpy as np
    >>> from solvers import ODESystem
    >>> from neurodyn.analysis._examples import van_der_pol
    >>> ps = poincare_section(ODESystem(van_der_pol, 2, (1.0,)), [2.0, 0.0], ([1.0, 0.0], 0.0),
    ...                       n_crossings=4, t_transient=50.0)
    >>> round(float(ps.return_times.mean()), 8)
    6.66328686
    """
    _check(system, "poincare_section", maps=False)
    n = int(system.n_states)
    y = real_array("y0", y0, shape=(n,), per="one value per state")
    t_transient = real_number("t_transient", t_transient, nonnegative=True)
    if n_crossings is not None:
        n_crossings = count("n_crossings", n_crossings, low=1)
    if t_max is None:
        if n_crossings is None:
            raise ValueError("give n_crossings, t_max or both: nothing says when to stop")
        t_max = 1e4
    t_max = real_number("t_max", t_max, positive=True)
    ev = _section_event(plane, n, direction, n_crossings or False)
    label = plane if callable(plane) else (ev.normal, ev.offset)
    if t_transient > 0:
        sol = solvers.solve(system, (0.0, t_transient), y, method=method, rtol=rtol, atol=atol,
                            params=params, max_steps=10_000_000)
        if not sol.success:
            return PoincareSection(np.empty(0), np.empty((0, n)), False,
                                   f"transient failed: {sol.message}", label)
        y = sol.y_final
    t0 = t_transient
    sol = solvers.solve(system, (t0, t0 + t_max), y, method=method, rtol=rtol, atol=atol,
                        params=params, events=ev, max_steps=10_000_000, t_eval=[t0])
    tc, yc = sol.t_events[0], sol.y_events[0]
    if not sol.success:
        msg = f"integration stopped after {tc.size} crossings: {sol.message}"
        ok = False
    elif n_crossings is not None and tc.size < n_crossings:
        msg = (f"only {tc.size} of the {n_crossings} crossings asked for in t_max = {t_max} "
               "(lengthen t_max; the trajectory may settle to a fixed point off the section)")
        ok = False
    else:
        msg = f"{tc.size} crossings in t = [{t0:g}, {float(sol.t_final):.10g}]"
        ok = True
    return PoincareSection(tc, yc, ok, msg, label)


def orbit_diagram(systems, y0, plane, component, *, direction=1, n_crossings=100,
                  t_transient=500.0, t_max=None, method="dopri5", rtol=1e-9, atol=1e-11,
                  n_threads=None):
    """Orbit (bifurcation) diagram: for each system of a parameter sweep, the values of one
    state at its last ``n_crossings`` section crossings after a transient.

    ``systems`` share one kernel (e.g. ``[net.replace(bias=b) for b in biases]``); they run as
    one ensemble on every core (events per member). Returns ``(member, value)``: two 1-D
    arrays of equal length, member index and ``y[component]`` at each crossing — plot one
    against the other (or against the parameter the members were built from).

    >>> import numpy as np
    >>> from solvers import ODESystem
    >>> from neurodyn.analysis._examples import van_der_pol
    >>> base = ODESystem(van_der_pol, 2, (1.0,))
    >>> m, v = orbit_diagram([base.with_params((mu,)) for mu in (0.5, 1.0)], [2.0, 0.0],
    ...                      ([1.0, 0.0], 0.0), 1, n_crossings=3, t_transient=50.0, t_max=40.0)
    >>> m.tolist(), bool(np.all(v > 2.0))       # the cycles' speed through x = 0, upwards
    ([0, 0, 0, 1, 1, 1], True)
    """
    systems = list(systems)
    if not systems:
        raise ValueError("orbit_diagram needs at least one system")
    n = int(systems[0].n_states)
    component = count("component", component, low=0)
    if component >= n:
        raise ValueError(f"component = {component} is out of range (0 to {n - 1})")
    n_crossings = count("n_crossings", n_crossings, low=1)
    t_transient = real_number("t_transient", t_transient, nonnegative=True)
    if t_max is None:
        t_max = 1e4
    t_max = real_number("t_max", t_max, positive=True)
    y = real_array("y0", y0, shape=(n,), per="one value per state")
    Y = np.repeat(y[None, :], len(systems), axis=0)
    if t_transient > 0:
        ens = solvers.solve_ensemble(systems, (0.0, t_transient), Y, method=method, rtol=rtol,
                                     atol=atol, save="final", n_threads=n_threads,
                                     max_steps=10_000_000)
        Y = ens.y_final
    ev = _section_event(plane, n, direction, n_crossings)
    ens = solvers.solve_ensemble(systems, (t_transient, t_transient + t_max), Y, method=method,
                                 rtol=rtol, atol=atol, save="final", events=ev,
                                 n_threads=n_threads, max_steps=10_000_000)
    members, values = [], []
    for i in range(len(systems)):
        yc = ens.y_events[i][0] if ens.y_events[i] is not None else np.empty((0, n))
        members.append(np.full(yc.shape[0], i, dtype=np.int64))
        values.append(yc[:, component])
    return np.concatenate(members), np.concatenate(values)
