"""neurodyn.io: every model survives save -> load exactly (same process: bit for bit), the file
is readable without neurodyn, bad files are refused naming the file; results go to NetCDF."""
import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import circuits
import solvers
from neurodyn import (BAM, CTRNN, ESN, LSM, ContinuousHopfield, DiscreteRNN, Hopfield, Sampled,
                      Sinusoid, discretize)
from neurodyn.io import FileFormatError, load, save

eq = np.testing.assert_array_equal
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _hook(d):
    # What a user without neurodyn writes to read tagged node names (module docstring).
    return tuple(d["__tuple__"]) if "__tuple__" in d else d


def _plain(path, entry):
    with np.load(path, allow_pickle=False) as f:
        return json.loads(f[entry].tobytes(), object_hook=_hook)


def _same(x, y, where):
    """Equal values of equal types: arrays (dtype too), sparse matrices, containers, and
    inputs/sources by the arguments they rebuild from."""
    assert type(x) is type(y), where
    if sp.issparse(x):
        assert x.format == y.format, where
        eq(x.toarray(), y.toarray())
    elif isinstance(x, np.ndarray):
        assert x.dtype == y.dtype, where
        eq(x, y)
    elif isinstance(x, (list, tuple)):
        assert len(x) == len(y), where
        for i, (a, b) in enumerate(zip(x, y)):
            _same(a, b, f"{where}[{i}]")
    elif type(x).__module__.split(".")[0] in ("neurodyn", "circuits"):
        _same(x.__reduce__()[1], y.__reduce__()[1], where)
    else:
        assert x == y, where


def _same_kwargs(a, b):
    ka, kb = a._kwargs(), b._kwargs()
    assert ka.keys() == kb.keys()
    for k in ka:
        _same(ka[k], kb[k], k)


def _same_graph(path, model):
    """The graph entry, read with numpy + json + networkx only, is model.to_graph()."""
    G = nx.node_link_graph(_plain(path, "__graph__.json"), edges="edges")
    H = model.to_graph()
    assert G.is_directed() == H.is_directed()
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert list(G.edges(data=True)) == list(H.edges(data=True))
    assert G.graph == H.graph
    return G


def _round_trip(model, tmp_path, name="m.npz"):
    path = tmp_path / name
    save(model, path)
    back = load(path)
    assert type(back) is type(model) and back is not model
    return back, path


def _trajectory(system, y0, t1=3.0):
    return solvers.solve(system, (0.0, t1), y0, t_eval=np.linspace(0.0, t1, 7)).y


# --------------------------------------------------------------------------- neurodyn models

@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("kind", ["constant", "sampled", "sinusoid"])
def test_ctrnn_round_trip(tmp_path, sparse, kind):
    W = np.array([[4.5, 1.0, 0.0], [-1.0, 4.5, 0.5], [0.0, -0.3, 1.0]])
    inp = {"constant": [0.1, -0.2, 0.3],
           "sampled": Sampled([0.0, 1.0, 2.0], [[0.0, 1.0, 2.0], [1.0, 0.0, -1.0],
                                                [0.5, 0.5, 0.5]], interp="linear"),
           "sinusoid": Sinusoid(amplitude=[1.0, 0.5, 0.0], frequency=0.5, phase=0.1)}[kind]
    net = CTRNN(sp.csr_matrix(W) if sparse else W, tau=[1.0, 2.0, 0.5], bias=[-2.75, -1.75, 0.0],
                input=inp, nodes=[("a", 1), 2, "c"])
    back, path = _round_trip(net, tmp_path)
    _same_kwargs(net, back)
    assert back.nodes == [("a", 1), 2, "c"] and back.sparse == sparse
    eq(_trajectory(back, [0.1, 0.2, 0.3]), _trajectory(net, [0.1, 0.2, 0.3]))
    if kind == "constant":
        G = _same_graph(path, net)
        assert ("a", 1) in G and 2 in G            # a tuple and an int node name, exact
    else:
        # A time-varying input sits in G.graph as a tagged object, its arrays inline.
        g = _plain(path, "__graph__.json")["graph"]["input"]["__object__"]
        assert g["class"]["module"] == "neurodyn.inputs"


