"""Liquid-state machines (Maass, Natschlaeger & Markram 2002) simulated with brian2.

A *liquid* is a recurrent network of leaky integrate-and-fire (LIF) neurons, excitatory and
inhibitory, driven by input spike trains. Between spikes each neuron's membrane potential
relaxes exactly (brian2 ``method="exact"``) towards ``v_rest + v_bias``::

    tau_m dv/dt = v_rest + v_bias - v          (not while refractory)

When ``v > v_th`` the neuron spikes, ``v`` is set to ``v_reset`` and held there for ``t_ref``.
A synapse is an instantaneous voltage jump ``v_post += w`` after its delay. A *readout*
low-pass filters the liquid's spike trains with an exponential kernel, samples them at chosen
times, and maps those features to targets with ridge regression.

Units: voltages and weights in **mV**, times and delays in **ms**, rates in **Hz**, all plain
floats. brian2 quantities are accepted too, wherever a value has one of these units: their
dimension is checked (a time where a voltage belongs is an error naming the argument) and they
are converted, so ``dt=0.1*ms`` is the run of ``dt=0.1``. brian2 is imported by a run, not by
``import neurodyn.lsm``. brian2 units are used internally.

Everything random is drawn here with ``numpy.random.default_rng``: the connectivity when a
liquid is built (``seed`` of :meth:`LSM.random` / :meth:`LSM.column`), the initial voltages and
Poisson input spikes when it is run (``seed`` of :meth:`LSM.run`). brian2 itself draws nothing,
so a seed gives the same spikes on the ``numpy`` and ``cython`` code-generation targets, and a
liquid can be exported (:meth:`LSM.to_graph`) before it is ever simulated.

Grid conventions (brian2's, with its default schedule; dt = 0.1 ms by default): a spike is
recorded at the start of the step in which ``v`` crosses threshold, i.e. at the crossing time
rounded down to the grid. An input spike at ``t`` changes ``v`` at the end of step ``t``, so a
jump that carries ``v`` over threshold (and keeps it there for one step's decay) gives a spike
at ``t + dt``; a synaptic delay ``d`` adds ``d`` (rounded to the grid). Jumps that arrive
during the refractory period still change ``v`` (as in a hand-written brian2
``on_pre="v_post += w"``), which is then held until the period ends.

Reference: W. Maass, T. Natschlaeger, H. Markram, "Real-time computing without stable states:
a new framework for neural computation based on perturbations", Neural Computation 14(11),
2531-2560 (2002).

>>> from neurodyn.lsm import LSM, PoissonInput, Readout
>>> net = LSM.random(n_exc=40, n_inh=10, p=0.1, n_inputs=5, p_in=0.5, w_in=8.0, seed=0)
>>> run = net.run(PoissonInput(rates=40.0, n=5), duration=100.0, seed=1)
>>> run.features([50.0, 100.0], tau=30.0).shape
(2, 50)

The same values as brian2 quantities (converted to mV, ms and Hz), and a wrong dimension:

>>> from brian2 import Hz, ms, mV
>>> PoissonInput(rates=[40.0, 20.0] * Hz).rates
array([40., 20.])
>>> float(net.replace(tau_m=20 * ms).tau_m[0])
20.0
>>> LSM.random(n_exc=4, n_inh=1, w_exc=0.5 * ms)
Traceback (most recent call last):
...
solvers._checks.InvalidTypeError: w_exc must be a voltage (mV), got 0.5 ms
"""
from __future__ import annotations

import contextlib
import numbers
from dataclasses import dataclass, field

import numpy as np

from solvers._checks import (InvalidTypeError, check_allocation, count, probability,
                             real_array, real_number, seed_value)

from ._model import (FrozenModel, check_node_names, graph_nodes, node_number, num, physical,
                     summary)
from .esn import ridge_fit

__all__ = ["LSM", "LiquidRun", "SpikeInput", "PoissonInput", "AnalogInput", "Readout",
           "filtered_spikes", "MAASS_C", "MAASS_W", "MAASS_DELAY", "TARGETS"]

TARGETS = ("numpy", "cython")

# Maass, Natschlaeger & Markram (2002), connection-probability scale C by (pre, post) type.
MAASS_C = {"EE": 0.3, "EI": 0.2, "IE": 0.4, "II": 0.1}
# Their transmission delays (ms): 1.5 for E -> E, 0.8 for the other connection types.
MAASS_DELAY = {"EE": 1.5, "EI": 0.8, "IE": 0.8, "II": 0.8}
# Jump weights (mV) with the charge of the first postsynaptic current of their dynamic
# synapses from rest: w = A U R tau_s / tau_m with mean amplitudes A = 30, 60, -19, -19 nA,
# utilisations U = 0.5, 0.05, 0.25, 0.32, tau_s = 3 ms (exc) / 6 ms (inh), R = 1 MOhm,
# tau_m = 30 ms (same integral of v; no short-term depression or facilitation).
MAASS_W = {"EE": 1.5, "EI": 0.3, "IE": -0.95, "II": -1.2}

_KINDS = ("exc", "inh")
_PARAMS = ("tau_m", "v_rest", "v_th", "v_reset", "t_ref", "v_bias")
_CTOR_ARGS = ("kind", "pre", "post", "weight", "delay", "n_inputs", "in_pre", "in_post",
              "in_weight", "in_delay") + _PARAMS + ("v_init", "positions", "nodes",
                                                     "input_nodes")
# Peak bytes per synapse while LSM.random draws and stores them: flat indices and their
# running sums, pre and post, weight and delay, then the model's frozen copies.
_BYTES_PER_SYNAPSE = 64
# brian2 object names are fixed so that repeated builds reuse generated/compiled code.
_NAMES = {"neurons": "lsm_neurons", "rec": "lsm_recurrent", "inp": "lsm_input",
          "in_syn": "lsm_input_synapses", "mon": "lsm_spikes"}


# --------------------------------------------------------------------------- validation

def _frozen(a, dtype=np.float64):
    out = np.array(a, dtype=dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


_UNIT_KIND = {"mV": "voltage", "ms": "time", "Hz": "frequency"}


def _plain(x, unit, what):
    """``x`` as float(s) in ``unit`` ("mV", "ms", "Hz"); brian2 quantities (or lists of them)
    are converted after their dimension is checked (an error names ``what`` otherwise).

    Booleans, strings and complex values are refused (``InvalidTypeError``), never coerced.
    """
    x = physical(what, x, _UNIT_KIND[unit], unit=unit)
    if isinstance(x, (str, bytes, bool, np.bool_)) or (
            np.isscalar(x) and not isinstance(x, numbers.Real)):
        raise InvalidTypeError(f"{what} must be a number (in {unit}), got {x!r} "
                               f"({type(x).__name__})")
    return real_array(f"{what} (in {unit})", x, finite=False)


def _scalar(x, unit, what, *, positive=False):
    """One finite number in ``unit`` (brian2 quantities converted), or an error naming it."""
    a = _plain(x, unit, what)
    if a.ndim != 0:
        raise ValueError(f"{what} must be one number (in {unit}), got shape {a.shape}")
    v = float(a)
    if not np.isfinite(v) or (positive and not v > 0):
        need = "a positive finite number" if positive else "a finite number"
        raise ValueError(f"{what} must be {need} (in {unit}), got {v!r}")
    return v


def _per(value, n, what, unit, label, *, positive=False, nonneg=False):
    """A frozen (n,) float array from a scalar or a length-n vector, checked."""
    arr = _plain(value, unit, what)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    elif arr.shape != (n,):
        raise ValueError(f"{what} has shape {arr.shape}, expected a scalar or shape ({n},)")
    bad = ~np.isfinite(arr)
    if positive:
        bad |= ~(arr > 0)
    if nonneg:
        bad |= ~(arr >= 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        need = "positive and finite" if positive else ("finite and >= 0" if nonneg else "finite")
        raise ValueError(f"{what} of {label(k)} must be {need}, got {float(arr[k])!r}")
    return _frozen(arr)


def _index_array(a, n, what, where):
    arr = np.asarray(a)
    if arr.size == 0:
        return _frozen(np.zeros(0, np.int64), np.int64)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or
                             (np.issubdtype(arr.dtype, np.floating) and
                              np.all(arr == np.round(arr)))):
        raise ValueError(f"{what} must be a 1-D array of integer indices, got dtype "
                         f"{arr.dtype} and shape {arr.shape}")
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what}[{k}] = {int(arr[k])} is out of range: {where} has {n} "
                         "(indices 0 .. n-1)")
    return _frozen(arr, np.int64)


