"""Memristor device models: HP linear ion drift with its window functions, and VTEAM.

Every device has one normalised state ``x`` in ``[0, 1]``, with ``x = 1`` the low-resistance
(ON, ``R_on``) end and ``x = 0`` the high-resistance (OFF, ``R_off``) end, and is driven by a
voltage ``v(t)`` from :mod:`circuits.sources`. Units are SI: ohms, metres, seconds, volts.
Every parameter and argument with a unit also takes a brian2 quantity (``R_on=100*ohm``,
``D=10*nmetre``), checked for its dimension and converted to SI: the same run as with the
plain SI numbers.

HP linear ion drift (Strukov et al. 2008), ``x = w / D``::

    v = M(x) i,      M(x) = R_on x + R_off (1 - x),
    dx/dt = (mu_v R_on / D^2) i f(x, i)

Window functions ``f`` (``window=``):

* ``None``: ``f = 1`` (the model of Strukov et al.). Nothing keeps ``x`` in ``[0, 1]``; outside
  it the doped region would be wider than the device (and ``M`` turns negative beyond
  ``x = R_off / (R_off - R_on)``), so the kernel refuses to go there: the integration stops
  where ``x`` reaches 0 or 1, and :func:`circuits.drive.drive` reports it with its own status.
* ``"joglekar"``: ``f = 1 - (2x - 1)^(2p)``, ``p`` a positive integer (Joglekar & Wolf 2009).
  It vanishes at both ends, so a state started at exactly 0 or 1 never moves (the
  terminal-state problem that Biolek's window removes).
* ``"biolek"``: ``f = 1 - (x - stp(-i))^(2p)``, ``stp(z) = 1`` for ``z >= 0`` else 0, ``p`` a
  positive integer (Biolek, Biolek & Biolkova 2009). ``f`` jumps when ``i`` changes sign, but
  ``dx/dt = k i f`` does not (it is 0 there): ``x(t)`` is C^1 with a jump in ``x''`` at each
  zero of the current. Adaptive solvers take that kink like any other, at the cost of a
  rejected step or two; no event location is needed. The Jacobian is taken at fixed sign.
* ``"prodromakis"``: ``f = j (1 - ((x - 1/2)^2 + 3/4)^p)``, ``p > 0`` real, ``j > 0`` scales
  the maximum, ``j (1 - 0.75^p)`` at ``x = 1/2`` (Prodromakis et al. 2011).

VTEAM (Kvatinsky et al. 2015), a voltage-controlled threshold model. In Kvatinsky's variable
``w`` (``w_on`` the ON end, ``w_off`` the OFF end; ``x = (w_off - w) / (w_off - w_on)``)::

    dw/dt = k_off (v / v_off - 1)^alpha_off f(x)    for v > v_off > 0   (towards OFF)
          = 0                                       for v_on <= v <= v_off
          = k_on  (v / v_on  - 1)^alpha_on  f(x)    for v < v_on < 0    (towards ON)

with ``k_off > 0 > k_on``. Between the thresholds the state does not move at all. The current is
``i = v / R(x)`` with ``R`` linear, ``R_on x + R_off (1 - x)``, or exponential,
``R_on exp(ln(R_off / R_on) (1 - x))`` (``resistance=``). The same windows are available
(Biolek's reads the direction of motion instead of the sign of ``i``).

References
----------
D. B. Strukov, G. S. Snider, D. R. Stewart, R. S. Williams, "The missing memristor found",
Nature 453, 80-83 (2008).
Y. N. Joglekar, S. J. Wolf, "The elusive memristor: properties of basic electrical circuits",
Eur. J. Phys. 30, 661-675 (2009).
Z. Biolek, D. Biolek, V. Biolkova, "SPICE model of memristor with nonlinear dopant drift",
Radioengineering 18(2), 210-214 (2009).
T. Prodromakis, B. P. Peh, C. Papavassiliou, C. Toumazou, "A versatile memristor model with
nonlinear dopant kinetics", IEEE Trans. Electron Devices 58(9), 3099-3105 (2011).
S. Kvatinsky, M. Ramadan, E. G. Friedman, A. Kolodny, "VTEAM: A general model for
voltage-controlled memristors", IEEE Trans. Circuits Syst. II 62(8), 786-790 (2015).
"""
from __future__ import annotations

