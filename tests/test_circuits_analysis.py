"""neurodyn.analysis works on circuits unchanged (DESIGN: every circuit with state is a system).

The single memristor closed on a constant source S has the closed-form fixed points
x = (1 +- sqrt(1 - 4 chi s)) / (2 chi), s = S / (alpha beta), which merge in a saddle-node at
s = 1 / (4 chi): the generic fixed-point finder and the continuation must find exactly these.
"""
import math

import numpy as np

from circuits import MemristiveNetwork
from neurodyn.analysis import continuation, fixed_points

CHI, ALPHA, BETA = 0.8, 1.5, 0.5


def single(S):
    return MemristiveNetwork([(0, 0)], sources=[S], chi=CHI, alpha=ALPHA, beta=BETA)


def test_fixed_points_of_a_memristor_loop_are_the_closed_form_roots():
    s = 0.2
    found = fixed_points(single(s * ALPHA * BETA), box=(0.0, 1.0 / CHI - 1e-3), n_starts=16)
    root = math.sqrt(1.0 - 4.0 * CHI * s)
    want = [(1.0 - root) / (2.0 * CHI), (1.0 + root) / (2.0 * CHI)]
    got = sorted(float(p.x[0]) for p in found)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    lo, hi = sorted(found, key=lambda p: p.x[0])
    # f'(x*) = alpha (2 chi x* - 1) / (1 - chi x*): negative at the lower root, positive above
    for p, x in zip((lo, hi), want):
        assert abs(p.eigenvalues[0].real - ALPHA * (2 * CHI * x - 1) / (1 - CHI * x)) < 1e-8
    assert lo.eigenvalues[0].real < 0 < hi.eigenvalues[0].real


def test_continuation_finds_the_saddle_node_of_the_memristor_loop():
    S_c = ALPHA * BETA / (4.0 * CHI)  # s = 1 / (4 chi)
    br = continuation(single(0.0), lambda net, S: net.replace(sources=[S]), 0.0, 2 * S_c,
                      [0.0])
    folds = [b.param for b in br.saddle_nodes]
    assert len(folds) == 1 and abs(folds[0] - S_c) < 1e-9
    # the branch turns back at the fold: its far end is the unstable root at S -> 0 side
    assert br.x[:, 0].max() > 1.0 / (2.0 * CHI) - 1e-6
