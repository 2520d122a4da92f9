"""What an export shows: accounts with their scores and labels, and the edges among them.

One view feeds every export format (map, report, GEXF, GraphML, CSV, Parquet, JSON), so they
all agree. The workspace is read once (`read_view_data`: the graph, the accounts and the stored
results) and every view is cut from that data (`graph_view`), so a report with a map per niche
builds the graph once. Rules (documented in the README):

- **Nodes**: every account of the workspace (and every edge end without an account row), or,
  with a niche, that niche's ranked candidates. Each node has its handle, name, bio, followers,
  tier, community and community role (from the stored communities), the niches in which it is
  ranked, and its influence role (from the niche where it ranks best).
- **Node ids**: an account is (platform, id), so the same id on two platforms is two nodes. A
  node's `id` (the GEXF/GraphML node id, the edges' `src`/`dst`) is the account id, or
  `platform:id` when another platform has the same id; the `platform` column is always there.
- **Score** (the node size): `niche_influence` with a niche, else weighted in-strength.
- **Edges**: interactions among the nodes, self-loops left out, parallel interactions summed
  into one edge with per-kind weights `w_<kind>` and the dominant `kind` (the heaviest one).
- **Budget**: above `max_nodes`, the top accounts by score are kept (ties by id); above
  `max_edges`, the heaviest edges among them. `total_nodes` and `total_edges` say how many there
  were, for the "showing N of M" line.
- **Community labels** (the map's legend): a community's three top hashtags from its stored profile.
- **Time** (`Timeline`: the dynamic GEXF and the map's time slider): an edge starts at the earliest
  time of the interactions it sums (`at`). An interaction with no `at` (a follow: the platforms give
  none) starts when it was first observed (`observed_at`), except when that is the workspace's first
  observation: then it was there before anyone looked, and it starts with the timeline (no start:
  present throughout). An account starts at its first activity (its earliest edge, either end, or
  post), or when it was first observed (the earliest `observed_at` of its row and of its count history,
  `observations`) if that is earlier and after the first observation; with
  neither, it is present throughout. So no edge starts before its two accounts. Nothing ends: the
  workspace removes no edge. A workspace with no such time at all has no timeline (static exports).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..errors import BadInput
from ..graph import BuiltGraph, build_graph, node_id_expr
from ..labels import tier_expr
from ..results import StoredRanking, load_communities, load_community_profiles, stored_rankings
from ..schema import EDGE_KINDS

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["GraphView", "ViewData", "Timeline", "read_view_data", "graph_view", "community_labels", "timeline",
           "NICHE_COLUMNS"]

NICHE_COLUMNS = ("rank", "niche_influence", "audience_relevance", "reach", "evidence")
WEIGHT_COLUMNS = tuple(f"w_{kind}" for kind in EDGE_KINDS)
RANKING_SCHEMA = {"platform": pl.String, "id": pl.String, "niche": pl.String, "rank": pl.Int64, "role": pl.String, "tier": pl.String,
                  "niche_influence": pl.Float64, "audience_relevance": pl.Float64, "reach": pl.Int64, "evidence": pl.String}


@dataclass
class GraphView:
    """Nodes and edges to export, with the totals they were cut from."""

    nodes: pl.DataFrame  # id, label, handle, name, bio, followers, tier, community, community_role, niches, role, score...
    edges: pl.DataFrame  # src, dst, weight, kind, w_<kind>...
    total_nodes: int
    total_edges: int
    niche: str | None = None
    community_labels: dict[int, str] = field(default_factory=dict)  # community -> "#tag1 #tag2 #tag3"
    # with a timeline: per node row and per edge row its start (Datetime us UTC; null: present throughout), and the
    # timeline's first and last time (see `Timeline`); None in a workspace without time
    node_start: pl.Series | None = None
    edge_start: pl.Series | None = None
    time_range: tuple[datetime, datetime] | None = None

    @property
    def score_name(self) -> str:
        """What the node size measures."""
        return "niche influence" if self.niche else "in-strength (interactions received)"

    def caption(self) -> str:
        """One line saying what part of the workspace the view shows."""
        what = f"niche {self.niche}: " if self.niche else ""
        return (f"{what}showing {self.nodes.height:,} of {self.total_nodes:,} accounts and "
                f"{self.edges.height:,} of {self.total_edges:,} connections")


@dataclass(frozen=True)
class ViewData:
    """What every view of a workspace is cut from, read once by `read_view_data`.

    The edges stay arrays (`built`): a view picks its nodes from `nodes`, keeps the edges
    among them with one numpy mask, and makes a table of those edges only.
    """

    built: BuiltGraph  # the whole graph (every kind, self-loops left out): endpoints, weights, per-kind weights
    nodes: pl.DataFrame  # every vertex (column `ix`) with its node id, strengths, community, niches, best role
    rankings: dict[str, StoredRanking]  # niche -> stored ranking
    ranked: pl.DataFrame  # the rankings stacked: platform, id, niche, rank, role, tier and the niche columns
    profiles: pl.DataFrame | None  # the stored community profiles
    community_labels: dict[int, str]
    timeline: "Timeline | None" = None  # when things appeared (None: the workspace holds no time)

    @property
    def pairs(self) -> pl.DataFrame:
        """Every edge as a table (src, dst as node ids, weight, kind, w_<kind>), in vertex order: costly at scale."""
        return _edge_table(self, np.arange(len(self.built.ends)))


def _edge_table(data: ViewData, chosen: np.ndarray) -> pl.DataFrame:
    """The edges `chosen` (positions in `data.built`) as a table: src, dst (node ids), weight, dominant kind, w_<kind>."""
    built = data.built
    node_ids = data.nodes["id"]  # in vertex order
    ends = built.ends[chosen]
    per_kind = {f"w_{kind}": (built.kind_weights[kind][chosen] if kind in built.kind_weights else np.zeros(len(chosen)))
                for kind in EDGE_KINDS}
    heaviest = np.column_stack(list(per_kind.values())).argmax(axis=1) if len(chosen) else np.zeros(0, np.int64)
    kind = pl.Series(heaviest).replace_strict(dict(enumerate(EDGE_KINDS)), return_dtype=pl.String)  # first heaviest
    return pl.DataFrame({"src": node_ids.gather(ends[:, 0]), "dst": node_ids.gather(ends[:, 1]),
                         "weight": built.weight[chosen], "kind": kind,
                         **per_kind}).select("src", "dst", "weight", "kind", *WEIGHT_COLUMNS)


EARLY = np.iinfo(np.int64).min  # a start meaning "present throughout" (before the timeline's first time)
_NONE = np.iinfo(np.int64).max  # no time known yet (while computing)


@dataclass(frozen=True)
class Timeline:
    """When each edge and each vertex of a built graph appeared (microseconds since 1970 UTC, `EARLY`: present
    throughout), and the first and last real time of the workspace; the rule is in the module docstring."""

    edge_start: np.ndarray  # (m,) int64, aligned with `BuiltGraph.ends`
    node_start: np.ndarray  # (n,) int64, in vertex order
    first: int  # microseconds
    last: int

    def series(self, starts: np.ndarray, name: str = "start") -> pl.Series:
        """`starts` (picked from `edge_start` or `node_start`) as Datetime(us, UTC), null where present throughout."""
        values = pl.Series(name, starts, dtype=pl.Int64)
        return values.set(values == EARLY, None).cast(pl.Datetime("us", "UTC"))

    @property
    def range(self) -> tuple[datetime, datetime]:
        """The first and last real time, as UTC datetimes."""
        return _utc_micros(self.first), _utc_micros(self.last)


def _utc_micros(micros: int) -> datetime:
    """A UTC datetime from microseconds since 1970."""
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=int(micros))


def _micros(column: str) -> pl.Expr:
    """A Datetime column as microseconds since 1970 UTC (Int64)."""
    return pl.col(column).cast(pl.Datetime("us", "UTC")).dt.epoch("us")


def _has(frame: pl.LazyFrame, column: str) -> bool:
    return column in frame.collect_schema().names()


def _first_observation(workspace: "Workspace") -> int | None:
    """The earliest `observed_at` of any row (microseconds), or None when no row records one."""
    firsts = [workspace.scan(name).select(_micros("observed_at").min()).collect().item()
              for name in ("accounts", "posts", "edges", "observations") if _has(workspace.scan(name), "observed_at")]
    firsts = [f for f in firsts if f is not None]
    return min(firsts) if firsts else None


def _observed_after(first: int | None) -> pl.Expr:
    """`observed_at` in microseconds where it is later than the first observation, else null."""
    if first is None:
        return pl.lit(None, pl.Int64)
    seen = _micros("observed_at")
    return pl.when(seen > first).then(seen)


def _keyed_ix(frame: pl.LazyFrame, built: BuiltGraph, end: str, name: str) -> pl.LazyFrame:
    """`frame` with the vertex number `name` of (platform, `end`) (inner join: rows off the graph are dropped)."""
    keys = built.id_frame.lazy().select(pl.col("ix").cast(pl.Int64).alias(name), "platform", pl.col("id").alias(end))
    return frame.with_columns(pl.col("platform").cast(pl.String), pl.col(end).cast(pl.String)).join(
        keys, on=["platform", end], how="inner", nulls_equal=True)


def _edge_starts(workspace: "Workspace", built: BuiltGraph, first: int | None) -> np.ndarray:
    """Per built edge, the earliest start of the interactions it sums (`EARLY` when one has no time).

    Each edge row's ends come from the vertex index (`src_ix`, `dst_ix`) when the workspace has one,
    else from a join on (platform, id); the rows' times go to their built edge by one sorted lookup
    and `np.minimum.at` (no time is `EARLY`, the smallest value, so it wins as the rule says)."""
    edges = workspace.scan("edges")
    seen = _observed_after(first) if _has(edges, "observed_at") else pl.lit(None, pl.Int64)
    t = pl.coalesce(_micros("at"), seen).fill_null(EARLY).alias("t")
    if built.index_of is not None and _has(edges, "src_ix"):
        frame = edges.select(pl.col("src_ix").cast(pl.Int64), pl.col("dst_ix").cast(pl.Int64), t).collect()
        s, d = frame["src_ix"].to_numpy(), frame["dst_ix"].to_numpy()
        if not (len(built.index_of) == workspace.vertex_count() and np.array_equal(built.index_of, np.arange(built.n))):
            local = np.full(workspace.vertex_count() + 1, -1, dtype=np.int64)  # a graph of some vertices: renumber
            local[built.index_of] = np.arange(built.n)
            s, d = local[s], local[d]
    else:
        frame = _keyed_ix(_keyed_ix(edges.select("platform", "src", "dst", t), built, "src", "s"), built, "dst", "d").collect()
        s, d = frame["s"].to_numpy(), frame["d"].to_numpy()
    times = frame["t"].to_numpy()
    del frame
    sorted_runs = _runs_in_edge_order(s, d, built)
    if sorted_runs is not None:  # the workspace keeps its rows in the built edges' order: one reduction per run
        kept, run_starts = sorted_runs
        return np.minimum.reduceat(times[kept], run_starts) if len(run_starts) else np.zeros(0, dtype=np.int64)
    starts = np.full(len(built.ends), _NONE, dtype=np.int64)
    on_graph = (s >= 0) & (d >= 0)
    if on_graph.any() and len(built.ends):
        packed = built.ends[:, 0].astype(np.int64) * built.n + built.ends[:, 1]
        order = None if np.all(packed[1:] > packed[:-1]) else np.argsort(packed, kind="stable")  # built sorts them
        ordered = packed if order is None else packed[order]
        keys = s[on_graph] * built.n + d[on_graph]
        where = np.searchsorted(ordered, keys).clip(0, len(ordered) - 1)
        found = ordered[where] == keys  # a self-loop or a row of a kind the graph left out has no edge
        np.minimum.at(starts, (where if order is None else order[where])[found], times[on_graph][found])
    starts[starts == _NONE] = EARLY
    return starts


def _runs_in_edge_order(s: np.ndarray, d: np.ndarray, built: BuiltGraph) -> tuple[np.ndarray, np.ndarray] | None:
    """When the rows (ends `s`, `d`), leaving out self-loops, are in (src, dst) order and their pairs are exactly
    `built.ends`: the rows kept and where each edge's run of rows starts; else None."""
    kept = np.flatnonzero(s != d)
    if len(kept) == 0 or len(built.ends) == 0 or (s[kept] < 0).any() or (d[kept] < 0).any():
        return None
    ks, kd = s[kept], d[kept]
    step = np.diff(ks * built.n + kd)
    if (step < 0).any():
        return None
    run_starts = np.flatnonzero(np.concatenate([[True], step != 0]))
    if len(run_starts) != len(built.ends) or not (np.array_equal(ks[run_starts], built.ends[:, 0])
                                                  and np.array_equal(kd[run_starts], built.ends[:, 1])):
        return None
    return kept, run_starts


