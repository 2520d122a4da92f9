"""Build an igraph graph from the tables and a spec (edge kinds, weight per kind, time window, platform).

Rules (documented in the README):

- **Direction**: src acts toward dst, so in-degree and PageRank measure attention received.
- **Self-loops** (self-replies in a thread, self-mentions, self-reposts) are not influence: they
  are dropped from the graph by default and counted in `BuiltGraph.self_loops`; pass
  `GraphSpec(self_loops=True)` to keep them. They always stay in the edges table.
- **Parallel edges** (many interactions between the same two accounts, of one or several
  kinds) become one graph edge whose `weight` is the sum of `row weight x kind weight`; the
  per-kind sums are kept as edge attributes `w_<kind>` so in-strength by kind needs no second pass.
- **Kinds with weight 0** are left out, like kinds not listed.
- **Time window**: `since <= at < until`. Edges without a time (follows are states, not events)
  are kept unless `GraphSpec(keep_untimed=False)`.
- **Isolated accounts** (in `accounts` but on no kept edge) are vertices by default, so node counts
  match the workspace; `GraphSpec(include_isolated=False)` leaves them out.
- Vertices are ordered by id (deterministic); the vertex attribute `id` holds the string id.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import igraph as ig
import numpy as np
import polars as pl

from .errors import BadInput
from .schema import EDGE_KINDS, Batch

if TYPE_CHECKING:
    import networkx as nx

    from .workspace import Workspace

__all__ = ["GraphSpec", "BuiltGraph", "build_graph"]


@dataclass(frozen=True)
class GraphSpec:
    """Which edges make the graph, and how they are weighted."""

    kinds: tuple[str, ...] = EDGE_KINDS
    weights: Mapping[str, float] = field(default_factory=dict)  # kind -> multiplier, default 1.0
    since: datetime | None = None
    until: datetime | None = None
    platform: str | None = None
    include_isolated: bool = True
    self_loops: bool = False
    keep_untimed: bool = True

    def validate(self) -> None:
        """Raise BadInput for unknown kinds or weights that are not finite and >= 0."""
        unknown = [k for k in list(self.kinds) + list(self.weights) if k not in EDGE_KINDS]
        if unknown:
            raise BadInput(f"unknown edge kind {unknown[0]!r}", hint=f"use one of {', '.join(EDGE_KINDS)}")
        for kind, weight in self.weights.items():
            if not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
                raise BadInput(f"weight for {kind!r} must be a finite number >= 0, got {weight!r}")
        if self.since and self.until and self.since >= self.until:
            raise BadInput("time window is empty: since must be before until")

    def kind_weight(self, kind: str) -> float:
        """The multiplier applied to edges of `kind` (0 when the kind is not in the spec)."""
        return float(self.weights.get(kind, 1.0)) if kind in self.kinds else 0.0


@dataclass
class BuiltGraph:
    """An igraph graph with its id map. `graph.vs["id"][i]` is the account id of vertex i."""

    graph: ig.Graph
    ids: list[str]
    spec: GraphSpec
    self_loops: int = 0  # self-loop edges (rows) left out
    ends: np.ndarray | None = None  # (m, 2) vertex indices of the edges, in igraph's edge order
    _index: dict[str, int] | None = None

    def edge_array(self) -> np.ndarray:
        """Edge endpoints as an (m, 2) int64 array (no Python tuples: fast on large graphs)."""
        if self.ends is None:
            self.ends = np.asarray(self.graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        return self.ends

    def index(self, account_id: str) -> int:
        """Vertex index of an account id (KeyError when absent)."""
        if self._index is None:
            self._index = {account_id: i for i, account_id in enumerate(self.ids)}
        return self._index[account_id]

    def edge_frame(self) -> pl.DataFrame:
        """The graph's edges as a table: src, dst (string ids), weight and per-kind weights."""
        pairs = self.edge_array()
        ids = pl.Series("id", self.ids, dtype=pl.String)
        columns = {"src": ids.gather(pairs[:, 0]), "dst": ids.gather(pairs[:, 1])}
        for name in self.graph.es.attributes():
            columns[name] = self.graph.es[name]
        return pl.DataFrame(columns)

    def to_networkx(self) -> "nx.DiGraph":
        """The same graph as a networkx DiGraph keyed by string ids, with the same edge attributes."""
        import networkx as nx

        out = nx.DiGraph()
        out.add_nodes_from(self.ids)
        frame = self.edge_frame()
        attributes = [c for c in frame.columns if c not in ("src", "dst")]
        out.add_edges_from(
            (row[0], row[1], dict(zip(attributes, row[2:]))) for row in frame.iter_rows()
        )
        return out


