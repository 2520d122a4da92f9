"""Compiled (numba) inner loops of the hot paths, each the fused form of a numpy/scipy computation.

Imported on first use only (numba's import and the cached machine code load in a fraction of a
second; the first run on a machine compiles once, into `__pycache__`). Every kernel does what a
vectorised numpy/scipy expression beside it documents, in one pass over memory instead of several:
the speed-up is in the bytes streamed, not in a different algorithm.
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["key_slots", "key_insert", "key_lookup", "key_firsts", "upper_csr", "parts_of", "sum_sorted", "undirected_pairs",
           "levels_gauss_seidel", "component_levels", "start_runtime"]


@numba.njit(cache=True, nogil=True)
def key_insert(h1, h2, slots, start):  # pragma: no cover - compiled
    """Insert rows start.. of the fingerprints (h1, h2) into the open-addressing table `slots` (-1: empty).

    Returns the first row whose fingerprint is already in the table (two keys that hash alike on
    all 128 bits), or -1: the caller then cannot trust the table and maps exactly instead."""
    mask = np.uint64(len(slots) - 1)
    for i in range(start, len(h1)):
        s = (h1[i] ^ (h1[i] >> np.uint64(31))) & mask
        while slots[s] >= 0:
            j = slots[s]
            if h1[j] == h1[i] and h2[j] == h2[i]:
                return i
            s = (s + np.uint64(1)) & mask
        slots[s] = i
    return -1


@numba.njit(cache=True, nogil=True)
def key_lookup(h1, h2, slots, t1, t2, out):  # pragma: no cover - compiled
    """out[i] <- the table row whose fingerprint (t1, t2) equals (h1[i], h2[i]), or -1; only where out[i] < 0."""
    mask = np.uint64(len(slots) - 1)
    for i in range(len(h1)):
        if out[i] >= 0:
            continue
        s = (h1[i] ^ (h1[i] >> np.uint64(31))) & mask
        while True:
            j = slots[s]
            if j < 0:
                break
            if t1[j] == h1[i] and t2[j] == h2[i]:
                out[i] = j
                break
            s = (s + np.uint64(1)) & mask


def key_slots(rows: int) -> np.ndarray:
    """An empty table for up to `rows` keys: a power of two at least twice as many slots, all -1."""
    size = 16
    while size < 2 * rows:
        size *= 2
    return np.full(size, -1, dtype=np.int64)


@numba.njit(cache=True, nogil=True)
def key_firsts(h1, h2, rows, slots):  # pragma: no cover - compiled
    """The entries of `rows` whose fingerprint (h1, h2) no earlier entry has, in order (`slots`: an empty table)."""
    mask = np.uint64(len(slots) - 1)
    keep = np.zeros(len(rows), dtype=np.bool_)
    for r in range(len(rows)):
        i = rows[r]
        s = (h1[i] ^ (h1[i] >> np.uint64(31))) & mask
        while True:
            j = slots[s]
            if j < 0:
                slots[s] = i
                keep[r] = True
                break
            if h1[j] == h1[i] and h2[j] == h2[i]:
                break
            s = (s + np.uint64(1)) & mask
    return rows[keep]


@numba.njit(cache=True, nogil=True)
def upper_csr(ends, order, weights, n):  # pragma: no cover - compiled
    """The CSR arrays (indptr, indices, data) of the undirected edges `ends` relabelled by `order`
    (vertex v becomes order[v]), each edge once, in the row of its lower end: what
    `scipy.sparse.csr_matrix((weights, (low, high)))` gives for edges without repeats, by one counting sort."""
    m = ends.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        a, b = order[ends[e, 0]], order[ends[e, 1]]
        indptr[min(a, b) + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    indices = np.empty(m, dtype=np.int64)
    data = np.empty(m, dtype=np.float64)
    for e in range(m):
        a, b = order[ends[e, 0]], order[ends[e, 1]]
        low, high = min(a, b), max(a, b)
        at = fill[low]
        indices[at] = high
        data[at] = weights[e]
        fill[low] = at + 1
    return indptr, indices, data


@numba.njit(cache=True, nogil=True)
def _root(parent, v):  # pragma: no cover - compiled
    while parent[v] != v:
        parent[v] = parent[parent[v]]
        v = parent[v]
    return v


@numba.njit(cache=True, nogil=True)
def parts_of(ends, labels, n):  # pragma: no cover - compiled
    """The connected parts of every community: union-find over the edges inside one, numbered by
    their lowest vertex (0 for vertex 0's part, then in vertex order), as scipy's
    `connected_components` numbers them."""
    parent = np.arange(n)
    for e in range(ends.shape[0]):
        u, v = ends[e, 0], ends[e, 1]
        if labels[u] == labels[v]:
            a, b = _root(parent, u), _root(parent, v)
            if a != b:
                if a < b:
                    parent[b] = a
                else:
                    parent[a] = b
    part = np.full(n, -1, dtype=np.int64)
    count = 0
    for v in range(n):
        r = _root(parent, v)
        if part[r] < 0:
            part[r] = count
            count += 1
        part[v] = part[r]
    return part


@numba.njit(cache=True, nogil=True)
def sum_sorted(s, d, kind, weight, multipliers):  # pragma: no cover - compiled
    """`graph._sum_sorted` in two passes: (ok, ends, total, per-kind table) for rows in (src, dst, kind) order
    (ok False, empty arrays, when they are not). The totals add each pair's per-kind sums times their
    multipliers in kind order, as the numpy form does, so the two agree to the last bit."""
    m, kinds = len(s), len(multipliers)
    count = 0
    for i in range(m):
        if i == 0 or s[i] != s[i - 1] or d[i] != d[i - 1]:
            count += 1
        if i > 0 and (s[i] < s[i - 1] or (s[i] == s[i - 1] and (d[i] < d[i - 1] or (d[i] == d[i - 1]
                                                                               and kind[i] < kind[i - 1])))):
            return False, np.zeros((0, 2), np.int64), np.zeros(0), np.zeros((kinds, 0))
    ends = np.empty((count, 2), np.int64)
    table = np.zeros((kinds, count))
    j = -1
    for i in range(m):
        if i == 0 or s[i] != s[i - 1] or d[i] != d[i - 1]:
            j += 1
            ends[j, 0], ends[j, 1] = s[i], d[i]
        table[kind[i], j] += weight[i]
    total = np.zeros(count)
    for j in range(count):
        acc, started = 0.0, False
        for k in range(kinds):
            if table[k, j] != 0.0:
                acc = acc + table[k, j] * multipliers[k] if started else table[k, j] * multipliers[k]
                started = True
        total[j] = acc
    return True, ends, total, table


@numba.njit(cache=True, nogil=True)
def undirected_pairs(ends, weights, n, how):  # pragma: no cover - compiled
    """`communities.undirected` for edges sorted by (src, dst), unique: (ok, pairs, weights) with each unordered pair
    {u, v} once (u <= v, sorted), weighted by the sum of its two directions (`how` 0), the stronger one (1), or,
    keeping only pairs with both directions, their sum (2); ok False (empty arrays) when the edges are not sorted.

    Edges with src <= dst are already in (u, v) order; the others, counted into rows by dst (a stable counting
    sort, so each row keeps src order), are too; one merge of the two lists combines the pairs."""
    m = ends.shape[0]
    for e in range(1, m):
        if ends[e, 0] < ends[e - 1, 0] or (ends[e, 0] == ends[e - 1, 0] and ends[e, 1] <= ends[e - 1, 1]):
            return False, np.zeros((0, 2), np.int64), np.zeros(0)
    start = np.zeros(n + 1, dtype=np.int64)
    forward = 0
    for e in range(m):
        if ends[e, 0] > ends[e, 1]:
            start[ends[e, 1] + 1] += 1
        else:
            forward += 1
    for v in range(n):
        start[v + 1] += start[v]
    back = np.empty(m - forward, dtype=np.int64)  # edge numbers of src > dst, in (dst, src) order
    fill = start[:-1].copy()
    ahead = np.empty(forward, dtype=np.int64)
    f = 0
    for e in range(m):
        if ends[e, 0] > ends[e, 1]:
            back[fill[ends[e, 1]]] = e
            fill[ends[e, 1]] += 1
        else:
            ahead[f] = e
            f += 1
    pairs = np.empty((m, 2), dtype=np.int64)
    out = np.empty(m, dtype=np.float64)
    i = j = k = 0
    while i < forward or j < len(back):
        if j == len(back):
            take = 0
        elif i == forward:
            take = 1
        else:
            a, b = ahead[i], back[j]
            ua, va, ub, vb = ends[a, 0], ends[a, 1], ends[b, 1], ends[b, 0]
            take = 0 if (ua < ub or (ua == ub and va < vb)) else (2 if (ua == ub and va == vb) else 1)
        if take == 2:  # both directions
            a, b = ahead[i], back[j]
            pairs[k, 0], pairs[k, 1] = ends[a, 0], ends[a, 1]
            out[k] = max(weights[a], weights[b]) if how == 1 else weights[a] + weights[b]
            i += 1
            j += 1
            k += 1
        elif how != 2:  # one direction only
            e = ahead[i] if take == 0 else back[j]
            u, v = (ends[e, 0], ends[e, 1]) if take == 0 else (ends[e, 1], ends[e, 0])
            pairs[k, 0], pairs[k, 1] = u, v
            out[k] = weights[e]
            k += 1
            if take == 0:
                i += 1
            else:
                j += 1
        elif take == 0:
            i += 1
        else:
            j += 1
    return True, pairs[:k].copy(), out[:k].copy()


@numba.njit(cache=True, nogil=True, inline="always")
def _row_value(indptr, indices, data, start, y, i, c):  # pragma: no cover - compiled
    """start[i, c] + (A y)[i, c] for the CSR rows of A, with y as it is now (a Gauss-Seidel step)."""
    acc = start[i, c]
    for p in range(indptr[i], indptr[i + 1]):
        acc += data[p] * y[indices[p], c]
    return acc


@numba.njit(cache=True, nogil=True)
def levels_gauss_seidel(indptr, indices, data, start, bounds, cyclic, cyclic_bounds, stops):  # pragma: no cover
    """`centrality._by_levels`' solve of y = start + A y, level by level, by Gauss-Seidel sweeps.

    Rows of A (CSR) are the vertices in level order, each listing its in-edges (source position,
    share). Within level l (positions bounds[l] .. bounds[l + 1]) the first sweep makes every vertex
    whose in-edges all come from earlier levels exact; the level's vertices on a cycle (an in-edge
    from the same level: `cyclic[cyclic_bounds[l]:cyclic_bounds[l + 1]]`, sorted positions) are swept
    again until the L1 change of a sweep is below stops[l] in every column. Returns y, shaped as `start`."""
    size, k = start.shape
    y = start.copy()
    change = np.zeros(k)
    for level in range(len(bounds) - 1):
        for i in range(bounds[level], bounds[level + 1]):
            for c in range(k):
                y[i, c] = _row_value(indptr, indices, data, start, y, i, c)
        if cyclic_bounds[level] == cyclic_bounds[level + 1]:
            continue
        for _ in range(10_000):
            change[:] = 0.0
            for j in range(cyclic_bounds[level], cyclic_bounds[level + 1]):
                i = cyclic[j]
                for c in range(k):
                    value = _row_value(indptr, indices, data, start, y, i, c)
                    change[c] += abs(value - y[i, c])
                    y[i, c] = value
            if change.max() < stops[level]:
                break
    return y


@numba.njit(cache=True, nogil=True)
def component_levels(indptr, indices, scc, k):  # pragma: no cover - compiled
    """`centrality._levels`' longest-path level of each of the k strongly connected components.

    The level of a component is the number of edges on the longest path to it in the condensation
    (0 for a component nothing points to), by Kahn's algorithm over the graph's CSR rows (`indptr`,
    `indices`, vertex v's component scc[v]): each component is settled once all its in-edges from
    other components are counted down, in O(n + m)."""
    n = len(scc)
    waiting = np.zeros(k, np.int64)
    for v in range(n):
        for p in range(indptr[v], indptr[v + 1]):
            if scc[indices[p]] != scc[v]:
                waiting[scc[indices[p]]] += 1
    start = np.zeros(k + 1, np.int64)
    for v in range(n):
        start[scc[v] + 1] += 1
    for c in range(k):
        start[c + 1] += start[c]
    members = np.empty(n, np.int64)
    fill = start[:-1].copy()
    for v in range(n):
        members[fill[scc[v]]] = v
        fill[scc[v]] += 1
    level = np.zeros(k, np.int64)
    queue = np.empty(k, np.int64)
    head = tail = 0
    for c in range(k):
        if waiting[c] == 0:
            queue[tail] = c
            tail += 1
    while head < tail:
        c = queue[head]
        head += 1
        for j in range(start[c], start[c + 1]):
            v = members[j]
            for p in range(indptr[v], indptr[v + 1]):
                t = scc[indices[p]]
                if t != c:
                    level[t] = max(level[t], level[c] + 1)
                    waiting[t] -= 1
                    if waiting[t] == 0:
                        queue[tail] = t
                        tail += 1
    return level


@numba.njit(cache=True, nogil=True)
def _first_call(values):  # pragma: no cover - compiled
    return values.sum()


def start_runtime() -> None:
    """Start numba's runtime now: the first compiled call of a process pays it once (about 0.25 s).

    Benchmarks call this before their clock starts, as they import the libraries beforehand: it is
    the library's start-up, which igraph's C code does not have, not the work being measured.
    """
    _first_call(np.zeros(1))
