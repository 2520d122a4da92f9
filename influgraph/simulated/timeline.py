"""The simulated world at a moment: `World.at(when)` keeps what exists by then, with the counts of then.

Week-one follows carry no time and exist from the start; week-two follows (`World.follow_times`),
likes (`World.likes`), accounts and posts exist from their time. An account's and a post's public
counts as of `when` are its final counts less what came after `when` (so an audience beyond the
world, such as a celebrity's, stays in them).
"""
from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime, timezone

from .world import World

__all__ = ["world_at", "stamp", "parse_stamp"]

_FORMAT = "%Y-%m-%dT%H:%M:%S.000Z"
_POST_COUNTS = {"retweeted": "retweet_count", "quoted": "quote_count", "replied_to": "reply_count"}


def stamp(when: datetime) -> str:
    """`when` in the world's time format (X's `created_at`), which sorts as the times do.

    >>> from datetime import datetime, timezone
    >>> stamp(datetime(2026, 10, 16, tzinfo=timezone.utc))
    '2026-10-16T00:00:00.000Z'
    """
    return when.astimezone(timezone.utc).strftime(_FORMAT)


def parse_stamp(text: str) -> datetime:
    """The time of a world `created_at` string (UTC)."""
    return datetime.strptime(text, _FORMAT).replace(tzinfo=timezone.utc)


def world_at(world: World, when: datetime) -> World:
    """A copy of `world` holding only what exists at `when`, with the counts of then (see `World.at`).

    Parameters
    ----------
    world : the built world.
    when : a time-zone-aware moment; what was created at exactly `when` is included.

    Returns
    -------
    World
        A new world (the input is not changed) whose `now` is `when`.

    Example::

        snapshot = world_at(build_world(7, weeks=2), datetime(2026, 10, 17, tzinfo=timezone.utc))
    """
    if when.tzinfo is None:
        raise ValueError("the moment must be time-zone aware (UTC)")
    limit = stamp(when)
    accounts = [a for a in world.accounts if a["created_at"] <= limit]
    alive = {a["id"] for a in accounts}
    posts = [p for p in world.posts if p["created_at"] <= limit]
    later_posts = [p for p in world.posts if p["created_at"] > limit]
    follows = [f for f in world.follows if f not in world.follow_times or world.follow_times[f] <= when]
    later_follows = [f for f, t in world.follow_times.items() if t > when]
    likes = [like for like in world.likes if like[2] <= when]
    later_likes = [like for like in world.likes if like[2] > when]
    snapshot = World(seed=world.seed, accounts=_accounts_then(accounts, later_posts, later_follows),
                     posts=_posts_then(posts, later_posts, later_likes), follows=follows,
                     roles={i: r for i, r in world.roles.items() if i in alive},
                     community={i: c for i, c in world.community.items() if i in alive},
                     bridges={i: b for i, b in world.bridges.items() if i in alive},
                     inauthentic=world.inauthentic, now=when,
                     week_starts=[start for start in world.week_starts if start <= when],
                     follow_times={f: t for f, t in world.follow_times.items() if t <= when}, likes=likes,
                     week2=world.week2, origin=world.origin or world)
    return snapshot


def _accounts_then(accounts: list[dict], later_posts: list[dict], later_follows: list[tuple[str, str]]) -> list[dict]:
    """Copies of `accounts` whose public counts leave out the posts and follows made after the moment."""
    tweets = Counter(p["author_id"] for p in later_posts)
    followers = Counter(dst for _, dst in later_follows)
    following = Counter(src for src, _ in later_follows)
    out = []
    for account in accounts:
        key = account["id"]
        if key in tweets or key in followers or key in following:
            account = copy.deepcopy(account)
            metrics = account["public_metrics"]
            metrics["tweet_count"] -= tweets[key]
            metrics["followers_count"] -= followers[key]
            metrics["following_count"] -= following[key]
        out.append(account)
    return out


def _posts_then(posts: list[dict], later_posts: list[dict], later_likes: list[tuple[str, str, datetime]]) -> list[dict]:
    """Copies of `posts` whose public counts leave out the reposts, quotes, replies and likes made after the moment."""
    later: Counter = Counter()
    for post in later_posts:
        for ref in post.get("referenced_tweets", []):
            if ref["type"] in _POST_COUNTS:
                later[(ref["id"], _POST_COUNTS[ref["type"]])] += 1
    for _, post_id, _ in later_likes:
        later[(post_id, "like_count")] += 1
    touched = {post_id for post_id, _ in later}
    out = []
    for post in posts:
        if post["id"] in touched:
            post = copy.deepcopy(post)
            for name in post["public_metrics"]:
                post["public_metrics"][name] -= later[(post["id"], name)]
        out.append(post)
    return out
