"""The files and the result arrays of :func:`neurodyn.sweep`: the store's fingerprint, the Zarr
(or NetCDF) store that receives chunks as they finish, and the grid-shaped arrays they fill.
The store's layout is described in :mod:`neurodyn.sweeps`."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np

# Status of a member whose chunk has not run (the code solve_ensemble gives members not run).
NOT_RUN = -7


def _fingerprint(grid, job, chunk_size):
    h = hashlib.sha256()
    for d in grid.dims:
        h.update(d.encode())
    for k, v in grid.columns.items():
        h.update(k.encode())
        h.update(np.ascontiguousarray(v).tobytes())
    y0 = job["y0"]
    desc = {"t_span": list(map(float, job["t_span"])), "chunk_size": chunk_size,
            "options": {k: repr(v) for k, v in sorted(job["options"].items())}}
    h.update(json.dumps(desc, sort_keys=True).encode())
    for what in (job["build"], job["measure"], y0, job.get("base")):
        _digest(what, h, 3)
    if job["t_eval"] is not None:
        h.update(np.ascontiguousarray(job["t_eval"]).tobytes())
    return h.hexdigest()[:32]


def _digest(obj, h, depth):
    """Feed what decides a sweep's results into ``h``: a model's constructor arguments (its
    pickle), a function's code, defaults and closure values (models, systems, arrays, numbers,
    strings, tuples of them), arrays' bytes. Whatever else a function reads (globals, lists,
    files) is not seen: a changed global needs a new store path."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        h.update(repr(obj).encode())
    elif isinstance(obj, np.ndarray):
        h.update(str(obj.dtype).encode() + repr(obj.shape).encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, tuple) and depth > 0:  # not lists: closures keep counters in them
        for v in obj:
            _digest(v, h, depth - 1)
    elif hasattr(obj, "rhs") and hasattr(obj, "params") and not hasattr(obj, "_kwargs"):
        _digest(obj.rhs, h, 1)  # a solvers.ODESystem: its kernel and its numbers
        _digest(obj.params, h, 2)
    elif hasattr(obj, "replace") and hasattr(obj, "_kwargs"):  # a neurodyn model
        try:
            h.update(pickle.dumps(obj, protocol=4))
        except Exception:
            h.update(type(obj).__qualname__.encode())
    elif callable(obj) and hasattr(obj, "__code__") and depth > 0:
        code = obj.__code__
        h.update((getattr(obj, "__module__", "") or "").encode() + obj.__qualname__.encode())
        h.update(code.co_code)
        for c in code.co_consts:
            if not hasattr(c, "co_code"):
                _digest(c, h, 0)
        _digest(obj.__defaults__, h, depth - 1)
        for cell in obj.__closure__ or ():
            try:
                _digest(cell.cell_contents, h, depth - 1)
            except ValueError:  # an empty cell
                pass
    else:
        h.update(type(obj).__qualname__.encode())


class _Store:
    """Finished chunks on disk as they complete; what a re-run finds there is not redone."""

    def __init__(self, path, fingerprint, n_chunks):
        _xr()  # checked before any work: the store needs it
        self.final, self.path = _paths(path)
        self.netcdf = self.final != self.path
        self.fingerprint = fingerprint
        self.n_chunks = n_chunks
        self.done = np.zeros(n_chunks, dtype=bool)
        self.created = False
        self.existing = None  # the Dataset found there, loaded once (sweep takes its values)
        self.complete_file = self.netcdf and self.final.exists()
        if self.complete_file:
            self.existing = _open(self.final)
            self._check(self.existing, self.final)
            self.done[:] = True
        elif self.path.exists():
            self.existing = _open(self.path)
            self._check(self.existing, self.path)
            self.done = self.existing["sweep_chunk_done"].values.astype(bool)
            self.created = True

    def _check(self, ds, where):
        got = ds.attrs.get("sweep_fingerprint")
        if got != self.fingerprint:
            raise ValueError(f"sweep: the store {str(where)!r} holds a different sweep "
                             f"(fingerprint {got!r}, this one {self.fingerprint!r}: another "
                             "grid, model builder, y0, times or solver options); give a new "
                             "path or delete it")

    def create(self, template, block):
        # Zarr chunks = the sweep's chunks: each region write touches only its own files.
        template = template.assign(sweep_chunk_done=("sweep_chunk",
                                                     np.zeros(self.n_chunks, dtype=np.int8)))
        enc = {}
        for name, v in template.data_vars.items():
            if name != "sweep_chunk_done":
                enc[name] = {"chunks": tuple(block) + v.shape[len(block):]}
        import zarr

        # Zarr format 2 where zarr 3 would default to 3: its consolidated metadata is standard,
        # so any xarray/zarr reader opens the finished store without a warning.
        fmt = {"zarr_format": 2} if int(zarr.__version__.split(".")[0]) >= 3 else {}
        template.to_zarr(self.path, mode="w", consolidated=False, encoding=enc, **fmt)
        self.created = True

    def write(self, i, part, region):
        part.to_zarr(self.path, region=region, mode="r+", consolidated=False, safe_chunks=False)
        flag = _xr().Dataset({"sweep_chunk_done": ("sweep_chunk", np.ones(1, dtype=np.int8))})
        flag.to_zarr(self.path, region={"sweep_chunk": slice(i, i + 1)}, mode="r+",
                     consolidated=False)
        self.done[i] = True

    def finish(self, ds):
        if not self.netcdf:
            import zarr

            # Consolidated metadata: plain xarray.open_zarr(path) opens it without a warning.
            zarr.consolidate_metadata(str(self.path))
        else:
            tmp = self.final.with_name(self.final.name + ".tmp")
            ds.to_netcdf(tmp, engine="h5netcdf")
            os.replace(tmp, self.final)
            shutil.rmtree(self.path, ignore_errors=True)


