"""CLI conventions: help with examples, one-line errors, exit codes, JSON on stdout only."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.schema import Batch
from influgraph.workspace import Workspace

COMMANDS = ["import", "crawl", "stats", "communities", "rank", "shortlist", "export", "demo"]


def _run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command: str) -> None:
    result = _run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"influgraph {command}" in result.output


@pytest.mark.parametrize("args", [
    ["no-such-command"],
    ["import"],
    ["stats", "--top", "-1"],
    ["stats", "--kinds", "retweets"],
    ["import", "--format", "docx", "x.csv"],
    ["stats", "--no-such-flag"],
])
def test_usage_errors_are_one_line_with_exit_2(args: list[str], tmp_path: Path) -> None:
    result = _run(*args, "-w", str(tmp_path / "ws")) if args[0] in ("stats",) else _run(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output


def test_stats_on_a_missing_workspace_names_the_fix(tmp_path: Path) -> None:
    result = _run("stats", "-w", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert str(tmp_path / "nowhere") in result.stderr and "import or crawl into it first" in result.stderr


def test_workspace_comes_from_the_environment(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "env-ws")
    ws.commit(Batch(edges=pl.DataFrame({"src": ["a"], "dst": ["b"], "kind": ["follow"], "platform": ["x"]})))
    result = _run("stats", "--json", env={"INFLUGRAPH_WORKSPACE": str(ws.path)})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["graph"]["edges"] == 1


def test_stats_json_is_the_only_thing_on_stdout_and_keeps_text_byte_exact(tmp_path: Path) -> None:
    names = {"1": "کتاب‌خوان", "2": "مكتبة القراءة", "3": "Pecinta Kopi Nusantara"}
    ws = Workspace(tmp_path / "ws")
    ws.commit(Batch(
        accounts=pl.DataFrame({"id": list(names), "platform": ["x"] * 3, "handle": list(names.values())}),
        posts=pl.DataFrame({"id": ["p1"], "platform": ["x"], "author_id": ["1"],
                            "hashtags": [["کتاب‌خوانی", "kopi_susu"]]}),
        edges=pl.DataFrame({"src": ["2", "3"], "dst": ["1", "1"], "kind": ["repost", "reply"], "platform": ["x"] * 2}),
    ))
    result = _run("stats", "-w", str(ws.path), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["top_accounts_by_in_degree"][0]["handle"].encode() == names["1"].encode()
    assert {h["hashtag"] for h in data["top_hashtags"]} == {"کتاب‌خوانی", "kopi_susu"}
    assert "کتاب‌خوان" in result.stdout  # not \\u-escaped
    assert data["edges_by_kind"]["repost"]["rows"] == 1


def test_internal_errors_exit_1_without_traceback_unless_debug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import influgraph.stats

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(influgraph.stats, "compute_stats", broken)
    Workspace(tmp_path / "ws").commit(Batch(edges=pl.DataFrame(
        {"src": ["a"], "dst": ["b"], "kind": ["follow"], "platform": ["x"]})))
    quiet = _run("stats", "-w", str(tmp_path / "ws"))
    assert quiet.exit_code == 1 and "Traceback" not in quiet.output
    assert quiet.stderr.strip().startswith("error: internal error: RuntimeError: boom")
    loud = _run("--debug", "stats", "-w", str(tmp_path / "ws"))
    assert loud.exit_code == 1 and "Traceback" in loud.stderr


def test_python_dash_m_and_version() -> None:
    result = subprocess.run([sys.executable, "-m", "influgraph", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "version" in result.stdout
