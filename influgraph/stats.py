"""Workspace statistics: table sizes, edges by kind, and the shape of the graph built from them.

`compute_stats` returns a `StatsResult`; its `summary()` is JSON-ready (ids are strings, text is
kept byte-exact).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .errors import BadInput
from .graph import BuiltGraph, GraphSpec, build_graph
from .schema import EDGE_KINDS, TABLES, Batch

if TYPE_CHECKING:
    from .engines.spark import SparkEngine
    from .workspace import Workspace

__all__ = ["compute_stats", "StatsResult"]


@dataclass(frozen=True)
class StatsResult:
    """Table sizes, edges by kind, the graph's shape, and the top accounts and hashtags of one workspace.

    `graph` holds nodes, edges, self_loops_dropped, isolated, density, mean_in_degree,
    max_in_degree, max_out_degree, weak_components, largest_weak_component and strong_components
    (self_loops_dropped and strong_components are None when the Spark engine computed the rest).
    """

    workspace: str
    content_hash: str
    accounts: int
    posts: int
    edges: int
    edges_by_kind: dict  # kind -> {"rows": int, "weight": float}, every kind of schema.EDGE_KINDS
    platforms: list[str]
    graph: dict
    top_accounts_by_in_degree: list[dict]  # id, in_degree, platform, handle, name
    top_hashtags: list[dict]  # hashtag, posts

    def summary(self) -> dict:
        """JSON-ready summary, keys in field order (what the command line prints as JSON)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def _top_accounts(workspace: "Workspace", keys: pl.DataFrame, indegree: np.ndarray, top: int) -> list[dict]:
    """The `top` vertices by in-degree (ties in vertex order), with platform, handle and name.

    `keys` holds `id` and, from the local engine, `platform` of every vertex: the same id on
    two platforms is two accounts, joined to their own accounts rows."""
    if not keys.height or top < 1:
        return []
    order = np.lexsort((np.arange(keys.height), -indegree))[:top]
    chosen = keys[order].with_columns(pl.Series("in_degree", indegree[order].astype(np.int64), dtype=pl.Int64))
    on = ["platform", "id"] if "platform" in keys.columns else ["id"]
    accounts = workspace.scan("accounts").select("id", "platform", "handle", "name").unique(on, keep="first")
    joined = chosen.lazy().join(accounts, on=on, how="left", maintain_order="left", nulls_equal=True).collect()
    return joined.select("id", "in_degree", "platform", "handle", "name").to_dicts()


def _top_hashtags(workspace: "Workspace", top: int) -> list[dict]:
    posts = workspace.scan("posts").select("hashtags").explode("hashtags").drop_nulls()
    counted = (posts.group_by("hashtags").agg(pl.len().alias("posts"))
               .sort(["posts", "hashtags"], descending=[True, False]).head(top).collect())
    return [{"hashtag": row["hashtags"], "posts": row["posts"]} for row in counted.to_dicts()]


class _BatchTables:
    """A Batch read through the few Workspace methods `compute_stats` uses (the stats of one window's batch)."""

    def __init__(self, batch: Batch) -> None:
        self.batch, self.path = batch, ""

    def scan(self, name: str) -> pl.LazyFrame:
        return getattr(self.batch, name).lazy()

    def counts(self) -> dict[str, int]:
        return {name: getattr(self.batch, name).height for name in TABLES}

    def content_hash(self) -> str:
        from .workspace import table_hash

        return table_hash(pl.DataFrame({"table": list(TABLES), "hash": [table_hash(getattr(self.batch, n)) for n in TABLES]}))


