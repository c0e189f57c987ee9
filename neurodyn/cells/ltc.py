"""Liquid time-constant networks (Hasani, Lechner, Amini, Rus & Grosu, "Liquid Time-constant
Networks", AAAI 2021) as an ODE system, and the ``ncps`` library's fused step reproduced.

The ODE is the conductance-based form that ``ncps`` (``ncps.torch.LTCCell``) implements::

    cm_i dv_i/dt = gleak_i (vleak_i - v_i)
                   + sum_j w[j, i] s(sigma[j, i] (v_j - mu[j, i])) (erev[j, i] - v_i)
                   + sum_k sensory_w[k, i] s(sensory_sigma[k, i] (u_k - sensory_mu[k, i]))
                                           (sensory_erev[k, i] - v_i)

with ``s`` the logistic sigmoid, ``u = input_w * I(t) + input_b`` the mapped input and synapse
matrices indexed ``[source, target]`` as ncps stores them (the transpose of CTRNN's ``W``).
Dividing by ``cm`` gives the paper's ``dx/dt = -[1/tau + f(x, I)] x + f(x, I) A`` (eq. 1) with
``1/tau_i = gleak_i / cm_i``, ``f_i`` the total synaptic conductance over ``cm_i`` and ``A`` per
synapse (the reversal potentials ``erev``), plus the leak's own reversal potential ``vleak``.

ncps does not integrate that ODE with a general solver: each step of elapsed time ``dt`` is
``ode_unfolds`` sub-steps of its fused semi-implicit Euler scheme (the paper's eq. 3), the
synaptic activations at the old state, the ``v_i`` they multiply at the new one::

    v <- (cm/h v + gleak vleak + sum a E) / (cm/h + gleak + sum a + epsilon),  h = dt / unfolds

:meth:`LTC.run` reproduces it (the discrete network ncps trains); ``solvers.solve`` integrates
the ODE itself, to which the fused step converges at first order as ``ode_unfolds`` grows.
Their fixed points coincide up to ``epsilon``: a fixed point of the fused step solves
``gleak (vleak - v) + sum a (E - v) = epsilon v``.
"""
from __future__ import annotations

import numpy as np

from solvers import ODESystem
from solvers._checks import InvalidTypeError, count, real_array, real_number

from .._model import FrozenModel
from ..inputs import as_input, encode
from . import _kernels_ltc as _k

__all__ = ["LTC"]


def _frozen(a):
    out = np.array(a, dtype=np.float64, order="C", copy=True)
    out.flags.writeable = False
    return out


def _numpy(value):
    if hasattr(value, "detach"):  # a torch tensor, possibly requiring grad
        value = value.detach().cpu().double().numpy()
    return value


def _param(name, value, shape, what, *, sign=None):
    """A frozen float64 array of ``shape`` from a scalar or an array of that shape; errors name
    the entry (``what(index)`` says what it is). ``sign``: "positive" or "nonnegative"."""
    a = real_array(name, _numpy(value), finite=False)
    if a.ndim == 0:
        a = np.full(shape, float(a))
    elif a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected a scalar or {shape}")
    bad = ~np.isfinite(a)
    if sign == "positive":
        bad |= ~(a > 0.0)
    elif sign == "nonnegative":
        bad |= ~(a >= 0.0)
    if bad.any():
        idx = tuple(int(v) for v in np.argwhere(bad)[0])
        need = f"{sign} and finite" if sign else "finite"
        hint = ""
        if sign == "nonnegative":
            hint = (" (a conductance; an ncps cell trained without implicit_param_constraints "
                    "clips it with cell.apply_weight_constraints())")
        raise ValueError(f"{name}[{', '.join(map(str, idx))}] = {float(a[idx])!r} ({what(idx)}) "
                         f"must be {need}{hint}")
    return _frozen(a)


def _softplus(x):
    # torch.nn.Softplus() (beta 1, threshold 20): the identity above 20, where log1p(exp(x))
    # equals x to float64 rounding anyway.
    return np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, 20.0))))


