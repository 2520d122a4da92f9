"""Niche queries (one TOML file each in `queries/`) and multilingual matching of text against them.

A niche query names the niche and what marks its content and people::

    name = "persian-books"
    languages = ["fa"]
    hashtags = ["کتاب‌خوانی", "رمان‌فارسی"]
    keywords = ["کتاب‌ها", "نویسنده"]
    seed_accounts = ["pro_buk1229"]          # handles or ids
    [exclude]
    hashtags = ["giveaway"]
    [crawl]
    max_requests = 500
    tier = "self-serve"                      # X access tier: query length, rate limits
    [prices]                                 # X pay-per-use prices per item, over influgraph's table
    post = 0.005
    [weights]                                # composite score weights, used by ranking
    niche_pagerank = 0.4
    [quality]                                # audience-quality thresholds (quality.QualityRules)
    min_audience_quality = 0.5

Loading validates everything: unknown keys (with close matches), wrong types, empty lists and
duplicates after normalisation give a one-line `BadInput` naming the file, the key and the fix.
Also refused: a name not wholly made of the allowed characters (a final newline included); a
keyword or hashtag that folds to nothing (only joiners, tatweel, format characters, combining
marks or spaces); a file over 4 MB (`MAX_QUERY_BYTES`), nested deeper than Python can parse; a
list over 1,000 values (`MAX_TERMS`) or a value over 200 characters (`MAX_TERM_CHARS`), so the
matching stays bounded; a weight that is not a number in [0, 1000] (`MAX_WEIGHT`), or weights
that are all 0; a `[crawl]` value that is not a whole number from 0 to 10^9 (`depth`: 0, 1 or 2;
`since_days`: at most 7, as X's recent search serves the last 7 days; `tier`: one of
`crawlers.pricing.TIERS`); a `[prices]` entry other than `post` or `user`, or not a number from 0 to 100.

Matching is done on a normalised form, never on the stored text, which stays byte-exact:
Unicode NFKC, lower case, Arabic yeh (ي ى) and kaf (ك) read as Persian yeh (ی) and kaf (ک),
and the zero-width non-joiner, zero-width joiner and tatweel ignored. Keywords match whole
words, in patterns of at most 50 words each (OR-ed), so no niche builds one pattern past the
regex engine's size limit; hashtags match parsed hashtags (`#word`; "# 1" and an all-digit
"#2024" are not hashtags).
"""
from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .errors import BadInput, is_number

__all__ = [
    "NicheQuery",
    "load_query",
    "find_query",
    "normalize",
    "normalize_expr",
    "hashtags_expr",
    "post_in_niche_expr",
    "post_tags_expr",
    "bio_match_expr",
    "HASHTAG_PATTERN",
    "MAX_TERMS",
    "MAX_TERM_CHARS",
    "MAX_QUERY_BYTES",
    "MAX_WEIGHT",
]

HASHTAG_PATTERN = r"#([\p{L}\p{N}\p{M}_\x{200C}]*[\p{L}\p{M}_][\p{L}\p{N}\p{M}_\x{200C}]*)"
_FOLD = {"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": "", "\u200d": "", "\u0640": ""}
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
MAX_TERMS = 1_000  # values in one list (keywords, hashtags, seed_accounts, languages, each exclude list)
MAX_TERM_CHARS = 200  # characters in one value
MAX_QUERY_BYTES = 4_000_000  # size of a niche query file
MAX_WEIGHT = 1_000.0  # largest value of a `[weights]` entry: their sum stays far inside the float range
_TOP_KEYS = {"name": str, "description": str, "languages": list, "keywords": list, "hashtags": list,
             "seed_accounts": list, "exclude": dict, "crawl": dict, "weights": dict, "prices": dict,
             "quality": dict}
_EXCLUDE_KEYS = {"keywords", "hashtags", "accounts"}
_CRAWL_KEYS = {"max_requests": int, "depth": int, "max_posts": int, "max_followers": int, "since_days": int,
               "top_posts": int, "top_authors": int, "threads": int, "tier": str}
RECENT_SEARCH_DAYS = 7  # X's recent search serves the last 7 days
TIERS = ("self-serve", "pro", "enterprise")  # as crawlers.pricing.TIERS (a test keeps them equal)
PRICE_KINDS = ("post", "user")
WEIGHT_KEYS = ("niche_pagerank", "audience_relevance", "niche_engagement", "authority", "coreness", "brokerage")