def _check_rng(seed):
    """(Generator, seed to report). None draws a seed from the OS so a run can be repeated.

    Seeds are checked by :func:`solvers._checks.seed_value`: None, an int >= 0, a sequence of
    them, a SeedSequence or a Generator; anything else is refused naming ``seed``."""
    seed = seed_value("seed", seed)
    if isinstance(seed, np.random.Generator):
        return seed, None
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed), seed
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2 ** 63))
    return np.random.default_rng(seed), seed


# --------------------------------------------------------------------------- inputs

class _SpikeSource:
    """Base of the input kinds: ``n`` channels that ``sample`` turns into spikes."""

    n: int

    def sample(self, duration, dt=0.1, seed=None):
        """``(indices, times)`` of the input spikes in ``[0, duration)`` ms on the ``dt`` grid,
        sorted by time (then channel). Deterministic inputs ignore ``seed``."""
        rng, _ = _check_rng(seed)
        duration = _scalar(duration, "ms", "duration", positive=True)
        dt = _scalar(dt, "ms", "dt", positive=True)
        return self._sample(duration, dt, rng)


class SpikeInput(_SpikeSource):
    """Given input spikes: channel ``indices[k]`` fires at ``times[k]`` (ms).

    Parameters
    ----------
    times : array_like of float (ms), or brian2 quantity
    indices : array_like of int
        Channel of each spike, ``0 .. n-1``.
    n : int, optional
        Number of channels (default ``max(indices) + 1``).

    Notes
    -----
    On the simulation grid a spike at ``t`` falls in step ``round(t / dt)``; one channel may
    fire at most once per step (:meth:`LSM.run` says where it does not).

    Example
    -------
    >>> inp = SpikeInput([5.0, 1.0], [1, 0], n=3)
    >>> inp.sample(10.0)
    (array([0, 1]), array([1., 5.]))
    """

    def __init__(self, times, indices, n=None):
        t = _plain(times, "ms", "SpikeInput times").ravel()
        idx = np.asarray(indices).ravel()
        if t.shape != idx.shape:
            raise ValueError(f"SpikeInput: {t.size} times but {idx.size} indices")
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"SpikeInput indices must be integers, got dtype {idx.dtype}")
        if t.size and not np.all(np.isfinite(t)):
            raise ValueError("SpikeInput times must be finite")
        if t.size and t.min() < 0:
            raise ValueError(f"SpikeInput times must be >= 0 ms, got {t.min()!r}")
        if idx.size and idx.min() < 0:
            raise ValueError(f"SpikeInput indices must be >= 0, got {int(idx.min())}")
        n_min = int(idx.max()) + 1 if idx.size else 0
        if n is None:
            n = n_min
        elif count("SpikeInput n", n) < n_min:
            raise ValueError(f"SpikeInput: n = {n!r} channels, but an index is {n_min - 1}")
        order = np.lexsort((idx, t))
        self.times = _frozen(t[order])
        self.indices = _frozen(idx[order], np.int64)
        self.n = int(n)

    def _sample(self, duration, dt, rng):
        keep = self.times < duration
        return self.indices[keep].copy(), self.times[keep].copy()

    def __repr__(self):
        return f"SpikeInput(n={self.n}, spikes={self.times.size})"


def _bernoulli_steps(rng, p, n_steps, n):
    """Flat indices ``c * n_steps + k`` of a Bernoulli(p) event in each of ``n`` channels and
    ``n_steps`` steps, drawn by geometric gaps (memory ~ number of events, not steps)."""
    total = n * n_steps
    if p <= 0 or total == 0:
        return np.zeros(0, np.int64)
    if p >= 1:
        return np.arange(total, dtype=np.int64)
    chunks, pos = [], -1
    mean = total * p
    while True:
        size = int(mean + 5 * np.sqrt(mean) + 16)
        idx = pos + np.cumsum(rng.geometric(p, size=size))
        if idx[-1] >= total:
            chunks.append(idx[idx < total])
            break
        chunks.append(idx)
        pos = int(idx[-1])
        mean = (total - pos) * p
    return np.concatenate(chunks)


def _flat_to_spikes(flat, n_steps, dt):
    ch, step = np.divmod(flat, n_steps)
    order = np.lexsort((ch, step))
    return ch[order].astype(np.int64), step[order] * dt


class PoissonInput(_SpikeSource):
    """Independent Poisson spike trains at constant ``rates`` (Hz), drawn on the time grid:
    channel ``c`` fires in each step of length ``dt`` with probability ``rates[c] * dt``, as in
    brian2's ``PoissonGroup``. The spikes are drawn by :meth:`LSM.run` from its ``seed``.

    Parameters
    ----------
    rates : float or array_like (n,), Hz
    n : int, optional
        Number of channels (required when ``rates`` is a scalar).

    >>> idx, t = PoissonInput(rates=100.0, n=2).sample(1000.0, seed=0)
    >>> 150 < t.size < 250
    True
    """

    def __init__(self, rates, n=None):
        r = _plain(rates, "Hz", "PoissonInput rates")
        if n is not None:
            n = count("PoissonInput n", n, low=1)
        if r.ndim == 0:
            if n is None:
                raise ValueError("PoissonInput: give n (the number of channels) with a scalar "
                                 "rate")
            r = np.full(n, float(r))
        if r.ndim != 1 or (n is not None and r.shape[0] != n):
            raise ValueError(f"PoissonInput rates have shape {r.shape}, expected a scalar or "
                             f"({n if n is not None else 'n'},)")
        bad = ~(np.isfinite(r) & (r >= 0))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"PoissonInput rate of channel {k} must be finite and >= 0 Hz, "
                             f"got {float(r[k])!r}")
        self.rates = _frozen(r)
        self.n = int(r.shape[0])

    def _sample(self, duration, dt, rng):
        n_steps = int(round(duration / dt))
        p = self.rates * dt * 1e-3
        if np.any(p > 1):
            raise ValueError(f"PoissonInput: rate {self.rates.max()} Hz exceeds one spike per "
                             f"step of {dt} ms")
        if np.all(p == p[0]):
            flat = _bernoulli_steps(rng, float(p[0]), n_steps, self.n)
        else:
            flat = np.concatenate([c * n_steps + _bernoulli_steps(rng, float(pc), n_steps, 1)
                                   for c, pc in enumerate(p)])
        return _flat_to_spikes(flat, n_steps, dt)

    def __repr__(self):
        return f"PoissonInput(n={self.n}, rates={np.unique(self.rates).tolist()[:4]} Hz)"


