"""Voltage sources that drive devices and circuits, evaluated inside compiled kernels.

* :class:`Constant` — ``v(t) = value``.
* :class:`Sine` — ``v(t) = offset + amplitude sin(2 pi frequency t + phase)``.
* :class:`Triangle` — a triangle wave of the same amplitude, frequency and phase convention as
  :class:`Sine` (0 at ``t = 0`` for zero phase, rising, peak ``amplitude`` at a quarter period).
* :class:`Pulses` — a rectangular pulse train: ``offset + amplitude`` for ``width`` seconds at
  the start of every ``period``, from ``delay`` on; ``offset`` otherwise.
* :class:`Sampled` — a recording, held (``"zoh"``) or linearly interpolated (``"linear"``)
  between samples and held flat outside them.

Units are SI (volts, seconds, hertz): plain numbers are read in them, and brian2 quantities
are accepted and converted (``Sine(500*mV, 2*kHz)``) after their dimension is checked. Every
kind encodes into the same block of kernel
parameters (:func:`encode_sources`), so a circuit compiled once serves every waveform. Python
callables are refused: they cannot run inside compiled code; sample them with :class:`Sampled`.

Pulse trains are discontinuous: give an adaptive solver ``max_step`` below the pulse width, or
it may step over a pulse entirely.
"""
from __future__ import annotations

import math
import numbers

import numba
import numpy as np

from neurodyn._model import physical
from solvers._checks import InvalidTypeError, real_array

from . import _kernels_sources as _k

__all__ = ["Source", "Constant", "Sine", "Triangle", "Pulses", "Sampled", "as_source",
           "encode_sources"]


def _real(value, what, kind="dimensionless"):
    """A finite float; a brian2 quantity of dimension ``kind`` is converted to SI first."""
    value = physical(what, value, kind)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{what} must be a real number, got {value!r} "
                               f"({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return value


def _positive(value, what, kind="dimensionless"):
    value = _real(value, what, kind)
    if value <= 0.0:
        raise ValueError(f"{what} must be positive, got {value!r}")
    return value


@numba.njit(cache=True)
def _evaluate(times, kind, par, ptr, ts, vs):
    out = np.empty((times.shape[0], kind.shape[0]))
    for i in range(times.shape[0]):
        _k.sources_into(times[i], kind, par, ptr, ts, vs, out[i])
    return out


class Source:
    """A voltage waveform ``v(t)`` (base class). Call it with times to evaluate it."""

    _fields: tuple = ()

    def _row(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _samples(self):
        return np.empty(0), np.empty(0)

    def __call__(self, t):
        """Voltage at time(s) ``t`` (a scalar gives a float, an array an array of its shape).

        >>> Sine(2.0, 0.25)([0.0, 1.0])
        array([0., 2.])
        """
        t_arr = real_array("t", physical("t", t, "time"), finite=False)
        enc = encode_sources([self])
        v = _evaluate(np.ascontiguousarray(t_arr.ravel()), *enc)[:, 0]
        return float(v[0]) if t_arr.ndim == 0 else v.reshape(t_arr.shape)

    def __setattr__(self, name, value):
        if getattr(self, "_locked", False):
            raise AttributeError(f"{type(self).__name__} is immutable; build a new one")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(np.array_equal(getattr(self, f), getattr(other, f)) if
                   isinstance(getattr(self, f), np.ndarray) else getattr(self, f) ==
                   getattr(other, f) for f in self._fields)

    __hash__ = None

    def __reduce__(self):
        return type(self), tuple(getattr(self, f) for f in self._fields)

    def __repr__(self):
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields
                         if not isinstance(getattr(self, f), np.ndarray))
        return f"{type(self).__name__}({args})"


class Constant(Source):
    """A constant voltage.

    >>> Constant(1.5)(3.0)
    1.5
    """

    _fields = ("value",)

    def __init__(self, value):
        self.value = _real(value, "Constant value", "voltage")
        self._locked = True

    def _row(self):
        return _k.CONSTANT, (self.value, 0.0, 0.0, 0.0, 0.0)


