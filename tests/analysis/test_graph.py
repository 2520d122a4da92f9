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


# ----------------------------------------------------------------- (platform, id) keys and the vertex index
def _two_platforms(ids: list[str]) -> list[Batch]:
    """The same ids as X accounts and as generic edge-list nodes, with edges among them on each platform."""
    batches = []
    for platform, kind in (("x", "mention"), ("generic", "follow")):
        accounts = pl.DataFrame({"id": ids, "platform": [platform] * len(ids),
                                 "handle": [f"{platform}_{i}" for i in ids]})
        src = ids[:-1] if platform == "x" else ids[1:]
        dst = ids[1:] if platform == "x" else ids[:-1]
        edges = pl.DataFrame({"src": src, "dst": dst, "kind": [kind] * len(src), "platform": [platform] * len(src)})
        batches.append(Batch(accounts=accounts, edges=edges))
    return batches


def _keyed_edges(built) -> set[tuple]:
    return set(built.edge_frame().select("platform", "src", "dst", "weight").rows())


def test_the_same_id_on_two_platforms_is_two_vertices() -> None:
    batch = Batch.concat(_two_platforms(["191", "192", "193"]))
    built = build_graph(batch)
    assert built.n == batch.accounts.height == 6
    assert sorted(zip(built.platforms, built.ids)) == sorted(batch.accounts.select("platform", "id").rows())
    assert _keyed_edges(built) == {("x", "191", "192", 1.0), ("x", "192", "193", 1.0),
                                   ("generic", "192", "191", 1.0), ("generic", "193", "192", 1.0)}
    assert sorted(built.node_ids) == ["generic:191", "generic:192", "generic:193", "x:191", "x:192", "x:193"]
    assert built.to_networkx().number_of_nodes() == 6
    assert build_graph(batch, GraphSpec(platform="x")).n == 3
    assert built.index("191", "x") != built.index("191", "generic")
    with pytest.raises(KeyError):
        built.index("191")  # ambiguous without the platform


def test_a_workspace_build_reads_the_vertex_index_and_matches_the_batch_build(tmp_path) -> None:
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    first, second = _two_platforms([str(i) for i in range(100, 140)])
    ws.commit(second)
    ws.commit(first)
    ws.commit(Batch(edges=pl.DataFrame({"src": ["new", "100"], "dst": ["100", "new"], "kind": ["reply", "like"],
                                        "platform": ["x", "x"]})))
    index = ws.vertex_index().collect()
    assert index["ix"].to_list() == list(range(index.height)) and index.height == ws.vertex_count() == 81
    assert index.select("platform", "id").is_unique().all()
    stored = ws.scan("edges").select("src_ix", "dst_ix").collect()
    assert stored.null_count().row(0) == (0, 0)
    for spec in (GraphSpec(), GraphSpec(platform="x"), GraphSpec(include_isolated=False, kinds=("reply",)),
                 GraphSpec(weights={"follow": 0.5}, self_loops=True)):
        from_index = build_graph(ws, spec)
        from_tables = build_graph(ws.tables(), spec)
        assert from_index.index_of is not None and from_tables.index_of is None
        assert from_index.n == from_tables.n
        assert set(zip(from_index.platforms, from_index.ids)) == set(zip(from_tables.platforms, from_tables.ids))
        assert _keyed_edges(from_index) == _keyed_edges(from_tables)
        assert from_index.self_loops == from_tables.self_loops
    whole = build_graph(ws)
    niche = build_graph(ws, GraphSpec(kinds=("follow",)), vertices_of=whole)
    lonely = Workspace(tmp_path / "lonely")
    lonely.commit(Batch(accounts=pl.DataFrame({"id": ["1", "2"], "platform": ["x", "x"]})))  # no edge table yet
    assert build_graph(lonely).n == 2 and len(build_graph(lonely, GraphSpec(platform="x")).ends) == 0
    assert niche.n == whole.n and niche.vertices.equals(whole.vertices)


def test_a_workspace_without_the_vertex_index_opens_builds_and_gains_it_on_the_next_commit(tmp_path) -> None:
    import json

    from influgraph.manifest import file_stamp
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    batches = _two_platforms(["7", "8", "9"])
    ws.commit(Batch.concat(batches))
    expected = _keyed_edges(build_graph(ws))
    manifest = json.loads((ws.path / "manifest.json").read_text())  # make it as an earlier version wrote it
    (ws.path / "tables" / manifest["tables"].pop("vertices")["file"]).unlink()
    edges_file = ws.path / "tables" / manifest["tables"]["edges"]["file"]
    pl.read_parquet(edges_file).drop("src_ix", "dst_ix").write_parquet(edges_file)
    manifest["tables"]["edges"].update(file_stamp(edges_file))
    (ws.path / "manifest.json").write_text(json.dumps(manifest))
    old = Workspace(ws.path)
    assert old.vertex_index() is None
    assert _keyed_edges(build_graph(old)) == expected and build_graph(old).n == 6
    content = old.content_hash()
    old.commit(Batch(accounts=pl.DataFrame({"id": ["10"], "platform": ["x"]})))
    assert old.vertex_count() == 7 and old.scan("edges").select("src_ix").collect().null_count().item() == 0
    assert _keyed_edges(build_graph(old)) == expected and build_graph(old).n == 7
    again = Workspace(ws.path)
    again.commit(Batch(accounts=pl.DataFrame({"id": ["10"], "platform": ["x"]})))
    assert again.content_hash() == old.content_hash() != content


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 3), st.sampled_from([1.0, 0.5, 3.0])),
                max_size=60), st.lists(st.sampled_from([0.0, 1.0, 2.5]), min_size=4, max_size=4))
