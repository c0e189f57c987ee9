"""Phase portraits of flows: vector field, nullclines, fixed points by stability, trajectories;
for more than two states a plane through the state space or a projection of trajectories."""
from __future__ import annotations

import numpy as np

import solvers
from solvers._checks import InvalidTypeError, count, real_array, real_number
from solvers._codegen import loops_for

from ._base import (_axes, _draw_fixed_points, _fixed_point_list, _flag, _index_pair,
                    _limits)

__all__ = ["phase_portrait"]

_NULLCLINE_COLORS = ("#8c564b", "#e377c2")


def _check_flow(system):
    kind = type(system).__name__
    for attr in ("n_states", "params"):
        if not hasattr(system, attr):
            raise InvalidTypeError(f"phase_portrait: system must be a continuous-time system (an "
                                   f"ODESystem or a model that is one: CTRNN, "
                                   f"ContinuousHopfield, ...); {kind} has no .{attr}")
    if not callable(getattr(system, "rhs", None)):
        raise InvalidTypeError(f"phase_portrait: system must be a continuous-time system with "
                               f"a kernel .rhs(t, y, p, dydt); {kind} has none (a map or a "
                               "discrete-time network has no vector field)")
    n = int(system.n_states)
    if n < 2:
        raise ValueError(f"phase_portrait: system has {n} state; a phase plane needs two")
    return n


def _field(system, t):
    """f(Y) for a batch of states Y (m, n), through the engine's compiled kernel (the one
    fixed_points and solve use, so nothing new is compiled)."""
    mod = loops_for("ode", system.rhs, getattr(system, "jac", None))
    p = system.params
    n = int(system.n_states)

    def f(Y):
        out = np.empty_like(Y)
        row = np.empty(n)
        for k in range(Y.shape[0]):
            mod.rhs_into(p, t, np.ascontiguousarray(Y[k]), row)
            out[k] = row
        return out

    return f


def _trajectory_states(system, trajectories, n, t_span, n_eval):
    """States (k, n) of every trajectory: given Solutions, or integrated from initial states."""
    if trajectories is None:
        return []
    if hasattr(trajectories, "y") or (isinstance(trajectories, np.ndarray)
                                       and trajectories.ndim == 1):
        trajectories = [trajectories]
    elif isinstance(trajectories, np.ndarray) and trajectories.ndim == 2:
        trajectories = list(trajectories)
    if isinstance(trajectories, (str, bytes)) or not hasattr(trajectories, "__iter__"):
        raise InvalidTypeError(f"trajectories must be a list of initial states or Solutions, "
                               f"got {trajectories!r}")
    out = []
    for k, tr in enumerate(trajectories):
        if hasattr(tr, "y"):
            y = real_array(f"trajectories[{k}].y", tr.y, finite=False, ndim=2)
            if y.shape[1] != n:
                raise ValueError(f"trajectories[{k}] has {y.shape[1]} states, the system {n}")
            out.append(y[np.all(np.isfinite(y), axis=1)])
            continue
        y0 = real_array(f"trajectories[{k}]", tr, shape=(n,), per="an initial state")
        sol = solvers.solve(system, t_span, y0, t_eval=np.linspace(t_span[0], t_span[1], n_eval),
                            rtol=1e-8, atol=1e-10)
        out.append(sol.y[np.all(np.isfinite(sol.y), axis=1)])
    return out


def _mode(projection, axes, n):
    if projection is None:
        return "plane", _index_pair("axes", axes, n)
    if isinstance(projection, str):
        if projection != "pca":
            raise ValueError(f"projection must be None, 'pca' or a pair of state indices, got "
                             f"{projection!r}")
        return "pca", None
    return "coords", _index_pair("projection", projection, n)


def _auto(name, value, mode):
    """vector_field / nullclines: None means 'where it applies' (the plane mode)."""
    if value is None:
        return mode == "plane"
    if isinstance(value, str):
        if name != "vector_field" or value not in ("quiver", "stream"):
            extra = ", 'quiver' or 'stream'" if name == "vector_field" else ""
            raise ValueError(f"{name} must be True, False, None{extra}; got {value!r}")
        on = True
    else:
        on = _flag(name, value)
    if on and mode != "plane":
        raise ValueError(f"{name} applies to the plane of two states (projection=None), not to "
                         "a projection of trajectories")
    return on


def _default_limits(points, pad=0.15):
    lo, hi = points.min(axis=0), points.max(axis=0)
    margin = np.maximum(pad * (hi - lo), 0.5)
    return (lo[0] - margin[0], hi[0] + margin[0]), (lo[1] - margin[1], hi[1] + margin[1])


