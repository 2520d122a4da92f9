"""The Spark engine through the CLI (`--engine spark`) gives the local engine's stats and ranking.

Its own file so the suite's two workers run it beside the engine's other tests (each Spark test
file starts its own local Spark session).
"""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from influgraph.workspace import Workspace
import spark_required  # noqa: F401  (skips this file without pyspark or Java, outside CI)


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


@pytest.mark.slow
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
