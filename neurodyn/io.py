"""Saving and loading: a model in one ``.npz`` file, a result as NetCDF (through xarray).

:func:`save` writes a model (see :func:`save` for the list) with what it needs to run on: an
ESN's readout and current state, a Crossbar's read-noise stream. :func:`load` rebuilds it
through its constructor (validated again); in the same process it then integrates, recalls and
runs bit for bit like the original. Results (``Solution``, ``EnsembleSolution``, or the
``xarray.Dataset`` of their ``to_xarray()``) go to a ``.nc`` path; :func:`load` of that file
returns the ``xarray.Dataset``.

Model file (format ``"neurodyn-model"``, version 1): a zip of ``.npy`` arrays, as
``numpy.savez`` writes, readable with numpy and json alone:

* ``__neurodyn__.json``: the header, UTF-8 JSON in a 1-d uint8 array: ``{"format":
  "neurodyn-model", "version": 1, "neurodyn_version": ..., "class": {"module":
  "neurodyn.ctrnn", "qualname": "CTRNN"}, "kwargs": {"W": {"__array__": "W"}, "activation":
  "sigmoid", ...}, "graph": "__graph__.json"}``. ``kwargs`` are constructor arguments (``args``
  positional ones), ``via`` another constructor (``Hopfield.from_patterns``), ``state`` what
  changes after construction (an ESN's ``Wout``, ``bias_out``, ``state``, ``last_output``).
* one ``.npy`` entry per array, named after where it sits (``W``, ``input.1``,
  ``sources.2.0``), dtype, shape and memory order as they were; sparse matrices as CSR parts.
* ``__graph__.json`` (models with ``to_graph()``): networkx node-link JSON (``directed``,
  ``multigraph``, ``graph``, ``nodes`` with ``id``, ``edges`` with ``source``, ``target``).

What JSON would not give back exactly is tagged, as an object with one key: ``__tuple__``,
``__float__`` ("nan", "inf", "-inf"), ``__int__`` (digits, beyond 2**53), ``__numpy__``
([dtype, value]), ``__dict__`` ([[key, value], ...]: keys not all strings), ``__array__``
(entry name), ``__ndarray__`` (inline), ``__sparse__``, ``__seedsequence__``, ``__object__``
(an input, a source). Python ints, floats, str, bool and None are plain JSON (exact as
values). A node named ``("x", 0)`` is ``{"__tuple__": ["x", 0]}``; without neurodyn::

    hook = lambda d: tuple(d["__tuple__"]) if "__tuple__" in d else d
    with np.load("net.npz") as f:
        G = nx.node_link_graph(json.loads(f["__graph__.json"].tobytes(), object_hook=hook))

(networkx < 3.4: add ``link="edges"``.)

Safety: :func:`load` never unpickles (``allow_pickle=False``) and instantiates only classes of
a fixed allow-list (``_CLASSES``). ``neurodyn`` never imports ``circuits`` (which builds on
it): the list holds ``module:qualname`` strings, saving compares an object's class with them,
loading imports a module with ``importlib`` only for a name in the list. (A registry filled by
``import circuits`` would make every load of a circuit need that import first.) Newer format
versions, corrupted, truncated or foreign files raise :class:`FileFormatError` naming the file.

Results are NetCDF 4 through ``h5netcdf`` (extra ``io``): SciPy's NetCDF 3 has no int64
(counters above 2**31 - 1 are refused) nor unicode text. State names neither all str nor all
int (tuples) are stored as tagged JSON text, which :func:`load` decodes.
"""
from __future__ import annotations

import importlib
import json
import math
import os
import re
import sys
import uuid
import zipfile

import numpy as np
import scipy.sparse as sp

from solvers._checks import InvalidTypeError

__all__ = ["save", "load", "FileFormatError", "FORMAT", "VERSION"]

FORMAT = "neurodyn-model"
RESULTS_FORMAT = "neurodyn-results"
VERSION = 1
HEADER = "__neurodyn__.json"
GRAPH = "__graph__.json"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_NC3_MAGIC = b"CDF"

