"""Communities: detection (Leiden by default), stability across seeds, roles of accounts, profiles.

Rules (documented in the README):

- **Symmetrisation.** Modularity-based methods work on an undirected graph made from the
  directed, typed, weighted graph of `graph.build_graph` (kind weights already applied):
  `sum` (default) adds both directions, `max` keeps the stronger one, `mutual` keeps only pairs
  that interact both ways. Infomap runs on the directed graph, since it models flow.
- **Leiden** (default, `fast_leiden`) optimises modularity at the given resolution: a parallel
  Louvain with refinement (PLM-R, `algorithms.louvain`) whose partition depends only on the seed,
  its communities split into connected parts, then on
  graphs up to 300,000 edges up to 3 igraph Leiden passes from that partition, stopping when one
  gains less than 1e-4. `igraph-leiden` is igraph's Leiden alone, pass after pass the same way. CPM is not
  used: with resolution 1 it gives singletons on unweighted graphs.
- **Connected communities.** Every community is split into its connected components (in the
  undirected graph), whatever the method, so a community is never two unrelated groups.
  Isolated accounts are communities of one. Communities are numbered 0, 1, ... by decreasing
  size (ties by their smallest account id), so labels are stable.
- **Runs.** With `runs=N` the method runs with seeds seed, seed+1, ...; the partition with the
  highest modularity is kept and the mean pairwise NMI across runs is reported: near 1 means
  the structure is real, low means it is noise at this resolution.
- **Edge cases.** No vertices: empty tables, modularity 0. No edges: every account alone,
  modularity 0. Never NaN.
- **Roles** (Guimerà & Amaral 2005, Nature 433:895): participation coefficient
  P = 1 - sum_s (k_is / k_i)^2 over communities s, and within-community strength z-score.
  Hubs have z >= 2.5: provincial hub (P <= 0.30), connector hub (P <= 0.75), kinless hub.
  Others: ultra-peripheral (P <= 0.05), peripheral (P <= 0.62), connector (P <= 0.80), kinless.

The engines (symmetrisation, Leiden and the other methods, modularity, the roles) are general
algorithms in `algorithms.communities`; this module holds the contract above, stability and profiles.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import igraph as ig
import numpy as np
import polars as pl

from .algorithms.communities import (METHODS, SYMMETRISATIONS, Undirected, community_roles, connected_parts, find_partition,
                                     modularity, undirected)
from .errors import BadInput
from .graph import BuiltGraph, GraphSpec, build_graph
from .schema import EDGE_KINDS, Batch

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["CommunityResult", "detect_communities", "sweep_resolution"]

WORD_PATTERN = r"[\p{L}\p{M}\p{N}_\x{200C}]{3,}"


@dataclass
class CommunityResult:
    """Membership per account, one profile row per community, and the quality of the partition."""

    membership: pl.DataFrame  # id, community, strength, participation, within_z, role
    profiles: pl.DataFrame
    modularity: float
    stability_nmi: float | None
    method: str
    resolution: float
    seed: int
    runs: int
    symmetrise: str
    modularities: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-ready summary of the partition (without the per-account table)."""
        return {"method": self.method, "resolution": self.resolution, "seed": self.seed, "runs": self.runs,
                "symmetrise": self.symmetrise, "communities": self.profiles.height,
                "accounts": self.membership.height, "modularity": round(self.modularity, 6),
                "stability_nmi": None if self.stability_nmi is None else round(self.stability_nmi, 6),
                "modularity_per_run": [round(m, 6) for m in self.modularities]}


MAX_RUNS = 1000  # runs of the detection (seeds seed..seed+runs-1); each is a full detection


