"""Compiled loops of the discrete Hopfield network: recall (synchronous and asynchronous, at zero
or positive temperature) and the Storkey learning rule.

Everything here trusts its inputs; :class:`neurodyn.hopfield.Hopfield` validates them.

Local fields, not matrix products
---------------------------------
Recall keeps, for every probe, the local fields ``h = W s - b`` (one row of ``H``), computed
once per probe at the start (``_initial_fields``: from the patterns for Hebbian storage, else
from W) and from then on updated by what a flip changes: flipping bit ``i`` to ``s_i`` changes
every field by ``2 s_i W[:, i]``, O(N) work instead of an O(N^2) product per sweep. Near a
stored pattern a sweep flips few bits, so a synchronous sweep costs a few axpy's instead of a
matrix-vector product, and asynchronous recall — which cannot batch its updates into one BLAS
call — costs O(1) per visited neuron plus O(N) per flip.

``WT`` is the transposed weight matrix, C-contiguous, so that ``W[:, i]`` is the contiguous
row ``WT[i]`` (for the symmetric weights of a Hopfield net ``WT`` is ``W`` itself; the
transposition only matters for an explicitly allowed asymmetric ``W``).

Exactness
---------
The kernels are generic in the float type of ``WT``/``H``. The model stores integer-valued
weights (Hebbian sums ``P^T P`` before the division by N, or a user's integer matrix) as
float32 when every field is bounded by 2^24 in magnitude, so that every sum and every
incremental update is exact, and as float64 otherwise. Then a field is exactly zero
when it is zero in exact arithmetic, and the tie rule (a zero field keeps the current bit)
gives the same answer whether a probe is recalled alone or in a batch, and whichever order the
updates were summed in. For non-integer weights, ``tol`` > 0 is the documented tie tolerance.

Randomness
----------
Asynchronous order and Glauber noise come from splitmix64 (Steele, Lea & Flood 2014), a
counter-based generator whose 8-byte state lives on the stack of the thread that handles the
probe. Probe ``k`` is seeded from ``(seed, k)``, so the result does not depend on the number
of threads or on how ``prange`` shares the probes out — which ``np.random`` inside ``prange``
cannot give — and probe ``k`` draws the same numbers in a batch of any size.
"""
import math

import numpy as np
from numba import njit, prange
from numba.core.extending import register_jitable

__all__ = ["recall_sync", "recall_async", "storkey_weights", "probe_key"]

# splitmix64 constants as uint64 globals: Numba would turn a mix of uint64 and Python ints
# into float64 arithmetic. Global constants are frozen into the compiled (and cached) code,
# which is what constants are for.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2^-53


@register_jitable
def _mix(z):
    z = (z ^ (z >> _S30)) * _MUL1
    z = (z ^ (z >> _S27)) * _MUL2
    return z ^ (z >> _S31)


@register_jitable
def probe_key(seed, k):
    """Starting state of probe ``k``'s generator: a hash of (seed, k), so that neighbouring
    probes (and neighbouring seeds) start far apart in the Weyl sequence."""
    return _mix(_mix(seed) + np.uint64(k + 1) * _GOLDEN)


@register_jitable
def _next(state):
    state = state + _GOLDEN
    return state, _mix(state)


@register_jitable
def _uniform(state):
    """(new state, u) with u uniform in [0, 1), 53 random bits."""
    state, z = _next(state)
    return state, float(z >> _S11) * _TWO_M53


@register_jitable
def _below(state, bound):
    """(new state, j) with j in [0, bound), bound < 2^32: Lemire's multiply-shift on 32 random
    bits; its bias is below bound / 2^32 (2e-7 for a million neurons), irrelevant here."""
    state, z = _next(state)
    return state, np.int64(((z >> _S32) * np.uint64(bound)) >> _S32)


@register_jitable
def _decide(h, s_i, tol, beta, state):
    """New value of a bit with field ``h`` (scaled field ``h * beta`` for Glauber).

    Zero temperature (beta < 0 marks it): sign of h, current bit kept when |h| <= tol.
    Positive temperature: +1 with probability 1 / (1 + exp(-2 beta h)), beta = 1 / (T scale).
    """
    if beta < 0.0:
        if h > tol:
            return 1, state
        if h < -tol:
            return -1, state
        return s_i, state
    state, u = _uniform(state)
    # exp overflows to inf for very negative x, giving p = 0: the right limit.
    p = 1.0 / (1.0 + math.exp(-2.0 * beta * h))
    return (1 if u < p else -1), state


