"""The whole pipeline at scale, step by step, against the peers measured on the same work in the same run.

    python benchmarks/bench_pipeline.py                      # 1M and 10M generated edges, then the real graphs
    python benchmarks/bench_pipeline.py --sizes 1000000 --no-real --json pipeline-1m.json

A seeded directed social graph (edges/10 accounts, 3 posts each, 5 niches with their own
hashtag on 4% of posts each; half the edges follows, the rest reposts, replies and mentions on
random posts, heavy-tailed attention) is written once as Parquet (the workspace's tables) and as
a CSV edge list (the import step's input). The real graphs in ../shared/data (Higgs mention,
email-Enron, Facebook100 Northwestern, MUSAE Facebook pages) are measured on the steps that need
no niche content. Every step runs in a fresh process; the table shows its wall time (library
imports and loading the inputs excluded) and the process's peak memory, and, for each
influgraph step, the ratio to the fastest peer on the same work. Peers: raw igraph calls, scipy
sparse matrices, networkit (when installed) and networkx (stopped after --networkx-timeout; above
2M edges only its whole-pipeline peer runs, as loading a graph alone outlasts the cap).
PageRank runs to the same L1 tolerance (1e-9) in influgraph and in the scipy peer.
"""
from __future__ import annotations

import json
import os
import platform
import tempfile
import textwrap
import time
from pathlib import Path

from harness import run_step

