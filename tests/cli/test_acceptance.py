"""Acceptance on real data, through the command line: published statistics, idempotence, byte-exact text."""
from __future__ import annotations

import gzip
import os
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.workspace import Workspace

from shared_data import shared_path as _data


def _cli(*args: str) -> dict | str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _textbook_row(name: str) -> dict:
    import csv

    with open(_data("icwsm-polarization/summary_statistics.csv"), newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["Name"] == name)


def test_icwsm_retweet_digraph_matches_the_textbook_table(tmp_path: Path) -> None:
    edges = _data("icwsm-polarization/retweet-digraph.edges.gz")
    row = _textbook_row("Twitter US politics")
    ws = str(tmp_path / "ws")
    _cli("import", str(edges), "-w", ws, "--json")
    stats = _cli("stats", "-w", ws, "--json")
    assert stats["graph"]["nodes"] == int(row["Nodes"]) == 18_470
    assert stats["graph"]["edges"] == int(row["Links"]) == 48_365
    assert stats["graph"]["max_in_degree"] == int(row["Maximum Degree"]) == 204
    assert stats["graph"]["mean_in_degree"] == pytest.approx(float(row["Average Degree"]), rel=1e-9)
    assert stats["graph"]["density"] == pytest.approx(float(row["Density"]), rel=1e-9)


def test_icwsm_in_our_direction_needs_reverse(tmp_path: Path) -> None:
    """The file's A->B means 'B retweeted A'; in influgraph's direction (src acts) that is --reverse."""
    edges = _data("icwsm-polarization/retweet-digraph.edges.gz")
    ws = str(tmp_path / "ws")
    _cli("import", str(edges), "-w", ws, "--kind", "repost", "--reverse", "--json")
    stats = _cli("stats", "-w", ws, "--json")
    assert (stats["graph"]["nodes"], stats["graph"]["edges"]) == (18_470, 48_365)
    assert stats["graph"]["max_in_degree"] == 785 and stats["graph"]["max_out_degree"] == 204
    assert stats["edges_by_kind"]["repost"]["rows"] == 48_365


def test_importing_twice_changes_nothing(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    files = [_data("icwsm-polarization/retweet-digraph.edges.gz"), _data("twarc-v2-responses/brexit.jsonl")]
    first = _cli("import", *map(str, files), "-w", ws, "--json")
    second = _cli("import", *map(str, files), "-w", ws, "--json")
    assert first["changed"] and not second["changed"]
    assert first["after"] == second["after"] and first["content_hash"] == second["content_hash"]


def test_persian_arabic_indonesian_round_trip_through_import_and_stats(tmp_path: Path) -> None:
    people = {
        "1000000000000000001": ("کتاب‌خوان_تهران", "نویسنده‌ی کتاب‌ها", "کتاب‌خوانی"),
        "1000000000000000002": ("مكتبة_القراءة", "قراءة الكتب العربية", "القراءة"),
        "1000000000000000003": ("pecinta_kopi", "Kopi susu gula aren enak sekali", "KopiNusantara"),
    }
    users = [{"id": i, "username": h, "name": n, "description": n} for i, (h, n, _) in people.items()]
    tweets = [{"id": f"17{i[-3:]}", "author_id": i, "text": f"#{tag} {n}", "created_at": "2024-05-01T10:00:00.000Z",
               "entities": {"hashtags": [{"start": 0, "end": len(tag) + 1, "tag": tag}]}}
              for i, (_, n, tag) in people.items()]
    page = tmp_path / "page.jsonl"
    page.write_bytes((json.dumps({"data": tweets, "includes": {"users": users}}, ensure_ascii=False) + "\n").encode())
    ws = str(tmp_path / "ws")
    _cli("import", str(page), "-w", ws)
    raw = CliRunner().invoke(main, ["stats", "-w", ws, "--json"]).stdout_bytes
    stats = json.loads(raw)
    handles = {row["id"]: row["handle"] for row in stats["top_accounts_by_in_degree"]}
    for account_id, (handle, _, tag) in people.items():
        assert handles[account_id].encode() == handle.encode()
        assert tag.encode() in raw  # hashtags in stats output, byte-exact and unescaped
    assert {row["hashtag"] for row in stats["top_hashtags"]} == {tag for _, _, tag in people.values()}


def test_gzip_and_plain_copies_import_to_the_same_content(tmp_path: Path) -> None:
    source = _data("icwsm-polarization/retweet-digraph.edges.gz")
    plain = tmp_path / "retweets.txt"
    plain.write_bytes(gzip.decompress(source.read_bytes()))
    packed = tmp_path / "retweets.txt.gz"
    packed.write_bytes(source.read_bytes())
    # a file that records no retrieval time was observed when it was written: gzip keeps that time
    os.utime(packed, ns=(plain.stat().st_atime_ns, plain.stat().st_mtime_ns))
    a = _cli("import", str(plain), "-w", str(tmp_path / "a"), "--dataset", "rt", "--json")
    b = _cli("import", str(packed), "-w", str(tmp_path / "b"), "--dataset", "rt", "--json")
    assert a["content_hash"] == b["content_hash"]
    os.utime(packed, ns=(plain.stat().st_atime_ns, plain.stat().st_mtime_ns + 60 * 10**9))  # a copy made a minute later
    c = _cli("import", str(packed), "-w", str(tmp_path / "c"), "--dataset", "rt", "--json")
    assert c["content_hash"] != a["content_hash"]  # observed at another time ...
    assert Workspace(tmp_path / "c").facts_hash() == Workspace(tmp_path / "a").facts_hash()  # ... the same facts
