"""neurodyn.plot draws what it is given: the data in the axes are checked against the input and
against references written here with NumPy and SciPy (vector fields, nullclines, stability,
memristances, energies), every figure is rendered to PNG with Agg, and bad arguments are
refused by name."""
import ast
import pathlib
import subprocess
import sys
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import neurodyn.plot as ndp  # noqa: E402
import solvers  # noqa: E402
from neurodyn import CTRNN, ContinuousHopfield, Hopfield, capacity_curve  # noqa: E402
from neurodyn.analysis import (basins, continuation, fixed_points, lyapunov_spectrum,  # noqa: E402
                               orbit_diagram, PoincareSection)
from neurodyn.analysis._examples import van_der_pol  # noqa: E402
from neurodyn.lsm import LSM, LiquidRun, SpikeInput  # noqa: E402
from solvers import MapSystem, ODESystem  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEER_W = np.array([[4.5, 1.0], [-1.0, 4.5]])
BEER_THETA = np.array([-2.75, -1.75])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def render(ax, tmp_path, name="x.png"):
    """Draw the figure to a PNG with Agg: every artist must render."""
    path = tmp_path / name
    ax.figure.savefig(path)
    assert path.stat().st_size > 1000
    return path


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def ctrnn_f(W, theta, Y):
    """The CTRNN field with tau = gain = 1, NumPy, for states Y (..., n)."""
    return -Y + sig(Y + theta) @ W.T


def lines(ax, gid):
    return [ln for ln in ax.lines if ln.get_gid() == gid]


def beer(transpose=False):
    W = BEER_W.T if transpose else BEER_W
    return CTRNN(W, bias=BEER_THETA, nodes=["n0", "n1"])


# ----------------------------------------------------------------------------- the package


def test_import_needs_no_matplotlib_and_drawing_says_how_to_install_it():
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "import numpy as np, neurodyn.plot as ndp\n"
            "try:\n"
            "    ndp.trajectories((np.arange(3.0), np.zeros(3)))\n"
            "except ImportError as e:\n"
            "    print('ImportError', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.startswith("ImportError") and "pip install 'neurodyn[plot]'" in out


def _calls(path):
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found.append(node.func.attr)
    return found


def test_no_show_no_backend_switch_no_circuits():
    files = sorted((ROOT / "neurodyn" / "plot").glob("*.py"))
    assert len(files) >= 8
    for path in files:
        calls = _calls(path)
        assert "show" not in calls and "use" not in calls, path.name
        text = path.read_text()
        # not even in an example: neurodyn never imports circuits
        assert "import circuits" not in text and "from circuits" not in text, path.name
        assert len(text.splitlines()) < 500, path.name


@pytest.mark.parametrize("draw", [
    lambda ax: ndp.trajectories((np.arange(3.0), np.zeros(3)), ax=ax),
    lambda ax: ndp.hysteresis(SimpleNamespace(v=np.array([0.0, 1.0]), i=np.zeros(2)), ax=ax),
    lambda ax: ndp.patterns(np.ones((1, 4)), (2, 2), ax=ax),
    lambda ax: ndp.sweep([1.0, 2.0], [0.5, 0.6], ax=ax),
])
def test_draws_on_the_axes_given_or_on_a_new_figure(draw, tmp_path):
    fig, ax = plt.subplots()
    assert draw(ax) is ax
    n = len(plt.get_fignums())
    new = draw(None)
    assert new is not ax and len(plt.get_fignums()) == n + 1
    render(new, tmp_path)
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        draw("axes")


# ----------------------------------------------------------------------------- trajectories


def test_trajectories_are_the_solution_labelled_by_node_names(tmp_path):
    net = beer()
    sol = solvers.solve(net, (0.0, 20.0), [0.0, 0.0], t_eval=np.linspace(0, 20, 101))
    ax = ndp.trajectories(sol, names=net)
    assert [ln.get_label() for ln in ax.lines] == ["y0 (n0)", "y1 (n1)"]
    for k, ln in enumerate(ax.lines):
        np.testing.assert_array_equal(ln.get_xydata(), np.column_stack([sol.t, sol.y[:, k]]))
    assert ax.get_xlabel() == "t" and ax.get_legend() is not None
    render(ax, tmp_path)
    ax = ndp.trajectories((sol.t, sol.y), states=[1], labels=["second"])
    assert [ln.get_label() for ln in ax.lines] == ["second"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), sol.y[:, 1])
    ax = ndp.trajectories(sol, states=0)
    assert [ln.get_label() for ln in ax.lines] == ["y0"]


def test_trajectories_refuse_bad_arguments():
    sol = (np.arange(3.0), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="states must be an integer <= 1"):
        ndp.trajectories(sol, states=2)
    with pytest.raises(TypeError, match="states must be an integer"):
        ndp.trajectories(sol, states=True)
    with pytest.raises(ValueError, match="names has 3 names, expected 2"):
        ndp.trajectories(sol, names=["a", "b", "c"])
    with pytest.raises(TypeError, match="sol must be a solvers.Solution"):
        ndp.trajectories([1.0, 2.0])
    with pytest.raises(ValueError, match=r"sol.y must have shape \(3, n\)"):
        ndp.trajectories((np.arange(3.0), np.zeros((4, 2))))
    with pytest.raises(ValueError, match="labels must be a sequence of 2 strings"):
        ndp.trajectories(sol, labels=["one"])


