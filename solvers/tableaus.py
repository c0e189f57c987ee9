"""Butcher tableaus of the explicit methods, with each adaptive method's own dense output.

Every adaptive pair here is FSAL (its last stage is evaluated at the new state, ``C[-1] = 1`` and
``A[-1] = B``), so one compiled loop serves them all; the tableau is a runtime argument.

Dense output is written as ``y(t + θh) = y + h Σ_d θ^(d+1) Σ_s P[s, d] k_s``. The P matrices are
*derived* below from each method's published interpolant (not retyped), and the tests check the
interpolants' order.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as Fr

import numpy as np

__all__ = ["Tableau", "ADAPTIVE", "FIXED", "get"]


@dataclass(frozen=True)
class Tableau:
    name: str
    A: np.ndarray          # (S, S) strictly lower triangular
    C: np.ndarray          # (S,)
    B: np.ndarray          # (S,) weights of the propagated solution
    E: np.ndarray | None   # (S,) B - B_embedded (error estimate = h Σ E_s k_s); None: fixed step
    P: np.ndarray          # (S, D) dense-output coefficients
    order: int             # order of the propagated solution
    error_order: int       # order of the embedded solution (controller exponent 1/(error_order+1))


def _lower(rows, S):
    A = np.zeros((S, S))
    for i, r in enumerate(rows, start=1):
        A[i, :len(r)] = [float(x) for x in r]
    return A


# --- Dormand & Prince 5(4), with Shampine's (1986) 4th-order continuous extension ----------
_dp_rows = [
    [Fr(1, 5)],
    [Fr(3, 40), Fr(9, 40)],
    [Fr(44, 45), Fr(-56, 15), Fr(32, 9)],
    [Fr(19372, 6561), Fr(-25360, 2187), Fr(64448, 6561), Fr(-212, 729)],
    [Fr(9017, 3168), Fr(-355, 33), Fr(46732, 5247), Fr(49, 176), Fr(-5103, 18656)],
    [Fr(35, 384), 0, Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84)],
]
_dp_b = [Fr(35, 384), 0, Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84), 0]
_dp_bhat = [Fr(5179, 57600), 0, Fr(7571, 16695), Fr(393, 640), Fr(-92097, 339200),
            Fr(187, 2100), Fr(1, 40)]
_dp_d = [Fr(-12715105075, 11282082432), 0, Fr(87487479700, 32700410799),
         Fr(-10690763975, 1880347072), Fr(701980252875, 199316789632),
         Fr(-1453857185, 822651844), Fr(69997945, 29380423)]


def _dopri5_P():
    # Hairer's CONTD5: y(θ) = y0 + θ(Δ + (1-θ)(bspl + θ(r4 + (1-θ) r5))), with (per stage, in
    # units of h k_s): Δ = b, bspl = δ_s1 - b, r4 = b - δ_s7 - bspl, r5 = d. Expanding in θ:
    P = []
    for s in range(7):
        b = _dp_b[s]
        bspl = (1 if s == 0 else 0) - b
        r4 = b - (1 if s == 6 else 0) - bspl
        r5 = _dp_d[s]
        P.append([b + bspl, -bspl + r4 + r5, -r4 - 2 * r5, r5])
    return np.array([[float(x) for x in r] for r in P])


DOPRI5 = Tableau(
    name="dopri5",
    A=_lower(_dp_rows, 7),
    C=np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]),
    B=np.array([float(x) for x in _dp_b]),
    E=np.array([float(b - bh) for b, bh in zip(_dp_b, _dp_bhat)]),
    P=_dopri5_P(),
    order=5,
    error_order=4,
)

# --- Tsitouras 5(4) (Comput. Math. Appl. 62 (2011) 770-775), with its free 4th-order interpolant
# Decimal values as published (the paper gives them to 16+ digits).
_ts_c = [0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0]
_ts_rows = [
    [0.161],
    [-0.008480655492356989, 0.335480655492357],
    [2.897153057105493, -6.359448489975075, 4.362295432869581],
    [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
    [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401,
     -0.028269050394068383],
    [0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081,
     2.324710524099774],
]
_ts_b = np.array(_ts_rows[-1] + [0.0])
# B - B_embedded (the paper lists the differences; the last one's sign is corrected, as every
# implementation notes: the embedded weight of stage 7 is -1/66).
_ts_e = np.array([-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995,
                  -0.1447110071732629, 0.5823571654525552, -0.45808210592918697,
                  0.015151515151515152])
# b_s(θ) = r1 θ + r2 θ^2 + r3 θ^3 + r4 θ^4 (rows: stages)
_ts_P = np.array([
    [1.0, -2.763706197274826, 2.9132554618219126, -1.0530884977290216],
    [0.0, 0.13169999999999998, -0.2234, 0.1017],
    [0.0, 3.9302962368947516, -5.941033872131505, 2.490627285651253],
    [0.0, -12.411077166933676, 30.33818863028232, -16.548102889244902],
    [0.0, 37.50931341651104, -88.1789048947664, 47.37952196281928],
    [0.0, -27.896526289197286, 65.09189467479366, -34.87065786149661],
    [0.0, 1.5, -4.0, 2.5],
])
TSIT5 = Tableau(
    name="tsit5",
    A=_lower(_ts_rows, 7),
    C=np.array(_ts_c),
    B=_ts_b,
    E=_ts_e,
    P=_ts_P,
    order=5,
    error_order=4,
)

# --- Bogacki & Shampine 3(2), dense output by the cubic Hermite interpolant (3rd order) -------
_bs_b = [Fr(2, 9), Fr(1, 3), Fr(4, 9), 0]
_bs_bhat = [Fr(7, 24), Fr(1, 4), Fr(1, 3), Fr(1, 8)]


def _hermite_P(b, last):
    # y(θ) = y0 + h[θ f0 + θ²(3Δ - 2 f0 - f1) + θ³(f0 + f1 - 2Δ)], Δ = Σ b_s k_s, f0 = k_0,
    # f1 = k_last (the FSAL stage, f at the new state).
    P = []
    for s, bs in enumerate(b):
        d0 = 1 if s == 0 else 0
        d1 = 1 if s == last else 0
        P.append([d0, 3 * bs - 2 * d0 - d1, d0 + d1 - 2 * bs])
    return np.array([[float(x) for x in r] for r in P])


BS32 = Tableau(
    name="bs32",
    A=_lower([[Fr(1, 2)], [0, Fr(3, 4)], [Fr(2, 9), Fr(1, 3), Fr(4, 9)]], 4),
    C=np.array([0.0, 0.5, 0.75, 1.0]),
    B=np.array([float(x) for x in _bs_b]),
    E=np.array([float(b - bh) for b, bh in zip(_bs_b, _bs_bhat)]),
    P=_hermite_P(_bs_b, 3),
    order=3,
    error_order=2,
)

# --- Fixed-step methods. Dense output: cubic Hermite between steps, using f at both ends (the
# next step's first stage, so it costs nothing). P is unused for them.
EULER = Tableau("euler", np.zeros((1, 1)), np.array([0.0]), np.array([1.0]), None,
                np.zeros((1, 1)), 1, 0)
HEUN = Tableau("heun", _lower([[1.0]], 2), np.array([0.0, 1.0]), np.array([0.5, 0.5]), None,
               np.zeros((2, 1)), 2, 0)
RK4 = Tableau("rk4", _lower([[0.5], [0.0, 0.5], [0.0, 0.0, 1.0]], 4),
              np.array([0.0, 0.5, 0.5, 1.0]), np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]), None,
              np.zeros((4, 1)), 4, 0)

ADAPTIVE = {t.name: t for t in (DOPRI5, TSIT5, BS32)}
FIXED = {t.name: t for t in (EULER, HEUN, RK4)}


def get(name):
    """Return the tableau called ``name`` (one of ADAPTIVE or FIXED).

    >>> get("dopri5").order
    5
    """
    if name in ADAPTIVE:
        return ADAPTIVE[name]
    if name in FIXED:
        return FIXED[name]
    raise KeyError(name)
