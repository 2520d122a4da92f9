"""Temp files of killed writers do not pile up in the user's `--out` folders (atomic.py).

A writer killed mid-write leaves `.NAME.PID.influgraph-tmp` beside its output; the next influgraph
process that writes into that folder removes it, because its PID is not alive and it is older than
that process. Other programs' files and temp files of live processes are kept.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hostile_world
from influgraph.atomic import TEMP_SUFFIX, remove_stale_temps, temp_path

QUERY = 'name = "evilniche"\nhashtags = ["evilniche"]\nkeywords = ["evilniche"]\n'
SLOW_WRITER = """
import sys, time
from pathlib import Path
from influgraph.atomic import atomic_write

def write(handle):
    handle.write(b"half of it")
    handle.flush()
    print("writing", flush=True)
    time.sleep(30)

atomic_write(Path(sys.argv[1]), write)
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("temps")
    hostile_world.build(folder / "ws")
    (folder / "evilniche.toml").write_text(QUERY, encoding="utf-8")
    return folder


def influgraph(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "influgraph", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


def test_kills_during_writes_into_an_out_folder_leave_no_temp_file_after_the_next_run(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    ws, query = str(world / "ws"), str(world / "evilniche.toml")
    rng = random.Random(20)
    # 20 kills: 3 real commands twice each, killed at random moments, then 14 writers killed for certain mid-write
    commands = [("rank", "-w", ws, "--query", query, "--out", str(out / "r.csv")),
                ("shortlist", "-w", ws, "--query", query, "--k", "3", "--out", str(out / "s.csv")),
                ("export", "-w", ws, "--format", "gexf", "--out", str(out / "g.gexf"))]
    for command in commands * 2:
        process = influgraph(*command, cwd=tmp_path)
        time.sleep(rng.uniform(0.05, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=5)
    previous = None
    for n in range(14):
        writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(out / f"file-{n}.csv")],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert writer.stdout.readline() == b"writing\n"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=5)
        left = temp_path(out / f"file-{n}.csv", writer.pid)
        assert left.exists() and (previous is None or not previous.exists())  # each writer removed the one before
        previous = left
    assert temps(out) == [previous.name]
    live = temp_path(out / "live.csv", os.getpid())  # a live process's temp: never removed
    foreign = [out / f".mine.csv.{dead_pid()}.tmp", out / f"notes{TEMP_SUFFIX}", out / "plain.csv"]
    for path in (live, *foreign):
        path.write_bytes(b"keep")
        os.utime(path, (1, 1))
    time.sleep(0.05)

    final = influgraph("rank", "-w", ws, "--query", query, "--out", str(out / "r.csv"), cwd=tmp_path)
    assert final.wait(timeout=60) == 0, final.stderr.read().decode()
    assert temps(out) == sorted([live.name, f"notes{TEMP_SUFFIX}"]), temps(out)
    assert all(path.read_bytes() == b"keep" for path in foreign)
    assert (out / "r.csv").is_file() and (out / "r-agreement.csv").is_file()


def test_only_stale_temps_of_influgraph_are_removed(tmp_path: Path) -> None:
    gone = dead_pid()
    stale = temp_path(tmp_path / "a.csv", gone)
    newer = temp_path(tmp_path / "b.csv", gone)  # younger than this process: perhaps a writer that just started
    mine = temp_path(tmp_path / "c.csv")
    other = tmp_path / f".d.csv.{gone}.tmp"
    folder = tmp_path / f".e.{gone}{TEMP_SUFFIX}"
    folder.mkdir()
    for path in (stale, newer, mine, other):
        path.write_bytes(b"x")
    for path in (stale, mine, other, folder):
        os.utime(path, (1, 1))
    assert remove_stale_temps(tmp_path) == 1
    assert not stale.exists() and newer.exists() and mine.exists() and other.exists() and folder.is_dir()
