"""Rising accounts: niche influence per time window, its change, and a rising score.

Per window (`windows.rank_windows`) every candidate of the niche has its `niche_influence` I and
its in-links from members L (`member_engagers`: distinct niche members who reposted, quoted,
replied to, mentioned or liked it in that window). An account absent from a window has 0 there.
With the latest window t and the account's **own baseline** B = the mean over the earlier windows:

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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from .errors import BadInput
from .windows import WindowRank, rank_windows, window_counts

if TYPE_CHECKING:
    from .niches import NicheQuery
    from .schema import Batch
    from .workspace import Workspace

__all__ = ["TrendsResult", "niche_trends", "rising_scores"]

KEY = ["platform", "id"]


@dataclass
class TrendsResult:
    """The rising table (one row per account, highest `rising` first) and the per-window series.

    `table`: platform, id, handle, influence (latest window), baseline_influence, change,
    inlinks (latest), baseline_inlinks, growth_influence, growth_inlinks, rising, rank.
    `series`: window start, end, platform, id, niche_influence, member_inlinks (long form).
    `windows`: start, end, members and candidates of each window, and its edge rows by kind
    (`windows.window_counts`: one column per kind, `edges`, `weight`).
    """

    table: pl.DataFrame
    series: pl.DataFrame
    windows: pl.DataFrame
    notes: list[str] = field(default_factory=list)


def _series(ranked: list[WindowRank]) -> pl.DataFrame:
    frames = [w.result.table.select(pl.lit(w.start).alias("start"), pl.lit(w.end).alias("end"), *KEY,
                                    pl.col("handle").cast(pl.String), pl.col("niche_influence").cast(pl.Float64),
                                    pl.col("member_engagers").cast(pl.Float64).alias("member_inlinks"))
              for w in ranked if w.result.table.height]
    schema = {"start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC"), "platform": pl.String, "id": pl.String,
              "handle": pl.String, "niche_influence": pl.Float64, "member_inlinks": pl.Float64}
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=schema)


def rising_scores(series: pl.DataFrame, starts: list[datetime]) -> pl.DataFrame:
    """The rising table from a long series (start, platform, id, handle, niche_influence, member_inlinks).

    Every account is given 0 in the windows it is absent from; see the module docstring for the rule.

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
    accounts = series.select(*KEY).unique()
    grid = accounts.join(pl.DataFrame({"start": starts}, schema={"start": pl.Datetime("us", "UTC")}), how="cross")
    full = (grid.join(series.select("start", *KEY, "niche_influence", "member_inlinks"), on=["start", *KEY], how="left")
            .with_columns(pl.col("niche_influence", "member_inlinks").fill_null(0.0)))
    latest, previous = starts[-1], starts[-2]
    base = full.filter(pl.col("start") < latest)
    prior = base["niche_influence"].mean() or 0.0
    per = (base.group_by(KEY).agg(pl.col("niche_influence").mean().alias("baseline_influence"),
                                  pl.col("member_inlinks").mean().alias("baseline_inlinks"),
                                  pl.col("niche_influence").filter(pl.col("start") == previous).first().alias("_previous"))
           .join(full.filter(pl.col("start") == latest).select(*KEY, pl.col("niche_influence").alias("influence"),
                                                              pl.col("member_inlinks").alias("inlinks")), on=KEY))
    handles = series.sort("start").group_by(KEY).agg(pl.col("handle").drop_nulls().last())
    smooth = prior if prior > 0 else 1.0
    return (per.join(handles, on=KEY, how="left").with_columns(
        (pl.col("influence") - pl.col("_previous")).alias("change"),
        ((pl.col("influence") - pl.col("baseline_influence")) / (pl.col("baseline_influence") + smooth)).alias("growth_influence"),
        ((pl.col("inlinks") - pl.col("baseline_inlinks")) / (pl.col("baseline_inlinks") + 1.0)).alias("growth_inlinks"))
        .with_columns(((pl.col("growth_influence") + pl.col("growth_inlinks")) / 2).round(12).alias("rising"))
        .select(*KEY, "handle", "influence", "baseline_influence", "change", "inlinks", "baseline_inlinks",
                "growth_influence", "growth_inlinks", "rising")
        .sort(["rising", "id", "platform"], descending=[True, False, False]).with_row_index("rank", offset=1))


def niche_trends(source: "Workspace | Batch", query: "NicheQuery", window: str | timedelta = "7d",
                 since: str | datetime | None = None, until: str | datetime | None = None, *,
                 platform: str | None = None) -> TrendsResult:
    """Niche influence per window, its change, and the rising score of every candidate.

    Parameters
    ----------
    source : a Workspace or a Batch whose edges carry times (`at`).
    query : the niche.
    window, since, until : the window series (`windows.window_bounds`); at least two windows.
    platform : only this platform's accounts and edges.

    Returns
    -------
    TrendsResult (see the module docstring for the rising rule).

    Example
    -------
    ``niche_trends(ws, find_query("specialty-coffee"), "7d").table.head(10)``
    """
    ranked = rank_windows(source, query, window, since, until, platform=platform)
    if len(ranked) < 2:
        raise BadInput(f"a rising score needs at least two windows, got {len(ranked)}"
                       + ("" if ranked else " (no edge has a time)"),
                       hint="use a shorter `window` or a longer span between `since` and `until`", param="window")
    series = _series(ranked)
    windows = pl.DataFrame({"start": [w.start for w in ranked], "end": [w.end for w in ranked],
                            "members": [w.result.members for w in ranked],
                            "candidates": [w.result.table.height for w in ranked]},
                           schema={"start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC"),
                                   "members": pl.Int64, "candidates": pl.Int64})
    counts = window_counts(source, window, ranked[0].start, ranked[-1].end, platform=platform).drop("end")
    windows = windows.join(counts, on="start", how="left", maintain_order="left")
    notes = [] if series.height else [f"niche {query.name!r} has no candidates in any window"]
    return TrendsResult(table=rising_scores(series, [w.start for w in ranked]), series=series, windows=windows, notes=notes)
