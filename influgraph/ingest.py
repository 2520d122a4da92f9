"""Import files into a workspace: detect each file's format, read it, commit everything at once.

All files of one call are read and validated before anything is written, so a bad row in
the last file leaves the workspace exactly as it was. Re-importing a file changes nothing.
"""
from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import BadInput
from .schema import Batch, long_id
from .sources.base import ImportOptions, ReadResult
from .workspace import CommitResult, Workspace

__all__ = ["FORMATS", "read_path", "import_paths", "ImportReport", "file_time"]

# format name -> "module:function" of a reader `(path, options) -> ReadResult`, loaded lazily.
FORMATS: dict[str, str] = {
    "x-json": "influgraph.sources.xjson:read_x_json",
    "bluesky-json": "influgraph.sources.bluesky:read_bluesky_json",
    "mastodon-json": "influgraph.sources.mastodon:read_mastodon_json",
    "csv": "influgraph.sources.tabular:read_csv",
    "tsv": "influgraph.sources.tabular:read_tsv",
    "parquet": "influgraph.sources.tabular:read_parquet",
    "snap": "influgraph.sources.tabular:read_snap",
    "graphml": "influgraph.sources.graphfiles:read_graphml",
    "gexf": "influgraph.sources.graphfiles:read_gexf",
    "gml": "influgraph.sources.graphfiles:read_gml",
}


def _reader(fmt: str) -> Callable[[Path, ImportOptions], ReadResult]:
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}", param="format")
    module, function = FORMATS[fmt].split(":")
    return getattr(importlib.import_module(module), function)


def read_path(path: str | Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """Read one file into a Batch, detecting its format from content unless `options.format` is set."""
    path = Path(path)
    if options.format:
        result = _reader(options.format)(path, options)
    else:
        from .sources.detect import detect_format

        result = _reader(detect_format(path))(path, options)
    reason = long_id(result.batch.frames())  # every reader checks ids itself, with the line; this is the backstop
    if reason:
        raise BadInput(reason, path=path, hint="ids are at most 256 characters; check the file's columns or `format`")
    result.batch = result.batch.observed(file_time(path))  # rows without a recorded retrieval time
    return result


def file_time(path: Path) -> datetime:
    """When the file at `path` was last modified, in UTC to the microsecond: the `observed_at` of its rows
    when the file records no retrieval time.

    Example: ``file_time(Path("brexit.jsonl")).year``.
    """
    micros = path.stat().st_mtime_ns // 1000  # exact: a float of seconds would round differently across runs
    return datetime.fromtimestamp(micros // 1_000_000, tz=timezone.utc) + timedelta(microseconds=micros % 1_000_000)


@dataclass
class ImportReport:
    """What an import did: per-file results and the commit."""

    files: list[dict] = field(default_factory=list)
    commit: CommitResult | None = None

    def notes(self) -> list[str]:
        """Warnings and skip counts from all files."""
        return [note for f in self.files for note in f["notes"]]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_paths(
    workspace: Workspace,
    paths: Iterable[str | Path],
    options: ImportOptions = ImportOptions(),
    *,
    on_file: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Read every file in `paths`, then upsert all their rows into `workspace` in one commit.

    Example::

        report = import_paths(Workspace("ws"), ["brexit.jsonl"])
        report.commit.after    # {'accounts': ..., 'posts': ..., 'edges': ...}
    """
    if any(not str(p).strip() for p in paths):
        raise BadInput("an empty path was given as a file to import", hint="name the files to import")
    paths = [Path(p) for p in paths]
    if not paths:
        raise BadInput("no input files given", hint="name one or more files to import")
    if options.format:
        _reader(options.format)  # an unknown `format` fails before any file is read
    missing = [p for p in paths if not p.is_file()]
    if missing:
        what = "is a folder, not a file" if missing[0].is_dir() else "no such file"
        raise BadInput(what, path=missing[0], hint="check the path; name the files to import")
    report = ImportReport()
    batches: list[Batch] = []
    sources: dict[str, dict] = {}
    for path in paths:
        if on_file:
            on_file(path)
        file_options = options if options.dataset else replace(options, dataset=path.name)
        result = read_path(path, file_options)
        batches.append(result.batch)
        digest = _sha256(path)
        sources[digest] = {"path": str(path), "format": result.format, "rows": result.rows_read}
        report.files.append({
            "path": str(path),
            "format": result.format,
            "rows_read": result.rows_read,
            "skipped": result.skipped,
            "rows": result.batch.counts(),
            "notes": list(result.notes),
        })
    report.commit = workspace.commit(Batch.concat(batches), sources=sources)
    return report
