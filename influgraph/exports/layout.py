"""Where the map places each account: igraph's Fruchterman-Reingold on the view, seeded, in pixels.

Positions are computed before drawing (physics is off in the page), so a map opens interactive
at once. `seed` draws the starting positions and seeds igraph's own random generator for the
run (Fruchterman-Reingold draws from it too), so the same view and seed give the same map.
"""
from __future__ import annotations

import random

import igraph as ig
import numpy as np
import polars as pl

from .views import GraphView

__all__ = ["layout"]


def layout(view: GraphView, seed: int = 0) -> np.ndarray:
    """Node positions (n, 2) in pixels, one row per node of `view` in its order.

    The edges are read as undirected; the start is uniform in a square of side 2 * sqrt(n) drawn
    from `seed`, 300 iterations follow, and the result is centred and scaled to 40 * sqrt(n) + 200
    pixels from the centre at most.

    Example: ``layout(graph_view(read_view_data(ws), max_nodes=100), seed=1).shape == (100, 2)``.
    """
    n = view.nodes.height
    if n == 0:
        return np.zeros((0, 2))
    index = pl.DataFrame({"id": view.nodes["id"], "ix": np.arange(n)})
    ends = (view.edges.select("src", "dst").join(index.rename({"id": "src", "ix": "s"}), on="src")
            .join(index.rename({"id": "dst", "ix": "d"}), on="dst"))
    graph = ig.Graph(n=n, edges=np.column_stack([ends["s"].to_numpy(), ends["d"].to_numpy()]).tolist(), directed=False)
    start = np.random.default_rng(seed).uniform(-1, 1, size=(n, 2)) * np.sqrt(n)
    ig.set_random_number_generator(random.Random(seed))
    try:
        positions = np.asarray(graph.layout_fruchterman_reingold(seed=start.tolist(), niter=300, grid="nogrid").coords)
    finally:
        ig.set_random_number_generator(random)
    positions -= positions.mean(axis=0)
    spread = np.abs(positions).max() or 1.0
    return positions / spread * (40 * np.sqrt(n) + 200)