def _first_seen(workspace: "Workspace", first: int | None) -> pl.LazyFrame:
    """Per account (platform, id), its first observation (`t`, microseconds) where that is after the workspace's first
    observation: the earliest of its `observed_at` and of its count history (`observations`)."""
    seen = [workspace.scan(name).select("platform", "id", _micros("observed_at").alias("t"))
            for name in ("accounts", "observations") if _has(workspace.scan(name), "observed_at")]
    if first is None or not seen:
        return pl.LazyFrame(schema={"platform": pl.String, "id": pl.String, "t": pl.Int64})
    return (pl.concat(seen).group_by("platform", "id").agg(pl.col("t").min())
            .filter(pl.col("t") > first))


def _node_starts(workspace: "Workspace", built: BuiltGraph, edge_start: np.ndarray, first: int | None) -> np.ndarray:
    """Per vertex: its first activity (edges at either end, posts) or a later first observation; else `EARLY`."""
    starts = np.full(built.n, _NONE, dtype=np.int64)
    for end in (0, 1):
        np.minimum.at(starts, built.ends[:, end], edge_start)
    posts = workspace.scan("posts").select("platform", pl.col("author_id").alias("id"), _micros("created_at").alias("t"))
    for frame in (posts, _first_seen(workspace, first)):
        found = (_keyed_ix(frame.drop_nulls("t"), built, "id", "v").group_by("v").agg(pl.col("t").min()).collect())
        if found.height:
            np.minimum.at(starts, found["v"].to_numpy(), found["t"].to_numpy())
    starts[starts == _NONE] = EARLY
    return starts


