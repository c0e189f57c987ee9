"""Array forms of the large-network models, for the array engine (``solvers.array_engine``).

Each form evaluates the *same function* as the model's compiled kernel, written with the
operations of an array module ``xp`` (NumPy, or CuPy on a GPU): one matrix-vector product of the
network (dense GEMV, or SpMV with ``scipy.sparse`` / ``cupyx.scipy.sparse`` CSR chosen by
``xp``) and elementwise work done in place with ``out=`` (no array allocated per call but the
product's result where the sparse modules offer no ``out=``). The parameters are read from the
model's params tuple (the layouts documented in ``_kernels_ctrnn``, ``_kernels_assoc`` and
``_kernels_esn``) and moved to the device once, when the form is built. Time-varying inputs
(sinusoid, sampled with zero-order hold or linear interpolation) are evaluated as the kernels
do: the sample lookup (a binary search of the sample times) runs on the host, where ``t`` is,
and the values are combined on the device.

The elementwise work is a sequence of in-place ufunc calls, so on a GPU a few small kernel
launches per stage beside the product; fusing them into one CuPy kernel (``cupy.fuse`` or an
``ElementwiseKernel``) is left for when it can be measured and tested on a GPU.

The elementwise operations follow the kernels' order of operations (``(I - y + W s) * rate``
for the CTRNN, and so on), so a form differs from its kernel only in the summation order
inside the product. A form keeps scratch vectors, so it serves one run at a time (not threads
running at once).
"""
from __future__ import annotations

import numpy as np

from solvers.array_engine import ArrayForm

from . import _kernels_assoc as _ka
from . import _kernels_ctrnn as _kc
from . import _kernels_esn as _ke

__all__ = ["CTRNNArrayForm", "HopfieldArrayForm", "ESNArrayForm"]

# exp(-x) is clamped as in the kernels (min(-x, 700)) so it stays finite; in float32 the bound
# is 80 (exp(88.7) overflows there), which changes sigma only where it is below 2e-35.
_SIGMOID_CLAMP = {np.dtype(np.float64): 700.0, np.dtype(np.float32): 80.0}


def _module_name(xp):
    return getattr(xp, "__name__", type(xp).__name__)


def _sparse_matrix(xp, csr, dtype):
    """``csr`` (scipy.sparse CSR on the host) as the CSR matrix type of ``xp``'s sparse module."""
    if xp is np:
        return csr.astype(dtype, copy=False)
    if _module_name(xp).split(".")[0] == "cupy":
        import cupyx.scipy.sparse as cusparse

        return cusparse.csr_matrix(csr.astype(dtype))
    raise TypeError(f"a sparse W needs numpy (scipy.sparse) or cupy (cupyx.scipy.sparse) as "
                    f"the array module, got {_module_name(xp)}")


class _NetworkForm(ArrayForm):
    """The shared machinery: device arrays, scratch buffers per shape, the product."""

    def __init__(self, model, xp, dtype):
        dtype = np.dtype(dtype)
        if dtype not in _SIGMOID_CLAMP:
            raise ValueError(f"dtype must be float64 or float32, got {dtype}")
        super().__init__(model.n_states, xp, dtype, getattr(model, "name", type(model).__name__))
        self._scratch = {}

    def _dev(self, a):
        return self.xp.asarray(np.asarray(a), dtype=self.dtype)

    def _buffers(self, shape, k):
        """k scratch arrays of ``shape`` (kept: the engine calls with one shape)."""
        bufs = self._scratch.get(shape)
        if bufs is None:
            bufs = self._scratch[shape] = [self.xp.empty(shape, self.dtype) for _ in range(k)]
        return bufs

    def _weights(self, W_dense, W_csr):
        """Keep W for the product: CSR of xp's sparse module, or the dense W.T, because
        x @ W.T serves a state (n,) and a batch (B, n) alike. On the host W.T is a view when
        W is stored transposed already (no second n x n copy); on a GPU it is made
        C-contiguous once, so that no product copies it."""
        xp = self.xp
        self.sparse = W_csr is not None
        if self.sparse:
            self.W = _sparse_matrix(xp, W_csr, self.dtype)
            self.WT = None
        else:
            WT = np.asarray(W_dense).T
            if xp is np:
                self.WT = WT.astype(self.dtype, copy=False)
            else:
                self.WT = xp.ascontiguousarray(xp.asarray(WT, dtype=self.dtype))
            self.W = self.WT.T

    def _product(self, x, out):
        """out = (W @ x) for a state, each row's W @ x for a batch."""
        if not self.sparse:
            self.xp.matmul(x, self.WT, out=out)
        elif x.ndim == 1:
            out[...] = self.W @ x
        else:
            out[...] = (self.W @ x.T).T

    def _activate(self, sigmoid, x):
        """x = sigma(x) (the logistic sigmoid, clamped as the kernels) or tanh(x), in place."""
        xp = self.xp
        if sigmoid:
            xp.negative(x, out=x)
            xp.minimum(x, _SIGMOID_CLAMP[self.dtype], out=x)
            xp.exp(x, out=x)
            x += 1.0
            xp.reciprocal(x, out=x)
        else:
            xp.tanh(x, out=x)


