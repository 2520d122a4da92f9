"""What every platform's crawler shares: limits, page budgets, stored bodies, the next depth of follower lists,
and the accounting of each phase.

Phase accounting (every platform reports it the same way, `phase_reports`): for each phase,
`requested` (HTTP requests sent), `stored` (pages committed) and `items` (items in them),
`refused` (requests the service refused with a 4xx answer, plus inputs refused before anything
was sent, such as a seed that is not a valid handle), `failed` (answers that could not be read),
`tombstoned` (accounts the service reports suspended, protected or not found), and a `status`:
`complete`, `partial` (some requests refused: named, the rest stored), `lost` (an endpoint
forbidden for these credentials, or nothing stored while something was refused) or
`unfinished` (stopped by the budget). A lost phase comes with its `reason` and its `fix`.
A crawler names refused inputs with `refuse_inputs` while it plans, and says how to fix a
refusal in `refusal_fix`.

Update runs (`crawl(update=True)`): run N plans `UPDATE_PHASES` as the stages `PHASE#N` (`state.run_stage`),
so each update's requests, pages and refusals are counted in phases of its own (`search#1`...), beside
the first crawl's and never folded into them; a planner reads every run's pages (`state.tasks("search")`
includes `search#N`) or one run's (`run_bodies`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ..niches import NicheQuery
from .state import CrawlState, Task, base_stage, run_stage, stage_run
from .transport import Transport

__all__ = ["Limits", "PhasedCrawler", "PHASES", "UPDATE_PHASES", "PhaseReport", "phase_reports", "REFUSED", "LOST"]

PHASES = ("lookup", "search", "threads", "engagement", "followers", "hydrate", "done")
# the phases of an update run (`crawl(update=True)`), each stage named PHASE#N in run N (`state.run_stage`)
UPDATE_PHASES = ("search", "threads", "engagement", "followers", "hydrate")


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
    tier: str = "self-serve"  # X's access tier: query length and rate limits (`pricing.TIERS`)
    max_cost: float | None = None  # stop before the money billed would pass it (`pricing`)


REFUSED = ("refused", "forbidden")  # task statuses of a request the service refused
LOST = "lost"


@dataclass(frozen=True)
class PhaseReport:
    """What one phase of a crawl did, over every run of it (see the module docstring for each count)."""

    phase: str
    tasks: int
    requested: int
    stored: int
    items: int
    refused: int
    failed: int
    tombstoned: int
    status: str
    reason: str | None = None
    fix: str | None = None

    def summary(self) -> dict:
        """JSON-ready counts."""
        return asdict(self)


def phase_reports(state: CrawlState, phases: tuple[str, ...] | None = None) -> list[PhaseReport]:
    """The accounting of each phase of the crawl in `state` (requested, stored, refused, tombstoned...).

    Parameters
    ----------
    state : the crawl's state; the counts live in it, so a resumed crawl reports its whole history.
    phases : the phase names, in order [default: `PHASES`, then `UPDATE_PHASES` of each update run as `PHASE#N`:
        an update's requests are counted in its own phases, never folded into the first crawl's].

    Returns
    -------
    list of PhaseReport, one per phase that planned work or refused an input.

    Example
    -------
    >>> [r.phase for r in phase_reports(state) if r.status == "lost"]   # doctest: +SKIP
    ['search']
    """
    if phases is None:
        phases = PHASES + tuple(run_stage(p, run) for run in range(1, state.run + 1) for p in UPDATE_PHASES)
    counts = state.stage_counts()
    reports = []
    for phase in phases:
        by_status = counts.get(phase, {})
        unusable = state.count(f"unusable:{phase}")
        tasks = sum(n for key, n in by_status.items() if key != "pages")
        if not tasks and not unusable:
            continue
        refused = sum(by_status.get(s, 0) for s in REFUSED) + unusable
        failed, stored = by_status.get("failed", 0), by_status.get("pages", 0)
        if by_status.get("pending"):
            status = "unfinished"
        elif by_status.get("forbidden") or (refused + failed and not stored):
            status = LOST
        elif refused + failed:
            status = "partial"
        else:
            status = "complete"
        reports.append(PhaseReport(phase=phase, tasks=tasks, requested=state.count(f"requests:{phase}"), stored=stored,
                                   items=state.count(f"items:{phase}"), refused=refused, failed=failed,
                                   tombstoned=state.count(f"tombstoned:{phase}"), status=status,
                                   reason=state.get(f"reason:{phase}"), fix=state.get(f"fix:{phase}")))
    return reports


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
        self.prices: dict[str, float] = {}  # money per billed item kind (set by the runner from `pricing`)
        self.known: object = ()  # (endpoint, params) of tasks not to plan: their pages are already held (the runner's)
        self.items_stored = 0  # items (posts, users...) in the pages committed by this run, for progress lines

    def _bodies(self, stage: str | None) -> list[dict]:
        bodies = []
        for task in self.state.tasks(stage):
            bodies.extend(self.state.task_pages(task.id))
        return bodies

    def max_pages(self, task: Task) -> int:
        """Pages a task may take: the search by max_posts, follower lists by max_followers, engagement one."""
        stage = base_stage(task.stage)
        if stage == "search":
            return max(1, math.ceil(self.limits.max_posts / self.search_page))
        if stage == "followers":
            return max(1, math.ceil(self.limits.max_followers / self.followers_page))
        if stage == "engagement":
            return 1
        return 10_000

    def next_depth(self, task: Task, last: dict) -> list[tuple[str, str, dict, int]]:
        """At depth < limits.depth, follower-list tasks for the 10 most followed accounts a finished list named."""
        if base_stage(task.stage) != "followers" or task.depth >= self.limits.depth or \
                task.endpoint != self.followers_endpoint:
            return []
        users = [u for body in [*self.state.task_pages(task.id), last] for u in self.listed_users(body)]
        users.sort(key=lambda u: (-u[1], u[0]))
        key = "actor" if self.platform == "bluesky" else "id"
        return [(task.stage, self.followers_endpoint, {key: u[0]}, task.depth + 1) for u in users[:10]]

    # ------------------------------------------------------------------ update runs
    @property
    def run(self) -> int:
        """The run being planned: 0 for the first crawl, N for the Nth `update` (`state.run`)."""
        return self.state.run

    def run_bodies(self, stage: str, *, earlier: bool = False) -> list[dict]:
        """Page bodies of `stage` in this run only, or (`earlier`) in every run before it."""
        bodies = []
        for task in self.state.tasks(stage):
            if (stage_run(task.stage) < self.run) if earlier else (stage_run(task.stage) == self.run):
                bodies.extend(self.state.task_pages(task.id))
        return bodies

    def listed_users(self, body: dict) -> list[tuple[str, int]]:  # pragma: no cover - each platform defines it
        raise NotImplementedError

    def error_text(self, error: BaseException) -> str:
        """One line saying why a request failed (a platform may read its answer's detail)."""
        return str(error).splitlines()[0] if str(error) else type(error).__name__

    def charges(self, task: Task, body: dict) -> list[tuple[str, str]]:
        """(kind, id) of each billed resource a page returned (none: this platform charges nothing)."""
        return []

    def page_cost_bound(self, task: Task, prices: dict[str, float]) -> float:
        """The most the next page of `task` can cost (0: this platform charges nothing)."""
        return 0.0

    def refuse_inputs(self, phase: str, values: list[str], reason: str, fix: str) -> None:
        """Record inputs of `phase` refused before anything is sent (counted as refused; a warning names them)."""
        if not values:
            return
        self.state.set(f"unusable:{phase}", str(len(values)))
        self.note_refusal(phase, f"{len(values)} refused before sending ({', '.join(values[:5])}"
                                 f"{'...' if len(values) > 5 else ''}): {reason}", fix)
        self.warn(f"{phase}: {self.state.get(f'reason:{phase}')}; {fix}")

    def note_refusal(self, phase: str, reason: str, fix: str | None) -> None:
        """Keep the first reason (and its fix) a phase was refused for, in the state."""
        if self.state.get(f"reason:{phase}") is None:
            self.state.set(f"reason:{phase}", reason[:300])
            if fix:
                self.state.set(f"fix:{phase}", fix)

    def refusal_fix(self, endpoint: str, status: int | None, detail: str) -> str:
        """How to fix a refusal of `endpoint` (a platform says more: a tier, a login)."""
        if status == 403:
            return "use credentials allowed to read this endpoint, or crawl without it"
        return "this request breaks the platform's published contract: report it as an influgraph bug"