def test_hopfield_round_trips(tmp_path):
    P = [[1, -1, 1, -1, 1, -1, 1, 1], [1, 1, -1, -1, 1, 1, -1, -1]]
    probes = np.array([[1, -1, 1, -1, 1, 1, 1, 1], [-1, 1, -1, -1, 1, 1, -1, 1]])
    nets = [Hopfield.from_patterns(P, rule, nodes=[(i, "n") for i in range(8)])
            for rule in ("hebbian", "storkey", "pseudoinverse")]
    W = np.array([[0.0, 0.3, -0.2], [0.5, 0.0, 0.1], [-0.2, 0.1, 0.0]])
    nets.append(Hopfield(W, bias=[0.1, 0.0, -0.1], allow_asymmetric=True))
    for k, net in enumerate(nets):
        back, path = _round_trip(net, tmp_path, f"h{k}.npz")
        assert (back.rule, back.symmetric, back.exact, back.tie_tol, back.nodes) == \
            (net.rule, net.symmetric, net.exact, net.tie_tol, net.nodes)
        eq(back.weights, net.weights)
        eq(back.bias, net.bias)
        x = probes[:, :net.n]
        a, b = (m.recall(x, mode="async", seed=3, return_energy=True) for m in (net, back))
        eq(a.states, b.states)
        for ea, eb in zip(a.energy, b.energy):
            eq(ea, eb)
        if net.rule in ("storkey", "pseudoinverse"):
            # floating-point learned weights are stored, not learned again (another BLAS
            # would give other last bits)
            assert _plain(path, "__neurodyn__.json")["via"] == "_restore"
            with np.load(path, allow_pickle=False) as f:
                eq(f["W"], net.weights)
        if net.symmetric:
            _same_graph(path, net)
        else:  # an asymmetric network has no undirected graph: no entry
            assert _plain(path, "__neurodyn__.json")["graph"] is None


def test_bam_and_continuous_bam(tmp_path):
    bam = BAM.from_pairs([[1, 1, -1, -1, 1, -1], [1, -1, 1, -1, -1, 1]],
                         [[1, -1, 1, -1], [1, 1, -1, -1]])
    back, path = _round_trip(bam, tmp_path)
    _same_kwargs(bam, back)
    assert back.x_nodes[0] == ("x", 0)              # default names are tuples
    for a, b in zip(bam.recall(x=[[1, 1, -1, -1, 1, 1]]), back.recall(x=[[1, 1, -1, -1, 1, 1]])):
        eq(a, b)
    _same_graph(path, bam)
    cb = bam.continuous(gain=[1.0, 2.0, 3.0, 1.0, 1.0, 1.0, 2.0, 0.5, 1.0, 1.0], Ix=0.1)
    back, _ = _round_trip(cb, tmp_path, "cb.npz")
    _same_kwargs(cb, back)
    z0 = np.linspace(-0.3, 0.3, 10)
    eq(_trajectory(back, z0), _trajectory(cb, z0))


def test_continuous_hopfield_and_hopfield_tank(tmp_path):
    net = ContinuousHopfield([[0.0, 1.0, -0.5], [1.0, 0.0, 0.2], [-0.5, 0.2, 0.0]],
                             C=[1.0, 2.0, 1.0], I=[0.1, 0.0, -0.1], gain=4.0, nodes=["p", 7, "r"])
    back, path = _round_trip(net, tmp_path)
    _same_kwargs(net, back)
    eq(_trajectory(back, [0.2, -0.1, 0.0]), _trajectory(net, [0.2, -0.1, 0.0]))
    _same_graph(path, net)
    tank = circuits.HopfieldTank.tsp([[0, 1, 2], [1, 0, 1], [2, 1, 0]], n_bar=3)
    back, path = _round_trip(tank, tmp_path, "tank.npz")
    _same_kwargs(tank, back)
    assert back.nodes[:2] == [(0, 0), (0, 1)]
    u0 = circuits.hopfield_tank.tsp_start(3, seed=0)
    eq(_trajectory(back, u0, 1.0), _trajectory(tank, u0, 1.0))
    _same_graph(path, tank)


