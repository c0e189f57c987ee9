"""The period of a sampled oscillation, from its upward crossings of its mid-range level."""
from __future__ import annotations

import numpy as np

from solvers._checks import real_array, real_number

__all__ = ["oscillation_period"]


def oscillation_period(t, x, discard=0.5):
    """Mean period of a signal from its upward crossings of its mid-range level.

    The first ``discard`` fraction of the samples is dropped as transient. Returns ``nan``
    when fewer than three crossings remain (no sustained oscillation). Each crossing time is
    interpolated linearly between the two samples around it, so the samples should resolve
    the oscillation (tens per period).

    Parameters
    ----------
    t : array_like (k,)
        Sample times, increasing.
    x : array_like (k,)
        The signal (one state of a trajectory, say ``sol.y[:, 0]``).
    discard : float in [0, 1)
        Fraction of the samples dropped at the start.

    Example
    -------
    >>> t = np.linspace(0, 100, 20001)
    >>> round(oscillation_period(t, np.sin(2 * np.pi * t / 7.0)), 4)
    7.0
    >>> oscillation_period(t, np.exp(-t))        # decays: no sustained oscillation
    nan
    """
    t = real_array("t", t, ndim=1, per="one time per sample")
    x = real_array("x", x, ndim=1, per="one value per sample")
    if x.size != t.size:
        raise ValueError(f"t has {t.size} samples, x {x.size}: one value per time")
    discard = real_number("discard", discard, nonnegative=True)
    if not discard < 1.0:
        raise ValueError(f"discard must be a fraction in [0, 1), got {discard!r}")
    k0 = int(len(t) * discard)
    t, x = t[k0:], x[k0:]
    if x.size < 2 or x.max() - x.min() < 1e-6:
        return float("nan")
    level = 0.5 * (x.max() + x.min())
    up = np.flatnonzero((x[:-1] < level) & (x[1:] >= level))
    if len(up) < 3:
        return float("nan")
    # linear interpolation of each crossing time
    tc = t[up] + (level - x[up]) * (t[up + 1] - t[up]) / (x[up + 1] - x[up])
    return float(np.mean(np.diff(tc)))
