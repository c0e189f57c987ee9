"""Gated recurrent networks as dynamical systems: the GRU and the LSTM, each as a discrete map
(``solvers.iterate``, fixed points of trained networks) and in continuous time
(``solvers.solve``), with PyTorch's exact conventions and weights both ways.

**GRU** (``torch.nn.GRU`` / ``GRUCell``; gates ``r, z, n`` stacked in that order)::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

As torch does, the reset gate multiplies ``W_hn h + b_hn``, not ``h`` (Cho et al. 2014 wrote
``W_hn (r * h)``; the two differ). **GRU-ODE** (De Brouwer, Simm, Arany & Moreau, "GRU-ODE-Bayes",
NeurIPS 2019, eq. 3) is ``dh/dt = (1 - z) * (n - h)`` with the same gates: its Euler step with
``dt = 1`` is the GRU update.

**LSTM** (``torch.nn.LSTM`` / ``LSTMCell``; gates ``i, f, g, o``), a map on ``[h; c]``::

    i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*),  g = tanh(W_ig x + b_ig + W_hg h + b_hg)
    c' = f * c + i * g,   h' = o * tanh(c')

Its continuous form here is the one whose Euler step with ``dt = 1`` is the LSTM update, built
as De Brouwer et al. build GRU-ODE (``dx/dt = F(x) - x``, ``F`` the cell)::

    dc/dt = f * c + i * g - c,   dh/dt = o * tanh(f * c + i * g) - h

with the gates computed from ``(x(t), h)``. This is *not* the ODE-LSTM of Lechner & Hasani
(2020), which keeps the discrete memory update and integrates only the output state.

Inputs: ``input=`` is a constant vector ``x*`` (the autonomous system ``h -> F(h, x*)`` that the
fixed-point analysis of trained RNNs studies), a 2-d array ``(T, m)`` (row ``k`` is the input
from ``t = k`` to ``k + 1``, held: ``Sampled(arange(T), X, "zoh")``), or any
:mod:`neurodyn.inputs` object; maps read it at ``t = k``, their iteration index.
"""
from __future__ import annotations

import numpy as np

from solvers import MapSystem, ODESystem, iterate
from solvers._checks import InvalidTypeError, count, real_array, real_number

from .._model import FrozenModel
from ..inputs import Constant, Input, Sampled, as_input, encode
from . import _kernels_gated as _k

__all__ = ["GRU", "GRUODE", "LSTM", "LSTMODE"]

_TORCH_HINT = "install the optional extra: pip install 'neurodyn[torch]'"


def _torch(what):
    try:
        import torch
    except ImportError as exc:
        raise ImportError(f"{what} needs PyTorch: {_TORCH_HINT}") from exc
    return torch


def _frozen(a):
    out = np.array(a, dtype=np.float64, order="C", copy=True)
    out.flags.writeable = False
    return out


def _numpy(value):
    if hasattr(value, "detach"):  # a torch tensor, possibly requiring grad
        value = value.detach().cpu().double().numpy()
    return value


def _where(gates, n, row):
    return f"gate {gates[row // n]}, unit {row % n}"


def _weights(name, value, gates, n=None):
    """A finite float64 matrix: ``W_hh`` (G n, n) when ``n`` is None, else ``W_ih`` (G n, m)
    for hidden size ``n``; errors name the gate and unit of a bad entry."""
    G = len(gates)
    a = real_array(name, _numpy(value), finite=False)
    stack = f"the {G} gates {', '.join(gates)} stacked as torch does"
    if n is not None and (a.ndim != 2 or a.shape[0] != G * n):
        raise ValueError(f"{name} has shape {a.shape}, expected ({G * n}, m) to match W_hh "
                         f"(hidden size {n}): {stack}")
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[0] % G:
        raise ValueError(f"{name} has shape {a.shape}, expected ({G} n, n): {stack}")
    rows = a.shape[0] // G
    if n is None and a.shape[1] != rows:
        raise ValueError(f"{name} has shape {a.shape}, expected ({G} n, n) = ({a.shape[0]}, "
                         f"{rows}): {stack}, each block square")
    if a.shape[1] < 1:
        raise ValueError(f"{name} has shape {a.shape}: a cell needs at least one input channel")
    bad = np.argwhere(~np.isfinite(a))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise ValueError(f"{name}[{i}, {j}] = {float(a[i, j])!r} is not finite "
                         f"({_where(gates, rows, i)})")
    return _frozen(a)


