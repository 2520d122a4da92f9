"""Numbering (platform, id) keys for the workspace vertex index by hashing, not by string joins.

The workspace's rule (`workspace.Workspace.vertex_index`) is unchanged: keys a commit brings that
the index lacks are numbered after the known ones, first the new accounts, then the edge ends no
account names, each group in (platform, id) order. What changes is how a key finds its number:
each key gets a 128-bit fingerprint (two seeded 64-bit polars hashes of platform and id) and one
compiled open-addressing table over the index's fingerprints answers every lookup, so a 10M-edge
commit maps its 20M ends in a fraction of a second instead of two string joins. The result is exact
unless two distinct keys share all 128 bits (about 1e-25 for a 10M-edge commit against a 10M-key
index; a new key would then take a known key's number, or two new keys one number). A stored index
holding two keys with one fingerprint is found when the table is built, and the caller then maps by
the exact joins.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from .schema import INDEX_COLUMNS

__all__ = ["VertexNumbers", "number_commit", "first_rows"]

_SEEDS = (0x1F0E, 0x2B7C, 0x3D91, 0x4A65)  # id and platform seeds of the two 64-bit halves


def _prints(frame: pl.DataFrame, platform: str = "platform", key: str = "id") -> tuple[np.ndarray, np.ndarray]:
    """The two 64-bit halves of each row's (platform, id) fingerprint."""
    ids, platforms = pl.col(key).cast(pl.String), pl.col(platform).cast(pl.String)  # a category hashes as its string
    halves = frame.select(
        ids.hash(_SEEDS[0]).xor(platforms.hash(_SEEDS[1])).alias("h1"),
        ids.hash(_SEEDS[2]).xor(platforms.hash(_SEEDS[3])).alias("h2"))
    return halves["h1"].to_numpy(), halves["h2"].to_numpy()


def first_rows(table: pl.DataFrame, keys: pl.DataFrame, *, table_key: str = "id", key: str = "id") -> np.ndarray:
    """For each row of `keys`, the first row of `table` with the same (platform, id), or -1: a left join
    on two string columns (`keys` by `key`, `table` by `table_key`), answered from the keys' fingerprints.

    Why: ranking numbers each of ten million edge rows by the row of its post and each post by its
    author's vertex; the string joins took seconds, one fingerprint table and one lookup pass a
    fraction of that. A null platform or id matches nothing, as in a join. Exact unless two distinct
    keys share all 128 bits (see the module docstring), when the later would take the earlier's row.

    Parameters
    ----------
    table : polars.DataFrame
        Columns `platform` and `table_key`; its rows are the answers.
    keys : polars.DataFrame
        Columns `platform` and `key`: the rows to look up.

    Returns
    -------
    numpy.ndarray
        int64, one entry per row of `keys`.

    Example
    -------
    >>> posts = pl.DataFrame({"platform": ["x", "x", "x"], "id": ["p1", "p2", "p1"]})
    >>> edges = pl.DataFrame({"platform": ["x", "x", "bsky", "x"], "post_id": ["p1", None, "p1", "p2"]})
    >>> first_rows(posts, edges, key="post_id").tolist()
    [0, -1, -1, 1]
    """
    from .algorithms import kernels

    t1, t2 = _prints(table, key=table_key)
    present = table.select(pl.col("platform").is_not_null() & pl.col(table_key).is_not_null()).to_series().to_numpy()
    slots = kernels.key_slots(len(t1))
    kernels.key_firsts(t1, t2, np.flatnonzero(present).astype(np.int64), slots)
    q1, q2 = _prints(keys, key=key)
    out = np.full(len(q1), -1, dtype=np.int64)
    absent = keys.select(pl.col("platform").is_null() | pl.col(key).is_null()).to_series().to_numpy()
    out[absent] = 0  # key_lookup skips entries already >= 0: null keys are not looked up, then set to -1
    kernels.key_lookup(q1, q2, slots, t1, t2, out)
    out[absent] = -1
    return out


class _Collision(Exception):
    """Two distinct keys share a 128-bit fingerprint: the hashed numbering cannot decide, map exactly."""


