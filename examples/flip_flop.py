"""
Opening the black box: the fixed points of a trained 3-bit flip-flop
====================================================================

Train a small recurrent network in PyTorch, import it into neurodyn as a dynamical system,
and explain what it learned by its fixed points (Sussillo & Barak, "Opening the black box",
Neural Computation 25:626, 2013).

Run: python examples/flip_flop.py
The task: three input channels carry sparse +1/-1 pulses; each of three outputs must hold the
sign of the last pulse on its channel. A tanh RNN (``torch.nn.RNN``, 24 units, seeded, a few
hundred Adam steps on the CPU) learns it; :meth:`neurodyn.RNN.from_torch` turns it into the map
``h -> tanh(W_hh h + b)`` it runs between pulses (input zero), and
:func:`neurodyn.analysis.fixed_points` finds its fixed points from the states the network
visits. The printout lists them: eight stable ones, one per corner of the output cube (the
eight memories), and saddles between them, each with one unstable direction (an eigenvalue of
modulus above 1) that leads to the two neighbouring memories. With matplotlib installed it also writes
flip_flop.png: the trajectories and the fixed points in the plane of the hidden states' two
principal components, and the outputs against their targets.
"""
import time

import numpy as np

from neurodyn import analysis
from neurodyn.cells.rnn import RNN

N_BITS = 3


def flip_flop_task(n_trials, n_steps, *, n_bits=N_BITS, p_pulse=0.05, seed=0):
    """Inputs, targets and a mask for the n-bit flip-flop, each ``(n_trials, n_steps, n_bits)``.

    Each channel carries a +1 or -1 pulse at each step with probability ``p_pulse``; the
    target of an output is the sign of the last pulse on its channel, and the mask is 0 before
    a channel's first pulse (nothing to remember yet: no target).
    """
    rng = np.random.default_rng(seed)
    pulse = rng.random((n_trials, n_steps, n_bits)) < p_pulse
    inputs = np.where(pulse, rng.choice([-1.0, 1.0], size=pulse.shape), 0.0)
    targets = np.zeros_like(inputs)
    last = np.zeros((n_trials, n_bits))
    for k in range(n_steps):
        last = np.where(pulse[:, k], inputs[:, k], last)
        targets[:, k] = last
    mask = (targets != 0.0).astype(np.float64)
    return inputs, targets, mask


def train(*, hidden=24, steps=300, n_trials=64, n_steps=30, lr=0.02, seed=0):
    """A tanh ``torch.nn.RNN`` and its linear readout trained on the flip-flop (Adam on the
    masked mean squared error, a fresh batch of trials each step; deterministic for a given
    seed on a given machine). About two seconds on one CPU core.

    Returns ``(rnn, readout, losses)``.
    """
    import torch

    threads = torch.get_num_threads()
    # One thread: these matrices are tiny, and threads sharing a busy machine made training
    # a hundred times slower; it also fixes the order of every sum.
    torch.set_num_threads(1)
    try:
        return _train(torch, hidden, steps, n_trials, n_steps, lr, seed)
    finally:
        torch.set_num_threads(threads)


def _train(torch, hidden, steps, n_trials, n_steps, lr, seed):
    torch.manual_seed(seed)
    rnn = torch.nn.RNN(N_BITS, hidden, nonlinearity="tanh", batch_first=True)
    readout = torch.nn.Linear(hidden, N_BITS)
    opt = torch.optim.Adam([*rnn.parameters(), *readout.parameters()], lr=lr)
    losses = []
    for step in range(steps):
        x, y, m = (torch.as_tensor(a, dtype=torch.float32)
                   for a in flip_flop_task(n_trials, n_steps, seed=seed * 100_003 + step))
        h, _ = rnn(x)
        loss = (((readout(h) - y) ** 2) * m).sum() / m.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return rnn, readout, np.array(losses)


def analyse(rnn, readout, *, seed=0):
    """The trained network as a neurodyn map at zero input, its fixed points and their
    outputs. Returns ``(system, points, outputs, states)``: ``states`` are hidden states the
    network visits on fresh trials, which bound the search."""
    system = RNN.from_torch(rnn, input=np.zeros(N_BITS))
    x, _, _ = flip_flop_task(8, 200, seed=seed + 1)
    states = np.concatenate([system.run(xi) for xi in x])
    lo, hi = states.min(axis=0), states.max(axis=0)
    points = analysis.fixed_points(system, box=(lo - 0.05, hi + 0.05), n_starts=256, seed=seed,
                                   t_traj=50)
    W = readout.weight.detach().double().numpy()
    b = readout.bias.detach().double().numpy()
    outputs = np.array([W @ p.x + b for p in points]).reshape(-1, N_BITS)
    return system, points, outputs, states