def _validate(method: str, resolution: float, runs: int, symmetrise: str) -> None:
    """Raise BadInput for an unknown method or symmetrisation, a resolution <= 0, or runs outside 1..MAX_RUNS."""
    if method not in METHODS:
        raise BadInput(f"unknown method {method!r}", hint=f"`method` is one of {', '.join(METHODS)}", param="method")
    if not isinstance(resolution, (int, float)) or not math.isfinite(resolution) or resolution <= 0:
        raise BadInput(f"`resolution` must be a number > 0, got {resolution!r}", hint="`resolution`=1.0 is standard modularity",
                       param="resolution")
    if not 1 <= runs <= MAX_RUNS:
        raise BadInput(f"`runs` must be from 1 to {MAX_RUNS:,}, got {runs}", hint="`runs`=10 measures stability",
                       param="runs")
    if symmetrise not in SYMMETRISATIONS:
        raise BadInput(f"unknown `symmetrise` {str(symmetrise)[:40]!r}", hint=f"use one of {', '.join(SYMMETRISATIONS)}",
                       param="symmetrise")


def _connected(graph: Undirected, membership: Sequence[int], ids: pl.Series) -> np.ndarray:
    """Split communities into connected parts; number them by decreasing size, ties by smallest id."""
    labels = connected_parts(graph.ends, np.asarray(membership, dtype=np.int64), len(membership))
    frame = pl.DataFrame({"part": labels, "id": ids}).group_by("part").agg(pl.len().alias("size"), pl.col("id").min().alias("first"))
    order = frame.sort(["size", "first"], descending=[True, False]).with_row_index("community")
    remap = np.empty(len(order), dtype=np.int64)
    remap[order["part"].to_numpy()] = order["community"].to_numpy()
    return remap[labels] if len(labels) else labels


def _ctfidf(documents: pl.DataFrame, column: str, top: int) -> pl.DataFrame:
    """Per community, the `top` most distinctive terms by class-based TF-IDF (count x log(1 + A / f))."""
    counts = documents.explode(column).drop_nulls(column).group_by("community", column).agg(pl.len().alias("n"))
    if counts.height == 0:
        return pl.DataFrame(schema={"community": pl.Int64, column: pl.List(pl.String)})
    totals = counts.group_by("community").agg(pl.col("n").sum().alias("total"))
    average = totals["total"].mean()
    frequency = counts.group_by(column).agg(pl.col("n").sum().alias("f"))
    scored = (counts.join(totals, on="community").join(frequency, on=column)
              .with_columns(((pl.col("n") / pl.col("total")) * (1 + average / pl.col("f")).log()).alias("score"))
              .filter(pl.col("n") >= 2))
    return (scored.sort(["community", "score", column], descending=[False, True, False])
            .group_by("community", maintain_order=True).agg(pl.col(column).head(top)))