NICHES = 5
TOL = 1e-9
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
BANDWIDTH_HELPERS = """
            import time
            def _copy_seconds(a, b):
                t = time.perf_counter(); np.copyto(b, a); return time.perf_counter() - t
            def _power_iterations(m, out):
                n = m.shape[0]
                inverse = np.divide(1.0, out, out=np.zeros(n), where=out > 0)
                dangling = out <= 0
                x = np.full(n, 1.0 / n)
                for it in range(1, 10_001):
                    new = 0.85 * (m.T @ (x * inverse) + x[dangling].sum() / n) + 0.15 / n
                    done = np.abs(new - x).sum() < TOL
                    x = new
                    if done:
                        return it
                return it
"""
SCIPY_PAGERANK = """
            def scipy_pagerank(m, resets):
                out = np.asarray(m.sum(axis=1)).ravel()
                dangling = out == 0
                t = (sparse.diags(np.where(dangling, 0.0, 1.0 / np.maximum(out, 1))) @ m).T.tocsr()
                for reset in resets:
                    reset = reset / reset.sum()
                    x = reset.copy()
                    for _ in range(1000):
                        new = 0.85 * (t @ x + x[dangling].sum() * reset) + 0.15 * reset
                        done = np.abs(new - x).sum() < TOL
                        x = new
                        if done:
                            break
"""
LOAD_UNDIRECTED = LOAD_WS + """
            import numpy as np
            from influgraph.graph import build_graph
            from influgraph.algorithms.communities import modularity, undirected
            und = undirected(build_graph(ws))  # the graph detect_communities works on (kind weights, sum)
            def q(membership):
                return modularity(und, np.asarray(membership), 1.0)
"""
NX_GRAPH = """
            import networkx as nx
            g = nx.DiGraph(); g.add_edges_from(ends.tolist())
"""
# step -> {label: code}; the first entry of each step is influgraph, the others are peers.
# Steps marked NICHE need the generated niche content; the others also run on the real graphs.
STEPS: dict[str, dict[str, str]] = {
    "import (edge list -> workspace)": {
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
            csv = ARGS[2].endswith(".csv")
            with open(ARGS[2]) as handle:  # SNAP lists separate by tab or space
                sample = next(line for line in handle if not line.startswith(("#", "%")))
            df = pl.read_csv(ARGS[2], has_header=csv, separator="," if csv else ("\t" if "\t" in sample else " "),
                             comment_prefix="#" if not csv else None, infer_schema=False,
                             truncate_ragged_lines=True).select(pl.nth(0).alias("src"), pl.nth(1).alias("dst"))
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
            NOTE = f"{built.n:,} nodes, {len(built.ends):,} edges"
        """,
        "peer: scipy CSR from numpy arrays": LOAD_ARRAYS + """
            from scipy import sparse
            start()
            m = sparse.csr_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
        """,
        "peer: igraph from numpy arrays": LOAD_ARRAYS + """
            import igraph as ig
            start()
            g = ig.Graph(n=n, edges=ends, directed=True)
        """,
        "peer: networkit from numpy arrays": LOAD_ARRAYS + """
            import networkit as nk
            from scipy import sparse
            m = sparse.coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
            start()
            g = nk.GraphFromCoo(m, n, directed=True)
        """,
        "peer: networkx DiGraph": LOAD_ARRAYS + """
            import networkx as nx
            start()
            g = nx.DiGraph()
            g.add_edges_from(ends.tolist())
        """,
    },
    "NICHE ranking, one niche (all metrics but betweenness)": {
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
        "peer: networkx pagerank (alone)": LOAD_ARRAYS + NX_GRAPH + """
            start()
            nx.pagerank(g, tol=1e-9 / n)
        """,
    },
    "PageRank, whole graph": {
        "influgraph pagerank": LOAD_WS + """
            from influgraph.graph import build_graph
            from influgraph.algorithms.centrality import pagerank
            from influgraph.algorithms.kernels import start_runtime
            built = build_graph(ws)
            built.matrix
            start_runtime()  # numba's once-a-process start, a library start-up like the imports
            start()
            pagerank(built)
        """,
        "machine: memory-bandwidth bound of one PageRank (not a peer)": LOAD_WS + BANDWIDTH_HELPERS + """
            import numpy as np
            from influgraph.graph import build_graph
            from influgraph.algorithms.centrality import DANGLING_SHARE
            built = build_graph(ws)
            m = built.matrix
            n, edges = m.shape[0], m.nnz
            big = np.ones(1 << 27)  # 1 GB of float64
            copy = np.empty_like(big)
            np.copyto(copy, big)
            best = min(_copy_seconds(big, copy) for _ in range(3))
            bandwidth = 2 * big.nbytes / best  # a copy reads and writes every byte
            out = np.asarray(m.sum(axis=1)).ravel()
            iterations = _power_iterations(m, out)
            per_iteration = edges * (m.indices.itemsize + m.data.itemsize) + n * (m.indptr.itemsize + 16)
            start()
            NOTE = (f"bandwidth {bandwidth / 1e9:.1f} GB/s; {iterations} iterations x {per_iteration / 1e6:.0f} MB "
                    f"(matrix + read and write x) = bound {iterations * per_iteration / bandwidth:.3f} s"
                    + ("" if (out <= 0).mean() < DANGLING_SHARE else "; influgraph solves by levels here"))
        """,
        "peer: scipy sparse power iteration": LOAD_ARRAYS + """
            from scipy import sparse
            m = sparse.csr_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
        """ + SCIPY_PAGERANK + """
            start()
            scipy_pagerank(m, [np.ones(n)])
        """,
        "peer: igraph pagerank (PRPACK)": LOAD_ARRAYS + """
            import igraph as ig
            g = ig.Graph(n=n, edges=ends, directed=True)
            start()
            g.pagerank()
        """,
        "peer: networkit PageRank": LOAD_ARRAYS + """
            import networkit as nk
            from scipy import sparse
            g = nk.GraphFromCoo(sparse.coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n)), n, directed=True)
            start()
            pr = nk.centrality.PageRank(g, damp=0.85, tol=1e-9); pr.norm = nk.centrality.Norm.L1_NORM; pr.run()
        """,
        "peer: networkx pagerank": LOAD_ARRAYS + NX_GRAPH + """
            start()
            nx.pagerank(g, tol=1e-9 / n)
        """,
    },
    f"NICHE niche-personalised PageRank, {NICHES} niches": {
        "influgraph personalised_pagerank (5 columns at once)": LOAD_WS + """
            import numpy as np
            from influgraph.graph import build_graph
            from influgraph.algorithms.centrality import personalised_pagerank
            built = build_graph(ws)
            built.matrix
            resets = np.column_stack([(np.arange(built.n) % 25 == k).astype(float) for k in range(5)])
            start()
            personalised_pagerank(built, resets)
        """,
        "peer: scipy sparse power iteration (5 runs)": LOAD_ARRAYS + """
            from scipy import sparse
            m = sparse.csr_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n))
        """ + SCIPY_PAGERANK + """
            start()
            scipy_pagerank(m, [(np.arange(n) % 25 == k).astype(float) for k in range(5)])
        """,
        "peer: igraph personalized_pagerank (5 runs)": LOAD_ARRAYS + """
            import igraph as ig
            g = ig.Graph(n=n, edges=ends, directed=True)
            resets = [(np.arange(n) % 25 == k).astype(float).tolist() for k in range(5)]
            start()
            for reset in resets:
                g.personalized_pagerank(reset=reset)
        """,
    },
    "approximate betweenness (100 sources)": {
        "influgraph approximate_betweenness": LOAD_WS + """
            from influgraph.graph import build_graph
            from influgraph.algorithms.centrality import approximate_betweenness
            built = build_graph(ws)
            built.graph
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
        "peer: networkit EstimateBetweenness(100)": LOAD_ARRAYS + """
            import networkit as nk
            from scipy import sparse
            g = nk.GraphFromCoo(sparse.coo_matrix((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(n, n)), n, directed=True)
            start()
            nk.centrality.EstimateBetweenness(g, 100, normalized=False, parallel=True).run()
        """,
        "peer: networkx betweenness_centrality(k=100)": LOAD_ARRAYS + NX_GRAPH + """
            start()
            nx.betweenness_centrality(g, k=100, seed=1)
        """,
    },
    "communities (Leiden)": {
        "influgraph detect_communities (whole call)": LOAD_WS + """
            import influgraph.algorithms.louvain  # imported before the clock, as the peers' libraries are
            from influgraph.communities import detect_communities
            start()
            result = detect_communities(ws, runs=1, seed=1)
            NOTE = f"{result.profiles.height:,} communities, Q {result.modularity:.4f}"
        """,
        "influgraph fast_leiden (engine alone)": LOAD_UNDIRECTED + """
            from influgraph.algorithms.communities import find_partition
            start()
            NOTE = f"Q {q(find_partition('leiden', und, None, 1.0, 1)):.4f}"
        """,
        "peer: igraph community_leiden, 2 iterations": LOAD_UNDIRECTED + """
            g = und.graph
            start()
            NOTE = f"Q {q(g.community_leiden(objective_function='modularity', weights='weight', n_iterations=2).membership):.4f}"
        """,
        "peer: igraph community_leiden, until stable": LOAD_UNDIRECTED + """
            g = und.graph
            start()
            NOTE = f"Q {q(g.community_leiden(objective_function='modularity', weights='weight', n_iterations=-1).membership):.4f}"
        """,
        "peer: networkit PLM with refinement": LOAD_UNDIRECTED + """
            import networkit as nk
            from scipy import sparse
            g = nk.graph.GraphFromCsr(sparse.csr_matrix((und.weights, (und.ends[:, 0], und.ends[:, 1])), shape=(und.n, und.n)),
                                      directed=False, weighted=True)
            start()
            NOTE = f"Q {q(nk.community.PLM(g, refine=True).run().getPartition().getVector()):.4f}"
        """,
        "peer: networkx louvain": LOAD_ARRAYS + """
            import networkx as nx
            g = nx.Graph(); g.add_edges_from(ends.tolist())
            start()
            nx.community.louvain_communities(g, seed=1)
        """,
    },
    "NICHE shortlist (k = 50, one niche)": {
        "influgraph shortlist": LOAD_WS + """
            from influgraph.niches import NicheQuery
            from influgraph.rank import rank_niche
            from influgraph.shortlisting import shortlist
            query = NicheQuery(name="n0", hashtags=("niche0",))
            ranked = rank_niche(ws, query).table
            start()
            result = shortlist(ws, query, k=50, ranked=ranked)
            NOTE = f"reach {result.baselines['shortlist_reach']:,}"
        """,
    },
    "NICHE export (map of 1,000 accounts + GEXF of the niche)": {
        "influgraph write_map + gexf": LOAD_WS + """
            import tempfile
            from influgraph.exports import export
            from influgraph.niches import NicheQuery
            from influgraph.rank import rank_niche
            from influgraph.results import save_ranking
            save_ranking(ws, "n0", rank_niche(ws, NicheQuery(name="n0", hashtags=("niche0",))))
            folder = tempfile.mkdtemp()
            start()
            export(ws, "html", folder + "/map.html")
            export(ws, "gexf", folder + "/n0.gexf", niche="n0")
        """,
    },
    f"NICHE whole pipeline: import, build, rank {NICHES} niches, Leiden": {
        "influgraph import_paths + rank_niches + detect_communities": """
            import shutil, tempfile
            from influgraph import Workspace, import_paths, ImportOptions
            from influgraph.communities import detect_communities
            from influgraph.niches import NicheQuery
            from influgraph.rank import rank_niches
            folder = tempfile.mkdtemp() + "/ws"
            shutil.copytree(ARGS[3], folder)  # accounts and posts are there; the edges come from the CSV
            start()
            ws = Workspace(folder)
            import_paths(ws, [ARGS[2]], ImportOptions(platform="x"))  # the accounts' platform: one vertex per account
            ranked = rank_niches(ws, [NicheQuery(name=f"n{k}", hashtags=(f"niche{k}",)) for k in range(5)])
            found = detect_communities(ws, runs=1, seed=1)
            NOTE = f"{sum(r.table.height for r in ranked):,} ranked, {found.profiles.height:,} communities"
        """,
        "peer: networkx (read, DiGraph, 6 PageRanks, HITS, k-core, Louvain)": """
            import networkx as nx, numpy as np, polars as pl
            start()
            df = pl.read_csv(ARGS[2], infer_schema=False).select("src", "dst")
            g = nx.DiGraph(); g.add_edges_from(df.iter_rows())
            nodes = list(g)
            nx.pagerank(g, tol=1e-9 / len(nodes))
            for k in range(5):
                nx.pagerank(g, personalization={v: 1.0 for v in nodes[k::25]}, tol=1e-9 / len(nodes))
            nx.hits(g); nx.core_number(g.to_undirected()); nx.community.louvain_communities(g.to_undirected(), seed=1)
        """,
    },
}