def _bias(name, value, gates, n):
    if value is None:
        return None
    a = real_array(name, _numpy(value), finite=False)
    if a.shape != (len(gates) * n,):
        raise ValueError(f"{name} has shape {a.shape}, expected ({len(gates) * n},): one value "
                         f"per row of the stacked gates {', '.join(gates)}")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name}[{i}] = {float(a[i])!r} is not finite ({_where(gates, n, i)})")
    return _frozen(a)


def _cell_input(value, m):
    """The input as an Input over the m channels: a number, a vector (m,), a sequence (T, m)
    or a neurodyn Input."""
    if value is None or isinstance(value, Input) or callable(value):
        inp = as_input(value)
    else:
        a = real_array("input", _numpy(value), finite=False)
        bad = np.argwhere(~np.isfinite(a))
        if bad.size:
            k = ", ".join(str(int(v)) for v in bad[0])
            raise ValueError(f"input[{k}] = {float(a[tuple(bad[0])])!r} is not finite"
                             if k else f"input = {float(a)!r} is not finite")
        if a.ndim <= 1:
            if a.ndim == 1 and a.shape != (m,):
                raise ValueError(f"input has shape {a.shape}, expected a scalar, ({m},) (one "
                                 f"value per input channel) or a sequence (T, {m})")
            inp = Constant(a)
        elif a.ndim == 2 and a.shape[1] == m and a.shape[0] >= 1:
            inp = Sampled(np.arange(a.shape[0], dtype=np.float64), a, interp="zoh")
        else:
            raise ValueError(f"input has shape {a.shape}, expected a scalar, ({m},) or a "
                             f"sequence (T, {m}) with T >= 1 (one row per step)")
    try:
        block = encode(inp, m)
    except ValueError as exc:
        raise type(exc)(f"input: {exc} (channels are the cell's {m} inputs)") from None
    return inp, block


def _float32_exact(arrays):
    return all(a is None or np.array_equal(a.astype(np.float32).astype(np.float64), a)
               for a in arrays)


