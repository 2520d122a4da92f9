"""The Mastodon crawler: Mastodon's REST API (/api/v1) over influgraph's transport, in the same phases as X and Bluesky.

1. `lookup`: each seed with `accounts/lookup?acct=` on the instance (a seed may be `name` or
   `name@domain`; a seed that is not a valid Mastodon address is refused before anything is
   sent); a seed the instance does not know (404) is a tombstone (not found).
2. `search`: the tag timeline `timelines/tag/:hashtag` of each hashtag of the niche, 40 statuses
   a page, at most `max_posts` each (Mastodon's full-text search needs a login and covers only
   opted-in posts, so keywords are not searched; with `since_days`, paging stops at older posts).
3. `threads`: `statuses/:id/context` of the `threads` thread roots with most replies.
4. `engagement`: `reblogged_by` and `favourited_by` of the `top_posts` most reblogged and favourited statuses.
5. `followers`: followers (and, for seeds, following) of the seeds and the `top_authors` most
   active authors, 80 a page up to `max_followers`, **on each account's home instance**: an
   instance lists only its own side of a remote account's followers, so for an account homed
   elsewhere (its `url` host) the crawler looks it up there (`accounts/lookup`, without the
   token, which belongs to the crawled instance only) and reads the complete lists there; when
   that instance cannot be read, the crawled instance's partial lists are read instead. With
   `depth` 2, the same for the 10 most followed accounts of each finished follower list.
6. `hydrate`: `accounts/:id` of reply targets no page named (404: a tombstone).

Pagination follows the `Link` header (`max_id`); each answer is stored in an envelope
`{"__mastodon": {"url", "link"}, "data": answer}` so the pages are self-describing for the
importer (`sources.mastodon`). Every instance allows 300 requests per 5 minutes: when an answer
says `X-RateLimit-Remaining: 0`, no request goes to that instance before its `X-RateLimit-Reset`.
An access token (`token`) is sent to the crawled instance only, when given; public reads need none.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, urlparse

import requests

from ..errors import UpstreamUnavailable
from ..sources.mastodon import account_key, host_of, read_mastodon_pages
from .base import PhasedCrawler
from .state import Task, stage_run
from .transport import iso_epoch

__all__ = ["MastodonCrawler", "ENDPOINTS", "valid_acct", "cost_rows", "mastodon_cost_plan"]

# route template -> (items per page, what it serves)
ENDPOINTS = {
    "/api/v1/accounts/lookup": (1, "an account by its address"),
    "/api/v1/timelines/tag/:hashtag": (40, "public statuses with a hashtag"),
    "/api/v1/statuses/:id/context": (1, "a thread's ancestors and descendants"),
    "/api/v1/statuses/:id/reblogged_by": (80, "accounts that reblogged a status"),
    "/api/v1/statuses/:id/favourited_by": (80, "accounts that favourited a status"),
    "/api/v1/accounts/:id/followers": (80, "an account's followers"),
    "/api/v1/accounts/:id/following": (80, "the accounts an account follows"),
    "/api/v1/accounts/:id": (1, "an account by its local id"),
}
REQUESTS_PER_WINDOW, WINDOW_MINUTES = 300, 5
_ACCT = re.compile(r"^@?([A-Za-z0-9_]+(?:[A-Za-z0-9_.-]+[A-Za-z0-9_])?)(?:@([A-Za-z0-9.-]+\.[A-Za-z]{2,}|localhost|[0-9.]+)(?::\d+)?)?$")


def valid_acct(seed: str) -> bool:
    """True for a Mastodon address: `name` or `name@domain` (a leading @ allowed).

    >>> valid_acct("@alice@mastodon.social"), valid_acct("bob"), valid_acct("bad name")
    (True, True, False)
    """
    return bool(_ACCT.match(seed.strip()))


class _Envelope(requests.Session):
    """The transport's session for Mastodon: a 200 answer (often a JSON array) is wrapped as
    `{"__mastodon": {"url", "link"}, "data": answer}` before the transport reads it."""

    def get(self, url, **kwargs):  # noqa: D102 - requests' signature
        response = super().get(url, **kwargs)
        if response.status_code == 200:
            try:
                answer = json.loads(response.content)
            except ValueError:
                return response  # truncated or not JSON: the transport retries it
            envelope = {"__mastodon": {"url": response.url, "link": response.headers.get("Link")}, "data": answer}
            response._content = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
            response.encoding = "utf-8"
        return response


def _next_max_id(link: str | None) -> str | None:
    """The `max_id` of the `rel="next"` URL of a Link header."""
    return _link_value(link, "next", "max_id")


def _link_value(link: str | None, rel: str, key: str) -> str | None:
    """The `key` parameter of the `rel` URL of a Link header (`next`: older statuses, `prev`: newer)."""
    for part in (link or "").split(","):
        if f'rel="{rel}"' in part and "<" in part:
            values = parse_qs(urlparse(part[part.index("<") + 1:part.index(">")]).query).get(key)
            return values[-1] if values else None
    return None


def cost_rows(seeds: int, hashtags: int, limits) -> list[tuple[str, int, int]]:
    """(endpoint, requests, statuses read) upper bounds of a Mastodon crawl, for the dry run."""
    pages = max(1, -(-limits.max_posts // 40))
    lists = max(1, -(-limits.max_followers // 80))
    authors = limits.top_authors if limits.top_authors is not None else max(limits.max_posts // 4, 1)
    expand = (seeds + authors) * (11 if limits.depth >= 2 else 1) if limits.depth >= 1 else 0
    return [("/api/v1/accounts/lookup", seeds + expand, 0), ("/api/v1/timelines/tag/:hashtag", hashtags * pages, hashtags * pages * 40),
            ("/api/v1/statuses/:id/context", limits.threads, limits.threads * 20),
            ("/api/v1/statuses/:id/reblogged_by", limits.top_posts, 0), ("/api/v1/statuses/:id/favourited_by", limits.top_posts, 0),
            ("/api/v1/accounts/:id/followers", expand * lists, 0),
            ("/api/v1/accounts/:id/following", (seeds if limits.depth >= 1 else 0) * lists, 0),
            ("/api/v1/accounts/:id (hydrate)", max(1, limits.max_posts // 10), 0)]


LOOKUP, TAG, CONTEXT = "/api/v1/accounts/lookup", "/api/v1/timelines/tag/:hashtag", "/api/v1/statuses/:id/context"
FOLLOWERS, FOLLOWING, ACCOUNT = "/api/v1/accounts/:id/followers", "/api/v1/accounts/:id/following", "/api/v1/accounts/:id"
PAGED = {TAG: 40, FOLLOWERS: 80, FOLLOWING: 80, "/api/v1/statuses/:id/reblogged_by": 80,
         "/api/v1/statuses/:id/favourited_by": 80}


class MastodonCrawler(PhasedCrawler):
    """The Mastodon phases for one niche on one instance (the transport's base URL), reading remote accounts at home."""

    platform = "mastodon"
    followers_endpoint = FOLLOWERS
    followers_page = 80
    search_page = 40

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transport.session = _Envelope()
        self.origin = self.transport.base_url
        self.host = host_of(self.origin) or ""
        self._missing: dict[str, str] = {}

    @property
    def request_errors(self) -> tuple[type[BaseException], ...]:
        """Errors of one request that skip its task (a refused request, a malformed answer)."""
        return (ValueError,)

    # ------------------------------------------------------------------ page anatomy
    def cursor(self, body: dict) -> str | None:
        """The next page's `max_id` (from the Link header), or None at the end, or past `since_days` in a timeline."""
        meta = body.get("__mastodon") or {}
        data = body.get("data")
        if "min_id" in parse_qs(urlparse(str(meta.get("url"))).query):  # an update: page towards newer statuses
            return _link_value(meta.get("link"), "prev", "min_id") if isinstance(data, list) and data else None
        following = _next_max_id(meta.get("link"))
        if following and self.limits.since_days and isinstance(data, list) and data and "/timelines/tag/" in str(meta.get("url")):
            cutoff = datetime.now(timezone.utc) - timedelta(days=self.limits.since_days)
            oldest = iso_epoch(str(data[-1].get("created_at", ""))) if isinstance(data[-1], dict) else None
            if oldest is not None and oldest < cutoff.timestamp():
                return None
        return following

    def items(self, body: dict) -> list:
        """The page's items: statuses, accounts, or a context's statuses."""
        data = body.get("data")
        if isinstance(data, list):
            return data
        if isinstance(data, dict):
            return (data.get("ancestors") or []) + (data.get("descendants") or []) if "descendants" in data else [data]
        return []

    def listed_users(self, body: dict) -> list[tuple[str, int]]:
        """(local id, followers) of the accounts a list page names."""
        return [(str(a.get("id")), int(a.get("followers_count") or 0)) for a in self.items(body) if isinstance(a, dict) and "acct" in a]

    def tombstones(self, body: dict) -> dict[str, str]:
        """Accounts the last lookup or account request did not find (not found)."""
        return dict(self._missing)

    def read_pages(self, pages: list[tuple[str, dict]]):
        """Stored pages as one Batch (the Mastodon reader's rules)."""
        return read_mastodon_pages(pages)

    def tier_message(self, endpoint: str, error) -> str:
        """One line for a 403."""
        return f"GET {endpoint} is not allowed on {self.host} ({error.detail}); going on without it."

    def refusal_fix(self, endpoint: str, status: int | None, detail: str) -> str:
        """How to fix a refusal: a login for an instance that hides these answers from the public."""
        if status in (401, 403, 422):
            return "set an access token of an account on this instance (MASTODON_ACCESS_TOKEN) or crawl another instance"
        return super().refusal_fix(endpoint, status, detail)

    # ------------------------------------------------------------------ stored pages
    def _pages(self, stages: tuple[str | None, ...]) -> list[tuple[str, dict]]:
        """(host read from, envelope) of the pages of `stages` (None: every stage)."""
        found = []
        for stage in stages:
            for body in self._bodies(stage):
                found.append((host_of((body.get("__mastodon") or {}).get("url")) or self.host, body))
        return found

    def _statuses(self, stages: tuple[str, ...]) -> list[dict]:
        seen: dict[str, dict] = {}
        for _, body in self._pages(stages):
            for status in self.items(body):
                if isinstance(status, dict) and isinstance(status.get("account"), dict) and status.get("id"):
                    seen.setdefault(str(status["id"]), status)
        return list(seen.values())

    def _expand(self, view: dict, origin: str, depth: int, seed: bool) -> list[tuple[str, str, dict, int]]:
        """Follower (and for a seed following) tasks of an account read at `origin`: there when it is its home,
        else a lookup on its home instance first (whose answer plans the lists, see `next_depth`)."""
        key = account_key(view, host_of(origin))
        home_url = view.get("url") if host_of(view.get("url")) else view.get("uri")
        home = host_of(home_url)
        extra = {"account": key, "seed": seed}
        if home is None or home == host_of(origin):
            return self._lists(str(view.get("id")), origin, depth, extra)
        scheme = urlparse(home_url).scheme
        return [("followers", LOOKUP, {"acct": view.get("username") or str(view.get("acct")).split("@")[0],
                                       "origin": f"{scheme}://{home}", "fallback": [origin, str(view.get("id"))], **extra}, depth)]

    def _lists(self, local_id: str, origin: str, depth: int, extra: dict) -> list[tuple[str, str, dict, int]]:
        params = {"id": local_id, "origin": origin, **extra}
        return [("followers", FOLLOWERS, params, depth)] + ([("followers", FOLLOWING, params, depth)] if extra.get("seed") else [])

    # ------------------------------------------------------------------ planning
    def plan(self, phase: str) -> list[tuple[str, str, dict, int]]:
        """Tasks of `phase`, from the pages stored so far."""
        q, limits = self.query, self.limits
        if phase == "lookup":
            bad = [s for s in q.seed_accounts if not valid_acct(s)]
            self.refuse_inputs("lookup", bad, "not a Mastodon address (name or name@domain)",
                               "write each seed as a Mastodon username or name@instance")
            return [("lookup", LOOKUP, {"acct": s.strip().lstrip("@")}, 0) for s in q.seed_accounts if valid_acct(s)]
        if phase == "search":
            newest = self._newest_ids() if self.run else {}
            return [("search", TAG, {"hashtag": tag.lstrip("#"), **({"min_id": newest[tag.lstrip("#")]} if tag.lstrip("#")
                                                                    in newest else {})}, 0)
                    for tag in dict.fromkeys(q.hashtags) if tag.lstrip("#")]
        if phase in ("threads", "engagement"):
            found = self._statuses(("search",))
            if self.run and phase == "engagement":  # an update: of the statuses first seen in this run only
                found = self._fresh()
            if phase == "threads":
                roots = [s for s in found if int(s.get("replies_count") or 0) and not s.get("in_reply_to_id")]
                roots.sort(key=lambda s: (-int(s.get("replies_count") or 0), str(s["id"])))
                return [("threads", CONTEXT, {"id": str(s["id"])}, 0) for s in roots[: limits.threads]]

            def score(s: dict) -> int:
                return int(s.get("reblogs_count") or 0) + int(s.get("favourites_count") or 0)
            top = sorted((s for s in found if score(s) > 0), key=lambda s: (-score(s), str(s["id"])))[: limits.top_posts]
            return [("engagement", f"/api/v1/statuses/:id/{what}", {"id": str(s["id"])}, 0) for s in top
                    for what in ("reblogged_by", "favourited_by")]
        if phase == "followers":
            return self._plan_followers(self._fresh() if self.run else None) if limits.depth >= 1 else []
        if phase == "hydrate":
            return self._plan_hydrate()
        return []

    def _newest_ids(self) -> dict[str, str]:
        """Per hashtag, the newest status id its timeline pages of the runs before this one hold: an update's `min_id`."""
        newest: dict[str, str] = {}
        for task in self.state.tasks("search"):
            if stage_run(task.stage) >= self.run:
                continue
            tag = str(task.params.get("hashtag"))
            for body in self.state.task_pages(task.id):
                for status in self.items(body):
                    sid = str(status.get("id")) if isinstance(status, dict) else ""
                    if sid.isdigit() and int(sid) > int(newest.get(tag, "0")):
                        newest[tag] = sid
        return newest

    def _fresh(self) -> list[dict]:
        """The statuses of this run's timeline and thread pages that no earlier run's page holds."""
        def statuses(bodies: list[dict]) -> dict[str, dict]:
            return {str(s["id"]): s for body in bodies for s in self.items(body)
                    if isinstance(s, dict) and isinstance(s.get("account"), dict) and s.get("id")}

        earlier = statuses(self.run_bodies(None, earlier=True))
        now = statuses([b for stage in ("search", "threads") for b in self.run_bodies(stage)])
        return [s for sid, s in now.items() if sid not in earlier]

    def _plan_followers(self, fresh: list[dict] | None = None) -> list[tuple[str, str, dict, int]]:
        """Follower lists of the seeds and the most active authors; in an update (`fresh`: the statuses first seen
        now), of the authors first seen now only."""
        seeds = [(a, h) for h, body in self._pages(("lookup",)) for a in self.items(body) if isinstance(a, dict) and "acct" in a]
        if fresh is not None:
            new_ids = {str(f["id"]) for f in fresh}
            held = {account_key(s["account"], self.host) for s in self._statuses(("search", "threads"))
                    if str(s["id"]) not in new_ids}
            seeds, fresh = [], [s for s in fresh if account_key(s["account"], self.host) not in held]
        views: dict[str, tuple[dict, str]] = {}
        activity: Counter = Counter()
        for status in (self._statuses(("search", "threads")) if fresh is None else fresh):
            key = account_key(status["account"], self.host)
            if key:
                views.setdefault(key, (status["account"], self.host))
                activity[key] += 1
        authors = [k for k, _ in sorted(activity.items(), key=lambda item: (-item[1], item[0]))]
        if self.limits.top_authors is not None:
            authors = authors[: self.limits.top_authors]
        seed_keys = {account_key(a, h): (a, h) for a, h in seeds}
        tasks = []
        for key in dict.fromkeys([*seed_keys, *authors]):
            view, host = seed_keys.get(key) or views[key]
            origin = self.origin if host == self.host else f"https://{host}"
            tasks.extend(self._expand(view, origin, 1, key in seed_keys))
        return tasks

    def _plan_hydrate(self) -> list[tuple[str, str, dict, int]]:
        known = set()
        named = []
        for host, body in self._pages((None,)):
            if host != self.host:
                continue
            for item in self.items(body):
                if not isinstance(item, dict):
                    continue
                account = item.get("account") if isinstance(item.get("account"), dict) else item
                known.add(str(account.get("id")))
                known.update(str(m.get("id")) for m in item.get("mentions") or [] if isinstance(m, dict))
                if item.get("in_reply_to_account_id") is not None:
                    named.append(str(item["in_reply_to_account_id"]))
        gone = self.state.tombstoned()
        wanted = sorted({i for i in named if i not in known and f"{self.host}#{i}" not in gone})
        return [("hydrate", ACCOUNT, {"id": i}, 0) for i in wanted]

    def next_depth(self, task: Task, last: dict) -> list[tuple[str, str, dict, int]]:
        """After a home-instance lookup, the lists there (or at the crawled instance, when the home failed);
        at depth < `depth`, the lists of the 10 most followed accounts a finished follower list named."""
        p = task.params
        extra = {"account": p.get("account"), "seed": p.get("seed", False)}
        if task.stage == "followers" and task.endpoint == LOOKUP:
            found = last.get("data")
            if isinstance(found, dict) and found.get("id"):
                return self._lists(str(found["id"]), p["origin"], task.depth, extra)
            origin, local_id = p["fallback"]
            return self._lists(local_id, origin, task.depth, extra)
        if task.endpoint != FOLLOWERS or task.depth >= self.limits.depth:
            return []
        listed = [a for body in [*self.state.task_pages(task.id), last] for a in self.items(body) if isinstance(a, dict)]
        listed.sort(key=lambda a: (-int(a.get("followers_count") or 0), str(account_key(a, host_of(p["origin"])))))
        return [t for a in listed[:10] for t in self._expand(a, p["origin"], task.depth + 1, False)]

    # ------------------------------------------------------------------ one request
    def fetch(self, task: Task) -> tuple[dict, str]:
        """One page of `task` at its instance: (envelope, request URL). A lookup or account the instance does not
        know is a page with a tombstone; a home instance that cannot be read gives a page that falls back."""
        p, e = task.params, task.endpoint
        origin = p.get("origin", self.origin)
        path = e.replace(":hashtag", quote(str(p.get("hashtag", "")), safe="")).replace(":id", str(p.get("id", "")))
        params: dict = {"acct": p["acct"]} if e == LOOKUP else {}
        if e in PAGED:
            params["limit"] = PAGED[e]
            if "min_id" in p:  # an update's timeline: "results immediately newer than this ID", page by page
                params["min_id"] = task.cursor or p["min_id"]
            elif task.cursor:
                params["max_id"] = task.cursor
        remote = origin != self.origin
        key = f"{host_of(origin)} {e}" if remote else e
        headers = {"Authorization": None} if remote else None  # the token is the crawled instance's only
        self._missing = {}
        try:
            body, response = self.transport.get(key, origin + path, params=params, headers=headers)
        except UpstreamUnavailable as error:
            if not remote:
                raise
            return self._fallback(origin + path, error.message), origin + path
        self._respect_rate_limit(host_of(origin), response)
        if "__status" not in body:
            return body, response.url
        if body["__status"] == 404 and e in (LOOKUP, ACCOUNT) and not remote:
            self._missing = {(f"{p['acct'].split('@')[0]}@{p['acct'].split('@', 1)[1].lower()}" if "@" in p["acct"]
                              else f"{p['acct']}@{self.host}") if e == LOOKUP else f"{self.host}#{p['id']}": "not_found"}
            return {"__mastodon": {"url": response.url, "status": 404, **({"acct": p["acct"]} if e == LOOKUP else {})},
                    "data": None}, response.url
        if remote and e == LOOKUP:
            return self._fallback(response.url, body["__detail"]), response.url
        raise ValueError(body["__detail"])

    def _fallback(self, url: str, why: str) -> dict:
        """A page saying the home instance could not be read: the lists are read at the crawled instance instead."""
        self.warn(f"{host_of(url)}: {why}; reading the partial lists of {self.host} instead")
        return {"__mastodon": {"url": url, "fallback": True}, "data": None}

    def _respect_rate_limit(self, host: str | None, response: requests.Response) -> None:
        """When an instance says no request is left in its window, send none to it before the window's reset."""
        left = response.headers.get("X-RateLimit-Remaining", "")
        reset = iso_epoch(response.headers.get("X-RateLimit-Reset", "") or "")
        if left.strip() == "0" and reset is not None:
            for endpoint in ENDPOINTS:
                self.transport.blocked_until[endpoint if host == self.host else f"{host} {endpoint}"] = reset + 1.0


def mastodon_cost_plan(query, limits):
    """The dry run of a Mastodon crawl: requests and statuses per endpoint within `max_requests`, and the waits
    that 300 requests per 5 minutes per instance imply (one window shared by every endpoint). Mastodon costs no money.

    Parameters
    ----------
    query : the niche query (its seeds and hashtags); limits : the crawl's `Limits`.

    Returns
    -------
    CostPlan (see `run.cost_plan`).

    Example
    -------
    >>> mastodon_cost_plan(load_query("queries/persian-books.toml"), Limits()).requests   # doctest: +SKIP
    """
    from .run import CostPlan

    table, total, left = [], 0, limits.max_requests
    for endpoint, wanted, reads in cost_rows(len(query.seed_accounts), len(query.hashtags), limits):
        planned = max(0, min(wanted, left))
        left -= planned
        total += planned
        kind = "post" if reads else "user"
        items = min(reads, planned * 40) if reads else planned * ENDPOINTS.get(endpoint.split(" ")[0], (1, ""))[0]
        table.append({"endpoint": endpoint, "requests": planned, "items": items, "kind": kind,
                      "post_reads": items if reads else 0, "per_window": REQUESTS_PER_WINDOW,
                      "window_minutes": WINDOW_MINUTES, "rate_limit_wait_minutes": 0, "cost": 0.0})
    minutes = max(0, -(-total // REQUESTS_PER_WINDOW) - 1) * WINDOW_MINUTES
    return CostPlan(niche=query.name, platform="mastodon", max_requests=limits.max_requests, requests=total,
                    post_reads=sum(r["post_reads"] for r in table), rate_limit_wait_minutes=minutes, endpoints=tuple(table),
                    tier="public", items=sum(r["items"] for r in table),
                    note="upper bounds from the query's limits; the 300 requests / 5 minutes window is per instance and "
                         "shared by every endpoint; Mastodon's API costs nothing")