import math

import numpy as np

from neurodyn._model import FrozenModel, physical
from solvers import ODESystem
from solvers._checks import real_array

from . import _kernels_devices as _k
from .sources import _positive, _real, as_source, encode_sources

__all__ = ["HPMemristor", "VTEAM", "WINDOWS"]

WINDOWS = {None: _k.WIN_NONE, "joglekar": _k.WIN_JOGLEKAR, "biolek": _k.WIN_BIOLEK,
           "prodromakis": _k.WIN_PRODROMAKIS}
_INTEGER_P = ("joglekar", "biolek")


def _window(window, p, j, owner):
    if window not in WINDOWS:
        known = ", ".join(repr(w) for w in WINDOWS)
        raise ValueError(f"{owner}: unknown window {window!r}; allowed: {known}")
    p_val = _positive(p, f"{owner} p")
    if window in _INTEGER_P and p_val != math.floor(p_val):
        raise ValueError(f"{owner} p must be a positive integer for the {window} window "
                         f"(it is the exponent 2p of a signed base), got {p!r}")
    j_val = _positive(j, f"{owner} j")
    return WINDOWS[window], p_val, j_val


def _resistances(R_on, R_off, owner):
    R_on = _positive(R_on, f"{owner} R_on", "resistance")
    R_off = _positive(R_off, f"{owner} R_off", "resistance")
    if not R_off > R_on:
        raise ValueError(f"{owner}: R_off must exceed R_on, got R_on = {R_on!r}, "
                         f"R_off = {R_off!r}")
    return R_on, R_off


def _states(x, what="x"):
    """``x`` as a float64 array of finite real numbers (the first bad entry named)."""
    return real_array(what, x)


def _unit_states(x, owner):
    """States ``x`` checked to lie in the device's range [0, 1], naming the device and the
    first value outside it."""
    a = _states(x, "x")
    bad = (a < 0.0) | (a > 1.0)
    if bad.any():
        k = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"x[{', '.join(map(str, k))}]" if k else "x"
        raise ValueError(f"{owner}: state x must be in [0, 1] (x = 1 is ON, R_on; x = 0 is "
                         f"OFF, R_off), got {where} = {float(a[k])!r}")
    return a


def _out(a):
    return float(a) if np.ndim(a) == 0 else a


class _DeviceSystem(ODESystem):
    """A device driven by a source: an ODESystem that also knows its device, so that a start
    outside [0, 1] can be refused naming it (:meth:`check_initial_state`)."""

    def __init__(self, rhs, n_states, params=(), jac=None, name=None, device=None):
        super().__init__(rhs, n_states, params=params, jac=jac, name=name)
        self.device = device

    def check_initial_state(self, y0):
        """``[x0]`` checked to lie in ``[0, 1]`` (the error names the device)."""
        return np.array([self.device.check_initial_state(y0)])