def make_inputs(folder: Path, edges: int, seed: int) -> list[str]:
    """The workspace (Parquet tables), the edge endpoints as a numpy array, the CSV edge list, and a
    workspace holding only the accounts and posts (the pipeline imports the edges into a copy)."""
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
    Workspace(folder / "ws-posts").commit(Batch(accounts=conform(accounts, "accounts"), posts=conform(posts, "posts")))
    ws = Workspace(folder / "ws")
    ws.commit(Batch(accounts=conform(accounts, "accounts"), posts=conform(posts, "posts"), edges=conform(frame, "edges")))
    index = pl.DataFrame({"id": ids, "ix": np.arange(n)})
    ends = (frame.select("src", "dst").unique().join(index.rename({"id": "src", "ix": "s"}), on="src")
            .join(index.rename({"id": "dst", "ix": "d"}), on="dst"))
    np.save(folder / "ends.npy", np.column_stack([ends["s"].to_numpy(), ends["d"].to_numpy()]))
    frame.select("src", "dst", "kind", "post_id").write_csv(folder / "edges.csv")
    return [str(folder / "ws"), str(folder / "ends.npy"), str(folder / "edges.csv"), str(folder / "ws-posts")]


REAL_GRAPHS = {  # name -> (path under ../shared/data, importer format)
    "Higgs mention (SNAP)": ("higgs-twitter/higgs-mention_network.edgelist", "snap"),
    "email-Enron": ("networksci-book-extra/email-Enron_email-Enron.edges.gz", "snap"),
    "Facebook100 Northwestern": ("networksci-book-extra/socfb-Northwestern25_socfb-Northwestern25.edges.gz", "snap"),
    "MUSAE Facebook pages": ("musae-facebook-pages/musae_facebook_edges.csv", "csv"),
}