def _xr():
    try:
        import xarray
    except ImportError:
        raise ImportError("neurodyn.sweep needs xarray: pip install 'neurodyn[distributed]'") \
            from None
    return xarray


def _paths(store):
    """(final path, path written while running): a ``.nc`` store is built as Zarr beside it."""
    final = Path(store)
    if final.suffix == ".nc":
        return final, final.with_name(final.name + ".partial.zarr")
    return final, final


def stored_chunk_size(store):
    """The chunk size recorded in an existing store (a re-run keeps it), else None. Reads the
    attributes only."""
    xr = _xr()
    for p in dict.fromkeys(_paths(store)):
        if p.exists():
            try:
                if p.suffix == ".nc":
                    with xr.open_dataset(p, engine="h5netcdf") as ds:
                        return int(ds.attrs["sweep_chunk_size"])
                with xr.open_zarr(p, consolidated=False) as ds:
                    return int(ds.attrs["sweep_chunk_size"])
            except (KeyError, OSError, ValueError):
                return None
    return None


def _open(path):
    xr = _xr()
    if Path(path).suffix == ".nc":
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    with xr.open_zarr(path, consolidated=False) as ds:
        return ds.load()


# ----------------------------------------------------------------------------- assembling results

class _Results:
    """The result arrays over the grid, filled chunk by chunk (NaN / status -7 until run)."""

    def __init__(self, grid):
        self.grid = grid
        self.arrays = {}
        self.extra = {}
        self.names = None
        self.model = None

    def ensure(self, chunk):
        if self.arrays:
            return
        self.model = chunk["model"]
        self.names = chunk["names"]
        for name, (dims, a) in chunk["values"].items():
            shape = self.grid.shape + a.shape[1:]
            if name == "status":
                self.arrays[name] = np.full(shape, NOT_RUN, dtype=np.int64)
            elif a.dtype.kind in "iub":
                self.arrays[name] = np.zeros(shape, dtype=np.int64)
            else:
                self.arrays[name] = np.full(shape, np.nan)
            self.extra[name] = dims

    def put(self, chunk, start, stop):
        for name, (dims, a) in chunk["values"].items():
            if name not in self.arrays or self.arrays[name].shape[len(self.grid.shape):] \
                    != a.shape[1:]:
                raise ValueError(f"sweep: measure's {name!r} changed name or shape between "
                                 "chunks")
            flat = self.arrays[name].reshape((self.grid.size,) + a.shape[1:])
            flat[start:stop] = a

    def dataset(self, attrs, region=None):
        xr = _xr()
        dims = tuple(self.grid.dims)
        data = {}
        for name, a in self.arrays.items():
            v = a if region is None else a[region]
            data[name] = (dims + self.extra[name], v)
        coords = {}
        for k, c in self.grid.coords.items():
            if region is None:
                coords[k] = c
        if region is None and "y_final" in self.arrays:
            from solvers.solution import state_names
            coords["state"] = state_names(self.names, self.arrays["y_final"].shape[-1])
        ds = xr.Dataset(data, coords=coords, attrs=dict(attrs) if region is None else {})
        if "status" in ds:
            ds["status"].attrs["description"] = ("0 success, 1 terminal event, -1 step limit, "
                                                 "-2 step-size underflow, -3 non-finite state, "
                                                 "-4 solver failure, -5 left the model's "
                                                 "domain, -6 kernel raised, -7 not run")
        return ds

    def load(self, ds):
        """Take the finished chunks' values from a store."""
        for name in list(ds.data_vars):
            if name == "sweep_chunk_done":
                continue
            a = ds[name].values
            if not self.arrays:
                self.model = ds.attrs.get("model")
            self.arrays[name] = a.copy()
            self.extra[name] = tuple(ds[name].dims[len(self.grid.dims):])
        if "state" in ds.coords:
            self.names = list(ds.coords["state"].values)
