"""The report's "Rising" sections: one per niche with stored trends (`results.save_trends`).

Decision first ("Rising in specialty-coffee: @a, @b, @c"), then the facts of the windows, the
rising table, the follower spikes (possible bought followers), the community changes, and a
chart of niche influence per window for the top risers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..results import StoredTrends, niche_key, stored_trends
from .report import compact
from .report_sections import ReportSection, SectionChart, SectionTable

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["section", "trends_section", "influence_spec"]

TOP_RISERS = 3  # named in the decision line
CHART_RISERS = 5  # drawn in the chart
ROWS = 10


def _label(handle: object, account: object) -> str:
    return f"@{handle}" if handle else str(account)


def _when(value: object) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d}"


def influence_spec(series: pl.DataFrame, ids: list[str]) -> dict:
    """A Vega-Lite line chart of niche influence per window start for the accounts `ids` (in that order).

    Example: ``influence_spec(stored.series, ["riser"])["mark"]["type"] == "line"``.
    """
    chosen = series.filter(pl.col("id").is_in(ids))
    labels = {i: _label(h, i) for i, h in chosen.select("id", "handle").unique("id").iter_rows()}
    values = [{"window": f"{row['start']:%Y-%m-%d %H:%M}", "account": labels[row["id"]],
               "influence": round(float(row["niche_influence"]), 6)}
              for row in chosen.sort("start", "id").iter_rows(named=True)]
    return {"width": 520, "height": 220, "data": {"values": values},
            "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "window", "type": "ordinal", "title": "window start"},
                         "y": {"field": "influence", "type": "quantitative", "title": "niche influence"},
                         "color": {"field": "account", "type": "nominal", "sort": [labels[i] for i in ids if i in labels],
                                   "title": None}}}


def _rising_table(table: pl.DataFrame) -> SectionTable:
    rows = [[str(r["rank"]), _label(r["handle"], r["id"]), f"{r['rising']:.2f}", f"{r['influence']:.3f}",
             f"{r['baseline_influence']:.3f}", f"{r['change']:+.3f}", compact(r["inlinks"]), f"{r['baseline_inlinks']:.1f}",
             compact(r.get("followers_gained")), ", ".join(r.get("flags") or [])]
            for r in table.head(ROWS).iter_rows(named=True)]
    return SectionTable("Rising accounts: the latest window against each account's own baseline",
                        ["rank", "account", "rising", "influence", "baseline", "change", "in-links", "baseline in-links",
                         "followers gained", "flags"], rows, numeric=(0, 2, 3, 4, 5, 6, 7, 8))


def _spike_table(spikes: pl.DataFrame) -> SectionTable:
    rows = [[_label(r.get("handle"), r["id"]), _when(r["day"]), compact(r["followers_before"]), compact(r["jump"]),
             compact(r["expected"]), f"{r['z']:.1f}"] for r in spikes.head(ROWS).iter_rows(named=True)]
    return SectionTable("Follower spikes: jumps far above the account's own trend (possible bought followers)",
                        ["account", "day", "followers before", "jump", "expected", "robust z"], rows, numeric=(2, 3, 4, 5))


def _events_table(events: pl.DataFrame) -> SectionTable:
    shown = events.filter(pl.col("event") != "stable").head(15)
    rows = [[_when(r["start"]), r["event"], ", ".join(map(str, r["before"])) or "—", ", ".join(map(str, r["after"])) or "—",
             compact(r["size_before"]), compact(r["size_after"]), r["label"] or ""] for r in shown.iter_rows(named=True)]
    return SectionTable("Community changes between consecutive windows (matched by member overlap)",
                        ["window", "event", "before", "after", "size before", "size after", "top accounts"], rows,
                        numeric=(4, 5))


def _lead(niche: str, stored: StoredTrends) -> list[str]:
    table, windows = stored.table, stored.windows
    risers = table.filter(pl.col("rising") > 0).head(TOP_RISERS)
    names = ", ".join(_label(h, i) for i, h in risers.select("id", "handle").iter_rows())
    lead = [f"Rising in {niche}: {names}." if names else f"No account is rising in {niche} in the latest window."]
    last = windows.row(windows.height - 1, named=True)
    lead.append(f"The latest window ({_when(last['start'])} to {_when(last['end'])}) against each account's own baseline "
                f"over the {windows.height - 1} window(s) before it ({stored.facts['window']} each).")
    if stored.spikes.height:
        spiked = ", ".join(f"{_label(r.get('handle'), r['id'])} on {_when(r['day'])}"
                           for r in stored.spikes.head(5).iter_rows(named=True))
        lead.append(f"Follower spikes (possible bought followers): {spiked}.")
    changed = stored.events.filter(pl.col("event") != "stable")
    if changed.height:
        counts = changed.group_by("event").len().sort("len", "event", descending=[True, False])
        lead.append("Communities: " + ", ".join(f"{n} {e}" for e, n in counts.iter_rows()) + ".")
    return lead


def trends_section(niche: str, stored: StoredTrends) -> ReportSection:
    """The report section of one niche's stored trends (see the module docstring)."""
    table, windows = stored.table, stored.windows
    last = windows.row(windows.height - 1, named=True)
    facts = [("window", stored.facts["window"]), ("windows", str(windows.height)),
             ("latest window", f"{_when(last['start'])} to {_when(last['end'])}"),
             ("members in the latest window", compact(last["members"])),
             ("candidates in the latest window", compact(last["candidates"])),
             ("rising accounts", compact(table.filter(pl.col("rising") > 0).height)),
             ("follower spikes", compact(stored.spikes.height))]
    tables = [_rising_table(table)]
    if stored.spikes.height:
        tables.append(_spike_table(stored.spikes))
    if stored.events.filter(pl.col("event") != "stable").height:
        tables.append(_events_table(stored.events))
    top = table.head(CHART_RISERS)["id"].to_list()
    charts = [SectionChart(f"trends-{niche_key(niche)}-influence", f"Niche influence per window: the top {len(top)} risers",
                           influence_spec(stored.series, top))] if top else []
    return ReportSection(anchor=f"trends-{niche_key(niche)}", title=f"Rising in {niche}", lead=_lead(niche, stored),
                         facts=facts, tables=tables, charts=charts)


def section(workspace: "Workspace") -> list[ReportSection] | None:
    """One section per niche with stored trends, in stored-name order; None when there are none.

    Example: ``section(ws)[0].lead[0]`` is like "Rising in specialty-coffee: @a, @b, @c.".
    """
    found = [trends_section(niche, stored) for niche, stored in stored_trends(workspace).items() if stored.windows.height]
    return found or None
