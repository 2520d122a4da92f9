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
- **Audience quality** (`quality.audience_quality`): per account the bot-like, mass-follower,
  hunter and ring signals; per candidate the shares of its followers and engagers that carry
  them, `audience_quality` and the engagement-authenticity shares, each its own column, shown
  beside niche influence and reach and never folded into either. Its thresholds are the
  query's `[quality]` table over `quality.QualityRules` and are part of the configuration hash.
- **Tiers, roles, the engagement warning and the flags**: the rules of `labels`.

The general graph algorithms (PageRank, personalised PageRank, HITS, coreness, betweenness) are
in `algorithms.centrality`; this module decides which graph each runs on and how they combine.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, TypeVar

import numpy as np
import polars as pl

from .algorithms.centrality import approximate_betweenness, authority, coreness, pagerank, personalised_pagerank
from .graph import BuiltGraph, GraphSpec, build_from_rows, build_graph
from .labels import flags_expr, label_accounts, named_expr, warning_expr
from .niches import NicheQuery, bio_match_expr, post_in_niche_expr, post_tags_expr
from .quality import QualityRules, audience_quality, rules_of
from .results import load_communities
from .schema import EDGE_KINDS, ENGAGEMENT_KINDS, KIND, Batch
from .vertex_numbers import first_rows

if TYPE_CHECKING:
    from .engines.spark import SparkEngine
    from .workspace import Workspace

__all__ = ["DEFAULT_WEIGHTS", "RankResult", "WholeGraph", "whole_graph", "rank_niche", "rank_niches", "rank_agreement",
           "niche_members"]

DEFAULT_WEIGHTS = {"niche_pagerank": 0.35, "audience_relevance": 0.25, "niche_engagement": 0.20,
                   "authority": 0.10, "coreness": 0.05, "brokerage": 0.05}
VERSION = "rank-1"
T = TypeVar("T")


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
    rings: pl.DataFrame | None = None  # the engagement rings found (`quality.audience_quality`)


def _tables(source: "Workspace | Batch", platform: str | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, BuiltGraph]:
    """The tables (one platform's when asked) and the whole graph; every graph vertex gets an accounts row."""
    if isinstance(source, Batch):
        accounts, posts, edges = source.accounts, source.posts, source.edges
    else:
        accounts, posts = source.table("accounts"), source.table("posts")
        edges = source.table("edges", with_ends=True)  # with src_ix, dst_ix: `WholeGraph.edge_rows` maps no string
    if platform:
        accounts, posts, edges = (t.filter(pl.col("platform") == platform) for t in (accounts, posts, edges))
    # from a workspace the build reads its vertex index (integers); from a Batch it maps the (platform, id) keys
    built = build_graph(source if not isinstance(source, Batch) else Batch(accounts=accounts, edges=edges),
                        GraphSpec(platform=platform))
    missing = built.id_frame.select(KEY).join(accounts.select(KEY), on=KEY, how="anti", nulls_equal=True)
    if missing.height:  # endpoints without an accounts row: every vertex is a row, in the same order
        accounts = pl.concat([accounts, missing], how="diagonal_relaxed")
    return accounts.unique(KEY, keep="first", maintain_order=True), posts, edges, built


SHARES = ("audience_relevance", "brokerage")
KEY = ["platform", "id"]  # an account is (platform, id): the same id on two platforms is two accounts


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


def _relevance(whole: "WholeGraph", is_member: np.ndarray) -> dict[str, np.ndarray]:
    """Per account: distinct engagers and known followers (other accounts), and how many are members."""
    built = whole.built
    n, sources, targets = built.n, built.ends[:, 0], built.ends[:, 1]

    def audiences() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:  # the same for every niche
        follow = built.kind_weights.get("follow", np.zeros(len(sources)))
        engaged = sum((built.kind_weights[k] for k in built.kind_weights if k != "follow"), np.zeros(len(sources))) > 0
        return {name: (sources[chosen], targets[chosen], np.bincount(targets[chosen], minlength=n).astype(np.int64))
                for name, chosen in (("engagers", engaged), ("known_followers", follow > 0))}

    out = {}
    for name, (who, whom, count) in whole.shared(("audiences",), audiences).items():
        out[name] = count
        out[f"member_{name.split('_')[-1]}"] = np.bincount(whom, weights=is_member[who].astype(np.float64), minlength=n).astype(np.int64)
    return out


