"""neurodyn — neural networks as physical dynamical systems.

Models (each a system that ``solvers.solve`` integrates, or a compiled discrete dynamics):
``CTRNN`` (Beer), ``Hopfield`` (discrete, with ``capacity_curve``), ``ContinuousHopfield``
(Hopfield 1984), ``BAM`` / ``ContinuousBAM`` (Kosko); inputs ``Constant``, ``Sampled``,
``Sinusoid``; reservoirs: ``ESN`` (leaky echo-state network, sparse compiled reservoir, ridge
readout, closed-loop generation), ``ContinuousESN``, ``memory_capacity``, ``LSM`` (a spiking
liquid of LIF neurons on brian2, imported only when run) with ``SpikeInput``, ``PoissonInput``,
``AnalogInput``; ``neurodyn.datasets`` (Mackey–Glass, NARMA, Lorenz series); ``discretize`` turns a CTRNN into a discrete leaky RNN (``DiscreteRNN``,
exportable to ``torch.nn.RNN``); ``neurodyn.analysis`` finds fixed points, limit cycles, Lyapunov
spectra, basins and bifurcations of any of them; ``neurodyn.plot`` draws what they find
(matplotlib, imported when a figure is drawn); ``neurodyn.cells``, the rest of the RNN
family as dynamical systems: ``RNN`` (the map of ``torch.nn.RNN``), ``Jordan``, ``IndRNN``,
``MTRNN``, ``SecondOrderRNN`` (each with its continuous form), ``GRU`` / ``GRUODE``, ``LSTM`` /
``LSTMODE`` (PyTorch's gate conventions, weights both ways), ``LTC`` (liquid time-constant
networks, ncps's fused step and the ODE); ``neurodyn.train``: FORCE learning, BPTT through
PyTorch, forward sensitivities, evolution (CMA-ES, a genetic algorithm); ``Agent`` /
``couple`` join a CTRNN to a body from ``neurodyn.plants`` (pendulum, cart-pole, Wieland's
double pole) as one compiled system; ``ridge_fit`` and ``ESN.fit`` over lists of sequences; ``save`` / ``load`` keep models in one open
``.npz`` file and results in NetCDF; ``python -m neurodyn`` (or ``neurodyn``) runs saved models
from the command line.
"""
__version__ = "0.1.0"

from . import analysis, cells, datasets, plot, train
from . import plants
from .agent import Agent, couple
from .bam import BAM, BAMRecall, ContinuousBAM
from .capacity import CapacityCurve, capacity_curve
from .cells import (GRU, GRUODE, LSTM, LSTMODE, LTC, MTRNN, RNN, ContinuousIndRNN,
                    ContinuousJordan, ContinuousSecondOrderRNN, IndRNN, Jordan, SecondOrderRNN)
from .continuous_hopfield import ContinuousHopfield
from .ctrnn import CTRNN
from .discretize import DiscreteRNN, discretize
from .esn import ESN, ContinuousESN, memory_capacity, ridge_fit
from .hopfield import Hopfield, RecallResult
from .inputs import Constant, Sampled, Sinusoid
from .io import FileFormatError, load, save
from .lsm import LSM, AnalogInput, PoissonInput, SpikeInput
from .plants import CartPole, DoublePole, LinearPlant, Pendulum, Plant, plant_system
from .sweeps import per_member, sweep

__all__ = ["analysis", "CTRNN", "Constant", "Sampled", "Sinusoid", "Hopfield", "RecallResult",
           "capacity_curve", "CapacityCurve", "ContinuousHopfield", "BAM", "BAMRecall",
           "ContinuousBAM", "discretize", "DiscreteRNN", "datasets", "ESN", "ContinuousESN",
           "memory_capacity", "LSM", "SpikeInput", "PoissonInput", "AnalogInput", "plot", "save",
           "load", "FileFormatError", "cells", "RNN", "Jordan", "ContinuousJordan", "IndRNN",
           "ContinuousIndRNN", "MTRNN", "SecondOrderRNN", "ContinuousSecondOrderRNN", "GRU",
           "GRUODE", "LSTM", "LSTMODE", "LTC", "ridge_fit", "train", "Agent", "couple", "plants",
           "Plant", "Pendulum", "CartPole", "DoublePole", "LinearPlant", "plant_system",
           "sweep", "per_member"]