def timeline(workspace: "Workspace", built: BuiltGraph) -> Timeline | None:
    """When each edge and vertex of `built` appeared in `workspace` (rule: module docstring); None when the
    workspace holds no time (no interaction time, no observation after the first).

    Example: ``timeline(ws, build_graph(ws)).range``.
    """
    first = _first_observation(workspace)
    edge_start = _edge_starts(workspace, built, first)
    node_start = _node_starts(workspace, built, edge_start, first)
    real = np.concatenate([edge_start[edge_start != EARLY], node_start[node_start != EARLY]])
    if real.size == 0:
        return None
    return Timeline(edge_start=edge_start, node_start=node_start, first=int(real.min()), last=int(real.max()))


def _stacked(rankings: dict[str, StoredRanking]) -> pl.DataFrame:
    """Every niche ranking, stacked: platform, id, niche, rank, role, tier, and the niche columns."""
    frames = [stored.table.select(pl.col("platform").cast(pl.String) if "platform" in stored.table.columns
                                  else pl.lit(None, pl.String).alias("platform"),
                                  "id", pl.col("niche").cast(pl.String), pl.col("rank").cast(pl.Int64),
                                  pl.col("role").cast(pl.String), pl.col("tier").cast(pl.String),
                                  *[pl.col(c) for c in NICHE_COLUMNS if c != "rank"])
              for stored in rankings.values()]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=RANKING_SCHEMA)