def _config_hash(query: NicheQuery, weights: dict, platform: str | None, quality: QualityRules | None = None) -> str:
    """A short hash of everything that decides the ranking: version, query, weights, platform and quality rules."""
    config = {"version": VERSION, "query": {k: v for k, v in query.__dict__.items() if k != "path"},
              "weights": weights, "platform": platform, "quality": (quality or QualityRules()).as_dict()}
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
    _shared: dict = field(default_factory=dict, repr=False)

    def shared(self, key: tuple, make: "Callable[[], T]") -> "T":
        """`make()`, computed once per whole graph and `key`: work that every niche's ranking shares
        (e.g. the niche-independent audience-quality signals, keyed by their rules and seed).

        Example: ``whole.shared(("rings", rules), lambda: find_rings(...))``."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    @cached_property
    def post_rows(self) -> pl.DataFrame:
        """Every row of `posts`, in order, as numbers: `author` (its author's vertex in `built`, -1 for none) and
        `ref` (the row of the post it reposts, quotes or replies to, -1 for none; a post refers to posts of its
        platform). Two fingerprint lookups (`vertex_numbers.first_rows`) once, so each niche's content and activity are numpy gathers and counts."""
        posts = self.posts
        refs = first_rows(posts, posts.select("platform", pl.coalesce("repost_of", "quote_of", "reply_to").alias("ref")),
                          key="ref")
        authors = first_rows(self.built.vertices, posts, key="author_id")
        return pl.DataFrame({"author": authors, "ref": refs})

    def posts_by_author(self, chosen: np.ndarray | None = None) -> np.ndarray:
        """Per vertex: how many of the posts (all, or those where `chosen` holds) it wrote."""
        author = self.post_rows["author"].to_numpy()
        keep = author >= 0 if chosen is None else (author >= 0) & chosen
        return np.bincount(author[keep], minlength=self.built.n)

    @cached_property
    def people(self) -> pl.DataFrame:
        """The accounts in vertex order, with the posts seen by each and their mentions per post."""
        seen = self.posts_by_author()
        author = self.post_rows["author"].to_numpy()
        mentions = self.posts["mentions"].list.len().fill_null(0).to_numpy().astype(np.float64)
        by_author = np.bincount(author[author >= 0], weights=mentions[author >= 0], minlength=self.built.n)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_post = np.where(seen > 0, by_author / np.maximum(seen, 1), np.nan)
        return (self.built.id_frame.join(self.accounts, on=KEY, how="left", maintain_order="left", nulls_equal=True)
                .drop("ix").with_columns(pl.Series("posts_seen", seen, dtype=pl.UInt32),
                                         pl.Series("mentions_per_post", per_post, dtype=pl.Float64).fill_nan(None)))

    @cached_property
    def edge_rows(self) -> pl.DataFrame:
        """Every row of `edges`, in order, as numbers: `s` and `d` (vertices of `built`), `k` (the kind's position in
        `EDGE_KINDS`), `weight` (the row's), `post` (the row of its post in `posts`, -1 for none). Computed once, so
        each niche picks its rows with numpy masks instead of joining ten million string keys."""
        edges, built = self.edges, self.built
        ends = None
        if "src_ix" in edges.columns and built.index_of is not None and edges.height:
            src, dst = edges["src_ix"].to_numpy(), edges["dst_ix"].to_numpy()
            local = np.full(max(int(src.max()), int(dst.max()), int(built.index_of.max(initial=-1))) + 1, -1, np.int64)
            local[built.index_of] = np.arange(built.n)
            ends = local[src], local[dst]
            if ends[0].min() < 0 or ends[1].min() < 0:
                ends = None  # an end outside the graph's vertices: map the keys instead
        if ends is None:
            numbered = edges.select("platform", "src", "dst")
            for end in ("src", "dst"):
                numbered = numbered.join(built.id_frame.rename({"id": end, "ix": f"{end}_n"}), on=["platform", end],
                                         how="left", maintain_order="left", nulls_equal=True)
            ends = tuple(numbered[f"{end}_n"].cast(pl.Int64).fill_null(-1).to_numpy() for end in ("src", "dst"))
        return pl.DataFrame({"s": ends[0], "d": ends[1], "k": edges["kind"].cast(KIND).to_physical().cast(pl.Int64),
                             "weight": edges["weight"].cast(pl.Float64),
                             "post": first_rows(self.posts, edges, key="post_id")})

    @cached_property
    def top_engagers(self) -> pl.DataFrame:
        """Per account (`dst`): the handles of its 3 heaviest engagers, ties by id, for the evidence line."""
        built = self.built
        weight = sum((built.kind_weights.get(k, 0.0) for k in ENGAGEMENT_KINDS), np.zeros(len(built.ends)))
        engaged = weight > 0
        pairs = pl.DataFrame({"d": built.ends[engaged, 1], "s": built.ends[engaged, 0], "w": weight[engaged]})
        top = (pairs.sort(["d", "w", "s"], descending=[False, True, False])  # ties in vertex order (deterministic)
               .group_by("d", maintain_order=True).head(3))
        vertices = built.vertices
        labels = self.people.select(pl.coalesce("handle", "id").alias("label"))["label"]  # one per vertex, in vertex order
        return (top.select(vertices["platform"].gather(top["d"]), vertices["id"].gather(top["d"]).alias("dst"),
                           labels.gather(top["s"]).alias("label"))
                .group_by("platform", "dst", maintain_order=True).agg(pl.col("label").alias("top_engagers")))


def whole_graph(source: "Workspace | Batch", *, platform: str | None = None, communities: pl.DataFrame | None = None,
                engine: "SparkEngine | None" = None) -> WholeGraph:
    """The shared part of ranking (see `WholeGraph`); `engine` computes PageRank on Spark instead."""
    accounts, posts, edges, built = _tables(source, platform)
    if communities is None and not isinstance(source, Batch):
        communities = load_communities(source)
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

    The steps, in order: the composite's weights (`_weights`), niche content (`_niche_content`),
    niche members (`_niche_members`), the niche graph (`_niche_graph`), the metrics on both graphs
    (`_metrics`), audience relevance and reach (`_audience`), brokerage (`_brokerage`), the
    candidates (`_candidates`), the composite (`_composite`), then tiers, roles, evidence and
    warnings, in rank order (`_labelled`).

    `betweenness` (a number of sampled sources) adds approximate betweenness on the niche graph;
    it is off by default because it is the one slow metric. `whole` reuses the shared work of an
    earlier call (`whole_graph`, `rank_niches`); `engine` (a `SparkEngine`) runs both PageRanks on Spark.

    >>> from influgraph.schema import Batch
    >>> posts = pl.DataFrame({"id": ["p1"], "author_id": ["c"], "text": ["a new #coffee roast"], "platform": ["x"]})
    >>> edges = pl.DataFrame({"src": ["a", "b", "b"], "dst": ["c", "c", "a"], "kind": ["repost", "repost", "follow"],
    ...                       "post_id": ["p1", "p1", None], "platform": ["x"] * 3})
    >>> result = rank_niche(Batch(posts=posts, edges=edges), NicheQuery(name="coffee", hashtags=("coffee",), seed_accounts=("a",)))
    >>> result.table["id"].to_list(), result.members
    (['c', 'a'], 1)
    """
    if whole is None:
        whole = whole_graph(source, platform=platform, communities=communities, engine=engine)
    weights = _weights(query)
    rules = rules_of(query)
    config_hash = _config_hash(query, weights, whole.platform, rules)
    niche_posts = _niche_content(whole, query)
    people = _niche_members(whole, niche_posts, query)
    niche = _niche_graph(whole, niche_posts, people)
    table = _metrics(whole, niche, people, betweenness=betweenness, seed=seed, engine=engine)
    table = _brokerage(_audience(table), whole.communities, betweenness)
    quality = audience_quality(whole, niche.is_member, rules, seed=seed)
    table = pl.concat([table, quality.frame], how="horizontal")
    candidates = _candidates(table)
    notes = []
    if candidates.height == 0:
        notes.append(f"niche {query.name!r} has no members or niche content in this workspace")
        return RankResult(table=candidates, agreement=rank_agreement(candidates), warnings=[], config_hash=config_hash,
                          query=query, members=0, notes=notes, rings=quality.rings)
    candidates = _composite(candidates, table, weights)
    candidates = _labelled(candidates, whole, config_hash, query.name, now or datetime.now(timezone.utc))
    flagged = [f"{row['handle'] or row['id']}: {row['warning']}" for row in candidates.filter(pl.col("warning").is_not_null()).iter_rows(named=True)]
    return RankResult(table=candidates, agreement=rank_agreement(candidates), warnings=flagged,
                      config_hash=config_hash, query=query, members=int(niche.is_member.sum()), notes=notes,
                      rings=quality.rings)


def _weights(query: NicheQuery) -> dict[str, float]:
    """The composite's weights: the query's `[weights]` (unlisted components weigh 0) or the defaults, summing to 1."""
    weights = {k: query.weights.get(k, 0.0) for k in DEFAULT_WEIGHTS} if query.weights else dict(DEFAULT_WEIGHTS)
    total = sum(weights.values()) or 1.0
    return {k: v / total for k, v in weights.items()}


def _niche_content(whole: WholeGraph, query: NicheQuery) -> pl.DataFrame:
    """`whole.posts` with `own_niche` (the post matches the query) and `niche` (it does, or reposts, quotes or replies to one that does)."""
    if whole.posts.height == 0:  # (a literal expression on no rows would give one row)
        return whole.posts.with_columns(pl.lit(False).alias("own_niche"), pl.lit(False).alias("niche"))
    tags = whole.shared(("post tags",), lambda: whole.posts.select(post_tags_expr().alias("_tags")))  # folded once
    own = (pl.concat([whole.posts, tags], how="horizontal").select(post_in_niche_expr(query, folded_tags="_tags").alias("own"))
           .to_series().to_numpy().astype(bool))
    niche = own | np.append(own, False)[whole.post_rows["ref"].to_numpy()]  # ref -1: the appended False
    return whole.posts.with_columns(pl.Series("own_niche", own, dtype=pl.Boolean), pl.Series("niche", niche, dtype=pl.Boolean))


def _niche_members(whole: WholeGraph, niche_posts: pl.DataFrame, query: NicheQuery) -> pl.DataFrame:
    """`whole.people` with niche posts, bio match, seed, excluded, niche share and `member`."""
    seeds = {s.lower() for s in query.seed_accounts}
    excluded = {s.lower() for s in query.exclude_accounts}
    written = whole.posts_by_author(niche_posts["niche"].to_numpy())
    people = (whole.people.with_columns(pl.Series("niche_posts", written, dtype=pl.UInt32),
                                        bio_match_expr(query).alias("bio_match"),
                                        named_expr(seeds).alias("seed"), named_expr(excluded).alias("excluded"))
              .with_columns((pl.col("niche_posts") / pl.col("posts_seen")).fill_nan(0.0).fill_null(0.0).alias("niche_share")))
    return people.with_columns(
        (~pl.col("excluded") & (pl.col("seed") | pl.col("bio_match")
                                | ((pl.col("niche_posts") >= 2) & (pl.col("niche_share") >= 0.5)))).alias("member"))


def niche_members(source: "Workspace | Batch", query: NicheQuery, *, platform: str | None = None) -> pl.DataFrame:
    """Every account of `source` with the niche member rule's inputs and verdict, exactly as `rank_niche` decides it.

    Why: campaign results, amplifiers and trends must count as members the very accounts the ranking
    counts, so this is the ranking's own rule (`_niche_members`) on the same accounts (the graph's
    vertices), without the ranking's metrics (no PageRank).

    Parameters
    ----------
    source : a Workspace or a Batch.
    query : the niche query (seeds, keywords, hashtags, exclusions).
    platform : only this platform's accounts, posts and edges (all when None).

    Returns
    -------
    One row per account: platform, id, handle, niche_posts, posts_seen, niche_share, bio_match,
    seed, excluded, member; `member.sum()` equals `rank_niche(source, query).members`.

    Example
    -------
    >>> from influgraph.schema import Batch
    >>> edges = pl.DataFrame({"src": ["a"], "dst": ["b"], "kind": ["follow"], "platform": ["x"]})
    >>> niche_members(Batch(edges=edges), NicheQuery(name="n", seed_accounts=("a",))).filter("member")["id"].to_list()
    ['a']
    """
    accounts, posts, edges, built = _tables(source, platform)
    whole = WholeGraph(accounts=accounts, posts=posts, edges=edges, built=built, metrics={}, platform=platform,
                       communities=None)
    flagged = _niche_members(whole, _niche_content(whole, query), query)
    return flagged.select(*KEY, "handle", "niche_posts", "posts_seen", "niche_share", "bio_match", "seed", "excluded",
                          pl.col("member").fill_null(False))


@dataclass
class _NicheGraph:
    """The niche graph on the whole graph's vertex order, with what it was made from."""

    built: BuiltGraph
    post_ids: pl.Series  # the niche posts' ids, imploded
    member_ids: pl.Series  # the members' ids, imploded
    is_member: np.ndarray  # per vertex
    reset: np.ndarray  # the personalised PageRank's teleport weights: member + seed
    niche_engagement: np.ndarray  # per vertex: the weight of engagements by members on niche content it received


