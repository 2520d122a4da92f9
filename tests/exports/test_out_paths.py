"""Every `--out` of every command is refused, before any work, when it would write into a workspace.

Also refused with exit 2 and one line: an empty `--out`, a folder where a file is expected (and the
reverse), a special file, a parent that is a file, a place that cannot be written. After each
refusal the workspace's content hash is unchanged (exports/paths.py states the rules).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import hostile_world
from influgraph.cli import main
from influgraph.errors import BadInput
from influgraph.exports.paths import check_file, check_folder

QUERY = 'name = "evilniche"\nhashtags = ["evilniche"]\nkeywords = ["evilniche"]\n'

# (command line without --out, whether it writes a folder); {ws} and {query} are filled in
COMMANDS = {
    "rank": (["rank", "-w", "{ws}", "--query", "{query}"], False),
    "communities": (["communities", "-w", "{ws}"], False),
    "shortlist": (["shortlist", "-w", "{ws}", "--query", "{query}", "--k", "2"], False),
    **{f"export-{fmt}": (["export", "-w", "{ws}", "--format", fmt], fmt in ("csv", "parquet", "report"))
       for fmt in ("html", "report", "gexf", "graphml", "csv", "parquet", "json")},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    ws, _ = hostile_world.build(tmp_path_factory.mktemp("outs") / "ws")
    return ws.path


@pytest.fixture
def ws(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(built, target)
    (tmp_path / "evilniche.toml").write_text(QUERY, encoding="utf-8")
    return target


def content_hash(folder: Path) -> str:
    """A hash of every path (files, folders, links) under `folder` and every file's bytes."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run(command: str, ws: Path, out: str):
    args, _ = COMMANDS[command]
    filled = [a.format(ws=ws, query=ws.parent / "evilniche.toml") for a in args]
    return CliRunner().invoke(main, [*filled, "--out", out])


def assert_refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for word in words:
        assert word in lines[0], lines[0]


def _targets(ws: Path, folder_output: bool) -> dict[str, str]:
    """`--out` values that resolve into `ws`, by name."""
    link = ws.parent / "link-to-ws"
    link.symlink_to(ws, target_is_directory=True)
    manifest_link = ws.parent / ("manifest-link" + ("" if folder_output else ".json"))
    manifest_link.symlink_to(ws / "manifest.json")
    name = "x" if folder_output else "x.csv"
    return {"the workspace": str(ws), "its manifest": str(ws / "manifest.json"), "tables/": str(ws / "tables"),
            "inside tables/": str(ws / "tables" / name), "results/": str(ws / "results" / name),
            "via ..": str(ws / "results" / ".." / name), "via a symlink": str(link / "manifest.json"),
            "into a symlinked folder": str(link / "results" / name), "a symlink to the manifest": str(manifest_link),
            "relative ..": os.path.relpath(ws / "tables" / ".." / name)}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_into_the_workspace_is_refused_and_the_workspace_is_unchanged(ws: Path, command: str) -> None:
    before = content_hash(ws)
    for label, out in _targets(ws, COMMANDS[command][1]).items():
        result = run(command, ws, out)
        assert_refused(result, "--out", "inside the workspace folder", "write outside the workspace folder")
        assert content_hash(ws) == before, (command, label)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_empty_out_is_refused(ws: Path, command: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = content_hash(ws)
    for out in ("", "  "):
        assert_refused(run(command, ws, out), "--out is empty")
    assert content_hash(ws) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evilniche.toml", "ws"]


def test_another_workspace_is_refused_too(ws: Path, built: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(built, other)
    before = content_hash(other)
    assert_refused(run("rank", ws, str(other / "manifest.json")), "inside the workspace folder")
    assert_refused(run("export-csv", ws, str(other)), "inside the workspace folder")
    assert content_hash(other) == before


def test_outputs_of_the_wrong_kind_and_unwritable_places_are_refused(ws: Path, tmp_path: Path) -> None:
    folder, file = tmp_path / "a-folder", tmp_path / "a-file.csv"
    loop = tmp_path / "loop.gexf"
    loop.symlink_to(loop)
    folder.mkdir()
    file.write_text("mine")
    before = content_hash(ws)
    cases = [("rank", str(folder), "names a folder"), ("shortlist", str(folder), "names a folder"),
             ("export-gexf", str(folder), "is one file"), ("export-csv", str(file), "names a file"),
             ("export-report", str(file), "names a file"), ("rank", str(file / "x.csv"), "is a file, not a folder"),
             ("export-csv", str(file / "sub" / "x"), "is a file, not a folder"),
             ("communities", str(tmp_path / "missing" / "x.csv"), "does not exist"),
             ("export-gexf", "/dev/null", "special file"), ("rank", "/proc/influgraph-x.csv", "cannot write"),
             ("rank", str(tmp_path / "x.txt"), "cannot write .txt"),
             ("rank", str(tmp_path / ("a" * 300 + ".csv")), "File name too long"),
             ("export-gexf", str(loop), "cannot be used"), ("export-csv", str(loop), "cannot be used")]
    for command, out, words in cases:
        assert_refused(run(command, ws, out), words)
    assert content_hash(ws) == before and file.read_text() == "mine" and list(folder.iterdir()) == []


def test_a_good_out_beside_the_workspace_still_works(ws: Path, tmp_path: Path) -> None:
    for command, out in (("rank", "r.csv"), ("export-gexf", "g.gexf"), ("export-csv", "tables")):
        result = run(command, ws, str(tmp_path / out))
        assert result.exit_code == 0, result.output
    assert (tmp_path / "r.csv").is_file() and (tmp_path / "r-agreement.csv").is_file()
    assert (tmp_path / "g.gexf").is_file() and (tmp_path / "tables" / "nodes.csv").is_file()


def test_library_checks_refuse_the_workspace(ws: Path) -> None:
    with pytest.raises(BadInput, match="inside the workspace"):
        check_file(ws / "manifest.json", "a table", ".csv", ws)
    with pytest.raises(BadInput, match="inside the workspace"):
        check_folder(ws / "tables", "a folder export", None)  # found as a workspace without being told
    with pytest.raises(BadInput, match="is empty"):
        check_file("", "a table", ".csv")


def test_default_out_inside_the_workspace_is_refused_before_graphs_is_made(ws: Path, monkeypatch) -> None:
    monkeypatch.chdir(ws / "results")
    before = content_hash(ws)
    result = CliRunner().invoke(main, ["export", "-w", str(ws), "--format", "gexf"])
    assert_refused(result, "inside the workspace folder")
    assert content_hash(ws) == before and not (ws / "results" / "graphs").exists()
