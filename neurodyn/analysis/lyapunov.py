"""Lyapunov spectra of flows and maps (Benettin's method) and the Kaplan–Yorke dimension.

The state and k tangent vectors are advanced together in compiled code (the engine's
``rk4_variational`` for flows, ``map_variational`` for maps) with the system's analytic
Jacobian kernel; the tangents are re-orthonormalised by Gram–Schmidt (a QR factorisation with
positive R diagonal) and the exponents are the time averages of log R_ii (Benettin, Galgani,
Giorgilli & Strelcyn 1980; Shimada & Nagashima 1979).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers._checks import check_allocation, count, real_array, real_number, rng_from_seed
from solvers._codegen import loops_for

from .._model import num, summary
from .jacobian import _check, _system_name

__all__ = ["lyapunov_spectrum", "kaplan_yorke", "LyapunovResult"]


@dataclass(frozen=True)
class LyapunovResult:
    """The k largest Lyapunov exponents, sorted descending, and how they converged.

    ``exponents`` (per unit time for flows, per iteration for maps); ``kaplan_yorke`` the
    Kaplan–Yorke dimension of that (possibly partial) spectrum; ``history_t`` and ``history``
    the running estimates after each renormalisation (flows only, shape ``(m, k)``);
    ``y_final`` the state reached.

    It prints as a summary:

    >>> LyapunovResult(np.array([0.9056, 0.0, -14.5723]), 2.0621, np.array([1.0, 2.0, 20.0]),
    ...                np.linspace(1.0, 100.0, 100), np.zeros((100, 3)))
    LyapunovResult: 3 exponents [0.9056, 0, -14.57] (sum -13.67), Kaplan-Yorke dimension 2.062
      history: 100 estimates, t = 1 .. 100; y_final = [1, 2, 20]
    """
    exponents: np.ndarray
    kaplan_yorke: float
    y_final: np.ndarray
    history_t: np.ndarray = field(default_factory=lambda: np.empty(0))
    history: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def __repr__(self):
        k = int(np.size(self.exponents))
        m = int(np.size(self.history_t))
        hist = (f"history: {m} estimates, t = {num(self.history_t[0])} .. "
                f"{num(self.history_t[-1])}" if m else "no history (a map)")
        return (f"LyapunovResult: {k} exponent{'s' if k != 1 else ''} "
                f"{summary(self.exponents)} (sum {num(self.sum)}), Kaplan-Yorke dimension "
                f"{num(self.kaplan_yorke)}\n  {hist}; y_final = {summary(self.y_final)}")

    @property
    def sum(self):
        return float(np.sum(self.exponents))


def kaplan_yorke(exponents):
    """Kaplan–Yorke (Lyapunov) dimension ``j + (λ1+…+λj)/|λ(j+1)|`` of a spectrum.

    ``j`` is the largest index whose partial sum is still >= 0. A spectrum whose every partial
    sum is non-negative gives its length (the dimension cannot be resolved further); one that
    starts negative gives 0 (a stable fixed point).

    >>> round(kaplan_yorke([0.9056, 0.0, -14.5723]), 4)   # Lorenz
    2.0621
    >>> kaplan_yorke([-1.0, -2.0])
    0.0
    """
    lam = real_array("exponents", exponents, ndim=1, per="one exponent per entry")
    if lam.size == 0:
        raise ValueError("exponents is empty: the Kaplan-Yorke dimension needs at least one "
                         "Lyapunov exponent")
    return _kaplan_yorke(lam)


def _kaplan_yorke(lam):
    """kaplan_yorke without the checks: NaN for an empty or non-finite spectrum (a map whose
    Jacobian is singular has an exponent of -inf)."""
    lam = np.sort(np.asarray(lam, dtype=float))[::-1]
    if lam.size == 0 or not np.all(np.isfinite(lam)):
        return float("nan")
    csum = np.cumsum(lam)
    if csum[0] < 0:
        return 0.0
    nonneg = np.flatnonzero(csum >= 0)
    j = int(nonneg[-1]) + 1          # number of exponents in the non-negative partial sum
    if j == lam.size:
        return float(j)
    return float(j + csum[j - 1] / abs(lam[j]))


def _k(k, n):
    if k is None:
        return n
    k = count("k", k, low=1)
    if k > n:
        raise ValueError(f"k = {k} exceeds the number of states ({n})")
    return k


def _state(y0, n, name):
    return np.array(real_array(name, y0, shape=(n,), per="one value per state"))


def _initial_tangents(n, k, rng):
    # A random orthonormal frame: starting from the unit vectors can leave a tangent exactly in
    # an invariant subspace (e.g. the z-axis of Lorenz at x = y = 0) where it never rotates out.
    q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return np.ascontiguousarray(q)


def lyapunov_spectrum(system, y0, *, t_total=None, t_transient=0.0, dt=0.01, k=None,
                      renorm_every=10, n_steps=None, n_transient=0, seed=0):
    """The k largest Lyapunov exponents of a flow or a map, by Benettin's method.

    Flows (an ODESystem or model; its analytic ``jac`` kernel is used when it has one, else
    the tangents are advanced by central directional differences of ``rhs``, two extra RHS
    evaluations per tangent and stage, accurate to about 1e-9): classical RK4 with step
    ``dt`` on the state and the tangents, ``t_transient`` discarded first, then ``t_total`` of
    averaging with re-orthonormalisation every ``renorm_every`` steps. Maps (a MapSystem; its
    ``jac`` when it has one, else central directional differences of ``step``):
    ``n_transient`` iterations discarded, then ``n_steps`` averaged, re-orthonormalised at
    every iteration. ``k`` defaults to the full spectrum. ``seed`` (None, an
    int >= 0, a sequence of them, a SeedSequence or a Generator) draws the random orthonormal
    frame the tangents start from. Options of the other kind of system (for a
    map ``t_total``, ``t_transient``, ``dt``, ``renorm_every``; for a flow ``n_steps``,
    ``n_transient``) are refused, not ignored; ``t_total`` must hold at least one step ``dt``.

    The error is dominated by the finite averaging time (it falls like 1/sqrt(t_total) for a
    chaotic flow) and, for flows, by the RK4 step (the exponents' sum is the time average of
    the Jacobian's trace, exact up to that discretisation).

    Example
    -------
    >>> from solvers import MapSystem
    >>> def henon(k, x, p, out):
    ...     out[0] = 1.0 - p[0] * x[0] ** 2 + x[1]
    ...     out[1] = p[1] * x[0]
    >>> def henon_jac(k, x, p, J):
    ...     J[0, 0] = -2.0 * p[0] * x[0]
    ...     J[0, 1] = 1.0
    ...     J[1, 0] = p[1]
    >>> r = lyapunov_spectrum(MapSystem(henon, 2, (1.4, 0.3), jac=henon_jac), [0.1, 0.1],
    ...                       n_steps=20000, n_transient=1000)
    >>> bool(abs(r.exponents[0] - 0.419) < 0.01), bool(abs(r.sum - np.log(0.3)) < 1e-9)
    (True, True)
    """
    is_map = _check(system, "lyapunov_spectrum")
    name = _system_name(system)
    n = int(system.n_states)
    kk = _k(k, n)
    rng = rng_from_seed("seed", seed)
    if is_map:
        if n_steps is None:
            raise ValueError(f"{name} is a map: give n_steps (and n_transient), not t_total")
        if t_total is not None:
            raise ValueError(f"{name} is a map: t_total is for flows; use n_steps")
        if real_number("t_transient", t_transient) != 0:
            raise ValueError(f"{name} is a map: t_transient is for flows; use n_transient")
        # flow-only options would be ignored: refuse values other than their defaults
        if real_number("dt", dt) != 0.01:
            raise ValueError(f"{name} is a map: dt is for flows (a map steps by iterations)")
        if count("renorm_every", renorm_every, low=1) != 10:
            raise ValueError(f"{name} is a map: renorm_every is for flows (a map's tangents "
                             "are re-orthonormalised at every iteration)")
        n_steps = count("n_steps", n_steps, low=1)
        n_transient = count("n_transient", n_transient, low=0)
        x = _state(y0, n, "y0")
        Q0 = _initial_tangents(n, kk, rng)
        mod = loops_for("map", system.step, system.jac)
        variational = mod.map_variational
        p = system.params
        k0 = 0
        if n_transient:
            st, k0, x, _, _ = variational(x, 0, np.empty((n, 0)), n_transient, p)
            if st != 0:
                raise FloatingPointError(f"{name} diverged during the transient (iteration "
                                         f"{k0 + 1})")
        st, kend, x, _, logsum = variational(x, k0, Q0, n_steps, p)
        if st != 0:
            raise FloatingPointError(f"{name} diverged at iteration {kend + 1}")
        lam = logsum / n_steps
        order = np.argsort(-lam)
        lam = lam[order]
        return LyapunovResult(lam, _kaplan_yorke(lam), x)

    if n_steps is not None or (n_transient is not None
                               and count("n_transient", n_transient) != 0):
        raise ValueError(f"{name} is a flow: give t_total and t_transient, not n_steps or "
                         "n_transient")
    if t_total is None:
        raise ValueError("give t_total, the averaging time")
    t_total = real_number("t_total", t_total, positive=True)
    t_transient = real_number("t_transient", t_transient, nonnegative=True)
    dt = real_number("dt", dt, positive=True)
    renorm_every = count("renorm_every", renorm_every, low=1)
    if t_total < dt:
        raise ValueError(f"t_total = {t_total!r} is shorter than one step dt = {dt!r}: "
                         "nothing would be averaged (lengthen t_total or shorten dt)")
    for what, span_ in (("t_total", t_total), ("t_transient", t_transient)):
        if span_ / dt > 2.0 ** 53:
            raise ValueError(f"{what} / dt = {span_ / dt:.3g} RK4 steps: too many to take "
                             "(raise dt)")
    ns = max(1, int(round(t_total / dt)))
    check_allocation("lyapunov_spectrum's running estimates (one row per renormalisation)",
                     (ns // renorm_every + 2, kk + 1), hint="raise renorm_every or dt")
    y = _state(y0, n, "y0")
    Q0 = _initial_tangents(n, kk, rng)
    # RK4 without any tableau: the module is the per-kernel "base" one the stiff path uses.
    mod = loops_for("ode", system.rhs, system.jac)
    variational = mod.rk4_variational
    p = system.params
    t = 0.0
    if t_transient > 0:
        nt = max(1, int(round(t_transient / dt)))
        st, t, y, _, _, _, _, _ = variational(0.0, y, np.empty((n, 0)), dt, nt,
                                                      renorm_every, p)
        if st != 0:
            raise FloatingPointError(f"{name}: non-finite state during the transient, at "
                                     f"t = {t:.6g}")
    # the loop skips renormalisation when renorm_every > steps (that is the monodromy mode)
    renorm_every = min(renorm_every, ns)
    st, t_end, y, _, logsum, ht, hl, nh = variational(t, y, Q0, dt, ns, renorm_every, p)
    if st != 0:
        raise FloatingPointError(f"{name}: non-finite state or tangent at t = {t_end:.6g} "
                                 "(try a smaller dt)")
    span = ns * dt
    lam = logsum / span
    order = np.argsort(-lam)
    lam = lam[order]
    ht = ht[:nh]
    hist = hl[:nh][:, order] / (ht - t)[:, None]
    return LyapunovResult(lam, _kaplan_yorke(lam), y, ht - t, hist)
