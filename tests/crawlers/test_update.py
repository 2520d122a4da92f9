"""`crawl(update=True)` against the simulated services on 127.0.0.1 whose clock moves a week (`SimServer.advance_to`).

On an unchanged world an update sends only the requests that ask for news (searches with `since_id` /
`since`) and changes nothing; after a week it stores exactly what a crawl of the advanced world sees that
is new: the same posts and engagement edges as a fresh full crawl of that world, and the follower lists
of the accounts first seen now.
"""
from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.crawlers import crawl
from influgraph.demo import _query as niche_query
from influgraph.errors import BadInput
from influgraph.simulated import SimServer, build_world
from influgraph.workspace import Workspace
from test_crawl import Clock  # a fake clock for the transport and the instance's rate-limit windows

TOKEN = "update-test-token-0123456789"
SEARCH = "/2/tweets/search/recent"
# the whole niche: every post and thread, the followers of every author; no engagement lists (their answers
# are not incremental on X, so an update fetches them for new posts only: left out to compare exactly)
LIMITS = {"max_requests": 5000, "max_posts": 100_000, "max_followers": 100_000, "top_posts": 0,
          "top_authors": None, "threads": 1000}
ENGAGEMENT = ("repost", "quote", "reply", "mention")


@pytest.fixture(scope="module")
def world():
    return build_world(7, weeks=2)


def _clock(server: SimServer):
    return lambda: server.now


def _x(path: Path, server: SimServer, query, **options):
    return crawl(Workspace(path), query, "x", api_url=server.base_url, token=TOKEN, overrides=LIMITS,
                 clock=_clock(server), **options)


@pytest.fixture(scope="module")
def x_runs(world, tmp_path_factory):
    """A week-one crawl, an update on the unchanged world, an update a week on, and a fresh crawl of week two."""
    root = tmp_path_factory.mktemp("x-update")
    query = niche_query(world.truth()["niches"][0])
    with SimServer(world, token=TOKEN) as server:
        return {"query": query, **_four_runs(root, world, server, lambda path, **options: _x(path, server, query, **options))}


def _four_runs(root: Path, world, server: SimServer, run) -> dict:
    """Crawl as of week two's start, update on the unchanged world, update a week on, crawl that world afresh."""
    runs: dict = {"root": root}
    server.advance_to(world.week_starts[1])
    runs["first"] = run(root / "ws")
    shutil.copytree(root / "ws", root / "week1")
    mark, paths = len(server.log), len(server.requests)
    runs["same"] = run(root / "ws", update=True)
    runs["same_log"], runs["same_paths"] = server.log[mark:], server.requests[paths:]
    shutil.copytree(root / "ws", root / "same")
    server.advance_to(world.now)
    mark = len(server.log)
    runs["later"] = run(root / "ws", update=True)
    runs["later_log"] = server.log[mark:]
    runs["full"] = run(root / "full")
    runs.update(week1=Workspace(root / "week1"), same_ws=Workspace(root / "same"), updated=Workspace(root / "ws"),
                fresh=Workspace(root / "full"))
    return runs


def test_an_unchanged_world_costs_only_the_checks_and_changes_nothing(x_runs):
    log = x_runs["same_log"]
    assert log and all(entry.path == SEARCH for entry in log)  # no profile, follower or engagement request
    assert all("since_id" in entry.query for entry in log)  # every one asks only for what is newer
    assert all(entry.status == 200 and not entry.errors for entry in log)
    assert x_runs["same_ws"].content_hash() == x_runs["week1"].content_hash()
    assert x_runs["same"].imported["changed"] is False


def test_update_phases_are_counted_apart(x_runs):
    phases = {p["phase"]: p for p in x_runs["same"].phases}
    assert phases["search#1"]["requested"] == len([e for e in x_runs["same_log"] if "conversation_id:" not in e.query["query"][0]])
    assert phases["search#1"]["status"] == "complete" and phases["search#1"]["items"] == 0
    assert phases["search"]["requested"] == {p["phase"]: p for p in x_runs["first"].phases}["search"]["requested"]
    assert x_runs["same"].complete and x_runs["later"].complete
    assert {p["phase"] for p in x_runs["later"].phases} >= {"search#2", "threads#2", "followers#2"}


