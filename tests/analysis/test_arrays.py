"""The array primitives of the hot paths equal their plain definitions (numpy's own functions, sets, group-bys)."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from influgraph.algorithms.arrays import repeated_in_sorted, sorted_unique
from influgraph.algorithms.rings import reciprocal_pairs
from influgraph.graph import build_from_rows, build_graph
from influgraph.schema import EDGE_KINDS, Batch, repeated_keys


@pytest.mark.parametrize("seed", range(5))
def test_sorted_unique_and_repeats_equal_numpy_and_counts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for values in (rng.integers(0, 50, 500), rng.integers(-10**15, 10**15, 2000), np.arange(100), np.zeros(0, np.int64),
                   np.array([7]), np.sort(rng.integers(0, 1000, 3000))):
        assert np.array_equal(sorted_unique(values), np.unique(values))
        distinct, counts = np.unique(values, return_counts=True)
        assert np.array_equal(repeated_in_sorted(np.sort(values)), distinct[counts > 1])


@pytest.mark.parametrize("seed", range(5))
def test_reciprocal_pairs_are_the_pairs_engaged_both_ways(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    src, dst = rng.integers(0, n, 600), rng.integers(0, n, 600)
    seen = set(zip(src.tolist(), dst.tolist()))
    expected = sorted((a, b) for a, b in seen if a < b and (b, a) in seen)
    assert expected and reciprocal_pairs(src, dst, n).tolist() == [list(p) for p in expected]


@pytest.mark.parametrize("keys", [2_000_000, 60_000])
def test_repeated_keys_marks_exactly_the_repeated_rows(keys: int) -> None:
    """Both ways of marking (a lookup of a few repeated hashes; an argsort when over 4,096 rows repeat) give
    polars' is_duplicated."""
    rng = np.random.default_rng(keys)
    frame = pl.DataFrame({"a": rng.integers(0, keys, 100_000).astype(str), "b": rng.integers(0, 2, 100_000)})
    expected = frame.select(pl.struct("a", "b").is_duplicated()).to_series()
    assert 0 < expected.sum() < frame.height and (expected.sum() > 4096) == (keys == 60_000)
    assert repeated_keys(frame, ["a", "b"]).to_list() == expected.to_list()


def test_a_graph_from_numbered_rows_equals_the_graph_built_from_the_keys() -> None:
    """`build_from_rows` (a niche subgraph's rows as vertex numbers) gives what `build_graph` gives from the same rows."""
    rng = np.random.default_rng(3)
    ids = np.array([f"u{i}" for i in range(60)])
    s, d, k = rng.integers(0, 60, 900), rng.integers(0, 60, 900), rng.integers(0, len(EDGE_KINDS), 900)
    weight = rng.integers(1, 4, 900).astype(float)
    edges = pl.DataFrame({"src": ids[s], "dst": ids[d], "kind": np.array(EDGE_KINDS)[k], "weight": weight, "platform": "x"})
    accounts = pl.DataFrame({"id": ids, "platform": "x"})
    whole = build_graph(Batch(accounts=accounts, edges=edges))
    number = {key: i for i, key in enumerate(whole.ids)}
    vs, vd = np.array([number[i] for i in ids[s]]), np.array([number[i] for i in ids[d]])
    order = np.lexsort((k, vd, vs))  # as the workspace stores them; unsorted rows take the general sum
    for rows in (order, np.arange(900)):
        built = build_from_rows(vs[rows], vd[rows], k[rows], weight[rows], whole)
        assert np.array_equal(built.ends, whole.ends) and np.array_equal(built.weight, whole.weight)
        assert built.self_loops == whole.self_loops > 0 and built.ids == whole.ids
        assert all(np.array_equal(built.kind_weights[kind], whole.kind_weights[kind]) for kind in EDGE_KINDS)
