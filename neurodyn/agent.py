"""Agents: a CTRNN controller coupled to a body (a plant) as one compiled dynamical system.

Evolutionary robotics in the style of Beer: sensors feed the body's state to the neurons, the
neurons' outputs drive the body's motors, and the joined system ``z = [neurons; body]`` is an
ordinary :class:`solvers.ODESystem` — :func:`solvers.solve`, :func:`solvers.solve_ensemble`,
events and the analysis functions take it unchanged.

A plant is anything with the attributes of :class:`neurodyn.plants.Plant`: a kernel
``rhs(t, x, p, u, dxdt)`` (plain restricted Python at module level, as a model kernel, with
an input vector ``u``), ``n`` states, ``n_inputs`` inputs, its ``params`` tuple, the input
range ``input_low``/``input_high`` and failure ``limits``.

One kernel is compiled per (controller kernel, plant kernel): every agent of a population —
whatever its weights, sensors or motors — shares it.
"""
from __future__ import annotations

import hashlib
import math
import os
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

import solvers
from solvers import _codegen
from solvers._checks import real_array

from . import _kernels_ctrnn as _kctrnn
from ._model import FrozenModel
from .ctrnn import CTRNN

__all__ = ["Agent", "couple"]

_TEMPLATE = Path(__file__).resolve().parent / "_agent_template.py"
_TEMPLATE_DENSE = Path(__file__).resolve().parent / "_agent_template_dense.py"
_lock = threading.Lock()
_kernels: dict = {}


def _no_sense(t, x, p, out):
    """Placeholder of the sensor function when the sensors read the body state itself."""
    return None


def _kernel_for(controller_rhs, plant_rhs, sense=None):
    """The agent kernel joining these kernels (one generated module per combination)."""
    key = (controller_rhs, plant_rhs, sense)
    fn = _kernels.get(key)
    if fn is not None:
        return fn
    with _lock:
        fn = _kernels.get(key)
        if fn is not None:
            return fn
        kernels = [("controller", controller_rhs), ("plant", plant_rhs)]
        if sense is not None:
            kernels.append(("sensor", sense))
        for what, k in kernels:
            mod = sys.modules.get(getattr(k, "__module__", None) or "")
            if mod is None or getattr(mod, k.__name__, None) is not k:
                raise TypeError(f"the {what} kernel {k!r} must be a module-level function "
                                "(importable by name) so the agent's kernel can import it")
        # Compiled by the engine's kernel jit (inlined at Numba-IR level, cached), so plain
        # Python kernels work as well as register_jitable ones.
        header = ("from solvers._codegen import jit_kernel as _jit\n"
                  f"from {controller_rhs.__module__} import {controller_rhs.__name__} "
                  "as _controller\n"
                  f"from {plant_rhs.__module__} import {plant_rhs.__name__} as _plant\n"
                  "controller = _jit(_controller)\n"
                  "plant = _jit(_plant)\n")
        if sense is None:
            header += "from neurodyn.agent import _no_sense as _sense\nHAS_SENSE = False\n"
        else:
            header += (f"from {sense.__module__} import {sense.__name__} as _sense\n"
                       "HAS_SENSE = True\n")
        header += "sense = _jit(_sense)\n"
        # A dense CTRNN with constant input (what evolution builds) gets its own template,
        # which computes each neuron's output once for the recurrence and the motors.
        dense = controller_rhs in (_kctrnn.ctrnn_dense_rhs, _kctrnn.ctrnn_blas_rhs)
        src = header + (_TEMPLATE_DENSE if dense else _TEMPLATE).read_text()
        digest = hashlib.sha256(src.encode()).hexdigest()[:16]
        name = f"_neurodyn_agent_{digest}"
        folder = _codegen.cache_dir()
        folder = (folder / "agents") if folder is not None else \
            Path(tempfile.gettempdir()) / f"neurodyn-agents-{os.getuid()}"
        folder.mkdir(parents=True, exist_ok=True)
        module = _codegen._import_generated(folder, name, src, {})
        fn = _kernels[key] = module.agent_rhs
        return fn


def _limits_g(t, z, p):
    """Distance to the nearest failure bound: min_k (lim_k - |x_k|); negative once failed."""
    S = p[2]
    lim = p[8]
    n = S.shape[0]
    g = math.inf
    for k in range(lim.shape[0]):
        if lim[k] < math.inf:
            d = lim[k] - abs(z[n + k])
            if d < g:
                g = d
    return g


