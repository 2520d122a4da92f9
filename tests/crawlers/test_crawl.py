"""The X crawler against the simulated API on 127.0.0.1: faults, rate limits, tombstones, resume, secrets."""
from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.crawlers import cost_plan, crawl
from influgraph.crawlers.state import CrawlState
from influgraph.errors import AuthError, BadInput, UpstreamUnavailable
from influgraph.niches import load_query
from influgraph.simulated import Fault, SimServer
from influgraph.simulated.x_api import token_for
from influgraph.sources.xjson import read_x_pages
from influgraph.workspace import Workspace
from shared_data import shared_path

from shared_data import QUERIES
TOKEN = "SEKRET-tok-0123456789abcdef"
SMALL = {"top_authors": 8, "max_followers": 2000, "top_posts": 5, "threads": 40}
SEARCH = "/2/tweets/search/recent"


class Clock:
    """A fake clock: sleeping advances it, so rate-limit waits take no real time."""

    def __init__(self):
        self.t = 1_900_000_000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world


@pytest.fixture()
def server(world):
    with SimServer(world, token=TOKEN) as running:
        yield running


def _query():
    return load_query(QUERIES / "persian-books.toml")


def _crawl(ws_path: Path, server: SimServer, clock: Clock | None = None, **options):
    transport = {"sleep": clock.sleep, "now": clock.now} if clock else {}
    transport.update(options.pop("transport", {}))
    return crawl(Workspace(ws_path), _query(), "x", api_url=server.base_url, token=TOKEN, overrides=SMALL,
                 transport_options=transport, **options)


@pytest.fixture(scope="module")
def reference(world, tmp_path_factory):
    """An uninterrupted crawl: the rows every other crawl of the same query must end with."""
    path = tmp_path_factory.mktemp("reference") / "ws"
    with SimServer(world, token=TOKEN) as server:
        result = _crawl(path, server)
    return path, result


def test_uninterrupted_crawl_collects_every_kind_and_is_idempotent(reference, world, tmp_path: Path) -> None:
    path, result = reference
    assert result.complete and result.stopped is None and result.warnings == []
    ws = Workspace(path)
    kinds = set(ws.table("edges")["kind"].cast(pl.String))
    assert {"follow", "repost", "reply", "mention", "quote"} <= kinds
    assert set(result.tasks) == {"done"}
    with SimServer(world, token=TOKEN) as server:  # a finished crawl re-run changes nothing
        again = crawl(ws, _query(), "x", api_url=server.base_url, token=TOKEN, overrides=SMALL)
        assert again.imported["changed"] is False and server.requests == []
    raw = [json.loads(line) for line in result.raw.read_text(encoding="utf-8").splitlines()]
    assert len(raw) == result.pages and all({"endpoint", "url", "params", "retrieved_at", "version"} <= set(p["__influgraph"])
                                            for p in raw)
    rebuilt = tmp_path / "rebuilt"  # the raw pages rebuild the same workspace offline
    assert CliRunner().invoke(main, ["import", str(result.raw), "-w", str(rebuilt)]).exit_code == 0
    assert Workspace(rebuilt).content_hash() == ws.content_hash()


def test_window_429_waits_for_the_reset_and_sends_nothing_before_it(server, tmp_path: Path) -> None:
    clock = Clock()
    reset = int(clock.t) + 600
    server.add_fault(SEARCH, Fault(status=429, headers={"x-rate-limit-reset": str(reset)}, times=1))
    result = _crawl(tmp_path / "ws", server, clock)
    searches = [s for s in result.sent if s.endpoint == SEARCH]
    assert searches[0].status == 429 and all(s.at >= reset for s in searches[1:])
    assert result.complete and clock.t >= reset


