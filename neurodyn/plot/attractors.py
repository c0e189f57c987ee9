"""Basins of attraction: which attractor each initial condition reaches, one colour each."""
from __future__ import annotations

import numpy as np

from solvers._checks import real_array

from ._base import _axes, _flag, _index_pair, _require

__all__ = ["basins", "basin_colors"]

_UNCLASSIFIED = "#d9d9d9"


def basin_colors(n_attractors):
    """The colour of each attractor (a qualitative palette), hex strings; samples left
    unclassified (label -1) are light grey.

    >>> basin_colors(3)
    ['#1f77b4', '#ff7f0e', '#2ca02c']
    """
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#bcbd22", "#17becf", "#7f7f7f"]
    return [palette[k % len(palette)] for k in range(n_attractors)]


def _grid_of(P):
    """The ``(xs, ys, order)`` of samples that fill a regular grid (each pair of unique
    coordinates exactly once), else None."""
    xs, ys = np.unique(P[:, 0]), np.unique(P[:, 1])
    if xs.size * ys.size != P.shape[0] or xs.size < 2 or ys.size < 2:
        return None
    ix = np.searchsorted(xs, P[:, 0])
    iy = np.searchsorted(ys, P[:, 1])
    flat = iy * xs.size + ix
    if np.unique(flat).size != flat.size:
        return None
    return xs, ys, flat


