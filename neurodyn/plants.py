"""Plants: the bodies that evolved controllers act on (pendulum, cart-pole, double pole, linear).

A plant is a kernel ``rhs(t, x, p, u, dxdt)`` — like a model's ``rhs(t, y, p, dydt)`` with an
input vector ``u`` (forces, torques) — plus an immutable description of its state, inputs and
failure limits (:class:`Plant`). The kernels are plain restricted Python at module level, marked
``register_jitable`` so that Numba compiles them into whichever kernel calls them (a coupled
controller + body system) while they still run uncompiled under NumPy and SciPy. They allocate
nothing, so many threads may integrate agents sharing one params tuple, and they trust their
inputs: the classes validate at construction, and whoever couples a plant clips ``u`` to
``[input_low, input_high]``.

Conventions: angles in radians; ``theta = 0`` is the pole *upright* for the carts and the
pendulum *hanging down* (the swing-up task); SI units; positive force pushes the cart towards
``+x`` and a positive ``theta`` leans the pole towards ``+x``.

>>> cp = CartPole()
>>> cp.state_names, cp.input_names
(('x', 'x_dot', 'theta', 'theta_dot'), ('force',))
>>> dxdt = np.empty(4)
>>> cp.rhs(0.0, np.array([0.0, 0.0, 0.1, 0.0]), cp.params, np.array([0.0]), dxdt)
>>> bool(dxdt[3] > 0)    # tilted and unforced, the pole falls further
True
"""
from __future__ import annotations

import math

import numpy as np
from numba.core.extending import register_jitable

from solvers import ODESystem
from solvers._checks import InvalidTypeError, count, real_array, real_number
from solvers.system import normalize_params

from ._model import FrozenModel

__all__ = ["Plant", "Pendulum", "CartPole", "DoublePole", "LinearPlant", "plant_system",
           "pendulum_rhs", "cartpole_rhs", "double_pole_rhs", "linear_rhs"]


# --------------------------------------------------------------------------- kernels

@register_jitable
def _sgn(v):
    # sgn(0) = 0: a cart at rest feels no Coulomb friction (static friction is not modelled).
    if v > 0.0:
        return 1.0
    if v < 0.0:
        return -1.0
    return 0.0


@register_jitable
def pendulum_rhs(t, x, p, u, dxdt):
    """Point-mass pendulum, ``m l^2 omega' = u - b omega - m g l sin(theta)``; ``theta = 0``
    hanging down. ``p = (length, mass, gravity, damping)``, ``u = (torque,)``."""
    length = p[0]
    mass = p[1]
    ml2 = mass * length * length
    dxdt[0] = x[1]
    dxdt[1] = (u[0] - p[3] * x[1] - mass * p[2] * length * math.sin(x[0])) / ml2


@register_jitable
def _cartpole_theta_acc(f, s, c, thd, mt, mp, half, g, muc, mup, sg):
    """theta'' and the cart's normal force N_c, given sg = sgn(N_c x') (Florian 2007, with
    the sin(theta) of the denominator restored: see CartPole)."""
    num = (g * s + c * ((-f - mp * half * thd * thd * (s + muc * sg * c)) / mt + muc * g * sg)
           - mup * thd / (mp * half))
    den = half * (4.0 / 3.0 - mp * c / mt * (c - muc * sg * s))
    thdd = num / den
    nc = mt * g - mp * half * (thdd * s + thd * thd * c)
    return thdd, nc


