"""The house rules of issue 14, checked on the source of influgraph/ with `ast`.

- no function longer than 80 lines;
- only cli.py reads environment variables;
- only cli.py names a command-line flag (`--word`) in an error's message or hint: the library
  names its own parameters in backticks, and every backticked name maps to a real CLI option;
- communities, graph_view and shortlist import nothing from the niche-ranking module;
- each stored result's name is spelled in one module, influgraph/results.py.

Each check is a function returning its offenders (module, line, what), so a failure lists them
all; `test_each_check_finds_a_planted_offender` shows that every check can fail.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "influgraph"
CLI = "cli.py"
MAX_FUNCTION_LINES = 80
# result names: whole names, and prefixes followed by a niche's stem
RESULT_NAMES = ("communities", "community_profiles")
RESULT_PREFIXES = ("rank_", "shortlist_", "overlap_", "agreement_")
RESULTS_MODULE = "results.py"
# the modules kept apart from niche ranking, found by name or by the function they hold (they may move)
ISOLATED_FROM_RANK = {"communities": "detect_communities", "graph_view": "graph_view", "shortlist": "shortlist"}
RANK_MODULE = "influgraph.rank"
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
FLAG = re.compile(r"(?<![\w-])--(?:[a-z]|\{)")
PARAMETER = re.compile(r"`([a-z][a-z0-9_]*)`")  # the pattern errors.InflugraphError.one_line turns into flags


# ------------------------------------------------------------------ reading the source
def modules() -> list[Path]:
    """Every Python module of the package, sorted."""
    found = sorted(PACKAGE.rglob("*.py"))
    assert found, f"no modules under {PACKAGE}"
    return found


def name_of(path: Path) -> str:
    """The module's path relative to influgraph/, as offenders are printed."""
    return path.relative_to(PACKAGE).as_posix()


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def text_of(node: ast.AST) -> str | None:
    """The text of a string literal; an f-string's literal parts with `{}` where values go."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def strings_in(node: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal and f-string inside `node`, f-strings counted once."""
    if (text := text_of(node)) is not None:
        yield node.lineno, text
        return
    for child in ast.iter_child_nodes(node):
        yield from strings_in(child)


def callee(call: ast.Call) -> str:
    """The called name: `BadInput` for `BadInput(...)` and `errors.BadInput(...)`."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def error_calls(tree: ast.AST) -> Iterator[ast.Call]:
    """Every call that builds an exception: the call under each `raise`, and any `...Error(...)` elsewhere."""
    from influgraph import errors

    kinds = {name for name in errors.__all__ if isinstance(getattr(errors, name), type)}
    raised = {id(node.exc) for node in ast.walk(tree) if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (id(node) in raised or callee(node) in kinds
                                           or callee(node).endswith(("Error", "Exception"))):
            yield node


def error_texts(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of the string literals in error messages and hints (not in `param=`)."""
    for call in error_calls(tree):
        parts = [*call.args, *(k.value for k in call.keywords if k.arg != "param")]
        for part in parts:
            yield from strings_in(part)


def docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of the module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def qualified(path: Path) -> str:
    """The dotted module name of a file under influgraph/ (`influgraph.crawlers.run`)."""
    parts = ["influgraph", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of every module imported anywhere in the tree, relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            yield node.lineno, origin
            for alias in node.names:  # `from . import rank` imports the module influgraph.rank
                yield node.lineno, f"{origin}.{alias.name}"


# ------------------------------------------------------------------ the checks: each returns its offenders
def long_functions(path: Path, tree: ast.AST) -> list[str]:
    return [f"{name_of(path)}:{node.lineno} {node.name} has {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def environment_reads(path: Path, tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT and isinstance(node.value, ast.Name) \
                and node.value.id in ("os", "posix"):
            found.append(f"{name_of(path)}:{node.lineno} {node.value.id}.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "posix"):
            found += [f"{name_of(path)}:{node.lineno} from {node.module} import {a.name}"
                      for a in node.names if a.name in ENVIRONMENT]
    return found


def flags_in_errors(path: Path, tree: ast.AST) -> list[str]:
    return [f"{name_of(path)}:{line} {text!r}" for line, text in sorted(error_texts(tree)) if FLAG.search(text)]


def rank_imports(path: Path, tree: ast.AST) -> list[str]:
    return [f"{name_of(path)}:{line} imports {name}"
            for line, name in imported_modules(tree, qualified(path), path.name == "__init__.py")
            if name == RANK_MODULE or name.startswith(RANK_MODULE + ".")]


def result_name_spellings(path: Path, tree: ast.AST) -> dict[str, list[str]]:
    """Where a module spells a stored result's name: {name or prefix: [module:line ...]}.

    A prefix counts as a literal equal to it (`startswith("rank_")`) or a string that begins with it
    and goes on with a value (`f"rank_{stem}"`); a whole name counts where it names a stored table:
    an argument of a call whose name says `result` (`read_result("communities")`), a constant
    (`COMMUNITIES = "communities"`), and anywhere at all in results.py. Docstrings never count, nor
    the same words used for other things (a command named `communities`, a column `shortlist_reach`).
    """
    docstrings = docstring_nodes(tree)
    in_results = path.name == RESULTS_MODULE and path.parent == PACKAGE
    named: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and "result" in callee(node) and callee(node).islower():
            named |= {id(n) for part in [*node.args, *(k.value for k in node.keywords)] for n in ast.walk(part)}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) and t.id.isupper() for t in targets):
                named |= {id(n) for n in ast.walk(node.value)}
    parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        text = text_of(node)
        if text is None or id(node) in docstrings or id(node) in parts:
            continue
        for prefix in RESULT_PREFIXES:
            if text == prefix or (text.startswith(prefix + "{}") and isinstance(node, ast.JoinedStr)):
                found.setdefault(prefix, []).append(f"{name_of(path)}:{node.lineno}")
        if text in RESULT_NAMES and (in_results or id(node) in named):
            found.setdefault(text, []).append(f"{name_of(path)}:{node.lineno}")
    return found


ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def cli_flags() -> set[str]:
    """Every option string the CLI knows, over all its commands (and groups of commands).

    The environment variables the CLI reads count too: an option's `envvar=`, and the variables
    cli.py spells (the crawl's secrets have no flag, on purpose: a parameter such as `token` is
    printed as the variables it is read from).
    """
    import click

    from influgraph.cli import main

    known: set[str] = set()
    pending: list[click.Command] = [main]
    while pending:
        command = pending.pop()
        for param in command.params:
            envvar = param.envvar or ()
            known |= set(param.opts) | set(param.secondary_opts) | ({envvar} if isinstance(envvar, str) else set(envvar))
        if isinstance(command, click.Group):
            pending += list(command.commands.values())
    cli = parse(PACKAGE / CLI)
    return known | {text for _, text in strings_in(cli) if ENV_NAME.fullmatch(text)}


def unknown_parameters(path: Path, tree: ast.AST, flag, known: set[str]) -> list[str]:
    found = []
    for line, text in sorted(error_texts(tree)):
        for name in PARAMETER.findall(text):
            spelled = flag(name)
            if not set(spelled.split("/")) <= known:
                found.append(f"{name_of(path)}:{line} `{name}` is printed as {spelled}, which is neither an option"
                             " of a command nor an environment variable of the CLI (add the option, or the name to cli.FLAGS)")
    return found


def everything(check, paths) -> list[str]:
    return [offender for path in paths for offender in check(path, parse(path))]


# ------------------------------------------------------------------ the rules
def test_no_function_is_longer_than_80_lines() -> None:
    offenders = everything(long_functions, modules())
    assert not offenders, "functions over 80 lines:\n" + "\n".join(offenders)


def test_only_the_cli_reads_environment_variables() -> None:
    offenders = everything(environment_reads, [p for p in modules() if name_of(p) != CLI])
    assert not offenders, "library modules reading the environment (only cli.py may):\n" + "\n".join(offenders)


def test_no_library_error_names_a_command_line_flag() -> None:
    offenders = everything(flags_in_errors, [p for p in modules() if name_of(p) != CLI])
    assert not offenders, ("library error messages or hints naming a CLI flag (write the parameter in backticks):\n"
                           + "\n".join(offenders))


def isolated_modules() -> dict[str, list[Path]]:
    """{communities, graph_view, shortlist: the modules named so or defining that function}."""
    found: dict[str, list[Path]] = {key: [] for key in ISOLATED_FROM_RANK}
    for path in modules():
        defined = {node.name for node in parse(path).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        for key, function in ISOLATED_FROM_RANK.items():
            if path.stem == key or function in defined:
                found[key].append(path)
    return found


def test_communities_graph_view_and_shortlist_import_nothing_from_the_ranking_module() -> None:
    found = isolated_modules()
    missing = sorted(key for key, paths in found.items() if not paths)
    assert not missing, f"no module under {PACKAGE} is named or defines: {missing}"
    paths = sorted({p for paths in found.values() for p in paths})
    offenders = everything(rank_imports, paths)
    assert not offenders, f"imports from {RANK_MODULE}:\n" + "\n".join(offenders)


def test_each_result_name_is_spelled_in_results_py_only() -> None:
    results = PACKAGE / RESULTS_MODULE
    assert results.is_file(), f"{results} does not exist yet: it is to be the one module that names stored results"
    where: dict[str, list[str]] = {}
    for path in modules():
        for name, places in result_name_spellings(path, parse(path)).items():
            where.setdefault(name, []).extend(places)
    problems = []
    for name in (*RESULT_NAMES, *RESULT_PREFIXES):
        places = where.get(name, [])
        outside = [p for p in places if not p.startswith(RESULTS_MODULE + ":")]
        if outside or not places:
            problems.append(f"{name!r}: " + (", ".join(places) if places else f"not spelled in {RESULTS_MODULE}"))
    assert not problems, f"result names spelled outside {RESULTS_MODULE} (or missing there):\n" + "\n".join(problems)


def test_every_backticked_parameter_in_an_error_is_a_cli_option() -> None:
    from influgraph.cli import flag

    known = cli_flags()
    offenders = [o for path in modules() for o in unknown_parameters(path, parse(path), flag, known)]
    assert not offenders, "backticked names in error messages that no CLI option matches:\n" + "\n".join(offenders)


# ------------------------------------------------------------------ each check can fail
PLANTED = {
    "long function": (long_functions, "def f():\n" + "    x = 1\n" * 80),
    "os.environ": (environment_reads, "import os\nx = os.environ.get('A')\n"),
    "os.getenv": (environment_reads, "import os\nx = os.getenv('A')\n"),
    "from os import environ": (environment_reads, "from os import environ\n"),
    "flag in a message": (flags_in_errors, "raise BadInput('--k must be at least 1')\n"),
    "flag in an f-string hint": (flags_in_errors, "raise BadInput(f'bad {k}', hint=f'raise --budget to {k}')\n"),
    "flag in an error built first": (flags_in_errors, "error = ValueError('use --resume')\nraise error\n"),
    "flag made from a name": (flags_in_errors, "raise BadInput(f'--{name} is bad')\n"),
    "relative import of rank": (rank_imports, "from .rank import tier_expr\n"),
    "lazy import of rank": (rank_imports, "def f():\n    from influgraph.rank import rank_niche\n"),
    "rank as a module": (rank_imports, "from . import rank\n"),
    "a prefix": (result_name_spellings, "names = [n for n in ws.result_names() if n.startswith('rank_')]\n"),
    "a built name": (result_name_spellings, "name = f'shortlist_{stem}'\n"),
    "a whole name": (result_name_spellings, "ws.read_result('communities')\n"),
    "a constant": (result_name_spellings, "PROFILES = 'community_profiles'\n"),
}
CLEAN = {
    "short function": (long_functions, "def f():\n" + "    x = 1\n" * 78),
    "environment in a docstring": (environment_reads, '"""Reads no os.environ."""\nimport os\nx = os.path.join("a")\n'),
    "flag in a docstring": (flags_in_errors, '"""Run with --resume."""\nraise BadInput("`resume` is needed", param="resume")\n'),
    "flag in a comment": (flags_in_errors, "raise BadInput('bad')  # the CLI says --k\n"),
    "an unrelated import": (rank_imports, "from .ranking_tools import x\nfrom .algorithms.centrality import pagerank\n"),
    "other uses of the words": (result_name_spellings, "@main.command('communities')\ndef c():\n"
                                "    return summary['communities'], row['shortlist_reach'], 'rank_niche'\n"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_each_check_finds_a_planted_offender(case: str) -> None:
    check, source = PLANTED[case]
    path = PACKAGE / "planted.py"  # a name inside the package, as the checks print; the file is never written
    found = check(path, ast.parse(source))
    assert found, f"{check.__name__} missed: {source!r}"


@pytest.mark.parametrize("case", sorted(CLEAN))
def test_each_check_passes_clean_code(case: str) -> None:
    check, source = CLEAN[case]
    assert not check(PACKAGE / "planted.py", ast.parse(source))


def test_the_parameter_check_finds_a_name_no_command_has() -> None:
    tree = ast.parse("raise BadInput('`no_such_option` must be set', param='no_such_option')\n")
    found = unknown_parameters(PACKAGE / "planted.py", tree, lambda name: "--" + name.replace("_", "-"), {"--k"})
    assert found and "--no-such-option" in found[0]
    assert not unknown_parameters(PACKAGE / "planted.py", ast.parse("raise BadInput('`k` must be 1')\n"),
                                  lambda name: "--" + name, {"--k"})
    assert "--k" in cli_flags() and "--workspace" in cli_flags()  # the CLI's options are really collected
