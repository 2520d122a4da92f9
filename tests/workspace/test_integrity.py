"""Workspace integrity (issue 20): cleanup that cannot destroy, snapshot reads, damaged files told apart."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from influgraph.cli import main
from influgraph.workspace import Workspace

from coffee_world import QUERIES, coffee_batch, two_imports


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "tables").iterdir())}


def test_a_manifest_restored_from_a_backup_deletes_no_table_file(tmp_path: Path) -> None:
    """Restore the manifest of the first import over the second's: every command reads the first, deletes nothing."""
    ws, backup = two_imports(tmp_path / "ws")
    (ws.path / "manifest.json").write_bytes(backup)
    before = _files(ws.path)
    commands = [["stats", "--json"], ["rank", "--niche", "specialty-coffee", "--queries-dir", str(QUERIES)],
                ["communities", "--json"], ["shortlist", "--niche", "specialty-coffee", "--queries-dir", str(QUERIES)],
                ["export", "--format", "gexf", "--out", str(tmp_path / "g.gexf")], ["check"], ["check", "--repair"]]
    for command in commands:
        result = _run(*command, "-w", str(ws.path))
        assert result.exit_code == 0, (command, result.output)
        assert _files(ws.path) == before, f"{command[0]} changed tables/"
    stats = json.loads(_run("stats", "--json", "-w", str(ws.path)).stdout)
    assert stats["graph"]["nodes"] == 30 and Workspace(ws.path).counts()["accounts"] == 30
    newer = sorted(str(ws.path / "tables" / name) for name in before if name.endswith("-000002.parquet"))
    assert json.loads(_run("check", "--json", "-w", str(ws.path)).stdout)["unreferenced"] == newer
    # the next commit numbers its files above every kept one: the newer files stay intact
    after = Workspace(ws.path).commit(coffee_batch(100, 5))
    assert after.after["accounts"] == 35
    assert all(_files(ws.path)[name] == digest for name, digest in before.items())
    assert Workspace(ws.path).manifest()["generation"] == 3


_COMMITTER = """
import sys
sys.path.insert(0, sys.argv[2])
from coffee_world import coffee_batch
from influgraph.workspace import Workspace
ws = Workspace(sys.argv[1])
print("ready", flush=True)
for step, _ in enumerate(sys.stdin):  # one commit per line the test sends, so commits keep pace with the reads
    print(ws.commit(coffee_batch(1000 + 2 * step, 2)).after["accounts"], flush=True)
"""


def _read_counts(command: str, ws: Path, out: Path) -> tuple[int, ...]:
    """Run one read through the CLI; the counts it printed, which one generation must explain."""
    if command == "stats":
        data = json.loads(_run("stats", "--json", "-w", str(ws)).stdout)
        return data["accounts"], data["posts"], data["edges"] // 2, data["graph"]["nodes"]
    if command == "rank":
        data = json.loads(_run("rank", "--json", "--niche", "specialty-coffee", "--queries-dir", str(QUERIES),
                               "-w", str(ws)).stdout)
        return data["members"], data["candidates"]
    if command == "communities":
        return (json.loads(_run("communities", "--json", "-w", str(ws)).stdout)["accounts"],)
    result = _run("export", "--format", "gexf", "--out", str(out), "-w", str(ws))
    assert result.exit_code == 0, result.output
    return (out.read_text(encoding="utf-8").count("<node "),)