class _Gated(FrozenModel):
    """What the four gated models share: weights, input, torch both ways."""

    _ctor_args = ("W_ih", "W_hh", "b_ih", "b_hh", "input", "torch_class")
    _gates = ()
    _torch_classes = ()
    _kernels = (None, None)
    _state_blocks = 1

    def _setup(self, W_ih, W_hh, b_ih, b_hh, input, torch_class):
        if torch_class not in self._torch_classes:
            known = ", ".join(map(repr, self._torch_classes))
            raise ValueError(f"torch_class must be one of {known}, got {torch_class!r}")
        g = self._gates
        W_hh = _weights("W_hh", W_hh, g)
        n = W_hh.shape[1]
        W_ih = _weights("W_ih", W_ih, g, n=n)
        m = W_ih.shape[1]
        b_ih, b_hh = _bias("b_ih", b_ih, g, n), _bias("b_hh", b_hh, g, n)
        inp, (kind, off, amp, omega, phase, ts, vals) = _cell_input(input, m)
        zeros = np.zeros(len(g) * n)
        cx = (zeros if b_ih is None else b_ih) + W_ih @ off
        params = (W_ih, W_hh, _frozen(cx), _frozen(zeros) if b_hh is None else b_hh, int(kind),
                  amp, omega, phase, ts, vals)
        rhs, jac = self._kernels
        self._init_system(rhs, self._state_blocks * n, params, jac)
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh
        self.input = inp
        self.torch_class = torch_class
        self.hidden_size = n
        self.n_inputs = m
        self._freeze()

    def __init__(self, W_ih, W_hh, b_ih=None, b_hh=None, input=0.0, torch_class=None):
        self._setup(W_ih, W_hh, b_ih, b_hh, input,
                    self._torch_classes[0] if torch_class is None else torch_class)

    @classmethod
    def from_torch(cls, module, layer=0, *, input=0.0):
        """The model with the weights of a torch module's layer ``layer`` (float64 copies,
        exact for float32 weights); ``to_torch()`` gives back the same class.

        Unidirectional modules only, and for the LSTM no ``proj_size``; ``batch_first`` does
        not matter. Layer ``k > 0`` reads the outputs of layer ``k - 1``: its ``W_ih`` has
        ``hidden_size`` columns, and ``to_torch()`` gives a one-layer module with its weights.
        """
        torch = _torch(f"{cls.__name__}.from_torch")
        name = None
        for tc in cls._torch_classes:
            if isinstance(module, getattr(torch.nn, tc)):
                name = tc
        if name is None:
            want = " or ".join(f"torch.nn.{tc}" for tc in cls._torch_classes)
            raise InvalidTypeError(f"{cls.__name__}.from_torch needs a {want}, got "
                                   f"{type(module).__name__}")
        layer = count("layer", layer)
        cell = name.endswith("Cell")
        if cell:
            if layer != 0:
                raise ValueError(f"layer={layer}: a torch.nn.{name} has one layer (layer 0)")
            sfx = ""
        else:
            if layer >= module.num_layers:
                raise ValueError(f"layer={layer} is out of range: this torch.nn.{name} has "
                                 f"num_layers={module.num_layers} (layers 0 to "
                                 f"{module.num_layers - 1})")
            if module.bidirectional:
                raise ValueError(f"torch.nn.{name} with bidirectional=True: its reverse "
                                 "direction reads the sequence backwards, which is no "
                                 "dynamical system in forward time; build one without it")
            if getattr(module, "proj_size", 0):
                raise ValueError(f"torch.nn.{name} with proj_size={module.proj_size} (an LSTM "
                                 "with projections, h = W_hr (o * tanh c)) is not supported")
            sfx = f"_l{layer}"
        W = [getattr(module, f"{w}{sfx}") for w in ("weight_ih", "weight_hh")]
        b = ([getattr(module, f"{w}{sfx}") for w in ("bias_ih", "bias_hh")]
             if module.bias else [None, None])
        return cls(*W, *b, input=input, torch_class=name)

    def to_torch(self, dtype=None):
        """A one-layer ``torch.nn`` module of class ``torch_class`` with these weights.

        ``dtype`` defaults to ``torch.float32`` when every weight is exactly a float32 value
        (always so for weights read from a float32 module: the round trip is exact), else
        ``torch.float64``. A model with no biases gives ``bias=False``; a missing one of the
        two is zeros. The module's ``batch_first`` is False.
        """
        torch = _torch(f"{type(self).__name__}.to_torch")
        arrays = (self.W_ih, self.W_hh, self.b_ih, self.b_hh)
        if dtype is None:
            dtype = torch.float32 if _float32_exact(arrays) else torch.float64
        cls = getattr(torch.nn, self.torch_class)
        bias = self.b_ih is not None or self.b_hh is not None
        m, n = self.n_inputs, self.hidden_size
        if self.torch_class.endswith("Cell"):
            mod, sfx = cls(m, n, bias=bias, dtype=dtype), ""
        else:
            mod, sfx = cls(m, n, num_layers=1, bias=bias, batch_first=False, dtype=dtype), "_l0"
        zeros = np.zeros(len(self._gates) * n)
        with torch.no_grad():
            for name, value in (("weight_ih", self.W_ih), ("weight_hh", self.W_hh),
                                ("bias_ih", self.b_ih), ("bias_hh", self.b_hh)):
                if name.startswith("bias") and not bias:
                    continue
                value = zeros if value is None else value
                getattr(mod, name + sfx).copy_(torch.as_tensor(np.array(value), dtype=dtype))
        return mod

    def _other(self, cls):
        return cls(**self._kwargs())

    def __repr__(self):
        inp = repr(self.input)
        if len(inp) > 60:
            inp = f"{type(self.input).__name__}(...)"
        return (f"{type(self).__name__}(hidden_size={self.hidden_size}, "
                f"n_inputs={self.n_inputs}, input={inp})")


class _Map(_Gated, MapSystem):
    def _init_system(self, step, n_states, params, jac):
        MapSystem.__init__(self, step, n_states, params=params, jac=jac, name=type(self).__name__)

    def _sequence(self, inputs, state0):
        m = self.n_inputs
        X = real_array("inputs", _numpy(inputs), finite=False)
        if X.ndim != 2 or X.shape[1] != m:
            raise ValueError(f"inputs has shape {X.shape}, expected (T, {m}): one row per "
                             f"step, one column per input channel (n_inputs = {m})")
        bad = np.argwhere(~np.isfinite(X))
        if bad.size:
            k, q = (int(v) for v in bad[0])
            raise ValueError(f"inputs[{k}, {q}] = {float(X[k, q])!r} is not finite")
        if X.shape[0] == 0:
            return np.empty((0, self.n_states))
        system = self.replace(input=Sampled(np.arange(X.shape[0], dtype=np.float64), X,
                                            interp="zoh"))
        sol = iterate(system, state0, X.shape[0])
        if not sol.success:
            raise FloatingPointError(f"{type(self).__name__}.run: {sol.message}")
        return sol.y[1:]