def test_a_week_later_it_stores_the_new_posts_a_full_crawl_sees(x_runs, world):
    updated, fresh, before = x_runs["updated"], x_runs["fresh"], x_runs["week1"]
    assert set(updated.table("posts")["id"]) == set(fresh.table("posts")["id"])
    new = set(updated.table("posts")["id"]) - set(before.table("posts")["id"])
    week_two = {p["id"] for p in world.posts if p["created_at"] >= world.week_starts[1].strftime("%Y-%m-%dT%H:%M")}
    assert new and new <= week_two | set(fresh.table("posts")["id"])
    assert new & week_two == set(fresh.table("posts")["id"]) & week_two  # every week-two post the crawl sees, once
    keys = ["kind", "src", "dst", "post_id"]

    def engagement(ws):
        return ws.table("edges").filter(pl.col("kind").cast(pl.String).is_in(ENGAGEMENT)).select(keys).sort(keys)

    assert engagement(updated).equals(engagement(fresh))
    requests_later = x_runs["later"].requests - x_runs["same"].requests
    assert requests_later < x_runs["full"].requests  # cheaper than crawling again


def test_new_accounts_get_their_follower_lists(x_runs):
    updated, fresh, before = x_runs["updated"], x_runs["fresh"], x_runs["week1"]
    held = set(before.table("accounts")["id"])
    authors = set(updated.table("posts")["author_id"]) - held
    assert authors

    def follows_into(ws):
        edges = ws.table("edges").filter((pl.col("kind") == "follow") & pl.col("dst").is_in(list(authors)))
        return edges.select("src", "dst").sort("src", "dst")

    assert follows_into(updated).height and follows_into(updated).equals(follows_into(fresh))


def test_observed_at_and_the_count_history(x_runs, world):
    updated = x_runs["updated"]
    posts = updated.table("posts")
    old = set(x_runs["week1"].table("posts")["id"])
    times = dict(zip(posts["id"], posts["observed_at"]))
    assert {times[i] for i in old} == {world.week_starts[1]}  # unchanged rows keep their first observation
    assert {times[i] for i in set(times) - old} == {world.now}
    history = updated.table("observations")
    grew = history.group_by("platform", "id").len().filter(pl.col("len") > 1)
    assert grew.height  # authors seen again a week on with other counts: a second observation, no extra request
    account = grew["id"][0]
    rows = history.filter(pl.col("id") == account).sort("observed_at")
    now = next(a for a in world.accounts if a["id"] == account)["public_metrics"]
    assert rows["followers"][-1] == now["followers_count"] and rows["observed_at"][-1] == world.now


def test_reimporting_the_raw_pages_changes_nothing(x_runs):
    from influgraph.ingest import import_paths

    updated = x_runs["updated"]
    before = updated.content_hash()
    raw = x_runs["later"].raw
    copy = x_runs["root"] / "again.jsonl"
    shutil.copyfile(raw, copy)  # a new file time: rows keep their first observation anyway
    assert import_paths(updated, [copy]).commit.content_hash == before


# ---------------------------------------------------------------- Bluesky

def _bluesky(path: Path, server: SimServer, query, **options):
    return crawl(Workspace(path), query, "bluesky", api_url=server.base_url,
                 overrides={**LIMITS, "top_posts": 0}, clock=_clock(server), **options)


@pytest.fixture(scope="module")
def bluesky_runs(world, tmp_path_factory):
    root = tmp_path_factory.mktemp("bsky-update")
    niche = world.truth()["niches"][1]
    query = niche_query(niche)
    query = replace(query, seed_accounts=tuple(s.replace("_", "-") for s in query.seed_accounts))
    with SimServer(world) as server:
        return _four_runs(root, world, server, lambda path, **options: _bluesky(path, server, query, **options))


def test_bluesky_update_checks_with_since_and_changes_nothing(bluesky_runs):
    log = bluesky_runs["same_log"]
    searches = [e for e in log if e.path.endswith("app.bsky.feed.searchPosts")]
    assert searches and all("since" in e.query for e in searches)
    assert all(e.path.endswith(("app.bsky.feed.searchPosts", "app.bsky.feed.getPostThread")) for e in log)
    assert all(e.status == 200 and not e.errors for e in log)
    assert bluesky_runs["same_ws"].content_hash() == bluesky_runs["week1"].content_hash()


