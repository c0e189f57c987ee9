"""Parameter sweeps that outgrow one call: chunks of ``solve_ensemble`` on Dask, labelled
results (xarray), resumable stores (Zarr or NetCDF), progress.

:func:`sweep` builds one model per grid point *on the workers* (``build(**point)``, or
``model.replace(**point)``), solves each chunk of members with one
:func:`solvers.solve_ensemble` call, reduces every member to a few numbers (``measure``) and
returns an ``xarray.Dataset`` whose dimensions are the grid's. Chunks run as Dask tasks: on a
``LocalCluster`` started for the call (``client=None``), or on any cluster a
``dask.distributed.Client`` points at (SSH, Kubernetes, an HPC queue through dask-jobqueue).
Without Dask the same call runs the chunks in this process.

Chunks are rectangular blocks of the grid (whole rows of the trailing dimensions), so each one
is written into the store as a region of the final layout as soon as it completes; a
``sweep_chunk_done`` flag is set after its data. Re-running the call with the same arguments
and ``store=`` computes only the chunks whose flag is unset.

Store layout (Zarr; a ``.nc`` store is built in ``<path>.partial.zarr`` and written as NetCDF
when complete): the result variables over the grid dimensions, the grid coordinates,
``sweep_chunk_done`` over ``sweep_chunk``, and attributes ``model``, ``method``, ``rtol``,
``atol``, ``t_span``, ``neurodyn_version``, ``sweep_chunk_size`` and ``sweep_fingerprint`` (a
hash of the arguments that decide the results; a store of a different sweep is refused).
"""
from __future__ import annotations

import math
import os
import time
import warnings

import numpy as np

from solvers import Interrupted, solve_ensemble

from ._sweep_store import _fingerprint, _Results, _Store, _xr, stored_chunk_size

__all__ = ["sweep", "per_member"]

_TARGET_TASK_S = 0.5  # seconds of work per chunk: Dask's own overhead is ~1 ms per task
_MAX_CHUNK = 1 << 16
_PILOT = 16


# ----------------------------------------------------------------------------- grid and chunks

class _Grid:
    """The points of a sweep: ``dims``/``shape``/``coords`` for the Dataset and one flat column
    per parameter (C order over a factorial grid, row order over a table)."""

    def __init__(self, grid):
        if isinstance(grid, dict):
            if not grid:
                raise ValueError("sweep: grid is empty; give at least one parameter")
            self.dims = []
            axes = []
            for name, values in grid.items():
                if not isinstance(name, str) or not name.isidentifier():
                    raise ValueError(f"sweep: grid key {name!r} is not a keyword name")
                a = _column(values, f"grid[{name!r}]")
                if a.ndim != 1:
                    raise ValueError(f"sweep: grid[{name!r}] must be 1-D (a factorial grid "
                                     f"takes one axis per parameter); got shape {a.shape}")
                self.dims.append(name)
                axes.append(a)
            self.shape = tuple(a.size for a in axes)
            self.coords = dict(zip(self.dims, axes))
            mesh = np.meshgrid(*axes, indexing="ij") if len(axes) > 1 else axes
            self.columns = {d: m.reshape(-1) for d, m in zip(self.dims, mesh)}
        else:
            table = _table(grid)
            lengths = {k: v.shape[0] for k, v in table.items()}
            if len(set(lengths.values())) != 1:
                raise ValueError(f"sweep: the columns of the table of points differ in "
                                 f"length: {lengths}")
            self.dims = ["point"]
            m = next(iter(lengths.values()))
            self.shape = (m,)
            self.columns = table
            self.coords = {"point": np.arange(m), **{k: ("point", v) for k, v in table.items()}}
        self.size = int(np.prod(self.shape))
        if self.size == 0:
            raise ValueError(f"sweep: the grid has no points (shape {self.shape})")

    def points(self, a, b):
        """The columns of members a..b-1 (arrays: a task carries these, not one dict per
        member, so a 4-million-member basin map does not hold 4 million dicts)."""
        return {k: v[a:b] for k, v in self.columns.items()}


def _as_points(cols):
    """The keyword arguments of each member, from its chunk's columns (Python scalars:
    ``tolist`` converts a column at once, 4x faster than an item per member)."""
    keys = list(cols)
    return [dict(zip(keys, vals)) for vals in zip(*(cols[k].tolist() for k in keys))]


