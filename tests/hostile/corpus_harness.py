"""Runs one hostile case in-process and lists everything it did wrong.

Each case runs through `click.testing.CliRunner` (exceptions caught, as the real entry point
would meet them; a case marked `isolate` runs the same command line in a child process) in its
own folder, against a fresh copy of the world's workspace, with the
crawl's secrets unset and the X API pointed at a closed local port. What is judged:

- the command raised nothing but SystemExit, and its exit code is one the case allows;
- no "Traceback" and no "internal error" anywhere in stdout or stderr;
- a refusal (any exit but 0) is exactly one stderr line starting with "error:", naming the
  option, file or path the case names, and at most MAX_LINE characters long;
- a refusal, or a command that must not write, leaves every workspace file byte-identical;
  a command that stores results leaves the tables (manifest and table files) byte-identical;
- no temporary file (`*.influgraph-tmp`) is left anywhere in the case's folder;
- the workspace (unless the case damaged it) is still readable by `stats` (run only when its bytes
  changed: the world's own bytes are checked readable once);
- `--json` output parses as strict JSON (no NaN or Infinity), and the case's own check of what
  it wrote (XML well-formed, CSV formulas neutralised, ...) passes.

Run as a script (`python tests/hostile/corpus_harness.py`) it runs the whole corpus and
prints each failing case with its first problem, grouped by problem: the list that
KNOWN_OPEN in test_hostile_corpus.py is updated from.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from corpus_cases import READ_ONLY, Case, strict_json
from corpus_world import World, build
from influgraph.cli import main

__all__ = ["CaseTimeout", "Skip", "run_case", "tree_hash", "LIMIT_SECONDS"]

LIMIT_SECONDS = 2.5  # a case on this tiny world takes well under a second; more means it hangs on a huge value
ENV = {name: None for name in ("INFLUGRAPH_WORKSPACE", "INFLUGRAPH_DEBUG", "X_BEARER_TOKEN", "TWITTER_BEARER_TOKEN",
                               "BLUESKY_ACCESS_TOKEN", "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD",
                               "INFLUGRAPH_BLUESKY_API_URL", "INFLUGRAPH_BLUESKY_PDS_URL", "INFLUGRAPH_SPARK_MASTER")}
ENV["INFLUGRAPH_X_API_URL"] = "http://127.0.0.1:9"  # a closed port: nothing leaves the machine
TABLES_PART = ("manifest.json", "tables")
MAX_LINE = 2_000  # a refusal is read by a person: a value of 100,000 characters is shortened, not echoed


class CaseTimeout(BaseException):
    """A case ran past LIMIT_SECONDS (a BaseException, so neither the CLI nor CliRunner swallows it)."""


class Skip(Exception):
    """A case that cannot mean anything here (its reason says why)."""


@contextmanager
def deadline(seconds: float):
    """Raise CaseTimeout in the main thread after `seconds`."""
    def ring(signum, frame):
        raise CaseTimeout(f"still running after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def tree_hash(folder: Path) -> dict[str, str]:
    """Every file under `folder` (but the lock) with the sha256 of its bytes; symlinks by their target."""
    found = {}
    if not folder.exists():
        return found
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = "link:" + os.readlink(path)
        elif path.is_file() and path.name != ".lock":
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _tables(hashes: dict[str, str]) -> dict[str, str]:
    return {name: h for name, h in hashes.items() if name.split(os.sep)[0] in TABLES_PART}


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def _fill(text: str, d: Path, ws: Path, world: World) -> str:
    return (text.replace("{ws}", str(ws)).replace("{d}", str(d)).replace("{q}", str(world.queries))
            .replace("{costs}", str(world.costs)))


@dataclass
class Ran:
    """What a command run in a child process did, shaped like click's Result."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None
    exc_info: tuple | None = None


