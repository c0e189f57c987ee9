# Compiled integration loops for ONE right-hand-side kernel and ONE method.
#
# This file is a template: solvers._codegen reads it as text, writes a copy per (kernel, method)
# into the neurodyn code cache and imports that copy with the globals `rhs`, `jac`, `CACHE`,
# `BOUNDSCHECK` and the method's tableau (TA, TC, TB, TE, TP) injected. Numba's on-disk cache
# is only hit when a module-level function reaches its kernel as a global of a real file (a
# kernel passed as an argument or captured in a closure is recompiled in every process), hence
# one generated module per kernel.
#
# No slice assignment (`out[k, :] = y`) anywhere: Numba 0.68 compiles a shape-checking error
# path with string formatting for each, which cost 4 s of a 9 s cold first solve (measured).
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
# solve(..., debug=True): every array access of the loops and of the inlined kernels checked.
BOUNDSCHECK = globals().get("BOUNDSCHECK", False)
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


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def eval_rhs(t, y, p):
    out = np.empty_like(y)
    rhs(t, y, p, out)
    return out


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def eval_jac(t, y, p):
    J = np.zeros((y.size, y.size))
    jac(t, y, p, J)
    return J


# For SciPy's implicit solvers, which call the RHS once per evaluation from Python: the output
# is allocated by NumPy, not returned from compiled code (Numba-allocated arrays made W7's
# Radau and BDF runs 4 % slower than SciPy with a NumPy RHS; filled NumPy arrays are at par).
@numba.njit(cache=CACHE, boundscheck=BOUNDSCHECK)
def rhs_into(p, t, y, out):
    """out = f(t, y); returns whether every entry is finite (checked here, in compiled code:
    a NumPy check per call cost a third of W7's LSODA time)."""
    rhs(t, y, p, out)
    for i in range(out.size):
        if not math.isfinite(out[i]):
            return False
    return True


@numba.njit(cache=CACHE, boundscheck=BOUNDSCHECK)
def jac_into(p, t, y, J):
    jac(t, y, p, J)
    for i in range(J.shape[0]):
        for j in range(J.shape[1]):
            if not math.isfinite(J[i, j]):
                return False
    return True


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _scaled_rms(v, y, atol, rtol):
    acc = 0.0
    for i in range(v.size):
        r = v[i] / (atol[i] + rtol * abs(y[i]))
        acc += r * r
    return math.sqrt(acc / v.size)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _first_step_trial(t0, y0, f0, t1, rtol, atol, ytmp, dirn):
    # Hairer, Norsett & Wanner, Solving ODEs I, II.4: size h so that the first step's
    # local error of an explicit Euler step is about 0.01 in the scaled norm, then correct for
    # the method's order (in _first_step_size). Returns the trial step h0 and leaves the
    # Euler point y0 + h0 f0 in ytmp; the caller evaluates f there (one evaluation).
    d0 = _scaled_rms(y0, y0, atol, rtol)
    d1 = _scaled_rms(f0, y0, atol, rtol)
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    if h0 > abs(t1 - t0):
        h0 = abs(t1 - t0)
    for i in range(y0.size):
        ytmp[i] = y0[i] + dirn * h0 * f0[i]
    return h0


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _first_step_size(t0, y0, f0, f_trial, h0, t1, rtol, atol, order, hmax):
    d1 = _scaled_rms(f0, y0, atol, rtol)
    for i in range(y0.size):
        f_trial[i] = f_trial[i] - f0[i]
    d2 = _scaled_rms(f_trial, y0, atol, rtol) / h0
    if not (d2 < np.inf):
        return h0 * 1e-3
    # Conditional expressions, not min/max: each builtin overload Numba types afresh in a
    # cold process (0.2 s for a handful, measured).
    dmax = d1 if d1 > d2 else d2
    if dmax <= 1e-15:
        h1 = h0 * 1e-3 if h0 * 1e-3 > 1e-6 else 1e-6
    else:
        h1 = (0.01 / dmax) ** (1.0 / (order + 1))
    h = 100.0 * h0
    if h1 < h:
        h = h1
    if abs(t1 - t0) < h:
        h = abs(t1 - t0)
    if hmax < h:
        h = hmax
    return h


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _initial_rows(t, y, t_eval, use_t_eval, out_t, out_y, dirn):
    # The output rows known before any evaluation (t_eval entries at t0, or the first row);
    # written first, so a kernel that fails on its first call still returns them.
    n_out = 0
    if use_t_eval:
        while n_out < t_eval.size and dirn * (t_eval[n_out] - t) <= 0.0:
            for i in range(y.size):
                out_y[n_out, i] = y[i]
            n_out += 1
    else:
        out_t[0] = t
        for i in range(y.size):
            out_y[0, i] = y[i]
        n_out = 1
    return n_out


