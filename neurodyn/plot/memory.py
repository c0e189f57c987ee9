"""Associative memories: capacity curves and stored or recalled patterns as bitmaps."""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, count, real_array

from ._base import _axes, _flag, _require, _text

__all__ = ["capacity", "patterns", "ALPHA_C"]

ALPHA_C = 0.138
"""Hebbian storage capacity of the Hopfield network for N -> infinity (Amit, Gutfreund &
Sompolinsky 1985)."""

_QUANTITIES = {"overlap": "mean overlap", "recalled": "fraction recalled",
               "stable": "fraction stable", "converged": "fraction converged"}


def capacity(curve, ax=None, *, quantity=("overlap", "recalled"), label=None, theory=True,
             errorbars=False, **line_kw):
    """A capacity curve: overlap and fraction recalled against the load ``alpha = p / N``.

    Parameters
    ----------
    curve : neurodyn.CapacityCurve
        From :func:`neurodyn.capacity_curve`. The abscissa is the actual load ``p / N``.
    ax : matplotlib Axes, optional
    quantity : str or tuple of str
        Which of ``"overlap"``, ``"recalled"``, ``"stable"``, ``"converged"`` to draw, one
        line each (solid, dashed, dotted, dash-dotted, in that order).
    label : str, optional
        Prefix of the legend labels (default: the rule and the noise).
    theory : bool
        A vertical line at ``alpha_c = 0.138`` (Hebbian, N -> infinity), drawn once per axes.
    errorbars : bool
        A band of one standard deviation of the overlap around it.
    **line_kw
        Passed to ``Axes.plot`` (``color``, ``marker``, ...).

    Returns
    -------
    matplotlib.axes.Axes
        One line per quantity (gid the quantity's name), and the theory line (gid
        ``"alpha_c"``).

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from neurodyn import capacity_curve
    >>> c = capacity_curve(100, [0.05, 0.1, 0.3], n_trials=1)
    >>> ax = capacity(c)
    >>> [line.get_gid() for line in ax.lines]
    ['overlap', 'recalled', 'alpha_c']
    >>> ax.lines[0].get_xdata().tolist()
    [0.05, 0.1, 0.3]
    """
    _require(curve, ("p", "N", "overlap", "recalled", "stable", "converged"),
             "capacity: curve", "a CapacityCurve (neurodyn.capacity_curve)")
    qs = (quantity,) if isinstance(quantity, str) else tuple(quantity)
    if not qs:
        raise ValueError("quantity is empty: name at least one of "
                         f"{', '.join(map(repr, _QUANTITIES))}")
    for q in qs:
        if q not in _QUANTITIES:
            raise ValueError(f"quantity must be one of {', '.join(map(repr, _QUANTITIES))}, "
                             f"got {q!r}")
    _text("label", label)
    theory = _flag("theory", theory)
    errorbars = _flag("errorbars", errorbars)
    N = count("curve.N", curve.N, low=1)
    alpha = real_array("curve.p", curve.p, ndim=1) / N
    ax = _axes(ax, "capacity")
    if label is None:
        label = f"{getattr(curve, 'rule', '')}, noise {getattr(curve, 'noise', 0):g}"
    styles = ("-", "--", ":", "-.")
    color = line_kw.pop("color", None)
    for k, q in enumerate(qs):
        y = real_array(f"curve.{q}", getattr(curve, q), ndim=1)
        if y.size != alpha.size:
            raise ValueError(f"curve.{q} has {y.size} values for {alpha.size} loads")
        kw = dict(ls=styles[k % len(styles)], marker="o", ms=3)
        kw.update(line_kw)
        (line,) = ax.plot(alpha, y, color=color, label=f"{label}: {_QUANTITIES[q]}", **kw)
        line.set_gid(q)
        color = line.get_color()  # one colour per curve, one line style per quantity
        if errorbars and q == "overlap":
            sd = real_array("curve.overlap_std", curve.overlap_std, ndim=1)
            band = ax.fill_between(alpha, y - sd, y + sd, color=color, alpha=0.15, lw=0)
            band.set_gid("overlap_std")
    if theory and not any(line.get_gid() == "alpha_c" for line in ax.lines):
        line = ax.axvline(ALPHA_C, color="0.5", lw=0.8, ls=":",
                          label=f"alpha_c = {ALPHA_C} (Hebbian, N -> inf)")
        line.set_gid("alpha_c")
    ax.set_xlabel("load alpha = p / N")
    ax.set_ylabel(" / ".join(_QUANTITIES[q] for q in qs))
    ax.legend(loc="best", fontsize="small")
    return ax


