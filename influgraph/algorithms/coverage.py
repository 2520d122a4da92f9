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

__all__ = ["expected_spread", "Selection", "AdaptiveSpread", "marginal_gain", "mark_covered", "greedy_cover", "reverse_reachable_sets", "opim_c",
           "live_probabilities"]


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
    Sets are drawn RR_BATCH at a time by one breadth-first search of the whole batch over a CSR
    matrix of edge probabilities (`_rr_batch`), drawing every out-edge's liveness as it is reached.

    References
    ----------
    .. [1] D. Kempe, J. Kleinberg and E. Tardos, "Maximizing the spread of influence through a
       social network", Proceedings of KDD 2003, pp. 137-146.
    .. [2] C. Borgs, M. Brautbar, J. Chayes and B. Lucier, "Maximizing social influence in nearly
       optimal time", Proceedings of SODA 2014, pp. 946-957.
    .. [3] Y. Tang, X. Xiao and Y. Shi, "Influence maximization: near-optimal time complexity
       meets practical efficiency", Proceedings of SIGMOD 2014, pp. 75-86.
    """
    graph = live_probabilities(edges, nodes, p)
    rng = np.random.default_rng(seed)
    if not len(targets) or samples <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    set_ids, members = [], []
    for start in range(0, samples, RR_BATCH):
        ids, nodes = _rr_batch(graph, targets[rng.integers(0, len(targets), min(RR_BATCH, samples - start))], rng)
        order = np.argsort(ids, kind="stable")  # each set together, its root first
        set_ids.append(ids[order] + start)
        members.append(nodes[order])
    return np.concatenate(set_ids), np.concatenate(members)


def live_probabilities(edges: pl.DataFrame, nodes: pl.Series, p: float) -> sparse.csr_matrix:
    """CSR (node x node) of the probability 1 - (1 - p)^w that each src -> dst edge (weights summed) is live.

    Example: ``live_probabilities(pl.DataFrame({"src": ["a"], "dst": ["b"], "weight": [1.0]}), pl.Series(["a", "b"]), 0.1)``.
    """
    index = pl.DataFrame({"id": nodes, "ix": np.arange(len(nodes), dtype=np.int64)})
    pairs = (edges.lazy().filter(pl.col("src") != pl.col("dst")).group_by("src", "dst").agg(pl.col("weight").sum())
             .join(index.lazy().rename({"id": "src", "ix": "s"}), on="src")
             .join(index.lazy().rename({"id": "dst", "ix": "d"}), on="dst").select("s", "d", "weight").collect())
    probability = 1.0 - np.power(1.0 - p, pairs["weight"].to_numpy().clip(0, None))
    return sparse.csr_matrix((probability, (pairs["s"].to_numpy(), pairs["d"].to_numpy())), shape=(len(nodes), len(nodes)))


OPIM_EPSILON = 0.1  # default epsilon of `opim_c`: a (1 - 1/e - 0.1)-approximation with probability 1 - delta
RR_BATCH = 1 << 15  # reverse-reachable sets sampled together, one breadth-first level at a time
MONTE_CARLO_BATCH = 16  # cascades of `expected_spread` simulated together


@dataclass
class AdaptiveSpread:
    """What `opim_c` chose and proved: seeds, the RR sets it chose them on, and the guarantee reached."""

    seeds: list[int]  # candidate rows, in greedy order
    sets: np.ndarray  # (set id, candidate row) pairs of the selection collection R1 (non-candidates left out)
    rows: np.ndarray
    samples: int  # RR sets in R1 (R2 has as many)
    approximation: float  # lower bound on spread(seeds) / optimum, with probability >= 1 - delta
    spread_lower: float  # lower bound on the expected spread of `seeds` (from R2), in targets reached
    spread_estimate: float  # unbiased estimate from R2


def _rr_batch(graph: sparse.csr_matrix, roots: np.ndarray, rng: np.random.Generator,
              owners: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """RR sets of `roots` (set i is rooted at roots[i], or at every root whose `owners` entry is i) by a
    breadth-first search of all of them at once; with the graph's transpose and `owners`, one cascade per set.

    Each level gathers the out-edges of the whole frontier, draws their liveness, and keeps each
    (set, node) pair once and only if the set does not hold the node yet (sorted codes).
    """
    n = graph.shape[0]
    start = np.arange(len(roots), dtype=np.int64) if owners is None else owners.astype(np.int64)
    seen = np.sort(start * n + roots.astype(np.int64))
    seen = seen[np.r_[True, seen[1:] != seen[:-1]]] if len(seen) else seen
    sets, nodes = [seen // n], [seen % n]
    frontier_set, frontier = sets[0], nodes[0]
    while len(frontier):
        starts = graph.indptr[frontier]
        lengths = graph.indptr[frontier + 1] - starts  # not np.diff of the whole indptr at every level
        total = int(lengths.sum())
        if total == 0:
            break
        offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths) + np.arange(total)
        live = rng.random(total) < graph.data[offsets]
        codes = np.repeat(frontier_set, lengths)[live] * n + graph.indices[offsets][live]
        codes = np.sort(codes)
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]] if len(codes) else codes
        at = np.searchsorted(seen, codes)
        new = codes[(at >= len(seen)) | (seen[np.minimum(at, len(seen) - 1)] != codes)]
        seen = np.sort(np.concatenate([seen, new]), kind="stable")  # two sorted runs: a linear merge
        frontier_set, frontier = new // n, new % n
        sets.append(frontier_set)
        nodes.append(frontier)
    return np.concatenate(sets), np.concatenate(nodes)


def _greedy_sets(set_ids: np.ndarray, rows: np.ndarray, samples: int, candidates: int, k: int) -> tuple[list[int], int, float]:
    """Plain greedy maximum coverage of RR sets (Borgs et al.): the picks, the sets they cover, and an upper bound
    on the best coverage of any k rows (OPIM-C's: min over rounds of covered + the k largest marginal gains)."""
    present = np.flatnonzero(np.bincount(rows, minlength=candidates))  # only rows in some set can gain
    compact = np.full(candidates, -1, dtype=np.int64)
    compact[present] = np.arange(len(present))
    rows, candidates = compact[rows], len(present)
    by_row = np.argsort(rows, kind="stable")
    row_ptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=candidates))]
    row_sets = set_ids[by_row]
    by_set = np.argsort(set_ids, kind="stable")
    set_ptr = np.r_[0, np.cumsum(np.bincount(set_ids, minlength=samples))]
    set_rows = rows[by_set]
    gains = np.bincount(rows, minlength=candidates).astype(np.int64)
    covered = np.zeros(samples, dtype=bool)
    picks, total, bound = [], 0, math.inf
    for _ in range(min(k, candidates)):
        bound = min(bound, total + _top_sum(gains, k))
        row = int(np.argmax(gains))
        if gains[row] <= 0:
            break
        fresh = row_sets[row_ptr[row]:row_ptr[row + 1]]
        fresh = fresh[~covered[fresh]]
        covered[fresh] = True
        total += len(fresh)
        starts, lengths = set_ptr[fresh], set_ptr[fresh + 1] - set_ptr[fresh]
        members = set_rows[np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths) + np.arange(int(lengths.sum()))]
        np.subtract.at(gains, members, 1)
        picks.append(int(present[row]))
    return picks, total, min(bound, total / (1 - 1 / math.e)) if picks else 0.0


