"""The simulated world in the shapes of the X API v2: the routes the crawler uses, answered from a World.

Endpoints: `/2/tweets/search/recent` (query of `#hashtag` and keyword terms joined by OR, or
`conversation_id:ID` terms for the replies of a thread, with
`data`, `includes.users`, `includes.tweets` and `meta.next_token` like the recorded pages),
`/2/users/ID/followers` and `/following`, `/2/tweets/ID/retweeted_by` and `/liking_users`, and
`/2/tweets/ID/quote_tweets`, `/2/users?ids=` and `/2/users/by?usernames=` (unknown ids or
names come back as partial `errors[]`, as the real API does). `server.SimServer` serves them,
after checking each request against the published contract (`contracts`).

Pagination tokens look like the real ones (recorded in `../shared/data`): recent search, quotes,
reposts and likes answer 45-character base36 `next_token`s ("b26v89c19zqg8o3fp..."), followers
and following 16-character base32 ones ending "ZZZ"; a token the simulator did not issue is
refused with HTTP 400, as X refuses a forged one.
"""
from __future__ import annotations

import re
import threading
from collections import defaultdict

from .tokens import in_alphabet
from .world import World

__all__ = ["XIndex", "route", "template", "token_for", "offset_of"]

_USER_FIELDS = ("id", "username", "name", "description", "created_at", "verified", "protected", "location", "public_metrics")


class XIndex:
    """Look-ups over the world for the X API routes (and the Bluesky views), built once."""

    def __init__(self, world: World):
        self.users = {a["id"]: {k: a[k] for k in _USER_FIELDS if k in a} for a in world.accounts}
        self.by_username = {a["username"].lower(): a["id"] for a in world.accounts}
        self.tweets = {t["id"]: t for t in world.posts}
        self.newest_first = sorted(world.posts, key=lambda t: (t["created_at"], t["id"]), reverse=True)
        self.terms = {t["id"]: ({h["tag"].casefold() for h in t.get("entities", {}).get("hashtags", [])},
                                t["text"].casefold()) for t in world.posts}
        self.followers: dict[str, list[str]] = defaultdict(list)
        self.following: dict[str, list[str]] = defaultdict(list)
        for src, dst in world.follows:
            self.followers[dst].append(src)
            self.following[src].append(dst)
        self.retweeters: dict[str, list[str]] = defaultdict(list)
        for tweet in world.posts:
            for ref in tweet.get("referenced_tweets", []):
                if ref["type"] == "retweeted":
                    self.retweeters[ref["id"]].append(tweet["author_id"])
        self.likers: dict[str, list[str]] = defaultdict(list)  # post id -> who liked it (the world's week-two likes)
        for liker, post_id, _ in world.likes:
            self.likers[post_id].append(liker)
        self.quotes: dict[str, list[dict]] = defaultdict(list)  # quoted id -> its quote tweets, newest first
        for tweet in self.newest_first:
            for ref in tweet.get("referenced_tweets", []):
                if ref["type"] == "quoted":
                    self.quotes[ref["id"]].append(tweet)
        self._searched: dict[str, list[dict]] = {}
        self._lock = threading.Lock()

    def search(self, query: str) -> list[dict]:
        """The tweets a recent-search `query` matches, newest first: `#tag` and keyword terms joined by
        OR, or `conversation_id:ID` terms (the replies of those threads). Each query is matched once
        (its pages are slices of the same list)."""
        if query not in self._searched:
            with self._lock:
                self._searched[query] = self._search(query)
        return self._searched[query]

    def _search(self, query: str) -> list[dict]:
        query = re.sub(r"(^|\s)-\S+", " ", re.sub(r"\blang:\w+", " ", query)).replace("(", " ").replace(")", " ")
        terms = [t.strip().strip('"').casefold() for t in query.split(" OR ") if t.strip().strip('"')]
        conversations = {t.split(":", 1)[1] for t in terms if t.startswith("conversation_id:")}
        if conversations:
            return [t for t in self.newest_first if t["conversation_id"] in conversations and t["id"] not in conversations]
        terms = [t for t in terms if not t.startswith("-") and ":" not in t]
        hashtags = {t[1:] for t in terms if t.startswith("#")}
        words = [t for t in terms if not t.startswith("#")]
        return [t for t in self.newest_first
                if self.terms[t["id"]][0] & hashtags or any(w in self.terms[t["id"]][1] for w in words)]

    def expand(self, tweets: list[dict]) -> dict:
        """`includes` for a page of tweets: referenced tweets and every user they name."""
        referenced = [self.tweets[r["id"]] for t in tweets for r in t.get("referenced_tweets", []) if r["id"] in self.tweets]
        user_ids: dict[str, None] = {}
        for tweet in tweets + referenced:
            user_ids[tweet["author_id"]] = None
            for mention in tweet.get("entities", {}).get("mentions", []):
                user_ids[mention["id"]] = None
            if tweet.get("in_reply_to_user_id"):
                user_ids[tweet["in_reply_to_user_id"]] = None
        unique_refs = list({t["id"]: t for t in referenced}.values())
        includes = {"users": [self.users[u] for u in user_ids if u in self.users]}
        if unique_refs:
            includes["tweets"] = unique_refs
        return includes