@register_jitable
def _add_rows(WT, h, s, idx, nr, mult, coef):
    """h += mult * s_i * W[:, i] for i in idx[:nr] (W[:, i] is the row WT[i]).

    With mult = 2 and the new bit values in s this applies flips; with mult = 1 and all
    indices it computes the fields W s from scratch. Four rows per pass: h is loaded and
    stored once per four rows of WT (the trick of the CTRNN loop kernel). ``coef`` is a
    4-element scratch of h's dtype, so the factors do not promote float32 sums to float64.
    """
    n = h.shape[0]
    q = 0
    while q + 4 <= nr:
        i0 = idx[q]
        i1 = idx[q + 1]
        i2 = idx[q + 2]
        i3 = idx[q + 3]
        coef[0] = mult * s[i0]
        coef[1] = mult * s[i1]
        coef[2] = mult * s[i2]
        coef[3] = mult * s[i3]
        c0 = coef[0]
        c1 = coef[1]
        c2 = coef[2]
        c3 = coef[3]
        r0 = WT[i0]
        r1 = WT[i1]
        r2 = WT[i2]
        r3 = WT[i3]
        for j in range(n):
            h[j] += ((c0 * r0[j] + c1 * r1[j]) + (c2 * r2[j] + c3 * r3[j]))
        q += 4
    while q < nr:
        i0 = idx[q]
        coef[0] = mult * s[i0]
        c0 = coef[0]
        r0 = WT[i0]
        for j in range(n):
            h[j] += c0 * r0[j]
        q += 1


@register_jitable
def _initial_fields(WT, P, bias, s, h, idx, coef):
    """h = W s - b (times the model's scale), computed here rather than by one BLAS product
    over the batch: after an sgemm/dgemm, OpenBLAS's idle worker threads keep spinning and
    slow the parallel loop that follows down (measured on 2 cores, W6: synchronous recall
    8.0 ms after an sgemm, 2.6 ms with the fields computed here; at max_sweeps = 1 the BLAS
    variant took 8 ms for every p from 50 to 400 at N = 1000, the in-kernel one 0.7-4.7 ms).
    It also makes each probe's fields independent of the batch it is in, bit for bit, for
    any weights.

    Hebbian weights with P of shape (p, N), p > 0: WT = P^T P - p I (integer), so
    h = P^T (P s) - p s in 2 p N integer operations instead of N^2 (the model passes P when
    p <= N / 2 and the partial sums, bounded by p (N + 1), are exact in h's dtype). The
    pattern overlaps P s are integer reductions, which Numba vectorises without fastmath.
    Otherwise (P of shape (0, N)): h = sum_j s_j W[:, j] - b, rows of WT four at a time.
    """
    n = s.shape[0]
    p = P.shape[0]
    if p > 0:  # Hebbian storage has zero bias
        for i in range(n):
            coef[0] = -p * s[i]
            h[i] = coef[0]
        for mu in range(p):
            row = P[mu]
            acc = 0
            for i in range(n):
                acc += row[i] * s[i]
            coef[0] = acc
            c = coef[0]
            for i in range(n):
                h[i] += c * row[i]
        return
    for i in range(n):
        h[i] = -bias[i]
    _add_rows(WT, h, s, idx, n, 1, coef)


@register_jitable
def _energy(s, h, bias, inv_scale):
    """E = -1/2 s.W s + b.s from the maintained fields h = W s - b:  -1/2 s.h + 1/2 b.s."""
    e = 0.0
    for i in range(s.shape[0]):
        e += float(s[i]) * (float(bias[i]) - float(h[i]))
    return 0.5 * e * inv_scale


@njit(cache=True, parallel=True)
def recall_sync(WT, P, bias, H, S, tol, beta, inv_scale, seed, max_sweeps, record,
                energy, converged, sweeps, cycle):
    """Synchronous recall of every probe (row of S, int8, updated in place).

    WT (N, N): W transposed (times the model's scale); P (p, N) int8: Hebbian patterns
    whose integer sums ``P^T P - p I`` are WT, or shape (0, N) (see _initial_fields); bias
    (N,) float64 (times scale); H (K, N) of WT's dtype: output, the fields of the final
    states; tol: tie tolerance (times scale); beta: < 0 for zero temperature, else
    1 / (T * scale); inv_scale: 1 / scale (energies are reported for the real-valued
    weights); seed: uint64; record: fill energy[k, t] after t sweeps. Outputs converged,
    sweeps, cycle (K,).

    A sweep computes every new bit from the fields of the old state, then applies the flips.
    It stops when a sweep flips nothing (converged; that sweep counts), after max_sweeps, or —
    at zero temperature — when a sweep flips exactly the bits the previous one flipped, i.e.
    s(t+1) == s(t-1) != s(t): a 2-cycle, which synchronous dynamics then repeats forever.
    """
    K, n = S.shape
    for k in prange(K):
        s = S[k]
        h = H[k]
        cur = np.empty(n, np.int64)
        prev = np.empty(n, np.int64)
        coef = np.empty(4, H.dtype)
        _initial_fields(WT, P, bias, s, h, np.arange(n), coef)
        n_prev = -1
        state = probe_key(seed, k)
        converged[k] = False
        cycle[k] = False
        if record:
            energy[k, 0] = _energy(s, h, bias, inv_scale)
        t = 0
        while t < max_sweeps:
            t += 1
            nf = 0
            for i in range(n):
                new, state = _decide(h[i], s[i], tol, beta, state)
                if new != s[i]:
                    cur[nf] = i
                    nf += 1
            if nf == 0:
                converged[k] = True
                if record:
                    energy[k, t] = energy[k, t - 1]
                break
            for q in range(nf):
                s[cur[q]] = -s[cur[q]]
            _add_rows(WT, h, s, cur, nf, 2, coef)
            if record:
                energy[k, t] = _energy(s, h, bias, inv_scale)
            if beta < 0.0 and nf == n_prev:
                same = True
                for q in range(nf):
                    if cur[q] != prev[q]:
                        same = False
                        break
                if same:
                    cycle[k] = True
                    break
            cur, prev = prev, cur
            n_prev = nf
        sweeps[k] = t


