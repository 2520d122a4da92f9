"""`listen` (Jetstream) against the simulated Jetstream on 127.0.0.1: what it keeps is what the world says, a kill
and a dropped connection change nothing, it is bounded by time and count, and every frame is counted."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.crawlers.jetstream import COLLECTIONS, listen
from influgraph.crawlers.state import CrawlState
from influgraph.errors import BadInput, UpstreamUnavailable
from influgraph.niches import load_query, post_in_niche_expr
from influgraph.simulated import build_world
from influgraph.simulated.bluesky_appview import BlueskyIndex, did_of, uri_of
from influgraph.simulated.jetstream import SimJetstream, time_us_of, world_events
from influgraph.simulated.world import START
from influgraph.simulated.x_api import XIndex
from influgraph.sources.bluesky import read_bluesky_pages
from influgraph.workspace import Workspace
from shared_data import QUERIES, REPO, shared_path

NICHE = "specialty-coffee"


class FakeTime:
    """A clock whose sleeps only move it (the reconnection waits of a test take no time)."""

    def __init__(self):
        self.t, self.slept = 0.0, []

    def now(self) -> float:
        self.t += 0.001
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture(scope="module")
def world():
    return build_world(7, scale=0.1)


@pytest.fixture(scope="module")
def events(world):
    return world_events(world)


@pytest.fixture(scope="module")
def query(world):
    """The coffee niche with its experts' dids as seeds (a stream names accounts by did only)."""
    experts = sorted(a for a, role in world.roles.items() if role == "expert" and world.community[a] == NICHE)
    return replace(load_query(QUERIES / f"{NICHE}.toml"), seed_accounts=tuple(did_of(a) for a in experts[:3]))


def _listen(path: Path, stream: SimJetstream, query, **options):
    options.setdefault("max_events", len(stream.served()))
    return listen(Workspace(path), query, jetstream_url=stream.url, **options)


@pytest.fixture(scope="module")
def reference(world, events, query, tmp_path_factory):
    """One uninterrupted listen to the whole world."""
    path = tmp_path_factory.mktemp("listen") / "ws"
    with SimJetstream(events=events) as stream:
        result = _listen(path, stream, query)
    return path, result


def _expected(world, query, members: set[str]) -> dict[str, set]:
    """What the world says the niche's stream holds: its posts (the niche rule on the world's own posts), the
    reposts of them, and the follows by or of `members`."""
    originals = [p for p in world.posts if not any(r["type"] == "retweeted" for r in p.get("referenced_tweets", []))]
    frame = pl.DataFrame({"id": [p["id"] for p in originals], "text": [p["text"] for p in originals],
                          "hashtags": [[h["tag"] for h in p["entities"].get("hashtags", [])] for p in originals],
                          "lang": [p["lang"] for p in originals]})
    on_topic = set(frame.filter(post_in_niche_expr(query))["id"].to_list())
    author = {p["id"]: p["author_id"] for p in originals}
    posts = {uri_of(author[p], p) for p in on_topic}
    reposts = {(did_of(p["author_id"]), uri_of(author[r["id"]], r["id"])) for p in world.posts
               for r in p.get("referenced_tweets", []) if r["type"] == "retweeted" and r["id"] in on_topic}
    follows = {(did_of(s), did_of(d)) for s, d in world.follows if did_of(s) in members or did_of(d) in members}
    return {"posts": posts, "reposts": reposts, "follows": follows,
            "authors": {did_of(author[p]) for p in on_topic}}


def _stored(path: Path) -> dict[str, set]:
    ws = Workspace(path)
    edges = ws.table("edges")
    pairs = lambda kind, b: set(edges.filter(pl.col("kind") == kind).select("src", b).iter_rows())  # noqa: E731
    return {"posts": set(ws.table("posts")["id"].to_list()), "reposts": pairs("repost", "post_id"),
            "follows": pairs("follow", "dst")}