def _column(values, what):
    a = np.asarray(values)
    if a.dtype == object or a.dtype.kind not in "biufUS":
        raise TypeError(f"sweep: {what} must hold numbers or strings; got dtype {a.dtype}")
    if a.dtype.kind == "b":
        raise TypeError(f"sweep: {what} holds booleans; give numbers")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise ValueError(f"sweep: {what} holds a non-finite value")
    return a


def _table(grid):
    if hasattr(grid, "to_dict") and hasattr(grid, "columns"):  # a pandas DataFrame
        grid = {str(k): np.asarray(v) for k, v in grid.to_dict("list").items()}
        return {k: _column(v, f"table column {k!r}") for k, v in grid.items()}
    if isinstance(grid, (list, tuple)) and grid and all(isinstance(p, dict) for p in grid):
        keys = list(grid[0])
        for i, p in enumerate(grid):
            if list(p) != keys:
                raise ValueError(f"sweep: point {i} has keys {sorted(p)}, point 0 {sorted(keys)}")
        return {k: _column([p[k] for p in grid], f"table column {k!r}") for k in keys}
    raise TypeError("sweep: grid must be a dict of 1-D arrays (a full factorial), a list of "
                    f"dicts or a DataFrame (a table of points); got {type(grid).__name__}")


def _chunks(shape, chunk_size):
    """Rectangular blocks of at most ``chunk_size`` members that are also contiguous ranges of
    the flat C-order index: ``[(start, stop, region)]`` with ``region`` one slice per dim."""
    k = len(shape)
    inner = [int(np.prod(shape[m + 1:])) for m in range(k)]
    m = next((d for d in range(k) if inner[d] <= chunk_size), k - 1)
    run = max(1, chunk_size // inner[m])
    run = -(-shape[m] // -(-shape[m] // run))  # equal pieces: a row of 20 as 10 + 10, not 17 + 3
    out = []
    for outer in np.ndindex(*shape[:m]):
        for a in range(0, shape[m], run):
            b = min(a + run, shape[m])
            start = int(np.ravel_multi_index(outer + (a,) + (0,) * (k - m - 1), shape))
            region = tuple(slice(i, i + 1) for i in outer) + (slice(a, b),) \
                + (slice(None),) * (k - m - 1)
            out.append((start, start + (b - a) * inner[m], region))
    return out


# ----------------------------------------------------------------------------- the work of a chunk

def per_member(f):
    """Turn a per-member measure ``f(solution) -> dict of numbers`` into a chunk measure.

    ``sweep`` calls ``measure`` once per chunk with the chunk's ``EnsembleSolution`` and wants
    arrays over its members; ``per_member(f)`` calls ``f(ens[i])`` (a plain ``Solution``) for
    each member and stacks the results. Write a vectorised measure where speed matters: this
    one runs Python per member.

    >>> import numpy as np
    >>> from solvers import ODESystem, solve_ensemble
    >>> def decay(t, y, p, dydt):
    ...     dydt[0] = -p[0] * y[0]
    >>> ens = solve_ensemble(ODESystem(decay, 1, (1.0,)), (0.0, 1.0), [[1.0], [2.0]],
    ...                      save="final")
    >>> per_member(lambda s: {"last": s.y[-1, 0]})(ens)["last"].round(4)
    array([0.3679, 0.7358])
    """
    def measure(ens):
        rows = [f(ens[i]) for i in range(len(ens))]
        if not all(isinstance(r, dict) for r in rows):
            raise TypeError("per_member: the measure must return a dict of numbers per member")
        return {k: np.asarray([r[k] for r in rows]) for k in rows[0]}
    measure.__name__ = getattr(f, "__name__", "measure")
    measure.__qualname__ = "per_member(" + getattr(f, "__qualname__", "f") + ")"
    return measure


def _call(fn, kwargs, what):
    """fn(**kwargs); an error says which point (or changes) and what was being done."""
    try:
        return fn(**kwargs)
    except Exception as err:
        kind = next((k for k in (TypeError, ValueError) if isinstance(err, k)), RuntimeError)
        raise kind(f"sweep: {what} {kwargs} failed: {type(err).__name__}: {err}") from err


def _member(build, point):
    if callable(build) and not hasattr(build, "replace"):
        return _call(build, point, "building the model of grid point")
    return _call(build.replace, point, "building the model of grid point")


def _changes(build, point):
    d = _call(build, point, "build() of grid point")
    if not isinstance(d, dict):
        raise TypeError(f"sweep: with base=, build(**point) returns a dict of replace() "
                        f"changes; at grid point {point} it returned {type(d).__name__}")
    return d


def _build_part(job, points):
    """The chunk's members: ``(systems, None)``, or with ``base=`` ``([base], params list)``
    (one params tuple per member, checked in one go where the model can)."""
    base = job.get("base")
    if base is None:
        systems, params = [_member(job["build"], pt) for pt in points], None
    else:
        dicts = [_changes(job["build"], pt) for pt in points]
        keys = list(dicts[0])
        for pt, d in zip(points, dicts):
            if list(d) != keys:
                raise ValueError(f"sweep: build() changed {sorted(d)} at grid point {pt}, "
                                 f"{sorted(keys)} at the chunk's first")
        try:
            params = base._replace_batch({k: [d[k] for d in dicts] for k in keys})
        except (NotImplementedError, AttributeError):
            params = [_call(base.replace, d, "base.replace() with the changes").params
                      for d in dicts]
        except (TypeError, ValueError) as err:
            m = getattr(err, "member", None)
            where = f"grid point {points[m]}" if m is not None else \
                f"the chunk from grid point {points[0]}"
            msg = str(err).split(": ", 1)[1] if m is not None else str(err)
            raise type(err)(f"sweep: {where}: {msg}") from err
        systems = [base]
    y0 = job["y0"]
    if callable(y0):
        Y = np.array([np.asarray(y0(**pt), dtype=float) for pt in points])
    else:
        Y = np.asarray(y0, dtype=float)
    return systems, Y, params


def _solve_part(job, systems, Y, n_threads, params=None):
    save = "all" if job["t_eval"] is not None else "final"
    one = len(systems) == 1 and params is None
    ens = solve_ensemble(systems[0] if len(systems) == 1 else systems, job["t_span"],
                         Y[None, :] if (one and Y.ndim == 1) else Y, params=params,
                         save=save, t_eval=job["t_eval"], n_threads=n_threads,
                         **job["options"])
    out = {"status": ((), np.asarray(ens.status, dtype=np.int64)),
           "nfev": ((), np.asarray(ens.nfev, dtype=np.int64))}
    measure = job["measure"]
    if measure is None:
        out["y_final"] = (("state",), np.asarray(ens.y_final, dtype=float))
        return out
    values = measure(ens)
    if not isinstance(values, dict) or not values:
        raise TypeError(f"sweep: measure must return a non-empty dict of arrays over the "
                        f"members it was given; got {type(values).__name__}")
    for name, v in values.items():
        a = np.asarray(v)
        if name in ("status", "nfev") or not str(name).isidentifier():
            raise ValueError(f"sweep: measure returned the reserved or invalid name {name!r}")
        if a.ndim == 0 or a.shape[0] != len(ens):
            raise ValueError(f"sweep: measure's {name!r} has shape {a.shape}; its first axis "
                             f"must be the {len(ens)} members it was given")
        if a.dtype == object or a.dtype.kind not in "biuf":
            raise TypeError(f"sweep: measure's {name!r} must be numeric; got {a.dtype}")
        out[name] = (tuple(f"{name}_dim{k}" for k in range(1, a.ndim)), a)
    return out


def _run_chunk(job, cols, n_threads):
    """One chunk on whichever worker runs it: build its models, one solve_ensemble, measure.
    Returns ``{name: (extra_dims, array over members)}`` plus the model description.

    (Building the next chunk's models in a helper thread while this one integrates was tried:
    on W12 it was slower, 7.8 s against 7.0 s, as the builder holds the GIL the integrating
    threads need between their parts and takes a core from them.)"""
    systems, Y, params = _build_part(job, _as_points(cols))
    out = _solve_part(job, systems, Y, n_threads, params)
    ref = systems[0]
    nodes = getattr(ref, "nodes", None)
    return {"values": out, "model": type(ref).__name__,
            "names": list(nodes) if nodes is not None and job["measure"] is None else None}


# ----------------------------------------------------------------------------- running chunks

def _local_client():
    """A LocalCluster for this machine: one in-process worker running one chunk at a time, each
    chunk's solve_ensemble on every core (``task_threads``).

    Measured on W12 (BENCHMARKS.md): threads beat processes (the same sweep, without the
    processes' start-up and their copies of the kernels); one task at a time on all cores beat
    a task per core (8.4 s against 7.3 s: two tasks' Python parts, building models, contend for
    the GIL that the other task's integration needs between its parts). Dask's statistical
    profiler is off in it: it samples every thread's stack, GIL held, every 10 ms.
    """
    import dask
    from dask.distributed import Client, LocalCluster

    from solvers.ensemble import _available_cores

    # dashboard_address=":0": any free port (the default 8787 warns when another cluster has it)
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                               dashboard_address=":0")
    return Client(cluster), cluster, _available_cores()


def _pilot(job, cols):
    """Seconds per member of a few members (the first ones load or compile the kernels and are
    not timed): what the default chunk size is made from."""
    m = len(next(iter(cols.values())))
    w = min(4, m - 1)
    if w:
        _run_chunk(job, {k: v[:w] for k, v in cols.items()}, 1)
    t0 = time.perf_counter()
    _run_chunk(job, {k: v[w:] for k, v in cols.items()}, 1)
    return (time.perf_counter() - t0) / (m - w)


def _dask_task(job, cols, chunk_id):  # chunk_id: part of the task's key only
    return _run_chunk(job, cols, job.get("task_threads", 1))


def sweep(build, grid, *, t_span, y0, t_eval=None, measure=None, method="dopri5", rtol=1e-6,
          atol=1e-9, client=None, chunk_size=None, store=None, progress=True, base=None,
          **solve_options):
    """Solve one model per grid point, in chunks of ``solve_ensemble`` on Dask, and return the
    measured quantities as an ``xarray.Dataset`` over the grid.

    Parameters
    ----------
    build : callable or model
        ``build(**point)`` returns the model of one grid point; a model instead is varied by
        ``model.replace(**point)``. Models are built on the workers, chunk by chunk.
    grid : dict of 1-D arrays, or a table of points
        A dict is a full factorial: one dimension per key, in order. A list of dicts or a
        DataFrame is a table: one dimension ``point``, the columns as coordinates along it.
    t_span, t_eval, method, rtol, atol, **solve_options
        As :func:`solvers.solve_ensemble` (``max_steps``, ``dt``, ``first_step``, ``max_step``,
        ``events``...). Without ``t_eval`` only final states are kept (``save="final"``).
    y0 : array_like of shape (n,), or callable
        The initial state, or ``y0(**point)`` returning it (a basin map sweeps initial
        conditions this way).
    measure : callable, optional
        ``measure(ens)`` gets a chunk's ``EnsembleSolution`` and returns a dict of arrays whose
        first axis runs over the chunk's members (wrap a per-member function with
        :func:`per_member`). Default: the final state, variable ``y_final`` (grid dims +
        ``state``, node names as its coordinate).
    client : dask.distributed.Client, None or False
        A client of any cluster, used as given (its workers need neurodyn; give them one
        thread per core). None: a ``LocalCluster`` on this machine, closed afterwards (without
        Dask installed: this process, with a warning). False: this process, no Dask.
    chunk_size : int, optional
        Members per task. Default: sized from a pilot run of 16 members (on a worker of
        ``client``, or here) to ~0.5 s of work per task (Dask's overhead is ~1 ms per task),
        at most 65,536, and small enough for every worker thread to get several chunks.
    store : str or Path, optional
        A Zarr directory (any name) or a ``.nc`` file. Chunks are written as they finish; a
        re-run with the same arguments computes only what is missing. ``xarray.open_zarr`` /
        ``open_dataset`` read it. A store of another sweep (grid, times, options, a model's
        parameters, the code and closure values of ``build``/``measure``/``y0``) is refused;
        globals those functions read are not seen.
    base : model, optional
        With it, ``build(**point)`` returns a dict of ``base.replace()`` changes instead of a
        model, and a chunk's members are made in one step with no model per member: for a
        CTRNN's ``tau``, ``bias`` and ``gain`` the chunk's values are checked at once and only
        the changed params differ (on W12 this sweep was as fast as one ``solve_ensemble``
        call on hand-made params; BENCHMARKS.md); other changes go through ``base.replace``.
    progress : bool
        A tqdm bar over members (without tqdm installed: a warning, no bar); for a client of
        your own cluster, also the address of its Dask dashboard.

    Returns
    -------
    xarray.Dataset
        Variables over the grid dimensions: ``status`` (each member's, as ``solve``'s; a member
        that failed keeps its status and its measured values of the partial run), ``nfev`` and
        the measured quantities. Attributes: ``model``, ``method``, ``rtol``, ``atol``,
        ``t_span``, ``neurodyn_version``, ``n_failed``, ``sweep_chunks``,
        ``sweep_chunks_run`` (computed by this call; the rest came from the store).

    Raises
    ------
    solvers.Interrupted
        On Ctrl-C: its ``solution`` is the Dataset of the finished chunks (status -7 elsewhere);
        with a store they are also on disk, and a re-run finishes the sweep.

    Example
    -------
    >>> import neurodyn as nd
    >>> net = nd.CTRNN([[0.0]], input=0.0)  # y' = -y + I: settles at I
    >>> ds = nd.sweep(net, {"input": [0.0, 1.0, 2.0]}, t_span=(0.0, 50.0), y0=[0.0],
    ...               client=False, progress=False)
    >>> ds["y_final"].sel(state=0).values.round(6)
    array([0., 1., 2.])
    >>> ds["status"].values, ds.attrs["model"], dict(ds.sizes)
    (array([0, 0, 0]), 'CTRNN', {'input': 3, 'state': 1})
    """
    _xr()  # the result is a Dataset: fail before any work without xarray
    g = _Grid(grid)
    if not callable(build) and not hasattr(build, "replace"):
        raise TypeError(f"sweep: build must be a callable build(**point) or a model with "
                        f"replace(); got {type(build).__name__}")
    if measure is not None and not callable(measure):
        raise TypeError(f"sweep: measure must be callable; got {type(measure).__name__}")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"sweep: progress must be True or False; got {progress!r}")
    options = dict(solve_options, method=method, rtol=rtol, atol=atol)
    for bad in ("save", "n_threads", "params", "progress", "backend"):
        if bad in options:
            raise TypeError(f"sweep: {bad}= is decided by the sweep itself (save: by t_eval; "
                            "threads: by the workers); drop it")
    if base is not None:
        if not (hasattr(base, "replace") and hasattr(base, "params")):
            raise TypeError(f"sweep: base must be a model (with replace()); got "
                            f"{type(base).__name__}")
        if not callable(build) or hasattr(build, "replace"):
            raise TypeError("sweep: with base=, build must be a function of the grid point "
                            "returning a dict of replace() changes")
    job = {"build": build, "base": base,
           "y0": y0 if callable(y0) else np.asarray(y0, dtype=float),
           "t_span": tuple(float(t) for t in t_span),
           "t_eval": None if t_eval is None else np.asarray(t_eval, dtype=float),
           "measure": measure, "options": options}
    if not callable(y0) and job["y0"].ndim != 1:
        raise ValueError(f"sweep: y0 must be one state of shape (n,) (or a callable "
                         f"y0(**point)); got shape {job['y0'].shape}")

    from solvers.ensemble import _available_cores, _Progress

    store_obj = None
    if chunk_size is None and store is not None:
        chunk_size = stored_chunk_size(store)
    if chunk_size is None:
        pts = g.points(0, min(_PILOT, g.size))
        if client is not None and client is not False:  # time it where the chunks will run
            per = client.submit(_pilot, job, pts, pure=False).result()
        else:
            per = _pilot(job, pts)
        threads = _available_cores()
        size = int(_TARGET_TASK_S / max(per, 1e-7))
        spread = max(1, math.ceil(g.size / (4 * threads)))
        chunk_size = max(1, min(size, spread, _MAX_CHUNK))
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ValueError(f"sweep: chunk_size must be a positive int; got {chunk_size!r}")
    chunk_size = int(chunk_size)
    chunks = _chunks(g.shape, chunk_size)
    fp = _fingerprint(g, job, chunk_size)
    results = _Results(g)
    if store is not None:
        store_obj = _Store(store, fp, len(chunks))
        if store_obj.existing is not None:
            results.load(store_obj.existing)
    todo = [i for i in range(len(chunks)) if store_obj is None or not store_obj.done[i]]
    attrs = {"model": None, "method": method, "rtol": float(rtol), "atol": repr(atol)
             if not np.isscalar(atol) else float(atol), "t_span": list(job["t_span"]),
             "sweep_chunk_size": chunk_size, "sweep_fingerprint": fp,
             "sweep_chunks": len(chunks)}
    try:
        from importlib import metadata
        attrs["neurodyn_version"] = metadata.version("neurodyn")
    except Exception:
        from . import __version__
        attrs["neurodyn_version"] = __version__

    done_members = g.size - sum(chunks[i][1] - chunks[i][0] for i in todo)
    try:
        bar = _Progress(progress and bool(todo), g.size, "sweep", unit="member",
                        initial=done_members)
    except ImportError as err:  # progress is on by default: a missing tqdm is no reason to fail
        warnings.warn(f"{err}; the sweep runs without a progress bar", RuntimeWarning,
                      stacklevel=2)
        bar = _Progress(False, g.size, "sweep")
    run_count = 0

    def finished(i, chunk):
        nonlocal done_members, run_count
        start, stop, region = chunks[i]
        results.ensure(chunk)
        results.put(chunk, start, stop)
        if attrs["model"] is None:
            attrs["model"] = chunk["model"]
        if store_obj is not None:
            if not store_obj.created:
                block = [r.stop - r.start if r.stop is not None else n
                         for r, n in zip(chunks[0][2], g.shape)]
                store_obj.create(results.dataset({**attrs, "model": chunk["model"]}), block)
            region_d = dict(zip(g.dims, region))
            store_obj.write(i, results.dataset(attrs, region=region), region_d)
        done_members += stop - start
        run_count += 1
        bar.update(done_members)

    own = None
    try:
        if todo:
            use_dask = client is not False
            if use_dask and client is None:
                try:
                    client, own, job["task_threads"] = _local_client()
                except ImportError:
                    warnings.warn("neurodyn.sweep: dask.distributed is not installed, so the "
                                  "sweep runs in this process (pip install "
                                  "'neurodyn[distributed]' to run it on a Dask cluster)",
                                  RuntimeWarning, stacklevel=2)
                    use_dask = False
            if not use_dask:
                threads = _available_cores()
                for i in todo:
                    start, stop, _ = chunks[i]
                    finished(i, _run_chunk(job, g.points(start, stop), threads))
            else:
                _run_on_dask(client, job, g, chunks, todo, finished, progress, own is not None)
    except KeyboardInterrupt:
        bar.close()
        ds = results.dataset(_final_attrs(attrs, results, run_count)) if results.arrays else None
        err = Interrupted(_Partial(f"sweep interrupted: {run_count} chunks of this call "
                                   "finished" + (f" (kept in {store})" if store else "")))
        err.solution = ds
        raise err from None
    finally:
        bar.close()
        if own is not None:
            client.close()
            own.close()
    ds = results.dataset(_final_attrs(attrs, results, run_count))
    if store_obj is not None and not store_obj.complete_file:
        store_obj.finish(ds)
    return ds


def _final_attrs(attrs, results, run_count):
    out = dict(attrs)
    out["model"] = out["model"] or results.model
    status = results.arrays.get("status")
    out["n_failed"] = int(np.count_nonzero(status < 0)) if status is not None else 0
    out["sweep_chunks_run"] = run_count
    return out


class _Partial:
    """The message for solvers.Interrupted, whose ``solution`` then becomes the Dataset."""

    def __init__(self, message):
        self.message = message


def _run_on_dask(client, job, g, chunks, todo, finished, progress, own):
    from dask.distributed import as_completed

    if progress and not own:
        link = getattr(client, "dashboard_link", None)
        if link:
            print(f"neurodyn.sweep: Dask dashboard (progress of the tasks) at {link}")
    [job_f] = client.scatter([job], broadcast=True, hash=False)
    futures = {}
    for i in todo:
        start, stop, _ = chunks[i]
        f = client.submit(_dask_task, job_f, g.points(start, stop), i, pure=False,
                          key=f"neurodyn-sweep-{i}-{os.urandom(4).hex()}")
        futures[f] = i
    try:
        for f in as_completed(list(futures)):
            finished(futures[f], f.result())
    except BaseException:
        client.cancel(list(futures))
        raise
