"""The workspace: idempotent upserts, merge rules, atomic commits, orphan cleanup, survival of SIGKILL."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from influgraph.atomic import TEMP_SUFFIX
from influgraph.errors import BadInput
from influgraph.schema import Batch
from influgraph.workspace import Workspace


def _batch(n: int = 3, offset: int = 0) -> Batch:
    ids = [str(10**18 + offset + i) for i in range(n)]
    return Batch(
        accounts=pl.DataFrame({"id": ids, "platform": ["x"] * n, "handle": [f"user{i}" for i in range(n)]}),
        edges=pl.DataFrame({"src": ids, "dst": ids[1:] + ids[:1], "kind": ["repost"] * n,
                            "platform": ["x"] * n, "post_id": [f"p{offset + i}" for i in range(n)]}),
    )


def test_commit_twice_changes_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    first = ws.commit(_batch())
    files = sorted(p.name for p in (ws.path / "tables").iterdir())
    second = ws.commit(_batch())
    assert first.changed and not second.changed
    assert first.after == second.after == {"accounts": 3, "posts": 0, "edges": 3}
    assert first.content_hash == second.content_hash == ws.content_hash()
    assert sorted(p.name for p in (ws.path / "tables").iterdir()) == files


def test_hash_depends_on_content_not_on_row_order(tmp_path: Path) -> None:
    batch = _batch(50)
    shuffled = Batch(accounts=batch.accounts.sample(fraction=1.0, shuffle=True, seed=1),
                     edges=batch.edges.sample(fraction=1.0, shuffle=True, seed=2))
    a, b = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    assert a.commit(batch).content_hash == b.commit(shuffled).content_hash
    c = Workspace(tmp_path / "c")
    assert c.commit(_batch(50, offset=1)).content_hash != a.content_hash()


def test_null_never_erases_a_known_value_and_newer_values_win(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.commit(Batch(accounts=pl.DataFrame({"id": ["1"], "platform": ["x"], "bio": ["کتاب‌ها"], "followers": [10]})))
    ws.commit(Batch(accounts=pl.DataFrame({"id": ["1"], "platform": ["x"], "handle": ["reader"]})))
    ws.commit(Batch(accounts=pl.DataFrame({"id": ["1"], "platform": ["x"], "followers": [12]})))
    row = ws.table("accounts").row(0, named=True)
    assert (row["bio"], row["handle"], row["followers"]) == ("کتاب‌ها", "reader", 12)
    assert row["bio"].encode() == "کتاب‌ها".encode()  # the zero-width non-joiner survives


def test_same_key_on_other_platform_is_another_account(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.commit(Batch(accounts=pl.DataFrame({"id": ["1", "1"], "platform": ["x", "bluesky"]})))
    assert ws.counts()["accounts"] == 2


def test_edges_with_null_keys_upsert_not_duplicate(tmp_path: Path) -> None:
    edges = pl.DataFrame({"src": ["a"], "dst": ["b"], "kind": ["follow"], "platform": ["x"], "weight": [2.0]})
    ws = Workspace(tmp_path / "ws")
    ws.commit(Batch(edges=edges))
    ws.commit(Batch(edges=edges.with_columns(pl.lit(5.0).alias("weight"))))
    table = ws.table("edges")
    assert table.height == 1 and table["weight"].item() == 5.0


def test_orphans_of_a_killed_commit_are_removed_at_open(tmp_path: Path) -> None:
    """What a killed commit's journal names goes; a table file no journal names is kept (cleanup cannot destroy)."""
    ws = Workspace(tmp_path / "ws")
    ws.commit(_batch())
    (ws.path / "tables" / "edges-999999.parquet").write_bytes(b"half a parquet file")
    (ws.path / "commit-journal.json").write_text(json.dumps({"generation": 999999, "files": ["edges-999999.parquet"]}))
    (ws.path / "tables" / "posts-000777.parquet").write_bytes(b"someone's file")
    (ws.path / "tables" / f".accounts-000009.parquet.123{TEMP_SUFFIX}").write_bytes(b"torn")
    (ws.path / f".manifest.json.55{TEMP_SUFFIX}").write_bytes(b"{")
    before = ws.content_hash()
    reopened = Workspace(ws.path)
    names = {p.name for p in reopened.path.rglob("*") if p.is_file()}
    assert not any(TEMP_SUFFIX in n for n in names) and "edges-999999.parquet" not in names
    assert "commit-journal.json" not in names and "posts-000777.parquet" in names
    assert reopened.content_hash() == before and reopened.table("edges").height == 3
    assert reopened.commit(_batch(offset=10)).after["edges"] == 6
    assert (ws.path / "tables" / "posts-000777.parquet").read_bytes() == b"someone's file"