@njit(cache=True, parallel=True)
def recall_async(WT, P, bias, H, S, tol, beta, inv_scale, seed, max_sweeps, record,
                 energy, converged, sweeps):
    """Asynchronous recall of every probe (row of S, int8, updated in place).

    Arguments as for :func:`recall_sync`. Each sweep visits all N neurons once in a fresh
    random order (Fisher-Yates shuffle of the previous order) and updates each from the
    current fields, which a flip updates at once. Converged: a sweep without a flip.
    """
    K, n = S.shape
    for k in prange(K):
        s = S[k]
        h = H[k]
        order = np.arange(n)
        one = np.empty(1, np.int64)
        coef = np.empty(4, H.dtype)
        _initial_fields(WT, P, bias, s, h, order, coef)
        state = probe_key(seed, k)
        converged[k] = False
        if record:
            energy[k, 0] = _energy(s, h, bias, inv_scale)
        t = 0
        while t < max_sweeps:
            t += 1
            for i in range(n - 1, 0, -1):
                state, j = _below(state, i + 1)
                tmp = order[i]
                order[i] = order[j]
                order[j] = tmp
            nf = 0
            for q in range(n):
                i = order[q]
                new, state = _decide(h[i], s[i], tol, beta, state)
                if new != s[i]:
                    s[i] = new
                    one[0] = i
                    _add_rows(WT, h, s, one, 1, 2, coef)
                    nf += 1
            if record:
                energy[k, t] = _energy(s, h, bias, inv_scale)
            if nf == 0:
                converged[k] = True
                break
        sweeps[k] = t


@njit(cache=True)
def storkey_weights(P):
    """Storkey's (1997) incremental rule, O(p N^2), zero diagonal, exactly symmetric.

    For each pattern x (rows of P, +-1), with h_ij = sum_{k != i, j} w_ik x_k:

        w_ij += (x_i x_j - x_i h_ji - h_ij x_j) / N        (i != j)

    With g = W x (zero diagonal, so g_i = sum_{k != i} w_ik x_k) h_ij = g_i - w_ij x_j, and
    since W is symmetric and x_j^2 = 1 the update is

        w_ij += (x_i x_j - x_i g_j - g_i x_j + 2 w_ij) / N,

    one matrix-vector product and one pass over W per pattern. Every entry is computed (row
    by row, contiguous) rather than i < j mirrored to j > i, whose strided writes made the
    whole rule 3x slower (N = 1000, p = 100); W still stays exactly symmetric because the
    expression is written so that entry (j, i) adds the same products as (i, j): the middle
    term is ``(x_i g_j + g_i x_j)``, whose mirror ``(x_j g_i + g_j x_i)`` differs only in the
    order of a commutative IEEE addition (and no FMA contraction: Numba compiles without
    fastmath).
    """
    p, n = P.shape
    W = np.zeros((n, n))
    g = np.empty(n)
    x = np.empty(n)
    inv_n = 1.0 / n
    for mu in range(p):
        for i in range(n):
            x[i] = P[mu, i]
            g[i] = 0.0
        for j in range(n):  # g = W x as a sum of rows (W symmetric): vectorises
            xj = x[j]
            for i in range(n):
                g[i] += W[j, i] * xj
        for i in range(n):
            xi = x[i]
            gi = g[i]
            for j in range(n):
                W[i, j] += ((xi * x[j] - (xi * g[j] + gi * x[j])) + 2.0 * W[i, j]) * inv_n
            W[i, i] = 0.0
    return W
