"""The Spark engine in local mode gives the local engine's results (PageRank within 1e-6 after normalisation)."""
from __future__ import annotations

import os
import shutil

import numpy as np
import polars as pl
import pytest

from influgraph.algorithms.centrality import pagerank, personalised_pagerank
from influgraph.graph import build_graph
from influgraph.ingest import read_path
from influgraph.shortlisting import audience_matrix
from influgraph.sources.base import ImportOptions
from influgraph.workspace import Workspace
from shared_data import shared_path

if os.environ.get("CI"):  # CI installs the test extra (pyspark) and Java: a missing piece is a failure there
    import pyspark  # noqa: F401
    assert shutil.which("java"), "no Java runtime: run sh tests/install-system-packages.sh"
else:
    pytest.importorskip("pyspark", reason="the Spark engine's tests need pyspark: pip install -e '.[test]'")
    if not shutil.which("java"):
        pytest.skip("the Spark engine needs a Java 17 runtime: sh tests/install-system-packages.sh", allow_module_level=True)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A real graph: the US Congress Twitter network (475 accounts), with a few isolated accounts and a self-loop."""
    batch = read_path(shared_path("congress-twitter/congress.edgelist"), ImportOptions(kind="repost")).batch
    ws = Workspace(tmp_path_factory.mktemp("spark") / "ws")
    ws.commit(batch)
    return ws


@pytest.fixture(scope="module")
def engine(workspace):
    from influgraph.engines.spark import SparkEngine

    with SparkEngine(workspace) as running:
        yield running


def test_pagerank_equals_the_local_engine(workspace, engine) -> None:
    built = build_graph(workspace)
    local = dict(zip(built.ids, pagerank(built)))
    spark = engine.pagerank()
    assert spark.height == len(built.ids)
    diff = max(abs(local[i] - p) for i, p in spark.iter_rows())
    assert diff < 1e-6, diff


def test_personalised_pagerank_equals_the_local_engine(workspace, engine) -> None:
    built = build_graph(workspace)
    reset = (np.arange(len(built.ids)) % 17 == 0).astype(float)
    local = dict(zip(built.ids, personalised_pagerank(built, reset)))
    spark = engine.pagerank({i: 1.0 for i, r in zip(built.ids, reset) if r})
    diff = max(abs(local[i] - p) for i, p in spark.iter_rows())
    assert diff < 1e-6, diff


def test_degrees_equal_the_local_graph(workspace, engine) -> None:
    built = build_graph(workspace)
    g = built.graph
    spark = engine.degrees().sort("id")
    assert spark["id"].to_list() == sorted(built.ids)
    assert spark["in_degree"].to_list() == g.indegree() and spark["out_degree"].to_list() == g.outdegree()
    assert np.allclose(spark["in_strength"].to_numpy(), g.strength(mode="in", weights="weight"))


def test_components_equal_igraph(workspace, engine) -> None:
    built = build_graph(workspace)
    membership = built.graph.connected_components(mode="weak").membership
    spark = engine.components().sort("id")
    ours = dict(zip(spark["id"], spark["component"]))
    groups: dict[int, set] = {}
    for account, group in zip(built.ids, membership):
        groups.setdefault(group, set()).add(ours[account])
    assert all(len(labels) == 1 for labels in groups.values())  # one label per igraph component
    assert len({next(iter(v)) for v in groups.values()}) == len(groups)  # and distinct labels


def test_audience_overlap_equals_the_sparse_matrix(workspace, engine) -> None:
    edges = workspace.table("edges")
    candidates = edges.group_by("dst").len().sort(["len", "dst"], descending=[True, False]).head(12)["dst"]
    members = pl.Series(sorted(set(edges["src"]))[::2])
    matrix = audience_matrix(edges, candidates, members, "both").astype(np.int64)
    shared = (matrix @ matrix.T).toarray()
    spark = engine.audience_overlap(candidates.to_list(), members.to_list())
    index = {c: i for i, c in enumerate(candidates)}
    assert spark.height > 0
    for row in spark.iter_rows(named=True):
        i, j = index[row["id_a"]], index[row["id_b"]]
        assert row["shared"] == shared[i, j] and row["audience_a"] == shared[i, i]
    expected_pairs = sum(1 for i in range(len(candidates)) for j in range(i + 1, len(candidates)) if shared[i, j])
    assert spark.height == expected_pairs


def _niche_batch(seed: int = 3):
    """A small world with posts, a niche hashtag on some of them, interactions on posts and follows."""
    from influgraph.schema import Batch, conform

    rng = np.random.default_rng(seed)
    n, posts_n, m = 300, 900, 4000
    ids = [str(10**18 + i) for i in range(n)]
    post_ids = [str(2 * 10**18 + i) for i in range(posts_n)]
    tagged = rng.random(posts_n) < 0.15
    authors = rng.integers(0, n, posts_n)
    posts = pl.DataFrame({"id": post_ids, "platform": "x", "author_id": [ids[a] for a in authors],
                          "text": ["kopi #kopi" if t else "hello" for t in tagged],
                          "hashtags": [["kopi"] if t else [] for t in tagged]})
    kinds = rng.choice(["follow", "repost", "reply", "mention", "like"], m)
    on_post = rng.integers(0, posts_n, m)
    edges = pl.DataFrame({"src": [ids[i] for i in rng.integers(0, n, m)],
                          "dst": [ids[a] for a in authors[on_post]], "kind": kinds,
                          "post_id": [None if k == "follow" else post_ids[p] for k, p in zip(kinds, on_post)],
                          "platform": "x"}).unique(["src", "dst", "kind", "post_id"])
    accounts = pl.DataFrame({"id": ids, "platform": "x", "handle": [f"user{i}" for i in range(n)],
                             "bio": ["kopi lover" if i % 40 == 0 else "" for i in range(n)]})
    return Batch(accounts=conform(accounts, "accounts"), posts=conform(posts, "posts"), edges=conform(edges, "edges"))


@pytest.fixture(scope="module")
def niche_workspace(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("spark-niche") / "ws")
    ws.commit(_niche_batch())
    return ws


def test_cli_engine_spark_gives_the_local_stats_and_ranking(niche_workspace, tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from influgraph.cli import main
    from influgraph.niches import NicheQuery
    from influgraph.rank import rank_niche

    runner = CliRunner()
    local = json.loads(runner.invoke(main, ["stats", "-w", str(niche_workspace.path), "--json"]).output)["graph"]
    done = runner.invoke(main, ["stats", "-w", str(niche_workspace.path), "--json", "--engine", "spark"])
    assert done.exit_code == 0, done.output
    spark = json.loads(done.output)["graph"]
    for key in ("nodes", "edges", "isolated", "max_in_degree", "max_out_degree", "weak_components", "largest_weak_component"):
        assert spark[key] == local[key], key
    assert spark["strong_components"] is None and local["strong_components"] >= 1
    query = tmp_path / "kopi.toml"
    query.write_text('name = "kopi"\nhashtags = ["kopi"]\nkeywords = ["kopi"]\n', encoding="utf-8")
    done = runner.invoke(main, ["rank", "-w", str(niche_workspace.path), "--query", str(query), "--json", "--top", "100000",
                                "--engine", "spark"])
    assert done.exit_code == 0, done.output
    spark = pl.DataFrame(json.loads(done.output)["rows"], infer_schema_length=None)
    local = rank_niche(niche_workspace, NicheQuery(name="kopi", hashtags=("kopi",), keywords=("kopi",))).table
    assert local.height == spark.height and local.filter(pl.col("member")).height > 5
    joined = local.join(spark, on="id", suffix="_spark")
    for column in ("pagerank", "niche_pagerank", "niche_influence"):
        assert (joined[column] - joined[f"{column}_spark"]).abs().max() < 1e-6, column
    assert (joined["niche_pagerank"] > 0).sum() > 10  # the niche walk reached beyond its teleport set
    assert set(local.head(10)["id"]) == set(spark.head(10)["id"])
