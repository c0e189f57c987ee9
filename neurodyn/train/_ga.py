"""The two optimisers behind :func:`neurodyn.train.evolve`, as ask/tell objects over genes in
[0, 1]^d: CMA-ES through pycma, and a small real-valued genetic algorithm of our own.

Both draw every random number from one generator they own, so pickling the optimiser saves
its whole state and a resumed run continues exactly as an uninterrupted one would.
"""
from __future__ import annotations

import math
import pickle

import numpy as np

from solvers._checks import InvalidTypeError, count, probability, real_number

_CMA_HINT = "CMA-ES needs pycma: pip install 'neurodyn[train]' (or pip install cma)"
SELECTIONS = ("tournament", "rank")
CROSSOVERS = ("uniform", "blend")
GA_DEFAULT_POPSIZE = 50


class _Randn:
    """pycma's source of N(0, 1) numbers: a numpy Generator of ours instead of the global
    ``np.random`` that pycma's ``seed`` option reseeds (which would change the caller's global
    random state, and is not saved when the optimiser is pickled)."""

    def __init__(self, rng):
        self.rng = rng

    def __call__(self, *shape):
        return self.rng.standard_normal(shape)


def _objective(f):
    """CMA minimises: -fitness, with NaN and -inf (worst) and +inf (best) made finite beyond
    the finite values, keeping the ranking (pycma needs finite values)."""
    obj = -f
    finite = np.isfinite(obj)
    if finite.all():
        return obj
    if finite.any():
        lo, hi = obj[finite].min(), obj[finite].max()
    else:
        lo = hi = 0.0
    spread = 1.0 + (hi - lo)
    out = obj.copy()
    out[np.isnan(f) | (f == -np.inf)] = hi + spread
    out[f == np.inf] = lo - spread
    return out


class CMARunner:
    """CMA-ES (Hansen) through pycma's ask/tell, in the unit cube (pycma's bounds [0, 1]).

    ``restarts``: when pycma's own criteria stop a run, start again from a new random mean
    with the population ``incpopsize`` times larger (IPOP-CMA-ES, Auger & Hansen 2005), up
    to that many times."""

    method = "cmaes"

    def __init__(self, d, popsize, rng, x0, sigma0, options):
        try:
            import cma
        except ImportError:
            raise ImportError(_CMA_HINT) from None
        options = dict(options)
        self.restarts = count("restarts", options.pop("restarts", 0))
        self.incpopsize = real_number("incpopsize", options.pop("incpopsize", 2.0), low=1.0)
        for key in ("randn", "bounds"):
            if key in options:
                raise ValueError(f"the pycma option {key!r} is set by evolve (use seed=; genes "
                                 "are bounded to [0, 1])")
        self.d, self.rng, self.sigma0 = d, rng, sigma0
        self.opts = {"bounds": [0.0, 1.0], "verbose": -9, "verb_log": 0, "verb_disp": 0,
                     "randn": _Randn(rng), "maxiter": math.inf, "maxfevals": math.inf,
                     # Evolved networks often score one flat penalty (no oscillation, the
                     # pole fell) in whole generations; pycma would stop at once (tolfun,
                     # tolflatfitness) where widening the search finds the way out.
                     "tolfun": 0.0, "tolflatfitness": math.inf}
        if popsize is not None:
            self.opts["popsize"] = popsize
        self.opts.update(options)
        self.n_restarts = 0
        self._X = None
        self.population = self.fitness = None
        self._start(cma, x0)

    def _start(self, cma, x0):
        x0 = self.rng.random(self.d) if x0 is None else x0
        try:
            self.es = cma.CMAEvolutionStrategy(x0, self.sigma0, self.opts)
        except ValueError as exc:
            raise ValueError(f"pycma refused the options: {exc}") from None

    def ask(self):
        self._X = self.es.ask()
        # pycma's bound transform keeps solutions in [0, 1]; the clip only guards rounding.
        return np.clip(np.array(self._X, dtype=np.float64), 0.0, 1.0)

    def tell(self, genes, f):
        self.es.tell(self._X, _objective(f).tolist())
        self.population, self.fitness = genes, f

    def stopped(self):
        why = {k: v for k, v in self.es.stop().items() if k not in ("maxiter", "maxfevals")}
        if not why:
            return None
        if self.n_restarts < self.restarts:
            self.n_restarts += 1
            self.opts["popsize"] = int(round(self.es.popsize * self.incpopsize))
            import cma

            self._start(cma, None)
            return None
        return ("pycma's stopping criteria met: " + ", ".join(f"{k}={v}" for k, v in why.items())
                + (f" (after {self.n_restarts} restart{'s' if self.n_restarts > 1 else ''})"
                   if self.n_restarts else ""))

    def dump(self):
        self._X = None
        return pickle.dumps(self)