class _Flow(_Gated, ODESystem):
    def _init_system(self, rhs, n_states, params, jac):
        ODESystem.__init__(self, rhs, n_states, params=params, jac=jac, name=type(self).__name__)

    def _discretize(self, dt, method):
        """The discrete map whose update is this ODE's Euler step with ``dt = 1`` (the hook
        ``neurodyn.discretize(model, dt, method)`` calls); any other step or method is refused:
        it would be a leaky cell with no torch counterpart (integrate it with
        ``solvers.solve(model, ..., method=method, dt=dt)`` instead)."""
        dt = real_number("dt", dt, positive=True)
        if method != "euler" or dt != 1.0:
            raise ValueError(f"{type(self).__name__} has an exact discrete form only for "
                             f"method='euler' with dt=1 (the torch cell update), got "
                             f"method={method!r}, dt={dt!r}: another step is a leaky cell "
                             "with no torch counterpart; integrate it with solvers.solve("
                             "model, t_span, y0, method='euler', dt=dt) instead")
        return self.discrete()


def _state(name, value, n):
    if value is None:
        return np.zeros(n)
    a = real_array(name, _numpy(value), finite=False)
    if a.shape != (n,):
        raise ValueError(f"{name} has shape {a.shape}, expected ({n},)")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise ValueError(f"{name}[{int(bad[0])}] = {float(a[bad[0]])!r} is not finite")
    return a


class GRU(_Map):
    """The GRU update ``h[k+1] = GRUCell(x[k], h[k])`` as a map, ready for ``solvers.iterate``
    and the fixed-point analysis (torch's convention: the reset gate scales
    ``W_hn h + b_hn``; see the module docstring).

    Parameters
    ----------
    W_ih : array_like (3n, m)
        Input weights, gates ``r, z, n`` stacked (torch's ``weight_ih``).
    W_hh : array_like (3n, n)
        Recurrent weights (torch's ``weight_hh``).
    b_ih, b_hh : array_like (3n,) or None
        Biases (``None``: zeros, and ``to_torch`` gives ``bias=False`` if both are None).
    input : float, array_like (m,) or (T, m), or neurodyn Input
        The input: constant ``x*``, a sequence (row ``k`` read at step ``k``, the last row held
        after the end), or an Input read at ``t = k``.
    torch_class : {"GRU", "GRUCell"}
        The class :meth:`to_torch` builds.

    Notes
    -----
    The state is ``h`` (``n_states = hidden_size = n``); ``step``, ``jac`` (analytic),
    ``params``: the :class:`solvers.MapSystem` protocol.

    Every fixed point has ``n = h`` (``1 - z`` never vanishes), so it lies in ``(-1, 1)^n``:
    give ``neurodyn.analysis.fixed_points`` ``box=1.0``. Far outside, ``z`` rounds to exactly
    1 in float64 and every ``h`` there is a fixed point of the computed map: points that
    Newton finds with some ``|h_i| >= 1`` are such artefacts of saturation.

    Example
    -------
    >>> gru = GRU(np.zeros((3, 1)), [[0.0], [0.0], [2.0]], input=0.0)
    >>> out = np.empty(1)
    >>> gru.step(0, np.array([0.5]), gru.params, out)   # kernels also run uncompiled
    >>> out.round(6)      # z = 1/2, n = tanh(r * 2 h) = tanh(0.5)
    array([0.481059])
    """

    _gates = ("r", "z", "n")
    _torch_classes = ("GRU", "GRUCell")
    _kernels = (_k.gru_step, _k.gru_step_jac)

    def run(self, inputs, h0=None):
        """The hidden states over an input sequence, in compiled code.

        ``inputs`` has shape ``(T, m)`` (a numpy array or a torch tensor). Returns ``(T, n)``:
        row ``k`` is ``h[k+1]``, the state after reading ``x[k]``, which is torch's output
        sequence (``h0`` is not repeated). ``h0`` defaults to zeros.

        >>> GRU(np.zeros((3, 1)), np.zeros((3, 1))).run(np.zeros((2, 1)), h0=[1.0]).ravel()
        array([0.5 , 0.25])
        """
        return self._sequence(inputs, _state("h0", h0, self.hidden_size))

    def ode(self):
        """The GRU-ODE with the same weights and input (:class:`GRUODE`)."""
        return self._other(GRUODE)


