"""Listen to Bluesky's public event stream (Jetstream) and keep what matches a niche, for a bounded time, resumably.

Jetstream serves the AT Protocol's firehose as JSON over a websocket: one text frame per event,
`{"did", "time_us", "kind": "commit", "commit": {"rev", "operation", "collection", "rkey",
"record", "cid"}}`, filtered by `wantedCollections` and replayed from a `cursor` (a `time_us`:
unix microseconds, unique and increasing on one instance). The listener subscribes to posts,
reposts, likes and follows (`COLLECTIONS`), uncompressed, and keeps (the matching rule):

- a **post** when `niches.post_in_niche_expr` says it is on the niche (a niche hashtag or keyword,
  no excluded one, in the niche's languages), the rule `rank` uses;
- a **repost** or **like** whose subject is a matching post, seen in this stream or stored in the
  workspace;
- a **follow** by or of a niche member: a seed (a did, or a handle the workspace knows), or the
  author of a matching post seen before it or stored.

Kept events become the rows the Bluesky crawler stores (the same reader, `sources.bluesky`: dids
and at-uris as ids; a repost and a follow carry no time, as the AppView gives none; a like its
`createdAt`), each row's `observed_at` being its event's time. Events are committed in batches
(`batch_events`, or every `flush_seconds`): the workspace commit first, then, in one SQLite
transaction, the cursor (the last event handled) and the counts, in
`WORKSPACE/crawl/bluesky-NICHE.jetstream.sqlite`. A listener killed at any moment loses at most
the batch in progress; the next one subscribes from the stored cursor, drops what it already
handled (`replayed`), and upserts the rest, so nothing is stored twice.

Every frame is counted once: `seen` = `matched` + `unmatched` (wanted, but outside the niche) +
`skipped` (by reason: not JSON, malformed, an identity or account event, another collection, an
update or delete, a replay); all matched events are `stored` when the listener returns. A dropped
connection is reopened from the last event handled, after 1, 2, 4... seconds (at most 30), and
the listener gives up (`UpstreamUnavailable`, after storing what it has) after `max_reconnects`
attempts in a row that bring no event. It stops by itself after `duration` or `max_events`.
"""
from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlparse

from ..errors import BadInput, Interrupted, UpstreamUnavailable
from .bluesky import DID

if TYPE_CHECKING:
    from ..niches import NicheQuery
    from ..schema import Batch
    from ..workspace import Workspace

__all__ = ["listen", "ListenResult", "COLLECTIONS", "DEFAULT_JETSTREAM_URL", "parse_duration"]

COLLECTIONS = ("app.bsky.feed.post", "app.bsky.feed.repost", "app.bsky.feed.like", "app.bsky.graph.follow")
KINDS = dict(zip(COLLECTIONS, ("post", "repost", "like", "follow")))
DEFAULT_JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe"  # one of Bluesky's public instances
MAX_BACKOFF = 30.0
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}\Z")  # the AT Protocol record-key syntax
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DURATION = 30 * 86400.0


def parse_duration(value: float | str | timedelta | None) -> float | None:
    """Seconds from `90`, `30s`, `10m`, `2h` or `1d` (or a timedelta); None stays None; zero, negative and more than
    30 days are refused.

    >>> parse_duration("10m"), parse_duration(1.5)
    (600.0, 1.5)
    """
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        found = re.fullmatch(r" *(\d{1,7}(?:\.\d{1,6})?) *([smhd]?) *", str(value))  # no line break or tab
        if not found:
            raise BadInput(f"`duration` must be a number of seconds or a number and a unit (s, m, h, d), such as 10m, "
                           f"got {str(value)[:40]!r}", param="duration")
        seconds = float(found.group(1)) * _UNITS[found.group(2) or "s"]
    if not 0 < seconds <= MAX_DURATION:  # NaN fails too
        raise BadInput(f"`duration` must be more than 0 and at most 30 days, got {value!r:.40}", param="duration")
    return seconds


def _check_url(url: str) -> str:
    """The Jetstream subscription URL: ws(s)://host[:port]/path, without spaces or control characters."""
    if any(char.isspace() or not char.isprintable() for char in url):
        raise BadInput("`jetstream_url` holds a space, a line break or a control character",
                       hint="give one ws:// or wss:// URL such as " + DEFAULT_JETSTREAM_URL, param="jetstream_url")
    parsed = urlparse(url)
    try:
        parsed.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("ws", "wss") or not parsed.hostname or parsed.query or parsed.fragment:
        raise BadInput(f"`jetstream_url` must be a ws:// or wss:// URL without a query, got {url[:80]!r}",
                       hint="e.g. " + DEFAULT_JETSTREAM_URL, param="jetstream_url")
    return url


