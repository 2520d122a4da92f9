"""Community detection benchmark: influgraph against raw igraph and networkx, same graph, same run.

    python benchmarks/bench_communities.py --edges 1000000

The graph is a seeded directed planted partition (100 communities, 80% of edges inside).
"influgraph communities" is the whole library call: graph build, symmetrisation, the engine,
connectivity, roles and profiles. "fast_leiden" is the engine alone (parallel Louvain with
refinement, connected parts, Leiden polish on small graphs) on the prebuilt undirected graph;
the peers run on that same weighted undirected graph, and every modularity (Q) is computed by
the same function. networkx is capped by --networkx-timeout.
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
# the same undirected weighted graph for every engine: influgraph's own symmetrisation of the batch
LOAD_UNDIRECTED = LOAD_BATCH + """
    import numpy as np
    from influgraph.graph import build_graph
    from influgraph.algorithms.communities import modularity, undirected
    und = undirected(build_graph(batch))
    def q(membership):
        return modularity(und, np.asarray(membership), 1.0)
"""
LOAD_IGRAPH = LOAD_UNDIRECTED + """
    g = und.graph
"""
LOAD_NETWORKIT = LOAD_UNDIRECTED + """
    import networkit as nk
    from scipy import sparse
    g = nk.graph.GraphFromCsr(sparse.csr_matrix((und.weights, (und.ends[:, 0], und.ends[:, 1])), shape=(und.n, und.n)),
                              directed=False, weighted=True)
"""
STEPS = {
    "influgraph communities (leiden, whole call)": (LOAD_BATCH, """
        from influgraph.communities import detect_communities
        start()
        result = detect_communities(batch, seed=1)
        NOTE = f"Q={result.modularity:.4f}, {result.profiles.height} communities"
    """),
    "influgraph fast_leiden (engine alone)": (LOAD_UNDIRECTED, """
        from influgraph.algorithms.communities import find_partition
        start()
        p = find_partition("leiden", und, None, 1.0, 1)
        NOTE = f"Q={q(p):.4f}"
    """),
    "peer: networkit PLM with refinement": (LOAD_NETWORKIT, """
        start()
        p = nk.community.PLM(g, refine=True).run().getPartition()
        NOTE = f"Q={q(p.getVector()):.4f}"
    """),
    "peer: networkit ParallelLeiden": (LOAD_NETWORKIT, """
        start()
        p = nk.community.ParallelLeiden(g).run().getPartition()
        NOTE = f"Q={q(p.getVector()):.4f}"
    """),
    "peer: igraph leiden until stable (algorithm only)": (LOAD_IGRAPH, """
        start()
        p = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
        NOTE = f"Q={q(p.membership):.4f}"
    """),
    "peer: igraph leiden, 2 iterations": (LOAD_IGRAPH, """
        start()
        p = g.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
        NOTE = f"Q={q(p.membership):.4f}"
    """),
    "peer: igraph louvain (multilevel)": (LOAD_IGRAPH, """
        start()
        p = g.community_multilevel(weights="weight")
        NOTE = f"Q={q(p.membership):.4f}"
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
