"""X API v2 JSON/JSONL pages (as twarc2 and tweepy write them) into accounts, posts and edges.

Accepted shapes: JSONL with one API page per line (twarc2: the page plus a `__twarc` key with
the request URL), one pretty-printed page, a JSON array of pages, and twarc2 "flattened" lines
(one tweet per line with its `author` embedded). `data` may be a list or one object.

Edges (src acts toward dst; `post_id` is the acting tweet, `at` its time):

- `referenced_tweets` **retweeted** -> `repost` retweeter -> original author; **quoted** ->
  `quote` author -> quoted author; **replied_to** -> `reply` author -> `in_reply_to_user_id`.
- `entities.mentions` -> `mention` author -> mentioned account, with two absorptions:
  **a retweet's mentions are not the retweeter's.** The `RT @author:` mention merely repeats the
  repost's author and is absorbed into the repost edge; every other mention inside a retweet's
  text was written by the original author and is taken from the original tweet (present in
  `includes.tweets`), attributed to that author with the original's post id. In a **reply**, the
  mention of the account replied to is absorbed into the reply edge. All other mentions are
  mention edges. Self-mentions stay in the table (the graph builder drops self-loops).
- User-list pages, recognised by the request URL in `__twarc.url`: `/2/users/ID/followers`
  -> `follow` user -> ID; `/2/users/ID/following` -> `follow` ID -> user;
  `/2/tweets/ID/liking_users` -> `like` user -> author of ID; `/2/tweets/ID/retweeted_by` ->
  `repost` user -> author of ID (the author must be in the same file, else it is counted in a note;
  a user whose retweet of ID is in the same file already has that repost edge, and gets no second).
- `errors[]` in a 200 page: users not found, suspended or protected become tombstone accounts
  (`status` not_found / suspended / protected); other errors are counted in a note.

Ids are kept as strings (JSON integers are converted exactly; floats are refused).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import polars as pl

from ..errors import BadInput, is_number
from .. import jsontext
from ..schema import TIMESTAMP, Batch, bad_id_reason
from .base import BadRows, ImportOptions, LoneSurrogates, ReadResult, decode_utf8, read_input_bytes

__all__ = ["read_x_json", "read_x_pages", "tombstone", "json_documents"]

_USER_LIST = re.compile(r"/2/(users|tweets)/([^/]+)/(followers|following|liking_users|retweeted_by)/?\Z")
_METRICS = {"retweet_count": "reposts", "quote_count": "quotes", "reply_count": "replies",
            "like_count": "likes", "impression_count": "impressions"}
_USER_METRICS = {"followers_count": "followers", "following_count": "following",
                 "tweet_count": "posts", "listed_count": "listed"}


class _Skip(Exception):
    """A record that was reported to BadRows and skipped."""


def json_documents(text: str, path: Path, bad: BadRows,
                   surrogates: LoneSurrogates | None = None) -> Iterator[tuple[int, Any]]:
    """(line, parsed JSON) for each document: JSONL lines, or one whole document.

    Lone surrogates are replaced by U+FFFD, counted in `surrogates` when given.
    """
    fix = surrogates or LoneSurrogates()
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    jsonl = sum(1 for line in lines if line.strip()) > 1
    if jsonl:
        try:
            json.loads(lines[first])
        except (json.JSONDecodeError, RecursionError):
            jsonl = False
    if not jsonl:
        try:
            yield 1, fix.clean(jsontext.loads(text), text)
        except RecursionError:
            raise BadInput("JSON nested too deeply", path=path, hint="this is not an X API page") from None
        except json.JSONDecodeError as exc:
            raise BadInput(f"invalid JSON ({exc.msg}, column {exc.colno})", path=path, line=exc.lineno,
                           hint="the file may be truncated; re-download or re-export it") from None
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, fix.clean(jsontext.loads(line), line)
        except RecursionError:
            bad.bad(number, "JSON nested too deeply", hint="this is not an X API page")
        except json.JSONDecodeError as exc:
            torn = number >= len(lines) - 1 and not text.endswith("\n")
            bad.bad(number, f"{'torn last line' if torn else 'invalid JSON'} ({exc.msg}, column {exc.colno})")


def _id(value: Any, what: str) -> str:
    """A string id from a JSON string or integer; ValueError with the reason otherwise."""
    if isinstance(value, bool) or value is None or isinstance(value, (float, dict, list)):
        raise ValueError(f"{what} must be a string id, got {json.dumps(value)[:40]}")
    text = str(value)
    reason = bad_id_reason(text)
    if reason:
        raise ValueError(f"{what}: {reason}")
    return text


def _count(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if not is_number(value, whole=True):
        raise ValueError(f"{what} must be an integer, got {json.dumps(value)[:40]}")
    return value


def _text(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{what} must be text, got {json.dumps(value)[:40]}")


def _object(value: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object, got {json.dumps(value)[:40]}")
    return value


def _list(value: Any, what: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list, got {json.dumps(value)[:40]}")
    return value


def tombstone(error: Any) -> tuple[str, str] | None:
    """(account id, suspended | protected | not_found) for a partial error about a user, else None."""
    if not isinstance(error, dict):
        return None
    text = " ".join(str(error.get(k, "")) for k in ("title", "detail", "type")).lower()
    value = error.get("resource_id") or error.get("value")
    if error.get("resource_type") != "user" or error.get("parameter", "id") not in ("id", "ids") or value is None:
        return None
    status = "suspended" if "suspend" in text else "protected" if "authoriz" in text or "protected" in text else "not_found"
    try:
        return _id(value, "error resource_id"), status
    except ValueError:
        return None


class _Collector:
    """Accumulates rows of one file; edges are resolved once every tweet of the file is known."""

    def __init__(self, platform: str, bad: BadRows):
        self.platform = platform
        self.bad = bad
        self.accounts: dict[str, dict] = {}
        self.tweets: dict[str, tuple[int, dict]] = {}  # id -> (line, tweet)
        self.handles: dict[str, str] = {}  # lower-case username -> id
        self.user_lists: list[tuple[int, str, str, list[str], str | None]] = []  # (line, relation, subject, ids, time)
        self.now: str | None = None  # the current page's `__twarc.retrieved_at`: the observed_at of its rows
        self.seen_at: dict[str, str | None] = {}  # tweet id -> the retrieval time of the page it came in
        self.tombstones = 0
        self.other_errors = 0
        self.records = 0
        self.other_kinds: dict[str, int] = {}  # twarc outputs that hold no tweets or users (`non_tweet_kind`)

    # ---------------------------------------------------------------- documents
    def document(self, line: int, doc: Any) -> None:
        if isinstance(doc, list):
            if not doc:
                raise BadInput("the JSON array is empty", path=self.bad.path, line=line, hint="nothing to import")
            for item in doc:
                self.document(line, item)
            return
        if not isinstance(doc, dict):
            self.bad.bad(line, f"expected an X API page (a JSON object), got {type(doc).__name__}")
            return
        if "acct" in doc or "__mastodon" in doc or {"ancestors", "descendants"} <= set(doc) \
                or isinstance(doc.get("account"), dict):  # Mastodon's accounts also have id and username
            self.bad.bad(line, "a Mastodon API answer, not an X API v2 page", hint="import it with `format` mastodon-json")
            return
        kind = non_tweet_kind(doc)
        if kind is not None:
            self.other_kinds[kind] = self.other_kinds.get(kind, 0) + 1
            return
        if any(key in doc for key in ("data", "includes", "errors", "meta")):
            self.page(line, doc)
        elif "id" in doc and ("author_id" in doc or "text" in doc):
            twarc = doc.get("__twarc")  # twarc2 flatten keeps the page's provenance on each tweet
            retrieved = twarc.get("retrieved_at") if isinstance(twarc, dict) else None
            self.now = retrieved if isinstance(retrieved, str) else None
            self.tweet(line, doc, flattened=True)
        elif "id" in doc and "username" in doc:
            self.user(line, doc)
        else:
            keys = ", ".join(list(doc)[:5]) or "none"
            self.bad.bad(line, f"not an X API v2 page, tweet or user (keys: {keys})",
                         hint="expected a page with data/includes as twarc2 or tweepy write it")

    def page(self, line: int, page: dict) -> None:
        try:
            twarc = _object(page.get("__twarc"), "__twarc")
            url = twarc.get("url")
            retrieved = twarc.get("retrieved_at")
            self.now = retrieved if isinstance(retrieved, str) else None  # twarc2 records when it fetched the page
            includes = _object(page.get("includes"), "includes")
            data = page.get("data")
            items = data if isinstance(data, list) else ([] if data is None else [data])
            if data is not None and not isinstance(data, (list, dict)):
                raise ValueError(f"data must be a list or an object, got {json.dumps(data)[:40]}")
            errors = _list(page.get("errors"), "errors")
        except ValueError as exc:
            self.bad.bad(line, str(exc))
            return
        for user in _list(includes.get("users"), "includes.users"):
            self.user(line, user)
        for tweet in _list(includes.get("tweets"), "includes.tweets"):
            self.tweet(line, tweet)
        relation = _USER_LIST.search(urlparse(url).path) if isinstance(url, str) else None
        listed: list[str] = []
        for item in items:
            if isinstance(item, dict) and "username" in item and "text" not in item:
                user_id = self.user(line, item)
                if user_id:
                    listed.append(user_id)
            else:
                self.tweet(line, item)
        if relation and listed:
            self.user_lists.append((line, relation.group(3), relation.group(2), listed, self.now))
        for error in errors:
            self.error(line, error)

    # ---------------------------------------------------------------- records
    def user(self, line: int, user: Any) -> str | None:
        try:
            user = _object(user, "user")
            user_id = _id(user.get("id"), "user id")
            metrics = _object(user.get("public_metrics"), "user public_metrics")
            row = {
                "id": user_id, "platform": self.platform,
                "handle": _text(user.get("username"), "username"),
                "name": _text(user.get("name"), "name"),
                "bio": _text(user.get("description"), "description"),
                "location": _text(user.get("location"), "location"),
                "lang": _text(user.get("lang"), "lang"),
                "verified": user.get("verified") if isinstance(user.get("verified"), bool) else None,
                "protected": user.get("protected") if isinstance(user.get("protected"), bool) else None,
                "created_at": _text(user.get("created_at"), "created_at"),
                "observed_at": self.now,
                "_line": line,
            }
            for key, column in _USER_METRICS.items():
                row[column] = _count(metrics.get(key), f"public_metrics.{key}")
        except ValueError as exc:
            self.bad.bad(line, str(exc))
            return None
        self.records += 1
        known = self.accounts.get(user_id, {})
        self.accounts[user_id] = {**known, **{k: v for k, v in row.items() if v is not None}}
        if row["handle"]:
            self.handles[row["handle"].lower()] = user_id
        return user_id

    def tweet(self, line: int, tweet: Any, *, flattened: bool = False) -> None:
        try:
            tweet = _object(tweet, "tweet")
            tweet_id = _id(tweet.get("id"), "tweet id")
            _id(tweet.get("author_id"), f"author_id of tweet {tweet_id}")
            _text(tweet.get("text"), "text")
            _text(tweet.get("created_at"), "created_at")
            _object(tweet.get("public_metrics"), "public_metrics")
            entities = _object(tweet.get("entities"), "entities")
            for key in ("hashtags", "mentions"):
                for item in _list(entities.get(key), f"entities.{key}"):
                    _object(item, f"entities.{key} item")
            for ref in _list(tweet.get("referenced_tweets"), "referenced_tweets"):
                _id(_object(ref, "referenced tweet").get("id"), "referenced tweet id")
        except ValueError as exc:
            self.bad.bad(line, str(exc))
            return
        self.records += 1
        if flattened:
            if isinstance(tweet.get("author"), dict):
                self.user(line, tweet["author"])
            for ref in tweet.get("referenced_tweets") or []:
                if isinstance(ref, dict) and "author_id" in ref and "text" in ref:
                    self.tweet(line, ref, flattened=True)
        self.tweets[tweet_id] = (line, tweet)
        self.seen_at[tweet_id] = self.now

    def error(self, line: int, error: Any) -> None:
        if not isinstance(error, dict):
            self.other_errors += 1
            return
        found = tombstone(error)
        if found is not None:
            user_id, status = found
            self.accounts.setdefault(user_id, {"id": user_id, "platform": self.platform, "_line": line})
            self.accounts[user_id]["status"] = status
            self.tombstones += 1
        else:
            self.other_errors += 1

    # ---------------------------------------------------------------- output
    def batch(self) -> tuple[Batch, list[str]]:
        """The file's tables and notes: each tweet's post row and edges, then the user lists' edges, an
        account row for every endpoint and author, and a note for each kind of row left out."""
        posts, edges = [], []
        unresolved = {"reference": 0, "mention": 0, "list": 0}
        for tweet_id, (line, tweet) in self.tweets.items():
            refs = {r.get("type"): str(r.get("id")) for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)}
            mentions = [m for m in (tweet.get("entities") or {}).get("mentions") or [] if isinstance(m, dict)]
            mention_ids = self._mention_ids(mentions, line)
            posts.append(self._post_row(tweet_id, line, tweet, refs, mention_ids))
            edges.extend(self._tweet_edges(tweet_id, line, tweet, refs, mentions, mention_ids, unresolved))
        edges.extend(self._list_edges(posts, unresolved))
        for account_id in {e["src"] for e in edges} | {e["dst"] for e in edges} | {p["author_id"] for p in posts}:
            self.accounts.setdefault(account_id, {"id": account_id, "platform": self.platform, "_line": 0})
        return self._frames(list(self.accounts.values()), posts, edges), self._notes(unresolved)

    def _author_of(self, tweet_id: str) -> str | None:
        """The author of a tweet of this file, or None when the tweet is not in it."""
        found = self.tweets.get(tweet_id)
        return str(found[1]["author_id"]) if found else None

    def _mention_ids(self, mentions: list[dict], line: int) -> list[str | None]:
        """The account id of each mention (by id, else by a handle seen in the file; None when unknown);
        a mentioned account not yet known gets an account row with its handle."""
        mention_ids = []
        for m in mentions:
            mid = m.get("id")
            if mid is None and isinstance(m.get("username"), str):
                mid = self.handles.get(m["username"].lower())
            mention_ids.append(str(mid) if mid is not None else None)
            if mid is not None and str(mid) not in self.accounts and isinstance(m.get("username"), str):
                self.accounts[str(mid)] = {"id": str(mid), "platform": self.platform, "handle": m["username"], "_line": line}
        return mention_ids

    def _post_row(self, tweet_id: str, line: int, tweet: dict, refs: dict, mention_ids: list[str | None]) -> dict:
        """The posts row of one tweet."""
        entities = tweet.get("entities") or {}
        metrics = tweet.get("public_metrics") or {}
        return {
            "id": tweet_id, "platform": self.platform, "author_id": str(tweet["author_id"]), "created_at": tweet.get("created_at"),
            "text": tweet.get("text"), "lang": tweet.get("lang"),
            "hashtags": [h.get("tag") for h in entities.get("hashtags") or [] if isinstance(h, dict) and isinstance(h.get("tag"), str)],
            "mentions": [m for m in mention_ids if m is not None],
            "reply_to": refs.get("replied_to"),
            "reply_to_author": str(tweet["in_reply_to_user_id"]) if tweet.get("in_reply_to_user_id") is not None else None,
            "quote_of": refs.get("quoted"), "repost_of": refs.get("retweeted"),
            "conversation_id": str(tweet["conversation_id"]) if tweet.get("conversation_id") is not None else None,
            "observed_at": self.seen_at.get(tweet_id),
            **{column: metrics.get(key) if isinstance(metrics.get(key), int) else None for key, column in _METRICS.items()},
            "_line": line,
        }

    def _tweet_edges(self, tweet_id: str, line: int, tweet: dict, refs: dict, mentions: list[dict],
                     mention_ids: list[str | None], unresolved: dict[str, int]) -> list[dict]:
        """One tweet's repost, quote, reply and mention edges, with the absorptions of the module
        docstring; references and mentions that cannot be resolved are counted in `unresolved`."""
        author, at = str(tweet["author_id"]), tweet.get("created_at")
        edges: list[dict] = []

        def edge(dst: str, kind: str) -> None:
            edges.append({"src": author, "dst": dst, "kind": kind, "post_id": tweet_id, "at": at, "_line": line,
                          "observed_at": self.seen_at.get(tweet_id)})

        absorbed: set[str] = set()
        if "retweeted" in refs:
            target = self._author_of(refs["retweeted"])
            if target is None and mentions and mentions[0].get("start", 3) <= 3 and mention_ids[0]:
                target = mention_ids[0]  # the "RT @author:" prefix names the original author
            if target is None:
                unresolved["reference"] += 1
            else:
                edge(target, "repost")
            absorbed.update(m for m in mention_ids if m is not None)  # none of them are the retweeter's
        if "quoted" in refs:
            target = self._author_of(refs["quoted"])
            if target is None:
                unresolved["reference"] += 1
            else:
                edge(target, "quote")
        if "replied_to" in refs:
            target = tweet.get("in_reply_to_user_id")
            target = str(target) if target is not None else self._author_of(refs["replied_to"])
            if target is None:
                unresolved["reference"] += 1
            else:
                edge(target, "reply")
                absorbed.add(target)
        elif tweet.get("in_reply_to_user_id") is not None:  # a reply without referenced_tweets (fields not asked for)
            target = str(tweet["in_reply_to_user_id"])
            edge(target, "reply")
            absorbed.add(target)
        for mid in mention_ids:
            if mid is None:
                unresolved["mention"] += 1
            elif mid not in absorbed:
                edge(mid, "mention")
        return edges

    def _list_edges(self, posts: list[dict], unresolved: dict[str, int]) -> list[dict]:
        """Follow, like and repost edges from the user-list pages (see the module docstring); a like or
        repost list whose tweet's author is not in the file is counted in `unresolved`."""
        edges: list[dict] = []
        retweeted = {(p["author_id"], p["repost_of"]) for p in posts if p.get("repost_of")}
        for line, relation, subject, users, seen in self.user_lists:
            if relation == "followers":
                edges.extend({"src": u, "dst": subject, "kind": "follow", "_line": line, "observed_at": seen} for u in users)
            elif relation == "following":
                edges.extend({"src": subject, "dst": u, "kind": "follow", "_line": line, "observed_at": seen} for u in users)
            else:
                target = self._author_of(subject)
                if target is None:
                    unresolved["list"] += len(users)
                    continue
                kind = "like" if relation == "liking_users" else "repost"
                if kind == "repost":  # a retweet already read as a tweet is the same fact: keep one edge
                    users = [u for u in users if (u, subject) not in retweeted]
                edges.extend({"src": u, "dst": target, "kind": kind, "post_id": subject, "_line": line, "observed_at": seen}
                             for u in users)
        return edges

    def _notes(self, unresolved: dict[str, int]) -> list[str]:
        """One note per kind of row left out or recorded specially, naming the file."""
        notes: list[str] = []
        if unresolved["reference"]:
            notes.append(f"{self.bad.path}: {unresolved['reference']} repost/quote/reply reference(s) left out: "
                         "the referenced tweet's author is not in the file (request the referenced_tweets.id.author_id expansion)")
        if unresolved["mention"]:
            notes.append(f"{self.bad.path}: {unresolved['mention']} mention(s) without an id left out "
                         "(request the entities.mentions.username expansion)")
        if unresolved["list"]:
            notes.append(f"{self.bad.path}: {unresolved['list']} like/repost row(s) from liking_users/retweeted_by "
                         "pages left out: the tweet's author is not in the same file; import the tweet with them")
        if self.tombstones:
            notes.append(f"{self.bad.path}: {self.tombstones} account(s) recorded as suspended, protected or not found")
        if self.other_errors:
            notes.append(f"{self.bad.path}: {self.other_errors} partial error(s) in pages (deleted or withheld tweets) noted, not imported")
        return notes

    def _frames(self, accounts: list[dict], posts: list[dict], edges: list[dict]) -> Batch:
        account_frame = pl.DataFrame(accounts, schema_overrides={"id": pl.String}, infer_schema_length=None) if accounts else pl.DataFrame()
        post_frame = pl.DataFrame(posts, infer_schema_length=None) if posts else pl.DataFrame()
        edge_frame = pl.DataFrame(edges, infer_schema_length=None) if edges else pl.DataFrame()
        account_frame = self._times(account_frame, "created_at", "user created_at")
        post_frame = self._times(post_frame, "created_at", "tweet created_at")
        edge_frame = self._times(edge_frame, "at", "tweet created_at")
        account_frame, post_frame, edge_frame = (self._times(frame, "observed_at", "__twarc.retrieved_at")
                                                 for frame in (account_frame, post_frame, edge_frame))
        if edge_frame.height:
            edge_frame = edge_frame.with_columns(platform=pl.lit(self.platform), origin=pl.lit(""))
            if "post_id" not in edge_frame.columns:
                edge_frame = edge_frame.with_columns(post_id=pl.lit(None, dtype=pl.String))
            edge_frame = edge_frame.unique(subset=["src", "dst", "kind", "post_id"], keep="first", maintain_order=True)
        frames = {"accounts": account_frame, "posts": post_frame, "edges": edge_frame}
        batch = Batch(**{name: frame.drop("_line", strict=False) for name, frame in frames.items() if frame.width})
        newest = batch.posts["observed_at"].max(), batch.accounts["observed_at"].max(), batch.edges["observed_at"].max()
        newest = max((t for t in newest if t is not None), default=None)
        if newest is None:
            return batch
        # one time per file, its newest page's, as the crawl that stored the pages gave its rows (`newest_retrieval`)
        return Batch(**{name: frame.with_columns(pl.lit(newest, dtype=TIMESTAMP).alias("observed_at"))
                        for name, frame in batch.frames().items()})

    def _times(self, frame: pl.DataFrame, column: str, what: str) -> pl.DataFrame:
        if column not in frame.columns or frame.schema[column] != pl.String:
            if column in frame.columns and frame.schema[column] == pl.Null:
                return frame.with_columns(pl.col(column).cast(TIMESTAMP))
            return frame
        parsed = frame.with_columns(pl.col(column).str.to_datetime(time_zone="UTC", strict=False, time_unit="us").alias("_t"))
        failed = parsed.filter(pl.col(column).is_not_null() & pl.col("_t").is_null())
        if failed.height:
            row = failed.row(0, named=True)
            self.bad.bad(row.get("_line"), f"{what} {row[column]!r} is not an ISO-8601 time")
            parsed = parsed.filter(~(pl.col(column).is_not_null() & pl.col("_t").is_null()))
        return parsed.with_columns(pl.col("_t").alias(column)).drop("_t")


