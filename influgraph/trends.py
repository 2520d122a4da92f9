"""Rising accounts: niche influence per time window, its change, and a rising score.

Per window (`windows.rank_windows`) every candidate of the niche has its `niche_influence` I and
its in-links from members L: the distinct niche members who reposted, quoted, replied to,
mentioned or liked it in that window (`member_engagers`) plus the members who followed it in the
window (`windows.new_follows`: a follow timed in the window, or first observed in it; the
follows of the workspace's initial state are no one's new in-links). An account absent from a window has 0 there.
With the latest window t and the account's **own baseline** B = its mean over the earlier windows,
each weighted by its length, in-link counts taken per window length (the windows are laid back
from `until`, so the earliest may be up to twice as long, `windows.window_bounds`):

    growth_influence = (I_t - B_I) / (B_I + s_I)
    growth_inlinks   = (L_t - B_L) / (B_L + 1)
    rising           = (growth_influence + growth_inlinks) / 2

`s_I` is the mean influence of all candidates over the baseline windows, a prior that keeps a
newcomer's growth finite (a newcomer scores I_t / s_I, large when it rose above what a typical
candidate had) and damps the noise of accounts whose baseline is near 0; the +1 does the same for
link counts (Laplace smoothing). An account that rises scores above 0, one that fades below.
The rule follows the emerging-influencer idea of combining a PageRank-style score with recent
in-links, measured against each account's own past rather than the niche's, and uses per-window
graphs as the windowed form of temporal PageRank (Rozenshtein and Gionis, "Temporal PageRank",
ECML PKDD 2016), which counts only time-respecting recent interactions.
`change` is I_t minus the previous window's influence.

Beside the score, from the workspace's history of counts (`growth.follower_growth`): followers
gained in the latest window and the candidates' **follower spikes** in the series' span (a jump far above the
account's own trend, `growth`'s rule), which add the flag "follower spike" (a sign of bought
followers) to the account's `flags`; and the niche's communities (each window's communities cut to
that window's niche members) matched from window to window (`community_changes`: grew, shrank,
split, merged, appeared, vanished).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from .community_changes import CommunityWindows, MatchRule, community_windows
from .errors import BadInput
from .growth import GrowthResult, SpikeRule, follower_growth, observations_of
from .schema import TIMESTAMP, Batch
from .windows import WindowRank, new_follows, rank_windows, window_counts

if TYPE_CHECKING:
    from .niches import NicheQuery
    from .workspace import Workspace

__all__ = ["TrendsResult", "niche_trends", "rising_scores"]

KEY = ["platform", "id"]


SPIKE_FLAG = "follower spike"


@dataclass
class TrendsResult:
    """The rising table (one row per account, highest `rising` first) and the per-window series.

    `table`: platform, id, handle, influence (latest window), baseline_influence, change,
    inlinks (latest), baseline_inlinks, growth_influence, growth_inlinks, rising, rank,
    followers_gained (in the latest window, from the history of counts; null without one),
    spike_day (the last follower spike in the series' span) and flags.
    `series`: window start, end, platform, id, handle, niche_influence, member_engagers,
    new_member_follows, member_inlinks (long form).
    `windows`: start, end, members and candidates of each window, and its edge rows by kind
    (`windows.window_counts`: one column per kind, `edges`, `weight`).
    `spikes`: the follower spikes in the span of the niche's candidates (`growth.GrowthResult.spikes`,
    with `handle`); `growth`: every
    account's follower growth; `communities`: the communities per window and their events.
    """

    table: pl.DataFrame
    series: pl.DataFrame
    windows: pl.DataFrame
    spikes: pl.DataFrame = field(default_factory=pl.DataFrame)
    growth: pl.DataFrame = field(default_factory=pl.DataFrame)
    communities: CommunityWindows | None = None
    notes: list[str] = field(default_factory=list)


SERIES = {"start": TIMESTAMP, "end": TIMESTAMP, "platform": pl.String, "id": pl.String, "handle": pl.String,
          "niche_influence": pl.Float64, "member_engagers": pl.Float64, "new_member_follows": pl.Float64,
          "member_inlinks": pl.Float64}


def _new_follows(tables: Batch, w: WindowRank) -> pl.DataFrame:
    """Per account: the distinct members who followed it in window `w` (`windows.new_follows`)."""
    members = w.result.table.filter(pl.col("member").fill_null(False)).select("platform", pl.col("id").alias("src"))
    follows = new_follows(tables.edges, w.start, w.end)
    return (follows.join(members, on=["platform", "src"]).group_by("platform", pl.col("dst").alias("id"))
            .agg(pl.col("src").n_unique().cast(pl.Float64).alias("new_member_follows")))


def _series(ranked: list[WindowRank], tables: Batch | None = None) -> pl.DataFrame:
    frames = []
    for w in ranked:
        if not w.result.table.height:
            continue
        frame = w.result.table.select(pl.lit(w.start).cast(TIMESTAMP).alias("start"), pl.lit(w.end).cast(TIMESTAMP).alias("end"),
                                      *KEY, pl.col("handle").cast(pl.String), pl.col("niche_influence").cast(pl.Float64),
                                      pl.col("member_engagers").cast(pl.Float64))
        follows = _new_follows(tables, w) if tables is not None else pl.DataFrame(schema={**{k: pl.String for k in KEY},
                                                                                          "new_member_follows": pl.Float64})
        frames.append(frame.join(follows, on=KEY, how="left", maintain_order="left")
                      .with_columns(pl.col("new_member_follows").fill_null(0.0))
                      .with_columns((pl.col("member_engagers") + pl.col("new_member_follows")).alias("member_inlinks")))
    return pl.concat(frames, how="vertical_relaxed").select(list(SERIES)) if frames else pl.DataFrame(schema=SERIES)


def rising_scores(series: pl.DataFrame, starts: list[datetime], ends: list[datetime] | None = None) -> pl.DataFrame:
    """The rising table from a long series (start, platform, id, handle, niche_influence, member_inlinks).

    Every account is given 0 in the windows it is absent from; `ends` (default: each next start, the
    latest window as long as the one before it) weigh the baseline; see the module docstring for the rule.

    >>> from datetime import datetime, timezone
    >>> t = [datetime(2010, 9, d, tzinfo=timezone.utc) for d in (1, 8, 15)]
    >>> s = pl.DataFrame({"start": [t[0], t[1], t[2], t[0], t[1], t[2]], "platform": "x", "id": list("aaabbb"),
    ...                   "handle": None, "niche_influence": [.5, .5, .5, .1, .1, .6], "member_inlinks": [5., 5, 5, 1, 1, 6]})
    >>> rising_scores(s, t).select("id", "rising").rows()
    [('b', 1.875), ('a', 0.0)]
    """
    if len(starts) < 2:
        raise BadInput(f"a rising score needs at least two windows, got {len(starts)}",
                       hint="use a shorter `window` or a longer span between `since` and `until`", param="window")
    if ends is None:
        ends = [*starts[1:], starts[-1] + (starts[-1] - starts[-2])]
    lengths = [(e - s).total_seconds() for s, e in zip(starts, ends)]
    frame = pl.DataFrame({"start": starts, "_len": [x / lengths[-1] for x in lengths]},
                         schema={"start": TIMESTAMP, "_len": pl.Float64})
    accounts = series.select(*KEY).unique()
    full = (accounts.join(frame, how="cross")
            .join(series.select("start", *KEY, "niche_influence", "member_inlinks"), on=["start", *KEY], how="left")
            .with_columns(pl.col("niche_influence", "member_inlinks").fill_null(0.0)))
    latest, previous = starts[-1], starts[-2]
    base = full.filter(pl.col("start") < latest)
    span = base.select(pl.col("_len").sum()).item() / max(accounts.height, 1)
    per = (base.group_by(KEY).agg((pl.col("niche_influence") * pl.col("_len")).sum().truediv(span).alias("baseline_influence"),
                                  pl.col("member_inlinks").sum().truediv(span).alias("baseline_inlinks"),
                                  pl.col("niche_influence").filter(pl.col("start") == previous).first().alias("_previous"))
           .join(full.filter(pl.col("start") == latest).select(*KEY, pl.col("niche_influence").alias("influence"),
                                                              pl.col("member_inlinks").alias("inlinks")), on=KEY))
    prior = per["baseline_influence"].mean() or 0.0
    handles = series.sort("start").group_by(KEY).agg(pl.col("handle").drop_nulls().last())
    smooth = prior if prior > 0 else 1.0
    return (per.join(handles, on=KEY, how="left").with_columns(
        (pl.col("influence") - pl.col("_previous")).alias("change"),
        ((pl.col("influence") - pl.col("baseline_influence")) / (pl.col("baseline_influence") + smooth)).alias("growth_influence"),
        ((pl.col("inlinks") - pl.col("baseline_inlinks")) / (pl.col("baseline_inlinks") + 1.0)).alias("growth_inlinks"))
        .with_columns(((pl.col("growth_influence") + pl.col("growth_inlinks")) / 2).round(12).alias("rising"),
                      pl.col("baseline_influence", "baseline_inlinks").round(12))
        .select(*KEY, "handle", "influence", "baseline_influence", "change", "inlinks", "baseline_inlinks",
                "growth_influence", "growth_inlinks", "rising")
        .sort(["rising", "id", "platform"], descending=[True, False, False]).with_row_index("rank", offset=1))


def _followers(growth: GrowthResult, table: pl.DataFrame, ranked: list[WindowRank]) -> pl.DataFrame:
    """`table` with followers_gained in the latest window, spike_day and flags (the follower spikes of the span)."""
    first, start, end = ranked[0].start.date(), ranked[-1].start.date(), ranked[-1].end.date()
    series = growth.series.filter(pl.col("jump").is_not_null())
    gained = (series.filter((pl.col("day") > start) & (pl.col("day") <= end))
              .group_by(KEY).agg(pl.col("jump").sum().alias("followers_gained")))
    spikes = (growth.spikes.filter((pl.col("day") > first) & (pl.col("day") <= end))
              .group_by(KEY).agg(pl.col("day").max().alias("spike_day")))
    return (table.join(gained, on=KEY, how="left", maintain_order="left").join(spikes, on=KEY, how="left", maintain_order="left")
            .with_columns(pl.when(pl.col("spike_day").is_not_null()).then(pl.lit([SPIKE_FLAG], pl.List(pl.String)))
                          .otherwise(pl.lit([], pl.List(pl.String))).alias("flags")))


def niche_trends(source: "Workspace | Batch", query: "NicheQuery", window: str | timedelta = "7d",
                 since: str | datetime | None = None, until: str | datetime | None = None, *,
                 platform: str | None = None, spike_rule: SpikeRule = SpikeRule(),
                 match_rule: MatchRule | None = MatchRule()) -> TrendsResult:
    """Niche influence per window, its change, the rising score, follower spikes and community changes.

    Parameters
    ----------
    source : a Workspace or a Batch whose edges carry times (`at`).
    query : the niche.
    window, since, until : the window series, laid back from `until` (`windows.window_bounds` with
        `from_end=True`: the latest window is whole, the earliest takes the rest of the span); at least two windows.
    platform : only this platform's accounts and edges.
    spike_rule : the thresholds of a follower spike (`growth.SpikeRule`).
    match_rule : the thresholds of community matching (`community_changes.MatchRule`); None skips
        the per-window community detection.

    Returns
    -------
    TrendsResult (see the module docstring for the rising rule).

    Example
    -------
    ``niche_trends(ws, find_query("specialty-coffee"), "7d").table.head(10)``
    """
    spike_rule.validate()
    tables = source if isinstance(source, Batch) else source.tables()
    ranked = rank_windows(tables, query, window, since, until, platform=platform, from_end=True)
    if len(ranked) < 2:
        raise BadInput(f"a rising score needs at least two windows, got {len(ranked)}"
                       + ("" if ranked else " (no edge has a time)"),
                       hint="use a shorter `window` or a longer span between `since` and `until`", param="window")
    series = _series(ranked, tables)
    windows = pl.DataFrame({"start": [w.start for w in ranked], "end": [w.end for w in ranked],
                            "members": [w.result.members for w in ranked],
                            "candidates": [w.result.table.height for w in ranked]},
                           schema={"start": TIMESTAMP, "end": TIMESTAMP, "members": pl.Int64, "candidates": pl.Int64})
    counts = window_counts(tables, window, ranked[0].start, ranked[-1].end, platform=platform, from_end=True).drop("end")
    windows = windows.join(counts, on="start", how="left", maintain_order="left")
    notes = [] if series.height else [f"niche {query.name!r} has no candidates in any window"]
    observations = observations_of(source)
    if platform:
        observations = observations.filter(pl.col("platform") == platform)
    growth = follower_growth(observations, spike_rule)
    table = _followers(growth, rising_scores(series, [w.start for w in ranked], [w.end for w in ranked]), ranked)
    span = (pl.col("day") > ranked[0].start.date()) & (pl.col("day") <= ranked[-1].end.date())
    members = {w.start: w.result.table.filter(pl.col("member").fill_null(False)).select(KEY) for w in ranked
               if w.result.table.height}
    changes = (community_windows(tables, window, ranked[0].start, ranked[-1].end, platform=platform, rule=match_rule,
                                 within=members, from_end=True) if match_rule is not None else None)
    handles = tables.accounts.select(*KEY, pl.col("handle").cast(pl.String)).unique(KEY, keep="first")
    spikes = (growth.spikes.filter(span).join(series.select(KEY).unique(), on=KEY, how="semi")
              .join(handles, on=KEY, how="left", maintain_order="left"))
    return TrendsResult(table=table, series=series, windows=windows, spikes=spikes, growth=growth.table,
                        communities=changes, notes=notes)
