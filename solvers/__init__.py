"""solvers — the numerical engine of neurodyn. It knows nothing of neurons or circuits.

Explicit fixed-step and adaptive Runge–Kutta methods compiled with Numba (once per kernel),
SciPy's stiff solvers fed the compiled right-hand side and Jacobian, and compiled iteration of
discrete-time maps; ensembles of many trajectories of one kernel on every core; an array engine
(NumPy, or CuPy on a GPU) for one large network. Events located on each step's interpolant,
dense output, backward integration.

>>> from solvers import ODESystem, solve
>>> def decay(t, y, p, dydt):
...     dydt[0] = -y[0]
>>> solve(ODESystem(decay, 1), (0.0, 1.0), [1.0]).success
True
"""
from .integrate import METHODS, compiled_loop, iterate, solve
from .ensemble import EnsembleSolution, iterate_ensemble, solve_ensemble
from .solution import DenseOutput, Interrupted, Solution
from .events import Event
from ._checks import InvalidTypeError
from .system import MapSystem, ODESystem
from ._codegen import cache_dir
from .sensitivity import SensitivitySolution, sensitivities
from .array_engine import ArrayForm, solve_array

__all__ = ["ODESystem", "MapSystem", "Solution", "Interrupted", "InvalidTypeError", "solve",
           "iterate", "compiled_loop", "METHODS", "cache_dir", "solve_ensemble",
           "iterate_ensemble", "EnsembleSolution", "Event", "DenseOutput", "sensitivities",
           "SensitivitySolution", "solve_array", "ArrayForm"]