# The integration loops are resumable: every piece of state that survives a step (t, h, the
# controller's memory, counters, the FSAL stage, the output written so far) lives in arrays the
# caller owns, and each call advances at most `budget` steps. That is how a run returns to
# Python every ~0.1 s (interruption, progress) and how a kernel that raises loses nothing: the
# arrays hold the last accepted step. State is written back after every step, never mid-step.
#
# sf (float64): SF_T t, SF_H h (a magnitude), SF_ERR the previous accepted error (PI
#               controller), SF_DIR +1.0 forward in time, -1.0 backward
# si (int64):   SI_STATUS, SI_NOUT rows of output written, SI_NFEV, SI_NACC, SI_NREJ,
#               SI_FLAGS (bit 0: last step rejected, bit 1: last error non-finite),
#               SI_STARTED (0 until f(t0, y0) and the first step size are known),
#               SI_NEV events recorded, SI_NDENSE dense-output segments stored
RUNNING = 1      # the step budget of this call is spent; call again
NEED_SPACE = 2   # an output buffer (steps, dense segments, events) is full; grow, call again
EVENT_STOP = 3   # a terminal event ended the run (Solution status 1)
SF_T = 0
SF_H = 1
SF_ERR = 2
SF_DIR = 3
SI_STATUS = 0
SI_NOUT = 1
SI_NFEV = 2
SI_NACC = 3
SI_NREJ = 4
SI_FLAGS = 5
SI_STARTED = 6
SI_NEV = 7
SI_NDENSE = 8

# Events: NEV kernels g(t, y, p) -> float, compiled into `eval_event(e, t, y, p)`, generated
# by solvers._codegen for modules built with events. With NEV == 0 every event branch below is
# pruned by Numba before typing, so a solve without events compiles and runs the same code as
# before events existed.
NEV = globals().get("NEV", 0)
# Extra dense-output stages (DOP853, Vern7): evaluated only in steps whose interpolant is used.
NX = globals().get("NX", 0)
# FULL: this module stores dense-output segments (solve(..., dense_output=True)) or has events.
# A plain solve gets a module with FULL = False, whose loops have that code pruned: the
# dense-segment code alone added 1.1 s to the cold compilation of W1's loop (measured).
FULL = globals().get("FULL", False) or NEV > 0
# DOP853's two error estimates (see solvers.tableaus.Tableau.E3).
HAS_E3 = globals().get("HAS_E3", False)
TE3 = globals().get("TE3")
# Event state: evf rows 0 direction, 1 g at the step start, 2 g at its end, 3 the located
# root, 4 a plane event's offset, 5.. its normal (g = normal . y - offset); evi rows 0 the
# terminal count (0: not terminal), 1 occurrences so far, 2 scratch.
EVF_DIR = 0
EVF_G = 1
EVF_GNEW = 2
EVF_ROOT = 3
EVF_OFFSET = 4
EVF_NORMAL = 5
EVI_MAX = 0
EVI_COUNT = 1
EVI_ORDER = 2


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _no_event(e, t, y, p, evf):
    return 0.0


