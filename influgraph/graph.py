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
- **Vertices are keyed by (platform, id)**: the same id on two platforms (an X account `191` and
  a `generic` edge-list node `191`) is two vertices, never one; an edge's two ends belong to the
  edge's platform. `BuiltGraph.vertices` holds both columns; the vertex attributes `id` and
  `platform` hold them in igraph. Where one string must name a vertex (a GEXF/GraphML node id,
  a networkx node, `node_ids`), it is the id when no other platform has it, else
  `platform:id` (`node_id_expr`).
- **Vertex order**: from a workspace, the order of its stable vertex index (`Workspace.vertex_index`:
  each (platform, id) numbered when first imported, the new ones of one commit in (platform, id)
  order), so a build reads integer columns and sums parallel edges, nothing more; from a Batch,
  or an old workspace without the index, (platform, id) order. Both are deterministic, and equal
  for a workspace made by one import.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import TYPE_CHECKING

import igraph as ig
import numpy as np
import polars as pl

from .errors import BadInput, is_number
from .schema import EDGE_KINDS, KIND, Batch

if TYPE_CHECKING:
    import networkx as nx
    from scipy import sparse

    from .workspace import Workspace

__all__ = ["GraphSpec", "BuiltGraph", "build_graph", "build_from_rows", "node_id_expr"]


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
            if not is_number(weight) or not math.isfinite(weight) or not 0 <= weight <= 1e6:
                raise BadInput(f"weight for {kind!r} must be a number from 0 to 1,000,000, got {weight!r}", param="weights")
        if self.since and self.until and self.since >= self.until:
            raise BadInput("time window is empty: since must be before until", param="since")

    def kind_weight(self, kind: str) -> float:
        """The multiplier applied to edges of `kind` (0 when the kind is not in the spec)."""
        return float(self.weights.get(kind, 1.0)) if kind in self.kinds else 0.0


def node_id_expr() -> pl.Expr:
    """One string per vertex that no other vertex shares: the id, or `platform:id` when the id is on two platforms.

    Evaluated over a frame with one row per vertex (columns `platform` and `id`), e.g.
    ``vertices.select(node_id_expr())``; export node ids and networkx node keys use it.
    """
    ambiguous = pl.col("id").is_duplicated()
    return (pl.when(ambiguous).then(pl.col("platform").fill_null("") + pl.lit(":") + pl.col("id"))
            .otherwise(pl.col("id")).alias("node_id"))