# ----------------------------------------------------------------------------- phase portraits


def test_phase_portrait_of_beers_oscillator(tmp_path):
    net = beer()
    sol = solvers.solve(net, (0.0, 60.0), [0.0, 0.0], t_eval=np.linspace(0, 60, 601))
    ax = ndp.phase_portrait(net, trajectories=[sol, [4.0, 0.0]], t_span=(0.0, 30.0),
                            xlim=(-0.5, 5.0), ylim=(-0.5, 4.0), density=15)
    render(ax, tmp_path)
    assert ax.get_xlim() == (-0.5, 5.0) and ax.get_ylim() == (-0.5, 4.0)
    assert ax.get_xlabel() == "y0 (n0)" and ax.get_ylabel() == "y1 (n1)"

    # the fixed point: where the NumPy field vanishes, drawn in the unstable-focus style
    (fp_line,) = lines(ax, "fixed points")
    assert fp_line.get_label() == "unstable focus"
    x = fp_line.get_xydata()
    np.testing.assert_allclose(ctrnn_f(BEER_W, BEER_THETA, x), 0.0, atol=1e-9)
    np.testing.assert_allclose(x, [fp.x for fp in fixed_points(net)], rtol=0, atol=0)
    assert fp_line.get_color() == ndp.STABILITY_STYLES["unstable focus"]["color"]
    assert fp_line.get_markerfacecolor() == "white"

    # the arrows point along the NumPy field (equal length in axes units)
    (q,) = [c for c in ax.collections if c.get_gid() == "vector field"]
    assert q.X.size == 15 * 15
    F = ctrnn_f(BEER_W, BEER_THETA, np.column_stack([q.X, q.Y]))
    a, b = F[:, 0] / 5.5, F[:, 1] / 4.5
    u, v = q.U / (0.8 * 5.5 / 15), q.V / (0.8 * 4.5 / 15)
    np.testing.assert_allclose(u * b - v * a, 0.0, atol=1e-12 * np.abs(F).max())
    assert np.all(u * a + v * b > 0)
    np.testing.assert_allclose(np.hypot(u, v), 1.0, rtol=1e-12)

    # nullclines: the NumPy field's component vanishes along each contour
    for i in (0, 1):
        (cs,) = [c for c in ax.collections if c.get_gid() == f"nullcline y{i}"]
        verts = np.concatenate([p.vertices for p in cs.get_paths()])
        assert len(verts) > 50
        assert np.abs(ctrnn_f(BEER_W, BEER_THETA, verts)[:, i]).max() < 2e-3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["trajectory", "unstable focus", "dy0/dt = 0", "dy1/dt = 0"]

    # trajectories: the Solution as given, and one integrated from y0 = (4, 0) (SciPy)
    tr = lines(ax, "trajectory")
    np.testing.assert_array_equal(tr[0].get_xydata(), sol.y)
    ref = solve_ivp(lambda t, y: ctrnn_f(BEER_W, BEER_THETA, y), (0, 30), [4.0, 0.0],
                    method="DOP853", rtol=1e-11, atol=1e-12, t_eval=[30.0]).y[:, -1]
    assert tr[1].get_xydata().shape == (2001, 2)
    np.testing.assert_allclose(tr[1].get_xydata()[-1], ref, atol=1e-6)


def test_phase_portrait_of_the_transposed_network_has_a_stable_node(tmp_path):
    net = beer(transpose=True)
    ax = ndp.phase_portrait(net, trajectories=[[0.0, 0.0]], vector_field="stream", grid=41)
    render(ax, tmp_path)
    (fp_line,) = lines(ax, "fixed points")
    x = fp_line.get_xydata()[0]
    assert fp_line.get_label() == "stable node"
    assert fp_line.get_color() == fp_line.get_markerfacecolor() == "#2ca02c"
    # stable: the NumPy Jacobian's eigenvalues (central differences) have negative real parts
    h = 1e-6
    J = np.column_stack([(ctrnn_f(BEER_W.T, BEER_THETA, x + h * e)
                          - ctrnn_f(BEER_W.T, BEER_THETA, x - h * e)) / (2 * h)
                         for e in np.eye(2)])
    assert np.all(np.linalg.eigvals(J).real < 0)
    # the trajectory from the origin ends on it
    np.testing.assert_allclose(lines(ax, "trajectory")[0].get_xydata()[-1], x, atol=1e-6)
    assert [c for c in ax.collections if c.get_gid() == "vector field"]


def test_phase_portrait_styles_every_stability_class_of_a_bistable_network():
    # two stable nodes and a saddle between them (Beer's symmetric bistable pair)
    W, theta = np.array([[6.0, -3.0], [-3.0, 6.0]]), np.array([-1.5, -1.5])
    net = CTRNN(W, bias=theta)
    ax = ndp.phase_portrait(net, vector_field=False, nullclines=False,
                            bounds=((-4.0, 8.0), (-4.0, 8.0)))
    got = {ln.get_label(): ln for ln in lines(ax, "fixed points")}
    assert sorted(got) == ["saddle", "stable node"]
    assert got["saddle"].get_marker() == "X" and len(got["stable node"].get_xdata()) == 2
    for ln in got.values():
        np.testing.assert_allclose(ctrnn_f(W, theta, ln.get_xydata()), 0.0, atol=1e-9)
        assert ln.get_color() == ndp.STABILITY_STYLES[ln.get_label()]["color"]
    assert not ax.collections                      # no arrows, no nullclines asked for