def test_429_without_reset_header_backs_off_never_faster_than_1_second(server, tmp_path: Path) -> None:
    clock = Clock()
    server.add_fault(SEARCH, Fault(status=429, times=3))
    result = _crawl(tmp_path / "ws", server, clock)
    searches = [s for s in result.sent if s.endpoint == SEARCH]
    assert [s.status for s in searches[:4]] == [429, 429, 429, 200]
    gaps = [b.at - a.at for a, b in zip(searches[:3], searches[1:4])]
    assert min(gaps) >= 1.0 and gaps == sorted(gaps)  # at least 1 s, growing
    assert result.complete


def test_monthly_cap_stops_with_exit_5_and_resume_finishes(server, reference, tmp_path: Path) -> None:
    cap = {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
           "type": "https://api.twitter.com/2/problems/usage-capped", "status": 429}
    server.add_fault("/2/users/", Fault(status=429, body=cap, times=None))
    with pytest.raises(UpstreamUnavailable) as stopped:
        _crawl(tmp_path / "ws", server, Clock())
    assert "usage cap" in str(stopped.value) and "`resume`" in str(stopped.value)
    capped = [p for p in server.requests if p.startswith("/2/users/")]
    assert len(capped) == 1  # no retry against a cap, and nothing after it
    server._faults.clear()
    result = _crawl(tmp_path / "ws", server, Clock(), resume=True)
    assert result.complete
    assert Workspace(tmp_path / "ws").facts_hash() == Workspace(reference[0]).facts_hash()  # the same rows; observed_at differs between crawls at different times


def test_unauthorised_token_exits_4_without_showing_the_token(server, tmp_path: Path) -> None:
    with pytest.raises(AuthError) as refused:
        crawl(Workspace(tmp_path / "ws"), _query(), "x", api_url=server.base_url, token="wrong-" + TOKEN, overrides=SMALL)
    assert "401" in str(refused.value) and TOKEN not in str(refused.value)


def test_tier_403_on_followers_gives_one_line_and_the_crawl_goes_on(server, tmp_path: Path) -> None:
    body = {"title": "Client Forbidden", "detail": "This request must be made using an approved developer account "
            "that is enrolled in the requested endpoint.", "reason": "client-not-enrolled", "status": 403}
    server.add_fault("/2/users/1", Fault(status=403, body=body, times=None))  # /2/users/ID/followers and /following
    warnings: list[str] = []
    result = _crawl(tmp_path / "ws", server, Clock(), warn=warnings.append)
    tier = [w for w in warnings if "not allowed" in w]
    assert len(tier) == 2  # followers and following: one line each, not one per account
    assert "GET /2/users/:id/followers" in tier[0] and "Pro or Enterprise" in tier[0] and "Going on" in tier[0]
    assert result.finished and result.tasks.get("forbidden", 0) > 0
    assert not result.complete and [p["phase"] for p in result.lost] == ["followers"]  # a lost phase is never a success
    lost = result.lost[0]
    assert "client-not-enrolled" not in lost["fix"] and "tier" in lost["fix"] and "403" in lost["reason"]
    assert any(w.startswith("lost phase: followers") for w in warnings)
    edges = Workspace(tmp_path / "ws").table("edges")
    assert edges.filter(pl.col("kind") == "follow").height == 0 and edges.filter(pl.col("kind") == "repost").height > 0


def test_503_streak_opens_the_circuit_breaker_and_short_503s_are_retried(server, tmp_path: Path) -> None:
    server.add_fault(SEARCH, Fault(status=503, times=2))
    result = _crawl(tmp_path / "short", server, Clock())
    assert result.complete and [s.status for s in result.sent if s.endpoint == SEARCH][:3] == [503, 503, 200]
    server.add_fault(SEARCH, Fault(status=503, times=None))
    before = len(server.requests)
    with pytest.raises(UpstreamUnavailable) as stopped:
        _crawl(tmp_path / "down", server, Clock())
    assert "circuit breaker" in str(stopped.value)
    assert server.requests[before:].count(SEARCH) == 5


