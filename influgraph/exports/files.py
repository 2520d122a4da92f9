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
- **XML-safe text** (GEXF and GraphML, one rule): every character XML 1.0 cannot carry (U+0000 to
  U+001F except tab, newline and carriage return; lone surrogates; U+FFFE and U+FFFF) is replaced
  by U+FFFD in labels and every text attribute (`xml_safe`); the export's notes say how many.
  Node ids are kept verbatim when the format can carry them, else written with `_xHHHH_`
  escapes (`xml_id`: GraphML ids must be XML name tokens, kept to ASCII letters, digits and
  . : _ -), so distinct ids stay distinct.
  GEXF leaves out the xsi:schemaLocation (networkx misspells its namespace) and the empty graph
  name, which the GEXF 1.3 RelaxNG schema does not allow: files validate against it and against
  the GraphML XSD.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..atomic import atomic_write_bytes
from ..errors import BadInput
from ..jsonout import dumps
from .paths import check_file, check_folder, guard_write
from .tables import write_table
from .views import GraphView

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FILE_FORMATS", "write_graph_file", "to_networkx", "node_link", "xml_safe", "xml_id", "XML_REPLACEMENT"]

FILE_FORMATS = ("gexf", "graphml", "csv", "parquet", "json")
XML_REPLACEMENT = "\ufffd"
XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# characters an id may keep: GEXF ids are any XML text; GraphML ids must be XSD name tokens (kept to ASCII ones)
ID_UNSAFE = {"gexf": XML_UNSAFE, "graphml": re.compile("[^A-Za-z0-9.:_-]")}


def xml_safe(text: str) -> tuple[str, int]:
    """`text` with each character XML 1.0 cannot carry replaced by U+FFFD, and how many were replaced.

    Example: ``xml_safe("a\\x01b\\ud800") == ("a\\ufffdb\\ufffd", 2)``.
    """
    return XML_UNSAFE.subn(XML_REPLACEMENT, text)


def xml_id(node: str, fmt: str) -> str:
    """A node id as GEXF or GraphML can carry it: verbatim when it can, else each character it cannot
    (and each '_' before 'x') written as `_xHHHH_`, the code point in hex, so distinct ids stay distinct.

    Example: ``xml_id("123", "graphml") == "123"``; ``xml_id("a b", "graphml") == "a_x0020_b"``.
    """
    if not ID_UNSAFE[fmt].search(node):
        return node
    return re.sub(f"_(?=x)|{ID_UNSAFE[fmt].pattern}", lambda found: f"_x{ord(found.group()):04X}_", node)


def _xml_safe_graph(graph: "nx.DiGraph", fmt: str = "gexf") -> tuple["nx.DiGraph", int]:
    """`graph` with `xml_safe` applied to every text attribute and `xml_id` to every node id (for `fmt`);
    and the count of characters replaced."""
    import networkx as nx

    replaced = 0

    def fix(value: object) -> object:
        nonlocal replaced
        if not isinstance(value, str):
            return value
        value, count = xml_safe(value)
        replaced += count
        return value

    for *_, data in [*graph.nodes(data=True), *graph.edges(data=True)]:
        for key, value in data.items():
            data[key] = fix(value)
    mapping = {node: xml_id(node, fmt) for node in graph if isinstance(node, str) and ID_UNSAFE[fmt].search(node)}
    if len(set(graph) - set(mapping) | set(mapping.values())) < graph.number_of_nodes():
        raise BadInput(f"two account ids become one id in the {fmt} file", param="fmt",
                       hint="use `fmt` json, csv or parquet, which keep ids verbatim")
    return (nx.relabel_nodes(graph, mapping) if mapping else graph), replaced


def _xml_bytes(graph: "nx.DiGraph", fmt: str) -> bytes:
    """GEXF 1.3 or GraphML bytes of `graph` (already XML-safe)."""
    import networkx as nx
    from networkx.readwrite.gexf import GEXFWriter

    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(graph, buffer, encoding="utf-8", prettyprint=False)
        return buffer.getvalue()
    writer = GEXFWriter(encoding="utf-8", prettyprint=False, version="1.3")
    for attribute in ("xmlns:xsi", "xsi:schemaLocation"):  # not in the GEXF 1.3 RelaxNG schema (networkx misspells one)
        writer.xml.attrib.pop(attribute, None)
    writer.add_graph(graph)
    writer.graph_element.attrib.pop("name", None)  # networkx writes name="", which the schema does not allow
    writer.write(buffer)
    return buffer.getvalue()


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


def write_graph_file(view: GraphView, fmt: str, out: str | Path, *, excel: bool = False,
                     workspace: str | Path | None = None, notes: list[str] | None = None) -> list[Path]:
    """Write `view` in `fmt` to `out` (a file, or a folder for csv and parquet); returns the paths written.

    `out` is checked first (`check_file`, `check_folder`: never inside `workspace` or any workspace folder).
    `notes`, when given, receives a line saying how many characters GEXF or GraphML had to replace.

    Example: ``write_graph_file(graph_view(read_view_data(ws)), "gexf", "workspace.gexf")``.
    """
    if fmt not in FILE_FORMATS:
        raise BadInput(f"unknown export format {fmt!r}", param="fmt", hint=f"use one of {', '.join(FILE_FORMATS)}")
    if fmt in ("csv", "parquet"):
        out = check_folder(out, "csv and parquet exports write a folder (nodes and edges)", workspace)
        with guard_write(out):
            out.mkdir(parents=True, exist_ok=True)
        nodes, edges = _gephi_tables(view) if fmt == "csv" else (view.nodes, view.edges)
        return [write_table(frame, out / f"{name}.{fmt}", excel=excel, workspace=workspace)
                for name, frame in (("nodes", nodes), ("edges", edges))]
    out = check_file(out, f"a {fmt} export", f".{fmt}", workspace)
    if fmt == "json":
        data = dumps(node_link(view), indent=1).encode("utf-8")  # strict JSON: NaN and infinities as null
        with guard_write(out):
            atomic_write_bytes(out, data)
        return [out]
    graph, replaced = _xml_safe_graph(to_networkx(view, viz=fmt == "gexf"), fmt)
    if replaced and notes is not None:
        notes.append(f"{replaced:,} character{'s' if replaced != 1 else ''} that XML 1.0 cannot carry "
                     f"(control characters, lone surrogates, U+FFFE, U+FFFF) written as U+FFFD")
    data = _xml_bytes(graph, fmt)
    with guard_write(out):
        atomic_write_bytes(out, data)
    return [out]