def _utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC."""
    from datetime import timezone

    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _edges_in_spec(edges: pl.LazyFrame, spec: GraphSpec) -> pl.LazyFrame:
    kinds = [k for k in spec.kinds if spec.kind_weight(k) > 0]
    frame = edges.filter(pl.col("kind").cast(pl.String).is_in(kinds))
    if spec.platform:
        frame = frame.filter(pl.col("platform") == spec.platform)
    if spec.since or spec.until:
        window = pl.lit(True)
        if spec.since:
            window = window & (pl.col("at") >= _utc(spec.since))
        if spec.until:
            window = window & (pl.col("at") < _utc(spec.until))
        frame = frame.filter(window | (pl.col("at").is_null() & pl.lit(spec.keep_untimed)))
    return frame


def build_graph(source: "Workspace | Batch", spec: GraphSpec = GraphSpec()) -> BuiltGraph:
    """Build the directed, weighted igraph graph described by `spec` from a workspace or a Batch.

    >>> from influgraph.schema import Batch
    >>> import polars as pl
    >>> b = Batch(edges=pl.DataFrame({"src": ["a", "a", "b"], "dst": ["b", "b", "a"],
    ...                               "kind": ["repost", "mention", "follow"], "platform": ["x"] * 3}))
    >>> g = build_graph(b, GraphSpec(weights={"follow": 0.5}))
    >>> g.ids, g.graph.ecount(), g.graph.es["weight"]
    (['a', 'b'], 2, [2.0, 0.5])
    """
    spec.validate()
    if isinstance(source, Batch):
        edges, accounts = source.edges.lazy(), source.accounts.lazy()
    else:
        edges, accounts = source.scan("edges"), source.scan("accounts")
    kept = _edges_in_spec(edges, spec).with_columns(
        pl.col("kind").cast(pl.String),
        (pl.col("src") == pl.col("dst")).alias("_loop"),
    )
    if not spec.self_loops:
        loops = kept.filter(pl.col("_loop")).select(pl.len()).collect().item()
        kept = kept.filter(~pl.col("_loop"))
    else:
        loops = 0
    kinds = [k for k in spec.kinds if spec.kind_weight(k) > 0]
    weighted = kept.with_columns(
        (pl.col("weight") * pl.col("kind").replace_strict(
            {k: spec.kind_weight(k) for k in kinds}, return_dtype=pl.Float64)).alias("_w")
    )
    pairs = (
        weighted.group_by("src", "dst")
        .agg([pl.col("_w").sum().alias("weight")]
             + [pl.col("weight").filter(pl.col("kind") == k).sum().alias(f"w_{k}") for k in kinds])
        .sort("src", "dst")
        .collect()
    )
    if spec.include_isolated:
        account_ids = accounts
        if spec.platform:
            account_ids = account_ids.filter(pl.col("platform") == spec.platform)
        vertex_ids = pl.concat([pairs.select(pl.col("src").alias("id")).lazy(),
                                pairs.select(pl.col("dst").alias("id")).lazy(),
                                account_ids.select("id")])
    else:
        vertex_ids = pl.concat([pairs.select(pl.col("src").alias("id")).lazy(),
                                pairs.select(pl.col("dst").alias("id")).lazy()])
    ids = vertex_ids.unique().sort("id").collect().with_row_index("ix", offset=0)
    index = ids.lazy()
    mapped = (
        pairs.lazy()
        .join(index.rename({"id": "src", "ix": "s"}), on="src", how="left", maintain_order="left")
        .join(index.rename({"id": "dst", "ix": "d"}), on="dst", how="left", maintain_order="left")
        .collect()
    )
    graph = ig.Graph(n=ids.height, directed=True)
    ends = np.column_stack([mapped["s"].to_numpy(), mapped["d"].to_numpy()]).astype(np.int64).reshape(-1, 2)
    if mapped.height:
        graph.add_edges(ends)
        graph.es["weight"] = mapped["weight"].to_numpy()
        for k in kinds:
            graph.es[f"w_{k}"] = mapped[f"w_{k}"].to_numpy()
    id_list = ids["id"].to_list()
    graph.vs["id"] = id_list
    return BuiltGraph(graph=graph, ids=id_list, spec=spec, self_loops=int(loops), ends=ends)
