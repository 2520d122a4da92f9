"""One entry point for every export: the map, the report, and the graph files, by format name.

`export` checks the options, reads the workspace once (`read_view_data`) and hands the view to
the writer of the format; the report reads the workspace itself, once for all of its maps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import BadInput
from .files import FILE_FORMATS, write_graph_file
from .html_map import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, ranking_badges, write_map
from .paths import check_file, check_folder, default_out
from .report import write_report
from .views import graph_view, read_view_data

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["EXPORT_FORMATS", "ExportResult", "export"]

EXPORT_FORMATS = ("html", "report", *FILE_FORMATS)


@dataclass
class ExportResult:
    """The files written, what part of the workspace they show, and notes for the user (e.g. characters replaced)."""

    paths: list[Path]
    caption: str
    notes: list[str] = field(default_factory=list)


def export(workspace: "Workspace", fmt: str, out: str | Path | None, *, niche: str | None = None, max_nodes: int | None = None,
           max_edges: int | None = None, excel: bool = False, seed: int = 0,
           progress: Callable[[str, int, int | None], None] | None = None) -> ExportResult:
    """Export `workspace` (or one niche of it) as `fmt` to `out`.

    Parameters
    ----------
    workspace : the workspace to export, with its stored communities and rankings.
    fmt : one of EXPORT_FORMATS: html (one map), report (a folder), gexf, graphml, json (one file),
        csv, parquet (a folder with nodes and edges tables).
    out : the file or folder to write; None: in graphs/ (see `default_out`).
    niche : only this niche's ranked candidates, sized by niche influence (not for the report).
    max_nodes, max_edges : the budgets; the map and the report default to those of `html_map`,
        graph files hold everything unless they are given.
    excel : csv only: a UTF-8 BOM so spreadsheets display Persian and Indonesian.
    seed : the seed of the map layout.
    progress : called as progress(step, done, total) as the report's maps and sections are written.

    Example: ``export(ws, "html", "persian.html", niche="persian-books").caption``.
    """
    if fmt not in EXPORT_FORMATS:
        raise BadInput(f"unknown export format {fmt!r}", param="fmt", hint=f"use one of {', '.join(EXPORT_FORMATS)}")
    if excel and fmt != "csv":
        raise BadInput("`excel` applies to `fmt` csv only", param="excel", hint="drop `excel` or use `fmt` csv")
    out = out if out is not None else default_out(fmt, niche, workspace=workspace.path)
    if fmt in ("report", "csv", "parquet"):
        out = check_folder(out, f"a {fmt} export is a folder", workspace.path)
    else:
        out = check_file(out, "the map" if fmt == "html" else f"a {fmt} export", f".{fmt}", workspace.path)
    if fmt == "report":
        if niche:
            raise BadInput("`niche` does not apply to `fmt` report (it covers every ranked niche)", param="niche",
                           hint="drop `niche`")
        report = write_report(workspace, out, max_nodes=max_nodes or DEFAULT_MAX_NODES,
                              max_edges=max_edges or DEFAULT_MAX_EDGES, seed=seed, progress=progress)
        return ExportResult(paths=[report.index, *report.maps.values()], caption=f"report with {len(report.maps)} maps")
    if fmt == "html":
        data = read_view_data(workspace)
        view = graph_view(data, niche=niche, max_nodes=max_nodes or DEFAULT_MAX_NODES, max_edges=max_edges or DEFAULT_MAX_EDGES)
        badges = ranking_badges(data.rankings, niche)
        return ExportResult(paths=[write_map(view, out, seed=seed, badges=badges)], caption=view.caption())
    view = graph_view(read_view_data(workspace), niche=niche, max_nodes=max_nodes, max_edges=max_edges)
    notes: list[str] = []
    paths = write_graph_file(view, fmt, out, excel=excel, workspace=workspace.path, notes=notes)
    return ExportResult(paths=paths, caption=view.caption(), notes=notes)