@register_jitable
def cartpole_rhs(t, x, p, u, dxdt):
    """Cart-pole of Barto, Sutton & Anderson (1983) in the corrected form of Florian (2007).

    ``p = (cart_mass, pole_mass, half_length, gravity, cart_friction, pole_friction)``,
    ``x = (x, x', theta, theta')``, ``u = (force,)``.
    """
    mc = p[0]
    mp = p[1]
    half = p[2]
    g = p[3]
    muc = p[4]
    mup = p[5]
    f = u[0]
    thd = x[3]
    s = math.sin(x[2])
    c = math.cos(x[2])
    mt = mc + mp
    # The friction term needs sgn(N_c x'), and N_c depends on theta'': Florian's procedure
    # assumes a sign of N_c, and recomputes when the N_c obtained has the other one. A cart
    # pressed onto its track (N_c > 0) is the usual case, so that is the first guess.
    sg = _sgn(x[1])
    thdd, nc = _cartpole_theta_acc(f, s, c, thd, mt, mp, half, g, muc, mup, sg)
    if nc < 0.0:
        sg = -sg
        thdd, nc = _cartpole_theta_acc(f, s, c, thd, mt, mp, half, g, muc, mup, sg)
    dxdt[0] = x[1]
    dxdt[1] = (f + mp * half * (thd * thd * s - thdd * c) - muc * nc * sg) / mt
    dxdt[2] = thd
    dxdt[3] = thdd


@register_jitable
def double_pole_rhs(t, x, p, u, dxdt):
    """Wieland's double pole on a cart, as published by Gomez & Miikkulainen and coded in
    Stanley's NEAT (gravity enters as ``g = -gravity``).

    ``p = (cart_mass, mass1, mass2, half_length1, half_length2, gravity, cart_friction,
    pole_friction)``, ``x = (x, x', theta1, theta1', theta2, theta2')``, ``u = (force,)``.
    """
    mc = p[0]
    m1 = p[1]
    m2 = p[2]
    l1 = p[3]
    l2 = p[4]
    g = -p[5]   # the published equations' sign convention
    muc = p[6]
    mup = p[7]
    f = u[0]
    s1 = math.sin(x[2])
    c1 = math.cos(x[2])
    s2 = math.sin(x[4])
    c2 = math.cos(x[4])
    w1 = x[3]
    w2 = x[5]
    tmp1 = mup * w1 / (m1 * l1)
    tmp2 = mup * w2 / (m2 * l2)
    # effective forces and masses of the poles (Wieland; Gomez & Miikkulainen eqs.)
    f1 = m1 * l1 * w1 * w1 * s1 + 0.75 * m1 * c1 * (tmp1 + g * s1)
    f2 = m2 * l2 * w2 * w2 * s2 + 0.75 * m2 * c2 * (tmp2 + g * s2)
    e1 = m1 * (1.0 - 0.75 * c1 * c1)
    e2 = m2 * (1.0 - 0.75 * c2 * c2)
    xdd = (f - muc * _sgn(x[1]) + f1 + f2) / (mc + e1 + e2)
    dxdt[0] = x[1]
    dxdt[1] = xdd
    dxdt[2] = w1
    dxdt[3] = -0.75 * (xdd * c1 + g * s1 + tmp1) / l1
    dxdt[4] = w2
    dxdt[5] = -0.75 * (xdd * c2 + g * s2 + tmp2) / l2


@register_jitable
def linear_rhs(t, x, p, u, dxdt):
    """``dx/dt = A x + B u`` with ``p = (A, B)``."""
    a = p[0]
    b = p[1]
    for i in range(a.shape[0]):
        acc = 0.0
        for j in range(a.shape[1]):
            acc += a[i, j] * x[j]
        for k in range(b.shape[1]):
            acc += b[i, k] * u[k]
        dxdt[i] = acc


# Plant integrated alone under a constant input: p = (u, plant params). One module-level
# wrapper per plant kernel, so plant_system compiles once per plant type, never per instance.

def _pendulum_held(t, y, p, dydt):
    pendulum_rhs(t, y, p[1], p[0], dydt)


def _cartpole_held(t, y, p, dydt):
    cartpole_rhs(t, y, p[1], p[0], dydt)


def _double_pole_held(t, y, p, dydt):
    double_pole_rhs(t, y, p[1], p[0], dydt)


def _linear_held(t, y, p, dydt):
    linear_rhs(t, y, p[1], p[0], dydt)


_HELD = {pendulum_rhs: _pendulum_held, cartpole_rhs: _cartpole_held,
         double_pole_rhs: _double_pole_held, linear_rhs: _linear_held}


# --------------------------------------------------------------------------- descriptions

