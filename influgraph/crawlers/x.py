"""The X crawler: tweepy's API v2 `Client` over influgraph's transport, planned in phases.

Phases, each planned from the pages already stored (so a resumed crawl plans the same tasks):

1. `lookup`: the seed accounts by username (`/2/users/by`, 100 per request).
2. `search`: recent search for the niche (hashtags OR keywords, `lang:` when the query has one
   language), with the expansions that bring authors, referenced posts and their authors,
   mentions, reply targets and public metrics; at most `max_posts` posts.
3. `threads`: the replies of the threads found (`conversation_id:` terms OR-ed, as many per query
   as the tier's query length allows).
4. `engagement`: reposted-by, liking users and quote posts of the `top_posts` most engaged posts.
5. `followers`: followers (and, for seeds, following) of the seeds and the `top_authors` most
   active authors, up to `max_followers` each; with `depth` 2, also of the most followed
   accounts found there. X serves these on paid tiers only: a 403 gives one line naming the
   endpoint and the tier, and the crawl goes on with what is allowed.
6. `hydrate`: accounts named only by id (mentions, reply targets) looked up 100 at a time;
   accounts that come back in `errors[]` are tombstones (suspended, protected, not found) and
   are never requested again.

Pagination ends on the last page, a repeated token or three empty pages in a row (with a warning).

No request breaks X's published contract (`simulated.contracts` checks it): a niche or thread
query longer than the tier allows (`[crawl] tier`, self-serve 512 characters) is split into as
many queries as needed; `start_time` stays within recent search's 7 days; a seed that is neither
an X username (1-15 letters, digits or '_') nor a numeric id is refused before anything is sent.
Each page's posts and users are billed at `pricing` (`charges`), and `max_cost` bounds the next page
(`page_cost_bound`).
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import requests

from ..errors import BadInput
from ..niches import NicheQuery
from ..sources.xjson import read_x_pages, tombstone
from .base import Limits, PhasedCrawler
from .pricing import query_length
from .state import Task, base_stage, stage_run
from .transport import Forbidden, Transport

__all__ = ["XCrawler", "Limits", "CANONICAL_HOST", "ENDPOINTS", "search_query", "search_queries", "endpoint_of",
           "pack_terms", "RECENT_DAYS", "USERNAME", "start_time"]

CANONICAL_HOST = "https://api.twitter.com"
SEARCH = "/2/tweets/search/recent"
TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "entities", "in_reply_to_user_id", "lang",
                "public_metrics", "referenced_tweets"]
USER_FIELDS = ["created_at", "description", "location", "name", "protected", "public_metrics", "username", "verified"]
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id", "entities.mentions.username",
              "in_reply_to_user_id"]
# endpoint template -> (requests per 15-minute window with an app token on the Pro tier, items per page, tier note)
ENDPOINTS = {
    "/2/users/by": (300, 100, "every tier"),
    "/2/users": (300, 100, "every tier"),
    SEARCH: (450, 100, "Basic and above"),
    "/2/users/:id/followers": (15, 1000, "Pro or Enterprise"),
    "/2/users/:id/following": (15, 1000, "Pro or Enterprise"),
    "/2/tweets/:id/retweeted_by": (75, 100, "Basic and above"),
    "/2/tweets/:id/liking_users": (75, 100, "Basic and above"),
    "/2/tweets/:id/quote_tweets": (75, 100, "Basic and above"),
}

MAX_QUERY = 512  # the self-serve tier's query length (`pricing.TIERS` holds every tier's)
RECENT_DAYS = 7  # recent search serves the last 7 days: an older start_time is refused (HTTP 400)
USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}\Z")  # an X username (the spec's pattern of /2/users/by usernames)
USER_ID = re.compile(r"[0-9]{1,19}\Z")
TWEET_TYPES = {"/2/tweets/search/recent", "/2/tweets/:id/quote_tweets"}  # endpoints whose `data` are posts


def endpoint_of(path: str) -> str:
    """The route template of a path: numeric ids become :id."""
    return re.sub(r"/(users|tweets)/\d+(?=/|$)", r"/\1/:id", path.split("?")[0])


def pack_terms(terms: list[str], limit: int, render) -> list[str]:
    """`terms` OR-ed into as few queries as fit `limit` characters each (`render` turns a group into its query).

    A term that cannot fit alone raises BadInput.

    >>> pack_terms(["a", "b", "c"], 8, lambda g: " OR ".join(g))
    ['a OR b', 'c']
    """
    queries: list[str] = []
    group: list[str] = []
    for term in terms:
        if group and len(render(group + [term])) > limit:
            queries.append(render(group))
            group = []
        if len(render([term])) > limit:
            raise BadInput(f"the X search term {term[:40]!r} makes a query of {len(render([term]))} characters; "
                           f"X accepts {limit} on this tier", hint="shorten that keyword, or set `tier` to one that "
                           "accepts longer queries", param="tier")
        group.append(term)
    if group:
        queries.append(render(group))
    return queries


def _niche_render(query: NicheQuery):
    lang = f" lang:{query.languages[0]}" if len(query.languages) == 1 else ""
    return lambda group: ("(" + " OR ".join(group) + ")" if len(group) > 1 else group[0]) + lang


def _niche_terms(query: NicheQuery) -> list[str]:
    return [f"#{tag.lstrip('#')}" for tag in query.hashtags] + [f'"{k}"' if " " in k else k for k in query.keywords]


def search_query(query: NicheQuery) -> str:
    """The recent-search query for a niche: its hashtags and keywords joined by OR, and lang: with one language."""
    terms = _niche_terms(query)
    return _niche_render(query)(terms) if terms else ""


def search_queries(query: NicheQuery, limit: int = MAX_QUERY) -> list[str]:
    """The niche's search query split into as many queries as needed to fit `limit` characters each."""
    terms = _niche_terms(query)
    return pack_terms(terms, limit, _niche_render(query)) if terms else []


