"""W12 parameter sweep (the W1 CTRNN with ``theta`` replaced by ``theta + d``, d on a 316 x 316
grid over the biases of neurons 0 and 1, d0, d1 in linspace(-2, 2, 316): 99,856 members,
t in [0, 50], final state only, dopri5, rtol 1e-6, atol 1e-9): ``neurodyn.sweep`` against
one ``solve_ensemble`` call and against a ``multiprocessing.Pool`` of ``solve`` calls, in this
process.

Rows (every row's time includes building its members from (d0, d1); each is timed once, after
a warm-up of its path on an 8 x 8 grid that loads the compiled kernels):

* ``solve_ensemble, raw params``: the members' params tuples built without models (the W1
  model's params with the bias slot swapped), one ``solve_ensemble(..., params=[...])`` call on
  all cores.
* ``solve_ensemble of replace()d models``: ``[net.replace(bias=theta + d) ...]`` to one
  ``solve_ensemble`` call on all cores.
* ``neurodyn.sweep, client=False``: the sweep's chunks in this process (each chunk a
  ``solve_ensemble`` on all cores).
* ``neurodyn.sweep, client=None``: the default, a ``LocalCluster`` (one in-process worker
  running one chunk at a time, each chunk's ``solve_ensemble`` on every core) started and
  closed by the call; its start-up + close is also timed alone, and the sweep on an already
  running thread cluster (one worker, a thread per core: a chunk per thread, as a user's
  cluster runs it).
* ``neurodyn.sweep(base=net)``: the same on its LocalCluster with ``build`` returning the
  member's ``{"bias": ...}``: a chunk's members are made at once (no model per member).
* ``neurodyn.sweep, Dask processes``: ``Client(LocalCluster(processes=True, n_workers=cores,
  threads_per_worker=1))`` started here (counted, and shown separately), its workers import
  neurodyn and load the kernels on their first task (counted).
* ``multiprocessing.Pool``: what users write today, ``pool.map(run_one, points, chunksize=
  len(points) / (4 * cores))`` (the chunksize ``map`` picks itself) with ``run_one`` doing
  ``net.replace(bias=theta + d)`` and ``solve(net, (0, 50), y0)`` and returning the final
  state; ``processes = cores``, the ``spawn`` start method (fresh interpreters: the start-up,
  importing neurodyn and loading the compiled kernels in every worker, is counted and shown
  separately; with Linux's default ``fork`` the workers inherit all that, which is the "map
  only" figure).

Every row's final states are compared with the raw-params row (max |difference|; the engine
promises a member bit for bit equal to ``solve`` of that member). Bars (issue 13): the sweep
on its default LocalCluster at most 10 % slower than ``solve_ensemble``, and >= 20x the Pool's
throughput. "Where the time goes" lines: per-member cost of ``replace()``, of the compiled
solve on one thread, of one ``solve`` call.

Usage: python benchmarks/bench_w12.py [--quick] [--json PATH] [--wait-idle S] [--retries K]
(``--quick``: a 100 x 100 grid. The rows take seconds each and are timed once, and again after
waiting for an idle CPU when other processes used more than 0.2 cores meanwhile, at most K
times; ``--repeats`` is accepted but unused.)
"""
from __future__ import annotations

import importlib
import math
import multiprocessing
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import common
from benchmarks.common import (BUSY_CORES, LoadMonitor, begin, dump_json, end, engine, fmt_t,
                               wait_idle)
from benchmarks.workloads import build_w1

T_SPAN = (0.0, 50.0)
BIAS_SLOT = 1   # CTRNN params: (1/tau, bias, gain, activation, input block..., W, blas)
FULL_SIDE, QUICK_SIDE, WARM_SIDE = 316, 100, 8


def w1_net():
    import neurodyn

    w = build_w1()
    net = neurodyn.CTRNN(w.W, tau=w.tau, bias=w.theta, gain=1.0, input=w.I,
                         activation="sigmoid")
    if not np.array_equal(net.params[BIAS_SLOT], w.theta):
        raise RuntimeError("bench_w12: the CTRNN params layout changed (the bias is no longer "
                           f"params[{BIAS_SLOT}]); update BIAS_SLOT")
    return w, net


def grid(side):
    d = np.linspace(-2.0, 2.0, side)
    d0, d1 = np.meshgrid(d, d, indexing="ij")   # C order, as sweep's factorial grid
    return d, np.stack([d0.reshape(-1), d1.reshape(-1)], axis=1)


