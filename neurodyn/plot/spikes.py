"""Spike rasters of liquid-state-machine runs."""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, count, real_array, real_number

from ._base import _axes, _flag, _require

__all__ = ["raster"]

_KIND_COLORS = {"exc": "#1f77b4", "inh": "#d62728", "input": "#7f7f7f"}


def _spikes(idx, t, what, n):
    i = np.asarray(idx)
    if i.ndim != 1 or (i.size and i.dtype.kind not in "iu"):
        raise ValueError(f"{what} indices must be a 1-D integer array, got {i.dtype} of shape "
                         f"{i.shape}")
    tt = real_array(f"{what} times", t, ndim=1, per="one time per spike")
    if tt.size != i.size:
        raise ValueError(f"{what}: {i.size} indices for {tt.size} spike times")
    if i.size and (i.min() < 0 or (n is not None and i.max() >= n)):
        raise ValueError(f"{what} indices must lie in 0..{n - 1 if n is not None else 'n'}")
    return i.astype(np.int64), tt


def raster(lsm_run, ax=None, *, kinds=None, inputs=False, markersize=4.0, t_max=None):
    """Spike raster of a liquid run: neuron index against spike time (ms), one dot per spike.

    Parameters
    ----------
    lsm_run : neurodyn.lsm.LiquidRun
        What ``LSM.run`` (or each element of ``LSM.run_trials``) returns: ``indices``,
        ``times`` (ms), ``n`` and, optionally, ``input_indices`` / ``input_times``.
    ax : matplotlib Axes, optional
    kinds : sequence of "exc" / "inh", optional
        The type of each neuron (an LSM's ``kind``): excitatory spikes blue, inhibitory red.
        Default: one colour.
    inputs : bool
        Also draw the input spikes, in grey, below the liquid (rows -1, -2, ...).
    markersize : float
        Height of a tick (points).
    t_max : float, optional
        Right end of the time axis (default the run's duration).

    Returns
    -------
    matplotlib.axes.Axes
        One marker line per group (gid ``"exc"``, ``"inh"``, ``"spikes"`` or ``"input"``):
        x = spike time, y = neuron index (input channel c at row ``-1 - c``).

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from neurodyn.lsm import LiquidRun
    >>> run = LiquidRun(np.array([1, 0, 1]), np.array([2.0, 3.5, 7.0]), n=2, duration=10.0,
    ...                 dt=0.1)
    >>> raster(run).lines[0].get_xydata().tolist()
    [[2.0, 1.0], [3.5, 0.0], [7.0, 1.0]]
    """
    _require(lsm_run, ("indices", "times", "n"), "raster: lsm_run", "a LiquidRun (LSM.run)")
    n = count("lsm_run.n", lsm_run.n, low=1)
    idx, t = _spikes(lsm_run.indices, lsm_run.times, "lsm_run", n)
    inputs = _flag("inputs", inputs)
    markersize = real_number("markersize", markersize, positive=True)
    duration = getattr(lsm_run, "duration", None)
    if t_max is None:
        t_max = float(duration) if duration is not None else (float(t.max()) if t.size else 1.0)
    t_max = real_number("t_max", t_max, positive=True)
    if kinds is not None:
        if isinstance(kinds, (str, bytes)):
            raise InvalidTypeError(f"kinds must be a sequence of 'exc' / 'inh', got {kinds!r}")
        kinds = list(kinds)
        if len(kinds) != n:
            raise ValueError(f"kinds has {len(kinds)} entries for {n} neurons")
        bad = [k for k in kinds if k not in ("exc", "inh")]
        if bad:
            raise ValueError(f"kinds entries must be 'exc' or 'inh', got {bad[0]!r}")
    if inputs:
        ii, ti = _spikes(getattr(lsm_run, "input_indices", np.zeros(0, np.int64)),
                         getattr(lsm_run, "input_times", np.zeros(0)), "lsm_run input", None)
    ax = _axes(ax, "raster")
    style = dict(ls="none", marker="|", markersize=markersize, markeredgewidth=1.0)
    if kinds is None:
        (line,) = ax.plot(t, idx, color="k", label="liquid", **style)
        line.set_gid("spikes")
    else:
        is_inh = np.array([k == "inh" for k in kinds])
        for kind, mask in (("exc", ~is_inh[idx]), ("inh", is_inh[idx])):
            (line,) = ax.plot(t[mask], idx[mask], color=_KIND_COLORS[kind], label=kind, **style)
            line.set_gid(kind)
    bottom = -0.5
    if inputs:
        bottom -= 1 + int(ii.max()) if ii.size else 0
        (line,) = ax.plot(ti, -1 - ii, color=_KIND_COLORS["input"], label="input", **style)
        line.set_gid("input")
        ax.axhline(-0.5, color="0.7", lw=0.6)
    ax.set_xlim(0.0, t_max)
    ax.set_ylim(bottom, n - 0.5)
    ax.set_xlabel("t (ms)")
    ax.set_ylabel("neuron" + (" (inputs below)" if inputs else ""))
    if kinds is not None or inputs:
        ax.legend(loc="upper right", fontsize="small")
    return ax
