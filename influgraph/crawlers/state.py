"""Crawl state in SQLite: tasks with their pagination cursors, raw pages, tombstones, requests used.

One page is one transaction: the page's body (its rows), the task's new cursor and any task the
page creates are committed together, so a crawl killed at any moment resumes at the page after
the last one committed, with nothing lost and nothing counted twice. SQLite in WAL mode survived
20 random SIGKILLs during batched writes in the measurements behind this design.

Pages keep what is needed to rebuild the graph offline: endpoint, parameters (never secrets),
time, tool version and body. Imports into the workspace are idempotent upserts, so a page
imported twice (a kill between the workspace commit and `mark_imported`) changes nothing.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import jsontext

__all__ = ["CrawlState", "Task", "run_stage", "base_stage", "stage_run"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks(
    id INTEGER PRIMARY KEY, stage TEXT NOT NULL, endpoint TEXT NOT NULL, params TEXT NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'pending', cursor TEXT,
    pages INTEGER NOT NULL DEFAULT 0, empty_pages INTEGER NOT NULL DEFAULT 0, note TEXT,
    UNIQUE(endpoint, params));
CREATE TABLE IF NOT EXISTS seen_cursors(task INTEGER NOT NULL, cursor TEXT NOT NULL, PRIMARY KEY(task, cursor));
CREATE TABLE IF NOT EXISTS pages(
    id INTEGER PRIMARY KEY, task INTEGER NOT NULL, endpoint TEXT NOT NULL, url TEXT NOT NULL, params TEXT NOT NULL,
    retrieved_at TEXT NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL, imported INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tombstones(id TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS charges(day TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY(day, kind, id));
"""

_ADD_REQUESTS = ("INSERT INTO meta(key, value) VALUES('requests', ?) ON CONFLICT(key) DO UPDATE SET "
                 "value = CAST(CAST(value AS INTEGER) + ? AS TEXT)")
_ADD = ("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET "
        "value = CAST(CAST(value AS INTEGER) + ? AS TEXT)")


@dataclass
class Task:
    """One paginated request series: an endpoint with fixed parameters, and where it stands."""

    id: int
    stage: str
    endpoint: str
    params: dict
    depth: int
    status: str
    cursor: str | None
    pages: int
    empty_pages: int


def run_stage(stage: str, run: int) -> str:
    """The stage name of `stage` in update run `run`: `search` in the first crawl, `search#2` in the second update.

    >>> run_stage("search", 0), run_stage("search", 2)
    ('search', 'search#2')
    """
    return stage if run == 0 else f"{stage}#{run}"


def base_stage(stage: str) -> str:
    """The stage without its run number (`run_stage` undone).

    >>> base_stage("followers#3")
    'followers'
    """
    return stage.split("#", 1)[0]


def stage_run(stage: str) -> int:
    """The run number of a stage name (0 for the first crawl's).

    >>> stage_run("followers#3"), stage_run("lookup")
    (3, 0)
    """
    return int(stage.split("#", 1)[1]) if "#" in stage else 0