@pytest.mark.parametrize("sparse", [False, True])
def test_esn_keeps_readout_and_state(tmp_path, sparse):
    u = np.sin(np.arange(400) * 0.2)
    esn = ESN(30, density=0.1, sparse=sparse, feedback_scaling=0.1, bias_scaling=0.2,
              nodes=[("r", i) for i in range(30)], seed=1)
    esn.fit(u[:200], u[1:201], washout=20)
    esn.predict(u[200:250])                          # the state moves on after training
    back, path = _round_trip(esn, tmp_path)
    assert back.sparse == sparse and back.nodes == esn.nodes
    for k in ("Win", "bias", "Wfb", "Wout", "bias_out", "state", "last_output",
              "input_scaling"):
        eq(getattr(back, k), getattr(esn, k))
    eq(sp.csr_matrix(back.W).toarray(), sp.csr_matrix(esn.W).toarray())
    assert (back.leak_rate, back.ridge, back.spectral_radius, back.seed, back.topology) == \
        (esn.leak_rate, esn.ridge, esn.spectral_radius, esn.seed, esn.topology)
    eq(back.predict(u[250:300]), esn.predict(u[250:300]))   # each from its own state
    eq(back.generate(30), esn.generate(30))
    # run() feeds last_output back at every step (it used to read past an empty teacher)
    other = load(path)
    x, y, W = other.state.copy(), other.last_output.copy(), sp.csr_matrix(esn.W)
    X = other.run(u[:5])
    for t in range(5):
        x = (1 - esn.leak_rate) * x + esn.leak_rate * np.tanh(
            W @ x + esn.Win[:, 0] * u[t] + esn.bias + esn.Wfb @ y)
        np.testing.assert_allclose(X[t], x, rtol=1e-12, atol=1e-14)
    eq(back.run(u[:20], reset=True), esn.run(u[:20], reset=True))
    _same_graph(path, esn)
    fresh = ESN(10, seed=0)                          # untrained: no readout to restore
    assert load(_round_trip(fresh, tmp_path, "f.npz")[1]).Wout is None


def test_continuous_esn_and_discrete_rnn(tmp_path):
    esn = ESN(12, leak_rate=0.5, seed=0)
    ct = esn.continuous(np.sin(np.arange(20) * 0.3), dt=0.5, interp="linear")
    back, _ = _round_trip(ct, tmp_path, "ct.npz")
    _same_kwargs(ct, back)
    eq(_trajectory(back, np.full(12, 0.1)), _trajectory(ct, np.full(12, 0.1)))
    net = CTRNN([[4.5, 1.0], [-1.0, 4.5]], tau=[1.0, 2.0], bias=[-2.75, -1.75], input=[0.1, 0.0])
    X = np.random.default_rng(0).normal(size=(15, 2))
    for W in (net, sp.csr_matrix(np.array([[0.0, 1.0], [-2.0, 0.5]]))):
        rnn = (discretize(W, 0.1, "exponential") if isinstance(W, CTRNN)
               else DiscreteRNN(W, U=np.ones((2, 2)), leak=0.3, nodes=["a", ("b",)]))
        back, _ = _round_trip(rnn, tmp_path, "rnn.npz")
        _same_kwargs(rnn, back)
        eq(back.run(X, h0=[0.1, -0.1]), rnn.run(X, h0=[0.1, -0.1]))


def _rnn_family():
    """One instance of every class of neurodyn.cells, with random weights and a sampled input."""
    from neurodyn import cells

    rng = np.random.default_rng(3)
    n, m = 3, 2
    X = rng.normal(size=(6, m))
    r = lambda *shape: rng.normal(0.0, 0.5, shape)  # noqa: E731
    G = nx.DiGraph()
    for v, g in [("a", "fast"), ("b", "fast"), ("c", "slow")]:
        G.add_node(v, group=g)
    G.add_weighted_edges_from([("a", "b", 1.5), ("b", "c", -0.5), ("c", "a", 0.7)])
    return [
        cells.RNN(r(n, m), r(n, n), r(n), r(n), input=Sampled(np.arange(6.0), X, "zoh")),
        cells.Jordan(r(4, m), r(4, n), r(4), r(n, 4), r(n), alpha=0.3, input=X[0]),
        cells.ContinuousJordan(r(4, m), r(4, n), r(4), r(n, 4), tau=[1.0, 2.0, np.inf],
                               input=X[1]),
        cells.IndRNN(r(n, m), [0.5, -0.2, 0.9], r(n), leak=0.5, input=X[2]),
        cells.ContinuousIndRNN(r(n, m), [0.5, -0.2, 0.9], tau=2.0, activation="tanh",
                               input=Sinusoid([0.1, 0.2], [0.5, 0.0], 0.3)),
        cells.SecondOrderRNN(r(n, m, n), r(n), input=X[3]),
        cells.ContinuousSecondOrderRNN(r(n, m, n), r(n), tau=[1.0, 2.0, 3.0], input=X[4]),
        cells.MTRNN.from_graph(G, tau={"fast": 2.0, "slow": 30.0}, dt=0.5, input=0.1),
        cells.GRU(r(3 * n, m), r(3 * n, n), r(3 * n), r(3 * n), input=X[5]),
        cells.GRUODE(r(3 * n, m), r(3 * n, n), input=Sampled(np.arange(6.0), X, "linear")),
        cells.LSTM(r(4 * n, m), r(4 * n, n), input=X[0]),
        cells.LSTMODE(r(4 * n, m), r(4 * n, n), r(4 * n), r(4 * n), input=X[1]),
        cells.LTC(np.abs(r(n, n)), np.abs(r(m, n)), gleak=[1.0, 0.5, 2.0], cm=0.8,
                  mu=r(n, n), erev=np.sign(r(n, n)), input=X[2]),
    ]


