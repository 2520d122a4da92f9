"""Time windows and rising accounts (influgraph/windows.py, influgraph/trends.py): the ICWSM retweet
rows counted per week against the file's own time column, and a hand-built niche where one account rises."""
from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from influgraph.errors import BadInput
from influgraph.ingest import read_path
from influgraph.niches import NicheQuery
from influgraph.schema import Batch
from influgraph.sources.base import ImportOptions
from influgraph.trends import niche_trends
from influgraph.windows import parse_window, rank_windows, window_counts
from tests.shared_data import shared_path

ICWSM = ImportOptions(format="tsv", source_col="1", target_col="2", kind_col="3", time_col="5", hashtags_col="6+", reverse=True)


def test_weekly_icwsm_windows_count_the_files_time_column() -> None:
    path = shared_path("icwsm-polarization/retweet.edges.gz")
    batch = read_path(path, ICWSM).batch
    since = datetime(2010, 9, 1, tzinfo=timezone.utc)
    series = window_counts(batch, "7d", since, "2010-12-01")
    assert series.height == 13 and series["start"][0] == since
    lines = pl.Series(gzip.decompress(path.read_bytes()).decode().splitlines())
    seconds = lines.str.split("\t").list.get(4).cast(pl.Int64)
    week = (seconds - int(since.timestamp())) // (7 * 86400)
    direct = pl.DataFrame({"w": week}).group_by("w").len().sort("w")
    expected = dict(zip(direct["w"].to_list(), direct["len"].to_list()))
    got = dict(enumerate(series["weight"].cast(pl.Int64).to_list()))
    assert {w: n for w, n in got.items() if n} == expected
    assert series["weight"].sum() == 61_157 and series["repost"].sum() == batch.edges.height
    assert (series["reply"].sum(), series["follow"].sum()) == (0, 0)


def _rising_world() -> Batch:
    """Three weeks of a coffee niche: `steady` is reposted by 3 members every week, `riser` by 6 members in the last."""
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    members = [f"m{i}" for i in range(8)]
    accounts = pl.DataFrame({"id": [*members, "steady", "riser", "quiet"], "platform": "x",
                             "bio": ["coffee lover"] * 8 + ["barista", "roaster", "coffee"]})
    posts, edges = [], []
    for week in range(3):
        at = start + timedelta(days=7 * week, hours=1)
        for author in ("steady", "riser", "quiet"):
            posts.append({"id": f"{author}-{week}", "author_id": author, "text": "#coffee today", "created_at": at})
        edges += [{"src": m, "dst": "steady", "kind": "repost", "post_id": f"steady-{week}", "at": at + timedelta(hours=2)}
                  for m in members[:3]]
        edges += [{"src": "m7", "dst": "quiet", "kind": "reply", "post_id": f"quiet-{week}", "at": at + timedelta(hours=3)}]
    last = start + timedelta(days=14, hours=4)
    edges += [{"src": m, "dst": "riser", "kind": "repost", "post_id": "riser-2", "at": last} for m in members[2:8]]
    edges += [{"src": m, "dst": "riser", "kind": "follow", "post_id": None, "at": None} for m in members[:2]]
    return Batch(accounts=accounts, posts=pl.DataFrame(posts).with_columns(platform=pl.lit("x")),
                 edges=pl.DataFrame(edges).with_columns(platform=pl.lit("x")))


QUERY = NicheQuery(name="coffee", hashtags=("coffee",), keywords=("coffee",))


def test_the_account_that_rises_in_the_last_window_ranks_first() -> None:
    batch = _rising_world()
    result = niche_trends(batch, QUERY, "7d", since="2026-01-05", until="2026-01-26")
    assert result.windows.height == 3
    top = result.table.row(0, named=True)
    assert top["id"] == "riser" and top["rising"] > 0 and top["inlinks"] == 6 and top["baseline_inlinks"] == 0
    steady = result.table.filter(pl.col("id") == "steady").row(0, named=True)
    assert steady["rising"] < top["rising"] and steady["baseline_inlinks"] == steady["inlinks"] == 3
    per_window = result.series.filter(pl.col("id") == "riser").sort("start")["member_inlinks"].to_list()
    assert per_window[-1] == 6 and max(per_window[:-1], default=0) == 0


def test_each_window_ranks_only_its_own_interactions() -> None:
    ranked = rank_windows(_rising_world(), QUERY, "7d", since="2026-01-05", until="2026-01-26")
    engagement = [r.result.table.filter(pl.col("id") == "riser")["niche_engagement"].sum() for r in ranked]
    assert engagement == [0, 0, 6]


@pytest.mark.parametrize("bad", ["", "7", "d", "0d", "-1d", "7x", "1.5d", "99999999d", "7 days"])
def test_bad_windows_are_refused_naming_the_parameter(bad: str) -> None:
    with pytest.raises(BadInput, match="`window`"):
        parse_window(bad)


def test_one_window_is_not_enough_for_a_rising_score() -> None:
    with pytest.raises(BadInput, match="two windows"):
        niche_trends(_rising_world(), QUERY, "4w", since="2026-01-05", until="2026-01-26")
    with pytest.raises(BadInput, match="`since`"):
        window_counts(_rising_world(), "7d", since="2026-02-01", until="2026-01-01")
    with pytest.raises(BadInput, match="`until`"):
        window_counts(_rising_world(), "7d", until="next tuesday")


def test_the_trends_command_prints_the_riser_first_as_json(tmp_path) -> None:
    import json

    from click.testing import CliRunner

    from influgraph.cli import main
    from influgraph.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    ws.commit(_rising_world())
    (tmp_path / "coffee.toml").write_text('name = "coffee"\nhashtags = ["coffee"]\nkeywords = ["coffee"]\n')
    done = CliRunner().invoke(main, ["trends", "-w", str(tmp_path / "ws"), "--query", str(tmp_path / "coffee.toml"),
                                     "--window", "7d", "--since", "2026-01-05", "--until", "2026-01-26", "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert [w["candidates"] > 0 for w in data["windows"]] == [True, True, True]
    assert data["rows"][0]["id"] == "riser" and data["rows"][0]["rank"] == 1
    text = CliRunner().invoke(main, ["trends", "-w", str(tmp_path / "ws"), "--query", str(tmp_path / "coffee.toml"),
                                     "--since", "2026-01-05", "--until", "2026-01-26"])
    assert text.exit_code == 0 and "riser" in text.stdout.splitlines()[4]
