"""
Completing corrupted letters with a Hopfield network
====================================================

Completing corrupted letters with a Hopfield network.

Run: python examples/hopfield_letters.py [--out hopfield_letters.png] [--noise 0.2]

Seven 10 x 10 letter bitmaps (drawn below as strings, no download) are stored in a
100-neuron network, each letter is corrupted by flipping a fraction of its pixels, and the
network recalls it asynchronously. Letters are far from random patterns: they share strokes
(A, H and K have the same left bar), so their overlaps are large. The Hebbian rule suffers
from that — most letters are not even fixed points, recall ends in mixtures — while the
pseudoinverse (projection) rule stores correlated patterns as well as random ones: it
completes every letter. Prints the letters before and after recall as ASCII art and writes a
figure.
"""
import argparse

import numpy as np

from neurodyn import plot
from neurodyn.hopfield import Hopfield

GLYPHS = {
    "A": ["...##.....",
          "..####....",
          ".##..##...",
          "##....##..",
          "##....##..",
          "########..",
          "##....##..",
          "##....##..",
          "##....##..",
          ".........."],
    "C": ["..#####...",
          ".##...##..",
          "##........",
          "##........",
          "##........",
          "##........",
          "##........",
          ".##...##..",
          "..#####...",
          ".........."],
    "H": ["##....##..",
          "##....##..",
          "##....##..",
          "##....##..",
          "########..",
          "##....##..",
          "##....##..",
          "##....##..",
          "##....##..",
          ".........."],
    "K": ["##....##..",
          "##...##...",
          "##..##....",
          "##.##.....",
          "####......",
          "##.##.....",
          "##..##....",
          "##...##...",
          "##....##..",
          ".........."],
    "T": ["##########",
          "##########",
          "....##....",
          "....##....",
          "....##....",
          "....##....",
          "....##....",
          "....##....",
          "....##....",
          ".........."],
    "X": ["##......##",
          ".##....##.",
          "..##..##..",
          "...####...",
          "....##....",
          "...####...",
          "..##..##..",
          ".##....##.",
          "##......##",
          ".........."],
    "Z": ["#########.",
          "......##..",
          ".....##...",
          "....##....",
          "...##.....",
          "..##......",
          ".##.......",
          "##........",
          "#########.",
          ".........."],
}
SHAPE = (10, 10)


def bitmap(rows):
    """'#' -> +1, '.' -> -1, as a flat vector."""
    return np.array([1 if c == "#" else -1 for row in rows for c in row], dtype=np.int8)


def ascii_art(states, labels):
    """The states side by side as text, one 10 x 10 block each."""
    blocks = [[("".join("#" if v > 0 else "." for v in s.reshape(SHAPE)[r]))
               for r in range(SHAPE[0])] for s in states]
    head = "  ".join(f"{lab:<{SHAPE[1]}}" for lab in labels)
    body = ["  ".join(b[r] for b in blocks) for r in range(SHAPE[0])]
    return "\n".join([head] + body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="hopfield_letters.png", help="PNG to write")
    ap.add_argument("--noise", type=float, default=0.2, help="fraction of pixels flipped")
    args = ap.parse_args()

    letters = list(GLYPHS)
    P = np.array([bitmap(GLYPHS[c]) for c in letters])
    n = P.shape[1]
    C = P @ P.T / n
    off = C[~np.eye(len(P), dtype=bool)]
    print(f"{len(P)} letters on {n} pixels (load {len(P) / n:.2f}); overlaps between letters "
          f"from {off.min():+.2f} to {off.max():+.2f} (random patterns: about +-0.1)\n")

    rng = np.random.default_rng(0)
    n_flip = round(args.noise * n)
    probes = P.copy()
    for k in range(len(P)):
        probes[k, rng.choice(n, size=n_flip, replace=False)] *= -1

    results = {}
    for rule in ("hebbian", "pseudoinverse"):
        net = Hopfield.from_patterns(P, rule=rule)
        stable = net.recall(P, mode="sync", max_sweeps=1).converged
        r = net.recall(probes, mode="async", seed=1)
        results[rule] = r
        m = r.overlaps(P)
        print(f"{rule}: {int(stable.sum())} of {len(P)} letters are fixed points; "
              f"recalled exactly: {int(np.sum(m == 1))} of {len(P)}")
        print("  overlap after recall: " + "  ".join(f"{c} {v:+.2f}" for c, v in
                                                       zip(letters, m)))
    print()
    for k, c in enumerate(letters):
        print(ascii_art([P[k], probes[k], results["hebbian"].states[k],
                         results["pseudoinverse"].states[k]],
                        [c, f"{int(args.noise * 100)}% noise", "hebbian", "pseudoinverse"]))
        print()

    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return  # matplotlib is optional: no figure without it
    rows = [("stored", P), (f"{args.noise:.0%} flipped", probes),
            ("Hebbian", results["hebbian"].states),
            ("pseudoinverse", results["pseudoinverse"].states)]
    fig, ax = plt.subplots(figsize=(1.3 * len(P) + 1.2, 1.45 * len(rows)))
    plot.patterns(np.vstack([X for _, X in rows]), SHAPE, ax=ax, ncols=len(P),
                  titles=letters + [""] * (len(rows) - 1) * len(P),
                  row_labels=[title for title, _ in rows])
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)  # left open: the documentation's gallery shows pyplot's figures
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
