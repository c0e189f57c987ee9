"""Independently recurrent neural networks (IndRNN, Li et al. 2018) as dynamical systems.

The IndRNN update has a *diagonal* recurrence: every neuron sees only its own past::

    h[k+1] = act(W x[k] + u * h[k] + b)

(``*`` elementwise, ``W`` of shape ``(n, m)``, ``u`` and ``b`` of shape ``(n,)``; ReLU in the
paper). :class:`IndRNN` is that map, made leaky as the other cells of ``neurodyn.cells``:
``h' = decay * h + leak * act(...)``, ``leak = 1, decay = 0`` being the published cell.

Its continuous-time form, :class:`ContinuousIndRNN`, is ``tau dh/dt = -h + act(W x(t) + u * h
+ b)``: forward Euler with step ``dt`` is the leaky map with ``leak = dt / tau`` (so the
published map is the Euler step ``dt = tau``), exponential Euler the one with
``leak = 1 - exp(-dt / tau)``.

Reference: S. Li, W. Li, C. Cook, C. Zhu, Y. Gao, "Independently Recurrent Neural Network
(IndRNN): Building A Longer and Deeper RNN", CVPR 2018 (arXiv:1803.04831).
"""
from __future__ import annotations

import functools

import numpy as np

from solvers._checks import real_number

from . import _kernels_basic as _k
from ._kernels_basic_host import (CellFlow, CellMap, activation_name, cell_input,
                                  check_activation, check_method, default_dt, euler_form,
                                  euler_leak, frozen, import_torch, leak_decay, names,
                                  positive_dt, state_dict_of, tau_of_leak, torch_activation,
                                  torch_base, torch_dtype, vector, weights)
from ..inputs import encode

__all__ = ["IndRNN", "ContinuousIndRNN"]


def _arrays(W, u, b, nodes):
    W = weights(W, "W", 2, lambda idx: f"input {idx[1]} -> neuron {idx[0]}")
    n, m = W.shape
    labels = names(nodes, n, "row of W")
    u = vector(u, n, "u", labels)
    b = vector(b, n, "b", labels)
    return W, u, b, n, m, labels