class _Sampled:
    """A sampled signal (kinds 1 zero-order hold, 2 linear) on the device; the lookup of t
    among the sample times on the host, by the kernels' own ``_sample_position``."""

    def __init__(self, form, kind, ts, vals):
        self.kind = int(kind)
        self.ts = np.asarray(ts, dtype=np.float64)
        self.vals = form._dev(vals)
        self.diff = form.xp.empty(self.vals.shape[1], form.dtype)

    def into(self, t, out, xp):
        """out = the samples at t, shape (columns,) (held or interpolated)."""
        k, frac = _kc._sample_position(self.kind, self.ts, t)
        if frac == 0.0:
            out[...] = self.vals[k]
            return
        # vals[k] + frac * (vals[k + 1] - vals[k]), the kernels' grouping
        xp.subtract(self.vals[k + 1], self.vals[k], out=self.diff)
        self.diff *= frac
        xp.add(self.vals[k], self.diff, out=out)


class CTRNNArrayForm(_NetworkForm):
    """A CTRNN's ``dy/dt = (I(t) - y + W sigma(g (y + theta))) / tau`` with array operations.

    Dense ``W``: one GEMV (``x @ W.T``); sparse ``W``: one SpMV. Every input kind of the model
    (constant, sinusoid, sampled) is evaluated as the kernel does. ``y`` may be one state
    ``(n,)`` or a batch ``(B, n)``. Built by :meth:`neurodyn.CTRNN.array_form`.
    """

    def __init__(self, model, xp, dtype):
        if model.rhs not in _CTRNN_KERNELS:
            raise TypeError(f"{type(model).__name__} computes its right-hand side with "
                            f"{getattr(model.rhs, '__name__', model.rhs)!r}, not a CTRNN kernel: "
                            "the CTRNN array form would integrate another system")
        super().__init__(model, xp, dtype)
        (rate, theta, gain, act, kind, off, amp, omega, phase, ts, vals) = model.params[:11]
        self.rate, self.theta, self.gain = self._dev(rate), self._dev(theta), self._dev(gain)
        self.sigmoid = act == _kc.ACT_SIGMOID
        self.kind = int(kind)
        self.off = self._dev(off)
        if self.kind == 3:
            self.amp, self.omega, self.phase = self._dev(amp), self._dev(omega), self._dev(phase)
        elif self.kind in (1, 2):
            self.samples = _Sampled(self, kind, ts, vals)
            self.cols = xp.empty(self.samples.vals.shape[1], self.dtype)
        if self.kind != 0:
            self.drive = xp.empty(self.n_states, self.dtype)
        if model.sparse:
            self._weights(None, model.W)
        else:
            self._weights(model.W, None)

    def _input(self, t, drive):
        """drive = I(t), shape (n,)."""
        xp = self.xp
        if self.kind == 3:
            # off + amp sin(omega t + phase)
            xp.multiply(self.omega, t, out=drive)
            drive += self.phase
            xp.sin(drive, out=drive)
            drive *= self.amp
            drive += self.off
        else:
            self.samples.into(t, self.cols, xp)
            xp.add(self.off, self.cols, out=drive)

    def __call__(self, t, y, out):
        xp = self.xp
        x, prod = self._buffers(y.shape, 2)
        xp.add(y, self.theta, out=x)
        x *= self.gain
        self._activate(self.sigmoid, x)
        self._product(x, prod)
        if self.kind == 0:
            xp.subtract(self.off, y, out=out)
        else:
            self._input(t, self.drive)
            xp.subtract(self.drive, y, out=out)
        out += prod
        out *= self.rate


