"""Bluesky AppView pages (app.bsky.* XRPC answers) into accounts, posts and edges, `platform = "bluesky"`.

Rules (documented in the README):

- Accounts: every profile view (`did` is the id, `handle`, `displayName`, `description`,
  counts when present). Posts: every post view (`uri` is the id, author `did`, record text,
  `createdAt`, first of `langs`, hashtags and mentions from facets, reply parent, quoted post).
- Edges, src acting toward dst: **reply** author -> author of the parent post; **quote** author
  -> author of the quoted post; **mention** author -> mentioned did (not the reply target);
  **follow** from `getFollowers` (follower -> subject) and `getFollows` (subject -> follow);
  **repost** from `getRepostedBy` (reposter -> author of the post; Bluesky reposts are not
  posts); **like** from `getLikes` (actor -> author, at the like's time). The author of any
  post is the did inside its `at://did/...` uri, so no lookup is needed.
- Threads from `getPostThread` are walked through parents and replies.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from ..schema import Batch
from .base import batch_of

__all__ = ["read_bluesky_pages", "read_bluesky_json", "looks_like_bluesky", "author_of_uri"]


def author_of_uri(uri: str | None) -> str | None:
    """The did in an at:// uri (at://did:plc:xyz/app.bsky.feed.post/rkey), or None."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    did = uri[5:].split("/", 1)[0]
    return did or None


def _time(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class _Collector:
    def __init__(self) -> None:
        self.accounts: dict[str, dict] = {}
        self.posts: dict[str, dict] = {}
        self.edges: list[dict] = []
        self.skipped = 0

    def profile(self, view: Any) -> str | None:
        if not isinstance(view, dict) or not isinstance(view.get("did"), str):
            self.skipped += 1
            return None
        row = self.accounts.setdefault(view["did"], {"id": view["did"], "platform": "bluesky"})
        for column, key in (("handle", "handle"), ("name", "displayName"), ("bio", "description"),
                            ("created_at", "createdAt"), ("followers", "followersCount"), ("following", "followsCount"),
                            ("posts", "postsCount")):
            if view.get(key) is not None:
                row[column] = view[key]
        return view["did"]

    def post(self, view: Any) -> None:
        if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
            self.skipped += 1
            return
        author = self.profile(view.get("author")) or author_of_uri(view["uri"])
        record = view.get("record") if isinstance(view.get("record"), dict) else {}
        at = _time(record.get("createdAt")) or _time(view.get("indexedAt"))
        tags, mentions = [], []
        for facet in record.get("facets") or []:
            for feature in (facet or {}).get("features") or []:
                kind = str((feature or {}).get("$type", ""))
                if kind.endswith("#tag") and isinstance(feature.get("tag"), str):
                    tags.append(feature["tag"])
                elif kind.endswith("#mention") and isinstance(feature.get("did"), str):
                    mentions.append(feature["did"])
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
        parent = (reply.get("parent") or {}).get("uri")
        embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
        quoted = (embed.get("record") or {}).get("uri") if isinstance(embed.get("record"), dict) else None
        if quoted is None and isinstance((embed.get("record") or {}).get("record"), dict):  # recordWithMedia
            quoted = embed["record"]["record"].get("uri")
        langs = record.get("langs") if isinstance(record.get("langs"), list) else []
        self.posts[view["uri"]] = {
            "id": view["uri"], "platform": "bluesky", "author_id": author, "created_at": at, "text": record.get("text"),
            "lang": langs[0] if langs else None, "hashtags": tags, "mentions": mentions, "reply_to": parent,
            "reply_to_author": author_of_uri(parent), "quote_of": quoted, "conversation_id": (reply.get("root") or {}).get("uri"),
            "replies": view.get("replyCount"), "reposts": view.get("repostCount"), "likes": view.get("likeCount"),
            "quotes": view.get("quoteCount")}
        if author is None:
            return
        absorbed = set()
        if parent and author_of_uri(parent):
            self.edge(author, author_of_uri(parent), "reply", view["uri"], at)
            absorbed.add(author_of_uri(parent))
        if quoted and author_of_uri(quoted):
            self.edge(author, author_of_uri(quoted), "quote", view["uri"], at)
        for did in dict.fromkeys(mentions):
            if did not in absorbed:
                self.edge(author, did, "mention", view["uri"], at)

    def edge(self, src: str | None, dst: str | None, kind: str, post: str | None, at: str | None) -> None:
        if src and dst:
            self.edges.append({"src": src, "dst": dst, "kind": kind, "post_id": post, "at": at})

    def thread(self, node: Any) -> None:
        if not isinstance(node, dict):
            return
        if isinstance(node.get("post"), dict):
            self.post(node["post"])
        self.thread(node.get("parent"))
        for child in node.get("replies") or []:
            self.thread(child)

    def page(self, url: str, body: dict) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}
        for view in body.get("posts") or []:
            self.post(view)
        for view in body.get("profiles") or []:
            self.profile(view)
        if body.get("thread"):
            self.thread(body["thread"])
        subject = self.profile(body["subject"]) if isinstance(body.get("subject"), dict) else None
        if subject and isinstance(body.get("followers"), list):  # app.bsky.graph.getFollowers
            for view in body["followers"]:
                self.edge(self.profile(view), subject, "follow", None, None)
        elif subject and isinstance(body.get("follows"), list):  # app.bsky.graph.getFollows
            for view in body["follows"]:
                self.edge(subject, self.profile(view), "follow", None, None)
        uri = body.get("uri") or query.get("uri")
        if isinstance(body.get("repostedBy"), list):  # app.bsky.feed.getRepostedBy
            for view in body["repostedBy"]:
                self.edge(self.profile(view), author_of_uri(uri), "repost", uri, None)
        elif isinstance(body.get("likes"), list):  # app.bsky.feed.getLikes
            for like in body.get("likes") or []:
                self.edge(self.profile((like or {}).get("actor")), author_of_uri(uri), "like", uri, _time((like or {}).get("createdAt")))

    def batch(self) -> Batch:
        for edge in self.edges:
            for end in (edge["src"], edge["dst"]):
                self.accounts.setdefault(end, {"id": end, "platform": "bluesky"})
        for post in self.posts.values():
            if post["author_id"]:
                self.accounts.setdefault(post["author_id"], {"id": post["author_id"], "platform": "bluesky"})
        rows = {"accounts": list(self.accounts.values()), "posts": [p for p in self.posts.values() if p["author_id"]],
                "edges": [{**e, "platform": "bluesky"} for e in self.edges]}
        return batch_of(rows)


