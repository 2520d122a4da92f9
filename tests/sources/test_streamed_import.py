"""Large files stream in blocks of whole lines: the result equals a one-block read, line numbers stay right."""
from __future__ import annotations

import gzip

import polars as pl
import pytest

from influgraph.errors import BadInput
from influgraph.ingest import read_path
from influgraph.sources import tabular
from influgraph.sources.base import ImportOptions


def _csv(rows: int) -> str:
    lines = ["source,target,kind,text"]
    for i in range(rows):
        text = '"multi\nline, quoted ""text"""' if i % 37 == 0 else ("کتاب‌خوانی #کتاب" if i % 5 == 0 else "")
        lines.append(f"{10**18 + i % 50},{10**18 + (i * 7) % 61},{'repost' if i % 3 else 'follow'},{text}")
    lines.append(f"{10**18 + 1},{10**18 + 7},repost,")  # repeats row 1: weights are summed across blocks
    return "\n".join(lines) + "\n"


def _tables(result) -> tuple[pl.DataFrame, ...]:
    batch = result.batch
    return (batch.edges.sort(pl.all()), batch.accounts.sort("id"),
            batch.posts.sort("id") if batch.posts is not None else None)


@pytest.mark.parametrize("block", [64, 300, 4096])
@pytest.mark.parametrize("compressed", [False, True])
def test_blocks_give_the_one_block_result(tmp_path, monkeypatch, block, compressed) -> None:
    text = _csv(400)
    path = tmp_path / ("edges.csv.gz" if compressed else "edges.csv")
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    whole = read_path(path, ImportOptions())
    monkeypatch.setattr(tabular, "BLOCK_BYTES", block)
    streamed = read_path(path, ImportOptions())
    for ours, theirs in zip(_tables(streamed), _tables(whole)):
        assert ours.equals(theirs)
    assert streamed.rows_read == whole.rows_read == 401
    summed = streamed.batch.edges.filter((pl.col("src") == str(10**18 + 1)) & (pl.col("dst") == str(10**18 + 7)))
    assert summed["weight"].sum() >= 2
    assert any("کتاب‌خوانی" in (t or "") for t in streamed.batch.posts["text"])  # Persian text byte-exact


@pytest.mark.parametrize("block", [64, 1 << 20])
def test_a_bad_row_in_a_later_block_names_its_file_line(tmp_path, monkeypatch, block) -> None:
    lines = ["src,dst,kind"] + [f"a{i},b{i},repost" for i in range(300)]
    lines[250] = "a250,b250,teleport"
    path = tmp_path / "edges.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(tabular, "BLOCK_BYTES", block)
    with pytest.raises(BadInput) as failure:
        read_path(path, ImportOptions())
    assert failure.value.line == 251 and "teleport" in str(failure.value)
    skipped = read_path(path, ImportOptions(skip_bad_rows=True))
    assert skipped.skipped == 1 and skipped.batch.edges.height == 299
    assert sum("skipped 1 bad row" in note for note in skipped.notes) == 1


def test_snap_lists_stream_too(tmp_path, monkeypatch) -> None:
    path = tmp_path / "graph.txt"
    path.write_text("# a comment\n" + "".join(f"{i} {i + 1}\n" for i in range(500)) + "7 x y z\n", encoding="utf-8")
    monkeypatch.setattr(tabular, "BLOCK_BYTES", 128)
    with pytest.raises(BadInput) as failure:
        read_path(path, ImportOptions(format="snap"))
    assert failure.value.line == 502
    path.write_text("# a comment\n" + "".join(f"{i} {i + 1}\n" for i in range(500)), encoding="utf-8")
    assert read_path(path, ImportOptions(format="snap")).batch.edges.height == 500
