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
        }


class _Builder:
    def __init__(self, seed: int, scale: float):
        self.rng = np.random.default_rng(seed)
        self.world = World(seed=seed)
        self.scale = scale
        self.by_id: dict[str, dict] = {}
        self.by_handle: dict[str, str] = {}
        self.post_count = 0

    # ------------------------------------------------------------ accounts
    def account(self, community: str, role: str, niche: Niche | None, lang: str) -> str:
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
        code = {"specialty-coffee": "cof", "kuliner-nusantara": "kul", "persian-books": "buk"}.get(community, "gen")
        prefix = {"celebrity": "star", "expert": "pro", "local": "loc", "broker": "link", "vanity": "vain", "brand": "brand",
                  "bot": "bot", "peer": "u"}[role]
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
        author = self.by_id[original["author_id"]]
        text = f"RT @{author['username']}: {original['text']}"
        self.post(who, text, original["lang"], when, referenced_tweets=[{"type": "retweeted", "id": original["id"]}])
        original["public_metrics"]["retweet_count"] += 1

    def reply(self, who: str, original: dict, when: int, lang: str) -> None:
        author = self.by_id[original["author_id"]]
        words = {"en": "Great point, thanks for sharing", "id": "Setuju, terima kasih resepnya", "fa": "چه پیشنهاد خوبی، ممنونم"}
        self.post(who, f"@{author['username']} {words.get(lang, words['en'])}", lang, when,
                  referenced_tweets=[{"type": "replied_to", "id": original["id"]}],
                  in_reply_to_user_id=original["author_id"], conversation_id=original["conversation_id"])
        original["public_metrics"]["reply_count"] += 1

    def quote(self, who: str, original: dict, when: int, niche: Niche) -> None:
        text = f"{niche.templates[0].format(x=_FILLERS[niche.lang][0], n=1).split('#')[0].strip()} #{niche.hashtags[0]}"
        self.post(who, text, niche.lang, when, referenced_tweets=[{"type": "quoted", "id": original["id"]}])
        original["public_metrics"]["quote_count"] += 1


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


