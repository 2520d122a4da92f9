"""Import and graph-build benchmark: influgraph against raw peers, same data, same run.

Each step runs in a fresh Python process; the table shows wall time of the step (imports of
libraries excluded) and the peak resident memory of that process.

    python benchmarks/bench_import.py --edges 1000000
    python benchmarks/bench_import.py --edges 200000 --json results.json

Peers: polars `read_csv` + `igraph.Graph` built from numpy arrays (the raw engine influgraph
wraps), and networkx `read_weighted_edgelist` (capped by --networkx-timeout).
"""
from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from harness import finish, parse_args, run_steps

STEPS = {
    "influgraph import (csv -> workspace)": """
        from influgraph import Workspace, import_paths, ImportOptions
        start()
        import_paths(Workspace(WS), [CSV], ImportOptions(kind="repost"))
        """,
    "influgraph build graph (workspace -> igraph)": """
        from influgraph import Workspace, build_graph
        start()
        g = build_graph(Workspace(WS)).graph
        assert g.ecount() > 0
        """,
    "peer: polars read_csv + igraph from numpy": """
        import polars as pl, igraph as ig, numpy as np
        start()
        df = pl.read_csv(CSV, schema={"source": pl.String, "target": pl.String, "weight": pl.Float64})
        df = df.group_by("source", "target").agg(pl.col("weight").sum())
        ids = pl.concat([df["source"], df["target"]]).unique().sort()
        index = pl.DataFrame({"id": ids}).with_row_index("ix")
        e = df.join(index, left_on="source", right_on="id").join(index, left_on="target", right_on="id", suffix="_t")
        g = ig.Graph(n=ids.len(), directed=True)
        g.add_edges(np.column_stack([e["ix"].to_numpy(), e["ix_t"].to_numpy()]))
        g.es["weight"] = e["weight"].to_numpy()
        """,
    "peer: networkx read_weighted_edgelist": """
        import networkx as nx
        start()
        g = nx.read_weighted_edgelist(SNAP, create_using=nx.DiGraph, nodetype=str)
        """,
}

def make_graph(folder: Path, edges: int, seed: int) -> tuple[Path, Path]:
    """A seeded directed heavy-tailed graph as CSV (with header) and as a SNAP edge list."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    nodes = max(edges // 10, 10)
    src = rng.integers(0, nodes, edges)
    dst = np.minimum((rng.pareto(1.2, edges) * 10).astype(np.int64), nodes - 1)
    frame = pl.DataFrame({"source": (src + 10**18).astype(str), "target": (dst + 10**18).astype(str),
                          "weight": rng.integers(1, 5, edges).astype(float)})
    frame = frame.filter(pl.col("source") != pl.col("target"))
    csv, snap = folder / "edges.csv", folder / "edges.txt"
    frame.write_csv(csv)
    frame.write_csv(snap, separator=" ", include_header=False)
    return csv, snap


def main() -> None:
    args = parse_args(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv, snap = make_graph(folder, args.edges, args.seed)
        steps = {name: "CSV, SNAP, WS = ARGS\n" + textwrap.dedent(code) for name, code in STEPS.items()}
        results = run_steps(steps, [str(csv), str(snap), str(folder / "ws")], args.networkx_timeout)
    finish(f"{args.edges:,} generated edges (seed {args.seed})", results, args.edges, args.json)


if __name__ == "__main__":
    main()
