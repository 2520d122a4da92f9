"""The Mastodon crawler against the two simulated federated instances on 127.0.0.1 / localhost, over real HTTP."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.crawlers import crawl
from influgraph.crawlers import mastodon as mastodon_crawler
from influgraph.crawlers.state import CrawlState
from influgraph.errors import AuthError, BadInput
from influgraph.niches import load_query
from influgraph.simulated import Fault, SimServer
from influgraph.simulated import mastodon_api
from influgraph.workspace import Workspace
from shared_data import QUERIES
from test_crawl import Clock, kill_and_resume  # a fake clock for the transport and the instances' windows

SMALL = {"top_authors": 8, "max_followers": 400, "top_posts": 5, "threads": 20}
TOKEN = "mastodon-SEKRET-0123456789abcdef"
EVERY_PHASE = ("lookup", "search", "threads", "engagement", "followers")


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world


def _query(**changes):
    query = load_query(QUERIES / "persian-books.toml")
    return replace(query, **changes) if changes else query


def _crawl(path: Path, server: SimServer, clock: Clock | None = None, query=None, **options):
    transport = {"sleep": clock.sleep, "now": clock.now} if clock else {}
    overrides = {**SMALL, **options.pop("overrides", {})}
    return crawl(Workspace(path), query or _query(), "mastodon", api_url=server.base_url, overrides=overrides,
                 transport_options=transport, **options)


@pytest.fixture(scope="module")
def reference(world, tmp_path_factory):
    """An uninterrupted crawl at depth 2 with a token: every phase, both instances."""
    path = tmp_path_factory.mktemp("mastodon") / "ws"
    with SimServer(world, token=TOKEN) as server:
        result = _crawl(path, server, depth=2, token=TOKEN, max_requests=2000)
        invalid = list(server.mastodon.invalid)
    return path, result, invalid


def test_depth_2_crawl_runs_every_phase_within_the_contract_and_reads_remote_accounts_at_home(reference, tmp_path) -> None:
    path, result, invalid = reference
    assert result.complete and result.warnings == [] and result.lost == []
    phases = {p["phase"]: p for p in result.phases}
    assert all(phases[name]["status"] == "complete" and phases[name]["stored"] > 0 for name in EVERY_PHASE), phases
    assert invalid == []  # no request outside the documented parameters and limits, no token sent to another instance
    ws = Workspace(path)
    edges, accounts = ws.table("edges"), ws.table("accounts")
    assert {"follow", "repost", "reply", "mention", "quote", "like"} <= set(edges["kind"].cast(pl.String))
    assert set(edges["platform"]) == {"mastodon"} and set(accounts["platform"]) == {"mastodon"}
    hosts = set(accounts["id"].str.split("@").list.last())
    assert len(hosts) == 2 and any(h.startswith("localhost:") for h in hosts)  # ids say the home instance
    assert not accounts["id"].str.contains(r"^\d+$").any()  # no instance-local numeric id is kept
    assert ws.table("posts")["id"].str.starts_with("http://").all()  # statuses keep their ActivityPub uri
    state = CrawlState(result.state)
    urls = [url for _, url, _ in state.pages()]
    depths = {t.depth for t in state.tasks("followers")}
    state.close()
    home_lookups = [u for u in urls if "//localhost:" in u and "/accounts/lookup" in u]
    assert home_lookups and any("//localhost:" in u and "/followers" in u for u in urls) and depths == {1, 2}
    rebuilt = tmp_path / "rebuilt"  # the raw pages rebuild the same workspace offline, detected as mastodon-json
    run = CliRunner().invoke(main, ["import", str(result.raw), "-w", str(rebuilt)])
    assert run.exit_code == 0, run.output
    assert Workspace(rebuilt).content_hash() == ws.content_hash()


def test_a_remote_followers_list_on_the_crawled_instance_is_partial_so_the_home_list_is_read(world) -> None:
    with SimServer(world) as server:
        index = server.mastodon_index()
        remote = next(a for a, home in index.home.items() if home == index.secondary and len(index.followers[a]) > 5)
        here = mastodon_api.route(index, index.primary, f"/api/v1/accounts/{index.local_id[index.primary][remote]}/followers",
                                  {"limit": ["80"]})[1]
        home = mastodon_api.route(index, index.secondary, f"/api/v1/accounts/{index.local_id[index.secondary][remote]}/followers",
                                  {"limit": ["80"]})[1]
    assert len(here) < len(home)


def test_a_request_outside_the_contract_is_caught(world, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(mastodon_crawler.PAGED, mastodon_crawler.FOLLOWERS, 81)  # a crawler made to ask for 81
    with SimServer(world) as server:
        _crawl(tmp_path / "ws", server, overrides={"top_authors": 1})
        invalid = server.mastodon.invalid
    assert invalid and all("limit '81' outside 1..80" in line for line in invalid)


def test_the_rate_limit_headers_are_respected_so_no_request_is_refused(world, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(mastodon_api, "REQUESTS_PER_WINDOW", 15)
    clock = Clock()
    with SimServer(world) as server:
        server.clock = clock.now
        result = _crawl(tmp_path / "ws", server, clock, overrides={"top_authors": 2, "threads": 5})
        statuses = [s.status for s in result.sent]
    assert result.complete and result.requests > 30
    assert 429 not in statuses and sum(clock.slept) >= 2 * mastodon_api.WINDOW_SECONDS - 60  # waited for the resets


def test_a_429_waits_until_its_iso_8601_reset(world, tmp_path: Path) -> None:
    clock = Clock()
    reset = "2030-03-17T17:48:20.000Z"  # 1_900_000_100 seconds after the epoch: 100 s after the clock's start
    with SimServer(world) as server:
        server.clock = clock.now
        server.add_fault("/api/v1/timelines/tag/", Fault(status=429, headers={"X-RateLimit-Reset": reset,
                                                                                "X-RateLimit-Remaining": "0"}))
        result = _crawl(tmp_path / "ws", server, clock, depth=0)
    assert result.complete and clock.t >= 1_900_000_100


def test_unknown_and_invalid_seeds_are_tombstones_and_refusals_and_requested_equals_stored_plus_tombstoned(
        world, tmp_path: Path) -> None:
    seeds = ["pro_buk1233", "nobody_here_at_all", "bad seed!"]
    with SimServer(world) as server:
        result = _crawl(tmp_path / "ws", server, query=_query(seed_accounts=seeds), depth=0)
        sent = [path for path in server.requests if "/accounts/lookup" in path]
    lookup = next(p for p in result.phases if p["phase"] == "lookup")
    assert len(sent) == 2  # the invalid seed was never sent
    assert lookup["requested"] == 2 and lookup["tombstoned"] == 1 and lookup["refused"] == 1 and lookup["status"] == "partial"
    assert lookup["items"] + lookup["tombstoned"] == lookup["requested"]
    accounts = Workspace(tmp_path / "ws").table("accounts")
    gone = accounts.filter(pl.col("status") == "not_found")["id"].to_list()
    assert len(gone) == 1 and gone[0].startswith("nobody_here_at_all@127.0.0.1:")
    assert any("bad seed!" in w for w in result.warnings)


def test_reply_targets_no_page_named_are_hydrated(world, tmp_path: Path) -> None:
    with SimServer(world) as server:  # the first timeline page: one reply whose mention of the account answered was removed
        index = server.mastodon_index()
        reply = next(p for p, t in index.posts.items() if t.get("in_reply_to_user_id"))
        status = {**index.status(reply, index.primary), "mentions": []}
        server.add_fault("/api/v1/timelines/tag/", Fault(status=200, body=status))
        result = _crawl(tmp_path / "ws", server, overrides={"threads": 0, "top_posts": 0}, depth=0)
        hydrated = [path for path in server.requests if path == f"/api/v1/accounts/{status['in_reply_to_account_id']}"]
    phase = next(p for p in result.phases if p["phase"] == "hydrate")
    assert len(hydrated) == 1 and phase["status"] == "complete" and phase["stored"] == 1
    posts = Workspace(tmp_path / "ws").table("posts").filter(pl.col("id") == status["uri"])
    assert posts["reply_to_author"].to_list() == [f"{index.accounts[index.posts[reply]['in_reply_to_user_id']]['username']}"
                                                  f"@{index.home[index.posts[reply]['in_reply_to_user_id']]}"]


def test_a_home_instance_that_cannot_be_read_falls_back_to_the_crawled_instances_lists(world, tmp_path: Path) -> None:
    with SimServer(world) as server:  # no seeds: every lookup is a home-instance lookup, all answered 404 here
        server.add_fault("/api/v1/accounts/lookup", Fault(status=404, body={"error": "Record not found"}, times=None))
        result = _crawl(tmp_path / "ws", server, query=_query(seed_accounts=[]), depth=1,
                        overrides={"top_authors": 60, "max_followers": 80, "threads": 0, "top_posts": 0})
        sent = [s.endpoint for s in result.sent]
    assert result.complete and any(e.startswith("localhost:") and e.endswith("/accounts/lookup") for e in sent)
    assert any("reading the partial lists" in w for w in result.warnings)
    assert Workspace(tmp_path / "ws").table("edges").filter(pl.col("kind") == "follow").height > 0


def test_budget_stop_and_resume_end_with_the_same_rows(world, tmp_path: Path) -> None:
    with SimServer(world) as server:
        first = _crawl(tmp_path / "a", server, max_requests=9, depth=1)
        assert not first.complete and first.requests == 9
        done = _crawl(tmp_path / "a", server, resume=True, depth=1)
        whole = _crawl(tmp_path / "b", server, depth=1)
    assert done.complete
    assert Workspace(tmp_path / "a").facts_hash() == Workspace(tmp_path / "b").facts_hash()  # the same rows; observed_at differs between crawls at different times


def test_a_wrong_token_exits_4_and_an_instance_hiding_public_answers_names_the_variable(world, tmp_path: Path) -> None:
    with SimServer(world, token=TOKEN) as server:
        with pytest.raises(AuthError):
            _crawl(tmp_path / "a", server, token="not-the-token-0000")
        server.mastodon_public = False
        run = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "mastodon", "-w",
                                        str(tmp_path / "b"), "--instance", server.base_url], env={"MASTODON_ACCESS_TOKEN": ""})
    assert run.exit_code == 4 and "MASTODON_ACCESS_TOKEN" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_the_token_is_read_from_the_environment_and_never_stored(world, tmp_path: Path) -> None:
    with SimServer(world, token=TOKEN) as server:
        server.mastodon_public = False
        run = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "mastodon", "-w",
                                        str(tmp_path / "ws"), "--instance", server.base_url, "--depth", "0", "--json"],
                                 env={"MASTODON_ACCESS_TOKEN": TOKEN + "\n"})
        invalid = server.mastodon.invalid
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["pages"] > 0 and invalid == []
    assert not any(TOKEN.encode() in p.read_bytes() for p in (tmp_path / "ws").rglob("*") if p.is_file())


def test_a_mastodon_crawl_without_an_instance_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="instance"):
        crawl(Workspace(tmp_path / "ws"), _query(), "mastodon")


def test_dry_run_counts_the_shared_rate_limit_window(tmp_path: Path) -> None:
    run = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "mastodon", "--dry-run",
                                    "--json"])
    assert run.exit_code == 0, run.output
    plan = json.loads(run.stdout)
    assert plan["platform"] == "mastodon" and plan["requests"] == plan["max_requests"] == 500
    assert plan["rate_limit_wait_minutes"] == 5  # 500 requests: two windows of 300 per 5 minutes


@pytest.mark.slow
def test_sigkill_at_20_random_moments_then_resume_ends_with_the_uninterrupted_rows(world, tmp_path: Path) -> None:
    def args(ws: Path, server: SimServer, *extra: str) -> list[str]:
        query = ws.parent / "persian-books.toml"
        text = (QUERIES / "persian-books.toml").read_text(encoding="utf-8").split("[crawl]")[0]
        query.write_text(text + "[crawl]\ndepth = 2\nmax_requests = 3000\n" + "".join(f"{k} = {v}\n" for k, v in SMALL.items()),
                         encoding="utf-8")
        return [str(query), "--platform", "mastodon", "-w", str(ws), "--instance", server.base_url, *extra]

    kill_and_resume(world, tmp_path, args, "mastodon-persian-books.sqlite", dict(os.environ, MASTODON_ACCESS_TOKEN=""))