def _niche_graph(whole: WholeGraph, niche_posts: pl.DataFrame, people: pl.DataFrame) -> _NicheGraph:
    """Interactions on niche content, plus follows made by members, on the same vertices as the whole graph.

    The rows are picked from `WholeGraph.edge_rows` by numpy masks (the post's niche flag, the source's
    membership); `niche_engagement` is the weight of the rows by members on niche content each account received."""
    rows = whole.edge_rows
    is_member = people["member"].fill_null(False).to_numpy()
    s, d, k, weight = (rows[c].to_numpy() for c in ("s", "d", "k", "weight"))
    on_niche_post = np.append(niche_posts["niche"].fill_null(False).to_numpy(), False)[rows["post"].to_numpy()]
    by_member = is_member[s]
    chosen = np.where(k == EDGE_KINDS.index("follow"), by_member, on_niche_post)
    niche = build_from_rows(s[chosen], d[chosen], k[chosen], weight[chosen], whole.built)
    engaging = chosen & by_member & np.array([kind in ENGAGEMENT_KINDS for kind in EDGE_KINDS])[k]
    engagement = np.bincount(d[engaging], weights=weight[engaging], minlength=whole.built.n)
    reset = is_member.astype(np.float64) + people["seed"].fill_null(False).to_numpy().astype(np.float64)
    return _NicheGraph(built=niche, post_ids=niche_posts["id"].filter(niche_posts["niche"].fill_null(False)).implode(),
                       member_ids=people["id"].filter(people["member"].fill_null(False)).implode(), is_member=is_member, reset=reset,
                       niche_engagement=engagement)


