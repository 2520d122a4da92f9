"""Compiled (numba) inner loops of the hot paths, each the fused form of a numpy/scipy computation.

Imported on first use only (numba's import and the cached machine code load in a fraction of a
second; the first run on a machine compiles once, into `__pycache__`). Every kernel does what a
vectorised numpy/scipy expression beside it documents, in one pass over memory instead of several:
the speed-up is in the bytes streamed, not in a different algorithm.
"""
from __future__ import annotations

import threading

import numba
import numpy as np

__all__ = ["THREAD_POOL", "key_slots", "key_insert", "key_lookup", "key_firsts", "parts_of", "sum_sorted", "undirected_pairs",
           "levels_gauss_seidel", "component_levels", "power_iteration", "start_runtime"]

THREAD_POOL = threading.Lock()  # numba's default thread pool takes one caller at a time: hold this around a parallel kernel


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


# PageRank by levels (`centrality._by_levels`) runs these four kernels once a call, on graphs where
# the whole solve takes 20-30 ms: each is typed here so numba loads its machine code from the cache
# when this module is imported (about 4 ms each), as igraph loads its C code at import, instead of on
# the first call. Their callers pass exactly these types (C-contiguous int64 and float64 arrays).
_I64, _F64 = "int64[::1]", "float64[::1]"


@numba.njit(cache=True, nogil=True, inline="always")
def _by_key(items, keys, buckets):  # pragma: no cover - compiled
    """`items` stably sorted by keys[item] (integers in 0 .. buckets - 1): one counting sort, O(len + buckets)."""
    starts = np.zeros(buckets + 1, np.int64)
    for v in items:
        starts[keys[v] + 1] += 1
    for b in range(buckets):
        starts[b + 1] += starts[b]
    sorted_items = np.empty(len(items), np.int64)
    for v in items:
        sorted_items[starts[keys[v]]] = v
        starts[keys[v]] += 1
    return sorted_items


@numba.njit(f"{_I64}({_I64}, {_I64}, int64, int64)", cache=True, nogil=True)
def level_order(component, vertex_level, components, levels):  # pragma: no cover - compiled
    """The vertices sorted by level, then by component, then by number: two stable counting sorts
    (by component, then by level), O(n + components + levels). Returns the vertex at each position."""
    return _by_key(_by_key(np.arange(len(component)), component, components), vertex_level, levels)


@numba.njit(f"Tuple((int64[::1], int64[::1], float64[::1], boolean[::1]))({_I64}, {_I64}, {_F64}, {_F64}, float64, "
            f"{_I64}, {_I64}, {_I64})", cache=True, nogil=True)
def level_inflow(indptr, indices, data, out, damping, order, position, vertex_level):  # pragma: no cover - compiled
    """`centrality._by_levels`' system in level order: the CSR rows of d P^T, and which rows are on a cycle.

    The matrix (`indptr`, `indices`, `data`: rows are sources, no repeated pair) is transposed and its
    vertices renumbered by `position` (`order` is its inverse) in one counting sort: row position[v]
    lists v's in-edges as (position of the source, d * weight / out-weight of the source), the
    sources in increasing position, which is scipy's canonical CSR of the same entries (so the
    solve's sums run in the same order). A row is on a cycle of its level when one of its in-edges
    comes from a vertex of the same level. O(n + m); returns (row pointers, columns, values, on a cycle)."""
    n = len(indptr) - 1
    rows = np.zeros(n + 1, np.int64)
    for e in range(len(indices)):
        rows[position[indices[e]] + 1] += 1
    for i in range(n):
        rows[i + 1] += rows[i]
    fill = rows[:-1].copy()
    columns = np.empty(len(indices), np.int64)
    values = np.empty(len(indices))
    cyclic = np.zeros(n, np.bool_)
    for p in range(n):
        s = order[p]
        weight = out[s]
        for e in range(indptr[s], indptr[s + 1]):
            t = indices[e]
            r = position[t]
            k = fill[r]
            fill[r] = k + 1
            columns[k] = p
            values[k] = (data[e] / weight if weight > 0 else 0.0) * damping
            if vertex_level[t] == vertex_level[s]:
                cyclic[r] = True
    return rows, columns, values, cyclic


