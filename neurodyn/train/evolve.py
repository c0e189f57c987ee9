"""Evolving networks: a genome (gene vector <-> model), CMA-ES and a genetic algorithm over
populations evaluated as one ensemble per generation.

* :class:`CTRNNGenome` maps genes in ``[0, 1]^d`` to a :class:`neurodyn.CTRNN` and back.
* :func:`evolve` runs CMA-ES (pycma, the ``train`` extra) or our GA. Each generation the
  whole population is decoded and handed to ``fitness(models)`` in one call, so the user
  evaluates it in one :func:`solvers.solve_ensemble`.
* :func:`evaluate_population` is that evaluation over several initial conditions per model
  (an ensemble of ensembles, one ``solve_ensemble`` call); :func:`period_fitness` a measure
  for oscillators evolved to a target period.

Status codes of :class:`EvolutionResult` follow ``solvers.Solution`` and ``neurodyn.train``:
``0`` generations done (no target), ``1`` target reached, ``2`` converged (the GA's ``tol``,
or pycma's own stopping criteria), ``3`` stopped by the callback, ``-1`` generation limit
reached before the target, ``-7`` interrupted (KeyboardInterrupt).
"""
from __future__ import annotations

import pickle

import numpy as np

from solvers import solve_ensemble
from solvers.ensemble import _Progress
from solvers._checks import InvalidTypeError, count, real_array, real_number, seed_value

from ._agent_genome import AgentGenome
from ._ga import CMARunner, GARunner, check_runner, ga_settings
from ._genome import CTRNNGenome

__all__ = ["CTRNNGenome", "AgentGenome", "evolve", "EvolutionResult", "EvolutionState", "evaluate_population",
           "period_fitness"]

SUCCESS, TARGET, CONVERGED, CALLBACK = 0, 1, 2, 3
LIMIT, INTERRUPTED = -1, -7
METHODS = ("cmaes", "ga")
_HISTORY = ("best", "mean", "median", "evaluations")


class EvolutionState:
    """Everything :func:`evolve` needs to go on from where a run stopped: the optimiser
    (pickled, with its random generator), the generation and evaluation counts, the history
    and the best genes so far. Picklable; resuming never changes it (a state can be resumed
    twice, with the same outcome)."""

    def __init__(self, method, payload, generation, evaluations, history, best_genes,
                 best_fitness):
        self.method = method
        self.payload = payload
        self.generation = generation
        self.evaluations = evaluations
        self.history = {k: list(v) for k, v in history.items()}
        self.best_genes = None if best_genes is None else best_genes.copy()
        self.best_fitness = best_fitness

    def __repr__(self):
        return (f"EvolutionState(method={self.method!r}, generation={self.generation}, "
                f"evaluations={self.evaluations}, best_fitness={self.best_fitness:.6g})")


