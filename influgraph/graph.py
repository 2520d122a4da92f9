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
from functools import cached_property
from datetime import datetime
from typing import TYPE_CHECKING

import igraph as ig
import numpy as np
import polars as pl

from .errors import BadInput
from .schema import EDGE_KINDS, Batch

if TYPE_CHECKING:
    import networkx as nx
    from scipy import sparse

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
        """Raise BadInput for unknown kinds or weights outside [0, 1e6] (with edge weights of at most
        `schema.MAX_WEIGHT`, every summed weight then stays finite)."""
        unknown = [k for k in list(self.kinds) + list(self.weights) if k not in EDGE_KINDS]
        if unknown:
            raise BadInput(f"unknown edge kind {unknown[0]!r}", hint=f"use one of {', '.join(EDGE_KINDS)}", param="kinds")
        for kind, weight in self.weights.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
                    or not 0 <= weight <= 1e6:
                raise BadInput(f"weight for {kind!r} must be a number from 0 to 1,000,000, got {weight!r}", param="weights")
        if self.since and self.until and self.since >= self.until:
            raise BadInput("time window is empty: since must be before until", param="since")

    def kind_weight(self, kind: str) -> float:
        """The multiplier applied to edges of `kind` (0 when the kind is not in the spec)."""
        return float(self.weights.get(kind, 1.0)) if kind in self.kinds else 0.0


@dataclass
class BuiltGraph:
    """The built graph as arrays, with its id map; the igraph graph and sparse matrix are made on first use.

    `ids[i]` is the account id of vertex i. Edges are sorted by (src, dst) and unique;
    `weight` is the weighted sum, `kind_weights[k]` the raw weight of kind k on each edge.
    """

    ids: list[str]
    ends: np.ndarray  # (m, 2) int64 vertex indices
    weight: np.ndarray  # (m,) float64
    kind_weights: dict[str, np.ndarray]
    spec: GraphSpec
    self_loops: int = 0  # self-loop edges (rows) left out
    _index: dict[str, int] | None = None

    @property
    def n(self) -> int:
        """Number of vertices."""
        return len(self.ids)

    @cached_property
    def graph(self) -> ig.Graph:
        """The igraph graph (built once, on first use): `weight`, `w_<kind>` edge attributes and `id` vertex attribute."""
        graph = ig.Graph(n=self.n, directed=True)
        if len(self.ends):
            graph.add_edges(self.ends)
            graph.es["weight"] = self.weight.tolist()
            for kind, values in self.kind_weights.items():
                graph.es[f"w_{kind}"] = values.tolist()
        graph.vs["id"] = self.ids
        return graph

    @cached_property
    def id_frame(self) -> pl.DataFrame:
        """Vertex numbers by id: columns `ix` (UInt32) and `id`."""
        return pl.DataFrame({"id": self.ids}, schema={"id": pl.String}).with_row_index("ix")

    @cached_property
    def matrix(self) -> "sparse.csr_matrix":
        """The weighted adjacency matrix (row = src, column = dst) as scipy CSR."""
        from scipy import sparse

        indptr = np.zeros(self.n + 1, dtype=np.int64)  # edges are sorted by (src, dst): CSR needs no sort
        np.cumsum(np.bincount(self.ends[:, 0], minlength=self.n), out=indptr[1:])
        return sparse.csr_matrix((self.weight, self.ends[:, 1], indptr), shape=(self.n, self.n))

    def edge_array(self) -> np.ndarray:
        """Edge endpoints as an (m, 2) int64 array."""
        return self.ends

    def index(self, account_id: str) -> int:
        """Vertex index of an account id (KeyError when absent)."""
        if self._index is None:
            self._index = {account_id: i for i, account_id in enumerate(self.ids)}
        return self._index[account_id]

    def edge_frame(self) -> pl.DataFrame:
        """The graph's edges as a table: src, dst (string ids), weight and per-kind weights."""
        ids = pl.Series("id", self.ids, dtype=pl.String)
        columns = {"src": ids.gather(self.ends[:, 0]), "dst": ids.gather(self.ends[:, 1]), "weight": self.weight}
        columns.update({f"w_{kind}": values for kind, values in self.kind_weights.items()})
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


