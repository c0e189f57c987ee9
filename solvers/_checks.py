"""One validation vocabulary for every public entry point of solvers, neurodyn and circuits.

A helper per kind of value (a real number, a count, a probability, a seed, a finite array of a
given shape, an allocation that must fit in memory), each raising one kind of error whose
message names the culprit: the argument, the node, the edge, the expected and the actual
value or shape. Junk is refused, never coerced: booleans are not numbers, strings are not
floats, complex values are not real, and a quantity with a unit (brian2's ``10*ms``) is not a
plain number in the model's own units (:func:`refuse_quantity`; the entry points that have
physical units convert theirs before they get here).

The two array scans at the end are compiled (cached): validating a 1000-point ``t_eval`` with
NumPy calls cost more than integrating a small network.

>>> real_number("rtol", 1e-6, positive=True)
1e-06
>>> real_number("rtol", True)
Traceback (most recent call last):
...
solvers._checks.InvalidTypeError: rtol must be a real number, got True (bool)
"""
from __future__ import annotations

import math
import numbers
import os

import numba
import numpy as np

__all__ = ["InvalidTypeError", "real_number", "count", "probability", "seed_value", "rng_from_seed", "real_array",
           "finite_array", "check_allocation", "human_bytes", "first_bad_time",
           "first_non_finite", "is_quantity", "quantity_text", "refuse_quantity"]


class InvalidTypeError(TypeError, ValueError):
    """A value of the wrong kind (a bool, a string, a complex number where a real is wanted).

    It is a ``TypeError`` and also a ``ValueError``: code written to catch either — SciPy and
    NumPy raise one or the other for the same junk — catches it.

    >>> issubclass(InvalidTypeError, TypeError) and issubclass(InvalidTypeError, ValueError)
    True
    """


# --------------------------------------------------------------------------- quantities
#
# A brian2 quantity is an ndarray subclass holding its value in SI (an astropy one, in its own
# unit): np.asarray strips the unit without a word, so CTRNN(W, tau=10*ms) used to get
# tau = 0.01. Every checker
# below refuses a quantity with a unit instead, naming the argument; the unit-aware entry points
# (neurodyn.lsm, circuits) convert theirs before they call these checkers.
#
# Detection never imports a units library (importing brian2 costs over a second, which
# ``import neurodyn`` and every plain-number call must not pay; solvers imports nothing of
# neurodyn's either). It reads the home module of the value's class: an instance of a class
# defined in brian2 can only exist once brian2 has been imported (unpickling one imports it),
# so no quantity is missed, and a plain number never looks like one. An attribute test alone
# (``.dim``, ``.unit``) would also catch unrelated objects that happen to carry such a name.

_UNIT_LIBRARIES = frozenset({"brian2", "astropy", "pint", "quantities", "unyt"})
# Types checked on every call: answered without walking the class hierarchy.
_NOT_QUANTITIES = frozenset({float, int, bool, str, bytes, list, tuple, dict, type(None),
                             np.ndarray, np.float64, np.float32, np.int64, np.int32,
                             np.bool_, complex})


def is_quantity(value):
    """True for a quantity of a units library (brian2, astropy, pint, quantities, unyt) that
    carries a physical dimension; False for plain numbers, arrays and dimensionless brian2
    quantities (whose number is all there is).

    >>> is_quantity(0.01), is_quantity(np.zeros(2))
    (False, False)
    """
    t = type(value)
    if t in _NOT_QUANTITIES:
        return False
    for c in t.__mro__:
        if c.__module__.partition(".")[0] in _UNIT_LIBRARIES:
            break
    else:
        return False
    dim = getattr(value, "dim", None)  # brian2: Quantity and the variable views of groups
    if dim is not None:
        return not bool(getattr(dim, "is_dimensionless", False))
    return hasattr(value, "unit") or hasattr(value, "units")  # astropy / pint, unyt


def _library(value):
    return type(value).__module__.partition(".")[0]


def quantity_text(value, limit=60):
    """A quantity as its library writes it in its best unit (``10. ms``), on one line and at
    most ``limit`` characters."""
    try:
        text = value.in_best_unit()  # brian2
    except Exception:  # noqa: BLE001 - another library, or a view without that method
        text = str(value)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _example(value):
    """``(magnitude, unit text)`` of a brian2 quantity in its best unit, for messages; None
    when that cannot be had."""
    try:
        unit = value.get_best_unit()
        mag = np.asarray(value / unit, dtype=np.float64)
        return mag, str(unit)
    except Exception:  # noqa: BLE001 - not brian2
        return None


