"""The README's Python examples run as written (the quick start must stay true)."""
import builtins
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _run_blocks(blocks, filename, name, fresh_namespace):
    """Run the code blocks and return what their print calls wrote.

    The blocks' ``print`` writes to a buffer of our own instead of going through capsys: in a
    long pytest-xdist worker, capsys once returned only the first block's line while the rest
    went to the test's global capture (CI, stop 24), a swap of ``sys.stdout`` this test does
    not own. A ``print`` bound here cannot be redirected.
    """
    buf = io.StringIO()

    def _print(*args, **kwargs):
        kwargs.setdefault("file", buf)
        builtins.print(*args, **kwargs)

    ns = None
    for code in blocks:
        if fresh_namespace or ns is None:
            ns = {"__name__": name, "print": _print}
        exec(compile(code, filename, "exec"), ns)
    return buf.getvalue()


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the blocks write figures and files where they run
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 3
    out = _run_blocks(blocks, "README.md", "readme", fresh_namespace=True)  # each block stands alone
    # the associative-memory block prints that every probe was recalled and the energy fell
    assert "True True" in out and "\nTrue\n" in out
    # the analysis block: Beer's oscillator has one unstable focus and a cycle of period ~29;
    # the bistable neuron's folds sit at the closed-form biases
    assert "unstable focus" in out and "28.999" in out
    # agents: CMA-ES balanced the double pole for the whole 1000 s (status 1: target reached)
    assert "\n1 1000.0\n" in out
    assert "-2.93432, -5.06568" in out
    # the RNN family: a random GRU's fixed points (two memories and the saddle between them)
    assert "['stable', 'saddle', 'stable']" in out
    # training: FORCE on the published setup; the sensitivities' gradient has the weights' shape
    assert float(re.search(r"FORCE test MAE (\S+)", out).group(1)) < 0.05
    assert "(2, 2) (2,)" in out
    # reservoirs: Mackey-Glass one step ahead, memory capacity within its bound, a liquid fires
    nrmse = float(re.search(r"one-step NRMSE (\S+)", out).group(1))
    assert nrmse < 1e-2
    mc = float(re.search(r"memory capacity (\S+) <= 20", out).group(1))
    assert 10.0 < mc <= 20.0
    assert int(re.search(r"(\d+) spikes, mean rate", out).group(1)) > 0
    # circuits: the grid's loops equal E - V + 1 and Omega's trace; lobes shrink with frequency
    assert "4 loops; trace(Omega) = 4.0" in out
    lobes = [float(a) for a in re.findall(r"'([0-9.]+) uW'", out)]
    assert len(lobes) == 4 and max(lobes[2:]) < min(lobes[:2]) / 10
    assert "crossbar recall overlaps: [1. 1. 1. 1. 1.]" in out
    # sweeps: 529 members on a LocalCluster, none failed; the centre's period ~29 as above; the
    # oscillating region is a band of the grid between Hopf curves (85 points on this machine)
    assert "{'theta0': 23, 'theta1': 23} 0\n29.0\n" in out
    assert 60 <= int(re.search(r"(\d+) of 529 points oscillate", out).group(1)) <= 110
    assert (tmp_path / "beer_sweep.zarr").is_dir()
    # figures and files: the saved model gives the same run; the NetCDF run has its sizes
    assert "{'time': 1001, 'state': 2}" in out
    for name in ("beer_phase.png", "beer_series.png", "beer.npz", "beer_run.nc"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_docs_python_blocks_run(tmp_path, monkeypatch):
    """The getting-started page of the documentation site runs as written."""
    monkeypatch.chdir(tmp_path)
    page = README.parent / "docs" / "getting_started.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert len(blocks) >= 5
    # one namespace: the page builds on its earlier blocks
    out = _run_blocks(blocks, "getting_started.md", "docs", fresh_namespace=False)
    assert out.startswith("True ") and "unstable focus" in out and "\nTrue\n" in out
    assert (tmp_path / "phase_portrait.png").stat().st_size > 0



def _readme_test_command():
    lines = [ln for ln in README.read_text().splitlines()
             if re.match(r"^pip install .*&& pytest", ln)]
    assert len(lines) == 1, lines  # .ci/run refuses anything else
    return lines[0]


def test_ci_runs_the_readme_test_command_itself():
    ci = (README.parent / ".ci" / "run").read_text()
    # CI greps the README for the line and runs it; it must not run pytest any other way.
    assert "grep -E '^pip install .*&& pytest' README.md" in ci
    assert 'bash -euo pipefail -c "${lines[0]}"' in ci
    assert not re.search(r"^\s*(python -m )?pytest", ci, re.M)


def test_readme_test_command_collects_every_test_from_a_fresh_copy(tmp_path):
    """Plain `pytest` (not `python -m pytest`) in a copy of the checkout, as a newcomer runs it:
    every test module must import (the benchmarks package included)."""
    import os
    import shutil
    import subprocess
    import sys

    cmd = _readme_test_command()
    pytest_args = cmd.split("&&", 1)[1].split()
    assert pytest_args[0] == "pytest"
    root = README.parent
    copy = tmp_path / "checkout"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(
        ".git", ".cache", "__pycache__", ".pytest_cache", ".hypothesis", "*.egg-info", "_build",
        "auto_examples"))
    exe = pathlib.Path(sys.executable).parent / "pytest"
    if not exe.exists():
        exe = shutil.which("pytest")
    assert exe, "the pytest command is not installed beside this Python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # The README's arguments as written, then "-n 0": collecting needs no worker processes
    # (each would import the whole stack again), while xdist still parses "-n auto".
    p = subprocess.run([str(exe), *pytest_args[1:], "-n", "0", "--collect-only", "-p",
                        "no:cacheprovider"],
                       cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    n = int(re.search(r"(\d+) tests? collected", p.stdout).group(1))
    assert n > 500 and "error" not in p.stdout.splitlines()[-1].lower(), p.stdout[-2000:]
