"""The same id on two platforms is two accounts everywhere: graph, stats, rank, communities, views and exports.

A workspace holds ids 100..129 as X accounts and the same ids as `generic` edge-list nodes,
with different edges and posts on each platform (post ids repeat too). Every output must keep
them apart: node counts equal account counts, and no row or node merges two platforms.
"""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import polars as pl
import pytest

from influgraph.communities import detect_communities
from influgraph.exports.files import write_graph_file
from influgraph.exports.views import graph_view, read_view_data
from influgraph.graph import build_graph
from influgraph.niches import NicheQuery
from influgraph.rank import rank_niche
from influgraph.results import save_communities, save_ranking
from influgraph.schema import Batch
from influgraph.stats import compute_stats
from influgraph.workspace import Workspace

IDS = [str(i) for i in range(100, 130)]
QUERY = NicheQuery(name="coffee", hashtags=("coffee",))


def _platform(platform: str, shift: int) -> Batch:
    """A ring of mentions and reposts among IDS on `platform`, rotated by `shift`, with niche posts."""
    accounts = pl.DataFrame({"id": IDS, "platform": platform, "handle": [f"{platform}_{i}" for i in IDS],
                             "bio": ["coffee roaster" if int(i) % 3 == 0 else "" for i in IDS]})
    src = IDS
    dst = IDS[shift:] + IDS[:shift]
    posts = pl.DataFrame({"id": [f"p{i}" for i in IDS], "platform": platform, "author_id": dst,
                          "text": ["a #coffee roast"] * len(IDS), "hashtags": [["coffee"]] * len(IDS)})
    edges = pl.DataFrame({"src": src + src, "dst": dst + IDS[::-1], "platform": platform,
                          "kind": ["repost"] * len(IDS) + ["follow"] * len(IDS),
                          "post_id": [f"p{i}" for i in IDS] + [None] * len(IDS)})
    return Batch(accounts=accounts, posts=posts, edges=edges)


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    workspace = Workspace(tmp_path_factory.mktemp("two") / "ws")
    workspace.commit(_platform("x", 1))
    workspace.commit(_platform("generic", 7))
    return workspace


def test_graph_and_stats_count_every_account_once(ws: Workspace) -> None:
    accounts = ws.counts()["accounts"]
    assert accounts == 2 * len(IDS)
    assert build_graph(ws).n == accounts
    stats = compute_stats(ws, top=100)
    assert stats.graph["nodes"] == accounts and stats.graph["edges"] == build_graph(ws.tables()).ends.shape[0]
    top = pl.DataFrame(stats.top_accounts_by_in_degree)
    assert top.height == accounts and top.select("platform", "id").is_unique().all()
    assert (top["handle"] == top["platform"] + "_" + top["id"]).all()  # each row joined to its own account


def test_rank_keeps_two_platforms_apart(ws: Workspace) -> None:
    table = rank_niche(ws, QUERY).table
    assert table.select("platform", "id").is_unique().all()
    assert set(table["platform"]) == {"x", "generic"}
    assert (table["handle"] == table["platform"] + "_" + table["id"]).all()
    for platform in ("x", "generic"):
        alone = rank_niche(ws, QUERY, platform=platform).table
        mine = table.filter(pl.col("platform") == platform)
        assert alone.height == mine.height  # the other platform's twins add no rows
        assert dict(zip(alone["id"], alone["niche_engagement"])) == dict(zip(mine["id"], mine["niche_engagement"]))


def test_communities_keep_two_platforms_apart(ws: Workspace) -> None:
    result = detect_communities(ws, seed=1)
    membership = result.membership
    assert membership.height == 2 * len(IDS) and membership.select("platform", "id").is_unique().all()
    by_platform = membership.group_by("community").agg(pl.col("platform").n_unique().alias("platforms"))
    assert by_platform["platforms"].max() == 1  # no edge joins the platforms, so no community does
    assert result.profiles["size"].sum() == membership.height


def test_views_and_exports_have_one_node_per_account(ws: Workspace, tmp_path: Path) -> None:
    save_communities(ws, detect_communities(ws, seed=1))
    save_ranking(ws, QUERY.name, rank_niche(ws, QUERY))
    data = read_view_data(ws)
    view = graph_view(data)
    nodes = view.nodes
    assert nodes.height == ws.counts()["accounts"] == view.total_nodes
    assert nodes["id"].is_unique().all() and "x:100" in nodes["id"].to_list()
    assert nodes["community"].null_count() == 0 and (nodes["label"] == nodes["handle"]).all()
    assert set(view.edges["src"]) | set(view.edges["dst"]) <= set(nodes["id"])
    niche = graph_view(data, niche=QUERY.name, max_nodes=10)
    assert niche.nodes.height == 10 and niche.nodes["id"].is_unique().all()
    for fmt in ("gexf", "graphml"):
        path = write_graph_file(view, fmt, tmp_path / f"two.{fmt}")
        path = path[0] if isinstance(path, (list, tuple)) else path
        graph = nx.read_gexf(path) if fmt == "gexf" else nx.read_graphml(path)
        assert graph.number_of_nodes() == nodes.height and graph.number_of_edges() == view.edges.height


def test_shortlist_reach_counts_only_the_own_platform(ws: Workspace) -> None:
    from influgraph.shortlisting import shortlist

    def best_reach(ranked: pl.DataFrame) -> int:
        return shortlist(ws, QUERY, ranked=ranked, k=1, allow_flagged=True).picks["cumulative_reach"].item()

    own = max(best_reach(rank_niche(ws, QUERY, platform=platform).table) for platform in ("x", "generic"))
    # merged by id, a candidate would also count its twin's engagers on the other platform
    assert best_reach(rank_niche(ws, QUERY).table) == own


def test_lookalikes_count_only_the_audience_on_the_accounts_own_platform(ws: Workspace) -> None:
    from influgraph.lookalikes import lookalikes

    ranked = rank_niche(ws, QUERY).table
    found = lookalikes(ws, QUERY, "x_102", ranked=ranked, top=100, exclude=[])
    edges = ws.table("edges").filter(pl.col("src") != pl.col("dst"))
    audience = {key: set(group.select("platform", "src").iter_rows())
                for key, group in edges.group_by("platform", "dst")}
    mine = audience[("x", "102")]
    expected = {key: len(mine & members) for key, members in audience.items() if key != ("x", "102") and mine & members}
    assert found.height > 0 and set(found["platform"]) == {"x"}  # the same ids on `generic` share no audience with it
    assert {(r["platform"], r["id"]): r["shared_audience"] for r in found.iter_rows(named=True)} == {
        key: n for key, n in expected.items() if key in set(found.select("platform", "id").iter_rows())}
    assert set(found.select("platform", "id").iter_rows()) == set(expected)
