"""A parameter sweep that compiles nothing new: Beer's oscillator across a range of biases.

Run: python examples/ctrnn_sweep.py
Every network in the sweep shares the CTRNN kernel, so after the first solve no code is
compiled (the script checks it) and each solve costs well under a millisecond. The oscillation
exists only in a window of bias values around Beer's centre-crossing point; outside it the
network settles to a fixed point.
"""
import time

import numpy as np

import solvers
from neurodyn import CTRNN
from neurodyn.demo import oscillation_period


def main():
    W = np.array([[4.5, 1.0], [-1.0, 4.5]])
    t_eval = np.linspace(0.0, 400.0, 8001)
    biases = np.linspace(-4.0, -1.0, 31)
    base = CTRNN(W, bias=[-2.75, -1.75])
    solvers.solve(base, (0.0, 1.0), np.zeros(2))  # compile (or load from the cache) once
    loops = solvers.compiled_loop(base, "dopri5")
    n_sigs = len(loops.signatures)
    tic = time.perf_counter()
    print(" theta0   period")
    for b in biases:
        net = base.replace(bias=[b, -1.75])
        sol = solvers.solve(net, (0.0, 400.0), np.zeros(2), t_eval=t_eval, rtol=1e-8,
                            atol=1e-10)
        period = oscillation_period(sol.t, sol.y[:, 0])
        print(f"{b:7.2f}   {'fixed point' if np.isnan(period) else f'{period:.3f}'}")
    elapsed = time.perf_counter() - tic
    assert len(loops.signatures) == n_sigs, "the sweep compiled new code"
    print(f"{len(biases)} networks integrated in {elapsed * 1e3:.1f} ms, no new compilation")


if __name__ == "__main__":
    main()
