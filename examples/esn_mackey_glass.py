"""
Echo-state network on the Mackey–Glass series
=============================================

Echo-state network on the Mackey-Glass series (tau = 17): one-step prediction on held-out
data, then closed-loop generation (the ESN feeds its own outputs back as inputs).

The reservoir is WORKLOADS.md's W4 (N = 1000, density 1 %, spectral radius 0.9, leak 0.3,
seed 0). Prints the one-step test NRMSE and how long the autonomous run stays within 0.05
of the true series (the attractor's amplitude is about 0.9). With matplotlib installed it
also writes esn_mackey_glass.png: the generated series against the true one.
"""
import numpy as np

from neurodyn import plot
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

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # matplotlib is optional: no figure without it
if plt is not None:
    n_show = min(gen.size, max(500, horizon + 200))
    steps = np.arange(n_show, dtype=float)
    fig, (ax_s, ax_e) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True,
                                     gridspec_kw={"height_ratios": [2, 1]})
    plot.trajectories((steps, np.column_stack([y[n_train:n_train + n_show], gen[:n_show]])),
                      ax=ax_s, labels=["Mackey-Glass (true)", "ESN, closed loop"],
                      xlabel=None, ylabel="x")
    ax_s.axvline(horizon, color="0.5", lw=0.8, ls=":")
    ax_s.set_title(f"closed-loop generation: within 0.05 of the truth for {horizon} steps")
    plot.trajectories((steps, err[:n_show]), ax=ax_e, labels=["|error|"],
                      xlabel="steps after training", ylabel="|error|")
    ax_e.set_yscale("log")
    fig.tight_layout()
    fig.savefig("esn_mackey_glass.png", dpi=110)  # left open: the gallery shows pyplot's figures
