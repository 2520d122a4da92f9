"""The report: one static, offline `index.html` that answers "whom should I pick for this niche, and why".

Decision first. Per ranked niche the page opens with the recommended shortlist as cards (handle,
name, role and tier badges, niche influence beside reach, audience relevance, new reach, the
evidence sentence, warning badges, audience quality when the ranking has it), then the ranking
as a compact table (human titles, formatted numbers, a click on a row shows its evidence, ids
hidden unless asked for, filters and search), then charts (`charts`: Vega-Lite rendered to SVG
at export time). Every account links to a profile panel (every score component, top engagers,
community) and to its place on the niche map.

Same safety rules as the map (see `html_map`): influgraph's own autoescaping template, a
Content-Security-Policy that allows only the page's own script, every text cell `dir="auto"`
so Persian and Arabic display right to left; the charts are cleaned SVG (`charts.clean_svg`).
Map file names and anchors come from niche names through `results.niche_key` (distinct names,
distinct files), and are checked to stay inside the report folder.

The workspace is read once (`read_view_data`: the graph and the stored results); every map is a
view of that data. A niche's rank-agreement table is the one stored with its ranking.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import quote

import numpy as np
import polars as pl

from ..atomic import atomic_write_bytes
from ..errors import BadInput
from ..schema import account_key
from ..results import StoredRanking, StoredShortlist, load_rings, niche_key, stored_shortlists
from . import charts
from .html_map import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, asset, csp, ranking_badges, render_page, write_map
from .paths import check_folder, guard_write
from .report_sections import time_sections
from .views import ViewData, graph_view, read_view_data

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..workspace import Workspace

__all__ = ["write_report", "ReportResult", "RANK_COLUMNS", "compact", "share", "reach_curves"]

RANK_COLUMNS = ("rank", "handle", "name", "role", "tier", "niche_influence", "audience_relevance", "reach",
                "niche_engagement", "lift", "community", "flags", "evidence")
QUALITY_PARTS = ("authentic_follower_share", "authentic_engager_share", "bot_follower_share", "mass_follower_share",
                 "hunter_engager_share", "ring_engager_share")
CARDS_WITHOUT_SHORTLIST = 5
Progress = Callable[[str, int, "int | None"], None]


@dataclass
class ReportResult:
    """Where the report and its maps were written."""

    index: Path
    maps: dict[str, Path] = field(default_factory=dict)  # "all" or niche name -> map file


def compact(value: object) -> str:
    """A count for people: 940, 12.3K, 2.5M; floats of whole numbers print as integers; None as a dash.

    Example: ``compact(2_501_021) == "2.5M"``; ``compact(153.0) == "153"``.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    number = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= limit * 10 or (abs(number) >= limit and suffix != "K"):
            text = f"{number / limit:.1f}".rstrip("0").rstrip(".")
            return text + suffix
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:.0f}" if number == int(number) else f"{number:.2f}".rstrip("0").rstrip(".")


def share(value: object) -> str:
    """A share in [0, 1] as a percentage ("94%"); None as a dash.

    Example: ``share(0.9428) == "94%"``.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{float(value):.0%}"


def _score(value: object) -> str:
    return "—" if value is None else f"{float(value):.3f}"


def _inside(folder: Path, name: str) -> Path:
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise BadInput(f"refusing to write {name!r} outside the report folder", path=folder)
    return path


def _map(data: ViewData, maps_dir: Path, name: str, niche: str | None, budgets: dict, seed: int) -> tuple[Path, str]:
    """Write the map of `niche` (None: the whole workspace) as maps/NAME; returns its path and caption."""
    path = _inside(maps_dir, name)
    view = graph_view(data, niche=niche, **budgets)
    write_map(view, path, seed=seed, badges=ranking_badges(data.rankings, niche))
    return path, view.caption()


def _flags(row: dict) -> list[str]:
    """The badges of a ranked account: its `flags` (helper columns), else one derived from its warning."""
    flags = [str(f) for f in (row.get("flags") or [])]
    if not flags and row.get("warning"):
        flags = ["low niche relevance"]
    return flags


def _bar(value: object, maximum: float = 1.0) -> int:
    """A bar's width in percent of its track."""
    if value is None or not maximum:
        return 0
    return int(round(max(0.0, min(1.0, float(value) / maximum)) * 100))


def _reach_bar(reach: object, top: float) -> int:
    """Reach on a log scale, so 200 followers and 2.5M both show."""
    if not reach or not top:
        return 0
    return _bar(math.log10(float(reach) + 1), math.log10(top + 1))


