"""Audience quality: how much of an account's audience and engagement looks authentic.

Computed from what the workspace holds (profiles, posts, follow and engagement edges), every
signal in its own column (documented in the README, thresholds in `QualityRules`, configurable
from a niche query's `[quality]` table and recorded in the ranking's configuration hash).

**Signals on each account** (the audience members):

- *bot-like* (`bot_like`): at least `bot_signals` (3) of: young (created less than `young_days`
  (90) days before the newest post in the workspace), few posts (at most `few_posts` (5)),
  default profile (an empty bio), an extreme following/followers ratio (following at least
  `ratio_min_following` (500) and at least `extreme_ratio` (20) times its followers), posting
  bursts (`burst_posts` (5) posts within `burst_minutes` (10) minutes) and mention spam (at least
  `mention_spam` (3) mentions per post). `bot_signals` counts them; a signal whose data is missing
  does not count.
- *mass follower* (`mass_follower`): follows at least `mass_following` (1,000) accounts and is
  followed by at most `mass_ratio` (5%) as many.
- *giveaway or engagement hunter* (`giveaway_hunter`): at least `hunter_min_engagements` (3)
  engagements, of which at least `hunter_giveaway_share` (50%) are on giveaway content (a post,
  or the post it reposts, quotes or replies to, naming one of `giveaway_terms`); or at least
  `hunter_spread_min` (6) engagements spread over at least `hunter_min_communities` (3)
  communities with none holding more than `hunter_max_community_share` (50%) of them (needs
  stored communities).
- *engagement-ring member* (`ring`, the ring's number): a member of an unusually dense reciprocal
  engagement group (`algorithms.rings.find_rings`: at least `ring_min_size` (4) accounts, density
  at least `ring_min_density` (0.5), lift over chance at least `ring_min_lift` (5)).
- *inauthentic* (`inauthentic_account`): any of the four.

**Per candidate** (its known followers and its distinct engagers): the shares of followers that
are bot-like, mass followers, hunters and ring members (`bot_follower_share`,
`mass_follower_share`, `hunter_follower_share`, `ring_follower_share`), the same for engagers
(`bot_engager_share`, `mass_engager_share`, `hunter_engager_share`, `ring_engager_share`), and the
authentic shares (`authentic_follower_share`, `authentic_engager_share`: none of the four).
`audience_quality` is the authentic share of the whole audience, followers and engagers pooled:
`(w F f + (1 - w) E e) / (w F + (1 - w) E)` with F known followers, E distinct engagers, f and e
their authentic shares and `w = follower_weight` (0.5, so each follow or engager counts once);
null with neither. `audience_size` is F + E, and `low_audience_quality` holds when
`audience_quality` is below `min_audience_quality` (0.6) with an audience of at least
`min_audience` (10): the rule behind the role "inauthentic audience" and the shortlist's default
exclusion. It is shown next to niche influence and reach and never folded into either.

**Engagement authenticity** (per candidate, over the engagements it received): the shares from
ring members (`ring_engagement_share`), from a creation cohort (`cohort_engager_share`: distinct
engagers created within the same `cohort_days` (3)-day window as at least `cohort_min` (5) of
its engagers), inside a burst (`burst_engagement_share`: an hour with at least `burst_min` (10)
engagements and `burst_factor` (5) times the account's median busy hour; needs times) and from
outside the niche (`outside_niche_engagement_share`); `engagement_authenticity` is the share of
engagements that are none of these.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .algorithms.rings import find_rings
from .schema import EDGE_KINDS, ENGAGEMENT_KINDS, account_key

if TYPE_CHECKING:
    from .niches import NicheQuery
    from .rank import WholeGraph

__all__ = ["QualityRules", "QUALITY_KEYS", "ACCOUNT_COLUMNS", "QUALITY_COLUMNS", "AudienceQuality", "audience_quality",
           "rules_of"]


@dataclass(frozen=True)
class QualityRules:
    """The thresholds of every audience-quality signal (the module docstring says what each means)."""

    min_audience_quality: float = 0.6  # below: role "inauthentic audience", left out of default shortlists
    min_audience: int = 10  # fewer known followers + engagers: too little evidence for the role
    follower_weight: float = 0.5
    young_days: int = 90
    few_posts: int = 5
    ratio_min_following: int = 500
    extreme_ratio: float = 20.0
    burst_posts: int = 5
    burst_minutes: int = 10
    mention_spam: float = 3.0
    bot_signals: int = 3
    mass_following: int = 1_000
    mass_ratio: float = 0.05
    hunter_min_engagements: int = 3
    hunter_giveaway_share: float = 0.5
    hunter_spread_min: int = 6
    hunter_min_communities: int = 3
    hunter_max_community_share: float = 0.5
    giveaway_terms: tuple[str, ...] = ("giveaway", "giveaways", "contest", "sweepstakes", "freebie", "undian", "قرعه‌کشی")
    ring_min_size: int = 4
    ring_min_density: float = 0.5
    ring_min_lift: float = 5.0
    cohort_days: int = 3
    cohort_min: int = 5
    burst_min: int = 10
    burst_factor: float = 5.0

    def as_dict(self) -> dict:
        """The rules, JSON-ready (for the configuration hash)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