def phase_portrait(system, axes=(0, 1), ax=None, *, xlim=None, ylim=None, bounds=None, at=None,
                   t=0.0, vector_field=None, density=20, nullclines=None, grid=101,
                   fixed_points=True, trajectories=None, t_span=(0.0, 50.0), n_eval=2001,
                   projection=None, legend=True):
    """Phase portrait of a flow: vector field, nullclines, fixed points, trajectories.

    With ``projection=None`` the picture is the plane of the states ``axes = (i, j)``; for a
    system of more than two states the other states are held at ``at``, so the arrows and
    nullclines are those of that slice (trajectories and fixed points of the full system are
    drawn at their ``(y_i, y_j)``). With ``projection="pca"`` or ``(i, j)`` the trajectories are
    projected (onto their first two principal components, or onto states i and j) together
    with the fixed points; there is no vector field in a projection.

    Parameters
    ----------
    system : ODESystem or a model that is one (CTRNN, ContinuousHopfield, ...)
        Its right-hand side ``rhs(t, y, p, dydt)`` is evaluated through the engine's compiled
        kernel with ``system.params``.
    axes : (int, int)
        The two states of the plane (``projection=None``).
    ax : matplotlib Axes, optional
    xlim, ylim : (low, high), optional
    bounds : ((xlow, xhigh), (ylow, yhigh)), optional
        Both limits at once (instead of ``xlim`` and ``ylim``). Default: the extent of the
        trajectories and fixed points, padded.
    at : array_like (n,), optional
        The state whose other coordinates the plane goes through (default zeros).
    t : float
        The time at which a non-autonomous field is frozen.
    vector_field : None, bool, "quiver" or "stream"
        Arrows (quiver, one per cell of a ``density x density`` grid, showing the direction
        of the flow) or stream lines. None: quiver in the plane, none in a projection.
    density : int
        Arrows per side (quiver) or stream-line density (stream, ``density / 20``).
    nullclines : bool or None
        The curves ``dy_i/dt = 0`` and ``dy_j/dt = 0`` (contours of the field on a
        ``grid x grid`` grid). None: drawn in the plane, not in a projection.
    grid : int
        Grid points per side for the nullclines and stream lines.
    fixed_points : bool or list of FixedPoint
        True: found with ``neurodyn.analysis.fixed_points(system, t=t)``; or the points
        themselves; False: none. Drawn one marker style per stability class
        (:data:`STABILITY_STYLES`), labelled with it.
    trajectories : list of initial states (n,) or of Solutions, optional
        Initial states are integrated over ``t_span`` (``n_eval`` samples, dopri5,
        ``rtol=1e-8``).
    t_span : (t0, t1)
    n_eval : int
    projection : None, "pca" or (int, int)
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry a gid: ``"vector field"``, ``"nullcline y<i>"`` (a contour set),
        ``"trajectory"``, ``"fixed points"``.

    Example
    -------
    Beer's oscillator: one unstable focus inside a limit cycle.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from neurodyn import CTRNN
    >>> net = CTRNN([[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75])
    >>> ax = phase_portrait(net, trajectories=[[0.0, 0.0]], t_span=(0.0, 60.0))
    >>> [(line.get_label(), line.get_xydata().round(4).tolist()) for line in ax.lines
    ...  if line.get_gid() == "fixed points"]
    [('unstable focus', [[2.75, 1.75]])]
    """
    n = _check_flow(system)
    mode, ij = _mode(projection, axes, n)
    vf = _auto("vector_field", vector_field, mode)
    nc = _auto("nullclines", nullclines, mode)
    stream = vector_field == "stream"
    density = count("density", density, low=2)
    grid = count("grid", grid, low=3)
    n_eval = count("n_eval", n_eval, low=2)
    t = real_number("t", t)
    t_span = _limits("t_span", t_span)
    legend = _flag("legend", legend)
    if bounds is not None:
        if xlim is not None or ylim is not None:
            raise ValueError("give bounds or xlim/ylim, not both")
        if isinstance(bounds, (str, bytes)) or not hasattr(bounds, "__len__") or len(bounds) != 2:
            raise InvalidTypeError(f"bounds must be ((xlow, xhigh), (ylow, yhigh)), got "
                                   f"{bounds!r}")
        xlim, ylim = bounds
    xlim = None if xlim is None else _limits("xlim", xlim)
    ylim = None if ylim is None else _limits("ylim", ylim)
    at = np.zeros(n) if at is None else real_array("at", at, shape=(n,),
                                                   per="one value per state")
    if fixed_points is True:
        from neurodyn.analysis import fixed_points as find

        points = [(fp.x, fp.stability) for fp in find(system, t=t)]
    elif fixed_points is False or fixed_points is None:
        points = []
    else:
        points = _fixed_point_list(fixed_points, n, "fixed_points")
    trajs = _trajectory_states(system, trajectories, n, t_span, n_eval)

    if mode == "pca":
        if not trajs or sum(len(y) for y in trajs) < 3:
            raise ValueError("projection='pca' needs trajectories (at least three states) to "
                             "find the principal components from")
        Y = np.concatenate(trajs)
        mean = Y.mean(axis=0)
        _, s, Vt = np.linalg.svd(Y - mean, full_matrices=False)
        V = Vt[:2]
        var = s ** 2 / max(np.sum(s ** 2), np.finfo(float).tiny)

        def coords(Z):
            return (np.atleast_2d(Z) - mean) @ V.T

        labels = [f"PC{k + 1} ({100 * var[k]:.0f} % of variance)" for k in range(2)]
    else:
        i, j = ij

        def coords(Z):
            return np.atleast_2d(Z)[:, [i, j]]

        names = getattr(system, "nodes", None)
        names = list(names) if names is not None and len(names) == n else None
        labels = [f"y{k}" if names is None or names[k] == k else f"y{k} ({names[k]})"
                  for k in (i, j)]

    if xlim is None or ylim is None:
        pts = [coords(y) for y in trajs if len(y)] + [coords(x) for x, _ in points]
        if pts:
            dx, dy = _default_limits(np.concatenate(pts))
        else:
            c = coords(at)[0]
            dx, dy = (c[0] - 1.0, c[0] + 1.0), (c[1] - 1.0, c[1] + 1.0)
        xlim = xlim or dx
        ylim = ylim or dy

    ax = _axes(ax, "phase_portrait")
    proxies = []
    if vf or nc:
        f = _field(system, t)
        i, j = ij

        def evaluate(m):
            xs = np.linspace(xlim[0], xlim[1], m)
            ys = np.linspace(ylim[0], ylim[1], m)
            X, Yg = np.meshgrid(xs, ys)
            Z = np.repeat(at[None, :], X.size, axis=0)
            Z[:, i] = X.ravel()
            Z[:, j] = Yg.ravel()
            F = f(Z)
            return X, Yg, F[:, i].reshape(X.shape), F[:, j].reshape(X.shape)

        if nc or stream:
            X, Yg, Fi, Fj = evaluate(grid)
        if nc:
            import matplotlib.lines as mlines

            for k, (Fk, color) in enumerate(zip((Fi, Fj), _NULLCLINE_COLORS)):
                fin = Fk[np.isfinite(Fk)]
                if fin.size == 0 or fin.min() > 0 or fin.max() < 0:
                    continue  # no zero in the window: no nullcline to draw
                cs = ax.contour(X, Yg, np.ma.masked_invalid(Fk), levels=[0.0], colors=color,
                                linewidths=1.3, zorder=2)
                cs.set_gid(f"nullcline y{ij[k]}")
                proxies.append(mlines.Line2D([], [], color=color, lw=1.3,
                                             label=f"d{labels[k].split()[0]}/dt = 0"))
        if vf and stream:
            sp = ax.streamplot(X, Yg, np.ma.masked_invalid(Fi), np.ma.masked_invalid(Fj),
                               density=density / 20, color="0.6", linewidth=0.7, arrowsize=0.8,
                               zorder=1)
            sp.lines.set_gid("vector field")
        elif vf:
            Xq, Yq, U, V = evaluate(density)
            sx, sy = xlim[1] - xlim[0], ylim[1] - ylim[0]
            # Arrows of equal length on screen, pointing along the flow: normalise the field
            # in axes units, then scale back to data units (one arrow per cell).
            a, b = U / sx, V / sy
            bad = ~(np.isfinite(a) & np.isfinite(b))
            a[bad] = b[bad] = 0.0  # no arrow where the field is not finite
            r = np.hypot(a, b)
            r = np.where(r > 0, r, np.inf)
            cx, cy = 0.8 * sx / density, 0.8 * sy / density
            q = ax.quiver(Xq, Yq, a / r * cx, b / r * cy, angles="xy", scale_units="xy",
                          scale=1.0, color="0.55", width=0.003, zorder=1, pivot="mid")
            q.set_gid("vector field")

    for k, y in enumerate(trajs):
        if len(y) == 0:
            continue
        c = coords(y)
        (line,) = ax.plot(c[:, 0], c[:, 1], lw=1.2, zorder=3,
                          label="trajectory" if k == 0 else "_nolegend_")
        line.set_gid("trajectory")
    _draw_fixed_points(ax, points, lambda x: coords(x)[0])

    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        handles = handles + proxies
        if handles:
            ax.legend(handles=handles, loc="best", fontsize="small")
    return ax
