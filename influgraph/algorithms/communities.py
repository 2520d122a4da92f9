"""Community detection engines: symmetrisation, Leiden, Louvain, label propagation, Infomap, modularity, roles.

General graph algorithms with no workspace or profile in sight: they take a `graph.BuiltGraph`
or its undirected form and return memberships and per-vertex numbers. `communities.py` holds the
detection contract (validation, connected and stably numbered communities, runs and their
stability, profiles) on top of these.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property

import igraph as ig
import numpy as np
import polars as pl

from ..graph import BuiltGraph

__all__ = ["METHODS", "SYMMETRISATIONS", "LEIDEN_MIN_GAIN", "LEIDEN_MAX_PASSES", "POLISH_MAX_EDGES", "POLISH_PASSES", "Undirected",
           "undirected", "leiden", "fast_leiden", "connected_parts", "find_partition", "modularity", "community_roles"]

METHODS = ("leiden", "igraph-leiden", "louvain", "label-propagation", "infomap")
SYMMETRISATIONS = ("sum", "max", "mutual")
LEIDEN_MIN_GAIN = 1e-4  # Leiden passes stop when one raises modularity by less than this
LEIDEN_MAX_PASSES = 50
POLISH_MAX_EDGES = 300_000  # `fast_leiden` polishes with igraph Leiden passes up to this many edges (under a second)
POLISH_PASSES = 3  # at most this many polishing passes (from PLM's partition the first does most of the work)


@dataclass
class Undirected:
    """The undirected weighted graph of modularity methods, as numpy arrays; the igraph graph is made on first use."""

    n: int
    ends: np.ndarray  # (m, 2) vertex indices, u < v, unique
    weights: np.ndarray

    @cached_property
    def graph(self) -> ig.Graph:
        """The igraph graph (edge attribute `weight`), for the igraph methods."""
        graph = ig.Graph(n=self.n, edges=self.ends, directed=False)
        graph.es["weight"] = self.weights
        return graph

    @classmethod
    def of(cls, graph: ig.Graph) -> "Undirected":
        """The arrays of an undirected igraph graph (edge attribute `weight`, else 1 each)."""
        ends = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        weighted = "weight" in graph.es.attributes()
        weights = np.asarray(graph.es["weight"], dtype=np.float64) if weighted else np.ones(len(ends))
        made = cls(n=graph.vcount(), ends=np.sort(ends, axis=1), weights=weights)
        if weighted:
            made.graph = graph  # already built: cached_property stores it in the instance
        return made


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
        Its edges (u < v, sorted) and weights; the igraph graph is built on first use.

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
    Pairs are combined with a polars group-by over the edge arrays, not in Python; above
    POLISH_MAX_EDGES edges, by one compiled merge of the edges sorted by (src, dst) with the same
    edges sorted by (dst, src) (`kernels.undirected_pairs`, equal to the group-by: a test).
    """
    n = built.n
    ends = built.ends
    weight = built.weight
    if len(ends) > POLISH_MAX_EDGES:  # large: one compiled merge of the two directions (`kernels.undirected_pairs`)
        from .kernels import undirected_pairs

        ok, pairs, summed = undirected_pairs(np.ascontiguousarray(ends, dtype=np.int64),
                                             np.asarray(weight, dtype=np.float64), n, SYMMETRISATIONS.index(how))
        if ok:
            return Undirected(n=n, ends=pairs, weights=summed)
    pairs = pl.DataFrame({"u": np.minimum(ends[:, 0], ends[:, 1]), "v": np.maximum(ends[:, 0], ends[:, 1]), "w": weight})
    combine = pl.col("w").max() if how == "max" else pl.col("w").sum()
    grouped = pairs.group_by("u", "v").agg(combine, pl.len().alias("directions"))
    if how == "mutual":
        grouped = grouped.filter(pl.col("directions") == 2)
    grouped = grouped.sort("u", "v")
    out_ends = np.column_stack([grouped["u"].to_numpy(), grouped["v"].to_numpy()]).astype(np.int64).reshape(-1, 2)
    return Undirected(n=n, ends=out_ends, weights=grouped["w"].to_numpy().astype(np.float64))


