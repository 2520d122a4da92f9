"""Shared by the benchmark scripts: run a step in a fresh Python process, measure it, print a table."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PRELUDE = """
import resource, time, json, sys
ARGS = sys.argv[1:]
_t = [0.0]
def start():
    _t[0] = time.perf_counter()
"""
# Peak memory is VmHWM from /proc/self/status: ru_maxrss survives exec on Linux, so a child started by a
# big parent would report the parent's peak; VmHWM belongs to the new process image only.
EPILOGUE = """
elapsed = time.perf_counter() - _t[0]
def _peak_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mb": _peak_mb(), "note": str(globals().get("NOTE", ""))}))
"""


def run_step(code: str, args: list[str], timeout: float) -> dict:
    """Run `code` in a fresh interpreter; it calls start() once its imports and inputs are ready.

    Returns seconds after start() and the process's peak resident memory, or a note on failure.
    """
    script = PRELUDE + textwrap.dedent(code) + EPILOGUE
    try:
        done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_mb": None, "note": f"stopped after {timeout:.0f} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["failed"]
        return {"seconds": None, "peak_mb": None, "note": lines[-1][:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(title: str, results: dict[str, dict]) -> None:
    """One line per step: seconds and peak MB (or a note)."""
    print(title)
    print(f"{'step':<52}{'seconds':>10}{'peak MB':>10}")
    for name, row in results.items():
        seconds = f"{row['seconds']:.2f}" if row["seconds"] is not None else "-"
        peak = f"{row['peak_mb']:.0f}" if row["peak_mb"] is not None else "-"
        print(f"{name:<52}{seconds:>10}{peak:>10}  {row.get('note', '')}")


def parse_args(doc: str):
    """The options every benchmark takes: --edges, --seed, --networkx-timeout, --json."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--networkx-timeout", type=float, default=300, help="seconds before a networkx step is stopped")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    return parser.parse_args()


def run_steps(steps: dict[str, str], args: list[str], networkx_timeout: float) -> dict[str, dict]:
    """Run every step in its own process; networkx steps are capped by `networkx_timeout`."""
    return {name: run_step(code, args, networkx_timeout if "networkx" in name else 3600) for name, code in steps.items()}


def finish(title: str, results: dict[str, dict], edges: int, json_path) -> None:
    """Print the table, and write it as JSON when asked."""
    print_table(title, results)
    if json_path:
        json_path.write_text(json.dumps({"edges": edges, "results": results}, indent=1))
