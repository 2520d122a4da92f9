"""The report: one static, offline `index.html` with rankings, communities, shortlists and links to maps.

Same safety rules as the map (see `html_map`): influgraph's own autoescaping template, a
Content-Security-Policy that allows only the page's own sorting script, every cell `dir="auto"`
so Persian and Arabic display right to left. Map file names come from niche names through
`safe_filename`, and are checked to stay inside the report folder.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from .atomic import atomic_write_bytes
from .errors import BadInput
from .html_map import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, asset, csp, render_page, write_map
from .rank import rank_agreement

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["write_report", "ReportResult", "safe_filename", "RANK_COLUMNS"]

RANK_COLUMNS = ("rank", "handle", "name", "role", "tier", "niche_influence", "audience_relevance", "niche_pagerank",
                "niche_engagement", "reach", "lift", "community", "warning", "evidence")
PROFILE_COLUMNS = ("community", "size", "share_leaving", "hashtags", "words", "top_accounts", "brokers", "languages")


@dataclass
class ReportResult:
    """Where the report and its maps were written."""

    index: Path
    maps: dict[str, Path] = field(default_factory=dict)  # "all" or niche name -> map file


def safe_filename(text: str, fallback: str = "item") -> str:
    """A file name stem from untrusted text: lower-case a-z, 0-9, '-' and '_' only, at most 60 characters."""
    stem = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:60]
    return stem or fallback


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


def write_report(workspace: "Workspace", folder: str | Path, *, max_nodes: int | None = DEFAULT_MAX_NODES,
                 max_edges: int | None = DEFAULT_MAX_EDGES, rows: int = 100, seed: int = 0) -> ReportResult:
    """Write `folder/index.html` and `folder/maps/*.html` for `workspace`; returns their paths."""
    from . import __version__

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise BadInput("--out names a file, but the report is a folder (index.html and maps/)", path=folder,
                       hint="name a folder")
    maps_dir = folder / "maps"
    maps_dir.mkdir(parents=True, exist_ok=True)
    result = ReportResult(index=folder / "index.html")
    names = workspace.result_names()
    counts = workspace.counts()
    sections = []

    result.maps["all"] = _inside(maps_dir, "map-all.html")
    overview_view = write_map(workspace, result.maps["all"], max_nodes=max_nodes, max_edges=max_edges, seed=seed)
    sections.append({"anchor": "overview", "title": "Workspace", "tables": [],
                     "lines": [", ".join(f"{n:,} {t}" for t, n in counts.items()), overview_view.caption()],
                     "links": [{"href": "maps/map-all.html", "text": "Map of the whole workspace"}]})

    for name in names:
        if not name.startswith("rank_"):
            continue
        table = workspace.read_result(name)
        if table is None or table.height == 0 or "niche" not in table.columns:
            continue
        niche = str(table["niche"][0])
        stem = safe_filename(niche, "niche")
        path = _inside(maps_dir, f"map-{stem}.html")
        view = write_map(workspace, path, niche=niche, max_nodes=max_nodes, max_edges=max_edges, seed=seed)
        result.maps[niche] = path
        warnings = table.filter(pl.col("warning").is_not_null()).height if "warning" in table.columns else 0
        sections.append({
            "anchor": f"niche-{stem}", "title": f"Niche: {niche}",
            "lines": [f"{table.height:,} candidates ranked by niche influence (influence within the niche; reach is shown apart).",
                      f"{warnings:,} candidates carry a warning: high engagement from outside the niche." if warnings else "",
                      view.caption()],
            "links": [{"href": f"maps/map-{stem}.html", "text": f"Map of niche {niche}"}],
            "tables": [_table(table, "Ranking", RANK_COLUMNS, rows, "Click a column title to sort."),
                       _table(rank_agreement(table), "Rank agreement", None, rows,
                              "Spearman correlation and top-10 overlap between reach, reposts, mentions and PageRank: "
                              "low agreement means popularity measures disagree about who matters.")]})

    profiles = workspace.read_result("community_profiles")
    if profiles is not None:
        sections.append({"anchor": "communities", "title": "Communities", "lines": [], "links": [],
                         "tables": [_table(profiles, "Community profiles", PROFILE_COLUMNS, rows)]})

    extra = [n for n in names if n.startswith("shortlist") or "overlap" in n]
    if extra:
        sections.append({"anchor": "shortlists", "title": "Shortlists", "lines": [], "links": [],
                         "tables": [_table(workspace.read_result(n), n.replace("_", " "), None, rows) for n in extra]})

    for section in sections:
        section["lines"] = [line for line in section["lines"] if line]
    app_js = asset("report.js")
    from markupsafe import Markup

    html = render_page("report.html", title="influgraph report", version=__version__, csp=csp([app_js]),
                       subtitle=f"Workspace {workspace.path.name}, generated by influgraph {__version__}.",
                       sections=sections, styles=[Markup(asset("report.css"))], scripts=[Markup(app_js)])
    atomic_write_bytes(result.index, html.encode("utf-8"))
    return result
