"""What the X and Bluesky crawlers share: limits, page budgets, stored bodies, the next depth of follower lists."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..niches import NicheQuery
from .state import CrawlState, Task
from .transport import Transport

__all__ = ["Limits", "PhasedCrawler", "PHASES"]

PHASES = ("lookup", "search", "threads", "engagement", "followers", "hydrate", "done")


@dataclass
class Limits:
    """Bounds of one crawl (from the query's [crawl] table, overridden by options)."""

    max_requests: int = 500
    depth: int = 1
    max_posts: int = 1000
    max_followers: int = 1000
    top_posts: int = 20
    top_authors: int | None = 50  # None: every author
    threads: int = 100
    since_days: int | None = None


class PhasedCrawler:
    """A platform's phases (see `x` and `bluesky`); subclasses plan, fetch and read pages."""

    platform = ""
    followers_endpoint = ""
    followers_page = 1000
    search_page = 100

    def __init__(self, query: NicheQuery, state: CrawlState, transport: Transport, limits: Limits, *,
                 version: str, warn: Callable[[str], None], progress: Callable[[str], None]):
        self.query = query
        self.state = state
        self.transport = transport
        self.limits = limits
        self.version = version
        self.warn = warn
        self.progress = progress
        self.forbidden: set[str] = set()
        self.items_stored = 0  # items (posts, users...) in the pages committed by this run, for progress lines

    def _bodies(self, stage: str | None) -> list[dict]:
        bodies = []
        for task in self.state.tasks(stage):
            bodies.extend(self.state.task_pages(task.id))
        return bodies

    def max_pages(self, task: Task) -> int:
        """Pages a task may take: the search by max_posts, follower lists by max_followers, engagement one."""
        if task.stage == "search":
            return max(1, math.ceil(self.limits.max_posts / self.search_page))
        if task.stage == "followers":
            return max(1, math.ceil(self.limits.max_followers / self.followers_page))
        if task.stage == "engagement":
            return 1
        return 10_000

    def next_depth(self, task: Task, last: dict) -> list[tuple[str, str, dict, int]]:
        """At depth < limits.depth, follower-list tasks for the 10 most followed accounts a finished list named."""
        if task.stage != "followers" or task.depth >= self.limits.depth or task.endpoint != self.followers_endpoint:
            return []
        users = [u for body in [*self.state.task_pages(task.id), last] for u in self.listed_users(body)]
        users.sort(key=lambda u: (-u[1], u[0]))
        key = "actor" if self.platform == "bluesky" else "id"
        return [("followers", self.followers_endpoint, {key: u[0]}, task.depth + 1) for u in users[:10]]

    def listed_users(self, body: dict) -> list[tuple[str, int]]:  # pragma: no cover - each platform defines it
        raise NotImplementedError
