"""Run a crawl: plan phases, fetch pages one transaction at a time, import them, keep the raw pages.

`crawl()` is the library call behind `influgraph crawl`. The state lives in
`WORKSPACE/crawl/PLATFORM-NICHE.sqlite`; the raw pages, with endpoint, parameters, time and
tool version, are also written to `WORKSPACE/crawl/PLATFORM-NICHE.pages.jsonl`, which
`influgraph import` reads, so a graph can be rebuilt offline.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write
from ..errors import AuthError, BadInput, Interrupted
from ..niches import NicheQuery
from .base import PHASES
from .state import CrawlState, Task
from .transport import Forbidden, Transport, install_log_redaction, redact

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["crawl", "CrawlResult", "PLATFORMS", "TOKEN_VARIABLES", "API_URL_VARIABLES", "DEFAULT_API_URLS", "cost_plan"]

PLATFORMS = ("x", "bluesky")
TOKEN_VARIABLES = {"x": ("X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN"), "bluesky": ("BLUESKY_ACCESS_TOKEN",)}
API_URL_VARIABLES = {"x": "INFLUGRAPH_X_API_URL", "bluesky": "INFLUGRAPH_BLUESKY_API_URL"}
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


def token_from_environment(platform: str) -> str | None:
    """The API token from the platform's environment variables, or None."""
    for name in TOKEN_VARIABLES.get(platform, ()):
        if os.environ.get(name):
            return os.environ[name]
    return None


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
              overrides: dict | None = None) -> dict:
    """Requests and post reads per endpoint, and the time the rate limits imply, without sending anything."""
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
    return {"niche": query.name, "platform": platform, "max_requests": limits.max_requests, "requests": total,
            "post_reads": sum(r["post_reads"] for r in table), "rate_limit_wait_minutes": minutes, "endpoints": table,
            "note": ("upper bounds from the query's limits; follower lookups need X's Pro tier, post reads count "
                     "against the monthly cap" if platform == "x" else "upper bounds from the query's limits")}


def crawl(workspace: "Workspace", query: NicheQuery, platform: str = "x", *, api_url: str | None = None,
          token: str | None = None, max_requests: int | None = None, depth: int | None = None, resume: bool = False,
          restart: bool = False, overrides: dict | None = None, progress: Callable[[str], None] | None = None,
          warn: Callable[[str], None] | None = None, transport_options: dict | None = None) -> CrawlResult:
    """Crawl `query` on `platform` into `workspace` (see the module docstrings for every rule)."""
    from .. import __version__

    if platform not in PLATFORMS:
        raise BadInput(f"unknown platform {platform!r}", hint=f"use one of {', '.join(PLATFORMS)}")
    limits = _limits(query, max_requests, depth, overrides)
    say = progress or (lambda message: None)
    warnings: list[str] = []

    def warning(message: str) -> None:
        warnings.append(message)
        (warn or (lambda m: None))(message)

    base_url = (api_url or os.environ.get(API_URL_VARIABLES[platform]) or DEFAULT_API_URLS[platform]).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise BadInput(f"API URL {base_url!r} is not an http(s) URL", hint=f"pass --api-url or set {API_URL_VARIABLES[platform]}")
    token = token or token_from_environment(platform)
    if platform == "x" and not token:
        raise AuthError("no X bearer token", hint="set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) in the environment")
    install_log_redaction([token or ""])
    folder = workspace.path / "crawl"
    state_path = folder / f"{platform}-{query.name}.sqlite"
    if restart:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state_path}{suffix}").unlink(missing_ok=True)
    existed = state_path.exists()
    state = CrawlState(state_path)
    try:
        if existed and state.get("query_hash") not in (None, _query_hash(query)):
            raise BadInput(f"the niche query changed since this crawl started ({state_path.name})",
                           hint="add --restart to crawl again from the start")
        if existed and not resume and state.get("phase") != "done":
            raise BadInput(f"an unfinished crawl of {query.name} on {platform} exists",
                           hint="add --resume to continue it, or --restart to start over")
        state.set("query_hash", _query_hash(query))
        if platform == "x":
            from .x import XCrawler as Crawler
        else:
            from .bluesky import BlueskyCrawler as Crawler
        transport = Transport(base_url, token=token, **(transport_options or {}),
                              on_wait=lambda why, s: say(f"waiting {s:.0f} s: {why}"))
        crawler = Crawler(query, state, transport, limits, version=f"influgraph {__version__}", warn=warning, progress=say)
        stopped = None
        with _sigterm_as_interrupt():
            try:
                stopped = _run(crawler, state, limits, say, warning)
            except KeyboardInterrupt:
                raise Interrupted(f"crawl of {query.name} on {platform} stopped after {state.requests} requests; "
                                  "every committed page is kept",
                                  hint=f"resume with: influgraph crawl {query.path or query.name} --platform {platform} "
                                       f"-w {workspace.path} --resume") from None
        say("importing the crawled pages")
        imported = _import(workspace, state, crawler, query)
        raw = _write_raw(state, folder / f"{platform}-{query.name}.pages.jsonl", [token or ""])
        tasks: dict[str, int] = {}
        for task in state.tasks():
            tasks[task.status] = tasks.get(task.status, 0) + 1
        return CrawlResult(platform=platform, niche=query.name, complete=state.get("phase") == "done", requests=state.requests,
                           pages=len(state.pages()), state=state_path, raw=raw, imported=imported, warnings=warnings,
                           tasks=tasks, stopped=stopped, sent=transport.sent)
    finally:
        state.close()


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
            warning(f"stopped at the request budget ({limits.max_requests}); raise --max-requests and add --resume to go on")
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
            text = redact(str(error).splitlines()[0] if str(error) else type(error).__name__, [crawler.transport.token or ""])
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


def _write_raw(state: CrawlState, path: Path, secrets: list[str]) -> Path:
    """The raw pages as JSONL with their provenance (parameters never hold secrets; redacted anyway)."""
    def write(handle) -> None:
        for page in state.raw_pages():
            page["__twarc"] = {"url": page["__influgraph"]["url"]}
            handle.write((redact(json.dumps(page, ensure_ascii=False), secrets) + "\n").encode("utf-8"))

    atomic_write(path, write)
    return path
