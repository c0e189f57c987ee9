"""circuits — neuromorphic circuit prototyping on top of neurodyn and solvers.

* Devices: ``HPMemristor`` (Strukov et al. 2008 linear ion drift, with the Joglekar, Biolek and
  Prodromakis windows) and ``VTEAM`` (Kvatinsky et al. 2015), driven by a voltage source with
  ``drive(device, source, t_span, x0)`` to give ``t, v, i, x`` (the pinched hysteresis loop).
* Sources: ``Constant``, ``Sine``, ``Triangle``, ``Pulses``, ``Sampled`` — evaluated inside the
  compiled kernels, so one compiled circuit serves every waveform.
* ``MemristiveNetwork``: memristors on the edges of a networkx (multi)graph, integrated with the
  Caravelli–Traversa–Di Ventra equation (cycle-space projector, currents, node voltages,
  Lyapunov function, analytic Jacobian).
* ``Crossbar``: a weight matrix as differential conductance pairs with quantisation, variation,
  stuck-at faults, read noise and IR drop; Hopfield recall through it.
* ``HopfieldTank``: the analog Hopfield–Tank circuit (a ``neurodyn.ContinuousHopfield``) with
  the 1985 travelling-salesman construction.

Units are SI. Every parameter and argument with a physical unit (resistances, conductances,
voltages, currents, times, frequencies...) takes a plain number in SI or a brian2 quantity,
whose dimension is checked (``HPMemristor(R_on=1*mV)`` is an error naming ``R_on``) before
it is converted; brian2 is never imported for it.

Every circuit with state is a ``solvers.ODESystem``, so ``solvers.solve`` integrates it and
``neurodyn.analysis`` (fixed points, stability, continuation, Lyapunov spectra) applies unchanged.

Example: an HP memristor under a 1 V, 1 Hz sine; its current is zero whenever the voltage is
(the loop is pinched at the origin):

>>> import numpy as np, circuits
>>> run = circuits.drive(circuits.HPMemristor(window="joglekar"), circuits.Sine(1.0, 1.0),
...                      (0.0, 1.0), x0=0.1, t_eval=[0.0, 0.25, 0.5, 1.0])
>>> bool(run.success), bool(np.abs(run.i[[0, 2, 3]]).max() < 1e-15), bool(run.i[1] > 0)
(True, True, True)
"""
from .crossbar import Crossbar, crossbar_recall
from .devices import VTEAM, HPMemristor
from .drive import DriveResult, drive
from .hopfield_tank import HopfieldTank, decode_tour, shortest_tour, tour_length
from .network import MemristiveNetwork
from .sources import Constant, Pulses, Sampled, Sine, Source, Triangle

__all__ = ["HPMemristor", "VTEAM", "drive", "DriveResult", "Source", "Constant", "Sine",
           "Triangle", "Pulses", "Sampled", "MemristiveNetwork", "Crossbar", "crossbar_recall",
           "HopfieldTank", "decode_tour", "tour_length", "shortest_tour"]