def build_world(seed: int = 7, scale: float = 1.0) -> World:
    """Build the seeded world; `scale` multiplies the number of ordinary accounts (1.0: about 3,000)."""
    b = _Builder(seed, scale)
    rng = b.rng
    members: dict[str, list[str]] = {}
    planted: dict[str, dict[str, list[str]]] = {}
    peers_per_niche = max(int(600 * scale), 30)
    for niche in NICHES:
        roles = {"celebrity": 1, "expert": 3, "local": 2, "broker": 2, "vanity": 1, "brand": 2, "bot": 5}
        planted[niche.name] = {role: [b.account(niche.name, role, niche, niche.lang) for _ in range(count)]
                               for role, count in roles.items()}
        members[niche.name] = [b.account(niche.name, "peer", niche, niche.lang) for _ in range(peers_per_niche)]
    general = [b.account("general", "peer", None, "en" if i % 2 else "id") for i in range(max(int(1200 * scale), 60))]
    names = [n.name for n in NICHES]
    for i, niche in enumerate(NICHES):  # broker k of niche i also belongs to niche i+1+k
        for k, broker in enumerate(planted[niche.name]["broker"]):
            b.world.bridges[broker] = (niche.name, names[(i + 1 + k) % len(names)])

    follows: set[tuple[str, str]] = set()

    def follow_many(who: str, pool: list[str], count: int, weights: np.ndarray | None = None) -> None:
        if not pool or count <= 0:
            return
        p = None if weights is None else weights / weights.sum()
        chosen = rng.choice(len(pool), size=min(count, len(pool)), replace=False, p=p)
        follows.update((who, pool[j]) for j in chosen if pool[j] != who)

    scenes = {niche.name: _scenes(members[niche.name]) for niche in NICHES}
    for niche in NICHES:
        p = planted[niche.name]
        pool = p["expert"] + p["local"] + p["broker"] + p["brand"] + members[niche.name]
        base = np.array([40.0] * 3 + [1.0] * 2 + [15.0] * 2 + [6.0] * 2 + [1.0] * len(members[niche.name]))
        for scene, people in enumerate(scenes[niche.name]):
            weights = base.copy()
            if scene:  # a local scene: its own local expert; the niche's experts and brokers far less
                weights[:3] = 3.0
                weights[3 + scene - 1] = 80.0
                weights[5:7] = 5.0
            for member in people:
                follow_many(member, pool, int(rng.integers(10, 30)), weights)
                if rng.random() < 0.25:
                    follows.add((member, p["celebrity"][0]))
        for scene, local in enumerate(p["local"], start=1):
            follow_many(local, scenes[niche.name][scene], 25)
        for expert in p["expert"]:
            follow_many(expert, members[niche.name], 25)
        for broker in p["broker"]:
            other = b.world.bridges[broker][1]
            follow_many(broker, members[niche.name], 15)
            follow_many(broker, members[other], 15)
            for member in members[other]:
                if rng.random() < 0.2:
                    follows.add((member, broker))
        for bot in p["bot"]:
            follow_many(bot, members[niche.name] + general, 60)
    everyone_planted = [a for n in NICHES for role in ("celebrity", "vanity") for a in planted[n.name][role]]
    for person in general:
        follow_many(person, general, int(rng.integers(5, 15)))
        for star in everyone_planted:
            role = b.world.roles[star]
            if rng.random() < (0.7 if role == "celebrity" else 0.15):
                follows.add((person, star))
    b.world.follows = sorted(follows)

    # ------------------------------------------------------------ posts and interactions
    minute = 0
    for niche in NICHES:
        p = planted[niche.name]
        fill = _FILLERS[niche.lang]

        def niche_post(author: str, niche: Niche = niche, fill: tuple = fill) -> dict:
            nonlocal minute
            minute += int(rng.integers(1, 20))
            template = niche.templates[rng.integers(len(niche.templates))]
            return b.post(author, template.format(x=fill[rng.integers(len(fill))], n=int(rng.integers(1, 99))), niche.lang, minute)

        def engage(post: dict, pool: list[str], share: float, lang: str, reply_share: float = 0.15,
                   niche: Niche = niche) -> None:
            nonlocal minute
            count = int(rng.binomial(len(pool), share))
            for j in rng.choice(len(pool), size=count, replace=False):
                who = pool[j]
                if who == post["author_id"]:
                    continue
                minute += 1
                if rng.random() < reply_share:
                    b.reply(who, post, minute, lang)
                elif rng.random() < 0.05:
                    b.quote(who, post, minute, niche)
                else:
                    b.repost(who, post, minute)

        peers = members[niche.name]
        core, *local_scenes = scenes[niche.name]
        for expert in p["expert"]:
            for _ in range(6):
                post = niche_post(expert)
                engage(post, core, 0.07, niche.lang, 0.25)
                engage(post, [m for scene in local_scenes for m in scene], 0.01, niche.lang, 0.25)
        for local, scene in zip(p["local"], local_scenes):
            for _ in range(6):
                engage(niche_post(local), scene, 0.07, niche.lang, 0.25)
        for broker in p["broker"]:
            other = next(n for n in NICHES if n.name == b.world.bridges[broker][1])
            for _ in range(4):
                engage(niche_post(broker), peers, 0.03, niche.lang)
                engage(niche_post(broker), members[other.name], 0.03, other.lang)
        for brand in p["brand"]:
            for _ in range(5):
                engage(niche_post(brand), peers, 0.01, niche.lang)
        celebrity = p["celebrity"][0]
        for _ in range(3):
            engage(niche_post(celebrity), general, 0.10, "en", 0.05)
            engage(niche_post(celebrity), peers, 0.005, niche.lang)
        vanity = p["vanity"][0]
        minute += 5
        viral = b.post(vanity, f"{niche.templates[0].format(x=fill[0], n=1)} #{MASS_HASHTAG}", niche.lang, minute)
        engage(viral, general, 0.10, "en", 0.02)
        for peer in peers:
            if rng.random() < 0.5:
                post = niche_post(peer)
                if rng.random() < 0.5:
                    engage(post, peers, 0.004, niche.lang)
        for bot in p["bot"]:
            for _ in range(12):
                minute += 1
                targets = rng.choice(len(peers), size=4, replace=False)
                handles = " ".join(f"@{b.by_id[peers[t]]['username']}" for t in targets)
                b.post(bot, f"{handles} check this out #{niche.hashtags[0]} #{niche.hashtags[-1]}", niche.lang, minute)
    for person in general[: len(general) // 2]:
        minute += 1
        b.post(person, _GENERAL_TEMPLATES[int(rng.integers(len(_GENERAL_TEMPLATES)))], "en", minute)

    followers = {a: 0 for a in b.by_id}
    following = {a: 0 for a in b.by_id}
    for src, dst in b.world.follows:
        following[src] += 1
        followers[dst] += 1
    tweets = {a: 0 for a in b.by_id}
    for post in b.world.posts:
        tweets[post["author_id"]] += 1
    for account in b.world.accounts:
        # the audience beyond this world: a mega celebrity, and a vanity account's bought followers
        boost = {"celebrity": 2_500_000, "vanity": 120_000}.get(b.world.roles[account["id"]], 0)
        account["public_metrics"] = {"followers_count": followers[account["id"]] + boost,
                                     "following_count": following[account["id"]],
                                     "tweet_count": tweets[account["id"]], "listed_count": 0}
    return b.world
