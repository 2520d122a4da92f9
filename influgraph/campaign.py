"""Campaign results: what a hashtag campaign's posts set off, who it reached, and who carried it.

Definitions (the README, "Campaign results"; the simulated world's truth follows the same ones):

- **campaign posts**: original posts (not reposts) created in [since, until) whose hashtags (the
  post's hashtag list, and hashtags parsed from its text, matched as niche hashtags are:
  `niches.normalize`) include a campaign hashtag;
- **cascade posts**: the campaign posts and every post created in [since, until) that reposts,
  quotes or replies to a cascade post, transitively (`cascades.diffusion_links`: repost, quote and
  reply edges of list pages that carry no post of their own are nodes too). Each campaign post is
  the root of its own cascade, even when it quotes or replies to another post; a node belongs to
  the nearest campaign post above it. Size, depth and breadth as `cascades.trace_cascades`;
- **spreaders**: the authors of campaign posts and of the reposts and quotes among cascade posts;
- **niche members**: the ranking's member rule for the niche query (`rank.niche_members`);
- **exposed**: the followers of spreaders through stored follow edges, and the spreaders, minus
  the authors of campaign posts; **unique reach** = the exposed niche members;
- **engagements**: the repost, quote and reply nodes of the cascades and the like edges on cascade
  posts made in [since, until), by anyone other than the author of the cascade's campaign post;
  counted by whether the engager is a niche member. A node or like without a time is counted
  (it is dated no earlier than the post it engages with) and left out of the time series.
- **picks**: the accounts given (`accounts`), else the campaign posts' authors. Per pick: what its
  cascades delivered (members reached, and, in shortlist order, members no earlier pick reached)
  against what its stored shortlist row predicted (`audience`, `marginal_reach`);
- **outside amplifiers**: the accounts outside the picks whose own cascade posts (campaign posts,
  reposts, quotes or replies) drew the most of those engagements (an account's engagement with its
  own post not counted), ties by id: the next campaign's candidates.

The verdict: the niche was reached when at least `REACHED_SHARE` of the engagements came from
members, partly from `PARTLY_SHARE`, else the campaign reached mostly outsiders.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone  # noqa: F401 (timezone: the examples)
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .cascades import diffusion_links, trace_cascades
from .errors import BadInput
from .niches import NicheQuery, normalize, post_in_niche_expr
from .rank import niche_members
from .schema import Batch, bad_id_reason
from .windows import parse_time

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["CampaignResult", "campaign_results", "read_picks", "series", "tree_layout", "REACHED_SHARE", "PARTLY_SHARE"]

REACHED_SHARE = 0.5
PARTLY_SHARE = 0.2
MAX_PICKS = 10_000
MAX_PICKS_BYTES = 16 * 2**20
MAX_HASHTAGS = 100
KEY = ["platform", "id"]
SPREADING = ("repost", "quote")


@dataclass
class CampaignResult:
    """A campaign's results (see the module docstring for every rule).

    `facts`: the one-row summary (name, niche, hashtags, picks, since, until, counts, verdict).
    `posts`: the campaign posts. `cascades`: one row per campaign post's cascade, largest first.
    `nodes`: one row per cascade node (who reposted, quoted or replied to whom, when, at what depth).
    `engagements`: one row per engagement (cascade, post engaged, engager, kind, at, member).
    `picks`: per pick, delivered against predicted. `amplifiers`: the outside amplifiers, best first.
    """

    facts: dict
    posts: pl.DataFrame
    cascades: pl.DataFrame
    nodes: pl.DataFrame
    engagements: pl.DataFrame
    picks: pl.DataFrame
    amplifiers: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    def summary(self, top: int = 20) -> dict:
        """A JSON-ready summary: the facts, the largest cascades, the picks and the top amplifiers."""
        return {**self.facts, "cascades": self.cascades.head(top).to_dicts(), "picks": self.picks.to_dicts(),
                "amplifiers": self.amplifiers.head(top).to_dicts(), "notes": self.notes}


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or any(unicodedata.category(c).startswith("C") for c in name):
        raise BadInput(f"`name` must be 1 to 200 printable characters, got {str(name)[:40]!r}",
                       hint="name the campaign, e.g. spring-launch", param="name")
    return name


def _check_hashtags(hashtags: Sequence[str]) -> tuple[str, ...]:
    tags = tuple(dict.fromkeys(t.strip().lstrip("#").strip() for t in hashtags if t and t.strip()))
    if not tags or len(tags) > MAX_HASHTAGS:
        raise BadInput(f"`hashtags` must name 1 to {MAX_HASHTAGS} hashtags, got {len(tags)}",
                       hint="give the campaign's hashtags, comma-separated, e.g. brewday,pourover", param="hashtags")
    for tag in tags:
        if (not normalize(tag).strip() or len(tag) > 200 or re.search(r"[\s#,]", tag)
                or any(unicodedata.category(c) == "Cc" for c in tag)):
            raise BadInput(f"`hashtags` holds {tag[:40]!r}, which is no hashtag",
                           hint="write hashtags as words without spaces, e.g. brewday", param="hashtags")
    return tags


def _window(since: str | datetime | None, until: str | datetime | None) -> tuple[datetime, datetime]:
    start, end = parse_time(since, "since"), parse_time(until, "until")
    if start is None or end is None:
        raise BadInput("a campaign needs both `since` and `until`", hint="give the campaign's first and last day",
                       param="since" if start is None else "until")
    if start >= end:
        raise BadInput("the campaign window is empty: `since` must be before `until`", param="since")
    return start, end


def read_picks(path: str | Path) -> list[str]:
    """The picked accounts of a file: a shortlist CSV as influgraph writes it (its `id` column, else `handle`),
    or a plain list of ids or handles, one per line (blank lines and lines starting with '#' skipped).

    Parameters
    ----------
    path : the file.

    Returns
    -------
    The ids or handles, in file order, without duplicates ('@' before a handle dropped).

    Example: ``read_picks("picks.csv")`` after ``influgraph shortlist ... --out picks.csv``.
    """
    path = Path(path)
    try:
        size = path.stat().st_size if path.is_file() else None
    except (OSError, ValueError):
        size = None
    if size is None:
        raise BadInput("picks file not found", path=path, param="accounts",
                       hint="give a shortlist CSV (with an id column) or a list of ids or handles, one per line")
    if size > MAX_PICKS_BYTES:
        raise BadInput(f"picks file is {size:,} bytes; at most {MAX_PICKS_BYTES:,}", path=path, param="accounts")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the picks file as UTF-8 text ({exc.__class__.__name__})", path=path,
                       param="accounts") from None
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if not lines:
        raise BadInput("picks file names no account", path=path, param="accounts",
                       hint="write one id or handle per line, or pass a shortlist CSV")
    names = _csv_names(path, text) if re.search(r"[,;\t]", lines[0][1]) else [(n, line) for n, line in lines]
    return _checked_names(path, names)


def _csv_names(path: Path, text: str) -> list[tuple[int, str]]:
    """(line, name) of the `id` (else `handle`) column of a CSV; a neutralising apostrophe is undone."""
    try:
        frame = pl.read_csv(text.encode("utf-8"), infer_schema=False, separator="\t" if "\t" in text.split("\n", 1)[0] else ",")
    except Exception as exc:  # polars raises several kinds for a malformed CSV
        raise BadInput(f"cannot read the picks CSV: {str(exc).splitlines()[0][:200]}", path=path, param="accounts") from None
    key = next((c for c in ("id", "handle") if c in frame.columns), None)
    if key is None:
        raise BadInput(f"picks CSV needs an id (or handle) column, found {', '.join(frame.columns)[:120] or 'none'}",
                       path=path, param="accounts", hint="pass a shortlist CSV as influgraph writes it, or one id per line")
    column = frame[key].str.strip_chars().str.replace(r"^'([=+\-@\t\r])", "$1")
    return [(n, v) for n, v in zip(range(2, frame.height + 2), column.to_list()) if v]


def _checked_names(path: Path, names: list[tuple[int, str]]) -> list[str]:
    out = []
    for line, name in names:
        name = name[1:] if name.startswith("@") else name
        reason = bad_id_reason(name)
        if reason is not None:
            raise BadInput(f"no account: {reason}", path=f"{path}:{line}", param="accounts")
        out.append(name)
    out = list(dict.fromkeys(out))
    if not out or len(out) > MAX_PICKS:
        raise BadInput(f"picks file names {len(out):,} accounts; 1 to {MAX_PICKS:,} are allowed", path=path,
                       param="accounts")
    return out


def _tables(source: "Workspace | Batch", platform: str | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    if isinstance(source, Batch):
        tables = (source.accounts, source.posts, source.edges)
    else:
        tables = (source.table("accounts"), source.table("posts"), source.table("edges"))
    return tuple(t.filter(pl.col("platform") == platform) if platform else t for t in tables)


def _resolve_picks(accounts: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """(platform, id, handle, order) of the named accounts (id or handle, any case); an unknown one is an error."""
    wanted = pl.DataFrame({"key": [n.lower().lstrip("@") for n in names], "order": list(range(len(names)))},
                          schema={"key": pl.String, "order": pl.Int64})
    frame = accounts.select("platform", "id", "handle").with_columns(pl.col("id").str.to_lowercase().alias("_id"),
                                                                     pl.col("handle").str.to_lowercase().alias("_handle"))
    hits = pl.concat([frame.join(wanted, left_on=column, right_on="key").drop("_id", "_handle")
                      for column in ("_id", "_handle")])
    unknown = wanted.join(wanted.filter(pl.col("order").is_in(hits["order"].implode())), on="key", how="anti")
    if unknown.height:
        name = names[unknown["order"][0]]
        raise BadInput(f"`accounts` names {name[:60]!r}, which is no account of this workspace",
                       hint="name accounts by their stored id or handle, as the niche's ranking lists them", param="accounts")
    return hits.sort("order").unique(KEY, keep="first", maintain_order=True).select(*KEY, "handle", "order")


def _campaign_posts(posts: pl.DataFrame, hashtags: tuple[str, ...], since: datetime, until: datetime) -> pl.DataFrame:
    tagged = post_in_niche_expr(NicheQuery(name="campaign", hashtags=hashtags))
    return posts.filter(pl.col("repost_of").is_null() & (pl.col("created_at") >= since) & (pl.col("created_at") < until)
                        & tagged).sort("created_at", "platform", "id")


def _cascade_nodes(posts: pl.DataFrame, edges: pl.DataFrame, campaign: pl.DataFrame, since: datetime,
                   until: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The cascades rooted at the campaign posts, and their nodes (`trace_cascades` on the window's links)."""
    roots = campaign.select("platform", pl.col("id").alias("node"), pl.lit(None, pl.String).alias("parent"),
                            pl.col("author_id").alias("account"), pl.col("created_at").alias("at"),
                            pl.lit(None, pl.String).alias("kind"))
    links = diffusion_links(Batch(posts=posts, edges=edges))
    in_window = pl.col("at").is_null() | ((pl.col("at") >= since) & (pl.col("at") < until))
    later = links.filter(pl.col("parent").is_not_null() & in_window).join(roots.select("platform", "node"),
                                                                          on=["platform", "node"], how="anti")
    traced = trace_cascades(pl.concat([roots, later.select(roots.columns)]))
    key = campaign.select("platform", pl.col("id").alias("cascade"))
    return (traced.cascades.join(key, on=["platform", "cascade"], how="semi", maintain_order="left"),
            traced.links.join(key, on=["platform", "cascade"], how="semi", maintain_order="left"))