QUALITY_KEYS = {f.name: f.type for f in fields(QualityRules)}
SHARE_KEYS = ("min_audience_quality", "follower_weight", "mass_ratio", "hunter_giveaway_share",
              "hunter_max_community_share", "ring_min_density")
ACCOUNT_COLUMNS = ("bot_signals", "bot_like", "mass_follower", "giveaway_hunter", "ring", "inauthentic_account")
_GROUPS = ("bot", "mass", "hunter", "ring")
QUALITY_COLUMNS = (*[f"{g}_follower_share" for g in _GROUPS], "authentic_follower_share",
                   *[f"{g}_engager_share" for g in _GROUPS], "authentic_engager_share", "audience_quality",
                   "audience_size", "low_audience_quality",
                   "ring_engagement_share", "cohort_engager_share", "burst_engagement_share", "outside_niche_engagement_share",
                   "engagement_authenticity")


def rules_of(query: "NicheQuery") -> QualityRules:
    """The rules of `query`: its `[quality]` table (validated by `niches.load_query`) over the defaults.

    Example: ``rules_of(NicheQuery(name="x", hashtags=("a",), quality={"min_audience_quality": 0.5}))``.
    """
    table = dict(getattr(query, "quality", None) or {})
    if "giveaway_terms" in table:
        table["giveaway_terms"] = tuple(table["giveaway_terms"])
    return QualityRules(**table)


@dataclass
class AudienceQuality:
    """Per vertex (in the whole graph's vertex order): the account signals and the candidate columns;
    and the rings found (one row per ring: ring, size, pairs, density, lift, ids, handles)."""

    frame: pl.DataFrame
    rings: pl.DataFrame


def _bursty_authors(posts: pl.DataFrame, rules: QualityRules) -> pl.DataFrame:
    """The authors (`author_id`, `platform`) with `burst_posts` posts inside `burst_minutes` minutes."""
    lag = max(rules.burst_posts - 1, 1)
    spans = (posts.filter(pl.col("created_at").is_not_null()).sort("author_id", "created_at")
             .with_columns((pl.col("created_at") - pl.col("created_at").shift(lag).over("platform", "author_id")).alias("span")))
    return spans.filter(pl.col("span") <= pl.duration(minutes=rules.burst_minutes)).select("platform", "author_id").unique()


def _bot_signals(whole: "WholeGraph", rules: QualityRules) -> pl.DataFrame:
    """Per vertex: `bot_signals` (how many of the bot-like signals hold) and `bot_like`."""
    people = whole.people
    newest = whole.posts["created_at"].max() if whole.posts.height else None
    bursty = _bursty_authors(whole.posts, rules).with_columns(pl.lit(True).alias("bursty"))
    people = people.join(bursty, left_on=["platform", "id"], right_on=["platform", "author_id"], how="left",
                         maintain_order="left")
    age = (pl.lit(newest) - pl.col("created_at")).dt.total_days() if newest is not None else pl.lit(None, pl.Int64)
    posts = pl.coalesce("posts", "posts_seen")
    signals = [
        (age < rules.young_days).fill_null(False),
        (posts <= rules.few_posts).fill_null(False) & pl.col("handle").is_not_null(),
        (pl.col("bio") == "").fill_null(False),
        ((pl.col("following") >= rules.ratio_min_following)
         & (pl.col("following") >= rules.extreme_ratio * pl.max_horizontal(pl.col("followers"), 1))).fill_null(False),
        pl.col("bursty").fill_null(False),
        ((pl.col("mentions_per_post") >= rules.mention_spam) & (pl.col("posts_seen") >= 3)).fill_null(False),
    ]
    count = pl.sum_horizontal([s.cast(pl.Int64) for s in signals])
    return people.select(count.alias("bot_signals"), (count >= rules.bot_signals).alias("bot_like"),
                         ((pl.col("following") >= rules.mass_following)
                          & (pl.col("followers").fill_null(0) <= rules.mass_ratio * pl.col("following"))).fill_null(False)
                         .alias("mass_follower"))


