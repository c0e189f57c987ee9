"""The genome of an agent: its controller's genes (a CTRNNGenome) followed by sensor and motor
gains, all in [0, 1] like the controller's, so CMA-ES and the GA evolve the nervous system and
its wiring to the body together."""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError

from ..agent import Agent
from ._genome import CTRNNGenome, _range, _UnitGenome

__all__ = ["AgentGenome"]


class AgentGenome(_UnitGenome):
    """The map between genes in ``[0, 1]^size`` and :class:`neurodyn.Agent` s with one body.

    Genes: the controller's (``controller.size`` of them, see :class:`CTRNNGenome`), then the
    sensor gains ``sensors[i, k]`` row by row, then the motor gains ``motors[j, i]``, each
    mapped linearly onto its range. With ``motor_offset="center"`` the offsets are not
    evolved but set to ``-sum_i motors[j, i] / 2``: a motor is at rest when the neurons' outputs
    sit at the middle of the sigmoid's range (the center-crossing idea applied to the motors).

    Parameters
    ----------
    template : neurodyn.Agent
        Its plant, and the sensors/motors values that have no genes.
    controller : CTRNNGenome
        Genes of the controller (``n`` must be the template's number of neurons; its template,
        if any, sets the controller's fixed settings).
    sensors, motors : (low, high) or None
        Ranges of the evolved gains; None keeps the template's.
    sensor_mask : (n, m) bool array or None
        Which sensor gains evolve (default all); the others keep the template's value.
    motor_offset : "center", (low, high) or None
        ``"center"`` (default), an evolved range, or None (the template's).

    Example
    -------
    >>> import numpy as np
    >>> from neurodyn import CTRNN, Agent, CartPole
    >>> agent = Agent(CTRNN(np.zeros((2, 2))), CartPole(), sensors=np.zeros((2, 4)),
    ...               motors=np.zeros((1, 2)))
    >>> genome = AgentGenome(agent, CTRNNGenome(2, bias="center"), sensors=(-1.0, 1.0),
    ...                      motors=(-20.0, 20.0))
    >>> genome.size, genome.names[6], genome.names[-1]
    (16, 'sensors[0,0]', 'motors[0,1]')
    >>> a = genome.decode(np.full(genome.size, 0.75))
    >>> a.motors.tolist(), a.motor_offset.tolist()
    ([[10.0, 10.0]], [-10.0])
    """

    def __init__(self, template, controller, *, sensors=(-5.0, 5.0), motors=(-20.0, 20.0),
                 sensor_mask=None, motor_offset="center"):
        if not isinstance(template, Agent):
            raise InvalidTypeError(f"template must be a neurodyn.Agent, got "
                                   f"{type(template).__name__}")
        if not isinstance(controller, CTRNNGenome):
            raise InvalidTypeError(f"controller must be a CTRNNGenome, got "
                                   f"{type(controller).__name__}")
        n, m = template.n_neurons, template.sensors.shape[1]  # body states or features
        q = template.motors.shape[0]
        if controller.n != n:
            raise ValueError(f"controller genome has {controller.n} neurons, the template "
                             f"agent {n}")
        self.template = template
        self.controller = controller
        self.sensors = _range("sensors", sensors)
        self.motors = _range("motors", motors)
        self.center = isinstance(motor_offset, str) and motor_offset == "center"
        if isinstance(motor_offset, str) and not self.center:
            raise ValueError(f"motor_offset must be 'center', a (low, high) range or None, "
                             f"got {motor_offset!r}")
        self.motor_offset = None if self.center else _range("motor_offset", motor_offset)
        if sensor_mask is None:
            mask = np.ones((n, m), dtype=bool)
        else:
            mask = np.asarray(sensor_mask)
            if mask.dtype != bool:
                raise InvalidTypeError(f"sensor_mask must be an (n, m) bool array, got an "
                                       f"array of {mask.dtype}")
            if mask.shape != (n, m):
                raise ValueError(f"sensor_mask must have shape ({n}, {m}) (neurons, sensed "
                                 f"quantities), got {mask.shape}")
        if self.sensors is None:
            mask = np.zeros((n, m), dtype=bool)
        self._srows, self._scols = np.nonzero(mask)
        names = list(controller.names)
        names += [f"sensors[{i},{k}]" for i, k in zip(self._srows, self._scols)]
        if self.motors is not None:
            names += [f"motors[{j},{i}]" for j in range(q) for i in range(n)]
        if self.motor_offset is not None:
            names += [f"motor_offset[{j}]" for j in range(q)]
        self.names = names
        self.size = len(names)
        self._q = q

    def decode_many(self, genes):
        """The agents of the rows of ``genes`` (shape ``(k, size)``)."""
        G = self._genes(genes)
        if G.ndim != 2:
            raise ValueError(f"genes must have shape (k, {self.size}), got {G.shape}")
        c = self.controller.size
        nets = self.controller.decode_many(G[:, :c])
        t, n, q = self.template, self.template.n_neurons, self._q
        k = c
        ns = self._srows.size
        S = np.repeat(t.sensors[None], G.shape[0], axis=0)
        if ns:
            lo, hi = self.sensors
            S[:, self._srows, self._scols] = lo + G[:, k:k + ns] * (hi - lo)
            k += ns
        M = np.repeat(t.motors[None], G.shape[0], axis=0)
        if self.motors is not None:
            lo, hi = self.motors
            M = (lo + G[:, k:k + q * n] * (hi - lo)).reshape(-1, q, n)
            k += q * n
        off = np.repeat(t.motor_offset[None], G.shape[0], axis=0)
        if self.motor_offset is not None:
            lo, hi = self.motor_offset
            off = lo + G[:, k:k + q] * (hi - lo)
        elif self.center:
            off = -0.5 * M.sum(axis=2)
        return [Agent(net, t.plant, sensors=S[r], motors=M[r], sensor_offset=t.sensor_offset,
                      motor_offset=off[r], sensor_function=t.sensor_function,
                      sensor_params=t.sensor_params) for r, net in enumerate(nets)]

    def __repr__(self):
        return (f"AgentGenome(size={self.size}, controller={self.controller!r}, "
                f"plant={self.template.plant.name})")

