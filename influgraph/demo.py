"""The demo: the whole pipeline on a simulated world, with no credentials and no network.

Builds the seeded world, serves it on 127.0.0.1 in the shapes of the X API v2, crawls it over
real HTTP the way a crawler reads a platform (recent search per niche, then followers of every
author found), saves each page as twarc2 JSONL, imports the pages into a workspace, writes the
planted truth beside them, computes statistics, finds communities, ranks each niche, shortlists
3 accounts per niche, and writes the report page with its interactive maps.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .atomic import atomic_write_bytes
from .errors import BadInput

__all__ = ["run_demo", "DemoResult", "MARKER"]

MARKER = ".influgraph-demo"
SHORTLIST_K = 3


@dataclass
class DemoResult:
    """Where the demo wrote its outputs, and what it found."""

    out_dir: Path
    workspace: Path
    raw_pages: list[Path]
    truth: Path
    stats: dict
    requests: int
    seconds: float
    communities: dict = field(default_factory=dict)
    rankings: dict = field(default_factory=dict)
    world: dict = field(default_factory=dict)
    report: Path | None = None
    maps: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary: statistics, output paths, world size, requests and time."""
        return {
            "stats": self.stats,
            "communities": self.communities,
            "rankings": self.rankings,
            "outputs": {"folder": str(self.out_dir), "workspace": str(self.workspace),
                        "raw pages": str(self.out_dir / "raw"), "truth": str(self.truth),
                        **({"report": str(self.report)} if self.report else {}),
                        **{f"map {name}": str(path) for name, path in self.maps.items()}},
            "world": self.world,
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
        }


