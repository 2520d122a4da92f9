"""Analysis results kept in a workspace: the only code that names, saves, lists and loads them.

The workspace stores any table as `results/NAME.parquet` (`Workspace.write_result`); this module
decides which tables there are and what they are called, so a ranking saved by the CLI, the demo
or a notebook is found by the report, the map and the other analyses the same way:

- **communities**: `communities` (one row per account: community, role...) and
  `community_profiles` (one row per community), from `detect_communities`.
- **rankings**: `rank_<niche>` (the ranking table of `rank_niche`) and `agreement_<niche>`
  (its rank-agreement table, saved with it so readers need not recompute it).
- **rings**: `rings_<niche>` (the engagement rings `rank_niche` found among the niche's
  engagers: one row per ring with its size, density, lift and member ids), saved with the ranking.
- **shortlists**: `shortlist_<niche>` (the picks) and `overlap_<niche>` (their audience
  overlap), from `shortlist`.
- **crisis amplifiers**: `amplifiers_<complaint>` (the summary, one row), `amp-table_<complaint>`
  (the spreaders ranked by reach and brokerage) and `amp-timeline_<complaint>` (the time line),
  from `find_amplifiers`, keyed by the complaint query's name as niches are.
- **trends**: `trends_<niche>` (niche, window and notes, one row, written last), `trend-table_`,
  `trend-series_`, `trend-windows_`, `trend-spikes_`, `trend-events_` and `trend-sizes_<niche>`
  (the rising table, the per-window series, the windows, follower spikes, community events and
  sizes), from `niche_trends` (`save_trends`).

**One name, one file.** Stored names and file names are derived from niche names injectively
(`niche_key`), so two niches never share a result, a map or a report anchor:

- a *plain* niche name (1-64 of a-z, 0-9 and '-', starting with a letter or digit, not `all` or
  `workspace`, which name the whole workspace's files) is its own key: `persian-books`;
- any other name (with '_', upper case, other characters, longer, reserved) is keyed by its
  ASCII slug, '_' and the first 10 hex digits of the sha256 of the exact name:
  `dup_books` -> `dup-books_3bab0c41ca`.

Map files are `map-<key>.html`; result names use the key with '-' and '_' swapped
(`persian-books` -> `rank_persian_books`, `dup_books` -> `rank_dup_books-3bab0c41ca`), which
keeps the names stored before this rule for every plain name. The swap is a bijection and plain
keys never hold '_', so the mapping stays injective.

A ranking table carries its niche name in its `niche` column, which listings report. A
shortlist stored under a plain key is read back exactly from its name ('_' read as '-'); one
stored under a hashed key carries its niche name in a first `niche` column of its picks.
Results stored before this rule keep working: a ranking under its old name ('-' written as
'_') is found when its `niche` column names the niche asked for, and a ranking whose `niche`
column names another niche is never returned for this one.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from .campaign import CampaignResult
    from .communities import CommunityResult
    from .amplifiers import AmplifierResult
    from .rank import RankResult
    from .shortlisting import ShortlistResult
    from .trends import TrendsResult
    from .workspace import Workspace

__all__ = ["niche_key", "needed_columns", "StoredRanking", "StoredShortlist", "save_communities", "load_communities", "load_community_profiles",
           "save_ranking", "load_ranking", "load_rings", "stored_rankings", "save_shortlist", "load_shortlist", "stored_shortlists",
           "save_campaign", "load_campaign", "stored_campaigns",
           "StoredTrends", "save_trends", "load_trends", "stored_trends",
           "StoredAmplifiers", "save_amplifiers", "load_amplifiers", "stored_amplifiers"]

COMMUNITIES = "communities"
COMMUNITY_PROFILES = "community_profiles"
RANKING = "rank_"
AGREEMENT = "agreement_"
SHORTLIST = "shortlist_"
OVERLAP = "overlap_"
# a campaign's results (`campaign.campaign_results`): its facts (one row) and its tables, by campaign name
CAMPAIGN = "campaign_"
CAMPAIGN_TABLES = {"posts": "camp-posts_", "cascades": "camp-cascades_", "nodes": "camp-nodes_",
                   "engagements": "camp-engaged_", "picks": "camp-picks_", "amplifiers": "camp-amps_"}
RINGS = "rings_"
# a complaint's crisis amplifiers (`amplifiers.find_amplifiers`): its summary (one row) and its tables, by complaint name
AMPLIFIERS = "amplifiers_"
AMPLIFIER_TABLES = {"table": "amp-table_", "timeline": "amp-timeline_"}
# a niche's trends (`trends.niche_trends`): its facts (one row: niche, window, span) and its tables, by niche name
TRENDS = "trends_"
TRENDS_TABLES = {"table": "trend-table_", "series": "trend-series_", "windows": "trend-windows_",
                 "spikes": "trend-spikes_", "events": "trend-events_", "sizes": "trend-sizes_"}

# the columns each kind of stored result must hold for its readers (checked on every load)
NEEDED = {COMMUNITIES: ("id", "community"), COMMUNITY_PROFILES: ("community",), RANKING: ("rank", "id"),
          AGREEMENT: ("measure_a", "measure_b"), SHORTLIST: ("pick", "id"), OVERLAP: ("id_a", "id_b"),
          RINGS: ("ring", "size"),
          CAMPAIGN: ("name", "niche", "unique_reach"), CAMPAIGN_TABLES["posts"]: ("id",),
          CAMPAIGN_TABLES["cascades"]: ("cascade", "size"), CAMPAIGN_TABLES["nodes"]: ("cascade", "node"),
          CAMPAIGN_TABLES["engagements"]: ("engager", "member"), CAMPAIGN_TABLES["picks"]: ("pick", "id"),
          CAMPAIGN_TABLES["amplifiers"]: ("rank", "id"),
          AMPLIFIERS: ("complaint", "audience"), AMPLIFIER_TABLES["table"]: ("rank", "id", "reach", "brokerage"),
          AMPLIFIER_TABLES["timeline"]: ("start", "posts", "reposts"),
          TRENDS: ("niche", "window"), TRENDS_TABLES["table"]: ("rank", "id", "rising"),
          TRENDS_TABLES["series"]: ("start", "id", "niche_influence"), TRENDS_TABLES["windows"]: ("start", "end"),
          TRENDS_TABLES["spikes"]: ("id", "day", "jump"), TRENDS_TABLES["events"]: ("start", "event"),
          TRENDS_TABLES["sizes"]: ("start", "community", "size")}


def needed_columns(name: str) -> tuple[str, ...]:
    """The columns a stored result called `name` must hold, by its kind; () for a name of no known kind.

    Example: ``needed_columns("rank_persian_books") == ("rank", "id")``.
    """
    if name in (COMMUNITIES, COMMUNITY_PROFILES):
        return NEEDED[name]
    return next((NEEDED[prefix] for prefix in (RANKING, AGREEMENT, SHORTLIST, OVERLAP, RINGS, CAMPAIGN, *CAMPAIGN_TABLES.values(),
                                                 AMPLIFIERS, *AMPLIFIER_TABLES.values(), TRENDS, *TRENDS_TABLES.values())
                 if name.startswith(prefix)), ())


@dataclass(frozen=True)
class StoredRanking:
    """A niche's ranking read back from a workspace, with its rank-agreement table."""

    niche: str
    table: pl.DataFrame
    agreement: pl.DataFrame


