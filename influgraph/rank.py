"""Rank accounts by influence within a niche, with reach apart and every score explained.

Rules (documented in the README):

- **Niche content**: posts matching the niche query (`niches.post_in_niche_expr`), and posts
  that repost, quote or reply to such a post. An interaction edge is *on niche content* when
  its post is niche content.
- **Niche members**: seed accounts, accounts whose bio names a niche keyword or hashtag, and
  accounts with at least 2 niche posts making at least half of their posts. Excluded accounts
  are never members or candidates.
- **Niche graph**: interactions on niche content, plus follows made by members.
- **Candidates** (rows of the table): members, authors of niche content and accounts that
  receive niche interactions.
- **Metrics**, each its own column, on the niche graph (`niche_`) and the whole graph:
  in-degree and in-strength by kind; PageRank; niche-personalised PageRank (a random walk on
  the niche graph that teleports to members and seeds, in the spirit of TwitterRank); HITS
  authority; coreness; brokerage = the participation coefficient when communities were
  computed, else (when asked for) approximate betweenness from sampled sources scaled to
  [0, 1], else 0; engagement
  (reposts, quotes, replies and likes received; `niche_engagement` counts only those made by
  members on niche content); audience relevance (the share of distinct other engagers, and of known
  followers, who are members); reach (followers).
- **Composite**: `niche_influence = sum(weight_k * component_k)` over niche_pagerank,
  audience_relevance, niche_engagement, authority, coreness and brokerage. Magnitudes
  (niche_pagerank, niche_engagement, authority, coreness) are divided by the candidates'
  maximum; shares (audience_relevance, brokerage = participation coefficient) are used as
  they are, so every component is in [0, 1]. The weights are the query's `[weights]` when it
  has them (components it does not list weigh 0), else the defaults below; they are scaled to
  sum to 1.
  `lift` = the account's share of niche PageRank / its share of whole-graph PageRank.
- **Tiers** by followers: nano < 10k <= micro < 100k <= mid < 500k <= macro < 1M <= mega.
- **Roles**, first rule that holds: suspected bot (account younger than 90 days or at least 3
  mentions per post, with at least 10 posts and fewer than 0.1 engagements received per post);
  brand or organisation (bio says official account, inc, ltd, store, shop or brand); celebrity
  (macro or mega tier, audience relevance below 0.5); broker (participation coefficient at
  least 0.4); niche expert (member, relevance at least 0.6, at most mid tier, niche influence
  at least half the top score); peer.
- **Warning** when raw engagement is in the candidates' top 10% and at least 20, but fewer
  than 30% of engagers are members: the reposts came from outside the audience.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .graph import BuiltGraph, GraphSpec, build_graph
from .niches import NicheQuery, bio_match_expr, post_in_niche_expr
from .schema import EDGE_KINDS, Batch

if TYPE_CHECKING:
    from scipy import sparse

    from .engines.spark import SparkEngine
    from .workspace import Workspace

__all__ = ["DEFAULT_WEIGHTS", "ENGAGEMENT_KINDS", "RankResult", "WholeGraph", "whole_graph", "rank_niche", "rank_niches", "tier_expr", "named_expr", "rank_result_name", "rank_agreement", "pagerank", "niche_pagerank", "authority", "coreness",
           "approximate_betweenness"]

DEFAULT_WEIGHTS = {"niche_pagerank": 0.35, "audience_relevance": 0.25, "niche_engagement": 0.20,
                   "authority": 0.10, "coreness": 0.05, "brokerage": 0.05}
ENGAGEMENT_KINDS = ("repost", "quote", "reply", "like")
MIN_HIGH_ENGAGEMENT = 20  # below this, no engagement count is "high", whatever the percentile
VERSION = "rank-1"


@dataclass
class RankResult:
    """The ranking table, the rank-agreement report, warnings and the configuration hash."""

    table: pl.DataFrame
    agreement: pl.DataFrame
    warnings: list[str]
    config_hash: str
    query: NicheQuery
    members: int
    notes: list[str] = field(default_factory=list)


def rank_result_name(niche: str) -> str:
    """The workspace result name under which a niche's ranking is stored."""
    return f"rank_{niche.replace('-', '_')}"


PAGERANK_TOL = 1e-9  # L1 change between iterations at which PageRank stops


