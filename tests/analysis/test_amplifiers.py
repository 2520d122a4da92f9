"""Crisis amplifiers (influgraph/amplifiers.py): the first spreader, the amplifiers by reach into the brand's
audience and the broker by brokerage, on hand-made worlds whose answer is known (English and Persian with the
zero-width non-joiner), on the simulated two-week world when its fixture is there, stored and shown in the report."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.amplifiers import find_amplifiers
from influgraph.cli import main
from influgraph.errors import BadInput
from influgraph.niches import NicheQuery, load_query
from influgraph.results import load_amplifiers, save_amplifiers, save_communities, stored_amplifiers
from influgraph.schema import Batch
from influgraph.workspace import Workspace

T0 = datetime(2026, 10, 9, 8, tzinfo=timezone.utc)
COMPLAINT = NicheQuery(name="burnt-beans", keywords=("burnt", "stale"), hashtags=("burntbeans",), seed_accounts=("brand_cof",))


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


class _World:
    """A small world: a brand (60 followers fa0..fa59), a first spreader, three amplifiers whose brand followers
    number 40, 25 and 15, a broker followed by 30 accounts of another community (10 of whom repost after it),
    the brand's own reply, a quoting account, and noise (a neutral post with reposts, an unrelated complaint)."""

    def __init__(self, text: str = "The beans from @brand_cof arrived burnt and stale #burntbeans", lang: str = "en"):
        self.accounts: list[dict] = []
        self.posts: list[dict] = []
        self.edges: list[dict] = []
        self.community: dict[str, int] = {}
        self.text, self.lang = text, lang
        for handle, community in [("brand_cof", 0), ("angry", 0), ("amp1", 0), ("amp2", 0), ("amp3", 0), ("link", 0),
                                  ("quoter", 0), ("neutral", 0), *[(f"fa{i}", 0) for i in range(60)],
                                  *[(f"fb{i}", 1) for i in range(30)]]:
            self.add(handle, community)
        self.follow([f"fa{i}" for i in range(60)], "brand_cof")
        self.follow(["fa0", "fa1", "fa2"], "angry")
        self.follow([f"fa{i}" for i in range(40)], "amp1")
        self.follow([f"fa{i}" for i in range(20, 45)], "amp2")
        self.follow([f"fa{i}" for i in range(45, 60)], "amp3")
        self.follow(["fa58", "fa59"] + [f"fb{i}" for i in range(30)], "link")
        for group, size in (("fa", 60), ("fb", 30)):  # each community follows itself
            for i in range(size):
                for k in range(1, 9):
                    self.follow([f"{group}{i}"], f"{group}{(i + k * 3) % size}")
        for who in ("angry", "amp1", "amp2", "amp3", "link"):
            for i in range(12):
                self.follow([who], f"fa{i * 5}")
        self.spread()

    def add(self, handle: str, community: int) -> None:
        self.accounts.append({"id": f"id-{handle}", "handle": handle, "platform": "x", "bio": "", "lang": self.lang})
        self.community[f"id-{handle}"] = community

    def follow(self, sources: list[str], target: str) -> None:
        self.edges += [{"src": f"id-{s}", "dst": f"id-{target}", "kind": "follow", "platform": "x"} for s in sources]

    def post(self, post_id: str, author: str, hours: float, text: str, **refs: str) -> None:
        self.posts.append({"id": post_id, "author_id": f"id-{author}", "created_at": _at(hours), "text": text,
                           "lang": self.lang, "platform": "x", **refs})
        for key, kind in (("repost_of", "repost"), ("quote_of", "quote"), ("reply_to", "reply")):
            if key in refs:
                target = next(p["author_id"] for p in self.posts if p["id"] == refs[key])
                self.edges.append({"src": f"id-{author}", "dst": target, "kind": kind, "post_id": post_id,
                                   "platform": "x", "at": _at(hours)})

    def spread(self) -> None:
        self.post("c1", "angry", 0, self.text)
        for n, who in enumerate(("amp1", "amp2", "amp3", "link"), start=1):
            self.post(f"r-{who}", who, n, f"RT @angry: {self.text}", repost_of="c1")
        self.post("reply-brand", "brand_cof", 1.5, "@angry sorry, DM us", reply_to="c1")
        self.post("q1", "quoter", 2.5, "this again?", quote_of="c1")
        for i in range(10):
            self.post(f"r-fb{i}", f"fb{i}", 5 + i / 10, f"RT @angry: {self.text}", repost_of="c1")
        self.post("n1", "neutral", 0.5, "a lovely morning cup")
        self.post("r-n1", "amp1", 0.6, "RT @neutral: a lovely morning cup", repost_of="n1")

    def batch(self) -> Batch:
        return Batch(accounts=pl.DataFrame(self.accounts), posts=pl.DataFrame(self.posts), edges=pl.DataFrame(self.edges))

    def workspace(self, path: Path, *, communities: bool = True) -> Workspace:
        ws = Workspace(path)
        ws.commit(self.batch())
        if communities:
            membership = pl.DataFrame({"id": list(self.community), "platform": "x", "community": list(self.community.values()),
                                       "participation": 0.0})
            save_communities(ws, SimpleNamespace(membership=membership, profiles=pl.DataFrame({"community": [0, 1]})))
        return ws