class GRUODE(_Flow):
    """GRU-ODE (De Brouwer et al. 2019): ``dh/dt = (1 - z) * (n - h)``, gates as in
    :class:`GRU` (torch's convention), for ``solvers.solve``; its Euler step with ``dt = 1`` is
    the GRU update (:meth:`discrete`).

    Same parameters as :class:`GRU`; a time-varying ``input`` is read at ``t``. ``rhs``,
    ``jac`` (analytic), ``params``: the :class:`solvers.ODESystem` protocol.

    Example
    -------
    >>> f = GRUODE(np.zeros((3, 1)), np.zeros((3, 1)), input=0.0)
    >>> dhdt = np.empty(1)
    >>> f.rhs(0.0, np.array([1.0]), f.params, dhdt)
    >>> dhdt    # z = 1/2, n = 0
    array([-0.5])
    """

    _gates = ("r", "z", "n")
    _torch_classes = ("GRU", "GRUCell")
    _kernels = (_k.gru_ode_rhs, _k.gru_ode_jac)

    def discrete(self):
        """The :class:`GRU` map with the same weights and input."""
        return self._other(GRU)


class LSTM(_Map):
    """The LSTM update on the state ``[h; c]`` as a map (torch's ``LSTMCell``):
    ``c' = f c + i g``, ``h' = o tanh(c')``, gates ``i, f, g, o`` stacked as torch does.

    Parameters as for :class:`GRU`, with ``4n`` rows (``torch_class`` ``"LSTM"`` or
    ``"LSTMCell"``). ``n_states = 2 * hidden_size``: ``h`` first, then ``c``.

    Example
    -------
    >>> lstm = LSTM(np.zeros((4, 1)), np.zeros((4, 1)))
    >>> out = np.empty(2)
    >>> lstm.step(0, np.array([0.0, 1.0]), lstm.params, out)   # gates 1/2, g = 0
    >>> out.round(6)                                           # [tanh(0.5)/2, 0.5]
    array([0.231059, 0.5     ])
    """

    _gates = ("i", "f", "g", "o")
    _torch_classes = ("LSTM", "LSTMCell")
    _kernels = (_k.lstm_step, _k.lstm_step_jac)
    _state_blocks = 2

    def run(self, inputs, h0=None, c0=None):
        """The states ``[h; c]`` over an input sequence ``(T, m)``: returns ``(T, 2n)``, row
        ``k`` the state after reading ``x[k]``. ``out[:, :n]`` is torch's output sequence,
        ``out[-1, n:]`` its final cell state. ``h0``, ``c0`` default to zeros.

        >>> LSTM(np.zeros((4, 1)), np.zeros((4, 1))).run(np.zeros((1, 1)), c0=[1.0]).round(6)
        array([[0.231059, 0.5     ]])
        """
        n = self.hidden_size
        x0 = np.concatenate([_state("h0", h0, n), _state("c0", c0, n)])
        return self._sequence(inputs, x0)

    def ode(self):
        """The continuous-time LSTM with the same weights and input (:class:`LSTMODE`)."""
        return self._other(LSTMODE)


class LSTMODE(_Flow):
    """The continuous-time LSTM whose Euler step with ``dt = 1`` is the LSTM update, on the
    state ``[h; c]``::

        dc/dt = f c + i g - c,   dh/dt = o tanh(f c + i g) - h

    (gates from ``x(t)`` and ``h``; the ``dx/dt = F(x) - x`` construction of De Brouwer et al.
    2019, see the module docstring). Parameters as for :class:`LSTM`.

    Example
    -------
    >>> f = LSTMODE(np.zeros((4, 1)), np.zeros((4, 1)))
    >>> dxdt = np.empty(2)
    >>> f.rhs(0.0, np.array([0.0, 1.0]), f.params, dxdt)
    >>> dxdt.round(6)
    array([ 0.231059, -0.5     ])
    """

    _gates = ("i", "f", "g", "o")
    _torch_classes = ("LSTM", "LSTMCell")
    _kernels = (_k.lstm_ode_rhs, _k.lstm_ode_jac)
    _state_blocks = 2

    def discrete(self):
        """The :class:`LSTM` map with the same weights and input."""
        return self._other(LSTM)
