"""W2 (large CTRNN, N = 2000, g = 1.5, t in [0, 20], 200 outputs, rtol 1e-6, atol 1e-9):
neurodyn's compiled dopri5 and tsit5 against SciPy ``solve_ivp`` RK45 with a NumPy RHS, and
against the lower bound of any RK45-class solver that needs as many RHS evaluations as SciPy:
nfev(SciPy RK45) x the median time of one NumPy ``W @ v`` (float64, N = 2000).

All rows run in this one process. Each row: first call (incl. JIT compilation or cache load),
median/min/max of the timed repeats (``time.perf_counter``), mean CPU time (shows BLAS
threads), nfev and the accuracy max |y - y_ref| over all 200 x 2000 outputs (y_ref: SciPy
DOP853 rtol 1e-12, atol 1e-14, cached in benchmarks/.cache/). W is 32 MB, about the size of
the L3 cache, so these timings are sensitive to other processes. NumPy's BLAS uses every core
for ``W @ v``; the lower bound is also given for one BLAS thread (measured in a child process
with OPENBLAS_NUM_THREADS=1), the fair bar for a single-threaded compiled solver.

Usage: python benchmarks/bench_w2.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import os
import statistics
import subprocess
import time

import numpy as np

from benchmarks import peers
from benchmarks.common import (ROOT, Row, begin, dump_json, end, engine, failed_row, finish,
                               fmt_t, ours_ctrnn, print_table, timed_row)
from benchmarks.workloads import build_w2, reference_ctrnn

OUR_METHODS = ("dopri5", "tsit5")


def ours_w2(method, eng=None):
    """A zero-argument function solving W2 with our engine and ``method``."""
    return ours_ctrnn(method, build_w2(), eng or engine())


def matvec_time(W, reps=300):
    """Median wall time and mean CPU time of one ``W @ v`` after a warm-up."""
    v = np.random.default_rng(5).random(W.shape[0])
    for _ in range(20):
        W @ v
    ts = []
    c0 = time.process_time()
    for _ in range(reps):
        t0 = time.perf_counter()
        W @ v
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), (time.process_time() - c0) / reps


_MATVEC_CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from benchmarks.workloads import build_w2
from benchmarks.bench_w2 import matvec_time
print(json.dumps(matvec_time(build_w2().W)))
"""


def matvec_time_one_thread():
    """``matvec_time`` in a child process with OPENBLAS_NUM_THREADS=1 (NumPy's BLAS fixes its
    thread count when it loads), or None if that fails."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    try:
        out = subprocess.run([sys.executable, "-c", _MATVEC_CHILD.format(root=str(ROOT))],
                             env=env, capture_output=True, text=True, timeout=120, check=True)
        return tuple(json.loads(out.stdout.strip().splitlines()[-1]))
    except Exception as exc:
        tail = getattr(exc, "stderr", "") or ""
        print(f"single-thread W@v not measured: {exc} {tail[-300:]}")
        return None


def main():
    args, info, monitor = begin(__doc__, "W2 large CTRNN (N=2000, g=1.5, t in [0, 20], "
                                "200 outputs, rtol 1e-6, atol 1e-9)")
    w = build_w2()
    y_ref = reference_ctrnn(w)
    print(f"problem fingerprint {w.fingerprint} (checked); repeats = {args.repeats}\n")
    rows = []

    def add(name, make, *, ours=False, match=None):
        try:
            compile_s, call = make()
            row, res = timed_row(name, call, args.repeats, ours=ours, compile_s=compile_s,
                                 match=match)
            rows.append(finish(row, res, y_ref))
        except ImportError as exc:
            print(f"skipped {name}: import failed ({exc})")
        except Exception as exc:
            rows.append(failed_row(name, exc, ours=ours, match=match))

    eng = engine()
    if eng is not None:
        for m in OUR_METHODS:
            add(f"ours {m}", lambda m=m: (None, ours_ctrnn(m, w, eng)), ours=True)
    add("SciPy RK45 (NumPy RHS)",
        lambda: peers.make_scipy(w.rhs_numpy, w.t_span, w.y0, method="RK45", t_eval=w.t_eval,
                                 rtol=w.rtol, atol=w.atol), match="ours dopri5")

    scipy_row = next((r for r in rows if r.name.startswith("SciPy") and r.nfev), None)
    mv, mv_cpu = matvec_time(w.W)
    mv1 = matvec_time_one_thread()
    if scipy_row is not None:
        n = int(scipy_row.nfev)
        rows.append(Row(f"lower bound: {n} x W@v", median_s=n * mv, cpu_s=n * mv_cpu, nfev=n,
                        match="ours dopri5",
                        note=f"one W@v = {fmt_t(mv)} (cpu {fmt_t(mv_cpu)}), default threads"))
        if mv1 is not None:
            rows.append(Row(f"lower bound, 1 BLAS thread", median_s=n * mv1[0],
                            cpu_s=n * mv1[1], nfev=n, match="ours dopri5",
                            note=f"one W@v = {fmt_t(mv1[0])}, OPENBLAS_NUM_THREADS=1"))
    print()
    print_table(rows, extra_cols=("steps",))
    print("\nThe lower bounds are not solvers: they are the time of SciPy's nfev matrix-vector "
          "products alone, which an RK45-class solver with that nfev spends at least.")
    end(info, monitor)
    dump_json(args.json, info, rows, workload="W2", fingerprint=w.fingerprint, matvec_s=mv,
              matvec_one_thread_s=None if mv1 is None else mv1[0])


if __name__ == "__main__":
    main()