def patterns(states, shape, ax=None, *, ncols=None, titles=None, row_labels=None,
             cmap="gray_r", vmin=-1.0, vmax=1.0, gap=1):
    """Patterns (stored, probes, recalled states) as bitmaps, tiled in one image.

    Parameters
    ----------
    states : array_like (k, rows * cols)
        One pattern per row (+-1 for a Hopfield network or a BAM; any real values).
    shape : (rows, cols)
        The bitmap shape of one pattern (row-major, as ``reshape``).
    ax : matplotlib Axes, optional
    ncols : int, optional
        Bitmaps per row of the mosaic (default all in one row).
    titles : sequence of str, optional
        One per pattern, written above it.
    row_labels : sequence of str, optional
        One per row of the mosaic, written to its left.
    cmap, vmin, vmax :
        Of the image (+1 black, -1 white by default).
    gap : int
        Grey pixels between bitmaps and around them.

    Returns
    -------
    matplotlib.axes.Axes
        One image (``ax.images[0]``): the mosaic, NaN in the gaps; pattern ``m`` is the
        block at row ``gap + r (rows + gap)``, column ``gap + c (cols + gap)`` with
        ``r, c = divmod(m, ncols)``.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> P = np.array([[1, -1, -1, 1], [-1, 1, 1, -1]])
    >>> img = patterns(P, (2, 2)).images[0].get_array()
    >>> img.shape, img[1:3, 1:3].tolist()
    ((4, 7), [[1.0, -1.0], [-1.0, 1.0]])
    """
    S = real_array("states", states)
    if S.ndim == 1:
        S = S[None, :]
    if S.ndim != 2 or S.shape[0] == 0:
        raise ValueError(f"states must have shape (k, rows * cols) with k >= 1, got {S.shape}")
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise InvalidTypeError(f"shape must be a pair (rows, cols), got {shape!r}")
    rows, cols = count("shape[0]", shape[0], low=1), count("shape[1]", shape[1], low=1)
    if rows * cols != S.shape[1]:
        raise ValueError(f"shape {(rows, cols)} holds {rows * cols} pixels, the patterns "
                         f"{S.shape[1]}")
    k = S.shape[0]
    ncols = k if ncols is None else count("ncols", ncols, low=1)
    gap = count("gap", gap)
    nrows = -(-k // ncols)
    for name, seq, want in (("titles", titles, k), ("row_labels", row_labels, nrows)):
        if seq is None:
            continue
        if isinstance(seq, str) or len(seq) != want:
            raise ValueError(f"{name} must be a sequence of {want} strings")
    H = nrows * rows + (nrows + 1) * gap
    W = ncols * cols + (ncols + 1) * gap
    mosaic = np.full((H, W), np.nan)
    for m in range(k):
        r, c = divmod(m, ncols)
        y0, x0 = gap + r * (rows + gap), gap + c * (cols + gap)
        mosaic[y0:y0 + rows, x0:x0 + cols] = S[m].reshape(rows, cols)
    import matplotlib as mpl

    if isinstance(cmap, str):
        try:
            cm = mpl.colormaps[cmap]
        except KeyError:
            raise ValueError(f"cmap: unknown colormap {cmap!r}") from None
    else:
        cm = cmap
    ax = _axes(ax, "patterns")
    # the gaps (NaN) in grey, so that a bitmap's white border does not merge with the next
    ax.imshow(mosaic, cmap=cm.with_extremes(bad="#b0b0b0"), vmin=vmin, vmax=vmax,
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if titles is not None:
        for m, text in enumerate(titles):
            r, c = divmod(m, ncols)
            ax.text(gap + c * (cols + gap) + (cols - 1) / 2, r * (rows + gap) - 0.7,
                    str(text), ha="center", va="bottom", fontsize="small")
    if row_labels is not None:
        for r, text in enumerate(row_labels):
            ax.text(-1.0, gap + r * (rows + gap) + (rows - 1) / 2, str(text), ha="right",
                    va="center", fontsize="small")
    return ax