def pagerank(built: BuiltGraph, damping: float = 0.85, *, tol: float = PAGERANK_TOL) -> np.ndarray:
    """Weighted PageRank; dangling vertices jump uniformly, as in networkx and igraph."""
    return _power_iteration(built, None, damping, tol)


def niche_pagerank(built: BuiltGraph, reset: np.ndarray, damping: float = 0.85, *, tol: float = PAGERANK_TOL) -> np.ndarray:
    """Personalised PageRank teleporting to `reset` (weights per vertex, e.g. members and seeds).

    Dangling vertices jump like the teleport, which is networkx's default for personalisation.
    `reset` may be an (n, k) array: k personalisations solved together, one column each
    (one pass over the matrix per iteration serves all of them). An all-zero column gives zeros.
    """
    reset = np.asarray(reset, dtype=np.float64)
    if reset.ndim == 1:
        return _power_iteration(built, reset[:, None], damping, tol)[:, 0]
    return _power_iteration(built, reset, damping, tol)


def _power_iteration(built: BuiltGraph, reset: np.ndarray | None, damping: float, tol: float) -> np.ndarray:
    """PageRank by power iteration on the scipy CSR matrix (faster than igraph's PRPACK at scale).

    x <- d (M^T (x / out) + dangling mass * r) + (1 - d) r, until the L1 change is below `tol`.
    """
    n = built.n
    if reset is None:
        if n == 0:
            return np.zeros(0)
        teleport = np.full((n, 1), 1.0 / n)
    else:
        totals = reset.sum(axis=0)
        teleport = np.divide(reset, totals, out=np.zeros_like(reset), where=totals > 0)
    if n == 0 or not teleport.any():
        return np.zeros(n) if reset is None else np.zeros_like(teleport)
    matrix = built.matrix
    reachable = None
    if reset is not None:  # rank lives only where walks from the teleport set can go: iterate there alone
        reachable = _reachable(matrix, np.flatnonzero(teleport.any(axis=1)))
        if len(reachable) < n:
            matrix, teleport = matrix[reachable][:, reachable], teleport[reachable]
    size = matrix.shape[0]
    out = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = np.flatnonzero(out <= 0)
    inverse_out = np.divide(1.0, out, out=np.zeros(size), where=out > 0)[:, None]
    transposed = matrix.T  # CSC view: no copy
    x = teleport.copy()
    for _ in range(10_000):
        spread = transposed @ (x * inverse_out)
        new = damping * (spread + x[dangling].sum(axis=0) * teleport) + (1 - damping) * teleport
        change = np.abs(new - x).sum(axis=0).max()
        x = new
        if change < tol:
            break
    x /= np.where(x.sum(axis=0) > 0, x.sum(axis=0), 1.0)
    if reset is None:
        return x[:, 0]
    if reachable is not None and len(reachable) < n:
        full = np.zeros((n, x.shape[1]))
        full[reachable] = x
        return full
    return x


def _reachable(matrix: "sparse.csr_matrix", sources: np.ndarray) -> np.ndarray:
    """Vertices reachable from `sources` along directed edges (sorted), by sparse frontier expansion."""
    seen = np.zeros(matrix.shape[0], dtype=bool)
    seen[sources] = True
    frontier = sources
    csr = matrix  # CSR: row v lists v's successors
    while len(frontier):
        starts, ends = csr.indptr[frontier], csr.indptr[frontier + 1]
        lengths = ends - starts
        if lengths.sum() == 0:
            break
        offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths) + np.arange(lengths.sum())
        successors = np.unique(csr.indices[offsets])
        frontier = successors[~seen[successors]]
        seen[frontier] = True
    return np.flatnonzero(seen)


def authority(built: BuiltGraph) -> np.ndarray:
    """HITS authority (weighted), scaled so the top account has 1: the principal right singular
    vector of the adjacency matrix, solved on its non-empty rows and columns only."""
    n = built.n
    scores = np.zeros(n)
    if len(built.ends) == 0:
        return scores
    hubs, authorities = np.unique(built.ends[:, 0]), np.unique(built.ends[:, 1])
    matrix = built.matrix[hubs][:, authorities]
    if min(matrix.shape) < 3:
        _, _, right = np.linalg.svd(matrix.toarray())
        vector = right[0]
    else:
        from scipy.sparse.linalg import svds

        _, _, right = svds(matrix.astype(np.float64), k=1, random_state=0)
        vector = right[0]
    vector = np.abs(vector)
    scores[authorities] = vector / vector.max() if vector.max() > 0 else vector
    return scores


