"""Lyapunov spectrum of Lorenz (10, 28, 8/3): t = 1000 averaged after a transient of 50.

Ours: ``neurodyn.analysis.lyapunov.lyapunov_spectrum`` — compiled RK4 on the state and the 3x3
tangent matrix with the analytic Jacobian, dt = 0.01, Gram-Schmidt every 10 steps.
Peer: the textbook NumPy/SciPy Benettin loop a user would write instead — ``scipy.integrate.
solve_ivp`` (RK45, rtol 1e-8, atol 1e-10) on the 12-dimensional augmented system between
renormalisations every 0.1 time units, ``numpy.linalg.qr`` with sign-fixed R — run for a
shorter averaging time and scaled linearly to t = 1000 (its cost is proportional to t).

Prints the first call (including compilation or the compiled-code cache load), the steady
median/min/max of the repeats (time.perf_counter), the exponents, their sum against
-(sigma + 1 + beta), and the peer's scaled time with the ratio. Bar (issue 6): under 2 s steady.

Usage: python benchmarks/bench_lyapunov.py [--repeats R] [--peer-t T]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0
T_TOTAL, T_TRANSIENT, DT = 1000.0, 50.0, 0.01


def ours():
    from benchmarks.kernels import lorenz, lorenz_jac
    from neurodyn.analysis.lyapunov import lyapunov_spectrum
    from solvers import ODESystem

    system = ODESystem(lorenz, 3, (SIGMA, RHO, BETA), jac=lorenz_jac)
    return lambda: lyapunov_spectrum(system, [1.0, 1.0, 1.0], t_total=T_TOTAL,
                                     t_transient=T_TRANSIENT, dt=DT).exponents


def peer(t_total, t_transient=T_TRANSIENT, tau=0.1):
    from scipy.integrate import solve_ivp

    def aug(t, z):
        x, y, w = z[:3]
        V = z[3:].reshape(3, 3)
        J = np.array([[-SIGMA, SIGMA, 0.0], [RHO - w, -1.0, -x], [y, x, -BETA]])
        return np.concatenate([[SIGMA * (y - x), x * (RHO - w) - y, x * y - BETA * w],
                               (J @ V).ravel()])

    z = solve_ivp(aug, (0, t_transient), np.r_[1.0, 1.0, 1.0, np.eye(3).ravel()],
                  rtol=1e-8, atol=1e-10).y[:3, -1]
    V = np.eye(3)
    logs = np.zeros(3)
    n = int(round(t_total / tau))
    for _ in range(n):
        sol = solve_ivp(aug, (0, tau), np.r_[z, V.ravel()], rtol=1e-8, atol=1e-10)
        z = sol.y[:3, -1]
        Q, R = np.linalg.qr(sol.y[3:, -1].reshape(3, 3))
        d = np.sign(np.diag(R))
        V = Q * d
        logs += np.log(np.abs(np.diag(R)))
    return logs / (n * tau)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--peer-t", type=float, default=20.0,
                    help="averaging time of the SciPy peer (its time is scaled to t = 1000)")
    a = ap.parse_args(argv)
    import os
    print(f"Lorenz Lyapunov spectrum, t = {T_TOTAL:g} after {T_TRANSIENT:g}, dt = {DT} "
          f"(cpu count {os.cpu_count()}, load {os.getloadavg()[0]:.2f})")
    t0 = time.perf_counter()
    fn = ours()
    lam = fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        lam = fn()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"ours : first call {first:.3f} s; steady median {med * 1e3:.1f} ms "
          f"(min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f}, {a.repeats} repeats)")
    print(f"       exponents {np.array2string(lam, precision=4)}  "
          f"(published 0.9056, 0, -14.5723); sum {lam.sum():.6f} vs "
          f"{-(SIGMA + 1 + BETA):.6f}")
    print(f"       bar: steady < 2 s -> {'met' if med < 2.0 else 'MISSED'}")
    t0 = time.perf_counter()
    lam_p = peer(a.peer_t)
    tp = time.perf_counter() - t0
    scaled = tp * T_TOTAL / a.peer_t
    print(f"peer : SciPy solve_ivp RK45 + numpy QR Benettin, t = {a.peer_t:g}: {tp:.2f} s, "
          f"scaled to t = {T_TOTAL:g}: {scaled:.1f} s  -> ratio {scaled / med:.0f}x ours")
    print(f"       exponents (short run) {np.array2string(lam_p, precision=3)}")


if __name__ == "__main__":
    main()
