"""Cascades: the trees of reposts, quotes and replies that grow from original posts.

Definition (after Goel, Anderson, Hofman and Watts, "The structural virality of online diffusion",
Management Science 62(1), 2016): a **cascade** is a tree whose root is an original post and whose
other nodes are the diffusion events (a repost, a quote or a reply) that descend from it, each
attached to the node it reposted, quoted or replied to. Per cascade:

- `size`: the number of nodes, the root included (a post nobody engaged with has size 1);
- `depth`: the largest number of hops from the root to a node (0 for a lone root);
- `max_breadth`: the largest number of nodes at one depth below the root (0 for a lone root);
- `first_at` and `last_at`: the earliest and latest time of its nodes;
- `participants`: the distinct accounts among its nodes, the root's author included;
- `reposts`, `quotes`, `replies`: its non-root nodes by kind;
- `structural_virality`: Goel et al.'s measure, the mean shortest-path distance between all
  pairs of nodes of the tree (null for size 1). It is computed as the Wiener index over the edges,
  `sum(s * (n - s)) / (n * (n - 1) / 2)` with `s` the size of the subtree below each edge, so no
  pair is enumerated: a star scores near 2 (broadcast), a long chain near n / 3 (viral).

Input is a *links* frame (`LINKS`): one row per node, its `parent` (null for a root), its account,
time and kind. Real traces are not clean trees (the Twitter15/16 files repeat lines, list a node
under two parents and hold self-links), so the rules are: rows with `node == parent` are
dropped, a node keeps the parent of its **first** row (file order) and later rows are counted in
`CascadeResult.dropped`; a parent that is no node becomes a root; nodes on a cycle (no root
above them) are left out and counted in `CascadeResult.unrooted`.

Depths are found by pointer jumping (list ranking; Wyllie 1979): every node's pointer to its
ancestor and distance to it are doubled in numpy at once, ceil(log2 n) + 1 times, so the work is
O(n log n) vectorised with no Python loop over nodes or edges; subtree sizes are summed one
depth level at a time (a loop over levels, not nodes).

`diffusion_links` builds the links of a workspace or batch: posts that repost, quote or reply to
a post (`repost_of`, `quote_of`, `reply_to`) are nodes under that post, and repost, quote or reply
edges whose post is the one engaged with (list pages such as X `retweeted_by`, which carry no
post of the reposter) are leaf nodes under it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .schema import TIMESTAMP, Batch

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["LINKS", "CascadeResult", "trace_cascades", "diffusion_links", "cascades"]

LINKS = pl.Schema({"platform": pl.String, "node": pl.String, "parent": pl.String, "account": pl.String,
                   "at": TIMESTAMP, "kind": pl.String})
DIFFUSION_KINDS = ("repost", "quote", "reply")
COUNT_COLUMNS = {"repost": "reposts", "quote": "quotes", "reply": "replies"}
_SEP = "\x1f"  # joins platform and node into one key: ids never hold control characters (schema.bad_id_reason)


@dataclass
class CascadeResult:
    """The cascades (one row per root) and their links (one row per node, with who engaged with whom).

    `cascades`: cascade (the root node), platform, root_account, size, depth, max_breadth, first_at,
    last_at, participants, reposts, quotes, replies, structural_virality; largest first.
    `links`: cascade, platform, node, parent, account, parent_account, kind, at, depth.
    `dropped`: rows not used (self-links, second parents); `unrooted`: nodes on a cycle, left out.
    """

    cascades: pl.DataFrame
    links: pl.DataFrame
    dropped: int = 0
    unrooted: int = 0


def _clean(links: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """One row per node (its first), self-links dropped, missing parents added as roots."""
    frame = links.select([pl.col(c).cast(t) if c in links.columns else pl.lit(None, t).alias(c) for c, t in LINKS.items()])
    frame = frame.filter(pl.col("node").is_not_null() & (pl.col("parent").is_null() | (pl.col("parent") != pl.col("node"))))
    frame = frame.with_columns(pl.col("platform").fill_null(""))
    first = frame.unique(subset=["platform", "node"], keep="first", maintain_order=True)
    dropped = links.height - first.height
    known = first.select("platform", "node")
    missing = (first.filter(pl.col("parent").is_not_null()).select("platform", pl.col("parent").alias("node")).unique()
               .join(known, on=["platform", "node"], how="anti"))
    roots = missing.with_columns(*[pl.lit(None, t).alias(c) for c, t in LINKS.items() if c not in ("platform", "node")])
    return pl.concat([first, roots.select(list(LINKS))]).with_columns(
        (pl.col("platform") + _SEP + pl.col("node")).alias("_key"),
        pl.when(pl.col("parent").is_not_null()).then(pl.col("platform") + _SEP + pl.col("parent")).alias("_parent_key")), dropped


def _depths(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per node, its root and its distance to it by pointer jumping; -1 for both on a cycle.

    `parent[i]` is i for a root. After ceil(log2 n) + 1 doublings every pointer of a rooted node
    is its root (no depth exceeds n); a node whose final pointer is no root hangs off a cycle.
    """
    n = len(parent)
    pointer = parent.copy()
    distance = (parent != np.arange(n)).astype(np.int64)
    for _ in range(max(1, math.ceil(math.log2(n + 1))) + 1):
        distance = distance + distance[pointer]
        pointer = pointer[pointer]
    rooted = parent[pointer] == pointer
    return np.where(rooted, pointer, -1), np.where(rooted, distance, -1)


