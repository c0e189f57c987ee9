# Compiled stiff integration loops: Rodas5P (a Rosenbrock method) and, appended after this
# file by solvers._codegen, Radau IIA of order 5 (_radau_loops.py).
#
# A template continuation: solvers._codegen appends this text to _ode_loops.py's for the stiff
# methods, so the loops below share that file's output, dense-output and event helpers
# (_initial_rows, _interp_row, _locate_events, _store_dense, ...), its resumable-run
# conventions (sf/si, RUNNING, NEED_SPACE, the state written back after every step) and its
# injected globals (rhs, jac, CACHE, BOUNDSCHECK, NEV, FULL). Everything here is
# allocation-free per step: the caller owns every array.
#
# Extra run state of the stiff loops (their sf and si are longer than the explicit loops'):
#   sf[SF_HACC]  the previous accepted step (Gustafsson's predictive controller)
#   si[SI_NJEV]  Jacobian evaluations, si[SI_NLU] LU factorisations
#   SI_FLAGS bit 2: f(t, y) is in the f0 row; bit 3: J (and df/dt) are current at (t, y)
SF_HACC = 4
SF_STIFF_SIZE = 8
SI_NJEV = 10
SI_NLU = 11
SI_NSING = 12
SI_STIFF_SIZE = 14
FAILED = -4
_F0_OK = 4
_J_OK = 8
# Consecutive singular iteration matrices (each halving h) before a run gives up.
MAX_SINGULAR = 6
# Large sparse Jacobians (all three methods): a system of at least SPARSE_MIN_N states whose first
# Jacobian has at most SPARSE_MAX_DENSITY n^2 nonzeros factors its iteration matrix with
# SuperLU (SciPy's splu, called from numba.objmode) instead of the dense LU (flag bit _SPARSE
# for the run). Measured on stiff CTRNNs: at n = 1024 on a lattice 2.2x faster than the dense
# LU, on a random graph (5 links per neuron; LU fill-in) 1.5x at n = 1000 but 0.6x at n = 300.
# Injected by solvers._codegen (NEURODYN_SPARSE_LU_MIN_N overrides the size).
SPARSE_MIN_N = globals().get("SPARSE_MIN_N", 500)
SPARSE_MAX_DENSITY = 0.1
_SPARSE = 64
_SPARSE_CHECKED = 128
sparse_lu_factor = globals().get("sparse_lu_factor")
sparse_lu_solve = globals().get("sparse_lu_solve")
sparse_lu_csolve = globals().get("sparse_lu_csolve")


@numba.njit(cache=CACHE, boundscheck=BOUNDSCHECK)
def _sparse_factor(E):
    with numba.objmode(ok="boolean"):
        ok = sparse_lu_factor(E)
    return ok


@numba.njit(cache=CACHE, boundscheck=BOUNDSCHECK)
def _sparse_solve(E, b):
    with numba.objmode():
        sparse_lu_solve(E, b)


@numba.njit(cache=CACHE, boundscheck=BOUNDSCHECK)
def _sparse_cfactor(E):
    with numba.objmode(ok="boolean"):
        ok = sparse_lu_factor(E)
    return ok


@numba.njit(cache=CACHE, boundscheck=BOUNDSCHECK)
def _sparse_csolve(E, br, bi):
    # (br + i bi) = E^-1 (br + i bi) for a complex E (radau5's second matrix)
    with numba.objmode():
        sparse_lu_csolve(E, br, bi)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _use_sparse(J):
    """Whether a run with this (first) Jacobian should factor with SuperLU."""
    n = J.shape[0]
    if n < SPARSE_MIN_N:
        return False
    nnz = 0
    for i in range(n):
        for j in range(n):
            if J[i, j] != 0.0 or i == j:
                nnz += 1
    return nnz <= SPARSE_MAX_DENSITY * n * n


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _no_jac(t, y, p, J):
    pass