@pytest.mark.parametrize("i", range(13))
def test_rnn_family_round_trips(tmp_path, i):
    model = _rnn_family()[i]
    back, _ = _round_trip(model, tmp_path, f"{type(model).__name__}.npz")
    _same_kwargs(model, back)
    y0 = np.linspace(-0.4, 0.4, model.n_states)
    if isinstance(model, solvers.MapSystem):
        eq(solvers.iterate(back, y0, 5).y, solvers.iterate(model, y0, 5).y)
    else:
        eq(_trajectory(back, y0), _trajectory(model, y0))


def test_lsm_structure(tmp_path):
    for k, net in enumerate([LSM.random(n_exc=8, n_inh=2, p=0.3, n_inputs=2, p_in=0.5, seed=0),
                             LSM.column(shape=(2, 2, 2), n_inputs=1, seed=1),
                             LSM(["exc", "inh"], [0, 1], [1, 0], [2.0, -1.0],
                                 v_init=[-60.0, -55.0], nodes=["e", ("i", 0)])]):
        back, path = _round_trip(net, tmp_path, f"lsm{k}.npz")
        _same_kwargs(net, back)
        _same_graph(path, net)
        eq(back.initial_voltages(np.random.default_rng(5)),
           net.initial_voltages(np.random.default_rng(5)))


# --------------------------------------------------------------------------- circuits models

def test_memristive_network(tmp_path):
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c", 1), (("n", 1), "a")]
    sources = [circuits.Sine(1.0, 0.5), None, circuits.Sampled([0.0, 1.0, 2.0], [0.0, 1.0, -1.0]),
               circuits.Pulses(0.5, period=1.0, width=0.3), 0.7]
    for form in ("nodal", "projector"):
        net = circuits.MemristiveNetwork(edges, sources=sources, chi=0.5, window="joglekar",
                                         window_p=2, form=form)
        back, _ = _round_trip(net, tmp_path)
        _same_kwargs(net, back)
        assert back.sources == net.sources and back.edges[-1] == (("n", 1), "a")
        x0 = np.linspace(0.1, 0.5, 5)
        eq(_trajectory(back, x0, 2.0), _trajectory(net, x0, 2.0))


def test_devices_driven_the_same(tmp_path):
    for dev, src in [(circuits.HPMemristor(window="biolek", p=2), circuits.Triangle(1.0, 1.0)),
                     (circuits.VTEAM(window="prodromakis", p=1.5, j=1.2,
                                     resistance="exponential"), circuits.Sine(0.3, 1e3))]:
        back, _ = _round_trip(dev, tmp_path)
        _same_kwargs(dev, back)
        a, b = (circuits.drive(d, src, (0.0, 1e-3), x0=0.3) for d in (dev, back))
        eq(a.x, b.x)
        eq(a.i, b.i)