def _metrics(whole: WholeGraph, niche: _NicheGraph, people: pl.DataFrame, *, betweenness: int | None, seed: int,
             engine: "SparkEngine | None") -> pl.DataFrame:
    """`people` with every metric column of the niche graph and the whole graph, and `niche_engagement`."""
    if engine is not None:
        personal = {i: r for i, r in zip(whole.built.ids, niche.reset.tolist()) if r > 0}
        npr = engine.pagerank_array(whole.built.ids, personal, niche_posts=niche.post_ids.explode().to_list(),
                                    members=niche.member_ids.explode().to_list()) if personal else np.zeros(whole.built.n)
    else:
        npr = personalised_pagerank(niche.built, niche.reset)
    metrics = {"pagerank": whole.metrics["pagerank"], "niche_pagerank": npr}
    metrics["authority"], metrics["coreness"] = authority(niche.built), coreness(niche.built)
    metrics.update(_by_kind(niche.built, "niche_"))
    metrics.update({k: v for k, v in whole.metrics.items() if k != "pagerank"})
    metrics.update(_relevance(whole, niche.is_member))
    if betweenness:
        metrics["betweenness"] = approximate_betweenness(niche.built, betweenness, seed)
    metrics["niche_engagement"] = niche.niche_engagement
    return pl.concat([people, pl.DataFrame(metrics)], how="horizontal")


