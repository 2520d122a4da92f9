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
  GEXF and GraphML are written directly from the view's tables, a chunk of rows at a time
  (polars string expressions, not networkx's writers); GEXF has no xsi:schemaLocation and no
  empty graph name, which the GEXF 1.3 RelaxNG schema does not allow: files validate against it
  and against the GraphML XSD.
- **Time** (GEXF only): with a timeline (`views.Timeline`) the graph is dynamic: each node and edge that does not
  exist throughout has a `start` (xsd:dateTime, UTC; see `gexf_time` for why `timeformat="date"`), nothing has an
  `end`; without one the graph is static, as before.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from xml.sax.saxutils import quoteattr
from collections.abc import Iterator
from typing import TYPE_CHECKING

import polars as pl

from ..atomic import atomic_write, atomic_write_bytes
from ..errors import BadInput
from ..jsonout import dumps
from .paths import check_file, check_folder, guard_write
from .tables import write_table
from .views import GraphView

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FILE_FORMATS", "write_graph_file", "to_networkx", "node_link", "xml_safe", "xml_id", "gexf_time",
           "XML_REPLACEMENT"]

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


GEXF_HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n<gexf xmlns=\"http://gexf.net/1.3\" "
             "xmlns:viz=\"http://gexf.net/1.3/viz\" version=\"1.3\"><meta lastmodifieddate=\"{date}\">"
             "<creator>influgraph</creator></meta>")  # no xsi:schemaLocation; the RelaxNG schema allows none
GRAPHML_HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
                "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">")
XML_UNSAFE_PATTERN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"  # XML_UNSAFE on UTF-8 text (no surrogates there)
CHUNK_ROWS = 20_000  # rows turned into XML text at a time
GEXF_TIME = "%Y-%m-%dT%H:%M:%S%.fZ"  # xsd:dateTime, UTC; `%.f` writes the fraction only when there is one
GEXF_TYPES = {"i": "long", "u": "long", "f": "double", "b": "boolean"}  # numpy kind -> GEXF and GraphML type
ATTRIBUTE_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\t", "&#9;"), ("\n", "&#10;"),
                     ("\r", "&#13;"))


def _xml_type(dtype: pl.DataType) -> str:
    """The GEXF and GraphML type of a polars column: long, double, boolean or string."""
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "long"
    return "double" if dtype.is_float() else "string"