def test_phase_portrait_of_three_neurons_in_a_plane_and_in_projections(tmp_path):
    W = np.array([[4.5, 1.0, 0.5], [-1.0, 4.5, 0.2], [0.3, -0.5, 2.0]])
    theta = np.array([-2.75, -1.75, -1.0])
    net = CTRNN(W, bias=theta)
    fps = fixed_points(net)
    # the plane of states 0 and 2, state 1 held at 0.7
    ax = ndp.phase_portrait(net, axes=(0, 2), at=[0.0, 0.7, 0.0], density=6, grid=31,
                            bounds=((-1.0, 5.0), (-1.0, 3.0)), fixed_points=fps)
    render(ax, tmp_path)
    (q,) = [c for c in ax.collections if c.get_gid() == "vector field"]
    Y = np.column_stack([q.X, np.full(q.X.size, 0.7), q.Y])
    F = ctrnn_f(W, theta, Y)
    a, b = F[:, 0] / 6.0, F[:, 2] / 4.0
    u, v = q.U / (0.8 * 6.0 / 6), q.V / (0.8 * 4.0 / 6)
    np.testing.assert_allclose(u * b - v * a, 0.0, atol=1e-12 * np.abs(F).max())
    assert [c.get_gid() for c in ax.collections if c.get_gid().startswith("null")] == \
        ["nullcline y0", "nullcline y2"]
    np.testing.assert_array_equal(lines(ax, "fixed points")[0].get_xydata(),
                                  [[fp.x[0], fp.x[2]] for fp in fps])

    sols = [solvers.solve(net, (0.0, 40.0), y0, t_eval=np.linspace(0, 40, 401))
            for y0 in ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0])]
    ax = ndp.phase_portrait(net, projection=(1, 2), trajectories=sols, fixed_points=fps)
    assert not ax.collections                      # no field in a projection
    for ln, s in zip(lines(ax, "trajectory"), sols):
        np.testing.assert_array_equal(ln.get_xydata(), s.y[:, [1, 2]])

    ax = ndp.phase_portrait(net, projection="pca", trajectories=sols, fixed_points=fps)
    render(ax, tmp_path, "pca.png")
    # PCA written here another way: eigenvectors of the covariance matrix
    Yall = np.concatenate([s.y for s in sols])
    mean = Yall.mean(axis=0)
    evals, evecs = np.linalg.eigh(np.cov((Yall - mean).T))
    V = evecs[:, ::-1][:, :2]
    for ln, s in zip(lines(ax, "trajectory"), sols):
        got, want = ln.get_xydata(), (s.y - mean) @ V
        signs = np.sign(np.sum(got * want, axis=0))     # a component's sign is arbitrary
        np.testing.assert_allclose(got, want * signs, atol=1e-9)
    fp_xy = lines(ax, "fixed points")[0].get_xydata()
    np.testing.assert_allclose(fp_xy, ((fps[0].x - mean) @ V)[None, :] * signs, atol=1e-9)
    share = evals[::-1] / evals.sum()
    assert ax.get_xlabel() == f"PC1 ({100 * share[0]:.0f} % of variance)"


def test_phase_portrait_refuses_bad_arguments():
    net = beer()
    with pytest.raises(ValueError, match="two different states"):
        ndp.phase_portrait(net, axes=(1, 1), fixed_points=False)
    with pytest.raises(ValueError, match=r"axes\[1\] must be an integer <= 1"):
        ndp.phase_portrait(net, axes=(0, 2), fixed_points=False)
    with pytest.raises(ValueError, match="vector_field applies to the plane"):
        ndp.phase_portrait(net, projection=(0, 1), vector_field=True, trajectories=[[0, 0]])
    with pytest.raises(ValueError, match="projection='pca' needs trajectories"):
        ndp.phase_portrait(net, projection="pca", fixed_points=False)
    with pytest.raises(ValueError, match="projection must be None, 'pca'"):
        ndp.phase_portrait(net, projection="tsne")
    with pytest.raises(ValueError, match="xlim must have low < high"):
        ndp.phase_portrait(net, xlim=(1.0, 0.0), fixed_points=False)
    with pytest.raises(TypeError, match="xlim must hold real numbers"):
        ndp.phase_portrait(net, xlim=(True, 2.0), fixed_points=False)
    with pytest.raises(ValueError, match="bounds or xlim/ylim, not both"):
        ndp.phase_portrait(net, bounds=((0, 1), (0, 1)), xlim=(0, 1))
    with pytest.raises(TypeError, match="vector_field must be True or False"):
        ndp.phase_portrait(net, vector_field=1, fixed_points=False)
    with pytest.raises(ValueError, match=r"trajectories\[0\] must have shape \(2,\)"):
        ndp.phase_portrait(net, trajectories=[[0.0, 0.0, 0.0]], fixed_points=False)
    with pytest.raises(TypeError, match="fixed point with .x and .stability"):
        ndp.phase_portrait(net, fixed_points=[np.zeros(2)])
    with pytest.raises(ValueError, match="a phase plane needs two"):
        ndp.phase_portrait(CTRNN([[1.0]]))

    def henon(k, x, p, out):
        out[0] = 1.0 - 1.4 * x[0] ** 2 + x[1]
        out[1] = 0.3 * x[0]

    with pytest.raises(TypeError, match="no vector field"):
        ndp.phase_portrait(MapSystem(henon, 2))