def test_crossbar_keeps_programming_and_read_noise(tmp_path):
    W = np.array([[0.0, 1.0, -0.5], [1.0, 0.0, 0.25], [-0.5, 0.25, 0.0]])
    xb = circuits.Crossbar.from_weights(W, levels=8, variation=0.05, stuck_off=0.2,
                                        read_noise=0.01, r_wire=1.0, seed=4)
    xb.matvec([1.0, -1.0, 1.0])                      # the read stream moves on
    back, _ = _round_trip(xb, tmp_path)
    for k in ("g_plus", "g_minus", "target_plus", "target_minus", "faults"):
        a, b = getattr(xb, k), getattr(back, k)
        assert a.dtype == b.dtype and not b.flags.writeable
        eq(a, b)
    for k in ("scale", "r_wire", "read_noise", "g_min", "g_max", "w_max", "levels", "variation",
              "stuck_off", "stuck_on"):
        assert getattr(back, k) == getattr(xb, k), k
    assert back.seed.entropy == xb.seed.entropy
    eq(back.matvec([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]), xb.matvec([[1.0, 0.0, -1.0],
                                                                   [0.5, 0.5, 0.5]]))
    eq(back.recall([1, -1, 1]).states, xb.recall([1, -1, 1]).states)


def test_circuits_loaded_in_a_process_that_never_imported_it(tmp_path):
    path = tmp_path / "dev.npz"
    save(circuits.HPMemristor(window="joglekar", p=2), path)
    code = ("import sys, neurodyn.io\n"
            "before = 'circuits' in sys.modules\n"
            f"dev = neurodyn.io.load({str(path)!r})\n"
            "print(before, type(dev).__module__, dev.window, dev.p)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.stdout.split() == ["False", "circuits.devices", "joglekar", "2"]


# --------------------------------------------------------------------------- the file itself

def test_header_is_plain_json_and_arrays_keep_dtype(tmp_path):
    net = ContinuousHopfield(np.eye(2, dtype=np.float64) * 0.0, I=[0.5, 0.25])
    path = tmp_path / "h.npz"
    save(net, path, graph=False)
    h = _plain(path, "__neurodyn__.json")
    assert (h["format"], h["version"], h["class"], h["graph"]) == \
        ("neurodyn-model", 1, {"module": "neurodyn.continuous_hopfield",
                               "qualname": "ContinuousHopfield"}, None)
    assert h["kwargs"]["activation"] == "tanh" and h["kwargs"]["I"] == {"__array__": "I"}
    with np.load(path, allow_pickle=False) as f:
        assert f["I"].dtype == np.float64
        eq(f["I"], [0.5, 0.25])
    # int8 patterns of a Hebbian network stay int8
    save(Hopfield.from_patterns([[1, -1, 1, 1]]), path)
    with np.load(path) as f:
        assert f["P"].dtype == np.int8


def _rewrite(path, out, header=None, drop=()):
    """Copy an .npz, replacing its header (a dict) and leaving out some entries."""
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files if k not in drop}
    if header is not None:
        entries["__neurodyn__.json"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(out, **entries)
    return out


def test_refuses_newer_version_and_foreign_classes(tmp_path):
    path = tmp_path / "net.npz"
    save(CTRNN(np.zeros((2, 2))), path)
    h = _plain(path, "__neurodyn__.json")
    newer = _rewrite(path, tmp_path / "newer.npz", dict(h, version=2))
    with pytest.raises(FileFormatError, match=r"newer.npz.*format version 2.*reads format "
                                              r"version 1"):
        load(newer)
    for cls in ({"module": "os", "qualname": "system"},
                {"module": "subprocess", "qualname": "Popen"},
                {"module": "neurodyn._model", "qualname": "_rebuild"},
                {"module": "circuits.drive", "qualname": "drive"}):
        bad = _rewrite(path, tmp_path / "cls.npz", dict(h, **{"class": cls}))
        with pytest.raises(FileFormatError, match=r"cls.npz.*not a neurodyn or circuits model"):
            load(bad)
    # the same refusal for a nested object (an input naming a foreign class)
    nested = dict(h, kwargs=dict(h["kwargs"], input={"__object__": {
        "class": {"module": "builtins", "qualname": "eval"}, "args": ["1"]}}))
    with pytest.raises(FileFormatError, match="builtins:eval"):
        load(_rewrite(path, tmp_path / "nested.npz", nested))
    # arguments the class does not take, and values its constructor refuses
    with pytest.raises(FileFormatError, match=r"extra.npz.*constructor arguments only"):
        load(_rewrite(path, tmp_path / "extra.npz", dict(h, kwargs=dict(h["kwargs"], x=1))))
    with pytest.raises(FileFormatError, match=r"junk.npz.*does not rebuild.*activation"):
        load(_rewrite(path, tmp_path / "junk.npz",
                      dict(h, kwargs=dict(h["kwargs"], activation="relu"))))


def test_refuses_arrays_compiled_code_would_trust(tmp_path):
    esn = ESN(6, density=0.5, seed=0)
    path = tmp_path / "esn.npz"
    save(esn, path)
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files}
    np.savez(tmp_path / "state.npz", **dict(entries, state=np.zeros(3)))
    with pytest.raises(FileFormatError, match=r"state.npz.*ESN state must be a float64 array "
                                              r"of shape \(6,\)"):
        load(tmp_path / "state.npz")
    net = CTRNN(sp.csr_matrix(np.eye(3)))
    save(net, path)
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files}
    entries["W.indices"] = entries["W.indices"] + 7             # columns out of range
    np.savez(tmp_path / "csr.npz", **entries)
    with pytest.raises(FileFormatError, match=r"csr.npz.*does not rebuild"):
        load(tmp_path / "csr.npz")


