"""The simulated world, its X-API-shaped server on 127.0.0.1, and the demo pipeline end to end."""
from __future__ import annotations

import json
import shutil
import socket
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
import requests
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.simulated import MASS_HASHTAG, NICHES, Fault, SimServer, build_world
from influgraph.workspace import Workspace

from shared_data import shared_path


@pytest.fixture(scope="module")
def world(demo_world):
    return demo_world


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run.result, demo_run.seconds


# ------------------------------------------------------------------ the world
def test_world_is_deterministic_for_a_seed_and_differs_across_seeds(world) -> None:
    again = build_world(7)
    assert again.posts == world.posts and again.follows == world.follows and again.truth() == world.truth()
    assert build_world(8).follows != world.follows


def test_every_niche_has_every_planted_kind(world) -> None:
    truth = world.truth()
    for niche in NICHES:
        roles = Counter(a["role"] for a in truth["accounts"].values() if a["community"] == niche.name)
        for role in ("celebrity", "expert", "broker", "vanity", "brand", "bot", "peer"):
            assert roles[role] >= 1, (niche.name, role)


def test_ids_are_strings_beyond_float_precision(world) -> None:
    assert all(isinstance(a["id"], str) and int(a["id"]) > 2**53 for a in world.accounts)
    as_floats = {float(a["id"]) for a in world.accounts}
    assert len(as_floats) < len(world.accounts)  # as floats some ids would collide: strings are required
    assert all(isinstance(p["id"], str) and int(p["id"]) > 2**53 for p in world.posts)


def test_persian_text_carries_the_zero_width_non_joiner(world) -> None:
    persian = [p for p in world.posts if p["lang"] == "fa"]
    assert persian and sum("\u200c" in p["text"] for p in persian) > len(persian) / 2
    assert any("\u200c" in h["tag"] for p in persian for h in p.get("entities", {}).get("hashtags", []))
    assert any(any("\u0600" <= ch <= "\u06ff" for ch in a["name"]) for a in world.accounts)


def _audience_share(world, followers_of: dict[str, list[str]], account_id: str, community: str) -> float:
    followers = followers_of.get(account_id, [])
    return sum(world.community[f] == community for f in followers) / max(len(followers), 1)


def test_planted_audiences_have_the_intended_shape(world) -> None:
    truth = world.truth()["accounts"]
    followers_of: dict[str, list[str]] = {}
    for src, dst in world.follows:
        followers_of.setdefault(dst, []).append(src)
    for account_id, info in truth.items():
        share = _audience_share(world, followers_of, account_id, info["community"])
        if info["role"] == "celebrity":
            assert share < 0.4, f"celebrity audience should be mostly outside the niche: {share:.2f}"
        if info["role"] == "expert":
            assert share > 0.8, f"expert audience should be mostly niche members: {share:.2f}"
    by_id = {p["id"]: p for p in world.posts}
    for account_id, info in truth.items():
        if info["role"] != "vanity":
            continue
        viral = next(p for p in world.posts if p["author_id"] == account_id and MASS_HASHTAG in p["text"])
        reposters = [p["author_id"] for p in world.posts
                     if any(r["id"] == viral["id"] and r["type"] == "retweeted" for r in p.get("referenced_tweets", []))]
        assert len(reposters) >= 50
        assert sum(world.community[r] == "general" for r in reposters) / len(reposters) > 0.8
        assert viral["id"] in by_id


# ------------------------------------------------------------------ the server
def test_pages_have_the_shape_of_recorded_x_pages(world) -> None:
    recorded = json.loads(shared_path("twarc-v2-responses/brexit.jsonl").read_text().splitlines()[0])
    with SimServer(world) as server:
        page = requests.get(server.base_url + "/2/tweets/search/recent",
                            params={"query": "#pourover OR #latteart", "max_results": 100}, timeout=5).json()
    assert {"data", "includes", "meta"} <= set(page) and set(page) <= set(recorded) | {"errors"}
    needed = {"id", "author_id", "text", "created_at", "lang", "conversation_id", "public_metrics", "entities"}
    assert all(needed <= set(t) for t in page["data"])
    assert {k for t in page["data"] for k in t} <= {k for t in recorded["data"] for k in t} | {"in_reply_to_user_id"}
    assert {"users", "tweets"} <= set(page["includes"])
    assert set(page["includes"]["users"][0]) <= set(recorded["includes"]["users"][0]) | {"lang"}
    assert set(page["meta"]) == set(recorded["meta"])


def test_search_pagination_covers_each_match_once(world) -> None:
    niche = NICHES[1]
    expected = {p["id"] for p in world.posts if {h["tag"] for h in p.get("entities", {}).get("hashtags", [])} & set(niche.hashtags)}
    seen: list[str] = []
    with SimServer(world) as server:
        token, pages = None, 0
        while pages < 1000:
            params = {"query": " OR ".join(f"#{h}" for h in niche.hashtags), "max_results": 100}
            if token:
                params["next_token"] = token
            page = requests.get(server.base_url + "/2/tweets/search/recent", params=params, timeout=5).json()
            seen += [t["id"] for t in page.get("data", [])]
            pages += 1
            token = page["meta"].get("next_token")
            if not token:
                break
    assert len(seen) == len(set(seen)) and set(seen) == expected