def _audience(table: pl.DataFrame) -> pl.DataFrame:
    """Engager and follower relevance (shares of members), their mean `audience_relevance`, reach and engagement rate."""
    return table.with_columns(
        pl.when(pl.col("engagers") > 0).then(pl.col("member_engagers") / pl.col("engagers")).alias("engager_relevance"),
        pl.when(pl.col("known_followers") > 0).then(pl.col("member_followers") / pl.col("known_followers")).alias("follower_relevance"),
        pl.coalesce("followers", "known_followers").alias("reach"),
        (pl.col("niche_engagement") / pl.max_horizontal(pl.col("niche_posts"), 1)).alias("engagement_rate"),
    ).with_columns(pl.mean_horizontal("engager_relevance", "follower_relevance").fill_null(0.0).alias("audience_relevance"))


def _brokerage(table: pl.DataFrame, communities: pl.DataFrame | None, betweenness: int | None) -> pl.DataFrame:
    """`community` and `brokerage`: the participation coefficient, else betweenness scaled to [0, 1], else 0."""
    if communities is not None and "participation" in communities.columns:
        on = KEY if "platform" in communities.columns else ["id"]  # communities stored before (platform, id) keys
        return table.join(communities.select(*on, "community", pl.col("participation").alias("brokerage")), on=on,
                          how="left", maintain_order="left").with_columns(pl.col("brokerage").fill_null(0.0))
    if betweenness:
        top = table["betweenness"].max() or 1.0
        return table.with_columns(pl.lit(None, dtype=pl.Int64).alias("community"),
                                  (pl.col("betweenness") / top).alias("brokerage"))
    return table.with_columns(pl.lit(None, dtype=pl.Int64).alias("community"), pl.lit(0.0).alias("brokerage"))


