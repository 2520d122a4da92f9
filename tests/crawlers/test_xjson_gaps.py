"""Two twarc gaps of the X JSON reader: replies named only by `in_reply_to_user_id`, and twarc's non-tweet outputs."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.errors import BadInput
from influgraph.sources.xjson import read_x_json
from shared_data import shared_path


def test_a_reply_without_referenced_tweets_gets_its_reply_edge(tmp_path: Path) -> None:
    page = {"data": [{"id": "5", "text": "@alice yes", "author_id": "1", "in_reply_to_user_id": "2"},
                     {"id": "6", "text": "plain", "author_id": "2"}],
            "includes": {"users": [{"id": "1", "username": "bob"}, {"id": "2", "username": "alice"}]}}
    path = tmp_path / "replies.jsonl"
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    edges = read_x_json(path).batch.edges
    assert edges.select("src", "dst", pl.col("kind").cast(pl.String)).rows() == [("1", "2", "reply")]


@pytest.mark.parametrize("name,kind", [("test_client_get_recent_tweets_count", "counts"),
                                       ("test_client_get_all_tweets_count", "counts"),
                                       ("test_client_get_list", "lists"), ("test_client_get_owned_lists", "lists"),
                                       ("test_client_create_and_get_compliance_job_and_jobs", "compliance")])
def test_twarc_outputs_that_hold_no_tweets_are_refused_in_one_line_naming_the_kind(name: str, kind: str,
                                                                                   tmp_path: Path) -> None:
    interactions = json.loads(shared_path(f"tweepy-cassettes/decoded/{name}.json").read_text(encoding="utf-8"))
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(i["body"]) + "\n" for i in interactions
                            if isinstance(i.get("body"), dict) and "data" in i["body"]), encoding="utf-8")
    with pytest.raises(BadInput, match=f"twarc2 {kind}" if kind != "compliance" else "compliance file") as refused:
        read_x_json(path)
    assert "tweet id" not in str(refused.value) and "influgraph import reads twarc2 search" in str(refused.value)
    result = CliRunner().invoke(main, ["import", str(path), "-w", str(tmp_path / "ws")])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1 and kind[:5] in result.stderr


def test_a_compliance_deletions_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "deletions.jsonl"
    path.write_text(json.dumps({"id": "1", "action": "delete", "created_at": "2021-10-07T07:41:18.000Z",
                                "redacted_at": "2021-10-07T07:41:18.000Z", "reason": "deleted"}) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match="compliance file"):
        read_x_json(path)