@dataclass
class BuiltGraph:
    """The built graph as arrays, with its vertex keys; the igraph graph and sparse matrix are made on first use.

    Vertex i is the account (`platforms[i]`, `ids[i]`); `vertices` holds both columns in vertex
    order. Edges are sorted by (src, dst) and unique; `weight` is the weighted sum,
    `kind_weights[k]` the raw weight of kind k on each edge. `index_of` is the workspace vertex
    index of each vertex (None for a graph built from a Batch or an old workspace).
    """

    n: int
    ends: np.ndarray  # (m, 2) int64 vertex indices
    weight: np.ndarray  # (m,) float64
    kind_weights: dict[str, np.ndarray]
    spec: GraphSpec
    self_loops: int = 0  # self-loop edges (rows) left out
    keys: "pl.DataFrame | Callable[[], pl.DataFrame]" = field(default_factory=lambda: _empty_keys(), repr=False)
    index_of: np.ndarray | None = None
    _index: dict | None = None

    @cached_property
    def vertices(self) -> pl.DataFrame:
        """Columns `platform` and `id` (strings), one row per vertex, in vertex order (read on first use)."""
        keys = self.keys() if callable(self.keys) else self.keys
        return keys.select(pl.col("platform").cast(pl.String), pl.col("id").cast(pl.String))

    @cached_property
    def ids(self) -> list[str]:
        """The account id of each vertex (an id may repeat on another platform: see `vertices`)."""
        return self.vertices["id"].to_list()

    @cached_property
    def platforms(self) -> list[str]:
        """The platform of each vertex."""
        return self.vertices["platform"].to_list()

    @cached_property
    def node_ids(self) -> list[str]:
        """One unique string per vertex: the id, or `platform:id` when the id is on two platforms."""
        return self.vertices.select(node_id_expr())["node_id"].to_list()

    @cached_property
    def graph(self) -> ig.Graph:
        """The igraph graph (built once, on first use): `weight`, `w_<kind>` edge attributes, `id` and `platform` vertex attributes."""
        graph = ig.Graph(n=self.n, directed=True)
        if len(self.ends):
            graph.add_edges(self.ends)
            graph.es["weight"] = self.weight.tolist()
            for kind, values in self.kind_weights.items():
                graph.es[f"w_{kind}"] = values.tolist()
        graph.vs["id"] = self.ids
        graph.vs["platform"] = self.platforms
        return graph

    @cached_property
    def id_frame(self) -> pl.DataFrame:
        """Vertex numbers by key: columns `ix` (UInt32), `platform` and `id`; join other tables on (platform, id)."""
        return self.vertices.with_row_index("ix")

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

    def index(self, account_id: str, platform: str | None = None) -> int:
        """Vertex index of an account id (on `platform`, needed when the id is on two); KeyError when absent."""
        if self._index is None:
            self._index = {}
            for i, (key_platform, key_id) in enumerate(zip(self.platforms, self.ids)):
                self._index[(key_platform, key_id)] = i
                self._index[key_id] = -1 if key_id in self._index else i
        found = self._index[(platform, account_id)] if platform is not None else self._index[account_id]
        if found < 0:
            raise KeyError(f"{account_id!r} is on several platforms: name the platform")
        return found

    def edge_frame(self) -> pl.DataFrame:
        """The graph's edges as a table: platform, src, dst (string ids), weight and per-kind weights.

        Both ends of an edge are on its platform, so (platform, src) and (platform, dst) are keys.
        """
        vertices = self.vertices
        columns = {"platform": vertices["platform"].gather(self.ends[:, 0]),
                   "src": vertices["id"].gather(self.ends[:, 0]), "dst": vertices["id"].gather(self.ends[:, 1]),
                   "weight": self.weight}
        columns.update({f"w_{kind}": values for kind, values in self.kind_weights.items()})
        return pl.DataFrame(columns)

    def to_networkx(self) -> "nx.DiGraph":
        """The same graph as a networkx DiGraph keyed by `node_ids` (the string id unless two platforms
        share it), with the same edge attributes and `platform`/`id` node attributes."""
        import networkx as nx

        out = nx.DiGraph()
        names = self.node_ids
        out.add_nodes_from((name, {"platform": p, "id": i}) for name, p, i in zip(names, self.platforms, self.ids))
        attributes = ["weight", *(f"w_{kind}" for kind in self.kind_weights)]
        columns = [self.weight.tolist(), *(values.tolist() for values in self.kind_weights.values())]
        out.add_edges_from((names[s], names[d], dict(zip(attributes, values)))
                           for (s, d), *values in zip(self.ends.tolist(), *columns))
        return out


def _empty_keys() -> pl.DataFrame:
    return pl.DataFrame(schema={"platform": pl.String, "id": pl.String})


def _utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC."""
    from datetime import timezone

    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _edges_in_spec(edges: pl.LazyFrame, spec: GraphSpec) -> pl.LazyFrame:
    kinds = [k for k in spec.kinds if spec.kind_weight(k) > 0]
    frame = edges if set(kinds) == set(EDGE_KINDS) else edges.filter(pl.col("kind").cast(pl.String).is_in(kinds))
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


def _kind_codes(kinds: list[str]) -> pl.Expr:
    """Each row's kind as its position in `kinds` (rows of other kinds are filtered out before)."""
    physical = pl.col("kind").cast(KIND).to_physical().cast(pl.Int64)
    if list(kinds) == list(EDGE_KINDS)[:len(kinds)]:
        return physical.alias("k")  # the schema's own order: the codes are the positions already
    codes = {EDGE_KINDS.index(kind): i for i, kind in enumerate(kinds)}
    return physical.replace_strict(codes, default=-1, return_dtype=pl.Int64).alias("k")


