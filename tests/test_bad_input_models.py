"""Junk given to model constructors and methods is refused with an error naming the culprit.

One case per probe that used to be accepted silently, coerced (``float("0.5")``, ``int(2.7)``,
``float(True)``) or reported in someone else's words (NumPy, SeedSequence, the solver), plus
neighbours. The shared vocabulary is :mod:`solvers._checks`: ``InvalidTypeError`` (a TypeError
and a ValueError) for values of the wrong kind, ValueError for wrong values, MemoryError (with
the size) for allocations that cannot fit. Nothing here integrates or simulates anything.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import solvers._checks as checks
from circuits.crossbar import Crossbar
from circuits.devices import VTEAM, HPMemristor
from circuits.drive import drive
from circuits.hopfield_tank import HopfieldTank, tsp_start
from circuits.network import MemristiveNetwork
from circuits.sources import Sampled as VSampled
from circuits.sources import Sine
from neurodyn.bam import BAM, ContinuousBAM
from neurodyn.capacity import capacity_curve
from neurodyn.continuous_hopfield import ContinuousHopfield
from neurodyn.ctrnn import CTRNN
from neurodyn.discretize import DiscreteRNN, discretize
from neurodyn.esn import ESN, ContinuousESN, linear_memory_capacity, memory_capacity
from neurodyn.hopfield import Hopfield
from neurodyn.inputs import Sampled, Sinusoid
from neurodyn.lsm import LSM, AnalogInput, PoissonInput, Readout, SpikeInput

Z2 = np.zeros((2, 2))
ESN10 = ESN(10, seed=0)
NET = LSM(["exc", "inh"], pre=[0], post=[1], weight=[1.0])
HOP = Hopfield.from_patterns([[1, -1, 1, -1, 1, -1]])
XBAR = Crossbar.from_weights(HOP.weights, seed=0)
MEM = MemristiveNetwork([(0, 1), (1, 0, 1)], sources={(0, 1): 1.0})


# ------------------------------------------------------------------ graphs: edge weights

def _digraph(w):
    return nx.DiGraph([("a", "b", {"weight": w}), ("b", "a", {"weight": 1.0})])


def _graph(w):
    return nx.Graph([("a", "b", {"weight": w})])


def _bipartite(w):
    G = nx.Graph()
    G.add_node("a", layer="x")
    G.add_node("b", layer="y")
    G.add_edge("a", "b", weight=w)
    return G


GRAPH_MODELS = {
    "CTRNN": (lambda w: CTRNN.from_graph(_digraph(w)), "->"),
    "Hopfield": (lambda w: Hopfield.from_graph(_graph(w)), "-"),
    "BAM": (lambda w: BAM.from_graph(_bipartite(w)), "-"),
    "ESN": (lambda w: ESN.from_graph(_digraph(w), spectral_radius=None, seed=0), "->"),
    "ContinuousHopfield": (lambda w: ContinuousHopfield.from_graph(_graph(w)), "-"),
    "HopfieldTank": (lambda w: HopfieldTank.from_graph(_graph(w)), "-"),
}


@pytest.mark.parametrize("junk", ["0.5", True, np.True_], ids=["str", "bool", "np.bool_"])
@pytest.mark.parametrize("model", list(GRAPH_MODELS))
def test_edge_weight_of_wrong_kind_names_the_edge(model, junk):
    build, arrow = GRAPH_MODELS[model]
    with pytest.raises(TypeError, match=rf"^edge 'a' {arrow} 'b': 'weight' must be a number, "
                                        rf"got {junk!r} \({type(junk).__name__}\)"):
        build(junk)


@pytest.mark.parametrize("junk", [True, np.True_], ids=["bool", "np.bool_"])
def test_lsm_edge_weight_of_wrong_kind_names_the_edge(junk):
    G = nx.DiGraph([("a", "b", {"weight": junk})])
    with pytest.raises(TypeError, match=r"weight of edge 'a' -> 'b' must be a number"):
        LSM.from_graph(G)


@pytest.mark.parametrize("w", [np.nan, np.inf], ids=["nan", "inf"])
def test_esn_from_graph_non_finite_weight_names_the_edge(w):
    with pytest.raises(ValueError, match=rf"^edge 'a' -> 'b': 'weight' = {w!r} is not finite"):
        ESN.from_graph(_digraph(w), spectral_radius=None, seed=0)


def test_esn_undirected_graph_nan_weight_names_the_edge():
    with pytest.raises(ValueError, match=r"edge 'a' - 'b': 'weight' = nan is not finite"):
        ESN.from_graph(_graph(np.nan), spectral_radius=None, seed=0)


# ------------------------------------------------------------------ graphs: node attributes

def _with_node(G, node, **attrs):
    G.nodes[node].update(attrs)
    return G


NODE_CASES = [
    (lambda: CTRNN.from_graph(_with_node(_digraph(1.0), "b", tau="2.0")), TypeError,
     r"node 'b': attribute 'tau' must be a number, got '2.0' \(str\)"),
    (lambda: CTRNN.from_graph(_with_node(_digraph(1.0), "a", bias=True)), TypeError,
     r"node 'a': attribute 'bias' must be a number, got True \(bool\)"),
    (lambda: CTRNN.from_graph(_with_node(_digraph(1.0), "b", input=np.nan)), ValueError,
     r"node 'b': attribute 'input' = nan is not finite"),
    (lambda: CTRNN.from_graph(_digraph(1.0), gain="1"), TypeError,
     r"^argument 'gain' must be a number, got '1' \(str\)"),
    (lambda: Hopfield.from_graph(_with_node(_graph(1.0), "a", bias="0.5")), TypeError,
     r"node 'a': attribute 'bias' must be a number"),
    (lambda: ContinuousHopfield.from_graph(_with_node(_graph(1.0), "b", C=True)), TypeError,
     r"node 'b': attribute 'C' must be a number"),
    (lambda: HopfieldTank.from_graph(_with_node(_graph(1.0), "b", u0="0.1")), TypeError,
     r"node 'b': attribute 'u0' must be a number"),
    (lambda: LSM.from_graph(_with_node(nx.DiGraph([("a", "b", {"weight": 1.0})]), "b",
                                       tau_m=True)), TypeError,
     r"node 'b': attribute 'tau_m' must be a number \(in ms\), got True"),
]


@pytest.mark.parametrize("make,err,match", NODE_CASES, ids=[m for *_, m in NODE_CASES])
def test_node_attribute_of_wrong_kind_names_the_node(make, err, match):
    with pytest.raises(err, match=match):
        make()


# ------------------------------------------------------------------ integer counts

COUNT_CASES = [
    (lambda: LSM.random(n_exc=2.7, n_inh=2, seed=0), r"^n_exc must be an integer, got 2.7"),
    (lambda: LSM.random(n_exc=4, n_inh=True, seed=0), r"^n_inh must be an integer, got True"),
    (lambda: LSM.random(n_exc="3", n_inh=2, seed=0), r"^n_exc must be an integer, got '3'"),
    (lambda: LSM.random(n_exc=4, n_inh=2, n_inputs=1.5, seed=0), r"^n_inputs must be an integer"),
    (lambda: LSM.column(shape=(2.5, 3, 3), seed=0), r"^shape\[0\] must be an integer, got 2.5"),
    (lambda: LSM.column(shape=(2, 3, 3), n_inputs=True, seed=0), r"^n_inputs must be an int"),
    (lambda: LSM(["exc"], [], [], [], n_inputs=True), r"^n_inputs must be an integer, got True"),
    (lambda: PoissonInput(10.0, n=2.7), r"^PoissonInput n must be an integer, got 2.7"),
    (lambda: SpikeInput([1.0], [0], n=True), r"^SpikeInput n must be an integer, got True"),
    (lambda: AnalogInput([0.0, 1.0], 10.0, n_per_dim=True), r"^n_per_dim must be an integer"),
    (lambda: ESN(2.7, seed=0), r"^n_reservoir must be an integer, got 2.7"),
    (lambda: ESN(True, seed=0), r"^n_reservoir must be an integer, got True"),
    (lambda: ESN("3", seed=0), r"^n_reservoir must be an integer, got '3'"),
    (lambda: ESN(10, n_inputs=True, seed=0), r"^n_inputs must be an integer, got True"),
    (lambda: ESN(10, n_outputs=2.0, seed=0), r"^n_outputs must be an integer, got 2.0"),
    (lambda: ESN(W=np.eye(2), n_reservoir=2.0, spectral_radius=None, seed=0),
     r"^n_reservoir must be an integer"),
    (lambda: memory_capacity(ESN10, max_delay=2.5), r"^max_delay must be an integer"),
    (lambda: memory_capacity(ESN10, n_steps=True), r"^n_steps must be an integer"),
    (lambda: memory_capacity(ESN10, washout=2.7), r"^washout must be an integer, got 2.7"),
    (lambda: linear_memory_capacity(ESN(W=0.5 * np.eye(2), spectral_radius=None, seed=0,
                                        activation="identity"), 3.0),
     r"^max_delay must be an integer"),
    (lambda: capacity_curve(100.0, [0.1]), r"^N must be an integer, got 100.0"),
    (lambda: capacity_curve(100, [0.1], n_trials=True), r"^n_trials must be an integer"),
    (lambda: HOP.recall(np.ones(6), max_sweeps=2.5), r"^max_sweeps must be an integer"),
    (lambda: BAM([[1.0]]).recall(x=[1], max_iter=2.5), r"^max_iter must be a positive integer"),
    (lambda: XBAR.recall(np.ones(6), max_sweeps=True), r"^max_sweeps must be an integer"),
    (lambda: tsp_start("3", seed=0), r"^n_cities must be an integer, got '3'"),
    (lambda: tsp_start(3.0, seed=0), r"^n_cities must be an integer, got 3.0"),
]


@pytest.mark.parametrize("make,match", COUNT_CASES, ids=[m for _, m in COUNT_CASES])
def test_counts_refuse_floats_bools_and_strings(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_negative_washout_is_refused_not_replaced():
    with pytest.raises(ValueError, match=r"^washout must be an integer >= 0, got -1"):
        memory_capacity(ESN10, washout=-1)


# ------------------------------------------------------------------ memory_capacity

@pytest.mark.parametrize("tf", [1, 1.0, 0, 0.0, 1.5, -0.2])
def test_memory_capacity_test_fraction_must_be_in_the_open_unit_interval(tf):
    with pytest.raises(ValueError, match=r"^test_fraction must be a probability in \(0, 1\)"):
        memory_capacity(ESN10, test_fraction=tf)


def test_memory_capacity_test_fraction_of_wrong_kind():
    with pytest.raises(TypeError, match=r"^test_fraction must be a real number, got '0.5'"):
        memory_capacity(ESN10, test_fraction="0.5")


def test_memory_capacity_too_few_samples_names_the_split():
    with pytest.raises(ValueError, match=r"test_fraction = 0.001 splits them.*increase n_steps"):
        memory_capacity(ESN10, n_steps=200, washout=20, test_fraction=0.001)


# ------------------------------------------------------------------ LSM runs

def test_lsm_nan_v0_names_the_entry():
    with pytest.raises(ValueError, match=r"^v0\[1\] = nan is not finite \(initial voltage of "
                                         r"neuron 1\)"):
        NET.run(duration=10.0, v0=[-65.0, np.nan], seed=0)


def test_lsm_bool_v0_is_refused():
    with pytest.raises(TypeError, match=r"^v0"):
        NET.run(duration=10.0, v0=[True, False], seed=0)


def test_lsm_dt_longer_than_the_run_names_both():
    with pytest.raises(ValueError, match=r"^dt = 0.5 ms exceeds duration = 0.2 ms"):
        NET.run(duration=0.2, dt=0.5, seed=0)


@pytest.mark.parametrize("kw,err,match", [
    (dict(duration=True), TypeError, r"^duration must be a number \(in ms\), got True"),
    (dict(duration="10"), TypeError, r"^duration must be a number \(in ms\), got '10'"),
    (dict(dt=np.nan), ValueError, r"^dt must be a positive finite number \(in ms\), got nan"),
], ids=["duration-bool", "duration-str", "dt-nan"])
def test_lsm_run_times_of_wrong_kind(kw, err, match):
    with pytest.raises(err, match=match):
        NET.run(seed=0, **kw)


@pytest.mark.parametrize("kw,match", [
    (dict(p="0.1"), r"^p must be a real number, got '0.1'"),
    (dict(p=True), r"^p must be a real number, got True"),
    (dict(p_in=True), r"^p_in must be a real number, got True"),
    (dict(w_exc="0.5"), r"^w_exc must be a number \(in mV\), got '0.5'"),
], ids=["p-str", "p-bool", "p_in-bool", "w_exc-str"])
def test_lsm_random_parameters_of_wrong_kind(kw, match):
    with pytest.raises(TypeError, match=match):
        LSM.random(n_exc=4, n_inh=2, seed=0, **kw)


def test_lsm_bool_weights_are_refused():
    with pytest.raises(TypeError, match=r"^weight \(in mV\) must hold real numbers"):
        LSM(["exc", "exc"], pre=[0], post=[1], weight=[True])


def test_readout_ridge_string_is_refused():
    with pytest.raises(TypeError, match=r"^ridge must be a real number, got '0.1'"):
        Readout(ridge="0.1")


# ------------------------------------------------------------------ memristor states

STATE_CASES = [
    (lambda: HPMemristor().memristance(2.0),
     r"^HPMemristor: state x must be in \[0, 1\].*got x = 2.0"),
    (lambda: HPMemristor().memristance([0.5, -0.25]),
     r"^HPMemristor: state x must be in \[0, 1\].*got x\[1\] = -0.25"),
    (lambda: VTEAM().memristance(1.5), r"^VTEAM: state x must be in \[0, 1\].*got x = 1.5"),
    (lambda: VTEAM(resistance="exponential").memristance(-1.0),
     r"^VTEAM: state x must be in \[0, 1\]"),
    (lambda: HPMemristor().current(1.5, 1.0), r"^HPMemristor: state x must be in \[0, 1\]"),
    (lambda: drive(HPMemristor(), Sine(1.0, 1.0), (0.0, 1.0), 1.5),
     r"^HPMemristor: x0 must lie in \[0, 1\].*got 1.5"),
    (lambda: drive(VTEAM(), Sine(1.0, 1.0), (0.0, 1.0), -0.5),
     r"^VTEAM: x0 must lie in \[0, 1\].*got -0.5"),
    (lambda: HPMemristor().system(Sine(1.0, 1.0)).check_initial_state([1.5]),
     r"^HPMemristor: x0 must lie in \[0, 1\].*got 1.5"),
    (lambda: MEM.check_initial_state([0.5, 1.5]),
     r"^x0\[1\] = 1.5 is outside \[0, 1\] \(edge \(1, 0, 1\)\)"),
    (lambda: MEM.check_initial_state([-0.1, 0.5]),
     r"^x0\[0\] = -0.1 is outside \[0, 1\] \(edge \(0, 1\)\)"),
]


@pytest.mark.parametrize("make,match", STATE_CASES, ids=[m for _, m in STATE_CASES])
def test_memristor_states_outside_the_unit_interval_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_drive_bool_x0_is_refused():
    with pytest.raises(TypeError, match=r"x0 must hold real numbers"):
        drive(HPMemristor(), Sine(1.0, 1.0), (0.0, 1.0), True)


# ------------------------------------------------------------------ NaN inputs and sources

INPUT_CASES = [
    (lambda: CTRNN(Z2, input=[0.0, np.nan]), ValueError,
     r"^input of node 1 must be finite, got nan"),
    (lambda: CTRNN(Z2, input=[0.0, np.nan], nodes=["p", "q"]), ValueError,
     r"^input of node 'q' \(index 1\) must be finite, got nan"),
    (lambda: CTRNN(Z2, input=np.nan), ValueError, r"^input: Constant value = nan is not finite"),
    (lambda: CTRNN(Z2, input=True), TypeError, r"^input must hold real numbers"),
    (lambda: CTRNN(Z2, input=Sinusoid("1.0", 1.0)), TypeError,
     r"^Sinusoid amplitude must be an array of real numbers, got '1.0'"),
    (lambda: Sampled([0.0, 1.0], [True, False]), TypeError,
     r"^Sampled values must hold real numbers"),
    (lambda: MemristiveNetwork([(0, 1), (1, 0, 1)], sources=[np.nan, 0.0]), ValueError,
     r"^source of edge \(0, 1\): a constant voltage must be finite, got nan"),
    (lambda: MemristiveNetwork([(0, 1), (1, 0, 1)], sources={(1, 0, 1): np.inf}), ValueError,
     r"^source of edge \(1, 0, 1\): a constant voltage must be finite, got inf"),
    (lambda: MemristiveNetwork([(0, 1), (1, 0, 1)], sources=np.array([True, False])),
     TypeError, r"^sources must hold real numbers"),
    (lambda: MemristiveNetwork.from_graph(nx.DiGraph([(0, 1, {"source": np.nan}), (1, 0)])),
     ValueError, r"^source of edge \(0, 1\): a constant voltage must be finite"),
    (lambda: HPMemristor().system(np.nan), ValueError,
     r"^HPMemristor source: a constant voltage must be finite, got nan"),
    (lambda: drive(VTEAM(), np.nan, (0.0, 1.0), 0.5), ValueError,
     r"^drive\(\) source: a constant voltage must be finite"),
    (lambda: VSampled([0.0, 1.0], ["0", "1"]), TypeError,
     r"^Sampled values must hold real numbers"),
    (lambda: MEM.currents([True, False]), TypeError, r"^x must hold real numbers"),
]


@pytest.mark.parametrize("make,err,match", INPUT_CASES, ids=[m for *_, m in INPUT_CASES])
def test_bad_inputs_and_sources_name_the_input(make, err, match):
    with pytest.raises(err, match=match):
        make()


# ------------------------------------------------------------------ seeds

SEED_TAKERS = {
    "ESN": lambda s: ESN(10, seed=s),
    "memory_capacity": lambda s: memory_capacity(ESN10, max_delay=5, n_steps=300, seed=s),
    "LSM.random": lambda s: LSM.random(n_exc=4, n_inh=2, seed=s),
    "LSM.column": lambda s: LSM.column(shape=(2, 2, 2), seed=s),
    "LSM.run": lambda s: NET.run(duration=1.0, seed=s),
    "LSM.run_trials": lambda s: NET.run_trials([None, None], duration=1.0, seed=s),
    "PoissonInput.sample": lambda s: PoissonInput(10.0, n=2).sample(10.0, seed=s),
    "Hopfield.recall": lambda s: HOP.recall(np.ones(6), mode="async", seed=s),
    "capacity_curve": lambda s: capacity_curve(20, [0.1], seed=s),
    "Crossbar": lambda s: Crossbar([[1.0]], [[0.0]], 1.0, seed=s),
    "Crossbar.from_weights": lambda s: Crossbar.from_weights([[1.0]], seed=s),
    "tsp_start": lambda s: tsp_start(3, seed=s),
}
BAD_SEEDS = [(-1, ValueError), (1.5, TypeError), ("a", TypeError), (True, TypeError),
             ([1, -2], ValueError)]


@pytest.mark.parametrize("seed,err", BAD_SEEDS, ids=[repr(s) for s, _ in BAD_SEEDS])
@pytest.mark.parametrize("taker", list(SEED_TAKERS))
def test_bad_seeds_name_the_seed(taker, seed, err):
    with pytest.raises(err, match=r"^seed must be .*non-negative integer.*sequence of them") as e:
        SEED_TAKERS[taker](seed)
    if err is ValueError:
        assert not isinstance(e.value, TypeError)  # a wrong value, not a wrong kind


def test_seed_sequences_are_accepted_where_numpy_accepts_them():
    a, b = ESN(10, seed=[1, 2]), ESN(10, seed=(1, 2))
    assert np.array_equal(a.Win, b.Win)
    assert LSM.random(n_exc=4, n_inh=2, seed=[1, 2]).n == 6


# ------------------------------------------------------------------ allocations

@pytest.fixture
def small_memory(monkeypatch):
    """Pretend 64 MiB are available: check_allocation then refuses anything larger."""
    monkeypatch.setattr(checks, "_available_memory", lambda: 64 * 2 ** 20)


@pytest.fixture
def four_gib(monkeypatch):
    monkeypatch.setattr(checks, "_available_memory", lambda: 4 * 2 ** 30)


_SIZE = r"= \d+\.\d (MiB|GiB|TiB), more than the"

ALLOC_CASES = [
    (lambda: ESN(8000, seed=0), r"^ESN\(n_reservoir=8000\): the erdos_renyi reservoir"),
    (lambda: ESN(8000, sparse=False, seed=0), r"^ESN\(n_reservoir=8000\): the dense reservoir"),
    (lambda: ESN(3000, density=0.5, seed=0), r"^ESN\(n_reservoir=3000\): the dense reservoir"),
    (lambda: ESN(3000, topology="small_world", density=0.9, seed=0),
     r"^ESN\(n_reservoir=3000\): the dense reservoir"),
    (lambda: ESN10.run(np.zeros((1_000_000, 1))), r"^ESN.run: the states"),
    (lambda: CTRNN.from_graph(nx.empty_graph(3000, create_using=nx.DiGraph), sparse=False),
     r"^CTRNN.from_graph: dense weights for 3000 nodes"),
    (lambda: Hopfield.from_patterns(np.ones((1, 5000))),
     r"^Hopfield network of N = 5000 neurons: the hebbian weights"),
    (lambda: Hopfield.from_patterns(np.ones((2, 3000)), rule="storkey"),
     r"^Hopfield network of N = 3000 neurons: the storkey weights"),
    (lambda: Hopfield.from_graph(nx.empty_graph(3000)), r"^Hopfield network of N = 3000"),
    (lambda: ContinuousHopfield.from_patterns(np.ones((1, 3000))),
     r"^continuous Hopfield network of n = 3000 neurons"),
    (lambda: BAM.from_pairs(np.ones((1, 3000)), np.ones((1, 3000))), r"^BAM: the correlation"),
    (lambda: HOP.recall(np.ones((100, 6)), max_sweeps=100_000, return_energy=True),
     r"^recall\(return_energy=True\): the energy trace"),
]


@pytest.mark.parametrize("make,match", ALLOC_CASES, ids=[m for _, m in ALLOC_CASES])
def test_allocations_that_cannot_fit_are_refused_with_their_size(small_memory, make, match):
    with pytest.raises(MemoryError, match=match + r".* needs .*" + _SIZE):
        make()


def test_the_probed_sizes_are_refused_before_allocating(four_gib):
    # The probes: a dense CTRNN of 20000 nodes, a Hopfield network of 100000 neurons (its
    # weights alone are 37 GiB in float32, 75 GiB in float64).
    with pytest.raises(MemoryError, match=r"20000 x 20000 float64 values = 6.0 GiB"):
        CTRNN.from_graph(nx.empty_graph(20000, create_using=nx.DiGraph), sparse=False)
    with pytest.raises(MemoryError, match=r"N = 100000 .* 100000 x 100000 float32 values = "
                                          r"37.3 GiB, more than the 4.0 GiB"):
        Hopfield.from_patterns(np.ones((1, 100000)))
    with pytest.raises(MemoryError, match=r"N = 100000 .* = 223.5 GiB"):
        Hopfield.from_graph(nx.empty_graph(100000))


def test_esn_200000_says_how_much_it_needs(four_gib):
    # Refused before a single weight is drawn (the check costs microseconds).
    with pytest.raises(MemoryError, match=r"^ESN\(n_reservoir=200000\): the erdos_renyi "
                                          r"reservoir's ~4e\+09 nonzero weights.*= 178.8 GiB"):
        ESN(200000, seed=0)


# ------------------------------------------------------------------ arrays of the wrong kind

ARRAY_CASES = [
    (lambda: CTRNN(np.eye(2, dtype=bool)), r"^W must hold real numbers, got an array of bool"),
    (lambda: CTRNN(np.eye(2) + 0j), r"^W must hold real numbers, got complex values"),
    (lambda: CTRNN(sp.csr_matrix(np.eye(2, dtype=bool))), r"^W must hold real numbers"),
    (lambda: CTRNN(sp.csr_matrix(np.eye(2) + 1j)), r"^W must hold real numbers, got complex"),
    (lambda: CTRNN(Z2, tau=[1.0 + 0j, 1.0]), r"^tau must hold real numbers, got complex"),
    (lambda: CTRNN(Z2, tau="1.0"), r"^tau must be an array of real numbers, got '1.0'"),
    (lambda: CTRNN(Z2, bias=[True, False]), r"^bias must hold real numbers, got an array of bool"),
    (lambda: CTRNN(Z2, gain=np.array([1, 1], dtype=bool)), r"^gain must hold real numbers"),
    (lambda: Hopfield(np.zeros((2, 2), dtype=bool)), r"^W must hold real numbers"),
    (lambda: Hopfield(Z2, bias=1j), r"^bias must hold real numbers, got complex"),
    (lambda: BAM(np.ones((2, 2), dtype=bool)), r"^W must hold real numbers"),
    (lambda: BAM(np.ones((2, 2)) + 0j), r"^W must hold real numbers, got complex"),
    (lambda: ContinuousBAM(np.ones((2, 1)), a=[True, True]), r"^a must hold real numbers"),
    (lambda: ContinuousHopfield(np.zeros((2, 2), dtype=bool)), r"^T must hold real numbers"),
    (lambda: ContinuousHopfield(Z2 + 0j), r"^T must hold real numbers, got complex"),
    (lambda: ContinuousHopfield(Z2).energy([True, False]), r"^u must hold real numbers"),
    (lambda: ContinuousHopfield(Z2, I="0.5"), r"^I must be an array of real numbers"),
    (lambda: ESN(W=np.eye(3, dtype=bool), spectral_radius=None, seed=0),
     r"^W must hold real numbers"),
    (lambda: ESN(W=sp.csr_matrix(np.eye(3, dtype=bool)), spectral_radius=None, seed=0),
     r"^W must hold real numbers"),
    (lambda: ESN(10, Win=np.ones((10, 1)) + 0j, seed=0), r"^Win must hold real numbers"),
    (lambda: ESN(10, input_scaling="1", seed=0), r"^input_scaling must be an array of real"),
    (lambda: ESN(10, leak_rate=True, seed=0), r"^leak_rate must be a real number, got True"),
    (lambda: ESN(10, spectral_radius="0.9", seed=0), r"^spectral_radius must be a real number"),
    (lambda: ESN10.run(np.ones((5, 1), dtype=bool)), r"^u must hold real numbers"),
    (lambda: ESN10.run(np.ones(5), x0=np.zeros(10) + 0j), r"^x0 must hold real numbers"),
    (lambda: ContinuousESN(np.eye(2), np.ones((2, 1)), [0.0, 1.0], tau="2"),
     r"^tau must be an array of real numbers"),
    (lambda: DiscreteRNN(np.eye(2, dtype=bool)), r"^W must hold real numbers"),
    (lambda: DiscreteRNN(Z2).run(np.ones((3, 2), dtype=bool)), r"^inputs must hold real"),
    (lambda: discretize(CTRNN(Z2), "0.1"), r"^dt must be a real number, got '0.1'"),
    (lambda: discretize(CTRNN(Z2), True), r"^dt must be a real number, got True"),
    (lambda: CTRNN.from_elman(np.ones((2, 1)), Z2, tau=True), r"^tau must be a real number"),
    (lambda: capacity_curve(20, [True]), r"^alphas must hold real numbers"),
    (lambda: capacity_curve(20, [0.1], noise="0.1"), r"^noise must be a real number"),
    (lambda: Crossbar.from_weights(np.eye(2, dtype=bool)), r"^W must hold real numbers"),
    (lambda: Crossbar.from_weights(np.eye(2), variation="0.1"), r"^variation must be a real"),
    (lambda: Crossbar.from_weights(np.eye(2), stuck_off=True), r"^stuck_off must be a real"),
    (lambda: XBAR.matvec(np.ones(6, dtype=bool)), r"^input must hold real numbers"),
    (lambda: HopfieldTank.tsp(np.ones((3, 3), dtype=bool)), r"^distances must hold real"),
    (lambda: HopfieldTank.tsp([[0, 1], [1, 0]], tau="1"), r"^tau must be a real number"),
]


@pytest.mark.parametrize("make,match", ARRAY_CASES, ids=[m for _, m in ARRAY_CASES])
def test_bools_strings_and_complex_values_are_refused(make, match):
    with pytest.raises(TypeError, match=match):
        make()


# ------------------------------------------------------------------ neighbours (already named;
# kept as guards so that the shared helpers do not lose them)

NEIGHBOURS = [
    (lambda: CTRNN.from_graph(_with_node(_digraph(1.0), "b", tau=-1.0)),
     r"tau of node 'b' \(index 1\) must be positive and finite, got -1.0"),
    (lambda: CTRNN(Z2, tau=[1.0, 0.0]), r"tau of node 1 must be positive and finite, got 0.0"),
    (lambda: CTRNN(Z2, bias=[np.nan, 0.0], nodes=["p", "q"]),
     r"bias of node 'p' \(index 0\) must be finite, got nan"),
    (lambda: Hopfield.from_graph(_with_node(_graph(1.0), "b", bias=np.nan)),
     r"node 'b': attribute 'bias' = nan is not finite"),
    (lambda: CTRNN(np.zeros((2, 3))), r"W must be square: expected shape \(n, n\), got \(2, 3\)"),
    (lambda: Hopfield(np.zeros((3, 2))), r"W must be square: expected shape \(N, N\), got \(3, 2\)"),
    (lambda: ESN(W=np.zeros((2, 3)), seed=0), r"W must be square.*got \(2, 3\)"),
    (lambda: ContinuousHopfield(np.zeros(3)), r"T must be square.*got \(3,\)"),
    (lambda: ContinuousESN(np.eye(2), np.ones((2, 1)), [0.0], tau=[1.0, -1.0]),
     r"tau of unit 1 must be positive and finite, got -1.0"),
    (lambda: LSM(["exc"], [], [], [], tau_m=0.0), r"tau_m of neuron 0 must be positive"),
]


@pytest.mark.parametrize("make,match", NEIGHBOURS, ids=[m for _, m in NEIGHBOURS])
def test_neighbours_name_the_node_or_the_shape(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_valid_inputs_are_unchanged():
    # Integers, NumPy scalars and float32 arrays are real numbers: accepted as before.
    G = nx.DiGraph([("a", "b", {"weight": np.float32(0.5)}), ("b", "a", {"weight": 2})])
    G.nodes["a"]["tau"] = np.int64(2)
    net = CTRNN.from_graph(G)
    assert net.W.tolist() == [[0.0, 2.0], [0.5, 0.0]] and net.tau.tolist() == [2.0, 1.0]
    assert HPMemristor().memristance([0.0, 1.0]).tolist() == [16000.0, 100.0]
    assert ESN(10, seed=np.int64(3)).n_reservoir == 10
    assert memory_capacity(ESN10, max_delay=5, n_steps=np.int64(300), washout=np.int32(10),
                           test_fraction=np.float32(0.5))[1].shape == (5,)
    assert LSM.random(n_exc=np.int64(4), n_inh=2, seed=0).n == 6


def test_solve_refuses_a_memristor_start_outside_its_domain_naming_the_device():
    # solve (and solve_ensemble) ask the system's check_initial_state hook: the start is
    # refused up front, not reported as a non-finite state at t = 0.
    import solvers
    from circuits import HPMemristor, MemristiveNetwork, Sine

    dev = HPMemristor().system(Sine(1.0, 1.0))
    with pytest.raises(ValueError, match=r"HPMemristor.*1\.5"):
        solvers.solve(dev, (0.0, 1.0), [1.5])
    with pytest.raises(ValueError, match=r"y0\[1\].*HPMemristor"):
        solvers.solve_ensemble(dev, (0.0, 1.0), [[0.5], [-0.2]], save="final")
    net = MemristiveNetwork([(0, 1), (1, 0, 1)])
    with pytest.raises(ValueError, match=r"x0\[1\] = 1\.5"):
        solvers.solve(net, (0.0, 1.0), [0.5, 1.5])
    assert solvers.solve(dev, (0.0, 0.1), [0.5]).success