class AnalogInput(_SpikeSource):
    """An analog signal encoded as Poisson spike trains by a population with Gaussian tuning.

    Channel ``c`` of signal dimension ``d`` prefers the value ``centres[c]`` (evenly spaced over
    ``[lo, hi]``) and fires as an inhomogeneous Poisson process with rate
    ``r_max * exp(-(x_d(t) - centres[c])**2 / (2 width**2))`` Hz, where ``x(t)`` is the signal
    held between its samples (zero-order hold). This is population rate coding: the value is
    carried by *which* channels fire, its time course by *when*.

    Parameters
    ----------
    signal : array_like, shape (k,) or (k, m)
        Samples of an m-dimensional signal, ``signal[j]`` at time ``j * dt_signal``; held after
        the last sample.
    dt_signal : float
        Sample interval (ms).
    n_per_dim : int
        Channels per signal dimension (``n = n_per_dim * m`` channels in all, dimension-major).
    lo, hi : float, optional
        Range the centres span (default: the signal's min and max).
    r_max : float
        Peak rate (Hz).
    width : float, optional
        Tuning width (default: the spacing of the centres).

    >>> enc = AnalogInput(np.linspace(0.0, 1.0, 11), dt_signal=10.0, n_per_dim=4, r_max=200.0)
    >>> idx, t = enc.sample(100.0, seed=0)
    >>> float(t[idx == 0].mean()) < float(t[idx == 3].mean())   # low values fire early
    True
    """

    def __init__(self, signal, dt_signal, n_per_dim=10, lo=None, hi=None, r_max=100.0,
                 width=None):
        x = real_array("AnalogInput signal", signal, finite=False)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"AnalogInput signal must have shape (k,) or (k, m) with k > 0, "
                             f"got {np.shape(signal)}")
        if not np.all(np.isfinite(x)):
            j, d = (int(v) for v in np.argwhere(~np.isfinite(x))[0])
            raise ValueError(f"AnalogInput signal must be finite: sample {j} (dimension {d}) "
                             f"is {float(x[j, d])!r}")
        dt_signal = _scalar(dt_signal, "ms", "dt_signal", positive=True)
        n_per_dim = count("n_per_dim", n_per_dim, low=1)
        lo = float(x.min()) if lo is None else real_number("lo", lo)
        hi = float(x.max()) if hi is None else real_number("hi", hi)
        if not hi >= lo:
            raise ValueError(f"AnalogInput: need lo <= hi, got lo={lo}, hi={hi}")
        centres = np.linspace(lo, hi, n_per_dim) if n_per_dim > 1 else np.array([lo])
        if width is None:
            width = (hi - lo) / (n_per_dim - 1) if n_per_dim > 1 and hi > lo else 1.0
        width = real_number("AnalogInput width", width, positive=True)
        r_max = _scalar(r_max, "Hz", "AnalogInput r_max")
        if not r_max >= 0:
            raise ValueError(f"AnalogInput r_max must be finite and >= 0 Hz, got {r_max}")
        self.signal, self.dt_signal = _frozen(x), dt_signal
        self.centres, self.width, self.r_max = _frozen(centres), float(width), r_max
        self.n_per_dim = int(n_per_dim)
        self.n = self.n_per_dim * x.shape[1]

    def rates(self, times):
        """Rates (Hz) of every channel at ``times`` (ms), shape ``(len(times), n)``.

        >>> AnalogInput([0.0, 1.0], dt_signal=10.0, n_per_dim=2, r_max=50.0).rates([0.0, 15.0])
        array([[50.        , 30.32653299],
               [30.32653299, 50.        ]])
        """
        times = real_array("times", physical("times", times, "time", "ms"), finite=False)
        j = np.clip((times / self.dt_signal).astype(np.int64), 0, self.signal.shape[0] - 1)
        x = self.signal[j]                                    # (k, m)
        z = (x[:, :, None] - self.centres[None, None, :]) / self.width
        return (self.r_max * np.exp(-0.5 * z * z)).reshape(len(j), self.n)

    def _sample(self, duration, dt, rng):
        # Thinning: candidate spikes at r_max, each kept with probability rate(t) / r_max.
        n_steps = int(round(duration / dt))
        p = self.r_max * dt * 1e-3
        if p > 1:
            raise ValueError(f"AnalogInput: r_max {self.r_max} Hz exceeds one spike per step "
                             f"of {dt} ms")
        flat = _bernoulli_steps(rng, p, n_steps, self.n)
        ch, step = np.divmod(flat, n_steps)
        t = step * dt
        r = self.rates(t)[np.arange(t.size), ch] if t.size else np.zeros(0)
        keep = rng.random(t.size) * self.r_max < r
        return _flat_to_spikes(flat[keep], n_steps, dt)

    def __repr__(self):
        return (f"AnalogInput(n={self.n}, dims={self.signal.shape[1]}, "
                f"samples={self.signal.shape[0]}, r_max={self.r_max} Hz)")


def _merge_inputs(inputs):
    """A list of spike sources (or one, or None) -> (list, total channels)."""
    if inputs is None:
        return [], 0
    if isinstance(inputs, _SpikeSource):
        inputs = [inputs]
    inputs = list(inputs)
    for k, inp in enumerate(inputs):
        if not isinstance(inp, _SpikeSource):
            raise TypeError(f"inputs[{k}] is a {type(inp).__name__}; expected a SpikeInput, "
                            "PoissonInput or AnalogInput")
    return inputs, sum(inp.n for inp in inputs)


# --------------------------------------------------------------------------- results

def filtered_spikes(indices, times, n, sample_times, tau=30.0):
    """Exponentially filtered spike trains sampled at ``sample_times``: feature ``[s, i]`` is
    ``sum over spikes t_k <= t_s of neuron i of exp(-(t_s - t_k) / tau)`` (times in ms).

    Computed exactly from the spike times, without simulating a filter: spikes between two
    consecutive sample times are summed with their own decay, then the running sum is carried
    forward with ``exp(-(t_s - t_{s-1}) / tau)``. Every exponent is <= 0, so long runs cannot
    overflow.

    >>> filtered_spikes([0, 0, 1], [0.0, 10.0, 5.0], 2, [10.0, 20.0], tau=10.0).round(4)
    array([[1.3679, 0.6065],
           [0.5032, 0.2231]])
    """
    idx = np.asarray(indices, dtype=np.int64).ravel()
    t = real_array("times", physical("times", times, "time", "ms"), finite=False).ravel()
    ts = real_array("sample_times", physical("sample_times", sample_times, "time", "ms")).ravel()
    tau = real_number("tau", physical("tau", tau, "time", "ms"), positive=True)
    if idx.shape != t.shape:
        raise ValueError(f"{idx.size} indices but {t.size} times")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"spike indices must lie in 0 .. {n - 1}")
    if ts.size > 1 and np.any(np.diff(ts) < 0):
        order = np.argsort(ts, kind="stable")
        out = filtered_spikes(idx, t, n, ts[order], tau)
        res = np.empty_like(out)
        res[order] = out
        return res
    out = np.zeros((ts.size, n))
    if ts.size == 0:
        return out
    # Sample interval of each spike: s such that ts[s-1] < t_k <= ts[s]; spikes after the
    # last sample time never count.
    s_of = np.searchsorted(ts, t, side="left")
    keep = s_of < ts.size
    s_of, i_of, t_k = s_of[keep], idx[keep], t[keep]
    contrib = np.zeros(ts.size * n)
    np.add.at(contrib, s_of * n + i_of, np.exp(-(ts[s_of] - t_k) / tau))
    contrib = contrib.reshape(ts.size, n)
    decay = np.exp(-np.diff(ts) / tau)
    acc = contrib[0].copy()
    out[0] = acc
    for s in range(1, ts.size):
        acc *= decay[s - 1]
        acc += contrib[s]
        out[s] = acc
    return out


@dataclass
class LiquidRun:
    """The spikes of one run of a liquid: neuron ``indices[k]`` fired at ``times[k]`` (ms),
    sorted by time. ``input_indices`` / ``input_times`` are the input spikes that drove it,
    ``v0`` the initial voltages (mV), ``seed`` the seed used (an int, the SeedSequence of a
    trial, or ``None`` when a Generator was passed).

    >>> r = LiquidRun(np.array([1, 0]), np.array([2.0, 3.0]), n=2, duration=10.0, dt=0.1)
    >>> r.counts(), r.rates()
    (array([1, 1]), array([100., 100.]))
    >>> r                                    # a summary, not the spike arrays
    LiquidRun: 2 neurons, 2 spikes in 10 ms (dt 0.1 ms), mean rate 100 Hz, 2 of 2 neurons fired
      no input spikes; v0 not recorded; seed None, target numpy
    """

    indices: np.ndarray
    times: np.ndarray
    n: int
    duration: float
    dt: float
    input_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    input_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v0: np.ndarray | None = None
    seed: object = None
    target: str = "numpy"

    def __repr__(self):
        k = self.num_spikes
        rate = k / (self.n * self.duration * 1e-3) if self.n and self.duration else float("nan")
        fired = int(np.unique(self.indices).size)
        n_in = int(np.size(self.input_times))
        seed = self.seed if isinstance(self.seed, (int, type(None))) else type(self.seed).__name__
        return (f"LiquidRun: {self.n} neurons, {k} spikes in {num(self.duration)} ms (dt "
                f"{num(self.dt)} ms), mean rate {num(rate)} Hz, {fired} of {self.n} neurons "
                f"fired\n  {f'{n_in} input spikes' if n_in else 'no input spikes'}; "
                f"{'v0 ' + summary(self.v0) + ' mV' if self.v0 is not None else 'v0 not recorded'}"
                f"; seed {seed}, target {self.target}")

    @property
    def num_spikes(self):
        """Total number of liquid spikes."""
        return int(self.indices.size)

    def counts(self):
        """Spikes per neuron, shape ``(n,)``."""
        return np.bincount(self.indices, minlength=self.n)

    def rates(self):
        """Mean rate of every neuron over the run (Hz)."""
        return self.counts() / (self.duration * 1e-3)

    def features(self, times, tau=30.0):
        """The readout's features: spike trains filtered with ``exp(-t / tau)`` and sampled at
        ``times`` (ms), shape ``(len(times), n)``; see :func:`filtered_spikes`.

        >>> r = LiquidRun(np.array([0]), np.array([10.0]), n=1, duration=50.0, dt=0.1)
        >>> r.features([5.0, 10.0, 40.0], tau=30.0).round(4).ravel()
        array([0.    , 1.    , 0.3679])
        """
        return filtered_spikes(self.indices, self.times, self.n, times, tau)