def shifted(theta, d0, d1):
    b = theta.copy()
    b[0] += d0
    b[1] += d1
    return b


class Build:
    """``build(d0=..., d1=...)`` for neurodyn.sweep: the W1 model with its bias shifted.
    A class (not a closure) so that Dask's process workers get it by pickle."""

    def __init__(self, net, theta):
        self.net, self.theta = net, theta

    def __call__(self, d0, d1):
        return self.net.replace(bias=shifted(self.theta, d0, d1))


class BuildRaw(Build):
    """The same member as ``Build`` through ``with_params`` (a plain ODESystem with the bias
    slot of the params swapped): what the sweep costs without ``replace()``'s validation."""

    def __call__(self, d0, d1):
        p0 = self.net.params
        return self.net.with_params(p0[:BIAS_SLOT] + (shifted(self.theta, d0, d1),)
                                    + p0[BIAS_SLOT + 1:])


class BuildChanges(Build):
    """``sweep(..., base=net)``: the ``replace()`` changes of one member; the sweep makes a
    chunk's members in one step (biases checked at once, no model per member)."""

    def __call__(self, d0, d1):
        return {"bias": shifted(self.theta, d0, d1)}


# ----------------------------------------------------------------------------- in-process rows

def ens_raw(solvers, net, theta, points, y0):
    p0 = net.params
    plist = [p0[:BIAS_SLOT] + (shifted(theta, a, b),) + p0[BIAS_SLOT + 1:] for a, b in points]
    ens = solvers.solve_ensemble(net, T_SPAN, y0, params=plist, save="final")
    return np.asarray(ens.y_final), ens.status


def ens_models(solvers, net, theta, points, y0):
    members = [net.replace(bias=shifted(theta, a, b)) for a, b in points]
    ens = solvers.solve_ensemble(members, T_SPAN, y0, save="final")
    return np.asarray(ens.y_final), ens.status


def run_sweep(neurodyn, net, theta, d, y0, client, build=Build):
    kw = {"base": net} if build is BuildChanges else {}
    ds = neurodyn.sweep(build(net, theta), {"d0": d, "d1": d}, t_span=T_SPAN, y0=y0,
                        client=client, progress=False, **kw)
    n = ds.sizes["state"]
    return ds["y_final"].values.reshape(-1, n), ds["status"].values.reshape(-1), ds.attrs


# ----------------------------------------------------------------------------- the Pool

_NET = None
_THETA = None


def _pool_init(barrier):
    """A worker's start-up: import neurodyn, build W1, one solve to load the kernels."""
    global _NET, _THETA
    import solvers

    w, _NET = w1_net()
    _THETA = w.theta
    solvers.solve(_NET, T_SPAN, np.zeros(_NET.n_states))
    barrier.wait()


def run_one(point):
    from solvers import solve

    sol = solve(_NET.replace(bias=shifted(_THETA, point[0], point[1])), T_SPAN,
                np.zeros(_NET.n_states))
    return sol.y[-1].copy(), sol.status


def pool_row(points, cores):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(cores + 1)
    pts = [(float(a), float(b)) for a, b in points]
    chunksize = max(1, math.ceil(len(pts) / (4 * cores)))
    t0 = time.perf_counter()
    pool = ctx.Pool(processes=cores, initializer=_pool_init, initargs=(barrier,))
    try:
        barrier.wait(timeout=300)
        t1 = time.perf_counter()
        out = pool.map(run_one, pts, chunksize=chunksize)
        t2 = time.perf_counter()
    finally:
        pool.close()
        pool.join()
    t3 = time.perf_counter()
    Y = np.array([y for y, _ in out])
    status = np.array([s for _, s in out])
    return Y, status, {"startup_s": t1 - t0, "map_s": t2 - t1, "close_s": t3 - t2,
                       "chunksize": chunksize}


# ----------------------------------------------------------------------------- timing

def timed(fn):
    mon = LoadMonitor()
    c0 = time.process_time()
    t0 = time.perf_counter()
    res = fn()
    wall = time.perf_counter() - t0
    return wall, time.process_time() - c0, mon.foreign_cores(), res