def _bounds(name, value, size):
    """A read-only float64 (size,) array from a scalar or a vector; inf allowed, NaN not."""
    a = real_array(name, value, finite=False)
    if a.ndim == 0:
        a = np.full(size, float(a))
    elif a.shape != (size,):
        raise ValueError(f"{name} must be a scalar or have shape ({size},), got {a.shape}")
    bad = np.flatnonzero(np.isnan(a))
    if bad.size:
        raise ValueError(f"{name}[{int(bad[0])}] is nan")
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


def _names(name, value, size, prefix):
    if value is None:
        return tuple(f"{prefix}{i}" for i in range(size))
    if isinstance(value, str):
        raise InvalidTypeError(f"{name} must be a sequence of {size} strings, got a str")
    out = tuple(value)
    if len(out) != size or not all(isinstance(v, str) for v in out):
        raise ValueError(f"{name} must be {size} strings, got {out!r}")
    if len(set(out)) != size:
        raise ValueError(f"{name} has duplicates: {out!r}")
    return out


class Plant(FrozenModel):
    """An immutable body: kernel, sizes, params, names, input range and failure limits.

    Parameters
    ----------
    rhs : function ``rhs(t, x, p, u, dxdt)``
        Fills ``dxdt`` (length ``n``) from the state ``x``, params ``p`` and input ``u``
        (length ``n_inputs``). Plain restricted Python at module level, allocation-free; mark
        it ``numba.core.extending.register_jitable`` so compiled kernels can call it.
    n, n_inputs : int
        State and input sizes.
    params : tuple
        Floats, ints (codes) and float64 arrays.
    name : str
    state_names, input_names : sequences of str (default ``x0, x1, ...`` / ``u0, ...``)
    input_low, input_high : float or array (n_inputs,)
        The range a coupling clips ``u`` to (default unbounded).
    limits : float or array (n,)
        Failure when ``|x_i| > limits[i]`` (``inf``: never; default).

    Example
    -------
    >>> from neurodyn.plants import linear_rhs
    >>> body = Plant(linear_rhs, 1, 1, (np.array([[-1.0]]), np.array([[1.0]])),
    ...              name="leaky", limits=2.0)
    >>> body, body.failed([2.5])
    (Plant(leaky, n=1, n_inputs=1), True)
    """

    _ctor_args = ("rhs", "n", "n_inputs", "params", "name", "state_names", "input_names",
                  "input_low", "input_high", "limits")

    def __init__(self, rhs, n, n_inputs, params=(), name=None, state_names=None,
                 input_names=None, input_low=-np.inf, input_high=np.inf, limits=np.inf):
        self._setup(rhs, n, n_inputs, params, name, state_names, input_names, input_low,
                    input_high, limits)

    def _setup(self, rhs, n, n_inputs, params, name, state_names, input_names, input_low,
               input_high, limits):
        if not callable(rhs):
            raise TypeError(f"rhs must be a function rhs(t, x, p, u, dxdt), got "
                            f"{type(rhs).__name__}")
        self.rhs = rhs
        self.n = count("n", n, low=1)
        self.n_inputs = count("n_inputs", n_inputs, low=0)
        self.name = str(name) if name is not None else getattr(rhs, "__name__", "Plant")
        self.params = normalize_params(params, owner=self.name)
        self.state_names = _names("state_names", state_names, self.n, "x")
        self.input_names = _names("input_names", input_names, self.n_inputs, "u")
        self.input_low = _bounds("input_low", input_low, self.n_inputs)
        self.input_high = _bounds("input_high", input_high, self.n_inputs)
        bad = np.flatnonzero(self.input_low > self.input_high)
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"input_low[{i}] = {float(self.input_low[i])!r} is above "
                             f"input_high[{i}] = {float(self.input_high[i])!r} (input "
                             f"{self.input_names[i]!r})")
        self.limits = _bounds("limits", limits, self.n)
        bad = np.flatnonzero(~(self.limits > 0))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"limits[{i}] (state {self.state_names[i]!r}) must be positive, "
                             f"got {float(self.limits[i])!r}")
        self._freeze()

    def _state(self, x):
        a = real_array("x", x, finite=False)
        if a.ndim == 0 or a.shape[-1] != self.n:
            raise ValueError(f"x must have shape ({self.n},) or (..., {self.n}) (one value per "
                             f"state {', '.join(self.state_names)}), got {a.shape}")
        return a

    def failed(self, x):
        """Whether ``x`` is outside the limits (``|x_i| > limits[i]``) or not finite.

        ``x`` of shape ``(n,)`` gives a bool; a trajectory ``(..., n)`` one bool per state.

        >>> cp = CartPole()
        >>> cp.failed([0.0, 0.0, 0.1, 0.0]), cp.failed([2.5, 0.0, 0.0, 0.0])
        (False, True)
        """
        a = self._state(x)
        out = ((np.abs(a) > self.limits) | np.isnan(a)).any(axis=-1)
        return bool(out) if a.ndim == 1 else out

    def energy(self, x):
        """Total mechanical energy of state ``x`` (plants that define one)."""
        raise NotImplementedError(f"{self.name} defines no mechanical energy")

    def __repr__(self):
        return f"Plant({self.name}, n={self.n}, n_inputs={self.n_inputs})"

    def _args_repr(self, names):
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in names)})"