def test_bluesky_update_a_week_later_stores_the_new_posts(bluesky_runs):
    updated, fresh = bluesky_runs["updated"], bluesky_runs["fresh"]
    assert set(updated.table("posts")["id"]) == set(fresh.table("posts")["id"])
    assert updated.table("posts").height > bluesky_runs["week1"].table("posts").height


# ---------------------------------------------------------------- misuse

def test_update_without_an_earlier_crawl_is_refused(world, tmp_path):
    query = niche_query(world.truth()["niches"][0])
    with SimServer(world, token=TOKEN) as server:
        with pytest.raises(BadInput, match="no earlier crawl") as refused:
            _x(tmp_path / "ws", server, query, update=True)
        assert not server.log  # refused before anything is sent
    assert refused.value.param == "update"
    assert not list((tmp_path / "ws").rglob("*.sqlite"))  # no crawl state left behind to block a first crawl


def test_update_with_restart_is_refused(world, tmp_path):
    query = niche_query(world.truth()["niches"][0])
    with pytest.raises(BadInput, match="`update` or `restart`"):
        crawl(Workspace(tmp_path / "ws"), query, "x", api_url="http://127.0.0.1:9", token=TOKEN, update=True,
              restart=True)


def test_cli_update_without_an_earlier_crawl_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["crawl", "persian-books", "--platform", "x", "-w", str(tmp_path / "ws"),
                                       "--update", "--api-url", "http://127.0.0.1:9",
                                       "--queries-dir", str(Path(__file__).parents[2] / "queries")],
                                env={"X_BEARER_TOKEN": TOKEN})
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--update" in lines[0] and "Traceback" not in result.output


def test_server_clock_moves_a_forked_server(world):
    with SimServer(world, token=TOKEN, process=True) as server:
        import requests

        def count() -> int:
            answer = requests.get(server.base_url + SEARCH, params={"query": "#" + world.truth()["niches"][0]["hashtags"][0],
                                                                   "max_results": 100},
                                  headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()
            return answer["meta"]["result_count"], answer["data"][0]["created_at"] if answer.get("data") else None

        server.advance_to(world.week_starts[0].replace(day=2))
        early = count()
        server.advance_to(world.now)
        late = count()
        assert early[1] < late[1]
        assert datetime.fromisoformat(early[1].replace("Z", "+00:00")) <= datetime(2026, 10, 2, tzinfo=timezone.utc)


# ---------------------------------------------------------------- Mastodon


@pytest.fixture(scope="module")
def mastodon_runs(world, tmp_path_factory):
    """The four runs on Mastodon (`min_id` on the tag timelines), without follower lists (one instance's rate window)."""
    root = tmp_path_factory.mktemp("mastodon-update")
    query = niche_query(world.truth()["niches"][2])

    waits = Clock()  # sleeping advances it: the instance's rate-limit windows pass in fake time, not in the test's

    def run(path: Path, **options):
        return crawl(Workspace(path), query, "mastodon", api_url=server.base_url, depth=0,
                     overrides={**LIMITS, "top_posts": 0}, clock=_clock(server),
                     transport_options={"sleep": waits.sleep, "now": waits.now}, **options)

    with SimServer(world) as server:
        server.clock = waits.now
        return _four_runs(root, world, server, run)


def test_mastodon_update_checks_with_min_id_and_stores_the_new_posts(mastodon_runs):
    assert mastodon_runs["same_ws"].content_hash() == mastodon_runs["week1"].content_hash()
    same = mastodon_runs["same"]
    phases = {p["phase"]: p for p in same.phases}
    assert phases["search#1"]["items"] == 0 and phases["search#1"]["requested"] >= 1
    assert {p for p in phases if p.endswith("#1")} <= {"search#1", "threads#1"}  # unchanged: searches, threads only
    assert mastodon_runs["same_paths"] and all(p.startswith(("/api/v1/timelines/tag/", "/api/v1/statuses/"))
                                               for p in mastodon_runs["same_paths"])
    updated, fresh = mastodon_runs["updated"], mastodon_runs["fresh"]
    assert set(updated.table("posts")["id"]) == set(fresh.table("posts")["id"])
    assert updated.table("posts").height > mastodon_runs["week1"].table("posts").height
