"""Where the map places each account: a community-aware "group in a box" layout, seeded, in pixels.

Definition. Accounts with at least one edge in the view are grouped by community (communities
with fewer than `MIN_GROUP` drawn members share one "other" group). Each group is laid out on
its own with Fruchterman-Reingold on the edges inside it (Fruchterman & Reingold 1991, igraph; its
grid variant and fewer iterations for groups of 1,000 and above `LARGE_GROUP`) and scaled to a disc whose area grows with the group's size.
The discs are then placed by a force layout of the community graph (one node per group, edge
weights = edges between the groups), and pushed apart until no two discs overlap, so
communities sit apart and their members together: the group-in-a-box idea of Rodrigues et al.
(2011, "Group-in-a-Box Layout for Multi-faceted Analysis of Communities") with discs for boxes.
Accounts with no edge in the view are packed in a tight grid below the drawing, out of the way,
in score order.

Positions are computed before drawing (physics is off in the page), so a map opens interactive
at once. `seed` draws the starting positions and seeds igraph's own random generator for the
run (both layouts draw from it too), so the same view and seed give the same map; the global
`random` generator is left as it was. Everything runs in numpy and igraph: no Python loop over
edges (the loop is over groups).
"""
from __future__ import annotations

import random

import igraph as ig
import numpy as np
import polars as pl

from .views import GraphView

__all__ = ["layout", "edge_index", "MIN_GROUP", "LARGE_GROUP", "NODE_SPACING"]

MIN_GROUP = 3  # communities with fewer drawn members go to the "other" group
LARGE_GROUP = 3000  # above this, a group gets 100 Fruchterman-Reingold iterations (grid variant) instead of 150
NODE_SPACING = 30.0  # pixels: a group of n accounts gets a disc of radius NODE_SPACING * sqrt(n)
ISOLATE_SPACING = 14.0  # pixels between accounts with no edge in the view


def edge_index(view: GraphView) -> np.ndarray:
    """The view's edges as (m, 2) row numbers of its nodes (edges to nodes outside the view left out).

    Example: ``edge_index(view).shape[1] == 2``.
    """
    n = view.nodes.height
    index = pl.DataFrame({"id": view.nodes["id"], "ix": np.arange(n)})
    ends = (view.edges.select("src", "dst").join(index.rename({"id": "src", "ix": "s"}), on="src")
            .join(index.rename({"id": "dst", "ix": "d"}), on="dst"))
    return np.column_stack([ends["s"].to_numpy(), ends["d"].to_numpy()]).astype(np.int64).reshape(-1, 2)