def _account(row: dict, stem: str, top_reach: float, members: dict[str, str]) -> dict:
    """What the cards, the table and the profile panel show of one ranked account."""
    quality = row.get("audience_quality")
    return {
        "anchor": f"p-{stem}-{row['rank']}", "map": f"maps/map-{stem}.html#{quote(str(row['id']), safe='')}",
        "id": str(row["id"]), "rank": row["rank"], "handle": row.get("handle") or str(row["id"]), "name": row.get("name") or "",
        "role": row.get("role") or "—", "tier": row.get("tier") or "—", "flags": _flags(row), "warning": row.get("warning") or "",
        "evidence": row.get("evidence") or "", "lang": row.get("lang") or "",
        "influence": _score(row.get("niche_influence")), "influence_bar": _bar(row.get("niche_influence")),
        "reach": compact(row.get("reach")), "reach_bar": _reach_bar(row.get("reach"), top_reach), "reach_sort": row.get("reach") or 0,
        "relevance": share(row.get("audience_relevance")), "relevance_sort": row.get("audience_relevance") or 0,
        "engagement": compact(row.get("niche_engagement")), "engagement_sort": row.get("niche_engagement") or 0,
        "lift": "—" if row.get("lift") is None else f"{row['lift']:.1f}×", "lift_sort": row.get("lift") or 0,
        "community": "—" if row.get("community") is None else str(row["community"]),
        "community_text": members.get(str(row.get("community")), ""),
        "quality": None if quality is None else share(quality), "quality_bar": _bar(quality),
        "quality_sort": -1 if quality is None else quality,
        "components": [(c.removeprefix("component_").replace("_", " "), _score(row[c]), _bar(row[c]))
                       for c in row if c.startswith("component_") and row[c] is not None],
        "facts": _facts(row),
        "top_engagers": [str(e) for e in (row.get("top_engagers") or [])],
    }


def _facts(row: dict) -> list[tuple[str, str]]:
    """The profile panel's numbers, labelled for people."""
    facts = [("followers", compact(row.get("followers"))), ("reach", compact(row.get("reach"))),
             ("engagement", compact(row.get("engagement"))), ("on niche content", compact(row.get("niche_engagement"))),
             ("engagers", compact(row.get("engagers"))), ("of them niche members", compact(row.get("member_engagers"))),
             ("engager relevance", share(row.get("engager_relevance"))), ("follower relevance", share(row.get("follower_relevance"))),
             ("audience relevance", share(row.get("audience_relevance"))), ("niche PageRank", _score(row.get("niche_pagerank"))),
             ("lift (influence per reach)", "—" if row.get("lift") is None else f"{row['lift']:.2f}")]
    if "audience_quality" in row:
        facts.append(("audience quality", share(row.get("audience_quality"))))
        facts += [(c.replace("_", " "), share(row.get(c))) for c in QUALITY_PARTS if c in row]
    return facts


def reach_curves(edges: pl.DataFrame, table: pl.DataFrame, picks: pl.DataFrame | None, k: int) -> pl.DataFrame:
    """Unique niche members reached after the first 1..k accounts: the shortlist, top-k by followers, top-k by score.

    The audience of an account is the niche members who follow it or engage with it
    (`shortlisting.audience_matrix`); the union is counted once.

    Returns
    -------
    A frame with columns series, k, reach.

    Example: ``reach_curves(ws.table("edges"), stored.table, shortlist.picks, 10)``.
    """
    from ..shortlisting import audience_matrix

    members = table.filter(pl.col("member").fill_null(False))["id"] if "member" in table.columns else table["id"]
    orders = {"top-k by niche score": table.sort("rank")["id"].head(k),
              "top-k by followers": table.sort(["followers", "rank"], descending=[True, False], nulls_last=True)["id"].head(k)}
    if picks is not None and picks.height:
        orders = {"shortlist": picks.sort("pick")["id"].head(k), **orders}
    candidates = pl.concat(list(orders.values())).unique(maintain_order=True)
    matrix = audience_matrix(edges, candidates, members).tocsr()
    row_of = {cid: i for i, cid in enumerate(candidates.to_list())}
    rows = []
    for series, ids in orders.items():
        seen = np.zeros(matrix.shape[1], dtype=bool)
        for step, cid in enumerate(ids.to_list(), start=1):
            seen[matrix[row_of[cid]].indices] = True
            rows.append({"series": series, "k": step, "reach": int(seen.sum())})
    return pl.DataFrame(rows, schema={"series": pl.String, "k": pl.Int64, "reach": pl.Int64})


