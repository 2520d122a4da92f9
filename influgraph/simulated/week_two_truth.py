"""The second week's recorded truth (`World.truth()["week2"]`), computed from the world by its own code.

Nothing here calls influgraph's analyses: the campaign's numbers are counted from the world's posts,
follows and likes by the agreed definitions, so a test that compares them with `campaign` checks
two independent counts:

- campaign posts: original posts (not reposts) created in [since, until) with a campaign hashtag;
- cascade posts: those and every post created in [since, until) that reposts, quotes or replies to
  a cascade post (transitively); each belongs to the cascade of one campaign post (its root);
- spreaders: the authors of campaign posts and of the reposts and quotes among cascade posts;
- niche members: the member rule of the niche's query (a seed account, a bio naming a keyword or
  hashtag as a whole word, or at least 2 niche posts making at least half of the account's posts;
  a niche post is on the niche's hashtags or keywords in its language, or reposts, quotes or
  replies to one), re-implemented here (`niche_members`);
- exposed: the followers of spreaders and the spreaders, less the authors of campaign posts;
  `unique_reach` = exposed niche members;
- engagements: the repost, quote and reply posts among cascade posts and the likes of cascade posts
  made in [since, until), each by anyone but its root's author, counted by whether the engager is a
  member (`member_engagements`, `outsider_engagements`; `member_engagers` distinct members);
- `top_outside_amplifiers`: the 3 accounts outside the picks whose own cascade posts drew the most
  of those engagements (ties by id).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta

from .world import NICHES, START, Niche, World

__all__ = ["week_two_truth", "niche_members", "niche_post_counts", "bio_names", "campaign_numbers", "fold"]

_FOLD = {"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": "", "\u200d": "", "\u0640": ""}
_TAG = re.compile(r"#([\w\u200c]+)")
_REFERENCES = ("retweeted", "quoted", "replied_to")


def fold(text: str) -> str:
    """The matching form of `text`: NFKC, lower case, Arabic-script letter variants and joiners folded.

    >>> fold("کتاب‌ها") == fold("كتابها")
    True
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(_FOLD.get(ch, ch) for ch in text)


def _words(words: tuple[str, ...]) -> re.Pattern | None:
    """A pattern finding any of `words` (folded) as a whole word of a folded text."""
    if not words:
        return None
    alternatives = "|".join(sorted({re.escape(fold(w)) for w in words}, key=len, reverse=True))
    return re.compile(r"(?:^|[^\w])(?:" + alternatives + r")(?:$|[^\w])")


def bio_names(bio: str | None, niche: Niche) -> bool:
    """True when `bio` names one of the niche's keywords or hashtags as a whole word.

    >>> bio_names("Barista and roaster. Single origin nerd.", NICHES[0]), bio_names("Home brewer", NICHES[0])
    (True, False)
    """
    pattern = _words(niche.keywords + niche.hashtags)
    return bool(bio) and pattern is not None and pattern.search(fold(bio)) is not None


def _own(post: dict, niche: Niche, tags: set[str], words: re.Pattern | None) -> bool:
    """True for a post on the niche itself: a niche hashtag or keyword, in the niche's language (or none)."""
    if post.get("lang") not in (None, niche.lang):
        return False
    text = post.get("text") or ""
    found = {fold(h["tag"]) for h in post.get("entities", {}).get("hashtags", [])} | {fold(t) for t in _TAG.findall(text)}
    return bool(found & tags) or (words is not None and words.search(fold(text)) is not None)


def niche_post_counts(posts: list[dict], niche: Niche, by_id: dict[str, dict]) -> Counter:
    """Per author, the number of its `posts` on the niche: its own, or reposting, quoting or replying to one
    (one level: the referenced post itself must be on the niche)."""
    tags = {fold(t) for t in niche.hashtags}
    words = _words(niche.keywords)
    own = {p["id"] for p in posts if _own(p, niche, tags, words)}
    counts: Counter = Counter()
    for post in posts:
        refs = [r["id"] for r in post.get("referenced_tweets", []) if r["type"] in _REFERENCES and r["id"] in by_id]
        if post["id"] in own or any(r in own for r in refs[:1]):
            counts[post["author_id"]] += 1
    return counts


def niche_members(world: World, niche: Niche) -> set[str]:
    """The accounts of `world` the niche's member rule counts (see the module docstring)."""
    seeds = {a["username"].lower() for a in world.accounts
             if world.roles.get(a["id"]) == "expert" and world.community.get(a["id"]) == niche.name}
    by_id = {p["id"]: p for p in world.posts}
    on_niche = niche_post_counts(world.posts, niche, by_id)
    written = Counter(p["author_id"] for p in world.posts)
    return {a["id"] for a in world.accounts
            if a["username"].lower() in seeds or bio_names(a.get("description"), niche)
            or (on_niche[a["id"]] >= 2 and on_niche[a["id"]] >= 0.5 * written[a["id"]])}


