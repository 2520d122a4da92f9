"""Community detection benchmark: influgraph against raw igraph and networkx, same graph, same run.

    python benchmarks/bench_communities.py --edges 1000000

The graph is a seeded directed planted partition (100 communities, 80% of edges inside).
"influgraph communities" is the whole library call: graph build, symmetrisation, Leiden until
stable, connectivity check, roles and profiles. The raw igraph rows time the algorithm alone
on a prebuilt undirected graph. networkx is capped by --networkx-timeout.
"""
from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from harness import finish, parse_args, run_steps

LOAD_BATCH = """
    import polars as pl
    from influgraph.schema import Batch
    edges = pl.read_parquet(ARGS[0])
    batch = Batch(edges=edges.with_columns(kind=pl.lit("mention"), platform=pl.lit("x")))
"""
LOAD_IGRAPH = """
    import igraph as ig, numpy as np, polars as pl
    edges = pl.read_parquet(ARGS[0])
    g = ig.Graph(n=int(ARGS[1]), edges=np.column_stack([edges["s"].to_numpy(), edges["d"].to_numpy()]), directed=True)
    g.es["weight"] = 1.0
    g.to_undirected(mode="collapse", combine_edges={"weight": "sum"})
"""
STEPS = {
    "influgraph communities (leiden, whole call)": (LOAD_BATCH, """
        from influgraph.communities import detect_communities
        start()
        result = detect_communities(batch, seed=1)
        NOTE = f"Q={result.modularity:.4f}, {result.profiles.height} communities"
    """),
    "peer: igraph leiden until stable (algorithm only)": (LOAD_IGRAPH, """
        start()
        p = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
        NOTE = f"Q={g.modularity(p.membership, weights='weight'):.4f}"
    """),
    "peer: igraph leiden, 2 iterations": (LOAD_IGRAPH, """
        start()
        p = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
        NOTE = f"Q={g.modularity(p.membership, weights='weight'):.4f}"
    """),
    "peer: igraph louvain (multilevel)": (LOAD_IGRAPH, """
        start()
        p = g.community_multilevel(weights="weight")
        NOTE = f"Q={g.modularity(p.membership, weights='weight'):.4f}"
    """),
    "peer: networkx louvain_communities": ("", """
        import networkx as nx, polars as pl
        edges = pl.read_parquet(ARGS[0])
        g = nx.Graph()
        g.add_edges_from(zip(edges["s"].to_list(), edges["d"].to_list()))
        start()
        parts = nx.community.louvain_communities(g, seed=1)
        NOTE = f"Q={nx.community.modularity(g, parts):.4f}"
    """),
}


def make_graph(folder: Path, edges: int, seed: int) -> tuple[Path, int]:
    """A seeded directed planted partition: 100 communities, 80% of edges inside one."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    nodes, groups = max(edges // 10, 200), 100
    src = rng.integers(0, nodes, edges)
    inside = rng.random(edges) < 0.8
    same = rng.integers(0, nodes // groups, edges) * groups + src % groups
    dst = np.where(inside, same, rng.integers(0, nodes, edges)) % nodes
    keep = src != dst
    frame = pl.DataFrame({"s": src[keep], "d": dst[keep]})
    frame = frame.with_columns(src=(pl.col("s") + 10**18).cast(pl.String), dst=(pl.col("d") + 10**18).cast(pl.String))
    path = folder / "edges.parquet"
    frame.write_parquet(path)
    return path, nodes


def main() -> None:
    args = parse_args(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        path, nodes = make_graph(Path(tmp), args.edges, args.seed)
        steps = {name: textwrap.dedent(load) + textwrap.dedent(code) for name, (load, code) in STEPS.items()}
        results = run_steps(steps, [str(path), str(nodes)], args.networkx_timeout)
    finish(f"{args.edges:,} generated edges, {nodes:,} accounts (seed {args.seed})", results, args.edges, args.json)


if __name__ == "__main__":
    main()