@dataclass
class ListenResult:
    """What one listen did: events seen, matched (per kind), outside the niche, skipped (per reason), stored; the
    cursor before and after; why it stopped; the rows the workspace gained; reconnections."""

    niche: str
    url: str
    started_cursor: int | None
    cursor: int | None
    stopped: str  # "duration" or "max_events"
    seconds: float
    seen: int = 0
    matched: dict = field(default_factory=dict)
    unmatched: int = 0
    skipped: dict = field(default_factory=dict)
    stored: int = 0
    reconnects: int = 0
    added: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    state: Path | None = None
    notes: list = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-ready summary (cursor times also as ISO text)."""
        def iso(cursor: int | None) -> str | None:
            return None if cursor is None else _moment(cursor).isoformat().replace("+00:00", "Z")

        return {"niche": self.niche, "platform": "bluesky", "url": self.url, "stopped": self.stopped,
                "seconds": round(self.seconds, 3), "seen": self.seen, "matched": dict(self.matched),
                "matched_total": sum(self.matched.values()), "unmatched": self.unmatched, "skipped": dict(self.skipped),
                "skipped_total": sum(self.skipped.values()), "stored": self.stored, "reconnects": self.reconnects,
                "started_cursor": self.started_cursor, "started_at": iso(self.started_cursor), "cursor": self.cursor,
                "cursor_at": iso(self.cursor), "added": self.added, "rows": self.rows,
                "state": str(self.state) if self.state else None, "notes": list(self.notes)}


def _moment(time_us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=time_us)


def _record_problem(collection: str, record: Any) -> str | None:
    """Why a created record breaks its lexicon's required fields (post: text, createdAt; repost, like: a subject
    strongRef; follow: a subject did), or None."""
    if not isinstance(record, dict) or not isinstance(record.get("createdAt"), str):
        return "record without createdAt"
    if collection == COLLECTIONS[0]:
        return None if isinstance(record.get("text"), str) else "post without text"
    subject = record.get("subject")
    if collection == COLLECTIONS[3]:
        return None if isinstance(subject, str) and DID.match(subject) else "follow without a subject did"
    uri = subject.get("uri") if isinstance(subject, dict) else None
    if not (isinstance(uri, str) and uri.startswith("at://did:") and "/app.bsky.feed.post/" in uri):
        return "subject is not a post's at-uri"
    return None


def read_event(frame: str | bytes) -> tuple[dict | None, str | None]:
    """A frame as (event, why it is skipped): (None, reason) without a usable `time_us`; (event, None) when kept."""
    if isinstance(frame, bytes):
        return None, "binary frame"
    try:
        event = json.loads(frame)
    except ValueError:
        return None, "not JSON"
    if not (isinstance(event, dict) and type(event.get("time_us")) is int and event["time_us"] >= 0
            and isinstance(event.get("did"), str) and DID.match(event["did"])):
        return None, "malformed event"
    if event.get("kind") != "commit":
        return event, "identity or account event"
    commit = event.get("commit")
    if not isinstance(commit, dict) or not isinstance(commit.get("rkey"), str) or not _RKEY.match(commit["rkey"]):
        return event, "malformed commit"
    if commit.get("collection") not in COLLECTIONS:
        return event, "other collection"
    if commit.get("operation") != "create":
        return event, "update or delete"
    problem = _record_problem(commit["collection"], commit.get("record"))
    return event, ("malformed record" if problem else None)


class _Matcher:
    """The niche's matching posts and members, from the workspace and the seeds, grown by the stream in order."""

    def __init__(self, workspace: "Workspace", query: "NicheQuery"):
        import polars as pl

        from ..niches import post_in_niche_expr

        self.query = query
        self.posts: set[str] = set()
        self.members: set[str] = set()
        handles: dict[str, str] = {}
        if workspace.exists():
            stored = workspace.scan("posts").filter(pl.col("platform") == "bluesky").filter(post_in_niche_expr(query))
            found = stored.select("id", "author_id").collect()
            self.posts.update(found["id"].to_list())
            self.members.update(a for a in found["author_id"].to_list() if a)
            accounts = workspace.scan("accounts").filter((pl.col("platform") == "bluesky") & pl.col("handle").is_not_null())
            handles = dict(accounts.select(pl.col("handle").str.to_lowercase(), "id").collect().iter_rows())
        self.unresolved = []
        for seed in query.seed_accounts:
            seed = seed.strip().lstrip("@")
            did = seed if DID.match(seed) else handles.get(seed.lower()) or handles.get(f"{seed.lower()}.bsky.social")
            if did:
                self.members.add(did)
            else:
                self.unresolved.append(seed)

    def decide(self, events: list[dict]) -> list[str | None]:
        """Per event (kept ones, in stream order): its kind when it matches the niche, else None."""
        import polars as pl

        from ..niches import post_in_niche_expr

        posts = [e for e in events if e["commit"]["collection"] == COLLECTIONS[0]]
        on_topic: dict[int, bool] = {}
        if posts:
            frame = pl.DataFrame({"text": [e["commit"]["record"]["text"] for e in posts],
                                  "hashtags": [_tags(e["commit"]["record"]) for e in posts],
                                  "lang": [_lang(e["commit"]["record"]) for e in posts]},
                                 schema={"text": pl.String, "hashtags": pl.List(pl.String), "lang": pl.String})
            hits = frame.select(post_in_niche_expr(self.query)).to_series().to_list()
            on_topic = {id(e): bool(hit) for e, hit in zip(posts, hits)}
        kinds: list[str | None] = []
        for event in events:
            commit, did = event["commit"], event["did"]
            kind = KINDS[commit["collection"]]
            if kind == "post":
                hit = on_topic[id(event)]
                if hit:
                    self.posts.add(_uri(event))
                    self.members.add(did)
            elif kind == "follow":
                hit = did in self.members or commit["record"]["subject"] in self.members
            else:
                hit = commit["record"]["subject"]["uri"] in self.posts
            kinds.append(kind if hit else None)
        return kinds


