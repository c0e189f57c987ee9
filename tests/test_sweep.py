"""neurodyn.sweep: chunks of solve_ensemble on Dask (a LocalCluster, and a real scheduler with
two worker processes, one of them killed), labelled xarray results, stores that resume."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import neurodyn as nd
import solvers
from solvers import ODESystem, solve, solve_ensemble

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")
distributed = pytest.importorskip("distributed")

sys.path.insert(0, str(Path(__file__).parent))
import _sweep_jobs as jobs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def direct(grid=jobs.GRID, y0=jobs.Y0, t_span=jobs.T_SPAN, **kw):
    """The same grid by one solve_ensemble call: the reference every sweep must equal."""
    b0, b1 = np.meshgrid(grid["b0"], grid["b1"], indexing="ij")
    nets = [jobs.BASE.replace(bias=[a, b]) for a, b in zip(b0.ravel(), b1.ravel())]
    return solve_ensemble(nets, t_span, y0, save="final", **kw)


def test_sweep_on_a_local_cluster_equals_solve_ensemble():
    ds = nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=jobs.Y0, chunk_size=7,
                  progress=False)
    ens = direct()
    shape = (6, 5)
    assert dict(ds.sizes) == {"b0": 6, "b1": 5, "state": 2}
    np.testing.assert_array_equal(ds["b0"].values, jobs.GRID["b0"])
    np.testing.assert_array_equal(ds["b1"].values, jobs.GRID["b1"])
    # The same arithmetic in the same process: bit for bit.
    np.testing.assert_array_equal(ds["y_final"].values, ens.y_final.reshape(shape + (2,)))
    np.testing.assert_array_equal(ds["status"].values, ens.status.reshape(shape))
    np.testing.assert_array_equal(ds["nfev"].values, ens.nfev.reshape(shape))
    assert ds.attrs["model"] == "CTRNN" and ds.attrs["method"] == "dopri5"
    assert ds.attrs["rtol"] == 1e-6 and ds.attrs["atol"] == 1e-9
    assert ds.attrs["t_span"] == [0.0, 20.0] and ds.attrs["n_failed"] == 0
    assert "neurodyn_version" in ds.attrs
    # 6 rows of 5 in chunks of 7 members: one row (5) per chunk, each a rectangle of the grid.
    assert ds.attrs["sweep_chunks"] == 6 == ds.attrs["sweep_chunks_run"]
    # and one member against solve itself, at its grid coordinates
    one = solve(jobs.build(jobs.GRID["b0"][4], jobs.GRID["b1"][2]), jobs.T_SPAN, jobs.Y0)
    np.testing.assert_array_equal(ds["y_final"].isel(b0=4, b1=2).values, one.y[-1])


def test_chunks_are_grid_rectangles_and_cover_every_member_once():
    from neurodyn.sweeps import _chunks

    for shape, size in (((6, 5), 7), ((6, 5), 3), ((3, 4, 5), 12), ((3, 4, 5), 2), ((7,), 3),
                        ((2, 3), 100)):
        seen = np.zeros(shape, dtype=int)
        for start, stop, region in _chunks(shape, size):
            assert stop - start <= max(size, 1)
            block = np.zeros(shape, dtype=int)
            block[region] = 1
            flat = block.reshape(-1)
            # the rectangle is exactly the flat range start..stop (C order)
            assert flat[start:stop].all() and flat.sum() == stop - start
            seen[region] += 1
        assert (seen == 1).all(), (shape, size)


def test_a_table_of_points_and_y0_per_point():
    points = [{"b0": -2.0, "b1": -1.0, "s": 0.5}, {"b0": -3.5, "b1": -2.0, "s": -1.0},
              {"b0": -1.0, "b1": -0.5, "s": 2.0}]

    def build(b0, b1, s):
        return jobs.BASE.replace(bias=[b0, b1])

    def y0(b0, b1, s):
        return [s, -s]

    ds = nd.sweep(build, points, t_span=(0.0, 15.0), y0=y0, client=False, progress=False)
    assert dict(ds.sizes) == {"point": 3, "state": 2}
    np.testing.assert_array_equal(ds["s"].values, [0.5, -1.0, 2.0])
    for i, p in enumerate(points):
        ref = solve(build(**p), (0.0, 15.0), y0(**p))
        np.testing.assert_array_equal(ds["y_final"].isel(point=i).values, ref.y[-1])


def test_measures_vectorised_and_per_member_agree_with_direct_periods():
    from neurodyn.analysis import oscillation_period

    t_eval = np.linspace(0.0, 300.0, 3001)
    grid = {"b0": [-2.75, -4.5], "b1": [-1.75]}

    def vectorised(ens):
        return {"period": np.array([oscillation_period(ens.t, ens.y[k, :, 0])
                                    for k in range(len(ens))]),
                "peak": ens.y[:, ens.t.size // 2:, :].max(axis=1)}

    each = nd.per_member(lambda s: {"period": oscillation_period(s.t, s.y[:, 0]),
                                    "peak": s.y[s.t.size // 2:].max(axis=0)})
    a = nd.sweep(jobs.build, grid, t_span=(0.0, 300.0), y0=jobs.Y0, t_eval=t_eval,
                 measure=vectorised, client=False, progress=False)
    b = nd.sweep(jobs.build, grid, t_span=(0.0, 300.0), y0=jobs.Y0, t_eval=t_eval,
                 measure=each, client=False, progress=False)
    ref = solve(jobs.build(-2.75, -1.75), (0.0, 300.0), jobs.Y0, t_eval=t_eval)
    period = oscillation_period(ref.t, ref.y[:, 0])
    assert 25.0 < period < 33.0  # Beer's oscillator at its centre: a cycle of period ~29
    np.testing.assert_array_equal(a["period"].values[0, 0], period)
    np.testing.assert_array_equal(a["peak"].values[0, 0], ref.y[1500:].max(axis=0))
    # b0 = -4.5: outside the window, a stable focus: the late peak is the fixed point's value
    fp = solve(jobs.build(-4.5, -1.75), (0.0, 300.0), jobs.Y0).y[-1]
    np.testing.assert_allclose(a["peak"].values[1, 0], fp, atol=1e-4)
    np.testing.assert_array_equal(a["period"].values, b["period"].values)
    np.testing.assert_array_equal(a["peak"].values, b["peak"].values)
    assert a["peak"].dims == ("b0", "b1", "peak_dim1")


def test_base_with_changes_equals_a_model_per_member():
    """base= with build returning replace() changes: the chunk's members are made in one step
    (CTRNN bias/tau/gain checked at once, no model per member), same numbers bit for bit."""
    def changes(b0, b1):
        return {"bias": [b0, b1], "tau": 1.0 + 0.1 * b0 * b0}

    kw = dict(t_span=jobs.T_SPAN, y0=jobs.Y0, client=False, chunk_size=7, progress=False)
    fast = nd.sweep(changes, jobs.GRID, base=jobs.BASE, **kw)
    slow = nd.sweep(lambda b0, b1: jobs.BASE.replace(**changes(b0, b1)), jobs.GRID, **kw)
    np.testing.assert_array_equal(fast["y_final"].values, slow["y_final"].values)
    np.testing.assert_array_equal(fast["nfev"].values, slow["nfev"].values)
    # the batch's params are the replaced models' params
    pts = [(-4.0, -3.0), (-2.5, -1.0)]
    batch = jobs.BASE._replace_batch({"bias": [list(p) for p in pts],
                                      "tau": [1.0 + 0.1 * a * a for a, _ in pts]})
    for (a, b), got in zip(pts, batch):
        want = jobs.BASE.replace(**changes(a, b)).params
        assert len(got) == len(want)
        for x, y in zip(got, want):
            assert type(x) is type(y)
            np.testing.assert_array_equal(x, y)
            if isinstance(x, np.ndarray):
                assert not x.flags.writeable and x.flags.c_contiguous
    # a change the batch cannot make goes through base.replace, with the same result
    inp = nd.sweep(lambda b0, b1: {"input": b0 + b1}, jobs.GRID, base=jobs.BASE, **kw)
    ref = nd.sweep(lambda b0, b1: jobs.BASE.replace(input=b0 + b1), jobs.GRID, **kw)
    np.testing.assert_array_equal(inp["y_final"].values, ref["y_final"].values)


def test_base_refuses_what_it_cannot_use():
    kw = dict(t_span=jobs.T_SPAN, y0=jobs.Y0, client=False, chunk_size=10, progress=False)
    with pytest.raises(TypeError, match="returns a dict of replace"):
        nd.sweep(jobs.build, jobs.GRID, base=jobs.BASE, **kw)
    with pytest.raises(TypeError, match="base must be a model"):
        nd.sweep(lambda b0, b1: {"bias": [b0, b1]}, jobs.GRID, base=3.0, **kw)
    with pytest.raises(ValueError, match="changed"):
        nd.sweep(lambda b0, b1: {"bias": [b0, b1]} if b1 < -2 else {"tau": 2.0}, jobs.GRID,
                 base=jobs.BASE, **kw)
    with pytest.raises(ValueError, match=r"grid point \{'b0': -4.0, 'b1': -3.0\}: tau of node 1 "
                       "must be positive"):
        nd.sweep(lambda b0, b1: {"tau": [1.0, b1 + 2.5]}, jobs.GRID, base=jobs.BASE, **kw)


def test_a_failing_member_keeps_its_status_and_the_rest_finish():
    def blow(t, y, p, dydt):
        dydt[0] = p[0] * y[0] * y[0]

    base = ODESystem(blow, 1, (1.0,))
    # y' = p y^2 from 1 blows up at t = 1/p: inside t < 2 for p = 1, 2; not for p = 0.1, 0.25
    ds = nd.sweep(lambda p: base.with_params((p,)), {"p": [0.1, 1.0, 0.25, 2.0]},
                  t_span=(0.0, 2.0), y0=[1.0], rtol=1e-8, atol=1e-10, client=False,
                  progress=False)
    status = ds["status"].values
    assert status[0] == 0 and status[2] == 0
    assert status[1] < 0 and status[3] < 0
    assert ds.attrs["n_failed"] == 2
    np.testing.assert_allclose(ds["y_final"].values[[0, 2], 0], 1 / (1 - 2 * np.array([0.1, 0.25])),
                               rtol=1e-6)
    # the failed members' partial states are there (finite, large), not dropped
    assert np.isfinite(ds["y_final"].values[1, 0]) and ds["y_final"].values[1, 0] > 1e3


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_the_store_opens_with_plain_xarray(tmp_path, suffix):
    store = tmp_path / ("result" + suffix)
    ds = nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=jobs.Y0, client=False,
                  chunk_size=10, store=store, progress=False)
    if suffix == ".zarr":
        back = xr.open_zarr(store).load()
        assert back["sweep_chunk_done"].values.all()
    else:
        back = xr.open_dataset(store, engine="h5netcdf").load()
        assert not (tmp_path / "result.nc.partial.zarr").exists()
    np.testing.assert_array_equal(back["y_final"].values, ds["y_final"].values)
    np.testing.assert_array_equal(back["status"].values, ds["status"].values)
    np.testing.assert_array_equal(back["b1"].values, jobs.GRID["b1"])
    for k in ("model", "method", "rtol", "sweep_fingerprint", "neurodyn_version"):
        assert back.attrs[k] == ds.attrs[k]
    # A complete store: the same call again computes nothing and returns the same Dataset.
    again = nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=jobs.Y0, client=False,
                     chunk_size=10, store=store, progress=False)
    assert again.attrs["sweep_chunks_run"] == 0
    xr.testing.assert_equal(again[["y_final", "status", "nfev"]],
                                ds[["y_final", "status", "nfev"]])


def test_a_killed_sweep_resumes_with_only_the_missing_chunks(tmp_path):
    store = tmp_path / "killed.zarr"
    # Chunks of 5 members are the rows b0 = const; the process dies building row 3.
    env = dict(os.environ, SWEEP_KILL_AT=f"{jobs.GRID['b0'][3]},{jobs.GRID['b1'][2]}",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    proc = subprocess.run([sys.executable, "-c",
                           f"import _sweep_jobs; _sweep_jobs.run({str(store)!r}, 5)"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    flags = xr.open_zarr(store, consolidated=False)["sweep_chunk_done"].values
    assert flags.tolist() == [1, 1, 1, 0, 0, 0]  # three rows finished and written
    ds = jobs.run(store, 5)
    assert ds.attrs["sweep_chunks_run"] == 3  # only the missing rows ran again
    np.testing.assert_array_equal(ds["y_final"].values, direct().y_final.reshape(6, 5, 2))
    assert (ds["status"].values == 0).all()


def test_ctrl_c_returns_the_finished_chunks_and_a_rerun_completes(tmp_path):
    store = tmp_path / "stopped.zarr"
    calls = []

    def measure(ens):
        calls.append(len(ens))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return {"y_end": ens.y_final}

    kw = dict(t_span=jobs.T_SPAN, y0=jobs.Y0, measure=measure, client=False, chunk_size=5,
              progress=False)
    with pytest.raises(solvers.Interrupted) as info:
        nd.sweep(jobs.build, jobs.GRID, store=store, **kw)
    part = info.value.solution
    status = part["status"].values
    assert (status[:2] == 0).all() and (status[2:] == -7).all()
    assert np.isnan(part["y_end"].values[2:]).all()
    ds = nd.sweep(jobs.build, jobs.GRID, store=store, **kw)
    assert ds.attrs["sweep_chunks_run"] == 4
    np.testing.assert_array_equal(ds["y_end"].values, direct().y_final.reshape(6, 5, 2))


def test_a_store_of_another_sweep_is_refused(tmp_path):
    store = tmp_path / "s.zarr"
    nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=jobs.Y0, client=False,
             chunk_size=5, store=store, progress=False)
    with pytest.raises(ValueError, match="holds a different sweep"):
        nd.sweep(jobs.build, jobs.GRID, t_span=(0.0, 30.0), y0=jobs.Y0, client=False,
                 chunk_size=5, store=store, progress=False)


def test_a_store_is_refused_for_another_model_behind_the_same_names(tmp_path):
    """The fingerprint sees a model's numbers, passed directly or held by a build closure."""
    kw = dict(t_span=(0.0, 1.0), y0=[0.0], client=False, progress=False)
    a, b = nd.CTRNN([[0.0]], input=0.0), nd.CTRNN([[0.0]], input=0.0, tau=2.0)
    grid = {"input": [0.0, 1.0, 2.0]}
    nd.sweep(a, grid, store=tmp_path / "m.zarr", **kw)
    with pytest.raises(ValueError, match="holds a different sweep"):
        nd.sweep(b, grid, store=tmp_path / "m.zarr", **kw)

    def closure(net):
        return lambda input: net.replace(input=input)

    nd.sweep(closure(a), grid, store=tmp_path / "c.zarr", **kw)
    again = nd.sweep(closure(a), grid, store=tmp_path / "c.zarr", **kw)
    assert again.attrs["sweep_chunks_run"] == 0  # the same closure over the same model
    with pytest.raises(ValueError, match="holds a different sweep"):
        nd.sweep(closure(b), grid, store=tmp_path / "c.zarr", **kw)
    # and the right answer from a fresh store: y' = (-y + I) / tau
    ds = nd.sweep(closure(b), grid, store=tmp_path / "b.zarr", **kw)
    np.testing.assert_allclose(ds["y_final"].values[:, 0],
                               np.array([0.0, 1.0, 2.0]) * (1 - np.exp(-0.5)), rtol=1e-6)


