"""GraphML, GEXF and GML files (Gephi, networkx, igraph, Newman's datasets) into accounts and edges.

Node attributes `label`/`name`/`handle`/`screen_name`/`username` become the handle and name,
`followers` the follower count. Edge attributes `kind`/`type`/`interaction` give the kind
(retweet -> repost and the other synonyms of edge lists), `weight` the weight; without them the
kind is the options' `kind`, else follow. **Undirected graphs** (friendships, co-occurrence) are stored with
each edge in both directions, so a mutual tie counts for both accounts. A lone surrogate that a
character reference spells (GML's `&#55296;`) is replaced by U+FFFD and counted in a note, as in JSON.
"""
from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from ..errors import BadInput
from .base import ImportOptions, LoneSurrogates, ReadResult, read_input_bytes
from .tabular import _edges

__all__ = ["read_graphml", "read_gexf", "read_gml"]

_HANDLE_KEYS = ("handle", "screen_name", "username", "label", "name")


def _read(path: Path, options: ImportOptions, fmt: str) -> ReadResult:
    import networkx as nx

    path = Path(path)
    raw = read_input_bytes(path)
    readers = {"graphml": nx.read_graphml, "gexf": nx.read_gexf,
               "gml": lambda handle: nx.read_gml(handle, label="id")}  # GML ids are the keys; labels become handles
    try:
        graph = readers[fmt](io.BytesIO(raw))
    except Exception as exc:  # ParseError, KeyError, NetworkXError: all mean a malformed file
        message = str(exc).splitlines()[0][:120] if str(exc) else exc.__class__.__name__
        raise BadInput(f"not a readable {fmt.upper()} file ({message})", path=path,
                       hint="re-export it from the tool that wrote it") from None
    if graph.number_of_nodes() == 0:
        raise BadInput(f"the {fmt.upper()} graph has no nodes", path=path, hint="nothing to import")
    surrogates = LoneSurrogates()
    graph = _cleaned(graph, surrogates)
    edges = list(graph.edges(data=True))
    kinds = [d.get("kind", d.get("type", d.get("interaction"))) for _, _, d in edges]
    has_kind = any(k is not None for k in kinds)
    has_weight = any(d.get("weight") is not None for _, _, d in edges)
    names = ["source", "target"] + (["kind"] if has_kind else []) + (["weight"] if has_weight else [])
    rows = []
    for line, ((u, v, data), kind) in enumerate(zip(edges, kinds), start=1):
        extra = ([None if kind is None else str(kind)] if has_kind else []) + (
            [None if data.get("weight") is None else str(data["weight"])] if has_weight else [])
        rows.append((line, [str(u), str(v), *extra]))
        if not graph.is_directed():
            rows.append((line, [str(v), str(u), *extra]))
    frame = pl.DataFrame({"_line": [r[0] for r in rows], "_fields": [r[1] for r in rows]},
                         schema={"_line": pl.Int64, "_fields": pl.List(pl.String)})
    if not rows:
        result = ReadResult(batch=_accounts_only(graph, options), format=fmt, notes=[f"{path}: no edges"])
    else:
        result = _edges(frame, names, options, path, fmt)
    accounts = _node_accounts(graph, options.platform or "generic")
    if accounts.height:
        result.batch.accounts = pl.concat([result.batch.accounts.select(accounts.columns[:2]), accounts],
                                          how="diagonal_relaxed").unique("id", keep="last", maintain_order=True)
        from ..schema import conform

        result.batch.accounts = conform(result.batch.accounts, "accounts")
    if surrogates.note(path):
        result.notes.append(surrogates.note(path))
    return result


def _cleaned(graph, surrogates: LoneSurrogates):
    """`graph` with every lone surrogate in node ids and node and edge attributes replaced (in place)."""
    import networkx as nx

    for _, data in graph.nodes(data=True):
        fixed = surrogates.clean(dict(data))
        data.clear()
        data.update(fixed)
    for *_, data in graph.edges(data=True):
        fixed = surrogates.clean(dict(data))
        data.clear()
        data.update(fixed)
    renamed = {}
    for node in list(graph):
        fixed = surrogates.clean(node) if isinstance(node, str) else node
        if fixed != node:
            renamed[node] = fixed
    return nx.relabel_nodes(graph, renamed, copy=False) if renamed else graph


def _node_accounts(graph, platform: str) -> pl.DataFrame:
    rows = []
    for node, data in graph.nodes(data=True):
        handle = next((str(data[k]) for k in _HANDLE_KEYS if data.get(k) is not None), None)
        followers = data.get("followers", data.get("followers_count"))
        rows.append({"id": str(node), "platform": platform, "handle": handle,
                     "name": str(data["name"]) if data.get("name") is not None else handle,
                     "followers": int(followers) if isinstance(followers, (int, float)) and followers == followers else None})
    return pl.DataFrame(rows, schema={"id": pl.String, "platform": pl.String, "handle": pl.String,
                                      "name": pl.String, "followers": pl.Int64})


def _accounts_only(graph, options: ImportOptions):
    from ..schema import Batch

    return Batch(accounts=_node_accounts(graph, options.platform or "generic"))


def read_graphml(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """A GraphML file (networkx, igraph, Gephi)."""
    return _read(path, options, "graphml")


def read_gexf(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """A GEXF file (Gephi)."""
    return _read(path, options, "gexf")


def read_gml(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """A GML file (networkx, igraph, Newman's network data)."""
    return _read(path, options, "gml")
