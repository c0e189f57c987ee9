"""W6 (discrete Hopfield recall: N = 1000, 100 Hebbian patterns, 100 probes with 10 % of their
bits flipped, synchronous until no bit changes or 100 sweeps): neurodyn's compiled recall
against plain NumPy, all in this one process.

Rows of ours: ``Hopfield.from_patterns(patterns)`` (Hebbian; built once, outside the timed
call, as a user builds once and recalls often) then ``recall(probes, mode="sync")`` and
``recall(probes, mode="async", seed=0)``.
Peers (plain NumPy, the unscaled integer-valued weights ``W = P^T P`` with zero diagonal of
WORKLOADS.md, so fields and ties are exact): batched synchronous recall, one N x K matrix
product per sweep over all probes until none changes (float64, as a NumPy user writes it; the
same in float32, still exact here, to show what the smaller type alone buys; and float64 with
converged probes dropped from the product, the strongest NumPy variant); one probe at a time,
a matrix-vector product per sweep.
Build rows: our ``Hopfield.from_patterns`` (validation, integer sums P^T P, storage) against
NumPy's ``P^T P`` with zero diagonal (float64).

Each row: first call (incl. JIT compilation or compiled-cache load), median/min/max of the
timed repeats (``time.perf_counter``), mean CPU time, and for recall rows the mean overlap
(1/N) xi . s with the stored pattern, the largest number of sweeps, and the number of bits
that differ from NumPy's batched synchronous result (``differ``; 0 = bit for bit). Ratios are
peer median / ours median. The issue's bars: ours sync no slower than NumPy batched sync;
ours async within 2x of NumPy batched sync; the same overlaps as NumPy.

Usage: python benchmarks/bench_w6.py [--quick] [--repeats R] [--json PATH]
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import begin, dump_json, end, failed_row, fmt_t, print_table, timed_row
from benchmarks.workloads import build_w6


# --------------------------------------------------------------------------- NumPy peers

def numpy_batched_sync(W, probes, max_sweeps, dtype=np.float64):
    """Synchronous recall of all probes at once: one (N, N) x (N, K) product per sweep.

    sign(0) keeps the current bit; stops when a sweep changes no bit of any probe (that sweep
    counts) or after max_sweeps. Returns (states (K, N), sweeps per probe)."""
    S = probes.T.astype(dtype)            # (N, K): probes as columns
    sweeps = np.zeros(S.shape[1], np.int64)
    active = np.ones(S.shape[1], bool)
    for _ in range(max_sweeps):
        H = W @ S
        new = np.where(H > 0, 1, np.where(H < 0, -1, S)).astype(dtype)
        changed = (new != S).any(axis=0)
        sweeps += active                  # the sweep that finds no change counts too
        active &= changed
        S = new
        if not changed.any():
            break
    return S.T, sweeps


def numpy_batched_sync_active(W, probes, max_sweeps):
    """As numpy_batched_sync (float64), but each sweep multiplies only the probes that still
    change: a converged probe is a fixed point and drops out of the product."""
    S = probes.T.astype(np.float64)
    sweeps = np.zeros(S.shape[1], np.int64)
    active = np.arange(S.shape[1])
    for _ in range(max_sweeps):
        A = S[:, active]
        H = W @ A
        new = np.where(H > 0, 1.0, np.where(H < 0, -1.0, A))
        changed = (new != A).any(axis=0)
        sweeps[active] += 1
        S[:, active] = new
        active = active[changed]
        if active.size == 0:
            break
    return S.T, sweeps


def numpy_one_probe(W, probes, max_sweeps):
    """The same rules, one probe at a time (a matrix-vector product per sweep)."""
    out = np.empty(probes.shape)
    sweeps = np.zeros(probes.shape[0], np.int64)
    for k, s in enumerate(probes.astype(np.float64)):
        for t in range(1, max_sweeps + 1):
            h = W @ s
            new = np.where(h > 0, 1.0, np.where(h < 0, -1.0, s))
            if np.array_equal(new, s):
                break
            s = new
        out[k] = s
        sweeps[k] = t
    return out, sweeps


# --------------------------------------------------------------------------- rows

def ours_available():
    try:
        from neurodyn.hopfield import Hopfield  # noqa: F401
    except Exception as exc:  # not written yet, or broken
        print(f"ours: neurodyn.hopfield not available ({type(exc).__name__}: {exc})")
        return False
    return True


def main():
    args, info, monitor = begin(__doc__, "W6 Hopfield recall (N=1000, 100 Hebbian patterns, "
                                "100 probes with 10% flips, up to 100 sweeps)")
    w = build_w6()
    print(f"problem fingerprint {w.fingerprint} (checked); repeats = {args.repeats}\n")
    W64 = w.hebbian_unscaled()
    W32 = W64.astype(np.float32)
    ref_states, _ = numpy_batched_sync(W64, w.probes, w.max_sweeps)
    recall_rows, build_rows = [], []

    def add(rows, name, call, *, ours=False, match=None, recall=True, note=""):
        try:
            row, res = timed_row(name, call, args.repeats, ours=ours, match=match, note=note)
        except Exception as exc:  # keep measuring the others
            rows.append(failed_row(name, exc, ours=ours, match=match))
            return
        if recall:
            states, sweeps = res
            states = np.asarray(states)
            m = (w.patterns * states).sum(axis=1) / w.N
            row.extra["overlap"] = f"{m.mean():.5f}"
            row.extra["sweeps"] = int(np.max(sweeps))
            row.extra["differ"] = int(np.sum(states != ref_states))
        rows.append(row)

    if ours_available():
        from neurodyn.hopfield import Hopfield

        net = Hopfield.from_patterns(w.patterns)

        def ours_sync():
            r = net.recall(w.probes, mode="sync", max_sweeps=w.max_sweeps)
            return r.states, r.sweeps

        def ours_async():
            r = net.recall(w.probes, mode="async", max_sweeps=w.max_sweeps, seed=0)
            return r.states, r.sweeps

        add(recall_rows, "ours sync", ours_sync, ours=True)
        add(recall_rows, "ours async (seed 0)", ours_async, ours=True)
        add(build_rows, "ours Hopfield.from_patterns", lambda: Hopfield.from_patterns(w.patterns),
            ours=True, recall=False)

    add(recall_rows, "NumPy batched sync (float64)",
        lambda: numpy_batched_sync(W64, w.probes, w.max_sweeps), match="ours sync")
    add(recall_rows, "NumPy batched sync (float32)",
        lambda: numpy_batched_sync(W32, w.probes, w.max_sweeps, np.float32), match="ours sync")
    add(recall_rows, "NumPy batched sync, active probes only",
        lambda: numpy_batched_sync_active(W64, w.probes, w.max_sweeps), match="ours sync")
    add(recall_rows, "NumPy one probe at a time",
        lambda: numpy_one_probe(W64, w.probes, w.max_sweeps), match="ours sync")

    def numpy_build():
        X = w.patterns.astype(np.float64)
        Wb = X.T @ X
        np.fill_diagonal(Wb, 0.0)
        return Wb

    add(build_rows, "NumPy P^T P, zero diagonal", numpy_build, match="ours Hopfield.from_patterns",
        recall=False)

    print("recall of the 100 probes")
    print_table(recall_rows, extra_cols=("overlap", "sweeps", "differ"))
    print("\nHebbian build (N = 1000, p = 100)")
    print_table(build_rows)

    by = {r.name: r for r in recall_rows if r.median_s}
    base = by.get("NumPy batched sync (float64)")
    if base is not None:
        print("\nbars (against NumPy batched sync, float64):")
        for name, limit, what in (("ours sync", 1.0, "no slower"),
                                  ("ours async (seed 0)", 2.0, "within 2x")):
            r = by.get(name)
            if r is None:
                continue
            x = r.median_s / base.median_s
            verdict = "met" if x <= limit else "NOT met"
            print(f"  {name}: {fmt_t(r.median_s)} = {x:.3f} x NumPy's {fmt_t(base.median_s)} "
                  f"({what}: {verdict})")
        overl = {r.name: r.extra.get("overlap") for r in recall_rows if "overlap" in r.extra}
        print("  overlaps: " + ", ".join(f"{k} {v}" for k, v in overl.items()))
    print("\nnotes: differ = bits that differ from NumPy batched sync (float64); asynchronous "
          "recall visits neurons in a random order, so it may end elsewhere than synchronous "
          "recall (different dynamics, not an error).")
    end(info, monitor)
    dump_json(args.json, info, recall_rows + build_rows, workload="W6",
              fingerprint=w.fingerprint)


if __name__ == "__main__":
    main()
