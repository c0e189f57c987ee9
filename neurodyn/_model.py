"""What every neurodyn model shares: immutability, pickling through the constructor, replace(),
and the checks of node names and edge weights when it is built from a graph.

A model's compiled kernels read the params tuple built at construction; rebinding an attribute
afterwards would silently disagree with it, so models lock themselves. Pickling goes through the
constructor so arrays come back read-only and validated (pickle would restore them writeable,
which would also change the Numba type of params and cost a recompilation).
"""
from __future__ import annotations

import math
import sys

import numpy as np

from solvers import _checks

__all__ = ["FrozenModel", "state_batch", "check_node_names", "edge_weight", "graph_nodes", "node_number",
           "node_values", "physical", "PHYSICAL_KINDS", "num", "summary", "clip", "tally"]


class FrozenModel:
    """Mixin for models built by their constructor from the arguments named in ``_ctor_args``.

    Subclasses store each constructor argument under its own name, then call ``_freeze()``.
    """

    _ctor_args: tuple = ()

    def _freeze(self):
        object.__setattr__(self, "_locked", True)

    def __setattr__(self, name, value):
        if getattr(self, "_locked", False):
            raise AttributeError(f"{type(self).__name__} is immutable; use replace({name}=...) "
                                 "for a changed copy")
        object.__setattr__(self, name, value)

    def _kwargs(self):
        return {k: getattr(self, k) for k in self._ctor_args}

    def __reduce__(self):
        return _rebuild, (type(self), self._kwargs())

    def _replaced_kwargs(self, kwargs, changes):
        """Hook: adjust the arguments of a replaced copy (default: take the changes as given)."""
        kwargs.update(changes)
        return kwargs

    def replace(self, **changes):
        """A copy with some constructor arguments changed (validated again; no recompilation)."""
        for key in changes:
            if key not in self._ctor_args:
                raise TypeError(f"replace() got an unexpected argument {key!r}; "
                                f"allowed: {', '.join(self._ctor_args)}")
        return type(self)(**self._replaced_kwargs(self._kwargs(), changes))


def _rebuild(cls, kwargs):
    return cls(**kwargs)


def check_node_names(nodes, n, per="node"):
    """Node names as a list of ``n`` distinct names (``range(n)`` when None).

    >>> check_node_names(None, 2)
    [0, 1]
    >>> check_node_names(["a", "a"], 2)
    Traceback (most recent call last):
    ...
    ValueError: nodes: duplicate node name 'a'
    """
    if nodes is None:
        return list(range(n))
    nodes = list(nodes)
    if len(nodes) != n:
        raise ValueError(f"nodes has {len(nodes)} names, expected {n} (one per {per})")
    seen = set()
    for v in nodes:
        if v in seen:
            raise ValueError(f"nodes: duplicate node name {v!r}")
        seen.add(v)
    return nodes


def _graph_number(x, where, attr):
    """``x`` as a finite float, or an error ``{where}{attr!r} ...`` naming the edge or node.

    Booleans, strings, complex numbers and other non-real values are refused (never coerced:
    ``float("0.5")`` or ``float(True)`` would silently turn junk into a weight).
    """
    tx = type(x)
    if tx is float or tx is int:
        v = float(x)
    elif _checks.is_quantity(x):
        _checks.refuse_quantity(f"{where}{attr!r}", x)
    elif not _checks._is_real_scalar(x):
        raise _checks.InvalidTypeError(f"{where}{attr!r} must be a number, got "
                                       f"{_checks._describe(x)}")
    else:
        v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"{where}{attr!r} = {v!r} is not finite")
    return v


