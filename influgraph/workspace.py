"""The workspace: a folder that owns the tables and is the only code that writes them.

Layout::

    WORKSPACE/
      manifest.json            which table file is current, row counts and content hashes
      tables/accounts-000007.parquet
      tables/posts-000007.parquet
      tables/edges-000005.parquet
      .lock                    held by the one writer at a time

A commit writes new table files (temp, fsync, rename), then swaps `manifest.json` the same way.
The manifest swap is the single moment a commit takes effect, so the three tables change
together or not at all; a process killed at any instant leaves the previous generation
readable. Files no manifest names (a killed commit's) and temp files are removed at the next
open or commit.

Upserts are idempotent by key (`schema.KEYS`): committing the same batch twice changes nothing,
neither row counts nor the content hash. For accounts and posts a newer non-null value replaces
an older one, and a null never erases a known value (a mention stub does not wipe a bio).
For edges the newer row replaces the older one whole.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from .atomic import TEMP_SUFFIX, atomic_write, atomic_write_bytes, fsync_dir, remove_orphan_temps
from .errors import BadInput
from .schema import KEYS, TABLES, Batch, conform, empty, repeated_keys

__all__ = ["Workspace", "CommitResult"]

MANIFEST = "manifest.json"
_RESULT_NAME = re.compile(r"[a-z0-9_-]{1,80}")
FORMAT_VERSION = 1


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


def _dedupe_coalescing(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Collapse rows with equal keys: per column, the last non-null value wins."""
    values = [c for c in frame.columns if c not in keys]
    return frame.group_by(keys, maintain_order=True).agg(
        [pl.col(c).drop_nulls().last() for c in values]
    ).select(frame.columns)


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
        return pl.concat([merged.filter(~repeated), kept]).rechunk()
    new = _dedupe_coalescing(new, keys)
    key_frame = new.select(keys)
    untouched = old.join(key_frame, on=keys, how="anti", nulls_equal=True)
    overlap = old.join(key_frame, on=keys, how="semi", nulls_equal=True)
    merged = _dedupe_coalescing(pl.concat([overlap, new], how="vertical"), keys) if overlap.height else new
    return pl.concat([untouched, merged], how="vertical").rechunk()


