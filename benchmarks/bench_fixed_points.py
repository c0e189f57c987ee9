"""fixed_points of a 100-neuron random CTRNN (W ~ N(0, g^2/N), g = 1.5, seed 0, biases 0,
tau 1, tanh activation, so that g > 1 gives many fixed points; with the sigmoid the slope at 0
is 1/4 and g = 1.5 has a single stable one, ``--activation sigmoid``): neurodyn against SciPy ``fsolve`` multistart with a NumPy right-hand side and
Jacobian written here, from the same starting points, in this one process.

Ours: ``fixed_points(net, n_starts=64, seed=0)`` (64 random starts plus up to 64 states sampled
along 16 trajectories; Newton = SciPy ``root(method="hybr")`` with the compiled RHS and
analytic Jacobian; de-duplication; eigenvalues and classification of every point found).
Peer: ``scipy.optimize.fsolve`` (the same MINPACK hybrj) with ``fprime``, a NumPy RHS and
Jacobian, from exactly the starts ours used, then the same residual filter and de-duplication,
plus eigenvalues of each point (so both do the same work). The issue's bar: under 5 s.

Prints: the first call (includes JIT compilation or loading the compiled-code cache), the
median/min/max of ``--repeats`` warm calls (``time.perf_counter``), the number of fixed points
found, the largest residual and the ratio peer/ours.

Usage: python benchmarks/bench_fixed_points.py [--repeats R] [--n N] [--g G]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from scipy.optimize import fsolve

from neurodyn import CTRNN
from neurodyn.analysis.fixed_points import _starts, fixed_points
from neurodyn.analysis.jacobian import _Evaluator


def numpy_multistart(W, bias, starts, activation, max_residual=1e-8, dedup_tol=1e-6):
    """fsolve from each start with a NumPy CTRNN (tau = 1, gain = 1)."""
    n = W.shape[0]
    eye = np.eye(n)
    if activation == "tanh":
        def act(x):
            return np.tanh(x)

        def dact(x):
            return 1.0 - np.tanh(x) ** 2
    else:
        def act(x):
            return 1.0 / (1.0 + np.exp(-x))

        def dact(x):
            s = 1.0 / (1.0 + np.exp(-x))
            return s * (1.0 - s)

    def f(y):
        return -y + W @ act(y + bias)

    def fprime(y):
        return -eye + W * dact(y + bias)

    pts = []
    for y0 in starts:
        with warnings.catch_warnings():  # starts that do not converge are expected
            warnings.simplefilter("ignore", RuntimeWarning)
            x = fsolve(f, y0, fprime=fprime, xtol=1e-10)
        r = np.max(np.abs(f(x)))
        if r <= max_residual:
            pts.append((x, r))
    kept = []
    for x, r in sorted(pts, key=lambda p: p[1]):
        scale = max(1.0, np.max(np.abs(x)))
        if all(np.max(np.abs(x - k[0])) > dedup_tol * scale for k in kept):
            kept.append((x, r))
    eig = [np.linalg.eigvals(fprime(x)) for x, _ in kept]
    return kept, eig


def timed(fn, repeats):
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return out, first, ts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--g", type=float, default=1.5)
    ap.add_argument("--n-starts", type=int, default=64)
    ap.add_argument("--activation", choices=("tanh", "sigmoid"), default="tanh")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    W = rng.normal(0.0, a.g / np.sqrt(a.n), (a.n, a.n))
    bias = np.zeros(a.n)
    net = CTRNN(W, bias=bias, activation=a.activation)

    fps, first, ts = timed(lambda: fixed_points(net, n_starts=a.n_starts, seed=0), a.repeats)
    # The exact starts ours used (same seed, same trajectories), outside the peer's timing.
    starts = _starts(net, _Evaluator(net), a.n_starts, 0, None, True, 20.0, "bench")
    (peer, _), pfirst, pts = timed(lambda: numpy_multistart(W, bias, starts, a.activation), a.repeats)

    med, pmed = statistics.median(ts), statistics.median(pts)
    print(f"random CTRNN n={a.n}, g={a.g}, {a.activation}, {len(starts)} starts "
          f"({a.n_starts} random + {len(starts) - a.n_starts} trajectory samples)")
    print(f"{'row':<34}{'first s':>9}{'median s':>10}{'min s':>8}{'max s':>8}"
          f"{'points':>8}{'max residual':>14}")
    print(f"{'neurodyn fixed_points':<34}{first:9.3f}{med:10.3f}{min(ts):8.3f}{max(ts):8.3f}"
          f"{len(fps):8d}{max(p.residual for p in fps):14.2e}")
    print(f"{'scipy fsolve + NumPy (same starts)':<34}{pfirst:9.3f}{pmed:10.3f}"
          f"{min(pts):8.3f}{max(pts):8.3f}{len(peer):8d}"
          f"{max(r for _, r in peer):14.2e}")
    same = sum(min(np.max(np.abs(p.x - x)) for x, _ in peer) < 1e-6 for p in fps)
    print(f"ratio peer/ours (median): {pmed / med:.2f}; points found by both: {same}")
    print(f"stability: {sorted({p.stability for p in fps})}")
    print(f"bar: under 5 s warm -> {'met' if med < 5 else 'NOT met'} ({med:.3f} s)")


if __name__ == "__main__":
    main()
