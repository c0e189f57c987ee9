"""The Elman RNN of PyTorch (``torch.nn.RNN`` / ``RNNCell``) as a discrete map::

    h[k+1] = act(W_ih x[k] + b_ih + W_hh h[k] + b_hh),   act = tanh or relu

ready for ``solvers.iterate`` and for the fixed-point analysis of trained networks
(Sussillo & Barak 2013): with a constant input ``x*`` it is the autonomous map
``h -> F(h, x*)`` whose fixed points, slow points and linearisations
:mod:`neurodyn.analysis` finds. Weights come from torch and go back exactly (float64 copies of
float32 weights).

This is the torch cell itself, with no time step; :class:`neurodyn.DiscreteRNN` is the
discretisation of a CTRNN (a leaky RNN with a ``dt``), a different model.
"""
from __future__ import annotations

import numpy as np

from solvers import MapSystem
from solvers._checks import InvalidTypeError, count, real_array

from ..inputs import encode
from . import _kernels_rnn as _k
from ._kernels_basic import ACTIVATIONS
from ._kernels_basic_host import CellMap, cell_input, import_torch, matrix, numpy_of

__all__ = ["RNN"]

_NONLINEARITIES = ("tanh", "relu")   # torch.nn.RNN's two
_TORCH_CLASSES = ("RNN", "RNNCell")


def _frozen(a):
    out = np.array(a, dtype=np.float64, order="C", copy=True)
    out.flags.writeable = False
    return out


def _float32_exact(arrays):
    return all(a is None or np.array_equal(a.astype(np.float32).astype(np.float64), a)
               for a in arrays)


