"""
Your own system: the Lorenz attractor
=====================================

Integrate your own system: the Lorenz attractor as a plain-Python kernel.

Run: python examples/lorenz.py
Compares dopri5, tsit5 and bs32 with a tight SciPy reference over a short horizon (before
chaos separates trajectories) and prints cost and accuracy of each. With matplotlib installed
it also writes lorenz.png: the attractor in the (x, z) plane with the system's three fixed
points (found by neurodyn.analysis.fixed_points from the same kernel), and x(t).
"""
import time

import numpy as np
from scipy.integrate import solve_ivp

import solvers
from neurodyn import plot


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
    save_figure(system, long)


def save_figure(system, sol, png="lorenz.png"):
    """The attractor projected on (x, z) with the fixed points, and x(t), when matplotlib is
    installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (ax_p, ax_t) = plt.subplots(1, 2, figsize=(12, 4.6),
                                     gridspec_kw={"width_ratios": [1, 1.4]})
    plot.phase_portrait(system, ax=ax_p, projection=(0, 2), trajectories=[sol])
    ax_p.set_title("the attractor and the three fixed points")
    plot.trajectories(sol, states=0, ax=ax_t, ylabel="x = y0", lw=0.8)
    ax_t.set_title("x(t): irregular switching between the two wings")
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main()
