"""Kernels of the GPU simulator checks (tests/_cuda_sim_checks.py), in a file of their own so
that the CPU engine caches their loops on disk like any user's kernels."""


def lorenz(t, y, p, dydt):
    dydt[0] = p[0] * (y[1] - y[0])
    dydt[1] = y[0] * (p[1] - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - p[2] * y[2]


def blowup(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * y[0]
