"""W4 (echo-state network, N = 1000, density 1 %, spectral radius 0.9, leak 0.3, tanh,
Mackey-Glass tau = 17, 20,000 steps, ridge 1e-6, washout 1000, one-step prediction, test on
the last 2,000 pairs): neurodyn's ESN against ReservoirPy 0.4 and a plain NumPy +
scipy.sparse loop, all on the identical problem (fingerprint-checked series and reservoir), in
this one process.

Rows, for each implementation:
* ``run``: the reservoir driven by the 20,000 samples (states kept, x[-1] = 0);
* ``fit``: the ridge readout (unregularised bias) from the 16,999 training states;
* ``run+fit``: both, as one call (ours: ``ESN.fit(u, y, washout=1000)``, which runs the
  reservoir straight into column-major storage and accumulates the Gram matrix with dsyrk;
  peers: their run followed by their fit).
NRMSE: test NRMSE = RMSE / std(targets) of the one-step predictions on the last 2,000 pairs
(the states of the same uninterrupted run). Ratios: peer median / ours median.

The floors: the run is 20,000 sequential steps of a 9,996-entry sparse product and 1000
tanh; the fit is a 1000 x 1000 Gram matrix over 16,999 states (1.7e10 flops as a symmetric
rank-k update, half of X^T X) plus a 1000 x 1000 Cholesky solve. The script prints the time of
a bare dsyrk on the training states and of one ``X.T @ X`` so the fit rows can be read
against them.

Usage: python benchmarks/bench_w4.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import begin, dump_json, end, failed_row, print_table, timed_row
from benchmarks.workloads import build_w4

LEAK = 0.3


def ours(w):
    """(run, fit, run+fit) callables of neurodyn on W4; each returns test predictions."""
    from neurodyn.esn import ESN, ridge_fit

    esn = ESN(W=w.W, Win=w.Win, spectral_radius=None, leak_rate=w.leak, ridge=w.ridge,
              seed=0)
    assert esn.sparse
    series = w.series
    tr, te = w.train, w.test
    state = {}

    def run():
        X = esn.run(series, reset=True, order="F")
        state["X"] = X
        return X

    def fit():
        X = state["X"]
        Wout, b = ridge_fit(X[tr], w.y[tr], w.ridge)
        return X[te] @ Wout + b

    def run_fit():
        esn.fit(series[:te.start], series[1:te.start + 1], washout=w.washout, reset=True)
        return esn.predict(series[te.start:te.stop])

    return run, fit, run_fit


def ours_generated(w):
    """Our ESN generating W4's reservoir from its seed (the same draws as WORKLOADS.md)."""
    from benchmarks.workloads import fingerprint
    from neurodyn.esn import ESN

    t0 = time.perf_counter()
    esn = ESN(1000, density=0.01, spectral_radius=0.9, leak_rate=LEAK, seed=0)
    dt = time.perf_counter() - t0
    fp = fingerprint(esn.W.indptr, esn.W.indices, esn.W.data, esn.Win)
    return dt, fp


def reservoirpy_peer(w):
    """ReservoirPy 0.4: Reservoir(W, Win, lr=0.3, bias 0) and Ridge(ridge=1e-6)."""
    from reservoirpy.nodes import Reservoir, Ridge

    u = w.series[:, None]
    tr, te = w.train, w.test
    state = {}

    def make_res():
        return Reservoir(W=w.W.copy(), Win=w.Win.copy(), lr=w.leak, bias=0.0,
                         activation="tanh")

    def run():
        res = make_res()
        X = res.run(u)
        state["X"] = X
        return X

    def fit():
        X = state["X"]
        ridge = Ridge(ridge=w.ridge)
        ridge.fit(X[tr], w.y[tr])
        return ridge.run(X[te])

    def run_fit():
        res = make_res()
        X = res.run(u)
        ridge = Ridge(ridge=w.ridge)
        ridge.fit(X[tr], w.y[tr])
        return ridge.run(X[te])

    return run, fit, run_fit