class Sine(Source):
    """``v(t) = offset + amplitude * sin(2 pi frequency t + phase)`` (volts, hertz, radians).

    >>> v = Sine(1.0, frequency=1.0)
    >>> round(v(0.25), 12), round(v(0.75), 12)
    (1.0, -1.0)
    """

    _fields = ("amplitude", "frequency", "phase", "offset")

    def __init__(self, amplitude, frequency, phase=0.0, offset=0.0):
        self.amplitude = _real(amplitude, "Sine amplitude", "voltage")
        self.frequency = _positive(frequency, "Sine frequency", "frequency")
        self.phase = _real(phase, "Sine phase")
        self.offset = _real(offset, "Sine offset", "voltage")
        self._locked = True

    @property
    def period(self):
        return 1.0 / self.frequency

    def _row(self):
        return _k.SINE, (self.offset, self.amplitude, 2.0 * math.pi * self.frequency,
                         self.phase, 0.0)


class Triangle(Source):
    """A triangle wave with :class:`Sine`'s conventions: 0 at ``t = 0`` (zero phase), rising
    linearly to ``amplitude`` at a quarter period, down to ``-amplitude`` at three quarters.

    >>> Triangle(2.0, frequency=1.0)([0.0, 0.125, 0.25, 0.5, 0.75])
    array([ 0.,  1.,  2.,  0., -2.])
    """

    _fields = ("amplitude", "frequency", "phase", "offset")

    def __init__(self, amplitude, frequency, phase=0.0, offset=0.0):
        self.amplitude = _real(amplitude, "Triangle amplitude", "voltage")
        self.frequency = _positive(frequency, "Triangle frequency", "frequency")
        self.phase = _real(phase, "Triangle phase")
        self.offset = _real(offset, "Triangle offset", "voltage")
        self._locked = True

    @property
    def period(self):
        return 1.0 / self.frequency

    def _row(self):
        return _k.TRIANGLE, (self.offset, self.amplitude, self.frequency, self.phase, 0.0)


class Pulses(Source):
    """A rectangular pulse train: ``offset + amplitude`` during ``[delay + k period,
    delay + k period + width)`` for ``k = 0, 1, ...``, ``offset`` at all other times.

    >>> p = Pulses(1.0, period=1e-3, width=2e-4)
    >>> p([0.0, 1e-4, 3e-4, 1.05e-3])
    array([1., 1., 0., 1.])
    """

    _fields = ("amplitude", "period", "width", "delay", "offset")

    def __init__(self, amplitude, period, width, delay=0.0, offset=0.0):
        self.amplitude = _real(amplitude, "Pulses amplitude", "voltage")
        self.period = _positive(period, "Pulses period", "time")
        self.width = _positive(width, "Pulses width", "time")
        if self.width > self.period:
            raise ValueError(f"Pulses width {self.width!r} exceeds the period {self.period!r}")
        self.delay = _real(delay, "Pulses delay", "time")
        self.offset = _real(offset, "Pulses offset", "voltage")
        self._locked = True

    def _row(self):
        return _k.PULSES, (self.offset, self.amplitude, self.period, self.delay, self.width)