def _engagements(whole: "WholeGraph") -> pl.DataFrame:
    """The engagement edges (no self-engagement) with vertex numbers `s` and `d`, the post (`post_id`, and `post`:
    its row in `whole.posts`, -1 for none) and the time."""
    rows = whole.edge_rows
    engaging = pl.Series(np.array([kind in ENGAGEMENT_KINDS for kind in EDGE_KINDS])[rows["k"].to_numpy()])
    keep = engaging & (rows["s"] != rows["d"]) & (rows["s"] >= 0) & (rows["d"] >= 0)
    return pl.DataFrame({"s": rows["s"], "d": rows["d"], "post_id": whole.edges["post_id"], "post": rows["post"],
                         "at": whole.edges["at"]}).filter(keep)


def _giveaway_rows(whole: "WholeGraph", rules: QualityRules) -> np.ndarray:
    """Per row of `whole.posts`: giveaway content, a post naming a giveaway term or reposting, quoting or replying to one."""
    from .niches import normalize, normalize_expr

    posts = whole.posts
    terms = [normalize(t) for t in rules.giveaway_terms]
    if not terms or posts.height == 0:
        return np.zeros(posts.height, dtype=bool)
    words = normalize_expr(pl.col("text").fill_null("")).str.extract_all(r"[\p{L}\p{N}_]+")
    tags = pl.col("hashtags").fill_null([]).list.eval(normalize_expr(pl.element()))
    own = posts.select((words.list.eval(pl.element().is_in(terms)).list.any().fill_null(False)
                        | tags.list.eval(pl.element().is_in(terms)).list.any().fill_null(False)).alias("own")).to_series()
    own = own.to_numpy().astype(bool)
    return own | np.append(own, False)[whole.post_rows["ref"].to_numpy()]  # ref -1: the appended False


def _hunters(engaged: pl.DataFrame, whole: "WholeGraph", rules: QualityRules, n: int) -> np.ndarray:
    """Per vertex: True for giveaway or engagement hunters (see the module docstring)."""
    sources = engaged["s"].to_numpy()
    on_giveaway = np.append(_giveaway_rows(whole, rules), False)[engaged["post"].to_numpy()]
    engagements = np.bincount(sources, minlength=n)
    hunter = ((engagements >= rules.hunter_min_engagements)
              & (np.bincount(sources, weights=on_giveaway, minlength=n) >= rules.hunter_giveaway_share * engagements))
    if whole.communities is not None and "community" in whole.communities.columns:
        ids = whole.built.vertices.with_columns(d=pl.int_range(n, dtype=pl.Int64))
        on = account_key(ids, whole.communities)
        where = ids.join(whole.communities.select(*on, "community").unique(on), on=on).select("d", "community")
        spread = (engaged.join(where, on="d").group_by("s", "community").len()
                  .group_by("s").agg(pl.len().alias("c"), pl.col("len").sum().alias("n"), pl.col("len").max().alias("top")))
        hit = spread.filter((pl.col("n") >= rules.hunter_spread_min) & (pl.col("c") >= rules.hunter_min_communities)
                            & (pl.col("top") <= rules.hunter_max_community_share * pl.col("n")))
        hunter[hit["s"].to_numpy()] = True
    return hunter


def _shares(ends: np.ndarray, chosen: np.ndarray, flags: dict[str, np.ndarray], n: int, who: str) -> dict[str, np.ndarray]:
    """Per vertex: the share of its distinct `who` (edges `chosen`) that carry each flag, and the authentic share."""
    sources, targets = ends[chosen, 0], ends[chosen, 1]
    total = np.bincount(targets, minlength=n).astype(np.float64)
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, flag in flags.items():
            out[f"{name}_{who}_share"] = np.where(total > 0, np.bincount(targets, weights=flag[sources], minlength=n) / total, np.nan)
    return out


