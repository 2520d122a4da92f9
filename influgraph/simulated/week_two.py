"""The simulated world's second week (`build_world(weeks=2)`): routine activity and four planted stories.

Drawn after the first week from its own generator (seeded by `[seed, 2]`), so the first week never
moves. Every follow and like of the week carries its time (`World.follow_times`, `World.likes`);
posts get ids in time order, as X's ids are (so `since_id` works on them). Per niche:

- **routine**: experts, local experts, brokers, brands, the celebrity and some peers post about half
  as much as in the first week, engaged as then; a few members follow new accounts;
- **rising**: 3 ordinary peers (not celebrities: tens of followers) who start posting often, are
  engaged by niche members and gain tens of member followers during the week;
- **follower spike**: one account whose bought followers (new, empty accounts following thousands)
  all follow it within a few hours of one day.

And once:

- **campaign** (specialty-coffee, `brew-better-week`): the picked accounts post under the campaign
  hashtags between `since` and `until`; members (who the niche's member rule counts, by their bio)
  and outsiders (general accounts and members of other niches who never posted on coffee before)
  repost, quote, reply and like, in cascades of a few levels; three accounts outside the picks
  amplify it most (their quotes are engaged the most); a teaser before `since` and a few late
  reposts after `until` fall outside the window;
- **complaint** (kuliner-nusantara, about a brand): a customer posts it in Indonesian under its own
  hashtags and words (none of the niche's); 3 amplifiers with clearly ranked reach into the brand's
  followers quote it and the brand's followers among their followers repost their quotes; a
  broker of another niche quotes it and carries it into that community.

The planted accounts are recorded in `World.week2` by `week_two_truth.week_two_truth`, which also
computes the campaign's numbers from the world by the agreed definitions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from .timeline import parse_stamp
from .world import NICHES, POST_BASE, START, Niche, _Builder, _Cast, _GENERAL_TEMPLATES

__all__ = ["build_week_two", "CAMPAIGN", "COMPLAINT"]

DAY = 24 * 60
CAMPAIGN = {"name": "brew-better-week", "niche": "specialty-coffee", "hashtags": ("brewbetterweek", "cuppingclub"),
            "since_day": 1, "until_day": 5}
COMPLAINT = {"name": "kemasan-bocor", "niche": "kuliner-nusantara", "keywords": ("kemasan bocor", "basi"),
             "hashtags": ("kemasanbocor", "kecewaberat"), "languages": ("id",), "day": 2}


@dataclass
class _Week:
    """The second week under construction: the builder, the cast, the week's start (in minutes from
    START), its follows and likes with their times, the accounts kept for one campaign act each, and
    what was planted (for the truth)."""

    b: _Builder
    cast: _Cast
    minute0: int
    follows: dict[tuple[str, str], int] = field(default_factory=dict)  # minute of each new follow
    liked: set[tuple[str, str]] = field(default_factory=set)
    likes: list[tuple[str, str, int]] = field(default_factory=list)  # (liker, post id, minute)
    reserved: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)  # the accounts already planted in a story of the week
    plan: dict = field(default_factory=dict)

    def minute(self, day: float, hour: float = 0.0) -> int:
        """The world minute of `day` (0-6) of the week, `hour` hours in."""
        return self.minute0 + int(day * DAY + hour * 60)

    def follow(self, who: str, whom: str, minute: int) -> None:
        """`who` follows `whom` at `minute`, unless it already does (or `who` is `whom`)."""
        if who != whom and (who, whom) not in self.b.follows:
            self.b.follows.add((who, whom))
            self.follows[(who, whom)] = minute

    def like(self, who: str, post: dict, minute: int) -> None:
        """`who` likes `post` at `minute` (once; never its own post)."""
        if who != post["author_id"] and (who, post["id"]) not in self.liked:
            self.liked.add((who, post["id"]))
            self.likes.append((who, post["id"], minute))
            post["public_metrics"]["like_count"] += 1

    def pick(self, pool: list[str], count: int) -> list[str]:
        """`count` distinct accounts of `pool` (all of it when it is smaller), in the draw's order."""
        if count <= 0 or not pool:
            return []
        return [pool[j] for j in self.b.rng.choice(len(pool), size=min(count, len(pool)), replace=False)]


