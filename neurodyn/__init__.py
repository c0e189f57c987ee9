"""neurodyn — neural networks as physical dynamical systems.

Models (each a system that ``solvers.solve`` integrates, or a compiled discrete dynamics):
``CTRNN`` (Beer), ``Hopfield`` (discrete, with ``capacity_curve``), ``ContinuousHopfield``
(Hopfield 1984), ``BAM`` / ``ContinuousBAM`` (Kosko); inputs ``Constant``, ``Sampled``,
``Sinusoid``; ``discretize`` turns a CTRNN into a discrete leaky RNN (``DiscreteRNN``,
exportable to ``torch.nn.RNN``); ``neurodyn.analysis`` finds fixed points, limit cycles, Lyapunov
spectra, basins and bifurcations of any of them.
"""
__version__ = "0.1.0"

from . import analysis
from .bam import BAM, BAMRecall, ContinuousBAM
from .capacity import CapacityCurve, capacity_curve
from .continuous_hopfield import ContinuousHopfield
from .ctrnn import CTRNN
from .discretize import DiscreteRNN, discretize
from .hopfield import Hopfield, RecallResult
from .inputs import Constant, Sampled, Sinusoid

__all__ = ["analysis", "CTRNN", "Constant", "Sampled", "Sinusoid", "Hopfield", "RecallResult",
           "capacity_curve", "CapacityCurve", "ContinuousHopfield", "BAM", "BAMRecall",
           "ContinuousBAM", "discretize", "DiscreteRNN"]
