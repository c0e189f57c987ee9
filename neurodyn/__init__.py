"""neurodyn — neural networks as physical dynamical systems."""
__version__ = "0.1.0"

from .ctrnn import CTRNN
from .inputs import Constant, Sampled, Sinusoid

__all__ = ["CTRNN", "Constant", "Sampled", "Sinusoid"]