class IndRNN(CellMap):
    """The IndRNN map ``h' = decay h + leak act(W x_k + u * h + b)`` for ``solvers.iterate``.

    Parameters
    ----------
    W : array_like, shape (n, m)
        Input weights, ``W[i, j]`` from input channel ``j`` to neuron ``i``.
    u : float or array_like, shape (n,)
        The recurrent weights, one per neuron (the diagonal recurrence).
    b : float or array_like, shape (n,)
        Biases.
    activation : {"relu", "tanh", "sigmoid", "identity"}
        ``"relu"`` is the paper's.
    input : float, array_like (m,) or (T, m), or neurodyn Input
        ``x``: constant, a sequence (row ``k`` read at step ``k``, the last row held after the
        end) or an Input read at ``t = k dt``.
    leak, decay : float or array_like (n,)
        The leaky form; ``leak = 1`` with ``decay`` defaulting to ``1 - leak`` is the cell.
    dt : float
        The time of one step: the map reads its input at ``t = k dt``, and
        :meth:`continuous` relates ``leak`` to ``tau`` through it.
    nodes : list, optional
        Neuron names (default ``range(n)``).

    Notes
    -----
    ``step``, ``jac`` (analytic, diagonal), ``params``, ``n_states``: the
    :class:`solvers.MapSystem` protocol. :meth:`run` iterates over a sequence.

    Example
    -------
    >>> cell = IndRNN([[1.0], [2.0]], u=[0.5, -1.0], b=0.0, activation="relu")
    >>> cell.run([[1.0], [0.0]], h0=[0.0, 0.0])     # relu(x + 0.5 h), relu(2x - h)
    array([[1. , 2. ],
           [0.5, 0. ]])
    """

    _ctor_args = ("W", "u", "b", "activation", "input", "leak", "decay", "dt", "nodes")

    def __init__(self, W, u, b=0.0, *, activation="relu", input=0.0, leak=1.0, decay=None,
                 dt=1.0, nodes=None):
        W, u, b, n, m, labels = _arrays(W, u, b, nodes)
        activation = check_activation(activation)
        dt = positive_dt(dt)
        leak, decay = leak_decay(leak, decay, n, labels)
        inp = cell_input(input, m, dt=dt)
        params = (frozen(W.T), u, b, decay, leak, _k.ACTIVATIONS[activation], dt) + \
            encode(inp, m)
        super().__init__(_k.indrnn_step, n, params=params, jac=_k.indrnn_step_jac,
                         name="IndRNN")
        self.W, self.u, self.b = W, u, b
        self.activation = activation
        self.input = inp
        self.leak, self.decay = leak, decay
        self.dt = dt
        self.nodes = labels
        self.n_inputs = m
        self._freeze()

    @staticmethod
    def recurrent_bound(T, gamma=2.0):
        """The largest ``|u|`` that keeps the gradient through ``T`` steps within ``gamma``:
        ``gamma ** (1 / T)``.

        Li et al. (2018, Sec. 3.1): the gradient of ``h[T]`` with respect to ``h[t]`` in an
        IndRNN is, neuron by neuron, ``prod_k u act'(z_k) = u^(T - t) prod_k act'(z_k)``. With
        ReLU (``act' = 1`` where active), keeping it from exploding beyond ``gamma`` over ``T``
        steps needs ``|u| <= gamma^(1/T)``, and keeping it above ``epsilon`` (long memory)
        needs ``|u| >= epsilon^(1/T)`` (:meth:`recurrent_bound` with ``gamma=epsilon``).

        >>> round(IndRNN.recurrent_bound(10, gamma=2.0) ** 10, 12)
        2.0
        """
        T = real_number("T", T, positive=True)
        gamma = real_number("gamma", gamma, positive=True)
        return gamma ** (1.0 / T)

    def clipped(self, T, gamma=2.0, epsilon=0.0):
        """A copy with every ``|u|`` clipped into ``[epsilon^(1/T), gamma^(1/T)]`` (see
        :meth:`recurrent_bound`; ``epsilon = 0`` sets no lower bound), signs kept.

        >>> IndRNN([[1.0], [1.0]], u=[3.0, -0.5]).clipped(1, gamma=2.0).u
        array([ 2. , -0.5])
        """
        hi = self.recurrent_bound(T, gamma)
        eps = real_number("epsilon", epsilon, nonnegative=True)
        lo = 0.0 if eps == 0.0 else self.recurrent_bound(T, eps)
        if lo > hi:
            raise ValueError(f"epsilon = {eps!r} > gamma = {gamma!r}: no |u| satisfies both "
                             "bounds")
        mag = np.clip(np.abs(self.u), lo, hi)
        return self.replace(u=np.where(self.u < 0.0, -mag, mag))

    def continuous(self, method="euler"):
        """The :class:`ContinuousIndRNN` whose step ``dt`` (forward Euler, or exponential
        Euler with ``method="exponential"``) is this map: ``tau = dt / leak`` (Euler).

        Needs ``decay = 1 - leak`` (to rounding): another decay is no step of that flow.

        >>> IndRNN([[1.0]], u=0.5, leak=0.25, dt=0.5).continuous().tau
        array([2.])
        """
        method = check_method(method)
        euler_form(self.leak, self.decay, self.nodes)
        tau = tau_of_leak(self.dt, self.leak, self.decay, method, self.nodes)
        return ContinuousIndRNN(self.W, self.u, self.b, tau=tau, activation=self.activation,
                                input=self.input, nodes=self.nodes)

    def to_torch(self, dtype=None):
        """An ``IndRNNModule`` (a ``torch.nn.Module``; torch has no IndRNN) computing this map
        over a sequence: ``module(x)`` with ``x`` of shape ``(T, m)`` or ``(T, B, m)`` returns
        ``(h[1..T], h[T])``. Its state_dict holds ``weight_ih`` (W), ``weight_hh`` (u),
        ``bias``, ``leak``, ``decay`` and ``activation_code``. ``dtype`` defaults to float32
        when every array is exactly a float32 value, else float64.
        """
        torch = import_torch("IndRNN.to_torch")
        dtype = torch_dtype(torch, dtype, (self.W, self.u, self.b, self.leak, self.decay))
        mod = _torch_module()(self.n_inputs, self.n_states, self.activation, dtype=dtype)
        with torch.no_grad():
            for name, a in (("weight_ih", self.W), ("weight_hh", self.u), ("bias", self.b),
                            ("leak", self.leak), ("decay", self.decay)):
                getattr(mod, name).copy_(torch.as_tensor(np.array(a), dtype=dtype))
        return mod

    @classmethod
    def from_torch(cls, module, *, input=0.0, dt=1.0, nodes=None):
        """The IndRNN of an ``IndRNNModule`` (from :meth:`to_torch`) or of its state_dict
        (float64 copies: ``from_torch(m.to_torch())`` is exact).

        >>> import torch
        >>> cell = IndRNN([[0.5], [1.0]], u=[0.25, -0.5], b=[0.0, 1.0], activation="tanh")
        >>> back = IndRNN.from_torch(cell.to_torch().state_dict())
        >>> back.activation, back.u
        ('tanh', array([ 0.25, -0.5 ]))
        """
        sd = state_dict_of(module, ("weight_ih", "weight_hh", "bias", "leak", "decay",
                                    "activation_code"), "IndRNN.from_torch")
        act = activation_name(sd["activation_code"], "IndRNN.from_torch")
        return cls(sd["weight_ih"], sd["weight_hh"], sd["bias"], activation=act, input=input,
                   leak=sd["leak"], decay=sd["decay"], dt=dt, nodes=nodes)

    def __repr__(self):
        return (f"IndRNN(n={self.n_states}, n_inputs={self.n_inputs}, "
                f"activation={self.activation!r}, dt={self.dt!r})")