def _positive(name, value):
    return real_number(name, value, positive=True)


def _nonneg(name, value):
    return real_number(name, value, nonnegative=True)


def _limit(name, value):
    return real_number(name, value, positive=True, finite=False)


class Pendulum(Plant):
    """A torque-driven point-mass pendulum for swing-up: ``theta = 0`` hangs down.

    ``m l^2 theta'' = u - b theta' - m g l sin(theta)``, state ``(theta, omega)``, input the
    torque ``|u| <= max_torque``. The default torque limit, 5 N m against ``m g l = 9.81`` N m,
    is Doya's (2000) swing-up setting: the pendulum must be swung up in several swings. No
    failure limits.

    Example
    -------
    >>> pend = Pendulum()
    >>> pend.energy([np.pi, 0.0])     # upright at rest: 2 m g l above the bottom
    19.62
    >>> pend.input_low, pend.input_high
    (array([-5.]), array([5.]))
    """

    _ctor_args = ("length", "mass", "gravity", "damping", "max_torque")

    def __init__(self, length=1.0, mass=1.0, gravity=9.81, damping=0.0, max_torque=5.0):
        self.length = _positive("length", length)
        self.mass = _positive("mass", mass)
        self.gravity = _nonneg("gravity", gravity)
        self.damping = _nonneg("damping", damping)
        self.max_torque = _limit("max_torque", max_torque)
        self._setup(pendulum_rhs, 2, 1, (self.length, self.mass, self.gravity, self.damping),
                    "Pendulum", ("theta", "omega"), ("torque",), -self.max_torque,
                    self.max_torque, np.inf)

    def energy(self, x):
        """``m l^2 omega^2 / 2 + m g l (1 - cos theta)`` (zero at rest hanging down)."""
        a = self._state(x)
        m, length, g = self.mass, self.length, self.gravity
        e = 0.5 * m * length ** 2 * a[..., 1] ** 2 + m * g * length * (1.0 - np.cos(a[..., 0]))
        return float(e) if a.ndim == 1 else e

    def __repr__(self):
        return self._args_repr(self._ctor_args)


