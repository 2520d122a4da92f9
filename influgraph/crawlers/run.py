"""Run a crawl: plan phases, fetch pages one transaction at a time, import them, keep the raw pages.

`crawl()` is the library call behind `influgraph crawl`. The state lives in
`WORKSPACE/crawl/PLATFORM-NICHE.sqlite`; the raw pages, with endpoint, parameters, time and
tool version, are also written to `WORKSPACE/crawl/PLATFORM-NICHE.pages.jsonl`, which
`influgraph import` reads, so a graph can be rebuilt offline.

Credentials are parameters (`token`, `credentials`); this module reads no environment variable
and never writes a secret into a log line, an error, the state or the raw pages.
"""
from __future__ import annotations

import hashlib
import json
import math
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write
from .. import jsontext
from ..errors import AuthError, BadInput, InflugraphError, Interrupted, UpstreamUnavailable
from ..niches import NicheQuery
from .base import LOST, PHASES, UPDATE_PHASES, phase_reports
from .pricing import PRICES, PriceTable, price_table, query_length, tier_limits
from .state import CrawlState, Task, base_stage, run_stage
from .transport import Forbidden, Transport, check_secret, install_log_redaction, status_refused

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .bluesky import BlueskyCredentials

__all__ = ["crawl", "CrawlResult", "CostPlan", "PLATFORMS", "DEFAULT_API_URLS", "cost_plan", "EXIT_LOST_PHASE",
           "known_tasks"]

EXIT_LOST_PHASE = 6  # `influgraph crawl`: finished, but a phase was lost (forbidden or refused); see CrawlResult

PLATFORMS = ("x", "bluesky", "mastodon")  # Mastodon has no default: `api_url` names the instance
DEFAULT_API_URLS = {"x": "https://api.twitter.com", "bluesky": "https://public.api.bsky.app"}
EMPTY_PAGES_LIMIT = 3


@dataclass
class CrawlResult:
    """What a crawl did: requests, pages, rows imported, each phase's counts, money spent, and whether it finished.

    `finished` is True when every phase ran to its end; `complete` only when, besides, no phase
    was lost (`lost`: the phases an endpoint refused or forbade, with reason and fix). A script
    tells the two apart by the exit code of `influgraph crawl` (`EXIT_LOST_PHASE`) or by the
    `lost phase:` warning line.
    """

    platform: str
    niche: str
    complete: bool
    requests: int
    pages: int
    state: Path
    raw: Path | None = None
    imported: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    tasks: dict = field(default_factory=dict)
    stopped: str | None = None
    sent: list = field(default_factory=list)  # every HTTP attempt of this run (transport.Sent)
    finished: bool = False
    phases: list = field(default_factory=list)  # PhaseReport.summary() of each phase
    spent: float = 0.0  # money billed by the pages this crawl stored, over every run
    currency: str = "USD"

    @property
    def lost(self) -> list[dict]:
        """The phases that were lost (forbidden, or refused with nothing stored), with reason and fix."""
        return [p for p in self.phases if p["status"] == LOST]

    def summary(self) -> dict:
        """JSON-ready summary."""
        return {"platform": self.platform, "niche": self.niche, "complete": self.complete, "finished": self.finished,
                "requests": self.requests, "pages": self.pages, "imported": self.imported, "tasks": self.tasks,
                "phases": self.phases, "lost_phases": [p["phase"] for p in self.lost],
                "spent": round(self.spent, 4), "currency": self.currency, "warnings": self.warnings,
                "stopped": self.stopped, "state": str(self.state), "raw": str(self.raw) if self.raw else None}


@dataclass(frozen=True)
class CostPlan:
    """What a crawl would send and cost: per endpoint requests, items, rate-limit waits for the tier, and money."""

    niche: str
    platform: str
    max_requests: int
    requests: int
    post_reads: int
    rate_limit_wait_minutes: int
    endpoints: tuple[dict, ...]  # per endpoint: requests, items, kind, per_window, window_minutes, wait, cost
    note: str
    tier: str = "self-serve"
    items: int = 0
    cost: float = 0.0
    prices: dict = field(default_factory=dict)  # the price table used (PriceTable.summary())
    over_post_cap: bool = False

    def summary(self) -> dict:
        """JSON-ready summary, as the command line prints a dry run."""
        return {"niche": self.niche, "platform": self.platform, "tier": self.tier, "max_requests": self.max_requests,
                "requests": self.requests, "items": self.items, "post_reads": self.post_reads,
                "rate_limit_wait_minutes": self.rate_limit_wait_minutes, "estimated_cost": round(self.cost, 2),
                "over_monthly_post_cap": self.over_post_cap, "prices": self.prices,
                "endpoints": [dict(row) for row in self.endpoints], "note": self.note}


