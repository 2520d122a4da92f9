"""Niche ranking benchmark: influgraph's whole ranking against raw igraph and networkx PageRank.

    python benchmarks/bench_rank.py --edges 1000000

The generated workspace has edges/10 accounts, 3 posts each (10% carry the niche hashtag),
half the edges follows and half reposts and mentions on random posts. "influgraph rank" is the
whole library call with every metric except betweenness: niche matching, two graph builds,
PageRank, niche-personalised PageRank, HITS, coreness, per-kind degrees, relevance, the
composite, roles and evidence. The peers time PageRank alone on a prebuilt igraph graph, and
networkx PageRank (capped by --networkx-timeout).
"""
from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from harness import finish, parse_args, run_steps

LOAD = """
    import polars as pl
    from influgraph.schema import Batch
    batch = Batch(accounts=pl.read_parquet(ARGS[0]), posts=pl.read_parquet(ARGS[1]), edges=pl.read_parquet(ARGS[2]))
"""
STEPS = {
    "influgraph rank (all metrics but betweenness)": """
        from influgraph.niches import NicheQuery
        from influgraph.rank import rank_niche
        start()
        result = rank_niche(batch, NicheQuery(name="bench", hashtags=("nichetag",)))
        NOTE = f"{result.table.height:,} ranked, {result.members:,} members"
    """,
    "peer: igraph pagerank + personalised (prebuilt graph)": """
        import igraph as ig, numpy as np
        from influgraph.graph import build_graph
        g = build_graph(batch).graph
        reset = (np.arange(g.vcount()) % 10 == 0).astype(float).tolist()
        start()
        g.pagerank(weights="weight")
        g.personalized_pagerank(weights="weight", reset=reset)
    """,
    "peer: networkx pagerank": """
        import networkx as nx
        from influgraph.graph import build_graph
        g = build_graph(batch).to_networkx()
        start()
        nx.pagerank(g, weight="weight")
    """,
}


def make_workspace(folder: Path, edges: int, seed: int) -> list[str]:
    """Seeded accounts, posts and edges as Parquet files; returns their paths."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    n = max(edges // 10, 100)
    ids = (np.arange(n) + 10**18).astype(str)
    posts_n = 3 * n
    authors = rng.integers(0, n, posts_n)
    niche = rng.random(posts_n) < 0.1
    posts = pl.DataFrame({"id": (np.arange(posts_n) + 2 * 10**18).astype(str), "platform": "x",
                          "author_id": ids[authors],
                          "text": np.where(niche, "brewing today #nichetag", "random chatter"),
                          "hashtags": [["nichetag"] if flag else [] for flag in niche]})
    src = rng.integers(0, n, edges)
    dst = np.minimum((rng.pareto(1.3, edges) * 20).astype(np.int64), n - 1)
    kinds = np.where(rng.random(edges) < 0.5, "follow", np.where(rng.random(edges) < 0.6, "repost", "mention"))
    post_ids = np.where(kinds == "follow", None, posts["id"].to_numpy()[rng.integers(0, posts_n, edges)])
    edge_frame = pl.DataFrame({"src": ids[src], "dst": ids[dst], "kind": kinds, "post_id": post_ids, "platform": "x"})
    edge_frame = edge_frame.filter(pl.col("src") != pl.col("dst")).unique(["src", "dst", "kind", "post_id"])
    accounts = pl.DataFrame({"id": ids, "platform": "x", "handle": [f"user{i}" for i in range(n)],
                             "followers": rng.integers(0, 100_000, n)})
    paths = [folder / "accounts.parquet", folder / "posts.parquet", folder / "edges.parquet"]
    for frame, path in zip((accounts, posts, edge_frame), paths):
        frame.write_parquet(path)
    return [str(p) for p in paths]


def main() -> None:
    args = parse_args(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_workspace(Path(tmp), args.edges, args.seed)
        steps = {name: textwrap.dedent(LOAD) + textwrap.dedent(code) for name, code in STEPS.items()}
        results = run_steps(steps, paths, args.networkx_timeout)
    finish(f"{args.edges:,} generated edges (seed {args.seed})", results, args.edges, args.json)


if __name__ == "__main__":
    main()