def compute_stats(workspace: "Workspace | Batch", spec: GraphSpec = GraphSpec(), *, top: int = 10,
                  engine: "SparkEngine | None" = None) -> StatsResult:
    """Counts of accounts, posts and edges (by kind), and graph nodes, edges, degrees and components.

    Parameters
    ----------
    workspace : the workspace to describe, or a Batch (such as one window's, `windows.window_batch`;
        its `workspace` is then "" and its content hash that of the batch's three tables).
    spec : the graph to build (edge kinds, platform...); every kind by default.
    top : how many accounts by in-degree and hashtags by post count to list, with their original text.
    engine : a running `SparkEngine` to compute degrees and weak components as Spark jobs (strong
        components and self-loops are then not computed: None); the local engine by default.

    Returns
    -------
    StatsResult; `summary()` gives it as a dict.

    >>> compute_stats(Workspace("ws")).graph["nodes"]   # doctest: +SKIP
    """
    if isinstance(workspace, Batch):
        if engine is not None:
            raise BadInput("the Spark `engine` reads a workspace's files, not a batch", hint="use the local engine", param="engine")
        workspace = _BatchTables(workspace)  # type: ignore[assignment]
    edges = workspace.scan("edges")
    by_kind = edges.group_by("kind").agg(pl.len().alias("rows"), pl.col("weight").sum().alias("weight")).collect()
    kinds = {row["kind"]: {"rows": row["rows"], "weight": row["weight"]} for row in by_kind.to_dicts()}
    if engine is None:
        shape = _local_shape(build_graph(getattr(workspace, "batch", workspace), spec))
    else:
        shape = _spark_shape(engine, spec)
    keys, indegree, outdegree, weak_sizes, strong_count, loops, m = shape
    n = keys.height
    counts = workspace.counts()
    return StatsResult(
        workspace=str(workspace.path),
        content_hash=workspace.content_hash(),
        accounts=counts["accounts"],
        posts=counts["posts"],
        edges=counts["edges"],
        edges_by_kind={k: kinds.get(k, {"rows": 0, "weight": 0.0}) for k in EDGE_KINDS},
        platforms=sorted(workspace.scan("accounts").select("platform").unique().collect()["platform"].drop_nulls().to_list()),
        graph={
            "nodes": n,
            "edges": m,
            "self_loops_dropped": loops,
            "isolated": int(((indegree + outdegree) == 0).sum()) if n else 0,
            "density": (m / (n * (n - 1))) if n > 1 else 0.0,
            "mean_in_degree": (m / n) if n else 0.0,
            "max_in_degree": int(indegree.max()) if n else 0,
            "max_out_degree": int(outdegree.max()) if n else 0,
            "weak_components": len(weak_sizes),
            "largest_weak_component": int(weak_sizes.max()) if n else 0,
            "strong_components": strong_count,
        },
        top_accounts_by_in_degree=_top_accounts(workspace, keys, indegree, top),
        top_hashtags=_top_hashtags(workspace, top),
    )


Shape = tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray, "int | None", "int | None", int]


def _local_shape(built: BuiltGraph) -> Shape:
    """Vertex keys, in/out-degree, weak component sizes, strong component count, self-loops, edges: scipy, no igraph."""
    from scipy.sparse.csgraph import connected_components

    n, targets, sources = built.n, built.ends[:, 1], built.ends[:, 0]
    indegree, outdegree = np.bincount(targets, minlength=n), np.bincount(sources, minlength=n)
    if n == 0:
        return built.vertices, indegree, outdegree, np.zeros(0, np.int64), 0, built.self_loops, 0
    _, weak = connected_components(built.matrix, directed=True, connection="weak")
    strong, _ = connected_components(built.matrix, directed=True, connection="strong")
    return built.vertices, indegree, outdegree, np.bincount(weak), int(strong), built.self_loops, len(built.ends)


def _spark_shape(engine: "SparkEngine", spec: GraphSpec) -> Shape:
    """The same shape from Spark jobs (degrees, min-label weak components); strong components and
    self-loop counts are left to the local engine (null)."""
    kinds = [k for k in spec.kinds if spec.kind_weight(k) > 0]
    degrees = engine.degrees(kinds=kinds)
    components = engine.components(kinds=kinds)
    sizes = components.group_by("component").len()["len"].to_numpy()
    return (degrees.select("id"), degrees["in_degree"].cast(pl.Int64).to_numpy(),
            degrees["out_degree"].cast(pl.Int64).to_numpy(), sizes, None, None, int(degrees["in_degree"].sum()))
