"""influgraph: influencer discovery and network graph analysis.

Rank accounts by influence within a niche (not reach), from follower and interaction graphs.
Every capability of the command line is a library call, usable from a notebook with no command
line in sight::

    import influgraph as ig
    ws = ig.Workspace("my-workspace")
    ig.import_paths(ws, ["tweets.jsonl"])
    query = ig.find_query("persian-books")
    groups = ig.detect_communities(ws)
    ranked = ig.rank_niche(ws, query, communities=groups.membership)
    picks = ig.shortlist(ws, query, ranked=ranked.table, k=5)
    ig.export(ws, "report", "report/")

The names load lazily (on first use), so `import influgraph` and `influgraph --help` stay instant.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# each public name, by the module it lives in (relative to this package)
_HOMES = {
    # the workspace and its tables
    "Workspace": ".workspace",
    "Batch": ".schema",
    "check_workspace": ".integrity",
    "CheckResult": ".integrity",
    # reading files and crawling platforms
    "ImportOptions": ".sources.base",
    "import_paths": ".ingest",
    "read_path": ".ingest",
    "crawl": ".crawlers",
    "cost_plan": ".crawlers",
    "CrawlResult": ".crawlers",
    "CostPlan": ".crawlers",
    "BlueskyCredentials": ".crawlers",
    "listen": ".crawlers.jetstream",
    "ListenResult": ".crawlers.jetstream",
    # niche queries
    "NicheQuery": ".niches",
    "load_query": ".niches",
    "find_query": ".niches",
    # the graph and its statistics
    "GraphSpec": ".graph",
    "BuiltGraph": ".graph",
    "build_graph": ".graph",
    "compute_stats": ".stats",
    "StatsResult": ".stats",
    "SparkEngine": ".engines.spark",
    # analyses
    "rank_niche": ".rank",
    "rank_niches": ".rank",
    "RankResult": ".rank",
    "detect_communities": ".communities",
    "sweep_resolution": ".communities",
    "CommunityResult": ".communities",
    "shortlist": ".shortlisting",
    "read_costs": ".shortlisting",
    "ShortlistResult": ".shortlisting",
    "audience_quality": ".quality",
    "niche_trends": ".trends",
    "TrendsResult": ".trends",
    "trace_cascades": ".cascades",
    "window_counts": ".windows",
    "rank_windows": ".windows",
    "window_batch": ".windows",
    "follower_growth": ".growth",
    "community_windows": ".community_changes",
    "match_communities": ".community_changes",
    "save_trends": ".results",
    "load_trends": ".results",
    "read_propagation_tree": ".sources.propagation_trees",
    "campaign_results": ".campaign",
    "CampaignResult": ".campaign",
    "niche_members": ".rank",
    "find_amplifiers": ".amplifiers",
    "AmplifierResult": ".amplifiers",
    # stored results
    "save_ranking": ".results",
    "load_ranking": ".results",
    "stored_rankings": ".results",
    "save_communities": ".results",
    "load_communities": ".results",
    "load_community_profiles": ".results",
    "save_shortlist": ".results",
    "load_shortlist": ".results",
    "stored_shortlists": ".results",
    "save_campaign": ".results",
    "load_campaign": ".results",
    "stored_campaigns": ".results",
    "save_amplifiers": ".results",
    "load_amplifiers": ".results",
    "stored_amplifiers": ".results",
    # outputs
    "export": ".exports",
    "write_report": ".exports.report",
    "read_view_data": ".exports.views",
    "graph_view": ".exports.views",
    "write_table": ".exports.tables",
    # the whole pipeline on a simulated world
    "run_demo": ".demo",
}

__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (and keep it, so the next use is a plain lookup)."""
    if name not in _HOMES:
        raise AttributeError(f"module 'influgraph' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names too, for tab completion before they are loaded."""
    return sorted(set(globals()) | set(__all__))