class VertexNumbers:
    """The vertex index as a fingerprint table: look keys up, append new keys in (platform, id) order.

    Parameters
    ----------
    index : polars.DataFrame
        The stored vertex index (ix, platform, id; row i has ix i).

    Example
    -------
    >>> import polars as pl
    >>> numbers = VertexNumbers(pl.DataFrame({"ix": [0], "platform": ["x"], "id": ["b"]}))
    >>> keys = pl.DataFrame({"platform": ["x", "x", "x"], "id": ["c", "a", "b"]})
    >>> numbers.extend(keys, *_prints(keys))
    >>> numbers.index["id"].to_list(), numbers.lookup(*_prints(keys)).tolist()
    (['b', 'a', 'c'], [2, 1, 0])
    """

    def __init__(self, index: pl.DataFrame) -> None:
        from .algorithms import kernels

        self._kernels = kernels
        self.index = index
        self._h1, self._h2 = _prints(index)
        self._slots = kernels.key_slots(len(self._h1))
        self._insert(0)

    def _insert(self, start: int) -> None:
        if 2 * len(self._h1) > len(self._slots):  # keep the table at most half full: rebuild larger
            self._slots, start = self._kernels.key_slots(2 * len(self._h1)), 0
        if self._kernels.key_insert(self._h1, self._h2, self._slots, start) >= 0:
            raise _Collision

    def lookup(self, h1: np.ndarray, h2: np.ndarray, found: np.ndarray | None = None) -> np.ndarray:
        """Index number of each fingerprint (`_prints`), -1 where the index lacks it; entries of `found`
        that are already >= 0 are kept (and not looked up again)."""
        out = np.full(len(h1), -1, dtype=np.int64) if found is None else found
        self._kernels.key_lookup(h1, h2, self._slots, self._h1, self._h2, out)
        return out

    def extend(self, keys: pl.DataFrame, h1: np.ndarray, h2: np.ndarray, missing: np.ndarray | None = None) -> None:
        """Append the (platform, id) `keys` (fingerprints h1, h2) the index lacks, numbered on, in (platform, id)
        order. `missing`: the rows known to be absent (else looked up); duplicates are numbered once."""
        if missing is None:
            missing = np.flatnonzero(self.lookup(h1, h2) < 0)
        firsts = self._kernels.key_firsts(h1, h2, missing.astype(np.int64), self._kernels.key_slots(len(missing)))
        if len(firsts) == 0:
            return
        start = self.index.height
        fresh = (keys.select("platform", "id")[firsts].sort("platform", "id", nulls_last=False)
                 .select((pl.int_range(pl.len(), dtype=pl.Int64) + start).alias("ix"), "platform", "id"))
        self.index = pl.concat([self.index, fresh])
        fresh_h1, fresh_h2 = _prints(fresh)
        self._h1, self._h2 = np.concatenate([self._h1, fresh_h1]), np.concatenate([self._h2, fresh_h2])
        self._insert(start)


def number_commit(index: pl.DataFrame, accounts: pl.DataFrame,
                  edge_frames: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]] | None:
    """The index after numbering a commit's `accounts` keys and its edges' ends, and the edge frames with
    `INDEX_COLUMNS`; None when two keys share a fingerprint (the caller maps by joins instead).

    Parameters
    ----------
    index : polars.DataFrame
        The stored vertex index (empty for a first commit).
    accounts : polars.DataFrame
        The (platform, id) keys of the commit's accounts (numbered first).
    edge_frames : dict of str to polars.DataFrame
        Edge frames (platform, src, dst, ...); ends no account names are numbered after the accounts.

    Returns
    -------
    tuple or None
        (new index, {name: frame with src_ix and dst_ix}).

    Example
    -------
    >>> import polars as pl
    >>> empty = pl.DataFrame(schema={"ix": pl.Int64, "platform": pl.String, "id": pl.String})
    >>> edges = pl.DataFrame({"src": ["b"], "dst": ["z"], "platform": ["x"]})
    >>> index, frames = number_commit(empty, pl.DataFrame({"platform": ["x"], "id": ["b"]}), {"edges": edges})
    >>> index["id"].to_list(), frames["edges"].select("src_ix", "dst_ix").row(0)
    (['b', 'z'], (0, 1))
    """
    try:
        numbers = VertexNumbers(index)
        numbers.extend(accounts, *_prints(accounts))
        ends = [(name, end, *_prints(frame, key=end)) for name, frame in edge_frames.items() for end in ("src", "dst")]
        found = {(name, end): numbers.lookup(h1, h2) for name, end, h1, h2 in ends}
        loose = {key: np.flatnonzero(values < 0) for key, values in found.items()}
        if any(len(rows) for rows in loose.values()):  # edge ends without an account row: numbered, looked up again
            keys = pl.concat([edge_frames[name].select("platform", pl.col(end).alias("id")) for name, end, _, _ in ends])
            offsets = np.cumsum([0] + [len(h1) for _, _, h1, _ in ends])
            numbers.extend(keys, np.concatenate([h1 for *_, h1, _ in ends]), np.concatenate([h2 for *_, h2 in ends]),
                           np.concatenate([loose[(name, end)] + offset for (name, end, _, _), offset in zip(ends, offsets)]))
            for name, end, h1, h2 in ends:
                if len(loose[(name, end)]):
                    numbers.lookup(h1, h2, found[(name, end)])
    except _Collision:
        return None
    frames = {name: frame.with_columns(pl.Series(column, found[(name, end)], dtype=pl.Int64)
                                       for column, end in zip(INDEX_COLUMNS, ("src", "dst")))
              for name, frame in edge_frames.items()}
    return numbers.index, frames