# ----------------------------------------------------------------------------- bifurcations


def test_bifurcation_of_a_bistable_neuron_dashes_exactly_the_unstable_part(tmp_path):
    br = continuation(CTRNN([[8.0]]), "bias", -8.0, 0.0, [0.0])
    ax = ndp.bifurcation(br)
    render(ax, tmp_path)
    pieces = [ln for ln in ax.lines if ln.get_gid() in ("stable", "unstable")]
    assert [ln.get_gid() for ln in pieces] == ["stable", "unstable", "stable"]
    assert [ln.get_linestyle() for ln in pieces] == ["-", "--", "-"]
    folds = [(b.param, b.x[0]) for b in br.saddle_nodes]
    assert len(folds) == 2
    # every branch point lies on exactly one piece, the dashed one iff it is unstable; and
    # unstable means (written here) d/dy (-y + 8 sigma(y + mu)) = -1 + 8 sigma' > 0
    drawn = {}
    for ln in pieces:
        for xy in map(tuple, ln.get_xydata()):
            drawn.setdefault(xy, []).append(ln.get_gid())
    for mu, y in zip(br.param, br.x[:, 0]):
        s = sig(y + mu)
        want = "unstable" if -1 + 8 * s * (1 - s) > 0 else "stable"
        assert drawn.pop((mu, y)) == [want]
    # what is left: the pieces meet at the two folds, each shared by two pieces
    assert sorted(drawn) == sorted(folds) and all(len(v) == 2 for v in drawn.values())
    (marks,) = lines(ax, "bifurcation")
    np.testing.assert_array_equal(marks.get_xydata(), folds)
    assert marks.get_label() == "saddle-node (fold)" and marks.get_marker() == "s"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == \
        ["stable", "unstable", "saddle-node (fold)"]


def test_bifurcation_marks_hopf_points_of_beers_oscillator():
    net = beer()
    br = continuation(net, lambda s, mu: s.replace(bias=[mu, -1.75]), -4.0, -1.0, [0.0, 0.0])
    ax = ndp.bifurcation(br, state=1, xlabel="theta0")
    (marks,) = lines(ax, "bifurcation")
    assert marks.get_label() == "Hopf" and marks.get_marker() == "*"
    np.testing.assert_array_equal(marks.get_xydata(), [(b.param, b.x[1]) for b in br.hopf_points])
    # between the Hopf points (Beer: the oscillating window around -2.75) the branch is dashed
    (dashed,) = lines(ax, "unstable")
    mu = dashed.get_xdata()
    assert mu.min() == pytest.approx(-3.0016, abs=1e-3) and mu.max() == pytest.approx(-2.4984,
                                                                                      abs=1e-3)
    assert ax.get_xlabel() == "theta0" and ax.get_ylabel() == "x[1]"
    with pytest.raises(ValueError, match="state must be an integer <= 1"):
        ndp.bifurcation(br, state=2)
    with pytest.raises(TypeError, match="branch must be a Branch"):
        ndp.bifurcation(np.zeros(3))


def test_orbit_diagram_of_a_map_of_sections_and_of_analysis_output(tmp_path):
    r = np.array([2.8, 3.2, 3.5])
    x = np.full(3, 0.5)
    for _ in range(1000):
        x = r * x * (1 - x)
    last = []
    for _ in range(8):
        x = r * x * (1 - x)
        last.append(x)
    V = np.array(last).T                                          # (3 parameters, 8 iterates)
    ax = ndp.orbit_diagram(V, params=r)
    render(ax, tmp_path)
    (pts,) = lines(ax, "orbit")
    np.testing.assert_array_equal(pts.get_xydata(), np.column_stack([np.repeat(r, 8), V.ravel()]))
    # a fixed point, a 2-cycle and a 4-cycle: 1, 2 and 4 distinct values
    assert [np.unique(V[k].round(6)).size for k in range(3)] == [1, 2, 4]
    assert pts.get_linestyle() == "None"

    secs = [PoincareSection(np.arange(2.0), np.array([[1.0, 2.0], [3.0, 4.0]]), True, "", None),
            PoincareSection(np.zeros(0), np.zeros((0, 2)), True, "", None)]
    ax = ndp.orbit_diagram(secs, params=[0.5, 0.7], component=1)
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), [[0.5, 2.0], [0.5, 4.0]])

    base = ODESystem(van_der_pol, 2, (1.0,))
    mus = np.array([0.5, 2.0])
    m, v = orbit_diagram([base.with_params((mu,)) for mu in mus], [2.0, 0.0], ([1.0, 0.0], 0.0),
                         1, n_crossings=2, t_transient=30.0, t_max=40.0)
    ax = ndp.orbit_diagram((m, v), params=mus)
    np.testing.assert_array_equal(ax.lines[0].get_xydata(), np.column_stack([mus[m], v]))
    with pytest.raises(ValueError, match="member indices in 0..0"):
        ndp.orbit_diagram((m, v), params=mus[:1])
    with pytest.raises(ValueError, match="needs params="):
        ndp.orbit_diagram(V)
    with pytest.raises(ValueError, match="params has 2 values for 3 rows"):
        ndp.orbit_diagram(V, params=[1.0, 2.0])


