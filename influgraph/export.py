"""One entry point for every export: the map, the report, and the graph files, by format name."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BadInput
from .export_files import FILE_FORMATS, write_graph_file
from .graph_view import graph_view
from .html_map import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, write_map
from .report import write_report

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["EXPORT_FORMATS", "ExportResult", "export", "default_out"]

EXPORT_FORMATS = ("html", "report", *FILE_FORMATS)


@dataclass
class ExportResult:
    """The files written and what part of the workspace they show."""

    paths: list[Path]
    caption: str


def default_out(fmt: str, niche: str | None = None, folder: str | Path = "graphs") -> Path:
    """Where an export goes without --out: graphs/ (created), named after the niche or 'workspace'."""
    from .report import safe_filename

    name = safe_filename(niche, "niche") if niche else "workspace"
    names = {"html": f"map-{name}.html", "report": "report", "csv": f"{name}-csv", "parquet": f"{name}-parquet"}
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / names.get(fmt, f"{name}.{fmt}")


def export(workspace: "Workspace", fmt: str, out: str | Path | None, *, niche: str | None = None, max_nodes: int | None = None,
           max_edges: int | None = None, excel: bool = False, seed: int = 0) -> ExportResult:
    """Export `workspace` (or one niche of it) as `fmt` to `out`.

    Without `out`, files go to graphs/ (see `default_out`). The map and the report default to the node and edge budgets of `html_map`; graph files hold
    everything unless `max_nodes`/`max_edges` are given.
    """
    if fmt not in EXPORT_FORMATS:
        raise BadInput(f"unknown export format {fmt!r}", hint=f"use one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out) if out is not None else default_out(fmt, niche)
    if excel and fmt != "csv":
        raise BadInput("--excel applies to --format csv only", hint="drop --excel or use --format csv")
    if fmt == "html":
        if out.is_dir():
            raise BadInput("--out names a folder, but the map is one file", path=out, hint="name a file ending in .html")
        if not out.parent.exists():
            raise BadInput("the folder does not exist", path=out.parent, hint="create it first or choose another --out")
        view = write_map(workspace, out, niche=niche, max_nodes=max_nodes or DEFAULT_MAX_NODES,
                         max_edges=max_edges or DEFAULT_MAX_EDGES, seed=seed)
        return ExportResult(paths=[out], caption=view.caption())
    if fmt == "report":
        if niche:
            raise BadInput("--niche does not apply to --format report (it covers every ranked niche)", hint="drop --niche")
        report = write_report(workspace, out, max_nodes=max_nodes or DEFAULT_MAX_NODES,
                              max_edges=max_edges or DEFAULT_MAX_EDGES, seed=seed)
        return ExportResult(paths=[report.index, *report.maps.values()], caption=f"report with {len(report.maps)} maps")
    view = graph_view(workspace, niche=niche, max_nodes=max_nodes, max_edges=max_edges)
    return ExportResult(paths=write_graph_file(view, fmt, out, excel=excel), caption=view.caption())