def test_follower_pages_list_every_follower(world) -> None:
    star = next(i for i, r in world.roles.items() if r == "celebrity")
    expected = {src for src, dst in world.follows if dst == star}
    got: list[str] = []
    with SimServer(world) as server:
        token = None
        for _ in range(100):
            params = {"max_results": 100, **({"pagination_token": token} if token else {})}
            page = requests.get(f"{server.base_url}/2/users/{star}/followers", params=params, timeout=5).json()
            got += [u["id"] for u in page.get("data", [])]
            token = page["meta"].get("next_token")
            if not token:
                break
    assert len(got) == len(set(got)) and set(got) == expected and len(expected) > 500


def test_faults_are_served_then_the_real_page(world) -> None:
    with SimServer(world) as server:
        url = server.base_url + "/2/users?ids=" + world.accounts[0]["id"]
        server.add_fault("/2/users", Fault(status=429, headers={"x-rate-limit-reset": "1700000000"}))
        server.add_fault("/2/users", Fault(status=503))
        server.add_fault("/2/users", Fault(truncate=True))
        first = requests.get(url, timeout=5)
        assert first.status_code == 429 and first.headers["x-rate-limit-reset"] == "1700000000"
        assert requests.get(url, timeout=5).status_code == 503
        torn = requests.get(url, timeout=5)
        with pytest.raises(ValueError):
            torn.json()
        assert requests.get(url, timeout=5).json()["data"][0]["id"] == world.accounts[0]["id"]
        missing = requests.get(server.base_url + "/2/users?ids=42", timeout=5).json()
        assert missing["errors"][0]["title"] == "Not Found Error"


def test_token_is_required_when_set_and_server_stops(world) -> None:
    with SimServer(world, token="secret") as server:
        base = server.base_url
        assert requests.get(base + "/2/users?ids=1", timeout=5).status_code == 401
        assert requests.get(base + "/2/users?ids=1", headers={"Authorization": "Bearer secret"}, timeout=5).status_code == 200
    port = int(base.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


# ------------------------------------------------------------------ the demo
def test_demo_finishes_fast_and_writes_its_outputs(demo) -> None:
    result, seconds = demo
    assert seconds < 60
    assert result.workspace.is_dir() and result.truth.is_file() and all(p.is_file() for p in result.raw_pages)
    summary = result.summary()
    assert summary["stats"]["edges_by_kind"]["follow"]["rows"] > 10_000
    for kind in ("repost", "reply", "quote", "mention"):
        assert summary["stats"]["edges_by_kind"][kind]["rows"] > 0, kind


def test_demo_truth_names_every_role_and_every_planted_account_is_in_the_workspace(demo) -> None:
    result, _ = demo
    truth = json.loads(result.truth.read_text(encoding="utf-8"))
    assert set(truth["planted"]) == {"celebrity", "expert", "local", "broker", "vanity", "brand", "bot", "peer"}
    ids = set(Workspace(result.workspace).table("accounts")["id"])
    planted = {i for role, members in truth["planted"].items() if role != "peer" for i in members}
    assert planted <= ids


def test_demo_follow_edges_are_true_and_complete_for_every_crawled_followers_list(demo, world) -> None:
    result, _ = demo
    edges = Workspace(result.workspace).table("edges").filter(pl.col("kind") == "follow")
    found = set(edges.select("src", "dst").rows())
    assert found <= set(world.follows)  # nothing invented
    from influgraph.crawlers.state import CrawlState

    listed: set[str] = set()
    for path in (result.workspace / "crawl").glob("x-*.sqlite"):
        state = CrawlState(path)
        listed |= {t.params["id"] for t in state.tasks("followers") if t.endpoint.endswith("/followers") and t.status == "done"}
        state.close()
    assert len(listed) > 100
    assert {(s, d) for s, d in world.follows if d in listed} <= found  # every follower of every crawled list


# the demo's determinism for a seed, run to run and across changes, is checked against recorded hashes
# in test_demo_regression.py; the rerun below also compares two runs of the same seed directly


def test_demo_cli_prints_where_outputs_are_reruns_the_same_and_refuses_foreign_folders(demo_run, tmp_path: Path) -> None:
    result, out = demo_run.cli, demo_run.result.out_dir  # the session's run is `influgraph demo --out DIR`
    assert result.exit_code == 0, result.stderr
    assert str(out / "workspace") in result.stdout and str(out / "truth.json") in result.stdout
    again = tmp_path / "demo-out"  # a folder a previous demo wrote: the rerun replaces its outputs
    shutil.copytree(out, again)
    (again / "raw" / "stale.jsonl").write_text("from an older run")
    rerun = CliRunner().invoke(main, ["demo", "--out", str(again), "--json"])
    assert rerun.exit_code == 0 and json.loads(rerun.stdout)["outputs"]["truth"] == str(again / "truth.json")
    assert not (again / "raw" / "stale.jsonl").exists()
    assert Workspace(again / "workspace").content_hash() == Workspace(demo_run.result.workspace).content_hash()
    assert (again / "truth.json").read_bytes() == demo_run.result.truth.read_bytes()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("do not delete")
    refused = CliRunner().invoke(main, ["demo", "--out", str(foreign)])
    assert refused.exit_code == 2 and (foreign / "thesis.txt").read_text() == "do not delete"
