"""The genome of a CTRNN: a real vector in [0, 1]^d mapped to weights, biases, time constants
(and optionally gains) within their ranges, as evolutionary robotics does it (Beer).

Genes live in the unit cube so that every optimiser works in one space: CMA-ES gets the
bounds [0, 1], the GA clips its mutations there. Each gene maps linearly onto its range,
except the time constants, which map log-linearly by default (a tau of 0.5 and one of 10 are
as far apart as 1 and 20: the dynamics care about ratios).
"""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, count, real_array, real_number, rng_from_seed

from ..ctrnn import CTRNN
from ..inputs import Constant

__all__ = ["CTRNNGenome"]


def _range(name, value, *, positive=False):
    """``(lo, hi)`` floats with lo < hi, or None; errors name the argument."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidTypeError(f"{name} must be a (low, high) pair or None, got {value!r}")
    lo = real_number(f"{name}[0]", value[0], positive=positive)
    hi = real_number(f"{name}[1]", value[1], positive=positive)
    if not lo < hi:
        raise ValueError(f"{name} must be a range (low, high) with low < high, got {value!r}")
    return lo, hi


def _mask_array(mask, n, nodes):
    """The n x n bool array of evolvable weights and the node names a graph brings (or None)."""
    if mask is None:
        return np.ones((n, n), dtype=bool), None
    if hasattr(mask, "nodes") and hasattr(mask, "edges"):
        G = mask
        if G.is_multigraph():
            raise ValueError("mask: multigraphs are not supported")
        gnodes = list(G.nodes)
        if len(gnodes) != n:
            raise ValueError(f"mask: the graph has {len(gnodes)} nodes, the genome {n} neurons")
        order = nodes if nodes is not None else gnodes
        missing = [v for v in gnodes if v not in set(order)]
        if missing:
            raise ValueError(f"mask: graph node {missing[0]!r} is not a node of the template "
                             f"({order!r})")
        index = {v: i for i, v in enumerate(order)}
        M = np.zeros((n, n), dtype=bool)
        for u, v in G.edges():
            # Graph convention: u -> v means u drives v, W[v, u].
            M[index[v], index[u]] = True
            if not G.is_directed():
                M[index[u], index[v]] = True
        return M, (None if nodes is not None else gnodes)
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise InvalidTypeError(f"mask must be an (n, n) bool array or a networkx graph, got "
                               f"an array of {arr.dtype}")
    if arr.shape != (n, n):
        raise ValueError(f"mask must have shape ({n}, {n}), got {arr.shape}")
    return arr.copy(), None


class _UnitGenome:
    """What every genome shares: genes in ``[0, 1]^size`` with a label each (``size``,
    ``names``), checked, decoded one at a time through ``decode_many``, drawn at random."""

    def _genes(self, G, name="genes"):
        G = real_array(name, G)
        if G.shape[-1:] != (self.size,) or G.ndim > 2:
            raise ValueError(f"{name} must have shape ({self.size},) or (m, {self.size}) "
                             f"(one value per gene), got {G.shape}")
        bad = (G < 0.0) | (G > 1.0)
        if bad.any():
            idx = tuple(int(v) for v in np.argwhere(bad)[0])
            raise ValueError(f"{name}{list(idx)} = {float(G[idx])!r} (gene "
                             f"{self.names[idx[-1]]}) is outside [0, 1]")
        return G

    def decode(self, genes):
        """The model of one gene vector (shape ``(size,)``, entries in [0, 1]).

        >>> CTRNNGenome(1, tau=None).decode([0.75, 0.25]).W.tolist()
        [[8.0]]
        """
        G = self._genes(genes)
        if G.ndim != 1:
            raise ValueError(f"genes must have shape ({self.size},); use decode_many for "
                             f"several, got {G.shape}")
        return self.decode_many(G[None])[0]

    def random(self, rng=None, size=None):
        """Uniform random genes: shape ``(size,)`` for ``size=None``, else ``(size, self.size)``;
        ``rng`` is a numpy Generator or a seed.

        >>> CTRNNGenome(2).random(0, 5).shape
        (5, 8)
        """
        rng = rng_from_seed("rng", rng)
        if size is None:
            return rng.random(self.size)
        return rng.random((count("size", size, low=1), self.size))


class CTRNNGenome(_UnitGenome):
    """The map between a gene vector in ``[0, 1]^size`` and a :class:`neurodyn.CTRNN`.

    Genes, in this order: the evolvable weights ``W[i, j]`` (row by row; with ``symmetric``
    only ``i <= j``), then ``bias[i]``, ``tau[i]`` and ``gain[i]`` of every neuron, for each
    of these that has a range. A gene ``g`` maps to ``lo + g (hi - lo)``; tau, with
    ``log_tau``, to ``lo (hi / lo)^g``.

    Parameters
    ----------
    n : int
        Number of neurons.
    weight, bias, tau : (low, high) or None
        Ranges of the evolved values; the defaults are Beer's usual ones (weights and biases in
        [-16, 16], time constants in [0.5, 10]; e.g. Beer, Chiel & Gallagher 1999). ``None``
        keeps the template's values (not evolved). ``bias="center"`` makes every network
        center-crossing (Mathayomchan & Beer 2002): no bias genes, ``bias_i = -(sum_j W[i, j]
        / 2 + I_i)`` for the sigmoid (the null-surfaces cross at the center of the outputs'
        range, where the richest dynamics are: oscillators are some 50 times more common
        among random 2-neuron networks) and ``-I_i`` for tanh; it needs a constant input.
    log_tau : bool
        Map tau genes log-linearly (default) instead of linearly.
    mask : (n, n) bool array, networkx graph or None
        Which weights evolve: ``mask[i, j]`` for ``W[i, j]``, or the graph's edges (``u -> v``
        evolves ``W[v, u]``; an undirected edge both ways). The others keep the template's
        value (0 without a template). A graph's node order follows the template's ``nodes``,
        else ``list(G.nodes)``, whose names the decoded networks then carry.
    symmetric : bool
        Tie ``W[i, j] = W[j, i]`` (one gene per pair; the mask must be symmetric).
    gain : (low, high) or None
        A range evolves the gains too; None keeps the template's (1 without a template).
    activation : str or None
        The networks' activation; None: the template's, else ``"sigmoid"``.
    template : CTRNN or None
        A network of ``n`` neurons whose other settings (input, gain, fixed weights, node
        names) every decoded network keeps.

    Attributes
    ----------
    size : int
        Number of genes.
    names : list of str
        A label per gene: ``"W[0,1]"``, ``"bias[2]"``, ``"tau[0]"``, ``"gain[1]"``.

    Example
    -------
    >>> genome = CTRNNGenome(2)
    >>> genome.size, genome.names[:2], genome.names[-1]
    (8, ['W[0,0]', 'W[0,1]'], 'tau[1]')
    >>> net = genome.decode([0.5, 1.0, 0.0, 0.5, 0.5, 0.5, 0.0, 1.0])
    >>> net.W.tolist(), net.tau.tolist()
    ([[0.0, 16.0], [-16.0, 0.0]], [0.5, 10.0])
    >>> genome.encode(net).round(12).tolist()
    [0.5, 1.0, 0.0, 0.5, 0.5, 0.5, 0.0, 1.0]
    """

    def __init__(self, n, *, weight=(-16.0, 16.0), bias=(-16.0, 16.0), tau=(0.5, 10.0),
                 log_tau=True, mask=None, symmetric=False, gain=None, activation=None,
                 template=None):
        n = count("n", n, low=1)
        if template is not None:
            if not isinstance(template, CTRNN):
                raise InvalidTypeError(f"template must be a neurodyn.CTRNN, got "
                                       f"{type(template).__name__}")
            if template.n_states != n:
                raise ValueError(f"template has {template.n_states} neurons, the genome n={n}")
        if not isinstance(log_tau, (bool, np.bool_)):
            raise InvalidTypeError(f"log_tau must be True or False, got {log_tau!r}")
        if not isinstance(symmetric, (bool, np.bool_)):
            raise InvalidTypeError(f"symmetric must be True or False, got {symmetric!r}")
        self.n = n
        self.weight = _range("weight", weight)
        self.center = isinstance(bias, str) and bias == "center"
        if isinstance(bias, str) and not self.center:
            raise ValueError(f"bias must be a (low, high) range, None or 'center', got {bias!r}")
        self.bias = None if self.center else _range("bias", bias)
        self.tau = _range("tau", tau, positive=True)
        self.gain = _range("gain", gain)
        self.log_tau = bool(log_tau)
        self.symmetric = bool(symmetric)
        self.template = template
        if activation is None:
            activation = template.activation if template is not None else "sigmoid"
        CTRNN(np.zeros((1, 1)), activation=activation)  # the constructor's check and message
        self.activation = activation

        tnodes = None if template is None else list(template.nodes)
        M, gnodes = _mask_array(mask, n, tnodes)
        self.nodes = tnodes if tnodes is not None else gnodes
        if self.symmetric:
            asym = np.argwhere(M != M.T)
            if asym.size:
                i, j = (int(v) for v in asym[0])
                raise ValueError(f"symmetric=True needs a symmetric mask: W[{i},{j}] is "
                                 f"evolvable but W[{j},{i}] is not")
            M = np.triu(M)
        self.mask = M
        if self.weight is None:
            M = np.zeros_like(M)
        self._rows, self._cols = (a.astype(np.intp) for a in np.nonzero(M))
        if template is None:
            self._W0, self._bias0 = np.zeros((n, n)), np.zeros(n)
            self._tau0, self._gain0 = np.ones(n), np.ones(n)
        else:
            W = template.W.toarray() if template.sparse else np.array(template.W)
            self._W0 = W
            self._bias0, self._tau0 = np.array(template.bias), np.array(template.tau)
            self._gain0 = np.array(template.gain)
        self._input0 = np.zeros(n)
        if template is not None:
            if not isinstance(template.input, Constant):
                if self.center:
                    raise ValueError("bias='center' needs a template with a constant input, "
                                     f"got {template.input!r}")
            else:
                self._input0 = np.broadcast_to(template.input.value, (n,)).astype(float)
        if self.symmetric:
            asym = np.argwhere(self._W0 != self._W0.T)
            if asym.size:
                i, j = (int(v) for v in asym[0])
                raise ValueError(f"symmetric=True but the template's W[{i},{j}] = "
                                 f"{self._W0[i, j]!r} and W[{j},{i}] = {self._W0[j, i]!r}")

        names = [f"W[{i},{j}]" for i, j in zip(self._rows.tolist(), self._cols.tolist())]
        self._blocks = [("W", len(names))] if names else []
        for what, rng in (("bias", self.bias), ("tau", self.tau), ("gain", self.gain)):
            if rng is not None:
                names += [f"{what}[{i}]" for i in range(n)]
                self._blocks.append((what, n))
        self.names = names
        self.size = len(names)
        if self.size == 0:
            raise ValueError("the genome has no genes: every range is None or the mask is empty")

    # ------------------------------------------------------------------ genes -> values
    def _values(self, G):
        """(W, bias, tau, gain) stacked over the rows of G (m, size)."""
        m = G.shape[0]
        out = {"W": np.repeat(self._W0[None], m, axis=0), "bias": np.tile(self._bias0, (m, 1)),
               "tau": np.tile(self._tau0, (m, 1)), "gain": np.tile(self._gain0, (m, 1))}
        k = 0
        for what, size in self._blocks:
            g = G[:, k:k + size]
            k += size
            if what == "W":
                lo, hi = self.weight if self.weight is not None else (0.0, 0.0)
                w = lo + g * (hi - lo)
                out["W"][:, self._rows, self._cols] = w
                if self.symmetric:
                    out["W"][:, self._cols, self._rows] = w
            elif what == "tau" and self.log_tau:
                lo, hi = self.tau
                out["tau"] = lo * (hi / lo) ** g
            else:
                lo, hi = getattr(self, what)
                out[what] = lo + g * (hi - lo)
        if self.center:
            out["bias"] = self._center_bias(out["W"])
        return out

    def _center_bias(self, W):
        if self.activation == "sigmoid":
            return -(0.5 * W.sum(axis=-1) + self._input0)
        return np.broadcast_to(-self._input0, W.shape[:-1]).copy()

    def decode_many(self, genes):
        """The CTRNNs of the rows of ``genes`` (shape ``(m, size)``), one per row.

        The mapping is vectorised; what remains per network is the CTRNN constructor.

        >>> nets = CTRNNGenome(2).decode_many(np.full((3, 8), 0.5))
        >>> len(nets), nets[0].tau.round(4).tolist()
        (3, [2.2361, 2.2361])
        """
        G = self._genes(genes)
        if G.ndim != 2:
            raise ValueError(f"genes must have shape (m, {self.size}), got {G.shape}")
        v = self._values(G)
        t = self.template
        inp = 0.0 if t is None else t.input
        return [CTRNN(v["W"][k], tau=v["tau"][k], bias=v["bias"][k], gain=v["gain"][k],
                      input=inp, activation=self.activation, nodes=self.nodes)
                for k in range(G.shape[0])]

    # ------------------------------------------------------------------ values -> genes
    def encode(self, net):
        """The genes of a CTRNN whose evolved values lie in the genome's ranges (its other
        values must be the template's: they have no genes).

        >>> genome = CTRNNGenome(1, weight=(-1.0, 1.0), bias=None, tau=(1.0, 4.0))
        >>> genome.encode(CTRNN([[0.5]], tau=2.0)).tolist()
        [0.75, 0.5]
        """
        if not isinstance(net, CTRNN):
            raise InvalidTypeError(f"encode needs a neurodyn.CTRNN, got {type(net).__name__}")
        if net.n_states != self.n:
            raise ValueError(f"the network has {net.n_states} neurons, the genome {self.n}")
        W = net.W.toarray() if net.sparse else np.asarray(net.W)
        vals = {"W": W, "bias": net.bias, "tau": net.tau, "gain": net.gain}
        evolved = {"W": self.weight is not None}
        evolved.update({w: getattr(self, w) is not None for w in ("bias", "tau", "gain")})
        # Values without genes must be the template's, or encoding would lose them.
        fixedW = np.ones((self.n, self.n), dtype=bool)
        if evolved["W"]:
            fixedW[self._rows, self._cols] = False
            if self.symmetric:
                fixedW[self._cols, self._rows] = False
        if self.symmetric:
            asym = np.argwhere(W != W.T)
            if asym.size:
                i, j = (int(a) for a in asym[0])
                raise ValueError(f"the genome is symmetric but W[{i},{j}] = {W[i, j]!r} and "
                                 f"W[{j},{i}] = {W[j, i]!r}")
        fixed = {"W": fixedW}
        for what in ("bias", "tau", "gain"):
            fixed[what] = np.full(self.n, not evolved[what])
        base = {"W": self._W0, "bias": self._bias0, "tau": self._tau0, "gain": self._gain0}
        if self.center:
            want = self._center_bias(W)
            off = np.flatnonzero(~np.isclose(net.bias, want, rtol=1e-12, atol=1e-12))
            if off.size:
                i = int(off[0])
                raise ValueError(f"bias[{i}] = {float(net.bias[i])!r} is not center-crossing "
                                 f"({float(want[i])!r}), as the genome's biases are")
            fixed["bias"][:] = False
        for what in ("W", "bias", "tau", "gain"):
            diff = np.argwhere(fixed[what] & (vals[what] != base[what]))
            if diff.size:
                idx = tuple(int(a) for a in diff[0])
                label = f"{what}[{','.join(map(str, idx))}]"
                raise ValueError(f"{label} = {float(vals[what][idx])!r} has no gene and differs "
                                 f"from the genome's fixed value {float(base[what][idx])!r}")
        genes = np.empty(self.size)
        k = 0
        for what, size in self._blocks:
            if what == "W":
                x = W[self._rows, self._cols]
                lo, hi = self.weight
            else:
                x = vals[what]
                lo, hi = getattr(self, what)
            g = (np.log(x / lo) / np.log(hi / lo) if what == "tau" and self.log_tau
                 else (x - lo) / (hi - lo))
            # A value decoded from a gene of 0 or 1 may land an ulp outside after the round
            # trip through exp/log; anything further out is not in the genome's range.
            out = (g < -1e-12) | (g > 1.0 + 1e-12)
            if out.any():
                q = int(np.flatnonzero(out)[0])
                raise ValueError(f"{self.names[k + q]} = {float(x[q])!r} is outside the "
                                 f"genome's {what if what != 'W' else 'weight'} range "
                                 f"[{lo:g}, {hi:g}]")
            genes[k:k + size] = np.clip(g, 0.0, 1.0)
            k += size
        return genes

    def __repr__(self):
        parts = [f"n={self.n}", f"size={self.size}"]
        for what in ("weight", "bias", "tau", "gain"):
            r = getattr(self, what)
            if r is not None:
                parts.append(f"{what}=({r[0]:g}, {r[1]:g})")
        if self.center:
            parts.append("bias='center'")
        if self.symmetric:
            parts.append("symmetric")
        return f"CTRNNGenome({', '.join(parts)})"
