"""
The Hopfield–Tank network on a travelling-salesman problem
==========================================================

Hopfield & Tank's analog network on a 10-city travelling-salesman problem.

The network of Hopfield & Tank (1985) with the paper's parameters (A = B = 500, C = 200,
D = 500, n_bar = 15, u0 = 0.02, tau = 1) for ten seeded random cities in the unit square,
integrated from the paper's initial state (every output 1/n plus 10 % noise in u) for several
noise seeds. For each run: whether the final outputs form a valid tour, its length against
the optimum (Held–Karp), and whether the circuit's energy fell monotonically along the
trajectory, as it must for symmetric weights.

A demonstration, not a promise of optimality: with these parameters many runs end in an
invalid matrix (as Wilson & Pawley 1988 found), and valid tours are good, not always optimal.

With matplotlib installed it also writes hopfield_tank_tsp.png: the energy of every run along
its trajectory, and the output matrix (city x position in the tour) the best run ends in.

Run:  python examples/hopfield_tank_tsp.py
"""
import numpy as np

import solvers
from circuits.hopfield_tank import (HopfieldTank, decode_tour, shortest_tour, tour_length,
                                    tsp_start)
from neurodyn import plot
from neurodyn.analysis.energy import energy_along


def cities(n=10, seed=1):
    """``n`` random cities in the unit square and their Euclidean distances."""
    xy = np.random.default_rng(seed).uniform(size=(n, 2))
    return xy, np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=-1)


def run(n=10, city_seed=1, starts=20, t_final=20.0, **params):
    """Integrate ``starts`` runs; returns (optimal tour, its length, list of run records)."""
    _, d = cities(n, city_seed)
    net = HopfieldTank.tsp(d, **params)
    best, opt = shortest_tour(d)
    records = []
    for s in range(starts):
        u0 = tsp_start(n, u0=float(net.u0[0]), noise=0.1, seed=s)
        sol = solvers.solve(net, (0.0, t_final), u0, t_eval=np.linspace(0.0, t_final, 201),
                            rtol=1e-8, atol=1e-10)
        tour = decode_tour(net.output(sol.y[-1]), strict=False)
        check = energy_along(net, sol)
        records.append(dict(seed=s, status=sol.status, tour=tour,
                            length=None if tour is None else tour_length(tour, d),
                            energy_falls=check.non_increasing,
                            E0=float(check.values[0]), E1=float(check.values[-1]),
                            solution=sol))
    return best, opt, records


def main():
    n = 10
    best, opt, records = run(n)
    print(f"{n} random cities (seed 1), Hopfield & Tank 1985 parameters; optimal tour "
          f"{best} length {opt:.4f} (Held-Karp)")
    print(f"{'start':>5} {'tour':>32} {'length':>8} {'/opt':>6} {'E(0)':>10} {'E(end)':>10} "
          "energy falls")
    for r in records:
        tour = "invalid (not a permutation)" if r["tour"] is None else str(r["tour"])
        length = "" if r["length"] is None else f"{r['length']:.4f}"
        ratio = "" if r["length"] is None else f"{r['length'] / opt:.3f}"
        print(f"{r['seed']:>5} {tour:>32} {length:>8} {ratio:>6} {r['E0']:10.1f} "
              f"{r['E1']:10.1f} {r['energy_falls']}")
    valid = [r for r in records if r["tour"] is not None]
    print(f"valid tours: {len(valid)} of {len(records)}", end="")
    if valid:
        top = min(valid, key=lambda r: r["length"])
        print(f"; best found {top['tour']} length {top['length']:.4f} "
              f"({top['length'] / opt:.3f} x optimal)")
    else:
        print()
    print("energy non-increasing in every run:", all(r["energy_falls"] for r in records))
    save_figure(HopfieldTank.tsp(cities(n)[1]), records, n)  # the network run() integrated


def save_figure(net, records, n, png="hopfield_tank_tsp.png"):
    """Energies of all runs and the best run's output matrix, when matplotlib is installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (ax_e, ax_v) = plt.subplots(1, 2, figsize=(11, 4.2),
                                     gridspec_kw={"width_ratios": [1.5, 1]})
    # The energy falls within a thousandth of a time constant: the runs again from their
    # initial states, sampled on a log scale of time, show how.
    t_final = float(records[0]["solution"].t[-1])
    t_eval = np.concatenate([[0.0], np.geomspace(1e-6, t_final, 200)])
    labelled = set()
    for r in records:
        kind = "valid tour" if r["tour"] is not None else "invalid matrix"
        sol = solvers.solve(net, (0.0, t_final), r["solution"].y[0], t_eval=t_eval, rtol=1e-8,
                            atol=1e-10)
        plot.energy(net, sol, ax=ax_e, color="C2" if r["tour"] else "C3", lw=1, alpha=0.8,
                    label=None if kind in labelled else kind)
        labelled.add(kind)
    ax_e.set_xscale("symlog", linthresh=1e-6)
    ax_e.set_title(f"energy along each of the {len(records)} runs: it never rises")
    valid = [r for r in records if r["tour"] is not None]
    best = min(valid, key=lambda r: r["length"]) if valid else min(records,
                                                                    key=lambda r: r["E1"])
    V = net.output(best["solution"].y[-1])
    plot.patterns(V, (n, n), ax=ax_v, cmap="Greys", vmin=0.0, vmax=1.0)
    ax_v.set_title(f"outputs of run {best['seed']} (rows: cities, columns: positions)",
                   fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main()
