"""The workspace: a folder that owns the tables and is the only code that writes them.

Layout::

    WORKSPACE/
      manifest.json            which table file is current: rows, content hash, size, footer hash
      commit-journal.json      only while a commit runs: the table files it is about to write
      tables/accounts-000007.parquet
      tables/posts-000007.parquet
      tables/edges-000005.parquet     (with src_ix, dst_ix: its ends' vertex numbers; rows in that order)
      tables/vertices-000007.parquet  the vertex index: ix, platform, id (row ix), see `vertex_index`
      tables/observations-000007.parquet  the history of account counts (see below)
      results/NAME.parquet     stored analyses, each stamped with its name and schema
      .lock                    held by the one writer at a time

A commit first writes a journal naming the table files it will write, then writes them (temp,
fsync, rename), then swaps `manifest.json` the same way, then removes the journal. The manifest
swap is the single moment a commit takes effect, so the three tables change together or not at
all; a process killed at any instant leaves the previous generation readable.

Cleanup that cannot destroy: the next commit (or open) removes only temp files and the files a
leftover journal names that the manifest does not; a table file nothing names (say, newer files
beside a manifest restored from a backup) is kept, and `influgraph check` reports it. A new
generation's number is above every file in `tables/`, so no commit overwrites a kept file.

Snapshot reads: a `Workspace` object reads the manifest once, at its first read, and holds a
shared lock (flock) on the table files it names, so every table it returns belongs to that one
generation (`refresh()` moves it to the latest; its own commits move it too). A commit keeps
the files of the last `KEEP_GENERATIONS` generations and removes an older one only if no reader
holds it (a non-blocking try: a writer never waits for a reader, and readers never take the
writer's lock, except a non-blocking try at open when there is debris to clean). A reader that
finds a file vanished between reading the manifest and opening it reads the manifest again.

The vertex index: every commit numbers the (platform, id) keys it brings that the index lacks
(after the known ones; numbers never change), adds the numbers of each new edge's ends to it,
and stores the edges in (src_ix, dst_ix, kind) order, all inside the same journal and manifest
swap, so a graph build reads integers already grouped. The index is derived: the content hash
leaves it out. A workspace written before it existed gains it at its next commit.

Upserts are idempotent by key (`schema.KEYS`): committing the same batch twice changes nothing,
neither row counts nor the content hash. For accounts and posts a newer non-null value replaces
an older one, and a null never erases a known value (a mention stub does not wipe a bio).
For edges the newer row replaces the older one whole.

Time: every row carries `observed_at`, when its current content was first observed. A row equal
to the stored one in every other column keeps the stored row whole (its `observed_at` included;
a stored null takes the new time), so re-importing a file or re-crawling an unchanged world
changes nothing; a row whose content changed takes the new row's `observed_at`. The
`observations` table keeps the history of each account's counts (followers, following, posts,
listed): a commit adds a row (platform, id, observed_at, counts) for an account row with counts
and a time only when the counts differ from that account's observation just before that time;
a row whose (platform, id, observed_at) is already stored adds nothing. It is written in the
same journal and manifest swap as the three tables, and is part of the content hash.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
import numpy as np
import polars as pl

from .atomic import TEMP_SUFFIX, atomic_write, atomic_write_bytes, fsync_dir, remove_orphan_temps
from .errors import BadInput
from .manifest import (HINT_MANIFEST, HINT_RESULT, HINT_TABLE, JOURNAL, MANIFEST, TABLE_FILE, file_generation,
                       file_stamp, table_file_name, validate_manifest, verify_stamp)
from .schema import (COUNT_COLUMNS, EDGE_KINDS, HISTORY, INDEX_COLUMNS, KEYS, OBSERVATIONS, OBSERVED_AT, TABLES, Batch,
                     conform, empty, repeated_keys)

__all__ = ["Workspace", "CommitResult", "KEEP_GENERATIONS"]

_RESULT_NAME = re.compile(r"[a-z0-9_-]{1,80}")
FORMAT_VERSION = 1
KEEP_GENERATIONS = 3  # the current generation and the two before it keep their table files
RESULT_STAMP = "influgraph.result"  # Parquet key-value metadata of a stored result: its name...
COLUMNS_STAMP = "influgraph.columns"  # ...and its column names, as JSON
_SNAPSHOT_TRIES = 3  # a commit that raced the reader needs one more; a missing file stays missing
_READ_ERRORS = (pl.exceptions.PolarsError, OSError, ValueError)


@dataclass(frozen=True)
class CommitResult:
    """What a commit changed: rows before and after per table, and the content hash after."""

    before: dict[str, int]
    after: dict[str, int]
    content_hash: str
    changed: bool

    def added(self) -> dict[str, int]:
        """New rows per table (rows that replaced an equal key are not counted)."""
        return {name: self.after[name] - self.before[name] for name in self.after}


def table_hash(frame: pl.DataFrame) -> str:
    """Content hash of a table: independent of row order, chunking and file encoding (the sorted
    row hashes are digested, so no sort of the rows themselves is needed; rows are unique by key)."""
    digest = hashlib.sha256()
    digest.update(repr(list(frame.schema.items())).encode())
    digest.update(str(frame.height).encode())
    if frame.height:
        digest.update(np.sort(frame.hash_rows(seed=0).to_numpy()).tobytes())
    return digest.hexdigest()


def _in_index_order(edges: pl.DataFrame) -> pl.DataFrame:
    """The edge rows in (src_ix, dst_ix, kind) order, rows equal in those three keeping their order: one stable sort
    of a packed int64 key (2.5 times faster than sorting by the three columns at 10M rows, and deterministic)."""
    vertices = int(max(edges["src_ix"].max() or 0, edges["dst_ix"].max() or 0)) + 1 if edges.height else 1
    kinds = len(EDGE_KINDS)
    if vertices * vertices * kinds >= 2**62:
        return edges.sort(*INDEX_COLUMNS, "kind", maintain_order=True)
    key = ((pl.col("src_ix").cast(pl.Int64) * vertices + pl.col("dst_ix").cast(pl.Int64)) * kinds
           + pl.col("kind").to_physical().cast(pl.Int64))
    return edges.sort(key, maintain_order=True)


def _dedupe_coalescing(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Collapse rows with equal keys: per column, the last non-null value wins."""
    values = [c for c in frame.columns if c not in keys]
    return frame.group_by(keys, maintain_order=True).agg(
        [pl.col(c).drop_nulls().last() for c in values]
    ).select(frame.columns)