def _profiles(source: "Workspace | Batch", built: BuiltGraph, graph: Undirected, membership: np.ndarray,
              table: pl.DataFrame, scores: pl.DataFrame | None, top: int) -> pl.DataFrame:
    tables = source if isinstance(source, Batch) else None
    key = ["platform", "id"]  # an account is (platform, id): the same id on two platforms is two accounts
    accounts = ((tables.accounts if tables else source.table("accounts")).select(*key, "handle", "lang", "bio")
                .unique(key, keep="first"))
    posts = (tables.posts if tables else source.table("posts")).select("platform", "author_id", "hashtags", "lang")
    members = table.join(accounts, on=key, how="left", maintain_order="left", nulls_equal=True)
    if scores is None:
        from .algorithms.centrality import pagerank

        scores = built.vertices.with_columns(pl.Series("score", pagerank(built), dtype=pl.Float64))
    on = key if "platform" in scores.columns else ["id"]
    members = members.join(scores.select(*on, "score").unique(on, keep="first"), on=on, how="left",
                           maintain_order="left", nulls_equal=True)
    ends, weight = graph.ends, graph.weights
    edges = pl.DataFrame({"a": membership[ends[:, 0]] if len(ends) else np.zeros(0, np.int64),
                          "b": membership[ends[:, 1]] if len(ends) else np.zeros(0, np.int64), "w": weight})
    both = pl.concat([edges, edges.select(pl.col("b").alias("a"), pl.col("a").alias("b"), "w")])
    flows = both.group_by("a", "b").agg(pl.col("w").sum())
    internal = edges.filter(pl.col("a") == pl.col("b")).group_by("a").agg(pl.len().alias("internal_edges"), pl.col("w").sum().alias("internal_weight"))
    total = flows.group_by("a").agg(pl.col("w").sum().alias("incident_weight"))
    outward = (flows.filter(pl.col("a") != pl.col("b")).join(total, on="a")
               .with_columns((pl.col("w") / pl.col("incident_weight")).alias("share"))
               .sort(["a", "share", "b"], descending=[False, True, False])
               .group_by("a", maintain_order=True)
               .agg(pl.struct(pl.col("b").alias("community"), pl.col("share").round(4)).head(3).alias("links_to")))
    written = posts.join(table.select(*key, "community", pl.int_range(pl.len(), dtype=pl.Int64).alias("_v")),
                         left_on=["platform", "author_id"], right_on=key)  # each post with its author's vertex
    author_lang = (written.drop_nulls("lang").group_by("_v", "lang").len()  # the mode, ties by the smallest language
                   .sort(["_v", "len", "lang"], descending=[False, True, False]).unique("_v", keep="first"))
    langs = (members.with_row_index("_v").with_columns(pl.col("_v").cast(pl.Int64))
             .join(author_lang.select("_v", pl.col("lang").alias("post_lang")), on="_v", how="left")
             .with_columns(pl.coalesce("lang", "post_lang").alias("language")).drop_nulls("language")
             .group_by("community", "language").agg(pl.len().alias("n"))
             .sort(["community", "n", "language"], descending=[False, True, False])
             .group_by("community", maintain_order=True).agg(pl.col("language").head(3).alias("languages")))
    hashtags = _ctfidf(written.select("community", "hashtags"), "hashtags", top)
    bio_words = _ctfidf(members.select("community", pl.col("bio").fill_null("").str.to_lowercase()
                                       .str.extract_all(WORD_PATTERN).alias("bio_words")), "bio_words", top)
    leaders = (members.sort(["community", "score", "id"], descending=[False, True, False], nulls_last=True)
               .group_by("community", maintain_order=True)
               .agg(pl.coalesce("handle", "id").head(top).alias("top_accounts")))
    brokers = (members.filter(pl.col("participation") > 0)
               .sort(["community", "participation", "id"], descending=[False, True, False])
               .group_by("community", maintain_order=True)
               .agg(pl.coalesce("handle", "id").head(3).alias("brokers")))
    sizes = table.group_by("community").agg(pl.len().alias("size")).sort("community")
    profile = (sizes.join(internal.rename({"a": "community"}), on="community", how="left")
               .join(total.rename({"a": "community"}), on="community", how="left")
               .join(outward.rename({"a": "community"}), on="community", how="left")
               .join(langs, on="community", how="left").join(hashtags, on="community", how="left")
               .join(bio_words, on="community", how="left").join(leaders, on="community", how="left")
               .join(brokers, on="community", how="left"))
    return profile.with_columns(
        pl.col("internal_edges").fill_null(0),
        pl.when(pl.col("size") > 1).then(pl.col("internal_edges").fill_null(0) / (pl.col("size") * (pl.col("size") - 1) / 2))
        .otherwise(0.0).alias("density"),
        pl.when(pl.col("incident_weight") > 0)
        .then(1 - pl.col("internal_weight").fill_null(0) * 2 / pl.col("incident_weight")).otherwise(0.0).alias("share_leaving"),
    ).drop("internal_weight", "incident_weight").sort("community")


def _nmi(a: Sequence[int], b: Sequence[int]) -> float:
    if len(a) == 0:
        return 1.0
    return float(ig.compare_communities(list(a), list(b), method="nmi"))