def test_what_is_kept_is_what_the_world_says(world, events, query, reference):
    path, result = reference
    # every week-one follow dates from before the first post, so only the seeds' follows are the niche's here
    created = {a["id"]: a["created_at"] for a in world.accounts}
    assert max(max(created[s], created[d]) for s, d in world.follows) < START.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    want = _expected(world, query, set(query.seed_accounts))
    stored = _stored(path)
    assert want["posts"] and want["reposts"] and want["follows"]
    assert stored["posts"] == want["posts"]
    assert stored["reposts"] == want["reposts"]
    assert stored["follows"] == want["follows"]
    assert result.matched == {"post": len(want["posts"]), "repost": len(want["reposts"]), "follow": len(want["follows"])}
    assert result.seen == len(events) == result.stored + result.unmatched + sum(result.skipped.values())
    assert result.stored == sum(result.matched.values()) and result.skipped == {}
    assert result.stopped == "max_events" and result.reconnects == 0
    totals = CrawlState(result.state)  # the cursor and the counts kept for the next listen
    assert int(totals.get("jetstream:cursor")) == events[-1]["time_us"] == result.cursor
    assert totals.count("jetstream:seen") == result.seen and totals.count("jetstream:unmatched") == result.unmatched
    assert {k: totals.count(f"jetstream:matched:{k}") for k in result.matched} == result.matched


def test_stored_posts_make_their_authors_members(world, query, reference, events, tmp_path):
    """Listening again from the start over the stored niche: every author of a stored niche post is a member, so
    their follows are kept too, and the posts and reposts already stored are not stored twice."""
    path = tmp_path / "ws"
    shutil.copytree(reference[0], path)
    before = Workspace(path).counts()
    with SimJetstream(events=events) as stream:
        again = _listen(path, stream, query, restart=True)
    want = _expected(world, query, set(query.seed_accounts) | _expected(world, query, set())["authors"])
    stored = _stored(path)
    assert stored["follows"] == want["follows"] and len(want["follows"]) > len(_stored(reference[0])["follows"])
    assert stored["posts"] == want["posts"] and stored["reposts"] == want["reposts"]
    assert again.added["posts"] == 0 and Workspace(path).counts()["posts"] == before["posts"]


def test_week_two_likes_and_timed_follows_are_kept_as_the_world_says(query, tmp_path):
    """On the two-week world: likes of niche posts are kept, and a week-two follow is kept when one of its ends is
    a seed or has posted on the niche by then (stream order: a post sorts before a follow of the same instant)."""
    world = build_world(7, scale=0.1, weeks=2)
    experts = sorted(a for a, role in world.roles.items() if role == "expert" and world.community[a] == NICHE)
    query = replace(query, seed_accounts=tuple(did_of(a) for a in experts[:3]))
    with SimJetstream(world) as stream:
        result = _listen(tmp_path / "ws", stream, query)
    on_topic = {uri: None for uri in _expected(world, query, set())["posts"]}
    posted = {}  # did -> the first time it posted on the niche
    for post in world.posts:
        uri = uri_of(post["author_id"], post["id"])
        if uri in on_topic:
            when = time_us_of(post["created_at"])
            posted[did_of(post["author_id"])] = min(when, posted.get(did_of(post["author_id"]), when))
            on_topic[uri] = when
    seeds = set(query.seed_accounts)

    def member(did: str, when: int) -> bool:
        return did in seeds or posted.get(did, when + 1) <= when

    likes = {(did_of(liker), uri_of(next(p["author_id"] for p in world.posts if p["id"] == pid), pid))
             for liker, pid, at in world.likes}
    likes = {(src, uri) for src, uri in likes if uri in on_topic}
    follows = {(did_of(s), did_of(d)) for (s, d), at in world.follow_times.items()
               if member(did_of(s), time_us_of(at.isoformat())) or member(did_of(d), time_us_of(at.isoformat()))}
    follows |= {(did_of(s), did_of(d)) for s, d in world.follows if (s, d) not in world.follow_times
                and (did_of(s) in seeds or did_of(d) in seeds)}
    edges = Workspace(tmp_path / "ws").table("edges")
    stored_likes = set(edges.filter(pl.col("kind") == "like").select("src", "post_id").iter_rows())
    stored_follows = set(edges.filter(pl.col("kind") == "follow").select("src", "dst").iter_rows())
    assert likes and stored_likes == likes and result.matched["like"] == len(likes)
    assert any(s not in seeds and d not in seeds for s, d in follows)  # kept because an end had posted on the niche
    assert stored_follows == follows and result.matched["follow"] == len(follows)
    assert edges.filter(pl.col("kind") == "like")["at"].null_count() == 0  # a like keeps its time, as getLikes gives