def _keep_observed(merged: pl.DataFrame, stored: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """`merged` rows whose content (every column but the keys, `observed_at` and the derived index columns)
    equals the `stored` row of their key keep the stored `observed_at` (a stored null takes the new one).

    `stored` holds at most one row per key. Content is compared by row hash, so list columns compare too.
    """
    if stored.height == 0 or OBSERVED_AT not in merged.columns:
        return merged
    content = [c for c in merged.columns if c not in keys and c != OBSERVED_AT and c not in INDEX_COLUMNS]

    def stamped(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(frame.select(content).hash_rows(seed=0).alias("_content"))

    was = stamped(stored).select(*keys, pl.col("_content").alias("_was_content"), pl.col(OBSERVED_AT).alias("_was"))
    joined = stamped(merged).join(was, on=keys, how="left", nulls_equal=True, maintain_order="left")
    same = pl.col("_content") == pl.col("_was_content")
    return joined.with_columns(
        pl.when(same).then(pl.coalesce("_was", OBSERVED_AT)).otherwise(pl.col(OBSERVED_AT)).alias(OBSERVED_AT)
    ).select(merged.columns)


def upsert(old: pl.DataFrame, new: pl.DataFrame, table: str) -> pl.DataFrame:
    """Merge `new` rows into `old` by the table's key (see the module docstring for the rules)."""
    keys = list(KEYS[table])
    if new.height == 0:
        return old
    if table == "edges":
        merged = pl.concat([old, new], how="vertical")
        repeated = repeated_keys(merged, keys)  # only rows whose key may repeat need the (costly) unique
        if not repeated.any():
            return merged.rechunk()
        kept = merged.filter(repeated).unique(subset=keys, keep="last", maintain_order=True)
        kept = _keep_observed(kept, old.filter(repeated[:old.height]), keys)
        return pl.concat([merged.filter(~repeated), kept]).rechunk()
    new = _dedupe_coalescing(new, keys)
    key_frame = new.select(keys)
    untouched = old.join(key_frame, on=keys, how="anti", nulls_equal=True)
    overlap = old.join(key_frame, on=keys, how="semi", nulls_equal=True)
    merged = new
    if overlap.height:
        merged = _keep_observed(_dedupe_coalescing(pl.concat([overlap, new], how="vertical"), keys), overlap, keys)
    return pl.concat([untouched, merged], how="vertical").rechunk()


def new_observations(stored: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """The rows of the `observations` table that account rows `accounts` add to the `stored` history.

    An account row with a time and at least one count is an observation; it is added when its
    (platform, id, observed_at) is not stored yet and its counts differ from the account's
    observation just before it in time (stored or in the same batch), so equal counts seen again
    add nothing and a re-import adds nothing.

    Parameters
    ----------
    stored : the stored `observations` table.
    accounts : account rows in the `accounts` schema (a batch's).

    Returns
    -------
    pl.DataFrame: the new rows, in the `observations` schema.

    Example: ``new_observations(ws.table("observations"), batch.accounts).height``.
    """
    keys = list(KEYS["observations"])
    counted = pl.any_horizontal(pl.col(c).is_not_null() for c in COUNT_COLUMNS)
    fresh = (accounts.filter(pl.col(OBSERVED_AT).is_not_null() & counted).select(list(OBSERVATIONS))
             .unique(subset=keys, keep="last", maintain_order=True))
    if fresh.height and stored.height:
        fresh = fresh.join(stored.select(keys), on=keys, how="anti", nulls_equal=True)
    if fresh.height == 0:
        return empty("observations")
    owners = ["platform", "id"]
    history = stored.join(fresh.select(owners).unique(), on=owners, how="semi", nulls_equal=True)
    sequence = pl.concat([history.with_columns(pl.lit(False).alias("_new")),
                          fresh.with_columns(pl.lit(True).alias("_new"))]).sort(*owners, OBSERVED_AT)
    repeats = pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(1).over(owners)) for c in COUNT_COLUMNS)
    first = pl.int_range(pl.len()).over(owners) == 0
    # equal to the stored observation just after it: that one already records these counts (a file read again
    # after a crawl of the same pages, with earlier page times)
    as_next = pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(-1).over(owners)) for c in COUNT_COLUMNS) & (
        pl.col("_new").shift(-1).over(owners).not_())
    return sequence.filter(pl.col("_new") & (first | ~repeats) & ~as_next.fill_null(False)).select(list(OBSERVATIONS))


