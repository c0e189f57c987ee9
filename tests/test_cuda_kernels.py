"""The CTRNN kernels are plain restricted Python that numba.cuda accepts as device functions.

Run under Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1, no GPU needed): a batch of Euler
trajectories stepped by a CUDA kernel calling the CTRNN kernel as a device function matches the
CPU engine. On a machine with a GPU the same code compiles for the device.
"""
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("numba.cuda")

SCRIPT = textwrap.dedent('''
    import os
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    import numpy as np
    import scipy.sparse as sp
    from numba import cuda
    import solvers
    from neurodyn import CTRNN, Sinusoid

    rng = np.random.default_rng(0)
    n = 6
    W = rng.normal(size=(n, n))
    nets = [CTRNN(W, tau=rng.uniform(1, 2, n), bias=rng.normal(size=n), input=0.3),
            CTRNN(W, activation="tanh", input=Sinusoid(0.5, 0.2)),
            CTRNN(sp.csr_matrix(W * (rng.random((n, n)) < 0.5)), input=0.1)]
    worst = 0.0
    for net in nets:
        dev = cuda.jit(device=True)(net.rhs)

        @cuda.jit
        def euler_batch(Y, p, dt, steps, scratch):
            b = cuda.grid(1)
            if b < Y.shape[0]:
                y = Y[b]
                d = scratch[b]
                for k in range(steps):
                    dev(k * dt, y, p, d)
                    for i in range(y.shape[0]):
                        y[i] += dt * d[i]

        Y = rng.normal(size=(4, n))
        Y0 = Y.copy()
        euler_batch[1, 4](Y, net.params, 0.01, 10, np.zeros_like(Y))
        ref = np.array([solvers.solve(net, (0, 0.1), y0, method="euler", dt=0.01).y[-1]
                        for y0 in Y0])
        worst = max(worst, float(np.abs(Y - ref).max()))
    print(worst)
''')


def test_ctrnn_kernels_run_as_cuda_device_functions():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, timeout=600).stdout
    assert float(out) < 1e-12
