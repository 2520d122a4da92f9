"""Graph builder: hand-checkable rules for kinds, weights, self-loops, parallel edges, time and isolates."""
from __future__ import annotations

from datetime import datetime, timezone

import networkx as nx
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influgraph.errors import BadInput
from influgraph.graph import GraphSpec, build_graph
from influgraph.schema import EDGE_KINDS, Batch

BIG = "1440716895355764743"  # an X id above 2**53


def _edges(rows: list[tuple], accounts: list[str] = ()) -> Batch:
    src, dst, kind, *rest = zip(*rows)
    frame = {"src": list(src), "dst": list(dst), "kind": list(kind), "platform": ["x"] * len(rows)}
    if rest:
        frame["at"] = [datetime(2024, 1, d, tzinfo=timezone.utc) if d else None for d in rest[0]]
    return Batch(edges=pl.DataFrame(frame),
                 accounts=pl.DataFrame({"id": list(accounts), "platform": ["x"] * len(accounts)}))


def test_parallel_edges_are_summed_with_kind_weights_and_kept_per_kind() -> None:
    batch = _edges([("a", "b", "repost"), ("a", "b", "repost"), ("a", "b", "mention"), ("b", "a", "follow")])
    built = build_graph(batch, GraphSpec(weights={"repost": 2.0, "follow": 0.5}))
    edges = built.edge_frame().sort("src")
    assert built.ids == ["a", "b"]
    assert edges.select("src", "dst", "weight").rows() == [("a", "b", 5.0), ("b", "a", 0.5)]
    assert edges.filter(pl.col("src") == "a")["w_repost"].item() == 2.0  # raw count, before the multiplier
    assert edges.filter(pl.col("src") == "a")["w_mention"].item() == 1.0


def test_self_loops_are_dropped_and_counted_unless_kept() -> None:
    batch = _edges([("a", "a", "reply"), ("a", "b", "reply")])
    dropped = build_graph(batch)
    assert (dropped.graph.ecount(), dropped.self_loops) == (1, 1)
    kept = build_graph(batch, GraphSpec(self_loops=True))
    assert (kept.graph.ecount(), kept.self_loops) == (2, 0)


def test_isolated_accounts_are_vertices_by_default() -> None:
    batch = _edges([("a", "b", "follow")], accounts=["a", "b", "lonely"])
    assert build_graph(batch).ids == ["a", "b", "lonely"]
    assert build_graph(batch, GraphSpec(include_isolated=False)).ids == ["a", "b"]


def test_kinds_filter_and_zero_weight_leave_edges_out() -> None:
    batch = _edges([("a", "b", "follow"), ("b", "c", "like"), ("c", "a", "quote")])
    assert build_graph(batch, GraphSpec(kinds=("quote",))).edge_frame().select("src", "dst").rows() == [("c", "a")]
    assert build_graph(batch, GraphSpec(weights={"like": 0, "follow": 0})).graph.ecount() == 1


def test_time_window_keeps_untimed_follows_unless_told() -> None:
    batch = _edges([("a", "b", "repost", 1), ("a", "c", "repost", 20), ("d", "a", "follow", None)])
    spec = GraphSpec(since=datetime(2024, 1, 10), until=datetime(2024, 1, 25))
    assert sorted(build_graph(batch, spec).edge_frame().select("src", "dst").rows()) == [("a", "c"), ("d", "a")]
    strict = GraphSpec(since=datetime(2024, 1, 10), keep_untimed=False)
    assert build_graph(batch, strict).edge_frame().select("src", "dst").rows() == [("a", "c")]


@pytest.mark.parametrize("spec", [
    GraphSpec(kinds=("retweet",)),
    GraphSpec(weights={"like": -1.0}),
    GraphSpec(weights={"like": float("nan")}),
    GraphSpec(since=datetime(2024, 2, 1), until=datetime(2024, 1, 1)),
])
def test_bad_specs_are_refused_before_any_algorithm(spec: GraphSpec) -> None:
    with pytest.raises(BadInput):
        build_graph(_edges([("a", "b", "like")]), spec)


def test_big_ids_stay_distinct_strings_through_networkx() -> None:
    neighbour = str(int(BIG) + 1)  # equal to BIG once both are floats
    assert float(neighbour) == float(BIG)
    built = build_graph(_edges([(BIG, neighbour, "mention")]))
    assert built.ids == [BIG, neighbour] and built.graph.vs["id"] == [BIG, neighbour]
    assert list(built.to_networkx().edges()) == [(BIG, neighbour)]


def test_empty_workspace_gives_an_empty_graph() -> None:
    built = build_graph(Batch())
    assert (built.graph.vcount(), built.graph.ecount()) == (0, 0)


edge_rows = st.lists(
    st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef"), st.sampled_from(EDGE_KINDS),
              st.floats(min_value=0.1, max_value=10)),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(edge_rows, st.randoms(use_true_random=False))
def test_matches_a_networkx_reference_and_ignores_row_order(rows: list[tuple], rnd) -> None:
    weights = {"repost": 2.0, "like": 0.25}
    reference = nx.DiGraph()
    for src, dst, kind, weight in rows:
        if src == dst:
            continue
        w = weight * weights.get(kind, 1.0)
        reference.add_edge(src, dst, weight=reference.get_edge_data(src, dst, {"weight": 0})["weight"] + w)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    for order in (rows, shuffled):
        if not order:
            continue
        batch = Batch(edges=pl.DataFrame(
            {"src": [r[0] for r in order], "dst": [r[1] for r in order], "kind": [r[2] for r in order],
             "weight": [r[3] for r in order], "platform": ["x"] * len(order)}))
        built = build_graph(batch, GraphSpec(weights=weights)).to_networkx()
        assert set(built.edges()) == set(reference.edges())
        for u, v, data in reference.edges(data=True):
            assert built[u][v]["weight"] == pytest.approx(data["weight"])
