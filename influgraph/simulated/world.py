"""A deterministic simulated social world: niches, planted influencer kinds, follows, posts, interactions.

It serves three needs: the credential-free demo, crawler tests, and recall tests. The planted
truth (`World.truth()`) says which account is what, so tests measure recall instead of
trusting output.

Niches, each with its own language, hashtags and vocabulary:

- `specialty-coffee` (English), `kuliner-nusantara` (Indonesian), `persian-books` (Persian,
  with the zero-width non-joiner in words such as کتاب‌ها and می‌خوانم; some Arabic names);
- a general population outside every niche, posting under a mass hashtag (#giveaway).

Planted per niche: a **celebrity** whose huge audience is mostly the general population; niche
**experts** with small audiences made of niche members who engage with their niche posts;
**local experts**, each the leader of one of the niche's two local scenes (a quarter of its
members each; the niche experts and brokers lead the core half and are followed far less in
the scenes, a core-periphery structure);
**brokers** followed and engaged by two niches; a **vanity** account whose niche post is
reposted mostly by general-population users of the mass hashtag; **brands**; **bots** (many
posts, mass mentions, recent accounts, no real engagement); and ordinary **peers**.

Planted inauthentic audiences (`_plant_inauthentic`, drawn after everything else and recorded in
`World.truth()["inauthentic"]` beside the roles; their accounts keep the role "peer"):

- **bought followers** of each vanity account: young accounts created in three batches, no posts,
  no bio, following thousands (beyond this world; in it, only the vanity account) and followed
  by no one;
- **giveaway hunters** of the general population, created together, who repost (nearly) every
  vanity account's viral giveaway post and post giveaway lines of their own;
- one **engagement ring** per niche (8 to 13 accounts, created together) whose members follow
  each other and repost nearly every post of every other member.

`build_world(weeks=2)` adds a second week after these (`week_two`: rising accounts, a campaign, a
complaint, follower spikes; its truth in `World.truth()["week2"]`), and `World.at(when)` cuts the
world at a moment (`timeline`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

__all__ = ["World", "Niche", "build_world", "NICHES", "MASS_HASHTAG"]

ACCOUNT_BASE = 1_500_000_000_000_000_000  # 19-digit ids, far above 2**53
POST_BASE = 1_700_000_000_000_000_000
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
MASS_HASHTAG = "giveaway"


@dataclass(frozen=True)
class Niche:
    """A niche of the simulated world: its language, hashtags, vocabulary and post templates."""

    name: str
    lang: str
    hashtags: tuple[str, ...]
    keywords: tuple[str, ...]
    templates: tuple[str, ...]
    bios: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


NICHES: tuple[Niche, ...] = (
    Niche(
        "specialty-coffee", "en", ("specialtycoffee", "pourover", "latteart"),
        ("espresso", "barista", "single origin", "roast"),
        ("Dialing in a {x} pour-over this morning, bright and sweet #specialtycoffee #pourover",
         "New roast profile for our {x} beans, tasting notes of jasmine #specialtycoffee",
         "Latte art practice day {n}: finally a clean tulip #latteart #specialtycoffee",
         "Why grind size matters more than your espresso machine, a thread #specialtycoffee"),
        ("Barista and roaster. Single origin nerd.", "Coffee educator, espresso trainer", "Home brewer, pour-over fan"),
        ("Alex", "Sam", "Jordan", "Taylor", "Casey", "Morgan", "Riley", "Jamie", "Avery", "Quinn"),
        ("Walker", "Reyes", "Chen", "Okafor", "Novak", "Silva", "Brooks", "Khan"),
    ),
    Niche(
        "kuliner-nusantara", "id", ("kulinernusantara", "resepmasakan", "makananindonesia"),
        ("rendang", "sambal", "resep", "enak"),
        ("Resep {x} hari ini, enak sekali dan mudah dibuat #kulinernusantara #resepmasakan",
         "Coba masak {x} khas Padang, bumbunya meresap #kulinernusantara",
         "Sambal matah buatan sendiri, pedasnya pas #makananindonesia #kulinernusantara",
         "Tips memilih bahan segar di pasar pagi #resepmasakan"),
        ("Pecinta kuliner Nusantara, suka masak di rumah", "Koki rumahan, berbagi resep tiap minggu", "Penjelajah warung kaki lima"),
        ("Budi", "Siti", "Agus", "Dewi", "Rina", "Eko", "Putri", "Wahyu", "Indah", "Fajar"),
        ("Santoso", "Wijaya", "Pratama", "Lestari", "Hidayat", "Saputra", "Kusuma", "Nugroho"),
    ),
    Niche(
        "persian-books", "fa", ("کتاب‌خوانی", "کتاب", "رمان‌فارسی"),
        ("کتاب‌ها", "می‌خوانم", "نویسنده", "رمان"),
        ("این هفته {x} را می‌خوانم؛ یکی از بهترین کتاب‌ها #کتاب‌خوانی",
         "پیشنهاد من برای آخر هفته: {x} #کتاب #کتاب‌خوانی",
         "نویسنده‌ی این رمان را باید بیشتر شناخت #رمان‌فارسی",
         "فهرست کتاب‌هایی که امسال خواندم #کتاب‌خوانی"),
        ("عاشق کتاب‌ها هستم و هر روز می‌خوانم", "مترجم و منتقد ادبی", "قراءة الكتب شغفي"),
        ("سارا", "علی", "مریم", "رضا", "نگار", "امیر", "شیما", "حسین", "محمد", "ليلى"),
        ("احمدی", "رضایی", "کریمی", "حسینی", "محمدی", "العلي", "الحسن", "نوری"),
    ),
)
_FILLERS = {"en": ("Ethiopian", "Kenyan", "Colombian", "Yemeni", "Panama geisha"),
            "id": ("rendang", "soto betawi", "gudeg", "nasi uduk", "sate lilit"),
            "fa": ("بوف کور", "سووشون", "کلیدر", "شازده احتجاب", "جای خالی سلوچ")}
_GENERAL_TEMPLATES = ("Win a free phone! Retweet and follow to enter #giveaway",
                      "Lagi rame banget hari ini #giveaway #viral", "Big weekend sale, don't miss it #giveaway")


@dataclass
class World:
    """Accounts, posts and follows of the simulated world, with the planted truth."""

    seed: int
    accounts: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)  # X API v2 tweet objects (ids as strings)
    follows: list[tuple[str, str]] = field(default_factory=list)  # (follower, followed)
    roles: dict[str, str] = field(default_factory=dict)
    community: dict[str, str] = field(default_factory=dict)
    bridges: dict[str, tuple[str, str]] = field(default_factory=dict)
    inauthentic: dict = field(default_factory=dict)  # bought followers, hunters and rings (see the module docstring)
    now: datetime = START  # the end of the last built week (`build_world` sets it); `at(when)` copies have `when`
    week_starts: list[datetime] = field(default_factory=list)
    follow_times: dict[tuple[str, str], datetime] = field(default_factory=dict)  # week-two follows only
    likes: list[tuple[str, str, datetime]] = field(default_factory=list)  # (liker, post id, when), week two only
    week2: dict | None = None  # the second week's planted truth (`truth()["week2"]`), with `weeks=2`
    origin: "World | None" = field(default=None, repr=False, compare=False)  # the world an `at` copy was cut from
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # derived data (`world_batch`'s rows)

    def at(self, when: datetime) -> "World":
        """A copy of the world as it stood at `when`: accounts, posts, follows and likes made by then, the
        accounts' and posts' public counts as of then, and `now = when`.

        Week-one follows carry no time and exist from the start; week-two follows and likes exist from
        their time (`follow_times`, `likes`). Used to serve or import the world day by day.

        Example::

            world = build_world(7, weeks=2)
            monday = world.at(world.week_starts[1])   # the world when week two begins
        """
        from .timeline import world_at

        return world_at(self, when)

    def truth(self) -> dict:
        """The planted truth, JSON-ready: niches, and each account's community and role."""
        planted: dict[str, list[str]] = {}
        for account_id, role in self.roles.items():
            planted.setdefault(role, []).append(account_id)
        handles = {a["id"]: a["username"] for a in self.accounts}
        return {
            "seed": self.seed,
            "niches": [{"name": n.name, "language": n.lang, "hashtags": list(n.hashtags), "keywords": list(n.keywords),
                        "seed_accounts": [handles[i] for i in self.roles if self.roles[i] == "expert"
                                          and self.community[i] == n.name]} for n in NICHES],
            "mass_hashtag": MASS_HASHTAG,
            "accounts": {i: {"handle": handles[i], "community": self.community[i], "role": self.roles[i],
                             **({"bridges": list(self.bridges[i])} if i in self.bridges else {})}
                         for i in sorted(self.roles)},
            "planted": {role: sorted(ids) for role, ids in sorted(planted.items())},
            "inauthentic": self.inauthentic,
            **({"week2": self.week2} if self.week2 is not None else {}),
        }


