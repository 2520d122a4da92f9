"""The published contracts as the simulators' law: every request a full crawl sends is valid, and the ways to break
them are caught; lost phases are named; money is counted and bounded."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.crawlers import crawl
from influgraph.crawlers.state import CrawlState
from influgraph.errors import BadInput, UpstreamUnavailable
from influgraph.niches import load_query
from influgraph.simulated import Fault, SimServer, contracts
from influgraph.simulated.x_api import token_for
from influgraph.workspace import Workspace
from shared_data import DATA, QUERIES, shared_path

TOKEN = "SEKRET-contract-token-0123456789"
FULL = {"max_requests": 20_000, "max_posts": 100_000, "max_followers": 100_000, "top_posts": 30, "top_authors": 40,
        "threads": 1000}
SEARCH = "/2/tweets/search/recent"


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world


@pytest.fixture(scope="module")
def contract():
    """The contract freshly derived from the published files when they are here, else the package's derivation."""
    spec = DATA / contracts.X_SPEC
    return contracts.load(str(DATA)) if spec.exists() else contracts.load()


def invalid(server: SimServer, contract, tier: str = "self-serve") -> list:
    """The requests the server received that break the contract (checked again, independently of its answer)."""
    from influgraph.simulated.x_api import template

    bad = []
    for entry in server.log:
        if entry.path.startswith("/xrpc/"):
            errors = contract.check_bluesky(entry.path[len("/xrpc/"):], entry.query)
        else:
            route, params = template(entry.path)
            errors = contract.check_x(route, params, entry.query, tier=tier)
        if errors or (entry.status == 400 and not entry.fault):
            bad.append((entry.path, entry.query, errors))
    return bad


def _bluesky_query():
    query = load_query(QUERIES / "kuliner-nusantara.toml")
    return replace(query, seed_accounts=tuple(s.replace("_", "-") for s in query.seed_accounts))


def _x(ws: Path, server: SimServer, query=None, **options):
    return crawl(Workspace(ws), query or load_query(QUERIES / "persian-books.toml"), "x", api_url=server.base_url,
                 token=TOKEN, depth=options.pop("depth", 2), overrides={**FULL, **options.pop("overrides", {})}, **options)


# ------------------------------------------------------------------ the contract itself
def test_the_packaged_contract_equals_a_fresh_derivation_from_the_published_files() -> None:
    shared_path(contracts.X_SPEC)
    shared_path(contracts.HANDLE_TS)
    packaged = json.loads(contracts.CONTRACT_FILE.read_text(encoding="utf-8"))
    assert packaged == contracts.derive(DATA), "re-derive: python -c 'from influgraph.simulated import contracts; " \
                                               "contracts.write(Path(\"../shared/data\"))'"
    assert packaged["x_spec_version"] == "2.159"
    assert packaged["x"]["/2/users/:id/followers"]["max_results"]["maximum"] == 1000
    assert packaged["bluesky"]["app.bsky.actor.getProfiles"]["params"]["actors"]["maxLength"] == 25


