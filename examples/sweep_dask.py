"""
A two-parameter sweep on Dask
=============================

Beer's two-neuron oscillator over a 60 x 60 grid of its two biases, as chunks of
``solve_ensemble`` on a Dask cluster: where does it oscillate, with what period and swing?

Run: python examples/sweep_dask.py
:func:`neurodyn.sweep <neurodyn.sweeps.sweep>` builds the network of each grid point on the
workers (``build(bias0=..., bias1=...)``), integrates each chunk of points with one
``solvers.solve_ensemble`` call, reduces every member to a few numbers (``measure``: the
period, the amplitude, the final state) and returns an ``xarray.Dataset`` over the grid. With
``client=None`` it starts a ``LocalCluster`` on this machine for the call and closes it after.

The script checks the map against independent computations: three grid points against their
own ``solvers.solve`` (the Dataset's labels point at the right networks), the centre-crossing
point against SciPy's DOP853 on a NumPy transcription of Beer's equation, and, on three rows
of the grid, that the oscillation fills the interval between the two Hopf points that
``neurodyn.analysis.continuation`` finds on the branch of fixed points. The figure draws the
curves where a fixed point changes stability, from Beer's (1995) closed form: a fixed point
``y*`` of ``dy/dt = -y + W s`` with ``s = sigma(y* + theta)`` exists for the biases
``theta = logit(s) - W s``, and its Jacobian ``-I + W diag(s (1 - s))`` has trace 0 on the
Hopf curve and determinant 0 on the saddle-node curve.

**The same code on a cluster you started yourself.** With the environment variable
``NEURODYN_SCHEDULER`` set to a scheduler's address, the script sends the chunks there
(``Client(os.environ["NEURODYN_SCHEDULER"])``) instead of starting a ``LocalCluster``. On
this machine, in three terminals (``pip install 'neurodyn[distributed]'`` provides the
``dask`` command)::

    dask scheduler                                    # prints "Scheduler at: tcp://HOST:8786"
    dask worker tcp://HOST:8786 --nworkers 2 --nthreads 1
    NEURODYN_SCHEDULER=tcp://HOST:8786 python examples/sweep_dask.py

On several machines, start one ``dask worker tcp://HOST:8786 --nworkers <cores>
--nthreads 1`` on each (every worker needs neurodyn and its dependencies in the same
versions; the builder and measure below are sent to them with the task). From Python,
``dask.distributed.SSHCluster(["head", "node1", "node2"], worker_options={"nthreads": 1})``
starts the same over SSH, and ``dask_jobqueue.SLURMCluster(cores=..., processes=...,
memory=...)`` with ``cluster.scale(jobs=4)`` gets workers from a SLURM queue (PBS, SGE, LSF
likewise); pass ``Client(cluster)`` as ``client=``. The :doc:`sweeps tutorial
<../tutorials/sweeps>` has the details.

With matplotlib installed it also writes sweep_dask.png: the period and the amplitude over the
bias plane, with the Hopf and saddle-node curves.
"""
import os
import time

import numpy as np

import solvers
import neurodyn as nd
from neurodyn.analysis import continuation, oscillation_period

W = np.array([[4.5, 1.0], [-1.0, 4.5]])
BIAS0 = np.linspace(-3.3, -2.2, 60)    # around Beer's centre-crossing biases (-2.75, -1.75)
BIAS1 = np.linspace(-2.3, -1.2, 60)
T_EVAL = np.linspace(0.0, 300.0, 3001)  # ~290 samples per period (about 30)
TOL = {"rtol": 1e-8, "atol": 1e-10}
SETTLED = 1e-3   # a swing of y0 over the last quarter of the run below this: a fixed point


def build(bias0, bias1):
    """The network of one grid point (called on the workers)."""
    return nd.CTRNN(W, bias=[bias0, bias1])


