"""What events cost: W1 (the small CTRNN, 1000 outputs, rtol 1e-6, atol 1e-9) solved with and
without events that never fire, and a Poincaré section of Van der Pol (mu = 1, 200 crossings)
against SciPy's solve_ivp events, in this process.

Rows: ours dopri5 and tsit5 plain; the same with one and with three event kernels that never
change sign (issue 14's bar: <= 5 % added); SciPy RK45 with and without one such event (its
events are Python callables evaluated per step). The section: ours ``poincare_section`` (the
crossings located by Illinois on the step interpolant inside compiled code) vs SciPy DOP853
events (brentq on its dense output), both at rtol 1e-10, atol 1e-12; the mean return time of
both against the reference period 6.663286859323130.

Usage: python benchmarks/bench_events.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time

import numpy as np

from benchmarks import kernels as K
from benchmarks.common import Row, begin, dump_json, end, engine, print_table, timed_row
from benchmarks.peers import Result
from benchmarks.workloads import build_w1, reference_ctrnn

VDP_PERIOD = 6.663286859323130


def main():
    args, info, monitor = begin(__doc__, "Events: cost of events that never fire (W1), and a "
                                "Van der Pol Poincare section")
    w = build_w1()
    y_ref = reference_ctrnn(w)
    solvers, neurodyn = engine()
    model = neurodyn.CTRNN(w.W, tau=w.tau, bias=w.theta, gain=1.0, input=w.I,
                           activation="sigmoid")
    rows = []

    def ours(method, events):
        def call():
            sol = solvers.solve(model, w.t_span, w.y0, method=method, t_eval=w.t_eval,
                                rtol=w.rtol, atol=w.atol, events=events)
            return Result(np.asarray(sol.y), sol.nfev, sol.success, sol.message, {})
        return call

    # The overhead is measured by interleaved calls (plain, 1 event, 3 events, plain, ...), so
    # the drift of a shared machine falls on all variants alike; the figure is the median of the
    # per-round ratios.
    variants = (("", None), (", 1 event", [K.never_fires]),
                (", 3 events", [K.never_fires, K.never_fires_2, K.never_fires_3]))
    overhead = {}
    for method in ("dopri5", "tsit5"):
        calls = [ours(method, evs) for _, evs in variants]
        results = [c() for c in calls]  # compile / load
        for r in results[1:]:
            assert np.array_equal(r.y, results[0].y), "events that never fire changed y"
        rounds = max(200, 40 * args.repeats)
        times = np.empty((rounds, len(calls)))
        for k in range(rounds):
            for j, c in enumerate(calls):
                t = time.perf_counter()
                c()
                times[k, j] = time.perf_counter() - t
        for j, (label, _) in enumerate(variants):
            row = Row(f"ours {method}{label}", ours=True,
                      median_s=float(np.median(times[:, j])), min_s=float(times[:, j].min()),
                      max_s=float(times[:, j].max()), nfev=results[j].nfev,
                      err=float(np.max(np.abs(results[j].y - y_ref))))
            row.extra["calls"] = rounds
            if j:
                ratio = float(np.median(times[:, j] / times[:, 0]))
                overhead[row.name] = 100 * (ratio - 1)
                row.note = f"{overhead[row.name]:+.1f} % (median of paired ratios)"
            rows.append(row)

    from scipy.integrate import solve_ivp

    def never(t, y):
        return y[0] - 1e6

    for label, evs in (("", None), (", 1 event", never)):
        def call(evs=evs):
            r = solve_ivp(w.rhs_numpy, w.t_span, w.y0, method="RK45", t_eval=w.t_eval,
                          rtol=w.rtol, atol=w.atol, events=evs)
            return Result(r.y.T, r.nfev, r.success, r.message, {})
        row, res = timed_row(f"SciPy RK45{label}", call, max(3, args.repeats // 2))
        row.nfev = res.nfev
        row.err = float(np.max(np.abs(res.y - y_ref)))
        rows.append(row)
    base = rows[-2].median_s
    rows[-1].note = f"+{100 * (rows[-1].median_s / base - 1):.1f} %"

    # Poincare section of Van der Pol, 200 upward crossings of x = 0
    from neurodyn.analysis import poincare_section
    from neurodyn.analysis._examples import van_der_pol

    vdp = solvers.ODESystem(van_der_pol, 2, (1.0,))
    n_cross = 200

    def ours_section():
        ps = poincare_section(vdp, [2.0, 0.0], ([1.0, 0.0], 0.0), direction=1,
                              n_crossings=n_cross, t_max=2000.0, rtol=1e-10, atol=1e-12)
        return Result(ps.t[:, None], 0, ps.success, ps.message, {})

    def scipy_section():
        def ev(t, y):
            return y[0]
        ev.direction = 1
        r = solve_ivp(lambda t, y: [y[1], (1 - y[0] ** 2) * y[1] - y[0]], (0, 2000),
                      [2.0, 0.0], method="DOP853", events=ev, rtol=1e-10, atol=1e-12)
        return Result(r.t_events[0][:n_cross, None], r.nfev, r.success, r.message, {})

    sec = []
    for name, fn, mine in (("ours poincare_section (dopri5)", ours_section, True),
                           ("SciPy DOP853 events", scipy_section, False)):
        row, res = timed_row(name, fn, max(3, args.repeats // 2), ours=mine,
                             match=None if mine else "ours poincare_section (dopri5)")
        tc = res.y[:, 0]
        row.err = float(np.max(np.abs(np.diff(tc)[50:] - VDP_PERIOD)))
        row.note = f"{tc.size} crossings; err = max |return time - period| after 50"
        sec.append(row)
    print()
    print_table(rows)
    print()
    print_table(sec)
    worst = max(overhead.values())
    print(f"\nbar: events that never fire add at most {worst:.1f} % to our solves "
          f"(bar <= 5 %): {'met' if worst <= 5.0 else 'NOT MET'}")
    end(info, monitor)
    dump_json(args.json, info, rows + sec, workload="events")


if __name__ == "__main__":
    main()
