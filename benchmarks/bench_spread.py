"""Spread shortlist benchmark: influgraph's OPIM-C against pynetim's OPIM-C, same graph, same epsilon, same run.

    python benchmarks/bench_spread.py --edges 9000000      # 1M nodes, k = 50, epsilon = 0.1

A seeded directed social graph (edges/9 accounts; uniform actors, heavy-tailed attention) under
the independent cascade, influence flowing from the account that receives attention to the one
that gives it (as in `shortlist --objective spread`); edge probabilities by the weighted cascade
(1 / in-degree, the OPIM-C paper's benchmark model; `--model p05`: 0.05 each, shortlist's default).
Both tools choose k seeds by OPIM-C (Tang et al., SIGMOD 2018) at the same epsilon (delta = 1/n);
the expected spread of both seed sets is then estimated by the same Monte Carlo in the same run:
1,000,000 fresh reverse-reachable sets, shared by both (n x the share of sets a seed set meets is
an unbiased estimate of its spread; forward cascades of hubs under the weighted cascade are too
wide to simulate 1,000 times here). Needs `pip install -e '.[bench]'`.
"""
from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from pathlib import Path

from harness import print_table, run_step

LOAD = """
    import numpy as np
    from scipy import sparse
    data = np.load(ARGS[0])
    n, k, eps = int(data["n"]), int(ARGS[1]), float(ARGS[2])
    reverse = sparse.csr_matrix((data["p"], (data["src"], data["dst"])), shape=(n, n))  # row v: where v's RR set goes
"""
STEPS = {
    "influgraph opim_c": """
        from influgraph.algorithms.coverage import opim_c
        start()
        found = opim_c(reverse, np.arange(n), np.arange(n), k, epsilon=eps, seed=1)
        np.save(ARGS[3], np.asarray(found.seeds))
        NOTE = f"{found.samples:,} RR sets per collection, approximation >= {found.approximation:.3f}"
    """,
    "peer: pynetim OPIMCAlgorithm": """
        import pynetim
        forward = reverse.T.tocsr()  # pynetim: u -> v means u can activate v
        graph = pynetim.from_scipy_sparse(forward, directed=True)
        start()
        seeds = pynetim.OPIMCAlgorithm(graph, "IC", random_seed=1).run(k=k, epsilon=eps)
        np.save(ARGS[4], np.asarray(sorted(seeds)))
        NOTE = f"{len(seeds)} seeds"
    """,
}
MONTE_CARLO = """
    from influgraph.algorithms.coverage import _sample
    start()
    sets, members = _sample(reverse, np.arange(n), np.arange(n), 1_000_000, np.random.default_rng(7), 0)
    def spread(seeds):
        chosen = np.zeros(n, dtype=bool)
        chosen[seeds] = True
        hit = np.zeros(1_000_000, dtype=bool)
        hit[sets[chosen[members]]] = True
        return float(hit.mean() * n)
    ours, theirs = (spread(np.load(path)) for path in ARGS[3:5])
    NOTE = json.dumps({"influgraph": ours, "pynetim": theirs})
"""


def make_graph(path: Path, edges: int, seed: int, model: str = "wc") -> int:
    """Uniform actors, heavy-tailed (Pareto) attention, self-loops and repeats dropped. Edge probabilities: the
    weighted cascade (`wc`, the benchmark model of the OPIM-C paper: 1 / in-degree of the account influenced) or
    p = 0.05 each (`p05`, `shortlist`'s default)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = edges // 9
    src = rng.integers(0, n, edges)
    dst = rng.permutation(n)[np.minimum((rng.pareto(1.3, edges) * 20).astype(np.int64), n - 1)]
    code = np.unique(src[src != dst] * n + dst[src != dst])
    src, dst = code // n, code % n
    p = 1.0 / np.bincount(src, minlength=n)[src] if model == "wc" else np.full(len(code), 0.05)
    np.savez(path, n=n, src=src, dst=dst, p=p)
    return n


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", type=int, default=9_000_000)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", choices=("wc", "p05"), default="wc", help="edge probabilities (see make_graph)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "graph.npz"
        n = make_graph(graph, args.edges, args.seed, args.model)
        paths = [str(graph), str(args.k), str(args.epsilon), str(Path(tmp) / "ours.npy"), str(Path(tmp) / "theirs.npy")]
        results = {name: run_step(textwrap.dedent(LOAD) + textwrap.dedent(code), paths, 3600) for name, code in STEPS.items()}
        spread = run_step("import json\n" + textwrap.dedent(LOAD) + textwrap.dedent(MONTE_CARLO), paths, 3600)
    results["Monte Carlo: 1,000,000 shared RR sets"] = spread
    print_table(f"{n:,} nodes, {args.edges:,} generated edges, {args.model}, k = {args.k}, epsilon = {args.epsilon}", results)
    ours, peer = results["influgraph opim_c"], results["peer: pynetim OPIMCAlgorithm"]
    if ours["seconds"] and peer["seconds"] and spread["seconds"] is not None:
        values = json.loads(spread["note"])
        print(f"time ratio {ours['seconds'] / peer['seconds']:.2f}; spread {values['influgraph']:.1f} vs "
              f"{values['pynetim']:.1f} ({100 * (values['influgraph'] / values['pynetim'] - 1):+.1f}%)")
    if args.json:
        args.json.write_text(json.dumps({"edges": args.edges, "results": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