class _Device(FrozenModel):
    """What the devices share: the source-driven system, pickling, replace()."""

    _rhs = None
    _jac = None

    def _params(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def system(self, source):
        """The device driven by ``source`` as a :class:`solvers.ODESystem` (state ``[x]``).

        Every source and every parameter set shares the device type's one compiled kernel.

        >>> from circuits.sources import Triangle
        >>> s = HPMemristor(window="biolek").system(Triangle(1.0, 50.0))
        >>> s.n_states, s.rhs is HPMemristor(R_on=10.0).system(0.5).rhs
        (1, True)
        """
        enc = encode_sources([as_source(source, f"{type(self).__name__} source")])
        return _DeviceSystem(self._rhs, 1, params=self._params() + enc, jac=self._jac,
                             name=repr(self), device=self)

    def check_initial_state(self, x0):
        """``x0`` as a float in ``[0, 1]``, or an error naming the device and the value.

        :func:`circuits.drive.drive` calls it; ``solvers.solve`` on :meth:`system` cannot (the
        kernel then stops at once with a non-finite state), so check a hand-made start here.

        >>> HPMemristor().check_initial_state(1.5)
        Traceback (most recent call last):
        ...
        ValueError: HPMemristor: x0 must lie in [0, 1] (x = 1 is ON, R_on; x = 0 is OFF, R_off), got 1.5
        """
        owner = type(self).__name__
        a = real_array(f"{owner} x0", x0)
        if a.size != 1:
            raise ValueError(f"{owner}: x0 must be one number in [0, 1] (the device has one "
                             f"state), got shape {a.shape}")
        v = float(a.reshape(-1)[0])
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{owner}: x0 must lie in [0, 1] (x = 1 is ON, R_on; x = 0 is "
                             f"OFF, R_off), got {v!r}")
        return v

    def current(self, x, v):
        """Current ``i = v / R(x)`` (amperes) for states ``x`` and voltages ``v`` (broadcast).

        >>> VTEAM().current([0.0, 1.0], 0.1)
        array([0.0001, 0.002 ])
        """
        return _out(_states(physical("v", v, "voltage"), "v") / self.memristance(x))

    def _memristance(self, x):  # pragma: no cover - per device
        raise NotImplementedError

    def memristance(self, x):
        """The resistance ``R(x)`` in ohms at states ``x`` in ``[0, 1]`` (others refused)."""
        return _out(self._memristance(_unit_states(x, type(self).__name__)))

    def _current(self, x, v):
        """``v / R(x)`` without the range check: for states a solver computed, which may sit a
        rounding error beyond an end of [0, 1] where a window-free run stopped."""
        return _out(_states(physical("v", v, "voltage"), "v") / self._memristance(_states(x)))

    def replace(self, **changes):
        """A copy with some constructor arguments changed (validated again; no recompilation).

        >>> HPMemristor().replace(window="joglekar", p=2).window
        'joglekar'
        """
        return FrozenModel.replace(self, **changes)

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._ctor_args)
        return f"{type(self).__name__}({args})"


