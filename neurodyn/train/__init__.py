"""Training recurrent networks: FORCE learning and online readouts (recursive least squares),
gradients by backpropagation through time (PyTorch) and by forward sensitivities."""