def _community_texts(profiles: pl.DataFrame | None, labels: dict[int, str]) -> dict[str, str]:
    """Community number -> "#tag1 #tag2 #tag3 · led by a, b" for the profile panel."""
    if profiles is None:
        return {}
    texts = {}
    for row in profiles.select("community", *[c for c in ("top_accounts",) if c in profiles.columns]).iter_rows(named=True):
        leaders = ", ".join(str(a) for a in (row.get("top_accounts") or [])[:3])
        texts[str(row["community"])] = " · ".join(t for t in (labels.get(int(row["community"]), ""), f"led by {leaders}" if leaders else "") if t)
    return texts


def _table_rows(table: pl.DataFrame, rows: int) -> pl.DataFrame:
    """The ranking rows the table shows: the top `rows`, and every flagged account below them (so filters find them)."""
    flagged = pl.col("warning").is_not_null() if "warning" in table.columns else pl.lit(False)
    if "flags" in table.columns:
        flagged = flagged | (pl.col("flags").list.len() > 0).fill_null(False)
    ranked = table.sort("rank")
    return pl.concat([ranked.head(rows), ranked.slice(rows).filter(flagged)])


def _cards(table: pl.DataFrame, shortlist: StoredShortlist | None, accounts: dict[str, dict]) -> tuple[list[dict], str]:
    """The recommended accounts as cards (the stored shortlist, else the top of the ranking) and the note above them."""
    if shortlist is None or shortlist.picks.height == 0:
        top = table.sort("rank").head(CARDS_WITHOUT_SHORTLIST)
        return ([{**accounts[str(i)], "pick": n + 1, "new": "", "audience": ""} for n, i in enumerate(top["id"].to_list())],
                "No shortlist stored for this niche: the top accounts by niche influence.")
    cards = []
    for pick in shortlist.picks.sort("pick").iter_rows(named=True):
        base = accounts.get(str(pick["id"])) or _account({**pick, "evidence": pick.get("explanation")}, "", 0, {})
        cards.append({**base, "pick": pick["pick"], "new": f"+{compact(pick.get('marginal_reach'))}",
                      "audience": compact(pick.get("audience")), "cumulative": compact(pick.get("cumulative_reach"))})
    return cards, ""


def _charts(table: pl.DataFrame, shortlist: StoredShortlist | None, curves: pl.DataFrame,
            render: Callable[[dict], "Future[str]"]) -> list[dict]:
    """The niche's charts, each with a title, a caption, its mark count (for the tests) and its cleaned SVG as
    a future of `render` (`charts.BackgroundRenderer.submit`)."""
    plotted = min(table.height, charts.SCATTER_MAX)
    found = [{"id": "scatter", "title": "Reach against niche influence", "marks": plotted,
              "note": "One dot per candidate. Far right and low: big audience, little standing in the niche (celebrities, "
                      "bought followers). High: the niche's experts.", "svg": render(charts.scatter_spec(table))},
             {"id": "cumulative", "title": "Unique niche reach as accounts are added", "marks": curves.height,
              "note": "The shortlist picks for new audience; top-k lists repeat the same readers.",
              "svg": render(charts.cumulative_spec(curves))}]
    if shortlist is not None and shortlist.overlap is not None and shortlist.overlap.height:
        cells = charts.overlap_matrix(shortlist.overlap).filter(pl.col("a") != pl.col("b")).height
        found.append({"id": "overlap", "title": "Audience overlap", "marks": cells,
                      "note": "Row account's niche audience also reached by the column account; dark cells: pick one of the two.",
                      "svg": render(charts.overlap_spec(shortlist.overlap))})
    found.append({"id": "distribution", "title": "Distribution of niche influence", "marks": None,
                  "note": "Candidates per score band (log count): a few accounts stand far above the rest.",
                  "svg": render(charts.distribution_spec(table))})
    return found


