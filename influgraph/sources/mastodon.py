"""Mastodon API JSON (REST answers of /api/v1 and /api/v2) into accounts, posts and edges, `platform = "mastodon"`.

Accepted documents, one per line (JSONL) or one whole file: an answer as the API sends it (a
status, a list of statuses, an account, a list of accounts such as `favourited_by`,
`reblogged_by`, `followers` or `following`, a `context` answer, notifications, a v2 search
answer), or the crawler's envelope `{"__mastodon": {"url": REQUEST_URL, ...}, "data": ANSWER}`,
which keeps the request URL that says what a bare list of accounts means.

**Ids stay unique across instances.** An account's numeric `id` is local to the instance that
answered, so it is never stored: the account id is `username@home`, where `home` is the host
(with its port) of the account's `url`, else of its `uri` (both point at its home instance
whoever serves the view), else the domain of its `acct`, else the instance being read (an
`acct` without a domain is local). A status's id is its ActivityPub `uri`, the same on every
instance. The handle column holds the same `username@home`.

Edges, src acting toward dst: **reply** author -> author of the status replied to
(`in_reply_to_account_id`, resolved through the accounts of the same instance in the file);
**mention** author -> each mentioned account (the reply target's mention is absorbed);
**quote** author -> author of the quoted status (Mastodon 4.5 `quote.quoted_status`);
**repost** reblogger -> original author (a reblog wrapper in a timeline, or `reblogged_by`);
**like** from `favourited_by` (account -> author); **follow** from `followers`
(account -> subject) and `following` (subject -> account); notifications of type mention,
reblog, favourite, quote and status give the same edges. Lists whose status or subject is not in the
file are kept as accounts and counted in a note; suspended accounts are tombstones.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import polars as pl

from ..errors import BadInput
from ..schema import Batch, bad_id_reason
from .base import (BadRows, ImportOptions, batch_of, LoneSurrogates, ReadResult, decode_utf8, newest_retrieval,
                   read_input_bytes)

__all__ = ["read_mastodon_json", "read_mastodon_pages", "looks_like_mastodon", "account_key", "host_of", "unwrap"]

PLATFORM = "mastodon"
_LIST = re.compile(r"/api/v1/(accounts|statuses)/([^/]+)/(followers|following|reblogged_by|favourited_by|context)/?\Z")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)


def host_of(url: Any) -> str | None:
    """The lower-case host (with its port) of an http(s) URL, or None.

    >>> host_of("https://Mastodon.Social/@alice")
    'mastodon.social'
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return urlparse(url).netloc.lower() or None


def account_key(view: Any, instance: str | None) -> str | None:
    """The instance-independent id `username@home` of an account view (see the module docstring), or None.

    >>> account_key({"username": "alice", "acct": "alice@example.org", "url": "https://social.example.org/@alice"}, "m.s")
    'alice@social.example.org'
    >>> account_key({"username": "bob", "acct": "bob"}, "mastodon.social")
    'bob@mastodon.social'
    """
    if not isinstance(view, dict):
        return None
    acct = view.get("acct") if isinstance(view.get("acct"), str) else ""
    username = view.get("username") if isinstance(view.get("username"), str) and view["username"] else acct.split("@")[0]
    home = host_of(view.get("url")) or host_of(view.get("uri")) or (acct.split("@", 1)[1].lower() if "@" in acct else instance)
    if not username or not home:
        return None
    key = f"{username}@{home}"
    return None if bad_id_reason(key) else key


def unwrap(document: Any) -> tuple[str | None, Any]:
    """(request URL or None, answer) of a document: the crawler's envelope, or an answer as the API sent it."""
    if isinstance(document, dict) and isinstance(document.get("__mastodon"), dict):
        meta = document["__mastodon"]
        url = meta.get("url") or (document.get("__influgraph") or {}).get("url")
        return (url if isinstance(url, str) else None), document.get("data")
    return None, document


def _is_account(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("acct"), str) and "id" in item


def _is_status(item: Any) -> bool:
    return isinstance(item, dict) and _is_account(item.get("account")) and ("content" in item or "uri" in item) \
        and "type" not in item


def looks_like_mastodon(document: Any) -> bool:
    """True for a Mastodon answer (an account, a status, a context, notifications, a search) or the crawler's envelope."""
    if isinstance(document, dict) and isinstance(document.get("__mastodon"), dict):
        return True
    if isinstance(document, list):
        return bool(document) and all(looks_like_mastodon(item) for item in document[:3])
    if not isinstance(document, dict):
        return False
    return (_is_account(document) or _is_status(document) or {"ancestors", "descendants"} <= set(document)
            or _is_account(document.get("account")) and "type" in document
            or {"accounts", "statuses", "hashtags"} <= set(document))