def coreness(built: BuiltGraph) -> np.ndarray:
    """k-core number with in- and out-edges counted (igraph), on the vertices that have edges."""
    import igraph as ig

    active, ends = np.unique(built.ends, return_inverse=True)
    scores = np.zeros(built.n)
    if len(active):
        scores[active] = ig.Graph(n=len(active), edges=ends.reshape(-1, 2), directed=True).coreness(mode="all")
    return scores


def approximate_betweenness(built: BuiltGraph, samples: int, seed: int = 0) -> np.ndarray:
    """Betweenness from `samples` random source vertices, scaled by n / samples (exact when samples >= n).

    Paths count hops (edge weights are interaction strengths, not distances).
    """
    n = built.graph.vcount()
    if n == 0 or built.graph.ecount() == 0:
        return np.zeros(n)
    if samples >= n:
        return np.asarray(built.graph.betweenness(directed=True), dtype=np.float64)
    sources = np.random.default_rng(seed).choice(n, size=samples, replace=False)
    partial = np.asarray(built.graph.betweenness(directed=True, sources=sorted(sources.tolist())), dtype=np.float64)
    return partial * n / samples


def _tables(source: "Workspace | Batch", platform: str | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, BuiltGraph]:
    """The tables (one platform's when asked) and the whole graph; every graph vertex gets an accounts row."""
    if isinstance(source, Batch):
        accounts, posts, edges = source.accounts, source.posts, source.edges
    else:
        accounts, posts, edges = source.table("accounts"), source.table("posts"), source.table("edges")
    if platform:
        accounts, posts, edges = (t.filter(pl.col("platform") == platform) for t in (accounts, posts, edges))
    built = build_graph(Batch(accounts=accounts, edges=edges), GraphSpec())
    missing = built.id_frame.select("id").join(accounts.select("id"), on="id", how="anti")
    if missing.height:  # endpoints without an accounts row: every vertex is a row, in the same order
        accounts = pl.concat([accounts, missing.with_columns(platform=pl.lit(platform or "generic"))], how="diagonal_relaxed")
    return accounts.unique("id", keep="first", maintain_order=True), posts, edges, built


SHARES = ("audience_relevance", "brokerage")


def _scaled(values: np.ndarray, component: str) -> np.ndarray:
    """A component in [0, 1]: shares as they are, magnitudes divided by the candidates' maximum."""
    if component in SHARES:
        return np.clip(values, 0.0, 1.0)
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _by_kind(built: BuiltGraph, prefix: str) -> dict[str, np.ndarray]:
    """In-degree and in-strength per kind, vectorised over the edge arrays."""
    n, targets = built.n, built.ends[:, 1]
    out = {}
    for kind in EDGE_KINDS:
        weights = built.kind_weights.get(kind)
        if weights is None or len(targets) == 0:
            out[f"{prefix}in_degree_{kind}"] = out[f"{prefix}in_strength_{kind}"] = np.zeros(n)
            continue
        out[f"{prefix}in_degree_{kind}"] = np.bincount(targets, weights=(weights > 0).astype(np.float64), minlength=n)
        out[f"{prefix}in_strength_{kind}"] = np.bincount(targets, weights=weights, minlength=n)
    return out


def _relevance(built: BuiltGraph, is_member: np.ndarray) -> dict[str, np.ndarray]:
    """Per account: distinct engagers and known followers (other accounts), and how many are members."""
    n, (sources, targets) = built.n, built.ends.T
    follow = built.kind_weights.get("follow", np.zeros(len(sources)))
    engaged = sum((built.kind_weights[k] for k in built.kind_weights if k != "follow"), np.zeros(len(sources))) > 0
    member = is_member[sources].astype(np.float64)
    out = {}
    for name, chosen in (("engagers", engaged), ("known_followers", follow > 0)):
        out[name] = np.bincount(targets[chosen], minlength=n).astype(np.int64)
        out[f"member_{name.split('_')[-1]}"] = np.bincount(targets[chosen], weights=member[chosen], minlength=n).astype(np.int64)
    return out