def build_graph(source: "Workspace | Batch", spec: GraphSpec = GraphSpec(), *,
                vertices_of: BuiltGraph | None = None) -> BuiltGraph:
    """Build the directed, weighted graph described by `spec` from a workspace or a Batch.

    Polars reads and filters the edges and maps ids to vertex numbers; numpy sums parallel
    edges (one sort of packed (src, dst, kind) keys, no Python loop over edges). The igraph
    graph is made only when something asks for `.graph`. `vertices_of` gives the new graph the
    vertices (and order) of an earlier one, e.g. a niche subgraph beside the whole graph; edges
    whose endpoints it lacks are an error.

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
    kinds = [k for k in spec.kinds if spec.kind_weight(k) > 0]
    rows = (_edges_in_spec(edges, spec)
            .select("src", "dst", pl.col("kind").cast(pl.String).replace_strict({k: i for i, k in enumerate(kinds)},
                                                                                   return_dtype=pl.Int64).alias("k"),
                    pl.col("weight").cast(pl.Float64))
            .collect())
    if vertices_of is not None:
        ids = vertices_of.id_frame
    else:
        endpoint_ids = [rows.lazy().select(pl.col("src").alias("id")), rows.lazy().select(pl.col("dst").alias("id"))]
        if spec.include_isolated:
            account_ids = accounts.filter(pl.col("platform") == spec.platform) if spec.platform else accounts
            endpoint_ids.append(account_ids.select(pl.col("id").cast(pl.String)))
        ids = pl.concat(endpoint_ids).unique().sort("id").collect().with_row_index("ix")
    mapped = (rows.lazy()
              .join(ids.lazy().rename({"id": "src", "ix": "s"}), on="src", how="left", maintain_order="left")
              .join(ids.lazy().rename({"id": "dst", "ix": "d"}), on="dst", how="left", maintain_order="left")
              .select("s", "d", "k", "weight").collect())
    del rows
    if mapped["s"].null_count() or mapped["d"].null_count():
        raise ValueError("vertices_of lacks an endpoint of these edges")
    s, d = mapped["s"].cast(pl.Int64).to_numpy(), mapped["d"].cast(pl.Int64).to_numpy()
    kind, weight = mapped["k"].to_numpy(), mapped["weight"].to_numpy()
    loop = s == d
    loops = 0
    if not spec.self_loops and loop.any():
        loops, keep = int(loop.sum()), ~loop
        s, d, kind, weight = s[keep], d[keep], kind[keep], weight[keep]
    ends, total, by_kind = _sum_parallel(s, d, kind, weight, ids.height, [spec.kind_weight(k) for k in kinds])
    id_list = vertices_of.ids if vertices_of is not None else ids["id"].to_list()
    return BuiltGraph(ids=id_list, ends=ends, weight=total, kind_weights=dict(zip(kinds, by_kind)), spec=spec,
                      self_loops=loops)


def _sum_parallel(s: np.ndarray, d: np.ndarray, kind: np.ndarray, weight: np.ndarray, n: int,
                  multipliers: list[float]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """One edge per (src, dst), sorted: endpoints, weighted sum, and the raw sum of each kind.

    Rows are packed into one int64 key (src bits | dst bits | kind bits) and sorted; runs of
    equal keys are summed. Unit weights (the common case) need no permutation at all.
    """
    vertex_bits = max(int(n - 1).bit_length(), 1)
    kind_bits = max(len(multipliers) - 1, 1).bit_length()
    if 2 * vertex_bits + kind_bits > 62:
        raise BadInput(f"the graph has too many vertices ({n:,}) for one machine", hint="use the Spark engine")
    packed = s << vertex_bits  # in place from here: fresh memory is the cost at 10M rows
    packed |= d
    packed <<= kind_bits
    packed |= kind
    if np.all(weight == 1.0):
        packed, run_weight = np.sort(packed), None
    else:
        order = np.argsort(packed)
        packed, run_weight = packed[order], weight[order]
    if len(packed) == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0), [np.zeros(0) for _ in multipliers]
    starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
    run_key = packed[starts]
    run_sum = (np.diff(starts, append=len(packed)).astype(np.float64) if run_weight is None
               else np.add.reduceat(run_weight, starts))
    run_kind, pair = run_key & ((1 << kind_bits) - 1), run_key >> kind_bits
    pair_starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    count = len(pair_starts)
    pair_index = np.repeat(np.arange(count), np.diff(pair_starts, append=len(pair)))
    scale = np.asarray(multipliers, dtype=np.float64)[run_kind]
    total = np.add.reduceat(run_sum * scale, pair_starts)
    by_kind = []
    for k in range(len(multipliers)):  # a handful of kinds, each one vectorised scatter
        values = np.zeros(count)
        chosen = run_kind == k
        values[pair_index[chosen]] = run_sum[chosen]  # (pair, kind) runs are unique: no accumulation needed
        by_kind.append(values)
    pairs = pair[pair_starts]
    ends = np.empty((count, 2), np.int64)
    ends[:, 0], ends[:, 1] = pairs >> vertex_bits, pairs & ((1 << vertex_bits) - 1)
    return ends, total, by_kind