eval_event = _no_event  # replaced by the generated one in modules built with events


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _plane_g(e, y, evf):
    # A hyperplane section normal . y = offset, its data in the run's event state: one
    # compiled event for every plane.
    acc = -evf[EVF_OFFSET, e]
    for i in range(y.size):
        acc += evf[EVF_NORMAL + i, e] * y[i]
    return acc


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def eval_events(t, y, p, evf):
    """evf[EVF_GNEW, e] = g_e(t, y) for every event: a placeholder here (every call is pruned
    when NEV == 0); modules built with events get a generated, unrolled one."""
    pass


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _interp(Q, D, y, th, out):
    # y(t + th h) = y + sum_d th^(d+1) Q[d]  (Horner)
    for i in range(y.size):
        v = Q[D - 1, i]
        for d in range(D - 2, -1, -1):
            v = v * th + Q[d, i]
        out[i] = y[i] + th * v


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _interp_row(Q, D, y, th, out, r):
    # _interp into row r of out: a row view (out[r]) built per output point cost ~5 % of W1's
    # 1000 interpolated outputs (measured).
    for i in range(y.size):
        v = Q[D - 1, i]
        for d in range(D - 2, -1, -1):
            v = v * th + Q[d, i]
        out[r, i] = y[i] + th * v


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _event_root(e, t, hs, y, Q, D, p, ga, gb, ytmp, evf):
    """The time of g_e's zero in the step [t, t + hs] (g_e(t) = ga, g_e(t + hs) = gb of
    opposite signs, or one of them zero), located on the step's interpolant by the Illinois
    variant of regula falsi to a bracket of a few ulps of t. Returns the bracket end on the
    side of the step's start: restarting a run from there does not see the crossing again."""
    if ga == 0.0:
        return t
    if gb == 0.0:
        return t + hs
    a = 0.0
    b = 1.0
    side = 0
    tol = 4.0 * _EPS * (abs(t) + abs(hs)) / abs(hs)
    for it in range(200):
        if b - a <= tol:
            break
        if it < 100:
            c = (a * gb - b * ga) / (gb - ga)
            if not (c > a and c < b):
                c = 0.5 * (a + b)
        else:
            c = 0.5 * (a + b)  # never seen needed; bisection bounds the iteration count
        _interp(Q, D, y, c, ytmp)
        gc = eval_event(e, t + c * hs, ytmp, p, evf)
        if gc == 0.0:
            return t + c * hs
        if (gc > 0.0) == (gb > 0.0):
            b = c
            gb = gc
            if side == -1:
                ga *= 0.5
            side = -1
        else:
            a = c
            ga = gc
            if side == 1:
                gb *= 0.5
            side = 1
    return t + a * hs


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _is_active(evf, e):
    """Whether event e changed sign over the step (SciPy's rule: g <= 0 <= g_new up,
    g >= 0 >= g_new down, filtered by direction)."""
    g = evf[EVF_G, e]
    gn = evf[EVF_GNEW, e]
    up = g <= 0.0 and gn >= 0.0
    down = g >= 0.0 and gn <= 0.0
    d = evf[EVF_DIR, e]
    return (up and d > 0.0) or (down and d < 0.0) or ((up or down) and d == 0.0)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _active_events(evf):
    """Whether any event changed sign over the step."""
    for e in range(NEV):
        if _is_active(evf, e):
            return True
    return False


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _locate_events(t, hs, y, Q, D, p, evf, evi, ytmp, ev_t, ev_i, ev_y, si):
    """Locate and record the crossings of the step [t, t + hs] (its interpolant in Q).
    Returns the time where a terminal event ends the run, or NaN. As SciPy: every active
    event's occurrence count goes up; if one reaches its terminal count, the crossings are
    ordered in time and those after the first terminal one are dropped."""
    n_act = 0
    terminate = False
    for e in range(NEV):
        if _is_active(evf, e):
            evf[EVF_ROOT, e] = _event_root(e, t, hs, y, Q, D, p, evf[EVF_G, e],
                                           evf[EVF_GNEW, e], ytmp, evf)
            evi[EVI_COUNT, e] += 1
            if evi[EVI_MAX, e] > 0 and evi[EVI_COUNT, e] >= evi[EVI_MAX, e]:
                terminate = True
            evi[EVI_ORDER, n_act] = e
            n_act += 1
    t_stop = np.nan
    if terminate:
        # insertion sort of the active events by crossing time, in the direction of time
        for a in range(1, n_act):
            e = evi[EVI_ORDER, a]
            key = evf[EVF_ROOT, e] * (1.0 if hs > 0.0 else -1.0)
            b = a - 1
            while b >= 0 and evf[EVF_ROOT, evi[EVI_ORDER, b]] * (1.0 if hs > 0.0 else -1.0) \
                    > key:
                evi[EVI_ORDER, b + 1] = evi[EVI_ORDER, b]
                b -= 1
            evi[EVI_ORDER, b + 1] = e
        for a in range(n_act):
            e = evi[EVI_ORDER, a]
            if evi[EVI_MAX, e] > 0 and evi[EVI_COUNT, e] >= evi[EVI_MAX, e]:
                n_act = a + 1
                t_stop = evf[EVF_ROOT, e]
                break
    k = si[SI_NEV]
    for a in range(n_act):
        e = evi[EVI_ORDER, a]
        tr = evf[EVF_ROOT, e]
        ev_t[k] = tr
        ev_i[k] = e
        _interp(Q, D, y, (tr - t) / hs, ytmp)
        for i in range(y.size):
            ev_y[k, i] = ytmp[i]
        k += 1
    si[SI_NEV] = k
    return t_stop


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _full_buffers(dense, nd, dn_t, ev_t, si):
    # Before a step: no room for its dense segment, or for a crossing of every event.
    if dense and nd == dn_t.size:
        return True
    return NEV > 0 and ev_t.size - si[SI_NEV] < NEV


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _events_start(t, y, p, evf):
    # g at the run's start: the reference for the first step's sign changes.
    eval_events(t, y, p, evf)
    for e in range(NEV):
        evf[EVF_G, e] = evf[EVF_GNEW, e]


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _store_dense(t, hs, y, Q, D, dn_t, dn_h, dn_c, nd):
    dn_t[nd] = t
    dn_h[nd] = hs
    for i in range(y.size):
        dn_c[nd, 0, i] = y[i]
    for d in range(D):
        for i in range(y.size):
            dn_c[nd, d + 1, i] = Q[d, i]


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def rk_adaptive(t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, p, error_order, safety,
                facmin, facmax, beta, sf, si, y, K, W, out_t, out_y, budget, dense, dn_t,
                dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y):
    """Embedded FSAL Runge-Kutta pair with PI step control, dense output at t_eval, dense
    segments (``dense``) and events, forward or backward in time (sf[SF_DIR]).

    Advances the run held in (sf, si, y, K, out_t, out_y) by at most `budget` steps; K[0]
    holds f(t, y); W (D + 4 rows of n) is scratch: the dense-output coefficients, y_new, the
    stage input and the two error vectors (allocated by the caller: np.empty in compiled code
    cost 0.25 s of cold compilation). Returns the status (also left in si): RUNNING or
    NEED_SPACE to be called again, else final (SUCCESS, EVENT_STOP or negative).

    The kernel is called from ONE place: f(t0, y0), the first-step heuristic's trial
    evaluation, the stages and the extra dense-output stages all go through it (`phase` and
    `s` say which). Numba inlines the kernel at every call site, and each copy is optimised by
    LLVM anew: three sites cost 1.3 s of a 4.8 s cold first W1 solve (measured).
    """
    A = TA
    C = TC
    E = TE
    P = TP
    n = y.size
    S = C.size - NX
    SX = C.size
    D = P.shape[1]
    Q = W
    ynew = W[D]
    ytmp = W[D + 1]
    errv = W[D + 2]
    errv3 = W[D + 3]
    m = out_t.size
    t = sf[SF_T]
    h = sf[SF_H]
    err_old = sf[SF_ERR]
    dirn = sf[SF_DIR]
    n_out = si[SI_NOUT]
    nfev = si[SI_NFEV]
    nacc = si[SI_NACC]
    nrej = si[SI_NREJ]
    nd = si[SI_NDENSE]
    rejected_last = (si[SI_FLAGS] & 1) != 0
    last_nonfinite = (si[SI_FLAGS] & 2) != 0
    # phase 0: f(t0, y0) is needed; 1: the first-step trial evaluation; 2: stepping
    phase = si[SI_STARTED]
    if phase == 0:
        n_out = _initial_rows(t, y, t_eval, use_t_eval, out_t, out_y, dirn)
        si[SI_NOUT] = n_out

    # PI controller (Gustafsson; Hairer's DOPRI5 constants): alpha from the error order,
    # beta weighs the previous accepted error to damp oscillating step sizes.
    alpha = 1.0 / (error_order + 1) - 0.75 * beta
    status = SUCCESS
    taken = 0
    h0 = 0.0
    hs = 0.0
    last = False
    fac = 1.0
    err = 0.0
    t_new = t
    ev_done = False
    s = 1  # the stage evaluated next
    while True:
        if phase == 2:
            if s == 1:
                # A new step: stop here if the run is over or this call's share is done.
                if not dirn * (t1 - t) > 0.0:
                    break
                if nacc + nrej >= max_steps:
                    status = MAX_STEPS
                    break
                if taken >= budget:
                    status = RUNNING
                    break
                if not use_t_eval and n_out == m:
                    status = NEED_SPACE
                    break
                if FULL:
                    if _full_buffers(dense, nd, dn_t, ev_t, si):
                        status = NEED_SPACE
                        break
                taken += 1
                if h > hmax:
                    h = hmax
                last = False
                rem = dirn * (t1 - t)
                # Stretch a step by up to 1 % to land on t1 (no sliver of a last step), but
                # never past max_step.
                if 1.01 * h >= rem and rem <= hmax:
                    h = rem
                    last = True
                elif h >= rem:
                    h = rem
                    last = True
                if h <= 10.0 * _EPS * (abs(t) if abs(t) > 1e-300 else 1e-300):
                    status = NON_FINITE if last_nonfinite else STEP_UNDERFLOW
                    break
                hs = dirn * h
            # Stage sums run over i innermost (contiguous, vectorisable) and skip the
            # tableau's zeros: for large n these loops are the only work beside the kernel.
            dst = ynew if s == S - 1 else ytmp
            for i in range(n):
                dst[i] = 0.0
            for j in range(s):
                a = A[s, j]
                if a != 0.0:
                    for i in range(n):
                        dst[i] += a * K[j, i]
            for i in range(n):
                dst[i] = y[i] + hs * dst[i]
            tc = t + C[s] * hs
            src = dst
            res = K[s]
        elif phase == 0:
            tc = t
            src = y
            res = K[0]
        else:
            h0 = _first_step_trial(t, y, K[0], t1, rtol, atol, ytmp, dirn)
            tc = t + dirn * h0
            src = ytmp
            res = errv
        rhs(tc, src, p, res)
        nfev += 1
        if phase == 0:
            si[SI_NFEV] = nfev
            for i in range(n):
                if not math.isfinite(K[0, i]):
                    si[SI_STATUS] = NON_FINITE
                    return NON_FINITE
            if NEV > 0:
                _events_start(t, y, p, evf)
            phase = 1 if h <= 0.0 else 2
            si[SI_STARTED] = phase
            continue
        if phase == 1:
            h = _first_step_size(t, y, K[0], errv, h0, t1, rtol, atol, error_order, hmax)
            phase = 2
            sf[SF_H] = h
            si[SI_NFEV] = nfev
            si[SI_STARTED] = 2
            continue
        if s < S - 1:
            s += 1
            continue
        accept = True
        if s == S - 1:
            # The step's last main stage: the error test.
            for i in range(n):
                errv[i] = 0.0
            for q in range(S):
                e = E[q]
                if e != 0.0:
                    for i in range(n):
                        errv[i] += e * K[q, i]
            if HAS_E3:
                for i in range(n):
                    errv3[i] = 0.0
                for q in range(S):
                    e = TE3[q]
                    if e != 0.0:
                        for i in range(n):
                            errv3[i] += e * K[q, i]
                e5 = 0.0
                e3 = 0.0
                for i in range(n):
                    ya = abs(y[i])
                    yb = abs(ynew[i])
                    sc = atol[i] + rtol * (ya if ya > yb else yb)
                    r5 = errv[i] / sc
                    r3 = errv3[i] / sc
                    e5 += r5 * r5
                    e3 += r3 * r3
                if e5 == 0.0 and e3 == 0.0:
                    err = 0.0
                else:
                    err = h * e5 / math.sqrt((e5 + 0.01 * e3) * n)
            else:
                errsum = 0.0
                for i in range(n):
                    ya = abs(y[i])
                    yb = abs(ynew[i])
                    r = h * errv[i] / (atol[i] + rtol * (ya if ya > yb else yb))
                    errsum += r * r
                err = math.sqrt(errsum / n)
            if not (err < np.inf):
                # A non-finite stage means the step went too far (or the solution blew up):
                # shrink hard and retry; if that underflows, the run stops with NON_FINITE.
                last_nonfinite = True
                rejected_last = True
                nrej += 1
                h *= facmin
                accept = False
            elif err <= 1.0:
                last_nonfinite = False
                t_new = t1 if last else t + hs
                if err == 0.0:
                    fac = facmax
                else:
                    fac = safety * err ** (-alpha) * err_old ** beta
                    if fac < facmin:
                        fac = facmin
                    if fac > facmax:
                        fac = facmax
                if rejected_last and fac > 1.0:
                    fac = 1.0
                err_old = err if err > 1e-4 else 1e-4
                rejected_last = False
                if NX > 0:
                    # Extra stages only where the interpolant is used in this step.
                    need = (FULL and dense) or (use_t_eval and n_out < m
                                     and dirn * (t_eval[n_out] - t_new) <= 0.0)
                    if NEV > 0 and not need:
                        eval_events(t_new, ynew, p, evf)
                        ev_done = True
                        need = _active_events(evf)
                    if need:
                        s = S
                        continue
            else:
                last_nonfinite = False
                nrej += 1
                fac = safety * err ** (-1.0 / (error_order + 1))
                h *= fac if fac > facmin else facmin
                rejected_last = True
                accept = False
        elif s < SX - 1:
            s += 1  # the next extra dense-output stage
            continue
        s = 1
        if accept:
            # Q[d] = hs sum_s P[s, d] k_s, then y(theta) = y + sum_d theta^(d+1) Q[d]; only
            # in steps that use it (output inside the step, dense segments, events).
            # One call site per helper: each inlined copy is optimised by LLVM anew (cold
            # start), so Q is computed in one place for every use.
            have_output = use_t_eval and n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0
            have_q = False
            ev_active = False
            if NEV > 0:
                if not ev_done:
                    eval_events(t_new, ynew, p, evf)
                ev_done = False
                ev_active = _active_events(evf)
            if FULL:
                if dense:
                    have_q = True
            if have_output or have_q or ev_active:
                _dense_coefficients(K, hs, Q, n)
            if NEV > 0:
                if ev_active:
                    t_stop = _locate_events(t, hs, y, Q, D, p, evf, evi, ytmp, ev_t, ev_i,
                                            ev_y, si)
                    if not math.isnan(t_stop):
                        status = EVENT_STOP
                        t_new = t_stop
                        _interp(Q, D, y, (t_stop - t) / hs, ynew)
                for e in range(NEV):
                    evf[EVF_G, e] = evf[EVF_GNEW, e]
            if have_output:
                while n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0:
                    if t_eval[n_out] == t_new:
                        for i in range(n):
                            out_y[n_out, i] = ynew[i]
                    else:
                        _interp_row(Q, D, y, (t_eval[n_out] - t) / hs, out_y, n_out)
                    n_out += 1
            if FULL:
                if dense:
                    _store_dense(t, hs, y, Q, D, dn_t, dn_h, dn_c, nd)
                    nd += 1
            t = t_new
            for i in range(n):
                y[i] = ynew[i]
                K[0, i] = K[S - 1, i]
            nacc += 1
            if not use_t_eval:
                out_t[n_out] = t
                for i in range(n):
                    out_y[n_out, i] = y[i]
                n_out += 1
            h *= fac
        # Written back after every step, so an exception in the next one loses nothing.
        sf[SF_T] = t
        sf[SF_H] = h
        sf[SF_ERR] = err_old
        si[SI_NOUT] = n_out
        si[SI_NFEV] = nfev
        si[SI_NACC] = nacc
        si[SI_NREJ] = nrej
        si[SI_NDENSE] = nd
        si[SI_FLAGS] = (1 if rejected_last else 0) + (2 if last_nonfinite else 0)
        if NEV > 0:
            if status == EVENT_STOP:
                break
    sf[SF_H] = h
    si[SI_NFEV] = nfev
    si[SI_STATUS] = status
    return status


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _dense_coefficients(K, hs, Q, n):
    # Q[d] = hs sum_s P[s, d] k_s over every stage (extra ones included). The tableau is read
    # as a global: its zeros and sizes are constants of the machine code. Not inlined: as a
    # separate function it cost 0.3 s of a cold first solve, inlined 0.6 s (measured).
    P = TP
    D = P.shape[1]
    SX = P.shape[0]
    for d in range(D):
        for i in range(n):
            Q[d, i] = 0.0
        for q in range(SX):
            c = P[q, d]
            if c != 0.0:
                c *= hs
                for i in range(n):
                    Q[d, i] += c * K[q, i]


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _hermite_coefficients(y, ynew, f0, f1, hs, Q):
    # Cubic Hermite on [t, t + hs] in the form y + th Q0 + th^2 Q1 + th^3 Q2.
    for i in range(y.size):
        dlt = ynew[i] - y[i]
        a = hs * f0[i]
        b = hs * f1[i]
        Q[0, i] = a
        Q[1, i] = 3.0 * dlt - 2.0 * a - b
        Q[2, i] = a + b - 2.0 * dlt


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def rk_fixed(t0, t1, dt, n_steps, t_eval, use_t_eval, p, sf, si, y, K, W, out_t, out_y,
             budget, dense, dn_t, dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y):
    """Explicit Runge-Kutta with a fixed step dt (signed: negative integrates backward; the
    last step ends exactly at t1).

    Output at t_eval, dense segments and event location by cubic Hermite interpolation
    between steps (f at both ends is the stage-1 evaluation of the neighbouring steps, so it
    costs nothing). Resumable like rk_adaptive: si[SI_NACC] counts the steps taken, K[0] holds
    f(t, y); W (6 rows of n) is scratch; out_t/out_y have a row for every step when
    use_t_eval is False. Runs until step n_steps (or the budget). One kernel call site, as in
    rk_adaptive.
    """
    A = TA
    C = TC
    B = TB
    n = y.size
    S = C.size
    ynew = W[0]
    ytmp = W[1]
    f_new = W[2]
    Q = W[3:6]
    m = out_t.size
    dirn = 1.0 if dt > 0.0 else -1.0
    t = sf[SF_T]
    n_out = si[SI_NOUT]
    nfev = si[SI_NFEV]
    k = si[SI_NACC]
    nd = si[SI_NDENSE]
    phase = si[SI_STARTED]  # 0: f(t0, y0) is needed; 1: stepping
    if phase == 0:
        n_out = _initial_rows(t, y, t_eval, use_t_eval, out_t, out_y, dirn)
        si[SI_NOUT] = n_out
    status = SUCCESS
    taken = 0
    s = 1  # the stage evaluated next; s == S: f at the end of the step
    t_new = t
    h = 0.0
    while True:
        if phase == 0:
            tc = t
            src = y
            res = K[0]
        else:
            if s == 1:
                if not k < n_steps:
                    break
                if taken >= budget:
                    status = RUNNING
                    break
                if FULL:
                    if _full_buffers(dense, nd, dn_t, ev_t, si):
                        status = NEED_SPACE
                        break
                taken += 1
                t_new = t1 if k == n_steps - 1 else t0 + (k + 1) * dt
                h = t_new - t
            if s < S:
                for i in range(n):
                    acc = 0.0
                    for j in range(s):
                        acc += A[s, j] * K[j, i]
                    ytmp[i] = y[i] + h * acc
                tc = t + C[s] * h
                src = ytmp
                res = K[s]
            else:
                finite = True
                for i in range(n):
                    acc = 0.0
                    for q in range(S):
                        acc += B[q] * K[q, i]
                    ynew[i] = y[i] + h * acc
                    if not math.isfinite(ynew[i]):
                        finite = False
                if not finite:
                    status = NON_FINITE
                    break
                tc = t_new
                src = ynew
                res = f_new
        rhs(tc, src, p, res)
        nfev += 1
        if phase == 0:
            si[SI_NFEV] = nfev
            for i in range(n):
                if not math.isfinite(K[0, i]):
                    si[SI_STATUS] = NON_FINITE
                    return NON_FINITE
            if NEV > 0:
                _events_start(t, y, p, evf)
            phase = 1
            si[SI_STARTED] = 1
            continue
        if s < S:
            s += 1
            continue
        s = 1
        finite = True
        for i in range(n):
            if not math.isfinite(f_new[i]):
                finite = False
        have_q = False
        if NEV > 0:
            eval_events(t_new, ynew, p, evf)
            if _active_events(evf):
                _hermite_coefficients(y, ynew, K[0], f_new, h, Q)
                have_q = True
                t_stop = _locate_events(t, h, y, Q, 3, p, evf, evi, ytmp, ev_t, ev_i, ev_y,
                                        si)
                if not math.isnan(t_stop):
                    status = EVENT_STOP
                    t_new = t_stop
                    _interp(Q, 3, y, (t_stop - t) / h, ynew)
            for e in range(NEV):
                evf[EVF_G, e] = evf[EVF_GNEW, e]
        if use_t_eval:
            while n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0:
                if t_eval[n_out] == t_new:
                    for i in range(n):
                        out_y[n_out, i] = ynew[i]
                else:
                    if not have_q:
                        _hermite_coefficients(y, ynew, K[0], f_new, h, Q)
                        have_q = True
                    _interp_row(Q, 3, y, (t_eval[n_out] - t) / h, out_y, n_out)
                n_out += 1
        else:
            out_t[n_out] = t_new
            for i in range(n):
                out_y[n_out, i] = ynew[i]
            n_out += 1
        if FULL:
            if dense:
                if not have_q:
                    _hermite_coefficients(y, ynew, K[0], f_new, h, Q)
                _store_dense(t, h, y, Q, 3, dn_t, dn_h, dn_c, nd)
                nd += 1
        t = t_new
        for i in range(n):
            y[i] = ynew[i]
            K[0, i] = f_new[i]
        k += 1
        sf[SF_T] = t
        si[SI_NOUT] = n_out
        si[SI_NFEV] = nfev
        si[SI_NACC] = k
        si[SI_NDENSE] = nd
        if not finite:
            status = NON_FINITE
            break
        if NEV > 0:
            if status == EVENT_STOP:
                break
    si[SI_NFEV] = nfev
    si[SI_STATUS] = status
    return status


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
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


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
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


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
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
            for c in range(k):
                hist_l[n_hist, c] = logsum[c]
            n_hist += 1
    if k > 0 and renorm_every <= n_steps and n_steps % renorm_every != 0:
        gram_schmidt(V, logsum)
        hist_t[n_hist] = t
        for c in range(k):
            hist_l[n_hist, c] = logsum[c]
        n_hist += 1
    return SUCCESS, t, y, V, logsum, hist_t, hist_l, n_hist