def edge_weight(data, weight, default, u, v, arrow="->"):
    """The ``weight`` attribute of edge (u, v) as a finite float, or ``default`` when it has
    none.

    Raises a ValueError naming the edge when the weight is missing (and no default is given),
    is not finite, or is not a real number (an ``InvalidTypeError``, also a TypeError, for a
    bool, a string, a complex number...).

    >>> edge_weight({"weight": 2}, "weight", None, "a", "b")
    2.0
    >>> edge_weight({}, "weight", None, "a", "b")
    Traceback (most recent call last):
    ...
    ValueError: edge 'a' -> 'b' has no 'weight' attribute (pass default_weight= to allow that)
    >>> edge_weight({"weight": "0.5"}, "weight", None, "a", "b")
    Traceback (most recent call last):
    ...
    solvers._checks.InvalidTypeError: edge 'a' -> 'b': 'weight' must be a number, got '0.5' (str)
    >>> edge_weight({"weight": float("nan")}, "weight", None, "a", "b", "-")
    Traceback (most recent call last):
    ...
    ValueError: edge 'a' - 'b': 'weight' = nan is not finite
    """
    w = data.get(weight, default)
    if w is None:
        raise ValueError(f"edge {u!r} {arrow} {v!r} has no {weight!r} attribute (pass "
                         "default_weight= to allow that)")
    return _graph_number(w, f"edge {u!r} {arrow} {v!r}: ", weight)


def graph_nodes(G):
    """``(nodes, index)`` of a networkx graph: node order as built, and name -> position.

    Multigraphs (parallel edges would need a rule to combine them) and empty graphs are refused.

    >>> import networkx as nx
    >>> graph_nodes(nx.path_graph(["b", "a"]))
    (['b', 'a'], {'b': 0, 'a': 1})
    """
    if G.is_multigraph():
        raise ValueError("multigraphs are not supported: combine parallel edges into one "
                         "weighted edge first")
    nodes = list(G.nodes)
    if not nodes:
        raise ValueError("the graph has no nodes")
    return nodes, {v: i for i, v in enumerate(nodes)}


def node_number(x, node, attr):
    """``x`` as a finite float, or an error naming the node and the attribute (booleans,
    strings and complex numbers are refused, as for :func:`edge_weight`).

    >>> node_number(2, "a", "tau")
    2.0
    >>> node_number(True, "a", "tau")
    Traceback (most recent call last):
    ...
    solvers._checks.InvalidTypeError: node 'a': attribute 'tau' must be a number, got True (bool)
    """
    return _graph_number(x, f"node {node!r}: attribute ", attr)


def node_values(G, nodes, attr, default):
    """The numeric node attribute ``attr`` of every node, ``default`` where it is missing;
    ``default=None`` makes the attribute required.

    >>> import networkx as nx
    >>> G = nx.Graph(); G.add_node("a", tau=2.0); G.add_node("b")
    >>> node_values(G, ["a", "b"], "tau", 1.0)
    array([2., 1.])
    """
    vals = np.empty(len(nodes))
    checked = False
    for i, v in enumerate(nodes):
        data = G.nodes[v]
        if attr in data:
            vals[i] = node_number(data[attr], v, attr)
            continue
        if default is None:
            raise ValueError(f"node {v!r} has no {attr!r} attribute, and no default was given "
                             f"({attr}=None makes it required)")
        if not checked:
            # The argument's fault, not the node's: it is the default of nodes without it.
            default = _graph_number(default, "argument ", attr)
            checked = True
        vals[i] = default
    return vals


def state_batch(x, n, what, per):
    """``x`` as a float64 array of shape ``(..., n)`` with finite entries, or a ValueError that
    names the shape wanted (``per`` says what one entry is) or the first bad entry.

    >>> state_batch([[0.0, 1.0]], 2, "u", "one value per neuron").shape
    (1, 2)
    >>> state_batch([0.0, float("nan")], 2, "u", "one value per neuron")
    Traceback (most recent call last):
    ...
    ValueError: u[1] = nan is not finite
    """
    a = _checks.real_array(what, x, finite=False)
    if a.ndim == 0 or a.shape[-1] != n:
        raise ValueError(f"{what} must have shape (..., {n}) ({per}), got {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        k = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{what}[{', '.join(map(str, k))}] = {float(a[k])!r} is not finite")
    return a


# --------------------------------------------------------------------------- physical units
#
# The unit-aware entry points (neurodyn.lsm in mV, ms and Hz; circuits in SI) take brian2
# quantities through physical(): it checks the dimension and hands back plain numbers, which
# then go through the same checks as numbers typed by hand. Everything else refuses quantities
# (solvers._checks): the rate models have no physical units to convert into.