def measure(ens):
    """A chunk's members reduced to their period, amplitude and final state.

    Vectorised where NumPy allows it: the amplitude over every member at once; the period runs
    ``oscillation_period`` per member. Each array's first axis is the chunk's members.
    """
    y = ens.y[:, :, 0]                                     # (members, times)
    late = y[:, -(y.shape[1] // 4):]
    amplitude = late.max(axis=1) - late.min(axis=1)
    period = np.array([oscillation_period(ens.t, row) for row in y])
    # A focus still rings while it settles: its crossings are not a sustained oscillation.
    period[amplitude < SETTLED] = np.nan
    return {"period": period, "amplitude": amplitude, "x_final": ens.y_final}


def get_client():
    """A client of the cluster named by NEURODYN_SCHEDULER, else None (a LocalCluster)."""
    address = os.environ.get("NEURODYN_SCHEDULER")
    if not address:
        return None
    from dask.distributed import Client

    return Client(address)


def main():
    client = get_client()
    tic = time.perf_counter()
    try:
        ds = nd.sweep(build, {"bias0": BIAS0, "bias1": BIAS1}, t_span=(0.0, 300.0),
                      y0=[0.0, 0.0], t_eval=T_EVAL, measure=measure, client=client,
                      progress=False, **TOL)
    finally:
        if client is not None:
            client.close()
    wall = time.perf_counter() - tic
    where = os.environ.get("NEURODYN_SCHEDULER") or "a LocalCluster"
    period = ds["period"]
    oscillating = np.isfinite(period.values)
    print(f"{ds.sizes['bias0']} x {ds.sizes['bias1']} networks on {where}: "
          f"{ds.attrs['sweep_chunks']} chunks, {wall:.1f} s")
    print(f"oscillating at {oscillating.sum()} grid points, period "
          f"{np.nanmin(period.values):.2f} to {np.nanmax(period.values):.2f}, largest swing "
          f"{float(ds['amplitude'].max()):.3f}")
    assert ds.attrs["n_failed"] == 0 and (ds["status"] == 0).all()

    check_points(ds)
    check_scipy(ds)
    check_hopf_rows(ds)
    save_figure(ds)
    return ds


def check_points(ds):
    """Three grid points (two oscillating, one at a fixed point) against their own solve."""
    for b0, b1 in [(-2.75, -1.75), (-2.6, -1.9), (-3.2, -1.5)]:
        i, j = np.abs(BIAS0 - b0).argmin(), np.abs(BIAS1 - b1).argmin()
        sol = solvers.solve(build(BIAS0[i], BIAS1[j]), (0.0, 300.0), np.zeros(2),
                            t_eval=T_EVAL, **TOL)
        direct = measure(_OneMember(sol))
        got = ds.sel(bias0=BIAS0[i], bias1=BIAS1[j])
        for name in ("period", "amplitude", "x_final"):
            np.testing.assert_allclose(got[name].values, direct[name][0], rtol=1e-9,
                                       equal_nan=True, err_msg=f"{name} at {b0}, {b1}")
        print(f"  theta = ({BIAS0[i]:.3f}, {BIAS1[j]:.3f}): period {float(got['period']):.4f} "
              "(sweep) = its own solve")


class _OneMember:
    """One Solution seen as a one-member ensemble, for ``measure``."""

    def __init__(self, sol):
        self.t, self.y, self.y_final = sol.t, sol.y[None], sol.y[-1][None]


def check_scipy(ds):
    """The centre-crossing network's period against SciPy on Beer's equation in NumPy."""
    from scipy.integrate import solve_ivp

    i, j = np.abs(BIAS0 + 2.75).argmin(), np.abs(BIAS1 + 1.75).argmin()
    theta = np.array([BIAS0[i], BIAS1[j]])

    def beer(t, y):  # tau = 1, gain 1, no input
        return -y + W @ (1.0 / (1.0 + np.exp(-(y + theta))))

    ref = solve_ivp(beer, (0.0, 300.0), np.zeros(2), method="DOP853", t_eval=T_EVAL,
                    rtol=1e-11, atol=1e-12)
    expected = oscillation_period(ref.t, ref.y[0])
    got = float(ds["period"][i, j])
    assert abs(got - expected) < 1e-4 * expected, (got, expected)
    print(f"  centre-crossing period {got:.5f}, SciPy DOP853 {expected:.5f}")


def check_hopf_rows(ds):
    """On three rows the oscillation spans the interval between the branch's Hopf points."""
    step = BIAS0[1] - BIAS0[0]
    for b1 in (-1.9, -1.75, -1.6):
        j = np.abs(BIAS1 - b1).argmin()
        row = BIAS1[j]
        x0 = ds["x_final"][0, j].values          # a stable fixed point at the grid's edge
        branch = continuation(build(BIAS0[0], row), lambda net, mu: net.replace(bias=[mu, row]),
                              BIAS0[0], BIAS0[-1], x0)
        h = sorted(b.param for b in branch.hopf_points)
        assert len(h) == 2, branch
        osc = np.isfinite(ds["period"][:, j].values)
        # Near a Hopf point the cycle is small and slow to grow (or the focus slow to settle):
        # allow two grid steps of slack at each end.
        inside = (BIAS0 > h[0] + 2 * step) & (BIAS0 < h[1] - 2 * step)
        outside = (BIAS0 < h[0] - 2 * step) | (BIAS0 > h[1] + 2 * step)
        assert osc[inside].all() and not osc[outside].any(), (row, h, BIAS0[osc])
        print(f"  theta1 = {row:.3f}: Hopf points at theta0 = {h[0]:.3f}, {h[1]:.3f}; "
              f"oscillating for theta0 in [{BIAS0[osc].min():.3f}, {BIAS0[osc].max():.3f}]")


def bifurcation_curves(n=4001):
    """Beer's closed form: the biases at which a fixed point has trace 0 (Hopf, where the
    determinant is positive) or determinant 0 (saddle-node), as lists of (theta0, theta1)
    pieces (NaN between pieces)."""
    def det(a, b):
        return (W[0, 0] * a - 1) * (W[1, 1] * b - 1) - W[0, 1] * W[1, 0] * a * b

    def biases(s0, s1):
        s = np.stack([s0, s1])
        return np.log(s / (1 - s)) - W @ s

    # Trace 0 is W00 s0 (1 - s0) + W11 s1 (1 - s1) = 2: with s = 1/2 + (u, v) an ellipse
    # W00 u^2 + W11 v^2 = c, drawn closed by its angle.
    c = (W[0, 0] + W[1, 1]) / 4 - 2
    phi = np.linspace(0.0, 2 * np.pi, n)
    s0 = 0.5 + np.sqrt(c / W[0, 0]) * np.cos(phi)
    s1 = 0.5 + np.sqrt(c / W[1, 1]) * np.sin(phi)
    hopf = biases(s0, s1)
    hopf[:, det(s0 * (1 - s0), s1 * (1 - s1)) <= 0] = np.nan   # a neutral saddle, not Hopf
    # Determinant 0: s1 (1 - s1) = b(s0), two roots s1 for each s0.
    s0 = np.linspace(1e-6, 1 - 1e-6, n)
    a = s0 * (1 - s0)
    b = (W[0, 0] * a - 1) / (W[1, 1] * (W[0, 0] * a - 1) - W[0, 1] * W[1, 0] * a)
    ok = (b > 0) & (b <= 0.25)
    disc = np.sqrt(1 - 4 * np.where(ok, b, 0.1))
    folds = []
    for sign in (-1, 1):
        theta = biases(s0, 0.5 * (1 + sign * disc))
        theta[:, ~ok] = np.nan
        folds.append(theta)
    return {"Hopf": [hopf], "saddle-node": folds}


def save_figure(ds, png="sweep_dask.png"):
    """Period and amplitude maps with the bifurcation curves, when matplotlib is installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return
    curves = bifurcation_curves()
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.6), sharey=True)
    for ax, name, label, cmap in ((axes[0], "period", "period", "viridis"),
                                  (axes[1], "amplitude", "swing of y0 (last quarter)",
                                   "magma")):
        ax.set_facecolor("0.88")   # NaN periods (fixed points) leave the background
        mesh = ax.pcolormesh(BIAS0, BIAS1, ds[name].values.T, shading="nearest", cmap=cmap)
        fig.colorbar(mesh, ax=ax, label=label)
        for kind, style in (("Hopf", dict(color="w", lw=1.6)),
                            ("saddle-node", dict(color="C1", lw=1.2, ls="--"))):
            for k, (t0, t1) in enumerate(curves[kind]):
                ax.plot(t0, t1, label=kind if k == 0 else None, **style)
        ax.set_xlim(BIAS0[0], BIAS0[-1])
        ax.set_ylim(BIAS1[0], BIAS1[-1])
        ax.set_xlabel("bias theta0")
    axes[0].set_ylabel("bias theta1")
    axes[0].set_title("period (grey: settles to a fixed point)")
    axes[1].set_title("amplitude")
    axes[1].legend(loc="lower right", fontsize="small", facecolor="0.6")
    fig.tight_layout()
    fig.savefig(png, dpi=110)  # left open: the documentation's gallery shows pyplot's figures


if __name__ == "__main__":
    main()