class CartPole(Plant):
    """The cart-pole of Barto, Sutton & Anderson (1983) with Florian's (2007) corrected
    equations; ``theta = 0`` upright, state ``(x, x_dot, theta, theta_dot)``, input the force.

    The pole is a uniform rod of ``half_length`` hinged on the cart::

        theta'' = [g s + c ((-F - m l theta'^2 (s + mu_c S c)) / (M + m) + mu_c g S)
                   - mu_p theta' / (m l)] / [l (4/3 - m c / (M + m) (c - mu_c S s))]
        N_c = (M + m) g - m l (theta'' s + theta'^2 c)
        x'' = [F + m l (theta'^2 s - theta'' c) - mu_c N_c S] / (M + m)

    with ``s, c = sin, cos(theta)``, ``S = sgn(N_c x')`` (taken with ``N_c > 0`` first, and
    recomputed when the ``N_c`` found is negative, as Florian prescribes). Florian's printed
    denominator reads ``(c - mu_c S)``; substituting his own ``N_c`` into his ``x''`` gives
    ``(c - mu_c S s)``, which is used here and agrees with a direct Newton-Euler solve (see
    the tests). Without friction (the default) both are the 1983 equations. References: A. G. Barto, R. S. Sutton, C. W. Anderson, IEEE Trans.
    SMC 13(5), 834-846 (1983); R. V. Florian, "Correct equations for the dynamics of the
    cart-pole system", Center for Cognitive and Neural Studies, Romania (2007).

    Parameters
    ----------
    cart_mass, pole_mass, half_length, gravity : float
        1.0 kg, 0.1 kg, 0.5 m, 9.8 m/s^2 by default.
    max_force : float
        Input range ``[-max_force, max_force]`` (10 N).
    cart_friction, pole_friction : float
        Coulomb coefficient ``mu_c`` of cart on track and hinge viscosity ``mu_p`` (both 0;
        1983 used 0.0005 and 0.000002).
    x_limit, angle_limit : float
        Failure at ``|x| > 2.4`` m or ``|theta| > 12`` degrees (in radians).

    Example
    -------
    >>> cp = CartPole()
    >>> cp
    CartPole(cart_mass=1.0, pole_mass=0.1, half_length=0.5, gravity=9.8, max_force=10.0, ...)
    >>> round(cp.energy([0.0, 0.0, 0.0, 0.0]), 6)    # m g l, upright at rest
    0.49
    """

    _ctor_args = ("cart_mass", "pole_mass", "half_length", "gravity", "max_force",
                  "cart_friction", "pole_friction", "x_limit", "angle_limit")

    def __init__(self, cart_mass=1.0, pole_mass=0.1, half_length=0.5, gravity=9.8,
                 max_force=10.0, cart_friction=0.0, pole_friction=0.0, x_limit=2.4,
                 angle_limit=math.radians(12.0)):
        self.cart_mass = _positive("cart_mass", cart_mass)
        self.pole_mass = _positive("pole_mass", pole_mass)
        self.half_length = _positive("half_length", half_length)
        self.gravity = _nonneg("gravity", gravity)
        self.max_force = _limit("max_force", max_force)
        self.cart_friction = _nonneg("cart_friction", cart_friction)
        self.pole_friction = _nonneg("pole_friction", pole_friction)
        self.x_limit = _limit("x_limit", x_limit)
        self.angle_limit = _limit("angle_limit", angle_limit)
        params = (self.cart_mass, self.pole_mass, self.half_length, self.gravity,
                  self.cart_friction, self.pole_friction)
        self._setup(cartpole_rhs, 4, 1, params, "CartPole",
                    ("x", "x_dot", "theta", "theta_dot"), ("force",), -self.max_force,
                    self.max_force, [self.x_limit, np.inf, self.angle_limit, np.inf])

    def energy(self, x):
        """Kinetic energy of cart and rod plus the rod's potential energy ``m g l cos theta``."""
        a = self._state(x)
        e = 0.5 * self.cart_mass * a[..., 1] ** 2 + _rod_energy(
            a[..., 1], a[..., 2], a[..., 3], self.pole_mass, self.half_length, self.gravity)
        return float(e) if a.ndim == 1 else e

    def __repr__(self):
        return self._args_repr(self._ctor_args)


def _rod_energy(xd, th, thd, m, half, g):
    """Energy of a uniform rod of half length ``half`` hinged on a cart moving at ``xd``:
    centre of mass at ``(x + half sin th, half cos th)``, inertia ``m half^2 / 3`` about it."""
    c = np.cos(th)
    return (0.5 * m * xd ** 2 + m * half * c * xd * thd + (2.0 / 3.0) * m * half ** 2 * thd ** 2
            + m * g * half * c)