def start_time(since_days: int, now: datetime | None = None) -> str:
    """The `start_time` of a search `since_days` back, never older than recent search serves (7 days, less a minute)."""
    now = now or datetime.now(timezone.utc)
    start = max(now - timedelta(days=since_days), now - timedelta(days=RECENT_DAYS) + timedelta(minutes=1))
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def _engagement(tweet: dict) -> int:
    """Reposts, quotes and likes of a tweet (its public metrics): how the engagement phase picks top posts."""
    m = tweet.get("public_metrics", {})
    return int(m.get("retweet_count", 0)) + int(m.get("quote_count", 0)) + int(m.get("like_count", 0))


class _TweepyBridge(requests.Session):
    """The session tweepy's Client uses: every call goes through influgraph's Transport, to the configured host."""

    def __init__(self, transport: Transport):
        super().__init__()
        self.transport = transport
        self.last: requests.Response | None = None
        self.last_body: dict | None = None

    def request(self, method, url, params=None, json=None, headers=None, auth=None, **kwargs):  # noqa: A002
        path = url[len(CANONICAL_HOST):] if url.startswith(CANONICAL_HOST) else url
        body, response = self.transport.get(endpoint_of(path), path, params=params, headers=headers)
        self.last, self.last_body = response, body
        return response


class XCrawler(PhasedCrawler):
    """The X phases for one niche, through tweepy's Client."""

    platform = "x"
    followers_endpoint = "/2/users/:id/followers"

    def __init__(self, *args, **kwargs):
        import tweepy

        super().__init__(*args, **kwargs)
        self.bridge = _TweepyBridge(self.transport)
        self.client = tweepy.Client(bearer_token=self.transport.token or "none", return_type=requests.Response)
        self.client.session = self.bridge

    @property
    def request_errors(self) -> tuple[type[BaseException], ...]:
        """Errors of one request that skip its task (tweepy's, and malformed answers)."""
        import tweepy

        return (tweepy.TweepyException, ValueError)

    def cursor(self, body: dict) -> str | None:
        """The next page's token."""
        return (body.get("meta") or {}).get("next_token")

    def items(self, body: dict) -> list:
        """The page's items (tweets or users)."""
        data = body.get("data")
        return data if isinstance(data, list) else ([data] if data else [])

    def listed_users(self, body: dict) -> list[tuple[str, int]]:
        """(id, followers) of the users a followers page lists."""
        return [(u["id"], int((u.get("public_metrics") or {}).get("followers_count", 0))) for u in self.items(body)
                if isinstance(u, dict) and "id" in u]

    # ------------------------------------------------------------------ planning
    def plan(self, phase: str) -> list[tuple[str, str, dict, int]]:
        """Tasks of `phase`, from the pages stored so far (in an update run, `plan_update`'s)."""
        q, limits = self.query, self.limits
        if self.run:
            return self.plan_update(phase)
        if phase == "lookup":
            return self._plan_lookup()
        if phase == "search":
            texts = search_queries(q, query_length(limits.tier))
            extra = {"start_time": start_time(limits.since_days)} if limits.since_days else {}
            return [("search", SEARCH, {"query": text, **extra}, 0) for text in texts]
        tweets = self._tweets(("search",))
        if phase == "threads":
            roots = [t["id"] for t in tweets if t.get("public_metrics", {}).get("reply_count") and not t.get("referenced_tweets")
                     and t.get("conversation_id") == t["id"]][: limits.threads]
            texts = pack_terms([f"conversation_id:{c}" for c in roots], query_length(limits.tier), " OR ".join)
            return [("threads", SEARCH, {"query": text}, 0) for text in texts]
        if phase == "engagement":
            def score(t: dict) -> int:
                m = t.get("public_metrics", {})
                return int(m.get("retweet_count", 0)) + int(m.get("quote_count", 0)) + int(m.get("like_count", 0))
            originals = [t for t in tweets if not t.get("referenced_tweets")]
            top = sorted(originals, key=lambda t: (-score(t), t["id"]))[: limits.top_posts]
            return [("engagement", f"/2/tweets/:id/{what}", {"id": t["id"]}, 0) for t in top if score(t) > 0
                    for what in ("retweeted_by", "liking_users", "quote_tweets")]
        if phase == "followers":
            seeds = [u["id"] for body in self._bodies("lookup") for u in body.get("data", []) or []]
            activity = Counter(t["author_id"] for t in self._tweets(("search", "threads")) if t.get("author_id"))
            authors = [a for a, _ in sorted(activity.items(), key=lambda item: (-item[1], item[0]))]
            if limits.top_authors is not None:
                authors = authors[: limits.top_authors]
            chosen = list(dict.fromkeys(seeds + authors))
            tasks = [("followers", "/2/users/:id/followers", {"id": a}, 1) for a in chosen]
            return tasks + [("followers", "/2/users/:id/following", {"id": s}, 1) for s in seeds]
        if phase == "hydrate":
            return self._plan_hydrate()
        return []

    def _plan_hydrate(self) -> list[tuple[str, str, dict, int]]:
        """Accounts named only by id (mentions, reply targets) in any page, not yet held nor tombstoned."""
        known, named = set(), []
        for body in self._bodies(None):
            known.update(u.get("id") for u in (body.get("includes") or {}).get("users", []) or [])
            data = body.get("data")
            for item in data if isinstance(data, list) else []:
                if not isinstance(item, dict):
                    continue
                if "username" in item:
                    known.add(item.get("id"))
                named.extend(m["id"] for m in (item.get("entities") or {}).get("mentions", []) or [] if m.get("id"))
                if item.get("in_reply_to_user_id"):
                    named.append(item["in_reply_to_user_id"])
        gone = self.state.tombstoned()
        wanted = sorted({i for i in named if i not in known and i not in gone})
        return [("hydrate", "/2/users", {"ids": ",".join(wanted[i:i + 100])}, 0) for i in range(0, len(wanted), 100)]

    def plan_update(self, phase: str) -> list[tuple[str, str, dict, int]]:
        """Tasks of `phase` in an update run: only what can be new since the runs before.

        search: each niche query again with `since_id`, the newest post id its earlier pages hold
        ("results with a Post ID greater than the specified ID"); threads: the replies of every known
        thread with `since_id` the newest post id held; engagement: of the posts first seen in this run;
        followers: of the authors first seen in this run (the `top_authors` most active); hydrate:
        accounts named only by id, as in a first crawl (those already held are not asked again).
        """
        newest = self._newest_ids()
        if phase == "search":
            return [("search", SEARCH, {"query": text, **({"since_id": newest[text]} if text in newest else {})}, 0)
                    for text in search_queries(self.query, query_length(self.limits.tier))]
        if phase == "threads":
            roots = [t["id"] for t in self._tweets(("search",)) if t.get("public_metrics", {}).get("reply_count")
                     and not t.get("referenced_tweets") and t.get("conversation_id") == t["id"]][: self.limits.threads]
            since = newest.get("threads")
            texts = pack_terms([f"conversation_id:{c}" for c in roots], query_length(self.limits.tier), " OR ".join)
            return [("threads", SEARCH, {"query": text, **({"since_id": since} if since else {})}, 0) for text in texts]
        earlier = {t["id"] for body in self.run_bodies(None, earlier=True) for t in self.items(body)
                   if isinstance(t, dict) and "id" in t}
        fresh = [t for stage in ("search", "threads") for body in self.run_bodies(stage) for t in body.get("data") or []
                 if isinstance(t, dict) and t.get("id") not in earlier]
        if phase == "engagement":
            engaged = [t for t in fresh if not t.get("referenced_tweets") and _engagement(t) > 0]
            top = sorted({t["id"]: t for t in engaged}.values(), key=lambda t: (-_engagement(t), t["id"]))
            return [("engagement", f"/2/tweets/:id/{what}", {"id": t["id"]}, 0) for t in top[: self.limits.top_posts]
                    for what in ("retweeted_by", "liking_users", "quote_tweets")]
        if phase == "followers":
            known = set(earlier)
            for body in self.run_bodies(None, earlier=True):
                known.update(u.get("id") for u in (body.get("includes") or {}).get("users", []) or [])
            activity = Counter(t["author_id"] for t in fresh if t.get("author_id") and t["author_id"] not in known)
            authors = [a for a, _ in sorted(activity.items(), key=lambda item: (-item[1], item[0]))]
            if self.limits.top_authors is not None:
                authors = authors[: self.limits.top_authors]
            return [("followers", "/2/users/:id/followers", {"id": a}, 1) for a in authors]
        return self._plan_hydrate() if phase == "hydrate" else []

    def _newest_ids(self) -> dict[str, str]:
        """Per niche search query text, the newest post id its pages of the runs before this one hold; under
        "threads", the newest of their search and thread pages (this run's new posts must not move it)."""
        newest: dict[str, str] = {}
        for task in self.state.tasks("search") + self.state.tasks("threads"):
            if stage_run(task.stage) >= self.run:
                continue
            keys = [task.params.get("query"), "threads"] if base_stage(task.stage) == "search" else ["threads"]
            for body in self.state.task_pages(task.id):
                for tweet in body.get("data") or []:
                    tweet_id = tweet.get("id") if isinstance(tweet, dict) else None
                    if not (isinstance(tweet_id, str) and tweet_id.isdigit()):
                        continue
                    for key in keys:
                        if int(tweet_id) > int(newest.get(key, "0")):
                            newest[key] = tweet_id
        return newest

    def _plan_lookup(self) -> list[tuple[str, str, dict, int]]:
        """Seed lookups by username and by id; a seed that is neither is refused before anything is sent."""
        seeds = [s.strip().lstrip("@") for s in self.query.seed_accounts]
        ids = [s for s in seeds if USER_ID.match(s)]
        names = [s for s in seeds if not USER_ID.match(s) and USERNAME.match(s)]
        self.refuse_inputs("lookup", [s for s in seeds if s not in ids and s not in names],
                           "not an X username (1-15 letters, digits or '_') nor a numeric id",
                           "write each X seed as its username or its numeric id in `seed_accounts`")
        tasks = [("lookup", "/2/users/by", {"usernames": ",".join(names[i:i + 100])}, 0) for i in range(0, len(names), 100)]
        return tasks + [("lookup", "/2/users", {"ids": ",".join(ids[i:i + 100])}, 0) for i in range(0, len(ids), 100)]

    def _tweets(self, stages: tuple[str, ...]) -> list[dict]:
        tweets: dict[str, dict] = {}
        for stage in stages:
            for body in self._bodies(stage):
                for tweet in body.get("data", []) or []:
                    if isinstance(tweet, dict) and "id" in tweet:
                        tweets.setdefault(tweet["id"], tweet)
        return list(tweets.values())

    # ------------------------------------------------------------------ one request
    def fetch(self, task: Task) -> tuple[dict, str]:
        """One page of `task`: (body, canonical URL). Raises Forbidden, AuthError, UpstreamUnavailable."""
        c, p, cursor = self.client, task.params, task.cursor
        common = {"user_fields": USER_FIELDS}
        tweets = {"expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS}
        e = task.endpoint
        if e == "/2/users/by":
            c.get_users(usernames=p["usernames"].split(","), **common)
        elif e == "/2/users":
            c.get_users(ids=p["ids"].split(","), **common)
        elif e == SEARCH:
            extra = {"start_time": max(p["start_time"], start_time(RECENT_DAYS))} if "start_time" in p else {}
            extra.update({"since_id": p["since_id"]} if "since_id" in p else {})
            c.search_recent_tweets(p["query"], max_results=100, next_token=cursor, **tweets, **extra)
        elif e == "/2/users/:id/followers":
            c.get_users_followers(p["id"], max_results=1000, pagination_token=cursor, **common)
        elif e == "/2/users/:id/following":
            c.get_users_following(p["id"], max_results=1000, pagination_token=cursor, **common)
        elif e == "/2/tweets/:id/retweeted_by":
            c.get_retweeters(p["id"], max_results=100, pagination_token=cursor, **common)
        elif e == "/2/tweets/:id/liking_users":
            c.get_liking_users(p["id"], max_results=100, pagination_token=cursor, **common)
        elif e == "/2/tweets/:id/quote_tweets":
            c.get_quote_tweets(p["id"], max_results=100, pagination_token=cursor, **tweets)
        else:
            raise ValueError(f"unknown endpoint {e}")
        response = self.bridge.last
        url = response.url
        base = self.transport.base_url
        canonical = CANONICAL_HOST + url[len(base):] if url.startswith(base) else url
        return self.bridge.last_body, canonical

    def tombstones(self, body: dict) -> dict[str, str]:
        """Accounts a page reports as suspended, protected or not found (usernames as @name)."""
        found = {}
        for error in body.get("errors") or []:
            hit = tombstone(error)
            if hit is not None:
                found[hit[0]] = hit[1]
            elif isinstance(error, dict) and error.get("parameter") in ("username", "usernames") and error.get("value"):
                found["@" + str(error["value"]).lower()] = "not_found"
        return found

    def read_pages(self, pages: list[tuple[str, dict]]):
        """Stored pages as one Batch (the X JSON reader's rules)."""
        return read_x_pages(pages, source=f"crawl:x:{self.query.name}")

    def error_text(self, error: BaseException) -> str:
        """What a refused request's answer said (the transport's detail), else tweepy's first line."""
        body = self.bridge.last_body or {}
        return str(body.get("__detail") or (str(error).splitlines()[0] if str(error) else type(error).__name__))

    def charges(self, task: Task, body: dict) -> list[tuple[str, str]]:
        """(kind, id) of the posts and users a page returned, `data` and `includes` alike (each is billed)."""
        kind = "post" if task.endpoint in TWEET_TYPES else "user"
        found = [(kind, str(item["id"])) for item in self.items(body) if isinstance(item, dict) and "id" in item]
        includes = body.get("includes") or {}
        for key, what in (("tweets", "post"), ("users", "user")):
            found += [(what, str(item["id"])) for item in includes.get(key) or [] if isinstance(item, dict) and "id" in item]
        return found

    def page_cost_bound(self, task: Task, prices: dict[str, float]) -> float:
        """The most the next page can cost: a full page, and for posts their included posts and up to 3 users each."""
        per_page = ENDPOINTS.get(task.endpoint, (0, 100, ""))[1]
        if task.endpoint in ("/2/users/by", "/2/users"):
            per_page = len((task.params.get("usernames") or task.params.get("ids") or "").split(","))
        post, user = prices.get("post", 0.0), prices.get("user", 0.0)
        if task.endpoint in TWEET_TYPES:
            return per_page * (2 * post + 3 * user)
        return per_page * user

    def refusal_fix(self, endpoint: str, status: int | None, detail: str) -> str:
        """How to fix a refusal: a higher tier for a 403, else a request the contract refuses (a bug to report)."""
        if status == 403:
            return f"use credentials of a tier that serves {endpoint} ({ENDPOINTS.get(endpoint, (0, 0, 'a higher tier'))[2]})"
        return super().refusal_fix(endpoint, status, detail)

    def tier_message(self, endpoint: str, error: Forbidden) -> str:
        """One line for a 403: which endpoint, which tier it needs, and that the crawl goes on."""
        tier = ENDPOINTS.get(endpoint, (0, 0, "a higher tier"))[2]
        return (f"GET {endpoint} is not allowed for these credentials ({error.detail}); X serves it on {tier}. "
                "Going on without it.")
