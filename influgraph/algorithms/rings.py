"""Engagement rings: unusually dense groups of accounts that engage with each other both ways.

Definition. Two accounts are *reciprocal* when each engages with the other (reposts, quotes,
replies to or likes the other's posts) at least once. An **engagement ring** is a group S of at
least `min_size` accounts of the reciprocal graph R such that

1. S is a connected component of R's `(min_size - 1)`-core or, when the component as a whole fails
   the tests below, one of its communities (Leiden, modularity, seeded), peeled until every member
   is reciprocal with at least `min_member_share` of the other members;
2. its density `e(S) / (|S| (|S| - 1) / 2)` is at least `min_density`;
3. its *lift*, `e(S)` over the reciprocal pairs expected by chance inside S, is at least
   `min_lift`. By chance, account i engages with j with probability `out_i * in_j / E` (E distinct
   engaging pairs, `out`/`in` distinct partners), so a pair is reciprocal with probability
   `out_i in_j out_j in_i / E^2`, and the expected count in S is
   `((sum_S o_i n_i)^2 - sum_S (o_i n_i)^2) / (2 E^2)` with `n` the in-partners.

Ordinary audiences are one-way (members repost an expert, the expert does not repost them back),
so R is sparse and its dense parts are groups that boost each other: pods, rings, coordinated
networks. The same rule finds the dense labelled circles of the Facebook ego networks
(`tests/analysis/test_quality.py`, measured precision and recall in the README).

References
----------
.. [1] V. Batagelj and M. Zaversnik, "An O(m) algorithm for cores decomposition of networks",
   arXiv cs/0310049, 2003 (the k-core).
.. [2] V. A. Traag, L. Waltman and N. J. van Eck, "From Louvain to Leiden: guaranteeing
   well-connected communities", Scientific Reports 9, 5233, 2019.
.. [3] M. Jiang, P. Cui, A. Beutel, C. Faloutsos and S. Yang, "CatchSync: catching synchronized
   behavior in large directed graphs", KDD 2014 (lockstep engagement as a sign of fraud).
"""
from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np

from .arrays import repeated_in_sorted, sorted_unique
from .communities import find_partition

__all__ = ["Rings", "reciprocal_pairs", "find_rings"]


@dataclass
class Rings:
    """The rings found: `ring[v]` is vertex v's ring (-1 for none), and per ring its size, internal
    reciprocal pairs, density and lift (arrays indexed by ring number)."""

    ring: np.ndarray
    size: np.ndarray
    pairs: np.ndarray
    density: np.ndarray
    lift: np.ndarray

    def members(self, k: int) -> np.ndarray:
        """The vertices of ring `k`."""
        return np.flatnonzero(self.ring == k)


