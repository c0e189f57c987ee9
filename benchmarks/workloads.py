"""Builders for the standard workloads of WORKLOADS.md (W1, W2, W3 initial states, W7), their
fingerprints, and cached high-accuracy reference solutions.

Every builder draws its random numbers exactly as WORKLOADS.md prescribes and checks the
published fingerprint, so a benchmark can never silently run on a different problem.

Reference solutions (SciPy DOP853, rtol 1e-12, atol 1e-14 for W1/W2; Radau 1e-12/1e-14 for W7)
are cached in ``benchmarks/.cache/`` under a name that contains the problem fingerprint.

>>> w1 = build_w1()
>>> w1.N, w1.t_eval.shape
(10, (1000,))
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CACHE_DIR = Path(__file__).resolve().parent / ".cache"

# Published in WORKLOADS.md (numpy 2.3.5, x86_64).
FINGERPRINTS = {
    "W1": "363241a65300f92e",  # (W, tau, theta)
    "W2": "1e35130a8ef7a0f1",  # (W, tau, theta)
    "W3_Y0": "165aa88c3f7e25f4",
}

I_EXT = 0.5  # constant input to every CTRNN neuron


def fingerprint(*arrays) -> str:
    """First 16 hex digits of sha256 over the float64 C-order bytes of ``arrays``, concatenated
    in the order given.

    >>> fingerprint(np.zeros(1))
    'af5570f5a1810b7a'
    """
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


def _check(name, got):
    want = FINGERPRINTS[name]
    if got != want:
        raise RuntimeError(
            f"{name}: fingerprint {got} differs from WORKLOADS.md's {want}; the problem was not "
            "built as defined (rng draw order, dtype) or this NumPy draws differently"
        )


def ctrnn_params(N, g, seed=0):
    """(W, tau, theta) of the CTRNN family, drawn in the order WORKLOADS.md fixes."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 1.0 / np.sqrt(N), size=(N, N)) * g
    tau = rng.uniform(1.0, 5.0, size=N)
    theta = rng.normal(0.0, 1.0, size=N)
    return W, tau, theta


@dataclass
class CTRNNWorkload:
    """A CTRNN problem ``dy/dt = (-y + W @ sigmoid(y + theta) + I) / tau``."""

    name: str
    W: np.ndarray
    tau: np.ndarray
    theta: np.ndarray
    y0: np.ndarray
    t_span: tuple
    t_eval: np.ndarray
    I: float = I_EXT
    rtol: float = 1e-6
    atol: float = 1e-9
    fingerprint: str = ""

    @property
    def N(self):
        return self.W.shape[0]

    def rhs_numpy(self, t, y):
        """The right-hand side in plain NumPy (the SciPy peer's RHS)."""
        s = 1.0 / (1.0 + np.exp(-(y + self.theta)))
        return (-y + self.W @ s + self.I) / self.tau


def build_w1() -> CTRNNWorkload:
    """W1: small CTRNN, N = 10, g = 5, t in [0, 200], 1000 outputs."""
    W, tau, theta = ctrnn_params(10, 5.0)
    fp = fingerprint(W, tau, theta)
    _check("W1", fp)
    return CTRNNWorkload("W1", W, tau, theta, np.zeros(10), (0.0, 200.0),
                         np.linspace(0.0, 200.0, 1000), fingerprint=fp)


def build_w2() -> CTRNNWorkload:
    """W2: large CTRNN, N = 2000, g = 1.5, t in [0, 20], 200 outputs."""
    W, tau, theta = ctrnn_params(2000, 1.5)
    fp = fingerprint(W, tau, theta)
    _check("W2", fp)
    return CTRNNWorkload("W2", W, tau, theta, np.zeros(2000), (0.0, 20.0),
                         np.linspace(0.0, 20.0, 200), fingerprint=fp)


def build_w3_y0() -> np.ndarray:
    """W3: the 10,000 x 10 initial states for the W1 system."""
    Y0 = np.random.default_rng(1).normal(0.0, 1.0, size=(10000, 10))
    _check("W3_Y0", fingerprint(Y0))
    return Y0