def test_a_first_commit_killed_midway_leaves_an_openable_empty_workspace(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    (folder / "tables").mkdir(parents=True)
    (folder / f".manifest.json.77{TEMP_SUFFIX}").write_bytes(b'{"format": 1')
    (folder / "tables" / "edges-000001.parquet").write_bytes(b"PAR1")
    (folder / "commit-journal.json").write_text('{"generation": 1, "files": ["accounts-000001.parquet", '
                                                '"edges-000001.parquet"]}')
    ws = Workspace(folder)
    assert ws.counts() == {"accounts": 0, "posts": 0, "edges": 0}
    assert not list(folder.rglob(f"*{TEMP_SUFFIX}")) and not list((folder / "tables").iterdir())
    assert ws.commit(_batch()).after["edges"] == 3


def test_refuses_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match="not an influgraph workspace"):
        Workspace(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_unreadable_manifest_is_a_clear_error(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.commit(_batch())
    (ws.path / "manifest.json").write_text("{not json")
    assert ws.table("edges").height == 3  # this object holds the generation it read
    with pytest.raises(BadInput, match="manifest is unreadable"):
        Workspace(ws.path).table("edges")


def test_workspace_path_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's -w/--workspace: the flag, else $INFLUGRAPH_WORKSPACE, else ./influgraph-workspace."""
    import click
    from click.testing import CliRunner

    from influgraph.cli import workspace_option

    @click.command()
    @workspace_option
    def show(workspace: str) -> None:
        click.echo(workspace)

    def resolved(*args: str, **env: str) -> str:
        return CliRunner().invoke(show, list(args), env=env).output.strip()

    monkeypatch.delenv("INFLUGRAPH_WORKSPACE", raising=False)
    assert resolved() == "influgraph-workspace"
    assert resolved(INFLUGRAPH_WORKSPACE="/tmp/env-ws") == "/tmp/env-ws"
    assert resolved("-w", "flag-ws", INFLUGRAPH_WORKSPACE="/tmp/env-ws") == "flag-ws"


_CHILD = textwrap.dedent(
    """
    import sys, polars as pl
    from influgraph.schema import Batch
    from influgraph.workspace import Workspace
    ws = Workspace(sys.argv[1])
    print("ready", flush=True)
    for step in range(int(sys.argv[2])):
        ids = [str(10**18 + step * 5000 + i) for i in range(5000)]
        batch = Batch(
            accounts=pl.DataFrame({"id": ids, "platform": ["x"] * 5000, "bio": ["می‌خوانم"] * 5000}),
            edges=pl.DataFrame({"src": ids, "dst": ids[::-1], "kind": ["mention"] * 5000,
                                "platform": ["x"] * 5000, "post_id": ids}),
        )
        ws.commit(batch)
        print(step, ws.content_hash(), flush=True)
    """
)


def _run_child(ws: Path, steps: int, kill: tuple[int, float] | None = None) -> tuple[list[str], float]:
    """Run the committing child; returns the hashes it acknowledged and the seconds from ready to its end.

    With `kill=(acks, delay)` the child is SIGKILLed `delay` seconds after its `acks`-th acknowledged
    commit (after it is ready, for 0): the kills follow the child's own progress, so a slow or a
    loaded machine moves them with it instead of past the end of the run.
    """
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(ws), str(steps)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [child.stdout.readline()]
    ready = time.monotonic()
    if kill is not None:
        acks, delay = kill
        while len(lines) <= acks and lines[-1]:
            lines.append(child.stdout.readline())
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=120)
    seconds = time.monotonic() - ready
    lines += out.splitlines()
    return [line.split()[1] for line in lines if line.strip() and line.strip() != "ready"], seconds


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_an_unreadable_or_partial_workspace(tmp_path: Path) -> None:
    """20 SIGKILLs during commits: tables stay readable, equal a committed state, and a re-run completes."""
    seed = int(os.environ.get("INFLUGRAPH_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    steps = 8
    clean, _ = _run_child(tmp_path / "clean", steps)
    assert len(clean) == steps
    _, seconds = _run_child(tmp_path / "timing", steps)
    per_commit = seconds / steps
    committed = {Workspace(tmp_path / "empty").content_hash(), *clean}
    interrupted = 0
    for attempt in range(20):
        ws_path = tmp_path / f"killed-{attempt}"
        acks, _ = _run_child(ws_path, steps, (rng.randrange(steps), rng.uniform(0, per_commit)))
        interrupted += len(acks) < steps
        ws = Workspace(ws_path)  # cleans orphans, as any next start does
        frames = {name: ws.table(name) for name in ("accounts", "posts", "edges")}  # all readable
        where = f"seed {seed} (set INFLUGRAPH_KILL_SEED to replay), kill {attempt}"
        assert ws.content_hash() in committed, f"{where}: workspace holds a state no commit produced"
        assert frames["accounts"].height == frames["edges"].height, f"{where}: tables out of step"
        assert frames["accounts"].height >= 5000 * len(acks), f"{where}: an acknowledged commit was lost"
        assert not list(ws_path.rglob(f"*{TEMP_SUFFIX}")), f"{where}: temp files left"
        rerun, _ = _run_child(ws_path, steps)
        assert rerun[-1] == clean[-1], f"{where}: re-run did not reach the clean run's hash"
        rows = json.loads((ws_path / "manifest.json").read_text())["tables"]["edges"]["rows"]
        assert rows == steps * 5000, f"{where}: {rows} edge rows after re-run"
    assert interrupted >= 10, f"seed {seed}: only {interrupted} of 20 kills landed mid-run; the test proves little"