_B36_PREFIX = "b26v89c19zqg8o3fp"  # the first 17 characters of a recorded recent-search next_token
_B32 = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
FOLLOW_TEMPLATES = ("/2/users/:id/followers", "/2/users/:id/following")


def token_for(offset: int, endpoint: str) -> str:
    """The pagination token of `offset` for `endpoint` (a route template), shaped like X's real tokens.

    >>> token_for(100, "/2/users/:id/followers"), len(token_for(100, "/2/tweets/search/recent"))
    ('0000000000034ZZZ', 45)
    """
    if endpoint in FOLLOW_TEMPLATES:
        return in_alphabet(offset, _B32, 13) + "ZZZ"
    return _B36_PREFIX + in_alphabet(offset, _BASE36, 28)


def offset_of(token: str | None, endpoint: str) -> int | None:
    """The offset a token of `token_for` stands for (0 without a token); None for a token not issued here."""
    if not token:
        return 0
    if endpoint in FOLLOW_TEMPLATES:
        ok = len(token) == 16 and token.endswith("ZZZ") and all(c in _B32 for c in token[:13])
        return int(token[:13], 32) if ok else None
    ok = len(token) == 45 and token.startswith(_B36_PREFIX) and all(c in _BASE36 for c in token[17:])
    return int(token[17:], 36) if ok else None


def _page(items: list, token: str | None, size: int, endpoint: str) -> tuple[list, str | None]:
    """A page of `items` after `token`, and the next token (`token_for`)."""
    start = offset_of(token, endpoint) or 0
    chunk = items[start:start + size]
    following = token_for(start + size, endpoint) if start + size < len(items) else None
    return chunk, following


def template(path: str) -> tuple[str, dict[str, str]]:
    """The route template of a path (`/2/users/:id/followers`) and its path parameters ({"id": ...})."""
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] in (["2", "users"], ["2", "tweets"]) and parts[2] != "search":
        return f"/{parts[0]}/{parts[1]}/:id/{parts[3]}", {"id": parts[2]}
    return path.rstrip("/") or "/", {}


def _bad_token(name: str, value: str) -> tuple[int, dict]:
    from .contracts import x_refusal

    return 400, x_refusal([{"parameters": {name: [value]}, "message": f"The `{name}` query parameter value [{value}] "
                                                                     "is not a valid pagination token"}])


