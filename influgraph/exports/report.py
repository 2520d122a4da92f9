"""The report: one static, offline `index.html` with rankings, communities, shortlists and links to maps.

Same safety rules as the map (see `html_map`): influgraph's own autoescaping template, a
Content-Security-Policy that allows only the page's own sorting script, every cell `dir="auto"`
so Persian and Arabic display right to left. Map file names and anchors come from niche names
through `results.niche_key` (distinct names, distinct files), and are checked to stay inside the report folder.

The workspace is read once (`read_view_data`: the graph and the stored results); every map is a
view of that data. A niche's rank-agreement table is the one stored with its ranking.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..atomic import atomic_write_bytes
from ..errors import BadInput
from ..results import StoredRanking, niche_key, stored_shortlists
from .html_map import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, asset, csp, render_page, write_map
from .paths import check_folder, guard_write
from .views import ViewData, graph_view, read_view_data

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["write_report", "ReportResult", "RANK_COLUMNS"]

RANK_COLUMNS = ("rank", "handle", "name", "role", "tier", "niche_influence", "audience_relevance", "niche_pagerank",
                "niche_engagement", "reach", "lift", "community", "warning", "evidence")
PROFILE_COLUMNS = ("community", "size", "share_leaving", "hashtags", "words", "top_accounts", "brokers", "languages")


@dataclass
class ReportResult:
    """Where the report and its maps were written."""

    index: Path
    maps: dict[str, Path] = field(default_factory=dict)  # "all" or niche name -> map file


def _inside(folder: Path, name: str) -> Path:
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise BadInput(f"refusing to write {name!r} outside the report folder", path=folder)
    return path


def _cell(value: object) -> tuple[str, str]:
    """(text shown, sort key) for one table cell."""
    if value is None:
        return "", ""
    if isinstance(value, float):
        return (f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"), repr(value)
    if isinstance(value, bool):
        return ("yes" if value else "no"), str(int(value))
    if isinstance(value, int):
        return f"{value:,}", str(value)
    if isinstance(value, list):
        text = "; ".join(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v) for v in value)
        return text, text
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
        return text, text
    return str(value), str(value)


def _table(frame: pl.DataFrame, title: str, columns: tuple[str, ...] | None = None, rows: int = 100, note: str = "") -> dict:
    chosen = [c for c in (columns or frame.columns) if c in frame.columns]
    shown = frame.select(chosen).head(rows)
    more = f" Showing the first {rows:,} of {frame.height:,} rows." if frame.height > rows else ""
    return {"title": title, "note": (note + more).strip(), "columns": chosen,
            "rows": [[_cell(v) for v in row] for row in shown.iter_rows()]}


def _map(data: ViewData, maps_dir: Path, name: str, niche: str | None, budgets: dict, seed: int) -> tuple[Path, str]:
    """Write the map of `niche` (None: the whole workspace) as maps/NAME; returns its path and caption."""
    path = _inside(maps_dir, name)
    view = graph_view(data, niche=niche, **budgets)
    write_map(view, path, seed=seed)
    return path, view.caption()


def _niche_section(niche: str, stored: StoredRanking, caption: str, rows: int) -> dict:
    """The section of one ranked niche: counts, the map link, the ranking and its agreement table."""
    table = stored.table
    stem = niche_key(niche)
    warnings = table.filter(pl.col("warning").is_not_null()).height if "warning" in table.columns else 0
    return {
        "anchor": f"niche-{stem}", "title": f"Niche: {niche}",
        "lines": [f"{table.height:,} candidates ranked by niche influence (influence within the niche; reach is shown apart).",
                  f"{warnings:,} candidates carry a warning: high engagement from outside the niche." if warnings else "",
                  caption],
        "links": [{"href": f"maps/map-{stem}.html", "text": f"Map of niche {niche}"}],
        "tables": [_table(table, "Ranking", RANK_COLUMNS, rows, "Click a column title to sort."),
                   _table(stored.agreement, "Rank agreement", None, rows,
                          "Spearman correlation and top-10 overlap between reach, reposts, mentions and PageRank: "
                          "low agreement means popularity measures disagree about who matters.")]}


def _shortlists_section(workspace: "Workspace", rows: int) -> dict | None:
    """The stored shortlists: every overlap table, then every picks table, by niche; None without any."""
    stored = stored_shortlists(workspace)
    tables = ([_table(s.overlap, f"overlap {niche.replace('-', ' ')}", None, rows) for niche, s in stored.items()
               if s.overlap is not None]
              + [_table(s.picks, f"shortlist {niche.replace('-', ' ')}", None, rows) for niche, s in stored.items()])
    return {"anchor": "shortlists", "title": "Shortlists", "lines": [], "links": [], "tables": tables} if tables else None


def write_report(workspace: "Workspace", out: str | Path, *, max_nodes: int | None = DEFAULT_MAX_NODES,
                 max_edges: int | None = DEFAULT_MAX_EDGES, rows: int = 100, seed: int = 0) -> ReportResult:
    """Write `out/index.html` and `out/maps/*.html` for `workspace`; returns their paths.

    Parameters
    ----------
    workspace : the workspace to report on: its stored communities, rankings and shortlists.
    out : the report folder (created).
    max_nodes, max_edges : the budgets of every map (see `graph_view`).
    rows : at most this many rows per table.
    seed : the seed of the maps' layout.

    Example: ``write_report(ws, "report").maps["persian-books"]``.
    """
    from .. import __version__

    folder = check_folder(out, "the report is a folder (index.html and maps/)", workspace.path)
    maps_dir = folder / "maps"
    with guard_write(maps_dir):
        maps_dir.mkdir(parents=True, exist_ok=True)
    result = ReportResult(index=folder / "index.html")
    data = read_view_data(workspace)
    budgets = {"max_nodes": max_nodes, "max_edges": max_edges}

    result.maps["all"], caption = _map(data, maps_dir, "map-all.html", None, budgets, seed)
    sections = [{"anchor": "overview", "title": "Workspace", "tables": [],
                 "lines": [", ".join(f"{n:,} {t}" for t, n in workspace.counts().items()), caption],
                 "links": [{"href": "maps/map-all.html", "text": "Map of the whole workspace"}]}]
    for niche, stored in data.rankings.items():
        result.maps[niche], caption = _map(data, maps_dir, f"map-{niche_key(niche)}.html", niche, budgets, seed)
        sections.append(_niche_section(niche, stored, caption, rows))
    if data.profiles is not None:
        sections.append({"anchor": "communities", "title": "Communities", "lines": [], "links": [],
                         "tables": [_table(data.profiles, "Community profiles", PROFILE_COLUMNS, rows)]})
    shortlists = _shortlists_section(workspace, rows)
    if shortlists:
        sections.append(shortlists)

    for section in sections:
        section["lines"] = [line for line in section["lines"] if line]
    app_js = asset("report.js")
    from markupsafe import Markup

    html = render_page("report.html", title="influgraph report", version=__version__, csp=csp([app_js]),
                       subtitle=f"Workspace {workspace.path.name}, generated by influgraph {__version__}.",
                       sections=sections, styles=[Markup(asset("report.css"))], scripts=[Markup(app_js)])
    with guard_write(result.index):
        atomic_write_bytes(result.index, html.encode("utf-8"))
    return result