def _tags(record: dict) -> list[str]:
    tags = []
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or [] if isinstance(facet, dict) else []:
            if isinstance(feature, dict) and str(feature.get("$type", "")).endswith("#tag") and isinstance(feature.get("tag"), str):
                tags.append(feature["tag"])
    return tags


def _lang(record: dict) -> str | None:
    langs = record.get("langs")
    return langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None


def _uri(event: dict) -> str:
    return f"at://{event['did']}/{event['commit']['collection']}/{event['commit']['rkey']}"


def _page(event: dict, kind: str) -> tuple[str, dict]:
    """The AppView answer that would say what `event` says, for the Bluesky reader (`read_bluesky_pages`)."""
    record, did = event["commit"]["record"], event["did"]
    if kind == "post":
        view = {"uri": _uri(event), "cid": event["commit"].get("cid"), "author": {"did": did}, "record": record,
                "indexedAt": _moment(event["time_us"]).isoformat().replace("+00:00", "Z")}
        return "", {"posts": [view]}
    if kind == "follow":
        return "", {"subject": {"did": record["subject"]}, "followers": [{"did": did}]}
    uri = record["subject"]["uri"]
    if kind == "repost":
        return "", {"repostedBy": [{"did": did}], "uri": uri}
    return "", {"likes": [{"actor": {"did": did}, "createdAt": record["createdAt"]}], "uri": uri}


def _event_keys(event: dict, kind: str) -> list[str]:
    """The keys (`_observed`) of the post and edge rows `event` gives."""
    if kind == "post":
        return [_uri(event)]
    record = event["commit"]["record"]
    if kind == "follow":
        return [f"follow\x1f{event['did']}\x1f{record['subject']}"]
    return [f"{kind}\x1f{event['did']}\x1f{record['subject']['uri']}"]


def _observed(batch: "Batch", first: dict[str, int]) -> "Batch":
    """`batch` with each row's `observed_at` the time of the first event that gave it (accounts: their first row)."""
    import polars as pl

    from ..schema import Batch

    def stamp(key: pl.Expr) -> pl.Expr:
        micros = key.replace_strict(first, default=None, return_dtype=pl.Int64)
        return pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC").alias("observed_at")

    posts = batch.posts.with_columns(stamp(pl.col("id")))
    by_post = pl.col("kind").cast(pl.String).is_in(["reply", "quote", "mention"])
    key = (pl.when(by_post).then(pl.col("post_id"))
           .when(pl.col("kind").cast(pl.String) == "follow")
           .then(pl.concat_str([pl.lit("follow"), pl.col("src"), pl.col("dst")], separator="\x1f"))
           .otherwise(pl.concat_str([pl.col("kind").cast(pl.String), pl.col("src"), pl.col("post_id")], separator="\x1f")))
    edges = batch.edges.with_columns(stamp(key))
    ends = pl.concat([posts.select(pl.col("author_id").alias("id"), "observed_at"),
                      edges.select(pl.col("src").alias("id"), "observed_at"),
                      edges.select(pl.col("dst").alias("id"), "observed_at")])
    earliest = ends.group_by("id").agg(pl.col("observed_at").min())
    accounts = batch.accounts.drop("observed_at").join(earliest, on="id", how="left", maintain_order="left")
    return Batch(accounts=accounts, posts=posts, edges=edges)


