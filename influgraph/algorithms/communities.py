"""Community detection engines: symmetrisation, Leiden, Louvain, label propagation, Infomap, modularity, roles.

General graph algorithms with no workspace or profile in sight: they take a `graph.BuiltGraph`
or its undirected form and return memberships and per-vertex numbers. `communities.py` holds the
detection contract (validation, connected and stably numbered communities, runs and their
stability, profiles) on top of these.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

import igraph as ig
import numpy as np
import polars as pl

from ..graph import BuiltGraph

__all__ = ["METHODS", "SYMMETRISATIONS", "LEIDEN_MIN_GAIN", "LEIDEN_MAX_PASSES", "Undirected", "undirected", "leiden",
           "find_partition", "modularity", "community_roles"]

METHODS = ("leiden", "louvain", "label-propagation", "infomap")
SYMMETRISATIONS = ("sum", "max", "mutual")
LEIDEN_MIN_GAIN = 1e-4  # Leiden passes stop when one raises modularity by less than this
LEIDEN_MAX_PASSES = 50


@dataclass
class Undirected:
    """The undirected weighted graph of modularity methods, with its edges as numpy arrays."""

    graph: ig.Graph
    ends: np.ndarray  # (m, 2) vertex indices, u < v
    weights: np.ndarray


def undirected(built: BuiltGraph, how: str = "sum") -> Undirected:
    """The undirected weighted graph of a directed one.

    Each unordered pair {u, v} with an edge in either direction becomes one undirected edge,
    weighted by the sum of both directions (`sum`), the stronger one (`max`), or, keeping only
    pairs that interact both ways, their sum (`mutual`).

    Parameters
    ----------
    built : BuiltGraph
        The directed, weighted graph (kind weights already applied).
    how : {'sum', 'max', 'mutual'}, default 'sum'
        How the two directions of a pair combine.

    Returns
    -------
    Undirected
        The igraph graph (edge attribute `weight`), its edges (u < v, sorted) and weights.

    Examples
    --------
    >>> import polars as pl
    >>> from influgraph.graph import build_graph
    >>> from influgraph.schema import Batch
    >>> edges = pl.DataFrame({"src": ["a", "b", "b"], "dst": ["b", "a", "c"], "kind": ["reply"] * 3, "platform": ["x"] * 3})
    >>> undirected(build_graph(Batch(edges=edges)), "mutual").ends.tolist()
    [[0, 1]]

    Notes
    -----
    Pairs are combined with a polars group-by over the edge arrays, not in Python.
    """
    n = built.n
    ends = built.ends
    weight = built.weight
    pairs = pl.DataFrame({"u": np.minimum(ends[:, 0], ends[:, 1]), "v": np.maximum(ends[:, 0], ends[:, 1]), "w": weight})
    combine = pl.col("w").max() if how == "max" else pl.col("w").sum()
    grouped = pairs.group_by("u", "v").agg(combine, pl.len().alias("directions"))
    if how == "mutual":
        grouped = grouped.filter(pl.col("directions") == 2)
    grouped = grouped.sort("u", "v")
    out_ends = np.column_stack([grouped["u"].to_numpy(), grouped["v"].to_numpy()]).astype(np.int64).reshape(-1, 2)
    graph = ig.Graph(n=n, directed=False)
    if len(out_ends):
        graph.add_edges(out_ends)
        graph.es["weight"] = grouped["w"].to_numpy()
    return Undirected(graph=graph, ends=out_ends, weights=grouped["w"].to_numpy().astype(np.float64))


def leiden(graph: ig.Graph, resolution: float) -> list[int]:
    """Leiden communities maximising weighted modularity at `resolution`.

    Leiden moves vertices between communities, refines each community into well-connected
    parts, and aggregates, repeatedly; unlike Louvain it guarantees connected communities.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected, with edge attribute `weight`.
    resolution : float
        The modularity resolution gamma (1 is standard modularity; higher gives smaller communities).

    Returns
    -------
    list of int
        The community of every vertex.

    Notes
    -----
    igraph's C implementation, one pass at a time from the previous partition, until a pass
    gains less than LEIDEN_MIN_GAIN (at most LEIDEN_MAX_PASSES): as good as "until stable" in
    practice, and bounded on large graphs where the last passes only move a few vertices.
    Random choices come from igraph's random number generator (see `find_partition`).

    References
    ----------
    .. [1] V. A. Traag, L. Waltman and N. J. van Eck, "From Louvain to Leiden: guaranteeing
       well-connected communities", Scientific Reports 9, 5233, 2019.
    """
    found = graph.community_leiden(objective_function="modularity", weights="weight", resolution=resolution, n_iterations=1)
    for _ in range(LEIDEN_MAX_PASSES - 1):
        again = graph.community_leiden(objective_function="modularity", weights="weight", resolution=resolution,
                                       n_iterations=1, initial_membership=found.membership)
        gain = again.quality - found.quality
        if gain >= 0:
            found = again
        if gain < LEIDEN_MIN_GAIN:
            break
    return found.membership


def find_partition(method: str, graph: ig.Graph, built: BuiltGraph, resolution: float, seed: int) -> list[int]:
    """The communities found by `method`, deterministic for a seed.

    Parameters
    ----------
    method : {'leiden', 'louvain', 'label-propagation', 'infomap'}
        Leiden (`leiden`) and Louvain optimise modularity at `resolution` on `graph`; label
        propagation ignores the resolution; Infomap (5 trials) runs on the directed graph of
        `built`, since it models flow.
    graph : igraph.Graph
        The undirected graph (`undirected(built).graph`).
    built : BuiltGraph
        The directed graph it was made from.
    resolution : float
        The modularity resolution.
    seed : int
        Seed of the random number generator igraph uses for this call; Python's global
        `random` state is restored afterwards.

    Returns
    -------
    list of int
        The community of every vertex; every vertex alone when `graph` has no edges.

    References
    ----------
    .. [1] V. D. Blondel, J.-L. Guillaume, R. Lambiotte and E. Lefebvre, "Fast unfolding of
       communities in large networks", Journal of Statistical Mechanics, P10008, 2008.
    .. [2] U. N. Raghavan, R. Albert and S. Kumara, "Near linear time algorithm to detect
       community structures in large-scale networks", Physical Review E 76, 036106, 2007.
    .. [3] M. Rosvall and C. T. Bergstrom, "Maps of random walks on complex networks reveal
       community structure", PNAS 105(4), 2008, pp. 1118-1123.
    """
    previous = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        if graph.ecount() == 0:
            return list(range(graph.vcount()))
        weights = "weight"  # the attribute name: igraph reads it in C, no Python list
        if method == "leiden":
            return leiden(graph, resolution)
        if method == "louvain":
            return graph.community_multilevel(weights=weights, resolution=resolution).membership
        if method == "label-propagation":
            return graph.community_label_propagation(weights=weights).membership
        return built.graph.community_infomap(edge_weights="weight", trials=5).membership  # directed igraph: built here only
    finally:
        ig.set_random_number_generator(random)
        random.setstate(previous)


def modularity(graph: Undirected, membership: np.ndarray, resolution: float) -> float:
    """Weighted modularity of a partition of an undirected graph.

    Q = (1 / 2m) * sum_ij (A_ij - gamma * k_i k_j / 2m) * [c_i == c_j], with A the weighted
    adjacency, k_i the strength of i, m the total weight and gamma the resolution.

    Parameters
    ----------
    graph : Undirected
        The undirected weighted graph.
    membership : numpy.ndarray
        The community of every vertex.
    resolution : float
        gamma (1 is Newman and Girvan's modularity).

    Returns
    -------
    float
        Q; 0.0 for a graph without vertices or edges, never NaN.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from influgraph.graph import build_graph
    >>> from influgraph.schema import Batch
    >>> edges = pl.DataFrame({"src": ["a", "c"], "dst": ["b", "d"], "kind": ["reply"] * 2, "platform": ["x"] * 2})
    >>> modularity(undirected(build_graph(Batch(edges=edges))), np.array([0, 0, 1, 1]), 1.0)
    0.5

    References
    ----------
    .. [1] M. E. J. Newman and M. Girvan, "Finding and evaluating community structure in
       networks", Physical Review E 69, 026113, 2004.
    """
    if graph.graph.ecount() == 0 or graph.graph.vcount() == 0:
        return 0.0
    value = graph.graph.modularity(membership.tolist(), weights="weight", resolution=resolution)
    return 0.0 if value is None or math.isnan(value) else float(value)


def community_roles(graph: Undirected, membership: np.ndarray) -> pl.DataFrame:
    """Strength, participation coefficient, within-community z-score and role of every vertex.

    With k_i the strength of i and k_is its strength toward community s: the participation
    coefficient P_i = 1 - sum_s (k_is / k_i)^2 (0 when all links stay in one community), and
    z_i = (k_i,own - mean) / std of k_i,own over i's community. Hubs have z >= 2.5: provincial
    hub (P <= 0.30), connector hub (P <= 0.75), kinless hub. Other vertices: ultra-peripheral
    (P <= 0.05), peripheral (P <= 0.62), connector (P <= 0.80), kinless.

    Parameters
    ----------
    graph : Undirected
        The undirected weighted graph.
    membership : numpy.ndarray
        The community of every vertex, numbered 0, 1, ...

    Returns
    -------
    polars.DataFrame
        Columns strength, participation (in [0, 1]), within_z (0 where the community's
        standard deviation is 0) and role, one row per vertex.

    Notes
    -----
    One sparse product (adjacency x community indicator) gives every k_is at once; it stays
    sparse, since real graphs have tens of thousands of communities.

    References
    ----------
    .. [1] R. Guimerà and L. A. Nunes Amaral, "Functional cartography of complex metabolic
       networks", Nature 433, 2005, pp. 895-900.
    """
    from scipy import sparse

    n = graph.graph.vcount()
    communities = int(membership.max()) + 1 if n else 0
    if len(graph.ends):
        ends, w = graph.ends, graph.weights
        rows, cols = np.concatenate([ends[:, 0], ends[:, 1]]), np.concatenate([ends[:, 1], ends[:, 0]])
        adjacency = sparse.csr_matrix((np.concatenate([w, w]), (rows, cols)), shape=(n, n))
    else:
        adjacency = sparse.csr_matrix((n, n))
    indicator = sparse.csr_matrix((np.ones(n), (np.arange(n), membership)), shape=(n, max(communities, 1)))
    by_community = (adjacency @ indicator).tocsr()  # stays sparse: real graphs have 10,000s of communities
    strength = np.asarray(by_community.sum(axis=1)).ravel()
    squares = np.asarray(by_community.multiply(by_community).sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        participation = np.where(strength > 0, 1.0 - squares / np.where(strength > 0, strength, 1.0) ** 2, 0.0)
    inside = np.asarray(by_community[np.arange(n), membership]).ravel() if n else np.zeros(0)
    frame = pl.DataFrame({"community": membership, "inside": inside})
    stats = frame.group_by("community").agg(pl.col("inside").mean().alias("mean"), pl.col("inside").std(ddof=0).alias("std"))
    joined = frame.join(stats, on="community", how="left", maintain_order="left")
    std = joined["std"].to_numpy()
    z = np.where(std > 0, (inside - joined["mean"].to_numpy()) / np.where(std > 0, std, 1.0), 0.0)
    participation = np.clip(participation, 0.0, 1.0)
    hub = z >= 2.5
    role = np.where(hub,
                    np.where(participation <= 0.30, "provincial hub", np.where(participation <= 0.75, "connector hub", "kinless hub")),
                    np.where(participation <= 0.05, "ultra-peripheral",
                             np.where(participation <= 0.62, "peripheral", np.where(participation <= 0.80, "connector", "kinless"))))
    return pl.DataFrame({"strength": strength, "participation": participation, "within_z": z, "role": role})
