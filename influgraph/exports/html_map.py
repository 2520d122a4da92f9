"""The interactive map: one self-contained HTML file built with pyvis, safe to open offline.

Rules (documented in the README):

- **Self-contained**: vis-network (shipped inside pyvis) and all styles are inlined; the page
  loads nothing, and its Content-Security-Policy (`default-src 'none'`, scripts allowed only by
  their sha256 hashes) forbids loading anything or running any other script.
- **Safe by construction**: pyvis holds the nodes, edges and options, but the page comes from
  influgraph's own template (Jinja autoescaping), never pyvis's, which runs `heading`,
  `select_menu` ids and "href" titles as HTML. Graph data is JSON in a
  `<script type="application/json">` block with `<`, `>` and `&` escaped; the page's script
  inserts every user string with `textContent`, and tooltips are plain text.
- **Large workspaces**: at most `max_nodes` accounts (top by score) and `max_edges` edges
  (heaviest) are drawn (see `views`), the page says "showing N of M", and positions are
  precomputed (see `layout`) with physics off, so the page is interactive at once.
- **Data in, page out**: `render_map` draws a view at given positions; it reads nothing from a
  workspace. `write_map` lays the view out and writes the page.
- Nodes: colour by community (the 12 largest communities get a colour, the rest grey), size by
  score, label by handle. Edges: colour by dominant kind, width by weight, arrow to the target.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..atomic import atomic_write_bytes
from .paths import guard_write
from ..schema import EDGE_KINDS
from .layout import layout
from .views import GraphView

if TYPE_CHECKING:
    import numpy as np

__all__ = ["write_map", "render_map", "community_colour", "asset", "csp", "render_page", "script_json",
           "DEFAULT_MAX_NODES", "DEFAULT_MAX_EDGES", "PALETTE", "KIND_COLOURS"]

DEFAULT_MAX_NODES = 1000
DEFAULT_MAX_EDGES = 5000
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


def script_json(data: object) -> str:
    """JSON that is safe inside a `<script>` element: no `<`, `>`, `&` or line separators survive raw."""
    from ..jsonout import finite

    text = json.dumps(finite(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)  # NaN, inf: null
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


def _details(row: dict, niche: str | None) -> list[list[str]]:
    pairs = [["handle", row["handle"] or "—"], ["name", row["name"] or "—"], ["id", row["id"]]]
    if niche:
        pairs += [["rank in " + niche, _number(row["rank"])], ["niche influence", _number(row["niche_influence"])],
                  ["audience relevance", _number(row["audience_relevance"])], ["reach", _number(row["reach"])]]
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


def render_map(view: GraphView, positions: "np.ndarray", *, title: str) -> str:
    """The map page for `view`, as HTML text, with node i drawn at `positions[i]` (pixels).

    Example: ``render_map(view, layout(view, seed=0), title="influgraph map")``.
    """
    from pyvis.network import Network

    from .. import __version__

    nodes = view.nodes
    sizes = nodes.group_by("community").len().sort(["len", "community"], descending=[True, False], nulls_last=True)
    coloured = [c for c in sizes["community"].to_list() if community_colour(c) != OTHER_COLOUR]
    net = Network(directed=True, cdn_resources="in_line")
    for i, row in enumerate(nodes.iter_rows(named=True)):
        net.add_node(row["id"], label=row["label"], title=_tooltip(row, view.niche),
                     color=community_colour(row["community"]), value=float(row["score"] or 0.0),
                     x=float(positions[i, 0]), y=float(positions[i, 1]), physics=False,
                     community=row["community"], role=row["role"], tier=row["tier"], niches=row["niches"],
                     search=f"{row['label']} {row['name'] or ''}".lower(), details=_details(row, view.niche))
    kinds = [k for k in EDGE_KINDS if f"w_{k}" in view.edges.columns]
    for row in view.edges.iter_rows(named=True):
        parts = " · ".join(f"{k} {_number(row[f'w_{k}'])}" for k in kinds if row[f"w_{k}"])
        net.add_edge(row["src"], row["dst"], value=float(row["weight"]), color=KIND_COLOURS.get(row["kind"], OTHER_COLOUR),
                     title=f"{parts} (weight {_number(row['weight'])})", kind=row["kind"])
    net.options = {
        "physics": {"enabled": False},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": view.edges.height > 2000},
        "nodes": {"shape": "dot", "scaling": {"min": 4, "max": 40, "label": {"enabled": True, "min": 10, "max": 24}},
                  "font": {"size": 12}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}, "smooth": False,
                  "scaling": {"min": 0.5, "max": 6}, "color": {"inherit": False}},
        "layout": {"improvedLayout": False},
    }
    graph_nodes, graph_edges, _heading, _height, _width, options = net.get_network_data()
    labels = view.community_labels
    counts = dict(sizes.iter_rows())
    legend = [{"color": community_colour(c), "label": f"community {c}{(': ' + labels[c]) if labels.get(c) else ''} ({counts[c]:,} shown)"}
              for c in coloured]
    if any(community_colour(c) == OTHER_COLOUR for c in sizes["community"].to_list()):
        legend.append({"color": OTHER_COLOUR, "label": "other communities, or none computed"})
    meta = {"caption": view.caption(), "nodes": len(graph_nodes), "edges": len(graph_edges),
            "total_nodes": view.total_nodes, "total_edges": view.total_edges, "niche": view.niche,
            "legend": legend, "edge_legend": [{"color": KIND_COLOURS[k], "label": k} for k in kinds],
            "facets": {"community": [[v, f"community {label}"] for v, label in _facet(nodes, "community")],
                       "role": _facet(nodes, "role"), "tier": _facet(nodes, "tier"),
                       "niche": _facet(nodes.select(pl.col("niches").explode().alias("niche")), "niche")}}
    data_json = script_json({"nodes": graph_nodes, "edges": graph_edges, "options": json.loads(options), "meta": meta})
    vis_js, app_js = _vis_asset("vis-network.min.js"), asset("map.js")
    from markupsafe import Markup

    return render_page("map.html", title=title, caption=view.caption(), score_name=view.score_name,
                       truncated=view.nodes.height < view.total_nodes, version=__version__, csp=csp([vis_js, app_js]),
                       styles=[Markup(_vis_asset("vis-network.css")), Markup(asset("map.css"))],
                       data_json=Markup(data_json), scripts=[Markup(vis_js), Markup(app_js)])


def _title(niche: str | None) -> str:
    """The title of the map of `niche` (None: the whole workspace)."""
    return f"influgraph map: niche {niche}" if niche else "influgraph map: whole workspace"


def write_map(view: GraphView, out: str | Path, *, seed: int = 0) -> Path:
    """Lay `view` out (seeded) and write its interactive map to `out`, atomically; returns the path.

    Example: ``write_map(graph_view(read_view_data(ws), max_nodes=DEFAULT_MAX_NODES), "map.html")``.
    """
    out = Path(out)
    data = render_map(view, layout(view, seed), title=_title(view.niche)).encode("utf-8")
    with guard_write(out):
        atomic_write_bytes(out, data)
    return out