def _invoke_isolated(args: list[str], cwd: Path, extra: dict[str, str]) -> Ran:
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    env.update({k: v for k, v in {**ENV, **extra}.items() if v is not None})
    try:
        done = subprocess.run([sys.executable, "-c", "from influgraph.cli import main; main()", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, errors="replace", timeout=3 * LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        raise CaseTimeout(f"still running after {3 * LIMIT_SECONDS:.0f} s") from None
    code = done.returncode if done.returncode >= 0 else 128 - done.returncode  # killed by a signal: 128 + N
    return Ran(code, done.stdout, done.stderr)


def _invoke(args: list[str], cwd: Path, isolate: bool = False, extra: dict[str, str] | None = None) -> Result | Ran:
    if isolate:
        return _invoke_isolated(args, cwd, extra or {})
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with deadline(LIMIT_SECONDS):
            return CliRunner().invoke(main, args, env={**ENV, **(extra or {})})
    finally:
        os.chdir(old)


def _judge_output(case: Case, result: Result) -> list[str]:
    problems = []
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        where = traceback.extract_tb(result.exc_info[2])[-1] if result.exc_info else None
        problems.append(f"raised {type(result.exception).__name__}: {result.exception}"
                        + (f" at {Path(where.filename).name}:{where.lineno}" if where else ""))
    if result.exit_code not in case.expect:
        problems.append(f"exit {result.exit_code} (allowed {sorted(case.expect)}): {result.stderr.strip()[:300]!r}")
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if "Traceback" in text or "internal error" in text:
            problems.append(f"internal error or traceback in {stream}: {text.strip()[-300:]!r}")
    if result.exit_code != 0 and case.reports:
        problems += _judge_report(case, result)
    elif result.exit_code != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        if len(lines) != 1 or not lines[0].startswith("error:"):
            problems.append(f"refusal is not one 'error:' line on stderr: {result.stderr[:300]!r}")
        elif case.names and not any(name.lower() in lines[0].lower() for name in case.names):
            problems.append(f"refusal names none of {list(case.names)}: {lines[0][:300]!r}")
        elif len(lines[0]) > MAX_LINE:
            problems.append(f"refusal line of {len(lines[0]):,} characters (a huge value echoed whole?): {lines[0][:120]!r}")
    elif "--json" in case.args:
        try:
            strict_json(result.stdout)
        except ValueError as exc:
            problems.append(f"--json output is not strict JSON: {exc}")
    return problems


def _judge_report(case: Case, result: Result) -> list[str]:
    """A report of damage (`check`): it names the damage; stderr is empty or one "error:" line; --json is strict."""
    problems = []
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    if errors and (len(errors) != 1 or not errors[0].startswith("error:")):
        problems.append(f"stderr beside a report is not one 'error:' line: {result.stderr[:300]!r}")
    said = (result.stdout + result.stderr).lower()
    if case.names and not any(name.lower() in said for name in case.names):
        problems.append(f"report names none of {list(case.names)}: {(result.stdout + result.stderr)[:300]!r}")
    if "--json" in case.args and not errors:
        try:
            strict_json(result.stdout)
        except ValueError as exc:
            problems.append(f"--json report is not strict JSON: {exc}")
    return problems


def _judge_workspace(case: Case, result: Result, d: Path, ws: Path, before: dict[str, str]) -> list[str]:
    problems = []
    after = tree_hash(ws)
    if result.exit_code != 0 or case.writes == "none":
        changed = _changed(before, after)
        if changed:
            problems.append(f"workspace changed ({'refused' if result.exit_code else 'must not write'}): {changed[:6]}")
    elif case.writes == "results":
        changed = _changed(_tables(before), _tables(after))
        if changed:
            problems.append(f"tables changed by a command that only stores results: {changed[:6]}")
    temps = sorted(str(p.relative_to(d)) for p in d.rglob("*") if "influgraph-tmp" in p.name)
    if temps:
        problems.append(f"temporary files left: {temps[:4]}")
    if case.damage is None and after != before:  # the same bytes as the world's are as readable as the world
        readable = _invoke(["stats", "-w", str(ws)], d)
        if readable.exit_code != 0:
            problems.append(f"workspace unreadable afterwards: stats exit {readable.exit_code}: {readable.stderr.strip()[:200]!r}")
    if result.exit_code == 0 and case.check is not None:
        problem = case.check(d, result)
        if problem:
            problems.append(problem)
    return problems


_WORLD_HASHES: dict[Path, dict[str, str]] = {}


def _fresh_copy(world: World, ws: Path) -> None:
    """Make `ws` a copy of the world's workspace, reusing it when it still holds the world's exact bytes."""
    if world.workspace not in _WORLD_HASHES:
        _WORLD_HASHES[world.workspace] = tree_hash(world.workspace)
    if ws.exists() and tree_hash(ws) == _WORLD_HASHES[world.workspace]:
        return  # copying and deleting folders is most of a refusal's cost; identical bytes are as fresh as a copy
    if ws.exists():
        _remove(ws)
    shutil.copytree(world.workspace, ws, symlinks=True)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    if path.name == READ_ONLY:  # made immutable when running as root (see corpus_cases._read_only)
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    for inner in (path, *path.rglob("*")):
        if inner.is_dir() and not inner.is_symlink():
            inner.chmod(0o700)
    shutil.rmtree(path, ignore_errors=True)


def run_case(case: Case, world: World, d: Path) -> list[str]:
    """Run `case` in folder `d` on a fresh copy of the world (`d/ws`); its problems (empty: it passed).

    `d` may be the folder of an earlier case: everything but `d/ws` is removed after each case, and
    `d/ws` is copied again unless it still holds the world's bytes. Raises Skip when the case's
    setup says it cannot mean anything here, CaseTimeout when it hangs.
    """
    d.mkdir(exist_ok=True)
    ws = d / "ws"
    try:
        _fresh_copy(world, ws)
        if case.damage is not None:
            case.damage(ws)
        for name, content in case.files:
            (d / name).write_bytes(content)
        if case.setup is not None:
            reason = case.setup(d, ws)
            if reason:
                raise Skip(reason)
        before = tree_hash(ws)
        extra = {name: _fill(value, d, ws, world) for name, value in case.env}
        result = _invoke([_fill(arg, d, ws, world) for arg in case.args], d, case.isolate, extra)
        return _judge_output(case, result) + _judge_workspace(case, result, d, ws, before)
    finally:
        for path in list(d.iterdir()):
            if path.name != "ws":
                _remove(path)


def _main() -> None:
    """Run the whole corpus and print the failing cases grouped by their first problem's kind."""
    import re
    import tempfile
    from collections import defaultdict

    from corpus_cases import all_cases

    cases = all_cases()
    groups: dict[str, list[str]] = defaultdict(list)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        world = build(Path(tmp) / "world")
        took = []
        for n, case in enumerate(cases):
            begun = time.monotonic()
            try:
                problems = run_case(case, world, Path(tmp) / "case")
            except Skip as exc:
                problems = [f"skipped: {exc}"]
            except CaseTimeout as exc:
                problems = [f"timeout: {exc}"]
            took.append((time.monotonic() - begun, case.id))
            for problem in problems[:1]:
                print(f"{case.id!r}\t{problem}")
                groups[re.sub(r"[0-9]+", "N", problem[:60])].append(case.id)
    print(f"\n{len(cases)} cases in {time.monotonic() - started:.1f} s, {sum(map(len, groups.values()))} with problems")
    for key, ids in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"{len(ids):4}  {key}")
    totals: dict[str, float] = defaultdict(float)
    for seconds, case_id in took:
        totals[case_id.split("/")[0]] += seconds
    print("seconds per group:", {group: round(seconds, 1) for group, seconds in totals.items()})
    print("slowest:", ", ".join(f"{case_id} {seconds:.2f}s" for seconds, case_id in sorted(took)[-12:]))


if __name__ == "__main__":
    _main()