def normalize_expr(column: str | pl.Expr) -> pl.Expr:
    """The matching form of a text column (see the module docstring); the column itself is untouched."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.str.normalize("NFKC").str.to_lowercase().str.replace_many(_FOLD)


def normalize(text: str) -> str:
    """The matching form of one string: the same rules as `normalize_expr`, by the same code."""
    return pl.Series([text]).to_frame("t").select(normalize_expr("t")).item()


def hashtags_expr(text: str | pl.Expr) -> pl.Expr:
    """Hashtags parsed from a text column, without '#', original text kept."""
    expr = pl.col(text) if isinstance(text, str) else text
    return expr.str.extract_all(HASHTAG_PATTERN).list.eval(pl.element().str.slice(1))


@dataclass(frozen=True)
class NicheQuery:
    """A validated niche definition."""

    name: str
    description: str = ""
    languages: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    seed_accounts: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    exclude_hashtags: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    crawl: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)  # the `[quality]` table: audience-quality thresholds (quality.QualityRules)
    weights: dict = field(default_factory=dict)
    path: str | None = None
    prices: dict = field(default_factory=dict)

    def search_terms(self) -> list[str]:
        """Hashtags (with '#') and keywords, as a crawler's search query terms."""
        return [f"#{h}" for h in self.hashtags] + list(self.keywords)


def _fail(path: Path | str, message: str, hint: str | None = None) -> None:
    raise BadInput(message, path=path, hint=hint)


def _close(key: str, allowed) -> str:
    matches = difflib.get_close_matches(key, sorted(allowed), n=3, cutoff=0.5)
    return f"did you mean {', '.join(matches)}?" if matches else f"allowed: {', '.join(sorted(allowed))}"


def _strings(path: Path, key: str, value, *, strip_hash: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list):
        _fail(path, f"'{key}' must be a list of strings, got {type(value).__name__}", f'write {key} = ["..."]')
    if not value:
        _fail(path, f"'{key}' is an empty list", f"remove '{key}' or give it at least one value")
    if len(value) > MAX_TERMS:
        _fail(path, f"'{key}' lists {len(value):,} values, more than {MAX_TERMS:,}", "split the niche into narrower niches")
    seen: dict[str, str] = {}
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            _fail(path, f"'{key}' holds {item!r}; every value must be non-empty text")
        if len(item) > MAX_TERM_CHARS:
            _fail(path, f"'{key}' holds a value of {len(item):,} characters, more than {MAX_TERM_CHARS}",
                  f"shorten {item[:20]!r}...")
        text = item.strip()
        if strip_hash:
            text = text.lstrip("#")
            if not re.fullmatch(r"[\w\u200c]+", text) or text.isdigit():
                _fail(path, f"'{key}' holds {item!r}, which is not a hashtag", "a hashtag is letters, digits or '_', not only digits")
        folded = normalize(text)
        if not _visible(folded):
            _fail(path, f"'{key}' holds {item!r}, which is nothing once normalised",
                  "joiners, tatweel, format characters, combining marks and spaces alone match nothing; remove it")
        if folded in seen:
            _fail(path, f"'{key}' lists {item!r} twice (same as {seen[folded]!r} once normalised)", "remove the duplicate")
        seen[folded] = item
        out.append(text)
    return tuple(out)


def _visible(folded: str) -> bool:
    """True when a normalised term keeps a character that is not a format, control, combining mark or space."""
    return any(unicodedata.category(c)[0] not in "CMZ" for c in folded)


