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
from solvers._checks import check_allocation, count, real_array, real_number
from solvers._codegen import loops_for

from .._model import clip, num, summary
from .jacobian import _check
from .limit_cycle import _crossings

__all__ = ["basins", "Basins", "Attractor"]


@dataclass(frozen=True)
class Attractor:
    """``kind`` ("fixed point" or "cycle"), ``x`` (the point, or a point on the cycle),
    ``period`` (NaN for a fixed point), ``orbit`` (samples along a cycle, shape (m, n)),
    ``match`` (index into the ``fixed_points`` given, or -1).

    >>> Attractor("cycle", np.array([0.0, 2.17]), 6.663, np.zeros((2001, 2)))
    Attractor(cycle of period 6.663 through x = [0, 2.17], 2001 orbit samples)
    """
    kind: str
    x: np.ndarray
    period: float = float("nan")
    orbit: np.ndarray | None = None
    match: int = -1

    def _text(self):
        what = (f"cycle of period {num(self.period)} through" if self.kind == "cycle"
                else f"{self.kind} at")
        extra = ""
        if self.orbit is not None:
            extra += f", {int(np.shape(self.orbit)[0])} orbit samples"
        if self.match >= 0:
            extra += f", fixed_points[{self.match}]"
        return f"{what} x = {summary(self.x)}{extra}"

    def __repr__(self):
        return f"Attractor({self._text()})"


@dataclass(frozen=True)
class Basins:
    """``labels`` (per sample, index into ``attractors``; -1 unclassified), ``attractors``,
    ``fractions`` (share of samples per attractor, in the order of ``attractors``),
    ``final`` (final states, shape (m, n); NaN rows where the integration failed) and
    ``message`` (empty when every sample was integrated, else how many failed and why the
    first did; when all failed, ``attractors`` is empty and every label is -1).

    It prints as a summary, one line for each of the first four attractors:

    >>> Basins(np.array([0, 0, 1, -1]), [Attractor("fixed point", np.array([-1.0]), match=0),
    ...        Attractor("fixed point", np.array([1.0]))], np.array([0.5, 0.25]), np.zeros((4, 1)))
    Basins: 4 samples, 2 attractors, 25% unclassified
      [0] 50%: fixed point at x = [-1], fixed_points[0]
      [1] 25%: fixed point at x = [1]
    """
    labels: np.ndarray
    attractors: list
    fractions: np.ndarray
    final: np.ndarray
    message: str = ""

    def __repr__(self):
        m, k = int(np.size(self.labels)), len(self.attractors)
        lines = [f"Basins: {m} samples, {k} attractor{'s' if k != 1 else ''}, "
                 f"{num(100.0 * self.unclassified) if m else 0}% unclassified"]
        for i, a in enumerate(self.attractors[:4]):
            frac = num(100.0 * float(self.fractions[i])) if i < np.size(self.fractions) else "?"
            text = a._text() if isinstance(a, Attractor) else clip(repr(a), 80)
            lines.append(f"  [{i}] {frac}%: {text}")
        if k > 4:
            lines.append(f"  ... (+{k - 4} more)")
        if self.message:
            lines.append(f"  message: {clip(self.message, 140)}")
        return "\n".join(lines)

    @property
    def unclassified(self):
        return float(np.mean(self.labels < 0))


def _points_of(fixed_points, n):
    if fixed_points is None:
        return np.empty((0, n))
    if isinstance(fixed_points, (str, bytes)) or not hasattr(fixed_points, "__iter__"):
        raise TypeError(f"fixed_points must be a sequence of points (arrays or results with "
                        f".x), got {fixed_points!r}")
    pts = []
    for i, fp in enumerate(fixed_points):
        q = real_array(f"fixed_points[{i}]", getattr(fp, "x", fp), finite=True)
        if q.shape != (n,):
            raise ValueError(f"fixed_points[{i}] has shape {q.shape}, expected ({n},)")
        pts.append(q)
    return np.array(pts).reshape(-1, n)


