# Compiled ensemble loops: many members of ONE kernel and ONE method, each member run by the
# very loop that `solve` (or `iterate`) uses for a single trajectory.
#
# A template, like _ode_loops.py: solvers._codegen writes a copy per (kernel, method, params
# layout) into the code cache and imports it with these globals injected:
#   rk_adaptive, rk_fixed, iterate_loop  the single-trajectory loops of the kernel's module
#   CACHE, BOUNDSCHECK                    as in _ode_loops.py
# and appends a generated `member_params(P, i)`: member i's params tuple, built from the
# ensemble's stacked tuple P (entries that vary carry a leading member axis; shared entries
# are passed as they are). Member i's tuple has exactly the types of a single system's params,
# so the single-trajectory loop is called with its own signature: nothing new to compile for
# it, and the same machine code gives the same bits as `solve` of that member.
#
# Members are run one after another inside a call; the driver (solvers.ensemble) runs calls on
# chunks of members from several threads (the loops release the GIL), which balances members
# of unequal cost without lock-step. `cursor[0]` is the position being run, so a member whose
# kernel raises can be named and the chunk resumed after it.
import numba

rk_adaptive = globals().get("rk_adaptive")
rk_fixed = globals().get("rk_fixed")
iterate_loop = globals().get("iterate_loop")
ros_adaptive = globals().get("ros_adaptive")
radau_adaptive = globals().get("radau_adaptive")
CACHE = globals().get("CACHE", False)
BOUNDSCHECK = globals().get("BOUNDSCHECK", False)


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def ens_adaptive(order, a, b, cursor, t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, P,
                 error_order, safety, facmin, facmax, beta, SF, SI, Y, OUT_Y, out_t, K, W,
                 dense, dn_t, dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y):
    """Members order[a:b], each to its end (output at t_eval into OUT_Y[i]; final state in
    Y[i]); K, W and out_t are this call's scratch, and so are the (empty) dense-output and
    event arrays. use_t_eval and dense are passed as arguments, not literals: a literal would
    type rk_adaptive with Literal[bool] and compile it a second time beside solve's
    signature."""
    for j in range(a, b):
        cursor[0] = j
        i = order[j]
        rk_adaptive(t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, member_params(P, i),
                    error_order, safety, facmin, facmax, beta, SF[i], SI[i], Y[i], K, W, out_t,
                    OUT_Y[i], max_steps + 1, dense, dn_t, dn_h, dn_c, evf, evi, ev_t, ev_i,
                    ev_y)
    cursor[0] = b


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def ens_fixed(order, a, b, cursor, t0, t1, dt, n_steps, t_eval, use_t_eval, P, SF, SI, Y,
              OUT_Y, out_t, K, W, dense, dn_t, dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y):
    """Fixed-step members order[a:b] (dt signed); without t_eval every step goes to OUT_Y[i]
    and the (shared) step times to out_t."""
    for j in range(a, b):
        cursor[0] = j
        i = order[j]
        rk_fixed(t0, t1, dt, n_steps, t_eval, use_t_eval, member_params(P, i), SF[i], SI[i],
                 Y[i], K, W, out_t, OUT_Y[i], n_steps + 1, dense, dn_t, dn_h, dn_c, evf, evi,
                 ev_t, ev_i, ev_y)
    cursor[0] = b


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def ens_rodas(order, a, b, cursor, t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, P,
              safety, facmin, facmax, SF, SI, Y, OUT_Y, out_t, K, W, J, E, piv, dense, dn_t,
              dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y):
    """Rodas5P members order[a:b]; K, W, J, E, piv (the LU) are this call's scratch."""
    for j in range(a, b):
        cursor[0] = j
        i = order[j]
        ros_adaptive(t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, member_params(P, i),
                     safety, facmin, facmax, SF[i], SI[i], Y[i], K, W, J, E, piv, out_t,
                     OUT_Y[i], max_steps + 1, dense, dn_t, dn_h, dn_c, evf, evi, ev_t, ev_i,
                     ev_y)
    cursor[0] = b


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def ens_radau(order, a, b, cursor, t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps, P,
              safety, facmin, facmax, SF, SI, Y, OUT_Y, out_t, K, W, J, E1, E2, piv1, piv2,
              dense, dn_t, dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y):
    """Radau IIA members order[a:b]; K, W, J and the two LUs are this call's scratch."""
    for j in range(a, b):
        cursor[0] = j
        i = order[j]
        radau_adaptive(t1, t_eval, use_t_eval, rtol, atol, hmax, max_steps,
                       member_params(P, i), safety, facmin, facmax, SF[i], SI[i], Y[i], K, W,
                       J, E1, E2, piv1, piv2, out_t, OUT_Y[i], max_steps + 1, dense, dn_t,
                       dn_h, dn_c, evf, evi, ev_t, ev_i, ev_y)
    cursor[0] = b


@numba.njit(cache=CACHE, nogil=True, boundscheck=BOUNDSCHECK)
def ens_iterate(order, a, b, cursor, X, SI, n_steps, transient, every, P, out_k, OUT_X, keep,
                scratch):
    """Map members order[a:b]; with keep=False the saved states go to this call's scratch
    (only the final state, X[i], is kept)."""
    budget = transient + n_steps + 1
    for j in range(a, b):
        cursor[0] = j
        i = order[j]
        out = OUT_X[i] if keep else scratch
        iterate_loop(X[i], SI[i], n_steps, transient, every, member_params(P, i), out_k, out,
                     budget)
    cursor[0] = b


# --- generated below: member_params(P, i) for this ensemble's params layout ---