_FROZEN, _REDUCE, _ESN, _HOPFIELD, _CROSSBAR = "frozen", "reduce", "esn", "hopfield", "crossbar"
# The allow-list: the only classes load() instantiates, and how each is taken apart. FrozenModels
# are rebuilt from their _ctor_args, inputs and sources from their __reduce__ arguments.
_CLASSES = {f"{module}:{name}": how for module, names, how in [
    ("neurodyn.ctrnn", ["CTRNN"], _FROZEN), ("neurodyn.bam", ["BAM", "ContinuousBAM"], _FROZEN),
    ("neurodyn.continuous_hopfield", ["ContinuousHopfield"], _FROZEN),
    ("neurodyn.discretize", ["DiscreteRNN"], _FROZEN), ("neurodyn.lsm", ["LSM"], _FROZEN),
    ("neurodyn.esn", ["ContinuousESN"], _FROZEN), ("neurodyn.esn", ["ESN"], _ESN),
    ("neurodyn.hopfield", ["Hopfield"], _HOPFIELD),
    ("neurodyn.inputs", ["Constant", "Sampled", "Sinusoid"], _REDUCE),
    ("neurodyn.cells.gated", ["GRU", "GRUODE", "LSTM", "LSTMODE"], _FROZEN),
    ("neurodyn.cells.ltc", ["LTC"], _FROZEN), ("neurodyn.cells.rnn", ["RNN"], _FROZEN),
    ("neurodyn.cells.indrnn", ["IndRNN", "ContinuousIndRNN"], _FROZEN),
    ("neurodyn.cells.jordan", ["Jordan", "ContinuousJordan"], _FROZEN),
    ("neurodyn.cells.second_order", ["SecondOrderRNN", "ContinuousSecondOrderRNN"], _FROZEN),
    ("neurodyn.cells.mtrnn", ["MTRNN"], _FROZEN),
    ("neurodyn.plants", ["Pendulum", "CartPole", "DoublePole", "LinearPlant"], _FROZEN),
    ("neurodyn.agent", ["Agent"], _FROZEN),
    ("circuits.network", ["MemristiveNetwork"], _FROZEN),
    ("circuits.hopfield_tank", ["HopfieldTank"], _FROZEN),
    ("circuits.devices", ["HPMemristor", "VTEAM"], _FROZEN),
    ("circuits.crossbar", ["Crossbar"], _CROSSBAR),
    ("circuits.sources", ["Constant", "Sine", "Triangle", "Pulses", "Sampled"], _REDUCE),
] for name in names}
_PACKAGES = ("neurodyn", "circuits")
_ESN_KWARGS = ("W", "Win", "bias", "Wfb", "leak_rate", "ridge", "input_scaling", "density",
               "bias_scaling", "feedback_scaling", "n_inputs", "n_outputs", "activation",
               "sparse", "nodes")
_ESN_RECORD = ("spectral_radius", "seed", "topology")  # how the reservoir was made: a record
_CROSSBAR_KWARGS = ("g_plus", "g_minus", "scale", "r_wire", "read_noise", "seed")
_CROSSBAR_META = ("g_min", "g_max", "w_max", "levels", "variation", "stuck_off", "stuck_on",
                  "target_plus", "target_minus", "faults")
_EXACT_INT = 2 ** 53


class FileFormatError(ValueError, OSError):
    """A file that is not a neurodyn file this version can read (corrupted, truncated, foreign,
    of a newer format version, or naming a class outside the allow-list)."""


