"""Drive one memristive device with a voltage source: ``t, v, i, x`` and the pinched loop.

:func:`drive` integrates the device's state under a :mod:`circuits.sources` waveform with
``solvers.solve`` (one compiled kernel per device type; other sources and parameters compile
nothing new) and returns a :class:`DriveResult`, whose :meth:`~DriveResult.lobe_areas` measures
the two lobes of the pinched hysteresis loop in the ``v``-``i`` plane.
"""
from __future__ import annotations

import numpy as np

import solvers
from neurodyn._model import clip, num, physical
from solvers._checks import real_array, real_number
from solvers.solution import NON_FINITE

from .sources import Pulses, as_source

__all__ = ["drive", "DriveResult", "OUT_OF_RANGE"]

OUT_OF_RANGE = -5
# How close to 0 or 1 the last state of a window-free run that stopped on a non-finite
# derivative must be for the stop to count as leaving [0, 1] (it lands within ~1e-13 of it).
_EDGE_TOL = 1e-6


class DriveResult:
    """What :func:`drive` computed.

    Attributes
    ----------
    t : ndarray, shape (k,)
        Times, seconds.
    v, i : ndarray, shape (k,)
        Voltage across the device (volts) and current through it (amperes).
    x : ndarray, shape (k,)
        State, ``x = 1`` ON (``R_on``), ``x = 0`` OFF (``R_off``).
    status : int
        The solver's status (0 success, negative: stopped early), or ``OUT_OF_RANGE`` (-5): a
        window-free device reached ``x = 0`` or ``1`` and the run stopped there.
    message : str
    success : bool
    solution : solvers.Solution
        The raw solution (``y[:, 0]`` is ``x``), with its statistics.
    device, source :
        What was driven, and by what.

    Example
    -------
    >>> from circuits.devices import HPMemristor
    >>> from circuits.sources import Sine
    >>> r = drive(HPMemristor(), Sine(1.0, 1.0), (0.0, 1.0), 0.1,
    ...           t_eval=np.linspace(0.0, 1.0, 2001))
    >>> r.success, r.x.shape
    (True, (2001,))
    >>> a_pos, a_neg = r.lobe_areas()          # watts: the loop's two lobes, equal for a sine
    >>> round(a_pos * 1e6, 3), round(abs(a_pos - a_neg) / a_pos, 6)
    (8.928, 0.0)
    >>> r                                      # a summary, not the 2001 samples
    DriveResult: HPMemristor under Sine(amplitude=1.0, frequency=1.0, phase=0.0, offset=0.0)
      2001 samples, t = 0 .. 1 s; success (status 0)
      x 0.1 -> 0.1 (range 0.1 .. 0.3575), |i| up to 8.089e-05 A
      message: The solver successfully reached the end of the integration interval.
    """

    __slots__ = ("t", "v", "i", "x", "status", "message", "solution", "device", "source")

    def __init__(self, t, v, i, x, status, message, solution, device, source):
        self.t, self.v, self.i, self.x = t, v, i, x
        self.status = int(status)
        self.message = message
        self.solution = solution
        self.device = device
        self.source = source

    @property
    def success(self):
        return self.status == 0

    def lobe_areas(self, period=None):
        """Areas of the pinched loop in the ``v``-``i`` plane over the last period (watts).

        Returns ``(a_pos, a_neg)``: the area the loop encloses where ``v > 0`` and where
        ``v < 0``. Each lobe is a closed curve through the origin (``i = 0`` whenever ``v = 0``),
        measured by the shoelace formula on the samples, closed through the origin; the error
        falls as the square of the sample spacing, so use a fine ``t_eval`` (a few hundred
        points per period at least). The samples of the last period are taken in cyclic
        order, which is exact for a periodic (settled) loop.

        Parameters
        ----------
        period : float, optional
            Default: the source's period (Sine, Triangle, Pulses).
        """
        if period is None:
            period = getattr(self.source, "period", None)
            if period is None:
                raise ValueError(f"{self.source!r} has no period: pass lobe_areas(period=...)")
        period = real_number("period", physical("period", period, "time"))
        if not period > 0.0:
            raise ValueError(f"period must be positive, got {period!r}")
        t = self.t
        if len(t) == 0 or t[-1] - t[0] < period * (1.0 - 1e-9):
            raise ValueError(f"the run covers {t[-1] - t[0] if len(t) else 0.0:.6g} s, less than "
                             f"one period ({period:.6g} s)")
        sel = t >= t[-1] - period * (1.0 + 1e-9)
        v, i = self.v[sel], self.i[sel]
        if v.size < 16:
            raise ValueError(f"only {v.size} samples in the last period: give drive() a finer "
                             "t_eval")
        sign = np.sign(v)
        # Start at the beginning of a run, so that no lobe is cut at the window's edge.
        change = np.flatnonzero(sign != np.roll(sign, 1))
        if change.size:
            k = int(change[0])
            v, i, sign = np.roll(v, -k), np.roll(i, -k), np.roll(sign, -k)
        areas = {1.0: 0.0, -1.0: 0.0}
        bounds = np.flatnonzero(np.diff(sign)) + 1
        for run_v, run_i, s in zip(np.split(v, bounds), np.split(i, bounds),
                                   sign[np.r_[0, bounds]]):
            if s == 0.0:
                continue
            # polygon origin -> samples -> origin
            pv = np.concatenate(([0.0], run_v, [0.0]))
            pi = np.concatenate(([0.0], run_i, [0.0]))
            areas[s] += 0.5 * abs(float(np.dot(pv[:-1], pi[1:]) - np.dot(pv[1:], pi[:-1])))
        return areas[1.0], areas[-1.0]

    def plot(self, ax=None, **kwargs):
        """Plot the ``i``-``v`` loop (needs matplotlib); returns the axes.

        Keyword arguments go to ``ax.plot``.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("plot() needs matplotlib: pip install matplotlib") from None
        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.v, self.i, **kwargs)
        ax.set_xlabel("v (V)")
        ax.set_ylabel("i (A)")
        return ax

    def __repr__(self):
        k = len(self.t)
        lines = [f"DriveResult: {type(self.device).__name__} under {clip(repr(self.source), 90)}",
                 f"  {k} samples" + (f", t = {num(self.t[0])} .. {num(self.t[-1])} s" if k
                                     else "") +
                 f"; {'success' if self.success else 'stopped early'} (status {self.status})"]
        if k:
            lines.append(f"  x {num(self.x[0])} -> {num(self.x[-1])} (range "
                         f"{num(np.min(self.x))} .. {num(np.max(self.x))}), |i| up to "
                         f"{num(np.max(np.abs(self.i)))} A")
        lines.append(f"  message: {clip(self.message, 140)}")
        return "\n".join(lines)


def _x0(x0):
    a = real_array("x0", x0)
    if a.size != 1:
        raise ValueError(f"x0 must be a number in [0, 1], got {x0!r}")
    x0 = float(a.reshape(-1)[0])
    if not (0.0 <= x0 <= 1.0):
        raise ValueError(f"x0 must lie in [0, 1] (x = 1 is ON, x = 0 OFF), got {x0!r}")
    return x0


def drive(device, source, t_span, x0, *, t_eval=None, method="dopri5", rtol=1e-8, atol=1e-12,
          max_step=None, max_steps=None):
    """Drive ``device`` with the voltage ``source`` from state ``x0`` over ``t_span``.

    Parameters
    ----------
    device : circuits.devices.HPMemristor or circuits.devices.VTEAM
    source : circuits source or number
        Constant, Sine, Triangle, Pulses or Sampled (a number is a constant voltage).
    t_span : (t0, t1)
        Seconds (plain numbers, or brian2 times: every time argument is converted to seconds
        after a check of its dimension).
    x0 : float
        Initial state in ``[0, 1]``.
    t_eval : array_like, optional
        Output times; default every solver step. :meth:`DriveResult.lobe_areas` wants a
        fine, regular grid.
    method, rtol, atol, max_steps :
        As for :func:`solvers.solve` (``x`` is of order 1, hence the absolute default).
    max_step : float, optional
        Largest step. Default: half the pulse width for :class:`~circuits.sources.Pulses`
        (an adaptive step could jump over a pulse), otherwise unbounded. Each edge of a pulse
        (or of a zero-order-held sample) costs an error of about the tolerance in ``x``: the
        solver shrinks its step onto the jump instead of locating it (measured: 4 pulses moved
        a VTEAM state 1.7e-7 off its exact value at the default rtol, 2.4e-10 at rtol=1e-10).

    Returns
    -------
    DriveResult
        ``t, v, i, x``, ``status``, ``message``, ``solution``. A window-free device whose
        state reaches 0 or 1 (its physical range ends there) stops at that time with
        ``status = OUT_OF_RANGE`` and a message that says where; what came before is kept.

    Example
    -------
    A window-free HP device under a strong drive reaches its ON end within the first
    half-wave, and the run stops there instead of returning an unphysical ``x > 1``:

    >>> from circuits.devices import HPMemristor
    >>> from circuits.sources import Sine
    >>> r = drive(HPMemristor(), Sine(5.0, 1.0), (0.0, 1.0), 0.5)
    >>> r.status, round(float(r.x[-1]), 9), bool(0.0 < r.t[-1] < 0.5)
    (-5, 1.0, True)
    >>> print(r.message)
    x reached 1 at t = 0.116472600... s: the window-free HPMemristor is at its ON ...
    """
    if not (hasattr(device, "system") and hasattr(device, "current")):
        raise TypeError(f"drive() needs a device from circuits.devices (HPMemristor, VTEAM), "
                        f"got {type(device).__name__}")
    src = as_source(source, "drive() source")
    check = getattr(device, "check_initial_state", None)
    x0 = check(x0) if check is not None else _x0(x0)
    t_span = physical("t_span", t_span, "time")
    t_eval = physical("t_eval", t_eval, "time")
    if max_step is None:
        max_step = 0.5 * src.width if isinstance(src, Pulses) else np.inf
    else:
        max_step = physical("max_step", max_step, "time")
    system = device.system(src)
    sol = solvers.solve(system, t_span, [x0], method=method, t_eval=t_eval, rtol=rtol,
                        atol=atol, max_step=max_step, max_steps=max_steps)
    t = sol.t
    x = sol.y[:, 0]
    v = src(t) if len(t) else np.empty(0)
    current = getattr(device, "_current", device.current)  # no range check on solver states
    i = current(x, v) if len(t) else np.empty(0)
    i = np.asarray(i, dtype=np.float64)
    status, message = sol.status, sol.message
    if status == NON_FINITE and getattr(device, "window", 0) is None:
        xf = float(sol.y_final[0])
        edge = 1.0 if xf > 0.5 else 0.0
        if abs(xf - edge) <= _EDGE_TOL:
            status = OUT_OF_RANGE
            end = "ON (x = 1, R_on)" if edge else "OFF (x = 0, R_off)"
            message = (f"x reached {edge:g} at t = {sol.t_final:.17g} s: the window-free "
                       f"{type(device).__name__} is at its {end} end and its equations have "
                       "no meaning beyond, so the run stopped there (results kept up to that "
                       "time). Use a window (joglekar, biolek, prodromakis) or a weaker drive.")
    return DriveResult(t, v, i, x, status, message, sol, device, src)
