"""
Balancing two poles: a CTRNN evolved by CMA-ES
==============================================

The classic neuroevolution benchmark (Wieland 1991; Gomez & Miikkulainen): a cart on a 4.8 m
track carries two hinged poles, 1 m and 0.1 m long, and must keep both within 36 degrees of
upright by pushing with up to 10 N. The controller sees the full state, velocities included.

Run: python examples/double_pole.py [seed]

The controller is a 3-neuron CTRNN (:class:`neurodyn.Agent` couples it to
:class:`neurodyn.DoublePole`: sensors from all six body states into every neuron, one motor
summing the neurons' outputs into the force). CMA-ES (``neurodyn.train.evolve``, pycma)
evolves its 9 weights, 3 time constants, 18 sensor and 3 motor gains (biases and the motor's
offset are center-crossing). Each generation is one ``solvers.solve_ensemble`` call with the
failure event: a pole past 36 degrees or the cart past 2.4 m stops that agent, and its fitness
is the time it lasted. Solved means 100,000 RK4 steps of 0.01 s (1000 s) balanced, from the
long pole at 4.5 degrees. The champion is then run once more by ``solvers.solve`` and its
trajectory checked against the bounds.

With matplotlib installed it writes double_pole.png: the poles' angles and the cart's position
over the first 20 seconds, and the best fitness per generation.
"""
import sys
import time

import numpy as np

import neurodyn as nd
import solvers
from neurodyn.train import AgentGenome, CTRNNGenome, evolve

T, DT = 1000.0, 0.01


def task():
    """The genome, the fitness of a population and the initial state."""
    template = nd.Agent(nd.CTRNN(np.zeros((3, 3)), blas=False), nd.DoublePole(),
                        sensors=np.zeros((3, 6)), motors=np.zeros((1, 3)))
    genome = AgentGenome(template, CTRNNGenome(3, weight=(-5.0, 5.0), bias="center",
                                               tau=(0.05, 1.0)),
                         sensors=(-5.0, 5.0), motors=(-20.0, 20.0))
    z0 = template.initial_state([0.0, 0.0, np.deg2rad(4.5), 0.0, 0.0, 0.0])
    failure = template.failure_event()

    def fitness(agents):
        ens = solvers.solve_ensemble(agents, (0.0, T), z0, method="rk4", dt=DT,
                                     events=[failure], save="final")
        return ens.t_final  # seconds balanced

    return genome, fitness, z0


def main(seed=0):
    genome, fitness, z0 = task()
    tic = time.perf_counter()
    res = evolve(genome, fitness, method="cmaes", generations=2000, seed=seed, target=T,
                 restarts=9)
    wall = time.perf_counter() - tic
    print(res.message)
    print(f"{genome.size} genes; {res.evaluations} evaluations in {res.generations} "
          f"generations, {wall:.2f} s")
    best = res.best_model
    sol = solvers.solve(best, (0.0, T), z0, method="rk4", dt=DT)
    body = best.body(sol.y)
    print(f"champion: {len(sol.t) - 1} steps, |x| <= {np.abs(body[:, 0]).max():.3f} m, "
          f"|theta1| <= {np.rad2deg(np.abs(body[:, 2]).max()):.3f} deg, "
          f"|theta2| <= {np.rad2deg(np.abs(body[:, 4]).max()):.3f} deg, "
          f"failed: {bool(best.plant.failed(body).any())}")
    save_figure(res, sol, best)
    return res, sol


def save_figure(res, sol, agent, png="double_pole.png"):
    """Angles and cart position of the champion, and the best fitness per generation."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    keep = sol.t <= 20.0
    body = agent.body(sol.y[keep])
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.plot(sol.t[keep], np.rad2deg(body[:, 2]), label="long pole (deg)")
    a.plot(sol.t[keep], np.rad2deg(body[:, 4]), label="short pole (deg)")
    a.plot(sol.t[keep], 10 * body[:, 0], label="cart x (dm)")
    a.set(xlabel="t (s)", title="the champion's first 20 s")
    a.legend(fontsize="small")
    b.plot(np.arange(1, res.generations + 1), np.maximum.accumulate(res.history["best"]))
    b.set(xlabel="generation", ylabel="best time balanced (s)", yscale="log",
          title="CMA-ES")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
