"""The whole pipeline at scale, step by step, against the peers measured on the same work in the same run.

    python benchmarks/bench_pipeline.py --edges 1000000 --json pipeline-1m.json
    python benchmarks/bench_pipeline.py --edges 10000000 --networkx-timeout 120

A seeded directed social graph (edges/10 accounts, 3 posts each, 5 niches with their own
hashtag on 4% of posts each; half the edges follows, the rest reposts, replies and mentions on
random posts, heavy-tailed attention) is written once as Parquet (the workspace's tables) and as
a CSV edge list (the import step's input). Every step then runs in a fresh process; the table
shows its wall time (library imports and loading the inputs excluded) and the process's peak
memory, and, for each influgraph step, the ratio to the fastest peer on the same work.
"""
from __future__ import annotations

import json
import tempfile
import textwrap
from pathlib import Path

from harness import parse_args, run_step

NICHES = 5
# (indented like the steps' code, which is appended to them and dedented together)
LOAD_WS = """
            from influgraph.workspace import Workspace
            ws = Workspace(ARGS[0])
"""
LOAD_ARRAYS = """
            import numpy as np, polars as pl
            ends = np.load(ARGS[1])
            n = int(ends.max()) + 1
"""
# step -> {label: code}; the first entry of each step is influgraph, the others are peers
STEPS: dict[str, dict[str, str]] = {
    "import (CSV edge list -> workspace)": {
        "influgraph import": """
            import tempfile
            from influgraph import Workspace, import_paths, ImportOptions
            target = Workspace(tempfile.mkdtemp() + "/ws")
            start()
            import_paths(target, [ARGS[2]], ImportOptions())
        """,
        "peer: polars read_csv + igraph from numpy": """
            import polars as pl, igraph as ig, numpy as np
            start()
            df = pl.read_csv(ARGS[2], schema_overrides={"src": pl.String, "dst": pl.String})
            ids = pl.concat([df["src"], df["dst"]]).unique().sort()
            index = pl.DataFrame({"id": ids}).with_row_index("ix")
            e = df.join(index, left_on="src", right_on="id").join(index, left_on="dst", right_on="id", suffix="_t")
            g = ig.Graph(n=ids.len(), edges=np.column_stack([e["ix"].to_numpy(), e["ix_t"].to_numpy()]), directed=True)
        """,
    },
    "graph build (workspace -> graph)": {
        "influgraph build_graph": LOAD_WS + """
            from influgraph.graph import build_graph
            start()
            built = build_graph(ws)
            NOTE = f"{built.graph.vcount():,} nodes, {built.graph.ecount():,} edges"
        """,
        "peer: igraph from numpy arrays": LOAD_ARRAYS + """
            import igraph as ig
            start()
            g = ig.Graph(n=n, edges=ends, directed=True)
        """,
        "peer: scipy CSR from numpy arrays": LOAD_ARRAYS + """
            from scipy import sparse
            start()
            m = sparse.csr_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
        """,
        "peer: networkx DiGraph": LOAD_ARRAYS + """
            import networkx as nx
            start()
            g = nx.DiGraph()
            g.add_edges_from(ends.tolist())
        """,
    },
    "ranking, one niche (all metrics but betweenness)": {
        "influgraph rank_niche": LOAD_WS + """
            from influgraph.niches import NicheQuery
            from influgraph.rank import rank_niche
            start()
            result = rank_niche(ws, NicheQuery(name="n0", hashtags=("niche0",)))
            NOTE = f"{result.table.height:,} ranked"
        """,
        "peer: igraph pagerank, personalised, hits, coreness": LOAD_ARRAYS + """
            import igraph as ig
            g = ig.Graph(n=n, edges=ends, directed=True)
            reset = (np.arange(n) % 25 == 0).astype(float).tolist()
            start()
            g.pagerank(); g.personalized_pagerank(reset=reset); g.hub_score(); g.coreness()
        """,
        "peer: networkx pagerank": LOAD_ARRAYS + """
            import networkx as nx
            g = nx.DiGraph(); g.add_edges_from(ends.tolist())
            start()
            nx.pagerank(g)
        """,
    },
    f"niche-personalised PageRank, {NICHES} niches": {
        "influgraph niche_pagerank": LOAD_WS + """
            import numpy as np
            from influgraph.graph import build_graph
            from influgraph.rank import niche_pagerank
            built = build_graph(ws)
            resets = [(np.arange(len(built.ids)) % 25 == k).astype(float) for k in range(5)]
            start()
            for reset in resets:
                niche_pagerank(built, reset)
        """,
        "peer: igraph personalized_pagerank": LOAD_ARRAYS + """
            import igraph as ig
            g = ig.Graph(n=n, edges=ends, directed=True)
            resets = [(np.arange(n) % 25 == k).astype(float).tolist() for k in range(5)]
            start()
            for reset in resets:
                g.personalized_pagerank(reset=reset)
        """,
        "peer: scipy sparse power iteration": LOAD_ARRAYS + """
            from scipy import sparse
            m = sparse.csr_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
            start()
            out = np.asarray(m.sum(axis=1)).ravel()
            dangling = out == 0
            scale = np.where(dangling, 0.0, 1.0 / np.maximum(out, 1))
            t = (sparse.diags(scale) @ m).T.tocsr()
            for k in range(5):
                reset = (np.arange(n) % 25 == k).astype(float); reset /= reset.sum()
                x = reset.copy()
                for _ in range(200):
                    new = 0.85 * (t @ x + x[dangling].sum() * reset) + 0.15 * reset
                    done = np.abs(new - x).sum() < 1e-6
                    x = new
                    if done:
                        break
        """,
    },
    "approximate betweenness (100 sources)": {
        "influgraph approximate_betweenness": LOAD_WS + """
            from influgraph.graph import build_graph
            from influgraph.rank import approximate_betweenness
            built = build_graph(ws)
            start()
            approximate_betweenness(built, 100, seed=1)
        """,
        "peer: igraph betweenness(sources=100)": LOAD_ARRAYS + """
            import igraph as ig
            g = ig.Graph(n=n, edges=ends, directed=True)
            sources = sorted(np.random.default_rng(1).choice(n, 100, replace=False).tolist())
            start()
            g.betweenness(directed=True, sources=sources)
        """,
        "peer: networkx betweenness_centrality(k=100)": LOAD_ARRAYS + """
            import networkx as nx
            g = nx.DiGraph(); g.add_edges_from(ends.tolist())
            start()
            nx.betweenness_centrality(g, k=100, seed=1)
        """,
    },
    "communities (Leiden)": {
        "influgraph detect_communities": LOAD_WS + """
            from influgraph.communities import detect_communities
            start()
            result = detect_communities(ws, runs=1, seed=1)
            NOTE = f"{result.profiles.height:,} communities, modularity {result.modularity:.3f}"
        """,
        "peer: igraph community_leiden (until stable)": LOAD_ARRAYS + """
            import igraph as ig
            g = ig.Graph(n=n, edges=ends, directed=True).as_undirected(mode="collapse")
            start()
            g.community_leiden(objective_function="modularity", n_iterations=-1)
        """,
        "peer: networkx louvain": LOAD_ARRAYS + """
            import networkx as nx
            g = nx.Graph(); g.add_edges_from(ends.tolist())
            start()
            nx.community.louvain_communities(g, seed=1)
        """,
    },
    "shortlist (k = 50, one niche)": {
        "influgraph shortlist": LOAD_WS + """
            from influgraph.niches import NicheQuery
            from influgraph.rank import rank_niche
            from influgraph.shortlist import shortlist
            query = NicheQuery(name="n0", hashtags=("niche0",))
            ranked = rank_niche(ws, query).table
            start()
            result = shortlist(ws, query, k=50, ranked=ranked)
            NOTE = f"reach {result.baselines['shortlist_reach']:,}"
        """,
    },
    "export (map of 1,000 accounts + GEXF of the niche)": {
        "influgraph write_map + gexf": LOAD_WS + """
            import tempfile
            from influgraph.export import export
            from influgraph.niches import NicheQuery
            from influgraph.rank import rank_niche, rank_result_name
            ws.write_result(rank_result_name("n0"), rank_niche(ws, NicheQuery(name="n0", hashtags=("niche0",))).table)
            folder = tempfile.mkdtemp()
            start()
            export(ws, "html", folder + "/map.html")
            export(ws, "gexf", folder + "/n0.gexf", niche="n0")
        """,
    },
}


