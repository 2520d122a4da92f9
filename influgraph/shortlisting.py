"""Shortlist: the influencers who together reach the most of a niche's audience, for k picks or a budget.

Rules (documented in the README):

- **Candidates** are the niche's ranked accounts (`rank_niche`), minus excluded roles (default:
  suspected bots), flagged accounts (below), tiers not asked for, must-exclude accounts, and,
  with a budget, accounts without a cost. Must-include accounts are picked first and count
  toward k and the budget.
- **Flagged accounts are left out by default** (`allow_flagged=True` includes them): accounts
  whose audience quality is below the niche's `min_audience_quality` (0.6 unless its
  `[quality]` table says otherwise; `low_audience_quality`), accounts with the low-relevance
  warning, suspected bots and accounts with the inauthentic-audience role. Every account left out
  is listed in `ShortlistResult.left_out` with its reason, and the notes count them by reason.
- **Audience** of a candidate: the authentic niche members (members that are not bot-like, mass
  followers, hunters or ring members: `inauthentic_account`) who follow it (`followers`), who
  engage with it by repost, quote, reply or like (`engagers`), or either (`both`, the default).
  Only they count as reach.
- **Reach** (default objective): maximise the number of distinct niche members reached.
  With k picks: lazy greedy (CELF; ties go to the better niche rank), which reaches at least
  (1 - 1/e) of the optimum. With a budget: lazy greedy on marginal reach per unit of cost, and
  the best single affordable account if that reaches more (the best-of-two safeguard, at least
  (1 - 1/e)/2 of the optimum). `max_per_community` skips accounts whose community is full.
- **Spread**: expected number of niche members activated under the independent cascade
  model, influence flowing against the interaction (a repost of A carries A's influence to the
  reposter), with probability `1 - (1 - p)^w` on an edge of weight w (p = 0.05 by default),
  estimated from `samples` reverse-reachable sets (RIS, Borgs et al. 2014; seeded), maximised by
  the same greedy over the sets.
- **Explanation** per pick: niche rank and score components, audience, marginal reach (new
  members), overlap with earlier picks (audience already reached) and the earlier pick it
  shares most with, community, tier, role, cost.
- **Baselines** on the same candidates: top-k by followers and top-k by niche influence, with
  their unique reach, so the gain of choosing jointly is visible.

The selection algorithms (CELF greedy, budgeted best-of-two, reverse-reachable sets) are general
and live in `algorithms.coverage`; this module decides the candidates, their audience and the rules.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from scipy import sparse

from .algorithms.coverage import Selection, greedy_cover, live_probabilities, marginal_gain, mark_covered, opim_c
from .errors import BadInput
from .labels import ROLES, TIERS, named_expr
from .niches import NicheQuery
from .quality import rules_of
from .schema import ENGAGEMENT_KINDS

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["AUDIENCES", "OBJECTIVES", "ROLE_SHORTHANDS", "ShortlistResult", "audience_matrix", "read_costs", "shortlist"]

AUDIENCES = ("both", "followers", "engagers")
OBJECTIVES = ("reach", "spread")
ROLE_SHORTHANDS = {"bot": "suspected bot", "inauthentic": "inauthentic audience", "brand": "brand or organisation",
                   "celebrity": "celebrity", "broker": "broker", "expert": "niche expert", "peer": "peer"}
OVERLAP_TOP = 20
# the audience-quality columns of the ranking that each pick carries (`quality`), and its badges
PICK_QUALITY = ("audience_quality", "authentic_follower_share", "authentic_engager_share", "bot_follower_share",
                "mass_follower_share", "hunter_engager_share", "ring_engager_share", "engagement_authenticity", "warning",
                "flags")


@dataclass
class ShortlistResult:
    """The picks with their explanations, the overlap table, the baselines, and the candidates left out
    (`left_out`: id, handle, rank, reason, flags; one row per account not eligible)."""

    picks: pl.DataFrame
    overlap: pl.DataFrame
    baselines: dict
    objective: str
    niche: str
    notes: list[str] = field(default_factory=list)
    left_out: pl.DataFrame = field(default_factory=pl.DataFrame)

    def left_out_counts(self) -> dict[str, int]:
        """How many candidates were left out, by reason."""
        if self.left_out.height == 0:
            return {}
        return dict(self.left_out.group_by("reason").len().sort("reason").iter_rows())

    def summary(self) -> dict:
        """JSON-ready summary."""
        return {"niche": self.niche, "objective": self.objective, "baselines": self.baselines, "notes": self.notes,
                "left_out": self.left_out_counts(), "picks": self.picks.to_dicts()}


def audience_matrix(edges: pl.DataFrame, candidates: pl.Series, audience: pl.Series, how: str = "both") -> sparse.csr_matrix:
    """Boolean CSR matrix (candidates x audience): row i holds the audience members who follow or engage with candidate i."""
    if how not in AUDIENCES:
        raise BadInput(f"unknown audience {how!r}", hint=f"use one of {', '.join(AUDIENCES)}", param="how")
    kinds = {"both": ("follow", *ENGAGEMENT_KINDS), "followers": ("follow",), "engagers": ENGAGEMENT_KINDS}[how]
    rows = pl.DataFrame({"dst": candidates, "r": np.arange(len(candidates), dtype=np.int64)})
    cols = pl.DataFrame({"src": audience, "c": np.arange(len(audience), dtype=np.int64)})
    pairs = (edges.lazy().filter(pl.col("kind").cast(pl.String).is_in(list(kinds)) & (pl.col("src") != pl.col("dst")))
             .select("src", "dst").join(rows.lazy(), on="dst").join(cols.lazy(), on="src")
             .select("r", "c").unique().collect())
    data = np.ones(pairs.height, dtype=bool)
    return sparse.csr_matrix((data, (pairs["r"].to_numpy(), pairs["c"].to_numpy())), shape=(len(candidates), len(audience)))


def read_costs(path: str | Path) -> pl.DataFrame:
    """A costs CSV: an `id` or `handle` column and a `cost` column of finite numbers >= 0."""
    path = Path(path)
    if not path.is_file():
        raise BadInput("costs file not found", path=path, hint="give a CSV with columns id (or handle) and cost")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except Exception as exc:  # polars raises several kinds for a malformed CSV
        raise BadInput(f"cannot read the costs CSV: {str(exc).splitlines()[0]}", path=path) from None
    key = next((c for c in ("id", "handle") if c in frame.columns), None)
    if key is None or "cost" not in frame.columns:
        raise BadInput(f"costs file needs columns id (or handle) and cost, found {', '.join(frame.columns) or 'none'}",
                       path=path, hint="add a header line: id,cost")
    numbers = frame["cost"].str.strip_chars().cast(pl.Float64, strict=False)
    bad = frame.with_row_index("line", offset=2).filter(numbers.is_null() | ~numbers.is_finite() | (numbers < 0)
                                                        | pl.col(key).is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise BadInput(f"cost {row['cost']!r} for {row[key]!r} is not a number >= 0", path=f"{path}:{row['line']}",
                       hint="write a plain number such as 1500 or 1500.50")
    frame = frame.select(pl.col(key).str.strip_chars().alias(key), numbers.alias("cost"))
    duplicated = frame.filter(pl.col(key).str.to_lowercase().is_duplicated())
    if duplicated.height:
        raise BadInput(f"{key} {duplicated[key][0]!r} has more than one cost", path=path, hint="keep one line per account")
    return frame


def _roles(names: Sequence[str]) -> set[str]:
    """The roles named by `names` (shorthands or full role names); an unknown one is an error."""
    roles = set()
    for name in names:
        role = ROLE_SHORTHANDS.get(name.strip().lower(), name.strip().lower())
        if role not in ROLES:
            raise BadInput(f"unknown role {name!r}", hint=f"use one of {', '.join(ROLE_SHORTHANDS)}", param="exclude_roles")
        roles.add(role)
    return roles


def _lookup(table: pl.DataFrame, names: Sequence[str], option: str) -> list[str]:
    """Ids of the accounts named (by id or handle) in `names`; an unknown name is an error."""
    ids = []
    for name in names:
        hit = table.filter(named_expr({name.lower().lstrip("@")}))
        if hit.height == 0:
            raise BadInput(f"`{option}` {name!r} is not a candidate of this niche",
                           hint="name a ranked account by id or handle (see the niche's ranking)", param=option)
        ids.append(hit["id"][0])
    return ids


def _unique_reach(matrix: sparse.csr_matrix, rows: Sequence[int]) -> int:
    """How many distinct columns the `rows` cover together."""
    if not len(rows):
        return 0
    return int(np.unique(matrix[list(rows)].indices).size)


def shortlist(source: "Workspace", query: NicheQuery, *, ranked: pl.DataFrame, k: int | None = 10, budget: float | None = None,
              costs: pl.DataFrame | None = None, tiers: Sequence[str] | None = None, exclude_roles: Sequence[str] = ("bot",),
              max_per_community: int | None = None, must_include: Sequence[str] = (), must_exclude: Sequence[str] = (),
              objective: str = "reach", audience: str = "both", samples: int = 20_000, p: float = 0.05,
              seed: int = 0, allow_flagged: bool = False) -> ShortlistResult:
    """Choose the shortlist for niche `query` in `source` (see the module docstring for every rule).

    `ranked` is the niche's ranking table (`rank_niche(source, query).table`); its accounts are the
    candidates. The steps, in order: check the options (`_validate`), price and rule out candidates
    (`_pool`, `_eligible`), check that the constraints can be met (`_check_constraints`), build
    the coverage matrix (`audience_matrix`, or `_spread_cover` for spread), select
    (`greedy_cover`), and explain the picks against the baselines (`_explain`, `_overlap`, `_baselines`).

    Example: ``shortlist(ws, query, ranked=rank_niche(ws, query).table, k=5, tiers=("nano", "micro"))``.
    """
    _validate(objective=objective, k=k, budget=budget, costs=costs, max_per_community=max_per_community, tiers=tiers, p=p)
    table = ranked
    if table.height == 0:
        raise BadInput(f"niche {query.name!r} has no ranked candidates in this workspace",
                       hint="import content that matches the niche query first", param="ranked")
    excluded_roles = _roles(exclude_roles)
    include = _lookup(table, must_include, "must_include")
    exclude = set(_lookup(table, must_exclude, "must_exclude"))
    if set(include) & exclude:
        raise BadInput("an account is both must-include and must-exclude", hint="name it in one list only",
                       param="must_include")
    pool = _pool(table, include, exclude, costs=costs, excluded_roles=excluded_roles, tiers=tiers, budget=budget,
                 flagged=None if allow_flagged else rules_of(query).min_audience_quality)
    notes: list[str] = []
    eligible = _eligible(pool, budget, notes)
    cost_array = eligible["cost"].fill_null(0.0).to_numpy() if costs is not None else None
    _check_constraints(eligible, len(include), k=k, budget=budget, cost_array=cost_array, max_per_community=max_per_community)
    groups = eligible["community"].fill_null(-1).cast(pl.Int64).to_numpy() if "community" in eligible.columns else None
    keyed = "platform" in table.columns  # the same id on two platforms is two accounts: join on (platform, id) keys
    table, eligible_keys = _keyed(table, keyed, "id"), _keyed(eligible, keyed, "id")
    members = _authentic_members(table, notes)
    raw_ids = members.str.splitn(_KEY_SEP, 2).struct.field("field_1") if keyed else members
    edges = _keyed(source.scan("edges").filter(pl.col("src").is_in(raw_ids.implode())).collect(), keyed, "src", "dst")
    edges = edges.filter(pl.col("src").is_in(members.implode()))
    reach_matrix = audience_matrix(edges, eligible_keys["id"], members, audience)
    if objective == "reach":
        cover = reach_matrix
    else:
        cover = _spread_cover(table, edges, members, eligible_keys, samples=samples, p=p, seed=seed, k=k or eligible.height)
        samples = cover.shape[1]  # OPIM-C chose how many RR sets (at most `samples`)
    selection = greedy_cover(cover, k=k, costs=cost_array, budget=budget, forced=list(range(len(include))), groups=groups,
                             max_per_group=max_per_community)
    picks = _explain(eligible, reach_matrix, selection, objective, len(members), samples)
    overlap = _overlap(eligible, reach_matrix, selection.picks)
    baselines = _baselines(eligible, reach_matrix, selection, forced=len(include), members=len(members), budget=budget,
                           spent=float(picks["cost"].sum()), objective=objective, samples=samples)
    left_out = pool.filter(pl.col("left_out").is_not_null()).select(
        "id", "handle", "rank", pl.col("left_out").alias("reason"), *[c for c in ("flags", "audience_quality") if c in pool.columns])
    counts = left_out.group_by("reason").len().sort("reason")
    notes += [f"{n:,} candidates left out: {reason}" + (" (`allow_flagged` includes them)" if reason.startswith("flagged") else "")
              for reason, n in counts.iter_rows()]
    return ShortlistResult(picks=picks, overlap=overlap, baselines=baselines, objective=objective, niche=query.name, notes=notes,
                           left_out=left_out)


_KEY_SEP = "\x1f"  # between platform and id in an account key (no platform name holds it)


def _keyed(frame: pl.DataFrame, keyed: bool, *columns: str) -> pl.DataFrame:
    """`frame` with each of the id `columns` made an account key `platform<US>id` when `keyed`, so the coverage
    joins never merge the same id on two platforms; as it is otherwise (a table without `platform`)."""
    if not keyed:
        return frame
    return frame.with_columns((pl.col("platform").fill_null("") + _KEY_SEP + pl.col(c)).alias(c) for c in columns)


def _authentic_members(table: pl.DataFrame, notes: list[str]) -> pl.Series:
    """The niche members that count as reach: not inauthentic accounts (`inauthentic_account`), when the table says."""
    members = table.filter(pl.col("member"))
    if "inauthentic_account" not in members.columns:
        return members["id"]
    authentic = members.filter(~pl.col("inauthentic_account").fill_null(False))
    if authentic.height < members.height:
        notes.append(f"{members.height - authentic.height:,} niche members are not counted as reach: bot-like, mass "
                     "followers, hunters or ring members")
    return authentic["id"]


def _validate(*, objective: str, k: int | None, budget: float | None, costs: pl.DataFrame | None,
              max_per_community: int | None, tiers: Sequence[str] | None, p: float) -> None:
    """Raise BadInput for an option out of range, before any work."""
    if objective not in OBJECTIVES:
        raise BadInput(f"unknown objective {objective!r}", hint=f"use one of {', '.join(OBJECTIVES)}", param="objective")
    if k is not None and k < 1:
        raise BadInput(f"`k` must be at least 1, got {k}", param="k")
    if budget is not None and (not math.isfinite(budget) or budget < 0):
        raise BadInput(f"`budget` must be a number >= 0, got {budget}", param="budget")
    if budget is not None and costs is None:
        raise BadInput("`budget` needs `costs`", hint="give each account's cost in a table with columns id (or handle) and cost",
                       param="costs")
    if max_per_community is not None and max_per_community < 1:
        raise BadInput(f"`max_per_community` must be at least 1, got {max_per_community}", param="max_per_community")
    unknown_tiers = [t for t in (tiers or ()) if t not in TIERS]
    if unknown_tiers:
        raise BadInput(f"unknown tier {unknown_tiers[0]!r}", hint=f"use one of {', '.join(TIERS)}", param="tiers")
    if not 0 < p <= 1:
        raise BadInput(f"probability p must be in (0, 1], got {p}", param="p")


def _flag_reason(table: pl.DataFrame, min_quality: float) -> pl.Expr:
    """Why a flagged account is left out (null when it is not flagged); columns the table lacks flag nothing."""
    has = set(table.columns)
    low = pl.col("low_audience_quality").fill_null(False) if "low_audience_quality" in has else pl.lit(False)
    warned = pl.col("warning").is_not_null() if "warning" in has else pl.lit(False)
    return (pl.when(low).then(pl.format("flagged inauthentic audience (audience quality below {})", pl.lit(min_quality)))
            .when(pl.col("role") == "inauthentic audience").then(pl.lit("flagged inauthentic audience"))
            .when(pl.col("role") == "suspected bot").then(pl.lit("flagged suspected bot"))
            .when(warned).then(pl.lit("flagged low niche relevance")))


def _pool(table: pl.DataFrame, include: list[str], exclude: set[str], *, costs: pl.DataFrame | None,
          excluded_roles: set[str], tiers: Sequence[str] | None, budget: float | None,
          flagged: float | None = None) -> pl.DataFrame:
    """The ranked accounts with `forced` (must-include), their `cost`, and why each is `left_out` (null: eligible);
    `flagged` (the audience-quality threshold) leaves flagged accounts out, None keeps them."""
    pool = table.with_columns(pl.col("id").is_in(include).alias("forced"))
    if costs is not None:
        key = "id" if "id" in costs.columns else "handle"
        priced = costs.with_columns(pl.col(key).str.to_lowercase().str.strip_prefix("@").alias("_key"))
        pool = pool.with_columns(pl.col(key).str.to_lowercase().alias("_key")).join(
            priced.select("_key", "cost"), on="_key", how="left").drop("_key")
    else:
        pool = pool.with_columns(pl.lit(None, pl.Float64).alias("cost"))
    reasons = (pl.when(pl.col("id").is_in(list(exclude))).then(pl.lit("must-exclude"))
               .when(pl.col("role").is_in(list(excluded_roles))).then(pl.format("role {}", "role"))
               .when(pl.lit(flagged is not None) & _flag_reason(pool, flagged or 0.0).is_not_null())
               .then(_flag_reason(pool, flagged or 0.0))
               .when(pl.lit(bool(tiers)) & ~pl.col("tier").is_in(list(tiers or ()))).then(pl.format("tier {}", "tier"))
               .when(pl.lit(budget is not None) & pl.col("cost").is_null()).then(pl.lit("no cost")))
    return pool.with_columns(reasons.alias("left_out"))


def _eligible(pool: pl.DataFrame, budget: float | None, notes: list[str]) -> pl.DataFrame:
    """The candidates not left out, must-include first then by rank; a must-include that is left out is an error."""
    blocked = pool.filter(pl.col("forced") & pl.col("left_out").is_not_null())
    if blocked.height:
        row = blocked.row(0, named=True)
        hint = ("pass `allow_flagged` to include flagged accounts, or drop it from `must_include`"
                if row["left_out"].startswith("flagged") else "drop it from `must_include` or relax that constraint")
        raise BadInput(f"must-include {row['handle'] or row['id']} is ruled out by {row['left_out']}", hint=hint,
                       param="must_include")
    if pool.filter(pl.col("cost").is_null()).height and budget is not None:
        notes.append(f"{pool.filter(pl.col('left_out') == 'no cost').height:,} candidates have no cost and were left out")
    eligible = pool.filter(pl.col("left_out").is_null()).sort(["forced", "rank"], descending=[True, False])
    if eligible.height == 0:
        if budget is not None and pool["cost"].is_null().all():
            raise BadInput("no ranked account has a cost in `costs`", param="costs",
                           hint="give the ranked accounts' ids or handles in the costs table, one line each")
        raise BadInput("no candidate is left after the constraints", hint="relax `tiers`, `exclude_roles` or `must_exclude`")
    return eligible


def _check_constraints(eligible: pl.DataFrame, forced: int, *, k: int | None, budget: float | None,
                       cost_array: np.ndarray | None, max_per_community: int | None) -> None:
    """Raise BadInput when the must-include accounts break k, the budget or the cap per community, or nothing is affordable."""
    if k is not None and forced > k:
        raise BadInput(f"{forced} must-include accounts do not fit in `k` {k}", hint="raise `k` or name fewer accounts",
                       param="k")
    if budget is not None:
        forced_cost = float(eligible.filter("forced")["cost"].sum())
        if forced_cost > budget + 1e-9:
            raise BadInput(f"the must-include accounts cost {forced_cost:,.2f}, more than `budget` {budget:,.2f}",
                           hint="raise `budget` or name fewer accounts", param="budget")
        if not (cost_array <= budget + 1e-9).any():
            raise BadInput(f"no candidate costs {budget:,.2f} or less", hint="raise `budget`", param="budget")
    if max_per_community is not None:
        forced_groups = eligible.filter("forced").group_by("community").len()
        if forced_groups.height and int(forced_groups.filter(pl.col("community").is_not_null())["len"].max() or 0) > max_per_community:
            raise BadInput(f"the must-include accounts put more than {max_per_community} in one community",
                           hint="raise `max_per_community` or name fewer accounts", param="max_per_community")


def _spread_cover(table: pl.DataFrame, edges: pl.DataFrame, members: pl.Series, eligible: pl.DataFrame, *, samples: int,
                  p: float, seed: int, k: int = 10) -> sparse.csr_matrix:
    """The spread objective's coverage matrix: eligible candidates x the reverse-reachable sets rooted at members that
    OPIM-C (`opim_c`, at most `samples` sets) drew until its k seeds were a (1 - 1/e - 0.1)-approximation."""
    nodes = pl.concat([table.select("id"), edges.select(pl.col("src").alias("id")),
                       edges.select(pl.col("dst").alias("id"))]).unique().sort("id")["id"]
    position = pl.DataFrame({"id": nodes, "ix": np.arange(len(nodes))})
    targets = position.join(pl.DataFrame({"id": members}), on="id")["ix"].to_numpy()
    candidate_ix = position.join(eligible.select("id").with_row_index("row"), on="id").select("ix", "row")
    lookup = np.full(len(nodes), -1, dtype=np.int64)
    lookup[candidate_ix["ix"].to_numpy()] = candidate_ix["row"].to_numpy()
    if not len(targets) or eligible.height == 0:
        return sparse.csr_matrix((eligible.height, max(samples, 1)), dtype=bool)
    found = opim_c(live_probabilities(edges, nodes, p), targets, lookup, k, max_samples=samples, seed=seed)
    cover = sparse.csr_matrix((np.ones(len(found.rows), dtype=bool), (found.rows, found.sets)),
                              shape=(eligible.height, found.samples))
    cover.sum_duplicates()
    return cover


def _baselines(eligible: pl.DataFrame, reach_matrix: sparse.csr_matrix, selection: Selection, *, forced: int, members: int,
               budget: float | None, spent: float, objective: str, samples: int) -> dict:
    """The shortlist's unique reach beside top-k by followers and by niche score, with the budget and spread."""
    count = len(selection.picks)
    by_followers = eligible.with_row_index("row").sort(["followers", "rank"], descending=[True, False], nulls_last=True).head(count)["row"]
    by_score = list(range(count)) if not forced else eligible.with_row_index("row").sort("rank").head(count)["row"].to_list()
    baselines = {"k": count, "members": members, "rule": selection.rule,
                 "shortlist_reach": _unique_reach(reach_matrix, selection.picks),
                 "top_k_by_followers_reach": _unique_reach(reach_matrix, by_followers.to_list()),
                 "top_k_by_niche_score_reach": _unique_reach(reach_matrix, by_score)}
    if budget is not None:
        baselines.update(budget=budget, spent=spent)
    if objective == "spread":
        baselines["expected_spread"] = round(selection.covered / max(samples, 1) * members, 2)
    return baselines


