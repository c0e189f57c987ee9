"""The host side of the basic cells' kernels (``_kernels_basic``): what IndRNN, Jordan,
second-order and MTRNN share in Python — argument checks whose errors name the culprit, the
input convention, the run loop of a map over an input sequence, and the lazily built PyTorch
base module.

**Input convention.** A cell reads an ``m``-channel input ``x(t)``: a number or a length-``m``
vector (constant), or a :class:`~neurodyn.inputs.Input` (``Constant``, ``Sampled``, ``Sinusoid``,
encoded for ``m`` channels). A map reads ``x_k = x(k dt)``; there a 2-D array of shape
``(T, m)`` is the sequence ``x_0 .. x_{T-1}`` (stored as ``Sampled(k dt, x_k)``, held at its
last row after the end). A flow takes no 2-D array: its samples need times (``Sampled``).
"""
from __future__ import annotations

import functools

import numpy as np

import solvers
from solvers._checks import InvalidTypeError, real_array, real_number

from .._model import FrozenModel, check_node_names
from ..inputs import Constant, Input, Sampled, encode
from ._kernels_basic import ACTIVATIONS

__all__ = ["TORCH_HINT", "import_torch", "activation", "vector", "matrix", "cell_input",
           "check_method", "check_activation", "default_dt", "euler_form", "sequence", "initial_state", "leak_decay", "euler_leak", "tau_of_leak",
           "CellMap", "CellFlow", "names", "frozen", "weights", "positive_dt", "torch_base",
           "torch_activation", "activation_name", "numpy_of", "state_dict_of",
           "float32_exact", "torch_dtype", "METHODS"]

TORCH_HINT = "install the optional extra: pip install 'neurodyn[torch]'"
METHODS = ("euler", "exponential")


def import_torch(what):
    try:
        import torch
    except ImportError as exc:
        raise ImportError(f"{what} needs PyTorch: {TORCH_HINT}") from exc
    return torch


def activation(value, name="activation", allowed=tuple(ACTIVATIONS)):
    """The activation name, checked (a non-string is refused, not looked up)."""
    if not isinstance(value, str) or value not in allowed:
        known = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"unknown {name} {value!r}; known: {known}")
    return value


check_activation = activation


def default_dt(dt, tau):
    """``dt``, checked; ``None`` is ``tau`` itself, which must then be one value."""
    if dt is None:
        if not np.all(tau == tau[0]):
            raise ValueError("dt=None means dt = tau, but tau differs between neurons; give "
                             "dt")
        return float(tau[0])
    return real_number("dt", dt, positive=True)


def euler_form(leak, decay, labels, what="decay", want="1 - leak"):
    """Refuse a map whose ``decay`` is not ``1 - leak`` (to rounding): no step of the flow."""
    bad = np.flatnonzero(np.abs(decay - (1.0 - leak)) > 1e-12 * np.maximum(1.0, np.abs(decay)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"no continuous form: {what} of {_label(labels, i, 'neuron')} is "
                         f"{float(decay[i])!r}, not {want} = {float(1.0 - leak[i])!r} (only "
                         "such a map is a step of its flow)")


def names(labels, n, what):
    """Labels of n units (``range(n)`` by default), distinct."""
    return check_node_names(labels, n, per=what)


def _label(labels, i, what):
    return f"{what} {labels[i]!r} (index {i})" if labels[i] != i else f"{what} {i}"


def _frozen(a):
    out = np.array(a, dtype=np.float64, order="C", copy=True)
    out.flags.writeable = False
    return out


frozen = _frozen


def positive_dt(dt, name="dt"):
    return real_number(name, dt, positive=True)


def weights(value, name, ndim, edge, shape=None):
    """A finite float64 array of ``ndim`` dimensions, none of them empty (of exactly ``shape``
    when given, ``None`` entries free); ``edge(index)`` names the connection of a bad entry."""
    arr = real_array(name, numpy_of(value), finite=False)
    if arr.ndim != ndim or 0 in arr.shape:
        want = "" if shape is None else " " + str(tuple("any" if s is None else s
                                                         for s in shape)).replace("'", "")
        raise ValueError(f"{name} has shape {arr.shape}, expected a non-empty {ndim}-D "
                         f"array{want}")
    if shape is not None and any(s is not None and s != t for s, t in zip(shape, arr.shape)):
        want = str(tuple("any" if s is None else s for s in shape)).replace("'", "")
        raise ValueError(f"{name} has shape {arr.shape}, expected {want}")
    return _frozen(matrix(arr, arr.shape, name, edge))


def vector(value, n, name, labels, *, what="neuron", positive=False, allow_inf=False):
    """A frozen (n,) float64 array from a real scalar or a length-n vector; an error names the
    unit whose value is bad. Booleans, strings and complex values are refused."""
    arr = real_array(name, value, finite=False)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"{name} has shape {arr.shape}, expected a scalar or shape ({n},) "
                         f"(one value per {what})")
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if positive:
        bad |= ~(arr > 0.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if positive:
            need = "positive" if allow_inf else "positive and finite"
        else:
            need = "a number" if allow_inf else "finite"
        raise ValueError(f"{name} of {_label(labels, i, what)} must be {need}, got "
                         f"{float(arr[i])!r}")
    return _frozen(arr)


def matrix(value, shape, name, edge):
    """A float64 array of exactly ``shape`` with finite entries; ``edge(index)`` says which
    connection a bad entry is (e.g. ``"input 0 -> neuron 'a'"``)."""
    arr = real_array(name, numpy_of(value), finite=False)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)}")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        idx = tuple(int(v) for v in bad[0])
        raise ValueError(f"{name}[{', '.join(map(str, idx))}] = {float(arr[idx])!r} is not "
                         f"finite ({edge(idx)})")
    return arr