def _edges(c):
    """Cell edges around sorted cell centres (half-way between neighbours)."""
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def basins(result, ax=None, *, samples=None, axes=(0, 1), image=None, markersize=12,
           attractors=True, legend=True):
    """Basins of attraction: each initial condition coloured by the attractor it reached.

    Parameters
    ----------
    result : neurodyn.analysis.Basins
        From :func:`neurodyn.analysis.basins`.
    ax : matplotlib Axes, optional
    samples : array_like (m, n)
        The initial conditions given to ``basins`` (the result does not keep them; a result
        that has ``.samples`` is read from there when this is None).
    axes : (int, int)
        The two coordinates of the samples to draw (ignored for a one-state system, drawn as
        initial state against final state).
    image : bool, optional
        Draw the labels as an image (cells of a regular grid of samples) or as a scatter of
        points. Default: an image when the samples fill a regular grid in ``axes``.
    markersize : float
        Scatter point size.
    attractors : bool
        Mark the attractors: fixed points with a black-edged marker, cycles as their orbit.
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes
        The image (``ax.collections``, gid ``"basins"``, array = labels on the grid) or the
        scatter (gid ``"basins"``); attractor artists gid ``"attractor"``, in the order of
        ``result.attractors``, colours from :func:`basin_colors`.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> from solvers import ODESystem
    >>> from neurodyn.analysis import basins as find_basins
    >>> def bistable(t, y, p, dydt):
    ...     dydt[0] = y[0] - y[0] ** 3
    ...     dydt[1] = -y[1]
    >>> g = np.linspace(-2, 2, 6)
    >>> S = np.array([[x, y] for y in g for x in g])
    >>> b = find_basins(ODESystem(bistable, 2), S, t_final=30.0)
    >>> ax = basins(b, samples=S)
    >>> ax.collections[0].get_array().reshape(6, 6)[0].tolist()   # left half -> x = -1
    [0, 0, 0, 1, 1, 1]
    """
    _require(result, ("labels", "attractors"), "basins: result",
             "a Basins result (neurodyn.analysis.basins)")
    labels = np.asarray(result.labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"result.labels must be a 1-D integer array, got {labels.dtype} of "
                         f"shape {labels.shape}")
    atts = list(result.attractors)
    if labels.size and (labels.max() >= len(atts) or labels.min() < -1):
        raise ValueError(f"result.labels must be -1 or an index into result.attractors "
                         f"(0..{len(atts) - 1})")
    if samples is None:
        samples = getattr(result, "samples", None)
        if samples is None:
            raise ValueError("basins: pass samples=, the initial conditions given to "
                             "neurodyn.analysis.basins (the result does not keep them)")
    S = real_array("samples", samples)
    if S.ndim == 1:
        S = S[:, None]
    if S.ndim != 2 or S.shape[0] != labels.size:
        raise ValueError(f"samples must have shape ({labels.size}, n), one row per label, got "
                         f"{S.shape}")
    n = S.shape[1]
    attractors = _flag("attractors", attractors)
    legend = _flag("legend", legend)
    if image is not None:
        image = _flag("image", image)
    colors = basin_colors(len(atts))
    ax = _axes(ax, "basins")
    import matplotlib.colors as mcolors

    cmap = mcolors.ListedColormap([_UNCLASSIFIED] + colors) if atts else \
        mcolors.ListedColormap([_UNCLASSIFIED])
    norm = mcolors.BoundaryNorm(np.arange(-1.5, len(atts) + 0.5), cmap.N)

    if n == 1:
        final = np.asarray(getattr(result, "final", np.full((labels.size, 1), np.nan)))
        fy = final[:, 0] if final.ndim == 2 and final.shape[0] == labels.size else \
            np.full(labels.size, np.nan)
        sc = ax.scatter(S[:, 0], fy, c=labels, cmap=cmap, norm=norm, s=markersize, zorder=2)
        sc.set_gid("basins")
        ax.set_xlabel("initial y0")
        ax.set_ylabel("final y0")
        coords = [0, 0]
    else:
        i, j = _index_pair("axes", axes, n)
        coords = [i, j]
        P = S[:, coords]
        grid = _grid_of(P)
        if image and grid is None:
            raise ValueError("image=True needs samples that fill a regular grid in axes (each "
                             "pair of grid coordinates exactly once)")
        if grid is not None and image is not False:
            xs, ys, flat = grid
            L = np.empty(xs.size * ys.size, dtype=np.int64)
            L[flat] = labels
            mesh = ax.pcolormesh(_edges(xs), _edges(ys), L.reshape(ys.size, xs.size),
                                 cmap=cmap, norm=norm, shading="flat", zorder=1)
            mesh.set_gid("basins")
        else:
            sc = ax.scatter(P[:, 0], P[:, 1], c=labels, cmap=cmap, norm=norm, s=markersize,
                            zorder=1)
            sc.set_gid("basins")
        ax.set_xlabel(f"y{i}")
        ax.set_ylabel(f"y{j}")

    if attractors:
        for k, a in enumerate(atts):
            frac = ""
            fr = getattr(result, "fractions", None)
            if fr is not None and len(fr) == len(atts):
                frac = f", {100 * float(fr[k]):.0f} %"
            x = np.asarray(a.x, dtype=float)
            if getattr(a, "kind", "") == "cycle" and getattr(a, "orbit", None) is not None:
                orb = np.asarray(a.orbit, dtype=float)
                if n == 1:
                    xy = (orb[:, 0], orb[:, 0])
                else:
                    xy = (orb[:, coords[0]], orb[:, coords[1]])
                (line,) = ax.plot(*xy, color=colors[k], lw=2.0, zorder=4,
                                  path_effects=_outline(),
                                  label=f"{k}: cycle, T = {a.period:.3g}{frac}")
            else:
                xy = ([x[0]], [x[0]]) if n == 1 else ([x[coords[0]]], [x[coords[1]]])
                (line,) = ax.plot(*xy, ls="none", marker="o", markersize=9, color=colors[k],
                                  markeredgecolor="k", zorder=5,
                                  label=f"{k}: fixed point{frac}")
            line.set_gid("attractor")
        if legend and atts:
            ax.legend(loc="best", fontsize="small")
    return ax


def _outline():
    import matplotlib.patheffects as pe

    return [pe.Stroke(linewidth=3.5, foreground="k"), pe.Normal()]