@numba.njit(cache=True, nogil=True, inline="always")
def _row_without(indptr, indices, data, start, y, i, j, c):  # pragma: no cover - compiled
    """(start[i, c] + the sum of row i's in-edges other than the one from j, the share of the one from j):
    with j = -1, (start[i, c] + (A y)[i, c], 0), a Gauss-Seidel step's value of row i with y as it is now."""
    acc = start[i, c]
    share = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        if indices[p] == j:
            share += data[p]
        else:
            acc += data[p] * y[indices[p], c]
    return acc, share


@numba.njit(f"float64[:, ::1]({_I64}, {_I64}, {_F64}, float64[:, ::1], {_I64}, {_I64}, {_I64}, {_I64}, {_F64})",
            cache=True, nogil=True)
def levels_gauss_seidel(indptr, indices, data, start, bounds, cyclic, groups, level_groups, stops):  # pragma: no cover
    """`centrality._by_levels`' solve of y = start + A y, level by level, by Gauss-Seidel sweeps.

    Rows of A (CSR) are the vertices in level order, each listing its in-edges (source position,
    share). Within level l (positions bounds[l] .. bounds[l + 1]) the first pass makes every vertex
    whose in-edges all come from earlier levels exact. The level's vertices on a cycle come as
    groups, one per strongly connected component: group g is cyclic[groups[g]:groups[g + 1]]
    (sorted positions), and level l holds the groups level_groups[l] .. level_groups[l + 1]. No
    edge joins two components of one level, so each group is solved alone: a pair (the mutual
    mentions that make most cycles of a social graph) exactly, from its two equations
    y_a = a + s_ab y_b, y_b = b + s_ba y_a; a larger group by sweeps until the L1 change of its sweep
    is below stops[g] in every column (a pair would need about 70 sweeps, as d^2 per sweep).
    Returns y, shaped as `start`."""
    size, k = start.shape
    y = start.copy()
    change = np.zeros(k)
    for level in range(len(bounds) - 1):
        for i in range(bounds[level], bounds[level + 1]):
            for c in range(k):
                y[i, c] = _row_without(indptr, indices, data, start, y, i, -1, c)[0]
        for g in range(level_groups[level], level_groups[level + 1]):
            if groups[g + 1] - groups[g] == 2:
                i, j = cyclic[groups[g]], cyclic[groups[g] + 1]
                for c in range(k):
                    a, s_ij = _row_without(indptr, indices, data, start, y, i, j, c)
                    b, s_ji = _row_without(indptr, indices, data, start, y, j, i, c)
                    y[i, c] = (a + s_ij * b) / (1.0 - s_ij * s_ji)
                    y[j, c] = b + s_ji * y[i, c]
                continue
            for _ in range(10_000):
                change[:] = 0.0
                for j in range(groups[g], groups[g + 1]):
                    i = cyclic[j]
                    for c in range(k):
                        value = _row_without(indptr, indices, data, start, y, i, -1, c)[0]
                        change[c] += abs(value - y[i, c])
                        y[i, c] = value
                if change.max() < stops[g]:
                    break
    return y


