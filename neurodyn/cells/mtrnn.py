"""Multiple-timescale recurrent networks (MTRNN, Yamashita & Tani 2008) as dynamical systems.

An MTRNN is a CTRNN whose neurons fall into groups of distinct time constants: input-output
units (fast), fast context units, slow context units. The paper's discrete update is::

    u_i[t+1] = (1 - 1/tau_i) u_i[t] + (1/tau_i) (sum_j W[i, j] y_j[t] + I_i[t]),
    y_j[t] = act(u_j[t] + b_j)

(``act`` the logistic sigmoid; the external input ``I = W_in x`` of ``m`` channels). That is
forward Euler with ``dt = 1`` of the CTRNN ``tau_i du_i/dt = -u_i + sum_j W[i, j]
act(g_j (u_j + b_j)) + I_i(t)`` (``g = 1``): :class:`MTRNN` is the map (any ``dt``: ``u' = u +
dt f(u)``), and :meth:`MTRNN.continuous` the :class:`neurodyn.CTRNN` itself, its compiled
kernels and parameters reused as they are (the map calls the CTRNN's own right-hand side).

Reference: Y. Yamashita, J. Tani, "Emergence of functional hierarchy in a multiple timescale
neural network model: a humanoid robot experiment", PLoS Computational Biology 4(11),
e1000220 (2008).
"""
from __future__ import annotations

import functools
import numbers

import numpy as np
import scipy.sparse as sp

from solvers._checks import InvalidTypeError, real_array

from .. import _kernels_ctrnn as _kc
from .._model import graph_nodes, node_number
from ..ctrnn import CTRNN
from ..inputs import Constant, Sampled
from . import _kernels_basic as _k
from ._kernels_basic_host import (CellMap, activation_name, cell_input, check_activation,
                                  import_torch, names, positive_dt, state_dict_of,
                                  torch_activation, torch_base, torch_dtype, weights)

__all__ = ["MTRNN"]

_ACTIVATIONS = tuple(_kc.ACTIVATIONS)  # the CTRNN's: sigmoid, tanh


def _size(W):
    if sp.issparse(W):
        return W.shape[0] if W.ndim == 2 else 0
    a = real_array("W", W, finite=False)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise ValueError(f"W must be a non-empty square matrix (n, n), got shape {a.shape}")
    return a.shape[0]


def _tau(tau, groups, labels):
    """Per-neuron tau from a number, an (n,) array, or a dict group -> tau."""
    if not isinstance(tau, dict):
        return tau
    if groups is None:
        raise ValueError("tau is a dict of per-group time constants, but no groups were given "
                         "(groups=, one label per neuron, or from_graph with a 'group' node "
                         "attribute)")
    out = np.empty(len(labels))
    for i, g in enumerate(groups):
        if g not in tau:
            known = ", ".join(map(repr, tau))
            raise ValueError(f"neuron {labels[i]!r} is in group {g!r}, which tau does not "
                             f"name (tau has {known})")
        out[i] = node_number(tau[g], labels[i], f"tau of group {g!r}")
    return out


def _drive(inp, W_in):
    """The per-neuron drive ``I(t) = W_in x(t)`` as an Input of the CTRNN's n channels."""
    if W_in is None:
        return inp
    n, m = W_in.shape
    if isinstance(inp, Constant):
        return Constant(W_in @ np.broadcast_to(inp.value, (m,)))
    if isinstance(inp, Sampled):
        vals = np.broadcast_to(inp.values, (inp.times.shape[0], m))
        return Sampled(inp.times, vals @ W_in.T, interp=inp.interp)
    raise ValueError(f"input {type(inp).__name__} through W_in: W_in mixes its channels into "
                     "a sum the CTRNN's inputs cannot represent; sample it "
                     "(neurodyn.Sampled(times, values)) or pass W_in=None")


