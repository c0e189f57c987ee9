"""Backpropagation through time for a CTRNN, in PyTorch (the ``torch`` extra).

:func:`bptt` discretizes the CTRNN with :func:`neurodyn.discretize` (forward Euler, leak
``a = dt / tau``, or exponential Euler), trains the discrete map in torch by gradient descent
on a loss of a linear readout of its states, and hands back the trained network as a CTRNN,
with the readout and the loss history.

Two torch forms of the discrete map (as :meth:`neurodyn.DiscreteRNN.to_torch`):

* ``a = 1`` for every neuron (Euler with ``dt = tau``): ``torch.nn.RNN``, whose hidden state
  is ``r = tanh(g (h + theta))`` (sigmoid: ``tanh(g (h + theta) / 2)``). torch's trained
  weights are an Elman network, and the CTRNN that comes back is
  :meth:`neurodyn.CTRNN.from_elman` of it: tanh, gain 1, bias 0, ``W = W_hh``, constant input
  ``b_ih + b_hh``, ``tau = dt``, input weights ``W_ih``. Its state ``h' = g (h + theta)``
  (sigmoid: ``g (h + theta) / 2``) is the Elman network's pre-activation; the readout reads
  ``h'`` and :attr:`BPTTResult.h0` is the initial state in those coordinates.
* otherwise (or ``form="leaky"``, or when ``tau`` or ``gain`` is trained): a
  ``LeakyRNNModule``, ``h' = decay h + leak (W sigma(g (h + theta)) + U x + b)`` (the update of
  :meth:`neurodyn.DiscreteRNN.run`), whose state is the CTRNN's own ``h``; the CTRNN comes
  back in its own parametrisation (activation, gains and node names kept). A trained ``tau``
  is parametrised by ``log tau`` (so it stays positive), with ``a = dt / tau`` computed in
  torch exactly as :func:`neurodyn.discretize` computes it in NumPy.

Either way the returned CTRNN, discretized with the same ``dt`` and method and the returned
input weights, *is* the trained torch network (to rounding).
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from solvers._checks import InvalidTypeError, count, real_array, real_number, rng_from_seed

__all__ = ["bptt", "BPTTResult", "TRAINABLE"]

TRAINABLE = ("W", "input_weights", "input", "bias", "gain", "tau")
_TORCH_HINT = "install the optional extra: pip install 'neurodyn[torch]'"
_SUCCESS, _NON_FINITE, _INTERRUPTED = 0, -3, -7  # the status codes of solvers.Solution


class BPTTResult:
    """What :func:`bptt` returns.

    Attributes
    ----------
    model : CTRNN
        The trained network (see the module docstring for its coordinates in the Elman form).
    input_weights : ndarray (n, m)
        ``U``: the CTRNN's drive is ``I(t) = U x(t) + b`` (``b``: ``model.input``).
    readout : (C, d) or None
        ``z = C h + d`` (``C`` shape ``(p, n)``); ``None`` with ``readout="states"``.
    h0 : ndarray (n,)
        The initial state of ``model`` used in training.
    loss : ndarray
        ``loss[k]``: the loss after ``k`` updates; ``loss[-1]`` is the returned network's.
    epochs : int
        Updates done (``len(loss) - 1``).
    status, message, success
        ``0``: all epochs done; ``-3``: the loss became non-finite (the parameters of the
        last finite loss are returned); ``-7``: interrupted (KeyboardInterrupt), the
        parameters of the last evaluated loss returned.
    dt, method, form
        The discretization and the torch form (``"elman"`` or ``"leaky"``).
    module : torch.nn.Module
        The trained torch network (``torch.nn.RNN`` or ``LeakyRNNModule``), float64.

    Example
    -------
    >>> from neurodyn import CTRNN
    >>> try:  # the torch extra
    ...     res = bptt(CTRNN(np.eye(2)), np.ones((5, 2)), np.zeros((5, 1)), dt=0.5, epochs=0)
    ...     shapes = res.predict(np.ones((5, 2))).shape, res.loss.shape, res.status
    ... except ImportError:
    ...     shapes = (5, 1), (1,), 0
    >>> shapes
    ((5, 1), (1,), 0)
    """

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.success = self.status >= 0

    def discrete(self):
        """The trained network's discrete map: ``discretize(model, dt, method,
        input_weights=U)``."""
        from ..discretize import discretize

        return discretize(self.model, self.dt, self.method, input_weights=self.input_weights)

    def predict(self, inputs, h0=None):
        """The readout over an input sequence ``(T, m)`` (or a batch ``(B, T, m)``), computed
        by :meth:`discrete`'s compiled ``run`` from ``h0`` (default :attr:`h0`)."""
        rnn = self.discrete()
        X = _sequences(inputs, self.input_weights.shape[1], "inputs")
        h0 = self.h0 if h0 is None else h0
        H = np.stack([rnn.run(x, h0) for x in X])
        Z = H if self.readout is None else H @ self.readout[0].T + self.readout[1]
        return Z if np.ndim(inputs) == 3 else Z[0]

    def __repr__(self):
        last = f"{self.loss[-1]:.4g}" if len(self.loss) else "none"
        return (f"BPTTResult(status={self.status}, epochs={self.epochs}, loss {last}, "
                f"form={self.form!r}, model={self.model!r})")