def numpy_peer(w):
    """A plain NumPy + scipy.sparse loop and the normal equations with X.T @ X."""
    import scipy.linalg as sla

    W, win, a = w.W, w.Win[:, 0], w.leak
    series = w.series
    tr, te = w.train, w.test
    state = {}

    def run():
        X = np.empty((series.size, W.shape[0]))
        x = np.zeros(W.shape[0])
        for t in range(series.size):
            x = (1 - a) * x + a * np.tanh(W @ x + win * series[t])
            X[t] = x
        state["X"] = X
        return X

    def ridge(X, Y):
        mx, my = X.mean(0), Y.mean(0)
        G = X.T @ X - X.shape[0] * np.outer(mx, mx)
        C = X.T @ Y - X.shape[0] * np.outer(mx, my)
        G[np.diag_indices_from(G)] += w.ridge
        Wout = sla.solve(G, C, assume_a="pos")
        return Wout, my - mx @ Wout

    def fit():
        X = state["X"]
        Wout, b = ridge(X[tr], w.y[tr])
        return X[te] @ Wout + b

    def run_fit():
        X = run()
        Wout, b = ridge(X[tr], w.y[tr])
        return X[te] @ Wout + b

    return run, fit, run_fit


def floors(w, X, repeats=5):
    """Medians of a bare dsyrk and of X.T @ X on the training states (column-major)."""
    from scipy.linalg.blas import dsyrk

    Xt = np.asfortranarray(X[w.train])
    out = {}
    for name, fn in (("dsyrk(X^T X), F order", lambda: dsyrk(1.0, Xt, trans=1)),
                     ("X.T @ X (gemm)", lambda: Xt.T @ Xt)):
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        out[name] = statistics.median(ts)
    return out


def main():
    args, info, monitor = begin(__doc__, "W4 echo-state network (N=1000, density 1%, sr 0.9, "
                                "leak 0.3, Mackey-Glass 20,000 steps, ridge 1e-6)")
    w = build_w4()
    print(f"series fingerprint {w.fingerprint_series}, reservoir fingerprint "
          f"{w.fingerprint_reservoir} (both checked); repeats = {args.repeats}")
    try:
        dt, fp = ours_generated(w)
        same = "identical to W4" if fp == w.fingerprint_reservoir else "DIFFERENT from W4"
        print(f"ESN(1000, density=0.01, spectral_radius=0.9, seed=0) builds in {dt:.3f} s; "
              f"its reservoir fingerprint {fp} is {same}")
    except Exception as exc:  # report, keep measuring
        print(f"ours: generating the W4 reservoir failed: {type(exc).__name__}: {exc}")
    print()
    rows = []
    X_for_floor = None
    for label, make, is_ours in (("ours", ours, True), ("ReservoirPy 0.4", reservoirpy_peer,
                                                        False),
                                 ("NumPy+scipy.sparse", numpy_peer, False)):
        try:
            run, fit, run_fit = make(w)
        except ImportError as exc:
            print(f"skipped {label}: import failed ({exc})")
            continue
        for part, fn in (("run", run), ("fit", fit), ("run+fit", run_fit)):
            name = f"{label} {part}"
            match = None if is_ours else f"ours {part}"
            try:
                row, res = timed_row(name, fn, args.repeats, ours=is_ours, match=match)
                if part == "run":
                    if is_ours:
                        X_for_floor = res
                    row.extra["nrmse"] = "-"
                else:
                    row.extra["nrmse"] = f"{w.nrmse(res):.3e}"
                rows.append(row)
            except Exception as exc:  # keep measuring the others
                rows.append(failed_row(name, exc, ours=is_ours, match=match))
    print_table(rows, extra_cols=("nrmse",))
    if X_for_floor is not None:
        fl = floors(w, X_for_floor)
        print("\nfloors on these training states (median of 5): "
              + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in fl.items()))
    sums = {}
    for r in rows:
        label, part = r.name.rsplit(" ", 1)
        if r.median_s:
            sums.setdefault(label, {})[part] = r.median_s
    if "ours" in sums and "ReservoirPy 0.4" in sums:
        o, p = sums["ours"], sums["ReservoirPy 0.4"]
        if {"run", "fit"} <= o.keys() and {"run", "fit"} <= p.keys():
            print(f"run + fit medians: ours {o['run'] + o['fit']:.3f} s (one call "
                  f"{o.get('run+fit', float('nan')):.3f} s), ReservoirPy "
                  f"{p['run'] + p['fit']:.3f} s: ratio "
                  f"{(p['run'] + p['fit']) / (o['run'] + o['fit']):.2f}x (bar 1.5x)")
    end(info, monitor)
    dump_json(args.json, info, rows, workload="W4", fingerprint=w.fingerprint_reservoir)


if __name__ == "__main__":
    main()