class MTRNN(CellMap):
    """Yamashita and Tani's multiple-timescale RNN as a map, for ``solvers.iterate``:
    ``u' = u + (dt / tau) (-u + W act(g (u + b)) + W_in x(k dt))``.

    With ``dt = 1`` this is the paper's ``u' = (1 - 1/tau) u + (1/tau) (W y + I)``.

    Parameters
    ----------
    W : array_like (n, n) or scipy.sparse matrix
        ``W[i, j]`` from neuron ``j`` to neuron ``i`` (stored as a CTRNN stores it).
    tau : float, array_like (n,), or dict
        Time constants (positive); a dict maps each group (see ``groups``) to its tau,
        e.g. ``{"io": 2, "fast": 5, "slow": 70}`` as in the paper.
    bias, gain : float or array_like (n,)
        ``b`` and ``g`` inside the activation (``g = 1`` in the paper).
    W_in : array_like (n, m), optional
        Input weights; ``None`` is the identity (``m = n``: the input drives each neuron).
    input : float, array_like (m,) or (T, m), or neurodyn Input
        ``x``: constant, a sequence (row ``k`` read at step ``k``), ``Constant`` or ``Sampled``
        (a ``Sinusoid`` only with ``W_in=None``).
    activation : {"sigmoid", "tanh"}
    dt : float
        The step (1 in the paper).
    groups : sequence of n labels, optional
        The group of each neuron (``"io"``, ``"fast"``, ``"slow"``...).
    nodes : list, optional
        Neuron names.

    Notes
    -----
    ``step``, ``jac`` (analytic: ``I + dt J_CTRNN``), ``params``: the
    :class:`solvers.MapSystem` protocol.

    Example
    -------
    >>> net = MTRNN(np.zeros((3, 3)), tau={"io": 2.0, "slow": 10.0},
    ...             groups=["io", "io", "slow"], input=1.0)
    >>> net.tau
    array([ 2.,  2., 10.])
    >>> net.run(np.ones((2, 3)))[-1].round(4)     # u' = (1 - 1/tau) u + x / tau
    array([0.75, 0.75, 0.19])
    """

    _ctor_args = ("W", "tau", "bias", "gain", "W_in", "input", "activation", "dt", "groups",
                  "nodes")

    def __init__(self, W, tau=1.0, bias=0.0, gain=1.0, *, W_in=None, input=0.0,
                 activation="sigmoid", dt=1.0, groups=None, nodes=None):
        n = _size(W)
        labels = names(nodes, n, "row of W")
        if groups is not None:
            if isinstance(groups, (str, bytes)):
                raise InvalidTypeError("groups must be a sequence of n labels, one per neuron, "
                                       f"got a string {groups!r}")
            groups = list(groups)
            if len(groups) != n:
                raise ValueError(f"groups has {len(groups)} labels, expected {n} (one per "
                                 "neuron)")
        activation = check_activation(activation, allowed=_ACTIVATIONS)
        dt = positive_dt(dt)
        if W_in is not None:
            W_in = weights(W_in, "W_in", 2,
                           lambda idx: f"input {idx[1]} -> neuron {labels[idx[0]]!r}",
                           shape=(n, None))
        m = n if W_in is None else W_in.shape[1]
        inp = cell_input(input, m, dt=dt)
        net = CTRNN(W, tau=_tau(tau, groups, labels), bias=bias, gain=gain,
                    input=_drive(inp, W_in), activation=activation, nodes=labels)
        step, jac = _k.mtrnn_map_kernels(net.sparse, net.blas)
        super().__init__(step, n, params=(dt, net.params), jac=jac, name="MTRNN")
        self.W, self.tau, self.bias, self.gain = net.W, net.tau, net.bias, net.gain
        self.W_in = W_in
        self.input = inp
        self.activation = activation
        self.dt = dt
        self.groups = groups
        self.nodes = labels
        self.n_inputs = m
        self._ctrnn = net
        self._freeze()

    def continuous(self):
        """The CTRNN ``tau du/dt = -u + W act(g (u + b)) + W_in x(t)`` whose Euler step
        ``dt`` is this map (the network's own CTRNN: same kernels, same parameters).

        >>> MTRNN(np.zeros((2, 2)), tau=[2.0, 8.0]).continuous()
        CTRNN(n=2, dense, activation='sigmoid', input=Constant(0.0))
        """
        return self._ctrnn

    @classmethod
    def from_ctrnn(cls, net, dt=1.0, groups=None):
        """The MTRNN map whose step ``dt`` is forward Euler of a :class:`~neurodyn.CTRNN`
        (its input driving each neuron, ``W_in = None``).

        >>> MTRNN.from_ctrnn(CTRNN(np.zeros((2, 2)), tau=[1.0, 4.0]), dt=0.5).tau
        array([1., 4.])
        """
        if not isinstance(net, CTRNN):
            raise InvalidTypeError(f"MTRNN.from_ctrnn needs a neurodyn CTRNN, got "
                                   f"{type(net).__name__}")
        return cls(net.W, net.tau, net.bias, net.gain, input=net.input,
                   activation=net.activation, dt=dt, groups=groups, nodes=net.nodes)

    @classmethod
    def from_graph(cls, G, *, tau, group="group", weight="weight", bias=0.0, gain=1.0,
                   W_in=None, input=0.0, activation="sigmoid", dt=1.0, default_weight=None):
        """An MTRNN from a networkx graph whose nodes carry their group.

        Every node needs the ``group`` attribute (e.g. ``"io"``, ``"fast"``, ``"slow"``);
        ``tau`` maps each group to its time constant (or is one number). Edges and the node
        attributes ``bias`` and ``gain`` follow :meth:`neurodyn.CTRNN.from_graph` (an edge
        ``u -> v`` with weight ``w`` is ``W[v, u] = w``; ``bias``, ``gain`` are the defaults
        of nodes without them). The other arguments are the constructor's.

        >>> import networkx as nx
        >>> G = nx.DiGraph()
        >>> G.add_node("in", group="io"); G.add_node("c", group="slow")
        >>> G.add_edge("in", "c", weight=1.5)
        >>> net = MTRNN.from_graph(G, tau={"io": 2, "slow": 70})
        >>> net.tau, net.groups, float(net.W[1, 0])
        (array([ 2., 70.]), ['io', 'slow'], 1.5)
        """
        nodes, _ = graph_nodes(G)
        if not isinstance(group, str):
            raise InvalidTypeError(f"group must be the name of a node attribute (a str), got "
                                   f"{group!r}")
        groups = []
        for v in nodes:
            if group not in G.nodes[v]:
                raise ValueError(f"node {v!r} has no {group!r} attribute: every node of an "
                                 f"MTRNN graph needs its group (e.g. 'io', 'fast', 'slow')")
            groups.append(G.nodes[v][group])
        if not isinstance(tau, (dict, numbers.Real)) or isinstance(tau, bool):
            raise InvalidTypeError(f"tau must be a dict group -> tau or a number, got "
                                   f"{type(tau).__name__}")
        # The CTRNN's reading of the graph: edges, bias and gain, with its named errors.
        net = CTRNN.from_graph(G, weight=weight, tau=1.0, bias=bias, gain=gain, input=0.0,
                               activation=activation, default_weight=default_weight)
        return cls(net.W, tau, net.bias, net.gain, W_in=W_in, input=input,
                   activation=activation, dt=dt, groups=groups, nodes=nodes)

    def to_torch(self, dtype=None):
        """An ``MTRNNModule`` (a ``torch.nn.Module``; torch has no MTRNN) computing this map
        over a sequence: ``module(x)``, ``x`` of shape ``(T, m)`` or ``(T, B, m)``, returns
        ``(u[1..T], u[T])``. Its state_dict holds ``weight_hh`` (W, dense), ``weight_ih``
        (W_in), ``bias``, ``gain``, ``tau``, ``dt``, ``activation_code``.
        """
        torch = import_torch("MTRNN.to_torch")
        W = self.W.toarray() if sp.issparse(self.W) else np.array(self.W)
        W_in = np.eye(self.n_states) if self.W_in is None else self.W_in
        arrays = {"weight_hh": W, "weight_ih": W_in, "bias": self.bias, "gain": self.gain,
                  "tau": self.tau, "dt": np.array(self.dt)}
        dtype = torch_dtype(torch, dtype, arrays.values())
        mod = _torch_module()(self.n_inputs, self.n_states, self.activation, dtype=dtype)
        with torch.no_grad():
            for name, a in arrays.items():
                getattr(mod, name).copy_(torch.as_tensor(np.array(a), dtype=dtype))
        return mod

    @classmethod
    def from_torch(cls, module, *, input=0.0, groups=None, nodes=None):
        """The MTRNN of an ``MTRNNModule`` or of its state_dict (float64 copies;
        ``from_torch(m.to_torch())`` is exact; ``W_in`` comes back as the matrix it was,
        the identity included).

        >>> import torch
        >>> net = MTRNN(np.zeros((2, 2)), tau=[2.0, 8.0], dt=0.5)
        >>> back = MTRNN.from_torch(net.to_torch().state_dict())
        >>> back.tau, back.dt
        (array([2., 8.]), 0.5)
        """
        keys = ("weight_hh", "weight_ih", "bias", "gain", "tau", "dt", "activation_code")
        sd = state_dict_of(module, keys, "MTRNN.from_torch")
        act = activation_name(sd["activation_code"], "MTRNN.from_torch")
        return cls(sd["weight_hh"], sd["tau"], sd["bias"], sd["gain"], W_in=sd["weight_ih"],
                   input=input, activation=act, dt=float(sd["dt"]), groups=groups,
                   nodes=nodes)

    def __repr__(self):
        grp = "" if self.groups is None else f", groups={sorted(set(map(str, self.groups)))}"
        return (f"MTRNN(n={self.n_states}, n_inputs={self.n_inputs}, dt={self.dt!r}"
                f"{grp})")