def test_without_dask_the_sweep_runs_here_with_a_note(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.warns(RuntimeWarning, match=r"neurodyn\[distributed\]"):
        ds = nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=jobs.Y0, progress=False)
    np.testing.assert_array_equal(ds["y_final"].values, direct().y_final.reshape(6, 5, 2))


@pytest.mark.parametrize("grid, match", [
    ({}, "grid is empty"),
    ({"b0": []}, "no points"),
    ({"b0": [True, False]}, "booleans"),
    ({"b0": [1.0 + 2j]}, "numbers or strings"),
    ({"b0": [object()]}, "numbers or strings"),
    ({"b0": [[1.0, 2.0]]}, "must be 1-D"),
    ({"not a name": [1.0]}, "keyword name"),
    ({"b0": [np.nan]}, "non-finite"),
    ([{"b0": 1.0}, {"b1": 2.0}], "has keys"),
    ("b0", "must be a dict"),
])
def test_bad_grids_are_refused(grid, match):
    with pytest.raises((TypeError, ValueError), match=match):
        nd.sweep(jobs.build, grid, t_span=jobs.T_SPAN, y0=jobs.Y0, client=False)


def test_bad_arguments_are_refused_naming_them():
    kw = dict(t_span=jobs.T_SPAN, y0=jobs.Y0, client=False, progress=False)
    with pytest.raises(TypeError, match="build must be"):
        nd.sweep(3.0, jobs.GRID, **kw)
    with pytest.raises(ValueError, match="chunk_size"):
        nd.sweep(jobs.build, jobs.GRID, chunk_size=0, **kw)
    with pytest.raises(ValueError, match="chunk_size"):
        nd.sweep(jobs.build, jobs.GRID, chunk_size=True, **kw)
    with pytest.raises(TypeError, match="progress must be"):
        nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=jobs.Y0, progress="yes")
    with pytest.raises(TypeError, match="save="):
        nd.sweep(jobs.build, jobs.GRID, save="all", **kw)
    with pytest.raises(ValueError, match="y0 must be one state"):
        nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=np.zeros((2, 2)), client=False)
    with pytest.raises(TypeError, match=r"grid point \{'b0': -4.0, 'b1': -3.0\}.*bias"):
        nd.sweep(lambda b0, b1: jobs.BASE.replace(bias=[b0, "x"]), jobs.GRID, **kw)
    with pytest.raises(ValueError, match="first axis"):
        nd.sweep(jobs.build, jobs.GRID, measure=lambda ens: {"x": np.zeros(1)}, chunk_size=5,
                 **kw)
    with pytest.raises(ValueError, match="reserved"):
        nd.sweep(jobs.build, jobs.GRID, measure=lambda ens: {"status": ens.status}, **kw)


