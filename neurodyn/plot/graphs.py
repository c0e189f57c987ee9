"""A network's graph: nodes, and edges coloured by weight on a diverging scale."""
from __future__ import annotations

import numpy as np

from solvers._checks import InvalidTypeError, real_number

from ._base import _axes, _choice, _flag, _text
from .._model import edge_weight

__all__ = ["network"]


def _graph(model):
    import networkx as nx

    if isinstance(model, nx.Graph):
        return model
    to_graph = getattr(model, "to_graph", None)
    if not callable(to_graph):
        raise InvalidTypeError(f"network: model must have .to_graph() (CTRNN, Hopfield, "
                               f"ContinuousHopfield, ESN, LSM, ...) or be a networkx graph, got "
                               f"{type(model).__name__}")
    G = to_graph()
    if not isinstance(G, nx.Graph):
        raise InvalidTypeError(f"network: {type(model).__name__}.to_graph() returned "
                               f"{type(G).__name__}, not a networkx graph")
    return G


def _positions(G, pos, layout, seed):
    import networkx as nx

    if pos is not None:
        if not isinstance(pos, dict):
            raise InvalidTypeError(f"pos must be a dict node -> (x, y), got "
                                   f"{type(pos).__name__}")
        missing = [v for v in G.nodes if v not in pos]
        if missing:
            raise ValueError(f"pos has no position for node {missing[0]!r}")
        out = {}
        for v in G.nodes:
            p = np.asarray(pos[v], dtype=float) if not isinstance(pos[v], str) else None
            if p is None or p.shape != (2,) or not np.all(np.isfinite(p)):
                raise ValueError(f"pos[{v!r}] must be two finite numbers, got {pos[v]!r}")
            out[v] = p
        return out
    if layout == "circular":
        return nx.circular_layout(G)
    if layout == "spring":
        # weight=None: negative weights would be read as negative spring constants
        return nx.spring_layout(G, weight=None, seed=seed)
    if layout == "kamada_kawai":
        return nx.kamada_kawai_layout(G, weight=None)
    # "auto": the nodes' own positions (an LSM column's "pos") when all have one
    own = [G.nodes[v].get("pos") for v in G.nodes]
    if own and all(p is not None and len(p) >= 2 for p in own):
        return {v: np.asarray(p[:2], dtype=float) for v, p in zip(G.nodes, own)}
    return nx.circular_layout(G) if G.number_of_nodes() <= 12 else \
        nx.spring_layout(G, weight=None, seed=seed)


def network(model, ax=None, *, weight="weight", pos=None, layout="auto", cmap="RdBu_r",
            vmax=None, node_color="#e6e6e6", node_size=500, labels=True, colorbar=True,
            seed=0, width=2.0):
    """A network drawn as its graph, each edge coloured by its weight.

    Weights are mapped on a diverging colour scale centred on zero (excitatory and inhibitory
    edges in opposite colours, of equal saturation for equal magnitude), with a colour bar.

    Parameters
    ----------
    model : model with ``.to_graph()`` or a networkx graph
        ``CTRNN``, ``Hopfield``, ``ContinuousHopfield``, ``ESN``, ``LSM`` and the circuits'
        ``HopfieldTank`` have ``to_graph()``; any networkx (Di)Graph whose edges carry
        ``weight`` also works (say, a memristive network's edge currents).
    ax : matplotlib Axes, optional
    weight : str
        The edge attribute to colour by (every edge must have it, a finite number).
    pos : dict node -> (x, y), optional
        Node positions; default from ``layout``.
    layout : {"auto", "circular", "spring", "kamada_kawai"}
        "auto": the nodes' ``pos`` attribute when all have one (first two coordinates), else
        circular up to 12 nodes, spring (seeded) beyond.
    cmap : str
        A diverging colormap.
    vmax : float, optional
        Colour scale ``[-vmax, vmax]``; default the largest ``|weight|``.
    node_color, node_size, width :
        Node fill, node size (points^2) and edge width.
    labels : bool
        Write the node names.
    colorbar : bool
    seed : int
        Of the spring layout.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections`` holds the nodes (gid ``"nodes"``, in the order of ``G.nodes``) and,
        for an undirected graph, the edges (gid ``"edges"``); a directed graph's edges are
        arrows in ``ax.patches`` (gid ``"edge"``), in the order of ``G.edges``, self-loops
        left out: a self-connection colours the ring of its node instead (edge colour of the
        node marker, drawn thicker).

    Example
    -------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from neurodyn import CTRNN
    >>> net = CTRNN([[0.5, 2.0], [-1.0, 0.0]], nodes=["a", "b"])
    >>> ax = network(net)
    >>> [p.get_gid() for p in ax.patches]          # a -> b and b -> a; a -> a is a ring
    ['edge', 'edge']
    """
    import networkx as nx

    G = _graph(model)
    _text("weight", weight, allow_none=False)
    layout = _choice("layout", layout, ("auto", "circular", "spring", "kamada_kawai"))
    labels = _flag("labels", labels)
    colorbar = _flag("colorbar", colorbar)
    width = real_number("width", width, positive=True)
    node_size = real_number("node_size", node_size, nonnegative=True)
    if G.number_of_nodes() == 0:
        raise ValueError("network: the graph has no nodes")
    arrow = "->" if G.is_directed() else "-"
    edges = list(G.edges(data=True))
    w = np.array([edge_weight(d, weight, None, u, v, arrow) for u, v, d in edges])
    if vmax is None:
        vmax = float(np.abs(w).max()) if w.size and np.abs(w).max() > 0 else 1.0
    vmax = real_number("vmax", vmax, positive=True)
    P = _positions(G, pos, layout, seed)
    ax = _axes(ax, "network")
    import matplotlib as mpl

    norm = mpl.colors.Normalize(-vmax, vmax)
    if isinstance(cmap, str):
        try:
            cm = mpl.colormaps[cmap]
        except KeyError:
            raise ValueError(f"cmap: unknown colormap {cmap!r}") from None
    elif isinstance(cmap, mpl.colors.Colormap):
        cm = cmap
    else:
        raise InvalidTypeError(f"cmap must be a colormap or its name, got {cmap!r}")
    colors = [cm(norm(x)) for x in w]
    # networkx draws a self-loop as a loop of zero size at this scale: a self-connection
    # (a CTRNN's W[i, i]) colours its node's ring instead.
    loops = {u: c for (u, v, _), c in zip(edges, colors) if u == v}
    ring = [loops.get(v, "0.3") for v in G.nodes]
    ring_w = [3.0 if v in loops else 1.0 for v in G.nodes]
    nodes = nx.draw_networkx_nodes(G, P, ax=ax, node_color=node_color, node_size=node_size,
                                   edgecolors=ring, linewidths=ring_w)
    nodes.set_gid("nodes")
    others = [(u, v) for u, v, _ in edges if u != v]
    if others:
        kw = dict(arrows=True, arrowsize=14, connectionstyle="arc3,rad=0.12") \
            if G.is_directed() else dict(arrows=False)
        drawn = nx.draw_networkx_edges(G, P, ax=ax, edgelist=others,
                                       edge_color=[c for (u, v, _), c in zip(edges, colors)
                                                   if u != v],
                                       width=width, node_size=node_size, **kw)
        if isinstance(drawn, list):
            for patch in drawn:
                patch.set_gid("edge")
        else:
            drawn.set_gid("edges")
    if labels:
        nx.draw_networkx_labels(G, P, ax=ax, font_size=9)
    if colorbar:
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cm)
        ax.figure.colorbar(sm, ax=ax, label=weight, shrink=0.8)
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="datalim")
    return ax
