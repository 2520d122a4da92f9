"""Crisis amplifiers: who spreads a complaint about a brand, how far into the brand's audience, across which communities.

The complaint is an ordinary niche query (`niches.NicheQuery`): its keywords, hashtags and
languages describe the negative topic (any supported language: matching is done on the
normalised form of `niches.normalize`, so Persian words with or without the zero-width
non-joiner, Arabic or Persian yeh and kaf, match alike), and its `seed_accounts` name the brand.

Rules, in order:

- **Complaint posts**: posts that are no repost and match the query (`niches.post_in_niche_expr`:
  originals, and quotes or replies whose own text matches) created in `[since, until)` (every
  post when neither is given). A repost carries the complaint only as a cascade node.
- **Complaint cascade**: the complaint posts and every post or repost, quote or reply edge in the
  window that reposts, quotes or replies to a cascade node, transitively (the trees of
  `cascades.trace_cascades`, rooted at the complaint posts that do not descend from another).
- **Spreaders**: authors of complaint posts and of the reposts and quotes in the cascade; the
  brand's own accounts are never spreaders. A spreader's time is that of its first such node.
- **First spreaders**: the authors of complaint posts, by the time of their first one; the first
  of them is *the* first spreader.
- **Brand audience**: the accounts that follow a brand account (stored follow edges made before
  `until`, or untimed), plus the members of the `audience` niche when one is given (the member
  rule of `rank.rank_niche`, by `rank.niche_members`: seeds, bio match, niche posting share); the
  brand itself excluded.
- **Exposure**: an account is exposed by spreader X when it follows X (a follow made before X
  spread, or untimed); its **first exposer** is the earliest such spreader (ties by id).
- **Reach** of X: the brand-audience accounts X exposed (`reach`; `new_reach` counts those it
  exposed first). Amplifiers are ranked by `reach`, then `cascade_reach`, then the earliest.
- **Inferred parent** of a spreader S (after Goel, Watts and Goldstein, "The structure of online
  diffusion networks", EC 2012, who attribute an adoption to a followee who adopted before):
  the first spreader S follows who spread before S; when S follows none, the author of the post
  S reposted, quoted or replied to (when that author is another spreader).
- **Cascade reach** of X: the brand-audience accounts exposed by X or by any spreader below X in
  the inferred tree (answering X reaches its whole branch).
- **Brokerage** of X (Gould and Fernandez, "Structures of mediation", Sociological Methodology
  19, 1989: a broker links a pair from different groups): the number of spreaders whose inferred
  parent is X and whose community differs from the community X received the complaint from (its
  inferred parent's; X's own when X has no parent). `carried_into` lists those communities and
  `exposed_across` counts the accounts X exposed first outside that community. Communities are the
  stored ones (`results.load_communities`), else computed now by `communities.detect_communities`
  on the whole source (the result's notes say so); an account without a community never crosses.
- **Time line**: per hour (spans up to 3 days) or per day: the complaint posts (cascade roots),
  reposts, quotes and replies made, the new spreaders, and the brand-audience accounts first
  exposed, with their running total.

No Python loop runs over posts or edges: every step is a polars join or group-by; the only loops
run over the levels of the inferred tree and over the two passes that root the cascades.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from .cascades import diffusion_links, trace_cascades
from .errors import BadInput
from .labels import named_expr
from .niches import NicheQuery, post_in_niche_expr
from .schema import TIMESTAMP, Batch
from .windows import parse_time

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["AmplifierResult", "find_amplifiers", "BUCKETS"]

KEY = ["platform", "id"]
BUCKETS = ("auto", "hour", "day")
HOURLY_SPAN = timedelta(days=3)  # `bucket="auto"` counts per hour up to this span, per day beyond
SPREAD_KINDS = ("repost", "quote")


@dataclass
class AmplifierResult:
    """The spreaders of a complaint ranked by reach, its time line, and what it was computed from.

    `table`: one row per spreader, highest reach first: rank, platform, id, handle, first (order among
    the first spreaders, else null), first_at, posts, reposts, quotes, followers_exposed, reach,
    new_reach, cascade_reach, community, parent, parent_handle, source_community, brokerage,
    exposed_across, carried_into, brokerage_rank.
    `timeline`: start, posts, reposts, quotes, replies, new_spreaders, reached, reached_total.
    `summary`: complaint, brand (ids), brand_handles, audience, audience_niche, brand_followers,
    since, until, bucket, communities ("stored" or "computed"), complaint_posts, cascade_nodes,
    spreaders, reached (distinct brand-audience accounts exposed).
    """

    table: pl.DataFrame
    timeline: pl.DataFrame
    summary: dict
    notes: list[str] = field(default_factory=list)


def _sources(source: "Workspace | Batch", platform: str | None) -> Batch:
    """The three tables of `source` (one platform's when asked) as a Batch."""
    tables = source if isinstance(source, Batch) else Batch(
        accounts=source.table("accounts"), posts=source.table("posts"), edges=source.table("edges"))
    if not platform:
        return tables
    return Batch(**{name: frame.filter(pl.col("platform") == platform) for name, frame in tables.frames().items()})


def _in_window(column: str, since: datetime | None, until: datetime | None) -> pl.Expr:
    """True for rows whose `column` time is in [since, until); every row (timed or not) without a window."""
    keep = pl.lit(True)
    if since is not None:
        keep = keep & (pl.col(column) >= since)
    if until is not None:
        keep = keep & (pl.col(column) < until)
    return keep.fill_null(False) if since is not None or until is not None else keep


def _complaint_nodes(tables: Batch, query: NicheQuery, since: datetime | None, until: datetime | None) -> pl.DataFrame:
    """The complaint cascade's nodes (`CascadeResult.links` rows) with `matched` (the node is a complaint post).

    Two passes of `trace_cascades`: first every complaint post is cut from its parent, so each roots
    the nodes below it; then a complaint post whose parent is such a node is put back under it, so
    the roots are the complaint posts that descend from no other.
    """
    matched = (tables.posts.filter(post_in_niche_expr(query) & pl.col("repost_of").is_null() & _in_window("created_at", since, until))
               .select("platform", pl.col("id").alias("node"), pl.lit(True).alias("matched")))
    links = (diffusion_links(tables).filter(_in_window("at", since, until) | pl.col("parent").is_null())
             .join(matched, on=["platform", "node"], how="left").with_columns(pl.col("matched").fill_null(False)))
    cut = links.with_columns(pl.when(pl.col("matched")).then(None).otherwise(pl.col("parent")).alias("parent"))
    first = _rooted_at_matches(trace_cascades(cut).links, matched)
    below = first.select("platform", pl.col("node").alias("parent"), pl.lit(True).alias("_below"))
    again = (links.join(below, on=["platform", "parent"], how="left")
             .with_columns(pl.when(pl.col("matched") & pl.col("_below").is_null()).then(None)
                           .otherwise(pl.col("parent")).alias("parent")).drop("_below"))
    nodes = _rooted_at_matches(trace_cascades(again).links, matched)
    return nodes.join(matched, on=["platform", "node"], how="left").with_columns(pl.col("matched").fill_null(False))


def _rooted_at_matches(links: pl.DataFrame, matched: pl.DataFrame) -> pl.DataFrame:
    """The rows of `links` whose cascade root is a complaint post."""
    roots = matched.select("platform", pl.col("node").alias("cascade"))
    return links.join(roots, on=["platform", "cascade"], how="semi")


def _brand(tables: Batch, query: NicheQuery) -> tuple[pl.DataFrame, list[str]]:
    """The brand's accounts (platform, id, handle) named by the query's seeds, and the seeds found nowhere."""
    seeds = {s.lstrip("@").lower() for s in query.seed_accounts}
    found = tables.accounts.filter(named_expr(seeds)).select(*KEY, "handle").unique(KEY, keep="first", maintain_order=True)
    named = {v.lower() for v in found["id"].to_list() + found["handle"].drop_nulls().to_list()}
    missing = sorted(seeds - named)
    ends = pl.concat([tables.edges.select("platform", pl.col(end).alias("id")) for end in ("dst", "src")])
    bare = ends.filter(pl.col("id").str.to_lowercase().is_in(missing)).unique(maintain_order=True)
    extra = bare.with_columns(pl.lit(None, pl.String).alias("handle"))
    still = sorted(set(missing) - {i.lower() for i in bare["id"].to_list()})
    return pl.concat([found, extra]).unique(KEY, keep="first", maintain_order=True), still


def _follows(tables: Batch, until: datetime | None) -> pl.DataFrame:
    """Follow edges (platform, src, dst, at) made before `until`, or untimed."""
    follows = tables.edges.filter(pl.col("kind").cast(pl.String) == "follow")
    if until is not None:
        follows = follows.filter(pl.col("at").is_null() | (pl.col("at") < until))
    return follows.select("platform", "src", "dst", "at").unique(["platform", "src", "dst"], keep="first", maintain_order=True)


def _audience(tables: Batch, follows: pl.DataFrame, brand: pl.DataFrame, audience: NicheQuery | None) -> tuple[pl.DataFrame, int]:
    """The brand audience (platform, id): the brand's followers plus the `audience` niche's members; and the follower count."""
    followers = (follows.join(brand.select("platform", pl.col("id").alias("dst")), on=["platform", "dst"], how="semi")
                 .select("platform", pl.col("src").alias("id")).unique())
    parts = [followers]
    if audience is not None:
        from .rank import niche_members

        parts.append(niche_members(tables, audience).filter(pl.col("member")).select(*KEY))
    members = pl.concat(parts).unique().join(brand.select(*KEY), on=KEY, how="anti")
    return members.sort(KEY), followers.height


def _spreaders(nodes: pl.DataFrame, brand: pl.DataFrame) -> pl.DataFrame:
    """One row per spreader: its first spread time, complaint posts, reposts and quotes; the brand excluded."""
    spreading = nodes.filter(pl.col("account").is_not_null()
                             & (pl.col("matched") | (pl.col("depth") == 0) | pl.col("kind").is_in(SPREAD_KINDS)))
    spreading = spreading.join(brand.select("platform", pl.col("id").alias("account")), on=["platform", "account"], how="anti")
    return (spreading.group_by("platform", pl.col("account").alias("id"))
            .agg(pl.col("at").min().alias("first_at"),
                 pl.col("at").filter(pl.col("matched")).min().alias("_first_post"), pl.col("matched").any().alias("_poster"),
                 (pl.col("matched") | (pl.col("depth") == 0)).sum().cast(pl.Int64).alias("posts"),
                 (pl.col("kind") == "repost").sum().cast(pl.Int64).alias("reposts"),
                 (pl.col("kind") == "quote").sum().cast(pl.Int64).alias("quotes"),
                 pl.col("parent_account").sort_by("at", nulls_last=True).first().alias("_tree_parent"))
            .sort("first_at", "id", nulls_last=True))


def _exposures(follows: pl.DataFrame, spreaders: pl.DataFrame, brand: pl.DataFrame) -> pl.DataFrame:
    """(platform, id = the exposed account, by = the spreader it follows, at = when it spread), with `first` marking
    each account's first exposer (earliest, ties by id); follows made after the spreader spread do not count."""
    by = spreaders.select("platform", pl.col("id").alias("dst"), pl.col("first_at").alias("spread_at"))
    pairs = (follows.join(by, on=["platform", "dst"])
             .filter(pl.col("at").is_null() | pl.col("spread_at").is_null() | (pl.col("at") <= pl.col("spread_at")))
             .select("platform", pl.col("src").alias("id"), pl.col("dst").alias("by"), pl.col("spread_at").alias("at"))
             .filter(pl.col("id") != pl.col("by"))
             .join(brand.select(*KEY), on=KEY, how="anti")
             .sort(["platform", "id", "at", "by"], nulls_last=True))
    return pairs.with_columns((pl.int_range(pl.len()).over("platform", "id") == 0).alias("first"))


def _parents(spreaders: pl.DataFrame, exposures: pl.DataFrame) -> pl.DataFrame:
    """`spreaders` with `parent`: the first spreader it follows who spread before it, else its tree parent's author."""
    own = spreaders.select(*KEY, pl.col("first_at").alias("_own"))
    earlier = (exposures.join(own, on=KEY).filter(pl.col("at").is_not_null() & (pl.col("at") < pl.col("_own")))
               .sort(["platform", "id", "at", "by"]).group_by(KEY, maintain_order=True).agg(pl.col("by").first().alias("_followed")))
    known = spreaders.select("platform", pl.col("id").alias("_tree_parent"), pl.lit(True).alias("_is_spreader"))
    linked = (spreaders.join(earlier, on=KEY, how="left")
              .join(known, on=["platform", "_tree_parent"], how="left")
              .with_columns(pl.coalesce("_followed", pl.when(pl.col("_is_spreader") & (pl.col("_tree_parent") != pl.col("id")))
                                        .then(pl.col("_tree_parent"))).alias("parent"))
              .drop("_followed", "_is_spreader", "_tree_parent"))
    # parents on a cycle (only untimed nodes can make one) are dropped: trace_cascades leaves such nodes out
    tree = trace_cascades(linked.select("platform", pl.col("id").alias("node"), "parent", pl.col("id").alias("account"))).links
    rooted = tree.select("platform", pl.col("node").alias("id"), pl.lit(True).alias("_rooted"))
    return (linked.join(rooted, on=KEY, how="left")
            .with_columns(pl.when(pl.col("_rooted")).then(pl.col("parent")).alias("parent")).drop("_rooted"))


def _branch_reach(spreaders: pl.DataFrame, exposed: pl.DataFrame) -> pl.DataFrame:
    """Per spreader (platform, id): `cascade_reach`, the audience accounts exposed by it or by a spreader below it.

    The (account, exposer) pairs climb the inferred tree one level per step, each step a join, until
    no pair has a parent left.
    """
    up = spreaders.select("platform", pl.col("id").alias("by"), pl.col("parent").alias("_up")).filter(pl.col("_up").is_not_null())
    level = exposed.select("platform", "id", "by").unique()
    pairs = [level]
    for _ in range(spreaders.height):  # ends at the tree's depth: `_parents` leaves no cycle
        level = (level.join(up, on=["platform", "by"]).select("platform", "id", pl.col("_up").alias("by")).unique())
        if level.height == 0:
            break
        pairs.append(level)
    found = pl.concat(pairs).unique()
    return found.group_by("platform", pl.col("by").alias("id")).agg(pl.len().cast(pl.Int64).alias("cascade_reach"))


def _communities(source: "Workspace | Batch", tables: Batch) -> tuple[pl.DataFrame, str]:
    """(platform, id, community) of every account: the stored communities, else detected now; and which it was."""
    from .results import load_communities

    stored = None if isinstance(source, Batch) else load_communities(source)
    how = "stored"
    if stored is None:
        from .communities import detect_communities

        stored, how = detect_communities(tables).membership, "computed"
    if "platform" not in stored.columns:  # communities stored before (platform, id) keys
        stored = stored.join(tables.accounts.select(*KEY), on="id", how="left")
    return stored.select(*KEY, pl.col("community").cast(pl.Int64)).unique(KEY, keep="first"), how


def _brokerage(table: pl.DataFrame, exposures: pl.DataFrame, communities: pl.DataFrame) -> pl.DataFrame:
    """`table` (spreaders with `parent`) with community, source_community, brokerage, carried_into and exposed_across."""
    table = table.join(communities, on=KEY, how="left")
    parent = communities.select("platform", pl.col("id").alias("parent"), pl.col("community").alias("_parent_community"))
    table = (table.join(parent, on=["platform", "parent"], how="left")
             .with_columns(pl.when(pl.col("parent").is_null()).then(pl.col("community"))
                           .otherwise(pl.col("_parent_community")).alias("source_community")).drop("_parent_community"))
    source = table.select("platform", pl.col("id").alias("parent"), "source_community")
    crossing = pl.col("community") != pl.col("source_community")
    carried = (table.filter(pl.col("parent").is_not_null()).select("platform", "parent", "community")
               .join(source, on=["platform", "parent"]).filter(crossing.fill_null(False))
               .group_by("platform", "parent", "community").len()
               .sort(["len", "community"], descending=[True, False])
               .group_by("platform", pl.col("parent").alias("id"), maintain_order=True)
               .agg(pl.col("len").sum().cast(pl.Int64).alias("brokerage"), pl.col("community").alias("carried_into")))
    across = (exposures.filter("first").join(communities, on=KEY, how="left")
              .join(source.rename({"parent": "by"}), on=["platform", "by"])
              .filter(crossing.fill_null(False))
              .group_by("platform", pl.col("by").alias("id")).agg(pl.len().cast(pl.Int64).alias("exposed_across")))
    return (table.join(carried, on=KEY, how="left").join(across, on=KEY, how="left")
            .with_columns(pl.col("brokerage", "exposed_across").fill_null(0),
                          pl.col("carried_into").fill_null(pl.lit([], pl.List(pl.Int64)))))


def _reach(spreaders: pl.DataFrame, exposures: pl.DataFrame, audience: pl.DataFrame) -> pl.DataFrame:
    """`spreaders` with followers_exposed, reach, new_reach and cascade_reach (see the module docstring)."""
    into = exposures.join(audience, on=KEY, how="semi")
    counts = [exposures.group_by("platform", pl.col("by").alias("id")).agg(pl.len().cast(pl.Int64).alias("followers_exposed")),
              into.group_by("platform", pl.col("by").alias("id")).agg(pl.len().cast(pl.Int64).alias("reach")),
              into.filter("first").group_by("platform", pl.col("by").alias("id")).agg(pl.len().cast(pl.Int64).alias("new_reach")),
              _branch_reach(spreaders, into)]
    for frame in counts:
        spreaders = spreaders.join(frame, on=KEY, how="left")
    return spreaders.with_columns(pl.col("followers_exposed", "reach", "new_reach", "cascade_reach").fill_null(0))


def _ranked(table: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """The final table: handles, first-spreader order, rank by reach and rank by brokerage."""
    handles = accounts.select(*KEY, "handle").unique(KEY, keep="first")
    first = (table.filter(pl.col("_poster")).sort("_first_post", "id", nulls_last=True)
             .with_row_index("first", offset=1).select(*KEY, pl.col("first").cast(pl.Int64)))
    by_brokerage = (table.sort(["brokerage", "exposed_across", "first_at", "id"], descending=[True, True, False, False],
                               nulls_last=True).with_row_index("brokerage_rank", offset=1)
                    .select(*KEY, pl.col("brokerage_rank").cast(pl.Int64)))
    out = (table.join(handles, on=KEY, how="left").join(first, on=KEY, how="left").join(by_brokerage, on=KEY, how="left")
           .join(handles.select("platform", pl.col("id").alias("parent"), pl.col("handle").alias("parent_handle")),
                 on=["platform", "parent"], how="left")
           .sort(["reach", "cascade_reach", "first_at", "id"], descending=[True, True, False, False], nulls_last=True)
           .with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64)))
    return out.select("rank", *KEY, "handle", "first", "first_at", "posts", "reposts", "quotes", "followers_exposed",
                      "reach", "new_reach", "cascade_reach", "community", "parent", "parent_handle", "source_community",
                      "brokerage", "exposed_across", "carried_into", "brokerage_rank")