def build_graph(source: "Workspace | Batch", spec: GraphSpec = GraphSpec(), *,
                vertices_of: BuiltGraph | None = None) -> BuiltGraph:
    """Build the directed, weighted graph described by `spec` from a workspace or a Batch.

    From a workspace with its vertex index, the build reads the integer endpoint columns and
    sums parallel edges (numpy: one sort of packed (src, dst, kind) keys, no Python loop over
    edges); without the index (a Batch, an old workspace), polars first maps (platform, id)
    keys to vertex numbers. The igraph graph is made only when something asks for `.graph`.
    `vertices_of` gives the new graph the vertices (and order) of an earlier one, e.g. a niche
    subgraph beside the whole graph; edges whose endpoints it lacks are an error.

    >>> from influgraph.schema import Batch
    >>> import polars as pl
    >>> b = Batch(edges=pl.DataFrame({"src": ["a", "a", "b"], "dst": ["b", "b", "a"],
    ...                               "kind": ["repost", "mention", "follow"], "platform": ["x"] * 3}))
    >>> g = build_graph(b, GraphSpec(weights={"follow": 0.5}))
    >>> g.ids, g.graph.ecount(), g.graph.es["weight"]
    (['a', 'b'], 2, [2.0, 0.5])
    """
    spec.validate()
    if not isinstance(source, Batch) and (vertices_of is None or vertices_of.index_of is not None):
        index = source.vertex_index()
        if index is not None:
            return _build_indexed(source, index, spec, vertices_of)
    if isinstance(source, Batch):
        edges, accounts = source.edges.lazy(), source.accounts.lazy()
    else:
        edges, accounts = source.scan("edges"), source.scan("accounts")
    kinds = [k for k in spec.kinds if spec.kind_weight(k) > 0]
    rows = (_edges_in_spec(edges, spec)
            .select(pl.col("platform").cast(pl.String), pl.col("src").cast(pl.String), pl.col("dst").cast(pl.String),
                    _kind_codes(kinds), pl.col("weight").cast(pl.Float64))
            .collect())
    if vertices_of is not None:
        keys = vertices_of.id_frame
    else:
        endpoints = [rows.lazy().select("platform", pl.col(end).alias("id")) for end in ("src", "dst")]
        if spec.include_isolated:
            chosen = accounts.filter(pl.col("platform") == spec.platform) if spec.platform else accounts
            endpoints.append(chosen.select(pl.col("platform").cast(pl.String), pl.col("id").cast(pl.String)))
        keys = pl.concat(endpoints).unique().sort("platform", "id", nulls_last=False).collect().with_row_index("ix")
    mapped = rows.lazy()
    for end, column in (("src", "s"), ("dst", "d")):
        mapped = mapped.join(keys.lazy().rename({"id": end, "ix": column}), on=["platform", end], how="left",
                             maintain_order="left", nulls_equal=True)
    mapped = mapped.select("s", "d", "k", "weight").collect()
    del rows
    if mapped["s"].null_count() or mapped["d"].null_count():
        raise ValueError("vertices_of lacks an endpoint of these edges")
    s, d = mapped["s"].cast(pl.Int64).to_numpy(), mapped["d"].cast(pl.Int64).to_numpy()
    return _assemble(s, d, mapped["k"].to_numpy(), mapped["weight"].to_numpy(), keys.height, kinds, spec,
                     keys=vertices_of.vertices if vertices_of is not None else keys.select("platform", "id"))


def build_from_rows(s: np.ndarray, d: np.ndarray, kind: np.ndarray, weight: np.ndarray, vertices_of: BuiltGraph) -> BuiltGraph:
    """The graph of edge rows given as vertex numbers of `vertices_of`, on its vertices, as `build_graph` builds it
    with `GraphSpec()` (every kind weighs 1, self-loops left out, parallel rows summed).

    Why: a niche subgraph picks rows of the whole graph's edge table with numpy masks; its ends are
    already vertex numbers, so it needs no (platform, id) mapping at all.

    Parameters
    ----------
    s, d : numpy.ndarray
        The vertex numbers (in `vertices_of`) of each row's source and target.
    kind : numpy.ndarray
        Each row's kind as its position in `schema.EDGE_KINDS`.
    weight : numpy.ndarray
        Each row's weight.
    vertices_of : BuiltGraph
        The graph whose vertices (and order) the new one has.

    Returns
    -------
    BuiltGraph

    Example
    -------
    >>> whole = build_graph(Batch(edges=pl.DataFrame({"src": ["a", "b"], "dst": ["b", "a"], "kind": ["reply"] * 2,
    ...                                                "platform": ["x"] * 2})))
    >>> build_from_rows(np.array([1, 1]), np.array([0, 0]), np.array([2, 3]), np.ones(2), whole).weight.tolist()
    [2.0]
    """
    spec = GraphSpec()
    return _assemble(np.asarray(s, dtype=np.int64), np.asarray(d, dtype=np.int64), np.asarray(kind, dtype=np.int64),
                     np.asarray(weight, dtype=np.float64), vertices_of.n, list(EDGE_KINDS), spec, keys=vertices_of.vertices,
                     index_of=vertices_of.index_of, presorted=True)


