"""The simulated world in the shapes of Mastodon's REST API (two federated instances), for the Mastodon crawler's tests.

Shapes follow the recorded answers in `../shared/data/mastodon-py-cassettes` (Mastodon 4.5:
account and status entities, `Link` header pagination, `X-RateLimit-*` headers). Routes:
`/api/v1/timelines/tag/:hashtag`, `/api/v1/statuses/:id` and its `/context`, `/reblogged_by`
and `/favourited_by`, `/api/v1/accounts/lookup`, `/api/v1/accounts/:id`, and
`/api/v1/accounts/:id/followers` and `/following`.

Federation: one server plays two instances told apart by the Host header, the primary
(`127.0.0.1:PORT`, the crawled instance) and a secondary (`localhost:PORT`) that is the home of
the general population and of every third ordinary niche member. Each instance has its own
account ids; an account homed elsewhere is shown with `acct` = `username@home` and its home
`url`, and its follower and following lists there hold only the accounts of that instance, as
on a real instance. Statuses keep one id on both (a simplification). The world's retweets are
served as `reblogged_by` (Mastodon's tag timelines hold no reblogs); its replies and quotes of a
status are its `favourited_by` (the world has no likes of its own).

The contract (docs.joinmastodon.org/methods): timelines take `limit` up to 40 (default 20),
account lists up to 80 (default 40), and `max_id`, `since_id`, `min_id`; a larger `limit` is
clamped, as the real server does, and every request outside the documented parameters and
bounds is also kept in `MastodonIndex.invalid` so tests can hold the crawler to 0 of them.
Unknown ids answer 404 `{"error": "Record not found"}`. Each instance allows 300 requests per
5-minute window per client (`X-RateLimit-Limit/Remaining/Reset`, reset as ISO 8601), then 429.
"""
from __future__ import annotations

import html
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

from .world import World

__all__ = ["MastodonIndex", "route", "PARAMETERS", "WINDOW_SECONDS", "REQUESTS_PER_WINDOW"]

WINDOW_SECONDS = 300
REQUESTS_PER_WINDOW = 300
_PAGING = {"max_id", "since_id", "min_id", "limit"}
# route -> (documented parameters, max limit or None)
PARAMETERS = {
    "/api/v1/timelines/tag/:hashtag": (_PAGING | {"any", "all", "none", "local", "remote", "only_media"}, 40),
    "/api/v1/accounts/:id/followers": (_PAGING, 80),
    "/api/v1/accounts/:id/following": (_PAGING, 80),
    "/api/v1/statuses/:id/reblogged_by": (_PAGING, 80),
    "/api/v1/statuses/:id/favourited_by": (_PAGING, 80),
    "/api/v1/statuses/:id/context": (set(), None),
    "/api/v1/statuses/:id": (set(), None),
    "/api/v1/accounts/lookup": ({"acct"}, None),
    "/api/v1/accounts/:id": (set(), None),
}
_ROUTES = [(re.compile("^" + re.sub(r":\w+", "([^/]+)", template) + "$"), template) for template in PARAMETERS]


