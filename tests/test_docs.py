"""Every public docstring example runs and says what it shows."""
import doctest
import importlib

import pytest

MODULES = ["solvers", "solvers.system", "solvers.solution", "solvers.integrate",
           "neurodyn.bam", "neurodyn.continuous_hopfield", "neurodyn.hopfield", "neurodyn.capacity",
           "neurodyn._model", "neurodyn.discretize", "neurodyn.analysis.energy",
           "solvers.tableaus", "solvers._codegen", "solvers._checks", "solvers.events", "solvers._tiers",
           "neurodyn.analysis.poincare", "neurodyn.demo", "neurodyn.__main__",
           "neurodyn.lsm", "neurodyn.esn", "neurodyn.datasets",
           "circuits", "circuits.sources", "circuits.devices", "circuits.drive",
           "circuits.crossbar", "circuits.hopfield_tank", "circuits.network",
           "neurodyn.io", "solvers.ensemble", "neurodyn.analysis.period",
           "neurodyn.plot", "neurodyn.plot._base", "neurodyn.plot.series", "neurodyn.plot.phase",
           "neurodyn.plot.bifurcations", "neurodyn.plot.attractors", "neurodyn.plot.spikes",
           "neurodyn.plot.memory", "neurodyn.plot.devices", "neurodyn.plot.graphs",
           "neurodyn.plot.sweeps", "neurodyn.cells.gated", "neurodyn.cells.ltc",
           "neurodyn.cells.rnn", "neurodyn.analysis.trained", "neurodyn.cells.indrnn",
           "neurodyn.cells.jordan", "neurodyn.cells.second_order", "neurodyn.cells.mtrnn",
           "neurodyn.cells", "solvers.sensitivity", "neurodyn.train.bptt",
           "neurodyn.train._rls", "neurodyn.train.force", "neurodyn.train"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