def _groups(view: GraphView, connected: np.ndarray) -> np.ndarray:
    """Group number per node (0 = largest), -1 for nodes with no edge; small communities share the last group."""
    community = (view.nodes["community"].fill_null(-1).to_numpy().astype(np.int64) if "community" in view.nodes.columns
                 else np.full(view.nodes.height, -1, dtype=np.int64))
    community = np.where(connected, community, np.iinfo(np.int64).min)
    values, inverse, counts = np.unique(community, return_inverse=True, return_counts=True)
    small = (counts < MIN_GROUP) | (values == -1)
    key = np.where(small[inverse], np.iinfo(np.int64).max, community)
    key = np.where(connected, key, np.iinfo(np.int64).min)
    values, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    real = values != np.iinfo(np.int64).min
    order = np.lexsort((values, -counts))  # by size, then community number
    order = order[real[order]]
    rank = np.full(len(values), -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[inverse]


def _local(size: int, edges: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions of one group in the unit disc (its own edges only)."""
    if size == 1:
        return np.zeros((1, 2))
    graph = ig.Graph(n=size, edges=edges.tolist(), directed=False)
    start = rng.uniform(-1, 1, size=(size, 2)) * np.sqrt(size)
    niter = 300 if size < 1000 else 150 if size <= LARGE_GROUP else 100
    coords = np.asarray(graph.layout_fruchterman_reingold(seed=start.tolist(), niter=niter,
                                                          grid="nogrid" if size < 1000 else "grid").coords, dtype=float)
    coords -= np.median(coords, axis=0)
    radius = np.linalg.norm(coords, axis=1)
    scale = np.quantile(radius, 0.97) or radius.max() or 1.0
    coords /= scale
    far = np.linalg.norm(coords, axis=1) > 1.0  # outliers (unconnected parts) pulled onto the rim
    coords[far] /= np.linalg.norm(coords[far], axis=1, keepdims=True)
    return coords


def _centres(radii: np.ndarray, between: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Disc centres: a force layout of the group graph, then discs pushed apart until none overlap."""
    k = len(radii)
    if k == 1:
        return np.zeros((1, 2))
    start = rng.uniform(-1, 1, size=(k, 2)) * radii.sum()
    if len(between):
        graph = ig.Graph(n=k, edges=between[:, :2].astype(int).tolist(), directed=False)
        centres = np.asarray(graph.layout_fruchterman_reingold(seed=start.tolist(), weights=between[:, 2].tolist(),
                                                               niter=500).coords, dtype=float)
    else:
        centres = start
    centres *= radii.sum() / (np.abs(centres).max() or 1.0)
    gap = NODE_SPACING * 2
    for _ in range(400):  # separation: k discs, O(k^2) numpy per step
        delta = centres[:, None, :] - centres[None, :, :]
        dist = np.linalg.norm(delta, axis=2) + np.eye(k)
        need = radii[:, None] + radii[None, :] + gap
        push = np.clip(need - dist, 0, None) * (1 - np.eye(k))
        if not push.any():
            break
        centres += (delta / dist[:, :, None] * push[:, :, None] * 0.5).sum(axis=1) / np.maximum((push > 0).sum(axis=1), 1)[:, None]
        centres *= 0.995  # a little gravity keeps the drawing compact
    return centres - centres.mean(axis=0)


def _pack_isolates(count: int, positions: np.ndarray, connected: np.ndarray) -> np.ndarray:
    """Grid positions below the drawing for `count` accounts with no edge, as wide as the drawing."""
    if connected.any():
        drawn = positions[connected]
        left, right, bottom = drawn[:, 0].min(), drawn[:, 0].max(), drawn[:, 1].max()
    else:
        left, right, bottom = 0.0, 0.0, 0.0
    columns = max(int((right - left) // ISOLATE_SPACING) + 1, int(np.ceil(np.sqrt(count * 3))), 1)
    i = np.arange(count)
    return np.column_stack([left + (i % columns) * ISOLATE_SPACING, bottom + NODE_SPACING * 3 + (i // columns) * ISOLATE_SPACING])


def _place(n: int, ends: np.ndarray, group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions of the connected nodes (rows where group >= 0), group by group."""
    positions = np.zeros((n, 2))
    k = int(group.max()) + 1 if (group >= 0).any() else 0
    if k == 0:
        return positions
    sizes = np.bincount(group[group >= 0], minlength=k)
    radii = NODE_SPACING * np.sqrt(sizes) + NODE_SPACING
    gs, gd = group[ends[:, 0]], group[ends[:, 1]]
    inside = gs == gd
    cross = np.column_stack([np.minimum(gs, gd), np.maximum(gs, gd)])[~inside]
    pairs, weights = (np.unique(cross, axis=0, return_counts=True) if len(cross) else (np.zeros((0, 2), int), np.zeros(0)))
    centres = _centres(radii, np.column_stack([pairs, weights]) if len(pairs) else np.zeros((0, 3)), rng)
    local_index = np.zeros(n, dtype=np.int64)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(k + 1))
    for g in range(k):  # a loop over groups, never over edges
        members = order[bounds[g]:bounds[g + 1]]
        local_index[members] = np.arange(len(members))
        own = ends[inside & (gs == g)]
        coords = _local(len(members), local_index[own], rng)
        positions[members] = centres[g] + coords * (radii[g] - NODE_SPACING)
    return positions


def layout(view: GraphView, seed: int = 0) -> np.ndarray:
    """Node positions (n, 2) in pixels, one row per node of `view` in its order (see the module docstring).

    Parameters
    ----------
    view : the nodes (with their `community`, when stored) and edges to place.
    seed : the seed of every random draw; the same view and seed give the same positions.

    Returns
    -------
    An (n, 2) float array, centred on the drawing of the connected accounts.

    Example: ``layout(graph_view(read_view_data(ws), max_nodes=100), seed=1).shape == (100, 2)``.
    """
    n = view.nodes.height
    if n == 0:
        return np.zeros((0, 2))
    ends = edge_index(view)
    ends = ends[ends[:, 0] != ends[:, 1]]
    connected = np.bincount(ends.ravel(), minlength=n) > 0
    group = _groups(view, connected)
    rng = np.random.default_rng(seed)
    state = random.getstate()
    ig.set_random_number_generator(random.Random(seed))
    try:
        positions = _place(n, ends, group, rng)
    finally:
        ig.set_random_number_generator(random)
        random.setstate(state)
    if connected.any():
        positions[connected] -= positions[connected].mean(axis=0)
    isolated = ~connected
    if isolated.any():
        positions[isolated] = _pack_isolates(int(isolated.sum()), positions, connected)
    return positions
