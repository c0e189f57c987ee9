"""Quantities against time: trajectories, a model's energy along one, and the running
estimates of a Lyapunov spectrum."""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, count, real_array

from ._base import _axes, _flag, _labels, _names, _state_label, _text, _time_series

__all__ = ["trajectories", "energy", "lyapunov_convergence"]


def _state_indices(states, n):
    if states is None:
        return list(range(n))
    if isinstance(states, (list, tuple, np.ndarray)) and not isinstance(states, str):
        idx = [count(f"states[{k}]", s, high=n - 1) for k, s in enumerate(states)]
        if not idx:
            raise ValueError("states is empty: name at least one state to plot")
        return idx
    return [count("states", states, high=n - 1)]


def trajectories(sol, states=None, ax=None, *, names=None, labels=None, xlabel="t",
                 ylabel="state", **line_kw):
    """Time series of a solution: one line per state.

    Parameters
    ----------
    sol : solvers.Solution or (t, y)
        ``t`` of shape (k,), ``y`` of shape (k, n) (or (k,) for one state).
    states : int or sequence of int, optional
        Which states (columns of ``y``) to draw; default all.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when None.
    names : sequence or model with ``.nodes``, optional
        One name per state (a CTRNN's ``nodes``, say): lines are labelled ``y0 (name)``, else
        ``y0``, ``y1``, ...
    labels : sequence of str, optional
        The legend labels themselves, one per state drawn (instead of the labels above).
    xlabel, ylabel : str
    **line_kw
        Passed to ``Axes.plot`` (``lw``, ``alpha``, ...).

    Returns
    -------
    matplotlib.axes.Axes
        The lines are ``ax.lines[-len(states):]``, in the order of ``states``.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, solvers
    >>> from neurodyn import CTRNN
    >>> net = CTRNN([[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75], nodes=["a", "b"])
    >>> sol = solvers.solve(net, (0.0, 10.0), [0.0, 0.0], t_eval=np.linspace(0, 10, 51))
    >>> ax = trajectories(sol, names=net)
    >>> [line.get_label() for line in ax.lines]
    ['y0 (a)', 'y1 (b)']
    """
    t, y = _time_series(sol, "sol")
    n = y.shape[1]
    idx = _state_indices(states, n)
    names = _names(names, n, "names")
    if labels is not None:
        if isinstance(labels, str) or not hasattr(labels, "__len__") or len(labels) != len(idx):
            raise ValueError(f"labels must be a sequence of {len(idx)} strings, one per state "
                             f"drawn, got {labels!r}")
        labels = [_text(f"labels[{k}]", lab, allow_none=False) for k, lab in enumerate(labels)]
    _text("xlabel", xlabel)
    _text("ylabel", ylabel)
    ax = _axes(ax, "trajectories")
    for k, i in enumerate(idx):
        lab = labels[k] if labels is not None else _state_label(i, names)
        (line,) = ax.plot(t, y[:, i], label=lab, **line_kw)
        line.set_gid("trajectory")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if len(idx) > 1 or names is not None or labels is not None:
        ax.legend(loc="best", fontsize="small")
    return ax


def _energy_series(model, sol):
    """``(x, E, xlabel)``: the abscissa, the energy values (a list of 1-D arrays, one per line)
    and what the abscissa is."""
    stored = getattr(sol, "energy", None)
    if stored is not None and not callable(stored) and not hasattr(sol, "t"):
        # A discrete Hopfield RecallResult(return_energy=True): the energy after every sweep,
        # computed during recall (one array for a single probe, a list for a batch).
        runs = [stored] if isinstance(stored, np.ndarray) else list(stored)
        out = [real_array(f"sol.energy[{k}]", e, ndim=1, per="one value per sweep")
               for k, e in enumerate(runs)]
        return [np.arange(e.size, dtype=float) for e in out], out, "sweep"
    if stored is None and hasattr(sol, "states") and hasattr(sol, "converged"):
        raise ValueError("sol is a recall result without energies: recall with "
                         "return_energy=True, or pass the states themselves")
    fn = getattr(model, "energy", None)
    if not callable(fn):
        raise InvalidTypeError(f"energy: model must define an energy (Lyapunov) function "
                               f".energy(states); {type(model).__name__} has none")
    if (hasattr(sol, "t") and hasattr(sol, "y")) or isinstance(sol, tuple):
        t, y = _time_series(sol, "sol")
        xlabel = "t"
    else:
        y = real_array("sol", sol, ndim=2, per="one state per row")
        t = np.arange(y.shape[0], dtype=float)
        xlabel = "step"
    if y.shape[0] == 0:
        raise ValueError("sol holds no states: nothing to plot")
    E = np.asarray(fn(y), dtype=float).reshape(-1)
    if E.size != y.shape[0]:
        raise ValueError(f"model.energy returned {E.size} values for {y.shape[0]} states")
    return [t], [E], xlabel


