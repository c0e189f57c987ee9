"""solvers — the numerical engine of neurodyn. It knows nothing of neurons or circuits.

Explicit fixed-step and adaptive Runge–Kutta methods compiled with Numba (once per kernel),
SciPy's stiff solvers fed the compiled right-hand side and Jacobian, and compiled iteration of
discrete-time maps.
"""
from .system import ODESystem, MapSystem
from .solution import Solution

__all__ = ["ODESystem", "MapSystem", "Solution"]
