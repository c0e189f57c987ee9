"""neurodyn — neural networks as physical dynamical systems."""
__version__ = "0.1.0"