def _assemble(s: np.ndarray, d: np.ndarray, kind: np.ndarray, weight: np.ndarray, n: int, kinds: list[str],
              spec: GraphSpec, *, keys: "pl.DataFrame | Callable[[], pl.DataFrame]",
              index_of: np.ndarray | None = None, presorted: bool = False) -> BuiltGraph:
    """Drop self-loops (unless kept), sum parallel edges, and wrap the arrays as a BuiltGraph.

    `presorted`: the rows are probably in (src, dst, kind) order (the workspace stores its edges
    so): checked in one pass, and then summed without a sort."""
    loops = 0
    if not spec.self_loops:
        loop = s == d
        if loop.any():
            loops, keep = int(loop.sum()), ~loop
            s, d, kind, weight = s[keep], d[keep], kind[keep], weight[keep]
    multipliers = [spec.kind_weight(k) for k in kinds]
    summed = _sum_sorted(s, d, kind, weight, n, multipliers) if presorted else None
    ends, total, by_kind = summed if summed is not None else _sum_parallel(s, d, kind, weight, n, multipliers)
    return BuiltGraph(n=n, ends=ends, weight=total, kind_weights=dict(zip(kinds, by_kind)), spec=spec,
                      self_loops=loops, keys=keys, index_of=index_of)


def _build_indexed(workspace: "Workspace", index: pl.LazyFrame, spec: GraphSpec,
                   vertices_of: BuiltGraph | None) -> BuiltGraph:
    """The build from the workspace vertex index: integer endpoint columns in, summed edges out.

    With every vertex wanted (isolated included, no platform), vertex i is index entry i and the
    endpoints need no mapping at all; otherwise one numpy lookup maps index entries to vertices.
    """
    kinds = [k for k in spec.kinds if spec.kind_weight(k) > 0]
    edges = workspace.scan("edges")
    if workspace.table_file("edges") is None:  # no edge yet: only accounts
        edges = edges.with_columns(pl.lit(None, pl.Int64).alias("src_ix"), pl.lit(None, pl.Int64).alias("dst_ix"))
    frame = (_edges_in_spec(edges, spec)
             .select(pl.col("src_ix").cast(pl.Int64), pl.col("dst_ix").cast(pl.Int64), _kind_codes(kinds),
                     pl.col("weight").cast(pl.Float64))
             .collect())
    s, d = frame["src_ix"].to_numpy(), frame["dst_ix"].to_numpy()
    kind, weight = frame["k"].to_numpy(), frame["weight"].to_numpy()
    del frame
    total = workspace.vertex_count()
    if vertices_of is not None:
        chosen = vertices_of.index_of
    elif spec.include_isolated and not spec.platform:
        chosen = None
    elif spec.include_isolated:
        chosen = (index.with_row_index("row").filter(pl.col("platform") == spec.platform)
                  .select(pl.col("row").cast(pl.Int64)).collect()["row"].to_numpy())
    else:
        chosen = np.flatnonzero(np.bincount(s, minlength=total) + np.bincount(d, minlength=total))
    if chosen is not None:
        local = np.full(total, -1, dtype=np.int64)
        local[chosen] = np.arange(len(chosen))
        s, d = local[s], local[d]
        if len(s) and (s.min() < 0 or d.min() < 0):
            raise ValueError("vertices_of lacks an endpoint of these edges")

    def keys() -> pl.DataFrame:
        everyone = index.select("platform", "id").collect()
        return everyone if chosen is None else everyone[chosen]

    n = total if chosen is None else len(chosen)
    return _assemble(s, d, kind, weight, n, kinds, spec, keys=keys, presorted=True,
                     index_of=np.arange(total, dtype=np.int64) if chosen is None else chosen)


COMPILED_MIN_ROWS = 200_000  # from this many edge rows `_sum_sorted` runs compiled (algorithms/kernels.py)