# ----------------------------------------------------------------------------- basins


def _bistable(t, y, p, dydt):
    dydt[0] = y[0] - y[0] ** 3
    dydt[1] = -y[1]


def test_basins_as_an_image_and_as_a_scatter(tmp_path):
    g = np.linspace(-2.0, 2.0, 8)
    S = np.array([[x, y] for y in g for x in g])[::-1]      # any order of the grid will do
    b = basins(ODESystem(_bistable, 2), S, t_final=30.0)
    ax = ndp.basins(b, samples=S)
    render(ax, tmp_path)
    (mesh,) = [c for c in ax.collections if c.get_gid() == "basins"]
    img = np.asarray(mesh.get_array()).reshape(8, 8)        # rows: y, columns: x, increasing
    want = np.where(g < 0, 0, 1)                            # x -> -1 is attractor 0 (sorted)
    np.testing.assert_array_equal(img, np.tile(want, (8, 1)))
    colors = ndp.basin_colors(2)
    face = mesh.get_facecolors().reshape(8, 8, 4)
    np.testing.assert_allclose(face[0, 0], matplotlib.colors.to_rgba(colors[0]))
    np.testing.assert_allclose(face[0, -1], matplotlib.colors.to_rgba(colors[1]))
    marks = lines(ax, "attractor")
    np.testing.assert_allclose([m.get_xydata()[0] for m in marks], [[-1, 0], [1, 0]], atol=1e-6)
    assert [m.get_color() for m in marks] == colors
    assert [t.get_text() for t in ax.get_legend().get_texts()] == \
        ["0: fixed point, 50 %", "1: fixed point, 50 %"]

    ax = ndp.basins(b, samples=S, image=False)
    (sc,) = [c for c in ax.collections if c.get_gid() == "basins"]
    np.testing.assert_array_equal(sc.get_offsets(), S)
    np.testing.assert_array_equal(sc.get_array(), np.where(S[:, 0] < 0, 0, 1))
    with pytest.raises(ValueError, match="pass samples="):
        ndp.basins(b)
    with pytest.raises(ValueError, match=r"samples must have shape \(64, n\)"):
        ndp.basins(b, samples=S[:5])
    with pytest.raises(ValueError, match="image=True needs samples that fill a regular grid"):
        ndp.basins(b, samples=S + np.random.default_rng(0).normal(0, 0.01, S.shape),
                   image=True)


def test_basins_mark_a_limit_cycle_and_draw_one_state_systems():
    # Van der Pol (mu = 1): every start but the origin reaches the cycle of period 6.6633
    # and amplitude 2.0086 in x
    S = np.array([[0.3, 0.0], [0.0, 2.0], [-1.5, 0.5], [0.2, -0.2]])
    b = basins(ODESystem(van_der_pol, 2, (1.0,)), S, t_final=30.0, t_window=30.0,
               n_window=3001)
    ax = ndp.basins(b, samples=S)
    (cyc,) = lines(ax, "attractor")
    assert cyc.get_label() == "0: cycle, T = 6.66, 100 %"
    np.testing.assert_array_equal(cyc.get_xydata(), b.attractors[0].orbit)
    assert np.abs(cyc.get_xdata()).max() == pytest.approx(2.0086, abs=2e-3)

    def bistable1(t, y, p, dydt):
        dydt[0] = y[0] - y[0] ** 3

    X = np.linspace(-2, 2, 6)[:, None]
    b1 = basins(ODESystem(bistable1, 1), X, t_final=30.0)
    ax = ndp.basins(b1, samples=X)
    (sc,) = ax.collections
    np.testing.assert_allclose(sc.get_offsets(), np.column_stack([X[:, 0], np.sign(X[:, 0])]),
                               atol=1e-6)


# ----------------------------------------------------------------------------- Lyapunov


def test_lyapunov_convergence_draws_the_running_estimates(tmp_path):
    y0 = [2.0, 0.0]
    r = lyapunov_spectrum(ODESystem(van_der_pol, 2, (1.0,)), y0, t_total=20.0)
    ax = ndp.lyapunov_convergence(r)
    render(ax, tmp_path)
    ex = lines(ax, "exponent")
    assert len(ex) == 2 and ax.get_xscale() == "log"
    for k, ln in enumerate(ex):
        np.testing.assert_array_equal(ln.get_xydata(), np.column_stack([r.history_t,
                                                                        r.history[:, k]]))
        assert ln.get_label() == f"λ{k + 1} = {r.exponents[k]:.4g}"
    # the final running estimate is the exponent; their sum is the time average of the trace
    # mu (1 - x^2) of the Jacobian (Liouville), here along a SciPy trajectory
    np.testing.assert_allclose(r.history[-1], r.exponents, rtol=1e-12)
    t = np.linspace(0.0, 20.0, 20001)
    x = solve_ivp(lambda t, y: [y[1], (1 - y[0] ** 2) * y[1] - y[0]], (0, 20), y0,
                  method="DOP853", rtol=1e-11, atol=1e-12, t_eval=t).y[0]
    trace = 1.0 - x ** 2
    mean_trace = np.sum(0.5 * (trace[1:] + trace[:-1]) * np.diff(t)) / 20.0
    assert r.sum == pytest.approx(mean_trace, abs=1e-4)
    assert lines(ax, "zero")[0].get_ydata()[0] == 0.0

    def henon(k, x, p, out):
        out[0] = 1.0 - 1.4 * x[0] ** 2 + x[1]
        out[1] = 0.3 * x[0]

    rm = lyapunov_spectrum(MapSystem(henon, 2), [0.1, 0.1], n_steps=100)
    with pytest.raises(ValueError, match="no history"):
        ndp.lyapunov_convergence(rm)
    with pytest.raises(ValueError, match="xscale must be 'log' or 'linear'"):
        ndp.lyapunov_convergence(r, xscale="symlog")