class DoublePole(Plant):
    """Wieland's two poles on one cart, the neuroevolution benchmark; ``theta_i = 0`` upright.

    State ``(x, x_dot, theta1, theta1_dot, theta2, theta2_dot)``, input the force. With half
    lengths ``l_i``, effective masses ``m~_i = m_i (1 - 3/4 cos^2 theta_i)`` and forces
    ``F~_i = m_i l_i theta_i'^2 sin theta_i + 3/4 m_i cos theta_i (mu_p theta_i' / (m_i l_i)
    + g sin theta_i)``::

        x''       = (F - mu_c sgn(x') + sum_i F~_i) / (M + sum_i m~_i)
        theta_i'' = -3 / (4 l_i) (x'' cos theta_i + g sin theta_i + mu_p theta_i' / (m_i l_i))

    where, as in the published equations and the benchmark codes, ``g = -gravity``
    (``-9.8``). Defaults: cart 1 kg, poles 0.1 kg and 0.01 kg of full lengths 1 m and 0.1 m
    (``half_lengths = (0.5, 0.05)``), force +-10 N, ``mu_c = 0.0005``, ``mu_p = 0.000002``,
    failure at ``|x| > 2.4`` m or ``|theta_i| > 36`` degrees; the benchmark integrates with RK4
    at ``dt = 0.01`` s. References: A. P. Wieland, "Evolving neural network controllers for
    unstable systems", IJCNN 1991; F. Gomez, R. Miikkulainen, "Incremental evolution of
    complex general behavior", Adaptive Behavior 5 (1997) and Gomez, Schmidhuber &
    Miikkulainen, JMLR 9 (2008); K. O. Stanley, NEAT C++ ``CartPole::step``; C. Igel,
    "Neuroevolution for reinforcement learning using evolution strategies", CEC 2003.

    Example
    -------
    >>> dp = DoublePole()
    >>> dp.half_lengths, dp.pole_masses
    ((0.5, 0.05), (0.1, 0.01))
    >>> dp.failed([0.0, 0.0, math.radians(37), 0.0, 0.0, 0.0])
    True
    """

    _ctor_args = ("cart_mass", "pole_masses", "half_lengths", "gravity", "max_force",
                  "cart_friction", "pole_friction", "x_limit", "angle_limit")

    def __init__(self, cart_mass=1.0, pole_masses=(0.1, 0.01), half_lengths=(0.5, 0.05),
                 gravity=9.8, max_force=10.0, cart_friction=0.0005, pole_friction=0.000002,
                 x_limit=2.4, angle_limit=math.radians(36.0)):
        self.cart_mass = _positive("cart_mass", cart_mass)
        self.pole_masses = _pair("pole_masses", pole_masses)
        self.half_lengths = _pair("half_lengths", half_lengths)
        self.gravity = _nonneg("gravity", gravity)
        self.max_force = _limit("max_force", max_force)
        self.cart_friction = _nonneg("cart_friction", cart_friction)
        self.pole_friction = _nonneg("pole_friction", pole_friction)
        self.x_limit = _limit("x_limit", x_limit)
        self.angle_limit = _limit("angle_limit", angle_limit)
        params = (self.cart_mass, *self.pole_masses, *self.half_lengths, self.gravity,
                  self.cart_friction, self.pole_friction)
        self._setup(double_pole_rhs, 6, 1, params, "DoublePole",
                    ("x", "x_dot", "theta1", "theta1_dot", "theta2", "theta2_dot"), ("force",),
                    -self.max_force, self.max_force,
                    [self.x_limit, np.inf, self.angle_limit, np.inf, self.angle_limit, np.inf])

    def energy(self, x):
        """Kinetic energy of cart and both rods plus their potential energy."""
        a = self._state(x)
        e = 0.5 * self.cart_mass * a[..., 1] ** 2
        for i in range(2):
            e = e + _rod_energy(a[..., 1], a[..., 2 + 2 * i], a[..., 3 + 2 * i],
                                self.pole_masses[i], self.half_lengths[i], self.gravity)
        return float(e) if a.ndim == 1 else e

    def __repr__(self):
        return self._args_repr(self._ctor_args)