def energy(model, sol, ax=None, *, label=None, ylabel="energy", **line_kw):
    """A model's energy (Lyapunov function) along a trajectory.

    Parameters
    ----------
    model : object with ``.energy(states)``
        ``ContinuousHopfield``, ``ContinuousBAM``, the discrete ``Hopfield``, and circuits
        such as ``HopfieldTank`` or ``MemristiveNetwork`` (its energy at the sources of
        ``t = 0``).
    sol : solvers.Solution, (t, y), array (k, n) or a Hopfield RecallResult
        A Solution or pair: energy against time. An array of states, one per row (say the
        states of a discrete recall): energy against step. A ``RecallResult`` made with
        ``return_energy=True``: the energies it recorded, against sweep (one line per probe;
        ``model`` is not consulted).
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label of the line (of the first line, for a batch of probes).
    ylabel : str
    **line_kw
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, solvers
    >>> from neurodyn import ContinuousHopfield
    >>> net = ContinuousHopfield(np.array([[0.0, 1.0], [1.0, 0.0]]), gain=3.0)
    >>> sol = solvers.solve(net, (0, 5), [0.3, -0.1], t_eval=np.linspace(0, 5, 26))
    >>> E = energy(net, sol).lines[0].get_ydata()
    >>> bool(np.all(np.diff(E) <= 1e-12)), np.array_equal(E, net.energy(sol.y))
    (True, True)
    """
    xs, Es, xlabel = _energy_series(model, sol)
    _text("label", label)
    _text("ylabel", ylabel)
    ax = _axes(ax, "energy")
    for k, (x, E) in enumerate(zip(xs, Es)):
        lab = label if k == 0 and label is not None else "_nolegend_"
        (line,) = ax.plot(x, E, label=lab, **line_kw)
        line.set_gid("energy")
    return _labels(ax, xlabel, ylabel, label is not None)


def lyapunov_convergence(result, ax=None, *, xscale="log", zero_line=True, **line_kw):
    """Running estimates of Lyapunov exponents against averaging time.

    Benettin's estimates settle as ``1/t``; a log time axis (the default) shows whether they
    have. Each line is labelled with the final estimate.

    Parameters
    ----------
    result : neurodyn.analysis.LyapunovResult
        Of a flow: its ``history_t`` (m,) and ``history`` (m, k) hold the estimates after each
        renormalisation (a map's result keeps no history and is refused).
    ax : matplotlib Axes, optional
    xscale : {"log", "linear"}
    zero_line : bool
        Draw the line lambda = 0 (chaos: an exponent settling above it).
    **line_kw
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
        One line per exponent, largest first, in ``ax.lines``.

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from solvers import ODESystem
    >>> from neurodyn.analysis import lyapunov_spectrum
    >>> from neurodyn.analysis._examples import van_der_pol
    >>> r = lyapunov_spectrum(ODESystem(van_der_pol, 2, (1.0,)), [2.0, 0.0], t_total=20.0)
    >>> ax = lyapunov_convergence(r)
    >>> [line.get_label()[:4] for line in ax.lines if line.get_gid() == "exponent"]
    ['λ1 =', 'λ2 =']
    """
    if not (hasattr(result, "history_t") and hasattr(result, "history")):
        raise InvalidTypeError(f"lyapunov_convergence: result must be a LyapunovResult "
                               f"(neurodyn.analysis.lyapunov_spectrum), got "
                               f"{type(result).__name__}")
    ht = real_array("result.history_t", result.history_t, finite=False, ndim=1,
                    per="one time per renormalisation")
    hist = real_array("result.history", result.history, finite=False)
    if ht.size == 0 or hist.size == 0:
        raise ValueError("lyapunov_convergence: result has no history of running estimates "
                         "(a map's spectrum keeps none; flows do)")
    if hist.ndim != 2 or hist.shape[0] != ht.size:
        raise ValueError(f"result.history must have shape ({ht.size}, k), got {hist.shape}")
    if xscale not in ("log", "linear"):
        raise ValueError(f"xscale must be 'log' or 'linear', got {xscale!r}")
    zero_line = _flag("zero_line", zero_line)
    ax = _axes(ax, "lyapunov_convergence")
    for k in range(hist.shape[1]):
        (line,) = ax.plot(ht, hist[:, k], label=f"λ{k + 1} = {hist[-1, k]:.4g}", **line_kw)
        line.set_gid("exponent")
    if zero_line:
        ax.axhline(0.0, color="0.5", lw=0.8, ls=":", zorder=0).set_gid("zero")
    if xscale == "log" and np.all(ht > 0):
        ax.set_xscale("log")
    ax.set_xlabel("averaging time")
    ax.set_ylabel("Lyapunov exponent estimate")
    ax.legend(loc="best", fontsize="small")
    return ax