def _engagements(nodes: pl.DataFrame, edges: pl.DataFrame, since: datetime, until: datetime,
                 members: pl.DataFrame) -> pl.DataFrame:
    """One row per engagement: cascade, platform, post engaged, engager, kind, at, member."""
    authors = nodes.filter(pl.col("depth") == 0).select("platform", "cascade", pl.col("account").alias("_author"))
    by_nodes = nodes.filter(pl.col("depth") > 0).select("platform", "cascade", pl.col("parent").alias("post"),
                                                         pl.col("account").alias("engager"), "kind", "at")
    posts = nodes.select("platform", "cascade", pl.col("node").alias("post_id"))
    in_window = pl.col("at").is_null() | ((pl.col("at") >= since) & (pl.col("at") < until))
    likes = (edges.filter((pl.col("kind").cast(pl.String) == "like") & in_window)
             .join(posts, on=["platform", "post_id"])
             .select("platform", "cascade", pl.col("post_id").alias("post"), pl.col("src").alias("engager"),
                     pl.lit("like").alias("kind"), "at"))
    return (pl.concat([by_nodes, likes]).join(authors, on=["platform", "cascade"])
            .filter(pl.col("engager").is_not_null() & (pl.col("engager") != pl.col("_author"))).drop("_author")
            .join(members, left_on=["platform", "engager"], right_on=KEY, how="left")
            .with_columns(pl.col("member").fill_null(False)).sort("at", "platform", "cascade", "engager", nulls_last=True))


