"""The workspace manifest's rules: what a valid manifest holds, how table files are named and stamped.

The manifest is the one file that says which table files make the current generation (the
three tables and the vertex index, `vertices`, which a workspace written before it lacks). It is
read by every command, so it is validated whole before anything trusts it: a manifest that is
not JSON, whose `tables` is not an object, whose entry lacks `file`, whose `rows` is not an
integer, or whose file name points anywhere but a plain `NAME-GENERATION.parquet` in `tables/`
(no `../x`, no absolute path) is damaged, and every command says so in one line (BadInput).

Each table file is stamped at commit with its size and the sha256 of its last 64 KiB (the
Parquet footer: schema, row groups, offsets), cheap enough to verify on every open; the full
content hash (`sha256`, of the rows) is verified by `influgraph check`.

Why here: `workspace.py` (which writes the manifest) and `integrity.py` (which checks a
workspace) apply the same rules, so they live in one place.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import BinaryIO

import polars as pl

from .errors import BadInput
from .schema import STORED

__all__ = ["MANIFEST", "JOURNAL", "TABLE_FILE", "TAIL_BYTES", "HINT_MANIFEST", "HINT_TABLE", "HINT_RESULT",
           "table_file_name", "file_generation", "validate_manifest", "file_stamp", "verify_stamp"]

MANIFEST = "manifest.json"
JOURNAL = "commit-journal.json"
TABLE_FILE = re.compile(r"(accounts|posts|edges|observations|vertices)-([0-9]{6,12})\.parquet\Z")
TAIL_BYTES = 64 * 1024
PARQUET_MAGIC = b"PAR1"
HINT_MANIFEST = ("restore manifest.json from a backup (the table files beside it are kept), "
                 "or import the sources again into a new workspace")
HINT_TABLE = ("restore the workspace from a backup, or import its sources again into a new workspace; "
              "influgraph check lists every damaged file")
HINT_RESULT = "run influgraph check with `repair` to drop the damaged result, then run its analysis again"


def table_file_name(table: str, generation: int) -> str:
    """The file name of `table` written by commit `generation`.

    >>> table_file_name("edges", 7)
    'edges-000007.parquet'
    """
    return f"{table}-{generation:06d}.parquet"


def file_generation(name: str) -> int | None:
    """The generation in a table file's name, or None for a name no commit writes.

    >>> file_generation("posts-000012.parquet"), file_generation("../x")
    (12, None)
    """
    match = TABLE_FILE.match(name)
    return int(match.group(2)) if match else None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry_problem(table: str, entry: object) -> str | None:
    """What is wrong with the manifest entry of `table`, or None."""
    if table not in STORED:
        return f"names an unknown table {table!r}"
    if not isinstance(entry, dict):
        return f"entry of table {table!r} is not an object"
    file = entry.get("file")
    if not isinstance(file, str):
        return f"entry of table {table!r} has no file name"
    match = TABLE_FILE.match(file)
    if not match or match.group(1) != table:
        return f"file name {file[:80]!r} of table {table!r} is not a table file in tables/ (a path outside the folder?)"
    if not _is_count(entry.get("rows")):
        return f"rows of table {table!r} is not a non-negative integer"
    if not isinstance(entry.get("sha256"), str):
        return f"entry of table {table!r} has no content hash"
    for key in ("size",):
        if key in entry and not _is_count(entry[key]):
            return f"{key} of table {table!r} is not a non-negative integer"
    return None


def _retired_problem(retired: object) -> str | None:
    if not isinstance(retired, list):
        return "retired is not a list"
    for item in retired:
        if not (isinstance(item, dict) and _is_count(item.get("generation")) and isinstance(item.get("files"), list)
                and all(isinstance(f, str) and TABLE_FILE.match(f) for f in item["files"])):
            return "retired holds an entry that is not a generation with table file names"
    return None


def validate_manifest(manifest: object, path: Path, version: int) -> dict:
    """`manifest` (parsed JSON) if it is a valid manifest of format `version`; else BadInput naming `path`.

    >>> validate_manifest({"format": 1, "generation": 0, "tables": {}}, Path("m.json"), 1)["tables"]
    {}
    """
    if not isinstance(manifest, dict) or manifest.get("format") != version:
        raise BadInput("manifest has an unknown format", path=path,
                       hint=f"this influgraph reads workspace format {version}; if the manifest is damaged, {HINT_MANIFEST}")
    problem = None
    if not _is_count(manifest.get("generation")):
        problem = "generation is not a non-negative integer"
    elif "tables" not in manifest:
        problem = "it has no tables"
    elif not isinstance(manifest["tables"], dict):
        problem = f"tables is a {type(manifest['tables']).__name__}, not an object"
    elif not isinstance(manifest.get("sources", {}), dict):
        problem = "sources is not an object"
    else:
        problem = next((p for t, e in manifest["tables"].items() if (p := _entry_problem(t, e))), None)
        problem = problem or _retired_problem(manifest.get("retired", []))
    if problem:
        raise BadInput(f"manifest is damaged: {problem}", path=path, hint=HINT_MANIFEST)
    return manifest


def _tail_digest(handle: BinaryIO, size: int) -> str:
    handle.seek(max(0, size - TAIL_BYTES))
    return hashlib.sha256(handle.read(TAIL_BYTES)).hexdigest()


def file_stamp(path: Path) -> dict:
    """The stamp recorded in the manifest for a table file: its size and the sha256 of its tail.

    Example: ``{"file": name, **file_stamp(tables / name)}``.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return {"size": size, "tail_sha256": _tail_digest(handle, size)}


def verify_stamp(handle: BinaryIO, entry: dict, path: Path) -> None:
    """Raise BadInput naming `path` unless the open table file matches its manifest `entry`.

    Checks the Parquet magic at both ends, the recorded size and tail hash when the entry has
    them (manifests written before stamps existed have neither), and the row count in the
    Parquet footer against the entry's `rows`.
    """
    size = os.fstat(handle.fileno()).st_size
    problem = None
    if "size" in entry and size != entry["size"]:
        problem = f"table file has {size:,} bytes, the manifest records {entry['size']:,} (truncated or replaced)"
    else:
        handle.seek(0)
        head = handle.read(4)
        handle.seek(max(0, size - 4))
        if size < 12 or head != PARQUET_MAGIC or handle.read(4) != PARQUET_MAGIC:
            problem = "table file is not a complete Parquet file (truncated or overwritten)"
        elif "tail_sha256" in entry and _tail_digest(handle, size) != entry["tail_sha256"]:
            problem = "table file's Parquet footer differs from the one recorded at commit (altered)"
    if not problem:
        try:
            rows = pl.scan_parquet(path).select(pl.len()).collect().item()  # from the footer only
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            rows, problem = None, f"table file is unreadable ({exc.__class__.__name__})"
        if rows is not None and rows != entry["rows"]:
            problem = f"table file holds {rows:,} rows, the manifest records {entry['rows']:,}"
    if problem:
        raise BadInput(problem, path=path, hint=HINT_TABLE)
