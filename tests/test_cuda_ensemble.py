"""solve_ensemble(..., backend="cuda"): the generated one-member-per-thread kernels.

CI has no GPU: the kernels run under Numba's CUDA simulator in a subprocess
(tests/_cuda_sim_checks.py; the simulator must be switched on before numba.cuda is imported),
small batches only (every simulated thread is a Python thread). In float64 the simulator does
the GPU kernel's arithmetic in the CPU loops' order, so the members must equal the CPU
backend's; on a real GPU (fused multiply-adds) they agree to rounding (benchmarks/bench_gpu.py
checks that). The real-GPU test at the end runs only where a GPU is present.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import solvers
from solvers import cuda_ensemble

pytest.importorskip("numba.cuda")

HERE = Path(__file__).resolve().parent
METHODS = ("euler", "heun", "rk4", "bs32", "dopri5", "tsit5")


@pytest.fixture(scope="module")
def sim():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    res = subprocess.run([sys.executable, str(HERE / "_cuda_sim_checks.py")], capture_output=True,
                         text=True, env=env, timeout=1200)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("method", METHODS)
def test_every_method_matches_the_cpu_ensemble_in_float64(sim, method):
    r = sim[f"lorenz_{method}"]
    assert r["ok"]
    for what in ("y", "y_final", "t_final"):
        assert r[what]["nan_same"]
        assert r[what]["max"] <= 1e-10, (what, r[what])
    assert r["stats"]  # same nfev, accepted and rejected steps, output rows, status


def test_fixed_steps_every_step_and_backward_runs(sim):
    r = sim["fixed_every_step"]
    assert r["rows"] == [2, 5, 3]  # 0.1 / 0.03: three steps of 0.03 and one of 0.01, plus y0
    assert r["y"]["max"] <= 1e-10 and r["t"]["max"] == 0.0 and r["stats"]
    r = sim["backward"]
    assert r["ok"] and r["stats"] and r["y"]["max"] <= 1e-10


def test_a_failing_member_stops_alone_with_its_partial_trajectory(sim):
    r = sim["blowup"]
    # y' = k y^2, y(0) = 1 blows up at t = 1/k: only k = 4 does inside [0, 1]
    assert r["status"][0] == 0 and r["status"][2] == 0
    assert r["status"][1] < 0
    assert r["n_out"] == [9, 3, 9]  # t_eval rows 0, 0.125 reached before t = 0.25; rest NaN
    assert r["y"]["nan_same"] and r["y"]["max"] <= 1e-10
    assert r["t_final"]["max"] <= 1e-12 and r["stats"]
    assert r["message"] == r["cpu_message"] and "0.25" in r["message"]


def test_the_step_limit_is_reported_as_on_the_cpu(sim):
    r = sim["max_steps"]
    assert r["status"] == [-1] and r["stats"] and r["y_final"]["max"] <= 1e-10
    # fixed steps cut by max_steps stop on their grid (7 steps of 0.02), not at t1
    assert r["fixed_status"] == [-1] and abs(r["fixed_t_final"][0] - 0.14) < 1e-15
    assert r["fixed_stats"] and r["fixed_y"]["max"] <= 1e-10 and r["fixed_y"]["nan_same"]


def test_neurodyn_models_with_array_params(sim):
    # stacked biases laid out member-last, a shared W, an int activation code, a sparse W and a
    # sinusoidal input: all rebuilt per thread into the kernel's params tuple
    for key in ("ctrnn_bias", "ctrnn_sparse_sin"):
        r = sim[key]
        assert r["stats"]
        for what in ("y", "y_final"):
            if what in r:
                assert r[what]["nan_same"] and r[what]["max"] <= 1e-10


def test_float32_agrees_to_its_resolution_and_warns_below_it(sim):
    r = sim["float32"]
    assert r["ok"]
    # fixed-step RK4 in float32 against the same steps in float64: rounding only
    assert r["rk4_rel"] < 100 * np.finfo(np.float32).eps
    # adaptive at rtol = atol = 1e-5 against a 1e-12 reference: the tolerance, not rounding
    assert r["tsit5_rel"] < 2e-4
    assert r["quiet"] == 0
    assert len(r["warned"]) == 1 and "float32" in r["warned"][0] and "1e-08" in r["warned"][0]


# ------------------------------------------------------------- errors, in this (GPU-less) process


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


SYS = solvers.ODESystem(_decay, 1, (1.0,))


def test_methods_and_options_the_gpu_lacks_are_refused_by_name():
    with pytest.raises(ValueError, match="method 'dop853' has no GPU kernel"):
        solvers.solve_ensemble(SYS, (0, 1), [[1.0]], method="dop853", save="final",
                               backend="cuda")
    with pytest.raises(ValueError, match="events"):
        solvers.solve_ensemble(SYS, (0, 1), [[1.0]], save="final", backend="cuda",
                               events=[lambda t, y, p: y[0] - 0.5])
    with pytest.raises(ValueError, match="dtype=float32 needs backend='cuda'"):
        solvers.solve_ensemble(SYS, (0, 1), [[1.0]], save="final", backend="cpu",
                               dtype=np.float32)
    with pytest.raises(ValueError, match="float64 or numpy.float32"):
        solvers.solve_ensemble(SYS, (0, 1), [[1.0]], save="final", backend="cuda",
                               dtype=np.float16)
    with pytest.raises(ValueError, match="keep_on_device=True needs backend='cuda'"):
        solvers.solve_ensemble(SYS, (0, 1), [[1.0]], save="final", keep_on_device=True)
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        solvers.solve_ensemble(SYS, (0, 1), [[1.0]], save="final", backend="gpu")


@pytest.mark.skipif(cuda_ensemble.cuda_available(), reason="a GPU is present")
def test_without_a_gpu_cuda_says_how_to_get_one_and_auto_runs_on_the_cpu(monkeypatch):
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    with pytest.raises((RuntimeError, ImportError), match=r"neurodyn\[gpu\]"):
        solvers.solve_ensemble(SYS, (0, 1), [[1.0], [2.0]], save="final", backend="cuda")
    y0 = np.array([[1.0], [2.0]])
    a = solvers.solve_ensemble(SYS, (0, 1), y0, save="final")  # backend="auto"
    c = solvers.solve_ensemble(SYS, (0, 1), y0, save="final", backend="cpu")
    assert np.array_equal(a.y_final, c.y_final)
    assert np.allclose(a.y_final[:, 0], y0[:, 0] * np.exp(-1.0), rtol=1e-5)


def test_importing_the_packages_needs_no_gpu_library():
    code = ("import sys, solvers, neurodyn, circuits; "
            "print(sorted(m for m in ('numba.cuda', 'cupy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300).stdout
    assert out.strip() == "[]"


def test_gpu_min_members_reads_its_variable(monkeypatch):
    monkeypatch.setenv("NEURODYN_GPU_MIN_MEMBERS", "5")
    assert cuda_ensemble.gpu_min_members() == 5
    monkeypatch.setenv("NEURODYN_GPU_MIN_MEMBERS", "many")
    with pytest.raises(ValueError, match="NEURODYN_GPU_MIN_MEMBERS"):
        cuda_ensemble.gpu_min_members()


# ------------------------------------------------------------------------ on a real GPU only


@pytest.mark.skipif(not cuda_ensemble.cuda_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("method", ("rk4", "dopri5", "tsit5"))
def test_real_gpu_matches_the_cpu(method):
    sys.path.insert(0, str(HERE))
    from _cuda_sim_kernels import lorenz

    lor = solvers.ODESystem(lorenz, 3, (10.0, 28.0, 8.0 / 3.0))
    params = [(10.0, float(r), 8.0 / 3.0) for r in np.linspace(0, 21, 1000)]
    kw = {"dt": 1e-3} if method == "rk4" else {"rtol": 1e-8, "atol": 1e-8}
    g = solvers.solve_ensemble(lor, (0, 1), [1.0, 0, 0], params=params, method=method,
                               save="final", backend="cuda", **kw)
    c = solvers.solve_ensemble(lor, (0, 1), [1.0, 0, 0], params=params, method=method,
                               save="final", backend="cpu", **kw)
    assert g.success.all()
    # the GPU fuses multiply-adds: fixed steps differ by rounding; an adaptive member may take
    # another step where its error estimate sits at 1, so it agrees to the tolerance
    bound = 1e-11 if method == "rk4" else 1e-7
    assert np.abs(g.y_final - c.y_final).max() <= bound * max(1.0, np.abs(c.y_final).max())