def _handles(frame: pl.DataFrame) -> list[str]:
    return frame["handle"].to_list()


def test_first_spreader_amplifiers_in_order_and_the_broker_on_a_hand_made_world(tmp_path) -> None:
    result = find_amplifiers(_World().workspace(tmp_path / "ws"), COMPLAINT)
    table = result.table
    assert result.summary["communities"] == "stored" and not result.notes
    assert _handles(table.filter(pl.col("first") == 1)) == ["angry"]
    assert _handles(table.head(3)) == ["amp1", "amp2", "amp3"]
    assert table.head(3)["reach"].to_list() == [40, 25, 15]
    row = {r["handle"]: r for r in table.iter_rows(named=True)}
    assert row["amp2"]["new_reach"] == 5  # fa40..fa44: fa20..fa39 saw amp1 first
    assert row["angry"]["cascade_reach"] == 60 and row["angry"]["reach"] == 3  # the whole cascade hangs below it
    assert "brand_cof" not in row and "neutral" not in row  # the brand's reply, and a post not on the complaint
    assert row["quoter"]["quotes"] == 1 and row["amp1"]["reposts"] == 1  # the neutral repost is not counted
    broker = table.filter(pl.col("brokerage_rank") == 1).row(0, named=True)
    assert broker["handle"] == "link" and broker["brokerage"] == 10 and broker["carried_into"] == [1]
    assert broker["exposed_across"] == 30 and broker["parent_handle"] == "angry"
    assert row["fb3"]["parent_handle"] == "link" and row["fb3"]["brokerage"] == 0
    assert result.summary["reached"] == 60 and result.summary["audience"] == 60 and result.summary["spreaders"] == 16


def test_the_time_line_counts_posts_and_reposts_per_hour() -> None:
    result = find_amplifiers(_World().batch(), COMPLAINT)
    line = result.timeline
    assert result.summary["bucket"] == "hour" and line["start"][0] == T0 and line.height == 6
    assert line["posts"].to_list() == [1, 0, 0, 0, 0, 0]
    assert line["reposts"].to_list() == [0, 1, 1, 1, 1, 10]
    assert line["quotes"].sum() == 1 and line["replies"].sum() == 1  # the brand's reply is a reply in the line
    assert line["new_spreaders"].sum() == result.table.height
    assert line["reached_total"][-1] == result.summary["reached"]
    daily = find_amplifiers(_World().batch(), COMPLAINT, bucket="day").timeline
    assert daily.height == 1 and daily["reposts"].item() == 14


def test_communities_are_computed_and_said_so_when_none_are_stored(tmp_path) -> None:
    result = find_amplifiers(_World().workspace(tmp_path / "ws", communities=False), COMPLAINT)
    assert result.summary["communities"] == "computed"
    assert any("computed" in note for note in result.notes)
    assert result.table.filter(pl.col("brokerage_rank") == 1)["handle"].item() == "link"


