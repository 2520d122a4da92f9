"""Follower growth from the workspace's history of account counts, with spikes flagged.

The `observations` table holds a row per account and time at which its counts changed (see
`schema.OBSERVATIONS`). Rules:

- **Days.** The history is read per UTC day: an account's followers on a day are those of its
  last observation on or before that day. The days of the series are the days on which the
  platform was observed at all (any account's row), from the account's first observation on;
  an account without a row on such a day kept its count (a row is written only on a change).
- **Growth.** Per account: followers at its first and last observation, the change, and the
  change per day over that span. Per interval between two series days: the jump (followers
  gained) and the rate (jump / days between).
- **Spikes** (a jump far above the account's own trend, also a sign of bought followers): an
  interval is a spike when, against the account's median rate m and the median absolute
  deviation MAD of its rates, the modified z-score `z = (rate - m) / max(1.4826 MAD, 1)` is at
  least `z` (default 3.5, Iglewicz and Hoaglin's outlier rule; the floor of one follower a day keeps
  a flat account's z finite), and the excess `jump - m * days` is at least `min_jump` (default 50)
  and at least `min_share` (default 10%) of the followers before it: a jump too small to change
  the audience is no signal. An account needs `min_intervals` (default 3) intervals to have a
  trend; with fewer nothing is flagged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from .errors import BadInput, is_number
from .schema import OBSERVATIONS, TIMESTAMP, Batch

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["GrowthResult", "follower_growth", "observations_of", "SpikeRule"]

KEY = ["platform", "id"]


@dataclass(frozen=True)
class SpikeRule:
    """The thresholds of a follower spike (see the module docstring)."""

    z: float = 3.5
    min_jump: int = 50
    min_share: float = 0.1
    min_intervals: int = 3

    def validate(self) -> None:
        """Raise BadInput for a threshold out of range, naming it."""
        for name, value, low in (("z", self.z, 0.0), ("min_jump", self.min_jump, 0), ("min_share", self.min_share, 0.0),
                                 ("min_intervals", self.min_intervals, 1)):
            if not is_number(value) or not low <= value < 1e12:
                raise BadInput(f"`{name}` must be a number of at least {low}, got {value!r}", param=name)


@dataclass
class GrowthResult:
    """Per account growth (`table`), the series days (`series`) and the spikes found (`spikes`).

    `table`: platform, id, first_seen, last_seen, followers_first, followers_last, growth, growth_per_day,
    median_daily, intervals, spikes. `series`: platform, id, day, followers, jump, days, rate.
    `spikes`: platform, id, day, followers_before, jump, expected, excess, z.
    """

    table: pl.DataFrame
    series: pl.DataFrame
    spikes: pl.DataFrame


def observations_of(source: "Workspace | Batch") -> pl.DataFrame:
    """The history of account counts: a workspace's `observations` table, or a Batch's accounts as one observation each."""
    if isinstance(source, Batch):
        frame = source.accounts
        if "observed_at" not in frame.columns or "followers" not in frame.columns:
            return pl.DataFrame(schema=OBSERVATIONS)
        return frame.filter(pl.col("observed_at").is_not_null()).select(
            *[pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c) for c, t in OBSERVATIONS.items()])
    try:
        return source.table("observations")
    except BadInput:  # a workspace written before the history existed
        return pl.DataFrame(schema=OBSERVATIONS)


def _daily(observations: pl.DataFrame) -> pl.DataFrame:
    """Per account and series day: followers (step: its last observation on or before the day), jump, days, rate."""
    obs = (observations.filter(pl.col("followers").is_not_null())
           .with_columns(pl.col("observed_at").dt.date().alias("day"))
           .sort("observed_at").group_by(*KEY, "day").agg(pl.col("followers").last()))
    days = obs.select("platform", "day").unique()
    firsts = obs.group_by(KEY).agg(pl.col("day").min().alias("_first"))
    grid = firsts.join(days, on="platform").filter(pl.col("day") >= pl.col("_first")).drop("_first")
    return (grid.join(obs, on=[*KEY, "day"], how="left").sort([*KEY, "day"])
            .with_columns(pl.col("followers").forward_fill().over(KEY))
            .with_columns((pl.col("followers") - pl.col("followers").shift(1).over(KEY)).alias("jump"),
                          (pl.col("day") - pl.col("day").shift(1).over(KEY)).dt.total_days().alias("days"))
            .with_columns((pl.col("jump") / pl.col("days")).alias("rate")))


def follower_growth(observations: pl.DataFrame, rule: SpikeRule = SpikeRule()) -> GrowthResult:
    """Follower growth per account and the spikes in it (see the module docstring for the rules).

    Parameters
    ----------
    observations : the history of counts (`observations_of`): platform, id, observed_at, followers.
    rule : the spike thresholds.

    Returns
    -------
    GrowthResult; `spikes` is empty when no account jumped far above its own trend.

    Example
    -------
    >>> from datetime import datetime, timezone
    >>> days = [datetime(2026, 1, d, tzinfo=timezone.utc) for d in range(1, 7)]
    >>> obs = pl.DataFrame({"platform": "x", "id": "a", "observed_at": days, "followers": [100, 102, 104, 600, 602, 604]})
    >>> follower_growth(obs).spikes.select("id", "jump", "excess").rows()
    [('a', 496, 494.0)]
    """
    rule.validate()
    series = _daily(observations.select(*KEY, "observed_at", "followers"))
    steps = series.filter(pl.col("jump").is_not_null())
    stats = (steps.group_by(KEY).agg(pl.col("rate").median().alias("median_daily"), pl.len().alias("intervals"))
             .join(steps, on=KEY).with_columns((pl.col("rate") - pl.col("median_daily")).abs().alias("_dev"))
             .group_by(KEY).agg(pl.col("median_daily").first(), pl.col("intervals").first(),
                                pl.col("_dev").median().alias("_mad")))
    judged = (steps.join(stats, on=KEY)
              .with_columns((pl.col("followers") - pl.col("jump")).alias("followers_before"),
                            (pl.col("median_daily") * pl.col("days")).alias("expected"),
                            ((pl.col("rate") - pl.col("median_daily")) / pl.max_horizontal(1.4826 * pl.col("_mad"), 1.0))
                            .round(6).alias("z"))
              .with_columns((pl.col("jump") - pl.col("expected")).alias("excess")))
    spikes = (judged.filter((pl.col("intervals") >= rule.min_intervals) & (pl.col("z") >= rule.z)
                            & (pl.col("excess") >= rule.min_jump)
                            & (pl.col("excess") >= rule.min_share * pl.col("followers_before").clip(lower_bound=0)))
              .select(*KEY, "day", "followers_before", "jump", "expected", "excess", "z")
              .sort(["excess", "platform", "id"], descending=[True, False, False]))
    spans = (observations.filter(pl.col("followers").is_not_null()).sort("observed_at").group_by(KEY)
             .agg(pl.col("observed_at").first().alias("first_seen"), pl.col("observed_at").last().alias("last_seen"),
                  pl.col("followers").first().alias("followers_first"), pl.col("followers").last().alias("followers_last")))
    counted = spikes.group_by(KEY).agg(pl.len().cast(pl.Int64).alias("spikes"))
    table = (spans.join(stats.drop("_mad"), on=KEY, how="left").join(counted, on=KEY, how="left")
             .with_columns((pl.col("followers_last") - pl.col("followers_first")).alias("growth"),
                           pl.col("intervals").fill_null(0).cast(pl.Int64), pl.col("spikes").fill_null(0))
             .with_columns((pl.col("growth") / ((pl.col("last_seen") - pl.col("first_seen")).dt.total_seconds() / 86400))
                           .fill_nan(None).alias("growth_per_day"))
             .with_columns(pl.when(pl.col("growth_per_day").is_infinite()).then(None).otherwise(pl.col("growth_per_day"))
                           .alias("growth_per_day"))
             .select(*KEY, pl.col("first_seen").cast(TIMESTAMP), pl.col("last_seen").cast(TIMESTAMP), "followers_first",
                     "followers_last", "growth", "growth_per_day", "median_daily", "intervals", "spikes")
             .sort(["growth", "platform", "id"], descending=[True, False, False]))
    return GrowthResult(table=table, series=series.select(*KEY, "day", "followers", "jump", "days", "rate"), spikes=spikes)