def _pair(name, value):
    a = real_array(name, value, shape=(2,), per="one per pole", finite=False)
    return tuple(_positive(f"{name}[{i}]", float(v)) for i, v in enumerate(a))


class LinearPlant(Plant):
    """``dx/dt = A x + B u``: the plant whose response is known exactly (``expm``).

    Parameters
    ----------
    A : array_like (n, n)
    B : array_like (n, n_inputs)
    input_low, input_high, limits, state_names, input_names : as for :class:`Plant`
        (default: unbounded, no failure).

    Example
    -------
    >>> lp = LinearPlant([[0.0, 1.0], [-1.0, 0.0]], [[0.0], [1.0]], input_high=1.0)
    >>> lp.n, lp.n_inputs, lp.input_high
    (2, 1, array([1.]))
    """

    _ctor_args = ("A", "B", "input_low", "input_high", "limits", "state_names", "input_names")

    def __init__(self, A, B, input_low=-np.inf, input_high=np.inf, limits=np.inf,
                 state_names=None, input_names=None):
        a = real_array("A", A, ndim=2)
        if a.shape[0] != a.shape[1] or a.shape[0] < 1:
            raise ValueError(f"A must be square (n, n) with n >= 1, got shape {a.shape}")
        n = a.shape[0]
        b = real_array("B", B, ndim=2)
        if b.shape[0] != n:
            raise ValueError(f"B must have shape ({n}, n_inputs) (one row per state), got "
                             f"{b.shape}")
        self.A = a.copy()
        self.B = b.copy()
        self.A.flags.writeable = False
        self.B.flags.writeable = False
        self._setup(linear_rhs, n, b.shape[1], (self.A, self.B), "LinearPlant", state_names,
                    input_names, input_low, input_high, limits)

    def __repr__(self):
        return f"LinearPlant(n={self.n}, n_inputs={self.n_inputs})"


def plant_system(plant, u):
    """The plant alone under a constant input ``u``, as a :class:`solvers.ODESystem`.

    Its params are ``(u, plant.params)``, so ``with_params`` changes the input without
    recompiling; one kernel per plant type (shipped plants only). ``u`` must lie in
    ``[input_low, input_high]``.

    >>> from solvers import solve
    >>> sys = plant_system(LinearPlant([[-1.0]], [[1.0]]), [2.0])
    >>> sol = solve(sys, (0.0, 1.0), [0.0], rtol=1e-10, atol=1e-12)
    >>> round(float(sol.y[-1, 0]), 8) == round(2.0 * (1.0 - math.exp(-1.0)), 8)
    True
    """
    if not isinstance(plant, Plant):
        raise TypeError(f"plant must be a neurodyn Plant, got {type(plant).__name__}")
    held = _HELD.get(plant.rhs)
    if held is None:
        raise ValueError(f"plant_system knows the shipped plants' kernels only, not "
                         f"{getattr(plant.rhs, '__name__', plant.rhs)!r} (it would compile a "
                         "wrapper per kernel); integrate your plant through a coupling or your "
                         "own module-level wrapper rhs(t, y, p, dydt)")
    uu = real_array("u", u)
    if uu.ndim == 0 and plant.n_inputs == 1:
        uu = uu.reshape(1)
    if uu.shape != (plant.n_inputs,):
        raise ValueError(f"u must have shape ({plant.n_inputs},) (one value per input "
                         f"{', '.join(plant.input_names)}), got {uu.shape}")
    for i in range(plant.n_inputs):
        if not plant.input_low[i] <= uu[i] <= plant.input_high[i]:
            raise ValueError(f"u[{i}] ({plant.input_names[i]}) = {float(uu[i])!r} is outside "
                             f"[{float(plant.input_low[i])!r}, {float(plant.input_high[i])!r}]")
    return ODESystem(held, plant.n, (uu, plant.params), name=f"{plant.name} under constant input")