# --------------------------------------------------------------------------- readout

class Readout:
    """A linear readout trained by ridge regression (:func:`neurodyn.esn.ridge_fit`).

    :meth:`fit` learns ``Y ~ X W + b``; :meth:`fit_labels` learns one-hot targets of class
    labels, and :meth:`classify` answers the class with the largest output.

    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]])
    >>> ro = Readout(ridge=1e-3).fit_labels(X, ["a", "b", "a", "b"])
    >>> ro.classify(X).tolist(), ro.accuracy(X, ["a", "b", "a", "b"])
    (['a', 'b', 'a', 'b'], 1.0)
    >>> ro
    Readout(ridge=0.001, fitted: 2 features -> 2 classes ['a', 'b'])
    """

    def __init__(self, ridge=1e-6):
        self.ridge = real_number("ridge", ridge, nonnegative=True)
        self.W = self.b = self.classes = None

    def __repr__(self):
        if self.W is None:
            return f"Readout(ridge={num(self.ridge)}, not fitted)"
        W = np.asarray(self.W)
        more = ", ..." if self.classes is not None and self.classes.size > 4 else ""
        out = (f"{self.classes.size} classes ["
               f"{', '.join(repr(c) for c in self.classes[:4].tolist())}{more}]"
               if self.classes is not None else
               f"{W.shape[1] if W.ndim == 2 else 1} output(s)")
        return f"Readout(ridge={num(self.ridge)}, fitted: {W.shape[0]} features -> {out})"

    def fit(self, X, Y, *, washout=0):
        """Fit ``W, b`` to features ``X`` (samples, features) and targets ``Y``; returns self.

        ``X`` and ``Y`` may also be lists of arrays (one pair per run, e.g. the features of
        several trials): the fit is the one over their concatenation, accumulated run by run
        into one Gram matrix. ``washout`` (an int, or one per run) drops the first samples of
        each run.

        >>> X = [np.array([[0.0], [1.0], [2.0]]), np.array([[5.0], [3.0]])]
        >>> ro = Readout(ridge=0.0).fit(X, [2.0 * x[:, 0] + 1.0 for x in X], washout=1)
        >>> round(float(ro.W[0]), 10), round(ro.b, 10)
        (2.0, 1.0)
        """
        from ._esn_training import is_sequences, ridge_fit_sequences

        if is_sequences(X) or is_sequences(Y):
            W, b = ridge_fit_sequences(X, Y, washout, self.ridge)
            one = all(np.ndim(y) == 1 for y in Y)
            self.W, self.b = (W[:, 0], float(b[0])) if one else (W, b)
            return self
        Y = np.asarray(Y, dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or Y.ndim not in (1, 2) or Y.shape[0] != X.shape[0]:
            raise ValueError(f"X must be (samples, features) and Y (samples,) or (samples, "
                             f"outputs) with the same samples; got {X.shape} and {Y.shape}")
        washout = count("washout", washout)
        if washout >= X.shape[0]:
            raise ValueError(f"washout = {washout} must be in [0, {X.shape[0] - 1}]: X has "
                             f"{X.shape[0]} samples")
        X, Y = X[washout:], Y[washout:]
        self.W, self.b = ridge_fit(X, Y, self.ridge)
        if Y.ndim == 1:
            self.W, self.b = self.W[:, 0], float(self.b[0])
        return self

    def fit_labels(self, X, labels):
        """Fit to one-hot codes of ``labels`` (one per sample); returns self."""
        labels = np.asarray(labels)
        self.classes, code = np.unique(labels, return_inverse=True)
        if self.classes.size < 2:
            raise ValueError("fit_labels needs at least two distinct labels")
        return self.fit(X, np.eye(self.classes.size)[code])

    def predict(self, X):
        """``X @ W + b``."""
        if self.W is None:
            raise RuntimeError("Readout is not fitted: call fit() or fit_labels() first")
        return np.asarray(X, dtype=np.float64) @ self.W + self.b

    def classify(self, X):
        """The label with the largest output, per sample (after :meth:`fit_labels`)."""
        if self.classes is None:
            raise RuntimeError("classify() needs a readout fitted with fit_labels()")
        return self.classes[np.argmax(self.predict(X), axis=1)]

    def accuracy(self, X, labels):
        """Fraction of samples that :meth:`classify` labels correctly."""
        return float(np.mean(self.classify(X) == np.asarray(labels)))


# --------------------------------------------------------------------------- connectivity

def _bernoulli_pairs(rng, prob, n_pre, n_post, autapses, block=2048):
    """(pre, post) of independent Bernoulli(prob[pre, post]) connections; ``prob`` is a
    scalar or a function (pre_index_array, post_index_array) -> probabilities. Pairs come
    sorted by pre then post (row-major order)."""
    if np.isscalar(prob):
        p = float(prob)
        flat = _bernoulli_steps(rng, p, n_post, n_pre)  # flat = pre * n_post + post
        pre, post = np.divmod(flat, n_post)
        if not autapses:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post
    pres, posts = [], []
    for a in range(0, n_pre, block):
        rows = np.arange(a, min(a + block, n_pre))
        P = prob(rows[:, None], np.arange(n_post)[None, :])
        m = rng.random(P.shape) < P
        if not autapses:
            diag = rows < n_post
            m[np.flatnonzero(diag), rows[diag]] = False
        r, c = np.nonzero(m)
        pres.append(rows[r])
        posts.append(c)
    return np.concatenate(pres), np.concatenate(posts)


def _pop_dict(value, what, unit=None, keys=("EE", "EI", "IE", "II")):
    """A value per connection type (pre then post: E or I) as a dict of floats."""
    if not isinstance(value, dict):
        value = {k: value for k in keys}
    missing = [k for k in keys if k not in value]
    extra = [k for k in value if k not in keys]
    if missing or extra:
        raise ValueError(f"{what} must have the keys {', '.join(keys)} (pre then post type, "
                         f"E or I); missing {missing}, unknown {extra}")
    out = {}
    for k in keys:
        if unit:
            out[k] = _scalar(value[k], unit, f"{what}[{k!r}]")
        else:
            out[k] = real_number(f"{what}[{k!r}]", value[k])
    return out


# --------------------------------------------------------------------------- the model

class LSM(FrozenModel):
    """A liquid of LIF neurons (excitatory and inhibitory) with voltage-jump synapses and an
    input layer, simulated by brian2.

    Usually built by :meth:`random` (uniform connection probability, e.g. the W5 workload),
    :meth:`column` (Maass 2002's 3-D column with distance-dependent probability) or
    :meth:`from_graph`. The constructor takes the arrays themselves.

    Parameters
    ----------
    kind : sequence of "exc" / "inh", length n
        Type of each liquid neuron. Weights obey it (Dale's law): from an "exc" neuron >= 0,
        from an "inh" neuron <= 0.
    pre, post : array_like of int
        Recurrent synapses ``pre[k] -> post[k]`` (neuron indices; no duplicate pairs).
    weight : float or array_like (mV)
        Voltage jump of each synapse.
    delay : float or array_like (ms), default 0
        Transmission delay of each synapse.
    n_inputs : int
        Number of input channels.
    in_pre, in_post, in_weight, in_delay
        Input synapses: channel ``in_pre[k]`` -> neuron ``in_post[k]``, jump (mV), delay (ms).
    tau_m, v_rest, v_th, v_reset, t_ref, v_bias : float or array_like (n,)
        Membrane time constant (ms), resting potential, threshold, reset (mV), refractory
        period (ms) and constant drive ``R I_b`` (mV). Defaults are those of W5 (20 ms, -65,
        -50, -65 mV, 2 ms, 0 mV).
    v_init : None, (lo, hi), float or array_like (n,), mV
        Initial voltages: uniform in ``[lo, hi)`` drawn at every run from the run's seed
        (None, the default: ``[v_rest, v_th)`` per neuron, as in W5), or fixed values.
    positions : array_like (n, 3), optional
        Neuron coordinates (grid units), kept for export.
    nodes, input_nodes : list, optional
        Names of the neurons (default ``0 .. n-1``) and of the input channels (default
        ``"in0", "in1", ...``), used by :meth:`to_graph` and in messages.

    >>> net = LSM(["exc", "inh"], pre=[0, 1], post=[1, 0], weight=[2.0, -1.0])
    >>> net
    LSM(n=2 (1 exc, 1 inh), synapses=2, inputs=0)
    """

    _ctor_args = _CTOR_ARGS

    def __init__(self, kind, pre, post, weight, delay=0.0, n_inputs=0, in_pre=(), in_post=(),
                 in_weight=0.0, in_delay=0.0, tau_m=20.0, v_rest=-65.0, v_th=-50.0,
                 v_reset=-65.0, t_ref=2.0, v_bias=0.0, v_init=None, positions=None,
                 nodes=None, input_nodes=None):
        kind = list(kind)
        n = len(kind)
        if n == 0:
            raise ValueError("an LSM needs at least one neuron")
        nodes = check_node_names(nodes, n)

        def label(i):
            return f"neuron {nodes[i]!r}" if nodes[i] != i else f"neuron {i}"

        for i, k in enumerate(kind):
            if k not in _KINDS:
                raise ValueError(f"kind of {label(i)} must be 'exc' or 'inh', got {k!r}")
        n_inputs = count("n_inputs", n_inputs, low=0)
        input_nodes = (check_node_names([f"in{c}" for c in range(n_inputs)] if input_nodes
                                        is None else input_nodes, n_inputs, per="input"))
        clash = set(map(repr, nodes)) & set(map(repr, input_nodes))
        if clash:
            raise ValueError(f"input node names clash with neuron names: {sorted(clash)[:3]}")
        is_exc = np.array([k == "exc" for k in kind])

        pre = _index_array(pre, n, "pre", "the liquid")
        post = _index_array(post, n, "post", "the liquid")
        if pre.shape != post.shape:
            raise ValueError(f"pre has {pre.size} entries but post has {post.size}")
        m = pre.size
        syn_label = lambda k: f"synapse {nodes[pre[k]]!r} -> {nodes[post[k]]!r}"  # noqa: E731
        weight = _per(weight, m, "weight", "mV", syn_label)
        delay = _per(delay, m, "delay", "ms", syn_label, nonneg=True)
        if m:
            key = pre * n + post
            uniq, first, cnt = np.unique(key, return_index=True, return_counts=True)
            if (cnt > 1).any():
                k = int(first[np.flatnonzero(cnt > 1)[0]])
                raise ValueError(f"duplicate {syn_label(k)}: combine parallel synapses into one")
            wrong = np.where(is_exc[pre], weight < 0, weight > 0)
            if wrong.any():
                k = int(np.flatnonzero(wrong)[0])
                src = "excitatory" if is_exc[pre[k]] else "inhibitory"
                need = ">= 0" if is_exc[pre[k]] else "<= 0"
                raise ValueError(f"{syn_label(k)}: weight {float(weight[k])} mV from an {src} "
                                 f"neuron must be {need} (Dale's law)")

        in_pre = _index_array(in_pre, n_inputs, "in_pre", "the input layer")
        in_post = _index_array(in_post, n, "in_post", "the liquid")
        if in_pre.shape != in_post.shape:
            raise ValueError(f"in_pre has {in_pre.size} entries but in_post has {in_post.size}")
        mi = in_pre.size
        in_label = lambda k: (f"input synapse {input_nodes[in_pre[k]]!r} -> "  # noqa: E731
                              f"{nodes[in_post[k]]!r}")
        in_weight = _per(in_weight, mi, "in_weight", "mV", in_label)
        in_delay = _per(in_delay, mi, "in_delay", "ms", in_label, nonneg=True)
        if mi:
            _, first, cnt = np.unique(in_pre * n + in_post, return_index=True,
                                      return_counts=True)
            if (cnt > 1).any():
                k = int(first[np.flatnonzero(cnt > 1)[0]])
                raise ValueError(f"duplicate {in_label(k)}")

        tau_m = _per(tau_m, n, "tau_m", "ms", label, positive=True)
        v_rest = _per(v_rest, n, "v_rest", "mV", label)
        v_th = _per(v_th, n, "v_th", "mV", label)
        v_reset = _per(v_reset, n, "v_reset", "mV", label)
        t_ref = _per(t_ref, n, "t_ref", "ms", label, nonneg=True)
        v_bias = _per(v_bias, n, "v_bias", "mV", label)
        bad = ~(v_reset < v_th)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{label(i)}: v_reset ({v_reset[i]} mV) must be below v_th "
                             f"({v_th[i]} mV)")
        if v_init is None:
            pass  # uniform in [v_rest, v_th), resolved per run so replace() keeps it in step
        elif isinstance(v_init, tuple) and len(v_init) == 2:
            lo = _per(v_init[0], n, "v_init low", "mV", label)
            hi = _per(v_init[1], n, "v_init high", "mV", label)
            if np.any(hi < lo):
                i = int(np.flatnonzero(hi < lo)[0])
                raise ValueError(f"v_init of {label(i)}: high {hi[i]} < low {lo[i]} mV")
            v_init = (lo, hi)
        else:
            v_init = _per(v_init, n, "v_init", "mV", label)
        if positions is not None:
            positions = real_array("positions", positions, finite=False)  # grid units
            if positions.shape != (n, 3) or not np.all(np.isfinite(positions)):
                raise ValueError(f"positions must be a finite (n, 3) = ({n}, 3) array, got "
                                 f"shape {positions.shape}")
            positions = _frozen(positions)

        self.kind = tuple(kind)
        self.pre, self.post, self.weight, self.delay = pre, post, weight, delay
        self.n_inputs = n_inputs
        self.in_pre, self.in_post, self.in_weight, self.in_delay = (in_pre, in_post,
                                                                    in_weight, in_delay)
        self.tau_m, self.v_rest, self.v_th, self.v_reset = tau_m, v_rest, v_th, v_reset
        self.t_ref, self.v_bias, self.v_init = t_ref, v_bias, v_init
        self.positions, self.nodes, self.input_nodes = positions, nodes, input_nodes
        self._freeze()

    # ------------------------------------------------------------------ sizes

    @property
    def n(self):
        """Number of liquid neurons."""
        return len(self.kind)

    @property
    def is_exc(self):
        """Boolean mask of the excitatory neurons."""
        return np.array([k == "exc" for k in self.kind])

    @property
    def n_synapses(self):
        """Number of recurrent synapses."""
        return int(self.pre.size)

    def __repr__(self):
        ne = int(self.is_exc.sum())
        return (f"LSM(n={self.n} ({ne} exc, {self.n - ne} inh), synapses={self.n_synapses}, "
                f"inputs={self.n_inputs})")

    # ------------------------------------------------------------------ builders

    @classmethod
    def random(cls, n_exc=800, n_inh=200, p=0.1, w_exc=0.5, w_inh=-2.5, delay=0.0,
               autapses=True, n_inputs=0, p_in=0.1, w_in=3.0, in_delay=0.0, seed=None,
               **neuron):
        """A liquid with independent connections of probability ``p`` between any two neurons.

        The first ``n_exc`` neurons are excitatory (outgoing jump ``w_exc`` mV), the last
        ``n_inh`` inhibitory (``w_inh`` mV). ``p`` may be a dict with keys "EE", "EI", "IE",
        "II" (pre then post type). Each input channel reaches each neuron with probability
        ``p_in`` (jump ``w_in`` mV). Connectivity is drawn from
        ``numpy.random.default_rng(seed)``; ``neuron`` passes LIF parameters (``tau_m``, ...)
        to the constructor. The defaults are the W5 workload: 800/200 neurons, p = 0.1 with
        autapses, +0.5 / -2.5 mV, no delays, 20 ms, -65 / -50 / -65 mV, 2 ms.

        >>> net = LSM.random(n_exc=80, n_inh=20, p=0.1, n_inputs=10, seed=0)
        >>> net.n, net.n_inputs, 600 < net.n_synapses < 1400
        (100, 10, True)
        """
        rng, _ = _check_rng(seed)
        n_exc, n_inh = count("n_exc", n_exc), count("n_inh", n_inh)
        if n_exc + n_inh == 0:
            raise ValueError(f"need n_exc, n_inh >= 0 and at least one neuron, got {n_exc}, "
                             f"{n_inh}")
        n = n_exc + n_inh
        n_inputs = count("n_inputs", n_inputs)
        if isinstance(p, dict):
            for k, v in p.items():
                probability(f"p[{k!r}]", v)
        else:
            p = probability("p", p)
        p_in = probability("p_in", p_in)
        w_exc = _scalar(w_exc, "mV", "w_exc")
        w_inh = _scalar(w_inh, "mV", "w_inh")
        p_max = max(p.values()) if isinstance(p, dict) else p
        check_allocation(f"LSM.random: about {p_max * n * n:.3g} recurrent synapses of {n} "
                         f"neurons (~{_BYTES_PER_SYNAPSE} bytes each while built)",
                         (int(p_max * n * n) + 1,), _BYTES_PER_SYNAPSE,
                         hint="lower n_exc, n_inh or p")
        if isinstance(p, dict):
            P = _pop_dict(p, "p")
            is_e = np.arange(n) < n_exc

            def prob(a, b):
                ea, eb = is_e[a], is_e[b]
                return np.where(ea, np.where(eb, P["EE"], P["EI"]),
                                np.where(eb, P["IE"], P["II"]))
            pre, post = _bernoulli_pairs(rng, prob, n, n, autapses)
        else:
            pre, post = _bernoulli_pairs(rng, float(p), n, n, autapses)
        weight = np.where(pre < n_exc, w_exc, w_inh)
        in_pre, in_post = _bernoulli_pairs(rng, p_in, n_inputs, n, True)
        kind = ["exc"] * n_exc + ["inh"] * n_inh
        return cls(kind, pre, post, weight, delay=delay, n_inputs=n_inputs, in_pre=in_pre,
                   in_post=in_post, in_weight=w_in, in_delay=in_delay, **neuron)

    @classmethod
    def column(cls, shape=(15, 3, 3), lambda_=2.0, C=None, w=None, delay=None, frac_inh=0.2,
               autapses=False, n_inputs=0, p_in=0.3, w_in=3.0, in_delay=0.0, seed=None,
               **neuron):
        """Maass, Natschlaeger & Markram's (2002) column: neurons on the integer grid of
        ``shape``, a random ``frac_inh`` of them inhibitory, neuron ``a`` connected to ``b``
        with probability ``C[type(a) type(b)] * exp(-(D(a, b) / lambda_)**2)`` (D the Euclidean
        distance in grid units).

        Defaults (theirs): 15 x 3 x 3 = 135 neurons, 20 % inhibitory, lambda = 2,
        C = ``MAASS_C`` = {EE 0.3, EI 0.2, IE 0.4, II 0.1}, delays ``MAASS_DELAY`` (1.5 ms
        E->E, 0.8 ms otherwise), tau_m 30 ms, v_rest 0 mV, v_th 15 mV, v_reset 13.5 mV,
        t_ref 3 ms (exc) / 2 ms (inh), background drive v_bias 13.5 mV (I_b = 13.5 nA into
        1 MOhm), initial voltages uniform in [13.5, 15) mV, input channels reaching each
        neuron with probability ``p_in`` = 0.3. One simplification: their synapses are
        dynamic (Markram-Tsodyks) exponential currents; here they are voltage jumps with the
        charge of a first current from rest, ``MAASS_W`` = {EE 1.5, EI 0.3, IE -0.95,
        II -1.2} mV (dict ``w`` to change them). Without synaptic depression this liquid is
        more excitable than theirs: with 10 inputs at 20 Hz (``w_in`` = 2 mV) the default
        column fires at about 200 Hz per neuron; scale ``w`` down or lower ``v_bias`` for
        sparser activity.

        >>> net = LSM.column(seed=0)
        >>> net.n, int((~net.is_exc).sum()), net.positions.shape
        (135, 27, (135, 3))
        """
        rng, _ = _check_rng(seed)
        if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 3:
            raise ValueError(f"shape must be three positive ints, got {shape!r}")
        shape = tuple(count(f"shape[{k}]", s, low=1) for k, s in enumerate(shape))
        lambda_ = real_number("lambda_", lambda_, positive=True)
        frac_inh = probability("frac_inh", frac_inh)
        p_in = probability("p_in", p_in)
        n_inputs = count("n_inputs", n_inputs)
        Cd = _pop_dict(MAASS_C if C is None else C, "C")
        Wd = _pop_dict(MAASS_W if w is None else w, "w", "mV")
        Dd = _pop_dict(MAASS_DELAY if delay is None else delay, "delay", "ms")
        n = int(np.prod(shape))
        pos = np.stack(np.unravel_index(np.arange(n), shape), axis=1).astype(np.float64)
        inh = np.zeros(n, bool)
        inh[rng.choice(n, size=int(round(frac_inh * n)), replace=False)] = True
        lam2 = float(lambda_) ** 2

        def typ(a, b):  # 0 EE, 1 EI, 2 IE, 3 II
            return 2 * inh[a].astype(int) + inh[b].astype(int)

        keys = ("EE", "EI", "IE", "II")
        cvec = np.array([Cd[k] for k in keys])

        def prob(a, b):
            d2 = ((pos[a] - pos[b]) ** 2).sum(axis=-1)
            return cvec[typ(a, b)] * np.exp(-d2 / lam2)

        pre, post = _bernoulli_pairs(rng, prob, n, n, autapses)
        t = typ(pre, post)
        weight = np.array([Wd[k] for k in keys])[t]
        dl = np.array([Dd[k] for k in keys])[t]
        in_pre, in_post = _bernoulli_pairs(rng, p_in, n_inputs, n, True)
        defaults = dict(tau_m=30.0, v_rest=0.0, v_th=15.0, v_reset=13.5,
                        t_ref=np.where(inh, 2.0, 3.0), v_bias=13.5, v_init=(13.5, 15.0))
        defaults.update(neuron)
        kind = ["inh" if x else "exc" for x in inh]
        return cls(kind, pre, post, weight, delay=dl, n_inputs=n_inputs, in_pre=in_pre,
                   in_post=in_post, in_weight=w_in, in_delay=in_delay, positions=pos,
                   **defaults)

    @classmethod
    def from_graph(cls, G, default_kind="exc", **neuron):
        """A liquid from a directed networkx graph.

        Nodes: attribute ``kind`` "exc", "inh" (default ``default_kind``) or "input" (an input
        channel, in node order); optional per-neuron ``tau_m``, ``v_rest``, ``v_th``,
        ``v_reset``, ``t_ref``, ``v_bias`` (defaults from ``neuron`` or the constructor's) and
        ``pos`` (3 coordinates). Edges ``u -> v``: ``weight`` (mV, or a brian2 voltage),
        optional ``delay`` (ms, or a brian2 time; default 0). Edges into input nodes are
        refused. ``G.graph["v_init"]`` (as :meth:`to_graph` writes it) sets ``v_init`` unless
        given here.

        >>> import networkx as nx
        >>> G = nx.DiGraph()
        >>> G.add_node("x", kind="input"); G.add_node("a"); G.add_node("b", kind="inh")
        >>> G.add_edge("x", "a", weight=20.0); G.add_edge("a", "b", weight=1.0, delay=1.5)
        >>> LSM.from_graph(G)
        LSM(n=2 (1 exc, 1 inh), synapses=1, inputs=1)
        """
        if not G.is_directed():
            raise ValueError("from_graph needs a directed graph (networkx.DiGraph): an edge "
                             "u -> v means u drives v")
        all_nodes, _ = graph_nodes(G)
        kinds = {}
        for v in all_nodes:
            k = G.nodes[v].get("kind", default_kind)
            if k not in ("exc", "inh", "input"):
                raise ValueError(f"node {v!r}: kind must be 'exc', 'inh' or 'input', got {k!r}")
            kinds[v] = k
        nodes = [v for v in all_nodes if kinds[v] != "input"]
        inputs = [v for v in all_nodes if kinds[v] == "input"]
        if not nodes:
            raise ValueError("the graph has no liquid neurons (every node is an input)")
        idx = {v: i for i, v in enumerate(nodes)}
        cidx = {v: i for i, v in enumerate(inputs)}
        rec, inp = [], []
        for u, v, d in G.edges(data=True):
            if kinds[v] == "input":
                raise ValueError(f"edge {u!r} -> {v!r} ends at an input node")
            if "weight" not in d:
                raise ValueError(f"edge {u!r} -> {v!r} has no 'weight' attribute (mV)")
            w = _scalar(d["weight"], "mV", f"weight of edge {u!r} -> {v!r}")
            dl = _scalar(d.get("delay", 0.0), "ms", f"delay of edge {u!r} -> {v!r}")
            (inp if kinds[u] == "input" else rec).append(
                ((cidx if kinds[u] == "input" else idx)[u], idx[v], w, dl))
        params = {k: v for k, v in neuron.items() if k in _PARAMS}
        defaults = dict(tau_m=20.0, v_rest=-65.0, v_th=-50.0, v_reset=-65.0, t_ref=2.0,
                        v_bias=0.0)
        for attr in _PARAMS:
            if any(attr in G.nodes[v] for v in nodes):
                unit = "ms" if attr in ("tau_m", "t_ref") else "mV"
                default = params.get(attr, defaults[attr])
                params[attr] = [_scalar(G.nodes[v].get(attr, default), unit,
                                        f"node {v!r}: attribute {attr!r}")
                                for v in nodes]
        extra = {k: v for k, v in neuron.items() if k not in _PARAMS}
        if "v_init" not in extra and "v_init" in G.graph:
            vi = G.graph["v_init"]
            if not (isinstance(vi, dict) and len(vi) == 1 and
                    next(iter(vi)) in ("uniform", "values")):
                raise ValueError('G.graph["v_init"] must be {"uniform": (low, high)} or '
                                 f'{{"values": v}}, got {vi!r}')
            extra["v_init"] = tuple(vi["uniform"]) if "uniform" in vi else vi["values"]
        pos = None
        if any("pos" in G.nodes[v] for v in nodes):
            try:
                pos = [[node_number(x, v, "pos") for x in G.nodes[v]["pos"]] for v in nodes]
            except KeyError:
                missing = next(v for v in nodes if "pos" not in G.nodes[v])
                raise ValueError(f"node {missing!r} has no 'pos' while others have") from None

        def cols(rows, k):
            return np.array([r[k] for r in rows]) if rows else np.zeros(0)

        return cls([kinds[v] for v in nodes], cols(rec, 0).astype(np.int64),
                   cols(rec, 1).astype(np.int64), cols(rec, 2), delay=cols(rec, 3),
                   n_inputs=len(inputs), in_pre=cols(inp, 0).astype(np.int64),
                   in_post=cols(inp, 1).astype(np.int64), in_weight=cols(inp, 2),
                   in_delay=cols(inp, 3), positions=pos, nodes=nodes, input_nodes=inputs,
                   **params, **extra)

    def to_graph(self):
        """The liquid as a ``networkx.DiGraph`` that :meth:`from_graph` turns back into it.

        Neurons carry ``kind`` and the LIF parameters (ms, mV) and ``pos`` when known; input
        channels are nodes of kind "input"; edges carry ``weight`` (mV) and ``delay`` (ms);
        ``G.graph["v_init"]`` holds the initial-voltage rule: ``{"uniform": (low, high)}`` or
        ``{"values": v}`` (mV, per neuron).

        >>> net = LSM(["exc", "inh"], pre=[0], post=[1], weight=[2.0], delay=1.0)
        >>> list(net.to_graph().edges(data=True))
        [(0, 1, {'weight': 2.0, 'delay': 1.0})]
        """
        import networkx as nx

        G = nx.DiGraph()
        if self.v_init is not None:
            G.graph["v_init"] = ({"uniform": tuple(a.tolist() for a in self.v_init)}
                                 if isinstance(self.v_init, tuple)
                                 else {"values": self.v_init.tolist()})
        for i, v in enumerate(self.nodes):
            attrs = {"kind": self.kind[i]}
            for attr in _PARAMS:
                attrs[attr] = float(getattr(self, attr)[i])
            if self.positions is not None:
                attrs["pos"] = tuple(float(x) for x in self.positions[i])
            G.add_node(v, **attrs)
        for c in self.input_nodes:
            G.add_node(c, kind="input")
        G.add_edges_from((self.nodes[a], self.nodes[b], {"weight": w, "delay": d})
                         for a, b, w, d in zip(self.pre.tolist(), self.post.tolist(),
                                               self.weight.tolist(), self.delay.tolist()))
        G.add_edges_from((self.input_nodes[a], self.nodes[b], {"weight": w, "delay": d})
                         for a, b, w, d in zip(self.in_pre.tolist(), self.in_post.tolist(),
                                               self.in_weight.tolist(),
                                               self.in_delay.tolist()))
        return G

    # ------------------------------------------------------------------ simulation

    def initial_voltages(self, rng):
        """Initial voltages (mV) for one run, drawn from ``rng`` when ``v_init`` is a range.

        >>> net = LSM(["exc", "exc"], pre=[], post=[], weight=[])   # v_init: [v_rest, v_th)
        >>> v = net.initial_voltages(np.random.default_rng(0))
        >>> bool(np.all((-65.0 <= v) & (v < -50.0)))
        True
        """
        if self.v_init is None or isinstance(self.v_init, tuple):
            lo, hi = (self.v_rest, self.v_th) if self.v_init is None else self.v_init
            return lo + rng.random(self.n) * (hi - lo)
        return np.array(self.v_init)

    def run(self, inputs=None, duration=1000.0, dt=0.1, target="numpy", seed=None, v0=None):
        """Simulate the liquid for ``duration`` ms and return its spikes (:class:`LiquidRun`).

        Parameters
        ----------
        inputs : SpikeInput, PoissonInput, AnalogInput, a list of them, or None
            Their channels, concatenated in order, are the liquid's ``n_inputs`` input
            channels.
        duration, dt : float (ms)
        target : {"numpy", "cython"}
            brian2's code-generation target for this run (global preferences are restored
            afterwards). "cython" compiles on first use (tens of seconds, then cached on disk).
        seed : None, int or numpy Generator
            Draws the initial voltages, then the random input spikes, in that order; the same
            seed gives identical spikes on either target. None draws a seed from the OS (kept
            in the result).
        v0 : array_like (n,), optional
            Initial voltages (mV) instead of drawing them from ``v_init``.

        Example
        -------
        >>> net = LSM(["exc"], pre=[], post=[], weight=[], n_inputs=1, in_pre=[0],
        ...           in_post=[0], in_weight=16.0, v_init=-65.0)
        >>> net.run(SpikeInput([10.0], [0]), duration=20.0).times
        array([10.1])
        """
        return self._simulate([inputs], duration, dt, target, seed, [v0])[0]

    def run_trials(self, inputs, duration=1000.0, dt=0.1, target="numpy", seed=None):
        """Run independent trials, one per element of ``inputs``, as disjoint copies of the
        liquid in one brian2 network (per-step overheads are paid once for all trials).

        Trial ``k`` uses ``child_k = numpy.random.SeedSequence(seed).spawn(K)[k]`` and gives
        exactly the spikes of ``run(inputs[k], ..., seed=child_k)``. Returns a list of
        :class:`LiquidRun`.

        >>> net = LSM.random(n_exc=16, n_inh=4, n_inputs=4, p_in=0.5, w_in=10.0, seed=0)
        >>> runs = net.run_trials([PoissonInput(50.0, n=4)] * 3, duration=50.0, seed=7)
        >>> len(runs), [r.n for r in runs]
        (3, [20, 20, 20])
        """
        inputs = list(inputs)
        return self._simulate(inputs, duration, dt, target, seed, [None] * len(inputs),
                              trials=True)

    def _simulate(self, inputs_list, duration, dt, target, seed, v0s, trials=False):
        duration = _scalar(duration, "ms", "duration", positive=True)
        dt = _scalar(dt, "ms", "dt", positive=True)
        if dt > duration:
            raise ValueError(f"dt = {dt!r} ms exceeds duration = {duration!r} ms: the run "
                             "would not complete a single step")
        if target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
        if not inputs_list:
            raise ValueError("run_trials needs at least one trial")
        if trials:
            if isinstance(seed, np.random.Generator):
                seed = int(seed.integers(2 ** 63))
            root = seed if isinstance(seed, np.random.SeedSequence) else \
                np.random.SeedSequence(_check_rng(seed)[1])
            seeds = root.spawn(len(inputs_list))
        else:
            seeds = [seed]
        n, K = self.n, len(inputs_list)
        v0_all, in_idx, in_t, metas = [], [], [], []
        for k, (inputs, v0, s) in enumerate(zip(inputs_list, v0s, seeds)):
            rng, used = _check_rng(s)
            srcs, n_ch = _merge_inputs(inputs)
            if n_ch and n_ch != self.n_inputs:
                where = f"trial {k}: " if trials else ""
                raise ValueError(f"{where}the inputs have {n_ch} channels, the liquid has "
                                 f"{self.n_inputs} input channels (a SpikeInput that leaves "
                                 "the last channels silent needs n=)")
            if v0 is None:
                v = self.initial_voltages(rng)
            else:
                v = _plain(v0, "mV", "v0")
                if v.shape != (n,):
                    raise ValueError(f"v0 has shape {v.shape}, expected ({n},)")
                bad = np.flatnonzero(~np.isfinite(v))
                if bad.size:
                    i = int(bad[0])
                    who = (f"neuron {self.nodes[i]!r}" if self.nodes[i] != i
                           else f"neuron {i}")
                    raise ValueError(f"v0[{i}] = {float(v[i])!r} is not finite (initial "
                                     f"voltage of {who})")
            idx_parts, t_parts, off = [], [], 0
            for src in srcs:
                i_, t_ = src._sample(duration, dt, rng)
                idx_parts.append(i_ + off)
                t_parts.append(t_)
                off += src.n
            ii = np.concatenate(idx_parts) if idx_parts else np.zeros(0, np.int64)
            tt = np.concatenate(t_parts) if t_parts else np.zeros(0)
            order = np.lexsort((ii, tt))
            ii, tt = ii[order], tt[order]
            # SpikeGeneratorGroup takes one spike per channel and step; say where, before any
            # brian2 object exists (a half-built network only produces warnings).
            steps = np.round(tt / dt).astype(np.int64)
            o = np.lexsort((ii, steps))
            twice = (np.diff(steps[o]) == 0) & (np.diff(ii[o]) == 0)
            if twice.any():
                j, j2 = o[int(np.flatnonzero(twice)[0])], o[int(np.flatnonzero(twice)[0]) + 1]
                where = f"trial {k}: " if trials else ""
                raise ValueError(f"{where}input channel {int(ii[j])} fires twice in one step of "
                                 f"{dt} ms (at {tt[j]} and {tt[j2]} ms); at most one spike "
                                 "per channel and step")
            v0_all.append(v)
            in_idx.append(ii)
            in_t.append(tt)
            metas.append((used, v))
        with _target(target):
            mon_i, mon_t = self._brian2_run(v0_all, in_idx, in_t, duration, dt)
        out = []
        trial = mon_i // n
        for k in range(K):
            sel = trial == k
            out.append(LiquidRun(mon_i[sel] - k * n, mon_t[sel], n=n, duration=duration,
                                 dt=dt, input_indices=in_idx[k], input_times=in_t[k],
                                 v0=metas[k][1], seed=metas[k][0], target=target))
        return out

    def _brian2_run(self, v0_all, in_idx, in_t, duration, dt):
        """Build the brian2 network for K stacked copies and run it; (indices, times ms)."""
        import brian2 as b2

        if type(b2.get_device()).__name__ != "RuntimeDevice":
            raise RuntimeError("LSM.run needs brian2's runtime device (numpy/cython targets); "
                               "call brian2.set_device('runtime') first")
        n, K, ms, mV = self.n, len(v0_all), b2.ms, b2.mV
        N = n * K
        # One clock for every object: objects given their own dt get a clock each, and the
        # network loop then pays per step for every clock.
        clock = b2.Clock(dt * ms, name="lsm_clock")
        ns, per_neuron = {}, []
        for attr in _PARAMS:
            vals = getattr(self, attr)
            unit = ms if attr in ("tau_m", "t_ref") else mV
            if np.all(vals == vals[0]):
                ns[attr] = float(vals[0]) * unit
            else:
                per_neuron.append((attr, np.tile(vals, K), "second" if unit is ms else "volt"))
        # A constant drive of 0 is left out of the equation (the W5 equation, term for term).
        drive = "v_rest - v" if ("v_bias" in ns and float(ns["v_bias"] / mV) == 0.0) \
            else "v_rest + v_bias - v"
        eqs = f"dv/dt = ({drive}) / tau_m : volt (unless refractory)\n" + "\n".join(
            f"{a} : {u} (constant)" for a, _, u in per_neuron)
        G = b2.NeuronGroup(N, eqs, threshold="v > v_th", reset="v = v_reset",
                           refractory="t_ref" if "t_ref" not in ns else ns["t_ref"],
                           method="exact", namespace=ns, name=_NAMES["neurons"], clock=clock)
        for a, vals, u in per_neuron:
            setattr(G, a, vals * (ms if u == "second" else mV))
        G.v = np.concatenate(v0_all) * mV
        objs = [G]
        if self.pre.size:
            objs.append(_synapses(b2, G, G, self.pre, self.post, self.weight, self.delay,
                                  n, n, K, _NAMES["rec"], clock))
        n_spk = sum(t.size for t in in_t)
        if self.in_pre.size and n_spk:
            m = self.n_inputs
            idx = np.concatenate([ii + k * m for k, ii in enumerate(in_idx)])
            tt = np.concatenate(in_t)
            steps = np.round(tt / dt).astype(np.int64)
            P = b2.SpikeGeneratorGroup(m * K, idx, steps * dt * ms, clock=clock,
                                       name=_NAMES["inp"])
            objs += [P, _synapses(b2, P, G, self.in_pre, self.in_post, self.in_weight,
                                  self.in_delay, m, n, K, _NAMES["in_syn"], clock)]
        mon = b2.SpikeMonitor(G, name=_NAMES["mon"])
        objs.append(mon)
        net = b2.Network(*objs)
        net.run(duration * ms, namespace={})
        i = np.asarray(mon.i[:], dtype=np.int64)
        t = np.round(np.asarray(mon.t[:] / ms) / dt) * dt
        order = np.lexsort((i, t))
        return i[order], t[order]