def _limits(query: NicheQuery, max_requests: int | None, depth: int | None, overrides: dict | None):
    from .base import Limits

    values = {k: v for k, v in query.crawl.items() if k in Limits.__dataclass_fields__}
    values.update(overrides or {})
    if max_requests is not None:
        values["max_requests"] = max_requests
    if depth is not None:
        values["depth"] = depth
    for key in ("max_requests", "max_posts", "max_followers"):
        if values.get(key, 1) < 1:
            raise BadInput(f"{key} must be at least 1, got {values[key]}")
    if values.get("depth", 1) not in (0, 1, 2):
        raise BadInput(f"depth must be 0, 1 or 2, got {values['depth']}", hint="depth 2 is already thousands of requests")
    if values.get("max_cost") is not None and not 0 <= values["max_cost"] < 1e9:
        raise BadInput(f"`max_cost` must be a sum of money from 0, got {values['max_cost']}", param="max_cost")
    query_length(values.get("tier"))  # an unknown tier is refused here, before anything is sent
    if (values.get("since_days") or 0) > 7:
        raise BadInput(f"the crawl's since_days is {values['since_days']}, but X's recent search serves only the last 7 days",
                       hint="set since_days to 7 or less in the query's [crawl] table")
    return Limits(**values)


def _query_hash(query: NicheQuery) -> str:
    text = json.dumps([query.name, query.languages, query.keywords, query.hashtags, query.seed_accounts,
                       query.exclude_keywords, query.exclude_hashtags], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises KeyboardInterrupt in the main thread, so both signals stop a crawl the same way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _plan_rows(query: NicheQuery, limits, platform: str) -> list[tuple[str, int, int, str]]:
    """(endpoint, requests, items, billed kind) upper bounds of each endpoint a crawl of `query` calls."""
    from .x import SEARCH, search_queries

    seeds = len(query.seed_accounts)
    authors = limits.top_authors if limits.top_authors is not None else max(limits.max_posts // 4, 1)
    page = 1000 if platform == "x" else 100
    follower_pages = math.ceil(limits.max_followers / page)
    lists = (seeds + authors) * (11 if limits.depth >= 2 else 1) if limits.depth >= 1 else 0
    followed = seeds if limits.depth >= 1 else 0
    length = query_length(limits.tier)
    niche = max(len(search_queries(query, length)), 1) if platform == "x" else len(query.search_terms())
    per_thread_query = max(1, (length + 4) // len(" OR conversation_id:1700000000000000000"))
    threads = math.ceil(limits.threads / per_thread_query) if platform == "x" else limits.threads
    search_pages = math.ceil(limits.max_posts / 100)
    lookup = 100 if platform == "x" else 25  # users per lookup: X's /2/users/by, Bluesky's getProfiles (lexicon limit)
    rows = [
        ("/2/users/by", math.ceil(seeds / lookup), seeds, "user"),
        (SEARCH + " (niche)", niche * search_pages, niche * limits.max_posts, "post"),
        ("  expansions: authors", 0, niche * limits.max_posts, "user"),
        (SEARCH + " (threads)", threads, limits.threads * 5, "post"),
        ("/2/tweets/:id/retweeted_by", limits.top_posts, limits.top_posts * 100, "user"),
        ("/2/tweets/:id/liking_users", limits.top_posts, limits.top_posts * 100, "user"),
        ("/2/tweets/:id/quote_tweets", limits.top_posts, limits.top_posts * 100, "post"),
        ("/2/users/:id/followers", lists * follower_pages, lists * limits.max_followers, "user"),
        ("/2/users/:id/following", followed * follower_pages, followed * limits.max_followers, "user"),
        ("/2/users (hydrate)", math.ceil(limits.max_posts * 0.2 / lookup), math.ceil(limits.max_posts * 0.2), "user"),
    ]
    if platform == "x":
        return rows
    return [(BLUESKY_ENDPOINTS[name.strip()] if not name.startswith("  ") else "  authors: in the answers", *rest)
            for name, *rest in rows]


# the Bluesky method that plays the part of each X endpoint in a crawl plan
BLUESKY_ENDPOINTS = {"/2/users/by": "app.bsky.actor.getProfiles", "/2/tweets/search/recent (niche)": "app.bsky.feed.searchPosts",
                     "/2/tweets/search/recent (threads)": "app.bsky.feed.getPostThread",
                     "/2/tweets/:id/retweeted_by": "app.bsky.feed.getRepostedBy", "/2/tweets/:id/liking_users": "app.bsky.feed.getLikes",
                     "/2/tweets/:id/quote_tweets": "app.bsky.feed.getQuotes", "/2/users/:id/followers": "app.bsky.graph.getFollowers",
                     "/2/users/:id/following": "app.bsky.graph.getFollows", "/2/users (hydrate)": "app.bsky.actor.getProfiles (hydrate)"}


def cost_plan(query: NicheQuery, platform: str = "x", *, max_requests: int | None = None, depth: int | None = None,
              overrides: dict | None = None, prices: dict | None = None, tier: str | None = None) -> CostPlan:
    """Requests, items, rate-limit time and money per endpoint, without sending anything.

    Parameters
    ----------
    query : the niche query; its `[crawl]` table gives the limits (and the tier), its `[prices]` prices.
    platform : "x" or "bluesky" (Bluesky is free; its AppView allows 3,000 requests / 5 min).
    max_requests, depth, overrides : as for `crawl`.
    prices, tier : as for `crawl` (`pricing`: X's pay-per-use table, the self-serve tier by default).

    Returns
    -------
    CostPlan: upper bounds per endpoint, within `max_requests` (`summary()` gives them as a dict). The
    price is an upper bound: a resource read again within the same UTC day is charged once, and the
    plan flags a crawl over the monthly post-read cap (`pricing.PriceTable.monthly_post_cap`).

    >>> cost_plan(load_query("queries/persian-books.toml"), "x").cost   # doctest: +SKIP
    52.3
    """
    limits = _limits(query, max_requests, depth, {**(overrides or {}), **({"tier": tier} if tier else {})})
    if platform == "mastodon":  # free; one window of 300 requests / 5 min per instance for every endpoint
        from .mastodon import mastodon_cost_plan

        return mastodon_cost_plan(query, limits)
    table = price_table({**query.prices, **(prices or {})})
    rows, total, left, minutes, money = [], 0, limits.max_requests, 0, 0.0
    for endpoint, wanted, items, kind in _plan_rows(query, limits, platform):
        planned = max(0, min(wanted, left))
        left -= planned
        total += planned
        share = items if not wanted else (items * planned // wanted if wanted else 0)
        if endpoint.startswith("  "):  # the expansions of the niche search: as many as the posts it can return
            share = rows[-1]["items"]
        per_window, window = tier_limits(limits.tier, endpoint.split(" ")[0]) if platform == "x" else (3000, 5)
        wait = max(0, math.ceil(planned / per_window) - 1) * window if planned else 0
        minutes += wait
        price = table.per_item.get(kind, 0.0) if platform == "x" else 0.0
        money += share * price
        rows.append({"endpoint": endpoint, "requests": planned, "items": share, "kind": kind,
                     "post_reads": share if kind == "post" else 0, "per_window": per_window, "window_minutes": window,
                     "rate_limit_wait_minutes": wait, "cost": round(share * price, 2)})
    posts = sum(r["post_reads"] for r in rows)
    minutes = _shared_waits(rows, platform)
    note = (f"upper bounds from the query's limits on X's {limits.tier} tier; prices of {table.date} ({table.source}); "
            f"{table.dedup}; at most {table.monthly_post_cap:,} post reads a month" if platform == "x" else
            "upper bounds from the query's limits; Bluesky's AppView charges nothing")
    return CostPlan(niche=query.name, platform=platform, max_requests=limits.max_requests, requests=total,
                    post_reads=posts, rate_limit_wait_minutes=minutes, endpoints=tuple(rows), note=note,
                    tier=limits.tier, items=sum(r["items"] for r in rows), cost=money if platform == "x" else 0.0,
                    prices=table.summary() if platform == "x" else {},
                    over_post_cap=platform == "x" and posts > table.monthly_post_cap)


def _shared_waits(rows: list[dict], platform: str) -> int:
    """Minutes of rate-limit waits of a whole plan: endpoints that share a window count together.

    On X each route has its window (the niche and the thread searches share recent search's); on
    Bluesky the AppView's 3,000 requests / 5 min cover every method.
    """
    buckets: dict[str, list[int]] = {}
    for row in rows:
        key = row["endpoint"].split(" ")[0] if platform == "x" else "all"
        bucket = buckets.setdefault(key, [0, row["per_window"], row["window_minutes"]])
        bucket[0] += row["requests"]
    return sum(max(0, math.ceil(requests / per_window) - 1) * window for requests, per_window, window in buckets.values() if requests)


def _checked(query: NicheQuery, platform: str, api_url: str | None, token: str | None, credentials, resume: bool,
             restart: bool, max_requests: int | None, depth: int | None, overrides: dict | None):
    """Check what needs no network (secrets that cannot be sent are refused); return the API base URL and the limits."""
    if resume and restart:
        raise BadInput("give `resume` or `restart`, not both", param="restart")
    if platform not in PLATFORMS:
        raise BadInput(f"unknown platform {platform!r}", hint=f"use one of {', '.join(PLATFORMS)}", param="platform")
    limits = _limits(query, max_requests, depth, overrides)
    if api_url is not None:
        _check_url(api_url, "api_url")
    if platform == "mastodon" and not api_url:
        raise BadInput("a Mastodon crawl needs the instance to read", hint="pass the instance's URL as `api_url` "
                       "(e.g. https://mastodon.social)", param="api_url")
    base_url = (api_url or DEFAULT_API_URLS[platform]).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise BadInput(f"API URL {base_url!r} is not an http(s) URL", hint="pass an http(s) URL as `api_url`", param="api_url")
    if platform == "x" and not token:
        raise AuthError("no X bearer token", hint="pass an X API bearer token as `token`", param="token")
    if token:
        check_secret(token, "token")
    if credentials is not None:
        check_secret(credentials.app_password, "credentials", "app password", header=False)
        check_secret(credentials.handle, "credentials", "handle", header=False)
    return base_url, limits


def _check_url(url: str, param: str) -> None:
    """Refuse a URL holding whitespace or a control character (a pasted line break, a tab), naming its place."""
    for place, char in enumerate(url, 1):
        if char.isspace() or not char.isprintable():
            kind = {"\n": "a line break", "\r": "a carriage return", " ": "a space", "\t": "a tab"}.get(
                char, f"a control character (U+{ord(char):04X})")
            raise BadInput(f"the API URL holds {kind} at character {place} of {len(url)}",
                           hint=f"give `{param}` as one http(s) URL without spaces or control characters", param=param)


def _open_state(state_path: Path, query: NicheQuery, platform: str, resume: bool, restart: bool,
                transport: Transport, durable: bool = True, clock=None) -> CrawlState:
    """The crawl state of this niche on this platform, fresh with `restart`; refuses to mix two crawls."""
    if restart:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state_path}{suffix}").unlink(missing_ok=True)
    existed = state_path.exists()
    state = CrawlState(state_path, redact=transport.redact, durable=durable, clock=clock)
    try:
        if existed and state.get("query_hash") not in (None, _query_hash(query)):
            raise BadInput(f"the niche query changed since this crawl started ({state_path.name})",
                           hint="add `restart` to crawl again from the start", param="restart")
        if existed and not resume and state.get("phase") != "done":
            raise BadInput(f"an unfinished crawl of {query.name} on {platform} exists",
                           hint="add `resume` to continue it, or `restart` to start over", param="resume")
        state.set("query_hash", _query_hash(query))
    except BaseException:
        state.close()
        raise
    return state


def crawl(workspace: "Workspace", query: NicheQuery, platform: str = "x", *, api_url: str | None = None,
          token: str | None = None, credentials: "BlueskyCredentials | None" = None, pds_url: str | None = None,
          max_requests: int | None = None, depth: int | None = None, resume: bool = False,
          restart: bool = False, overrides: dict | None = None, progress: Callable[[str], None] | None = None,
          warn: Callable[[str], None] | None = None, transport_options: dict | None = None,
          max_cost: float | None = None, prices: dict | None = None, tier: str | None = None,
          durable: bool = True, known: list[tuple[str, dict]] | None = None, update: bool = False,
          clock: Callable[[], datetime] | None = None) -> CrawlResult:
    """Crawl `query` on `platform` into `workspace` (see the module docstrings for every rule).

    Parameters
    ----------
    workspace, query, platform : where to, what ("x" or "bluesky").
    api_url : the API base URL (a mirror, a proxy, a simulator) [default: the platform's, `DEFAULT_API_URLS`].
    token : the bearer token: X's (required), or a Bluesky access token sent from the start.
    credentials : Bluesky only: a handle and app password to log in with when the AppView answers 401.
    pds_url : Bluesky only: where to log in [default: `api_url`].
    max_requests, depth, overrides : limits over the query's `[crawl]` table.
    resume, restart : continue an unfinished crawl of this niche, or forget it and start over.
    progress, warn : callbacks for progress lines and warnings; transport_options : `Transport` fields.
    max_cost : stop before the money billed (`pricing`, counted from the items answers returned, once
        per UTC day) could pass this sum; the stop raises `UpstreamUnavailable` with a resume hint.
    prices : prices per item over the query's `[prices]` and `pricing.PRICES` ({"post": 0.005, "user": 0.01}).
    tier : X's access tier over the query's `[crawl] tier` [default: "self-serve"]: query length, rate limits.
    durable : sync each committed page to disk (SQLite FULL); False (NORMAL) still survives any crash of the
        process, and a power cut costs at most the last pages (the demo's throwaway crawl uses it).
    known : (endpoint, params) of tasks whose pages this workspace already holds from another crawl (the follower
        lists an earlier niche's crawl fetched the same day): not planned again (`known_tasks` lists a crawl's).
    update : fetch only what is new since the last finished run of this niche on this platform (`UPDATE_PHASES`:
        the searches from the newest post seen: X `since_id`, Bluesky `since`, Mastodon `min_id`; threads; the
        engagement of the new posts; profiles and follower lists of the accounts first seen now). Refused
        (BadInput) when there is no finished crawl to update, or an unfinished one (`resume` it first).
    clock : when a page is retrieved (returns an aware datetime) [default: the system clock]: the pages'
        `retrieved_at`, the rows' `observed_at`, and "now" for X's `start_time`; the demo passes its world's.

    Returns
    -------
    CrawlResult (with each phase's counts, the lost phases and the money spent); a stop by Ctrl-C or SIGTERM raises `Interrupted`, a quota or a crawl whose requests
    reach no server `UpstreamUnavailable`, a refused token or one that cannot be sent (a space, a
    line break or a control character in it) `AuthError`. No error, warning, progress line or
    stored text holds a secret in any form (`transport.redact`).

    >>> crawl(Workspace("ws"), load_query("queries/persian-books.toml"), "x", token=token)   # doctest: +SKIP
    """
    from .. import __version__

    overrides = {**(overrides or {}), **({"tier": tier} if tier else {}),
                 **({"max_cost": float(max_cost)} if max_cost is not None else {})}
    base_url, limits = _checked(query, platform, api_url, token, credentials, resume, restart, max_requests, depth,
                                overrides)
    if update and restart:
        raise BadInput("give `update` or `restart`, not both", param="update")
    table = price_table({**getattr(query, "prices", {}), **(prices or {})})
    install_log_redaction([token or "", credentials.app_password if credentials else ""])
    transport = Transport(base_url, token=token, secrets=[credentials.app_password] if credentials else [],
                          **(transport_options or {}), on_wait=lambda why, s: say(f"waiting {s:.0f} s: {why}"))
    warnings: list[str] = []

    def say(message: str) -> None:
        (progress or (lambda m: None))(transport.redact(message))

    def warning(message: str) -> None:
        warnings.append(transport.redact(message))
        (warn or (lambda m: None))(warnings[-1])

    try:
        return _crawl(workspace, query, platform, transport, limits, credentials, pds_url, resume, restart,
                      f"influgraph {__version__}", say, warning, warnings, table, durable, known, update=update,
                      clock=clock)
    except BaseException as error:
        _scrub(error, transport.redact)
        raise


def _crawl(workspace: "Workspace", query: NicheQuery, platform: str, transport: Transport, limits, credentials,
           pds_url: str | None, resume: bool, restart: bool, version: str, say, warning, warnings: list[str],
           table: PriceTable = PRICES, durable: bool = True, known=None, *, update: bool = False,
           clock=None) -> CrawlResult:
    """The crawl itself, once the inputs are checked and the secrets known (see `crawl`)."""
    folder = workspace.path / "crawl"
    state_path = folder / f"{platform}-{query.name}.sqlite"
    if update and not state_path.exists():  # refused before any state file is made
        _start_update(None, query, platform)
    state = _open_state(state_path, query, platform, resume, restart, transport, durable, clock)
    try:
        if update:
            _start_update(state, query, platform)
    except BaseException:
        state.close()
        raise
    try:
        if platform == "x":
            from .x import XCrawler as Crawler
            login: dict = {}
        elif platform == "mastodon":
            from .mastodon import MastodonCrawler as Crawler
            login = {}
        else:
            from .bluesky import BlueskyCrawler as Crawler
            login = {"credentials": credentials, "pds_url": pds_url}
        crawler = Crawler(query, state, transport, limits, version=version, warn=warning, progress=say, **login)
        crawler.prices = dict(table.per_item) if platform == "x" else {}
        crawler.known = _Known(known or [])
        stopped = None
        with _sigterm_as_interrupt():
            try:
                stopped = _run(crawler, state, limits, say, warning)
            except KeyboardInterrupt:
                raise Interrupted(f"crawl of {query.name} on {platform} stopped after {state.requests} requests; "
                                  "every committed page is kept",
                                  hint="crawl again with `resume` to go on", param="resume") from None
        say("importing the crawled pages")
        imported = _import(workspace, state, crawler, query)
        raw = _write_raw(state, folder / f"{platform}-{query.name}.pages.jsonl", transport)
        return _result(crawler, state, query, stopped, imported, raw, warning, warnings, table)
    finally:
        state.close()


class _Known:
    """A set of (endpoint, params) pairs, params compared as their canonical JSON."""

    def __init__(self, pairs: list[tuple[str, dict]]):
        self.keys = {(endpoint, json.dumps(params, sort_keys=True)) for endpoint, params in pairs}

    def __contains__(self, pair: tuple[str, dict]) -> bool:
        return bool(self.keys) and (pair[0], json.dumps(pair[1], sort_keys=True)) in self.keys


def known_tasks(result: CrawlResult, stage: str = "followers") -> list[tuple[str, dict]]:
    """(endpoint, params) of the finished tasks of `stage` in a crawl: for `crawl(known=...)` of the next niche."""
    state = CrawlState(result.state)
    try:
        return [(task.endpoint, task.params) for task in state.tasks(stage, status="done")]
    finally:
        state.close()


def _result(crawler, state: CrawlState, query: NicheQuery, stopped: str | None, imported: dict, raw: Path,
            warning, warnings: list[str], table: PriceTable) -> CrawlResult:
    """The result of a run: counts per phase, the lost ones as warning lines, the money spent; a cost stop raises."""
    tasks: dict[str, int] = {}
    for status_counts in state.stage_counts().values():
        for status, n in status_counts.items():
            if status != "pages":
                tasks[status] = tasks.get(status, 0) + n
    phases = [report.summary() for report in phase_reports(state)]
    finished = state.get("phase") == "done"
    for lost in (p for p in phases if p["status"] == LOST):
        warning(f"lost phase: {lost['phase']} ({lost['reason'] or 'refused'}); fix: {lost['fix'] or 'see the reason'}")
    spent = state.billed
    if stopped == "cost":
        raise UpstreamUnavailable(f"stopped before passing the budget: spent {spent:.2f} {table.currency} of `max_cost` "
                                  f"{crawler.limits.max_cost:.2f}; the {len(state.pages())} pages so far are imported",
                                  hint="raise `max_cost` and crawl again with `resume`", param="max_cost")
    return CrawlResult(platform=crawler.platform, niche=query.name, complete=finished and not any(
                       p["status"] == LOST for p in phases), requests=state.requests, pages=len(state.pages()),
                       state=state.path, raw=raw, imported=imported, warnings=warnings, tasks=tasks, stopped=stopped,
                       sent=crawler.transport.sent, finished=finished, phases=phases, spent=spent, currency=table.currency)


def _scrub(error: BaseException, clean: Callable[[str], str]) -> None:
    """Take every form of the secrets out of an escaping error's text, in place (its type and exit code stay)."""
    if isinstance(error, InflugraphError):
        error.message, error.hint = clean(error.message), error.hint and clean(error.hint)
        error.args = (error.one_line(),)
    else:
        error.args = tuple(clean(arg) if isinstance(arg, str) else arg for arg in error.args)


def _start_update(state: CrawlState | None, query: NicheQuery, platform: str) -> None:
    """Begin update run N+1 of a finished crawl (its phases are `UPDATE_PHASES` as `PHASE#N+1`); BadInput when
    there is no finished crawl to update. An unfinished update is continued with `resume`, not started again."""
    if state is None or state.get("phase") is None:
        raise BadInput(f"no earlier crawl of {query.name} on {platform} to update in this workspace",
                       hint="crawl it once without `update` first", param="update")
    if state.get("phase") != "done":
        raise BadInput(f"the last crawl of {query.name} on {platform} is unfinished",
                       hint="finish it with `resume` (without `update`), then update", param="update")
    run = state.run + 1
    state.db.execute("BEGIN IMMEDIATE")
    state.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('run', ?)", (str(run),))
    state.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('phase', ?)", (run_stage(UPDATE_PHASES[0], run),))
    state.db.execute("COMMIT")


def _run(crawler, state: CrawlState, limits, say, warning) -> str | None:
    """Plan and run phases until done; returns why it stopped early (None when complete)."""
    run = state.run
    phases = tuple(run_stage(p, run) for p in (PHASES[:-1] if run == 0 else UPDATE_PHASES)) + ("done",)
    phase = state.get("phase", phases[0])
    while phase != "done":
        if state.get(f"planned:{phase}") is None:
            tasks = [(phase, t[1], {**t[2], "run": run} if run else t[2], t[3])  # a task is (endpoint, params): each
                     for t in crawler.plan(base_stage(phase)) if (t[1], t[2]) not in crawler.known]  # run asks anew
            state.db.execute("BEGIN IMMEDIATE")
            state.add_tasks(tasks, within=True)
            state.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, '1')", (f"planned:{phase}",))
            state.db.execute("COMMIT")
            if tasks:
                say(f"{phase}: {len(tasks)} tasks")
        while True:
            pending = state.next_pending()
            if pending is None:
                break
            why = _run_task(crawler, state, pending, limits, say, warning)
            if why:
                return why
        phase = phases[phases.index(phase) + 1]
        state.set("phase", phase)
    return None


def _run_task(crawler, state: CrawlState, task: Task, limits, say, warning) -> str | None:
    """Fetch and commit the pages of one task until it is done, refused, or a budget stops the crawl."""
    while task.status == "pending":
        if state.requests >= limits.max_requests:
            warning(f"stopped at the request budget ({limits.max_requests}); raise `max_requests` and add `resume` to go on")
            return "budget"
        if limits.max_cost is not None:
            bound = crawler.page_cost_bound(task, crawler.prices)
            if bound and state.billed + bound > limits.max_cost + 1e-9:
                warning(f"stopped before the cost budget: spent {state.billed:.2f} of {limits.max_cost:.2f}, and the next "
                        f"{task.endpoint} page can cost up to {bound:.2f}; raise `max_cost` and add `resume` to go on")
                return "cost"
        if task.endpoint in crawler.forbidden:
            state.finish_task(task, "forbidden")
            return None
        before = len(crawler.transport.sent)
        fetched = _fetch(crawler, state, task, warning)
        if fetched is None:
            return None
        body, url = fetched
        _commit(crawler, state, task, body, url, len(crawler.transport.sent) - before, warning)
        say(f"requests {state.requests:,}/{limits.max_requests:,} · items stored {crawler.items_stored:,} · "
            f"{task.stage}: {task.endpoint} page {task.pages} committed")
    return None


def _fetch(crawler, state: CrawlState, task: Task, warning) -> tuple[dict, str] | None:
    """One page of `task`, or None when the service refused it (the task is then marked refused, forbidden or failed)."""
    before = len(crawler.transport.sent)
    try:
        return crawler.fetch(task)
    except Forbidden as error:
        state.add_requests(len(crawler.transport.sent) - before, task.stage)
        crawler.forbidden.add(task.endpoint)
        warning(crawler.tier_message(task.endpoint, error))
        crawler.note_refusal(task.stage, f"GET {task.endpoint}: {error.detail}",
                             crawler.refusal_fix(task.endpoint, 403, error.detail))
        state.finish_task(task, "forbidden", error.detail)
        return None
    except crawler.request_errors as error:
        sent = crawler.transport.sent
        state.add_requests(len(sent) - before, task.stage)
        text = crawler.transport.redact(crawler.error_text(error))
        if not any(one.status is not None for one in sent):  # never "complete" with nothing fetched
            raise UpstreamUnavailable(f"{task.endpoint}: no request of this crawl reached {crawler.transport.base_url} "
                          f"({text})", hint="check `api_url` and the network, then crawl again with "
                                      "`resume`", param="api_url") from None
        status = sent[-1].status if len(sent) > before else None
        refused = status_refused(status)
        warning(f"{task.endpoint} {json.dumps(task.params, ensure_ascii=False)[:80]}: {text}; "
                f"{'refused' if refused else 'skipped'}")
        if refused:
            crawler.note_refusal(task.stage, f"GET {task.endpoint}: HTTP {status}: {text}"[:300],
                                 crawler.refusal_fix(task.endpoint, status, text))
        state.finish_task(task, "refused" if refused else "failed", text[:200])
        return None


def _commit(crawler, state: CrawlState, task: Task, body: dict, url: str, used: int, warning) -> None:
    """Commit one page with its cursor, the tasks it creates, its tombstones, counts and charges."""
    items = crawler.items(body)
    cursor = crawler.cursor(body)
    note = None
    if cursor and state.seen_cursor(task, cursor):
        warning(f"{task.endpoint}: the API repeated a pagination token; this pagination ends here")
        cursor, note = None, "repeated pagination token"
    if cursor and not items and task.empty_pages + 1 >= EMPTY_PAGES_LIMIT:
        warning(f"{task.endpoint}: {EMPTY_PAGES_LIMIT} empty pages in a row; this pagination ends here")
        cursor, note = None, "empty pages"
    if cursor and task.pages + 1 >= crawler.max_pages(task):
        cursor, note = None, "page limit"
    status = "pending" if cursor else "done"
    new_tasks = [t for t in crawler.next_depth(task, body) if (t[1], t[2]) not in crawler.known] if status == "done" else []
    state.commit_page(task, url=url, params=task.params, body=body, version=crawler.version, next_cursor=cursor,
                      status=status, empty=not items, new_tasks=new_tasks, tombstones=crawler.tombstones(body),
                      requests_used=used, note=note, items=len(items), charges=crawler.charges(task, body),
                      prices=crawler.prices)
    crawler.items_stored += len(items)


def _import(workspace: "Workspace", state: CrawlState, crawler, query: NicheQuery) -> dict:
    pages = state.pages()
    if not pages:
        return {}
    batch, notes = crawler.read_pages([(url, body) for _, url, body in pages])
    batch = batch.observed(state.last_retrieved())  # rows unchanged since an earlier run keep their time (upsert)
    result = workspace.commit(batch, sources={f"crawl:{crawler.platform}:{query.name}": {"pages": len(pages)}})
    state.mark_imported([page_id for page_id, _, _ in pages])
    return {"added": result.added(), "rows": result.after, "changed": result.changed, "notes": notes}


def _write_raw(state: CrawlState, path: Path, transport: Transport) -> Path:
    """The raw pages as JSONL with their provenance (parameters never hold secrets; redacted anyway)."""
    def write(handle) -> None:
        for line in state.raw_lines():
            handle.write((transport.redact(line) + "\n").encode("utf-8"))

    atomic_write(path, write)
    return path