def _batch(events: list[dict], kinds: list[str]) -> tuple["Batch", list[str]]:
    """The matched `events` as one Batch (the Bluesky reader's rows), each row observed at its event's time."""
    from ..sources.bluesky import read_bluesky_pages

    batch, notes = read_bluesky_pages([_page(e, k) for e, k in zip(events, kinds)])
    first: dict[str, int] = {}
    for event, kind in zip(events, kinds):
        for key in _event_keys(event, kind):
            first.setdefault(key, event["time_us"])
    return _observed(batch, first), notes


class _Progress:
    """The state of one listen: its SQLite file (cursor and totals, `CrawlState` meta) and this run's counts."""

    def __init__(self, path: Path, query: "NicheQuery", restart: bool):
        from .run import _query_hash
        from .state import CrawlState

        if restart:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.state = CrawlState(path)
        known = self.state.get("query_hash")
        if known not in (None, _query_hash(query)):
            self.state.close()
            raise BadInput(f"the niche query changed since this listening started ({path.name})",
                           hint="add `restart` to listen again from the live stream", param="restart")
        self.state.set("query_hash", _query_hash(query))
        stored = self.state.get("jetstream:cursor")
        self.cursor: int | None = int(stored) if stored else None
        self.seen = self.unmatched = self.stored = 0
        self.matched: Counter = Counter()
        self.skipped: Counter = Counter()

    def save(self, cursor: int | None, matched: Counter, unmatched: int, skipped: Counter, seen: int) -> None:
        """Store the cursor and add this batch's counts to the totals, in one transaction."""
        db = self.state.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if cursor is not None:
                db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('jetstream:cursor', ?)", (str(cursor),))
            counts = {"seen": seen, "unmatched": unmatched, **{f"matched:{k}": n for k, n in matched.items()},
                      **{f"skipped:{k}": n for k, n in skipped.items()}}
            db.executemany("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET "
                           "value = CAST(CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT)",
                           [(f"jetstream:{key}", str(count)) for key, count in counts.items() if count])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if cursor is not None:
            self.cursor = cursor


