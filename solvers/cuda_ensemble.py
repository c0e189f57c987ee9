"""The GPU backend of :func:`solvers.solve_ensemble`: one member per CUDA thread.

For each (kernel, method, dtype, state size, params layout) a CUDA kernel is generated as
source text and compiled with ``numba.cuda.jit``; the model's plain-Python kernel is compiled
into it as a device function (``numba.cuda.jit(device=True)``), the same function the CPU
engine compiles with ``numba.njit``. Each thread integrates its own member with its own step
size, PI controller, step counts and status, exactly the algorithm of the CPU loops
(``_ode_loops.rk_adaptive`` / ``rk_fixed``): the same first-step heuristic, error norm,
controller constants, stretch onto ``t1`` and interpolants at ``t_eval``. Nothing waits in
lock-step: a member that is done leaves its thread.

Why the shape of the generated code:

* The state size ``N`` is a constant of the kernel, so the state, the stages and the dense
  coefficients are ``cuda.local.array``\\ s of fixed size (per-thread memory, interleaved
  between threads by the hardware, promoted to registers where the compiler can), and the
  stage sums are unrolled with the tableau's coefficients as constants (zeros skipped).
* Device arrays are laid out member-last: initial and final states ``(N, B)``, outputs
  ``(rows, N, B)``, parameters that vary between members ``(..., B)``. Neighbouring threads
  then read and write neighbouring addresses (coalesced); the host sees ``(B, rows, N)``.
* Every leaf of the params tuple is its own kernel argument and the member's tuple is rebuilt
  inside the kernel (``P0[:, b]`` views, no copies), so no tuple of arrays crosses the
  launch boundary.
* Host to device transfers happen once per call (states, params, ``t_eval``), and the
  results come back once (or stay on the device with ``keep_on_device=True``).
* In float32 the state, the stages, the parameters and the stage arithmetic are float32 (the
  tableau's coefficients are float32 constants); the time, the step size and the error norm
  stay float64, a few operations per step, so that steps land on ``t1`` and ``t_eval``
  exactly as in float64.

Without a GPU the same kernels run under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``),
which is how CI tests them (slowly: every thread is a Python thread).
"""
from __future__ import annotations

import ctypes
import math
import os
import threading

import numpy as np
from numba.core.errors import NumbaError

from . import tableaus

__all__ = ["CUDA_METHODS", "cuda_available", "gpu_min_members"]

# Methods with an implementation here: the fixed-step ones and the FSAL pairs without extra
# dense-output stages (DOP853 and Vern7 need 13-16 stage vectors per thread).
CUDA_METHODS = ("euler", "heun", "rk4", "bs32", "dopri5", "tsit5")
_THREADS_PER_BLOCK = 128
# With a progress bar, members are launched in slices of at least this many (a slice should
# still fill a GPU: an H100 holds ~260,000 resident threads).
_SLICE_MIN = 1 << 16
_lock = threading.Lock()
_kernels: dict = {}
_available = None


def cuda_available():
    """Whether a CUDA GPU can run ensembles here (numba-cuda installed, a driver and a device).

    Cheap after the first call; never raises. Numba's simulator does not count: ``"auto"``
    never picks it.

    >>> isinstance(cuda_available(), bool)
    True
    """
    global _available
    if _available is None:
        _available = False
        if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
            return False
        # Importing numba.cuda costs ~0.3 s; without the driver library there is no GPU to
        # find. dlopen answers in microseconds (ctypes.util.find_library ran gcc: 0.5 s).
        try:
            ctypes.CDLL("nvcuda.dll" if os.name == "nt" else "libcuda.so.1")
        except OSError:
            return False
        try:
            from numba import cuda

            _available = bool(cuda.is_available())
        except Exception:  # noqa: BLE001 - any failure here means "no usable GPU"
            _available = False
    return _available


def gpu_min_members():
    """Fewest members for which ``backend="auto"`` uses the GPU (``$NEURODYN_GPU_MIN_MEMBERS``,
    default 16384).

    The default is not a measured crossover (no GPU was available when it was set): below
    a few thousand members a GPU is mostly idle (an H100 holds ~260,000 threads at once) and
    the launch, transfers and kernel compilation cost milliseconds to seconds, while the CPU
    backend finishes small ensembles in milliseconds. ``benchmarks/bench_gpu.py`` measures the
    crossover on a GPU; set the variable to what it reports for your machine.

    >>> gpu_min_members() >= 1
    True
    """
    v = os.environ.get("NEURODYN_GPU_MIN_MEMBERS", "").strip()
    try:
        return max(1, int(v)) if v else 16384
    except ValueError:
        raise ValueError(f"NEURODYN_GPU_MIN_MEMBERS must be an integer, got {v!r}") from None


