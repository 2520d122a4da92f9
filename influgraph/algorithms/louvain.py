"""A parallel Louvain method with refinement whose result depends only on the seed, not on the thread count.

Modularity at resolution gamma of a partition of a weighted undirected graph is

    Q = (1 / 2m) sum_ij [A_ij - gamma k_i k_j / 2m] delta(c_i, c_j),

and moving a vertex i, taken out of its community, into community c changes it by a positive
multiple of w_ic - gamma k_i S_c / 2m (w_ic: the weight from i to c, S_c: the total degree of c).
The Louvain method [1]_ moves vertices while a move gains, then aggregates each community into one
vertex and repeats on the smaller graph; with refinement [2]_ (PLM-R), after each level is
projected back, the finer vertices move once more from the projected partition.

Why a parallel variant of our own: networkit's PLM runs its local moves asynchronously on all
threads, so on two threads the same seed gives a different partition from run to run (on one
thread it was 2.3-3x slower than on two). Here every sweep visits the vertices (relabelled by a
permutation drawn from the seed) in BATCHES batches. The best move of every vertex of a batch is
decided in parallel against the state the earlier batches left; then the moves are applied in
vertex order, each only if it still gains against the community totals as the batch's earlier
moves changed them, and never into a community that has emptied meanwhile (so two singletons
that chose each other end up together instead of swapping). A decision reads only the frozen
state and the applying runs in a fixed order, so the result is the same on any number of
threads. The check on the totals keeps many vertices of a batch from joining one community at
once and leaving it on the next sweep. `benchmarks/bench_pipeline.py` measures the modularity
and time against igraph Leiden and networkit PLM in the same run.

References
----------
.. [1] V. D. Blondel, J.-L. Guillaume, R. Lambiotte and E. Lefebvre, "Fast unfolding of communities
   in large networks", Journal of Statistical Mechanics, P10008, 2008.
.. [2] C. L. Staudt and H. Meyerhenke, "Engineering parallel algorithms for community detection in
   massive networks", IEEE Transactions on Parallel and Distributed Systems 27(1), 2016, pp. 171-184.
"""
from __future__ import annotations

import numba
import numpy as np

from .kernels import THREAD_POOL

__all__ = ["parallel_louvain", "BATCHES", "MAX_SWEEPS", "MIN_MOVED"]

BATCHES = 4  # batches per sweep: decisions within one are made in parallel against the same state (4 measured best:
# 16 gave 0.001 lower modularity at 10M edges, 1 and 2 needed twice the sweeps)
MAX_SWEEPS = 32  # sweeps of one level's local moving at most
MIN_MOVED = 0.01  # a level's local moving stops once a sweep moves at most this share of its vertices