# ----------------------------------------------------------------------------- spikes


def test_raster_of_a_hand_made_run_with_kinds_and_inputs(tmp_path):
    run = LiquidRun(np.array([2, 0, 1, 2]), np.array([1.0, 2.5, 3.0, 8.0]), n=3,
                    duration=10.0, dt=0.1, input_indices=np.array([0, 1]),
                    input_times=np.array([0.5, 4.0]))
    ax = ndp.raster(run, kinds=["exc", "inh", "exc"], inputs=True)
    render(ax, tmp_path)
    (exc,), (inh,), (inp,) = lines(ax, "exc"), lines(ax, "inh"), lines(ax, "input")
    np.testing.assert_array_equal(exc.get_xydata(), [[1.0, 2], [2.5, 0], [8.0, 2]])
    np.testing.assert_array_equal(inh.get_xydata(), [[3.0, 1]])
    np.testing.assert_array_equal(inp.get_xydata(), [[0.5, -1], [4.0, -2]])
    assert ax.get_xlim() == (0.0, 10.0) and ax.get_ylim() == (-2.5, 2.5)
    with pytest.raises(ValueError, match="kinds has 2 entries for 3 neurons"):
        ndp.raster(run, kinds=["exc", "inh"])
    with pytest.raises(ValueError, match="kinds entries must be 'exc' or 'inh'"):
        ndp.raster(run, kinds=["exc", "inh", "input"])
    with pytest.raises(TypeError, match="lsm_run must be a LiquidRun"):
        ndp.raster(np.zeros(3))


def test_raster_of_an_lsm_run():
    net = LSM(["exc", "inh"], pre=[0], post=[1], weight=[16.0], n_inputs=1, in_pre=[0],
              in_post=[0], in_weight=16.0, v_init=-65.0)
    run = net.run(SpikeInput([5.0, 20.0], [0, 0]), duration=30.0, seed=0)
    ax = ndp.raster(run, kinds=net.kind)
    (exc,) = lines(ax, "exc")
    np.testing.assert_array_equal(exc.get_xdata(), run.times[run.indices == 0])
    assert exc.get_xdata().size == 2                          # one spike per input spike
    (inh,) = lines(ax, "inh")
    np.testing.assert_array_equal(inh.get_xydata(),
                                  np.column_stack([run.times, run.indices])[run.indices == 1])


# ----------------------------------------------------------------------------- energy


