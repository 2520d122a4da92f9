"""Communities: published optima on real graphs, ground truth, planted demo structure, invariants, edge cases."""
from __future__ import annotations

import json
from pathlib import Path

import igraph as ig
import networkx as nx
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from influgraph.algorithms.communities import METHODS
from influgraph.cli import main
from influgraph.communities import detect_communities, sweep_resolution
from influgraph.errors import BadInput
from influgraph.ingest import read_path
from influgraph.schema import Batch
from influgraph.workspace import Workspace
from shared_data import shared_path


def _batch(edges: list[tuple[str, str]], accounts: list[str] = ()) -> Batch:
    return Batch(edges=pl.DataFrame({"src": [s for s, _ in edges], "dst": [d for _, d in edges],
                                     "kind": ["mention"] * len(edges), "platform": ["x"] * len(edges)},
                                    schema={"src": pl.String, "dst": pl.String, "kind": pl.String, "platform": pl.String}),
                 accounts=pl.DataFrame({"id": list(accounts), "platform": ["x"] * len(accounts)}, schema={"id": pl.String, "platform": pl.String}))


def _from_networkx(graph: nx.Graph) -> Batch:
    return _batch([(str(u), str(v)) for u, v in graph.edges()], [str(n) for n in graph.nodes()])


def _nmi(a, b) -> float:
    """NMI of two labelings (labels of any type)."""
    codes_a = {v: i for i, v in enumerate(dict.fromkeys(a))}
    codes_b = {v: i for i, v in enumerate(dict.fromkeys(b))}
    return ig.compare_communities([codes_a[v] for v in a], [codes_b[v] for v in b], method="nmi")


# ------------------------------------------------------------------ published optima (Aloise et al. 2010 and Leiden bests)
@pytest.mark.parametrize("name, best", [
    ("karate", 0.4198),
    ("newman-dolphins/dolphins.gml", 0.5285),
    ("newman-football/football.gml", 0.6046),
    ("newman-polbooks/polbooks.gml", 0.5272),
    ("polblogs/polblogs.gml", 0.4271),
])
def test_modularity_within_0_002_of_the_best_known(name: str, best: float) -> None:
    if name == "karate":
        batch = _from_networkx(nx.karate_club_graph())
    elif name.startswith("polblogs"):
        graph = nx.Graph(nx.read_gml(shared_path(name), label="id"))
        graph.remove_edges_from(nx.selfloop_edges(graph))
        batch = _from_networkx(graph.subgraph(max(nx.connected_components(graph), key=len)))
    else:
        batch = read_path(shared_path(name)).batch  # through influgraph's own GML import
    result = detect_communities(batch, runs=20, symmetrise="max")  # unweighted simple graph: every weight 1
    assert result.modularity >= best - 0.002, f"{name}: {result.modularity:.4f} vs {best}"
    assert result.modularity <= best + 0.002, f"{name}: above the known optimum? {result.modularity:.4f}"


def test_football_conferences_are_recovered() -> None:
    path = shared_path("newman-football/football.gml")
    graph = nx.read_gml(path, label="id")
    result = detect_communities(read_path(path).batch, runs=20)
    found = dict(result.membership.select("id", "community").rows())
    conference = {str(n): d["value"] for n, d in graph.nodes(data=True)}
    ids = sorted(conference)
    assert _nmi([found[i] for i in ids], [conference[i] for i in ids]) >= 0.88


# ------------------------------------------------------------------ the demo's planted structure
@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run.result


def test_demo_planted_communities_are_recovered(demo) -> None:
    truth = json.loads(demo.truth.read_text(encoding="utf-8"))["accounts"]
    result = detect_communities(Workspace(demo.workspace), runs=3)
    found = dict(result.membership.select("id", "community").rows())
    ids = sorted(truth)
    assert _nmi([found[i] for i in ids], [truth[i]["community"] for i in ids]) >= 0.9


