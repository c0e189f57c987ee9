"""W3 (the W1 CTRNN from 10,000 initial conditions, t in [0, 50], final state only, rtol 1e-6,
atol 1e-9) and a parameter ensemble (10,000 bias vectors of Beer's oscillator to t = 300 with
their periods): neurodyn's solve_ensemble against the peers' ensemble idioms, in this process.

Rows of ours: ``solvers.solve_ensemble(..., save="final")`` with dopri5, tsit5, dop853 and vern7
on all cores (and dopri5 on one thread: the parallel efficiency is their ratio).
Peers: numbalsoda dop853 and lsoda called from a ``numba.njit(parallel=True)`` ``prange`` loop
(how numbalsoda users run ensembles); diffrax Dopri5 + PIDController under ``jax.vmap``,
``jax.jit``-compiled ahead of time, float64 on the CPU; the SciPy RK45 loop with a NumPy RHS
over the 100 initial conditions 0, 100, ..., 9900, its time multiplied by 100 (WORKLOADS.md).

Accuracy: max |y(50) - ref| over the 200 initial conditions 0, 50, ..., 9950 (ref: SciPy
DOP853 at rtol 1e-12, atol 1e-14, cached in benchmarks/.cache/).

Bias sweep: Beer's oscillator (W = [[4.5, 1], [-1, 4.5]], tau = 1) with theta on a 100 x 100
grid of [-5, 0]^2, y0 = 0, t in [0, 300], output at 3001 times, the period of neuron 0 from
its upward crossings in the second half. "Python loop": for each bias, ``net.replace(bias=b)``,
``solve`` and ``oscillation_period`` (what a user writes today). "ensemble": the same 10,000
models to ``solve_ensemble`` and one vectorised period estimate; "ensemble, raw params": the
models' params built without models (``params=`` list). Timed once each (the loop takes
seconds), after a warm-up on 100 members.

Usage: python benchmarks/bench_w3.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import peers
from benchmarks.common import begin, dump_json, end, engine, failed_row, print_table, timed_row
from benchmarks.workloads import _cached, build_w1, build_w3_y0, fingerprint

T_END = 50.0
CHECK = np.arange(0, 10000, 50)       # the 200 ICs the accuracy figure is taken over
SCIPY_ICS = np.arange(0, 10000, 100)  # the 100 ICs the SciPy loop solves (time x 100)


def reference(w, Y0):
    from scipy.integrate import solve_ivp

    def compute():
        out = np.empty((CHECK.size, w.N))
        for k, i in enumerate(CHECK):
            sol = solve_ivp(w.rhs_numpy, (0.0, T_END), Y0[i], method="DOP853", rtol=1e-12,
                            atol=1e-14)
            out[k] = sol.y[:, -1]
        return out

    return _cached(f"ref_w3_{fingerprint(w.W, w.tau, w.theta, Y0)}_dop853_1e-12", compute)


def err_of(Yf, ref):
    return float(np.max(np.abs(Yf[CHECK] - ref)))


def ours(solvers, net, Y0, method, n_threads=None):
    def call():
        ens = solvers.solve_ensemble(net, (0.0, T_END), Y0, method=method, save="final",
                                     n_threads=n_threads)
        assert ens.success.all(), ens
        return ens

    return call


def numbalsoda_loop(w, Y0, which):
    import numba
    import numbalsoda

    _, rhs, data = peers.numbalsoda_ctrnn_rhs(w)
    solver = getattr(numbalsoda, which)
    addr = rhs.address
    rtol, atol = w.rtol, w.atol

    @numba.njit(parallel=True)
    def run(Y0, data, t_eval):
        B = Y0.shape[0]
        out = np.empty_like(Y0)
        ok = np.empty(B, np.bool_)
        for i in numba.prange(B):
            # each member its own data: the RHS writes its scratch and counter there
            usol, success = solver(addr, Y0[i].copy(), t_eval, data=data.copy(), rtol=rtol,
                                   atol=atol)
            out[i] = usol[-1]
            ok[i] = success
        return out, ok

    t_eval = np.array([0.0, T_END])
    t0 = time.perf_counter()
    run(Y0[:2], data, t_eval)
    compile_s = time.perf_counter() - t0

    def call():
        out, ok = run(Y0, data, t_eval)
        assert ok.all()
        return out

    return compile_s, call


def diffrax_vmap(w, Y0):
    jax, jnp, diffrax, term, solver, ctrl = peers.diffrax_ctrnn(w)
    args = (jnp.asarray(w.W), jnp.asarray(w.tau), jnp.asarray(w.theta))

    def one(y0):
        sol = diffrax.diffeqsolve(term, solver, t0=0.0, t1=T_END, dt0=None, y0=y0, args=args,
                                  saveat=diffrax.SaveAt(t1=True), stepsize_controller=ctrl,
                                  max_steps=100_000)
        return sol.ys[-1], sol.result == diffrax.RESULTS.successful

    Yj = jnp.asarray(Y0)
    t0 = time.perf_counter()
    compiled = jax.jit(jax.vmap(one)).lower(Yj).compile()
    compile_s = time.perf_counter() - t0

    def call():
        ys, ok = jax.block_until_ready(compiled(Yj))
        assert bool(ok.all())
        return np.asarray(ys)

    return compile_s, call


def scipy_loop(w, Y0):
    from scipy.integrate import solve_ivp

    def call():
        out = np.full_like(Y0, np.nan)
        for i in SCIPY_ICS:
            sol = solve_ivp(w.rhs_numpy, (0.0, T_END), Y0[i], method="RK45", rtol=w.rtol,
                            atol=w.atol)
            out[i] = sol.y[:, -1]
        return out

    return None, call


# ----------------------------------------------------------------------------- bias sweep

def periods(t, X, discard=0.5):
    """neurodyn.demo.oscillation_period for every row of X (B, k) at once."""
    k0 = int(len(t) * discard)
    t, X = t[k0:], X[:, k0:]
    hi, lo = X.max(axis=1), X.min(axis=1)
    level = 0.5 * (hi + lo)[:, None]
    up = (X[:, :-1] < level) & (X[:, 1:] >= level)
    out = np.full(X.shape[0], np.nan)
    rows, cols = np.nonzero(up)
    x0, x1 = X[rows, cols], X[rows, cols + 1]
    tc = t[cols] + (level[rows, 0] - x0) * (t[cols + 1] - t[cols]) / (x1 - x0)
    counts = np.bincount(rows, minlength=X.shape[0])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ok = (counts >= 3) & (hi - lo >= 1e-6)
    # mean of the differences of each row's crossing times = (last - first) / (count - 1)
    idx = np.flatnonzero(ok)
    out[idx] = (tc[starts[idx] + counts[idx] - 1] - tc[starts[idx]]) / (counts[idx] - 1)
    return out


def bias_sweep(solvers, neurodyn, n_side):
    from neurodyn.demo import oscillation_period

    W = np.array([[4.5, 1.0], [-1.0, 4.5]])
    g = np.linspace(-5.0, 0.0, n_side)
    biases = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    te = np.linspace(0.0, 300.0, 3001)
    base = neurodyn.CTRNN(W, bias=[-2.75, -1.75])
    y0 = np.zeros(2)

    def loop(bs):
        out = np.empty(len(bs))
        for k, b in enumerate(bs):
            sol = solvers.solve(base.replace(bias=b), (0.0, 300.0), y0, t_eval=te)
            out[k] = oscillation_period(sol.t, sol.y[:, 0])
        return out

    def ensemble(bs):
        members = [base.replace(bias=b) for b in bs]
        ens = solvers.solve_ensemble(members, (0.0, 300.0), y0, t_eval=te)
        return periods(te, ens.y[:, :, 0])

    theta_slot = 1  # CTRNN params: (rate, theta, gain, ...)

    def raw(bs):
        p0 = base.params
        plist = [p0[:theta_slot] + (np.asarray(b, dtype=float),) + p0[theta_slot + 1:]
                 for b in bs]
        ens = solvers.solve_ensemble(base, (0.0, 300.0), y0, params=plist, t_eval=te)
        return periods(te, ens.y[:, :, 0])

    for fn in (loop, ensemble, raw):
        fn(biases[:100])  # warm-up (compile or load)
    res = {}
    for name, fn in (("Python loop over solve", loop), ("solve_ensemble of models", ensemble),
                     ("solve_ensemble, raw params", raw)):
        t0 = time.perf_counter()
        p = fn(biases)
        res[name] = (time.perf_counter() - t0, p)
    return biases, res


def decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def load_balance(solvers):
    """Members of very unequal cost, sorted by cost: y' = -k y on [0, 1] with k = 1 ... 4000
    ascending (an explicit method's steps grow with k, ~1 to ~1400 steps). A static split of
    the members between threads would give one thread nearly all the work."""
    ks = np.linspace(1.0, 4000.0, 20000)
    base = solvers.ODESystem(decay, 1, (1.0,))
    plist = [(k,) for k in ks]
    solvers.solve_ensemble(base, (0.0, 1.0), [1.0], params=plist[:10], save="final")
    out = {}
    for nt in (1, 2):
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            ens = solvers.solve_ensemble(base, (0.0, 1.0), [1.0], params=plist, save="final",
                                         n_threads=nt)
            best = min(best, time.perf_counter() - t0)
        out[nt] = best
    return out, int(ens.nsteps.min()), int(ens.nsteps.max())


def main():
    args, info, monitor = begin(__doc__, "W3 ensemble (W1 CTRNN from 10,000 ICs, t in [0, 50], "
                                "final state, rtol 1e-6, atol 1e-9) and a 10,000-bias sweep")
    w = build_w1()
    Y0 = build_w3_y0()
    ref = reference(w, Y0)
    print(f"W1 fingerprint {w.fingerprint}, W3 Y0 fingerprint {fingerprint(Y0)} (checked); "
          f"repeats = {args.repeats}\n")
    eng = engine()
    rows = []

    def add(name, make, *, ours_row=False, match=None, scale=1.0, note=""):
        try:
            compile_s, call = make()
            row, res = timed_row(name, call, args.repeats, ours=ours_row, compile_s=compile_s,
                                 match=match, note=note)
            Yf = res.y_final if hasattr(res, "y_final") else res
            if scale != 1.0:
                for attr in ("first_s", "median_s", "min_s", "max_s", "cpu_s"):
                    if getattr(row, attr) is not None:
                        setattr(row, attr, getattr(row, attr) * scale)
                row.err = float(np.max(np.abs(Yf[SCIPY_ICS] - ref[::2])))
            else:
                row.err = err_of(Yf, ref)
            if hasattr(res, "nfev"):
                row.nfev = f"{res.nfev.mean():.0f} (mean)"
            rows.append(row)
        except ImportError as exc:
            print(f"skipped {name}: import failed ({exc})")
        except Exception as exc:  # a peer that breaks must not hide the others
            rows.append(failed_row(name, exc, ours=ours_row, match=match))

    if eng is not None:
        solvers, neurodyn = eng
        net = neurodyn.CTRNN(w.W, tau=w.tau, bias=w.theta, gain=1.0, input=w.I)
        for method in ("dopri5", "tsit5", "dop853", "vern7"):
            add(f"ours {method}", lambda m=method: (None, ours(solvers, net, Y0, m)),
                ours_row=True)
        add("ours dopri5, 1 thread", lambda: (None, ours(solvers, net, Y0, "dopri5", 1)),
            ours_row=True)
    add("numbalsoda dop853, prange loop", lambda: numbalsoda_loop(w, Y0, "dop853"),
        match="ours dopri5")
    add("numbalsoda lsoda, prange loop", lambda: numbalsoda_loop(w, Y0, "lsoda"),
        match="ours tsit5")
    add("diffrax Dopri5, jax.vmap", lambda: diffrax_vmap(w, Y0), match="ours dopri5")
    add("SciPy RK45 loop (100 ICs, x 100)", lambda: scipy_loop(w, Y0), match="ours dopri5",
        scale=100.0, note="err over its 100 ICs")
    print_table(rows)
    by = {r.name: r for r in rows if r.median_s}
    if "ours dopri5" in by and "ours dopri5, 1 thread" in by:
        print(f"\nparallel efficiency: 1 thread / {info['cores']} threads = "
              f"{by['ours dopri5, 1 thread'].median_s / by['ours dopri5'].median_s:.2f}x")
    peers = [by[k] for k in ("numbalsoda dop853, prange loop", "diffrax Dopri5, jax.vmap")
             if k in by]
    best_ours = min((r for r in rows if r.ours and r.median_s and "1 thread" not in r.name),
                    key=lambda r: r.median_s, default=None)
    if peers and best_ours:
        fastest = min(peers, key=lambda r: r.median_s)
        print(f"bar: ours ({best_ours.name}) {fastest.median_s / best_ours.median_s:.2f}x "
              f"faster than the faster of numbalsoda's loop and diffrax vmap ({fastest.name}); "
              f"max err {best_ours.err:.1e} vs {fastest.err:.1e}")

    sweep = {}
    if eng is not None:
        n_side = 50 if args.quick else 100
        biases, res = bias_sweep(solvers, neurodyn, n_side)
        print(f"\n== bias sweep: Beer's oscillator, {len(biases)} bias vectors, t in [0, 300], "
              "3001 outputs, period of neuron 0")
        base_t, base_p = res["Python loop over solve"]
        for name, (t, p) in res.items():
            same = np.array_equal(np.isnan(p), np.isnan(base_p)) and \
                np.allclose(p[~np.isnan(p)], base_p[~np.isnan(base_p)], rtol=1e-9)
            print(f"  {name:<28} {t:8.3f} s   {base_t / t:6.1f}x vs the loop   "
                  f"oscillating: {int(np.sum(~np.isnan(p)))}   periods equal the loop's: {same}")
            sweep[name] = t
    balance = {}
    if eng is not None:
        balance, lo, hi = load_balance(solvers)
        print(f"\n== load balance: 20,000 members of y' = -k y, k ascending, {lo} to {hi} steps "
              f"each: 1 thread {balance[1]:.3f} s, 2 threads {balance[2]:.3f} s, "
              f"efficiency {balance[1] / balance[2]:.2f}x")
    end(info, monitor)
    dump_json(args.json, info, rows, sweep=sweep, balance=balance)


if __name__ == "__main__":
    main()