def _cuda():
    try:
        from numba import cuda
    except ImportError:
        raise ImportError("backend='cuda' needs numba-cuda (and a CUDA GPU with its driver): "
                          "pip install 'neurodyn[gpu]'") from None
    if not cuda.is_available():
        raise RuntimeError(
            "backend='cuda': no usable CUDA GPU (numba.cuda.is_available() is False). It needs "
            "an NVIDIA GPU, its driver and the CUDA runtime (pip install 'neurodyn[gpu]'; "
            "`python -c \"from numba import cuda; cuda.detect()\"` says what is missing); "
            "NUMBA_ENABLE_CUDASIM=1 runs the kernels in Numba's (slow) simulator instead; "
            "backend='cpu' runs on the cores")
    return cuda


# ----------------------------------------------------------------------- params on the device


def _leaves(P, layout, dtype, out, path=()):
    """Flatten the stacked params tuple into kernel arguments: (array or scalar, varies, ndim
    of one member's value, path) per leaf, floats in the ensemble's dtype, varying arrays with
    the member axis moved last."""
    for k, (entry, lay) in enumerate(zip(P, layout)):
        where = path + (k,)
        if isinstance(lay, tuple):
            _leaves(entry, lay, dtype, out, where)
            continue
        varies = lay == "v"
        if isinstance(entry, np.ndarray):
            a = entry
            if a.dtype.kind == "f":
                a = a.astype(dtype, copy=False)
            elif a.dtype.kind == "c":
                raise TypeError(f"backend='cuda': params{list(where)} is complex; the GPU "
                                "kernels take real and integer params")
            if varies:
                a = np.ascontiguousarray(np.moveaxis(a, 0, -1))
                out.append((a, True, a.ndim - 1, where))
            else:
                out.append((np.ascontiguousarray(a), False, a.ndim, where))
        elif isinstance(entry, (bool, np.bool_)):
            out.append((bool(entry), False, 0, where))
        elif isinstance(entry, (int, np.integer)):
            out.append((np.int64(entry), False, 0, where))
        elif isinstance(entry, (float, np.floating)):
            out.append((dtype.type(entry), False, 0, where))
        else:
            raise TypeError(f"backend='cuda': params{list(where)} is a "
                            f"{type(entry).__name__}; the GPU kernels take arrays and numbers")
    return out


def _params_expr(layout, leaves):
    """Source of the member's params tuple rebuilt from the leaf arguments L0, L1, ..."""
    index = {leaf[3]: (k, leaf) for k, leaf in enumerate(leaves)}

    def build(lay, path):
        items = []
        for k, entry in enumerate(lay):
            where = path + (k,)
            if isinstance(entry, tuple):
                items.append(build(entry, where))
                continue
            j, (_a, varies, nd, _w) = index[where]
            if varies:
                items.append(f"L{j}[{':, ' * nd}b]")
            else:
                items.append(f"L{j}")
        return "(" + "".join(x + ", " for x in items) + ")"

    return build(layout, ())


# ------------------------------------------------------------------------- kernel generation


class _Src:
    def __init__(self):
        self.lines = []
        self.consts = {}

    def __call__(self, indent, text):
        self.lines.append("    " * indent + text)

    def c(self, value):
        """A named constant of the state dtype (a float32 literal must not promote)."""
        name = f"C{len(self.consts)}"
        self.consts[name] = float(value)
        return name


def _stage_sum(src, ind, dst, coeffs, scale, base):
    """dst[i] = base[i] + scale * (sum_j a_j K[j, i]), summed from 0 in j order, zeros skipped
    (as the CPU loops, so that float64 results agree to rounding)."""
    terms = [(j, a) for j, a in enumerate(coeffs) if a != 0.0]
    src(ind, "for i in range(N):")
    src(ind + 1, "acc = ZERO")
    for j, a in terms:
        src(ind + 1, f"acc += {src.c(a)} * K[{j}, i]")
    src(ind + 1, f"{dst}[i] = {base}[i] + {scale} * acc")


