"""Communities matched across time windows by member overlap: which grew, shrank, split, merged, appeared or vanished.

Each window's communities are detected on its batch (`windows.window_batch`, the default Leiden
of `communities.detect_communities`). Rules, for two consecutive windows (communities of fewer
than `min_size` accounts, default 3, are left out on both sides):

- **Link.** Community a of the earlier window and b of the later one are linked when the
  overlap coefficient `|a & b| / min(|a|, |b|)` is at least `overlap` (default 0.5: half of
  the smaller one is in the other) and the Jaccard index `|a & b| / |a | b|` is at least
  `jaccard` (default 0.1, so a sliver of a large community is not its continuation). The Jaccard
  test follows Greene, Doyle and Cunningham, "Tracking the evolution of communities in dynamic
  social networks" (ASONAM 2010), who match by Jaccard (0.3 there); the overlap coefficient lets
  a community match each part it splits into and each part merged into it.
- **Events** (after Palla, Barabasi and Vicsek, Nature 446:664, 2007): a linked to two or more b
  **split**; b linked to two or more a **merged**; a one-to-one link **continued**, reported as
  **grew** when b has at least `change` (default 25%) more accounts than a, **shrank** when a has
  that much more than b, else **stable**; an a with no link **vanished**, a b with none **appeared**.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from .errors import BadInput, is_number
from .schema import TIMESTAMP, Batch

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["MatchRule", "CommunityWindows", "match_communities", "community_windows"]

KEY = ["platform", "id"]
EVENTS = ("grew", "shrank", "stable", "split", "merged", "appeared", "vanished")
EVENT_SCHEMA = {"start": TIMESTAMP, "end": TIMESTAMP, "event": pl.String, "before": pl.List(pl.Int64),
                "after": pl.List(pl.Int64), "size_before": pl.Int64, "size_after": pl.Int64, "shared": pl.Int64,
                "jaccard": pl.Float64, "label": pl.String}


@dataclass(frozen=True)
class MatchRule:
    """The thresholds of community matching (see the module docstring)."""

    overlap: float = 0.5
    jaccard: float = 0.1
    change: float = 0.25
    min_size: int = 3

    def validate(self) -> None:
        """Raise BadInput for a threshold out of range, naming it."""
        for name, value, high in (("overlap", self.overlap, 1.0), ("jaccard", self.jaccard, 1.0), ("change", self.change, 100.0)):
            if not is_number(value) or not 0 < value <= high:
                raise BadInput(f"`{name}` must be a number above 0 and at most {high:g}, got {value!r}", param=name)
        if not is_number(self.min_size, whole=True) or not 1 <= self.min_size <= 1_000_000:
            raise BadInput(f"`min_size` must be a whole number from 1 to 1,000,000, got {self.min_size!r}", param="min_size")


@dataclass
class CommunityWindows:
    """Per window its communities (`sizes`: start, community, size, label) and the `events` between windows.

    `events` (largest first): start and end of the later window, event, before and after (community numbers in the
    earlier and later window), size_before, size_after, shared accounts, jaccard, label (the top
    accounts of the largest community involved).
    """

    sizes: pl.DataFrame
    events: pl.DataFrame


def _sized(membership: pl.DataFrame, min_size: int) -> pl.DataFrame:
    sizes = membership.group_by("community").len("size")
    return membership.join(sizes.filter(pl.col("size") >= min_size), on="community").select(*KEY, "community", "size")


def _labels(labels: dict[int, str] | None, numbers: list[int], sizes: dict[int, int]) -> str:
    if not labels or not numbers:
        return ""
    return labels.get(max(numbers, key=lambda c: (sizes.get(c, 0), -c)), "")


def match_communities(before: pl.DataFrame, after: pl.DataFrame, rule: MatchRule = MatchRule(), *,
                      labels_before: dict[int, str] | None = None,
                      labels_after: dict[int, str] | None = None) -> pl.DataFrame:
    """The events between two partitions (platform, id, community), one row each (see the module docstring).

    Example
    -------
    >>> a = pl.DataFrame({"platform": "x", "id": list("abcdefgh"), "community": [0, 0, 0, 0, 1, 1, 1, 1]})
    >>> b = pl.DataFrame({"platform": "x", "id": list("abcdefghij"), "community": [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]})
    >>> match_communities(a, b, MatchRule(min_size=2)).select("event", "before", "after").rows()
    [('merged', [0, 1], [0]), ('appeared', [], [1])]
    """
    rule.validate()
    a, b = _sized(before, rule.min_size), _sized(after, rule.min_size)
    size_a = dict(a.select("community", "size").unique().iter_rows())
    size_b = dict(b.select("community", "size").unique().iter_rows())
    shared = (a.join(b, on=KEY, suffix="_b").group_by("community", "community_b")
              .agg(pl.len().alias("shared"), pl.col("size").first(), pl.col("size_b").first())
              .with_columns((pl.col("shared") / pl.min_horizontal("size", "size_b")).alias("_overlap"),
                            (pl.col("shared") / (pl.col("size") + pl.col("size_b") - pl.col("shared"))).alias("jaccard"))
              .filter((pl.col("_overlap") >= rule.overlap) & (pl.col("jaccard") >= rule.jaccard))
              .sort("community", "community_b"))
    links = [(r["community"], r["community_b"], r["shared"], r["jaccard"]) for r in shared.iter_rows(named=True)]
    succ: dict[int, list[int]] = {}
    pred: dict[int, list[int]] = {}
    for x, y, _, _ in links:
        succ.setdefault(x, []).append(y)
        pred.setdefault(y, []).append(x)
    rows = []

    def add(event: str, xs: list[int], ys: list[int], common: int, jac: float | None) -> None:
        label = _labels(labels_after, ys, size_b) or _labels(labels_before, xs, size_a)
        rows.append({"event": event, "before": xs, "after": ys, "size_before": sum(size_a[x] for x in xs),
                     "size_after": sum(size_b[y] for y in ys), "shared": common, "jaccard": jac, "label": label})

    for x, y, common, jac in links:
        if len(succ[x]) == 1 and len(pred[y]) == 1:
            ratio = size_b[y] / size_a[x]
            add("grew" if ratio >= 1 + rule.change else "shrank" if ratio * (1 + rule.change) <= 1 else "stable",
                [x], [y], common, round(jac, 6))
    for x in sorted(k for k, v in succ.items() if len(v) > 1):
        add("split", [x], succ[x], sum(c for p, _, c, _ in links if p == x), None)
    for y in sorted(k for k, v in pred.items() if len(v) > 1):
        add("merged", pred[y], [y], sum(c for _, q, c, _ in links if q == y), None)
    add_all = [("vanished", [x], []) for x in sorted(size_a) if x not in succ] + \
              [("appeared", [], [y]) for y in sorted(size_b) if y not in pred]
    for event, xs, ys in add_all:
        add(event, xs, ys, 0, None)
    schema = {k: v for k, v in EVENT_SCHEMA.items() if k not in ("start", "end")}
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def _partition(batch: Batch, platform: str | None, seed: int) -> tuple[pl.DataFrame, dict[int, str]]:
    from .communities import detect_communities

    result = detect_communities(batch, platform=platform, seed=seed, top=3)
    labels = {}
    if result.profiles.height and "top_accounts" in result.profiles.columns:
        labels = {int(r["community"]): ", ".join(r["top_accounts"] or []) for r in result.profiles.iter_rows(named=True)}
    return result.membership.select(*KEY, "community"), labels


def community_windows(source: "Workspace | Batch", window: str | timedelta = "7d", since: str | datetime | None = None,
                      until: str | datetime | None = None, *, platform: str | None = None, rule: MatchRule = MatchRule(),
                      seed: int = 0, within: dict[datetime, pl.DataFrame] | None = None,
                      from_end: bool = False) -> CommunityWindows:
    """Communities in each window of the series and their matches from one window to the next.

    Parameters
    ----------
    source : a Workspace or a Batch.
    window, since, until, from_end : the series (`windows.window_bounds`).
    platform : only this platform's accounts and edges.
    rule : the matching thresholds (see the module docstring).
    seed : the detection's seed (the same in every window).
    within : per window start, the accounts (platform, id) to keep, such as a niche's members in that
        window: communities are detected on the whole window and then cut to these accounts, so
        sizes and matches count only them (`trends` passes the niche's members).

    Returns
    -------
    CommunityWindows: per window the communities of at least `rule.min_size` accounts, and the events.

    Example
    -------
    ``community_windows(ws, "7d").events.filter(pl.col("event") == "split")``
    """
    from .windows import window_batch, window_bounds

    rule.validate()
    bounds = window_bounds(source, window, since, until, from_end=from_end)
    tables = source if isinstance(source, Batch) else source.tables()
    parts = [(start, end, *_partition(window_batch(tables, start, end), platform, seed)) for start, end in bounds]
    if within is not None:
        empty = pl.DataFrame(schema={"platform": pl.String, "id": pl.String})
        parts = [(start, end, m.join(within.get(start, empty).select(KEY), on=KEY, how="semi"), labels)
                 for start, end, m, labels in parts]
    sizes = [m.group_by("community").len("size").filter(pl.col("size") >= rule.min_size)
             .with_columns(pl.lit(start).cast(TIMESTAMP).alias("start"),
                           pl.col("community").replace_strict(labels, default="", return_dtype=pl.String).alias("label"))
             .select("start", "community", pl.col("size").cast(pl.Int64), "label")
             for start, _, m, labels in parts]
    events = [match_communities(m0, m1, rule, labels_before=l0, labels_after=l1)
              .with_columns(pl.lit(s1).cast(TIMESTAMP).alias("start"), pl.lit(e1).cast(TIMESTAMP).alias("end"))
              for (_, _, m0, l0), (s1, e1, m1, l1) in zip(parts, parts[1:])]
    sizes_frame = (pl.concat(sizes).sort("start", "community") if sizes else
                   pl.DataFrame(schema={"start": TIMESTAMP, "community": pl.Int64, "size": pl.Int64, "label": pl.String}))
    order = pl.col("event").replace_strict({e: i for i, e in enumerate(EVENTS)}, return_dtype=pl.Int64)
    event_frame = (pl.concat(events).select(list(EVENT_SCHEMA)).sort(pl.max_horizontal("size_before", "size_after"),
                                                                      pl.col("start"), order, descending=[True, False, False])
                   if events else pl.DataFrame(schema=EVENT_SCHEMA))
    return CommunityWindows(sizes=sizes_frame, events=event_frame)
