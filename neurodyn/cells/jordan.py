"""Jordan networks (Jordan 1986, 1997) as dynamical systems: the context is the past output.

A Jordan network feeds its *output* back through context units with self-connections ``alpha``::

    a = act(W_x x[k] + W_c c[k] + b)          hidden layer (H units)
    y = act_out(W_y a + b_y)                  output (n units)
    c[k+1] = alpha * c[k] + beta * y          context (n units; beta = 1 in the paper)

The state of the dynamical system is the context ``c`` (``n_states = n``): :class:`Jordan` is
that map, ``y`` the output read at each step (:meth:`Jordan.output`).

Its continuous form, :class:`ContinuousJordan`, is the leaky integrator of the output
``dc/dt = -c / tau + y(x(t), c)`` (``tau = inf``: a pure integrator). Forward Euler with step
``dt`` is the map with ``alpha = 1 - dt / tau`` and ``beta = dt``, so the published map
(``beta = 1``) is its Euler step ``dt = 1`` with ``tau = 1 / (1 - alpha)``; exponential Euler
gives ``alpha = exp(-dt / tau)``, ``beta = tau (1 - exp(-dt / tau))``.

References: M. I. Jordan, "Serial order: a parallel distributed processing approach", ICS
Report 8604 (1986); reprinted in Advances in Psychology 121, 471-495 (1997).
"""
from __future__ import annotations

import functools

import numpy as np

from solvers._checks import real_array

from . import _kernels_basic as _k
from ._kernels_basic_host import (CellFlow, CellMap, activation_name, cell_input,
                                  check_activation, check_method, frozen, import_torch,
                                  initial_state, names,
                                  numpy_of, positive_dt, sequence, state_dict_of,
                                  torch_activation, torch_base, torch_dtype, vector, weights)
from ..inputs import encode

__all__ = ["Jordan", "ContinuousJordan"]

