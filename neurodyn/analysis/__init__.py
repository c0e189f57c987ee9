"""Attractors and stability of any system that speaks the model protocol.

Works on CTRNNs, continuous Hopfield networks, BAMs, a user's own ``solvers.ODESystem`` and,
where it makes sense, on ``solvers.MapSystem`` maps:

* ``jacobian`` — analytic where the model has one, else central differences;
* ``fixed_points`` / ``slow_points`` — multistart Newton, classification by eigenvalues;
* ``continuation`` — a fixed-point branch in one parameter, through folds, with saddle-node,
  branch and Hopf points;
* ``lyapunov_spectrum`` / ``kaplan_yorke`` — Benettin's method, variational equations in
  compiled code;
* ``limit_cycle`` — period and Floquet multipliers by Newton shooting;
* ``basins`` — which attractor each initial condition reaches;
* ``poincare_section`` / ``orbit_diagram`` — section crossings located by the engine's events;
* ``energy_along`` — a model's energy (Lyapunov function) along a trajectory, and whether it
  ever rose;
* ``oscillation_period`` — the period of a sampled oscillation, from its level crossings;
* ``linearize`` / ``slow_modes`` / ``slow_manifold`` — trained networks read from their
  fixed and slow points: eigen-decomposition and time constants at a point, its marginal
  modes, and isolated attractors versus line and ring attractors.
"""
from .basins import Attractor, Basins, basins
from .continuation import Bifurcation, Branch, continuation
from .energy import EnergyCheck, energy_along
from .fixed_points import (FixedPoint, FixedPoints, SlowPoint, classify, fixed_points,
                           slow_points)
from .jacobian import jacobian
from .limit_cycle import LimitCycle, limit_cycle, section_crossings
from .lyapunov import LyapunovResult, kaplan_yorke, lyapunov_spectrum
from .period import oscillation_period
from .poincare import PoincareSection, orbit_diagram, poincare_section
from .trained import Linearization, SlowManifold, linearize, slow_manifold, slow_modes

__all__ = ["jacobian", "fixed_points", "slow_points", "classify", "FixedPoint", "FixedPoints",
           "SlowPoint",
           "continuation", "Branch", "Bifurcation", "lyapunov_spectrum", "kaplan_yorke",
           "LyapunovResult", "limit_cycle", "LimitCycle", "section_crossings", "basins",
           "Basins", "Attractor", "energy_along", "EnergyCheck", "poincare_section",
           "PoincareSection", "orbit_diagram", "oscillation_period", "linearize", "Linearization",
           "slow_modes", "slow_manifold", "SlowManifold"]
