"""What every neurodyn model shares: immutability, pickling through the constructor, replace(),
and the checks of node names and edge weights when it is built from a graph.

A model's compiled kernels read the params tuple built at construction; rebinding an attribute
afterwards would silently disagree with it, so models lock themselves. Pickling goes through the
constructor so arrays come back read-only and validated (pickle would restore them writeable,
which would also change the Numba type of params and cost a recompilation).
"""
from __future__ import annotations

import math

import numpy as np

from solvers import _checks

__all__ = ["FrozenModel", "state_batch", "check_node_names", "edge_weight", "graph_nodes", "node_number",
           "node_values"]


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
