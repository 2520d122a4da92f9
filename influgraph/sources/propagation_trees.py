"""Twitter15/16 propagation trees (Ma, Gao and Wong, ACL 2017) into a cascade links frame.

Each line of a tree file is one edge `['uid', 'tweet_id', 'delay']->['uid', 'tweet_id', 'delay']`
(parent -> child; the delay in minutes after the source tweet; the root's parent is
`['ROOT', 'ROOT', '0.0']`). A node is the triple (uid, tweet id, delay), written `uid/tweet/delay`.
A child with the tweet id of its parent is a retweet (`repost`, the dataset keeps the retweeted
id); one with its own id is a `reply`. Times are absolute: the delay is added to the creation
time of the file's source tweet, read from its Twitter snowflake id (`(id >> 22) + 1288834974657`
milliseconds since the epoch); a file named by no numeric id gets times from the epoch.

This is a library reader (`read_propagation_tree`) for `cascades.trace_cascades`: the format is
not registered with the importer (`ingest.FORMATS`, `sources.detect`), so `influgraph import`
does not read it yet.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from ..cascades import LINKS
from ..errors import BadInput
from .base import decode_utf8, read_input_bytes

__all__ = ["read_propagation_tree", "snowflake_time"]

_TRIPLE = r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'\s*\]"
_LINE = rf"^{_TRIPLE}\s*->\s*{_TRIPLE}\s*$"
_EPOCH_MS = 1288834974657  # Twitter's snowflake epoch (2010-11-04)


def snowflake_time(tweet_id: str) -> datetime | None:
    """The creation time of a tweet from its snowflake id, or None for an id that is no snowflake.

    >>> snowflake_time("553160652567498752").isoformat()
    '2015-01-08T12:05:51.457000+00:00'
    """
    if not tweet_id.isdigit() or int(tweet_id) >> 22 == 0:
        return None
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + _EPOCH_MS) / 1000, tz=timezone.utc)


def read_propagation_tree(path: str | Path, *, platform: str = "x") -> pl.DataFrame:
    """The links frame (`cascades.LINKS`, plus `tweet_id` and `delay`) of one propagation tree file.

    Parameters
    ----------
    path : a tree file (gzip is looked through).
    platform : the platform label of the rows.

    Returns
    -------
    One row per line, in file order (duplicates kept: `trace_cascades` keeps each node's first).

    Example
    -------
    ``trace_cascades(read_propagation_tree("tree/553160652567498752.txt")).cascades``
    """
    path = Path(path)
    text = decode_utf8(read_input_bytes(path), path)
    lines = pl.DataFrame({"raw": text.splitlines()}).with_row_index("line", offset=1).filter(pl.col("raw").str.strip_chars() != "")
    parts = lines.with_columns(pl.col("raw").str.extract_groups(_LINE).alias("g")).unnest("g")
    bad = parts.filter(pl.col("1").is_null())
    if bad.height:
        raise BadInput(f"not a propagation tree line ({bad['raw'][0][:80]!r})", path=path, line=int(bad["line"][0]),
                       hint="each line is ['uid', 'tweet_id', 'delay']->['uid', 'tweet_id', 'delay']")
    delays = parts.with_columns(pl.col("3").cast(pl.Float64, strict=False).alias("_pd"),
                                pl.col("6").cast(pl.Float64, strict=False).alias("delay"))
    wrong = delays.filter(pl.col("delay").is_null() | (pl.col("_pd").is_null() & (pl.col("1") != "ROOT")))
    if wrong.height:
        raise BadInput("a delay is not a number", path=path, line=int(wrong["line"][0]), hint="delays are minutes, e.g. '1.25'")
    start = snowflake_time(path.name.split(".")[0]) or datetime(1970, 1, 1, tzinfo=timezone.utc)
    node = pl.concat_str([pl.col("4"), pl.col("5"), pl.col("6")], separator="/")
    parent = pl.when(pl.col("1") != "ROOT").then(pl.concat_str([pl.col("1"), pl.col("2"), pl.col("3")], separator="/"))
    kind = pl.when(pl.col("1") == "ROOT").then(None).when(pl.col("2") == pl.col("5")).then(pl.lit("repost")).otherwise(pl.lit("reply"))
    at = pl.lit(start).cast(LINKS["at"]) + pl.duration(microseconds=(pl.col("delay") * 60e6).round(0).cast(pl.Int64))
    return delays.select(pl.lit(platform).alias("platform"), node.alias("node"), parent.alias("parent"),
                         pl.col("4").alias("account"), at.alias("at"), kind.cast(pl.String).alias("kind"),
                         pl.col("5").alias("tweet_id"), "delay")