def unstable_directions(point):
    """How many eigenvalues of a map's fixed point lie outside the unit circle."""
    return int(np.sum(np.abs(point.eigenvalues) > 1.0))


def _vector(y):
    return "[" + " ".join(f"{v:5.2f}" for v in y) + "]"


def main():
    tic = time.perf_counter()
    rnn, readout, losses = train()
    print(f"trained in {time.perf_counter() - tic:.1f} s: loss {losses[0]:.3f} -> "
          f"{losses[-20:].mean():.4f} (mean of the last 20 steps)")
    system, points, outputs, states = analyse(rnn, readout)
    print(f"{len(points)} fixed points at zero input:")
    print(f"  {'stability':9s} {'output (readout of h*)':>24s} {'max |lambda|':>13s} "
          f"{'unstable':>9s}")
    for p, y in sorted(zip(points, outputs), key=lambda py: unstable_directions(py[0])):
        print(f"  {p.stability:9s} {_vector(y):>24s} "
              f"{abs(p.eigenvalues[0]):13.3f} {unstable_directions(p):9d}")
    stable = outputs[[p.stability == "stable" for p in points]]
    corners = {tuple(np.sign(y).astype(int)) for y in stable}
    print(f"{len(stable)} stable points, at {len(corners)} distinct corners of the output cube "
          f"(|output| from {np.abs(stable).min():.2f} to {np.abs(stable).max():.2f})")
    for k in (1, 2, 3):
        n = sum(p.stability == "saddle" and unstable_directions(p) == k for p in points)
        print(f"{n} saddle{'s' if n != 1 else ''} with {k} unstable "
              f"direction{'s' if k > 1 else ''}")
    print(analysis.slow_manifold(system, points))
    save_figure(system, rnn, readout, points, states)


def save_figure(system, rnn, readout, points, states, png="flip_flop.png"):
    """The hidden states and fixed points on the states' first two principal components, and
    one trial's outputs against their targets, when matplotlib is installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    center = states.mean(axis=0)
    axes = np.linalg.svd(states - center, full_matrices=False)[2][:2]
    fig, (ax_p, ax_t) = plt.subplots(1, 2, figsize=(12, 4.8),
                                     gridspec_kw={"width_ratios": [1, 1.4]})
    S = (states - center) @ axes.T
    ax_p.plot(S[:, 0], S[:, 1], color="0.8", lw=0.4, zorder=0)
    styles = {0: ("o", "k", "stable"), 1: ("x", "tab:red", "saddle, 1 unstable"),
              2: ("^", "tab:orange", "saddle, 2 unstable"),
              3: ("s", "tab:purple", "saddle, 3 unstable")}
    for k, (marker, color, label) in styles.items():
        P = np.array([(p.x - center) @ axes.T for p in points if unstable_directions(p) == k])
        if len(P):
            ax_p.scatter(P[:, 0], P[:, 1], marker=marker, color=color, label=label, zorder=2)
    ax_p.set_xlabel("PC 1")
    ax_p.set_ylabel("PC 2")
    ax_p.legend(fontsize=8)
    ax_p.set_title("hidden states and fixed points")
    x, y, _ = flip_flop_task(1, 200, seed=7)
    W = readout.weight.detach().double().numpy()
    b = readout.bias.detach().double().numpy()
    out = system.run(x[0]) @ W.T + b
    for c in range(N_BITS):
        shift = 3.0 * (N_BITS - 1 - c)
        ax_t.plot(x[0, :, c] * 0.8 + shift, color="0.6", lw=0.8,
                  label="input pulses" if c == 0 else None)
        ax_t.plot(y[0, :, c] + shift, "k--", lw=1, label="target" if c == 0 else None)
        ax_t.plot(out[:, c] + shift, color="tab:blue", lw=1.2, label="output" if c == 0 else None)
    ax_t.set_yticks([3.0 * (N_BITS - 1 - c) for c in range(N_BITS)],
                    [f"bit {c}" for c in range(N_BITS)])
    ax_t.set_xlabel("step")
    ax_t.legend(fontsize=8, loc="upper right")
    ax_t.set_title("the trained network holds three bits (run by neurodyn)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main()