class EvolutionResult:
    """What :func:`evolve` returns.

    Attributes
    ----------
    best_genes : ndarray (size,) or None
        The best genes evaluated in the whole run (None if no generation finished).
    best_model : the genome's decoded ``best_genes`` (e.g. a CTRNN), or None
    best_fitness : float
    history : dict of ndarray
        Per generation: ``"best"``, ``"mean"``, ``"median"`` of that generation's fitness
        (mean and median over its finite values) and ``"evaluations"`` (so far).
    population, fitness : ndarray
        The final population's genes ``(m, size)`` and fitness: CMA-ES's last sampled
        generation; the GA's population (elites included).
    generations, evaluations : int
        Generations completed (those of a resumed state included) and fitness evaluations.
    status, message, success
        See the module docstring; ``success`` is ``status >= 0``.
    state : EvolutionState
        ``evolve(..., state=res.state)`` continues exactly as the run would have.
    method : str
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.success = self.status >= 0

    def __repr__(self):
        return (f"EvolutionResult(method={self.method!r}, status={self.status}, "
                f"generations={self.generations}, evaluations={self.evaluations}, "
                f"best_fitness={self.best_fitness:.6g})")


def _check_genome(genome):
    if not (hasattr(genome, "decode_many") and hasattr(genome, "size")):
        raise InvalidTypeError(f"genome must be a genome (such as CTRNNGenome) with size and "
                               f"decode_many, got {type(genome).__name__}")
    return count("genome.size", genome.size, low=1)


def _check_fitness(f, m):
    f = real_array("fitness(models)", f, finite=False)
    if f.shape != (m,):
        raise ValueError(f"fitness(models) must return one value per model, shape ({m},), got "
                         f"shape {f.shape}")
    # NaN is the worst fitness there is: it never wins and never stops the run.
    return np.where(np.isnan(f), -np.inf, f)


def _stats(f):
    fin = f[np.isfinite(f)]
    mean = float(np.mean(fin)) if fin.size else float("nan")
    median = float(np.median(fin)) if fin.size else float("nan")
    return float(np.max(f)), mean, median


def evolve(genome, fitness, *, method="cmaes", generations=100, popsize=None, seed=0,
           target=None, sigma0=0.25, x0=None, progress=False, state=None, callback=None,
           **options):
    """Evolve genes in ``[0, 1]^genome.size`` to maximise ``fitness``, by CMA-ES or a GA.

    Each generation the population's genes are decoded with ``genome.decode_many`` and
    ``fitness(models)`` is called once with the list of models; it returns one number per
    model, HIGHER is better (CMA-ES minimises ``-fitness``). NaN counts as the worst fitness.

    Parameters
    ----------
    genome : CTRNNGenome or any object with ``size`` and ``decode_many(genes)``
    fitness : callable ``fitness(models) -> array (len(models),)``
    method : {"cmaes", "ga"}
        CMA-ES through pycma's ask/tell (extra ``train``: ``pip install 'neurodyn[train]'``)
        with the bounds [0, 1], or our genetic algorithm.
    generations : int
        The generation limit, counting those of a resumed ``state``: re-running an interrupted
        call with ``state=res.state`` finishes the same run. (A GA's generation 0 evaluates
        the random initial population.)
    popsize : int or None
        CMA-ES: pycma's default ``4 + floor(3 ln d)``; GA: 50.
    seed : int, sequence of ints or SeedSequence
        Every random number of the run comes from ``numpy.random.default_rng(seed)`` (pycma's
        sampling included), so the same seed gives the same run.
    target : float or None
        Stop as soon as the best fitness reaches it (status 1).
    sigma0 : float
        CMA-ES: the initial step size, in gene units (the genes span [0, 1]).
    x0 : array_like (size,) or None
        CMA-ES: the initial mean (default: uniform random); GA: the first member of the
        initial population (the rest uniform random).
    progress : bool
        A tqdm bar over generations (extra ``progress``).
    state : EvolutionState or None
        Resume ``res.state`` of an earlier run with the same genome and method; its optimiser
        (population size, options and random generator included) is used, so ``popsize``,
        ``x0`` and options must not be given and ``seed`` and ``sigma0`` are not used.
    callback : callable or None
        ``callback(result)`` after every generation with the :class:`EvolutionResult` so far
        (status 0, message ``"running"``); a true return value stops the run (status 3).
    **options
        GA: ``elite`` (1), ``selection`` ("tournament" or "rank"), ``tournament`` (size, 3),
        ``pressure`` (rank selection, in [1, 2], 1.5), ``crossover`` ("uniform" or "blend"),
        ``crossover_rate`` (0.9), ``alpha`` (BLX, 0.5), ``mutation_rate`` (per gene,
        ``1/size``), ``mutation_sigma`` (0.1), ``tol`` and ``patience`` (stop, status 2, when
        the best fitness has improved by less than ``tol`` over the last ``patience``
        generations; default 10). CMA-ES: ``restarts`` (0) and ``incpopsize`` (2): when
        pycma's criteria stop the search, start again from a random mean with a population
        ``incpopsize`` times larger (IPOP-CMA-ES), up to ``restarts`` times; and pycma
        options (e.g. ``CMA_diagonal=True``). evolve sets ``tolfun=0`` and
        ``tolflatfitness=inf`` by default: a generation of equal penalties makes pycma widen
        its search instead of stopping.

    Returns
    -------
    EvolutionResult

    Example
    -------
    Genes to match a vector, by the GA (fitness: minus the squared distance):

    >>> class Identity:                     # the smallest genome: genes are the model
    ...     size = 3
    ...     def decode_many(self, genes):
    ...         return list(genes)
    >>> goal = np.array([0.2, 0.5, 0.9])
    >>> res = evolve(Identity(), lambda xs: [-np.sum((x - goal) ** 2) for x in xs],
    ...              method="ga", generations=200, popsize=20, target=-1e-4, seed=1)
    >>> res.status, res.message, bool(np.abs(res.best_genes - goal).max() < 0.01)
    (1, 'The best fitness reached the target -0.0001.', True)
    """
    d = _check_genome(genome)
    if not callable(fitness):
        raise InvalidTypeError(f"fitness must be callable (models -> array), got "
                               f"{type(fitness).__name__}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(map(repr, METHODS))}")
    generations = count("generations", generations, low=1)
    if popsize is not None:
        popsize = count("popsize", popsize, low=2)
    seed = seed_value("seed", seed)
    if target is not None:
        target = real_number("target", target)
    sigma0 = real_number("sigma0", sigma0, positive=True)
    if x0 is not None:
        x0 = real_array("x0", x0, shape=(d,), per="one value per gene")
        out = np.flatnonzero((x0 < 0) | (x0 > 1))
        if out.size:
            raise ValueError(f"x0[{out[0]}] = {float(x0[out[0]])!r} is outside [0, 1] (genes live in "
                             "the unit cube)")
    if callback is not None and not callable(callback):
        raise InvalidTypeError(f"callback must be callable or None, got "
                               f"{type(callback).__name__}")
    if not isinstance(progress, (bool, np.bool_)):
        raise InvalidTypeError(f"progress must be True or False, got {progress!r}")

    if state is not None:
        if not isinstance(state, EvolutionState):
            raise InvalidTypeError(f"state must be an EvolutionState (res.state), got "
                                   f"{type(state).__name__}")
        given = [k for k, v in (("popsize", popsize), ("x0", x0)) if v is not None]
        given += sorted(options)
        if given:
            raise ValueError(f"resuming a state uses its own settings; do not pass "
                             f"{', '.join(given)}")
        runner = check_runner(pickle.loads(state.payload), method, d)
        gen, evals = state.generation, state.evaluations
        hist = {k: list(v) for k, v in state.history.items()}
        best_genes = None if state.best_genes is None else state.best_genes.copy()
        best_fit = state.best_fitness
        settings = getattr(runner, "s", {})
    else:
        rng = np.random.default_rng(seed)
        if method == "cmaes":
            runner = CMARunner(d, popsize, rng, x0, sigma0, dict(options))
            settings = {}
        else:
            settings = ga_settings(d, options)
            runner = GARunner(d, popsize, rng, x0, settings)
        gen, evals = 0, 0
        hist = {k: [] for k in _HISTORY}
        best_genes, best_fit = None, -np.inf

    def result(status, message, payload):
        st = EvolutionState(method, payload, gen, evals, hist, best_genes, best_fit)
        return EvolutionResult(
            best_genes=None if best_genes is None else best_genes.copy(),
            best_model=None if best_genes is None else genome.decode_many(best_genes[None])[0],
            best_fitness=best_fit,
            history={k: np.array(v, dtype=np.int64 if k == "evaluations" else np.float64)
                     for k, v in hist.items()},
            population=None if runner.population is None else runner.population.copy(),
            fitness=None if runner.fitness is None else runner.fitness.copy(),
            generations=gen, evaluations=evals, status=status, message=message, state=st,
            method=method)

    payload = runner.dump()
    status = message = None
    bar = _Progress(progress, generations, "evolve", unit="gen", initial=gen)
    try:
        while status is None:
            if target is not None and best_fit >= target:
                status, message = TARGET, f"The best fitness reached the target {target!r}."
                break
            if gen >= generations:
                status = LIMIT if target is not None else SUCCESS
                message = (f"{generations} generations done"
                           + (f"; the target {target!r} was not reached (best "
                              f"{best_fit:.6g})." if target is not None else "."))
                break
            genes = runner.ask()
            f = _check_fitness(fitness(genome.decode_many(genes)), genes.shape[0])
            runner.tell(genes, f)
            payload = runner.dump()
            gen += 1
            evals += f.size
            b, mean, median = _stats(f)
            for k, v in zip(_HISTORY, (b, mean, median, evals)):
                hist[k].append(v)
            i = int(np.argmax(f))
            if best_genes is None or f[i] > best_fit:
                best_genes, best_fit = genes[i].copy(), float(f[i])
            bar.update(gen, best=f"{best_fit:.6g}")
            why = runner.stopped()
            tol = settings.get("tol")
            if why is None and tol is not None and gen > settings["patience"]:
                old = np.max(hist["best"][:gen - settings["patience"]])
                if best_fit - old < tol:
                    why = (f"The best fitness improved by less than tol={tol!r} over the last "
                           f"{settings['patience']} generations.")
            if why is not None and not (target is not None and best_fit >= target):
                status, message = CONVERGED, why
            elif callback is not None and callback(result(SUCCESS, "running", payload)) \
                    and not (target is not None and best_fit >= target):
                status, message = CALLBACK, f"Stopped by the callback after generation {gen}."
    except KeyboardInterrupt:
        status = INTERRUPTED
        message = (f"Interrupted (KeyboardInterrupt) after {gen} generations; the result and "
                   "its state are those of the last completed generation.")
    finally:
        bar.close()
    return result(status, message, payload)


# --------------------------------------------------------------------------- evaluation


def evaluate_population(models, t_span, y0, measure, *, aggregate=np.mean, **solve_kwargs):
    """Every model from every initial condition in ONE :func:`solvers.solve_ensemble` call;
    ``measure(ens)`` scores each member and ``aggregate`` combines each model's scores.

    Member ``m * k + c`` of the ensemble is model ``m`` started from ``y0[c]``.

    Parameters
    ----------
    models : list of systems sharing one kernel (e.g. the CTRNNs ``fitness`` receives)
    t_span : (t0, t1)
    y0 : array_like (n,) or (k, n)
        One or ``k`` initial conditions, the same for every model.
    measure : callable ``measure(ens) -> array (len(models) * k,)``
    aggregate : callable
        Called as ``aggregate(scores, axis=1)`` on the ``(len(models), k)`` scores.
    **solve_kwargs
        Passed to ``solve_ensemble`` (``t_eval``, ``method``, ``rtol``, ``n_threads``...).

    Returns
    -------
    ndarray (len(models),)

    Example
    -------
    >>> from neurodyn import CTRNN
    >>> nets = [CTRNN([[0.0]], tau=tau) for tau in (1.0, 2.0)]
    >>> final = lambda ens: ens.y_final[:, 0]             # each member's y(1)
    >>> evaluate_population(nets, (0.0, 1.0), [[1.0], [3.0]], final, save="final",
    ...                     rtol=1e-10, atol=1e-12).round(4)   # mean of 2 e^(-1/tau)
    array([0.7358, 1.2131])
    """
    if isinstance(models, (str, bytes)) or not hasattr(models, "__len__"):
        raise InvalidTypeError(f"models must be a list of systems, got {type(models).__name__}")
    models = list(models)
    if not models:
        raise ValueError("models is empty")
    if not callable(measure):
        raise InvalidTypeError(f"measure must be callable (ens -> array), got "
                               f"{type(measure).__name__}")
    if not callable(aggregate):
        raise InvalidTypeError(f"aggregate must be callable, got {type(aggregate).__name__}")
    n = int(models[0].n_states)
    Y = real_array("y0", y0)
    if Y.ndim == 1:
        Y = Y[None]
    if Y.ndim != 2 or Y.shape[1] != n:
        raise ValueError(f"y0 must have shape ({n},) or (k, {n}) (initial conditions of the "
                         f"{n} states), got {np.shape(y0)}")
    k, M = Y.shape[0], len(models)
    systems = [m for m in models for _ in range(k)]
    ens = solve_ensemble(systems, t_span, np.tile(Y, (M, 1)), **solve_kwargs)
    scores = real_array("measure(ens)", measure(ens), finite=False)
    if scores.shape != (M * k,):
        raise ValueError(f"measure(ens) must return one value per member, shape ({M * k},), "
                         f"got {scores.shape}")
    out = real_array("aggregate(scores)", aggregate(scores.reshape(M, k), axis=1), finite=False)
    if out.shape != (M,):
        raise ValueError(f"aggregate(scores, axis=1) must return shape ({M},), got {out.shape}")
    return out


def period_fitness(target_period, *, state=0, discard=0.5, min_amplitude=0.01, penalty=-10.0):
    """A ``measure(ens)`` for oscillators: ``-|T - T*| / T*`` per member, where ``T`` is the
    period of state ``state`` by :func:`neurodyn.analysis.oscillation_period` (after the
    first ``discard`` fraction of ``ens.t``, which needs ``t_eval``). A member that failed, or
    whose signal swings less than ``min_amplitude`` (peak to peak, after ``discard``) or does
    not oscillate, scores ``penalty``. (A penalty graded by how much a non-oscillator moves
    was tried: CMA-ES then climbed towards slow transients and stalled there; with one flat
    penalty it widens its search, and ``restarts`` recover the rest.)

    >>> import solvers
    >>> from neurodyn import CTRNN
    >>> beer = CTRNN([[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75])   # period ~29
    >>> ens = solvers.solve_ensemble([beer, beer.replace(W=np.zeros((2, 2)))], (0.0, 240.0),
    ...                              np.zeros((2, 2)), t_eval=np.linspace(0.0, 240.0, 2401))
    >>> score = period_fitness(29.0)(ens)
    >>> bool(-0.01 < score[0] <= 0), float(score[1])
    (True, -10.0)
    """
    from ..analysis import oscillation_period

    T_star = real_number("target_period", target_period, positive=True)
    state = count("state", state)
    discard = real_number("discard", discard, nonnegative=True)
    if not discard < 1.0:
        raise ValueError(f"discard must be a fraction in [0, 1), got {discard!r}")
    min_amplitude = real_number("min_amplitude", min_amplitude, nonnegative=True)
    penalty = real_number("penalty", penalty)

    def measure(ens):
        if ens.y is None:
            raise ValueError("period_fitness needs the trajectories: solve with t_eval (not "
                             "save='final')")
        if state >= ens.y.shape[2]:
            raise ValueError(f"state {state} of a system with {ens.y.shape[2]} states")
        k0 = int(len(ens.t) * discard)
        out = np.empty(len(ens))
        for i in range(len(ens)):
            x = ens.y[i, k0:, state]
            swing = float(np.ptp(x)) if x.size and np.isfinite(x).all() else 0.0
            T = float("nan")
            if ens.status[i] >= 0 and swing >= min_amplitude:
                T = oscillation_period(ens.t, ens.y[i, :, state], discard)
            out[i] = -abs(T - T_star) / T_star if np.isfinite(T) else penalty
        return out

    return measure
