"""Reading a trained network's dynamics from its fixed and slow points (Sussillo & Barak 2013):
the linearisation around each point, the number of its marginal ("slow") modes, and whether a
set of slow points is a few isolated attractors, a line attractor or a ring attractor.

Works on any system the rest of :mod:`neurodyn.analysis` takes: a flow ``dx/dt = f(x)`` (slow
where ``Re lambda ~ 0``) or a map ``x -> F(x)`` such as a trained RNN imported from torch
(slow where ``|lambda| ~ 1``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from solvers._checks import InvalidTypeError, real_array, real_number

from .._model import num, summary
from .fixed_points import _eigenvalues
from .jacobian import _Evaluator, _flag, _state

__all__ = ["Linearization", "linearize", "slow_modes", "SlowManifold", "slow_manifold"]

# An eigenbasis this ill-conditioned is numerically no basis: the Jacobian is (nearly)
# defective, and its left eigenvectors (rows of the inverse) would be noise.
_MAX_COND = 1e12


@dataclass(frozen=True, eq=False)
class Linearization:
    """The linearisation ``delta' = J delta`` around a point ``x``.

    Fields: ``x``, ``jacobian``, ``eigenvalues`` (sorted by decreasing modulus for a map, by
    decreasing real part for a flow: the slowest modes of a stable point first), ``right``
    (columns: unit right eigenvectors, ``J right = right diag(eigenvalues)``), ``left`` (rows:
    left eigenvectors scaled so that ``left @ right = I``, so ``left[i] @ delta`` is the
    amplitude of mode ``i`` in a perturbation; NaN when ``J`` has no eigenbasis),
    ``time_constants`` (``-1 / log|lambda|`` iterations for a map, ``-1 / Re lambda`` for a
    flow: positive for decaying modes, ``inf`` for marginal ones, negative for growing ones)
    and ``is_map``.

    >>> lin = Linearization(np.zeros(1), -np.eye(1), np.array([-1.0 + 0j]), np.eye(1),
    ...                     np.eye(1), np.array([1.0]), False)
    >>> lin
    Linearization(flow at x = [0], eigenvalues [-1], time constants [1])
    """

    x: np.ndarray
    jacobian: np.ndarray = field(repr=False)
    eigenvalues: np.ndarray
    right: np.ndarray = field(repr=False)
    left: np.ndarray = field(repr=False)
    time_constants: np.ndarray
    is_map: bool

    def __repr__(self):
        what = "map" if self.is_map else "flow"
        return (f"Linearization({what} at x = {summary(self.x)}, eigenvalues "
                f"{summary(self.eigenvalues)}, time constants "
                f"{summary(self.time_constants)})")


def _point_state(point, ev, what="point"):
    """The state of a point given as a vector, a FixedPoint/SlowPoint or a Linearization."""
    x = getattr(point, "x", point)
    if isinstance(x, (str, bytes)):
        raise InvalidTypeError(f"{what} must be a state vector or a fixed point, got {x!r}")
    return _state(x, ev.n, ev.system, what)


def _order(ev, is_map):
    key = -np.abs(ev) if is_map else -ev.real
    return np.lexsort((ev.imag, key))


def _time_constants(ev, is_map):
    rate = np.log(np.abs(ev)) if is_map else ev.real
    with np.errstate(divide="ignore"):
        return np.where(rate == 0.0, np.inf, -1.0 / rate)


def linearize(system, point, t=0.0):
    """The Jacobian at ``point``, its eigen-decomposition and the time constants of its modes.

    Parameters
    ----------
    system : ODESystem, MapSystem or a neurodyn model
    point : array_like (n,), FixedPoint, SlowPoint or Linearization
        Where to linearise (usually a fixed or slow point; any state is allowed).
    t : float
        Time at which a non-autonomous flow is frozen (for a map, the iteration index).

    Returns
    -------
    Linearization
        ``x``, ``jacobian``, ``eigenvalues``, ``right``, ``left``, ``time_constants``,
        ``is_map``. The Jacobian is the system's analytic one where it has one (see
        :func:`~neurodyn.analysis.jacobian`).

    Example
    -------
    A ReLU RNN is linear where its units are active: at its fixed point the Jacobian is
    ``W_hh``, with eigenvalues 0.9 and 0.5 (time constants ``-1/log 0.9`` and ``-1/log 0.5``
    iterations):

    >>> from neurodyn.cells.rnn import RNN
    >>> rnn = RNN(np.zeros((2, 1)), [[0.5, 0.2], [0.0, 0.9]], b_hh=[1.0, 1.0],
    ...           nonlinearity="relu")
    >>> lin = linearize(rnn, [4.0, 10.0])
    >>> lin.eigenvalues.real, lin.time_constants.round(3)
    (array([0.9, 0.5]), array([9.491, 1.443]))
    >>> np.allclose(lin.left @ lin.jacobian, np.diag(lin.eigenvalues) @ lin.left)
    True
    """
    ev = _Evaluator(system, t, "linearize")
    x = _point_state(point, ev)
    J = ev.DF(x)
    if not np.all(np.isfinite(J)):
        raise FloatingPointError(f"linearize: the Jacobian at x = {summary(x)} is not finite")
    w, vl, vr = scipy.linalg.eig(J, left=True, right=True)
    order = _order(w, ev.is_map)
    w, vr = w[order], vr[:, order]
    right = vr.real.copy() if not np.any(w.imag) else vr
    if np.linalg.cond(right) < _MAX_COND:
        left = np.linalg.inv(right)
    else:
        left = np.full(right.shape, np.nan, dtype=right.dtype)
    return Linearization(x=x, jacobian=J, eigenvalues=w, right=right, left=left,
                         time_constants=_time_constants(w, ev.is_map), is_map=ev.is_map)


def _distance_to_marginal(eig, is_map):
    return np.abs(np.abs(eig) - 1.0) if is_map else np.abs(eig.real)


def slow_modes(eigenvalues, *, is_map=None, tol=1e-2):
    """The number of marginal ("slow") modes: eigenvalues with ``||lambda| - 1| <= tol`` for a
    map, ``|Re lambda| <= tol`` for a flow.

    At a point of a continuous attractor this is the attractor's dimension (one marginal mode
    along each direction in which the point can slide): 0 at an isolated fixed point, 1 on a
    line or ring attractor, 2 on a plane attractor.

    Parameters
    ----------
    eigenvalues : array_like, FixedPoint, SlowPoint or Linearization
        The eigenvalues of a Jacobian, or a point that carries them.
    is_map : bool
        Whether they belong to a map; taken from a :class:`Linearization`, required otherwise.
    tol : float
        Absolute tolerance (>= 0) on ``|lambda| - 1`` (map) or ``Re lambda`` (flow, in units
        of 1 / time).

    Example
    -------
    >>> slow_modes([1.0, 0.999, 0.5, -1.0 + 0.001j], is_map=True)
    3
    >>> slow_modes([0.0, -2.0], is_map=False)
    1
    """
    if isinstance(eigenvalues, Linearization):
        if is_map is not None and bool(is_map) != eigenvalues.is_map:
            raise ValueError(f"is_map={is_map!r} contradicts the Linearization, which is of a "
                             f"{'map' if eigenvalues.is_map else 'flow'}")
        is_map = eigenvalues.is_map
    if is_map is None:
        raise ValueError("slow_modes needs is_map=True (a map: |lambda| ~ 1) or False (a flow: "
                         "Re lambda ~ 0) unless given a Linearization")
    is_map = _flag("is_map", is_map)
    tol = real_number("tol", tol, nonnegative=True)
    ev = _eigenvalues(getattr(eigenvalues, "eigenvalues", eigenvalues))
    return int(np.sum(_distance_to_marginal(ev, is_map) <= tol))


@dataclass(frozen=True, eq=False)
class SlowManifold:
    """What :func:`slow_manifold` reads from a set of slow points.

    Fields: ``kind`` (``"isolated"``, ``"line"``, ``"ring"`` or ``"manifold"``),
    ``dimension`` (the most common number of marginal modes per point), ``marginal`` (that
    number at each point), ``pca_dimension`` (how many principal axes hold the points'
    spread), ``explained`` (the fraction of variance along each principal axis), ``closed``
    (whether the points surround their centre in the plane of the first two axes),
    ``max_gap`` (the widest empty angle there, radians; NaN when not computed), ``center``,
    ``axes`` (rows: principal axes), ``points`` and ``is_map``.

    >>> SlowManifold("line", 1, np.ones(3, int), 1, np.array([1.0, 0.0]), False, np.nan,
    ...              np.zeros(2), np.eye(2), np.zeros((3, 2)), True)
    SlowManifold(line, dimension 1, 3 points, marginal modes per point 1 x3, 1 principal axis)
    """

    kind: str
    dimension: int
    marginal: np.ndarray
    pca_dimension: int
    explained: np.ndarray = field(repr=False)
    closed: bool
    max_gap: float
    center: np.ndarray = field(repr=False)
    axes: np.ndarray = field(repr=False)
    points: np.ndarray = field(repr=False)
    is_map: bool

    def __repr__(self):
        counts = ", ".join(f"{v} x{c}" for v, c in zip(*np.unique(self.marginal,
                                                                   return_counts=True)))
        axes = f"{self.pca_dimension} principal ax{'is' if self.pca_dimension == 1 else 'es'}"
        gap = f", widest gap {num(np.degrees(self.max_gap), 3)} deg" if np.isfinite(
            self.max_gap) else ""
        return (f"SlowManifold({self.kind}, dimension {self.dimension}, {len(self.points)} "
                f"point{'s' if len(self.points) != 1 else ''}, marginal modes per point "
                f"{counts}, {axes}{gap})")


def _points(points, ev):
    """The points as a (k, n) float array: a list of FixedPoint/SlowPoint/Linearization or
    vectors, or one array (k, n) (a single (n,) vector is one point)."""
    if isinstance(points, (str, bytes)):
        raise InvalidTypeError(f"points must be states or fixed points, got {points!r}")
    if isinstance(points, np.ndarray) or not hasattr(points, "__len__"):
        arr = real_array("points", points, finite=False)
        rows = arr[None] if arr.ndim == 1 else arr
        if rows.ndim != 2 or rows.shape[1] != ev.n:
            raise ValueError(f"points has shape {arr.shape}, expected (k, {ev.n}): one state "
                             "per row")
    else:
        rows = [getattr(p, "x", p) for p in points]
    if len(rows) == 0:
        raise ValueError("points is empty: slow_manifold needs at least one point")
    return np.array([_point_state(p, ev, f"points[{i}]") for i, p in enumerate(rows)])


def _circle_gap(P):
    """The widest empty angle of planar points seen from the centre of their least-squares
    circle (Kasa's fit: x^2 + y^2 = 2 a x + 2 b y + c). The fit's centre, not the points'
    mean, so that an arc of a circle shows its true gap."""
    A = np.column_stack([2.0 * P, np.ones(len(P))])
    sol = np.linalg.lstsq(A, (P ** 2).sum(axis=1), rcond=None)[0]
    ang = np.sort(np.arctan2(P[:, 1] - sol[1], P[:, 0] - sol[0]))
    gaps = np.diff(np.concatenate([ang, [ang[0] + 2.0 * np.pi]]))
    return float(gaps.max())


def slow_manifold(system, points, *, tol=1e-2, variance=0.99, gap=np.pi / 2, t=0.0):
    """Whether a set of fixed or slow points is isolated attractors, a line or a ring attractor.

    Two readings are combined. The eigen-spectrum at each point says how many directions the
    state can slide along without restoring force (:func:`slow_modes` of its linearisation):
    the dimension of the slow manifold there (the most common count over the points is
    ``dimension``). The points' principal components say how many directions they spread in
    (``pca_dimension``: the axes holding a fraction ``variance`` of it). Then:

    * ``dimension == 0``: ``"isolated"`` — hyperbolic points, each its own attractor, saddle
      or repeller, however they are arranged;
    * ``dimension == 1``: ``"ring"`` when the points close up — in the plane of their first
      two principal axes they surround the centre of their best-fitting circle with no empty
      angle wider than ``gap`` — else ``"line"`` (straight or curved);
    * ``dimension >= 2``: ``"manifold"`` (a plane attractor, ...).

    Parameters
    ----------
    system : ODESystem, MapSystem or a neurodyn model
    points : list of FixedPoint / SlowPoint / Linearization, or array_like (k, n)
        The points, e.g. from :func:`~neurodyn.analysis.slow_points`; a ring needs enough of
        them around it (gaps below ``gap``).
    tol : float
        Marginal-mode tolerance (see :func:`slow_modes`).
    variance : float
        Fraction of the spread in ``(0, 1]`` the principal axes counted by ``pca_dimension``
        hold.
    gap : float
        The widest empty angle (radians, in ``(0, pi]``) a closed curve of points may have.
        The default, a quarter turn, tells an arc of up to three quarters of a circle from a
        ring, and is wide enough for the gaps between a few dozen randomly placed points
        (about ``2 pi ln(k) / k`` for ``k`` points).
    t : float
        Time at which a non-autonomous system is frozen.

    Returns
    -------
    SlowManifold

    Example
    -------
    A ReLU RNN that copies ``h_0`` and pulls ``h_1`` to 1 has a line of fixed points
    ``(s, 1)``, ``s > 0``:

    >>> from neurodyn.cells.rnn import RNN
    >>> rnn = RNN(np.zeros((2, 1)), [[1.0, 0.0], [0.0, 0.5]], b_hh=[0.0, 0.5],
    ...           nonlinearity="relu")
    >>> sm = slow_manifold(rnn, [[s, 1.0] for s in (0.5, 1.0, 2.0, 3.0)])
    >>> sm.kind, sm.dimension, sm.pca_dimension
    ('line', 1, 1)
    """
    ev = _Evaluator(system, t, "slow_manifold")
    tol = real_number("tol", tol, nonnegative=True)
    variance = real_number("variance", variance, positive=True, high=1.0)
    gap = real_number("gap", gap, positive=True, high=np.pi)
    X = _points(points, ev)
    marginal = np.array([slow_modes(linearize(system, x, t), tol=tol) for x in X], dtype=int)
    values, counts = np.unique(marginal, return_counts=True)
    dimension = int(values[np.argmax(counts)])  # ties: the smaller (np.unique sorts)

    center = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - center, full_matrices=False)
    var = s ** 2
    scale = max(1.0, float(np.abs(X).max()))
    # Points that all coincide (to rounding) spread in no direction.
    if len(X) < 2 or s[0] <= 1e-9 * scale:
        explained = np.zeros(len(s))
        pca_dimension = 0
    else:
        explained = var / var.sum()
        pca_dimension = int(np.searchsorted(np.cumsum(explained), variance - 1e-12) + 1)
    max_gap = np.nan
    closed = False
    if pca_dimension >= 2 and len(X) >= 3:
        max_gap = _circle_gap((X - center) @ Vt[:2].T)
        closed = max_gap <= gap
    if dimension == 0:
        kind = "isolated"
    elif dimension == 1:
        kind = "ring" if closed else "line"
    else:
        kind = "manifold"
    return SlowManifold(kind=kind, dimension=dimension, marginal=marginal,
                        pca_dimension=pca_dimension, explained=explained, closed=bool(closed),
                        max_gap=max_gap, center=center, axes=Vt, points=X, is_map=ev.is_map)
