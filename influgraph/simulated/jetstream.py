"""The simulated world's Bluesky activity as a Jetstream: JSON events over a websocket on 127.0.0.1.

Jetstream (github.com/bluesky-social/jetstream) turns the AT Protocol firehose into JSON: one
text frame per event, `{"did", "time_us", "kind": "commit", "commit": {"rev", "operation",
"collection", "rkey", "record", "cid"}}` (`pkg/models/models.go`), `time_us` being unique and
increasing (its monotonic clock). The subscription's query (`pkg/server/server.go`,
`subscriber.go`): `wantedCollections` (repeated; an NSID or a prefix ending in `.*`, at most
100), `wantedDids` (repeated), `cursor` (unix microseconds: replay from the first event at or
after it; a cursor past the newest event is the live tail), `maxMessageSizeBytes`, and
`compress` / `Socket-Encoding: zstd`, which this simulator refuses (HTTP 400): it serves
uncompressed JSON only. A malformed cursor or collection is refused with HTTP 400, as the real
server does.

The events reuse the world -> Bluesky conversion of `bluesky_appview` (dids, at-uris, the post
records with facets, reply and embed refs), so the stream and the simulated AppView name every
account and post alike:

- `app.bsky.feed.post`: every post that is not a retweet, at its creation time, rkey = its id;
- `app.bsky.feed.repost`: every retweet of such a post (subject: the original's uri and cid);
- `app.bsky.feed.like`: the world's likes, when it records who liked what (`World.likes`);
- `app.bsky.graph.follow`: every follow, at `World.follow_times` when the world has it, else at the
  creation of the younger of its two accounts (week-one follows exist from the start).

Events at the same instant are ordered (time, collection, id) and their `time_us` made strictly
increasing, one microsecond apart. Without a cursor the stream plays the world from its first
event, as if it all happened live after the connection; after the last event it stays open and
silent, like a live tail with nothing new. `rate` paces the events (per second), `drop_after`
closes the first `drops` connections abruptly (no close frame) after that many events, and
`prefix` frames are sent first on every connection (for hostile-input tests).

    with SimJetstream(build_world()) as stream:
        websockets.sync.client.connect(stream.url + "?wantedCollections=app.bsky.feed.post")
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import datetime
from urllib.parse import parse_qs, urlparse

from .bluesky_appview import BlueskyIndex, cursor_for, did_of, uri_of
from .world import World
from .x_api import XIndex

__all__ = ["SimJetstream", "world_events", "COLLECTIONS", "time_us_of"]

COLLECTIONS = ("app.bsky.feed.post", "app.bsky.feed.repost", "app.bsky.feed.like", "app.bsky.graph.follow")
_NSID = re.compile(r"[a-zA-Z]([a-zA-Z0-9-]{0,62})?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?)+\Z")  # atproto's NSID shape
MAX_COLLECTIONS = 100  # subscriber.go: more wanted collections are refused


def time_us_of(iso: str) -> int:
    """Unix microseconds of an ISO-8601 time ('2026-10-01T00:05:00.000Z').

    >>> time_us_of("1970-01-01T00:00:01.000Z")
    1000000
    """
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _commit(did: str, collection: str, rkey: str, record: dict, cid: str) -> dict:
    return {"did": did, "kind": "commit",
            "commit": {"operation": "create", "collection": collection, "rkey": rkey, "record": record, "cid": cid}}


def _iso(moment: datetime | str) -> str:
    """A world time as the records write it ('2026-10-08T09:30:00.000Z')."""
    return moment if isinstance(moment, str) else moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _likes(world: World) -> list[tuple[str, str, str]]:
    """(liker, post id, ISO time) of the world's likes (`World.likes`: week two's), in the world's order."""
    return [(liker, post_id, _iso(at)) for liker, post_id, at in getattr(world, "likes", None) or []]