def _text(content: Any) -> str | None:
    if not isinstance(content, str):
        return None
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content))).strip()


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Collector:
    """Rows of one file (or of a crawl's pages): accounts by key, statuses by uri, and the relations of list pages."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict] = {}
        self.local: dict[tuple[str | None, str], str] = {}  # (instance, local account id) -> key
        self.statuses: dict[str, dict] = {}  # uri -> status (the original of a reblog is its own entry)
        self.local_status: dict[tuple[str | None, str], str] = {}  # (instance, local status id) -> uri
        self.instance_of: dict[str, str | None] = {}  # status uri -> the instance it was read from
        self.lists: list[tuple[str | None, str, str, list[str]]] = []  # (instance, relation, local subject id, keys)
        self.likes: list[tuple[str | None, dict]] = []  # notifications: (instance, notification)
        self.unresolved = {"list": 0, "reply": 0, "notification": 0}
        self.skipped = 0
        self.records = 0

    # ---------------------------------------------------------------- views
    def account(self, view: Any, instance: str | None) -> str | None:
        key = account_key(view, instance)
        if key is None:
            self.skipped += 1
            return None
        self.records += 1
        if view.get("id") is not None:
            self.local[(instance, str(view["id"]))] = key
        row = {"id": key, "platform": PLATFORM, "handle": key, "name": view.get("display_name") or None,
               "bio": _text(view.get("note")) or None, "followers": _count(view.get("followers_count")),
               "following": _count(view.get("following_count")), "posts": _count(view.get("statuses_count")),
               "protected": view.get("locked") if isinstance(view.get("locked"), bool) else None,
               "created_at": view.get("created_at") if isinstance(view.get("created_at"), str) else None,
               "status": "suspended" if view.get("suspended") is True else None}
        known = self.accounts.get(key, {})
        self.accounts[key] = {**known, **{k: v for k, v in row.items() if v is not None}}
        return key

    def status(self, view: Any, instance: str | None) -> str | None:
        if not _is_status(view) or not isinstance(view.get("uri"), str) or bad_id_reason(view["uri"]):
            self.skipped += 1
            return None
        self.records += 1
        author = self.account(view["account"], instance or host_of(view["uri"]))  # a bare file: the uri's host is home
        if author is None:
            return None
        for mention in view.get("mentions") or []:
            if isinstance(mention, dict) and account_key(mention, instance):
                self.local.setdefault((instance, str(mention.get("id"))), account_key(mention, instance))
        for inner in (view.get("reblog"), (view.get("quote") or {}).get("quoted_status") if isinstance(view.get("quote"), dict) else None):
            if isinstance(inner, dict):
                self.status(inner, instance)
        self.statuses.setdefault(view["uri"], view)
        self.instance_of.setdefault(view["uri"], instance)
        if view.get("id") is not None:
            self.local_status[(instance, str(view["id"]))] = view["uri"]
        return view["uri"]

    # ---------------------------------------------------------------- answers
    def document(self, url: str | None, document: Any) -> None:
        """One document: an envelope (a seed the instance did not know becomes a tombstone) or a bare answer."""
        meta = document.get("__mastodon") if isinstance(document, dict) else None
        inner_url, answer = unwrap(document)
        url = inner_url or url
        if isinstance(meta, dict) and meta.get("status") == 404 and isinstance(meta.get("acct"), str):
            key = account_key({"acct": meta["acct"]}, host_of(url))
            if key:
                self.accounts.setdefault(key, {"id": key, "platform": PLATFORM, "handle": key})["status"] = "not_found"
                self.records += 1
        if answer is not None:
            self.answer(url, answer)

    def answer(self, url: str | None, body: Any) -> None:
        """One answer: its views, and for a list page (known by its URL) the relation it lists."""
        instance = host_of(url)
        relation = _LIST.search(urlparse(url).path) if url else None
        if relation and relation.group(3) == "context" and isinstance(body, dict):
            for view in (body.get("ancestors") or []) + (body.get("descendants") or []):
                self.status(view, instance)
            return
        items = body if isinstance(body, list) else [body]
        listed = []
        for item in items:
            if _is_status(item):
                self.status(item, instance)
            elif _is_account(item):
                key = self.account(item, instance)
                if key:
                    listed.append(key)
            elif isinstance(item, dict) and _is_account(item.get("account")) and "type" in item:
                self.notification(item, instance)
            elif isinstance(item, dict) and {"ancestors", "descendants"} <= set(item):
                self.answer(None, (item.get("ancestors") or []) + (item.get("descendants") or []))
            elif isinstance(item, dict) and {"accounts", "statuses"} <= set(item):
                self.answer(None, list(item.get("accounts") or []) + list(item.get("statuses") or []))
            else:
                self.skipped += 1
        if relation and relation.group(3) != "context":
            self.lists.append((instance, relation.group(3), relation.group(2), listed))

    def notification(self, item: dict, instance: str | None) -> None:
        self.records += 1
        actor = self.account(item["account"], instance)
        uri = self.status(item["status"], instance) if isinstance(item.get("status"), dict) else None
        kind = {"reblog": "repost", "favourite": "like"}.get(str(item.get("type")))
        if kind and actor and uri:
            self.likes.append((instance, {"src": actor, "uri": uri, "kind": kind, "at": item.get("created_at")}))
        elif item.get("type") not in ("mention", "status", "quote", "update"):
            self.unresolved["notification"] += 1  # a follow, a poll...: the recipient is not in the answer

    # ---------------------------------------------------------------- output
    def author(self, uri: str) -> str | None:
        status = self.statuses.get(uri)
        return account_key(status["account"], self.instance_of.get(uri) or host_of(uri)) if status else None

    def post_and_edges(self, uri: str, view: dict) -> tuple[dict, list[dict]]:
        """The posts row of one status and its reply, mention, quote and repost edges."""
        instance = self.instance_of.get(uri)
        author, at = account_key(view["account"], instance or host_of(uri)), view.get("created_at")
        mentions = [k for k in (account_key(m, instance) for m in view.get("mentions") or [] if isinstance(m, dict)) if k]
        parent = self.local_status.get((instance, str(view.get("in_reply_to_id"))))
        target = self.local.get((instance, str(view.get("in_reply_to_account_id")))) or (self.author(parent) if parent else None)
        if view.get("in_reply_to_account_id") is not None and target is None:
            target = next(iter(mentions), None) if len(mentions) == 1 else None  # a reply mentions whom it answers
            self.unresolved["reply"] += target is None
        reblog = view["reblog"].get("uri") if isinstance(view.get("reblog"), dict) else None
        quote = view.get("quote") if isinstance(view.get("quote"), dict) else {}
        quoted = (quote.get("quoted_status") or {}).get("uri") if isinstance(quote.get("quoted_status"), dict) else None
        row = {"id": uri, "platform": PLATFORM, "author_id": author, "created_at": at, "text": _text(view.get("content")),
               "lang": view.get("language") if isinstance(view.get("language"), str) else None,
               "hashtags": [t["name"] for t in view.get("tags") or [] if isinstance(t, dict) and isinstance(t.get("name"), str)],
               "mentions": mentions, "reply_to": parent, "reply_to_author": target, "quote_of": quoted, "repost_of": reblog,
               "replies": _count(view.get("replies_count")), "reposts": _count(view.get("reblogs_count")),
               "likes": _count(view.get("favourites_count")), "quotes": _count(view.get("quotes_count"))}
        edges = []

        def edge(dst: str | None, kind: str) -> None:
            if dst:
                edges.append({"src": author, "dst": dst, "kind": kind, "post_id": uri, "at": at})

        if reblog:
            edge(self.author(reblog), "repost")
            return row, edges  # a reblog's mentions are the original's
        edge(target, "reply")
        edge(self.author(quoted) if quoted else None, "quote")
        for key in dict.fromkeys(mentions):
            if key != target:
                edge(key, "mention")
        return row, edges

    def list_edges(self, reblogged: set[tuple[str, str]]) -> list[dict]:
        """Follow, repost and like edges of the list pages and notifications whose subject is in the file."""
        edges = []
        for instance, relation, subject, keys in self.lists:
            if relation in ("followers", "following"):
                owner = self.local.get((instance, subject)) or self.local.get((None, subject))  # None: read bare
                if owner is None:
                    self.unresolved["list"] += len(keys)
                    continue
                pairs = [(k, owner) if relation == "followers" else (owner, k) for k in keys]
                edges.extend({"src": s, "dst": d, "kind": "follow", "post_id": None, "at": None} for s, d in pairs)
                continue
            uri = self.local_status.get((instance, subject)) or self.local_status.get((None, subject))
            target = self.author(uri) if uri else None
            if target is None:
                self.unresolved["list"] += len(keys)
                continue
            kind = "repost" if relation == "reblogged_by" else "like"
            edges.extend({"src": k, "dst": target, "kind": kind, "post_id": uri, "at": None} for k in keys
                         if kind == "like" or (k, uri) not in reblogged)
        for _, item in self.likes:
            target = self.author(item["uri"])
            if target and (item["kind"] == "like" or (item["src"], item["uri"]) not in reblogged):
                edges.append({"src": item["src"], "dst": target, "kind": item["kind"], "post_id": item["uri"], "at": item["at"]})
        return edges

    def batch(self) -> Batch:
        posts, edges = [], []
        for uri, view in self.statuses.items():
            row, found = self.post_and_edges(uri, view)
            posts.append(row)
            edges.extend(found)
        reblogged = {(p["author_id"], p["repost_of"]) for p in posts if p["repost_of"]}
        edges.extend(self.list_edges(reblogged))
        for end in {e["src"] for e in edges} | {e["dst"] for e in edges}:
            self.accounts.setdefault(end, {"id": end, "platform": PLATFORM, "handle": end})
        batch = batch_of({"accounts": list(self.accounts.values()), "posts": posts,
                          "edges": [{**e, "platform": PLATFORM} for e in edges]})
        edges_once = batch.edges.unique(subset=["src", "dst", "kind", "post_id"], keep="first", maintain_order=True)
        return Batch(accounts=batch.accounts, posts=batch.posts, edges=edges_once)

    def notes(self, where: str) -> list[str]:
        """One note per kind of row left out."""
        notes = []
        if self.unresolved["list"]:
            notes.append(f"{where}: {self.unresolved['list']} listed account(s) kept without an edge: the status or account "
                         "the list belongs to is not in the file (import its status or lookup answer with it)")
        if self.unresolved["reply"]:
            notes.append(f"{where}: {self.unresolved['reply']} reply edge(s) left out: the account replied to is not in the file")
        if self.unresolved["notification"]:
            notes.append(f"{where}: {self.unresolved['notification']} follow/poll notification(s) noted, not imported "
                         "(the recipient is not in the answer)")
        if self.skipped:
            notes.append(f"{where}: {self.skipped} item(s) that are neither accounts nor statuses skipped")
        return notes


def read_mastodon_pages(pages: list[tuple[str, Any]]) -> tuple[Batch, list[str]]:
    """Stored Mastodon pages (request URL, envelope or answer) as one Batch, with notes of what was left out.

    Parameters
    ----------
    pages : (request URL, body) pairs; a body is the crawler's envelope or an answer as the API sent it.

    Returns
    -------
    (Batch, notes): the rows of every page (the module docstring's rules) and one line per kind of row left out.

    Example
    -------
    >>> batch, notes = read_mastodon_pages([("https://m.s/api/v1/timelines/tag/coffee", [])])
    >>> batch.accounts.height
    0
    """
    collector = _Collector()
    surrogates = LoneSurrogates()
    for url, body in pages:
        collector.document(url, surrogates.clean(body))
    batch = collector.batch()
    replaced = surrogates.note("the Mastodon pages")
    return batch, collector.notes("the Mastodon pages") + ([replaced] if replaced else [])


def read_mastodon_json(path: Path | str, options: ImportOptions = ImportOptions()) -> ReadResult:
    """Mastodon API answers as JSON or JSONL (bare answers or the crawler's envelopes) into a Batch.

    Parameters
    ----------
    path : the file (gzip is looked through).
    options : `skip_bad_rows` counts documents that are not Mastodon answers instead of refusing the file.

    Returns
    -------
    ReadResult with `format = "mastodon-json"`; a bare list of accounts (no request URL) gives accounts only.

    Example
    -------
    >>> read_mastodon_json("favourited_by.json").batch.accounts   # doctest: +SKIP
    """
    from .xjson import json_documents

    path = Path(path)
    bad = BadRows(path, options.skip_bad_rows)
    surrogates = LoneSurrogates()
    collector = _Collector()
    documents = 0
    newest = None
    for line, document in json_documents(decode_utf8(read_input_bytes(path), path), path, bad, surrogates):
        when = newest_retrieval([document])
        newest = when if newest is None or (when is not None and when > newest) else newest
        if not looks_like_mastodon(document):
            keys = ", ".join(list(document)[:5]) if isinstance(document, dict) else type(document).__name__
            bad.bad(line, f"not a Mastodon API answer (an account, status, context or notification; got {keys})",
                    hint="import X API pages with `format` x-json, or skip such lines with `skip_bad_rows`")
            continue
        collector.document(None, document)
        documents += 1
    if not collector.records:
        raise BadInput("no Mastodon accounts or statuses in this file", path=path,
                       hint="expected Mastodon API answers (statuses, accounts, context), one per line")
    extra = [note for note in (surrogates.note(path), bad.note()) if note]
    batch = collector.batch()
    return ReadResult(batch=batch.observed(newest) if newest else batch, format="mastodon-json", rows_read=documents,
                      skipped=bad.count,
                      notes=collector.notes(str(path)) + extra)
