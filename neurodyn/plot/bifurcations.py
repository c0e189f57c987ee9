"""Bifurcation diagrams: a continued branch of fixed points by stability, with its special
points, and orbit diagrams (the asymptotic values of a sweep, from maps or Poincaré
sections)."""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, count, real_array

from ._base import _axes, _flag, is_stable, _require, _text

__all__ = ["bifurcation", "orbit_diagram", "BIFURCATION_MARKERS"]

# Marker of each kind of special point (neurodyn.analysis.Bifurcation.kind) and its legend text.
BIFURCATION_MARKERS = {
    "saddle-node": dict(marker="s", color="#d62728", label="saddle-node (fold)"),
    "hopf": dict(marker="*", color="#1f77b4", label="Hopf"),
    "branch point": dict(marker="^", color="#2ca02c", label="branch point"),
}


def _branch_arrays(branch, state):
    _require(branch, ("param", "x", "stability", "bifurcations"), "bifurcation: branch",
             "a Branch (neurodyn.analysis.continuation)")
    mu = real_array("branch.param", branch.param, ndim=1, per="one value per point")
    X = real_array("branch.x", branch.x, ndim=2, per="one state per point")
    if X.shape[0] != mu.size:
        raise ValueError(f"branch.x has {X.shape[0]} points, branch.param {mu.size}")
    stab = list(branch.stability)
    if len(stab) != mu.size:
        raise ValueError(f"branch.stability has {len(stab)} entries for {mu.size} points")
    state = count("state", state, high=X.shape[1] - 1)
    return mu, X[:, state], stab, state


def _pieces(mu, y, stable, bifs, state):
    """Runs of equal stability as polylines; where stability changes between points k and
    k + 1 the run ends, and the next begins, at the special point located between them (or,
    should there be none, half-way)."""
    pieces = []
    start = 0
    head = None
    for k in range(len(mu) - 1):
        if stable[k] == stable[k + 1]:
            continue
        between = [b for b in bifs if b.index == k]
        if between:
            b = between[0]
            joint = (float(b.param), float(b.x[state]))
        else:
            joint = (0.5 * (mu[k] + mu[k + 1]), 0.5 * (y[k] + y[k + 1]))
        xs = ([head[0]] if head else []) + list(mu[start:k + 1]) + [joint[0]]
        ys = ([head[1]] if head else []) + list(y[start:k + 1]) + [joint[1]]
        pieces.append((stable[k], np.array(xs), np.array(ys)))
        start, head = k + 1, joint
    xs = ([head[0]] if head else []) + list(mu[start:])
    ys = ([head[1]] if head else []) + list(y[start:])
    pieces.append((stable[-1], np.array(xs), np.array(ys)))
    return pieces


def bifurcation(branch, ax=None, state=0, *, color="k", xlabel="parameter", ylabel=None,
                markers=True, legend=True):
    """Bifurcation diagram of a continued branch: one state against the parameter.

    Stable parts solid, unstable parts dashed (stability as classified at each point of the
    branch: a class starting with "stable"); saddle-node folds, Hopf points and branch points
    marked, one marker style each (:data:`BIFURCATION_MARKERS`), with a legend. Where
    stability changes, the solid and dashed lines meet at the special point located there.

    Parameters
    ----------
    branch : neurodyn.analysis.Branch
        From :func:`neurodyn.analysis.continuation`.
    ax : matplotlib Axes, optional
    state : int
        Which component of ``branch.x`` to draw.
    color : color
        Of the branch lines.
    xlabel, ylabel : str, optional
        ``ylabel`` defaults to ``x[state]``.
    markers, legend : bool

    Returns
    -------
    matplotlib.axes.Axes
        Branch lines have gid ``"stable"`` or ``"unstable"``; markers gid ``"bifurcation"``
        and the label of their kind.

    Example
    -------
    A bistable neuron: the middle branch, between the two folds, is unstable.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from neurodyn import CTRNN
    >>> from neurodyn.analysis import continuation
    >>> br = continuation(CTRNN([[8.0]]), "bias", -8.0, 0.0, [0.0])
    >>> ax = bifurcation(br)
    >>> [line.get_gid() for line in ax.lines if line.get_gid() in ("stable", "unstable")]
    ['stable', 'unstable', 'stable']
    >>> [(line.get_label(), len(line.get_xdata())) for line in ax.lines
    ...  if line.get_gid() == "bifurcation"]
    [('saddle-node (fold)', 2)]
    """
    mu, y, stab, state = _branch_arrays(branch, state)
    bifs = list(branch.bifurcations)
    for k, b in enumerate(bifs):
        if not all(hasattr(b, a) for a in ("kind", "param", "x", "index")):
            raise InvalidTypeError(f"branch.bifurcations[{k}] is not a Bifurcation, got "
                                   f"{type(b).__name__}")
    _text("xlabel", xlabel)
    _text("ylabel", ylabel)
    markers = _flag("markers", markers)
    legend = _flag("legend", legend)
    ax = _axes(ax, "bifurcation")
    stable = [is_stable(s) for s in stab]
    seen = set()
    for st, xs, ys in _pieces(mu, y, stable, bifs, state):
        kind = "stable" if st else "unstable"
        (line,) = ax.plot(xs, ys, color=color, ls="-" if st else "--", lw=1.5,
                          label=kind if kind not in seen else "_nolegend_")
        line.set_gid(kind)
        seen.add(kind)
    if markers:
        for kind, style in BIFURCATION_MARKERS.items():
            pts = [b for b in bifs if b.kind == kind]
            if not pts:
                continue
            (line,) = ax.plot([b.param for b in pts], [float(b.x[state]) for b in pts],
                              ls="none", marker=style["marker"], color=style["color"],
                              markersize=9, zorder=5, label=style["label"])
            line.set_gid("bifurcation")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel if ylabel is not None else f"x[{state}]")
    if legend:
        ax.legend(loc="best", fontsize="small")
    return ax


