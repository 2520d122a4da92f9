"""Graph build from a workspace vs scipy CSR from ready integer arrays, in one run (issue 17's build target).

Makes a workspace of `--edges` random edges (4 kinds, a tenth as many accounts, X-sized string
ids), then times, each in the same process one after the other and best of `--repeat`:

- `influgraph build_graph(ws)`: reads the stored integer endpoint columns (the vertex index),
  sums parallel edges per (src, dst) with per-kind sums;
- the same build without the index (what a workspace written before it pays: string ids mapped
  by polars joins);
- peer: `scipy.sparse.csr_matrix((ones, (src, dst)))` from the endpoint arrays already in memory
  (it also sums duplicates, but keeps no kinds), and from the same arrays in (src, dst) order
  (the order the workspace stores its edges in: scipy's conversion is then cache-friendly too).

Target: influgraph / scipy <= 3. Run: `python benchmarks/bench_build.py --edges 10000000`.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def make_workspace(folder: Path, edges: int, seed: int):
    import numpy as np
    import polars as pl

    from influgraph.schema import Batch
    from influgraph.workspace import Workspace

    rng = np.random.default_rng(seed)
    n = max(edges // 10, 100)
    ids = (np.arange(n) + 10**18).astype(str)
    src = rng.integers(0, n, edges)
    dst = np.minimum((rng.pareto(1.3, edges) * 20).astype(np.int64), n - 1)
    dst = np.where(dst == src, (dst + 1) % n, dst)  # no self-loops: the build would leave them out
    draw = rng.random(edges)
    kinds = np.where(draw < 0.5, "follow", np.where(draw < 0.8, "repost", np.where(draw < 0.9, "reply", "mention")))
    frame = pl.DataFrame({"src": ids[src], "dst": ids[dst], "kind": kinds, "platform": "x",
                          "post_id": (np.arange(edges) + 2 * 10**18).astype(str)})
    ws = Workspace(folder / "ws")
    began = time.perf_counter()
    ws.commit(Batch(accounts=pl.DataFrame({"id": ids, "platform": "x"}), edges=frame))
    return ws, src, dst, n, time.perf_counter() - began


def best(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import numpy as np
    from scipy import sparse

    from influgraph.graph import build_graph

    with tempfile.TemporaryDirectory() as tmp:
        ws, src, dst, n, commit_seconds = make_workspace(Path(tmp), args.edges, args.seed)
        print(f"{args.edges:,} edge rows, {n:,} accounts; import commit {commit_seconds:.1f} s", flush=True)
        ours, built = best(lambda: build_graph(ws), args.repeat)
        ones = np.ones(len(src))
        peer, matrix = best(lambda: sparse.csr_matrix((ones, (src, dst)), shape=(n, n)), args.repeat)
        assert matrix.nnz == len(built.ends), (matrix.nnz, len(built.ends))
        order = np.lexsort((dst, src))  # the same arrays in (src, dst) order, as the workspace stores them
        src_sorted, dst_sorted = src[order], dst[order]
        presorted, _ = best(lambda: sparse.csr_matrix((ones, (src_sorted, dst_sorted)), shape=(n, n)), args.repeat)
        ws.vertex_index = lambda: None  # the build of a workspace without the index: string ids, polars joins
        strings, _ = best(lambda: build_graph(ws), 1)
    print(f"{'who':<52}{'seconds':>9}{'x scipy':>9}")
    for who, seconds in (("influgraph build_graph (vertex index)", ours), ("influgraph build_graph (no index: string joins)", strings),
                         ("peer: scipy CSR from ready integer arrays", peer),
                         ("peer: scipy CSR, the arrays in (src, dst) order", presorted)):
        print(f"{who:<52}{seconds:>9.2f}{seconds / peer:>9.2f}")
    print(f"target <= 3x scipy from ready arrays: {'met' if ours <= 3 * peer else 'not met'} ({ours / peer:.2f}x; "
          f"{ours / presorted:.2f}x the CSR build from presorted arrays); "
          f"{built.n:,} vertices, {len(built.ends):,} edges")


if __name__ == "__main__":
    main()