_ACT = {"sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0.0), "identity": lambda z: z}


def _arrays(W_x, W_c, b, W_y, b_y, nodes):
    W_x = weights(W_x, "W_x", 2, lambda idx: f"input {idx[1]} -> hidden unit {idx[0]}")
    H, m = W_x.shape
    W_y = weights(W_y, "W_y", 2, lambda idx: f"hidden unit {idx[1]} -> output {idx[0]}",
                  shape=(None, H))
    n = W_y.shape[0]
    W_c = weights(W_c, "W_c", 2, lambda idx: f"context {idx[1]} -> hidden unit {idx[0]}",
                  shape=(H, n))
    labels = names(nodes, n, "output (row of W_y)")
    b = vector(b, H, "b", list(range(H)), what="hidden unit")
    b_y = vector(b_y, n, "b_y", labels, what="output")
    return W_x, W_c, b, W_y, b_y, H, n, m, labels


class _JordanBase:
    def output(self, c, x):
        """The output ``y = act_out(W_y act(W_x x + W_c c + b) + b_y)`` for contexts ``c``
        (``(..., n)``) and inputs ``x`` (``(..., m)``), in NumPy; ``y[k]`` of a run is
        ``output(c[k], x[k])``.

        >>> net = Jordan(np.ones((1, 1)), np.zeros((1, 1)), W_y=[[2.0]],
        ...              activation="identity", output_activation="identity")
        >>> net.output([0.0], [1.5])
        array([3.])
        """
        c = real_array("c", numpy_of(c), finite=False)
        x = real_array("x", numpy_of(x), finite=False)
        if c.shape[-1:] != (self.n_states,) or x.shape[-1:] != (self.n_inputs,):
            raise ValueError(f"c and x must have shapes (..., {self.n_states}) and (..., "
                             f"{self.n_inputs}), got {c.shape} and {x.shape}")
        a = _ACT[self.activation](x @ self.W_x.T + c @ self.W_c.T + self.b)
        return _ACT[self.output_activation](a @ self.W_y.T + self.b_y)


class Jordan(_JordanBase, CellMap):
    """The Jordan network as a map on its context ``c``, for ``solvers.iterate``:
    ``c' = alpha c + beta act_out(W_y act(W_x x_k + W_c c + b) + b_y)``.

    Parameters
    ----------
    W_x : array_like, shape (H, m)
        Input to hidden weights.
    W_c : array_like, shape (H, n)
        Context to hidden weights.
    b : float or array_like, shape (H,)
        Hidden biases.
    W_y : array_like, shape (n, H)
        Hidden to output weights (``n`` outputs, ``n`` context units).
    b_y : float or array_like, shape (n,)
        Output biases.
    alpha : float or array_like, shape (n,)
        Self-connection of each context unit (Jordan's ``mu``).
    beta : float or array_like, shape (n,)
        Weight of the output into its context unit (1 in the paper).
    activation, output_activation : {"sigmoid", "tanh", "relu", "identity"}
        Of the hidden and output layers (Jordan's: logistic for both).
    input, dt, nodes
        As for :class:`~neurodyn.cells.indrnn.IndRNN` (``nodes`` names the outputs).

    Example
    -------
    >>> net = Jordan([[1.0]], [[0.0]], W_y=[[1.0]], alpha=0.5,
    ...              activation="identity", output_activation="identity")
    >>> net.run([[1.0], [1.0], [0.0]])       # y = x, c' = c / 2 + y
    array([[1.  ],
           [1.5 ],
           [0.75]])
    """

    _ctor_args = ("W_x", "W_c", "b", "W_y", "b_y", "alpha", "beta", "activation",
                  "output_activation", "input", "dt", "nodes")

    def __init__(self, W_x, W_c, b=0.0, W_y=None, b_y=0.0, *, alpha=0.0, beta=1.0,
                 activation="sigmoid", output_activation="sigmoid", input=0.0, dt=1.0,
                 nodes=None):
        if W_y is None:
            raise TypeError("Jordan needs W_y, the hidden-to-output weights (n, H)")
        W_x, W_c, b, W_y, b_y, H, n, m, labels = _arrays(W_x, W_c, b, W_y, b_y, nodes)
        activation = check_activation(activation)
        output_activation = check_activation(output_activation, "output_activation")
        dt = positive_dt(dt)
        alpha = vector(alpha, n, "alpha", labels, what="context unit")
        beta = vector(beta, n, "beta", labels, what="context unit")
        inp = cell_input(input, m, dt=dt)
        params = (W_x, W_c, b, frozen(W_y.T), b_y, alpha, beta, _k.ACTIVATIONS[activation],
                  _k.ACTIVATIONS[output_activation], dt) + encode(inp, m)
        super().__init__(_k.jordan_step, n, params=params, jac=_k.jordan_step_jac,
                         name="Jordan")
        self.W_x, self.W_c, self.b, self.W_y, self.b_y = W_x, W_c, b, W_y, b_y
        self.alpha, self.beta = alpha, beta
        self.activation, self.output_activation = activation, output_activation
        self.input = inp
        self.dt = dt
        self.nodes = labels
        self.n_inputs, self.n_hidden = m, H
        self._freeze()

    def outputs(self, inputs, c0=None):
        """The outputs ``y[0..T-1]`` over an input sequence ``(T, m)`` (``y[k]`` read from
        ``x[k]`` and ``c[k]``), from :meth:`run`'s contexts.

        >>> net = Jordan([[1.0]], [[1.0]], W_y=[[1.0]], activation="identity",
        ...              output_activation="identity")
        >>> net.outputs([[1.0], [0.0]])             # y0 = x0, y1 = x1 + c1 = 0 + 1
        array([[1.],
               [1.]])
        """
        X = sequence(inputs, self.n_inputs)
        c0 = initial_state(c0, self.n_states, "c0")
        C = self.run(X, c0)
        return self.output(np.vstack([c0[None], C[:-1]]), X)

    def continuous(self, method="euler"):
        """The :class:`ContinuousJordan` whose step ``dt`` is this map.

        Forward Euler: needs ``beta = dt`` (to rounding), and gives ``tau = dt / (1 - alpha)``
        (``inf`` where ``alpha = 1``). Exponential Euler: needs ``0 < alpha <= 1`` and
        ``beta = tau (1 - alpha)``, ``tau = -dt / log(alpha)``.

        >>> Jordan([[1.0]], [[0.0]], W_y=[[1.0]], alpha=0.5).continuous().tau
        array([2.])
        """
        method = check_method(method)
        a, bt, dt = self.alpha, self.beta, self.dt
        lab = self.nodes
        bad = np.flatnonzero(~((a <= 1.0) & (a > (-np.inf if method == "euler" else 0.0))))
        if bad.size:
            i = int(bad[0])
            need = "<= 1" if method == "euler" else "in (0, 1]"
            raise ValueError(f"no continuous form: alpha of context unit {lab[i]!r} is "
                             f"{float(a[i])!r}, not {need} (a positive tau)")
        with np.errstate(divide="ignore"):
            tau = np.where(a == 1.0, np.inf, dt / (1.0 - a) if method == "euler"
                           else -dt / np.log(np.where(a == 1.0, 0.5, a)))
        want = np.full_like(a, dt) if method == "euler" else \
            np.where(np.isinf(tau), dt, -tau * np.expm1(-dt / tau))
        bad = np.flatnonzero(np.abs(bt - want) > 1e-12 * np.maximum(1.0, np.abs(want)))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"no continuous form: beta of context unit {lab[i]!r} is "
                             f"{float(bt[i])!r}, but a {method} step dt = {dt!r} of "
                             f"dc/dt = -c / tau + y has beta = {float(want[i])!r}")
        return ContinuousJordan(self.W_x, self.W_c, self.b, self.W_y, self.b_y, tau=tau,
                                activation=self.activation,
                                output_activation=self.output_activation, input=self.input,
                                nodes=self.nodes)

    def to_torch(self, dtype=None):
        """A ``JordanModule`` (a ``torch.nn.Module``; torch has no Jordan network):
        ``module(x)``, ``x`` of shape ``(T, m)`` or ``(T, B, m)``, returns the outputs
        ``(y[0..T-1], c[T])`` (:meth:`outputs` and the last context). Its state_dict holds
        ``weight_ih`` (W_x), ``weight_ch`` (W_c), ``bias_h`` (b), ``weight_ho`` (W_y),
        ``bias_o`` (b_y), ``alpha``, ``beta``, ``activation_code``,
        ``output_activation_code``.
        """
        torch = import_torch("Jordan.to_torch")
        arrays = {"weight_ih": self.W_x, "weight_ch": self.W_c, "bias_h": self.b,
                  "weight_ho": self.W_y, "bias_o": self.b_y, "alpha": self.alpha,
                  "beta": self.beta}
        dtype = torch_dtype(torch, dtype, arrays.values())
        mod = _torch_module()(self.n_inputs, self.n_hidden, self.n_states, self.activation,
                              self.output_activation, dtype=dtype)
        with torch.no_grad():
            for name, a in arrays.items():
                getattr(mod, name).copy_(torch.as_tensor(np.array(a), dtype=dtype))
        return mod

    @classmethod
    def from_torch(cls, module, *, input=0.0, dt=1.0, nodes=None):
        """The Jordan network of a ``JordanModule`` or of its state_dict (float64 copies;
        ``from_torch(m.to_torch())`` is exact).

        >>> import torch
        >>> net = Jordan([[1.0]], [[0.5]], W_y=[[1.0]], alpha=0.25)
        >>> Jordan.from_torch(net.to_torch().state_dict()).alpha
        array([0.25])
        """
        keys = ("weight_ih", "weight_ch", "bias_h", "weight_ho", "bias_o", "alpha", "beta",
                "activation_code", "output_activation_code")
        sd = state_dict_of(module, keys, "Jordan.from_torch")
        return cls(sd["weight_ih"], sd["weight_ch"], sd["bias_h"], sd["weight_ho"],
                   sd["bias_o"], alpha=sd["alpha"], beta=sd["beta"],
                   activation=activation_name(sd["activation_code"], "Jordan.from_torch"),
                   output_activation=activation_name(sd["output_activation_code"],
                                                     "Jordan.from_torch"),
                   input=input, dt=dt, nodes=nodes)

    def __repr__(self):
        return (f"Jordan(n_outputs={self.n_states}, n_hidden={self.n_hidden}, "
                f"n_inputs={self.n_inputs}, dt={self.dt!r})")


