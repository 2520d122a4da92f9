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
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write
from ..errors import AuthError, BadInput, InflugraphError, Interrupted, UpstreamUnavailable
from ..niches import NicheQuery
from .base import PHASES
from .state import CrawlState, Task
from .transport import Forbidden, Transport, check_secret, install_log_redaction

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .bluesky import BlueskyCredentials

__all__ = ["crawl", "CrawlResult", "CostPlan", "PLATFORMS", "DEFAULT_API_URLS", "cost_plan"]

PLATFORMS = ("x", "bluesky")
DEFAULT_API_URLS = {"x": "https://api.twitter.com", "bluesky": "https://public.api.bsky.app"}
EMPTY_PAGES_LIMIT = 3


@dataclass
class CrawlResult:
    """What a crawl did: requests, pages, rows imported, warnings, and whether it finished."""

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

    def summary(self) -> dict:
        """JSON-ready summary."""
        return {"platform": self.platform, "niche": self.niche, "complete": self.complete, "requests": self.requests,
                "pages": self.pages, "imported": self.imported, "tasks": self.tasks, "warnings": self.warnings,
                "stopped": self.stopped, "state": str(self.state), "raw": str(self.raw) if self.raw else None}


@dataclass(frozen=True)
class CostPlan:
    """What a crawl would send: requests and post reads per endpoint, and the rate-limit waits they imply."""

    niche: str
    platform: str
    max_requests: int
    requests: int
    post_reads: int
    rate_limit_wait_minutes: int
    endpoints: tuple[dict, ...]  # per endpoint: requests, post_reads, per_window, window_minutes, rate_limit_wait_minutes
    note: str

    def summary(self) -> dict:
        """JSON-ready summary, as the command line prints a dry run."""
        return {"niche": self.niche, "platform": self.platform, "max_requests": self.max_requests,
                "requests": self.requests, "post_reads": self.post_reads,
                "rate_limit_wait_minutes": self.rate_limit_wait_minutes,
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


def cost_plan(query: NicheQuery, platform: str = "x", *, max_requests: int | None = None, depth: int | None = None,
              overrides: dict | None = None) -> CostPlan:
    """Requests and post reads per endpoint, and the time the rate limits imply, without sending anything.

    Parameters
    ----------
    query : the niche query; its `[crawl]` table gives the limits.
    platform : "x" or "bluesky".
    max_requests, depth, overrides : as for `crawl`.

    Returns
    -------
    CostPlan: upper bounds per endpoint (`summary()` gives them as a dict).

    >>> cost_plan(load_query("queries/persian-books.toml"), "x").requests   # doctest: +SKIP
    134
    """
    from .x import ENDPOINTS, SEARCH

    limits = _limits(query, max_requests, depth, overrides)
    seeds = len(query.seed_accounts)
    authors = limits.top_authors if limits.top_authors is not None else max(limits.max_posts // 4, 1)
    follower_pages = math.ceil(limits.max_followers / 1000)
    rows = [
        ("/2/users/by", math.ceil(seeds / 100), 0),
        (SEARCH + " (niche)", math.ceil(limits.max_posts / 100), limits.max_posts),
        (SEARCH + " (threads)", math.ceil(limits.threads / 20), limits.threads * 5),
        ("/2/tweets/:id/retweeted_by", limits.top_posts, 0),
        ("/2/tweets/:id/liking_users", limits.top_posts, 0),
        ("/2/tweets/:id/quote_tweets", limits.top_posts, limits.top_posts * 10),
        ("/2/users/:id/followers", (seeds + authors) * follower_pages * (11 if limits.depth >= 2 else 1)
         if limits.depth >= 1 else 0, 0),
        ("/2/users/:id/following", seeds * follower_pages if limits.depth >= 1 else 0, 0),
        ("/2/users (hydrate)", math.ceil(limits.max_posts * 0.2 / 100), 0),
    ]
    table, total, left, minutes = [], 0, limits.max_requests, 0
    for endpoint, wanted, reads in rows:
        planned = max(0, min(wanted, left))
        left -= planned
        total += planned
        key = endpoint.split(" ")[0]
        per_window = ENDPOINTS.get(key, (300, 100, ""))[0] if platform == "x" else 3000
        window = 15 if platform == "x" else 5
        wait = max(0, math.ceil(planned / per_window) - 1) * window if planned else 0
        minutes += wait
        table.append({"endpoint": endpoint, "requests": planned, "post_reads": min(reads, planned * 100),
                      "per_window": per_window, "window_minutes": window, "rate_limit_wait_minutes": wait})
    return CostPlan(niche=query.name, platform=platform, max_requests=limits.max_requests, requests=total,
                    post_reads=sum(r["post_reads"] for r in table), rate_limit_wait_minutes=minutes, endpoints=tuple(table),
                    note=("upper bounds from the query's limits; follower lookups need X's Pro tier, post reads count "
                          "against the monthly cap" if platform == "x" else "upper bounds from the query's limits"))


def _checked(query: NicheQuery, platform: str, api_url: str | None, token: str | None, credentials, resume: bool,
             restart: bool, max_requests: int | None, depth: int | None, overrides: dict | None):
    """Check what needs no network (secrets that cannot be sent are refused); return the API base URL and the limits."""
    if resume and restart:
        raise BadInput("give `resume` or `restart`, not both", param="restart")
    if platform not in PLATFORMS:
        raise BadInput(f"unknown platform {platform!r}", hint=f"use one of {', '.join(PLATFORMS)}", param="platform")
    limits = _limits(query, max_requests, depth, overrides)
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


def _open_state(state_path: Path, query: NicheQuery, platform: str, resume: bool, restart: bool,
                transport: Transport) -> CrawlState:
    """The crawl state of this niche on this platform, fresh with `restart`; refuses to mix two crawls."""
    if restart:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state_path}{suffix}").unlink(missing_ok=True)
    existed = state_path.exists()
    state = CrawlState(state_path, redact=transport.redact)
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
          warn: Callable[[str], None] | None = None, transport_options: dict | None = None) -> CrawlResult:
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

    Returns
    -------
    CrawlResult; a stop by Ctrl-C or SIGTERM raises `Interrupted`, a quota or a crawl whose requests
    reach no server `UpstreamUnavailable`, a refused token or one that cannot be sent (a space, a
    line break or a control character in it) `AuthError`. No error, warning, progress line or
    stored text holds a secret in any form (`transport.redact`).

    >>> crawl(Workspace("ws"), load_query("queries/persian-books.toml"), "x", token=token)   # doctest: +SKIP
    """
    from .. import __version__

    base_url, limits = _checked(query, platform, api_url, token, credentials, resume, restart, max_requests, depth,
                                overrides)
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
                      f"influgraph {__version__}", say, warning, warnings)
    except BaseException as error:
        _scrub(error, transport.redact)
        raise


def _crawl(workspace: "Workspace", query: NicheQuery, platform: str, transport: Transport, limits, credentials,
           pds_url: str | None, resume: bool, restart: bool, version: str, say, warning, warnings: list[str]) -> CrawlResult:
    """The crawl itself, once the inputs are checked and the secrets known (see `crawl`)."""
    folder = workspace.path / "crawl"
    state_path = folder / f"{platform}-{query.name}.sqlite"
    state = _open_state(state_path, query, platform, resume, restart, transport)
    try:
        if platform == "x":
            from .x import XCrawler as Crawler
            login: dict = {}
        else:
            from .bluesky import BlueskyCrawler as Crawler
            login = {"credentials": credentials, "pds_url": pds_url}
        crawler = Crawler(query, state, transport, limits, version=version, warn=warning, progress=say, **login)
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
        tasks: dict[str, int] = {}
        for task in state.tasks():
            tasks[task.status] = tasks.get(task.status, 0) + 1
        return CrawlResult(platform=platform, niche=query.name, complete=state.get("phase") == "done", requests=state.requests,
                           pages=len(state.pages()), state=state_path, raw=raw, imported=imported, warnings=warnings,
                           tasks=tasks, stopped=stopped, sent=transport.sent)
    finally:
        state.close()


def _scrub(error: BaseException, clean: Callable[[str], str]) -> None:
    """Take every form of the secrets out of an escaping error's text, in place (its type and exit code stay)."""
    if isinstance(error, InflugraphError):
        error.message, error.hint = clean(error.message), error.hint and clean(error.hint)
        error.args = (error.one_line(),)
    else:
        error.args = tuple(clean(arg) if isinstance(arg, str) else arg for arg in error.args)


