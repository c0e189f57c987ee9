"""Packaging facts CI must keep true: brian2 works with the NumPy we pin, the arrows of
DESIGN.md hold, and importing neurodyn stays light."""
import ast
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_brian2_runs_a_tiny_network():
    # brian2 2.9.0 calls ndarray.ptp, gone in NumPy 2.4: pyproject caps numpy below 2.4.
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    tau = 10 * b2.ms
    G = b2.NeuronGroup(3, "dv/dt = (1.2 - v) / tau : 1", threshold="v > 1", reset="v = 0",
                       method="exact", namespace={"tau": tau})
    mon = b2.SpikeMonitor(G)
    b2.run(50 * b2.ms, namespace={"tau": tau})
    # v(t) = 1.2 (1 - exp(-t/tau)) crosses 1 at t = tau ln 6 = 17.9 ms, then again 17.9 ms later
    t_first = float(mon.t[0] / b2.ms)
    assert abs(t_first - 10 * np.log(6)) < 0.15
    assert mon.num_spikes == 3 * 2


def _imports(pkg):
    found = []
    for path in (ROOT / pkg).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path.name, a.name.split(".")[0]) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((path.name, node.module.split(".")[0]))
    return found


def test_arrows_of_the_design():
    assert not [x for x in _imports("solvers") if x[1] in ("neurodyn", "circuits")]
    assert not [x for x in _imports("neurodyn") if x[1] == "circuits"]


def test_import_is_light():
    code = "import sys, neurodyn, solvers; print('brian2' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