def _read_toml(path: Path) -> dict:
    """The parsed TOML of a niche query file, refusing a missing, huge, non-UTF-8, invalid or too deeply nested one."""
    try:
        if path.stat().st_size > MAX_QUERY_BYTES:
            raise BadInput(f"the niche query is larger than {MAX_QUERY_BYTES:,} bytes", path=path,
                           hint=f"a niche lists at most {MAX_TERMS:,} values of {MAX_TERM_CHARS} characters per key")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise BadInput("no such niche query file", path=path, hint="see the examples in queries/") from None
    except IsADirectoryError:
        raise BadInput("the niche query is a folder, not a file", path=path, hint="name a .toml file") from None
    except UnicodeDecodeError:
        raise BadInput("niche query is not UTF-8", path=path, hint="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"not valid TOML: {exc}", path=path, hint="check quotes, brackets and commas") from None
    except RecursionError:
        raise BadInput("the niche query is nested too deeply to read", path=path,
                       hint="a niche query holds lists of strings and flat tables only") from None


def _weights(path: Path, weights: dict) -> dict[str, float]:
    """The `[weights]` table checked: known keys, numbers in [0, MAX_WEIGHT], not all 0."""
    for key, value in weights.items():
        if key not in WEIGHT_KEYS:
            _fail(path, f"unknown key 'weights.{key}'", _close(key, WEIGHT_KEYS))
        if not is_number(value) or not (0 <= value <= MAX_WEIGHT):
            _fail(path, f"'weights.{key}' must be a number from 0 to {MAX_WEIGHT:,.0f}, got {value!r}",
                  "weights are relative: they are divided by their sum")
    if weights and not any(weights.values()):
        _fail(path, "every '[weights]' value is 0, so every influence would be 0", "give at least one weight above 0")
    return {k: float(v) for k, v in weights.items()}


def _crawl_table(path: Path, crawl: dict) -> dict:
    """The `[crawl]` table checked: known keys, whole numbers in range, `since_days` within recent search, a known tier."""
    for key, value in crawl.items():
        if key not in _CRAWL_KEYS:
            _fail(path, f"unknown key 'crawl.{key}'", _close(key, _CRAWL_KEYS))
        if key == "tier":
            if value not in TIERS:
                _fail(path, f"'crawl.tier' must be one of {', '.join(TIERS)}, got {value!r}",
                      "self-serve is X's pay-per-use tier (512-character queries)")
            continue
        if not is_number(value, whole=True) or not 0 <= value <= 10**9:
            _fail(path, f"'crawl.{key}' must be a whole number from 0 to 1,000,000,000, got {value!r}")
        if key == "depth" and value > 2:
            _fail(path, f"'crawl.depth' must be 0, 1 or 2, got {value}", "depth 2 is already thousands of requests")
        if key == "since_days" and value > RECENT_SEARCH_DAYS:
            _fail(path, f"'crawl.since_days' is {value}, but X's recent search serves only the last "
                        f"{RECENT_SEARCH_DAYS} days (an older start_time is refused with HTTP 400)",
                  f"set since_days to {RECENT_SEARCH_DAYS} or less, or remove it to search all {RECENT_SEARCH_DAYS} days")
    return crawl


def _quality_table(path: Path, table: dict) -> dict:
    """The `[quality]` table checked: keys of `quality.QualityRules`, `giveaway_terms` a list of strings,
    shares from 0 to 1, whole numbers where the rule counts, other numbers from 0 to 10^9."""
    from .quality import QUALITY_KEYS, SHARE_KEYS

    out: dict = {}
    for key, value in table.items():
        if key not in QUALITY_KEYS:
            _fail(path, f"unknown key 'quality.{key}'", _close(key, QUALITY_KEYS))
        if key == "giveaway_terms":
            out[key] = list(_strings(path, "quality.giveaway_terms", value))
            continue
        whole = QUALITY_KEYS[key] in ("int", int)
        top = 1 if key in SHARE_KEYS else 10**9
        if not is_number(value, whole=whole) or not 0 <= value <= top:
            _fail(path, f"'quality.{key}' must be {'a whole number' if whole else 'a number'} from 0 to {top:,}, got {value!r}",
                  "see the audience-quality rules in the README")
        out[key] = value if whole else float(value)
    return out


def _prices(path: Path, prices: dict) -> dict[str, float]:
    """The `[prices]` table checked: `post` and `user`, each a number from 0 to 100 (money per item)."""
    for key, value in prices.items():
        if key not in PRICE_KINDS:
            _fail(path, f"unknown key 'prices.{key}'", _close(key, PRICE_KINDS))
        if not is_number(value) or not 0 <= value <= 100:
            _fail(path, f"'prices.{key}' must be a number from 0 to 100 (money per item), got {value!r}")
    return {k: float(v) for k, v in prices.items()}


def load_query(path: str | Path) -> NicheQuery:
    """Read and validate a niche query TOML file (the rules are in the module docstring).

    Example: ``load_query("queries/persian-books.toml").hashtags``.
    """
    path = Path(path)
    data = _read_toml(path)
    for key, value in data.items():
        if key not in _TOP_KEYS:
            _fail(path, f"unknown key '{key}'", _close(key, _TOP_KEYS))
        if not isinstance(value, _TOP_KEYS[key]):
            kind = {str: "text", list: "a list of strings", dict: "a table"}[_TOP_KEYS[key]]
            _fail(path, f"'{key}' must be {kind}, got {type(value).__name__}")
    name = data.get("name")
    if not name:
        _fail(path, "missing 'name'", 'add name = "my-niche" (lower case, digits, - and _)')
    if not _NAME.match(name):
        _fail(path, f"name {name!r} is not allowed", "use lower case letters, digits, '-' and '_' (at most 64)")
    lists = {key: _strings(path, key, data[key], strip_hash=key == "hashtags")
             for key in ("languages", "keywords", "hashtags", "seed_accounts") if key in data}
    if not (lists.get("keywords") or lists.get("hashtags") or lists.get("seed_accounts")):
        _fail(path, "the niche has no keywords, hashtags or seed_accounts", "give at least one of them")
    exclude = data.get("exclude", {})
    for key in exclude:
        if key not in _EXCLUDE_KEYS:
            _fail(path, f"unknown key 'exclude.{key}'", _close(key, _EXCLUDE_KEYS))
    excluded = {key: _strings(path, f"exclude.{key}", exclude[key], strip_hash=key == "hashtags") for key in exclude}
    crawl = _crawl_table(path, data.get("crawl", {}))
    prices = _prices(path, data.get("prices", {}))
    weights = _weights(path, data.get("weights", {}))
    quality = _quality_table(path, data.get("quality", {}))
    return NicheQuery(
        name=name, description=data.get("description", ""), languages=lists.get("languages", ()),
        keywords=lists.get("keywords", ()), hashtags=lists.get("hashtags", ()),
        seed_accounts=lists.get("seed_accounts", ()), exclude_keywords=excluded.get("keywords", ()),
        exclude_hashtags=excluded.get("hashtags", ()), exclude_accounts=excluded.get("accounts", ()),
        crawl=dict(crawl), weights=weights, path=str(path), prices=prices, quality=quality,
    )


def find_query(name: str, folder: str | Path = "queries") -> NicheQuery:
    """The niche called `name` in `folder` (its `name` key, or the file NAME.toml); close matches on a miss."""
    folder = Path(folder)
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    known: dict[str, Path] = {}
    for file in files:
        try:
            known[load_query(file).name] = file
        except BadInput:
            continue  # a broken file elsewhere must not hide the one asked for; loading it directly shows the error
    if name in known:
        return load_query(known[name])
    if not known:
        raise BadInput(f"no niche named {name[:80]!r}: no niche queries in {folder}",
                       hint="load the query file itself, or add a NAME.toml query to that folder")
    raise BadInput(f"no niche named {name[:80]!r}", path=folder, hint=_close(name, known))


_CHUNK = 50  # words per compiled pattern: each stays far below the regex engine's size limit


def _words_hit(text: pl.Expr, words: tuple[str, ...]) -> pl.Expr | None:
    """True where the normalised `text` holds one of `words` as a whole word; None without words.

    The words are matched in patterns of at most `_CHUNK` words each, OR-ed, so a niche with
    `MAX_TERMS` long keywords never builds one pattern over the engine's size limit.
    """
    escaped = sorted({re.escape(normalize(w)) for w in words}, key=len, reverse=True)
    if not escaped:
        return None
    folded = normalize_expr(text)
    hits = [folded.str.contains(r"(?:^|[^\p{L}\p{N}\p{M}_])(?:" + "|".join(escaped[i:i + _CHUNK])
                                + r")(?:$|[^\p{L}\p{N}\p{M}_])") for i in range(0, len(escaped), _CHUNK)]
    return pl.any_horizontal(hits)


def _tags_hit(folded: pl.Expr, tags: tuple[str, ...]) -> pl.Expr:
    """True where the list of hashtags in matching form `folded` (`post_tags_expr`) holds one of `tags`."""
    wanted = [normalize(t) for t in tags]
    return folded.list.eval(pl.element().is_in(wanted)).list.any().fill_null(False)


def post_tags_expr(*, text: str = "text", hashtags: str = "hashtags") -> pl.Expr:
    """Each post's hashtags, the stored ones and those parsed from its text, in matching form (`normalize_expr`):
    what `post_in_niche_expr` matches a niche's hashtags against. Computed once as a column, it serves any
    number of niches (`post_in_niche_expr(..., folded_tags=column)`), which then parse and fold nothing."""
    body = pl.col(text).fill_null("")
    return pl.concat_list(pl.col(hashtags).fill_null([]), hashtags_expr(body)).list.eval(normalize_expr(pl.element()))


def post_in_niche_expr(query: NicheQuery, *, text: str = "text", hashtags: str = "hashtags", lang: str = "lang",
                       folded_tags: str | None = None) -> pl.Expr:
    """True for posts on the niche's content: a niche hashtag or keyword, no excluded one, in its languages.

    `folded_tags` names a column of `post_tags_expr`, computed once for many niches; else it is computed here."""
    body = pl.col(text).fill_null("")
    words = _words_hit(body, query.keywords)
    tags = pl.col(folded_tags) if folded_tags else post_tags_expr(text=text, hashtags=hashtags)
    hit = pl.lit(False)
    if query.hashtags:
        hit = hit | _tags_hit(tags, query.hashtags)
    if words is not None:
        hit = hit | words
    if query.exclude_hashtags:
        hit = hit & ~_tags_hit(tags, query.exclude_hashtags)
    excluded = _words_hit(body, query.exclude_keywords)
    if excluded is not None:
        hit = hit & ~excluded
    if query.languages:
        hit = hit & (pl.col(lang).is_null() | pl.col(lang).is_in(list(query.languages)))
    return hit.fill_null(False)


def bio_match_expr(query: NicheQuery, *, bio: str = "bio") -> pl.Expr:
    """True for accounts whose bio names a niche keyword or hashtag."""
    words = _words_hit(pl.col(bio).fill_null(""), query.keywords + query.hashtags)
    return pl.lit(False) if words is None else words