def _orbit_points(result, params, component):
    """(x, values) of the three accepted forms of an orbit diagram."""
    if isinstance(result, (list, tuple)) and result and all(
            hasattr(r, "y") and hasattr(r, "t") and not isinstance(r, np.ndarray)
            for r in result):
        # Poincaré sections, one per parameter value
        if params is None:
            raise ValueError("orbit_diagram: give params=, one parameter value per section")
        params = real_array("params", params, ndim=1, per="one value per section")
        if params.size != len(result):
            raise ValueError(f"params has {params.size} values for {len(result)} sections")
        component = count("component", component)
        xs, vs = [], []
        for k, sec in enumerate(result):
            Y = real_array(f"result[{k}].y", sec.y, finite=False, ndim=2)
            if Y.shape[0] and component >= Y.shape[1]:
                raise ValueError(f"component = {component} is out of range (the sections hold "
                                 f"{Y.shape[1]} states)")
            vs.append(Y[:, component] if Y.shape[0] else np.empty(0))
            xs.append(np.full(vs[-1].size, params[k]))
        return np.concatenate(xs), np.concatenate(vs)
    if isinstance(result, tuple) and len(result) == 2:
        a = real_array("result[0]", result[0], finite=False, ndim=1)
        v = real_array("result[1]", result[1], finite=False, ndim=1)
        if a.size != v.size:
            raise ValueError(f"result[0] and result[1] must have equal lengths, got {a.size} "
                             f"and {v.size}")
        if params is None:
            return a, v
        params = real_array("params", params, ndim=1, per="one value per member")
        if a.size and not (np.all(a == np.round(a)) and a.min() >= 0
                           and a.max() < params.size):
            raise ValueError(f"with params=, result[0] must hold member indices in "
                             f"0..{params.size - 1} (as neurodyn.analysis.orbit_diagram "
                             "returns them)")
        return params[a.astype(np.int64)], v
    V = real_array("result", result, finite=False)
    if V.ndim != 2:
        raise ValueError(f"result must be (member, value) arrays, a 2-D array of values (one "
                         f"row per parameter) or a list of Poincaré sections; got shape "
                         f"{V.shape}")
    if params is None:
        raise ValueError("orbit_diagram: a 2-D array of values needs params=, one value per row")
    params = real_array("params", params, ndim=1, per="one value per row")
    if params.size != V.shape[0]:
        raise ValueError(f"params has {params.size} values for {V.shape[0]} rows")
    return np.repeat(params, V.shape[1]), V.ravel()


def orbit_diagram(result_or_arrays, ax=None, *, params=None, component=0, color="k",
                  markersize=1.5, alpha=0.8, xlabel="parameter", ylabel="asymptotic value",
                  label=None):
    """Orbit diagram: the asymptotic values of a system across a parameter sweep, as points.

    Parameters
    ----------
    result_or_arrays :
        One of

        * ``(member, value)``, as :func:`neurodyn.analysis.orbit_diagram` returns them, with
          ``params`` the parameter of each member (``x = params[member]``); without
          ``params``, the pair is taken as ``(x, value)`` itself;
        * a 2-D array of values, one row per parameter (say the last iterates of a map for
          each parameter), with ``params``;
        * a list of :class:`neurodyn.analysis.PoincareSection`, one per parameter, with
          ``params`` and the ``component`` of the crossings to draw.

    ax : matplotlib Axes, optional
    params : array_like, optional
    component : int
        For Poincaré sections.
    color, markersize, alpha :
        Of the points.
    xlabel, ylabel, label : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        The points are one line (gid ``"orbit"``) without line style.

    Example
    -------
    The logistic map's last iterates for two values of r: a fixed point, then a 2-cycle.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np
    >>> r = np.array([2.8, 3.2])
    >>> x = np.full(2, 0.5)
    >>> for _ in range(500):
    ...     x = r * x * (1 - x)
    >>> last = [x := r * x * (1 - x) for _ in range(4)]
    >>> ax = orbit_diagram(np.array(last).T, params=r)
    >>> np.unique(ax.lines[0].get_xydata().round(4), axis=0).tolist()
    [[2.8, 0.6429], [3.2, 0.513], [3.2, 0.7995]]
    """
    x, v = _orbit_points(result_or_arrays, params, component)
    for name, val in (("xlabel", xlabel), ("ylabel", ylabel), ("label", label)):
        _text(name, val)
    ax = _axes(ax, "orbit_diagram")
    (line,) = ax.plot(x, v, ls="none", marker=".", markersize=markersize, color=color,
                      alpha=alpha, label=label if label is not None else "_nolegend_",
                      markeredgewidth=0)
    line.set_gid("orbit")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    return ax
