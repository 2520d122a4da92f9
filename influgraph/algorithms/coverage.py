"""Coverage and spread: choose the rows of a sparse matrix that together cover the most columns.

General selection algorithms with no niche policy. A coverage matrix is boolean CSR with one
row per candidate and one column per thing to cover (an audience member, or a reverse-reachable
set for influence spread). `greedy_cover` picks rows for k picks or a budget;
`reverse_reachable_sets` turns influence spread under the independent cascade model into
such a coverage problem. `shortlisting.py` decides what the rows and columns are.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from ..errors import BadInput

__all__ = ["Selection", "marginal_gain", "mark_covered", "greedy_cover", "reverse_reachable_sets"]


@dataclass
class Selection:
    """Indices picked by `greedy_cover`, in order, with the marginal coverage each one added."""

    picks: list[int]
    gains: list[int]
    covered: int
    rule: str  # "greedy", "ratio greedy" or "best single"


def marginal_gain(matrix: sparse.csr_matrix, row: int, covered: np.ndarray) -> int:
    """How many of `row`'s columns are not covered yet: the coverage `row` would add.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        The coverage matrix.
    row : int
        The row.
    covered : numpy.ndarray
        Boolean, one per column: True where already covered.

    Returns
    -------
    int
        The marginal gain.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> m = sparse.csr_matrix(np.array([[1, 1, 0]], dtype=bool))
    >>> marginal_gain(m, 0, np.array([True, False, False]))
    1
    """
    columns = matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]
    return int(columns.size - np.count_nonzero(covered[columns]))


def mark_covered(matrix: sparse.csr_matrix, row: int, covered: np.ndarray) -> None:
    """Mark `row`'s columns as covered, in place in `covered` (boolean, one per column)."""
    covered[matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]] = True


def greedy_cover(matrix: sparse.csr_matrix, *, k: int | None = None, costs: np.ndarray | None = None,
                 budget: float | None = None, forced: Sequence[int] = (), groups: np.ndarray | None = None,
                 max_per_group: int | None = None) -> Selection:
    """Pick rows of `matrix` that together cover the most columns, for k picks or a budget.

    Maximum coverage: choose a set S of rows maximising |union of the columns of S| subject to
    |S| <= k and, with a budget, sum of costs over S <= budget. Coverage is monotone and
    submodular, so the greedy choice of the row with the largest marginal gain reaches at least
    (1 - 1/e) of the optimum with k picks. With a budget, greedy on marginal gain per unit of
    cost, compared with the best single affordable row (the best of the two reaches at least
    (1 - 1/e)/2 of the optimum).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Boolean (rows x columns); rows are assumed sorted by preference: ties in gain go to the
        lower index.
    k : int, optional
        At most this many picks (forced rows included).
    costs : numpy.ndarray, optional
        One cost >= 0 per row (default 1 each).
    budget : float, optional
        At most this total cost (forced rows included). Give `k`, a `budget`, or both.
    forced : sequence of int
        Rows picked first, in this order.
    groups : numpy.ndarray, optional
        An int per row, -1 for none; with `max_per_group`, at most that many picks per group.
    max_per_group : int, optional
        The cap on picks per group.

    Returns
    -------
    Selection
        The picks in order, the gain of each, the columns covered and the rule that won
        ("greedy", "ratio greedy" or "best single").

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> rows = [[0, 1, 2], [2, 3], [3, 4]]
    >>> m = sparse.csr_matrix((np.ones(7, bool), ([0, 0, 0, 1, 1, 2, 2], sum(rows, []))), shape=(3, 5))
    >>> found = greedy_cover(m, k=2)
    >>> found.picks, found.covered
    ([0, 2], 5)

    Notes
    -----
    Lazy greedy (CELF): candidates sit in a heap keyed by their last known gain; since gains
    only shrink, a popped row whose recomputed gain still tops the heap is the true best, so
    most gains are never recomputed. A row that no longer fits the budget is dropped for good
    (spending only grows).

    References
    ----------
    .. [1] J. Leskovec, A. Krause, C. Guestrin, C. Faloutsos, J. VanBriesen and N. Glance,
       "Cost-effective outbreak detection in networks", Proceedings of KDD 2007, pp. 420-429.
    .. [2] S. Khuller, A. Moss and J. Naor, "The budgeted maximum coverage problem",
       Information Processing Letters 70(1), 1999, pp. 39-45.
    """
    n = matrix.shape[0]
    matrix = matrix.tocsr()
    if k is None and budget is None:
        raise BadInput("give `k`, a `budget`, or both", param="k")
    costs = np.ones(n) if costs is None else np.asarray(costs, dtype=np.float64)
    limit = math.inf if budget is None else float(budget)
    k = n if k is None else k
    if budget is None:
        return _lazy_greedy(matrix, False, k, costs, limit, forced, groups, max_per_group)
    greedy = _lazy_greedy(matrix, True, k, costs, limit, forced, groups, max_per_group)
    return _best_of_two(matrix, greedy, k, costs, limit, forced)


