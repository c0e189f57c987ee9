"""
Hopfield recall on a resistive crossbar
=======================================

How Hopfield recall degrades on a resistive crossbar, one non-ideality at a time.

Random patterns are stored with the Hebbian rule (``neurodyn.Hopfield.from_patterns``), the
weights are programmed into a crossbar (``circuits.crossbar.Crossbar.from_weights``), and
noisy probes (a fraction of bits flipped) are recalled by synchronous updates through the
analog product. For each non-ideality alone, swept over its strength, the table gives the
mean overlap ``m = xi . s / N`` of the final state with the stored pattern (1 = perfect
recall) and the fraction of probes recalled exactly, over three independently programmed
crossbars. The first row of each block is the
ideal crossbar, which gives exactly ``Hopfield.recall(mode="sync")``.

With matplotlib installed it also writes crossbar_recall.png: the mean overlap against the
strength of each non-ideality, one panel each, with the digital recall for reference.

Run:  python examples/crossbar_recall.py
"""
import time

import numpy as np

from circuits.crossbar import crossbar_recall
from neurodyn import plot
from neurodyn.hopfield import Hopfield

SWEEPS = [
    ("levels", [None, 64, 16, 8, 4, 3, 2]),
    ("variation", [0.0, 0.1, 0.2, 0.3, 0.5]),
    ("stuck_off", [0.0, 0.02, 0.05, 0.1, 0.2]),
    ("stuck_on", [0.0, 0.02, 0.05, 0.1, 0.2]),
    ("read_noise", [0.0, 0.1, 0.2, 0.3, 0.5]),
    ("r_wire", [0.0, 1.0, 10.0, 100.0, 1000.0]),
]


def make_problem(N=100, p=5, n_probes=60, flip=0.15, seed=0):
    """Patterns, the Hopfield network storing them, probes and the pattern of each probe."""
    rng = np.random.default_rng(seed)
    P = rng.choice(np.array([-1, 1], np.int8), size=(p, N))
    net = Hopfield.from_patterns(P)
    target = P[np.arange(n_probes) % p]
    probes = target.copy()
    k = int(round(flip * N))
    for row in probes:
        row[rng.choice(N, k, replace=False)] *= -1
    return net, probes, target


def degradation_table(N=100, p=5, n_probes=60, flip=0.15, seed=0, n_arrays=3,
                      sweeps=SWEEPS):
    """Rows ``(name, value, mean overlap, fraction exact, reference)``, averaged over
    ``n_arrays`` independently programmed crossbars (seeds ``seed + 1 ...``); reference is the
    overlap of the digital ``Hopfield.recall(mode="sync")``."""
    net, probes, target = make_problem(N, p, n_probes, flip, seed)
    ref = net.recall(probes, mode="sync").overlaps(target).mean()
    rows = []
    for name, values in sweeps:
        for value in values:
            kw = {} if value is None else {name: value}
            m = np.concatenate([
                crossbar_recall(net, probes, seed=seed + 1 + a, **kw)[0].overlaps(target)
                for a in range(n_arrays)])
            rows.append((name, value, float(m.mean()), float(np.mean(m == 1.0)), float(ref)))
    return rows


def main():
    N, p, n_probes, flip = 100, 10, 100, 0.2
    t0 = time.perf_counter()
    rows = degradation_table(N, p, n_probes, flip)
    print(f"Hebbian Hopfield N={N}, p={p} patterns, {n_probes} probes with {flip:.0%} of bits "
          f"flipped; g in [1, 100] uS; 3 crossbars per setting")
    print(f"digital sync recall (neurodyn.Hopfield): mean overlap {rows[0][4]:.4f}")
    print(f"{'non-ideality':>12} {'value':>8} {'overlap':>8} {'exact':>6}")
    for name, value, m, exact, _ in rows:
        shown = "ideal" if value is None or value == 0 else f"{value:g}"
        print(f"{name:>12} {shown:>8} {m:8.4f} {exact:6.2f}")
    print(f"({time.perf_counter() - t0:.1f} s)")
    save_figure(rows)


UNITS = {"levels": "conductance levels", "variation": "programming variation (relative SD)",
         "stuck_off": "fraction stuck OFF", "stuck_on": "fraction stuck ON",
         "read_noise": "read noise (relative SD)", "r_wire": "wire resistance per cell (ohm)"}


def save_figure(rows, png="crossbar_recall.png"):
    """Overlap against each non-ideality's strength, when matplotlib is installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    names = list(dict.fromkeys(r[0] for r in rows))
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for ax, name in zip(axes.ravel(), names):
        # the ideal setting of "levels" is None (unquantised): it is the reference line
        pts = [(v, m) for n, v, m, _, _ in rows if n == name and v is not None]
        x, m = np.array(pts).T
        plot.sweep(x, m, ax=ax, reference=rows[0][4], reference_label="digital recall",
                   xlabel=UNITS[name], ylabel="mean overlap",
                   xscale="log" if name == "levels" else
                   ("symlog" if name == "r_wire" else "linear"))
        ax.set_ylim(min(0.0, float(np.nanmin(m)) - 0.05), 1.05)
        ax.set_title(name)
    fig.axes[0].legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main()
