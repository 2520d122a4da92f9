"""The Bluesky crawler: atproto's `Client` (app.bsky.* XRPC) over influgraph's transport, in the same phases as X.

1. `lookup`: seed accounts with `getProfiles` (25 per request); actors that do not come back are
   tombstones (not found). A seed is a did or a handle in the AT Protocol syntax (`handle.ts`:
   ASCII letters, digits and hyphens in dot-separated labels); a bare name gets `.bsky.social` only
   when that makes a valid handle. Any other seed (an X username with '_') is refused before
   anything is sent, and named in the lookup phase's counts.
2. `search`: `searchPosts` once per hashtag and keyword (Bluesky's search has no OR), with
   `lang` when the query has one language; at most `max_posts` posts per term.
3. `threads`: `getPostThread` of the `threads` root posts with most replies.
4. `engagement`: `getRepostedBy`, `getLikes` and `getQuotes` of the `top_posts` most engaged posts.
5. `followers`: `getFollowers` of seeds and top authors, and `getFollows` of seeds, up to
   `max_followers` each; with depth 2, also of the first accounts those lists name.
6. `hydrate`: `getProfiles` of accounts named only by did (mentions, reply targets).

Bluesky's public AppView serves these without credentials except `searchPosts`, which it has
answered 403 to callers without a session. With `BlueskyCredentials` (a handle and an app
password) the crawler logs in at `pds_url` (default: bsky.social for the public AppView, else the
API URL) before its first search, then reads through that PDS (which proxies app.bsky.* calls), and
again once when an AppView answers 401 or a search 403, then sends the session's access token; an
access token given to the crawl (`token`) is sent from the start. Without either, a 403 search
is a lost phase, named with its fix (`credentials`, or an `api_url` of an AppView that serves
search). The app password is never logged, stored or shown.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import requests

from ..errors import AuthError, UpstreamUnavailable
from ..sources.bluesky import author_of_uri, read_bluesky_pages
from .base import PhasedCrawler
from .state import Task
from .transport import Forbidden, install_log_redaction

__all__ = ["BlueskyCrawler", "BlueskyCredentials", "NSIDS"]

NSIDS = ("app.bsky.actor.getProfiles", "app.bsky.feed.searchPosts", "app.bsky.feed.getPostThread",
         "app.bsky.feed.getRepostedBy", "app.bsky.feed.getLikes", "app.bsky.feed.getQuotes",
         "app.bsky.graph.getFollowers", "app.bsky.graph.getFollows")
PROFILES_PER_REQUEST = 25
SEARCH = "app.bsky.feed.searchPosts"
PUBLIC_APPVIEW = "https://public.api.bsky.app"
DEFAULT_PDS = "https://bsky.social"  # where a session is made when the crawl reads the public AppView
# the AT Protocol's handle syntax (atproto packages/syntax/src/handle.ts, HANDLE_REGEX) and its did syntax
HANDLE = re.compile(r"([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\Z")
DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]\Z")
SEARCH_FIX = ("log in with `credentials` (a handle and an app password), or use the `api_url` of an AppView that "
              "serves search")


@dataclass(frozen=True)
class BlueskyCredentials:
    """A Bluesky handle and an app password (never the account password), for an AppView that asks for a login.

    >>> BlueskyCredentials("me.bsky.social", "abcd-efgh-ijkl-mnop")
    BlueskyCredentials(handle='me.bsky.social')
    """

    handle: str
    app_password: str = field(repr=False)


def is_handle(value: str) -> bool:
    """True for a valid AT Protocol handle (`handle.ts`: at most 253 characters, the HANDLE_REGEX syntax).

    >>> is_handle("pro-cof1.bsky.social"), is_handle("pro_cof1.bsky.social")
    (True, False)
    """
    return len(value) <= 253 and HANDLE.match(value) is not None


def actor_of(seed: str) -> str | None:
    """The at-identifier of a seed (a did, a handle, or a name that becomes NAME.bsky.social), or None when invalid."""
    seed = seed.strip().lstrip("@")
    if seed.startswith("did:"):
        return seed if DID.match(seed) else None
    candidate = seed if "." in seed else f"{seed}.bsky.social"
    return candidate.lower() if is_handle(candidate) else None


def _bridge_class():
    from atproto_client.request import RequestBase

    class AtprotoBridge(RequestBase):
        """The `request` object atproto's Client calls: every GET goes through influgraph's Transport."""

        def __init__(self, transport):
            super().__init__()
            self.transport = transport
            self.last_body: dict | None = None
            self.last_url: str | None = None

        def _new_instance(self):
            return type(self)(self.transport)

        get = _bridge_get
        post = _bridge_post

    return AtprotoBridge


def _bridge_get(self, url: str, params: dict | None = None, headers: dict | None = None, **kwargs):
    from atproto_client.request import Response

    nsid = url.rsplit("/", 1)[-1]
    body, response = self.transport.get(nsid, url, params=params)
    self.last_body, self.last_url = body, response.url
    if "__status" in body:
        raise ValueError(body["__detail"])
    return Response(success=True, status_code=200, content=body, headers=dict(response.headers))


def _bridge_post(self, *args, **kwargs):  # pragma: no cover - the crawler only reads
    raise ValueError("the Bluesky crawler only reads")


class BlueskyCrawler(PhasedCrawler):
    """The Bluesky phases for one niche, through atproto's Client."""

    platform = "bluesky"
    followers_endpoint = "app.bsky.graph.getFollowers"
    followers_page = 100

    def __init__(self, *args, credentials: BlueskyCredentials | None = None, pds_url: str | None = None, **kwargs):
        from atproto import Client

        super().__init__(*args, **kwargs)
        self.credentials = credentials
        self.pds_url = pds_url
        self.bridge = _bridge_class()(self.transport)
        self.client = Client(base_url=f"{self.transport.base_url}/xrpc", request=self.bridge)
        self._missing: dict[str, str] = {}

    @property
    def request_errors(self) -> tuple[type[BaseException], ...]:
        """Errors of one request that skip its task (atproto's, and shape mismatches)."""
        from atproto_client.exceptions import AtProtocolError

        return (AtProtocolError, ValueError)

    # ------------------------------------------------------------------ page anatomy
    def cursor(self, body: dict) -> str | None:
        """The next page's cursor."""
        return body.get("cursor")

    def items(self, body: dict) -> list:
        """The page's items, whatever the method."""
        for key in ("posts", "followers", "follows", "repostedBy", "likes", "profiles"):
            if isinstance(body.get(key), list):
                return body[key]
        return [body["thread"]] if body.get("thread") else []

    def listed_users(self, body: dict) -> list[tuple[str, int]]:
        """(did, followers when known) of the accounts a followers page lists."""
        return [(u["did"], int(u.get("followersCount", 0))) for u in body.get("followers") or [] if isinstance(u, dict)]

    def tombstones(self, body: dict) -> dict[str, str]:
        """Actors asked of the last getProfiles that did not come back (not found)."""
        return dict(self._missing)

    def read_pages(self, pages: list[tuple[str, dict]]):
        """Stored pages as one Batch (the Bluesky reader's rules)."""
        return read_bluesky_pages(pages)

    def tier_message(self, endpoint: str, error: Forbidden) -> str:
        """One line for a 403 (for search: how to get a session)."""
        fix = f" ({SEARCH_FIX})" if endpoint == SEARCH else ""
        return f"{endpoint} is not allowed here ({error.detail}){fix}; going on without it."

    # ------------------------------------------------------------------ planning
    def _newest_times(self) -> dict[str, str]:
        """Per search term, the newest `indexedAt` its pages (every run's) hold: an update's `since` (inclusive)."""
        newest: dict[str, str] = {}
        for task in self.state.tasks("search"):
            for body in self.state.task_pages(task.id):
                for post in body.get("posts") or []:
                    at = post.get("indexedAt") if isinstance(post, dict) else None
                    if isinstance(at, str) and at > newest.get(task.params.get("q"), ""):
                        newest[task.params["q"]] = at
        return newest

    def _posts(self, stages: tuple[str, ...], *, earlier: bool = False, current: bool = False) -> list[dict]:
        """The posts of the pages of `stages` (every run's; `earlier`: the runs before this one; `current`: this one)."""
        posts: dict[str, dict] = {}

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("post"), dict):
                    posts.setdefault(node["post"]["uri"], node["post"])
                for child in node.get("replies") or []:
                    walk(child)

        for stage in stages:
            for body in (self.run_bodies(stage, earlier=earlier) if earlier or current else self._bodies(stage)):
                for post in body.get("posts") or []:
                    if isinstance(post, dict) and "uri" in post:
                        posts.setdefault(post["uri"], post)
                walk(body.get("thread"))
        return list(posts.values())

    def plan(self, phase: str) -> list[tuple[str, str, dict, int]]:
        """Tasks of `phase`, from the pages stored so far."""
        q, limits = self.query, self.limits
        if phase == "lookup":
            actors = sorted({a for s in q.seed_accounts if (a := actor_of(s))})
            self.refuse_inputs("lookup", [s for s in q.seed_accounts if actor_of(s) is None],
                               "not a Bluesky handle or did (AT Protocol handle syntax: letters, digits and hyphens "
                               "in dot-separated labels; an X username with '_' is not a handle)",
                               "write each Bluesky seed as its handle (name.bsky.social) or did in `seed_accounts`")
            return [("lookup", "app.bsky.actor.getProfiles", {"actors": actors[i:i + PROFILES_PER_REQUEST]}, 0)
                    for i in range(0, len(actors), PROFILES_PER_REQUEST)]
        if phase == "search":
            extra = {"lang": q.languages[0]} if len(q.languages) == 1 else {}
            terms = [f"#{h.lstrip('#')}" for h in q.hashtags] + list(q.keywords)
            since = self._newest_times() if self.run else {}
            return [("search", "app.bsky.feed.searchPosts", {"q": term, **extra, **({"since": since[term]} if term in
                                                                                   since else {})}, 0) for term in terms]
        found = self._posts(("search",))
        if self.run and phase in ("engagement", "followers"):  # an update: of the posts first seen in this run only
            earlier = {p["uri"] for p in self._posts(("search", "threads", "engagement"), earlier=True)}
            found = [p for p in self._posts(("search", "threads"), current=True) if p["uri"] not in earlier]
        if phase == "threads":
            roots = [p for p in found if p.get("replyCount") and not (p.get("record") or {}).get("reply")]
            roots.sort(key=lambda p: (-int(p.get("replyCount", 0)), p["uri"]))
            return [("threads", "app.bsky.feed.getPostThread", {"uri": p["uri"]}, 0) for p in roots[: limits.threads]]
        if phase == "engagement":
            def score(p: dict) -> int:
                return int(p.get("repostCount", 0)) + int(p.get("likeCount", 0)) + int(p.get("quoteCount", 0))
            top = sorted((p for p in found if score(p) > 0), key=lambda p: (-score(p), p["uri"]))[: limits.top_posts]
            return [("engagement", nsid, {"uri": p["uri"]}, 0) for p in top
                    for nsid in ("app.bsky.feed.getRepostedBy", "app.bsky.feed.getLikes", "app.bsky.feed.getQuotes")]
        if phase == "followers":
            seeds = [p["did"] for body in self._bodies("lookup") for p in body.get("profiles") or []] if not self.run else []
            activity = Counter(author_of_uri(p["uri"]) for p in (found if self.run else self._posts(("search", "threads"))))
            if self.run:  # accounts first seen now: no follower list of theirs was asked for before
                asked = {t.params.get("actor") for t in self.state.tasks("followers")}
                activity = Counter({a: n for a, n in activity.items() if a not in asked})
            authors = [a for a, _ in sorted(activity.items(), key=lambda item: (-item[1], item[0])) if a]
            if limits.top_authors is not None:
                authors = authors[: limits.top_authors]
            chosen = list(dict.fromkeys(seeds + authors))
            return ([("followers", self.followers_endpoint, {"actor": a}, 1) for a in chosen]
                    + [("followers", "app.bsky.graph.getFollows", {"actor": s}, 1) for s in seeds])
        if phase == "hydrate":
            known = set()
            named: list[str] = []
            for body in self._bodies(None):
                for key in ("profiles", "followers", "follows", "repostedBy"):
                    known.update(p.get("did") for p in body.get(key) or [] if isinstance(p, dict))
                known.update(like.get("actor", {}).get("did") for like in body.get("likes") or [] if isinstance(like, dict))
            for post in self._posts(("search", "threads", "engagement")):
                known.add((post.get("author") or {}).get("did"))
                record = post.get("record") or {}
                parent = ((record.get("reply") or {}).get("parent") or {}).get("uri")
                if author_of_uri(parent):
                    named.append(author_of_uri(parent))
                for facet in record.get("facets") or []:
                    named.extend(f["did"] for f in facet.get("features") or [] if isinstance(f, dict) and f.get("did"))
            gone = self.state.tombstoned()
            wanted = sorted({d for d in named if d not in known and d not in gone})
            return [("hydrate", "app.bsky.actor.getProfiles", {"actors": wanted[i:i + PROFILES_PER_REQUEST]}, 0)
                    for i in range(0, len(wanted), PROFILES_PER_REQUEST)]
        return []

    # ------------------------------------------------------------------ one request
    def fetch(self, task: Task) -> tuple[dict, str]:
        """One page of `task` through atproto (which validates the answer's shape): (body, request URL).

        With `credentials`, the crawler logs in before its first search (the public AppView refuses
        search without a session), and once when an AppView answers 401 or a search 403.
        """
        if task.endpoint == SEARCH and self.credentials is not None and not self.transport.token:
            self.login()
        try:
            return self._fetch(task)
        except AuthError:
            if self.transport.token or self.credentials is None:
                raise AuthError(f"{task.endpoint}: this AppView requires authentication",
                                hint="pass `credentials`: a handle and an app password", param="credentials") from None
            self.login()
            return self._fetch(task)

    def refusal_fix(self, endpoint: str, status: int | None, detail: str) -> str:
        """How to fix a refusal: a session for search, else the request broke the lexicon (a bug to report)."""
        if endpoint == SEARCH and status in (401, 403):
            return SEARCH_FIX
        return super().refusal_fix(endpoint, status, detail)

    def login(self) -> None:
        """Create a session with the handle and app password of `credentials`; keep only its access token."""
        handle, password = self.credentials.handle, self.credentials.app_password
        install_log_redaction([password])
        base = self.transport.base_url
        pds = (self.pds_url or (DEFAULT_PDS if base == PUBLIC_APPVIEW else base)).rstrip("/")
        try:
            response = self.transport.session.post(f"{pds}/xrpc/com.atproto.server.createSession",
                                                   json={"identifier": handle, "password": password},
                                                   timeout=(self.transport.connect_timeout, self.transport.read_timeout))
        except requests.RequestException as error:
            raise UpstreamUnavailable(f"Bluesky login at {pds} failed: {type(error).__name__}",
                                      hint="check `pds_url`, then crawl again with `resume`", param="pds_url") from None
        if response.status_code != 200 or "accessJwt" not in response.text:
            raise AuthError(f"Bluesky refused the login of {handle} (HTTP {response.status_code})",
                            hint="check `credentials`", param="credentials")
        token = response.json()["accessJwt"]
        install_log_redaction([token])
        self.transport.token = token
        if pds != base:  # a session's token is good at its PDS, which proxies app.bsky.* to the AppView
            self.transport.base_url = pds
            self.client.update_base_url(f"{pds}/xrpc")

    def _fetch(self, task: Task) -> tuple[dict, str]:
        app, p, cursor = self.client.app.bsky, dict(task.params), task.cursor
        p.pop("run", None)  # the update run a task belongs to (`run.crawl`): not a parameter of the method
        paging = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        e = task.endpoint
        if e == "app.bsky.actor.getProfiles":
            app.actor.get_profiles(params={"actors": p["actors"]})
        elif e == "app.bsky.feed.searchPosts":
            app.feed.search_posts(params={**p, **paging})
        elif e == "app.bsky.feed.getPostThread":
            app.feed.get_post_thread(params={"uri": p["uri"], "depth": 10})
        elif e == "app.bsky.feed.getRepostedBy":
            app.feed.get_reposted_by(params={"uri": p["uri"], **paging})
        elif e == "app.bsky.feed.getLikes":
            app.feed.get_likes(params={"uri": p["uri"], **paging})
        elif e == "app.bsky.feed.getQuotes":
            app.feed.get_quotes(params={"uri": p["uri"], **paging})
        elif e == "app.bsky.graph.getFollowers":
            app.graph.get_followers(params={"actor": p["actor"], **paging})
        elif e == "app.bsky.graph.getFollows":
            app.graph.get_follows(params={"actor": p["actor"], **paging})
        else:
            raise ValueError(f"unknown method {e}")
        body = self.bridge.last_body
        if e == "app.bsky.actor.getProfiles":  # requested = returned + tombstoned
            returned = {x.get("did") for x in body.get("profiles") or []} | {x.get("handle") for x in body.get("profiles") or []}
            self._missing = {a: "not_found" for a in p["actors"] if a not in returned}
        else:
            self._missing = {}
        return body, self.bridge.last_url
