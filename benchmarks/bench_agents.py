"""Issue 16, population throughput: 1000 agents, each a 3-neuron CTRNN (sigmoid, dense W)
coupled to Wieland's double pole on a cart (neurodyn.DoublePole: 6 states, sensors from all
six, one motor = the cart force clipped to +-10 N), simulated for 1000 steps of RK4 at
dt = 0.01 s (10 s), every agent with its own random weights, time constants, biases, sensor and
motor gains (seed 0), the same initial state (long pole at 4.5 degrees).

Rows (one process, the same 1000 agents):
* ``ours, solve_ensemble``: one call, the population as one ensemble (``save="final"``);
* ``ours, a Python loop over solve``: ``solvers.solve(agent, ...)`` per agent (every step
  kept, as a user's loop gets it);
* ``numbalsoda dop853 / lsoda, a loop``: the same agent hand-written as a ``numba.cfunc``
  (no RK4 there: its adaptive methods at rtol 1e-8, atol 1e-10), called once per agent with
  the agent's parameters as its data array;
* ``ours, solve_ensemble dop853``: our adaptive dop853 at the same tolerances, for the row
  above.
Figures: wall time (median of the timed repeats after a first call), agents x simulated seconds
per wall second, and the error column: the median over agents of max |final state - ours at
rtol 1e-12| (random controllers spin the poles and drive the cart far: many agents are
chaotic, so the max over agents says little).

Second part, double-pole balancing with velocities (Wieland's task): CMA-ES
(neurodyn.train.evolve, pycma) evolves a 3-neuron center-crossing CTRNN with its 18 sensor and
3 motor gains (33 genes) until one agent keeps both poles within 36 degrees and the cart within
2.4 m for 100,000 RK4 steps (1000 s) from the long pole at 4.5 degrees; each generation is one
solve_ensemble call with the failure event. Seeds 0-9: evaluations and wall time to solve.

Issue 16's bars: the ensemble >= 50x faster than the Python loop over solve; the double pole
solved in >= 8 of 10 seeds, median <= 5,000 evaluations, each run under 60 s.

Usage: python benchmarks/bench_agents.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import begin, dump_json, end, print_table, timed_row

B, STEPS, DT = 1000, 1000, 0.01
T1 = STEPS * DT


def population(B=B, seed=0):
    """The benchmark's agents (a list of neurodyn.Agent) and their initial state."""
    import neurodyn as nd

    rng = np.random.default_rng(seed)
    body = nd.DoublePole()
    agents = []
    for _ in range(B):
        net = nd.CTRNN(rng.normal(0.0, 3.0, (3, 3)), tau=rng.uniform(0.1, 1.0, 3),
                       bias=rng.normal(0.0, 2.0, 3), blas=False)
        agents.append(nd.Agent(net, body, sensors=rng.normal(0.0, 1.0, (3, 6)),
                               motors=rng.normal(0.0, 20.0, (1, 3)),
                               motor_offset=[rng.normal(0.0, 5.0)]))
    z0 = agents[0].initial_state([0.0, 0.0, np.deg2rad(4.5), 0.0, 0.0, 0.0])
    return agents, z0


