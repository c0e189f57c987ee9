"""Results (``solvers.Solution``, ``EnsembleSolution``, their ``xarray.Dataset``) in NetCDF
files, for :func:`neurodyn.io.save` and :func:`neurodyn.io.load` (the ``io`` extra: xarray and
h5netcdf, imported only here).

NetCDF 4 through h5netcdf rather than SciPy's NetCDF 3: NetCDF 3 has no 64-bit integers (step
counters of long runs pass 2**31) and no Unicode text (messages, node names).
"""
from __future__ import annotations

import json

import numpy as np

from solvers.solution import _xarray

from .io import (RESULTS_FORMAT, VERSION, FileFormatError, _Decoder, _Encoder,
                 _refuse_constant, _write_atomically)

__all__ = ["save_results", "load_results"]


def _netcdf(what):
    xr = _xarray(what)
    try:
        import h5netcdf  # noqa: F401 - xarray's engine, imported here to name the extra
    except ImportError:
        raise ImportError(f"{what} needs h5netcdf: pip install 'neurodyn[io]'") from None
    return xr


def _replaced(ds, name, values, attrs):
    var = (ds[name].dims, values, attrs)
    return ds.assign_coords({name: var}) if name in ds.coords else ds.assign({name: var})


def save_results(obj, path):
    xr = _netcdf("saving results")
    ds = obj.copy() if isinstance(obj, xr.Dataset) else obj.to_xarray()
    enc = _Encoder(None)
    for name in list(ds.variables):
        var = ds[name]
        if var.dtype == object:  # e.g. tuple state names: tagged JSON text, decoded by load
            text = [json.dumps(enc(v, name), allow_nan=False) for v in var.values.flat]
            ds = _replaced(ds, name, np.array(text).reshape(var.shape),
                           dict(var.attrs, neurodyn_encoding="json"))
    ds.attrs.update(neurodyn_format=RESULTS_FORMAT, neurodyn_format_version=VERSION)
    _write_atomically(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


def load_results(path, engine):
    xr = _netcdf("loading a NetCDF result file")
    try:
        ds = xr.load_dataset(path, engine=engine)
    except Exception as exc:  # noqa: BLE001 - h5py/scipy errors of a torn file
        raise FileFormatError(f"{path!r} is not a readable NetCDF file: {exc}") from None
    if ds.attrs.pop("neurodyn_format", None) != RESULTS_FORMAT:
        raise FileFormatError(f"{path!r} is a NetCDF file but not a neurodyn result file (no "
                              f"neurodyn_format = {RESULTS_FORMAT!r} attribute); open it with "
                              "xarray.open_dataset")
    version = ds.attrs.pop("neurodyn_format_version", None)
    if not isinstance(version, (int, np.integer)) or int(version) > VERSION:
        raise FileFormatError(f"{path!r} has format version {version!r}; this neurodyn reads "
                              f"format version {VERSION} and older: upgrade neurodyn to load it")
    dec = _Decoder(None, repr(path))
    for name in list(ds.variables):
        attrs = dict(ds[name].attrs)
        if attrs.pop("neurodyn_encoding", None) == "json":
            vals = np.empty(ds[name].shape, dtype=object)
            try:
                for i, text in enumerate(ds[name].values.flat):
                    vals.flat[i] = dec(json.loads(text, parse_constant=_refuse_constant))
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise dec.fail(f"the names of {name!r} do not decode: {exc}") from None
            ds = _replaced(ds, name, vals, attrs)
    return ds