# twarc2 outputs that are no tweets or users: kind -> (what it is, what to import instead)
NON_TWEET = {
    "counts": ("twarc2 counts output (tweet counts per time bucket, no tweets)",
               "import the output of twarc2 search or twarc2 timeline instead"),
    "lists": ("twarc2 lists output (list objects, no tweets)",
              "import the output of twarc2 lists members or twarc2 lists followers (users) instead"),
    "compliance": ("a twarc2 compliance file (compliance jobs or deletion events, no tweets)",
                   "it is for removing deleted tweets from a dataset, not for import; import the tweets themselves"),
}
_READS = ("influgraph import reads twarc2 search, timeline, tweets, users, followers, following, liking-users, "
          "retweeted-by and quotes output")


def non_tweet_kind(doc: dict) -> str | None:
    """The NON_TWEET kind of a twarc output page or line (counts, lists, compliance), or None for tweets and users.

    >>> non_tweet_kind({"data": [{"start": "2021-09-13T19:18:24.000Z", "end": "2021-09-13T20:00:00.000Z", "tweet_count": 1}]})
    'counts'
    """
    data = doc.get("data", doc) if isinstance(doc.get("data", doc), (dict, list)) else doc
    items = [item for item in (data if isinstance(data, list) else [data]) if isinstance(item, dict)]
    if not items or "__twarc" in items[0] and len(items) == 1 and "data" not in doc:
        return None
    first = items[0]
    if "tweet_count" in first and ("start" in first or "end" in first) or "total_tweet_count" in (doc.get("meta") or {}):
        return "counts"
    if {"upload_url", "download_url"} & set(first) or {"action", "redacted_at"} <= set(first) or \
            first.get("type") in ("tweets", "users") and "status" in first:
        return "compliance"
    if "name" in first and "id" in first and not {"username", "text", "author_id"} & set(first):
        return "lists"
    return None


