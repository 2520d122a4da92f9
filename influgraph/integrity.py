"""Workspace integrity: verify every table and stored result, say what is damaged and how to recover.

`check_workspace` reads a workspace the way no other command does, whole: the manifest's rules
(`manifest.py`), each table file's size, Parquet footer, rows and content hash against what the
commit recorded, and each stored result's stamp and columns. Every damaged file gives one
`Damage` (the file, what is wrong, how to recover). With `repair=True` damaged results are
dropped (an analysis can be run again); tables are never touched, since their rows may exist
nowhere else. Table files that no manifest names (newer files beside a manifest restored from a
backup, say) are listed as unreferenced and kept.

Why a module of its own: the CLI's `check` command and a notebook call the same function, and
the workspace stays the only code that writes (`Workspace.drop_result` does the dropping).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .atomic import TEMP_SUFFIX
from .errors import BadInput
from .manifest import HINT_TABLE, MANIFEST, verify_stamp
from .results import needed_columns
from .schema import conform
from .workspace import Workspace, table_hash

__all__ = ["Damage", "CheckResult", "check_workspace"]


@dataclass(frozen=True)
class Damage:
    """One damaged file: where, what is wrong, and the way out."""

    path: Path
    problem: str
    recovery: str

    def line(self) -> str:
        """The damage as one line: `path: problem (recovery)`."""
        return BadInput(self.problem, path=self.path, hint=self.recovery).one_line()


@dataclass(frozen=True)
class CheckResult:
    """What `check_workspace` found: damaged files, results dropped by a repair, unreferenced table files."""

    workspace: Path
    tables: int
    results: int
    damaged: list[Damage] = field(default_factory=list)
    dropped: list[Path] = field(default_factory=list)
    unreferenced: list[Path] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when no damage is left (a dropped result is no longer damage)."""
        return all(d.path in self.dropped for d in self.damaged)

    def to_dict(self) -> dict:
        """The result as JSON-ready data."""
        return {"workspace": str(self.workspace), "healthy": self.healthy, "tables": self.tables,
                "results": self.results,
                "damaged": [{"path": str(d.path), "problem": d.problem, "recovery": d.recovery,
                             "dropped": d.path in self.dropped} for d in self.damaged],
                "unreferenced": [str(p) for p in self.unreferenced]}


def _table_damage(path: Path, name: str, entry: dict) -> str | None:
    """What is wrong with one table file against its manifest entry, or None (reads the whole file)."""
    try:
        with open(path, "rb") as handle:
            verify_stamp(handle, entry, path)
            handle.seek(0)
            frame = conform(pl.read_parquet(handle), name)
    except FileNotFoundError:
        return "table file is missing"
    except BadInput as exc:
        return exc.message
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        return f"table file is unreadable ({exc.__class__.__name__})"
    if frame.height != entry["rows"]:
        return f"table file holds {frame.height:,} rows, the manifest records {entry['rows']:,}"
    if table_hash(frame) != entry["sha256"]:
        return "table file's rows differ from the content hash recorded at commit"
    return None


def _check_tables(ws: Workspace, damaged: list[Damage]) -> tuple[int, set[str] | None]:
    """Verify the manifest and every table it names; returns how many tables and the file names it accounts
    for (None when the manifest itself is damaged)."""
    try:
        ws.refresh()
        manifest = ws.manifest()  # holds the generation's files against a concurrent commit's cleanup...
    except BadInput:
        manifest = None  # ...unless one is damaged: then each file is checked on its own
    try:
        manifest = manifest or ws.read_manifest()
    except BadInput as exc:
        damaged.append(Damage(Path(exc.path or ws.path / MANIFEST), exc.message, exc.hint or ""))
        return 0, None
    named = {entry["file"] for entry in manifest["tables"].values()}
    named.update(name for item in manifest.get("retired", []) for name in item["files"])
    for name, entry in sorted(manifest["tables"].items()):
        path = ws.path / "tables" / entry["file"]
        problem = _table_damage(path, name, entry)
        if problem:
            damaged.append(Damage(path, problem, HINT_TABLE))
    return len(manifest["tables"]), named


def check_workspace(ws: Workspace, repair: bool = False) -> CheckResult:
    """Verify every table and stored result of `ws`; with `repair`, drop the damaged results.

    Parameters
    ----------
    ws : the workspace to check.
    repair : drop each damaged stored result (never a table); unreferenced table files are kept.

    Returns
    -------
    CheckResult: one `Damage` per damaged file, the results dropped, the unreferenced table files.

    Example: ``[d.line() for d in check_workspace(Workspace("ws")).damaged]``.
    """
    damaged: list[Damage] = []
    tables, named = _check_tables(ws, damaged)
    dropped: list[Path] = []
    folder = ws.path / "results"
    if folder.exists() and not folder.is_dir():
        damaged.append(Damage(folder, "results is not a folder", "run influgraph check with `repair` to remove it, "
                              "then run the analyses again"))
        if repair:
            dropped.append(ws.drop_results_file())
    names = ws.result_names()
    for name in names:
        try:
            ws.read_result(name, needed_columns(name))
        except BadInput as exc:
            path = Path(exc.path or ws.path / "results" / f"{name}.parquet")
            damaged.append(Damage(path, exc.message, exc.hint or ""))
            if repair:
                dropped.append(ws.drop_result(name))
    folder = ws.path / "tables"
    unreferenced = [] if named is None or not folder.is_dir() else sorted(
        p for p in folder.iterdir() if p.name not in named and not p.name.endswith(TEMP_SUFFIX))
    return CheckResult(workspace=ws.path, tables=tables, results=len(names), damaged=damaged, dropped=dropped,
                       unreferenced=unreferenced)
