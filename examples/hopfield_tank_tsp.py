"""Hopfield & Tank's analog network on a 10-city travelling-salesman problem.

The network of Hopfield & Tank (1985) with the paper's parameters (A = B = 500, C = 200,
D = 500, n_bar = 15, u0 = 0.02, tau = 1) for ten seeded random cities in the unit square,
integrated from the paper's initial state (every output 1/n plus 10 % noise in u) for several
noise seeds. For each run: whether the final outputs form a valid tour, its length against
the optimum (Held–Karp), and whether the circuit's energy fell monotonically along the
trajectory, as it must for symmetric weights.

A demonstration, not a promise of optimality: with these parameters many runs end in an
invalid matrix (as Wilson & Pawley 1988 found), and valid tours are good, not always optimal.

Run:  python examples/hopfield_tank_tsp.py
"""
import numpy as np

import solvers
from circuits.hopfield_tank import (HopfieldTank, decode_tour, shortest_tour, tour_length,
                                    tsp_start)
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
                            E0=float(check.values[0]), E1=float(check.values[-1])))
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


if __name__ == "__main__":
    main()