def named_expr(names: set[str]) -> pl.Expr:
    """True for accounts whose id or handle (any case) is in `names`."""
    wanted = sorted(names)
    return pl.col("id").str.to_lowercase().is_in(wanted) | pl.col("handle").fill_null("").str.to_lowercase().is_in(wanted)


def _config_hash(query: NicheQuery, weights: dict, platform: str | None) -> str:
    config = {"version": VERSION, "query": {k: v for k, v in query.__dict__.items() if k != "path"},
              "weights": weights, "platform": platform}
    return hashlib.sha256(json.dumps(config, sort_keys=True, ensure_ascii=False, default=list).encode()).hexdigest()[:16]


@dataclass
class WholeGraph:
    """What every niche's ranking shares, computed once per workspace: the tables, the whole graph
    and its niche-independent metrics (PageRank, in-degree and in-strength by kind, engagement)."""

    accounts: pl.DataFrame
    posts: pl.DataFrame
    edges: pl.DataFrame
    built: BuiltGraph
    metrics: dict[str, np.ndarray]
    platform: str | None
    communities: pl.DataFrame | None

    @cached_property
    def people(self) -> pl.DataFrame:
        """The accounts in vertex order, with the posts seen by each and their mentions per post."""
        activity = self.posts.group_by("author_id").agg(
            pl.len().alias("posts_seen"), pl.col("mentions").list.len().fill_null(0).mean().alias("mentions_per_post"))
        return (self.built.id_frame.join(self.accounts, on="id", how="left", maintain_order="left").drop("ix")
                .join(activity, left_on="id", right_on="author_id", how="left", maintain_order="left")
                .with_columns(pl.col("posts_seen").fill_null(0)))

    @cached_property
    def top_engagers(self) -> pl.DataFrame:
        """Per account (`dst`): the handles of its 3 heaviest engagers, ties by id, for the evidence line."""
        built = self.built
        weight = sum((built.kind_weights.get(k, 0.0) for k in ENGAGEMENT_KINDS), np.zeros(len(built.ends)))
        engaged = weight > 0
        pairs = pl.DataFrame({"d": built.ends[engaged, 1], "s": built.ends[engaged, 0], "w": weight[engaged]})
        top = (pairs.sort(["d", "w", "s"], descending=[False, True, False])  # vertex order is id order
               .group_by("d", maintain_order=True).head(3))
        ids = pl.Series(built.ids, dtype=pl.String)
        labels = (self.accounts.select("id", pl.coalesce("handle", "id").alias("label"))
                  .join(built.id_frame, on="id").sort("ix")["label"])  # one label per vertex, in vertex order
        return (top.select(ids.gather(top["d"]).alias("dst"), labels.gather(top["s"]).alias("label"))
                .group_by("dst", maintain_order=True).agg(pl.col("label").alias("top_engagers")))


def whole_graph(source: "Workspace | Batch", *, platform: str | None = None, communities: pl.DataFrame | None = None,
                engine: "SparkEngine | None" = None) -> WholeGraph:
    """The shared part of ranking (see `WholeGraph`); `engine` computes PageRank on Spark instead."""
    accounts, posts, edges, built = _tables(source, platform)
    if communities is None and not isinstance(source, Batch):
        communities = source.read_result("communities")
    metrics = {"pagerank": engine.pagerank_array(built.ids) if engine else pagerank(built)}
    metrics.update(_by_kind(built, ""))
    metrics["engagement"] = sum(metrics[f"in_strength_{k}"] for k in ENGAGEMENT_KINDS)
    return WholeGraph(accounts=accounts, posts=posts, edges=edges, built=built, metrics=metrics, platform=platform,
                      communities=communities)


def rank_niches(source: "Workspace | Batch", queries: "list[NicheQuery]", **options) -> list[RankResult]:
    """Rank several niches, sharing the whole-graph work between them (options as for `rank_niche`)."""
    shared = {k: options.pop(k) for k in ("platform", "communities", "engine") if k in options}
    whole = whole_graph(source, **shared)
    return [rank_niche(source, query, whole=whole, **options) for query in queries]


