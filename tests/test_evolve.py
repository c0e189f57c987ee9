"""neurodyn.train.evolve: the CTRNN genome against the mapping written out by hand, CMA-ES and
the GA evolving 2-neuron oscillators to a target period (checked by solvers.solve at tight
tolerance and a NumPy zero-crossing period), reproducibility, exact resumption, bad input.

Runs use a cheap 3-gene "identity" genome wherever the model does not matter.
"""
import importlib.util
import pickle
import sys

import networkx as nx
import numpy as np
import pytest

import solvers
from neurodyn import CTRNN, Sinusoid
from neurodyn.train.evolve import (CTRNNGenome, EvolutionResult, evaluate_population, evolve,
                                   period_fitness)
from solvers._checks import InvalidTypeError

# CMA-ES needs pycma (the train extra); the genome, the GA and the evaluation do not.
try:
    HAVE_CMA = importlib.util.find_spec("cma") is not None
except (ImportError, ValueError):  # ValueError: sys.modules["cma"] is None (blocked)
    HAVE_CMA = False
needs_cma = pytest.mark.skipif(not HAVE_CMA,
                               reason="pycma (pip install 'neurodyn[train]') not installed")
CMA = pytest.param("cmaes", marks=needs_cma)

T_STAR = 10.0
T1 = 8 * T_STAR
TE = np.linspace(0.0, T1, 801)
MEASURE = period_fitness(T_STAR)


def period_fit(models, n_threads=None):
    return evaluate_population(models, (0.0, T1), [0.0, 0.0], MEASURE, t_eval=TE, rtol=1e-6,
                               atol=1e-8, n_threads=n_threads)


class Identity:
    """Genes are the models (lists of 3 numbers)."""
    size = 3

    def decode_many(self, genes):
        return [g.copy() for g in genes]


GOAL = np.array([0.2, 0.5, 0.9])


def sphere(xs):
    return np.array([-np.sum((x - GOAL) ** 2) for x in xs])


def numpy_period(t, x):
    """Mean spacing of upward crossings of the mid level, by linear interpolation."""
    level = 0.5 * (x.max() + x.min())
    k = np.flatnonzero((x[:-1] < level) & (x[1:] >= level))
    tc = t[k] + (level - x[k]) * (t[k + 1] - t[k]) / (x[k + 1] - x[k])
    return np.mean(np.diff(tc)), len(tc)


def check_oscillator(net, T_star, tol=0.02):
    """The period of ``net`` from y = 0 by an independent tight solve: within ``tol`` of
    T_star, on a sustained cycle (the swing does not decay)."""
    t = np.linspace(0.0, 40 * T_star, 40001)
    sol = solvers.solve(net, (t[0], t[-1]), np.zeros(net.n_states), t_eval=t, rtol=1e-10,
                        atol=1e-12)
    assert sol.success
    half = t.size // 2
    T, crossings = numpy_period(t[half:], sol.y[half:, 0])
    assert crossings >= 10
    assert abs(T - T_star) / T_star < tol, T
    q = t.size // 4
    swing3, swing4 = np.ptp(sol.y[2 * q:3 * q, 0]), np.ptp(sol.y[3 * q:, 0])
    assert swing4 > 0.05 and abs(swing4 - swing3) < 1e-3 * swing3
    return T


# --------------------------------------------------------------------------- the genome

def test_genome_ranges_by_hand():
    g = CTRNNGenome(2)
    assert g.size == 8 and g.names == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "bias[0]",
                                       "bias[1]", "tau[0]", "tau[1]"]
    genes = np.array([0.0, 0.25, 0.75, 1.0, 0.5, 0.1, 0.3, 0.9])
    net = g.decode(genes)
    assert net.W.tolist() == [[-16.0, -8.0], [8.0, 16.0]]
    np.testing.assert_allclose(net.bias, [0.0, -16 + 3.2], rtol=1e-14)
    # log-linear: tau = exp(log 0.5 + g (log 10 - log 0.5))
    np.testing.assert_allclose(net.tau, np.exp(np.log(0.5) + genes[6:] * np.log(20.0)),
                               rtol=1e-13)
    lin = CTRNNGenome(2, log_tau=False, tau=(1.0, 3.0)).decode(genes)
    np.testing.assert_allclose(lin.tau, [1.6, 2.8], rtol=1e-14)
    assert net.activation == "sigmoid" and net.gain.tolist() == [1.0, 1.0]
    # gains evolved when they have a range
    gg = CTRNNGenome(1, gain=(0.5, 2.5), weight=None, bias=None, tau=None)
    assert gg.names == ["gain[0]"] and gg.decode([0.25]).gain.tolist() == [1.0]


