"""Crawlers for X (tweepy) and Bluesky (atproto): a niche query into accounts, posts and edges, resumably."""
from .run import PLATFORMS, CrawlResult, cost_plan, crawl

__all__ = ["crawl", "cost_plan", "CrawlResult", "PLATFORMS"]
