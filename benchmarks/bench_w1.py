"""W1 (small CTRNN, N = 10, g = 5, t in [0, 200], 1000 outputs, rtol 1e-6, atol 1e-9):
neurodyn's compiled adaptive solvers against SciPy, SciPy + Numba RHS, numbalsoda and diffrax,
all in this one process.

Rows of ours: ``solvers.solve`` on ``neurodyn.CTRNN`` with dopri5, tsit5, bs32, dop853, vern7
(compiled) and lsoda (SciPy's LSODA fed the compiled RHS, for reference).
Peers: SciPy ``solve_ivp`` RK45 (and DOP853) with a NumPy RHS; RK45 with a ``numba.njit`` RHS;
numbalsoda dop853 and lsoda (``numba.cfunc`` RHS); diffrax Dopri5 with PIDController and
SaveAt(ts), ``jax.jit``-compiled ahead of time, float64 on the CPU. A peer whose import fails
is skipped with a line saying so.

Each row: first call (incl. JIT compilation or compiled-cache load; for peers with a separable
compile step, compile + first call), then median, min and max of the timed repeats
(``time.perf_counter``), mean CPU time, nfev, steps (accepted/rejected, where reported) and
the accuracy max |y - y_ref| over all 1000 x 10 outputs (y_ref: SciPy DOP853 rtol 1e-12,
atol 1e-14, cached in benchmarks/.cache/). Ratios are peer median / ours median.

Issue 14's bar: our fastest method whose max error is no worse than numbalsoda LSODA's takes at
most 0.8x LSODA's median time; the last lines say which row that is and whether it holds.

Usage: python benchmarks/bench_w1.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import peers
from benchmarks.common import (begin, dump_json, end, engine, failed_row, finish, ours_ctrnn,
                               print_table, timed_row)
from benchmarks.workloads import build_w1, reference_ctrnn

OUR_METHODS = ("dopri5", "tsit5", "bs32", "dop853", "vern7", "lsoda")


def ours_w1(method, eng=None):
    """A zero-argument function solving W1 with our engine and ``method``."""
    return ours_ctrnn(method, build_w1(), eng or engine())


def our_name(method):
    return f"ours {method}" + (" (SciPy LSODA)" if method == "lsoda" else "")


def main():
    args, info, monitor = begin(__doc__, "W1 small CTRNN (N=10, g=5, t in [0, 200], "
                                "1000 outputs, rtol 1e-6, atol 1e-9)")
    w = build_w1()
    y_ref = reference_ctrnn(w)
    print(f"problem fingerprint {w.fingerprint} (checked); repeats = {args.repeats}\n")
    rows = []

    def add(name, make, *, ours=False, match=None, extra_warmup=0):
        try:
            compile_s, call = make()
            row, res = timed_row(name, call, args.repeats, ours=ours, compile_s=compile_s,
                                 match=match, extra_warmup=extra_warmup)
            rows.append(finish(row, res, y_ref))
        except ImportError as exc:
            print(f"skipped {name}: import failed ({exc})")
        except Exception as exc:  # keep measuring the others
            rows.append(failed_row(name, exc, ours=ours, match=match))

    eng = engine()
    if eng is not None:
        for m in OUR_METHODS:
            add(our_name(m), lambda m=m: (None, ours_ctrnn(m, w, eng)), ours=True)
    dp = our_name("dopri5")
    add("SciPy RK45 (NumPy RHS)",
        lambda: peers.make_scipy(w.rhs_numpy, w.t_span, w.y0, method="RK45", t_eval=w.t_eval,
                                 rtol=w.rtol, atol=w.atol), match=dp)
    add("SciPy DOP853 (NumPy RHS)",
        lambda: peers.make_scipy(w.rhs_numpy, w.t_span, w.y0, method="DOP853", t_eval=w.t_eval,
                                 rtol=w.rtol, atol=w.atol), match=our_name("dop853"))
    add("SciPy RK45 (Numba RHS)", lambda: peers.make_scipy_numba_ctrnn(w), match=dp)
    add("numbalsoda dop853", lambda: peers.make_numbalsoda_ctrnn(w, "dop853"), match=dp)
    add("numbalsoda lsoda", lambda: peers.make_numbalsoda_ctrnn(w, "lsoda"),
        match=our_name("lsoda"))
    add("diffrax Dopri5 (jit, CPU)", lambda: peers.make_diffrax_ctrnn(w), match=dp,
        extra_warmup=1)
    print()
    print_table(rows, extra_cols=("steps",))
    print("\nnotes: numbalsoda nfev is counted inside its cfunc (it reports none); diffrax nfev "
          "is estimated from its step count (~); numbalsoda dop853 is an 8th-order method, "
          "not 5(4); diffrax gets one extra untimed call.")
    bar_line(rows)
    end(info, monitor)
    dump_json(args.json, info, rows, workload="W1", fingerprint=w.fingerprint)


def bar_line(rows):
    """Print issue 14's W1 bar: our fastest row at no worse error than numbalsoda LSODA, at
    most 0.8x its median time."""
    lsoda = next((r for r in rows if r.name == "numbalsoda lsoda" and r.median_s), None)
    if lsoda is None or lsoda.err is None:
        print("\nbar: numbalsoda lsoda not measured")
        return
    ok = [r for r in rows if r.ours and r.median_s and r.err is not None
          and r.err <= lsoda.err]
    if not ok:
        print(f"\nbar: no row of ours reaches LSODA's max error {lsoda.err:.2g}: NOT MET")
        return
    best = min(ok, key=lambda r: r.median_s)
    ratio = best.median_s / lsoda.median_s
    print(f"\nbar: {best.name} at max error {best.err:.2g} (<= LSODA's {lsoda.err:.2g}) takes "
          f"{ratio:.2f}x numbalsoda LSODA's median time (bar <= 0.8x): "
          f"{'met' if ratio <= 0.8 else 'NOT MET'}")


if __name__ == "__main__":
    main()
