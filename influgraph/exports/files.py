"""Graph files for other tools: GEXF 1.3 (Gephi), GraphML, Gephi-style CSV tables, Parquet, node-link JSON.

Rules (documented in the README):

- Every format writes the same `GraphView` (see `views`), so node and edge counts agree.
- Node ids are the account ids, as strings; `label` is the handle. Attributes: name, bio,
  followers, tier, community, community role, role, niches (joined with "; "), score,
  in-strength and out-strength, and with a niche its rank, niche influence, audience relevance,
  reach and evidence. Edges: weight, dominant kind and per-kind weights.
- GEXF carries Gephi's `viz` colour (by community) and size (by score). Missing values are left
  out of the node rather than written as empty strings.
- CSV: `nodes.csv` (Id, Label, ...) and `edges.csv` (Source, Target, Type, ...), the columns
  Gephi's spreadsheet import expects, formula-safe, UTF-8 (`excel=True` adds a BOM).
- Every file is written atomically; CSV and Parquet go into a folder as nodes.* and edges.*.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..atomic import atomic_write, atomic_write_bytes
from ..errors import BadInput
from .paths import check_file, check_folder
from .tables import write_table
from .views import GraphView

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FILE_FORMATS", "write_graph_file", "to_networkx", "node_link"]

FILE_FORMATS = ("gexf", "graphml", "csv", "parquet", "json")


def _flat_nodes(view: GraphView) -> pl.DataFrame:
    """Nodes with list columns joined by "; " (GEXF, GraphML and CSV hold scalars only)."""
    return view.nodes.with_columns(pl.col("niches").list.join("; "))


def to_networkx(view: GraphView, *, viz: bool = False) -> "nx.DiGraph":
    """The view as a networkx DiGraph keyed by string ids; None attributes are left out."""
    import networkx as nx

    from .html_map import community_colour

    graph = nx.DiGraph()
    nodes = _flat_nodes(view)
    top = max(float(nodes["score"].max() or 0.0), 1e-12) if nodes.height else 1.0
    for row in nodes.iter_rows(named=True):
        attributes = {k: v for k, v in row.items() if v is not None and k != "id"}
        if viz:
            colour = community_colour(row["community"])
            r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
            attributes["viz"] = {"color": {"r": r, "g": g, "b": b, "a": 1.0},
                                 "size": 4.0 + 36.0 * float(row["score"] or 0.0) / top}
        graph.add_node(row["id"], **attributes)
    edge_columns = [c for c in view.edges.columns if c not in ("src", "dst")]
    graph.add_edges_from((row[0], row[1], dict(zip(edge_columns, row[2:]))) for row in view.edges.iter_rows())
    return graph


def node_link(view: GraphView) -> dict:
    """networkx's node-link JSON form (`nx.node_link_graph(data, edges="edges")` reads it back)."""
    return {"directed": True, "multigraph": False,
            "graph": {"caption": view.caption(), "niche": view.niche, "total_nodes": view.total_nodes,
                      "total_edges": view.total_edges},
            "nodes": view.nodes.to_dicts(),
            "edges": view.edges.rename({"src": "source", "dst": "target"}).to_dicts()}


def _gephi_tables(view: GraphView) -> tuple[pl.DataFrame, pl.DataFrame]:
    nodes = _flat_nodes(view).rename({"id": "Id", "label": "Label"})
    edges = view.edges.rename({"src": "Source", "dst": "Target", "weight": "Weight", "kind": "Kind"}).with_columns(
        pl.lit("Directed").alias("Type")).select("Source", "Target", "Type", "Weight", "Kind", pl.exclude(
            "Source", "Target", "Type", "Weight", "Kind"))
    return nodes, edges


def write_graph_file(view: GraphView, fmt: str, out: str | Path, *, excel: bool = False) -> list[Path]:
    """Write `view` in `fmt` to `out` (a file, or a folder for csv and parquet); returns the paths written.

    Example: ``write_graph_file(graph_view(read_view_data(ws)), "gexf", "workspace.gexf")``.
    """
    import networkx as nx

    out = Path(out)
    if fmt not in FILE_FORMATS:
        raise BadInput(f"unknown export format {fmt!r}", param="fmt", hint=f"use one of {', '.join(FILE_FORMATS)}")
    if fmt in ("csv", "parquet"):
        check_folder(out, "csv and parquet exports write a folder (nodes and edges)")
        out.mkdir(parents=True, exist_ok=True)
        nodes, edges = _gephi_tables(view) if fmt == "csv" else (view.nodes, view.edges)
        return [write_table(nodes, out / f"nodes.{fmt}", excel=excel), write_table(edges, out / f"edges.{fmt}", excel=excel)]
    check_file(out, f"a {fmt} export", f".{fmt}")
    if fmt == "json":
        data = json.dumps(node_link(view), ensure_ascii=False, indent=1, default=str).encode("utf-8")
        atomic_write_bytes(out, data)
        return [out]
    graph = to_networkx(view, viz=fmt == "gexf")
    buffer = io.BytesIO()
    if fmt == "gexf":
        nx.write_gexf(graph, buffer, encoding="utf-8", prettyprint=False, version="1.3")
    else:
        nx.write_graphml(graph, buffer, encoding="utf-8", prettyprint=False)
    atomic_write(out, lambda handle: handle.write(buffer.getvalue()))
    return [out]