def test_a_hang_past_the_read_timeout_is_cut_and_retried(server, tmp_path: Path) -> None:
    server.add_fault(SEARCH, Fault(status=200, delay=3.0, truncate=True, times=1))
    started = time.monotonic()
    result = _crawl(tmp_path / "ws", server, transport={"read_timeout": 0.5, "max_backoff": 1.0})
    assert result.complete
    assert result.sent[0].status is None or any(s.status is None for s in result.sent)
    assert max(s.seconds for s in result.sent) < 0.5 + 0.5  # no call waits longer than the read timeout (plus slack)
    assert time.monotonic() - started < 30


def test_truncated_json_is_retried(server, tmp_path: Path) -> None:
    server.add_fault(SEARCH, Fault(status=200, truncate=True, times=2))
    result = _crawl(tmp_path / "ws", server, Clock())
    assert result.complete and [s.endpoint for s in result.sent[:4]].count(SEARCH) >= 3


def test_a_repeated_pagination_token_ends_that_pagination_with_a_warning(server, tmp_path: Path) -> None:
    server.add_fault(SEARCH, Fault(status=200, next_token=token_for(100, SEARCH), times=None))
    warnings: list[str] = []
    result = _crawl(tmp_path / "ws", server, Clock(), warn=warnings.append)
    assert any("repeated a pagination token" in w for w in warnings)
    assert result.complete and sum(s.endpoint == SEARCH for s in result.sent) < 20


def test_partial_errors_become_tombstones_and_requested_equals_stored_plus_tombstoned(world, tmp_path: Path) -> None:
    # a seed that does not exist, and ids that do not exist among the ones to hydrate
    real = [a for a in world.accounts if a["username"].startswith("pro_buk")][:2]
    query = load_query(QUERIES / "persian-books.toml")
    from dataclasses import replace

    query = replace(query, seed_accounts=(real[0]["username"], "no_such_account", real[1]["username"]))
    with SimServer(world, token=TOKEN) as server:
        result = crawl(Workspace(tmp_path / "ws"), query, "x", api_url=server.base_url, token=TOKEN, overrides=SMALL)
        state = CrawlState(result.state)
        lookups = [(url, body) for _, url, body in state.pages() if "/2/users/by" in url or url.split("?")[0].endswith("/2/users")]
        assert lookups
        for url, body in lookups:
            from urllib.parse import parse_qs, urlparse

            params = parse_qs(urlparse(url).query)
            wanted = (params.get("usernames") or params.get("ids"))[0].split(",")
            stored = {u["username"] if "usernames" in params else u["id"] for u in body.get("data", [])}
            gone = {e["value"] for e in body.get("errors", [])}
            assert set(wanted) == stored | gone and not stored & gone
        assert state.tombstoned().get("@no_such_account") == "not_found"
        state.close()


def test_tombstoned_accounts_are_not_requested_again(world, tmp_path: Path) -> None:
    with SimServer(world, token=TOKEN) as server:
        ws = Workspace(tmp_path / "ws")
        from dataclasses import replace

        state_query = replace(_query(), seed_accounts=("no_such_account",))
        crawl(ws, state_query, "x", api_url=server.base_url, token=TOKEN, overrides=SMALL)
        requested = [p for p in server.requests if p == "/2/users/by"]
        assert len(requested) == 1
        crawl(ws, state_query, "x", api_url=server.base_url, token=TOKEN, overrides=SMALL)
        assert [p for p in server.requests if p == "/2/users/by"] == requested


def test_request_budget_stops_and_resume_continues_to_the_same_rows(server, reference, tmp_path: Path) -> None:
    first = _crawl(tmp_path / "ws", server, Clock(), max_requests=15)
    assert not first.complete and first.stopped == "budget" and first.requests == 15
    with pytest.raises(BadInput, match="`resume`"):
        _crawl(tmp_path / "ws", server, Clock())
    done = _crawl(tmp_path / "ws", server, Clock(), resume=True)
    assert done.complete
    assert Workspace(tmp_path / "ws").facts_hash() == Workspace(reference[0]).facts_hash()  # the same rows; observed_at differs between crawls at different times