@dataclass(frozen=True)
class StoredShortlist:
    """A niche's shortlist read back from a workspace: the picks and their audience overlap (None if not stored)."""

    niche: str
    picks: pl.DataFrame
    overlap: pl.DataFrame | None


_PLAIN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}\Z")
RESERVED = frozenset({"all", "workspace"})  # map-all.html and the default export names of the whole workspace
_SWAP = str.maketrans("-_", "_-")


def niche_key(niche: str) -> str:
    """The file-name key of `niche`, distinct for distinct names (see the module docstring).

    Example: ``niche_key("persian-books") == "persian-books"``; ``niche_key("dup_books")`` is
    ``"dup-books_"`` + 10 hex digits; the report writes ``maps/map-<key>.html``.
    """
    if _PLAIN.match(niche) and niche not in RESERVED:
        return niche
    slug = re.sub(r"[^a-z0-9]+", "-", niche.lower()).strip("-")[:40].strip("-") or "niche"
    digest = hashlib.sha256(niche.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}_{digest}"


def _stem(niche: str) -> str:
    """The part of a result name that stands for `niche`: its key with '-' and '_' swapped."""
    return niche_key(niche).translate(_SWAP)


def _plain_niche(stem: str) -> str | None:
    """The niche a stored stem spells exactly (a plain key), or None for a hashed key."""
    key = stem.translate(_SWAP)
    return key if "_" not in key and niche_key(key) == key else None