def build_week_two(b: _Builder, cast: _Cast) -> None:
    """Add the second week to the world `b` builds (see the module docstring); `b.world.now` is the end
    of the first week and becomes the end of the second."""
    from .week_two_truth import week_two_truth

    world = b.world
    start = world.now
    b.rng = np.random.default_rng([world.seed, 2])
    week = _Week(b=b, cast=cast, minute0=int((start - START).total_seconds() // 60))
    first_post = len(world.posts)
    week.reserved = _outsiders(week)
    for niche in NICHES:
        _routine(week, niche)
    week.plan["rising"] = {niche.name: _risers(week, niche) for niche in NICHES}
    week.plan["campaign"] = _campaign(week)
    week.plan["complaint"] = _complaint(week)
    week.plan["spikes"] = {}
    for niche in NICHES:
        week.plan["spikes"].update(_spike(week, niche))
    _renumber(world, first_post, week)
    world.follow_times = {pair: START + timedelta(minutes=m) for pair, m in week.follows.items()}
    world.follows = world.follows + sorted(week.follows, key=lambda pair: (week.follows[pair], pair))
    world.likes = [(who, post, START + timedelta(minutes=m)) for who, post, m in week.likes]
    world.week_starts = [START, start]
    world.now = start + timedelta(days=7)
    world.week2 = week_two_truth(world, week.plan)


# ---------------------------------------------------------------- who may take part where
def _members_by_bio(b: _Builder, cast: _Cast, niche: Niche) -> list[str]:
    """The niche's peers whose bio names one of its keywords: members by the member rule whatever they post."""
    from .week_two_truth import bio_names

    return [m for m in cast.members[niche.name] if bio_names(b.by_id[m]["description"], niche)]


def _outsiders(week: _Week) -> set[str]:
    """Accounts kept out of the week's routine so each takes part in the campaign once at most: general
    accounts that never reposted, quoted or replied, and members of the other niches who follow the
    campaign's bridging broker and never posted on coffee."""
    from .week_two_truth import niche_post_counts

    b, cast = week.b, week.cast
    acting = {p["author_id"] for p in b.world.posts if p.get("referenced_tweets")}
    bought = {f for fans in b.world.inauthentic["bought_followers"].values() for f in fans}
    general = [g for g in cast.general if g not in acting and g not in bought]
    coffee = next(n for n in NICHES if n.name == CAMPAIGN["niche"])
    on_coffee = niche_post_counts(b.world.posts, coffee, {p["id"]: p for p in b.world.posts})
    bridging = _bridge(week, CAMPAIGN["niche"], "kuliner-nusantara")
    others = [s for s, d in b.follows if d == bridging and b.world.community[s] not in ("general", coffee.name)
              and on_coffee.get(s, 0) == 0 and b.world.roles[s] == "peer"]
    return set(week.pick(general, max(len(general) // 3, 10))) | set(sorted(others))


def _bridge(week: _Week, home: str, other: str) -> str:
    """The broker of `home` that bridges into `other`."""
    return next(a for a, (h, o) in sorted(week.b.world.bridges.items()) if h == home and o == other)


# ---------------------------------------------------------------- routine
def _routine(week: _Week, niche: Niche) -> None:
    """About half a first week: the planted accounts post and are engaged as then, some peers post, a
    few members follow new accounts, part of the general population posts a mass-hashtag line."""
    b, cast, rng = week.b, week.cast, week.b.rng
    p = cast.planted[niche.name]
    peers = [m for m in cast.members[niche.name] if m not in week.reserved]
    core, *scenes = [[m for m in scene if m not in week.reserved] for scene in cast.scenes[niche.name]]
    general = [g for g in cast.general if g not in week.reserved]

    def post(author: str) -> dict:
        b.minute = week.minute(rng.uniform(0, 6.8))
        return b.niche_post(author, niche)

    for expert in p["expert"]:
        for _ in range(3):
            b.engage(niche, post(expert), core, 0.07, niche.lang, 0.25)
    for local, scene in zip(p["local"], scenes):
        for _ in range(3):
            b.engage(niche, post(local), scene, 0.07, niche.lang, 0.25)
    for broker in p["broker"]:
        other = next(n for n in NICHES if n.name == b.world.bridges[broker][1])
        b.engage(niche, post(broker), peers, 0.03, niche.lang)
        b.engage(niche, post(broker), [m for m in cast.members[other.name] if m not in week.reserved], 0.03, other.lang)
    for brand in p["brand"]:
        for _ in range(2):
            b.engage(niche, post(brand), peers, 0.01, niche.lang)
    b.engage(niche, post(p["celebrity"][0]), general, 0.10, "en", 0.05)
    for peer in peers:
        if rng.random() < 0.25:
            engaged = post(peer)
            if rng.random() < 0.5:
                b.engage(niche, engaged, peers, 0.004, niche.lang)
    pool = p["expert"] + p["local"] + p["broker"] + p["brand"] + peers
    for member in week.pick(peers, len(peers) // 10):
        for whom in week.pick(pool, int(rng.integers(1, 4))):
            week.follow(member, whom, week.minute(rng.uniform(0, 6.9)))
    for person in week.pick(general, len(general) // 8):
        b.post(person, _GENERAL_TEMPLATES[int(rng.integers(len(_GENERAL_TEMPLATES)))], "en",
               week.minute(rng.uniform(0, 6.9)))


# ---------------------------------------------------------------- rising accounts
def _risers(week: _Week, niche: Niche) -> list[str]:
    """3 peers with small first-week audiences who rise: from their start day on they post 5 niche posts
    each, engaged by members who name the niche in their bio, and 45-70 of those members follow them."""
    b, cast, rng = week.b, week.cast, week.b.rng
    followers: dict[str, int] = {}
    for _, dst in b.follows:
        followers[dst] = followers.get(dst, 0) + 1
    ring = {m for r in b.world.inauthentic["rings"] for m in r["members"]}
    quiet = [m for m in cast.members[niche.name] if m not in week.reserved and m not in ring
             and followers.get(m, 0) <= 20]
    risers = week.pick(quiet, 3)
    week.taken.update(risers)
    fans = [m for m in _members_by_bio(b, cast, niche) if m not in week.reserved and m not in risers]
    for riser in risers:
        begin = rng.uniform(0.2, 1.5)
        for when in sorted(rng.uniform(begin, 6.5, size=5)):
            b.minute = week.minute(when)
            b.engage(niche, b.niche_post(riser, niche), fans, 0.05, niche.lang, 0.25)
        for fan in week.pick(fans, int(rng.integers(45, 71))):
            week.follow(fan, riser, week.minute(rng.uniform(begin, 6.9)))
    return sorted(risers)


# ---------------------------------------------------------------- campaign
def _campaign(week: _Week) -> dict:
    """The specialty-coffee campaign (see the module docstring); returns its plan for the truth."""
    b, cast, rng = week.b, week.cast, week.b.rng
    niche = next(n for n in NICHES if n.name == CAMPAIGN["niche"])
    p = cast.planted[niche.name]
    picks = [p["expert"][0], p["expert"][1], p["local"][0], _bridge(week, niche.name, "persian-books")]
    members = [m for m in _members_by_bio(b, cast, niche) if m not in week.reserved]
    free = [m for m in members if m not in week.taken and m not in picks]
    outsiders = sorted(week.reserved)
    rng.shuffle(outsiders)
    since, until = week.minute(CAMPAIGN["since_day"]), week.minute(CAMPAIGN["until_day"])
    tag, second = CAMPAIGN["hashtags"]
    lines = ("Join us for #{tag}: five days of better brewing at home #specialtycoffee",
             "Day {n} of #{tag}: weigh your beans, time your pour #specialtycoffee #pourover",
             "Cupping notes from #{tag}, share yours #specialtycoffee")
    b.post(picks[0], lines[0].format(tag=tag, n=0), niche.lang, since - 6 * 60)  # a teaser before `since`
    roots: list[dict] = []
    for k, pick in enumerate(picks):
        for n in range(2):
            when = since + int(rng.uniform(0.05, 2.8) * DAY)
            roots.append(b.post(pick, lines[(k + n) % 3].format(tag=tag, n=n + 1), niche.lang, when))
    organic, third = week.pick(free, 2)
    roots.append(b.post(organic, f"First time at a #{second} session, what a cup #specialtycoffee", niche.lang,
                        since + int(1.5 * DAY)))
    followers = _followers(b)
    crowd = _Crowd(members=set(members), outsiders=outsiders, followers=followers)
    for root in roots:
        _cascade(week, niche, root, crowd, picks, 7 if root["author_id"] in picks else 3)
    amplifiers = [p["expert"][2], p["local"][1], third]
    week.taken.update([organic, *amplifiers, *picks])
    for share, amplifier, root in zip((0.3, 0.22, 0.2), amplifiers, roots[:3]):
        quote = _quote(week, niche, amplifier, root, _minute_of(root) + 90)
        _amplified(week, quote, amplifier, share, crowd)
    for who in week.pick([m for m in free if m not in week.taken], 3):  # after `until`: outside the window
        b.repost(who, roots[1], until + int(rng.integers(60, 600)))
    return {"name": CAMPAIGN["name"], "niche": niche.name, "hashtags": list(CAMPAIGN["hashtags"]), "accounts": picks,
            "since": since, "until": until, "planted_amplifiers": amplifiers}


@dataclass
class _Crowd:
    """Who engages with the campaign: the niche's members by bio, the outsiders (each taking one act, popped
    from the list), and every account's followers."""

    members: set[str]
    outsiders: list[str]
    followers: dict[str, list[str]]


def _followers(b: _Builder) -> dict[str, list[str]]:
    """Each account's followers (so far), sorted."""
    out: dict[str, list[str]] = {}
    for src, dst in sorted(b.follows):
        out.setdefault(dst, []).append(src)
    return out


def _cascade(week: _Week, niche: Niche, root: dict, crowd: _Crowd, picks: list[str], most: int) -> None:
    """The engagement one campaign post gets: its author's followers among the members repost, reply, quote
    and like (and another pick reposts); 2 to `most` - 1 outsiders (each once) repost or reply, and like; two member
    replies each get a reply from another member and one from the author (the author's own, so no
    engagement)."""
    b, rng = week.b, week.b.rng
    minute = _minute_of(root)
    fans = [m for m in crowd.followers.get(root["author_id"], []) if m in crowd.members]
    fans += week.pick([m for m in sorted(crowd.members) if m not in fans], 4)
    others = [p for p in picks if p != root["author_id"]]
    replies = []
    for who in week.pick(fans, max(int(len(fans) * 0.12), 3)) + week.pick(others, 1):
        minute += int(rng.integers(2, 30))
        draw = rng.random()
        if draw < 0.2:
            b.reply(who, root, minute, niche.lang)
            replies.append(b.world.posts[-1])
        elif draw < 0.3:
            _quote(week, niche, who, root, minute)
        else:
            b.repost(who, root, minute)
    for who in week.pick(fans, max(int(len(fans) * 0.15), 2)):
        week.like(who, root, minute + int(rng.integers(1, 120)))
    for _ in range(int(rng.integers(2, most))):
        if len(crowd.outsiders) < 2:
            break
        minute += int(rng.integers(2, 30))
        who = crowd.outsiders.pop()
        if rng.random() < 0.25:
            b.reply(who, root, minute, "en")
        else:
            b.repost(who, root, minute)
        week.like(crowd.outsiders[-1], root, minute + 3)
    for reply in replies[:2]:
        b.reply(root["author_id"], reply, _minute_of(reply) + 30, niche.lang)
        helper = week.pick([m for m in fans if m != reply["author_id"]], 1)
        if helper:
            b.reply(helper[0], reply, _minute_of(reply) + 45, niche.lang)


def _quote(week: _Week, niche: Niche, who: str, original: dict, minute: int) -> dict:
    """`who` quotes `original` at `minute` (niche words, no campaign hashtag); returns the quote."""
    week.b.quote(who, original, minute, niche)
    return week.b.world.posts[-1]


def _amplified(week: _Week, quote: dict, amplifier: str, share: float, crowd: _Crowd) -> None:
    """An outside amplifier's quote of a campaign post, engaged by `share` of its member followers (reposts,
    and likes) and by a few outsiders (reposts)."""
    b, rng = week.b, week.b.rng
    minute = _minute_of(quote)
    fans = [m for m in crowd.followers.get(amplifier, []) if m in crowd.members]
    for who in week.pick(fans, max(int(len(fans) * share), 4)):
        minute += int(rng.integers(2, 20))
        if rng.random() < 0.7:
            b.repost(who, quote, minute)
        else:
            week.like(who, quote, minute)
    for _ in range(int(share * 60)):
        if crowd.outsiders:
            minute += int(rng.integers(2, 20))
            b.repost(crowd.outsiders.pop(), quote, minute)


def _minute_of(post: dict) -> int:
    """The world minute a post was created at."""
    return int((parse_stamp(post["created_at"]) - START).total_seconds() // 60)


# ---------------------------------------------------------------- complaint
def _complaint(week: _Week) -> dict:
    """The complaint about a kuliner-nusantara brand (see the module docstring); returns its plan."""
    b, cast, rng = week.b, week.cast, week.b.rng
    niche = next(n for n in NICHES if n.name == COMPLAINT["niche"])
    p = cast.planted[niche.name]
    brand = p["brand"][0]
    followers = _followers(b)
    audience = set(followers.get(brand, []))
    broker = _bridge(week, "specialty-coffee", niche.name)
    amplifiers = [p["expert"][1], p["expert"][0], p["local"][1]]
    customers = [m for m in cast.members[niche.name] if m in audience and m not in week.reserved
                 and m not in week.taken and len(set(followers.get(m, [])) & audience) <= 6]
    first = week.pick(customers or [m for m in cast.members[niche.name] if m not in week.taken], 1)[0]
    start = week.minute(COMPLAINT["day"], 9)
    _reach(week, amplifiers, audience, followers, [first, broker], start)
    followers = _followers(b)
    handle = b.by_id[brand]["username"]
    text = (f"Kecewa berat sama @{handle}: kemasan bocor dan isinya sudah basi waktu sampai. Jangan beli dulu! "
            "#kemasanbocor #kecewaberat")
    complaint = b.post(first, text, "id", start)
    spread: set[str] = {first, *amplifiers, broker, brand}
    minute = start
    for who in week.pick([f for f in followers.get(first, []) if f not in spread], 4):
        minute += int(rng.integers(5, 40))
        b.repost(who, complaint, minute)
        spread.add(who)
    lines = ("Ini serius, @{h} harus jawab. Banyak yang kena kemasan bocor #kemasanbocor",
             "Saya juga dapat yang basi minggu lalu #kecewaberat #kemasanbocor",
             "Tolong dicek @{h}, kemasan bocor lagi #kemasanbocor")
    for k, (amplifier, share) in enumerate(zip(amplifiers, (0.6, 0.5, 0.45))):
        minute = start + (3 + 2 * k) * 60
        quote = b.post(amplifier, lines[k].format(h=handle), "id", minute,
                       referenced_tweets=[{"type": "quoted", "id": complaint["id"]}])
        complaint["public_metrics"]["quote_count"] += 1
        fans = [f for f in followers.get(amplifier, []) if f in audience and f not in {first, brand, *amplifiers}]
        for who in week.pick(fans, int(len(fans) * share)):
            minute += int(rng.integers(2, 20))
            b.repost(who, quote, minute)
            spread.add(who)
    _carried(week, complaint, broker, start + 12 * 60, followers, spread)
    return {"niche": niche.name, "brand": brand, "first_spreader": first, "amplifiers": amplifiers, "broker": broker,
            "post": complaint["id"]}


def _reach(week: _Week, amplifiers: list[str], audience: set[str], followers: dict[str, list[str]],
           others: list[str], start: int) -> None:
    """Before the complaint, brand followers follow the amplifiers until each reaches clearly more of the
    brand's audience than the next (and the last clearly more than the first spreader and the broker)."""
    rng = week.b.rng
    floor = max(len(set(followers.get(o, [])) & audience) for o in others)
    margin = max(len(audience) // 6, 6)
    target = floor
    for amplifier in reversed(amplifiers):
        have = set(followers.get(amplifier, [])) & audience
        target = max(len(have), target + margin)
        missing = sorted(audience - have - {amplifier})
        for fan in week.pick(missing, target - len(have)):
            week.follow(fan, amplifier, start - int(rng.integers(60, 2 * DAY)))


def _carried(week: _Week, complaint: dict, broker: str, minute: int, followers: dict[str, list[str]],
             spread: set[str]) -> None:
    """The broker quotes the complaint, and its followers of its other community repost the quote."""
    b, rng = week.b, week.b.rng
    home = b.world.community[broker]
    quote = b.post(broker, "Heads up from our friends in Indonesia: kemasan bocor, produk basi #kemasanbocor", "id",
                   minute, referenced_tweets=[{"type": "quoted", "id": complaint["id"]}])
    complaint["public_metrics"]["quote_count"] += 1
    fans = [f for f in followers.get(broker, []) if b.world.community[f] == home and f not in spread
            and b.world.roles[f] == "peer"]
    for who in week.pick(fans, 6):
        minute += int(rng.integers(2, 25))
        b.repost(who, quote, minute)


# ---------------------------------------------------------------- follower spikes
def _spike(week: _Week, niche: Niche) -> dict[str, str]:
    """Bought followers of one account of `niche`, created the evening before and all following it within
    a few hours of one day; returns {account: the day}."""
    b, cast, rng = week.b, week.cast, week.b.rng
    if niche.name == COMPLAINT["niche"]:
        target = cast.planted[niche.name]["brand"][1]
    else:
        target = week.pick([m for m in cast.members[niche.name] if m not in week.taken and m not in week.reserved], 1)[0]
    week.taken.add(target)
    day = int(rng.integers(2, 6))
    midnight = week.minute(day)
    for _ in range(max(int(250 * b.scale), 40)):  # `created_days` counts back from START: negative is after it
        fan = b.account("general", "peer", None, "en", kind="bought", created_days=-(midnight // DAY))
        b.extra_following[fan] = int(rng.integers(1_500, 6_000))
        week.follow(fan, target, midnight + int(rng.integers(60, 5 * 60)))
    return {target: (START + timedelta(minutes=midnight)).date().isoformat()}


# ---------------------------------------------------------------- ids in time order
def _renumber(world, first: int, week: _Week) -> None:
    """Give the week's posts ids in the order of their times (X's ids grow with time), and update every
    reference to them (referenced tweets, conversations, likes)."""
    fresh = sorted(range(first, len(world.posts)), key=lambda i: (world.posts[i]["created_at"], i))
    renamed = {world.posts[i]["id"]: str(POST_BASE + (first + n + 1) * 104729) for n, i in enumerate(fresh)}
    world.posts[first:] = [world.posts[i] for i in fresh]
    for post in world.posts[first:]:
        post["id"] = renamed[post["id"]]
        post["conversation_id"] = renamed.get(post["conversation_id"], post["conversation_id"])
        for ref in post.get("referenced_tweets", []):
            ref["id"] = renamed.get(ref["id"], ref["id"])
    week.likes = [(who, renamed.get(post, post), m) for who, post, m in week.likes]
    week.plan["complaint"]["post"] = renamed[week.plan["complaint"]["post"]]