class _Builder:
    """The world under construction, its seeded generator, and the clock of its posts (minutes from START).

    Every random draw goes through `rng`, in the order the build steps make them: that order is
    what makes a seed's world, so a step must not be reordered.
    """

    def __init__(self, seed: int, scale: float):
        self.rng = np.random.default_rng(seed)
        self.world = World(seed=seed)
        self.scale = scale
        self.by_id: dict[str, dict] = {}
        self.by_handle: dict[str, str] = {}
        self.post_count = 0
        self.follows: set[tuple[str, str]] = set()
        self.minute = 0
        self.extra_following: dict[str, int] = {}  # accounts followed beyond this world (mass followers)

    # ------------------------------------------------------------ accounts
    def account(self, community: str, role: str, niche: Niche | None, lang: str, kind: str | None = None,
                created_days: int | None = None) -> str:
        """A new account of `community` with a planted `role`; returns its id.

        `kind` (bought, hunter, ring) names an inauthentic account's handle prefix and empties a bought
        account's bio; `created_days` dates it that many days before START."""
        index = len(self.world.accounts)
        account_id = str(ACCOUNT_BASE + index * 97)  # neighbours collide as floats: string ids are required
        rng = self.rng
        if niche is not None:
            name = f"{niche.first_names[rng.integers(len(niche.first_names))]} {niche.last_names[rng.integers(len(niche.last_names))]}"
            bio = niche.bios[rng.integers(len(niche.bios))]
        else:
            name, bio = f"user {index}", "Just here for the deals"
        if role == "brand":
            name, bio = f"{niche.name.split('-')[0].title()} Co {index}", f"Official account. {bio}"
        if role == "celebrity":
            name, bio = f"{name} (official)", "Actor, singer, entertainer"
        created = START - timedelta(days=int(rng.integers(400, 4000)) if role != "bot" else int(rng.integers(1, 30)))
        if created_days is not None:
            created = START - timedelta(days=created_days, minutes=int(rng.integers(0, 600)))
        if kind == "bought":
            name, bio = f"user{index}", ""
        elif kind == "hunter":
            bio = "Contests, freebies and giveaways. Follow to win!"
        code = {"specialty-coffee": "cof", "kuliner-nusantara": "kul", "persian-books": "buk"}.get(community, "gen")
        prefix = {"celebrity": "star", "expert": "pro", "local": "loc", "broker": "link", "vanity": "vain", "brand": "brand",
                  "bot": "bot", "peer": "u"}[role]
        prefix = {"bought": "fan", "hunter": "win", "ring": "pod"}.get(kind or "", prefix)
        account = {"id": account_id, "username": f"{prefix}_{code}{index}",
                   "name": name, "description": bio, "lang": lang, "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                   "verified": role in ("celebrity", "brand"), "protected": False}
        self.world.accounts.append(account)
        self.by_id[account_id] = account
        self.by_handle[account["username"]] = account_id
        self.world.roles[account_id] = role
        self.world.community[account_id] = community
        return account_id

    # ------------------------------------------------------------ posts
    def post(self, author: str, text: str, hashtags_lang: str | None, when: int, **extra) -> dict:
        """A new tweet by `author` at minute `when`, with its entities; returns it."""
        self.post_count += 1
        tweet = {"id": str(POST_BASE + self.post_count * 104729), "author_id": author, "text": text,
                 "created_at": (START + timedelta(minutes=when)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                 "lang": hashtags_lang or "en", "conversation_id": None,
                 "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
                 **extra}
        tweet["conversation_id"] = tweet.pop("conversation_id") or tweet["id"]
        tweet["entities"] = _entities(text, self.by_handle)
        self.world.posts.append(tweet)
        return tweet

    def repost(self, who: str, original: dict, when: int) -> None:
        """`who` retweets `original`."""
        author = self.by_id[original["author_id"]]
        text = f"RT @{author['username']}: {original['text']}"
        self.post(who, text, original["lang"], when, referenced_tweets=[{"type": "retweeted", "id": original["id"]}])
        original["public_metrics"]["retweet_count"] += 1

    def reply(self, who: str, original: dict, when: int, lang: str) -> None:
        """`who` replies to `original` in `lang`."""
        author = self.by_id[original["author_id"]]
        words = {"en": "Great point, thanks for sharing", "id": "Setuju, terima kasih resepnya", "fa": "چه پیشنهاد خوبی، ممنونم"}
        self.post(who, f"@{author['username']} {words.get(lang, words['en'])}", lang, when,
                  referenced_tweets=[{"type": "replied_to", "id": original["id"]}],
                  in_reply_to_user_id=original["author_id"], conversation_id=original["conversation_id"])
        original["public_metrics"]["reply_count"] += 1

    def quote(self, who: str, original: dict, when: int, niche: Niche) -> None:
        """`who` quotes `original` with a line of `niche`'s first template."""
        text = f"{niche.templates[0].format(x=_FILLERS[niche.lang][0], n=1).split('#')[0].strip()} #{niche.hashtags[0]}"
        self.post(who, text, niche.lang, when, referenced_tweets=[{"type": "quoted", "id": original["id"]}])
        original["public_metrics"]["quote_count"] += 1

    # ------------------------------------------------------------ follows
    def follow_many(self, who: str, pool: list[str], count: int, weights: np.ndarray | None = None) -> None:
        """`who` follows `count` distinct accounts drawn from `pool` (by `weights`, else uniformly), never itself."""
        if not pool or count <= 0:
            return
        p = None if weights is None else weights / weights.sum()
        chosen = self.rng.choice(len(pool), size=min(count, len(pool)), replace=False, p=p)
        self.follows.update((who, pool[j]) for j in chosen if pool[j] != who)

    # ------------------------------------------------------------ interactions
    def niche_post(self, author: str, niche: Niche) -> dict:
        """A post by `author` from one of `niche`'s templates, a few minutes after the last one."""
        rng = self.rng
        self.minute += int(rng.integers(1, 20))
        fill = _FILLERS[niche.lang]
        template = niche.templates[rng.integers(len(niche.templates))]
        return self.post(author, template.format(x=fill[rng.integers(len(fill))], n=int(rng.integers(1, 99))), niche.lang,
                         self.minute)

    def engage(self, niche: Niche, post: dict, pool: list[str], share: float, lang: str, reply_share: float = 0.15) -> None:
        """About `share` of `pool` interact with `post`: a reply (`reply_share`), a quote in `niche`'s words (5% of
        the rest) or a repost, one minute apart; the post's author does not engage with it."""
        rng = self.rng
        count = int(rng.binomial(len(pool), share))
        for j in rng.choice(len(pool), size=count, replace=False):
            who = pool[j]
            if who == post["author_id"]:
                continue
            self.minute += 1
            if rng.random() < reply_share:
                self.reply(who, post, self.minute, lang)
            elif rng.random() < 0.05:
                self.quote(who, post, self.minute, niche)
            else:
                self.repost(who, post, self.minute)


def _entities(text: str, by_handle: dict[str, str]) -> dict:
    """Hashtag and mention entities with code-point offsets, as the X API gives them."""
    import re

    hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                for m in re.finditer(r"#([\w\u200c]+)", text)]
    mentions = [{"start": m.start(), "end": m.end(), "username": m.group(1), "id": by_handle[m.group(1)]}
                for m in re.finditer(r"@(\w+)", text) if m.group(1) in by_handle]
    out = {}
    if hashtags:
        out["hashtags"] = hashtags
    if mentions:
        out["mentions"] = mentions
    return out


def _scenes(people: list[str]) -> list[list[str]]:
    """A niche's members split into its core (half) and two local scenes (a quarter each)."""
    half, three_quarters = len(people) // 2, 3 * len(people) // 4
    return [people[:half], people[half:three_quarters], people[three_quarters:]]


@dataclass
class _Cast:
    """The accounts of the world by place: each niche's planted accounts by role, its peers and its
    scenes (core, two local scenes), and the general population."""

    planted: dict[str, dict[str, list[str]]]
    members: dict[str, list[str]]
    scenes: dict[str, list[list[str]]]
    general: list[str]


def build_world(seed: int = 7, scale: float = 1.0, weeks: int = 1) -> World:
    """Build the seeded world; `scale` multiplies the number of ordinary accounts (1.0: about 3,000);
    `weeks` 2 adds a second week (`simulated.week_two`) after the first.

    The steps, in the order they draw from the seeded generator: plant the accounts, follow, post
    and engage, then count each account's public metrics. The same seed and scale give the same
    world, byte for byte. The second week draws from its own generator (seeded by `[seed, 2]`), so
    the first week is the same with or without it; `now` is the end of the last week built (the first
    ends at the midnight after its last post).

    Example::

        world = build_world(7)
        world.truth()["planted"]["expert"]   # the ids of the planted niche experts
        build_world(7, weeks=2).truth()["week2"]["rising"]   # the second week's rising accounts
    """
    if weeks not in (1, 2):
        from ..errors import BadInput

        raise BadInput(f"the simulated world has 1 or 2 weeks, not {weeks!r}", hint="build it with weeks 1 or 2",
                       param="weeks")
    b = _Builder(seed, scale)
    cast = _plant_accounts(b)
    _follow(b, cast)
    _post_and_engage(b, cast)
    _plant_inauthentic(b, cast)
    last = max(datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%S.000Z") for p in b.world.posts)
    b.world.now = datetime(last.year, last.month, last.day, tzinfo=timezone.utc) + timedelta(days=1)
    b.world.week_starts = [START]
    if weeks == 2:
        from .week_two import build_week_two

        build_week_two(b, cast)
    _count_metrics(b)
    return b.world


def _plant_accounts(b: _Builder) -> _Cast:
    """Every account: per niche its planted kinds and its peers, then the general population; brokers
    get the second niche they bridge to (broker k of niche i also belongs to niche i+1+k)."""
    members: dict[str, list[str]] = {}
    planted: dict[str, dict[str, list[str]]] = {}
    peers_per_niche = max(int(600 * b.scale), 30)
    for niche in NICHES:
        roles = {"celebrity": 1, "expert": 3, "local": 2, "broker": 2, "vanity": 1, "brand": 2, "bot": 5}
        planted[niche.name] = {role: [b.account(niche.name, role, niche, niche.lang) for _ in range(count)]
                               for role, count in roles.items()}
        members[niche.name] = [b.account(niche.name, "peer", niche, niche.lang) for _ in range(peers_per_niche)]
    general = [b.account("general", "peer", None, "en" if i % 2 else "id") for i in range(max(int(1200 * b.scale), 60))]
    names = [n.name for n in NICHES]
    for i, niche in enumerate(NICHES):
        for k, broker in enumerate(planted[niche.name]["broker"]):
            b.world.bridges[broker] = (niche.name, names[(i + 1 + k) % len(names)])
    scenes = {niche.name: _scenes(members[niche.name]) for niche in NICHES}
    return _Cast(planted=planted, members=members, scenes=scenes, general=general)


def _follow(b: _Builder, cast: _Cast) -> None:
    """Who follows whom: each niche's follows, then the general population's; stored sorted."""
    for niche in NICHES:
        _niche_follows(b, cast, niche)
    _general_follows(b, cast)
    b.world.follows = sorted(b.follows)


def _niche_follows(b: _Builder, cast: _Cast, niche: Niche) -> None:
    """The follows of one niche: members follow its experts, brokers and brands (a local scene its own
    local expert, far more than the niche's experts), a quarter follow the celebrity; local experts,
    experts, brokers (in both their niches) and bots follow back into the niche."""
    rng = b.rng
    p = cast.planted[niche.name]
    members = cast.members[niche.name]
    pool = p["expert"] + p["local"] + p["broker"] + p["brand"] + members
    base = np.array([40.0] * 3 + [1.0] * 2 + [15.0] * 2 + [6.0] * 2 + [1.0] * len(members))
    for scene, people in enumerate(cast.scenes[niche.name]):
        weights = base.copy()
        if scene:  # a local scene: its own local expert; the niche's experts and brokers far less
            weights[:3] = 3.0
            weights[3 + scene - 1] = 80.0
            weights[5:7] = 5.0
        for member in people:
            b.follow_many(member, pool, int(rng.integers(10, 30)), weights)
            if rng.random() < 0.25:
                b.follows.add((member, p["celebrity"][0]))
    for scene, local in enumerate(p["local"], start=1):
        b.follow_many(local, cast.scenes[niche.name][scene], 25)
    for expert in p["expert"]:
        b.follow_many(expert, members, 25)
    for broker in p["broker"]:
        other = b.world.bridges[broker][1]
        b.follow_many(broker, members, 15)
        b.follow_many(broker, cast.members[other], 15)
        for member in cast.members[other]:
            if rng.random() < 0.2:
                b.follows.add((member, broker))
    for bot in p["bot"]:
        b.follow_many(bot, members + cast.general, 60)


def _general_follows(b: _Builder, cast: _Cast) -> None:
    """The general population follows itself, most of it every celebrity, some of it every vanity account."""
    stars = [a for n in NICHES for role in ("celebrity", "vanity") for a in cast.planted[n.name][role]]
    for person in cast.general:
        b.follow_many(person, cast.general, int(b.rng.integers(5, 15)))
        for star in stars:
            role = b.world.roles[star]
            if b.rng.random() < (0.7 if role == "celebrity" else 0.15):
                b.follows.add((person, star))


def _post_and_engage(b: _Builder, cast: _Cast) -> None:
    """Posts and interactions: each niche's, then half the general population posts a mass-hashtag line."""
    for niche in NICHES:
        _planted_posts(b, cast, niche)
        _crowd_posts(b, cast, niche)
    general = cast.general
    for person in general[: len(general) // 2]:
        b.minute += 1
        b.post(person, _GENERAL_TEMPLATES[int(b.rng.integers(len(_GENERAL_TEMPLATES)))], "en", b.minute)


def _planted_posts(b: _Builder, cast: _Cast, niche: Niche) -> None:
    """The planted accounts' posts and who engages with them: experts (mostly the core), local experts
    (their scene), brokers (both niches), brands, the celebrity (mostly the general population) and
    the vanity account's viral post under the mass hashtag (the general population)."""
    p = cast.planted[niche.name]
    peers = cast.members[niche.name]
    core, *local_scenes = cast.scenes[niche.name]
    for expert in p["expert"]:
        for _ in range(6):
            post = b.niche_post(expert, niche)
            b.engage(niche, post, core, 0.07, niche.lang, 0.25)
            b.engage(niche, post, [m for scene in local_scenes for m in scene], 0.01, niche.lang, 0.25)
    for local, scene in zip(p["local"], local_scenes):
        for _ in range(6):
            b.engage(niche, b.niche_post(local, niche), scene, 0.07, niche.lang, 0.25)
    for broker in p["broker"]:
        other = next(n for n in NICHES if n.name == b.world.bridges[broker][1])
        for _ in range(4):
            b.engage(niche, b.niche_post(broker, niche), peers, 0.03, niche.lang)
            b.engage(niche, b.niche_post(broker, niche), cast.members[other.name], 0.03, other.lang)
    for brand in p["brand"]:
        for _ in range(5):
            b.engage(niche, b.niche_post(brand, niche), peers, 0.01, niche.lang)
    celebrity = p["celebrity"][0]
    for _ in range(3):
        b.engage(niche, b.niche_post(celebrity, niche), cast.general, 0.10, "en", 0.05)
        b.engage(niche, b.niche_post(celebrity, niche), peers, 0.005, niche.lang)
    b.minute += 5
    fill = _FILLERS[niche.lang]
    viral = b.post(p["vanity"][0], f"{niche.templates[0].format(x=fill[0], n=1)} #{MASS_HASHTAG}", niche.lang, b.minute)
    b.engage(niche, viral, cast.general, 0.10, "en", 0.02)


def _crowd_posts(b: _Builder, cast: _Cast, niche: Niche) -> None:
    """Half the peers post (half of those posts get a little engagement); bots post mass mentions."""
    rng = b.rng
    peers = cast.members[niche.name]
    for peer in peers:
        if rng.random() < 0.5:
            post = b.niche_post(peer, niche)
            if rng.random() < 0.5:
                b.engage(niche, post, peers, 0.004, niche.lang)
    for bot in cast.planted[niche.name]["bot"]:
        for _ in range(12):
            b.minute += 1
            targets = rng.choice(len(peers), size=4, replace=False)
            handles = " ".join(f"@{b.by_id[peers[t]]['username']}" for t in targets)
            b.post(bot, f"{handles} check this out #{niche.hashtags[0]} #{niche.hashtags[-1]}", niche.lang, b.minute)


def _count_metrics(b: _Builder) -> None:
    """Each account's public metrics from the world's follows and posts, plus the audience beyond this
    world: a mega celebrity's, and a vanity account's bought followers."""
    followers = {a: 0 for a in b.by_id}
    following = {a: 0 for a in b.by_id}
    for src, dst in b.world.follows:
        following[src] += 1
        followers[dst] += 1
    tweets = {a: 0 for a in b.by_id}
    for post in b.world.posts:
        tweets[post["author_id"]] += 1
    for account in b.world.accounts:
        boost = {"celebrity": 2_500_000, "vanity": 120_000}.get(b.world.roles[account["id"]], 0)
        account["public_metrics"] = {"followers_count": followers[account["id"]] + boost,
                                     "following_count": following[account["id"]] + b.extra_following.get(account["id"], 0),
                                     "tweet_count": tweets[account["id"]], "listed_count": 0}


def _plant_inauthentic(b: _Builder, cast: _Cast) -> None:
    """Bought followers of every vanity account, giveaway hunters and one engagement ring per niche
    (see the module docstring), recorded in `World.inauthentic`; drawn after every other step."""
    b.world.inauthentic = {"bought_followers": _bought_followers(b, cast), "hunters": _hunters(b, cast),
                           "rings": [{"niche": niche.name, "members": _ring(b, cast, niche)} for niche in NICHES]}
    b.world.follows = sorted(b.follows)


def _bought_followers(b: _Builder, cast: _Cast) -> dict[str, list[str]]:
    """Per vanity account, its bought followers: created in three batches, no posts, no bio, following
    thousands of accounts beyond this world and, in it, the vanity account only."""
    rng = b.rng
    out = {}
    for niche in NICHES:
        vanity = cast.planted[niche.name]["vanity"][0]
        batches = rng.integers(5, 60, size=3)
        fans = []
        for _ in range(max(int(300 * b.scale), 40)):
            fan = b.account("general", "peer", None, "en", kind="bought", created_days=int(batches[rng.integers(3)]))
            b.follows.add((fan, vanity))
            b.extra_following[fan] = int(rng.integers(1_500, 6_000))
            fans.append(fan)
        out[vanity] = sorted(fans)
    return out


def _hunters(b: _Builder, cast: _Cast) -> list[str]:
    """Giveaway hunters, created together: they repost (nearly) every vanity account's viral giveaway post
    and post giveaway lines of their own."""
    rng = b.rng
    day = int(rng.integers(200, 400))
    hunters = [b.account("general", "peer", None, "en", kind="hunter", created_days=day + int(rng.integers(0, 3)))
               for _ in range(max(int(90 * b.scale), 20))]
    viral = [p for p in b.world.posts if b.world.roles[p["author_id"]] == "vanity" and f"#{MASS_HASHTAG}" in p["text"]]
    for hunter in hunters:
        b.follow_many(hunter, cast.general, int(rng.integers(5, 15)))
        for post in viral:
            if rng.random() < 0.95:
                b.minute += 1
                b.repost(hunter, post, b.minute)
        for _ in range(2):
            b.minute += 1
            b.post(hunter, _GENERAL_TEMPLATES[int(rng.integers(len(_GENERAL_TEMPLATES)))], "en", b.minute)
    return sorted(hunters)


def _ring(b: _Builder, cast: _Cast, niche: Niche) -> list[str]:
    """An engagement ring of `niche`: 8 to 13 members created together, following each other, each
    posting 4 niche posts that nearly every other member reposts; a few niche peers follow each member."""
    rng = b.rng
    day = int(rng.integers(150, 300))
    ring = [b.account(niche.name, "peer", niche, niche.lang, kind="ring", created_days=day + int(rng.integers(0, 4)))
            for _ in range(int(rng.integers(8, 14)))]
    peers = cast.members[niche.name]
    for member in ring:
        b.follows.update((member, other) for other in ring if other != member)
        b.follow_many(member, peers, 10)
        for j in rng.choice(len(peers), size=8, replace=False):
            b.follows.add((peers[j], member))
    for member in ring:
        for _ in range(4):
            post = b.niche_post(member, niche)
            for other in ring:
                if other != member and rng.random() < 0.85:
                    b.minute += 1
                    b.repost(other, post, b.minute)
    return sorted(ring)
