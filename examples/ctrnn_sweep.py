"""A parameter sweep in one call that compiles nothing new: Beer's oscillator across biases.

Run: python examples/ctrnn_sweep.py
Every network in the sweep shares the CTRNN kernel, so the sweep is one parameter ensemble:
``solvers.solve_ensemble`` stacks the one parameter that changes (the bias) and runs the
members on every core, each with its own adaptive steps. Nothing is compiled after the first
solve (the script checks it), and every member is exactly the ``solve`` of that network (the
script checks one). The oscillation exists only in a window of bias values around Beer's
centre-crossing point; outside it the network settles to a fixed point.
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
    solvers.solve_ensemble([base, base], (0.0, 1.0), np.zeros(2), save="final")
    loops = solvers.compiled_loop(base, "dopri5")
    n_sigs = len(loops.signatures)
    tic = time.perf_counter()
    nets = [base.replace(bias=[b, -1.75]) for b in biases]
    ens = solvers.solve_ensemble(nets, (0.0, 400.0), np.zeros(2), t_eval=t_eval, rtol=1e-8,
                                 atol=1e-10)
    periods = [oscillation_period(ens.t, ens.y[k, :, 0]) for k in range(len(nets))]
    elapsed = time.perf_counter() - tic
    print(" theta0   period")
    for b, period in zip(biases, periods):
        print(f"{b:7.2f}   {'fixed point' if np.isnan(period) else f'{period:.3f}'}")
    assert ens.success.all(), ens.messages
    assert len(loops.signatures) == n_sigs, "the sweep compiled new code"
    one = solvers.solve(nets[15], (0.0, 400.0), np.zeros(2), t_eval=t_eval, rtol=1e-8,
                        atol=1e-10)
    assert np.array_equal(one.y, ens.y[15]), "a member differs from its own solve"
    print(f"{len(biases)} networks integrated in {elapsed * 1e3:.1f} ms in one ensemble, "
          "no new compilation")


if __name__ == "__main__":
    main()