@numba.njit(f"Tuple(({_I64}, {_I64}))({_I64}, {_I64})", cache=True, nogil=True)
def component_levels(indptr, indices):  # pragma: no cover - compiled
    """`centrality._levels`: the strongly connected component of every vertex and each component's level.

    Components by Tarjan's algorithm, iterative (an explicit stack of (vertex, next edge) instead of
    recursion), over the CSR rows (`indptr`, `indices`). Tarjan completes the components in reverse
    topological order of the condensation (a component is numbered after every component it points
    to), so one pass over them from the last completed to the first settles the levels: the level of
    a component is the number of edges on the longest path to it from a component nothing points to,
    and every edge between two components then goes from a lower level to a higher one. O(n + m).
    Returns (component of every vertex, level of every component).
    R. Tarjan, "Depth-first search and linear graph algorithms", SIAM J. Computing 1(2), 1972."""
    n = len(indptr) - 1
    index = np.full(n, -1, np.int64)
    low = np.zeros(n, np.int64)
    on_stack = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    calls = np.empty(n, np.int64)
    next_edge = np.empty(n, np.int64)
    component = np.empty(n, np.int64)
    completed = np.empty(n, np.int64)  # vertices in the order their components complete
    top = depth = done = counter = k = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack[top] = root
        top += 1
        on_stack[root] = True
        calls[0], next_edge[0], depth = root, indptr[root], 1
        while depth > 0:
            v = calls[depth - 1]
            e = next_edge[depth - 1]
            if e < indptr[v + 1]:
                next_edge[depth - 1] = e + 1
                w = indices[e]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack[top] = w
                    top += 1
                    on_stack[w] = True
                    calls[depth], next_edge[depth] = w, indptr[w]
                    depth += 1
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            else:
                depth -= 1
                if depth > 0 and low[v] < low[calls[depth - 1]]:
                    low[calls[depth - 1]] = low[v]
                if low[v] == index[v]:
                    while True:
                        top -= 1
                        w = stack[top]
                        on_stack[w] = False
                        component[w] = k
                        completed[done] = w
                        done += 1
                        if w == v:
                            break
                    k += 1
    level = np.zeros(k, np.int64)
    for j in range(n - 1, -1, -1):  # components in topological order: the last completed first
        v = completed[j]
        c = component[v]
        for p in range(indptr[v], indptr[v + 1]):
            t = component[indices[p]]
            if t != c and level[c] + 1 > level[t]:
                level[t] = level[c] + 1
    return component, level


@numba.njit(cache=True, nogil=True, parallel=True)
def power_iteration(indptr, indices, data, inverse_out, teleport, damping, tol, sources, targets):  # pragma: no cover
    """`centrality._power`'s iteration x <- d (A^T (x / out) + dangling mass * r) + (1 - d) r, on threads.

    A is the CSR matrix (`indptr`, `indices`, `data`: rows are sources), `inverse_out` 1 / out-weight
    (0 for a dangling vertex), `teleport` r (n, k), one column per PageRank. Each iteration makes
    two passes. (1) Part p scatters the shares x / out of the sources sources[p] .. sources[p + 1]
    into its own zeroed buffer (parts run in parallel). (2) Part p adds the buffers in order for the
    targets targets[p] .. targets[p + 1], zeroing them for the next iteration, and writes the new x,
    its share, its L1 change and its dangling mass in the same pass. It stops when every column's
    change is below `tol`. Every sum runs in a fixed order for a given number of parts, so the
    result does not depend on the scheduling. Returns (x, iterations)."""
    n, k = teleport.shape
    parts = len(sources) - 1
    x = teleport.copy()
    share = np.empty((n, k))
    buffers = np.zeros((parts, n, k))
    change = np.zeros((parts, k))
    masses = np.zeros((parts, k))
    mass = np.zeros(k)
    for i in range(n):
        for c in range(k):
            share[i, c] = x[i, c] * inverse_out[i]
            if inverse_out[i] == 0.0:
                mass[c] += x[i, c]
    iterations = 0
    for _ in range(10_000):
        iterations += 1
        for p in numba.prange(parts):
            buffer = buffers[p]
            for i in range(sources[p], sources[p + 1]):
                if k == 1:  # one PageRank: no inner loop per edge (1.8x faster)
                    v = share[i, 0]
                    if v != 0.0:
                        for e in range(indptr[i], indptr[i + 1]):
                            buffer[indices[e], 0] += data[e] * v
                    continue
                for e in range(indptr[i], indptr[i + 1]):
                    j = indices[e]
                    w = data[e]
                    for c in range(k):
                        buffer[j, c] += w * share[i, c]
        for p in numba.prange(parts):
            for c in range(k):  # column by column, the sums in locals: parts adding into one shared array fight
                moved = 0.0     # over its cache line
                dangled = 0.0
                carried = mass[c]
                for j in range(targets[p], targets[p + 1]):
                    total = 0.0
                    for q in range(parts):
                        total += buffers[q, j, c]
                        buffers[q, j, c] = 0.0
                    jump = teleport[j, c]
                    value = damping * (total + carried * jump) + (1.0 - damping) * jump
                    moved += abs(value - x[j, c])
                    x[j, c] = value
                    share[j, c] = value * inverse_out[j]
                    if inverse_out[j] == 0.0:
                        dangled += value
                change[p, c] = moved
                masses[p, c] = dangled
        done = True
        for c in range(k):
            mass[c] = 0.0
            total = 0.0
            for p in range(parts):
                mass[c] += masses[p, c]
                total += change[p, c]
            if total >= tol:
                done = False
        if done:
            break
    return x, iterations


