"""Time-varying external input ``I(t)`` that compiled kernels can evaluate.

Every input kind encodes into the *same* block of kernel parameters (see :func:`encode`), so
a model compiled for one kind of input serves all of them: switching from a constant drive to
a sampled recording or a sinusoid compiles nothing new.

* :class:`Constant` — ``I_i(t) = c_i``.
* :class:`Sampled` — a recording ``values[k]`` at ``times[k]``, held (``"zoh"``) or linearly
  interpolated (``"linear"``) between samples, held flat before the first and after the last.
* :class:`Sinusoid` — ``I_i(t) = offset_i + amplitude_i * sin(2 pi frequency_i t + phase_i)``.

Arbitrary Python callables are not accepted: they cannot run inside compiled code. Sample
them with :class:`Sampled` instead.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from solvers._checks import real_array

__all__ = ["Input", "Constant", "Sampled", "Sinusoid", "as_input", "encode",
           "INPUT_CONSTANT", "INPUT_ZOH", "INPUT_LINEAR", "INPUT_SINUSOID"]

# Kind codes stored in the kernel parameters (see neurodyn._kernels_ctrnn).
INPUT_CONSTANT = 0
INPUT_ZOH = 1
INPUT_LINEAR = 2
INPUT_SINUSOID = 3


def _frozen(a, dtype=np.float64):
    # Always a private copy: freezing the caller's own array would change *their* flags.
    out = np.array(a, dtype=dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


def _real_array(value, what):
    """``value`` as a float64 array with finite entries; booleans, strings and complex values
    are refused (``InvalidTypeError``) and the first non-finite entry is named."""
    return real_array(what, value)


def _per_node(arr, n, what):
    """Broadcast a scalar or length-n vector to a frozen (n,) array, or say what is wrong."""
    if arr.ndim == 0:
        return _frozen(np.full(n, float(arr)))
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{what} has shape {arr.shape}, expected a scalar or shape ({n},) "
                         "(one value per node)")
    return _frozen(arr)


class Input:
    """Base class of the compiled-evaluable inputs. Subclasses implement ``_encode(n)``."""

    __slots__ = ()

    def _encode(self, n):  # pragma: no cover - abstract
        raise NotImplementedError

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one")

    def _set(self, **kw):
        for k, v in kw.items():
            object.__setattr__(self, k, v)

    def __reduce__(self):
        # Rebuild through the constructor: it re-validates, and re-freezes the arrays (pickle
        # would restore them writeable, changing the Numba type of a model's params).
        return type(self), self._args()


class Constant(Input):
    """Constant input ``I_i(t) = value_i``.

    Parameters
    ----------
    value : float or array_like, shape (n,)
        The same drive for every node, or one per node.

    Example
    -------
    >>> Constant(0.5).value
    array(0.5)
    >>> Constant([1.0, -1.0]).value
    array([ 1., -1.])
    """

    __slots__ = ("value",)

    def __init__(self, value=0.0):
        arr = _real_array(value, "Constant value")
        if arr.ndim > 1:
            raise ValueError(f"Constant value has shape {arr.shape}, expected a scalar or (n,)")
        self._set(value=_frozen(arr))

    def _args(self):
        return (self.value,)

    def _encode(self, n):
        return INPUT_CONSTANT, _per_node(self.value, n, "Constant value"), None, None, None, \
            None, None

    def __repr__(self):
        return f"Constant({self.value.tolist()!r})"


class Sampled(Input):
    """A sampled signal, held or linearly interpolated between sample times.

    Parameters
    ----------
    times : array_like, shape (m,)
        Strictly increasing, finite sample times (``m >= 1``).
    values : array_like, shape (m,) or (m, n)
        ``values[k]`` is the input at ``times[k]``: one signal for every node (shape ``(m,)``)
        or one column per node.
    interp : {"zoh", "linear"}
        ``"zoh"`` (zero-order hold) keeps ``values[k]`` on ``[times[k], times[k+1])``, so at a
        sample time the new value applies; ``"linear"`` interpolates. Before ``times[0]`` the
        first value is held, after ``times[-1]`` the last.

    Example
    -------
    >>> s = Sampled([0.0, 1.0, 2.0], [0.0, 10.0, 20.0], interp="linear")
    >>> s.times.shape, s.values.shape, s.interp
    ((3,), (3, 1), 'linear')
    """

    __slots__ = ("times", "values", "interp")

    def __init__(self, times, values, interp="zoh"):
        if interp not in ("zoh", "linear"):
            raise ValueError(f"Sampled interp must be 'zoh' or 'linear', got {interp!r}")
        ts = _real_array(times, "Sampled times")
        if ts.ndim != 1 or ts.shape[0] < 1:
            raise ValueError(f"Sampled times must be a non-empty 1-d array, got shape {ts.shape}")
        steps = np.flatnonzero(np.diff(ts) <= 0.0)
        if steps.size:
            k = int(steps[0]) + 1
            raise ValueError("Sampled times must be strictly increasing: "
                             f"times[{k}] = {float(ts[k])!r} <= "
                             f"times[{k - 1}] = {float(ts[k - 1])!r}")
        vals = _real_array(values, "Sampled values")
        m = ts.shape[0]
        if vals.ndim == 1 and vals.shape[0] == m:
            # One column shared by every node: broadcasting in the kernel (column 0) avoids
            # storing m * n copies of the same numbers.
            vals = vals[:, None]
        elif not (vals.ndim == 2 and vals.shape[0] == m and vals.shape[1] >= 1):
            raise ValueError(f"Sampled values have shape {vals.shape}, expected ({m},) or "
                             f"({m}, n_nodes) to match the {m} sample times")
        self._set(times=_frozen(ts), values=_frozen(vals), interp=interp)

    def _args(self):
        return (self.times, self.values, self.interp)

    def _encode(self, n):
        cols = self.values.shape[1]
        if cols != 1 and cols != n:
            raise ValueError(f"Sampled values have {cols} columns, expected {n} (one per node) "
                             "or a 1-d array shared by all nodes")
        kind = INPUT_ZOH if self.interp == "zoh" else INPUT_LINEAR
        return kind, None, None, None, None, self.times, self.values

    def __repr__(self):
        return (f"Sampled(<{self.times.shape[0]} samples, {self.values.shape[1]} column(s)>, "
                f"interp={self.interp!r})")


class Sinusoid(Input):
    """``I_i(t) = offset_i + amplitude_i * sin(2 pi frequency_i t + phase_i)``.

    Each argument is a scalar or one value per node; ``frequency`` is in cycles per time unit.

    Example
    -------
    >>> s = Sinusoid(amplitude=2.0, frequency=0.5, offset=[0.0, 1.0])
    >>> s.amplitude, s.offset
    (array(2.), array([0., 1.]))
    """

    __slots__ = ("amplitude", "frequency", "phase", "offset")

    def __init__(self, amplitude, frequency, phase=0.0, offset=0.0):
        vals = {}
        for name, v in (("amplitude", amplitude), ("frequency", frequency), ("phase", phase),
                        ("offset", offset)):
            arr = _real_array(v, f"Sinusoid {name}")
            if arr.ndim > 1:
                raise ValueError(f"Sinusoid {name} has shape {arr.shape}, "
                                 "expected a scalar or (n,)")
            vals[name] = _frozen(arr)
        self._set(**vals)

    def _args(self):
        return (self.amplitude, self.frequency, self.phase, self.offset)

    def _encode(self, n):
        amp = _per_node(self.amplitude, n, "Sinusoid amplitude")
        omega = _frozen(2.0 * math.pi * _per_node(self.frequency, n, "Sinusoid frequency"))
        phase = _per_node(self.phase, n, "Sinusoid phase")
        off = _per_node(self.offset, n, "Sinusoid offset")
        return INPUT_SINUSOID, off, amp, omega, phase, None, None

    def __repr__(self):
        return (f"Sinusoid(amplitude={self.amplitude.tolist()!r}, "
                f"frequency={self.frequency.tolist()!r}, phase={self.phase.tolist()!r}, "
                f"offset={self.offset.tolist()!r})")


def as_input(value, n=None):
    """Turn what a user passed as ``input=`` into an :class:`Input`.

    Numbers and vectors become :class:`Constant`; ``None`` means no input. With ``n`` given,
    per-node lengths are checked now rather than when the model is built.

    >>> as_input(0.25)
    Constant(0.25)
    >>> as_input(None)
    Constant(0.0)
    """
    if value is None:
        inp = Constant(0.0)
    elif isinstance(value, Input):
        inp = value
    elif callable(value):
        raise TypeError("input: a Python callable cannot be evaluated inside a compiled kernel; "
                        "sample it (neurodyn.Sampled(times, f(times))) or use Constant/Sinusoid")
    elif isinstance(value, (numbers.Real, np.ndarray, list, tuple)):
        inp = Constant(value)
    else:
        raise TypeError(f"input must be a number, a per-node vector or a neurodyn input "
                        f"(Constant, Sampled, Sinusoid), got {type(value).__name__}")
    if n is not None:
        encode(inp, n)
    return inp


def encode(inp, n):
    """The kernel parameter block of input ``inp`` for ``n`` nodes.

    Returns ``(kind, offset, amp, omega, phase, ts, vals)``: ``kind`` an int
    (0 constant, 1 zero-order hold, 2 linear, 3 sinusoid), ``offset``/``amp``/``omega``/``phase``
    float arrays of shape ``(n,)``, ``ts`` shape ``(m,)`` and ``vals`` shape ``(m, 1)`` or
    ``(m, n)``. Every kind fills every slot (zeros where unused), and all arrays are float64,
    C-contiguous and read-only, so the Numba type of the block never depends on the kind.
    ``offset`` is added for every kind.

    >>> kind, off, amp, omega, phase, ts, vals = encode(Constant(2.0), 3)
    >>> kind, off, ts.shape, vals.shape
    (0, array([2., 2., 2.]), (1,), (1, 1))
    """
    kind, off, amp, omega, phase, ts, vals = inp._encode(n)
    zeros = None

    def fill(a):
        nonlocal zeros
        if a is not None:
            return a
        if zeros is None:
            zeros = _frozen(np.zeros(n))
        return zeros

    if ts is None:
        ts = _frozen(np.zeros(1))
        vals = _frozen(np.zeros((1, 1)))
    return int(kind), fill(off), fill(amp), fill(omega), fill(phase), ts, vals
