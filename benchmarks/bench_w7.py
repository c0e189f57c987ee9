"""W7 (stiff Van der Pol, mu = 1000, y0 = [2, 0], t in [0, 3000], rtol 1e-6, atol 1e-9):
neurodyn's compiled stiff methods (``rodas5p``, ``radau5``, with the analytic Jacobian kernel
and with compiled finite differences) and its SciPy-stepper path (SciPy's Radau, BDF and LSODA
fed the Numba-compiled RHS and analytic Jacobian) against SciPy ``solve_ivp`` with a NumPy RHS
and NumPy analytic Jacobian, the same with finite-difference Jacobians (extra rows), numbalsoda
lsoda (``numba.cfunc`` RHS, its own finite-difference Jacobian) and diffrax Kvaerno5 (JAX,
float64, CPU). All rows run in this one process.

Our rows: ``solvers.solve(ODESystem(vdp_rhs, 2, params=(mu,), jac=vdp_jac), ...)`` with the
plain-Python kernels of ``benchmarks/kernels.py``. Every SciPy-based row returns every step
(``t_eval=None``, SciPy's default), so "steps" is the number of accepted steps.

Each row: first call (incl. JIT compilation or compiled-cache load), median/min/max of the
timed repeats (``time.perf_counter``), mean CPU time, nfev, njev, nlu, steps and
|y1(3000) - ref| (ref: SciPy Radau rtol 1e-12, atol 1e-14 with the analytic Jacobian, cached
in benchmarks/.cache/). Ratios: peer median / median of our row with the same method.

Usage: python benchmarks/bench_w7.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import peers
from benchmarks.common import begin, dump_json, end, engine, failed_row, print_table, timed_row
from benchmarks.workloads import build_w7, reference_w7

OUR_METHODS = ("radau", "bdf", "lsoda")
COMPILED = ("rodas5p", "radau5")
SCIPY_NAME = {"radau": "Radau", "bdf": "BDF", "lsoda": "LSODA"}


def ours_w7(method, eng=None, jac=True):
    """A zero-argument function solving W7 with our engine and ``method`` (``jac=False``:
    no Jacobian kernel, so finite differences)."""
    from benchmarks.kernels import vdp_jac, vdp_rhs

    solvers, _ = eng or engine(need_model=False)
    w = build_w7()
    system = solvers.ODESystem(vdp_rhs, 2, params=(w.mu,), jac=vdp_jac if jac else None)

    def call():
        sol = solvers.solve(system, w.t_span, w.y0, method=method, rtol=w.rtol, atol=w.atol)
        return peers.Result(np.asarray(sol.y), sol.nfev, sol.success, sol.message,
                            {"njev": sol.njev, "nlu": sol.nlu, "steps": sol.naccepted})

    return call


def main():
    args, info, monitor = begin(__doc__, "W7 stiff Van der Pol (mu=1000, y0=[2, 0], "
                                "t in [0, 3000], rtol 1e-6, atol 1e-9)")
    w = build_w7()
    ref = reference_w7(w)
    print(f"ref y1(3000) = {ref[0]:.15g}; repeats = {args.repeats}\n")
    rows = []

    def add(name, make, *, ours=False, match=None, note=""):
        try:
            compile_s, call = make()
            row, res = timed_row(name, call, args.repeats, ours=ours, compile_s=compile_s,
                                 match=match, note=note)
            row.nfev = res.nfev
            row.extra.update(res.extra)
            row.err = float(abs(res.y[-1, 0] - ref[0]))
            if not res.success:
                row.note = (row.note + "  FAILED: " + str(res.message)).strip()
            rows.append(row)
        except ImportError as exc:
            print(f"skipped {name}: import failed ({exc})")
        except Exception as exc:
            rows.append(failed_row(name, exc, ours=ours, match=match))

    eng = engine(need_model=False)
    if eng is not None:
        for m in COMPILED:
            add(f"ours {m}", lambda m=m: (None, ours_w7(m, eng)), ours=True)
            add(f"ours {m} (FD jac)", lambda m=m: (None, ours_w7(m, eng, jac=False)),
                ours=True)
        for m in OUR_METHODS:
            add(f"ours {m}", lambda m=m: (None, ours_w7(m, eng)), ours=True)
    for m in OUR_METHODS:
        add(f"SciPy {SCIPY_NAME[m]} (analytic jac)",
            lambda m=m: peers.make_scipy(w.rhs_numpy, w.t_span, w.y0, method=SCIPY_NAME[m],
                                         rtol=w.rtol, atol=w.atol, jac=w.jac_numpy, steps=True),
            match=f"ours {m}")
    for m in OUR_METHODS:
        add(f"SciPy {SCIPY_NAME[m]} (FD jac)",
            lambda m=m: peers.make_scipy(w.rhs_numpy, w.t_span, w.y0, method=SCIPY_NAME[m],
                                         rtol=w.rtol, atol=w.atol, steps=True),
            match=f"ours {m}")
    add("numbalsoda lsoda (FD jac)", lambda: peers.make_numbalsoda_vdp(w),
        match="ours rodas5p (FD jac)")

    def vdp_jax(t, y, args):
        import jax.numpy as jnp
        return jnp.stack([y[1], w.mu * (1.0 - y[0] ** 2) * y[1] - y[0]])

    if not args.quick:
        add("diffrax Kvaerno5", lambda: peers.make_diffrax_stiff(vdp_jax, w.y0, w.t_span, w.rtol,
                                                                  w.atol),
            match="ours rodas5p")
    print()
    print_table(rows, extra_cols=("njev", "nlu", "steps"))
    print("\nnotes: max err = |y1(3000) - ref|. numbalsoda nfev is counted inside its cfunc and "
          "includes the evaluations of its finite-difference Jacobian; it reports no "
          "njev/nlu/steps.")
    end(info, monitor)
    dump_json(args.json, info, rows, workload="W7", ref_y1=float(ref[0]))


if __name__ == "__main__":
    main()
