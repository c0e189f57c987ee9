"""Integrate your own system: the Lorenz attractor as a plain-Python kernel.

Run: python examples/lorenz.py
Compares dopri5, tsit5 and bs32 with a tight SciPy reference over a short horizon (before
chaos separates trajectories) and prints cost and accuracy of each.
"""
import time

import numpy as np
from scipy.integrate import solve_ivp

import solvers


def lorenz(t, y, p, dydt):
    sigma, rho, beta = p
    dydt[0] = sigma * (y[1] - y[0])
    dydt[1] = y[0] * (rho - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - beta * y[2]


def main():
    system = solvers.ODESystem(lorenz, 3, params=(10.0, 28.0, 8.0 / 3.0))
    t_eval = np.linspace(0.0, 5.0, 501)
    ref = solve_ivp(lambda t, y: [10 * (y[1] - y[0]), y[0] * (28 - y[2]) - y[1],
                                  y[0] * y[1] - 8 / 3 * y[2]],
                    (0, 5), [1.0, 1.0, 1.0], method="DOP853", rtol=1e-12, atol=1e-12,
                    t_eval=t_eval).y.T
    print(f"{'method':8s} {'rtol':>7s} {'nfev':>6s} {'time':>9s} {'max err':>9s}")
    for method in ("bs32", "dopri5", "tsit5"):
        for rtol in (1e-6, 1e-9):
            solvers.solve(system, (0, 5), [1.0, 1.0, 1.0], method=method, rtol=rtol)  # compile
            tic = time.perf_counter()
            sol = solvers.solve(system, (0, 5), [1.0, 1.0, 1.0], method=method, t_eval=t_eval,
                                rtol=rtol, atol=rtol * 1e-3)
            dt = time.perf_counter() - tic
            err = np.abs(sol.y - ref).max()
            print(f"{method:8s} {rtol:7.0e} {sol.nfev:6d} {dt * 1e3:7.2f}ms {err:9.2e}")
    long = solvers.solve(system, (0, 100), [1.0, 1.0, 1.0], method="tsit5", rtol=1e-9,
                         atol=1e-12)
    print(f"t in [0, 100]: {long.naccepted} steps; z stays on the attractor: "
          f"{long.y[:, 2].min():.1f} <= z <= {long.y[:, 2].max():.1f}")


if __name__ == "__main__":
    main()