def basins(system, samples, *, t_final=100.0, fixed_points=None, tol=1e-3, f_tol=1e-6,
           t_window=50.0, n_window=2001, tol_cycle=None, rtol=1e-8, atol=1e-10,
           method="dopri5"):
    """Label each initial condition in ``samples`` with the attractor it reaches.

    Parameters
    ----------
    system : ODESystem or model
        A continuous-time system; a map or a discrete-time network is refused (TypeError).
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
    rtol, atol, method
        Passed to ``solvers.solve`` (which checks them).

    Returns
    -------
    Basins
        Samples whose integration fails get the label -1, and ``message`` says how many
        failed and why the first did (when all fail there are no attractors).

    Example
    -------
    >>> from solvers import ODESystem
    >>> def bistable(t, y, p, dydt):
    ...     dydt[0] = y[0] - y[0] ** 3
    >>> b = basins(ODESystem(bistable, 1), np.linspace(-2, 2, 8)[:, None], t_final=30)
    >>> [round(float(a.x[0]), 6) for a in b.attractors], b.fractions
    ([-1.0, 1.0], array([0.5, 0.5]))
    """
    _check(system, "basins", maps=False)
    n = int(system.n_states)
    X = np.array(real_array("samples", samples, finite=False))
    if X.ndim == 1 and n == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != n:
        raise ValueError(f"samples must have shape (m, {n}), got {np.shape(samples)}")
    if X.shape[0] == 0:
        raise ValueError(f"samples is empty: give at least one initial condition, shape "
                         f"(m, {n})")
    if not np.all(np.isfinite(X)):
        bad = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise ValueError(f"samples[{bad}] is not finite")
    t_final = real_number("t_final", t_final, positive=True)
    tol = real_number("tol", tol, positive=True)
    f_tol = real_number("f_tol", f_tol, nonnegative=True)
    t_window = real_number("t_window", t_window, positive=True)
    n_window = count("n_window", n_window, low=3)
    if tol_cycle is not None:
        tol_cycle = real_number("tol_cycle", tol_cycle, positive=True)
    check_allocation("basins' cycle window (n_window x states)", (n_window, n + 1),
                     hint="lower n_window")
    known = _points_of(fixed_points, n)
    mod = loops_for("ode", system.rhs, getattr(system, "jac", None))
    p = system.params
    m = X.shape[0]
    labels = np.full(m, -1, dtype=np.int64)
    final = np.full((m, n), np.nan)
    attractors: list = []
    counts: list = []
    te = np.linspace(0.0, t_window, n_window)
    failed, first_failure = 0, ""
    # Every sample in one ensemble (each member is exactly the solve of that sample); the
    # windows of the samples not at rest are integrated as ensembles too, in blocks that
    # bound their memory, and classified in sample order as before.
    ens = solvers.solve_ensemble(system, (0.0, t_final), X, method=method, rtol=rtol,
                                 atol=atol, max_steps=10_000_000, save="final")
    block = max(1, (1 << 24) // (n_window * n))
    windows: dict = {}
    cycle_tol: dict = {}
    moving: list = []
    for s in range(m):
        if not ens.success[s]:
            continue
        y = ens.y_final[s]
        f = mod.eval_rhs(t_final, y, p)
        if not np.linalg.norm(f) <= f_tol * (1.0 + np.linalg.norm(y)):
            moving.append(s)
    position = {s: k for k, s in enumerate(moving)}
    for s in range(m):
        if not ens.success[s]:
            failed += 1
            first_failure = first_failure or f"sample {s}: {ens.message(s)}"
            continue
        y = ens.y_final[s]
        final[s] = y
        if s not in position:
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
        if s not in windows:
            k0 = position[s]
            batch = moving[k0:k0 + block]
            wens = solvers.solve_ensemble(system, (0.0, t_window), ens.y_final[batch],
                                          method=method, t_eval=te, rtol=rtol, atol=atol,
                                          max_steps=10_000_000)
            windows = {b: wens[k] for k, b in enumerate(batch)}
        w = windows[s]
        if not w.success:
            failed += 1
            first_failure = first_failure or f"sample {s} (window): {w.message}"
            continue
        lab = -1
        for a, att in enumerate(attractors):
            if att.kind != "cycle":
                continue
            tc = cycle_tol.get(a)
            if tc is None:  # once per cycle, not once per sample compared with it
                extent = float(np.max(np.ptp(att.orbit, axis=0)))
                tc = tol_cycle if tol_cycle is not None else max(10 * tol, 0.02 * extent)
                cycle_tol[a] = tc
            if np.min(np.linalg.norm(att.orbit - w.y[-1], axis=1)) <= tc:
                lab = a
                break
        if lab < 0:
            Y = w.y
            c = int(np.argmax(Y.std(axis=0)))
            tcs, _ = _crossings(w.t, Y, c, float(Y[:, c].mean()))
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
    if attractors:  # none when every integration failed: all labels stay -1
        labels = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
    attractors = [attractors[a] for a in order]
    fractions = np.array([counts[a] for a in order], dtype=float) / m
    if failed == m:
        message = f"every sample's integration failed ({m} of {m}); {first_failure}"
    elif failed:
        message = f"{failed} of {m} samples' integrations failed (label -1); {first_failure}"
    else:
        message = ""
    return Basins(labels, attractors, fractions, final, message)
