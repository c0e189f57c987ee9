"""Sweep definitions shared by tests/test_sweep.py and the processes it starts (a sweep that
kills itself, Dask workers): functions the workers import by module name."""
import os
import signal
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

