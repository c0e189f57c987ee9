"""
FORCE learning: taming a chaotic rate network
=============================================

Sussillo & Abbott's (2009) FORCE learning on their published setup (WORKLOADS.md W10): a
chaotic network of N = 1000 tanh rate neurons (g = 1.5, sparse J with p = 0.1) whose readout
``z = w^T r`` is fed back through fixed random weights and trained online by recursive least
squares (every 2 Euler steps of dt = 0.1) to produce a sum of four sines of period 120. After
1440 time units of training, learning stops and the network keeps producing the pattern on its
own for another 1440.

The trained network is an ordinary :class:`neurodyn.CTRNN` (``W = J + w_f w^T``): the script
also integrates it as a continuous-time ODE with dopri5. Prints the train and test mean
absolute errors; with matplotlib installed it writes force_learning.png (target and readout
around the end of training, the error, and the size of the weight updates).
"""
import numpy as np

import solvers
from neurodyn import plot
from neurodyn.train.force import force, force_target

dt, n_train, n_test = 0.1, 14400, 14400
t = dt * np.arange(1, n_train + n_test + 1)
res = force(force_target(t), n_train, seed=0)      # N = 1000, g = 1.5, p = 0.1, alpha = 1
print(res)
print(f"train MAE {res.train_mae:.4f}, test MAE {res.test_mae:.4f} (target amplitude ~1.3)")

# The closed loop as a flow: dopri5 from where testing started, one period (120 time units).
t_eval = np.linspace(0.0, 120.0, 1201)
sol = solvers.solve(res.network, (0.0, 120.0), res.x_trained, t_eval=t_eval, rtol=1e-6,
                    atol=1e-8)
z_ode = res.readout(sol.y)[:, 0]
err_ode = np.abs(z_ode - force_target(t[n_train - 1] + t_eval))
print(f"the trained CTRNN as an ODE (dopri5, {sol.nfev} RHS evaluations): mean |z - f| over "
      f"the first 120 time units {err_ode.mean():.4f}")

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # matplotlib is optional: no figure without it
if plt is not None:
    show = slice(n_train - 2400, n_train + 2400)   # 240 time units either side of the switch
    fig, (ax_z, ax_e, ax_w) = plt.subplots(3, 1, figsize=(10, 7.5),
                                           gridspec_kw={"height_ratios": [2, 1, 1]})
    plot.trajectories((t[show], np.column_stack([res.target[show, 0], res.z[show, 0]])),
                      ax=ax_z, labels=["target f(t)", "readout z(t)"], xlabel=None,
                      ylabel="z")
    ax_z.axvline(t[n_train - 1], color="0.5", lw=0.8, ls=":")
    ax_z.set_title(f"FORCE: training until t = {t[n_train - 1]:.0f}, then learning off "
                   f"(test MAE {res.test_mae:.3f})")
    plot.trajectories((t, res.error[:, 0]), ax=ax_e, labels=["|z - f|"], xlabel=None,
                      ylabel="|error|", lw=0.6)
    ax_e.axvline(t[n_train - 1], color="0.5", lw=0.8, ls=":")
    plot.trajectories((res.t_update, res.dw), ax=ax_w, labels=["|dw| per RLS update"],
                      xlabel="t", ylabel="|dw|", lw=0.6)
    ax_w.set_yscale("log")
    ax_w.set_xlim(ax_e.get_xlim())
    fig.tight_layout()
    fig.savefig("force_learning.png", dpi=110)  # left open: the gallery shows pyplot's figures