@functools.cache
def _torch_module():
    torch = import_torch("MTRNN.to_torch")

    class MTRNNModule(torch_base()):
        """``u' = u + dt (-u + act(g (u + b)) W^T + x W_in^T) / tau`` over a sequence."""

        def __init__(self, input_size, hidden_size, activation="sigmoid", dtype=None):
            super().__init__()
            code = _k.ACTIVATIONS[check_activation(activation, allowed=_ACTIVATIONS)]
            self.input_size, self.hidden_size = input_size, hidden_size
            self.state_size = self.output_size = hidden_size
            z = functools.partial(torch.zeros, dtype=dtype)
            self.weight_hh = torch.nn.Parameter(z(hidden_size, hidden_size))
            self.weight_ih = torch.nn.Parameter(z(hidden_size, input_size))
            self.bias = torch.nn.Parameter(z(hidden_size))
            self.register_buffer("gain", torch.ones(hidden_size, dtype=dtype))
            self.register_buffer("tau", torch.ones(hidden_size, dtype=dtype))
            self.register_buffer("dt", torch.ones((), dtype=dtype))
            self.register_buffer("activation_code", torch.tensor(code))

        def cell(self, x, u):
            act = torch_activation(torch, activation_name(self.activation_code, "MTRNNModule"))
            s = act(self.gain * (u + self.bias))
            f = (x @ self.weight_ih.T - u + s @ self.weight_hh.T) / self.tau
            u = u + self.dt * f
            return u, u

    MTRNNModule.__module__ = __name__
    MTRNNModule.__qualname__ = "MTRNNModule"
    return MTRNNModule


def __getattr__(name):
    # Lets pickle find the lazily built torch class by name.
    if name == "MTRNNModule":
        return _torch_module()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
