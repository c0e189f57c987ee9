"""Echo-state network on the Mackey-Glass series (tau = 17): one-step prediction on held-out
data, then closed-loop generation (the ESN feeds its own outputs back as inputs).

The reservoir is WORKLOADS.md's W4 (N = 1000, density 1 %, spectral radius 0.9, leak 0.3,
seed 0). Prints the one-step test NRMSE and how long the autonomous run stays within 0.05
of the true series (the attractor's amplitude is about 0.9).
"""
import numpy as np

from neurodyn.datasets import mackey_glass
from neurodyn.esn import ESN

series = mackey_glass(20000)                     # x(t), t = 0, 1, ..., 19999
u, y = series[:-1], series[1:]                   # one step ahead
n_train = 17999                                  # pairs 0 .. 17998 (the first 1000 washout)

esn = ESN(1000, spectral_radius=0.9, leak_rate=0.3, density=0.01, input_scaling=1.0,
          ridge=1e-6, seed=0)
esn.fit(u[:n_train], y[:n_train], washout=1000, reset=True)

# One-step prediction continues the same run from the last training state.
pred = esn.predict(u[n_train:])[:, 0]
target = y[n_train:]
nrmse = np.sqrt(np.mean((pred - target) ** 2)) / np.std(target)
print(f"one-step test NRMSE over {target.size} steps: {nrmse:.2e}")

# Closed loop: restart from the end of training and let the ESN drive itself.
esn.fit(u[:n_train], y[:n_train], washout=1000, reset=True)
gen = esn.generate(2000)[:, 0]
err = np.abs(gen - y[n_train:n_train + 2000])
bad = np.flatnonzero(err > 0.05)
horizon = int(bad[0]) if bad.size else gen.size
print(f"closed-loop generation stays within 0.05 of the true series for {horizon} steps "
      f"(max error over the first 100 steps {err[:100].max():.1e})")
