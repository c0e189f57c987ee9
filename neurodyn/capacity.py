"""Storage capacity of discrete Hopfield networks: the classic experiment.

For each load ``alpha = p / N``: store ``p`` random patterns with a learning rule, probe the
network with every stored pattern (optionally with a fraction of its bits flipped), let it
recall, and measure

* the mean overlap ``m = (1/N) xi . s`` of the final state ``s`` with the pattern ``xi``,
* the fraction of *stable* patterns: those that are fixed points (one update of the pattern
  itself changes no bit),
* the fraction of probes recalled exactly (``s == xi``).

For the Hebbian rule, the retrieval state disappears at ``alpha_c ~ 0.138`` for large N
(Amit, Gutfreund & Sompolinsky 1985): below it ``m`` stays close to 1 (0.97 at alpha_c),
above it recall drifts to spurious states with small overlap. At finite N the drop is smeared
over roughly 0.1-0.2. Storkey's rule stores more, and the pseudoinverse (projection) rule keeps
every linearly independent pattern a fixed point up to ``p`` close to ``N``, though its basins
of attraction shrink with the load.

References: D. J. Amit, H. Gutfreund & H. Sompolinsky, PRL 55, 1530 (1985);
A. Storkey, ICANN 1997, 451-456.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers._checks import InvalidTypeError, count, real_array, real_number, seed_value

from ._model import num, summary
from .hopfield import RULES, Hopfield

__all__ = ["capacity_curve", "CapacityCurve"]


@dataclass(frozen=True)
class CapacityCurve:
    """Result of :func:`capacity_curve`; one entry per load.

    ``alphas`` (requested), ``p`` (patterns stored, ``max(1, round(alpha N))``, so the actual
    load is ``p / N``), ``overlap`` and ``overlap_std`` (mean and standard deviation of ``m``
    over all probes of all trials), ``stable`` (fraction of stored patterns that are fixed
    points), ``recalled`` (fraction of probes that end exactly on their pattern),
    ``converged`` (fraction of probes whose recall reached a fixed point within
    ``max_sweeps``). The settings are kept alongside.

    It prints as a summary (:meth:`table` has every number):

    >>> capacity_curve(200, [0.05, 0.3], n_trials=2)   # doctest: +ELLIPSIS
    CapacityCurve: hebbian, N = 200, noise 0, sync, 2 trial(s), seed 0; 2 loads, alpha 0.05 .. 0.3
      overlap [1, 0...]; recalled [1, 0...]; stable [1, 0...]
      largest load recalled by half the probes or more: alpha = 0.05
    """

    N: int
    rule: str
    noise: float
    mode: str
    n_trials: int
    seed: int
    alphas: np.ndarray
    p: np.ndarray
    overlap: np.ndarray
    overlap_std: np.ndarray
    stable: np.ndarray
    recalled: np.ndarray
    converged: np.ndarray

    def __repr__(self):
        k = int(np.size(self.alphas))
        a = np.asarray(self.alphas, dtype=np.float64)
        lines = [f"CapacityCurve: {self.rule}, N = {self.N}, noise {num(self.noise)}, "
                 f"{self.mode}, {self.n_trials} trial(s), seed {self.seed}; {k} load"
                 f"{'s' if k != 1 else ''}, alpha {num(a.min())} .. {num(a.max())}",
                 f"  overlap {summary(self.overlap)}; recalled {summary(self.recalled)}; "
                 f"stable {summary(self.stable)}"]
        ok = a[np.asarray(self.recalled) >= 0.5]
        lines.append(f"  largest load recalled by half the probes or more: alpha = {num(ok.max())}"
                     if ok.size else "  recalled by fewer than half the probes at every load")
        return "\n".join(lines)

    def table(self):
        """The curve as a plain-text table.

        >>> print(capacity_curve(100, [0.05], n_trials=1).table())   # doctest: +NORMALIZE_WHITESPACE
        hebbian, N = 100, noise 0, sync, 1 trial(s)
        alpha    p  overlap    std  stable  recalled
        0.050    5   1.0000 0.0000   1.000     1.000
        """
        lines = [f"{self.rule}, N = {self.N}, noise {self.noise:g}, {self.mode}, "
                 f"{self.n_trials} trial(s)",
                 "alpha    p  overlap    std  stable  recalled"]
        for a, p, m, sd, st, rc in zip(self.alphas, self.p, self.overlap, self.overlap_std,
                                       self.stable, self.recalled):
            lines.append(f"{a:5.3f} {p:4d}   {m:6.4f} {sd:6.4f}   {st:5.3f}     {rc:5.3f}")
        return "\n".join(lines)


def _flip(patterns, n_flip, rng):
    """Each row with exactly ``n_flip`` distinct bits flipped (as the W6 workload does)."""
    probes = patterns.copy()
    if n_flip:
        n = patterns.shape[1]
        for k in range(probes.shape[0]):
            probes[k, rng.choice(n, size=n_flip, replace=False)] *= -1
    return probes


def capacity_curve(N, alphas, rule="hebbian", *, noise=0.0, n_trials=1, mode="sync",
                   max_sweeps=100, seed=0):
    """Run the capacity experiment for a discrete Hopfield network.

    Parameters
    ----------
    N : int
        Number of neurons.
    alphas : sequence of float
        Loads ``p / N``; ``p = max(1, round(alpha * N))`` random patterns are stored.
    rule : {"hebbian", "storkey", "pseudoinverse"}
        Learning rule, as in :meth:`Hopfield.from_patterns`.
    noise : float in [0, 0.5]
        Fraction of bits flipped in each probe: exactly ``round(noise * N)`` distinct bits,
        chosen at random per probe. 0 probes with the stored patterns themselves.
    n_trials : int
        Independent sets of patterns per load; statistics pool all probes of all trials.
    mode : {"sync", "async"}
        Recall dynamics (:meth:`Hopfield.recall`); async is Hopfield's original dynamics and
        what the equilibrium theory describes, sync is faster and gives nearly the same
        overlaps at zero noise.
    max_sweeps : int
    seed : int (or a sequence of ints)
        Everything is drawn from ``numpy.random.default_rng([seed, i, t])`` for load index
        ``i`` and trial ``t`` (patterns, then flipped bits, then the recall seed), so each
        point of the curve is reproducible on its own.

    Returns
    -------
    CapacityCurve

    Example
    -------
    >>> c = capacity_curve(200, [0.05, 0.3], n_trials=2)
    >>> c.p.tolist(), bool(c.overlap[0] > 0.95), bool(c.overlap[1] < 0.8)
    ([10, 60], True, True)
    """
    N = count("N", N, low=2)
    a = np.atleast_1d(real_array("alphas", alphas, finite=False))
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"alphas must be a non-empty sequence of loads, got shape {a.shape}")
    bad = ~(np.isfinite(a) & (a > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"alphas[{i}] = {a[i]!r}: loads must be positive and finite")
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; known: {', '.join(map(repr, RULES))}")
    noise = real_number("noise", noise)
    if not (0.0 <= noise <= 0.5):
        raise ValueError(f"noise must be a fraction of flipped bits in [0, 0.5], got {noise!r}")
    n_trials = count("n_trials", n_trials, low=1)
    if mode not in ("sync", "async"):
        raise ValueError(f"mode must be 'sync' or 'async', got {mode!r}")
    max_sweeps = count("max_sweeps", max_sweeps, low=1)
    seed = seed_value("seed", seed)
    if not isinstance(seed, (int, tuple)):
        # Each point is drawn from default_rng([*seed, i, t]): it needs the seed's integers.
        raise InvalidTypeError(f"seed must be a non-negative integer or a sequence of them "
                               f"(capacity_curve draws each point from default_rng([seed, i, "
                               f"t])), got {type(seed).__name__}")
    key = [seed] if isinstance(seed, int) else list(seed)

    ps = np.maximum(1, np.rint(a * N)).astype(np.int64)
    n_flip = int(round(noise * N))
    out = {k: np.empty(a.size) for k in ("overlap", "overlap_std", "stable", "recalled",
                                          "converged")}
    for i, p in enumerate(ps.tolist()):
        m_all, stable, recalled, conv = [], 0, 0, 0
        for t in range(n_trials):
            rng = np.random.default_rng(key + [i, t])
            P = (2 * rng.integers(0, 2, size=(p, N)) - 1).astype(np.int8)
            probes = _flip(P, n_flip, rng)
            net = Hopfield.from_patterns(P, rule=rule)
            # A fixed point: the first update of the pattern itself flips nothing.
            stable += int(net.recall(P, mode="sync", max_sweeps=1).converged.sum())
            r = net.recall(probes, mode=mode, max_sweeps=max_sweeps,
                           seed=int(rng.integers(0, 2 ** 63)))
            m = (P.astype(np.int64) * r.states).sum(axis=1) / N
            m_all.append(m)
            recalled += int(np.sum(m == 1.0))
            conv += int(r.converged.sum())
        m_all = np.concatenate(m_all)
        total = p * n_trials
        out["overlap"][i] = m_all.mean()
        out["overlap_std"][i] = m_all.std()
        out["stable"][i] = stable / total
        out["recalled"][i] = recalled / total
        out["converged"][i] = conv / total
    return CapacityCurve(N=N, rule=rule, noise=float(noise), mode=mode, n_trials=int(n_trials),
                         seed=seed, alphas=a, p=ps, **out)