@numba.njit(cache=True, nogil=True, parallel=True)
def _first_call(values):  # pragma: no cover - compiled
    total = 0.0
    for i in numba.prange(len(values)):  # a parallel loop starts the thread pool too
        total += values[i]
    return total


def start_runtime() -> None:
    """Start numba's runtime and its thread pool now: the first compiled call of a process pays them once (about 0.25 s).

    Benchmarks call this before their clock starts, as they import the libraries beforehand: it is
    the library's start-up, which igraph's C code does not have, not the work being measured.
    """
    _first_call(np.zeros(1))


@numba.njit(cache=True, nogil=True)
def community_strengths(ends, weights, membership, n):  # pragma: no cover - compiled
    """`communities.community_roles`' sums over the undirected edges `ends` (each pair once): per vertex i,
    (strength k_i, sum over communities s of k_is^2, k_i toward its own community).

    Equal to the sparse product adjacency x community indicator (a self-loop counts twice, as in the
    symmetric adjacency): each edge's two (vertex, community of the other end) entries are counted
    into rows by vertex (a counting sort), then each row sums its entries per community in a scratch
    row indexed by community, cleared through the list of communities it touched."""
    m = ends.shape[0]
    start = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        start[ends[e, 0] + 1] += 1
        start[ends[e, 1] + 1] += 1
    for v in range(n):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    other = np.empty(2 * m, dtype=np.int64)
    weight = np.empty(2 * m, dtype=np.float64)
    for e in range(m):
        u, v = ends[e, 0], ends[e, 1]
        other[fill[u]], weight[fill[u]] = membership[v], weights[e]
        fill[u] += 1
        other[fill[v]], weight[fill[v]] = membership[u], weights[e]
        fill[v] += 1
    communities = 1
    for v in range(n):
        communities = max(communities, membership[v] + 1)
    scratch = np.zeros(communities, dtype=np.float64)
    touched = np.empty(communities, dtype=np.int64)
    stamp = np.full(communities, -1, dtype=np.int64)  # stamp[c] == v: c already touched by vertex v
    strength, squares, inside = np.zeros(n), np.zeros(n), np.zeros(n)
    for v in range(n):
        count, total = 0, 0.0
        for p in range(start[v], start[v + 1]):
            c = other[p]
            if stamp[c] != v:
                stamp[c] = v
                touched[count] = c
                count += 1
            scratch[c] += weight[p]
            total += weight[p]
        own = 0.0
        for t in range(count):
            c = touched[t]
            squares[v] += scratch[c] * scratch[c]
            if c == membership[v]:
                own = scratch[c]
            scratch[c] = 0.0
        strength[v], inside[v] = total, own
    return strength, squares, inside