def test_rows_are_the_bluesky_crawlers(world, reference):
    """A listened post is the row the crawler makes of the AppView's view of it (ids: dids and at-uris); its repost
    edges are getRepostedBy's; every row is observed at its event's time."""
    index = BlueskyIndex(world, XIndex(world))
    ws = Workspace(reference[0])
    posts = ws.table("posts")
    ids = {uri: pid for pid in index.posts for uri in [uri_of(index.posts[pid]["author_id"], pid)]}
    views = [index.post(ids[uri]) for uri in posts["id"].to_list()]
    crawled, _ = read_bluesky_pages([("", {"posts": views})])
    columns = ["id", "author_id", "created_at", "text", "lang", "hashtags", "mentions", "reply_to", "quote_of",
               "conversation_id"]
    assert posts.select(columns).sort("id").equals(crawled.posts.select(columns).sort("id"))
    assert posts["observed_at"].equals(posts["created_at"].alias("observed_at"))  # a post is seen when it is made
    reposts = ws.table("edges").filter(pl.col("kind") == "repost")
    uri = reposts["post_id"][0]
    page = {"repostedBy": [{"did": d} for d in reposts.filter(pl.col("post_id") == uri)["src"]], "uri": uri}
    from_appview, _ = read_bluesky_pages([("", page)])
    keys = ["src", "dst", "kind", "post_id", "at", "platform"]
    assert (reposts.filter(pl.col("post_id") == uri).select(keys).sort("src")
            .equals(from_appview.edges.select(keys).sort("src")))
    assert all(ws.table(t)["observed_at"].null_count() == 0 for t in ("accounts", "posts", "edges"))


def test_the_stream_follows_the_lexicons_and_jetstreams_event_shape(events):
    """Every simulated event has Jetstream's envelope (pkg/models/models.go) and a record of its lexicon: posts
    against ../shared/data/bluesky-lexicons (app.bsky.feed.post); reposts, likes and follows against their lexicons
    in bluesky-social/atproto (repost and like: a subject strongRef {uri, cid}; follow: a subject did)."""
    post_lexicon = json.loads(shared_path("bluesky-lexicons/lexicons/app/bsky/feed/post.json").read_text())
    record_def = post_lexicon["defs"]["main"]["record"]
    last = 0
    for event in events:
        assert set(event) == {"did", "time_us", "kind", "commit"} and event["kind"] == "commit"
        assert event["time_us"] > last and event["did"].startswith("did:plc:")
        last = event["time_us"]
        commit = event["commit"]
        assert set(commit) == {"rev", "operation", "collection", "rkey", "record", "cid"} and commit["operation"] == "create"
        record = commit["record"]
        assert record["$type"] == commit["collection"] and isinstance(record["createdAt"], str)
        if commit["collection"] == COLLECTIONS[0]:
            assert set(record_def["required"]) <= set(record)
            assert set(record) - {"$type"} <= set(record_def["properties"])
            assert len(record["text"].encode()) <= record_def["properties"]["text"]["maxLength"]
            assert len(record["langs"]) <= record_def["properties"]["langs"]["maxLength"]
        elif commit["collection"] == COLLECTIONS[3]:
            assert set(record) == {"$type", "subject", "createdAt"} and record["subject"].startswith("did:plc:")
        else:
            assert set(record) == {"$type", "subject", "createdAt"} and set(record["subject"]) == {"uri", "cid"}
            assert record["subject"]["uri"].startswith("at://did:plc:")


