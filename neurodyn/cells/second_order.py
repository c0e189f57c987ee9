"""Second-order (multiplicative) recurrent networks (Giles et al. 1992) as dynamical systems.

The input multiplies the state: a weight ``W[i, j, k]`` couples input channel ``j`` and neuron
``k`` into neuron ``i``::

    h_i[k+1] = act(sum_{j, q} W[i, j, q] x_j[k] h_q[k] + b_i)

so each input symbol selects its own recurrent matrix ``M(x) = sum_j x_j W[:, j, :]`` (with
one-hot inputs, the transition matrix of the symbol: how these networks learn and represent
finite-state automata). :class:`SecondOrderRNN` is that map, leaky as the other cells of
``neurodyn.cells`` (``h' = decay * h + leak * act(...)``, ``leak = 1, decay = 0`` the published
cell); :class:`ContinuousSecondOrderRNN` is ``tau dh/dt = -h + act(...)``, whose forward-Euler
step ``dt`` is the map with ``leak = dt / tau``.

Reference: C. L. Giles, C. B. Miller, D. Chen, H. H. Chen, G. Z. Sun, Y. C. Lee, "Learning and
extracting finite state automata with second-order recurrent neural networks", Neural
Computation 4(3), 393-405 (1992).
"""
from __future__ import annotations

import functools

import numpy as np

from . import _kernels_basic as _k
from ._kernels_basic_host import (CellFlow, CellMap, activation_name, cell_input,
                                  check_activation, check_method, default_dt, euler_form,
                                  euler_leak, frozen, import_torch, leak_decay, names,
                                  positive_dt, state_dict_of, tau_of_leak, torch_activation,
                                  torch_base, torch_dtype, vector, weights)
from ..inputs import encode

__all__ = ["SecondOrderRNN", "ContinuousSecondOrderRNN"]


def _arrays(W, b, nodes):
    W = weights(W, "W", 3,
                lambda idx: f"input {idx[1]} x neuron {idx[2]} -> neuron {idx[0]}")
    n, m, n2 = W.shape
    if n2 != n:
        raise ValueError(f"W has shape {W.shape}, expected (n, m, n): W[i, j, k] couples input "
                         f"j and neuron k into neuron i, so its first and last axes are both "
                         "the neurons")
    labels = names(nodes, n, "neuron (first axis of W)")
    b = vector(b, n, "b", labels)
    # Wt[j] is the n x n recurrent matrix of input channel j, contiguous (see the kernels).
    return W, frozen(W.transpose(1, 0, 2)), b, n, m, labels