def _bucket(bucket: str, nodes: pl.DataFrame) -> str:
    """`hour` or `day`: as asked, or for `auto` by the span of the nodes' times."""
    if bucket not in BUCKETS:
        raise BadInput(f"`bucket` must be one of {', '.join(BUCKETS)}, got {str(bucket)[:40]!r}", param="bucket")
    if bucket != "auto":
        return bucket
    first, last = nodes.select(pl.col("at").min().alias("a"), pl.col("at").max().alias("b")).row(0)
    return "hour" if first is None or last - first <= HOURLY_SPAN else "day"


def _timeline(nodes: pl.DataFrame, table: pl.DataFrame, exposures: pl.DataFrame, audience: pl.DataFrame,
              every: str) -> pl.DataFrame:
    """Per hour or day: complaint posts, reposts, quotes, replies, new spreaders, audience first exposed, running total."""
    step = "1h" if every == "hour" else "1d"
    start = pl.col("at").dt.truncate(step).alias("start")
    kinds = (nodes.filter(pl.col("at").is_not_null()).group_by(start)
             .agg((pl.col("depth") == 0).sum().alias("posts"),
                  *[(pl.col("kind") == k).sum().alias(name) for k, name in (("repost", "reposts"), ("quote", "quotes"),
                                                                             ("reply", "replies"))]))
    spread = (table.filter(pl.col("first_at").is_not_null())
              .group_by(pl.col("first_at").dt.truncate(step).alias("start")).agg(pl.len().alias("new_spreaders")))
    reached = (exposures.filter("first").join(audience, on=KEY, how="semi").filter(pl.col("at").is_not_null())
               .group_by(start).agg(pl.len().alias("reached")))
    frames = [f.with_columns(pl.col("start").cast(TIMESTAMP)) for f in (kinds, spread, reached)]
    keys = pl.concat([f.select("start") for f in frames]).unique()
    if keys.height == 0:
        return pl.DataFrame(schema={"start": TIMESTAMP, **{c: pl.Int64 for c in (
            "posts", "reposts", "quotes", "replies", "new_spreaders", "reached", "reached_total")}})
    grid = pl.DataFrame({"start": pl.datetime_range(keys["start"].min(), keys["start"].max(), step, eager=True)}
                        ).with_columns(pl.col("start").cast(TIMESTAMP))
    for frame in frames:
        grid = grid.join(frame, on="start", how="left")
    counts = ("posts", "reposts", "quotes", "replies", "new_spreaders", "reached")
    return (grid.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts).sort("start")
            .with_columns(pl.col("reached").cum_sum().alias("reached_total")))