def cell_input(value, m, *, dt=None, name="input"):
    """The model's input as an :class:`~neurodyn.inputs.Input` for ``m`` channels (see the
    module docstring); ``dt`` is the map's step (None for a flow: no 2-D sequences)."""
    if value is None:
        inp = Constant(0.0)
    elif isinstance(value, Input):
        inp = value
    elif callable(value):
        raise InvalidTypeError(f"{name}: a Python callable cannot be evaluated inside a "
                               "compiled kernel; sample it (neurodyn.Sampled(times, f(times))) "
                               "or use Constant/Sinusoid")
    else:
        arr = real_array(name, value, finite=False)
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            idx = tuple(int(v) for v in bad[0])
            where = f"[{', '.join(map(str, idx))}]" if idx else ""
            raise ValueError(f"{name}{where} = {float(arr[idx])!r} is not finite")
        if arr.ndim == 2:
            if dt is None:
                raise ValueError(f"{name}: a 2-D array is an input sequence, which only the "
                                 "discrete form reads (one row per step); a continuous form "
                                 "needs times: pass neurodyn.Sampled(times, values)")
            if arr.shape[1] != m or arr.shape[0] < 1:
                raise ValueError(f"{name} has shape {arr.shape}, expected (T, {m}): one row "
                                 f"per step, one column per input channel")
            inp = Sampled(np.arange(arr.shape[0]) * dt, arr, interp="zoh")
        elif arr.ndim <= 1:
            if arr.ndim == 1 and arr.shape != (m,):
                raise ValueError(f"{name} has shape {arr.shape}, expected a number or ({m},) "
                                 f"(one value per input channel; a sequence is 2-D, (T, {m}))")
            inp = Constant(arr)
        else:
            raise ValueError(f"{name} has shape {arr.shape}: expected a number, ({m},) or "
                             f"(T, {m})")
    try:
        encode(inp, m)
    except ValueError as exc:
        raise ValueError(f"{name} ({m} input channel{'s' if m != 1 else ''}): {exc}") from None
    return inp


def check_method(method, allowed=METHODS):
    if not isinstance(method, str) or method not in allowed:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(map(repr, allowed))}")
    return method


def sequence(inputs, m, name="inputs"):
    """An input sequence as a float64 (T, m) array (``(T,)`` is taken when m = 1)."""
    if hasattr(inputs, "detach"):
        inputs = inputs.detach().cpu().numpy()
    X = real_array(name, inputs, finite=False)
    if X.ndim == 1 and m == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != m:
        raise ValueError(f"{name} has shape {X.shape}, expected (T, {m}): one row per step, "
                         f"one column per input channel")
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        k, q = (int(v) for v in bad[0])
        raise ValueError(f"{name}[{k}, {q}] = {float(X[k, q])!r} is not finite")
    return np.ascontiguousarray(X)


def initial_state(h0, n, name="h0"):
    if h0 is None:
        return np.zeros(n)
    if hasattr(h0, "detach"):
        h0 = h0.detach().cpu().numpy()
    h = np.array(real_array(name, h0, finite=False), dtype=np.float64)
    if h.shape != (n,):
        raise ValueError(f"{name} has shape {h.shape}, expected ({n},)")
    bad = np.flatnonzero(~np.isfinite(h))
    if bad.size:
        raise ValueError(f"{name}[{int(bad[0])}] = {float(h[bad[0]])!r} is not finite")
    return h


def leak_decay(leak, decay, n, labels):
    """``(leak, decay)`` per neuron: ``leak`` positive, ``decay`` default ``1 - leak``."""
    leak = vector(leak, n, "leak", labels, positive=True)
    decay = _frozen(1.0 - leak) if decay is None else vector(decay, n, "decay", labels)
    return leak, decay


def euler_leak(dt, tau, method):
    """``(leak, decay)`` of one step ``dt`` of ``tau dh/dt = -h + g``: Euler ``dt/tau``, or
    exponential Euler ``1 - exp(-dt/tau)`` (decay ``exp(-dt/tau)``, without cancellation)."""
    r = dt / tau
    if method == "euler":
        return r, 1.0 - r
    return -np.expm1(-r), np.exp(-r)