def _snowflake(created_at: str, index: int) -> int:
    """A Mastodon-like id: milliseconds since the epoch shifted by 16 bits, plus a sequence."""
    when = datetime.strptime(created_at[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return (int(when.timestamp() * 1000) << 16) + index % 65536


class MastodonIndex:
    """Mastodon views over a World for two instances (`primary` and `secondary` hosts), built once."""

    def __init__(self, world: World, primary: str, secondary: str):
        self.primary, self.secondary = primary, secondary
        self.invalid: list[str] = []  # requests outside the documented contract (see the module docstring)
        self.accounts = {a["id"]: a for a in world.accounts}
        order = {a["id"]: k for k, a in enumerate(world.accounts)}
        self.home = {a["id"]: secondary if world.community.get(a["id"]) == "general"
                     or world.roles.get(a["id"]) == "peer" and order[a["id"]] % 3 == 2 else primary for a in world.accounts}
        self.local_id = {host: {a: str(base + order[a] * step) for a in self.accounts}
                         for host, base, step in ((primary, 109_000_000_000_000_000, 13),
                                                  (secondary, 111_000_000_000_000_000, 17))}
        self.by_local = {host: {v: k for k, v in ids.items()} for host, ids in self.local_id.items()}
        self.posts = {t["id"]: t for t in world.posts if not any(r["type"] == "retweeted" for r in t.get("referenced_tweets", []))}
        self.sid = {t["id"]: str(_snowflake(t["created_at"], k)) for k, t in enumerate(world.posts)}
        self.by_sid = {self.sid[p]: p for p in self.posts}
        self.retweets: dict[str, list[tuple[str, str]]] = defaultdict(list)  # post -> (reblog id, reblogger)
        self.replies: dict[str, list[str]] = defaultdict(list)
        self.favourites: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for tweet in sorted(world.posts, key=lambda t: self.sid[t["id"]]):
            for ref in tweet.get("referenced_tweets", []):
                if ref["type"] == "retweeted":
                    self.retweets[ref["id"]].append((self.sid[tweet["id"]], tweet["author_id"]))
                elif ref["type"] in ("replied_to", "quoted"):
                    self.favourites[ref["id"]].append((self.sid[tweet["id"]], tweet["author_id"]))
                    if ref["type"] == "replied_to":
                        self.replies[ref["id"]].append(tweet["id"])
        self.followers: dict[str, list[tuple[str, str]]] = defaultdict(list)  # (follow record id, account)
        self.following: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for n, (src, dst) in enumerate(world.follows, start=1):
            self.followers[dst].append((str(n), src))
            self.following[src].append((str(n), dst))
        self.tags: dict[str, list[str]] = defaultdict(list)  # lower-case tag -> post ids, newest first
        for post in sorted(self.posts.values(), key=lambda t: -int(self.sid[t["id"]])):
            for tag in {h["tag"].casefold() for h in post.get("entities", {}).get("hashtags", [])}:
                self.tags[tag].append(post["id"])
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ views
    def account(self, account_id: str, here: str) -> dict:
        a, home = self.accounts[account_id], self.home[account_id]
        metrics = a.get("public_metrics", {})
        name = a["username"]
        return {"id": self.local_id[here][account_id], "username": name, "acct": name if home == here else f"{name}@{home}",
                "display_name": a["name"], "locked": False, "bot": False, "discoverable": True, "indexable": True,
                "group": False, "created_at": a["created_at"][:10] + "T00:00:00.000Z",
                "note": f"<p>{html.escape(a.get('description', ''))}</p>", "url": f"http://{home}/@{name}",
                "uri": f"http://{home}/users/{name}", "avatar": f"http://{home}/avatars/original/missing.png",
                "avatar_static": f"http://{home}/avatars/original/missing.png", "header": f"http://{home}/headers/original/missing.png",
                "header_static": f"http://{home}/headers/original/missing.png",
                "followers_count": metrics.get("followers_count", 0), "following_count": metrics.get("following_count", 0),
                "statuses_count": metrics.get("tweet_count", 0), "last_status_at": None, "hide_collections": False,
                "noindex": False, "emojis": [], "roles": [], "fields": []}

    def _content(self, post: dict, here: str) -> str:
        text = html.escape(post["text"])
        for tag in post.get("entities", {}).get("hashtags", []):
            link = f'<a href="http://{here}/tags/{quote(tag["tag"])}" class="mention hashtag" rel="tag">#<span>{html.escape(tag["tag"])}</span></a>'
            text = text.replace(f"#{html.escape(tag['tag'])}", link, 1)
        for mention in post.get("entities", {}).get("mentions", []):
            user = mention["username"]
            home = self.home.get(mention["id"], here)
            link = f'<span class="h-card"><a href="http://{home}/@{user}" class="u-url mention">@<span>{user}</span></a></span>'
            text = re.sub(rf"@{re.escape(user)}\b", lambda m: link, text, count=1)
        return f"<p>{text}</p>"

    def status(self, post_id: str, here: str, nested: bool = True) -> dict:
        t = self.posts[post_id]
        author, sid = t["author_id"], self.sid[post_id]
        home, name = self.home[author], self.accounts[author]["username"]
        refs = {r["type"]: r["id"] for r in t.get("referenced_tweets", [])}
        parent = self.posts.get(refs.get("replied_to", ""))
        quoted = refs.get("quoted") if refs.get("quoted") in self.posts else None
        mentions = [{"id": self.local_id[here][m["id"]], "username": m["username"], "url": f"http://{self.home[m['id']]}/@{m['username']}",
                     "acct": m["username"] if self.home[m["id"]] == here else f"{m['username']}@{self.home[m['id']]}"}
                    for m in t.get("entities", {}).get("mentions", []) if m["id"] in self.accounts]
        return {"id": sid, "created_at": t["created_at"], "in_reply_to_id": self.sid[parent["id"]] if parent else None,
                "in_reply_to_account_id": self.local_id[here][parent["author_id"]] if parent else None,
                "sensitive": False, "spoiler_text": "", "visibility": "public", "language": t.get("lang"),
                "uri": f"http://{home}/users/{name}/statuses/{sid}", "url": f"http://{home}/@{name}/{sid}",
                "replies_count": len(self.replies.get(post_id, [])), "reblogs_count": len(self.retweets.get(post_id, [])),
                "favourites_count": len(self.favourites.get(post_id, [])), "quotes_count": 0, "edited_at": None,
                "content": self._content(t, here), "filtered": [], "reblog": None, "account": self.account(author, here),
                "media_attachments": [], "mentions": mentions,
                "tags": [{"name": h["tag"], "url": f"http://{here}/tags/{quote(h['tag'])}"} for h in t.get("entities", {}).get("hashtags", [])],
                "emojis": [], "card": None, "poll": None,
                "quote": {"state": "accepted", "quoted_status": self.status(quoted, here, False)} if quoted and nested else None}

    def context(self, post_id: str, here: str) -> dict:
        ancestors, node = [], self.posts[post_id]
        while len(ancestors) < 40:
            parent = next((r["id"] for r in node.get("referenced_tweets", []) if r["type"] == "replied_to"), None)
            if parent not in self.posts:
                break
            ancestors.insert(0, parent)
            node = self.posts[parent]
        descendants, stack = [], list(reversed(self.replies.get(post_id, [])))
        while stack and len(descendants) < 60:
            child = stack.pop()
            descendants.append(child)
            stack.extend(reversed(self.replies.get(child, [])))
        return {"ancestors": [self.status(p, here) for p in ancestors], "descendants": [self.status(p, here) for p in descendants]}

    # ------------------------------------------------------------------ rate limit
    def rate(self, here: str, client: str, now: float) -> tuple[bool, dict]:
        """Count one request of `client` on `here`: (allowed, X-RateLimit headers)."""
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            start, used = self._windows.get((here, client), (window, 0))
            used = used + 1 if start == window else 1
            self._windows[(here, client)] = (window, used)
        reset = datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = {"X-RateLimit-Limit": str(REQUESTS_PER_WINDOW), "X-RateLimit-Remaining": str(max(0, REQUESTS_PER_WINDOW - used)),
                   "X-RateLimit-Reset": reset}
        return used <= REQUESTS_PER_WINDOW, headers


def _page(items: list[tuple[str, object]], query: dict[str, str], limit: int) -> tuple[list, str | None, str | None]:
    """A page of (pagination id, item) pairs, newest first, by `max_id`, `since_id` or `min_id`: (items, next, prev)."""
    def number(key: str) -> int | None:
        value = query.get(key, "")
        return int(value) if value.isdigit() else None

    ordered = sorted(items, key=lambda pair: -int(pair[0]))
    if number("max_id") is not None:
        ordered = [p for p in ordered if int(p[0]) < number("max_id")]
    if number("since_id") is not None:
        ordered = [p for p in ordered if int(p[0]) > number("since_id")]
    if number("min_id") is not None:
        newer = [p for p in ordered if int(p[0]) > number("min_id")]
        ordered = newer[-limit:]
    chunk = ordered[:limit]
    more = len(ordered) > limit
    return [item for _, item in chunk], (chunk[-1][0] if chunk and more else None), (chunk[0][0] if chunk else None)


def _link(here: str, path: str, query: dict[str, str], following: str | None, previous: str | None, prev_key: str) -> str:
    keep = {k: v for k, v in query.items() if k not in ("max_id", "since_id", "min_id")}
    links = []
    if following:
        links.append(f'<http://{here}{path}?{urlencode({**keep, "max_id": following})}>; rel="next"')
    if previous:
        links.append(f'<http://{here}{path}?{urlencode({**keep, prev_key: previous})}>; rel="prev"')
    return ", ".join(links)


def _check(index: MastodonIndex, template: str, path: str, query: dict[str, list[str]]) -> None:
    """Record every way this request leaves the documented contract (the answer is the real server's anyway)."""
    allowed, most = PARAMETERS[template]
    for key, values in query.items():
        if key not in allowed:
            index.invalid.append(f"{path}: undocumented parameter {key!r}")
        elif len(values) > 1:
            index.invalid.append(f"{path}: {key} given {len(values)} times")
        elif key == "limit" and (not values[0].isdigit() or not 1 <= int(values[0]) <= (most or 0)):
            index.invalid.append(f"{path}: limit {values[0]!r} outside 1..{most}")
        elif key in ("max_id", "since_id", "min_id") and not values[0].isdigit():
            index.invalid.append(f"{path}: {key} {values[0]!r} is not an id")


def route(index: MastodonIndex, here: str, path: str, query: dict[str, list[str]]) -> tuple[int, object, dict]:
    """Answer one Mastodon GET on instance `here` the way Mastodon does: (status, body, headers)."""
    from urllib.parse import unquote

    template, groups = next(((t, m.groups()) for pattern, t in _ROUTES if (m := pattern.match(path))), (None, ()))
    if template is None:
        return 404, {"error": "Not Found"}, {}
    _check(index, template, path, query)
    one = {k: v[-1] for k, v in query.items()}
    most = PARAMETERS[template][1] or 1
    default = 20 if most == 40 else 40
    limit = min(int(one["limit"]) if one.get("limit", "").isdigit() and int(one["limit"]) > 0 else default, most)
    missing = (404, {"error": "Record not found"}, {})
    if template == "/api/v1/accounts/lookup":
        acct = one.get("acct", "").lstrip("@")
        name, _, host = acct.partition("@")
        found = next((a for a, x in index.accounts.items() if x["username"].lower() == name.lower()), None)
        if found is None or (host or here) != index.home[found]:
            return missing
        return 200, index.account(found, here), {}
    if template == "/api/v1/timelines/tag/:hashtag":
        tag = unquote(groups[0]).casefold()
        items = [(index.sid[p], p) for p in index.tags.get(tag, [])]
        if one.get("local") in ("true", "1"):
            items = [(s, p) for s, p in items if index.home[index.posts[p]["author_id"]] == here]
        chosen, following, previous = _page(items, one, limit)
        following = following or (index.sid[chosen[-1]] if chosen else None)  # timelines always link onwards
        return 200, [index.status(p, here) for p in chosen], {"Link": _link(here, path, one, following, previous, "min_id")}
    if template.startswith("/api/v1/statuses/"):
        post = index.by_sid.get(groups[0])
        if post is None:
            return missing
        if template.endswith("/context"):
            return 200, index.context(post, here), {}
        if template == "/api/v1/statuses/:id":
            return 200, index.status(post, here), {}
        pairs = index.retweets.get(post, []) if template.endswith("reblogged_by") else index.favourites.get(post, [])
        chosen, following, previous = _page(pairs, one, limit)
        return 200, [index.account(a, here) for a in chosen], {"Link": _link(here, path, one, following, previous, "since_id")}
    account = index.by_local[here].get(groups[0])
    if account is None:
        return missing
    if template == "/api/v1/accounts/:id":
        return 200, index.account(account, here), {}
    pairs = (index.followers if template.endswith("followers") else index.following).get(account, [])
    if index.home[account] != here:  # a remote account: this instance knows only its own side of the list
        pairs = [(n, a) for n, a in pairs if index.home[a] == here]
    chosen, following, previous = _page(pairs, one, limit)
    return 200, [index.account(a, here) for a in chosen], {"Link": _link(here, path, one, following, previous, "since_id")}


def serve(index_for: Callable[[], MastodonIndex], host: str, path: str, query: dict[str, list[str]], authorization: str | None,
          token: str | None, client: str, now: float, public: bool = True) -> tuple[int, object, dict]:
    """One request as the instance at `host` answers it: the token check, the rate limit, then `route`."""
    index = index_for()
    here = index.secondary if host == index.secondary else index.primary
    if here == index.secondary and authorization:
        index.invalid.append(f"{path}: a token was sent to {here}, an instance it does not belong to")
    elif authorization and authorization != f"Bearer {token}":
        return 401, {"error": "The access token is invalid"}, {}
    elif not authorization and not public and here == index.primary:
        return 401, {"error": "This method requires an authenticated user"}, {}
    allowed, headers = index.rate(here, authorization or client, now)
    if not allowed:
        return 429, {"error": "Too many requests"}, headers
    status, body, extra = route(index, here, path, query)
    return status, body, {**headers, **{k: v for k, v in extra.items() if v}}