@dataclass
class VdPWorkload:
    """W7: stiff Van der Pol ``y1' = y2, y2' = mu (1 - y1^2) y2 - y1``."""

    mu: float = 1000.0
    y0: np.ndarray = field(default_factory=lambda: np.array([2.0, 0.0]))
    t_span: tuple = (0.0, 3000.0)
    rtol: float = 1e-6
    atol: float = 1e-9
    name: str = "W7"

    @property
    def fingerprint(self):
        return fingerprint(np.array([self.mu]), self.y0, np.array(self.t_span))

    def rhs_numpy(self, t, y):
        return np.array([y[1], self.mu * (1.0 - y[0] * y[0]) * y[1] - y[0]])

    def jac_numpy(self, t, y):
        mu = self.mu
        return np.array([[0.0, 1.0],
                         [-2.0 * mu * y[0] * y[1] - 1.0, mu * (1.0 - y[0] * y[0])]])


def build_w7() -> VdPWorkload:
    """W7: Van der Pol, mu = 1000, y0 = [2, 0], t in [0, 3000]."""
    return VdPWorkload()


# --------------------------------------------------------------------------- references

def _cached(key, compute, log=print):
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return z["y"]
    log(f"[ref] computing {key} (cached afterwards in {path}) ...")
    t0 = time.perf_counter()
    y = compute()
    np.savez(path, y=y)
    log(f"[ref] {key}: {time.perf_counter() - t0:.1f} s")
    return y


def reference_ctrnn(w: CTRNNWorkload, log=print) -> np.ndarray:
    """y_ref at ``w.t_eval``, shape (k, N): SciPy DOP853, rtol 1e-12, atol 1e-14 (cached)."""
    from scipy.integrate import solve_ivp

    def compute():
        sol = solve_ivp(w.rhs_numpy, w.t_span, w.y0, method="DOP853", t_eval=w.t_eval,
                        rtol=1e-12, atol=1e-14)
        if not sol.success:
            raise RuntimeError(f"{w.name} reference failed: {sol.message}")
        return sol.y.T.copy()

    return _cached(f"ref_{w.name.lower()}_{w.fingerprint}_dop853_1e-12", compute, log)


def reference_w7(w: VdPWorkload, log=print) -> np.ndarray:
    """y(t_end) for W7: SciPy Radau with analytic Jacobian, rtol 1e-12, atol 1e-14 (cached)."""
    from scipy.integrate import solve_ivp

    def compute():
        sol = solve_ivp(w.rhs_numpy, w.t_span, w.y0, method="Radau", jac=w.jac_numpy,
                        rtol=1e-12, atol=1e-14)
        if not sol.success:
            raise RuntimeError(f"W7 reference failed: {sol.message}")
        return sol.y[:, -1].copy()

    return _cached(f"ref_w7_{w.fingerprint}_radau_1e-12", compute, log)


# --------------------------------------------------------------------------- W6 Hopfield

FINGERPRINTS["W6"] = "790abb661003a9eb"  # (patterns, probes)


@dataclass
class HopfieldWorkload:
    """W6: discrete Hopfield recall. ``patterns`` (P, N) and ``probes`` (P, N) are int64
    +-1; probe k is pattern k with ``n_flip`` distinct bits flipped (overlap 0.8)."""

    patterns: np.ndarray
    probes: np.ndarray
    max_sweeps: int = 100
    fingerprint: str = ""
    name: str = "W6"

    @property
    def N(self):
        return self.patterns.shape[1]

    @property
    def P(self):
        return self.patterns.shape[0]

    def hebbian_unscaled(self):
        """W = patterns^T patterns with zero diagonal, float64, integer-valued (the unscaled
        Hebbian weights of WORKLOADS.md: the fields and their ties are exact)."""
        X = self.patterns.astype(np.float64)
        W = X.T @ X
        np.fill_diagonal(W, 0.0)
        return W


def build_w6() -> HopfieldWorkload:
    """W6: N = 1000, P = 100 patterns and 100 probes with 10 % of their bits flipped.

    >>> w6 = build_w6()
    >>> w6.fingerprint, w6.N, float((w6.patterns * w6.probes).mean())
    ('790abb661003a9eb', 1000, 0.8)
    """
    rng = np.random.default_rng(0)
    patterns = 2 * rng.integers(0, 2, size=(100, 1000)) - 1
    probes = patterns.copy()
    for k in range(100):
        idx = rng.choice(1000, size=100, replace=False)
        probes[k, idx] *= -1
    fp = fingerprint(patterns, probes)
    _check("W6", fp)
    return HopfieldWorkload(patterns, probes, fingerprint=fp)


# --------------------------------------------------------------------------- W4 ESN