def _class_key(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


# --------------------------------------------------------------------------- encoding

class _Encoder:
    """Turns a value into JSON, arrays into npz entries (``arrays`` a dict) or inline lists
    (``arrays`` None, for the graph entry)."""

    def __init__(self, arrays):
        self.arrays = arrays

    def __call__(self, v, path):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, np.generic) and v.dtype.kind in "biuf":  # np.float64 is a float
            return {"__numpy__": [v.dtype.str, self(v.item(), path)]}
        if isinstance(v, int):
            return v if abs(v) <= _EXACT_INT else {"__int__": str(v)}
        if isinstance(v, float):
            return v if math.isfinite(v) else {"__float__": repr(v)}
        if isinstance(v, np.ndarray):
            return self._array(v, path)
        if sp.issparse(v):
            csr = v.tocsr()
            return {"__sparse__": {
                "format": v.format, "array": isinstance(v, getattr(sp, "sparray", ())),
                "shape": list(v.shape), "data": self._array(csr.data, _join(path, "data")),
                "indices": self._array(csr.indices, _join(path, "indices")),
                "indptr": self._array(csr.indptr, _join(path, "indptr"))}}
        if isinstance(v, tuple):
            return {"__tuple__": [self(x, _join(path, i)) for i, x in enumerate(v)]}
        if isinstance(v, list):
            return [self(x, _join(path, i)) for i, x in enumerate(v)]
        if isinstance(v, dict):
            if all(isinstance(k, str) and not k.startswith("__") for k in v):
                return {k: self(x, _join(path, k)) for k, x in v.items()}
            return {"__dict__": [[self(k, path), self(x, _join(path, i))]
                                 for i, (k, x) in enumerate(v.items())]}
        if isinstance(v, np.random.SeedSequence):
            return {"__seedsequence__": {
                "entropy": self(v.entropy, _join(path, "entropy")),
                "spawn_key": self(list(v.spawn_key), path), "pool_size": int(v.pool_size),
                "n_children_spawned": int(v.n_children_spawned)}}
        key = _class_key(type(v))
        if key in _CLASSES:
            return {"__object__": self.object(v, key, path)}
        raise TypeError(f"save: {path or 'obj'} is a {type(v).__module__}.{type(v).__qualname__}"
                        ", which neurodyn cannot store")

    def _array(self, a, path):
        if a.dtype.hasobject or (self.arrays is None and a.dtype.kind not in "biuf"):
            where = " in the graph's JSON" if self.arrays is None else ""
            raise TypeError(f"save: {path} is an array of dtype {a.dtype}, which neurodyn "
                            f"cannot store{where}")
        if self.arrays is None:
            return {"__ndarray__": {"dtype": a.dtype.str, "shape": list(a.shape),
                                    "data": [self(x, path) for x in a.ravel().tolist()]}}
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", path) or "array"
        base, k = name, 1
        while name in self.arrays or name in (HEADER, GRAPH):
            k += 1
            name = f"{base}~{k}"
        self.arrays[name] = a
        return {"__array__": name}

    def object(self, obj, key, path):
        """``{"class", "kwargs" | "args", ["via"], ["state"]}`` of an allow-listed object."""
        how = _CLASSES[key]
        out = {"class": dict(zip(("module", "qualname"), key.split(":")))}
        state = None
        if how == _FROZEN:
            kwargs = obj._kwargs()
        elif how == _REDUCE:
            cls, args = obj.__reduce__()[:2]
            assert cls is type(obj), key  # inputs and sources rebuild from their constructor
            out["args"] = [self(a, _join(path, i)) for i, a in enumerate(args)]
            return out
        else:
            via, kwargs, state = _DUMP[how](obj)
            if via is not None:
                out["via"] = via
        out["kwargs"] = {k: self(v, _join(path, k)) for k, v in kwargs.items()}
        if state:
            out["state"] = {k: self(v, _join(path, k)) for k, v in state.items()}
        return out


def _esn_dump(esn):
    kwargs = {k: getattr(esn, k) for k in _ESN_KWARGS}
    state = {k: getattr(esn, k) for k in ("Wout", "bias_out", "state", "last_output")}
    # A Generator or a callable topology cannot be stored; the arrays make them unnecessary.
    state["seed"] = esn.seed if esn.seed is None or isinstance(esn.seed, int) else None
    state["topology"] = esn.topology if isinstance(esn.topology, str) else None
    state["spectral_radius"] = esn.spectral_radius
    return None, kwargs, state


