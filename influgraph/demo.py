"""The demo: the whole pipeline on a simulated world, with no credentials and no network.

Builds the seeded world, serves it on 127.0.0.1 in the shapes of the X API v2, crawls each niche
with influgraph's X crawler (tweepy over the resumable transport: search, threads, engagement,
followers of every author, each list fetched once over the three niches), keeps the raw pages as JSONL,
imports them into a workspace, writes the
planted truth beside them, computes statistics, finds communities, ranks each niche, shortlists
3 accounts per niche, and writes the report page with its interactive maps.

Speed (profiled with cProfile, issue 17): the simulated API is served from a forked process, so its
work runs beside the crawler's on the second core; one keep-alive session that skips the per-request
proxy lookup in the environment serves the three crawls; the throwaway crawl states commit without
an fsync per page (`durable=False`); and a follower list is fetched once, not once per niche.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from .atomic import atomic_write_bytes
from .errors import BadInput

if TYPE_CHECKING:
    from .niches import NicheQuery

__all__ = ["run_demo", "DemoResult", "MARKER"]

MARKER = ".influgraph-demo"
SHORTLIST_K = 3
DEMO_TOKEN = "influgraph-demo-token"  # the simulated API checks it; it is not a real credential
# crawl the whole simulated niche: every post, every thread, the followers of every author
DEMO_LIMITS = {"max_requests": 5000, "max_posts": 100_000, "max_followers": 100_000, "top_posts": 50,
               "top_authors": None, "threads": 1000}


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
    """Make `out_dir` ready, replacing a previous demo's outputs but never a folder the demo did not write
    (nor one inside a workspace, whose files only the workspace writes)."""
    from .exports.paths import check_outside

    check_outside(out_dir)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise BadInput("`out_dir` names a file, not a folder", path=out_dir, hint="choose a folder for the demo outputs",
                           param="out_dir")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
            raise BadInput("folder exists and was not written by the demo", path=out_dir,
                           hint="choose a new folder for `out_dir`", param="out_dir")
        for name in ("raw", "workspace", "report", "truth.json"):
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("outputs of `influgraph demo`; the demo may replace this folder's contents\n")


def _query(niche: dict) -> "NicheQuery":
    """The niche query of one of the world's niches (as queries/*.toml ship them)."""
    from .niches import NicheQuery as Query

    return Query(name=niche["name"], languages=(niche["language"],), hashtags=tuple(niche["hashtags"]),
                      keywords=tuple(niche["keywords"]), seed_accounts=tuple(niche["seed_accounts"]))


def run_demo(out_dir: Path, *, seed: int = 7, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Run the demo into `out_dir`: raw/ pages, workspace/, truth.json. Deterministic for a seed."""
    from .communities import detect_communities
    from .crawlers import crawl
    from .crawlers.run import known_tasks
    from .exports.report import write_report
    from .rank import rank_niche
    from .results import save_communities, save_ranking, save_shortlist
    from .shortlisting import shortlist
    from .simulated import NICHES, SimServer, build_world
    from .stats import compute_stats
    import requests as http

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
    workspace = Workspace(out_dir / "workspace")
    requests = 0
    session = http.Session()
    session.trust_env = False  # 127.0.0.1 needs no proxy: skip reading the environment's proxy settings per request
    known: list = []
    with SimServer(world, token=DEMO_TOKEN, process=True) as server, session:
        for niche in world.truth()["niches"]:
            say(f"crawling {niche['name']} from the simulated X API on {server.base_url}")
            result = crawl(workspace, _query(niche), "x", api_url=server.base_url, token=DEMO_TOKEN, overrides=DEMO_LIMITS,
                           progress=None, durable=False, transport_options={"session": session}, known=known)
            known += known_tasks(result)  # a follower list fetched for one niche is not fetched again for the next
            requests += result.requests
            target = raw_dir / f"x-{niche['name']}.jsonl"
            shutil.copyfile(result.raw, target)
            files.append(target)
    truth = out_dir / "truth.json"
    atomic_write_bytes(truth, json.dumps(world.truth(), ensure_ascii=False, indent=1).encode("utf-8"))
    say("computing statistics")
    stats = compute_stats(workspace).summary()
    say("finding communities")
    communities = detect_communities(workspace, runs=3, seed=seed)
    save_communities(workspace, communities)
    rankings = {}
    for niche in world.truth()["niches"]:
        say(f"ranking niche {niche['name']}")
        query = _query(niche)
        ranked = rank_niche(workspace, query, communities=communities.membership)
        save_ranking(workspace, niche["name"], ranked)
        chosen = shortlist(workspace, query, k=SHORTLIST_K, ranked=ranked.table)
        save_shortlist(workspace, niche["name"], chosen)
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
        requests=requests, seconds=time.monotonic() - started,
        world={"seed": seed, "accounts": len(world.accounts), "posts": len(world.posts), "follows": len(world.follows),
               "niches": [n.name for n in NICHES]},
    )
