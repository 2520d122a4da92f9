"""The Spark engine in local mode gives the local engine's results (PageRank within 1e-6 after normalisation)."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from influgraph.algorithms.centrality import pagerank, personalised_pagerank
from influgraph.graph import build_graph
from influgraph.ingest import read_path
from influgraph.shortlisting import audience_matrix
from influgraph.sources.base import ImportOptions
from influgraph.workspace import Workspace
import spark_required  # noqa: F401  (skips this file without pyspark or Java, outside CI)
from shared_data import shared_path


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


@pytest.mark.slow
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


def test_a_personalisation_naming_no_account_of_the_graph_is_refused(engine) -> None:
    from influgraph.errors import BadInput

    with pytest.raises(BadInput, match="no account of the personalisation vector"):
        engine.pagerank({"not-an-account-of-congress": 1.0})