def refuse_quantity(name, value):
    """Raise the error for a quantity given where the model takes plain numbers in its own
    units (an ``InvalidTypeError`` naming ``name``, the quantity and what to pass instead);
    return None for anything else.

    >>> refuse_quantity("tau", 0.5) is None    # not a quantity: nothing to refuse
    True
    """
    if not is_quantity(value):
        return None
    text = quantity_text(value)
    lib = _library(value)
    ex = _example(value)
    is_time = str(getattr(value, "dim", "")) == "s"
    what = "in model time units" if is_time else "in the model's own units"
    head = f"{name} is {what} (dimensionless); got a {lib} quantity {text}"
    if ex is None:
        raise InvalidTypeError(f"{head} — pass a plain number")
    mag, unit = ex
    which = "time unit" if is_time else "unit for it"
    if mag.ndim == 0:
        m = float(mag)
        raise InvalidTypeError(f"{head} — pass a plain number (e.g. {name}={m!r} for {m:g} "
                               f"{unit} if your {which} is the {unit})")
    raise InvalidTypeError(f"{head} — pass plain numbers (e.g. {name} / {unit}, the values in "
                           f"{unit}, if your {which} is the {unit})")


def _first_quantity(seq, prefix):
    """``(index text, entry)`` of the first quantity in a nested list/tuple, or None."""
    for k, v in enumerate(seq):
        t = type(v)
        if t is float or t is int:
            continue  # the common entry, answered without a call
        if isinstance(v, (list, tuple)):
            hit = _first_quantity(v, f"{prefix}[{k}]")
            if hit is not None:
                return hit
        elif is_quantity(v):
            return f"{prefix}[{k}]", v
    return None


def _describe(value):
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _is_real_scalar(value):
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu"


