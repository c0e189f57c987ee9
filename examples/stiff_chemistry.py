"""
Stiff chemistry: Robertson's reaction with the compiled stiff solvers
=====================================================================

Robertson's autocatalytic reaction (ROBER, Hairer & Wanner's classic stiff test): rate
constants 0.04, 1e4 and 3e7 make its time scales span eleven orders of magnitude, so explicit
methods crawl and SciPy's implicit steppers pay Python per step. ``rodas5p`` (a Rosenbrock
method) and ``radau5`` (Radau IIA) run entirely in compiled code, and an ensemble over the
fast rate constant k3 is one ``solve_ensemble`` call.

Run: python examples/stiff_chemistry.py [--members B]
Prints cost and accuracy of ours and SciPy's stiff methods against a tight reference, then
sweeps k3 over two decades (B members, default 2000) and prints how the intermediate y2 at
t = 1e5 falls with k3 (its log-log slope). With matplotlib installed it also writes stiff_chemistry.png.
"""
import argparse
import time

import numpy as np
from scipy.integrate import solve_ivp

import solvers


def rober(t, y, p, dydt):
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


K = (0.04, 1e4, 3e7)
Y0 = [1.0, 0.0, 0.0]


def rober_numpy(t, y, k=K):
    return [-k[0] * y[0] + k[1] * y[1] * y[2],
            k[0] * y[0] - k[1] * y[1] * y[2] - k[2] * y[1] ** 2, k[2] * y[1] ** 2]


def main(members=2000):
    system = solvers.ODESystem(rober, 3, params=K, jac=rober_jac)
    t_end = 1e5
    ref = solve_ivp(rober_numpy, (0, t_end), Y0, method="Radau", rtol=1e-12,
                    atol=1e-14).y[:, -1]
    print(f"{'method':22s} {'steps':>6s} {'nfev':>6s} {'time':>9s} {'max rel err':>11s}")

    def row(name, run):
        run()  # the first call compiles (ours) or warms up (SciPy)
        solvers.compiled_loop(system, "rodas5p")  # time compiled loops, not their twins
        solvers.compiled_loop(system, "radau5")
        tic = time.perf_counter()
        y, steps, nfev = run()
        dt = time.perf_counter() - tic
        print(f"{name:22s} {steps:6d} {nfev:6d} {dt * 1e3:7.2f}ms "
              f"{np.max(np.abs(y - ref) / np.abs(ref)):11.2e}")

    for method in ("rodas5p", "radau5"):
        def ours(method=method):
            sol = solvers.solve(system, (0, t_end), Y0, method=method, rtol=1e-8, atol=1e-8)
            return sol.y_final, sol.naccepted, sol.nfev
        row(f"ours {method}", ours)
    for method in ("Radau", "LSODA"):
        def scipy_run(method=method):
            r = solve_ivp(rober_numpy, (0, t_end), Y0, method=method, rtol=1e-8, atol=1e-8)
            return r.y[:, -1], r.t.size - 1, r.nfev
        row(f"SciPy {method}", scipy_run)

    k3 = K[2] * np.logspace(-1, 1, members)
    ensemble = [system.with_params((K[0], K[1], float(k))) for k in k3]
    solvers.solve_ensemble(ensemble[:2], (0, t_end), Y0, method="rodas5p", rtol=1e-8,
                           atol=1e-8, save="final")  # compile the ensemble loop
    tic = time.perf_counter()
    ens = solvers.solve_ensemble(ensemble, (0, t_end), Y0, method="rodas5p", rtol=1e-8,
                                 atol=1e-8, save="final")
    dt = time.perf_counter() - tic
    y2 = ens.y_final[:, 1]
    slope = np.polyfit(np.log(k3), np.log(y2), 1)[0]
    print(f"\nk3 sweep: {members} members in {dt * 1e3:.0f} ms, all successful: "
          f"{bool(ens.success.all())}; y2(1e5) ~ k3^{slope:.3f}")
    save_figure(system, k3, y2)


def save_figure(system, k3, y2, png="stiff_chemistry.png"):
    """ROBER's three concentrations on a log time axis, and y2(1e5) against k3."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    te = np.logspace(-6, 5, 300)
    sol = solvers.solve(system, (0, 1e5), Y0, method="rodas5p", rtol=1e-8, atol=1e-10,
                        t_eval=te)
    fig, (ax_t, ax_k) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, (label, scale) in enumerate((("y1", 1), ("y2 × 1e4", 1e4), ("y3", 1))):
        ax_t.semilogx(sol.t, sol.y[:, i] * scale, label=label)
    ax_t.set_xlabel("t")
    ax_t.set_title("ROBER (rodas5p)")
    ax_t.legend()
    ax_k.loglog(k3, y2, ".", ms=2)
    ax_k.set_xlabel("k3")
    ax_k.set_ylabel("y2 at t = 1e5")
    ax_k.set_title("one solve_ensemble call over k3")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    main(parser.parse_args().members)