def world_events(world: World) -> list[dict]:
    """Every Jetstream commit event of `world` in stream order, each with its unique, increasing `time_us`."""
    index = BlueskyIndex(world, XIndex(world))
    created = {a["id"]: a["created_at"] for a in world.accounts}
    drafts: list[tuple[str, str, str, dict]] = []  # (ISO time, collection, tie-break id, event)
    for post_id in index.posts:
        view = index.post(post_id)
        author = index.posts[post_id]["author_id"]
        drafts.append((view["record"]["createdAt"], COLLECTIONS[0], post_id,
                       _commit(did_of(author), COLLECTIONS[0], post_id, view["record"], view["cid"])))
    for post in world.posts:
        original = next((r["id"] for r in post.get("referenced_tweets", []) if r["type"] == "retweeted"), None)
        if original in index.posts:
            subject = {"uri": uri_of(index.posts[original]["author_id"], original), "cid": f"bafysim{original}"}
            record = {"$type": COLLECTIONS[1], "subject": subject, "createdAt": post["created_at"]}
            drafts.append((post["created_at"], COLLECTIONS[1], post["id"],
                           _commit(did_of(post["author_id"]), COLLECTIONS[1], post["id"], record, f"bafysimrp{post['id']}")))
    for number, (liker, post_id, at) in enumerate(_likes(world)):
        if post_id in index.posts and liker in created:
            subject = {"uri": uri_of(index.posts[post_id]["author_id"], post_id), "cid": f"bafysim{post_id}"}
            rkey = cursor_for(number, "like")
            drafts.append((at, COLLECTIONS[2], f"{liker}/{post_id}",
                           _commit(did_of(liker), COLLECTIONS[2], rkey, {"$type": COLLECTIONS[2], "subject": subject,
                                                                          "createdAt": at}, f"bafysimlk{number}")))
    times = getattr(world, "follow_times", None) or {}
    for number, (src, dst) in enumerate(sorted(world.follows)):
        at = _iso(times[(src, dst)]) if (src, dst) in times else max(created[src], created[dst])
        record = {"$type": COLLECTIONS[3], "subject": did_of(dst), "createdAt": at}
        drafts.append((at, COLLECTIONS[3], f"{src}/{dst}",
                       _commit(did_of(src), COLLECTIONS[3], cursor_for(number, "follow"), record, f"bafysimfw{number}")))
    drafts.sort(key=lambda d: (time_us_of(d[0]), d[1], d[2]))
    events, last = [], 0
    for at, _, _, event in drafts:
        last = max(time_us_of(at), last + 1)
        event = {"did": event["did"], "time_us": last, **{k: v for k, v in event.items() if k != "did"}}
        event["commit"] = {"rev": cursor_for(len(events), "rev"), **event["commit"]}
        events.append(event)
    return events


class _Refused(Exception):
    """A subscription the real Jetstream would refuse (HTTP 400 and this text)."""


def _options(query: dict[str, list[str]], headers) -> dict:
    """The subscription's options from its query, refused (`_Refused`) as Jetstream refuses them."""
    wanted = query.get("wantedCollections", [])
    for collection in wanted:
        if not (collection.endswith(".*") or _NSID.match(collection)):
            raise _Refused(f"invalid subscriber options: invalid collection: {collection}")
    if len(wanted) > MAX_COLLECTIONS:
        raise _Refused("invalid subscriber options: too many wanted collections")
    cursor = (query.get("cursor") or [""])[-1]
    if cursor and not re.fullmatch(r"-?\d{1,19}", cursor):
        raise _Refused(f"invalid cursor: {cursor}")
    if (query.get("compress") or [""])[-1] == "true" or "zstd" in (headers.get("Socket-Encoding") or ""):
        raise _Refused("this simulated Jetstream serves uncompressed JSON only (no zstd)")
    size = (query.get("maxMessageSizeBytes") or ["0"])[-1]
    return {"collections": wanted, "dids": set(query.get("wantedDids", [])), "cursor": int(cursor) if cursor else None,
            "max_size": int(size) if size.isdigit() else 0}