def _hopfield_dump(net):
    if net.rule == "hebbian":
        # Hebbian weights are recomputed from the patterns: they are kept as exact integers
        # inside, which the float weights would not give back.
        return "from_patterns", {"P": net.patterns, "rule": net.rule, "nodes": net.nodes}, None
    if net.rule is not None:
        # Storkey and pseudoinverse weights are stored as they are: learning again would
        # give them only up to the last bits of the BLAS of the machine that loads the file.
        return "_restore", {"W": net.weights, "rule": net.rule, "patterns": net.patterns,
                            "nodes": net.nodes}, None
    return None, {"W": net.weights, "bias": net.bias, "allow_asymmetric": not net.symmetric,
                  "nodes": net.nodes, "tie_tol": net.tie_tol}, None


def _crossbar_dump(xb):
    kwargs = {k: getattr(xb, k) for k in _CROSSBAR_KWARGS}
    state = {k: getattr(xb, k) for k in _CROSSBAR_META}
    # The read noise continues where the original's stream is, not from its seed.
    state["read_rng"] = xb._read_rng.bit_generator.state
    return None, kwargs, state


_DUMP = {_ESN: _esn_dump, _HOPFIELD: _hopfield_dump, _CROSSBAR: _crossbar_dump}


def _graph_data(obj):
    """The node-link dict of ``obj.to_graph()`` (tagged JSON, arrays inline), or None."""
    to_graph = getattr(obj, "to_graph", None)
    if to_graph is None:
        return None
    try:
        G = to_graph()
    except ValueError:  # e.g. an asymmetric Hopfield network has no undirected graph
        return None
    import networkx as nx

    try:
        data = nx.node_link_data(G, edges="edges")
    except TypeError:  # networkx < 3.4 names the keyword link
        data = nx.node_link_data(G, link="edges")
    return _Encoder(None)(data, "graph")


def _json_bytes(value):
    text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


# --------------------------------------------------------------------------- decoding