def _read(workspace: "Workspace", kind: str, stem: str = "") -> pl.DataFrame | None:
    """The stored result of `kind` (a name, or a prefix completed by `stem`), checked for the columns of its kind."""
    return workspace.read_result(kind + stem, NEEDED[kind])


def _stems(workspace: "Workspace", prefix: str) -> list[str]:
    """The stems of the stored results named `prefix` + stem, in name order."""
    return [name[len(prefix):] for name in workspace.result_names() if name.startswith(prefix)]


def save_communities(workspace: "Workspace", result: "CommunityResult") -> list[Path]:
    """Store a community detection's membership and profiles in `workspace`; returns the files written.

    Example: ``save_communities(ws, detect_communities(ws))``.
    """
    return [workspace.write_result(COMMUNITIES, result.membership),
            workspace.write_result(COMMUNITY_PROFILES, result.profiles)]


def load_communities(workspace: "Workspace") -> pl.DataFrame | None:
    """The stored community membership (id, community, role...), or None when none was stored.

    Example: ``load_communities(ws)["community"].n_unique()``.
    """
    return _read(workspace, COMMUNITIES)


def load_community_profiles(workspace: "Workspace") -> pl.DataFrame | None:
    """The stored community profiles (one row per community), or None when none were stored.

    Example: ``load_community_profiles(ws).select("community", "size", "hashtags")``.
    """
    return _read(workspace, COMMUNITY_PROFILES)


def _agreement(table: pl.DataFrame) -> pl.DataFrame:
    from .rank import rank_agreement

    return rank_agreement(table)


def save_ranking(workspace: "Workspace", niche: str, ranking: "RankResult | pl.DataFrame") -> list[Path]:
    """Store the ranking of `niche` and its rank-agreement table in `workspace`; returns the files written.

    Parameters
    ----------
    workspace : the workspace to store into.
    niche : the niche's name, e.g. "persian-books".
    ranking : a `RankResult`, or a bare ranking table (its agreement table is then computed).

    Example: ``save_ranking(ws, query.name, rank_niche(ws, query))``.
    """
    table = ranking if isinstance(ranking, pl.DataFrame) else ranking.table
    agreement = _agreement(table) if isinstance(ranking, pl.DataFrame) else ranking.agreement
    written = [workspace.write_result(RANKING + _stem(niche), table),
               workspace.write_result(AGREEMENT + _stem(niche), agreement)]
    rings = None if isinstance(ranking, pl.DataFrame) else ranking.rings
    if rings is not None:
        written.append(workspace.write_result(RINGS + _stem(niche), rings))
    return written


def load_rings(workspace: "Workspace", niche: str) -> pl.DataFrame | None:
    """The engagement rings found when `niche` was last ranked, or None when none were stored.

    Example: ``load_rings(ws, "persian-books")["size"].to_list()``.
    """
    return _read(workspace, RINGS, _stem(niche))


def _with_agreement(workspace: "Workspace", niche: str, stem: str, table: pl.DataFrame) -> StoredRanking:
    agreement = _read(workspace, AGREEMENT, stem)
    # a ranking stored before its agreement table was kept beside it
    return StoredRanking(niche=niche, table=table, agreement=_agreement(table) if agreement is None else agreement)


def load_ranking(workspace: "Workspace", niche: str) -> StoredRanking | None:
    """The stored ranking of `niche` with its agreement table, or None when the niche was not ranked.

    Example: ``load_ranking(ws, "persian-books").table.head(10)``.
    """
    stem = _stem(niche)
    table = _read(workspace, RANKING, stem)
    if table is not None and not _ranks(table, niche):
        table = None  # stored before names were injective, by the niche whose '-' and '_' read alike
    if table is None:
        stem, table = _legacy_ranking(workspace, niche)
    return None if table is None else _with_agreement(workspace, niche, stem, table)


