"""The rest of the RNN family as dynamical systems: Jordan, IndRNN, MTRNN, second-order,
gated (GRU, LSTM) and liquid time-constant (LTC) cells and the Elman map of ``torch.nn.RNN``,
each with its continuous-time form where one exists, its discrete form as a map, and PyTorch
both ways.

Architecture: continuous form (a flow), discrete form (a map), torch equivalent.

* Elman / vanilla RNN: ``neurodyn.CTRNN``, ``RNN``, ``torch.nn.RNN``
* Jordan: ``ContinuousJordan``, ``Jordan``, a custom module
* IndRNN: ``ContinuousIndRNN``, ``IndRNN``, a custom module
* MTRNN: ``neurodyn.CTRNN``, ``MTRNN``, a custom module
* second-order: ``ContinuousSecondOrderRNN``, ``SecondOrderRNN``, a custom module
* GRU: ``GRUODE``, ``GRU``, ``torch.nn.GRU`` / ``GRUCell``
* LSTM: ``LSTMODE``, ``LSTM``, ``torch.nn.LSTM`` / ``LSTMCell``
* LTC: ``LTC`` (its ODE), ``LTC.run`` (ncps's fused step), ``ncps.torch.LTCCell``

>>> import numpy as np
>>> from neurodyn.cells import IndRNN
>>> cell = IndRNN(np.ones((1, 1)), u=[0.5], b=[0.0], activation="identity", input=[1.0])
>>> float(cell.run(np.ones((60, 1)))[-1, 0])    # h = x + u h  ->  1 / (1 - u)
2.0
"""
from .gated import GRU, GRUODE, LSTM, LSTMODE
from .indrnn import ContinuousIndRNN, IndRNN
from .jordan import ContinuousJordan, Jordan
from .ltc import LTC
from .mtrnn import MTRNN
from .rnn import RNN
from .second_order import ContinuousSecondOrderRNN, SecondOrderRNN

__all__ = ["RNN", "Jordan", "ContinuousJordan", "IndRNN", "ContinuousIndRNN", "MTRNN",
           "SecondOrderRNN", "ContinuousSecondOrderRNN", "GRU", "GRUODE", "LSTM", "LSTMODE",
           "LTC"]
