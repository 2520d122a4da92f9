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

import polars as pl

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
    week2: dict = field(default_factory=dict)  # `weeks` 2: the second week's update crawls and analyses

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
            **({"week2": self.week2} if self.week2 else {}),
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


def run_demo(out_dir: Path, *, seed: int = 7, progress: Callable[[str], None] | None = None,
             weeks: int = 1) -> DemoResult:
    """Run the demo into `out_dir`: raw/ pages, workspace/, truth.json. Deterministic for a seed.

    `weeks` 2 builds the two-week world (`build_world(weeks=2)`): the niches are crawled as the second
    week begins (the same crawl as `weeks` 1), the simulated API moves to the end of the second week,
    and each niche is crawled again with `update`; truth.json then holds `week2`.
    """
    from .communities import detect_communities
    from .exports.report import write_report
    from .rank import rank_niche
    from .results import save_communities, save_ranking, save_shortlist
    from .shortlisting import shortlist
    from .simulated import NICHES, build_world
    from .stats import compute_stats

    from .workspace import Workspace

    if weeks not in (1, 2):
        raise BadInput(f"the demo's world has 1 or 2 weeks, not {weeks!r}", hint="give `weeks` 1 or 2", param="weeks")
    say = progress or (lambda message: None)
    started = time.monotonic()
    out_dir = Path(out_dir)
    _prepare(out_dir)
    raw_dir = out_dir / "raw"
    raw_dir.mkdir()
    say(f"building the simulated world (seed {seed}{', two weeks' if weeks == 2 else ''})")
    world = build_world(seed, weeks=weeks)
    workspace = Workspace(out_dir / "workspace")
    files, requests, updates = _crawl_world(world, workspace, raw_dir, say, weeks)
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
    week2 = _week_two(workspace, world, updates, say) if weeks == 2 else {}
    say("writing the report and the maps")
    report = write_report(workspace, out_dir / "report", seed=seed)
    return DemoResult(
        out_dir=out_dir, workspace=workspace.path, raw_pages=files, truth=truth, stats=stats,
        rankings=rankings, report=report.index, maps=report.maps,
        communities={**communities.summary(), "profiles": communities.profiles.select(
            "community", "size", "share_leaving", "hashtags", "top_accounts", "brokers").to_dicts()},
        requests=requests, seconds=time.monotonic() - started,
        world={"seed": seed, "accounts": len(world.accounts), "posts": len(world.posts), "follows": len(world.follows),
               "niches": [n.name for n in NICHES], **({"weeks": 2} if weeks == 2 else {})},
        week2=week2,
    )


def _crawl_world(world, workspace, raw_dir: Path, say: Callable[[str], None],
                 weeks: int) -> tuple[list[Path], int, dict]:
    """Crawl each niche of `world` from the simulated X API into `workspace`, keeping the raw pages in `raw_dir`;
    returns the raw files, the requests sent and, with `weeks` 2, each niche's update crawl (requests, rows).

    With `weeks` 2 the server first serves the world as the second week begins, then its end, and each
    niche is crawled again with `update` (raw pages `x-NICHE-week2.jsonl`); then the week's complaint
    query (`truth()["week2"]["complaint"]["query"]`, the brand as its seed) is crawled, since its posts
    are on no niche's hashtags or keywords (raw pages `x-COMPLAINT.jsonl`). The crawls take their time
    from the world's clock (the moment served), so observed_at is the same run after run.
    """
    from .crawlers import crawl
    from .crawlers.run import known_tasks
    from .simulated import SimServer
    import requests as http

    files: list[Path] = []
    requests = 0
    updates: dict[str, dict] = {}
    session = http.Session()
    session.trust_env = False  # 127.0.0.1 needs no proxy: skip reading the environment's proxy settings per request
    moments = [world.now] if weeks == 1 else [world.week_starts[1], world.now]
    with SimServer(world, token=DEMO_TOKEN, process=True) as server, session:
        for week, moment in enumerate(moments, start=1):
            if weeks == 2:
                server.advance_to(moment)
            known: list = []
            for niche in world.truth()["niches"]:
                say(f"{'updating' if week == 2 else 'crawling'} {niche['name']} from the simulated X API on {server.base_url}")
                result = crawl(workspace, _query(niche), "x", api_url=server.base_url, token=DEMO_TOKEN,
                               overrides=DEMO_LIMITS, progress=None, durable=False,
                               transport_options={"session": session}, known=known, update=week == 2,
                               clock=lambda when=moment: when)
                known += known_tasks(result)  # a follower list fetched for one niche is not fetched again for the next
                requests += result.requests
                target = raw_dir / (f"x-{niche['name']}.jsonl" if week == 1 else f"x-{niche['name']}-week2.jsonl")
                if result.raw is not None and Path(result.raw).exists():
                    shutil.copyfile(result.raw, target)
                    files.append(target)
                if week == 2:
                    updates[niche["name"]] = {"requests": result.requests, "imported": dict(result.imported)}
        if weeks == 2:
            target, result = _crawl_complaint(world, workspace, server.base_url, session, raw_dir, say)
            requests += result.requests
            files.append(target)
            updates[target.stem[2:]] = {"requests": result.requests, "imported": dict(result.imported)}
    return files, requests, updates