def test_a_changed_query_refuses_to_resume(server, tmp_path: Path) -> None:
    _crawl(tmp_path / "ws", server, Clock(), max_requests=3)
    from dataclasses import replace

    with pytest.raises(BadInput, match="changed"):
        crawl(Workspace(tmp_path / "ws"), replace(_query(), hashtags=("other",)), "x", api_url=server.base_url,
              token=TOKEN, resume=True)


def test_dry_run_plans_without_sending(server, tmp_path: Path) -> None:
    plan = cost_plan(_query(), "x", max_requests=100)
    assert plan.requests <= 100 and plan.post_reads > 0
    followers = next(r for r in plan.endpoints if r["endpoint"] == "/2/users/:id/followers")
    assert followers["per_window"] == 15 and followers["rate_limit_wait_minutes"] >= 15 * (followers["requests"] // 15 - 1)
    result = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "x", "--dry-run",
                                       "--api-url", server.base_url, "--json"], env={"X_BEARER_TOKEN": ""})
    assert result.exit_code == 0 and json.loads(result.stdout)["requests"] > 0
    assert server.requests == []


@pytest.mark.parametrize("args,code,message", [
    (["--platform", "x"], 4, "X_BEARER_TOKEN"),
    (["--platform", "x", "--resume", "--restart"], 2, "not both"),
    (["--platform", "myspace"], 2, "Invalid value for '--platform'"),
    (["--platform", "x", "--api-url", "ftp://example"], 2, "not an http(s) URL"),
])
def test_cli_refusals(tmp_path: Path, args, code: int, message: str) -> None:
    env = {"X_BEARER_TOKEN": "", "TWITTER_BEARER_TOKEN": ""}
    if "--api-url" in args:
        env["X_BEARER_TOKEN"] = TOKEN
    result = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "-w", str(tmp_path / "ws"), *args], env=env)
    assert result.exit_code == code, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------ real processes: kill, signals, secrets