def test_reads_during_concurrent_commits_see_one_committed_generation(tmp_path: Path) -> None:
    """200 CLI reads while another process commits 50 times: no failure, every read's counts of one generation."""
    ws, _ = two_imports(tmp_path / "ws")
    tests_dir = Path(__file__).resolve().parents[1]
    child = subprocess.Popen([sys.executable, "-c", _COMMITTER, str(ws.path), str(tests_dir)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    acks: list[int] = []
    reader = threading.Thread(target=lambda: acks.extend(int(line) for line in child.stdout), daemon=True)
    reader.start()
    commands, reads, overlapping = ("stats", "rank", "communities", "gexf"), [], 0
    try:
        for n in range(200):
            if n % 4 == 0:
                child.stdin.write("commit\n")
                child.stdin.flush()
            acked = len(acks)
            try:
                reads.append(_read_counts(commands[n % 4], ws.path, tmp_path / "g.gexf"))
            except Exception as exc:  # noqa: BLE001 - every failure is reported with the read it happened in
                pytest.fail(f"read {n} ({commands[n % 4]}) failed: {exc!r}")
            overlapping += len(acks) != acked
    finally:
        child.stdin.close()
        child.wait(timeout=60)
        reader.join(timeout=10)
        errors = child.stderr.read()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == 0, errors
    committed = {50, *acks}
    assert len(acks) == 50 and len(committed) == 51, "the committer did not make its 50 commits"
    mixed = [counts for counts in reads if len(set(counts)) != 1 or counts[0] not in committed]
    assert not mixed, f"{len(mixed)} of {len(reads)} reads mixed generations or saw no committed one: {mixed[:3]}"
    assert overlapping >= 25, f"only {overlapping} of 200 reads overlapped a commit; the test proves little"


def test_commits_keep_the_last_generations_and_every_file_a_reader_holds(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.commit(coffee_batch(0, 4))
    reader = Workspace(ws.path)
    held = reader.counts()
    for step in range(6):
        ws.commit(coffee_batch(10 + 2 * step, 2))
    generations = {int(p.stem.split("-")[1]) for p in (ws.path / "tables").iterdir()}
    assert generations == {1, 5, 6, 7}, "the held generation 1 and the last three are kept"
    assert reader.counts() == held and reader.table("accounts").height == held["accounts"] == 4
    reader.refresh()
    assert reader.table("accounts").height == 16
    ws.commit(coffee_batch(40, 2))
    assert {int(p.stem.split("-")[1]) for p in (ws.path / "tables").iterdir()} == {6, 7, 8}


def _edit_manifest(ws: Path, edit) -> None:
    manifest = json.loads((ws / "manifest.json").read_text())
    edit(manifest)
    (ws / "manifest.json").write_text(json.dumps(manifest))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble(path: Path) -> None:
    path.write_bytes(bytes((7 * i) % 251 for i in range(path.stat().st_size)))


def _garble_middle(path: Path) -> None:  # the Parquet magic at both ends intact
    data = bytearray(path.read_bytes())
    data[-200:-8] = b"\x00" * 192
    path.write_bytes(bytes(data))


DAMAGE = {
    "tables is a list": (lambda ws: _edit_manifest(ws, lambda m: m.update(tables=list(m["tables"].values()))),
                         "manifest.json"),
    "entry without file": (lambda ws: _edit_manifest(ws, lambda m: m["tables"]["accounts"].pop("file")), "manifest.json"),
    "rows not an integer": (lambda ws: _edit_manifest(ws, lambda m: m["tables"]["edges"].update(rows="100")),
                            "manifest.json"),
    "path outside the folder": (lambda ws: _edit_manifest(ws, lambda m: m["tables"]["edges"].update(file="../x.parquet")),
                                "manifest.json"),
    "absolute path": (lambda ws: _edit_manifest(ws, lambda m: m["tables"]["posts"].update(file="/etc/passwd")),
                      "manifest.json"),
    "rows not the file's": (lambda ws: _edit_manifest(ws, lambda m: m["tables"]["edges"].update(rows=7)),
                            "edges-000002.parquet"),
    "missing table file": (lambda ws: (ws / "tables" / "edges-000002.parquet").unlink(), "edges-000002.parquet"),
    "truncated table": (lambda ws: _truncate(ws / "tables" / "accounts-000002.parquet"), "accounts-000002.parquet"),
    "garbage table": (lambda ws: _garble(ws / "tables" / "edges-000002.parquet"), "edges-000002.parquet"),
    "garbled footer": (lambda ws: _garble_middle(ws / "tables" / "posts-000002.parquet"), "posts-000002.parquet"),
}
READS = [["stats"], ["rank", "--niche", "specialty-coffee", "--queries-dir", str(QUERIES)], ["communities"],
         ["export", "--format", "gexf"]]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_every_command_meets_a_damaged_workspace_with_one_line_and_exit_2(damage: str, tmp_path: Path) -> None:
    ws, _ = two_imports(tmp_path / "ws")
    harm, named = DAMAGE[damage]
    harm(ws.path)
    for command in READS:
        args = [*command, "--out", str(tmp_path / "out.gexf")] if command[0] == "export" else command
        result = _run(*args, "-w", str(ws.path))
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2, (damage, command[0], result.output)
        assert len(lines) == 1 and named in lines[0] and "Traceback" not in result.output, lines
        assert "backup" in lines[0] or "import" in lines[0], lines[0]


def _analysed(folder: Path) -> Workspace:
    ws, _ = two_imports(folder)
    for command in (["rank", "--niche", "specialty-coffee", "--queries-dir", str(QUERIES)], ["communities"]):
        assert _run(*command, "-w", str(ws.path)).exit_code == 0
    return ws


RESULT_DAMAGE = {
    "wrong schema": lambda path, other: pl.DataFrame({"x": [1, 2]}).write_parquet(path),
    "another result": lambda path, other: path.write_bytes(other.read_bytes()),
    "truncated": lambda path, other: _truncate(path),
    "garbage": lambda path, other: _garble(path),
}


@pytest.mark.parametrize("damage", sorted(RESULT_DAMAGE))
def test_a_damaged_stored_result_is_named_with_the_way_out(damage: str, tmp_path: Path) -> None:
    ws = _analysed(tmp_path / "ws")
    results = sorted((ws.path / "results").glob("*.parquet"))
    assert len(results) >= 4
    for index, path in enumerate(results):
        original = path.read_bytes()
        RESULT_DAMAGE[damage](path, results[index - 1])
        result = _run("export", "--format", "report", "--out", str(tmp_path / "report.html"), "-w", str(ws.path))
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2, (damage, path.name, result.output)
        assert len(lines) == 1 and path.name in lines[0] and "--repair" in lines[0], lines
        path.write_bytes(original)


def _check(ws: Path, *flags: str) -> tuple[int, list[str]]:
    result = _run("check", "-w", str(ws), *flags)
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_check_reports_each_damage_kind_in_one_line(damage: str, tmp_path: Path) -> None:
    ws, _ = two_imports(tmp_path / "ws")
    assert _check(ws.path) == (0, ["healthy: 4 tables and 0 stored results checked, 0 damaged, 0 dropped"])
    harm, named = DAMAGE[damage]
    harm(ws.path)
    code, lines = _check(ws.path)
    damaged = [line for line in lines if line.startswith("damaged: ") and named in line]
    assert code == 2 and len(damaged) == 1, lines
    assert _check(ws.path, "--repair")[0] == 2, "a table is never repaired away"
    assert _files(ws.path), "check keeps every table file"


def test_check_repair_drops_damaged_results_and_every_command_works_again(tmp_path: Path) -> None:
    ws = _analysed(tmp_path / "ws")
    results = sorted((ws.path / "results").glob("*.parquet"))
    _truncate(results[0])
    pl.DataFrame({"x": [1]}).write_parquet(results[1])
    (ws.path / "tables" / "edges-000042.parquet").write_bytes(b"kept")
    code, lines = _check(ws.path, "--json")
    report = json.loads("\n".join(lines))
    assert code == 2 and not report["healthy"] and len(report["damaged"]) == 2
    assert report["unreferenced"] == [str(ws.path / "tables" / "edges-000042.parquet")]
    assert all("--repair" in d["recovery"] for d in report["damaged"])
    code, lines = _check(ws.path, "--repair")
    assert code == 0 and sum(line.startswith("dropped: ") for line in lines) == 2, lines
    assert not results[0].exists() and not results[1].exists()
    assert (ws.path / "tables" / "edges-000042.parquet").read_bytes() == b"kept"
    for command in READS + [["export", "--format", "report"]]:
        result = _run(*command, "--out", str(tmp_path / f"out-{command[-1]}"), "-w", str(ws.path)) \
            if command[0] == "export" else _run(*command, "-w", str(ws.path))
        assert result.exit_code == 0, (command, result.output)
    assert _check(ws.path)[0] == 0


def test_a_results_folder_replaced_by_a_file_is_refused_reported_and_repaired(tmp_path: Path) -> None:
    ws = _analysed(tmp_path / "ws")
    for path in (ws.path / "results").iterdir():
        path.unlink()
    (ws.path / "results").rmdir()
    (ws.path / "results").write_bytes(b"not a folder")
    rank = ["rank", "--niche", "specialty-coffee", "--queries-dir", str(QUERIES), "-w", str(ws.path)]
    result = _run(*rank)
    assert result.exit_code == 2 and "results is not a folder" in result.stderr, result.output
    code, lines = _check(ws.path)
    assert code == 2 and any(line.startswith("damaged: ") and "results" in line for line in lines), lines
    assert _check(ws.path, "--repair")[0] == 0 and not (ws.path / "results").exists()
    assert _run(*rank).exit_code == 0 and _check(ws.path)[0] == 0


def test_a_result_read_while_it_is_rewritten_is_whole_old_or_new(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    frames = [pl.DataFrame({"id": [str(i) for i in range(n)], "score": [float(i) for i in range(n)]}) for n in (10, 2000)]
    ws.write_result("rank_x", frames[0])
    done = threading.Event()

    def rewrite() -> None:
        writer = Workspace(ws.path)
        for step in range(100):
            writer.write_result("rank_x", frames[step % 2])
        done.set()

    thread = threading.Thread(target=rewrite)
    thread.start()
    heights = []
    while not done.is_set() or len(heights) < 50:
        heights.append(Workspace(ws.path).read_result("rank_x").height)
    thread.join()
    assert set(heights) <= {10, 2000}
