"""Compiled (numba) inner loops of the hot paths, each the fused form of a numpy/scipy computation.

Imported on first use only (numba's import and the cached machine code load in a fraction of a
second; the first run on a machine compiles once, into `__pycache__`). Every kernel does what a
vectorised numpy/scipy expression beside it documents, in one pass over memory instead of several:
the speed-up is in the bytes streamed, not in a different algorithm.
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["pagerank_power", "key_slots", "key_insert", "key_lookup", "key_firsts", "upper_csr", "parts_of", "sum_sorted"]


@numba.njit(cache=True, nogil=True)
def _push(indptr, indices, data, z, buffers, chunks):  # pragma: no cover - compiled
    """buffers[t] <- sum over the rows u of chunk t of data[u, :] * z[u], scattered to their columns."""
    for t in range(len(chunks) - 1):
        y = buffers[t]
        for u in range(chunks[t], chunks[t + 1]):
            zu = z[u]
            if zu != 0.0:
                for j in range(indptr[u], indptr[u + 1]):
                    y[indices[j]] += data[j] * zu


@numba.njit(cache=True, nogil=True)
def _combine(buffers, x, inverse_out, teleport, damping, dangling_mass, z, chunks):  # pragma: no cover
    """x <- damping * (sum of buffers + dangling_mass * teleport) + (1 - damping) * teleport, in place;
    z <- x * inverse_out; the buffers are zeroed for the next pass. Returns the L1 change and the new
    dangling mass (the rank on vertices whose inverse_out is 0)."""
    parts = len(chunks) - 1
    change = np.zeros(parts)
    mass = np.zeros(parts)
    for t in range(parts):
        c, dm = 0.0, 0.0
        for v in range(chunks[t], chunks[t + 1]):
            s = 0.0
            for b in range(buffers.shape[0]):
                s += buffers[b, v]
                buffers[b, v] = 0.0
            new = damping * (s + dangling_mass * teleport[v]) + (1.0 - damping) * teleport[v]
            c += abs(new - x[v])
            x[v] = new
            z[v] = new * inverse_out[v]
            if inverse_out[v] == 0.0:
                dm += new
        change[t] = c
        mass[t] = dm
    return change.sum(), mass.sum()


def _chunks(indptr: np.ndarray, parts: int) -> np.ndarray:
    """Row boundaries splitting the CSR rows into `parts` runs of about equal edge counts."""
    targets = np.linspace(0, indptr[-1], parts + 1)
    bounds = np.searchsorted(indptr, targets).astype(np.int64)
    bounds[0], bounds[-1] = 0, len(indptr) - 1
    return np.maximum.accumulate(bounds)


def _unsigned(array: np.ndarray) -> np.ndarray:
    """The same non-negative integers viewed as unsigned (no copy), so compiled indexing skips the
    negative-index wraparound test."""
    array = np.ascontiguousarray(array)
    return array.view(np.uint32 if array.itemsize == 4 else np.uint64)


def pagerank_power(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, out: np.ndarray,
                   teleport: np.ndarray, damping: float, tol: float, max_iter: int = 10_000) -> np.ndarray:
    """Power iteration x <- d (M^T (x / out) + D r) + (1 - d) r on the CSR matrix M, until the L1 change is below `tol`.

    The same iteration as `centrality._power` for one teleport column r (D: the rank on dangling
    vertices), fused: one pass over the matrix's rows scatters x_u / out_u along u's edges into one
    buffer per thread, and one pass over the vertices combines the buffers into the new x, its L1
    change, the next x / out and the dangling mass. So an iteration streams the matrix once and a
    few vectors of n, with no temporary arrays.

    Parameters
    ----------
    indptr, indices, data : numpy.ndarray
        The CSR arrays of the weighted adjacency matrix (row = src).
    out : numpy.ndarray
        Weighted out-degree of every vertex (row sums of the matrix).
    teleport : numpy.ndarray
        The teleport distribution r, shape (n,), summing to 1.
    damping, tol : float
        As in `centrality.pagerank`.
    max_iter : int, default 10,000
        Iterations at most.

    Returns
    -------
    numpy.ndarray
        x, shape (n,) (unnormalised: sums to 1 up to rounding).

    Example
    -------
    >>> import numpy as np
    >>> indptr, indices, data = np.array([0, 1, 2, 3]), np.array([1, 2, 1]), np.ones(3)
    >>> x = pagerank_power(indptr, indices, data, np.ones(3), np.full(3, 1 / 3), 0.85, 1e-12)
    >>> x.round(3).tolist()
    [0.05, 0.486, 0.464]
    """
    n = len(out)
    parts = 1
    inverse_out = np.divide(1.0, out, out=np.zeros(n), where=out > 0)
    teleport = np.ascontiguousarray(teleport, dtype=np.float64)
    x = teleport.copy()
    z = x * inverse_out
    mass = float(x[inverse_out == 0].sum())
    buffers = np.zeros((parts, n))
    rows, vertices = _chunks(indptr, parts), _chunks(np.arange(n + 1), parts)
    indptr, indices = _unsigned(indptr), _unsigned(indices)  # unsigned: no negative-index wraparound test
    narrow = data.astype(np.float32)
    if np.array_equal(narrow, data):  # counts and other small integers are exact in 4 bytes: stream half
        data = narrow
    for _ in range(max_iter):
        _push(indptr, indices, data, z, buffers, rows)
        change, mass = _combine(buffers, x, inverse_out, teleport, damping, mass, z, vertices)
        if change < tol:
            break
    return x


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