def read_x_json(path: Path, options: ImportOptions = ImportOptions()) -> ReadResult:
    """Read X API v2 JSON/JSONL (twarc2, tweepy) from `path` into a Batch; see the module docstring."""
    path = Path(path)
    bad = BadRows(path, options.skip_bad_rows)
    text = decode_utf8(read_input_bytes(path), path)
    collector = _Collector(options.platform or "x", bad)
    surrogates = LoneSurrogates()
    for line, doc in json_documents(text, path, bad, surrogates):
        collector.document(line, doc)
    if collector.records == 0 and collector.other_kinds:
        kind = max(collector.other_kinds, key=collector.other_kinds.get)
        raise BadInput(f"this is {NON_TWEET[kind][0]}; {_READS}", path=path, hint=NON_TWEET[kind][1])
    if collector.records == 0 and not collector.tombstones and not bad.count:
        raise BadInput("no tweets or users in this file", path=path,
                       hint="expected X API v2 pages with data/includes, as twarc2 or tweepy write them")
    batch, notes = collector.batch()
    extra = [note for note in (surrogates.note(path), bad.note()) if note]
    return ReadResult(batch=batch, format="x-json", rows_read=collector.records, skipped=bad.count, notes=notes + extra)


def read_x_pages(pages: list[tuple[str, dict]], source: str, platform: str = "x") -> tuple[Batch, list[str]]:
    """Read stored API pages (canonical URL, body) as one file would be read; malformed items are skipped and counted."""
    bad = BadRows(source, skip=True)
    collector = _Collector(platform, bad)
    surrogates = LoneSurrogates()
    for number, (url, body) in enumerate(pages, start=1):
        page = {**body, "__twarc": {"url": url}}
        collector.document(number, surrogates.clean_decoded(page))
    batch, notes = collector.batch()
    return batch, notes + [note for note in (surrogates.note(source), bad.note()) if note]