class Sampled(Source):
    """A recorded voltage ``values[k]`` at ``times[k]`` (strictly increasing), held
    (``interp="zoh"``) or linearly interpolated (``"linear"``) between samples; the first
    and last values are held outside the recording.

    >>> s = Sampled([0.0, 1.0, 2.0], [0.0, 2.0, 0.0], interp="linear")
    >>> s([-1.0, 0.5, 1.5, 5.0])
    array([0., 1., 1., 0.])
    >>> s                                  # a summary, not the recording
    Sampled(3 samples, t = 0 .. 2 s, v in [0, 2] V, interp='linear')
    """

    _fields = ("times", "values", "interp")

    def __init__(self, times, values, interp="linear"):
        times = physical("Sampled times", times, "time")
        values = physical("Sampled values", values, "voltage")
        ts = np.array(real_array("Sampled times", times, finite=False), copy=True)
        vs = np.array(real_array("Sampled values", values, finite=False), copy=True)
        if ts.ndim != 1:
            raise ValueError(f"Sampled times must be a 1-D array, got shape {ts.shape}")
        if vs.shape != ts.shape:
            raise ValueError(f"Sampled values must have the shape of times {ts.shape}, got "
                             f"{vs.shape}")
        if ts.size == 0:
            raise ValueError("Sampled needs at least one sample")
        for name, a in (("times", ts), ("values", vs)):
            bad = np.flatnonzero(~np.isfinite(a))
            if bad.size:
                raise ValueError(f"Sampled {name}[{bad[0]}] = {float(a[bad[0]])!r} is not finite")
        steps = np.flatnonzero(np.diff(ts) <= 0.0)
        if steps.size:
            k = int(steps[0])
            raise ValueError(f"Sampled times must increase strictly: times[{k}] = {float(ts[k])!r}, "
                             f"times[{k + 1}] = {float(ts[k + 1])!r}")
        if interp not in ("zoh", "linear"):
            raise ValueError(f"Sampled interp must be 'zoh' or 'linear', got {interp!r}")
        ts.flags.writeable = False
        vs.flags.writeable = False
        self.times = ts
        self.values = vs
        self.interp = interp
        self._locked = True

    def _row(self):
        kind = _k.SAMPLED_LINEAR if self.interp == "linear" else _k.SAMPLED_ZOH
        return kind, (0.0, 0.0, 0.0, 0.0, 0.0)

    def _samples(self):
        return self.times, self.values

    def __repr__(self):
        return (f"Sampled({self.times.size} samples, t = {self.times[0]:.4g} .. "
                f"{self.times[-1]:.4g} s, v in [{self.values.min():.4g}, "
                f"{self.values.max():.4g}] V, interp={self.interp!r})")


def as_source(value, what="source"):
    """A :class:`Source` from a Source or a number (a constant voltage, volts or a brian2
    voltage).

    >>> as_source(0.5)
    Constant(value=0.5)
    """
    if isinstance(value, Source):
        return value
    value = physical(what, value, "voltage")
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        if not math.isfinite(float(value)):
            raise ValueError(f"{what}: a constant voltage must be finite, got {value!r}")
        return Constant(value)
    if isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{what} must be a circuits source (Constant, Sine, Triangle, "
                               f"Pulses, Sampled) or a number, got {value!r} (bool)")
    if callable(value):
        raise TypeError(f"{what}: a Python callable cannot run inside compiled code; sample it "
                        "with circuits.Sampled(times, values) or use Sine/Triangle/Pulses")
    raise TypeError(f"{what} must be a circuits source (Constant, Sine, Triangle, Pulses, "
                    f"Sampled) or a number, got {type(value).__name__}")


def encode_sources(sources):
    """The kernel parameter block ``(kind, par, ptr, ts, vs)`` of a sequence of sources.

    >>> kind, par, ptr, ts, vs = encode_sources([1.0, Sine(2.0, 50.0)])
    >>> kind.tolist(), par.shape, ptr.tolist()
    ([0, 1], (2, 5), [0, 0, 0])
    """
    srcs = [as_source(s, f"source {k}") for k, s in enumerate(sources)]
    m = len(srcs)
    kind = np.zeros(m, dtype=np.int64)
    par = np.zeros((m, _k.N_PAR))
    ptr = np.zeros(m + 1, dtype=np.int64)
    ts_parts, vs_parts = [], []
    for k, s in enumerate(srcs):
        kind[k], par[k] = s._row()
        ts_k, vs_k = s._samples()
        ts_parts.append(ts_k)
        vs_parts.append(vs_k)
        ptr[k + 1] = ptr[k] + ts_k.size
    ts = np.concatenate(ts_parts) if m else np.empty(0)
    vs = np.concatenate(vs_parts) if m else np.empty(0)
    out = (kind, par, ptr, np.ascontiguousarray(ts, dtype=np.float64),
           np.ascontiguousarray(vs, dtype=np.float64))
    for a in out:
        a.flags.writeable = False
    return out