class CrawlState:
    """The SQLite file of one crawl (one niche on one platform).

    `redact` (the crawl's `transport.redact`) cleans every text a page or a task note writes,
    so no form of a secret reaches the file whatever an answer echoed.
    """

    def __init__(self, path: Path, redact: Callable[[str], str] | None = None, durable: bool = True,
                 clock: Callable[[], datetime] | None = None):
        self.redact = redact or (lambda text: text)
        self.clock = clock or (lambda: datetime.now(timezone.utc))  # a page's retrieved_at: its rows' observed_at
        self._bodies: dict[int, list[dict]] = {}  # task id -> its parsed page bodies (read once, kept as committed)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        # FULL: each committed page survives a power cut too; NORMAL (WAL) survives any crash of the process, and
        # a power cut loses at most the last pages (a resume fetches them again): for throwaway states (the demo)
        self.db.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # ------------------------------------------------------------------ meta
    def get(self, key: str, default: str | None = None) -> str | None:
        """A meta value."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        """Set a meta value (its own transaction)."""
        self.db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, value))

    @property
    def requests(self) -> int:
        """Requests sent by this crawl so far, over every run."""
        return int(self.get("requests", "0") or 0)

    # ------------------------------------------------------------------ tasks
    def add_tasks(self, tasks: list[tuple[str, str, dict, int]], *, within: bool = False) -> int:
        """Add (stage, endpoint, params, depth) tasks not already known; returns how many were new."""
        before = self.db.total_changes
        if not within:
            self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany("INSERT OR IGNORE INTO tasks(stage, endpoint, params, depth) VALUES(?, ?, ?, ?)",
                            [(stage, endpoint, json.dumps(params, sort_keys=True), depth) for stage, endpoint, params, depth in tasks])
        if not within:
            self.db.execute("COMMIT")
        return self.db.total_changes - before

    def _task(self, row: tuple) -> Task:
        return Task(id=row[0], stage=row[1], endpoint=row[2], params=json.loads(row[3]), depth=row[4], status=row[5],
                    cursor=row[6], pages=row[7], empty_pages=row[8])

    def tasks(self, stage: str | None = None, *, status: str | None = None, limit: int | None = None) -> list[Task]:
        """Tasks in the order they were added, optionally of one stage and/or status, at most `limit`.

        A stage without a run number (`search`) also gives the tasks of that stage in every update run
        (`search#1`, `search#2`...; see `run_stage`); a numbered one gives that run's only.
        """
        clauses, args = [], []
        if stage and "#" not in stage:
            clauses.append("(stage = ? OR stage LIKE ?)")
            args += [stage, f"{stage}#%"]
        elif stage:
            clauses.append("stage = ?")
            args.append(stage)
        if status:
            clauses.append("status = ?")
            args.append(status)
        sql = "SELECT id, stage, endpoint, params, depth, status, cursor, pages, empty_pages FROM tasks"
        sql += (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY id"
        sql += f" LIMIT {int(limit)}" if limit else ""
        return [self._task(row) for row in self.db.execute(sql, args).fetchall()]

    @property
    def run(self) -> int:
        """The number of the current run: 0 for the first crawl, 1, 2... for each `update` after it."""
        return int(self.get("run", "0") or 0)

    def next_pending(self) -> Task | None:
        """The oldest pending task, or None."""
        found = self.tasks(status="pending", limit=1)
        return found[0] if found else None

    def finish_task(self, task: Task, status: str, note: str | None = None) -> None:
        """Mark a task done, forbidden, failed or cut (its own transaction)."""
        self.db.execute("UPDATE tasks SET status = ?, note = ? WHERE id = ?",
                        (status, None if note is None else self.redact(note), task.id))

    def seen_cursor(self, task: Task, cursor: str) -> bool:
        """True when this pagination cursor was already followed for this task (a repeated token)."""
        return self.db.execute("SELECT 1 FROM seen_cursors WHERE task = ? AND cursor = ?", (task.id, cursor)).fetchone() is not None

    # ------------------------------------------------------------------ pages
    def commit_page(self, task: Task, *, url: str, params: dict, body: dict, version: str, next_cursor: str | None,
                    status: str, empty: bool, new_tasks: list[tuple[str, str, dict, int]] = (),
                    tombstones: dict[str, str] | None = None, requests_used: int = 1, note: str | None = None,
                    items: int = 0, charges: list[tuple[str, str]] = (), prices: dict[str, float] | None = None) -> None:
        """Store a page, the task's cursor and status, new tasks, tombstones and the phase's counts in one transaction.

        The counts of the task's stage (`requests:STAGE`, `items:STAGE`, `tombstoned:STAGE`) and the
        money billed so far are kept in `meta`, so they survive a kill and a resume exactly like the
        page itself. `charges` are the (kind, id) resources the answer returned: each is billed at
        `prices[kind]` once per UTC day (the pay-per-use rule), the first time it is seen that day.
        """
        now = self.clock().astimezone(timezone.utc).isoformat(timespec="seconds")
        raw = jsontext.dumps(body)
        text = self.redact(raw)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT INTO pages(task, endpoint, url, params, retrieved_at, version, body) VALUES(?, ?, ?, ?, ?, ?, ?)",
                            (task.id, task.endpoint, self.redact(url), self.redact(json.dumps(params, sort_keys=True)),
                             now, version, text))
            if next_cursor:
                self.db.execute("INSERT OR IGNORE INTO seen_cursors(task, cursor) VALUES(?, ?)", (task.id, next_cursor))
            self.db.execute("UPDATE tasks SET cursor = ?, status = ?, pages = pages + 1, empty_pages = ?, note = ? WHERE id = ?",
                            (next_cursor, status, task.empty_pages + 1 if empty else 0,
                             None if note is None else self.redact(note), task.id))
            if new_tasks:
                self.add_tasks(list(new_tasks), within=True)
            fresh = 0
            for account, kind in (tombstones or {}).items():
                fresh += self.db.execute("SELECT 1 FROM tombstones WHERE id = ?", (account,)).fetchone() is None
                self.db.execute("INSERT OR REPLACE INTO tombstones(id, status) VALUES(?, ?)", (account, kind))
            self.db.execute(_ADD_REQUESTS, (str(requests_used), requests_used))
            self._bump(f"requests:{task.stage}", requests_used)
            self._bump(f"items:{task.stage}", items)
            self._bump(f"tombstoned:{task.stage}", fresh)
            billed = self._charge(now[:10], charges, prices or {})
            if billed:
                self.db.execute("INSERT INTO meta(key, value) VALUES('billed', ?) ON CONFLICT(key) DO UPDATE SET "
                                "value = CAST(CAST(value AS REAL) + ? AS TEXT)", (repr(float(billed)), float(billed)))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        if task.id in self._bodies or task.pages == 0:  # a first page starts the task's list: it holds every page
            self._bodies.setdefault(task.id, []).append(body if text == raw else jsontext.loads(text))
        task.cursor, task.status, task.pages = next_cursor, status, task.pages + 1
        task.empty_pages = task.empty_pages + 1 if empty else 0

    def add_requests(self, count: int, stage: str | None = None) -> None:
        """Count requests that produced no page (errors, 403s), also in `stage`'s count when given."""
        self.db.execute(_ADD_REQUESTS, (str(count), count))
        if stage:
            self._bump(f"requests:{stage}", count)

    def _charge(self, day: str, charges: list[tuple[str, str]], prices: dict[str, float]) -> float:
        """Money of the resources not yet billed today (inside the page's transaction)."""
        billed = 0.0
        for kind, price in prices.items():
            items = [(day, kind, item) for what, item in charges if what == kind]
            if price and items:
                before = self.db.total_changes
                self.db.executemany("INSERT OR IGNORE INTO charges(day, kind, id) VALUES(?, ?, ?)", items)
                billed += (self.db.total_changes - before) * price
        return billed

    def _bump(self, key: str, count: int) -> None:
        if count:
            self.db.execute(_ADD, (key, str(count), count))

    def count(self, key: str) -> int:
        """An integer counter of `meta` (0 when never set)."""
        return int(self.get(key, "0") or 0)

    @property
    def billed(self) -> float:
        """Money billed so far by the pages this crawl committed, over every run (see `commit_page`)."""
        return float(self.get("billed", "0") or 0.0)

    def stage_counts(self) -> dict[str, dict[str, int]]:
        """Per stage: tasks by status, and pages stored (two grouped queries over the whole state)."""
        found: dict[str, dict[str, int]] = {}
        for stage, status, n in self.db.execute("SELECT stage, status, COUNT(*) FROM tasks GROUP BY stage, status"):
            found.setdefault(stage, {})[status] = n
        for stage, n in self.db.execute("SELECT t.stage, COUNT(*) FROM pages p JOIN tasks t ON t.id = p.task GROUP BY t.stage"):
            found.setdefault(stage, {})["pages"] = n
        return found

    def pages(self, *, unimported: bool = False, endpoint: str | None = None) -> list[tuple[int, str, dict]]:
        """(page id, url, body) in order; only those not yet imported, or of one endpoint, when asked."""
        sql, args = "SELECT id, url, body FROM pages", []
        clauses = []
        if unimported:
            clauses.append("imported = 0")
        if endpoint:
            clauses.append("endpoint = ?")
            args.append(endpoint)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return [(row[0], row[1], jsontext.loads(row[2])) for row in self.db.execute(sql + " ORDER BY id", args).fetchall()]

    def last_retrieved(self) -> datetime | None:
        """When the newest stored page was retrieved (None before the first page): the crawl's observed_at."""
        row = self.db.execute("SELECT MAX(retrieved_at) FROM pages").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def task_pages(self, task_id: int) -> list[dict]:
        """Bodies of one task's pages, in order (parsed once per run, then kept; treat them as read-only)."""
        if task_id not in self._bodies:
            self._bodies[task_id] = [jsontext.loads(row[0]) for row in
                                     self.db.execute("SELECT body FROM pages WHERE task = ? ORDER BY id", (task_id,))]
        return self._bodies[task_id]

    def mark_imported(self, page_ids: list[int]) -> None:
        """Record that these pages are in the workspace."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany("UPDATE pages SET imported = 1 WHERE id = ?", [(i,) for i in page_ids])
        self.db.execute("COMMIT")

    def tombstoned(self) -> dict[str, str]:
        """Account id -> suspended, protected or not_found."""
        return dict(self.db.execute("SELECT id, status FROM tombstones").fetchall())

    def raw_lines(self) -> Iterator[str]:
        """Every page as one line of the raw JSONL file: the stored body with its provenance as its last members.

        `__influgraph` holds the endpoint, url, params, time and crawler version; `__twarc` the url and
        time, where twarc2 keeps them. They are spliced into the stored text instead of decoding and
        writing every body again (a reader that finds either name in a body too keeps the last one).
        """
        for endpoint, url, params, at, version, body in self.db.execute(
                "SELECT endpoint, url, params, retrieved_at, version, body FROM pages ORDER BY id"):
            extra = jsontext.dumps({"__influgraph": {"endpoint": endpoint, "url": url, "params": json.loads(params),
                                                     "retrieved_at": at, "version": version},
                                    "__twarc": {"url": url, "retrieved_at": at}})
            text = body.rstrip()
            yield extra if text[:-1].strip() == "{" else text[:-1] + "," + extra[1:]