def test_refuses_corrupted_files_naming_them(tmp_path):
    path = tmp_path / "net.npz"
    save(CTRNN(np.ones((3, 3)), nodes=["a", "b", "c"]), path)
    data = path.read_bytes()
    cases = {"truncated.npz": data[:len(data) // 2], "tiny.npz": data[:10],
             "random.npz": np.random.default_rng(0).bytes(2000), "empty.npz": b""}
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(FileFormatError, match=name) as info:
            load(tmp_path / name)
        assert isinstance(info.value, ValueError) and isinstance(info.value, OSError)
    np.savez(tmp_path / "plain.npz", W=np.ones((2, 2)))
    with pytest.raises(FileFormatError, match=r"plain.npz.*not a neurodyn model file"):
        load(tmp_path / "plain.npz")
    missing = _rewrite(path, tmp_path / "missing.npz", drop=("W",))
    with pytest.raises(FileFormatError, match=r"missing.npz.*array 'W'"):
        load(missing)
    # a pickled object array in place of W is never unpickled
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files}
    entries["W"] = np.array([object()], dtype=object)
    np.savez(tmp_path / "pickled.npz", **entries)
    with pytest.raises(FileFormatError, match=r"pickled.npz.*'W'"):
        load(tmp_path / "pickled.npz")
    with zipfile.ZipFile(tmp_path / "nohdr.npz", "w") as zf:
        zf.writestr("__neurodyn__.json.npy", b"\x93NUMPY garbage")
    with pytest.raises(FileFormatError, match="nohdr.npz"):
        load(tmp_path / "nohdr.npz")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(TypeError, match="obj is a builtins.dict"):
        save({"W": 1}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="path must be a file name"):
        save(CTRNN(np.zeros((1, 1))), 3)
    with pytest.raises(TypeError, match="graph must be True or False"):
        save(CTRNN(np.zeros((1, 1))), tmp_path / "x.npz", graph="yes")
    with pytest.raises(ValueError, match="'.nc' is for results"):
        save(CTRNN(np.zeros((1, 1))), tmp_path / "x.nc")
    sub = type("MyNet", (CTRNN,), {})                 # subclasses are not silently the base
    with pytest.raises(TypeError, match="MyNet"):
        save(sub(np.zeros((1, 1))), tmp_path / "x.npz")
    assert not list(tmp_path.glob("*.tmp"))          # failed saves leave nothing behind


# --------------------------------------------------------------------------- results

def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = y[0]


DECAY = solvers.ODESystem(_decay, 2, (1.0,))


