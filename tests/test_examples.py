"""The examples run as a user would run them, print what they promise, and write their figure
(``<example>.png`` in the current directory) for the documentation's gallery."""
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    if "matplotlib.pyplot" in sys.modules:   # the examples leave theirs open for the gallery
        sys.modules["matplotlib.pyplot"].close("all")


def run(name, cwd, *args):
    # this checkout first on the path, whatever an installed copy points at
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                          text=True, check=True, timeout=300, cwd=cwd, env=env).stdout


def check_figure(path):
    pytest.importorskip("matplotlib")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, path.name


def test_lorenz_example(tmp_path):
    out = run("lorenz.py", tmp_path)
    rows = [line.split() for line in out.splitlines() if line.startswith(("bs32", "dopri5",
                                                                          "tsit5"))]
    assert len(rows) == 6
    for method, rtol, nfev, _, err in rows:
        # over t in [0, 5] chaos amplifies local errors by ~e^(0.9*5); still tracks the reference
        assert float(err) < 2e4 * float(rtol), (method, rtol, err)
    assert "z stays on the attractor" in out
    check_figure(tmp_path / "lorenz.png")


def test_sweep_example_compiles_nothing_new(tmp_path):
    out = run("ctrnn_sweep.py", tmp_path)
    assert "no new compilation" in out
    periods = [float(line.split()[1]) for line in out.splitlines()[1:-1]
               if line.split()[1] != "fixed"]
    # the oscillation exists in a window around Beer's centre-crossing bias -2.75
    assert 3 <= len(periods) <= 12 and min(periods) == pytest.approx(29.25, abs=0.05)
    check_figure(tmp_path / "ctrnn_sweep.png")


def test_sweep_dask_example(tmp_path, monkeypatch):
    pytest.importorskip("distributed")  # the distributed extra: Dask, xarray
    pytest.importorskip("xarray")
    monkeypatch.delenv("NEURODYN_SCHEDULER", raising=False)  # its own LocalCluster
    out = run("sweep_dask.py", tmp_path)
    assert "60 x 60 networks on a LocalCluster" in out
    # the script asserts its checks; here, that they ran and what they compared
    [line] = [ln for ln in out.splitlines() if "centre-crossing period" in ln]
    ours, scipy_ref = float(line.split()[2].rstrip(",")), float(line.split()[-1])
    assert ours == pytest.approx(scipy_ref, rel=1e-4) and 28.5 < ours < 29.5
    assert out.count("= its own solve") == 3 and out.count("Hopf points at") == 3
    check_figure(tmp_path / "sweep_dask.png")
    assert [p.name for p in tmp_path.iterdir()] == ["sweep_dask.png"]


def test_sweep_dask_example_on_a_separately_started_cluster(tmp_path, monkeypatch):
    """The issue's second half of the example: the same script pointed at `dask scheduler` +
    two `dask worker` processes started here, through NEURODYN_SCHEDULER."""
    pytest.importorskip("distributed")
    pytest.importorskip("xarray")
    sys.path.insert(0, str(ROOT / "tests"))
    import _sweep_jobs

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    with _sweep_jobs.dask_cluster(tmp_path, 2, env) as sched_file:
        address = json.loads(sched_file.read_text())["address"]
        monkeypatch.setenv("NEURODYN_SCHEDULER", address)
        out = run("sweep_dask.py", tmp_path)
    assert f"60 x 60 networks on {address}" in out
    assert out.count("= its own solve") == 3 and out.count("Hopf points at") == 3


# The other examples' printed promises are checked by their model's tests; here, that each
# writes its figure where the gallery and a user expect it. (hopfield_letters,
# hopfield_capacity and memristor_hysteresis take the file name as an argument and are checked
# with it in test_hopfield.py and test_devices.py.)
@pytest.mark.parametrize("name, args", [
    ("bam_pairs", ()),
    ("esn_mackey_glass", ()),
    ("lsm_patterns", ("--trials", "8")),
    ("memristive_network", ()),
    ("flip_flop", ()),
    ("force_learning", ()),
    ("evolve_cpg", ()),
    ("double_pole", ()),
    ("stiff_chemistry", ("--members", "100")),
])
def test_example_writes_its_figure(name, args, tmp_path):
    if name == "flip_flop":  # it trains its network in PyTorch (the torch extra)
        pytest.importorskip("torch")
    if name in ("evolve_cpg", "double_pole"):  # CMA-ES through pycma (the train extra)
        pytest.importorskip("cma")
    out = run(f"{name}.py", tmp_path, *args)
    assert out.strip()
    check_figure(tmp_path / f"{name}.png")
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.png"]   # and nothing else


def load(name):
    spec = importlib.util.spec_from_file_location(f"{name}_example", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The two slowest examples: their figures drawn from a small run of their own functions.
def test_crossbar_figure(tmp_path):
    ex = load("crossbar_recall")
    sweeps = [(name, values[:3]) for name, values in ex.SWEEPS]
    rows = ex.degradation_table(N=40, p=3, n_probes=12, flip=0.1, n_arrays=1, sweeps=sweeps)
    ex.save_figure(rows, png=tmp_path / "crossbar_recall.png")
    check_figure(tmp_path / "crossbar_recall.png")


def test_hopfield_tank_figure(tmp_path):
    ex = load("hopfield_tank_tsp")
    _, _, records = ex.run(n=5, city_seed=2, starts=3, t_final=5.0)
    net = ex.HopfieldTank.tsp(ex.cities(5, 2)[1])
    ex.save_figure(net, records, 5, png=tmp_path / "hopfield_tank_tsp.png")
    check_figure(tmp_path / "hopfield_tank_tsp.png")
