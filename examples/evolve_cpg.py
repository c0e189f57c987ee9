"""
Evolving a central pattern generator
====================================

A 3-neuron CTRNN evolved by CMA-ES to oscillate with a target period, as evolutionary
robotics evolves the pattern generators of walking (Beer, Chiel & Gallagher 1999).

Run: python examples/evolve_cpg.py [target_period]
The genome holds the 9 weights and 3 time constants (Beer's ranges: weights in [-16, 16],
tau in [0.5, 10], log-scaled); the biases make every network center-crossing (Mathayomchan &
Beer 2002), where oscillators are common. Each generation the whole population, started from
three initial states, is one ``solvers.solve_ensemble`` call (``evaluate_population``); a
network's fitness is its worst ``-|T - T*| / T*`` over the three, so the rhythm it is selected
for does not depend on where it starts. The best network's period is then checked by an
independent tight solve.

With matplotlib installed it also writes evolve_cpg.png: the evolved rhythm and the fitness
over the generations.
"""
import sys
import time

import numpy as np

import solvers
from neurodyn.analysis import oscillation_period
from neurodyn.train.evolve import CTRNNGenome, evaluate_population, evolve, period_fitness


def main(target_period=5.0):
    t1 = 8.0 * target_period
    t_eval = np.linspace(0.0, t1, 801)
    starts = np.array([[0.0, 0.0, 0.0], [2.0, -2.0, 1.0], [-3.0, 1.0, 2.0]])
    measure = period_fitness(target_period)

    def fitness(models):
        return evaluate_population(models, (0.0, t1), starts, measure, aggregate=np.min,
                                   t_eval=t_eval, rtol=1e-6, atol=1e-8)

    genome = CTRNNGenome(3, bias="center")
    tic = time.perf_counter()
    res = evolve(genome, fitness, method="cmaes", generations=200, seed=1, target=-0.002,
                 restarts=5)
    wall = time.perf_counter() - tic
    print(res.message)
    print(f"{res.evaluations} evaluations ({res.evaluations * len(starts)} trajectories) in "
          f"{res.generations} generations, {wall:.2f} s")

    net = res.best_model
    t = np.linspace(0.0, 40.0 * target_period, 20001)
    sol = solvers.solve(net, (t[0], t[-1]), starts[0], t_eval=t, rtol=1e-10, atol=1e-12)
    period = oscillation_period(sol.t, sol.y[:, 0])
    print(f"best period {period:.4f} (target {target_period}, error "
          f"{abs(period - target_period) / target_period:.2%})")
    print("W =", np.array2string(net.W, precision=2), "\ntau =", net.tau.round(3),
          "\nbias =", net.bias.round(3))
    save_figure(res, sol)
    return res, period


def save_figure(res, sol, png="evolve_cpg.png"):
    """The evolved rhythm (neuron outputs) and the fitness per generation, when matplotlib is
    installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    net = res.best_model
    keep = sol.t <= 6 * sol.t[-1] / 40.0
    out = 1.0 / (1.0 + np.exp(-(sol.y[keep] + net.bias)))
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i in range(net.n_states):
        a.plot(sol.t[keep], out[:, i], label=f"neuron {i}")
    a.set(xlabel="t", ylabel="output sigma(y + bias)", title="the evolved rhythm")
    a.legend(fontsize="small")
    gens = np.arange(1, res.generations + 1)
    # -fitness is the relative period error (the penalty 10: no oscillation)
    b.plot(gens, -np.maximum.accumulate(res.history["best"]), label="best so far")
    b.plot(gens, -res.history["median"], label="median of the generation")
    b.set(xlabel="generation", ylabel="period error |T - T*| / T*", yscale="log",
          title="CMA-ES (10: no oscillation)")
    b.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:2]))