def community_labels(profiles: pl.DataFrame | None) -> dict[int, str]:
    """Community -> its three top hashtags ("#a #b #c"), from community profiles; empty without them.

    Example: ``community_labels(load_community_profiles(ws))[0]``.
    """
    if profiles is None or "hashtags" not in profiles.columns:
        return {}
    labels = {}
    for row in profiles.select("community", "hashtags").iter_rows(named=True):
        tags = row["hashtags"] or []
        tags = [t if isinstance(t, str) else str(t.get("term", "")) for t in tags][:3] if isinstance(tags, list) else []
        labels[int(row["community"])] = " ".join(f"#{t.lstrip('#')}" for t in tags if t)
    return labels


def _keyed(nodes: pl.DataFrame, other: pl.DataFrame, how: str = "left") -> pl.DataFrame:
    """`nodes` joined with a stored table by (platform, id), or by id alone where the table has no platform
    (stored before accounts were keyed by platform)."""
    other = other.rename({"id": "account_id"})
    if "platform" in other.columns and other["platform"].null_count() < other.height:
        return nodes.join(other, on=["platform", "account_id"], how=how, maintain_order="left", nulls_equal=True)
    return nodes.join(other.drop("platform", strict=False), on="account_id", how=how, maintain_order="left")


def _nodes(workspace: "Workspace", built: BuiltGraph, ranked: pl.DataFrame) -> pl.DataFrame:
    """Every vertex (in vertex order, column `ix`): its node id, account columns, strengths, community,
    the niches it is ranked in and its best role."""
    n, (sources, targets) = built.n, built.ends.T
    accounts = (workspace.table("accounts")  # unique by (platform, id): the table's key
                .select("platform", pl.col("id").alias("account_id"), "handle", "name", "bio", "followers"))
    one_platform = built.vertices["platform"].n_unique() <= 1  # then every id is unique as it is
    nodes = (built.id_frame.with_columns(pl.col("id").alias("node") if one_platform else node_id_expr().alias("node"))
             .rename({"id": "account_id"})
             .join(accounts, on=["platform", "account_id"], how="left", maintain_order="left", nulls_equal=True)
             .with_columns(pl.Series("in_strength", np.bincount(targets, weights=built.weight, minlength=n)),
                           pl.Series("out_strength", np.bincount(sources, weights=built.weight, minlength=n)),
                           pl.coalesce("handle", "account_id").alias("label"))
             .rename({"node": "id"}))
    communities = load_communities(workspace)
    if communities is not None:
        nodes = _keyed(nodes, communities.select(
            pl.col("platform") if "platform" in communities.columns else pl.lit(None, pl.String).alias("platform"),
            "id", pl.col("community").cast(pl.Int64), pl.col("role").cast(pl.String).alias("community_role"))
            .unique(["platform", "id"], keep="first"))
    else:
        nodes = nodes.with_columns(pl.lit(None, pl.Int64).alias("community"), pl.lit(None, pl.String).alias("community_role"))
    best = (ranked.sort("rank", "niche").group_by("platform", "id", maintain_order=True)
            .agg(pl.col("niche").sort().alias("niches"), pl.col("role").first(), pl.col("tier").first().alias("niche_tier")))
    return _keyed(nodes, best).with_columns(pl.col("niches").fill_null(pl.lit([], dtype=pl.List(pl.String))))


