"""W10 (FORCE learning, Sussillo & Abbott 2009): N = 1000, g = 1.5, sparse J (p = 0.1),
w_f uniform in [-1, 1], alpha = 1, dt = 0.1, an RLS update every 2 steps, 1440 time units of
training then 1440 of testing, the published target; seed 0. neurodyn's compiled
``neurodyn.train.force`` against plain NumPy implementations of the same algorithm on the
identical network (the J, w_f and x0 that ``force`` drew), in this one process.

Rows:
* ``ours``: ``force(target, 14400, seed=0)`` — one compiled loop (CSR mat-vec, the RLS update
  of P in place, two passes over P per update, both split by rows over the cores), drawing J
  included (~0.1 s);
* ``NumPy, np.outer``: the loop as the paper's MATLAB demo writes it, ``J @ r`` with
  scipy.sparse, ``Pr = P @ r`` (BLAS dgemv), ``P -= np.outer(k, Pr)`` (an N x N temporary);
* ``NumPy + BLAS dger``: the same with the rank-1 update in place through
  ``scipy.linalg.blas.dger`` (no temporary): what a user who profiled the first would write.
Figures: wall time of training + testing (median of ``--repeats`` calls after a first one),
process CPU time (BLAS threads show up as cpu > wall), train and test mean absolute error of z
against f. Ratio: NumPy median / ours median (the bar: >= 3x).

The floor: 7,200 RLS updates each read P (8 MB) twice and write it once, plus 28,800 sparse
products of 100,000 entries; the script prints a bare ``P @ r`` and one ``rls_update`` so the
rows can be read against them.

Usage: python benchmarks/bench_force.py [--repeats R] [--json PATH] [--wait-idle S]
       [--retries K] [--quick]
(``--quick``: one timed call per row; default 3. Each NumPy call takes ~1-2 minutes.)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import common
from benchmarks.common import (LoadMonitor, dump_json, end, failed_row, machine_info,
                               print_header, print_table, timed_row, wait_idle)

N_TRAIN = N_TEST = 14400
DT = 0.1


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="one timed call per row")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per row after the "
                   "first (default 3, --quick 1)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--wait-idle", type=float, default=30.0, metavar="S",
                   help="first wait up to S seconds for an idle CPU (default 30; 0: no wait)")
    p.add_argument("--retries", type=int, default=1, metavar="K",
                   help="time a row again, up to K times, when other processes used more than "
                   f"{common.BUSY_CORES} cores meanwhile (default 1)")
    a = p.parse_args()
    if a.repeats is None:
        a.repeats = 1 if a.quick else 3
    a.repeats = max(1, a.repeats)
    return a


def numpy_force(J, w_f, x0, F, n_train, alpha, dt, learn_every, inplace):
    """FORCE with one readout in NumPy: returns z at every step."""
    from scipy.linalg.blas import dger

    N = x0.size
    x = x0.copy()
    r = np.tanh(x)
    w = np.zeros(N)
    z = 0.0
    P = np.eye(N) / alpha
    PT = P.T  # F-contiguous view: dger updates it in place (P is symmetric)
    zs = np.empty(len(F))
    for k in range(len(F)):
        if k == n_train:
            z = w @ r           # testing: the closed loop of the trained w
        x += dt * (-x + J @ r + w_f * z)
        r = np.tanh(x)
        z = w @ r
        zs[k] = z
        if k < n_train and (k + 1) % learn_every == 0:
            Pr = P @ r
            c = 1.0 / (1.0 + r @ Pr)
            if inplace:
                dger(-c, Pr, Pr, a=PT, overwrite_a=1)
            else:
                P -= np.outer(c * Pr, Pr)
            w -= (c * (z - F[k])) * Pr
    return zs


def floors(repeats=20):
    """Medians of a bare ``P @ r`` and of one compiled RLS update (serial and over the cores,
    as ``force`` runs it) at N = 1000."""
    from neurodyn.train._rls import rls_update, rls_update_parallel

    rng = np.random.default_rng(0)
    P = np.eye(1000)
    r = np.tanh(rng.standard_normal(1000))
    w, e, Pr = np.zeros((1000, 1)), np.array([1e-3]), np.empty(1000)
    rls_update(P, r, e, w, Pr)
    rls_update_parallel(P, r, e, w, Pr)
    out = {}
    for name, fn in (("P @ r (BLAS dgemv)", lambda: P @ r),
                     ("rls_update (compiled)", lambda: rls_update(P, r, e, w, Pr)),
                     ("rls_update_parallel", lambda: rls_update_parallel(P, r, e, w, Pr))):
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        out[name] = statistics.median(ts)
    return out


def main():
    args = parse_args()
    common.RETRIES = max(0, args.retries)
    wait_idle(args.wait_idle)
    info = machine_info()
    print_header("W10 FORCE learning (N=1000, g=1.5, p=0.1, alpha=1, dt=0.1, RLS every 2 "
                 "steps, 1440 + 1440 time units, seed 0)", info)
    monitor = LoadMonitor()
    from neurodyn.train.force import force, force_target

    t = DT * np.arange(1, N_TRAIN + N_TEST + 1)
    F = force_target(t)
    ref = force(F, N_TRAIN, seed=0)   # the network every row uses (and a compile, untimed)
    J, w_f, x0 = ref.J, ref.w_f[:, 0].copy(), ref.x0.copy()
    print(f"network: N = {J.shape[0]}, {J.nnz} recurrent weights; repeats = {args.repeats}\n")

    def mae(z):
        e = np.abs(np.asarray(z).reshape(-1) - F)
        return f"{e[:N_TRAIN].mean():.4f}", f"{e[N_TRAIN:].mean():.4f}"

    rows = []
    candidates = [
        ("ours", True, lambda: force(F, N_TRAIN, seed=0).z[:, 0]),
        ("NumPy, np.outer", False,
         lambda: numpy_force(J, w_f, x0, F, N_TRAIN, 1.0, DT, 2, inplace=False)),
        ("NumPy + BLAS dger", False,
         lambda: numpy_force(J, w_f, x0, F, N_TRAIN, 1.0, DT, 2, inplace=True)),
    ]
    for name, is_ours, fn in candidates:
        try:
            row, z = timed_row(name, fn, args.repeats, ours=is_ours,
                               match=None if is_ours else "ours")
            row.extra["train MAE"], row.extra["test MAE"] = mae(z)
            row.err = float(np.max(np.abs(z[:N_TRAIN] - ref.z[:N_TRAIN, 0])))
            rows.append(row)
        except Exception as exc:  # keep measuring the others
            rows.append(failed_row(name, exc, ours=is_ours, match=None if is_ours else "ours"))
    print_table(rows, extra_cols=("train MAE", "test MAE"))
    print("(max err: max |z - z_ours| over the training phase; the test phases agree as "
          "closely while the trained loop is stable)")
    fl = floors()
    print("\nfloors (median of 20): " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in fl.items())
          + f"; x 7200 updates: {7200 * fl['rls_update_parallel']:.1f} s of RLS in ours")
    end(info, monitor)
    dump_json(args.json, info, rows, workload="W10")


if __name__ == "__main__":
    main()