def test_a_window_keeps_only_what_was_posted_in_it() -> None:
    late = find_amplifiers(_World().batch(), COMPLAINT, since=_at(0.5))
    assert late.table.height == 0 and late.summary["complaint_posts"] == 0  # the root is before the window
    early = find_amplifiers(_World().batch(), COMPLAINT, until=_at(2.5))
    assert _handles(early.table) == ["amp1", "amp2", "angry"]


def test_a_complaint_nobody_posted_gives_an_empty_result_and_says_so(tmp_path) -> None:
    from influgraph.exports.report_amplifiers import section

    ws = _World().workspace(tmp_path / "ws")
    result = find_amplifiers(ws, NicheQuery(name="nothing", keywords=("zzz",), seed_accounts=("brand_cof",)))
    assert result.table.height == 0 and result.timeline.height == 0 and result.summary["reached"] == 0
    assert result.notes == ["no post matches the complaint 'nothing' in this window"]
    save_amplifiers(ws, result)
    assert section(ws).lead == ["No account spreads the complaint 'nothing' in this workspace."]


def test_the_audience_niche_adds_its_members() -> None:
    world = _World()
    for i in range(30):
        world.accounts[[a["handle"] for a in world.accounts].index(f"fb{i}")]["bio"] = "home cook, sambal fan"
    food = NicheQuery(name="food", keywords=("sambal",))
    result = find_amplifiers(world.batch(), COMPLAINT, audience=food)
    assert result.summary["audience"] == 90 and result.summary["audience_niche"] == "food"
    top = result.table.row(0, named=True)
    assert top["handle"] == "amp1" and top["reach"] == 40
    assert result.table.filter(pl.col("handle") == "link")["reach"].item() == 32


PERSIAN = """name = "bad-books"
languages = ["fa"]
keywords = ["کتاب‌ها", "بی‌کیفیت"]
seed_accounts = ["brand_cof"]
"""


def test_a_persian_complaint_matches_with_or_without_the_zero_width_non_joiner(tmp_path) -> None:
    query_file = tmp_path / "bad-books.toml"
    query_file.write_text(PERSIAN, encoding="utf-8")
    query = load_query(query_file)
    # written without the joiner and with the Arabic yeh and kaf: the same words once normalised
    world = _World(text="چاپ كتابها بيكيفيت بود @brand_cof", lang="fa")
    result = find_amplifiers(world.batch(), query)
    assert _handles(result.table.head(3)) == ["amp1", "amp2", "amp3"]
    assert _handles(result.table.filter(pl.col("first") == 1)) == ["angry"]
    assert find_amplifiers(_World(text="کتاب‌ها بی‌کیفیت", lang="fa").batch(), query).table.height == 16
    other = find_amplifiers(_World(text="کتاب‌ها بی‌کیفیت", lang="ar").batch(), query)
    assert other.table.height == 0  # the complaint's languages: fa only


def test_a_complaint_without_a_brand_or_audience_is_refused() -> None:
    with pytest.raises(BadInput, match="names no brand"):
        find_amplifiers(_World().batch(), NicheQuery(name="x", keywords=("burnt",), seed_accounts=("nobody",)))
    with pytest.raises(BadInput, match="`bucket`"):
        find_amplifiers(_World().batch(), COMPLAINT, bucket="week")
    with pytest.raises(BadInput, match="`since`"):
        find_amplifiers(_World().batch(), COMPLAINT, since="2026-10-10", until="2026-10-09")


