"""A small rankable workspace (specialty coffee) built in two imports, for the integrity tests."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from influgraph.schema import Batch
from influgraph.workspace import Workspace

QUERIES = Path(__file__).resolve().parents[1] / "queries"


def coffee_batch(start: int, n: int) -> Batch:
    """Accounts start..start+n-1 with coffee bios and posts, mentioning and reposting each other."""
    ids = [f"{1000 + i}" for i in range(start, start + n)]
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    accounts = pl.DataFrame({"id": ids, "platform": ["x"] * n, "handle": [f"brewer{i}" for i in range(start, start + n)],
                             "bio": ["espresso barista, single origin roast" if i % 2 else "pourover at home"
                                     for i in range(n)],
                             "followers": [10 * (i + 1) for i in range(n)], "lang": ["en"] * n})
    posts = pl.DataFrame({"id": [f"p{x}" for x in ids], "platform": ["x"] * n, "author_id": ids,
                          "created_at": [at] * n, "text": ["my #specialtycoffee espresso today"] * n,
                          "lang": ["en"] * n, "hashtags": [["specialtycoffee", "pourover"]] * n})
    src = ids + ids
    dst = [ids[(i * 7 + 3) % n] for i in range(n)] + [ids[(i + 1) % n] for i in range(n)]
    edges = pl.DataFrame({"src": src, "dst": dst, "kind": ["mention"] * n + ["repost"] * n,
                          "platform": ["x"] * (2 * n), "post_id": [f"p{s}" for s in src], "at": [at] * (2 * n)})
    return Batch(accounts=accounts, posts=posts, edges=edges)


def two_imports(folder: Path) -> tuple[Workspace, bytes]:
    """A workspace of two commits (30, then 50 accounts); returns it and the manifest after the first."""
    ws = Workspace(folder)
    ws.commit(coffee_batch(0, 30))
    backup = (folder / "manifest.json").read_bytes()
    ws.commit(coffee_batch(30, 20))
    return ws, backup