class _Decoder:
    def __init__(self, arrays, where):
        self.arrays = arrays  # the open NpzFile
        self.where = where

    def fail(self, what):
        return FileFormatError(f"{self.where}: {what}")

    def __call__(self, v):
        if isinstance(v, list):
            return [self(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (tag, val), = v.items()
            if tag.startswith("__"):
                return self.tag(tag, val)
        return {k: self(x) for k, x in v.items()}

    def tag(self, tag, val):
        if tag == "__tuple__" and isinstance(val, list):
            return tuple(self(x) for x in val)
        if tag == "__float__" and val in ("nan", "inf", "-inf"):
            return float(val)
        if tag == "__int__" and isinstance(val, str) and re.fullmatch(r"-?\d{1,400}", val):
            return int(val)
        if tag == "__numpy__" and isinstance(val, list) and len(val) == 2:
            dt = np.dtype(val[0])
            if dt.kind in "biuf" and isinstance(val[1], (int, float, dict)):
                return dt.type(self(val[1]))
        if tag == "__dict__" and isinstance(val, list):
            try:
                return {self(k): self(x) for k, x in val}
            except (TypeError, ValueError):
                raise self.fail("a __dict__ entry is not a [key, value] pair with a hashable "
                                "key") from None
        if tag == "__array__" and isinstance(val, str):
            if val not in self.arrays.files:
                raise self.fail(f"the header refers to the array {val!r}, which the file does "
                                "not contain")
            try:
                return self.arrays[val]
            except Exception as exc:  # noqa: BLE001 - zipfile/format errors, pickles refused
                raise self.fail(f"cannot read the array {val!r}: {exc}") from None
        if tag == "__sparse__" and isinstance(val, dict):
            return self.sparse(val)
        if tag == "__seedsequence__" and isinstance(val, dict):
            return np.random.SeedSequence(self(val["entropy"]),
                                          spawn_key=tuple(val["spawn_key"]),
                                          pool_size=val["pool_size"],
                                          n_children_spawned=val["n_children_spawned"])
        if tag == "__object__" and isinstance(val, dict):
            return self.object(val)
        raise self.fail(f"unknown or malformed tag {tag!r} in the header")

    def sparse(self, val):
        cls = sp.csr_array if val.get("array") else sp.csr_matrix
        m = cls((self(val["data"]), self(val["indices"]), self(val["indptr"])),
                shape=tuple(val["shape"]))
        m.check_format(full_check=True)  # indices in range: compiled code trusts them
        fmt = val.get("format", "csr")
        return m if fmt == "csr" else m.asformat(fmt)

    def object(self, spec):
        cls, how = _resolve(spec.get("class"), self.where)
        name = cls.__qualname__
        try:
            if how == _REDUCE:
                return cls(*self(spec["args"]))
            kwargs = self(spec["kwargs"])
            state = self(spec.get("state") or {})
            via = spec.get("via")
            if how == _FROZEN:
                extra = sorted(set(kwargs) - set(cls._ctor_args))
                if extra or via is not None or state:
                    raise self.fail(f"{name} is rebuilt from its constructor arguments only, "
                                    f"got also {extra or via or sorted(state)}")
                return cls(**kwargs)
            if how == _HOPFIELD:
                if via not in (None, "from_patterns", "_restore") or state:
                    raise self.fail(f"Hopfield has no constructor {via!r}")
                return (getattr(cls, via) if via else cls)(**kwargs)
            return _BUILD[how](self, cls, via, kwargs, state)
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.fail(f"the stored {name} does not rebuild: {type(exc).__name__}: "
                            f"{exc}") from exc


def _resolve(spec, where):
    """The allow-listed class named by ``spec`` ({"module", "qualname"})."""
    key = (f"{spec.get('module')}:{spec.get('qualname')}" if isinstance(spec, dict)
           else repr(spec))
    if key not in _CLASSES or key.partition(".")[0] not in _PACKAGES:
        raise FileFormatError(f"{where}: names the class {key!r}, which is not a neurodyn or "
                              "circuits model neurodyn loads (refused; see neurodyn.io)")
    module, _, qualname = key.partition(":")
    try:
        cls = getattr(importlib.import_module(module), qualname)
    except (ImportError, AttributeError) as exc:
        raise FileFormatError(f"{where}: cannot find the class {key!r}: {exc}") from None
    if _class_key(cls) != key:
        raise FileFormatError(f"{where}: {key!r} is now {_class_key(cls)!r}")
    return cls, _CLASSES[key]


def _esn_build(dec, cls, via, kwargs, state):
    extra = (set(kwargs) - set(_ESN_KWARGS)) | (set(state) - set(_ESN_RECORD) - {
        "Wout", "bias_out", "state", "last_output"})
    if via is not None or extra:
        raise dec.fail(f"the stored ESN has arguments ESN does not take: {sorted(extra)}")
    # The stored W is already scaled (spectral_radius=None keeps it); seed=0 only spares the
    # OS entropy of draws that the given Win, bias and Wfb replace.
    esn = cls(spectral_radius=None, seed=0, **kwargs)
    for k, types in zip(_ESN_RECORD, ((float, type(None)), (int, type(None)), (str, type(None)))):
        v = state.get(k)
        if isinstance(v, bool) or not isinstance(v, types):
            raise dec.fail(f"ESN {k} = {v!r} is not a {' or '.join(t.__name__ for t in types)}")
        object.__setattr__(esn, k, v)  # a record of how W was made, not used by the ESN
    n, m = esn.n_reservoir, esn.n_outputs
    trained = state.get("Wout") is not None
    for k, shape in (("Wout", (n, m)), ("bias_out", (m,)), ("state", (n,)),
                     ("last_output", (m,))):
        v = state.get(k)
        if k in ("Wout", "bias_out") and not trained:
            continue
        # The compiled loop trusts these shapes: a wrong one would read out of bounds.
        if not (isinstance(v, np.ndarray) and v.dtype == np.float64 and v.shape == shape):
            raise dec.fail(f"ESN {k} must be a float64 array of shape {shape}, got {v!r:.80}")
        setattr(esn, k, v)
    return esn


def _crossbar_build(dec, cls, via, kwargs, state):
    if via is not None or set(state) - set(_CROSSBAR_META) - {"read_rng"}:
        raise dec.fail("the stored Crossbar has attributes Crossbar does not have")
    xb = cls(**kwargs)
    for k in _CROSSBAR_META:
        v = state.get(k)
        if isinstance(v, np.ndarray):
            shape = ((2,) if k == "faults" else ()) + xb.g_plus.shape
            if v.shape != shape:
                raise dec.fail(f"Crossbar {k} has shape {v.shape}, not {shape}")
            v.flags.writeable = False
        elif not (v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))):
            raise dec.fail(f"Crossbar {k} = {v!r} is not a number")
        setattr(xb, k, v)
    if "read_rng" in state:
        xb._read_rng.bit_generator.state = state["read_rng"]
    return xb


