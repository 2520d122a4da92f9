"""The interactive map: one self-contained HTML file, safe to open offline.

Rules (documented in the README):

- **Self-contained**: the drawing library (vis-network as pyvis ships it, or, above
  `LARGE_VIEW` accounts, sigma.js on graphology, shipped in influgraph's templates), the label
  placer (map-labels.js) and all styles are inlined; the page loads nothing, and its
  Content-Security-Policy (`default-src 'none'`, scripts allowed only by their sha256 hashes)
  forbids loading anything or running any other script.
- **Safe by construction**: nodes and edges follow pyvis's data model, but the page comes from
  influgraph's own template (Jinja autoescaping), never pyvis's, which runs `heading`,
  `select_menu` ids and "href" titles as HTML. Graph data is JSON in a
  `<script type="application/json">` block with `<`, `>` and `&` escaped; the page's scripts
  insert every user string with `textContent` or draw it with `fillText`, and tooltips are plain text.
- **Large workspaces**: at most `max_nodes` accounts (top by score) and `max_edges` edges
  (heaviest) are drawn (see `views`), the page says "showing N of M", and positions are
  precomputed (see `layout`: communities apart, members together) with physics off, so the
  page is interactive at once.
- **Data in, page out**: `render_map` draws a view at given positions; it reads nothing from a
  workspace. `write_map` lays the view out and writes the page.
- Nodes: colour by community (the 12 largest communities get a colour, the rest grey), radius
  proportional to the score (`node_sizes`), labels drawn by the page where they fit (never two
  overlapping; the `TOP_LABELS` top accounts always). Edges: colour by dominant kind, width by
  weight, arrow to the target, a toggle per kind.
- **Time slider** (a view with a timeline, see `views.Timeline`): nodes and edges carry `t`, when they
  appear (ms since 1970 UTC; null: present throughout); a range input of `TIME_STEPS` steps from the
  timeline's first to its last time shows what had appeared by then, with the dates and counts printed
  beside it, and a Play button. Both renderers share it and the other controls (map-common.js).
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

from ..atomic import atomic_write_bytes
from .paths import guard_write
from ..schema import EDGE_KINDS
from .layout import layout
from .views import GraphView


__all__ = ["write_map", "render_map", "community_colour", "asset", "csp", "render_page", "script_json", "ranking_badges",
           "node_sizes", "DEFAULT_MAX_NODES", "DEFAULT_MAX_EDGES", "LARGE_VIEW", "TOP_LABELS", "PALETTE", "KIND_COLOURS"]

DEFAULT_MAX_NODES = 1000
DEFAULT_MAX_EDGES = 5000
LARGE_VIEW = 3000  # above this many accounts the map draws with sigma.js (WebGL) instead of vis-network (canvas)
TOP_LABELS = 10  # the top accounts by score whose labels are always drawn
TIME_STEPS = 200  # positions of the time slider, evenly spread from the timeline's first time to its last
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
           "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939", "#843c39")
OTHER_COLOUR = "#9aa3b2"
KIND_COLOURS = {"follow": "#c5cad3", "repost": "#2ca02c", "quote": "#17becf", "reply": "#9467bd",
                "mention": "#ff7f0e", "like": "#e377c2"}


def community_colour(community: int | None) -> str:
    """The colour of a community everywhere (map, GEXF): communities are numbered by size, so the 12 largest get one."""
    return PALETTE[community] if community is not None and 0 <= community < len(PALETTE) else OTHER_COLOUR


def asset(name: str) -> str:
    """The text of one of influgraph's page templates, scripts or styles."""
    return resources.files("influgraph").joinpath("templates", name).read_text(encoding="utf-8")


def _vis_asset(name: str) -> str:
    """vis-network as pyvis ships it, without the source-map comment (the page refers to no other file)."""
    text = resources.files("pyvis").joinpath("lib", "vis-9.1.2", name).read_text(encoding="utf-8")
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)


def _library(name: str) -> str:
    """A JavaScript library shipped in influgraph's templates (sigma.js, graphology: MIT, from the npm registry),
    without its source-map comment."""
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", asset(name))