def test_a_kill_mid_stream_and_a_resume_give_the_uninterrupted_workspace(events, query, reference, tmp_path):
    """SIGKILL a listening `influgraph listen` mid-stream, then listen again: the same workspace, byte for byte in
    content (rows and observed times), as one uninterrupted listen."""
    queries = tmp_path / "queries"
    queries.mkdir()
    seeds = ", ".join(json.dumps(s) for s in query.seed_accounts)
    text = (QUERIES / f"{NICHE}.toml").read_text().replace(
        next(line for line in (QUERIES / f"{NICHE}.toml").read_text().splitlines() if line.startswith("seed_accounts")),
        f"seed_accounts = [{seeds}]")
    (queries / f"{NICHE}.toml").write_text(text)
    path = tmp_path / "ws"
    state = path / "crawl" / f"bluesky-{NICHE}.jetstream.sqlite"
    with SimJetstream(events=events, rate=4000) as stream:
        child = subprocess.Popen([sys.executable, "-m", "influgraph", "listen", "--platform", "bluesky", "--niche", NICHE,
                                  "--queries-dir", str(queries), "-w", str(path), "--jetstream-url", stream.url,
                                  "--duration", "60s"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            deadline = time.monotonic() + 60
            while stream.sent < len(events) // 2 and time.monotonic() < deadline and child.poll() is None:
                time.sleep(0.05)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            child.kill()
        assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()
        killed = Workspace(path).counts()
        assert 0 < sum(killed.values()) < sum(Workspace(reference[0]).counts().values())  # killed mid-stream
        stream.rate = None
        cursor = int(CrawlState(state).get("jetstream:cursor"))
        resumed = listen(Workspace(path), query, jetstream_url=stream.url, max_events=len(stream.served(cursor=cursor)))
    assert resumed.started_cursor == cursor and resumed.skipped == {"replayed": 1}
    assert Workspace(path).content_hash() == Workspace(reference[0]).content_hash()
    for table in ("accounts", "posts", "edges"):
        assert Workspace(path).table(table).sort(pl.all()).equals(Workspace(reference[0]).table(table).sort(pl.all()))


def test_a_dropped_connection_is_resumed_from_the_last_event(events, query, reference, tmp_path):
    clock = FakeTime()
    with SimJetstream(events=events, drop_after=700, drops=3) as stream:
        total = len(stream.served())
        result = _listen(tmp_path / "ws", stream, query, max_events=total + 3, clock=clock.now, sleep=clock.sleep)
        log = list(stream.log)
    assert result.reconnects == 3 and clock.slept == [1.0, 1.0, 1.0]  # each drop came after events: first wait
    assert [q.get("cursor") for q in log] == [None] + [[str(events[699 * n]["time_us"])] for n in (1, 2, 3)]
    assert all(q["wantedCollections"] == list(COLLECTIONS) for q in log)
    assert result.skipped == {"replayed": 3} and result.seen == total + 3
    assert Workspace(tmp_path / "ws").content_hash() == Workspace(reference[0]).content_hash()


def test_bounded_by_count_and_by_time_and_stops_by_itself(events, query, tmp_path):
    with SimJetstream(events=events, rate=400) as stream:
        counted = listen(Workspace(tmp_path / "a"), query, jetstream_url=stream.url, max_events=150, duration=None)
        began = time.monotonic()
        timed = listen(Workspace(tmp_path / "b"), query, jetstream_url=stream.url, duration="1.5s")
        took = time.monotonic() - began
    assert counted.stopped == "max_events" and counted.seen == 150
    assert timed.stopped == "duration" and 1.4 <= took < 4 and 0 < timed.seen < 1500
    with SimJetstream(events=events[:300]) as stream:  # a stream that falls silent: the listener still stops on time
        began = time.monotonic()
        quiet = listen(Workspace(tmp_path / "c"), query, jetstream_url=stream.url, duration=1.0)
        assert quiet.seen == 300 and quiet.stopped == "duration" and time.monotonic() - began < 4


def test_an_unreachable_stream_gives_up_after_bounded_retries(query, tmp_path):
    clock = FakeTime()
    with pytest.raises(UpstreamUnavailable, match=r"could not be reached \(3 attempt"):
        listen(Workspace(tmp_path / "ws"), query, jetstream_url="ws://127.0.0.1:9/subscribe", duration=None,
               max_events=10, max_reconnects=2, clock=clock.now, sleep=clock.sleep)
    assert clock.slept == [1.0, 2.0]
    with pytest.raises(UpstreamUnavailable, match=r"could not be reached \(1 attempt"):  # never reached before the end
        listen(Workspace(tmp_path / "ws"), query, jetstream_url="ws://127.0.0.1:9/subscribe", duration=0.5)


def test_every_frame_is_counted_and_bad_ones_are_skipped_by_reason(events, query, tmp_path):
    commit = events[0]
    bad = ["not json", b"\x28\xb5\x2f\xfd", json.dumps({"did": "did:plc:x", "time_us": 5, "kind": "identity"}),
           json.dumps({"time_us": 6}), json.dumps({**commit, "time_us": 7, "commit": {**commit["commit"], "operation": "delete"}}),
           json.dumps({**commit, "time_us": 8, "commit": {**commit["commit"], "collection": "app.bsky.graph.block"}}),
           json.dumps({**commit, "time_us": 9, "commit": {**commit["commit"], "record": {"createdAt": 1}}})]
    with SimJetstream(events=events[:1000], prefix=bad) as stream:
        result = listen(Workspace(tmp_path / "ws"), query, jetstream_url=stream.url, max_events=1007)
    assert result.skipped == {"not JSON": 1, "binary frame": 1, "identity or account event": 1, "malformed event": 1,
                              "update or delete": 1, "other collection": 1, "malformed record": 1}
    assert result.seen == 1007 == sum(result.matched.values()) + result.unmatched + sum(result.skipped.values())


def test_the_simulated_stream_refuses_what_jetstream_refuses(events):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    first = next(n for n, e in enumerate(events) if e["commit"]["collection"] == COLLECTIONS[0])
    some = events[first - 5:first + 60]  # follows, then posts and reposts
    cursor = some[3]["time_us"]
    with SimJetstream(events=some) as stream:
        for bad in ("cursor=abc", "compress=true", "wantedCollections=not%20an%20nsid"):
            with pytest.raises(InvalidStatus) as refused:
                connect(f"{stream.url}?{bad}", compression=None)
            assert refused.value.response.status_code == 400
        want = stream.served(("app.bsky.feed.*",), cursor)
        with connect(f"{stream.url}?wantedCollections=app.bsky.feed.*&cursor={cursor}", compression=None) as ws:
            got = [json.loads(ws.recv(timeout=5)) for _ in want]
    assert got == want == [e for e in some if e["time_us"] >= cursor and e["commit"]["collection"] != COLLECTIONS[3]]
    assert len(got) > 50


def test_bad_options_are_refused_before_anything_is_sent(query, tmp_path):
    for options, param in (({"duration": "0"}, "duration"), ({"duration": "5 weeks"}, "duration"),
                           ({"max_events": 0}, "max_events"), ({"jetstream_url": "http://x/subscribe"}, "jetstream_url"),
                           ({"jetstream_url": "ws://x/sub\n"}, "jetstream_url"), ({"duration": None}, "duration")):
        with pytest.raises(BadInput) as refused:
            listen(Workspace(tmp_path / "ws"), query, **options)
        assert refused.value.param == param
    with pytest.raises(BadInput):
        listen(Workspace(tmp_path / "ws"), query, "x")
    assert not (tmp_path / "ws" / "crawl").exists()


def test_the_command_line_prints_and_emits_json(events, query, reference, tmp_path):
    queries = tmp_path / "q"
    queries.mkdir()
    seeds = ", ".join(json.dumps(s) for s in query.seed_accounts)
    (queries / "coffee.toml").write_text(f'name = "{NICHE}"\nlanguages = ["en"]\nhashtags = {list(query.hashtags)!r}\n'
                                         f'keywords = {list(query.keywords)!r}\nseed_accounts = [{seeds}]\n'.replace("'", '"'))
    with SimJetstream(events=events) as stream:
        args = ["listen", "--platform", "bluesky", "--query", str(queries / "coffee.toml"), "--jetstream-url", stream.url,
                "--max-events", str(len(events))]
        done = CliRunner().invoke(main, [*args, "-w", str(tmp_path / "ws"), "--json"])
        assert done.exit_code == 0, done.output
        text = CliRunner().invoke(main, [*args, "-w", str(tmp_path / "ws2")])
    summary = json.loads(done.stdout)
    assert summary["matched"] == reference[1].matched and summary["seen"] == len(events)
    assert summary["cursor"] == events[-1]["time_us"] and summary["stopped"] == "max_events"
    assert text.exit_code == 0 and f"events seen {len(events):,}" in text.stdout and "cursor" in text.stdout
    assert Workspace(tmp_path / "ws").content_hash() == Workspace(reference[0]).content_hash()
