"""Checks of the GPU ensemble kernels under Numba's CUDA simulator, run in a subprocess by
tests/test_cuda_ensemble.py (NUMBA_ENABLE_CUDASIM must be set before numba.cuda is imported).
Prints one JSON object of measured differences; the test file asserts on them."""
import json
import os
import sys
import warnings

os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import solvers  # noqa: E402
from _cuda_sim_kernels import blowup, lorenz  # noqa: E402

out = {}


def pair(system, t_span, y0, **kw):
    g = solvers.solve_ensemble(system, t_span, y0, backend="cuda", **kw)
    c = solvers.solve_ensemble(system, t_span, y0, backend="cpu", **kw)
    return g, c


def diff(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    same_nan = bool(np.array_equal(np.isnan(a), np.isnan(b)))
    m = np.isfinite(a) & np.isfinite(b)
    return {"max": float(np.abs(a[m] - b[m]).max()) if m.any() else 0.0, "nan_same": same_nan}


def stats_equal(g, c):
    return bool((g.status == c.status).all() and (g.nfev == c.nfev).all()
                and (g.naccepted == c.naccepted).all() and (g.nrejected == c.nrejected).all()
                and (g.n_out == c.n_out).all())


# Lorenz over rho (a parameter ensemble of scalars), every GPU method, float64, output at t_eval.
lor = solvers.ODESystem(lorenz, 3, (10.0, 28.0, 8.0 / 3.0))
rhos = np.linspace(0.0, 21.0, 5)
params = [(10.0, float(r), 8.0 / 3.0) for r in rhos]
te = np.linspace(0.0, 1.0, 6)
for method in ("euler", "heun", "rk4", "bs32", "dopri5", "tsit5"):
    kw = {"dt": 0.02} if method in ("euler", "heun", "rk4") else {"rtol": 1e-8, "atol": 1e-8}
    g, c = pair(lor, (0.0, 1.0), [1.0, 0.0, 0.0], params=params, method=method, t_eval=te, **kw)
    out[f"lorenz_{method}"] = {"y": diff(g.y, c.y), "y_final": diff(g.y_final, c.y_final),
                               "t_final": diff(g.t_final, c.t_final),
                               "stats": stats_equal(g, c), "ok": bool(g.success.all())}

# Fixed steps, every step saved (no t_eval), and backward in time with a decreasing t_eval;
# the progress bar's launches by slices of members (one member a slice here).
from solvers import cuda_ensemble  # noqa: E402

cuda_ensemble._SLICE_MIN = 1
g, c = pair(lor, (0.0, 0.1), np.array([[1.0, 0.0, 0.0], [0.5, 1.0, 2.0]]), method="rk4",
            dt=0.03, progress=True)  # the bar: launches by slices of members
out["fixed_every_step"] = {"y": diff(g.y, c.y), "t": diff(g.t, c.t), "stats": stats_equal(g, c),
                           "rows": list(g.y.shape)}
g, c = pair(lor, (0.5, 0.0), np.array([[1.0, 0.0, 0.0], [0.5, 1.0, 2.0]]), method="tsit5",
            t_eval=[0.5, 0.3, 0.1, 0.0], rtol=1e-9, atol=1e-9)
out["backward"] = {"y": diff(g.y, c.y), "stats": stats_equal(g, c), "ok": bool(g.success.all())}

# A failing member: y' = k y^2 from 1 blows up at t = 1/k; k = 4 inside [0, 1], k = 0.5 not.
bu = solvers.ODESystem(blowup, 1, (1.0,))
g, c = pair(bu, (0.0, 1.0), [1.0], params=[(0.5,), (4.0,), (0.25,)], t_eval=np.linspace(0, 1, 9))
out["blowup"] = {"y": diff(g.y, c.y), "y_final": diff(g.y_final, c.y_final),
                 "t_final": diff(g.t_final, c.t_final), "stats": stats_equal(g, c),
                 "status": [int(s) for s in g.status], "n_out": [int(k) for k in g.n_out],
                 "message": g.message(1), "cpu_message": c.message(1)}
# The step limit.
g, c = pair(lor, (0.0, 1.0), [[1.0, 0.0, 0.0]], save="final", max_steps=4)
gf, cf = pair(lor, (0.0, 1.0), [[1.0, 0.0, 0.0]], method="rk4", dt=0.02, max_steps=7)
out["max_steps"] = {"status": [int(s) for s in g.status], "stats": stats_equal(g, c),
                    "y_final": diff(g.y_final, c.y_final),
                    "fixed_status": [int(s) for s in gf.status],
                    "fixed_t_final": [float(t) for t in gf.t_final],
                    "fixed_y": diff(gf.y, cf.y), "fixed_stats": stats_equal(gf, cf)}

# A neurodyn model: CTRNNs whose biases differ (arrays stacked member-last, W shared), and a
# sparse one with a sinusoidal input, final states only.
from neurodyn import CTRNN, Sinusoid  # noqa: E402
import scipy.sparse as sp  # noqa: E402

rng = np.random.default_rng(3)
n = 4
W = rng.normal(scale=2.0, size=(n, n))
net = CTRNN(W, tau=rng.uniform(0.5, 2.0, n), input=0.2)
nets = [net.replace(bias=rng.normal(size=n)) for _ in range(4)]
g, c = pair(nets, (0.0, 3.0), np.zeros(n), save="final", rtol=1e-8, atol=1e-10)
out["ctrnn_bias"] = {"y_final": diff(g.y_final, c.y_final), "stats": stats_equal(g, c)}
snet = CTRNN(sp.csr_matrix(W * (rng.random((n, n)) < 0.6)), activation="tanh",
             input=Sinusoid(0.5, 0.3))
g, c = pair(snet, (0.0, 2.0), rng.normal(size=(3, n)), t_eval=[1.0, 2.0], method="dopri5")
out["ctrnn_sparse_sin"] = {"y": diff(g.y, c.y), "stats": stats_equal(g, c)}

# float32: states, stages and params in float32, against the float64 CPU run.
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    g32 = solvers.solve_ensemble(lor, (0.0, 1.0), [1.0, 0.0, 0.0], params=params,
                                 method="tsit5", rtol=1e-5, atol=1e-5, save="final",
                                 backend="cuda", dtype=np.float32)
    quiet = len(w)
    solvers.solve_ensemble(lor, (0.0, 0.1), [1.0, 0.0, 0.0], params=params[:1],
                           method="tsit5", rtol=1e-8, atol=1e-8, save="final",
                           backend="cuda", dtype=np.float32)
    warned = [str(x.message) for x in w[quiet:]]
ref = solvers.solve_ensemble(lor, (0.0, 1.0), [1.0, 0.0, 0.0], params=params, method="tsit5",
                             rtol=1e-12, atol=1e-12, save="final")
r32 = solvers.solve_ensemble(lor, (0.0, 1.0), [1.0, 0.0, 0.0], params=params, method="rk4",
                             dt=0.01, save="final", backend="cuda", dtype=np.float32)
r64 = solvers.solve_ensemble(lor, (0.0, 1.0), [1.0, 0.0, 0.0], params=params, method="rk4",
                             dt=0.01, save="final")
scale = float(np.abs(ref.y_final).max())
out["float32"] = {"tsit5_rel": float(np.abs(g32.y_final - ref.y_final).max()) / scale,
                  "rk4_rel": float(np.abs(r32.y_final - r64.y_final).max()) / scale,
                  "quiet": quiet, "warned": warned, "ok": bool(g32.success.all())}
print(json.dumps(out))
