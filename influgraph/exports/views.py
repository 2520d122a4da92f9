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
"""
from __future__ import annotations

from dataclasses import dataclass, field
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

__all__ = ["GraphView", "ViewData", "read_view_data", "graph_view", "community_labels", "NICHE_COLUMNS"]

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
                    profiles=profiles, community_labels=community_labels(profiles))


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
    if max_edges is not None and edges.height > max_edges:
        edges = edges.sort(["weight", "src", "dst"], descending=[True, False, False]).head(max_edges).sort("src", "dst")
    columns = ["id", "label", "platform", "handle", "name", "bio", "followers", "tier", "community", "community_role",
               "niches", "role", "score", "in_strength", "out_strength"] + (list(NICHE_COLUMNS) if niche else [])
    return GraphView(nodes=nodes.select(columns), edges=edges, total_nodes=total_nodes, total_edges=total_edges,
                     niche=niche, community_labels=data.community_labels)
