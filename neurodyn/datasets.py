"""Benchmark time series for reservoir computing: Mackey-Glass, NARMA, Lorenz.

Each function is deterministic (``narma`` takes a seed for its random input), returns float64
arrays and validates its arguments.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _kernels_esn as _k

__all__ = ["mackey_glass", "narma", "lorenz"]


def _pos_int(v, name, minimum=1):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _pos_float(v, name, allow_zero=False):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {v!r}") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else 'positive'} and finite, "
                         f"got {v!r}")
    return x


def mackey_glass(n_samples, *, tau=17.0, beta=0.2, gamma=0.1, power=10.0, x0=1.2, dt=0.1,
                 sample_every=1.0, discard=0):
    """The Mackey-Glass delay differential equation
    ``dx/dt = beta x(t - tau) / (1 + x(t - tau)^power) - gamma x(t)``, sampled.

    Integration: classical RK4 with step ``dt`` on a grid on which the delay is a whole number
    of steps (``tau / dt`` must be an integer), constant history ``x(t) = x0`` for
    ``t <= 0``; the delayed value at a half step is the mean of the two neighbouring grid
    values (second-order accurate, which caps the global order at 2; it is the usual
    reservoir-computing construction). The series is ``x`` at
    ``t = discard + k * sample_every``, ``k = 0 .. n_samples - 1`` (``sample_every`` must be a
    whole number of steps). With the defaults this is exactly WORKLOADS.md's W4 input.

    Parameters
    ----------
    n_samples : int
    tau, beta, gamma, power : float
        ``tau = 17`` gives the classic mildly chaotic attractor (``tau = 30``: more chaotic).
    x0 : float
        History value.
    dt : float
        RK4 step.
    sample_every : float
        Time between samples.
    discard : float
        Time skipped before the first sample (a whole number of steps).

    Example
    -------
    >>> x = mackey_glass(20000)
    >>> x.shape, round(float(x.min()), 3), round(float(x.max()), 3)
    ((20000,), 0.418, 1.32)
    """
    n_samples = _pos_int(n_samples, "n_samples")
    tau = _pos_float(tau, "tau")
    dt = _pos_float(dt, "dt")
    every = _pos_float(sample_every, "sample_every")
    discard = _pos_float(discard, "discard", allow_zero=True)
    for name, v in (("beta", beta), ("gamma", gamma), ("power", power), ("x0", x0)):
        if not math.isfinite(float(v)):
            raise ValueError(f"{name} must be finite, got {v!r}")

    def steps(length, name):
        r = length / dt
        k = int(round(r))
        if abs(r - k) > 1e-9 * max(1.0, r):
            raise ValueError(f"{name} = {length!r} must be a whole number of steps dt = {dt!r} "
                             f"(got {r!r} steps)")
        return k

    d = steps(tau, "tau")
    stride = steps(every, "sample_every")
    skip = steps(discard, "discard")
    if stride < 1:
        raise ValueError(f"sample_every = {sample_every!r} is shorter than dt = {dt!r}")
    n_grid = skip + (n_samples - 1) * stride
    x = _k.mackey_glass_rk4(n_grid, dt, d, float(x0), float(beta), float(gamma), float(power))
    return x[skip::stride][:n_samples].copy()


def narma(u_or_n, order=10, *, alpha=0.3, beta=0.05, gamma=1.5, delta=0.1, seed=None,
          low=0.0, high=0.5):
    """NARMA-``order`` series (Atiya and Parlos 2000):
    ``y[t+1] = alpha y[t] + beta y[t] sum_{i=0}^{order-1} y[t-i] + gamma u[t-order+1] u[t]
    + delta``.

    ``u_or_n``: the input series, or its length (then ``u`` is i.i.d. uniform on
    ``[low, high]`` from ``seed``). Returns ``(u, y)``; ``y`` starts with ``order`` zeros.
    The NARMA-10 defaults are the usual ones; for higher orders (e.g. 20) the recursion can
    diverge, and smaller ``beta`` or a ``tanh`` squashing is commonly used: a non-finite ``y``
    raises ``FloatingPointError``.

    >>> u, y = narma(1000, 10, seed=0)
    >>> u.shape, y.shape, bool(0.0 < y[100:].mean() < 1.0)
    ((1000,), (1000,), True)
    """
    order = _pos_int(order, "order")
    if isinstance(u_or_n, numbers.Integral) and not isinstance(u_or_n, bool):
        n = _pos_int(u_or_n, "n")
        u = np.random.default_rng(seed).uniform(low, high, size=n)
    else:
        u = np.asarray(u_or_n, dtype=np.float64)
        if u.ndim != 1:
            raise ValueError(f"u must be 1-D, got shape {u.shape}")
        bad = np.flatnonzero(~np.isfinite(u))
        if bad.size:
            raise ValueError(f"u[{int(bad[0])}] = {u[bad[0]]!r} is not finite")
        u = np.ascontiguousarray(u)
    if u.shape[0] <= order:
        raise ValueError(f"the series must be longer than the order ({order}), got "
                         f"{u.shape[0]} samples")
    y = _k.narma_loop(u, order, float(alpha), float(beta), float(gamma), float(delta))
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise FloatingPointError(f"NARMA-{order} diverged at t = {int(bad[0])}; use a smaller "
                                 "beta or input range")
    return u, y


def lorenz(n_samples, *, dt=0.02, x0=(1.0, 1.0, 1.0), sigma=10.0, rho=28.0, beta=8.0 / 3.0,
           discard=10.0, rtol=1e-10, atol=1e-12):
    """The Lorenz system sampled every ``dt``: array of shape ``(n_samples, 3)``.

    Integrated by ``solvers.solve`` (Dormand-Prince 5(4), ``rtol``/``atol``), starting at
    ``x0`` and discarding the first ``discard`` time units (the transient onto the attractor).

    >>> s = lorenz(500)
    >>> s.shape, bool(5.0 < s[:, 2].mean() < 40.0)
    ((500, 3), True)
    """
    import solvers

    n_samples = _pos_int(n_samples, "n_samples")
    dt = _pos_float(dt, "dt")
    discard = _pos_float(discard, "discard", allow_zero=True)
    y0 = np.asarray(x0, dtype=np.float64)
    if y0.shape != (3,) or not np.isfinite(y0).all():
        raise ValueError(f"x0 must be 3 finite numbers, got {x0!r}")
    system = solvers.ODESystem(_lorenz_rhs, 3, params=(float(sigma), float(rho), float(beta)),
                               name="lorenz")
    t_eval = discard + dt * np.arange(n_samples)
    t1 = t_eval[-1] if t_eval[-1] > 0 else dt
    sol = solvers.solve(system, (0.0, t1), y0, t_eval=t_eval, rtol=rtol, atol=atol,
                        max_steps=10_000_000)
    if not sol.success:
        raise RuntimeError(f"Lorenz integration failed: {sol.message}")
    return np.asarray(sol.y)


def _lorenz_rhs(t, y, p, dydt):
    s, r, b = p
    dydt[0] = s * (y[1] - y[0])
    dydt[1] = y[0] * (r - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - b * y[2]