def real_inputs(folder: Path, relative: str, fmt: str) -> list[str] | None:
    """A real graph as the steps' inputs: imported workspace, endpoints array, and the original file."""
    import numpy as np

    from influgraph import ImportOptions, Workspace, import_paths
    from influgraph.graph import build_graph

    source = Path(__file__).resolve().parents[2] / "shared" / "data" / relative
    if not source.exists():
        return None
    columns = {"source_col": "id_1", "target_col": "id_2"} if fmt == "csv" else {}
    ws = Workspace(folder / "ws")
    import_paths(ws, [source], ImportOptions(format=fmt, **columns))
    np.save(folder / "ends.npy", build_graph(ws).ends)
    if source.suffix == ".gz":  # the raw-polars peer reads plain text
        import gzip

        plain = folder / source.stem
        plain.write_bytes(gzip.decompress(source.read_bytes()))
        source = plain
    if fmt == "csv":
        renamed = folder / "edges.csv"
        renamed.write_text(source.read_text().replace("id_1,id_2", "src,dst", 1))
        source = renamed
    return [str(folder / "ws"), str(folder / "ends.npy"), str(source), ""]


def measure(dataset: str, paths: list[str], niches: bool, networkx_timeout: float, step_timeout: float,
            networkx_steps: bool = True) -> list[dict]:
    """Every step on one dataset, each influgraph call and peer in a fresh process; rows print as they come."""
    rows = []
    print(f"== {dataset}", flush=True)
    for step, runs in STEPS.items():
        if step.startswith("NICHE") and not niches:
            continue
        measured = {}
        for label, code in runs.items():
            cap = networkx_timeout if "networkx" in label else step_timeout * (3 if "pipeline" in step else 1)
            if "networkx" in label and not networkx_steps and "pipeline" not in step:
                measured[label] = {"seconds": None, "peak_mb": None, "note": "not run: loading alone outlasts the cap here"}
                continue
            measured[label] = run_step(textwrap.dedent(code).replace("TOL", repr(TOL)), paths, cap)
            print(f"  {step.removeprefix('NICHE ')[:40]:<40} {label[:50]:<50} {measured[label]}", flush=True)
        peers = [m["seconds"] for label, m in measured.items() if label.startswith("peer") and m["seconds"]]
        fastest = min(peers) if peers else None
        for label, m in measured.items():
            ours = not label.startswith(("peer", "machine"))
            ratio = (m["seconds"] / fastest) if (fastest and m["seconds"] and ours) else None
            rows.append({"dataset": dataset, "step": step.removeprefix("NICHE "), "who": label, **m,
                         "ratio_to_fastest_peer": ratio})
    return rows