def _prologue(src, head, n_leaves, vectors, matrices, p_expr):
    """The kernel's signature (launch range, ``head``, the arrays, the params leaves), the
    thread's member index, its local arrays, its state and its params tuple."""
    leaves = "".join(f", L{k}" for k in range(n_leaves))
    src(0, "@cuda.jit")
    src(0, f"def ens_kernel(b0, b1, {head}, Y, OUT_Y, SF, SI{leaves}):")
    src(1, "b = b0 + cuda.grid(1)")
    src(1, "if b >= b1:")
    src(2, "return")
    for name in vectors:
        src(1, f"{name} = cuda.local.array(N, DT)")
    for line in matrices:
        src(1, line)
    src(1, "for i in range(N):")
    src(2, "y[i] = Y[i, b]")
    src(1, f"p = {p_expr}")


def _adaptive_source(tab, p_expr, n_leaves):
    S = tab.C.size
    D = tab.P.shape[1]
    src = _Src()
    _prologue(src, "t0, t1, dirn, t_eval, rtol, ATOL, hmax, max_steps, h_first, safety, "
              "facmin, facmax, alpha, beta, eorder", n_leaves,
              ("y", "ynew", "ytmp"), ("K = cuda.local.array((S, N), DT)",
                                      "Q = cuda.local.array((D, N), DT)"), p_expr)
    src(1, "t = t0")
    src(1, "m = t_eval.shape[0]")
    src(1, "n_out = 0")
    src(1, "while n_out < m and dirn * (t_eval[n_out] - t) <= 0.0:")
    src(2, "for i in range(N):")
    src(3, "OUT_Y[n_out, i, b] = y[i]")
    src(2, "n_out += 1")
    src(1, "nfev = 1")
    src(1, "nacc = 0")
    src(1, "nrej = 0")
    src(1, "h = h_first")
    src(1, "status = SUCCESS")
    src(1, "rhs(t, y, p, K[0])")
    src(1, "finite = True")
    src(1, "for i in range(N):")
    src(2, "if not math.isfinite(K[0, i]):")
    src(3, "finite = False")
    src(1, "if not finite:")
    src(2, "status = NON_FINITE")
    src(1, "elif h <= 0.0:")
    # Hairer, Norsett & Wanner II.4, as _first_step_trial / _first_step_size.
    src(2, "d0 = 0.0")
    src(2, "d1 = 0.0")
    src(2, "for i in range(N):")
    src(3, "sc = ATOL[i] + rtol * abs(y[i])")
    src(3, "r0 = y[i] / sc")
    src(3, "r1 = K[0, i] / sc")
    src(3, "d0 += r0 * r0")
    src(3, "d1 += r1 * r1")
    src(2, "d0 = math.sqrt(d0 / N)")
    src(2, "d1 = math.sqrt(d1 / N)")
    src(2, "if d0 < 1e-5 or d1 < 1e-5:")
    src(3, "h0 = 1e-6")
    src(2, "else:")
    src(3, "h0 = 0.01 * d0 / d1")
    src(2, "if h0 > abs(t1 - t0):")
    src(3, "h0 = abs(t1 - t0)")
    src(2, "for i in range(N):")
    src(3, "ytmp[i] = y[i] + DT(dirn * h0) * K[0, i]")
    src(2, "rhs(t + dirn * h0, ytmp, p, ynew)")
    src(2, "nfev += 1")
    src(2, "d2 = 0.0")
    src(2, "for i in range(N):")
    src(3, "r2 = (ynew[i] - K[0, i]) / (ATOL[i] + rtol * abs(y[i]))")
    src(3, "d2 += r2 * r2")
    src(2, "d2 = math.sqrt(d2 / N) / h0")
    src(2, "if not (d2 < math.inf):")
    src(3, "h = h0 * 1e-3")
    src(2, "else:")
    src(3, "dmax = d1 if d1 > d2 else d2")
    src(3, "if dmax <= 1e-15:")
    src(4, "h1 = h0 * 1e-3 if h0 * 1e-3 > 1e-6 else 1e-6")
    src(3, "else:")
    src(4, "h1 = (0.01 / dmax) ** (1.0 / (eorder + 1))")
    src(3, "h = 100.0 * h0")
    src(3, "if h1 < h:")
    src(4, "h = h1")
    src(3, "if abs(t1 - t0) < h:")
    src(4, "h = abs(t1 - t0)")
    src(3, "if hmax < h:")
    src(4, "h = hmax")
    src(1, "err_old = 1e-4")
    src(1, "rejected_last = False")
    src(1, "last_nonfinite = False")
    src(1, "while status == SUCCESS:")
    src(2, "if not dirn * (t1 - t) > 0.0:")
    src(3, "break")
    src(2, "if nacc + nrej >= max_steps:")
    src(3, "status = MAX_STEPS")
    src(3, "break")
    src(2, "if h > hmax:")
    src(3, "h = hmax")
    src(2, "last = False")
    src(2, "rem = dirn * (t1 - t)")
    src(2, "if 1.01 * h >= rem and rem <= hmax:")
    src(3, "h = rem")
    src(3, "last = True")
    src(2, "elif h >= rem:")
    src(3, "h = rem")
    src(3, "last = True")
    src(2, "if h <= 10.0 * EPS * (abs(t) if abs(t) > 1e-300 else 1e-300):")
    src(3, "status = NON_FINITE if last_nonfinite else STEP_UNDERFLOW")
    src(3, "break")
    src(2, "hs = dirn * h")
    src(2, "hd = DT(hs)")
    for s in range(1, S):
        dst = "ynew" if s == S - 1 else "ytmp"
        _stage_sum(src, 2, dst, tab.A[s, :s], "hd", "y")
        src(2, f"rhs(t + {float(tab.C[s])!r} * hs, {dst}, p, K[{s}])")
        src(2, "nfev += 1")
    # The error test (SciPy's RMS norm, scale from the larger of |y| and |y_new|).
    src(2, "errsum = 0.0")
    src(2, "for i in range(N):")
    src(3, "e = ZERO")
    for q, e in enumerate(tab.E):
        if e != 0.0:
            src(3, f"e += {src.c(e)} * K[{q}, i]")
    src(3, "ya = abs(y[i])")
    src(3, "yb = abs(ynew[i])")
    src(3, "r = h * e / (ATOL[i] + rtol * (ya if ya > yb else yb))")
    src(3, "errsum += r * r")
    src(2, "err = math.sqrt(errsum / N)")
    src(2, "if not (err < math.inf):")
    src(3, "last_nonfinite = True")
    src(3, "rejected_last = True")
    src(3, "nrej += 1")
    src(3, "h *= facmin")
    src(3, "continue")
    src(2, "if err > 1.0:")
    src(3, "last_nonfinite = False")
    src(3, "nrej += 1")
    src(3, "fac = safety * err ** (-1.0 / (eorder + 1))")
    src(3, "h *= fac if fac > facmin else facmin")
    src(3, "rejected_last = True")
    src(3, "continue")
    src(2, "last_nonfinite = False")
    src(2, "t_new = t1 if last else t + hs")
    src(2, "if err == 0.0:")
    src(3, "fac = facmax")
    src(2, "else:")
    src(3, "fac = safety * err ** (-alpha) * err_old ** beta")
    src(3, "if fac < facmin:")
    src(4, "fac = facmin")
    src(3, "if fac > facmax:")
    src(4, "fac = facmax")
    src(2, "if rejected_last and fac > 1.0:")
    src(3, "fac = 1.0")
    src(2, "err_old = err if err > 1e-4 else 1e-4")
    src(2, "rejected_last = False")
    src(2, "if n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0:")
    # Q[d] = hs sum_s P[s, d] k_s (as _dense_coefficients), then Horner in theta.
    for d in range(D):
        _dense_row(src, 3, tab.P[:, d], d)
    src(3, "while n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0:")
    src(4, "if t_eval[n_out] == t_new:")
    src(5, "for i in range(N):")
    src(6, "OUT_Y[n_out, i, b] = ynew[i]")
    src(4, "else:")
    src(5, "th = DT((t_eval[n_out] - t) / hs)")
    src(5, "for i in range(N):")
    src(6, f"v = Q[{D - 1}, i]")
    for d in range(D - 2, -1, -1):
        src(6, f"v = v * th + Q[{d}, i]")
    src(6, "OUT_Y[n_out, i, b] = y[i] + th * v")
    src(4, "n_out += 1")
    src(2, "t = t_new")
    src(2, "for i in range(N):")
    src(3, "y[i] = ynew[i]")
    src(3, f"K[0, i] = K[{S - 1}, i]")
    src(2, "nacc += 1")
    src(2, "h *= fac")
    _epilogue(src)
    return src, {"S": S, "D": D}