def _complaint_query(world) -> "NicheQuery":
    """The second week's complaint as a niche query (`truth()["week2"]["complaint"]["query"]`, the brand as its seed)."""
    from .niches import NicheQuery

    found = world.truth()["week2"]["complaint"]["query"]
    return NicheQuery(name=found["name"], languages=tuple(found["languages"]), keywords=tuple(found["keywords"]),
                      hashtags=tuple(found["hashtags"]), seed_accounts=tuple(found["seed_accounts"]))


def _crawl_complaint(world, workspace, base_url: str, session, raw_dir: Path, say: Callable[[str], None]):
    """Crawl the second week's complaint query (the brand as its seed) at the end of the week; returns its raw
    pages' file and the crawl's result."""
    from .crawlers import crawl

    query = _complaint_query(world)
    say(f"crawling the complaint {query.name} from the simulated X API on {base_url}")
    result = crawl(workspace, query, "x", api_url=base_url, token=DEMO_TOKEN, overrides=DEMO_LIMITS, progress=None,
                   durable=False, transport_options={"session": session}, clock=lambda: world.now)
    target = raw_dir / f"x-{query.name}.jsonl"
    shutil.copyfile(result.raw, target)
    return target, result


def _week_two(workspace, world, updates: dict, say: Callable[[str], None]) -> dict:
    """What `demo --weeks 2` reports of the second week, each analysis stored in `workspace` for the report:
    its span, each niche's update crawl, each niche's trends, the campaign's results and the complaint's
    amplifiers."""
    truth = world.truth()["week2"]
    say("summarising the second week")
    return {"start": truth["start"], "end": truth["end"], "updates": updates, "trends": _trends(workspace, world, say),
            "campaign": _campaign(workspace, world, say), "amplifiers": _amplifiers(workspace, world, say)}


def _campaign(workspace, world, say: Callable[[str], None]) -> dict:
    """The week's campaign (`campaign.campaign_results` with its hashtags, picks and dates), stored; its headline numbers."""
    from .campaign import campaign_results
    from .results import save_campaign

    planted = world.truth()["week2"]["campaign"]
    niche = next(n for n in world.truth()["niches"] if n["name"] == planted["niche"])
    say(f"results of the campaign {planted['name']}")
    result = campaign_results(workspace, _query(niche), name=planted["name"], hashtags=planted["hashtags"],
                              accounts=planted["accounts"], since=planted["since"], until=planted["until"])
    save_campaign(workspace, result)
    keys = ("posts", "cascade_posts", "unique_reach", "member_engagements", "outsider_engagements", "verdict")
    return {key: result.facts[key] for key in keys if key in result.facts}


def _amplifiers(workspace, world, say: Callable[[str], None]) -> dict:
    """The week's complaint (`amplifiers.find_amplifiers` with its query), stored; who to answer first."""
    from .amplifiers import find_amplifiers
    from .results import save_amplifiers

    query = _complaint_query(world)
    say(f"amplifiers of the complaint {query.name}")
    result = find_amplifiers(workspace, query)
    save_amplifiers(workspace, result)
    first = result.table.filter(pl.col("first") == 1).select("id", "handle").to_dicts()
    return {"query": query.name, "brand_followers": result.summary.get("brand_followers"),
            "first_spreader": first[0] if first else None,
            "amplifiers": result.table.head(3).select("id", "handle", "reach").to_dicts()}


def _trends(workspace, world, say: Callable[[str], None]) -> dict:
    """Each niche's trends over the two weeks (`trends.niche_trends`, weekly windows), stored; its top 3 risers and spikes."""
    from .results import save_trends
    from .trends import niche_trends

    found = {}
    for niche in world.truth()["niches"]:
        say(f"trends of niche {niche['name']}")
        result = niche_trends(workspace, _query(niche), "7d", since=world.week_starts[0], until=world.now)
        save_trends(workspace, niche["name"], "7d", result)
        found[niche["name"]] = {"rising": result.table.head(3).select("id", "handle", "rising").to_dicts(),
                                "spikes": result.spikes["id"].to_list()}
    return found