def _prepare(out_dir: Path) -> None:
    """Make `out_dir` ready, replacing a previous demo's outputs but never a folder the demo did not write."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise BadInput("--out names a file, not a folder", path=out_dir, hint="choose a folder for the demo outputs")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
            raise BadInput("folder exists and was not written by `influgraph demo`", path=out_dir,
                           hint="choose a new folder with --out")
        for name in ("raw", "workspace", "report", "truth.json"):
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("outputs of `influgraph demo`; the demo may replace this folder's contents\n")


class _Crawler:
    """Fetches pages from the simulated API and appends them, twarc2-style, to JSONL files."""

    def __init__(self, base_url: str, raw_dir: Path):
        import requests

        self.session = requests.Session()
        self.base_url = base_url
        self.raw_dir = raw_dir
        self.requests = 0

    def pages(self, path: str, params: dict, token_param: str, out: Path) -> list[dict]:
        collected: list[dict] = []
        token = None
        with open(out, "a", encoding="utf-8") as handle:
            for _ in range(10_000):  # a bound: a pagination that never ends is a bug upstream
                query = dict(params, **({token_param: token} if token else {}))
                response = self.session.get(self.base_url + path, params=query, timeout=(3, 10))
                self.requests += 1
                response.raise_for_status()
                page = response.json()
                page["__twarc"] = {"url": response.url.replace(self.base_url, "https://api.twitter.com"),
                                   "version": "influgraph-demo",
                                   "retrieved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
                handle.write(json.dumps(page, ensure_ascii=False) + "\n")
                collected.append(page)
                token = page.get("meta", {}).get("next_token")
                if not token:
                    break
        return collected


def run_demo(out_dir: Path, *, seed: int = 7, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Run the demo into `out_dir`: raw/ pages, workspace/, truth.json. Deterministic for a seed."""
    from .communities import detect_communities
    from .ingest import import_paths
    from .niches import NicheQuery
    from .rank import rank_niche, rank_result_name
    from .report import write_report
    from .shortlist import shortlist, shortlist_result_names
    from .sources.simserver import SimServer
    from .sources.simulated import NICHES, build_world
    from .stats import compute_stats
    from .workspace import Workspace

    say = progress or (lambda message: None)
    started = time.monotonic()
    out_dir = Path(out_dir)
    _prepare(out_dir)
    raw_dir = out_dir / "raw"
    raw_dir.mkdir()
    say(f"building the simulated world (seed {seed})")
    world = build_world(seed)
    files: list[Path] = []
    with SimServer(world) as server:
        crawler = _Crawler(server.base_url, raw_dir)
        authors: dict[str, None] = {}
        for niche in NICHES:
            say(f"searching #{niche.hashtags[0]} and related hashtags on {server.base_url}")
            out = raw_dir / f"search-{niche.name}.jsonl"
            query = " OR ".join(f"#{tag}" for tag in niche.hashtags)
            threads: list[str] = []
            for page in crawler.pages("/2/tweets/search/recent", {"query": query, "max_results": 100}, "next_token", out):
                for tweet in page.get("data", []):
                    authors[tweet["author_id"]] = None
                    if tweet.get("public_metrics", {}).get("reply_count") and "referenced_tweets" not in tweet:
                        threads.append(tweet["conversation_id"])
            say(f"fetching the replies of {len(threads):,} threads")
            for start in range(0, len(threads), 20):  # 20 conversations per query, as a crawler would batch them
                query = " OR ".join(f"conversation_id:{c}" for c in threads[start:start + 20])
                for page in crawler.pages("/2/tweets/search/recent", {"query": query, "max_results": 100}, "next_token", out):
                    for tweet in page.get("data", []):
                        authors[tweet["author_id"]] = None
            files.append(out)
        say(f"fetching followers of {len(authors):,} authors")
        out = raw_dir / "followers.jsonl"
        for author in authors:
            crawler.pages(f"/2/users/{author}/followers", {"max_results": 1000}, "pagination_token", out)
        files.append(out)
    say("importing the pages into the workspace")
    workspace = Workspace(out_dir / "workspace")
    import_paths(workspace, files)
    truth = out_dir / "truth.json"
    atomic_write_bytes(truth, json.dumps(world.truth(), ensure_ascii=False, indent=1).encode("utf-8"))
    say("computing statistics")
    stats = compute_stats(workspace)
    say("finding communities")
    communities = detect_communities(workspace, runs=3, seed=seed)
    workspace.write_result("communities", communities.membership)
    workspace.write_result("community_profiles", communities.profiles)
    rankings = {}
    for niche in world.truth()["niches"]:
        say(f"ranking niche {niche['name']}")
        query = NicheQuery(name=niche["name"], languages=(niche["language"],), hashtags=tuple(niche["hashtags"]),
                           keywords=tuple(niche["keywords"]), seed_accounts=tuple(niche["seed_accounts"]))
        ranked = rank_niche(workspace, query, communities=communities.membership)
        workspace.write_result(rank_result_name(niche['name']), ranked.table)
        chosen = shortlist(workspace, query, k=SHORTLIST_K, ranked=ranked.table)
        picks_name, overlap_name = shortlist_result_names(niche["name"])
        workspace.write_result(picks_name, chosen.picks)
        workspace.write_result(overlap_name, chosen.overlap)
        rankings[niche["name"]] = {
            "members": ranked.members, "candidates": ranked.table.height, "config_hash": ranked.config_hash,
            "top": ranked.table.head(5).select("rank", "id", "handle", "role", "tier", "niche_influence",
                                               "audience_relevance", "reach").to_dicts(),
            "warnings": ranked.warnings,
            "shortlist": {**chosen.baselines, "picks": chosen.picks.select(
                "pick", "id", "handle", "role", "audience", "marginal_reach", "cumulative_reach").to_dicts()}}
    say("writing the report and the maps")
    report = write_report(workspace, out_dir / "report", seed=seed)
    return DemoResult(
        out_dir=out_dir, workspace=workspace.path, raw_pages=files, truth=truth, stats=stats,
        rankings=rankings, report=report.index, maps=report.maps,
        communities={**communities.summary(), "profiles": communities.profiles.select(
            "community", "size", "share_leaving", "hashtags", "top_accounts", "brokers").to_dicts()},
        requests=crawler.requests, seconds=time.monotonic() - started,
        world={"seed": seed, "accounts": len(world.accounts), "posts": len(world.posts), "follows": len(world.follows),
               "niches": [n.name for n in NICHES]},
    )