@pytest.mark.parametrize("kw", [
    {}, {"log_tau": False}, {"gain": (0.1, 5.0)}, {"symmetric": True},
    {"mask": np.array([[True, False, True], [True, True, False], [False, True, True]])},
    {"bias": "center"}, {"bias": None, "tau": None}])
def test_genome_round_trip(kw):
    g = CTRNNGenome(3, **kw)
    genes = g.random(np.random.default_rng(7), 20)
    nets = g.decode_many(genes)
    back = np.array([g.encode(net) for net in nets])
    np.testing.assert_allclose(back, genes, rtol=0, atol=1e-12)
    # the ends of the ranges come back too
    for edge in (np.zeros(g.size), np.ones(g.size)):
        np.testing.assert_allclose(g.encode(g.decode(edge)), edge, atol=1e-12)
    assert g.decode(genes[3]).W.tolist() == nets[3].W.tolist()


def test_mask_and_template():
    tmpl = CTRNN(np.full((3, 3), 0.5), bias=1.0, tau=2.0, gain=3.0, input=[0.1, 0.2, 0.3],
                 activation="tanh", nodes=["a", "b", "c"])
    M = np.array([[False, True, False], [False, False, True], [True, False, False]])
    g = CTRNNGenome(3, mask=M, bias=None, template=tmpl)
    assert g.names == ["W[0,1]", "W[1,2]", "W[2,0]", "tau[0]", "tau[1]", "tau[2]"]
    net = g.decode(np.ones(6))
    want = np.full((3, 3), 0.5)
    want[M] = 16.0
    assert net.W.tolist() == want.tolist()
    assert net.bias.tolist() == [1.0] * 3 and net.gain.tolist() == [3.0] * 3
    assert net.activation == "tanh" and net.nodes == ["a", "b", "c"]
    np.testing.assert_array_equal(net.input.value, [0.1, 0.2, 0.3])
    # the same mask from a graph: edge u -> v evolves W[v, u]
    G = nx.DiGraph([("b", "a"), ("c", "b"), ("a", "c")])
    assert CTRNNGenome(3, mask=G, bias=None, template=tmpl).names == g.names
    Gn = nx.DiGraph([("x", "y")])
    Gn.add_node("z")
    gn = CTRNNGenome(3, mask=Gn)
    assert gn.names[0] == "W[1,0]" and gn.decode(np.full(gn.size, 0.5)).nodes == ["x", "y", "z"]
    und = CTRNNGenome(2, mask=nx.Graph([(0, 1)]), symmetric=True)
    assert und.names[:1] == ["W[0,1]"] and und.size == 1 + 4


def test_symmetric_and_center_crossing():
    g = CTRNNGenome(3, symmetric=True)
    assert g.size == 6 + 3 + 3
    W = g.decode(g.random(1)).W
    assert np.array_equal(W, W.T)
    c = CTRNNGenome(2, bias="center", template=CTRNN(np.zeros((2, 2)), input=[0.5, -1.0]))
    assert c.size == 6 and "bias[0]" not in c.names
    net = c.decode(c.random(2))
    np.testing.assert_allclose(net.bias, -(net.W.sum(axis=1) / 2 + [0.5, -1.0]), rtol=1e-14)
    # at the centre (every output 1/2) each neuron's net input y + bias is 0
    y_c = net.W @ np.full(2, 0.5) + [0.5, -1.0]
    np.testing.assert_allclose(y_c + net.bias, 0.0, atol=1e-13)
    t = CTRNNGenome(2, bias="center", activation="tanh").decode(np.full(6, 0.3))
    assert t.bias.tolist() == [0.0, 0.0]