def print_rows(rows: list[dict]) -> None:
    print(f"{'step / who':<66}{'seconds':>9}{'peak MB':>9}{'x fastest peer':>16}")
    dataset = step = None
    for row in rows:
        if row["dataset"] != dataset:
            dataset, step = row["dataset"], None
            print(f"== {dataset}")
        if row["step"] != step:
            step = row["step"]
            print(step)
        seconds = f"{row['seconds']:.2f}" if row["seconds"] is not None else "-"
        peak = f"{row['peak_mb']:.0f}" if row["peak_mb"] is not None else "-"
        ratio = f"{row['ratio_to_fastest_peer']:.2f}" if row["ratio_to_fastest_peer"] else ""
        print(f"  {row['who'][:64]:<64}{seconds:>9}{peak:>9}{ratio:>16}  {row.get('note', '')}")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,10000000", help="generated graph sizes in edges, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-real", action="store_true", help="skip the real graphs of ../shared/data")
    parser.add_argument("--networkx-timeout", type=float, default=60, help="seconds before a networkx step is stopped")
    parser.add_argument("--step-timeout", type=float, default=150, help="seconds before any other step is stopped")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--only", default="", help="comma-separated parts of step names: run only those steps")
    args = parser.parse_args()
    if args.only:
        wanted = [part.strip().lower() for part in args.only.split(",") if part.strip()]
        for step in [s for s in STEPS if not any(part in s.lower() for part in wanted)]:
            del STEPS[step]
    began = time.perf_counter()
    rows: list[dict] = []
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        with tempfile.TemporaryDirectory() as tmp:
            paths = make_inputs(Path(tmp), size, args.seed)
            rows += measure(f"generated, {size:,} edges", paths, True, args.networkx_timeout, args.step_timeout,
                            networkx_steps=size <= 2_000_000)
    if not args.no_real:
        for name, (relative, fmt) in REAL_GRAPHS.items():
            with tempfile.TemporaryDirectory() as tmp:
                paths = real_inputs(Path(tmp), relative, fmt)
                if paths is None:
                    print(f"{name}: not found under ../shared/data, skipped")
                    continue
                rows += measure(name, paths, False, args.networkx_timeout, args.step_timeout)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {_memory_gib():.0f} GiB, Python {platform.python_version()}"
    print(f"\npipeline benchmark on {machine}; seconds exclude imports and input loading; took {time.perf_counter() - began:.0f} s")
    print_rows(rows)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "seed": args.seed, "rows": rows}, indent=1))


def _memory_gib() -> float:
    with open("/proc/meminfo") as info:
        return int(info.readline().split()[1]) / 1024**2


if __name__ == "__main__":
    main()