def _explain(eligible: pl.DataFrame, reach: sparse.csr_matrix, selection: Selection, objective: str, members: int,
             samples: int) -> pl.DataFrame:
    """One row per pick: who, why (rank and components), audience, marginal reach, overlap with earlier picks."""
    rows = selection.picks
    chosen = eligible[rows]
    covered = np.zeros(reach.shape[1], dtype=bool)
    audience, marginal, shared_most, shared_with = [], [], [], []
    labels = chosen.select(pl.coalesce("handle", "id"))[:, 0].to_list()
    for i, row in enumerate(rows):
        audience.append(int(reach.indptr[row + 1] - reach.indptr[row]))
        marginal.append(marginal_gain(reach, row, covered))
        if i:
            shared = (reach[rows[:i]].astype(np.int64) @ reach[row].T.astype(np.int64)).toarray().ravel()
            j = int(np.argmax(shared))
            shared_most.append(int(shared[j]))
            shared_with.append(labels[j] if shared[j] else None)
        else:
            shared_most.append(0)
            shared_with.append(None)
        mark_covered(reach, row, covered)
    frame = chosen.select(
        "id", "handle", "name", "rank", "niche_influence", *[c for c in chosen.columns if c.startswith("component_")],
        "tier", "role", "community", "followers", "cost", "forced",
        *[c for c in PICK_QUALITY if c in chosen.columns]).with_columns(
        pl.Series("pick", np.arange(1, len(rows) + 1)), pl.Series("audience", audience, dtype=pl.Int64),
        pl.Series("marginal_reach", marginal, dtype=pl.Int64),
        pl.Series("overlap_with_earlier", [a - m for a, m in zip(audience, marginal)], dtype=pl.Int64),
        pl.Series("most_shared_with", shared_with, dtype=pl.String), pl.Series("shared_with_it", shared_most, dtype=pl.Int64))
    frame = frame.with_columns(pl.col("marginal_reach").cum_sum().alias("cumulative_reach"))
    if objective == "spread":
        frame = frame.with_columns(pl.Series("marginal_spread", [g / max(samples, 1) * members for g in selection.gains]).round(2))
    explanation = pl.format(
        "pick {}{}: rank {} in the niche (influence {}), {} niche members in its audience, {} not reached by earlier picks"
        "{}; community {}, {} tier, {}{}",
        "pick", pl.when("forced").then(pl.lit(" (must-include)")).otherwise(pl.lit("")), "rank",
        pl.col("niche_influence").round(3), "audience", "marginal_reach",
        pl.when(pl.col("most_shared_with").is_not_null())
        .then(pl.format(" ({} shared with {})", "shared_with_it", "most_shared_with")).otherwise(pl.lit("")),
        pl.col("community").cast(pl.String).fill_null("none"), "tier", "role",
        pl.when(pl.col("cost").is_not_null()).then(pl.format(", cost {}", pl.col("cost").round(2))).otherwise(pl.lit("")))
    if "audience_quality" in frame.columns:
        explanation = pl.concat_str(explanation, pl.when(pl.col("audience_quality").is_not_null()).then(
            pl.format("; audience quality {}%", (pl.col("audience_quality") * 100).round(0).cast(pl.Int64))).otherwise(pl.lit("")))
    if "flags" in frame.columns:
        explanation = pl.concat_str(explanation, pl.when(pl.col("flags").list.len() > 0).then(
            pl.format("; flagged: {}", pl.col("flags").list.join(", "))).otherwise(pl.lit("")))
    return frame.with_columns(explanation.alias("explanation")).select("pick", pl.exclude("pick"))


