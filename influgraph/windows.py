"""Time windows over a workspace or batch: edge counts by kind per window, and a ranking per window.

Rules:

- A series of windows `[start, start + window)` runs from `since` (default: the earliest edge
  time, at midnight UTC) to `until` (default: just after the latest edge time); the last window
  may be cut short by `until`. `window` is a length such as `7d`, `12h` or `2w`.
- An edge is in a window when `start <= at < end` (as `graph.GraphSpec(since, until)`). Edges
  without a time (follows are states, not events) are in no window's counts; in a window's
  *ranking* they are kept, as the graph builder keeps them.
- **The window's batch** (`window_batch`, the one way to run any analysis over a window:
  `rank_niche(window_batch(ws, since, until), query)`, likewise `detect_communities` and
  `compute_stats`; the CLI's `--since` and `--until` on `rank`, `communities` and `stats`): the
  interactions (reposts, quotes, replies, mentions, likes) with `since <= at < until`, the follows
  that exist at `until`, every account, and the posts created before `until` (or without a time),
  so niche content, membership and who follows whom are known as of the window's end while
  influence counts only the window's interactions.
- **Follows are states.** A follow with a time exists from then on: it is in every window ending
  after it. A follow without one has only `observed_at`, when a crawl or import first saw it.
  The follows of the workspace's first observation (the earliest `observed_at` among untimed
  follows, or none recorded) are its initial state: they are in every window, since nothing says
  when they were made. A later-observed one was made between the observation before it and its
  `observed_at`, so it is in the windows ending at or after its `observed_at` (an observation
  reports what happened before it). A follow is *new* in a window when its time is in it, or,
  untimed and not of the initial state, when `start < observed_at <= end` (`new_follows`); the
  rising score counts new follows from members as in-links.
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

__all__ = ["parse_window", "parse_time", "window_bounds", "window_counts", "window_batch", "new_follows", "rank_windows",
           "WindowRank"]

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
                  until: str | datetime | None = None, *, from_end: bool = False) -> list[tuple[datetime, datetime]]:
    """The windows `[start, end)` of the series (see the module docstring); empty when no edge has a time.

    By default the windows are laid from `since` on, the last cut short by `until`; `from_end=True`
    lays them back from `until` (default: the midnight after the last edge), the earliest taking
    the rest of the span back to `since` (so it is one to two windows long): the latest window is
    whole, which a rising score compares, and no time of the span is left out.
    """
    length = parse_window(window)
    since, until = parse_time(since, "since"), parse_time(until, "until")
    if since is None or until is None:
        first, last = _edges(source).select(pl.col("at").min().alias("a"), pl.col("at").max().alias("b")).collect().row(0)
        if first is None:
            return []
        since = since or first.replace(hour=0, minute=0, second=0, microsecond=0)
        midnight = last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        until = until or (midnight if from_end else last + timedelta(microseconds=1))
    if since >= until:
        raise BadInput("the time window is empty: `since` must be before `until`", param="since")
    count = -(-(until - since) // length) if not from_end else max((until - since) // length, 1)
    if count > MAX_WINDOWS:
        raise BadInput(f"{count:,} windows of {length} between `since` and `until`; at most {MAX_WINDOWS:,}",
                       hint="use a longer `window` or a shorter span", param="window")
    if from_end:
        return [(since if i == 0 else until - (count - i) * length, until - (count - i - 1) * length) for i in range(count)]
    return [(since + i * length, min(since + (i + 1) * length, until)) for i in range(count)]


def window_counts(source: "Workspace | Batch", window: str | timedelta = "7d", since: str | datetime | None = None,
                  until: str | datetime | None = None, *, platform: str | None = None, from_end: bool = False) -> pl.DataFrame:
    """Per window: its start and end, the edge rows of each kind, all rows, and their summed weight.

    Parameters
    ----------
    source : a Workspace or a Batch.
    window, since, until, from_end : the series (see `window_bounds`).
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
    bounds = window_bounds(source, window, since, until, from_end=from_end)
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
    anchor = pl.lit(bounds[-1][0]).cast(TIMESTAMP)  # every window but an irregular first one is on the latest one's grid
    offset = (pl.col("at") - anchor).dt.total_microseconds() // step + (len(bounds) - 1)
    bucket = offset.clip(lower_bound=0).cast(pl.UInt32).alias("w")
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


FOLLOW = pl.col("kind").cast(pl.String) == "follow"