class Agent(FrozenModel, solvers.ODESystem):
    """A CTRNN controller and a plant joined into one ODE system, state ``[y; x]``.

    Parameters
    ----------
    controller : neurodyn.CTRNN
        The nervous system (``n`` neurons, dense or sparse ``W``; its own input adds to the
        sensors').
    plant : neurodyn.plants.Plant
        The body (``m`` states, ``q`` inputs).
    sensors : array (n, m)
        Neuron ``i`` receives ``sum_k sensors[i, k] x_k + sensor_offset[i]`` as input current
        (``tau_i dy_i/dt = ... + I_i``).
    motors : array (q, n)
        The plant's input ``u_j = clip(sum_i motors[j, i] o_i + motor_offset[j])`` to
        ``[plant.input_low, plant.input_high]``, with ``o_i = sigma(g_i (y_i + theta_i))``
        the neuron's output.
    sensor_offset : array (n,), optional (zeros)
    motor_offset : array (q,), optional (zeros)
    sensor_function : function ``sense(t, x, p, out)`` or None
        A compiled sensor stage (plain restricted Python at module level, like a kernel): it
        fills ``out`` (length ``r``) with features of the body state ``x`` (e.g. ``sin`` and
        ``cos`` of an angle), which the sensors then read: ``sensors`` is ``(n, r)``. One
        kernel per (controller, plant, sensor function) type.
    sensor_params : tuple, optional
        The sensor function's ``p``.

    Attributes
    ----------
    n_neurons, n_body : int
        Sizes of the two parts of the state.

    Example
    -------
    >>> import numpy as np
    >>> from neurodyn.plants import LinearPlant
    >>> body = LinearPlant(A=[[-1.0]], B=[[1.0]])
    >>> net = CTRNN(np.zeros((1, 1)), bias=0.0)             # output 1/2, constant
    >>> agent = Agent(net, body, sensors=[[0.0]], motors=[[2.0]])
    >>> sol = solvers.solve(agent, (0.0, 20.0), [0.0, 0.0], rtol=1e-10, atol=1e-12)
    >>> round(float(sol.y[-1, 1]), 6)                        # x -> u = 2 * 1/2
    1.0
    """

    _ctor_args = ("controller", "plant", "sensors", "motors", "sensor_offset", "motor_offset",
                  "sensor_function", "sensor_params")

    def __init__(self, controller, plant, *, sensors, motors, sensor_offset=None,
                 motor_offset=None, sensor_function=None, sensor_params=(0.0,)):
        if not isinstance(controller, CTRNN):
            raise TypeError(f"controller must be a neurodyn.CTRNN, got "
                            f"{type(controller).__name__}")
        for attr in ("rhs", "n", "n_inputs", "params", "input_low", "input_high", "limits"):
            if not hasattr(plant, attr):
                raise TypeError(f"plant must be a neurodyn.plants.Plant (it has no {attr!r}), "
                                f"got {type(plant).__name__}")
        n, m, q = controller.n_states, int(plant.n), int(plant.n_inputs)
        if sensor_function is None:
            S = real_array("sensors", sensors, shape=(n, m),
                           per=f"(neurons, body states) = ({n}, {m})")
        else:
            if not callable(sensor_function):
                raise TypeError(f"sensor_function must be a function sense(t, x, p, out), "
                                f"got {type(sensor_function).__name__}")
            S = real_array("sensors", sensors, shape=(n, None),
                           per=f"(neurons, sensor features): {n} rows")
            if S.ndim != 2 or S.shape[1] < 1:
                raise ValueError(f"sensors must have shape ({n}, r) with r >= 1 features of "
                                 f"the sensor function, got {S.shape}")
            if not isinstance(sensor_params, tuple):
                raise TypeError("sensor_params must be a tuple (the sensor function's p), "
                                f"got {type(sensor_params).__name__}")
        Mo = real_array("motors", motors, shape=(q, n),
                        per=f"(plant inputs, neurons) = ({q}, {n})")
        s_off = np.zeros(n) if sensor_offset is None else real_array(
            "sensor_offset", sensor_offset, shape=(n,), per="one value per neuron")
        m_off = np.zeros(q) if motor_offset is None else real_array(
            "motor_offset", motor_offset, shape=(q,), per="one value per plant input")
        arrays = []
        for a in (S, s_off, Mo, m_off):  # real_array refused non-finite entries, by name
            a = np.array(a, dtype=np.float64, order="C")
            a.flags.writeable = False
            arrays.append(a)
        S, s_off, Mo, m_off = arrays
        lo = np.ascontiguousarray(plant.input_low, dtype=np.float64)
        hi = np.ascontiguousarray(plant.input_high, dtype=np.float64)
        lim = np.ascontiguousarray(plant.limits, dtype=np.float64)
        if sensor_function is None:
            sensor_params = (0.0,)
        params = (controller.params, tuple(plant.params), S, s_off, Mo, m_off, lo, hi, lim,
                  tuple(sensor_params))
        solvers.ODESystem.__init__(self, _kernel_for(controller.rhs, plant.rhs,
                                                     sensor_function), n + m,
                                   params=params, name=f"Agent[CTRNN, {plant.name}]")
        self.controller = controller
        self.plant = plant
        self.sensors = S
        self.motors = Mo
        self.sensor_offset = s_off
        self.motor_offset = m_off
        self.sensor_function = sensor_function
        self.sensor_params = tuple(sensor_params)
        self.n_neurons = n
        self.n_body = m
        self._freeze()

    def initial_state(self, body, neurons=None):
        """The joined initial state ``[neurons; body]`` (neurons at zero by default).

        >>> from neurodyn.plants import LinearPlant
        >>> a = Agent(CTRNN(np.zeros((2, 2))), LinearPlant([[0.0]], [[1.0]]),
        ...           sensors=np.zeros((2, 1)), motors=np.zeros((1, 2)))
        >>> a.initial_state([0.5]).tolist()
        [0.0, 0.0, 0.5]
        """
        x = real_array("body", body, shape=(self.n_body,), per="one value per body state")
        y = np.zeros(self.n_neurons) if neurons is None else real_array(
            "neurons", neurons, shape=(self.n_neurons,), per="one value per neuron")
        return np.concatenate([y, x])

    def body(self, z):
        """The body part of a state or of a trajectory's rows (``z[..., n:]``)."""
        return np.asarray(z)[..., self.n_neurons:]

    def neurons(self, z):
        """The neural part of a state or of a trajectory's rows (``z[..., :n]``)."""
        return np.asarray(z)[..., :self.n_neurons]

    def failure_event(self):
        """A terminal :class:`solvers.Event` firing when a body state leaves the plant's
        ``limits`` ("the pole fell"): ``g = min_k (limit_k - |x_k|)`` crosses zero downward.
        One compiled event serves every agent.

        >>> from neurodyn.plants import LinearPlant
        >>> body = LinearPlant([[0.0]], [[1.0]], limits=[1.0])
        >>> a = Agent(CTRNN(np.zeros((1, 1))), body, sensors=[[0.0]], motors=[[1.0]])
        >>> sol = solvers.solve(a, (0.0, 10.0), [0.0, 0.0], events=[a.failure_event()])
        >>> sol.status, round(float(sol.t[-1]), 6)           # x = t / 2 reaches 1 at t = 2
        (1, 2.0)
        """
        return solvers.Event(_limits_g, terminal=True, direction=-1)

    def with_controllers(self, controllers):
        """Agents with the same body, sensors and motors and each of these controllers (a
        population, for :func:`solvers.solve_ensemble`)."""
        return [self.replace(controller=c) for c in controllers]

    def __repr__(self):
        return (f"Agent({self.n_neurons} neurons, {self.plant.name} with {self.n_body} states, "
                f"{self.motors.shape[0]} motors)")


def couple(controller, plant, *, sensors, motors, sensor_offset=None, motor_offset=None,
           sensor_function=None, sensor_params=(0.0,)):
    """Join a controller and a plant into an :class:`Agent` (see there).

    >>> import numpy as np
    >>> from neurodyn.plants import LinearPlant
    >>> agent = couple(CTRNN(np.zeros((2, 2))), LinearPlant([[0.0]], [[1.0]]),
    ...                sensors=[[1.0], [0.0]], motors=[[1.0, -1.0]])
    >>> agent.n_states
    3
    """
    return Agent(controller, plant, sensors=sensors, motors=motors,
                 sensor_offset=sensor_offset, motor_offset=motor_offset,
                 sensor_function=sensor_function, sensor_params=sensor_params)