class SecondOrderRNN(CellMap):
    """The second-order map ``h'_i = decay_i h_i + leak_i act(sum_jk W[i, j, k] x_j h_k + b_i)``
    for ``solvers.iterate``.

    Parameters
    ----------
    W : array_like, shape (n, m, n)
        ``W[i, j, k]``: input channel ``j`` times neuron ``k`` into neuron ``i``.
    b : float or array_like, shape (n,)
    activation : {"sigmoid", "tanh", "relu", "identity"}
        ``"sigmoid"`` is Giles et al.'s.
    input, leak, decay, dt, nodes
        As for :class:`~neurodyn.cells.indrnn.IndRNN`.

    Notes
    -----
    ``step``, ``jac`` (analytic), ``params``, ``n_states``: the :class:`solvers.MapSystem`
    protocol. :meth:`transition` is the recurrent matrix an input selects.

    Example
    -------
    One-hot inputs select a matrix: symbol 0 swaps the two neurons, symbol 1 keeps them.

    >>> W = np.zeros((2, 2, 2))
    >>> W[:, 0, :] = [[0, 1], [1, 0]]
    >>> W[:, 1, :] = np.eye(2)
    >>> rnn = SecondOrderRNN(W, activation="identity")
    >>> rnn.run([[1, 0], [0, 1], [1, 0]], h0=[1.0, 0.0])
    array([[0., 1.],
           [0., 1.],
           [1., 0.]])
    """

    _ctor_args = ("W", "b", "activation", "input", "leak", "decay", "dt", "nodes")

    def __init__(self, W, b=0.0, *, activation="sigmoid", input=0.0, leak=1.0, decay=None,
                 dt=1.0, nodes=None):
        W, Wt, b, n, m, labels = _arrays(W, b, nodes)
        activation = check_activation(activation)
        dt = positive_dt(dt)
        leak, decay = leak_decay(leak, decay, n, labels)
        inp = cell_input(input, m, dt=dt)
        params = (Wt, b, decay, leak, _k.ACTIVATIONS[activation], dt) + encode(inp, m)
        super().__init__(_k.second_order_step, n, params=params, jac=_k.second_order_step_jac,
                         name="SecondOrderRNN")
        self.W, self.b = W, b
        self.activation = activation
        self.input = inp
        self.leak, self.decay = leak, decay
        self.dt = dt
        self.nodes = labels
        self.n_inputs = m
        self._freeze()

    def transition(self, x):
        """The recurrent matrix ``M(x)[i, k] = sum_j W[i, j, k] x_j`` of an input ``x``.

        >>> SecondOrderRNN(np.ones((2, 1, 2))).transition([0.5])
        array([[0.5, 0.5],
               [0.5, 0.5]])
        """
        x = vector(x, self.n_inputs, "x", list(range(self.n_inputs)), what="input channel")
        return np.einsum("ijk,j->ik", self.W, x)

    def continuous(self, method="euler"):
        """The :class:`ContinuousSecondOrderRNN` whose step ``dt`` is this map
        (``tau = dt / leak`` for Euler; needs ``decay = 1 - leak``).

        >>> SecondOrderRNN(np.ones((1, 1, 1)), leak=0.5).continuous().tau
        array([2.])
        """
        method = check_method(method)
        euler_form(self.leak, self.decay, self.nodes)
        tau = tau_of_leak(self.dt, self.leak, self.decay, method, self.nodes)
        return ContinuousSecondOrderRNN(self.W, self.b, tau=tau, activation=self.activation,
                                        input=self.input, nodes=self.nodes)

    def to_torch(self, dtype=None):
        """A ``SecondOrderModule`` (a ``torch.nn.Module``) computing this map over a sequence:
        ``module(x)``, ``x`` of shape ``(T, m)`` or ``(T, B, m)``, returns ``(h[1..T], h[T])``.
        Its state_dict holds ``weight`` (W, ``(n, m, n)``), ``bias``, ``leak``, ``decay``,
        ``activation_code``; ``dtype`` as for ``IndRNN.to_torch``.
        """
        torch = import_torch("SecondOrderRNN.to_torch")
        dtype = torch_dtype(torch, dtype, (self.W, self.b, self.leak, self.decay))
        mod = _torch_module()(self.n_inputs, self.n_states, self.activation, dtype=dtype)
        with torch.no_grad():
            for name, a in (("weight", self.W), ("bias", self.b), ("leak", self.leak),
                            ("decay", self.decay)):
                getattr(mod, name).copy_(torch.as_tensor(np.array(a), dtype=dtype))
        return mod

    @classmethod
    def from_torch(cls, module, *, input=0.0, dt=1.0, nodes=None):
        """The SecondOrderRNN of a ``SecondOrderModule`` or of its state_dict (float64
        copies; ``from_torch(m.to_torch())`` is exact).

        >>> import torch
        >>> back = SecondOrderRNN.from_torch(SecondOrderRNN(np.ones((2, 1, 2))).to_torch())
        >>> back.W.shape, back.activation
        ((2, 1, 2), 'sigmoid')
        """
        sd = state_dict_of(module, ("weight", "bias", "leak", "decay", "activation_code"),
                           "SecondOrderRNN.from_torch")
        act = activation_name(sd["activation_code"], "SecondOrderRNN.from_torch")
        return cls(sd["weight"], sd["bias"], activation=act, input=input, leak=sd["leak"],
                   decay=sd["decay"], dt=dt, nodes=nodes)

    def __repr__(self):
        return (f"SecondOrderRNN(n={self.n_states}, n_inputs={self.n_inputs}, "
                f"activation={self.activation!r}, dt={self.dt!r})")