def _sequences(value, width, name):
    """A float64 (B, T, width) array from (T,), (T, width) or (B, T, width); ``width=None``:
    whatever the last axis holds (1 for a 1-d array)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    X = real_array(name, value, finite=False)
    if width is None:
        width = X.shape[-1] if X.ndim >= 2 else 1
    if X.ndim == 1 and width == 1:
        X = X[:, None]
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3 or X.shape[2] != width or X.shape[1] < 1:
        raise ValueError(f"{name} has shape {np.shape(value)}, expected (T, {width}) or "
                         f"(B, T, {width}) with T >= 1")
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        s, k, q = (int(v) for v in bad[0])
        where = f"step {k}, channel {q}" + (f" of sequence {s}" if X.shape[0] > 1 else "")
        raise ValueError(f"{name} has a non-finite value {float(X[s, k, q])!r} at {where}")
    return np.ascontiguousarray(X, dtype=np.float64)


def _train_set(train):
    if isinstance(train, str) or not hasattr(train, "__iter__"):
        raise InvalidTypeError(f"train must be a sequence of parameter names such as "
                               f"('W', 'tau'), got {train!r}")
    names = tuple(train)
    for name in names:
        if name not in TRAINABLE:
            raise ValueError(f"train: unknown parameter {name!r}; known: "
                             f"{', '.join(map(repr, TRAINABLE))}")
    return set(names)


def bptt(model, inputs, targets, *, dt, epochs, method="euler", optimizer="adam", lr=1e-2,
         readout="linear", loss="mse", train=("W", "input_weights", "input", "bias"),
         input_weights=None, h0=None, washout=0, clip=None, form="auto", seed=None):
    """Train a CTRNN by backpropagation through time in PyTorch (float64).

    The CTRNN is discretized with step ``dt`` (:func:`neurodyn.discretize`), run over the input
    sequence(s) in torch, read out by ``z = C h + d`` (or the states themselves), and the
    trainable parameters descend the gradient of the loss. See the module docstring for the
    two torch forms.

    Parameters
    ----------
    model : CTRNN
        Dense or sparse (a sparse network trains its existing connections only and comes back
        sparse), with a constant input ``b`` (a time-varying input is the ``inputs``).
    inputs : array_like, (T, m) or (B, T, m)
        ``x[k]``, read through the input weights ``U``: the drive is ``U x[k] + b``.
    targets : array_like, (T, p) or (B, T, p)
        ``targets[k]`` is compared with the readout of ``h[k+1]``, the state after reading
        ``x[k]`` (``DiscreteRNN.run``'s row ``k``).
    dt : float
        The step; ``a = dt / tau`` (Euler). ``dt = tau`` for every neuron is the Elman case.
    epochs : int
        Gradient updates (one per epoch, over the whole batch).
    method : {"euler", "exponential"}
    optimizer : {"adam", "sgd"} or callable
        A callable gets the list of parameters and returns a ``torch.optim.Optimizer``.
    lr : float
        Learning rate of ``"adam"`` / ``"sgd"``.
    readout : {"linear", "states"}
        ``"linear"``: a trained ``z = C h + d``, ``C`` initialised uniform in
        ``(-1/sqrt(n), 1/sqrt(n))`` (as ``torch.nn.Linear``), ``d = 0``. ``"states"``: the
        states are the output (``p = n``).
    loss : "mse" or callable
        ``loss(z, target)`` on torch tensors of shape ``(T - washout, B, p)``, returning a
        scalar tensor. ``"mse"``: the mean of the squared errors.
    train : sequence of str
        Which of ``"W"``, ``"input_weights"`` (``U``), ``"input"`` (``b``), ``"bias"``
        (``theta``), ``"gain"``, ``"tau"`` are trained (the readout always is).
    input_weights : array_like (n, m), optional
        Initial ``U``. Default: the identity when ``m = n``, else normal with variance
        ``1/m`` drawn from ``seed``.
    h0 : array_like (n,), optional
        Initial state (default zeros), not trained.
    washout : int
        Steps at the start of each sequence left out of the loss.
    clip : float, optional
        Clip the gradient's norm to this value before each update.
    form : {"auto", "elman", "leaky"}
        The torch form; ``"auto"``: ``"elman"`` (``torch.nn.RNN``) when every ``a = 1`` and
        neither ``tau`` nor ``gain`` is trained, else ``"leaky"``.
    seed : int, optional
        Seeds the initial readout and input weights (NumPy); training itself draws nothing.

    Returns
    -------
    BPTTResult
        ``model`` (the trained CTRNN), ``input_weights``, ``readout``, ``h0``, ``loss``,
        ``status``/``message``, ``module`` (the trained torch network).

    Example
    -------
    Four neurons learning a sine from a constant input:

    >>> from neurodyn import CTRNN
    >>> net = CTRNN(np.zeros((4, 4)), tau=1.0, activation="tanh")
    >>> t = 0.2 * np.arange(1, 51)
    >>> try:  # the torch extra
    ...     res = bptt(net, np.ones((50, 1)), np.sin(t)[:, None], dt=0.2, epochs=20, seed=0)
    ...     fell = bool(res.loss[-1] < res.loss[0]) and res.model.n_states == 4
    ... except ImportError:
    ...     fell = True
    >>> fell
    True
    """
    from ..ctrnn import CTRNN
    from ..discretize import discretize

    if not isinstance(model, CTRNN):
        raise InvalidTypeError(f"bptt trains a neurodyn CTRNN, got {type(model).__name__}")
    epochs = count("epochs", epochs)
    lr = real_number("lr", lr, positive=True)
    trained = _train_set(train)
    n = model.n_states
    X = _sequences(inputs, None, "inputs")
    B, T, m = X.shape
    if not isinstance(readout, str) or readout not in ("linear", "states"):
        raise ValueError(f"unknown readout {readout!r}; known: 'linear', 'states'")
    Y = _sequences(targets, None if readout == "linear" else n, "targets" if readout == "linear"
                   else f"targets (readout='states': one column per neuron, {n})")
    p = Y.shape[2]
    if Y.shape[:2] != (B, T):
        raise ValueError(f"targets has shape {np.shape(targets)}, expected {B} sequence(s) of "
                         f"{T} steps like inputs {np.shape(inputs)}")
    washout = count("washout", washout, high=T - 1)
    if clip is not None:
        clip = real_number("clip", clip, positive=True)
    mse = isinstance(loss, str) and loss == "mse"
    if not (mse or callable(loss)):
        raise ValueError(f"loss must be 'mse' or a callable loss(z, target), got {loss!r}")
    named_opt = isinstance(optimizer, str) and optimizer in ("adam", "sgd")
    if not (named_opt or callable(optimizer)):
        raise ValueError(f"unknown optimizer {optimizer!r}; known: 'adam', 'sgd', or a "
                         "callable params -> torch.optim.Optimizer")
    if not isinstance(form, str) or form not in ("auto", "elman", "leaky"):
        raise ValueError(f"unknown form {form!r}; known: 'auto', 'elman', 'leaky'")
    if readout == "states" and not trained:
        raise ValueError("nothing to train: train=() and readout='states' (no readout)")
    rng = rng_from_seed("seed", seed)
    if input_weights is None:
        U = np.eye(n) if m == n else rng.normal(scale=1.0 / math.sqrt(m), size=(n, m))
    else:
        U = input_weights
    rnn = discretize(model, dt, method, input_weights=U)
    U = np.eye(n) if rnn.U is None else np.array(rnn.U)
    if h0 is None:
        h0 = np.zeros(n)
    else:
        h0 = real_array("h0", h0)
        if h0.shape != (n,):
            raise ValueError(f"h0 has shape {h0.shape}, expected ({n},)")
    elman_ok = bool(np.all(rnn.leak == 1.0)) and not trained & {"tau", "gain"}
    if form == "elman" and not elman_ok:
        why = ("tau or gain is trained" if trained & {"tau", "gain"} else
               "some neuron's leak dt / tau is not 1")
        raise ValueError(f"form='elman' needs a = dt / tau = 1 for every neuron and neither "
                         f"tau nor gain trained ({why}); use form='leaky'")
    form = "elman" if form == "auto" and elman_ok else ("leaky" if form == "auto" else form)
    C0 = None
    if readout == "linear":
        C0 = rng.uniform(-1.0, 1.0, size=(p, n)) / math.sqrt(n)

    try:
        import torch
    except ImportError as exc:
        raise ImportError(f"bptt needs PyTorch: {_TORCH_HINT}") from exc
    net = _Net(torch, model, rnn, form, trained, h0, C0, p, dt, method)
    X_t = torch.from_numpy(X.transpose(1, 0, 2).copy())   # time first, as torch.nn.RNN
    Y_t = torch.from_numpy(Y.transpose(1, 0, 2).copy())[washout:]
    params = [q for q in net.params if q.requires_grad]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr)
    else:
        opt = optimizer(params)

    def objective():
        Z = net.forward(X_t)[washout:]
        return torch.mean((Z - Y_t) ** 2) if mse else loss(Z, Y_t)

    losses, status, message = _descend(torch, params, opt, objective, epochs, clip)
    out = net.result(torch)
    return BPTTResult(loss=np.array(losses), epochs=len(losses) - 1, status=status,
                      message=message, dt=rnn.dt, method=method, form=form, **out)


def _descend(torch, params, opt, objective, epochs, clip):
    """The training loop: ``(losses, status, message)``, ``losses[k]`` after ``k`` updates.

    On a non-finite loss or a KeyboardInterrupt the parameters go back to the last snapshot:
    those of the last loss recorded. The snapshot and its loss are one tuple, bound in one
    assignment, so an interruption anywhere leaves them consistent.
    """
    snap = ([q.detach().clone() for q in params], 0, None)   # (parameters, updates, loss)
    losses, status, message = [], _SUCCESS, f"{epochs} epochs done."
    try:
        for k in range(epochs + 1):
            opt.zero_grad()
            with torch.set_grad_enabled(k < epochs):
                L = objective()
            value = float(L.detach())
            if not math.isfinite(value):
                status = _NON_FINITE
                message = (f"The loss became non-finite ({value!r}) after {k} updates; the "
                           f"parameters after {max(k - 1, 0)} updates (the last finite loss) "
                           "are returned.")
                break
            snap = ([q.detach().clone() for q in params], k, value)
            losses.append(value)
            if k == epochs:
                break
            L.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(params, clip)
            opt.step()
    except KeyboardInterrupt:
        status = _INTERRUPTED
        message = (f"Interrupted (KeyboardInterrupt) after {snap[1]} updates; the parameters "
                   "of the last evaluated loss are returned.")
    if status != _SUCCESS:
        saved, k, value = snap
        with torch.no_grad():
            for q, s in zip(params, saved):
                q.copy_(s)
            # Stopped before any loss was recorded: report the initial parameters' loss.
            value = float(objective()) if value is None else value
        losses = losses[:k] + [value]
    return losses, status, message


class _Net:
    """The torch network being trained: the core module (``torch.nn.RNN`` or
    ``LeakyRNNModule``), log tau when trained, and the readout."""

    def __init__(self, torch, model, rnn, form, trained, h0, C0, p, dt, method):
        self.torch, self.model, self.form, self.dt, self.method = torch, model, form, dt, method
        f64 = torch.float64
        mod = rnn.to_torch(form=form)
        self.mod = mod
        if form == "elman":
            z = rnn.gain * (h0 + rnn.theta)
            self.h0 = z if rnn.activation == "tanh" else 0.5 * z   # h' = atanh(elman_state)
            self.W = mod.weight_hh_l0
            flags = {mod.weight_hh_l0: "W", mod.weight_ih_l0: "input_weights",
                     mod.bias_ih_l0: "input"}
            mod.bias_hh_l0.requires_grad_(False)  # b_ih + b_hh: one of them is enough
            for q, name in flags.items():
                q.requires_grad_(name in trained or (name == "input" and "bias" in trained))
        else:
            self.h0 = np.array(h0, dtype=np.float64)
            self.W = mod.weight_hh
            for q, name in ((mod.weight_hh, "W"), (mod.weight_ih, "input_weights"),
                            (mod.bias, "input"), (mod.theta, "bias"), (mod.gain, "gain")):
                q.requires_grad_(name in trained)
        self.params = [q for q in mod.parameters()]
        self.log_tau = self.hook = None
        if "tau" in trained:
            self.log_tau = torch.nn.Parameter(torch.log(torch.from_numpy(np.array(model.tau))))
            self.params.append(self.log_tau)
        if model.sparse and self.W.requires_grad:
            # Train the existing connections only: a zero gradient leaves an absent weight at
            # zero under SGD and Adam alike.
            coo = model.W.tocoo()
            mask = torch.zeros((model.n_states,) * 2, dtype=f64)
            mask[torch.from_numpy(coo.row.astype(np.int64)),
                 torch.from_numpy(coo.col.astype(np.int64))] = 1.0
            self.hook = self.W.register_hook(lambda g: g * mask)
        self.C = self.d = None
        if C0 is not None:
            self.C = torch.nn.Parameter(torch.from_numpy(C0))
            self.d = torch.nn.Parameter(torch.zeros(p, dtype=f64))
            self.params += [self.C, self.d]
        self.h0_t = torch.from_numpy(self.h0)

    def leak_decay(self):
        """``(leak, decay)`` from the trained tau, as ``discretize`` computes them."""
        torch = self.torch
        r = self.dt / torch.exp(self.log_tau)
        if self.method == "euler":
            return r, 1.0 - r
        return -torch.expm1(-r), torch.exp(-r)

    def forward(self, X):
        """Readout of the states ``h[1..T]`` for inputs ``X`` (T, B, m): shape (T, B, p)."""
        torch, mod = self.torch, self.mod
        B = X.shape[1]
        if self.form == "elman":
            r0 = torch.tanh(self.h0_t).expand(1, B, -1).contiguous()
            R, _ = mod(X, r0)
            R_prev = torch.cat([r0, R[:-1]])
            # The state of the from_elman CTRNN: the Elman network's pre-activation.
            H = (R_prev @ mod.weight_hh_l0.T + X @ mod.weight_ih_l0.T + mod.bias_ih_l0
                 + mod.bias_hh_l0)
        else:
            leak, decay = (None, None) if self.log_tau is None else self.leak_decay()
            h = self.h0_t.expand(B, -1)
            states = []
            for k in range(X.shape[0]):
                h = mod.step(X[k], h, leak, decay)
                states.append(h)
            H = torch.stack(states)
        return H if self.C is None else H @ self.C.T + self.d

    def result(self, torch):
        """The trained CTRNN, input weights and readout (NumPy float64)."""
        from ..ctrnn import CTRNN

        def a(t):
            return t.detach().cpu().numpy().astype(np.float64, copy=True)

        mod, model = self.mod, self.model
        if self.hook is not None:  # the caller's module gets no hook (it would not pickle)
            self.hook.remove()
        if self.form == "elman":
            W, U = a(mod.weight_hh_l0), a(mod.weight_ih_l0)
            b = a(mod.bias_ih_l0) + a(mod.bias_hh_l0)
            net = CTRNN.from_elman(U, W, b, tau=self.dt, nodes=model.nodes)
            if model.sparse:
                net = net.replace(W=sp.csr_matrix(W))
        else:
            W, U = a(mod.weight_hh), a(mod.weight_ih)
            tau = model.tau
            if self.log_tau is not None:
                tau = a(torch.exp(self.log_tau.detach()))
                leak, decay = self.leak_decay()
                with torch.no_grad():
                    mod.leak.copy_(leak)
                    mod.decay.copy_(decay)
            net = model.replace(W=sp.csr_matrix(W) if model.sparse else W, tau=tau,
                                bias=a(mod.theta), gain=a(mod.gain), input=a(mod.bias))
        readout = None if self.C is None else (a(self.C), a(self.d))
        return dict(model=net, input_weights=U, readout=readout, h0=self.h0.copy(), module=mod)