def leiden(graph: ig.Graph, resolution: float, initial: list[int] | None = None,
           max_passes: int = LEIDEN_MAX_PASSES) -> list[int]:
    """Leiden communities maximising weighted modularity at `resolution` (igraph's implementation).

    Leiden moves vertices between communities, refines each community into well-connected
    parts, and aggregates, repeatedly; unlike Louvain it guarantees connected communities.

    Parameters
    ----------
    graph : igraph.Graph
        Undirected, with edge attribute `weight`.
    resolution : float
        The modularity resolution gamma (1 is standard modularity; higher gives smaller communities).
    initial : list of int, optional
        A partition to start from (by default every vertex alone).
    max_passes : int, default LEIDEN_MAX_PASSES
        At most this many passes.

    Returns
    -------
    list of int
        The community of every vertex.

    Examples
    --------
    >>> two_triangles = ig.Graph([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)])
    >>> two_triangles.es["weight"] = 1.0
    >>> leiden(two_triangles, 1.0)
    [0, 0, 0, 1, 1, 1]

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
    options = {"objective_function": "modularity", "weights": "weight", "resolution": resolution, "n_iterations": 1}
    found = graph.community_leiden(**options, initial_membership=initial)
    membership, quality = found.membership, found.quality
    if initial is not None:  # a pass never loses modularity: keep the starting partition if it is better
        start = graph.modularity(list(initial), weights="weight", resolution=resolution)
        if start > quality:
            membership, quality = list(initial), start
    for _ in range(max_passes - 1):
        again = graph.community_leiden(**options, initial_membership=membership)
        gain = again.quality - quality
        if gain >= 0:
            membership, quality = again.membership, again.quality
        if gain < LEIDEN_MIN_GAIN:
            break
    return membership


def fast_leiden(graph: Undirected, resolution: float, seed: int, *, polish_max_edges: int = POLISH_MAX_EDGES) -> np.ndarray:
    """Communities maximising modularity at `resolution`: parallel Louvain with refinement, made connected, polished by Leiden.

    Three steps. (1) The Louvain method with refinement (PLM-R [1]_), run in parallel batches whose
    result depends only on `seed` (`louvain.parallel_louvain`): local moves, aggregation, and after
    each level one more round of moves of single vertices on the finer level. (2) Like Louvain, it
    can leave a community in disconnected pieces: every community is split into its connected parts
    (`connected_parts`), which only raises modularity, so every community is connected, as Leiden
    guarantees [2]_. (3) On graphs up to `polish_max_edges` edges, igraph Leiden passes start from
    that partition and run while a pass gains at least LEIDEN_MIN_GAIN, at most POLISH_PASSES of
    them (`leiden`); their refinement makes communities well connected, and they reach the
    published optima on small graphs.

    Parameters
    ----------
    graph : Undirected
        The undirected weighted graph.
    resolution : float
        The modularity resolution gamma.
    seed : int
        Seeds the vertex order of the Louvain step; igraph's generator is seeded by the caller
        (`find_partition`).
    polish_max_edges : int, default POLISH_MAX_EDGES
        Polish with Leiden up to this many edges (beyond, a Leiden pass costs more than the rest).

    Returns
    -------
    numpy.ndarray
        The community of every vertex; every community connected.

    Examples
    --------
    >>> two_triangles = Undirected(n=6, ends=np.array([[0, 1], [1, 2], [0, 2], [3, 4], [4, 5], [3, 5], [2, 3]]),
    ...                            weights=np.ones(7))
    >>> labels = fast_leiden(two_triangles, 1.0, seed=0)
    >>> len(set(labels[:3])), len(set(labels[3:])), bool(labels[0] != labels[3])
    (1, 1, True)

    Notes
    -----
    On 2 cores this is an order of magnitude faster than igraph's single-threaded Leiden at
    millions of edges, at the same modularity, and faster than networkit's PLM on two threads,
    whose partition varies from run to run (`benchmarks/bench_pipeline.py`). The result is the
    same for any thread count.

    References
    ----------
    .. [1] C. L. Staudt and H. Meyerhenke, "Engineering parallel algorithms for community
       detection in massive networks", IEEE Transactions on Parallel and Distributed Systems
       27(1), 2016, pp. 171-184.
    .. [2] V. A. Traag, L. Waltman and N. J. van Eck, "From Louvain to Leiden: guaranteeing
       well-connected communities", Scientific Reports 9, 5233, 2019.
    """
    from .louvain import parallel_louvain

    found = parallel_louvain(graph.n, graph.ends, graph.weights, resolution, seed)
    labels = connected_parts(graph.ends, found, graph.n)
    if len(graph.ends) <= polish_max_edges:
        labels = np.asarray(leiden(graph.graph, resolution, labels.tolist(), POLISH_PASSES), dtype=np.int64)
    return labels


def connected_parts(ends: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Each community split into its connected parts (edges inside it), numbered 0, 1, ... in no particular order.

    Parameters
    ----------
    ends : numpy.ndarray
        (m, 2) vertex indices of the undirected edges.
    labels : numpy.ndarray
        The community of every vertex.
    n : int
        The number of vertices.

    Returns
    -------
    numpy.ndarray
        The part of every vertex: two vertices share a part when a path inside their community joins them.

    Examples
    --------
    >>> connected_parts(np.array([[0, 1], [2, 3]]), np.array([0, 0, 0, 0]), 4).tolist()
    [0, 0, 1, 1]
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    labels = np.asarray(labels, dtype=np.int64)
    if not len(ends):
        return np.arange(n, dtype=np.int64)
    if len(ends) > POLISH_MAX_EDGES:  # large: one compiled union-find pass, numbered as scipy numbers them
        from .kernels import parts_of

        return parts_of(np.ascontiguousarray(ends, dtype=np.int64), labels, n)
    inside = ends[labels[ends[:, 0]] == labels[ends[:, 1]]]
    links = sparse.csr_matrix((np.ones(len(inside)), (inside[:, 0], inside[:, 1])), shape=(n, n))
    return connected_components(links, directed=False)[1].astype(np.int64)


def find_partition(method: str, graph: "Undirected | ig.Graph", built: BuiltGraph | None, resolution: float,
                   seed: int) -> list[int]:
    """The communities found by `method`, deterministic for a seed.

    Parameters
    ----------
    method : {'leiden', 'igraph-leiden', 'louvain', 'label-propagation', 'infomap'}
        `leiden` (`fast_leiden`: parallel Louvain with refinement, connected, polished by igraph
        Leiden), `igraph-leiden` (igraph's Leiden alone, `leiden`) and Louvain optimise
        modularity at `resolution` on `graph`; label propagation ignores the resolution;
        Infomap (5 trials) runs on the directed graph of `built`, since it models flow.
    graph : Undirected or igraph.Graph
        The undirected graph (`undirected(built)`, or an igraph graph with edge attribute `weight`).
    built : BuiltGraph or None
        The directed graph it was made from (needed by Infomap only).
    resolution : float
        The modularity resolution.
    seed : int
        Seed of the random number generators (igraph's for this call, and the vertex order
        of `fast_leiden`); Python's global `random` state is restored afterwards.

    Returns
    -------
    list of int
        The community of every vertex; every vertex alone when `graph` has no edges.

    Examples
    --------
    >>> two_triangles = ig.Graph([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)])
    >>> find_partition("louvain", two_triangles, None, 1.0, seed=0)
    [0, 0, 0, 1, 1, 1]

    References
    ----------
    .. [1] V. D. Blondel, J.-L. Guillaume, R. Lambiotte and E. Lefebvre, "Fast unfolding of
       communities in large networks", Journal of Statistical Mechanics, P10008, 2008.
    .. [2] U. N. Raghavan, R. Albert and S. Kumara, "Near linear time algorithm to detect
       community structures in large-scale networks", Physical Review E 76, 036106, 2007.
    .. [3] M. Rosvall and C. T. Bergstrom, "Maps of random walks on complex networks reveal
       community structure", PNAS 105(4), 2008, pp. 1118-1123.
    """
    arrays = graph if isinstance(graph, Undirected) else Undirected.of(graph)
    previous = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        if len(arrays.ends) == 0:
            return list(range(arrays.n))
        if method == "leiden":
            return fast_leiden(arrays, resolution, seed).tolist()
        if method == "igraph-leiden":
            return leiden(arrays.graph, resolution)
        weights = "weight"  # the attribute name: igraph reads it in C, no Python list
        if method == "louvain":
            return arrays.graph.community_multilevel(weights=weights, resolution=resolution).membership
        if method == "label-propagation":
            return arrays.graph.community_label_propagation(weights=weights).membership
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
        The community of every vertex (integers >= 0).
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

    Notes
    -----
    With edges u < v (no self-loops), Q = W_in / m - gamma * sum_c K_c^2 / (4 m^2), where W_in
    is the weight inside communities and K_c the total strength of community c: two bincounts.

    References
    ----------
    .. [1] M. E. J. Newman and M. Girvan, "Finding and evaluating community structure in
       networks", Physical Review E 69, 026113, 2004.
    """
    total = float(graph.weights.sum()) if len(graph.ends) else 0.0
    if graph.n == 0 or total <= 0:
        return 0.0
    labels = np.asarray(membership, dtype=np.int64)
    u, v, w = graph.ends[:, 0], graph.ends[:, 1], graph.weights
    inside = float(w[labels[u] == labels[v]].sum())
    strength = np.bincount(u, w, minlength=graph.n) + np.bincount(v, w, minlength=graph.n)
    by_community = np.bincount(labels, strength)
    return float(inside / total - resolution * float(np.dot(by_community, by_community)) / (4.0 * total * total))


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
    Every k_is comes from one compiled pass over the edges (`kernels.community_strengths`, equal
    to the sparse product adjacency x community indicator: a test), which keeps only the
    communities each vertex touches, since real graphs have tens of thousands of communities.

    References
    ----------
    .. [1] R. Guimerà and L. A. Nunes Amaral, "Functional cartography of complex metabolic
       networks", Nature 433, 2005, pp. 895-900.
    """
    from .kernels import community_strengths

    n = graph.n
    strength, squares, inside = community_strengths(np.ascontiguousarray(graph.ends, dtype=np.int64).reshape(-1, 2),
                                                    np.asarray(graph.weights, dtype=np.float64),
                                                    np.ascontiguousarray(membership, dtype=np.int64), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        participation = np.where(strength > 0, 1.0 - squares / np.where(strength > 0, strength, 1.0) ** 2, 0.0)
    frame = pl.DataFrame({"community": membership, "inside": inside})
    stats = frame.group_by("community").agg(pl.col("inside").mean().alias("mean"), pl.col("inside").std(ddof=0).alias("std"))
    joined = frame.join(stats, on="community", how="left", maintain_order="left")
    std = joined["std"].to_numpy()
    z = np.where(std > 0, (inside - joined["mean"].to_numpy()) / np.where(std > 0, std, 1.0), 0.0)
    participation = np.clip(participation, 0.0, 1.0)
    p = pl.col("participation")
    role = (pl.when(pl.col("within_z") >= 2.5)  # hubs
            .then(pl.when(p <= 0.30).then(pl.lit("provincial hub")).when(p <= 0.75).then(pl.lit("connector hub"))
                  .otherwise(pl.lit("kinless hub")))
            .when(p <= 0.05).then(pl.lit("ultra-peripheral")).when(p <= 0.62).then(pl.lit("peripheral"))
            .when(p <= 0.80).then(pl.lit("connector")).otherwise(pl.lit("kinless")))
    return pl.DataFrame({"strength": strength, "participation": participation, "within_z": z}).with_columns(role.alias("role"))