def read_view_data(workspace: "Workspace") -> ViewData:
    """Read what the views of `workspace` show: its graph, accounts, stored communities and rankings.

    Example: ``data = read_view_data(ws); graph_view(data, niche="persian-books").caption()``.
    """
    built = build_graph(workspace)
    rankings = stored_rankings(workspace)
    ranked = _stacked(rankings)
    profiles = load_community_profiles(workspace)
    return ViewData(built=built, nodes=_nodes(workspace, built, ranked), rankings=rankings, ranked=ranked,
                    profiles=profiles, community_labels=community_labels(profiles), timeline=timeline(workspace, built))


def _among(built: BuiltGraph, nodes: pl.DataFrame) -> np.ndarray:
    """Positions of the edges whose two ends are both nodes (one numpy mask over the edge arrays)."""
    keep = np.zeros(built.n, dtype=bool)
    keep[nodes["ix"].to_numpy()] = True
    return np.flatnonzero(keep[built.ends[:, 0]] & keep[built.ends[:, 1]])


def _scored(data: ViewData, niche: str | None) -> pl.DataFrame:
    """The nodes of the view with their score: a niche's ranked candidates, or every node."""
    nodes = data.nodes
    if niche is None:
        return nodes.with_columns(pl.coalesce("niche_tier", tier_expr(pl.col("followers"))).alias("tier"),
                                  pl.col("in_strength").alias("score"))
    mine = data.ranked.filter(pl.col("niche") == niche)
    if mine.height == 0:
        known = sorted(data.ranked["niche"].unique().to_list())
        raise BadInput(f"no ranking for niche {niche!r} in this workspace", param="niche",
                       hint="rank the niche and save its ranking first" + (f"; ranked niches: {', '.join(known)}" if known else ""))
    return (_keyed(nodes.drop("role"), mine.select("platform", "id", "role", "tier", *NICHE_COLUMNS), how="inner")
            .with_columns(pl.col("niche_influence").alias("score")))


