# Compiled integration loops for ONE right-hand-side kernel.
#
# This file is a template: solvers._codegen reads it as text, writes a copy per kernel into the
# neurodyn code cache and imports that copy with the globals `rhs`, `jac` and `CACHE` injected.
# Numba's on-disk cache is only hit when a module-level function reaches its kernel as a global
# of a real file (a kernel passed as an argument or captured in a closure is recompiled in every
# process), hence one generated module per kernel. The tableau is a runtime argument, so each
# loop here is compiled once per kernel and serves every method of its family.
#
# Kernels trust their inputs: solvers.integrate validates shapes and values before calling.
import math

import numba
import numpy as np

from solvers._variational import gram_schmidt

# Injected by solvers._codegen before this module body runs; the defaults only let the file be
# read (or imported) on its own.
rhs = globals().get("rhs")
jac = globals().get("jac")
CACHE = globals().get("CACHE", False)
# The method's tableau, injected as constants (see solvers._codegen.loops_for).
TA = globals().get("TA")
TC = globals().get("TC")
TB = globals().get("TB")
TE = globals().get("TE")
TP = globals().get("TP")

SUCCESS = 0
MAX_STEPS = -1
STEP_UNDERFLOW = -2
NON_FINITE = -3

_EPS = np.finfo(np.float64).eps


@numba.njit(cache=CACHE, nogil=True)
def eval_rhs(t, y, p):
    out = np.empty_like(y)
    rhs(t, y, p, out)
    return out


@numba.njit(cache=CACHE, nogil=True)
def eval_jac(t, y, p):
    J = np.zeros((y.size, y.size))
    jac(t, y, p, J)
    return J


# For SciPy's implicit solvers, which call the RHS once per evaluation from Python: the output
# is allocated by NumPy, not returned from compiled code (Numba-allocated arrays made W7's
# Radau and BDF runs 4 % slower than SciPy with a NumPy RHS; filled NumPy arrays are at par).
@numba.njit(cache=CACHE)
def rhs_into(p, t, y, out):
    rhs(t, y, p, out)


@numba.njit(cache=CACHE)
def jac_into(p, t, y, J):
    jac(t, y, p, J)


@numba.njit(cache=CACHE, nogil=True)
def _scaled_rms(v, y, atol, rtol):
    acc = 0.0
    for i in range(v.size):
        r = v[i] / (atol[i] + rtol * abs(y[i]))
        acc += r * r
    return math.sqrt(acc / v.size)


@numba.njit(cache=CACHE, nogil=True)
def _first_step(t0, y0, f0, t1, rtol, atol, p, order, hmax, ytmp, ftmp):
    # Hairer, Norsett & Wanner, Solving ODEs I, II.4: size h so that the first step's
    # local error of an explicit Euler step is about 0.01 in the scaled norm, then correct for
    # the method's order. Costs one evaluation.
    d0 = _scaled_rms(y0, y0, atol, rtol)
    d1 = _scaled_rms(f0, y0, atol, rtol)
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, t1 - t0)
    for i in range(y0.size):
        ytmp[i] = y0[i] + h0 * f0[i]
    rhs(t0 + h0, ytmp, p, ftmp)
    for i in range(y0.size):
        ftmp[i] = ftmp[i] - f0[i]
    d2 = _scaled_rms(ftmp, y0, atol, rtol) / h0
    if not (d2 < np.inf):
        return h0 * 1e-3
    if max(d1, d2) <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / (order + 1))
    return min(100.0 * h0, h1, t1 - t0, hmax)


@numba.njit(cache=CACHE, nogil=True)
def _start_output(t0, y0, t_eval, use_t_eval, capacity):
    """Output buffers holding the initial state: at each t_eval <= t0, or as the first row of
    `capacity` rows when every step is saved. Returns (out_t, out_y, n_out)."""
    n = y0.size
    if use_t_eval:
        out_t = t_eval.copy()
        out_y = np.empty((t_eval.size, n))
        n_out = 0
        while n_out < t_eval.size and t_eval[n_out] <= t0:
            out_y[n_out, :] = y0
            n_out += 1
        return out_t, out_y, n_out
    out_t = np.empty(capacity)
    out_y = np.empty((capacity, n))
    out_t[0] = t0
    out_y[0, :] = y0
    return out_t, out_y, 1


