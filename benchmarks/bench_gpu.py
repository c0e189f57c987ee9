"""GPU benchmark (issue: GPU ensembles and one large network on the GPU), one script for the
lent GPU machine: ``PYTHONPATH=. python benchmarks/bench_gpu.py --out $OUT/bench_gpu.json``.

W8 (shared/WORKLOADS.md, the DiffEqGPU Lorenz ensemble): rho = linspace(0, 21, N), u0 = (1, 0, 0),
t in [0, 1], float32, final state only; fixed step dt = 1e-3 (RK4) and adaptive Tsit5 at
rtol = atol = 1e-8 (the published setting; below float32's resolution, so also 1e-6), for
N = 2^20 ... 2^23. Rows: ours (``solve_ensemble(..., backend="cuda")``: the whole call with its
transfers, the call keeping results on the device, and the kernel alone with the data already
there), diffrax + ``jax.vmap`` on the same GPU, torchdiffeq batched on the same GPU. Error: max
|u(1) - ref| over 1000 members against a CPU float64 run at 1e-12.

Large network: a dense CTRNN, N = 20,000, float64, t in [0, 2], ``solve(net, ...,
backend="cuda")`` (the array engine on CuPy) against nfev x one CuPy GEMV of the same W, and
against diffrax on the GPU, each checked against the CPU ``solve``.

Every row is guarded: a failing peer is recorded with its error and the script goes on; the
figures go to ``--out`` as JSON and to stdout as a table. ``--quick`` runs N = 2^20 and 2^23
only; ``--smoke`` runs tiny sizes (e.g. under NUMBA_ENABLE_CUDASIM=1 without a GPU) to check
the script itself, not to time anything. Sized to finish in ~8 minutes on an H100.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import solvers  # noqa: E402
from benchmarks.kernels import lorenz  # noqa: E402

SIGMA, BETA = 10.0, 8.0 / 3.0
ROWS = []


def log(*a):
    print(*a, flush=True)


def timed(fn, repeats, sync=None):
    """(first call s, median s, min s, last result): the first call compiles."""
    t = time.perf_counter()
    res = fn()
    if sync:
        sync()
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        res = fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t)
    return first, statistics.median(times), min(times), res


def row(name, **fields):
    r = {"row": name, **fields}
    ROWS.append(r)
    shown = ", ".join(f"{k}={_fmt(v)}" for k, v in fields.items())
    log(f"  {name}: {shown}")
    return r


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def guarded(name, fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - a failing row is recorded, the rest go on
        row(name, error=f"{type(e).__name__}: {e}"[:400])
        traceback.print_exc()
        return None


# ------------------------------------------------------------------------------------- W8


def w8_reference(rhos, idx):
    """CPU float64 final states of members idx at rtol 1e-12 (the error reference)."""
    sysm = solvers.ODESystem(lorenz, 3, (SIGMA, 28.0, BETA))
    params = [(SIGMA, float(rhos[i]), BETA) for i in idx]
    ens = solvers.solve_ensemble(sysm, (0.0, 1.0), [1.0, 0.0, 0.0], params=params,
                                 method="dop853", rtol=1e-12, atol=1e-12, save="final",
                                 backend="cpu")
    return ens.y_final


def ours_w8(N, setting, rhos, idx, ref, repeats):
    from solvers import cuda_ensemble, ensemble, tableaus

    sysm = solvers.ODESystem(lorenz, 3, (SIGMA, 28.0, BETA))
    method, kw = setting
    # The raw params form: one tuple whose rho varies (stacked once, laid out member-last).
    P = (np.float64(SIGMA), rhos, np.float64(BETA))
    layout = ("s", "v", "s")
    Y = np.tile(np.array([1.0, 0.0, 0.0]), (N, 1))
    tab = tableaus.get(method)
    steps = (int(round(1.0 / kw["dt"])) if "dt" in kw else 10**7)

    # The call behind solve_ensemble(..., backend="cuda") from its stacked params (building
    # 2^23 params tuples in Python is not what is timed): transfers in, kernel, results back.
    def call(keep=False):
        return ensemble._solve_ensemble_cuda(
            sysm, (P, layout), Y.copy(), method, 0.0, 1.0, None, "final",
            kw.get("rtol", 1e-6), np.full(3, kw.get("atol", 1e-9)), kw.get("dt"), None,
            np.inf, steps, np.float32, keep, False)

    first, med, mn, ens = timed(call, repeats)
    err = float(np.abs(ens.y_final[idx] - ref).max())
    ok = int(ens.success.sum())
    nfev = float(np.mean(ens.nfev))
    try:
        _, med_keep, _, _ = timed(lambda: call(True), repeats)
    except ImportError:  # no CuPy: results cannot stay on the device
        med_keep = float("nan")
    # The kernel alone, data already on the device.
    job = cuda_ensemble._Launch(sysm, P, layout, Y, tab, 0.0, 1.0, None, "final",
                                kw.get("rtol", 1e-6), np.full(3, kw.get("atol", 1e-9)),
                                kw.get("dt"), None, np.inf, steps, steps, np.float32)
    _, med_k, mn_k, _ = timed(lambda: job.launch(0, N), repeats, sync=job.stream.synchronize)
    return row(f"ours {method} {_setting_name(kw)} N=2^{int(np.log2(N))}", N=N,
               kernel_s=med_k, kernel_min_s=mn_k, call_keep_on_device_s=med_keep,
               call_s=med, first_call_s=first, max_err=err, succeeded=ok,
               mean_nfev=nfev)


def _setting_name(kw):
    return f"dt={kw['dt']:g}" if "dt" in kw else f"tol={kw['rtol']:g}"


def diffrax_w8(N, setting, rhos, idx, ref, repeats):
    import diffrax
    import jax
    import jax.numpy as jnp

    method, kw = setting

    def f(t, u, rho):
        x, y, z = u[0], u[1], u[2]
        return jnp.stack([SIGMA * (y - x), x * (rho - z) - y, x * y - BETA * z])

    term = diffrax.ODETerm(f)
    solver = diffrax.Tsit5()
    u0 = jnp.array([1.0, 0.0, 0.0], dtype=jnp.float32)
    if "dt" in kw:
        ctrl, dt0, max_steps = diffrax.ConstantStepSize(), kw["dt"], int(1.0 / kw["dt"]) + 10
    else:
        ctrl = diffrax.PIDController(rtol=kw["rtol"], atol=kw["atol"])
        dt0, max_steps = None, 100_000

    def one(rho):
        sol = diffrax.diffeqsolve(term, solver, t0=0.0, t1=1.0, dt0=dt0, y0=u0, args=rho,
                                  stepsize_controller=ctrl, saveat=diffrax.SaveAt(t1=True),
                                  max_steps=max_steps, throw=False)
        return sol.ys[-1]

    fn = jax.jit(jax.vmap(one))
    r = jnp.asarray(rhos, dtype=jnp.float32)
    first, med, mn, out = timed(lambda: fn(r).block_until_ready(), repeats)
    y = np.asarray(out)
    name = "Tsit5" if "dt" not in kw else "Tsit5 (fixed)"
    return row(f"diffrax {name} + vmap {_setting_name(kw)} N=2^{int(np.log2(N))}", N=N,
               call_s=med, min_s=mn, first_call_s=first,
               max_err=float(np.abs(y[idx] - ref).max()))


def torch_w8(N, setting, rhos, idx, ref, repeats):
    import torch
    from torchdiffeq import odeint

    method, kw = setting
    dev = torch.device("cuda")
    rho = torch.as_tensor(rhos, dtype=torch.float32, device=dev)

    def f(t, u):
        x, y, z = u[:, 0], u[:, 1], u[:, 2]
        return torch.stack([SIGMA * (y - x), x * (rho - z) - y, x * y - BETA * z], dim=1)

    u0 = torch.zeros((N, 3), dtype=torch.float32, device=dev)
    u0[:, 0] = 1.0
    tt = torch.tensor([0.0, 1.0], dtype=torch.float32, device=dev)
    if "dt" in kw:
        def call():
            return odeint(f, u0, tt, method="rk4", options={"step_size": kw["dt"]})[-1]
        label = f"torchdiffeq rk4 batched {_setting_name(kw)}"
    else:
        def call():
            return odeint(f, u0, tt, method="dopri5", rtol=kw["rtol"], atol=kw["atol"])[-1]
        label = f"torchdiffeq dopri5 batched (one shared step) {_setting_name(kw)}"
    first, med, mn, out = timed(call, max(1, repeats // 2), sync=torch.cuda.synchronize)
    y = out.cpu().numpy()
    return row(f"{label} N=2^{int(np.log2(N))}", N=N, call_s=med, min_s=mn,
               first_call_s=first, max_err=float(np.abs(y[idx] - ref).max()))


def crossover(sizes, repeats):
    """The public call on both backends (float64, tsit5 at 1e-8, final states) over growing
    ensembles: where the GPU starts to win is the threshold of backend="auto"."""
    sysm = solvers.ODESystem(lorenz, 3, (SIGMA, 28.0, BETA))
    first_win = None
    for B in sizes:
        params = [(SIGMA, float(r), BETA) for r in np.linspace(0.0, 21.0, B)]
        kw = dict(method="tsit5", rtol=1e-8, atol=1e-8, save="final")
        _, cpu, _, c = timed(lambda: solvers.solve_ensemble(
            sysm, (0.0, 1.0), [1.0, 0.0, 0.0], params=params, backend="cpu", **kw), repeats)
        _, gpu, _, g = timed(lambda: solvers.solve_ensemble(
            sysm, (0.0, 1.0), [1.0, 0.0, 0.0], params=params, backend="cuda", **kw), repeats)
        diff = float(np.abs(g.y_final - c.y_final).max())
        row(f"crossover B={B}", B=B, cpu_s=cpu, cuda_s=gpu, cpu_over_cuda=cpu / gpu,
            max_abs_diff=diff)
        if first_win is None and gpu < cpu:
            first_win = B
    row("crossover: smallest B where the GPU call is faster", B=first_win)


# ------------------------------------------------------------------------ large network


def large_network(n, repeats, smoke):
    from neurodyn import CTRNN

    rng = np.random.default_rng(0)
    W = rng.normal(scale=1.5 / np.sqrt(n), size=(n, n))
    net = CTRNN(W, tau=1.0, bias=rng.normal(scale=0.5, size=n))
    y0 = rng.normal(scale=0.5, size=n)
    te = np.linspace(0.0, 2.0, 5)
    kw = dict(method="tsit5", t_eval=te, rtol=1e-6, atol=1e-9)
    t = time.perf_counter()
    cpu = solvers.solve(net, (0.0, 2.0), y0, **kw)
    cpu_s = time.perf_counter() - t
    row(f"CPU solve tsit5 N={n} (reference)", call_s=cpu_s, nfev=int(cpu.nfev))
    scale = float(np.abs(cpu.y).max())

    try:
        import cupy as xp
        backend = "cuda"
    except ImportError:
        if not smoke:
            raise
        xp, backend = np, "numpy"  # --smoke without CuPy: the same engine on NumPy

    def ours():
        return solvers.solve(net, (0.0, 2.0), y0, backend=backend, **kw)

    first, med, mn, sol = timed(ours, repeats)
    ours_row = row(f"ours array engine ({xp.__name__}) tsit5 N={n}", call_s=med, min_s=mn,
                   first_call_s=first, nfev=int(sol.nfev),
                   max_rel_diff_vs_cpu=float(np.abs(sol.y - cpu.y).max()) / scale)
    Wd = xp.asarray(W)
    v = xp.asarray(y0)
    sync = xp.cuda.Device().synchronize if backend == "cuda" else None
    _, gemv, _, _ = timed(lambda: Wd @ v, 20, sync=sync)
    floor = gemv * sol.nfev
    row(f"floor: nfev x one {xp.__name__} GEMV (N={n}, float64)", gemv_s=gemv, floor_s=floor,
        ours_over_floor=med / floor)
    ours_row["ours_over_floor"] = med / floor
    if smoke:
        return

    def dfx():
        import diffrax
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        Wj = jnp.asarray(W)
        th = jnp.asarray(net.params[1])

        def f(t, y, args):
            return -y + Wj @ jax.nn.sigmoid(y + th)

        sol_fn = jax.jit(lambda y: diffrax.diffeqsolve(
            diffrax.ODETerm(f), diffrax.Tsit5(), t0=0.0, t1=2.0, dt0=None, y0=y,
            stepsize_controller=diffrax.PIDController(rtol=1e-6, atol=1e-9),
            saveat=diffrax.SaveAt(ts=jnp.asarray(te)), max_steps=100_000).ys)
        yj = jnp.asarray(y0)
        first, med, mn, ys = timed(lambda: sol_fn(yj).block_until_ready(), repeats)
        return row(f"diffrax Tsit5 on the GPU N={n}", call_s=med, min_s=mn, first_call_s=first,
                   max_rel_diff_vs_cpu=float(np.abs(np.asarray(ys) - cpu.y).max()) / scale,
                   ours_speedup=med / ours_row["call_s"])

    guarded(f"diffrax Tsit5 on the GPU N={n}", dfx)


# ----------------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 2^20 and 2^23 only")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks the script")
    ap.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."),
                                                  "bench_gpu.json"))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from numba import cuda

    info = {"python": sys.version.split()[0], "numpy": np.__version__,
            "machine": platform.platform(), "simulator": bool(cuda.simulator_enabled if hasattr(
                cuda, "simulator_enabled") else os.environ.get("NUMBA_ENABLE_CUDASIM"))}
    try:
        info["gpu"] = str(cuda.get_current_device().name)
    except Exception as e:  # noqa: BLE001
        info["gpu"] = f"none ({e})"
    log("bench_gpu:", json.dumps(info))
    if args.smoke:
        sizes, repeats, n_net = [64], 1, 64
    elif args.quick:
        sizes, repeats, n_net = [1 << 20, 1 << 23], args.repeats, 20_000
    else:
        sizes, repeats, n_net = [1 << 20, 1 << 21, 1 << 22, 1 << 23], args.repeats, 20_000
    settings = [("rk4", {"dt": 1e-3}), ("tsit5", {"rtol": 1e-8, "atol": 1e-8}),
                ("tsit5", {"rtol": 1e-6, "atol": 1e-6})]
    if args.smoke:
        settings = [("rk4", {"dt": 1e-2}), ("tsit5", {"rtol": 1e-6, "atol": 1e-6})]
    started = time.perf_counter()
    for N in sizes:
        rhos = np.linspace(0.0, 21.0, N)
        idx = np.linspace(0, N - 1, min(N, 1000)).astype(np.int64)
        ref = w8_reference(rhos, idx)
        log(f"W8 N = {N} (2^{int(np.log2(N))}), {time.perf_counter() - started:.0f} s in")
        for setting in settings:
            name = f"ours {setting[0]} {_setting_name(setting[1])} N={N}"
            guarded(name, lambda: ours_w8(N, setting, rhos, idx, ref, repeats))
            if args.smoke:
                continue
            # peers at the smallest and the largest size (their runs are long: the published
            # diffrax fixed-step figure at 2^23 is 10 s a call on a V100)
            if N in (sizes[0], sizes[-1]):
                if setting[0] != "rk4" or N == sizes[0]:
                    guarded(f"diffrax {name}",
                            lambda: diffrax_w8(N, setting, rhos, idx, ref, max(1, repeats // 2)))
                if N == sizes[0]:
                    guarded(f"torchdiffeq {name}",
                            lambda: torch_w8(N, setting, rhos, idx, ref, repeats))
    log(f"CPU/GPU crossover, {time.perf_counter() - started:.0f} s in")
    guarded("crossover", lambda: crossover([16, 64] if args.smoke else
                                           [1 << k for k in range(8, 19, 2)],
                                           1 if args.smoke else 3))
    log(f"large network, {time.perf_counter() - started:.0f} s in")
    guarded(f"large network N={n_net}", lambda: large_network(n_net, min(repeats, 3),
                                                               args.smoke))
    info["wall_s"] = time.perf_counter() - started
    with open(args.out, "w") as fh:
        json.dump({"info": info, "rows": ROWS}, fh, indent=1)
    log(f"wrote {args.out} ({info['wall_s']:.0f} s)")


if __name__ == "__main__":
    main()