def _numbalsoda_rhs():
    """The agent as one numba.cfunc for numbalsoda: data = [W (9), tau (3), theta (3), S (18),
    M (3), m_off, mc, m1, m2, l1, l2, g, muc, mup]."""
    import math

    import numba
    from numbalsoda import lsoda_sig

    @numba.cfunc(lsoda_sig)
    def rhs(t, z, dz, d):
        o0 = 1.0 / (1.0 + math.exp(-(z[0] + d[12])))
        o1 = 1.0 / (1.0 + math.exp(-(z[1] + d[13])))
        o2 = 1.0 / (1.0 + math.exp(-(z[2] + d[14])))
        for i in range(3):
            s = -z[i] + d[3 * i] * o0 + d[3 * i + 1] * o1 + d[3 * i + 2] * o2
            for k in range(6):
                s += d[15 + 6 * i + k] * z[3 + k]
            dz[i] = s / d[9 + i]
        f = d[33] * o0 + d[34] * o1 + d[35] * o2 + d[36]
        f = min(10.0, max(-10.0, f))
        mc, m1, m2, l1, l2 = d[37], d[38], d[39], d[40], d[41]
        g, muc, mup = -d[42], d[43], d[44]
        xd, q1, w1, q2, w2 = z[4], z[5], z[6], z[7], z[8]
        s1, c1, s2, c2 = math.sin(q1), math.cos(q1), math.sin(q2), math.cos(q2)
        tmp1 = mup * w1 / (m1 * l1)
        tmp2 = mup * w2 / (m2 * l2)
        f1 = m1 * l1 * w1 * w1 * s1 + 0.75 * m1 * c1 * (tmp1 + g * s1)
        f2 = m2 * l2 * w2 * w2 * s2 + 0.75 * m2 * c2 * (tmp2 + g * s2)
        e1 = m1 * (1.0 - 0.75 * c1 * c1)
        e2 = m2 * (1.0 - 0.75 * c2 * c2)
        sg = 1.0 if xd > 0 else (-1.0 if xd < 0 else 0.0)
        xdd = (f - muc * sg + f1 + f2) / (mc + e1 + e2)
        dz[3] = xd
        dz[4] = xdd
        dz[5] = w1
        dz[6] = -0.75 * (xdd * c1 + g * s1 + tmp1) / l1
        dz[7] = w2
        dz[8] = -0.75 * (xdd * c2 + g * s2 + tmp2) / l2

    return rhs


def _data(a):
    net, pl = a.controller, a.plant
    assert np.all(net.gain == 1.0) and net.activation == "sigmoid"
    return np.concatenate([net.W.ravel(), net.tau, net.bias, a.sensors.ravel(),
                           a.motors.ravel(), a.motor_offset,
                           [pl.cart_mass, *pl.pole_masses, *pl.half_lengths, pl.gravity,
                            pl.cart_friction, pl.pole_friction]])


def main():
    import solvers

    args, info, monitor = begin(__doc__, "Issue 16: 1000 CTRNN + double-pole agents, "
                                "1000 RK4 steps (dt = 0.01 s)")
    agents, z0 = population()
    t0 = time.perf_counter()
    ref = solvers.solve_ensemble(agents, (0.0, T1), z0, method="dop853", rtol=1e-12,
                                 atol=1e-12, save="final")
    print(f"reference (ours dop853, rtol 1e-12): {time.perf_counter() - t0:.2f} s\n")
    rows = []
    figures = {}

    def add(name, fn, final, *, ours, match=None):
        row, res = timed_row(name, fn, args.repeats, ours=ours, match=match)
        row.err = float(np.median(np.max(np.abs(final(res) - ref.y_final), axis=1)))
        row.extra["agent-s/s"] = f"{B * T1 / row.median_s:.3g}"
        rows.append(row)
        figures[name] = row.median_s

    add("ours, solve_ensemble rk4",
        lambda: solvers.solve_ensemble(agents, (0.0, T1), z0, method="rk4", dt=DT,
                                       save="final"),
        lambda e: e.y_final, ours=True)
    add("ours, Python loop over solve rk4",
        lambda: [solvers.solve(a, (0.0, T1), z0, method="rk4", dt=DT) for a in agents],
        lambda sols: np.array([s.y[-1] for s in sols]), ours=True)
    add("ours, solve_ensemble dop853 1e-8",
        lambda: solvers.solve_ensemble(agents, (0.0, T1), z0, method="dop853", rtol=1e-8,
                                       atol=1e-10, save="final"),
        lambda e: e.y_final, ours=True)
    try:
        import numbalsoda

        ptr = _numbalsoda_rhs().address
        data = [_data(a) for a in agents]
        t_eval = np.array([0.0, T1])
        for meth in ("dop853", "lsoda"):
            f = getattr(numbalsoda, meth)
            add(f"numbalsoda {meth} 1e-8, a loop",
                lambda f=f: [f(ptr, z0, t_eval, data=d, rtol=1e-8, atol=1e-10)[0][-1]
                             for d in data],
                np.array, ours=False, match="ours, solve_ensemble dop853 1e-8")
    except ImportError as err:
        print(f"numbalsoda rows skipped: {err}")
    print_table(rows, extra_cols=("agent-s/s",))
    ens, loop = figures["ours, solve_ensemble rk4"], figures["ours, Python loop over solve rk4"]
    ratio = loop / ens
    print(f"\nensemble vs loop over solve: {ratio:.2f}x (bar >= 50x: "
          f"{'met' if ratio >= 50 else 'NOT MET'})")
    for name, t in figures.items():
        if name.startswith("numbalsoda"):
            print(f"ours dop853 ensemble vs {name}: "
                  f"{t / figures['ours, solve_ensemble dop853 1e-8']:.2f}x")
    # What bounds the ratio: a member's own compute against solve's per-call cost
    t0 = time.perf_counter()
    for _ in range(200):
        solvers.solve(agents[0], (0.0, DT), z0, method="rk4", dt=DT)
    per_call = (time.perf_counter() - t0) / 200
    print(f"solve's cost for one step (its per-call overhead): {per_call * 1e6:.0f} us; "
          f"one member's 1000 steps in the loop: {loop / B * 1e6:.0f} us")
    dpv = double_pole_runs(range(10))
    if args.json:
        dump_json(args.json, info, rows, ratio=ratio, double_pole=dpv)
    end(info, monitor)