HASHED_MIN_EDGES = 100_000  # commits with this many edge rows number their keys by hashing (vertex_numbers.py)


def _extend(index: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """`index` with the (platform, id) `keys` it lacks appended, numbered on, in (platform, id) order."""
    fresh = (keys.unique().join(index.select("platform", "id"), on=["platform", "id"], how="anti", nulls_equal=True)
             .sort("platform", "id", nulls_last=False))
    if fresh.height == 0:
        return index
    return pl.concat([index, fresh.select((pl.int_range(pl.len(), dtype=pl.Int64) + index.height).alias("ix"),
                                          "platform", "id")])


def _with_ends(edges: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """`edges` with `INDEX_COLUMNS`: the index numbers of (platform, src) and (platform, dst)."""
    keyed = index.select("platform", "id", "ix")
    for end, column in zip(("src", "dst"), INDEX_COLUMNS):
        edges = edges.join(keyed.rename({"id": end, "ix": column}), on=["platform", end], how="left",
                           maintain_order="left", nulls_equal=True)
    return edges


class _Vanished(Exception):
    """A table file the manifest names was removed before it could be opened (a commit raced the reader)."""


@dataclass
class _Snapshot:
    """One committed generation held by a reader: its manifest and its table files, open and share-locked.

    The files are held as bare descriptors, closed by `close()` or when the Workspace holding
    them is collected (a descriptor needs no finaliser of its own, so none warns).
    """

    manifest: dict
    fds: dict[str, int]
    release: weakref.finalize  # closes `fds` once: at close(), or when the owning Workspace is collected

    def close(self) -> None:
        self.release()


def _close_all(fds: dict[str, int]) -> None:
    while fds:
        os.close(fds.popitem()[1])


def _empty_manifest() -> dict:
    return {"format": FORMAT_VERSION, "generation": 0, "tables": {}, "sources": {}}


def _open_locked(path: Path) -> int:
    """`path` open for reading with a shared flock, still linked; _Vanished if a commit removed it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise _Vanished(path) from None
    except OSError as exc:
        raise BadInput(f"table file is unreadable ({exc.__class__.__name__})", path=path, hint=HINT_TABLE) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        if os.fstat(fd).st_nlink == 0:
            raise _Vanished(path)
    except BlockingIOError:
        os.close(fd)
        raise _Vanished(path) from None  # a commit is removing it this instant
    except BaseException:
        os.close(fd)
        raise
    return fd


def _remove_unheld(path: Path) -> bool:
    """Remove `path` unless a reader holds it (a non-blocking try); True when it is gone."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return True
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        path.unlink(missing_ok=True)
    return True


class Workspace:
    """A folder holding the accounts, posts and edges tables.

    A Workspace object reads one committed generation from its first read on (see the module
    docstring); `refresh()` moves it to the latest.

    >>> ws = Workspace("my-workspace")          # doctest: +SKIP
    >>> ws.commit(batch)                         # doctest: +SKIP
    >>> ws.table("edges").height                 # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise BadInput("workspace path is a file, not a folder", path=self.path,
                           hint="choose a folder with `workspace`", param="workspace")
        if self.path.is_dir() and not (self.path / MANIFEST).exists():
            own = {"tables", "results", "crawl", ".lock", JOURNAL}
            stray = [p.name for p in self.path.iterdir() if p.name not in own and not p.name.endswith(TEMP_SUFFIX)]
            if stray:
                raise BadInput("folder is not an influgraph workspace (no manifest.json) and is not empty",
                               path=self.path, hint="choose a new or empty folder with `workspace`", param="workspace")
        if not self.path.exists():
            if not create:
                raise BadInput("no workspace here", path=self.path,
                               hint="import or crawl into it first, or choose another folder with `workspace`",
                               param="workspace")
        self._snap: _Snapshot | None = None
        if self.path.is_dir() and self._has_debris():
            try:
                self._recover(blocking=False)
            except PermissionError:
                pass  # a read-only workspace can still be read; a writer will clean up

    # ----------------------------------------------------------------- reading
    def exists(self) -> bool:
        """True once a first commit has been made."""
        return (self.path / MANIFEST).exists()

    def read_manifest(self) -> dict:
        """The manifest on disk now, validated (an empty one before the first commit); BadInput if damaged."""
        path = self.path / MANIFEST
        if not path.exists():
            return _empty_manifest()
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise BadInput(f"manifest is unreadable ({exc.__class__.__name__})", path=path,
                           hint=HINT_MANIFEST) from None
        return validate_manifest(manifest, path, FORMAT_VERSION)

    def _snapshot(self) -> _Snapshot:
        if self._snap is None:
            self._snap = self._take_snapshot()
        return self._snap

    def _take_snapshot(self) -> _Snapshot:
        """Read the manifest and open its table files; again if a commit removed one in between."""
        missing = None
        for attempt in range(_SNAPSHOT_TRIES):
            manifest, fds = self.read_manifest(), {}
            try:
                for name, entry in manifest["tables"].items():
                    path = self.path / "tables" / entry["file"]
                    fds[name] = _open_locked(path)
                    with os.fdopen(os.dup(fds[name]), "rb") as handle:
                        verify_stamp(handle, entry, path)
                return _Snapshot(manifest, fds, weakref.finalize(self, _close_all, fds))
            except _Vanished as vanished:
                missing = vanished.args[0]
                _close_all(fds)
                time.sleep(0.01 * (attempt + 1))
            except BaseException:
                _close_all(fds)
                raise
        raise BadInput("table file is missing", path=missing, hint=HINT_TABLE)

    def refresh(self) -> None:
        """Let the next read see the latest committed generation (releasing the files of the one held)."""
        if self._snap is not None:
            self._snap.close()
            self._snap = None

    def close(self) -> None:
        """Release the table files this object holds (it reads the latest generation if used again)."""
        self.refresh()

    def manifest(self) -> dict:
        """The manifest of the generation this object reads (an empty one before the first commit)."""
        return self._snapshot().manifest

    def _table_path(self, name: str) -> Path | None:
        if name not in TABLES and name not in HISTORY:
            raise BadInput(f"unknown table {name!r}", hint=f"one of {', '.join([*TABLES, *HISTORY])}")
        entry = self.manifest()["tables"].get(name)
        return None if entry is None else self.path / "tables" / entry["file"]

    def table(self, name: str, *, with_ends: bool = False) -> pl.DataFrame:
        """The whole table `name` ("accounts", "posts", "edges" or "observations") as a DataFrame.

        `with_ends` (edges only): also the columns `src_ix` and `dst_ix`, the vertex numbers of each
        row's ends, when the workspace has its vertex index (`vertex_index`); so a caller that needs
        the rows and their ends reads them once and maps no string.
        """
        path = self._table_path(name)
        if path is None:
            return empty(name)
        try:
            frame = pl.read_parquet(path)
        except _READ_ERRORS as exc:
            raise BadInput(f"table file is unreadable ({exc.__class__.__name__})", path=path, hint=HINT_TABLE) from None
        if with_ends and name == "edges" and {"src_ix", "dst_ix"} <= set(frame.columns):
            return conform(frame, name).with_columns(frame["src_ix"].cast(pl.Int64), frame["dst_ix"].cast(pl.Int64))
        return conform(frame, name)

    def scan(self, name: str) -> pl.LazyFrame:
        """The table `name` as a lazy frame (for large workspaces)."""
        path = self._table_path(name)
        return empty(name).lazy() if path is None else pl.scan_parquet(path)

    def table_file(self, name: str) -> Path | None:
        """The Parquet file of table `name` in the current generation (None before it has rows), for other engines."""
        return self._table_path(name)

    def vertex_index(self) -> pl.LazyFrame | None:
        """The stable vertex index (columns ix, platform, id; row i has ix i), or None when this
        workspace has none (empty, or written before the index existed: its first commit adds it).

        Its edges then carry `src_ix` and `dst_ix` (`scan("edges")`), the numbers of their ends.
        """
        entries = self.manifest()["tables"]
        if "vertices" not in entries:
            return None
        return pl.scan_parquet(self.path / "tables" / entries["vertices"]["file"])

    def vertex_count(self) -> int:
        """Rows of the vertex index (0 without one): every (platform, id) the workspace holds."""
        return int(self.manifest()["tables"].get("vertices", {}).get("rows", 0))

    def tables(self) -> Batch:
        """All three tables as a Batch."""
        return Batch(**{name: self.table(name) for name in TABLES})

    def counts(self) -> dict[str, int]:
        """Row counts per table, from the manifest (no table is read)."""
        entries = self.manifest()["tables"]
        return {name: int(entries.get(name, {}).get("rows", 0)) for name in TABLES}

    def content_hash(self) -> str:
        """One hash over the content of the three tables and the observations; equal content gives an equal hash."""
        entries = self.manifest()["tables"]
        digest = hashlib.sha256()
        for name in (*TABLES, *HISTORY):
            digest.update(name.encode())
            digest.update(entries.get(name, {}).get("sha256", table_hash(empty(name))).encode())
        return digest.hexdigest()

    def facts_hash(self) -> str:
        """A hash over the three tables without `observed_at` (and without the observations): equal when two
        workspaces hold the same facts, observed at whatever times (a crawl stopped and resumed against one
        uninterrupted). Reads every table; `content_hash` reads none.

        Example: ``Workspace("a").facts_hash() == Workspace("b").facts_hash()``.
        """
        digest = hashlib.sha256()
        for name in TABLES:
            digest.update(name.encode())
            digest.update(table_hash(self.table(name).drop(OBSERVED_AT)).encode())
        return digest.hexdigest()

    def sources(self) -> dict[str, dict]:
        """Files imported so far, by the sha256 of their bytes."""
        return dict(self.manifest().get("sources", {}))

    # ----------------------------------------------------------------- writing
    @contextmanager
    def _locked(self, *, blocking: bool = True) -> Iterator[bool]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "a+") as lock:
            flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
            try:
                fcntl.flock(lock, flags)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _has_debris(self) -> bool:
        """True when a killed writer may have left something: a commit journal or a temp file."""
        return (self.path / JOURNAL).exists() or next(self.path.rglob(f"*{TEMP_SUFFIX}"), None) is not None

    def _recover(self, *, blocking: bool) -> None:
        with self._locked(blocking=blocking) as held:
            if held:
                self._recover_locked()

    def _recover_locked(self) -> None:
        """Remove temp files, and the table files a leftover journal names that the manifest does not.

        Only what an interrupted commit of this workspace provably wrote is removed: a table file
        no journal names is kept, whatever the manifest says. A journal that cannot be read, or
        sits beside a damaged manifest, proves nothing and is left for `influgraph check`.
        """
        remove_orphan_temps(self.path)
        journal = self.path / JOURNAL
        if not journal.exists():
            return
        try:
            named = json.loads(journal.read_text(encoding="utf-8"))["files"]
            manifest = self.read_manifest()
        except (OSError, ValueError, KeyError, TypeError, BadInput):
            return
        live = {entry["file"] for entry in manifest["tables"].values()}
        live.update(name for item in manifest.get("retired", []) for name in item["files"])
        for name in named if isinstance(named, list) else []:
            if isinstance(name, str) and TABLE_FILE.match(name) and name not in live:
                (self.path / "tables" / name).unlink(missing_ok=True)
        journal.unlink(missing_ok=True)

    def _next_generation(self, manifest: dict) -> int:
        """Above the manifest's generation and every table file on disk, so no commit overwrites a kept file."""
        folder = self.path / "tables"
        on_disk = [file_generation(p.name) for p in folder.iterdir()] if folder.is_dir() else []
        return max([int(manifest["generation"]), *(g for g in on_disk if g is not None)]) + 1

    def _retire(self, manifest: dict, new_tables: dict) -> list[dict]:
        """The new manifest's `retired` list: the replaced files of the last generations, older ones removed.

        A file of a generation older than the last `KEEP_GENERATIONS` is removed unless a reader
        holds it (then a later commit tries again); a file the new manifest names is never removed.
        """
        live = {entry["file"] for entry in new_tables.values()}
        retired = [dict(item) for item in manifest.get("retired", [])]
        replaced = sorted({entry["file"] for entry in manifest["tables"].values()} - live)
        if replaced:
            retired.append({"generation": int(manifest["generation"]), "files": replaced})
        kept = []
        for index, item in enumerate(retired):
            if index < len(retired) - (KEEP_GENERATIONS - 1):  # by order: generation numbers may jump
                item["files"] = [name for name in item["files"] if name in live
                                 or not _remove_unheld(self.path / "tables" / name)]
            if item["files"]:
                kept.append(item)
        return kept

    def _stored_edges(self) -> pl.DataFrame:
        """The edges table with its `INDEX_COLUMNS` (absent in a workspace written before the index)."""
        path = self._table_path("edges")
        if path is None:
            return empty("edges").with_columns(pl.lit(None, pl.Int64).alias(c) for c in INDEX_COLUMNS)
        try:
            frame = pl.read_parquet(path)
        except _READ_ERRORS as exc:
            raise BadInput(f"table file is unreadable ({exc.__class__.__name__})", path=path, hint=HINT_TABLE) from None
        if not set(INDEX_COLUMNS) <= set(frame.columns):
            return conform(frame, "edges")
        return conform(frame, "edges").with_columns(frame.select(pl.col(c).cast(pl.Int64) for c in INDEX_COLUMNS))

    def _index_update(self, batch: Batch, manifest: dict) -> tuple[pl.DataFrame | None, dict[str, pl.DataFrame]]:
        """The vertex index after this commit (None when it gains no key), and the edge frames to upsert with
        their `INDEX_COLUMNS`: the batch's edges, and (once, for a workspace without the index) the stored ones.

        New keys are numbered after the known ones: first the new accounts, then the edge ends that have
        no account row, each group in (platform, id) order. Large commits number by 128-bit fingerprints in
        a compiled hash table (`vertex_numbers.number_commit`); small ones, and the astronomically rare
        fingerprint collision, map ends by joins, where only the ends no account names go through a unique.
        """
        stored = None
        if "vertices" in manifest["tables"]:
            stored = pl.read_parquet(self.path / "tables" / manifest["tables"]["vertices"]["file"])
        accounts, edge_frames = [batch.accounts.select("platform", "id")], {"edges": batch.edges}
        if stored is None and manifest["tables"]:  # an old workspace: index everything it holds, once
            accounts.append(self.table("accounts").select("platform", "id"))
            edge_frames["stored_edges"] = self._stored_edges().drop(INDEX_COLUMNS, strict=False)
        index = stored if stored is not None else empty("vertices")
        if sum(frame.height for frame in edge_frames.values()) >= HASHED_MIN_EDGES:
            from .vertex_numbers import number_commit

            numbered = number_commit(index, pl.concat(accounts), edge_frames)
            if numbered is not None:
                return (numbered[0] if stored is None or numbered[0].height > stored.height else None), numbered[1]
        index = _extend(index, pl.concat(accounts))
        frames = {name: _with_ends(frame, index) for name, frame in edge_frames.items()}
        loose = [frame.filter(pl.col(column).is_null()).select("platform", pl.col(end).alias("id"))
                 for frame in frames.values() for end, column in zip(("src", "dst"), INDEX_COLUMNS)]
        loose = pl.concat(loose)
        if loose.height:  # edge ends without an account row: numbered, then those rows mapped again
            index = _extend(index, loose)
            frames = {name: _with_ends(frame.drop(INDEX_COLUMNS), index) if frame.select(
                pl.any_horizontal(pl.col(c).is_null() for c in INDEX_COLUMNS).any()).item() else frame
                for name, frame in frames.items()}
        grew = stored is None or index.height > stored.height
        return (index if grew else None), frames

    def _write_tables(self, batch: Batch, manifest: dict, generation: int) -> dict:
        """Write the new files of the tables `batch` changes and of the vertex index (journal first); returns
        the new `tables` entries."""
        new_tables = dict(manifest["tables"])
        index, edges = self._index_update(batch, manifest)
        candidates = [table_file_name(name, generation) for name in (*TABLES, *HISTORY, "vertices")]
        journaled = False

        def write(name: str, frame: pl.DataFrame, digest: str) -> None:
            nonlocal journaled
            if not journaled:
                atomic_write_bytes(self.path / JOURNAL,
                                   json.dumps({"generation": generation, "files": candidates}).encode())
                journaled = True
            file_name = table_file_name(name, generation)
            path = self.path / "tables" / file_name
            atomic_write(path, lambda handle: frame.write_parquet(handle, statistics=True))
            new_tables[name] = {"file": file_name, "rows": frame.height, "sha256": digest, **file_stamp(path)}

        for name, rows in batch.frames().items():
            migrating = name == "edges" and "stored_edges" in edges
            if rows.height == 0 and not migrating:
                continue
            if name == "edges":
                old = edges["stored_edges"] if migrating else self._stored_edges()
                merged = upsert(old, edges["edges"], name)
                digest = table_hash(merged.drop(INDEX_COLUMNS))  # the index is derived: not content
                if digest != manifest["tables"].get(name, {}).get("sha256") or migrating:
                    merged = _in_index_order(merged)  # a build then sums neighbours: no sort
            else:
                merged = upsert(self.table(name), rows, name)
                digest = table_hash(merged)
            if digest != manifest["tables"].get(name, {}).get("sha256") or migrating:
                write(name, merged, digest)
        stored = self.table("observations")
        added = new_observations(stored, batch.accounts)
        if added.height:
            history = pl.concat([stored, added]).sort("platform", "id", OBSERVED_AT)
            write("observations", history, table_hash(history))
        if index is not None:
            write("vertices", index, table_hash(index))
        return new_tables

    def commit(self, batch: Batch, *, sources: dict[str, dict] | None = None) -> CommitResult:
        """Upsert `batch` into the tables as one atomic change; returns what changed.

        `sources` (sha256 of an input file -> description) is recorded in the manifest, for
        provenance only: it does not enter the content hash. Afterwards this object reads the
        generation the commit made.
        """
        with self._locked():
            self._recover_locked()
            self.refresh()
            manifest = self.manifest()
            before = self.counts()
            generation = self._next_generation(manifest)
            new_tables = self._write_tables(batch, manifest, generation)
            changed = new_tables != manifest["tables"]
            known_sources = dict(manifest.get("sources", {}))
            new_sources = {k: v for k, v in (sources or {}).items() if k not in known_sources}
            if changed or new_sources:
                known_sources.update(new_sources)
                new_manifest = {"format": FORMAT_VERSION, "generation": generation, "tables": new_tables,
                                "sources": known_sources, "retired": self._retire(manifest, new_tables)}
                atomic_write_bytes(self.path / MANIFEST,
                                   json.dumps(new_manifest, indent=1, ensure_ascii=False).encode("utf-8"))
                fsync_dir(self.path)
            (self.path / JOURNAL).unlink(missing_ok=True)
            self.refresh()
            after, content_hash = self.counts(), self.content_hash()
        return CommitResult(before=before, after=after, content_hash=content_hash, changed=changed)

    # ----------------------------------------------------------------- analysis results
    def _result_path(self, name: str) -> Path:
        if not _RESULT_NAME.fullmatch(name):
            raise BadInput(f"result name {name!r} is not allowed", hint="use 1-80 of a-z, 0-9, '_' and '-'")
        folder = self.path / "results"
        if folder.exists() and not folder.is_dir():
            raise BadInput("results is not a folder", path=folder,
                           hint="move the file away; stored results are kept in that folder and made again by "
                                "running their analysis")
        return folder / f"{name}.parquet"

    def write_result(self, name: str, frame: pl.DataFrame) -> Path:
        """Store an analysis table (communities, rankings...) atomically as results/NAME.parquet.

        The file carries its name and column names in its Parquet metadata, so a file put in
        its place (another result, another table) is told apart on read.
        """
        path = self._result_path(name)
        stamp = {RESULT_STAMP: name, COLUMNS_STAMP: json.dumps(frame.columns, ensure_ascii=False)}
        with self._locked():
            atomic_write(path, lambda handle: frame.write_parquet(handle, metadata=stamp))
        return path

    def read_result(self, name: str, columns: tuple[str, ...] = ()) -> pl.DataFrame | None:
        """An analysis table stored by `write_result`, or None when there is none; BadInput when it is damaged.

        `columns` are the columns a reader needs. A stamped file must match its stamp; a file without
        a stamp (stored before results were stamped) is read when it holds those columns, so a
        workspace written by an earlier version keeps its results.
        """
        path = self._result_path(name)
        try:
            handle = open(path, "rb")  # one open file: a result replaced meanwhile is read whole, old or new
        except FileNotFoundError:
            return None
        with handle:
            try:
                frame = pl.read_parquet(handle)
                handle.seek(0)
                stamp = pl.read_parquet_metadata(handle)
            except _READ_ERRORS as exc:
                raise BadInput(f"stored result is not a readable Parquet file ({exc.__class__.__name__})",
                               path=path, hint=HINT_RESULT) from None
        problem = _result_problem(name, frame, stamp, columns)
        if problem:
            raise BadInput(problem, path=path, hint=HINT_RESULT)
        return frame

    def drop_result(self, name: str) -> Path:
        """Remove the stored result `name` (a damaged one, say); returns its path. Tables are never dropped."""
        path = self._result_path(name)
        with self._locked():
            path.unlink(missing_ok=True)
        return path

    def drop_results_file(self) -> Path:
        """Remove a file that stands where the results folder belongs (a damaged workspace); returns its path."""
        folder = self.path / "results"
        with self._locked():
            if folder.exists() and not folder.is_dir():
                folder.unlink()
        return folder

    def result_names(self) -> list[str]:
        """Names of the stored analysis tables, sorted."""
        folder = self.path / "results"
        return sorted(p.stem for p in folder.glob("*.parquet") if _RESULT_NAME.fullmatch(p.stem)) if folder.is_dir() else []


def _result_problem(name: str, frame: pl.DataFrame, stamp: dict[str, str], needed: tuple[str, ...]) -> str | None:
    """What is wrong with a stored result read back under `name` for a reader needing `needed` columns, or None."""
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        return (f"stored result lacks the column(s) {', '.join(missing)[:120]} a {name!r} result has "
                "(written by another program, or by hand)")
    if RESULT_STAMP not in stamp:
        return None  # stored before results were stamped: its columns were checked above
    if stamp[RESULT_STAMP] != name:
        return f"file holds the stored result {stamp[RESULT_STAMP][:80]!r}, not {name!r}"
    try:
        columns = json.loads(stamp.get(COLUMNS_STAMP, "null"))
    except ValueError:
        columns = None
    if columns != frame.columns:
        return "stored result's columns differ from those it was written with"
    return None
