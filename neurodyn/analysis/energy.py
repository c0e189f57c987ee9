"""Energy (Lyapunov-function) checks along trajectories, for models that define one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers._checks import real_array, real_number

from .._model import num

__all__ = ["energy_along", "EnergyCheck"]


@dataclass(frozen=True)
class EnergyCheck:
    """Energy at each state of a trajectory and whether it never rose (within ``tol``).

    >>> EnergyCheck(np.array([0.5, -0.2, -1.0]), True, -0.7, 1e-9)
    EnergyCheck: non-increasing over 3 states (max rise -0.7, tol 1e-09); E 0.5 -> -1
    """

    values: np.ndarray
    non_increasing: bool
    max_increase: float
    tol: float

    def __repr__(self):
        k = int(np.size(self.values))
        verdict = "non-increasing" if self.non_increasing else "ROSE"
        ends = f"; E {num(self.values[0])} -> {num(self.values[-1])}" if k else ""
        return (f"EnergyCheck: {verdict} over {k} states (max rise "
                f"{num(self.max_increase)}, tol {num(self.tol)}){ends}")


def energy_along(model, trajectory, tol=None):
    """Evaluate ``model.energy`` along a trajectory and check that it never increases.

    Parameters
    ----------
    model : object with an ``energy(states)`` method
        ``ContinuousHopfield``, ``ContinuousBAM``, ``Hopfield``, … (models whose dynamics
        decrease a Lyapunov function under their stated conditions, e.g. symmetric weights).
    trajectory : Solution or array_like, shape (k, n)
        A ``solvers.Solution`` (its ``y`` is used) or the states themselves (finite real
        numbers; a trajectory that diverged is refused, naming its first non-finite entry).
    tol : float, optional
        Allowed rise between consecutive states; default 1e-9 times the largest ``|E|`` (at least
        1e-12), so rounding in the energy itself is not reported as a rise.

    Example
    -------
    >>> import numpy as np, solvers
    >>> from neurodyn import ContinuousHopfield
    >>> net = ContinuousHopfield(np.array([[0.0, 1.0], [1.0, 0.0]]), gain=3.0)
    >>> sol = solvers.solve(net, (0, 10), [0.3, -0.1], t_eval=np.linspace(0, 10, 50))
    >>> energy_along(net, sol).non_increasing
    True
    """
    energy = getattr(model, "energy", None)
    if not callable(energy):
        raise TypeError(f"{type(model).__name__} defines no energy (Lyapunov) function")
    states = real_array("trajectory", getattr(trajectory, "y", trajectory))
    if tol is not None:
        tol = real_number("tol", tol, nonnegative=True)
    if states.ndim != 2 or states.shape[0] < 2:
        raise ValueError(f"trajectory must hold at least two states, shape (k, n); got "
                         f"{states.shape}")
    values = np.asarray(energy(states), dtype=float).reshape(-1)
    if tol is None:
        tol = max(1e-12, 1e-9 * float(np.abs(values).max()))
    rises = np.diff(values)
    return EnergyCheck(values=values, non_increasing=bool(np.all(rises <= tol)),
                       max_increase=float(rises.max()), tol=float(tol))
