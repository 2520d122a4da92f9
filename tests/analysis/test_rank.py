"""Niche ranking: networkx agreement, planted truth on the demo world, explanations, edge cases."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.algorithms.centrality import pagerank, personalised_pagerank
from influgraph.cli import main
from influgraph.graph import build_graph
from influgraph.ingest import read_path
from influgraph.niches import NicheQuery, load_query
from influgraph.rank import rank_niche
from influgraph.schema import Batch
from influgraph.sources.base import ImportOptions
from influgraph.workspace import Workspace
from shared_data import shared_path

from shared_data import QUERIES
NICHES = ("specialty-coffee", "kuliner-nusantara", "persian-books")


@pytest.mark.parametrize("relative", ["icwsm-polarization/retweet-digraph.edges.gz", "congress-twitter/congress.edgelist"])
def test_pagerank_and_personalised_pagerank_equal_networkx(relative: str) -> None:
    built = build_graph(read_path(shared_path(relative), ImportOptions(kind="repost")).batch)
    reference = built.to_networkx()
    ours = pagerank(built)
    theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-13, max_iter=10_000)
    assert np.abs(ours - np.array([theirs[i] for i in built.ids])).max() < 1e-6
    reset = (np.random.default_rng(0).random(len(built.ids)) < 0.05).astype(float)
    ours = personalised_pagerank(built, reset)
    theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-13, max_iter=10_000,
                         personalization=dict(zip(built.ids, reset)))
    assert np.abs(ours - np.array([theirs[i] for i in built.ids])).max() < 1e-6
    assert ours.sum() == pytest.approx(1.0)


def test_threaded_power_iteration_agrees_with_networkx_to_1e_9_and_is_the_same_on_any_thread_count() -> None:
    """A graph with few dangling vertices (power iteration on numba's threads): whole and 3-column personalised
    PageRank equal networkx to 1e-9 in L1, and one thread or two give the same bits (the parts are fixed)."""
    import numba

    rng = np.random.default_rng(5)
    n, m = 3000, 40_000
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    src[: n] = np.arange(n)  # every vertex has an out-edge but a few
    edges = pl.DataFrame({"src": src.astype(str), "dst": dst.astype(str), "platform": "x",
                          "kind": rng.choice(["repost", "reply", "mention"], m)})
    built = build_graph(Batch(edges=edges))
    assert np.count_nonzero(np.asarray(built.matrix.sum(axis=1)).ravel() == 0) < 0.05 * built.n  # not by levels
    reference = built.to_networkx()
    resets = (rng.random((built.n, 3)) < 0.1).astype(float)
    before = numba.get_num_threads()
    try:
        runs = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            runs.append((pagerank(built), personalised_pagerank(built, resets)))
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    whole, personal = runs[-1]
    theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-15, max_iter=10_000)
    assert np.abs(whole - np.array([theirs[i] for i in built.ids])).sum() < 1e-9
    for column in range(3):
        theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-15, max_iter=10_000,
                             personalization=dict(zip(built.ids, resets[:, column])))
        assert np.abs(personal[:, column] - np.array([theirs[i] for i in built.ids])).sum() < 1e-9


def test_pagerank_with_many_dangling_vertices_agrees_with_networkx_to_1e_9() -> None:
    """Higgs mention: 14% of vertices dangling, most on no cycle (the level-by-level solve)."""
    path = shared_path("higgs-twitter/higgs-mention_network.edgelist")
    built = build_graph(read_path(path, ImportOptions(format="snap")).batch)
    reference = built.to_networkx()
    ours = pagerank(built)
    theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-15, max_iter=10_000)
    assert np.abs(ours - np.array([theirs[i] for i in built.ids])).sum() < 1e-9
    reset = (np.random.default_rng(1).random(built.n) < 0.05).astype(float)
    ours = personalised_pagerank(built, reset)
    theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-15, max_iter=10_000,
                         personalization=dict(zip(built.ids, reset)))
    assert np.abs(ours - np.array([theirs[i] for i in built.ids])).sum() < 1e-9


def test_pagerank_by_levels_on_dense_cycles_agrees_with_igraph_prpack() -> None:
    """email-Enron: 77% dangling, one 9,000-vertex component dense with cycles (a sparse LU filled in: 9 s)."""
    import igraph as ig

    built = build_graph(read_path(shared_path("networksci-book-extra/email-Enron_email-Enron.edges.gz"),
                                  ImportOptions(format="snap")).batch)
    coo = built.matrix.tocoo()
    assert np.count_nonzero(np.asarray(built.matrix.sum(axis=1)).ravel() == 0) > 0.5 * built.n
    reference = ig.Graph(n=built.n, edges=np.column_stack([coo.row, coo.col]), directed=True)
    reference.es["weight"] = coo.data
    theirs = np.array(reference.pagerank(weights="weight", damping=0.85))
    assert np.abs(pagerank(built) - theirs).sum() < 1e-9
    reset = (np.random.default_rng(2).random(built.n) < 0.01).astype(float)
    theirs = np.array(reference.personalized_pagerank(weights="weight", damping=0.85, reset=reset))
    assert np.abs(personalised_pagerank(built, reset) - theirs).sum() < 1e-9


def test_pagerank_by_levels_solves_mutual_pairs_exactly() -> None:
    """A chain of 300 mutual pairs (most cycles of a social graph are pairs) with dangling ends: each pair is solved
    from its two equations, not swept to the stopping rule, so the ranks equal a dense direct solve to 1e-14 in L1
    (sweeps stop near 1e-10 here: a pair converges as d^2 a sweep)."""
    rng = np.random.default_rng(8)
    src, dst = [], []
    for level in range(300):
        a, b = f"{level}a", f"{level}b"
        src += [a, b, a, b]
        dst += [b, a, f"{level + 1}a", f"{level}-leaf"]
    weights = rng.integers(1, 9, len(src)).astype(float)
    built = build_graph(Batch(edges=pl.DataFrame({"src": src, "dst": dst, "kind": ["repost"] * len(src),
                                                  "platform": ["x"] * len(src), "weight": weights})))
    dense = built.matrix.toarray()
    out = dense.sum(axis=1)
    assert np.count_nonzero(out == 0) >= 0.05 * built.n  # the level path
    moves = np.divide(dense, out[:, None], out=np.zeros_like(dense), where=out[:, None] > 0)
    exact = np.linalg.solve(np.eye(built.n) - 0.85 * moves.T, np.full(built.n, 1.0 / built.n))
    assert np.abs(pagerank(built) - exact / exact.sum()).sum() < 1e-14


def test_pagerank_by_levels_on_a_long_chain_of_cycles_agrees_with_networkx() -> None:
    """600 levels of 2-cycles and 3-cycles, dangling ends, a self-loop and parallel weights: every level exact."""
    rng = np.random.default_rng(5)
    src, dst = [], []
    for level in range(600):
        a, b, c = f"{level}a", f"{level}b", f"{level}c"
        src += [a, b] + ([b, c] if level % 3 == 0 else [])
        dst += [b, a] + ([c, a] if level % 3 == 0 else [])
        src.append(a), dst.append(f"{level + 1}a")  # to the next level
        src.append(b), dst.append(f"{level}-leaf")  # a dangling end
    src.append("7a"), dst.append("7a")
    edges = pl.DataFrame({"src": src, "dst": dst, "kind": ["repost"] * len(src), "platform": ["x"] * len(src),
                          "weight": rng.integers(1, 5, len(src)).astype(float)})
    built = build_graph(Batch(edges=edges))
    assert np.count_nonzero(np.asarray(built.matrix.sum(axis=1)).ravel() == 0) >= 0.05 * built.n  # the level path
    reference = built.to_networkx()
    theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-15, max_iter=10_000)
    assert np.abs(pagerank(built) - np.array([theirs[i] for i in built.ids])).sum() < 1e-9
    resets = np.zeros((built.n, 2))
    resets[[0, 5], 0], resets[built.n // 2:, 1] = 1.0, 1.0
    ours = personalised_pagerank(built, resets)
    for column in range(2):
        theirs = nx.pagerank(reference, alpha=0.85, weight="weight", tol=1e-15, max_iter=10_000,
                             personalization=dict(zip(built.ids, resets[:, column])))
        assert np.abs(ours[:, column] - np.array([theirs[i] for i in built.ids])).sum() < 1e-9


@pytest.fixture(scope="module")
def demo(demo_run):
    result = demo_run.result
    truth = json.loads(result.truth.read_text(encoding="utf-8"))["accounts"]
    ranked = {name: rank_niche(Workspace(result.workspace), load_query(QUERIES / f"{name}.toml")) for name in NICHES}
    return result, truth, ranked


@pytest.mark.parametrize("niche", NICHES)
def test_planted_experts_are_found_and_reach_is_not_influence(demo, niche: str) -> None:
    _, truth, ranked = demo
    table = ranked[niche].table
    planted = {role: {i for i, a in truth.items() if a["community"] == niche and a["role"] == role}
               for role in ("expert", "celebrity", "vanity")}
    top10 = set(table.head(10)["id"])
    assert len(top10 & planted["expert"]) / len(planted["expert"]) >= 0.9
    by_reach = set(table.sort("reach", descending=True).head(3)["id"])
    assert planted["celebrity"] <= by_reach and planted["vanity"] <= by_reach
    rank_of = dict(table.select("id", "rank").rows())
    worst_expert = max(rank_of[i] for i in planted["expert"])
    for account in planted["celebrity"] | planted["vanity"]:
        assert rank_of[account] > worst_expert
    vanity = table.filter(pl.col("id").is_in(list(planted["vanity"])))
    assert vanity["warning"].is_not_null().all() and "niche members" in vanity["warning"][0]
    celebrity = table.filter(pl.col("id").is_in(list(planted["celebrity"]))).row(0, named=True)
    assert celebrity["role"] == "celebrity" and celebrity["tier"] == "mega"
    experts = table.filter(pl.col("id").is_in(list(planted["expert"])))
    assert set(experts["role"]) == {"niche expert"}


def test_every_row_is_explained(demo) -> None:
    _, _, ranked = demo
    result = ranked["persian-books"]
    row = result.table.row(0, named=True)
    for column in ("niche_pagerank", "pagerank", "authority", "coreness", "audience_relevance", "engager_relevance",
                   "niche_engagement", "reach", "lift", "tier", "role", "evidence", "config_hash",
                   "in_strength_repost", "niche_in_degree_reply", "component_niche_pagerank"):
        assert column in result.table.columns, column
    assert row["config_hash"] == result.config_hash and len(result.config_hash) == 16
    assert "niche members" in row["evidence"] and "top engagers" in row["evidence"]
    assert row["niche_influence"] == pytest.approx(sum(
        w * row[f"component_{k}"] for k, w in {"niche_pagerank": 0.35, "audience_relevance": 0.25, "niche_engagement": 0.20,
                                               "authority": 0.10, "coreness": 0.05, "brokerage": 0.05}.items()))
    agreement = result.agreement
    assert agreement.height == 6 and agreement["spearman"].is_not_null().all()


def test_weights_in_the_query_change_the_composite(demo, tmp_path: Path) -> None:
    result, _, ranked = demo
    text = (QUERIES / "specialty-coffee.toml").read_text(encoding="utf-8") + "\n[weights]\naudience_relevance = 1\n"
    path = tmp_path / "relevance-only.toml"
    path.write_text(text, encoding="utf-8")
    only = rank_niche(Workspace(result.workspace), load_query(path))
    assert only.config_hash != ranked["specialty-coffee"].config_hash
    assert np.allclose(only.table["niche_influence"].to_numpy(), only.table["component_audience_relevance"].to_numpy(), atol=1e-11)


def test_names_stay_byte_exact_in_every_output(demo, demo_copy: Path, tmp_path: Path) -> None:
    _, _, ranked = demo
    ws = Workspace(demo_copy)  # the test commits a name and stores a ranking: a private copy
    reader = ranked["persian-books"].table["id"][5]
    ws.commit(Batch(accounts=pl.DataFrame({"id": [reader], "platform": ["x"], "name": ["کتاب‌خوانِ تهران"]})))
    out = tmp_path / "rank.csv"
    cli = CliRunner().invoke(main, ["rank", "--query", str(QUERIES / "persian-books.toml"), "-w", str(demo_copy),
                                    "--out", str(out), "--json", "--top", "2000"])
    assert cli.exit_code == 0, cli.stderr
    assert "کتاب‌خوانِ تهران".encode() in cli.stdout_bytes
    with open(out, encoding="utf-8", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    assert "کتاب‌خوانِ تهران" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    assert ws.read_result("rank_persian_books").height == json.loads(cli.stdout)["candidates"]


def test_unknown_niche_and_empty_niche(demo, tmp_path: Path) -> None:
    result, _, _ = demo
    unknown = CliRunner().invoke(main, ["rank", "--niche", "persian-book", "-w", str(result.workspace),
                                        "--queries-dir", str(QUERIES)])
    assert unknown.exit_code == 2 and "did you mean persian-books" in unknown.stderr
    empty = rank_niche(Workspace(result.workspace), NicheQuery(name="falconry", hashtags=("falconry",)))
    assert empty.table.height == 0 and "no members" in empty.notes[0]
    both = CliRunner().invoke(main, ["rank", "-w", str(result.workspace)])
    assert both.exit_code == 2


def test_deterministic_and_independent_of_row_order(demo) -> None:
    result, _, _ = demo
    tables = Workspace(result.workspace).tables()
    query = load_query(QUERIES / "kuliner-nusantara.toml")
    first = rank_niche(tables, query)
    shuffled = Batch(accounts=tables.accounts.sample(fraction=1.0, shuffle=True, seed=3),
                     posts=tables.posts.sample(fraction=1.0, shuffle=True, seed=4),
                     edges=tables.edges.sample(fraction=1.0, shuffle=True, seed=5))
    second = rank_niche(shuffled, query)
    columns = ["id", "rank", "role", "tier", "member"]
    assert first.table.select(columns).equals(second.table.select(columns))
    gap = (first.table["niche_influence"] - second.table["niche_influence"]).abs().max()
    assert gap < 1e-9
    assert first.config_hash == second.config_hash


def test_approximate_betweenness_is_exact_with_every_source_and_close_when_sampled() -> None:
    from influgraph.algorithms.centrality import approximate_betweenness

    graph = nx.gnp_random_graph(120, 0.05, seed=2, directed=True)
    batch = Batch(edges=pl.DataFrame({"src": [f"v{u}" for u, _ in graph.edges()], "dst": [f"v{v}" for _, v in graph.edges()],
                                      "kind": ["mention"] * graph.number_of_edges(), "platform": ["x"] * graph.number_of_edges()}))
    built = build_graph(batch)
    exact = nx.betweenness_centrality(built.to_networkx(), normalized=False)
    ours = approximate_betweenness(built, samples=10_000)
    assert np.abs(ours - np.array([exact[i] for i in built.ids])).max() < 1e-6
    sampled = approximate_betweenness(built, samples=60, seed=1)
    reference = np.array([exact[i] for i in built.ids])
    assert np.corrcoef(sampled, reference)[0, 1] > 0.9


def test_betweenness_feeds_brokerage_when_there_are_no_communities(demo) -> None:
    result, _, _ = demo
    tables = Workspace(result.workspace).tables()
    ranked = rank_niche(tables, load_query(QUERIES / "specialty-coffee.toml"), communities=None, betweenness=200)
    assert "betweenness" in ranked.table.columns and ranked.table["brokerage"].max() == pytest.approx(1.0)