def test_energy_of_a_continuous_hopfield_network(tmp_path):
    T = np.array([[0.0, 1.0], [1.0, 0.0]])
    net = ContinuousHopfield(T, gain=3.0)
    sol = solvers.solve(net, (0, 5), [0.3, -0.1], t_eval=np.linspace(0, 5, 26))
    ax = ndp.energy(net, sol, label="E")
    render(ax, tmp_path)
    (ln,) = lines(ax, "energy")
    # Hopfield's energy for tanh, C = R = 1, I = 0, written here:
    # -1/2 V T V + sum_i integral_0^V_i artanh(v) / gain dv
    V = np.tanh(3.0 * sol.y)
    integral = (V * np.arctanh(V) + 0.5 * np.log(1 - V ** 2)) / 3.0
    want = -0.5 * np.einsum("ki,ij,kj->k", V, T, V) + integral.sum(axis=1)
    np.testing.assert_allclose(ln.get_ydata(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(ln.get_xdata(), sol.t)
    assert np.all(np.diff(ln.get_ydata()) <= 1e-12) and ln.get_label() == "E"


def test_energy_of_circuits_and_of_discrete_recall():
    from circuits import HopfieldTank, MemristiveNetwork

    ht = HopfieldTank(np.array([[0.0, -1.0], [-1.0, 0.0]]), I=[0.5, 0.5], u0=0.2)
    sol = solvers.solve(ht, (0, 5), [0.1, -0.05], t_eval=np.linspace(0, 5, 41))
    (ln,) = lines(ndp.energy(ht, sol), "energy")
    np.testing.assert_array_equal(ln.get_ydata(), ht.energy(sol.y))
    assert np.all(np.diff(ln.get_ydata()) <= 1e-12)

    mn = MemristiveNetwork([(0, 1), (1, 0, 1)], sources={(0, 1): 1.0}, chi=0.5)
    sol = solvers.solve(mn, (0, 3), [0.2, 0.4], t_eval=np.linspace(0, 3, 31))
    (ln,) = lines(ndp.energy(mn, sol), "energy")
    np.testing.assert_array_equal(ln.get_ydata(), mn.energy(sol.y))

    P = np.array([[1, -1, 1, -1, 1, -1, 1, -1], [1, 1, -1, -1, 1, 1, -1, -1]])
    net = Hopfield.from_patterns(P)
    probes = P.copy()
    probes[:, 0] *= -1
    r = net.recall(probes, mode="async", seed=0, return_energy=True)
    ax = ndp.energy(net, r)
    traces = lines(ax, "energy")
    assert len(traces) == 2 and ax.get_xlabel() == "sweep"
    W = P.T @ P / 8.0
    np.fill_diagonal(W, 0.0)
    for k, tr in enumerate(traces):
        E = tr.get_ydata()
        assert E[0] == pytest.approx(-0.5 * probes[k] @ W @ probes[k])
        assert E[-1] == pytest.approx(-0.5 * r.states[k] @ W @ r.states[k])
    # a sequence of states: energy against step
    ax = ndp.energy(net, np.vstack([probes[0], P[0]]))
    assert ax.get_xlabel() == "step"
    np.testing.assert_array_equal(ax.lines[0].get_xydata(),
                                  [[0, net.energy(probes[0])], [1, net.energy(P[0])]])
    with pytest.raises(ValueError, match="without energies"):
        ndp.energy(net, net.recall(probes, mode="async", seed=0))
    with pytest.raises(TypeError, match="CTRNN has none"):
        ndp.energy(beer(), sol)


# ----------------------------------------------------------------------------- memories


def test_capacity_curve(tmp_path):
    c = capacity_curve(100, [0.05, 0.1, 0.3], n_trials=1)
    s = capacity_curve(100, [0.05, 0.1, 0.3], n_trials=1, rule="storkey")
    ax = ndp.capacity(c, errorbars=True)
    ndp.capacity(s, ax=ax, quantity="stable")
    render(ax, tmp_path)
    assert [ln.get_gid() for ln in ax.lines] == ["overlap", "recalled", "alpha_c", "stable"]
    np.testing.assert_array_equal(ax.lines[0].get_xydata(),
                                  np.column_stack([c.p / 100, c.overlap]))
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), c.recalled)
    np.testing.assert_array_equal(ax.lines[3].get_ydata(), s.stable)
    assert ax.lines[2].get_xdata()[0] == 0.138                  # drawn once for two curves
    assert ax.lines[0].get_color() == ax.lines[1].get_color()   # one colour per curve
    assert ax.lines[0].get_color() != ax.lines[3].get_color()
    assert ax.lines[0].get_label() == "hebbian, noise 0: mean overlap"
    (band,) = [c_ for c_ in ax.collections if c_.get_gid() == "overlap_std"]
    # below alpha_c the Hebbian network recalls its patterns: m = 1 (independent of plotting)
    assert c.overlap[0] == 1.0 and c.overlap[-1] < 0.8
    with pytest.raises(ValueError, match="quantity must be one of"):
        ndp.capacity(c, quantity="accuracy")
    with pytest.raises(TypeError, match="curve must be a CapacityCurve"):
        ndp.capacity({"p": 1})


def test_patterns_tile_the_bitmaps(tmp_path):
    rng = np.random.default_rng(0)
    P = rng.choice([-1.0, 1.0], size=(5, 12))
    ax = ndp.patterns(P, (3, 4), ncols=2, titles=list("abcde"), row_labels=["x", "y", "z"])
    render(ax, tmp_path)
    img = np.asarray(ax.images[0].get_array().filled(np.nan))
    assert img.shape == (3 * 3 + 4, 2 * 4 + 3)
    for m in range(5):
        r, c = divmod(m, 2)
        np.testing.assert_array_equal(img[1 + 4 * r:4 + 4 * r, 1 + 5 * c:5 + 5 * c],
                                      P[m].reshape(3, 4))
    assert np.isnan(img[0]).all() and np.isnan(img[:, 5]).all()
    assert np.isnan(img[9:12, 6:10]).all()                      # the empty sixth tile
    assert [t.get_text() for t in ax.texts] == list("abcde") + ["x", "y", "z"]
    with pytest.raises(ValueError, match=r"shape \(3, 3\) holds 9 pixels, the patterns 12"):
        ndp.patterns(P, (3, 3))
    with pytest.raises(ValueError, match="titles must be a sequence of 5 strings"):
        ndp.patterns(P, (3, 4), titles=["a"])


# ----------------------------------------------------------------------------- circuits


def test_hysteresis_loop_of_an_hp_memristor(tmp_path):
    import circuits

    hp = circuits.HPMemristor()
    r = circuits.drive(hp, circuits.Sine(1.0, 1.0), (0.0, 2.0), 0.1,
                       t_eval=np.linspace(0.0, 2.0, 2001))
    ax = ndp.hysteresis(r, last=1.0, i_unit="mA", label="1 Hz")
    render(ax, tmp_path)
    (loop,) = lines(ax, "loop")
    v, i_ma = loop.get_xdata(), loop.get_ydata()
    assert v.size == 1001                                       # the last second: t >= 1
    np.testing.assert_array_equal(v, r.v[1000:])
    # Ohm's law with the HP memristance R_on x + R_off (1 - x), written here
    M = hp.R_on * r.x[1000:] + hp.R_off * (1.0 - r.x[1000:])
    np.testing.assert_allclose(i_ma * 1e-3 * M, v, rtol=1e-12, atol=1e-15)
    assert abs(i_ma[np.argmin(np.abs(v))]) < 1e-6              # pinched at the origin
    assert ax.get_ylabel() == "i (mA)" and ax.get_xlabel() == "v (V)"
    assert len(lines(ax, "origin")) == 2
    ndp.hysteresis(r, ax=ax)
    assert len(lines(ax, "origin")) == 2 and len(lines(ax, "loop")) == 2
    with pytest.raises(ValueError, match="i_unit must be one of"):
        ndp.hysteresis(r, i_unit="kA")
    with pytest.raises(TypeError, match="without .i"):
        ndp.hysteresis(SimpleNamespace(v=np.zeros(3)))
    with pytest.raises(TypeError, match="last= needs the sample times"):
        ndp.hysteresis(SimpleNamespace(v=np.zeros(3), i=np.zeros(3)), last=1.0)
    with pytest.raises(ValueError, match="drive_result.v has 3 samples, drive_result.i 2"):
        ndp.hysteresis(SimpleNamespace(v=np.zeros(3), i=np.zeros(2)))


