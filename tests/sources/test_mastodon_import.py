"""Mastodon API JSON import: the real Mastodon.py recordings, counted by hand, and never mistaken for X."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.sources.detect import detect_format
from influgraph.sources.mastodon import account_key, read_mastodon_json, read_mastodon_pages
from influgraph.workspace import Workspace
from shared_data import shared_path

CASSETTES = ("test_account_followers", "test_account_following", "test_account_lookup", "test_account_relationships",
             "test_account_search", "test_fetch_next_previous", "test_hashtag_tl", "test_public_tl", "test_status_context",
             "test_status_favourited_by", "test_status_reblogged_by")
HOME = "localhost:3000"


def _recorded(name: str) -> list[tuple[str, object]]:
    """(request URL, decoded answer) of a cassette: every GET answered 200, and the statuses the test created
    (POST /api/v1/statuses), which the favourited_by and reblogged_by lists belong to."""
    yaml = pytest.importorskip("yaml")
    cassette = yaml.safe_load(shared_path(f"mastodon-py-cassettes/{name}.yaml").read_text(encoding="utf-8"))
    pages = []
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        wanted = request["method"] == "GET" or request["uri"].endswith("/api/v1/statuses")
        if wanted and response["status"]["code"] == 200:
            pages.append((request["uri"], json.loads(response["body"]["string"])))
    return pages


def test_the_recordings_parse_into_the_accounts_posts_and_edges_counted_by_hand() -> None:
    batch, notes = read_mastodon_pages([page for name in CASSETTES for page in _recorded(name)])
    # Accounts, by hand: the recordings name four accounts of localhost:3000, mastodonpy_test (verify_credentials,
    # lookups, every status of fetch_next_previous...), mastodonpy_test_2 (hashtag, public timeline, reblogged_by),
    # admin and admin2 (account_search; admin also in the public timeline). The same account recorded on different
    # days has different numeric ids (117020457910412882, 117020565966271181): one row, as its id is username@home.
    assert sorted(batch.accounts["id"]) == sorted(f"{n}@{HOME}" for n in ("mastodonpy_test", "mastodonpy_test_2", "admin", "admin2"))
    # Posts, by hand: fetch_next_previous 10 ("Toot number 0".."9", read again in three pages of 5), hashtag_tl 1
    # (#hoot), public_tl 8 (the created status is one of the 8 of the timeline, read twice with local=1),
    # status_context 1, favourited_by 1, reblogged_by 2: 10 + 1 + 8 + 1 + 1 + 2 = 23.
    assert batch.posts.height == 23 and batch.posts["id"].n_unique() == 23
    assert batch.posts.filter(pl.col("hashtags").list.contains("hoot")).height == 1
    # Edges, by hand: public_tl status 117020588169351887 by admin mentions mastodonpy_test (1 mention); the one
    # favourited_by answer lists mastodonpy_test for its own status (1 like); the first reblogged_by answer lists
    # mastodonpy_test_2 for its own status, the second is empty (1 repost); followers and following are empty; the
    # context of the status is empty: 3 edges. Self-engagement stays in the table (the graph drops self-loops).
    edges = {(e["src"], e["dst"], e["kind"]) for e in batch.edges.iter_rows(named=True)}
    assert batch.edges.height == 3
    assert edges == {(f"admin@{HOME}", f"mastodonpy_test@{HOME}", "mention"),
                     (f"mastodonpy_test@{HOME}", f"mastodonpy_test@{HOME}", "like"),
                     (f"mastodonpy_test_2@{HOME}", f"mastodonpy_test_2@{HOME}", "repost")}
    like = batch.edges.filter(pl.col("kind") == "like").row(0, named=True)
    assert like["post_id"] == "http://localhost:3000/ap/users/117020565966271181/statuses/117020585802289163"
    # Left out, by hand: one relationships answer and two /api/v2/instance answers are neither accounts nor statuses.
    assert notes == ["the Mastodon pages: 3 item(s) that are neither accounts nor statuses skipped"]
    john = batch.accounts.filter(pl.col("id") == f"mastodonpy_test@{HOME}").row(0, named=True)
    assert john["name"] == "John Lennon" and john["bio"] == "I walk funny" and john["protected"] is True


def test_the_favourited_by_recording_imports_as_mastodon_accounts_and_is_refused_as_x(tmp_path: Path) -> None:
    answer = next(body for url, body in _recorded("test_status_favourited_by") if url.endswith("/favourited_by"))
    path = tmp_path / "favourited_by.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    assert detect_format(path) == "mastodon-json"
    run = CliRunner().invoke(main, ["import", str(path), "-w", str(tmp_path / "ws")])
    assert run.exit_code == 0, run.output
    accounts = Workspace(tmp_path / "ws").table("accounts")
    assert accounts.select("id", "platform", "name").rows() == [(f"mastodonpy_test@{HOME}", "mastodon", "John Lennon")]
    forced = CliRunner().invoke(main, ["import", str(path), "-w", str(tmp_path / "x"), "--format", "x-json"])
    assert forced.exit_code == 2 and "Mastodon" in forced.stderr and "mastodon-json" in forced.stderr
    assert len(forced.stderr.strip().splitlines()) == 1


def test_every_recorded_answer_kind_is_detected_from_content(tmp_path: Path) -> None:
    for number, (url, body) in enumerate(page for name in CASSETTES for page in _recorded(name)):
        if not body or "/instance" in url or "/relationships" in url:
            continue
        path = tmp_path / f"{number}.json"
        path.write_text(json.dumps(body), encoding="utf-8")
        assert detect_format(path) == "mastodon-json", url


def test_ids_are_unique_across_instances_and_edges_come_from_the_request_url(tmp_path: Path) -> None:
    remote = {"id": "7", "username": "alice", "acct": "alice@example.org", "url": "https://social.example.org/@alice"}
    local = {"id": "8", "username": "bob", "acct": "bob"}
    assert account_key(remote, "mastodon.social") == "alice@social.example.org"
    assert account_key(local, "mastodon.social") == "bob@mastodon.social"
    status = {"id": "100", "uri": "https://mastodon.social/users/bob/statuses/100", "content": "<p>hi <b>all</b></p>",
              "created_at": "2026-01-02T03:04:05.000Z", "account": local, "mentions": [remote],
              "tags": [{"name": "coffee"}], "in_reply_to_id": None, "in_reply_to_account_id": None}
    reply = {**status, "id": "101", "uri": "https://social.example.org/users/alice/statuses/101", "account": remote,
             "in_reply_to_id": "100", "in_reply_to_account_id": "8", "mentions": [local]}
    lines = [{"__mastodon": {"url": "https://mastodon.social/api/v1/statuses/100/context"}, "data":
              {"ancestors": [], "descendants": [reply]}}, status,
             {"__mastodon": {"url": "https://mastodon.social/api/v1/accounts/8/followers"}, "data": [remote]},
             {"__mastodon": {"url": "https://mastodon.social/api/v1/statuses/100/reblogged_by"}, "data": [remote]},
             [{"id": "1", "type": "favourite", "account": remote, "status": status, "created_at": "2026-01-03T00:00:00Z"}]]
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    assert detect_format(path) == "mastodon-json"
    result = read_mastodon_json(path)
    edges = {(e["src"], e["dst"], e["kind"]) for e in result.batch.edges.iter_rows(named=True)}
    alice, bob = "alice@social.example.org", "bob@mastodon.social"
    assert edges == {(bob, alice, "mention"), (alice, bob, "reply"), (alice, bob, "follow"), (alice, bob, "repost"),
                     (alice, bob, "like")}  # the reply's mention of bob is absorbed into the reply
    assert result.batch.posts.filter(pl.col("id") == status["uri"])["text"].to_list() == ["hi all"]
