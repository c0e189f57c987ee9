"""Training recurrent networks.

* :func:`force` — FORCE learning (Sussillo & Abbott 2009): a chaotic rate network whose
  readout, fed back, is trained online by recursive least squares in one compiled loop;
  returns the trained closed loop as an ordinary :class:`neurodyn.CTRNN`. :func:`force_target`
  is the paper's target.
* :func:`bptt` — a CTRNN discretized and trained by backpropagation through time in PyTorch
  (the ``torch`` extra), returned as a CTRNN.
* Forward sensitivities (real-time recurrent learning): :func:`solvers.sensitivities`, also
  importable from here.
* Online readouts of reservoirs: ``ESN.fit(..., method="rls" | "lms")``,
  ``ESN.train_force``; fits over many sequences: ``ESN.fit(list_of_u, list_of_y)``.
* :func:`evolve` — evolution of CTRNNs (and agents, :class:`neurodyn.Agent`) by CMA-ES
  (pycma, the ``train`` extra) or a genetic algorithm, a whole population per
  :func:`solvers.solve_ensemble` call; :class:`CTRNNGenome` maps genes to networks,
  :class:`AgentGenome` to controllers with their sensors and motors.

>>> import neurodyn.train as train
>>> float(train.force_target(0.0))     # the target starts at 0
0.0
"""
from solvers import SensitivitySolution, sensitivities

from .bptt import BPTTResult, bptt
from .evolve import (AgentGenome, CTRNNGenome, EvolutionResult, EvolutionState,
                     evaluate_population, evolve, period_fitness)
from .force import ForceResult, force, force_target

__all__ = ["force", "force_target", "ForceResult", "bptt", "BPTTResult", "sensitivities",
           "SensitivitySolution", "evolve", "CTRNNGenome", "AgentGenome", "EvolutionResult",
           "EvolutionState", "evaluate_population", "period_fitness"]
