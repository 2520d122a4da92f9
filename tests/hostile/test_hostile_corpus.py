"""The hostile corpus (issue 20, "keep the sweep"): every command, every case, judged the same way.

Each case (corpus_cases.py: bad option values of every command, niche query files, import
files, costs files, output paths, damaged workspaces (through every command and `check`), bad
`-w` and environment settings, crawls that must stop before any request, hostile text through
every export, strict `--json`) runs in-process against a fresh copy of a tiny hostile world
(corpus_world.py) and must (corpus_harness.py): exit with a code it allows (0 or 2, 4 for a
crawl without a token; never 1), print no traceback and no "internal error", refuse in one
stderr line starting "error:" that names the option, file or path, leave the workspace
byte-identical when it refuses or must not write (tables untouched when it stores results),
leave no temporary file, and leave the workspace readable by `stats`. The read-only-folder
cases make the folder immutable (chattr +i) when run as root, and skip if they cannot. About 1,100
cases, about 20 s.

KNOWN_OPEN lists the cases that still fail, grouped by cause, each group's reason saying what is
wrong. They are marked `xfail(strict=True)`: CI stays green while they fail, and a case that
starts passing fails the run as XPASS. When that happens the fix is in: remove its id from
KNOWN_OPEN (and the group when it empties) - the marker must go, so that the corpus keeps the
fix from then on. To list the current failures with their problems, grouped:
`python tests/hostile/corpus_harness.py`.
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from corpus_cases import all_cases
from corpus_harness import CaseTimeout, Skip, run_case, tree_hash
from corpus_world import build
from influgraph.cli import main

CASES = all_cases()

# cause -> the ids of the cases that still fail for it (updated from corpus_harness.py's listing)
KNOWN_OPEN: dict[str, tuple[str, ...]] = {}
OPEN = {case_id: reason for reason, ids in KNOWN_OPEN.items() for case_id in ids}


def _param(case):
    marks = [pytest.mark.xfail(strict=True, reason=OPEN[case.id])] if case.id in OPEN else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The hostile world, built once; checked readable first and untouched by every case at the end."""
    root = tmp_path_factory.mktemp("hostile")
    built = build(root / "world")
    hashes = tree_hash(built.workspace)
    readable = CliRunner().invoke(main, ["stats", "-w", str(built.workspace), "--json"])
    assert readable.exit_code == 0, readable.output
    yield built, root
    assert tree_hash(built.workspace) == hashes, "a case wrote into the world instead of its copy"


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_hostile_case(case, world):
    built, root = world
    try:
        problems = run_case(case, built, root / "case")
    except Skip as exc:
        pytest.skip(str(exc))
    except CaseTimeout as exc:
        problems = [f"hangs: {exc}"]
    assert not problems, f"{case.id}: " + "\n".join(problems)


def test_corpus_covers_every_command_with_500_cases():
    commands = {case.args[0] for case in CASES}
    assert set(main.commands) <= commands, f"commands without a hostile case: {set(main.commands) - commands}"
    assert len(CASES) >= 500, len(CASES)
    unknown = set(OPEN) - {case.id for case in CASES}
    assert not unknown, f"KNOWN_OPEN names cases that do not exist (renamed or removed?): {sorted(unknown)}"