def ga_settings(d, options):
    """The GA's options, checked; unknown ones are refused by name."""
    known = {"elite": 1, "selection": "tournament", "tournament": 3, "pressure": 1.5,
             "crossover": "uniform", "crossover_rate": 0.9, "alpha": 0.5,
             "mutation_rate": None, "mutation_sigma": 0.1, "tol": None, "patience": 10}
    for key in options:
        if key not in known:
            raise TypeError(f"evolve(method='ga') got an unknown option {key!r}; known: "
                            f"{', '.join(known)}")
    s = {**known, **options}
    s["elite"] = count("elite", s["elite"])
    if s["selection"] not in SELECTIONS:
        raise ValueError(f"selection must be one of {SELECTIONS}, got {s['selection']!r}")
    s["tournament"] = count("tournament", s["tournament"], low=1)
    s["pressure"] = real_number("pressure", s["pressure"], low=1.0, high=2.0)
    if s["crossover"] not in CROSSOVERS:
        raise ValueError(f"crossover must be one of {CROSSOVERS}, got {s['crossover']!r}")
    s["crossover_rate"] = probability("crossover_rate", s["crossover_rate"])
    s["alpha"] = real_number("alpha", s["alpha"], nonnegative=True)
    s["mutation_rate"] = (1.0 / d if s["mutation_rate"] is None
                          else probability("mutation_rate", s["mutation_rate"]))
    s["mutation_sigma"] = real_number("mutation_sigma", s["mutation_sigma"], nonnegative=True)
    if s["tol"] is not None:
        s["tol"] = real_number("tol", s["tol"], nonnegative=True)
    s["patience"] = count("patience", s["patience"], low=1)
    return s


class GARunner:
    """A generational real-valued GA: selection (tournament or linear rank), crossover
    (uniform, or blend BLX-alpha) with probability ``crossover_rate``, Gaussian mutation of
    each gene with probability ``mutation_rate`` clipped to [0, 1], and the ``elite`` best
    carried over unchanged (not evaluated again)."""

    method = "ga"

    def __init__(self, d, popsize, rng, x0, settings):
        self.rng = rng
        self.s = settings
        self.popsize = GA_DEFAULT_POPSIZE if popsize is None else popsize
        if settings["elite"] >= self.popsize:
            raise ValueError(f"elite ({settings['elite']}) must be smaller than popsize "
                             f"({self.popsize})")
        pop = rng.random((self.popsize, d))
        if x0 is not None:
            pop[0] = x0
        self.population, self.fitness = pop, None
        self._elite = None

    def _parents(self, k):
        f, rng, P = self.fitness, self.rng, self.popsize
        if self.s["selection"] == "tournament":
            entrants = rng.integers(0, P, size=(k, self.s["tournament"]))
            return entrants[np.arange(k), np.argmax(f[entrants], axis=1)]
        # Linear ranking (Baker): the best is picked `pressure` times as often as the average.
        s = self.s["pressure"]
        rank = np.empty(P)
        rank[np.argsort(f, kind="stable")] = np.arange(P)
        p = (2.0 - s) / P + 2.0 * rank * (s - 1.0) / (P * (P - 1.0)) if P > 1 else np.ones(1)
        return rng.choice(P, size=k, p=p / p.sum())

    def ask(self):
        if self.fitness is None:
            return self.population.copy()
        rng, s = self.rng, self.s
        k = self.popsize - s["elite"]
        d = self.population.shape[1]
        a = self.population[self._parents(k)]
        b = self.population[self._parents(k)]
        cross = rng.random(k) < s["crossover_rate"]
        if s["crossover"] == "uniform":
            child = np.where(rng.random((k, d)) < 0.5, a, b)
        else:
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            span = hi - lo
            child = lo - s["alpha"] * span + rng.random((k, d)) * (1 + 2 * s["alpha"]) * span
        child = np.where(cross[:, None], child, a)
        hit = rng.random((k, d)) < s["mutation_rate"]
        child = child + hit * rng.normal(0.0, s["mutation_sigma"], (k, d))
        return np.clip(child, 0.0, 1.0)

    def tell(self, genes, f):
        if self.fitness is None:
            self.population, self.fitness = genes, f
            return
        e = self.s["elite"]
        top = np.argsort(-self.fitness, kind="stable")[:e]
        self.population = np.concatenate([self.population[top], genes])
        self.fitness = np.concatenate([self.fitness[top], f])

    def stopped(self):
        return None

    def dump(self):
        return pickle.dumps(self)


def check_runner(obj, method, d):
    """An unpickled runner, checked against the call that resumes it."""
    if not isinstance(obj, (CMARunner, GARunner)):
        raise InvalidTypeError("state does not hold an optimiser of evolve")
    if obj.method != method:
        raise ValueError(f"state comes from method={obj.method!r}, not {method!r}")
    size = obj.population.shape[1] if obj.population is not None else obj.es.N
    if size != d:
        raise ValueError(f"state is for genomes of {size} genes, this genome has {d}")
    return obj