@numba.njit(cache=CACHE, nogil=True)
def rk_adaptive(t0, t1, y0, t_eval, use_t_eval, rtol, atol, h, hmax, max_steps, p,
                error_order, safety, facmin, facmax, beta):
    """Embedded FSAL Runge-Kutta pair with PI step control and dense output at t_eval.

    Returns (status, t, y, h, n_out, out_t, out_y, nfev, naccepted, nrejected).
    """
    A = TA
    C = TC
    E = TE
    P = TP
    n = y0.size
    S = C.size
    D = P.shape[1]
    K = np.empty((S, n))
    Q = np.empty((D, n))
    y = y0.copy()
    ynew = np.empty(n)
    ytmp = np.empty(n)
    errv = np.empty(n)
    out_t, out_y, n_out = _start_output(t0, y0, t_eval, use_t_eval, 64)
    m = out_t.size
    t = t0

    rhs(t, y, p, K[0])
    nfev = 1
    for i in range(n):
        if not math.isfinite(K[0, i]):
            return NON_FINITE, t, y, h, n_out, out_t, out_y, nfev, 0, 0
    if h <= 0.0:
        h = _first_step(t0, y0, K[0], t1, rtol, atol, p, error_order, hmax, ytmp, ynew)
        nfev += 1

    # PI controller (Gustafsson; Hairer's DOPRI5 constants): alpha from the error order,
    # beta weighs the previous accepted error to damp oscillating step sizes.
    alpha = 1.0 / (error_order + 1) - 0.75 * beta
    err_old = 1e-4
    rejected_last = False
    last_nonfinite = False
    nacc = 0
    nrej = 0
    status = SUCCESS
    while t < t1:
        if nacc + nrej >= max_steps:
            status = MAX_STEPS
            break
        if h > hmax:
            h = hmax
        last = False
        if t + 1.01 * h >= t1:
            h = t1 - t
            last = True
        if h <= 10.0 * _EPS * max(abs(t), 1e-300):
            status = NON_FINITE if last_nonfinite else STEP_UNDERFLOW
            break
        # Stage sums run over i innermost (contiguous, vectorisable) and skip the tableau's
        # zeros: for large n these loops are the only work beside the kernel.
        for s in range(1, S):
            dst = ytmp if s < S - 1 else ynew
            for i in range(n):
                dst[i] = 0.0
            for j in range(s):
                a = A[s, j]
                if a != 0.0:
                    for i in range(n):
                        dst[i] += a * K[j, i]
            for i in range(n):
                dst[i] = y[i] + h * dst[i]
            rhs(t + C[s] * h, dst, p, K[s])
        nfev += S - 1
        for i in range(n):
            errv[i] = 0.0
        for s in range(S):
            e = E[s]
            if e != 0.0:
                for i in range(n):
                    errv[i] += e * K[s, i]
        errsum = 0.0
        for i in range(n):
            r = h * errv[i] / (atol[i] + rtol * max(abs(y[i]), abs(ynew[i])))
            errsum += r * r
        err = math.sqrt(errsum / n)
        if not (err < np.inf):
            # A non-finite stage means the step went too far (or the solution blew up): shrink
            # hard and retry; if that underflows, the run stops with NON_FINITE.
            last_nonfinite = True
            rejected_last = True
            nrej += 1
            h *= facmin
            continue
        last_nonfinite = False
        if err <= 1.0:
            t_new = t1 if last else t + h
            if use_t_eval and n_out < m and t_eval[n_out] <= t_new:
                # Q[d] = h Σ_s P[s, d] k_s, then y(θ) = y + Σ_d θ^(d+1) Q[d] by Horner.
                for d in range(D):
                    for i in range(n):
                        Q[d, i] = 0.0
                    for s in range(S):
                        c = P[s, d]
                        if c != 0.0:
                            c *= h
                            for i in range(n):
                                Q[d, i] += c * K[s, i]
                while n_out < m and t_eval[n_out] <= t_new:
                    if t_eval[n_out] == t_new:
                        out_y[n_out, :] = ynew
                    elif D == 4:
                        th = (t_eval[n_out] - t) / h
                        for i in range(n):
                            out_y[n_out, i] = y[i] + th * (Q[0, i] + th * (
                                Q[1, i] + th * (Q[2, i] + th * Q[3, i])))
                    else:
                        th = (t_eval[n_out] - t) / h
                        for i in range(n):
                            v = Q[D - 1, i]
                            for d in range(D - 2, -1, -1):
                                v = v * th + Q[d, i]
                            out_y[n_out, i] = y[i] + th * v
                    n_out += 1
            t = t_new
            for i in range(n):
                y[i] = ynew[i]
                K[0, i] = K[S - 1, i]
            nacc += 1
            if not use_t_eval:
                if n_out == out_t.size:
                    grown_t = np.empty(2 * n_out)
                    grown_t[:n_out] = out_t
                    grown_y = np.empty((2 * n_out, n))
                    grown_y[:n_out, :] = out_y
                    out_t = grown_t
                    out_y = grown_y
                out_t[n_out] = t
                out_y[n_out, :] = y
                n_out += 1
            if err == 0.0:
                fac = facmax
            else:
                fac = safety * err ** (-alpha) * err_old ** beta
                fac = min(facmax, max(facmin, fac))
            if rejected_last:
                fac = min(fac, 1.0)
            err_old = max(err, 1e-4)
            h *= fac
            rejected_last = False
        else:
            nrej += 1
            h *= max(facmin, safety * err ** (-1.0 / (error_order + 1)))
            rejected_last = True
    return status, t, y, h, n_out, out_t, out_y, nfev, nacc, nrej