def _lazy_greedy(matrix: sparse.csr_matrix, ratio: bool, k: int, costs: np.ndarray, limit: float, forced: Sequence[int],
                 groups: np.ndarray | None, max_per_group: int | None) -> Selection:
    """CELF lazy greedy on marginal gain (or, with `ratio`, gain per unit of cost) within `limit`."""
    n = matrix.shape[0]
    covered = np.zeros(matrix.shape[1], dtype=bool)
    picks, gains, spent = [], [], 0.0
    per_group: dict[int, int] = {}

    def take(row: int, gain: int) -> None:
        nonlocal spent
        picks.append(row)
        gains.append(gain)
        spent += costs[row]
        mark_covered(matrix, row, covered)
        if groups is not None and groups[row] >= 0:
            per_group[int(groups[row])] = per_group.get(int(groups[row]), 0) + 1

    for row in forced:
        take(row, marginal_gain(matrix, row, covered))
    chosen = set(picks)
    sizes = np.diff(matrix.indptr)
    key = (lambda g, r: g / costs[r] if costs[r] > 0 else math.inf) if ratio else (lambda g, r: g)
    heap = [(-key(int(sizes[r]), r), r) for r in range(n) if r not in chosen]
    heapq.heapify(heap)
    while heap and len(picks) < k:
        _, row = heapq.heappop(heap)
        if spent + costs[row] > limit + 1e-9:
            continue  # never affordable again: spending only grows
        if groups is not None and max_per_group is not None and groups[row] >= 0 \
                and per_group.get(int(groups[row]), 0) >= max_per_group:
            continue
        gain = marginal_gain(matrix, row, covered)
        if heap and -heap[0][0] > key(gain, row) + 1e-12:
            heapq.heappush(heap, (-key(gain, row), row))  # stale: re-insert with its true value (CELF)
            continue
        if heap and -heap[0][0] == key(gain, row) and heap[0][1] < row:
            heapq.heappush(heap, (-key(gain, row), row))  # an equal, better-ranked row goes first
            continue
        take(row, gain)
    return Selection(picks=picks, gains=gains, covered=int(covered.sum()), rule="ratio greedy" if ratio else "greedy")


def _best_of_two(matrix: sparse.csr_matrix, greedy: Selection, k: int, costs: np.ndarray, limit: float,
                 forced: Sequence[int]) -> Selection:
    """The ratio greedy's selection, or the forced rows plus the single affordable row that covers the most, if more."""
    n = matrix.shape[0]
    base = np.zeros(matrix.shape[1], dtype=bool)
    for row in forced:
        mark_covered(matrix, row, base)
    left = limit - float(sum(costs[r] for r in forced))
    best, best_gain = None, -1
    if len(forced) < k:
        for row in range(n):
            if row in forced or costs[row] > left + 1e-9:
                continue
            gain = marginal_gain(matrix, row, base)
            if gain > best_gain:
                best, best_gain = row, gain
    if best is not None and int(base.sum()) + best_gain > greedy.covered:
        forced_gains = []
        covered = np.zeros(matrix.shape[1], dtype=bool)
        for row in forced:
            forced_gains.append(marginal_gain(matrix, row, covered))
            mark_covered(matrix, row, covered)
        return Selection(picks=[*forced, best], gains=[*forced_gains, best_gain], covered=int(base.sum()) + best_gain,
                         rule="best single")
    return greedy


