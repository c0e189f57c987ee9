"""
A small memristive network
==========================

A small memristive network: CTDV dynamics, its Lyapunov function, currents and voltages.

Run: python examples/memristive_network.py

1. Wires 14 memristors on a 3 x 3 grid plus two diagonals, one 1 V source, and prints the
   number of independent loops (= trace of the cycle projector Omega).
2. Orients every memristor along the current it carries (device polarity), integrates the
   Caravelli-Traversa-Di Ventra equation and prints the Lyapunov function, which falls.
3. Prints the edge currents and node voltages of the final state and checks Kirchhoff's laws.
4. Replaces the source by a sine and prints the conservation law
   (I - Omega) x(t) = exp(-alpha t) (I - Omega) x(0).
5. A single memristor on a constant source: the stable memory below s = 1/(4 chi), and above
   it the run to the boundary, where a Joglekar window stops it.

With matplotlib installed it also writes memristive_network.png: the Lyapunov function along
the trajectory of step 2, and the circuit with the final edge currents as colours.
"""
import math

import networkx as nx
import numpy as np

import solvers
from circuits.network import MemristiveNetwork
from neurodyn import plot
from circuits.sources import Sine

CHI, ALPHA, BETA = 0.9, 1.0, 2.0

# 1. The circuit: a 3 x 3 grid (12 edges) plus the diagonals of two cells -> 14 memristors.
grid = nx.grid_2d_graph(3, 3)
grid.add_edges_from([((0, 0), (1, 1)), ((1, 1), (2, 2))])
src_edge = ((0, 0), (0, 1))
probe = MemristiveNetwork.from_graph(grid, sources={src_edge: 1.0}, chi=CHI)
print(f"{probe.n_edges} memristors, {probe.n_nodes} nodes, {probe.n_loops} independent loops, "
      f"trace(Omega) = {np.trace(probe.projector):.6f}")

# 2. Orient each passive memristor from its higher to its lower potential, so currents and
#    memories stay positive and the Lyapunov function's conditions hold (x in [0, 1/chi)).
phi = dict(zip(probe.nodes, probe.voltages(np.full(probe.n_edges, 0.5))))
edges = [(u, v) if (u, v) == src_edge or phi[u] >= phi[v] else (v, u) for u, v in grid.edges]
net = MemristiveNetwork(edges, nodes=list(grid.nodes), sources={src_edge: 1.0}, chi=CHI,
                        alpha=ALPHA, beta=BETA)
x0 = np.random.default_rng(0).uniform(0.2, 0.8, net.n_edges)
ts = np.linspace(0.0, 8.0, 9)
sol = solvers.solve(net, (0.0, 8.0), x0, t_eval=ts, rtol=1e-10, atol=1e-12)
dc = sol
L = net.energy(sol.y)
print("\n   t   Lyapunov L(x)     min x   max x")
for t, l, y in zip(sol.t, L, sol.y):
    print(f"{t:4.1f}   {l:+.8f}   {y.min():.4f}  {y.max():.4f}")
print("L never increases:", bool(np.all(np.diff(L) <= 1e-12)))

# 3. Currents and voltages at the final state.
x_end = sol.y[-1]
i = net.currents(x_end)
v = net.voltages(x_end)
print("\nfinal edge currents (A, positive along the edge):")
for (a, b), ie, xe in zip(net.edges, i, x_end):
    print(f"  {str(a):>7} -> {str(b):<7}  x = {xe:.4f}   i = {ie:+.5f}")
print(f"node voltages (V, ground {net.ground[0]}):")
print("  " + "  ".join(f"{n}: {p:+.4f}" for n, p in zip(net.nodes, v)))
B = net.incidence.toarray()
R = net.R_off * (1.0 - CHI * x_end)
print(f"Kirchhoff: max |B i| = {np.abs(B @ i).max():.1e}, "
      f"max |R i - (B^T phi + S)| = {np.abs(R * i - B.T @ v - net.source_values()).max():.1e}")

# 4. A time-varying source: the cut-space part of x decays exactly as exp(-alpha t).
ac = net.replace(sources={src_edge: Sine(1.0, 0.5)})
sol = solvers.solve(ac, (0.0, 4.0), x0, t_eval=np.linspace(0, 4, 5), rtol=1e-11, atol=1e-13)
P = np.eye(net.n_edges) - net.projector
dev = np.abs(sol.y @ P.T - np.exp(-ALPHA * sol.t)[:, None] * (P @ x0)).max()
print(f"\nsine source: max |(I - Omega) x(t) - exp(-alpha t) (I - Omega) x(0)| = {dev:.1e}")

# 5. One memristor closed on its source: chi x^2 - x + s = 0 with s = S / (alpha beta).
chi, alpha, beta = 0.8, 1.0, 1.0
s_c = 1.0 / (4.0 * chi)
print(f"\nsingle memristor, chi = {chi}: fixed points merge at s = 1/(4 chi) = {s_c}")
for frac in (0.5, 0.9, 0.99, 1.01, 1.2):
    s = frac * s_c
    # Below s_c the exact equation; above it the window keeps x from reaching 1/chi.
    one = MemristiveNetwork([(0, 0)], sources=[s * alpha * beta], chi=chi, alpha=alpha,
                            beta=beta, window=None if s <= s_c else "joglekar", window_p=6)
    x_T = solvers.solve(one, (0.0, 200.0), [0.01], rtol=1e-10, atol=1e-12).y[-1, 0]
    if s <= s_c:
        stable = (1.0 - math.sqrt(1.0 - 4.0 * chi * s)) / (2.0 * chi)
        note = f"stable fixed point (1 - sqrt(1 - 4 chi s)) / (2 chi) = {stable:.4f}"
    else:
        note = "no fixed point left: runs to the boundary (window p = 6)"
    print(f"  s = {frac:4.2f} s_c   x(200) = {x_T:.4f}   {note}")

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # matplotlib is optional: no figure without it
if plt is not None:
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(11, 4.4))
    fine = solvers.solve(net, (0.0, 8.0), x0, t_eval=np.linspace(0.0, 8.0, 161), rtol=1e-10,
                         atol=1e-12)
    plot.energy(net, fine, ax=ax_l, ylabel="Lyapunov function L(x)")
    ax_l.set_title("L falls along the trajectory (constant source)")
    # The circuit as a graph whose edge weights are the final currents, oriented as the edges.
    currents = nx.DiGraph()
    currents.add_nodes_from(net.nodes)
    currents.add_edges_from((a, b, {"current (A)": ie})
                            for (a, b), ie in zip(net.edges, net.currents(dc.y[-1])))
    plot.network(currents, ax=ax_g, weight="current (A)", pos={v: v for v in net.nodes},
                 node_size=250, labels=False)
    ax_g.set_title("final currents; the 1 V source is on (0, 0) -> (0, 1)")
    fig.tight_layout()
    fig.savefig("memristive_network.png", dpi=110)  # left open: the gallery shows pyplot's