def route(index: XIndex, path: str, query: dict[str, str]) -> tuple[int, dict]:
    """Answer one X API v2 GET (`query`: the last value of each parameter) the way the API does."""
    size = max(1, min(int(query.get("max_results", "100") or 100), 1000))
    parts = path.strip("/").split("/")
    if path == "/2/tweets/search/recent":
        if not query.get("query"):
            return 400, {"title": "Invalid Request", "detail": "query is required", "status": 400}
        given = query.get("next_token") or query.get("pagination_token")
        if offset_of(given, path) is None:
            return _bad_token("next_token" if "next_token" in query else "pagination_token", given)
        found = index.search(query["query"])
        if query.get("since_id"):  # "results with a Post ID greater than the specified ID" (ids grow with time)
            since = int(query["since_id"])
            found = [t for t in found if int(t["id"]) > since]
        tweets, token = _page(found, given, min(size, 100), path)
        meta = {"result_count": len(tweets)}
        if tweets:
            meta.update(newest_id=tweets[0]["id"], oldest_id=tweets[-1]["id"])
        if token:
            meta["next_token"] = token
        body = {"data": tweets, "includes": index.expand(tweets), "meta": meta} if tweets else {"meta": meta}
        return 200, body
    if len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] in ("followers", "following"):
        relation = index.followers if parts[3] == "followers" else index.following
        if parts[2] not in index.users:
            return 200, {"errors": [{"resource_type": "user", "parameter": "id", "resource_id": parts[2],
                                     "value": parts[2], "title": "Not Found Error", "detail": f"Could not find user with id: [{parts[2]}]."}]}
        route_of = template(path)[0]
        if offset_of(query.get("pagination_token"), route_of) is None:
            return _bad_token("pagination_token", query["pagination_token"])
        ids, token = _page(relation.get(parts[2], []), query.get("pagination_token"), size, route_of)
        return 200, _users(index, ids, token)
    if len(parts) == 4 and parts[:2] == ["2", "tweets"] and parts[3] == "quote_tweets":
        quotes = index.quotes.get(parts[2], [])
        if offset_of(query.get("pagination_token"), "quote") is None:
            return _bad_token("pagination_token", query["pagination_token"])
        tweets, token = _page(quotes, query.get("pagination_token"), min(size, 100), "quote")
        meta = {"result_count": len(tweets), **({"next_token": token} if token else {})}
        return 200, ({"data": tweets, "includes": index.expand(tweets), "meta": meta} if tweets else {"meta": meta})
    if path == "/2/users/by":
        wanted = [u for u in query.get("usernames", "").split(",") if u]
        found = [index.by_username[u.lower()] for u in wanted if u.lower() in index.by_username]
        body = _users(index, found, None)
        missing = [u for u in wanted if u.lower() not in index.by_username]
        if missing:
            body["errors"] = [{"parameter": "usernames", "resource_id": u, "value": u, "resource_type": "user",
                               "title": "Not Found Error", "detail": f"Could not find user with usernames: [{u}]."}
                              for u in missing]
        body.pop("meta", None)
        return 200, body
    if len(parts) == 4 and parts[:2] == ["2", "tweets"] and parts[3] in ("retweeted_by", "liking_users"):
        ids = (index.retweeters if parts[3] == "retweeted_by" else index.likers).get(parts[2], [])
        if offset_of(query.get("pagination_token"), "users") is None:
            return _bad_token("pagination_token", query["pagination_token"])
        ids, token = _page(ids, query.get("pagination_token"), min(size, 100), "users")
        return 200, _users(index, ids, token)
    if path == "/2/users":
        wanted = [i for i in query.get("ids", "").split(",") if i]
        body = _users(index, [i for i in wanted if i in index.users], None)
        missing = [i for i in wanted if i not in index.users]
        if missing:
            body["errors"] = [{"resource_type": "user", "parameter": "ids", "resource_id": i, "value": i,
                               "title": "Not Found Error", "detail": f"Could not find user with ids: [{i}]."} for i in missing]
        return 200, body
    return 404, {"title": "Not Found", "detail": f"no route for {path}", "status": 404}


def _users(index: XIndex, ids: list[str], token: str | None) -> dict:
    """A page of user objects, with its `meta`."""
    users = [index.users[i] for i in ids]
    meta = {"result_count": len(users), **({"next_token": token} if token else {})}
    return {"data": users, "meta": meta} if users else {"meta": meta}