def real_number(name, value, *, positive=False, nonnegative=False, finite=True, low=None,
                high=None, integer_ok=True):
    """``value`` as a Python float, or an error naming ``name``.

    ``positive``: > 0; ``nonnegative``: >= 0; ``finite``: not inf (NaN is always refused);
    ``low``/``high``: inclusive bounds.

    >>> real_number("dt", 0.5, positive=True)
    0.5
    >>> real_number("dt", "0.1")
    Traceback (most recent call last):
    ...
    solvers._checks.InvalidTypeError: dt must be a real number, got '0.1' (str)
    >>> real_number("tol", -1.0, positive=True)
    Traceback (most recent call last):
    ...
    ValueError: tol must be a positive number (> 0), got -1.0
    """
    tv = type(value)
    if tv is float or (tv is int and integer_ok):
        v = float(value)  # the common case, without the abstract-class checks (us per solve)
    else:
        refuse_quantity(name, value)  # a 0-d quantity passes the scalar test below
        if not _is_real_scalar(value) or (not integer_ok and
                                          isinstance(value, numbers.Integral)):
            raise InvalidTypeError(f"{name} must be a real number, got {_describe(value)}")
        v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must be a number, got nan")
    if finite and math.isinf(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be a positive number (> 0), got {value!r}")
    if nonnegative and not v >= 0:
        raise ValueError(f"{name} must be a non-negative number (>= 0), got {value!r}")
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return v


def count(name, value, *, low=0, high=None):
    """``value`` as a Python int >= ``low`` (and <= ``high``), or an error naming ``name``.

    Floats are refused even when integral (``2.7`` would be truncated silently, ``1e3`` is
    ambiguous): pass an int.

    >>> count("n_steps", 10, low=1)
    10
    >>> count("n_exc", 2.7)
    Traceback (most recent call last):
    ...
    solvers._checks.InvalidTypeError: n_exc must be an integer, got 2.7 (float)
    """
    if type(value) is not int and (isinstance(value, (bool, np.bool_))
                                   or not isinstance(value, numbers.Integral)):
        if is_quantity(value):
            raise InvalidTypeError(f"{name} must be an integer, got a {_library(value)} "
                                   f"quantity {quantity_text(value)}")
        raise InvalidTypeError(f"{name} must be an integer, got {_describe(value)}")
    v = int(value)
    if v < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be an integer <= {high}, got {v}")
    return v


def probability(name, value, *, open_low=False, open_high=False):
    """``value`` as a float in [0, 1] (``open_low``/``open_high`` exclude the ends).

    >>> probability("p", 0.1)
    0.1
    >>> probability("p", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: p must be a probability in [0, 1], got 1.5
    """
    v = real_number(name, value)
    lo, hi = "(" if open_low else "[", ")" if open_high else "]"
    if v < 0 or v > 1 or (open_low and v == 0) or (open_high and v == 1):
        raise ValueError(f"{name} must be a probability in {lo}0, 1{hi}, got {value!r}")
    return v


_SEED_TYPES = "None, a non-negative integer, a sequence of them, a numpy SeedSequence or Generator"


def seed_value(name, seed):
    """Check a seed: None, an int >= 0, a sequence of such ints, a ``SeedSequence`` or a
    ``Generator``. Returns it unchanged (sequences as a tuple of ints).

    >>> seed_value("seed", 3)
    3
    >>> seed_value("seed", -1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be None, a non-negative integer, a sequence of them, a numpy SeedSequence or Generator; got -1
    """
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise InvalidTypeError(f"{name} must be {_SEED_TYPES}; got {_describe(seed)}")
    if isinstance(seed, numbers.Integral):
        if seed < 0:
            raise ValueError(f"{name} must be {_SEED_TYPES}; got {seed!r}")
        return int(seed)
    if isinstance(seed, (list, tuple, np.ndarray)):
        items = list(np.asarray(seed, dtype=object).ravel()) if isinstance(seed, np.ndarray) \
            else list(seed)
        if items and all(isinstance(s, numbers.Integral) and not isinstance(s, (bool, np.bool_))
                         and s >= 0 for s in items):
            return tuple(int(s) for s in items)
        raise ValueError(f"{name} must be {_SEED_TYPES}; got {_describe(seed)}")
    raise InvalidTypeError(f"{name} must be {_SEED_TYPES}; got {_describe(seed)}")


def rng_from_seed(name, seed):
    """A ``numpy.random.Generator`` from a checked seed (a Generator is used as it is).

    >>> float(rng_from_seed("seed", 0).random()) == float(np.random.default_rng(0).random())
    True
    """
    seed = seed_value(name, seed)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _holds_bool(seq):
    for v in seq:
        t = type(v)
        if t is float or t is int:
            continue  # the common entry, answered without the isinstance calls
        if isinstance(v, (bool, np.bool_)):
            return True
        if isinstance(v, (list, tuple)) and _holds_bool(v):
            return True
    return False


def real_array(name, value, *, shape=None, ndim=None, finite=True, per=None):
    """``value`` as a float64 ndarray, refusing booleans, strings, complex and objects, with the
    first non-finite entry named.

    ``shape``: the exact shape wanted (``None`` entries are free); ``ndim``: the number of
    dimensions; ``per`` says what an entry is, for the shape message.

    >>> real_array("y0", [1, 2], shape=(2,))
    array([1., 2.])
    >>> real_array("y0", [True])
    Traceback (most recent call last):
    ...
    solvers._checks.InvalidTypeError: y0 must hold real numbers, got an array of bool
    >>> real_array("y0", [1.0, float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: y0[1] = nan is not finite
    """
    if isinstance(value, (str, bytes)):
        raise InvalidTypeError(f"{name} must be an array of real numbers, got {_describe(value)}")
    if type(value) is not np.ndarray:
        refuse_quantity(name, value)
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise InvalidTypeError(f"{name} must be an array of real numbers: {err}") from None
    if raw.dtype.kind in "fiu" and isinstance(value, (list, tuple)):
        if _holds_bool(value):
            # NumPy turns [1.0, True] into [1.0, 1.0]: a bool among numbers is junk all the same
            raise InvalidTypeError(f"{name} must hold real numbers, got a bool among them")
        hit = _first_quantity(value, name)
        if hit is not None:
            refuse_quantity(*hit)  # [1*mV, 2*mV] becomes [0.001, 0.002] just as silently
    kind = raw.dtype.kind
    if kind == "c":
        raise InvalidTypeError(f"{name} must hold real numbers, got complex values (dtype "
                        f"{raw.dtype}); pass the real part explicitly if that is meant")
    if kind not in "fiu":
        what = {"b": "bool", "U": "str", "S": "bytes", "O": "object", "M": "datetime",
                "m": "timedelta", "V": "void"}.get(kind, str(raw.dtype))
        if kind == "O":
            raise InvalidTypeError(f"{name} must be a numeric array, got ragged or non-numeric "
                            "entries (dtype object)")
        raise InvalidTypeError(f"{name} must hold real numbers, got an array of {what}")
    a = np.asarray(raw, dtype=np.float64)
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D{f' ({per})' if per else ''}, got shape "
                         f"{a.shape}")
    if shape is not None:
        ok = len(shape) == a.ndim and all(s is None or s == t for s, t in zip(shape, a.shape))
        if not ok:
            want = "(" + ", ".join("..." if s is None else str(s) for s in shape) + \
                   ("," if len(shape) == 1 else "") + ")"
            raise ValueError(f"{name} must have shape {want}{f' ({per})' if per else ''}, got "
                             f"{a.shape}")
    if finite:
        bad = ~np.isfinite(a)
        if bad.any():
            k = tuple(int(i) for i in np.argwhere(bad)[0])
            idx = ", ".join(map(str, k))
            raise ValueError(f"{name}[{idx}] = {float(a[k])!r} is not finite" if k
                             else f"{name} = {float(a)!r} is not finite")
    return a


