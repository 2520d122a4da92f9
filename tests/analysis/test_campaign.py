"""Campaign results (influgraph/campaign.py): a hand-made world whose answer is counted by hand below,
cascades against a plain-Python count, picks delivered against predicted, storage, the CLI and the report
section; on the simulated two-week world (fixture `two_weeks`) the numbers equal the planted truth."""
from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from influgraph.campaign import campaign_results, read_picks, series, tree_layout
from influgraph.errors import BadInput
from influgraph.niches import NicheQuery
from influgraph.rank import niche_members, rank_niche
from influgraph.results import load_campaign, save_campaign, stored_campaigns
from influgraph.schema import Batch, conform

T0 = datetime(2026, 1, 2, 10, tzinfo=timezone.utc)
QUERY = NicheQuery(name="coffee", keywords=("espresso",), seed_accounts=("m1",))
WINDOW = {"since": "2026-01-01", "until": "2026-01-08"}


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def _world() -> Batch:
    """Campaign #brewday by picks a and b; see `test_hand_counted_world` for the count by hand."""
    bios = {"a": "espresso roaster", "b": "deals", "m1": "hi", "m2": "espresso nerd", "m3": "espresso", "m4": "espresso",
            "m5": "espresso", "x1": "espresso", "o1": "deals", "o2": "deals", "o3": "deals", "o4": "deals"}
    accounts = pl.DataFrame({"id": list(bios), "handle": [f"h_{k}" for k in bios], "bio": list(bios.values()),
                             "platform": ["x"] * len(bios)})
    rows = [  # id, author, text, hours after T0, repost_of, quote_of, reply_to
        ("P1", "a", "Launch day #brewday", 0, None, None, None),
        ("P2", "b", "Try it #BrewDay", 24, None, None, None),
        ("P0", "a", "teaser #brewday", -72, None, None, None),  # before the window
        ("R1", "o1", "RT #brewday", 1, "P1", None, None),
        ("Q1", "m2", "nice one", 2, None, "P1", None),
        ("R2", "m3", "RT", 3, "Q1", None, None),
        ("Y1", "m1", "@h_a looks good", 4, None, None, "P1"),
        ("Y2", "a", "@h_m1 thanks", 5, None, None, "Y1"),  # the author's own reply: a node, no engagement
        ("R3", "m4", "RT", 24 * 7.5, "P1", None, None),  # after the window
        ("RP", "o2", "RT", 25, "P2", None, None),
        ("N", "m1", "morning espresso", 48, None, None, None),  # not the campaign
        ("RN", "o2", "RT", 49, "N", None, None),
    ]
    posts = pl.DataFrame([{"id": i, "author_id": a, "text": t, "created_at": _at(h), "repost_of": r, "quote_of": q,
                           "reply_to": y, "platform": "x"} for i, a, t, h, r, q, y in rows])
    author = {r[0]: r[1] for r in rows}
    edges = [(author[i], author[r or q or y], "repost" if r else "quote" if q else "reply", i, _at(h))
             for i, _, _, h, r, q, y in rows if r or q or y]  # the edges the X reader makes of those posts
    edges += [("o4", "a", "repost", "P1", _at(6)),  # a retweeted_by row: a node with no post of its own
              ("m1", "a", "like", "P1", _at(1)), ("o2", "m2", "like", "Q1", _at(30)), ("a", "o1", "like", "R1", _at(2)),
              ("m2", "b", "like", "P2", _at(24 * 9)), ("o3", "m1", "like", "N", _at(50)), ("m4", "b", "like", "P2", None),
              ("o3", "o1", "like", "R1", _at(7)), ("m5", "m1", "like", "Y1", _at(8))]
    follows = [("m1", "a"), ("m2", "a"), ("o1", "a"), ("m3", "m2"), ("m4", "o1"), ("o3", "b"), ("m1", "o2"),
               ("m4", "m1"), ("x1", "m1"), ("m5", "o4")]
    edges += [(s, d, "follow", None, None) for s, d in follows]
    frame = pl.DataFrame([{"src": s, "dst": d, "kind": k, "post_id": p, "at": t, "platform": "x"} for s, d, k, p, t in edges],
                         schema_overrides={"at": pl.Datetime("us", "UTC")})
    return Batch(accounts=conform(accounts, "accounts"), posts=conform(posts, "posts"), edges=conform(frame, "edges"))