def test_a_real_scheduler_and_two_workers_finish_when_one_worker_is_killed(tmp_path):
    """`dask scheduler` + two `dask worker` processes on loopback; one worker is SIGKILLed
    while it runs a chunk: Dask reruns that chunk on the other and the sweep completes."""
    from distributed import Client

    env = dict(os.environ, SWEEP_SLEEP="0.3",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    # no nanny: a nanny would restart the killed worker; without one it stays dead and its
    # chunk must move to the other worker.
    with jobs.dask_cluster(tmp_path, 2, env) as sched_file:
        with Client(scheduler_file=str(sched_file), timeout="120s") as client:
            client.wait_for_workers(2, timeout=120)
            workers = client.scheduler_info()["workers"]
            result = {}

            def run():
                result["ds"] = nd.sweep(jobs.build, jobs.GRID, t_span=jobs.T_SPAN, y0=jobs.Y0,
                                        measure=jobs.slow_final, client=client, chunk_size=3,
                                        progress=False)

            th = threading.Thread(target=run)
            th.start()
            # Wait until worker w0 is running a chunk, then kill its process.
            victim = next(a for a, i in workers.items() if i["name"] == "w0")
            deadline = time.monotonic() + 120
            while not client.processing().get(victim):
                assert time.monotonic() < deadline and th.is_alive()
                time.sleep(0.05)
            time.sleep(0.1)
            pid = client.run(os.getpid, workers=[victim])[victim]
            os.kill(pid, signal.SIGKILL)
            th.join(timeout=300)
            assert not th.is_alive()
            assert [i["name"] for i in client.scheduler_info()["workers"].values()] == ["w1"]
    ds = result["ds"]
    assert ds.attrs["sweep_chunks_run"] == ds.attrs["sweep_chunks"] == 12
    np.testing.assert_allclose(ds["y_end"].values, direct().y_final.reshape(6, 5, 2),
                               rtol=1e-12, atol=1e-14)
    assert (ds["status"].values == 0).all()