def _candidates(table: pl.DataFrame) -> pl.DataFrame:
    """The rows ranked: not excluded, and members, authors of niche content, or receivers of niche interactions."""
    return table.filter(~pl.col("excluded").fill_null(False)
                        & (pl.col("member") | (pl.col("niche_posts") > 0) | (pl.col("niche_engagement") > 0)
                           | (pl.col("niche_pagerank") > 0) & pl.col("seed")))


def _composite(candidates: pl.DataFrame, table: pl.DataFrame, weights: dict[str, float]) -> pl.DataFrame:
    """`niche_influence`, each scaled `component_<name>`, and `lift` (PageRank shares over the whole `table`)."""
    components = {k: _scaled(candidates[k].fill_null(0).to_numpy().astype(np.float64), k) for k in weights}
    score = sum(weights[k] * components[k] for k in weights)
    total_pr, total_npr = table["pagerank"].sum(), table["niche_pagerank"].sum()
    return candidates.with_columns(
        pl.Series("niche_influence", score).round(12),  # float noise must not reorder tied accounts
        *[pl.Series(f"component_{k}", v) for k, v in components.items()],
        ((pl.col("niche_pagerank") / (total_npr or 1)) / (pl.col("pagerank") / (total_pr or 1))).fill_nan(0.0).alias("lift"),
    )


def _labelled(candidates: pl.DataFrame, whole: WholeGraph, config_hash: str, niche: str, now: datetime) -> pl.DataFrame:
    """Tiers and roles, the evidence line, the warning, the configuration, sorted and numbered by rank."""
    candidates = label_accounts(candidates, now)
    candidates = _attach_evidence(candidates, whole.top_engagers)
    return candidates.with_columns(
        warning_expr(candidates).alias("warning"),
        pl.lit(config_hash).alias("config_hash"),
        pl.lit(niche).alias("niche"),
    ).with_columns(flags_expr([*candidates.columns, "warning"]).alias("flags")).sort(["niche_influence", "id", "platform"], descending=[True, False, False]).with_row_index("rank", offset=1)


def _attach_evidence(candidates: pl.DataFrame, top_engagers: pl.DataFrame) -> pl.DataFrame:
    """A one-line explanation per row: engagements, the niche share of engagers, the top engagers."""
    return candidates.join(top_engagers, left_on=KEY, right_on=["platform", "dst"], how="left", maintain_order="left").with_columns(
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
            key = [c for c in KEY if c in table.columns]
            top_a = set(table.sort(a, descending=True, nulls_last=True).head(k).select(key).rows())
            top_b = set(table.sort(b, descending=True, nulls_last=True).head(k).select(key).rows())
            overlap = len(top_a & top_b) / max(min(k, table.height), 1)
            rows.append({"measure_a": a, "measure_b": b, "spearman": rho, f"top{k}_overlap": overlap, "accounts": table.height})
    return pl.DataFrame(rows, schema={"measure_a": pl.String, "measure_b": pl.String, "spearman": pl.Float64,
                                      f"top{k}_overlap": pl.Float64, "accounts": pl.Int64})
