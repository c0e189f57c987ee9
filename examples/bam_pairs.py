"""
BAM: letter bitmaps paired with code words
==========================================

A BAM that pairs 5x7 letter bitmaps with 8-bit code words, and recalls across the pair.

Run: python examples/bam_pairs.py

1. Stores five (bitmap, code) pairs, W = X^T Y.
2. Corrupts a bitmap, recalls from it, prints the probe, the recalled bitmap, the letter whose
   code came back and the energy after every half-step (it never increases).
3. Recalls a bitmap from its code alone (the other direction).
4. Measures how often corrupted bitmaps recall the right pair, by number of flipped pixels.
5. Integrates the continuous-time BAM on the same weights from a corrupted bitmap and shows
   that its energy falls monotonically to a state whose signs are the stored pair.

With matplotlib installed it also writes bam_pairs.png: the stored bitmaps, the probe and
what came back, and the continuous BAM's energy along its trajectory.
"""
import numpy as np
from scipy.linalg import hadamard

import solvers
from neurodyn import plot
from neurodyn.bam import BAM

LETTERS = {
    "T": ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
    "L": ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
    "X": ["#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"],
    "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "H": ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
}
NAMES = list(LETTERS)
# Bitmaps as bipolar vectors (# -> +1, . -> -1), 35 pixels each.
X = np.array([[1.0 if c == "#" else -1.0 for row in LETTERS[k] for c in row] for k in NAMES])
# Code words: rows of an 8x8 Hadamard matrix (mutually orthogonal, so the codes do not
# interfere with one another when the BAM recalls bitmaps from codes).
Y = hadamard(8)[1:len(NAMES) + 1].astype(float)


def show(*bitmaps, titles=()):
    print("   ".join(f"{t:<5}" for t in titles))
    for r in range(7):
        print("   ".join("".join("#" if v > 0 else "." for v in b[5 * r:5 * r + 5])
                         for b in bitmaps))


def letter_of(code):
    hits = [k for k, y in zip(NAMES, Y) if np.array_equal(code, y)]
    return hits[0] if hits else "?"


def main():
    rng = np.random.default_rng(0)
    bam = BAM.from_pairs(X, Y)
    print(f"stored {len(NAMES)} pairs: {bam.n}-pixel bitmaps <-> {bam.m}-bit codes\n")

    probe = X[NAMES.index("H")].copy()
    probe[rng.choice(35, 4, replace=False)] *= -1
    r = bam.recall_info(x=probe, trace=True)
    show(probe, r.x, titles=("probe", "recalled"))
    print(f"code recalled: {r.y.astype(int)} -> letter {letter_of(r.y)}; "
          f"converged={r.converged} after {r.iterations} rounds")
    print("energy per half-step:", r.energies.astype(int).tolist())
    assert np.all(np.diff(r.energies) <= 0)
    print("energy never increased\n")

    x, _ = bam.recall(y=Y[NAMES.index("X")])
    show(x, titles=("from code of X",))
    print()

    print("flipped pixels   pairs recalled (of 100 probes)")
    for flips in (0, 2, 4, 6, 8):
        probes = np.repeat(X, 20, axis=0)
        want = np.repeat(np.arange(len(NAMES)), 20)
        for p in probes:
            p[rng.choice(35, flips, replace=False)] *= -1
        xs, ys = bam.recall(x=probes)
        ok = np.all(xs == X[want], axis=1) & np.all(ys == Y[want], axis=1)
        print(f"{flips:>14}   {int(ok.sum()):>3}")

    # The continuous-time BAM on the same weights: a decays fast enough that the states stay
    # O(1) while the field W S(y) is O(n).
    net = bam.continuous(a=10.0, b=10.0, gain=2.0)
    z0 = np.concatenate([0.1 * probe, np.zeros(bam.m)])
    t = np.linspace(0.0, 3.0, 61)
    sol = solvers.solve(net, (0.0, 3.0), z0, t_eval=t, rtol=1e-10, atol=1e-12)
    E = net.energy(sol.y)
    xc, yc = net.split(sol.y[-1])
    print(f"\ncontinuous BAM: energy {E[0]:.3f} -> {E[-1]:.3f}, monotone: "
          f"{bool(np.all(np.diff(E) <= 1e-9))}; sign(y) -> letter {letter_of(np.sign(yc))}, "
          f"sign(x) is its bitmap: {bool(np.array_equal(np.sign(xc), X[NAMES.index('H')]))}")
    save_figure(probe, r.x, x, net, sol)


def save_figure(probe, recalled, from_code, net, sol, png="bam_pairs.png"):
    """The bitmaps and the continuous BAM's energy, when matplotlib is installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (ax_p, ax_e) = plt.subplots(1, 2, figsize=(11, 3.6),
                                     gridspec_kw={"width_ratios": [1.6, 1]})
    plot.patterns(np.vstack([X, probe, recalled, from_code]), (7, 5), ax=ax_p,
                  titles=NAMES + ["probe", "recalled", "from code"])
    plot.energy(net, sol, ax=ax_e, label="continuous BAM from the probe")
    ax_e.set_title("the energy falls monotonically", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main()