@numba.njit(cache=CACHE, nogil=True)
def rk_fixed(t0, t1, y0, dt, n_steps, t_eval, use_t_eval, max_steps, p):
    """Explicit Runge-Kutta with a fixed step dt (the last step ends exactly at t1).

    Output at t_eval by cubic Hermite interpolation between steps (f at both ends is the
    stage-1 evaluation of the neighbouring steps, so it costs nothing).
    Returns (status, t, y, n_out, out_t, out_y, nfev, nsteps).
    """
    A = TA
    C = TC
    B = TB
    n = y0.size
    S = C.size
    K = np.empty((S, n))
    y = y0.copy()
    ynew = np.empty(n)
    ytmp = np.empty(n)
    f_new = np.empty(n)
    steps = min(n_steps, max_steps)
    out_t, out_y, n_out = _start_output(t0, y0, t_eval, use_t_eval, steps + 1)
    m = out_t.size
    t = t0
    rhs(t, y, p, K[0])
    nfev = 1
    status = SUCCESS
    for i in range(n):
        if not math.isfinite(K[0, i]):
            return NON_FINITE, t, y, n_out, out_t, out_y, nfev, 0
    k = 0
    while k < steps:
        t_new = t1 if k == n_steps - 1 else t0 + (k + 1) * dt
        h = t_new - t
        for s in range(1, S):
            for i in range(n):
                acc = 0.0
                for j in range(s):
                    acc += A[s, j] * K[j, i]
                ytmp[i] = y[i] + h * acc
            rhs(t + C[s] * h, ytmp, p, K[s])
        finite = True
        for i in range(n):
            acc = 0.0
            for s in range(S):
                acc += B[s] * K[s, i]
            ynew[i] = y[i] + h * acc
            if not math.isfinite(ynew[i]):
                finite = False
        nfev += S - 1
        if not finite:
            status = NON_FINITE
            break
        rhs(t_new, ynew, p, f_new)
        nfev += 1
        for i in range(n):
            if not math.isfinite(f_new[i]):
                finite = False
        if use_t_eval:
            while n_out < m and t_eval[n_out] <= t_new:
                if t_eval[n_out] == t_new:
                    out_y[n_out, :] = ynew
                else:
                    th = (t_eval[n_out] - t) / h
                    h00 = (1.0 + 2.0 * th) * (1.0 - th) ** 2
                    h10 = th * (1.0 - th) ** 2
                    h01 = th * th * (3.0 - 2.0 * th)
                    h11 = th * th * (th - 1.0)
                    for i in range(n):
                        out_y[n_out, i] = (h00 * y[i] + h * h10 * K[0, i] + h01 * ynew[i]
                                           + h * h11 * f_new[i])
                n_out += 1
        else:
            out_t[n_out] = t_new
            out_y[n_out, :] = ynew
            n_out += 1
        t = t_new
        for i in range(n):
            y[i] = ynew[i]
            K[0, i] = f_new[i]
        k += 1
        if not finite:
            status = NON_FINITE
            break
    if status == SUCCESS and k < n_steps:
        status = MAX_STEPS
    return status, t, y, n_out, out_t, out_y, nfev, k


@numba.njit(cache=CACHE, nogil=True)
def _tangent_jac(t, y, V, p, J, yp, fp, fm, out):
    # out = J(t, y) @ V, the variational equation's right-hand side for the n x k tangents V.
    n = y.size
    k = V.shape[1]
    for i in range(n):
        for j in range(n):
            J[i, j] = 0.0
    jac(t, y, p, J)
    for i in range(n):
        for c in range(k):
            out[i, c] = 0.0
        for j in range(n):
            a = J[i, j]
            if a != 0.0:
                for c in range(k):
                    out[i, c] += a * V[j, c]


@numba.njit(cache=CACHE, nogil=True)
def _tangent_fd(t, y, V, p, J, yp, fp, fm, out):
    # Without a Jacobian kernel: out[:, c] = (f(y + h v) - f(y - h v)) / 2h with v = V[:, c],
    # the directional derivative J v without forming J (2k extra RHS evaluations per stage).
    # h balances truncation (h^2) against rounding (eps / h).
    n = y.size
    k = V.shape[1]
    ynorm = 0.0
    for i in range(n):
        ynorm = max(ynorm, abs(y[i]))
    for c in range(k):
        vnorm = 0.0
        for i in range(n):
            vnorm = max(vnorm, abs(V[i, c]))
        if vnorm == 0.0:
            for i in range(n):
                out[i, c] = 0.0
            continue
        h = 6e-6 * max(1.0, ynorm) / vnorm
        for i in range(n):
            yp[i] = y[i] + h * V[i, c]
        rhs(t, yp, p, fp)
        for i in range(n):
            yp[i] = y[i] - h * V[i, c]
        rhs(t, yp, p, fm)
        for i in range(n):
            out[i, c] = (fp[i] - fm[i]) / (2.0 * h)


