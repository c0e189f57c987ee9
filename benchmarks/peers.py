"""The peers' right-hand sides and solver set-ups, built the way a user of each library would
write them. Each ``make_*`` function returns ``(compile_s, call)``: the time of the separable
compile step (None where there is none) and a zero-argument function that solves the problem
and returns a :class:`Result`.

Numba kernels of the peers are compiled without ``cache=True`` so that their first call always
includes compilation, as WORKLOADS.md defines ``first_call_s``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Result:
    """What a peer returned, normalised: ``y`` has shape (k, n) at the output times."""

    y: np.ndarray
    nfev: int | str | None = None
    success: bool = True
    message: str = ""
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- SciPy

def scipy_result(sol, *, steps=False):
    extra = {"njev": sol.njev, "nlu": sol.nlu}
    if steps:  # only meaningful with t_eval=None, where sol.t holds every accepted step
        extra["steps"] = len(sol.t) - 1
    return Result(sol.y.T, sol.nfev, sol.success, sol.message, extra)


def make_scipy(fun, t_span, y0, *, method, t_eval=None, rtol, atol, jac=None, args=None,
               steps=False):
    from scipy.integrate import solve_ivp

    kw = {} if jac is None else {"jac": jac}
    if args is not None:
        kw["args"] = args

    def call():
        sol = solve_ivp(fun, t_span, y0, method=method, t_eval=t_eval, rtol=rtol, atol=atol,
                        **kw)
        return scipy_result(sol, steps=steps)

    return None, call


def make_scipy_numba_ctrnn(w):
    """SciPy RK45 with the CTRNN right-hand side compiled by ``numba.njit``."""
    import numba

    @numba.njit
    def rhs(t, y, W, tau, theta, I):
        s = 1.0 / (1.0 + np.exp(-(y + theta)))
        return (-y + W @ s + I) / tau

    args = (w.W, w.tau, w.theta, float(w.I))
    t0 = time.perf_counter()
    rhs(0.0, w.y0.astype(np.float64), *args)  # compile for the types solve_ivp passes
    compile_s = time.perf_counter() - t0
    _, call = make_scipy(rhs, w.t_span, w.y0, method="RK45", t_eval=w.t_eval, rtol=w.rtol,
                         atol=w.atol, args=args)
    return compile_s, call


# --------------------------------------------------------------------------- numbalsoda

def _numbalsoda_call(solver, funcptr, y0, t_eval, data, count_slot, rtol, atol, mxstep):
    def call():
        data[count_slot] = 0.0
        usol, success = solver(funcptr, y0, t_eval, data=data, rtol=rtol, atol=atol,
                               mxstep=mxstep)
        return Result(usol, int(data[count_slot]), bool(success))

    return call


def make_numbalsoda_ctrnn(w, which):
    """numbalsoda ``lsoda`` or ``dop853`` on the CTRNN, RHS as a ``numba.cfunc``
    (:func:`numbalsoda_ctrnn_rhs`)."""
    import numbalsoda

    compile_s, rhs, data = numbalsoda_ctrnn_rhs(w)
    solver = getattr(numbalsoda, which)
    return compile_s, _numbalsoda_call(solver, rhs.address, w.y0.astype(np.float64), w.t_eval,
                                       data, 2, w.rtol, w.atol, 1_000_000)


def numbalsoda_ctrnn_rhs(w):
    """``(compile_s, rhs, data)``: the CTRNN right-hand side as a numbalsoda ``numba.cfunc``.

    ``data`` = [n, I, nfev counter, W (row-major), tau, theta, scratch(n)]; the counter costs
    one addition per RHS call and gives nfev, which numbalsoda does not report. Concurrent
    solves need a copy of ``data`` each (the scratch and the counter are written).
    """
    import numba
    from numba import carray
    import numbalsoda

    n = w.N
    data = np.concatenate([[n, w.I, 0.0], w.W.ravel(), w.tau, w.theta, np.zeros(n)])
    size = data.size

    t0 = time.perf_counter()

    @numba.cfunc(numbalsoda.lsoda_sig)
    def rhs(t, u_, du_, p_):
        n = int(p_[0])
        p = carray(p_, (3 + n * n + 3 * n,))
        u = carray(u_, (n,))
        du = carray(du_, (n,))
        p[2] += 1.0
        I = p[1]
        w0 = 3
        tau0 = 3 + n * n
        th0 = tau0 + n
        s0 = th0 + n
        for j in range(n):
            p[s0 + j] = 1.0 / (1.0 + np.exp(-(u[j] + p[th0 + j])))
        for i in range(n):
            acc = 0.0
            for j in range(n):
                acc += p[w0 + i * n + j] * p[s0 + j]
            du[i] = (-u[i] + acc + I) / p[tau0 + i]

    compile_s = time.perf_counter() - t0
    assert size == 3 + n * n + 3 * n
    return compile_s, rhs, data


def make_numbalsoda_vdp(w):
    """numbalsoda ``lsoda`` on Van der Pol (its LSODA forms the Jacobian by differences)."""
    import numba
    from numba import carray
    import numbalsoda

    data = np.array([w.mu, 0.0])
    t0 = time.perf_counter()

    @numba.cfunc(numbalsoda.lsoda_sig)
    def rhs(t, u, du, p_):
        p = carray(p_, (2,))
        p[1] += 1.0
        du[0] = u[1]
        du[1] = p[0] * (1.0 - u[0] * u[0]) * u[1] - u[0]

    compile_s = time.perf_counter() - t0
    t_eval = np.array(w.t_span, dtype=np.float64)
    return compile_s, _numbalsoda_call(numbalsoda.lsoda, rhs.address, w.y0.copy(), t_eval,
                                       data, 1, w.rtol, w.atol, 10_000_000)


def make_numbalsoda_rober(k=(0.04, 1e4, 3e7), rtol=1e-8, atol=1e-8, t_end=1e5):
    """numbalsoda ``lsoda`` on ROBER (W9), output at t_end only."""
    import numba
    import numbalsoda

    data = np.array([k[0], k[1], k[2], 0.0])
    t0 = time.perf_counter()
    rhs = numba.cfunc(numbalsoda.lsoda_sig)(_rober_cfunc_body())
    compile_s = time.perf_counter() - t0
    return compile_s, _numbalsoda_call(numbalsoda.lsoda, rhs.address,
                                       np.array([1.0, 0.0, 0.0]), np.array([0.0, t_end]),
                                       data, 3, rtol, atol, 10_000_000)


def _rober_cfunc_body():
    from numba import carray

    def rhs(t, u, du, p_):
        p = carray(p_, (4,))
        p[3] += 1.0
        du[0] = -p[0] * u[0] + p[1] * u[1] * u[2]
        du[1] = p[0] * u[0] - p[1] * u[1] * u[2] - p[2] * u[1] * u[1]
        du[2] = p[2] * u[1] * u[1]

    return rhs


def make_numbalsoda_rober_prange(k3_values, rtol=1e-8, atol=1e-8, t_end=1e5):
    """numbalsoda ``lsoda`` over a ROBER ensemble (one k3 per member) in a ``numba.prange``
    loop (numbalsoda's own pattern for parallel solves): ``(compile_s, call)``, the call
    returning the final states (B, 3)."""
    import numba
    import numbalsoda

    rhs = numba.cfunc(numbalsoda.lsoda_sig)(_rober_cfunc_body())
    funcptr = rhs.address
    lsoda = numbalsoda.lsoda

    @numba.njit(parallel=True)
    def run(k3s, out, ok):
        for i in numba.prange(k3s.size):
            data = np.array([0.04, 1e4, k3s[i], 0.0])
            u0 = np.array([1.0, 0.0, 0.0])
            t_eval = np.array([0.0, t_end])
            usol, success = lsoda(funcptr, u0, t_eval, data, rtol=rtol, atol=atol,
                                  mxstep=10_000_000)
            for j in range(3):
                out[i, j] = usol[1, j]
            ok[i] = success

    k3s = np.ascontiguousarray(k3_values, dtype=np.float64)
    out = np.empty((k3s.size, 3))
    ok = np.zeros(k3s.size, dtype=np.bool_)
    t0 = time.perf_counter()
    run(k3s[:2], out[:2], ok[:2])
    compile_s = time.perf_counter() - t0

    def call():
        run(k3s, out, ok)
        return Result(out.copy(), 0, bool(ok.all()))

    return compile_s, call


def make_diffrax_stiff(f, y0, t_span, rtol, atol, max_steps=1_000_000):
    """diffrax ``Kvaerno5`` (ESDIRK, its default Newton root finder) with a PID controller,
    JAX float64 on the CPU, output at t_end; ``f(t, y, args)`` in jax.numpy."""
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    import diffrax

    term = diffrax.ODETerm(f)
    solver = diffrax.Kvaerno5()
    ctrl = diffrax.PIDController(rtol=rtol, atol=atol)
    y0j = jnp.asarray(y0, dtype=jnp.float64)

    @jax.jit
    def solve(y0):
        return diffrax.diffeqsolve(term, solver, t0=t_span[0], t1=t_span[1], dt0=None, y0=y0,
                                   stepsize_controller=ctrl, max_steps=max_steps,
                                   saveat=diffrax.SaveAt(t1=True))

    t0 = time.perf_counter()
    solve.lower(y0j).compile()
    compile_s = time.perf_counter() - t0

    def call():
        sol = solve(y0j)
        ys = np.asarray(sol.ys)
        ok = bool(sol.result == diffrax.RESULTS.successful)
        return Result(ys, None, ok, "", {"steps": int(sol.stats["num_accepted_steps"])})

    return compile_s, call


# --------------------------------------------------------------------------- diffrax

def diffrax_ctrnn(w):
    """``(jax, jnp, diffrax, term, solver, ctrl)``: the CTRNN as a diffrax ODETerm (args =
    (W, tau, theta)), Dopri5 and PIDController(rtol, atol), JAX in float64 on the CPU."""
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    import diffrax

    def f(t, y, args):
        W, tau, theta = args
        return (-y + W @ (1.0 / (1.0 + jnp.exp(-(y + theta)))) + w.I) / tau

    return (jax, jnp, diffrax, diffrax.ODETerm(f), diffrax.Dopri5(),
            diffrax.PIDController(rtol=w.rtol, atol=w.atol))


def make_diffrax_ctrnn(w):
    """diffrax Dopri5 + PIDController(rtol, atol) + SaveAt(ts), float64, ``jax.jit`` compiled
    ahead of time with ``.lower().compile()`` (that is compile_s).

    nfev is not reported by diffrax; it is estimated as 6 per step (7 stages, FSAL) + 2 for the
    initial step-size selection, and marked with '~'.
    """
    jax, jnp, diffrax, term, solver, ctrl = diffrax_ctrnn(w)
    saveat = diffrax.SaveAt(ts=jnp.asarray(w.t_eval))
    t0_, t1_ = w.t_span

    def run(y0, args):
        sol = diffrax.diffeqsolve(term, solver, t0=t0_, t1=t1_, dt0=None, y0=y0, args=args,
                                  saveat=saveat, stepsize_controller=ctrl, max_steps=100_000)
        return (sol.ys, sol.stats["num_steps"], sol.stats["num_accepted_steps"],
                sol.stats["num_rejected_steps"], sol.result == diffrax.RESULTS.successful)

    y0 = jnp.asarray(w.y0)
    args = (jnp.asarray(w.W), jnp.asarray(w.tau), jnp.asarray(w.theta))
    t0 = time.perf_counter()
    compiled = jax.jit(run).lower(y0, args).compile()
    compile_s = time.perf_counter() - t0

    def call():
        ys, steps, acc, rej, ok = jax.block_until_ready(compiled(y0, args))
        steps = int(steps)
        return Result(np.asarray(ys), f"~{6 * steps + 2}", bool(ok),
                      extra={"steps": f"{int(acc)}/{int(rej)}"})

    return compile_s, call
