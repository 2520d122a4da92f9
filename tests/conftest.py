"""Fixtures shared by the whole suite: the demo world and the demo pipeline, each built once per session.

The demo run is read-only for the tests that use it: a test that writes into a workspace copies
it first (`demo_copy`). Its fingerprint (content hashes of the workspace and of every stored
result) is taken as soon as it is built, so a later test cannot blur the regression check, and
it is taken again when the session ends: a test that wrote into the shared run fails there,
naming the files it changed.

The run goes through the command line (`influgraph demo --out DIR`, the default seed 7) with
`run_demo` watched, so one run gives both the `DemoResult` and what the command printed.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

DEMO_SEED = 7


@dataclass(frozen=True)
class DemoRun:
    """The session's demo run: its result, how long it took, its fingerprint right after it ran, and the CLI's output."""

    result: object
    seconds: float
    fingerprint: dict
    cli: object  # click.testing.Result of `influgraph demo --out DIR`


def demo_fingerprint(result) -> dict:
    """Content hashes of the demo's workspace and of each stored result, and of its printed summary."""
    import hashlib
    import json

    import polars as pl

    from influgraph.workspace import Workspace, table_hash

    workspace = Workspace(result.workspace)
    summary = result.summary()
    for volatile in ("seconds", "outputs"):
        summary.pop(volatile)
    summary["stats"].pop("workspace", None)
    return {
        "workspace": workspace.content_hash(),
        "counts": workspace.counts(),
        "results": {path.stem: table_hash(pl.read_parquet(path))
                    for path in sorted((Path(result.workspace) / "results").glob("*.parquet"))},
        "truth": hashlib.sha256(Path(result.truth).read_bytes()).hexdigest(),
        "summary": hashlib.sha256(json.dumps(summary, sort_keys=True, ensure_ascii=False, default=str)
                                  .encode()).hexdigest(),
    }


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and modification time, to see whether a test wrote there."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def demo_world():
    """The simulated world for seed 7 (as the demo builds it)."""
    from influgraph.simulated import build_world

    return build_world(DEMO_SEED)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """The demo pipeline for seed 7, run once for the whole suite through `influgraph demo`."""
    from click.testing import CliRunner

    import influgraph.demo
    from influgraph.cli import main

    out = tmp_path_factory.mktemp("demo") / "out"
    runs = []
    real_run_demo = influgraph.demo.run_demo

    def watched(*args, **kwargs):
        runs.append((kwargs.get("seed"), real_run_demo(*args, **kwargs)))
        return runs[-1][1]

    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(influgraph.demo, "run_demo", watched)
        cli = CliRunner().invoke(main, ["demo", "--out", str(out)])
    seconds = time.monotonic() - started
    if cli.exit_code != 0 or len(runs) != 1:
        raise RuntimeError(f"`influgraph demo` failed (exit {cli.exit_code}, {len(runs)} runs):\n{cli.output}") \
            from cli.exception
    seed, result = runs[0]
    assert seed == DEMO_SEED, f"`influgraph demo` ran seed {seed}, not the default {DEMO_SEED}"
    run = DemoRun(result=result, seconds=seconds, fingerprint=demo_fingerprint(result), cli=cli)
    files = _files(out)
    yield run
    after = _files(out)
    changed = sorted(name for name in set(files) | set(after) if files.get(name) != after.get(name))
    assert not changed, f"tests wrote into the shared demo run (use demo_copy): {changed}"
    assert demo_fingerprint(result) == run.fingerprint, "the shared demo run's content changed during the session"


@pytest.fixture
def demo_copy(demo_run, tmp_path: Path) -> Path:
    """A private copy of the demo's workspace folder, for a test that writes into it."""
    target = tmp_path / "workspace"
    shutil.copytree(demo_run.result.workspace, target)
    return target


@dataclass(frozen=True)
class TwoWeeks:
    """The two-week simulated world committed day by day into a workspace (read-only: copy it before writing)."""

    workspace: Path
    world: object  # influgraph.simulated.World, built with weeks=2
    truth: dict  # world.truth(), with "week2"


@pytest.fixture(scope="session")
def two_weeks(tmp_path_factory) -> TwoWeeks:
    """`build_world(7, weeks=2)` committed into a fresh workspace: the world as week two begins (00:00), then
    the world at the last second of each of its 7 days (23:59:59, so a day's observation holds that day's
    changes and a follower spike is observed on the day it happened): `observed_at` and `observations`
    have a daily history. Nothing in the world happens in the week's last second, so the last commit
    holds the whole world."""
    from datetime import timedelta

    from influgraph.simulated import build_world, world_batch
    from influgraph.workspace import Workspace

    world = build_world(DEMO_SEED, weeks=2)
    path = tmp_path_factory.mktemp("two_weeks") / "workspace"
    workspace = Workspace(path)
    start = world.week_starts[1]
    moments = [start] + [start + timedelta(days=day, seconds=-1) for day in range(1, 8)]
    for moment in moments:
        workspace.commit(world_batch(world.at(moment)))
    return TwoWeeks(workspace=path, world=world, truth=world.truth())


def pytest_collection_modifyitems(config, items) -> None:
    """Files that hold a test marked `slow` first, the rest in collection order (stable).

    The workers take one file at a time in this order (`--no-loadscope-reorder` in pyproject.toml),
    so the long files start at once and the many short ones fill in behind them: both workers end
    together instead of one finishing a 2-minute browser file alone at the end.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
