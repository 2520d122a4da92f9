"""Labelling rules: follower tiers, account roles, the engagement warning, and naming accounts.

Every label an account gets in a ranking comes from here, so a rule is changed in one place
(documented in the README):

- **Tiers** by followers (`tier_expr`): nano < 10k <= micro < 100k <= mid < 500k <= macro < 1M
  <= mega. An unknown follower count is nano.
- **Roles** (`label_accounts`), the first rule that holds:

  1. *suspected bot*: at least 10 posts seen, fewer than 0.1 engagements received per post, and
     either an account younger than 90 days or at least 3 mentions per post;
  1b. *inauthentic audience*: `low_audience_quality` (`quality.audience_quality`: audience
     quality below `min_audience_quality`, 0.6 by default, with an audience of at least 10; the
     query's `[quality]` table can change both): much of its audience is bot-like, mass
     followers, hunters or ring members. It describes the audience, "suspected bot" the account;
  2. *brand or organisation*: the bio says official account, inc, ltd, store, shop or brand;
  3. *celebrity*: macro or mega tier with audience relevance below 0.5;
  4. *broker*: brokerage (participation coefficient) at least 0.4;
  5. *niche expert*: a niche member with audience relevance at least 0.6, at most mid tier,
     and niche influence at least half the top score;
  6. *peer*: everyone else.
- **Warning** (`warning_expr`) when raw engagement is in the candidates' top 10% and at least
  MIN_HIGH_ENGAGEMENT (20), but fewer than 30% of engagers are niche members: the reposts came
  from outside the audience.
- **Flags** (`flags_expr`, a list column drawn from FLAGS): "low niche relevance" (the warning
  holds), "suspected bot" (the role), "inauthentic audience" (`low_audience_quality`), "engagement ring" (the account is a ring member), "suspicious followers" (at least
  FLAG_SHARE (25%) of its known followers are bot-like or mass followers) and "giveaway
  engagement" (at least FLAG_SHARE of its engagers are giveaway or engagement hunters).
- **Naming** (`named_expr`): an account is named by its id or its handle, in any case.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import polars as pl

__all__ = ["TIERS", "ROLES", "FLAGS", "FLAG_SHARE", "MIN_HIGH_ENGAGEMENT", "tier_expr", "label_accounts", "warning_expr",
           "flags_expr", "named_expr"]

TIERS = ("nano", "micro", "mid", "macro", "mega")
ROLES = ("suspected bot", "inauthentic audience", "brand or organisation", "celebrity", "broker", "niche expert", "peer")
FLAGS = ("low niche relevance", "suspected bot", "inauthentic audience", "engagement ring", "suspicious followers",
         "giveaway engagement")
FLAG_SHARE = 0.25  # a share of followers or engagers this large earns its flag
MIN_HIGH_ENGAGEMENT = 20  # below this, no engagement count is "high", whatever the percentile


def tier_expr(followers: pl.Expr) -> pl.Expr:
    """The tier of an account by its followers: nano < 10k <= micro < 100k <= mid < 500k <= macro < 1M <= mega.

    >>> pl.DataFrame({"f": [None, 10_000, 2_000_000]}).select(tier_expr(pl.col("f")).alias("tier"))["tier"].to_list()
    ['nano', 'micro', 'mega']
    """
    followers = followers.fill_null(0)
    return (pl.when(followers < 10_000).then(pl.lit("nano")).when(followers < 100_000).then(pl.lit("micro"))
            .when(followers < 500_000).then(pl.lit("mid")).when(followers < 1_000_000).then(pl.lit("macro")).otherwise(pl.lit("mega")))


def label_accounts(table: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """`table` with a `tier` (from `reach`) and a `role` column (the rules in the module docstring).

    `table` needs the ranking's columns reach, created_at, engagement, posts_seen,
    mentions_per_post, bio, audience_relevance, brokerage, member and niche_influence, and may
    have `low_audience_quality` (without it no account is "inauthentic audience"); `now` dates
    the account ages.

    >>> from datetime import timezone
    >>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> table = pl.DataFrame({"reach": [2_000_000, 500], "created_at": [datetime(2020, 1, 1, tzinfo=timezone.utc)] * 2,
    ...                       "engagement": [900.0, 40.0], "posts_seen": [30, 12], "mentions_per_post": [0.1, 0.5],
    ...                       "bio": ["singer", "home roaster"], "audience_relevance": [0.1, 0.8], "brokerage": [0.0, 0.1],
    ...                       "member": [False, True], "niche_influence": [0.3, 0.9]})
    >>> label_accounts(table, now).select("tier", "role").rows()
    [('mega', 'celebrity'), ('nano', 'niche expert')]
    """
    tier = tier_expr(pl.col("reach"))
    age_days = (pl.lit(now) - pl.col("created_at")).dt.total_days()
    per_post = pl.col("engagement") / pl.max_horizontal(pl.col("posts_seen"), 1)
    bio = pl.col("bio").fill_null("").str.to_lowercase()
    low = pl.col("low_audience_quality") if "low_audience_quality" in table.columns else pl.lit(False)
    return table.with_columns(tier.alias("tier")).with_columns(
        pl.when((pl.col("posts_seen") >= 10) & (per_post < 0.1)
                & ((age_days.fill_null(10_000) < 90) | (pl.col("mentions_per_post").fill_null(0) >= 3)))
        .then(pl.lit("suspected bot"))
        .when(low.fill_null(False)).then(pl.lit("inauthentic audience"))
        .when(bio.str.contains(r"official account|\binc\b|\bltd\b|\bstore\b|\bshop\b|\bbrand\b")).then(pl.lit("brand or organisation"))
        .when(pl.col("tier").is_in(["macro", "mega"]) & (pl.col("audience_relevance") < 0.5)).then(pl.lit("celebrity"))
        .when(pl.col("brokerage") >= 0.4).then(pl.lit("broker"))
        .when(pl.col("member") & (pl.col("audience_relevance") >= 0.6)
              & (pl.col("niche_influence") >= 0.5 * pl.col("niche_influence").max())
              & pl.col("tier").is_in(["nano", "micro", "mid"])).then(pl.lit("niche expert"))
        .otherwise(pl.lit("peer")).alias("role"))


def warning_expr(candidates: pl.DataFrame) -> pl.Expr:
    """The engagement warning of each row of `candidates` (null when none; see the module docstring).

    The top 10% is measured on `candidates["engagement"]`; `engager_relevance` is the share of
    engagers who are niche members.

    >>> table = pl.DataFrame({"engagement": [900.0, 40.0], "engager_relevance": [0.05, 0.8]})
    >>> table.select(warning_expr(table).alias("warning"))["warning"].to_list()
    ['high engagement (900) but only 5% of engagers are niche members', None]
    """
    threshold = candidates["engagement"].quantile(0.9)
    return (pl.when((pl.col("engagement") >= max(threshold or 0, MIN_HIGH_ENGAGEMENT)) & (pl.col("engager_relevance").fill_null(0) < 0.3))
            .then(pl.format("high engagement ({}) but only {}% of engagers are niche members",
                            pl.col("engagement").cast(pl.Int64), (pl.col("engager_relevance").fill_null(0) * 100).round(0).cast(pl.Int64))))


def flags_expr(columns: Collection[str]) -> pl.Expr:
    """The flags of each row of a frame with `columns` (a list drawn from FLAGS, empty when none; see the
    module docstring).

    Needs the columns warning and role; the quality columns (low_audience_quality, ring,
    bot_follower_share, mass_follower_share, hunter_engager_share) count when present.

    >>> table = pl.DataFrame({"warning": ["high engagement", None], "role": ["peer", "suspected bot"],
    ...                       "low_audience_quality": [True, None]})
    >>> table.select(flags_expr(table.columns).alias("flags"))["flags"].to_list()
    [['low niche relevance', 'inauthentic audience'], ['suspected bot']]
    """
    def _maybe(name: str, dtype: type[pl.DataType] = pl.Float64) -> pl.Expr:
        """The column `name`, or nulls of `dtype` when the frame has none."""
        return pl.col(name) if name in columns else pl.lit(None, dtype)

    rules = [
        (pl.col("warning").is_not_null(), "low niche relevance"),
        (pl.col("role") == "suspected bot", "suspected bot"),
        (_maybe("low_audience_quality", pl.Boolean), "inauthentic audience"),
        (_maybe("ring", pl.Int64).is_not_null(), "engagement ring"),
        (pl.max_horizontal(_maybe("bot_follower_share"), _maybe("mass_follower_share")) >= FLAG_SHARE, "suspicious followers"),
        (_maybe("hunter_engager_share") >= FLAG_SHARE, "giveaway engagement"),
    ]
    parts = [pl.when(test.fill_null(False)).then(pl.lit(name)).otherwise(pl.lit(None, pl.String)) for test, name in rules]
    return pl.concat_list(parts).list.drop_nulls()


def named_expr(names: set[str]) -> pl.Expr:
    """True for accounts whose id or handle (any case) is in `names` (given in lower case).

    >>> frame = pl.DataFrame({"id": ["1", "2"], "handle": ["Ana", None]})
    >>> frame.filter(named_expr({"ana"}))["id"].to_list()
    ['1']
    """
    wanted = sorted(names)
    return pl.col("id").str.to_lowercase().is_in(wanted) | pl.col("handle").fill_null("").str.to_lowercase().is_in(wanted)
