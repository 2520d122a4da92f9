"""Cascades (influgraph/cascades.py): sizes, depths and breadths against a plain BFS on the real
Twitter16 propagation trees, structural virality against networkx, and cascades from posts and edges."""
from __future__ import annotations

import ast
from collections import defaultdict, deque
from pathlib import Path

import networkx as nx
import polars as pl
import pytest

from influgraph.cascades import cascades, trace_cascades
from influgraph.errors import BadInput
from influgraph.schema import Batch
from influgraph.sources.propagation_trees import read_propagation_tree
from tests.shared_data import shared_path


def _reference(path: Path) -> dict:
    """A plain-Python BFS over one tree file, with the module's rules (self-links dropped, first parent kept)."""
    parent: dict[tuple, tuple] = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        up, down = (tuple(ast.literal_eval(part)) for part in line.split("->"))
        if up != down and down not in parent:
            parent[down] = up
    children = defaultdict(list)
    for child, up in parent.items():
        children[up].append(child)
    (root,) = [c for c, up in parent.items() if up[0] == "ROOT"]
    depth, queue = {root: 0}, deque([root])
    while queue:
        node = queue.popleft()
        for child in children[node]:
            if child not in depth:
                depth[child] = depth[node] + 1
                queue.append(child)
    levels = defaultdict(int)
    for value in depth.values():
        levels[value] += 1
    return {"size": len(depth), "depth": max(depth.values()), "max_breadth": max((n for d, n in levels.items() if d), default=0),
            "participants": len({node[0] for node in depth})}


def test_twitter16_cascade_sizes_and_depths_equal_a_plain_bfs() -> None:
    folder = shared_path("twitter16-propagation-trees/tree")
    files = sorted(folder.glob("*.txt"))
    assert len(files) == 40
    links = pl.concat([read_propagation_tree(f) for f in files])
    result = trace_cascades(links)
    assert result.cascades.height == 40 and result.unrooted == 0
    ours = {row["cascade"]: row for row in result.cascades.iter_rows(named=True)}
    for path in files:
        expected = _reference(path)
        root = read_propagation_tree(path).filter(pl.col("parent").is_null())["node"][0]
        got = ours[root]
        assert {k: got[k] for k in expected} == expected, path.name
    assert result.cascades["size"].sum() == result.links.height == 9388 - result.dropped


def test_structural_virality_is_the_mean_pairwise_distance() -> None:
    path = shared_path("twitter16-propagation-trees/tree/553160652567498752.txt")
    result = trace_cascades(read_propagation_tree(path))
    tree = nx.Graph()
    tree.add_edges_from(result.links.filter(pl.col("parent").is_not_null()).select("node", "parent").rows())
    assert result.cascades["structural_virality"][0] == pytest.approx(nx.average_shortest_path_length(tree))


def test_shapes_star_chain_cycle_and_second_parent() -> None:
    links = pl.DataFrame({
        "node": ["s", "s1", "s2", "s3", "c", "c1", "c2", "c3", "x", "y", "c2", "c3"],
        "parent": [None, "s", "s", "s", None, "c", "c1", "c2", "y", "x", "s", "c3"],
        "account": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]})
    result = trace_cascades(links)
    rows = {r["cascade"]: r for r in result.cascades.iter_rows(named=True)}
    assert (rows["s"]["size"], rows["s"]["depth"], rows["s"]["max_breadth"]) == (4, 1, 3)
    assert (rows["c"]["size"], rows["c"]["depth"], rows["c"]["max_breadth"]) == (4, 3, 1)
    assert rows["s"]["structural_virality"] == pytest.approx(1.5)  # star: (3*1 + 3*2) / 6
    assert rows["c"]["structural_virality"] == pytest.approx(10 / 6)  # chain of 4: (3*1 + 2*2 + 1*3) / 6
    assert result.unrooted == 2 and result.dropped == 2  # x <-> y is a cycle; c2's second parent and c3's self-link


def test_cascades_from_posts_and_list_edges() -> None:
    posts = pl.DataFrame({"id": ["p", "r1", "q1", "r2"], "author_id": ["a", "b", "c", "d"],
                          "repost_of": [None, "p", None, "q1"], "quote_of": [None, None, "p", None],
                          "platform": ["x"] * 4})
    edges = pl.DataFrame({"src": ["b", "c", "d", "e", "f"], "dst": ["a", "a", "c", "a", "z"],
                          "kind": ["repost", "quote", "repost", "repost", "reply"],
                          "post_id": ["r1", "q1", "r2", "p", "gone"], "platform": ["x"] * 5})
    result = cascades(Batch(posts=posts, edges=edges))
    rows = {r["cascade"]: r for r in result.cascades.iter_rows(named=True)}
    assert (rows["p"]["size"], rows["p"]["depth"], rows["p"]["participants"]) == (5, 2, 5)
    assert (rows["p"]["reposts"], rows["p"]["quotes"]) == (3, 1)
    assert rows["gone"]["root_account"] == "z" and rows["gone"]["size"] == 2  # an unseen post: author from the edge
    who = set(result.links.filter(pl.col("depth") > 0).select("account", "parent_account", "kind").rows())
    assert who == {("b", "a", "repost"), ("c", "a", "quote"), ("d", "c", "repost"), ("e", "a", "repost"), ("f", "z", "reply")}


def test_a_bad_tree_line_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "553160652567498752.txt"
    bad.write_text("['ROOT', 'ROOT', '0.0']->['1', '2', '0.0']\nnot a tree line\n")
    with pytest.raises(BadInput, match="not a propagation tree line") as caught:
        read_propagation_tree(bad)
    assert caught.value.line == 2


def test_twarc_brexit_cascades_hold_every_retweet_under_its_original() -> None:
    from influgraph.ingest import read_path

    batch = read_path(shared_path("twarc-v2-responses/brexit.jsonl")).batch
    result = cascades(batch)
    assert result.cascades["reposts"].sum() == 67  # the page's 67 `retweeted` references (data README)
    assert result.unrooted == 0 and result.dropped == 0
    reposts = result.links.filter(pl.col("kind") == "repost").select(pl.col("node").alias("post_id"), "account", "parent_account")
    edges = batch.edges.filter(pl.col("kind").cast(pl.String) == "repost").select("post_id", pl.col("src").alias("account"),
                                                                                   pl.col("dst").alias("parent_account"))
    assert reposts.sort("post_id").equals(edges.sort("post_id"))  # who reposted whom: the edges' src -> dst
