"""Dynamic exports (exports/views.py `Timeline`, exports/files.py GEXF, the map's time slider).

A hand-made workspace with time (two observations a week apart: follows with no time, interactions
with `at`, posts, accounts first seen in the second week) is exported; the GEXF must validate
against the official GEXF 1.3 RelaxNG and its start times must equal what a small reference
implementation of the documented rule reads from the stored tables. In headless Chromium, both
renderers' time sliders must show exactly the edges that started by the slider's time.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from influgraph.exports.files import write_graph_file
from influgraph.exports.html_map import LARGE_VIEW, write_map
from influgraph.exports.views import graph_view, read_view_data
from influgraph.schema import Batch, conform
from influgraph.workspace import Workspace
from shared_data import shared_path

etree = pytest.importorskip("lxml.etree")
NS = {"g": "http://gexf.net/1.3"}
T0 = datetime(2026, 5, 1, tzinfo=timezone.utc)
EVERY_CLASS = ("\x00\x01\x0b\x1f\x7f\x85 \u200b\u200e\u202e\u2028\ufeff\ue000\U000f0000\ufffe\uffff\U0010ffff\u0301"
               "\u0645\U0001f600<>&'\"\t\r\n")


def timed_workspace(path: Path, accounts: int = 60, edges: int = 300, seed: int = 0) -> Workspace:
    """Two commits a week apart: week one holds half the accounts, week two all; follows carry no `at`."""
    rng = np.random.default_rng(seed)
    ws = Workspace(path)
    ids = [str(1000 + i) for i in range(accounts)]
    for week in (0, 1):
        seen = T0 + timedelta(days=7 * week + 7, minutes=5)  # observed at the end of the week
        k = accounts // 2 if week == 0 else accounts
        src, dst = rng.integers(0, k, edges), rng.integers(0, k, edges)
        kinds = rng.choice(["follow", "repost", "reply", "like", "mention"], edges)
        hours = rng.integers(0, 24 * 7, edges)
        at = [None if kind == "follow" else T0 + timedelta(days=7 * week, hours=int(h), microseconds=int(h) * 7)
              for kind, h in zip(kinds, hours)]
        ws.commit(Batch(
            accounts=conform(pl.DataFrame({"id": ids[:k], "platform": "x", "handle": [f"h{i}" for i in range(k)],
                                           "followers": [10 * i + week for i in range(k)],
                                           "observed_at": [seen] * k}), "accounts"),
            posts=conform(pl.DataFrame({"id": [f"q{week}_{i}" for i in range(5)], "platform": "x",
                                        "author_id": [ids[k - 1 - i] for i in range(5)],
                                        "created_at": [T0 + timedelta(days=7 * week, hours=i) for i in range(5)],
                                        "observed_at": [seen] * 5}), "posts"),
            edges=conform(pl.DataFrame({"src": [ids[i] for i in src], "dst": [ids[i] for i in dst], "kind": kinds,
                                        "platform": "x", "at": pl.Series(at, dtype=pl.Datetime("us", "UTC")),
                                        "post_id": [None if kd == "follow" else f"p{week}_{j}" for j, kd in enumerate(kinds)],
                                        "observed_at": [seen] * edges}), "edges")))
    return ws


def reference_starts(ws: Workspace) -> tuple[dict, dict]:
    """The documented rule, computed row by row from the stored tables: edge (src, dst) -> start, node -> start
    (None: present throughout)."""
    tables = {name: ws.table(name) for name in ("accounts", "posts", "edges", "observations")}
    first = min(t["observed_at"].min() for t in tables.values() if t.height)
    early = datetime.min.replace(tzinfo=timezone.utc)
    edge_times: dict[tuple[str, str], datetime] = {}
    for row in tables["edges"].iter_rows(named=True):
        if row["src"] == row["dst"]:
            continue
        t = row["at"] or (row["observed_at"] if row["observed_at"] > first else early)
        key = (row["src"], row["dst"])
        edge_times[key] = min(edge_times.get(key, t), t)
    node_times: dict[str, datetime] = {}
    candidates = [(a, t) for (s, d), t in edge_times.items() for a in (s, d)]
    candidates += [(r["author_id"], r["created_at"]) for r in tables["posts"].iter_rows(named=True)]
    seen: dict[str, datetime] = {}  # an account's first observation: its row or its count history
    for r in [*tables["accounts"].iter_rows(named=True), *tables["observations"].iter_rows(named=True)]:
        seen[r["id"]] = min(seen.get(r["id"], r["observed_at"]), r["observed_at"])
    candidates += [(account, t) for account, t in seen.items() if t > first]
    for account, t in candidates:
        node_times[account] = min(node_times.get(account, t), t)
    none_if_early = {key: (None if t == early else t) for key, t in edge_times.items()}
    return none_if_early, {key: (None if t == early else t) for key, t in node_times.items()}


@pytest.fixture(scope="module")
def schema():
    return etree.RelaxNG(file=str(shared_path("graph-file-schemas") / "gexf-1.3" / "gexf.rng"))


@pytest.fixture(scope="module")
def timed(tmp_path_factory) -> Workspace:
    return timed_workspace(tmp_path_factory.mktemp("timed") / "ws")


def parse_valid(path: Path, schema) -> "etree._ElementTree":
    document = etree.parse(str(path))
    assert schema.validate(document), str(schema.error_log.last_error)
    return document


def when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def test_the_dynamic_gexf_validates_and_its_start_times_equal_the_stored_times(timed, schema, tmp_path: Path) -> None:
    document = parse_valid(write_graph_file(graph_view(read_view_data(timed)), "gexf", tmp_path / "t.gexf")[0], schema)
    graph = document.find("g:graph", NS)
    assert (graph.get("mode"), graph.get("timeformat"), graph.get("timerepresentation")) == ("dynamic", "date", "interval")
    edges, nodes = reference_starts(timed)
    written_edges = {(e.get("source"), e.get("target")): when(e.get("start")) for e in document.iterfind(".//g:edge", NS)}
    written_nodes = {n.get("id"): when(n.get("start")) for n in document.iterfind(".//g:node", NS)}
    assert written_edges == edges
    assert written_nodes == {node: nodes.get(node) for node in written_nodes}
    assert sum(t is None for t in written_edges.values()) > 0 and sum(t is not None for t in written_edges.values()) > 100
    assert sum(t is None for t in written_nodes.values()) > 0 and sum(t is not None for t in written_nodes.values()) > 10
    assert not any(e.get("end") or n.get("end") for e, n in zip(document.iterfind(".//g:edge", NS),
                                                                  document.iterfind(".//g:node", NS)))
    read = nx.read_gexf(tmp_path / "t.gexf")  # networkx reads it too (as text times) and finds the same starts
    assert {(s, d): when(data.get("start")) for s, d, data in read.edges(data=True)} == edges
    assert {n: when(data.get("start")) for n, data in read.nodes(data=True)} == written_nodes
    real = [t for t in [*edges.values(), *nodes.values()] if t is not None]
    assert (when(graph.get("start")), when(graph.get("end"))) == (min(real), max(real))
    for source, target in written_edges:  # no edge starts before its accounts
        for end in (source, target):
            assert written_nodes[end] is None or (written_edges[source, target] or T0 - timedelta(1)) >= written_nodes[end]


def test_microseconds_survive_and_no_edge_starts_before_its_ends_at_scale(tmp_path: Path, schema) -> None:
    ws = timed_workspace(tmp_path / "ws", accounts=400, edges=4000, seed=3)
    view = graph_view(read_view_data(ws))
    document = parse_valid(write_graph_file(view, "gexf", tmp_path / "s.gexf")[0], schema)
    starts = [e.get("start") for e in document.iterfind(".//g:edge", NS) if e.get("start")]
    assert any("." in s for s in starts)  # the stored microseconds are written
    assert view.edge_start.drop_nulls().dt.microsecond().gt(0).any()
    edges, _ = reference_starts(ws)
    assert {(e.get("source"), e.get("target")): when(e.get("start")) for e in document.iterfind(".//g:edge", NS)} == edges


def test_a_workspace_without_time_exports_a_static_gexf(tmp_path: Path, schema) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.commit(Batch(accounts=conform(pl.DataFrame({"id": ["1", "2", "3"], "platform": "x", "handle": ["a", "b", "c"]}), "accounts"),
                    edges=conform(pl.DataFrame({"src": ["1", "2"], "dst": ["2", "3"], "kind": ["follow", "follow"],
                                                "platform": "x"}), "edges")))
    view = graph_view(read_view_data(ws))
    assert view.time_range is None and view.edge_start is None
    document = parse_valid(write_graph_file(view, "gexf", tmp_path / "s.gexf")[0], schema)
    graph = document.find("g:graph", NS)
    assert graph.get("mode") == "static" and graph.get("timeformat") is None
    assert not [e for e in document.iter() if e.get("start")]


TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(list(EVERY_CLASS))), max_size=20)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(TEXT, min_size=4, max_size=4),
       offsets=st.lists(st.one_of(st.none(), st.integers(-10**15, 10**15)), min_size=1, max_size=1))
def test_dynamic_gexf_with_hostile_text_and_any_times_validates(timed, schema, tmp_path: Path, names, offsets) -> None:
    view = graph_view(read_view_data(timed), max_nodes=30)
    nodes = view.nodes.with_columns(pl.Series("name", (names * 8)[:view.nodes.height]),
                                    pl.Series("bio", (names[::-1] * 8)[:view.nodes.height]),
                                    pl.Series("label", [f"{names[0]}{i}" for i in range(view.nodes.height)]))
    shift = timedelta(microseconds=offsets[0] or 0)
    changed = replace(view, nodes=nodes, edge_start=view.edge_start + shift, node_start=view.node_start + shift,
                      time_range=(view.time_range[0] + shift, view.time_range[1] + shift))
    document = parse_valid(write_graph_file(changed, "gexf", tmp_path / "h.gexf")[0], schema)
    starts = [when(e.get("start")) for e in document.iterfind(".//g:edge", NS)]
    assert starts == changed.edge_start.to_list()


# the map's time slider, in headless Chromium


def _expected(view, cutoff_ms: float) -> int:
    """Edges of the view present at `cutoff_ms`: no start, or a start at or before it (counted in Python)."""
    return sum(1 for t in view.edge_start.to_list() if t is None or t.timestamp() * 1000 <= cutoff_ms)


def _check_slider(page, view, renderer: str) -> list[int]:
    api = page.page
    assert api.evaluate("document.getElementById('map').dataset.renderer") == renderer
    steps = api.evaluate("influgraphMap.time.steps")
    assert api.evaluate("influgraphMap.visibleEdges()") == view.edges.height  # opens with everything shown
    counts = []
    for step in (0, steps // 4, steps // 2, 3 * steps // 4, steps):
        api.evaluate(f"influgraphMap.time.set({step})")
        cutoff = api.evaluate("influgraphMap.time.cutoff")
        visible = api.evaluate("influgraphMap.visibleEdges()")
        assert visible == _expected(view, cutoff), step
        assert api.evaluate("influgraphMap.time.count") == visible
        text = api.text_content("#time-range")
        assert f"{visible:,} of {view.edges.height:,} connections" in text
        assert text.startswith(view.time_range[0].strftime("%Y-%m-%d"))
        counts.append(visible)
    assert counts == sorted(counts) and counts[0] < counts[2] < counts[-1] == view.edges.height
    # keyboard: Home goes to the first time, End to the last, an arrow one step
    api.focus("#time")
    api.keyboard.press("Home")
    assert api.evaluate("influgraphMap.visibleEdges()") == counts[0]
    api.keyboard.press("ArrowRight")
    assert api.evaluate("Number(document.getElementById('time').value)") == 1
    assert "up to" in api.get_attribute("#time", "aria-valuetext")
    api.keyboard.press("End")
    assert api.evaluate("influgraphMap.visibleEdges()") == view.edges.height
    assert page.errors == [] and page.requests == [] and page.hits == []
    return counts


def test_the_vis_network_slider_shows_the_edges_up_to_its_time(browser, timed, tmp_path: Path) -> None:
    from browser import Page

    view = graph_view(read_view_data(timed))
    write_map(view, tmp_path / "m.html")
    page = Page(browser, tmp_path / "m.html")
    counts = _check_slider(page, view, "vis-network")
    api = page.page
    api.evaluate("influgraphMap.time.set(0)")
    nodes_then = api.evaluate("influgraphMap.visibleNodes()")
    assert nodes_then == sum(1 for t in view.node_start.to_list() if t is None or t <= view.time_range[0])
    api.click("#play")
    assert api.get_attribute("#play", "aria-pressed") == "true"

    def step_now() -> int:
        return api.evaluate("Number(document.getElementById('time').value)")

    def poll(done, tries: int = 100) -> bool:  # the page's CSP forbids wait_for_function's eval: poll
        for _ in range(tries):
            if done():
                return True
            api.wait_for_timeout(50)
        return False

    assert poll(lambda: step_now() >= 3)  # playing moves the slider on by itself, a step at a time
    assert api.evaluate("influgraphMap.visibleNodes()") >= nodes_then
    # the rest of the play is the same step repeated (120 ms each): jump near the end, then watch it stop there
    steps = api.evaluate("influgraphMap.time.steps")
    assert steps > 6
    api.evaluate(f"document.getElementById('time').value = '{steps - 3}'")
    assert poll(lambda: api.get_attribute("#play", "aria-pressed") == "false")
    assert step_now() == steps and api.get_attribute("#play", "aria-pressed") == "false"
    assert api.evaluate("influgraphMap.visibleEdges()") == view.edges.height and counts[-1] == view.edges.height
    page.close()


def test_the_sigma_slider_shows_the_edges_up_to_its_time(browser, tmp_path: Path) -> None:
    from browser import Page

    ws = timed_workspace(tmp_path / "ws", accounts=2 * (LARGE_VIEW + 100), edges=4000, seed=1)
    view = graph_view(read_view_data(ws))
    assert view.nodes.height > LARGE_VIEW
    write_map(view, tmp_path / "big.html")
    page = Page(browser, tmp_path / "big.html")
    _check_slider(page, view, "sigma")
    page.close()


def test_a_map_without_time_has_no_slider(browser, tmp_path: Path) -> None:
    from browser import Page

    ws = Workspace(tmp_path / "ws")
    ws.commit(Batch(accounts=conform(pl.DataFrame({"id": ["1", "2"], "platform": "x", "handle": ["a", "b"]}), "accounts"),
                    edges=conform(pl.DataFrame({"src": ["1"], "dst": ["2"], "kind": ["follow"], "platform": "x"}), "edges")))
    write_map(graph_view(read_view_data(ws)), tmp_path / "m.html")
    assert 'id="time"' not in (tmp_path / "m.html").read_text()
    page = Page(browser, tmp_path / "m.html")
    assert page.page.evaluate("influgraphMap.time") is None and page.page.evaluate("influgraphMap.visibleEdges()") == 1
    assert page.errors == []
    page.close()


def test_the_two_week_world_plays_its_growth_follow_times_and_follower_spikes_included(two_weeks, schema,
                                                                                       tmp_path: Path) -> None:
    """On the simulated two-week world: every week-two follow's edge starts at its planted time (or at an earlier
    interaction of the same pair, by the stored rows), and each planted follower spike shows as edges into the
    account starting on the spike's day."""
    ws = Workspace(two_weeks.workspace)
    view = graph_view(read_view_data(ws))
    document = parse_valid(write_graph_file(view, "gexf", tmp_path / "w.gexf")[0], schema)
    starts = {(e.get("source"), e.get("target")): when(e.get("start")) for e in document.iterfind(".//g:edge", NS)}
    edges, _ = reference_starts(ws)
    follows = two_weeks.world.follow_times
    assert len(follows) > 1000 and all(starts[pair] == edges[pair] and starts[pair] <= t for pair, t in follows.items())
    assert sum(starts[pair] == t for pair, t in follows.items()) > 0.9 * len(follows)
    for account, day in two_weeks.truth["week2"]["spikes"].items():
        that_day = [t for (_, dst), t in starts.items() if dst == account and t is not None and t.date().isoformat() == day]
        assert len(that_day) >= 10, (account, day, len(that_day))
