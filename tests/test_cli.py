"""The command line (``neurodyn run / analyse / plot / demo``), run as a user runs it: in a
subprocess, on files written by ``neurodyn.save``; exit code 0 and valid output files, 1 for a
failure it explains, 2 with the usage for bad arguments."""
import json
import subprocess
import sys

import numpy as np
import pytest

import neurodyn
import solvers
from neurodyn.analysis import fixed_points
from neurodyn.demo import beer_oscillator_graph

PNG = b"\x89PNG\r\n\x1a\n"


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "neurodyn", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def beer(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "beer.npz"
    model = neurodyn.CTRNN.from_graph(beer_oscillator_graph())
    neurodyn.save(model, path)
    return model, path


def test_run_writes_the_trajectory_that_solve_gives(beer, tmp_path):
    xr = pytest.importorskip("xarray")
    model, path = beer
    out = tmp_path / "result.nc"
    p = cli("run", path, "--t", 0, 60, "--method", "tsit5", "--n-out", 121, "--rtol", 1e-8,
            "--y0", 0.5, -0.5, "--out", out)
    assert p.returncode == 0, p.stderr
    assert "CTRNN with 2 states" in p.stdout and "121 rows" in p.stdout
    ds = xr.load_dataset(out)
    ref = solvers.solve(model, (0.0, 60.0), [0.5, -0.5], method="tsit5",
                        t_eval=np.linspace(0.0, 60.0, 121), rtol=1e-8)
    np.testing.assert_array_equal(ds["time"].values, ref.t)   # this machine: bit for bit
    np.testing.assert_array_equal(ds["y"].values, ref.y)
    assert list(ds["state"].values) == list(model.nodes)
    assert ds.attrs["method"] == "tsit5" and ds.attrs["status"] == 0


def test_run_to_npz_then_plot_draws_the_saved_states(beer, tmp_path):
    _, path = beer
    out = tmp_path / "r.npz"
    assert cli("run", path, "--t", 0, 30, "--out", out).returncode == 0
    with np.load(out) as f:
        assert f["y"].shape == (1001, 2) and f["t"][-1] == 30.0
    fig = tmp_path / "r.png"
    p = cli("plot", out, "--out", fig, "--states", 1)
    assert p.returncode == 0, p.stderr
    assert fig.read_bytes()[:8] == PNG and "figure written" in p.stdout


def test_plot_of_a_netcdf_run_defaults_to_a_png_beside_it(beer, tmp_path):
    pytest.importorskip("xarray")
    _, path = beer
    out = tmp_path / "run.nc"
    assert cli("run", path, "--t", 0, 10, "--out", out).returncode == 0
    p = cli("plot", out)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "run.png").read_bytes()[:8] == PNG


def test_analyse_prints_and_writes_the_fixed_points_and_the_spectrum(beer, tmp_path):
    model, path = beer
    report = tmp_path / "report.json"
    p = cli("analyse", path, "--fixed-points", "--lyapunov", "--t-total", 50, "--transient",
            5, "--json", report)
    assert p.returncode == 0, p.stderr
    assert "unstable focus" in p.stdout and "Lyapunov spectrum" in p.stdout
    data = json.loads(report.read_text())
    fps = fixed_points(model)
    assert len(data["fixed_points"]) == len(fps) == 1
    np.testing.assert_allclose(data["fixed_points"][0]["x"], fps[0].x, rtol=1e-9)
    assert data["fixed_points"][0]["stability"] == fps[0].stability
    lam = data["lyapunov_exponents"]
    # a limit cycle: one exponent ~ 0 (along the flow), one negative
    assert len(lam) == 2 and abs(lam[0]) < 0.05 and lam[1] < -0.05


@pytest.mark.parametrize("command", ["run", "analyse", "plot", "demo"])
def test_every_command_has_help(command):
    p = cli(command, "--help")
    assert p.returncode == 0 and p.stdout.startswith(f"usage: neurodyn {command}")


def test_top_level_help_lists_the_commands():
    p = cli("--help")
    assert p.returncode == 0
    assert all(c in p.stdout for c in ("run", "analyse", "plot", "demo"))


@pytest.mark.parametrize("args, needle", [
    ((), "the following arguments are required: COMMAND"),
    (("run",), "the following arguments are required: model"),
    (("run", "m.npz", "--t", "0"), "argument --t: expected 2 arguments"),
    (("run", "m.npz", "--t", "0", "nan"), "--t needs two finite numbers"),
    (("run", "m.npz", "--method", "rk4", "--dt", "fast"), "argument --dt: invalid float value"),
    (("fly",), "invalid choice: 'fly'"),
])
def test_bad_arguments_exit_2_with_the_usage(args, needle):
    p = cli(*args)
    assert p.returncode == 2
    assert "usage: neurodyn" in p.stderr and needle in p.stderr


def test_failures_exit_1_saying_what_went_wrong(beer, tmp_path):
    _, path = beer
    cases = []
    cases.append((cli("run", tmp_path / "missing.npz"), "missing.npz: no such file"))
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a model")
    cases.append((cli("run", junk), "junk.npz"))
    hop = tmp_path / "hop.npz"
    neurodyn.save(neurodyn.Hopfield.from_patterns([[1, -1, 1, -1]]), hop)
    cases.append((cli("run", hop), "discrete-time model"))
    cases.append((cli("run", path, "--y0", 1.0), "the model has 2 states"))
    cases.append((cli("analyse", path), "nothing to do"))
    cases.append((cli("plot", path), "not a saved run"))
    for p, needle in cases:
        assert p.returncode == 1, (p.args, p.stdout, p.stderr)
        assert needle in p.stderr, (p.args, p.stderr)


def test_a_failed_integration_exits_1_and_keeps_its_partial_run(tmp_path):
    # rk4 with dt = 50 tau is unstable (h lambda ~ -50): the state grows ~1e5-fold a step
    # until it overflows, and the run stops there with a non-finite state.
    model = neurodyn.CTRNN([[40.0]], bias=[0.0], tau=0.01)
    path = tmp_path / "fast.npz"
    neurodyn.save(model, path)
    out = tmp_path / "r.npz"
    p = cli("run", path, "--t", 0, 100, "--method", "rk4", "--dt", 0.5, "--out", out)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Non-finite state" in p.stdout
    with np.load(out) as f:
        assert int(f["status"]) == -3 and np.isfinite(f["y"]).all()
