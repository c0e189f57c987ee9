"""energy_along: the Lyapunov-function check along a trajectory."""
import numpy as np
import pytest

import solvers
from neurodyn import ContinuousHopfield, CTRNN, Hopfield
from neurodyn.analysis import energy_along


def test_continuous_hopfield_energy_falls_and_a_reversed_run_is_caught():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(5, 5))
    net = ContinuousHopfield((A + A.T) / 2, gain=2.0)
    sol = solvers.solve(net, (0, 15), rng.normal(size=5), t_eval=np.linspace(0, 15, 300),
                        rtol=1e-10, atol=1e-12)
    check = energy_along(net, sol)
    assert check.non_increasing and check.values[-1] < check.values[0]
    # the same states in reverse time climb the energy: the check must say so
    back = energy_along(net, sol.y[::-1])
    assert not back.non_increasing and back.max_increase > 0


def test_discrete_hopfield_sync_recall_states():
    rng = np.random.default_rng(0)
    P = rng.choice([-1, 1], size=(5, 100))
    net = Hopfield.from_patterns(P)
    probe = P[0] * np.where(rng.random(100) < 0.2, -1, 1)
    res = net.recall(probe, mode="async", seed=0, return_energy=True)
    # the recall's own energy trace, recomputed from the start and end states
    states = np.array([probe, res.states])
    assert energy_along(net, states).non_increasing


def test_model_without_energy_is_refused():
    with pytest.raises(TypeError, match="defines no energy"):
        energy_along(CTRNN(np.zeros((2, 2))), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="at least two states"):
        energy_along(ContinuousHopfield(np.zeros((2, 2))), np.zeros((1, 2)))