def _subtree_sizes(parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """The number of nodes in each node's subtree (itself included), summed level by level from the deepest."""
    size = np.ones(len(parent), dtype=np.int64)
    order = np.argsort(-depth, kind="stable")
    levels = depth[order]
    cuts = np.flatnonzero(np.diff(levels)) + 1
    for chunk in np.split(order, cuts):
        if len(chunk) and depth[chunk[0]] > 0:
            np.add.at(size, parent[chunk], size[chunk])
    return size


def trace_cascades(links: pl.DataFrame) -> CascadeResult:
    """The cascades of a links frame (`LINKS`; see the module docstring for every rule).

    Parameters
    ----------
    links : one row per diffusion event: `node`, `parent` (null for an original post), `account`,
        `at`, `kind` (repost, quote or reply) and optionally `platform`.

    Returns
    -------
    CascadeResult with one row per cascade (largest first) and one per node.

    Example
    -------
    >>> links = pl.DataFrame({"node": ["p", "r1", "r2", "r3"], "parent": [None, "p", "p", "r1"],
    ...                       "account": ["a", "b", "c", "d"], "kind": [None, "repost", "reply", "repost"]})
    >>> row = trace_cascades(links).cascades.row(0, named=True)
    >>> row["size"], row["depth"], row["max_breadth"], row["structural_virality"]
    (4, 2, 2, 1.6666666666666667)
    """
    frame, dropped = _clean(links)
    keys = frame["_key"]
    index = pl.DataFrame({"_parent_key": keys, "_p": np.arange(frame.height, dtype=np.int64)})
    found = frame.select("_parent_key").join(index, on="_parent_key", how="left", maintain_order="left")["_p"]
    parent = np.where(found.is_null().to_numpy(), np.arange(frame.height), found.fill_null(0).to_numpy()).astype(np.int64)
    root, depth = _depths(parent) if frame.height else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    sizes = _subtree_sizes(parent, np.maximum(depth, 0)) if frame.height else np.zeros(0, np.int64)
    rooted = root >= 0
    nodes = frame.with_columns(pl.Series("_root", root), pl.Series("depth", depth), pl.Series("_sub", sizes),
                               pl.Series("_parent_ix", parent)).filter(pl.Series(rooted))
    return CascadeResult(cascades=_summaries(nodes), links=_node_rows(nodes, frame), dropped=dropped,
                         unrooted=int((~rooted).sum()))


def _node_rows(nodes: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """One row per rooted node: its cascade (root node id), parent and the parent's account."""
    accounts = frame.select(pl.col("account").alias("parent_account"), pl.col("node").alias("cascade"))
    parent_account = accounts["parent_account"].gather(nodes["_parent_ix"])
    return nodes.select(
        accounts["cascade"].gather(nodes["_root"]).alias("cascade"), "platform", "node", "parent", "account",
        pl.when(pl.col("depth") > 0).then(parent_account).alias("parent_account"), "kind", "at", "depth")


def _summaries(nodes: pl.DataFrame) -> pl.DataFrame:
    """Per root: size, depth, breadth, times, participants, kinds and structural virality."""
    breadth = (nodes.filter(pl.col("depth") > 0).group_by("_root", "depth").len()
               .group_by("_root").agg(pl.col("len").max().alias("max_breadth")))
    per_root = nodes.with_columns(pl.len().over("_root").alias("_n"))
    stats = per_root.group_by("_root").agg(
        pl.len().alias("size"), pl.col("depth").max().alias("depth"),
        pl.col("at").min().alias("first_at"), pl.col("at").max().alias("last_at"),
        pl.col("account").drop_nulls().n_unique().alias("participants"),
        *[(pl.col("kind") == kind).sum().alias(column) for kind, column in COUNT_COLUMNS.items()],
        (pl.when(pl.col("depth") > 0).then(pl.col("_sub") * (pl.col("_n") - pl.col("_sub"))).otherwise(0)).sum()
        .alias("_wiener"))
    roots = nodes.filter(pl.col("depth") == 0).select(
        "_root", "platform", pl.col("node").alias("cascade"),
        pl.col("account").alias("root_account"))
    return (roots.join(stats, on="_root").join(breadth, on="_root", how="left")
            .with_columns(pl.col("max_breadth").fill_null(0).cast(pl.UInt32),
                          pl.when(pl.col("size") > 1).then(pl.col("_wiener") * 2 / (pl.col("size") * (pl.col("size") - 1)))
                          .alias("structural_virality"))
            .select("cascade", "platform", "root_account", "size", "depth", "max_breadth", "first_at", "last_at",
                    "participants", "reposts", "quotes", "replies", "structural_virality")
            .sort(["size", "depth", "cascade"], descending=[True, True, False]))


def diffusion_links(source: "Workspace | Batch", *, platform: str | None = None) -> pl.DataFrame:
    """The links frame (`LINKS`) of a workspace or batch: who reposted, quoted or replied to which post.

    Parameters
    ----------
    source : a Workspace or a Batch.
    platform : only this platform's posts and edges (all when None).

    Returns
    -------
    One row per node: posts that refer to a post (under it), repost/quote/reply edges whose post
    is the one engaged with (leaves under it, node `kind:src:post`), and the referred-to posts as
    roots (their author from the posts table, else the account the edges point at).
    """
    posts, edges = (source.posts, source.edges) if isinstance(source, Batch) else (source.table("posts"), source.table("edges"))
    if platform:
        posts, edges = posts.filter(pl.col("platform") == platform), edges.filter(pl.col("platform") == platform)
    kind = (pl.when(pl.col("repost_of").is_not_null()).then(pl.lit("repost"))
            .when(pl.col("quote_of").is_not_null()).then(pl.lit("quote"))
            .when(pl.col("reply_to").is_not_null()).then(pl.lit("reply")))
    children = posts.select("platform", pl.col("id").alias("node"), pl.coalesce("repost_of", "quote_of", "reply_to").alias("parent"),
                            pl.col("author_id").alias("account"), pl.col("created_at").alias("at"), kind.alias("kind")
                            ).filter(pl.col("parent").is_not_null())
    engaged = edges.filter(pl.col("kind").cast(pl.String).is_in(DIFFUSION_KINDS) & pl.col("post_id").is_not_null())
    leaves = (engaged.join(children.select("platform", pl.col("node").alias("post_id")), on=["platform", "post_id"], how="anti")
              .select("platform", pl.format("{}:{}:{}", pl.col("kind").cast(pl.String), "src", "post_id").alias("node"),
                      pl.col("post_id").alias("parent"), pl.col("src").alias("account"), "at",
                      pl.col("kind").cast(pl.String)))
    hints = pl.concat([engaged.join(children.select("platform", pl.col("node").alias("post_id"), "parent"),
                                    on=["platform", "post_id"]).select("platform", "parent", "dst"),
                       leaves.join(engaged.select("platform", pl.col("post_id").alias("parent"), "dst"), on=["platform", "parent"])
                       .select("platform", "parent", "dst")]).unique(["platform", "parent"], keep="first", maintain_order=True)
    linked = pl.concat([children, leaves])
    referred = linked.select("platform", pl.col("parent").alias("node")).unique(maintain_order=True).join(
        linked.select("platform", "node"), on=["platform", "node"], how="anti")
    roots = (referred.join(posts.select("platform", pl.col("id").alias("node"), "author_id", "created_at"),
                           on=["platform", "node"], how="left")
             .join(hints.rename({"parent": "node"}), on=["platform", "node"], how="left")
             .select("platform", "node", pl.lit(None, pl.String).alias("parent"),
                     pl.coalesce("author_id", "dst").alias("account"), pl.col("created_at").alias("at"),
                     pl.lit(None, pl.String).alias("kind")))
    return pl.concat([roots, linked]).select([pl.col(c).cast(t) for c, t in LINKS.items()])


def cascades(source: "Workspace | Batch", *, platform: str | None = None) -> CascadeResult:
    """The cascades of a workspace or batch: `trace_cascades(diffusion_links(source, platform=platform))`.

    >>> posts = pl.DataFrame({"id": ["p", "q"], "author_id": ["a", "b"], "repost_of": [None, "p"], "platform": ["x", "x"]})
    >>> edges = pl.DataFrame({"src": ["b"], "dst": ["a"], "kind": ["repost"], "post_id": ["q"], "platform": ["x"]})
    >>> cascades(Batch(posts=posts, edges=edges)).cascades.select("cascade", "size", "depth").rows()
    [('p', 2, 1)]
    """
    return trace_cascades(diffusion_links(source, platform=platform))
