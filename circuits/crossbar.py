"""Resistive crossbar arrays that realise a weight matrix in device conductances.

Conventions (exact; every formula below is what the code computes)
-----------------------------------------------------------------
Geometry. A weight matrix ``W`` of shape ``(n_out, n_in)`` is realised by two identical arrays,
*plus* and *minus*. In each, ``n_in`` **input lines** (rows, index ``j``) are **driven** by
voltages ``v_j``, and ``n_out`` **output lines** (columns, index ``i``) are **sensed at
virtual ground** (0 V, by a transimpedance amplifier). The device at the crossing of input
line ``j`` and output line ``i`` has conductance ``G[i, j]`` (arrays are stored in ``W``'s
shape). With ideal wires output line ``i`` collects ``I_i = sum_j G[i, j] v_j`` (Ohm and
Kirchhoff), and the crossbar reports

    I = I+ - I-,          matvec(v) = (I+ - I-) / scale.

Mapping (``mapping="differential"``). With ``w_max = max |W|`` (or the ``w_max`` given) and
``scale = (g_max - g_min) / w_max`` (siemens per unit weight):

    G+ = g_min + scale * max(W, 0),      G- = g_min + scale * max(-W, 0),

so ``G+ - G- = scale * W`` — the offsets ``g_min`` cancel and ideal devices give exactly
``W v`` (up to rounding). Every target lies in ``[g_min, g_max]``.

Non-idealities, applied in this order when the array is programmed (:meth:`Crossbar.from_weights`):

1. **Quantisation** to ``levels`` conductances ``g_min + k (g_max - g_min) / (levels - 1)``,
   ``k = 0 .. levels - 1``: each target is rounded to the nearest level.
2. **Device-to-device variation** (lognormal): ``G <- G * exp(variation * z)``, ``z ~ N(0, 1)``
   independently per device, so ``ln(G / G_target)`` has mean 0 and standard deviation
   ``variation`` (the median device is on target; the mean is ``exp(variation^2 / 2)`` times
   it). Not clipped to ``[g_min, g_max]``.
3. **Stuck-at faults**: exactly ``round(stuck_off * n_dev)`` devices stuck at ``g_min``
   (SA0, "off") and ``round(stuck_on * n_dev)`` others at ``g_max`` (SA1, "on"), chosen
   uniformly without replacement among the ``n_dev = 2 n_out n_in`` devices of both arrays.
   They override 1 and 2. ``faults`` records them (0 none, -1 SA0, +1 SA1).

**Read noise** (every read): relative Gaussian, each device read as ``G (1 + read_noise * z)``
with a fresh ``z ~ N(0, 1)`` per device and per read (per input vector of a batch). The
sensed current ``I_i = sum_j G_ij (1 + s z_ij) v_j`` is Gaussian with mean ``sum_j G_ij v_j``
and variance ``s^2 sum_j G_ij^2 v_j^2``; it is drawn in that form — one normal number per
output line and read instead of one per device, the same distribution.

**Wire resistance** ``r_wire`` (ohms per segment between adjacent cells). Input line ``j`` is
driven at its ``i = 0`` end: source -> segment -> cell (j, 0) -> segment -> cell (j, 1) ...
-> cell (j, n_out - 1) (open end). Output line ``i`` is sensed at its ``j = n_in - 1`` end:
(open end) cell (0, i) -> segment -> cell (1, i) ... -> cell (n_in - 1, i) -> segment ->
virtual ground. Each cell has a node on its input line and one on its output line, the device
between them: ``2 n_in n_out`` unknown node voltages per array, found by nodal analysis (KCL at
every node, a sparse symmetric positive definite system assembled once with ``scipy.sparse``
and factorised once with ``splu``). The sensed current is that of the last segment. The map
``v -> I`` stays linear, ``I = G_eff v``; the crossbar solves the grid once for the ``n_in``
unit inputs to get ``G_eff`` (its columns) and then reads by a matrix product, so a read costs
the same with and without wires. With wires, read noise perturbs ``G_eff`` as above (an
approximation that neglects how one device's fluctuation redistributes the grid's currents;
exact as ``r_wire -> 0``).

Units. Conductances (``g_plus``, ``g_minus``, ``scale``, ``g_min``, ``g_max``) in siemens,
``r_wire`` in ohms, input voltages in volts, currents in amperes; weights, ``w_max`` and the
non-ideality strengths are plain numbers. The arguments with a unit also take brian2
quantities (``g_max=100*usiemens``, ``r_wire=2*ohm``, inputs in ``mV``), converted to SI after
a check of their dimension.

Randomness. ``seed`` (an int, a ``numpy.random.SeedSequence`` or None) is split with
``SeedSequence.spawn`` into four independent streams: variation, faults, read noise and
(reserved) anything added later; so changing one non-ideality's strength leaves the others'
draws unchanged, and the same seed gives the same array and the same sequence of reads.
Reads use the crossbar's own read Generator (successive reads differ) unless ``rng=`` is given.
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from neurodyn._model import physical
from neurodyn.hopfield import Hopfield, RecallResult, TIE_RTOL, _bipolar
from solvers._checks import InvalidTypeError, count, real_array, real_number, seed_value

__all__ = ["Crossbar", "crossbar_recall", "grid_matrix"]

# Unit inputs solved at once when G_eff is computed: 64 dense right-hand sides of 2 n_in n_out
# float64 each (64 MB for a 256 x 256 array) instead of all n_in.
_SOLVE_BLOCK = 64


def _fraction(value, name, upper=1.0):
    x = real_number(name, value)
    if not (0.0 <= x <= upper):
        raise ValueError(f"{name} must be in [0, {upper:g}], got {value!r}")
    return x


def _nonneg(value, name, kind="dimensionless"):
    x = real_number(name, physical(name, value, kind))
    if not x >= 0.0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return x


def _matrix(W, name="W", kind="dimensionless"):
    a = np.array(real_array(name, physical(name, W, kind), finite=False), dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (n_out, n_in), got shape "
                         f"{a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise ValueError(f"{name}[{i}, {j}] = {float(a[i, j])!r} is not finite")
    return a


def _frozen(a):
    out = np.array(a, dtype=a.dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


def _seed_sequence(seed):
    seed = seed_value("seed", seed)  # None, int >= 0, a sequence of them, SeedSequence, Generator
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2 ** 63)))
    return np.random.SeedSequence(seed)


def _streams(ss):
    """The four independent child streams of ``ss`` (variation, faults, reads, reserved).

    Built from ``ss``'s entropy and spawn key, like ``ss.spawn(4)`` but without advancing
    ``ss``: the constructor and :meth:`Crossbar.from_weights` derive the same streams.
    """
    return [np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (k,))
            for k in range(4)]


def grid_matrix(G, r_wire):
    """Nodal-analysis system of one array with wire resistance (conventions in the module).

    Returns ``(A, B, S)``, sparse: ``A`` (2 n_in n_out square, symmetric positive definite)
    the conductance matrix, ``B`` (2 n_in n_out, n_in) the drive (node currents ``B v`` from
    the sources through the first segment), ``S`` (n_out, 2 n_in n_out) the sense map
    (``I = S x`` is the current into virtual ground of each output line), so that
    ``I = S A^{-1} B v``. Unknowns: input-line node of cell (j, i) at index ``j n_out + i``,
    output-line node at ``n_in n_out + j n_out + i``.

    >>> A, B, S = grid_matrix([[1.0]], 1.0)         # source - 1 ohm - 1 S - 1 ohm - ground
    >>> x = np.linalg.solve(A.toarray(), B.toarray() @ [3.0])
    >>> x, S @ x                                    # 1 V across each of the three resistors
    (array([2., 1.]), array([1.]))
    """
    G = _matrix(G, "G", "conductance")
    if (G < 0).any():
        i, j = (int(x) for x in np.argwhere(G < 0)[0])
        raise ValueError(f"G[{i}, {j}] = {float(G[i, j])!r}: conductances must be >= 0")
    r = real_number("r_wire", physical("r_wire", r_wire, "resistance"))
    if not r > 0.0:
        raise ValueError(f"r_wire must be positive and finite for nodal analysis, got {r_wire!r}")
    gw = 1.0 / r
    n_out, n_in = G.shape
    m = n_in * n_out
    jj, ii = np.meshgrid(np.arange(n_in), np.arange(n_out), indexing="ij")
    row_node = (jj * n_out + ii).ravel()    # input-line node of cell (j, i)
    col_node = m + row_node                 # output-line node of cell (j, i)
    g_cell = G.T.ravel()                    # G[i, j] in (j, i) order
    rows, cols, vals = [], [], []

    def branch(a, b, g):
        # Conductance g between nodes a and b: the usual 2x2 stamp of nodal analysis.
        rows.extend([a, b, a, b])
        cols.extend([a, b, b, a])
        vals.extend([g, g, -g, -g])

    branch(row_node, col_node, g_cell)
    # Input-line segments between cells (j, i) and (j, i + 1).
    left = (jj[:, :-1] * n_out + ii[:, :-1]).ravel()
    branch(left, left + 1, np.full(left.size, gw))
    # Output-line segments between cells (j, i) and (j + 1, i).
    up = m + (jj[:-1, :] * n_out + ii[:-1, :]).ravel()
    branch(up, up + n_out, np.full(up.size, gw))
    # Segments to the sources (at cell (j, 0)) and to virtual ground (after cell (n_in-1, i)):
    # diagonal terms only, their other ends are fixed voltages.
    driven = np.arange(n_in) * n_out
    sensed = m + (n_in - 1) * n_out + np.arange(n_out)
    ends = np.concatenate([driven, sensed])
    rows.append(ends)
    cols.append(ends)
    vals.append(np.full(ends.size, gw))
    # COO -> CSC sums the duplicate entries of the stamps.
    A = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(2 * m, 2 * m)).tocsc()
    B = sp.csc_matrix((np.full(n_in, gw), (driven, np.arange(n_in))), shape=(2 * m, n_in))
    S = sp.csr_matrix((np.full(n_out, gw), (np.arange(n_out), sensed)), shape=(n_out, 2 * m))
    return A, B, S


class Crossbar:
    """A weight matrix realised in two crossbar arrays of conductances (module docstring).

    Build one with :meth:`from_weights`; the constructor takes conductances directly.

    Parameters
    ----------
    g_plus, g_minus : array_like, shape (n_out, n_in)
        Programmed conductances (siemens) of the plus and minus arrays, >= 0.
    scale : float
        Siemens per unit weight: ``matvec = (I+ - I-) / scale``.
    r_wire : float
        Wire resistance per segment (ohms); 0 for ideal wires.
    read_noise : float
        Relative standard deviation of each device's conductance at every read.
    seed : None, int, numpy Generator or SeedSequence
        Seeds the read noise (and, in :meth:`from_weights`, the programming); kept in
        ``seed`` as a SeedSequence (its ``entropy`` repeats a run seeded with None).

    Attributes
    ----------
    g_plus, g_minus : ndarray (n_out, n_in), read-only
        The conductances as programmed (after every programming non-ideality).
    scale, r_wire, read_noise, n_out, n_in, shape
    g_min, g_max, w_max, levels, variation, stuck_off, stuck_on : from :meth:`from_weights`
        (None for a crossbar built from conductances).
    target_plus, target_minus : ndarray or None
        The ideal conductances of the mapping, before quantisation and the other
        non-idealities (from :meth:`from_weights`).
    faults : ndarray (2, n_out, n_in) int8 or None
        ``faults[0]`` for the plus array, ``faults[1]`` minus: 0 healthy, -1 stuck at
        ``g_min`` (SA0), +1 stuck at ``g_max`` (SA1).

    Example
    -------
    >>> xb = Crossbar([[2e-6, 1e-6]], [[1e-6, 3e-6]], scale=1e-6)
    >>> xb.matvec([1.0, 1.0])                # (2 + 1 - 1 - 3) uA / (1 uS per unit)
    array([-1.])
    >>> xb.currents([1.0, 1.0])              # raw currents of the two arrays, amperes
    (array([3.e-06]), array([4.e-06]))
    """

    def __init__(self, g_plus, g_minus, scale, *, r_wire=0.0, read_noise=0.0, seed=None):
        gp = _matrix(g_plus, "g_plus", "conductance")
        gm = _matrix(g_minus, "g_minus", "conductance")
        if gp.shape != gm.shape:
            raise ValueError(f"g_plus has shape {gp.shape} but g_minus {gm.shape}; they must "
                             "match (n_out, n_in)")
        for name, g in (("g_plus", gp), ("g_minus", gm)):
            if (g < 0).any():
                i, j = (int(x) for x in np.argwhere(g < 0)[0])
                raise ValueError(f"{name}[{i}, {j}] = {float(g[i, j])!r}: conductances must "
                                 "be >= 0")
        scale = real_number("scale", physical("scale", scale, "conductance"))
        if not scale > 0:
            raise ValueError(f"scale must be positive and finite, got {scale!r}")
        self.g_plus = _frozen(gp)
        self.g_minus = _frozen(gm)
        self.scale = scale
        self.r_wire = _nonneg(r_wire, "r_wire", "resistance")
        self.read_noise = _nonneg(read_noise, "read_noise")
        self.seed = _seed_sequence(seed)
        self._read_rng = np.random.default_rng(_streams(self.seed)[2])
        self.n_out, self.n_in = gp.shape
        for k in ("g_min", "g_max", "w_max", "levels", "variation", "stuck_off", "stuck_on",
                  "target_plus", "target_minus", "faults"):
            setattr(self, k, None)
        self._eff = None  # (G+_eff, G-_eff), computed on the first read with wires
        self._lu = None   # per array (splu(A), B, S), see _grids

    @property
    def shape(self):
        """``(n_out, n_in)``, the shape of the realised weight matrix."""
        return (self.n_out, self.n_in)

    # ------------------------------------------------------------------ programming

    @classmethod
    def from_weights(cls, W, g_min=1e-6, g_max=1e-4, *, w_max=None, levels=None,
                     variation=0.0, stuck_off=0.0, stuck_on=0.0, read_noise=0.0, r_wire=0.0,
                     seed=None):
        """Program a weight matrix into a crossbar (mapping and non-idealities: module doc).

        Parameters
        ----------
        W : array_like, shape (n_out, n_in)
        g_min, g_max : float
            Conductance range of a device (siemens), ``0 <= g_min < g_max``. Defaults 1 uS
            and 100 uS (1 MOhm and 10 kOhm).
        w_max : float, optional
            The weight mapped to ``g_max - g_min`` of conductance difference; default
            ``max |W|``. Weights beyond it raise ValueError.
        levels : int, optional
            Number of programmable conductance levels (>= 2); None for analog devices.
        variation : float
            Lognormal device-to-device spread, the standard deviation of ``ln G``.
        stuck_off, stuck_on : float
            Fractions of all devices stuck at ``g_min`` (SA0) and at ``g_max`` (SA1).
        read_noise : float
            Relative standard deviation of each device at every read.
        r_wire : float
            Wire resistance per segment (ohms); 0 for ideal wires.
        seed : None, int, numpy Generator or SeedSequence

        Example
        -------
        >>> W = np.array([[1.0, -0.6], [0.0, 2.0]])
        >>> xb = Crossbar.from_weights(W, g_min=1e-6, g_max=1e-4)
        >>> (xb.g_minus * 1e6).round(9)           # microsiemens: g_min + scale max(-W, 0)
        array([[ 1. , 30.7],
               [ 1. ,  1. ]])
        >>> xb.matvec([1.0, 2.0]).round(12)       # = W @ v
        array([-0.2,  4. ])
        >>> q = Crossbar.from_weights(W, levels=3)   # levels at 1, 50.5 and 100 uS
        >>> (q.g_minus * 1e6).round(9)
        array([[ 1. , 50.5],
               [ 1. ,  1. ]])
        """
        W = _matrix(W)
        g_min = _nonneg(g_min, "g_min", "conductance")
        g_max = _nonneg(g_max, "g_max", "conductance")
        if not g_max > g_min:
            raise ValueError(f"g_max must exceed g_min, got g_min={g_min!r}, g_max={g_max!r}")
        big = float(np.abs(W).max())
        if w_max is None:
            w_max = big if big > 0.0 else 1.0
        else:
            w_max = _nonneg(w_max, "w_max")
            if w_max == 0.0:
                raise ValueError("w_max must be positive")
            if big > w_max:
                i, j = (int(x) for x in np.unravel_index(np.argmax(np.abs(W)), W.shape))
                raise ValueError(f"W[{i}, {j}] = {float(W[i, j])!r} exceeds w_max = {w_max!r} "
                                 "in magnitude; raise w_max or clip W")
        if levels is not None:
            if (not isinstance(levels, numbers.Integral) or isinstance(levels, bool)
                    or levels < 2):
                err = ValueError if isinstance(levels, numbers.Integral) and not \
                    isinstance(levels, bool) else InvalidTypeError
                raise err(f"levels must be an integer >= 2 (or None), got {levels!r}")
            levels = int(levels)
        variation = _nonneg(variation, "variation")
        stuck_off = _fraction(stuck_off, "stuck_off")
        stuck_on = _fraction(stuck_on, "stuck_on")
        if stuck_off + stuck_on > 1.0:
            raise ValueError(f"stuck_off + stuck_on = {stuck_off + stuck_on!r} exceeds 1")
        span = g_max - g_min
        scale = span / w_max
        target = np.stack([g_min + scale * np.maximum(W, 0.0),
                           g_min + scale * np.maximum(-W, 0.0)])
        # Rounding can push g_min + scale * w_max a hair past g_max.
        np.clip(target, g_min, g_max, out=target)
        G = target.copy()
        if levels is not None:
            step = span / (levels - 1)
            G = g_min + np.rint((G - g_min) / step) * step
            np.clip(G, g_min, g_max, out=G)  # the top level, g_min + (levels-1) step, may round
        ss = _seed_sequence(seed)
        streams = _streams(ss)
        if variation > 0.0:
            z = np.random.default_rng(streams[0]).standard_normal(G.shape)
            G = G * np.exp(variation * z)
        faults = np.zeros(G.shape, np.int8)
        n_dev = G.size
        k_off = int(round(stuck_off * n_dev))
        k_on = int(round(stuck_on * n_dev))
        if k_off + k_on > 0:
            pick = np.random.default_rng(streams[1]).permutation(n_dev)[:k_off + k_on]
            flat = faults.reshape(-1)
            flat[pick[:k_off]] = -1
            flat[pick[k_off:]] = 1
            G = np.where(faults == -1, g_min, np.where(faults == 1, g_max, G))
        xb = cls(G[0], G[1], scale, r_wire=r_wire, read_noise=read_noise, seed=ss)
        xb.g_min, xb.g_max, xb.w_max, xb.levels = g_min, g_max, float(w_max), levels
        xb.variation, xb.stuck_off, xb.stuck_on = variation, stuck_off, stuck_on
        xb.target_plus, xb.target_minus = _frozen(target[0]), _frozen(target[1])
        xb.faults = _frozen(faults)
        return xb

    # ------------------------------------------------------------------ reading

    def _grids(self):
        """Per array ``(splu factor of A, B, S)``, assembled and factorised once (cached)."""
        if self._lu is None:
            grids = []
            for G in (self.g_plus, self.g_minus):
                A, B, S = grid_matrix(G, self.r_wire)
                # A is symmetric: an ordering of A + A^T (minimum degree) fills in ~20 % less
                # than the default COLAMD (measured on 64x64 and 128x128 grids).
                grids.append((spla.splu(A, permc_spec="MMD_AT_PLUS_A"), B.tocsc(), S))
            self._lu = grids
        return self._lu

    def effective_conductances(self):
        """``(G+_eff, G-_eff)``: the linear maps ``v -> I+`` and ``v -> I-`` of the two arrays.

        With ideal wires the programmed conductances; with ``r_wire > 0`` solved from the
        grid (module docstring): column ``j`` is ``S A^{-1} B e_j``, from the one
        factorisation of each array, solved for the unit inputs in blocks of columns (so the
        dense right-hand sides stay small for large arrays). Cached.

        >>> xb = Crossbar([[1.0]], [[0.0]], scale=1.0, r_wire=0.5)
        >>> xb.effective_conductances()[0]        # 1 S in series with two 0.5-ohm segments
        array([[0.5]])
        """
        if self._eff is None:
            if self.r_wire == 0.0:
                self._eff = (self.g_plus, self.g_minus)
            else:
                eff = []
                for lu, B, S in self._grids():
                    out = np.empty((self.n_out, self.n_in))
                    for j0 in range(0, self.n_in, _SOLVE_BLOCK):
                        j1 = min(j0 + _SOLVE_BLOCK, self.n_in)
                        out[:, j0:j1] = S @ lu.solve(B[:, j0:j1].toarray())
                    eff.append(_frozen(out))
                self._eff = tuple(eff)
        return self._eff

    def node_voltages(self, v):
        """All node voltages of both arrays for input ``v`` (shape (n_in,)), wires included.

        Returns ``(x_plus, x_minus)``, each of shape ``(2, n_in, n_out)``: ``x[0, j, i]`` the
        input-line node of cell (j, i), ``x[1, j, i]`` its output-line node (see
        :func:`grid_matrix`). Needs ``r_wire > 0``.

        >>> xb = Crossbar([[1.0]], [[1.0]], scale=1.0, r_wire=1.0)
        >>> xb.node_voltages([3.0])[0].ravel()
        array([2., 1.])
        """
        if self.r_wire == 0.0:
            raise ValueError("node_voltages needs wire resistance: with r_wire = 0 every "
                             "input-line node is at v_j and every output-line node at 0 V")
        v = self._inputs(v)
        if v.ndim != 1:
            raise ValueError(f"node_voltages takes one input vector, shape ({self.n_in},)")
        return tuple(lu.solve(B @ v).reshape(2, self.n_in, self.n_out)
                     for lu, B, _ in self._grids())

    def _inputs(self, v):
        a = real_array("input", physical("input", v, "voltage"), finite=False)
        if a.ndim not in (1, 2) or a.shape[-1] != self.n_in:
            raise ValueError(f"input must have shape ({self.n_in},) or (K, {self.n_in}) "
                             f"(one voltage per input line), got {a.shape}")
        if not np.isfinite(a).all():
            k = tuple(int(x) for x in np.argwhere(~np.isfinite(a))[0])
            raise ValueError(f"input[{', '.join(map(str, k))}] = {float(a[k])!r} is not finite")
        return a

    def currents(self, v, rng=None):
        """Raw sensed currents ``(I+, I-)`` (amperes) for input voltages ``v``.

        ``v`` of shape ``(n_in,)`` gives two ``(n_out,)`` arrays; a batch ``(K, n_in)`` (one
        read per row) gives ``(K, n_out)``. Read noise is drawn from ``rng`` if given, else
        from the crossbar's own read Generator.

        >>> xb = Crossbar([[1e-6, 2e-6]], [[0.0, 0.0]], scale=1e-6)
        >>> xb.currents([[1.0, 0.0], [0.0, 1.0]])[0]
        array([[1.e-06],
               [2.e-06]])
        """
        v = self._inputs(v)
        Gp, Gm = self.effective_conductances()
        Ip, Im = v @ Gp.T, v @ Gm.T
        if self.read_noise > 0.0:
            gen = self._read_rng if rng is None else rng
            s = self.read_noise
            v2 = v * v
            Ip = Ip + s * np.sqrt(v2 @ (Gp * Gp).T) * gen.standard_normal(Ip.shape)
            Im = Im + s * np.sqrt(v2 @ (Gm * Gm).T) * gen.standard_normal(Im.shape)
        return Ip, Im

    def matvec(self, v, rng=None):
        """The analog product in the weight domain, ``(I+ - I-) / scale``.

        ``v``: shape ``(n_in,)`` -> ``(n_out,)``, or a batch ``(K, n_in)`` -> ``(K, n_out)``.
        With ideal devices and wires this is ``W v`` up to rounding.

        >>> W = np.array([[0.5, -1.0, 0.25]])
        >>> xb = Crossbar.from_weights(W, r_wire=10.0)    # 10 ohm per segment
        >>> float(xb.matvec([1.0, 1.0, 1.0])[0])           # W v = -0.25, slightly attenuated
        -0.2...
        """
        Ip, Im = self.currents(v, rng)
        return (Ip - Im) / self.scale

    def weights(self):
        """The weight matrix the crossbar realises without read noise: ``(G+_eff - G-_eff) /
        scale``.

        >>> Crossbar.from_weights([[0.3, -0.7]], levels=3).weights()
        array([[ 0.35, -0.7 ]])
        """
        Gp, Gm = self.effective_conductances()
        return (Gp - Gm) / self.scale

    # ------------------------------------------------------------------ Hopfield recall

    def recall(self, probes, bias=0.0, max_sweeps=100, tie_tol=None, rng=None):
        """Synchronous Hopfield recall with the analog product: ``s <- sign(matvec(s) - b)``.

        The same rules as ``neurodyn.Hopfield.recall(mode="sync")``: a field with
        ``|h_i| <= tie_tol`` keeps the current bit; a probe stops when a sweep flips nothing
        (converged, the sweep counts), when a sweep flips exactly the bits the previous one
        flipped (a 2-cycle, ``cycle``), or after ``max_sweeps``. All probes still running are
        read in one batch per sweep. The bias (threshold) ``b`` is applied digitally.

        Parameters
        ----------
        probes : array_like (K, N) or (N,)
            +-1 states (0/1 converted), N = n_in = n_out.
        bias : float or array_like (N,)
        max_sweeps : int
        tie_tol : float, optional
            Default ``1e-9 * max_i sum_j |W_ij|`` of the realised weights (rounding in the
            analog product is far below it; ``neurodyn.Hopfield``'s tie rule for real weights).
        rng : numpy Generator, optional
            For the read noise (default: the crossbar's read Generator).

        Returns
        -------
        neurodyn.hopfield.RecallResult (``mode="sync"``, ``energy=None``)

        Example
        -------
        >>> from neurodyn.hopfield import Hopfield
        >>> P = np.array([[1, 1, 1, 1, -1, -1, -1, -1], [1, -1, 1, -1, 1, -1, 1, -1]])
        >>> xb = Crossbar.from_weights(Hopfield.from_patterns(P).weights)
        >>> r = xb.recall([1, 1, -1, 1, -1, -1, -1, -1])        # one bit of P[0] wrong
        >>> r.states, r.converged, r.sweeps
        (array([ 1,  1,  1,  1, -1, -1, -1, -1], dtype=int8), True, 2)
        """
        if self.n_out != self.n_in:
            raise ValueError(f"recall needs a square weight matrix, the crossbar is "
                             f"{self.n_out} x {self.n_in}")
        n = self.n_in
        S = _bipolar(probes, "probe", n)
        single = S.ndim == 1
        S = np.array(S.reshape(1, -1) if single else S, dtype=np.int8, copy=True)
        b = real_array("bias", bias, finite=False)
        b = np.broadcast_to(b, (n,)) if b.ndim == 0 else b
        if b.shape != (n,) or not np.isfinite(b).all():
            raise ValueError(f"bias must be a finite number or shape ({n},), got {np.shape(bias)}")
        max_sweeps = count("max_sweeps", max_sweeps, low=1)
        if tie_tol is None:
            tie_tol = TIE_RTOL * float((np.abs(self.weights()).sum(axis=1) + np.abs(b)).max())
        tie_tol = _nonneg(tie_tol, "tie_tol")
        K = S.shape[0]
        converged = np.zeros(K, bool)
        cycle = np.zeros(K, bool)
        sweeps = np.zeros(K, np.int64)
        prev = np.zeros((K, n), bool)
        has_prev = np.zeros(K, bool)
        active = np.arange(K)
        t = 0
        while active.size and t < max_sweeps:
            t += 1
            s = S[active]
            h = self.matvec(s.astype(np.float64), rng) - b
            new = np.where(h > tie_tol, 1, np.where(h < -tie_tol, -1, s)).astype(np.int8)
            flips = new != s
            sweeps[active] = t
            none = ~flips.any(axis=1)
            converged[active[none]] = True
            S[active] = new
            same = has_prev[active] & ~none & (flips == prev[active]).all(axis=1)
            cycle[active[same]] = True
            prev[active] = flips
            has_prev[active] = True
            active = active[~(none | same)]
        if single:
            return RecallResult(S[0], bool(converged[0]), int(sweeps[0]), bool(cycle[0]), None,
                                "sync", 0.0, None)
        return RecallResult(S, converged, sweeps, cycle, None, "sync", 0.0, None)

    def __repr__(self):
        parts = [f"{self.n_out}x{self.n_in}"]
        if self.levels is not None:
            parts.append(f"levels={self.levels}")
        for k in ("variation", "stuck_off", "stuck_on"):
            if getattr(self, k):
                parts.append(f"{k}={getattr(self, k):g}")
        if self.read_noise:
            parts.append(f"read_noise={self.read_noise:g}")
        if self.r_wire:
            parts.append(f"r_wire={self.r_wire:g}")
        return f"Crossbar({', '.join(parts)})"


def crossbar_recall(hopfield, probes, max_sweeps=100, rng=None, **nonidealities):
    """Recall a :class:`neurodyn.Hopfield` network's patterns through a crossbar.

    Maps ``hopfield.weights`` with :meth:`Crossbar.from_weights` (keyword arguments
    ``g_min``, ``g_max``, ``levels``, ``variation``, ``stuck_off``, ``stuck_on``,
    ``read_noise``, ``r_wire``, ``seed``, ``w_max``) and runs :meth:`Crossbar.recall` with the
    network's bias. Returns ``(result, crossbar)``.

    >>> from neurodyn.hopfield import Hopfield
    >>> net = Hopfield.from_patterns([[1, -1, 1, -1, 1, -1]])
    >>> r, xb = crossbar_recall(net, [1, 1, 1, -1, 1, -1], levels=2, seed=0)
    >>> r.states, xb
    (array([ 1, -1,  1, -1,  1, -1], dtype=int8), Crossbar(6x6, levels=2))
    """
    if not isinstance(hopfield, Hopfield):
        raise TypeError(f"hopfield must be a neurodyn Hopfield network, got "
                        f"{type(hopfield).__name__}")
    xb = Crossbar.from_weights(hopfield.weights, **nonidealities)
    return xb.recall(probes, bias=hopfield.bias, max_sweeps=max_sweeps, rng=rng), xb
