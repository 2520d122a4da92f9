"""Where the real datasets live (../shared/data beside the checkout), and a skip when they are absent."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_path(relative: str) -> Path:
    """The path of a real dataset file, or skip the test with the reason when it is not there."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"real data not present: {path} (see shared/data/README.md)")
    return path
