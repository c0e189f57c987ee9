# Compiled Radau IIA of order 5 (Hairer & Wanner, Solving ODEs II, IV.8; the design of their
# Fortran code RADAU5): 3-stage collocation at c = (4-√6)/10, (4+√6)/10, 1, simplified Newton
# iterations on the transformed stage system (one real LU of (γ/h I - J), one complex LU of
# ((α + iβ)/h I - J)), RADAU5's error estimate (ESTRAD), its step-size control (Gustafsson's
# predictive controller, h held when the change would be small) and its Jacobian reuse.
#
# A template continuation of _ode_loops.py + _stiff_loops.py (see the note at the top of
# _stiff_loops.py): solvers._codegen appends this text after those two, so everything they
# define (rhs, _feval, _stiff_jacobian, _lu_factor, _lu_solve, _stiff_writeback, the output,
# dense-output and event helpers, the sf/si slots) is in scope here, and so is the complex LU
# of _complex_lu.py (appended before this file). Allocation-free per step.
#
# Complex arithmetic is written out on (real, imaginary) pairs of doubles, never with Python
# complex operators: the interpreted twin (solvers._tiers) must give the compiled loop's
# numbers bit for bit, and complex division/abs are implemented differently in CPython and
# Numba.
#
# Extra run state of radau_adaptive (beyond _stiff_loops.py's):
#   sf[SF_HOLD]   the last accepted step (magnitude): extrapolation of the Newton start
#   sf[SF_FACCON] RADAU5's FACCON, the Newton contraction estimate carried between steps
#   sf[SF_HLU]    the signed step the iteration matrices in E1, E2 were factored for
#   SI_FLAGS bit 2 (_F0_OK): f(t, y) is in the f0 row; bit 3 (_J_OK): J may be used (fresh
#   or reused); bit 4 (_RJ_FRESH): J was evaluated at the current (t, y) (RADAU5's CALJAC);
#   bit 5 (_RLU_OK): E1, E2 hold the factors of the matrices for J and sf[SF_HLU].
SF_HOLD = 5
SF_FACCON = 6
SF_HLU = 7
_RJ_FRESH = 16
_RLU_OK = 32

_SQ6 = math.sqrt(6.0)
RADAU_C1 = (4.0 - _SQ6) / 10.0
RADAU_C2 = (4.0 + _SQ6) / 10.0
# Error-estimate weights (RADAU5's DD1..DD3, divided by h at use)
RADAU_DD1 = -(13.0 + 7.0 * _SQ6) / 3.0
RADAU_DD2 = (-13.0 + 7.0 * _SQ6) / 3.0
RADAU_DD3 = -1.0 / 3.0
# Eigenvalues of A^-1 (A the Radau IIA matrix): one real, γ, and a complex pair α ± iβ.
_CBRT81 = 81.0 ** (1.0 / 3.0)
_CBRT9 = 9.0 ** (1.0 / 3.0)
_ALPH0 = (12.0 - _CBRT81 + _CBRT9) / 60.0
_BETA0 = (_CBRT81 + _CBRT9) * math.sqrt(3.0) / 60.0
_CNO = _ALPH0 * _ALPH0 + _BETA0 * _BETA0
RADAU_GAMMA = 30.0 / (6.0 + _CBRT81 - _CBRT9)
RADAU_ALPHA = _ALPH0 / _CNO
RADAU_BETA = _BETA0 / _CNO
# RADAU5's transformation: TI A^-1 T = [[γ, 0, 0], [0, α, -β], [0, β, α]] (tested against A).
RADAU_T = np.array([
    [9.1232394870892942792e-02, -0.14125529502095420843, -3.0029194105147424492e-02],
    [0.24171793270710701896, 0.20412935229379993199, 0.38294211275726193779],
    [0.96604818261509293619, 1.0, 0.0],
])
RADAU_TI = np.array([
    [4.3255798900631553510, 0.33919925181580986954, 0.54177053993587487119],
    [-4.1787185915519047273, -0.32768282076106238708, 0.47662355450055045196],
    [-0.50287263494578687595, 2.5719269498556054292, -0.59603920482822492497],
])
# Dense output: the collocation polynomial u(θ) = y + sum_{d<3} θ^(d+1) Q[d] through
# (0, y), (c1, y + z1), (c2, y + z2), (1, y + z3); Q = RADAU_V_INV z (V[i, d] = c_i^(d+1)).
RADAU_V_INV = np.linalg.inv(np.array([[RADAU_C1, RADAU_C1 ** 2, RADAU_C1 ** 3],
                                      [RADAU_C2, RADAU_C2 ** 2, RADAU_C2 ** 3],
                                      [1.0, 1.0, 1.0]]))
