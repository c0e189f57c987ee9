"""W9 (ROBER, WORKLOADS.md): the compiled stiff methods ``rodas5p`` and ``radau5`` (and, over a
range of tolerances, ``rodas4``) against
numbalsoda lsoda, SciPy Radau/BDF/LSODA and diffrax Kvaerno5, all in this one process; and the
stiff ensemble (ROBER with k3 = 3e7 scaled by ``np.logspace(-1, 1, B)``, final states only)
through ``solve_ensemble`` against numbalsoda lsoda in a ``numba.prange`` loop, both on every
core of this machine.

ROBER: ``y1' = -k1 y1 + k2 y2 y3``, ``y2' = k1 y1 - k2 y2 y3 - k3 y2^2``, ``y3' = k3 y2^2``,
(k1, k2, k3) = (0.04, 1e4, 3e7), y0 = (1, 0, 0), t in [0, 1e5], rtol = atol = 1e-8 (one atol
for every component, not Hairer's scaled atol for y2). Our rows use the plain-Python kernels
``rober_rhs`` / ``rober_jac`` of ``benchmarks/kernels.py`` (analytic Jacobian; the "FD jac"
rows leave it out and the loop forms it by finite differences). Error: the largest relative
error over the three components at t = 1e5 against SciPy Radau at rtol 1e-12, atol 1e-14
(analytic Jacobian; cached in benchmarks/.cache/). Ratios: peer median / median of the row it
is matched with.

Usage: python benchmarks/bench_stiff.py [--quick] [--repeats R] [--json PATH]
(--quick: 1,000 ensemble members instead of 10,000, and no diffrax row)
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import peers
from benchmarks.common import begin, dump_json, end, engine, failed_row, print_table, timed_row
from benchmarks.workloads import _cached

K = (0.04, 1e4, 3e7)
Y0 = np.array([1.0, 0.0, 0.0])
T_SPAN = (0.0, 1e5)
RTOL = ATOL = 1e-8


def rober_numpy(t, y, k=K):
    return np.array([-k[0] * y[0] + k[1] * y[1] * y[2],
                     k[0] * y[0] - k[1] * y[1] * y[2] - k[2] * y[1] ** 2,
                     k[2] * y[1] ** 2])


def rober_jac_numpy(t, y, k=K):
    return np.array([[-k[0], k[1] * y[2], k[1] * y[1]],
                     [k[0], -k[1] * y[2] - 2 * k[2] * y[1], -k[1] * y[1]],
                     [0.0, 2 * k[2] * y[1], 0.0]])


def reference(k=K, log=print):
    """ROBER's state at t = 1e5: SciPy Radau, analytic Jacobian, rtol 1e-12, atol 1e-14."""
    from scipy.integrate import solve_ivp

    def compute():
        sol = solve_ivp(lambda t, y: rober_numpy(t, y, k), T_SPAN, Y0, method="Radau",
                        jac=lambda t, y: rober_jac_numpy(t, y, k), rtol=1e-12, atol=1e-14)
        if not sol.success:
            raise RuntimeError(f"ROBER reference failed: {sol.message}")
        return sol.y[:, -1].copy()

    return _cached(f"ref_rober_{k[0]:g}_{k[1]:g}_{k[2]:g}_radau_1e-12", compute, log)


def ours_rober(method, jac=True, eng=None):
    from benchmarks.kernels import rober_jac, rober_rhs

    solvers, _ = eng or engine(need_model=False)
    system = solvers.ODESystem(rober_rhs, 3, params=K,
                               jac=rober_jac if jac else None)

    def call():
        sol = solvers.solve(system, T_SPAN, Y0, method=method, rtol=RTOL, atol=ATOL)
        return peers.Result(np.asarray(sol.y), sol.nfev, sol.success, sol.message,
                            {"njev": sol.njev, "nlu": sol.nlu, "steps": sol.naccepted})

    return call


def ours_ensemble(k3s, method, eng=None):
    from benchmarks.kernels import rober_jac, rober_rhs

    solvers, _ = eng or engine(need_model=False)
    base = solvers.ODESystem(rober_rhs, 3, params=K, jac=rober_jac)
    members = [base.with_params((K[0], K[1], float(k3))) for k3 in k3s]

    def call():
        ens = solvers.solve_ensemble(members, T_SPAN, Y0, method=method, rtol=RTOL, atol=ATOL,
                                     save="final")
        return peers.Result(ens.y_final, int(ens.nfev.sum()), bool(ens.success.all()))

    return call