# ----------------------------------------------------------------------------- networks


def test_network_colours_each_edge_by_its_weight(tmp_path):
    from neurodyn.demo import beer_oscillator_graph

    net = CTRNN.from_graph(beer_oscillator_graph())
    ax = ndp.network(net)
    render(ax, tmp_path)
    cmap = matplotlib.colormaps["RdBu_r"]
    norm = matplotlib.colors.Normalize(-4.5, 4.5)
    G = net.to_graph()
    others = [(u, v, w) for u, v, w in G.edges(data="weight") if u != v]
    assert len(ax.patches) == len(others) == 2
    for patch, (u, v, w) in zip(ax.patches, others):
        np.testing.assert_allclose(patch.get_edgecolor(), cmap(norm(w)))
    # self-connections W[i, i] = 4.5 colour the nodes' rings
    (nodes,) = [c for c in ax.collections if c.get_gid() == "nodes"]
    np.testing.assert_allclose(nodes.get_edgecolors(), [cmap(norm(4.5))] * 2)
    np.testing.assert_array_equal(nodes.get_linewidths(), [3.0, 3.0])
    cbar_ax = [a for a in ax.figure.axes if a is not ax]
    assert len(cbar_ax) == 1 and cbar_ax[0].get_ylabel() == "weight"

    hop = Hopfield([[0, 2, -1], [2, 0, 0.5], [-1, 0.5, 0]], nodes=["a", "b", "c"])
    ax = ndp.network(hop, vmax=4.0, colorbar=False, layout="circular")
    (edges,) = [c for c in ax.collections if c.get_gid() == "edges"]
    want = [cmap(matplotlib.colors.Normalize(-4.0, 4.0)(w))
            for _, _, w in hop.to_graph().edges(data="weight")]
    np.testing.assert_allclose(edges.get_colors(), want)
    assert len(ax.figure.axes) == 1

    G = nx.DiGraph()
    G.add_edge("p", "q", current=1.5)
    ax = ndp.network(G, weight="current", pos={"p": (0, 0), "q": (1, 0)})
    np.testing.assert_allclose(ax.patches[0].get_edgecolor(), cmap(1.0))
    with pytest.raises(ValueError, match="edge 'p' -> 'q' has no 'weight' attribute"):
        ndp.network(G)
    with pytest.raises(ValueError, match="pos has no position for node 'q'"):
        ndp.network(G, weight="current", pos={"p": (0, 0)})
    with pytest.raises(TypeError, match="model must have .to_graph"):
        ndp.network(np.eye(2))
    with pytest.raises(ValueError, match="layout must be one of"):
        ndp.network(G, weight="current", layout="random")


# ----------------------------------------------------------------------------- sweeps, period


def test_sweep_draws_the_values_with_a_reference(tmp_path):
    ax = ndp.sweep([2, 4, 16, 64], [0.9, 0.95, 1.0, float("nan")], reference=1.0,
                   xscale="log", label="levels")
    ndp.sweep([2, 4], [0.5, 0.6], ax=ax, reference=0.5)
    render(ax, tmp_path)
    assert [ln.get_gid() for ln in ax.lines] == ["sweep", "reference", "sweep"]
    np.testing.assert_array_equal(ax.lines[0].get_xydata(),
                                  [[2, 0.9], [4, 0.95], [16, 1.0], [64, np.nan]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4", "16", "64"]
    with pytest.raises(ValueError, match="needs positive param values"):
        ndp.sweep([0.0, 1.0], [1.0, 1.0], xscale="log")
    with pytest.raises(ValueError, match="param has 2 values, values 3"):
        ndp.sweep([0.0, 1.0], [1.0, 1.0, 1.0])


def test_oscillation_period_moved_to_analysis():
    import neurodyn.analysis
    import neurodyn.demo

    assert neurodyn.demo.oscillation_period is neurodyn.analysis.oscillation_period
    t = np.linspace(0.0, 200.0, 40001)
    assert neurodyn.analysis.oscillation_period(t, np.cos(t)) == pytest.approx(2 * np.pi,
                                                                               abs=1e-6)
    with pytest.raises(ValueError, match="t has 3 samples, x 2"):
        neurodyn.analysis.oscillation_period([0.0, 1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"discard must be a fraction in \[0, 1\)"):
        neurodyn.analysis.oscillation_period(t, np.cos(t), discard=1.0)
