"""What every plotting function shares: the lazy matplotlib import, the axes to draw on, the
checks of what is plotted, and the style of a fixed point by its stability.

matplotlib is an optional dependency (the ``plot`` extra), so nothing here imports it at module
level: ``import neurodyn.plot`` must work without it, and fail only when a figure is drawn.
"""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, count, real_array

__all__ = ["STABILITY_STYLES", "stability_style", "is_stable"]

_INSTALL = "pip install 'neurodyn[plot]'"


def _matplotlib():
    """The ``matplotlib`` package, or an ImportError that says how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"neurodyn.plot needs matplotlib: {_INSTALL}") from None
    return matplotlib


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    _matplotlib()
    import matplotlib.pyplot as plt

    return plt


def _axes(ax, what):
    """The Axes to draw on: ``ax`` itself (checked), or a new figure's when ``ax`` is None.

    pyplot is touched only to create a figure: a caller who passes axes of a figure built
    without pyplot (``matplotlib.figure.Figure``) keeps pyplot's global state untouched.
    """
    _matplotlib()
    if ax is None:
        _, ax = _pyplot().subplots()
        return ax
    import matplotlib.axes

    if not isinstance(ax, matplotlib.axes.Axes):
        raise InvalidTypeError(f"{what}: ax must be a matplotlib Axes or None, got "
                               f"{type(ax).__name__}")
    return ax


def _require(obj, attrs, what, kind):
    """Refuse ``obj`` unless it has every attribute in ``attrs`` (the result object a plot
    function draws): ``what`` must be ``kind``, naming the first attribute missing."""
    for attr in attrs:
        if not hasattr(obj, attr):
            raise InvalidTypeError(f"{what} must be {kind}, got {type(obj).__name__} without "
                                   f".{attr}")


def _labels(ax, xlabel, ylabel, legend):
    """Axis labels (None: leave them) and a legend when asked for."""
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if legend:
        ax.legend(loc="best", fontsize="small")
    return ax


def _flag(name, value):
    """``value`` as a bool; ints and strings are refused, not read as truth values."""
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be True or False, got {value!r} "
                               f"({type(value).__name__})")
    return bool(value)


def _text(name, value, allow_none=True):
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise InvalidTypeError(f"{name} must be a string, got {value!r} "
                               f"({type(value).__name__})")
    return value


def _choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got "
                         f"{value!r}")
    return value


def _limits(name, value):
    """A pair ``(low, high)`` of finite numbers with low < high."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise InvalidTypeError(f"{name} must be a pair (low, high) of numbers, got {value!r}")
    lo, hi = real_array(name, value, shape=(2,))
    if not lo < hi:
        raise ValueError(f"{name} must have low < high, got ({lo!r}, {hi!r})")
    return float(lo), float(hi)