def test_genome_bad_input():
    with pytest.raises(InvalidTypeError, match="n must be an integer"):
        CTRNNGenome(True)
    with pytest.raises(ValueError, match="low < high"):
        CTRNNGenome(2, weight=(1.0, 1.0))
    with pytest.raises(ValueError, match="tau\\[0\\] must be a positive"):
        CTRNNGenome(2, tau=(0.0, 1.0))
    with pytest.raises(InvalidTypeError, match="weight\\[1\\] must be a real number"):
        CTRNNGenome(2, weight=(-1.0, "2"))
    with pytest.raises(ValueError, match="mask must have shape \\(2, 2\\)"):
        CTRNNGenome(2, mask=np.ones((3, 3), dtype=bool))
    with pytest.raises(InvalidTypeError, match="bool array"):
        CTRNNGenome(2, mask=np.ones((2, 2)))
    with pytest.raises(ValueError, match="symmetric mask: W\\[0,1\\]"):
        CTRNNGenome(2, mask=np.array([[True, True], [False, True]]), symmetric=True)
    with pytest.raises(ValueError, match="template has 3 neurons"):
        CTRNNGenome(2, template=CTRNN(np.zeros((3, 3))))
    with pytest.raises(ValueError, match="'center'"):
        CTRNNGenome(2, bias="centre")
    with pytest.raises(ValueError, match="constant input"):
        CTRNNGenome(2, bias="center",
                    template=CTRNN(np.zeros((2, 2)), input=Sinusoid(1.0, 1.0)))
    with pytest.raises(ValueError, match="unknown activation"):
        CTRNNGenome(2, activation="relu")
    with pytest.raises(ValueError, match="no genes"):
        CTRNNGenome(2, weight=None, bias=None, tau=None)
    g = CTRNNGenome(2)
    with pytest.raises(ValueError, match="gene tau\\[1\\]\\) is outside \\[0, 1\\]"):
        g.decode([0.5] * 7 + [1.5])
    with pytest.raises(ValueError, match="shape \\(8,\\)"):
        g.decode([0.5] * 7)
    with pytest.raises(InvalidTypeError):
        g.decode([True] * 8)
    with pytest.raises(ValueError, match="W\\[0,1\\] = 20.0 is outside the genome's weight"):
        g.encode(CTRNN([[0.0, 20.0], [0.0, 0.0]], tau=1.0))
    with pytest.raises(ValueError, match="W\\[0,1\\] = 1.0 has no gene"):
        CTRNNGenome(2, mask=np.eye(2, dtype=bool)).encode(CTRNN([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="symmetric but W\\[0,1\\]"):
        CTRNNGenome(2, symmetric=True).encode(CTRNN([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="not center-crossing"):
        CTRNNGenome(2, bias="center").encode(CTRNN(np.ones((2, 2))))


# --------------------------------------------------------------------------- evaluation

def test_evaluate_population_against_exact_decay():
    # W = 0: y(t) = y0 exp(-t / tau), every model from every initial condition
    taus = [0.5, 1.0, 4.0]
    nets = [CTRNN(np.zeros((2, 2)), tau=tau) for tau in taus]
    y0 = np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0]])
    seen = {}

    def measure(ens):
        seen["n"] = len(ens)
        return ens.y_final[:, 0]

    got = evaluate_population(nets, (0.0, 1.5), y0, measure, save="final", rtol=1e-10,
                              atol=1e-12)
    assert seen["n"] == 9
    exact = np.array([[y * np.exp(-1.5 / tau) for y in y0[:, 0]] for tau in taus])
    np.testing.assert_allclose(got, exact.mean(axis=1), rtol=1e-8)
    got_max = evaluate_population(nets, (0.0, 1.5), y0, measure, aggregate=np.max,
                                  save="final", rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_max, exact.max(axis=1), rtol=1e-8)
    with pytest.raises(ValueError, match="y0 must have shape \\(2,\\) or \\(k, 2\\)"):
        evaluate_population(nets, (0.0, 1.0), [[0.0, 0.0, 0.0]], measure)
    with pytest.raises(ValueError, match="one value per member, shape \\(3,\\)"):
        evaluate_population(nets, (0.0, 1.0), [0.0, 0.0], lambda ens: [1.0], save="final")
    with pytest.raises(ValueError, match="models is empty"):
        evaluate_population([], (0.0, 1.0), [0.0], measure)
    with pytest.raises(ValueError, match="t_eval"):
        evaluate_population(nets, (0.0, 1.0), [0.0, 0.0], MEASURE, save="final")


# --------------------------------------------------------------------------- evolving oscillators

@needs_cma
@pytest.mark.parametrize("seed", [0, 1])
def test_cmaes_evolves_oscillator_to_target_period(seed):
    genome = CTRNNGenome(2, bias="center")
    res = evolve(genome, period_fit, method="cmaes", generations=150, popsize=12, seed=seed,
                 target=-0.005, restarts=5)
    assert isinstance(res, EvolutionResult)
    assert res.status == 1 and res.success, res.message
    assert res.generations <= 150 and res.evaluations == res.history["evaluations"][-1]
    assert res.best_fitness >= -0.005 and res.history["best"].max() == res.best_fitness
    check_oscillator(res.best_model, T_STAR)


def test_ga_evolves_oscillator_to_target_period():
    genome = CTRNNGenome(2, bias="center")
    res = evolve(genome, period_fit, method="ga", generations=100, popsize=30, seed=3,
                 target=-0.005)
    assert res.status == 1, res.message
    assert res.population.shape == (30, genome.size) and res.fitness.shape == (30,)
    assert res.fitness.max() == res.best_fitness
    check_oscillator(res.best_model, T_STAR)


@needs_cma
def test_reproducible_and_thread_count_free():
    genome = CTRNNGenome(2, bias="center")
    runs = [evolve(genome, lambda m, k=k: period_fit(m, n_threads=k), method=method,
                   generations=4, popsize=8, seed=5)
            for method in ("cmaes", "ga") for k in (1, 2)]
    for a, b in (runs[:2], runs[2:]):
        assert np.array_equal(a.best_genes, b.best_genes)
        assert np.array_equal(a.population, b.population)
        for key in a.history:
            assert np.array_equal(a.history[key], b.history[key])
    other = evolve(Identity(), sphere, generations=3, seed=6)
    same = evolve(Identity(), sphere, generations=3, seed=6)
    assert np.array_equal(other.best_genes, same.best_genes)
    assert not np.array_equal(evolve(Identity(), sphere, generations=3, seed=7).best_genes,
                              same.best_genes)


@pytest.mark.parametrize("method", [CMA, "ga"])
def test_resume_equals_uninterrupted(method):
    full = evolve(Identity(), sphere, method=method, generations=8, popsize=6, seed=2)
    part = evolve(Identity(), sphere, method=method, generations=3, popsize=6, seed=2)
    assert part.status == 0 and part.generations == 3
    state = pickle.loads(pickle.dumps(part.state))
    for _ in range(2):  # resuming does not change the state
        res = evolve(Identity(), sphere, method=method, generations=8, state=state)
        assert res.generations == 8 and res.evaluations == full.evaluations
        assert np.array_equal(res.best_genes, full.best_genes)
        assert np.array_equal(res.population, full.population)
        assert np.array_equal(res.fitness, full.fitness)
        for key in full.history:
            assert np.array_equal(res.history[key], full.history[key])


@needs_cma
def test_keyboard_interrupt_keeps_partial_result():
    calls = {"n": 0}

    def fitness(xs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return sphere(xs)

    res = evolve(Identity(), fitness, generations=6, popsize=6, seed=4)
    assert res.status == -7 and not res.success and "Interrupted" in res.message
    assert res.generations == 3 and res.best_genes is not None
    full = evolve(Identity(), sphere, generations=6, popsize=6, seed=4)
    again = evolve(Identity(), sphere, generations=6, state=res.state)
    assert np.array_equal(again.best_genes, full.best_genes)
    assert np.array_equal(again.history["best"], full.history["best"])


@pytest.mark.parametrize("method", [CMA, "ga"])
def test_nan_fitness_is_worst(method):
    def fitness(xs):
        f = sphere(xs)
        f[::2] = np.nan       # half of each generation fails
        return f

    res = evolve(Identity(), fitness, method=method, generations=5, popsize=6, seed=0)
    assert res.status == 0 and np.isfinite(res.best_fitness)
    # the best is a member with a real fitness: it has the distance it claims
    assert res.best_fitness == pytest.approx(-np.sum((res.best_genes - GOAL) ** 2), abs=0)
    allnan = evolve(Identity(), lambda xs: np.full(len(xs), np.nan), method=method,
                    generations=3, popsize=4, seed=0)
    assert allnan.status == 0 and allnan.best_fitness == -np.inf
    assert np.isnan(allnan.history["mean"]).all()


@needs_cma
def test_stopping_rules():
    res = evolve(Identity(), sphere, method="ga", generations=300, popsize=10, seed=0,
                 tol=1e-9, patience=5)
    assert res.status == 2 and "tol" in res.message and res.generations < 300
    res = evolve(Identity(), sphere, generations=50, seed=0, callback=lambda r: r.generations == 2)
    assert res.status == 3 and res.generations == 2
    res = evolve(Identity(), sphere, generations=2, seed=0, target=0.0)
    assert res.status == -1 and not res.success and "not reached" in res.message
    res = evolve(Identity(), sphere, generations=400, seed=0, target=-1e-8)
    assert res.status == 1 and np.abs(res.best_genes - GOAL).max() < 1e-3
    # IPOP restarts: a flat fitness stops pycma (tolfunhist) three times, the population
    # doubling from pycma's 4 + floor(3 ln 3) = 7 each time
    res = evolve(Identity(), lambda xs: np.zeros(len(xs)), generations=500, seed=0, restarts=2)
    assert res.status == 2 and "after 2 restarts" in res.message
    assert res.population.shape == (28, 3) and res.generations < 500
    pytest.importorskip("tqdm")
    assert evolve(Identity(), sphere, generations=2, seed=0, progress=True).status == 0


@needs_cma
def test_evolve_bad_input(monkeypatch):
    ok = dict(generations=2, seed=0)
    with pytest.raises(ValueError, match="unknown method 'nes'"):
        evolve(Identity(), sphere, method="nes", **ok)
    with pytest.raises(InvalidTypeError, match="genome must be a genome"):
        evolve([1, 2], sphere, **ok)
    with pytest.raises(InvalidTypeError, match="fitness must be callable"):
        evolve(Identity(), 3.0, **ok)
    with pytest.raises(ValueError, match="generations must be an integer >= 1"):
        evolve(Identity(), sphere, generations=0)
    with pytest.raises(InvalidTypeError, match="generations must be an integer"):
        evolve(Identity(), sphere, generations=2.0)
    with pytest.raises(ValueError, match="popsize must be an integer >= 2"):
        evolve(Identity(), sphere, popsize=1, **ok)
    with pytest.raises(ValueError, match="x0\\[1\\] = 2.0 is outside"):
        evolve(Identity(), sphere, x0=[0.0, 2.0, 0.5], **ok)
    # pycma's popsize for 3 genes: 4 + floor(3 ln 3) = 7
    with pytest.raises(ValueError, match="per model, shape \\(7,\\), got shape \\(2,\\)"):
        evolve(Identity(), lambda xs: [1.0, 2.0], **ok)
    with pytest.raises(InvalidTypeError, match="fitness\\(models\\)"):
        evolve(Identity(), lambda xs: ["a"] * len(xs), **ok)
    with pytest.raises(TypeError, match="unknown option 'mutation'"):
        evolve(Identity(), sphere, method="ga", mutation=0.1, **ok)
    with pytest.raises(ValueError, match="selection must be one of"):
        evolve(Identity(), sphere, method="ga", selection="roulette", **ok)
    with pytest.raises(ValueError, match="elite \\(5\\) must be smaller than popsize"):
        evolve(Identity(), sphere, method="ga", popsize=5, elite=5, **ok)
    with pytest.raises(ValueError, match="'bounds' is set by evolve"):
        evolve(Identity(), sphere, bounds=[-1, 1], **ok)
    with pytest.raises(ValueError, match="restarts must be an integer"):
        evolve(Identity(), sphere, restarts=-1, **ok)
    state = evolve(Identity(), sphere, method="ga", popsize=4, **ok).state
    with pytest.raises(ValueError, match="method='ga', not 'cmaes'"):
        evolve(Identity(), sphere, generations=3, state=state)
    with pytest.raises(ValueError, match="do not pass popsize"):
        evolve(Identity(), sphere, method="ga", generations=3, popsize=4, state=state)
    with pytest.raises(ValueError, match="3 genes, this genome has 8"):
        evolve(CTRNNGenome(2), sphere, method="ga", generations=3, state=state)
    with pytest.raises(InvalidTypeError, match="state must be an EvolutionState"):
        evolve(Identity(), sphere, state={"generation": 1}, **ok)
    monkeypatch.setitem(sys.modules, "cma", None)
    with pytest.raises(ImportError, match="neurodyn\\[train\\]"):
        evolve(Identity(), sphere, **ok)