def _reach_line(curves: pl.DataFrame, members: int) -> str:
    """One sentence: the shortlist's unique reach against the two top-k baselines."""
    last = curves.group_by("series").agg(pl.col("reach").last(), pl.col("k").max())
    values = dict(last.select("series", "reach").iter_rows())
    if "shortlist" not in values:
        return ""
    k = int(last.filter(pl.col("series") == "shortlist")["k"][0])
    picked = curves.filter(pl.col("k") == k)
    at = dict(picked.select("series", "reach").iter_rows())
    return (f"These {k} reach {at['shortlist']:,} of {members:,} niche members; the top {k} by followers reach "
            f"{at.get('top-k by followers', 0):,}, the top {k} by niche score {at.get('top-k by niche score', 0):,}.")


def _rings_line(rings: pl.DataFrame | None, table: pl.DataFrame) -> str:
    """One sentence on the engagement rings with members among the niche's candidates (empty when none).

    The rings are found on the whole graph; the ranking's `ring` column says which ring each candidate is in.
    """
    if rings is not None and "ring" in table.columns:
        rings = rings.join(table.select(pl.col("ring").drop_nulls().unique()), on="ring", how="semi")
    if rings is None or rings.height == 0 or "ring" not in table.columns:
        return ""
    largest = rings.sort(["size", "ring"], descending=[True, False]).row(0, named=True)
    names = ", ".join(str(h) for h in (largest.get("handles") or largest.get("ids") or [])[:4])
    count = int(rings["size"].sum())
    return (f"{rings.height:,} engagement ring{'s' if rings.height != 1 else ''} found ({count:,} accounts that follow and "
            f"repost each other, not counted as an authentic audience); the largest: {int(largest['size'])} accounts, "
            f"density {float(largest['density']):.2f}, {float(largest['lift']):,.0f}× chance ({names}...).")


def _niche_section(niche: str, stored: StoredRanking, shortlist: StoredShortlist | None, edges: pl.DataFrame,
                   caption: str, rows: int, members: dict[str, str], rings: pl.DataFrame | None,
                   render: Callable[[dict], "Future[str]"]) -> dict:
    """The section of one ranked niche: cards, the ranking table, charts (their SVG as futures of `render`),
    profiles and the agreement table."""
    table = stored.table
    stem = niche_key(niche)
    top_reach = float(table["reach"].max() or 0) if "reach" in table.columns else 0.0
    shown = _table_rows(table, rows)
    accounts = {str(r["id"]): _account(r, stem, top_reach, members) for r in shown.iter_rows(named=True)}
    if shortlist is not None:
        on = account_key(table, shortlist.picks)
        extra = table.join(shortlist.picks.select(on), on=on, how="semi").join(shown.select(on), on=on, how="anti")
        accounts.update({str(r["id"]): _account(r, stem, top_reach, members) for r in extra.iter_rows(named=True)})
    cards, cards_note = _cards(table, shortlist, accounts)
    k = max(len(cards), 10)
    curves = reach_curves(edges, table, shortlist.picks if shortlist is not None else None, k)
    niche_members = int(table["member"].sum()) if "member" in table.columns else table.height
    flagged = sum(1 for a in accounts.values() if a["flags"])
    return {
        "anchor": f"niche-{stem}", "stem": stem, "niche": niche, "cards": cards, "cards_note": cards_note,
        "summary": [f"{table.height:,} candidates ranked by niche influence (influence within the niche; reach is shown apart); "
                    f"{niche_members:,} niche members.", _reach_line(curves, niche_members), _rings_line(rings, table)],
        "map": f"maps/map-{stem}.html", "caption": caption, "flagged": flagged,
        "rows": [accounts[str(i)] for i in shown["id"].to_list()], "total": table.height, "top_rows": min(rows, table.height),
        "flagged_below": shown.height - min(rows, table.height),
        "profiles": list(accounts.values()), "charts": _charts(table, shortlist, curves, render),
        "has_quality": "audience_quality" in table.columns,
        "facets": {"tier": _values(shown, "tier"), "role": _values(shown, "role"), "lang": _values(shown, "lang"),
                   "flag": sorted({f for a in accounts.values() for f in a["flags"]})},
        "agreement": [{"a": r["measure_a"].replace("_", " "), "b": r["measure_b"].replace("_", " "),
                       "rho": "—" if r["spearman"] is None else f"{r['spearman']:.2f}", "top10": share(r["top10_overlap"])}
                      for r in stored.agreement.iter_rows(named=True)] if {"measure_a", "spearman"} <= set(stored.agreement.columns) else [],
    }