def double_pole_task():
    """(genome, fitness, T) of the double pole with velocities (see the module docstring)."""
    import neurodyn as nd
    import solvers
    from neurodyn.train import AgentGenome, CTRNNGenome

    tmpl = nd.Agent(nd.CTRNN(np.zeros((3, 3)), blas=False), nd.DoublePole(),
                    sensors=np.zeros((3, 6)), motors=np.zeros((1, 3)))
    genome = AgentGenome(tmpl, CTRNNGenome(3, weight=(-5.0, 5.0), bias="center",
                                           tau=(0.05, 1.0)),
                         sensors=(-5.0, 5.0), motors=(-20.0, 20.0))
    z0 = tmpl.initial_state([0.0, 0.0, np.deg2rad(4.5), 0.0, 0.0, 0.0])
    T = 1000.0
    ev = tmpl.failure_event()

    def fitness(agents):
        return solvers.solve_ensemble(agents, (0.0, T), z0, method="rk4", dt=DT, events=[ev],
                                      save="final").t_final

    return genome, fitness, T


def double_pole_runs(seeds):
    from neurodyn.train import evolve

    genome, fitness, T = double_pole_task()
    evolve(genome, fitness, generations=1, seed=0)  # compile outside the timed runs
    print("\ndouble pole with velocities, CMA-ES (100,000 steps balanced = solved):")
    out = []
    for seed in seeds:
        t0 = time.perf_counter()
        res = evolve(genome, fitness, method="cmaes", generations=2000, seed=seed, target=T,
                     restarts=9)
        wall = time.perf_counter() - t0
        out.append({"seed": seed, "solved": bool(res.status == 1),
                    "evaluations": int(res.evaluations), "wall_s": wall})
        print(f"  seed {seed}: {'solved' if res.status == 1 else 'NOT solved'} after "
              f"{res.evaluations} evaluations, {wall:.2f} s")
    solved = [r for r in out if r["solved"]]
    evals = [r["evaluations"] for r in out]
    med_e, med_t = float(np.median(evals)), float(np.median([r["wall_s"] for r in out]))
    worst = max(r["wall_s"] for r in out)
    ok = len(solved) >= 0.8 * len(out) and med_e <= 5000 and worst < 60
    print(f"  solved {len(solved)}/{len(out)}; median {med_e:.0f} evaluations, median "
          f"{med_t:.2f} s, slowest {worst:.2f} s (bar >= 8/10, median <= 5000, each < 60 s: "
          f"{'met' if ok else 'NOT MET'})")
    return out


if __name__ == "__main__":
    main()