def _wanted(event: dict, options: dict) -> bool:
    collection = event["commit"]["collection"]
    if options["collections"] and not any(collection == c or (c.endswith(".*") and collection.startswith(c[:-1]))
                                          for c in options["collections"]):
        return False
    return not options["dids"] or event["did"] in options["dids"]


class SimJetstream:
    """A Jetstream on 127.0.0.1 (an OS-assigned port) replaying `world`; a context manager that stops itself.

    `log` keeps each subscription's query (every value) in order, so a test sees the cursor a
    reconnection sent; `sent` counts the event frames sent over all connections.
    """

    def __init__(self, world: World | None = None, *, events: list[dict] | None = None, rate: float | None = None,
                 drop_after: int | None = None, drops: int = 1, prefix: list[str | bytes] = (), port: int = 0):
        self.port = port
        self.events = events if events is not None else world_events(world)
        self.rate = rate
        self.drop_after = drop_after
        self.drops = drops
        self.prefix = list(prefix)
        self.log: list[dict[str, list[str]]] = []
        self.sent = 0
        self._lock = threading.Lock()
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`ws://127.0.0.1:PORT/subscribe` once started."""
        assert self._server is not None, "start the stream first (use it as a context manager)"
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/subscribe"

    def served(self, collections: tuple[str, ...] = COLLECTIONS, cursor: int | None = None) -> list[dict]:
        """The events a subscription to `collections` from `cursor` receives, in order."""
        options = {"collections": list(collections), "dids": set(), "cursor": cursor, "max_size": 0}
        return [e for e in self.events if (cursor is None or e["time_us"] >= cursor) and _wanted(e, options)]

    def _process_request(self, connection, request):
        query = parse_qs(urlparse(request.path).query, keep_blank_values=True)
        with self._lock:
            self.log.append(query)
        if urlparse(request.path).path != "/subscribe":
            return connection.respond(404, "not found\n")
        try:
            _options(query, request.headers)
        except _Refused as refused:
            return connection.respond(400, f"{refused}\n")
        return None

    def _handle(self, connection) -> None:
        from websockets.exceptions import ConnectionClosed

        options = _options(parse_qs(urlparse(connection.request.path).query, keep_blank_values=True),
                           connection.request.headers)
        with self._lock:
            drop = self.drop_after if self.drops > 0 and self.drop_after is not None else None
            self.drops -= drop is not None
        start, count = time.monotonic(), 0
        try:
            for frame in self.prefix:
                connection.send(frame)
            for event in self.events:
                if (options["cursor"] is not None and event["time_us"] < options["cursor"]) or not _wanted(event, options):
                    continue
                text = json.dumps(event, ensure_ascii=False)
                if options["max_size"] and len(text.encode("utf-8")) > options["max_size"]:
                    continue
                if drop is not None and count >= drop:
                    connection.socket.shutdown(socket.SHUT_RDWR)  # a dropped connection: no close frame
                    return
                if self.rate and count / self.rate > time.monotonic() - start:
                    time.sleep(count / self.rate - (time.monotonic() - start))
                connection.send(text)
                count += 1
                with self._lock:
                    self.sent += 1
            for _ in connection:  # the live tail: nothing new; wait until the client leaves
                pass
        except (ConnectionClosed, OSError):
            return

    def __enter__(self) -> "SimJetstream":
        from websockets.sync.server import serve

        self._server = serve(self._handle, "127.0.0.1", self.port, process_request=self._process_request, compression=None,
                             max_size=2**20)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _serve_from_shell() -> None:  # pragma: no cover - a manual tool (the README's example)
    import argparse

    from .world import build_world

    parser = argparse.ArgumentParser(description="Serve the simulated world as a Jetstream on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weeks", type=int, default=1, choices=(1, 2))
    parser.add_argument("--rate", type=float, default=None, help="events per second [default: as fast as read]")
    options = parser.parse_args()
    with SimJetstream(build_world(options.seed, weeks=options.weeks), rate=options.rate, port=options.port) as stream:
        print(f"serving {len(stream.events):,} events at {stream.url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    _serve_from_shell()
