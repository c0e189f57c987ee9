"""
A CTRNN bias sweep in one call
==============================

A parameter sweep in one call that compiles nothing new: Beer's oscillator across biases.

Run: python examples/ctrnn_sweep.py
Every network in the sweep shares the CTRNN kernel, so the sweep is one parameter ensemble:
``solvers.solve_ensemble`` stacks the one parameter that changes (the bias) and runs the
members on every core, each with its own adaptive steps. Nothing is compiled after the first
solve (the script checks it), and every member is exactly the ``solve`` of that network (the
script checks one). The oscillation exists only in a window of bias values around Beer's
centre-crossing point; outside it the network settles to a fixed point.

With matplotlib installed it also writes ctrnn_sweep.png: the sweep's orbit diagram (the
extremes of y0 on the attractor, for every bias) over the branch of fixed points continued in
the bias, which loses its stability at the two Hopf points that bound the oscillating window.
"""
import time

import numpy as np

import solvers
from neurodyn import CTRNN, plot
from neurodyn.analysis import continuation, oscillation_period


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
    save_figure(base, biases, ens)


def save_figure(base, biases, ens, png="ctrnn_sweep.png"):
    """Orbit diagram of the sweep over the continued fixed points, when matplotlib is
    installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    # On the attractor (the second half of each run): the local extremes of y0 on a cycle,
    # the final state at a fixed point.
    params, values = [], []
    for b, y in zip(biases, ens.y[:, ens.t.size // 2:, 0]):
        inner = y[1:-1]
        ext = inner[((inner > y[:-2]) & (inner >= y[2:])) | ((inner < y[:-2]) & (inner <= y[2:]))]
        ext = ext if ext.size else y[-1:]
        params.append(np.full(ext.size, b))
        values.append(ext)
    branch = continuation(base, lambda net, mu: net.replace(bias=[mu, -1.75]), biases[0],
                          biases[-1], ens.y[0, -1])
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    plot.bifurcation(branch, ax=ax, xlabel="bias theta0", ylabel="y0", legend=False)
    plot.orbit_diagram((np.concatenate(params), np.concatenate(values)), ax=ax, color="C0",
                       markersize=6, xlabel=None, ylabel=None,
                       label="sweep: extremes of y0 on the attractor")
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title("Beer's oscillator across biases: the cycle is born and dies at Hopf points")
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main()
