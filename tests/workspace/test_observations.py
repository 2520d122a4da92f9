"""`observed_at` on every row and the `observations` history: idempotent, atomic with the tables, checked."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl

from influgraph.ingest import import_paths
from influgraph.integrity import check_workspace
from influgraph.schema import OBSERVATIONS, Batch
from influgraph.workspace import Workspace

T0 = datetime(2026, 10, 8, tzinfo=timezone.utc)


def _batch(when: datetime, followers: int, bio: str = "pour-over") -> Batch:
    accounts = pl.DataFrame({"id": ["a", "b"], "platform": ["x", "x"], "bio": [bio, "b"], "followers": [followers, 5],
                             "following": [3, 1], "observed_at": [when, when]})
    edges = pl.DataFrame({"src": ["b"], "dst": ["a"], "kind": ["follow"], "platform": ["x"], "observed_at": [when]})
    return Batch(accounts=accounts, edges=edges)


def test_the_history_grows_only_when_counts_change(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.commit(_batch(T0, 10))
    first = ws.content_hash()
    same = ws.commit(_batch(T0 + timedelta(days=1), 10))  # seen again, nothing changed
    assert not same.changed and same.content_hash == first
    ws.commit(_batch(T0 + timedelta(days=2), 12))
    history = ws.table("observations").filter(pl.col("id") == "a").sort("observed_at")
    assert history["followers"].to_list() == [10, 12]
    assert history["observed_at"].to_list() == [T0, T0 + timedelta(days=2)]
    assert ws.table("observations").filter(pl.col("id") == "b").height == 1
    accounts = ws.table("accounts")
    times = dict(zip(accounts["id"], accounts["observed_at"]))
    assert times == {"a": T0 + timedelta(days=2), "b": T0}  # an unchanged row keeps its first observation
    assert ws.table("edges")["observed_at"].to_list() == [T0]


def test_a_lookup_of_an_empty_workspace_has_the_schema(tmp_path: Path) -> None:
    assert Workspace(tmp_path / "none").table("observations").schema == OBSERVATIONS


def test_reimporting_a_copy_with_another_file_time_changes_nothing(tmp_path: Path) -> None:
    page = {"data": [{"id": "1", "username": "ann", "public_metrics": {"followers_count": 4}}],
            "__twarc": {"url": "https://api.twitter.com/2/users?ids=1", "retrieved_at": "2026-10-09T10:00:00+00:00"}}
    plain = {"data": [{"id": "2", "username": "bob", "public_metrics": {"followers_count": 7}}]}
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    first.write_text(json.dumps(page) + "\n" + json.dumps(plain) + "\n")
    second.write_text(first.read_text())
    os.utime(second, (1_900_000_000, 1_900_000_000))
    ws = Workspace(tmp_path / "ws")
    report = import_paths(ws, [first])
    accounts = ws.table("accounts")
    assert set(accounts["observed_at"]) == {datetime(2026, 10, 9, 10, tzinfo=timezone.utc)}  # the recorded time
    assert import_paths(ws, [first]).commit.content_hash == report.commit.content_hash
    assert import_paths(ws, [second]).commit.content_hash == report.commit.content_hash


def test_a_file_without_a_recorded_time_takes_its_modification_time(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("source,target,kind\n1,2,like\n")
    os.utime(path, (1_790_000_000.25, 1_790_000_000.25))
    ws = Workspace(tmp_path / "ws")
    import_paths(ws, [path])
    assert ws.table("edges")["observed_at"].to_list() == [datetime.fromtimestamp(1_790_000_000.25, tz=timezone.utc)]


def test_check_verifies_the_observations_file(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.commit(_batch(T0, 10))
    ws.commit(_batch(T0 + timedelta(days=1), 11))
    assert check_workspace(ws).healthy and "observations" in ws.manifest()["tables"]
    target = tmp_path / "ws" / "tables" / ws.manifest()["tables"]["observations"]["file"]
    ws.close()
    other = pl.DataFrame({name: [None] for name in OBSERVATIONS}, schema=OBSERVATIONS)
    other.write_parquet(target)
    found = check_workspace(Workspace(tmp_path / "ws"))
    assert not found.healthy and any(d.path == target for d in found.damaged)