PREDICTED = pl.DataFrame({"pick": [1, 2], "id": ["a", "b"], "audience": [3, 2], "marginal_reach": [3, 2]})


def _result(**extra):
    options = {"name": "launch", "hashtags": ["#brewday"], "accounts": ["a", "h_b"], "predicted": PREDICTED, **WINDOW, **extra}
    return campaign_results(_world(), QUERY, **options)


def test_hand_counted_world() -> None:
    result = _result()
    facts = result.facts
    # spreaders a, b, o1, m2, m3, o2, o4; exposed = their followers and themselves minus the authors a, b:
    # o1 m2 m3 o2 o4 m1 o3 m4 m5 (x1 follows only the replier m1: not exposed); members among them: m1..m5
    assert (facts["exposed"], facts["unique_reach"]) == (9, 5)
    # engagements: R1 o1, Q1 m2, R2 m3, Y1 m1, o4's repost row, RP o2, likes m1 P1, o2 Q1, m4 P2 (undated),
    # o3 R1, m5 Y1; not: Y2 and a's like (the author), R3 and m2's like (after until), RN and o3's like of N
    assert (facts["engagements"], facts["member_engagements"], facts["outsider_engagements"]) == (11, 6, 5)
    assert (facts["member_engagers"], facts["outsider_engagers"]) == (5, 4)
    assert facts["posts"] == 2 and result.posts["id"].to_list() == ["P1", "P2"]
    assert facts["verdict"].startswith("it reached the niche:")
    assert any("carry no time" in note for note in result.notes)


def test_cascades_equal_a_plain_count() -> None:
    result = _result()
    nodes = {row["node"]: row for row in result.nodes.iter_rows(named=True)}
    children = defaultdict(list)
    for node, row in nodes.items():
        if row["parent"] is not None:
            children[row["parent"]].append(node)

    def walk(node: str, depth: int, levels: dict) -> None:
        levels[depth] = levels.get(depth, 0) + 1
        for child in children[node]:
            walk(child, depth + 1, levels)

    for row in result.cascades.iter_rows(named=True):
        levels: dict[int, int] = {}
        walk(row["cascade"], 0, levels)
        assert (row["size"], row["depth"], row["max_breadth"]) == (sum(levels.values()), max(levels),
                                                                   max((n for d, n in levels.items() if d), default=0))
    sizes = dict(result.cascades.select("cascade", "size").rows())
    assert sizes == {"P1": 7, "P2": 2}  # P1, R1, Q1, R2, Y1, Y2, o4's repost; P2, RP
    p1 = result.cascades.filter(pl.col("cascade") == "P1").row(0, named=True)
    assert (p1["depth"], p1["max_breadth"], p1["reach"], p1["member_engagements"]) == (2, 4, 5, 5)
    assert nodes["R2"]["parent_account"] == "m2" and nodes["R2"]["depth"] == 2


def test_picks_delivered_against_predicted() -> None:
    picks = _result().picks
    assert picks["id"].to_list() == ["a", "b"]
    a, b = picks.iter_rows(named=True)
    assert (a["reach"], a["new_reach"], a["predicted_marginal_reach"], a["delivered_vs_predicted"]) == (5, 5, 3, 5 / 3)
    assert (a["member_engagements"], a["outsider_engagements"], b["member_engagements"]) == (5, 4, 1)
    assert (b["reach"], b["new_reach"], b["delivered_vs_predicted"]) == (1, 0, 0.0)  # m1, already reached by a
    assert (a["posts"], a["cascade_nodes"], b["cascade_nodes"]) == (1, 7, 2)
    reversed_order = _result(predicted=PREDICTED.with_columns(pl.Series("pick", [2, 1]))).picks
    assert reversed_order["id"].to_list() == ["b", "a"] and reversed_order["new_reach"].to_list() == [1, 4]