def _ranks(table: pl.DataFrame, niche: str) -> bool:
    """False when `table`'s `niche` column names another niche."""
    return table.height == 0 or "niche" not in table.columns or table["niche"][0] == niche


def _legacy_ranking(workspace: "Workspace", niche: str) -> tuple[str, pl.DataFrame | None]:
    """A ranking of `niche` stored under the name used before `niche_key` ('-' written as '_'), if its table says so."""
    stem = niche.replace("-", "_")
    if stem == _stem(niche) or not re.fullmatch(r"[a-z0-9_-]{1,70}", stem):
        return stem, None
    table = _read(workspace, RANKING, stem)
    if table is None or table.height == 0 or "niche" not in table.columns or not _ranks(table, niche):
        return stem, None
    return stem, table


def stored_rankings(workspace: "Workspace") -> dict[str, StoredRanking]:
    """Every stored ranking with at least one candidate, by niche name (from the table's `niche` column), in name order.

    Example: ``{niche: r.table.height for niche, r in stored_rankings(ws).items()}``.
    """
    rankings = {}
    for stem in _stems(workspace, RANKING):
        table = _read(workspace, RANKING, stem)
        if table is None or table.height == 0 or "niche" not in table.columns:
            continue
        niche = str(table["niche"][0])
        rankings[niche] = _with_agreement(workspace, niche, stem, table)
    return rankings


def save_shortlist(workspace: "Workspace", niche: str, result: "ShortlistResult") -> list[Path]:
    """Store the shortlist of `niche` (the picks and their overlap table) in `workspace`; returns the files written.

    Example: ``save_shortlist(ws, query.name, shortlist(ws, query, k=5))``.
    """
    stem = _stem(niche)
    picks = result.picks
    if _plain_niche(stem) is None:  # the name cannot spell the niche: the picks carry it
        picks = pl.DataFrame({"niche": [niche] * picks.height}, schema={"niche": pl.String}).hstack(
            picks.drop("niche", strict=False))
    return [workspace.write_result(SHORTLIST + stem, picks), workspace.write_result(OVERLAP + stem, result.overlap)]


def load_shortlist(workspace: "Workspace", niche: str) -> StoredShortlist | None:
    """The stored shortlist of `niche`, or None when none was stored.

    Example: ``load_shortlist(ws, "persian-books").picks["handle"].to_list()``.
    """
    return _shortlist(workspace, niche, _stem(niche))


def _shortlist(workspace: "Workspace", niche: str, stem: str) -> StoredShortlist | None:
    picks = _read(workspace, SHORTLIST, stem)
    if picks is None:
        return None
    return StoredShortlist(niche=niche, picks=picks, overlap=_read(workspace, OVERLAP, stem))


def _shortlist_niche(workspace: "Workspace", stem: str) -> str:
    """The niche of the shortlist stored as `stem`: spelled by a plain name, else its `niche` column or that of
    the ranking stored under the same name (an empty shortlist of neither: the name with '_' read as '-')."""
    plain = _plain_niche(stem)
    if plain is not None:
        return plain
    for table in (_read(workspace, SHORTLIST, stem), _read(workspace, RANKING, stem)):
        if table is not None and table.height and "niche" in table.columns:
            return str(table["niche"][0])
    return stem.replace("_", "-")


def stored_shortlists(workspace: "Workspace") -> dict[str, StoredShortlist]:
    """Every stored shortlist, by its exact niche name (see the module docstring), in name order.

    Example: ``[s.picks.height for s in stored_shortlists(ws).values()]``.
    """
    found = {}
    for stem in _stems(workspace, SHORTLIST):
        niche = _shortlist_niche(workspace, stem)
        found[niche] = _shortlist(workspace, niche, stem)
    return found


def _write_facts_and_tables(workspace: "Workspace", head: str, prefixes: dict[str, str], stem: str,
                            tables: dict[str, pl.DataFrame], facts: pl.DataFrame) -> list[Path]:
    """Store a result as its tables (each prefix + stem) and then its facts row (`head` + stem); returns the files.

    The facts go last: a result is listed (`_stems` of `head`) only once all its tables are stored.
    """
    written = [workspace.write_result(prefixes[kind] + stem, frame) for kind, frame in tables.items()]
    return written + [workspace.write_result(head + stem, facts)]