class HPMemristor(_Device):
    """The HP linear ion-drift memristor (Strukov et al. 2008), optionally with a window.

    ``v = M(x) i``, ``M(x) = R_on x + R_off (1 - x)``, ``dx/dt = k i f(x, i)`` with
    ``k = mu_v R_on / D^2`` and ``x = w / D`` (see the module docstring for the windows).

    Parameters
    ----------
    R_on, R_off : float
        Resistance fully doped (``x = 1``) and undoped (``x = 0``), ohms; ``R_off > R_on``.
        Defaults 100 ohm and 16 kohm (``R_off / R_on = 160`` as in Strukov et al.'s Fig. 2;
        the absolute values are those of Biolek et al.'s SPICE model and Joglekar & Wolf).
    D : float
        Thickness of the TiO2 film, metres (default 10 nm, Strukov et al.).
    mu_v : float
        Dopant mobility, m^2 s^-1 V^-1 (default 1e-14, i.e. 1e-10 cm^2/(V s), Strukov et al.).
    window : None, "joglekar", "biolek" or "prodromakis"
    p : float
        Window exponent: a positive integer for Joglekar and Biolek, a positive real for
        Prodromakis; unused without a window.
    j : float
        Prodromakis' scale of the window (positive); unused otherwise.

    Notes
    -----
    Without a window the model is defined for ``x`` in ``[0, 1]`` only: its kernel returns NaN
    outside, so an integration stops where ``x`` reaches the edge (see
    :func:`circuits.drive.drive`, which reports it). With a window, ``f`` vanishes at the edge
    the state moves towards, and ``x`` stays inside.

    Example
    -------
    >>> import solvers
    >>> from circuits.sources import Sine
    >>> hp = HPMemristor(window="joglekar", p=2)
    >>> hp.memristance([0.0, 0.5, 1.0])
    array([16000.,  8050.,   100.])
    >>> round(hp.k, 6)                      # mu_v R_on / D^2, in 1/(A s)
    10000.0
    >>> sol = solvers.solve(hp.system(Sine(1.0, 1.0)), (0.0, 0.5), [0.1], rtol=1e-9)
    >>> 0.1 < float(sol.y[-1, 0]) < 1.0     # a positive half-wave drives x up
    True

    brian2 quantities are converted to SI after a check of their dimension:

    >>> from brian2 import kohm, mV, nmetre, ohm
    >>> HPMemristor(R_on=100 * ohm, R_off=16 * kohm, D=10 * nmetre).R_off
    16000.0
    >>> HPMemristor(R_on=1 * mV)
    Traceback (most recent call last):
    ...
    solvers._checks.InvalidTypeError: HPMemristor R_on must be a resistance (ohm), got 1. mV
    """

    _ctor_args = ("R_on", "R_off", "D", "mu_v", "window", "p", "j")
    _rhs = staticmethod(_k.hp_rhs)
    _jac = staticmethod(_k.hp_jac)

    def __init__(self, R_on=100.0, R_off=16e3, D=10e-9, mu_v=1e-14, window=None, p=1, j=1.0):
        owner = "HPMemristor"
        self.R_on, self.R_off = _resistances(R_on, R_off, owner)
        self.D = _positive(D, f"{owner} D", "length")
        self.mu_v = _positive(mu_v, f"{owner} mu_v", "mobility")
        self._code, p_val, j_val = _window(window, p, j, owner)
        self.window = window
        self.p = int(p_val) if window in _INTEGER_P else p_val
        self.j = j_val
        self._freeze()

    @property
    def k(self):
        """``mu_v R_on / D^2``: ``dx/dt = k i f``, in 1/(A s)."""
        return self.mu_v * self.R_on / (self.D * self.D)

    def _params(self):
        return (self.R_on, self.R_off, self.k, self._code, float(self.p), self.j)

    def memristance(self, x):
        """``M(x) = R_on x + R_off (1 - x)`` in ohms, for states ``x`` in ``[0, 1]`` (outside
        it the model has no meaning, and ``M`` turns negative: refused).

        >>> HPMemristor().memristance(0.25)
        12025.0
        """
        return super().memristance(x)

    def _memristance(self, x):
        return self.R_on * x + self.R_off * (1.0 - x)

    def current(self, x, v):
        """Current ``i = v / M(x)`` in amperes (arrays broadcast).

        >>> HPMemristor().current(1.0, 0.5)
        0.005
        """
        return super().current(x, v)


