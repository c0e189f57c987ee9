"""Stiff test problems of Hairer & Wanner (Solving ODEs II) in the Bari test set form
(Mazzia & Magherini, "Test Set for IVP Solvers", release 2.4), with the test set's published
reference values at the end of each interval.

One kernel for them all, ``stiff(t, y, p, dydt)`` with ``p = (code, k)``: the engine compiles
a loop per kernel and method (seconds each), so the problems share one compiled module per
method; ``code`` picks the problem, ``k`` its constants. ``stiff_jac`` likewise."""
import math

import numpy as np

ROBER, VDPOL, VDP_MU, HIRES, OREGO, E5, PROTHERO, SMOOTH, DECAY, CHAIN = range(10)


def stiff(t, y, p, dydt):
    code = p[0]
    k = p[1]
    if code == ROBER:
        dydt[0] = -k[0] * y[0] + k[1] * y[1] * y[2]
        dydt[1] = k[0] * y[0] - k[1] * y[1] * y[2] - k[2] * y[1] * y[1]
        dydt[2] = k[2] * y[1] * y[1]
    elif code == VDPOL:  # Bari's scaled Van der Pol: y2' = ((1 - y1^2) y2 - y1) / eps
        dydt[0] = y[1]
        dydt[1] = ((1.0 - y[0] * y[0]) * y[1] - y[0]) / k[0]
    elif code == VDP_MU:  # Hairer & Wanner's unscaled form (W7): y2' = mu (1 - y1^2) y2 - y1
        dydt[0] = y[1]
        dydt[1] = k[0] * (1.0 - y[0] * y[0]) * y[1] - y[0]
    elif code == HIRES:
        dydt[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007
        dydt[1] = 1.71 * y[0] - 8.75 * y[1]
        dydt[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4]
        dydt[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3]
        dydt[4] = -1.745 * y[4] + 0.43 * (y[5] + y[6])
        dydt[5] = -280.0 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6]
        dydt[6] = 280.0 * y[5] * y[7] - 1.81 * y[6]
        dydt[7] = -dydt[6]
    elif code == OREGO:
        dydt[0] = 77.27 * (y[1] + y[0] * (1.0 - 8.375e-6 * y[0] - y[1]))
        dydt[1] = (y[2] - (1.0 + y[0]) * y[1]) / 77.27
        dydt[2] = 0.161 * (y[0] - y[2])
    elif code == E5:
        A, B, C, M = 7.89e-10, 1.1e7, 1.13e3, 1e6
        dydt[0] = -A * y[0] - B * y[0] * y[2]
        dydt[1] = A * y[0] - M * C * y[1] * y[2]
        dydt[3] = B * y[0] * y[2] - C * y[3]
        dydt[2] = dydt[1] - dydt[3]
    elif code == PROTHERO:  # y' = lam (y - cos t) - sin t: y = cos t
        dydt[0] = k[0] * (y[0] - math.cos(t)) - math.sin(t)
    elif code == SMOOTH:  # smooth, non-stiff, nonlinear
        dydt[0] = -y[1] + 0.1 * y[0] * y[1]
        dydt[1] = y[0] - 0.2 * y[1] * y[1]
    elif code == CHAIN:  # stiff reaction-diffusion on a chain (Neumann ends): tridiagonal J
        n = y.size
        for i in range(n):
            left = y[i - 1] if i > 0 else y[1]
            right = y[i + 1] if i < n - 1 else y[n - 2]
            dydt[i] = k[0] * (left - 2.0 * y[i] + right) + y[i] - y[i] * y[i] * y[i]
    else:  # DECAY: y' = -y
        dydt[0] = -y[0]