def _engagement_rows(engaged: pl.DataFrame, whole: "WholeGraph", ring: np.ndarray,
                     rules: QualityRules) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The engagements (`d` received from `s`) with the flags no niche decides: from a ring member (`ring_src`),
    from a creation cohort of `d`'s engagers (`cohort`), inside a burst of `d`'s engagements (`burst`); and the
    distinct (d, s) pairs with their `cohort` flag."""
    created = whole.people["created_at"]
    rows = engaged.with_columns(pl.Series("ring_src", ring[engaged["s"].to_numpy()] >= 0))
    pairs = rows.select("d", "s").unique()
    cohorts = (pairs.with_columns(created.gather(pairs["s"]).alias("created")).filter(pl.col("created").is_not_null())
               .with_columns(pl.col("created").dt.truncate(f"{max(rules.cohort_days, 1)}d").alias("bin"))
               .with_columns(pl.len().over("d", "bin").alias("size"))
               .filter(pl.col("size") >= rules.cohort_min).select("d", "s", pl.lit(True).alias("cohort")))
    hours = (rows.filter(pl.col("at").is_not_null()).with_columns(pl.col("at").dt.truncate("1h").alias("hour"))
             .group_by("d", "hour").len()
             .with_columns(pl.col("len").median().over("d").alias("usual")))
    bursts = hours.filter((pl.col("len") >= rules.burst_min) & (pl.col("len") >= rules.burst_factor * pl.col("usual")))
    rows = (rows.with_columns(pl.col("at").dt.truncate("1h").alias("hour"))
            .join(cohorts, on=["d", "s"], how="left").join(bursts.select("d", "hour", pl.lit(True).alias("burst")),
                                                           on=["d", "hour"], how="left")
            .select("d", "s", "ring_src", pl.col("cohort").fill_null(False), pl.col("burst").fill_null(False)))
    return rows, pairs.join(cohorts, on=["d", "s"], how="left").with_columns(pl.col("cohort").fill_null(False))


def _authenticity(rows: pl.DataFrame, distinct: pl.DataFrame, is_member: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per vertex: the engagement-authenticity shares of the engagements it received (see the module docstring);
    `rows` from `_engagement_rows`, `distinct` its first row per (d, s) pair."""
    targets = rows["d"].to_numpy()
    outside = ~is_member[rows["s"].to_numpy()]
    total = np.bincount(targets, minlength=n).astype(np.float64)
    flags = {"ring_engagement_share": rows["ring_src"].to_numpy(), "burst_engagement_share": rows["burst"].to_numpy(),
             "outside_niche_engagement_share": outside}
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, flag in flags.items():
            out[name] = np.where(total > 0, np.bincount(targets, weights=flag, minlength=n) / total, np.nan)
        engagers = np.bincount(distinct["d"].to_numpy(), minlength=n).astype(np.float64)
        out["cohort_engager_share"] = np.where(
            engagers > 0, np.bincount(distinct["d"].to_numpy(), weights=distinct["cohort"].to_numpy(), minlength=n) / engagers, np.nan)
        clean = ~(flags["ring_engagement_share"] | flags["burst_engagement_share"] | outside | rows["cohort"].to_numpy())
        out["engagement_authenticity"] = np.where(total > 0, np.bincount(targets, weights=clean, minlength=n) / total, np.nan)
    return out


def _ring_table(rings, whole: "WholeGraph") -> pl.DataFrame:
    """One row per ring: its number, size, reciprocal pairs, density, lift, member ids and handles."""
    ids = whole.built.vertices["id"]
    handles = whole.people["handle"].fill_null(ids) if "handle" in whole.people.columns else None
    members = [rings.members(k) for k in range(len(rings.size))]
    return pl.DataFrame({
        "ring": np.arange(len(rings.size), dtype=np.int64), "size": rings.size, "pairs": rings.pairs,
        "density": rings.density.astype(np.float64), "lift": rings.lift.astype(np.float64),
        "ids": [ids.gather(m).to_list() for m in members],
        "handles": [(handles if handles is not None else ids).gather(m).to_list() for m in members],
    }, schema={"ring": pl.Int64, "size": pl.Int64, "pairs": pl.Int64, "density": pl.Float64, "lift": pl.Float64,
               "ids": pl.List(pl.String), "handles": pl.List(pl.String)})