def script_json(data: object) -> str:
    """JSON that is safe inside a `<script>` element: no `<`, `>`, `&` or line separators survive raw."""
    import orjson

    try:  # orjson writes NaN and inf as null, numpy scalars and arrays as numbers, several times faster than json
        text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
    except TypeError:  # what orjson does not write (an integer beyond 64 bits, a lone surrogate): the standard library
        from ..jsonout import finite

        text = json.dumps(finite(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def csp(scripts: list[str]) -> str:
    """A Content-Security-Policy allowing exactly these inline scripts, inline styles and data: images."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'" for s in scripts)
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def render_page(template: str, **context: object) -> str:
    """Render one of influgraph's templates (each extends page.html: CSP, head, scripts) with autoescaping on."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FunctionLoader(asset), autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    return env.get_template(template).render(**context)


def _number(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def ranking_badges(rankings: dict, niche: str | None) -> pl.DataFrame | None:
    """Per account: its warning, its flags and its audience quality, from the stored rankings (the map's detail panel).

    With a niche, that niche's ranking; without, every ranking (flags united, the first warning).
    Returns None when there is no ranking. Columns: id, warning, flags, audience_quality.

    Example: ``ranking_badges(read_view_data(ws).rankings, "persian-books")``.
    """
    tables = [r.table for name, r in rankings.items() if niche is None or name == niche]
    if not tables:
        return None
    frames = []
    for table in tables:
        flags = (pl.col("flags").cast(pl.List(pl.String)) if "flags" in table.columns
                 else pl.when(pl.col("warning").is_not_null()).then(pl.lit(["low niche relevance"])).otherwise(pl.lit([], pl.List(pl.String))))
        frames.append(table.select(pl.col("id").cast(pl.String), pl.col("warning").cast(pl.String) if "warning" in table.columns
                                   else pl.lit(None, pl.String).alias("warning"), flags.alias("flags"),
                                   (pl.col("audience_quality").cast(pl.Float64) if "audience_quality" in table.columns
                                    else pl.lit(None, pl.Float64).alias("audience_quality"))))
    return (pl.concat(frames).explode("flags").group_by("id", maintain_order=True)
            .agg(pl.col("warning").drop_nulls().first(), pl.col("flags").drop_nulls().unique(maintain_order=True),
                 pl.col("audience_quality").drop_nulls().first()))


def _details(row: dict, niche: str | None) -> list[list[str]]:
    pairs = [["handle", row["handle"] or "—"], ["name", row["name"] or "—"], ["id", row["id"]]]
    if row.get("flags"):
        pairs.append(["warnings", " · ".join(row["flags"])])
    if row.get("warning"):
        pairs.append(["why", row["warning"]])
    if niche:
        pairs += [["rank in " + niche, _number(row["rank"])], ["niche influence", _number(row["niche_influence"])],
                  ["audience relevance", _number(row["audience_relevance"])], ["reach", _number(row["reach"])]]
    if row.get("audience_quality") is not None:
        pairs.append(["audience quality", f"{row['audience_quality']:.0%}"])
    pairs += [["followers", _number(row["followers"])], ["tier", row["tier"] or "—"], ["role", row["role"] or "—"],
              ["community", _number(row["community"])], ["community role", row["community_role"] or "—"],
              ["in-strength", _number(row["in_strength"])], ["out-strength", _number(row["out_strength"])],
              ["niches ranked in", ", ".join(row["niches"]) or "—"]]
    if niche and row.get("evidence"):
        pairs.append(["evidence", row["evidence"]])
    if row["bio"]:
        pairs.append(["bio", row["bio"]])
    return pairs


def _tooltip(row: dict, niche: str | None) -> str:
    lines = [row["label"] + (f" ({row['name']})" if row["name"] else "")]
    if row.get("flags"):
        lines.append("⚠ " + " · ".join(row["flags"]))
    if niche:
        lines.append(f"rank {_number(row['rank'])} in {niche} · niche influence {_number(row['niche_influence'])}")
    lines.append(f"community {_number(row['community'])} · {row['role'] or 'no role'} · {row['tier'] or 'no tier'}")
    lines.append(f"followers {_number(row['followers'])} · in-strength {_number(row['in_strength'])}")
    if row["bio"]:
        lines.append(row["bio"][:200])
    return "\n".join(lines)


def _facet(nodes: pl.DataFrame, column: str) -> list[list[str]]:
    counts = nodes.select(pl.col(column).cast(pl.String)).drop_nulls().group_by(column).len().sort(["len", column], descending=[True, False])
    return [[value, f"{value} ({count})"] for value, count in counts.iter_rows()]


def node_sizes(scores: pl.Series) -> np.ndarray:
    """Node radius in pixels, proportional to the score (so experts stand out), from 2 to 36 pixels.

    Example: ``node_sizes(pl.Series([0.0, 0.5, 1.0])).round(1).tolist() == [2.0, 19.0, 36.0]``.
    """
    values = np.nan_to_num(scores.cast(pl.Float64).fill_null(0.0).to_numpy(), nan=0.0).clip(0)
    top = values.max() if values.size else 0.0
    return 2.0 + 34.0 * (values / top) if top > 0 else np.full(values.size, 2.0)


def _millis(starts: pl.Series | None, rows: int) -> pl.Series:
    """Per row, when it appears (`GraphView.node_start` / `edge_start`) in milliseconds since 1970 UTC (the page's
    time slider); null where present throughout or when the view has no timeline."""
    if starts is None:
        return pl.Series("_t", [None] * rows, dtype=pl.Int64)
    return starts.dt.epoch("ms").alias("_t")


def _timeline_meta(view: GraphView) -> dict | None:
    """The page's time slider: the timeline's first and last time (ms since 1970 UTC); None without a timeline."""
    if view.time_range is None:
        return None
    first, last = (int(moment.timestamp() * 1000) for moment in view.time_range)
    return {"first": first, "last": max(last, first + 1), "steps": TIME_STEPS}


def _graph_nodes(view: GraphView, positions: "np.ndarray", badges: pl.DataFrame | None) -> list[dict]:
    """The nodes in pyvis's data model (id, title, color, size, x, y, physics) plus the page's own fields.

    The handle is in `text`, not in vis-network's `label`: the page draws the labels itself so that
    no two overlap (see map.js).
    """
    nodes = view.nodes.with_columns(_millis(view.node_start, view.nodes.height))
    if badges is not None:
        nodes = nodes.join(badges, on="id", how="left", maintain_order="left")
    sizes = node_sizes(nodes["score"])
    priority = nodes["rank"].to_list() if "rank" in nodes.columns else list(range(1, nodes.height + 1))
    out = []
    for i, row in enumerate(nodes.iter_rows(named=True)):  # one loop over nodes (not edges): strings per account
        row["flags"] = list(row.get("flags") or [])
        out.append({"id": row["id"], "text": row["label"], "title": _tooltip(row, view.niche), "shape": "dot",
                    "color": community_colour(row["community"]), "size": round(float(sizes[i]), 2),
                    "x": round(float(positions[i, 0]), 1), "y": round(float(positions[i, 1]), 1), "physics": False,
                    "community": row["community"], "role": row["role"], "tier": row["tier"], "niches": row["niches"],
                    "flags": row["flags"], "priority": priority[i] if priority[i] is not None else i + 1,
                    "search": f"{row['label']} {row['name'] or ''}".lower(), "details": _details(row, view.niche),
                    **({} if view.node_start is None else {"t": row["_t"]})})
    return out


def _graph_edges(view: GraphView) -> list[dict]:
    """The edges in pyvis's data model (from, to, value, color, title, arrows) with their dominant `kind`; built by polars."""
    kinds = [k for k in EDGE_KINDS if f"w_{k}" in view.edges.columns]
    if view.edges.height == 0:
        return []
    parts = [pl.when(pl.col(f"w_{k}") > 0).then(pl.lit(f"{k} ") + pl.col(f"w_{k}").round(3).cast(pl.String)) for k in kinds]
    colours = pl.col("kind").replace_strict(KIND_COLOURS, default=OTHER_COLOUR, return_dtype=pl.String)
    return view.edges.with_columns(_millis(view.edge_start, view.edges.height)).select(
                             pl.col("src").alias("from"), pl.col("dst").alias("to"), pl.col("weight").cast(pl.Float64).alias("value"),
                             colours.alias("color"), pl.col("kind"), *([] if view.edge_start is None else [pl.col("_t").alias("t")]),
                             (pl.concat_str(parts, separator=" · ", ignore_nulls=True) + pl.lit(" (weight ")
                              + pl.col("weight").round(3).cast(pl.String) + pl.lit(")")).alias("title")).to_dicts()


def _meta(view: GraphView, graph_nodes: list[dict], graph_edges: list[dict], positions: "np.ndarray") -> dict:
    nodes = view.nodes
    sizes = nodes.group_by("community").len().sort(["len", "community"], descending=[True, False], nulls_last=True)
    coloured = [c for c in sizes["community"].to_list() if community_colour(c) != OTHER_COLOUR]
    labels = view.community_labels
    counts = dict(sizes.iter_rows())
    legend = [{"color": community_colour(c), "label": f"community {c}{(': ' + labels[c]) if labels.get(c) else ''} ({counts[c]:,} shown)"}
              for c in coloured]
    if any(community_colour(c) == OTHER_COLOUR for c in sizes["community"].to_list()):
        legend.append({"color": OTHER_COLOUR, "label": "other communities, or none computed"})
    kinds = sorted({e["kind"] for e in graph_edges}, key=lambda k: EDGE_KINDS.index(k) if k in EDGE_KINDS else 99)
    linked = {e["from"] for e in graph_edges} | {e["to"] for e in graph_edges}
    return {"caption": view.caption(), "nodes": len(graph_nodes), "edges": len(graph_edges),
            "total_nodes": view.total_nodes, "total_edges": view.total_edges, "niche": view.niche,
            "unlinked": sum(1 for n in graph_nodes if n["id"] not in linked), "top_labels": TOP_LABELS,
            "time": _timeline_meta(view), "legend": legend, "edge_legend": [{"color": KIND_COLOURS.get(k, OTHER_COLOUR), "label": k} for k in kinds],
            "facets": {"community": [[v, f"community {label}"] for v, label in _facet(nodes, "community")],
                       "role": _facet(nodes, "role"), "tier": _facet(nodes, "tier"),
                       "niche": _facet(nodes.select(pl.col("niches").explode().alias("niche")), "niche")}}


OPTIONS = {
    "physics": {"enabled": False},
    "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True},
    "nodes": {"shape": "dot", "borderWidth": 1},
    "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}, "smooth": False,
              "scaling": {"min": 0.5, "max": 5}, "color": {"inherit": False, "opacity": 0.55}},
    "layout": {"improvedLayout": False},
}


def render_map(view: GraphView, positions: "np.ndarray", *, title: str, badges: pl.DataFrame | None = None) -> str:
    """The map page for `view`, as HTML text, with node i drawn at `positions[i]` (pixels).

    Up to `LARGE_VIEW` accounts the page draws with vis-network (canvas); above, with sigma.js on
    graphology (WebGL), which stays responsive with tens of thousands of accounts. Both read the
    same data (pyvis's data model: nodes with id, title, color, size, x, y; edges with from, to,
    value, color, title) and share the page's controls. `badges` (see `ranking_badges`) adds the
    warnings and audience quality to the detail panel.

    Example: ``render_map(view, layout(view, seed=0), title="influgraph map")``.
    """
    from markupsafe import Markup

    from .. import __version__

    graph_nodes, graph_edges = _graph_nodes(view, positions, badges), _graph_edges(view)
    meta = _meta(view, graph_nodes, graph_edges, positions)
    large = len(graph_nodes) > LARGE_VIEW
    meta["renderer"] = "sigma" if large else "vis-network"
    if large:  # lighter data, so a 20,000-account page opens fast: no tooltips (WebGL page), details as one string
        for item in (*graph_nodes, *graph_edges):
            for key in ("title", "shape", "physics"):
                item.pop(key, None)
        for node in graph_nodes:
            node["details"] = "\u001e".join(f"{k}\u001f{v}" for k, v in node["details"])
    data_json = script_json({"nodes": graph_nodes, "edges": graph_edges, "options": OPTIONS, "meta": meta})
    if large:
        libraries = [_library("graphology.umd.min.js"), _library("sigma.min.js")]
        app_js, styles = asset("map-sigma.js"), [Markup(asset("map.css"))]
    else:
        libraries = [_vis_asset("vis-network.min.js")]
        app_js, styles = asset("map.js"), [Markup(_vis_asset("vis-network.css")), Markup(asset("map.css"))]
    scripts = [*libraries, asset("map-labels.js"), asset("map-common.js"), app_js]
    return render_page("map.html", title=title, caption=view.caption(), score_name=view.score_name, unlinked=meta["unlinked"],
                       time_steps=TIME_STEPS if meta["time"] else None,
                       renderer=meta["renderer"], truncated=view.nodes.height < view.total_nodes, version=__version__,
                       csp=csp(scripts), styles=styles, data_json=Markup(data_json), scripts=[Markup(s) for s in scripts])


def _title(niche: str | None) -> str:
    """The title of the map of `niche` (None: the whole workspace)."""
    return f"influgraph map: niche {niche}" if niche else "influgraph map: whole workspace"


def write_map(view: GraphView, out: str | Path, *, seed: int = 0, badges: pl.DataFrame | None = None) -> Path:
    """Lay `view` out (seeded) and write its interactive map to `out`, atomically; returns the path.

    `badges`: warnings, flags and audience quality per account (`ranking_badges`), for the detail panel.

    Example: ``write_map(graph_view(read_view_data(ws), max_nodes=DEFAULT_MAX_NODES), "map.html")``.
    """
    out = Path(out)
    data = render_map(view, layout(view, seed), title=_title(view.niche), badges=badges).encode("utf-8")
    with guard_write(out):
        atomic_write_bytes(out, data)
    return out