class ContinuousSecondOrderRNN(CellFlow):
    """The second-order network in continuous time,
    ``tau_i dh_i/dt = -h_i + act(sum_jk W[i, j, k] x_j(t) h_k + b_i)``, for ``solvers.solve``.

    Parameters as for :class:`SecondOrderRNN`, with ``tau`` instead of ``leak``, ``decay``,
    ``dt``; a time-varying input is an :class:`~neurodyn.inputs.Input` read at ``t``.
    :meth:`discrete` is its step as a :class:`SecondOrderRNN`.

    Example
    -------
    >>> flow = ContinuousSecondOrderRNN(np.full((1, 1, 1), 2.0), tau=0.5,
    ...                                 activation="identity", input=1.0)
    >>> dhdt = np.empty(1)
    >>> flow.rhs(0.0, np.array([1.0]), flow.params, dhdt)     # (-1 + 2 * 1 * 1) / 0.5
    >>> dhdt
    array([2.])
    """

    _ctor_args = ("W", "b", "tau", "activation", "input", "nodes")

    def __init__(self, W, b=0.0, *, tau=1.0, activation="sigmoid", input=0.0, nodes=None):
        W, Wt, b, n, m, labels = _arrays(W, b, nodes)
        activation = check_activation(activation)
        tau = vector(tau, n, "tau", labels, positive=True)
        inp = cell_input(input, m)
        params = (Wt, b, frozen(1.0 / tau), _k.ACTIVATIONS[activation]) + encode(inp, m)
        super().__init__(_k.second_order_rhs, n, params=params, jac=_k.second_order_jac,
                         name="ContinuousSecondOrderRNN")
        self.W, self.b, self.tau = W, b, tau
        self.activation = activation
        self.input = inp
        self.nodes = labels
        self.n_inputs = m
        self._freeze()

    def discrete(self, dt=None, method="euler"):
        """The :class:`SecondOrderRNN` of one step ``dt`` (default ``tau``, one value: the
        published cell, ``leak = 1``); ``method`` ``"euler"`` or ``"exponential"``.

        >>> ContinuousSecondOrderRNN(np.ones((1, 1, 1)), tau=2.0).discrete(0.5).leak
        array([0.25])
        """
        dt = default_dt(dt, self.tau)
        method = check_method(method)
        leak, decay = euler_leak(dt, self.tau, method)
        return SecondOrderRNN(self.W, self.b, activation=self.activation, input=self.input,
                              leak=leak, decay=decay, dt=dt, nodes=self.nodes)

    def __repr__(self):
        return (f"ContinuousSecondOrderRNN(n={self.n_states}, n_inputs={self.n_inputs}, "
                f"activation={self.activation!r})")


@functools.cache
def _torch_module():
    torch = import_torch("SecondOrderRNN.to_torch")

    class SecondOrderModule(torch_base()):
        """``h'_i = decay_i h_i + leak_i act(sum_jk W[i, j, k] x_j h_k + b_i)`` over a
        sequence."""

        def __init__(self, input_size, hidden_size, activation="sigmoid", dtype=None):
            super().__init__()
            code = _k.ACTIVATIONS[check_activation(activation)]
            self.input_size, self.hidden_size = input_size, hidden_size
            self.state_size = self.output_size = hidden_size
            z = functools.partial(torch.zeros, dtype=dtype)
            self.weight = torch.nn.Parameter(z(hidden_size, input_size, hidden_size))
            self.bias = torch.nn.Parameter(z(hidden_size))
            self.register_buffer("leak", torch.ones(hidden_size, dtype=dtype))
            self.register_buffer("decay", z(hidden_size))
            self.register_buffer("activation_code", torch.tensor(code))

        def cell(self, x, h):
            act = torch_activation(torch, activation_name(self.activation_code,
                                                          "SecondOrderModule"))
            z = torch.einsum("ijk,bj,bk->bi", self.weight, x, h) + self.bias
            h = self.decay * h + self.leak * act(z)
            return h, h

    SecondOrderModule.__module__ = __name__
    SecondOrderModule.__qualname__ = "SecondOrderModule"
    return SecondOrderModule


def __getattr__(name):
    # Lets pickle find the lazily built torch class by name.
    if name == "SecondOrderModule":
        return _torch_module()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