def test_demo_planted_brokers_have_the_highest_participation_of_their_communities(demo) -> None:
    truth = json.loads(demo.truth.read_text(encoding="utf-8"))["accounts"]
    membership = Workspace(demo.workspace).read_result("communities")
    assert membership is not None  # the demo stored it for the next steps
    brokers = [i for i, info in truth.items() if info["role"] == "broker"]
    for broker in brokers:
        row = membership.filter(pl.col("id") == broker).row(0, named=True)
        peers = membership.filter(pl.col("community") == row["community"])
        bots = {i for i, info in truth.items() if info["role"] == "bot"}
        humans = peers.filter(~pl.col("id").is_in(list(bots) + brokers))
        assert row["participation"] > humans["participation"].max(), broker
    ranked = membership.sort("participation", descending=True)
    top = set(ranked.head(len(brokers) * 3)["id"])
    assert set(brokers) <= top


# ------------------------------------------------------------------ invariants
TWO_TRIANGLES = [("a", "b"), ("b", "c"), ("c", "a"), ("x", "y"), ("y", "z"), ("z", "x"), ("c", "m"), ("m", "x")]


def test_bridge_between_two_triangles_is_the_broker() -> None:
    result = detect_communities(_batch(TWO_TRIANGLES))
    table = result.membership.sort("participation", descending=True)
    assert table["id"][0] in ("m", "c", "x")
    m = table.filter(pl.col("id") == "m").row(0, named=True)
    assert m["participation"] == pytest.approx(0.5)  # half its ties in each community
    assert result.profiles.height == 2 and result.modularity > 0.3


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_a_connected_partition(method: str) -> None:
    graph = nx.connected_caveman_graph(6, 5)
    graph.add_edges_from([(100, 101), (102, 103)])  # two separate pairs
    batch = _from_networkx(graph)
    result = detect_communities(batch, method=method, seed=3)
    table = result.membership
    assert table.height == graph.number_of_nodes() and table["id"].n_unique() == table.height
    undirected = nx.Graph((str(u), str(v)) for u, v in graph.edges())
    for _, group in table.group_by("community"):
        assert nx.is_connected(undirected.subgraph(group["id"].to_list()))
    assert ((table["participation"] >= 0) & (table["participation"] <= 1)).all()


def test_results_are_deterministic_for_a_seed() -> None:
    batch = _from_networkx(nx.les_miserables_graph())
    first = detect_communities(batch, seed=11, runs=3)
    second = detect_communities(batch, seed=11, runs=3)
    assert first.membership.equals(second.membership) and first.modularity == second.modularity


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_relabelling_and_row_order_do_not_change_the_partition(seed: int, rnd) -> None:
    graph = nx.planted_partition_graph(3, 8, 0.8, 0.05, seed=seed)
    edges = [(f"n{u}", f"n{v}") for u, v in graph.edges()]
    if not edges:
        return
    names = {f"n{n}": f"acct_{rnd.randrange(10**9)}_{n}" for n in graph.nodes()}
    shuffled = [(names[u], names[v]) for u, v in edges]
    rnd.shuffle(shuffled)
    a = detect_communities(_batch(edges, list(names)), runs=3)
    b = detect_communities(_batch(shuffled, list(names.values())), runs=3)
    found_a = dict(a.membership.select("id", "community").rows())
    found_b = dict(b.membership.select("id", "community").rows())
    ids = sorted(names)
    assert abs(a.modularity - b.modularity) < 1e-9
    assert _nmi([found_a[i] for i in ids], [found_b[names[i]] for i in ids]) > 0.999


# ------------------------------------------------------------------ edge cases
def test_empty_graph() -> None:
    result = detect_communities(Batch(), runs=2)
    assert result.membership.height == 0 and result.profiles.height == 0 and result.modularity == 0.0


def test_graph_without_edges_puts_everyone_alone() -> None:
    result = detect_communities(_batch([], ["a", "b", "c"]))
    assert sorted(result.membership["community"].to_list()) == [0, 1, 2]
    assert result.modularity == 0.0 and not result.membership["participation"].is_nan().any()


def test_disconnected_graph_never_merges_components() -> None:
    result = detect_communities(_batch([("a", "b"), ("c", "d")], ["lonely"]))
    groups = {frozenset(g["id"].to_list()) for _, g in result.membership.group_by("community")}
    assert groups == {frozenset({"a", "b"}), frozenset({"c", "d"}), frozenset({"lonely"})}
    assert not np.isnan(result.modularity)