class VTEAM(_Device):
    """The VTEAM voltage-controlled threshold memristor (Kvatinsky et al. 2015).

    ``dx/dt = g(v) f(x)`` with ``g = 0`` exactly for ``v_on <= v <= v_off`` (the module
    docstring has the rate law; ``x = 1`` is ON, ``x = (w_off - w) / (w_off - w_on)``).

    Parameters
    ----------
    R_on, R_off : float
        ON and OFF resistances, ohms (defaults 50 and 1000).
    w_on, w_off : float
        Bounds of Kvatinsky's state variable, metres (defaults 0 and 3 nm); only their
        difference enters.
    k_on, k_off : float
        Rate constants, m/s; ``k_on < 0 < k_off`` (defaults -10 and 5e-4).
    alpha_on, alpha_off : float
        Exponents of the rate law, positive (defaults 3 and 1).
    v_on, v_off : float
        Threshold voltages, ``v_on < 0 < v_off`` (defaults -0.2 V and 0.02 V).
    window : None, "joglekar", "biolek" or "prodromakis"
        As for :class:`HPMemristor`; ``None`` means ``f = 1`` and the run stops where ``x``
        reaches 0 or 1.
    p, j : float
        Window parameters, as for :class:`HPMemristor`.
    resistance : "linear" or "exponential"
        ``R(x) = R_on x + R_off (1 - x)`` or ``R_on exp(ln(R_off / R_on) (1 - x))``.

    Notes
    -----
    The default parameters are those MemTorch ships for its VTEAM model (Lammie et al.,
    Neurocomputing 485, 124-133, 2022), taken from Kvatinsky et al.; we did not check them
    against the paper's own table.

    Example
    -------
    Below the thresholds nothing moves; above ``v_off`` the device switches towards OFF:

    >>> import solvers
    >>> from circuits.sources import Constant
    >>> dev = VTEAM()
    >>> float(solvers.solve(dev.system(Constant(0.015)), (0.0, 1e-6), [0.7]).y[-1, 0])
    0.7
    >>> rate = dev.rate(0.04)      # dx/dt = -k_off / (w_off - w_on) * (0.04 / 0.02 - 1)^1
    >>> round(rate, 3)
    -166666.667
    """

    _ctor_args = ("R_on", "R_off", "w_on", "w_off", "k_on", "k_off", "alpha_on", "alpha_off",
                  "v_on", "v_off", "window", "p", "j", "resistance")
    _rhs = staticmethod(_k.vteam_rhs)
    _jac = staticmethod(_k.vteam_jac)

    def __init__(self, R_on=50.0, R_off=1e3, w_on=0.0, w_off=3e-9, k_on=-10.0, k_off=5e-4,
                 alpha_on=3.0, alpha_off=1.0, v_on=-0.2, v_off=0.02, window=None, p=1, j=1.0,
                 resistance="linear"):
        owner = "VTEAM"
        self.R_on, self.R_off = _resistances(R_on, R_off, owner)
        self.w_on = _real(w_on, f"{owner} w_on", "length")
        self.w_off = _real(w_off, f"{owner} w_off", "length")
        if not self.w_off > self.w_on:
            raise ValueError(f"{owner}: w_off must exceed w_on, got w_on = {self.w_on!r}, "
                             f"w_off = {self.w_off!r}")
        self.k_on = _real(k_on, f"{owner} k_on", "velocity")
        if not self.k_on < 0.0:
            raise ValueError(f"{owner} k_on must be negative (it moves w towards w_on), "
                             f"got {k_on!r}")
        self.k_off = _positive(k_off, f"{owner} k_off", "velocity")
        self.alpha_on = _positive(alpha_on, f"{owner} alpha_on")
        self.alpha_off = _positive(alpha_off, f"{owner} alpha_off")
        self.v_on = _real(v_on, f"{owner} v_on", "voltage")
        if not self.v_on < 0.0:
            raise ValueError(f"{owner} v_on must be negative, got {v_on!r}")
        self.v_off = _positive(v_off, f"{owner} v_off", "voltage")
        self._code, p_val, j_val = _window(window, p, j, owner)
        self.window = window
        self.p = int(p_val) if window in _INTEGER_P else p_val
        self.j = j_val
        if resistance not in ("linear", "exponential"):
            raise ValueError(f"{owner} resistance must be 'linear' or 'exponential', got "
                             f"{resistance!r}")
        self.resistance = resistance
        self._freeze()

    def _params(self):
        dw = self.w_off - self.w_on
        return (-self.k_on / dw, self.k_off / dw, self.alpha_on, self.alpha_off, self.v_on,
                self.v_off, self._code, float(self.p), self.j)

    def rate(self, v):
        """``g(v)`` in 1/s: ``dx/dt = g(v) f(x)``; exactly 0 between the thresholds.

        >>> VTEAM().rate([-0.1, 0.0, 0.01])
        array([0., 0., 0.])
        """
        v = _states(physical("v", v, "voltage"), "v")
        c_on, c_off = self._params()[:2]
        with np.errstate(invalid="ignore"):
            g = np.where(v > self.v_off, -c_off * np.abs(v / self.v_off - 1.0) ** self.alpha_off,
                         np.where(v < self.v_on,
                                  c_on * np.abs(v / self.v_on - 1.0) ** self.alpha_on, 0.0))
        return _out(g)

    def memristance(self, x):
        """``R(x)`` in ohms (linear or exponential in ``x``, see the class docstring), for
        states ``x`` in ``[0, 1]`` (others refused).

        >>> VTEAM(resistance="exponential").memristance([0.0, 0.5, 1.0]).round(3)
        array([1000.   ,  223.607,   50.   ])
        """
        return super().memristance(x)

    def _memristance(self, x):
        if self.resistance == "linear":
            return self.R_on * x + self.R_off * (1.0 - x)
        return self.R_on * np.exp(math.log(self.R_off / self.R_on) * (1.0 - x))
