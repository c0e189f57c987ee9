"""The leaky discrete-time RNN of :func:`neurodyn.discretize` as a ``torch.nn.Module``.

``torch.nn.RNN`` has no leak term, so a CTRNN discretized with ``dt != tau`` (leak ``a < 1``)
has no exact ``torch.nn.RNN`` form; :class:`LeakyRNNModule` is that map written in torch:

    h[k+1] = decay * h[k] + leak * (W sigma(gain * (h[k] + theta)) + U x[k] + b)

the update of :meth:`neurodyn.DiscreteRNN.run` term for term (``decay = 1 - leak``, or
``exp(-dt/tau)`` for exponential Euler). Torch is imported only when the class is first
needed (:func:`leaky_module`), with an error naming the ``torch`` extra. The conversions of
:meth:`neurodyn.DiscreteRNN.to_torch` / ``from_torch`` (both forms) live here too.
"""
from __future__ import annotations

import functools

import numpy as np

from ._kernels_ctrnn import ACTIVATIONS

__all__ = ["leaky_module", "leaky_of", "elman_of", "discrete_kwargs", "activation_of_code", "STATE_KEYS"]

# What DiscreteRNN.from_torch reads from the module's state_dict.
STATE_KEYS = ("weight_hh", "weight_ih", "bias", "gain", "theta", "leak", "decay",
              "activation_code")


def activation_of_code(code, what):
    """The CTRNN activation name of an integer code read from a module's buffer."""
    code = int(code)
    for name, value in ACTIVATIONS.items():
        if value == code:
            return name
    known = ", ".join(f"{v} {k}" for k, v in ACTIVATIONS.items())
    raise ValueError(f"{what}: unknown activation code {code} (known: {known})")


@functools.cache
def leaky_module():
    """The ``LeakyRNNModule`` class (built on first use: it subclasses a torch class)."""
    from .cells._kernels_basic_host import import_torch, torch_base

    torch = import_torch("DiscreteRNN.to_torch")

    class LeakyRNNModule(torch_base()):
        """``h' = decay * h + leak * (W act(gain * (h + theta)) + U x + b)`` over a sequence.

        ``module(x, h0=None)`` with ``x`` of shape ``(T, m)`` or ``(T, B, m)`` (time first,
        as ``torch.nn.RNN``) returns ``(h[1..T], h[T])``; its state is the DiscreteRNN's
        ``h`` itself. Parameters: ``weight_hh`` (W, ``(n, n)``), ``weight_ih`` (U,
        ``(n, m)``), ``bias`` (b), ``gain``, ``theta``; buffers: ``leak``, ``decay``,
        ``activation_code`` (0 sigmoid, 1 tanh).
        """

        def __init__(self, input_size, hidden_size, activation="tanh", dtype=None):
            super().__init__()
            if activation not in ACTIVATIONS:
                known = ", ".join(repr(a) for a in ACTIVATIONS)
                raise ValueError(f"unknown activation {activation!r}; known: {known}")
            self.input_size, self.hidden_size = input_size, hidden_size
            self.state_size = self.output_size = hidden_size
            z = functools.partial(torch.zeros, dtype=dtype)
            self.weight_hh = torch.nn.Parameter(z(hidden_size, hidden_size))
            self.weight_ih = torch.nn.Parameter(z(hidden_size, input_size))
            self.bias = torch.nn.Parameter(z(hidden_size))
            self.gain = torch.nn.Parameter(torch.ones(hidden_size, dtype=dtype))
            self.theta = torch.nn.Parameter(z(hidden_size))
            self.register_buffer("leak", torch.ones(hidden_size, dtype=dtype))
            self.register_buffer("decay", z(hidden_size))
            self.register_buffer("activation_code", torch.tensor(ACTIVATIONS[activation]))

        def step(self, x, h, leak=None, decay=None):
            """One update; ``leak``/``decay`` override the buffers (bptt trains them through
            tau)."""
            leak = self.leak if leak is None else leak
            decay = self.decay if decay is None else decay
            u = self.gain * (h + self.theta)
            act = activation_of_code(self.activation_code, "LeakyRNNModule")
            s = torch.sigmoid(u) if act == "sigmoid" else torch.tanh(u)
            z = s @ self.weight_hh.T + x @ self.weight_ih.T + self.bias
            return decay * h + leak * z

        def cell(self, x, h):
            h = self.step(x, h)
            return h, h

    LeakyRNNModule.__module__ = __name__
    LeakyRNNModule.__qualname__ = "LeakyRNNModule"
    return LeakyRNNModule


def leaky_of(rnn, torch, dtype):
    """A ``LeakyRNNModule`` holding a DiscreteRNN's arrays (``U = None`` as the identity)."""
    mod = leaky_module()(rnn.n_inputs, rnn.n_states, rnn.activation, dtype=dtype)
    U = np.eye(rnn.n_states) if rnn.U is None else rnn.U
    with torch.no_grad():
        for name, value in (("weight_hh", rnn._dense_W()), ("weight_ih", U), ("bias", rnn.b),
                            ("gain", rnn.gain), ("theta", rnn.theta), ("leak", rnn.leak),
                            ("decay", rnn.decay)):
            getattr(mod, name).copy_(torch.as_tensor(np.array(value), dtype=dtype))
    return mod


def elman_of(rnn, weights, torch, dtype):
    """The ``torch.nn.RNN`` of a DiscreteRNN's ``elman_weights()``."""
    mod = torch.nn.RNN(rnn.n_inputs, rnn.n_states, num_layers=1, nonlinearity="tanh",
                       bias=True, batch_first=False, dtype=dtype)
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
                               weights):
            getattr(mod, name).copy_(torch.as_tensor(value, dtype=dtype))
    return mod


def discrete_kwargs(module):
    """DiscreteRNN constructor arguments from a ``LeakyRNNModule`` or its state_dict (float64
    copies, so a float64 module comes back exactly)."""
    from .cells._kernels_basic_host import state_dict_of

    sd = state_dict_of(module, STATE_KEYS, "DiscreteRNN.from_torch")
    act = activation_of_code(sd["activation_code"], "DiscreteRNN.from_torch")
    U = sd["weight_ih"]
    if U.shape[0] == U.shape[1] and np.array_equal(U, np.eye(U.shape[0])):
        U = None  # z + 1*x_i + 0*(the others) = z + x_i: the identity path is the same map
    return dict(W=sd["weight_hh"], U=U, b=sd["bias"], leak=sd["leak"], gain=sd["gain"],
                theta=sd["theta"], activation=act, decay=sd["decay"])


def __getattr__(name):
    # Lets pickle find the lazily built torch class by name.
    if name == "LeakyRNNModule":
        return leaky_module()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
