"""The report's "Campaign" sections: one per stored campaign (`results.save_campaign`).

Decision first (did the campaign reach the niche or only outsiders, who to pick next), then the
facts, the per-pick table (delivered against the shortlist's prediction), the outside amplifiers,
the largest cascades, a time series of engagements (niche members against outsiders) and the
tree of the largest cascade (x = hours since its campaign post, y = depth-first order, a rule
from each parent to its child).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from ..campaign import CampaignResult, series, tree_layout
from ..results import niche_key, stored_campaigns
from .report import compact, share
from .report_sections import ReportSection, SectionChart, SectionTable

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["section", "campaign_section", "series_spec", "tree_spec"]

ROWS = 10
NEXT = 3  # outside amplifiers named in the decision
TREE_NODES = 300  # at most this many nodes of the largest cascade are drawn
GROUPS = {"campaign post": "#1b7f3b", "niche members": "#1f77b4", "outsiders": "#d62728"}


def _label(handle: object, account: object) -> str:
    return f"@{handle}" if handle else str(account)


def series_spec(counts: pl.DataFrame, every: str) -> dict:
    """A Vega-Lite stacked bar chart of engagements per `every` (hour or day), niche members against outsiders.

    Example: ``series_spec(series(stored.engagements, since, until), "day")["mark"]["type"] == "bar"``.
    """
    values = [{"bucket": f"{row['bucket']:%Y-%m-%d %H:%M}", "group": row["group"], "engagements": int(row["engagements"])}
              for row in counts.iter_rows(named=True)]
    return {"width": 520, "height": 200, "data": {"values": values}, "mark": {"type": "bar"},
            "encoding": {"x": {"field": "bucket", "type": "ordinal", "title": f"{every} (UTC)",
                               "axis": {"labelAngle": -45, "labelOverlap": True}},
                         "y": {"field": "engagements", "type": "quantitative", "stack": True, "title": "engagements"},
                         "color": {"field": "group", "type": "nominal", "title": None,
                                   "scale": {"domain": list(GROUPS)[1:], "range": list(GROUPS.values())[1:]}}}}


def tree_spec(tree: pl.DataFrame) -> dict:
    """A Vega-Lite layered chart of one cascade laid out by `campaign.tree_layout`: rules from parent to child, points.

    Example: ``[layer["mark"]["type"] for layer in tree_spec(tree)["layer"]] == ["rule", "point"]``.
    """
    def group(row: dict) -> str:
        return "campaign post" if row["depth"] == 0 else "niche members" if row.get("member") else "outsiders"

    points = [{"x": round(float(r["x"]), 4), "y": int(r["y"]), "account": _label(r.get("handle"), r["account"]),
               "kind": r["kind"] or "post", "group": group(r)} for r in tree.iter_rows(named=True)]
    rules = [{"x": round(float(r["parent_x"]), 4), "y": int(r["parent_y"]), "x2": round(float(r["x"]), 4), "y2": int(r["y"])}
             for r in tree.filter(pl.col("parent_y").is_not_null()).iter_rows(named=True)]
    x = {"field": "x", "type": "quantitative", "title": "hours since the campaign post"}
    y = {"field": "y", "type": "quantitative", "title": "tree order (depth first)", "scale": {"reverse": True},
         "axis": {"labels": False, "ticks": False}}
    return {"width": 520, "height": max(120, min(600, 6 * len(points))),
            "layer": [{"data": {"values": rules}, "mark": {"type": "rule", "color": "#b8bfcc", "strokeWidth": 1},
                       "encoding": {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"}}},
                      {"data": {"values": points}, "mark": {"type": "point", "filled": True, "size": 40},
                       "encoding": {"x": x, "y": y,
                                    "color": {"field": "group", "type": "nominal", "title": None,
                                              "scale": {"domain": list(GROUPS), "range": list(GROUPS.values())}},
                                    "shape": {"field": "kind", "type": "nominal", "title": None},
                                    "tooltip": [{"field": "account"}, {"field": "kind"}, {"field": "x", "title": "hours"}]}}]}


def _picks_table(picks: pl.DataFrame) -> SectionTable:
    rows = [[str(r["pick"]), _label(r["handle"], r["id"]), compact(r["posts"]), compact(r["cascade_nodes"]),
             compact(r["member_engagements"]), compact(r["outsider_engagements"]), compact(r["reach"]), compact(r["new_reach"]),
             compact(r["predicted_marginal_reach"]), share(r["delivered_vs_predicted"])] for r in picks.iter_rows(named=True)]
    return SectionTable("Picks: what each delivered against what its shortlist row predicted (marginal reach)",
                        ["pick", "account", "posts", "cascade nodes", "member engagements", "outsider engagements",
                         "members reached", "new members", "predicted new", "delivered / predicted"], rows,
                        numeric=tuple(range(2, 10)))


def _amplifiers_table(amplifiers: pl.DataFrame) -> SectionTable:
    rows = [[str(r["rank"]), _label(r["handle"], r["id"]), "member" if r["member"] else "outsider", compact(r["drawn"]),
             compact(r["member_drawn"]), compact(r["reposts"]), compact(r["quotes"]), compact(r["replies"]),
             compact(r["member_followers"])] for r in amplifiers.head(ROWS).iter_rows(named=True)]
    return SectionTable("Outside amplifiers: accounts outside the picks whose cascade posts drew the most engagement "
                        "(the next campaign's candidates)",
                        ["rank", "account", "in the niche", "engagements drawn", "from members", "reposts", "quotes", "replies",
                         "member followers"], rows, numeric=(3, 4, 5, 6, 7, 8))


def _cascades_table(cascades: pl.DataFrame, handles: dict[str, str]) -> SectionTable:
    rows = [[_label(handles.get(r["root_account"]), r["root_account"]), f"{r['first_at']:%Y-%m-%d %H:%M}", compact(r["size"]),
             compact(r["depth"]), compact(r["max_breadth"]), compact(r["member_engagements"]),
             compact(r["outsider_engagements"]), compact(r["reach"])] for r in cascades.head(ROWS).iter_rows(named=True)]
    return SectionTable("The largest cascades", ["posted by", "at", "size", "depth", "breadth", "member engagements",
                                                 "outsider engagements", "members exposed"], rows, numeric=(2, 3, 4, 5, 6, 7))


def _lead(stored: CampaignResult, handles: dict[str, str]) -> list[str]:
    facts = stored.facts
    lead = [f"Campaign {facts['name']} in {facts['niche']}: {facts['verdict']}."]
    shown = stored.amplifiers.head(NEXT)
    if shown.height:
        names = ", ".join(_label(h, i) for i, h in shown.select("id", "handle").iter_rows())
        lead.append(f"Next campaign: {names} amplified it most from outside the picks.")
    measured = stored.picks.filter(pl.col("predicted_marginal_reach").is_not_null())
    if measured.height:
        low = measured.filter(pl.col("new_reach") < pl.col("predicted_marginal_reach"))
        lead.append(f"{measured.height - low.height} of {measured.height} picks delivered at least the new members their "
                    f"shortlist row predicted" + (": short were " + ", ".join(
                        _label(h, i) for i, h in low.select("id", "handle").iter_rows()) + "." if low.height else "."))
    return lead


def campaign_section(stored: CampaignResult) -> ReportSection:
    """The report section of one stored campaign (see the module docstring)."""
    facts = stored.facts
    handles = {i: h for i, h in stored.nodes.select("account", "handle").iter_rows() if h} if "handle" in stored.nodes.columns else {}
    since, until = datetime.fromisoformat(facts["since"]), datetime.fromisoformat(facts["until"])
    shown = [("niche", facts["niche"]), ("hashtags", ", ".join(f"#{t}" for t in facts["hashtags"])),
             ("window", f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"), ("campaign posts", compact(facts["posts"])),
             ("cascade nodes", compact(facts["cascade_nodes"])),
             ("largest cascade", f"{compact(facts['largest_size'])} nodes, depth {facts['max_depth']}"),
             ("accounts exposed", compact(facts["exposed"])), ("niche members reached", compact(facts["unique_reach"])),
             ("engagements", compact(facts["engagements"])), ("from niche members", compact(facts["member_engagements"])),
             ("from outsiders", compact(facts["outsider_engagements"])), ("engaging niche members", compact(facts["member_engagers"]))]
    tables = [_picks_table(stored.picks)]
    if stored.amplifiers.height:
        tables.append(_amplifiers_table(stored.amplifiers))
    if stored.cascades.height:
        tables.append(_cascades_table(stored.cascades, handles))
    key = niche_key(facts["name"])
    every = "hour" if (until - since).total_seconds() <= 3 * 86400 else "day"
    charts = []
    counts = series(stored.engagements, since, until)
    if counts.height:
        charts.append(SectionChart(f"campaign-{key}-series", f"Engagements per {every}: niche members and outsiders",
                                   series_spec(counts, every)))
    if facts["largest_cascade"] is not None and facts["largest_size"] > 1:
        tree = tree_layout(stored.nodes.filter(pl.col("cascade") == facts["largest_cascade"]), limit=TREE_NODES)
        title = f"The largest cascade ({compact(facts['largest_size'])} nodes" + (
            f", the first {TREE_NODES} drawn)" if facts["largest_size"] > TREE_NODES else ")")
        charts.append(SectionChart(f"campaign-{key}-tree", title, tree_spec(tree)))
    return ReportSection(anchor=f"campaign-{key}", title=f"Campaign {facts['name']}", lead=_lead(stored, handles),
                         facts=shown, tables=tables, charts=charts)


def section(workspace: "Workspace") -> list[ReportSection] | None:
    """The sections of every stored campaign, or None when the workspace holds none.

    Example: ``section(ws)[0].lead[0]`` is the campaign's decision line.
    """
    campaigns = stored_campaigns(workspace)
    return [campaign_section(stored) for stored in campaigns.values()] or None