_BUILD = {_ESN: _esn_build, _CROSSBAR: _crossbar_build}


# --------------------------------------------------------------------------- public API

def _check_path(path):
    path = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(path, str) or not path:
        raise InvalidTypeError(f"path must be a file name (str or os.PathLike), got {path!r} "
                               f"({type(path).__name__})")
    return path


def _is_result(obj):
    from solvers.ensemble import EnsembleSolution
    from solvers.solution import Solution

    if isinstance(obj, (Solution, EnsembleSolution)):
        return True
    xr = sys.modules.get("xarray")
    return xr is not None and isinstance(obj, xr.Dataset)


def _write_atomically(path, write):
    """``write(tmp)`` a new file beside ``path``, then rename it: a failed save leaves no torn
    file (and an existing one intact). Not mkstemp: its 0600 mode would ignore the umask."""
    tmp = f"{path}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save(obj, path, *, graph=True):
    """Save a model to one ``.npz`` file, or a result to NetCDF (``path`` ending in ``.nc``).

    Parameters
    ----------
    obj : model or result
        ``CTRNN``, ``Hopfield``, ``BAM``, ``ContinuousBAM``, ``ContinuousHopfield``, ``ESN``
        (with its readout and current state), ``ContinuousESN``, ``DiscreteRNN``, ``LSM``
        (its structure); ``circuits.MemristiveNetwork``, ``Crossbar`` (with its read-noise
        stream), ``HopfieldTank``, ``HPMemristor``, ``VTEAM``. Or a ``solvers.Solution``,
        ``EnsembleSolution`` or the ``xarray.Dataset`` of their ``to_xarray()``.
    path : str or os.PathLike
        Written as given (no suffix added), through a temporary file. Results need ``.nc``
        (NetCDF 4, needs ``pip install 'neurodyn[io]'``); models any other name.
    graph : bool
        Also store ``obj.to_graph()`` as node-link JSON (entry ``__graph__.json``).

    Example
    -------
    >>> import json, os, tempfile, numpy as np, solvers
    >>> from neurodyn import CTRNN
    >>> from neurodyn.io import save, load
    >>> net = CTRNN([[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75], nodes=["a", ("b", 1)])
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "net.npz")
    >>> save(net, path)
    >>> with np.load(path) as f:                     # plain numpy and json read it
    ...     sorted(f.files), json.loads(f["__neurodyn__.json"].tobytes())["class"]
    (['W', '__graph__.json', '__neurodyn__.json', 'bias', 'gain', 'input.0', 'tau'],
     {'module': 'neurodyn.ctrnn', 'qualname': 'CTRNN'})
    >>> net2 = load(path)
    >>> net2.nodes
    ['a', ('b', 1)]
    >>> y, y2 = (solvers.solve(m, (0.0, 5.0), [0.1, 0.2]).y for m in (net, net2))
    >>> bool(np.array_equal(y, y2))
    True
    >>> tmp.cleanup()
    """
    path = _check_path(path)
    if not isinstance(graph, (bool, np.bool_)):
        raise InvalidTypeError(f"graph must be True or False, got {graph!r}")
    if _is_result(obj):
        if not path.lower().endswith(".nc"):
            raise ValueError(f"path {path!r}: a {type(obj).__name__} is saved as NetCDF; give "
                             "a path ending in '.nc'")
        from ._io_results import save_results

        return save_results(obj, path)
    if path.lower().endswith(".nc"):
        raise ValueError(f"path {path!r}: '.nc' is for results (Solution, EnsembleSolution); "
                         f"a {type(obj).__name__} is saved as .npz")
    key = _class_key(type(obj))
    if key not in _CLASSES:
        raise TypeError(f"save: obj is a {type(obj).__module__}.{type(obj).__qualname__}, "
                        "not a model neurodyn can save (see neurodyn.io for the list)")
    arrays = {}
    spec = _Encoder(arrays).object(obj, key, "")
    g = _graph_data(obj) if graph else None
    from neurodyn import __version__

    header = {"format": FORMAT, "version": VERSION, "neurodyn_version": __version__, **spec,
              "graph": GRAPH if g is not None else None}
    entries = {HEADER: _json_bytes(header)}
    if g is not None:
        entries[GRAPH] = _json_bytes(g)
    entries.update(arrays)

    def write(tmp):
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, a in entries.items():
                with zf.open(name + ".npy", "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, np.asanyarray(a), allow_pickle=False)

    _write_atomically(path, write)


def load(path):
    """Load what :func:`save` wrote: the model of a ``.npz`` file, or the ``xarray.Dataset``
    of a NetCDF result file (as ``Solution.to_xarray()`` made it; not a Solution).

    Raises :class:`FileFormatError` naming the file when it is not a neurodyn file, is
    truncated or corrupted, has a newer format version, or names a class outside the
    allow-list; ``FileNotFoundError`` when it does not exist.

    Example
    -------
    >>> import os, tempfile, numpy as np
    >>> from neurodyn import ESN
    >>> from neurodyn.io import save, load
    >>> u = np.sin(np.arange(300) * 0.2)
    >>> esn = ESN(20, seed=0).fit(u[:-1], u[1:], washout=50)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> save(esn, os.path.join(tmp.name, "esn.npz"))
    >>> esn2 = load(os.path.join(tmp.name, "esn.npz"))   # readout and state included
    >>> bool(np.array_equal(esn.generate(20), esn2.generate(20)))
    True
    >>> bad = os.path.join(tmp.name, "bad.npz")
    >>> with open(bad, "wb") as fh:
    ...     _ = fh.write(b"not a model")
    >>> load(bad)
    Traceback (most recent call last):
    ...
    neurodyn.io.FileFormatError: '.../bad.npz' is not a neurodyn file (.npz model or NetCDF result)
    >>> tmp.cleanup()
    """
    path = _check_path(path)
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if magic[:4] in _ZIP_MAGIC:
        return _load_model(path)
    if magic == _HDF5_MAGIC or magic[:3] == _NC3_MAGIC:
        from ._io_results import load_results

        return load_results(path, "h5netcdf" if magic == _HDF5_MAGIC else "scipy")
    raise FileFormatError(f"{path!r} is not a neurodyn file (.npz model or NetCDF result)")


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON (save tags non-finite floats)")


def _load_model(path):
    where = repr(path)
    try:
        f = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, EOFError, OSError, ValueError...
        raise FileFormatError(f"{where} is not a readable .npz file: {exc}") from None
    with f:
        try:
            raw = f[HEADER] if HEADER in f.files else None
            header = None
            if isinstance(raw, np.ndarray) and raw.dtype == np.uint8 and raw.ndim == 1:
                header = json.loads(raw.tobytes().decode("utf-8"),
                                    parse_constant=_refuse_constant)
        except Exception as exc:  # noqa: BLE001 - a torn zip member, bad UTF-8 or JSON
            raise FileFormatError(f"{where}: its header {HEADER!r} is unreadable: {exc}") \
                from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise FileFormatError(f"{where} is not a neurodyn model file (no {HEADER!r} "
                                  f"header of format {FORMAT!r})")
        version = header.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise FileFormatError(f"{where}: bad format version {version!r}")
        if version > VERSION:
            raise FileFormatError(
                f"{where} has format version {version} (written by neurodyn "
                f"{header.get('neurodyn_version', '?')}); this neurodyn reads format version "
                f"{VERSION} and older: upgrade neurodyn to load it")
        dec = _Decoder(f, where)
        try:
            return dec.object(header)
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise dec.fail(f"malformed header: {type(exc).__name__}: {exc}") from exc
