"""Figures of neurodyn's models and analyses, drawn with matplotlib.

matplotlib is optional (``pip install 'neurodyn[plot]'``): it is imported when a figure is
drawn, not when this package is. Every function draws on the Axes it is given (``ax=``) or on
a new figure's, and returns that Axes; none calls ``plt.show()`` or changes the backend.

* time: ``trajectories`` (a Solution's states), ``energy`` (a model's Lyapunov function
  along a trajectory), ``lyapunov_convergence`` (running Lyapunov exponent estimates);
* state space: ``phase_portrait`` (vector field, nullclines, fixed points by stability,
  trajectories; planes and projections for more states), ``basins``;
* parameters: ``bifurcation`` (a continued branch with folds and Hopf points),
  ``orbit_diagram`` (maps, Poincaré sections);
* memories and networks: ``capacity`` (Hopfield capacity curves), ``patterns`` (bitmaps),
  ``network`` (a model's graph, weights as colours), ``raster`` (LSM spikes);
* circuits: ``hysteresis`` (a driven memristor's pinched loop);
* ``sweep``: any measured quantity against a swept parameter.

>>> import matplotlib; matplotlib.use("Agg")
>>> import numpy as np
>>> import neurodyn.plot as ndp
>>> ax = ndp.trajectories((np.linspace(0, 1, 5), np.zeros((5, 2))))
>>> len(ax.lines)
2
"""
from ._base import STABILITY_STYLES, is_stable, stability_style
from .attractors import basin_colors, basins
from .bifurcations import BIFURCATION_MARKERS, bifurcation, orbit_diagram
from .devices import hysteresis
from .graphs import network
from .memory import ALPHA_C, capacity, patterns
from .phase import phase_portrait
from .series import energy, lyapunov_convergence, trajectories
from .spikes import raster
from .sweeps import sweep

__all__ = ["trajectories", "phase_portrait", "bifurcation", "orbit_diagram", "basins",
           "lyapunov_convergence", "raster", "energy", "capacity", "hysteresis", "network",
           "patterns", "sweep", "STABILITY_STYLES", "stability_style", "is_stable",
           "BIFURCATION_MARKERS", "basin_colors", "ALPHA_C"]