def _text(column: str | pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A column as escaped XML attribute text (XML-safe first): numbers as xsd:double spells them, null stays null."""
    expr = pl.col(column) if isinstance(column, str) else column
    if dtype.is_float():
        text = expr.cast(pl.String)
        return text.replace_strict({"inf": "INF", "-inf": "-INF"}, default=text)
    if dtype == pl.Boolean or dtype.is_integer():
        return expr.cast(pl.String)
    text = expr.cast(pl.String).str.replace_all(XML_UNSAFE_PATTERN, XML_REPLACEMENT)
    for plain, escaped in ATTRIBUTE_ESCAPES:
        text = text.str.replace_all(plain, escaped, literal=True)
    return text


def _scalar_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with list columns joined by "; " (XML attributes hold scalars only)."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(name).cast(pl.List(pl.String)).list.join("; ") for name in lists)


def _count_unsafe(*frames: pl.DataFrame) -> int:
    """How many characters XML 1.0 cannot carry the text columns of `frames` hold (ids and ends excluded)."""
    total = 0
    for frame in frames:
        text = [n for n, t in frame.schema.items() if t == pl.String and n not in ("id", "src", "dst")]
        if text and frame.height:
            counts = frame.select(pl.col(n).str.count_matches(XML_UNSAFE_PATTERN).sum() for n in text)
            total += int(sum(v or 0 for v in counts.row(0)))
    return total


def _xml_ids(nodes: pl.DataFrame, edges: pl.DataFrame, fmt: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Ids as `fmt` can carry them (`xml_id`, applied only to the ids that need it), in nodes and edge ends.

    Raises BadInput when two ids would become one.
    """
    pattern = XML_UNSAFE_PATTERN if fmt == "gexf" else ID_UNSAFE[fmt].pattern
    unsafe = nodes.filter(pl.col("id").str.contains(pattern))["id"].to_list()
    if not unsafe:
        return nodes, edges
    mapping = {node: xml_id(node, fmt) for node in unsafe}
    nodes = nodes.with_columns(pl.col("id").replace(mapping))
    if nodes["id"].n_unique() < nodes.height:
        raise BadInput(f"two account ids become one id in the {fmt} file", param="fmt",
                       hint="use `fmt` json, csv or parquet, which keep ids verbatim")
    return nodes, edges.with_columns(pl.col("src").replace(mapping), pl.col("dst").replace(mapping))


def _fragments(frame: pl.DataFrame, columns: list[str], keys: dict[str, str], fmt: str) -> pl.Expr:
    """Per row, the attribute values of `columns` as GEXF <attvalue> or GraphML <data> elements (nulls left out)."""
    parts = []
    for name in columns:
        value = _text(name, frame.schema[name])
        if fmt == "gexf":
            element = pl.concat_str([pl.lit(f'<attvalue for="{keys[name]}" value="'), value, pl.lit('" />')])
        else:
            element = pl.concat_str([pl.lit(f'<data key="{keys[name]}">'), value, pl.lit("</data>")])
        parts.append(element.fill_null(""))
    return pl.concat_str(parts) if parts else pl.lit("")


def _declarations(frame: pl.DataFrame, columns: list[str], keys: dict[str, str], kind: str, fmt: str) -> str:
    """The GEXF <attributes> block or the GraphML <key> elements of `columns`."""
    if fmt == "graphml":
        return "".join(f'<key id="{keys[c]}" for="{kind}" attr.name={quoteattr(c)} attr.type="{_xml_type(frame.schema[c])}"/>'
                       for c in columns)
    inner = "".join(f'<attribute id="{keys[c]}" title={quoteattr(c)} type="{_xml_type(frame.schema[c])}" />' for c in columns)
    return f'<attributes mode="static" class="{kind}">{inner}</attributes>' if columns else ""


def _viz(nodes: pl.DataFrame) -> pl.Expr:
    """Gephi's <viz:color> by community (the map's colours) and <viz:size> by score, per node."""
    from .html_map import community_colour

    communities = nodes["community"].unique().to_list() if "community" in nodes.columns else [None]
    colours = {}
    for community in communities:
        colour = community_colour(community)
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        colours[community] = f'<viz:color r="{r}" g="{g}" b="{b}" a="1.0" />'
    top = max(float(nodes["score"].max() or 0.0), 1e-12) if nodes.height else 1.0
    colour = (pl.col("community").replace_strict(colours, default=colours.get(None, ""), return_dtype=pl.String)
              if "community" in nodes.columns else pl.lit(colours[None]))
    size = (4.0 + 36.0 * pl.col("score").fill_null(0.0).cast(pl.Float64) / top).cast(pl.String)
    return pl.concat_str([colour.fill_null(colours.get(None, "")), pl.lit('<viz:size value="'), size, pl.lit('" />')])


def gexf_time(column: str | pl.Expr) -> pl.Expr:
    """A Datetime column as GEXF time text (xsd:dateTime in UTC, the stored microseconds kept: trailing zeros of
    the fraction dropped), null stays null.

    The graph says `timeformat="date"`, as networkx's own writer does for text times: networkx's reader (and so
    influgraph's importer) fails on `"dateTime"` (networkx issue 3246), while Gephi reads ISO date-times under
    either and the GEXF 1.3 RelaxNG takes any xsd:date or xsd:dateTime value under either.

    Example: 2026-05-01 10:00:00.005 UTC is written ``2026-05-01T10:00:00.005Z``.
    """
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.cast(pl.Datetime("us", "UTC")).dt.to_string(GEXF_TIME)


def _timed(view: GraphView, nodes: pl.DataFrame, edges: pl.DataFrame) -> tuple[str, pl.DataFrame, pl.DataFrame]:
    """The GEXF <graph> mode attributes, and `nodes` and `edges` with `_start` (their ` start="..."` text, "" for
    present throughout): dynamic with the view's timeline, static without."""
    if view.node_start is None or view.edge_start is None or view.time_range is None:
        return ' mode="static"', nodes, edges.with_columns(pl.lit("").alias("_start"))
    first, last = pl.select(gexf_time(pl.lit(pl.Series(list(view.time_range))))).to_series().to_list()
    start = pl.concat_str([pl.lit(' start="'), gexf_time("_start"), pl.lit('"')]).fill_null("")
    return (f' mode="dynamic" timeformat="date" timerepresentation="interval" start="{first}" end="{last}" timezone="UTC"',
            nodes.with_columns(view.node_start.alias("_start")).with_columns(start.alias("_start")),
            edges.with_columns(view.edge_start.alias("_start")).with_columns(start.alias("_start")))


def _xml_chunks(view: GraphView, fmt: str) -> tuple[Iterator[str], int]:
    """The GEXF 1.3 or GraphML text of `view`, as chunks made on demand from its tables; and the characters replaced."""
    nodes, edges = _scalar_columns(view.nodes), _scalar_columns(view.edges)
    replaced = _count_unsafe(nodes, edges)
    nodes, edges = _xml_ids(nodes, edges, fmt)
    if fmt == "gexf":
        mode, nodes, edges = _timed(view, nodes, edges)
    skip_nodes = {"id", "label", "_start"} if fmt == "gexf" else {"id"}
    node_columns = [c for c in nodes.columns if c not in skip_nodes]
    edge_columns = [c for c in edges.columns if c not in ("src", "dst", "_start") and not (fmt == "gexf" and c == "weight")]
    keys = {c: (str(i) if fmt == "gexf" else f"d{i}") for i, c in enumerate(node_columns)}
    edge_keys = {c: (str(i) if fmt == "gexf" else f"d{i}") for i, c in enumerate(edge_columns, start=len(node_columns))}
    ident = _text("id", pl.String)
    if fmt == "gexf":
        head = [GEXF_HEAD.format(date=date.today().isoformat()), f'<graph defaultedgetype="directed"{mode}>',
                _declarations(edges, edge_columns, edge_keys, "edge", fmt),
                _declarations(nodes, node_columns, keys, "node", fmt), "<nodes>"]
        label = _text(pl.coalesce("label", "id") if "label" in nodes.columns else pl.col("id"), pl.String)
        attvalues = _fragments(nodes, node_columns, keys, fmt)
        node_text = pl.concat_str([pl.lit('<node id="'), ident, pl.lit('" label="'), label, pl.lit('"'),
                                   pl.col("_start") if "_start" in nodes.columns else pl.lit(""), pl.lit(">"), _viz(nodes),
                                   pl.when(attvalues != "").then(pl.concat_str([pl.lit("<attvalues>"), attvalues,
                                                                                pl.lit("</attvalues>")])).otherwise(pl.lit("")),
                                   pl.lit("</node>")])
        edge_values = _fragments(edges, edge_columns, edge_keys, fmt)
        weight = (pl.concat_str([pl.lit('" weight="'), _text("weight", edges.schema["weight"])]).fill_null("")
                  if "weight" in edges.columns else pl.lit(""))
        edge_text = pl.concat_str([pl.lit('<edge source="'), _text("src", pl.String), pl.lit('" target="'),
                                   _text("dst", pl.String), pl.lit('" id="'), pl.col("_row").cast(pl.String),
                                   weight, pl.lit('"'), pl.col("_start"), pl.lit(">"),
                                   pl.when(edge_values != "").then(pl.concat_str([pl.lit("<attvalues>"), edge_values,
                                                                                  pl.lit("</attvalues>")])).otherwise(pl.lit("")),
                                   pl.lit("</edge>")])
        middle, tail = "</nodes><edges>", "</edges></graph></gexf>\n"
    else:
        head = [GRAPHML_HEAD, _declarations(nodes, node_columns, keys, "node", fmt),
                _declarations(edges, edge_columns, edge_keys, "edge", fmt), '<graph edgedefault="directed">']
        node_text = pl.concat_str([pl.lit('<node id="'), ident, pl.lit('">'), _fragments(nodes, node_columns, keys, fmt),
                                   pl.lit("</node>")])
        edge_text = pl.concat_str([pl.lit('<edge source="'), _text("src", pl.String), pl.lit('" target="'),
                                   _text("dst", pl.String), pl.lit('">'), _fragments(edges, edge_columns, edge_keys, fmt),
                                   pl.lit("</edge>")])
        middle, tail = "", "</graph></graphml>\n"
    edges = edges.with_row_index("_row")

    def chunks() -> Iterator[str]:
        yield "".join(head)
        for part in nodes.iter_slices(CHUNK_ROWS):
            yield part.select(node_text.alias("x"))["x"].str.join("").item()
        yield middle
        for part in edges.iter_slices(CHUNK_ROWS):
            yield part.select(edge_text.alias("x"))["x"].str.join("").item()
        yield tail

    return chunks(), replaced


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
    chunks, replaced = _xml_chunks(view, fmt)
    if replaced and notes is not None:
        notes.append(f"{replaced:,} character{'s' if replaced != 1 else ''} that XML 1.0 cannot carry "
                     f"(control characters, lone surrogates, U+FFFE, U+FFFF) written as U+FFFD")
    with guard_write(out):
        atomic_write(out, lambda handle: handle.writelines(chunk.encode("utf-8") for chunk in chunks))
    return [out]
