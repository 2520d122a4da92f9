"""influgraph: influencer discovery and network graph analysis.

Rank accounts by influence within a niche (not reach), from follower and interaction graphs.
The library is usable from a notebook with no command line in sight::

    from influgraph import Workspace, import_paths, build_graph, GraphSpec, compute_stats
    ws = Workspace("my-workspace")
    import_paths(ws, ["tweets.jsonl"])
    g = build_graph(ws, GraphSpec(kinds=("repost", "quote")))
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "Workspace",
    "Batch",
    "ImportOptions",
    "import_paths",
    "read_path",
    "GraphSpec",
    "BuiltGraph",
    "build_graph",
    "compute_stats",
    "run_demo",
]
__version__ = "0.1.0"

_HOMES = {
    "Workspace": "workspace",
    "Batch": "schema",
    "ImportOptions": "sources.base",
    "import_paths": "ingest",
    "read_path": "ingest",
    "GraphSpec": "graph",
    "BuiltGraph": "graph",
    "build_graph": "graph",
    "compute_stats": "stats",
    "run_demo": "demo",
}


def __getattr__(name: str) -> Any:
    """Load entry points lazily, so `influgraph --help` stays instant."""
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'influgraph' has no attribute {name!r}")