def finite_array(name, value, **kw):
    """Alias of :func:`real_array` with ``finite=True`` (the common case).

    >>> finite_array("x", [[1, 2]], ndim=2).shape
    (1, 2)
    """
    kw["finite"] = True
    return real_array(name, value, **kw)


def human_bytes(n):
    """``n`` bytes as text with a binary unit.

    >>> human_bytes(3 * 2**30)
    '3.0 GiB'
    """
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def _available_memory():
    """Bytes of memory available to a new allocation (MemAvailable on Linux, else physical)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


_SMALL_ALLOCATION = 1 << 26


def check_allocation(what, shape, itemsize=8, *, hint=""):
    """Refuse, before trying, an allocation of ``shape`` items that cannot fit in memory.

    The message says how much memory it would need (and ``hint`` what to do instead). Returns
    the number of bytes.

    >>> check_allocation("output", (10, 3))
    240
    >>> check_allocation("output", (10**12, 3))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    MemoryError: output needs 1000000000000 x 3 float64 values = 21.8 TiB, more than the ...
    """
    total = 1
    for s in shape:
        total *= int(s)
    nbytes = total * int(itemsize)
    if nbytes < _SMALL_ALLOCATION:
        return nbytes  # reading /proc/meminfo costs 30 us: more than a whole small solve
    avail = _available_memory()
    if avail is not None and nbytes > avail:
        dims = " x ".join(str(int(s)) for s in shape)
        kind = {8: "float64", 4: "float32", 1: "byte"}.get(int(itemsize), f"{itemsize}-byte")
        raise MemoryError(f"{what} needs {dims} {kind} values = {human_bytes(nbytes)}, more than "
                          f"the {human_bytes(avail)} of memory available{'; ' + hint if hint else ''}")
    return nbytes


@numba.njit(cache=True, nogil=True)
def first_bad_time(te, t0, t1):
    """Index of the first entry of te that is non-finite, outside [t0, t1] or smaller than its
    predecessor; -1 when te is a valid sorted grid."""
    prev = t0
    for k in range(te.size):
        v = te[k]
        if not (v >= prev and v <= t1):  # also false for NaN
            return k
        prev = v
    return -1


@numba.njit(cache=True, nogil=True)
def first_non_finite(y):
    """Index of the first non-finite entry of y, or -1."""
    for k in range(y.size):
        if not math.isfinite(y[k]):
            return k
    return -1


def warn_float32_tolerance(dtype, rtol, stacklevel=3):
    """Warn when float32 is asked for a relative tolerance it cannot resolve (below 5 float32
    epsilons, 6e-7): the error estimate is then rounding noise, the controller shrinks the
    steps chasing it, and the result does not meet the tolerance. rtol = 1e-6 (W8's float32
    setting) passes; 1e-8 (DiffEqGPU's published one) warns.

    >>> import warnings, numpy as np
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_float32_tolerance(np.float32, 1e-8)
    >>> "float32" in str(w[0].message)
    True
    """
    if np.dtype(dtype) != np.float32:
        return
    eps = float(np.finfo(np.float32).eps)
    if rtol < 5 * eps:
        import warnings

        warnings.warn(f"rtol={rtol:g} is below float32's resolution (eps = {eps:.3g}): the "
                      "error estimate is dominated by rounding, steps shrink and the result "
                      "will not meet that tolerance; use dtype=np.float64 or rtol >= 1e-6",
                      RuntimeWarning, stacklevel=stacklevel)