# kind: (the SI unit as messages write it, the brian2 unit's attribute path(s) multiplied
# and divided: numerator names, denominator names).
PHYSICAL_KINDS = {
    "resistance": ("ohm", ("ohm",), ()),
    "conductance": ("S", ("siemens",), ()),
    "voltage": ("V", ("volt",), ()),
    "current": ("A", ("amp",), ()),
    "time": ("s", ("second",), ()),
    "frequency": ("Hz", ("hertz",), ()),
    "capacitance": ("F", ("farad",), ()),
    "length": ("m", ("metre",), ()),
    "velocity": ("m/s", ("metre",), ("second",)),
    "mobility": ("m^2/(V s)", ("metre", "metre"), ("volt", "second")),
    "flux": ("V s", ("volt", "second"), ()),
    "dimensionless": ("", (), ()),
}
# Working units other than SI (the LSM's): unit -> (kind, brian2 name).
_SCALED_UNITS = {"mV": ("voltage", "mV"), "ms": ("time", "ms"), "Hz": ("frequency", "Hz")}


def _b2_unit(b2, kind, unit):
    if unit is not None:
        return getattr(b2, _SCALED_UNITS[unit][1])
    _, top, bottom = PHYSICAL_KINDS[kind]
    u = 1.0
    for a in top:
        u = u * getattr(b2, a)
    for a in bottom:
        u = u / getattr(b2, a)
    return u