def _facts_and_tables(workspace: "Workspace", head: str, prefixes: dict[str, str], stem: str
                      ) -> tuple[dict, dict[str, pl.DataFrame]] | None:
    """A result stored as one facts row (`head` + stem) and tables (each prefix + stem); None when any part is missing."""
    row = _read(workspace, head, stem)
    if row is None or row.height != 1:
        return None
    tables = {kind: workspace.read_result(prefix + stem, NEEDED[prefix]) for kind, prefix in prefixes.items()}
    if any(table is None for table in tables.values()):
        return None
    return row.row(0, named=True), tables


def _every(workspace: "Workspace", head: str, read, name_of) -> dict:
    """Every result stored under `head`, read by `read(workspace, stem)`, by `name_of(result)`, in stored-name order."""
    found = {}
    for stem in _stems(workspace, head):
        stored = read(workspace, stem)
        if stored is not None:
            found[name_of(stored)] = stored
    return found


def _one(workspace: "Workspace", name: str, read, name_of):
    """The result stored for `name` (read from its stem), or None; never another name's whose stem reads alike."""
    stored = read(workspace, _stem(name))
    return stored if stored is not None and name_of(stored) == name else None


def _facts_row(facts: dict) -> pl.DataFrame:
    """The facts of a campaign as one row: lists of text, text (None too) and integers."""
    def kind(value: object) -> pl.DataType:
        return pl.List(pl.String) if isinstance(value, list) else pl.String if value is None or isinstance(value, str) else pl.Int64

    return pl.DataFrame([facts], schema={key: kind(value) for key, value in facts.items()})


def save_campaign(workspace: "Workspace", result: "CampaignResult") -> list[Path]:
    """Store a campaign's results (`campaign_results`) in `workspace` under its name; returns the files written.

    Parameters
    ----------
    workspace : the workspace to store into.
    result : the campaign's results; `result.facts["name"]` names them (injectively, as niches are: `niche_key`).

    Example: ``save_campaign(ws, campaign_results(ws, query, name="launch", hashtags=["brewday"], since=s, until=u))``.
    """
    return _write_facts_and_tables(workspace, CAMPAIGN, CAMPAIGN_TABLES, _stem(result.facts["name"]),
                                   {kind: getattr(result, kind) for kind in CAMPAIGN_TABLES},
                                   _facts_row({**result.facts, "notes": list(result.notes)}))


def _campaign(workspace: "Workspace", stem: str) -> "CampaignResult | None":
    from .campaign import CampaignResult

    found = _facts_and_tables(workspace, CAMPAIGN, CAMPAIGN_TABLES, stem)
    if found is None:
        return None
    facts, tables = found
    notes = facts.pop("notes", None) or []
    return CampaignResult(facts=facts, notes=list(notes), **tables)


def load_campaign(workspace: "Workspace", name: str) -> "CampaignResult | None":
    """The stored results of the campaign `name`, or None when none were stored.

    Example: ``load_campaign(ws, "launch").facts["unique_reach"]``.
    """
    return _one(workspace, name, _campaign, lambda stored: stored.facts["name"])


def stored_campaigns(workspace: "Workspace") -> dict[str, "CampaignResult"]:
    """Every stored campaign, by name, in stored-name order.

    Example: ``{name: c.facts["unique_reach"] for name, c in stored_campaigns(ws).items()}``.
    """
    return _every(workspace, CAMPAIGN, _campaign, lambda stored: str(stored.facts["name"]))


@dataclass(frozen=True)
class StoredAmplifiers:
    """A complaint's crisis amplifiers read back from a workspace: its summary, the spreaders and the time line."""

    complaint: str
    summary: dict
    table: pl.DataFrame
    timeline: pl.DataFrame


