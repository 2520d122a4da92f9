"""The whole simulated world as one `Batch`, read the way the X crawler's pages are read.

`world_batch(world)` renders the world as X API v2 pages (every post as a search page with its
users, every account's follower list, every liked post's liking users) and reads them with the X
reader (`sources.xjson.read_x_pages`), so its rows are exactly the rows a crawl of the whole world
would store: the same repost, quote, reply and mention edges, the same absorptions, the same
account and post columns. Two things a crawl cannot see are added: the time of each follow and
like of the second week (`World.follow_times`, `World.likes`) as the edge's `at`, and
`observed_at = world.now` on every row (the moment the snapshot shows).

A snapshot (`World.at`) is cut from the rows of the world it was taken from, read once and kept in
that world's `cache`: the rows of what exists at the snapshot's moment, with the counts of then.
Each row is the one the reader makes of that snapshot's own pages (a post's rows depend only on
the post and the posts it references, which are older), so the cut equals a read of its own pages
(a test checks it) at a fraction of the time.
"""
from __future__ import annotations

import polars as pl

from ..schema import TIMESTAMP, Batch
from .world import World

__all__ = ["world_batch"]

_HOST = "https://api.twitter.com"


def world_batch(world: World) -> Batch:
    """Every account, post and edge of `world` as a Batch in the X reader's shapes, observed at `world.now`.

    Parameters
    ----------
    world : a built world, or a snapshot of one (`World.at`).

    Returns
    -------
    Batch
        accounts, posts and edges (follow, repost, quote, reply, mention, like); week-two follows and
        likes carry their time in `at`; every row has `observed_at` = `world.now`.

    Example::

        from influgraph.simulated import build_world, world_batch
        world = build_world(7, weeks=2)
        workspace.commit(world_batch(world.at(world.week_starts[1])))
    """
    root = world.origin
    if root is None:
        return _whole(world)
    if "batch" not in root.cache:
        root.cache["batch"] = _whole(root)
    return _cut(root.cache["batch"], world)


def _whole(world: World) -> Batch:
    """`world_batch` of a world as built: its pages read by the X reader, plus the follow and like lists."""
    from ..sources.xjson import read_x_pages
    from .x_api import XIndex

    index = XIndex(world)
    pages: list[tuple[str, dict]] = [(f"{_HOST}/2/users", {"data": list(index.users.values())})]
    if world.posts:
        pages.append((f"{_HOST}/2/tweets/search/recent", {"data": world.posts}))
    batch, _ = read_x_pages(pages, "simulated world")
    lists = _list_edges(world)
    edges = pl.concat([batch.edges, lists], how="vertical").unique(
        subset=["src", "dst", "kind", "post_id"], keep="first", maintain_order=True)
    observed = pl.lit(world.now, dtype=TIMESTAMP).alias("observed_at")
    return Batch(accounts=batch.accounts.with_columns(observed), posts=batch.posts.with_columns(observed),
                 edges=edges.with_columns(observed))


def _list_edges(world: World) -> pl.DataFrame:
    """The follow and like edges the X reader makes of the follower and liking-user lists (`follow` follower ->
    followed, `like` liker -> the post's author, with the post's id), each with its time when the world has it."""
    follows = pl.DataFrame(world.follows or None, schema={"src": pl.String, "dst": pl.String}, orient="row")
    timed = pl.DataFrame([(s, d, t) for (s, d), t in world.follow_times.items()] or None,
                         schema={"src": pl.String, "dst": pl.String, "at": TIMESTAMP}, orient="row")
    follows = follows.join(timed, on=["src", "dst"], how="left", maintain_order="left").with_columns(
        kind=pl.lit("follow"), post_id=pl.lit(None, dtype=pl.String))
    authors = {p["id"]: p["author_id"] for p in world.posts}
    likes = pl.DataFrame([(liker, authors[post], post, when) for liker, post, when in world.likes if post in authors]
                         or None, schema={"src": pl.String, "dst": pl.String, "post_id": pl.String, "at": TIMESTAMP},
                         orient="row").with_columns(kind=pl.lit("like"))
    frame = pl.concat([follows.select("src", "dst", "kind", "post_id", "at"),
                       likes.select("src", "dst", "kind", "post_id", "at")], how="vertical")
    return Batch(edges=frame.with_columns(platform=pl.lit("x"), origin=pl.lit(""))).edges


def _cut(whole: Batch, snapshot: World) -> Batch:
    """The rows of `whole` (the batch of the world `snapshot` was taken from) that exist in `snapshot`,
    with the snapshot's account and post counts, observed at its `now`."""
    accounts = pl.DataFrame([(a["id"], a["public_metrics"]["followers_count"], a["public_metrics"]["following_count"],
                              a["public_metrics"]["tweet_count"]) for a in snapshot.accounts] or None,
                            schema={"id": pl.String, "followers": pl.Int64, "following": pl.Int64, "posts": pl.Int64},
                            orient="row")
    metrics = ("retweet_count", "quote_count", "reply_count", "like_count")
    posts = pl.DataFrame([(p["id"], *(p["public_metrics"][m] for m in metrics)) for p in snapshot.posts] or None,
                         schema={"id": pl.String, "reposts": pl.Int64, "quotes": pl.Int64, "replies": pl.Int64,
                                 "likes": pl.Int64}, orient="row")
    follows = pl.DataFrame(snapshot.follows or None, schema={"src": pl.String, "dst": pl.String}, orient="row")
    likes = pl.DataFrame([(who, post) for who, post, _ in snapshot.likes] or None,
                         schema={"src": pl.String, "post_id": pl.String}, orient="row")
    edges = whole.edges
    kind = pl.col("kind").cast(pl.String)
    kept = pl.concat([
        edges.filter(kind == "follow").join(follows, on=["src", "dst"], how="semi"),
        edges.filter(kind == "like").join(likes, on=["src", "post_id"], how="semi"),
        edges.filter(~kind.is_in(["follow", "like"])).join(posts.select(post_id="id"), on="post_id", how="semi"),
    ], how="vertical")
    observed = pl.lit(snapshot.now, dtype=TIMESTAMP).alias("observed_at")
    counted_accounts = whole.accounts.drop("followers", "following", "posts").join(accounts, on="id", how="inner",
                                                                                    maintain_order="left")
    counted_posts = whole.posts.drop("reposts", "quotes", "replies", "likes").join(posts, on="id", how="inner",
                                                                                  maintain_order="left")
    return Batch(accounts=counted_accounts.with_columns(observed), posts=counted_posts.with_columns(observed),
                 edges=kept.with_columns(observed))