class Workspace:
    """A folder holding the accounts, posts and edges tables.

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
            stray = [p.name for p in self.path.iterdir()
                     if p.name not in {"tables", "results", "crawl", ".lock"} and not p.name.endswith(TEMP_SUFFIX)]
            if stray:
                raise BadInput("folder is not an influgraph workspace (no manifest.json) and is not empty",
                               path=self.path, hint="choose a new or empty folder with `workspace`", param="workspace")
        if not self.path.exists():
            if not create:
                raise BadInput("no workspace here", path=self.path,
                               hint="import or crawl into it first, or choose another folder with `workspace`",
                               param="workspace")
        self._manifest_cache: dict | None = None
        if self.path.is_dir():
            try:
                self._clean_orphans(blocking=False)
            except PermissionError:
                pass  # a read-only workspace can still be read; a writer will clean up

    # ----------------------------------------------------------------- reading
    def exists(self) -> bool:
        """True once a first commit has been made."""
        return (self.path / MANIFEST).exists()

    def manifest(self) -> dict:
        """The current manifest (an empty one before the first commit)."""
        path = self.path / MANIFEST
        if not path.exists():
            return {"format": FORMAT_VERSION, "generation": 0, "tables": {}, "sources": {}}
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(f"manifest is unreadable ({exc.__class__.__name__})", path=path,
                           hint="restore it from a backup; the table files beside it are intact") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
            raise BadInput("manifest has an unknown format", path=path,
                           hint=f"this influgraph reads workspace format {FORMAT_VERSION}")
        return manifest

    def table(self, name: str) -> pl.DataFrame:
        """The whole table `name` ("accounts", "posts" or "edges") as a DataFrame."""
        if name not in TABLES:
            raise BadInput(f"unknown table {name!r}", hint=f"one of {', '.join(TABLES)}")
        for attempt in range(3):
            entry = self.manifest()["tables"].get(name)
            if entry is None:
                return empty(name)
            try:
                return conform(pl.read_parquet(self.path / "tables" / entry["file"]), name)
            except FileNotFoundError:
                time.sleep(0.05 * (attempt + 1))  # a concurrent commit replaced it; re-read the manifest
        raise BadInput("table file is missing", path=self.path / "tables" / entry["file"],
                       hint="another process may be rewriting the workspace; retry")

    def scan(self, name: str) -> pl.LazyFrame:
        """The table `name` as a lazy frame (for large workspaces)."""
        entry = self.manifest()["tables"].get(name)
        if entry is None:
            return empty(name).lazy()
        return pl.scan_parquet(self.path / "tables" / entry["file"])

    def table_file(self, name: str) -> Path | None:
        """The Parquet file of table `name` in the current generation (None before it has rows), for other engines."""
        entry = self.manifest()["tables"].get(name)
        return None if entry is None else self.path / "tables" / entry["file"]

    def tables(self) -> Batch:
        """All three tables as a Batch."""
        return Batch(**{name: self.table(name) for name in TABLES})

    def counts(self) -> dict[str, int]:
        """Row counts per table, from the manifest (no table is read)."""
        entries = self.manifest()["tables"]
        return {name: int(entries.get(name, {}).get("rows", 0)) for name in TABLES}

    def content_hash(self) -> str:
        """One hash over the content of the three tables; equal content gives an equal hash."""
        entries = self.manifest()["tables"]
        digest = hashlib.sha256()
        for name in TABLES:
            digest.update(name.encode())
            digest.update(entries.get(name, {}).get("sha256", table_hash(empty(name))).encode())
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

    def _clean_orphans(self, *, blocking: bool) -> None:
        """Remove temp files and table files that no manifest names (left by a killed commit)."""
        with self._locked(blocking=blocking) as held:
            if not held:
                return
            remove_orphan_temps(self.path)
            tables_dir = self.path / "tables"
            if not tables_dir.is_dir():
                return
            live = {entry["file"] for entry in self.manifest()["tables"].values()}
            for file in tables_dir.iterdir():
                if file.is_file() and file.name not in live:
                    file.unlink(missing_ok=True)

    # ----------------------------------------------------------------- analysis results
    def _result_path(self, name: str) -> Path:
        if not _RESULT_NAME.fullmatch(name):
            raise BadInput(f"result name {name!r} is not allowed", hint="use 1-80 of a-z, 0-9, '_' and '-'")
        return self.path / "results" / f"{name}.parquet"

    def write_result(self, name: str, frame: pl.DataFrame) -> Path:
        """Store an analysis table (communities, rankings...) atomically as results/NAME.parquet."""
        path = self._result_path(name)
        with self._locked():
            atomic_write(path, lambda handle: frame.write_parquet(handle))
        return path

    def read_result(self, name: str) -> pl.DataFrame | None:
        """An analysis table stored by `write_result`, or None when there is none."""
        path = self._result_path(name)
        return pl.read_parquet(path) if path.exists() else None

    def result_names(self) -> list[str]:
        """Names of the stored analysis tables, sorted."""
        folder = self.path / "results"
        return sorted(p.stem for p in folder.glob("*.parquet") if _RESULT_NAME.fullmatch(p.stem)) if folder.is_dir() else []

    def commit(self, batch: Batch, *, sources: dict[str, dict] | None = None) -> CommitResult:
        """Upsert `batch` into the tables as one atomic change; returns what changed.

        `sources` (sha256 of an input file -> description) is recorded in the manifest, for
        provenance only: it does not enter the content hash.
        """
        with self._locked():
            remove_orphan_temps(self.path)
            manifest = self.manifest()
            before = self.counts()
            generation = int(manifest.get("generation", 0)) + 1
            new_tables = dict(manifest["tables"])
            changed = False
            for name, rows in batch.frames().items():
                if rows.height == 0:
                    continue
                old = self.table(name)
                merged = upsert(old, rows, name)
                digest = table_hash(merged)
                if digest == manifest["tables"].get(name, {}).get("sha256"):
                    continue
                file_name = f"{name}-{generation:06d}.parquet"
                atomic_write(self.path / "tables" / file_name,
                             lambda handle, frame=merged: frame.write_parquet(handle, statistics=True))
                new_tables[name] = {"file": file_name, "rows": merged.height, "sha256": digest}
                changed = True
            known_sources = dict(manifest.get("sources", {}))
            new_sources = {k: v for k, v in (sources or {}).items() if k not in known_sources}
            if changed or new_sources:
                known_sources.update(new_sources)
                new_manifest = {"format": FORMAT_VERSION, "generation": generation,
                                "tables": new_tables, "sources": known_sources}
                atomic_write_bytes(self.path / MANIFEST,
                                   json.dumps(new_manifest, indent=1, ensure_ascii=False).encode("utf-8"))
                fsync_dir(self.path)
                live = {entry["file"] for entry in new_tables.values()}
                for file in (self.path / "tables").glob("*.parquet"):
                    if file.name not in live:
                        file.unlink(missing_ok=True)
        return CommitResult(before=before, after=self.counts(), content_hash=self.content_hash(), changed=changed)
