"""The report's crisis-amplifier section: who to answer first about a complaint, from the stored amplifiers.

One section per stored complaint (`results.stored_amplifiers`), built from plain strings and a
Vega-Lite spec (the `report_sections.ReportSection` shape): the decision first ("Answer @x
first: ..."), then the first spreaders, the amplifiers with their reach into the brand's audience
and their brokerage, and the time line of posts and reposts per hour or day.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..results import StoredAmplifiers, load_community_profiles, niche_key, stored_amplifiers
from .report import compact, share
from .report_sections import ReportSection, SectionChart, SectionTable

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["section", "amplifier_section", "community_names", "timeline_spec"]

TOP = 15  # amplifier rows shown
FIRST = 5  # first spreaders shown


def _label(handle: object, account: object) -> str:
    return f"@{handle}" if handle else str(account)


def _when(value: object) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def community_names(profiles: pl.DataFrame | None) -> dict[int, str]:
    """Community number -> "community 2 (#specialtycoffee)": its most used hashtag from the stored profiles, if any."""
    if profiles is None or "hashtags" not in profiles.columns:
        return {}
    return {int(row["community"]): f"community {row['community']}" + (f" (#{row['hashtags'][0]})" if row["hashtags"] else "")
            for row in profiles.select("community", "hashtags").iter_rows(named=True)}


def _decision(stored: StoredAmplifiers, names: dict[int, str]) -> list[str]:
    """The lead: who to answer first and why, then where it started and who carried it furthest across communities."""
    summary, table = stored.summary, stored.table
    audience = int(summary["audience"] or 0)
    if table.height == 0:
        return [f"No account spreads the complaint {summary['complaint']!r} in this workspace."]
    top = table.row(0, named=True)
    lead = [f"Answer {_label(top['handle'], top['id'])} first: its complaint posts reach {top['reach']:,} of the brand's "
            f"{audience:,}-account audience ({share(top['reach'] / audience if audience else None)}), "
            f"{top['cascade_reach']:,} with the accounts it passed it to."]
    first = table.filter(pl.col("first") == 1)
    if first.height:
        row = first.row(0, named=True)
        lead.append(f"It started with {_label(row['handle'], row['id'])} at {_when(row['first_at'])}.")
    broker = table.filter(pl.col("brokerage_rank") == 1).row(0, named=True)
    if broker["brokerage"]:
        into = ", ".join(names.get(c, f"community {c}") for c in broker["carried_into"][:3])
        lead.append(f"{_label(broker['handle'], broker['id'])} carried it across communities: {broker['brokerage']:,} "
                    f"spreaders took it from them into {into}.")
    return lead


def _day(iso: object) -> str:
    """A stored ISO time as "2026-10-16 00:00 UTC" (None as "")."""
    return "" if not iso else str(iso)[:16].replace("T", " ") + " UTC"


def _facts(stored: StoredAmplifiers) -> list[tuple[str, str]]:
    s = stored.summary
    window = f"{_day(s['since']) or 'the first post'} to {_day(s['until']) or 'the last'}"
    audience = "followers of " + ", ".join(f"@{h}" for h in s["brand_handles"]) if s["brand_handles"] else "no brand account"
    if s["audience_niche"]:
        audience += f" and members of {s['audience_niche']}"
    return [("complaint", str(s["complaint"])), ("brand audience", f"{compact(s['audience'])} ({audience})"),
            ("complaint posts", compact(s["complaint_posts"])), ("cascade nodes", compact(s["cascade_nodes"])),
            ("spreaders", compact(s["spreaders"])), ("audience reached", f"{compact(s['reached'])} "
                                                      f"({share(s['reached'] / s['audience'] if s['audience'] else None)})"),
            ("window", window), ("communities", f"{s['communities']} (brokerage)"), *[("note", n) for n in s["notes"] or []]]


def _tables(table: pl.DataFrame, names: dict[int, str]) -> list[SectionTable]:
    first = table.filter(pl.col("first").is_not_null()).sort("first").head(FIRST)
    starts = SectionTable("First spreaders", ["#", "account", "first post", "reach", "cascade reach"],
                          [[str(r["first"]), _label(r["handle"], r["id"]), _when(r["first_at"]), compact(r["reach"]),
                            compact(r["cascade_reach"])] for r in first.iter_rows(named=True)], numeric=(0, 3, 4))
    rows = [[str(r["rank"]), _label(r["handle"], r["id"]), f"first #{r['first']}" if r["first"] else "", compact(r["reach"]),
             compact(r["new_reach"]), compact(r["cascade_reach"]), compact(r["brokerage"]),
             ", ".join(names.get(c, str(c)) for c in r["carried_into"][:3]), str(r["brokerage_rank"]), _when(r["first_at"])]
            for r in table.head(TOP).iter_rows(named=True)]
    amplifiers = SectionTable("Amplifiers by reach into the brand's audience",
                              ["rank", "account", "", "reach", "first reached", "cascade reach", "brokerage",
                               "carried into", "brokerage rank", "first spread"], rows, numeric=(0, 3, 4, 5, 6, 8))
    return [starts, amplifiers]


def timeline_spec(timeline: pl.DataFrame, bucket: str, *, width: int = 520, height: int = 200) -> dict:
    """A Vega-Lite spec: complaint posts, reposts, quotes and replies per hour or day, stacked bars.

    Example: ``timeline_spec(stored.timeline, "day")["mark"]["type"] == "bar"``.
    """
    long = timeline.select(pl.col("start").dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "posts", "reposts", "quotes", "replies").unpivot(
        index="start", variable_name="kind", value_name="count").filter(pl.col("count") > 0)
    unit = "yearmonthdatehours" if bucket == "hour" else "yearmonthdate"
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": width, "height": height,
            "data": {"values": long.to_dicts()}, "mark": {"type": "bar"},
            "encoding": {"x": {"field": "start", "type": "temporal", "timeUnit": {"unit": unit, "utc": True},
                               "title": f"per {bucket} (UTC)"},
                         "y": {"field": "count", "type": "quantitative", "aggregate": "sum", "title": "posts"},
                         "color": {"field": "kind", "type": "nominal", "title": None,
                                   "scale": {"domain": ["posts", "reposts", "quotes", "replies"],
                                             "range": ["#d62728", "#ff7f0e", "#9467bd", "#8a94a6"]}}},
            "config": {"view": {"stroke": None}, "font": "sans-serif", "aria": False, "background": "white",
                       "legend": {"orient": "bottom"}}}


def amplifier_section(stored: StoredAmplifiers, names: dict[int, str] | None = None) -> ReportSection:
    """The section of one stored complaint (see the module docstring); `names` labels communities (`community_names`)."""
    name = stored.complaint
    chart = SectionChart(id=f"amplifiers-timeline-{niche_key(name)}", title="Posts and reposts of the complaint",
                         spec=timeline_spec(stored.timeline, str(stored.summary["bucket"] or "day")))
    return ReportSection(anchor=f"amplifiers-{niche_key(name)}", title=f"Crisis amplifiers: {name}",
                         lead=_decision(stored, names or {}), facts=_facts(stored), tables=_tables(stored.table, names or {}),
                         charts=[chart])


def section(workspace: "Workspace") -> "ReportSection | list[ReportSection] | None":
    """The crisis-amplifier section of each stored complaint (one, a list for several), or None when none is stored.

    Example: ``section(ws).lead[0]`` starts with "Answer @...".
    """
    found = stored_amplifiers(workspace)
    names = community_names(load_community_profiles(workspace)) if found else {}
    sections = [amplifier_section(stored, names) for stored in found.values()]
    return None if not sections else sections[0] if len(sections) == 1 else sections