def reverse_reachable_sets(edges: pl.DataFrame, nodes: pl.Series, targets: np.ndarray, *, samples: int,
                           p: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random reverse-reachable (RR) sets under the independent cascade model, for RIS.

    Under the independent cascade, an activated node gets one chance to activate each neighbour,
    along an edge that is live with its probability. An RR set is the set of nodes that would
    activate a root drawn uniformly from `targets`: those that reach it along live edges. The
    expected spread of a seed set S is len(targets) times the probability that S meets a random
    RR set, so maximising spread becomes maximum coverage of RR sets (`greedy_cover`).

    Parameters
    ----------
    edges : polars.DataFrame
        Columns `src`, `dst`, `weight`. Influence flows from dst to src (src reposted,
        followed... dst), so a reverse walk from a root follows the root's own out-edges.
        Self-loops are ignored; parallel edges are summed.
    nodes : polars.Series
        The node ids; node index i is `nodes[i]`. Edges with an end not in `nodes` are ignored.
    targets : numpy.ndarray
        Node indices the roots are drawn from.
    samples : int
        The number of RR sets.
    p : float, default 0.05
        An edge of weight w is live with probability 1 - (1 - p)^w.
    seed : int, default 0
        Seed of numpy's default generator (roots and live edges).

    Returns
    -------
    tuple of numpy.ndarray
        (set id, node index) pairs: the members of every RR set, each set's root first.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> edges = pl.DataFrame({"src": ["b", "c"], "dst": ["a", "b"], "weight": [1.0, 1.0]})
    >>> sets, members = reverse_reachable_sets(edges, pl.Series(["a", "b", "c"]), np.array([2]), samples=1, p=1.0)
    >>> sets.tolist(), members.tolist()
    ([0, 0, 0], [2, 1, 0])

    Notes
    -----
    Each set is one depth-first walk over a CSR matrix of edge probabilities, drawing every
    out-edge's liveness as it is reached.

    References
    ----------
    .. [1] D. Kempe, J. Kleinberg and E. Tardos, "Maximizing the spread of influence through a
       social network", Proceedings of KDD 2003, pp. 137-146.
    .. [2] C. Borgs, M. Brautbar, J. Chayes and B. Lucier, "Maximizing social influence in nearly
       optimal time", Proceedings of SODA 2014, pp. 946-957.
    .. [3] Y. Tang, X. Xiao and Y. Shi, "Influence maximization: near-optimal time complexity
       meets practical efficiency", Proceedings of SIGMOD 2014, pp. 75-86.
    """
    graph = _live_probabilities(edges, nodes, p)
    rng = np.random.default_rng(seed)
    roots = targets[rng.integers(0, len(targets), samples)] if len(targets) else np.zeros(0, dtype=np.int64)
    set_ids, members = [], []
    seen = np.full(len(nodes), -1, dtype=np.int64)
    for sample, root in enumerate(roots):
        seen[root] = sample
        frontier = [int(root)]
        visited = [int(root)]
        while frontier:
            node = frontier.pop()
            start, end = graph.indptr[node], graph.indptr[node + 1]
            if start == end:
                continue
            neighbours = graph.indices[start:end]
            live = neighbours[(rng.random(end - start) < graph.data[start:end]) & (seen[neighbours] != sample)]
            seen[live] = sample
            frontier.extend(live.tolist())
            visited.extend(live.tolist())
        set_ids.append(np.full(len(visited), sample, dtype=np.int64))
        members.append(np.asarray(visited, dtype=np.int64))
    if not set_ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(set_ids), np.concatenate(members)


def _live_probabilities(edges: pl.DataFrame, nodes: pl.Series, p: float) -> sparse.csr_matrix:
    """CSR (node x node) of the probability 1 - (1 - p)^w that each src -> dst edge (weights summed) is live."""
    index = pl.DataFrame({"id": nodes, "ix": np.arange(len(nodes), dtype=np.int64)})
    pairs = (edges.lazy().filter(pl.col("src") != pl.col("dst")).group_by("src", "dst").agg(pl.col("weight").sum())
             .join(index.lazy().rename({"id": "src", "ix": "s"}), on="src")
             .join(index.lazy().rename({"id": "dst", "ix": "d"}), on="dst").select("s", "d", "weight").collect())
    probability = 1.0 - np.power(1.0 - p, pairs["weight"].to_numpy().clip(0, None))
    return sparse.csr_matrix((probability, (pairs["s"].to_numpy(), pairs["d"].to_numpy())), shape=(len(nodes), len(nodes)))