def test_the_contract_refuses_what_the_real_services_refuse(contract) -> None:
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    old = (now - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert contract.check_x(SEARCH, {}, {"query": ["a" * 513]}) and not contract.check_x(SEARCH, {}, {"query": ["a" * 512]})
    assert not contract.check_x(SEARCH, {}, {"query": ["a" * 513]}, tier="pro")
    (error,) = contract.check_x(SEARCH, {}, {"query": ["x"], "start_time": [old]})
    assert error["parameters"] == {"start_time": [old]} and "must be on or after" in error["message"]
    assert contract.check_x(SEARCH, {}, {"query": ["x"], "max_results": ["5"]})
    assert contract.check_x(SEARCH, {}, {"query": ["x"], "tweet.fields": ["author_id,bogus"]})
    assert contract.check_x(SEARCH, {}, {"query": ["x"], "post.fields": ["author_id"]})  # the v2.167 rename: not the API's
    assert contract.check_x("/2/users/:id/followers", {"id": "12"}, {"pagination_token": ["pg64"]})  # minLength 16
    assert contract.check_x("/2/users/:id/followers", {"id": "x12"}, {})
    assert contract.check_x("/2/users/by", {}, {"usernames": ["pro_cof1,has space"]})
    assert contract.check_bluesky("app.bsky.actor.getProfiles", {"actors": ["pro_cof1.bsky.social"]})
    assert not contract.check_bluesky("app.bsky.actor.getProfiles", {"actors": ["pro-cof1.bsky.social", "did:plc:ab"]})
    assert contract.check_bluesky("app.bsky.actor.getProfiles", {"actors": [f"a{i}.bsky.social" for i in range(26)]})
    assert contract.check_bluesky("app.bsky.graph.getFollowers", {"actor": ["a.bsky.social"], "limit": ["101"]})
    assert contract.check_bluesky("app.bsky.feed.getLikes", {"uri": ["https://bsky.app/x"]})
    assert contract.check_bluesky("app.bsky.feed.searchPosts", {})
    body = contracts.x_refusal([error])
    assert body["title"] == "Invalid Request" and body["type"].endswith("/invalid-request") and body["errors"] == [error]


# ------------------------------------------------------------------ full crawls: 0 invalid requests
def test_a_full_x_crawl_at_depth_2_sends_no_invalid_request(world, contract, tmp_path: Path) -> None:
    with SimServer(world, token=TOKEN) as server:
        # one search page names an account by id only, so the hydrate phase has work too
        page = {"data": [{"id": "1790000000000000001", "text": "#کتاب @ghost", "author_id": "1", "conversation_id":
                          "1790000000000000001", "created_at": "2026-01-01T00:00:00.000Z", "lang": "fa",
                          "in_reply_to_user_id": "1999999999999999999",
                          "public_metrics": {"reply_count": 0, "retweet_count": 0, "like_count": 0, "quote_count": 0},
                          "entities": {"mentions": [{"start": 6, "end": 12, "username": "ghost", "id": "1999999999999999998"}]}}],
                "meta": {"result_count": 1, "next_token": token_for(0, SEARCH)}}
        server.add_fault(SEARCH, Fault(status=200, body=page, times=1))
        result = _x(tmp_path / "ws", server)
        assert invalid(server, contract) == []
        assert len(server.log) == result.requests > 300
    assert result.complete and {p["phase"] for p in result.phases} == {"lookup", "search", "threads", "engagement",
                                                                       "followers", "hydrate"}
    assert all(p["status"] == "complete" and p["refused"] == 0 for p in result.phases)
    assert next(p for p in result.phases if p["phase"] == "hydrate")["tombstoned"] == 2  # both unknown ids
    depth2 = [t for t in CrawlState(result.state).tasks("followers") if t.depth == 2]
    assert depth2


def test_a_full_bluesky_crawl_at_depth_2_sends_no_invalid_request(world, contract, tmp_path: Path) -> None:
    with SimServer(world) as server:
        result = crawl(Workspace(tmp_path / "ws"), _bluesky_query(), "bluesky", api_url=server.base_url, depth=2,
                       overrides={**FULL, "top_authors": 20})
        assert invalid(server, contract) == []
        assert len(server.log) == result.requests > 300
    assert result.complete and {p["phase"] for p in result.phases} >= {"lookup", "search", "threads", "engagement",
                                                                        "followers"}


def test_the_contract_check_catches_a_long_query_an_old_start_time_and_an_invalid_handle(world, contract, tmp_path,
                                                                                         monkeypatch) -> None:
    """Made to send what the real services refuse, the crawlers are caught by the same check (and answered 400)."""
    import influgraph.crawlers.bluesky as bluesky
    import influgraph.crawlers.x as x

    long = replace(load_query(QUERIES / "persian-books.toml"), keywords=tuple(f"keyword{i}" for i in range(80)))
    small = {"max_posts": 100, "top_authors": 1, "top_posts": 1, "threads": 1}
    with monkeypatch.context() as patch:
        patch.setattr(x, "query_length", lambda tier: 4096)  # the crawler forgets the tier: a 513+ character query
        with SimServer(world, token=TOKEN) as server:
            result = _x(tmp_path / "long", server, long, depth=0, overrides=small)
            assert any(len(q["query"][0]) > 512 for _, q, _ in invalid(server, contract))
        assert [p["phase"] for p in result.lost] == ["search"] and "query length" in result.lost[0]["reason"]
    with monkeypatch.context() as patch:
        from datetime import datetime, timedelta, timezone

        eight = (datetime.now(timezone.utc) - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
        patch.setattr(x, "start_time", lambda days, now=None: eight)  # the crawler forgets recent search's 7 days
        with SimServer(world, token=TOKEN) as server:
            _x(tmp_path / "old", server, depth=0, overrides={**small, "since_days": 3})
            assert any("start_time" in q for _, q, _ in invalid(server, contract))
    with monkeypatch.context() as patch:
        patch.setattr(bluesky, "actor_of", lambda seed: seed if "." in seed else f"{seed}.bsky.social")  # the old rule
        with SimServer(world) as server:
            query = load_query(QUERIES / "kuliner-nusantara.toml")  # X usernames: pro_kul617.bsky.social is no handle
            crawl(Workspace(tmp_path / "handle"), query, "bluesky", api_url=server.base_url, depth=0, overrides=small)
            assert any("actors" in q for _, q, _ in invalid(server, contract))


def test_pagination_tokens_look_like_the_recorded_real_ones(world) -> None:
    import re

    import requests

    with SimServer(world) as server:
        search = requests.get(server.base_url + SEARCH, params={"query": "#کتاب", "max_results": 10}, timeout=5).json()
        user = next(a["id"] for a in world.accounts if a["username"] == "pro_buk1233")
        followers = requests.get(f"{server.base_url}/2/users/{user}/followers", params={"max_results": 1},
                                 timeout=5).json()
        forged = requests.get(server.base_url + SEARCH, params={"query": "#کتاب", "next_token": "pg64"}, timeout=5)
    assert re.fullmatch(r"[0-9a-z]{45}", search["meta"]["next_token"])  # as b26v89c19zqg8o3fpds60ssjif02fq74br3502of8hmrh
    assert re.fullmatch(r"[0-9A-V]{13}ZZZ", followers["meta"]["next_token"])  # as 5CS0O0C6II61EZZZ
    assert forged.status_code == 400 and forged.json()["errors"][0]["parameters"] == {"next_token": ["pg64"]}


# ------------------------------------------------------------------ no silent loss
def test_a_bluesky_crawl_whose_search_is_forbidden_and_seed_lookup_refused_names_both_and_exits_6(world, tmp_path) -> None:
    query = tmp_path / "kuliner.toml"
    text = (QUERIES / "kuliner-nusantara.toml").read_text(encoding="utf-8").replace("pro_kul", "pro-kul")
    query.write_text(text.split("[crawl]")[0] + "[crawl]\nmax_requests = 60\ntop_authors = 2\n", encoding="utf-8")
    refused = {"error": "InvalidRequest", "message": "Error: actors must be a valid did or a handle"}
    with SimServer(world) as server:
        server.add_fault("/xrpc/app.bsky.feed.searchPosts", Fault(status=403, body={"error": "Forbidden"}, times=None))
        server.add_fault("/xrpc/app.bsky.actor.getProfiles", Fault(status=400, body=refused, times=None))
        run = CliRunner().invoke(main, ["crawl", str(query), "--platform", "bluesky", "-w", str(tmp_path / "ws"),
                                        "--api-url", server.base_url, "--json"],
                                 env={"BLUESKY_HANDLE": "", "BLUESKY_APP_PASSWORD": "", "BLUESKY_ACCESS_TOKEN": ""})
        text_run = CliRunner().invoke(main, ["crawl", str(query), "--platform", "bluesky", "-w", str(tmp_path / "ws2"),
                                             "--api-url", server.base_url])
    assert run.exit_code == 6, run.output
    summary = json.loads(run.stdout)
    assert summary["complete"] is False and summary["finished"] is True
    assert set(summary["lost_phases"]) == {"lookup", "search"}
    search = next(p for p in summary["phases"] if p["phase"] == "search")
    assert "403" in search["reason"] and "BLUESKY_HANDLE" in search["fix"] and "--api-url" in search["fix"]
    lookup = next(p for p in summary["phases"] if p["phase"] == "lookup")
    assert "400" in lookup["reason"] and lookup["stored"] == 0 and lookup["refused"] == 1
    assert any(line.startswith("warning: lost phase: search") for line in run.stderr.splitlines())
    assert text_run.exit_code == 6 and "lost phase lookup, search" in text_run.stdout and "complete" not in text_run.stdout.split("\n")[0].split(":")[-1]


def test_a_crawl_whose_requests_all_get_400_or_404_never_ends_complete(world, tmp_path: Path) -> None:
    with SimServer(world, token=TOKEN) as server:
        server.add_fault("/2/", Fault(status=404, body={"title": "Not Found Error", "type": "about:blank"}, times=None))
        result = crawl(Workspace(tmp_path / "ws"), load_query(QUERIES / "persian-books.toml"), "x",
                       api_url=server.base_url, token=TOKEN)
    assert result.finished and not result.complete and result.pages == 0
    assert {p["phase"] for p in result.lost} == {"lookup", "search"} and result.tasks == {"refused": 2}


def test_with_credentials_the_bluesky_crawler_logs_in_before_it_searches(world, tmp_path: Path) -> None:
    from influgraph.crawlers import BlueskyCredentials

    jwt, password = "eyJ-sim-session-77", "abcd-efgh-ijkl-mnop"
    with SimServer(world, login=("me.bsky.social", password), session_token=jwt) as server:
        anonymous = crawl(Workspace(tmp_path / "anon"), _bluesky_query(), "bluesky", api_url=server.base_url,
                          overrides={"max_requests": 40, "top_authors": 1})
        assert [p["phase"] for p in anonymous.lost] == ["search"]
        before = len(server.requests)
        result = crawl(Workspace(tmp_path / "ws"), _bluesky_query(), "bluesky", api_url=server.base_url,
                       credentials=BlueskyCredentials("me.bsky.social", password),
                       overrides={"max_requests": 40, "top_authors": 1})
        paths = server.requests[before:]
    first_search = paths.index("/xrpc/app.bsky.feed.searchPosts")
    assert "/xrpc/com.atproto.server.createSession" in paths[:first_search]  # a session before the first search
    assert not result.lost and next(p for p in result.phases if p["phase"] == "search")["stored"] > 0


def test_since_days_beyond_recent_search_is_refused_at_query_validation(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    path.write_text('name = "q"\nhashtags = ["a"]\n[crawl]\nsince_days = 8\n', encoding="utf-8")
    with pytest.raises(BadInput, match="7 days") as refused:
        load_query(path)
    assert "since_days to 7 or less" in str(refused.value)
    path.write_text('name = "q"\nhashtags = ["a"]\n[crawl]\nsince_days = 7\n', encoding="utf-8")
    assert load_query(path).crawl["since_days"] == 7


def test_seed_handles_are_validated_per_platform() -> None:
    from influgraph.crawlers.bluesky import actor_of

    assert actor_of("pro-cof1") == "pro-cof1.bsky.social" and actor_of("@Pro-Cof1.bsky.social") == "pro-cof1.bsky.social"
    assert actor_of("pro_cof1") is None and actor_of("pro_cof1.bsky.social") is None and actor_of("-x") is None
    assert actor_of("did:plc:abc123") == "did:plc:abc123" and actor_of("did:bad") is None


# ------------------------------------------------------------------ money
FAKE = {"post": 0.01, "user": 0.02}


def test_max_cost_never_bills_past_the_budget_and_resume_goes_on(world, tmp_path: Path) -> None:
    with SimServer(world, token=TOKEN) as server:
        with pytest.raises(UpstreamUnavailable, match="`max_cost`") as stopped:
            _x(tmp_path / "ws", server, depth=1, prices=FAKE, max_cost=25.0)
        assert stopped.value.exit_code == 5 and "`resume`" in str(stopped.value)
        state = CrawlState(tmp_path / "ws" / "crawl" / "x-persian-books.sqlite")
        billed = state.billed
        # what was billed, recounted from the stored pages: each post and user once (same UTC day)
        seen = set()
        for _, url, body in state.pages():
            kind = "post" if "/search/" in url or "quote_tweets" in url else "user"
            seen |= {(kind, item["id"]) for item in body.get("data") or []}
            seen |= {("post", t["id"]) for t in (body.get("includes") or {}).get("tweets", [])}
            seen |= {("user", u["id"]) for u in (body.get("includes") or {}).get("users", [])}
        state.close()
        assert 0 < billed <= 25.0 and billed == pytest.approx(sum(FAKE[k] for k, _ in seen))
        done = _x(tmp_path / "ws", server, depth=1, prices=FAKE, max_cost=10_000.0, resume=True)
    assert done.complete and done.spent > billed
    assert done.summary()["spent"] == round(done.spent, 4)


def test_dry_run_prints_the_estimated_price_from_the_price_table_and_overrides() -> None:
    base = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "x", "--dry-run", "--json"])
    fake = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "x", "--dry-run", "--json",
                                     "--price", "post=0.01", "--price", "user=0.02"])
    text = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "x", "--dry-run"])
    plan, doubled = json.loads(base.stdout), json.loads(fake.stdout)
    assert plan["estimated_cost"] > 0 and doubled["estimated_cost"] == pytest.approx(2 * plan["estimated_cost"], rel=0.01)
    search = next(r for r in plan["endpoints"] if r["endpoint"].endswith("(niche)"))
    assert search["per_window"] == 60 and plan["tier"] == "self-serve"  # self-serve: recent search 60 / 15 min
    followers = next(r for r in plan["endpoints"] if r["endpoint"] == "/2/users/:id/followers")
    assert followers["per_window"] == 15 and followers["cost"] == pytest.approx(followers["items"] * 0.01, abs=0.01)
    assert plan["prices"]["date"] and plan["prices"]["source"]
    assert "estimated price" in text.stdout and "items" in text.stdout


def test_a_price_table_in_the_query_is_used(tmp_path: Path) -> None:
    from influgraph.crawlers import cost_plan

    path = tmp_path / "q.toml"
    path.write_text('name = "q"\nhashtags = ["a"]\n[prices]\npost = 0\nuser = 0\n', encoding="utf-8")
    assert cost_plan(load_query(path), "x").cost == 0
    assert cost_plan(load_query(path), "x", prices={"user": 1.0}).cost > 0


def test_the_tiers_are_named_alike_everywhere() -> None:
    from influgraph.cli import crawl_command
    from influgraph.crawlers.pricing import TIERS
    from influgraph.niches import TIERS as QUERY_TIERS

    choice = next(p for p in crawl_command.params if p.name == "tier").type.choices
    assert tuple(TIERS) == QUERY_TIERS == tuple(choice) and set(TIERS) == set(contracts.QUERY_LENGTH)
    assert all(TIERS[t][0] == contracts.QUERY_LENGTH[t] for t in TIERS)
