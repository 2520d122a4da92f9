"""Lookalikes: the accounts whose audience and engagers overlap most with a given account's.

The planner's "more like this one". Rules (documented in the README):

- **Candidates**: the niche's ranked accounts, minus the account itself and the picks of the
  niche's shortlist (the stored one unless `exclude` names others; `exclude=()` keeps them).
- **Audience** of an account: the authentic accounts (not bot-like, mass followers, hunters or
  ring members, `quality.ACCOUNT_COLUMNS`) that follow it or engage with it, from every edge in the
  workspace; **engagers**: those that repost, quote, reply to or like it.
- **Jaccard** = |A ∩ B| / |A ∪ B| of the two audiences.
- **Co-engagement** = the Salton (cosine) similarity of the two engager sets, each shared engager
  weighted by `1 / log2(1 + k)` with k the number of candidates it engages with:
  `sum_shared w / sqrt(sum_A w * sum_B w)`. The square root corrects for audience size (a huge
  account shares many engagers with everyone by size alone) and the weight for promiscuous
  engagers (one who engages with everyone says little), as in Adamic and Adar (2003).
- **Similarity** = the mean of the two; rows sorted by it (ties by niche rank), explained by the
  shared members with the most followers in the workspace.

References
----------
.. [1] G. Salton and M. J. McGill, "Introduction to Modern Information Retrieval", McGraw-Hill, 1983.
.. [2] L. A. Adamic and E. Adar, "Friends and neighbors on the Web", Social Networks 25(3), 2003.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from scipy import sparse

from .errors import BadInput
from .labels import named_expr
from .niches import NicheQuery
from .schema import ENGAGEMENT_KINDS, account_key

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["lookalikes", "SHARED_SHOWN"]

SHARED_SHOWN = 3  # shared members named in each explanation


def _matrix(edges: pl.DataFrame, rows: pl.DataFrame, kinds: Sequence[str]) -> tuple[sparse.csr_matrix, pl.DataFrame]:
    """Boolean (rows x audience) matrix of the accounts that act toward each row's account by `kinds`, and the audience.

    `rows` holds `r` and the account key (`account_key`); the audience frame holds the key of each
    column's account (`platform` and `src`, or `src` alone) and its column number `c`.
    """
    keyed = "platform" in rows.columns
    ends = ["platform", "src"] if keyed else ["src"]
    pairs = (edges.filter(pl.col("kind").cast(pl.String).is_in(list(kinds)) & (pl.col("src") != pl.col("dst")))
             .select(*ends, "dst").unique()
             .join(rows, left_on=[*ends[:-1], "dst"], right_on=account_key(rows)))
    audience = pairs.select(ends).unique().sort(ends).with_row_index("c").with_columns(pl.col("c").cast(pl.Int64))
    pairs = pairs.join(audience, on=ends)
    matrix = sparse.csr_matrix((np.ones(pairs.height, dtype=np.float64), (pairs["r"].to_numpy(), pairs["c"].to_numpy())),
                               shape=(rows.height, audience.height))
    return matrix, audience


def _similarities(audience: sparse.csr_matrix, engagers: sparse.csr_matrix, target: int) -> dict[str, np.ndarray]:
    """Per row: shared audience, Jaccard, shared engagers and the weighted co-engagement with row `target`."""
    size = np.asarray(audience.sum(axis=1)).ravel()
    shared = np.asarray((audience @ audience[target].T).todense()).ravel()
    union = size + size[target] - shared
    activity = np.asarray(engagers.sum(axis=0)).ravel()
    weights = 1.0 / np.log2(1.0 + np.maximum(activity, 1.0))
    weighted = engagers @ sparse.diags(weights)
    mass = np.asarray(weighted.sum(axis=1)).ravel()
    co = np.asarray((weighted @ engagers[target].T).todense()).ravel()
    shared_engagers = np.asarray((engagers @ engagers[target].T).todense()).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, shared / union, 0.0)
        co_engagement = np.where(mass * mass[target] > 0, co / np.sqrt(mass * mass[target]), 0.0)
    return {"shared_audience": shared.astype(np.int64), "jaccard": jaccard, "shared_engagers": shared_engagers.astype(np.int64),
            "co_engagement": co_engagement}


def _shared_names(audience: sparse.csr_matrix, ids: pl.Series, target: int, rows: np.ndarray, labels: dict[str, str],
                  fame: dict[str, int]) -> list[list[str]]:
    """For each of `rows`, the SHARED_SHOWN shared audience members with the most known followers (ties by id)."""
    mine = set(audience[target].indices.tolist())
    out = []
    for row in rows:  # one row per result shown (top N), not per edge
        shared = sorted((ids[int(c)] for c in audience[int(row)].indices if int(c) in mine), key=lambda i: (-fame.get(i, 0), i))
        out.append([labels.get(i, i) for i in shared[:SHARED_SHOWN]])
    return out


def lookalikes(source: "Workspace", query: NicheQuery, account: str, *, ranked: pl.DataFrame, top: int = 10,
               exclude: Sequence[str] | None = None) -> pl.DataFrame:
    """The `top` accounts of niche `query` whose audience and engagers overlap most with `account`'s.

    Parameters
    ----------
    source : Workspace
        The workspace (its edges and stored shortlist).
    query : NicheQuery
        The niche.
    account : str
        An id or handle of a ranked account of the niche.
    ranked : polars.DataFrame
        The niche's ranking table (`rank_niche(source, query).table`).
    top : int
        How many lookalikes.
    exclude : sequence of str, optional
        Ids or handles never returned; None: the picks of the niche's stored shortlist.

    Returns
    -------
    polars.DataFrame
        One row per lookalike: position, id, handle, rank, role, niche_influence, audience_quality,
        shared_audience, jaccard, shared_engagers, co_engagement, similarity, shared_members and
        explanation (the rules are in the module docstring).

    Example
    -------
    ``lookalikes(ws, query, "pro_cof1", ranked=rank_niche(ws, query).table, top=5)``
    """
    if top < 1:
        raise BadInput(f"`top` must be at least 1, got {top}", param="top")
    hit = ranked.filter(named_expr({account.lower().lstrip("@")}))
    if hit.height == 0:
        raise BadInput(f"`account` {account[:80]!r} is not a ranked account of niche {query.name[:80]!r}",
                       hint="name a ranked account by id or handle (see the niche's ranking)", param="account")
    key = account_key(ranked)
    target_key = hit.head(1).select(key)
    if exclude is None:
        from .results import load_shortlist

        stored = load_shortlist(source, query.name)
        excluded = stored.picks.select(account_key(stored.picks, ranked)) if stored is not None else target_key.clear()
    else:
        excluded = ranked.filter(named_expr({e.lower().lstrip("@") for e in exclude})).select(key)
    excluded = pl.concat([excluded.select(account_key(excluded, ranked)), target_key.select(account_key(excluded, ranked))])
    rows = ranked.select(key).with_row_index("r").with_columns(pl.col("r").cast(pl.Int64))
    edges = source.table("edges")
    if "inauthentic_account" in ranked.columns:  # their follows and engagements say nothing of an audience
        inauthentic = ranked.filter(pl.col("inauthentic_account").fill_null(False)).select(key).rename({"id": "src"})
        edges = edges.join(inauthentic, on=list(inauthentic.columns), how="anti")
    audience, audience_ids = _matrix(edges, rows, ("follow", *ENGAGEMENT_KINDS))
    engagers, _ = _matrix(edges.join(audience_ids, on=[c for c in audience_ids.columns if c != "c"], how="semi"),
                          rows, ENGAGEMENT_KINDS)
    target = int(rows.join(hit.head(1), on=account_key(rows, hit), how="semi")["r"][0])
    scores = _similarities(audience, engagers, target)
    table = ranked.with_columns(*[pl.Series(k, v) for k, v in scores.items()]).with_row_index("_row")
    table = table.with_columns(((pl.col("jaccard") + pl.col("co_engagement")) / 2).alias("similarity"))
    chosen = (table.join(excluded, on=list(excluded.columns), how="anti").filter(pl.col("shared_audience") > 0)
              .sort(["similarity", "rank"], descending=[True, False]).head(top))
    accounts = source.table("accounts").select("id", pl.coalesce("handle", "id").alias("label"), "followers")
    labels = dict(accounts.select("id", "label").iter_rows())
    fame = dict(accounts.select("id", pl.col("followers").fill_null(0)).iter_rows())
    names = _shared_names(audience, audience_ids["src"], target, chosen["_row"].to_numpy(), labels, fame)
    label = hit.select(pl.coalesce("handle", "id"))[:, 0][0]
    columns = [c for c in ("platform", "id", "handle", "rank", "role", "niche_influence", "audience_quality") if c in chosen.columns]
    out = chosen.select(*columns, "shared_audience", "jaccard", "shared_engagers", "co_engagement", "similarity").with_columns(
        pl.Series("shared_members", names, dtype=pl.List(pl.String)))
    explanation = pl.format("shares {} of its followers and engagers with {} (Jaccard {}) and {} engagers (co-engagement {});"
                            " shared: {}", "shared_audience", pl.lit(label), pl.col("jaccard").round(3), "shared_engagers",
                            pl.col("co_engagement").round(3), pl.col("shared_members").list.join(", "))
    return out.with_columns(explanation.alias("explanation")).with_row_index("position", offset=1)