class ContinuousJordan(_JordanBase, CellFlow):
    """The Jordan network in continuous time, ``dc/dt = -c / tau + y(x(t), c)`` with
    ``y = act_out(W_y act(W_x x + W_c c + b) + b_y)``, for ``solvers.solve``.

    Parameters as for :class:`Jordan`, with ``tau`` (positive, ``inf`` allowed: a pure
    integrator of the output) instead of ``alpha``, ``beta``, ``dt``. :meth:`discrete` is its
    step as a :class:`Jordan`.

    Example
    -------
    >>> flow = ContinuousJordan([[1.0]], [[0.0]], W_y=[[1.0]], tau=2.0, input=3.0,
    ...                         activation="identity", output_activation="identity")
    >>> dcdt = np.empty(1)
    >>> flow.rhs(0.0, np.array([1.0]), flow.params, dcdt)     # -1 / 2 + 3
    >>> dcdt
    array([2.5])
    """

    _ctor_args = ("W_x", "W_c", "b", "W_y", "b_y", "tau", "activation", "output_activation",
                  "input", "nodes")

    def __init__(self, W_x, W_c, b=0.0, W_y=None, b_y=0.0, *, tau=1.0, activation="sigmoid",
                 output_activation="sigmoid", input=0.0, nodes=None):
        if W_y is None:
            raise TypeError("ContinuousJordan needs W_y, the hidden-to-output weights (n, H)")
        W_x, W_c, b, W_y, b_y, H, n, m, labels = _arrays(W_x, W_c, b, W_y, b_y, nodes)
        activation = check_activation(activation)
        output_activation = check_activation(output_activation, "output_activation")
        tau = vector(tau, n, "tau", labels, what="context unit", positive=True,
                     allow_inf=True)
        inp = cell_input(input, m)
        params = (W_x, W_c, b, frozen(W_y.T), b_y, frozen(1.0 / tau),
                  _k.ACTIVATIONS[activation], _k.ACTIVATIONS[output_activation]) + \
            encode(inp, m)
        super().__init__(_k.jordan_rhs, n, params=params, jac=_k.jordan_jac,
                         name="ContinuousJordan")
        self.W_x, self.W_c, self.b, self.W_y, self.b_y = W_x, W_c, b, W_y, b_y
        self.tau = tau
        self.activation, self.output_activation = activation, output_activation
        self.input = inp
        self.nodes = labels
        self.n_inputs, self.n_hidden = m, H
        self._freeze()

    def discrete(self, dt=1.0, method="euler"):
        """The :class:`Jordan` map of one step ``dt``: Euler ``alpha = 1 - dt / tau``,
        ``beta = dt``; exponential Euler ``alpha = exp(-dt / tau)``,
        ``beta = tau (1 - exp(-dt / tau))`` (``dt`` where ``tau = inf``).

        >>> flow = ContinuousJordan([[1.0]], [[0.0]], W_y=[[1.0]], tau=2.0)
        >>> net = flow.discrete(1.0)
        >>> net.alpha, net.beta
        (array([0.5]), array([1.]))
        """
        dt = positive_dt(dt)
        method = check_method(method)
        r = dt / self.tau
        if method == "euler":
            alpha, beta = 1.0 - r, np.full_like(r, dt)
        else:
            with np.errstate(invalid="ignore"):
                beta = np.where(np.isinf(self.tau), dt, -self.tau * np.expm1(-r))
            alpha = np.exp(-r)
        return Jordan(self.W_x, self.W_c, self.b, self.W_y, self.b_y, alpha=alpha, beta=beta,
                      activation=self.activation, output_activation=self.output_activation,
                      input=self.input, dt=dt, nodes=self.nodes)

    def __repr__(self):
        return (f"ContinuousJordan(n_outputs={self.n_states}, n_hidden={self.n_hidden}, "
                f"n_inputs={self.n_inputs})")