def test_outside_amplifiers_by_engagements_drawn() -> None:
    amplifiers = _result().amplifiers
    # m2's quote drew R2 and o2's like; o1's repost drew o3's like; m1's reply drew m5's like (a reply counts too);
    # a's like of R1 is the root author's: no engagement
    assert amplifiers["id"].to_list() == ["m2", "m1", "o1"]
    assert amplifiers["drawn"].to_list() == [2, 1, 1] and amplifiers["member_drawn"].to_list() == [1, 1, 0]
    assert amplifiers["member_followers"].to_list() == [1, 2, 1]  # m3; m4 and x1; m4
    assert amplifiers["handle"].to_list() == ["h_m2", "h_m1", "h_o1"]


def test_without_picks_the_authors_are_the_picks() -> None:
    result = _result(accounts=None, predicted=None)
    assert result.facts["accounts"] == ["a", "b"]
    assert result.picks["predicted_marginal_reach"].null_count() == 2


def test_members_are_the_rankings_members() -> None:
    members = niche_members(_world(), QUERY)
    assert int(members["member"].sum()) == rank_niche(_world(), QUERY).members
    assert sorted(members.filter("member")["id"].to_list()) == ["a", "m1", "m2", "m3", "m4", "m5", "x1"]


def test_series_and_tree_layout() -> None:
    result = _result()
    counted = series(result.engagements, datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 8, tzinfo=timezone.utc))
    assert counted["engagements"].sum() == 10  # the undated like is left out
    assert set(counted["group"]) == {"niche members", "outsiders"}
    tree = tree_layout(result.nodes.filter(pl.col("cascade") == "P1"))
    assert tree["y"].to_list() == list(map(float, range(7)))
    order = tree["node"].to_list()
    for row in tree.iter_rows(named=True):  # depth-first: every node comes after its parent, its subtree right after
        if row["parent"] is not None:
            assert order.index(row["parent"]) < order.index(row["node"])
            assert (row["parent_x"], row["parent_y"]) == tuple(tree.filter(pl.col("node") == row["parent"]).select("x", "y").row(0))
    assert order[:4] == ["P1", "R1", "Q1", "R2"]  # Q1's subtree (R2) before the later sibling Y1
    assert tree_layout(result.nodes.filter(pl.col("cascade") == "P1"), limit=3).height == 3


@pytest.mark.parametrize("options, param", [
    ({"hashtags": []}, "hashtags"), ({"hashtags": ["two words"]}, "hashtags"), ({"since": "tuesday"}, "since"),
    ({"until": "2025-01-01"}, "since"), ({"until": None}, "until"), ({"name": ""}, "name"), ({"name": "a\nb"}, "name"),
    ({"accounts": ["nobody"]}, "accounts")])
def test_bad_input_names_its_parameter(options: dict, param: str) -> None:
    with pytest.raises(BadInput) as caught:
        _result(**options)
    assert caught.value.param == param


def test_read_picks(tmp_path) -> None:
    shortlist = tmp_path / "picks.csv"
    shortlist.write_text("pick,id,handle\n1,'+12,h\n2,b,h_b\n", encoding="utf-8")
    assert read_picks(shortlist) == ["+12", "b"]  # the spreadsheet apostrophe undone
    plain = tmp_path / "picks.txt"
    plain.write_bytes("\ufeff# picks\n@h_a\n\nb\nb\n".encode())
    assert read_picks(plain) == ["h_a", "b"]
    for name, content in {"empty.txt": b"\n# none\n", "binary.txt": b"\xff\xfe\x00", "nocol.csv": b"who,cost\na,1\n",
                          "float.txt": b"1.5e18\n"}.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(BadInput):
            read_picks(tmp_path / name)
    with pytest.raises(BadInput):
        read_picks(tmp_path / "missing.csv")


def test_stored_and_read_back(tmp_path) -> None:
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    ws.commit(_world())
    result = campaign_results(ws, QUERY, name="launch", hashtags=["brewday"], accounts=["a", "b"], predicted=PREDICTED, **WINDOW)
    save_campaign(ws, result)
    stored = load_campaign(ws, "launch")
    assert stored is not None and stored.facts["unique_reach"] == 5 and stored.facts["hashtags"] == ["brewday"]
    assert stored.nodes.height == result.nodes.height and stored.picks["id"].to_list() == ["a", "b"]
    assert list(stored_campaigns(ws)) == ["launch"] and load_campaign(ws, "Launch") is None


