"""Where the real datasets live, and a skip when they are absent.

The folder is `$INFLUGRAPH_TEST_DATA` when set, else `../shared/data` beside the checkout, so a
clone kept elsewhere can still find them (and says so in the skip reason when it cannot).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "queries"
DATA_ENV = "INFLUGRAPH_TEST_DATA"
DATA = Path(os.environ.get(DATA_ENV) or REPO.parent / "shared" / "data")


def shared_path(relative: str) -> Path:
    """The path of a real dataset file, or skip the test with the reason when it is not there."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real data not present: {path} (set {DATA_ENV} to the shared/data folder; see its README.md)")
    return path