# A kernel that never reads its t argument (checked on its bytecode by solvers._codegen) has
# df/dt = 0: Rodas5P then saves the finite difference in t, one f evaluation per step.
AUTONOMOUS = globals().get("AUTONOMOUS", False)
# The model's analytic Jacobian kernel, or none (then a compiled finite difference).
jac_k = jac if jac is not None else _no_jac
HAS_JAC = jac is not None


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _feval(t, y, p, out):
    # The one place the stiff loops call the kernel: inlined here once, not at each call
    # site (each inlined copy is compiled anew; the call costs little beside an LU solve).
    rhs(t, y, p, out)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _stiff_jacobian(t, y, f0, p, J, ytmp, ftmp):
    """J = df/dy at (t, y): the analytic kernel, or forward differences (Hairer's increment
    sqrt(eps max(1e-5, |y_j|))). Returns the number of f evaluations it took."""
    n = y.size
    if HAS_JAC:
        for i in range(n):
            for j in range(n):
                J[i, j] = 0.0
        jac_k(t, y, p, J)
        return 0
    for i in range(n):
        ytmp[i] = y[i]
    for j in range(n):
        yj = y[j]
        a = abs(yj)
        d = math.sqrt(_EPS * (a if a > 1e-5 else 1e-5))
        ytmp[j] = yj + d
        d = ytmp[j] - yj  # the increment as represented
        _feval(t, ytmp, p, ftmp)
        for i in range(n):
            J[i, j] = (ftmp[i] - f0[i]) / d
        ytmp[j] = yj
    return n


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _lu_factor(A, piv):
    """In-place LU with partial pivoting (row-major, rows swapped whole; the diagonal holds the
    reciprocals of U's pivots). False if a pivot is zero or not finite: the matrix is
    singular to working precision."""
    n = A.shape[0]
    for k in range(n):
        r = k
        amax = abs(A[k, k])
        for i in range(k + 1, n):
            v = abs(A[i, k])
            if v > amax:
                amax = v
                r = i
        piv[k] = r
        if not (amax > 0.0 and amax < np.inf):
            return False
        if r != k:
            for j in range(n):
                tmp = A[k, j]
                A[k, j] = A[r, j]
                A[r, j] = tmp
        inv = 1.0 / A[k, k]
        for i in range(k + 1, n):
            l = A[i, k] * inv
            A[i, k] = l
            if l != 0.0:
                for j in range(k + 1, n):
                    A[i, j] -= l * A[k, j]
        # the pivot's reciprocal in its place: each of the many solves per factorisation
        # then multiplies instead of dividing
        A[k, k] = inv
    return True


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _lu_solve(A, piv, b):
    """b = A^-1 b for A factored by _lu_factor."""
    n = A.shape[0]
    for k in range(n):
        r = piv[k]
        if r != k:
            tmp = b[k]
            b[k] = b[r]
            b[r] = tmp
    for i in range(n):
        s = b[i]
        for j in range(i):
            s -= A[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= A[i, j] * b[j]
        b[i] = s * A[i, i]


# Rosenbrock methods in the W-transformed form of OrdinaryDiffEq's Rodas family:
# (I/(h gamma) - J) k_s = f(t + c_s h, u_s) + d_s h df/dt + sum_j (C_sj / h) k_j, with
# u_s = y + sum_j a_sj k_j for s < NA and u_{s+1} = u_s + k_s after that; y_new = u_S + k_S,
# whose last increment k_S is the error estimate (the embedded solution is y_new - k_S). Dense
# output: y(θ) = (1-θ) y + θ (y_new + (1-θ)(h_1 + θ (h_2 + ...))), h_r = sum_j H_rj k_j.
# The method's coefficients are injected by solvers._codegen (solvers.tableaus, "rodas5p" and
# "rodas4"): ROS_A (NA, S-1), ROS_C (S, S-1), ROS_CT (S,), ROS_D (S,), ROS_H (R, S),
# ROS_GAMMA, ROS_NA, ROS_EXPO = 1 / (order of the error estimate + 1), ROS_Q that order.
ROS_A = globals().get("ROS_A")
ROS_C = globals().get("ROS_C")
ROS_CT = globals().get("ROS_CT")
ROS_D = globals().get("ROS_D")
ROS_H = globals().get("ROS_H")
ROS_GAMMA = globals().get("ROS_GAMMA", 0.25)
ROS_NA = globals().get("ROS_NA", 0)
ROS_EXPO = globals().get("ROS_EXPO", 0.2)
ROS_Q = globals().get("ROS_Q", 4)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _rodas_dense(K, y, ynew, Q, n):
    # Q such that y(θ) = y + sum_d θ^(d+1) Q[d] equals the interpolant above: with
    # g_r = sum_j H_rj k_j, Q[0] = y_new - y + g_0, Q[r] = g_r - g_(r-1), Q[R] = -g_(R-1).
    H = ROS_H
    R = H.shape[0]
    S = H.shape[1]
    for i in range(n):
        prev = 0.0
        for r in range(R):
            g = 0.0
            for j in range(S):
                g += H[r, j] * K[j, i]
            Q[r, i] = (ynew[i] - y[i] + g) if r == 0 else g - prev
            prev = g
        Q[R, i] = -prev


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def ros_adaptive(t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, p, safety, facmin,
                 facmax, sf, si, y, K, W, J, E, piv, out_t, out_y, budget, dense, dn_t, dn_h,
                 dn_c, evf, evi, ev_t, ev_i, ev_y):
    """A Rodas-family Rosenbrock method (Rodas5P, Rodas4) with Gustafsson's predictive
    step-size controller (Hairer's RODAS), dense output at t_eval, dense segments and
    events, forward or backward in time.

    One Jacobian (analytic or finite differences) and one df/dt (a finite difference in t)
    per accepted step, one LU of (I/(h gamma) - J) per attempt. Resumable like rk_adaptive:
    advances the run in (sf, si, y, ...) by at most `budget` steps. K (S rows of n) holds
    the stages, W (D + 6 rows: the interpolant's D, y_new, a stage's input, f(t, y), df/dt,
    a linear system's right side, a stage's f) is scratch, J and E are (n, n), piv (n,) int64.
    """
    A = ROS_A
    CC = ROS_C
    CT = ROS_CT
    DD = ROS_D
    S = CT.size
    NA = ROS_NA
    n = y.size
    D = ROS_H.shape[0] + 1
    Q = W
    ynew = W[D]
    ytmp = W[D + 1]
    f0 = W[D + 2]
    dT = W[D + 3]
    rv = W[D + 4]
    fs = W[D + 5]
    m = out_t.size
    t = sf[SF_T]
    h = sf[SF_H]
    erracc = sf[SF_ERR]
    dirn = sf[SF_DIR]
    hacc = sf[SF_HACC]
    n_out = si[SI_NOUT]
    nfev = si[SI_NFEV]
    nacc = si[SI_NACC]
    nrej = si[SI_NREJ]
    nd = si[SI_NDENSE]
    njev = si[SI_NJEV]
    nlu = si[SI_NLU]
    nsing = si[SI_NSING]
    flags = si[SI_FLAGS]
    status = SUCCESS
    if si[SI_STARTED] == 0:
        n_out = _initial_rows(t, y, t_eval, use_t_eval, out_t, out_y, dirn)
        si[SI_NOUT] = n_out
        _feval(t, y, p, f0)
        nfev += 1
        si[SI_NFEV] = nfev
        for i in range(n):
            if not math.isfinite(f0[i]):
                si[SI_STATUS] = NON_FINITE
                return NON_FINITE
        flags |= _F0_OK
        if NEV > 0:
            _events_start(t, y, p, evf)
        if h <= 0.0:
            h0 = _first_step_trial(t, y, f0, t1, rtol, atol, ytmp, dirn)
            _feval(t + dirn * h0, ytmp, p, fs)
            nfev += 1
            h = _first_step_size(t, y, f0, fs, h0, t1, rtol, atol, ROS_Q, hmax)
        si[SI_STARTED] = 2
        si[SI_FLAGS] = flags
        si[SI_NFEV] = nfev
        sf[SF_H] = h
    rejected_last = (flags & 1) != 0
    last_nonfinite = (flags & 2) != 0
    # Hairer's RODAS controller constants: h_new / h in [1/facc1, 1/facc2] = [0.2, 10]
    facc1 = 1.0 / facmin
    facc2 = 1.0 / facmax
    expo = ROS_EXPO
    taken = 0
    while True:
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
        if (flags & _F0_OK) == 0:
            _feval(t, y, p, f0)
            nfev += 1
            flags |= _F0_OK
        if (flags & _J_OK) == 0:
            nfev += _stiff_jacobian(t, y, f0, p, J, ytmp, fs)
            njev += 1
            if AUTONOMOUS:
                for i in range(n):
                    dT[i] = 0.0
            else:
                # df/dt by a forward difference in t
                a = abs(t)
                td = math.sqrt(_EPS * (a if a > 1e-5 else 1e-5))
                td = (t + td) - t
                _feval(t + td, y, p, fs)
                nfev += 1
                for i in range(n):
                    dT[i] = (fs[i] - f0[i]) / td
            flags |= _J_OK
            if (flags & _SPARSE_CHECKED) == 0:
                flags |= _SPARSE_CHECKED
                if _use_sparse(J):
                    flags |= _SPARSE
        sparse = (flags & _SPARSE) != 0
        ih = 1.0 / hs
        ig = ih / ROS_GAMMA
        for i in range(n):
            for j in range(n):
                E[i, j] = -J[i, j]
            E[i, i] += ig
        nlu += 1
        if not (_sparse_factor(E) if sparse else _lu_factor(E, piv)):
            nsing += 1
            nrej += 1
            rejected_last = True
            if nsing >= MAX_SINGULAR:
                status = FAILED
                break
            h *= 0.5
            _stiff_writeback(sf, si, t, h, erracc, hacc, n_out, nfev, nacc, nrej, nd, njev,
                             nlu, nsing, flags, rejected_last, last_nonfinite)
            continue
        nsing = 0
        finite = True
        for s in range(S):
            if s == 0:
                for i in range(n):
                    rv[i] = f0[i] + hs * DD[0] * dT[i]
            else:
                if s < NA:
                    for i in range(n):
                        ynew[i] = y[i]
                    for j in range(s):
                        a = A[s, j]
                        if a != 0.0:
                            for i in range(n):
                                ynew[i] += a * K[j, i]
                else:
                    for i in range(n):
                        ynew[i] += K[s - 1, i]
                _feval(t + CT[s] * hs, ynew, p, fs)
                nfev += 1
                dsh = hs * DD[s]
                for i in range(n):
                    rv[i] = fs[i] + dsh * dT[i]
                for j in range(s):
                    c = CC[s, j] * ih
                    for i in range(n):
                        rv[i] += c * K[j, i]
            if sparse:
                _sparse_solve(E, rv)
            else:
                _lu_solve(E, piv, rv)
            for i in range(n):
                K[s, i] = rv[i]
        errsum = 0.0
        for i in range(n):
            ynew[i] += K[S - 1, i]
            ya = abs(y[i])
            yb = abs(ynew[i])
            r = K[S - 1, i] / (atol[i] + rtol * (ya if ya > yb else yb))
            errsum += r * r
        err = math.sqrt(errsum / n)
        if not (err < np.inf):
            finite = False
        if not finite:
            last_nonfinite = True
            rejected_last = True
            nrej += 1
            h *= facmin
        elif err <= 1.0:
            last_nonfinite = False
            ep = err ** expo
            fac = ep / safety
            if fac > facc1:
                fac = facc1
            if fac < facc2:
                fac = facc2
            if nacc > 0 and hacc > 0.0:
                # Gustafsson's predictive controller (Hairer's RODAS, RADAU5); sf[SF_ERR]
                # holds the previous accepted error to the power expo (one pow per step)
                facgus = (hacc / h) * (ep * ep / erracc) / safety
                if facgus > facc1:
                    facgus = facc1
                if facgus < facc2:
                    facgus = facc2
                if facgus > fac:
                    fac = facgus
            hnew = h / fac
            if rejected_last and hnew > h:
                hnew = h
            hacc = h
            erracc = ep if err > 1e-2 else 0.01 ** expo
            rejected_last = False
            t_new = t1 if last else t + hs
            have_output = use_t_eval and n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0
            ev_active = False
            if NEV > 0:
                eval_events(t_new, ynew, p, evf)
                ev_active = _active_events(evf)
            have_q = have_output or ev_active
            if FULL:
                if dense:
                    have_q = True
            if have_q:
                _rodas_dense(K, y, ynew, Q, n)
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
            flags &= ~(_F0_OK | _J_OK)
            nacc += 1
            if not use_t_eval:
                out_t[n_out] = t
                for i in range(n):
                    out_y[n_out, i] = y[i]
                n_out += 1
            h = hnew
        else:
            last_nonfinite = False
            nrej += 1
            fac = err ** expo / safety
            if fac > facc1:
                fac = facc1
            h = h / fac
            rejected_last = True
        _stiff_writeback(sf, si, t, h, erracc, hacc, n_out, nfev, nacc, nrej, nd, njev, nlu,
                         nsing, flags, rejected_last, last_nonfinite)
        if NEV > 0:
            if status == EVENT_STOP:
                break
    _stiff_writeback(sf, si, t, h, erracc, hacc, n_out, nfev, nacc, nrej, nd, njev, nlu,
                     nsing, flags, rejected_last, last_nonfinite)
    si[SI_STATUS] = status
    return status


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _stiff_writeback(sf, si, t, h, erracc, hacc, n_out, nfev, nacc, nrej, nd, njev, nlu, nsing,
                     flags, rejected_last, last_nonfinite):
    # The run's state after every step (an exception in the next one loses nothing).
    sf[SF_T] = t
    sf[SF_H] = h
    sf[SF_ERR] = erracc
    sf[SF_HACC] = hacc
    si[SI_NOUT] = n_out
    si[SI_NFEV] = nfev
    si[SI_NACC] = nacc
    si[SI_NREJ] = nrej
    si[SI_NDENSE] = nd
    si[SI_NJEV] = njev
    si[SI_NLU] = nlu
    si[SI_NSING] = nsing
    si[SI_FLAGS] = ((flags & ~3) | (1 if rejected_last else 0)
                    | (2 if last_nonfinite else 0))