def _run(crawler, state: CrawlState, limits, say, warning) -> str | None:
    """Plan and run phases until done; returns why it stopped early (None when complete)."""
    phases = PHASES
    phase = state.get("phase", phases[0])
    while phase != "done":
        if state.get(f"planned:{phase}") is None:
            tasks = crawler.plan(phase)
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
    while task.status == "pending":
        if state.requests >= limits.max_requests:
            warning(f"stopped at the request budget ({limits.max_requests}); raise `max_requests` and add `resume` to go on")
            return "budget"
        if task.endpoint in crawler.forbidden:
            state.finish_task(task, "forbidden")
            return None
        before = len(crawler.transport.sent)
        try:
            body, url = crawler.fetch(task)
        except Forbidden as error:
            state.add_requests(len(crawler.transport.sent) - before)
            crawler.forbidden.add(task.endpoint)
            warning(crawler.tier_message(task.endpoint, error))
            state.finish_task(task, "forbidden", error.detail)
            return None
        except crawler.request_errors as error:
            state.add_requests(len(crawler.transport.sent) - before)
            text = crawler.transport.redact(str(error).splitlines()[0] if str(error) else type(error).__name__)
            if not any(sent.status is not None for sent in crawler.transport.sent):  # never "complete" with nothing fetched
                raise UpstreamUnavailable(f"{task.endpoint}: no request of this crawl reached {crawler.transport.base_url} "
                                          f"({text})", hint="check `api_url` and the network, then crawl again with "
                                          "`resume`", param="api_url") from None
            warning(f"{task.endpoint} {json.dumps(task.params, ensure_ascii=False)[:80]}: {text}; skipped")
            state.finish_task(task, "failed", text[:200])
            return None
        used = len(crawler.transport.sent) - before
        empty = not crawler.items(body)
        cursor = crawler.cursor(body)
        note = None
        if cursor and state.seen_cursor(task, cursor):
            warning(f"{task.endpoint}: the API repeated a pagination token; this pagination ends here")
            cursor, note = None, "repeated pagination token"
        if cursor and empty and task.empty_pages + 1 >= EMPTY_PAGES_LIMIT:
            warning(f"{task.endpoint}: {EMPTY_PAGES_LIMIT} empty pages in a row; this pagination ends here")
            cursor, note = None, "empty pages"
        if cursor and task.pages + 1 >= crawler.max_pages(task):
            cursor, note = None, "page limit"
        status = "pending" if cursor else "done"
        new_tasks = crawler.next_depth(task, body) if status == "done" else []
        tombstones = crawler.tombstones(body)
        state.commit_page(task, url=url, params=task.params, body=body, version=crawler.version, next_cursor=cursor,
                          status=status, empty=empty, new_tasks=new_tasks, tombstones=tombstones, requests_used=used,
                          note=note)
        crawler.items_stored += len(crawler.items(body))
        say(f"requests {state.requests:,}/{limits.max_requests:,} · items stored {crawler.items_stored:,} · "
            f"{task.stage}: {task.endpoint} page {task.pages} committed")
    return None


def _import(workspace: "Workspace", state: CrawlState, crawler, query: NicheQuery) -> dict:
    pages = state.pages()
    if not pages:
        return {}
    batch, notes = crawler.read_pages([(url, body) for _, url, body in pages])
    result = workspace.commit(batch, sources={f"crawl:{crawler.platform}:{query.name}": {"pages": len(pages)}})
    state.mark_imported([page_id for page_id, _, _ in pages])
    return {"added": result.added(), "rows": result.after, "changed": result.changed, "notes": notes}


def _write_raw(state: CrawlState, path: Path, transport: Transport) -> Path:
    """The raw pages as JSONL with their provenance (parameters never hold secrets; redacted anyway)."""
    def write(handle) -> None:
        for page in state.raw_pages():
            page["__twarc"] = {"url": page["__influgraph"]["url"]}
            handle.write((transport.redact(json.dumps(page, ensure_ascii=False)) + "\n").encode("utf-8"))

    atomic_write(path, write)
    return path