def _dense_row(src, ind, col, d):
    terms = [(q, c) for q, c in enumerate(col) if c != 0.0]
    src(ind, "for i in range(N):")
    src(ind + 1, "acc = ZERO")
    for q, c in terms:
        # as _dense_coefficients: (P[q, d] * hs) * K[q, i], summed from zero
        src(ind + 1, f"acc += DT({float(c)!r} * hs) * K[{q}, i]")
    src(ind + 1, f"Q[{d}, i] = acc")


def _epilogue(src):
    # rows a member did not reach (it failed) read NaN, as on the CPU
    src(1, "for r in range(n_out, OUT_Y.shape[0]):")
    src(2, "for i in range(N):")
    src(3, "OUT_Y[r, i, b] = math.nan")
    src(1, "for i in range(N):")
    src(2, "Y[i, b] = y[i]")
    src(1, "SF[0, b] = t")
    src(1, "SF[1, b] = h")
    src(1, "SI[0, b] = status")
    src(1, "SI[1, b] = n_out")
    src(1, "SI[2, b] = nfev")
    src(1, "SI[3, b] = nacc")
    src(1, "SI[4, b] = nrej")


def _fixed_source(tab, p_expr, n_leaves):
    S = tab.C.size
    src = _Src()
    _prologue(src, "t0, t1, dt, n_steps, t_eval, use_t_eval", n_leaves,
              ("y", "ynew", "ytmp", "fnew"), ("K = cuda.local.array((S, N), DT)",), p_expr)
    src(1, "dirn = 1.0 if dt > 0.0 else -1.0")
    src(1, "t = t0")
    src(1, "m = t_eval.shape[0]")
    src(1, "n_out = 0")
    src(1, "if use_t_eval:")
    src(2, "while n_out < m and dirn * (t_eval[n_out] - t) <= 0.0:")
    src(3, "for i in range(N):")
    src(4, "OUT_Y[n_out, i, b] = y[i]")
    src(3, "n_out += 1")
    src(1, "else:")
    src(2, "for i in range(N):")
    src(3, "OUT_Y[0, i, b] = y[i]")
    src(2, "n_out = 1")
    src(1, "h = 0.0")
    src(1, "status = SUCCESS")
    src(1, "rhs(t, y, p, K[0])")
    src(1, "nfev = 1")
    src(1, "k = 0")
    src(1, "for i in range(N):")
    src(2, "if not math.isfinite(K[0, i]):")
    src(3, "status = NON_FINITE")
    src(1, "while status == SUCCESS and k < n_steps:")
    src(2, "t_new = t1 if k == n_steps - 1 else t0 + (k + 1) * dt")
    src(2, "h = t_new - t")
    src(2, "hd = DT(h)")
    for s in range(1, S):
        _stage_sum(src, 2, "ytmp", tab.A[s, :s], "hd", "y")
        src(2, f"rhs(t + {float(tab.C[s])!r} * h, ytmp, p, K[{s}])")
        src(2, "nfev += 1")
    _stage_sum(src, 2, "ynew", tab.B, "hd", "y")
    src(2, "finite = True")
    src(2, "for i in range(N):")
    src(3, "if not math.isfinite(ynew[i]):")
    src(4, "finite = False")
    src(2, "if not finite:")
    src(3, "status = NON_FINITE")
    src(3, "break")
    src(2, "rhs(t_new, ynew, p, fnew)")
    src(2, "nfev += 1")
    src(2, "for i in range(N):")
    src(3, "if not math.isfinite(fnew[i]):")
    src(4, "finite = False")
    src(2, "if use_t_eval:")
    src(3, "while n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0:")
    src(4, "if t_eval[n_out] == t_new:")
    src(5, "for i in range(N):")
    src(6, "OUT_Y[n_out, i, b] = ynew[i]")
    src(4, "else:")
    # cubic Hermite between the steps, as _hermite_coefficients + _interp_row (D = 3)
    src(5, "th = DT((t_eval[n_out] - t) / h)")
    src(5, "for i in range(N):")
    src(6, "dlt = ynew[i] - y[i]")
    src(6, "q0 = hd * K[0, i]")
    src(6, "q3 = hd * fnew[i]")
    src(6, "q1 = THREE * dlt - TWO * q0 - q3")
    src(6, "q2 = q0 + q3 - TWO * dlt")
    src(6, "v = q2 * th + q1")
    src(6, "v = v * th + q0")
    src(6, "OUT_Y[n_out, i, b] = y[i] + th * v")
    src(4, "n_out += 1")
    src(2, "elif n_out < OUT_Y.shape[0]:")
    src(3, "for i in range(N):")
    src(4, "OUT_Y[n_out, i, b] = ynew[i]")
    src(3, "n_out += 1")
    src(2, "t = t_new")
    src(2, "for i in range(N):")
    src(3, "y[i] = ynew[i]")
    src(3, "K[0, i] = fnew[i]")
    src(2, "k += 1")
    src(2, "if not finite:")
    src(3, "status = NON_FINITE")
    src(1, "nacc = k")
    src(1, "nrej = 0")
    _epilogue(src)
    return src, {"S": S}


