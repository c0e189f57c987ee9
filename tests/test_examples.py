"""The examples run as a user would run them, and print what they promise."""
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run(name):
    return subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, check=True, timeout=300).stdout


def test_lorenz_example():
    out = run("lorenz.py")
    rows = [line.split() for line in out.splitlines() if line.startswith(("bs32", "dopri5",
                                                                          "tsit5"))]
    assert len(rows) == 6
    for method, rtol, nfev, _, err in rows:
        # over t in [0, 5] chaos amplifies local errors by ~e^(0.9*5); still tracks the reference
        assert float(err) < 2e4 * float(rtol), (method, rtol, err)
    assert "z stays on the attractor" in out


def test_sweep_example_compiles_nothing_new():
    out = run("ctrnn_sweep.py")
    assert "no new compilation" in out
    periods = [float(line.split()[1]) for line in out.splitlines()[1:-1]
               if line.split()[1] != "fixed"]
    # the oscillation exists in a window around Beer's centre-crossing bias -2.75
    assert 3 <= len(periods) <= 12 and min(periods) == pytest.approx(29.25, abs=0.05)