def test_stored_amplifiers_read_back_and_the_report_section_answers_first(tmp_path) -> None:
    from influgraph.exports.report_amplifiers import section

    ws = _World().workspace(tmp_path / "ws")
    assert section(ws) is None
    result = find_amplifiers(ws, COMPLAINT)
    save_amplifiers(ws, result)
    stored = load_amplifiers(ws, "burnt-beans")
    assert stored.table.equals(result.table) and stored.timeline.equals(result.timeline)
    assert stored.summary["audience"] == 60 and list(stored_amplifiers(ws)) == ["burnt-beans"]
    assert load_amplifiers(ws, "burnt_beans") is None
    made = section(ws)
    assert made.anchor == "amplifiers-burnt-beans"
    assert made.lead[0].startswith("Answer @amp1 first: its complaint posts reach 40 of the brand's 60-account audience")
    assert "@angry" in made.lead[1] and made.lead[2].startswith("@link carried it")
    first, amplifiers = made.tables
    assert first.rows[0][1] == "@angry" and [r[1] for r in amplifiers.rows[:3]] == ["@amp1", "@amp2", "@amp3"]
    spec = made.charts[0].spec
    assert spec["mark"]["type"] == "bar" and sum(v["count"] for v in spec["data"]["values"]) == 17  # 1 + 14 reposts + quote + reply
    from influgraph.exports.report_sections import time_sections

    (rendered,) = [s for s in time_sections(ws) if s.anchor == made.anchor]
    assert rendered.charts[0].svg.startswith("<svg") and rendered.charts[0].svg.count("<path") >= 6  # one bar an hour


def test_the_docstring_example_runs() -> None:
    import doctest

    import influgraph.amplifiers

    assert doctest.testmod(influgraph.amplifiers).failed == 0


def test_the_command_prints_stores_and_speaks_json(tmp_path) -> None:
    import json

    ws = _World().workspace(tmp_path / "ws")
    query = tmp_path / "complaint.toml"
    query.write_text('name = "burnt-beans"\nkeywords = ["burnt"]\nhashtags = ["burntbeans"]\nseed_accounts = ["brand_cof"]\n')
    runner = CliRunner()
    text = runner.invoke(main, ["amplifiers", "-w", str(ws.path), "--query", str(query), "--top", "3"])
    assert text.exit_code == 0, text.output
    assert "first spreader 1: angry" in text.output and "amp1" in text.output
    data = json.loads(runner.invoke(main, ["amplifiers", "-w", str(ws.path), "--query", str(query), "--json"]).output)
    assert [r["handle"] for r in data["rows"][:3]] == ["amp1", "amp2", "amp3"] and data["reached"] == 60
    assert load_amplifiers(Workspace(ws.path), "burnt-beans") is not None
    bad = runner.invoke(main, ["amplifiers", "-w", str(ws.path), "--query", str(query), "--since", "tuesday"])
    assert bad.exit_code == 2 and "--since" in bad.output


def test_the_two_week_world_complaint_is_found_in_order(request, tmp_path) -> None:
    try:
        weeks = request.getfixturevalue("two_weeks")
    except pytest.FixtureLookupError:
        pytest.skip("the two_weeks fixture (helper W) is not there yet")
    truth = weeks.truth["week2"]["complaint"]
    terms = {k: tuple(v) for k, v in truth["query"].items() if k != "name"}
    query = NicheQuery(name=truth["query"]["name"], **{**terms, "seed_accounts": terms["seed_accounts"] or (truth["brand"],)})
    ws = tmp_path / "ws"
    shutil.copytree(weeks.workspace, ws)
    workspace = Workspace(ws)
    for stored in (False, True):  # communities computed on the fly, then the stored ones
        if stored:
            from influgraph.communities import detect_communities

            save_communities(workspace, detect_communities(workspace))
        result = find_amplifiers(workspace, query, since=weeks.truth["week2"]["start"])
        table = result.table
        assert result.summary["communities"] == ("stored" if stored else "computed")
        assert table.filter(pl.col("first") == 1)["id"].item() == truth["first_spreader"]
        assert table["id"].head(3).to_list() == truth["amplifiers"]  # by reach into the brand's followers
        assert table.filter(pl.col("brokerage_rank") == 1)["id"].item() == truth["broker"]
        assert result.timeline["posts"].sum() == 1 and result.timeline["reached_total"][-1] == result.summary["reached"]
