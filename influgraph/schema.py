"""The three platform-neutral tables (accounts, posts, edges): their polars schemas, keys and id rules.

This module is the single declaration of every table's shape. Sources produce a `Batch` of
frames in these shapes; the workspace stores them; the graph builder reads them.

Direction of an edge: **src acts toward dst** (src follows, reposts, quotes, replies to,
mentions or likes dst), so attention flows to dst. Ids are strings everywhere: X ids exceed
2^53 and would collapse as floats or JavaScript numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import re
from dataclasses import dataclass, field

import polars as pl

__all__ = [
    "EDGE_KINDS",
    "ENGAGEMENT_KINDS",
    "KIND",
    "TIMESTAMP",
    "ACCOUNTS",
    "POSTS",
    "EDGES",
    "TABLES",
    "OBSERVED_AT",
    "OBSERVATIONS",
    "COUNT_COLUMNS",
    "HISTORY",
    "VERTICES",
    "INDEX_COLUMNS",
    "STORED",
    "KEYS",
    "Batch",
    "conform",
    "empty",
    "bad_id_reason",
    "MAX_ID_CHARS",
    "MAX_WEIGHT",
    "long_id",
    "account_key",
]

EDGE_KINDS: tuple[str, ...] = ("follow", "repost", "quote", "reply", "mention", "like")
ENGAGEMENT_KINDS: tuple[str, ...] = ("repost", "quote", "reply", "like")  # the kinds that engage with a post
KIND = pl.Enum(list(EDGE_KINDS))
TIMESTAMP = pl.Datetime("us", "UTC")

ACCOUNTS = pl.Schema(
    {
        "id": pl.String,
        "platform": pl.String,
        "handle": pl.String,
        "name": pl.String,
        "bio": pl.String,
        "lang": pl.String,
        "location": pl.String,
        "followers": pl.Int64,
        "following": pl.Int64,
        "posts": pl.Int64,
        "listed": pl.Int64,
        "verified": pl.Boolean,
        "protected": pl.Boolean,
        "created_at": TIMESTAMP,
        # None while active; "suspended", "protected", "not_found" or "deleted" for tombstones.
        "status": pl.String,
        "observed_at": TIMESTAMP,  # when this row's current content was first observed (see OBSERVED_AT)
    }
)

POSTS = pl.Schema(
    {
        "id": pl.String,
        "platform": pl.String,
        "author_id": pl.String,
        "created_at": TIMESTAMP,
        "text": pl.String,
        "lang": pl.String,
        "hashtags": pl.List(pl.String),
        "mentions": pl.List(pl.String),  # ids of the accounts the post itself mentions
        "reply_to": pl.String,  # post id
        "reply_to_author": pl.String,  # account id
        "quote_of": pl.String,  # post id
        "repost_of": pl.String,  # post id
        "conversation_id": pl.String,
        "reposts": pl.Int64,
        "quotes": pl.Int64,
        "replies": pl.Int64,
        "likes": pl.Int64,
        "impressions": pl.Int64,
        "observed_at": TIMESTAMP,
    }
)

EDGES = pl.Schema(
    {
        "src": pl.String,
        "dst": pl.String,
        "kind": KIND,
        "weight": pl.Float64,
        "post_id": pl.String,
        "at": TIMESTAMP,
        "platform": pl.String,
        # "" for edges identified by their post; a dataset label for aggregated edge-list rows,
        # so two different edge-list files never overwrite each other's weights.
        "origin": pl.String,
        "observed_at": TIMESTAMP,
    }
)

# `observed_at` (accounts, posts, edges): when the row's current content was first observed: a crawl's
# response time (the crawler's clock), an import's recorded retrieval time (twarc2 `__twarc.retrieved_at`)
# or else the file's modification time. An upsert of a row equal to the stored one in every other column
# keeps the stored row, observed_at included, so re-imports and unchanged re-crawls change nothing.
OBSERVED_AT = "observed_at"

# The history of an account's counts: one row per (platform, id, observed_at) at which the counts
# differed from the account's observation before it (an account seen with equal counts adds no row).
OBSERVATIONS = pl.Schema(
    {
        "platform": pl.String,
        "id": pl.String,
        "observed_at": TIMESTAMP,
        "followers": pl.Int64,
        "following": pl.Int64,
        "posts": pl.Int64,
        "listed": pl.Int64,
    }
)
COUNT_COLUMNS: tuple[str, ...] = ("followers", "following", "posts", "listed")

TABLES: dict[str, pl.Schema] = {"accounts": ACCOUNTS, "posts": POSTS, "edges": EDGES}

# The workspace's vertex index: one row per account key (platform, id) ever imported, numbered
# from 0 in the order first seen (the new keys of one commit in (platform, id) order). The
# workspace keeps it and adds `INDEX_COLUMNS` (the endpoints' numbers) to the edges it stores,
# so a graph build reads integers. It is derived data: never part of the content hash.
VERTICES = pl.Schema({"ix": pl.Int64, "platform": pl.String, "id": pl.String})
INDEX_COLUMNS: tuple[str, ...] = ("src_ix", "dst_ix")
HISTORY: dict[str, pl.Schema] = {"observations": OBSERVATIONS}  # content a commit derives from the batch
STORED: dict[str, pl.Schema] = {**TABLES, **HISTORY, "vertices": VERTICES}  # every table a workspace stores

# Upsert keys. Rows with equal keys are the same fact: a re-import replaces, never duplicates.
KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("platform", "id"),
    "posts": ("platform", "id"),
    "edges": ("platform", "kind", "src", "dst", "post_id", "at", "origin"),
    "observations": ("platform", "id", "observed_at"),
}

_ID_COLUMNS = {"accounts": ("id",), "posts": ("id", "author_id"), "edges": ("src", "dst", "post_id")}
MAX_ID_CHARS = 256  # an account or post id longer than this is refused (X ids have 19 digits, Bluesky uris ~80)
MAX_WEIGHT = 1e15  # an edge weight above this is refused: any sum of weights then stays finite
_FLOATLIKE = re.compile(r"^[+-]?(\d+\.\d*|\d*\.\d+|\d+(\.\d*)?[eE][+-]?\d+)\Z")


def bad_id_reason(value: object) -> str | None:
    """Why `value` cannot be an account or post id, or None when it can.

    Empty and whitespace-padded ids are refused, and so are float-looking ids such as
    `1.23e+18` or `42.0`: they are the mark of a spreadsheet or JSON parser that already lost
    digits, so storing them would silently merge or split accounts.
    """
    if value is None:
        return "missing id"
    text = str(value)
    if len(text) > MAX_ID_CHARS:
        return f"id of {len(text):,} characters ({text[:20]!r}...) is longer than {MAX_ID_CHARS}"
    if not text.strip():
        return "empty id"
    if text != text.strip():
        return f"id {text!r} has leading or trailing spaces"
    if _FLOATLIKE.match(text):
        return f"id {text!r} looks like a float (digits may already be lost; keep ids as text)"
    if any(ch in text for ch in "\x00\r\n\t"):
        return f"id {text!r} holds a control character"
    return None


def empty(table: str) -> pl.DataFrame:
    """An empty frame with the schema of `table` (one of `STORED`)."""
    return pl.DataFrame(schema=STORED[table])


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """Return `df` in the exact schema of `table`: missing columns as nulls, columns cast, order fixed.

    Extra columns are dropped. Edge weights default to 1.0 and edge origins to "".
    Casting is strict, so a wrong type raises instead of becoming null.
    """
    schema = STORED[table]
    columns = []
    for name, dtype in schema.items():
        if name in df.columns:
            columns.append(pl.col(name).cast(dtype, strict=True))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    out = df.select(columns)
    if table == "edges":
        out = out.with_columns(
            pl.col("weight").fill_null(1.0),
            pl.col("origin").fill_null(""),
        )
    return out


def long_id(frames: dict[str, pl.DataFrame]) -> str | None:
    """Why one of the id columns of `frames` (table name -> frame) holds an id over `MAX_ID_CHARS`, or None.

    Example: ``long_id(batch.frames())`` is None for every batch a reader accepted.
    """
    for table, columns in _ID_COLUMNS.items():
        frame = frames.get(table)
        for column in columns:
            if frame is None or column not in frame.columns or frame.height == 0:
                continue
            longest = frame.select(pl.col(column).str.len_chars().max()).item()
            if longest is not None and longest > MAX_ID_CHARS:
                return f"{table}.{column} holds an id of {longest:,} characters, longer than {MAX_ID_CHARS}"
    return None


@dataclass
class Batch:
    """Rows for the three tables produced by one source run, ready to be committed together."""

    accounts: pl.DataFrame = field(default_factory=lambda: empty("accounts"))
    posts: pl.DataFrame = field(default_factory=lambda: empty("posts"))
    edges: pl.DataFrame = field(default_factory=lambda: empty("edges"))

    def __post_init__(self) -> None:
        self.accounts = conform(self.accounts, "accounts")
        self.posts = conform(self.posts, "posts")
        self.edges = conform(self.edges, "edges")

    def frames(self) -> dict[str, pl.DataFrame]:
        """The three frames by table name."""
        return {"accounts": self.accounts, "posts": self.posts, "edges": self.edges}

    @staticmethod
    def concat(batches: list["Batch"]) -> "Batch":
        """One batch holding the rows of all `batches` (later rows win on equal keys at commit)."""
        if not batches:
            return Batch()
        return Batch(
            **{name: pl.concat([b.frames()[name] for b in batches], how="vertical") for name in TABLES}
        )

    def counts(self) -> dict[str, int]:
        """Row counts per table."""
        return {name: frame.height for name, frame in self.frames().items()}

    def observed(self, when: datetime) -> "Batch":
        """This batch with `observed_at` set to `when` (an aware datetime) on every row that has none.

        Readers set the time a row was retrieved when their input records it; this is the fallback
        (a file's modification time, a crawl's response time).

        >>> from datetime import datetime, timezone
        >>> Batch(accounts=pl.DataFrame({"id": ["a"]})).observed(datetime(2026, 10, 8, tzinfo=timezone.utc)).accounts["observed_at"].dt.day().to_list()
        [8]
        """
        stamp = pl.lit(when, dtype=TIMESTAMP)
        return Batch(**{name: conform(frame, name).with_columns(pl.col(OBSERVED_AT).fill_null(stamp))
                        for name, frame in self.frames().items()})


def repeated_keys(frame: pl.DataFrame, keys: Sequence[str]) -> pl.Series:
    """True for rows whose key may repeat in `frame` (their key hash does); every other row's key is
    unique. Lets large tables dedupe only the few rows that need it instead of grouping them all."""
    import numpy as np

    if frame.height < 2:
        return pl.Series("repeated", [False] * frame.height, dtype=pl.Boolean)
    hashes = frame.select(list(keys)).hash_rows(seed=0)
    ordered = hashes.sort().to_numpy()  # polars' sort: multithreaded, about 3x numpy's on 10M hashes
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if len(twice) <= 4096:  # few repeats (the usual case): one hashed lookup of those few hashes
        return hashes.is_in(pl.Series(twice, dtype=pl.UInt64).implode()).rename("repeated")
    order = hashes.arg_sort().to_numpy()  # many: mark equal neighbours in sorted order, then put the marks back
    same = ordered[1:] == ordered[:-1]
    marks = np.zeros(frame.height, dtype=bool)
    marks[1:] |= same
    marks[:-1] |= same
    repeated = np.empty(frame.height, dtype=bool)
    repeated[order] = marks
    return pl.Series("repeated", repeated)


def account_key(*frames: pl.DataFrame) -> list[str]:
    """The columns that name an account in a join of `frames`: (platform, id), or id alone when one lacks `platform`.

    The same id on two platforms is two accounts, so joins use both columns; tables written
    before accounts were keyed by platform (stored communities, rankings) have only `id`.

    Example: ``table.join(picks, on=account_key(table, picks), how="semi")``.
    """
    return ["platform", "id"] if all("platform" in frame.columns for frame in frames) else ["id"]