def test_report_section_renders(tmp_path) -> None:
    from influgraph.exports.report_campaign import section
    from influgraph.exports.report_sections import time_sections
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    ws.commit(_world())
    assert section(ws) is None
    save_campaign(ws, campaign_results(ws, QUERY, name="launch", hashtags=["brewday"], accounts=["a", "b"],
                                       predicted=PREDICTED, **WINDOW))
    (built,) = [s for s in time_sections(ws, ("report_campaign",))]
    assert built.anchor == "campaign-launch"
    assert built.lead[0].startswith("Campaign launch in coffee: it reached the niche: 6 of 11 engagements")
    assert "@h_m2, @h_m1, @h_o1" in built.lead[1] and "short were @h_b" in built.lead[2]
    assert dict(built.facts)["niche members reached"] == "5"
    assert [t.rows[0][1] for t in built.tables[:2]] == ["@h_a", "@h_m2"]
    series_chart, tree_chart = built.charts
    assert series_chart.svg.startswith("<svg") and tree_chart.svg.count("<path") >= 6  # a rule per parent-child pair
    points = tree_chart.spec["layer"][1]["data"]["values"]
    assert len(points) == 7 and points[0]["group"] == "campaign post"


# ---------------------------------------------------------------- the simulated two-week world (issue 18's acceptance)
def _planted(two_weeks):
    truth = two_weeks.truth["week2"]["campaign"]
    niche = next(n for n in two_weeks.truth["niches"] if n["name"] == truth["niche"])
    query = NicheQuery(name=niche["name"], languages=(niche["language"],), hashtags=tuple(niche["hashtags"]),
                       keywords=tuple(niche["keywords"]), seed_accounts=tuple(niche["seed_accounts"]))
    return truth, query


@pytest.fixture(scope="module")
def planted_run(two_weeks, tmp_path_factory):
    """The two-week workspace copied, the planted picks shortlisted (must-include), and the campaign's results."""
    from influgraph.results import save_shortlist
    from influgraph.shortlisting import shortlist
    from influgraph.workspace import Workspace

    truth, query = _planted(two_weeks)
    path = tmp_path_factory.mktemp("campaign") / "ws"
    shutil.copytree(two_weeks.workspace, path)
    ws = Workspace(path, create=False)
    picked = shortlist(ws, query, ranked=rank_niche(ws, query).table, k=len(truth["accounts"]),
                       must_include=truth["accounts"], allow_flagged=True)
    save_shortlist(ws, query.name, picked)
    result = campaign_results(ws, query, name=truth["name"], hashtags=truth["hashtags"], accounts=truth["accounts"],
                              since=truth["since"], until=truth["until"])
    return ws, truth, query, picked, result


def test_two_weeks_reach_and_engagement_equal_the_planted_truth(planted_run) -> None:
    _, truth, _, _, result = planted_run
    assert sorted(result.posts["id"].to_list()) == sorted(truth["posts"])
    for key in ("unique_reach", "member_engagements", "outsider_engagements", "member_engagers"):
        assert result.facts[key] == truth[key], key
    assert result.facts["unique_reach"] > 100 and result.facts["member_engagements"] > result.facts["outsider_engagements"]
    assert result.facts["verdict"].startswith("it reached the niche:")


def test_two_weeks_outside_amplifiers_are_the_planted_ones(planted_run) -> None:
    _, truth, _, _, result = planted_run
    planted = truth["top_outside_amplifiers"]
    assert result.amplifiers["id"].head(len(planted)).to_list() == planted
    assert not set(result.amplifiers["id"]) & set(truth["accounts"])


def _plain_cascades(ws, campaign_ids: set[str], since: datetime, until: datetime) -> dict[str, dict]:
    """Per campaign post, a plain-Python count over the stored posts: size, depth, max breadth, spreaders."""
    posts = {row["id"]: row for row in ws.table("posts").iter_rows(named=True)}
    root, depth = {p: p for p in campaign_ids}, {p: 0 for p in campaign_ids}
    for post in sorted(posts.values(), key=lambda p: (p["created_at"], p["id"])):
        parent = post["repost_of"] or post["quote_of"] or post["reply_to"]
        if post["id"] not in root and parent in root and since <= post["created_at"] < until:
            root[post["id"]], depth[post["id"]] = root[parent], depth[parent] + 1
    out: dict[str, dict] = {p: {"size": 0, "levels": defaultdict(int), "spreaders": set()} for p in campaign_ids}
    for node, top in root.items():
        entry, post = out[top], posts[node]
        entry["size"] += 1
        entry["levels"][depth[node]] += 1
        if node == top or post["repost_of"] or post["quote_of"]:
            entry["spreaders"].add(post["author_id"])
    return out


