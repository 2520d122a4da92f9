"""Fixtures shared by the whole suite: the demo world and the demo pipeline, each built once per session.

The demo run is read-only for the tests that use it: a test that writes into a workspace copies
it first (`demo_copy`). Its fingerprint (content hashes of the workspace and of every stored
result) is taken as soon as it is built, so a later test cannot blur the regression check.
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
    """The session's demo run: its result, how long it took, and its fingerprint right after it ran."""

    result: object
    seconds: float
    fingerprint: dict


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
        "summary": hashlib.sha256(json.dumps(summary, sort_keys=True, ensure_ascii=False, default=str)
                                  .encode()).hexdigest(),
    }


@pytest.fixture(scope="session")
def demo_world():
    """The simulated world for seed 7 (as the demo builds it)."""
    from influgraph.sources.simulated import build_world

    return build_world(DEMO_SEED)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """The demo pipeline for seed 7, run once for the whole suite."""
    from influgraph.demo import run_demo

    started = time.monotonic()
    result = run_demo(tmp_path_factory.mktemp("demo") / "out", seed=DEMO_SEED)
    seconds = time.monotonic() - started
    return DemoRun(result=result, seconds=seconds, fingerprint=demo_fingerprint(result))


@pytest.fixture
def demo_copy(demo_run, tmp_path: Path) -> Path:
    """A private copy of the demo's workspace folder, for a test that writes into it."""
    target = tmp_path / "workspace"
    shutil.copytree(demo_run.result.workspace, target)
    return target