def test_summing_sorted_rows_without_a_sort_equals_the_general_sum(rows: list[tuple], multipliers: list[float]) -> None:
    import numpy as np

    from influgraph.graph import _sum_parallel, _sum_sorted

    rows = sorted(rows)  # (src, dst, kind) order, as the workspace stores its edges
    s, d, kind, weight = (np.array([r[i] for r in rows], dtype=np.int64 if i < 3 else np.float64) for i in range(4))
    general = _sum_parallel(s.copy(), d.copy(), kind.copy(), weight.copy(), 6, multipliers)
    direct = _sum_sorted(s, d, kind, weight, 6, multipliers)
    assert np.array_equal(general[0], direct[0])
    assert np.allclose(general[1], direct[1])
    assert all(np.allclose(a, b) for a, b in zip(general[2], direct[2]))
    if len(rows) > 1 and rows[0][:3] != rows[-1][:3]:  # reversed, the (src, dst, kind) keys are then out of order
        assert _sum_sorted(s[::-1].copy(), d[::-1].copy(), kind[::-1].copy(), weight, 6, multipliers) is None


@pytest.mark.parametrize("collide", [False, True])
def test_hashed_vertex_numbering_equals_the_join_numbering(tmp_path, monkeypatch, collide: bool) -> None:
    """Commits above the hashing threshold number keys exactly as the joins do: known keys keep their numbers,
    new accounts first, then loose edge ends, each in (platform, id) order; a fingerprint collision falls back."""
    import numpy as np

    from influgraph import vertex_numbers, workspace
    from influgraph.workspace import Workspace

    rng = np.random.default_rng(3)
    ids = np.array([f"u{i:03d}" for i in rng.permutation(300)])

    def batch(start: int, stop: int, accounts: int) -> Batch:
        src, dst = ids[rng.integers(start, stop, 400)], ids[rng.integers(start, stop, 400)]
        platform = np.where(rng.random(400) < 0.2, "generic", "x")
        return Batch(accounts=pl.DataFrame({"id": ids[start:start + accounts], "platform": "x"}),
                     edges=pl.DataFrame({"src": src, "dst": dst, "kind": "reply", "platform": platform}))

    batches = [batch(0, 150, 40), batch(100, 300, 0), batch(50, 250, 120)]
    hashed, joined = Workspace(tmp_path / "hashed"), Workspace(tmp_path / "joined")
    for number, b in enumerate(batches):
        if collide and number == 1:  # from now on every fingerprint is equal: the stored index has two keys
            monkeypatch.setattr(vertex_numbers, "_prints", lambda frame, platform="platform", key="id": (
                np.zeros(frame.height, np.uint64), np.zeros(frame.height, np.uint64)))  # with one: joins decide
        monkeypatch.setattr(workspace, "HASHED_MIN_EDGES", 0)
        hashed.commit(b)
        monkeypatch.setattr(workspace, "HASHED_MIN_EDGES", 10**12)
        joined.commit(b)
        assert hashed.vertex_index().collect().equals(joined.vertex_index().collect())
        assert hashed.scan("edges").collect().equals(joined.scan("edges").collect())
    assert hashed.vertex_count() > 250


def test_the_compiled_sum_of_sorted_rows_equals_the_numpy_one(monkeypatch) -> None:
    import numpy as np

    from influgraph import graph

    rng = np.random.default_rng(5)
    rows = np.unique(np.column_stack([rng.integers(0, 40, 3000), rng.integers(0, 40, 3000), rng.integers(0, 3, 3000)]), axis=0)
    rows = np.repeat(rows, rng.integers(1, 3, len(rows)), axis=0)
    s, d, kind = rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 2].copy()
    weight = rng.choice([1.0, 0.5, 3.0], len(s))
    for multipliers in ([1.0, 1.0, 1.0], [0.3, 1.7, 0.0]):
        numpy_sum = graph._sum_sorted(s, d, kind, weight, 40, multipliers)
        monkeypatch.setattr(graph, "COMPILED_MIN_ROWS", 0)
        compiled = graph._sum_sorted(s, d, kind, weight, 40, multipliers)
        monkeypatch.setattr(graph, "COMPILED_MIN_ROWS", 200_000)
        assert np.array_equal(numpy_sum[0], compiled[0]) and np.array_equal(numpy_sum[1], compiled[1])
        assert all(np.array_equal(a, b) for a, b in zip(numpy_sum[2], compiled[2]))
    monkeypatch.setattr(graph, "COMPILED_MIN_ROWS", 0)
    assert graph._sum_sorted(s[::-1].copy(), d[::-1].copy(), kind[::-1].copy(), weight, 40, [1.0] * 3) is None