def _kernel_for(rhs, tab, dtype, n, layout, leaves):
    """The compiled (lazily, at first launch) CUDA kernel for this kernel, method, dtype, size
    and params layout; built once per process."""
    sig = tuple((type(a).__name__ if not isinstance(a, np.ndarray) else
                 (a.dtype.str, a.ndim), v) for a, v, _nd, _w in leaves)
    key = (rhs, tab.name, np.dtype(dtype).str, n, layout, sig)
    with _lock:
        kern = _kernels.get(key)
        if kern is not None:
            return kern
        cuda = _cuda()
        import numba

        p_expr = _params_expr(layout, leaves)
        fixed = tab.name in tableaus.FIXED
        src, sizes = (_fixed_source if fixed else _adaptive_source)(tab, p_expr, len(leaves))
        dt_np = np.dtype(dtype).type
        glb = {"cuda": cuda, "math": math, "N": int(n), "DT": numba.from_dtype(np.dtype(dtype)),
               "rhs": cuda.jit(device=True)(getattr(rhs, "py_func", rhs)),
               "ZERO": dt_np(0.0), "TWO": dt_np(2.0), "THREE": dt_np(3.0),
               "SUCCESS": 0, "MAX_STEPS": -1, "STEP_UNDERFLOW": -2, "NON_FINITE": -3,
               "EPS": float(np.finfo(np.float64).eps), **sizes}
        glb.update({name: dt_np(v) for name, v in src.consts.items()})
        code = "\n".join(src.lines) + "\n"
        label = getattr(rhs, "__qualname__", "kernel")
        exec(compile(code, f"<neurodyn cuda {tab.name} {np.dtype(dtype).name} ensemble for "
                     f"{label}, n={n}>", "exec"), glb)
        kern = glb["ens_kernel"]
        kern.source = code  # for the curious, and for tests of the generated code
        _kernels[key] = kern
        return kern


