"""Malformed inputs: each gives one line on stderr, exit code 2, no traceback, and an unchanged workspace."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.workspace import Workspace

GOOD_CSV = "source,target,kind,weight\n1,2,repost,1\n2,3,mention,2\n"
ROW = "source,target,kind,weight\n"


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as handle:
        chunk = b"\0" * (1 << 20)
        for _ in range(300):
            handle.write(chunk)
    return buffer.getvalue()


def _deep_json() -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


PAGE = {"data": [{"id": "10", "author_id": "1", "text": "hi"}]}

# name -> (file bytes, extra CLI options, file suffix)
CASES: dict[str, tuple[bytes, list[str], str]] = {
    # --- nothing there
    "empty file": (b"", [], ".csv"),
    "whitespace only": (b"   \n\n  \t\n", [], ".txt"),
    "only comments (snap)": (b"# nodes 3\n# edges 0\n", ["--format", "snap"], ".txt"),
    "csv header only": (ROW.encode(), [], ".csv"),
    "empty json array": (b"[]", [], ".json"),
    # --- encodings and bytes
    "utf-16 with BOM": ("source,target\n1,2\n".encode("utf-16"), [], ".csv"),
    "utf-16 without BOM": ("source,target\n1,2\n".encode("utf-16-le"), [], ".csv"),
    "utf-32": ("source,target\n1,2\n".encode("utf-32"), ["--format", "csv"], ".csv"),
    "invalid utf-8": (ROW.encode() + b"1,2,repost,1\n\xff\xfe\xfa,3,repost,1\n", [], ".csv"),
    "NUL byte in csv": (ROW.encode() + b"1,2,repost,1\n3\x00,4,repost,1\n", ["--format", "csv"], ".csv"),
    "binary garbage": (bytes(range(256)) * 40, [], ".bin"),
    "random bytes with format csv": (bytes((i * 37 + 11) % 256 for i in range(5000)), ["--format", "csv"], ".csv"),
    "a 2 MiB line": (ROW.encode() + b"1,2,repost," + b"9" * (2 << 20) + b"\n", ["--format", "tsv"], ".tsv"),
    # --- csv structure
    "missing target column": (b"source,weight\n1,2\n", [], ".csv"),
    "no recognisable columns": (b"alpha,beta\n1,2\n", [], ".csv"),
    "duplicate columns": (b"source,target,target\n1,2,3\n", [], ".csv"),
    "wrong delimiter": (b"source;target;kind\n1;2;repost\n", ["--format", "csv"], ".csv"),
    "unbalanced quotes": (ROW.encode() + b'1,"2,repost,1\n2,3,repost,1\n', [], ".csv"),
    "ragged csv row": (ROW.encode() + b"1,2,repost,1,extra,more\n", [], ".csv"),
    "missing target value": (ROW.encode() + b"1,,repost,1\n", [], ".csv"),
    "too few fields": (b"source\ttarget\tkind\n1\n", ["--format", "tsv"], ".tsv"),
    "source-col names no column": (GOOD_CSV.encode(), ["--source-col", "from_user"], ".csv"),
    "two roles one column": (GOOD_CSV.encode(), ["--target-col", "source"], ".csv"),
    "positional column on headerless beyond width": (b"1\t2\n", ["--format", "tsv", "--source-col", "1", "--target-col", "5"], ".tsv"),
    # --- ids
    "empty source id": (ROW.encode() + b",2,repost,1\n", [], ".csv"),
    "whitespace id": (ROW.encode() + b"  ,2,repost,1\n", [], ".csv"),
    "padded id": (ROW.encode() + b" 17,2,repost,1\n", [], ".csv"),
    "float id exponent": (ROW.encode() + b"1.440716895355765e+18,2,repost,1\n", [], ".csv"),
    "float id decimal": (ROW.encode() + b"42.0,2,repost,1\n", [], ".csv"),
    # --- kinds, weights, times
    "unknown kind": (ROW.encode() + b"1,2,poke,1\n", [], ".csv"),
    "empty kind cell": (ROW.encode() + b"1,2,,1\n", [], ".csv"),
    "graphml edge with empty kind": (b'<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><key id="k" for="edge" attr.name="kind" attr.type="string"/><graph edgedefault="directed"><node id="a"/><node id="b"/><node id="c"/><edge source="a" target="b"><data key="k">retweet</data></edge><edge source="b" target="c"/></graph></graphml>', [], ".graphml"),
    "unknown --kind": (b"source,target\n1,2\n", ["--kind", "poke"], ".csv"),
    "NaN weight": (ROW.encode() + b"1,2,repost,NaN\n", [], ".csv"),
    "inf weight": (ROW.encode() + b"1,2,repost,inf\n", [], ".csv"),
    "negative weight": (ROW.encode() + b"1,2,repost,-3\n", [], ".csv"),
    "zero weight": (ROW.encode() + b"1,2,repost,0\n", [], ".csv"),
    "non-numeric weight": (ROW.encode() + b"1,2,repost,lots\n", [], ".csv"),
    "bad time": (b"source,target,time\n1,2,yesterday-ish\n", [], ".csv"),
    "negative snap weight": (b"1 2 -1\n", [], ".txt"),
    "snap with too many fields": (b"1 2 3 4 5\n", ["--format", "snap"], ".txt"),
    # --- compression
    "gzip bomb": (_bomb(), [], ".csv.gz"),
    "gzip bomb with format given": (_bomb(), ["--format", "csv"], ".csv.gz"),
    "truncated gzip": (gzip.compress(GOOD_CSV.encode() * 200)[:-30], [], ".csv.gz"),
    "corrupt gzip": (b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not deflate data at all" * 5, [], ".gz"),
    # --- parquet
    "corrupt parquet": (b"PAR1" + b"\x00\x01garbage" * 50, [], ".parquet"),
    "truncated parquet": (_parquet(pl.DataFrame({"source": ["1"], "target": ["2"]}))[:-20], [], ".parquet"),
    "parquet missing target": (_parquet(pl.DataFrame({"source": ["1"], "w": [1.0]})), [], ".parquet"),
    "parquet negative weight": (_parquet(pl.DataFrame({"source": ["1"], "target": ["2"], "weight": [-1.0]})), [], ".parquet"),
    "parquet float ids": (_parquet(pl.DataFrame({"source": [1.5e18], "target": [2.0]})), [], ".parquet"),
    # --- graph files
    "truncated graphml": (b'<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed"><node id="a"/>', [], ".graphml"),
    "truncated gexf": (b'<?xml version="1.0"?><gexf xmlns="http://gexf.net/1.3" version="1.3"><graph><nodes><node id="a"', [], ".gexf"),
    "xml that is neither": (b'<?xml version="1.0"?><html><body>hi</body></html>', [], ".xml"),
    "graphml without nodes": (b'<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed"></graph></graphml>', [], ".graphml"),
    # --- X JSON
    "truncated json": (json.dumps(PAGE).encode()[:-7], [], ".json"),
    "torn last jsonl line": ((json.dumps(PAGE) + "\n" + json.dumps(PAGE)[:25]).encode(), [], ".jsonl"),
    "invalid json line in middle": ((json.dumps(PAGE) + "\n{oops}\n" + json.dumps(PAGE) + "\n").encode(), [], ".jsonl"),
    "json nested 100000 deep": (_deep_json(), [], ".json"),
    "json not a page": (b'{"foo": 1, "bar": [1, 2]}', [], ".json"),
    "json array of numbers": (b"[1, 2, 3]", [], ".json"),
    "json string": (b'"just a string"', ["--format", "x-json"], ".json"),
    "tweet without author": (b'{"data": [{"id": "1", "text": "hi"}]}', [], ".json"),
    "tweet with float id": (b'{"data": [{"id": 1.5e18, "author_id": "2", "text": "hi"}]}', [], ".json"),
    "tweet with bad metrics": (b'{"data": [{"id": "1", "author_id": "2", "text": "x", "public_metrics": "many"}]}', [], ".json"),
    "tweet with bad time": (b'{"data": [{"id": "1", "author_id": "2", "text": "x", "created_at": "last tuesday"}]}', [], ".json"),
    "user with bool id": (b'{"data": [{"id": true, "username": "u"}]}', [], ".json"),
    "data is a number": (b'{"data": 5}', [], ".json"),
    "mentions not a list": (b'{"data": [{"id": "1", "author_id": "2", "text": "x", "entities": {"mentions": "@a"}}]}', [], ".json"),
    "json with wrong format given": (json.dumps(PAGE).encode(), ["--format", "csv"], ".json"),
    # --- options and paths
    "unknown format": (GOOD_CSV.encode(), ["--format", "docx"], ".csv"),
    "delimiter of two characters": (GOOD_CSV.encode(), ["--delimiter", ";;"], ".csv"),
}


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV)
    result = CliRunner().invoke(main, ["import", "-w", str(tmp_path / "ws"), str(good)])
    assert result.exit_code == 0, result.stderr
    return tmp_path / "ws"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.mark.parametrize("name, expected", [
    ("gzip bomb with format given", "decompression bomb"),
    ("wrong delimiter", "--delimiter"),
    ("json with wrong format given", "looks like JSON"),
    ("utf-16 with BOM", "iconv"),
    ("float id exponent", "looks like a float"),
    ("torn last jsonl line", "bad.jsonl:2:"),
    ("unbalanced quotes", "bad.csv:2:"),
])
def test_messages_say_what_is_wrong(name: str, expected: str, workspace: Path, tmp_path: Path) -> None:
    content, options, suffix = CASES[name]
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["import", "-w", str(workspace), *options, str(bad)])
    assert expected in result.stderr, result.stderr


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input_is_refused_cleanly(name: str, workspace: Path, tmp_path: Path) -> None:
    content, options, suffix = CASES[name]
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(content)
    before = _snapshot(workspace)
    hash_before = Workspace(workspace).content_hash()
    result = CliRunner().invoke(main, ["import", "-w", str(workspace), *options, str(bad)])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, f"{name}: exit {result.exit_code}: {result.output}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{name}: {result.stderr!r}"
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert len(lines[0]) < 400, f"{name}: error line too long"
    assert _snapshot(workspace) == before and Workspace(workspace).content_hash() == hash_before


def test_a_bad_file_among_good_ones_commits_nothing(workspace: Path, tmp_path: Path) -> None:
    good = tmp_path / "more.csv"
    good.write_text("source,target\n7,8\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(ROW + "1,2,repost,-1\n")
    before = _snapshot(workspace)
    result = CliRunner().invoke(main, ["import", "-w", str(workspace), str(good), str(bad)])
    assert result.exit_code == 2 and f"{bad}:2:" in result.stderr
    assert _snapshot(workspace) == before


def test_errors_name_the_file_and_line(workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "lines.csv"
    bad.write_text(ROW + "1,2,repost,1\n1,3,repost,1\n4,5,repost,NaN\n")
    result = CliRunner().invoke(main, ["import", "-w", str(workspace), str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:4:" in result.stderr and "NaN" in result.stderr and "--skip-bad-rows" in result.stderr


def test_skip_bad_rows_imports_the_rest_and_says_how_many(workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "mixed.csv"
    bad.write_text(ROW + "10,11,repost,1\n12,,repost,1\n13,14,poke,1\n15,16,mention,-2\n17,18,like,3\n")
    result = CliRunner().invoke(main, ["import", "-w", str(workspace), "--skip-bad-rows", "--json", str(bad)])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["files"][0]["skipped"] == 3
    assert "skipped 3 bad row(s)" in result.stderr and f"{bad}:3" in result.stderr
    edges = Workspace(workspace).table("edges")
    assert set(edges["src"]) >= {"10", "17"} and not set(edges["src"]) & {"12", "13", "15"}


def test_skip_bad_rows_skips_a_torn_jsonl_line(workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "torn.jsonl"
    bad.write_text(json.dumps(PAGE) + "\n" + json.dumps(PAGE)[:25])
    result = CliRunner().invoke(main, ["import", "-w", str(workspace), "--skip-bad-rows", str(bad)])
    assert result.exit_code == 0, result.stderr
    assert "skipped 1 bad row(s)" in result.stderr and f"{bad}:2" in result.stderr