def detect_communities(
    source: "Workspace | Batch",
    *,
    method: str = "leiden",
    resolution: float = 1.0,
    seed: int = 0,
    runs: int = 1,
    kinds: Sequence[str] | None = None,
    symmetrise: str = "sum",
    platform: str | None = None,
    scores: pl.DataFrame | None = None,
    top: int = 5,
) -> CommunityResult:
    """Detect communities in the graph of a workspace or Batch (see the module docstring for the rules).

    `scores` (columns id, score) ranks each community's top accounts, e.g. a niche influence
    score; by default weighted PageRank on the directed graph is used.

    >>> import polars as pl
    >>> from influgraph.schema import Batch
    >>> two_triangles = [("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "z"), ("z", "x"), ("c", "x")]
    >>> b = Batch(edges=pl.DataFrame({"src": [s for s, _ in two_triangles], "dst": [d for _, d in two_triangles],
    ...                               "kind": ["mention"] * 7, "platform": ["x"] * 7}))
    >>> r = detect_communities(b)
    >>> r.profiles.height, round(r.modularity, 4)
    (2, 0.3571)
    """
    _validate(method, resolution, runs, symmetrise)
    spec = GraphSpec(kinds=tuple(kinds) if kinds else EDGE_KINDS, platform=platform)
    built = build_graph(source, spec)
    graph = undirected(built, symmetrise)
    partitions, values = [], []
    for run in range(runs):
        labels = _connected(graph, find_partition(method, graph, built, resolution, seed + run), built.vertices["id"])
        partitions.append(labels)
        values.append(modularity(graph, labels, resolution))
    best = int(np.argmax(values)) if values else 0
    membership = partitions[best] if partitions else np.zeros(0, dtype=np.int64)
    stability = None
    if runs > 1:
        pairs = [_nmi(partitions[i], partitions[j]) for i in range(runs) for j in range(i + 1, runs)]
        stability = float(np.mean(pairs))
    table = pl.concat([built.vertices.select("id", "platform").with_columns(pl.Series("community", membership, dtype=pl.Int64)),
                       community_roles(graph, membership)], how="horizontal")
    profiles = _profiles(source, built, graph, membership, table, scores, top)
    return CommunityResult(membership=table, profiles=profiles, modularity=values[best] if values else 0.0,
                           stability_nmi=stability, method=method, resolution=float(resolution), seed=seed,
                           runs=runs, symmetrise=symmetrise, modularities=values)


def sweep_resolution(source: "Workspace | Batch", resolutions: Sequence[float], *, method: str = "leiden",
                     seed: int = 0, runs: int = 1, kinds: Sequence[str] | None = None,
                     symmetrise: str = "sum") -> pl.DataFrame:
    """Number of communities, modularity and stability at each distinct resolution, in the order first given.

    The graph is built once; a resolution given twice is computed and reported once.
    """
    if not resolutions:
        raise BadInput("no `resolutions` to sweep", hint="give one or more, e.g. 0.5, 1 and 2", param="resolutions")
    for resolution in resolutions:  # every value is checked before any work, and named as one of `resolutions`
        if not isinstance(resolution, (int, float)) or not math.isfinite(resolution) or resolution <= 0:
            raise BadInput(f"each of `resolutions` must be a number > 0, got {resolution!r}",
                           hint="e.g. 0.5, 1 and 2; 1.0 is standard modularity", param="resolutions")
    _validate(method, 1.0, runs, symmetrise)
    spec = GraphSpec(kinds=tuple(kinds) if kinds else EDGE_KINDS)
    built = build_graph(source, spec)
    graph = undirected(built, symmetrise)
    rows = []
    for resolution in dict.fromkeys(float(r) for r in resolutions):
        _validate(method, resolution, runs, symmetrise)
        parts = [_connected(graph, find_partition(method, graph, built, resolution, seed + r), built.vertices["id"]) for r in range(runs)]
        values = [modularity(graph, p, resolution) for p in parts]
        best = parts[int(np.argmax(values))]
        nmi = float(np.mean([_nmi(parts[i], parts[j]) for i in range(runs) for j in range(i + 1, runs)])) if runs > 1 else None
        rows.append({"resolution": float(resolution), "communities": int(best.max()) + 1 if len(best) else 0,
                     "modularity": max(values), "stability_nmi": nmi})
    return pl.DataFrame(rows, schema={"resolution": pl.Float64, "communities": pl.Int64,
                                      "modularity": pl.Float64, "stability_nmi": pl.Float64})
