"""Multi-sequence readout fit: NARMA10, 10 training sequences of 2,000 steps (washout 100 each),
a sparse reservoir of N = 500 (2 % density, spectral radius 0.9, leak 1, input scaling 0.2,
bias 0.2, tanh), ridge 1e-6; neurodyn's ``ESN.fit(list_of_u, list_of_y, washout=100)`` against ReservoirPy 0.4's
``(Reservoir >> Ridge).fit(list_of_u, list_of_y, warmup=100)`` with OUR W, Win and bias (so the
states are the same), in this one process.

Rows:
* ``ours fit(list)``: one call; each sequence runs from zero (compiled loop) straight into a
  column-major block of shifted states, and one ``dsyrk`` per block accumulates the Gram
  matrix (the states of all sequences are never held together);
* ``ours run+concat+ridge_fit``: the workaround a user had before: ``ESN.run`` per sequence,
  ``np.vstack`` of the kept states, one ``ridge_fit``;
* ``ReservoirPy fit(list)``: a fresh ``Reservoir(W, Win, bias, lr) >> Ridge(ridge)`` fitted on
  the lists (its reservoir runs every sequence from the same zero state, as ours does by
  default; its Ridge sums ``X^T X`` per sequence).
NRMSE: RMSE / std of the targets over two held-out NARMA10 sequences (each from the zero
state, first 100 steps dropped), of the readout each fit produced. Ratio: peer median / ours
median. The data (NARMA10 from ``neurodyn.datasets.narma``, seeds 0..11) and the reservoir
(``ESN(500, density=0.02, ..., seed=0)``) are drawn by this script.

Usage: python benchmarks/bench_multiseq.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import begin, dump_json, end, failed_row, print_table, timed_row

N, DENSITY, SR, LEAK, INPUT, BIAS, RIDGE = 500, 0.02, 0.9, 1.0, 0.2, 0.2, 1e-6
N_TRAIN, N_TEST, STEPS, WASHOUT = 10, 2, 2000, 100


def data():
    from neurodyn.datasets import narma

    seqs = [narma(STEPS, 10, seed=s) for s in range(N_TRAIN + N_TEST)]
    us = [u[:, None] for u, _ in seqs]
    ys = [y[:, None] for _, y in seqs]
    return us[:N_TRAIN], ys[:N_TRAIN], us[N_TRAIN:], ys[N_TRAIN:]


def reservoir():
    from neurodyn.esn import ESN

    return ESN(N, density=DENSITY, spectral_radius=SR, leak_rate=LEAK, input_scaling=INPUT,
               bias_scaling=BIAS, ridge=RIDGE, seed=0)


def nrmse(pred_list, y_list):
    p = np.vstack([p[WASHOUT:] for p in pred_list])
    y = np.vstack([y[WASHOUT:] for y in y_list])
    return float(np.sqrt(np.mean((p - y) ** 2)) / np.std(y))


def ours(esn, us, ys, test_u):
    def fit():
        esn.fit(us, ys, washout=WASHOUT)
        return esn.Wout.copy(), esn.bias_out.copy()

    def workaround():
        from neurodyn.esn import ridge_fit

        X = np.vstack([esn.run(u, reset=True)[WASHOUT:] for u in us])
        return ridge_fit(X, np.vstack([y[WASHOUT:] for y in ys]), RIDGE)

    def predict(readout):
        Wout, b = readout
        return [esn.run(u, reset=True) @ Wout + b for u in test_u]

    return fit, workaround, predict


def reservoirpy_peer(esn, us, ys, test_u):
    from reservoirpy.nodes import Reservoir, Ridge

    def model():
        res = Reservoir(W=esn.W.copy(), Win=np.array(esn.Win), bias=np.array(esn.bias),
                        lr=LEAK, activation="tanh")
        return res >> Ridge(ridge=RIDGE)

    def fit():
        m = model()
        m.fit(us, ys, warmup=WASHOUT)
        return m

    def predict(m):
        out = []
        for u in test_u:
            m.reset()
            out.append(m.run(u))
        return out

    return fit, predict


def main():
    args, info, monitor = begin(__doc__, f"multi-sequence fit: NARMA10, {N_TRAIN} sequences x "
                                f"{STEPS} steps, washout {WASHOUT}, sparse reservoir N={N}")
    us, ys, test_u, test_y = data()
    esn = reservoir()
    print(f"reservoir: {esn!r}, {esn.W.nnz} nonzero weights; repeats = {args.repeats}\n")
    rows = []
    fit, workaround, predict = ours(esn, us, ys, test_u)
    for name, fn in (("ours fit(list)", fit), ("ours run+concat+ridge_fit", workaround)):
        try:
            row, res = timed_row(name, fn, args.repeats, ours=True)
            row.extra["nrmse"] = f"{nrmse(predict(res), test_y):.6e}"
            rows.append(row)
        except Exception as exc:  # keep measuring the others
            rows.append(failed_row(name, exc, ours=True))
    try:
        pfit, ppredict = reservoirpy_peer(esn, us, ys, test_u)
        try:
            row, m = timed_row("ReservoirPy 0.4 fit(list)", pfit, args.repeats,
                               match="ours fit(list)")
            row.extra["nrmse"] = f"{nrmse(ppredict(m), test_y):.6e}"
            rows.append(row)
        except Exception as exc:
            rows.append(failed_row("ReservoirPy 0.4 fit(list)", exc, match="ours fit(list)"))
    except ImportError as exc:
        print(f"skipped ReservoirPy: import failed ({exc})")
    print_table(rows, extra_cols=("nrmse",))
    byname = {r.name: r for r in rows if r.median_s}
    o, p = byname.get("ours fit(list)"), byname.get("ReservoirPy 0.4 fit(list)")
    if o and p:
        print(f"\nfit(list) medians: ours {o.median_s:.3f} s, ReservoirPy {p.median_s:.3f} s: "
              f"ratio {p.median_s / o.median_s:.2f}x (bar 1.5x); NRMSE ours "
              f"{o.extra['nrmse']}, ReservoirPy {p.extra['nrmse']}")
    end(info, monitor)
    dump_json(args.json, info, rows, workload="NARMA10 multi-sequence")


if __name__ == "__main__":
    main()