@numba.njit(cache=True, nogil=True, parallel=True)
def symmetric_csr(ends, order, weights, n, parts):  # pragma: no cover - compiled
    """The CSR arrays (indptr, indices, data) of the undirected edges `ends` relabelled by `order`
    (vertex v becomes order[v]), each edge in the rows of both its ends, in edge order within a row.
    A counting sort on `parts` threads, each owning a range of rows (the writes are random, so
    latency-bound: threads overlap their misses)."""
    m = ends.shape[0]
    low = np.empty(m, dtype=np.int64)
    high = np.empty(m, dtype=np.int64)
    for e in numba.prange(m):
        low[e], high[e] = order[ends[e, 0]], order[ends[e, 1]]
    indptr = np.zeros(n + 1, dtype=np.int64)
    for p in numba.prange(parts):
        first, last = n * p // parts, n * (p + 1) // parts
        for e in range(m):
            a, b = low[e], high[e]
            if first <= a < last:
                indptr[a + 1] += 1
            if first <= b < last:
                indptr[b + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    indices = np.empty(2 * m, dtype=np.int64)
    data = np.empty(2 * m, dtype=np.float64)
    for p in numba.prange(parts):
        first, last = n * p // parts, n * (p + 1) // parts
        for e in range(m):
            a, b = low[e], high[e]
            if first <= a < last:
                indices[fill[a]] = b
                data[fill[a]] = weights[e]
                fill[a] += 1
            if first <= b < last:
                indices[fill[b]] = a
                data[fill[b]] = weights[e]
                fill[b] += 1
    return indptr, indices, data


@numba.njit(cache=True, nogil=True, inline="always")
def _add_by_community(u, skip, indptr, indices, data, comm, weight, seen, count):  # pragma: no cover - compiled
    """Add the weights of row u (but the entry of column `skip`) into `weight` by the community of their
    column, listing each community met for the first time in `seen` from position `count`; returns the
    new count. `weight` is zero where no community has been met (weights are positive)."""
    for e in range(indptr[u], indptr[u + 1]):
        j = indices[e]
        if j == skip:
            continue
        c = comm[j]
        if weight[c] == 0.0:
            seen[count] = c
            count += 1
        weight[c] += data[e]
    return count


@numba.njit(cache=True, nogil=True, inline="always")
def _best_community(v, indptr, indices, data, degree, comm, total, gamma_over_2m, weight, seen):  # pragma: no cover
    """The community vertex v gains most by joining (its own when no move gains) against the current
    state, with v's weight to it and to its own community: (community, weight to it, weight to own).
    `weight` is a zeroed scratch row indexed by community, `seen` a scratch list."""
    own = comm[v]
    count = _add_by_community(v, v, indptr, indices, data, comm, weight, seen, 0)
    kv = degree[v]
    to_own = weight[own]
    best, to_best = own, to_own
    best_gain = to_own - gamma_over_2m * kv * (total[own] - kv)
    for t in range(count):
        c = seen[t]
        if c != own:
            gain = weight[c] - gamma_over_2m * kv * total[c]
            if gain > best_gain:
                best_gain = gain
                best, to_best = c, weight[c]
        weight[c] = 0.0
    return best, to_best, to_own


@numba.njit(cache=True, nogil=True, parallel=True)
def local_moving(indptr, indices, data, degree, comm, gamma_over_2m, batches, max_sweeps, min_moved,
                 weight, seen, target, to_target, to_own):  # pragma: no cover - compiled
    """Louvain's local moving phase from the partition `comm` (changed in place), in batches (see the
    module docstring). `weight` and `seen` are (parts, n) scratch arrays, one row per parallel part,
    `weight` zeroed; `target`, `to_target` and `to_own` are scratch of length n. A move decided in
    parallel is made only if it still gains against the community totals left by the batch's
    earlier moves (its weights to the two communities are kept from the decision): without this
    check, many vertices of a batch join one community at once, overshoot, and move back on the
    next sweep. Returns the number of moves made."""
    n = len(degree)
    parts = weight.shape[0]
    total = np.zeros(n)
    size = np.zeros(n, dtype=np.int64)
    for v in range(n):
        total[comm[v]] += degree[v]
        size[comm[v]] += 1
    moves = 0
    for _ in range(max_sweeps):
        moved = 0
        for b in range(batches):
            low, high = n * b // batches, n * (b + 1) // batches
            for p in numba.prange(parts):
                for v in range(low + (high - low) * p // parts, low + (high - low) * (p + 1) // parts):
                    target[v], to_target[v], to_own[v] = _best_community(v, indptr, indices, data, degree, comm, total,
                                                                         gamma_over_2m, weight[p], seen[p])
            for v in range(low, high):
                c, own, kv = target[v], comm[v], degree[v]
                if c == own or size[c] == 0:  # a community emptied by this batch's moves is not joined
                    continue
                if to_target[v] - gamma_over_2m * kv * total[c] > to_own[v] - gamma_over_2m * kv * (total[own] - kv):
                    total[own] -= kv
                    total[c] += kv
                    size[own] -= 1
                    size[c] += 1
                    comm[v] = c
                    moved += 1
        moves += moved
        if moved <= min_moved * n:
            break
    return moves


@numba.njit(cache=True, nogil=True)
def renumber(comm):  # pragma: no cover - compiled
    """The communities numbered 0, 1, ... in the order of their first vertex; returns (labels, count)."""
    first = np.full(len(comm), -1, dtype=np.int64)
    labels = np.empty(len(comm), dtype=np.int64)
    count = 0
    for v in range(len(comm)):
        c = comm[v]
        if first[c] < 0:
            first[c] = count
            count += 1
        labels[v] = first[c]
    return labels, count


@numba.njit(cache=True, nogil=True, parallel=True)
def aggregate(indptr, indices, data, comm, count, weight, seen):  # pragma: no cover - compiled
    """The graph of the communities `comm` (numbered 0 .. count - 1): the weight between two communities
    is the sum of the weights between their members, and a community's self-loop holds the weight
    inside it counted from both ends, so every vertex keeps its degree. Rows are built in parallel
    over parts of about equal edge counts; each row lists its neighbours in the order met."""
    n = len(comm)
    start = np.zeros(count + 1, dtype=np.int64)
    bound = np.zeros(count + 1, dtype=np.int64)
    for v in range(n):
        start[comm[v] + 1] += 1
        bound[comm[v] + 1] += indptr[v + 1] - indptr[v]
    for c in range(count):
        start[c + 1] += start[c]
        bound[c + 1] += bound[c]
    members = np.empty(n, dtype=np.int64)
    fill = start[:-1].copy()
    for v in range(n):
        members[fill[comm[v]]] = v
        fill[comm[v]] += 1
    parts = weight.shape[0]
    cuts = np.searchsorted(bound, np.arange(parts + 1) * (bound[count] / parts))
    cuts[0], cuts[parts] = 0, count
    rows = np.empty(bound[count], dtype=np.int64)
    sums = np.empty(bound[count])
    found = np.zeros(count + 1, dtype=np.int64)
    for p in numba.prange(parts):
        row_weight, row_seen = weight[p], seen[p]
        for c in range(cuts[p], cuts[p + 1]):
            met = 0
            for q in range(start[c], start[c + 1]):  # self-loops kept: they hold the weight inside c
                met = _add_by_community(members[q], -1, indptr, indices, data, comm, row_weight, row_seen, met)
            for t in range(met):
                d = row_seen[t]
                rows[bound[c] + t] = d
                sums[bound[c] + t] = row_weight[d]
                row_weight[d] = 0.0
            found[c + 1] = met
    for c in range(count):
        found[c + 1] += found[c]
    out_indices = np.empty(found[count], dtype=np.int64)
    out_data = np.empty(found[count])
    for c in numba.prange(count):
        width = found[c + 1] - found[c]
        out_indices[found[c]:found[c + 1]] = rows[bound[c]:bound[c] + width]
        out_data[found[c]:found[c + 1]] = sums[bound[c]:bound[c] + width]
    return found, out_indices, out_data


@numba.njit(cache=True, nogil=True, parallel=True)
def _row_sums(indptr, data):  # pragma: no cover - compiled
    out = np.empty(len(indptr) - 1)
    for v in numba.prange(len(indptr) - 1):
        total = 0.0
        for e in range(indptr[v], indptr[v + 1]):
            total += data[e]
        out[v] = total
    return out


def parallel_louvain(n: int, ends: np.ndarray, weights: np.ndarray, resolution: float, seed: int, *,
                     parts: int = 2, batches: int = BATCHES, refine: bool = True) -> np.ndarray:
    """Communities maximising modularity at `resolution` by the batched parallel Louvain method with refinement.

    Parameters
    ----------
    n : int
        The number of vertices.
    ends : numpy.ndarray
        (m, 2) vertex indices of the undirected edges, each pair once, no self-loops.
    weights : numpy.ndarray
        The weight of every edge; edges of weight 0 or less are left out (modularity needs positive weights).
    resolution : float
        The modularity resolution gamma.
    seed : int
        Seeds the permutation that orders the vertices: one seed, one partition, on any thread count.
    parts : int, default 2
        Parallel parts per batch (each holds a scratch row of n floats and n integers); the
        partition does not depend on it.
    batches : int, default BATCHES
        Batches per sweep.
    refine : bool, default True
        Move the vertices of every finer level once more after projecting the coarser partition back.

    Returns
    -------
    numpy.ndarray
        The community of every vertex (int64), numbered 0, 1, ...; a community can be disconnected,
        as in every Louvain method (`communities.connected_parts` splits them).

    Examples
    --------
    >>> ends = np.array([[0, 1], [1, 2], [0, 2], [3, 4], [4, 5], [3, 5], [2, 3]])
    >>> labels = parallel_louvain(6, ends, np.ones(7), 1.0, seed=0)
    >>> len(set(labels[:3])), len(set(labels[3:])), bool(labels[0] != labels[3])
    (1, 1, True)
    """
    ends = np.ascontiguousarray(ends, dtype=np.int64).reshape(-1, 2)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if not (weights > 0).all():  # an edge of weight 0 adds nothing (and the kernels mark a community unseen by 0)
        ends, weights = ends[weights > 0], weights[weights > 0]
    order = np.random.default_rng(seed).permutation(n).astype(np.int64)
    if not len(ends):
        return np.arange(n, dtype=np.int64)
    with THREAD_POOL:  # numba's thread pool takes one caller at a time
        indptr, indices, data = symmetric_csr(ends, order, weights, n, parts)
        gamma_over_2m = float(resolution) / float(2.0 * weights.sum())
        weight = np.zeros((parts, n))
        seen = np.empty((parts, n), dtype=np.int64)
        target = np.empty(n, dtype=np.int64)
        to_target, to_own = np.empty(n), np.empty(n)
        levels = []  # (graph, degree, partition of its vertices) of every level, finest first
        while True:
            size = len(indptr) - 1
            degree = _row_sums(indptr, data)
            comm = np.arange(size, dtype=np.int64)
            moves = local_moving(indptr, indices, data, degree, comm, gamma_over_2m, batches, MAX_SWEEPS, MIN_MOVED,
                                 weight, seen, target, to_target, to_own)
            if moves == 0:
                break
            comm, count = renumber(comm)
            levels.append(((indptr, indices, data), degree, comm))
            if count == size:
                break
            indptr, indices, data = aggregate(indptr, indices, data, comm, count, weight, seen)
        labels = np.arange(len(indptr) - 1, dtype=np.int64)
        for (graph, degree, comm) in reversed(levels):
            labels = labels[comm]
            if refine:
                local_moving(*graph, degree, labels, gamma_over_2m, batches, MAX_SWEEPS, MIN_MOVED,
                             weight, seen, target, to_target, to_own)
        return renumber(labels[order])[0]
