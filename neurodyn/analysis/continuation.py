"""Numerical continuation of fixed points in one parameter, with fold, branch-point and Hopf
detection.

The branch ``G(x, mu) = 0`` (``G = f`` for a flow, ``F(x) - x`` for a map) is followed by
pseudo-arclength continuation (Keller 1977; Allgower & Georg, *Introduction to Numerical
Continuation Methods*, ch. 2): predict along the unit tangent of the curve in ``(x, mu)``, then
correct with Newton's method on ``G`` augmented by the constraint that the correction stays on
the hyperplane through the prediction orthogonal to the tangent. Because the curve is
parametrised by arclength, not by ``mu``, folds (where ``mu`` turns back) are passed.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import root

from solvers._checks import count, real_number

from .._model import clip, num, summary, tally
from .fixed_points import _sorted_eigs, classify
from .jacobian import _EPS3, _check, _Evaluator, _state

__all__ = ["Branch", "Bifurcation", "continuation"]


@dataclass(frozen=True, eq=False)
class Bifurcation:
    """A special point on a branch.

    ``kind`` is ``"saddle-node"`` (a fold: a real eigenvalue crosses 0 and the branch turns
    back in the parameter), ``"branch point"`` (a real eigenvalue crosses 0 without a turn,
    e.g. a transcritical or pitchfork point) or ``"hopf"`` (a complex pair crosses the
    imaginary axis; ``frequency`` is its imaginary part). ``index`` is the branch point just
    before it.

    >>> Bifurcation("hopf", -0.25, np.zeros(2), np.array([0.5j, -0.5j]), 7, 0.5)
    Bifurcation(hopf at param = -0.25, frequency 0.5, x = [0, 0], after point 7)
    """

    kind: str
    param: float
    x: np.ndarray
    eigenvalues: np.ndarray = field(repr=False)
    index: int
    frequency: float = float("nan")

    def __repr__(self):
        freq = f", frequency {num(self.frequency)}" if self.kind == "hopf" else ""
        return (f"Bifurcation({self.kind} at param = {num(self.param, 6)}{freq}, "
                f"x = {summary(self.x)}, after point {self.index})")


@dataclass(frozen=True, eq=False)
class Branch:
    """A continued branch: ``param`` (k,), ``x`` (k, n), ``eigenvalues`` (k, n), ``stability``
    (k strings, see :func:`~neurodyn.analysis.fixed_points.classify`), ``bifurcations``,
    ``status`` (0 reached ``stop``, 1 left the interval through ``start``, -1 step limit,
    -2 step size underflow) and ``message``.

    It prints as a summary (sizes, the parameter range, the stability classes met and the
    bifurcations), never its arrays:

    >>> from neurodyn import CTRNN
    >>> print(continuation(CTRNN([[8.0]]), "bias", -8.0, 0.0, [0.0]))  # doctest: +ELLIPSIS
    Branch: ... points, param -8 -> 0, 1 state; status 0: reached param = 0.0
      stability: stable node x..., unstable node x...
      2 bifurcations: saddle-node at param = -2.934, saddle-node at param = -5.066
    """

    param: np.ndarray
    x: np.ndarray
    eigenvalues: np.ndarray = field(repr=False)
    stability: list = field(repr=False)
    bifurcations: list
    status: int
    message: str

    def __repr__(self):
        k = int(self.param.size)
        n = int(self.x.shape[1]) if self.x.ndim == 2 else 0
        span = (f"param {num(self.param[0])} -> {num(self.param[-1])}" if k else "no points")
        lines = [f"Branch: {k} points, {span}, {n} state{'s' if n != 1 else ''}; status "
                 f"{self.status}: {clip(self.message, 100)}",
                 f"  stability: {clip(tally(self.stability), 120) or 'none'}"]
        bifs = self.bifurcations
        if bifs:
            shown = ", ".join(f"{b.kind} at param = {num(b.param)}" for b in bifs[:4])
            more = f", ... (+{len(bifs) - 4} more)" if len(bifs) > 4 else ""
            lines.append(f"  {len(bifs)} bifurcation{'s' if len(bifs) != 1 else ''}: "
                         f"{shown}{more}")
        else:
            lines.append("  no bifurcations")
        return "\n".join(lines)

    @property
    def saddle_nodes(self):
        """The saddle-node (fold) points, in branch order."""
        return [b for b in self.bifurcations if b.kind == "saddle-node"]

    @property
    def hopf_points(self):
        """The Hopf points, in branch order."""
        return [b for b in self.bifurcations if b.kind == "hopf"]


def _family(system, param):
    """A function mu -> the system at parameter value mu, from the three accepted forms."""
    if isinstance(param, str):
        if not hasattr(system, "replace"):
            raise TypeError(f"param {param!r} names a model argument, but "
                            f"{type(system).__name__} has no replace(); pass an index into "
                            "its params tuple or a function (system, mu) -> system")
        return lambda mu: system.replace(**{param: mu})
    if isinstance(param, numbers.Integral) and not isinstance(param, bool):
        _check(system, "continuation")
        p = tuple(system.params)
        i = int(param)
        if not -len(p) <= i < len(p):
            raise ValueError(f"param index {i} is out of range: the system has "
                             f"{len(p)} parameters")
        if not isinstance(p[i], numbers.Real) or isinstance(p[i], bool):
            raise ValueError(f"params[{i}] is a {type(p[i]).__name__}, not a number: "
                             "continuation varies one scalar parameter; pass a function "
                             "(system, mu) -> system to vary an array entry")
        if not hasattr(system, "with_params"):
            raise TypeError(f"{type(system).__name__} has no with_params(); pass a function "
                            "(system, mu) -> system")
        i %= len(p)
        return lambda mu: system.with_params(p[:i] + (float(mu),) + p[i + 1:])
    if callable(param):
        return lambda mu: param(system, mu)
    raise TypeError("param must be a model argument name (str), an index into the system's "
                    f"params tuple (int) or a function (system, mu) -> system; got {param!r}")


def continuation(system, param, start, stop, x0, *, ds=None, ds_max=None, ds_min=None,
                 max_steps=2000, tol=1e-10, t=0.0):
    """Follow a fixed point as one parameter goes from ``start`` to ``stop``.

    Parameters
    ----------
    system : ODESystem, MapSystem or a neurodyn model
    param : str, int or function
        Which parameter varies: a constructor argument of a model with ``replace()``
        (``"bias"`` sets every neuron's bias of a CTRNN to ``mu``); an index into an
        ``ODESystem``'s / ``MapSystem``'s ``params`` tuple (a scalar entry); or a function
        ``(system, mu) -> system`` for anything else (e.g. one neuron's bias:
        ``lambda s, mu: s.replace(bias=[mu, -1.75])``). Nothing is recompiled along the way.
    start, stop : float
        The parameter interval, traversed from ``start`` towards ``stop``.
    x0 : array_like, shape (n,)
        A state near a fixed point at ``start``; polished by Newton first.
    ds, ds_max, ds_min : float
        Initial, largest and smallest arclength step in ``(x, mu)`` (defaults: 1/100, 1/20 and
        1e-9 of ``|stop - start|``). The step grows after quick Newton convergence and is
        halved after a failure or a sharp turn of the tangent.
    max_steps : int
    tol : float
        Newton tolerance (max-norm of the correction, relative to ``1 + |z|``).

    Returns
    -------
    Branch
        The points (parameter, state, eigenvalues, stability) and the bifurcations found between
        them, each located by bisection in arclength on its test function: the parameter
        component of the tangent (folds), the sign of ``det G_x`` (real eigenvalue through 0;
        a fold when the tangent also turns, else a branch point), and, for flows, the product
        of the real parts of the eigenvalues with positive imaginary part when the number of
        such in the right half-plane changes (Hopf). ``dG/dmu`` is a central difference with
        step ``eps^(1/3) max(1, |mu|)``. Maps get folds and branch points only (no
        period-doubling or Neimark-Sacker test yet).

    Example
    -------
    A bistable neuron ``dy/dt = -y + 8 sigma(y + theta)`` has folds where
    ``sigma (1 - sigma) = 1/8``:

    >>> from neurodyn import CTRNN
    >>> br = continuation(CTRNN([[8.0]]), "bias", -8.0, 0.0, [0.0])
    >>> [round(b.param, 6) for b in br.saddle_nodes]
    [-2.93432, -5.06568]
    >>> br.status, round(float(br.x[-1, 0]), 4)
    (0, 7.9973)
    """
    make = _family(system, param)
    start = real_number("start", start)
    stop = real_number("stop", stop)
    if start == stop:
        raise ValueError(f"start and stop must be finite and different, got {start}, {stop}")
    span = abs(stop - start)
    ds = span / 100 if ds is None else real_number("ds", ds, positive=True)
    ds_max = span / 20 if ds_max is None else real_number("ds_max", ds_max, positive=True)
    ds_min = span * 1e-9 if ds_min is None else real_number("ds_min", ds_min, positive=True)
    for name, v in (("ds", ds), ("ds_max", ds_max), ("ds_min", ds_min)):
        if not (np.isfinite(v) and v > 0):  # a span so large its defaults overflow
            raise ValueError(f"{name} must be a positive finite number, got {v!r}")
    if ds_min > ds_max:
        raise ValueError(f"ds_min = {ds_min!r} exceeds ds_max = {ds_max!r}")
    tol = real_number("tol", tol, positive=True)
    max_steps = count("max_steps", max_steps, low=1)
    direction = 1.0 if stop > start else -1.0

    ev0 = _Evaluator(make(start), t, "continuation")
    n = ev0.n
    x0 = _state(x0, n, system, "x0")
    is_map = ev0.is_map
    cache = {}

    def ev(mu):
        e = cache.get(mu)
        if e is None:
            if len(cache) > 8:
                cache.clear()
            e = cache[mu] = _Evaluator(make(mu), t, "continuation")
        return e

    def G(x, mu):
        return ev(mu).G(x)

    def Gx_Gmu(x, mu):
        h = _EPS3 * max(1.0, abs(mu))
        gmu = (G(x, mu + h) - G(x, mu - h)) / ((mu + h) - (mu - h))
        return ev(mu).DG(x), gmu

    def tangent(z, t_prev):
        Gx, Gmu = Gx_Gmu(z[:n], z[n])
        A = np.zeros((n + 1, n + 1))
        A[:n, :n], A[:n, n], A[n] = Gx, Gmu, t_prev
        rhs = np.zeros(n + 1)
        rhs[n] = 1.0
        tv = np.linalg.solve(A, rhs)
        return tv / np.linalg.norm(tv), np.linalg.slogdet(Gx)[0]

    def correct(zp, tv):
        z = zp.copy()
        for it in range(1, 16):
            Gx, Gmu = Gx_Gmu(z[:n], z[n])
            A = np.zeros((n + 1, n + 1))
            A[:n, :n], A[:n, n], A[n] = Gx, Gmu, tv
            r = np.append(G(z[:n], z[n]), tv @ (z - zp))
            try:
                dz = np.linalg.solve(A, -r)
            except np.linalg.LinAlgError:
                return z, it, False
            z = z + dz
            if not np.all(np.isfinite(z)):
                return z, it, False
            if np.max(np.abs(dz)) <= tol * (1.0 + np.max(np.abs(z))):
                return z, it, bool(np.max(np.abs(G(z[:n], z[n]))) <= 1e3 * tol *
                                   (1.0 + np.max(np.abs(z))))
        return z, 15, False

    def eigs(z):
        return _sorted_eigs(ev(z[n]).DF(z[:n]), is_map)

    def hopf_count(lam):
        if is_map:
            return 0
        return int(np.sum((lam.imag > 1e-10 * max(1.0, np.max(np.abs(lam)))) & (lam.real > 0)))

    def hopf_test(lam):
        c = lam[lam.imag > 1e-10 * max(1.0, np.max(np.abs(lam)))]
        return float(np.prod(c.real)) if c.size else np.nan

    # Polish x0 at mu = start (natural-parameter Newton).
    sol = root(lambda x: (G(x, start), ev(start).DG(x)), x0, jac=True, method="hybr")
    res0 = float(np.max(np.abs(G(sol.x, start))))
    if not res0 <= 1e3 * tol * (1.0 + np.max(np.abs(sol.x))):
        raise ValueError(f"x0 is not near a fixed point at param = {start}: Newton from it "
                         f"stopped at residual {res0:.3g} ({sol.message})")
    z = np.append(sol.x, start)
    # The first predictor is the natural-parameter one: dx/dmu = -G_x^{-1} G_mu, taken in the
    # direction of `stop`; from then on the tangent's orientation is carried along the curve.
    e_mu = np.zeros(n + 1)
    e_mu[n] = direction
    tv, det = tangent(z, e_mu)

    zs, lams = [z], [eigs(z)]
    bifs = []
    status, message = -1, f"step limit ({max_steps}) reached"

    def bisect(z_a, t_a, s_hi, phi, phi_a):
        """Arclength s in (0, s_hi) where phi changes sign, by bisection; returns z there."""
        lo, hi = 0.0, s_hi
        zm = z_a
        for _ in range(60):
            s = 0.5 * (lo + hi)
            zm, _, ok = correct(z_a + s * t_a, t_a)
            if not ok:
                break
            val = phi(zm, t_a)
            if np.sign(val) == np.sign(phi_a):
                lo = s
            else:
                hi = s
            if hi - lo <= 1e-13 * max(1.0, s_hi):
                break
        return zm

    for _ in range(max_steps):
        if ds < ds_min:
            status, message = -2, f"step size fell below ds_min = {ds_min:g} at param = {z[n]}"
            break
        zn, its, ok = correct(z + ds * tv, tv)
        if ok:
            tn, detn = tangent(zn, tv)
            ok = tn @ tv > 0.9  # a sharp turn means the step jumped, or skipped a feature
        if not ok:
            ds *= 0.5
            continue
        lam_a, lam_b = lams[-1], eigs(zn)
        k = len(zs) - 1
        # Test functions, located by bisection in arclength from z along tv.
        if detn != det:
            kind = "saddle-node" if np.sign(tn[n]) != np.sign(tv[n]) else "branch point"
            if kind == "saddle-node":
                zb = bisect(z, tv, ds, lambda zz, tt: tangent(zz, tt)[0][n], tv[n])
            else:
                zb = bisect(z, tv, ds, lambda zz, tt: tangent(zz, tt)[1], det)
            bifs.append(Bifurcation(kind, float(zb[n]), zb[:n].copy(), eigs(zb), k))
        if hopf_count(lam_a) != hopf_count(lam_b):
            ha = hopf_test(lam_a)
            if np.isfinite(ha):
                zb = bisect(z, tv, ds, lambda zz, tt: hopf_test(eigs(zz)), ha)
            else:
                zb = zn
            lb = eigs(zb)
            c = lb[lb.imag > 0]
            freq = float(c[np.argmin(np.abs(c.real))].imag) if c.size else float("nan")
            bifs.append(Bifurcation("hopf", float(zb[n]), zb[:n].copy(), lb, k, freq))
        mu_b = zn[n]
        if (mu_b - stop) * direction >= 0:
            # Land exactly on `stop`: natural-parameter Newton from the interpolated state.
            w = (stop - z[n]) / (mu_b - z[n])
            xi = z[:n] + w * (zn[:n] - z[:n])
            sol = root(lambda x: (G(x, stop), ev(stop).DG(x)), xi, jac=True, method="hybr")
            zs.append(np.append(sol.x, stop))
            lams.append(eigs(zs[-1]))
            status, message = 0, f"reached param = {stop}"
            break
        if (mu_b - start) * direction < 0:
            zs.append(zn)
            lams.append(lam_b)
            status, message = 1, f"the branch turned back past start = {start}"
            break
        zs.append(zn)
        lams.append(lam_b)
        z, tv, det = zn, tn, detn
        ds = min(ds * 1.5, ds_max) if its <= 3 else (ds * 0.5 if its >= 6 else ds)

    Z = np.array(zs)
    L = np.array(lams)
    return Branch(param=Z[:, n].copy(), x=Z[:, :n].copy(), eigenvalues=L,
                  stability=[classify(lam, is_map) for lam in L], bifurcations=bifs,
                  status=status, message=message)