RADAU_D_ROWS = 3
RADAU_NIT = 7        # Newton iterations per attempt
RADAU_THET = 0.001   # θ below which the Jacobian is kept for the next step
RADAU_QUOT1 = 1.0    # h is held (no refactorisation) when h_new / h lies in [QUOT1, QUOT2]
RADAU_QUOT2 = 1.2
# RADAU5 replaces the user's tolerances by rtol' = 0.1 rtol^(2/3) (atol scaled alike): its
# error estimate is of order 3 for a method of order 5, and this makes the global error
# follow the tolerance asked for. RADAU_TOL_TRANSFORM = False would take them as given
# (SciPy's Radau does that).
RADAU_TOL_TRANSFORM = True
# Work rows of W (radau_adaptive): Q (3, persistent: it also seeds the next step's Newton
# start), f(t, y) (persistent), the transformed stages F (3), the Newton right sides R (3),
# a stage input, the error weights, y_new, the error vector, an f value, spare.
RADAU_W_ROWS = 16


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _radau_decompose(J, E1, E2, piv1, piv2, hs, sparse):
    """Factor E1 = γ/h I - J and E2 = (α + iβ)/h I - J (with SuperLU when ``sparse``). False
    if either is singular."""
    n = J.shape[0]
    fac1 = RADAU_GAMMA / hs
    alphn = RADAU_ALPHA / hs
    betan = RADAU_BETA / hs
    for i in range(n):
        for j in range(n):
            E1[i, j] = -J[i, j]
            E2[i, j] = complex(-J[i, j], 0.0)
        E1[i, i] += fac1
        E2[i, i] = complex(alphn - J[i, i], betan)
    if sparse:
        if not _sparse_factor(E1):
            return False
        return _sparse_cfactor(E2)
    if not _lu_factor(E1, piv1):
        return False
    return _clu_factor(E2, piv2)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _radau_solve1(E1, piv1, b, sparse):
    if sparse:
        _sparse_solve(E1, b)
    else:
        _lu_solve(E1, piv1, b)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _radau_error(y, f0, Z, E1, piv1, ev, fv, ynew, atol, rtol, afac, hs, second, t, p,
                 sparse):
    """RADAU5's ESTRAD: ev = E1^-1 (f0 + (dd . Z)/h), and when that is not below 1 on a first
    step or after a rejection, once more with f(t, y + ev) in place of f0 (which damps the
    stiff components of the estimate). Returns (scaled RMS error, f evaluations taken)."""
    n = y.size
    h1 = RADAU_DD1 / hs
    h2 = RADAU_DD2 / hs
    h3 = RADAU_DD3 / hs
    for i in range(n):
        fv[i] = h1 * Z[0, i] + h2 * Z[1, i] + h3 * Z[2, i]
        ev[i] = fv[i] + f0[i]
    _radau_solve1(E1, piv1, ev, sparse)
    err = _radau_norm(ev, y, ynew, atol, rtol, afac)
    nf = 0
    if err >= 1.0 and second:
        for i in range(n):
            ynew[i] = y[i] + ev[i]
        _feval(t, ynew, p, ev)
        nf = 1
        for i in range(n):
            ev[i] += fv[i]
        _radau_solve1(E1, piv1, ev, sparse)
        for i in range(n):
            ynew[i] = y[i] + Z[2, i]
        err = _radau_norm(ev, y, ynew, atol, rtol, afac)
    return err, nf


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _radau_norm(ev, y, ynew, atol, rtol, afac):
    acc = 0.0
    for i in range(y.size):
        ya = abs(y[i])
        yb = abs(ynew[i])
        r = ev[i] / (atol[i] * afac + rtol * (ya if ya > yb else yb))
        acc += r * r
    err = math.sqrt(acc / y.size)
    return err if err > 1e-10 else 1e-10


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def _radau_dense(Z, Q, n):
    # Q such that y(θ) = y + sum_d θ^(d+1) Q[d] is the collocation polynomial.
    V = RADAU_V_INV
    for i in range(n):
        z1 = Z[0, i]
        z2 = Z[1, i]
        z3 = Z[2, i]
        Q[0, i] = V[0, 0] * z1 + V[0, 1] * z2 + V[0, 2] * z3
        Q[1, i] = V[1, 0] * z1 + V[1, 1] * z2 + V[1, 2] * z3
        Q[2, i] = V[2, 0] * z1 + V[2, 1] * z2 + V[2, 2] * z3


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK, inline="always")
def _radau_writeback(sf, si, t, h, erracc, hacc, hold, faccon, hlu, n_out, nfev, nacc, nrej,
                     nd, njev, nlu, nsing, flags, rejected_last, last_nonfinite):
    sf[SF_HOLD] = hold
    sf[SF_FACCON] = faccon
    sf[SF_HLU] = hlu
    _stiff_writeback(sf, si, t, h, erracc, hacc, n_out, nfev, nacc, nrej, nd, njev, nlu, nsing,
                     flags, rejected_last, last_nonfinite)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def radau_adaptive(t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, p, safety, facmin,
                   facmax, sf, si, y, K, W, J, E1, E2, piv1, piv2, out_t, out_y, budget,
                   dense, dn_t, dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y):
    """Radau IIA of order 5 (RADAU5's design), dense output at t_eval, dense segments and
    events, forward or backward in time; the contract of ros_adaptive.

    K (3 rows of n) holds the stage increments Z (z_s = u(t + c_s h) - y), W (RADAU_W_ROWS
    rows) scratch, J (n, n) the Jacobian, E1 (n, n) float64 and E2 (n, n) complex128 the
    factored iteration matrices, piv1 and piv2 (n,) int64 their pivots. Resumable: advances
    the run in (sf, si, y, K, W, J, E1, E2, ...) by at most `budget` attempted steps.
    nlu counts one per factorisation of the (E1, E2) pair (RADAU5's NDEC).
    """
    T = RADAU_T
    TI = RADAU_TI
    NIT = RADAU_NIT
    n = y.size
    D = RADAU_D_ROWS
    Z = K
    Q = W
    f0 = W[3]
    F1 = W[4]
    F2 = W[5]
    F3 = W[6]
    R1 = W[7]
    R2 = W[8]
    R3 = W[9]
    ytmp = W[10]
    scal = W[11]
    ynew = W[12]
    ev = W[13]
    fs = W[14]
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
    if RADAU_TOL_TRANSFORM:
        rtol_i = 0.1 * rtol ** (2.0 / 3.0)
        afac = rtol_i / rtol
    else:
        rtol_i = rtol
        afac = 1.0
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
            h0 = _first_step_trial(t, y, f0, t1, rtol_i, atol, ytmp, dirn)
            _feval(t + dirn * h0, ytmp, p, fs)
            nfev += 1
            h = _first_step_size(t, y, f0, fs, h0, t1, rtol_i, atol, 3, hmax)
        si[SI_STARTED] = 2
        si[SI_FLAGS] = flags
        si[SI_NFEV] = nfev
        sf[SF_H] = h
        sf[SF_HOLD] = h
        sf[SF_FACCON] = 1.0
        sf[SF_HLU] = 0.0
    hold = sf[SF_HOLD]
    faccon = sf[SF_FACCON]
    hlu = sf[SF_HLU]
    rejected_last = (flags & 1) != 0
    last_nonfinite = (flags & 2) != 0
    # RADAU5: h_new / h in [1/facl, 1/facr] = [facmin, facmax]
    facl = 1.0 / facmin
    facr = 1.0 / facmax
    cfac = safety * (1 + 2 * NIT)
    fnewt = 10.0 * _EPS / rtol_i
    a = rtol_i ** 0.5
    a = a if a < 0.03 else 0.03
    if a > fnewt:
        fnewt = a
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
            flags |= _J_OK | _RJ_FRESH
            flags &= ~_RLU_OK
            if (flags & _SPARSE_CHECKED) == 0:
                flags |= _SPARSE_CHECKED
                if _use_sparse(J):
                    flags |= _SPARSE
        sparse = (flags & _SPARSE) != 0
        if (flags & _RLU_OK) == 0 or hs != hlu:
            nlu += 1
            flags &= ~_RLU_OK
            if not _radau_decompose(J, E1, E2, piv1, piv2, hs, sparse):
                nsing += 1
                nrej += 1
                rejected_last = True
                if nsing >= MAX_SINGULAR:
                    status = FAILED
                    break
                h *= 0.5
                if (flags & _RJ_FRESH) == 0:
                    flags &= ~_J_OK
                _radau_writeback(sf, si, t, h, erracc, hacc, hold, faccon, hlu, n_out, nfev,
                                 nacc, nrej, nd, njev, nlu, nsing, flags, rejected_last,
                                 last_nonfinite)
                continue
            nsing = 0
            hlu = hs
            flags |= _RLU_OK
        fac1 = RADAU_GAMMA / hs
        alphn = RADAU_ALPHA / hs
        betan = RADAU_BETA / hs
        for i in range(n):
            scal[i] = atol[i] * afac + rtol_i * abs(y[i])
        # Newton start: zero on the first step, else the last step's collocation polynomial
        # extrapolated (z_s = u(1 + c_s r) - u(1), r = h / h_old).
        if nacc == 0:
            for i in range(n):
                Z[0, i] = 0.0
                Z[1, i] = 0.0
                Z[2, i] = 0.0
                F1[i] = 0.0
                F2[i] = 0.0
                F3[i] = 0.0
        else:
            r = h / hold
            for s in range(3):
                x = 1.0 + (RADAU_C1 if s == 0 else (RADAU_C2 if s == 1 else 1.0)) * r
                x2 = x * x
                w1 = x - 1.0
                w2 = x2 - 1.0
                w3 = x2 * x - 1.0
                for i in range(n):
                    Z[s, i] = w1 * Q[0, i] + w2 * Q[1, i] + w3 * Q[2, i]
            for i in range(n):
                z1 = Z[0, i]
                z2 = Z[1, i]
                z3 = Z[2, i]
                F1[i] = TI[0, 0] * z1 + TI[0, 1] * z2 + TI[0, 2] * z3
                F2[i] = TI[1, 0] * z1 + TI[1, 1] * z2 + TI[1, 2] * z3
                F3[i] = TI[2, 0] * z1 + TI[2, 1] * z2 + TI[2, 2] * z3
        # Simplified Newton iteration (RADAU5): outcome 0 converged, 1 diverged or too slow
        # even with all NIT iterations (h halved), 2 converging too slowly (h reduced by the
        # predicted contraction), 3 a non-finite stage (h halved).
        newt = 0
        faccon = (faccon if faccon > _EPS else _EPS) ** 0.8
        theta = RADAU_THET
        thqold = 1.0
        dynold = 1.0
        hhfac = 0.5
        outcome = 0
        while True:
            if newt >= NIT:
                outcome = 1
                break
            for i in range(n):
                ytmp[i] = y[i] + Z[0, i]
            _feval(t + RADAU_C1 * hs, ytmp, p, R1)
            for i in range(n):
                ytmp[i] = y[i] + Z[1, i]
            _feval(t + RADAU_C2 * hs, ytmp, p, R2)
            for i in range(n):
                ytmp[i] = y[i] + Z[2, i]
            _feval(t + hs, ytmp, p, R3)
            nfev += 3
            for i in range(n):
                a1 = R1[i]
                a2 = R2[i]
                a3 = R3[i]
                s2 = -F2[i]
                s3 = -F3[i]
                R1[i] = TI[0, 0] * a1 + TI[0, 1] * a2 + TI[0, 2] * a3 - F1[i] * fac1
                R2[i] = TI[1, 0] * a1 + TI[1, 1] * a2 + TI[1, 2] * a3 + s2 * alphn - s3 * betan
                R3[i] = TI[2, 0] * a1 + TI[2, 1] * a2 + TI[2, 2] * a3 + s3 * alphn + s2 * betan
            if sparse:
                _sparse_solve(E1, R1)
                _sparse_csolve(E2, R2, R3)
            else:
                _lu_solve(E1, piv1, R1)
                _clu_solve(E2, piv2, R2, R3)
            newt += 1
            acc = 0.0
            for i in range(n):
                d = scal[i]
                v1 = R1[i] / d
                v2 = R2[i] / d
                v3 = R3[i] / d
                acc += v1 * v1 + v2 * v2 + v3 * v3
            dyno = math.sqrt(acc / (3 * n))
            if not (dyno < np.inf):
                outcome = 3
                break
            if newt > 1 and newt < NIT:
                thq = dyno / dynold
                if newt == 2:
                    theta = thq
                else:
                    theta = math.sqrt(thq * thqold)
                thqold = thq
                if theta < 0.99:
                    faccon = theta / (1.0 - theta)
                    dyth = faccon * dyno * theta ** (NIT - 1 - newt) / fnewt
                    if dyth >= 1.0:
                        qnewt = dyth if dyth < 20.0 else 20.0
                        if qnewt < 1e-4:
                            qnewt = 1e-4
                        hhfac = 0.8 * qnewt ** (-1.0 / (4.0 + NIT - 1 - newt))
                        outcome = 2
                        break
                else:
                    outcome = 1
                    break
            dynold = dyno if dyno > _EPS else _EPS
            for i in range(n):
                f1 = F1[i] + R1[i]
                f2 = F2[i] + R2[i]
                f3 = F3[i] + R3[i]
                F1[i] = f1
                F2[i] = f2
                F3[i] = f3
                Z[0, i] = T[0, 0] * f1 + T[0, 1] * f2 + T[0, 2] * f3
                Z[1, i] = T[1, 0] * f1 + T[1, 1] * f2 + T[1, 2] * f3
                Z[2, i] = T[2, 0] * f1 + f2
            if faccon * dyno <= fnewt:
                break
        if outcome != 0:
            # An unexpected rejection: the next attempt needs a new Jacobian unless this one
            # is already at (t, y) (RADAU5's CALJAC).
            nrej += 1
            rejected_last = True
            last_nonfinite = outcome == 3
            if outcome == 2:
                h *= hhfac
            else:
                h *= 0.5
            if (flags & _RJ_FRESH) == 0:
                flags &= ~_J_OK
            _radau_writeback(sf, si, t, h, erracc, hacc, hold, faccon, hlu, n_out, nfev, nacc,
                             nrej, nd, njev, nlu, nsing, flags, rejected_last, last_nonfinite)
            continue
        for i in range(n):
            ynew[i] = y[i] + Z[2, i]
        err, nf = _radau_error(y, f0, Z, E1, piv1, ev, fs, ynew, atol, rtol_i, afac, hs,
                               nacc == 0 or rejected_last, t, p, sparse)
        nfev += nf
        if not (err < np.inf):
            last_nonfinite = True
            rejected_last = True
            nrej += 1
            h *= 0.5
            if (flags & _RJ_FRESH) == 0:
                flags &= ~_J_OK
        elif err < 1.0:
            last_nonfinite = False
            fac = cfac / (newt + 2 * NIT)
            if fac > safety:
                fac = safety
            quot = err ** 0.25 / fac
            if quot > facl:
                quot = facl
            if quot < facr:
                quot = facr
            if nacc > 0 and hacc > 0.0:
                # Gustafsson's predictive controller
                facgus = (hacc / h) * (err * err / erracc) ** 0.25 / safety
                if facgus > facl:
                    facgus = facl
                if facgus < facr:
                    facgus = facr
                if facgus > quot:
                    quot = facgus
            hnew = h / quot
            hacc = h
            erracc = err if err > 1e-2 else 1e-2
            t_new = t1 if last else t + hs
            _radau_dense(Z, Q, n)
            have_output = use_t_eval and n_out < m and dirn * (t_eval[n_out] - t_new) <= 0.0
            if NEV > 0:
                eval_events(t_new, ynew, p, evf)
                if _active_events(evf):
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
            hold = h
            nacc += 1
            if not use_t_eval:
                out_t[n_out] = t
                for i in range(n):
                    out_y[n_out, i] = y[i]
                n_out += 1
            flags &= ~(_F0_OK | _RJ_FRESH)
            if hnew > hmax:
                hnew = hmax
            if rejected_last and hnew > h:
                hnew = h
            rejected_last = False
            # RADAU5: with a fast-converging Newton iteration keep J, and keep h (and the
            # factorisations) too when the proposed change is small.
            qt = hnew / h
            if not (theta <= RADAU_THET and qt >= RADAU_QUOT1 and qt <= RADAU_QUOT2):
                h = hnew
            if theta > RADAU_THET:
                flags &= ~_J_OK
        else:
            last_nonfinite = False
            nrej += 1
            if nacc == 0:
                h *= 0.1
            else:
                fac = cfac / (newt + 2 * NIT)
                if fac > safety:
                    fac = safety
                quot = err ** 0.25 / fac
                if quot > facl:
                    quot = facl
                if quot < facr:
                    quot = facr
                h = h / quot
            rejected_last = True
            if (flags & _RJ_FRESH) == 0:
                flags &= ~_J_OK
        _radau_writeback(sf, si, t, h, erracc, hacc, hold, faccon, hlu, n_out, nfev, nacc,
                         nrej, nd, njev, nlu, nsing, flags, rejected_last, last_nonfinite)
        if NEV > 0:
            if status == EVENT_STOP:
                break
    _radau_writeback(sf, si, t, h, erracc, hacc, hold, faccon, hlu, n_out, nfev, nacc, nrej,
                     nd, njev, nlu, nsing, flags, rejected_last, last_nonfinite)
    si[SI_STATUS] = status
    return status
