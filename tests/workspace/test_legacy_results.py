"""Results stored before results were stamped (an earlier version's workspace) stay readable; a file
without a stamp that lacks the columns of its kind is refused as damaged, naming the file."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.errors import BadInput
from influgraph.results import load_communities, load_ranking, needed_columns
from influgraph.workspace import Workspace


def _legacy(ws: Workspace, name: str, frame: pl.DataFrame) -> Path:
    """Write a result as the earlier version did: plain Parquet, no metadata stamp."""
    path = ws.path / "results" / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def test_unstamped_results_of_an_earlier_version_are_read(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    communities = pl.DataFrame({"id": ["1", "2"], "community": [0, 1]})
    ranking = pl.DataFrame({"rank": [1, 2], "id": ["2", "1"], "niche": ["books", "books"]})
    _legacy(ws, "communities", communities)
    _legacy(ws, "rank_books", ranking)
    assert load_communities(ws).equals(communities)
    stored = load_ranking(ws, "books")
    assert stored is not None and stored.table.equals(ranking)
    assert set(needed_columns("rank_books")) <= set(stored.table.columns)


def test_an_unstamped_file_without_its_kinds_columns_is_damaged(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    path = _legacy(ws, "communities", pl.DataFrame({"x": [1]}))
    with pytest.raises(BadInput) as error:
        load_communities(ws)
    assert error.value.path == str(path) and "community" in error.value.message
    done = CliRunner().invoke(main, ["check", "-w", str(ws.path)])
    assert done.exit_code == 2 and "communities.parquet" in done.output and "Traceback" not in done.output