class LTC(FrozenModel, ODESystem):
    """A liquid time-constant network in the ncps parametrisation, ready for ``solvers.solve``
    (see the module docstring for the equations).

    Parameters
    ----------
    w : array_like (n, n)
        Synaptic conductances ``w[source, target]`` (>= 0; 0 where the wiring has no synapse).
    sensory_w : array_like (m, n)
        Sensory conductances ``sensory_w[input, target]`` (>= 0).
    gleak, vleak, cm : float or array_like (n,)
        Leak conductance (>= 0), leak reversal potential, capacitance (> 0).
    mu, sigma, erev : float or array_like (n, n)
        Synaptic sigmoid centres, slopes and reversal potentials.
    sensory_mu, sensory_sigma, sensory_erev : float or array_like (m, n)
    input_w, input_b : float or array_like (m,)
        Input mapping ``u = input_w * I + input_b`` (ncps's "affine"; 1 and 0 are none).
    output_w, output_b : float or array_like (n_outputs,)
        Readout ``y = output_w * v[:n_outputs] + output_b`` (:meth:`readout`).
    n_outputs : int, optional
        Motor neurons, the first ``n_outputs`` (default all ``n``).
    input : float, array_like (m,) or neurodyn Input
        The raw input ``I(t)`` of the ODE (before the input mapping).
    ode_unfolds : int
        Sub-steps of the fused step per input step (:meth:`run`), ncps's default 6.
    epsilon : float
        Added to the fused step's denominator (>= 0), ncps's default 1e-8.

    Notes
    -----
    :meth:`run` is ncps's fused step over a sequence, :meth:`readout` its outputs;
    :meth:`from_ncps` reads an ncps cell, :meth:`to_torch` writes one (``ncps.torch.LTCCell``).

    Example
    -------
    One neuron, one input: at rest (``v = vleak = 0``) the excitatory sensory synapse pulls it
    up; its conductance is ``1 * s(1 * (1 - 0)) = 0.731``:

    >>> ltc = LTC(w=[[0.0]], sensory_w=[[1.0]], input=1.0)
    >>> dvdt = np.empty(1)
    >>> ltc.rhs(0.0, np.zeros(1), ltc.params, dvdt)    # kernels also run uncompiled
    >>> dvdt.round(6)
    array([0.731059])
    """

    _ctor_args = ("w", "sensory_w", "gleak", "vleak", "cm", "mu", "sigma", "erev",
                  "sensory_mu", "sensory_sigma", "sensory_erev", "input_w", "input_b",
                  "output_w", "output_b", "n_outputs", "input", "ode_unfolds", "epsilon")

    def __init__(self, w, sensory_w, *, gleak=1.0, vleak=0.0, cm=1.0, mu=0.0, sigma=1.0,
                 erev=1.0, sensory_mu=0.0, sensory_sigma=1.0, sensory_erev=1.0, input_w=1.0,
                 input_b=0.0, output_w=1.0, output_b=0.0, n_outputs=None, input=0.0,
                 ode_unfolds=6, epsilon=1e-8):
        wa = real_array("w", _numpy(w), finite=False)
        if wa.ndim != 2 or wa.shape[0] != wa.shape[1] or wa.shape[0] < 1:
            raise ValueError(f"w has shape {wa.shape}, expected a non-empty square (n, n): "
                             "w[source, target]")
        n = wa.shape[0]
        sa = real_array("sensory_w", _numpy(sensory_w), finite=False)
        if sa.ndim != 2 or sa.shape[1] != n or sa.shape[0] < 1:
            raise ValueError(f"sensory_w has shape {sa.shape}, expected (m, {n}): "
                             "sensory_w[input, target], at least one input")
        m = sa.shape[0]
        syn = lambda ix: f"synapse {ix[0]} -> {ix[1]}"           # noqa: E731
        sens = lambda ix: f"input {ix[0]} -> neuron {ix[1]}"     # noqa: E731
        neu = lambda ix: f"neuron {ix[0]}"                       # noqa: E731
        chan = lambda ix: f"input {ix[0]}"                       # noqa: E731
        self.w = _param("w", wa, (n, n), syn, sign="nonnegative")
        self.sensory_w = _param("sensory_w", sa, (m, n), sens, sign="nonnegative")
        self.gleak = _param("gleak", gleak, (n,), neu, sign="nonnegative")
        self.vleak = _param("vleak", vleak, (n,), neu)
        self.cm = _param("cm", cm, (n,), neu, sign="positive")
        self.mu = _param("mu", mu, (n, n), syn)
        self.sigma = _param("sigma", sigma, (n, n), syn)
        self.erev = _param("erev", erev, (n, n), syn)
        self.sensory_mu = _param("sensory_mu", sensory_mu, (m, n), sens)
        self.sensory_sigma = _param("sensory_sigma", sensory_sigma, (m, n), sens)
        self.sensory_erev = _param("sensory_erev", sensory_erev, (m, n), sens)
        self.input_w = _param("input_w", input_w, (m,), chan)
        self.input_b = _param("input_b", input_b, (m,), chan)
        self.n_outputs = n if n_outputs is None else count("n_outputs", n_outputs, low=1,
                                                           high=n)
        out = lambda ix: f"output {ix[0]}"                       # noqa: E731
        self.output_w = _param("output_w", output_w, (self.n_outputs,), out)
        self.output_b = _param("output_b", output_b, (self.n_outputs,), out)
        self.ode_unfolds = count("ode_unfolds", ode_unfolds, low=1)
        self.epsilon = real_number("epsilon", epsilon, nonnegative=True)
        inp = as_input(input)
        try:
            block = encode(inp, m)
        except ValueError as exc:
            raise type(exc)(f"input: {exc} (channels are the network's {m} inputs)") from None
        self.input = inp
        params = (self.gleak, self.vleak, self.cm, self.w, self.mu, self.sigma, self.erev,
                  self.sensory_w, self.sensory_mu, self.sensory_sigma, self.sensory_erev,
                  self.input_w, self.input_b) + block
        ODESystem.__init__(self, _k.ltc_rhs, n, params=params, jac=_k.ltc_jac, name="LTC")
        self.n_inputs = m
        self._freeze()

    def run(self, inputs, v0=None, timespans=None):
        """ncps's fused semi-implicit step over an input sequence, in compiled code.

        Parameters
        ----------
        inputs : array_like (T, m)
            Raw inputs (the input mapping is applied here), a numpy array or torch tensor.
        v0 : array_like (n,), optional
            Initial state (default zeros, as ncps).
        timespans : float or array_like (T,), optional
            Elapsed time of each step (positive; default 1.0, ncps's regular sampling).

        Returns
        -------
        ndarray (T, n)
            Row ``k``: the state after step ``k`` (ncps's state sequence; :meth:`readout`
            gives its outputs).

        >>> ltc = LTC(w=[[0.0]], sensory_w=[[1.0]], gleak=0.0, ode_unfolds=1, epsilon=0.0)
        >>> ltc.run([[1.0]]).round(6)    # (1 * 0 + a * 1) / (1 + a), a = s(1) = 0.731059
        array([[0.422319]])
        """
        n, m = self.n_states, self.n_inputs
        X = real_array("inputs", _numpy(inputs), finite=False)
        if X.ndim != 2 or X.shape[1] != m:
            raise ValueError(f"inputs has shape {X.shape}, expected (T, {m}): one row per "
                             f"step, one column per input channel (n_inputs = {m})")
        bad = np.argwhere(~np.isfinite(X))
        if bad.size:
            k, q = (int(v) for v in bad[0])
            raise ValueError(f"inputs[{k}, {q}] = {float(X[k, q])!r} is not finite")
        T = X.shape[0]
        if timespans is None:
            el = np.ones(T)
        else:
            el = real_array("timespans", _numpy(timespans), finite=False)
            if el.ndim == 0:
                el = np.full(T, float(el))
            elif el.shape != (T,):
                raise ValueError(f"timespans has shape {el.shape}, expected a scalar or ({T},) "
                                 "(one elapsed time per input row)")
            bad = np.flatnonzero(~(np.isfinite(el) & (el > 0.0)))
            if bad.size:
                raise ValueError(f"timespans[{int(bad[0])}] = {float(el[bad[0]])!r} must be "
                                 "positive and finite")
        if v0 is None:
            v = np.zeros(n)
        else:
            v = real_array("v0", _numpy(v0), finite=False)
            if v.shape != (n,):
                raise ValueError(f"v0 has shape {v.shape}, expected ({n},)")
            bad = np.flatnonzero(~np.isfinite(v))
            if bad.size:
                raise ValueError(f"v0[{int(bad[0])}] = {float(v[bad[0]])!r} is not finite")
        out = np.empty((T, n))
        _k.ltc_fused_run(*self.params[:13], np.ascontiguousarray(X), np.ascontiguousarray(el),
                         self.ode_unfolds, self.epsilon, np.array(v, dtype=np.float64), out)
        return out

    def readout(self, states):
        """ncps's outputs of states ``(..., n)``: ``output_w * v[..., :n_outputs] + output_b``.

        >>> LTC(w=[[0.0]], sensory_w=[[1.0]], output_w=2.0).readout([[0.5]])
        array([[1.]])
        """
        v = real_array("states", _numpy(states))
        if v.ndim == 0 or v.shape[-1] != self.n_states:
            raise ValueError(f"states has shape {v.shape}, expected (..., {self.n_states})")
        return v[..., :self.n_outputs] * self.output_w + self.output_b

    def _discretize(self, dt, method):
        raise ValueError("an LTC network's discrete form is ncps's fused step, not a map "
                         "object: run it with LTC.run(inputs, timespans=dt) (ode_unfolds "
                         "sub-steps per step), or integrate the ODE with solvers.solve")

    @classmethod
    def from_ncps(cls, cell, *, input=0.0):
        """The LTC of an ``ncps.torch.LTCCell`` or ``ncps.torch.LTC`` (not ``mixed_memory``).

        Reads the effective parameters the cell computes with: softplus of ``w``,
        ``sensory_w``, ``cm`` and ``gleak`` when the cell has ``implicit_param_constraints``
        (as the ``LTC`` module has by default), the wiring's masks applied to the
        conductances, the input and output mappings ("affine", "linear" or none), the motor
        neurons, ``ode_unfolds`` and ``epsilon``. :meth:`run` then equals the cell's forward
        pass (to float32 rounding for a float32 cell; to float64 rounding for ``cell.double()``).
        """
        try:
            from ncps.torch import LTC as _NcpsLTC, LTCCell as _NcpsCell
        except ImportError as exc:
            raise ImportError("LTC.from_ncps needs the ncps package (pip install ncps) and "
                              "PyTorch: install the optional extra: pip install "
                              "'neurodyn[torch]'") from exc
        if isinstance(cell, _NcpsLTC):
            if cell.use_mixed:
                raise ValueError("ncps LTC with mixed_memory=True adds an LSTM memory cell in "
                                 "front of the LTC cell: that network is no LTC ODE; build it "
                                 "with mixed_memory=False")
            cell = cell.rnn_cell
        elif not isinstance(cell, _NcpsCell):
            raise InvalidTypeError(f"LTC.from_ncps needs an ncps.torch.LTCCell or "
                                   f"ncps.torch.LTC, got {type(cell).__name__}")
        P = {k: np.array(_numpy(v), dtype=np.float64) for k, v in cell._params.items()}
        pos = _softplus if cell._implicit_param_constraints else (lambda x: x)
        kw = dict(w=pos(P["w"]) * P["sparsity_mask"],
                  sensory_w=pos(P["sensory_w"]) * P["sensory_sparsity_mask"],
                  gleak=pos(P["gleak"]), vleak=P["vleak"], cm=pos(P["cm"]), mu=P["mu"],
                  sigma=P["sigma"], erev=P["erev"], sensory_mu=P["sensory_mu"],
                  sensory_sigma=P["sensory_sigma"], sensory_erev=P["sensory_erev"],
                  n_outputs=int(cell.motor_size), input=input,
                  ode_unfolds=int(cell._ode_unfolds), epsilon=float(cell._epsilon))
        for side in ("input", "output"):
            mapping = getattr(cell, f"_{side}_mapping")
            if mapping in ("affine", "linear"):
                kw[f"{side}_w"] = P[f"{side}_w"]
            if mapping == "affine":
                kw[f"{side}_b"] = P[f"{side}_b"]
        return cls(**kw)

    def to_torch(self, dtype=None):
        """An ``ncps.torch.LTCCell`` computing this network's fused step (needs ncps).

        The cell has ``implicit_param_constraints=False`` holding the effective parameters as
        they are (softplus would need its inverse, which loses digits), a wiring whose
        adjacency is where ``w`` / ``sensory_w`` are nonzero (ncps's ``sparsity_mask``; the
        signs of its adjacency do not matter, ``erev`` is set directly), affine input and
        output mappings, ``ode_unfolds`` and ``epsilon``. ``LTC.from_ncps(ltc.to_torch())``
        gives back equal arrays. ``dtype`` defaults to ``torch.float32`` when every parameter
        is exactly a float32 value, else ``torch.float64``. Example (needs ncps)::

            cell = LTC(w=[[0.5]], sensory_w=[[1.0]]).to_torch()
            outputs, state = cell(torch.ones(1, 1), torch.zeros(1, 1))   # one fused step
        """
        try:
            import torch
            from ncps.torch import LTCCell
            from ncps.wirings import Wiring
        except ImportError as exc:
            raise ImportError("LTC.to_torch builds an ncps.torch.LTCCell: it needs PyTorch and "
                              "ncps (pip install 'neurodyn[torch]' ncps)") from exc
        names = ("gleak", "vleak", "cm", "sigma", "mu", "w", "erev", "sensory_sigma",
                 "sensory_mu", "sensory_w", "sensory_erev", "input_w", "input_b", "output_w",
                 "output_b")
        values = {k: getattr(self, k) for k in names}
        if dtype is None:
            exact = all(np.array_equal(a.astype(np.float32).astype(np.float64), a)
                        for a in values.values())
            dtype = torch.float32 if exact else torch.float64
        wiring = Wiring(self.n_states)
        wiring.adjacency_matrix = (self.w != 0.0).astype(np.int32)
        wiring.set_input_dim(self.n_inputs)
        wiring.sensory_adjacency_matrix = (self.sensory_w != 0.0).astype(np.int32)
        wiring.set_output_dim(self.n_outputs)
        cell = LTCCell(wiring, input_mapping="affine", output_mapping="affine",
                       ode_unfolds=self.ode_unfolds, epsilon=self.epsilon,
                       implicit_param_constraints=False).to(dtype)
        values["sparsity_mask"] = wiring.adjacency_matrix
        values["sensory_sparsity_mask"] = wiring.sensory_adjacency_matrix
        with torch.no_grad():
            for k, v in values.items():
                cell._params[k].copy_(torch.as_tensor(np.array(v, dtype=np.float64),
                                                      dtype=dtype))
        return cell

    def __repr__(self):
        inp = repr(self.input)
        if len(inp) > 60:
            inp = f"{type(self.input).__name__}(...)"
        return (f"LTC(n={self.n_states}, n_inputs={self.n_inputs}, n_outputs={self.n_outputs}, "
                f"synapses={int(np.count_nonzero(self.w))}, ode_unfolds={self.ode_unfolds}, "
                f"input={inp})")
