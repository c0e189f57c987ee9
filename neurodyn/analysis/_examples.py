"""Small module-level kernels for the docstring examples of neurodyn.analysis (a kernel typed
at a doctest prompt has no source file, so it would be compiled afresh in every run)."""


def van_der_pol(t, y, p, dydt):
    """The Van der Pol oscillator x'' - mu (1 - x^2) x' + x = 0, params (mu,)."""
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0]