def _exposed(spreaders: pl.DataFrame, follows: pl.DataFrame, authors: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """Per group of `spreaders` (its other columns), the distinct accounts exposed and whether each is a member.

    `spreaders` holds platform, `account` and grouping columns; the exposed are the followers of its
    accounts and the accounts themselves, minus `authors` (platform, id)."""
    groups = [c for c in spreaders.columns if c not in ("platform", "account")]
    followers = spreaders.join(follows, left_on=["platform", "account"], right_on=["platform", "dst"]).select(
        *groups, "platform", pl.col("src").alias("id"))
    selves = spreaders.select(*groups, "platform", pl.col("account").alias("id"))
    return (pl.concat([followers, selves]).unique().join(authors, on=KEY, how="anti")
            .join(members, on=KEY, how="left").with_columns(pl.col("member").fill_null(False)))


def _spreaders(nodes: pl.DataFrame) -> pl.DataFrame:
    """(platform, account, cascade, node) of the campaign posts and the repost and quote nodes."""
    return nodes.filter((pl.col("depth") == 0) | pl.col("kind").is_in(SPREADING)).select(
        "platform", "account", "cascade", "node").filter(pl.col("account").is_not_null())


def campaign_results(source: "Workspace | Batch", query: NicheQuery, *, name: str, hashtags: Sequence[str],
                     accounts: Sequence[str] | None = None, since: str | datetime | None = None,
                     until: str | datetime | None = None, platform: str | None = None,
                     predicted: pl.DataFrame | None = None) -> CampaignResult:
    """The results of the campaign `name` (hashtags, window, picks) in the niche `query` (see the module docstring).

    Why: a campaign is judged by whether it reached the niche, not by raw engagement; this counts
    the niche members exposed and engaging, apart from outsiders, per cascade and per pick.

    Parameters
    ----------
    source : a Workspace or a Batch.
    query : the niche query whose member rule says who is in the niche.
    name : the campaign's name (how it is stored and shown).
    hashtags : the campaign's hashtags (with or without '#').
    accounts : the picked accounts (ids or handles); None: the campaign posts' authors.
    since, until : the campaign window [since, until) (ISO-8601 text or datetimes).
    platform : only this platform's rows.
    predicted : the shortlist picks to compare with (id, pick, audience, marginal_reach); None: the
        niche's stored shortlist when `source` is a workspace.

    Returns
    -------
    CampaignResult.

    Example
    -------
    >>> posts = pl.DataFrame({"id": ["p", "r"], "author_id": ["a", "b"], "text": ["new #brew", "RT"],
    ...                       "repost_of": [None, "p"], "platform": ["x", "x"],
    ...                       "created_at": [datetime(2026, 1, 2, tzinfo=timezone.utc)] * 2})
    >>> edges = pl.DataFrame({"src": ["c", "b"], "dst": ["b", "a"], "kind": ["follow", "follow"], "platform": ["x", "x"]})
    >>> result = campaign_results(Batch(posts=posts, edges=edges), NicheQuery(name="n", seed_accounts=("c",)),
    ...                           name="launch", hashtags=["brew"], since="2026-01-01", until="2026-01-08")
    >>> result.facts["unique_reach"], result.facts["outsider_engagements"]
    (1, 1)
    """
    name, tags = _check_name(name), _check_hashtags(hashtags)
    start, end = _window(since, until)
    accounts_table, posts, edges = _tables(source, platform)
    members = niche_members(source, query, platform=platform).select(*KEY, "member")
    campaign = _campaign_posts(posts, tags, start, end)
    picks = _resolve_picks(accounts_table, accounts) if accounts else _authors_as_picks(campaign, accounts_table)
    cascades, nodes = _cascade_nodes(posts, edges, campaign, start, end)
    nodes = nodes.join(members, left_on=["platform", "account"], right_on=KEY, how="left").with_columns(
        pl.col("member").fill_null(False))
    engagements = _engagements(nodes, edges, start, end, members)
    follows = edges.filter(pl.col("kind").cast(pl.String) == "follow").select("platform", "src", "dst").unique()
    authors = campaign.select("platform", pl.col("author_id").alias("id")).unique()
    spreaders = _spreaders(nodes)
    exposed = _exposed(spreaders.select("platform", "account").unique(), follows, authors, members)
    cascades = _per_cascade(cascades, spreaders, engagements, follows, authors, members)
    if predicted is None and not isinstance(source, Batch):
        from .results import load_shortlist

        stored = load_shortlist(source, query.name)
        predicted = None if stored is None else stored.picks
    pick_rows = _per_pick(picks, cascades, spreaders, engagements, follows, authors, members, predicted)
    handles = accounts_table.select("platform", pl.col("id").alias("account"), "handle").unique(["platform", "account"])
    amplifiers = _amplifiers(nodes, engagements, picks, authors, follows, members).join(
        handles.rename({"account": "id"}), on=KEY, how="left", maintain_order="left")
    nodes = nodes.join(handles, on=["platform", "account"], how="left", maintain_order="left")
    facts = _facts(name, query.name, tags, picks, start, end, campaign, cascades, exposed, engagements)
    notes = _notes(campaign, engagements, predicted, accounts)
    return CampaignResult(facts=facts, posts=_posts_frame(campaign, accounts_table, cascades), cascades=cascades,
                          nodes=nodes, engagements=engagements, picks=pick_rows, amplifiers=amplifiers, notes=notes)


def _authors_as_picks(campaign: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    firsts = campaign.select("platform", pl.col("author_id").alias("id")).unique(maintain_order=True)
    return (firsts.join(accounts.select(*KEY, "handle"), on=KEY, how="left", maintain_order="left")
            .with_row_index("order").with_columns(pl.col("order").cast(pl.Int64)).select(*KEY, "handle", "order"))


def _engagement_counts(engagements: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return engagements.group_by(by).agg(
        pl.len().alias("engagements"), pl.col("member").sum().cast(pl.Int64).alias("member_engagements"),
        (~pl.col("member")).sum().cast(pl.Int64).alias("outsider_engagements"),
        (pl.col("kind") == "like").sum().cast(pl.Int64).alias("likes"),
        pl.col("engager").filter(pl.col("member")).n_unique().cast(pl.Int64).alias("member_engagers"))


def _zero(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    return frame.with_columns(*[pl.col(c).fill_null(0).cast(pl.Int64) for c in columns])


COUNTS = ("engagements", "member_engagements", "outsider_engagements", "likes", "member_engagers")


def _per_cascade(cascades: pl.DataFrame, spreaders: pl.DataFrame, engagements: pl.DataFrame, follows: pl.DataFrame,
                 authors: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The cascades with their engagement counts and their reach (members exposed through their spreaders)."""
    exposed = _exposed(spreaders.select("platform", "account", "cascade").unique(), follows, authors, members)
    reach = exposed.group_by("platform", "cascade").agg(pl.col("member").sum().cast(pl.Int64).alias("reach"),
                                                        pl.len().cast(pl.Int64).alias("exposed"))
    counts = _engagement_counts(engagements, ["platform", "cascade"])
    return _zero(cascades.join(counts, on=["platform", "cascade"], how="left", maintain_order="left")
                 .join(reach, on=["platform", "cascade"], how="left", maintain_order="left"), [*COUNTS, "reach", "exposed"])


def _per_pick(picks: pl.DataFrame, cascades: pl.DataFrame, spreaders: pl.DataFrame, engagements: pl.DataFrame,
              follows: pl.DataFrame, authors: pl.DataFrame, members: pl.DataFrame,
              predicted: pl.DataFrame | None) -> pl.DataFrame:
    """Per pick (in shortlist order when it has a stored row): posts, cascade nodes, engagements, reach, new reach,
    and the shortlist's predicted audience and marginal reach."""
    order = picks
    if predicted is not None and "pick" in predicted.columns:
        on = [c for c in KEY if c in predicted.columns]
        row = predicted.select(*on, pl.col("pick").cast(pl.Int64).alias("_pick"),
                               *[pl.col(c).cast(pl.Int64).alias(f"predicted_{c}") for c in ("audience", "marginal_reach")
                                 if c in predicted.columns]).unique(on, keep="first")
        order = picks.join(row, on=on, how="left", maintain_order="left")
    for column in ("_pick", "predicted_audience", "predicted_marginal_reach"):
        if column not in order.columns:
            order = order.with_columns(pl.lit(None, pl.Int64).alias(column))
    order = order.sort(pl.col("_pick").fill_null(1 << 40), "order").with_row_index("pick", offset=1).drop("_pick", "order")
    owned = cascades.select("platform", "cascade", pl.col("root_account").alias("id"))
    by_pick = owned.group_by(KEY).agg(pl.len().cast(pl.Int64).alias("posts"))
    sizes = cascades.group_by("platform", pl.col("root_account").alias("id")).agg(
        pl.col("size").sum().cast(pl.Int64).alias("cascade_nodes"), pl.col("depth").max().cast(pl.Int64).alias("max_depth"),
        *[pl.col(c).sum().cast(pl.Int64) for c in ("engagements", "member_engagements", "outsider_engagements")])
    reached = _exposed(spreaders.join(owned, on=["platform", "cascade"]).select("platform", "account", "id")
                       .rename({"id": "pick_id"}), follows, authors, members).filter("member")
    ranks = order.select("platform", pl.col("id").alias("pick_id"), "pick")
    first = reached.join(ranks, on=["platform", "pick_id"]).group_by(KEY).agg(pl.col("pick").min())
    delivered = reached.group_by("platform", pl.col("pick_id").alias("id")).agg(pl.len().cast(pl.Int64).alias("reach"))
    new = first.group_by("platform", "pick").agg(pl.len().cast(pl.Int64).alias("new_reach"))
    table = (order.join(by_pick, on=KEY, how="left").join(sizes, on=KEY, how="left").join(delivered, on=KEY, how="left")
             .join(new, on=["platform", "pick"], how="left").sort("pick"))
    table = _zero(table, ["posts", "cascade_nodes", "max_depth", "engagements", "member_engagements",
                          "outsider_engagements", "reach", "new_reach"])
    return table.with_columns(
        pl.when(pl.col("predicted_marginal_reach") > 0).then(pl.col("new_reach") / pl.col("predicted_marginal_reach"))
        .alias("delivered_vs_predicted")).select(
        "pick", *KEY, "handle", "posts", "cascade_nodes", "max_depth", "engagements", "member_engagements",
        "outsider_engagements", "reach", "new_reach", "predicted_audience", "predicted_marginal_reach", "delivered_vs_predicted")


def _amplifiers(nodes: pl.DataFrame, engagements: pl.DataFrame, picks: pl.DataFrame, authors: pl.DataFrame,
                follows: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The accounts outside the picks whose own cascade posts drew the most engagements (not their own), then by id;
    with their nodes by kind and the niche members among their followers (`member_followers`)."""
    written = nodes.filter(pl.col("account").is_not_null()).select("platform", pl.col("node").alias("post"),
                                                                   pl.col("account").alias("id"))
    outside = written.join(picks.select(KEY), on=KEY, how="anti")
    drawn = (engagements.join(outside, on=["platform", "post"]).filter(pl.col("engager") != pl.col("id"))
             .group_by(KEY).agg(pl.len().cast(pl.Int64).alias("drawn"),
                                pl.col("member").sum().cast(pl.Int64).alias("member_drawn")))
    kinds = nodes.join(drawn.select(KEY), left_on=["platform", "account"], right_on=KEY, how="semi").group_by(
        "platform", pl.col("account").alias("id")).agg(
        pl.col("member").first(), *[(pl.col("kind") == k).sum().cast(pl.Int64).alias(c)
                                    for k, c in (("repost", "reposts"), ("quote", "quotes"), ("reply", "replies"))],
        (pl.col("depth") == 0).sum().cast(pl.Int64).alias("campaign_posts"))
    audience = (_exposed(drawn.select("platform", pl.col("id").alias("account"), pl.col("id").alias("by")), follows,
                         authors, members).filter(pl.col("member") & (pl.col("id") != pl.col("by")))
                .group_by("platform", pl.col("by").alias("id")).agg(pl.len().cast(pl.Int64).alias("member_followers")))
    table = _zero(drawn.join(kinds, on=KEY, how="left").join(audience, on=KEY, how="left"), ["member_followers"])
    return (table.sort(["drawn", "id", "platform"], descending=[True, False, False]).with_row_index("rank", offset=1)
            .select("rank", *KEY, "member", "drawn", "member_drawn", "campaign_posts", "reposts", "quotes", "replies",
                    "member_followers"))


def _verdict(member: int, total: int, reach: int) -> str:
    if total == 0:
        return ("no engagement with the campaign posts in the window" if reach == 0 else
                f"no engagement yet; {reach:,} niche members were exposed")
    part = member / total
    word = ("reached the niche" if part >= REACHED_SHARE else "reached the niche only partly" if part >= PARTLY_SHARE
            else "reached mostly outsiders")
    return f"it {word}: {member:,} of {total:,} engagements ({part:.0%}) came from niche members; {reach:,} members exposed"


def _facts(name: str, niche: str, tags: tuple[str, ...], picks: pl.DataFrame, start: datetime, end: datetime,
           campaign: pl.DataFrame, cascades: pl.DataFrame, exposed: pl.DataFrame, engagements: pl.DataFrame) -> dict:
    member = int(engagements["member"].sum())
    top = cascades.row(0, named=True) if cascades.height else None
    reach = int(exposed["member"].sum())
    return {"name": name, "niche": niche, "hashtags": list(tags), "accounts": picks["id"].to_list(),
            "since": start.isoformat(), "until": end.isoformat(), "posts": campaign.height,
            "cascade_nodes": int(cascades["size"].sum()) if cascades.height else 0,
            "largest_cascade": None if top is None else top["cascade"], "largest_size": 0 if top is None else int(top["size"]),
            "max_depth": int(cascades["depth"].max()) if cascades.height else 0,
            "max_breadth": int(cascades["max_breadth"].max()) if cascades.height else 0,
            "exposed": exposed.height, "unique_reach": reach, "engagements": engagements.height,
            "member_engagements": member, "outsider_engagements": engagements.height - member,
            "member_engagers": int(engagements.filter("member")["engager"].n_unique()),
            "outsider_engagers": int(engagements.filter(~pl.col("member"))["engager"].n_unique()),
            "verdict": _verdict(member, engagements.height, reach)}


def _notes(campaign: pl.DataFrame, engagements: pl.DataFrame, predicted: pl.DataFrame | None,
           accounts: Sequence[str] | None) -> list[str]:
    notes = []
    if campaign.height == 0:
        notes.append("no original post in the window carries a campaign hashtag: check `hashtags`, `since` and `until`")
    undated = int(engagements["at"].null_count())
    if undated:
        notes.append(f"{undated:,} engagement(s) carry no time: counted, but left out of the time series")
    if accounts and predicted is None:
        notes.append("no stored shortlist for this niche: the picks have no predicted reach to compare with")
    return notes


def _posts_frame(campaign: pl.DataFrame, accounts: pl.DataFrame, cascades: pl.DataFrame) -> pl.DataFrame:
    sizes = cascades.select("platform", pl.col("cascade").alias("id"), "size", "depth", "engagements", "member_engagements", "reach")
    return (campaign.select("platform", "id", "author_id", "created_at", "text", "hashtags")
            .join(accounts.select("platform", pl.col("id").alias("author_id"), "handle"), on=["platform", "author_id"],
                  how="left", maintain_order="left")
            .join(sizes, on=KEY, how="left", maintain_order="left"))


def series(engagements: pl.DataFrame, since: datetime, until: datetime) -> pl.DataFrame:
    """Engagements per hour (windows up to 3 days) or per day, members and outsiders apart: bucket, group, count."""
    every = "1h" if until - since <= timedelta(days=3) else "1d"
    dated = engagements.filter(pl.col("at").is_not_null())
    return (dated.with_columns(pl.col("at").dt.truncate(every).alias("bucket"),
                               pl.when("member").then(pl.lit("niche members")).otherwise(pl.lit("outsiders")).alias("group"))
            .group_by("bucket", "group").agg(pl.len().cast(pl.Int64).alias("engagements")).sort("bucket", "group"))


def tree_layout(nodes: pl.DataFrame, *, limit: int = 400) -> pl.DataFrame:
    """Positions of one cascade's nodes for drawing: x = hours since the root, y = depth-first order.

    Siblings are ordered by time (then id); a node's order is its parent's + 1 + the sizes of the
    subtrees of its earlier siblings, computed one depth level at a time (no loop over nodes). The
    first `limit` nodes in that order are kept, which keeps every kept node's parent.

    Parameters
    ----------
    nodes : one cascade's rows of `CampaignResult.nodes` (node, parent, account, kind, at, depth).
    limit : at most this many nodes.

    Returns
    -------
    node, parent, account, kind, member, x, y, parent_x, parent_y (the root's parent columns null).

    Example: ``tree_layout(result.nodes.filter(pl.col("cascade") == result.facts["largest_cascade"]))``.
    """
    from .cascades import _subtree_sizes

    frame = nodes.sort("depth", "at", "node", nulls_last=True).with_row_index("_i")
    if frame.height == 0:
        return frame.select("node", "parent", "account", "kind").with_columns(
            *[pl.lit(None, pl.Float64).alias(c) for c in ("x", "y", "parent_x", "parent_y")])
    index = frame.select(pl.col("node").alias("parent"), pl.col("_i").alias("_p"))
    parent_ix = frame.join(index, on="parent", how="left", maintain_order="left")["_p"]
    n = frame.height
    parent = np.where(parent_ix.is_null().to_numpy(), np.arange(n), parent_ix.fill_null(0).to_numpy()).astype(np.int64)
    depth = frame["depth"].to_numpy().astype(np.int64)
    sizes = _subtree_sizes(parent, depth)
    siblings = np.where(depth > 0, parent, -1)  # a root is no sibling of its children
    offsets = pl.DataFrame({"p": siblings, "s": sizes}).with_columns(
        (pl.col("s").cum_sum().over("p") - pl.col("s")).alias("o"))["o"].to_numpy()
    position = np.zeros(n, dtype=np.int64)
    for level in range(1, int(depth.max()) + 1):
        chosen = depth == level
        position[chosen] = position[parent[chosen]] + 1 + offsets[chosen]
    root_at = frame["at"].min()
    hours = ((frame["at"] - root_at).dt.total_seconds() / 3600.0) if root_at is not None else pl.Series([0.0] * n)
    laid = frame.with_columns(pl.Series("y", position.astype(np.float64)), hours.fill_null(0.0).alias("x"))
    laid = laid.with_columns(pl.Series("parent_x", laid["x"].to_numpy()[parent]), pl.Series("parent_y", position[parent].astype(np.float64)))
    laid = laid.with_columns(*[pl.when(pl.col("depth") > 0).then(pl.col(c)).alias(c) for c in ("parent_x", "parent_y")])
    columns = ["node", "parent", "account", "kind", *[c for c in ("member", "handle") if c in laid.columns], "x", "y", "parent_x", "parent_y", "depth", "at"]
    return laid.filter(pl.col("y") < limit).sort("y").select(columns)

