"""The simulated world's second week: week one unchanged, `World.at`, `world_batch`, and the planted truth.

The week-two world is built once for the module (`week2`); the workspace tests use the session's
`two_weeks` fixture (the same world committed day by day).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime, timedelta

import polars as pl
import pytest

from influgraph.simulated import NICHES, build_world, world_batch

# sha256 of build_world(7)'s accounts, posts, follows and truth, recorded before the second week existed
WEEK_ONE_SHA = "8d6617446be0ab9028d062829ac1937b4ddff08066d50de48d0d848241103ddc"


def fingerprint(world) -> str:
    blob = json.dumps([world.accounts, world.posts, world.follows, world.truth()], sort_keys=True, ensure_ascii=False,
                      default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@pytest.fixture(scope="module")
def week2():
    return build_world(7, weeks=2)


def followers_of(world) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for src, dst in world.follows:
        out.setdefault(dst, set()).add(src)
    return out


# ---------------------------------------------------------------- week one unchanged
def test_week_one_world_is_byte_identical_to_the_recorded_one() -> None:
    assert fingerprint(build_world(7)) == WEEK_ONE_SHA


def test_the_two_week_world_at_week_two_start_is_the_week_one_world(week2) -> None:
    one = build_world(7)
    then = week2.at(week2.week_starts[1])
    assert then.accounts == one.accounts and then.posts == one.posts and then.follows == one.follows
    assert then.truth() == {**one.truth(), "week2": week2.week2}
    assert one.now == week2.week_starts[1] and "week2" not in one.truth()
    assert week2.now == week2.week_starts[1] + timedelta(days=7)


def test_the_two_week_world_is_deterministic(week2) -> None:
    again = build_world(7, weeks=2)
    assert again.posts == week2.posts and again.follows == week2.follows and again.likes == week2.likes
    assert again.truth() == week2.truth()


def test_weeks_other_than_one_or_two_are_refused() -> None:
    from influgraph.errors import BadInput

    with pytest.raises(BadInput, match="1 or 2"):
        build_world(7, weeks=3)


# ---------------------------------------------------------------- World.at
def test_at_keeps_only_what_exists_by_then_with_the_counts_of_then(week2) -> None:
    when = week2.week_starts[1] + timedelta(days=3, hours=7)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    then = week2.at(when)
    assert then.now == when
    assert {p["id"] for p in then.posts} == {p["id"] for p in week2.posts if p["created_at"] <= stamp}
    assert len(then.posts) < len(week2.posts) and len(then.follows) < len(week2.follows)
    assert all(week2.follow_times.get(f, when) <= when for f in then.follows)
    assert all(t <= when for _, _, t in then.likes) and len(then.likes) < len(week2.likes)
    later = Counter(d for (s, d), t in week2.follow_times.items() if t > when)
    final = {a["id"]: a["public_metrics"] for a in week2.accounts}
    for account in then.accounts:
        assert account["created_at"] <= stamp
        metrics = account["public_metrics"]
        assert metrics["followers_count"] == final[account["id"]]["followers_count"] - later[account["id"]]
    reposts = Counter(r["id"] for p in then.posts for r in p.get("referenced_tweets", []) if r["type"] == "retweeted")
    for post in then.posts:
        assert post["public_metrics"]["retweet_count"] == reposts[post["id"]]
    assert week2.at(week2.now).posts == week2.posts  # nothing is cut at the end


def test_post_ids_grow_with_time_as_x_ids_do(week2) -> None:
    ordered = sorted(week2.posts, key=lambda p: (p["created_at"], int(p["id"])))
    assert [int(p["id"]) for p in ordered] == sorted(int(p["id"]) for p in week2.posts)


# ---------------------------------------------------------------- world_batch
def test_world_batch_of_a_snapshot_equals_a_read_of_its_own_pages(week2) -> None:
    from influgraph.simulated.world_batch import _whole

    snapshot = week2.at(week2.week_starts[1] + timedelta(days=2, hours=13))
    cut, direct = world_batch(snapshot), _whole(snapshot)
    keys = {"accounts": ["id"], "posts": ["id"], "edges": ["src", "dst", "kind", "post_id"]}
    for name, frame in cut.frames().items():
        assert frame.height > 0
        assert frame.sort(keys[name]).equals(direct.frames()[name].sort(keys[name])), name


def test_world_batch_holds_every_account_post_and_edge_with_times(week2) -> None:
    batch = world_batch(week2)
    assert batch.accounts.height == len(week2.accounts) and batch.posts.height == len(week2.posts)
    kinds = dict(batch.edges.group_by(pl.col("kind").cast(pl.String)).len().iter_rows())
    assert kinds["follow"] == len(week2.follows) and kinds["like"] == len(week2.likes)
    reposts = sum(1 for p in week2.posts for r in p.get("referenced_tweets", []) if r["type"] == "retweeted")
    assert kinds["repost"] == reposts
    timed = batch.edges.filter(pl.col("kind").cast(pl.String) == "follow", pl.col("at").is_not_null())
    assert timed.height == len(week2.follow_times)
    assert batch.edges.filter(pl.col("kind").cast(pl.String) == "like")["at"].null_count() == 0
    if "observed_at" in batch.edges.columns:
        assert set(batch.edges["observed_at"].unique().to_list()) == {week2.now}


def test_two_weeks_workspace_holds_the_whole_world(two_weeks) -> None:
    from influgraph.workspace import Workspace

    workspace = Workspace(two_weeks.workspace)
    counts = workspace.counts()
    world = two_weeks.world
    assert counts["accounts"] == len(world.accounts) and counts["posts"] == len(world.posts)
    edges = workspace.table("edges")
    assert edges.filter(pl.col("kind").cast(pl.String) == "follow").height == len(world.follows)
    spiked = next(iter(two_weeks.truth["week2"]["spikes"]))
    final = next(a for a in world.accounts if a["id"] == spiked)["public_metrics"]["followers_count"]
    stored = workspace.table("accounts").filter(pl.col("id") == spiked)["followers"].item()
    assert stored == final


# ---------------------------------------------------------------- member rule
def query_of(truth: dict, name: str):
    from influgraph.niches import NicheQuery

    niche = next(n for n in truth["niches"] if n["name"] == name)
    return NicheQuery(name=name, languages=(niche["language"],), hashtags=tuple(niche["hashtags"]),
                      keywords=tuple(niche["keywords"]), seed_accounts=tuple(niche["seed_accounts"]))


@pytest.fixture(scope="module")
def batch2(week2):
    return world_batch(week2)


@pytest.mark.parametrize("niche", [n.name for n in NICHES])
def test_the_truths_member_rule_equals_influgraphs(week2, batch2, niche: str) -> None:
    from influgraph.rank import niche_members as influgraph_members
    from influgraph.simulated.week_two_truth import niche_members

    flagged = influgraph_members(batch2, query_of(week2.truth(), niche))
    theirs = set(flagged.filter("member")["id"].to_list())
    ours = niche_members(week2, next(n for n in NICHES if n.name == niche)) & set(flagged["id"].to_list())
    assert len(theirs) > 300 and ours == theirs


def campaign_people(world, campaign: dict) -> set[str]:
    """Every account that posted, reposted, quoted, replied to or liked a campaign cascade post in its window."""
    from influgraph.simulated.week_two_truth import _cascades, fold

    low, high = (datetime.fromisoformat(campaign[k]).strftime("%Y-%m-%dT%H:%M:%S.000Z") for k in ("since", "until"))
    _, roots = _cascades(world, {fold(h) for h in campaign["hashtags"]}, low, high)
    posts = {p["id"]: p for p in world.posts}
    people = {posts[i]["author_id"] for i in roots} | set(campaign["accounts"])
    people |= {who for who, post, _ in world.likes if post in roots}
    return people


def test_member_rule_agrees_with_the_planted_community_for_everyone_in_the_campaign(week2, batch2) -> None:
    from influgraph.rank import niche_members as influgraph_members

    campaign = week2.truth()["week2"]["campaign"]
    flagged = influgraph_members(batch2, query_of(week2.truth(), campaign["niche"]))
    member = dict(zip(flagged["id"].to_list(), flagged["member"].to_list()))
    people = campaign_people(week2, campaign)
    assert len(people) > 250
    wrong = sorted(p for p in people if member.get(p, False) != (week2.community[p] == campaign["niche"]))
    assert not wrong, f"{len(wrong)} campaign accounts whose membership differs from their community: {wrong[:5]}"
    outsiders = [p for p in people if week2.community[p] != campaign["niche"]]
    assert len(outsiders) > 40 and {week2.community[p] for p in outsiders} >= {"general", "kuliner-nusantara"}


# ---------------------------------------------------------------- the truth's invariants
def test_rising_accounts_are_ordinary_niche_peers_who_gain_member_followers(week2) -> None:
    truth = week2.truth()["week2"]
    followers = followers_of(week2)
    for niche in NICHES:
        rising = truth["rising"][niche.name]
        assert len(set(rising)) == 3
        for account in rising:
            assert week2.roles[account] == "peer" and week2.community[account] == niche.name
            gained = [s for (s, d) in week2.follow_times if d == account]
            assert 40 <= len(gained) <= 80 and len(followers[account]) < 150  # rising, not a celebrity
            assert all(week2.community[s] == niche.name for s in gained)


def test_campaign_truth_is_positive_and_has_campaign_posts_inside_its_window(week2) -> None:
    campaign = week2.truth()["week2"]["campaign"]
    for key in ("unique_reach", "member_engagements", "outsider_engagements", "member_engagers"):
        assert campaign[key] > 0, key
    assert campaign["member_engagements"] > campaign["outsider_engagements"] > 20
    assert campaign["member_engagers"] <= campaign["member_engagements"]
    posts = {p["id"]: p for p in week2.posts}
    authors = {posts[i]["author_id"] for i in campaign["posts"]}
    assert set(campaign["accounts"]) < authors  # a member outside the picks posted under a campaign hashtag too
    assert len(campaign["posts"]) == 9 and len(campaign["top_outside_amplifiers"]) == 3
    assert not set(campaign["top_outside_amplifiers"]) & set(campaign["accounts"])
    since, until = campaign["since"], campaign["until"]
    tagged = [p for p in week2.posts if "#brewbetterweek" in p["text"] and not p["text"].startswith("RT ")]
    outside = [p for p in tagged if not since <= datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")).isoformat() < until]
    assert outside, "a teaser before `since` tests the window"


def test_outside_amplifiers_lead_by_a_clear_margin(week2) -> None:
    from influgraph.simulated.week_two_truth import campaign_numbers

    campaign = week2.truth()["week2"]["campaign"]
    numbers = campaign_numbers(week2, campaign["hashtags"], datetime.fromisoformat(campaign["since"]),
                               datetime.fromisoformat(campaign["until"]), NICHES[0], campaign["accounts"])
    drawn = list(numbers["outside_amplification"].values())
    assert drawn[0] > drawn[1] > drawn[2] >= drawn[3] + 4


def test_complaint_amplifiers_are_ranked_by_reach_into_the_brands_followers(week2) -> None:
    complaint = week2.truth()["week2"]["complaint"]
    followers = followers_of(week2)
    audience = followers[complaint["brand"]]
    reach = [len(followers[a] & audience) for a in complaint["amplifiers"]]
    margin = len(audience) // 8
    others = [complaint["broker"], complaint["first_spreader"]]
    assert reach[0] >= reach[1] + margin and reach[1] >= reach[2] + margin
    assert reach[2] >= max(len(followers.get(o, set()) & audience) for o in others) + margin
    assert week2.community[complaint["broker"]] != complaint["niche"]
    assert week2.community[complaint["first_spreader"]] == complaint["niche"]


def complaint_posts(world, query) -> set[str]:
    from influgraph.niches import post_in_niche_expr

    posts = pl.DataFrame([{"id": p["id"], "text": p["text"], "lang": p["lang"],
                           "hashtags": [h["tag"] for h in p.get("entities", {}).get("hashtags", [])]} for p in world.posts])
    return set(posts.filter(post_in_niche_expr(query))["id"].to_list())


def test_a_complaint_query_finds_only_the_complaint_and_the_niche_query_none_of_it(week2) -> None:
    from influgraph.niches import NicheQuery

    truth = week2.truth()
    complaint = truth["week2"]["complaint"]
    q = complaint["query"]
    found = complaint_posts(week2, NicheQuery(name=q["name"], keywords=tuple(q["keywords"]),
                                              hashtags=tuple(q["hashtags"]), languages=tuple(q["languages"])))
    posts = {p["id"]: p for p in week2.posts}
    cascade = {complaint["post"]}
    for post in sorted(week2.posts, key=lambda p: p["created_at"]):
        if any(r["id"] in cascade for r in post.get("referenced_tweets", [])):
            cascade.add(post["id"])
    assert len(cascade) > 50 and found == cascade
    first = min(cascade, key=lambda i: posts[i]["created_at"])
    assert posts[first]["author_id"] == complaint["first_spreader"]
    assert not found & complaint_posts(week2, query_of(truth, complaint["niche"]))
    carried = {posts[i]["author_id"] for i in cascade if any(posts[r["id"]]["author_id"] == complaint["broker"]
                                                             for r in posts[i].get("referenced_tweets", []))}
    assert len(carried) >= 5 and {week2.community[a] for a in carried} == {week2.community[complaint["broker"]]}


def test_follower_spikes_come_on_their_day(week2) -> None:
    spikes = week2.truth()["week2"]["spikes"]
    assert len(spikes) == 3
    for account, day in spikes.items():
        per_day = Counter(t.date().isoformat() for (s, d), t in week2.follow_times.items() if d == account)
        assert per_day[day] >= 40 and all(n < 10 for d, n in per_day.items() if d != day)
        assert week2.roles[account] != "celebrity"


# ---------------------------------------------------------------- demo --weeks 2
@pytest.mark.slow
def test_demo_with_two_weeks_crawls_week_one_then_updates_to_the_end_of_week_two(tmp_path) -> None:
    from click.testing import CliRunner

    from influgraph.cli import main
    from influgraph.workspace import Workspace

    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--weeks", "2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    world = build_world(7, weeks=2)
    assert truth == json.loads(json.dumps(world.truth(), ensure_ascii=False))
    assert summary["world"]["weeks"] == 2
    assert sorted(p.name for p in (out / "raw").glob("*-week2.jsonl")) == sorted(f"x-{n.name}-week2.jsonl" for n in NICHES)
    assert set(summary["week2"]["updates"]) == {n.name for n in NICHES} | {truth["week2"]["complaint"]["query"]["name"]}
    posts = Workspace(out / "workspace").table("posts")
    stored = set(posts["id"].to_list())
    assert set(truth["week2"]["campaign"]["posts"]) <= stored  # the update crawl found the campaign
    assert truth["week2"]["complaint"]["post"] in stored  # crawled by its own query (it is no niche content)
    assert (out / "raw" / f"x-{truth['week2']['complaint']['query']['name']}.jsonl").is_file()
    newest = posts.filter(pl.col("id").is_in(truth["week2"]["campaign"]["posts"]))
    if "observed_at" in newest.columns:
        assert set(newest["observed_at"].to_list()) == {world.now}


def test_two_weeks_history_shows_each_spike_on_its_day(two_weeks) -> None:
    from influgraph.workspace import Workspace

    observations = Workspace(two_weeks.workspace).table("observations")
    assert observations.height > len(two_weeks.world.accounts)  # a history, not one row per account
    for account, day in two_weeks.truth["week2"]["spikes"].items():
        rows = observations.filter(pl.col("id") == account).sort("observed_at")
        jumps = rows.with_columns(pl.col("followers").diff().alias("jump"), pl.col("observed_at").dt.date().cast(pl.String))
        biggest = jumps.sort("jump", descending=True, nulls_last=True).row(0, named=True)
        assert biggest["observed_at"] == day and biggest["jump"] >= 40
    assert two_weeks.world.at(two_weeks.world.now - timedelta(seconds=1)).posts == two_weeks.world.posts
