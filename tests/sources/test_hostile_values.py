"""Values that once slipped through an import: weights summing past the float range, huge ids, lone surrogates.

Each refusal is exit 2 with one line naming the file and line; the workspace is unchanged.
"""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.schema import MAX_ID_CHARS, bad_id_reason
from influgraph.workspace import Workspace

GOOD = "source,target,kind,weight\n1,2,repost,1\n"


def _import(tmp_path: Path, name: str, content: bytes | str, *extra: str):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path, CliRunner().invoke(main, ["import", str(path), "-w", str(tmp_path / "ws"), *extra])


@pytest.fixture
def workspace(tmp_path: Path) -> str:
    _, run = _import(tmp_path, "good.csv", GOOD)
    assert run.exit_code == 0, run.output
    return Workspace(tmp_path / "ws").content_hash()


@pytest.mark.parametrize("name, content, expected", [
    ("sum.csv", "source,target,kind,weight\n1,2,repost,1e308\n1,2,repost,1e308\n", "is above the largest allowed, 1e+15"),
    ("big.csv", "source,target,kind,weight\n1,2,repost,1\n1,3,repost,2e15\n", ":3: weight '2e15' is above the largest"),
    ("inf.tsv", "source\ttarget\tweight\n1\t2\tinf\n", "is not finite"),
    ("snap.txt", "1 2 1e300\n", "is above the largest allowed"),
    ("long.csv", "source,target\n" + "7" * 10_000_000 + ",2\n", ":2: source id of 10000000 characters is longer than 256"),
    ("long-target.csv", "source,target\n1," + "x" * (MAX_ID_CHARS + 1) + "\n", "target id of 257 characters"),
    ("long-post.csv", "source,target,kind,post_id\n1,2,repost," + "9" * 300 + "\n", "post id of 300 characters"),
    ("long.jsonl", json.dumps({"data": [{"id": "9" * 1000, "author_id": "1", "text": "hi"}]}) + "\n",
     "id of 1,000 characters"),
])
def test_unbounded_weights_and_ids_are_refused_with_file_and_line(workspace: str, tmp_path: Path, name: str,
                                                                  content: str, expected: str) -> None:
    path, run = _import(tmp_path, name, content)
    assert run.exit_code == 2, run.output[-300:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and str(path) in lines[0] and len(lines[0]) < 400
    assert Workspace(tmp_path / "ws").content_hash() == workspace


def test_weights_at_the_bound_sum_to_finite_pagerank(tmp_path: Path) -> None:
    """Two rows of the largest weight sum, repeated in 3 files, and still give finite scores and valid JSON."""
    rows = "source,target,kind,weight\n1,2,repost,1e15\n1,2,repost,1e15\n2,3,repost,1\n"
    for index in range(3):
        _, run = _import(tmp_path, f"w{index}.csv", rows)
        assert run.exit_code == 0, run.output
    run = CliRunner().invoke(main, ["communities", "-w", str(tmp_path / "ws"), "--json"])
    assert run.exit_code == 0, run.output
    json.loads(run.stdout, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))


def test_lone_surrogates_in_json_are_replaced_by_one_rule_and_counted(tmp_path: Path) -> None:
    page = ('{"data": [{"id": "10", "author_id": "1", "text": "a \\ud800 b \\ud83d\\ude00 \\\\ud800"}],'
            ' "includes": {"users": [{"id": "1", "username": "x\\udfffy", "name": "n"}]}}\n')
    path, run = _import(tmp_path, "s.jsonl", page)
    assert run.exit_code == 0, run.output
    assert f"{path}: replaced 2 lone surrogate escape(s)" in run.stderr
    ws = Workspace(tmp_path / "ws")
    assert ws.tables().posts["text"].to_list() == ["a \ufffd b \U0001F600 \\ud800"]
    assert ws.tables().accounts["handle"].to_list() == ["x\ufffdy"]
    bluesky = ('{"posts": [{"uri": "at://did:plc:a/app.bsky.feed.post/1", "cid": "c", "author": {"did": "did:plc:a",'
               ' "handle": "a.bsky.social"}, "record": {"text": "\\udc00", "createdAt": "2024-01-01T00:00:00Z"},'
               ' "indexedAt": "2024-01-01T00:00:00Z"}]}\n')
    path, run = _import(tmp_path, "b.jsonl", bluesky, "--format", "bluesky-json")
    assert run.exit_code == 0, run.output
    assert "replaced 1 lone surrogate" in run.stderr


def test_id_rules_are_one_function() -> None:
    assert bad_id_reason("1" * MAX_ID_CHARS) is None
    assert "longer than 256" in bad_id_reason("1" * (MAX_ID_CHARS + 1))
    assert len(bad_id_reason("1" * 10_000_000)) < 100


def _strict(text: str):
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))


def test_json_output_and_json_files_never_hold_nan_or_infinity(tmp_path: Path, capsys) -> None:
    import numpy as np

    from influgraph.cli import emit_json
    from influgraph.exports.tables import write_table
    from influgraph.jsonout import dumps, finite

    data = {"a": float("nan"), "b": [float("inf"), -np.inf, np.float32("nan"), np.float64(2.5)], "c": (1, "x")}
    assert finite(data) == {"a": None, "b": [None, None, None, 2.5], "c": [1, "x"]}
    emit_json(data)
    assert _strict(capsys.readouterr().out) == {"a": None, "b": [None, None, None, 2.5], "c": [1, "x"]}
    assert dumps({"t": "کتاب"}, indent=None) == '{"t": "کتاب"}'
    frame = pl.DataFrame({"id": ["1", "2", "3"], "score": [float("nan"), float("inf"), 0.5]})
    write_table(frame, tmp_path / "t.json")
    assert [row["score"] for row in _strict((tmp_path / "t.json").read_text(encoding="utf-8"))] == [None, None, 0.5]


@pytest.mark.parametrize("option", ["--weight-col", "--time-col", "--hashtags-col", "--post-col"])
def test_a_column_position_past_every_row_is_refused(workspace: str, tmp_path: Path, option: str) -> None:
    path, run = _import(tmp_path, "e.csv", "source,target,kind,weight\n1,2,repost,1\n2,3,mention,2\n", option, "999")
    assert run.exit_code == 2 and f"{option} is column 999, but the rows have 4 field(s)" in run.stderr
    assert str(path) in run.stderr and Workspace(tmp_path / "ws").content_hash() == workspace


def test_a_lone_surrogate_spelled_by_a_gml_character_reference_is_replaced_too(tmp_path: Path) -> None:
    gml = 'graph [\n directed 1\n node [ id 0 label "x&#55296;y" ]\n node [ id 1 label "b" ]\n edge [ source 0 target 1 ]\n]\n'
    path, run = _import(tmp_path, "s.gml", gml)
    assert run.exit_code == 0, run.output
    assert f"{path}: replaced 1 lone surrogate" in run.stderr
    assert sorted(Workspace(tmp_path / "ws").tables().accounts["handle"].to_list()) == ["b", "x\ufffdy"]