def save_amplifiers(workspace: "Workspace", result: "AmplifierResult") -> list[Path]:
    """Store a complaint's amplifiers (`find_amplifiers`) in `workspace` under the complaint's name; returns the files written.

    Parameters
    ----------
    workspace : the workspace to store into.
    result : the amplifiers; `result.summary["complaint"]` names them (injectively, as niches are: `niche_key`).

    Example: ``save_amplifiers(ws, find_amplifiers(ws, load_query("complaint.toml")))``.
    """
    summary = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in result.summary.items()}
    return _write_facts_and_tables(workspace, AMPLIFIERS, AMPLIFIER_TABLES, _stem(result.summary["complaint"]),
                                   {kind: getattr(result, kind) for kind in AMPLIFIER_TABLES},
                                   _facts_row({**summary, "notes": list(result.notes)}))


def _amplifiers(workspace: "Workspace", stem: str) -> StoredAmplifiers | None:
    found = _facts_and_tables(workspace, AMPLIFIERS, AMPLIFIER_TABLES, stem)
    if found is None:
        return None
    summary, tables = found
    return StoredAmplifiers(complaint=str(summary["complaint"]), summary=summary, **tables)


def load_amplifiers(workspace: "Workspace", complaint: str) -> StoredAmplifiers | None:
    """The stored amplifiers of the complaint named `complaint`, or None when none were stored.

    Example: ``load_amplifiers(ws, "burnt-beans").table.head(3)``.
    """
    return _one(workspace, complaint, _amplifiers, lambda stored: stored.complaint)


def stored_amplifiers(workspace: "Workspace") -> dict[str, StoredAmplifiers]:
    """Every stored complaint's amplifiers, by complaint name, in stored-name order.

    Example: ``{name: a.summary["reached"] for name, a in stored_amplifiers(ws).items()}``.
    """
    return _every(workspace, AMPLIFIERS, _amplifiers, lambda stored: stored.complaint)


@dataclass(frozen=True)
class StoredTrends:
    """A niche's trends read back from a workspace: its facts and tables (see `trends.TrendsResult`)."""

    niche: str
    facts: dict
    table: pl.DataFrame
    series: pl.DataFrame
    windows: pl.DataFrame
    spikes: pl.DataFrame
    events: pl.DataFrame
    sizes: pl.DataFrame


def save_trends(workspace: "Workspace", niche: str, window: str, result: "TrendsResult") -> list[Path]:
    """Store the trends of `niche` (`trends.niche_trends` with `window`) in `workspace`; returns the files written.

    Example: ``save_trends(ws, query.name, "7d", niche_trends(ws, query, "7d"))``.
    """
    from .community_changes import EVENT_SCHEMA

    stem = _stem(niche)
    changes = result.communities
    tables = {"table": result.table, "series": result.series, "windows": result.windows, "spikes": result.spikes,
              "events": changes.events if changes is not None else pl.DataFrame(schema=EVENT_SCHEMA),
              "sizes": changes.sizes if changes is not None else
              pl.DataFrame(schema={"start": pl.Datetime("us", "UTC"), "community": pl.Int64, "size": pl.Int64})}
    facts = pl.DataFrame([{"niche": niche, "window": str(window), "communities": changes is not None,
                           "notes": list(result.notes)}],
                         schema={"niche": pl.String, "window": pl.String, "communities": pl.Boolean, "notes": pl.List(pl.String)})
    return _write_facts_and_tables(workspace, TRENDS, TRENDS_TABLES, stem, tables, facts)


def _trends(workspace: "Workspace", stem: str) -> StoredTrends | None:
    found = _facts_and_tables(workspace, TRENDS, TRENDS_TABLES, stem)
    if found is None:
        return None
    facts, tables = found
    return StoredTrends(niche=str(facts["niche"]), facts=facts, **tables)


def load_trends(workspace: "Workspace", niche: str) -> StoredTrends | None:
    """The stored trends of `niche`, or None when none were stored.

    Example: ``load_trends(ws, "specialty-coffee").table.head(3)``.
    """
    return _one(workspace, niche, _trends, lambda stored: stored.niche)


def stored_trends(workspace: "Workspace") -> dict[str, StoredTrends]:
    """Every stored trends result, by niche name, in stored-name order.

    Example: ``{niche: t.table["id"].head(3).to_list() for niche, t in stored_trends(ws).items()}``.
    """
    return _every(workspace, TRENDS, _trends, lambda stored: stored.niche)