def _sum_sorted(s: np.ndarray, d: np.ndarray, kind: np.ndarray, weight: np.ndarray, n: int,
                multipliers: list[float]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]] | None:
    """`_sum_parallel` for rows already in (src, dst, kind) order, as the workspace stores its edges:
    runs are found by comparing neighbours, no sort; None when the rows are not in that order."""
    m, kinds = len(s), max(len(multipliers), 1)
    if m == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0), [np.zeros(0) for _ in multipliers]
    if m >= COMPILED_MIN_ROWS and multipliers:  # large: two compiled passes, no temporary arrays of m
        from .algorithms.kernels import sum_sorted

        ok, ends, total, table = sum_sorted(s, d, kind, np.asarray(weight, dtype=np.float64),
                                            np.asarray(multipliers, dtype=np.float64))
        return (ends, total, list(table)) if ok else None
    if n * n * kinds >= 2**62:
        return None
    pair = s * n
    pair += d
    key = pair * kinds
    key += kind
    step = np.diff(key)
    del key
    if m > 1 and step.min() < 0:
        return None  # not in (src, dst, kind) order
    new_run = np.empty(m, dtype=bool)
    new_run[0] = True
    np.not_equal(step, 0, out=new_run[1:])
    del step
    run_starts = np.flatnonzero(new_run)
    del new_run
    unit = weight.min() == weight.max() == 1.0
    run_sum = np.diff(run_starts, append=m).astype(np.float64) if unit else np.add.reduceat(weight, run_starts)
    run_kind = kind[run_starts]
    run_pair = pair[run_starts]
    del pair
    pair_start = np.empty(len(run_starts), dtype=bool)  # per run: it opens a new (src, dst) pair
    pair_start[0] = True
    np.not_equal(run_pair[1:], run_pair[:-1], out=pair_start[1:])
    count = int(pair_start.sum())
    single = count == len(run_starts)
    scaled = run_sum if all(x == 1.0 for x in multipliers) else run_sum * np.asarray(multipliers)[run_kind]
    total = scaled.copy() if single else np.add.reduceat(scaled, np.flatnonzero(pair_start))
    pair_of_run = np.arange(count) if single else np.cumsum(pair_start) - 1
    table = np.zeros((kinds, count))
    table[run_kind, pair_of_run] = run_sum
    ends = np.empty((count, 2), np.int64)
    np.divmod(run_pair if single else run_pair[pair_start], n, out=(ends[:, 0], ends[:, 1]))
    return ends, total, list(table[:len(multipliers)])


def _sum_parallel(s: np.ndarray, d: np.ndarray, kind: np.ndarray, weight: np.ndarray, n: int,
                  multipliers: list[float]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """One edge per (src, dst), sorted: endpoints, weighted sum, and the raw sum of each kind.

    The rows go through scipy's COO -> CSR conversion (a counting sort by src, then duplicates
    summed within each row) with column `dst * kinds + kind`, so one pass yields the raw sum of
    every (src, dst, kind) run, ordered by (src, dst, kind); the runs of one (src, dst) are then
    combined with the kinds' multipliers. The same work as a CSR build from integer arrays.
    """
    from scipy import sparse

    kinds = max(len(multipliers), 1)
    if n and (n - 1) * kinds + kinds - 1 >= 2**62:
        raise BadInput(f"the graph has too many vertices ({n:,}) for one machine", hint="use the Spark engine")
    if len(s) == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0), [np.zeros(0) for _ in multipliers]
    column = d * kinds
    column += kind
    runs = sparse.csr_matrix((weight, (s, column)), shape=(n, n * kinds))  # sums duplicate (src, dst, kind) rows
    del column
    runs.sum_duplicates()
    run_src = np.repeat(np.arange(n, dtype=runs.indices.dtype), np.diff(runs.indptr))
    run_dst, run_kind = np.divmod(runs.indices, kinds)
    run_sum = runs.data
    new_pair = np.empty(len(run_src), dtype=bool)
    new_pair[0] = True
    np.not_equal(run_src[1:], run_src[:-1], out=new_pair[1:])
    new_pair[1:] |= run_dst[1:] != run_dst[:-1]
    pair_starts = np.flatnonzero(new_pair)
    count = len(pair_starts)
    scaled = run_sum if all(m == 1.0 for m in multipliers) else run_sum * np.asarray(multipliers)[run_kind]
    single = count == len(run_sum)  # no pair has two kinds: each run is its own edge
    total = scaled.copy() if single else np.add.reduceat(scaled, pair_starts)
    pair_index = np.arange(count) if single else np.cumsum(new_pair) - 1
    table = np.zeros((kinds, count))
    table[run_kind, pair_index] = run_sum  # (pair, kind) runs are unique: one scatter, no accumulation
    by_kind = list(table[:len(multipliers)])
    ends = np.empty((count, 2), np.int64)
    ends[:, 0], ends[:, 1] = run_src[pair_starts], run_dst[pair_starts]
    return ends, total, by_kind