def test_two_weeks_cascades_and_picks_equal_a_plain_count(planted_run) -> None:
    ws, truth, query, picked, result = planted_run
    since, until = datetime.fromisoformat(truth["since"]), datetime.fromisoformat(truth["until"])
    plain = _plain_cascades(ws, set(truth["posts"]), since, until)
    for row in result.cascades.iter_rows(named=True):
        entry = plain[row["cascade"]]
        assert (row["size"], row["depth"], row["max_breadth"]) == (
            entry["size"], max(entry["levels"]), max((n for d, n in entry["levels"].items() if d), default=0)), row["cascade"]
    assert result.cascades.height == len(truth["posts"]) and result.facts["largest_size"] == max(e["size"] for e in plain.values())
    followers = defaultdict(set)
    for src, dst in ws.table("edges").filter(pl.col("kind") == "follow").select("src", "dst").iter_rows():
        followers[dst].add(src)
    members = set(niche_members(ws, query).filter("member")["id"])
    authors = set(result.posts["author_id"])
    author_of = dict(result.posts.select("id", "author_id").iter_rows())
    seen: set[str] = set()
    predicted = dict(picked.picks.select("id", "marginal_reach").iter_rows())
    for row in result.picks.iter_rows(named=True):  # in shortlist order
        spreaders = set().union(*[e["spreaders"] for p, e in plain.items() if author_of[p] == row["id"]])
        reached = (set().union(*[followers[s] for s in spreaders]) | spreaders) - authors & members
        assert (row["reach"], row["new_reach"]) == (len(reached), len(reached - seen)), row["id"]
        assert row["predicted_marginal_reach"] == predicted[row["id"]]
        seen |= reached
    assert len(seen) <= result.facts["unique_reach"]
    assert result.picks["id"].to_list() == picked.picks["id"].to_list()



def test_the_command_prints_stores_and_refuses(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from influgraph.cli import main
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    ws.commit(_world())
    (tmp_path / "coffee.toml").write_text('name = "coffee"\nkeywords = ["espresso"]\nseed_accounts = ["m1"]\n')
    (tmp_path / "picks.txt").write_text("a\n@h_b\n")
    base = ["campaign", "-w", str(ws.path), "--query", str(tmp_path / "coffee.toml"), "--name", "launch",
            "--hashtags", "brewday", "--since", "2026-01-01", "--until", "2026-01-08"]

    def run(*args: str):
        return CliRunner().invoke(main, [*base, *args])

    shown = run("--accounts", str(tmp_path / "picks.txt"))
    assert shown.exit_code == 0, shown.output
    assert "it reached the niche: 6 of 11 engagements" in shown.stdout and "h_m2 2/1" in shown.stdout
    printed = json.loads(run("--json").stdout)
    assert (printed["unique_reach"], printed["member_engagements"], printed["accounts"]) == (5, 6, ["a", "b"])
    assert load_campaign(ws, "launch").facts["accounts"] == ["a", "b"]
    (tmp_path / "bad.txt").write_text("nobody\n")
    refused = run("--accounts", str(tmp_path / "bad.txt"))
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1 and "--accounts" in refused.stderr


def test_a_campaign_with_no_post_is_stored_and_shown(tmp_path) -> None:
    from influgraph.exports.report_campaign import section
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    ws.commit(_world())
    result = campaign_results(ws, QUERY, name="quiet", hashtags=["nothing"], **WINDOW)
    assert (result.facts["posts"], result.facts["unique_reach"], result.picks.height) == (0, 0, 0)
    assert result.notes and "`hashtags`" in result.notes[0]
    save_campaign(ws, result)
    (shown,) = section(ws)
    assert shown.lead == ["Campaign quiet in coffee: no engagement with the campaign posts in the window."]
    assert shown.charts == [] and load_campaign(ws, "quiet").notes == result.notes
