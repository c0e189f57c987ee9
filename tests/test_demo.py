"""The quick-start demo: Beer's oscillator period against SciPy, the edge convention, the CLI."""
import subprocess
import sys

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.demo import beer_oscillator_graph, oscillation_period, run_demo


def _scipy_beer(W, theta, t):
    f = lambda _, y: -y + W @ (1 / (1 + np.exp(-(y + theta))))
    return solve_ivp(f, (0, t[-1]), [0.0, 0.0], method="DOP853", rtol=1e-11, atol=1e-13,
                     t_eval=t).y.T


def test_demo_finds_beers_limit_cycle_and_the_transposed_fixed_point(tmp_path):
    out = tmp_path / "demo.png"
    r = run_demo(out=str(out), verbose=False)
    assert out.exists() and out.stat().st_size > 10_000
    # Independent reference: SciPy DOP853 on the same equations written with NumPy.
    W = np.array([[4.5, 1.0], [-1.0, 4.5]])
    theta = np.array([-2.75, -1.75])
    sol = r["solution"]
    ref = _scipy_beer(W, theta, sol.t)
    assert abs(r["period"] - oscillation_period(sol.t, ref[:, 0])) < 1e-3
    assert 28.5 < r["period"] < 29.5          # "a limit cycle of period about 29"
    # The transpose (edges reversed) settles: a fixed point, no oscillation.
    ref_t = _scipy_beer(W.T, theta, sol.t)
    np.testing.assert_allclose(r["transposed_final"], ref_t[-1], atol=1e-6)
    assert r["transposed_speed"] < 1e-6 and np.isnan(r["transposed_period"])


def test_demo_figure_leaves_pyplot_alone(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    import matplotlib

    before, backend = plt.get_fignums(), matplotlib.get_backend()
    out = tmp_path / "demo.png"
    run_demo(out=str(out), verbose=False, t_end=100.0)
    # a figure of its own, drawn with neurodyn.plot: no pyplot figure left open, no backend
    # switched under the caller
    assert plt.get_fignums() == before and matplotlib.get_backend() == backend
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_edges_follow_the_convention():
    G = beer_oscillator_graph()
    assert G.edges["n1", "n0"]["weight"] == 1.0    # n1 drives n0: W[0, 1] = 1
    assert G.edges["n0", "n1"]["weight"] == -1.0   # W[1, 0] = -1


def test_cli_demo(tmp_path):
    out = tmp_path / "cli.png"
    res = subprocess.run([sys.executable, "-m", "neurodyn", "demo", "--out", str(out),
                          "--t-end", "200"], capture_output=True, text=True, check=True)
    assert "period 29.0" in res.stdout and out.exists()
