"""circuits.sources: the compiled waveforms equal their closed forms, and bad input is named."""
import pickle

import numpy as np
import pytest

from circuits.sources import (Constant, Pulses, Sampled, Sine, Triangle, as_source,
                              encode_sources)

T = np.linspace(-0.3, 3.7, 4001)


def test_sine_and_triangle_match_closed_forms():
    s = Sine(1.7, 0.8, phase=0.4, offset=-0.2)
    np.testing.assert_allclose(s(T), -0.2 + 1.7 * np.sin(2 * np.pi * 0.8 * T + 0.4),
                               rtol=0, atol=1e-14)
    tri = Triangle(1.7, 0.8, phase=0.4, offset=-0.2)
    # the triangle is the arcsine-flattened sine of the same phase: (2/pi) asin(sin(.))
    want = -0.2 + 1.7 * (2 / np.pi) * np.arcsin(np.sin(2 * np.pi * 0.8 * T + 0.4))
    np.testing.assert_allclose(tri(T), want, rtol=0, atol=1e-12)


def test_pulses_and_samples_match_closed_forms():
    p = Pulses(2.0, period=0.5, width=0.1, delay=0.2, offset=0.5)
    tau = T - 0.2
    on = (tau >= 0) & (np.mod(tau, 0.5) < 0.1)
    np.testing.assert_array_equal(p(T), np.where(on, 2.5, 0.5))
    ts = np.array([0.0, 0.4, 1.0, 2.5])
    vs = np.array([1.0, -1.0, 3.0, 0.5])
    np.testing.assert_allclose(Sampled(ts, vs, "linear")(T), np.interp(T, ts, vs), atol=1e-14)
    idx = np.clip(np.searchsorted(ts, T, side="right") - 1, 0, 3)
    np.testing.assert_array_equal(Sampled(ts, vs, "zoh")(T), vs[idx])


def test_encoding_blocks_and_pickling():
    kind, par, ptr, ts, vs = encode_sources([0.3, Sampled([0, 1], [1, 2]), Sine(1, 2),
                                             Sampled([0, 1, 2], [0, 0, 1], "zoh")])
    assert kind.tolist() == [0, 5, 1, 4] and ptr.tolist() == [0, 0, 2, 2, 5]
    assert not par.flags.writeable
    s = Pulses(1.0, 1.0, 0.5)
    assert pickle.loads(pickle.dumps(s)) == s
    assert as_source(2) == Constant(2.0)
    with pytest.raises(AttributeError, match="immutable"):
        s.width = 0.2


@pytest.mark.parametrize("make, match", [
    (lambda: Sine(1.0, 0.0), "Sine frequency must be positive"),
    (lambda: Sine(float("nan"), 1.0), "Sine amplitude must be finite"),
    (lambda: Pulses(1.0, 1.0, 2.0), "width 2.0 exceeds the period"),
    (lambda: Sampled([0.0, 1.0, 1.0], [0, 1, 2]), r"times\[1\] = 1.0, times\[2\] = 1.0"),
    (lambda: Sampled([0.0, 1.0], [0.0, np.inf]), r"values\[1\] = inf is not finite"),
    (lambda: Sampled([0.0, 1.0], [0.0]), "shape of times"),
    (lambda: Sampled([0.0, 1.0], [0.0, 1.0], "cubic"), "interp"),
    (lambda: as_source(np.sin, "edge (0, 1)"), r"edge \(0, 1\): a Python callable"),
    (lambda: as_source("1 V"), "must be a circuits source"),
])
def test_bad_sources_are_named(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