_CTRNN_KERNELS = (_kc.ctrnn_dense_rhs, _kc.ctrnn_dense_driven_rhs, _kc.ctrnn_blas_rhs,
                  _kc.ctrnn_blas_driven_rhs, _kc.ctrnn_sparse_rhs, _kc.ctrnn_sparse_driven_rhs)


class HopfieldArrayForm(_NetworkForm):
    """A continuous Hopfield network's ``du/dt = (I - u / R + T g(gain u)) / C`` with array
    operations (one GEMV). Built by :meth:`neurodyn.ContinuousHopfield.array_form`."""

    def __init__(self, model, xp, dtype):
        if model.rhs is not _ka.hopfield_rhs:
            raise TypeError(f"{type(model).__name__} computes its right-hand side with "
                            f"{getattr(model.rhs, '__name__', model.rhs)!r}, not hopfield_rhs: "
                            "the Hopfield array form would integrate another system")
        super().__init__(model, xp, dtype)
        inv_c, inv_r, bias, gain, act, TT = model.params
        self.inv_c, self.inv_r = self._dev(inv_c), self._dev(inv_r)
        self.bias, self.gain = self._dev(bias), self._dev(gain)
        self.sigmoid = act == _ka.ACT_SIGMOID
        self._weights(np.asarray(TT).T, None)

    def __call__(self, t, u, out):
        xp = self.xp
        x, prod = self._buffers(u.shape, 2)
        xp.multiply(self.gain, u, out=x)
        self._activate(self.sigmoid, x)
        self._product(x, prod)
        xp.multiply(self.inv_r, u, out=x)
        xp.subtract(self.bias, x, out=out)
        out += prod
        out *= self.inv_c


class ESNArrayForm(_NetworkForm):
    """A continuous-time ESN's ``dx/dt = (f(W x + Win u(t) + b) - x) / tau`` with array
    operations (one GEMV or SpMV of the reservoir, one small product with ``Win``), ``u(t)``
    held or interpolated as the kernel does. Built by :meth:`neurodyn.ContinuousESN.array_form`.
    """

    def __init__(self, model, xp, dtype):
        if model.rhs is not _ke.cesn_rhs:
            raise TypeError(f"{type(model).__name__} computes its right-hand side with "
                            f"{getattr(model.rhs, '__name__', model.rhs)!r}, not cesn_rhs: "
                            "the ESN array form would integrate another system")
        super().__init__(model, xp, dtype)
        rate, bias, act, kind, ts, vals, Win, sparse, indptr, indices, data, Wd = model.params
        self.rate, self.bias = self._dev(rate), self._dev(bias)
        self.tanh = act == _ke.ACT_TANH
        self.samples = _Sampled(self, kind, ts, vals)
        self.Win = self._dev(Win)
        self.u = xp.empty(self.Win.shape[1], self.dtype)
        self.drive = xp.empty(self.n_states, self.dtype)
        if sparse:
            import scipy.sparse as sp

            n = self.n_states
            self._weights(None, sp.csr_matrix((data, indices, indptr), shape=(n, n)))
        else:
            self._weights(Wd, None)

    def __call__(self, t, x, out):
        xp = self.xp
        pre, prod = self._buffers(x.shape, 2)
        self.samples.into(t, self.u, xp)
        xp.matmul(self.Win, self.u, out=self.drive)
        xp.add(self.bias, self.drive, out=pre)
        self._product(x, prod)
        pre += prod
        if self.tanh:
            xp.tanh(pre, out=pre)
        xp.subtract(pre, x, out=out)
        out *= self.rate