def graph_view(data: ViewData, *, niche: str | None = None, max_nodes: int | None = None,
               max_edges: int | None = None) -> GraphView:
    """The nodes and edges to export, for one niche or the whole workspace, within the budgets.

    The nodes are chosen from the node table and the edges among them from the edge arrays
    (a mask), so a map of 1,000 accounts from a 10M-edge workspace never tables every edge.

    Parameters
    ----------
    data : what `read_view_data` read from the workspace.
    niche : only this niche's ranked candidates, sized by niche influence (None: every account).
    max_nodes, max_edges : keep the top accounts by score and the heaviest edges among them (None: all).

    Example: ``graph_view(read_view_data(ws), niche="persian-books", max_nodes=500).caption()``.
    """
    for name, value in (("max_nodes", max_nodes), ("max_edges", max_edges)):
        if value is not None and value < 1:
            raise BadInput(f"`{name}` must be at least 1, got {value}", param=name)
    nodes = _scored(data, niche).drop("niche_tier", strict=False).sort(["score", "id"], descending=[True, False],
                                                                       nulls_last=True)
    total_nodes = nodes.height
    chosen = _among(data.built, nodes)
    total_edges = len(chosen)
    if max_nodes is not None and nodes.height > max_nodes:
        nodes = nodes.head(max_nodes)
        chosen = _among(data.built, nodes)
    edges = _edge_table(data, chosen)
    line = data.timeline
    if line is not None:
        edges = edges.with_columns(line.series(line.edge_start[chosen], "_start"))
    if max_edges is not None and edges.height > max_edges:
        edges = edges.sort(["weight", "src", "dst"], descending=[True, False, False]).head(max_edges).sort("src", "dst")
    columns = ["id", "label", "platform", "handle", "name", "bio", "followers", "tier", "community", "community_role",
               "niches", "role", "score", "in_strength", "out_strength"] + (list(NICHE_COLUMNS) if niche else [])
    times = {} if line is None else {"node_start": line.series(line.node_start[nodes["ix"].to_numpy()]),
                                     "edge_start": edges["_start"].rename("start"), "time_range": line.range}
    return GraphView(nodes=nodes.select(columns), edges=edges.drop("_start", strict=False), total_nodes=total_nodes,
                     total_edges=total_edges, niche=niche, community_labels=data.community_labels, **times)