def reciprocal_pairs(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """The reciprocal pairs (a < b) of directed engagements `src -> dst` on `n` vertices, shape (m, 2), sorted.

    Self-engagements and repeats are ignored. A pair is reciprocal when both directions occur: its
    unordered key `min * n + max` then comes from two distinct directed edges, so it repeats among
    the keys of the distinct directed edges (two sorts, no hash table or set lookup; see `arrays`).

    >>> reciprocal_pairs(np.array([0, 1, 1, 2]), np.array([1, 0, 2, 3]), 4).tolist()
    [[0, 1]]
    """
    return _reciprocal(_directed_codes(src, dst, n), n)


def _reciprocal(code: np.ndarray, n: int) -> np.ndarray:
    """The reciprocal pairs (a < b, sorted) among the distinct directed edges `code` (`_directed_codes`)."""
    a, b = code // n, code % n
    both = repeated_in_sorted(np.sort(np.minimum(a, b) * n + np.maximum(a, b)))
    return np.column_stack([both // n, both % n])


def _directed_codes(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """The distinct directed edges `src -> dst` without self-engagements, as sorted codes `src * n + dst`."""
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    keep = src != dst
    return sorted_unique(src[keep] * n + dst[keep])


def _expected(members: np.ndarray, out_partners: np.ndarray, in_partners: np.ndarray, engaging_pairs: int) -> float:
    """Reciprocal pairs expected by chance among `members` (see the module docstring)."""
    product = out_partners[members].astype(np.float64) * in_partners[members]
    return float((product.sum() ** 2 - (product ** 2).sum()) / (2.0 * max(engaging_pairs, 1) ** 2))


def _peel(graph: ig.Graph, vertices: np.ndarray, min_member_share: float) -> np.ndarray:
    """`vertices` without, repeatedly, the members reciprocal with fewer than `min_member_share` of the others."""
    while len(vertices) > 1:
        degree = np.asarray(graph.induced_subgraph(vertices.tolist()).degree())
        keep = degree >= min_member_share * (len(vertices) - 1)
        if keep.all():
            break
        vertices = vertices[keep]
    return vertices


def _tested(graph: ig.Graph, vertices: np.ndarray, partners: tuple[np.ndarray, np.ndarray, int],
            rules: tuple[int, float, float, float]) -> tuple[np.ndarray, int, float, float] | None:
    """`vertices` peeled, with its pairs, density and lift, when it passes the ring tests; else None."""
    min_size, min_density, min_member_share, min_lift = rules
    members = _peel(graph, vertices, min_member_share)
    size = len(members)
    if size < min_size:
        return None
    inside = graph.induced_subgraph(members.tolist()).ecount()
    density = inside / (size * (size - 1) / 2)
    lift = inside / max(_expected(members, *partners), 1e-12)
    return (members, inside, density, lift) if density >= min_density and lift >= min_lift else None


def find_rings(src: np.ndarray, dst: np.ndarray, n: int, *, min_size: int = 4, min_density: float = 0.5,
               min_member_share: float = 0.5, min_lift: float = 5.0, seed: int = 0) -> Rings:
    """The engagement rings of the directed engagements `src -> dst` on vertices 0..n-1.

    Parameters
    ----------
    src, dst : numpy.ndarray
        Vertex indices of each engagement (repeats allowed).
    n : int
        The number of vertices.
    min_size : int
        The fewest members of a ring.
    min_density : float
        The lowest density (share of member pairs that are reciprocal) of a ring.
    min_member_share : float
        Each member is reciprocal with at least this share of the other members.
    min_lift : float
        The ring's reciprocal pairs over those expected by chance, at least.
    seed : int
        Seed of the Leiden communities.

    Returns
    -------
    Rings
        Each vertex's ring and each ring's size, pairs, density and lift, rings by decreasing size.

    Example
    -------
    >>> ring = [(a, b) for a in range(5) for b in range(5) if a != b]
    >>> fans = [(10 + i, i % 5) for i in range(40)]
    >>> src, dst = np.array(ring + fans).T
    >>> find_rings(src, dst, 50, min_lift=1).ring[:6].tolist()
    [0, 0, 0, 0, 0, -1]
    """
    code = _directed_codes(src, dst, n)
    pairs = _reciprocal(code, n)
    ring = np.full(n, -1, dtype=np.int64)
    graph = ig.Graph(n=n, edges=pairs.tolist(), directed=False)
    core = np.flatnonzero(np.asarray(graph.coreness()) >= max(min_size - 1, 1))
    partners = (np.bincount(code // n, minlength=n), np.bincount(code % n, minlength=n), len(code))
    rules = (min_size, min_density, min_member_share, min_lift)
    found: list[tuple[np.ndarray, int, float, float]] = []
    sub = graph.induced_subgraph(core.tolist())
    for component in sub.connected_components():  # components, not edges
        vertices = core[np.asarray(component)]
        whole = _tested(graph, vertices, partners, rules)
        if whole is not None:
            found.append(whole)
            continue
        part = sub.induced_subgraph(component)
        part.es["weight"] = 1.0
        membership = np.asarray(find_partition("leiden", part, None, 1.0, seed))  # type: ignore[arg-type]
        found.extend(t for label in np.unique(membership)
                     if (t := _tested(graph, vertices[membership == label], partners, rules)) is not None)
    found.sort(key=lambda item: (-len(item[0]), int(item[0].min())))
    for k, (members, *_rest) in enumerate(found):
        ring[members] = k
    return Rings(ring=ring, size=np.array([len(f[0]) for f in found], dtype=np.int64),
                 pairs=np.array([f[1] for f in found], dtype=np.int64), density=np.array([f[2] for f in found]),
                 lift=np.array([f[3] for f in found]))