def _decimal(a):
    """``a`` with every entry within 2 ulp of a decimal of at most 15 significant digits set
    to that decimal.

    For conversions into a working unit other than SI (the LSM's mV and ms): the quantity holds
    its value in SI, rounded once when it was made (15.7 ms as 0.0157), and dividing it by the
    unit rounds again (15.700000000000001, for about 1 % of short decimals): without this,
    ``delay=15.7*ms`` would not be the run of ``delay=15.7``. Two ulp cover both roundings.
    """
    flat = np.asarray(a, dtype=np.float64).ravel()
    dec = np.array([float(f"{v:.15g}") for v in flat.tolist()], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        near = np.abs(dec - flat) <= 2.0 * np.abs(np.spacing(flat))
    out = np.where(near, dec, flat).reshape(np.shape(a))
    return float(out) if out.ndim == 0 else out


def physical(name, value, kind, unit=None):
    """``value`` as plain numbers when it is a brian2 quantity of the right dimension: in SI
    (``unit=None``: the number the quantity holds) or in ``unit`` ("mV", "ms", "Hz": divided,
    then rid of the division's rounding, so ``0.1*ms`` is 0.1); anything else comes back
    unchanged, for the caller's own checks of plain numbers.

    ``kind`` is one of :data:`PHYSICAL_KINDS` (``"resistance"``, ``"voltage"``, ``"time"``...).
    A list or tuple holding quantities comes back as a list with each entry converted (plain
    entries kept: they are in the documented unit already). A quantity of another dimension,
    or of another units library, is refused with an ``InvalidTypeError`` (a TypeError and
    a ValueError) naming ``name`` and the dimension expected.

    brian2 is never imported here: a brian2 quantity exists only once brian2 has been imported,
    so its module is taken from ``sys.modules``.

    >>> physical("R_on", 100.0, "resistance")       # plain numbers: unchanged (SI)
    100.0
    >>> import brian2
    >>> physical("R_on", 3 * brian2.kohm, "resistance")
    3000.0
    >>> physical("dt", [0.1, 0.2] * brian2.ms, "time", unit="ms")
    array([0.1, 0.2])
    >>> physical("R_on", 1 * brian2.mV, "resistance")
    Traceback (most recent call last):
    ...
    solvers._checks.InvalidTypeError: R_on must be a resistance (ohm), got 1. mV
    """
    if isinstance(value, (list, tuple)):
        if _checks._first_quantity(value, name) is None:
            return value
        # Entry by entry: a plain number keeps meaning the documented unit, so [0, 1*ms] is
        # well defined here (brian2 itself refuses to mix, its plain numbers being unitless).
        return [physical(f"{name}[{k}]", v, kind, unit) for k, v in enumerate(value)]
    t = type(value)
    if t is float or t is int or t is np.ndarray:
        return value  # the common case: plain numbers, answered at once
    lib = None
    for c in t.__mro__:
        top = c.__module__.partition(".")[0]
        if top in _checks._UNIT_LIBRARIES:
            lib = top
            break
    if lib is None:
        return value
    text, _, _ = PHYSICAL_KINDS[kind] if unit is None else (unit, None, None)
    kind = kind if unit is None else _SCALED_UNITS[unit][0]
    want = (f"{kind}" if kind == "dimensionless" else
            f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} ({text or 'no unit'})")
    if lib != "brian2" or not hasattr(value, "dim"):
        raise _checks.InvalidTypeError(
            f"{name} must be {want}: a plain number or a brian2 quantity, got a {lib} "
            f"quantity {_checks.quantity_text(value)} (convert it to plain numbers in "
            f"{text or 'no unit'})")
    b2 = sys.modules["brian2"]
    target = _b2_unit(b2, kind, unit)
    if b2.get_dimensions(value) != b2.get_dimensions(target):
        raise _checks.InvalidTypeError(f"{name} must be {want}, got "
                                       f"{_checks.quantity_text(value)}")
    if unit is None:
        # SI: the number the quantity holds, as it is (3*nmetre is 3.0000000000000004e-09,
        # as 3 * 1e-9 is in Python); a computed array (np.linspace(0, 1, 11) * second) keeps
        # its exact values.
        out = np.array(value, dtype=np.float64)
        return float(out) if out.ndim == 0 else out
    return _decimal(np.asarray(value / target, dtype=np.float64))


# --------------------------------------------------------------------------- readable results
#
# Result objects hold whole trajectories, spectra and label maps; printing one must say what it
# is in a few lines (sizes, key numbers rounded), never dump its arrays: print(branch) of a
# continuation used to print 64,301 characters.

def num(x, digits=4):
    """A number as text with ``digits`` significant digits (complex as ``a+bj``).

    >>> num(3.14159265), num(float("nan")), num(12345678.0), num(-1 + 2j)
    ('3.142', 'nan', '1.235e+07', '-1+2j')
    """
    if isinstance(x, complex) or (isinstance(x, np.generic) and np.iscomplexobj(x)):
        z = complex(x)
        if z.imag == 0.0:
            return f"{z.real:.{digits}g}"
        return f"{z.real:.{digits}g}{z.imag:+.{digits}g}j"
    return f"{float(x):.{digits}g}"


def summary(a, items=4, digits=4):
    """An array as short text: its values (rounded) when it has at most ``items``, else the
    first ``items``, how many there are and their range; a 2-D or larger array as its shape
    and range.

    >>> summary([1.0, 2.5])
    '[1, 2.5]'
    >>> summary(np.arange(100.0))
    '[0, 1, 2, 3, ...] (100 values in [0, 99])'
    >>> summary(np.zeros((300, 4)))
    'shape (300, 4), values in [0, 0]'
    """
    if a is None:
        return "None"
    arr = np.asarray(a)
    if arr.size == 0:
        return f"empty, shape {arr.shape}"
    if arr.dtype.kind not in "biufc":
        return f"shape {arr.shape}, dtype {arr.dtype}"
    if arr.ndim == 0:
        return num(arr.item(), digits)
    flat = arr.ravel()
    real = flat.real.astype(np.float64) if arr.dtype.kind == "c" else flat.astype(np.float64)
    finite = real[np.isfinite(real)]
    what = "real parts" if arr.dtype.kind == "c" else "values"
    rng = (f"{what} in [{num(finite.min(), digits)}, {num(finite.max(), digits)}]"
           if finite.size else f"no finite {what}")
    if finite.size and finite.size < real.size:
        rng += f", {real.size - finite.size} not finite"
    if arr.ndim > 1:
        return f"shape {arr.shape}, {rng}"
    head = ", ".join(num(v, digits) for v in flat[:items].tolist())
    if flat.size <= items:
        return f"[{head}]"
    if what == "values":
        return f"[{head}, ...] ({flat.size} {rng})"
    return f"[{head}, ...] ({flat.size} values, {rng})"


def clip(text, limit=160):
    """``text`` on one line, cut to ``limit`` characters (messages can run long).

    >>> clip("a  b\\nc"), clip("x" * 10, 6)
    ('a b c', 'xxx...')
    """
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def tally(labels):
    """Counts of each distinct label, most common first: ``'saddle x3, stable node x1'``.

    >>> tally(["a", "b", "a"])
    'a x2, b x1'
    """
    counts = {}
    for v in labels:
        counts[v] = counts.get(v, 0) + 1
    return ", ".join(f"{k} x{c}" for k, c in sorted(counts.items(), key=lambda kv: -kv[1]))
