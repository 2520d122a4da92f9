"""The public API: every name `import influgraph` promises resolves, lazily, to the object its home module defines."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import influgraph


def _python(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter, so no earlier import changes what it sees."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_every_public_name_resolves_to_what_its_home_module_defines() -> None:
    done = _python("""
        import importlib, types
        import influgraph
        for name in influgraph.__all__:
            value = getattr(influgraph, name)
            assert not isinstance(value, types.ModuleType), (name, value)
            home = importlib.import_module(influgraph._HOMES[name], "influgraph")
            assert name in home.__all__ and getattr(home, name) is value, name
            assert getattr(influgraph, name) is value, name  # the same object the second time
        print(len(influgraph.__all__))
    """)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(influgraph.__all__)


def test_the_capabilities_of_the_command_line_are_public() -> None:
    wanted = {"Workspace", "import_paths", "crawl", "cost_plan", "load_query", "find_query", "build_graph",
              "compute_stats", "rank_niche", "rank_niches", "detect_communities", "shortlist", "export",
              "write_report", "graph_view", "save_ranking", "load_ranking", "stored_rankings", "run_demo"}
    assert wanted <= set(influgraph.__all__)
    assert len(set(influgraph.__all__)) == len(influgraph.__all__)
    assert set(influgraph.__all__) <= set(dir(influgraph))


def test_import_influgraph_loads_no_heavy_module() -> None:
    done = _python("""
        import sys
        import influgraph
        heavy = [m for m in ("polars", "numpy", "igraph", "requests", "click") if m in sys.modules]
        assert not heavy, heavy
    """)
    assert done.returncode == 0, done.stderr


def test_public_functions_are_not_shadowed_by_modules_of_the_same_name() -> None:
    """A module named like a public function (`crawl/` beside `crawl()`) would replace the function as
    influgraph's attribute once imported: hence crawlers/, shortlisting.py and exports/."""
    done = _python("""
        import importlib, types
        import influgraph
        for home in sorted(set(influgraph._HOMES.values())):
            importlib.import_module(home, "influgraph")  # what any library call may import first
        shadowed = [n for n in influgraph.__all__ if isinstance(getattr(influgraph, n), types.ModuleType)]
        assert not shadowed, shadowed
    """)
    assert done.returncode == 0, done.stderr