def _cli(args: list[str], env_extra: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "X_BEARER_TOKEN": TOKEN, **(env_extra or {})}
    return subprocess.Popen([sys.executable, "-m", "influgraph", "crawl", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _small_query(folder: Path, **limits) -> Path:
    """persian-books.toml with the small crawl limits, for runs of the real CLI."""
    text = (QUERIES / "persian-books.toml").read_text(encoding="utf-8").split("[crawl]")[0]
    values = {**SMALL, **limits}
    path = folder / "persian-books.toml"
    path.write_text(text + "[crawl]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()), encoding="utf-8")
    return path


def _args(ws: Path, server: SimServer, *extra: str, **limits) -> list[str]:
    return [str(_small_query(ws.parent, **limits)), "--platform", "x", "-w", str(ws), "--api-url", server.base_url, *extra]


@pytest.mark.slow
def test_sigkill_at_20_random_moments_then_resume_ends_with_the_uninterrupted_rows(world, tmp_path: Path) -> None:
    limits = {"top_authors": 200, "max_followers": 5000, "threads": 1000}
    kill_and_resume(world, tmp_path, lambda ws, server, *extra: _args(ws, server, *extra, **limits),
                    "x-persian-books.sqlite", dict(os.environ, X_BEARER_TOKEN=TOKEN), token=TOKEN)


def kill_and_resume(world, tmp_path: Path, args, state_name: str, env: dict, token: str | None = None) -> None:
    """Crawl once uninterrupted, then SIGKILL the same crawl at 20 random moments (each run resuming the last) and
    resume it to the end: both end with the same rows and pages. `args(ws, server, *extra)` gives the crawl
    command's arguments; `state_name` is the crawl state's file name. Shared by every platform's crawler test."""
    seed = int(os.environ.get("KILL_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    with SimServer(world, token=token, latency=0.005) as server:
        reference = tmp_path / "reference"
        done = subprocess.run([sys.executable, "-m", "influgraph", "crawl", *args(reference, server, "--json")],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        total = json.loads(done.stdout)["pages"]
        # 20 kill points spread over the crawl: after the k-th committed page, plus a random slice of a page
        targets = sorted(rng.sample(range(1, total - 1), 20))
        ws = tmp_path / "killed"
        committed = 0
        for attempt, target in enumerate(targets):
            resume = ["--resume"] if attempt else []
            child = subprocess.Popen([sys.executable, "-m", "influgraph", "crawl", *args(ws, server, "-v", *resume)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            while committed < target:
                line = child.stderr.readline()
                if not line:
                    break
                committed += "committed" in line
            time.sleep(rng.uniform(0, 0.02))  # land between commits, mid-request or mid-commit
            assert child.poll() is None, f"seed {seed}: the crawl ended before kill {attempt + 1}"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            child.stderr.close()
            child.stdout.close()
            state = CrawlState(ws / "crawl" / state_name)
            committed = len(state.pages())  # what survived: every acknowledged page, maybe one more
            state.close()
        final = subprocess.run([sys.executable, "-m", "influgraph", "crawl", *args(ws, server, "--resume")],
                               capture_output=True, text=True, timeout=300, env=env)
        assert final.returncode == 0, (seed, final.stderr)
    print(f"\nkill seed {seed}: 20 SIGKILLs after pages {targets} of {total}")
    ours, theirs = Workspace(ws), Workspace(reference)
    for table in ("accounts", "posts", "edges"):
        assert ours.table(table).height == theirs.table(table).height, (seed, table)
    assert ours.facts_hash() == theirs.facts_hash(), f"seed {seed}"  # the same rows; observed_at differs between crawls at different times
    state = CrawlState(ws / "crawl" / state_name)
    pages = state.pages()
    urls = [url for _, url, _ in pages]  # the URL holds the endpoint, parameters and pagination token
    assert len(pages) == total and len(set(urls)) == len(urls), f"seed {seed}: pages lost or stored twice"
    state.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_stop_within_5_seconds_with_exit_3_and_a_resume_hint(world, tmp_path: Path, sig) -> None:
    with SimServer(world, token=TOKEN) as server:
        server.add_fault("/2/users/", Fault(status=503, delay=0.3, times=None))  # slow failures and backoff: a long crawl
        child = _cli(_args(tmp_path / "ws", server, "-v"))
        deadline = time.monotonic() + 60  # under load the start can take seconds: wait for the crawl's first wait
        while time.monotonic() < deadline and "waiting" not in child.stderr.readline():
            pass
        time.sleep(0.5)
        sent = time.monotonic()
        child.send_signal(sig)
        out, err = child.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    assert child.returncode == 3, err
    assert elapsed < 5
    last = err.strip().splitlines()[-1]
    assert last.startswith("error:") and "--resume" in last


def token_forms(token: str) -> set[str]:
    """Every form a token can leak in: raw and stripped, alone or in its header, as Python's repr or JSON escape it,
    URL-encoded, and base64 (alone, of the whole header, inside Basic auth)."""
    forms = set()
    for value in {token, token.strip()}:
        for text in (value, f"Bearer {value}"):
            forms |= {text, repr(text)[1:-1], json.dumps(text)[1:-1], quote(text, safe=""), quote_plus(text),
                      base64.b64encode(text.encode()).decode(), base64.urlsafe_b64encode(text.encode()).decode()}
        forms.add(base64.b64encode(f"user:{value}".encode()).decode())
    return forms


def test_no_fault_mode_leaks_the_token_anywhere(world, tmp_path: Path) -> None:
    """Every fault mode, answers echoing the Authorization header at every status, and tokens read with a trailing
    \\r, \\n or \\r\\n: no form of the token in any output, log line, crawl state, raw page or export."""
    suffixes = ["\r", "\n", "\r\n", ""]
    echo = [("/2/users/by", Fault(status=200, echo=True, times=1)),  # a page that echoes it: stored, then imported
            ("/2/users/1", Fault(status=403, echo=True, times=None)),  # followers: the tier warning
            ("/2/tweets/1", Fault(status=404, echo=True, times=None)), ("/2/users", Fault(status=400, echo=True, times=None))]
    runs = [[(SEARCH if n % 2 == 0 else "/2/users/", fault)] for n, fault in enumerate([
        Fault(status=429, times=1), Fault(status=429, headers={"x-rate-limit-reset": str(int(time.time()) + 1)}, times=1),
        Fault(status=503, times=2), Fault(status=200, truncate=True, times=1), Fault(status=403, times=None),
        Fault(status=200, next_token=token_for(100, SEARCH), times=3)])] + [echo]
    outputs, codes = [], []
    ws = tmp_path / "ws"
    with SimServer(world, token=TOKEN) as server:
        for n, faults in enumerate(runs):
            server._faults.clear()
            for prefix, fault in faults:
                server.add_fault(prefix, fault)
            child = _cli(_args(ws, server, "-vvv", "--restart", "--json", top_authors=2),
                         {"X_BEARER_TOKEN": TOKEN + suffixes[n % len(suffixes)]})
            outputs.append(child.communicate(timeout=120))
            codes.append(child.returncode)
        server._faults.clear()
        with SimServer(world, token="other") as wrong:  # 401: the token is refused
            child = _cli(_args(ws, wrong, "-vvv", "--restart", top_authors=2), {"X_BEARER_TOKEN": TOKEN + "\r\n"})
            outputs.append(child.communicate(timeout=60))
            assert child.returncode == 4, outputs[-1][1]
        server.add_fault("/2/users/", Fault(status=429, body={"title": "UsageCapExceeded"}, times=None))
        child = _cli(_args(ws, server, "-vvv", "--restart", top_authors=2))
        outputs.append(child.communicate(timeout=60))
    assert codes == [0, 0, 0, 0, 6, 0, 6], [err[-300:] for _, err in outputs]  # 6: a phase was forbidden (lost)
    assert all(json.loads(out)["pages"] > 0 for out, _ in outputs[:len(runs)])  # a token read with \\r or \\n works
    echoed = json.loads(outputs[len(runs) - 1][0])  # the echoes of 200, 403, 404 and 400 were seen, and redacted
    assert echoed["pages"] > 0 and echoed["tasks"]["forbidden"] > 0 and echoed["tasks"]["refused"] > 0
    assert any("not allowed" in w and "Bearer ***" in w for w in echoed["warnings"]), echoed["warnings"]
    assert any("Authorization" in err or "Bearer ***" in err or "Headers" in err for _, err in outputs)  # tweepy logged
    for fmt, out in (("gexf", "g.gexf"), ("csv", "c"), ("json", "g.json"), ("report", "r")):
        assert CliRunner().invoke(main, ["export", "-w", str(ws), "--format", fmt, "--out", str(tmp_path / out)]).exit_code == 0
    texts = [o + e for o, e in outputs]
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert len(files) > 10 and any(p.suffix == ".sqlite" for p in files) and any(p.name.endswith(".pages.jsonl") for p in files)
    for form in set().union(*(token_forms(TOKEN + suffix) for suffix in suffixes)):
        assert not any(form in t for t in texts), form
        assert not any(form.encode() in data for data in files.values()), form


# ------------------------------------------------------------------ recorded real responses
RECORDED = ["test_client_get_users_followers", "test_client_get_users_following", "test_client_get_liking_users",
            "test_client_get_retweeters", "test_client_search_recent_tweets", "test_client_get_quote_tweets",
            "test_asyncclient_get_users_followers"]


@pytest.mark.parametrize("name", RECORDED)
def test_recorded_tweepy_responses_parse_as_crawled_pages(name: str) -> None:
    path = shared_path(f"tweepy-cassettes/decoded/{name}.json")
    interactions = json.loads(path.read_text(encoding="utf-8"))
    pages = [(i["uri"], i["body"]) for i in interactions if (i.get("status") or {}).get("code") == 200
             and isinstance(i.get("body"), dict) and "/2/" in i["uri"]]
    assert pages
    batch, notes = read_x_pages(pages, source=name)
    data = [item for _, body in pages for item in body.get("data", [])]
    if "followers" in name or "following" in name:
        assert batch.edges.filter(pl.col("kind") == "follow").height == len(data)
        assert batch.accounts.height == len(set(u["id"] for u in data)) + 1  # the listed users and the subject
    elif "liking" in name or "retweeters" in name:
        # recorded with default fields: the liked tweet's author is unknown, so the rows are counted in a note
        assert batch.accounts.height == len(set(u["id"] for u in data))
        assert any("left out: the tweet's author is not in the same file" in n for n in notes)
    else:
        # default fields carry no author_id: each tweet is skipped and counted, never guessed
        assert batch.posts.height == 0 and any("author_id" in n and f"skipped {len(data)} bad row" in n for n in notes)


def test_simulated_pages_use_only_fields_of_the_real_recorded_pages(world) -> None:
    real_tweet_keys, real_user_keys = set(), set()
    for path in shared_path("twarc-v2-responses").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines()[:50]:
            page = json.loads(line)
            for tweet in page.get("data", []) or []:
                real_tweet_keys |= set(tweet)
            for user in (page.get("includes") or {}).get("users", []) or []:
                real_user_keys |= set(user)
    with SimServer(world) as server:
        import requests

        page = requests.get(server.base_url + SEARCH, params={"query": "#کتاب"}, timeout=5).json()
    assert set().union(*(set(t) for t in page["data"])) <= real_tweet_keys | {"edit_history_tweet_ids"}
    assert set().union(*(set(u) for u in page["includes"]["users"])) <= real_user_keys


def test_a_search_query_longer_than_the_tier_accepts_is_split_into_queries_that_fit(server, tmp_path: Path) -> None:
    from dataclasses import replace

    long = replace(_query(), keywords=tuple(f"keyword{i}" for i in range(80)))
    result = crawl(Workspace(tmp_path / "ws"), long, "x", api_url=server.base_url, token=TOKEN, overrides=SMALL)
    searches = [entry.query["query"][0] for entry in server.log if entry.path == SEARCH]
    niche = [q for q in searches if "conversation_id:" not in q]
    assert len(niche) >= 2 and all(len(q) <= 512 for q in searches), [len(q) for q in searches]
    assert all(f"keyword{i}" in " ".join(niche) for i in range(80))  # every term is searched, in some query
    assert result.complete and all(entry.status == 200 for entry in server.log)
    pro = crawl(Workspace(tmp_path / "pro"), long, "x", api_url=server.base_url, token=TOKEN, overrides=SMALL,
                tier="pro")  # a higher tier takes longer queries: fewer of them
    assert pro.phases[1]["tasks"] < result.phases[1]["tasks"]


# ------------------------------------------------------------------ secrets: forms, refusals, crawls that reach nothing
@pytest.mark.parametrize("secret", [TOKEN, TOKEN + "\r\n", "AAAA%2Bb/c+d=e%3Dxyz0123456789", "pässwörd 'x' \"y\"\\z"])
def test_redact_takes_out_every_form_of_a_secret(secret: str) -> None:
    from influgraph.crawlers.transport import redact

    forms = token_forms(secret)
    text = " | ".join(f"<{form}>" for form in sorted(forms))
    cleaned = redact(text, [secret])
    assert not [form for form in forms if form in cleaned]
    assert cleaned.count("<") == len(forms) and "Bearer ***" in cleaned


def test_a_token_that_cannot_be_sent_is_refused_before_any_request(server, tmp_path: Path) -> None:
    from influgraph.crawlers import BlueskyCredentials

    for bad in (TOKEN + "\n", TOKEN + "\r", " " + TOKEN, "SEKRET tok", "SEKRET\x00tok", "SEKRET-tök"):
        with pytest.raises(AuthError, match="the token holds") as refused:
            crawl(Workspace(tmp_path / "ws"), _query(), "x", api_url=server.base_url, token=bad, overrides=SMALL)
        assert refused.value.exit_code == 4 and not [form for form in token_forms(bad) if form in str(refused.value)]
    with pytest.raises(AuthError, match="the app password holds a line break"):
        crawl(Workspace(tmp_path / "ws"), _query(), "bluesky", api_url=server.base_url,
              credentials=BlueskyCredentials("me.bsky.social", "abcd-efgh-ijkl-mnop\n"), overrides=SMALL)
    assert server.requests == []


def test_crawl_environment_strips_surrounding_whitespace(monkeypatch) -> None:
    from influgraph.cli import crawl_environment

    monkeypatch.setenv("X_BEARER_TOKEN", " " + TOKEN + "\r\n")
    monkeypatch.setenv("BLUESKY_ACCESS_TOKEN", "\t\n")  # blank: unset
    monkeypatch.setenv("BLUESKY_HANDLE", "me.bsky.social\r\n")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop\n")
    assert crawl_environment("x")["token"] == TOKEN
    bluesky = crawl_environment("bluesky")
    assert bluesky["token"] is None
    assert (bluesky["credentials"].handle, bluesky["credentials"].app_password) == ("me.bsky.social", "abcd-efgh-ijkl-mnop")


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed (127.0.0.1 only)
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_crawl_that_reaches_no_server_exits_5_with_the_reason_and_can_resume(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}"
    clock = Clock()
    with pytest.raises(UpstreamUnavailable, match="Connection refused") as stopped:
        crawl(Workspace(tmp_path / "ws"), _query(), "x", api_url=closed, token=TOKEN, overrides=SMALL,
              transport_options={"sleep": clock.sleep, "now": clock.now})
    assert "no request reached" in str(stopped.value) and "`api_url`" in str(stopped.value)
    assert len(clock.slept) < 10 and clock.t - 1_900_000_000.0 < 10  # 2 retries on first contact, not 5
    state = CrawlState(tmp_path / "ws" / "crawl" / "x-persian-books.sqlite")
    assert {task.status for task in state.tasks()} == {"pending"} and state.get("phase", "lookup") == "lookup"  # resume redoes them
    state.close()
    env = {"X_BEARER_TOKEN": TOKEN + "\r\n", "TWITTER_BEARER_TOKEN": ""}
    started = time.monotonic()
    result = CliRunner().invoke(main, ["crawl", str(QUERIES / "persian-books.toml"), "--platform", "x", "-w",
                                       str(tmp_path / "cli"), "--api-url", closed], env=env)
    assert result.exit_code == 5 and "Connection refused" in result.stderr and "--api-url" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and time.monotonic() - started < 15


def test_a_post_cut_inside_an_emoji_is_stored_and_imported_with_the_replacement_counted(world, tmp_path: Path) -> None:
    """A lone surrogate escape (a text cut inside an emoji, which real X pages hold) is valid JSON: the page is
    stored in the crawl state and the raw pages, and the import replaces it by U+FFFD and says so."""
    import copy

    cut = copy.deepcopy(world)
    for post in cut.posts:
        post["text"] += " \ud83d"  # the first half of an emoji's surrogate pair, alone
    with SimServer(cut, token=TOKEN) as server:
        result = crawl(Workspace(tmp_path / "ws"), _query(), "x", api_url=server.base_url, token=TOKEN, overrides=SMALL)
    assert result.complete and result.stopped is None
    texts = Workspace(tmp_path / "ws").table("posts")["text"].drop_nulls()
    assert texts.len() > 10 and texts.str.ends_with(" \ufffd").all()
    assert any("lone surrogate" in note for note in result.imported["notes"]), result.imported["notes"]
    raw = result.raw.read_bytes()
    assert b"\\ud83d" in raw and raw.decode("utf-8")  # the raw pages keep the escape, as UTF-8
    rebuilt = tmp_path / "rebuilt"  # and they import to the same rows
    assert CliRunner().invoke(main, ["import", str(result.raw), "-w", str(rebuilt)]).exit_code == 0
    assert Workspace(rebuilt).table("posts").sort("id")["text"].equals(Workspace(tmp_path / "ws").table("posts").sort("id")["text"])