def _blowup(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * y[0]
    dydt[1] = 1.0


BLOWUP = solvers.ODESystem(_blowup, 2, (1.0,))


def test_solution_to_xarray():
    pytest.importorskip("xarray")
    t = np.linspace(0.0, 1.0, 5)
    sol = solvers.solve(DECAY, (0.0, 1.0), [1.0, 0.0], t_eval=t, rtol=1e-10, atol=1e-12)
    ds = sol.to_xarray(names=["x", ("int", 1)])
    assert dict(ds.sizes) == {"time": 5, "state": 2}
    eq(ds["y"].values, sol.y)
    eq(ds["time"].values, t)
    eq(ds["y_final"].values, sol.y_final)
    assert list(ds["state"].values) == ["x", ("int", 1)]
    np.testing.assert_allclose(ds["y"].sel(state="x").values, np.exp(-t), rtol=1e-8)
    a = ds.attrs
    assert (a["method"], a["status"], a["success"], a["nfev"], a["message"]) == \
        (sol.method, 0, 1, sol.nfev, sol.message)
    try:
        version = metadata.version("neurodyn")
    except metadata.PackageNotFoundError:          # a checkout that is not installed
        version = None
    assert a.get("neurodyn_version") == version
    eq(sol.to_xarray()["state"].values, [0, 1])
    with pytest.raises(ValueError, match="names has 3 entries, expected 2"):
        sol.to_xarray(names=["a", "b", "c"])
    with pytest.raises(ValueError, match="names: duplicate name 'a'"):
        sol.to_xarray(names=["a", "a"])
    with pytest.raises(TypeError, match="names must be a sequence"):
        sol.to_xarray(names="ab")


def test_ensemble_to_xarray_and_netcdf_round_trip(tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    # member 2 blows up at t = 1/2 (y' = p y^2, y(0) = 1, p = 2): a failure with NaN rows
    ens = solvers.solve_ensemble(BLOWUP, (0.0, 1.0), [1.0, 0.0], t_eval=[0.0, 0.5, 1.0],
                                 params=[(0.0,), (-1.0,), (2.0,)])
    ds = ens.to_xarray(names=[("u", 0), ("u", 1)])
    assert dict(ds.sizes) == {"member": 3, "time": 3, "state": 2}
    eq(ds["y"].values, ens.y)
    assert ens.status[2] < 0 and np.isnan(ens.y[2, -1]).all()
    np.testing.assert_allclose(ds["y"].sel(state=("u", 0)).values[1], [1.0, 1.0 / 1.5, 0.5],
                               rtol=1e-5)                 # y = 1 / (1 + t) for p = -1
    eq(ds["status"].values, ens.status)
    eq(ds["success"].values, ens.success)
    eq(ds["nfev"].values, ens.nfev)
    assert "-2 step-size underflow" in ds["status"].attrs["description"]
    assert ds.attrs["method"] == ens.method and ds.attrs["n_failed"] == 1
    path = tmp_path / "ens.nc"
    save(ds, path)
    back = load(path)
    xr.testing.assert_identical(back, ds)
    assert back["nfev"].dtype == np.int64 and back["success"].dtype == bool
    assert back["state"].values[1] == ("u", 1)       # tuple names come back as tuples
    final = solvers.solve_ensemble(DECAY, (0.0, 1.0), np.ones((4, 2)), save="final")
    save(final, tmp_path / "final.nc")                # no trajectories: y_final only
    xr.testing.assert_identical(load(tmp_path / "final.nc"), final.to_xarray())
    assert "y" not in load(tmp_path / "final.nc")
    sol = solvers.solve(DECAY, (0.0, 1.0), [1.0, 0.0])
    save(sol, tmp_path / "sol.nc")
    xr.testing.assert_identical(load(tmp_path / "sol.nc"), sol.to_xarray())
    with pytest.raises(ValueError, match="ending in '.nc'"):
        save(sol, tmp_path / "sol.npz")
    xr.Dataset({"a": ("x", [1, 2])}).to_netcdf(tmp_path / "other.nc", engine="h5netcdf")
    with pytest.raises(FileFormatError, match="other.nc.*not a neurodyn result file"):
        load(tmp_path / "other.nc")
    raw = (tmp_path / "ens.nc").read_bytes()
    (tmp_path / "torn.nc").write_bytes(raw[:len(raw) // 3])
    with pytest.raises(FileFormatError, match="torn.nc"):
        load(tmp_path / "torn.nc")


def test_missing_xarray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)
    sol = solvers.Solution(np.zeros(2), np.zeros((2, 1)), 0, "ok")
    with pytest.raises(ImportError, match=r"pip install 'neurodyn\[io\]'"):
        sol.to_xarray()


def test_reprs_stay_short():
    big = solvers.solve_ensemble(DECAY, (0.0, 1.0), np.ones((500, 2)), save="final")
    text = repr(big)
    assert len(text) < 250 and "members=500" in text and "succeeded=500" in text
    sol = solvers.Solution(np.zeros(3), np.zeros((3, 2)), -4, "x" * 5000)
    assert len(repr(sol)) < 400 and "n_states=2" in repr(sol)
