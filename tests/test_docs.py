"""Every public docstring example runs and says what it shows."""
import doctest
import importlib
import importlib.util

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
           "neurodyn.train._rls", "neurodyn.train.force", "neurodyn.train", "neurodyn.agent",
           "neurodyn.plants", "neurodyn.train.evolve", "neurodyn.train._genome", "neurodyn.sweeps",
           "neurodyn.train._agent_genome"]


HAVE_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    """doctest.testmod, except that without PyTorch (an optional extra) the docstrings whose
    examples use it are left out; the rest of the module still runs."""
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    left_out = 0
    for test in finder.find(mod, name):
        if not HAVE_TORCH and any("torch" in ex.source for ex in test.examples):
            left_out += len(test.examples)
            continue
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted + left_out > 0, f"{name} has no examples"
    assert result.failed == 0