# ------------------------------------------------------------------------------------ driver


class _Launch:
    """The device arrays of one ensemble and the launches that integrate it (transfers to the
    device happen here, once). ``launch(b0, b1)`` integrates members [b0, b1) asynchronously;
    ``collect`` brings the results back. Benchmarks time ``launch`` alone for the figure
    "data already on the device"."""

    def __init__(self, ref, P, layout, Y, tab, t0, t1, te, save, rtol, atol, dt, first_step,
                 max_step, steps, n_steps, dtype):
        cuda = _cuda()
        from .integrate import FACMAX, FACMIN, PI_BETA_K, SAFETY, _fixed_end

        dtype = np.dtype(dtype)
        B, n = Y.shape
        self.B, self.save = B, save
        leaves = _leaves(P, layout, dtype, [])
        self.kernel = _kernel_for(ref.rhs, tab, dtype, n, layout, leaves)
        if save == "final" or te is not None:
            te_arr = np.empty(0) if save == "final" else np.asarray(te, dtype=np.float64)
            rows = te_arr.size
        else:
            te_arr, rows = np.empty(0), steps + 1
        self.stream = stream = cuda.stream()
        self.y = cuda.to_device(np.ascontiguousarray(Y.T.astype(dtype)), stream=stream)
        self.out = cuda.device_array((rows, n, B), dtype=dtype, stream=stream)
        d_te = cuda.to_device(te_arr, stream=stream)
        self.sf = cuda.device_array((2, B), dtype=np.float64, stream=stream)
        self.si = cuda.device_array((5, B), dtype=np.int64, stream=stream)
        self.leaves = [cuda.to_device(a, stream=stream) if isinstance(a, np.ndarray) else a
                       for a, _v, _nd, _w in leaves]
        if tab.name in tableaus.FIXED:
            sdt = dt if t1 > t0 else -dt
            self.head = (t0, _fixed_end(t0, t1, sdt, steps, n_steps), sdt, steps, d_te,
                         save == "final" or te is not None)
        else:
            eo = tab.error_order
            beta = PI_BETA_K / (eo + 1)
            self.head = (t0, t1, 1.0 if t1 > t0 else -1.0, d_te, float(rtol),
                         cuda.to_device(np.asarray(atol, dtype=np.float64), stream=stream),
                         float(max_step), int(steps),
                         0.0 if first_step is None else float(first_step),
                         SAFETY, FACMIN, FACMAX, 1.0 / (eo + 1) - 0.75 * beta, beta, int(eo))

    def launch(self, b0, b1):
        tpb = _THREADS_PER_BLOCK
        # Every launch gets the whole arrays and its range of members: no sliced views, one
        # compiled signature whatever the range.
        self.kernel[-(-(b1 - b0) // tpb), tpb, self.stream](b0, b1, *self.head, self.y,
                                                             self.out, self.sf, self.si,
                                                             *self.leaves)

    def collect(self, done, keep_on_device):
        return _collect(self.y, self.out, self.sf, self.si, done, self.save, keep_on_device)


def run(ref, P, layout, Y, tab, t0, t1, te, save, rtol, atol, dt, first_step, max_step,
        steps, n_steps, dtype, keep_on_device, progress_bar):
    """Integrate the members on the GPU. Returns a dict of host arrays (device arrays for y
    and y_final when keep_on_device): y_final (B, n), y (B, rows, n) or None, t_final, h,
    status, nout, nfev, nacc, nrej, launched (members from it on never ran), and
    interrupted=True after a Ctrl-C."""
    job = _Launch(ref, P, layout, Y, tab, t0, t1, te, save, rtol, atol, dt, first_step,
                  max_step, steps, n_steps, dtype)
    B = job.B
    # Launched in slices of members when a progress bar is shown (the bar moves and Ctrl-C
    # is honoured between launches); otherwise one launch for all.
    chunk = B if progress_bar is None else max(_SLICE_MIN, -(-B // 100))
    done = 0
    try:
        while done < B:
            cnt = min(chunk, B - done)
            try:
                job.launch(done, done + cnt)  # the first launch compiles the kernel
            except NumbaError as e:
                name = getattr(ref, "name", None) or type(ref).__name__
                raise TypeError(
                    f"{name}: its kernel {getattr(ref.rhs, '__qualname__', ref.rhs)!r} could "
                    "not be compiled as a CUDA device function (kernels must be plain "
                    "restricted Python without NumPy calls such as np.dot; a dense CTRNN of "
                    "512+ neurons uses BLAS unless built with blas=False). Numba said: "
                    f"{str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"
                ) from None
            if progress_bar is not None:
                job.stream.synchronize()
                progress_bar.update(done + cnt)
            done += cnt
        job.stream.synchronize()
    except KeyboardInterrupt:
        job.stream.synchronize()
        res = job.collect(done, keep_on_device)
        res["interrupted"] = True
        return res
    return job.collect(B, keep_on_device)


def _collect(d_y, d_out, d_sf, d_si, done, save, keep_on_device):
    sf = d_sf.copy_to_host()
    si = d_si.copy_to_host()
    # members from `done` on were never launched: their records are unwritten (the driver
    # marks them not run)
    res = {"t_final": sf[0], "h": sf[1], "status": si[0], "nout": si[1], "nfev": si[2],
           "nacc": si[3], "nrej": si[4], "launched": done}
    if keep_on_device:
        import cupy

        res["y_final"] = cupy.asarray(d_y).T
        res["y"] = cupy.asarray(d_out).transpose(2, 0, 1) if save == "all" else None
        return res
    res["y_final"] = np.ascontiguousarray(d_y.copy_to_host().T, dtype=np.float64)
    res["y"] = (np.ascontiguousarray(np.transpose(d_out.copy_to_host(), (2, 0, 1)),
                                     dtype=np.float64) if save == "all" else None)
    return res