def _values(frame: pl.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return sorted(str(v) for v in frame[column].drop_nulls().unique().to_list())


def _communities(data: ViewData, render: Callable[[dict], "Future[str]"]) -> dict | None:
    """The communities section: a size chart (its SVG a future of `render`) and one row per community (hashtags,
    leaders, brokers)."""
    profiles = data.profiles
    if profiles is None or profiles.height == 0:
        return None
    rows = []
    for row in profiles.sort("size", descending=True).head(30).iter_rows(named=True):
        tags = row.get("hashtags") or []
        rows.append({"community": row["community"], "size": compact(row.get("size")), "share_leaving": share(row.get("share_leaving")),
                     "hashtags": [f"#{str(t).lstrip('#')}" for t in tags[:5]], "leaders": [str(a) for a in (row.get("top_accounts") or [])[:5]],
                     "brokers": [str(a) for a in (row.get("brokers") or [])[:3]], "languages": ", ".join(str(x) for x in row.get("languages") or [])})
    svg = render(charts.communities_spec(profiles, data.community_labels))
    return {"rows": rows, "svg": svg, "total": profiles.height}


def write_report(workspace: "Workspace", out: str | Path, *, max_nodes: int | None = DEFAULT_MAX_NODES,
                 max_edges: int | None = DEFAULT_MAX_EDGES, rows: int = 100, seed: int = 0,
                 progress: Progress | None = None) -> ReportResult:
    """Write `out/index.html` and `out/maps/*.html` for `workspace`; returns their paths.

    Parameters
    ----------
    workspace : the workspace to report on: its stored communities, rankings and shortlists.
    out : the report folder (created).
    max_nodes, max_edges : the budgets of every map (see `graph_view`).
    rows : the ranking table shows the top `rows` candidates of each niche (and every flagged one below).
    seed : the seed of the maps' layout.
    progress : called as progress(step, done, total) after each map and section (see `influgraph.progress`).

    Example: ``write_report(ws, "report").maps["persian-books"]``.
    """
    from .. import __version__

    folder = check_folder(out, "the report is a folder (index.html and maps/)", workspace.path)
    maps_dir = folder / "maps"
    with guard_write(maps_dir):
        maps_dir.mkdir(parents=True, exist_ok=True)
    result = ReportResult(index=folder / "index.html")
    tell = progress or (lambda step, done, total: None)
    with charts.BackgroundRenderer() as renderer:  # the charts render on a second thread while the maps are laid out
        data = read_view_data(workspace)
        budgets = {"max_nodes": max_nodes, "max_edges": max_edges}
        steps, done = 2 + 2 * len(data.rankings), 0
        result.maps["all"], all_caption = _map(data, maps_dir, "map-all.html", None, budgets, seed)
        tell("report: map of the whole workspace", done := done + 1, steps)
        shortlists = stored_shortlists(workspace)
        edges = workspace.table("edges") if data.rankings else None
        members = _community_texts(data.profiles, data.community_labels)
        sections = []
        for niche, stored in data.rankings.items():
            result.maps[niche], caption = _map(data, maps_dir, f"map-{niche_key(niche)}.html", niche, budgets, seed)
            tell(f"report: map of niche {niche}", done := done + 1, steps)
            sections.append(_niche_section(niche, stored, shortlists.get(niche), edges, caption, rows, members,
                                           load_rings(workspace, niche), renderer.submit))
            tell(f"report: section of niche {niche}", done := done + 1, steps)
        communities = _communities(data, renderer.submit)
        over_time = time_sections(workspace, render=renderer.submit)
        counts = workspace.counts()
        app_js = asset("report.js")
        from markupsafe import Markup

        for section in sections:
            for chart in section["charts"]:
                chart["svg"] = Markup(chart["svg"].result())
        if communities:
            communities["svg"] = Markup(communities["svg"].result())
        for extra in over_time:
            for chart in extra.charts:
                chart.svg = Markup(chart.svg.result())
    html = render_page("report.html", title="influgraph report", version=__version__, csp=csp([app_js]),
                       subtitle=(f"{len(sections)} ranked niche{'s' if len(sections) != 1 else ''} · "
                                 + " · ".join(f"{n:,} {t}" for t, n in counts.items())
                                 + f" · from {workspace.path.resolve()} · influgraph {__version__}"),
                       sections=sections, over_time=over_time, communities=communities, all_map="maps/map-all.html", all_caption=all_caption,
                       styles=[Markup(asset("report.css"))], scripts=[Markup(app_js)])
    with guard_write(result.index):
        atomic_write_bytes(result.index, html.encode("utf-8"))
    tell("report: index.html", done + 1, steps)
    return result