class _Listener:
    """One listen: the connection (reopened with backoff), the batch in progress, its commits."""

    def __init__(self, workspace: "Workspace", query: "NicheQuery", url: str, progress: _Progress, *, batch_events: int,
                 flush_seconds: float, max_reconnects: int, backoff: float, clock: Callable[[], float],
                 sleep: Callable[[float], None], say: Callable[[str], None], connect: Callable[..., Any]):
        self.workspace, self.query, self.url, self.progress = workspace, query, url, progress
        self.batch_events, self.flush_seconds = batch_events, flush_seconds
        self.max_reconnects, self.backoff = max_reconnects, backoff
        self.clock, self.sleep, self.say, self.connect = clock, sleep, say, connect
        self.matcher = _Matcher(workspace, query)
        self.pending: list[tuple[dict | None, str | None]] = []  # (event, skip reason) since the last commit
        self.handled = progress.cursor  # time_us of the last event handled (committed or pending)
        self.connection = None
        self.opened = 0  # connections made (the first, then each reconnection)
        self.failures = 0
        self.notes: list[str] = []
        self.added: Counter = Counter()
        self.last_flush = clock()

    def subscription(self) -> str:
        """The URL to subscribe to: the four collections, from the last event handled."""
        params = [("wantedCollections", c) for c in COLLECTIONS]
        if self.handled is not None:
            params.append(("cursor", str(self.handled)))
        return f"{self.url}?{urlencode(params)}"

    def open(self, deadline: float | None) -> bool:
        """Connect (again); False when the deadline came first. Gives up after `max_reconnects` failures in a row."""
        from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException

        while self.connection is None:
            if self.failures:
                wait = min(self.backoff * 2 ** (self.failures - 1), MAX_BACKOFF)
                late = deadline is not None and self.clock() + wait >= deadline
                if self.failures > self.max_reconnects or (late and not self.opened):
                    self.flush()
                    raise UpstreamUnavailable(f"Jetstream at {self.url} could not be reached ({self.failures} attempt(s) in "
                                              "a row); every event handled so far is stored",
                                              hint="check `jetstream_url` and the network, then listen again: it goes "
                                                   "on from the stored cursor", param="jetstream_url")
                if late:
                    self.notes.append(f"the stream could not be reached again in the last {self.failures} attempt(s) "
                                      "before the end")
                    return False
                self.say(f"reconnecting to {self.url} in {wait:.0f} s")
                self.sleep(wait)
            try:
                # entered at once (the context-manager protocol, whatever `connect` returns); closed by `close`. A short
                # close_timeout: a busy stream's close handshake waits behind the frames in flight (flow control)
                self.connection = self.connect(self.subscription(), compression=None, max_size=2**21, open_timeout=10,
                                               close_timeout=1).__enter__()
            except InvalidStatus as refused:
                self.flush()
                raise UpstreamUnavailable(f"Jetstream at {self.url} refused the subscription (HTTP "
                                          f"{refused.response.status_code})", hint="check `jetstream_url`",
                                          param="jetstream_url") from None
            except InvalidURI:
                raise BadInput(f"`jetstream_url` is not a websocket URL: {self.url[:80]!r}", param="jetstream_url") from None
            except (OSError, TimeoutError, WebSocketException):
                self.failures += 1
            else:
                self.opened += 1
        return True

    def receive(self, timeout: float) -> str | bytes | None:
        """The next frame, or None after `timeout` seconds or when the connection dropped (it is then reopened)."""
        from websockets.exceptions import ConnectionClosed

        try:
            frame = self.connection.recv(timeout=max(timeout, 0.0))
        except TimeoutError:
            return None
        except (ConnectionClosed, OSError):
            self.close()
            self.failures += 1
            self.say(f"the connection to {self.url} dropped after the event at {self.handled}")
            return None
        self.failures = 0
        return frame

    def take(self, frame: str | bytes) -> None:
        """Count one frame into the batch in progress (a replay of a handled event is skipped)."""
        event, reason = read_event(frame)
        if event is not None and self.handled is not None and event["time_us"] <= self.handled:
            event, reason = None, "replayed"
        elif event is not None:
            self.handled = event["time_us"]
        self.pending.append((event, reason))

    def flush(self) -> None:
        """Commit the batch in progress: matched rows into the workspace, then the cursor and counts into the state."""
        self.last_flush = self.clock()
        if not self.pending:
            return
        kept = [event for event, reason in self.pending if event is not None and reason is None]
        kinds = self.matcher.decide(kept)
        skipped = Counter(reason for _, reason in self.pending if reason is not None)
        matched = [(e, k) for e, k in zip(kept, kinds) if k is not None]
        if matched:
            batch, notes = _batch([e for e, _ in matched], [k for _, k in matched])
            result = self.workspace.commit(batch, sources={f"jetstream:bluesky:{self.query.name}": {"url": self.url}})
            self.added.update(result.added())
            self.notes.extend(n for n in notes if n not in self.notes)
        counts = Counter(k for _, k in matched)
        self.progress.save(self.handled, counts, len(kept) - len(matched), skipped, len(self.pending))
        p = self.progress
        p.seen, p.unmatched, p.stored = p.seen + len(self.pending), p.unmatched + len(kept) - len(matched), p.stored + len(matched)
        p.matched.update(counts)
        p.skipped.update(skipped)
        self.pending = []
        self.say(f"events seen {p.seen:,} · matched {sum(p.matched.values()):,} · stored {p.stored:,} · cursor {p.cursor}")

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - a connection that is already gone
                pass
            self.connection = None

    def run(self, duration: float | None, max_events: int | None) -> str:
        """Listen until `duration` seconds pass or `max_events` frames came; commit as it goes; why it stopped."""
        deadline = None if duration is None else self.clock() + duration
        seen = 0
        while True:
            if max_events is not None and seen >= max_events:
                return "max_events"
            left = None if deadline is None else deadline - self.clock()
            if left is not None and left <= 0:
                return "duration"
            if self.connection is None and not self.open(deadline):
                return "duration"
            wait = self.flush_seconds - (self.clock() - self.last_flush)
            frame = self.receive(min(wait, left) if left is not None else wait)
            if frame is not None:
                self.take(frame)
                seen += 1
            if len(self.pending) >= self.batch_events or self.clock() - self.last_flush >= self.flush_seconds:
                self.flush()


