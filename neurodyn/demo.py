"""The quick-start demo: Beer's two-neuron CTRNN oscillator, built from a networkx graph.

Beer (1995, "On the dynamics of small continuous-time recurrent neural networks") shows that two
self-exciting neurons coupled with opposite signs, with biases near the centre-crossing values,
oscillate. With tau = 1, gain = 1, ``W[to, from] = [[4.5, 1], [-1, 4.5]]`` and
theta = (-2.75, -1.75) the network settles on a limit cycle; transposing W (so that the edge
directions are swapped) gives a network that settles on a fixed point instead, which makes the
demo a check of the edge convention ``u -> v`` means ``W[v, u]``.
"""
from __future__ import annotations

import time

import networkx as nx
import numpy as np

import solvers

from .analysis.period import oscillation_period  # its home before neurodyn.analysis had it
from .ctrnn import CTRNN

__all__ = ["beer_oscillator_graph", "oscillation_period", "run_demo"]


def beer_oscillator_graph(transpose=False):
    """Beer's two-neuron oscillator as a networkx DiGraph (edge u -> v: u drives v).

    >>> G = beer_oscillator_graph()
    >>> G.edges["n1", "n0"]["weight"], G.edges["n0", "n1"]["weight"]
    (1.0, -1.0)
    """
    W = np.array([[4.5, 1.0], [-1.0, 4.5]])  # W[to, from]
    if transpose:
        W = W.T
    G = nx.DiGraph()
    G.add_node("n0", tau=1.0, bias=-2.75, gain=1.0)
    G.add_node("n1", tau=1.0, bias=-1.75, gain=1.0)
    names = ["n0", "n1"]
    for to in range(2):
        for frm in range(2):
            G.add_edge(names[frm], names[to], weight=float(W[to, frm]))
    return G


def run_demo(out="neurodyn_demo.png", t_end=300.0, plot=True, verbose=True):
    """Integrate Beer's oscillator and its transpose, print what was found, save a figure.

    Returns a dict with the period, the transposed network's final state and the solver stats.

    >>> r = run_demo(plot=False, verbose=False, t_end=200.0)
    >>> 25 < r["period"] < 35
    True
    """
    G = beer_oscillator_graph()
    net = CTRNN.from_graph(G)
    t_eval = np.linspace(0.0, t_end, 6001)
    y0 = np.zeros(2)
    tic = time.perf_counter()
    sol = solvers.solve(net, (0.0, t_end), y0, method="dopri5", t_eval=t_eval, rtol=1e-8,
                        atol=1e-10)
    elapsed = time.perf_counter() - tic
    period = oscillation_period(sol.t, sol.y[:, 0])

    net_t = CTRNN.from_graph(beer_oscillator_graph(transpose=True))
    sol_t = solvers.solve(net_t, (0.0, t_end), y0, method="dopri5", t_eval=t_eval,
                          rtol=1e-8, atol=1e-10)
    # The kernel is plain Python, so evaluating it once here needs no compilation.
    f_end = np.empty(2)
    net_t.rhs(0.0, sol_t.y[-1], net_t.params, f_end)
    result = {
        "period": period,
        "amplitude": float(np.ptp(sol.y[len(sol.t) // 2:, 0])),
        "solution": sol,
        "transposed_final": sol_t.y[-1],
        "transposed_speed": float(np.abs(f_end).max()),
        "transposed_period": oscillation_period(sol_t.t, sol_t.y[:, 0]),
        "seconds": elapsed,
    }
    if verbose:
        print("neurodyn demo: Beer's two-neuron CTRNN oscillator, built from a networkx graph")
        W = net.W.toarray() if hasattr(net.W, "toarray") else np.asarray(net.W)
        print(f"  nodes {net.nodes}, W[to, from] = {W.tolist()}")
        print(f"  dopri5 on [0, {t_end:g}]: {sol.message}")
        print(f"  steps {sol.naccepted} accepted, {sol.nrejected} rejected, nfev {sol.nfev}, "
              f"{elapsed * 1e3:.2f} ms (compilation included on a cold cache)")
        print(f"  limit cycle: period {period:.3f}, amplitude of y0 {result['amplitude']:.3f}")
        print(f"  transposed weights: settles to a fixed point y* = "
              f"{np.array2string(sol_t.y[-1], precision=4)} (|dy/dt| = "
              f"{result['transposed_speed']:.1e}), no oscillation")
    if plot:
        _plot(net, sol, net_t, sol_t, period, out)
        if verbose:
            print(f"  figure written to {out}")
    return result


def _plot(net, sol, net_t, sol_t, period, out):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("the demo's figure needs matplotlib: pip install 'neurodyn[plot]' "
                          "(or run with --no-plot)") from None
    from . import plot

    # A Figure of its own, not pyplot's: the demo neither switches the caller's backend nor
    # leaves a figure open in pyplot's global state.
    fig = Figure(figsize=(16, 4.6))
    ax_t, ax_w, ax_wt = fig.subplots(1, 3)
    plot.trajectories(sol, ax=ax_t, names=net)
    ax_t.set_title(f"Beer oscillator: limit cycle, period {period:.2f}")
    plot.phase_portrait(net, ax=ax_w, trajectories=[sol])
    ax_w.set_title("W: unstable focus inside the limit cycle")
    plot.phase_portrait(net_t, ax=ax_wt, trajectories=[sol_t])
    ax_wt.set_title("W transposed: a stable fixed point")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
