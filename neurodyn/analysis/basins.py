"""Basins of attraction: which attractor each initial condition reaches.

Each sample is integrated to ``t_final``. A final state where the vector field is small is a
fixed point (final states are clustered within ``tol``, and matched to the ``fixed_points``
given, when given). Otherwise the trajectory is continued for ``t_window`` and treated as a
cycle: it joins a cycle already found when it passes within ``tol_cycle`` of that cycle's
sampled orbit, else it founds a new one, whose period is read from its Poincaré-section
crossings. Samples that diverge or fit neither get the label -1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import solvers
from solvers._codegen import loops_for

from .limit_cycle import section_crossings

__all__ = ["basins", "Basins", "Attractor"]


@dataclass(frozen=True)
class Attractor:
    """``kind`` ("fixed point" or "cycle"), ``x`` (the point, or a point on the cycle),
    ``period`` (NaN for a fixed point), ``orbit`` (samples along a cycle, shape (m, n)),
    ``match`` (index into the ``fixed_points`` given, or -1)."""
    kind: str
    x: np.ndarray
    period: float = float("nan")
    orbit: np.ndarray | None = None
    match: int = -1


@dataclass(frozen=True)
class Basins:
    """``labels`` (per sample, index into ``attractors``; -1 unclassified), ``attractors``,
    ``fractions`` (share of samples per attractor, in the order of ``attractors``) and
    ``final`` (final states, shape (m, n))."""
    labels: np.ndarray
    attractors: list
    fractions: np.ndarray
    final: np.ndarray

    @property
    def unclassified(self):
        return float(np.mean(self.labels < 0))


def _points_of(fixed_points, n):
    if fixed_points is None:
        return np.empty((0, n))
    pts = [np.asarray(getattr(fp, "x", fp), dtype=float) for fp in fixed_points]
    for i, q in enumerate(pts):
        if q.shape != (n,):
            raise ValueError(f"fixed_points[{i}] has shape {q.shape}, expected ({n},)")
    return np.array(pts).reshape(-1, n)


def basins(system, samples, *, t_final=100.0, fixed_points=None, tol=1e-3, f_tol=1e-6,
           t_window=50.0, n_window=2001, tol_cycle=None, rtol=1e-8, atol=1e-10,
           method="dopri5"):
    """Label each initial condition in ``samples`` with the attractor it reaches.

    Parameters
    ----------
    system : ODESystem or model
    samples : array_like, shape (m, n)
        Initial conditions.
    t_final : float
        Integration time before the final state is classified.
    fixed_points : sequence, optional
        Known fixed points (arrays or results with ``.x``, e.g. from ``fixed_points``); a
        final state within ``tol`` of one is given it (``Attractor.match``).
    tol : float
        Distance within which final states are the same fixed point.
    f_tol : float
        A final state with ``|f| <= f_tol (1 + |x|)`` counts as a fixed point.
    t_window, n_window : float, int
        Further integration (and its samples) of states that are not fixed points, used to
        match and time cycles.
    tol_cycle : float, optional
        Distance from a cycle's sampled orbit within which a state is on it; default
        ``max(10 tol, 2 %`` of the orbit's extent).

    Example
    -------
    >>> from solvers import ODESystem
    >>> def bistable(t, y, p, dydt):
    ...     dydt[0] = y[0] - y[0] ** 3
    >>> b = basins(ODESystem(bistable, 1), np.linspace(-2, 2, 8)[:, None], t_final=30)
    >>> [round(float(a.x[0]), 6) for a in b.attractors], b.fractions
    ([-1.0, 1.0], array([0.5, 0.5]))
    """
    n = int(system.n_states)
    X = np.array(samples, dtype=float)
    if X.ndim == 1 and n == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"samples must have shape (m, {n}), got {np.shape(samples)}")
    if not np.all(np.isfinite(X)):
        bad = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise ValueError(f"samples[{bad}] is not finite")
    if not (float(t_final) > 0):
        raise ValueError(f"t_final must be positive, got {t_final!r}")
    known = _points_of(fixed_points, n)
    mod = loops_for("ode", system.rhs, getattr(system, "jac", None))
    p = system.params
    m = X.shape[0]
    labels = np.full(m, -1, dtype=np.int64)
    final = np.full((m, n), np.nan)
    attractors: list = []
    counts: list = []
    te = np.linspace(0.0, float(t_window), int(n_window))
    for s in range(m):
        sol = solvers.solve(system, (0.0, float(t_final)), X[s], method=method, rtol=rtol,
                            atol=atol, max_steps=10_000_000)
        if not sol.success:
            continue
        y = sol.y_final
        final[s] = y
        f = mod.eval_rhs(float(t_final), y, p)
        if np.linalg.norm(f) <= f_tol * (1.0 + np.linalg.norm(y)):
            lab = -1
            for a, att in enumerate(attractors):
                if att.kind == "fixed point" and np.linalg.norm(att.x - y) <= tol:
                    lab = a
                    break
            if lab < 0:
                match = -1
                if known.shape[0]:
                    d = np.linalg.norm(known - y, axis=1)
                    if d.min() <= tol:
                        match = int(np.argmin(d))
                x = known[match].copy() if match >= 0 else y.copy()
                attractors.append(Attractor("fixed point", x, match=match))
                counts.append(0)
                lab = len(attractors) - 1
            labels[s] = lab
            counts[lab] += 1
            continue
        # Not at rest: continue and compare with the cycles found so far.
        w = solvers.solve(system, (0.0, float(t_window)), y, method=method, t_eval=te,
                          rtol=rtol, atol=atol, max_steps=10_000_000)
        if not w.success:
            continue
        lab = -1
        for a, att in enumerate(attractors):
            if att.kind != "cycle":
                continue
            extent = float(np.max(np.ptp(att.orbit, axis=0)))
            tc = tol_cycle if tol_cycle is not None else max(10 * tol, 0.02 * extent)
            if np.min(np.linalg.norm(att.orbit - w.y[-1], axis=1)) <= tc:
                lab = a
                break
        if lab < 0:
            Y = w.y
            c = int(np.argmax(Y.std(axis=0)))
            tcs, _ = section_crossings(w.t, Y, c, float(Y[:, c].mean()))
            period = float(np.median(np.diff(tcs))) if tcs.size >= 3 else float("nan")
            attractors.append(Attractor("cycle", Y[-1].copy(), period, Y.copy()))
            counts.append(0)
            lab = len(attractors) - 1
        labels[s] = lab
        counts[lab] += 1
    # Order: fixed points first, then by their coordinates, so labels don't depend on which
    # sample happened to come first.
    order = sorted(range(len(attractors)),
                   key=lambda a: (attractors[a].kind != "fixed point",
                                  tuple(np.round(attractors[a].x, 9))))
    remap = np.empty(len(attractors), dtype=np.int64)
    remap[order] = np.arange(len(attractors))
    labels = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
    attractors = [attractors[a] for a in order]
    fractions = np.array([counts[a] for a in order], dtype=float) / m
    return Basins(labels, attractors, fractions, final)
