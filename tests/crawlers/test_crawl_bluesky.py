"""The Bluesky crawler against the simulated AppView on 127.0.0.1, and the recorded real AppView answers."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.crawlers import BlueskyCredentials, crawl
from influgraph.crawlers.state import CrawlState
from influgraph.errors import UpstreamUnavailable
from influgraph.niches import load_query
from influgraph.sources.bluesky import read_bluesky_pages
from influgraph.simulated import Fault, SimServer
from influgraph.simulated.bluesky_appview import cursor_for
from influgraph.workspace import Workspace
from shared_data import shared_path

from shared_data import QUERIES
SMALL = {"top_authors": 10, "max_followers": 300, "top_posts": 5, "threads": 20}
SEARCH = "/xrpc/app.bsky.feed.searchPosts"


class Clock:
    def __init__(self):
        self.t = 1_900_000_000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world


def _query():
    """kuliner-nusantara with its seeds as Bluesky handles (the query file names X usernames, with '_')."""
    query = load_query(QUERIES / "kuliner-nusantara.toml")
    return replace(query, seed_accounts=tuple(s.replace("_", "-") for s in query.seed_accounts))


def _crawl(path: Path, server: SimServer, clock: Clock | None = None, query=None, **options):
    transport = {"sleep": clock.sleep, "now": clock.now} if clock else {}
    return crawl(Workspace(path), query or _query(), "bluesky",
                 api_url=server.base_url, overrides=SMALL, transport_options=transport, **options)


@pytest.fixture(scope="module")
def reference(world, tmp_path_factory):
    path = tmp_path_factory.mktemp("bsky") / "ws"
    with SimServer(world) as server:
        return path, _crawl(path, server)


def test_bluesky_crawl_collects_every_kind_on_platform_bluesky(reference, tmp_path: Path) -> None:
    path, result = reference
    assert result.complete and result.warnings == []
    ws = Workspace(path)
    edges = ws.table("edges")
    assert {"follow", "repost", "reply", "quote", "mention"} <= set(edges["kind"].cast(pl.String))
    assert set(edges["platform"]) == {"bluesky"} and set(ws.table("accounts")["platform"]) == {"bluesky"}
    assert ws.table("accounts")["id"].str.starts_with("did:").all()
    assert ws.table("posts")["id"].str.starts_with("at://").all()
    # the raw pages rebuild the same workspace offline (format detected from content)
    rebuilt = tmp_path / "rebuilt"
    assert CliRunner().invoke(main, ["import", str(result.raw), "-w", str(rebuilt)]).exit_code == 0
    assert Workspace(rebuilt).content_hash() == ws.content_hash()


def test_budget_stop_and_resume_end_with_the_same_rows(world, reference, tmp_path: Path) -> None:
    with SimServer(world) as server:
        first = _crawl(tmp_path / "ws", server, Clock(), max_requests=7)
        assert not first.complete and first.requests == 7
        done = _crawl(tmp_path / "ws", server, Clock(), resume=True)
    assert done.complete
    assert Workspace(tmp_path / "ws").facts_hash() == Workspace(reference[0]).facts_hash()  # the same rows; observed_at differs between crawls at different times


def test_ratelimit_reset_header_is_honoured(world, tmp_path: Path) -> None:
    clock = Clock()
    reset = int(clock.t) + 120
    with SimServer(world) as server:
        server.add_fault(SEARCH, Fault(status=429, headers={"RateLimit-Reset": str(reset)}, times=1))
        result = _crawl(tmp_path / "ws", server, clock)
    searches = [s for s in result.sent if s.endpoint == "app.bsky.feed.searchPosts"]
    assert searches[0].status == 429 and all(s.at >= reset for s in searches[1:]) and result.complete


def test_truncated_answers_are_retried_and_a_repeated_cursor_ends_pagination(world, tmp_path: Path) -> None:
    warnings: list[str] = []
    with SimServer(world) as server:
        server.add_fault(SEARCH, Fault(status=200, truncate=True, times=2))
        server.add_fault("/xrpc/app.bsky.graph.getFollowers",
                         Fault(status=200, next_token=cursor_for(100, "app.bsky.graph.getFollowers"), times=None))
        result = _crawl(tmp_path / "ws", server, Clock(), warn=warnings.append)
    assert result.complete
    assert any("repeated a pagination token" in w for w in warnings)


def test_503_streak_opens_the_breaker(world, tmp_path: Path) -> None:
    with SimServer(world) as server:
        server.add_fault(SEARCH, Fault(status=503, times=None))
        with pytest.raises(UpstreamUnavailable, match="circuit breaker"):
            _crawl(tmp_path / "ws", server, Clock())
        assert server.requests.count(SEARCH) == 5


def test_profiles_requested_equal_stored_plus_tombstoned(world, tmp_path: Path) -> None:
    query = replace(load_query(QUERIES / "kuliner-nusantara.toml"),
                    seed_accounts=("pro-kul617", "ghost-account", "pro-kul618.bsky.social", "pro_kul619"))
    with SimServer(world) as server:
        result = _crawl(tmp_path / "ws", server, Clock(), query=query)
        assert not any(e.path.endswith("getProfiles") and "pro_kul619" in str(e.query) for e in server.log)
    lookup = result.phases[0]
    assert lookup["phase"] == "lookup" and lookup["refused"] == 1 and "pro_kul619" in lookup["reason"]
    assert lookup["status"] == "partial" and "handle" in lookup["fix"]
    state = CrawlState(result.state)
    gone = state.tombstoned()
    for task in state.tasks():
        if task.endpoint != "app.bsky.actor.getProfiles":
            continue
        (body,) = state.task_pages(task.id)
        stored = {p["handle"] for p in body["profiles"]} | {p["did"] for p in body["profiles"]}
        for actor in task.params["actors"]:
            assert (actor in stored) != (actor in gone), actor
    assert gone.get("ghost-account.bsky.social") == "not_found"
    state.close()


@pytest.mark.parametrize("name,kinds", [("g_followers", {"follow": 48}), ("g_follows", {"follow": 48}),
                                        ("f_reposts", {"repost": 1}), ("f_postlikes", {"like": 4}),
                                        ("f_getquotes", {"quote": 2, "mention": 3}), ("f_search", {"quote": 2, "reply": 12})])
def test_recorded_bluesky_answers_parse(name: str, kinds: dict) -> None:
    yaml = pytest.importorskip("yaml")
    cassette = yaml.safe_load(shared_path(f"bluesky-bskyr-vcr/{name}.yml").read_text(encoding="utf-8"))
    pages = []
    for interaction in cassette["http_interactions"]:
        status = interaction["response"]["status"]
        if (status if isinstance(status, int) else status.get("code")) == 200:
            pages.append((interaction["request"]["uri"], json.loads(interaction["response"]["body"]["string"])))
    batch, notes = read_bluesky_pages(pages)
    assert notes == []
    found = dict(batch.edges.group_by(pl.col("kind").cast(pl.String)).len().iter_rows())
    assert found == kinds
    if name == "f_search":
        assert batch.posts.height == len(pages[0][1]["posts"]) and batch.posts["created_at"].null_count() == 0


def test_an_appview_that_needs_authentication_gets_a_login_with_the_app_password_only_then(world, tmp_path: Path,
                                                                                          monkeypatch) -> None:
    jwt, password = "eyJ-sim-access-jwt-42", "abcd-efgh-ijkl-mnop"
    for name in ("BLUESKY_ACCESS_TOKEN", "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with SimServer(world, token=jwt, login=("me.bsky.social", password)) as server:
        from influgraph.errors import AuthError

        with pytest.raises(AuthError, match="`credentials`"):
            _crawl(tmp_path / "no-creds", server, Clock())
        query = tmp_path / "kuliner.toml"  # its seeds as Bluesky handles (the shipped file names X usernames)
        query.write_text((QUERIES / "kuliner-nusantara.toml").read_text(encoding="utf-8").replace("pro_kul", "pro-kul"),
                         encoding="utf-8")
        cli = CliRunner().invoke(main, ["crawl", str(query), "--platform", "bluesky",
                                        "-w", str(tmp_path / "cli"), "--api-url", server.base_url])
        assert cli.exit_code == 4 and "BLUESKY_APP_PASSWORD" in cli.stderr and len(cli.stderr.strip().splitlines()) == 1
        with pytest.raises(AuthError, match="refused the login"):
            _crawl(tmp_path / "wrong", server, Clock(), restart=True,
                   credentials=BlueskyCredentials("me.bsky.social", "wrong"))
        result = _crawl(tmp_path / "ok", server, Clock(), credentials=BlueskyCredentials("me.bsky.social", password))
        assert result.complete and server.requests.count("/xrpc/com.atproto.server.createSession") == 2  # wrong, then right
    stored = [p for p in (tmp_path / "ok").rglob("*") if p.is_file()]
    assert not any(secret.encode() in p.read_bytes() for p in stored for secret in (jwt, password))


def test_the_cli_reads_the_bluesky_secrets_from_the_environment_and_never_shows_the_password(monkeypatch) -> None:
    from influgraph.cli import crawl_environment

    monkeypatch.setenv("BLUESKY_HANDLE", "me.bsky.social")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")
    monkeypatch.setenv("BLUESKY_ACCESS_TOKEN", "")
    monkeypatch.setenv("INFLUGRAPH_BLUESKY_API_URL", "http://127.0.0.1:9")
    found = crawl_environment("bluesky")
    assert found == {"api_url": "http://127.0.0.1:9", "token": None,
                     "credentials": BlueskyCredentials("me.bsky.social", "abcd-efgh-ijkl-mnop")}
    assert "abcd-efgh-ijkl-mnop" not in repr(found)
    monkeypatch.delenv("BLUESKY_APP_PASSWORD")
    assert crawl_environment("bluesky")["credentials"] is None