def _overlap(eligible: pl.DataFrame, reach: sparse.csr_matrix, picks: Sequence[int]) -> pl.DataFrame:
    """Pairwise shared audience among the picks and the top candidates: counts, Jaccard, containment both ways."""
    rows = list(dict.fromkeys([*picks, *range(min(OVERLAP_TOP, eligible.height))]))
    sub = reach[rows].astype(np.int64)
    shared = (sub @ sub.T).toarray()
    size = np.diag(shared)
    a, b = np.triu_indices(len(rows), k=1)
    union = size[a] + size[b] - shared[a, b]
    labels = eligible[rows].select(pl.coalesce("handle", "id"))[:, 0]
    ids = eligible[rows]["id"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return pl.DataFrame({
            "account_a": labels.gather(a), "account_b": labels.gather(b), "id_a": ids.gather(a), "id_b": ids.gather(b),
            "audience_a": size[a], "audience_b": size[b], "shared": shared[a, b],
            "jaccard": np.where(union > 0, shared[a, b] / np.maximum(union, 1), 0.0),
            "share_of_a_in_b": np.where(size[a] > 0, shared[a, b] / np.maximum(size[a], 1), 0.0),
            "share_of_b_in_a": np.where(size[b] > 0, shared[a, b] / np.maximum(size[b], 1), 0.0),
        }).sort("shared", descending=True)