def make_inputs(folder: Path, edges: int, seed: int) -> list[str]:
    """The workspace (Parquet tables), the edge endpoints as a numpy array, and the CSV edge list."""
    import numpy as np
    import polars as pl

    from influgraph.schema import Batch, conform
    from influgraph.workspace import Workspace

    rng = np.random.default_rng(seed)
    n = max(edges // 10, 100)
    ids = (np.arange(n) + 10**18).astype(str)
    posts_n = 3 * n
    niche = rng.integers(0, 100, posts_n)  # 0..4: niche k's hashtag (4% each)
    hashtags = [[f"niche{k}"] if k < NICHES else [] for k in niche.tolist()]
    posts = pl.DataFrame({"id": (np.arange(posts_n) + 2 * 10**18).astype(str), "platform": "x",
                          "author_id": ids[rng.integers(0, n, posts_n)],
                          "text": [f"post #{t[0]}" if t else "post" for t in hashtags], "hashtags": hashtags})
    src = rng.integers(0, n, edges)
    dst = np.minimum((rng.pareto(1.3, edges) * 20).astype(np.int64), n - 1)
    draw = rng.random(edges)
    kinds = np.where(draw < 0.5, "follow", np.where(draw < 0.8, "repost", np.where(draw < 0.9, "reply", "mention")))
    post_ids = posts["id"].to_numpy()[rng.integers(0, posts_n, edges)].astype(str)
    frame = pl.DataFrame({"src": ids[src], "dst": ids[dst], "kind": kinds, "post_id": post_ids, "platform": "x"}).with_columns(
        pl.when(pl.col("kind") == "follow").then(pl.lit(None, pl.String)).otherwise(pl.col("post_id")).alias("post_id"))
    frame = frame.filter(pl.col("src") != pl.col("dst")).unique(["src", "dst", "kind", "post_id"], maintain_order=True)
    accounts = pl.DataFrame({"id": ids, "platform": "x", "handle": [f"user{i}" for i in range(n)],
                             "followers": rng.integers(0, 100_000, n)})
    ws = Workspace(folder / "ws")
    ws.commit(Batch(accounts=conform(accounts, "accounts"), posts=conform(posts, "posts"), edges=conform(frame, "edges")))
    index = pl.DataFrame({"id": ids, "ix": np.arange(n)})
    ends = (frame.select("src", "dst").unique().join(index.rename({"id": "src", "ix": "s"}), on="src")
            .join(index.rename({"id": "dst", "ix": "d"}), on="dst"))
    np.save(folder / "ends.npy", np.column_stack([ends["s"].to_numpy(), ends["d"].to_numpy()]))
    frame.select("src", "dst", "kind", "post_id").write_csv(folder / "edges.csv")
    return [str(folder / "ws"), str(folder / "ends.npy"), str(folder / "edges.csv")]


def main() -> None:
    args = parse_args(__doc__)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_inputs(Path(tmp), args.edges, args.seed)
        for step, runs in STEPS.items():
            measured = {}
            for label, code in runs.items():
                cap = args.networkx_timeout if "networkx" in label else 3600
                measured[label] = run_step(textwrap.dedent(code), paths, cap)
            peers = [m["seconds"] for label, m in measured.items() if label.startswith("peer") and m["seconds"]]
            fastest = min(peers) if peers else None
            for label, m in measured.items():
                ratio = (m["seconds"] / fastest) if (fastest and m["seconds"] and not label.startswith("peer")) else None
                rows.append({"step": step, "who": label, **m, "ratio_to_fastest_peer": ratio})
    print(f"pipeline on {args.edges:,} generated edges (seed {args.seed}); seconds exclude imports and input loading")
    print(f"{'step / who':<62}{'seconds':>9}{'peak MB':>9}{'x fastest peer':>16}")
    current = None
    for row in rows:
        if row["step"] != current:
            current = row["step"]
            print(current)
        seconds = f"{row['seconds']:.2f}" if row["seconds"] is not None else "-"
        peak = f"{row['peak_mb']:.0f}" if row["peak_mb"] is not None else "-"
        ratio = f"{row['ratio_to_fastest_peer']:.2f}" if row["ratio_to_fastest_peer"] else ""
        print(f"  {row['who']:<60}{seconds:>9}{peak:>9}{ratio:>16}  {row.get('note', '')}")
    if args.json:
        args.json.write_text(json.dumps({"edges": args.edges, "seed": args.seed, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
