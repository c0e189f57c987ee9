"""Kernels of OUR benchmark rows that are not models of neurodyn, in the plain restricted Python
the engine compiles (``rhs(t, y, p, dydt)``, ``jac(t, y, p, J)``).

They live in an importable module (not in a script's ``__main__``) so that the engine's
compiled-code cache can refer to them by name and a second process starts warm.
"""


def vdp_rhs(t, y, p, dydt):
    """Van der Pol: y1' = y2, y2' = mu (1 - y1^2) y2 - y1; p = (mu,)."""
    mu = p[0]
    dydt[0] = y[1]
    dydt[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0]


def vdp_jac(t, y, p, J):
    """Jacobian of :func:`vdp_rhs`: [[0, 1], [-2 mu y1 y2 - 1, mu (1 - y1^2)]]."""
    mu = p[0]
    J[0, 0] = 0.0
    J[0, 1] = 1.0
    J[1, 0] = -2.0 * mu * y[0] * y[1] - 1.0
    J[1, 1] = mu * (1.0 - y[0] * y[0])


def lorenz(t, y, p, dydt):
    """Lorenz: x' = s (y - x), y' = x (r - z) - y, z' = x y - b z; p = (s, r, b)."""
    s, r, b = p
    dydt[0] = s * (y[1] - y[0])
    dydt[1] = y[0] * (r - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - b * y[2]


def lorenz_jac(t, y, p, J):
    """Jacobian of :func:`lorenz`."""
    s, r, b = p
    J[0, 0] = -s
    J[0, 1] = s
    J[1, 0] = r - y[2]
    J[1, 1] = -1.0
    J[1, 2] = -y[0]
    J[2, 0] = y[1]
    J[2, 1] = y[0]
    J[2, 2] = -b



# Event kernels that never change sign on W1 (|y| stays far below 1e6): what an event costs
# when it never fires.
def never_fires(t, y, p):
    return y[0] - 1e6


def never_fires_2(t, y, p):
    return y[1] + 1e6


def never_fires_3(t, y, p):
    s = 0.0
    for i in range(y.size):
        s += y[i] * y[i]
    return s - 1e12


def rober_rhs(t, y, p, dydt):
    # Robertson's chemistry (WORKLOADS.md W9): p = (k1, k2, k3) = (0.04, 1e4, 3e7)
    k1, k2, k3 = p[0], p[1], p[2]
    dydt[0] = -k1 * y[0] + k2 * y[1] * y[2]
    dydt[1] = k1 * y[0] - k2 * y[1] * y[2] - k3 * y[1] * y[1]
    dydt[2] = k3 * y[1] * y[1]


def rober_jac(t, y, p, J):
    k1, k2, k3 = p[0], p[1], p[2]
    J[0, 0] = -k1
    J[0, 1] = k2 * y[2]
    J[0, 2] = k2 * y[1]
    J[1, 0] = k1
    J[1, 1] = -k2 * y[2] - 2.0 * k3 * y[1]
    J[1, 2] = -k2 * y[1]
    J[2, 1] = 2.0 * k3 * y[1]
