"""Poincaré sections and orbit diagrams located by the engine's events."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neurodyn
import solvers
from neurodyn.analysis import limit_cycle, orbit_diagram, poincare_section
from neurodyn.analysis._examples import van_der_pol
from solvers import Event, ODESystem, solve

VDP = ODESystem(van_der_pol, 2, (1.0,))
# The Van der Pol limit cycle's period at mu = 1 (Hairer, Norsett & Wanner; e.g. the
# continuation literature): 6.6632868593231...
VDP_PERIOD = 6.663286859323130


def x_plus_y(t, y, p):
    return y[0] + y[1]


def test_van_der_pol_period_from_a_section_matches_the_reference():
    ps = poincare_section(VDP, [2.0, 0.0], ([1.0, 0.0], 0.0), direction=1, n_crossings=6,
                          t_transient=60.0)
    assert ps.success, ps.message
    assert len(ps) == 6
    np.testing.assert_allclose(ps.return_times, VDP_PERIOD, rtol=0, atol=1e-8)
    # every crossing lies on the plane, moving upward through it
    np.testing.assert_allclose(ps.y[:, 0], 0.0, atol=1e-10)
    assert np.all(ps.y[:, 1] > 0)


def test_section_points_agree_with_scipy_events():
    ps = poincare_section(VDP, [2.0, 0.0], ([1.0, 1.0], 0.5), direction=-1, t_max=30.0)
    ref = solve_ivp(lambda t, y: [y[1], (1 - y[0] ** 2) * y[1] - y[0]], (0, 30), [2.0, 0.0],
                    events=lambda t, y: y[0] + y[1] - 0.5, rtol=1e-12, atol=1e-14,
                    method="DOP853")
    ev = ref.t_events[0]
    down = [t for t, y in zip(ev, ref.y_events[0])
            if (1 - y[0] ** 2) * y[1] - y[0] + y[1] < 0]  # d/dt (x + y) < 0
    np.testing.assert_allclose(ps.t, down, rtol=0, atol=1e-8)


def test_a_kernel_section_equals_the_plane():
    a = poincare_section(VDP, [2.0, 0.0], ([1.0, 1.0], 0.0), t_max=20.0, direction=0)
    b = poincare_section(VDP, [2.0, 0.0], x_plus_y, t_max=20.0, direction=0)
    np.testing.assert_allclose(a.t, b.t, rtol=0, atol=1e-9)


def test_plane_events_reuse_one_compiled_module():
    from solvers._codegen import _modules
    poincare_section(VDP, [2.0, 0.0], ([1.0, 0.0], 0.0), t_max=10.0)
    before = len(_modules)
    for off in (0.1, 0.2, -0.3):
        poincare_section(VDP, [2.0, 0.0], ([1.0, 0.3], off), t_max=10.0)
    assert len(_modules) == before


def test_too_few_crossings_is_reported():
    # a damped oscillator (mu < 0) settles at the origin and stops crossing x = 0.5
    ps = poincare_section(VDP, [2.0, 0.0], ([1.0, 0.0], 0.5), n_crossings=50, t_max=50.0,
                          params=(-1.0,))
    assert not ps.success and "of the 50 crossings" in ps.message


def test_bad_sections_are_refused():
    with pytest.raises(ValueError, match="normal"):
        poincare_section(VDP, [2.0, 0.0], ([1.0, 0.0, 0.0], 0.0), t_max=1.0)
    with pytest.raises(ValueError, match="zero vector"):
        poincare_section(VDP, [2.0, 0.0], ([0.0, 0.0], 0.0), t_max=1.0)
    with pytest.raises(ValueError, match="n_crossings, t_max"):
        poincare_section(VDP, [2.0, 0.0], ([1.0, 0.0], 0.0))
    with pytest.raises(TypeError, match="plane must be"):
        poincare_section(VDP, [2.0, 0.0], "x = 0", t_max=1.0)
    with pytest.raises(ValueError, match="event 0: the plane"):
        solve(VDP, (0, 1), [2.0, 0.0], events=Event.plane([1.0, 2.0, 3.0], 0.0))


def test_orbit_diagram_equals_single_sections():
    mus = [0.5, 1.0, 2.0]
    systems = [VDP.with_params((mu,)) for mu in mus]
    m, v = orbit_diagram(systems, [2.0, 0.0], ([1.0, 0.0], 0.0), 1, n_crossings=3,
                         t_transient=50.0, t_max=60.0)
    assert m.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    for i, s in enumerate(systems):
        ens_start = solve(s, (0.0, 50.0), [2.0, 0.0], rtol=1e-9, atol=1e-11).y_final
        ps = solve(s, (50.0, 110.0), ens_start, rtol=1e-9, atol=1e-11,
                   events=Event.plane([1.0, 0.0], 0.0, terminal=3, direction=1))
        np.testing.assert_allclose(v[m == i], ps.y_events[0][:, 1], rtol=1e-12)
    # a limit cycle crosses x = 0 upward at one speed: the three values agree per member
    for i in range(3):
        assert np.ptp(v[m == i]) < 1e-6


def test_limit_cycle_period_now_from_events():
    lc = limit_cycle(neurodyn.CTRNN(W=[[4.5, 1], [-1, 4.5]], bias=[-2.75, -1.75]), [0.0, 0.0])
    assert lc.converged
    # the period of the located section crossings equals the Newton-refined one closely
    ps = poincare_section(neurodyn.CTRNN(W=[[4.5, 1], [-1, 4.5]], bias=[-2.75, -1.75]),
                          lc.x, (np.eye(2)[lc.section[0]], lc.section[1]), n_crossings=3)
    np.testing.assert_allclose(ps.return_times, lc.period, rtol=1e-7)
