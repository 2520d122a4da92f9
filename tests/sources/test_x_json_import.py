"""X API v2 JSON import on real twarc2 pages: every reference and mention accounted for."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from influgraph.ingest import import_paths
from influgraph.sources.base import ImportOptions
from influgraph.sources.xjson import read_x_json
from influgraph.workspace import Workspace

from shared_data import shared_path


def _page(name: str) -> tuple[Path, dict]:
    path = shared_path(f"twarc-v2-responses/{name}")
    return path, json.loads(path.read_text(encoding="utf-8").splitlines()[0])


def _has(edges: pl.DataFrame, src: str, dst: str, kind: str, post: str) -> bool:
    return edges.filter((pl.col("src") == src) & (pl.col("dst") == dst) & (pl.col("kind") == kind)
                        & (pl.col("post_id") == post)).height == 1


@pytest.mark.parametrize("name, reposts, quotes, replies, mentions", [
    ("brexit.jsonl", 67, 11, 10, 120),
    ("kpop.jsonl", 78, None, None, 108),
])
def test_every_reference_and_mention_of_the_primary_tweets_is_accounted_for(name, reposts, quotes, replies, mentions):
    path, page = _page(name)
    edges = read_x_json(path).batch.edges
    included = {t["id"]: t for t in page["includes"].get("tweets", [])}
    refs = {"retweeted": 0, "quoted": 0, "replied_to": 0}
    where = {"repost_author": 0, "original_author": 0, "original_reply_target": 0, "reply_target": 0, "mention_edge": 0}
    for tweet in page["data"]:
        author, tid = tweet["author_id"], tweet["id"]
        kinds = {r["type"]: r["id"] for r in tweet.get("referenced_tweets", [])}
        for kind in kinds:
            refs[kind] += 1
        if "retweeted" in kinds:
            original = included[kinds["retweeted"]]
            assert _has(edges, author, original["author_id"], "repost", tid)
        if "quoted" in kinds:
            assert _has(edges, author, included[kinds["quoted"]]["author_id"], "quote", tid)
        if "replied_to" in kinds:
            assert _has(edges, author, tweet["in_reply_to_user_id"], "reply", tid)
        for m in tweet.get("entities", {}).get("mentions", []):
            if "retweeted" in kinds:
                original = included[kinds["retweeted"]]
                if m["start"] == 3 and m["id"] == original["author_id"]:
                    where["repost_author"] += 1  # "RT @author:" is the repost edge itself
                elif m["id"] == original.get("in_reply_to_user_id"):  # the original replied to them
                    assert _has(edges, original["author_id"], m["id"], "reply", original["id"]), m
                    where["original_reply_target"] += 1
                else:  # written by the original author: an edge from them, on the original post
                    assert _has(edges, original["author_id"], m["id"], "mention", original["id"]), m
                    where["original_author"] += 1
                assert not _has(edges, author, m["id"], "mention", tid)
            elif "replied_to" in kinds and m["id"] == tweet["in_reply_to_user_id"]:
                assert not _has(edges, author, m["id"], "mention", tid)
                where["reply_target"] += 1
            else:
                assert _has(edges, author, m["id"], "mention", tid)
                where["mention_edge"] += 1
    assert refs["retweeted"] == reposts
    if quotes is not None:
        assert (refs["quoted"], refs["replied_to"]) == (quotes, replies)
    assert sum(where.values()) == mentions, where
    print(name, where)
    assert where["repost_author"] == reposts  # every retweet names its author once


def test_brexit_includes_become_posts_and_accounts():
    path, page = _page("brexit.jsonl")
    batch = read_x_json(path).batch
    tweet_ids = {t["id"] for t in page["data"]} | {t["id"] for t in page["includes"]["tweets"]}
    user_ids = {u["id"] for u in page["includes"]["users"]}
    assert len(page["includes"]["tweets"]) == 59 and len(user_ids) == 177
    assert set(batch.posts["id"]) == tweet_ids
    assert user_ids <= set(batch.accounts["id"])
    users = {u["id"]: u for u in page["includes"]["users"]}
    accounts = {row["id"]: row for row in batch.accounts.iter_rows(named=True)}
    some = next(iter(users))
    assert accounts[some]["followers"] == users[some]["public_metrics"]["followers_count"]
    assert accounts[some]["handle"] == users[some]["username"]
    hashtags = {t["id"]: [h["tag"] for h in t.get("entities", {}).get("hashtags", [])] for t in page["data"]}
    posts = {row["id"]: row for row in batch.posts.iter_rows(named=True)}
    assert all(posts[i]["hashtags"] == tags for i, tags in hashtags.items())
    assert batch.posts.schema["id"] == pl.String and all(len(i) >= 18 for i in batch.posts["id"])


def test_import_twice_is_idempotent(tmp_path: Path):
    path, _ = _page("brexit.jsonl")
    ws = Workspace(tmp_path / "ws")
    first = import_paths(ws, [path]).commit
    second = import_paths(ws, [path]).commit
    assert first.after == second.after and first.content_hash == second.content_hash and not second.changed


def _write(tmp_path: Path, name: str, lines: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def test_followers_and_following_pages_give_follow_edges(tmp_path: Path):
    users = [{"id": "11", "username": "a", "name": "A"}, {"id": "12", "username": "b", "name": "B"}]
    path = _write(tmp_path, "graph.jsonl", [
        {"data": users, "meta": {"result_count": 2}, "__twarc": {"url": "https://api.twitter.com/2/users/99/followers?max_results=1000"}},
        {"data": users[:1], "meta": {"result_count": 1}, "__twarc": {"url": "https://api.twitter.com/2/users/99/following"}},
    ])
    edges = read_x_json(path).batch.edges.select("src", "dst", "kind").sort("src", "dst").rows()
    assert edges == [("11", "99", "follow"), ("12", "99", "follow"), ("99", "11", "follow")]


def test_liking_users_page_resolves_the_author_in_the_same_file(tmp_path: Path):
    path = _write(tmp_path, "likes.jsonl", [
        {"data": [{"id": "500", "author_id": "7", "text": "hello"}]},
        {"data": [{"id": "8", "username": "fan"}], "__twarc": {"url": "https://api.twitter.com/2/tweets/500/liking_users"}},
        {"data": [{"id": "9", "username": "lost"}], "__twarc": {"url": "https://api.twitter.com/2/tweets/501/liking_users"}},
    ])
    result = read_x_json(path)
    assert result.batch.edges.select("src", "dst", "kind", "post_id").rows() == [("8", "7", "like", "500")]
    assert any("1 like/repost row" in note for note in result.notes)


def test_partial_errors_become_tombstones(tmp_path: Path):
    path = _write(tmp_path, "errors.jsonl", [{"errors": [
        {"resource_type": "user", "parameter": "ids", "resource_id": "31", "title": "Not Found Error", "detail": "Could not find user with ids: [31]."},
        {"resource_type": "user", "parameter": "ids", "resource_id": "32", "title": "Forbidden", "detail": "User has been suspended: [32]."},
        {"resource_type": "tweet", "parameter": "ids", "resource_id": "5", "title": "Not Found Error"},
    ]}])
    accounts = read_x_json(path).batch.accounts
    assert dict(accounts.select("id", "status").rows()) == {"31": "not_found", "32": "suspended"}


def test_integer_ids_are_kept_exactly_and_float_ids_refused(tmp_path: Path):
    big = 1440716895355764743
    ok = _write(tmp_path, "int.jsonl", [{"data": [{"id": big, "author_id": big + 1, "text": "x"}]}])
    assert read_x_json(ok).batch.posts["id"].to_list() == [str(big)]
    bad = tmp_path / "float.json"
    bad.write_text('{"data": [{"id": 1.440716895355764e18, "author_id": "1", "text": "x"}]}')
    from influgraph.errors import BadInput
    with pytest.raises(BadInput, match="string id"):
        read_x_json(bad)


def test_persian_arabic_indonesian_text_is_byte_exact(tmp_path: Path):
    texts = {"name": "کتاب‌خوان", "bio": "عاشق القراءة", "tag": "KulinerNusantara", "tag2": "کتاب‌خوانی"}
    path = _write(tmp_path, "fa.jsonl", [{"data": [{"id": "1", "author_id": "2", "text": "#کتاب‌خوانی #KulinerNusantara",
                                                    "entities": {"hashtags": [{"tag": texts["tag2"]}, {"tag": texts["tag"]}]}}],
                                          "includes": {"users": [{"id": "2", "username": "u", "name": texts["name"], "description": texts["bio"]}]}}])
    ws = Workspace(tmp_path / "ws")
    import_paths(ws, [path], ImportOptions())
    account = ws.table("accounts").filter(pl.col("id") == "2").row(0, named=True)
    assert account["name"].encode() == texts["name"].encode() and account["bio"].encode() == texts["bio"].encode()
    assert [t.encode() for t in ws.table("posts")["hashtags"][0]] == [texts["tag2"].encode(), texts["tag"].encode()]