# A generated module has a Jacobian kernel or not for good (that is part of its cache key), so
# the tangent stage is chosen once here, not by a branch inside the loop.
_HAS_JAC = jac is not None
_tangent = _tangent_jac if _HAS_JAC else _tangent_fd


@numba.njit(cache=CACHE, nogil=True)
def rk4_variational(t0, y0, Q0, dt, n_steps, renorm_every, p):
    """Classical RK4 on the state y and its n x k tangent matrix V (dV/dt = J(t, y) V).

    J V is evaluated at every stage (by the Jacobian kernel, or without one by central
    directional differences (f(y + h v) - f(y - h v)) / 2h, column by column, O(h^2) with
    h ~ eps^(1/3) scaled to y and v), so V is the RK4 solution of the augmented system. Every `renorm_every` steps (and after the last step) V is re-orthonormalised by
    Gram-Schmidt (Benettin's method) and the logs of R's diagonal are accumulated; pass
    renorm_every > n_steps to get the plain fundamental matrix (monodromy) back in V.
    With k = 0 only y is integrated (a transient).
    Returns (status, t, y, V, logsum, hist_t, hist_logsum, n_hist).
    """
    n = y0.size
    k = Q0.shape[1]
    y = y0.copy()
    V = Q0.copy()
    y2 = np.empty(n)
    k1 = np.empty(n)
    k2 = np.empty(n)
    k3 = np.empty(n)
    k4 = np.empty(n)
    V2 = np.empty((n, k))
    K1 = np.empty((n, k))
    K2 = np.empty((n, k))
    K3 = np.empty((n, k))
    K4 = np.empty((n, k))
    nj = n if _HAS_JAC else 0
    J = np.empty((nj, nj))
    yp = np.empty(n)
    fp = np.empty(n)
    fm = np.empty(n)
    logsum = np.zeros(k)
    m = n_steps // renorm_every + 2 if k > 0 else 1
    hist_t = np.empty(m)
    hist_l = np.empty((m, k))
    n_hist = 0
    t = t0
    h = dt
    for s in range(n_steps):
        rhs(t, y, p, k1)
        if k > 0:
            _tangent(t, y, V, p, J, yp, fp, fm, K1)
        for i in range(n):
            y2[i] = y[i] + 0.5 * h * k1[i]
        for i in range(n):
            for c in range(k):
                V2[i, c] = V[i, c] + 0.5 * h * K1[i, c]
        rhs(t + 0.5 * h, y2, p, k2)
        if k > 0:
            _tangent(t + 0.5 * h, y2, V2, p, J, yp, fp, fm, K2)
        for i in range(n):
            y2[i] = y[i] + 0.5 * h * k2[i]
        for i in range(n):
            for c in range(k):
                V2[i, c] = V[i, c] + 0.5 * h * K2[i, c]
        rhs(t + 0.5 * h, y2, p, k3)
        if k > 0:
            _tangent(t + 0.5 * h, y2, V2, p, J, yp, fp, fm, K3)
        for i in range(n):
            y2[i] = y[i] + h * k3[i]
        for i in range(n):
            for c in range(k):
                V2[i, c] = V[i, c] + h * K3[i, c]
        rhs(t + h, y2, p, k4)
        if k > 0:
            _tangent(t + h, y2, V2, p, J, yp, fp, fm, K4)
        finite = True
        for i in range(n):
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            if not math.isfinite(y[i]):
                finite = False
            for c in range(k):
                V[i, c] += h / 6.0 * (K1[i, c] + 2.0 * K2[i, c] + 2.0 * K3[i, c] + K4[i, c])
                if not math.isfinite(V[i, c]):
                    finite = False
        # t from the step count, not summed, so rounding does not drift over 1e5 steps
        t = t0 + (s + 1) * dt
        if not finite:
            return NON_FINITE, t, y, V, logsum, hist_t, hist_l, n_hist
        if k > 0 and ((s + 1) % renorm_every == 0) and renorm_every <= n_steps:
            gram_schmidt(V, logsum)
            hist_t[n_hist] = t
            hist_l[n_hist, :] = logsum
            n_hist += 1
    if k > 0 and renorm_every <= n_steps and n_steps % renorm_every != 0:
        gram_schmidt(V, logsum)
        hist_t[n_hist] = t
        hist_l[n_hist, :] = logsum
        n_hist += 1
    return SUCCESS, t, y, V, logsum, hist_t, hist_l, n_hist
