"""Workspace statistics: table sizes, edges by kind, and the shape of the graph built from them.

Everything returned is JSON-ready (ids are strings, text is kept byte-exact).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .graph import GraphSpec, build_graph
from .schema import EDGE_KINDS

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["compute_stats"]


def _top_accounts(workspace: "Workspace", ids: list[str], indegree: np.ndarray, top: int) -> list[dict]:
    if not len(ids):
        return []
    order = np.lexsort((np.arange(len(ids)), -indegree))[:top]
    chosen = pl.DataFrame({"id": [ids[i] for i in order], "in_degree": indegree[order].astype(np.int64)})
    accounts = workspace.scan("accounts").select("id", "platform", "handle", "name")
    joined = chosen.lazy().join(accounts, on="id", how="left", maintain_order="left").unique(
        "id", keep="first", maintain_order=True).collect()
    return joined.to_dicts()


def _top_hashtags(workspace: "Workspace", top: int) -> list[dict]:
    posts = workspace.scan("posts").select("hashtags").explode("hashtags").drop_nulls()
    counted = (posts.group_by("hashtags").agg(pl.len().alias("posts"))
               .sort(["posts", "hashtags"], descending=[True, False]).head(top).collect())
    return [{"hashtag": row["hashtags"], "posts": row["posts"]} for row in counted.to_dicts()]


def compute_stats(workspace: "Workspace", spec: GraphSpec = GraphSpec(), *, top: int = 10) -> dict:
    """Counts of accounts, posts and edges (by kind), and graph nodes, edges, degrees and components.

    `top` accounts by in-degree and hashtags by post count are listed with their original text.
    """
    edges = workspace.scan("edges")
    by_kind = edges.group_by("kind").agg(pl.len().alias("rows"), pl.col("weight").sum().alias("weight")).collect()
    kinds = {row["kind"]: {"rows": row["rows"], "weight": row["weight"]} for row in by_kind.to_dicts()}
    built = build_graph(workspace, spec)
    graph = built.graph
    indegree = np.asarray(graph.indegree(), dtype=np.int64)
    outdegree = np.asarray(graph.outdegree(), dtype=np.int64)
    weak = graph.connected_components(mode="weak") if graph.vcount() else []
    strong = graph.connected_components(mode="strong") if graph.vcount() else []
    n, m = graph.vcount(), graph.ecount()
    counts = workspace.counts()
    return {
        "workspace": str(workspace.path),
        "content_hash": workspace.content_hash(),
        "accounts": counts["accounts"],
        "posts": counts["posts"],
        "edges": counts["edges"],
        "edges_by_kind": {k: kinds.get(k, {"rows": 0, "weight": 0.0}) for k in EDGE_KINDS},
        "platforms": sorted(workspace.scan("accounts").select("platform").unique().collect()["platform"].drop_nulls().to_list()),
        "graph": {
            "nodes": n,
            "edges": m,
            "self_loops_dropped": built.self_loops,
            "isolated": int(((indegree + outdegree) == 0).sum()) if n else 0,
            "density": (m / (n * (n - 1))) if n > 1 else 0.0,
            "mean_in_degree": (m / n) if n else 0.0,
            "max_in_degree": int(indegree.max()) if n else 0,
            "max_out_degree": int(outdegree.max()) if n else 0,
            "weak_components": len(weak),
            "largest_weak_component": max(weak.sizes()) if n else 0,
            "strong_components": len(strong),
        },
        "top_accounts_by_in_degree": _top_accounts(workspace, built.ids, indegree, top),
        "top_hashtags": _top_hashtags(workspace, top),
    }
