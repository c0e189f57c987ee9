"""Fixed points (and slow points) of flows and maps, with their eigenvalues and stability.

Fixed points are found by multistart Newton: SciPy's ``root`` (MINPACK ``hybrj``, Powell's
hybrid method, fed the compiled analytic Jacobian) from seeded random points in a box and from
states sampled along short trajectories, which visit the neighbourhood of attractors and of the
saddles between them. Slow points follow Sussillo & Barak (2013): local minima of
``q(x) = 1/2 |f(x)|^2``, found by minimising ``q`` with its gradient ``J(x)^T f(x)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize, root

import solvers
from solvers._checks import (InvalidTypeError, count, real_array, real_number, rng_from_seed,
                             seed_value)

from .._model import num, summary, tally
from .jacobian import _check, _Evaluator, _flag, _time

__all__ = ["FixedPoint", "SlowPoint", "FixedPoints", "fixed_points", "slow_points", "classify"]


@dataclass(frozen=True, eq=False)
class FixedPoint:
    """A fixed point: ``x``, ``residual`` (max-norm of ``f(x)``, or of ``F(x) - x`` for a map),
    ``eigenvalues`` of the Jacobian (sorted by decreasing real part, or modulus for a map),
    ``stability`` (see :func:`classify`) and ``jacobian``.

    >>> FixedPoint(np.array([2.75, 1.75]), 1e-16, np.array([1 + 2j, 1 - 2j]), "unstable focus",
    ...            np.eye(2))
    FixedPoint(unstable focus, x = [2.75, 1.75], residual 1e-16, eigenvalues [1+2j, 1-2j])
    """

    x: np.ndarray
    residual: float
    eigenvalues: np.ndarray
    stability: str
    jacobian: np.ndarray = field(repr=False)

    def __repr__(self):
        return (f"FixedPoint({self.stability}, x = {summary(self.x)}, residual "
                f"{num(self.residual, 3)}, eigenvalues {summary(self.eigenvalues)})")


@dataclass(frozen=True, eq=False)
class SlowPoint:
    """A local minimum of ``q = 1/2 |f|^2``: a fixed point when ``q`` is ~0, else a slow point.
    Fields as :class:`FixedPoint`, plus ``q``.

    >>> SlowPoint(np.zeros(1), 5e-05, 0.01, np.zeros(1), "non-hyperbolic", np.zeros((1, 1)))
    SlowPoint(non-hyperbolic, q = 5e-05, x = [0], residual 0.01, eigenvalues [0])
    """

    x: np.ndarray
    q: float
    residual: float
    eigenvalues: np.ndarray
    stability: str
    jacobian: np.ndarray = field(repr=False)

    def __repr__(self):
        return (f"SlowPoint({self.stability}, q = {num(self.q, 3)}, x = {summary(self.x)}, "
                f"residual {num(self.residual, 3)}, eigenvalues {summary(self.eigenvalues)})")


class FixedPoints(list):
    """The list :func:`fixed_points` and :func:`slow_points` return: a plain list of
    :class:`FixedPoint` (or :class:`SlowPoint`) that prints as a summary, one short line per
    point for the first three.

    >>> pts = FixedPoints([FixedPoint(np.zeros(2), 0.0, np.array([-1.0, -2.0]), "stable node",
    ...                               np.eye(2))])
    >>> pts
    1 fixed point: stable node x1
      [0] stable node at x = [0, 0] (residual 0)
    >>> pts[0].stability, pts == [pts[0]]
    ('stable node', True)
    """

    _SHOWN = 3

    def __repr__(self):
        k = len(self)
        slow = k and all(isinstance(p, SlowPoint) for p in self)
        what = "slow point" if slow else "fixed point"
        if not k:
            return f"no {what}s found"
        lines = [f"{k} {what}{'s' if k != 1 else ''}: "
                 f"{tally(getattr(p, 'stability', '?') for p in self)}"]
        for i, p in enumerate(self[:self._SHOWN]):
            q = f"q = {num(p.q, 3)}, " if isinstance(p, SlowPoint) else ""
            lines.append(f"  [{i}] {getattr(p, 'stability', '?')} at x = "
                         f"{summary(getattr(p, 'x', None))} ({q}residual "
                         f"{num(getattr(p, 'residual', float('nan')), 3)})")
        if k > self._SHOWN:
            lines.append(f"  ... (+{k - self._SHOWN} more)")
        return "\n".join(lines)

    __str__ = __repr__


def classify(eigenvalues, is_map=False, tol=1e-8):
    """Stability class of a fixed point from its Jacobian eigenvalues.

    Flows: ``"stable node"`` / ``"stable focus"`` (all real parts < 0; focus when some
    eigenvalue is complex), ``"unstable node"`` / ``"unstable focus"`` (all > 0), ``"saddle"``
    (both signs), ``"non-hyperbolic"`` (a real part within ``tol`` of 0, relative to the largest
    modulus). Maps, by ``|eigenvalue|`` against 1: ``"stable"``, ``"unstable"``, ``"saddle"``,
    ``"non-hyperbolic"``.

    >>> classify([-1.0 + 2.0j, -1.0 - 2.0j])
    'stable focus'
    >>> classify([0.5, 3.0], is_map=True)
    'saddle'
    """
    ev = _eigenvalues(eigenvalues)
    is_map = _flag("is_map", is_map)
    tol = real_number("tol", tol, nonnegative=True)
    scale = max(1.0, float(np.max(np.abs(ev)))) if ev.size else 1.0
    if is_map:
        d = np.abs(ev) - 1.0
        if np.any(np.abs(d) <= tol * scale):
            return "non-hyperbolic"
        if np.all(d < 0):
            return "stable"
        return "unstable" if np.all(d > 0) else "saddle"
    re = ev.real
    if np.any(np.abs(re) <= tol * scale):
        return "non-hyperbolic"
    kind = "focus" if np.any(np.abs(ev.imag) > tol * scale) else "node"
    if np.all(re < 0):
        return f"stable {kind}"
    if np.all(re > 0):
        return f"unstable {kind}"
    return "saddle"


def _eigenvalues(value):
    """Eigenvalues as a non-empty, finite 1-D complex array (real or complex entries)."""
    if isinstance(value, (str, bytes)):
        raise InvalidTypeError(f"eigenvalues must be an array of numbers, got {value!r} (str)")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise InvalidTypeError(f"eigenvalues must be an array of numbers: {err}") from None
    if raw.dtype.kind == "c":
        ev = raw.astype(complex)
    else:
        try:
            ev = real_array("eigenvalues", value, finite=False).astype(complex)
        except InvalidTypeError as err:  # complex values are fine here: say so
            raise InvalidTypeError(str(err).replace("real numbers", "real or complex numbers")
                                   ) from None
    if ev.ndim != 1:
        raise ValueError(f"eigenvalues must be 1-D, got shape {ev.shape}")
    if ev.size == 0:
        raise ValueError("eigenvalues is empty: a fixed point has one eigenvalue per state")
    bad = np.flatnonzero(~np.isfinite(ev))
    if bad.size:
        i = int(bad[0])
        shown = ev[i] if raw.dtype.kind == "c" else ev[i].real
        raise ValueError(f"eigenvalues[{i}] = {shown} is not finite: no stability class can "
                         "be read from it")
    return ev


def _sorted_eigs(J, is_map):
    ev = np.linalg.eigvals(J)
    key = -np.abs(ev) if is_map else -ev.real
    return ev[np.lexsort((ev.imag, key))]


# Default half-width of the box the trajectories start from: suits states of order 1 to 10,
# such as CTRNNs with weights of a few units. Systems on other scales should pass box.
_SCALE = 10.0


def _box(box, n, what):
    if box is None:
        return None
    if not isinstance(box, (list, tuple)) and not (isinstance(box, np.ndarray) and box.ndim):
        v = real_number("box", box)
        if not v > 0:
            raise ValueError(f"{what}: box as a number is a half-width and must be > 0, "
                             f"got {box!r}")
        return np.full(n, -v), np.full(n, v)
    try:
        lo, hi = box
    except (TypeError, ValueError):
        raise ValueError(f"{what}: box must be a half-width or a pair (low, high) of numbers "
                         f"or length-{n} vectors, got {box!r}") from None
    lo = real_array("box[0] (low)", lo, finite=False)
    hi = real_array("box[1] (high)", hi, finite=False)
    try:
        lo = np.broadcast_to(lo, (n,)).copy()
        hi = np.broadcast_to(hi, (n,)).copy()
    except ValueError:
        raise ValueError(f"{what}: box must be a half-width or a pair (low, high) of numbers "
                         f"or length-{n} vectors, got {box!r}") from None
    bad = np.flatnonzero(~(np.isfinite(lo) & np.isfinite(hi) & (hi > lo)))
    if bad.size:
        i = bad[0]
        raise ValueError(f"{what}: box coordinate {i} has low {lo[i]} and high {hi[i]}; "
                         "both must be finite with low < high")
    return lo, hi


def _common_options(system, what, n_starts, seed, include_trajectories, t_traj, dedup_tol):
    """Checks shared by fixed_points and slow_points, made before anything is compiled."""
    is_map = _check(system, what)
    n_starts = count("n_starts", n_starts, low=1)
    seed = seed_value("seed", seed)
    include_trajectories = _flag("include_trajectories", include_trajectories)
    t_traj = _time("t_traj", t_traj, is_map, positive=True, at_least_one=True)
    dedup_tol = real_number("dedup_tol", dedup_tol, nonnegative=True)
    return n_starts, seed, include_trajectories, t_traj, dedup_tol


def _trajectory_states(system, ev, starts, t_traj, n_samples):
    """States along short trajectories from every start, as one ensemble (flows:
    solvers.solve_ensemble; maps: solvers.iterate_ensemble); each member is the solve (or
    iterate) of that start, non-finite states dropped."""
    if len(starts) == 0:
        return np.empty((0, ev.n))
    if ev.is_map:
        ens = solvers.iterate_ensemble(system, starts, t_traj,
                                       save_every=max(1, t_traj // n_samples))
    else:
        ens = solvers.solve_ensemble(system, (0.0, float(t_traj)), starts,
                                     t_eval=np.linspace(0.0, t_traj, n_samples + 1),
                                     rtol=1e-6, atol=1e-9)
    out = []
    for i in range(len(starts)):
        k = int(ens.n_out[i])
        y = ens.y[i, 1:k] if k > 1 else ens.y[i, :k]
        out.append(y[np.all(np.isfinite(y), axis=1)])
    return np.concatenate(out)


def _starts(system, ev, n_starts, seed, box, include_trajectories, t_traj, what):
    """Seeded random points in the box, plus states sampled along trajectories."""
    rng = rng_from_seed("seed", seed)
    n = ev.n
    lohi = _box(box, n, what)
    traj = np.empty((0, n))
    if include_trajectories:
        n_traj = max(1, n_starts // 4)
        lo, hi = lohi if lohi is not None else (-np.full(n, _SCALE), np.full(n, _SCALE))
        y0s = lo + (hi - lo) * rng.random((n_traj, n))
        traj = _trajectory_states(system, ev, y0s, t_traj, 10)
        # A map may run away before it overflows; such states say nothing about fixed points.
        traj = traj[np.max(np.abs(traj), axis=1) <= 1e3 * _SCALE] if len(traj) else traj
    if lohi is None:
        # Default box: the hull of the trajectory samples (attractors, and the saddles between
        # them lie near it), padded by 1 and by 20 % of its extent; [-1, 1]^n without samples.
        if len(traj):
            lo, hi = traj.min(axis=0), traj.max(axis=0)
            pad = 1.0 + 0.2 * (hi - lo)
            lohi = (np.minimum(lo - pad, -1.0), np.maximum(hi + pad, 1.0))
        else:
            lohi = (-np.ones(n), np.ones(n))
    lo, hi = lohi
    rand = lo + (hi - lo) * rng.random((n_starts, n))
    if len(traj) > n_starts:
        traj = traj[rng.choice(len(traj), n_starts, replace=False)]
    return np.concatenate([rand, traj])


def _dedup_sort(points, tol):
    """Keep one point per cluster (max-norm distance <= tol * max(1, |x|)); sort by x."""
    kept = []
    for pt in sorted(points, key=lambda r: r[1]):  # the most accurate representative first
        x = pt[0]
        scale = max(1.0, float(np.max(np.abs(x))))
        if all(np.max(np.abs(x - k[0])) > tol * scale for k in kept):
            kept.append(pt)
    if not kept:
        return []
    X = np.array([k[0] for k in kept])
    order = np.lexsort(X.T[::-1])
    return [kept[i] for i in order]


def fixed_points(system, *, n_starts=64, seed=0, box=None, tol=1e-10, max_residual=1e-8,
                 dedup_tol=1e-6, include_trajectories=True, t_traj=20.0, t=0.0):
    """All fixed points multistart Newton finds, with eigenvalues and stability.

    A flow's fixed points are the zeros of ``f(t, y)``; a map's are the zeros of ``F(x) - x``.
    Newton (SciPy ``root``, method ``"hybr"``, with the analytic Jacobian or central finite
    differences, see :func:`~neurodyn.analysis.jacobian.jacobian`) starts from ``n_starts``
    seeded random points in ``box`` and from up to ``n_starts`` states sampled along
    ``n_starts // 4`` trajectories of length ``t_traj`` (iterations for a map). Converged
    points with residual ``<= max_residual`` are kept once per cluster of radius
    ``dedup_tol * max(1, |x|)``, and returned sorted lexicographically by ``x``, so the result
    depends only on the system, the options and ``seed``. Newton may miss fixed points (there
    is no guarantee of completeness); more starts or a wider box find more.

    Parameters
    ----------
    system : ODESystem, MapSystem or a neurodyn model
    n_starts : int
        Random starting points (and the cap on trajectory samples).
    seed : int, sequence of ints, SeedSequence or Generator
        Seeds the random starts and the trajectories' initial states.
    box : float or (low, high), optional
        Where random starts are drawn: a half-width around 0, or bounds (numbers or length-n
        vectors); trajectories start there too. Default: trajectories start in
        ``[-10, 10]^n`` and random starts fill the hull of their samples (attractors, with the
        saddles between them) padded by 1 and by 20 % of its extent. Pass a box for systems
        whose states are not of order 1 to 10.
    tol : float
        Newton's relative tolerance on ``x`` (``root``'s ``tol``), >= 0.
    max_residual : float
        Points whose max-norm residual exceeds this are discarded (>= 0; ``inf`` keeps every
        converged point).
    dedup_tol : float
        Radius (relative, >= 0) within which converged points are the same fixed point.
    include_trajectories : bool
        Also start from states along trajectories.
    t_traj : float
        Length of those trajectories (> 0; for a map a whole number of iterations >= 1).
    t : float
        Time at which a non-autonomous system is frozen (for a map, a whole iteration index).

    Bad options raise a ``ValueError`` (or ``solvers.InvalidTypeError``, a ``TypeError``, for
    a value of the wrong kind) naming the option, before anything is computed.

    Returns
    -------
    FixedPoints
        A list of :class:`FixedPoint` that prints as a summary.

    Example
    -------
    Beer's center-crossing CTRNN has a fixed point where every neuron sits at sigma = 1/2:

    >>> import numpy as np
    >>> from neurodyn import CTRNN
    >>> W = np.array([[4.5, 1.0], [-1.0, 4.5]])
    >>> net = CTRNN(W, bias=-W.sum(axis=1) / 2)
    >>> [(p.x.round(6), p.stability) for p in fixed_points(net)]
    [(array([2.75, 1.75]), 'unstable focus')]
    """
    n_starts, seed, include_trajectories, t_traj, dedup_tol = _common_options(
        system, "fixed_points", n_starts, seed, include_trajectories, t_traj, dedup_tol)
    tol = real_number("tol", tol, nonnegative=True)
    # inf keeps every converged point; NaN would silently keep none
    max_residual = real_number("max_residual", max_residual, nonnegative=True, finite=False)
    ev = _Evaluator(system, t, "fixed_points")
    starts = _starts(system, ev, n_starts, seed, box, include_trajectories, t_traj,
                     "fixed_points")

    found = []
    for y0 in starts:
        # Residual and Jacobian as separate callables: hybrj evaluates the Jacobian only now
        # and then (Broyden updates in between), so computing both per call wastes most of it.
        sol = root(ev.G, y0, jac=ev.DG, method="hybr", tol=tol)
        x = sol.x
        if not np.all(np.isfinite(x)):
            continue
        r = float(np.max(np.abs(ev.G(x))))
        if r <= max_residual:
            found.append((x, r))
    return FixedPoints(_result(ev, x, r) for x, r in _dedup_sort(found, dedup_tol))


def _result(ev, x, r):
    J = ev.DF(x)
    eig = _sorted_eigs(J, ev.is_map)
    return FixedPoint(x=x, residual=r, eigenvalues=eig, stability=classify(eig, ev.is_map),
                      jacobian=J)


def slow_points(system, *, n_starts=64, seed=0, box=None, q_max=np.inf, gtol=1e-10,
                dedup_tol=1e-4, include_trajectories=True, t_traj=20.0, t=0.0, maxiter=2000):
    """Local minima of ``q(x) = 1/2 |f(x)|^2``: fixed points (q ~ 0) and slow points.

    Sussillo & Barak (2013, Neural Computation 25:626) explain a trained network's dynamics by
    its slow points, where the flow nearly stops; they are the local minima of ``q``, found by
    minimising it from states the network visits. Here ``q`` is minimised with L-BFGS-B and its
    exact gradient ``J(x)^T f(x)`` (for a map, ``f = F(x) - x``), from the same starts as
    :func:`fixed_points`; minima with ``q <= q_max`` are kept once per cluster and sorted by
    ``q``, then by ``x``.

    Returns
    -------
    FixedPoints
        A list of :class:`SlowPoint` (``x``, ``q``, ``residual``, ``eigenvalues``,
        ``stability``, ``jacobian``) that prints as a summary.

    Example
    -------
    ``dx/dt = x^2 + 0.01`` has no fixed point, but a slow point at 0 where ``q = 5e-5``:

    >>> from solvers import ODESystem
    >>> def ghost(t, y, p, dydt):
    ...     dydt[0] = y[0] * y[0] + p[0]
    >>> sp = slow_points(ODESystem(ghost, 1, (0.01,)), box=1.0, include_trajectories=False)
    >>> [(round(float(s.x[0]), 6) + 0.0, round(s.q, 9)) for s in sp]
    [(0.0, 5e-05)]
    """
    n_starts, seed, include_trajectories, t_traj, dedup_tol = _common_options(
        system, "slow_points", n_starts, seed, include_trajectories, t_traj, dedup_tol)
    q_max = real_number("q_max", q_max, nonnegative=True, finite=False)
    gtol = real_number("gtol", gtol, nonnegative=True)
    maxiter = count("maxiter", maxiter, low=1)
    ev = _Evaluator(system, t, "slow_points")
    starts = _starts(system, ev, n_starts, seed, box, include_trajectories, t_traj,
                     "slow_points")

    def q_and_grad(y):
        g = ev.G(y)
        return 0.5 * float(g @ g), ev.DG(y).T @ g

    found = []
    for y0 in starts:
        res = minimize(q_and_grad, y0, jac=True, method="L-BFGS-B",
                       options={"gtol": gtol, "ftol": 1e-15, "maxiter": maxiter})
        x = res.x
        if not np.all(np.isfinite(x)):
            continue
        q = q_and_grad(x)[0]
        if q <= q_max:
            found.append((x, q))
    pts = _dedup_sort(found, dedup_tol)
    out = []
    for x, q in pts:
        fp = _result(ev, x, float(np.max(np.abs(ev.G(x)))))
        out.append(SlowPoint(x=x, q=q, residual=fp.residual, eigenvalues=fp.eigenvalues,
                             stability=fp.stability, jacobian=fp.jacobian))
    out.sort(key=lambda s: s.q)
    return FixedPoints(out)
