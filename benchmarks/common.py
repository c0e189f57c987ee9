"""Shared machinery of the benchmark scripts: machine description, load check, the timing
harness, engine detection and the result table.

Timing follows WORKLOADS.md: ``time.perf_counter()`` in this process; ``first_s`` is the first
call (including JIT compilation or loading from the compiled-code cache); ``steady`` is the
median, min and max of ``repeats`` timed calls after it; ``cpu`` is the mean process CPU time
of the same calls (all threads), which shows when a peer uses more than one core. (A mean, not
a median: Linux charges the CPU time of helper threads, e.g. BLAS workers, with some delay,
so a single short call can be charged too little and the next too much.)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

LOAD_WARN = 0.5      # warn when the 1-min load average at the start is above this
# A row is timed again (after waiting for an idle CPU) when other processes kept more than
# BUSY_CORES cores busy meanwhile, at most RETRIES times (set by begin() from --retries).
BUSY_CORES = 0.2
RETRIES = 2
MIN_WINDOW_S = 0.3   # time a row at least this long, so that the foreign load can be measured


# --------------------------------------------------------------------------- machine

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> dict:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "scipy", "numba", "numbalsoda", "jax", "diffrax"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def machine_info() -> dict:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    load = os.getloadavg()[0]
    return {"cpu": cpu_model(), "cores": cores, "machine_load": load, "versions": versions(),
            "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", "(default: __pycache__)"),
            "NEURODYN_CACHE_DIR": os.environ.get("NEURODYN_CACHE_DIR", "(default)")}


def _cpu_busy_s() -> float:
    """CPU seconds spent busy by all processes on all cores since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadMonitor:
    """Average number of cores that *other* processes kept busy since ``start()``: all busy
    CPU time from /proc/stat minus this process's (and its children's) CPU time, per second."""

    def __init__(self):
        self.start()

    def start(self):
        self.t0, self.busy0, self.own0 = time.perf_counter(), _cpu_busy_s(), _own_cpu_s()

    def foreign_cores(self) -> float | None:
        try:
            dt = time.perf_counter() - self.t0
            other = (_cpu_busy_s() - self.busy0) - (_own_cpu_s() - self.own0)
            return max(0.0, other / dt) if dt > 0 else None
        except OSError:
            return None


def wait_idle(max_wait_s: float, threshold=0.1, need=2, quiet_message=True) -> None:
    """Wait (at most ``max_wait_s``) until the other processes use less than ``threshold``
    cores for ``need`` consecutive seconds; say how it went."""
    if max_wait_s <= 0:
        return
    t_end, quiet, busy = time.monotonic() + max_wait_s, 0, None
    try:
        while time.monotonic() < t_end:
            b0 = _cpu_busy_s()
            time.sleep(1.0)
            busy = _cpu_busy_s() - b0
            quiet = quiet + 1 if busy < threshold else 0
            if quiet >= need:
                return
    except OSError:
        return
    if quiet_message:
        print(f"WARNING: the machine did not become idle within {max_wait_s:.0f} s (other "
              f"processes kept {busy:.2f} cores busy); measuring anyway")


def begin(doc: str, title: str):
    """Parse the options, wait for an idle machine, print the header. Returns (args, info,
    monitor); pass the last two to :func:`end`."""
    global RETRIES
    args = parse_args(doc)
    RETRIES = max(0, args.retries)
    wait_idle(args.wait_idle)
    info = machine_info()
    print_header(title, info)
    return args, info, LoadMonitor()


def end(info: dict, monitor: LoadMonitor) -> None:
    """Record and print how busy other processes kept the machine during the measurement."""
    fc = monitor.foreign_cores()
    info["foreign_cores_during_run"] = fc
    info["machine_load_end"] = os.getloadavg()[0]
    if fc is None:
        return
    print(f"\nother processes kept {fc:.2f} cores busy on average during this run, first calls "
          f"and retries included (machine_load at the end {info['machine_load_end']:.2f})")
    if fc > BUSY_CORES:
        print("(timings of rows without a BUSY note were taken while the machine was idle)")


def print_header(title: str, info: dict) -> None:
    v = info["versions"]
    print(f"== {title}")
    print(f"machine: {info['cpu']}, {info['cores']} cores; machine_load (1 min) = "
          f"{info['machine_load']:.2f}")
    print("versions: " + ", ".join(f"{k} {val}" for k, val in v.items()))
    print(f"caches: NUMBA_CACHE_DIR={info['NUMBA_CACHE_DIR']}, "
          f"NEURODYN_CACHE_DIR={info['NEURODYN_CACHE_DIR']}")
    if info["machine_load"] > LOAD_WARN:
        print(f"WARNING: machine_load {info['machine_load']:.2f} > {LOAD_WARN}: the CPU was busy "
              "during the last minute (a benchmark run just before this one counts too); see "
              "the load measured during the run at the end")