@pytest.mark.parametrize("options", [{"method": "magic"}, {"resolution": 0}, {"resolution": float("nan")},
                                     {"runs": 0}, {"symmetrise": "min"}, {"kinds": ["retweet"]}])
def test_bad_options_are_refused(options: dict) -> None:
    with pytest.raises(BadInput):
        detect_communities(_batch(TWO_TRIANGLES), **options)


def test_resolution_sweep_reports_more_communities_at_higher_resolution() -> None:
    table = sweep_resolution(_from_networkx(nx.les_miserables_graph()), [0.25, 1.0, 4.0])
    counts = table["communities"].to_list()
    assert counts[0] <= counts[1] <= counts[2] and counts[0] < counts[2]


def test_result_names_cannot_escape_the_workspace(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    for name in ("../evil", "a/b", "", "X" * 3, "n" * 81):
        with pytest.raises(BadInput):
            ws.write_result(name, pl.DataFrame({"a": [1]}))
    assert not (tmp_path / "evil.parquet").exists()


def test_cli_communities_stores_results_and_writes_safe_csv(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    handles = {"a": "=HYPERLINK(\"x\")", "b": "کتاب‌خوان", "c": "c", "x": "x", "y": "y", "z": "z", "m": "m"}
    batch = _batch(TWO_TRIANGLES)
    ws.commit(Batch(edges=batch.edges, accounts=pl.DataFrame({"id": list(handles), "platform": ["x"] * 7,
                                                               "handle": list(handles.values())})))
    out = tmp_path / "groups.csv"
    result = CliRunner().invoke(main, ["communities", "-w", str(ws.path), "--runs", "3", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["communities"] == 2 and summary["stability_nmi"] == 1.0
    assert ws.read_result("communities").height == 7
    import csv

    with open(tmp_path / "groups-profiles.csv", encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert any("HYPERLINK" in c for c in cells) and any("کتاب‌خوان" in c for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    bad = CliRunner().invoke(main, ["communities", "-w", str(ws.path), "--resolution", "-1"])
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1


def test_fast_leiden_gives_one_partition_for_a_seed_on_any_thread_count_and_part_count() -> None:
    import numba

    from influgraph.algorithms.communities import Undirected, fast_leiden
    from influgraph.algorithms.louvain import parallel_louvain

    graph = nx.planted_partition_graph(40, 50, 0.2, 0.005, seed=2)
    ends = np.array(sorted(tuple(sorted(e)) for e in graph.edges()))
    und = Undirected(n=graph.number_of_nodes(), ends=ends, weights=np.ones(len(ends)))
    threads = numba.get_num_threads()
    try:
        found = []
        for count in (2, 1, 2):
            numba.set_num_threads(count)
            found.append(fast_leiden(und, 1.0, seed=5, polish_max_edges=0))  # Louvain alone: no Leiden pass to hide a difference
    finally:
        numba.set_num_threads(threads)
    assert all(np.array_equal(found[0], other) for other in found[1:])
    noise = nx.gnm_random_graph(2000, 6000, seed=1)  # no structure: the vertex order drawn from the seed shows
    ends = np.array(sorted(tuple(sorted(e)) for e in noise.edges()))
    und = Undirected(n=2000, ends=ends, weights=np.ones(len(ends)))
    by_parts = [parallel_louvain(und.n, und.ends, und.weights, 1.0, seed=5, parts=parts) for parts in (1, 2, 3, 7)]
    assert all(np.array_equal(by_parts[0], other) for other in by_parts[1:])  # work split differently, same partition
    assert not np.array_equal(fast_leiden(und, 1.0, seed=5, polish_max_edges=0), fast_leiden(und, 1.0, seed=6, polish_max_edges=0))


def test_parallel_louvain_finds_planted_communities_and_beats_networkx_louvain_on_real_graphs() -> None:
    """Planted communities are found exactly; on karate, dolphins-like and random graphs the modularity is at least
    networkx's sequential Louvain's minus 0.01 (no polish), and every partition is numbered 0, 1, ..."""
    from influgraph.algorithms.communities import Undirected, modularity
    from influgraph.algorithms.louvain import parallel_louvain

    planted = nx.planted_partition_graph(12, 40, 0.5, 0.002, seed=3)
    ends = np.array(sorted(tuple(sorted(e)) for e in planted.edges()))
    labels = parallel_louvain(planted.number_of_nodes(), ends, np.ones(len(ends)), 1.0, seed=1)
    truth = np.repeat(np.arange(12), 40)
    assert len(set(zip(labels.tolist(), truth.tolist()))) == 12 == len(set(labels.tolist()))
    noise = np.array([[i, i + 41] for i in range(0, 400, 7)])  # weight 0 between communities: as if absent
    padded = parallel_louvain(planted.number_of_nodes(), np.concatenate([ends, noise]),
                              np.concatenate([np.ones(len(ends)), np.zeros(len(noise))]), 1.0, seed=1)
    assert len(set(zip(padded.tolist(), truth.tolist()))) == 12 == len(set(padded.tolist()))
    for graph in (nx.karate_club_graph(), nx.les_miserables_graph(), nx.powerlaw_cluster_graph(3000, 4, 0.3, seed=2)):
        graph = nx.convert_node_labels_to_integers(graph)
        ends = np.array(sorted(tuple(sorted(e)) for e in graph.edges()))
        weights = np.array([float(graph.edges[u, v].get("weight", 1.0)) for u, v in ends])
        und = Undirected(n=graph.number_of_nodes(), ends=ends, weights=weights)
        ours = max(modularity(und, parallel_louvain(und.n, ends, weights, 1.0, seed=s), 1.0) for s in range(3))
        theirs = nx.community.modularity(graph, nx.community.louvain_communities(graph, seed=1))
        assert ours >= theirs - 0.01, (ours, theirs)
        found = parallel_louvain(und.n, ends, weights, 1.0, seed=0)
        assert set(found.tolist()) == set(range(found.max() + 1))


def test_the_aggregated_graph_keeps_every_degree_and_the_modularity() -> None:
    """A community graph's self-loops hold the weight inside (counted from both ends): degrees and total weight
    are kept, and the coarse singletons have the modularity of the fine partition, at any resolution."""
    from influgraph.algorithms import louvain
    from influgraph.algorithms.communities import Undirected, modularity

    rng = np.random.default_rng(8)
    n = 400
    pairs = np.unique(np.sort(rng.integers(0, n, (3000, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    weights = rng.random(len(pairs)) + 0.1
    indptr, indices, data = louvain.symmetric_csr(pairs, np.arange(n), weights, n, 2)
    comm, count = louvain.renumber(rng.integers(0, 9, n) * 3)
    scratch = (np.zeros((2, n)), np.empty((2, n), dtype=np.int64))
    cptr, cindices, cdata = louvain.aggregate(indptr, indices, data, comm, count, *scratch)
    fine_degree = np.bincount(comm, weights=np.bincount(np.repeat(np.arange(n), np.diff(indptr)), weights=data, minlength=n))
    coarse_degree = np.add.reduceat(cdata, cptr[:-1]) if len(cdata) else np.zeros(count)
    assert np.allclose(coarse_degree, fine_degree) and count == 9
    rows = np.repeat(np.arange(count), np.diff(cptr))
    inside, two_m = cdata[rows == cindices].sum(), cdata.sum()  # Q of the coarse singletons, from the coarse graph alone
    for gamma in (0.5, 1.0, 2.0):
        coarse_q = inside / two_m - gamma * float(((coarse_degree / two_m) ** 2).sum())
        assert coarse_q == pytest.approx(modularity(Undirected(n=n, ends=pairs, weights=weights), comm, gamma), abs=1e-12)


def test_the_compiled_paths_of_large_graphs_equal_the_scipy_ones(monkeypatch) -> None:
    """The relabelled symmetric CSR of the Louvain step equals scipy's A + A^T, row order aside; above
    POLISH_MAX_EDGES the connected parts come from a compiled kernel: the same arrays as scipy's."""
    from scipy import sparse

    from influgraph.algorithms import communities, louvain

    rng = np.random.default_rng(4)
    n = 500
    pairs = np.unique(np.sort(rng.integers(0, n, (3000, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    weights, order, labels = rng.random(len(pairs)), rng.permutation(n), rng.integers(0, 6, n)
    for parts in (1, 2, 3):
        indptr, indices, data = louvain.symmetric_csr(pairs, order, weights, n, parts)
        compiled = sparse.csr_matrix((data, indices, indptr), shape=(n, n))
        upper = sparse.csr_matrix((weights, (order[pairs[:, 0]], order[pairs[:, 1]])), shape=(n, n))
        reference = upper + upper.T
        assert abs(compiled - reference).sum() == 0 and compiled.nnz == reference.nnz
    small = communities.connected_parts(pairs, labels, n)
    monkeypatch.setattr(communities, "POLISH_MAX_EDGES", 0)
    assert np.array_equal(communities.connected_parts(pairs, labels, n), small) and len(set(small)) > 6


@pytest.mark.parametrize("how", ["sum", "max", "mutual"])
def test_the_compiled_symmetrisation_equals_the_group_by(monkeypatch, how: str) -> None:
    """Above POLISH_MAX_EDGES `undirected` merges the two directions in a compiled pass: the same pairs and weights
    as the polars group-by, self-loops and one-way pairs included; unsorted edges fall back to the group-by."""
    from influgraph.algorithms import communities
    from influgraph.graph import BuiltGraph, GraphSpec

    rng = np.random.default_rng(7)
    n = 300
    codes = np.unique(rng.integers(0, n, 4000) * n + rng.integers(0, n, 4000))
    ends = np.column_stack([codes // n, codes % n])
    assert (ends[:, 0] == ends[:, 1]).any() and (ends[:, 0] > ends[:, 1]).any()
    built = BuiltGraph(n=n, ends=ends, weight=rng.random(len(ends)), kind_weights={}, spec=GraphSpec())
    reference = communities.undirected(built, how)
    monkeypatch.setattr(communities, "POLISH_MAX_EDGES", 0)
    compiled = communities.undirected(built, how)
    assert np.array_equal(compiled.ends, reference.ends) and np.array_equal(compiled.weights, reference.weights)
    assert 0 < len(compiled.ends) < len(ends)
    shuffled = BuiltGraph(n=n, ends=ends[::-1].copy(), weight=built.weight[::-1].copy(), kind_weights={}, spec=GraphSpec())
    again = communities.undirected(shuffled, how)
    assert np.array_equal(again.ends, reference.ends) and np.allclose(again.weights, reference.weights)


def test_community_roles_sums_equal_the_sparse_product() -> None:
    """`kernels.community_strengths` gives each vertex's strength, sum of squared strengths toward each community
    and strength toward its own community as the sparse product adjacency x community indicator does (the
    former implementation), self-loops (counted twice in the symmetric adjacency) and isolated vertices included."""
    from scipy import sparse

    from influgraph.algorithms.communities import Undirected, community_roles
    from influgraph.algorithms.kernels import community_strengths

    rng = np.random.default_rng(11)
    n = 400
    pairs = np.unique(np.sort(rng.integers(0, n - 20, (2500, 2)), axis=1), axis=0)  # the last 20 vertices isolated
    assert (pairs[:, 0] == pairs[:, 1]).any()
    weights, membership = rng.random(len(pairs)) + 0.1, rng.integers(0, 40, n)
    rows, cols = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    adjacency = sparse.csr_matrix((np.concatenate([weights, weights]), (rows, cols)), shape=(n, n))
    by_community = (adjacency @ sparse.csr_matrix((np.ones(n), (np.arange(n), membership)), shape=(n, 40))).toarray()
    strength, squares, inside = community_strengths(pairs, weights, membership, n)
    assert np.allclose(strength, by_community.sum(axis=1), rtol=1e-13, atol=0)
    assert np.allclose(squares, (by_community ** 2).sum(axis=1), rtol=1e-13, atol=0)
    assert np.allclose(inside, by_community[np.arange(n), membership], rtol=1e-13, atol=0)
    assert (strength[-20:] == 0).all() and (inside > 0).sum() > n // 4
    roles = community_roles(Undirected(n=n, ends=pairs, weights=weights), membership)
    assert roles["participation"].is_between(0, 1).all() and roles["participation"][-1] == 0.0