def _index_pair(name, value, n):
    """Two distinct state indices in ``range(n)``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise InvalidTypeError(f"{name} must be a pair of state indices (i, j), got {value!r}")
    i = count(f"{name}[0]", value[0], high=n - 1)
    j = count(f"{name}[1]", value[1], high=n - 1)
    if i == j:
        raise ValueError(f"{name} must name two different states, got ({i}, {j})")
    return i, j


def _time_series(sol, what):
    """``(t, y)`` of a Solution-like object (``.t`` (k,), ``.y`` (k, n)) or of a pair (t, y).

    A 1-D ``y`` is one state. Non-finite values are kept (a run that blew up is still worth
    seeing up to where it did); the shapes must agree and ``t`` must be real.
    """
    if hasattr(sol, "t") and hasattr(sol, "y"):
        t, y = sol.t, sol.y
    elif isinstance(sol, tuple) and len(sol) == 2:
        t, y = sol
    else:
        raise InvalidTypeError(f"{what} must be a solvers.Solution (or anything with .t and .y) "
                               f"or a pair (t, y), got {type(sol).__name__}")
    t = real_array(f"{what}.t", t, finite=False, ndim=1, per="one time per sample")
    y = real_array(f"{what}.y", y, finite=False)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != t.size:
        raise ValueError(f"{what}.y must have shape ({t.size}, n), one row per time, got "
                         f"{y.shape}")
    if t.size == 0:
        raise ValueError(f"{what} holds no samples: nothing to plot")
    return t, y


def _names(names, n, what):
    """Node names as a list of ``n`` (from a sequence, or a model's ``.nodes``), or None."""
    if names is None:
        return None
    if hasattr(names, "nodes") and not isinstance(names, (list, tuple, np.ndarray)):
        names = names.nodes
    if isinstance(names, (str, bytes)) or not hasattr(names, "__len__"):
        raise InvalidTypeError(f"{what} must be a sequence of names or a model with .nodes, "
                               f"got {names!r}")
    names = list(names)
    if len(names) != n:
        raise ValueError(f"{what} has {len(names)} names, expected {n} (one per state)")
    return names


def _state_label(i, names):
    if names is None or names[i] == i:
        return f"y{i}"
    return f"y{i} ({names[i]})"


# Fixed points by stability class (neurodyn.analysis.classify): stable ones filled, unstable
# ones hollow, saddles as crosses, so the figure reads in black and white too.
STABILITY_STYLES = {
    "stable node": dict(color="#2ca02c", marker="o", filled=True),
    "stable focus": dict(color="#17becf", marker="o", filled=True),
    "unstable node": dict(color="#d62728", marker="o", filled=False),
    "unstable focus": dict(color="#ff7f0e", marker="o", filled=False),
    "saddle": dict(color="#9467bd", marker="X", filled=True),
    "non-hyperbolic": dict(color="#7f7f7f", marker="D", filled=True),
    "stable": dict(color="#2ca02c", marker="o", filled=True),
    "unstable": dict(color="#d62728", marker="o", filled=False),
}


def stability_style(stability):
    """Marker keywords (``color``, ``marker``, ``markerfacecolor``) for a stability class.

    >>> stability_style("saddle")["color"]
    '#9467bd'
    >>> stability_style("unstable focus")["markerfacecolor"]
    'white'
    """
    st = STABILITY_STYLES.get(stability)
    if st is None:
        raise ValueError(f"unknown stability class {stability!r}; known: "
                         f"{', '.join(map(repr, STABILITY_STYLES))}")
    return dict(color=st["color"], marker=st["marker"],
                markerfacecolor=st["color"] if st["filled"] else "white",
                markeredgecolor=st["color"])


def is_stable(stability):
    """Whether a stability class (``neurodyn.analysis.classify``) is asymptotically stable.

    >>> is_stable("stable focus"), is_stable("saddle"), is_stable("non-hyperbolic")
    (True, False, False)
    """
    return isinstance(stability, str) and stability.startswith("stable")


def _fixed_point_list(points, n, what):
    """``[(x, stability)]`` from FixedPoint-like objects (``.x``, ``.stability``)."""
    if isinstance(points, (str, bytes)) or not hasattr(points, "__iter__"):
        raise InvalidTypeError(f"{what} must be True, False or a list of fixed points (results "
                               f"of neurodyn.analysis.fixed_points), got {points!r}")
    out = []
    for k, fp in enumerate(points):
        if not (hasattr(fp, "x") and hasattr(fp, "stability")):
            raise InvalidTypeError(f"{what}[{k}] must be a fixed point with .x and .stability "
                                   f"(neurodyn.analysis.FixedPoint), got {type(fp).__name__}")
        x = real_array(f"{what}[{k}].x", fp.x, shape=(n,), per="one value per state")
        if fp.stability not in STABILITY_STYLES:
            raise ValueError(f"{what}[{k}].stability is {fp.stability!r}, not a stability class "
                             f"of neurodyn.analysis.classify")
        out.append((x, fp.stability))
    return out


def _draw_fixed_points(ax, points, coords, size=8):
    """One marker line per stability class, labelled with the class (legend entries); returns
    them by class."""
    lines = {}
    for stability in STABILITY_STYLES:
        xy = [coords(x) for x, s in points if s == stability]
        if not xy:
            continue
        xy = np.array(xy)
        (line,) = ax.plot(xy[:, 0], xy[:, 1], linestyle="none", markersize=size, zorder=5,
                          label=stability, **stability_style(stability))
        line.set_gid("fixed points")
        lines[stability] = line
    return lines