def parse_args(doc: str, default_repeats: int = 7):
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="5 repeats instead of the default")
    p.add_argument("--repeats", type=int, default=None, help=f"timed repeats (default "
                   f"{default_repeats}, --quick 5, at least 5)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--wait-idle", type=float, default=30.0, metavar="S",
                   help="first wait up to S seconds for other processes to leave the CPU "
                   "idle (default 30; 0: do not wait)")
    p.add_argument("--retries", type=int, default=2, metavar="K",
                   help="time a row again, up to K times, when other processes used more than "
                   f"{BUSY_CORES} cores meanwhile (default 2)")
    a = p.parse_args()
    if a.repeats is None:
        a.repeats = 5 if a.quick else default_repeats
    a.repeats = max(5, a.repeats)
    return a


# --------------------------------------------------------------------------- engine

def engine(need_model=True):
    """(solvers, neurodyn) modules, or None (with a line saying so) when the engine, or with
    ``need_model`` the CTRNN model, is not importable yet. ``neurodyn`` is None when not needed
    and missing."""
    try:
        import solvers

        solvers.solve  # noqa: B018 -- the engine entry point must exist
    except Exception as exc:  # ImportError, AttributeError, or a half-written engine
        print(f"ours: engine not available ({type(exc).__name__}: {exc})")
        return None
    try:
        import neurodyn

        neurodyn.CTRNN  # noqa: B018
    except Exception as exc:
        if need_model:
            print(f"ours: engine not available (model missing: {type(exc).__name__}: {exc})")
            return None
        neurodyn = None
    return solvers, neurodyn


def ours_ctrnn(method, w, eng):
    """A zero-argument function that solves the CTRNN workload ``w`` with our engine.

    W1/W2's right-hand side ``(-y + W @ sigmoid(y + theta) + I) / tau`` is exactly
    ``neurodyn.CTRNN(W, tau=tau, bias=theta, gain=1, input=I, activation="sigmoid")``. The model
    is built once, outside the timed call, as a user would build it once and solve it often.
    """
    from benchmarks.peers import Result

    solvers, neurodyn = eng
    model = neurodyn.CTRNN(w.W, tau=w.tau, bias=w.theta, gain=1.0, input=w.I,
                           activation="sigmoid")

    def call():
        sol = solvers.solve(model, w.t_span, w.y0, method=method, t_eval=w.t_eval,
                            rtol=w.rtol, atol=w.atol)
        return Result(np.asarray(sol.y), sol.nfev, sol.success, sol.message,
                      {"steps": f"{sol.naccepted}/{sol.nrejected}"})

    return call


# --------------------------------------------------------------------------- timing

@dataclass
class Row:
    """One line of a result table."""

    name: str
    ours: bool = False
    first_s: float | None = None      # first call incl. compile / cache load
    compile_s: float | None = None    # separable compile step, when there is one
    median_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    cpu_s: float | None = None        # mean process CPU time per call (all threads)
    nfev: int | str | None = None
    extra: dict = field(default_factory=dict)   # njev, nlu, steps, ...
    err: float | None = None
    note: str = ""
    match: str | None = None          # name of the row of ours this peer is compared with


def time_calls(fn, repeats: int, *, extra_warmup: int = 0, max_calls: int = 2000):
    """Call ``fn`` once (timed as the first call), ``extra_warmup`` more times untimed, then
    time at least ``repeats`` calls, continuing up to ``MIN_WINDOW_S`` seconds (at most
    ``max_calls``). When other processes used the CPU meanwhile (more than ``BUSY_CORES``),
    wait for an idle machine and time again, at most ``RETRIES`` times.

    Returns (first_s, times, cpu_times, foreign_cores, attempts, last_result)."""
    t0 = time.perf_counter()
    res = fn()
    first = time.perf_counter() - t0
    # Our first call may have run interpreted while Numba compiled its loop in the background
    # (solvers._tiers): the steady state is the compiled loop, so wait for it before timing.
    tiers = sys.modules.get("solvers._tiers")
    if tiers is not None:
        tiers.wait_for()
    for _ in range(extra_warmup):
        res = fn()
    for attempt in range(RETRIES + 1):
        if attempt:
            wait_idle(60.0, quiet_message=False)
        times, cpus = [], []
        mon = LoadMonitor()
        w0 = time.perf_counter()
        while len(times) < repeats or (time.perf_counter() - w0 < MIN_WINDOW_S
                                       and len(times) < max_calls):
            c0 = time.process_time()
            t0 = time.perf_counter()
            res = fn()
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        fc = mon.foreign_cores()
        if fc is None or fc <= BUSY_CORES:
            break
    return first, times, cpus, fc, attempt + 1, res