def stiff_jac(t, y, p, J):
    code = p[0]
    k = p[1]
    if code == ROBER:
        J[0, 0] = -k[0]
        J[0, 1] = k[1] * y[2]
        J[0, 2] = k[1] * y[1]
        J[1, 0] = k[0]
        J[1, 1] = -k[1] * y[2] - 2.0 * k[2] * y[1]
        J[1, 2] = -k[1] * y[1]
        J[2, 1] = 2.0 * k[2] * y[1]
    elif code == VDPOL:
        J[0, 1] = 1.0
        J[1, 0] = (-2.0 * y[0] * y[1] - 1.0) / k[0]
        J[1, 1] = (1.0 - y[0] * y[0]) / k[0]
    elif code == VDP_MU:
        J[0, 1] = 1.0
        J[1, 0] = -2.0 * k[0] * y[0] * y[1] - 1.0
        J[1, 1] = k[0] * (1.0 - y[0] * y[0])
    elif code == E5:
        A, B, C, M = 7.89e-10, 1.1e7, 1.13e3, 1e6
        J[0, 0] = -A - B * y[2]
        J[0, 2] = -B * y[0]
        J[1, 0] = A
        J[1, 1] = -M * C * y[2]
        J[1, 2] = -M * C * y[1]
        J[3, 0] = B * y[2]
        J[3, 2] = B * y[0]
        J[3, 3] = -C
        for j in range(4):
            J[2, j] = J[1, j] - J[3, j]
    elif code == CHAIN:
        n = y.size
        for i in range(n):
            J[i, i] = -2.0 * k[0] + 1.0 - 3.0 * y[i] * y[i]
            if i > 0:
                J[i, i - 1] += k[0] * (2.0 if i == n - 1 else 1.0)
            if i < n - 1:
                J[i, i + 1] += k[0] * (2.0 if i == 0 else 1.0)
    elif code == DECAY:  # a Jacobian that turns non-finite at t = k[0] (a failure case)
        J[0, 0] = -1.0 if t < k[0] else math.inf
    else:
        for i in range(y.size):  # the other problems are tested with finite differences
            J[i, i] = math.nan


def params(code, *k):
    """The params tuple of problem ``code`` with constants ``k``."""
    return (float(code), np.array(k if k else (0.0,), dtype=float))


# name: (code, constants, y0, t_end, reference y(t_end), analytic Jacobian?); references from
# the Bari test set, computed there with RADAU5 in extended precision.
PROBLEMS = {
    "rober_1e11": (ROBER, (0.04, 1e4, 3e7), [1.0, 0.0, 0.0], 1e11,
                   np.array([0.2083340149701255e-7, 0.8333360770334713e-13,
                             0.9999999791665050]), True),
    # the test set lists y2 = -0.8928097010248125 (some copies print e-3; the slow manifold
    # y2 = y1 / (1 - y1^2) at y1 = 1.706 confirms e0, see the test)
    "vdpol": (VDPOL, (1e-6,), [2.0, 0.0], 2.0,
              np.array([0.1706167732170469e1, -0.8928097010248125e0]), True),
    "hires": (HIRES, (), [1.0, 0, 0, 0, 0, 0, 0, 0.0057], 321.8122,
              np.array([0.7371312573325668e-3, 0.1442485726316185e-3,
                        0.5888729740967575e-4, 0.1175651343283149e-2,
                        0.2386356198831331e-2, 0.6238968252742796e-2,
                        0.2849998395185769e-2, 0.2850001604814231e-2]), False),
    "orego": (OREGO, (), [1.0, 2.0, 3.0], 360.0,
              np.array([0.1000814870318523e1, 0.1228178521549917e4, 0.1320554942846706e3]),
              False),
    "e5": (E5, (), [1.76e-3, 0.0, 0.0, 0.0], 1e13,
           np.array([0.1152903278711829e-290, 0.8867655517642120e-22,
                     0.8854814626268838e-22, 0.0]), True),
}


def system(name_or_code, *k, jac=None, n_states=0):
    """An ODESystem of one problem: by name (PROBLEMS; its own Jacobian choice unless ``jac``
    says) or by code with constants ``k`` (CHAIN: of ``n_states`` states)."""
    from solvers import ODESystem

    if isinstance(name_or_code, str):
        code, k, y0, _, _, has_jac = PROBLEMS[name_or_code]
        jac = has_jac if jac is None else jac
    else:
        code = name_or_code
    n = {ROBER: 3, VDPOL: 2, VDP_MU: 2, HIRES: 8, OREGO: 3, E5: 4, PROTHERO: 1, SMOOTH: 2,
         DECAY: 1}.get(code, 0) or n_states
    return ODESystem(stiff, n, params=params(code, *k), jac=stiff_jac if jac else None)