def read_bluesky_pages(pages: list[tuple[str, dict]]) -> tuple[Batch, list[str]]:
    """Stored Bluesky pages (request URL, body) as one Batch; malformed views are counted in a note."""
    from .base import LoneSurrogates

    collector = _Collector()
    surrogates = LoneSurrogates()
    for url, body in pages:
        if isinstance(body, dict):
            collector.page(url, surrogates.clean(body))
    notes = [f"{collector.skipped} malformed profile or post view(s) skipped"] if collector.skipped else []
    replaced = surrogates.note("the Bluesky pages")
    return collector.batch(), notes + ([replaced] if replaced else [])


def looks_like_bluesky(document: Any) -> bool:
    """True for an AppView answer (or a crawled Bluesky page): posts, profiles, thread, followers, likes..."""
    if not isinstance(document, dict):
        return False
    url = str((document.get("__influgraph") or {}).get("url", ""))
    if "/xrpc/app.bsky." in url:
        return True
    return bool({"subject", "repostedBy", "thread"} & set(document)) or (
        isinstance(document.get("posts"), list) and all(isinstance(p, dict) and "uri" in p for p in document["posts"][:3])
        and bool(document["posts"])) or (isinstance(document.get("profiles"), list) and bool(document["profiles"])
                                         and "did" in document["profiles"][0])


def read_bluesky_json(path, options=None):
    """Bluesky AppView answers as JSON or JSONL (as the Bluesky crawler keeps them)."""
    from pathlib import Path

    from ..errors import BadInput
    from .base import BadRows, LoneSurrogates, ReadResult, decode_utf8, newest_retrieval, read_input_bytes
    from .xjson import json_documents

    path = Path(path)
    bad = BadRows(path, bool(options and options.skip_bad_rows))
    pages = []
    surrogates = LoneSurrogates()
    for line, document in json_documents(decode_utf8(read_input_bytes(path), path), path, bad, surrogates):
        for item in document if isinstance(document, list) else [document]:
            if not looks_like_bluesky(item):
                bad.bad(line, "not a Bluesky AppView answer (posts, profiles, thread, followers, follows, likes...)")
                continue
            pages.append((str((item.get("__influgraph") or {}).get("url", "")), item))
    if not pages:
        raise BadInput("no Bluesky pages in this file", path=path, hint="expected app.bsky.* answers, one per line")
    batch, notes = read_bluesky_pages(pages)
    newest = newest_retrieval(page for _, page in pages)
    batch = batch.observed(newest) if newest else batch
    extra = [note for note in (surrogates.note(path), bad.note()) if note]
    return ReadResult(batch=batch, format="bluesky-json", rows_read=len(pages), skipped=bad.count, notes=notes + extra)