def find_amplifiers(source: "Workspace | Batch", query: NicheQuery, *, audience: NicheQuery | None = None,
                    since: str | datetime | None = None, until: str | datetime | None = None,
                    bucket: str = "auto", platform: str | None = None) -> AmplifierResult:
    """The accounts spreading a complaint, ranked by reach into the brand's audience and by brokerage.

    Every rule (complaint posts and cascade, spreaders, first spreaders, brand audience, reach,
    cascade reach, inferred parents, brokerage, time line) is in the module docstring.

    Parameters
    ----------
    source : a Workspace or a Batch.
    query : the complaint: a niche query whose keywords, hashtags and languages describe the negative
        topic and whose `seed_accounts` name the brand.
    audience : a niche whose members count as the brand's audience too (beside the brand's followers).
    since, until : only complaint posts and cascade nodes made in [since, until) (ISO text or datetimes).
    bucket : {"auto", "hour", "day"}: the time line's step ("auto": per hour for spans up to 3 days, else per day).
    platform : only this platform's accounts, posts and edges.

    Returns
    -------
    AmplifierResult: the spreaders ranked by reach, the time line, a summary and notes.

    Example
    -------
    >>> posts = pl.DataFrame({"id": ["p", "r"], "author_id": ["a", "b"], "text": ["the cafe burnt my order", "RT"],
    ...                       "repost_of": [None, "p"], "platform": "x"})
    >>> edges = pl.DataFrame({"src": ["f1", "f2", "f2"], "dst": ["brand", "brand", "b"], "kind": "follow", "platform": "x"})
    >>> complaint = NicheQuery(name="burnt", keywords=("burnt",), seed_accounts=("brand",))
    >>> find_amplifiers(Batch(posts=posts, edges=edges), complaint).table.select("id", "reach", "first").rows()
    [('b', 1, None), ('a', 0, 1)]
    """
    since, until = parse_time(since, "since"), parse_time(until, "until")
    if since is not None and until is not None and since >= until:
        raise BadInput("the time window is empty: `since` must be before `until`", param="since")
    tables = _sources(source, platform)
    brand, missing = _brand(tables, query)
    if brand.height == 0 and audience is None:
        raise BadInput(f"the complaint query {query.name!r} names no brand account found in the workspace"
                       + (f" (seed_accounts: {', '.join(missing)[:120]})" if missing else " (it has no seed_accounts)"),
                       hint="list the brand's handles or ids in seed_accounts, or give an `audience` niche", param="query",
                       path=query.path)
    nodes = _complaint_nodes(tables, query, since, until)
    follows = _follows(tables, until)
    members, brand_followers = _audience(tables, follows, brand, audience)
    spreaders = _spreaders(nodes, brand)
    exposures = _exposures(follows, spreaders, brand)
    linked = _parents(spreaders, exposures)
    communities, how = _communities(source, tables)
    table = _ranked(_brokerage(_reach(linked, exposures, members), exposures, communities), tables.accounts)
    every = _bucket(bucket, nodes)
    notes = _notes(query, missing, how, nodes, brand_followers, audience)
    reached = exposures.join(members, on=KEY, how="semi")["id"].n_unique()
    summary = {"complaint": query.name, "brand": brand["id"].to_list(),
               "brand_handles": [h or i for i, h in brand.select("id", "handle").rows()],
               "audience": members.height, "audience_niche": audience.name if audience else None,
               "brand_followers": brand_followers, "since": since, "until": until, "bucket": every, "communities": how,
               "complaint_posts": int(nodes["matched"].sum()), "cascade_nodes": nodes.height,
               "spreaders": table.height, "reached": reached}
    return AmplifierResult(table=table, timeline=_timeline(nodes, table, exposures, members, every), summary=summary,
                           notes=notes)


def _notes(query: NicheQuery, missing: list[str], how: str, nodes: pl.DataFrame, brand_followers: int,
           audience: NicheQuery | None) -> list[str]:
    """What the reader of the result must know: seeds not found, communities computed, nothing found."""
    notes = []
    if missing:
        notes.append(f"brand account(s) not in the workspace: {', '.join(missing)[:200]}")
    if how == "computed":
        notes.append("no communities were stored, so they were computed now for brokerage (Leiden, seed 0); "
                     "store them with the communities command to reuse them")
    if nodes.height == 0:
        notes.append(f"no post matches the complaint {query.name!r} in this window")
    if brand_followers == 0 and audience is None:
        notes.append("no follower of the brand is stored, so every reach is 0; crawl the brand's followers "
                     "or give an `audience` niche")
    return notes
