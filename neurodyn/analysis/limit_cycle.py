"""Periodic orbits of flows: detection on a Poincaré section, Newton shooting, Floquet multipliers.

A trajectory is first run past its transient; its upward crossings of a hyperplane (through the
mean of the component of largest variance), located by the engine's events, give a period and
a point on the orbit. Newton's
method on the shooting equations ``φ(x0, T) = x0``, with the phase fixed by keeping ``x0`` on
the section, then refines both; the monodromy matrix ``∂φ/∂x0`` comes from the variational
equations integrated in compiled code (the engine's ``rk4_variational``) with the analytic
Jacobian, and its eigenvalues are the Floquet multipliers (one of them is 1: the direction
along the orbit).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import solvers
from solvers._checks import check_allocation, count, real_array, real_number
from solvers._codegen import loops_for

from .._model import clip, num, summary
from .jacobian import _check
from .poincare import poincare_section

__all__ = ["limit_cycle", "LimitCycle", "section_crossings"]


@dataclass(frozen=True)
class LimitCycle:
    """A periodic orbit: ``period``, ``floquet`` multipliers (sorted by modulus, descending),
    ``x`` a point on the orbit (on the section), ``converged`` (Newton met ``tol``),
    ``residual`` ``|φ(x, T) - x|``, the section ``(component, level)``, ``iterations`` and
    ``message``. ``stable`` is True when every multiplier but the trivial one lies inside the
    unit circle.

    It prints as a summary:

    >>> LimitCycle(6.6633, np.array([1.0, 0.0013]), np.array([0.0, 2.17]), True, 3e-12, (0, 0.0),
    ...            4, "converged")
    LimitCycle: period 6.663, stable, converged after 4 iterations (residual 3e-12)
      floquet multipliers [1, 0.0013]; x = [0, 2.17] on the section y[0] = 0
      message: converged
    """
    period: float
    floquet: np.ndarray
    x: np.ndarray
    converged: bool
    residual: float
    section: tuple
    iterations: int
    message: str

    def __repr__(self):
        state = "converged" if self.converged else "not converged"
        stab = "stable" if self.stable else "not stable"
        try:
            comp, level = self.section
            where = f"y[{comp}] = {num(level)}"
        except (TypeError, ValueError):
            where = clip(repr(self.section), 60)
        return "\n".join([
            f"LimitCycle: period {num(self.period)}, {stab}, {state} after {self.iterations} "
            f"iterations (residual {num(self.residual, 3)})",
            f"  floquet multipliers {summary(self.floquet)}; x = {summary(self.x)} on the "
            f"section {where}",
            f"  message: {clip(self.message, 140)}"])

    @property
    def stable(self):
        if self.floquet.size == 0 or not np.all(np.isfinite(self.floquet)):
            return False
        trivial = int(np.argmin(np.abs(self.floquet - 1.0)))
        others = np.delete(self.floquet, trivial)
        return bool(np.all(np.abs(others) < 1.0))


def section_crossings(t, y, component, level):
    """Times and states where ``y[:, component]`` crosses ``level`` upwards, linearly
    interpolated between samples.

    >>> t = np.linspace(0, 10, 1001)
    >>> tc, _ = section_crossings(t, np.sin(t)[:, None], 0, 0.0)
    >>> np.round(tc, 3)
    array([6.283])

    ``t`` (m,) must be non-decreasing and ``y`` (m, n) finite, one row per time; ``component``
    an integer index ``0 <= component < n``; ``level`` a real number.
    """
    t, y, component, level = _section_args(t, y, component, level)
    return _crossings(t, y, component, level)


def _section_args(t, y, component, level):
    t = real_array("t", t, ndim=1, per="one time per sample")
    y = real_array("y", y, ndim=2, per="one row per time, one column per state")
    if y.shape[0] != t.size:
        raise ValueError(f"y must have one row per time: t has {t.size} samples, y has shape "
                         f"{y.shape}")
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise ValueError(f"t must be non-decreasing: t[{i}] = {t[i]!r} < t[{i - 1}] = "
                         f"{t[i - 1]!r}")
    component = count("component", component, low=-(1 << 62))
    if not 0 <= component < y.shape[1]:
        raise ValueError(f"component = {component} is out of range: y has {y.shape[1]} "
                         f"component{'s' if y.shape[1] != 1 else ''} (0 to {y.shape[1] - 1})")
    level = real_number("level", level)
    return t, y, component, level


def _crossings(t, y, component, level):
    """section_crossings without the checks (for arrays this module made itself)."""
    v = y[:, component] - level
    i = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0))
    if i.size == 0:
        return np.empty(0), np.empty((0, y.shape[1]))
    w = (-v[i] / (v[i + 1] - v[i]))[:, None]
    return t[i] + w[:, 0] * (t[i + 1] - t[i]), y[i] + w * (y[i + 1] - y[i])


def _failed(msg, n, section=(-1, float("nan")), x=None):
    return LimitCycle(float("nan"), np.full(n, np.nan + 0j), np.full(n, np.nan) if x is None
                      else x, False, float("nan"), section, 0, msg)


def limit_cycle(system, y0, *, t_transient=200.0, t_search=200.0, n_samples=20001, tol=1e-9,
                max_iter=20, steps_per_period=4000, rtol=1e-10, atol=1e-12):
    """Find the periodic orbit the trajectory from ``y0`` settles on; its period and Floquet
    multipliers.

    Parameters
    ----------
    system : ODESystem or model (its ``jac`` kernel is used when it has one, else central
        directional differences of ``rhs``)
    y0 : array_like
    t_transient : float
        Integration time discarded before looking for the orbit.
    t_search : float
        Time sampled (``n_samples`` points) to find section crossings; it must hold a few
        periods (> 0).
    n_samples : int
        Samples of the search trajectory (>= 3; enough to resolve each period finely).
    tol : float
        Newton stops when ``|φ(x, T) - x| <= tol (1 + |x|)``.
    max_iter : int
        Newton iterations at most (>= 1: the monodromy matrix comes from the last one).
    steps_per_period : int
        RK4 steps per period for the shooting and the monodromy matrix (the multipliers'
        error is O(steps^-4)); >= 1.
    rtol, atol : float
        Tolerances of the transient and search integrations (checked by ``solvers.solve``).

    A discrete-time system (a ``MapSystem``, a Hopfield network) is refused with a
    ``TypeError``; bad options raise a ``ValueError`` naming them.

    Returns
    -------
    LimitCycle
        With ``converged = False`` and a message when the trajectory settles to a fixed point,
        diverges, or shows no recurring section crossing (chaos, quasi-periodicity, too short a
        search).

    Example
    -------
    >>> from neurodyn import CTRNN
    >>> lc = limit_cycle(CTRNN(W=[[4.5, 1], [-1, 4.5]], bias=[-2.75, -1.75]), [0.0, 0.0])
    >>> lc.converged, round(lc.period, 2), lc.stable
    (True, 29.0, True)
    """
    _check(system, "limit_cycle", maps=False)
    n = int(system.n_states)
    y = real_array("y0", y0, shape=(n,), per="one value per state")
    t_transient = real_number("t_transient", t_transient, nonnegative=True)
    t_search = real_number("t_search", t_search, positive=True)
    n_samples = count("n_samples", n_samples, low=3)
    tol = real_number("tol", tol, nonnegative=True)
    max_iter = count("max_iter", max_iter, low=1)
    steps_per_period = count("steps_per_period", steps_per_period, low=1)
    check_allocation("limit_cycle's search samples (n_samples x states)", (n_samples, n + 1),
                     hint="lower n_samples")
    if t_transient > 0:
        sol = solvers.solve(system, (0.0, t_transient), y, rtol=rtol, atol=atol,
                            max_steps=10_000_000)
        if not sol.success:
            return _failed(f"transient failed: {sol.message}", n)
        y = sol.y_final
    te = np.linspace(0.0, t_search, n_samples)
    sol = solvers.solve(system, (0.0, t_search), y, t_eval=te, rtol=rtol, atol=atol,
                        max_steps=10_000_000)
    if not sol.success:
        return _failed(f"search integration failed: {sol.message}", n)
    Y = sol.y
    spread = Y.std(axis=0)
    c = int(np.argmax(spread))
    scale = float(np.max(np.abs(Y))) + 1.0
    if spread[c] < 1e-7 * scale:
        return _failed("the trajectory settles to a fixed point (no oscillation)", n,
                       x=Y[-1].copy())
    level = float(Y[:, c].mean())
    # The crossings themselves are located by the engine's events on the search run's own
    # interpolant (to a few ulps of t), not interpolated linearly between samples.
    ps = poincare_section(system, y, (np.eye(n)[c], level), direction=1, t_max=t_search,
                          rtol=rtol, atol=atol)
    tc, pc = ps.t, ps.y
    if tc.size < 3:
        return _failed(f"fewer than 3 section crossings in t_search = {t_search}: no periodic "
                       "orbit found (lengthen t_search)", n, (c, level), Y[-1].copy())
    # The orbit may cross the section more than once per period: the period is the smallest
    # return m after which the crossing points repeat.
    diam = float(np.max(Y.max(axis=0) - Y.min(axis=0)))
    m_found = 0
    for m in range(1, tc.size // 2 + 1):
        d = np.linalg.norm(pc[m:] - pc[:-m], axis=1)
        if np.all(d < 1e-2 * diam):
            m_found = m
            break
    if m_found == 0:
        return _failed("section crossings do not repeat: no periodic orbit (chaotic or "
                       "quasi-periodic?)", n, (c, level), Y[-1].copy())
    T = float(np.mean(tc[m_found:] - tc[:-m_found]))
    x = pc[-1 - m_found].copy()
    x[c] = level

    mod = loops_for("ode", system.rhs, system.jac)
    # without a Jacobian kernel, the monodromy comes from central directional differences
    variational = mod.rk4_variational
    p = system.params
    eye = np.eye(n)
    e_c = eye[c]
    converged = False
    res = float("inf")
    it = 0
    M = np.full((n, n), np.nan)
    for it in range(1, max_iter + 1):
        ns = steps_per_period
        st, _, phi, M, _, _, _, _ = variational(0.0, x, eye, T / ns, ns, ns + 1, p)
        if st != 0:
            return _failed("non-finite state during Newton shooting", n, (c, level), x)
        r = phi - x
        res = float(np.linalg.norm(r))
        if res <= tol * (1.0 + np.linalg.norm(x)):
            converged = True
            break
        f_end = mod.eval_rhs(T, phi, p)
        A = np.zeros((n + 1, n + 1))
        A[:n, :n] = M - eye
        A[:n, n] = f_end
        A[n, :n] = e_c
        b = np.concatenate([-r, [level - x[c]]])
        delta = np.linalg.lstsq(A, b, rcond=None)[0]
        # Damped: a step that changes T by more than a tenth is cut back (the first guess is
        # good to the sampling step, so full steps are the rule).
        lim = max(abs(delta[n]) / (0.1 * T), 1.0)
        x = x + delta[:n] / lim
        T = T + delta[n] / lim
        if not (T > 0):
            return _failed("Newton shooting lost the orbit (period became <= 0)", n,
                           (c, level), x)
    mu = np.linalg.eigvals(M)
    mu = mu[np.argsort(-np.abs(mu))]
    msg = (f"periodic orbit, period {T:.10g}, residual {res:.2e} after {it} Newton "
           f"iterations" if converged else
           f"Newton shooting did not reach tol = {tol} in {max_iter} iterations "
           f"(residual {res:.2e})")
    return LimitCycle(float(T), mu, x, converged, res, (c, level), it, msg)