def _stamp(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


def _cascades(world: World, hashtags: set[str], since: str, until: str) -> tuple[list[dict], dict[str, str]]:
    """The campaign posts, and every cascade post's root (campaign post id), for [since, until)."""
    inside = sorted((p for p in world.posts if since <= p["created_at"] < until), key=lambda p: (p["created_at"], p["id"]))
    roots: dict[str, str] = {}
    campaign = []
    for post in inside:
        refs = {r["type"]: r["id"] for r in post.get("referenced_tweets", [])}
        tags = {fold(h["tag"]) for h in post.get("entities", {}).get("hashtags", [])}
        parent = next((refs[k] for k in _REFERENCES if k in refs), None)
        if "retweeted" not in refs and tags & hashtags:
            campaign.append(post)
            roots[post["id"]] = post["id"]
        elif parent in roots:
            roots[post["id"]] = roots[parent]
    return campaign, roots


def campaign_numbers(world: World, hashtags: list[str], since: datetime, until: datetime, niche: Niche,
                     picks: list[str]) -> dict:
    """The campaign's posts, unique reach, engagements and top outside amplifiers (module docstring)."""
    low, high = since.strftime("%Y-%m-%dT%H:%M:%S.000Z"), until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    campaign, roots = _cascades(world, {fold(h) for h in hashtags}, low, high)
    posts = {p["id"]: p for p in world.posts}
    members = niche_members(world, niche)
    authors = {p["author_id"] for p in campaign}
    spreaders = set(authors)
    engagements: list[tuple[str, str]] = []  # (engager, the author of the post engaged with)
    for post_id, root in roots.items():
        post = posts[post_id]
        refs = {r["type"]: r["id"] for r in post.get("referenced_tweets", [])}
        if "retweeted" in refs or "quoted" in refs:
            spreaders.add(post["author_id"])
        parent = next((refs[k] for k in _REFERENCES if k in refs), None)
        if parent is not None and post["author_id"] != posts[root]["author_id"]:
            engagements.append((post["author_id"], posts[parent]["author_id"]))
    for liker, post_id, when in world.likes:
        if post_id in roots and since <= when < until and liker != posts[roots[post_id]]["author_id"]:
            engagements.append((liker, posts[post_id]["author_id"]))
    exposed = {src for src, dst in world.follows if dst in spreaders} | spreaders
    exposed -= authors
    drawn = Counter(author for engager, author in engagements if author not in picks and engager != author)
    return {"posts": sorted(p["id"] for p in campaign), "unique_reach": len(exposed & members),
            "member_engagements": sum(1 for engager, _ in engagements if engager in members),
            "outsider_engagements": sum(1 for engager, _ in engagements if engager not in members),
            "member_engagers": len({engager for engager, _ in engagements if engager in members}),
            "top_outside_amplifiers": [a for a, _ in sorted(drawn.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
            "outside_amplification": dict(sorted(drawn.items(), key=lambda kv: (-kv[1], kv[0]))[:6])}


def week_two_truth(world: World, plan: dict) -> dict:
    """`World.truth()["week2"]` from the week's `plan` (what `week_two` planted) and the world itself."""
    start, end = world.week_starts[1], world.now
    campaign = plan["campaign"]
    niche = next(n for n in NICHES if n.name == campaign["niche"])
    since, until = _stamp(campaign["since"]), _stamp(campaign["until"])
    numbers = campaign_numbers(world, campaign["hashtags"], since, until, niche, campaign["accounts"])
    numbers.pop("outside_amplification")
    complaint = plan["complaint"]
    from .week_two import COMPLAINT

    query = {"name": COMPLAINT["name"], "keywords": list(COMPLAINT["keywords"]), "hashtags": list(COMPLAINT["hashtags"]),
             "languages": list(COMPLAINT["languages"]),
             "seed_accounts": [a["username"] for a in world.accounts if a["id"] == complaint["brand"]]}
    return {
        "start": start.isoformat(), "end": end.isoformat(),
        "rising": plan["rising"],
        "campaign": {"name": campaign["name"], "niche": niche.name, "hashtags": campaign["hashtags"],
                     "accounts": campaign["accounts"], "since": since.isoformat(), "until": until.isoformat(),
                     **numbers},
        "complaint": {"niche": complaint["niche"], "brand": complaint["brand"], "query": query,
                      "first_spreader": complaint["first_spreader"], "amplifiers": complaint["amplifiers"],
                      "broker": complaint["broker"], "post": complaint["post"]},
        "spikes": plan["spikes"],
    }
