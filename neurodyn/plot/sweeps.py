"""A measured quantity against a swept parameter (recall quality against a device
non-ideality, a period against a bias, ...)."""
from __future__ import annotations

import numpy as np

from solvers._checks import real_array, real_number

from ._base import _axes, _choice, _labels, _text

__all__ = ["sweep"]


def sweep(param, values, ax=None, *, reference=None, reference_label="reference", label=None,
          xlabel="parameter", ylabel="value", xscale="linear", **line_kw):
    """One measured quantity against a swept parameter, as a line with markers.

    Parameters
    ----------
    param : array_like (k,)
        The parameter values (finite).
    values : array_like (k,)
        What was measured at each; NaN leaves a gap (say a period where there is no
        oscillation).
    ax : matplotlib Axes, optional
    reference : float, optional
        A horizontal line for comparison (the ideal or theoretical value), drawn once per
        axes.
    reference_label, label, xlabel, ylabel : str, optional
    xscale : {"linear", "log", "symlog"}
        "symlog" shows a sweep that starts at 0 on a log-like scale.
    **line_kw
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
        The line has gid ``"sweep"``, the reference line gid ``"reference"``.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> ax = sweep([0.0, 0.1, 0.2], [1.0, 0.9, float("nan")], reference=1.0)
    >>> [line.get_gid() for line in ax.lines], ax.lines[0].get_ydata().tolist()
    (['sweep', 'reference'], [1.0, 0.9, nan])
    """
    x = real_array("param", param, ndim=1, per="one value per point")
    y = real_array("values", values, finite=False, ndim=1, per="one value per point")
    if x.size != y.size:
        raise ValueError(f"param has {x.size} values, values {y.size}: one per point")
    if np.any(np.isinf(y)):
        raise ValueError(f"values[{int(np.flatnonzero(np.isinf(y))[0])}] is infinite")
    if reference is not None:
        reference = real_number("reference", reference)
    for name, v in (("reference_label", reference_label), ("label", label),
                    ("xlabel", xlabel), ("ylabel", ylabel)):
        _text(name, v)
    xscale = _choice("xscale", xscale, ("linear", "log", "symlog"))
    if xscale == "log" and np.any(x <= 0):
        raise ValueError("xscale='log' needs positive param values (use 'symlog' for a sweep "
                         "from 0)")
    ax = _axes(ax, "sweep")
    kw = dict(marker="o", ms=4)
    kw.update(line_kw)
    (line,) = ax.plot(x, y, label=label if label is not None else "_nolegend_", **kw)
    line.set_gid("sweep")
    if reference is not None and not any(ln.get_gid() == "reference" for ln in ax.lines):
        ref = ax.axhline(reference, color="0.5", lw=0.8, ls=":",
                         label=reference_label if reference_label is not None
                         else "_nolegend_")
        ref.set_gid("reference")
    if xscale == "symlog":
        pos = np.abs(x[x != 0])
        thresh = float(pos.min()) if pos.size else 1.0
        ax.set_xscale("symlog", linthresh=thresh)
        if x.min() >= 0:
            ax.set_xlim(left=-0.3 * thresh)  # not the empty negative half
    elif xscale == "log":
        ax.set_xscale("log")
    if xscale != "linear" and np.unique(x).size <= 12:
        # few points on a log scale: tick each swept value, not the decades between them
        import matplotlib.ticker as mticker

        ticks = np.unique(x)
        ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
        ax.xaxis.set_major_formatter(mticker.FixedFormatter([f"{v:g}" for v in ticks]))
        ax.xaxis.set_minor_locator(mticker.NullLocator())
    return _labels(ax, xlabel, ylabel, label is not None)