class RNN(CellMap):
    """The Elman RNN update ``h[k+1] = act(W_ih x[k] + b_ih + W_hh h[k] + b_hh)`` as a
    :class:`solvers.MapSystem`, with PyTorch's conventions (``torch.nn.RNN``).

    Parameters
    ----------
    W_ih : array_like (n, m)
        Input weights (torch's ``weight_ih``): ``m`` input channels, ``n`` hidden units.
    W_hh : array_like (n, n)
        Recurrent weights (torch's ``weight_hh``).
    b_ih, b_hh : array_like (n,) or None
        Biases (``None``: zeros; :meth:`to_torch` gives ``bias=False`` when both are None).
    nonlinearity : {"tanh", "relu"}
        The activation, as torch names it.
    input : float, array_like (m,) or (T, m), or neurodyn Input
        The input: a constant ``x*`` (default 0), a sequence (row ``k`` read at step ``k``,
        the last row held after the end), or a :mod:`neurodyn.inputs` object read at
        ``t = k``.
    torch_class : {"RNN", "RNNCell"}
        The class :meth:`to_torch` builds.

    Notes
    -----
    The state is ``h`` (``n_states = hidden_size``); ``step``, ``jac`` (analytic:
    ``act'(a_i) W_hh[i, j]``) and ``params`` are the :class:`solvers.MapSystem` protocol. Every
    RNN shares one compiled kernel: the nonlinearity and the input kind are runtime codes.

    Example
    -------
    >>> rnn = RNN([[1.0]], [[0.5]], b_hh=[0.25], input=2.0)
    >>> out = np.empty(1)
    >>> rnn.step(0, np.array([1.0]), rnn.params, out)   # kernels also run uncompiled
    >>> out.round(6)            # tanh(1 * 2 + 0.5 * 1 + 0.25)
    array([0.99186])
    >>> rnn.run(np.zeros((2, 1)), h0=[1.0]).ravel().round(6)   # tanh(0.5 h + 0.25) twice
    array([0.635149, 0.513576])
    """

    _ctor_args = ("W_ih", "W_hh", "b_ih", "b_hh", "nonlinearity", "input", "torch_class")

    def __init__(self, W_ih, W_hh, b_ih=None, b_hh=None, nonlinearity="tanh", input=0.0,
                 torch_class="RNN"):
        if not isinstance(nonlinearity, str) or nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu' (torch.nn.RNN's), got "
                             f"{nonlinearity!r}")
        if not isinstance(torch_class, str) or torch_class not in _TORCH_CLASSES:
            raise ValueError(f"torch_class must be 'RNN' or 'RNNCell', got {torch_class!r}")
        Whh = real_array("W_hh", numpy_of(W_hh), finite=False)
        if Whh.ndim != 2 or Whh.shape[0] != Whh.shape[1] or Whh.shape[0] == 0:
            raise ValueError(f"W_hh has shape {Whh.shape}, expected (n, n) with n >= 1 hidden "
                             "units: the recurrent weights (torch's weight_hh)")
        n = Whh.shape[0]
        W_hh = _frozen(matrix(Whh, (n, n), "W_hh", lambda ij: f"unit {ij[1]} -> unit {ij[0]}"))
        Wih = real_array("W_ih", numpy_of(W_ih), finite=False)
        if Wih.ndim != 2 or Wih.shape[0] != n or Wih.shape[1] == 0:
            raise ValueError(f"W_ih has shape {Wih.shape}, expected ({n}, m) with m >= 1 input "
                             "channels (rows: the hidden units of W_hh, as torch's weight_ih)")
        m = Wih.shape[1]
        W_ih = _frozen(matrix(Wih, (n, m), "W_ih", lambda ij: f"input {ij[1]} -> unit {ij[0]}"))
        b_ih, b_hh = (None if b is None else
                      _frozen(matrix(numpy_of(b), (n,), name, lambda i: f"unit {i[0]}"))
                      for name, b in (("b_ih", b_ih), ("b_hh", b_hh)))
        inp = cell_input(input, m, dt=1.0)
        kind, off, amp, omega, phase, ts, vals = encode(inp, m)
        c = W_ih @ off
        for b in (b_ih, b_hh):
            if b is not None:
                c = c + b
        params = (W_ih, W_hh, _frozen(c), ACTIVATIONS[nonlinearity], int(kind), amp, omega,
                  phase, ts, vals)
        MapSystem.__init__(self, _k.rnn_step, n, params=params, jac=_k.rnn_step_jac,
                           name="RNN")
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh
        self.nonlinearity = nonlinearity
        self.input = inp
        self.torch_class = torch_class
        self.hidden_size = n
        self.n_inputs = m
        self._freeze()

    @classmethod
    def from_torch(cls, module, layer=0, *, input=0.0):
        """The map with the weights of layer ``layer`` of a ``torch.nn.RNN`` (or of a
        ``torch.nn.RNNCell``) and the constant input ``input`` (float64 copies, exact for
        float32 weights; the module's ``nonlinearity`` is kept).

        Layer ``k > 0`` reads the outputs of layer ``k - 1``: its ``W_ih`` has ``hidden_size``
        columns. Bidirectional modules are refused (their reverse direction is no dynamical
        system in forward time); ``batch_first`` does not matter.

        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> rnn = RNN.from_torch(torch.nn.RNN(2, 3, nonlinearity="relu"), input=[1.0, 0.0])
        >>> rnn
        RNN(hidden_size=3, n_inputs=2, nonlinearity='relu', input=Constant([1.0, 0.0]))
        """
        torch = import_torch("RNN.from_torch")
        if isinstance(module, torch.nn.RNN):
            name = "RNN"
        elif isinstance(module, torch.nn.RNNCell):
            name = "RNNCell"
        else:
            raise InvalidTypeError(f"RNN.from_torch needs a torch.nn.RNN or torch.nn.RNNCell, "
                                   f"got {type(module).__name__} (GRU and LSTM: "
                                   "neurodyn.GRU / neurodyn.LSTM.from_torch)")
        layer = count("layer", layer)
        if name == "RNNCell":
            if layer != 0:
                raise ValueError(f"layer={layer}: a torch.nn.RNNCell has one layer (layer 0)")
            sfx = ""
        else:
            if layer >= module.num_layers:
                raise ValueError(f"layer={layer} is out of range: this torch.nn.RNN has "
                                 f"num_layers={module.num_layers} (layers 0 to "
                                 f"{module.num_layers - 1})")
            if module.bidirectional:
                raise ValueError("torch.nn.RNN with bidirectional=True: its reverse direction "
                                 "reads the sequence backwards, which is no dynamical system "
                                 "in forward time; build one without it")
            sfx = f"_l{layer}"
        W = [getattr(module, f"{w}{sfx}") for w in ("weight_ih", "weight_hh")]
        b = ([getattr(module, f"{w}{sfx}") for w in ("bias_ih", "bias_hh")]
             if module.bias else [None, None])
        return cls(*W, *b, nonlinearity=module.nonlinearity, input=input, torch_class=name)

    def to_torch(self, dtype=None):
        """A one-layer ``torch.nn.RNN`` (or ``RNNCell``, after ``torch_class``) with these
        weights and nonlinearity.

        ``dtype`` defaults to ``torch.float32`` when every weight is exactly a float32 value
        (always so for weights read from a float32 module: the round trip is exact), else
        ``torch.float64``. A model with no biases gives ``bias=False``; a missing one of the
        two is zeros. ``batch_first`` is False.
        """
        torch = import_torch("RNN.to_torch")
        arrays = (self.W_ih, self.W_hh, self.b_ih, self.b_hh)
        if dtype is None:
            dtype = torch.float32 if _float32_exact(arrays) else torch.float64
        bias = self.b_ih is not None or self.b_hh is not None
        m, n = self.n_inputs, self.hidden_size
        if self.torch_class == "RNNCell":
            mod, sfx = torch.nn.RNNCell(m, n, bias=bias, nonlinearity=self.nonlinearity,
                                        dtype=dtype), ""
        else:
            mod, sfx = torch.nn.RNN(m, n, num_layers=1, nonlinearity=self.nonlinearity,
                                    bias=bias, batch_first=False, dtype=dtype), "_l0"
        with torch.no_grad():
            for name, value in (("weight_ih", self.W_ih), ("weight_hh", self.W_hh),
                                ("bias_ih", self.b_ih), ("bias_hh", self.b_hh)):
                if name.startswith("bias") and not bias:
                    continue
                value = np.zeros(n) if value is None else value
                getattr(mod, name + sfx).copy_(torch.as_tensor(np.array(value), dtype=dtype))
        return mod

    def run(self, inputs, h0=None):
        """The hidden states over an input sequence ``(T, m)`` (numpy or torch), in compiled
        code: returns ``(T, n)``, row ``k`` the state after reading ``x[k]`` (torch's output
        sequence; ``h0``, default zeros, is not repeated)."""
        return super().run(inputs, h0)

    def __repr__(self):
        inp = repr(self.input)
        if len(inp) > 40:
            inp = f"{type(self.input).__name__}(...)"
        return (f"RNN(hidden_size={self.hidden_size}, n_inputs={self.n_inputs}, "
                f"nonlinearity={self.nonlinearity!r}, input={inp})")
