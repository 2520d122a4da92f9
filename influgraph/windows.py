"""Time windows over a workspace or batch: edge counts by kind per window, and a ranking per window.

Rules:

- A series of windows `[start, start + window)` runs from `since` (default: the earliest edge
  time, at midnight UTC) to `until` (default: just after the latest edge time); the last window
  may be cut short by `until`. `window` is a length such as `7d`, `12h` or `2w`.
- An edge is in a window when `start <= at < end` (as `graph.GraphSpec(since, until)`). Edges
  without a time (follows are states, not events) are in no window's counts; in a window's
  *ranking* they are kept, as the graph builder keeps them.
- A window's ranking (`rank_windows`) runs `rank.rank_niche` on the window's batch: its timed
  edges, every untimed edge, and the posts created before the window's end (or without a time),
  so niche content and membership are known as of the window's end while influence counts only
  the window's interactions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import polars as pl

from .errors import BadInput
from .schema import EDGE_KINDS, TIMESTAMP, Batch

if TYPE_CHECKING:
    from .niches import NicheQuery
    from .rank import RankResult
    from .workspace import Workspace

__all__ = ["parse_window", "parse_time", "window_bounds", "window_counts", "rank_windows", "WindowRank"]

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_WINDOWS = 10_000


def parse_window(text: str | timedelta) -> timedelta:
    """A window length from `7d`, `12h`, `2w` or `30m` (or a timedelta), refusing zero, negative and huge ones.

    >>> parse_window("7d")
    datetime.timedelta(days=7)
    """
    if isinstance(text, timedelta):
        length = text
    else:
        found = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", str(text))
        if not found:
            raise BadInput(f"`window` must be a number and a unit (m, h, d or w), such as 7d, got {str(text)[:40]!r}",
                           param="window")
        length = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    if length <= timedelta(0) or length > timedelta(days=3660):
        raise BadInput(f"`window` must be longer than 0 and at most 10 years, got {length}", param="window")
    return length


def parse_time(text: str | datetime | None, param: str) -> datetime | None:
    """A UTC time from ISO-8601 text (`2010-09-14`, `2010-09-14T12:00:00Z`) or a datetime; None stays None."""
    if text is None or isinstance(text, datetime):
        return text if text is None or text.tzinfo else text.replace(tzinfo=timezone.utc)
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"`{param}` must be an ISO-8601 date or time such as 2010-09-14, got {str(text)[:40]!r}",
                       param=param) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _edges(source: "Workspace | Batch") -> pl.LazyFrame:
    return source.edges.lazy() if isinstance(source, Batch) else source.scan("edges")


def window_bounds(source: "Workspace | Batch", window: str | timedelta = "7d", since: str | datetime | None = None,
                  until: str | datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The windows `[start, end)` of the series (see the module docstring); empty when no edge has a time."""
    length = parse_window(window)
    since, until = parse_time(since, "since"), parse_time(until, "until")
    if since is None or until is None:
        first, last = _edges(source).select(pl.col("at").min().alias("a"), pl.col("at").max().alias("b")).collect().row(0)
        if first is None:
            return []
        since = since or first.replace(hour=0, minute=0, second=0, microsecond=0)
        until = until or last + timedelta(microseconds=1)
    if since >= until:
        raise BadInput("the time window is empty: `since` must be before `until`", param="since")
    count = -(-(until - since) // length)
    if count > MAX_WINDOWS:
        raise BadInput(f"{count:,} windows of {length} between `since` and `until`; at most {MAX_WINDOWS:,}",
                       hint="use a longer `window` or a shorter span", param="window")
    return [(since + i * length, min(since + (i + 1) * length, until)) for i in range(count)]


def window_counts(source: "Workspace | Batch", window: str | timedelta = "7d", since: str | datetime | None = None,
                  until: str | datetime | None = None, *, platform: str | None = None) -> pl.DataFrame:
    """Per window: its start and end, the edge rows of each kind, all rows, and their summed weight.

    Parameters
    ----------
    source : a Workspace or a Batch.
    window, since, until : the series (see `window_bounds`).
    platform : only this platform's edges.

    Returns
    -------
    One row per window (empty windows too): `start`, `end`, one count column per kind, `edges`, `weight`.

    Example
    -------
    >>> b = Batch(edges=pl.DataFrame({"src": ["a", "b"], "dst": ["c", "c"], "kind": ["repost", "reply"], "platform": "x",
    ...                                "at": [datetime(2010, 9, 1, tzinfo=timezone.utc), datetime(2010, 9, 9, tzinfo=timezone.utc)]}))
    >>> window_counts(b, "7d")[["repost", "reply", "edges"]].rows()
    [(1, 0, 1), (0, 1, 1)]
    """
    bounds = window_bounds(source, window, since, until)
    frame = pl.DataFrame({"start": [b[0] for b in bounds], "end": [b[1] for b in bounds]},
                         schema={"start": TIMESTAMP, "end": TIMESTAMP}).with_row_index("w")
    if not bounds:
        return frame.drop("w").with_columns(*[pl.lit(0, pl.UInt32).alias(k) for k in (*EDGE_KINDS, "edges")],
                                            pl.lit(0.0).alias("weight"))
    since, length = bounds[0][0], parse_window(window)
    edges = _edges(source).filter(pl.col("at").is_not_null() & (pl.col("at") >= since) & (pl.col("at") < bounds[-1][1]))
    if platform:
        edges = edges.filter(pl.col("platform") == platform)
    step = int(length / timedelta(microseconds=1))
    bucket = ((pl.col("at") - pl.lit(since).cast(TIMESTAMP)).dt.total_microseconds() // step).cast(pl.UInt32).alias("w")
    counted = (edges.select(bucket, pl.col("kind").cast(pl.String), "weight")
               .group_by("w").agg(*[(pl.col("kind") == k).sum().alias(k) for k in EDGE_KINDS],
                                  pl.len().alias("edges"), pl.col("weight").sum())
               .collect())
    out = frame.join(counted, on="w", how="left").sort("w").drop("w")
    return out.with_columns(*[pl.col(k).fill_null(0).cast(pl.UInt32) for k in (*EDGE_KINDS, "edges")],
                            pl.col("weight").fill_null(0.0))


@dataclass
class WindowRank:
    """One window's ranking: its bounds and the `rank.RankResult` of its batch."""

    start: datetime
    end: datetime
    result: "RankResult"


def window_batch(tables: Batch, start: datetime, end: datetime) -> Batch:
    """The batch one window ranks on: the window's timed edges, every untimed edge, posts made before `end`."""
    edges = tables.edges.filter(pl.col("at").is_null() | ((pl.col("at") >= start) & (pl.col("at") < end)))
    posts = tables.posts.filter(pl.col("created_at").is_null() | (pl.col("created_at") < end))
    return Batch(accounts=tables.accounts, posts=posts, edges=edges)


def rank_windows(source: "Workspace | Batch", query: "NicheQuery", window: str | timedelta = "7d",
                 since: str | datetime | None = None, until: str | datetime | None = None, *,
                 platform: str | None = None, now: datetime | None = None) -> list[WindowRank]:
    """`rank.rank_niche` on each window of the series (see the module docstring for what a window holds).

    Parameters
    ----------
    source : a Workspace or a Batch.
    query : the niche.
    window, since, until : the series (see `window_bounds`).
    platform : only this platform's accounts and edges.
    now : the time tiers and account ages are measured at (default: each window's end).

    Returns
    -------
    One `WindowRank` per window, in time order.
    """
    from .rank import rank_niche

    bounds = window_bounds(source, window, since, until)
    tables = source if isinstance(source, Batch) else source.tables()
    return [WindowRank(start, end, rank_niche(window_batch(tables, start, end), query, platform=platform, now=now or end))
            for start, end in bounds]
