"""Sweep definitions shared by tests/test_sweep.py and the processes it starts (a sweep that
kills itself, Dask workers): functions the workers import by module name."""
import contextlib
import os
import signal
import subprocess
import sys
import time

import numpy as np

import neurodyn as nd

W = np.array([[4.5, 1.0], [-1.0, 4.5]])
BASE = nd.CTRNN(W, bias=[-2.75, -1.75])
GRID = {"b0": np.linspace(-4.0, -1.0, 6), "b1": np.linspace(-3.0, -0.5, 5)}
T_SPAN = (0.0, 20.0)
Y0 = np.array([0.1, -0.2])


def build(b0, b1):
    """Beer's oscillator with biases (b0, b1); SWEEP_KILL_AT=b0,b1 kills this process there
    (SIGKILL: no cleanup, no Python exit handlers, as a crash or an OOM kill)."""
    kill = os.environ.get("SWEEP_KILL_AT")
    if kill is not None and np.allclose([b0, b1], [float(v) for v in kill.split(",")]):
        os.kill(os.getpid(), signal.SIGKILL)
    return BASE.replace(bias=[b0, b1])


def slow_final(ens):
    """The final states, slowly (a chunk takes long enough for a worker to die during it)."""
    time.sleep(float(os.environ.get("SWEEP_SLEEP", "0.3")))
    return {"y_end": ens.y_final}


def run(store, chunk_size):
    return nd.sweep(build, GRID, t_span=T_SPAN, y0=Y0, client=False, chunk_size=chunk_size,
                    store=store, progress=False)



def _start(args, env, log):
    with open(log, "w") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)


@contextlib.contextmanager
def dask_cluster(tmp_path, n_workers, env, nanny=False):
    """A real cluster on loopback: ``dask scheduler`` and ``n_workers`` ``dask worker``
    processes (one thread each; without a nanny, a killed worker stays dead). Yields the
    scheduler file; everything is stopped on exit."""
    sched_file = tmp_path / "scheduler.json"
    procs = [_start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                     "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                     str(sched_file)], env, tmp_path / "scheduler.log")]
    try:
        deadline = time.monotonic() + 120
        while not sched_file.exists():
            assert time.monotonic() < deadline, (tmp_path / "scheduler.log").read_text()
            time.sleep(0.1)
        for k in range(n_workers):
            procs.append(_start([sys.executable, "-m", "distributed.cli.dask_worker",
                                 "--scheduler-file", str(sched_file), "--nthreads", "1",
                                 "--no-dashboard", "--name", f"w{k}"]
                                + ([] if nanny else ["--no-nanny"]), env,
                                tmp_path / f"w{k}.log"))
        yield sched_file
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