def _top_sum(gains: np.ndarray, k: int) -> float:
    """The sum of the k largest of `gains` (integers >= 0), by counting values (np.partition slows on many ties)."""
    counts = np.bincount(gains[gains > 0])[::-1]
    taken = np.diff(np.r_[0, np.minimum(np.cumsum(counts), k)])
    return float((taken * np.arange(len(counts) - 1, -1, -1)).sum())


def _sample(graph: sparse.csr_matrix, targets: np.ndarray, row_of: np.ndarray, count: int, rng: np.random.Generator,
            first: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` RR sets rooted uniformly in `targets`, numbered from `first`, as (set id, candidate row) pairs."""
    sets, rows = [], []
    for start in range(0, count, RR_BATCH):
        roots = targets[rng.integers(0, len(targets), min(RR_BATCH, count - start))]
        ids, nodes = _rr_batch(graph, roots, rng)
        keep = row_of[nodes] >= 0
        sets.append(ids[keep] + first + start)
        rows.append(row_of[nodes[keep]])
    empty = np.zeros(0, dtype=np.int64)
    return (np.concatenate(sets), np.concatenate(rows)) if sets else (empty, empty)


def _opim_bounds(hit: int, upper: float, a1: float, a2: float, scale: float) -> tuple[float, float]:
    """OPIM-C's lower bound on the seeds' spread (from R2 hits) and its ratio to the upper bound on the optimum (R1)."""
    lower = max(((math.sqrt(hit + 2 * a2 / 9) - math.sqrt(a2 / 2)) ** 2 - a2 / 18) * scale, 0.0)
    optimum = (math.sqrt(upper + a1 / 2) + math.sqrt(a1 / 2)) ** 2 * scale
    return lower, (lower / optimum if optimum > 0 else 1.0)


def opim_c(graph: sparse.csr_matrix, targets: np.ndarray, row_of: np.ndarray, k: int, *, epsilon: float = OPIM_EPSILON,
           delta: float | None = None, max_samples: int | None = None, seed: int = 0) -> AdaptiveSpread:
    """Influence maximisation under the independent cascade by OPIM-C: adaptive reverse-reachable sampling.

    Two collections of RR sets of equal size: greedy chooses k seeds on R1, R2 gives a lower
    bound on their spread and R1 an upper bound on the optimum's; both double until the ratio
    reaches 1 - 1/e - epsilon (or theta_max, or `max_samples`). The seeds are then a
    (1 - 1/e - epsilon)-approximation with probability at least 1 - delta.

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        Node x node live probabilities of the reverse walk (row v: where v's RR set goes next).
    targets : numpy.ndarray
        Node indices the roots are drawn from; spread counts them.
    row_of : numpy.ndarray
        Per node, its candidate row, or -1 for a node that cannot be a seed.
    k : int
        The number of seeds.
    epsilon : float, default OPIM_EPSILON
        The approximation slack.
    delta : float, optional
        Failure probability (default 1 / len(targets)).
    max_samples : int, optional
        A cap on the RR sets of each collection; the guarantee reached is in the result.
    seed : int, default 0
        Seed of numpy's generator.

    Returns
    -------
    AdaptiveSpread
        The seeds, R1 as (set, row) pairs, its size, and the approximation and spread bounds.

    Examples
    --------
    >>> star = sparse.csr_matrix((np.ones(3), ([1, 2, 3], [0, 0, 0])), shape=(4, 4))  # 1, 2, 3 follow 0
    >>> opim_c(star, np.arange(4), np.arange(4), 1, seed=1).seeds
    [0]

    References
    ----------
    .. [1] J. Tang, X. Tang, X. Xiao and J. Yuan, "Online processing algorithms for influence
       maximization", Proceedings of SIGMOD 2018, pp. 991-1005.
    .. [2] C. Borgs, M. Brautbar, J. Chayes and B. Lucier, "Maximizing social influence in nearly
       optimal time", Proceedings of SODA 2014, pp. 946-957.
    """
    n, candidates = len(targets), int(row_of.max()) + 1 if len(row_of) else 0
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or candidates == 0:
        return AdaptiveSpread(seeds=[], sets=empty, rows=empty, samples=0, approximation=0.0, spread_lower=0.0,
                              spread_estimate=0.0)
    k = max(1, min(k, max(candidates, 1)))
    delta = 1.0 / max(n, 2) if delta is None else delta
    log_choose = math.lgamma(candidates + 1) - math.lgamma(k + 1) - math.lgamma(candidates - k + 1) if candidates else 0.0
    goal = 1 - 1 / math.e
    theta_max = 2 * n * (goal * math.sqrt(math.log(6 / delta)) + math.sqrt(goal * (log_choose + math.log(6 / delta)))) ** 2 \
        / (epsilon ** 2 * k)
    theta = max(int(theta_max * epsilon ** 2 * k / n), 1)
    rounds = max(math.ceil(math.log2(max(theta_max / theta, 2))), 1)
    a1, a2 = math.log(3 * rounds / delta) + log_choose, math.log(3 * rounds / delta)
    rng = np.random.default_rng(seed)
    cap = max_samples or int(theta_max) + 1
    theta = min(theta, cap)
    one, two = _sample(graph, targets, row_of, theta, rng, 0), _sample(graph, targets, row_of, theta, rng, 0)
    for round_ in range(1, rounds + 1):
        seeds, covered, upper = _greedy_sets(one[0], one[1], theta, candidates, k)
        chosen = np.zeros(max(candidates, 1), dtype=bool)
        chosen[seeds] = True
        hit = int(np.unique(two[0][chosen[two[1]]]).size) if len(two[0]) else 0
        lower, ratio = _opim_bounds(hit, upper, a1, a2, n / theta)
        if ratio >= goal - epsilon or round_ == rounds or theta >= cap:
            break
        more = min(theta, cap - theta)
        extra1, extra2 = _sample(graph, targets, row_of, more, rng, theta), _sample(graph, targets, row_of, more, rng, theta)
        one = (np.concatenate([one[0], extra1[0]]), np.concatenate([one[1], extra1[1]]))
        two = (np.concatenate([two[0], extra2[0]]), np.concatenate([two[1], extra2[1]]))
        theta += more
    return AdaptiveSpread(seeds=seeds, sets=one[0], rows=one[1], samples=theta, approximation=ratio,
                          spread_lower=lower, spread_estimate=hit * n / theta)


def expected_spread(graph: sparse.csr_matrix, seeds: np.ndarray, *, runs: int = 1000, seed: int = 0) -> float:
    """Monte Carlo estimate of the expected number of nodes an independent cascade from `seeds` activates.

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        Node x node probability that u activates v (row u: whom u can activate): the transpose of
        the reverse walk's matrix (`live_probabilities` followed by `.T.tocsr()`).
    seeds : numpy.ndarray
        The node indices active at the start.
    runs : int, default 1000
        Independent cascades, simulated together by one breadth-first search (`_rr_batch`).
    seed : int, default 0
        Seed of numpy's generator.

    Returns
    -------
    float
        The mean number of active nodes at the end, seeds included.

    Examples
    --------
    >>> chain = sparse.csr_matrix((np.ones(2), ([0, 1], [1, 2])), shape=(3, 3))
    >>> expected_spread(chain, np.array([0]), runs=10)
    3.0
    """
    seeds = np.asarray(seeds, dtype=np.int64)
    total, rng = 0, np.random.default_rng(seed)
    batch = max(min(RR_BATCH // max(len(seeds), 1), MONTE_CARLO_BATCH), 1)  # cascades of hubs are wide
    for start in range(0, runs, batch):
        count = min(batch, runs - start)
        owners = np.repeat(np.arange(count, dtype=np.int64), len(seeds))
        total += len(_rr_batch(graph, np.tile(seeds, count), rng, owners)[1])
    return total / runs if runs else 0.0
