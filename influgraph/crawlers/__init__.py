"""Crawlers for X (tweepy) and Bluesky (atproto): a niche query into accounts, posts and edges, resumably."""
from .bluesky import BlueskyCredentials
from .run import PLATFORMS, CostPlan, CrawlResult, cost_plan, crawl

__all__ = ["crawl", "cost_plan", "CrawlResult", "CostPlan", "BlueskyCredentials", "PLATFORMS"]
