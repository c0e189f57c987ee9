"""The pinched hysteresis loop of a driven memristive device.

neurodyn never imports ``circuits`` (the package arrows run the other way): the result is
read by its attributes (``v``, ``i``, ``t``), so anything shaped like ``circuits.drive``'s
result can be drawn.
"""
from __future__ import annotations

from solvers._checks import InvalidTypeError, real_array, real_number

from ._base import _axes, _require, _text

__all__ = ["hysteresis"]

_CURRENT_UNITS = {"A": 1.0, "mA": 1e3, "uA": 1e6, "nA": 1e9}


def hysteresis(drive_result, ax=None, *, last=None, i_unit="A", label=None, **line_kw):
    """The current-voltage loop of a driven device (``i`` against ``v``).

    A memristor's loop is pinched: it passes through the origin, since ``i = 0`` whenever
    ``v = 0``. Thin lines through the origin are drawn once per axes to show it.

    Parameters
    ----------
    drive_result : circuits.DriveResult or anything with ``.v`` and ``.i``
        Voltage (V) and current (A) samples of equal length; ``.t`` (s) too when ``last`` is
        given.
    ax : matplotlib Axes, optional
    last : float, optional
        Draw only the samples of the last ``last`` seconds (say one period of the drive,
        after the device has settled). Default: every sample.
    i_unit : {"A", "mA", "uA", "nA"}
        Unit of the current axis.
    label : str, optional
        Legend label of the loop.
    **line_kw
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
        The loop is the line with gid ``"loop"`` (x = v, y = i in ``i_unit``).

    Example
    -------
    Any object with ``v`` and ``i`` will do; here a linear resistor's "loop" (a line):

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> v = np.sin(np.linspace(0.0, 2 * np.pi, 9))
    >>> ax = hysteresis(SimpleNamespace(v=v, i=v / 100.0), i_unit="mA")
    >>> loop = [line for line in ax.lines if line.get_gid() == "loop"][0]
    >>> np.allclose(loop.get_ydata(), 10.0 * v), ax.get_ylabel()
    (True, 'i (mA)')
    """
    _require(drive_result, ("v", "i"), "hysteresis: drive_result",
             "a circuits.drive result (with .v and .i)")
    v = real_array("drive_result.v", drive_result.v, ndim=1, per="one voltage per sample")
    i = real_array("drive_result.i", drive_result.i, ndim=1, per="one current per sample")
    if v.size != i.size:
        raise ValueError(f"drive_result.v has {v.size} samples, drive_result.i {i.size}")
    if v.size == 0:
        raise ValueError("drive_result holds no samples: nothing to plot")
    if i_unit not in _CURRENT_UNITS:
        raise ValueError(f"i_unit must be one of {', '.join(map(repr, _CURRENT_UNITS))}, got "
                         f"{i_unit!r}")
    _text("label", label)
    if last is not None:
        last = real_number("last", last, positive=True)
        if not hasattr(drive_result, "t"):
            raise InvalidTypeError("hysteresis: last= needs the sample times drive_result.t")
        t = real_array("drive_result.t", drive_result.t, ndim=1, per="one time per sample")
        if t.size != v.size:
            raise ValueError(f"drive_result.t has {t.size} samples, drive_result.v {v.size}")
        keep = t >= t[-1] - last * (1.0 + 1e-9)
        v, i = v[keep], i[keep]
    ax = _axes(ax, "hysteresis")
    if not any(line.get_gid() == "origin" for line in ax.lines):
        ax.axhline(0.0, color="0.8", lw=0.5, zorder=0).set_gid("origin")
        ax.axvline(0.0, color="0.8", lw=0.5, zorder=0).set_gid("origin")
    (line,) = ax.plot(v, i * _CURRENT_UNITS[i_unit],
                      label=label if label is not None else "_nolegend_", **line_kw)
    line.set_gid("loop")
    ax.set_xlabel("v (V)")
    ax.set_ylabel(f"i ({i_unit})")
    if label is not None:
        ax.legend(loc="best", fontsize="small")
    return ax