def rank_niche(source: "Workspace | Batch", query: NicheQuery, *, platform: str | None = None,
               communities: pl.DataFrame | None = None, betweenness: int | None = None, seed: int = 0,
               now: datetime | None = None, whole: WholeGraph | None = None,
               engine: "SparkEngine | None" = None) -> RankResult:
    """Rank the accounts of `source` for the niche `query` (see the module docstring for every rule).

    `betweenness` (a number of sampled sources) adds approximate betweenness on the niche graph;
    it is off by default because it is the one slow metric. `whole` reuses the shared work of an
    earlier call (`whole_graph`, `rank_niches`); `engine` (a `SparkEngine`) runs both PageRanks on Spark.
    """
    if whole is None:
        whole = whole_graph(source, platform=platform, communities=communities, engine=engine)
    accounts, posts, edges, communities, platform = whole.accounts, whole.posts, whole.edges, whole.communities, whole.platform
    weights = {k: query.weights.get(k, 0.0) for k in DEFAULT_WEIGHTS} if query.weights else dict(DEFAULT_WEIGHTS)
    total = sum(weights.values()) or 1.0
    weights = {k: v / total for k, v in weights.items()}
    config_hash = _config_hash(query, weights, platform)

    # niche content and members
    own = posts.with_columns(post_in_niche_expr(query).alias("own_niche"))
    niche_ids = own.filter("own_niche").select("id")
    refs = pl.coalesce("repost_of", "quote_of", "reply_to")
    niche_posts = own.with_columns((pl.col("own_niche") | refs.is_in(niche_ids["id"].implode()).fill_null(False)).alias("niche"))
    activity = niche_posts.filter("niche").group_by("author_id").agg(pl.len().alias("niche_posts"))
    seeds = {s.lower() for s in query.seed_accounts}
    excluded = {s.lower() for s in query.exclude_accounts}
    people = (whole.people.join(activity, left_on="id", right_on="author_id", how="left", maintain_order="left")
              .with_columns(pl.col("niche_posts").fill_null(0).cast(pl.UInt32),
                            bio_match_expr(query).alias("bio_match"),
                            named_expr(seeds).alias("seed"), named_expr(excluded).alias("excluded"))
              .with_columns((pl.col("niche_posts") / pl.col("posts_seen")).fill_nan(0.0).fill_null(0.0).alias("niche_share")))
    people = people.with_columns(
        (~pl.col("excluded") & (pl.col("seed") | pl.col("bio_match")
                                | ((pl.col("niche_posts") >= 2) & (pl.col("niche_share") >= 0.5)))).alias("member"))

    # graphs on the same vertex order
    niche_post_ids = niche_posts.filter("niche")["id"].implode()
    member_ids = people.filter("member")["id"].implode()
    on_niche = ((pl.col("kind").cast(pl.String) != "follow") & pl.col("post_id").is_in(niche_post_ids).fill_null(False)) | (
        (pl.col("kind").cast(pl.String) == "follow") & pl.col("src").is_in(member_ids))
    niche_edges = edges.filter(on_niche)
    niche = build_graph(Batch(accounts=accounts, edges=niche_edges), GraphSpec(), vertices_of=whole.built)
    is_member = people["member"].fill_null(False).to_numpy()
    reset = is_member.astype(np.float64) + people["seed"].fill_null(False).to_numpy().astype(np.float64)

    if engine is not None:
        personal = {i: r for i, r in zip(whole.built.ids, reset.tolist()) if r > 0}
        npr = engine.pagerank_array(whole.built.ids, personal, niche_posts=niche_post_ids.explode().to_list(),
                                    members=member_ids.explode().to_list()) if personal else np.zeros(whole.built.n)
    else:
        npr = niche_pagerank(niche, reset)
    metrics = {"pagerank": whole.metrics["pagerank"], "niche_pagerank": npr}
    metrics["authority"], metrics["coreness"] = authority(niche), coreness(niche)
    metrics.update(_by_kind(niche, "niche_"))
    metrics.update({k: v for k, v in whole.metrics.items() if k != "pagerank"})
    metrics.update(_relevance(whole.built, is_member))
    if betweenness:
        metrics["betweenness"] = approximate_betweenness(niche, betweenness, seed)
    table = pl.concat([people, pl.DataFrame(metrics)], how="horizontal")
    from_members = (niche_edges.filter(pl.col("kind").cast(pl.String).is_in(list(ENGAGEMENT_KINDS)) & pl.col("src").is_in(member_ids))
                    .group_by("dst").agg(pl.col("weight").sum().alias("niche_engagement")))
    table = table.join(from_members, left_on="id", right_on="dst", how="left", maintain_order="left").with_columns(
        pl.col("niche_engagement").fill_null(0.0))

    table = table.with_columns(
        pl.when(pl.col("engagers") > 0).then(pl.col("member_engagers") / pl.col("engagers")).alias("engager_relevance"),
        pl.when(pl.col("known_followers") > 0).then(pl.col("member_followers") / pl.col("known_followers")).alias("follower_relevance"),
        pl.coalesce("followers", "known_followers").alias("reach"),
        (pl.col("niche_engagement") / pl.max_horizontal(pl.col("niche_posts"), 1)).alias("engagement_rate"),
    ).with_columns(pl.mean_horizontal("engager_relevance", "follower_relevance").fill_null(0.0).alias("audience_relevance"))
    if communities is not None and "participation" in communities.columns:
        table = table.join(communities.select("id", "community", pl.col("participation").alias("brokerage")), on="id",
                           how="left", maintain_order="left").with_columns(pl.col("brokerage").fill_null(0.0))
    elif betweenness:
        top = table["betweenness"].max() or 1.0
        table = table.with_columns(pl.lit(None, dtype=pl.Int64).alias("community"),
                                   (pl.col("betweenness") / top).alias("brokerage"))
    else:
        table = table.with_columns(pl.lit(None, dtype=pl.Int64).alias("community"), pl.lit(0.0).alias("brokerage"))

    candidates = table.filter(~pl.col("excluded").fill_null(False)
                              & (pl.col("member") | (pl.col("niche_posts") > 0) | (pl.col("niche_engagement") > 0)
                                 | (pl.col("niche_pagerank") > 0) & pl.col("seed")))
    notes = []
    if candidates.height == 0:
        notes.append(f"niche {query.name!r} has no members or niche content in this workspace")
        return RankResult(table=candidates, agreement=rank_agreement(candidates), warnings=[], config_hash=config_hash,
                          query=query, members=0, notes=notes)
    components = {k: _scaled(candidates[k].fill_null(0).to_numpy().astype(np.float64), k) for k in weights}
    score = sum(weights[k] * components[k] for k in weights)
    total_pr, total_npr = table["pagerank"].sum(), table["niche_pagerank"].sum()
    candidates = candidates.with_columns(
        pl.Series("niche_influence", score).round(12),  # float noise must not reorder tied accounts
        *[pl.Series(f"component_{k}", v) for k, v in components.items()],
        ((pl.col("niche_pagerank") / (total_npr or 1)) / (pl.col("pagerank") / (total_pr or 1))).fill_nan(0.0).alias("lift"),
    )
    candidates = _labels(candidates, now or datetime.now(timezone.utc))
    candidates = _attach_evidence(candidates, whole.top_engagers)
    threshold = candidates["engagement"].quantile(0.9)
    candidates = candidates.with_columns(
        pl.when((pl.col("engagement") >= max(threshold or 0, MIN_HIGH_ENGAGEMENT)) & (pl.col("engager_relevance").fill_null(0) < 0.3))
        .then(pl.format("high engagement ({}) but only {}% of engagers are niche members",
                        pl.col("engagement").cast(pl.Int64), (pl.col("engager_relevance").fill_null(0) * 100).round(0).cast(pl.Int64)))
        .alias("warning"),
        pl.lit(config_hash).alias("config_hash"),
        pl.lit(query.name).alias("niche"),
    ).sort(["niche_influence", "id"], descending=[True, False]).with_row_index("rank", offset=1)
    flagged = [f"{row['handle'] or row['id']}: {row['warning']}" for row in candidates.filter(pl.col("warning").is_not_null()).iter_rows(named=True)]
    return RankResult(table=candidates, agreement=rank_agreement(candidates), warnings=flagged,
                      config_hash=config_hash, query=query, members=int(is_member.sum()), notes=notes)