def lu_benchmark(sizes=(2, 5, 10, 20, 50), repeats=7):
    """Our hand-rolled LU (the stiff loops' ``_lu_factor`` + ``_lu_solve``) against LAPACK
    through Numba for what a Rodas5P step needs: one factorisation of a dense n x n matrix
    and 8 solves. LAPACK's options in Numba: ``np.linalg.solve`` per right-hand side (a
    getrf + getrs each time) or ``np.linalg.inv`` once and 8 matrix-vector products.
    Returns rows (n, ours_s, solve_s, inv_s) of seconds per step."""
    import time

    import numba

    from benchmarks.kernels import rober_rhs
    from solvers import tableaus
    from solvers._codegen import loops_for

    mod = loops_for("ode", rober_rhs, None, tableaus.get("rodas5p"))
    lu_f, lu_s = mod._lu_factor, mod._lu_solve

    @numba.njit
    def ours(M, E, piv, b, reps):
        n = M.shape[0]
        acc = 0.0
        for _ in range(reps):
            for i in range(n):
                for j in range(n):
                    E[i, j] = M[i, j]
            lu_f(E, piv)
            for s in range(8):
                for i in range(n):
                    b[i] = 1.0 + s + i
                lu_s(E, piv, b)
                acc += b[0]
        return acc

    @numba.njit
    def lapack_solve(M, b, reps):
        acc = 0.0
        for _ in range(reps):
            for s in range(8):
                for i in range(b.size):
                    b[i] = 1.0 + s + i
                x = np.linalg.solve(M, b)
                acc += x[0]
        return acc

    @numba.njit
    def lapack_inv(M, b, reps):
        acc = 0.0
        for _ in range(reps):
            Minv = np.linalg.inv(M)
            for s in range(8):
                for i in range(b.size):
                    b[i] = 1.0 + s + i
                x = Minv @ b
                acc += x[0]
        return acc

    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        M = np.eye(n) * (n + 2.0) + rng.standard_normal((n, n))
        E, piv, b = np.empty((n, n)), np.empty(n, dtype=np.int64), np.empty(n)
        reps = max(10, 200_000 // (n * n))
        out = []
        for fn, args in ((ours, (M, E, piv, b)), (lapack_solve, (M, b)), (lapack_inv, (M, b))):
            fn(*args, 2)
            best = np.inf
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn(*args, reps)
                best = min(best, (time.perf_counter() - t0) / reps)
            out.append(best)
        rows.append((n, *out))
    return rows


def tolerance_sweep(eng, repeats=20):
    """Does a lower order pay at loose tolerances? rodas4 (order 4), rodas5p (5) and radau5
    (5) on W7 (Van der Pol mu = 1000, atol = 1e-3 rtol) and ROBER (atol = 1e-4 rtol; error
    relative, largest component) over rtol 1e-3 ... 1e-8: the best of ``repeats`` timed
    solves and the error. Rows (problem, method, rtol, seconds, steps, error)."""
    import time

    from benchmarks.kernels import rober_jac, rober_rhs, vdp_jac, vdp_rhs
    from benchmarks.workloads import build_w7, reference_w7

    solvers, _ = eng
    _tiers = sys.modules.get("solvers._tiers")
    w = build_w7()
    problems = [
        ("W7", solvers.ODESystem(vdp_rhs, 2, params=(w.mu,), jac=vdp_jac), w.t_span, w.y0,
         1e-3, lambda y: abs(y[0] - reference_w7(w, log=lambda *a: None)[0])),
        ("ROBER", solvers.ODESystem(rober_rhs, 3, params=K, jac=rober_jac), T_SPAN, Y0, 1e-4,
         lambda y: float(np.max(np.abs(y - reference()) / np.abs(reference())))),
    ]
    rows = []
    for name, system, span, y0, afac, err in problems:
        for method in ("rodas4", "rodas5p", "radau5"):
            for rtol in (1e-3, 1e-4, 1e-5, 1e-6, 1e-8):
                kw = dict(method=method, rtol=rtol, atol=rtol * afac)
                solvers.solve(system, span, y0, **kw)
                if _tiers is not None:
                    _tiers.wait_for()
                best = np.inf
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    sol = solvers.solve(system, span, y0, **kw)
                    best = min(best, time.perf_counter() - t0)
                rows.append((name, method, rtol, best, sol.naccepted, err(sol.y_final)))
    return rows


LATTICE_SCRIPT = r"""
import sys, time, json
import numpy as np, scipy.sparse as sps
import neurodyn, solvers
from solvers import _tiers
side = 32
N = side * side
rng = np.random.default_rng(0)
idx = np.arange(N).reshape(side, side)
rows, cols = [], []
for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:, 1:], idx[:, :-1]),
             (idx[:-1, :], idx[1:, :]), (idx[1:, :], idx[:-1, :])):
    rows += list(a.ravel()); cols += list(b.ravel())
W = sps.csr_matrix((rng.normal(0, 1.5, len(rows)), (rows, cols)), shape=(N, N))
net = neurodyn.CTRNN(W, tau=10 ** rng.uniform(-4, 0, N), bias=rng.normal(0, 1, N))
y0 = rng.normal(0, 1, N)
out = {}
for m in sys.argv[1:]:
    solvers.solve(net, (0, 5.0), y0, method=m, rtol=1e-6, atol=1e-9)
    _tiers.wait_for()
    t = time.perf_counter()
    sol = solvers.solve(net, (0, 5.0), y0, method=m, rtol=1e-6, atol=1e-9)
    out[m] = dict(s=time.perf_counter() - t, steps=sol.naccepted, nlu=sol.nlu,
                  y=sol.y_final.tolist(), ok=bool(sol.success))
print(json.dumps(out))
"""


def lattice_rows():
    """A stiff CTRNN on a 32 x 32 lattice (1024 neurons, nearest-neighbour weights, tau from
    1e-4 to 1): rodas5p with its automatic SuperLU path and with the dense LU forced
    (NEURODYN_SPARSE_LU_MIN_N), radau5 and SciPy's BDF stepper (dense LU, Jacobian reuse), each
    in a fresh process (one warm-up solve, then one timed)."""
    import json
    import os
    import subprocess

    def run(methods, env=None):
        e = dict(os.environ, NEURODYN_BACKGROUND_COMPILE="0", **(env or {}))
        e["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        p = subprocess.run([sys.executable, "-c", LATTICE_SCRIPT, *methods], env=e,
                           capture_output=True, text=True, timeout=900)
        if p.returncode:
            raise RuntimeError(p.stderr[-2000:])
        return json.loads(p.stdout.strip().splitlines()[-1])

    auto = run(["rodas5p", "bdf"])
    dense = run(["rodas5p"], {"NEURODYN_SPARSE_LU_MIN_N": "1000000000"})["rodas5p"]
    ref = np.array(auto["bdf"]["y"])
    rows = [("ours rodas5p (SuperLU, automatic)", auto["rodas5p"]),
            ("ours rodas5p (dense LU forced)", dense),
            ("ours bdf (SciPy's stepper, dense LU)", auto["bdf"])]
    return [(name, r["s"], r["steps"], r["nlu"],
             float(np.max(np.abs(np.array(r["y"]) - ref)))) for name, r in rows]


def main():
    args, info, monitor = begin(__doc__, "W9 ROBER (t in [0, 1e5], rtol = atol = 1e-8) and "
                                "its k3 ensemble")
    ref = reference()
    print(f"ref y(1e5) = {ref}; repeats = {args.repeats}\n")
    rows = []

    def add(name, make, *, ours=False, match=None, note="", err=None):
        try:
            compile_s, call = make()
            row, res = timed_row(name, call, args.repeats, ours=ours, compile_s=compile_s,
                                 match=match, note=note)
            row.nfev = res.nfev
            row.extra.update(res.extra)
            row.err = float(err(res.y)) if err is not None else float(
                np.max(np.abs(res.y[-1] - ref) / np.abs(ref)))
            if not res.success:
                row.note = (row.note + "  FAILED: " + str(res.message)).strip()
            rows.append(row)
        except ImportError as exc:
            print(f"skipped {name}: import failed ({exc})")
        except Exception as exc:
            rows.append(failed_row(name, exc, ours=ours, match=match))

    eng = engine(need_model=False)
    if eng is not None:
        for m in ("rodas5p", "radau5"):
            add(f"ours {m}", lambda m=m: (None, ours_rober(m, True, eng)), ours=True)
            add(f"ours {m} (FD jac)", lambda m=m: (None, ours_rober(m, False, eng)), ours=True)
        for m in ("radau", "bdf", "lsoda"):
            add(f"ours {m} (SciPy stepper)", lambda m=m: (None, ours_rober(m, True, eng)),
                ours=True)
    add("numbalsoda lsoda (FD jac)", lambda: peers.make_numbalsoda_rober(), match="ours rodas5p")
    for m in ("Radau", "BDF", "LSODA"):
        add(f"SciPy {m} (analytic jac)",
            lambda m=m: peers.make_scipy(rober_numpy, T_SPAN, Y0, method=m, rtol=RTOL,
                                         atol=ATOL, jac=rober_jac_numpy, steps=True),
            match="ours rodas5p")

    def rober_jax(t, y, args):
        import jax.numpy as jnp
        return jnp.stack([-K[0] * y[0] + K[1] * y[1] * y[2],
                          K[0] * y[0] - K[1] * y[1] * y[2] - K[2] * y[1] ** 2,
                          K[2] * y[1] ** 2])

    if not args.quick:
        add("diffrax Kvaerno5", lambda: peers.make_diffrax_stiff(rober_jax, Y0, T_SPAN, RTOL,
                                                                  ATOL),
            match="ours rodas5p")

    B = 1000 if args.quick else 10_000
    k3s = K[2] * np.logspace(-1, 1, B)
    refs = np.array([reference((K[0], K[1], k3), log=lambda *a: None)
                     for k3 in k3s[::max(1, B // 10)]])

    def ens_err(y):
        return np.max(np.abs(y[::max(1, B // 10)] - refs) / np.abs(refs))

    if eng is not None:
        for m in ("rodas5p", "radau5"):
            add(f"ours {m} ensemble B={B}", lambda m=m: (None, ours_ensemble(k3s, m, eng)),
                ours=True, err=ens_err)
    add(f"numbalsoda lsoda prange B={B}", lambda: peers.make_numbalsoda_rober_prange(k3s),
        match=f"ours rodas5p ensemble B={B}", err=ens_err)
    print()
    print_table(rows, extra_cols=("njev", "nlu", "steps"))
    print("\n== dense LU for one Rodas5P step (1 factorisation + 8 solves), seconds per step:")
    print(f"{'n':>4s} {'ours (hand LU)':>15s} {'np.linalg.solve x8':>19s} "
          f"{'np.linalg.inv + 8 matvec':>25s}")
    lu_rows = lu_benchmark()
    for n, a, b, c in lu_rows:
        print(f"{n:4d} {a * 1e6:13.2f}us {b * 1e6:17.2f}us {c * 1e6:23.2f}us   "
              f"(LAPACK / ours: {b / a:.1f}x, {c / a:.1f}x)")
    info["lu"] = [dict(n=n, ours_s=a, lapack_solve_s=b, lapack_inv_s=c)
                  for n, a, b, c in lu_rows]
    if eng is not None:
        print("\n== work against tolerance: does a lower order pay at loose tolerances? "
              "(best of 20 solves)")
        sweep = tolerance_sweep(eng)
        print(f"  {'problem':7s} {'rtol':>7s} " + "".join(
            f"{m:>28s}" for m in ("rodas4", "rodas5p", "radau5")))
        for name in ("W7", "ROBER"):
            for rtol in (1e-3, 1e-4, 1e-5, 1e-6, 1e-8):
                cells = [r for r in sweep if r[0] == name and r[2] == rtol]
                print(f"  {name:7s} {rtol:7.0e} " + "".join(
                    f"   {r[3] * 1e6:8.1f} us {r[4]:5d} st {r[5]:7.1e}" for r in cells))
        info["tolerance_sweep"] = [dict(problem=r[0], method=r[1], rtol=r[2], s=r[3],
                                        steps=r[4], err=r[5]) for r in sweep]
    if not args.quick:
        print("\n== a large sparse stiff system: CTRNN on a 32 x 32 lattice (t in [0, 5], "
              "rtol 1e-6, atol 1e-9), one timed solve each")
        lat = lattice_rows()
        for name, sec, steps, nlu, dev in lat:
            print(f"  {name:38s} {sec:8.3f} s  steps {steps:5d}  nlu {nlu:5d}  "
                  f"max |y - y_bdf| {dev:.1e}")
        info["lattice"] = [dict(row=r[0], s=r[1], steps=r[2], nlu=r[3], dev=r[4]) for r in lat]
    print("\nnotes: max err = largest relative error over y1, y2, y3 at t = 1e5 (ensembles: "
          "over 10 members spread over k3). numbalsoda nfev is counted inside its cfunc and "
          "includes its finite-difference Jacobian; diffrax reports steps, not nfev.")
    end(info, monitor)
    dump_json(args.json, info, rows, workload="W9")


if __name__ == "__main__":
    main()