def audience_quality(whole: "WholeGraph", is_member: np.ndarray, rules: QualityRules = QualityRules(), *,
                     seed: int = 0) -> AudienceQuality:
    """The audience-quality signals of every account of `whole` and the quality of every audience.

    Parameters
    ----------
    whole : WholeGraph
        The workspace's tables and whole graph (`rank.whole_graph`).
    is_member : numpy.ndarray
        Per vertex, True for the niche's members (for the outside-the-niche share).
    rules : QualityRules
        The thresholds (the module docstring).
    seed : int
        Seed of the ring detector's communities.

    Returns
    -------
    AudienceQuality
        `frame`: one row per vertex, in vertex order, with `ACCOUNT_COLUMNS` and `QUALITY_COLUMNS`;
        `rings`: one row per engagement ring found.

    Example
    -------
    ``audience_quality(whole_graph(ws), is_member)`` (as `rank_niche` does).
    """
    shared = whole.shared(("audience quality", rules, seed), lambda: _shared_quality(whole, rules, seed))
    columns = _authenticity(shared.rows, shared.distinct, is_member, whole.built.n)
    frame = shared.frame.with_columns(*[pl.Series(k, v, dtype=pl.Float64).fill_nan(None) for k, v in columns.items()])
    return AudienceQuality(frame=frame.select(*ACCOUNT_COLUMNS, *QUALITY_COLUMNS), rings=shared.rings)


@dataclass
class _SharedQuality:
    """What every niche's audience quality shares: the account and audience columns, the rings, the engagements."""

    frame: pl.DataFrame  # per vertex: every column but the engagement-authenticity shares
    rings: pl.DataFrame
    rows: pl.DataFrame  # `_engagement_rows`
    distinct: pl.DataFrame  # its first row per (d, s)


def _shared_quality(whole: "WholeGraph", rules: QualityRules, seed: int) -> _SharedQuality:
    """The niche-independent part of `audience_quality`, computed once per whole graph, rules and seed."""
    n, ends = whole.built.n, whole.built.ends
    account = _bot_signals(whole, rules)
    engaged = _engagements(whole)
    hunter = _hunters(engaged, whole, rules, n)
    weights = whole.built.kind_weights
    engage_mask = sum((weights[k] for k in ENGAGEMENT_KINDS if k in weights), np.zeros(len(ends))) > 0
    rings = find_rings(ends[engage_mask, 0], ends[engage_mask, 1], n, min_size=rules.ring_min_size,
                       min_density=rules.ring_min_density, min_lift=rules.ring_min_lift, seed=seed)
    flags = {"bot": account["bot_like"].to_numpy(), "mass": account["mass_follower"].to_numpy(), "hunter": hunter,
             "ring": rings.ring >= 0}
    inauthentic = flags["bot"] | flags["mass"] | flags["hunter"] | flags["ring"]
    follow_mask = weights.get("follow", np.zeros(len(ends))) > 0
    columns = {**_shares(ends, follow_mask, {**flags, "inauthentic": inauthentic}, n, "follower"),
               **_shares(ends, engage_mask, {**flags, "inauthentic": inauthentic}, n, "engager")}
    for who in ("follower", "engager"):
        columns[f"authentic_{who}_share"] = 1.0 - columns.pop(f"inauthentic_{who}_share")
    f, e, w = columns["authentic_follower_share"], columns["authentic_engager_share"], rules.follower_weight
    followers = np.bincount(ends[follow_mask, 1], minlength=n).astype(np.float64)
    engagers = np.bincount(ends[engage_mask, 1], minlength=n).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (w * followers * np.nan_to_num(f) + (1 - w) * engagers * np.nan_to_num(e)) / (w * followers + (1 - w) * engagers)
    columns["audience_quality"] = np.where(followers + engagers > 0, pooled, np.nan)
    frame = account.with_columns(pl.Series("giveaway_hunter", hunter),
                                 pl.Series("ring", rings.ring).replace(-1, None).cast(pl.Int64),
                                 pl.Series("inauthentic_account", inauthentic),
                                 *[pl.Series(k, v, dtype=pl.Float64).fill_nan(None) for k, v in columns.items()],
                                 pl.Series("audience_size", (followers + engagers).astype(np.int64)))
    frame = frame.with_columns(((pl.col("audience_quality") < rules.min_audience_quality)
                                & (pl.col("audience_size") >= rules.min_audience)).fill_null(False).alias("low_audience_quality"))
    rows, distinct = _engagement_rows(engaged, whole, rings.ring, rules)
    return _SharedQuality(frame=frame, rings=_ring_table(rings, whole), rows=rows, distinct=distinct)