def tau_of_leak(dt, leak, decay, method, labels):
    """The inverse of :func:`euler_leak`: the flow's tau per neuron."""
    method = check_method(method)
    if method == "euler":
        return dt / leak
    bad = np.flatnonzero(~((decay > 0.0) & (decay < 1.0)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"no exponential-Euler flow: decay of {_label(labels, i, 'neuron')} "
                         f"is {float(decay[i])!r}, outside (0, 1)")
    return -dt / np.log(decay)


class CellMap(FrozenModel, solvers.MapSystem):
    """What the discrete forms share: :meth:`run` over an input sequence."""

    def _replaced_kwargs(self, kwargs, changes):
        # decay defaults to 1 - leak: a new leak without a new decay takes the default again.
        if "leak" in changes and "decay" not in changes and "decay" in kwargs:
            kwargs["decay"] = None
        kwargs.update(changes)
        return kwargs

    def run(self, inputs, h0=None):
        """Iterate the map over an input sequence (``(T, n_inputs)``) in compiled code.

        The sequence replaces the model's input for this run. Returns an array of shape
        ``(T, n_states)`` whose row ``k`` is the state after reading ``x_k`` (``h0`` is not
        repeated: ``torch.nn.RNN``'s output convention).
        """
        X = sequence(inputs, self.n_inputs)
        x0 = initial_state(h0, self.n_states)
        if X.shape[0] == 0:
            return np.empty((0, self.n_states))
        sol = solvers.iterate(self.replace(input=X), x0, X.shape[0])
        if sol.status != 0:
            raise FloatingPointError(f"{type(self).__name__}.run: {sol.message}")
        return sol.y[1:]


class CellFlow(FrozenModel, solvers.ODESystem):
    """What the continuous forms share: the hook ``neurodyn.discretize(model, dt, method)``
    calls, which hands over to the model's own ``discrete(dt, method)``."""

    def _discretize(self, dt, method):
        return self.discrete(dt, method)


# ------------------------------------------------------------------------------- torch

def torch_activation(torch, name):
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "identity": (lambda z: z)}[name]


def activation_name(code, what):
    """The activation name of an integer code read from a torch module's buffer."""
    code = int(code)
    for k, v in ACTIVATIONS.items():
        if v == code:
            return k
    raise ValueError(f"{what}: unknown activation code {code} (known: "
                     f"{', '.join(f'{v} {k}' for k, v in ACTIVATIONS.items())})")


def float32_exact(arrays):
    """Whether every array holds float32 values only (a torch module in float32 is exact)."""
    return all(np.array_equal(np.asarray(a, dtype=np.float32).astype(np.float64), a)
               for a in arrays)


def torch_dtype(torch, dtype, arrays):
    """``dtype``, or float32 when every array is exactly float32, else float64."""
    if dtype is not None:
        return dtype
    return torch.float32 if float32_exact(arrays) else torch.float64


def numpy_of(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().double().numpy()
    return value


def state_dict_of(module, keys, what):
    """The named tensors of a module (or of a state_dict), as float64 NumPy arrays."""
    sd = module.state_dict() if hasattr(module, "state_dict") else module
    if not hasattr(sd, "keys"):
        raise InvalidTypeError(f"{what} needs a torch module or its state_dict, got "
                               f"{type(module).__name__}")
    missing = [k for k in keys if k not in sd]
    if missing:
        raise ValueError(f"{what}: the state_dict has no {', '.join(map(repr, missing))} "
                         f"(it has {', '.join(map(repr, sd.keys()))})")
    return {k: np.array(numpy_of(sd[k]), dtype=np.float64) for k in keys}


@functools.cache
def torch_base():
    """A ``torch.nn.Module`` base whose forward runs ``self.cell(x_t, h) -> (h', y_t)`` over a
    sequence ``(T, m)`` or ``(T, B, m)`` (``batch_first=False``, as torch.nn.RNN), returning
    ``(y, h_T)``. Subclasses set ``input_size``, ``state_size`` (of ``h``) and
    ``output_size`` (of ``y``)."""
    torch = import_torch("to_torch")

    class SequenceModule(torch.nn.Module):
        def forward(self, x, h0=None):
            if x.dim() not in (2, 3):
                raise ValueError(f"x must be (T, {self.input_size}) or (T, B, "
                                 f"{self.input_size}), got shape {tuple(x.shape)}")
            batched = x.dim() == 3
            if not batched:
                x = x.unsqueeze(1)
            B = x.shape[1]
            n = self.state_size
            if h0 is None:
                h = x.new_zeros((B, n))
            else:
                h = (h0 if h0.dim() == 2 else h0.unsqueeze(0)).expand(B, n)
            outs = []
            for t in range(x.shape[0]):
                h, y = self.cell(x[t], h)
                outs.append(y)
            out = torch.stack(outs) if outs else x.new_zeros((0, B, self.output_size))
            if not batched:
                return out[:, 0], h[0]
            return out, h

    SequenceModule.__module__ = __name__
    SequenceModule.__qualname__ = "SequenceModule"
    return SequenceModule


def __getattr__(name):
    # Lets pickle find the lazily built torch base class by name.
    if name == "SequenceModule":
        return torch_base()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