def _initial(edges: pl.DataFrame) -> pl.Expr:
    """True for the untimed follows of the initial state: no `observed_at`, or the earliest one among untimed follows."""
    untimed = edges.filter(pl.col("at").is_null() & FOLLOW)
    first = untimed["observed_at"].min() if "observed_at" in edges.columns else None
    if first is None:
        return pl.lit(True)
    return pl.col("observed_at").is_null() | (pl.col("observed_at") <= first)


def window_batch(source: "Workspace | Batch", since: str | datetime | None = None,
                 until: str | datetime | None = None) -> Batch:
    """The workspace or batch as of the window `[since, until)`: what any analysis of one window runs on.

    Parameters
    ----------
    source : a Workspace or a Batch.
    since, until : the window's bounds (ISO text or datetimes, UTC); None leaves that side open.

    Returns
    -------
    A Batch: the interactions timed in the window, the follows that exist at `until` (see the module
    docstring), every account, and the posts created before `until` or without a time. An
    interaction without a time (an aggregated edge list) is kept, as the graph builder keeps it.

    Example
    -------
    >>> b = Batch(edges=pl.DataFrame({"src": ["a", "b"], "dst": ["c", "c"], "kind": ["repost", "follow"], "platform": "x",
    ...                                "at": [datetime(2010, 9, 1, tzinfo=timezone.utc), None]}))
    >>> window_batch(b, "2010-09-02").edges["kind"].to_list()
    ['follow']
    """
    start, end = parse_time(since, "since"), parse_time(until, "until")
    if start is not None and end is not None and start >= end:
        raise BadInput("the time window is empty: `since` must be before `until`", param="since")
    tables = source if isinstance(source, Batch) else source.tables()
    edges = tables.edges
    before_end = pl.lit(True) if end is None else pl.col("at") < end
    timed = pl.col("at").is_not_null() & before_end & (FOLLOW | (pl.lit(True) if start is None else pl.col("at") >= start))
    untimed = pl.col("at").is_null()
    if end is not None and "observed_at" in edges.columns:
        untimed = untimed & (~FOLLOW | _initial(edges) | (pl.col("observed_at") <= end))
    posts = tables.posts if end is None else tables.posts.filter(pl.col("created_at").is_null() | (pl.col("created_at") < end))
    return Batch(accounts=tables.accounts, posts=posts, edges=edges.filter(timed | untimed))


def new_follows(edges: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """The follows new in the window: timed `start <= at < end`, or untimed outside the initial state with
    `start < observed_at <= end` (see the module docstring).

    >>> t = [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (1, 9)]
    >>> e = pl.DataFrame({"src": ["a", "b"], "dst": "c", "kind": "follow", "at": None, "observed_at": t},
    ...                  schema_overrides={"at": pl.Datetime("us", "UTC")})
    >>> new_follows(e, t[0], t[1])["src"].to_list()
    ['b']
    """
    follows = edges.filter(FOLLOW)
    timed = pl.col("at").is_not_null() & (pl.col("at") >= start) & (pl.col("at") < end)
    if "observed_at" not in edges.columns:
        return follows.filter(timed)
    untimed = (pl.col("at").is_null() & ~_initial(follows) & (pl.col("observed_at") > start) & (pl.col("observed_at") <= end))
    return follows.filter(timed | untimed)


def rank_windows(source: "Workspace | Batch", query: "NicheQuery", window: str | timedelta = "7d",
                 since: str | datetime | None = None, until: str | datetime | None = None, *,
                 platform: str | None = None, now: datetime | None = None, from_end: bool = False) -> list[WindowRank]:
    """`rank.rank_niche` on each window of the series (see the module docstring for what a window holds).

    Parameters
    ----------
    source : a Workspace or a Batch.
    query : the niche.
    window, since, until : the series (see `window_bounds`).
    platform : only this platform's accounts and edges.
    now : the time tiers and account ages are measured at (default: each window's end).
    from_end : lay the windows back from `until` instead of from `since` (see `window_bounds`).

    Returns
    -------
    One `WindowRank` per window, in time order.
    """
    from .rank import rank_niche

    bounds = window_bounds(source, window, since, until, from_end=from_end)
    tables = source if isinstance(source, Batch) else source.tables()
    return [WindowRank(start, end, rank_niche(window_batch(tables, start, end), query, platform=platform, now=now or end))
            for start, end in bounds]