def listen(workspace: "Workspace", query: "NicheQuery", platform: str = "bluesky", *,
           jetstream_url: str | None = None, duration: float | str | timedelta | None = 600.0,
           max_events: int | None = None, restart: bool = False, batch_events: int = 1000, flush_seconds: float = 5.0,
           max_reconnects: int = 5, backoff: float = 1.0, progress: Callable[[str], None] | None = None,
           connect: Callable[..., Any] | None = None, clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> ListenResult:
    """Listen to Bluesky's Jetstream and store the posts, reposts, likes and follows of a niche (module docstring).

    Why: Bluesky's maintainers say the search index is not meant for bulk collection; the public
    event stream is the protocol's way to follow a niche as it happens, at no cost per request.

    Parameters
    ----------
    workspace, query : where to, and the niche whose posts, engagement and members' follows to keep.
    platform : "bluesky" (the only platform with a public event stream here).
    jetstream_url : the subscription URL, ws:// or wss:// [default: `DEFAULT_JETSTREAM_URL`].
    duration : stop after this long (seconds, or text such as "10m", "2h"); None: only `max_events` bounds it.
    max_events : stop after this many frames received.
    restart : forget the stored cursor and counts, and start from the live stream.
    batch_events, flush_seconds : commit after this many frames, or this many seconds.
    max_reconnects, backoff : give up after this many failed connections in a row; the first wait (doubling,
        at most 30 s).
    progress : a callback for progress lines; connect : the websocket client's connect (tests); clock, sleep : time.

    Returns
    -------
    ListenResult: the counts of this run (`summary()` as JSON). A stop by Ctrl-C or SIGTERM stores
    the batch in progress and raises `Interrupted`; a stream that cannot be reached
    `UpstreamUnavailable` (after storing what came).

    Example
    -------
    >>> listen(Workspace("ws"), find_query("specialty-coffee"), duration="10m")   # doctest: +SKIP
    """
    from .run import _sigterm_as_interrupt

    if platform != "bluesky":
        raise BadInput(f"`platform` {platform!r} has no public event stream here", hint="use bluesky", param="platform")
    url = _check_url(DEFAULT_JETSTREAM_URL if jetstream_url is None else jetstream_url)
    seconds = parse_duration(duration)
    if max_events is not None and not 1 <= max_events <= 10**12:
        raise BadInput(f"`max_events` must be from 1 to 10^12, got {max_events}", param="max_events")
    if seconds is None and max_events is None:
        raise BadInput("listening needs a bound: give `duration` or `max_events`", param="duration")
    if connect is None:
        from websockets.sync.client import connect
    state_path = workspace.path / "crawl" / f"bluesky-{query.name}.jetstream.sqlite"
    state = _Progress(state_path, query, restart)
    listener = _Listener(workspace, query, url, state, batch_events=batch_events, flush_seconds=flush_seconds,
                         max_reconnects=max_reconnects, backoff=backoff, clock=clock, sleep=sleep,
                         say=progress or (lambda message: None), connect=connect)
    started, began = state.cursor, clock()
    try:
        with _sigterm_as_interrupt():
            try:
                stopped = listener.run(seconds, max_events)
            except KeyboardInterrupt:
                listener.flush()
                raise Interrupted(f"listening to {query.name} stopped after {state.seen:,} events; {state.stored:,} "
                                  "stored up to the cursor", hint="listen again to go on from the stored cursor") from None
        listener.flush()
    finally:
        listener.close()
        state.state.close()
    notes = list(listener.notes)
    if listener.matcher.unresolved:
        seeds = listener.matcher.unresolved
        notes.append(f"{len(seeds)} seed(s) are neither a did nor a handle the workspace knows ({', '.join(seeds[:5])}): "
                     "their follows are kept only once they post on the niche; crawl them once, or write their dids")
    return ListenResult(niche=query.name, url=url, started_cursor=started, cursor=state.cursor, stopped=stopped,
                        seconds=clock() - began, seen=state.seen, matched=dict(state.matched), unmatched=state.unmatched,
                        skipped=dict(state.skipped), stored=state.stored, reconnects=max(listener.opened - 1, 0),
                        added=dict(listener.added), rows=workspace.counts() if workspace.exists() else {},
                        state=state_path, notes=notes)
