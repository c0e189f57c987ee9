"""Discretization of continuous-time models into discrete-time ones: a CTRNN into a standard
(leaky / Elman) discrete-time RNN, a continuous-time ESN into the leaky ESN, and the continuous
forms of ``neurodyn.cells`` into their maps (:func:`discretize` dispatches to each model's
``_discretize`` hook).

A CTRNN ``tau_i dh_i/dt = -h_i + sum_j W[i, j] sigma(g_j (h_j + theta_j)) + I_i(t)`` stepped
with step ``dt`` becomes the leaky RNN

    h[k+1] = (1 - a) * h[k] + a * (W sigma(g * (h[k] + theta)) + U x[k] + b)

with one leak ``a_i`` per neuron:

* ``method="euler"`` (forward Euler): ``a = dt / tau``;
* ``method="exponential"`` (exponential Euler: the linear decay ``-h/tau`` is integrated
  exactly, the recurrent drive and the input are held over the step): ``a = 1 - exp(-dt/tau)``.

Both are first order in ``dt``; exponential Euler is exact when ``W = 0`` and the input is
constant over each step, and stays stable for any ``dt`` (``0 < a < 1``).

**Inputs.** A CTRNN's input ``I(t)`` is one drive per neuron. The discrete RNN reads an input
sequence ``x[k]`` of ``m`` channels through an input matrix ``U`` (shape ``(n, m)``) plus a
constant bias ``b``: ``I(t_k) = U x[k] + b``. ``discretize`` takes ``U`` as ``input_weights=``
(default: the identity, ``m = n``, so ``x[k]`` is an extra per-neuron drive) and ``b`` from the
model's constant input. A time-varying model input (``Sampled``, ``Sinusoid``) is refused:
sample it and pass it as ``x`` instead. This is the zero-order hold: the input at ``t_k = k dt``
is held over the step, as for a ``Sampled(..., interp="zoh")`` input on the same grid.

**Exactly an Elman network when dt = tau.** With ``a = 1`` for every neuron (Euler with
``dt = tau_i`` for all ``i``) the map is ``h[k+1] = W sigma(g (h[k] + theta)) + U x[k] + b``.
The change of variables that makes it an Elman network (``torch.nn.RNN``,
``r' = tanh(W_hh r + W_ih x + b_ih + b_hh)``) is the neuron's *output*:

* tanh activation: ``r[k] = tanh(g (h[k] + theta))``. Then
  ``r[k+1] = tanh(g (W r[k] + U x[k] + b + theta))``, i.e.
  ``W_hh = diag(g) W``, ``W_ih = diag(g) U``, ``b_ih = g (b + theta)``, ``b_hh = 0``.
* sigmoid activation: ``sigma(z) = (1 + tanh(z/2)) / 2``, so with
  ``r[k] = tanh(g (h[k] + theta) / 2) = 2 sigma(g (h[k] + theta)) - 1`` one has
  ``W sigma = (W/2) r + W 1/2`` and ``W_hh = diag(g/2) W / 2``, ``W_ih = diag(g/2) U``,
  ``b_ih = (g/2) (W 1/2 + b + theta)``, ``b_hh = 0``.

Every gain (zero included) is expressible. The torch network's hidden state is ``r``
(:meth:`DiscreteRNN.elman_state` maps ``h`` to it); ``h`` is recovered from the torch outputs
as ``h[k+1] = W sigma[k] + U x[k] + b``. With ``a != 1`` there is no exact Elman form (torch's
RNN has no leak term): :meth:`DiscreteRNN.to_torch` then gives a ``LeakyRNNModule``, the
leaky map itself written in torch (its state is ``h``), and :meth:`DiscreteRNN.from_torch`
reads either module back. :meth:`DiscreteRNN.continuous` is the CTRNN again
(``tau = dt / a``), and :func:`neurodyn.train.bptt` trains the CTRNN through these modules.

Example
-------
>>> import numpy as np
>>> from neurodyn import CTRNN
>>> net = CTRNN([[4.5, 1.0], [-1.0, 4.5]], bias=[-2.75, -1.75], tau=[1.0, 2.0])
>>> rnn = discretize(net, 0.1)
>>> rnn.leak
array([0.1 , 0.05])
>>> rnn.run(np.zeros((3, 2))).shape
(3, 2)
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

from solvers._checks import real_array, real_number

from ._kernels_ctrnn import ACTIVATIONS, _act
from ._model import FrozenModel, check_node_names
from .ctrnn import _check_sparse_dtype, _frozen, _vector

__all__ = ["discretize", "DiscreteRNN", "METHODS"]

METHODS = ("euler", "exponential")
_TORCH_HINT = "install the optional extra: pip install 'neurodyn[torch]'"


# ---------------------------------------------------------------------------------------------
# Compiled loops. Module level with cache=True and the activation imported by name, so they are
# compiled once (per storage) and loaded from Numba's disk cache in a new process. Both loop
# over *sources* j and scatter W[:, j] * s_j along a contiguous row of W.T (as the CTRNN
# kernels do): no strided access, and dense and sparse storage add in the same order.

@njit(cache=True)
def _step_rest(k, X, UT, u_eye, b, keep, leak, h, z, out):
    n = h.shape[0]
    if u_eye:
        for i in range(n):
            z[i] += X[k, i]
    else:
        for q in range(X.shape[1]):
            xq = X[k, q]
            for i in range(n):
                z[i] += UT[q, i] * xq
    for i in range(n):
        # keep = 1 - a (exp(-dt/tau) for exponential Euler, computed without cancellation);
        # with a = 1 this is 0 * h + z = z exactly, which the Elman export relies on.
        h[i] = keep[i] * h[i] + leak[i] * z[i]
        out[k, i] = h[i]


@njit(cache=True)
def _run_dense(WT, UT, u_eye, b, keep, leak, gain, theta, act, X, h0, out):
    n = h0.shape[0]
    h = h0.copy()
    s = np.empty(n)
    z = np.empty(n)
    for k in range(X.shape[0]):
        for j in range(n):
            s[j] = _act(act, gain[j] * (h[j] + theta[j]))
        for i in range(n):
            z[i] = b[i]
        for j in range(n):
            sj = s[j]
            for i in range(n):
                z[i] += WT[j, i] * sj
        _step_rest(k, X, UT, u_eye, b, keep, leak, h, z, out)


@njit(cache=True)
def _run_sparse(indptr, indices, data, UT, u_eye, b, keep, leak, gain, theta, act, X, h0, out):
    n = h0.shape[0]
    h = h0.copy()
    s = np.empty(n)
    z = np.empty(n)
    for k in range(X.shape[0]):
        for j in range(n):
            s[j] = _act(act, gain[j] * (h[j] + theta[j]))
        for i in range(n):
            z[i] = b[i]
        for j in range(n):
            sj = s[j]
            for q in range(indptr[j], indptr[j + 1]):
                z[indices[q]] += data[q] * sj
        _step_rest(k, X, UT, u_eye, b, keep, leak, h, z, out)


# ---------------------------------------------------------------------------------------------

def _matrix(value, name, shape=None):
    if hasattr(value, "detach"):  # a torch tensor (possibly requiring grad)
        value = value.detach().cpu().numpy()
    arr = real_array(name, value, finite=False)
    if arr.ndim != 2 or (shape is not None and arr.shape != shape):
        want = f"shape {shape}" if shape is not None else "a 2-d array"
        raise ValueError(f"{name} has shape {arr.shape}, expected {want}")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        i, j = (int(x) for x in bad[0])
        raise ValueError(f"{name}[{i}, {j}] = {float(arr[i, j])!r} is not finite")
    return arr


def _positive_dt(dt):
    return real_number("dt", dt, positive=True)


class DiscreteRNN(FrozenModel):
    """A leaky discrete-time RNN ``h[k+1] = (1-a) h[k] + a (W sigma(g (h[k]+theta)) + U x[k] + b)``.

    Usually made by :func:`discretize`; may also be built directly.

    Parameters
    ----------
    W : array_like (n, n) or scipy.sparse matrix
        Recurrent weights, ``W[i, j]`` from neuron ``j`` to neuron ``i``.
    U : array_like (n, m) or None
        Input weights; ``None`` is the identity (``m = n``).
    b : float or array_like (n,)
        Constant input (bias added after the weights).
    leak : float or array_like (n,)
        ``a``, positive (``a > 1`` is allowed: Euler with ``dt > tau`` overshoots).
    gain, theta : float or array_like (n,)
        ``g`` and ``theta`` inside the activation (a CTRNN's ``gain`` and ``bias``).
    activation : {"sigmoid", "tanh"}
    nodes : list, optional
    decay : float or array_like (n,), optional
        ``1 - a``; given by :func:`discretize` as ``exp(-dt/tau)`` for exponential Euler so it
        carries no cancellation error. Default ``1 - leak``.
    dt, method : optional
        Recorded by :func:`discretize` (``None`` when built directly).

    Example
    -------
    >>> rnn = DiscreteRNN([[0.0, 1.0], [-1.0, 0.0]], activation="tanh")
    >>> rnn.run([[1.0, 0.0], [0.0, 0.0]], h0=[0.0, 0.0]).round(4)
    array([[ 1.    ,  0.    ],
           [ 0.    , -0.7616]])
    """

    _ctor_args = ("W", "U", "b", "leak", "gain", "theta", "activation", "nodes", "decay",
                  "dt", "method")

    def __init__(self, W, U=None, b=0.0, leak=1.0, gain=1.0, theta=0.0, activation="tanh",
                 nodes=None, decay=None, dt=None, method=None):
        if sp.issparse(W):
            if W.ndim != 2 or W.shape[0] != W.shape[1]:
                raise ValueError(f"W must be square: expected shape (n, n), got {W.shape}")
            _check_sparse_dtype(W)
            csc = sp.csc_matrix(W, dtype=np.float64, copy=True)
            csc.sum_duplicates()
            csc.eliminate_zeros()
            csc.sort_indices()
            bad = np.flatnonzero(~np.isfinite(csc.data))
            if bad.size:
                raise ValueError(f"W has a non-finite entry {float(csc.data[bad[0]])!r}")
            n = W.shape[0]
            self.W = csc.tocsr()
            for a in (self.W.data, self.W.indices, self.W.indptr):
                a.flags.writeable = False
            self._store = ("sparse", _frozen(csc.indptr, np.int64),
                           _frozen(csc.indices, np.int64), _frozen(csc.data))
        else:
            Wd = _matrix(W, "W")
            if Wd.shape[0] != Wd.shape[1]:
                raise ValueError(f"W must be square: expected shape (n, n), got {Wd.shape}")
            n = Wd.shape[0]
            WT = _frozen(Wd.T)
            self.W = WT.T
            self._store = ("dense", WT)
        if n < 1:
            raise ValueError("W is empty: a DiscreteRNN needs at least one neuron")
        if U is None:
            self.U = None
            self._UT = _frozen(np.zeros((1, 1)))
            self.n_inputs = n
        else:
            Ud = _matrix(U, "U (input weights)")
            if Ud.shape[0] != n:
                raise ValueError(f"U (input weights) has shape {Ud.shape}, expected ({n}, m): "
                                 f"one row per neuron")
            UT = _frozen(Ud.T)
            self.U = UT.T
            self._UT = UT
            self.n_inputs = Ud.shape[1]
        if activation not in ACTIVATIONS:
            known = ", ".join(repr(a) for a in ACTIVATIONS)
            raise ValueError(f"unknown activation {activation!r}; known: {known}")
        self.n_states = n
        self.nodes = check_node_names(nodes, n, per="row of W")
        self.b = _vector(b, n, "b", self.nodes)
        self.leak = _vector(leak, n, "leak", self.nodes, positive=True)
        self.decay = _frozen(1.0 - self.leak) if decay is None else _vector(decay, n, "decay", self.nodes)
        self.gain = _vector(gain, n, "gain", self.nodes)
        self.theta = _vector(theta, n, "theta", self.nodes)
        self.activation = activation
        self.dt = dt
        self.method = method
        self._freeze()

    @property
    def sparse(self):
        return self._store[0] == "sparse"

    def run(self, inputs, h0=None):
        """Iterate the map over an input sequence, in compiled code.

        Parameters
        ----------
        inputs : array_like, shape (T, m)
            ``x[0], ..., x[T-1]``, ``m = n_inputs``.
        h0 : array_like, shape (n,), optional
            Initial state (default zeros).

        Returns
        -------
        ndarray, shape (T, n)
            Row ``k`` is ``h[k+1]``, the state after reading ``x[k]`` (the convention of
            ``torch.nn.RNN``'s output; ``h0`` is not repeated).

        >>> rnn = DiscreteRNN(np.zeros((1, 1)), leak=0.5, b=1.0)
        >>> rnn.run(np.zeros((3, 1))).ravel()
        array([0.5  , 0.75 , 0.875])
        """
        n, m = self.n_states, self.n_inputs
        if hasattr(inputs, "detach"):
            inputs = inputs.detach().cpu().numpy()
        X = np.ascontiguousarray(real_array("inputs", inputs, finite=False))
        if X.ndim != 2 or X.shape[1] != m:
            raise ValueError(f"inputs has shape {X.shape}, expected (T, {m}): one row per "
                             f"step, one column per input channel (n_inputs = {m})")
        bad = np.argwhere(~np.isfinite(X))
        if bad.size:
            k, q = (int(v) for v in bad[0])
            raise ValueError(f"inputs[{k}, {q}] = {float(X[k, q])!r} is not finite")
        if h0 is None:
            h = np.zeros(n)
        else:
            h = np.array(real_array("h0", h0, finite=False), dtype=np.float64)
            if h.shape != (n,):
                raise ValueError(f"h0 has shape {h.shape}, expected ({n},)")
            if not np.isfinite(h).all():
                i = int(np.flatnonzero(~np.isfinite(h))[0])
                raise ValueError(f"h0[{i}] = {float(h[i])!r} is not finite")
        out = np.empty((X.shape[0], n))
        common = (self._UT, self.U is None, self.b, self.decay, self.leak, self.gain,
                  self.theta, ACTIVATIONS[self.activation], X, h, out)
        if self.sparse:
            _run_sparse(*self._store[1:], *common)
        else:
            _run_dense(self._store[1], *common)
        return out

    def _dense_W(self):
        return self.W.toarray() if self.sparse else np.array(self.W)

    def elman_state(self, h):
        """The hidden state of the exported Elman network for state(s) ``h``.

        ``tanh(g (h + theta))`` for tanh, ``tanh(g (h + theta) / 2) = 2 sigma(...) - 1`` for
        sigmoid; works on any array whose last axis is the neuron axis.

        >>> DiscreteRNN(np.zeros((1, 1)), activation="sigmoid").elman_state([0.0])
        array([0.])
        """
        z = self.gain * (np.asarray(h, dtype=np.float64) + self.theta)
        return np.tanh(z if self.activation == "tanh" else 0.5 * z)

    def elman_weights(self):
        """``(W_ih, W_hh, b_ih, b_hh)`` of the exactly equivalent Elman network (needs a = 1).

        See the module docstring for the change of variables. Raises ValueError where no
        Elman form is exact.

        >>> W_ih, W_hh, b_ih, b_hh = DiscreteRNN([[2.0]], gain=0.5).elman_weights()
        >>> W_hh, b_hh
        (array([[1.]]), array([0.]))
        """
        not_one = np.flatnonzero(self.leak != 1.0)
        if not_one.size:
            i = int(not_one[0])
            why = (f"neuron {self.nodes[i]!r} has leak a = {float(self.leak[i])!r}: "
                   "torch.nn.RNN has no leak term, so h[k+1] = (1-a) h[k] + a (...) has an exact "
                   "Elman form only when a = 1 for every neuron")
            if self.method == "exponential":
                why += ("; exponential Euler has a = 1 - exp(-dt/tau) < 1 for every finite dt, "
                        "use method='euler' with dt = tau")
            elif self.method == "euler":
                why += "; discretize with method='euler' and dt equal to every neuron's tau"
            raise ValueError(f"no exact Elman form: {why}")
        W = self._dense_W()
        U = np.eye(self.n_states) if self.U is None else np.array(self.U)
        g = np.array(self.gain)
        c = self.b + self.theta
        if self.activation == "sigmoid":
            g = 0.5 * g
            W_hh = (g * 0.5)[:, None] * W
            c = c + 0.5 * W.sum(axis=1)
        else:
            W_hh = g[:, None] * W
        return g[:, None] * U, W_hh, g * c, np.zeros(self.n_states)

    def to_torch(self, dtype=None, *, form="auto"):
        """This map as a torch module (``dtype`` default ``torch.float64``).

        ``form="elman"``: an exactly equivalent ``torch.nn.RNN`` (tanh, one layer,
        ``batch_first=False``); needs leak ``a = 1`` for every neuron (Euler with
        ``dt = tau``), else raises a ValueError saying why. Its hidden state is
        :meth:`elman_state` of ours: ``rnn(X, elman_state(h0)[None])[0]`` equals
        ``elman_state(run(X, h0))``. ``form="leaky"``: a ``LeakyRNNModule`` (see
        ``neurodyn._leaky_torch``), this very update in torch for any leak, with state ``h``
        itself: ``module(X, h0)[0]`` equals ``run(X, h0)``. ``form="auto"`` (default): Elman
        when every ``a = 1``, else leaky.

        >>> rnn = DiscreteRNN([[0.0, 1.0], [-1.0, 0.0]], leak=0.5, b=[0.5, 0.0])
        >>> X = np.ones((3, 2))
        >>> try:  # the torch extra
        ...     import torch
        ...     same = np.allclose(rnn.to_torch()(torch.from_numpy(X))[0].detach(), rnn.run(X))
        ... except ImportError:
        ...     same = True
        >>> bool(same)
        True
        """
        if form not in ("auto", "elman", "leaky"):
            raise ValueError(f"unknown form {form!r}; known: 'auto', 'elman', 'leaky'")
        if form == "auto":
            form = "elman" if np.all(self.leak == 1.0) else "leaky"
        weights = self.elman_weights() if form == "elman" else None  # refuse before importing
        try:
            import torch
        except ImportError as exc:
            raise ImportError(f"DiscreteRNN.to_torch needs PyTorch: {_TORCH_HINT}") from exc
        from ._leaky_torch import elman_of, leaky_of

        dtype = torch.float64 if dtype is None else dtype
        return leaky_of(self, torch, dtype) if weights is None else elman_of(
            self, weights, torch, dtype)

    @classmethod
    def from_torch(cls, module, *, nodes=None, dt=None, method=None):
        """The DiscreteRNN of a module from :meth:`to_torch`: a ``LeakyRNNModule`` (or its
        ``state_dict``) exactly (an identity ``weight_ih`` as ``U = None``, the same map); a
        tanh ``torch.nn.RNN`` through :meth:`from_elman` (state ``r``, not the original
        ``h``). ``nodes``, ``dt`` and ``method`` are not stored in a module.

        >>> rnn = DiscreteRNN([[0.0, 1.0], [-1.0, 0.0]], leak=0.25, activation="sigmoid")
        >>> try:  # the torch extra
        ...     back = DiscreteRNN.from_torch(rnn.to_torch())
        ... except ImportError:
        ...     back = rnn
        >>> back.activation, back.leak, back.U is None
        ('sigmoid', array([0.25, 0.25]), True)
        """
        if hasattr(module, "weight_hh_l0"):
            if dt is not None or method is not None:
                raise ValueError("from_torch: a torch.nn.RNN (an Elman network, a = 1) has "
                                 "no dt or method; CTRNN.from_elman(rnn, tau=dt) is its CTRNN")
            return cls.from_elman(module, nodes=nodes)
        from ._leaky_torch import discrete_kwargs

        return cls(**discrete_kwargs(module), nodes=nodes, dt=dt, method=method)

    def continuous(self, method=None, dt=None):
        """The CTRNN whose discretization with step ``dt`` is this map (inverse of
        :func:`discretize`): ``tau = dt / a`` (Euler, which needs ``decay = 1 - a``) or
        ``-dt / log(decay)`` (exponential), ``W``, ``bias = theta``, ``gain``, ``input = b``.
        ``method``, ``dt`` default to those recorded by :func:`discretize`. Discretize the
        result with ``input_weights=rnn.U`` for this map again (``tau`` to rounding).

        >>> from neurodyn import CTRNN
        >>> net = CTRNN([[0.0, 1.0], [-1.0, 0.0]], tau=[1.0, 2.0], bias=0.5)
        >>> discretize(net, 0.25).continuous().tau
        array([1., 2.])
        """
        from .cells._kernels_basic_host import euler_form, tau_of_leak
        from .ctrnn import CTRNN

        method = (self.method or "euler") if method is None else method
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; known: {', '.join(map(repr, METHODS))}")
        if dt is None and self.dt is None:
            raise ValueError("continuous() needs dt: this DiscreteRNN records none")
        dt = _positive_dt(self.dt if dt is None else dt)
        if method == "euler":
            euler_form(self.leak, self.decay, self.nodes)
        tau = tau_of_leak(dt, self.leak, self.decay, method, self.nodes)
        return CTRNN(self.W, tau=tau, bias=self.theta, gain=self.gain, input=self.b,
                     activation=self.activation, nodes=self.nodes)

    @classmethod
    def from_elman(cls, W_ih, W_hh=None, b_ih=None, b_hh=None, *, nodes=None):
        """The Elman network ``r' = tanh(W_hh r + W_ih x + b_ih + b_hh)`` as a DiscreteRNN.

        ``W_ih`` may be a one-layer tanh ``torch.nn.RNN`` (the other arguments then omitted).
        The result has ``a = 1``, tanh, ``g = 1``, ``theta = 0``, ``W = W_hh``, ``U = W_ih``,
        ``b = b_ih + b_hh``; its :meth:`elman_state` is ``tanh(h)``.

        >>> rnn = DiscreteRNN.from_elman(np.ones((2, 1)), np.zeros((2, 2)))
        >>> rnn.elman_weights()[0].ravel()
        array([1., 1.])
        """
        W_ih, W_hh, b = _elman_arrays(W_ih, W_hh, b_ih, b_hh)
        return cls(W_hh, U=W_ih, b=b, leak=1.0, activation="tanh", nodes=nodes)

    def __repr__(self):
        kind = "sparse" if self.sparse else "dense"
        how = "" if self.method is None else f", method={self.method!r}, dt={self.dt!r}"
        return (f"DiscreteRNN(n={self.n_states}, n_inputs={self.n_inputs}, {kind}, "
                f"activation={self.activation!r}{how})")


def _elman_arrays(W_ih, W_hh=None, b_ih=None, b_hh=None):
    """Validated ``(W_ih, W_hh, b)`` float64 arrays, ``b = b_ih + b_hh``, from arrays or a
    ``torch.nn.RNN`` passed as ``W_ih``."""
    if hasattr(W_ih, "weight_hh_l0"):  # a torch.nn.RNN (duck-typed: no torch import needed)
        rnn = W_ih
        if any(v is not None for v in (W_hh, b_ih, b_hh)):
            raise TypeError("from_elman: pass either a torch.nn.RNN or the arrays W_ih, W_hh, "
                            "b_ih, b_hh, not both")
        mode = getattr(rnn, "mode", "RNN_TANH")
        if mode != "RNN_TANH":
            raise ValueError(f"from_elman needs a tanh Elman RNN; this torch module has mode "
                             f"{mode!r} (a CTRNN has no ReLU activation; LSTM/GRU have no "
                             "CTRNN form)")
        if getattr(rnn, "num_layers", 1) != 1 or getattr(rnn, "bidirectional", False):
            raise ValueError("from_elman needs a one-layer, unidirectional torch.nn.RNN; got "
                             f"num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}")
        if getattr(rnn, "proj_size", 0):
            raise ValueError("from_elman: torch.nn.RNN with proj_size > 0 is not an Elman net")
        W_ih, W_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
        if rnn.bias:
            b_ih, b_hh = rnn.bias_ih_l0, rnn.bias_hh_l0
    if W_hh is None:
        raise TypeError("from_elman needs W_hh (or a torch.nn.RNN as first argument)")
    W_hh = _matrix(W_hh, "W_hh")
    n = W_hh.shape[0]
    if W_hh.shape != (n, n) or n < 1:
        raise ValueError(f"W_hh has shape {W_hh.shape}, expected a non-empty square (n, n)")
    W_ih = _matrix(W_ih, "W_ih")
    if W_ih.shape[0] != n:
        raise ValueError(f"W_ih has shape {W_ih.shape}, expected ({n}, m) to match W_hh "
                         f"{W_hh.shape}")
    b = np.zeros(n)
    for name, v in (("b_ih", b_ih), ("b_hh", b_hh)):
        if v is None:
            continue
        if hasattr(v, "detach"):
            v = v.detach().cpu().numpy()
        b = b + _vector(v, n, name, list(range(n)))
    return W_ih, W_hh, b


def discretize(model, dt, method="euler", *, input_weights=None):
    """Turn a continuous-time model into its discrete-time map with step ``dt``.

    * :class:`~neurodyn.CTRNN`: a :class:`DiscreteRNN`,
      ``h[k+1] = (1-a) h[k] + a (W sigma(g (h[k]+theta)) + U x[k] + b)`` with per-neuron
      ``a = dt/tau`` (``"euler"``) or ``a = 1 - exp(-dt/tau)`` (``"exponential"``), ``U`` the
      ``input_weights`` (default identity) and ``b`` the model's constant input. See the
      module docstring for the input convention and the Elman form (``dt = tau``, Euler).
    * :class:`~neurodyn.ContinuousESN`: the leaky :class:`~neurodyn.ESN` with the same
      reservoir and leak rate ``a = dt / tau`` (``"euler"``; ``1 - exp(-dt/tau)`` for
      ``"exponential"``). Forward Euler with step ``dt``, the input held over each step
      (zero-order hold), *is* that ESN: ``esn.run(model.u)`` equals the Euler solution at
      ``t = dt, 2 dt, ...``. Needs one ``tau`` for all units (the ESN has one leak rate),
      ``a <= 1``, and the model's samples at the times ``k dt`` (where the ESN reads them).
    * any model with a ``_discretize(dt, method)`` hook (the continuous forms of
      ``neurodyn.cells``: ``ContinuousIndRNN``, ``ContinuousJordan``,
      ``ContinuousSecondOrderRNN``, ``GRUODE``, ``LSTMODE``...): what the hook returns, the
      model's own discrete map.

    Parameters
    ----------
    model : CTRNN (dense or sparse), ContinuousESN, or a model with ``_discretize``
    dt : float, positive
    method : {"euler", "exponential"}
    input_weights : array_like (n, m), optional
        CTRNN only.

    >>> from neurodyn import CTRNN
    >>> net = CTRNN(np.zeros((2, 2)), tau=2.0, input=1.0)
    >>> rnn = discretize(net, 0.5, method="exponential")
    >>> bool(np.allclose(rnn.run(np.zeros((4, 2)))[-1], 1 - np.exp(-1.0)))
    True
    >>> from neurodyn import ESN
    >>> ct = ESN(10, leak_rate=0.25, seed=0).continuous(np.zeros(5), dt=0.5)
    >>> discretize(ct, 0.5).leak_rate
    0.25
    """
    from .ctrnn import CTRNN
    from .esn import ContinuousESN
    from .inputs import Constant

    dt = _positive_dt(dt)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(map(repr, METHODS))}")
    if not isinstance(model, CTRNN):
        if input_weights is not None:
            raise ValueError(f"input_weights= is for a CTRNN, whose input has no weights; a "
                             f"{type(model).__name__} has its own")
        if isinstance(model, ContinuousESN):
            return _esn_of(model, dt, method)
        hook = getattr(type(model), "_discretize", None)
        if hook is None:
            raise TypeError(f"discretize needs a neurodyn CTRNN, a ContinuousESN or a model "
                            f"with a discrete form (a _discretize method), got "
                            f"{type(model).__name__}")
        return model._discretize(dt, method)
    if not isinstance(model.input, Constant):
        raise ValueError(f"the model's input {model.input!r} varies in time; discretize "
                         "model.replace(input=0.0) (or its constant part) and pass the sampled "
                         "input as run(inputs) instead")
    n = model.n_states
    b = np.broadcast_to(model.input.value, (n,))
    r = dt / model.tau
    if method == "euler":
        leak, decay = r, 1.0 - r
    else:
        leak, decay = -np.expm1(-r), np.exp(-r)
    return DiscreteRNN(model.W, U=input_weights, b=b, leak=leak, gain=model.gain,
                       theta=model.bias, activation=model.activation, nodes=model.nodes,
                       decay=decay, dt=dt, method=method)


def _esn_of(model, dt, method):
    """The discrete leaky ESN of a ContinuousESN (see :func:`discretize`)."""
    from .esn import ESN

    tau = model.tau
    if not np.all(tau == tau[0]):
        i = int(np.flatnonzero(tau != tau[0])[0])
        raise ValueError(f"a ContinuousESN with one tau per unit has no discrete ESN form: "
                         f"the ESN has one leak rate, but tau of unit {model.nodes[i]!r} is "
                         f"{float(tau[i])!r} and of unit {model.nodes[0]!r} "
                         f"{float(tau[0])!r}")
    r = dt / float(tau[0])
    a = r if method == "euler" else -np.expm1(-r)
    if not a <= 1.0:
        raise ValueError(f"dt = {dt!r} > tau = {float(tau[0])!r}: the Euler step's leak rate "
                         f"dt / tau = {a!r} exceeds 1, which the ESN does not take; use "
                         "dt <= tau or method='exponential'")
    grid = np.arange(model.times.shape[0]) * dt
    if not np.allclose(model.times, grid, rtol=1e-12, atol=1e-12 * dt):
        k = int(np.flatnonzero(~np.isclose(model.times, grid, rtol=1e-12,
                                           atol=1e-12 * dt))[0])
        raise ValueError(f"the model's input samples are not at the times k dt: times[{k}] = "
                         f"{float(model.times[k])!r}, not {float(grid[k])!r} (dt = {dt!r}); "
                         "the discrete ESN reads one sample per step, so resample u on that "
                         "grid (ESN.continuous(u, dt=dt)) or discretize with the samples' "
                         "spacing")
    return ESN(W=model.W, Win=model.Win, bias=model.bias, leak_rate=float(a),
               spectral_radius=None, n_inputs=model.Win.shape[1],
               activation=model.activation, sparse=bool(sp.issparse(model.W)),
               nodes=model.nodes, seed=0)


def _ctrnn_from_elman_kwargs(W_ih, W_hh=None, b_ih=None, b_hh=None, tau=1.0):
    """Constructor arguments of CTRNN.from_elman (kept here so ctrnn.py needs no torch logic)."""
    tau = real_number("tau", tau, positive=True)
    W_ih, W_hh, b = _elman_arrays(W_ih, W_hh, b_ih, b_hh)
    return dict(W=W_hh, tau=tau, bias=0.0, gain=1.0, input=b, activation="tanh"), W_ih