def tier_expr(followers: pl.Expr) -> pl.Expr:
    """The tier of an account by its followers: nano < 10k <= micro < 100k <= mid < 500k <= macro < 1M <= mega."""
    followers = followers.fill_null(0)
    return (pl.when(followers < 10_000).then(pl.lit("nano")).when(followers < 100_000).then(pl.lit("micro"))
            .when(followers < 500_000).then(pl.lit("mid")).when(followers < 1_000_000).then(pl.lit("macro")).otherwise(pl.lit("mega")))


def _labels(table: pl.DataFrame, now: datetime) -> pl.DataFrame:
    tier = tier_expr(pl.col("reach"))
    age_days = (pl.lit(now) - pl.col("created_at")).dt.total_days()
    per_post = pl.col("engagement") / pl.max_horizontal(pl.col("posts_seen"), 1)
    bio = pl.col("bio").fill_null("").str.to_lowercase()
    return table.with_columns(tier.alias("tier")).with_columns(
        pl.when((pl.col("posts_seen") >= 10) & (per_post < 0.1)
                & ((age_days.fill_null(10_000) < 90) | (pl.col("mentions_per_post").fill_null(0) >= 3)))
        .then(pl.lit("suspected bot"))
        .when(bio.str.contains(r"official account|\binc\b|\bltd\b|\bstore\b|\bshop\b|\bbrand\b")).then(pl.lit("brand or organisation"))
        .when(pl.col("tier").is_in(["macro", "mega"]) & (pl.col("audience_relevance") < 0.5)).then(pl.lit("celebrity"))
        .when(pl.col("brokerage") >= 0.4).then(pl.lit("broker"))
        .when(pl.col("member") & (pl.col("audience_relevance") >= 0.6)
              & (pl.col("niche_influence") >= 0.5 * pl.col("niche_influence").max())
              & pl.col("tier").is_in(["nano", "micro", "mid"])).then(pl.lit("niche expert"))
        .otherwise(pl.lit("peer")).alias("role"))


