"""SIGKILL during `influgraph import` (the real command, in a subprocess): nothing unreadable, re-run converges."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from influgraph.atomic import TEMP_SUFFIX
from influgraph.cli import main
from influgraph.workspace import Workspace


def _inputs(folder: Path) -> list[Path]:
    """Two files imported one after the other, so kills land in reading, committing and between imports."""
    first, second = folder / "mentions.csv", folder / "replies.tsv"
    with open(first, "w", encoding="utf-8") as handle:
        handle.write("source,target,kind,weight,text\n")
        for i in range(120_000):
            handle.write(f"{10**18 + i % 9000},{10**18 + (i * 7) % 9000},mention,{1 + i % 3},سلام #کتاب‌خوانی {i % 50}\n")
    with open(second, "w", encoding="utf-8") as handle:
        handle.write("source\ttarget\tkind\n")
        for i in range(120_000):
            handle.write(f"{10**18 + (i * 13) % 9000}\t{10**18 + i % 9000}\treply\n")
    return [first, second]


def _import(ws: Path, files: list[Path], kill_after: float | None) -> int:
    """Import each file with the real CLI; kill the running child after `kill_after` seconds overall."""
    deadline = None if kill_after is None else time.monotonic() + kill_after
    for path in files:
        child = subprocess.Popen([sys.executable, "-m", "influgraph", "import", "-w", str(ws), str(path)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if deadline is None:
            _, err = child.communicate(timeout=300)
            assert child.returncode == 0, err.decode()
            continue
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            return -9
    return 0


def _rerun(ws: Path, files: list[Path]) -> None:
    """The re-run after a kill: the same CLI command, in this process (no interpreter start per file).

    Only the killed runs need a process of their own; a re-run is the `import` command as a user
    types it, each file in turn, and must succeed.
    """
    runner = CliRunner()
    for path in files:
        done = runner.invoke(main, ["import", "-w", str(ws), str(path)])
        assert done.exit_code == 0, done.output


@pytest.mark.slow
def test_twenty_kills_during_imports(tmp_path: Path) -> None:
    seed = int(os.environ.get("INFLUGRAPH_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    files = _inputs(tmp_path)
    durations = []
    for name in ("clean", "clean-again"):  # the first run is cold: kills timed by it alone often came after the end
        started = time.monotonic()
        _import(tmp_path / name, files, None)
        durations.append(time.monotonic() - started)
    duration = min(durations)
    clean_hash = Workspace(tmp_path / "clean").content_hash()
    assert Workspace(tmp_path / "clean-again").content_hash() == clean_hash
    states = {Workspace(tmp_path / "empty").content_hash(), clean_hash}
    _rerun(tmp_path / "half", files[:1])
    states.add(Workspace(tmp_path / "half").content_hash())
    killed = attempts = 0
    while killed < 20 and attempts < 40:  # a kill that came after the import ended is tried again, boundedly
        attempt, attempts = attempts, attempts + 1
        ws = tmp_path / f"killed-{attempt}"
        started = time.monotonic()
        interrupted = _import(ws, files, rng.uniform(0.2, 0.8 * duration)) != 0
        killed += interrupted
        if not interrupted:  # the machine got faster than the clean runs: later kills are timed by this run
            duration = min(duration, time.monotonic() - started)
        where = f"seed {seed} (INFLUGRAPH_KILL_SEED replays it), kill {attempt}"
        opened = Workspace(ws)
        for table in ("accounts", "posts", "edges"):
            opened.table(table)  # readable
        assert opened.content_hash() in states, f"{where}: a state no complete import produced"
        assert not list(ws.rglob(f"*{TEMP_SUFFIX}")), f"{where}: temp files left"
        _rerun(ws, files)
        assert Workspace(ws).content_hash() == clean_hash, f"{where}: the re-run did not converge"
    assert killed == 20, f"seed {seed}: only {killed} of {attempts} kills interrupted an import"
