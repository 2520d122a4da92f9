"""The edges' start times (the dynamic GEXF and the map's slider) are the same by every path that computes them."""
from __future__ import annotations

import numpy as np
import polars as pl

from influgraph.exports import views
from influgraph.graph import GraphSpec, build_graph
from influgraph.workspace import Workspace


def _starts_by_rows(workspace: Workspace, built, first) -> np.ndarray:
    """An independent count: per (src, dst) of the edges table, EARLY if a row has no time, else its earliest time."""
    edges = workspace.table("edges", with_ends=True)
    seen = views._micros("observed_at")
    t = pl.coalesce(views._micros("at"), pl.when(seen > first).then(seen)).fill_null(views.EARLY)
    local = np.full(workspace.vertex_count(), -1)
    local[built.index_of] = np.arange(built.n)
    rows = (edges.select(pl.Series("s", local[edges["src_ix"].to_numpy()]), pl.Series("d", local[edges["dst_ix"].to_numpy()]),
                         t.alias("t"))
            .filter((pl.col("s") != pl.col("d")) & (pl.col("s") >= 0) & (pl.col("d") >= 0))
            .group_by("s", "d").agg(pl.col("t").min()))
    expected = dict(zip(zip(rows["s"].to_list(), rows["d"].to_list()), rows["t"].to_list()))
    return np.array([expected[(int(a), int(b))] for a, b in built.ends], dtype=np.int64)


def test_edge_starts_agree_by_runs_by_lookup_and_by_keys(two_weeks, monkeypatch) -> None:
    """The run reduction (rows stored in edge order), the sorted lookup and the (platform, id) join give one answer,
    equal to a direct group-by of the edges table, on the whole graph and on one platform's subgraph."""
    workspace = Workspace(two_weeks.workspace)
    first = views._first_observation(workspace)
    for spec in (GraphSpec(), GraphSpec(platform="x")):
        built = build_graph(workspace, spec)
        expected = _starts_by_rows(workspace, built, first)
        assert (expected != views.EARLY).sum() > 1000 and (expected == views.EARLY).sum() > 100  # both kinds occur
        by_runs = views._edge_starts(workspace, built, first)
        with monkeypatch.context() as patched:
            patched.setattr(views, "_runs_in_edge_order", lambda *_: None)
            by_lookup = views._edge_starts(workspace, built, first)
            keyed = type(built)(n=built.n, ends=built.ends, weight=built.weight, kind_weights=built.kind_weights,
                                spec=built.spec, keys=built.vertices, index_of=None)
            by_keys = views._edge_starts(workspace, keyed, first)
        assert np.array_equal(by_runs, expected) and np.array_equal(by_lookup, expected) and np.array_equal(by_keys, expected)