def timed_row(name, fn, repeats, *, ours=False, compile_s=None, extra_warmup=0, match=None,
              note=""):
    """Time ``fn`` and return (Row, last result). Statistics and accuracy are filled in by the
    caller from the result. ``row.extra`` records the number of timed calls, the attempts and
    the cores other processes used meanwhile; a row timed on a busy machine says so."""
    first, times, cpus, fc, attempts, res = time_calls(fn, repeats, extra_warmup=extra_warmup)
    row = Row(name, ours=ours, first_s=first if compile_s is None else first + compile_s,
              compile_s=compile_s, median_s=statistics.median(times), min_s=min(times),
              max_s=max(times), cpu_s=sum(cpus) / len(cpus), match=match, note=note)
    row.extra.update({"calls": len(times), "attempts": attempts, "foreign_cores": fc})
    if fc is not None and fc > BUSY_CORES:
        row.note = (row.note + f"  BUSY: other processes used {fc:.2f} cores").strip()
    return row, res


def finish(row, res, y_ref):
    """Fill nfev, extras and max |y - y_ref| of ``row`` from a peers.Result."""
    row.nfev = res.nfev
    row.extra.update(res.extra)
    if res.y.shape == y_ref.shape:
        row.err = float(np.max(np.abs(res.y - y_ref)))
    else:
        row.note = f"output shape {res.y.shape} != {y_ref.shape}"
    if not res.success:
        row.note = (row.note + "  FAILED: " + str(res.message)).strip()
    return row


def failed_row(name, exc, *, ours=False, match=None):
    return Row(name, ours=ours, note=f"FAILED: {type(exc).__name__}: {exc}", match=match)


# --------------------------------------------------------------------------- output

def fmt_t(s):
    if s is None:
        return "-"
    if s >= 1.0:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} us"


def _fmt_err(e):
    return "-" if e is None else f"{e:.1e}"


def print_table(rows, extra_cols=()):
    """Print the rows, then the ratio (peer median / ours median) of every peer against the
    row of ours it is matched with and against our fastest row."""
    head = ["", "row", "first call", "median", "min", "max", "calls", "cpu", "nfev",
            *extra_cols, "max err"]
    lines = []
    for r in rows:
        lines.append(["*" if r.ours else "", r.name, fmt_t(r.first_s), fmt_t(r.median_s),
                      fmt_t(r.min_s), fmt_t(r.max_s), str(r.extra.get("calls", "-")),
                      fmt_t(r.cpu_s),
                      "-" if r.nfev is None else str(r.nfev),
                      *[str(r.extra.get(c, "-")) for c in extra_cols], _fmt_err(r.err)])
    widths = [max(len(x[i]) for x in [head] + lines) for i in range(len(head))]

    def join(cells):  # first two columns left-aligned, numbers right-aligned
        return "  ".join(x.ljust(w) if i < 2 else x.rjust(w)
                         for i, (x, w) in enumerate(zip(cells, widths)))

    print(join(head))
    for r, ln in zip(rows, lines):
        print(join(ln) + (f"   {r.note}" if r.note else ""))
    print("(* = ours; first call includes JIT compilation or loading the compiled-code cache; "
          "median/min/max over `calls` timed calls; cpu = mean process CPU time per call, all "
          "threads)")

    again = [f"{r.name} ({r.extra['attempts']}x)" for r in rows
             if r.extra.get("attempts", 1) > 1]
    if again:
        print("timed again after other processes had used the CPU: " + ", ".join(again))

    ours = {r.name: r for r in rows if r.ours and r.median_s}
    peers = [r for r in rows if not r.ours and r.median_s]
    if not ours or not peers:
        if not ours:
            print("ratios: no rows of ours")
        return
    best = min(ours.values(), key=lambda r: r.median_s)
    print(f"\nratio = peer median / ours median (> 1: ours faster); matched row of ours, and "
          f"our fastest ({best.name})")
    w = max(len(p.name) for p in peers)
    wm = max([len(p.match) for p in peers if p.match in ours] + [0])
    for p in peers:
        m = ours.get(p.match) if p.match else None
        matched = (f"vs {m.name + ':':<{wm + 1}} {p.median_s / m.median_s:8.2f}x" if m
                   else " " * (wm + 14))
        print(f"  {p.name.ljust(w)}  {matched}   vs fastest: "
              f"{p.median_s / best.median_s:8.2f}x")


def dump_json(path, info, rows, **extra):
    if not path:
        return
    data = {"machine": info, "rows": [asdict(r) for r in rows], **extra}
    Path(path).write_text(json.dumps(data, indent=1, default=str))
    print(f"results written to {path}")
