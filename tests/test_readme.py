"""The README's Python examples run as written (the quick start must stay true)."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 3
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    # the associative-memory block prints that every probe was recalled and the energy fell
    assert "True True" in out and "\nTrue\n" in out
    # the analysis block: Beer's oscillator has one unstable focus and a cycle of period ~29;
    # the bistable neuron's folds sit at the closed-form biases
    assert "unstable focus" in out and "28.999" in out
    assert "-2.93432, -5.06568" in out
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