def _attach_evidence(candidates: pl.DataFrame, top_engagers: pl.DataFrame) -> pl.DataFrame:
    """A one-line explanation per row: engagements, the niche share of engagers, the top engagers."""
    return candidates.join(top_engagers, left_on="id", right_on="dst", how="left", maintain_order="left").with_columns(
        pl.format("{} engagements ({} on niche content) from {} accounts, {}% niche members; niche PageRank top {}%; top engagers: {}",
                  pl.col("engagement").cast(pl.Int64), pl.col("niche_engagement").cast(pl.Int64), pl.col("engagers"),
                  (pl.col("engager_relevance").fill_null(0) * 100).round(0).cast(pl.Int64),
                  ((1 - pl.col("niche_pagerank").rank("average", descending=False) / pl.len()) * 100).round(0).cast(pl.Int64).clip(1, 100),
                  pl.col("top_engagers").list.join(", ").fill_null("none")).alias("evidence"))


def rank_agreement(table: pl.DataFrame, k: int = 10) -> pl.DataFrame:
    """Spearman correlation and top-k overlap between reach, repost and mention in-strength and PageRank."""
    measures = ["reach", "in_strength_repost", "in_strength_mention", "pagerank"]
    rows = []
    present = [m for m in measures if m in table.columns]
    for i, a in enumerate(present):
        for b in present[i + 1:]:
            x = table[a].fill_null(0).cast(pl.Float64)
            y = table[b].fill_null(0).cast(pl.Float64)
            if table.height > 1 and x.n_unique() > 1 and y.n_unique() > 1:
                rho = pl.DataFrame({"x": x.rank("average"), "y": y.rank("average")}).select(pl.corr("x", "y")).item()
            else:
                rho = None
            top_a = set(table.sort(a, descending=True, nulls_last=True).head(k)["id"])
            top_b = set(table.sort(b, descending=True, nulls_last=True).head(k)["id"])
            overlap = len(top_a & top_b) / max(min(k, table.height), 1)
            rows.append({"measure_a": a, "measure_b": b, "spearman": rho, f"top{k}_overlap": overlap, "accounts": table.height})
    return pl.DataFrame(rows, schema={"measure_a": pl.String, "measure_b": pl.String, "spearman": pl.Float64,
                                      f"top{k}_overlap": pl.Float64, "accounts": pl.Int64})