def _synapses(b2, src, G, pre, post, weight, delay, n_src, n_tgt, K, name, clock):
    """One Synapses object for K stacked copies of the (pre, post) connections."""
    mV, ms = b2.mV, b2.ms
    uniform_w = weight.size and np.all(weight == weight[0])
    model = "" if uniform_w else "w : volt (constant)"
    on_pre = f"v_post += {float(weight[0])!r}*mV" if uniform_w else "v_post += w"
    kw = {}
    uniform_d = np.all(delay == delay[0])
    if uniform_d and delay[0] > 0:
        kw["delay"] = float(delay[0]) * ms
    S = b2.Synapses(src, G, model, on_pre=on_pre, name=name, clock=clock, namespace={"mV": mV},
                    **kw)
    i = np.concatenate([pre + k * n_src for k in range(K)])
    j = np.concatenate([post + k * n_tgt for k in range(K)])
    S.connect(i=i, j=j)
    if not uniform_w:
        S.w = np.tile(weight, K) * mV
    if not uniform_d:
        S.delay = np.tile(delay, K) * ms
    return S


@contextlib.contextmanager
def _target(target):
    """Set brian2's code-generation target for the duration of a run, then restore it."""
    import brian2 as b2

    old = b2.prefs.codegen.target
    b2.prefs.codegen.target = target
    try:
        yield
    finally:
        b2.prefs.codegen.target = old