FINGERPRINTS["W4_series"] = "b93a91a40c5c9200"     # Mackey-Glass, 20,000 samples
FINGERPRINTS["W4_reservoir"] = "d4b0c549974166cb"  # (W.indptr, W.indices, W.data, Win)
# The same before the spectral-radius rescaling: defined by the seeded generator alone, so it
# holds on every machine (computed here; WORKLOADS.md publishes only the rescaled one).
FINGERPRINTS["W4_reservoir_draw"] = "b86f8d432cd4d8c9"


@dataclass
class ESNWorkload:
    """W4: one-step Mackey-Glass prediction with a leaky ESN (N = 1000, density 1 %).

    ``series`` (20,000); ``W`` (CSR, rescaled to spectral radius 0.9) and ``Win`` (N, 1);
    pairs ``x[t] -> series[t + 1]``: train t = 1000 .. 17998, test t = 17999 .. 19998."""

    series: np.ndarray
    W: object
    Win: np.ndarray
    leak: float = 0.3
    ridge: float = 1e-6
    washout: int = 1000
    n_test: int = 2000
    fingerprint_series: str = ""
    fingerprint_reservoir: str = ""
    name: str = "W4"

    @property
    def N(self):
        return self.W.shape[0]

    @property
    def u(self):
        """Inputs of the 19,999 pairs, shape (19999, 1)."""
        return self.series[:-1, None]

    @property
    def y(self):
        """Targets of the 19,999 pairs, shape (19999, 1)."""
        return self.series[1:, None]

    @property
    def train(self):
        """Slice of the pair index used for training (after the washout, before the test)."""
        return slice(self.washout, self.series.size - 1 - self.n_test)

    @property
    def test(self):
        return slice(self.series.size - 1 - self.n_test, self.series.size - 1)

    def nrmse(self, pred):
        """Test NRMSE = RMSE / std(test targets) of predictions for the test pairs."""
        target = self.y[self.test, 0]
        pred = np.asarray(pred).reshape(-1)
        return float(np.sqrt(np.mean((pred - target) ** 2)) / np.std(target))


def build_w4() -> ESNWorkload:
    """W4: the Mackey-Glass input (through ``neurodyn.datasets.mackey_glass``) and the
    reservoir drawn exactly as WORKLOADS.md defines it, both fingerprint-checked.

    >>> w4 = build_w4()
    >>> w4.N, w4.W.nnz, w4.series.shape, w4.train, w4.test
    (1000, 9996, (20000,), slice(1000, 17999, None), slice(17999, 19999, None))
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import eigs

    from neurodyn.datasets import mackey_glass

    series = mackey_glass(20000, tau=17.0, dt=0.1, sample_every=1.0, x0=1.2)
    fs = fingerprint(series)
    _check("W4_series", fs)
    N = 1000
    rng = np.random.default_rng(0)
    mask = rng.random(N * N) < 0.01
    idx = np.flatnonzero(mask)
    vals = rng.normal(0.0, 1.0, size=idx.size)
    W = sp.csr_matrix((vals, (idx // N, idx % N)), shape=(N, N))
    Win = rng.uniform(-1.0, 1.0, size=(N, 1)) * 1.0
    _check("W4_reservoir_draw", fingerprint(W.indptr, W.indices, W.data, Win))
    rho = abs(eigs(W, k=1, which="LM", v0=np.ones(N), tol=1e-10,
                   return_eigenvectors=False)[0])
    W = W * (0.9 / rho)
    fr = fingerprint(W.indptr, W.indices, W.data, Win)
    if fr != FINGERPRINTS["W4_reservoir"]:
        # WORKLOADS.md: the rescaled fingerprint depends on the ARPACK/BLAS build's last bits.
        # The draw matched exactly above; the scale must then agree with dense eigenvalues to
        # ARPACK's tolerance, which is all the problem definition fixes.
        rho_dense = float(np.max(np.abs(np.linalg.eigvals(W.toarray() * (rho / 0.9)))))
        if abs(rho / rho_dense - 1.0) > 1e-9:
            raise RuntimeError(f"W4_reservoir: ARPACK's spectral radius {rho!r} differs from "
                               f"the dense one {rho_dense!r} by more than ARPACK's tolerance")
        print(f"note: W4 reservoir fingerprint {fr} differs from WORKLOADS.md's "
              f"{FINGERPRINTS['W4_reservoir']} only through ARPACK's last bits on this machine "
              f"(draw identical; rho {rho!r}, dense {rho_dense!r})")
    return ESNWorkload(series, W, Win, fingerprint_series=fs, fingerprint_reservoir=fr)
