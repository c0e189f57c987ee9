"""Command line of neurodyn: ``neurodyn {run,analyse,plot,demo} ...`` (also ``python -m neurodyn``).

* ``neurodyn run MODEL.npz --t 0 300 --method dopri5 --out result.nc`` integrates a model
  saved with ``neurodyn.save`` and writes the trajectory (NetCDF through xarray for ``.nc``,
  a plain NumPy archive for ``.npz``);
* ``neurodyn analyse MODEL.npz --fixed-points --lyapunov`` prints the fixed points with their
  stability and the Lyapunov spectrum (``--json FILE`` writes them too);
* ``neurodyn plot result.nc --out figure.png`` draws the time series of a saved run;
* ``neurodyn demo`` runs the quick-start demo.

Exit codes: 0 done; 1 the run failed or a file could not be read or written (the message says
which); 2 bad arguments (with the usage, as argparse does).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

__all__ = ["main"]


class CommandError(Exception):
    """A failure the command reports in one line (exit code 1)."""


def _load_model(path):
    from .io import load

    p = Path(path)
    if not p.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        model = load(p)
    except (OSError, ValueError, TypeError) as err:
        raise CommandError(str(err)) from None
    return model


def _initial_state(model, args):
    n = int(model.n_states)
    if args.y0_file is not None:
        try:
            y0 = np.load(args.y0_file, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise CommandError(f"{args.y0_file}: {err}") from None
    elif args.y0 is not None:
        y0 = np.asarray(args.y0, dtype=float)
    else:
        return np.zeros(n)
    if y0.shape != (n,):
        raise CommandError(f"the initial state has shape {y0.shape}, but the model has {n} "
                           f"states: give --y0 with {n} numbers")
    return y0


def _continuous(model, path, command):
    if not (hasattr(model, "rhs") and hasattr(model, "n_states")):
        raise CommandError(f"{path} holds a {type(model).__name__}, a discrete-time model: "
                           f"'neurodyn {command}' works on continuous-time models (CTRNN, "
                           f"ContinuousHopfield, ContinuousBAM, ContinuousESN, circuits)")


def _run(args):
    import solvers

    from .io import save

    model = _load_model(args.model)
    _continuous(model, args.model, "run")
    y0 = _initial_state(model, args)
    t0, t1 = args.t
    if args.n_out < 2:
        raise CommandError("--n-out must be at least 2")
    t_eval = np.linspace(t0, t1, args.n_out)
    options = dict(method=args.method, t_eval=t_eval, rtol=args.rtol, atol=args.atol)
    if args.dt is not None:
        options["dt"] = args.dt
    try:
        sol = solvers.solve(model, (t0, t1), y0, **options)
    except (ValueError, TypeError) as err:
        raise CommandError(str(err)) from None
    out = Path(args.out)
    try:
        if out.suffix == ".npz":
            np.savez(out, t=sol.t, y=sol.y, status=sol.status,
                     nodes=np.array([str(v) for v in getattr(model, "nodes", range(y0.size))]))
        else:
            save(sol.to_xarray(names=getattr(model, "nodes", None)), out)
    except (OSError, ValueError, ImportError) as err:
        raise CommandError(f"{out}: {err}") from None
    print(f"{args.model}: {type(model).__name__} with {y0.size} states, {args.method} on "
          f"[{t0:g}, {t1:g}]: {sol.message}")
    print(f"  {sol.naccepted} steps, {sol.nfev} evaluations; {sol.t.size} rows written to {out}")
    return 0 if sol.success else 1


def _analyse(args):
    from .analysis import fixed_points, lyapunov_spectrum

    model = _load_model(args.model)
    _continuous(model, args.model, "analyse")
    if not (args.fixed_points or args.lyapunov):
        raise CommandError("nothing to do: ask for --fixed-points and/or --lyapunov")
    report = {"model": str(args.model), "type": type(model).__name__,
              "n_states": int(model.n_states)}
    print(f"{args.model}: {type(model).__name__} with {model.n_states} states")
    if args.fixed_points:
        fps = fixed_points(model, seed=args.seed)
        report["fixed_points"] = [{"x": fp.x.tolist(), "stability": fp.stability,
                                   "eigenvalues_real": np.real(fp.eigenvalues).tolist(),
                                   "eigenvalues_imag": np.imag(fp.eigenvalues).tolist()}
                                  for fp in fps]
        print(f"  {len(fps)} fixed point(s):")
        for fp in fps:
            lead = max(np.real(fp.eigenvalues)) if len(fp.eigenvalues) else math.nan
            print(f"    {fp.stability:<16} x = {np.array2string(fp.x, precision=5)}  "
                  f"max Re(lambda) = {lead:.4g}")
    if args.lyapunov:
        y0 = _initial_state(model, args)
        res = lyapunov_spectrum(model, y0, t_total=args.t_total, dt=args.dt_lyapunov,
                                t_transient=args.transient, seed=args.seed)
        report["lyapunov_exponents"] = np.asarray(res.exponents).tolist()
        print(f"  Lyapunov spectrum over t = {args.t_total:g} (dt {args.dt_lyapunov:g}): "
              f"{np.array2string(np.asarray(res.exponents), precision=5)}")
    if args.json is not None:
        try:
            Path(args.json).write_text(json.dumps(report, indent=2))
        except OSError as err:
            raise CommandError(f"{args.json}: {err}") from None
    return 0


def _plot(args):
    from .plot import trajectories

    path = Path(args.result)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    sol, names = _saved_run(path)
    try:
        import matplotlib
    except ImportError:
        raise CommandError("plotting needs matplotlib: pip install 'neurodyn[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    n = sol.y.shape[1]
    if args.states is not None and any(not 0 <= k < n for k in args.states):
        raise CommandError(f"--states: the run has states 0..{n - 1}, got {args.states}")
    trajectories(sol, states=args.states, ax=ax, names=names)
    ax.set_title(path.name)
    out = Path(args.out) if args.out else path.with_suffix(".png")
    try:
        fig.savefig(out, dpi=110)
    except OSError as err:
        raise CommandError(f"{out}: {err}") from None
    finally:
        plt.close(fig)
    print(f"{path}: {sol.y.shape[1]} states over {sol.t.size} times; figure written to {out}")
    return 0


def _saved_run(path):
    """A saved run (``neurodyn run`` output, ``.nc`` or ``.npz``): a ``solvers.Solution`` and
    the names of its states."""
    import solvers

    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as f:
                t, y, status = f["t"], f["y"], int(f["status"])
                names = [str(v) for v in f["nodes"]] if "nodes" in f.files else None
        except (OSError, ValueError, KeyError) as err:
            raise CommandError(f"{path}: not a saved run ({err})") from None
        return solvers.Solution(t, y, status, ""), names
    from .io import load

    try:
        ds = load(path)
    except (OSError, ValueError, ImportError) as err:
        raise CommandError(f"{path}: {err}") from None
    try:
        t = np.asarray(ds["time"].values, dtype=float)
        y = np.asarray(ds["y"].values, dtype=float)
    except KeyError:
        raise CommandError(f"{path}: not a saved run (no 'time' and 'y' in it)") from None
    if y.ndim != 2:
        raise CommandError(f"{path}: holds an ensemble ({y.ndim}-D y); plot one member")
    names = [str(v) for v in ds["state"].values] if "state" in ds.coords else None
    return solvers.Solution(t, y, int(ds.attrs.get("status", 0)), ""), names


def _parser():
    parser = argparse.ArgumentParser(
        prog="neurodyn", description="neurodyn: neural networks as physical dynamical systems.",
        epilog="Models are files written by neurodyn.save(model, 'model.npz').")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="integrate a saved model and write the trajectory",
                         description="Integrate a model saved with neurodyn.save and write "
                                     "its trajectory (.nc: NetCDF via xarray; .npz: NumPy).")
    run.add_argument("model", help="a model file written by neurodyn.save (.npz)")
    run.add_argument("--t", nargs=2, type=float, default=(0.0, 100.0), metavar=("T0", "T1"),
                     help="time span (default 0 100)")
    run.add_argument("--method", default="dopri5", help="integration method (default dopri5)")
    run.add_argument("--rtol", type=float, default=1e-6)
    run.add_argument("--atol", type=float, default=1e-9)
    run.add_argument("--dt", type=float, default=None, help="step of fixed-step methods")
    run.add_argument("--n-out", type=int, default=1001, help="output times (default 1001)")
    run.add_argument("--y0", nargs="+", type=float, default=None, help="initial state")
    run.add_argument("--y0-file", default=None, help="initial state from a .npy file")
    run.add_argument("--out", default="result.nc", help="output file (default result.nc)")

    ana = sub.add_parser("analyse", aliases=["analyze"],
                         help="fixed points and Lyapunov spectrum of a saved model",
                         description="Print the fixed points (with stability) and/or the "
                                     "Lyapunov spectrum of a saved model.")
    ana.add_argument("model", help="a model file written by neurodyn.save (.npz)")
    ana.add_argument("--fixed-points", action="store_true", help="find the fixed points")
    ana.add_argument("--lyapunov", action="store_true", help="compute the Lyapunov spectrum")
    ana.add_argument("--seed", type=int, default=0, help="seed of the multistart search")
    ana.add_argument("--y0", nargs="+", type=float, default=None,
                     help="start of the Lyapunov run (default zeros)")
    ana.add_argument("--y0-file", default=None, help="start from a .npy file")
    ana.add_argument("--t-total", type=float, default=200.0, help="Lyapunov run length")
    ana.add_argument("--dt-lyapunov", type=float, default=0.01, help="Lyapunov RK4 step")
    ana.add_argument("--transient", type=float, default=20.0, help="transient discarded")
    ana.add_argument("--json", default=None, help="also write the results as JSON")

    plo = sub.add_parser("plot", help="draw the time series of a saved run",
                         description="Draw the time series of a run written by 'neurodyn "
                                     "run' (.nc or .npz) into a PNG.")
    plo.add_argument("result", help="a run written by 'neurodyn run'")
    plo.add_argument("--out", default=None, help="PNG to write (default: RESULT.png)")
    plo.add_argument("--states", nargs="+", type=int, default=None,
                     help="indices of the states to draw (default all)")

    demo = sub.add_parser("demo", help="Beer's two-neuron CTRNN oscillator: integrate, "
                                       "print, plot")
    demo.add_argument("--out", default="neurodyn_demo.png", help="PNG to write")
    demo.add_argument("--no-plot", action="store_true", help="skip the figure")
    demo.add_argument("--t-end", type=float, default=300.0, help="integration horizon")
    return parser


def main(argv=None):
    """Entry point of ``python -m neurodyn`` and the ``neurodyn`` script; returns the exit
    code.

    >>> main(["demo", "--no-plot", "--t-end", "150"])  # doctest: +ELLIPSIS
    neurodyn demo: ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "run" and (not math.isfinite(args.t[0]) or not math.isfinite(args.t[1])):
        parser.error("--t needs two finite numbers")
    try:
        if args.command == "run":
            return _run(args)
        if args.command in ("analyse", "analyze"):
            return _analyse(args)
        if args.command == "plot":
            return _plot(args)
        from .demo import run_demo

        run_demo(out=args.out, t_end=args.t_end, plot=not args.no_plot)
        return 0
    except CommandError as err:
        print(f"neurodyn {args.command}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