def where_the_time_goes(solvers, net, theta, points, y0, cores):
    """Per-member costs on the first 4000 points (min of 3): replace(), the raw params tuple,
    the compiled solve on one thread and on all cores, one solve() call."""
    pts = points[:4000]
    m = len(pts)
    p0 = net.params

    def best(fn, k=3):
        return min(timed(fn)[0] for _ in range(k)) / m

    out = {"replace": best(lambda: [net.replace(bias=shifted(theta, a, b)) for a, b in pts]),
           "with_params (raw params tuple -> ODESystem)": best(
               lambda: [BuildRaw(net, theta)(a, b) for a, b in pts]),
           "raw params tuple": best(lambda: [p0[:BIAS_SLOT] + (shifted(theta, a, b),)
                                             + p0[BIAS_SLOT + 1:] for a, b in pts])}
    plist = [p0[:BIAS_SLOT] + (shifted(theta, a, b),) + p0[BIAS_SLOT + 1:] for a, b in pts]
    members = [net.replace(bias=shifted(theta, a, b)) for a, b in pts]
    out["solve_ensemble (raw), 1 thread"] = best(lambda: solvers.solve_ensemble(
        net, T_SPAN, y0, params=plist, save="final", n_threads=1))
    out[f"solve_ensemble (raw), {cores} threads"] = best(lambda: solvers.solve_ensemble(
        net, T_SPAN, y0, params=plist, save="final"))
    out[f"solve_ensemble (models, built), {cores} threads"] = best(
        lambda: solvers.solve_ensemble(members, T_SPAN, y0, save="final"))
    k = min(m, 500)
    out["solve() call (one member, whole)"] = min(timed(lambda: [
        solvers.solve(mb, T_SPAN, y0) for mb in members[:k]])[0] for _ in range(3)) / k
    return out


