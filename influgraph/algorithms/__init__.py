"""General graph algorithms with networkx-style docstrings: centrality, communities, coverage and spread.

No niche policy lives here: `rank.py`, `communities.py` and `shortlisting.py` decide what the graphs,
rows and columns are and how scores combine.
"""
from __future__ import annotations

from .centrality import (PAGERANK_TOL, approximate_betweenness, authority, coreness, pagerank, personalised_pagerank,
                         reachable)
from .communities import (METHODS, SYMMETRISATIONS, Undirected, community_roles, connected_parts, fast_leiden, find_partition,
                          leiden, modularity, undirected)
from .coverage import (AdaptiveSpread, Selection, expected_spread, greedy_cover, live_probabilities, mark_covered,
                       marginal_gain, opim_c, reverse_reachable_sets)

__all__ = ["PAGERANK_TOL", "pagerank", "personalised_pagerank", "reachable", "authority", "coreness",
           "approximate_betweenness", "METHODS", "SYMMETRISATIONS", "Undirected", "undirected", "leiden", "fast_leiden",
           "connected_parts", "find_partition", "modularity", "community_roles", "Selection", "marginal_gain", "mark_covered",
           "greedy_cover", "reverse_reachable_sets", "live_probabilities", "opim_c", "AdaptiveSpread", "expected_spread"]