class ContinuousIndRNN(CellFlow):
    """The IndRNN in continuous time, ``tau dh/dt = -h + act(W x(t) + u * h + b)``, for
    ``solvers.solve``.

    Parameters as for :class:`IndRNN`, with ``tau`` (positive, per neuron or one for all)
    instead of ``leak``, ``decay`` and ``dt``. A time-varying ``input`` is an
    :class:`~neurodyn.inputs.Input` read at ``t`` (a 2-D array is refused: samples need
    times). ``rhs``, ``jac`` (analytic, diagonal), ``params``: the :class:`solvers.ODESystem`
    protocol. :meth:`discrete` is its step as an :class:`IndRNN`.

    Example
    -------
    >>> flow = ContinuousIndRNN([[1.0]], u=0.5, b=0.0, tau=2.0, activation="identity",
    ...                         input=1.0)
    >>> dhdt = np.empty(1)
    >>> flow.rhs(0.0, np.array([1.0]), flow.params, dhdt)    # (-1 + 1 + 0.5) / 2
    >>> dhdt
    array([0.25])
    """

    _ctor_args = ("W", "u", "b", "tau", "activation", "input", "nodes")

    def __init__(self, W, u, b=0.0, *, tau=1.0, activation="relu", input=0.0, nodes=None):
        W, u, b, n, m, labels = _arrays(W, u, b, nodes)
        activation = check_activation(activation)
        tau = vector(tau, n, "tau", labels, positive=True)
        inp = cell_input(input, m)
        params = (frozen(W.T), u, b, frozen(1.0 / tau), _k.ACTIVATIONS[activation]) + \
            encode(inp, m)
        super().__init__(_k.indrnn_rhs, n, params=params, jac=_k.indrnn_jac,
                         name="ContinuousIndRNN")
        self.W, self.u, self.b, self.tau = W, u, b, tau
        self.activation = activation
        self.input = inp
        self.nodes = labels
        self.n_inputs = m
        self._freeze()

    def discrete(self, dt=None, method="euler"):
        """The :class:`IndRNN` map of one step ``dt`` (default: ``tau``, which must then be
        one value; forward Euler with ``dt = tau`` is the published cell, ``leak = 1``).

        >>> flow = ContinuousIndRNN([[1.0]], u=0.5, tau=2.0)
        >>> flow.discrete(0.5).leak, flow.discrete().leak
        (array([0.25]), array([1.]))
        """
        dt = default_dt(dt, self.tau)
        method = check_method(method)
        leak, decay = euler_leak(dt, self.tau, method)
        return IndRNN(self.W, self.u, self.b, activation=self.activation, input=self.input,
                      leak=leak, decay=decay, dt=dt, nodes=self.nodes)

    def __repr__(self):
        return (f"ContinuousIndRNN(n={self.n_states}, n_inputs={self.n_inputs}, "
                f"activation={self.activation!r})")


@functools.cache
def _torch_module():
    torch = import_torch("IndRNN.to_torch")

    class IndRNNModule(torch_base()):
        """``h' = decay * h + leak * act(x W^T + u * h + b)`` over a sequence."""

        def __init__(self, input_size, hidden_size, activation="relu", dtype=None):
            super().__init__()
            code = _k.ACTIVATIONS[check_activation(activation)]
            self.input_size, self.hidden_size = input_size, hidden_size
            self.state_size = self.output_size = hidden_size
            z = functools.partial(torch.zeros, dtype=dtype)
            self.weight_ih = torch.nn.Parameter(z(hidden_size, input_size))
            self.weight_hh = torch.nn.Parameter(z(hidden_size))
            self.bias = torch.nn.Parameter(z(hidden_size))
            self.register_buffer("leak", torch.ones(hidden_size, dtype=dtype))
            self.register_buffer("decay", z(hidden_size))
            self.register_buffer("activation_code", torch.tensor(code))

        def cell(self, x, h):
            act = torch_activation(torch, activation_name(self.activation_code, "IndRNNModule"))
            h = self.decay * h + self.leak * act(x @ self.weight_ih.T + self.weight_hh * h
                                                 + self.bias)
            return h, h

    IndRNNModule.__module__ = __name__
    IndRNNModule.__qualname__ = "IndRNNModule"
    return IndRNNModule


def __getattr__(name):
    # Lets pickle find the lazily built torch class by name.
    if name == "IndRNNModule":
        return _torch_module()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
