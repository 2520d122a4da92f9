"""The spread objective's engine: OPIM-C's guarantee, RR sets against forward cascades, Monte Carlo (algorithms/coverage.py)."""
from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest
from scipy import sparse

from influgraph.algorithms.coverage import expected_spread, live_probabilities, opim_c, reverse_reachable_sets


def _social(n: int = 2000, m: int = 12_000, seed: int = 3) -> tuple[sparse.csr_matrix, pl.DataFrame, pl.Series]:
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = np.minimum((rng.pareto(1.2, m) * 5).astype(np.int64), n - 1)
    keep = src != dst
    nodes = pl.Series([f"a{i:05d}" for i in range(n)])
    edges = pl.DataFrame({"src": nodes.to_numpy()[src[keep]], "dst": nodes.to_numpy()[dst[keep]], "weight": 1.0})
    return live_probabilities(edges, nodes, 0.1), edges, nodes


def test_rr_sets_estimate_the_forward_cascade_spread() -> None:
    """RIS identity: n * P(S meets a random RR set) = expected spread of S (Borgs et al. 2014)."""
    reverse, edges, nodes = _social()
    n = len(nodes)
    seeds = np.array([0, 1, 2, 3, 4])
    sets, members = reverse_reachable_sets(edges, nodes, np.arange(n), samples=40_000, p=0.1, seed=5)
    hit = np.unique(sets[np.isin(members, seeds)]).size
    assert hit * n / 40_000 == pytest.approx(expected_spread(reverse.T.tocsr(), seeds, runs=4000, seed=1), rel=0.03)


def test_opim_c_reaches_its_guarantee_and_the_spread_of_greedy_by_monte_carlo() -> None:
    reverse, _, nodes = _social()
    n = len(nodes)
    found = opim_c(reverse, np.arange(n), np.arange(n), 5, epsilon=0.1, seed=2)
    assert found.approximation >= 1 - 1 / np.e - 0.1 and len(found.seeds) == 5
    forward = reverse.T.tocsr()
    ours = expected_spread(forward, np.array(found.seeds), runs=3000, seed=9)
    # greedy on Monte Carlo estimates over the 30 most attended accounts (the textbook baseline)
    pool = np.argsort(-np.asarray(reverse.sum(axis=0)).ravel())[:30]
    chosen: list[int] = []
    for _ in range(5):
        best = max((c for c in pool if c not in chosen),
                   key=lambda c: expected_spread(forward, np.array(chosen + [c]), runs=400, seed=4))
        chosen.append(int(best))
    assert ours >= 0.97 * expected_spread(forward, np.array(chosen), runs=3000, seed=9)
    assert found.spread_lower <= found.spread_estimate * 1.001


def test_opim_c_is_seeded_and_respects_the_sample_cap() -> None:
    reverse, _, nodes = _social()
    n = len(nodes)
    a = opim_c(reverse, np.arange(n), np.arange(n), 3, seed=7)
    b = opim_c(reverse, np.arange(n), np.arange(n), 3, seed=7)
    assert a.seeds == b.seeds and a.samples == b.samples
    capped = opim_c(reverse, np.arange(n), np.arange(n), 3, epsilon=0.01, max_samples=500, seed=7)
    assert capped.samples == 500 and capped.sets.max() < 500


def test_only_candidates_can_be_seeds() -> None:
    reverse, _, nodes = _social()
    n = len(nodes)
    row_of = np.full(n, -1)
    row_of[100:200] = np.arange(100)  # only accounts 100..199 are candidates, as rows 0..99
    found = opim_c(reverse, np.arange(n), row_of, 4, seed=1)
    assert all(0 <= s < 100 for s in found.seeds) and found.rows.max() < 100


def test_expected_spread_of_a_certain_chain_is_its_length() -> None:
    chain = nx.path_graph(6, create_using=nx.DiGraph)
    matrix = sparse.csr_matrix(nx.to_scipy_sparse_array(chain, nodelist=range(6)))
    assert expected_spread(matrix, np.array([0]), runs=50) == 6.0
    assert expected_spread(matrix, np.array([3, 4]), runs=50) == 3.0
