"""The simulated world in the shapes of Bluesky's AppView (app.bsky.* XRPC) and its login, for the Bluesky crawler's tests.

Mapping: an account's did is `did:plc:sim<id>` and its handle `<username>.bsky.social` with each
'_' written '-' (`handle_of`: a handle is letters, digits and hyphens, per `handle.ts`); a post's
uri is `at://<did>/app.bsky.feed.post/<id>`. Cursors look like the recorded ones: an offset for
`searchPosts` ("25"), a 13-character TID-like key ("3l...") for the other lists. Reposts are not posts on Bluesky: the world's
retweets are served only by `getRepostedBy`. Shapes follow the recorded responses in
`../shared/data/bluesky-bskyr-vcr` (post views with record, facets, reply and embed; profile
views; `cursor` pagination). `server.SimServer` serves them under /xrpc/.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .tokens import in_alphabet
from .world import World

if TYPE_CHECKING:
    from .x_api import XIndex

__all__ = ["BlueskyIndex", "did_of", "uri_of", "handle_of", "paged", "cursor_for", "route", "create_session"]

_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"  # the base32 alphabet of AT Protocol record keys (TIDs)


def did_of(account_id: str) -> str:
    """The simulated did of an account id."""
    return f"did:plc:sim{account_id}"


def uri_of(author_id: str, post_id: str) -> str:
    """The simulated at:// uri of a post."""
    return f"at://{did_of(author_id)}/app.bsky.feed.post/{post_id}"


def handle_of(username: str) -> str:
    """The simulated handle of a username: lower case, '_' as '-', under .bsky.social (a valid handle)."""
    return f"{username.lower().replace('_', '-')}.bsky.social"


def cursor_for(offset: int, nsid: str) -> str:
    """The cursor of `offset` for `nsid`: the offset itself for searchPosts, else a TID-like "3l..." key.

    >>> cursor_for(25, "app.bsky.feed.searchPosts"), cursor_for(100, "app.bsky.graph.getFollowers")
    ('25', '3l22222222256')
    """
    if nsid == "app.bsky.feed.searchPosts":
        return str(offset)
    return "3l" + in_alphabet(offset, _SORTABLE, 11)


def offset_of(cursor: str | None, nsid: str) -> int | None:
    """The offset of a cursor of `cursor_for` (0 without one); None for a cursor not issued here."""
    if not cursor:
        return 0
    if nsid == "app.bsky.feed.searchPosts":
        return int(cursor) if cursor.isdigit() else None
    if len(cursor) != 13 or not cursor.startswith("3l") or any(c not in _SORTABLE for c in cursor[2:]):
        return None
    value = 0
    for char in cursor[2:]:
        value = value * 32 + _SORTABLE.index(char)
    return value


