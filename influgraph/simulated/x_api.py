"""The simulated world in the shapes of the X API v2: the routes the crawler uses, answered from a World.

Endpoints: `/2/tweets/search/recent` (query of `#hashtag` and keyword terms joined by OR, or
`conversation_id:ID` terms for the replies of a thread, with
`data`, `includes.users`, `includes.tweets` and `meta.next_token` like the recorded pages),
`/2/users/ID/followers` and `/following`, `/2/tweets/ID/retweeted_by` and `/liking_users`, and
`/2/tweets/ID/quote_tweets`, `/2/users?ids=` and `/2/users/by?usernames=` (unknown ids or
names come back as partial `errors[]`, as the real API does). `server.SimServer` serves them.
"""
from __future__ import annotations

import re
from collections import defaultdict

from .world import World

__all__ = ["XIndex", "route"]

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

    def search(self, query: str) -> list[dict]:
        """The tweets a recent-search `query` matches, newest first: `#tag` and keyword terms joined by
        OR, or `conversation_id:ID` terms (the replies of those threads)."""
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


def _page(items: list, token: str | None, size: int) -> tuple[list, str | None]:
    """A page of `items` after `token` (`pg` + a hex offset), and the next token."""
    start = int(token[2:], 16) if token and token.startswith("pg") and token[2:].isalnum() else 0
    chunk = items[start:start + size]
    following = f"pg{start + size:x}" if start + size < len(items) else None
    return chunk, following


def route(index: XIndex, path: str, query: dict[str, str]) -> tuple[int, dict]:
    """Answer one X API v2 GET (`query`: the last value of each parameter) the way the API does."""
    size = max(1, min(int(query.get("max_results", "100") or 100), 1000))
    parts = path.strip("/").split("/")
    if path == "/2/tweets/search/recent":
        if not query.get("query"):
            return 400, {"title": "Invalid Request", "detail": "query is required", "status": 400}
        tweets, token = _page(index.search(query["query"]), query.get("next_token"), min(size, 100))
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
        ids, token = _page(relation.get(parts[2], []), query.get("pagination_token"), size)
        return 200, _users(index, ids, token)
    if len(parts) == 4 and parts[:2] == ["2", "tweets"] and parts[3] == "quote_tweets":
        quotes = [t for t in index.newest_first
                  if any(r["type"] == "quoted" and r["id"] == parts[2] for r in t.get("referenced_tweets", []))]
        tweets, token = _page(quotes, query.get("pagination_token"), min(size, 100))
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
        ids = index.retweeters.get(parts[2], []) if parts[3] == "retweeted_by" else []
        ids, token = _page(ids, query.get("pagination_token"), min(size, 100))
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
