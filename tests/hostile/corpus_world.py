"""The hostile corpus's world: a tiny workspace whose every text field carries hostile text.

Thirty accounts on X (and two on Bluesky, one of them sharing an X account's numeric id), posts
and edges between them; names, handles, bios, post texts and hashtags carry control characters
(C0 and C1), NUL, bidi overrides, non-characters, a BOM, line and paragraph separators, formula
starts (ASCII, full-width and behind whitespace), markup and XML-breaking text. The niche
`hostile` (a query file in the corpus's queries folder) matches them all. Communities and a
ranking of the niche are stored through the command line itself, so the stored result names are
whatever the current code derives.

`build(root)` returns the paths the corpus needs; building takes well under a second.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.schema import Batch, conform
from influgraph.workspace import Workspace

__all__ = ["TEXTS", "World", "build", "QUERY"]

# hostile text, one kind per entry; lone surrogates cannot live in a UTF-8 table (they go through imports)
TEXTS = (
    "ctrl \x01\x02\x03\x07\x08\x0b\x0c\x0e\x1b\x1f end",
    "nul \x00 byte",
    "tab\tnewline\ncarriage\rreturn",
    "\u202eevil rtl override\u202c and \u2066isolate\u2069",
    "\u200f\u0645\u0631\u062d\u0628\u0627 \u06a9\u062a\u0627\u0628\u200c\u062e\u0648\u0627\u0646",
    "\ufeffbom at start",
    "non-characters \ufffe \uffff \U0010ffff",
    "separators \u2028 line \u2029 paragraph \x85 nel",
    "C1 \x7f\x80\x9b\x9f controls",
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\uff1dHYPERLINK(\"http://evil.invalid\")",
    " =1+1",
    "\t=1+1",
    "<script>alert(1)</script>",
    "]]><!-- --> &amp; &#0; &#x1; <?xml ?>",
    "a\u0301\u0301\u0301\u0301 combining",
    "emoji \U0001f600\U0001f469\u200d\U0001f4bb",
    "x" * 3000,
    "quote \" apostrophe ' backslash \\ backtick `",
)

QUERY = """name = "hostile"
description = "every text field carries hostile text"
hashtags = ["hostile"]
keywords = ["hostile"]
"""


@dataclass(frozen=True)
class World:
    """Where the corpus's world lives: the base workspace (never written by a case), queries and a costs file."""

    workspace: Path
    queries: Path
    costs: Path


def _tables(n: int = 30) -> Batch:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    k = len(TEXTS)
    accounts, posts, edges = [], [], []
    for i in range(n):
        accounts.append({"id": str(1000 + i), "platform": "x", "handle": f"h{i}" if i % 2 else TEXTS[(i + 5) % k],
                         "name": TEXTS[i % k], "bio": TEXTS[(i + 1) % k] + " hostile", "followers": 10 * i,
                         "created_at": at})
        posts.append({"id": str(5000 + i), "platform": "x", "author_id": str(1000 + i), "created_at": at,
                      "text": TEXTS[(i + 2) % k] + " #hostile", "hashtags": ["hostile", TEXTS[(i + 3) % k]],
                      "lang": "en"})
        for j in (1, 2, 7):
            other = str(1000 + (i + j) % n)
            edges.append({"src": other, "dst": str(1000 + i), "kind": "repost", "platform": "x",
                          "post_id": str(5000 + i), "at": at, "weight": 1.0})
            edges.append({"src": other, "dst": str(1000 + i), "kind": "follow", "platform": "x", "weight": 1.0})
    # the same numeric id on a second platform: two accounts, never one vertex
    for i, text in ((0, TEXTS[3]), (1, TEXTS[0])):
        accounts.append({"id": str(1000 + i), "platform": "bluesky", "handle": f"b{i}.bsky.social", "name": text,
                         "bio": text + " hostile", "followers": 5, "created_at": at})
    edges.append({"src": "1000", "dst": "1001", "kind": "follow", "platform": "bluesky", "weight": 1.0})
    return Batch(accounts=conform(pl.DataFrame(accounts), "accounts"), posts=conform(pl.DataFrame(posts), "posts"),
                 edges=conform(pl.DataFrame(edges), "edges"))


def build(root: Path) -> World:
    """The world under `root`: workspace `root/ws`, queries `root/queries`, costs `root/costs.csv`."""
    queries = root / "queries"
    queries.mkdir(parents=True)
    (queries / "hostile.toml").write_text(QUERY, encoding="utf-8")
    costs = root / "costs.csv"
    costs.write_text("id,cost\n" + "".join(f"{1000 + i},{100 + 10 * i}\n" for i in range(30)), encoding="utf-8")
    workspace = root / "ws"
    Workspace(workspace).commit(_tables())
    runner = CliRunner()
    for args in (["communities", "-w", str(workspace), "--seed", "1"],
                 ["rank", "-w", str(workspace), "--niche", "hostile", "--queries-dir", str(queries)]):
        result = runner.invoke(main, args)
        if result.exit_code != 0:
            raise RuntimeError(f"building the hostile world failed at {args[0]}: {result.output}")
    return World(workspace=workspace, queries=queries, costs=costs)