@functools.cache
def _torch_module():
    torch = import_torch("Jordan.to_torch")

    class JordanModule(torch_base()):
        """``a = act(x W_x^T + c W_c^T + b)``, ``y = act_out(a W_y^T + b_y)``,
        ``c' = alpha c + beta y``; the outputs are the ``y``."""

        def __init__(self, input_size, hidden_size, output_size, activation="sigmoid",
                     output_activation="sigmoid", dtype=None):
            super().__init__()
            self.input_size, self.hidden_size = input_size, hidden_size
            self.state_size = self.output_size = output_size
            z = functools.partial(torch.zeros, dtype=dtype)
            P = torch.nn.Parameter
            self.weight_ih = P(z(hidden_size, input_size))
            self.weight_ch = P(z(hidden_size, output_size))
            self.bias_h = P(z(hidden_size))
            self.weight_ho = P(z(output_size, hidden_size))
            self.bias_o = P(z(output_size))
            self.register_buffer("alpha", z(output_size))
            self.register_buffer("beta", torch.ones(output_size, dtype=dtype))
            for name, act in (("activation_code", activation),
                              ("output_activation_code", output_activation)):
                code = _k.ACTIVATIONS[check_activation(act, name.replace("_code", ""))]
                self.register_buffer(name, torch.tensor(code))

        def cell(self, x, c):
            f = torch_activation(torch, activation_name(self.activation_code, "JordanModule"))
            g = torch_activation(torch, activation_name(self.output_activation_code,
                                                        "JordanModule"))
            a = f(x @ self.weight_ih.T + c @ self.weight_ch.T + self.bias_h)
            y = g(a @ self.weight_ho.T + self.bias_o)
            return self.alpha * c + self.beta * y, y

    JordanModule.__module__ = __name__
    JordanModule.__qualname__ = "JordanModule"
    return JordanModule


def __getattr__(name):
    # Lets pickle find the lazily built torch class by name.
    if name == "JordanModule":
        return _torch_module()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