def main():
    args, info, monitor = begin(__doc__, "W12 parameter sweep (W1 CTRNN, bias + d over a grid "
                                "of (d0, d1), t in [0, 50], final state, dopri5 1e-6/1e-9)")
    eng = engine()
    if eng is None:
        end(info, monitor)
        return
    solvers, neurodyn = eng
    cores = info["cores"]
    side = QUICK_SIDE if args.quick else FULL_SIDE
    w, net = w1_net()
    theta, y0 = w.theta, np.zeros(w.N)
    d, points = grid(side)
    N = len(points)
    print(f"W1 fingerprint {w.fingerprint} (checked); grid {side} x {side} = {N} members, "
          f"{cores} cores\n")

    # Warm-up: every in-process path once on a small grid (kernels loaded or compiled here).
    t0 = time.perf_counter()
    for mod in ("dask.distributed", "xarray"):  # import time reported, not in the rows
        importlib.import_module(mod)
    import_s = time.perf_counter() - t0
    wd, wpts = grid(WARM_SIDE)
    t0 = time.perf_counter()
    ens_raw(solvers, net, theta, wpts, y0)
    ens_models(solvers, net, theta, wpts, y0)
    run_sweep(neurodyn, net, theta, wd, y0, False)
    run_sweep(neurodyn, net, theta, wd, y0, False, BuildRaw)
    run_sweep(neurodyn, net, theta, wd, y0, False, BuildChanges)
    solvers.solve(net, T_SPAN, y0)
    print(f"import dask.distributed + xarray: {import_s:.2f} s; warm-up of the in-process "
          f"paths on {len(wpts)} members: {time.perf_counter() - t0:.2f} s\n")

    rows = []      # (name, wall, cpu, foreign, Y, status, startup, note)

    def row(name, fn, *, startup=None, note=""):
        for attempt in range(common.RETRIES + 1):
            if attempt:  # timed while other processes used the CPU: wait, then once more
                wait_idle(60.0, quiet_message=False)
            try:
                wall, cpu, fc, res = timed(fn)
            except Exception as exc:  # a path that breaks must not hide the others
                print(f"{name}: FAILED: {type(exc).__name__}: {exc}")
                return None
            if fc is None or fc <= BUSY_CORES:
                break
        Y, status, extra = res
        st = startup(extra) if startup else None
        rows.append({"name": name, "wall": wall, "cpu": cpu, "foreign": fc, "Y": Y,
                     "status": status, "startup": st, "note": note, "extra": extra,
                     "attempts": attempt + 1})
        print(f"  done: {name}: {wall:.2f} s ({attempt + 1} attempt(s))", flush=True)
        return rows[-1]

    row("solve_ensemble, raw params", lambda: (*ens_raw(solvers, net, theta, points, y0), {}))
    row("solve_ensemble of replace()d models",
        lambda: (*ens_models(solvers, net, theta, points, y0), {}))
    row("neurodyn.sweep, client=False", lambda: run_sweep(neurodyn, net, theta, d, y0, False))
    row("neurodyn.sweep, client=None (LocalCluster, threads)",
        lambda: run_sweep(neurodyn, net, theta, d, y0, None))
    sw = rows[-1] if rows and rows[-1]["name"].endswith("threads)") else None
    row("neurodyn.sweep(base=net), client=None: build returns the bias",
        lambda: run_sweep(neurodyn, net, theta, d, y0, None, BuildChanges),
        note="a chunk's members made at once, no model per member")

    from dask.distributed import Client, LocalCluster

    def cluster_threads():
        # the same cluster as sweep's own (neurodyn.sweeps._local_client)
        t0 = time.perf_counter()
        cl = LocalCluster(n_workers=1, threads_per_worker=cores, processes=False,
                          dashboard_address=None)
        c = Client(cl)
        return c, cl, time.perf_counter() - t0

    def close(c, cl):
        t0 = time.perf_counter()
        c.close()
        cl.close()
        return time.perf_counter() - t0

    c, cl, start_s = cluster_threads()
    close_s = close(c, cl)
    thread_cluster = {"start_s": start_s, "close_s": close_s}
    if sw is not None:
        sw["startup"] = start_s + close_s
    c, cl, _ = cluster_threads()
    try:
        row("  the same on a running thread cluster (sweep only)",
            lambda: run_sweep(neurodyn, net, theta, d, y0, c))
    finally:
        close(c, cl)

    row("  the same, client=None, build = net.with_params(raw params)",
        lambda: run_sweep(neurodyn, net, theta, d, y0, None, BuildRaw),
        note="no replace(): a plain ODESystem per member")

    def dask_procs():
        t0 = time.perf_counter()
        cl = LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                          dashboard_address=None)
        c = Client(cl)
        start = time.perf_counter() - t0
        try:
            t1 = time.perf_counter()
            Y, status, attrs = run_sweep(neurodyn, net, theta, d, y0, c)
            sweep_s = time.perf_counter() - t1
        finally:
            closing = close(c, cl)
        return Y, status, {"startup_s": start, "sweep_s": sweep_s, "close_s": closing}

    row(f"neurodyn.sweep, Dask processes ({cores} x 1 thread)", dask_procs,
        startup=lambda e: e["startup_s"] + e["close_s"],
        note="workers load neurodyn + kernels on their first task (counted in the sweep)")
    row(f"multiprocessing.Pool({cores}) of solve(), spawn", lambda: pool_row(points, cores),
        startup=lambda e: e["startup_s"] + e["close_s"])

    # ------------------------------------------------------------------ table
    ref = rows[0] if rows and rows[0]["name"].startswith("solve_ensemble, raw") else None
    by = {r["name"]: r for r in rows}
    pool = next((r for r in rows if r["name"].startswith("multiprocessing")), None)
    print(f"\n{N} members, t in [0, 50], final states; members/s = {N} / wall (wall includes "
          "building the members, and start-up where there is one)")
    head = ["row", "wall", "of it start-up", "cpu (this proc)", "members/s", "vs ensemble",
            "vs Pool", "max |dy| vs raw", "exact"]
    lines = []
    for r in rows:
        ok = bool(np.all(r["status"] == 0))
        dy = float(np.max(np.abs(r["Y"] - ref["Y"]))) if ref is not None else None
        same = bool(np.array_equal(r["Y"], ref["Y"])) if ref is not None else None
        r.update(max_dy=dy, exact=same, all_success=ok)
        lines.append([r["name"], fmt_t(r["wall"]), fmt_t(r["startup"]), fmt_t(r["cpu"]),
                      f"{N / r['wall']:,.0f}",
                      f"{r['wall'] / ref['wall']:.2f}x" if ref else "-",
                      f"{pool['wall'] / r['wall']:.2f}x" if pool else "-",
                      "-" if dy is None else f"{dy:.1e}", str(same)])
    widths = [max(len(x[i]) for x in [head] + lines) for i in range(len(head))]
    fmt = "  ".join("{:<%d}" % w if i == 0 else "{:>%d}" % w for i, w in enumerate(widths))
    print(fmt.format(*head))
    for r, ln in zip(rows, lines):
        notes = [r["note"]] if r["note"] else []
        if not r["all_success"]:
            notes.append(f"FAILED members: {int(np.sum(r['status'] != 0))}")
        if r["foreign"] is not None and r["foreign"] > BUSY_CORES:
            notes.append(f"BUSY: other processes used {r['foreign']:.2f} cores")
        print(fmt.format(*ln) + ("   " + "; ".join(notes) if notes else ""))
    print("(vs ensemble = wall / wall of 'solve_ensemble, raw params' (> 1: slower); vs Pool = "
          "Pool wall / wall (> 1: faster than the Pool))")
    print(f"thread LocalCluster alone: start {fmt_t(thread_cluster['start_s'])}, close "
          f"{fmt_t(thread_cluster['close_s'])}")
    for r in rows:
        e = r["extra"]
        if "map_s" in e:
            print(f"Pool: start-up (spawn {cores} workers, import, load kernels) "
                  f"{fmt_t(e['startup_s'])}, map {fmt_t(e['map_s'])} (chunksize "
                  f"{e['chunksize']}; a fork Pool costs about this), close "
                  f"{fmt_t(e['close_s'])}; map alone {N / e['map_s']:,.0f} members/s")
        if "sweep_s" in e:
            print(f"Dask processes: cluster start {fmt_t(e['startup_s'])}, sweep "
                  f"{fmt_t(e['sweep_s'])}, close {fmt_t(e['close_s'])}")

    all_exact = all(r["exact"] for r in rows) if ref else False
    worst = max((r["max_dy"] for r in rows), default=0.0) if ref else None
    print(f"\nall paths agree: {'bit for bit' if all_exact else f'max |dy| = {worst:.1e}'}; "
          f"all members succeeded: {all(r['all_success'] for r in rows)}")

    bars = {}
    sw_rows = [by.get("neurodyn.sweep, client=None (LocalCluster, threads)")]
    ensm = by.get("solve_ensemble of replace()d models")
    if ref and sw_rows[0]:
        s = sw_rows[0]
        bars["overhead_vs_raw"] = s["wall"] / ref["wall"] - 1
        if ensm:
            bars["overhead_vs_models"] = s["wall"] / ensm["wall"] - 1
        print(f"bar (sweep on its LocalCluster <= 10 % over solve_ensemble): "
              f"{100 * bars['overhead_vs_raw']:+.0f} % vs raw params, "
              + (f"{100 * bars['overhead_vs_models']:+.0f} % vs the ensemble of replace()d "
                 f"models" if ensm else "")
              + (" -> met" if bars["overhead_vs_raw"] <= 0.10 else " -> not met (vs raw)"))
    sb = by.get("neurodyn.sweep(base=net), client=None: build returns the bias")
    if ref and sb:
        bars["overhead_base_vs_raw"] = sb["wall"] / ref["wall"] - 1
        print(f"  the same bar for sweep(base=net): {100 * bars['overhead_base_vs_raw']:+.0f} % "
              "vs raw params -> " + ("met" if bars["overhead_base_vs_raw"] <= 0.10
                                      else "not met"))
    busy = [r["name"] for r in (ref, sw_rows[0], sb, pool)
            if r and r["foreign"] is not None and r["foreign"] > BUSY_CORES]
    if busy:
        print("  (the bars compare rows timed while other processes used the CPU: "
              + ", ".join(busy) + "; not a valid verdict)")
    if pool and sw_rows[0]:
        bars["vs_pool"] = pool["wall"] / sw_rows[0]["wall"]
        print(f"bar (sweep >= 20x the Pool's members/s): {bars['vs_pool']:.2f}x -> "
              + ("met" if bars["vs_pool"] >= 20 else "not met"))

    costs = where_the_time_goes(solvers, net, theta, points, y0, cores)
    print("\nwhere the time goes (per member, first 4000 members, min of 3):")
    for k, v in costs.items():
        print(f"  {k:<44} {v * 1e6:8.1f} us")

    end(info, monitor)
    dump_json(args.json, info, [], w12=[{k: v for k, v in r.items() if k not in ("Y", "status")}
                                        for r in rows],
              bars=bars, costs=costs, thread_cluster=thread_cluster, members=N,
              import_s=import_s)


if __name__ == "__main__":
    main()
