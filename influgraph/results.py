"""Analysis results kept in a workspace: the only code that names, saves, lists and loads them.

The workspace stores any table as `results/NAME.parquet` (`Workspace.write_result`); this module
decides which tables there are and what they are called, so a ranking saved by the CLI, the demo
or a notebook is found by the report, the map and the other analyses the same way:

- **communities**: `communities` (one row per account: community, role...) and
  `community_profiles` (one row per community), from `detect_communities`.
- **rankings**: `rank_<niche>` (the ranking table of `rank_niche`) and `agreement_<niche>`
  (its rank-agreement table, saved with it so readers need not recompute it).
- **shortlists**: `shortlist_<niche>` (the picks) and `overlap_<niche>` (their audience
  overlap), from `shortlist`.

`<niche>` is the niche name with '-' written as '_' (`persian-books` -> `rank_persian_books`).
A ranking table carries its niche name in its `niche` column, which listings report; a
shortlist does not, so a listed shortlist's niche is its stored name with '_' read back as '-'.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from .communities import CommunityResult
    from .rank import RankResult
    from .shortlisting import ShortlistResult
    from .workspace import Workspace

__all__ = ["StoredRanking", "StoredShortlist", "save_communities", "load_communities", "load_community_profiles",
           "save_ranking", "load_ranking", "stored_rankings", "save_shortlist", "load_shortlist", "stored_shortlists"]

COMMUNITIES = "communities"
COMMUNITY_PROFILES = "community_profiles"
RANKING = "rank_"
AGREEMENT = "agreement_"
SHORTLIST = "shortlist_"
OVERLAP = "overlap_"


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


def _stem(niche: str) -> str:
    """The part of a result name that stands for `niche`."""
    return niche.replace("-", "_")


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
    return workspace.read_result(COMMUNITIES)


def load_community_profiles(workspace: "Workspace") -> pl.DataFrame | None:
    """The stored community profiles (one row per community), or None when none were stored.

    Example: ``load_community_profiles(ws).select("community", "size", "hashtags")``.
    """
    return workspace.read_result(COMMUNITY_PROFILES)


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
    return [workspace.write_result(RANKING + _stem(niche), table),
            workspace.write_result(AGREEMENT + _stem(niche), agreement)]


def _with_agreement(workspace: "Workspace", niche: str, stem: str, table: pl.DataFrame) -> StoredRanking:
    agreement = workspace.read_result(AGREEMENT + stem)
    # a ranking stored before its agreement table was kept beside it
    return StoredRanking(niche=niche, table=table, agreement=_agreement(table) if agreement is None else agreement)


def load_ranking(workspace: "Workspace", niche: str) -> StoredRanking | None:
    """The stored ranking of `niche` with its agreement table, or None when the niche was not ranked.

    Example: ``load_ranking(ws, "persian-books").table.head(10)``.
    """
    table = workspace.read_result(RANKING + _stem(niche))
    return None if table is None else _with_agreement(workspace, niche, _stem(niche), table)


def stored_rankings(workspace: "Workspace") -> dict[str, StoredRanking]:
    """Every stored ranking with at least one candidate, by niche name (from the table's `niche` column), in name order.

    Example: ``{niche: r.table.height for niche, r in stored_rankings(ws).items()}``.
    """
    rankings = {}
    for stem in _stems(workspace, RANKING):
        table = workspace.read_result(RANKING + stem)
        if table is None or table.height == 0 or "niche" not in table.columns:
            continue
        niche = str(table["niche"][0])
        rankings[niche] = _with_agreement(workspace, niche, stem, table)
    return rankings


def save_shortlist(workspace: "Workspace", niche: str, result: "ShortlistResult") -> list[Path]:
    """Store the shortlist of `niche` (the picks and their overlap table) in `workspace`; returns the files written.

    Example: ``save_shortlist(ws, query.name, shortlist(ws, query, k=5))``.
    """
    return [workspace.write_result(SHORTLIST + _stem(niche), result.picks),
            workspace.write_result(OVERLAP + _stem(niche), result.overlap)]


def load_shortlist(workspace: "Workspace", niche: str) -> StoredShortlist | None:
    """The stored shortlist of `niche`, or None when none was stored.

    Example: ``load_shortlist(ws, "persian-books").picks["handle"].to_list()``.
    """
    picks = workspace.read_result(SHORTLIST + _stem(niche))
    if picks is None:
        return None
    return StoredShortlist(niche=niche, picks=picks, overlap=workspace.read_result(OVERLAP + _stem(niche)))


def stored_shortlists(workspace: "Workspace") -> dict[str, StoredShortlist]:
    """Every stored shortlist, by niche name (the stored name with '_' read as '-'), in name order.

    Example: ``[s.picks.height for s in stored_shortlists(ws).values()]``.
    """
    return {stem.replace("_", "-"): load_shortlist(workspace, stem.replace("_", "-")) for stem in _stems(workspace, SHORTLIST)}