def _facets(text: str, hashtags: list[dict], mentions: list[dict]) -> list[dict]:
    """Facets with UTF-8 byte offsets, as Bluesky encodes them."""
    facets = []
    for tag in hashtags:
        needle = f"#{tag['tag']}"
        start = text.find(needle)
        if start >= 0:
            begin = len(text[:start].encode("utf-8"))
            facets.append({"index": {"byteStart": begin, "byteEnd": begin + len(needle.encode("utf-8"))},
                           "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag["tag"]}]})
    for mention in mentions:
        needle = f"@{mention['username']}"
        start = text.find(needle)
        if start >= 0 and mention.get("id"):
            begin = len(text[:start].encode("utf-8"))
            facets.append({"index": {"byteStart": begin, "byteEnd": begin + len(needle.encode("utf-8"))},
                           "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did_of(mention["id"])}]})
    return facets


class BlueskyIndex:
    """Bluesky views over a World, built once."""

    def __init__(self, world: World, x_index: "XIndex"):
        self.x = x_index
        self.accounts = {a["id"]: a for a in world.accounts}
        self.by_did = {did_of(a["id"]): a["id"] for a in world.accounts}
        self.by_handle = {handle_of(a["username"]): a["id"] for a in world.accounts}
        self.posts = {t["id"]: t for t in world.posts if not any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))}
        self.by_uri = {uri_of(t["author_id"], t["id"]): t["id"] for t in self.posts.values()}
        self.replies: dict[str, list[str]] = defaultdict(list)
        self.quotes: dict[str, list[str]] = defaultdict(list)
        for post in sorted(self.posts.values(), key=lambda t: (t["created_at"], t["id"])):
            for ref in post.get("referenced_tweets", []):
                if ref["type"] == "replied_to":
                    self.replies[ref["id"]].append(post["id"])
                elif ref["type"] == "quoted":
                    self.quotes[ref["id"]].append(post["id"])

    def actor(self, value: str) -> str | None:
        """An account id from a did or a handle."""
        return self.by_did.get(value) or self.by_handle.get(value.lower().lstrip("@"))

    def profile(self, account_id: str, detailed: bool = False) -> dict:
        a = self.accounts[account_id]
        view = {"did": did_of(account_id), "handle": handle_of(a["username"]), "displayName": a["name"],
                "viewer": {"muted": False, "blockedBy": False}, "labels": [], "createdAt": a["created_at"],
                "description": a.get("description", ""), "indexedAt": a["created_at"]}
        if detailed:
            metrics = a.get("public_metrics", {})
            view.update(followersCount=metrics.get("followers_count", 0), followsCount=metrics.get("following_count", 0),
                        postsCount=metrics.get("tweet_count", 0))
        return view

    def post(self, post_id: str) -> dict:
        t = self.posts[post_id]
        entities = t.get("entities", {})
        record = {"$type": "app.bsky.feed.post", "createdAt": t["created_at"], "text": t["text"], "langs": [t.get("lang", "en")],
                  "facets": _facets(t["text"], entities.get("hashtags", []), entities.get("mentions", []))}
        view = {"uri": uri_of(t["author_id"], post_id), "cid": f"bafysim{post_id}", "author": self.profile(t["author_id"]),
                "record": record, "indexedAt": t["created_at"], "labels": [],
                "viewer": {"threadMuted": False, "embeddingDisabled": False}}
        refs = {r["type"]: r["id"] for r in t.get("referenced_tweets", [])}
        if "replied_to" in refs and refs["replied_to"] in self.posts:
            parent = self.posts[refs["replied_to"]]
            root = self.posts.get(t.get("conversation_id"), parent)
            record["reply"] = {"root": {"uri": uri_of(root["author_id"], root["id"]), "cid": f"bafysim{root['id']}"},
                               "parent": {"uri": uri_of(parent["author_id"], parent["id"]), "cid": f"bafysim{parent['id']}"}}
        if "quoted" in refs and refs["quoted"] in self.posts:
            quoted = self.posts[refs["quoted"]]
            record["embed"] = {"$type": "app.bsky.embed.record",
                               "record": {"uri": uri_of(quoted["author_id"], quoted["id"]), "cid": f"bafysim{quoted['id']}"}}
        metrics = t.get("public_metrics", {})
        view.update(replyCount=len(self.replies.get(post_id, [])), repostCount=len(self.x.retweeters.get(post_id, [])),
                    likeCount=metrics.get("like_count", 0), quoteCount=len(self.quotes.get(post_id, [])))
        return view

    def search(self, q: str, lang: str | None) -> list[str]:
        return [t["id"] for t in self.x.search(q) if t["id"] in self.posts and (not lang or t.get("lang") == lang)]

    def thread(self, post_id: str, depth: int) -> dict:
        node = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.post(post_id), "replies": []}
        if depth > 0:
            node["replies"] = [self.thread(r, depth - 1) for r in self.replies.get(post_id, [])]
        return node


def paged(items: list, cursor: str | None, limit: int, nsid: str = "") -> tuple[list, str | None]:
    """A page of `items` after `cursor` (`cursor_for`), and the next cursor."""
    start = offset_of(cursor, nsid) or 0
    chunk = items[start:start + limit]
    return chunk, (cursor_for(start + limit, nsid) if start + limit < len(items) else None)


def _instant(text: str):
    """A datetime or a YYYY-MM-DD date as an aware UTC datetime, or None when it is neither."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def route(index: BlueskyIndex, nsid: str, query: dict[str, list[str]]) -> tuple[int, dict]:
    """Answer one app.bsky.* query the way the AppView does."""
    one = {k: v[-1] for k, v in query.items()}
    limit = max(1, min(int(one.get("limit", "50") or 50), 100))
    cursor = one.get("cursor")

    def bad(message: str) -> tuple[int, dict]:
        return 400, {"error": "InvalidRequest", "message": message}

    if offset_of(cursor, nsid) is None:
        return bad(f"Error: malformed cursor {cursor[:40]!r}")
    if nsid == "app.bsky.feed.searchPosts":
        if not one.get("q"):
            return bad("Params must have the property \"q\"")
        found = index.search(one["q"], one.get("lang"))
        if one.get("since"):  # "posts after the indicated datetime (inclusive)": a datetime or a YYYY-MM-DD date
            since = _instant(one["since"])
            if since is None:
                return bad(f"Error: since must be a datetime or a YYYY-MM-DD date, got {one['since'][:40]!r}")
            found = [i for i in found if _instant(index.posts[i]["created_at"]) >= since]
        ids, following = paged(found, cursor, limit, nsid)
        return 200, {"posts": [index.post(i) for i in ids], **({"cursor": following} if following else {})}
    if nsid == "app.bsky.actor.getProfiles":
        actors = query.get("actors", [])
        if len(actors) > 25:
            return bad("actors must not have more than 25 elements")
        return 200, {"profiles": [index.profile(a, True) for a in (index.actor(x) for x in actors) if a]}
    if nsid in ("app.bsky.graph.getFollowers", "app.bsky.graph.getFollows"):
        subject = index.actor(one.get("actor", ""))
        if subject is None:
            return bad("Profile not found")
        relation = index.x.followers if nsid.endswith("Followers") else index.x.following
        ids, following = paged(relation.get(subject, []), cursor, limit, nsid)
        key = "followers" if nsid.endswith("Followers") else "follows"
        return 200, {key: [index.profile(i) for i in ids], "subject": index.profile(subject),
                     **({"cursor": following} if following else {})}
    post_id = index.by_uri.get(one.get("uri", ""))
    if nsid in ("app.bsky.feed.getRepostedBy", "app.bsky.feed.getLikes", "app.bsky.feed.getQuotes",
                "app.bsky.feed.getPostThread"):
        if post_id is None:
            return bad("Post not found")
        if nsid == "app.bsky.feed.getPostThread":
            return 200, {"thread": index.thread(post_id, min(int(one.get("depth", "6") or 6), 10))}
        if nsid == "app.bsky.feed.getRepostedBy":
            ids, following = paged(index.x.retweeters.get(post_id, []), cursor, limit, nsid)
            return 200, {"repostedBy": [index.profile(i) for i in ids], "uri": one["uri"], **({"cursor": following} if following else {})}
        if nsid == "app.bsky.feed.getLikes":
            return 200, {"likes": [], "uri": one["uri"]}
        ids, following = paged(index.quotes.get(post_id, []), cursor, limit, nsid)
        return 200, {"posts": [index.post(i) for i in ids], "uri": one["uri"], **({"cursor": following} if following else {})}
    return 501, {"error": "MethodNotImplemented", "message": f"Method Not Implemented: {nsid}"}


def create_session(body: dict, login: tuple[str, str] | None, token: str | None) -> tuple[int, dict]:
    """com.atproto.server.createSession: the server's `token` for the right (identifier, password) `login`."""
    if login and (body.get("identifier"), body.get("password")) == login:
        return 200, {"accessJwt": token, "refreshJwt": "refresh-" + str(token),
                     "handle": body["identifier"], "did": "did:plc:simlogin"}
    return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
